/*
 * DOC: what the node advertises (route export), doc/routing.md.
 *
 * With BGP on, the node originates
 *  - each block affine to it (ipam_blocks_affine(): confirmed affinities) as
 *    one aggregate, as Calico's BIRD exports its blocks;
 *  - each address it holds in another node's block (ipam_borrowed_list()) as
 *    a /32 or /128, so that traffic for it is not drawn to the block's owner;
 *  - the service CIDRs of the BGPConfiguration "default" (serviceClusterIPs,
 *    serviceExternalIPs, serviceLoadBalancerIPs): every node originates them,
 *    so a top-of-rack router sees every node as an equal next hop (ECMP), as
 *    with Calico.
 * An exported prefix inside a CIDR of the configuration's prefixAdvertisements
 * carries its communities: RFC 1997 standard communities "A:B" and RFC 8092
 * large communities "A:B:C", each a literal or a name from spec.communities.
 *
 * The blocks and addresses come from the IPAM documents in the datastore, the
 * rest from /tabby/v1/bgpconfig/default (parsed in routing_export_config.c). A watch on
 * /tabby/v1/ipam/ and one on /tabby/v1/bgpconfig/ arm a debounce timer; when it fires, the lists
 * are read again and compared with what is originated: new prefixes are originated, gone ones
 * withdrawn. The timer fires at once (the next turn of the event loop) when the last resync is at
 * least 20 ms old, otherwise 20 ms after it: a lone CNI ADD's new block is announced without
 * waiting, and a burst of ADDs costs one resync per 20 ms (the store delivers all the writes of one
 * ADD in one poll, so its affinity is confirmed when the resync reads it). A
 * malformed BGPConfiguration is logged (key and field) and ignored: the last
 * good service CIDRs and communities stay.
 *
 * Prefixes declared in bgp.originate belong to bgp.c: never originated or
 * withdrawn from here (their attributes win).
 *
 * The block and address lists answer routing_export_is_local() for the FIB,
 * which must not install a learned route over the node's own blocks or
 * addresses; the FIB is told when they change.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include <tabby/ipam.h>
#include <tabby/json.h>
#include <tabby/log.h>
#include <tabby/store.h>

#include "tabbyd.h"

#define ROUTING_EXPORT_PREFIX      STORE_KEY_PREFIX "ipam/"
#define ROUTING_EXPORT_CFG_PREFIX  STORE_KEY_PREFIX "bgpconfig/"
#define ROUTING_EXPORT_DEBOUNCE_MS 20

/* What is originated, by kind; services never repeat a block or a borrowed address. */
enum { RX_BLOCKS, RX_HOSTS, RX_SERVICES, RX_N };
static const char *const routing_export_what[RX_N] = {"block", "borrowed address", "service CIDR"};

struct routing_export_set {
	struct prefix *p;
	size_t n;
};

struct routing_export {
	struct tabbyd *d;
	struct store_watch *watch;     /* ipam/ */
	struct store_watch *cfg_watch; /* bgpconfig/ */
	struct event *debounce;
	struct timespec last_sync;           /* CLOCK_MONOTONIC; 0: never */
	bool cfg_dirty;                      /* the BGPConfiguration must be read again */
	struct routing_export_bgpconfig cfg; /* the last good one */
	struct routing_export_set set[RX_N]; /* originated */
};

static bool routing_export_in(const struct prefix *set, size_t n, const struct prefix *p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (prefix_eq(&set[i], p))
			return true;
	return false;
}

static bool routing_export_in_any(const struct routing_export_set *sets, const struct prefix *p)
{
	int k;

	for (k = 0; k < RX_N; k++)
		if (routing_export_in(sets[k].p, sets[k].n, p))
			return true;
	return false;
}

/* ---- originations ---- */

static bool routing_export_configured(const struct tabbyd *d, const struct prefix *p)
{
	size_t i;

	for (i = 0; i < d->cfg.bgp.n_origins; i++)
		if (prefix_eq(&d->cfg.bgp.origins[i].prefix, p))
			return true;
	return false;
}

