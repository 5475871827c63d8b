/*
 * DOC: unit tests for ipam/check.c against the in-memory store: a clean
 * state, leaked allocations, handles without allocations, allocations
 * without handle, orphan blocks (missing affinity, dead node) and dangling
 * affinities.
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

static struct store *st;
static struct ipam *a, *b;

static int setup(void **state)
{
	struct ipam_pool p = {0};
	struct ipam_assign_result res;
	struct ipam_assign_args args = {.attrs = {.namespace = "ns", .pod = "p"}, .num4 = 1};
	char err[IPAM_ERRLEN];
	int ret;

	(void)state;
	ret = store_open("memory:", &st);
	if (ret < 0)
		return ret;
	p.name = strdup("p");
	prefix_parse("10.5.0.0/24", &p.cidr, true);
	ret = ipam_pool_create(st, &p, err, sizeof(err));
	ipam_pool_clear(&p);
	a = ipam_new(st, "node-a");
	b = ipam_new(st, "node-b");
	/* h1, h2 on node-a; h3 on node-b */
	args.handle = "h1";
	ret = ret ? ret : ipam_auto_assign(a, &args, &res);
	args.handle = "h2";
	ret = ret ? ret : ipam_auto_assign(a, &args, &res);
	args.handle = "h3";
	ret = ret ? ret : ipam_auto_assign(b, &args, &res);
	return ret;
}

static int teardown(void **state)
{
	(void)state;
	ipam_free(a);
	ipam_free(b);
	store_close(st);
	return 0;
}

static const char *live_all[] = {"h1", "h2", "h3"};
static const char *nodes_all[] = {"node-a", "node-b"};

static void test_clean(void **state)
{
	struct ipam_check_report r;

	(void)state;
	assert_int_equal(ipam_check(st, live_all, 3, nodes_all, 2, &r), 0);
	assert_int_equal(r.n_blocks, 2);
	assert_int_equal(r.n_allocations, 3);
	assert_int_equal(r.n_handles, 3);
	assert_int_equal(r.n_affinities, 2);
	assert_int_equal(ipam_check_problems(&r), 0);
	ipam_check_report_free(&r);
}

static void test_leaked(void **state)
{
	const char *live[] = {"h3", "h1"};
	struct ipam_check_report r;
	char buf[ADDR_STRLEN];

	(void)state;
	assert_int_equal(ipam_check(st, live, 2, NULL, 0, &r), 0);
	assert_int_equal(r.n_leaked, 1);
	assert_string_equal(r.leaked[0].handle, "h2");
	assert_string_equal(r.leaked[0].node, "node-a");
	assert_string_equal(r.leaked[0].namespace, "ns");
	assert_string_equal(r.leaked[0].pod, "p");
	assert_string_equal(addr_format(&r.leaked[0].addr, buf, sizeof(buf)), "10.5.0.65");
	assert_int_equal(ipam_check_problems(&r), 1);
	ipam_check_report_free(&r);
}

static void test_handles(void **state)
{
	struct ipam_check_report r;

	(void)state;
	/* A handle counting an address nobody holds, and an allocation nobody counts. */
	assert_int_equal(store_put(st, IPAM_KEY_HANDLES "ghost",
	                           "{\"handle\":\"ghost\",\"block\":{\"10.5.0.64/26\":1}}", NULL),
	                 0);
	assert_int_equal(store_delete(st, IPAM_KEY_HANDLES "h3", 0), 0);
	assert_int_equal(ipam_check(st, live_all, 3, nodes_all, 2, &r), 0);
	assert_int_equal(r.n_empty_handles, 1);
	assert_string_equal(r.empty_handles[0], "ghost");
	assert_int_equal(r.n_unrecorded, 1);
	assert_string_equal(r.unrecorded[0].handle, "h3");
	assert_int_equal(r.n_leaked, 0);
	assert_int_equal(ipam_check_problems(&r), 2);
	ipam_check_report_free(&r);
}

static void test_orphans(void **state)
{
	const char *only_a[] = {"node-a"};
	struct ipam_check_report r;
	struct prefix *blocks;
	char buf[PREFIX_STRLEN];
	size_t n;

	(void)state;
	/* node-b is not alive: its block is an orphan. */
	assert_int_equal(ipam_check(st, live_all, 3, only_a, 1, &r), 0);
	assert_int_equal(r.n_orphan_blocks, 1);
	assert_int_equal(ipam_blocks_affine(b, &blocks, &n), 0);
	assert_int_equal(n, 1);
	assert_true(prefix_eq(&r.orphan_blocks[0], &blocks[0]));
	free(blocks);
	ipam_check_report_free(&r);
	/* node-a's affinity vanishes: its block points to nowhere. */
	assert_int_equal(store_delete(st, IPAM_KEY_AFFINITY "node-a/10.5.0.64-26", 0), 0);
	/* and a confirmed affinity for a block that does not exist */
	assert_int_equal(store_put(st, IPAM_KEY_AFFINITY "node-c/10.5.0.192-26",
	                           "{\"node\":\"node-c\",\"cidr\":\"10.5.0.192/26\","
	                           "\"state\":\"confirmed\"}",
	                           NULL),
	                 0);
	assert_int_equal(ipam_check(st, live_all, 3, NULL, 0, &r), 0);
	assert_int_equal(r.n_orphan_blocks, 1);
	assert_string_equal(prefix_format(&r.orphan_blocks[0], buf, sizeof(buf)), "10.5.0.64/26");
	assert_int_equal(r.n_dangling_affinities, 1);
	assert_string_equal(r.dangling_affinities[0], "node-c/10.5.0.192/26");
	assert_int_equal(ipam_check_problems(&r), 2);
	ipam_check_report_free(&r);
}

static void test_show(void **state)
{
	struct ipam_block_info *blocks;
	struct ipam_ip_info info;
	struct addr x;
	size_t n, i, used = 0;

	(void)state;
	assert_int_equal(ipam_block_list(st, &blocks, &n), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(blocks[i].total, 64);
		assert_int_equal(blocks[i].borrowed, 0);
		assert_non_null(blocks[i].affinity);
		used += blocks[i].in_use;
	}
	assert_int_equal(used, 3);
	ipam_block_info_free(blocks, n);
	assert_int_equal(addr_parse("10.5.0.65", &x), 0);
	assert_int_equal(ipam_ip_info(st, &x, &info), 0);
	assert_true(info.in_block);
	assert_true(info.allocated);
	assert_string_equal(info.handle, "h2");
	assert_string_equal(info.node, "node-a");
	assert_string_equal(info.block_affinity, "node-a");
	ipam_ip_info_clear(&info);
	assert_int_equal(addr_parse("10.5.0.70", &x), 0);
	assert_int_equal(ipam_ip_info(st, &x, &info), 0);
	assert_true(info.in_block);
	assert_false(info.allocated);
	ipam_ip_info_clear(&info);
	assert_int_equal(addr_parse("10.9.0.1", &x), 0);
	assert_int_equal(ipam_ip_info(st, &x, &info), 0);
	assert_false(info.in_block);
	ipam_ip_info_clear(&info);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_clean, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leaked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_handles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_orphans, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_show, setup, teardown),
	};

	log_set_level(LOG_WARNING);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
