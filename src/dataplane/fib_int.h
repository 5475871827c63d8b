/*
 * DOC: private contract between fib.c (batches) and nexthop.c (nexthop sets).
 *
 * A set is NEW until a batch queues its creation (PENDING), KERNEL once the
 * kernel acknowledged it, PLAIN when its routes carry the gateways themselves
 * (the kernel refused the object, or the table fell back).
 */
#ifndef TABBY_DP_FIB_INT_H
#define TABBY_DP_FIB_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "nl_int.h"

enum fib_nh_state { FIB_NH_NEW, FIB_NH_PENDING, FIB_NH_KERNEL, FIB_NH_PLAIN };

struct fib_nh {
	struct fib_nh *next;      /* hash chain */
	struct fib_nh *dead_next; /* the table's list of unused sets */
	unsigned refs;
	uint32_t id;
	enum fib_nh_state state;
	bool dead; /* on the table's dead list */
	bool adopted;
	uint8_t family;
	unsigned n;
	int oif; /* single gateway: its link (NHA_OIF) */
	struct dp_nexthop hop[DP_MAX_NEXTHOPS];
	struct fib_nh *member[DP_MAX_NEXTHOPS]; /* ECMP: one single-gateway set per hop */
};

#define FIB_NH_BUCKETS 256

struct fib_nh_table {
	struct nl_ctx *ctx;
	struct fib_sock *sock;   /* the batches' fast path (fib_sock.c); NULL: libnl */
	struct fib_batch *spare; /* a closed fast batch, its buffers kept for the next one */
	struct fib_nh *buckets[FIB_NH_BUCKETS];
	struct fib_nh *dead;
	size_t n_sets;
	uint32_t next_id;
	bool objects; /* false: every route is plain */
	bool logged_fallback;
	char notice[256], notice_out[256];
};

/* nexthop.c */
/* Prepare h (and its members) for a route: resolve links; false if the route must be plain. */
bool fib_nh_prepare(struct fib_nh_table *t, struct fib_nh *h);
/* RTM_NEWNEXTHOP for h (members must exist first) or RTM_DELNEXTHOP for id. */
struct nl_msg *fib_nh_new_msg(const struct fib_nh *h);
struct nl_msg *fib_nh_del_msg(uint32_t id);
/* The answer to h's creation: KERNEL, or a retry with another id, or PLAIN. */
void fib_nh_created(struct fib_nh_table *t, struct fib_nh *h, int err, const char *why);
/* Unlink the next unused set from the dead list; NULL when none is left. */
struct fib_nh *fib_nh_reap(struct fib_nh_table *t);
void fib_nh_free(struct fib_nh_table *t, struct fib_nh *h);

/* fib.c: free the table's spare batch. */
void fib_batch_spare_free(struct fib_batch *b);

#endif
