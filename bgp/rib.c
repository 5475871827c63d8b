/*
 * DOC: prefix tables, route insertion and removal, change batching (rib.h).
 *
 * Each family has a chained hash table of destinations keyed by (length,
 * address bytes). A destination's route list holds at most one route per
 * peer; after every insertion or removal decision.c reorders it (best first)
 * and, if the Loc-RIB entry changed, the destination goes on the changed
 * list. rib_flush_changes() turns that list into one batch of struct
 * rib_change for the subscribers and into Adj-RIB-Out queue entries for the
 * established peers, then frees destinations left empty.
 *
 * The UPDATE ingest path (rib_peer_update) is in rib_update.c.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/log.h>

#include "rib_int.h"

static uint64_t rib_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/*
 * Destination hash. For IPv4 it keeps locality: the prefix number at its own
 * length (address >> (32 - len)) selects a well-mixed group of 16 buckets
 * from its upper bits, and its low 4 bits pick the bucket inside the group.
 * Consecutive prefixes of a sorted feed (the usual table dump) thus touch
 * neighbouring buckets, and their destinations sit next to each other in the
 * slab: a sequential walk instead of two cache misses per prefix.
 */
uint32_t rib_hash(const uint8_t *a, unsigned alen, uint8_t plen)
{
	uint64_t h = (uint64_t)plen << 56;
	uint32_t w, num;

	if (alen == 4) {
		w = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		num = plen ? w >> (32 - plen) : 0;
		return (uint32_t)rib_mix(h | (num >> 4)) ^ (num & 15);
	}
	for (unsigned i = 0; i < alen; i += 4) {
		memcpy(&w, a + i, 4);
		h = rib_mix(h ^ w) + i;
	}
	return (uint32_t)rib_mix(h);
}

static int rib_table_init(struct rib_table *t, unsigned alen)
{
	t->addr_len = alen;
	t->mask = 1023;
	t->count = 0;
	t->buckets = bgp_bigtable_alloc((t->mask + 1) * sizeof(*t->buckets));
	rib_slab_init(&t->dests, offsetof(struct rib_dest, addr) + alen);
	return t->buckets ? 0 : -ENOMEM;
}

static void rib_table_grow(struct rib_table *t)
{
	size_t nmask = t->mask * 2 + 1;
	struct rib_dest **nb = bgp_bigtable_alloc((nmask + 1) * sizeof(*nb));

	if (!nb)
		return;
	for (size_t i = 0; i <= t->mask; i++) {
		struct rib_dest *d = t->buckets[i], *next;
		for (; d; d = next) {
			uint32_t h = rib_hash(d->addr, t->addr_len, d->plen);
			next = d->hnext;
			d->hnext = nb[h & nmask];
			nb[h & nmask] = d;
		}
	}
	bgp_bigtable_free(t->buckets, (t->mask + 1) * sizeof(*t->buckets));
	t->buckets = nb;
	t->mask = nmask;
}

void rib_dest_prefix(const struct rib_dest *d, enum bgp_af af, struct prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->addr.family = af == BGP_AF_IPV6 ? AF_INET6 : AF_INET;
	memcpy(p->addr.bytes, d->addr, af == BGP_AF_IPV6 ? 16 : 4);
	p->len = d->plen;
}

void rib_prefetch(const struct rib_table *t, uint32_t h)
{
	__builtin_prefetch(&t->buckets[h & t->mask]);
}

void rib_prefetch_chain(const struct rib_table *t, uint32_t h)
{
	const struct rib_dest *d = t->buckets[h & t->mask];

	if (d)
		__builtin_prefetch(d);
}

/* Does d hold the prefix (address bytes a, length plen)? IPv4 without a memcmp call. */
static inline bool rib_dest_is(const struct rib_table *t, const struct rib_dest *d,
                               const uint8_t *a, uint8_t plen)
{
	if (d->plen != plen)
		return false;
	if (t->addr_len == 4) {
		uint32_t x, y;

		memcpy(&x, d->addr, 4);
		memcpy(&y, a, 4);
		return x == y;
	}
	return memcmp(d->addr, a, t->addr_len) == 0;
}

