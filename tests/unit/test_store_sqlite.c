/*
 * DOC: unit tests that only the SQLite back end can pass: sharing one file
 * between processes (watch latency, CAS across processes), surviving a
 * writer SIGKILLed mid-transaction, reopening, the durability setting, and
 * WAL checkpoints on the back end's own thread.
 * Children open their own connection after fork() and leave with _exit().
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include <tabby/store.h>

#include "store_impl.h"

struct fx {
	char dir[64];
	char path[128];
	char url[160];
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/tabby-test-store-sqlite-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/tabby.db", f->dir);
	snprintf(f->url, sizeof(f->url), "sqlite:%s", f->path);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal", "-notify"};
	char p[160];
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, sfx[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct store *open_url(const char *url)
{
	struct store *s = NULL;

	assert_int_equal(store_open(url, &s), 0);
	return s;
}

static void wait_child(pid_t pid, int want_status)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), want_status);
}

/* ---- a write in one process reaches another's watch quickly ---- */

#define LAT_N 20

/* Per write: when the writer started it, when store_put() returned there,
 * and when the watch in the other process got it (CLOCK_MONOTONIC is one
 * clock for all processes). */
struct lat {
	int64_t sent[LAT_N], acked[LAT_N], seen[LAT_N];
	int n;
};

static void lat_fn(const struct store_event *ev, void *arg)
{
	struct lat *l = arg;
	long long sent;
	int i;

	assert_int_equal(sscanf(ev->value, "{\"i\":%d,\"sent\":%lld}", &i, &sent), 2);
	assert_int_equal(i, l->n); /* in order, none lost */
	assert_true(l->n < LAT_N);
	l->sent[i] = sent;
	l->seen[i] = now_ns();
	l->n++;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void lat_child(const char *url, int go_fd, int ack_fd)
{
	struct store *s = NULL;
	char c, v[64];
	int i;

	if (store_open(url, &s) || read(go_fd, &c, 1) != 1)
		_exit(2);
	for (i = 0; i < LAT_N; i++) {
		int64_t acked;

		snprintf(v, sizeof(v), "{\"i\":%d,\"sent\":%lld}", i, (long long)now_ns());
		if (store_put(s, "/lat/key", v, NULL))
			_exit(3);
		acked = now_ns();
		if (write(ack_fd, &acked, sizeof(acked)) != sizeof(acked))
			_exit(4);
		usleep(20000);
	}
	store_close(s);
	_exit(0);
}

/* Median and maximum of v[] in milliseconds (sorts v). */
static void lat_stats(int64_t *v, double *median, double *max)
{
	qsort(v, LAT_N, sizeof(v[0]), cmp_i64);
	*median = v[LAT_N / 2] / 1e6;
	*max = v[LAT_N - 1] / 1e6;
}

static void test_watch_across_processes(void **state)
{
	struct fx *f = *state;
	struct store *s = open_url(f->url);
	struct store_watch *w;
	struct lat l = {0};
	int64_t deadline, from_start[LAT_N], from_ack[LAT_N];
	double med_start, max_start, med_ack, max_ack;
	int go[2], ack[2], i, fd = store_notify_fd(s);
	pid_t pid;

	assert_true(fd >= 0);
	assert_int_equal(store_watch(s, "/lat/", 0, lat_fn, &l, &w), 0);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ack), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		close(ack[0]);
		lat_child(f->url, go[0], ack[1]);
	}
	close(go[0]);
	close(ack[1]);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	/* The event loop: sleep on the notify fd only (no timer). */
	deadline = now_ns() + 10 * 1000000000LL;
	while (l.n < LAT_N && now_ns() < deadline) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, 1000) == 1)
			assert_true(store_poll(s) >= 0);
	}
	wait_child(pid, 0);
	assert_int_equal(l.n, LAT_N);
	for (i = 0; i < LAT_N; i++) {
		assert_int_equal(read(ack[0], &l.acked[i], sizeof(l.acked[i])), sizeof(l.acked[i]));
		from_start[i] = l.seen[i] - l.sent[i];
		/* visible (and seen) before store_put() returned counts as 0 */
		from_ack[i] = l.seen[i] > l.acked[i] ? l.seen[i] - l.acked[i] : 0;
	}
	close(ack[0]);
	lat_stats(from_start, &med_start, &max_start);
	lat_stats(from_ack, &med_ack, &max_ack);
	printf("store/sqlite: cross-process watch latency over %d writes: from the start of the "
	       "write (its fsync included) median %.3f ms, max %.3f ms; from its "
	       "acknowledgement median %.3f ms, max %.3f ms\n",
	       LAT_N, med_start, max_start, med_ack, max_ack);
	assert_true(med_start < 100);
	assert_true(max_ack < 100);
	store_watch_cancel(w);
	store_close(s);
}

