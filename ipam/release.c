/*
 * DOC: releasing addresses (Calico's ReleaseByHandle, ReleaseIPs) and nodes.
 *
 * Release by handle reads the handle to learn its blocks, then frees the
 * handle's ordinals block by block, each time in one transaction with the
 * handle's new count (the handle document disappears with its last block).
 * A block that has no affinity (its node was released) is deleted when its
 * last address goes. Releasing something already released is not an error:
 * CNI DEL must be idempotent.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/log.h>

#include "ipam_impl.h"

/* Subtracting this from a handle's count for a block removes the block from it. */
#define IPAM_DELTA_ALL (INT_MIN / 2)

/* A block by CIDR, from the cache when it is ours. */
static int ipam_release_get_block(struct ipam *ipam, const struct prefix *cidr,
                                  struct ipam_block *b, int64_t *rev)
{
	char key[IPAM_KEY_MAX];
	struct store_kv kv = {0};
	int ret;

	ipam_block_key(cidr, key, sizeof(key));
	ret = store_get(ipam->s, key, &kv);
	if (ret == 0)
		ret = ipam_block_from_json(kv.value, b);
	*rev = kv.mod_rev;
	store_kv_clear(&kv);
	return ret;
}

/* After a successful write keep the cached copy of our block current. */
static void ipam_release_update_cache(struct ipam *ipam, struct ipam_block *b, int64_t rev)
{
	ssize_t ci = ipam_cache_find(ipam, &b->cidr);

	if (ci < 0)
		return;
	if (ipam_block_in_use(b) == 0 && !b->affinity) {
		ipam_cache_drop(ipam, (size_t)ci);
		return;
	}
	ipam_block_clear(&ipam->cache[ci].b);
	ipam->cache[ci].b = *b;
	ipam->cache[ci].rev = rev;
	memset(b, 0, sizeof(*b));
}

/* The handle counts a block that is gone: drop it from the handle. */
static int ipam_release_handle_only(struct store *s, struct ipam_handle_state *hs,
                                    const struct prefix *cidr)
{
	char key[IPAM_KEY_MAX];
	char *json = NULL;
	int64_t rev = 0;
	int ret;

	ret = ipam_handle_add(&hs->h, cidr, IPAM_DELTA_ALL);
	if (ret < 0)
		return ret == -ENOENT ? 0 : ret;
	ipam_handle_key(hs->h.id, key, sizeof(key));
	if (hs->h.n == 0) {
		ret = store_delete(s, key, hs->rev);
		rev = 0;
	} else {
		json = ipam_handle_to_json(&hs->h);
		ret = json ? store_update(s, key, json, hs->rev, &rev) : -ENOMEM;
	}
	free(json);
	if (ret == 0)
		hs->rev = rev;
	else
		hs->known = false; /* what we changed in hs->h was not written */
	return ret;
}

/* Free the handle's addresses in one block. */
static int ipam_release_handle_block(struct ipam *ipam, const char *handle,
                                     struct ipam_handle_state *hs, const struct prefix *cidr,
                                     unsigned *released)
{
	size_t attempt;
	int ret = 0;

	for (attempt = 0; attempt < IPAM_RETRIES; attempt++) {
		struct ipam_block b = {0};
		int64_t rev = 0, new_rev;
		uint32_t n;

		if (!hs->known) {
			ret = ipam_handle_state_load(ipam->s, handle, hs);
			if (ret < 0)
				break;
		}
		ret = ipam_release_get_block(ipam, cidr, &b, &rev);
		if (ret == -ENOENT) {
			ret = ipam_release_handle_only(ipam->s, hs, cidr);
		} else if (ret == 0) {
			n = ipam_block_release_handle(&b, handle);
			ret = ipam_commit(ipam->s, &b, rev, hs, handle, IPAM_DELTA_ALL, &new_rev);
			if (ret == 0) {
				*released += n;
				ipam_release_update_cache(ipam, &b, new_rev);
			}
		}
		ipam_block_clear(&b);
		if (ret != -ESTALE && ret != -ENOENT)
			break;
		hs->known = false; /* re-read the handle too: it may be what changed */
	}
	if (ret == -ESTALE || ret == -ENOENT)
		ret = -EAGAIN;
	return ret;
}

