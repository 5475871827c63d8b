/*
 * DOC: the datastore API.
 *
 * One etcd-shaped key-value API for every cluster resource; the back end
 * (in-memory for tests, embedded SQLite in WAL mode, later etcd v3) is chosen
 * by the URL given to store_open() and nothing above this header may know
 * which one it is.
 *
 * Keys are '/'-separated strings ("/tabby/v1/ipam/blocks/10.0.0.0-26");
 * values are JSON documents (NUL-terminated text). Every write bumps one
 * store-wide revision; each key remembers the revision that created it
 * (create_rev) and that last modified it (mod_rev). Writers never hold locks:
 * they read, compute, and write with compare-and-swap on mod_rev, retrying
 * when another writer won (-ESTALE is normal, not an error).
 *
 * Errors are negative errno values:
 *   -ENOENT   the key does not exist
 *   -EEXIST   create of a key that exists
 *   -ESTALE   the key's mod_rev is not the expected one (CAS lost)
 *   -ERANGE   a watch asked for revisions already compacted away
 *   -EIO      the back end failed (details are logged)
 *   -EINVAL   bad argument (empty key, value not given, ...)
 *
 * Watches are delivered from the owner's event loop: store_notify_fd() is a
 * descriptor that becomes readable when something may have changed (or -1:
 * then call store_poll() on a short timer), and store_poll() runs the
 * callbacks of every watch for events up to now, in revision order.
 */
#ifndef TABBY_STORE_H
#define TABBY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_KEY_PREFIX "/tabby/v1/"

struct store;
struct store_watch;

struct store_kv {
	char *key;
	char *value;
	int64_t create_rev;
	int64_t mod_rev;
};

struct store_list {
	struct store_kv *kvs; /* sorted by key */
	size_t n;
	int64_t rev; /* store revision the list was read at */
};

/*
 * Open a store by URL:
 *   "memory:"                an in-memory store private to this process (tests)
 *   "sqlite:/var/lib/tabby/tabby.db[?sync=full|normal|off]" or a bare path
 * sync=full (the default) means an acknowledged write is on disk.
 * Returns 0 or a negative errno; the reason is logged.
 */
int store_open(const char *url, struct store **out);
void store_close(struct store *s);
/* Human-readable back end and its durability setting, e.g. "sqlite (sync=full)". */
const char *store_describe(const struct store *s);
/* Current store revision (0 for an empty store). */
int store_revision(struct store *s, int64_t *rev);
const char *store_strerror(int err);

void store_kv_clear(struct store_kv *kv);
void store_list_free(struct store_list *l);

int store_get(struct store *s, const char *key, struct store_kv *out);
int store_list(struct store *s, const char *prefix, struct store_list *out);
int store_create(struct store *s, const char *key, const char *value, int64_t *rev);
/* Update if the key's mod_rev is expect_rev. */
int store_update(struct store *s, const char *key, const char *value, int64_t expect_rev,
                 int64_t *rev);
/* Create or overwrite, no condition. */
int store_put(struct store *s, const char *key, const char *value, int64_t *rev);
/* Delete if mod_rev is expect_rev (0: whatever it is). */
int store_delete(struct store *s, const char *key, int64_t expect_rev);

enum store_op_type {
	STORE_OP_CREATE, /* key must be absent */
	STORE_OP_UPDATE, /* key's mod_rev must be rev */
	STORE_OP_PUT,    /* no condition */
	STORE_OP_DELETE, /* key must exist; if rev != 0 its mod_rev must be rev */
	STORE_OP_CHECK,  /* no write: key's mod_rev must be rev (rev 0: key must be absent) */
};

struct store_op {
	enum store_op_type type;
	const char *key;
	const char *value;
	int64_t rev;
};

/*
 * All or nothing: every condition is checked first; if one fails nothing is
 * written, its error is returned and *failed (if given) is its index. All
 * writes of a transaction share one new revision, returned in *rev.
 */
int store_txn(struct store *s, const struct store_op *ops, size_t n, int64_t *rev, size_t *failed);

enum store_event_type {
	STORE_EVENT_PUT,
	STORE_EVENT_DELETE,
};

struct store_event {
	enum store_event_type type;
	const char *key;
	const char *value; /* NULL for a delete */
	int64_t mod_rev;   /* revision of this change */
	int64_t create_rev;
};

typedef void (*store_watch_fn)(const struct store_event *ev, void *arg);

/*
 * Watch keys under prefix for changes with revision >= from_rev (0: changes
 * after now). Callbacks run only inside store_poll().
 */
int store_watch(struct store *s, const char *prefix, int64_t from_rev, store_watch_fn fn, void *arg,
                struct store_watch **out);
void store_watch_cancel(struct store_watch *w);
/*
 * 0, or -ERANGE once the watch fell behind the change log's compaction (its
 * callbacks stop; store_poll() returned -ERANGE): list again and start a new
 * watch from the list's revision + 1. Cancel the old one either way.
 */
int store_watch_error(const struct store_watch *w);
/* Deliver pending events; returns how many were delivered or a negative errno. */
int store_poll(struct store *s);
int store_notify_fd(struct store *s);

#endif
