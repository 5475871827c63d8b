/*
 * DOC: group commit: many assignments or releases in one transaction.
 *
 * A durable write costs one fsync, and on ordinary disks an fsync takes
 * 1-3 ms: one assignment per transaction cannot go beyond a few hundred per
 * second, however little CPU it takes. An agent that has several requests in
 * hand (pods started together, a node drained) hands them over at once and
 * they share one transaction, hence one fsync: every block they touch is
 * updated with CAS on its revision, every handle created (or deleted) in
 * the same all-or-nothing step.
 *
 * Only the common case is batched: addresses from this node's cached affine
 * blocks, handles that are new (assign) or whose blocks are all ours
 * (release). Everything else, and everything after a lost CAS (the cache is
 * reloaded first), goes through the one-at-a-time path, so a batch gives the
 * same results as the calls made one by one.
 *
 * The same machinery commits one assignment or release together with the
 * caller's own operations (the CNI ADD's workload endpoint document, the DEL's
 * deletion of it): one fsync per CNI call instead of two or three.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam_impl.h"

#define IPAM_BATCH_PENDING 1 /* rets[i] before the request is decided */

struct ipam_batch {
	struct store_op *ops;
	char **keys, **values;
	size_t n_ops;
	bool *touched;               /* per cache entry */
	struct ipam_handle *handles; /* per request: what its handle will say */
	bool *planned;
};

static void ipam_batch_free(struct ipam_batch *bt, size_t n)
{
	size_t i;

	for (i = 0; i < bt->n_ops; i++) {
		free(bt->keys[i]);
		free(bt->values[i]);
	}
	for (i = 0; bt->handles && i < n; i++)
		ipam_handle_clear(&bt->handles[i]);
	free(bt->ops);
	free(bt->keys);
	free(bt->values);
	free(bt->touched);
	free(bt->handles);
	free(bt->planned);
	memset(bt, 0, sizeof(*bt));
}

static int ipam_batch_init(struct ipam_batch *bt, size_t n_cache, size_t n)
{
	size_t max_ops = n_cache + n + 1;

	memset(bt, 0, sizeof(*bt));
	bt->ops = calloc(max_ops, sizeof(*bt->ops));
	bt->keys = calloc(max_ops, sizeof(*bt->keys));
	bt->values = calloc(max_ops, sizeof(*bt->values));
	bt->touched = calloc(n_cache + 1, sizeof(*bt->touched));
	bt->handles = calloc(n + 1, sizeof(*bt->handles));
	bt->planned = calloc(n + 1, sizeof(*bt->planned));
	if (!bt->ops || !bt->keys || !bt->values || !bt->touched || !bt->handles || !bt->planned)
		return -ENOMEM;
	return 0;
}

/* Append one operation; key and value (may be NULL) are taken over. */
static int ipam_batch_op(struct ipam_batch *bt, enum store_op_type type, char *key, char *value,
                         int64_t rev)
{
	if (!key || (type != STORE_OP_DELETE && !value)) {
		free(key);
		free(value);
		return -ENOMEM;
	}
	bt->keys[bt->n_ops] = key;
	bt->values[bt->n_ops] = value;
	bt->ops[bt->n_ops] = (struct store_op){type, key, value, rev};
	bt->n_ops++;
	return 0;
}

static char *ipam_batch_block_key(const struct prefix *cidr)
{
	char key[IPAM_KEY_MAX];

	ipam_block_key(cidr, key, sizeof(key));
	return strdup(key);
}

static char *ipam_batch_handle_key(const char *id)
{
	char key[IPAM_KEY_MAX];

	ipam_handle_key(id, key, sizeof(key));
	return strdup(key);
}

