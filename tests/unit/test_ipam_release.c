/*
 * DOC: unit tests for ipam/release.c against the in-memory store: release by
 * handle (idempotent), by address, reuse order, releasing a node (empty
 * blocks deleted, blocks with borrowed addresses kept without affinity), and
 * finishing a release interrupted in state pendingDeletion.
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

#include "ipam_fixture.h"

static int assign(struct ipam *ip, const char *handle, unsigned n4, unsigned n6,
                  struct ipam_assign_result *res)
{
	struct ipam_assign_args args = {.handle = handle, .num4 = n4, .num6 = n6};

	return ipam_auto_assign(ip, &args, res);
}

static size_t count_keys(const char *prefix)
{
	struct store_list l = {0};
	size_t n;

	assert_int_equal(store_list(st, prefix, &l), 0);
	n = l.n;
	store_list_free(&l);
	return n;
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

static void test_release_by_handle(void **state)
{
	struct ipam *a = ipam_new(st, "node-a");
	struct ipam_assign_result res;
	struct store_kv kv = {0};
	unsigned n = 99;

	(void)state;
	mkpool("v4", "10.1.0.0/24", 0);
	mkpool("v6", "fd00:1::/120", 0);
	assert_int_equal(assign(a, "pod1.eth0", 1, 1, &res), 0);
	assert_int_equal(assign(a, "pod2.eth0", 1, 0, &res), 0);
	assert_int_equal(allocations(), 3);
	assert_int_equal(store_get(st, IPAM_KEY_HANDLES "pod1.eth0", &kv), 0);
	assert_non_null(strstr(kv.value, "\"10.1.0.64/26\":1"));
	store_kv_clear(&kv);
	assert_int_equal(ipam_release_by_handle(a, "pod1.eth0", &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(allocations(), 1);
	assert_int_equal(store_get(st, IPAM_KEY_HANDLES "pod1.eth0", &kv), -ENOENT);
	/* Idempotent, as CNI DEL must be. */
	assert_int_equal(ipam_release_by_handle(a, "pod1.eth0", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ipam_release_by_handle(a, "never", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ipam_release_by_handle(a, "a/b", &n), -EINVAL);
	/* The affine blocks stay, empty. */
	assert_int_equal(count_keys(IPAM_KEY_BLOCKS), 2);
	ipam_free(a);
}

static void test_release_ips(void **state)
{
	struct ipam *a = ipam_new(st, "node-a");
	struct ipam_assign_result r1, r2, r3;
	struct store_kv kv = {0};
	struct addr none;
	unsigned n;

	(void)state;
	mkpool("v4", "10.2.0.0/24", 0);
	assert_int_equal(assign(a, "multi", 2, 0, &r1), 0);
	assert_int_equal(r1.n, 2);
	assert_int_equal(ipam_release_ips(a, &r1.addrs[0], 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_get(st, IPAM_KEY_HANDLES "multi", &kv), 0);
	assert_non_null(strstr(kv.value, ":1}"));
	store_kv_clear(&kv);
	/* Not allocated (any more), or in no pool: skipped. */
	assert_int_equal(addr_parse("192.0.2.1", &none), 0);
	assert_int_equal(ipam_release_ips(a, &r1.addrs[0], 1, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ipam_release_ips(a, &none, 1, &n), 0);
	assert_int_equal(n, 0);
	/* A released address goes to the back of the queue. */
	assert_int_equal(assign(a, "next", 1, 0, &r2), 0);
	assert_false(addr_eq(&r2.addrs[0], &r1.addrs[0]));
	assert_int_equal(ipam_release_ips(a, &r1.addrs[1], 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_get(st, IPAM_KEY_HANDLES "multi", &kv), -ENOENT);
	assert_int_equal(ipam_release_by_handle(a, "next", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(allocations(), 0);
	assert_int_equal(assign(a, "again", 1, 0, &r3), 0);
	assert_int_equal(count_keys(IPAM_KEY_HANDLES), 1);
	ipam_free(a);
}

static void test_release_node(void **state)
{
	struct ipam *a = ipam_new(st, "node-a"), *b = ipam_new(st, "node-b");
	struct ipam_assign_result res;
	struct addr borrowed;
	unsigned ips, blocks, n;
	struct store_kv kv = {0};
	char h[16];
	int i;

	(void)state;
	mkpool("p", "10.3.0.0/29", 30); /* 2 blocks of 4 */
	assert_int_equal(assign(a, "a0", 1, 0, &res), 0);
	for (i = 0; i < 4; i++) {
		snprintf(h, sizeof(h), "b%d", i);
		assert_int_equal(assign(b, h, 1, 0, &res), 0);
	}
	/* node-b borrows from node-a's block. */
	assert_int_equal(assign(b, "b4", 1, 0, &res), 0);
	assert_int_equal(res.borrowed, 1);
	borrowed = res.addrs[0];
	assert_int_equal(ipam_release_node(st, "node-a", &ips, &blocks), 0);
	assert_int_equal(ips, 1);
	assert_int_equal(blocks, 1);
	assert_int_equal(count_keys(IPAM_KEY_AFFINITY), 1); /* node-b's */
	assert_int_equal(count_keys(IPAM_KEY_BLOCKS), 2);   /* node-a's still holds b4 */
	assert_int_equal(store_get(st, IPAM_KEY_HANDLES "a0", &kv), -ENOENT);
	assert_int_equal(allocations(), 5);
	/* When the borrowed address goes, the affinity-less block goes with it. */
	assert_int_equal(ipam_release_ips(b, &borrowed, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count_keys(IPAM_KEY_BLOCKS), 1);
	/* Releasing node-b removes everything. */
	assert_int_equal(ipam_release_node(st, "node-b", &ips, &blocks), 0);
	assert_int_equal(ips, 4);
	assert_int_equal(blocks, 1);
	assert_int_equal(count_keys(IPAM_KEY_BLOCKS), 0);
	assert_int_equal(count_keys(IPAM_KEY_AFFINITY), 0);
	assert_int_equal(count_keys(IPAM_KEY_HANDLES), 0);
	assert_int_equal(ipam_release_node(st, "bad/name", &ips, &blocks), -EINVAL);
	ipam_free(a);
	ipam_free(b);
}

static void test_pending_deletion_repair(void **state)
{
	struct ipam *a = ipam_new(st, "node-a");
	struct ipam_assign_result res;
	struct store_kv kv = {0};
	unsigned n;

	(void)state;
	mkpool("p", "10.4.0.0/24", 26);
	assert_int_equal(assign(a, "x", 1, 0, &res), 0);
	assert_int_equal(ipam_release_by_handle(a, "x", &n), 0);
	/* A release that crashed after marking the affinity. */
	assert_int_equal(store_put(st, IPAM_KEY_AFFINITY "node-a/10.4.0.64-26",
	                           "{\"node\":\"node-a\",\"cidr\":\"10.4.0.64/26\","
	                           "\"state\":\"pendingDeletion\"}",
	                           NULL),
	                 0);
	ipam_free(a);
	a = ipam_new(st, "node-a");
	assert_int_equal(ipam_sync(a), 0);
	assert_int_equal(store_get(st, IPAM_KEY_BLOCKS "10.4.0.64-26", &kv), -ENOENT);
	assert_int_equal(count_keys(IPAM_KEY_AFFINITY), 0);
	/* And the node claims a block again when it needs one. */
	assert_int_equal(assign(a, "y", 1, 0, &res), 0);
	assert_int_equal(count_keys(IPAM_KEY_AFFINITY), 1);
	ipam_free(a);
}

static void test_block_gone(void **state)
{
	struct ipam *a = ipam_new(st, "node-a");
	struct ipam_assign_result res;
	struct store_kv kv = {0};
	unsigned n = 99;

	(void)state;
	mkpool("v4", "10.5.0.0/24", 0);
	assert_int_equal(assign(a, "lost", 1, 0, &res), 0);
	/* Someone deleted the block by hand: the handle still counts it. */
	assert_int_equal(store_delete(st, IPAM_KEY_BLOCKS "10.5.0.64-26", 0), 0);
	assert_int_equal(ipam_release_by_handle(a, "lost", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_get(st, IPAM_KEY_HANDLES "lost", &kv), -ENOENT);
	ipam_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_release_by_handle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_ips, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_node, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pending_deletion_repair, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_block_gone, setup, teardown),
	};

	log_set_level(LOG_WARNING);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