bool routing_export_is_local(const struct tabbyd *d, const struct prefix *p)
{
	const struct routing_export *e = d->rt_export;
	size_t i;

	if (!e)
		return false;
	for (i = 0; i < e->set[RX_BLOCKS].n; i++)
		if (prefix_contains(p, &e->set[RX_BLOCKS].p[i]))
			return true;
	return routing_export_in(e->set[RX_HOSTS].p, e->set[RX_HOSTS].n, p);
}

static int routing_export_originate(struct routing_export *e, const struct prefix *p)
{
	uint32_t comms[TABBYD_BGP_MAX_COMMS];
	struct bgp_large_community large[TABBYD_BGP_MAX_COMMS];
	struct bgp_route_attrs ra = {.communities = comms, .large_communities = large};

	ra.n_communities = routing_export_communities(&e->cfg, p, comms, TABBYD_BGP_MAX_COMMS);
	ra.n_large_communities =
	    routing_export_large_communities(&e->cfg, p, large, TABBYD_BGP_MAX_COMMS);
	return bgp_originate(e->d->bgp, p, ra.n_communities || ra.n_large_communities ? &ra : NULL);
}

/*
 * Withdraw what was originated and is in no set of cur; originate what is in
 * cur and was not originated (everything in cur if all). Returns the number of
 * changes to blocks and borrowed addresses (what the FIB cares about).
 */
static unsigned routing_export_diff(struct routing_export *e, const struct routing_export_set *cur,
                                    bool all)
{
	char pb[PREFIX_STRLEN];
	unsigned changes = 0;
	size_t i;
	int k, ret;

	for (k = 0; k < RX_N; k++)
		for (i = 0; i < e->set[k].n; i++) {
			const struct prefix *p = &e->set[k].p[i];

			if (routing_export_in_any(cur, p) || routing_export_configured(e->d, p))
				continue;
			ret = bgp_withdraw(e->d->bgp, p);
			if (ret < 0 && ret != -ENOENT)
				log_warn("bgp: withdrawing %s %s: %s", routing_export_what[k],
				         prefix_format(p, pb, sizeof(pb)), strerror(-ret));
			else
				log_info("bgp: withdrew %s %s", routing_export_what[k],
				         prefix_format(p, pb, sizeof(pb)));
			changes += k != RX_SERVICES;
		}
	for (k = 0; k < RX_N; k++)
		for (i = 0; i < cur[k].n; i++) {
			const struct prefix *p = &cur[k].p[i];
			bool had = routing_export_in_any(e->set, p);

			if ((had && !all) || routing_export_configured(e->d, p))
				continue;
			ret = routing_export_originate(e, p);
			if (ret < 0)
				log_warn("bgp: originating %s %s: %s", routing_export_what[k],
				         prefix_format(p, pb, sizeof(pb)), strerror(-ret));
			else if (!had)
				log_info("bgp: originating %s %s", routing_export_what[k],
				         prefix_format(p, pb, sizeof(pb)));
			changes += !had && k != RX_SERVICES;
		}
	return changes;
}

/* Read the BGPConfiguration again; true if the one in use was replaced. */
static bool routing_export_cfg_read(struct routing_export *e)
{
	struct routing_export_bgpconfig c = {0};
	struct store_kv kv = {0};
	char err[JSON_ERROR_MAX + 64];
	int ret;

	ret = store_get(e->d->store, ROUTING_EXPORT_BGPCONFIG_KEY, &kv);
	if (ret == -ENOENT) {
		if (!e->cfg.n_services && !e->cfg.n_advs)
			return false;
		log_info("bgp: %s is gone: no service CIDRs, no prefixAdvertisements",
		         ROUTING_EXPORT_BGPCONFIG_KEY);
	} else if (ret < 0) {
		log_warn("bgp: reading %s: %s; keeping the service CIDRs in use",
		         ROUTING_EXPORT_BGPCONFIG_KEY, store_strerror(ret));
		return false;
	} else {
		ret = routing_export_bgpconfig_parse(kv.value, &c, err, sizeof(err));
		store_kv_clear(&kv);
		if (ret < 0) {
			log_warn(
			    "bgp: %s: %s; ignored, the last good service CIDRs and communities "
			    "stay",
			    ROUTING_EXPORT_BGPCONFIG_KEY, err);
			return false;
		}
	}
	routing_export_bgpconfig_free(&e->cfg);
	e->cfg = c;
	return true;
}

