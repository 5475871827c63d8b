/*
 * DOC: IP address management, the Calico way.
 *
 * IP pools (ippools/<name>) are split into blocks (ipam/blocks/<cidr>), by
 * default /26 for IPv4 and /122 for IPv6. A node claims whole blocks: it
 * creates a block affinity in state "pending" (ipam/affinity/<node>/<cidr>),
 * creates the block naming itself as affine host, then confirms the affinity.
 * Each step is a compare-and-swap on the datastore, so a crash at any step is
 * repaired by the next agent start (ipam_sync()) or claim. Pod addresses are
 * allocated from affine blocks first, then from a newly claimed block, then
 * borrowed from other nodes' blocks unless strictAffinity is set.
 *
 * Every allocation carries a handle (container ID + interface) and
 * attributes (namespace, pod, node); the handle document
 * (ipam/handles/<handle>) counts its allocations per block, so release is by
 * handle. One assignment is one datastore transaction (block update with CAS
 * plus handle create/update), i.e. one durable write.
 *
 * Errors are negative errno values: -ENOSPC no free address in the eligible
 * pools, -EEXIST address in use, -ENOENT no such pool/handle/address or no
 * pool eligible, -EINVAL bad argument, -EPERM forbidden by strictAffinity,
 * -EAGAIN retries exhausted under contention, -EIO datastore failure. A human
 * message for the last error is in ipam_last_error().
 */
#ifndef TABBY_IPAM_H
#define TABBY_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tabby/prefix.h>

struct store;
struct store_op;
struct ipam;

#define IPAM_DEFAULT_BLOCK_SIZE_V4 26
#define IPAM_DEFAULT_BLOCK_SIZE_V6 122
#define IPAM_DEFAULT_MAX_BLOCKS    20
#define IPAM_DEFAULT_NODE_SELECTOR "all()"
#define IPAM_ASSIGN_MAX            8 /* num4 + num6 per call */
#define IPAM_ERRLEN                256
#define IPAM_NAME_MAX              253 /* pool, node and handle names */

/* ---- IP pools (ipam/pool.c) ---- */

struct ipam_pool {
	char *name;
	struct prefix cidr;
	unsigned block_size; /* 0 in input: default for the family */
	bool disabled;
	bool nat_outgoing;   /* stored for the dataplane */
	char *node_selector; /* NULL in input: "all()" */
};

void ipam_pool_clear(struct ipam_pool *p);
void ipam_pool_list_free(struct ipam_pool *pools, size_t n);
/*
 * Check one pool on its own (name, canonical CIDR, block size 20..32 for IPv4,
 * 116..128 for IPv6 and not shorter than the pool). On -EINVAL err names the
 * field. Defaults are filled in first.
 */
int ipam_pool_validate(struct ipam_pool *p, char *err, size_t errlen);
/* A projectcalico.org/v3 IPPool resource as JSON text (caller frees). */
char *ipam_pool_to_json(const struct ipam_pool *p);
/* Parse an IPPool resource ({"metadata":{"name"},"spec":{"cidr",...}}) and validate it. */
int ipam_pool_from_json(const char *json, struct ipam_pool *out, char *err, size_t errlen);
/* Validate, refuse overlap with other pools, create. -EEXIST if the name is taken. */
int ipam_pool_create(struct store *s, struct ipam_pool *p, char *err, size_t errlen);
/* Replace an existing pool; the CIDR and block size cannot change (-EINVAL). */
int ipam_pool_update(struct store *s, struct ipam_pool *p, char *err, size_t errlen);
int ipam_pool_get(struct store *s, const char *name, struct ipam_pool *out);
/* All pools, sorted by name. */
int ipam_pool_list(struct store *s, struct ipam_pool **out, size_t *n);
/*
 * Delete a pool and its empty blocks and their affinities. -EBUSY (pool kept)
 * while any of its blocks still holds an allocation: disable it and release
 * the addresses first.
 */
int ipam_pool_delete(struct store *s, const char *name, char *err, size_t errlen);

/* ---- IPAM configuration (ipam/config.c), key ipam/config ---- */

struct ipam_config {
	bool strict_affinity;         /* default false: borrowing allowed */
	unsigned max_blocks_per_host; /* default 20; 0 means no limit */
	bool auto_allocate_blocks;    /* default true */
};