/* Every touched cached block, written back with CAS. */
static int ipam_batch_blocks(struct ipam *ipam, struct ipam_batch *bt)
{
	size_t j;
	int ret = 0;

	for (j = 0; j < ipam->n_cache && ret == 0; j++)
		if (bt->touched[j])
			ret = ipam_batch_op(
			    bt, STORE_OP_UPDATE, ipam_batch_block_key(&ipam->cache[j].b.cidr),
			    ipam_block_to_json(&ipam->cache[j].b), ipam->cache[j].rev);
	return ret;
}

/* Commit; on success the touched blocks get the new revision, else the cache is reloaded. */
static int ipam_batch_commit(struct ipam *ipam, struct ipam_batch *bt)
{
	int64_t rev = 0;
	size_t j;
	int ret;

	ret = store_txn(ipam->s, bt->ops, bt->n_ops, &rev, NULL);
	if (ret == 0) {
		for (j = 0; j < ipam->n_cache; j++)
			if (bt->touched[j])
				ipam->cache[j].rev = rev;
		return 0;
	}
	/* The cached copies hold changes that were not written: read them again. */
	return ipam_cache_load(ipam) < 0 ? -EIO : ret;
}

/*
 * Write the planned batch (ret: how planning went). Returns whether it was
 * committed; if not, the cache is reloaded and the caller does the planned
 * requests one at a time, which reports any real error.
 */
static bool ipam_batch_finish(struct ipam *ipam, struct ipam_batch *bt, size_t planned, int ret)
{
	if (!planned)
		return false;
	if (ret == 0)
		ret = ipam_batch_blocks(ipam, bt);
	if (ret == 0)
		return ipam_batch_commit(ipam, bt) == 0;
	ipam_cache_load(ipam);
	return false;
}

static bool ipam_batch_dup(const char *const *ids, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (ids[k] && strcmp(ids[k], ids[i]) == 0)
			return true;
	return false;
}

static size_t ipam_batch_free_in(const struct ipam *ipam, const struct ipam_pool *pools,
                                 size_t n_pools)
{
	size_t j, p, room = 0;

	for (j = 0; j < ipam->n_cache; j++)
		for (p = 0; p < n_pools; p++)
			if (prefix_contains(&pools[p].cidr, &ipam->cache[j].b.cidr))
				room += ipam->cache[j].b.n_unalloc;
	return room;
}

/*
 * Free addresses per family in the cached blocks of the eligible pools,
 * claiming blocks first when the batch wants more than that (so that the
 * whole batch, not only its start, shares the transaction).
 */
static int ipam_batch_room(struct ipam *ipam, int family, size_t wanted, const char *const *names,
                           size_t n_names, unsigned max_blocks, struct ipam_pool **pools,
                           size_t *n_pools, size_t *room)
{
	struct ipam_config cfg;
	int ret;

	*room = 0;
	ret = ipam_pools_eligible(ipam, family, names, n_names, pools, n_pools);
	if (ret < 0 || !wanted)
		return ret;
	*room = ipam_batch_free_in(ipam, *pools, *n_pools);
	if (*room >= wanted)
		return 0;
	ret = ipam_config_get(ipam->s, &cfg);
	while (ret == 0 && *room < wanted) {
		ret = ipam_claim(ipam, &cfg, max_blocks ? max_blocks : cfg.max_blocks_per_host,
		                 *pools, *n_pools);
		*room = ipam_batch_free_in(ipam, *pools, *n_pools);
	}
	return ret == -ENOSPC ? 0 : ret;
}

/* One address for request i from a cached block of the family (room was checked). */
static int ipam_batch_take(struct ipam *ipam, struct ipam_batch *bt,
                           const struct ipam_assign_args *a, int family,
                           const struct ipam_pool *pools, size_t n_pools, struct ipam_handle *h,
                           struct addr *out)
{
	size_t j, p;
	uint32_t ord;
	int ret;

