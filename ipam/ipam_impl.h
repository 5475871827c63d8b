/*
 * DOC: IPAM internals shared by the files of ipam/.
 *
 * The datastore documents (blocks, affinities, handles) as C structures with
 * their JSON codecs, the keys they live under, and the per-node context with
 * its cache of affine blocks. Each file owns one of Calico's concepts:
 * pool.c, config.c, block.c, affinity.c, handle.c, assign.c, release.c,
 * check.c; ipam.c holds the context.
 */
#ifndef TABBY_IPAM_IMPL_H
#define TABBY_IPAM_IMPL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include <tabby/ipam.h>
#include <tabby/prefix.h>
#include <tabby/store.h>

#define IPAM_KEY_POOLS    STORE_KEY_PREFIX "ippools/"
#define IPAM_KEY_CONFIG   STORE_KEY_PREFIX "ipam/config"
#define IPAM_KEY_BLOCKS   STORE_KEY_PREFIX "ipam/blocks/"
#define IPAM_KEY_AFFINITY STORE_KEY_PREFIX "ipam/affinity/"
#define IPAM_KEY_HANDLES  STORE_KEY_PREFIX "ipam/handles/"
#define IPAM_KEY_MAX      (sizeof(IPAM_KEY_AFFINITY) + IPAM_NAME_MAX + PREFIX_STRLEN + 8)

/* Compare-and-swap attempts before giving up with -EAGAIN. */
#define IPAM_RETRIES 200

/* ---- block.c: an allocation block ---- */

struct ipam_attr {
	char *handle;
	char *namespace;
	char *pod;
	char *node;
};

struct ipam_block {
	struct prefix cidr;
	char *affinity; /* node name ("host:<node>" in JSON) or NULL */
	uint32_t n_ordinals;
	int32_t *alloc;    /* per ordinal: attribute index, or -1 when free */
	uint32_t *unalloc; /* free ordinals, next to hand out first */
	uint32_t n_unalloc;
	struct ipam_attr *attrs;
	uint32_t n_attrs;
	int64_t seq; /* sequenceNumber: bumped by every change */
};

void ipam_block_key(const struct prefix *cidr, char *buf, size_t len);
/* Block CIDR from a key under IPAM_KEY_BLOCKS. */
int ipam_block_key_parse(const char *key, struct prefix *cidr);
int ipam_block_init(struct ipam_block *b, const struct prefix *cidr, const char *affinity);
void ipam_block_clear(struct ipam_block *b);
int ipam_block_from_json(const char *json, struct ipam_block *b);
char *ipam_block_to_json(const struct ipam_block *b);
bool ipam_block_affine_to(const struct ipam_block *b, const char *node);
uint32_t ipam_block_in_use(const struct ipam_block *b);
void ipam_block_addr(const struct ipam_block *b, uint32_t ordinal, struct addr *out);
int ipam_block_ordinal(const struct ipam_block *b, const struct addr *a, uint32_t *ordinal);
/* Allocate the next free ordinal (-ENOSPC) or a given one (-EEXIST). */
int ipam_block_alloc(struct ipam_block *b, const char *handle, const struct ipam_attrs *attrs,
                     const char *node, uint32_t *ordinal);
int ipam_block_alloc_ordinal(struct ipam_block *b, uint32_t ordinal, const char *handle,
                             const struct ipam_attrs *attrs, const char *node);
/* Free one ordinal; its attribute is returned in *attr (owned by the caller) if given. */
int ipam_block_release_ordinal(struct ipam_block *b, uint32_t ordinal, struct ipam_attr *attr);
/* Free every ordinal of a handle; returns how many. */
uint32_t ipam_block_release_handle(struct ipam_block *b, const char *handle);
const struct ipam_attr *ipam_block_attr_of(const struct ipam_block *b, uint32_t ordinal);
void ipam_attr_clear(struct ipam_attr *a);

/* ---- affinity.c: block affinity ---- */

enum ipam_affinity_state {
	IPAM_AFFINITY_PENDING,
	IPAM_AFFINITY_CONFIRMED,
	IPAM_AFFINITY_PENDING_DELETION,
};

struct ipam_affinity {
	char *node;
	struct prefix cidr;
	enum ipam_affinity_state state;
};

void ipam_affinity_key(const char *node, const struct prefix *cidr, char *buf, size_t len);
char *ipam_affinity_to_json(const struct ipam_affinity *a);
int ipam_affinity_from_json(const char *json, struct ipam_affinity *a);
void ipam_affinity_clear(struct ipam_affinity *a);
const char *ipam_affinity_state_name(enum ipam_affinity_state st);

