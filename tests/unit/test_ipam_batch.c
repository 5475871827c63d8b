/*
 * DOC: unit tests for ipam/batch.c (group commit) against the in-memory
 * store: a batch of assignments or releases is one transaction (one store
 * revision), requests the cache cannot serve and batches that lose a CAS
 * fall back to one at a time with the same results, bad requests fail alone.
 * An assignment or release with the caller's extra operations is one
 * transaction in the common case and all or nothing in every case.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <tabby/log.h>

#include "ipam_impl.h"

#define N 10

static struct store *st;
static struct ipam *a;
static char names[N][16];
static const char *handles[N];
static struct ipam_assign_args args[N];

static int setup(void **state)
{
	struct ipam_pool p = {0};
	struct ipam_assign_result res;
	struct ipam_assign_args warm = {.handle = "warm", .num4 = 1};
	char err[IPAM_ERRLEN];
	int ret, i;

	(void)state;
	ret = store_open("memory:", &st);
	if (ret < 0)
		return ret;
	p.name = strdup("p");
	prefix_parse("10.6.0.0/24", &p.cidr, true);
	ret = ipam_pool_create(st, &p, err, sizeof(err));
	ipam_pool_clear(&p);
	a = ipam_new(st, "node-a");
	/* One address first, so that node-a holds a block with 63 free. */
	if (ret == 0)
		ret = ipam_auto_assign(a, &warm, &res);
	for (i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "pod%d", i);
		handles[i] = names[i];
		args[i] = (struct ipam_assign_args){
		    .handle = names[i], .attrs = {.namespace = "ns", .pod = names[i]}, .num4 = 1};
	}
	return ret;
}

static int teardown(void **state)
{
	(void)state;
	ipam_free(a);
	store_close(st);
	return 0;
}

static int64_t revision(void)
{
	int64_t rev = 0;

	assert_int_equal(store_revision(st, &rev), 0);
	return rev;
}

static void assert_distinct(const struct ipam_assign_result *res, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			assert_false(addr_eq(&res[i].addrs[0], &res[j].addrs[0]));
}

static size_t allocations(void)
{
	struct ipam_check_report r;
	size_t n;

	assert_int_equal(ipam_check(st, NULL, 0, NULL, 0, &r), 0);
	n = r.n_allocations;
	ipam_check_report_free(&r);
	return n;
}

static void test_one_transaction(void **state)
{
	struct ipam_assign_result res[N];
	int rets[N], i;
	int64_t before;
	unsigned released;

	(void)state;
	before = revision();
	assert_int_equal(ipam_auto_assign_batch(a, args, N, res, rets), 0);
	assert_int_equal(revision(), before + 1);
	for (i = 0; i < N; i++) {
		assert_int_equal(rets[i], 0);
		assert_int_equal(res[i].n, 1);
	}
	assert_distinct(res, N);
	assert_int_equal(allocations(), N + 1);

	before = revision();
	assert_int_equal(ipam_release_handles(a, handles, N, &released), 0);
	assert_int_equal(released, N);
	assert_int_equal(revision(), before + 1);
	assert_int_equal(allocations(), 1);
	/* Released already: nothing, and no write. */
	assert_int_equal(ipam_release_handles(a, handles, N, &released), 0);
	assert_int_equal(released, 0);
	assert_int_equal(revision(), before + 1);
}

static void test_bad_request_alone(void **state)
{
	struct ipam_assign_result res[N];
	struct ipam_assign_args bad[N];
	int rets[N], i;

	(void)state;
	memcpy(bad, args, sizeof(bad));
	bad[3].handle = "no/slash";
	bad[5].num4 = 0;
	bad[7].handle = bad[6].handle; /* same handle twice: two addresses for it */
	assert_int_equal(ipam_auto_assign_batch(a, bad, N, res, rets), -EINVAL);
	for (i = 0; i < N; i++)
		assert_int_equal(rets[i], i == 3 || i == 5 ? -EINVAL : 0);
	assert_false(addr_eq(&res[6].addrs[0], &res[7].addrs[0]));
	assert_int_equal(allocations(), 1 + N - 2);
}

