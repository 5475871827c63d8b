/*
 * DOC: unit tests of the datastore API, run against every back end.
 *
 * One suite, two setups: "memory:" and a SQLite file in a fresh temporary
 * directory. Nothing here may know which back end it talks to except the
 * fixture (and store_describe()).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <tabby/store.h>

struct fx {
	char dir[64];
	char base[128]; /* URL without options */
	bool sqlite;
	struct store *s;
	struct store *extra; /* a second store opened by the test */
};

static int fx_setup_memory(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->base, sizeof(f->base), "memory:");
	assert_int_equal(store_open(f->base, &f->s), 0);
	*state = f;
	return 0;
}

static int fx_setup_sqlite(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/tabby-test-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->base, sizeof(f->base), "sqlite:%s/tabby.db", f->dir);
	f->sqlite = true;
	assert_int_equal(store_open(f->base, &f->s), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal", "-notify"};
	char p[160];
	size_t i;

	store_close(f->s);
	store_close(f->extra);
	if (f->sqlite) {
		for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
			snprintf(p, sizeof(p), "%s/tabby.db%s", f->dir, sfx[i]);
			unlink(p);
		}
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

/* Replace the fixture's store with one opened with URL options opts. */
static void fx_reopen(struct fx *f, const char *opts)
{
	char url[256];

	snprintf(url, sizeof(url), "%s?%s", f->base, opts);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(url, &f->s), 0);
}

static int64_t put(struct store *s, const char *key, const char *value)
{
	int64_t rev = -1;

	assert_int_equal(store_put(s, key, value, &rev), 0);
	assert_true(rev > 0);
	return rev;
}

static int64_t cur_rev(struct store *s)
{
	int64_t rev = -1;

	assert_int_equal(store_revision(s, &rev), 0);
	return rev;
}

/* ---- events collected by watch callbacks ---- */

struct rec_ev {
	enum store_event_type type;
	char key[64];
	char *value;
	int64_t mod_rev, create_rev;
};

struct rec {
	struct rec_ev ev[2048];
	size_t n;
	/* behaviours */
	struct store_watch *cancel_self; /* cancel this watch after the first event */
	struct store *write_to;          /* put "/cb/written" once */
};

static void rec_fn(const struct store_event *ev, void *arg)
{
	struct rec *r = arg;
	struct rec_ev *e;

	assert_true(r->n < sizeof(r->ev) / sizeof(r->ev[0]));
	e = &r->ev[r->n++];
	e->type = ev->type;
	snprintf(e->key, sizeof(e->key), "%s", ev->key);
	e->value = ev->value ? strdup(ev->value) : NULL;
	e->mod_rev = ev->mod_rev;
	e->create_rev = ev->create_rev;
	if (r->cancel_self) {
		store_watch_cancel(r->cancel_self);
		r->cancel_self = NULL;
	}
	if (r->write_to) {
		struct store *s = r->write_to;

		r->write_to = NULL;
		put(s, "/cb/written", "{\"by\":\"callback\"}");
	}
}

static void rec_reset(struct rec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->ev[i].value);
	memset(r, 0, sizeof(*r));
}

static struct rec *rec_new(void)
{
	struct rec *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	return r;
}

static void rec_free(struct rec *r)
{
	rec_reset(r);
	free(r);
}

/* ---- tests ---- */

