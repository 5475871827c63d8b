/*
 * DOC: the SQLite datastore back end ("sqlite:PATH", the embedded default).
 *
 * One database file in WAL mode that several processes on one host may share.
 * Schema (see doc/store.md):
 *   meta(name, value)      "compact_rev" (the change log holds revisions > it)
 *   kv(key, value, create_rev, mod_rev)
 *   changes(id, rev, key, value, create_rev)  one row per write; value NULL
 *                          for a delete; id = rev * 2^20 + the op's place in
 *                          its txn (one b-tree, appended at its right end);
 *                          the store's revision is the last row's (compaction
 *                          always keeps the newest revision), so a write
 *                          touches no extra page for a counter
 * Every write transaction is BEGIN IMMEDIATE ... COMMIT: it takes the write
 * lock before reading anything, so the CAS checks, the data and the change
 * log (hence the revision) change together or not at all, whichever
 * process wins, and a process killed in the middle leaves nothing (the WAL
 * frames of an uncommitted transaction are ignored). One transaction is one
 * commit, so with synchronous=FULL one fsync of the WAL. WAL checkpoints run
 * on a thread of their own (sqlite_checkpoint.c), not inside a commit.
 *
 * Other processes' commits are noticed through inotify on the -wal file (and
 * the main file, which checkpoints write): store_notify_fd() becomes readable
 * and store_poll() compares the revision counter with the watches'. A commit
 * writes its WAL frames (the inotify event), then fsyncs, and only then
 * publishes them in the shared-memory index, so a reader woken by the event
 * may still see the old revision. So every writer also writes the new
 * revision to a small side file, PATH-notify, right after COMMIT (no fsync):
 * its inotify event comes when the commit is visible. As a backstop (a writer
 * killed between the two, or another program writing the database),
 * store_notify_fd() is an epoll set of the inotify descriptor and a timer:
 * after -wal activity not followed by a -notify write, the timer gives a few
 * follow-up wakeups (2, 10, 50, 250 ms later).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <tabby/log.h>

#include "store_impl.h"

enum sql_stmt {
	ST_BEGIN,
	ST_BEGIN_IMMEDIATE,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_META, /* revision, compact_rev */
	ST_SET_COMPACT,
	ST_GET,        /* key -> value, create_rev, mod_rev */
	ST_LIST_RANGE, /* ?1 <= key < ?2 */
	ST_LIST_FROM,  /* ?1 <= key */
	ST_UPSERT,
	ST_DELETE,
	ST_LOG_ADD,
	ST_LOG_READ,
	ST_LOG_COMPACT,
	ST_COUNT,
};

static const char *const sql_text[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN",
    [ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_META] = "SELECT ifnull((SELECT max(id) FROM changes), 0) >> 20,"
                " (SELECT value FROM meta WHERE name = 'compact_rev')",
    [ST_SET_COMPACT] = "UPDATE meta SET value = ?1 WHERE name = 'compact_rev'",
    [ST_GET] = "SELECT value, create_rev, mod_rev FROM kv WHERE key = ?1",
    [ST_LIST_RANGE] = "SELECT key, value, create_rev, mod_rev FROM kv"
                      " WHERE key >= ?1 AND key < ?2 ORDER BY key",
    [ST_LIST_FROM] = "SELECT key, value, create_rev, mod_rev FROM kv"
                     " WHERE key >= ?1 ORDER BY key",
    [ST_UPSERT] = "INSERT INTO kv(key, value, create_rev, mod_rev) VALUES (?1, ?2, ?3, ?4)"
                  " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
                  " mod_rev = excluded.mod_rev",
    [ST_DELETE] = "DELETE FROM kv WHERE key = ?1",
    [ST_LOG_ADD] = "INSERT INTO changes(id, rev, key, value, create_rev)"
                   " VALUES (?1 * 1048576 + ?2, ?1, ?3, ?4, ?5)",
    [ST_LOG_READ] = "SELECT rev, key, value, create_rev FROM changes"
                    " WHERE id >= ?1 * 1048576 AND id < (?2 + 1) * 1048576 ORDER BY id",
    [ST_LOG_COMPACT] = "DELETE FROM changes WHERE id < (?1 + 1) * 1048576",
};

#define SQL_SCHEMA_VERSION 1
/* Ops per transaction: the change log's id keeps 20 bits for the op. */
#define SQL_TXN_MAX_OPS (1 << 20)
#define SQL_STR_(x)     #x
#define SQL_STR(x)      SQL_STR_(x)