/* The service CIDRs to originate: the configured ones that are no block or address of ours. */
static int routing_export_services(struct routing_export *e, const struct routing_export_set *cur,
                                   struct routing_export_set *out)
{
	size_t i;

	out->p = calloc(e->cfg.n_services ? e->cfg.n_services : 1, sizeof(*out->p));
	out->n = 0;
	if (!out->p)
		return -ENOMEM;
	for (i = 0; i < e->cfg.n_services; i++)
		if (!routing_export_in(cur[RX_BLOCKS].p, cur[RX_BLOCKS].n, &e->cfg.services[i]) &&
		    !routing_export_in(cur[RX_HOSTS].p, cur[RX_HOSTS].n, &e->cfg.services[i]))
			out->p[out->n++] = e->cfg.services[i];
	return 0;
}

/* Read the lists again and originate/withdraw the difference (all: originate every one). */
static int routing_export_sync(struct routing_export *e, bool all)
{
	struct routing_export_set cur[RX_N] = {{0}};
	struct addr *borrowed = NULL;
	size_t n_borrowed = 0, i;
	int k, ret;

	clock_gettime(CLOCK_MONOTONIC, &e->last_sync);
	if (e->cfg_dirty) {
		e->cfg_dirty = false;
		all |= routing_export_cfg_read(e); /* the communities may have changed */
	}
	ret = ipam_blocks_affine(e->d->ipam, &cur[RX_BLOCKS].p, &cur[RX_BLOCKS].n);
	if (ret < 0) {
		log_warn("bgp: reading this node's affine blocks: %s; retrying at the next change",
		         strerror(-ret));
		goto out;
	}
	ret = ipam_borrowed_list(e->d->ipam, &borrowed, &n_borrowed);
	if (ret < 0) {
		log_warn("bgp: reading this node's borrowed addresses: %s; retrying at the next "
		         "change",
		         strerror(-ret));
		goto out;
	}
	cur[RX_HOSTS].p = calloc(n_borrowed ? n_borrowed : 1, sizeof(*cur[RX_HOSTS].p));
	if (!cur[RX_HOSTS].p) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n_borrowed; i++)
		prefix_from_addr(&cur[RX_HOSTS].p[i], &borrowed[i]);
	cur[RX_HOSTS].n = n_borrowed;
	ret = routing_export_services(e, cur, &cur[RX_SERVICES]);
	if (ret < 0)
		goto out;
	if (routing_export_diff(e, cur, all))
		routing_fib_local_changed(e->d);
	for (k = 0; k < RX_N; k++) {
		free(e->set[k].p);
		e->set[k] = cur[k];
		cur[k].p = NULL;
	}
	ret = 0;
out:
	for (k = 0; k < RX_N; k++)
		free(cur[k].p);
	free(borrowed);
	return ret;
}

/* ---- watches ---- */

static void routing_export_arm(struct routing_export *e)
{
	struct timeval tv = {0};
	struct timespec now;
	long ms;

	if (evtimer_pending(e->debounce, NULL))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - e->last_sync.tv_sec) * 1000 +
	     (now.tv_nsec - e->last_sync.tv_nsec) / 1000000;
	if (ms >= 0 && ms < ROUTING_EXPORT_DEBOUNCE_MS)
		tv.tv_usec = (ROUTING_EXPORT_DEBOUNCE_MS - ms) * 1000;
	evtimer_add(e->debounce, &tv);
}

static void routing_export_watch_cb(const struct store_event *ev, void *arg)
{
	(void)ev;
	routing_export_arm(arg);
}