struct rib_dest *rib_dest_find(struct rib_table *t, const struct prefix *p, bool create)
{
	return rib_dest_find_hashed(t, p, rib_hash(p->addr.bytes, t->addr_len, p->len), create);
}

struct rib_dest *rib_dest_find_hashed(struct rib_table *t, const struct prefix *p, uint32_t h,
                                      bool create)
{
	struct rib_dest *d;

	for (d = t->buckets[h & t->mask]; d; d = d->hnext)
		if (rib_dest_is(t, d, p->addr.bytes, p->len))
			return d;
	if (!create)
		return NULL;
	d = rib_slab_alloc(&t->dests);
	if (!d)
		return NULL;
	d->routes = NULL;
	d->out_refs = 0;
	d->flags = 0;
	d->plen = p->len;
	memcpy(d->addr, p->addr.bytes, t->addr_len);
	d->hnext = t->buckets[h & t->mask];
	t->buckets[h & t->mask] = d;
	/*
	 * Up to two destinations per bucket on average: the bucket array costs
	 * 4-8 bytes per prefix, and a sorted feed's neighbours share buckets.
	 */
	if (++t->count > 2 * (t->mask + 1))
		rib_table_grow(t);
	return d;
}

void rib_dest_maybe_free(struct rib *rib, enum bgp_af af, struct rib_dest *d)
{
	struct rib_table *t = &rib->tables[af];
	struct rib_dest **pp;
	uint32_t h;

	if (d->routes || d->out_refs || (d->flags & RIB_DEST_CHANGED))
		return;
	h = rib_hash(d->addr, t->addr_len, d->plen);
	for (pp = &t->buckets[h & t->mask]; *pp; pp = &(*pp)->hnext) {
		if (*pp == d) {
			*pp = d->hnext;
			t->count--;
			rib_slab_free(&t->dests, d);
			return;
		}
	}
}

void rib_mark_changed(struct rib *rib, enum bgp_af af, struct rib_dest *d)
{
	if (d->flags & RIB_DEST_CHANGED)
		return;
	if (rib->n_changed == rib->cap_changed) {
		size_t ncap = rib->cap_changed ? rib->cap_changed * 2 : 1024;
		struct rib_changed *n = realloc(rib->changed, ncap * sizeof(*n));
		if (!n)
			log_fatal("bgp rib: out of memory for the change list");
		rib->changed = n;
		rib->cap_changed = ncap;
	}
	d->flags |= RIB_DEST_CHANGED;
	rib->changed[rib->n_changed].dest = d;
	rib->changed[rib->n_changed].af = (uint8_t)af;
	rib->n_changed++;
}

/* Run the decision for d after a change to route r (NULL if removed) and record the outcome. */
static void rib_dest_settle(struct rib *rib, enum bgp_af af, struct rib_dest *d,
                            struct rib_route *old_head, bool was_selected)
{
	bool changed = rib_decide(rib, d);

	if (changed || was_selected || d->routes != old_head)
		rib_mark_changed(rib, af, d);
}

int rib_route_set(struct rib *rib, struct rib_peer *peer, enum bgp_af af, const struct prefix *p,
                  struct bgp_attrs *attrs)
{
	const struct rib_table *t = &rib->tables[af];

	return rib_route_set_hashed(rib, peer, af, p, rib_hash(p->addr.bytes, t->addr_len, p->len),
	                            attrs);
}

