/*
 * DOC: address assignment (Calico's AutoAssign and AssignIP).
 *
 * Auto-assign, per address, in Calico's order:
 *   1. a free address in a block affine to this node (from the context's
 *      cache: no read, one transaction);
 *   2. otherwise, if autoAllocateBlocks and the node holds fewer than
 *      maxBlocksPerHost blocks, claim a new block of an eligible pool and
 *      go back to 1;
 *   3. otherwise, unless strictAffinity, borrow a free address from a block
 *      of another node (or of no node);
 *   4. otherwise the pools are exhausted: -ENOSPC.
 * Each allocation is one transaction: the block with CAS on its revision
 * and the handle's count. A lost CAS means another writer got there first:
 * re-read what changed and go round again, up to IPAM_RETRIES times.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/log.h>

#include "ipam_impl.h"

static const char *ipam_family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

static bool ipam_in_pools(const struct prefix *cidr, const struct ipam_pool *pools, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (prefix_contains(&pools[i].cidr, cidr))
			return true;
	return false;
}

/* One address from cached block i: 0, -ENOSPC (full) or -ESTALE (re-read, go round). */
static int ipam_assign_cached(struct ipam *ipam, size_t i, const char *handle,
                              const struct ipam_attrs *attrs, struct ipam_handle_state *hs,
                              struct addr *out)
{
	struct ipam_cached_block *cb = &ipam->cache[i];
	uint32_t ord;
	int64_t rev;
	int ret;

	ret = ipam_block_alloc(&cb->b, handle, attrs, ipam->node, &ord);
	if (ret < 0)
		return ret;
	ret = ipam_commit(ipam->s, &cb->b, cb->rev, hs, handle, 1, &rev);
	if (ret == 0) {
		cb->rev = rev;
		ipam_block_addr(&cb->b, ord, out);
		return 0;
	}
	/* The cached copy now holds an allocation that was not written. */
	if (ret == -ESTALE) {
		int r = ipam_cache_refresh(ipam, i);

		return r < 0 ? r : -ESTALE;
	}
	ipam_cache_drop(ipam, i);
	return ret;
}

/*
 * Step 3: an address from someone else's block. Our own blocks are looked at
 * too: a borrower may have freed an address in one since the cache was read.
 */
static int ipam_borrow(struct ipam *ipam, const struct ipam_pool *pools, size_t n_pools,
                       const char *handle, const struct ipam_attrs *attrs,
                       struct ipam_handle_state *hs, struct addr *out, bool *borrowed)
{
	struct store_list l = {0};
	size_t i;
	int ret;

	ret = store_list(ipam->s, IPAM_KEY_BLOCKS, &l);
	if (ret < 0)
		return ipam_fail(ipam, ret, "reading blocks: %s", store_strerror(ret));
	ret = -ENOSPC;
	for (i = 0; i < l.n && ret == -ENOSPC; i++) {
		struct ipam_block b;
		uint32_t ord;
		int64_t rev;
		ssize_t ci;

		if (ipam_block_from_json(l.kvs[i].value, &b) < 0)
			continue;
		if (b.n_unalloc && ipam_in_pools(&b.cidr, pools, n_pools)) {
			ret = ipam_block_alloc(&b, handle, attrs, ipam->node, &ord);
			if (ret == 0)
				ret =
				    ipam_commit(ipam->s, &b, l.kvs[i].mod_rev, hs, handle, 1, &rev);
			if (ret == 0)
				ipam_block_addr(&b, ord, out);
			if (ret == 0 && (ci = ipam_cache_find(ipam, &b.cidr)) >= 0) {
				ipam_block_clear(&ipam->cache[ci].b);
				ipam->cache[ci].b = b;
				ipam->cache[ci].rev = rev;
				memset(&b, 0, sizeof(b));
			} else if (ret == 0 && !ipam_block_affine_to(&b, ipam->node)) {
				char buf[ADDR_STRLEN];

				*borrowed = true;
				log_info("ipam: node %s borrowed %s from block of %s", ipam->node,
				         addr_format(out, buf, sizeof(buf)),
				         b.affinity ? b.affinity : "no node");
			}
		}
		ipam_block_clear(&b);
	}
	store_list_free(&l);
	return ret;
}

