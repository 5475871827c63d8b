/*
 * DOC: BGP routing information bases (RFC 4271 3.2).
 *
 * One struct rib holds, per address family, a hash table of destinations
 * (prefixes). Each destination keeps the list of routes learned for it, at
 * most one per peer (the per-peer Adj-RIB-In is the set of routes carrying
 * that peer's id), ordered by the decision process (decision.c): the first
 * route is the best (the Loc-RIB entry, flag RIB_ROUTE_BEST), and the routes
 * equal to it through RFC 4271 9.1.2.2 (e) form the multipath set
 * (RIB_ROUTE_MULTIPATH). The Loc-RIB is therefore not a copy: it references
 * the same route objects. A route is small (24 bytes: next, interned
 * attributes, peer id, flags); routes and destinations come from slabs.
 *
 * UPDATE bodies are decoded straight into the tables (rib_peer_update):
 * attributes once per UPDATE (interned), then every prefix of the NLRI
 * fields is inserted without any per-prefix allocation beyond the slabs.
 * Best-route changes are collected per UPDATE and handed in one batch to
 * the subscribers (the agent wires one to the FIB), and queued for every
 * established peer's Adj-RIB-Out (update.h builds the UPDATEs).
 *
 * The session layer drives a peer through rib_peer_add() (configuration),
 * rib_peer_up() (session Established), rib_peer_update() (each UPDATE),
 * rib_peer_down() (session closed; graceful restart keeps routes as stale)
 * and rib_peer_remove().
 */
#ifndef TABBY_BGP_RIB_H
#define TABBY_BGP_RIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tabby/prefix.h>

#include "attr.h"
#include "msg.h"

#define RIB_MULTIPATH_MAX 16
#define RIB_PEER_MAX      4096
#define RIB_PEER_LOCAL    0 /* peer id of locally originated routes */

/* Route flags */
#define RIB_ROUTE_BEST      0x01
#define RIB_ROUTE_MULTIPATH 0x02 /* in the multipath set (the best route included) */
#define RIB_ROUTE_STALE     0x04 /* RFC 4724 4.2: kept across the peer's restart */

struct rib_route {
	struct rib_route *next; /* next route of the same destination, in preference order */
	struct bgp_attrs *attrs;
	uint16_t peer_id;
	uint8_t flags;
};

/* A destination: one prefix and its routes. addr[] has 4 or 16 bytes. */
struct rib_dest {
	struct rib_dest *hnext;
	struct rib_route *routes;
	uint16_t out_refs; /* Adj-RIB-Out entries and queues pointing here */
	uint8_t flags;
	uint8_t plen;
	uint8_t addr[];
};

void rib_dest_prefix(const struct rib_dest *d, enum bgp_af af, struct prefix *p);

struct rib_config {
	uint32_t local_as;
	uint32_t router_id;        /* host byte order */
	uint32_t cluster_id;       /* RFC 4456 7; 0 = router_id */
	unsigned multipath;        /* max paths in a multipath set (1 = no multipath) */
	bool med_missing_as_worst; /* RFC 4271 9.1.2.2 (c): missing MED = 0 unless set */
	bool always_compare_med;   /* compare MED across neighbour ASes */
};

/* Per-peer configuration. */
struct rib_peer_config {
	struct addr addr; /* remote address, RFC 4271 9.1.2.2 (g) */
	uint32_t peer_as;
	bool rr_client;      /* RFC 4456: this iBGP peer is our route-reflector client */
	uint32_t max_prefix; /* 0 = no limit; reaching it resets the session (RFC 4486 Cease/1) */
	bool next_hop_self;  /* also towards iBGP peers (always towards eBGP) */
};

/* What the session layer knows once Established. */
struct rib_peer_session {
	struct bgp_session_params params;
	struct addr local_addr;  /* our end of the TCP connection */
	struct addr local_v4;    /* next-hop-self for IPv4 (zero: local_addr if IPv4) */
	struct addr local_v6;    /* next-hop-self for IPv6 (zero: local_addr if IPv6) */
	struct addr local_v6_ll; /* link-local next hop to add for IPv6 (zero: none) */
};

struct rib;
struct rib_peer;

/* One best-route change, RFC 4271 9.1.2 phase 2 outcome for one prefix. */
struct rib_change {
	enum bgp_af af;
	struct prefix prefix;
	bool withdrawn;                /* no route left: remove from the FIB */
	const struct bgp_attrs *attrs; /* best route's attributes (NULL if withdrawn) */
	uint16_t peer_id;              /* best route's peer */
	unsigned n_next_hops;          /* multipath next hops, best first */
	struct addr next_hops[RIB_MULTIPATH_MAX];
};
/* Called once per UPDATE (or per batch) with every change it caused. */
typedef void (*rib_change_cb)(void *arg, const struct rib_change *changes, size_t n);
/* Called when a peer has outbound UPDATEs waiting (rib_peer_flush_out). */
typedef void (*rib_out_ready_cb)(void *arg, struct rib_peer *peer);