static const char sql_schema[] =
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta VALUES ('compact_rev', 0);"
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL,"
    " create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY, rev INTEGER NOT NULL,"
    " key TEXT NOT NULL, value TEXT, create_rev INTEGER NOT NULL);"
    "PRAGMA user_version = " SQL_STR(SQL_SCHEMA_VERSION) ";";

static const char *const sql_sync_name[] = {
    [STORE_SYNC_FULL] = "full",
    [STORE_SYNC_NORMAL] = "normal",
    [STORE_SYNC_OFF] = "off",
};

struct sql_store {
	sqlite3 *db;
	char *path;
	int64_t history;
	int busy_timeout_ms;
	int64_t busy_since_ns;         /* when the current wait for a lock began */
	int64_t compact_slack;         /* compact once this many revisions are over history */
	int ifd;                       /* inotify, or -1 */
	int notify_wd;                 /* its watch on the PATH-notify file */
	int nfd;                       /* PATH-notify, written after each commit, or -1 */
	int tfd;                       /* follow-up timer */
	int efd;                       /* epoll set of both: the notify fd */
	int followup;                  /* next follow-up delay to use */
	struct sql_checkpointer *ckpt; /* sqlite_checkpoint.c, or NULL */
	sqlite3_stmt *st[ST_COUNT];
};

static void sql_notify_free(struct sql_store *q);

static int sql_fail(struct sql_store *q, const char *what)
{
	log_err("store: sqlite %s: %s: %s", q->path, what, sqlite3_errmsg(q->db));
	return -EIO;
}

/* Run a statement that returns no rows (BEGIN, COMMIT, a write). */
static int sql_exec(struct sql_store *q, enum sql_stmt i)
{
	sqlite3_stmt *st = q->st[i];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sql_fail(q, sql_text[i]);
	return 0;
}

static void sql_rollback(struct sql_store *q)
{
	if (!sqlite3_get_autocommit(q->db))
		(void)sql_exec(q, ST_ROLLBACK);
}

static void sql_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int sql_meta(struct sql_store *q, int64_t *rev, int64_t *compact)
{
	sqlite3_stmt *st = q->st[ST_META];
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		*rev = sqlite3_column_int64(st, 0);
		if (compact)
			*compact = sqlite3_column_int64(st, 1);
	}
	sql_done(st);
	return rc == SQLITE_ROW ? 0 : sql_fail(q, "reading the revision");
}

static int sql_revision(struct store *s, int64_t *rev)
{
	return sql_meta(s->priv, rev, NULL);
}

static void sql_close(struct store *s)
{
	struct sql_store *q = s->priv;
	size_t i;

	sql_checkpointer_detach(q->ckpt, q->db);
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(q->st[i]);
	if (sqlite3_close(q->db) != SQLITE_OK)
		log_err("store: sqlite %s: close: %s", q->path, sqlite3_errmsg(q->db));
	sql_notify_free(q);
	free(q->path);
	free(q);
}

/* Look up key: 0 and its revisions, -ENOENT, or -EIO. With out, copy it. */
static int sql_lookup(struct sql_store *q, const char *key, int64_t *create_rev, int64_t *mod_rev,
                      struct store_kv *out)
{
	sqlite3_stmt *st = q->st[ST_GET];
	int rc, err = 0;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		err = -ENOENT;
	} else if (rc != SQLITE_ROW) {
		err = sql_fail(q, "reading a key");
	} else {
		*create_rev = sqlite3_column_int64(st, 1);
		*mod_rev = sqlite3_column_int64(st, 2);
		if (out) {
			out->key = strdup(key);
			out->value = strdup((const char *)sqlite3_column_text(st, 0));
			out->create_rev = *create_rev;
			out->mod_rev = *mod_rev;
			if (!out->key || !out->value) {
				store_kv_clear(out);
				err = -ENOMEM;
			}
		}
	}
	sql_done(st);
	return err;
}

static int sql_get(struct store *s, const char *key, struct store_kv *out)
{
	int64_t c, m;

	return sql_lookup(s->priv, key, &c, &m, out);
}

