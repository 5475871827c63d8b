/*
 * DOC: start-up reconciliation: datastore, IPAM and kernel brought in line.
 *
 * Runs once before READY=1, and must never disturb a healthy pod (a restart
 * of tabbyd is invisible to running pods):
 *  1. IPAM repair (ipam_sync: pending claims of a crashed agent).
 *  2. Endpoints: a workload endpoint of this node whose network namespace is
 *     gone, or whose host veth is gone, belongs to a pod that no longer
 *     exists: its veth, routes and addresses are removed (a DEL the runtime
 *     never sent). Healthy endpoints are not touched.
 *  3. Allocations held by this node under a handle with no endpoint are
 *     reported (they may belong to an ADD in flight elsewhere; CNI GC or
 *     `tabbyctl ipam check` releases them).
 *  4. Routes: blackholes for this node's affine blocks are installed; routes
 *     with Tabby's protocol that nothing wants any more are removed:
 *     blackholes of blocks no longer affine, and host routes (/32, /128
 *     device routes) for addresses no endpoint holds. Routes with a gateway
 *     are learned ones and belong to the FIB reconciler, not to this pass.
 */
#include "config.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tabby/dataplane.h>
#include <tabby/ipam.h>
#include <tabby/log.h>
#include <tabby/store.h>

#include "tabbyd.h"

struct reconcile_routes {
	struct tabbyd *d;
	const struct tabbyd_endpoint *eps;
	size_t n_eps;
	const struct prefix *blocks;
	size_t n_blocks;
	struct dp_route *stale;
	size_t n_stale, cap_stale;
};

static bool reconcile_endpoint_gone(const struct tabbyd_endpoint *ep, char *why, size_t len)
{
	if (ep->netns && access(ep->netns, F_OK) < 0) {
		snprintf(why, len, "network namespace %s is gone", ep->netns);
		return true;
	}
	if (ep->host_ifname && if_nametoindex(ep->host_ifname) == 0) {
		snprintf(why, len, "host interface %s is gone", ep->host_ifname);
		return true;
	}
	return false;
}

static int reconcile_endpoints(struct tabbyd *d, struct tabbyd_endpoint *eps, size_t n,
                               struct reconcile_stats *st)
{
	char why[300], err[256];
	size_t i;

	for (i = 0; i < n; i++) {
		st->endpoints++;
		if (!reconcile_endpoint_gone(&eps[i], why, sizeof(why)))
			continue;
		log_notice("endpoint %s: %s: cleaning up", eps[i].id, why);
		if (cni_endpoint_teardown(d, eps[i].network, eps[i].container_id, eps[i].ifname,
		                          eps[i].netns, eps[i].host_ifname, eps[i].addrs,
		                          eps[i].n_addrs, err, sizeof(err)) < 0) {
			log_warn("endpoint %s: cleanup failed: %s", eps[i].id, err);
			continue;
		}
		st->endpoints_removed++;
		/* Mark it so the route pass no longer counts its addresses as wanted. */
		eps[i].n_addrs = 0;
	}
	return 0;
}

static int reconcile_allocations(struct tabbyd *d, struct reconcile_stats *st)
{
	struct ipam_check_report rep = {0};
	struct store_list l = {0};
	const char **live = NULL;
	char buf[ADDR_STRLEN];
	size_t i;
	int ret;

	ret = store_list(d->store, STORE_KEY_PREFIX "workloads/", &l);
	if (ret < 0)
		goto out;
	live = calloc(l.n + 1, sizeof(*live));
	if (!live) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < l.n; i++)
		live[i] = strrchr(l.kvs[i].key, '/') + 1;
	ret = ipam_check(d->store, live, l.n, NULL, 0, &rep);
	if (ret < 0)
		goto out;
	for (i = 0; i < rep.n_leaked; i++) {
		const struct ipam_check_alloc *a = &rep.leaked[i];

		if (!a->node || strcmp(a->node, d->cfg.node_name) != 0)
			continue;
		st->leaked_allocations++;
		log_warn("address %s (handle %s, pod %s/%s) is allocated to this node but has no "
		         "workload endpoint; CNI GC or `tabbyctl ipam check` can release it",
		         addr_format(&a->addr, buf, sizeof(buf)), a->handle ? a->handle : "-",
		         a->namespace ? a->namespace : "-", a->pod ? a->pod : "-");
	}
