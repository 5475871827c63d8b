/*
 * DOC: peers as the RIB sees them: configuration, session up and down,
 * graceful-restart stale routes (RFC 4724 4.2, receiving speaker).
 *
 * A peer's Adj-RIB-In is not a table of its own: it is the routes carrying
 * its id in the destinations' route lists, so taking a peer down walks the
 * tables once and removes (or marks stale) its routes.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rib_int.h"

struct rib_peer *rib_peer_add(struct rib *rib, const struct rib_peer_config *cfg)
{
	struct rib_peer *peer;
	unsigned id;

	for (id = 1; id < RIB_PEER_MAX; id++)
		if (!rib->peers[id])
			break;
	if (id == RIB_PEER_MAX)
		return NULL;
	peer = calloc(1, sizeof(*peer));
	if (!peer)
		return NULL;
	peer->rib = rib;
	peer->id = (uint16_t)id;
	peer->cfg = *cfg;
	peer->ebgp = cfg->peer_as != rib->cfg.local_as;
	rib_out_init(&peer->out);
	rib->peers[id] = peer;
	return peer;
}

uint16_t rib_peer_id(const struct rib_peer *peer)
{
	return peer->id;
}

struct rib_peer *rib_peer_by_id(struct rib *rib, uint16_t id)
{
	return id < RIB_PEER_MAX ? rib->peers[id] : NULL;
}

void rib_peer_set_user(struct rib_peer *peer, void *user)
{
	peer->user = user;
}

void *rib_peer_user(const struct rib_peer *peer)
{
	return peer->user;
}

uint32_t rib_peer_prefix_count(const struct rib_peer *peer, enum bgp_af af)
{
	return peer->prefixes[af];
}

struct rib_peer_session *rib_peer_session(struct rib_peer *peer)
{
	return &peer->s;
}

const struct addr *rib_peer_addr(const struct rib_peer *peer)
{
	return &peer->cfg.addr;
}

/*
 * Walk af's table: for each of peer's routes, remove it (mark false) or mark
 * it stale (mark true); only_stale removes only routes already stale.
 */
static void rib_peer_sweep(struct rib *rib, struct rib_peer *peer, enum bgp_af af, bool mark,
                           bool only_stale)
{
	struct rib_table *t = &rib->tables[af];

	for (size_t i = 0; i <= t->mask; i++) {
		struct rib_dest *d = t->buckets[i], *dnext;
		for (; d; d = dnext) {
			struct rib_route *r, *prev = NULL;
			dnext = d->hnext;
			for (r = d->routes; r; prev = r, r = r->next)
				if (r->peer_id == peer->id)
					break;
			if (!r)
				continue;
			if (mark)
				r->flags |= RIB_ROUTE_STALE;
			else if (!only_stale || (r->flags & RIB_ROUTE_STALE))
				rib_route_remove(rib, af, d, prev, r);
		}
		/* Bound the change list; only buckets already walked are touched. */
		if (rib->n_changed >= 4096)
			rib_flush_changes(rib);
	}
	rib_flush_changes(rib);
}

int rib_peer_up(struct rib *rib, struct rib_peer *peer, const struct rib_peer_session *s)
{
	if (peer->up)
		return -EALREADY;
	rib_peer_update_prefetch_drop(rib); /* prepared with other session parameters */
	peer->s = *s;
	peer->ebgp = s->params.peer_as != rib->cfg.local_as;
	peer->bgp_id = s->params.peer_id;
	if (!peer->s.params.max_msg_len)
		peer->s.params.max_msg_len = BGP_MAX_MSG_LEN;
	peer->up = true;
	rib->up[rib->n_up++] = peer;
	/* RFC 4724 4 / RFC 4271 9.4: send the whole Loc-RIB, then End-of-RIB per family. */
	peer->out.eor_pending = s->params.families;
	for (int af = 0; af < BGP_AF_COUNT; af++) {
		struct rib_table *t = &rib->tables[af];
		if (!(s->params.families & BGP_AF_BIT(af)))
			continue;
		for (size_t i = 0; i <= t->mask; i++)
			for (struct rib_dest *d = t->buckets[i]; d; d = d->hnext)
				if (d->routes)
					rib_out_queue(rib, peer, af, d);
	}
	if (rib->out_ready)
		rib->out_ready(rib->out_ready_arg, peer);
	return 0;
}

void rib_peer_down(struct rib *rib, struct rib_peer *peer, bool graceful)
{
	rib_peer_update_prefetch_drop(rib);
	if (peer->up) {
		for (size_t i = 0; i < rib->n_up; i++) {
			if (rib->up[i] == peer) {
				rib->up[i] = rib->up[--rib->n_up];
				break;
			}
		}
		peer->up = false;
		rib_out_clear(rib, peer);
	}
	for (int af = 0; af < BGP_AF_COUNT; af++) {
		/* RFC 4724 4.2: keep routes of families whose forwarding state the peer preserved.
		 */
		bool keep = graceful && peer->s.params.peer_gr &&
		            (peer->s.params.peer_gr_forwarding & BGP_AF_BIT(af));
		if (!peer->prefixes[af])
			continue;
		if (keep) {
			/* RFC 4724 4.2: routes already stale from an earlier restart go now. */
			if (peer->stale_families & BGP_AF_BIT(af))
				rib_peer_sweep(rib, peer, af, false, true);
			rib_peer_sweep(rib, peer, af, true, false);
			peer->stale_families |= BGP_AF_BIT(af);
		} else {
			rib_peer_sweep(rib, peer, af, false, false);
			peer->stale_families &= ~BGP_AF_BIT(af);
		}
	}
}

void rib_peer_stale_flush(struct rib *rib, struct rib_peer *peer, int af)
{
	for (int i = 0; i < BGP_AF_COUNT; i++) {
		if (af >= 0 && i != af)
			continue;
		if (!(peer->stale_families & BGP_AF_BIT(i)))
			continue;
		rib_peer_sweep(rib, peer, i, false, true);
		peer->stale_families &= ~BGP_AF_BIT(i);
	}
}

void rib_peer_remove(struct rib *rib, struct rib_peer *peer)
{
	rib_peer_down(rib, peer, false);
	rib_peer_stale_flush(rib, peer, -1);
	rib->peers[peer->id] = NULL;
	rib_out_destroy(&peer->out);
	free(peer);
}