int rib_route_set_hashed(struct rib *rib, struct rib_peer *peer, enum bgp_af af,
                         const struct prefix *p, uint32_t h, struct bgp_attrs *attrs)
{
	struct rib_dest *d = rib_dest_find_hashed(&rib->tables[af], p, h, true);
	struct rib_route *r, *head;
	bool was_selected;

	if (!d)
		return -ENOMEM;
	head = d->routes;
	for (r = d->routes; r; r = r->next)
		if (r->peer_id == peer->id)
			break;
	if (r) {
		/* RFC 4271 3.1 / 9: implicit withdraw of the previous route. */
		if (r->attrs == attrs && !(r->flags & RIB_ROUTE_STALE))
			return 0;
		was_selected = r->flags & (RIB_ROUTE_BEST | RIB_ROUTE_MULTIPATH);
		r->flags &= (uint8_t)~RIB_ROUTE_STALE;
		if (r->attrs != attrs) {
			bgp_attr_unref(&rib->attrs, r->attrs);
			r->attrs = bgp_attr_ref(attrs);
		} else {
			was_selected = false; /* only the stale mark went: same route */
		}
		rib_dest_settle(rib, af, d, head, was_selected);
		return 2;
	}
	r = rib_slab_alloc(&rib->routes);
	if (!r) {
		rib_dest_maybe_free(rib, af, d);
		return -ENOMEM;
	}
	r->attrs = bgp_attr_ref(attrs);
	r->peer_id = peer->id;
	r->flags = 0;
	r->next = d->routes;
	d->routes = r;
	rib->route_count++;
	peer->prefixes[af]++;
	rib_dest_settle(rib, af, d, head, false);
	return 1;
}

void rib_route_remove(struct rib *rib, enum bgp_af af, struct rib_dest *d, struct rib_route *prev,
                      struct rib_route *r)
{
	struct rib_route *head = d->routes;
	bool was_selected = r->flags & (RIB_ROUTE_BEST | RIB_ROUTE_MULTIPATH);
	struct rib_peer *peer = rib_route_peer(rib, r);

	if (prev)
		prev->next = r->next;
	else
		d->routes = r->next;
	if (peer)
		peer->prefixes[af]--;
	bgp_attr_unref(&rib->attrs, r->attrs);
	rib_slab_free(&rib->routes, r);
	rib->route_count--;
	rib_dest_settle(rib, af, d, head == r ? NULL : head, was_selected);
	rib_dest_maybe_free(rib, af, d);
}

int rib_route_unset(struct rib *rib, struct rib_peer *peer, enum bgp_af af, const struct prefix *p)
{
	struct rib_dest *d = rib_dest_find(&rib->tables[af], p, false);
	struct rib_route *r, *prev = NULL;

	if (!d)
		return 0;
	for (r = d->routes; r; prev = r, r = r->next) {
		if (r->peer_id == peer->id) {
			rib_route_remove(rib, af, d, prev, r);
			return 1;
		}
	}
	return 0;
}

/* Fill one change record from d's current Loc-RIB entry. */
static void rib_change_fill(struct rib *rib, enum bgp_af af, struct rib_dest *d,
                            struct rib_change *c)
{
	const struct rib_route *best = d->routes;

	c->af = af;
	rib_dest_prefix(d, af, &c->prefix);
	c->n_next_hops = 0;
	if (!best || !(best->flags & RIB_ROUTE_BEST)) {
		c->withdrawn = true;
		c->attrs = NULL;
		c->peer_id = 0;
		return;
	}
	c->withdrawn = false;
	c->attrs = best->attrs;
	c->peer_id = best->peer_id;
	for (const struct rib_route *r = best; r && c->n_next_hops < RIB_MULTIPATH_MAX;
	     r = r->next) {
		bool dup = false;
		if (!(r->flags & RIB_ROUTE_MULTIPATH))
			break;
		if (addr_is_zero(&r->attrs->k.next_hop))
			continue;
		for (unsigned i = 0; i < c->n_next_hops; i++)
			dup |= addr_eq(&c->next_hops[i], &r->attrs->k.next_hop);
		if (!dup)
			c->next_hops[c->n_next_hops++] = r->attrs->k.next_hop;
	}
}

static void rib_deliver(struct rib *rib, size_t n)
{
	for (size_t i = 0; i < rib->n_subs; i++)
		rib->subs[i].cb(rib->subs[i].arg, rib->batch, n);
}

void rib_flush_changes(struct rib *rib)
{
	size_t nb = 0;

	for (size_t i = 0; i < rib->n_changed; i++) {
		struct rib_dest *d = rib->changed[i].dest;
		enum bgp_af af = rib->changed[i].af;

		if (rib->n_subs) {
			rib_change_fill(rib, af, d, &rib->batch[nb++]);
			if (nb == RIB_BATCH) {
				rib_deliver(rib, nb);
				nb = 0;
			}
		}
		for (size_t j = 0; j < rib->n_up; j++)
			rib_out_queue(rib, rib->up[j], af, d);
	}
	if (nb)
		rib_deliver(rib, nb);
	for (size_t i = 0; i < rib->n_changed; i++) {
		struct rib_dest *d = rib->changed[i].dest;
		d->flags &= (uint8_t)~RIB_DEST_CHANGED;
		rib_dest_maybe_free(rib, rib->changed[i].af, d);
	}
	rib->n_changed = 0;
}

