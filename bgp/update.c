/*
 * DOC: Adj-RIB-Out and outbound UPDATE packing (see update.h).
 *
 * A peer's Adj-RIB-Out is a hash table of entries keyed by (destination,
 * family), each holding the interned set last sent (or NULL) and a queued
 * mark. rib_out_queue() is called for every Loc-RIB change and every
 * established peer; rib_peer_flush_out() exports each queued destination
 * (update_export.c), compares with what was sent, sorts the announcements by
 * outgoing set so that equal sets are adjacent, and packs them (and the
 * withdrawals) into as few messages as the size limit allows.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/log.h>

#include "update_int.h"

static uint32_t rib_out_hash(const struct rib_dest *d, unsigned af)
{
	uint64_t h = (uint64_t)(uintptr_t)d * 0x9E3779B97F4A7C15ull + af;

	return (uint32_t)(h >> 32);
}

void rib_out_init(struct rib_out *o)
{
	memset(o, 0, sizeof(*o));
	rib_slab_init(&o->entries, sizeof(struct rib_out_entry));
}

static struct rib_out_entry *rib_out_find(struct rib_out *o, const struct rib_dest *d, unsigned af)
{
	struct rib_out_entry *e;

	if (!o->buckets)
		return NULL;
	for (e = o->buckets[rib_out_hash(d, af) & o->mask]; e; e = e->hnext)
		if (e->dest == d && e->af == af)
			return e;
	return NULL;
}

static void rib_out_grow(struct rib_out *o)
{
	size_t nmask = o->buckets ? o->mask * 2 + 1 : 255;
	struct rib_out_entry **nb = bgp_bigtable_alloc((nmask + 1) * sizeof(*nb));

	if (!nb)
		return;
	for (size_t i = 0; o->buckets && i <= o->mask; i++) {
		struct rib_out_entry *e = o->buckets[i], *next;
		for (; e; e = next) {
			next = e->hnext;
			e->hnext = nb[rib_out_hash(e->dest, e->af) & nmask];
			nb[rib_out_hash(e->dest, e->af) & nmask] = e;
		}
	}
	if (o->buckets)
		bgp_bigtable_free(o->buckets, (o->mask + 1) * sizeof(*o->buckets));
	o->buckets = nb;
	o->mask = nmask;
}

static struct rib_out_entry *rib_out_add(struct rib_out *o, struct rib_dest *d, unsigned af)
{
	struct rib_out_entry *e;

	if (!o->buckets || o->count + 1 > o->mask + 1)
		rib_out_grow(o);
	if (!o->buckets)
		return NULL;
	e = rib_slab_alloc(&o->entries);
	if (!e)
		return NULL;
	e->dest = d;
	e->adv = NULL;
	e->af = (uint8_t)af;
	e->pending = 0;
	e->hnext = o->buckets[rib_out_hash(d, af) & o->mask];
	o->buckets[rib_out_hash(d, af) & o->mask] = e;
	o->count++;
	d->out_refs++;
	return e;
}

static void rib_out_del(struct rib *rib, struct rib_out *o, struct rib_out_entry *e)
{
	struct rib_out_entry **pp;
	struct rib_dest *d = e->dest;

	for (pp = &o->buckets[rib_out_hash(d, e->af) & o->mask]; *pp; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	}
	if (e->adv) {
		bgp_attr_unref(&rib->attrs, e->adv);
		o->advertised--;
	}
	o->count--;
	d->out_refs--;
	rib_dest_maybe_free(rib, e->af, d);
	rib_slab_free(&o->entries, e);
}

static int rib_out_push(struct rib *rib, struct rib_peer *peer, struct rib_out_entry *e)
{
	struct rib_out *o = &peer->out;

	if (o->n_queue == o->cap_queue) {
		size_t ncap = o->cap_queue ? o->cap_queue * 2 : 256;
		struct rib_out_entry **n = realloc(o->queue, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		o->queue = n;
		o->cap_queue = ncap;
	}
	o->queue[o->n_queue++] = e;
	e->pending = 1;
	if (o->n_queue == 1 && rib->out_ready)
		rib->out_ready(rib->out_ready_arg, peer);
	return 0;
}

void rib_out_queue(struct rib *rib, struct rib_peer *peer, enum bgp_af af, struct rib_dest *d)
{
	struct rib_out *o = &peer->out;
	struct rib_out_entry *e;
	const struct rib_route *best = d->routes;

	if (!(peer->s.params.families & BGP_AF_BIT(af)))
		return;
	e = rib_out_find(o, d, af);
	if (e) {
		if (!e->pending && rib_out_push(rib, peer, e) < 0)
			log_fatal("bgp: out of memory queueing updates");
		return;
	}
	/* Nothing sent before: only worth queueing if the best route may be exported. */
	if (!best || !(best->flags & RIB_ROUTE_BEST) || !rib_export_allowed(rib, peer, best))
		return;
	e = rib_out_add(o, d, af);
	if (!e || rib_out_push(rib, peer, e) < 0)
		log_fatal("bgp: out of memory queueing updates");
}

void rib_out_clear(struct rib *rib, struct rib_peer *peer)
{
	struct rib_out *o = &peer->out;

	for (size_t i = 0; o->buckets && i <= o->mask; i++)
		while (o->buckets[i])
			rib_out_del(rib, o, o->buckets[i]);
	o->n_queue = 0;
	o->eor_pending = 0;
}

void rib_out_destroy(struct rib_out *o)
{
	if (o->buckets)
		bgp_bigtable_free(o->buckets, (o->mask + 1) * sizeof(*o->buckets));
	free(o->queue);
	rib_slab_destroy(&o->entries);
	memset(o, 0, sizeof(*o));
}

