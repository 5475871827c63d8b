/*
 * DOC: private contract between routing_fib.c (the table of learned routes
 * and its kernel sync) and routing_fib_withdraw.c (deferred withdrawals).
 */
#ifndef TABBY_TABBYD_ROUTING_FIB_INT_H
#define TABBY_TABBYD_ROUTING_FIB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tabby/bgp.h>
#include <tabby/dataplane.h>

struct tabbyd;
struct routing_fib_watch;

struct routing_fib_route {
	struct routing_fib_route *next;
	struct prefix prefix;
	struct fib_nh *via; /* the interned next-hop set (a kernel nexthop object); NULL: none */
	bool installed;     /* our add/replace was sent and not refused */
	bool suppressed;    /* local: never installed */
	bool seen;          /* reconciliation: found in the kernel */
	bool stale;         /* in the kernel from an earlier run, not learned (yet) */
	bool doomed;        /* withdrawn; still in the kernel until the withdrawal flush */
	bool listed;        /* on the withdrawal list (doomed, or was) */
};

struct routing_fib {
	struct tabbyd *d;
	struct routing_fib_route **buckets;
	size_t n_buckets, n_routes;
	struct event *timer;
	struct fib_nh_table *nh; /* next-hop sets shared by the routes */
	uint64_t errors;
	bool detached; /* the speaker is going away: its withdrawals are not applied */
	/* Withdrawn routes waiting for the end of the event (routing_fib_withdraw.c). */
	struct routing_fib_route **doomed;
	size_t n_doomed, doomed_cap;
	struct event *withdraw_ev;
	struct routing_fib_watch *watch; /* the kernel's deletions (routing_fib_watch.c) */
};

/* routing_fib.c */
struct routing_fib_route **routing_fib_slot(struct routing_fib *f, const struct prefix *p);
void routing_fib_to_dp(const struct routing_fib_route *r, struct dp_route *out);
struct fib_batch *routing_fib_batch(struct routing_fib *f);
void routing_fib_flush(struct routing_fib *f, struct fib_batch *b);
/* The speaker's best-path changes (bgp_subscribe_best); tests call it directly. */
void routing_fib_best_cb(void *arg, const struct bgp_best_change *ch, size_t n);
/* Compare the kernel's learned routes with the table and put them right. */
void routing_fib_reconcile(struct routing_fib *f, bool purge_stale);

/* routing_fib_withdraw.c */
/* Queue the withdrawal of installed route w; false (nothing done) if it must go now. */
bool routing_fib_withdraw_defer(struct routing_fib *f, struct routing_fib_route *w);
/* Send the queued withdrawals and forget their routes. */
void routing_fib_withdraw_flush(struct routing_fib *f);
int routing_fib_withdraw_init(struct routing_fib *f);
void routing_fib_withdraw_free(struct routing_fib *f);

/* routing_fib_watch.c */
int routing_fib_watch_start(struct routing_fib *f, struct routing_fib_watch **out);
void routing_fib_watch_stop(struct routing_fib_watch *w);

#endif
