/*
 * DOC: learned BGP routes in the kernel (FIB sync), doc/routing.md.
 *
 * The FIB subscribes to the speaker's best-path changes and keeps a table of
 * the routes it wants: every learned prefix with its ECMP next hops (those of
 * the prefix's family). Changes go to the kernel through the dataplane's
 * batched API, with protocol TABBY_RTPROT (84): a new prefix is added with
 * NLM_F_EXCL (a route of another protocol for the same prefix wins and is
 * left alone, the error is logged), a changed next-hop set is replaced, a
 * withdrawn prefix deleted: at once when its route is plain, else at the end
 * of the event, with its nexthop object when all of the object's routes were
 * withdrawn (routing_fib_withdraw.c).
 *
 * Never installed ("suppressed"): a learned prefix that equals or covers one
 * of the node's affine blocks, or equals one of its borrowed addresses
 * (routing_export_is_local()). The node's own block is reached through its
 * pods' /32 host routes and the block's blackhole; a /32 of another node's
 * pod inside our block (an address it borrowed) is installed, it is more
 * specific than our blackhole.
 *
 * Reconciliation, every bgp.fibReconcileSeconds, when the local prefixes
 * change and when someone else deletes a route we installed
 * (routing_fib_watch.c): the kernel's proto-84 routes WITH a gateway are compared with the
 * table; one not wanted (or suppressed) is deleted, one with other next hops
 * replaced, a wanted one that is missing added again. Proto-84 routes
 * without a gateway are Tabby's pod host routes (scope link) and blackholes
 * of affine blocks (blocks.c): never touched here, nor is any route of
 * another protocol or of a table other than main.
 *
 * At start the kernel's learned routes of an earlier run are adopted as
 * "stale" (as a graceful restart keeps forwarding): a prefix learned again
 * takes its route over (replaced only if the next hops changed), and what is
 * still stale at the first periodic reconciliation is deleted. So a restart
 * of tabbyd does not interrupt traffic between nodes.
 *
 * With bgp.installRoutes false nothing of this runs (benchmarks).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <linux/rtnetlink.h>

#include <tabby/dataplane.h>
#include <tabby/log.h>

#include "routing_fib_int.h"
#include "tabbyd.h"

#define ROUTING_FIB_BUCKETS   4096 /* initial; doubled when the table is twice as full */
#define ROUTING_FIB_RETRIES   3    /* interrupted kernel dumps */
#define ROUTING_FIB_MULTIPATH 8    /* ECMP paths asked from the RIB */

static void routing_fib_err_cb(const struct dp_route *r, enum fib_op op, int err, const char *why,
                               void *arg);

static uint32_t routing_fib_hash(const struct prefix *p)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	unsigned i, n = p->addr.family == AF_INET ? 4 : 16;

	h = (h ^ p->addr.family) * 16777619u;
	h = (h ^ p->len) * 16777619u;
	for (i = 0; i < n; i++)
		h = (h ^ p->addr.bytes[i]) * 16777619u;
	return h;
}

struct routing_fib_route **routing_fib_slot(struct routing_fib *f, const struct prefix *p)
{
	struct routing_fib_route **s = &f->buckets[routing_fib_hash(p) & (f->n_buckets - 1)];

	while (*s && !prefix_eq(&(*s)->prefix, p))
		s = &(*s)->next;
	return s;
}

static void routing_fib_grow(struct routing_fib *f)
{
	size_t i, n = f->n_buckets * 2;
	struct routing_fib_route **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return; /* longer chains, still correct */
	for (i = 0; i < f->n_buckets; i++) {
		struct routing_fib_route *r = f->buckets[i], *next;

		for (; r; r = next) {
			uint32_t h = routing_fib_hash(&r->prefix) & (n - 1);

			next = r->next;
			r->next = nb[h];
			nb[h] = r;
		}
	}
	free(f->buckets);
	f->buckets = nb;
	f->n_buckets = n;
}

void routing_fib_to_dp(const struct routing_fib_route *r, struct dp_route *out)
{
	const struct dp_nexthop *hops;
	unsigned n = 0;

	memset(out, 0, sizeof(*out));
	out->dst = r->prefix;
	if (!r->via)
		return;
	hops = fib_nh_hops(r->via, &n);
	out->n_nexthops = n;
	memcpy(out->nh, hops, n * sizeof(*hops));
}

