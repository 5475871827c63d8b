/*
 * DOC: WAL checkpoints of the SQLite back end, off the committing thread.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL
 * past 1000 pages: it copies the pages into the database file and fsyncs it,
 * 3-8 ms here, so one write in a few hundred (a CNI ADD, say) waited for it.
 * Instead a WAL hook on the writing connection notices the size after each
 * commit and, past the same threshold, wakes a thread that runs a PASSIVE
 * checkpoint on a connection of its own. A passive checkpoint takes no lock
 * that writers or readers wait for: commits go on appending to the WAL
 * meanwhile, and the first writer after a complete checkpoint starts the WAL
 * again from its beginning. That needs a moment without commits: under a
 * steady stream of them the WAL would only grow, so past four times the
 * threshold the committing connection checkpoints inline, as SQLite would
 * have (and finds most pages copied already). The thread starts with the
 * first checkpoint a process needs (a short-lived tabbyctl seldom does); if
 * it cannot, the hook checkpoints inline too.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include <tabby/log.h>

#include "store_impl.h"

/* SQLite's own default (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT). */
#define SQL_CHECKPOINT_PAGES 1000
/* Past this the committing connection checkpoints itself. */
#define SQL_CHECKPOINT_INLINE_PAGES (4 * SQL_CHECKPOINT_PAGES)

struct sql_checkpointer {
	char *path;
	char sync_pragma[48];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started, failed, wanted, stop;
	unsigned long runs; /* checkpoints done by the thread */
};

static void sql_checkpoint_run(sqlite3 *db, const char *path)
{
	int nlog = 0, nckpt = 0;
	int rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);

	if (rc == SQLITE_OK)
		log_debug("store: sqlite %s: checkpoint: %d of %d WAL pages", path, nckpt, nlog);
	else if (rc != SQLITE_BUSY) /* another process is checkpointing: it does the work */
		log_warn("store: sqlite %s: checkpoint: %s", path, sqlite3_errmsg(db));
}

static void *sql_checkpointer_main(void *arg)
{
	struct sql_checkpointer *c = arg;
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	        SQLITE_OK ||
	    sqlite3_exec(db, c->sync_pragma, NULL, NULL, NULL) != SQLITE_OK) {
		log_warn("store: sqlite %s: checkpoint connection: %s", c->path,
		         db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		pthread_mutex_lock(&c->lock);
		c->failed = true;
		pthread_mutex_unlock(&c->lock);
		return NULL;
	}
	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->wanted && !c->stop)
			pthread_cond_wait(&c->cond, &c->lock);
		if (c->stop)
			break;
		c->wanted = false;
		pthread_mutex_unlock(&c->lock);
		sql_checkpoint_run(db, c->path);
		pthread_mutex_lock(&c->lock);
		c->runs++;
	}
	pthread_mutex_unlock(&c->lock);
	sqlite3_close(db);
	return NULL;
}

/* After every commit on the writing connection: pages is the WAL's size. */
static int sql_checkpoint_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sql_checkpointer *c = arg;
	bool inline_run = false;

	(void)name;
	if (pages < SQL_CHECKPOINT_PAGES)
		return SQLITE_OK;
	pthread_mutex_lock(&c->lock);
	if (!c->started && !c->failed) {
		if (pthread_create(&c->thread, NULL, sql_checkpointer_main, c) == 0)
			c->started = true;
		else
			c->failed = true;
	}
	if (c->failed || pages >= SQL_CHECKPOINT_INLINE_PAGES) {
		inline_run = true;
	} else {
		c->wanted = true;
		pthread_cond_signal(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
	if (inline_run)
		sql_checkpoint_run(db, c->path);
	return SQLITE_OK;
}

struct sql_checkpointer *sql_checkpointer_attach(sqlite3 *db, const char *path,
                                                 const char *sync_name)
{
	struct sql_checkpointer *c = calloc(1, sizeof(*c));

	if (!c || !(c->path = strdup(path))) {
		free(c);
		return NULL; /* SQLite's automatic checkpoint stays */
	}
	snprintf(c->sync_pragma, sizeof(c->sync_pragma), "PRAGMA synchronous = %s", sync_name);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	/* Replaces the automatic checkpoint, which is a WAL hook too. */
	sqlite3_wal_hook(db, sql_checkpoint_hook, c);
	return c;
}

unsigned long sql_checkpointer_runs(struct sql_checkpointer *c)
{
	unsigned long n;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->lock);
	n = c->runs;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void sql_checkpointer_detach(struct sql_checkpointer *c, sqlite3 *db)
{
	if (!c)
		return;
	if (db)
		sqlite3_wal_hook(db, NULL, NULL);
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (c->started)
		pthread_join(c->thread, NULL); /* a checkpoint under way ends first */
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c->path);
	free(c);
}
