/*
 * DOC: withdrawals of learned routes, settled once the current event is done.
 *
 * When a session drops, every route it taught is withdrawn at once (the RIB
 * hands them over 256 at a time). Deleting them one by one costs the kernel
 * a trie lookup and removal each (about 5 us at a million routes); deleting
 * the nexthop object they share removes them all in one walk of the table
 * (net/ipv4/nexthop.c: routes using a deleted nexthop are flushed). So an
 * installed route through an object is not deleted right away when it is
 * withdrawn: it is marked doomed and listed, and one event-loop iteration
 * later (or before a reconciliation or a stop) the list is settled:
 *   - the routes of a next-hop set referenced by doomed routes only, at
 *     least ROUTING_FIB_FLUSH_MIN of them, go with their object: the
 *     references are dropped and the batch's reaper deletes the object;
 *   - any other doomed route is deleted on its own, as before.
 * A route learned again in between is no longer doomed: it is still in the
 * kernel and is updated in place (no gap in forwarding). The kernel sends no
 * RTM_DELROUTE for routes removed with their object; only RTM_DELNEXTHOP.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include <event2/event.h>

#include <tabby/log.h>

#include "routing_fib_int.h"
#include "tabbyd.h"

/* Below this many routes a set's routes are deleted one by one (each one notified). */
#define ROUTING_FIB_FLUSH_MIN 64
#define WITHDRAW_SETS         256  /* distinct next-hop sets counted per settlement */
#define WITHDRAW_KEEP         4096 /* list capacity kept between bursts */

struct withdraw_count {
	const struct fib_nh *via;
	size_t doomed;
	bool flush;
};

/* The counter of via, created if absent; NULL if the table is full (no flush for it). */
static struct withdraw_count *withdraw_count(struct withdraw_count *t, const struct fib_nh *via)
{
	size_t h = (size_t)(((uintptr_t)via >> 4) * 0x9e3779b97f4a7c15ull >> 56);

	for (unsigned i = 0; i < WITHDRAW_SETS; i++) {
		struct withdraw_count *c = &t[(h + i) % WITHDRAW_SETS];

		if (!c->via)
			c->via = via;
		if (c->via == via)
			return c;
	}
	return NULL;
}

static void routing_fib_withdraw_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	routing_fib_withdraw_flush(arg);
}

bool routing_fib_withdraw_defer(struct routing_fib *f, struct routing_fib_route *w)
{
	if (!f->withdraw_ev)
		return false;
	if (!w->listed) {
		if (f->n_doomed == f->doomed_cap) {
			size_t cap = f->doomed_cap ? f->doomed_cap * 2 : 1024;
			struct routing_fib_route **nl = realloc(f->doomed, cap * sizeof(*nl));

			if (!nl)
				return false;
			f->doomed = nl;
			f->doomed_cap = cap;
		}
		f->doomed[f->n_doomed++] = w;
		w->listed = true;
	}
	w->doomed = true;
	event_active(f->withdraw_ev, EV_TIMEOUT, 0); /* once: a no-op while active */
	return true;
}

void routing_fib_withdraw_flush(struct routing_fib *f)
{
	struct withdraw_count counts[WITHDRAW_SETS] = {{0}};
	struct fib_batch *b;
	size_t i, one_by_one = 0, with_object = 0, objects = 0;

	if (!f->n_doomed)
		return;
	for (i = 0; i < f->n_doomed; i++) {
		struct withdraw_count *c;

		if (f->doomed[i]->doomed && (c = withdraw_count(counts, f->doomed[i]->via)))
			c->doomed++;
	}
	/* Decided before any reference is dropped: all of a set's users are doomed. */
	for (i = 0; i < WITHDRAW_SETS; i++) {
		struct withdraw_count *c = &counts[i];

		c->flush = c->via && c->doomed >= ROUTING_FIB_FLUSH_MIN &&
		           c->doomed == fib_nh_refs(c->via) && fib_nh_id(c->via);
		objects += c->flush;
	}
	b = routing_fib_batch(f);
	if (!b)
		return; /* tried again at the next reconciliation */
	for (i = 0; i < f->n_doomed; i++) {
		struct routing_fib_route *w = f->doomed[i], **s;
		struct withdraw_count *c;
		struct dp_route dr;

		w->listed = false;
		if (!w->doomed)
			continue; /* learned again */
		c = withdraw_count(counts, w->via);
		if (c && c->flush) {
			with_object++;
		} else {
			routing_fib_to_dp(w, &dr);
			fib_batch_del(b, &dr);
			one_by_one++;
		}
		s = routing_fib_slot(f, &w->prefix);
		*s = w->next;
		fib_nh_put(f->nh, w->via); /* the last one puts the set on the reaper's list */
		free(w);
		f->n_routes--;
	}
	f->n_doomed = 0;
	if (f->doomed_cap > WITHDRAW_KEEP) {
		free(f->doomed);
		f->doomed = NULL;
		f->doomed_cap = 0;
	}
	routing_fib_flush(f, b);
	if (with_object)
		log_info(
		    "fib: %zu withdrawn route%s removed with %zu nexthop object%s, %zu one by one",
		    with_object, with_object == 1 ? "" : "s", objects, objects == 1 ? "" : "s",
		    one_by_one);
}

int routing_fib_withdraw_init(struct routing_fib *f)
{
	f->withdraw_ev = event_new(f->d->base, -1, 0, routing_fib_withdraw_cb, f);
	return f->withdraw_ev ? 0 : -1;
}

void routing_fib_withdraw_free(struct routing_fib *f)
{
	if (f->withdraw_ev)
		event_free(f->withdraw_ev);
	f->withdraw_ev = NULL;
	free(f->doomed);
	f->doomed = NULL;
	f->n_doomed = f->doomed_cap = 0;
}
