/*
 * DOC: CNI GC (SPEC.md 1.1.0 "GC"): release what the runtime no longer lists.
 *
 * Every endpoint of the network whose (containerID, ifname) is not among
 * cni.dev/valid-attachments is torn down like a DEL. Then the allocations
 * that this node holds under a handle of the network with no workload
 * endpoint anywhere (an ADD that crashed half-way, say) are released.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/ipam.h>
#include <tabby/log.h>
#include <tabby/store.h>

#include "tabbyd.h"

static bool cni_gc_valid(const struct api_cni_request *req, const char *container_id,
                         const char *ifname)
{
	size_t i;

	for (i = 0; i < req->n_attachments; i++)
		if (strcmp(req->attachments[i].container_id, container_id) == 0 &&
		    strcmp(req->attachments[i].ifname, ifname) == 0)
			return true;
	return false;
}

/* Allocations of this node's handles in the network with no endpoint anywhere. */
static int cni_gc_allocations(struct tabbyd *d, const struct api_cni_request *req,
                              unsigned *released)
{
	struct ipam_check_report rep = {0};
	struct store_list l = {0};
	const char **live = NULL;
	size_t i, prefix_len = strlen(req->network);
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
		unsigned n = 0;

		if (!a->handle || !a->node || strcmp(a->node, d->cfg.node_name) != 0 ||
		    strncmp(a->handle, req->network, prefix_len) != 0 ||
		    a->handle[prefix_len] != ':')
			continue;
		if (ipam_release_by_handle(d->ipam, a->handle, &n) == 0 && n) {
			log_info("GC: released %u address%s of handle %s (no endpoint)", n,
			         n == 1 ? "" : "es", a->handle);
			*released += n;
		}
	}
out:
	ipam_check_report_free(&rep);
	free(live);
	store_list_free(&l);
	return ret;
}

void cni_gc(struct tabbyd *d, const struct api_cni_request *req, struct cni_reply *rep)
{
	struct tabbyd_endpoint *eps = NULL;
	unsigned removed = 0, released = 0;
	size_t n = 0, i;
	char err[256];
	int ret;

	ret = endpoint_list(d, &eps, &n);
	if (ret < 0) {
		cni_fail(rep, 503, 11, store_strerror(ret), "listing endpoints: %s",
		         store_strerror(ret));
		return;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(eps[i].network, req->network) != 0 ||
		    cni_gc_valid(req, eps[i].container_id, eps[i].ifname))
			continue;
		if (cni_endpoint_teardown(d, eps[i].network, eps[i].container_id, eps[i].ifname,
		                          eps[i].netns, eps[i].host_ifname, eps[i].addrs,
		                          eps[i].n_addrs, err, sizeof(err)) < 0)
			log_warn("GC: %s: %s", eps[i].id, err);
		else
			removed++;
	}
	for (i = 0; i < n; i++)
		endpoint_clear(&eps[i]);
	free(eps);
	ret = cni_gc_allocations(d, req, &released);
	if (ret < 0) {
		cni_fail(rep, 503, 11, strerror(-ret), "GC of allocations failed: %s",
		         strerror(-ret));
		return;
	}
	log_info("GC of network %s: %u endpoint%s removed, %u leaked address%s released",
	         req->network, removed, removed == 1 ? "" : "s", released,
	         released == 1 ? "" : "es");
	rep->http_status = 204;
}