	for (j = 0; j < ipam->n_cache; j++) {
		struct ipam_block *b = &ipam->cache[j].b;

		if (b->cidr.addr.family != family || !b->n_unalloc)
			continue;
		for (p = 0; p < n_pools && !prefix_contains(&pools[p].cidr, &b->cidr); p++)
			;
		if (p == n_pools)
			continue;
		ret = ipam_block_alloc(b, a->handle, &a->attrs, ipam->node, &ord);
		if (ret == 0)
			ret = ipam_handle_add(h, &b->cidr, 1);
		if (ret < 0)
			return ret;
		bt->touched[j] = true;
		ipam_block_addr(b, ord, out);
		return 0;
	}
	return -ENOSPC;
}

int ipam_auto_assign_batch(struct ipam *ipam, const struct ipam_assign_args *args, size_t n,
                           struct ipam_assign_result *res, int *rets)
{
	struct ipam_pool *pools4 = NULL, *pools6 = NULL;
	size_t n4 = 0, n6 = 0, room4 = 0, room6 = 0, want4 = 0, want6 = 0, i, k, planned = 0;
	const char **ids = NULL;
	struct ipam_batch bt;
	bool committed;
	int ret = 0;

	memset(&bt, 0, sizeof(bt));
	ids = calloc(n + 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	if (!ipam->synced)
		ret = ipam_sync(ipam);
	for (i = 0; i < n; i++) {
		if (args[i].pools || args[i].max_blocks_per_host)
			continue;
		want4 += args[i].num4;
		want6 += args[i].num6;
	}
	if (ret == 0)
		ret = ipam_batch_room(ipam, AF_INET, want4, NULL, 0, 0, &pools4, &n4, &room4);
	if (ret == 0)
		ret = ipam_batch_room(ipam, AF_INET6, want6, NULL, 0, 0, &pools6, &n6, &room6);
	if (ret == 0)
		ret = ipam_batch_init(&bt, ipam->n_cache, n);
	for (i = 0; i < n; i++) {
		const struct ipam_assign_args *a = &args[i];

		memset(&res[i], 0, sizeof(res[i]));
		rets[i] = IPAM_BATCH_PENDING;
		ids[i] = a->handle;
		if (ret < 0 || a->pools || a->max_blocks_per_host ||
		    !ipam_handle_id_valid(a->handle) || a->num4 + a->num6 == 0 ||
		    a->num4 + a->num6 > IPAM_ASSIGN_MAX || a->num4 > room4 || a->num6 > room6 ||
		    ipam_batch_dup(ids, i))
			continue; /* one at a time, below */
		bt.handles[i].id = strdup(a->handle);
		if (!bt.handles[i].id) {
			ret = -ENOMEM;
			continue;
		}
		for (k = 0; k < a->num4 + a->num6 && ret == 0; k++)
			ret = ipam_batch_take(ipam, &bt, a, k < a->num4 ? AF_INET : AF_INET6,
			                      k < a->num4 ? pools4 : pools6, k < a->num4 ? n4 : n6,
			                      &bt.handles[i], &res[i].addrs[res[i].n++]);
		room4 -= a->num4;
		room6 -= a->num6;
		bt.planned[i] = true;
		planned++;
	}
	for (i = 0; i < n && ret == 0; i++)
		if (bt.planned[i])
			ret = ipam_batch_op(&bt, STORE_OP_CREATE,
			                    ipam_batch_handle_key(bt.handles[i].id),
			                    ipam_handle_to_json(&bt.handles[i]), 0);
	committed = ipam_batch_finish(ipam, &bt, planned, ret);
	for (i = 0; i < n; i++) {
		if (committed && bt.planned[i])
			rets[i] = 0;
		else
			rets[i] = ipam_auto_assign(ipam, &args[i], &res[i]);
	}
	ipam_batch_free(&bt, n);
	ipam_pool_list_free(pools4, n4);
	ipam_pool_list_free(pools6, n6);
	free(ids);
	for (i = 0, ret = 0; i < n && ret == 0; i++)
		ret = rets[i];
	return ret;
}

int ipam_release_handles(struct ipam *ipam, const char *const *handles, size_t n,
                         unsigned *released)
{
	struct ipam_handle_state *hs = NULL;
	struct ipam_batch bt;
	unsigned count = 0, mine = 0, one;
	size_t i, e, planned = 0;
	bool committed;
	ssize_t ci;
	int ret, r;

	memset(&bt, 0, sizeof(bt));
	hs = calloc(n + 1, sizeof(*hs));
	ret = hs ? 0 : -ENOMEM;
	if (ret == 0 && !ipam->synced)
		ret = ipam_sync(ipam);
	if (ret == 0)
		ret = ipam_batch_init(&bt, ipam->n_cache, n);
	for (i = 0; i < n && ret == 0; i++) {
		if (!ipam_handle_id_valid(handles[i]) || ipam_batch_dup(handles, i))
			continue;
		ret = ipam_handle_state_load(ipam->s, handles[i], &hs[i]);
		if (ret < 0 || hs[i].rev == 0)
			continue; /* unknown handle: nothing to release */
		for (e = 0; e < hs[i].h.n && ipam_cache_find(ipam, &hs[i].h.entries[e].block) >= 0;
		     e++)
			;
		if (e < hs[i].h.n)
			continue; /* an address outside our blocks: one at a time */
		for (e = 0; e < hs[i].h.n; e++) {
			ci = ipam_cache_find(ipam, &hs[i].h.entries[e].block);
			mine += ipam_block_release_handle(&ipam->cache[ci].b, handles[i]);
			bt.touched[ci] = true;
		}
		bt.planned[i] = true;
		planned++;
		ret = ipam_batch_op(&bt, STORE_OP_DELETE, ipam_batch_handle_key(handles[i]), NULL,
		                    hs[i].rev);
	}
	committed = ipam_batch_finish(ipam, &bt, planned, ret);
	ret = 0;
	if (committed)
		count = mine;
	for (i = 0; i < n; i++) {
		if (committed && bt.planned[i])
			continue;
		if (hs && hs[i].known && hs[i].rev == 0)
			continue; /* it did not exist */
		r = ipam_release_by_handle(ipam, handles[i], &one);
		count += r == 0 ? one : 0;
		if (r < 0 && ret == 0)
			ret = r;
	}
	for (i = 0; hs && i < n; i++)
		ipam_handle_state_clear(&hs[i]);
	free(hs);
	ipam_batch_free(&bt, n);
	if (released)
		*released = count;
	return ret;
}

/*
 * One transaction: addresses from the cached blocks, the new handle and the
 * caller's operations. 1: not possible this way (the cache is as before or
 * reloaded), take the slow path; 0 committed; negative: an error of fn.
 */
static int ipam_with_ops_fast(struct ipam *ipam, const struct ipam_assign_args *args,
                              ipam_ops_fn fn, void *arg, struct ipam_assign_result *res)
{
	struct ipam_pool *pools4 = NULL, *pools6 = NULL;
	size_t n4 = 0, n6 = 0, room4 = 0, room6 = 0, k, n_extra = 0;
	struct store_op extra[IPAM_EXTRA_OPS_MAX];
	struct ipam_batch bt;
	bool planned = false;
	int ret;

	memset(&bt, 0, sizeof(bt));
	/* A family that is not wanted costs no read of the pools. */
	ret = 0;
	if (args->num4)
		ret = ipam_batch_room(ipam, AF_INET, args->num4, args->pools, args->n_pools,
		                      args->max_blocks_per_host, &pools4, &n4, &room4);
	if (ret == 0 && args->num6)
		ret = ipam_batch_room(ipam, AF_INET6, args->num6, args->pools, args->n_pools,
		                      args->max_blocks_per_host, &pools6, &n6, &room6);
	if (ret < 0 || args->num4 > room4 || args->num6 > room6) {
		ret = 1; /* the slow path reports the real error */
		goto out;
	}
	ret = ipam_batch_init(&bt, ipam->n_cache, 1 + IPAM_EXTRA_OPS_MAX);
	if (ret == 0) {
		bt.handles[0].id = strdup(args->handle);
		ret = bt.handles[0].id ? 0 : -ENOMEM;
	}
	planned = ret == 0;
	for (k = 0; k < args->num4 + args->num6 && ret == 0; k++)
		ret = ipam_batch_take(ipam, &bt, args, k < args->num4 ? AF_INET : AF_INET6,
		                      k < args->num4 ? pools4 : pools6, k < args->num4 ? n4 : n6,
		                      &bt.handles[0], &res->addrs[res->n++]);
	if (ret == 0)
		ret = ipam_batch_op(&bt, STORE_OP_CREATE, ipam_batch_handle_key(args->handle),
		                    ipam_handle_to_json(&bt.handles[0]), 0);
	if (ret == 0) {
		ret = fn(res, extra, IPAM_EXTRA_OPS_MAX, &n_extra, arg);
		if (ret > 0 || n_extra > IPAM_EXTRA_OPS_MAX)
			ret = -EINVAL;
	}
	for (k = 0; k < n_extra && ret == 0; k++)
		bt.ops[bt.n_ops++] = extra[k]; /* keys and values stay the caller's */
	if (ret == 0)
		ret = ipam_batch_blocks(ipam, &bt);
	if (ret == 0) {
		ret = ipam_batch_commit(ipam, &bt);
		if (ret < 0 && ret != -EIO)
			ret = 1; /* lost a CAS or the handle exists: one step at a time */
	} else if (planned) {
		ipam_cache_load(ipam); /* drop the allocations that were not written */
	}
out:
	if (ret != 0)
		memset(res, 0, sizeof(*res));
	/* The caller's operations are in bt.ops only: bt.keys and bt.values stay NULL. */
	ipam_batch_free(&bt, 1 + IPAM_EXTRA_OPS_MAX);
	ipam_pool_list_free(pools4, n4);
	ipam_pool_list_free(pools6, n6);
	return ret;
}

int ipam_auto_assign_with_ops(struct ipam *ipam, const struct ipam_assign_args *args,
                              ipam_ops_fn fn, void *arg, struct ipam_assign_result *res)
{
	struct store_op extra[IPAM_EXTRA_OPS_MAX];
	char saved[IPAM_ERRLEN];
	size_t n_extra = 0;
	int ret;

	memset(res, 0, sizeof(*res));
	ipam->err[0] = '\0';
	if (!fn)
		return ipam_auto_assign(ipam, args, res);
	if (!ipam_handle_id_valid(args->handle))
		return ipam_fail(ipam, -EINVAL, "handle: missing, too long or contains '/'");
	if (args->num4 + args->num6 == 0 || args->num4 + args->num6 > IPAM_ASSIGN_MAX)
		return ipam_fail(ipam, -EINVAL, "asked for %u addresses (1..%d)",
		                 args->num4 + args->num6, IPAM_ASSIGN_MAX);
	if (!ipam->synced && (ret = ipam_sync(ipam)) < 0)
		return ret;
	ret = ipam_with_ops_fast(ipam, args, fn, arg, res);
	if (ret < 0 && !ipam->err[0])
		ipam_fail(ipam, ret, "assigning for %s: %s", args->handle, strerror(-ret));
	if (ret <= 0)
		return ret;
	ipam->err[0] = '\0';
	ret = ipam_auto_assign(ipam, args, res);
	if (ret < 0)
		return ret;
	ret = fn(res, extra, IPAM_EXTRA_OPS_MAX, &n_extra, arg);
	if (ret == 0 && n_extra > IPAM_EXTRA_OPS_MAX)
		ret = -EINVAL;
	if (ret == 0 && n_extra)
		ret = store_txn(ipam->s, extra, n_extra, NULL, NULL);
	if (ret < 0) {
		ipam_fail(ipam, ret, "writing with the assignment: %s", store_strerror(ret));
		snprintf(saved, sizeof(saved), "%s", ipam->err);
		ipam_release_ips(ipam, res->addrs, res->n, NULL); /* only what this call got */
		snprintf(ipam->err, sizeof(ipam->err), "%s", saved);
		memset(res, 0, sizeof(*res));
	}
	return ret;
}

int ipam_release_by_handle_with_ops(struct ipam *ipam, const char *handle,
                                    const struct store_op *ops, size_t n, unsigned *released)
{
	struct ipam_handle_state hs = {0};
	struct ipam_batch bt;
	unsigned mine = 0;
	size_t e, k;
	ssize_t ci;
	int ret;

	memset(&bt, 0, sizeof(bt));
	if (released)
		*released = 0;
	ipam->err[0] = '\0';
	if (!ipam_handle_id_valid(handle))
		return ipam_fail(ipam, -EINVAL, "handle: missing, too long or contains '/'");
	if (n > IPAM_EXTRA_OPS_MAX)
		return ipam_fail(ipam, -EINVAL, "%zu extra operations, at most %d", n,
		                 IPAM_EXTRA_OPS_MAX);
	ret = ipam->synced ? 0 : ipam_sync(ipam);
	if (ret == 0)
		ret = ipam_handle_state_load(ipam->s, handle, &hs);
	if (ret == 0 && hs.rev == 0) {
		/* Nothing assigned under this handle: the extra operations alone. */
		ret = n ? store_txn(ipam->s, ops, n, NULL, NULL) : 0;
		if (ret < 0)
			ipam_fail(ipam, ret, "releasing handle %s: %s", handle,
			          store_strerror(ret));
		goto out;
	}
	for (e = 0; ret == 0 && e < hs.h.n && ipam_cache_find(ipam, &hs.h.entries[e].block) >= 0;
	     e++)
		;
	if (ret == 0 && e == hs.h.n)
		ret = ipam_batch_init(&bt, ipam->n_cache, 1 + IPAM_EXTRA_OPS_MAX);
	else
		ret = ret < 0 ? ret : 1; /* an address outside our blocks */
	for (e = 0; ret == 0 && e < hs.h.n; e++) {
		ci = ipam_cache_find(ipam, &hs.h.entries[e].block);
		mine += ipam_block_release_handle(&ipam->cache[ci].b, handle);
		bt.touched[ci] = true;
	}
	if (ret == 0)
		ret = ipam_batch_op(&bt, STORE_OP_DELETE, ipam_batch_handle_key(handle), NULL,
		                    hs.rev);
	for (k = 0; k < n && ret == 0; k++)
		bt.ops[bt.n_ops++] = ops[k];
	if (ret == 0)
		ret = ipam_batch_blocks(ipam, &bt);
	if (ret == 0)
		ret = ipam_batch_commit(ipam, &bt) == 0 ? 0 : 1;
	else if (bt.ops)
		ipam_cache_load(ipam);
	if (ret == 0 && released)
		*released = mine;
	if (ret == 1) {
		/* One step at a time: the release (which reports its errors), then the rest. */
		ret = ipam_release_by_handle(ipam, handle, released);
		if (ret == 0 && n)
			ret = store_txn(ipam->s, ops, n, NULL, NULL);
		if (ret < 0 && !ipam->err[0])
			ipam_fail(ipam, ret, "after releasing handle %s: %s", handle,
			          store_strerror(ret));
	}
out:
	if (ret < 0 && !ipam->err[0])
		ipam_fail(ipam, ret, "releasing handle %s: %s", handle, store_strerror(ret));
	ipam_batch_free(&bt, 1 + IPAM_EXTRA_OPS_MAX);
	ipam_handle_state_clear(&hs);
	return ret;
}