struct rib *rib_new(const struct rib_config *cfg)
{
	struct rib *rib = calloc(1, sizeof(*rib));

	if (!rib)
		return NULL;
	rib->cfg = *cfg;
	if (!rib->cfg.cluster_id)
		rib->cfg.cluster_id = cfg->router_id;
	if (!rib->cfg.multipath)
		rib->cfg.multipath = 1;
	if (rib->cfg.multipath > RIB_MULTIPATH_MAX)
		rib->cfg.multipath = RIB_MULTIPATH_MAX;
	rib_slab_init(&rib->routes, sizeof(struct rib_route));
	rib->builder = bgp_attr_builder_new();
	rib->out_builder = bgp_attr_builder_new();
	rib->pre[0].b = bgp_attr_builder_new();
	rib->pre[1].b = bgp_attr_builder_new();
	rib->batch = calloc(RIB_BATCH, sizeof(*rib->batch));
	rib->up = calloc(RIB_PEER_MAX, sizeof(*rib->up));
	if (!rib->builder || !rib->out_builder || !rib->pre[0].b || !rib->pre[1].b || !rib->batch ||
	    !rib->up || rib_table_init(&rib->tables[BGP_AF_IPV4], 4) < 0 ||
	    rib_table_init(&rib->tables[BGP_AF_IPV6], 16) < 0 ||
	    bgp_attr_table_init(&rib->attrs) < 0)
		goto fail;
	/* Peer 0: locally originated routes (RFC 4271 9.4). */
	rib->local.rib = rib;
	rib->local.id = RIB_PEER_LOCAL;
	rib->local.bgp_id = rib->cfg.router_id;
	rib->local.cfg.peer_as = cfg->local_as;
	rib_out_init(&rib->local.out);
	rib->peers[RIB_PEER_LOCAL] = &rib->local;
	return rib;
fail:
	rib_free(rib);
	return NULL;
}

void rib_free(struct rib *rib)
{
	if (!rib)
		return;
	for (unsigned i = 1; i < RIB_PEER_MAX; i++)
		if (rib->peers[i])
			rib_peer_remove(rib, rib->peers[i]);
	for (int af = 0; af < BGP_AF_COUNT; af++) {
		struct rib_table *t = &rib->tables[af];
		for (size_t i = 0; t->buckets && i <= t->mask; i++) {
			for (struct rib_dest *d = t->buckets[i]; d; d = d->hnext) {
				for (struct rib_route *r = d->routes; r; r = r->next)
					bgp_attr_unref(&rib->attrs, r->attrs);
			}
		}
		bgp_bigtable_free(t->buckets, (t->mask + 1) * sizeof(*t->buckets));
		rib_slab_destroy(&t->dests);
	}
	rib_slab_destroy(&rib->routes);
	rib_out_destroy(&rib->local.out);
	if (rib->attrs.slots)
		bgp_attr_table_free(&rib->attrs);
	bgp_attr_builder_free(rib->builder);
	bgp_attr_builder_free(rib->out_builder);
	bgp_attr_builder_free(rib->pre[0].b);
	bgp_attr_builder_free(rib->pre[1].b);
	free(rib->batch);
	free(rib->up);
	free(rib->changed);
	free(rib->subs);
	free(rib);
}

