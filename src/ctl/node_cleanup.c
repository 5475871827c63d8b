/*
 * DOC: cleanup after `tabbyctl delete node NAME`, as `calicoctl delete node`.
 *
 * Deleting the Node document alone leaves the node's address blocks affine to
 * it and their addresses allocated, so the pool shrinks by every block a gone
 * node held. Before the document is deleted (so that a failed cleanup can be
 * run again with the same command), as libcalico-go does:
 *  1. ipam_release_node(): every address whose attributes name the node is
 *     released wherever it is, then its block affinities; empty blocks are
 *     deleted, a block still holding addresses other nodes borrowed loses its
 *     affinity and goes once empty;
 *  2. its workload endpoints (/tabby/v1/workloads/NAME/) are deleted;
 *  3. the Node document is deleted.
 * Stop the node's tabbyd first: a running agent would claim blocks again.
 * The node's BGP sessions are dropped by every agent's mesh watch on the Node
 * documents, and the routes it advertised are withdrawn as those sessions
 * close (doc/routing.md).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include <tabby/ipam.h>
#include <tabby/store.h>

#include "ctl.h"
#include "node_cleanup.h"

#define CTL_NODE_CLEANUP_KEY_MAX 512

/* Delete every workload endpoint of the node; the number deleted or a negative errno. */
static int ctl_node_cleanup_endpoints(struct store *s, const char *name, unsigned *deleted)
{
	char prefix[CTL_NODE_CLEANUP_KEY_MAX];
	struct store_list l = {0};
	size_t i;
	int ret;

	*deleted = 0;
	snprintf(prefix, sizeof(prefix), STORE_KEY_PREFIX "workloads/%s/", name);
	ret = store_list(s, prefix, &l);
	if (ret < 0)
		goto out;
	for (i = 0; i < l.n; i++) {
		ret = store_delete(s, l.kvs[i].key, 0);
		if (ret == -ENOENT) /* gone meanwhile */
			ret = 0;
		if (ret < 0)
			goto out;
		(*deleted)++;
	}
out:
	store_list_free(&l);
	return ret;
}

int ctl_node_delete(struct ctl *c, struct store *s, const char *key, const char *name)
{
	unsigned ips = 0, blocks = 0, endpoints = 0;
	struct store_kv kv = {0};
	int ret;

	ret = store_get(s, key, &kv);
	if (ret == -ENOENT) {
		fprintf(c->err, "tabbyctl: Node \"%s\" not found\n", name);
		goto out;
	}
	if (ret < 0) {
		fprintf(c->err, "tabbyctl: Node \"%s\": %s\n", name, store_strerror(ret));
		goto out;
	}
	ret = ipam_release_node(s, name, &ips, &blocks);
	if (ret < 0) {
		fprintf(c->err, "tabbyctl: Node \"%s\": releasing its IPAM data: %s; not deleted\n",
		        name, store_strerror(ret));
		goto out;
	}
	ret = ctl_node_cleanup_endpoints(s, name, &endpoints);
	if (ret < 0) {
		fprintf(c->err,
		        "tabbyctl: Node \"%s\": deleting its workload endpoints: %s; not deleted\n",
		        name, store_strerror(ret));
		goto out;
	}
	ret = store_delete(s, key, 0);
	if (ret < 0) {
		fprintf(c->err, "tabbyctl: Node \"%s\": %s\n", name, store_strerror(ret));
		goto out;
	}
	fprintf(c->out,
	        "Released node %s: %u address%s, %u block affinit%s, %u workload endpoint%s\n",
	        name, ips, ips == 1 ? "" : "es", blocks, blocks == 1 ? "y" : "ies", endpoints,
	        endpoints == 1 ? "" : "s");
out:
	store_kv_clear(&kv);
	return ret;
}