static int sql_list(struct store *s, const char *prefix, struct store_list *out)
{
	struct sql_store *q = s->priv;
	size_t cap = 0, plen = strlen(prefix);
	char *end = malloc(plen + 1);
	sqlite3_stmt *st;
	int rc, err;

	if (!end)
		return -ENOMEM;
	err = sql_exec(q, ST_BEGIN);
	if (err)
		goto out;
	err = sql_meta(q, &out->rev, NULL);
	if (err)
		goto out;
	if (store_prefix_end(prefix, end)) {
		st = q->st[ST_LIST_RANGE];
		sqlite3_bind_text(st, 2, end, -1, SQLITE_STATIC);
	} else {
		st = q->st[ST_LIST_FROM];
	}
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = store_list_add(out, &cap, (const char *)sqlite3_column_text(st, 0),
		                     (const char *)sqlite3_column_text(st, 1),
		                     sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_fail(q, "listing keys");
	sql_done(st);
	if (!err)
		err = sql_exec(q, ST_COMMIT);
out:
	sql_rollback(q);
	if (err)
		store_list_free(out);
	free(end);
	return err;
}

/* Write op number idx of a checked transaction at revision rev. */
static int sql_apply(struct sql_store *q, const struct store_op *op, size_t idx, int64_t rev,
                     int64_t create_rev)
{
	sqlite3_stmt *st;
	int err;

	if (op->type == STORE_OP_DELETE) {
		st = q->st[ST_DELETE];
		sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
		err = sql_exec(q, ST_DELETE);
	} else {
		st = q->st[ST_UPSERT];
		sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, op->value, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, create_rev);
		sqlite3_bind_int64(st, 4, rev);
		err = sql_exec(q, ST_UPSERT);
	}
	if (err)
		return err;
	st = q->st[ST_LOG_ADD];
	sqlite3_bind_int64(st, 1, rev);
	sqlite3_bind_int64(st, 2, (int64_t)idx);
	sqlite3_bind_text(st, 3, op->key, -1, SQLITE_STATIC);
	if (op->type == STORE_OP_DELETE)
		sqlite3_bind_null(st, 4);
	else
		sqlite3_bind_text(st, 4, op->value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, create_rev);
	return sql_exec(q, ST_LOG_ADD);
}

/* Drop change-log revisions older than history, in the writing transaction. */
static int sql_compact(struct sql_store *q, int64_t rev, int64_t compact)
{
	int64_t floor = rev - q->history;
	int err;

	if (floor - compact < q->compact_slack)
		return 0;
	sqlite3_bind_int64(q->st[ST_LOG_COMPACT], 1, floor);
	err = sql_exec(q, ST_LOG_COMPACT);
	if (err)
		return err;
	sqlite3_bind_int64(q->st[ST_SET_COMPACT], 1, floor);
	return sql_exec(q, ST_SET_COMPACT);
}

static int sql_txn(struct store *s, const struct store_op *ops, size_t n, int64_t *rev,
                   size_t *failed)
{
	struct sql_store *q = s->priv;
	int64_t cur, compact, mod, *create = calloc(n, sizeof(*create));
	bool writes = false;
	size_t i;
	int err;

	if (n > SQL_TXN_MAX_OPS) {
		log_err("store: sqlite %s: transaction of %zu ops (at most %d)", q->path, n,
		        SQL_TXN_MAX_OPS);
		free(create);
		return -EINVAL;
	}
	if (!create)
		return -ENOMEM;
	/* Take the write lock first: no other process can change what we check. */
	err = sql_exec(q, ST_BEGIN_IMMEDIATE);
	if (err)
		goto out;
	err = sql_meta(q, &cur, &compact);
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		err = sql_lookup(q, ops[i].key, &create[i], &mod, NULL);
		if (err == -ENOENT) {
			create[i] = cur + 1;
			mod = 0;
		} else if (err) {
			goto out;
		}
		err = store_op_check(&ops[i], mod);
		if (err) {
			if (failed)
				*failed = i;
			goto out;
		}
		writes = writes || store_op_writes(&ops[i]);
	}
	if (!writes)
		goto out; /* rolled back below: nothing to commit */
	for (i = 0; i < n && !err; i++)
		if (store_op_writes(&ops[i]))
			err = sql_apply(q, &ops[i], i, cur + 1, create[i]);
	if (err)
		goto out;
	err = sql_compact(q, cur + 1, compact);
	if (!err)
		err = sql_exec(q, ST_COMMIT);
	if (!err) {
		cur++;
		/* Published now: wake watchers (no fsync; a lost wakeup is
		 * caught by the -wal watch). */
		if (q->nfd >= 0 && pwrite(q->nfd, &cur, sizeof(cur), 0) < 0)
			log_debug("store: sqlite %s-notify: %m", q->path);
	}
out:
	sql_rollback(q);
	if (!err && rev)
		*rev = cur;
	free(create);
	return err;
}