static bool routing_fib_has_gw(const struct dp_route *r, const struct addr *a)
{
	unsigned i;

	for (i = 0; i < r->n_nexthops; i++)
		if (addr_eq(&r->nh[i].gw, a))
			return true;
	return false;
}

/*
 * Does the kernel's route k forward as w wants? Through w's nexthop object
 * when it has one (same id), else with the same gateways, whatever the order.
 */
static bool routing_fib_same_nh(const struct routing_fib_route *w, const struct dp_route *k)
{
	const struct dp_nexthop *hops;
	unsigned i, n = 0;

	if (!w->via)
		return false;
	if (fib_nh_id(w->via))
		return k->nh_id == fib_nh_id(w->via);
	hops = fib_nh_hops(w->via, &n);
	if (k->nh_id || n != k->n_nexthops)
		return false;
	for (i = 0; i < n; i++)
		if (!routing_fib_has_gw(k, &hops[i].gw))
			return false;
	return true;
}

/* A proto-84 route that forwards to a gateway (directly or through a nexthop object). */
static bool routing_fib_learned(const struct dp_route *k)
{
	if ((k->table && k->table != RT_TABLE_MAIN) || (k->type && k->type != RTN_UNICAST))
		return false; /* a blackhole, another table */
	return k->nh_id || (k->n_nexthops && k->nh[0].gw.family);
}

struct fib_batch *routing_fib_batch(struct routing_fib *f)
{
	struct fib_batch *b;

	if (fib_batch_open(f->d->nl, routing_fib_err_cb, f, &b) < 0) {
		log_err("fib: cannot open a netlink batch: %s", nl_ctx_error(f->d->nl));
		return NULL;
	}
	fib_batch_set_nexthops(b, f->nh);
	return b;
}

static void routing_fib_err_cb(const struct dp_route *r, enum fib_op op, int err, const char *why,
                               void *arg)
{
	struct routing_fib *f = arg;
	struct routing_fib_route *w = *routing_fib_slot(f, &r->dst);
	char pb[PREFIX_STRLEN];

	f->errors++;
	if (w && op != FIB_DEL)
		w->installed = false;
	if (op == FIB_ADD && err == -EEXIST)
		log_warn("fib: %s: another route for this prefix is in the kernel; left alone",
		         prefix_format(&r->dst, pb, sizeof(pb)));
	else
		log_warn("fib: %s %s: %s", op == FIB_DEL ? "deleting" : "installing",
		         prefix_format(&r->dst, pb, sizeof(pb)), why);
}

void routing_fib_flush(struct routing_fib *f, struct fib_batch *b)
{
	int ret = fib_batch_close(b);
	const char *notice;

	if (ret < 0)
		log_err("fib: netlink batch failed: %s; the next reconciliation retries",
		        nl_ctx_error(f->d->nl));
	while ((notice = fib_nh_table_notice(f->nh)))
		log_warn("fib: %s", notice);
}

/* The interned set of a change's next hops of the prefix's family; NULL if none. */
static struct fib_nh *routing_fib_via(struct routing_fib *f, const struct bgp_best_change *ch)
{
	struct dp_nexthop hops[DP_MAX_NEXTHOPS];
	unsigned i, n = 0;

	memset(hops, 0, sizeof(hops));
	for (i = 0; i < ch->n_next_hops && n < DP_MAX_NEXTHOPS; i++)
		if (ch->next_hops[i].family == ch->prefix.addr.family &&
		    !addr_is_zero(&ch->next_hops[i]))
			hops[n++].gw = ch->next_hops[i];
	if (!n)
		return NULL;
	return fib_nh_get(f->nh, ch->prefix.addr.family, hops, n);
}