static void routing_export_cfg_watch_cb(const struct store_event *ev, void *arg)
{
	struct routing_export *e = arg;

	if (strcmp(ev->key, ROUTING_EXPORT_BGPCONFIG_KEY) != 0)
		return; /* per-node configurations ("node.NAME") are not read */
	e->cfg_dirty = true;
	routing_export_arm(e);
}

static int routing_export_watch(struct routing_export *e, const char *prefix, store_watch_fn fn,
                                struct store_watch **w)
{
	int ret = store_watch(e->d->store, prefix, 0, fn, e, w);

	if (ret < 0) {
		*w = NULL;
		log_err("bgp: watching %s: %s", prefix, store_strerror(ret));
	}
	return ret;
}

/*
 * A watch that fell behind compaction is started again (true); the full
 * resync that follows covers the gap.
 */
static bool routing_export_rewatch(struct routing_export *e, const char *prefix, store_watch_fn fn,
                                   struct store_watch **w)
{
	if (*w && store_watch_error(*w) == 0)
		return false;
	if (*w)
		store_watch_cancel(*w);
	log_warn("bgp: the watch on %s fell behind; watching again", prefix);
	routing_export_watch(e, prefix, fn, w);
	return true;
}

static void routing_export_debounce_cb(evutil_socket_t fd, short what, void *arg)
{
	struct routing_export *e = arg;

	(void)fd;
	(void)what;
	routing_export_rewatch(e, ROUTING_EXPORT_PREFIX, routing_export_watch_cb, &e->watch);
	if (routing_export_rewatch(e, ROUTING_EXPORT_CFG_PREFIX, routing_export_cfg_watch_cb,
	                           &e->cfg_watch))
		e->cfg_dirty = true;
	routing_export_sync(e, false);
}

int routing_export_start(struct tabbyd *d)
{
	struct routing_export *e = calloc(1, sizeof(*e));
	int ret;

	if (!e)
		return -ENOMEM;
	e->d = d;
	e->debounce = evtimer_new(d->base, routing_export_debounce_cb, e);
	if (!e->debounce) {
		ret = -ENOMEM;
		goto fail;
	}
	/* Watches before the first read: no change is missed. */
	ret = routing_export_watch(e, ROUTING_EXPORT_PREFIX, routing_export_watch_cb, &e->watch);
	if (ret < 0)
		goto fail;
	ret = routing_export_watch(e, ROUTING_EXPORT_CFG_PREFIX, routing_export_cfg_watch_cb,
	                           &e->cfg_watch);
	if (ret < 0)
		goto fail;
	d->rt_export = e;
	e->cfg_dirty = true;
	routing_export_sync(e, true);
	log_info("bgp: exporting %zu affine block%s, %zu borrowed address%s and %zu service "
	         "CIDR%s",
	         e->set[RX_BLOCKS].n, e->set[RX_BLOCKS].n == 1 ? "" : "s", e->set[RX_HOSTS].n,
	         e->set[RX_HOSTS].n == 1 ? "" : "es", e->set[RX_SERVICES].n,
	         e->set[RX_SERVICES].n == 1 ? "" : "s");
	return 0;
fail:
	if (e->watch)
		store_watch_cancel(e->watch);
	if (e->debounce)
		event_free(e->debounce);
	free(e);
	return ret;
}

/* Originate every exported prefix again (after a reload touched the originations). */
void routing_export_refresh(struct tabbyd *d)
{
	if (d->rt_export)
		routing_export_sync(d->rt_export, true);
}

/* Stop watching; the originations go with the speaker. */
void routing_export_stop(struct tabbyd *d)
{
	struct routing_export *e = d->rt_export;
	int k;

	if (!e)
		return;
	if (e->watch)
		store_watch_cancel(e->watch);
	if (e->cfg_watch)
		store_watch_cancel(e->cfg_watch);
	event_free(e->debounce);
	for (k = 0; k < RX_N; k++)
		free(e->set[k].p);
	routing_export_bgpconfig_free(&e->cfg);
	free(e);
	d->rt_export = NULL;
}