void ipam_config_default(struct ipam_config *c);
/* The stored configuration, or the defaults when none is stored. */
int ipam_config_get(struct store *s, struct ipam_config *out);
int ipam_config_set(struct store *s, const struct ipam_config *c);

/* ---- the per-node context (ipam/ipam.c) ---- */

/* Returns NULL on bad arguments or out of memory. The store is borrowed. */
struct ipam *ipam_new(struct store *s, const char *node);
void ipam_free(struct ipam *ipam);
const char *ipam_node(const struct ipam *ipam);
/* Message for the last failed call on this context ("" if none). */
const char *ipam_last_error(const struct ipam *ipam);
/*
 * Decide whether a pool's nodeSelector selects this node. Without a matcher
 * only "all()" (and the empty selector) select; the agent wires the policy
 * module's selector evaluator here.
 */
typedef bool (*ipam_selector_fn)(const char *selector, void *arg);
void ipam_set_selector(struct ipam *ipam, ipam_selector_fn fn, void *arg);
/*
 * Repair this node's affinities after a crash (finish or drop pending claims,
 * finish pending deletions) and load the affine blocks. Runs by itself before
 * the first assignment; call it at agent start to repair early.
 */
int ipam_sync(struct ipam *ipam);

/* ---- assignment (ipam/assign.c) ---- */

struct ipam_attrs {
	const char *namespace; /* may be NULL */
	const char *pod;       /* may be NULL */
};

struct ipam_assign_args {
	const char *handle; /* required: container ID + interface; no '/' */
	struct ipam_attrs attrs;
	unsigned num4, num6;      /* addresses wanted per family; sum <= IPAM_ASSIGN_MAX */
	const char *const *pools; /* pool names to use; NULL: every eligible pool */
	size_t n_pools;
	unsigned max_blocks_per_host; /* 0: from the IPAM configuration */
};

struct ipam_assign_result {
	struct addr addrs[IPAM_ASSIGN_MAX]; /* IPv4 first, then IPv6 */
	size_t n;
	unsigned borrowed; /* how many came from other nodes' blocks */
};

/*
 * All requested addresses or none: if one family fails, what was already
 * assigned in this call is released again.
 */
int ipam_auto_assign(struct ipam *ipam, const struct ipam_assign_args *args,
                     struct ipam_assign_result *res);
/*
 * Group commit: n requests (distinct handles) whose addresses come from this
 * node's blocks share one transaction, i.e. one fsync; the others (and all
 * of them after a lost compare-and-swap) are done one by one. rets[i] is
 * what ipam_auto_assign() would have returned for args[i]; the return value
 * is the first error, or 0.
 */
int ipam_auto_assign_batch(struct ipam *ipam, const struct ipam_assign_args *args, size_t n,
                           struct ipam_assign_result *res, int *rets);
/*
 * Extra datastore operations committed together with an assignment or a
 * release: called once the addresses are known (res), it fills at most max
 * operations into ops and sets *n. Keys and values stay the caller's and must
 * live until the IPAM call returns. A negative return aborts the call.
 */
#define IPAM_EXTRA_OPS_MAX 8
typedef int (*ipam_ops_fn)(const struct ipam_assign_result *res, struct store_op *ops, size_t max,
                           size_t *n, void *arg);
/*
 * ipam_auto_assign() plus the operations from fn in the same transaction, so
 * that e.g. the workload endpoint document costs no second durable write.
 * One transaction (all or nothing) when every address comes from this node's
 * affine blocks (claiming blocks first if needed) and the handle is new;
 * otherwise (borrowing, an existing handle, a lost compare-and-swap) the
 * addresses are assigned as by ipam_auto_assign() and the operations follow in
 * a second transaction, whose failure releases the addresses again. Either way
 * nothing is left behind on failure. Errors as ipam_auto_assign(), or what fn
 * or the store returned.
 */
int ipam_auto_assign_with_ops(struct ipam *ipam, const struct ipam_assign_args *args,
                              ipam_ops_fn fn, void *arg, struct ipam_assign_result *res);
/* Assign one given address; claims its block for this node if nobody has. */
int ipam_assign_ip(struct ipam *ipam, const struct addr *a, const char *handle,
                   const struct ipam_attrs *attrs);

/* ---- release (ipam/release.c) ---- */