/* One best-path change into the table, and into the batch. */
static void routing_fib_apply(struct routing_fib *f, struct fib_batch *b,
                              const struct bgp_best_change *ch)
{
	struct routing_fib_route **s = routing_fib_slot(f, &ch->prefix), *w = *s;
	struct fib_nh *old_via;
	struct dp_route dr;
	bool had, was_installed;

	if (ch->withdrawn || ch->local) {
		if (!w || w->doomed)
			return;
		if (w->installed && fib_nh_id(w->via) && routing_fib_withdraw_defer(f, w))
			return;
		if (w->installed) {
			routing_fib_to_dp(w, &dr);
			fib_batch_del(b, &dr);
		}
		/* Its object goes at the flush, after the route, if nothing else uses it. */
		fib_nh_put(f->nh, w->via);
		*s = w->next;
		free(w);
		f->n_routes--;
		return;
	}
	had = w != NULL;
	if (w) {
		w->stale = false;  /* learned again: the adopted route is ours to update */
		w->doomed = false; /* withdrawn and learned again: still in the kernel */
	}
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w) {
			log_err("fib: out of memory for a route; the next reconciliation retries");
			return;
		}
		w->prefix = ch->prefix;
		*s = w;
		f->n_routes++;
	}
	routing_fib_to_dp(w, &dr);
	was_installed = had && w->installed;
	old_via = w->via;
	w->via = routing_fib_via(f, ch);
	w->suppressed = !w->via || routing_export_is_local(f->d, &w->prefix);
	if (w->suppressed) {
		if (was_installed)
			fib_batch_del(b, &dr);
		w->installed = false;
	} else if (!was_installed) {
		w->installed = true;
		fib_batch_add_via(b, &w->prefix, w->via);
	} else if (w->via != old_via) {
		/* Another set (or another object for the same set): the route moves over. */
		fib_batch_replace_via(b, &w->prefix, w->via);
	}
	fib_nh_put(f->nh, old_via);
	if (f->n_routes > f->n_buckets * 2)
		routing_fib_grow(f);
}

void routing_fib_best_cb(void *arg, const struct bgp_best_change *ch, size_t n)
{
	struct routing_fib *f = arg;
	struct fib_batch *b;
	size_t i;

	if (f->detached)
		return;
	b = routing_fib_batch(f);
	if (!b)
		return;
	for (i = 0; i < n; i++)
		routing_fib_apply(f, b, &ch[i]);
	routing_fib_flush(f, b);
}

struct routing_fib_walk {
	struct routing_fib *f;
	struct fib_batch *b;
	bool purge_stale; /* delete adopted routes nobody learned again */
	unsigned removed, replaced;
};

/* A proto-84 route in the kernel. Only routes with a gateway in main are ours to judge. */
static int routing_fib_walk_cb(const struct dp_route *k, void *arg)
{
	struct routing_fib_walk *wk = arg;
	struct routing_fib_route *w;
	char pb[PREFIX_STRLEN];

	if (!routing_fib_learned(k))
		return 0; /* a pod host route, a blackhole, another table */
	w = *routing_fib_slot(wk->f, &k->dst);
	if (w && w->stale && !wk->purge_stale) {
		w->seen = true;
		return 0;
	}
	if (!w || w->suppressed || w->stale) {
		log_info("fib: removing %s: no learned route wants it",
		         prefix_format(&k->dst, pb, sizeof(pb)));
		fib_batch_del(wk->b, k);
		wk->removed++;
		return 0;
	}
	w->seen = true;
	w->installed = true;
	if (!routing_fib_same_nh(w, k)) {
		fib_batch_replace_via(wk->b, &w->prefix, w->via);
		wk->replaced++;
	}
	return 0;
}

/* Forget the adopted routes nobody learned again (the walk deleted them from the kernel). */
static void routing_fib_purge_stale(struct routing_fib *f)
{
	size_t i;

	for (i = 0; i < f->n_buckets; i++) {
		struct routing_fib_route **s = &f->buckets[i];

		while (*s) {
			struct routing_fib_route *w = *s;

			if (!w->stale) {
				s = &w->next;
				continue;
			}
			*s = w->next;
			fib_nh_put(f->nh, w->via);
			free(w);
			f->n_routes--;
		}
	}
}