struct ipam;
/*
 * Claim one free block of the pool for this node (pending -> block ->
 * confirmed). Returns 0 with the block added to the cache, -ENOSPC if the pool
 * has no free block.
 */
int ipam_affinity_claim(struct ipam *ipam, const struct ipam_pool *pool, const struct prefix *only);
/* Finish whatever state this node's affinities are in (crash repair). */
int ipam_affinity_repair(struct ipam *ipam);
/* Count this node's affinities in any state. */
int ipam_affinity_count(struct store *s, const char *node, size_t *n);
/*
 * Release one affinity (pendingDeletion first): an empty block is deleted, a
 * non-empty one loses its affinity. *block_deleted tells which.
 */
int ipam_affinity_release(struct store *s, const char *node, const struct prefix *cidr,
                          bool *block_deleted);

/* ---- handle.c: handle -> block -> count ---- */

struct ipam_handle_entry {
	struct prefix block;
	unsigned count;
};

struct ipam_handle {
	char *id;
	struct ipam_handle_entry *entries;
	size_t n;
};

void ipam_handle_key(const char *id, char *buf, size_t len);
bool ipam_handle_id_valid(const char *id);
char *ipam_handle_to_json(const struct ipam_handle *h);
int ipam_handle_from_json(const char *json, struct ipam_handle *h);
void ipam_handle_clear(struct ipam_handle *h);
/* Add delta (may be negative) to the count of a block; entries at 0 disappear. */
int ipam_handle_add(struct ipam_handle *h, const struct prefix *block, int delta);
unsigned ipam_handle_total(const struct ipam_handle *h);

/* ---- pool.c ---- */

bool ipam_name_valid(const char *name);
/* Pools usable by this context for a family (enabled, selected, in the filter). */
int ipam_pools_eligible(struct ipam *ipam, int family, const char *const *names, size_t n_names,
                        struct ipam_pool **out, size_t *n);
/* The pool containing an address, from a list. */
const struct ipam_pool *ipam_pool_find(const struct ipam_pool *pools, size_t n,
                                       const struct addr *a);

/* ---- assign.c ---- */

/* Claim one more block of the pools if the configuration allows: 0, or -ENOSPC. */
int ipam_claim(struct ipam *ipam, const struct ipam_config *cfg, unsigned max_blocks,
               const struct ipam_pool *pools, size_t n_pools);

/* ---- ipam.c: the per-node context ---- */

struct ipam_cached_block {
	struct ipam_block b;
	int64_t rev;
};

struct ipam {
	struct store *s;
	char *node;
	char err[IPAM_ERRLEN];
	ipam_selector_fn selector;
	void *selector_arg;
	bool synced;
	struct ipam_cached_block *cache; /* blocks with a confirmed affinity to node */
	size_t n_cache;
};

int ipam_fail(struct ipam *ipam, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reload the affine blocks from the store. */
int ipam_cache_load(struct ipam *ipam);
/* Re-read one cached block (after a lost CAS); drops it if it is no longer ours. */
int ipam_cache_refresh(struct ipam *ipam, size_t i);
int ipam_cache_add(struct ipam *ipam, struct ipam_block *b, int64_t rev);
void ipam_cache_drop(struct ipam *ipam, size_t i);
ssize_t ipam_cache_find(const struct ipam *ipam, const struct prefix *cidr);
void ipam_cache_clear(struct ipam *ipam);

/*
 * One assignment or release as one transaction: the block (update with CAS,
 * or delete when it is empty and has no affinity) and the handle (create,
 * update with CAS, or delete when its count reaches zero). Returns 0,
 * -ESTALE when the block changed under us (caller re-reads it), or an error.
 * *new_rev is the block's new mod_rev.
 */
struct ipam_handle_state {
	struct ipam_handle h;
	int64_t rev; /* 0: not read yet or absent */
	bool known;  /* h/rev reflect the store */
};
int ipam_commit(struct store *s, const struct ipam_block *b, int64_t block_rev,
                struct ipam_handle_state *hs, const char *handle, int delta, int64_t *new_rev);
int ipam_handle_state_load(struct store *s, const char *handle, struct ipam_handle_state *hs);
void ipam_handle_state_clear(struct ipam_handle_state *hs);

/* ---- small JSON helpers ---- */

const char *ipam_json_str(const cJSON *obj, const char *name);
/* Duplicate a string field, NULL when absent; -ENOMEM reported through *err. */
char *ipam_strdup_or_null(const char *s, int *err);

#endif