int ipam_release_by_handle(struct ipam *ipam, const char *handle, unsigned *released)
{
	struct ipam_handle_state hs = {0};
	struct prefix *blocks = NULL;
	unsigned count = 0;
	size_t i, n;
	int ret;

	ipam->err[0] = '\0';
	if (!ipam_handle_id_valid(handle))
		return ipam_fail(ipam, -EINVAL, "handle: missing, too long or contains '/'");
	ret = ipam_handle_state_load(ipam->s, handle, &hs);
	if (ret < 0)
		goto out;
	n = hs.h.n;
	blocks = calloc(n ? n : 1, sizeof(*blocks));
	if (!blocks) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		blocks[i] = hs.h.entries[i].block;
	for (i = 0; i < n && ret == 0; i++)
		ret = ipam_release_handle_block(ipam, handle, &hs, &blocks[i], &count);
out:
	if (ret < 0)
		ipam_fail(ipam, ret, "releasing handle %s: %s", handle, store_strerror(ret));
	if (released)
		*released = count;
	free(blocks);
	ipam_handle_state_clear(&hs);
	return ret;
}

/* Free one address; *released is bumped if it was allocated. */
static int ipam_release_one(struct ipam *ipam, const struct prefix *cidr, const struct addr *a,
                            unsigned *released)
{
	struct ipam_handle_state hs = {0};
	size_t attempt;
	int ret = 0;

	for (attempt = 0; attempt < IPAM_RETRIES; attempt++) {
		struct ipam_block b = {0};
		struct ipam_attr attr = {0};
		int64_t rev = 0, new_rev;
		uint32_t ord;

		ret = ipam_release_get_block(ipam, cidr, &b, &rev);
		if (ret == 0)
			ret = ipam_block_ordinal(&b, a, &ord);
		if (ret == 0)
			ret = ipam_block_release_ordinal(&b, ord, &attr);
		if (ret == 0)
			ret = ipam_handle_state_load(ipam->s, attr.handle, &hs);
		if (ret == 0)
			ret = ipam_commit(ipam->s, &b, rev, &hs, attr.handle, -1, &new_rev);
		if (ret == 0) {
			(*released)++;
			ipam_release_update_cache(ipam, &b, new_rev);
		}
		ipam_attr_clear(&attr);
		ipam_block_clear(&b);
		if (ret != -ESTALE)
			break;
	}
	ipam_handle_state_clear(&hs);
	if (ret == -ENOENT || ret == -ERANGE)
		ret = 0; /* not allocated (any more): nothing to do */
	if (ret == -ESTALE)
		ret = -EAGAIN;
	return ret;
}

int ipam_release_ips(struct ipam *ipam, const struct addr *addrs, size_t n, unsigned *released)
{
	struct ipam_pool *pools = NULL;
	const struct ipam_pool *pool;
	char buf[ADDR_STRLEN];
	unsigned count = 0;
	size_t n_pools = 0, i;
	int ret;

	ipam->err[0] = '\0';
	ret = ipam_pool_list(ipam->s, &pools, &n_pools);
	for (i = 0; i < n && ret == 0; i++) {
		struct prefix cidr;
		ssize_t ci = -1;
		size_t j;

		/* The block size comes from the pool; a cached block answers without it. */
		for (j = 0; j < ipam->n_cache && ci < 0; j++)
			if (prefix_contains_addr(&ipam->cache[j].b.cidr, &addrs[i]))
				ci = (ssize_t)j;
		if (ci >= 0) {
			cidr = ipam->cache[ci].b.cidr;
		} else {
			pool = ipam_pool_find(pools, n_pools, &addrs[i]);
			if (!pool)
				continue;
			prefix_from_addr(&cidr, &addrs[i]);
			cidr.len = (uint8_t)pool->block_size;
			prefix_normalize(&cidr);
		}
		ret = ipam_release_one(ipam, &cidr, &addrs[i], &count);
		if (ret < 0)
			ipam_fail(ipam, ret, "releasing %s: %s",
			          addr_format(&addrs[i], buf, sizeof(buf)), store_strerror(ret));
	}
	ipam_pool_list_free(pools, n_pools);
	if (released)
		*released = count;
	return ret;
}