bool rib_peer_out_pending(const struct rib_peer *peer)
{
	return peer->out.n_queue > 0 || peer->out.eor_pending != 0;
}

size_t rib_peer_out_count(const struct rib_peer *peer)
{
	return peer->out.advertised;
}

int rib_peer_refresh_out(struct rib *rib, struct rib_peer *peer, enum bgp_af af)
{
	struct rib_out *o = &peer->out;
	struct rib_table *t = &rib->tables[af];

	if (!peer->up || !(peer->s.params.families & BGP_AF_BIT(af)))
		return -EINVAL;
	/* RFC 2918 4: re-advertise the Adj-RIB-Out of af: forget what was sent and queue all. */
	for (size_t i = 0; o->buckets && i <= o->mask; i++) {
		struct rib_out_entry *e = o->buckets[i], *next;
		for (; e; e = next) {
			next = e->hnext;
			if (e->af == af && !e->pending)
				rib_out_del(rib, o, e);
			else if (e->af == af && e->adv) {
				bgp_attr_unref(&rib->attrs, e->adv);
				e->adv = NULL;
				o->advertised--;
			}
		}
	}
	for (size_t i = 0; i <= t->mask; i++)
		for (struct rib_dest *d = t->buckets[i]; d; d = d->hnext)
			if (d->routes)
				rib_out_queue(rib, peer, af, d);
	return 0;
}

/* One announcement waiting to be packed. */
struct rib_out_item {
	struct bgp_attrs *attrs;
	struct rib_out_entry *e;
	size_t seq;
};

static int rib_out_item_cmp(const void *a, const void *b)
{
	const struct rib_out_item *x = a, *y = b;

	if (x->e->af != y->e->af)
		return x->e->af < y->e->af ? -1 : 1;
	if (x->attrs != y->attrs)
		return (uintptr_t)x->attrs < (uintptr_t)y->attrs ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

int rib_peer_flush_out(struct rib *rib, struct rib_peer *peer, struct buf_writer *w, size_t *n_msgs)
{
	struct rib_out *o = &peer->out;
	struct rib_out_item *items = NULL;
	struct rib_out_entry **wd = NULL, **drop = NULL;
	size_t n_items = 0, n_wd = 0, n_drop = 0, start;
	struct update_pack pk;
	int rc = 0;

	*n_msgs = 0;
	if (o->n_queue) {
		items = malloc(o->n_queue * sizeof(*items));
		wd = malloc(o->n_queue * sizeof(*wd));
		drop = malloc(o->n_queue * sizeof(*drop));
		if (!items || !wd || !drop) {
			rc = -ENOMEM;
			goto out;
		}
	}
	update_export_cache_init(rib);
	for (size_t i = 0; i < o->n_queue; i++) {
		struct rib_out_entry *e = o->queue[i];
		const struct rib_route *best = e->dest->routes;
		struct bgp_attrs *out = NULL;

		e->pending = 0;
		if (best && (best->flags & RIB_ROUTE_BEST) && rib_export_allowed(rib, peer, best))
			out = rib_export_attrs(rib, peer, e->af, best);
		if (out == e->adv) {
			if (out)
				bgp_attr_unref(&rib->attrs, out);
			else
				drop[n_drop++] = e; /* never sent, nothing to send */
			continue;
		}
		if (!out) {
			/* RFC 4271 9.1.3: no longer advertisable: withdraw. */
			bgp_attr_unref(&rib->attrs, e->adv);
			e->adv = NULL;
			o->advertised--;
			wd[n_wd++] = e;
			continue;
		}
		if (!e->adv)
			o->advertised++;
		else
			bgp_attr_unref(&rib->attrs, e->adv);
		e->adv = out; /* the export reference moves into the Adj-RIB-Out */
		items[n_items].attrs = out;
		items[n_items].e = e;
		items[n_items].seq = i;
		n_items++;
	}
	o->n_queue = 0;
	update_export_cache_clear(rib);
	/* Equal sets next to each other: one run per UPDATE group. */
	if (n_items)
		qsort(items, n_items, sizeof(*items), rib_out_item_cmp);
	update_pack_init(&pk, w, peer->s.params.max_msg_len, peer->s.params.as4);
	for (int af = 0; af < BGP_AF_COUNT && rc == 0; af++) {
		for (size_t i = 0; i < n_wd && rc == 0; i++)
			if (wd[i]->af == af)
				rc = update_pack_withdraw(&pk, af, wd[i]->dest);
		rc = rc ? rc : update_pack_flush(&pk);
	}
	for (size_t i = 0; i < n_items && rc == 0; i = start) {
		start = i;
		while (start < n_items && items[start].attrs == items[i].attrs &&
		       items[start].e->af == items[i].e->af) {
			rc = update_pack_announce(&pk, items[i].e->af, items[i].attrs,
			                          items[start].e->dest);
			if (rc)
				break;
			start++;
		}
		rc = rc ? rc : update_pack_flush(&pk);
	}
	/* RFC 4724 2: End-of-RIB after the initial transfer of each family. */
	for (int af = 0; af < BGP_AF_COUNT && rc == 0; af++) {
		if (o->eor_pending & BGP_AF_BIT(af)) {
			rc = bgp_update_encode_eor(w, af);
			pk.n_msgs++;
		}
	}
	o->eor_pending = 0;
	*n_msgs = pk.n_msgs;
	update_pack_free(&pk);
	/* Entries with nothing advertised are no longer needed. */
	for (size_t i = 0; i < n_wd; i++)
		rib_out_del(rib, o, wd[i]);
	for (size_t i = 0; i < n_drop; i++)
		rib_out_del(rib, o, drop[i]);
out:
	free(items);
	free(wd);
	free(drop);
	return rc;
}