static void test_empty(void **state)
{
	struct fx *f = *state;
	struct store_kv kv;
	struct store_list l;

	assert_int_equal(cur_rev(f->s), 0);
	assert_int_equal(store_get(f->s, "/nothing", &kv), -ENOENT);
	assert_int_equal(store_list(f->s, "/", &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.rev, 0);
	store_list_free(&l);
	assert_int_equal(store_delete(f->s, "/nothing", 0), -ENOENT);
}

static void test_list_prefix_boundaries(void **state)
{
	struct fx *f = *state;
	static const char *const keys[] = {"/b/x", "/a/2", "/ab", "/a",
	                                   "/a/1", "/a/",  "/a0", "/a/1/deep"};
	struct store_list l;
	struct store_kv kv;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char v[64];

		snprintf(v, sizeof(v), "{\"k\":\"%s\"}", keys[i]);
		put(f->s, keys[i], v);
	}
	assert_int_equal(store_list(f->s, "/a/", &l), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.kvs[0].key, "/a/");
	assert_string_equal(l.kvs[1].key, "/a/1");
	assert_string_equal(l.kvs[2].key, "/a/1/deep");
	assert_string_equal(l.kvs[3].key, "/a/2");
	assert_string_equal(l.kvs[3].value, "{\"k\":\"/a/2\"}");
	assert_int_equal(l.rev, 8);
	assert_int_equal(l.kvs[3].mod_rev, 2);
	store_list_free(&l);

	assert_int_equal(store_list(f->s, "/a", &l), 0);
	assert_int_equal(l.n, 7); /* everything but /b/x */
	store_list_free(&l);
	assert_int_equal(store_list(f->s, "", &l), 0);
	assert_int_equal(l.n, 8);
	for (i = 1; i < l.n; i++)
		assert_true(strcmp(l.kvs[i - 1].key, l.kvs[i].key) < 0);
	store_list_free(&l);
	assert_int_equal(store_list(f->s, "/c", &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.rev, 8);
	store_list_free(&l);
	assert_int_equal(store_list(f->s, "/a/1/deep/", &l), 0);
	assert_int_equal(l.n, 0);
	store_list_free(&l);

	assert_int_equal(store_get(f->s, "/a/1", &kv), 0);
	assert_string_equal(kv.key, "/a/1");
	assert_string_equal(kv.value, "{\"k\":\"/a/1\"}");
	assert_int_equal(kv.create_rev, 5);
	assert_int_equal(kv.mod_rev, 5);
	store_kv_clear(&kv);
	assert_int_equal(store_get(f->s, "/a/3", &kv), -ENOENT);
}

/* Keys compare bytewise in every back end, beyond ASCII too. */
static void test_list_byte_order(void **state)
{
	struct fx *f = *state;
	struct store_list l;

	put(f->s, "/s/\xc3\xa9", "1"); /* é sorts after z */
	put(f->s, "/s/z", "2");
	put(f->s, "/s/\xff", "3"); /* a prefix ending in 0xff has no simple upper bound */
	put(f->s, "/s/\xff\xff/x", "4");
	put(f->s, "/t", "5");
	assert_int_equal(store_list(f->s, "/s/", &l), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.kvs[0].key, "/s/z");
	assert_string_equal(l.kvs[1].key, "/s/\xc3\xa9");
	assert_string_equal(l.kvs[2].key, "/s/\xff");
	assert_string_equal(l.kvs[3].key, "/s/\xff\xff/x");
	store_list_free(&l);
	assert_int_equal(store_list(f->s, "/s/\xff", &l), 0);
	assert_int_equal(l.n, 2);
	store_list_free(&l);
	assert_int_equal(store_list(f->s, "/s/\xff\xff", &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.kvs[0].value, "4");
	store_list_free(&l);
}

static void test_cas_semantics(void **state)
{
	struct fx *f = *state;
	struct store_kv kv;
	int64_t r1 = 0, r2 = 0, r3 = 0;

	assert_int_equal(store_create(f->s, "/k", "1", &r1), 0);
	assert_int_equal(r1, 1);
	assert_int_equal(store_create(f->s, "/k", "2", &r2), -EEXIST);
	assert_int_equal(store_update(f->s, "/k", "2", r1 + 5, &r2), -ESTALE);
	assert_int_equal(store_update(f->s, "/missing", "2", r1, &r2), -ENOENT);
	assert_int_equal(store_update(f->s, "/k", "2", r1, &r2), 0);
	assert_int_equal(r2, 2);
	/* the old revision no longer wins */
	assert_int_equal(store_update(f->s, "/k", "3", r1, &r3), -ESTALE);
	assert_int_equal(store_get(f->s, "/k", &kv), 0);
	assert_string_equal(kv.value, "2");
	assert_int_equal(kv.create_rev, 1);
	assert_int_equal(kv.mod_rev, 2);
	store_kv_clear(&kv);

	assert_int_equal(store_delete(f->s, "/k", r1), -ESTALE);
	assert_int_equal(store_delete(f->s, "/k", r2), 0);
	assert_int_equal(store_delete(f->s, "/k", 0), -ENOENT);
	assert_int_equal(store_get(f->s, "/k", &kv), -ENOENT);
	assert_int_equal(cur_rev(f->s), 3);

	/* put creates, then overwrites keeping create_rev */
	r1 = put(f->s, "/k", "\"a\"");
	r2 = put(f->s, "/k", "\"b\"");
	assert_int_equal(r2, r1 + 1);
	assert_int_equal(store_get(f->s, "/k", &kv), 0);
	assert_int_equal(kv.create_rev, r1);
	assert_int_equal(kv.mod_rev, r2);
	assert_string_equal(kv.value, "\"b\"");
	store_kv_clear(&kv);
	/* unconditional delete, then a re-create has a new create_rev */
	assert_int_equal(store_delete(f->s, "/k", 0), 0);
	assert_int_equal(store_create(f->s, "/k", "{}", &r3), 0);
	assert_int_equal(store_get(f->s, "/k", &kv), 0);
	assert_int_equal(kv.create_rev, r3);
	assert_int_equal(r3, r2 + 2);
	store_kv_clear(&kv);
}

static void test_invalid_args(void **state)
{
	struct fx *f = *state;
	struct store_op dup[] = {
	    {.type = STORE_OP_CHECK, .key = "/x", .rev = 0},
	    {.type = STORE_OP_PUT, .key = "/x", .value = "1"},
	    {.type = STORE_OP_PUT, .key = "/y", .value = "1"},
	    {.type = STORE_OP_DELETE, .key = "/x"},
	};
	struct store_op bad_type = {.type = (enum store_op_type)42, .key = "/x", .value = "1"};
	size_t failed = 99;
	int64_t rev;

	assert_int_equal(store_put(f->s, "", "1", &rev), -EINVAL);
	assert_int_equal(store_put(f->s, NULL, "1", &rev), -EINVAL);
	assert_int_equal(store_put(f->s, "/x", NULL, &rev), -EINVAL);
	assert_int_equal(store_put(f->s, "/x", "not json", &rev), -EINVAL);
	assert_int_equal(store_put(f->s, "/x", "{\"a\":1", &rev), -EINVAL);
	assert_int_equal(store_put(f->s, "/x", "{} trailing", &rev), -EINVAL);
	assert_int_equal(store_update(f->s, "/x", "1", 0, &rev), -EINVAL);
	assert_int_equal(store_txn(f->s, dup, 0, &rev, &failed), -EINVAL);
	assert_int_equal(store_txn(f->s, dup, 4, &rev, &failed), -EINVAL);
	assert_int_equal(failed, 3);
	/* a check and a write of the same key are fine */
	assert_int_equal(store_txn(f->s, dup, 3, &rev, &failed), 0);
	assert_int_equal(store_txn(f->s, &bad_type, 1, &rev, &failed), -EINVAL);
	assert_int_equal(failed, 0);
	assert_int_equal(cur_rev(f->s), 1);
}

static void test_txn_all_or_nothing(void **state)
{
	struct fx *f = *state;
	int64_t r1 = put(f->s, "/t/1", "1"), rev = 0;
	struct store_op ops[] = {
	    {.type = STORE_OP_CREATE, .key = "/t/2", .value = "2"},
	    {.type = STORE_OP_UPDATE, .key = "/t/1", .value = "11", .rev = r1 + 1},
	    {.type = STORE_OP_PUT, .key = "/t/3", .value = "3"},
	    {.type = STORE_OP_CHECK, .key = "/t/4", .rev = 0},
	};
	struct store_kv kv;
	struct store_list l;
	size_t failed = 99;

	assert_int_equal(store_txn(f->s, ops, 4, &rev, &failed), -ESTALE);
	assert_int_equal(failed, 1);
	assert_int_equal(cur_rev(f->s), r1);
	assert_int_equal(store_get(f->s, "/t/2", &kv), -ENOENT);
	assert_int_equal(store_get(f->s, "/t/3", &kv), -ENOENT);

	ops[1].rev = r1;
	assert_int_equal(store_txn(f->s, ops, 4, &rev, &failed), 0);
	assert_int_equal(rev, r1 + 1);
	assert_int_equal(cur_rev(f->s), rev);
	assert_int_equal(store_list(f->s, "/t/", &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.rev, rev);
	for (size_t i = 0; i < l.n; i++)
		assert_int_equal(l.kvs[i].mod_rev, rev); /* one revision for the txn */
	assert_int_equal(l.kvs[0].create_rev, r1);
	assert_string_equal(l.kvs[0].value, "11");
	store_list_free(&l);

	/* the same txn again: CREATE fails first */
	assert_int_equal(store_txn(f->s, ops, 4, NULL, &failed), -EEXIST);
	assert_int_equal(failed, 0);

	/* check-only txn: no new revision */
	struct store_op chk[] = {
	    {.type = STORE_OP_CHECK, .key = "/t/1", .rev = rev},
	    {.type = STORE_OP_CHECK, .key = "/t/9", .rev = 0},
	};
	int64_t crev = 0;

	assert_int_equal(store_txn(f->s, chk, 2, &crev, &failed), 0);
	assert_int_equal(crev, rev);
	chk[0].rev = r1;
	assert_int_equal(store_txn(f->s, chk, 2, &crev, &failed), -ESTALE);
	assert_int_equal(failed, 0);
	chk[0].rev = rev;
	chk[1].key = "/t/2";
	assert_int_equal(store_txn(f->s, chk, 2, &crev, &failed), -EEXIST);
	assert_int_equal(failed, 1);
	chk[1].rev = 12345;
	chk[1].key = "/t/9";
	assert_int_equal(store_txn(f->s, chk, 2, &crev, &failed), -ENOENT);
	assert_int_equal(failed, 1);

	/* delete and create in one txn, delete of a missing key fails it */
	struct store_op mv[] = {
	    {.type = STORE_OP_DELETE, .key = "/t/2", .rev = rev},
	    {.type = STORE_OP_CREATE, .key = "/t/5", .value = "5"},
	    {.type = STORE_OP_DELETE, .key = "/t/nope"},
	};

	assert_int_equal(store_txn(f->s, mv, 3, &crev, &failed), -ENOENT);
	assert_int_equal(failed, 2);
	assert_int_equal(store_txn(f->s, mv, 2, &crev, &failed), 0);
	assert_int_equal(crev, rev + 1);
	assert_int_equal(store_get(f->s, "/t/2", &kv), -ENOENT);
	assert_int_equal(store_get(f->s, "/t/5", &kv), 0);
	store_kv_clear(&kv);
}

static void test_revisions_monotonic(void **state)
{
	struct fx *f = *state;
	int64_t prev = cur_rev(f->s), rev;
	int i;

	for (i = 0; i < 20; i++) {
		char key[32];

		snprintf(key, sizeof(key), "/m/%d", i % 5);
		if (i % 3 == 0) {
			/* failing writes do not consume a revision */
			assert_int_equal(store_update(f->s, key, "0", 999999, &rev),
			                 i < 5 ? -ENOENT : -ESTALE);
		}
		rev = put(f->s, key, "0");
		assert_int_equal(rev, prev + 1);
		assert_int_equal(cur_rev(f->s), rev);
		prev = rev;
	}
}

static void test_watch_events(void **state)
{
	struct fx *f = *state;
	struct rec *r = rec_new();
	struct store_watch *w;
	int64_t r1, r2, r3, r4;

	put(f->s, "/w/before", "0");
	assert_int_equal(store_watch(f->s, "/w/", 0, rec_fn, r, &w), 0);
	assert_int_equal(store_poll(f->s), 0);
	r1 = put(f->s, "/w/1", "{\"v\":1}");
	r2 = put(f->s, "/x/1", "1");
	r3 = put(f->s, "/w/1", "{\"v\":2}");
	assert_int_equal(store_delete(f->s, "/w/1", r3), 0);
	r4 = cur_rev(f->s);
	put(f->s, "/wx", "1"); /* not under "/w/" */
	assert_int_equal(store_poll(f->s), 3);
	assert_int_equal(r->n, 3);
	assert_int_equal(r->ev[0].type, STORE_EVENT_PUT);
	assert_string_equal(r->ev[0].key, "/w/1");
	assert_string_equal(r->ev[0].value, "{\"v\":1}");
	assert_int_equal(r->ev[0].mod_rev, r1);
	assert_int_equal(r->ev[0].create_rev, r1);
	assert_int_equal(r->ev[1].mod_rev, r3);
	assert_int_equal(r->ev[1].create_rev, r1);
	assert_string_equal(r->ev[1].value, "{\"v\":2}");
	assert_int_equal(r->ev[2].type, STORE_EVENT_DELETE);
	assert_null(r->ev[2].value);
	assert_int_equal(r->ev[2].mod_rev, r4);
	assert_int_equal(r->ev[2].create_rev, r1);
	(void)r2;
	assert_int_equal(store_poll(f->s), 0);
	assert_int_equal(store_watch_error(w), 0);
	store_watch_cancel(w);
	put(f->s, "/w/2", "1");
	assert_int_equal(store_poll(f->s), 0);
	assert_int_equal(r->n, 3);
	rec_free(r);
}

static void test_watch_history_replay(void **state)
{
	struct fx *f = *state;
	struct rec *r = rec_new(), *r2 = rec_new();
	struct store_watch *w, *w2;
	struct store_op two[] = {
	    {.type = STORE_OP_PUT, .key = "/h/a", .value = "10"},
	    {.type = STORE_OP_PUT, .key = "/h/b", .value = "11"},
	};
	int64_t rev;
	int i;

	for (i = 1; i <= 5; i++) {
		char v[16];

		snprintf(v, sizeof(v), "%d", i);
		put(f->s, "/h/a", v);
	}
	assert_int_equal(store_txn(f->s, two, 2, &rev, NULL), 0);
	assert_int_equal(store_watch(f->s, "/h/", 3, rec_fn, r, &w), 0);
	/* from a future revision: nothing until it exists */
	assert_int_equal(store_watch(f->s, "/h/", rev + 2, rec_fn, r2, &w2), 0);
	assert_int_equal(store_poll(f->s), 5);
	assert_int_equal(r->n, 5);
	assert_int_equal(r->ev[0].mod_rev, 3);
	assert_string_equal(r->ev[0].value, "3");
	assert_int_equal(r->ev[2].mod_rev, 5);
	/* both events of the txn, in op order, with one revision */
	assert_int_equal(r->ev[3].mod_rev, rev);
	assert_int_equal(r->ev[4].mod_rev, rev);
	assert_string_equal(r->ev[3].key, "/h/a");
	assert_string_equal(r->ev[4].key, "/h/b");
	assert_int_equal(r2->n, 0);
	put(f->s, "/h/c", "1");
	assert_int_equal(store_poll(f->s), 1);
	assert_int_equal(r2->n, 0);
	put(f->s, "/h/c", "2");
	assert_int_equal(store_poll(f->s), 2);
	assert_int_equal(r2->n, 1);
	assert_int_equal(r2->ev[0].mod_rev, rev + 2);
	store_watch_cancel(w);
	store_watch_cancel(w2);
	rec_free(r);
	rec_free(r2);
}

static void test_watch_cancel_in_callback(void **state)
{
	struct fx *f = *state;
	struct rec *a = rec_new(), *b = rec_new();
	struct store_watch *wa, *wb;
	struct store_op two[] = {
	    {.type = STORE_OP_PUT, .key = "/c/1", .value = "1"},
	    {.type = STORE_OP_PUT, .key = "/c/2", .value = "2"},
	};

	assert_int_equal(store_watch(f->s, "/c/", 0, rec_fn, a, &wa), 0);
	assert_int_equal(store_watch(f->s, "/c/", 0, rec_fn, b, &wb), 0);
	a->cancel_self = wa;
	assert_int_equal(store_txn(f->s, two, 2, NULL, NULL), 0);
	put(f->s, "/c/3", "3");
	assert_int_equal(store_poll(f->s), 4);
	assert_int_equal(a->n, 1);
	assert_int_equal(b->n, 3);
	/* a callback that cancels another watch and writes */
	b->cancel_self = wb;
	b->write_to = f->s;
	put(f->s, "/c/4", "4");
	assert_int_equal(store_poll(f->s), 1);
	assert_int_equal(b->n, 4);
	assert_int_equal(store_poll(f->s), 0);
	assert_int_equal(a->n, 1);
	rec_free(a);
	rec_free(b);
}

static void test_watch_callback_writes(void **state)
{
	struct fx *f = *state;
	struct rec *r = rec_new();
	struct store_watch *w;

	assert_int_equal(store_watch(f->s, "/", 0, rec_fn, r, &w), 0);
	r->write_to = f->s;
	put(f->s, "/a", "1");
	assert_int_equal(store_poll(f->s), 1);
	assert_int_equal(store_poll(f->s), 1);
	assert_int_equal(r->n, 2);
	assert_string_equal(r->ev[1].key, "/cb/written");
	store_watch_cancel(w);
	rec_free(r);
}

static void test_compaction_erange(void **state)
{
	struct fx *f = *state;
	struct rec *r = rec_new(), *ok = rec_new();
	struct store_watch *w, *lag, *good;
	int64_t rev;
	int i;

	fx_reopen(f, "history=5&sync=off");
	assert_int_equal(store_watch(f->s, "/", 0, rec_fn, r, &lag), 0);
	for (i = 0; i < 30; i++)
		put(f->s, "/z", "1");
	rev = cur_rev(f->s);
	assert_int_equal(rev, 30);
	assert_int_equal(store_watch(f->s, "/", 1, rec_fn, r, &w), -ERANGE);
	assert_null(w);
	assert_int_equal(store_watch(f->s, "/", rev - 3, rec_fn, ok, &good), 0);
	/* the laggard fails, the other one still gets its events */
	assert_int_equal(store_poll(f->s), -ERANGE);
	assert_int_equal(store_watch_error(lag), -ERANGE);
	assert_int_equal(store_watch_error(good), 0);
	assert_int_equal(r->n, 0);
	assert_int_equal(ok->n, 4);
	put(f->s, "/z", "2");
	assert_int_equal(store_poll(f->s), 1);
	assert_int_equal(ok->n, 5);
	assert_int_equal(r->n, 0);
	store_watch_cancel(lag);
	store_watch_cancel(good);
	rec_free(r);
	rec_free(ok);
}

static void test_values_unicode_large(void **state)
{
	struct fx *f = *state;
	const char *ukey = "/u/n\xc3\xb8"
	                   "de-\xe6\x97\xa5\xe6\x9c\xac";
	const char *uval =
	    "{\"name\":\"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x90\xb1\",\"esc\":\"\\u00e9\"}";
	size_t big_len = (1 << 20) + 17;
	char *big = malloc(big_len + 3);
	struct store_kv kv;
	struct store_list l;
	struct rec *r = rec_new();
	struct store_watch *w;
	size_t i;

	assert_non_null(big);
	big[0] = '"';
	for (i = 1; i <= big_len; i++)
		big[i] = (char)('a' + i % 26);
	big[big_len + 1] = '"';
	big[big_len + 2] = '\0';
	assert_int_equal(store_watch(f->s, "/u/", 0, rec_fn, r, &w), 0);
	put(f->s, ukey, uval);
	put(f->s, "/u/big", big);
	assert_int_equal(store_get(f->s, ukey, &kv), 0);
	assert_string_equal(kv.key, ukey);
	assert_string_equal(kv.value, uval);
	store_kv_clear(&kv);
	assert_int_equal(store_get(f->s, "/u/big", &kv), 0);
	assert_int_equal(strlen(kv.value), big_len + 2);
	assert_memory_equal(kv.value, big, big_len + 2);
	store_kv_clear(&kv);
	assert_int_equal(store_list(f->s, "/u/n\xc3\xb8", &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.kvs[0].value, uval);
	store_list_free(&l);
	assert_int_equal(store_poll(f->s), 2);
	assert_string_equal(r->ev[0].value, uval);
	assert_string_equal(r->ev[1].value, big);
	store_watch_cancel(w);
	rec_free(r);
	free(big);
}

static void test_watch_many_revisions(void **state)
{
	struct fx *f = *state;
	struct rec *r = rec_new();
	struct store_op *ops = calloc(600, sizeof(*ops));
	char(*keys)[16] = calloc(600, 16);
	struct store_watch *w;
	int64_t rev;
	size_t i;

	assert_non_null(ops);
	assert_non_null(keys);
	fx_reopen(f, "sync=off");
	for (i = 0; i < 600; i++) {
		snprintf(keys[i], 16, "/many/%03zu", i);
		ops[i] = (struct store_op){.type = STORE_OP_CREATE, .key = keys[i], .value = "1"};
	}
	assert_int_equal(store_txn(f->s, ops, 600, &rev, NULL), 0);
	assert_int_equal(rev, 1);
	for (i = 0; i < 700; i++)
		put(f->s, "/many/x", "2");
	assert_int_equal(store_watch(f->s, "/many/", 1, rec_fn, r, &w), 0);
	assert_int_equal(store_poll(f->s), 1300);
	assert_int_equal(r->n, 1300);
	for (i = 0; i < 600; i++) {
		assert_string_equal(r->ev[i].key, keys[i]);
		assert_int_equal(r->ev[i].mod_rev, 1);
	}
	for (i = 600; i < 1300; i++)
		assert_int_equal(r->ev[i].mod_rev, (int64_t)i - 598);
	store_watch_cancel(w);
	rec_free(r);
	free(ops);
	free(keys);
}

static bool fd_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void test_notify_fd(void **state)
{
	struct fx *f = *state;
	int fd = store_notify_fd(f->s);
	struct rec *r = rec_new();
	struct store_watch *w;

	assert_true(fd >= 0);
	assert_int_equal(store_watch(f->s, "/", 0, rec_fn, r, &w), 0);
	store_poll(f->s);
	assert_false(fd_readable(fd));
	put(f->s, "/n", "1");
	assert_true(fd_readable(fd));
	assert_int_equal(store_poll(f->s), 1);
	assert_false(fd_readable(fd));
	store_watch_cancel(w);
	rec_free(r);
}

static void test_describe_and_urls(void **state)
{
	struct fx *f = *state;
	struct store *s = NULL;

	if (f->sqlite) {
		assert_non_null(strstr(store_describe(f->s), "sqlite"));
		assert_non_null(strstr(store_describe(f->s), "sync=full"));
		fx_reopen(f, "sync=normal");
		assert_non_null(strstr(store_describe(f->s), "sync=normal"));
		fx_reopen(f, "sync=off");
		assert_non_null(strstr(store_describe(f->s), "sync=off"));
	} else {
		assert_string_equal(store_describe(f->s), "memory");
	}
	assert_int_equal(store_open("etcd://127.0.0.1:2379", &s), -EPROTONOSUPPORT);
	assert_int_equal(store_open("sqlite:", &s), -EINVAL);
	assert_int_equal(store_open("memory:/x", &s), -EINVAL);
	assert_int_equal(store_open("memory:?sync=maybe", &s), -EINVAL);
	assert_int_equal(store_open("memory:?bogus=1", &s), -EINVAL);
	assert_int_equal(store_open("", &s), -EINVAL);
	assert_null(s);
	assert_string_equal(store_strerror(-ESTALE), "revision mismatch (another writer won)");
}

#define STORE_TESTS(setup)                                                                         \
	cmocka_unit_test_setup_teardown(test_empty, setup, fx_teardown),                           \
	    cmocka_unit_test_setup_teardown(test_list_prefix_boundaries, setup, fx_teardown),      \
	    cmocka_unit_test_setup_teardown(test_list_byte_order, setup, fx_teardown),             \
	    cmocka_unit_test_setup_teardown(test_cas_semantics, setup, fx_teardown),               \
	    cmocka_unit_test_setup_teardown(test_invalid_args, setup, fx_teardown),                \
	    cmocka_unit_test_setup_teardown(test_txn_all_or_nothing, setup, fx_teardown),          \
	    cmocka_unit_test_setup_teardown(test_revisions_monotonic, setup, fx_teardown),         \
	    cmocka_unit_test_setup_teardown(test_watch_events, setup, fx_teardown),                \
	    cmocka_unit_test_setup_teardown(test_watch_history_replay, setup, fx_teardown),        \
	    cmocka_unit_test_setup_teardown(test_watch_cancel_in_callback, setup, fx_teardown),    \
	    cmocka_unit_test_setup_teardown(test_watch_callback_writes, setup, fx_teardown),       \
	    cmocka_unit_test_setup_teardown(test_compaction_erange, setup, fx_teardown),           \
	    cmocka_unit_test_setup_teardown(test_values_unicode_large, setup, fx_teardown),        \
	    cmocka_unit_test_setup_teardown(test_watch_many_revisions, setup, fx_teardown),        \
	    cmocka_unit_test_setup_teardown(test_notify_fd, setup, fx_teardown),                   \
	    cmocka_unit_test_setup_teardown(test_describe_and_urls, setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest memory[] = {STORE_TESTS(fx_setup_memory)};
	const struct CMUnitTest sqlite[] = {STORE_TESTS(fx_setup_sqlite)};
	int fails = 0;

	fails += cmocka_run_group_tests_name("store/memory", memory, NULL, NULL);
	fails += cmocka_run_group_tests_name("store/sqlite", sqlite, NULL, NULL);
	return fails ? 1 : 0;
}
