/*
 * DOC: internals shared by rib.c, rib_peer.c, decision.c and update.c.
 *
 * Not a public interface: the session layer uses rib.h and update.h only.
 */
#ifndef TABBY_BGP_RIB_INT_H
#define TABBY_BGP_RIB_INT_H

#include "rib.h"
#include "slab.h"
#include "update.h"

/* Dest flags */
#define RIB_DEST_CHANGED 0x01 /* in rib->changed, waiting for rib_flush_changes() */

/* Prefix table of one address family. */
struct rib_table {
	struct rib_dest **buckets;
	size_t mask;
	size_t count;
	unsigned addr_len; /* 4 or 16 */
	struct rib_slab dests;
};

/* One Adj-RIB-Out entry: what peer was sent for dest (adv), and whether it is queued. */
struct rib_out_entry {
	struct rib_out_entry *hnext;
	struct rib_dest *dest;
	struct bgp_attrs *adv; /* NULL: not advertised (queued only) */
	uint8_t af;
	uint8_t pending;
};

struct rib_out {
	struct rib_out_entry **buckets;
	size_t mask;
	size_t count;      /* entries */
	size_t advertised; /* entries with adv != NULL */
	struct rib_out_entry **queue;
	size_t n_queue, cap_queue;
	uint32_t eor_pending; /* BGP_AF_BIT of families owing an End-of-RIB */
	struct rib_slab entries;
};

struct rib_peer {
	struct rib *rib;
	uint16_t id;
	bool up;
	bool ebgp;
	uint32_t bgp_id; /* peer's identifier (router id for the local pseudo-peer) */
	struct rib_peer_config cfg;
	struct rib_peer_session s;
	uint32_t prefixes[BGP_AF_COUNT];
	uint32_t stale_families; /* RFC 4724 4.2: families holding stale routes */
	struct rib_out out;
	void *user;
};

struct rib_changed {
	struct rib_dest *dest;
	uint8_t af;
};

struct rib_sub {
	rib_change_cb cb;
	void *arg;
};

struct rib {
	struct rib_config cfg;
	struct rib_table tables[BGP_AF_COUNT];
	struct bgp_attr_table attrs;
	struct bgp_attr_builder *builder;     /* decoding scratch */
	struct bgp_attr_builder *out_builder; /* export scratch */
	struct rib_slab routes;
	size_t route_count;
	struct rib_peer *peers[RIB_PEER_MAX];
	struct rib_peer local; /* peer id 0: locally originated routes */
	struct rib_changed *changed;
	size_t n_changed, cap_changed;
	unsigned batch_depth; /* rib_batch_begin() nesting: > 0 defers rib_peer_update's flush */
	struct rib_peer **up; /* established peers */
	size_t n_up;
	struct rib_sub *subs;
	size_t n_subs;
	struct rib_change *batch; /* RIB_BATCH entries for subscribers */
	struct rib_export_cache {
		const struct bgp_attrs *src;
		struct bgp_attrs *out;
		uint16_t from;
		uint8_t af;
	} ecache[256]; /* per flush: source set -> exported set */
	rib_out_ready_cb out_ready;
	void *out_ready_arg;
	/*
	 * rib_peer_update_prefetch(): UPDATEs split and decoded ahead of time,
	 * two of them (the one being applied may still be here when the next
	 * one is prepared); pre_next is the slot the next prefetch fills.
	 */
	struct rib_pre {
		const void *body; /* NULL: nothing prepared */
		size_t len;
		const struct rib_peer *peer;
		struct bgp_attr_builder *b; /* swapped with rib->builder when used */
		struct bgp_update_parts parts;
		struct bgp_mp_info mp;
		struct bgp_attr_result ar;
		int rc;      /* bgp_attr_decode()'s return value */
		bool has_h4; /* h4: interning hash of the IPv4 NLRI's set */
		uint32_t h4;
	} pre[2];
	unsigned pre_next;
};

#define RIB_BATCH 256

/* rib.c */
uint32_t rib_hash(const uint8_t *a, unsigned alen, uint8_t plen);
/* Start loading the bucket of hash h (the ingest loop hides memory latency with it). */
void rib_prefetch(const struct rib_table *t, uint32_t h);
/* Start loading the first destination in the bucket of h (its bucket should be in cache). */
void rib_prefetch_chain(const struct rib_table *t, uint32_t h);
struct rib_dest *rib_dest_find(struct rib_table *t, const struct prefix *p, bool create);
struct rib_dest *rib_dest_find_hashed(struct rib_table *t, const struct prefix *p, uint32_t h,
                                      bool create);
void rib_dest_maybe_free(struct rib *rib, enum bgp_af af, struct rib_dest *d);
/*
 * Insert or replace peer's route for p (attrs is borrowed; the route takes
 * its own reference). Returns 0 unchanged, 1 new route, 2 replaced, or -ENOMEM.
 */
int rib_route_set(struct rib *rib, struct rib_peer *peer, enum bgp_af af, const struct prefix *p,
                  struct bgp_attrs *attrs);
/* The same with the prefix's rib_hash() already computed. */
int rib_route_set_hashed(struct rib *rib, struct rib_peer *peer, enum bgp_af af,
                         const struct prefix *p, uint32_t h, struct bgp_attrs *attrs);
/* Remove peer's route for p (no-op if none). Returns 1 if a route was removed. */
int rib_route_unset(struct rib *rib, struct rib_peer *peer, enum bgp_af af, const struct prefix *p);
/* Remove a route already located in d (prev: its predecessor or NULL). */
void rib_route_remove(struct rib *rib, enum bgp_af af, struct rib_dest *d, struct rib_route *prev,
                      struct rib_route *r);
/* Notify subscribers and queue exports for every changed dest. */
void rib_flush_changes(struct rib *rib);
void rib_mark_changed(struct rib *rib, enum bgp_af af, struct rib_dest *d);

/* decision.c: RFC 4271 9.1 phase 2 over d's routes; returns true if the Loc-RIB entry changed. */
bool rib_decide(struct rib *rib, struct rib_dest *d);
struct rib_peer *rib_route_peer(struct rib *rib, const struct rib_route *r);

/* update.c */
void rib_out_init(struct rib_out *o);
void rib_out_clear(struct rib *rib, struct rib_peer *peer);
void rib_out_destroy(struct rib_out *o);
/* Queue dest for peer if it may change what the peer was sent. */
void rib_out_queue(struct rib *rib, struct rib_peer *peer, enum bgp_af af, struct rib_dest *d);

#endif