/* ---- compare-and-swap is atomic across processes ---- */

#define CAS_ROUNDS 2000

static int cas_increment(struct store *s, int *retries)
{
	for (;;) {
		struct store_kv kv;
		char v[32];
		int n, err;

		err = store_get(s, "/cas/counter", &kv);
		if (err)
			return err;
		n = atoi(kv.value);
		snprintf(v, sizeof(v), "%d", n + 1);
		err = store_update(s, "/cas/counter", v, kv.mod_rev, NULL);
		store_kv_clear(&kv);
		if (err != -ESTALE)
			return err;
		(*retries)++;
	}
}

static void test_cas_across_processes(void **state)
{
	struct fx *f = *state;
	char url[200];
	struct store *s;
	struct store_kv kv;
	pid_t pid;
	int i, retries = 0, child_retries = -1, go[2];
	char c1;

	snprintf(url, sizeof(url), "%s?sync=off", f->url);
	s = open_url(url);
	assert_int_equal(store_create(s, "/cas/counter", "0", NULL), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *c = NULL;
		int r = 0;

		close(go[0]);
		if (store_open(url, &c) || write(go[1], "r", 1) != 1)
			_exit(2);
		for (i = 0; i < CAS_ROUNDS; i++)
			if (cas_increment(c, &r))
				_exit(3);
		if (write(go[1], &r, sizeof(r)) != sizeof(r))
			_exit(4);
		store_close(c);
		_exit(0);
	}
	close(go[1]);
	assert_int_equal(read(go[0], &c1, 1), 1); /* the child is ready: race it */
	for (i = 0; i < CAS_ROUNDS; i++)
		assert_int_equal(cas_increment(s, &retries), 0);
	assert_int_equal(read(go[0], &child_retries, sizeof(child_retries)), sizeof(child_retries));
	close(go[0]);
	wait_child(pid, 0);
	assert_int_equal(store_get(s, "/cas/counter", &kv), 0);
	assert_int_equal(atoi(kv.value), 2 * CAS_ROUNDS);
	store_kv_clear(&kv);
	printf("store/sqlite: 2 x %d CAS increments, %d + %d lost races retried\n", CAS_ROUNDS,
	       retries, child_retries);
	store_close(s);
}

/* ---- a writer killed mid-transaction leaves no half transaction ---- */

static void killed_writer(const char *url, int start, int ack_fd)
{
	struct store *s = NULL;
	int i;

	if (store_open(url, &s))
		_exit(2);
	for (i = start;; i++) {
		char ka[32], kb[32], v[32];
		struct store_op ops[2] = {
		    {.type = STORE_OP_CREATE, .key = ka, .value = v},
		    {.type = STORE_OP_CREATE, .key = kb, .value = v},
		};

		snprintf(ka, sizeof(ka), "/pair/%06d/a", i);
		snprintf(kb, sizeof(kb), "/pair/%06d/b", i);
		snprintf(v, sizeof(v), "{\"i\":%d}", i);
		if (store_txn(s, ops, 2, NULL, NULL))
			_exit(3);
		if (write(ack_fd, &i, sizeof(i)) != sizeof(i))
			_exit(4);
	}
}