/* Start: a learned route of an earlier run in the kernel becomes a stale entry. */
static int routing_fib_adopt_cb(const struct dp_route *k, void *arg)
{
	struct routing_fib *f = arg;
	struct dp_nexthop hops[DP_MAX_NEXTHOPS];
	struct routing_fib_route **s, *w;
	struct fib_nh *via = NULL;
	unsigned i, n = 0;

	if (!routing_fib_learned(k))
		return 0;
	s = routing_fib_slot(f, &k->dst);
	if (*s)
		return 0;
	/* Through one of our adopted objects: it stays while the route does. */
	if (k->nh_id)
		via = fib_nh_by_id(f->nh, k->nh_id);
	if (!via) {
		memset(hops, 0, sizeof(hops));
		for (i = 0; i < k->n_nexthops && k->nh[i].gw.family == k->dst.addr.family; i++)
			hops[n++].gw = k->nh[i].gw;
		via = n ? fib_nh_get(f->nh, k->dst.addr.family, hops, n) : NULL;
	}
	if (!via)
		return 0; /* an object of someone else's without gateways we could read */
	w = calloc(1, sizeof(*w));
	if (!w) {
		fib_nh_put(f->nh, via);
		return -ENOMEM;
	}
	w->prefix = k->dst;
	w->via = via;
	w->installed = w->stale = true;
	*s = w;
	f->n_routes++;
	if (f->n_routes > f->n_buckets * 2)
		routing_fib_grow(f);
	return 0;
}

static void routing_fib_adopt(struct routing_fib *f)
{
	unsigned attempt;
	size_t n;
	int ret = -EAGAIN;

	for (attempt = 0; attempt < ROUTING_FIB_RETRIES && ret == -EAGAIN; attempt++)
		ret = dp_routes_list_own(f->d->nl, AF_UNSPEC, routing_fib_adopt_cb, f);
	if (ret < 0)
		log_warn("fib: listing the kernel's routes at start: %s; the first reconciliation "
		         "cleans up",
		         nl_ctx_error(f->d->nl));
	n = f->n_routes;
	if (n)
		log_info("fib: %zu learned route%s of an earlier run kept until re-learned or the "
		         "first reconciliation",
		         n, n == 1 ? "" : "s");
	/* Leftover nexthop objects of protocol 84 no adopted route uses. */
	ret = fib_nh_table_gc(f->nh);
	if (ret > 0)
		log_info("fib: %d unused nexthop object%s of an earlier run removed", ret,
		         ret == 1 ? "" : "s");
	else if (ret < 0)
		log_warn("fib: removing unused nexthop objects: %s", strerror(-ret));
}

void routing_fib_reconcile(struct routing_fib *f, bool purge_stale)
{
	struct routing_fib_walk wk = {.f = f, .purge_stale = purge_stale};
	unsigned added = 0, attempt;
	size_t i;
	int ret = -EAGAIN;

	routing_fib_withdraw_flush(f); /* a doomed route is not wanted */
	for (i = 0; i < f->n_buckets; i++)
		for (struct routing_fib_route *w = f->buckets[i]; w; w = w->next)
			w->seen = false;
	/* Objects the kernel removed (their link went down) are created again on use. */
	ret = fib_nh_table_sync(f->nh);
	if (ret > 0)
		log_notice("fib: %d nexthop object%s gone from the kernel; recreating", ret,
		           ret == 1 ? "" : "s");
	ret = -EAGAIN;
	wk.b = routing_fib_batch(f);
	if (!wk.b)
		return;
	for (attempt = 0; attempt < ROUTING_FIB_RETRIES && ret == -EAGAIN; attempt++)
		ret = dp_routes_list_own(f->d->nl, AF_UNSPEC, routing_fib_walk_cb, &wk);
	if (ret < 0) {
		log_warn("fib: listing the kernel's routes: %s; reconciliation skipped",
		         nl_ctx_error(f->d->nl));
		routing_fib_flush(f, wk.b);
		return;
	}
	if (purge_stale)
		routing_fib_purge_stale(f);
	for (i = 0; i < f->n_buckets; i++) {
		for (struct routing_fib_route *w = f->buckets[i]; w; w = w->next) {
			if (w->seen || w->suppressed || w->stale)
				continue;
			w->installed = true;
			fib_batch_add_via(wk.b, &w->prefix, w->via);
			added++;
		}
	}
	routing_fib_flush(f, wk.b);
	if (wk.removed || wk.replaced || added)
		log_notice("fib: reconciled: %u route%s added back, %u replaced, %u removed", added,
		           added == 1 ? "" : "s", wk.replaced, wk.removed);
}

static void routing_fib_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	routing_fib_reconcile(arg, true);
}