static int sql_events(struct store *s, int64_t from, int64_t to, struct store_event_batch *out)
{
	struct sql_store *q = s->priv;
	sqlite3_stmt *st = q->st[ST_LOG_READ];
	int64_t cur, compact;
	int rc, err;

	err = sql_exec(q, ST_BEGIN);
	if (err)
		goto out;
	err = sql_meta(q, &cur, &compact);
	if (err)
		goto out;
	if (from <= compact) {
		err = -ERANGE;
		goto out;
	}
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *value = (const char *)sqlite3_column_text(st, 2);

		err = store_batch_add(out, value ? STORE_EVENT_PUT : STORE_EVENT_DELETE,
		                      (const char *)sqlite3_column_text(st, 1), value,
		                      sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 3));
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_fail(q, "reading the change log");
	sql_done(st);
	if (!err)
		err = sql_exec(q, ST_COMMIT);
out:
	sql_rollback(q);
	return err;
}

static const int sql_followup_ms[] = {2, 10, 50, 250};

static int sql_notify_fd(struct store *s)
{
	return ((struct sql_store *)s->priv)->efd;
}

static void sql_followup_arm(struct sql_store *q, int ms)
{
	struct itimerspec its = {
	    .it_value = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L}};

	(void)timerfd_settime(q->tfd, 0, &its, NULL);
}

static void sql_notify_drain(struct store *s)
{
	struct sql_store *q = s->priv;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int last_wd = -1;
	uint64_t ticks;
	ssize_t len;

	if (q->efd < 0)
		return;
	while ((len = read(q->ifd, buf, sizeof(buf))) > 0) {
		ssize_t off = 0;

		while (off + (ssize_t)sizeof(struct inotify_event) <= len) {
			const struct inotify_event *ie = (const void *)(buf + off);

			last_wd = ie->wd;
			off += (ssize_t)(sizeof(*ie) + ie->len);
		}
	}
	if (last_wd >= 0 && last_wd != q->notify_wd) {
		/* WAL written, but maybe not yet published: look again soon. */
		q->followup = 0;
	} else if (read(q->tfd, &ticks, sizeof(ticks)) != sizeof(ticks)) {
		return;
	}
	if (q->followup < (int)(sizeof(sql_followup_ms) / sizeof(sql_followup_ms[0])))
		sql_followup_arm(q, sql_followup_ms[q->followup++]);
}

static const struct store_backend sql_backend = {
    .name = "sqlite",
    .close = sql_close,
    .revision = sql_revision,
    .get = sql_get,
    .list = sql_list,
    .txn = sql_txn,
    .events = sql_events,
    .notify_fd = sql_notify_fd,
    .notify_drain = sql_notify_drain,
};

static int sql_int_cb(void *arg, int ncol, char **val, char **name)
{
	if (ncol > 0 && val[0])
		*(int *)arg = atoi(val[0]);
	return 0;
}

static int64_t sql_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Another process holds the lock: wait and try again, up to the busy
 * timeout. SQLite's own handler backs off to 100 ms sleeps, which lets a
 * busy writer starve the others and adds up to 100 ms after the lock is
 * free; a waiter here looks again every 0.1-1 ms (with jitter so waiters do
 * not move in step).
 */
static int sql_busy(void *arg, int count)
{
	struct sql_store *q = arg;
	int64_t now = sql_now_ns();
	struct timespec pause = {0};

	if (count == 0)
		q->busy_since_ns = now;
	if (now - q->busy_since_ns >= (int64_t)q->busy_timeout_ms * 1000000)
		return 0;
	pause.tv_nsec = (count < 3 ? 100000L << count : 800000L) +
	                (long)(((uint64_t)now * 2654435761u ^ (uint64_t)getpid()) % 200000);
	nanosleep(&pause, NULL);
	return 1;
}

/*
 * Switching a new file to WAL mode needs an exclusive lock and SQLite does
 * not call the busy handler for it: when several processes create the file
 * at once, the losers get SQLITE_BUSY at once. Retry for up to timeout_ms.
 */
static int sql_wal_mode(struct sql_store *q, int timeout_ms)
{
	struct timespec pause = {.tv_nsec = 2 * 1000000L};
	sqlite3_stmt *st = NULL;
	int rc, waited_ms = 0;
	bool wal = false;

	for (;;) {
		rc = sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(st);
			wal = rc == SQLITE_ROW &&
			      !strcmp((const char *)sqlite3_column_text(st, 0), "wal");
		}
		sqlite3_finalize(st);
		st = NULL;
		if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= timeout_ms)
			break;
		nanosleep(&pause, NULL);
		waited_ms += 2;
	}
	if (wal)
		return 0;
	if (rc == SQLITE_ROW) {
		log_err("store: sqlite %s: cannot use WAL mode", q->path);
		return -EIO;
	}
	return sql_fail(q, "journal_mode = WAL");
}