struct rib *rib_new(const struct rib_config *cfg);
void rib_free(struct rib *rib);
int rib_subscribe(struct rib *rib, rib_change_cb cb, void *arg);
void rib_set_out_ready(struct rib *rib, rib_out_ready_cb cb, void *arg);
struct bgp_attr_table *rib_attr_table(struct rib *rib);

struct rib_peer *rib_peer_add(struct rib *rib, const struct rib_peer_config *cfg);
/* Withdraws the peer's routes and forgets it. */
void rib_peer_remove(struct rib *rib, struct rib_peer *peer);
uint16_t rib_peer_id(const struct rib_peer *peer);
struct rib_peer *rib_peer_by_id(struct rib *rib, uint16_t id);
void rib_peer_set_user(struct rib_peer *peer, void *user);
void *rib_peer_user(const struct rib_peer *peer);
uint32_t rib_peer_prefix_count(const struct rib_peer *peer, enum bgp_af af);
/* The peer's session parameters (valid after rib_peer_up; may be adjusted, e.g. next-hop
 * addresses). */
struct rib_peer_session *rib_peer_session(struct rib_peer *peer);

/*
 * Session Established: remember the parameters, sweep nothing yet (stale
 * routes of a graceful restart wait for End-of-RIB), and queue the whole
 * Loc-RIB for advertisement to the peer.
 */
int rib_peer_up(struct rib *rib, struct rib_peer *peer, const struct rib_peer_session *s);
/*
 * Session gone. graceful: the peer advertised graceful restart (RFC 4724 4.2,
 * receiving speaker): its routes of families with preserved forwarding state
 * are kept, marked stale, until End-of-RIB or rib_peer_stale_flush(); all
 * others are withdrawn.
 */
void rib_peer_down(struct rib *rib, struct rib_peer *peer, bool graceful);
/* RFC 4724 4.2: restart/stale timer expired, or End-of-RIB for af: drop stale routes. */
void rib_peer_stale_flush(struct rib *rib, struct rib_peer *peer, int af /* -1 = all */);

/* Outcome of one UPDATE. */
struct rib_update_result {
	struct bgp_attr_result attr; /* RFC 7606 verdict, discarded attributes, notify */
	uint32_t announced;
	uint32_t withdrawn;
	int end_of_rib; /* enum bgp_af of an End-of-RIB marker, or -1 */
};

/*
 * Apply one UPDATE body (without the header) from peer. Returns 0 (even for
 * treat-as-withdraw or attribute discard: see res->attr.verdict), or -EBADMSG
 * when the session must be reset with res->attr.notify (including the
 * max-prefix limit: Cease / Maximum Number of Prefixes Reached), or -ENOMEM.
 */
int rib_peer_update(struct rib *rib, struct rib_peer *peer, const void *body, size_t len,
                    struct rib_update_result *res);
/*
 * Prepare the UPDATE that rib_peer_update() will be given next: split it,
 * decode its attributes and start loading the interning table's slot for its
 * set, so that the cache miss overlaps the work on the UPDATE before it. No
 * effect on the RIB; rib_peer_update() uses the work only if called with the
 * same body, len and peer (and decodes as usual otherwise). Call
 * rib_peer_update_prefetch_drop() before the memory of body is reused for
 * anything else without a rib_peer_update() on it.
 */
void rib_peer_update_prefetch(struct rib *rib, struct rib_peer *peer, const void *body, size_t len);
void rib_peer_update_prefetch_drop(struct rib *rib);
/*
 * Batch the UPDATEs of one read: between rib_batch_begin() and
 * rib_batch_end(), rib_peer_update() leaves its Loc-RIB changes on the
 * changed list until a few hundred have gathered; rib_batch_end() (or any
 * other operation that flushes, such as a peer going down) hands the rest to
 * the subscribers and the Adj-RIB-Outs. Many one-prefix UPDATEs thus make one
 * subscriber call, not one each. A destination changed twice before a flush
 * is reported once, with its final state. Calls nest.
 */
void rib_batch_begin(struct rib *rib);
void rib_batch_end(struct rib *rib);

/* Locally originated routes (peer RIB_PEER_LOCAL): attributes from b (next hop ignored). */
int rib_originate(struct rib *rib, const struct prefix *p, const struct bgp_attr_builder *b);
int rib_withdraw_local(struct rib *rib, const struct prefix *p);

/* Loc-RIB lookup: the best route of exactly p, or NULL. */
const struct rib_route *rib_lookup(struct rib *rib, const struct prefix *p);
/* All routes of p (best first), or NULL. */
const struct rib_dest *rib_lookup_dest(struct rib *rib, const struct prefix *p);
size_t rib_dest_count(const struct rib *rib, enum bgp_af af);
size_t rib_route_count(const struct rib *rib);
/* Walk the Loc-RIB of af (best routes only); stops when cb returns non-zero. */
int rib_walk(struct rib *rib, enum bgp_af af,
             int (*cb)(void *arg, const struct prefix *p, const struct rib_route *best), void *arg);

/* Peer address for tie-breaking and logs. */
const struct addr *rib_peer_addr(const struct rib_peer *peer);

#endif