static void test_overflow_claims(void **state)
{
	struct ipam_assign_args many[70];
	struct ipam_assign_result res[70];
	char hn[70][16];
	int rets[70], i;

	(void)state;
	/* 63 addresses are left in the cached block: the rest need a new one. */
	for (i = 0; i < 70; i++) {
		snprintf(hn[i], sizeof(hn[i]), "m%d", i);
		many[i] = (struct ipam_assign_args){.handle = hn[i], .num4 = 1};
	}
	assert_int_equal(ipam_auto_assign_batch(a, many, 70, res, rets), 0);
	for (i = 0; i < 70; i++)
		assert_int_equal(rets[i], 0);
	assert_distinct(res, 70);
	assert_int_equal(allocations(), 71);
}

static void test_lost_cas_falls_back(void **state)
{
	struct ipam *b = ipam_new(st, "node-b");
	struct ipam_assign_args z = {.handle = "b-z", .num4 = 1};
	struct ipam_assign_result res[N], rz;
	const char *all[N + 2];
	struct prefix *blocks;
	struct addr target;
	int rets[N], i;
	unsigned released;
	size_t n;

	(void)state;
	/* node-b takes an address in node-a's block behind node-a's cache. */
	assert_int_equal(ipam_blocks_affine(a, &blocks, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(addr_add(&blocks[0].addr, 1, &target), 0);
	free(blocks);
	assert_int_equal(ipam_assign_ip(b, &target, "b-y", NULL), 0);
	assert_int_equal(ipam_auto_assign(b, &z, &rz), 0);
	/* node-a's batch loses its CAS, reloads and goes one by one. */
	assert_int_equal(ipam_auto_assign_batch(a, args, N, res, rets), 0);
	for (i = 0; i < N; i++) {
		assert_int_equal(rets[i], 0);
		assert_false(addr_eq(&res[i].addrs[0], &target));
		assert_false(addr_eq(&res[i].addrs[0], &rz.addrs[0]));
	}
	assert_distinct(res, N);
	assert_int_equal(allocations(), 1 + 2 + N);
	/* A batch release with a handle outside node-a's blocks (b-z). */
	for (i = 0; i < N; i++)
		all[i] = handles[i];
	all[N] = "b-y";
	all[N + 1] = "b-z";
	assert_int_equal(ipam_release_handles(a, all, N + 2, &released), 0);
	assert_int_equal(released, N + 2);
	assert_int_equal(allocations(), 1);
	ipam_free(b);
}

#define DOC_KEY STORE_KEY_PREFIX "workloads/node-a/x"

struct doc_ctx {
	const char *key;
	enum store_op_type type;
	int fail; /* returned by the callback */
	int calls;
	struct addr seen; /* first address of the last call */
	char value[128];
};

/* The caller's document names the addresses it is written with. */
static int doc_ops(const struct ipam_assign_result *res, struct store_op *ops, size_t max,
                   size_t *n, void *arg)
{
	struct doc_ctx *c = arg;
	char buf[ADDR_STRLEN];

	c->calls++;
	*n = 0;
	if (res->n)
		c->seen = res->addrs[0];
	if (c->fail)
		return c->fail;
	assert_true(max >= 1);
	assert_true(res->n >= 1);
	snprintf(c->value, sizeof(c->value), "{\"ip\":\"%s\",\"n\":%zu}",
	         addr_format(&res->addrs[0], buf, sizeof(buf)), res->n);
	ops[(*n)++] = (struct store_op){c->type, c->key, c->value, 0};
	return 0;
}

static void assert_doc(const char *key, const char *value)
{
	struct store_kv kv = {0};

	if (!value) {
		assert_int_equal(store_get(st, key, &kv), -ENOENT);
		return;
	}
	assert_int_equal(store_get(st, key, &kv), 0);
	assert_string_equal(kv.value, value);
	store_kv_clear(&kv);
}

static void test_with_ops_one_transaction(void **state)
{
	struct ipam_assign_args x = {.handle = "x", .num4 = 1};
	struct doc_ctx c = {.key = DOC_KEY, .type = STORE_OP_PUT};
	struct store_op del = {.type = STORE_OP_DELETE, .key = DOC_KEY};
	struct ipam_assign_result res;
	char want[128], buf[ADDR_STRLEN];
	unsigned released = 0;
	int64_t before;

	(void)state;
	before = revision();
	assert_int_equal(ipam_auto_assign_with_ops(a, &x, doc_ops, &c, &res), 0);
	assert_int_equal(revision(), before + 1);
	assert_int_equal(c.calls, 1);
	assert_int_equal(res.n, 1);
	snprintf(want, sizeof(want), "{\"ip\":\"%s\",\"n\":1}",
	         addr_format(&res.addrs[0], buf, sizeof(buf)));
	assert_doc(DOC_KEY, want);
	assert_int_equal(allocations(), 2);

	before = revision();
	assert_int_equal(ipam_release_by_handle_with_ops(a, "x", &del, 1, &released), 0);
	assert_int_equal(released, 1);
	assert_int_equal(revision(), before + 1);
	assert_doc(DOC_KEY, NULL);
	assert_int_equal(allocations(), 1);
	/* Again: no handle, the deletion alone fails (the document is gone). */
	assert_int_equal(ipam_release_by_handle_with_ops(a, "x", &del, 1, &released), -ENOENT);
	assert_int_equal(released, 0);
	assert_int_equal(ipam_release_by_handle_with_ops(a, "x", NULL, 0, &released), 0);
	assert_int_equal(revision(), before + 1);
}

static void test_with_ops_callback_fails(void **state)
{
	struct ipam_assign_args x = {.handle = "x", .num4 = 1, .num6 = 0};
	struct doc_ctx c = {.key = DOC_KEY, .type = STORE_OP_PUT, .fail = -EIO};
	struct ipam_assign_result res, r2;
	int64_t before;

	(void)state;
	before = revision();
	assert_int_equal(ipam_auto_assign_with_ops(a, &x, doc_ops, &c, &res), -EIO);
	assert_int_equal(c.seen.family, AF_INET);
	assert_int_equal(res.n, 0);
	assert_int_equal(revision(), before);
	assert_int_equal(allocations(), 1);
	assert_doc(DOC_KEY, NULL);
	assert_string_not_equal(ipam_last_error(a), "");
	assert_int_equal(c.calls, 1);
	/* The cache forgot the address that was not written: the next call gets it. */
	assert_int_equal(ipam_auto_assign(a, &args[0], &r2), 0);
	assert_true(addr_eq(&c.seen, &r2.addrs[0]));
}

static void test_with_ops_slow_path(void **state)
{
	struct ipam_assign_args x = {.handle = "x", .num4 = 1};
	struct doc_ctx c = {.key = DOC_KEY, .type = STORE_OP_PUT};
	struct ipam_assign_result first, res;
	unsigned released = 0;
	int64_t before;

	(void)state;
	/* The handle exists already: its creation fails, the slow path takes over. */
	assert_int_equal(ipam_auto_assign(a, &x, &first), 0);
	before = revision();
	assert_int_equal(ipam_auto_assign_with_ops(a, &x, doc_ops, &c, &res), 0);
	assert_int_equal(res.n, 1);
	assert_false(addr_eq(&res.addrs[0], &first.addrs[0]));
	assert_true(revision() > before);
	assert_int_equal(c.calls, 2); /* planned once, then again on the slow path */
	assert_non_null(strstr(c.value, "\"n\":1"));
	assert_int_equal(allocations(), 3);

	/* A failing operation (create of an existing key) undoes this call only. */
	c.type = STORE_OP_CREATE;
	before = revision();
	assert_int_equal(ipam_auto_assign_with_ops(a, &x, doc_ops, &c, &res), -EEXIST);
	assert_int_equal(res.n, 0);
	assert_int_equal(allocations(), 3);
	assert_int_equal(ipam_release_by_handle(a, "x", &released), 0);
	assert_int_equal(released, 2);
	assert_int_equal(allocations(), 1);
}

static void test_release_with_ops_foreign_block(void **state)
{
	struct ipam *b = ipam_new(st, "node-b");
	struct ipam_assign_args y = {.handle = "y", .num4 = 1};
	struct doc_ctx c = {.key = DOC_KEY, .type = STORE_OP_PUT};
	struct store_op del = {.type = STORE_OP_DELETE, .key = DOC_KEY};
	struct ipam_assign_result res;
	unsigned released = 0;

	(void)state;
	/* node-b's address and document, released through node-a's context. */
	assert_int_equal(ipam_auto_assign_with_ops(b, &y, doc_ops, &c, &res), 0);
	assert_int_equal(allocations(), 2);
	assert_int_equal(ipam_release_by_handle_with_ops(a, "y", &del, 1, &released), 0);
	assert_int_equal(released, 1);
	assert_doc(DOC_KEY, NULL);
	assert_int_equal(allocations(), 1);
	ipam_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_one_transaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_request_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overflow_claims, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lost_cas_falls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_with_ops_one_transaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_with_ops_callback_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_with_ops_slow_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_with_ops_foreign_block, setup, teardown),
	};

	log_set_level(LOG_WARNING);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