out:
	ipam_check_report_free(&rep);
	free(live);
	store_list_free(&l);
	return ret;
}

static bool reconcile_route_wanted(const struct reconcile_routes *rr, const struct dp_route *r)
{
	size_t i, k;

	if (r->type == RTN_BLACKHOLE) {
		for (i = 0; i < rr->n_blocks; i++)
			if (prefix_eq(&rr->blocks[i], &r->dst))
				return true;
		return false;
	}
	if (r->n_nexthops != 1 || r->nh[0].gw.family != 0)
		return true; /* a learned route: the FIB reconciler's business */
	if (r->dst.len != addr_bits(r->dst.addr.family))
		return true; /* not a host route */
	for (i = 0; i < rr->n_eps; i++)
		for (k = 0; k < rr->eps[i].n_addrs; k++)
			if (addr_eq(&rr->eps[i].addrs[k], &r->dst.addr))
				return true;
	return false;
}

static int reconcile_route_cb(const struct dp_route *r, void *arg)
{
	struct reconcile_routes *rr = arg;

	if (reconcile_route_wanted(rr, r))
		return 0;
	if (rr->n_stale == rr->cap_stale) {
		size_t cap = rr->cap_stale ? rr->cap_stale * 2 : 16;
		struct dp_route *n = realloc(rr->stale, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		rr->stale = n;
		rr->cap_stale = cap;
	}
	rr->stale[rr->n_stale++] = *r;
	return 0;
}

static int reconcile_kernel_routes(struct tabbyd *d, const struct tabbyd_endpoint *eps, size_t n,
                                   struct reconcile_stats *st)
{
	struct reconcile_routes rr = {.d = d, .eps = eps, .n_eps = n};
	char buf[PREFIX_STRLEN];
	size_t i;
	int ret;

	ret = cni_blackholes_sync(d);
	if (ret < 0) {
		log_warn("affine blocks: %s", ipam_last_error(d->ipam));
		return ret;
	}
	st->blackholes = (unsigned)d->n_blackholes;
	rr.blocks = d->blackholes;
	rr.n_blocks = d->n_blackholes;
	ret = dp_routes_list_own(d->nl, AF_UNSPEC, reconcile_route_cb, &rr);
	if (ret < 0) {
		log_warn("listing Tabby's kernel routes: %s", nl_ctx_error(d->nl));
		goto out;
	}
	for (i = 0; i < rr.n_stale; i++) {
		prefix_format(&rr.stale[i].dst, buf, sizeof(buf));
		if (dp_route_del(d->nl, &rr.stale[i]) < 0) {
			log_warn("stale route %s: %s", buf, nl_ctx_error(d->nl));
			continue;
		}
		st->routes_removed++;
		log_notice("stale %sroute %s removed",
		           rr.stale[i].type == RTN_BLACKHOLE ? "blackhole " : "", buf);
	}
out:
	free(rr.stale);
	return ret;
}

int reconcile_startup(struct tabbyd *d, struct reconcile_stats *st)
{
	struct tabbyd_endpoint *eps = NULL;
	size_t n = 0, i;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = ipam_sync(d->ipam);
	if (ret < 0)
		log_warn("IPAM repair: %s", ipam_last_error(d->ipam));
	ret = endpoint_list(d, &eps, &n);
	if (ret < 0) {
		log_err("listing this node's endpoints: %s", store_strerror(ret));
		return ret;
	}
	reconcile_endpoints(d, eps, n, st);
	if (reconcile_allocations(d, st) < 0)
		log_warn("checking allocations against endpoints failed");
	reconcile_kernel_routes(d, eps, n, st);
	for (i = 0; i < n; i++)
		endpoint_clear(&eps[i]);
	free(eps);
	log_info("reconciled: %u endpoint%s (%u removed), %u allocation%s without endpoint, "
	         "%u affine block%s, %u stale route%s removed",
	         st->endpoints, st->endpoints == 1 ? "" : "s", st->endpoints_removed,
	         st->leaked_allocations, st->leaked_allocations == 1 ? "" : "s", st->blackholes,
	         st->blackholes == 1 ? "" : "s", st->routes_removed,
	         st->routes_removed == 1 ? "" : "s");
	return 0;
}
