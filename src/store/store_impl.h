/*
 * DOC: the datastore's back-end interface (private to src/store).
 *
 * store.c owns everything back ends share: URL dispatch, argument checks,
 * the single-key helpers (all expressed as one-op transactions) and watch
 * bookkeeping and delivery. A back end only stores keys and a change log:
 * it answers get/list/txn, reports its current revision, and hands out the
 * events of a range of revisions (or -ERANGE when they were compacted).
 * Adding a back end (etcd v3) means one more `struct store_backend` and one
 * more case in store_open().
 */
#ifndef TABBY_STORE_IMPL_H
#define TABBY_STORE_IMPL_H

#include <tabby/store.h>

/* Events of a range of revisions, owning their strings. */
struct store_event_batch {
	struct store_event *ev;
	size_t n;
	size_t cap;
};

/* Parsed "?name=value&..." options of a store URL. */
struct store_url_opts {
	int sync;         /* STORE_SYNC_* */
	int64_t history;  /* revisions of change log kept for watches */
	int busy_timeout; /* milliseconds (sqlite) */
};

enum {
	STORE_SYNC_FULL,
	STORE_SYNC_NORMAL,
	STORE_SYNC_OFF,
};

#define STORE_DEFAULT_HISTORY      10000
#define STORE_DEFAULT_BUSY_TIMEOUT 10000

struct store_backend {
	const char *name;
	void (*close)(struct store *s);
	int (*revision)(struct store *s, int64_t *rev);
	int (*get)(struct store *s, const char *key, struct store_kv *out);
	int (*list)(struct store *s, const char *prefix, struct store_list *out);
	/* Arguments already checked by store.c (non-empty keys, values given,
	 * no key written twice). */
	int (*txn)(struct store *s, const struct store_op *ops, size_t n, int64_t *rev,
	           size_t *failed);
	/*
	 * Append the events of revisions from..to (inclusive) to *out, in
	 * revision order (and op order within a revision). -ERANGE when from
	 * was already compacted away.
	 */
	int (*events)(struct store *s, int64_t from, int64_t to, struct store_event_batch *out);
	/* Readable fd when something may have changed, or -1. */
	int (*notify_fd)(struct store *s);
	/* Drain the notify fd (called by store_poll). */
	void (*notify_drain)(struct store *s);
};

struct store_watch {
	struct store *store;
	struct store_watch *next;
	char *prefix;
	size_t prefix_len;
	int64_t next_rev; /* first revision not yet delivered */
	store_watch_fn fn;
	void *arg;
	int error; /* sticky: -ERANGE when it fell behind compaction */
	bool cancelled;
	bool in_batch;
};

struct store {
	const struct store_backend *be;
	void *priv; /* back end state */
	char describe[256];
	struct store_watch *watches;
	int dispatching;
};

/* Back-end constructors: fill s->be, s->priv and s->describe. */
int store_memory_open(struct store *s, const struct store_url_opts *o);
int store_sqlite_open(struct store *s, const char *path, const struct store_url_opts *o);

/*
 * sqlite_checkpoint.c: WAL checkpoints on a thread of their own, for the
 * writing connection db of the database at path. NULL: SQLite's automatic
 * checkpoint stays. Detach before closing db.
 */
struct sqlite3;
struct sql_checkpointer;
struct sql_checkpointer *sql_checkpointer_attach(struct sqlite3 *db, const char *path,
                                                 const char *sync_name);
void sql_checkpointer_detach(struct sql_checkpointer *c, struct sqlite3 *db);
unsigned long sql_checkpointer_runs(struct sql_checkpointer *c);
/* Checkpoints the SQLite back end's thread has run (tests); 0 for other back ends. */
unsigned long store_sqlite_checkpoints(struct store *s);

/* watch.c: free every watch (store_close). */
void store_watch_free_all(struct store *s);

/* Helpers for back ends. */
int store_batch_add(struct store_event_batch *b, enum store_event_type type, const char *key,
                    const char *value, int64_t mod_rev, int64_t create_rev);
void store_batch_free(struct store_event_batch *b);
int store_list_add(struct store_list *l, size_t *cap, const char *key, const char *value,
                   int64_t create_rev, int64_t mod_rev);
/* Condition check of one op against the current state of its key
 * (present: cur_mod_rev > 0). Returns 0 or the op's error. */
int store_op_check(const struct store_op *op, int64_t cur_mod_rev);
bool store_op_writes(const struct store_op *op);
/* Exclusive upper bound of the keys starting with prefix, or false if none
 * (prefix empty or all 0xff). buf must hold strlen(prefix)+1 bytes. */
bool store_prefix_end(const char *prefix, char *buf);

#endif