/* Step 2: claim a new block if the configuration allows it. 0 claimed, -ENOSPC not. */
int ipam_claim(struct ipam *ipam, const struct ipam_config *cfg, unsigned max_blocks,
               const struct ipam_pool *pools, size_t n_pools)
{
	size_t n_aff = 0, i;
	int ret;

	if (!cfg->auto_allocate_blocks)
		return -ENOSPC;
	ret = ipam_affinity_count(ipam->s, ipam->node, &n_aff);
	if (ret < 0)
		return ret;
	if (max_blocks && n_aff >= max_blocks)
		return -ENOSPC;
	for (i = 0; i < n_pools; i++) {
		ret = ipam_affinity_claim(ipam, &pools[i], NULL);
		if (ret != -ENOSPC)
			return ret;
	}
	return -ENOSPC;
}

static int ipam_assign_one(struct ipam *ipam, int family, const struct ipam_assign_args *args,
                           struct ipam_handle_state *hs, struct addr *out, bool *borrowed)
{
	struct ipam_pool *pools = NULL;
	struct ipam_config cfg;
	size_t n_pools = 0, i, attempt;
	bool reloaded = false, have_cfg = false;
	unsigned max_blocks;
	int ret;

	ret = ipam_pools_eligible(ipam, family, args->pools, args->n_pools, &pools, &n_pools);
	if (ret < 0)
		return ret;
	if (n_pools == 0) {
		ret = ipam_fail(ipam, -ENOENT, "no enabled %s pool for node %s",
		                ipam_family_name(family), ipam->node);
		goto out;
	}
	for (attempt = 0; attempt < IPAM_RETRIES; attempt++) {
		/* 1. blocks affine to this node */
		ret = -ENOSPC;
		for (i = 0; i < ipam->n_cache; i++) {
			struct ipam_block *b = &ipam->cache[i].b;

			if (b->cidr.addr.family != family || !b->n_unalloc ||
			    !ipam_in_pools(&b->cidr, pools, n_pools))
				continue;
			ret = ipam_assign_cached(ipam, i, args->handle, &args->attrs, hs, out);
			break;
		}
		if (ret == -ESTALE)
			continue;
		if (ret != -ENOSPC)
			goto out;
		if (!reloaded) {
			/* Others may have released addresses in our blocks: look again. */
			reloaded = true;
			ret = ipam_cache_load(ipam);
			if (ret < 0)
				goto out;
			continue;
		}
		if (!have_cfg) {
			ret = ipam_config_get(ipam->s, &cfg);
			if (ret < 0)
				goto out;
			have_cfg = true;
		}
		/* 2. a new block */
		max_blocks =
		    args->max_blocks_per_host ? args->max_blocks_per_host : cfg.max_blocks_per_host;
		ret = ipam_claim(ipam, &cfg, max_blocks, pools, n_pools);
		if (ret == 0)
			continue;
		if (ret != -ENOSPC)
			goto out;
		/* 3. borrow */
		if (cfg.strict_affinity) {
			ret = ipam_fail(ipam, -ENOSPC,
			                "no free %s address in this node's blocks and no free "
			                "block to claim (strictAffinity forbids borrowing)",
			                ipam_family_name(family));
			goto out;
		}
		ret = ipam_borrow(ipam, pools, n_pools, args->handle, &args->attrs, hs, out,
		                  borrowed);
		if (ret == -ENOSPC)
			ipam_fail(ipam, ret, "%s pools exhausted: no free address for node %s",
			          ipam_family_name(family), ipam->node);
		if (ret != -ESTALE)
			goto out;
	}
	ret = ipam_fail(ipam, -EAGAIN, "gave up after %d conflicting writes", IPAM_RETRIES);
out:
	ipam_pool_list_free(pools, n_pools);
	return ret;
}

int ipam_auto_assign(struct ipam *ipam, const struct ipam_assign_args *args,
                     struct ipam_assign_result *res)
{
	struct ipam_handle_state hs = {0};
	char saved[IPAM_ERRLEN];
	unsigned k;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	ipam->err[0] = '\0';
	if (!ipam_handle_id_valid(args->handle))
		return ipam_fail(ipam, -EINVAL, "handle: missing, too long or contains '/'");
	if (args->num4 + args->num6 == 0 || args->num4 + args->num6 > IPAM_ASSIGN_MAX)
		return ipam_fail(ipam, -EINVAL, "asked for %u addresses (1..%d)",
		                 args->num4 + args->num6, IPAM_ASSIGN_MAX);
	if (!ipam->synced) {
		ret = ipam_sync(ipam);
		if (ret < 0)
			return ret;
	}
	for (k = 0; k < args->num4 + args->num6 && ret == 0; k++) {
		bool borrowed = false;

		ret = ipam_assign_one(ipam, k < args->num4 ? AF_INET : AF_INET6, args, &hs,
		                      &res->addrs[res->n], &borrowed);
		if (ret == 0) {
			res->n++;
			res->borrowed += borrowed;
		}
	}
	ipam_handle_state_clear(&hs);
	if (ret < 0 && res->n) {
		/* All or nothing: give back what this call got. */
		snprintf(saved, sizeof(saved), "%s", ipam->err);
		ipam_release_ips(ipam, res->addrs, res->n, NULL);
		snprintf(ipam->err, sizeof(ipam->err), "%s", saved);
		res->n = 0;
		res->borrowed = 0;
	}
	return ret;
}