static void test_sigkill_mid_txn(void **state)
{
	struct fx *f = *state;
	struct store *s;
	struct store_list l;
	int round, next = 0, acked = -1;
	int64_t rev;
	size_t i;

	srand((unsigned)getpid());
	for (round = 0; round < 6; round++) {
		int ack[2], v, status;
		pid_t pid;

		assert_int_equal(pipe(ack), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(ack[0]);
			killed_writer(f->url, next, ack[1]);
		}
		close(ack[1]);
		/* kill it while it is busy writing, not while it starts */
		assert_int_equal(read(ack[0], &v, sizeof(v)), sizeof(v));
		acked = v;
		usleep(5000 + rand() % 60000);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		while (read(ack[0], &v, sizeof(v)) == sizeof(v))
			acked = v;
		close(ack[0]);
		/* the next writer starts after whatever made it to disk */
		s = open_url(f->url);
		assert_int_equal(store_list(s, "/pair/", &l), 0);
		assert_int_equal(l.n % 2, 0);
		next = (int)(l.n / 2);
		store_list_free(&l);
		store_close(s);
		assert_true(next >= acked + 1); /* every acknowledged txn is there */
	}
	s = open_url(f->url);
	assert_int_equal(store_list(s, "/pair/", &l), 0);
	assert_int_equal(store_revision(s, &rev), 0);
	printf("store/sqlite: %d transactions committed by writers SIGKILLed 6 times\n", next);
	assert_true(next > 0);
	/* one revision per txn, both keys of a txn or neither, in order */
	assert_int_equal(rev, next);
	for (i = 0; i < l.n; i += 2) {
		char want[32];

		snprintf(want, sizeof(want), "/pair/%06zu/a", i / 2);
		assert_string_equal(l.kvs[i].key, want);
		want[strlen(want) - 1] = 'b';
		assert_string_equal(l.kvs[i + 1].key, want);
		assert_string_equal(l.kvs[i].value, l.kvs[i + 1].value);
		assert_int_equal(l.kvs[i].mod_rev, l.kvs[i + 1].mod_rev);
		assert_int_equal(l.kvs[i].mod_rev, (int64_t)(i / 2 + 1));
	}
	store_list_free(&l);
	/* and the store still takes writes */
	assert_int_equal(store_put(s, "/after", "1", &rev), 0);
	assert_int_equal(rev, next + 1);
	store_close(s);
}

/* ---- persistence and settings ---- */

static void count_events(const struct store_event *ev, void *arg)
{
	(void)ev;
	(*(int *)arg)++;
}

static void test_reopen(void **state)
{
	struct fx *f = *state;
	struct store *s = open_url(f->url);
	struct store_watch *w;
	struct store_kv kv;
	int64_t rev;
	int n = 0;

	assert_int_equal(store_put(s, "/keep/1", "{\"a\":1}", NULL), 0);
	assert_int_equal(store_put(s, "/keep/2", "{\"a\":2}", NULL), 0);
	assert_int_equal(store_delete(s, "/keep/1", 0), 0);
	store_close(s);

	s = open_url(f->path); /* a bare path works too */
	assert_int_equal(store_revision(s, &rev), 0);
	assert_int_equal(rev, 3);
	assert_int_equal(store_get(s, "/keep/2", &kv), 0);
	assert_string_equal(kv.value, "{\"a\":2}");
	assert_int_equal(kv.mod_rev, 2);
	store_kv_clear(&kv);
	assert_int_equal(store_get(s, "/keep/1", &kv), -ENOENT);
	/* the change log survived too */
	assert_int_equal(store_watch(s, "/keep/", 1, count_events, &n, &w), 0);
	assert_int_equal(store_poll(s), 3);
	assert_int_equal(n, 3);
	store_close(s);
}