/* Re-evaluate suppression after the local prefixes changed, then reconcile. */
void routing_fib_local_changed(struct tabbyd *d)
{
	struct routing_fib *f = d->rt_fib;
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n_buckets; i++)
		for (struct routing_fib_route *w = f->buckets[i]; w; w = w->next)
			w->suppressed = !w->via || routing_export_is_local(d, &w->prefix);
	routing_fib_reconcile(f, false);
}

void routing_fib_counts(const struct tabbyd *d, size_t *wanted, size_t *installed,
                        size_t *suppressed)
{
	const struct routing_fib *f = d->rt_fib;
	size_t i;

	*wanted = *installed = *suppressed = 0;
	if (!f)
		return;
	for (i = 0; i < f->n_buckets; i++) {
		for (const struct routing_fib_route *w = f->buckets[i]; w; w = w->next) {
			if (w->stale || w->doomed)
				continue;
			(*wanted)++;
			*installed += w->installed;
			*suppressed += w->suppressed;
		}
	}
}

int routing_fib_start(struct tabbyd *d)
{
	struct timeval tv = {.tv_sec = d->cfg.bgp.fib_reconcile_seconds};
	struct routing_fib *f;
	int ret;

	if (!d->cfg.bgp.install_routes) {
		log_notice(
		    "fib: bgp.installRoutes is false: learned routes stay out of the kernel");
		return 0;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->d = d;
	f->n_buckets = ROUTING_FIB_BUCKETS;
	f->buckets = calloc(f->n_buckets, sizeof(*f->buckets));
	f->timer = event_new(d->base, -1, EV_PERSIST, routing_fib_timer_cb, f);
	if (!f->buckets || !f->timer || event_add(f->timer, &tv) < 0 ||
	    routing_fib_withdraw_init(f) < 0) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = fib_nh_table_open(d->nl, &f->nh);
	if (ret < 0)
		goto fail;
	/* Debugging and benchmarks: plain routes with their gateways, no nexthop objects. */
	if (getenv("TABBYD_FIB_PLAIN_ROUTES"))
		fib_nh_table_disable(f->nh);
	ret = bgp_subscribe_best(d->bgp, routing_fib_best_cb, f);
	if (ret < 0)
		goto fail;
	d->rt_fib = f;
	routing_fib_adopt(f);
	ret = routing_fib_watch_start(f, &f->watch);
	if (ret < 0)
		log_warn("fib: cannot follow the kernel's route deletions (%s); routes deleted by "
		         "hand come back at the next reconciliation",
		         strerror(-ret));
	log_info("fib: learned routes go into the kernel with protocol %d; reconciliation "
	         "every %u s",
	         TABBY_RTPROT, d->cfg.bgp.fib_reconcile_seconds);
	return 0;
fail:
	routing_fib_withdraw_free(f);
	if (f->timer)
		event_free(f->timer);
	fib_nh_table_close(f->nh);
	free(f->buckets);
	free(f);
	return ret;
}

/* Ignore best-path changes from now on: freeing the speaker withdraws every route. */
void routing_fib_detach(struct tabbyd *d)
{
	if (d->rt_fib)
		d->rt_fib->detached = true;
}

/*
 * Free the table. Kernel routes stay (traffic keeps flowing while tabbyd
 * restarts; the start-up reconciliation removes what is no longer learned)
 * unless flush is set (BGP or installRoutes switched off by a reload).
 * The speaker must be freed first: it still holds the subscription.
 */
void routing_fib_stop(struct tabbyd *d, bool flush)
{
	struct routing_fib *f = d->rt_fib;
	size_t i;

	if (!f)
		return;
	routing_fib_watch_stop(f->watch);
	f->watch = NULL;
	routing_fib_withdraw_flush(f); /* withdrawn before the stop: gone from the kernel too */
	routing_fib_withdraw_free(f);
	for (i = 0; i < f->n_buckets; i++) {
		struct routing_fib_route *w, *next;

		for (w = f->buckets[i]; w; w = next) {
			next = w->next;
			fib_nh_put(f->nh, w->via);
			free(w);
		}
		f->buckets[i] = NULL;
	}
	f->n_routes = 0;
	if (flush)
		routing_fib_reconcile(f, true); /* nothing is wanted: every learned route goes */
	/* Without a flush the objects stay with their routes, for the next run to adopt. */
	fib_nh_table_close(f->nh);
	event_free(f->timer);
	free(f->buckets);
	free(f);
	d->rt_fib = NULL;
}