int ipam_assign_ip(struct ipam *ipam, const struct addr *a, const char *handle,
                   const struct ipam_attrs *attrs)
{
	char bkey[IPAM_KEY_MAX], buf[ADDR_STRLEN];
	struct ipam_handle_state hs = {0};
	struct ipam_pool *pools = NULL;
	const struct ipam_pool *pool;
	struct ipam_config cfg;
	struct prefix cidr;
	size_t n_pools = 0, attempt;
	ssize_t ci;
	int ret;

	ipam->err[0] = '\0';
	addr_format(a, buf, sizeof(buf));
	if (!ipam_handle_id_valid(handle))
		return ipam_fail(ipam, -EINVAL, "handle: missing, too long or contains '/'");
	if (!ipam->synced) {
		ret = ipam_sync(ipam);
		if (ret < 0)
			return ret;
	}
	ret = ipam_config_get(ipam->s, &cfg);
	if (ret == 0)
		ret = ipam_pool_list(ipam->s, &pools, &n_pools);
	if (ret < 0)
		return ipam_fail(ipam, ret, "reading IPAM configuration: %s", store_strerror(ret));
	pool = ipam_pool_find(pools, n_pools, a);
	if (!pool) {
		ret = ipam_fail(ipam, -ENOENT, "%s is not in any IP pool", buf);
		goto out;
	}
	prefix_from_addr(&cidr, a);
	cidr.len = (uint8_t)pool->block_size;
	prefix_normalize(&cidr);
	ipam_block_key(&cidr, bkey, sizeof(bkey));
	ret = -EAGAIN;
	for (attempt = 0; attempt < IPAM_RETRIES; attempt++) {
		struct store_kv kv = {0};
		struct ipam_block b = {0};
		uint32_t ord;
		int64_t rev;

		ret = store_get(ipam->s, bkey, &kv);
		if (ret == -ENOENT) {
			/* Nobody has the block: it becomes ours. */
			ret = ipam_affinity_claim(ipam, pool, &cidr);
			if (ret == 0 || ret == -EBUSY)
				continue;
			goto out;
		}
		if (ret == 0)
			ret = ipam_block_from_json(kv.value, &b);
		if (ret == 0 && cfg.strict_affinity && !ipam_block_affine_to(&b, ipam->node))
			ret = ipam_fail(ipam, -EPERM,
			                "%s is in a block of %s and strictAffinity is set", buf,
			                b.affinity ? b.affinity : "no node");
		if (ret == 0)
			ret = ipam_block_ordinal(&b, a, &ord);
		if (ret == 0) {
			ret = ipam_block_alloc_ordinal(&b, ord, handle, attrs, ipam->node);
			if (ret == -EEXIST)
				ipam_fail(ipam, ret, "%s is in use (handle %s)", buf,
				          ipam_block_attr_of(&b, ord)->handle);
		}
		if (ret == 0)
			ret = ipam_commit(ipam->s, &b, kv.mod_rev, &hs, handle, 1, &rev);
		if (ret == 0 && (ci = ipam_cache_find(ipam, &cidr)) >= 0) {
			ipam_block_clear(&ipam->cache[ci].b);
			ipam->cache[ci].b = b;
			ipam->cache[ci].rev = rev;
			memset(&b, 0, sizeof(b));
		}
		ipam_block_clear(&b);
		store_kv_clear(&kv);
		if (ret != -ESTALE)
			break;
	}
	if (ret == -ESTALE)
		ret = ipam_fail(ipam, -EAGAIN, "gave up after %d conflicting writes", IPAM_RETRIES);
	else if (ret < 0 && !ipam->err[0])
		ipam_fail(ipam, ret, "assigning %s: %s", buf, store_strerror(ret));
out:
	ipam_handle_state_clear(&hs);
	ipam_pool_list_free(pools, n_pools);
	return ret;
}