static void test_sync_and_wal(void **state)
{
	struct fx *f = *state;
	static const char *const modes[] = {"full", "normal", "off"};
	char url[200], want[32];
	struct store *s;
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t i;

	s = open_url(f->url);
	assert_non_null(strstr(store_describe(s), "sync=full"));
	store_close(s);
	for (i = 0; i < 3; i++) {
		snprintf(url, sizeof(url), "%s?sync=%s", f->url, modes[i]);
		snprintf(want, sizeof(want), "sync=%s", modes[i]);
		s = open_url(url);
		assert_non_null(strstr(store_describe(s), want));
		assert_int_equal(store_put(s, "/s", "1", NULL), 0);
		store_close(s);
	}
	snprintf(url, sizeof(url), "%s?sync=sometimes", f->url);
	s = NULL;
	assert_int_equal(store_open(url, &s), -EINVAL);
	snprintf(url, sizeof(url), "sqlite:%s/no/such/dir/tabby.db", f->dir);
	assert_int_equal(store_open(url, &s), -EIO);
	assert_null(s);
	/* WAL mode is a property of the file: a plain connection sees it */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	/* a file from a newer schema is refused, not downgraded */
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	s = NULL;
	assert_int_equal(store_open(f->url, &s), -EPROTONOSUPPORT);
	assert_null(s);
}

/*
 * Thousands of commits back to back: the back end's thread checkpoints, the
 * WAL stays bounded (the committer checkpoints itself past 4000 pages, as no
 * moment without commits lets the thread's checkpoints finish), and
 * everything is in the file for a new connection.
 */
static void test_checkpoints_off_the_commit(void **state)
{
	struct fx *f = *state;
	struct store *s = open_url(f->url);
	char key[32], value[600], wal[160];
	struct store_kv kv;
	struct stat stw, std;
	unsigned long runs;
	int i;

	memset(value, 'x', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	value[0] = '"';
	value[sizeof(value) - 2] = '"';
	for (i = 0; i < 6000; i++) {
		snprintf(key, sizeof(key), "/ckpt/%d", i % 500);
		assert_int_equal(store_put(s, key, value, NULL), 0);
	}
	/* The thread runs after the commit that asked for it: give it a moment. */
	for (i = 0; i < 200 && store_sqlite_checkpoints(s) == 0; i++)
		usleep(10000);
	runs = store_sqlite_checkpoints(s);
	assert_true(runs >= 1);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(stat(wal, &stw), 0);
	assert_int_equal(stat(f->path, &std), 0);
	/* 6000 commits of 2+ pages each would be over 12000 pages without checkpoints. */
	assert_true(stw.st_size < 4200 * 4096);
	assert_true(std.st_size > 500 * 600); /* the rows reached the database file */
	store_close(s);
	s = open_url(f->url);
	assert_int_equal(store_get(s, "/ckpt/499", &kv), 0);
	assert_string_equal(kv.value, value);
	store_kv_clear(&kv);
	store_close(s);
}

/* ---- several processes creating the same new file at once ---- */

static void test_concurrent_first_open(void **state)
{
	struct fx *f = *state;
	struct store *s;
	struct store_list l;
	pid_t pids[4];
	int i, go[2];

	assert_int_equal(pipe(go), 0);
	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct store *c = NULL;
			char key[32], buf[4];

			close(go[1]);
			/* all start together when the pipe closes */
			if (read(go[0], buf, sizeof(buf)) != 0 || store_open(f->url, &c))
				_exit(2);
			snprintf(key, sizeof(key), "/first/%d", i);
			if (store_create(c, key, "{}", NULL))
				_exit(3);
			store_close(c);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < 4; i++)
		wait_child(pids[i], 0);
	s = open_url(f->url);
	assert_int_equal(store_list(s, "/first/", &l), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.rev, 4);
	store_list_free(&l);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_watch_across_processes, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_cas_across_processes, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_sigkill_mid_txn, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_reopen, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_first_open, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_sync_and_wal, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_checkpoints_off_the_commit, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests_name("store/sqlite-only", tests, NULL, NULL);
}