/* Free every address of the node in one block; *released counts them. */
static int ipam_release_node_block(struct store *s, const char *node, const char *key,
                                   unsigned *released)
{
	struct ipam_handle_state hs = {0};
	size_t attempt;
	int ret = 0;

	for (attempt = 0; attempt < IPAM_RETRIES; attempt++) {
		struct store_kv kv = {0};
		struct ipam_block b = {0};
		char *handle = NULL;
		uint32_t o, n = 0;

		ret = store_get(s, key, &kv);
		if (ret == 0)
			ret = ipam_block_from_json(kv.value, &b);
		for (o = 0; ret == 0 && o < b.n_ordinals && !handle; o++) {
			const struct ipam_attr *a = ipam_block_attr_of(&b, o);

			if (a && a->node && strcmp(a->node, node) == 0 &&
			    !(handle = strdup(a->handle)))
				ret = -ENOMEM;
		}
		if (handle) {
			n = ipam_block_release_handle(&b, handle);
			ret = ipam_handle_state_load(s, handle, &hs);
			if (ret == 0)
				ret = ipam_commit(s, &b, kv.mod_rev, &hs, handle, IPAM_DELTA_ALL,
				                  NULL);
			if (ret == 0)
				*released += n;
		}
		free(handle);
		ipam_block_clear(&b);
		store_kv_clear(&kv);
		if (ret == -ENOENT || (ret == 0 && !handle))
			break; /* block gone, or nothing of the node left in it */
		if (ret < 0 && ret != -ESTALE)
			break;
	}
	ipam_handle_state_clear(&hs);
	if (ret == -ENOENT)
		ret = 0;
	if (ret == -ESTALE)
		ret = -EAGAIN;
	return ret;
}

int ipam_release_node(struct store *s, const char *node, unsigned *released_ips,
                      unsigned *released_blocks)
{
	char prefix[IPAM_KEY_MAX];
	struct store_list l = {0};
	unsigned ips = 0, blocks = 0;
	size_t i;
	int ret;

	if (!ipam_name_valid(node))
		return -EINVAL;
	/* 1. the node's pods' addresses, wherever they are */
	ret = store_list(s, IPAM_KEY_BLOCKS, &l);
	for (i = 0; ret == 0 && i < l.n; i++)
		ret = ipam_release_node_block(s, node, l.kvs[i].key, &ips);
	store_list_free(&l);
	/* 2. its affinities: empty blocks go, others keep what others borrowed */
	snprintf(prefix, sizeof(prefix), "%s%s/", IPAM_KEY_AFFINITY, node);
	if (ret == 0)
		ret = store_list(s, prefix, &l);
	for (i = 0; ret == 0 && i < l.n; i++) {
		struct ipam_affinity a;
		bool deleted;

		if (ipam_affinity_from_json(l.kvs[i].value, &a) < 0) {
			ret = store_delete(s, l.kvs[i].key, l.kvs[i].mod_rev);
			continue;
		}
		ret = ipam_affinity_release(s, node, &a.cidr, &deleted);
		blocks++;
		ipam_affinity_clear(&a);
	}
	store_list_free(&l);
	/* 3. blocks that name the node without an affinity (a crash half-way) */
	if (ret == 0)
		ret = store_list(s, IPAM_KEY_BLOCKS, &l);
	for (i = 0; ret == 0 && i < l.n; i++) {
		struct ipam_block b;
		bool deleted;

		if (ipam_block_from_json(l.kvs[i].value, &b) < 0)
			continue;
		if (ipam_block_affine_to(&b, node)) {
			ret = ipam_affinity_release(s, node, &b.cidr, &deleted);
			blocks++;
		}
		ipam_block_clear(&b);
	}
	store_list_free(&l);
	if (ret < 0)
		log_err("ipam: releasing node %s: %s", node, store_strerror(ret));
	else
		log_info("ipam: released node %s: %u addresses, %u blocks", node, ips, blocks);
	if (released_ips)
		*released_ips = ips;
	if (released_blocks)
		*released_blocks = blocks;
	return ret;
}