/* WAL mode, durability, schema; several processes may do this at once. */
static int sql_setup(struct sql_store *q, const struct store_url_opts *o)
{
	char pragma[64];
	int rc, err, version;

	q->busy_timeout_ms = o->busy_timeout;
	sqlite3_busy_handler(q->db, sql_busy, q);
	err = sql_wal_mode(q, o->busy_timeout);
	if (err)
		return err;
	snprintf(pragma, sizeof(pragma), "PRAGMA synchronous = %s", sql_sync_name[o->sync]);
	if (sqlite3_exec(q->db, pragma, NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(q, pragma);
	if (sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(q, "locking for the schema");
	version = 0;
	if (sqlite3_exec(q->db, "PRAGMA user_version", sql_int_cb, &version, NULL) != SQLITE_OK) {
		rc = sql_fail(q, "reading the schema version");
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (version > SQL_SCHEMA_VERSION) {
		log_err("store: sqlite %s: schema version %d is newer than this program's (%d)",
		        q->path, version, SQL_SCHEMA_VERSION);
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		return -EPROTONOSUPPORT;
	}
	if (sqlite3_exec(q->db, sql_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = sql_fail(q, "creating the schema");
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return 0;
}

static void sql_notify_free(struct sql_store *q)
{
	if (q->efd >= 0)
		close(q->efd);
	if (q->tfd >= 0)
		close(q->tfd);
	if (q->ifd >= 0)
		close(q->ifd);
	if (q->nfd >= 0)
		close(q->nfd);
	q->efd = q->tfd = q->ifd = q->nfd = -1;
}

/* The notify fd; without it watches still work on a store_poll() timer. */
static void sql_notify_init(struct sql_store *q)
{
	struct epoll_event ev = {.events = EPOLLIN};
	char wal[PATH_MAX], notify[PATH_MAX];

	q->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	q->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	q->efd = epoll_create1(EPOLL_CLOEXEC);
	if (snprintf(notify, sizeof(notify), "%s-notify", q->path) < (int)sizeof(notify))
		q->nfd = open(notify, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (q->ifd < 0 || q->tfd < 0 || q->efd < 0 || q->nfd < 0 ||
	    snprintf(wal, sizeof(wal), "%s-wal", q->path) >= (int)sizeof(wal) ||
	    (q->notify_wd = inotify_add_watch(q->ifd, notify, IN_MODIFY)) < 0 ||
	    inotify_add_watch(q->ifd, wal, IN_MODIFY) < 0 ||
	    inotify_add_watch(q->ifd, q->path, IN_MODIFY) < 0 ||
	    epoll_ctl(q->efd, EPOLL_CTL_ADD, q->ifd, &ev) < 0 ||
	    epoll_ctl(q->efd, EPOLL_CTL_ADD, q->tfd, &ev) < 0) {
		log_warn("store: sqlite %s: no change notification (%m); call store_poll() on a "
		         "timer",
		         q->path);
		sql_notify_free(q);
	}
}

unsigned long store_sqlite_checkpoints(struct store *s)
{
	return s->be == &sql_backend ? sql_checkpointer_runs(((struct sql_store *)s->priv)->ckpt)
	                             : 0;
}

int store_sqlite_open(struct store *s, const char *path, const struct store_url_opts *o)
{
	struct sql_store *q = calloc(1, sizeof(*q));
	size_t i;
	int err = -ENOMEM;

	if (!q)
		return -ENOMEM;
	q->ifd = q->tfd = q->efd = q->nfd = -1;
	q->history = o->history;
	q->compact_slack = o->history / 8 + 1 < 128 ? o->history / 8 + 1 : 128;
	q->path = strdup(path);
	if (!q->path)
		goto fail;
	if (sqlite3_open_v2(path, &q->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		err = q->db ? sql_fail(q, "open") : -ENOMEM;
		goto fail;
	}
	sqlite3_extended_result_codes(q->db, 1);
	err = sql_setup(q, o);
	if (err)
		goto fail;
	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(q->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &q->st[i],
		                       NULL) != SQLITE_OK) {
			err = sql_fail(q, sql_text[i]);
			goto fail;
		}
	}
	sql_notify_init(q);
	q->ckpt = sql_checkpointer_attach(q->db, path, sql_sync_name[o->sync]);
	s->be = &sql_backend;
	s->priv = q;
	snprintf(s->describe, sizeof(s->describe), "sqlite (sync=%s) %s", sql_sync_name[o->sync],
	         path);
	return 0;
fail:
	if (q->db) {
		for (i = 0; i < ST_COUNT; i++)
			sqlite3_finalize(q->st[i]);
		sqlite3_close(q->db);
	}
	sql_notify_free(q);
	free(q->path);
	free(q);
	return err;
}