int rib_subscribe(struct rib *rib, rib_change_cb cb, void *arg)
{
	struct rib_sub *n = realloc(rib->subs, (rib->n_subs + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	rib->subs = n;
	rib->subs[rib->n_subs].cb = cb;
	rib->subs[rib->n_subs].arg = arg;
	rib->n_subs++;
	return 0;
}

void rib_set_out_ready(struct rib *rib, rib_out_ready_cb cb, void *arg)
{
	rib->out_ready = cb;
	rib->out_ready_arg = arg;
}

struct bgp_attr_table *rib_attr_table(struct rib *rib)
{
	return &rib->attrs;
}

static int rib_af_of(const struct prefix *p)
{
	if (p->addr.family == AF_INET && p->len <= 32)
		return BGP_AF_IPV4;
	if (p->addr.family == AF_INET6 && p->len <= 128)
		return BGP_AF_IPV6;
	return -1;
}

int rib_originate(struct rib *rib, const struct prefix *p, const struct bgp_attr_builder *b)
{
	struct bgp_attr_builder *ob = rib->out_builder;
	struct bgp_attrs *a;
	struct prefix np = *p;
	int af = rib_af_of(p), rc;

	if (af < 0)
		return -EINVAL;
	prefix_normalize(&np);
	if (ob != b) {
		/* Copy the key and the parts; bytes in b's own buffers follow to the same offset.
		 */
		memcpy(&ob->k, &b->k, sizeof(ob->k));
		for (int i = 0; i < BGP_PART_COUNT; i++) {
			const uint8_t *bp = b->part[i];
			ob->part[i] = bp;
			ob->part_len[i] = b->part_len[i];
			if (bp && bp >= (const uint8_t *)b && bp < (const uint8_t *)(b + 1)) {
				size_t off = (size_t)(bp - (const uint8_t *)b);
				memcpy((uint8_t *)ob + off, bp, b->part_len[i]);
				ob->part[i] = (const uint8_t *)ob + off;
			}
		}
	}
	/* RFC 4271 9.4: ORIGIN must be set; a local route's next hop is ours (filled on export). */
	ob->k.present |= BGP_ATTRS_ORIGIN;
	ob->k.present &= (uint8_t) ~(BGP_ATTRS_NEXT_HOP | BGP_ATTRS_NEXT_HOP_LL);
	memset(&ob->k.next_hop, 0, sizeof(ob->k.next_hop));
	memset(&ob->k.next_hop_ll, 0, sizeof(ob->k.next_hop_ll));
	bgp_attr_builder_path_info(ob);
	a = bgp_attr_intern(&rib->attrs, ob);
	if (!a)
		return -ENOMEM;
	rc = rib_route_set(rib, &rib->local, af, &np, a);
	bgp_attr_unref(&rib->attrs, a);
	rib_flush_changes(rib);
	return rc < 0 ? rc : 0;
}

int rib_withdraw_local(struct rib *rib, const struct prefix *p)
{
	struct prefix np = *p;
	int af = rib_af_of(p);

	if (af < 0)
		return -EINVAL;
	prefix_normalize(&np);
	if (!rib_route_unset(rib, &rib->local, af, &np))
		return -ENOENT;
	rib_flush_changes(rib);
	return 0;
}

const struct rib_dest *rib_lookup_dest(struct rib *rib, const struct prefix *p)
{
	int af = rib_af_of(p);

	if (af < 0)
		return NULL;
	return rib_dest_find(&rib->tables[af], p, false);
}

const struct rib_route *rib_lookup(struct rib *rib, const struct prefix *p)
{
	const struct rib_dest *d = rib_lookup_dest(rib, p);

	if (!d || !d->routes || !(d->routes->flags & RIB_ROUTE_BEST))
		return NULL;
	return d->routes;
}

size_t rib_dest_count(const struct rib *rib, enum bgp_af af)
{
	return rib->tables[af].count;
}

size_t rib_route_count(const struct rib *rib)
{
	return rib->route_count;
}

int rib_walk(struct rib *rib, enum bgp_af af,
             int (*cb)(void *arg, const struct prefix *p, const struct rib_route *best), void *arg)
{
	struct rib_table *t = &rib->tables[af];
	struct prefix p;
	int rc;

	for (size_t i = 0; i <= t->mask; i++) {
		for (struct rib_dest *d = t->buckets[i]; d; d = d->hnext) {
			if (!d->routes || !(d->routes->flags & RIB_ROUTE_BEST))
				continue;
			rib_dest_prefix(d, af, &p);
			rc = cb(arg, &p, d->routes);
			if (rc)
				return rc;
		}
	}
	return 0;
}