/* Release every address of a handle; *released (may be NULL) counts them. 0 if none. */
int ipam_release_by_handle(struct ipam *ipam, const char *handle, unsigned *released);
/*
 * ipam_release_by_handle() plus n (<= IPAM_EXTRA_OPS_MAX) extra operations in
 * the same transaction when the handle's addresses are all in this node's
 * blocks (or it has none); otherwise the release and then the operations, in
 * two transactions. A failing extra operation fails the call after the
 * addresses were released (or, in one transaction, with nothing changed).
 */
int ipam_release_by_handle_with_ops(struct ipam *ipam, const char *handle,
                                    const struct store_op *ops, size_t n, unsigned *released);
/* Release several handles, in one transaction when their addresses are in our blocks. */
int ipam_release_handles(struct ipam *ipam, const char *const *handles, size_t n,
                         unsigned *released);
/* Release addresses whatever their handle; those not allocated are skipped. */
int ipam_release_ips(struct ipam *ipam, const struct addr *addrs, size_t n, unsigned *released);
/*
 * The node is gone: release every address whose attributes name it, then its
 * block affinities (empty blocks are deleted; blocks still holding addresses
 * borrowed by other nodes lose their affinity and are deleted once empty).
 */
int ipam_release_node(struct store *s, const char *node, unsigned *released_ips,
                      unsigned *released_blocks);

/* ---- what the node routes (ipam/ipam.c) ---- */

/* The node's confirmed affine blocks (blackhole routes, BGP originates them). */
int ipam_blocks_affine(struct ipam *ipam, struct prefix **out, size_t *n);
/* Addresses this node holds in other nodes' blocks (BGP originates /32 and /128). */
int ipam_borrowed_list(struct ipam *ipam, struct addr **out, size_t *n);

/* ---- read-only views for operators (ipam/show.c, tabbyctl ipam show) ---- */

struct ipam_block_info {
	struct prefix cidr;
	char *affinity; /* node, or NULL */
	uint64_t total, in_use;
	uint64_t borrowed; /* addresses held by nodes other than the affine one */
};

/* Every block, in key order. */
int ipam_block_list(struct store *s, struct ipam_block_info **out, size_t *n);
void ipam_block_info_free(struct ipam_block_info *v, size_t n);

struct ipam_ip_info {
	struct addr addr;
	bool in_block; /* some block contains it */
	struct prefix block;
	char *block_affinity;
	bool allocated;
	char *handle, *namespace, *pod, *node;
};

/* What the store knows of one address (0 also when no block has it). */
int ipam_ip_info(struct store *s, const struct addr *a, struct ipam_ip_info *out);
void ipam_ip_info_clear(struct ipam_ip_info *info);

/* ---- consistency check (ipam/check.c) ---- */

struct ipam_check_alloc {
	struct addr addr;
	char *handle;
	char *node; /* from the attributes, may be NULL */
	char *namespace;
	char *pod;
	struct prefix block;
};

struct ipam_check_report {
	size_t n_blocks, n_allocations, n_handles, n_affinities; /* what was examined */
	/* Allocations whose handle is not among the live ones. */
	struct ipam_check_alloc *leaked;
	size_t n_leaked;
	/* Allocations with no handle document, or more than it counts. */
	struct ipam_check_alloc *unrecorded;
	size_t n_unrecorded;
	/* Handle documents counting allocations that do not exist. */
	char **empty_handles;
	size_t n_empty_handles;
	/* Blocks whose "host:<node>" affinity has no matching affinity, or names a dead node. */
	struct prefix *orphan_blocks;
	size_t n_orphan_blocks;
	/* Confirmed affinities whose block does not exist or is affine elsewhere. */
	char **dangling_affinities; /* "<node>/<cidr>" */
	size_t n_dangling_affinities;
};

/*
 * Compare the IPAM data with the live handles (every workload endpoint's
 * handle) and, if live_nodes is not NULL, with the live nodes. Read-only.
 * Run it on a quiet cluster: the lists are read one after the other.
 */
int ipam_check(struct store *s, const char *const *live_handles, size_t n_live,
               const char *const *live_nodes, size_t n_nodes, struct ipam_check_report *out);
void ipam_check_report_free(struct ipam_check_report *r);
/* Number of problems found. */
size_t ipam_check_problems(const struct ipam_check_report *r);

#endif
