/*
 * DOC: unit tests for ipam/assign.c and the block claim (ipam/affinity.c),
 * against the in-memory store: exhausting a pool, borrowing, strict
 * affinity, maxBlocksPerHost, IPv6 and dual stack, assigning a given
 * address, pool filters, all-or-nothing, and repairing interrupted claims.
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

static void set_config(bool strict, unsigned max_blocks, bool auto_alloc)
{
	struct ipam_config c = {strict, max_blocks, auto_alloc};

	assert_int_equal(ipam_config_set(st, &c), 0);
}

static int assign(struct ipam *ip, const char *handle, unsigned n4, unsigned n6,
                  struct ipam_assign_result *res)
{
	struct ipam_assign_args args = {
	    .handle = handle,
	    .attrs = {.namespace = "default", .pod = handle},
	    .num4 = n4,
	    .num6 = n6,
	};

	return ipam_auto_assign(ip, &args, res);
}

static bool in_cidr(const struct addr *a, const char *cidr)
{
	struct prefix p;

	assert_int_equal(prefix_parse(cidr, &p, true), 0);
	return prefix_contains_addr(&p, a);
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

static void test_exhaust_pool(void **state)
{
	struct ipam *ip = ipam_new(st, "node1");
	struct ipam_assign_result res;
	struct addr seen[16];
	char h[32];
	int i, j;

	(void)state;
	mkpool("p1", "10.10.0.0/28", 30); /* 4 blocks of 4 */
	for (i = 0; i < 16; i++) {
		snprintf(h, sizeof(h), "h%d", i);
		assert_int_equal(assign(ip, h, 1, 0, &res), 0);
		assert_int_equal(res.n, 1);
		assert_int_equal(res.borrowed, 0);
		assert_true(in_cidr(&res.addrs[0], "10.10.0.0/28"));
		for (j = 0; j < i; j++)
			assert_false(addr_eq(&seen[j], &res.addrs[0]));
		seen[i] = res.addrs[0];
	}
	assert_int_equal(assign(ip, "h16", 1, 0, &res), -ENOSPC);
	assert_int_equal(res.n, 0);
	assert_non_null(strstr(ipam_last_error(ip), "exhausted"));
	assert_int_equal(count_keys(IPAM_KEY_BLOCKS), 4);
	assert_int_equal(count_keys(IPAM_KEY_AFFINITY "node1/"), 4);
	assert_int_equal(count_keys(IPAM_KEY_HANDLES), 16);
	ipam_free(ip);
}

static void test_borrow(void **state)
{
	struct ipam *a = ipam_new(st, "node-a"), *b = ipam_new(st, "node-b");
	struct ipam_assign_result res;
	struct prefix *blocks;
	struct addr *borrowed;
	size_t n;
	char h[32];
	int i;

	(void)state;
	mkpool("p1", "10.20.0.0/29", 30); /* 2 blocks of 4 */
	for (i = 0; i < 4; i++) {
		snprintf(h, sizeof(h), "a%d", i);
		assert_int_equal(assign(a, h, 1, 0, &res), 0);
	}
	assert_int_equal(assign(b, "b0", 1, 0, &res), 0);
	assert_int_equal(res.borrowed, 0);
	/* No block left to claim: node-a borrows from node-b's block. */
	assert_int_equal(assign(a, "a4", 1, 0, &res), 0);
	assert_int_equal(res.borrowed, 1);
	assert_int_equal(ipam_blocks_affine(a, &blocks, &n), 0);
	assert_int_equal(n, 1);
	assert_false(prefix_contains_addr(&blocks[0], &res.addrs[0]));
	free(blocks);
	assert_int_equal(ipam_borrowed_list(a, &borrowed, &n), 0);
	assert_int_equal(n, 1);
	assert_true(addr_eq(&borrowed[0], &res.addrs[0]));
	free(borrowed);
	assert_int_equal(ipam_borrowed_list(b, &borrowed, &n), 0);
	assert_int_equal(n, 0);
	free(borrowed);
	/* node-b still gets its own block's addresses, then nothing. */
	assert_int_equal(assign(b, "b1", 1, 0, &res), 0);
	assert_int_equal(assign(b, "b2", 1, 0, &res), 0);
	assert_int_equal(res.borrowed, 0);
	assert_int_equal(assign(b, "b3", 1, 0, &res), -ENOSPC);
	ipam_free(a);
	ipam_free(b);
}

static void test_strict_affinity(void **state)
{
	struct ipam *a = ipam_new(st, "node-a"), *b = ipam_new(st, "node-b");
	struct ipam_assign_result res;
	struct addr x;
	int i;

	(void)state;
	mkpool("p1", "10.20.0.0/29", 30);
	set_config(true, 20, true);
	for (i = 0; i < 4; i++)
		assert_int_equal(assign(a, (const char *[]){"a0", "a1", "a2", "a3"}[i], 1, 0, &res),
		                 0);
	assert_int_equal(assign(b, "b0", 1, 0, &res), 0);
	addr_add(&res.addrs[0], 1, &x);
	assert_int_equal(assign(a, "a4", 1, 0, &res), -ENOSPC);
	assert_non_null(strstr(ipam_last_error(a), "strictAffinity"));
	/* A given address in node-b's block is refused too. */
	assert_int_equal(ipam_assign_ip(a, &x, "a5", NULL), -EPERM);
	assert_int_equal(ipam_assign_ip(b, &x, "b5", NULL), 0);
	ipam_free(a);
	ipam_free(b);
}

static void test_max_blocks_per_host(void **state)
{
	struct ipam *a = ipam_new(st, "node-a"), *b = ipam_new(st, "node-b");
	struct ipam_assign_args args = {.handle = "a9", .num4 = 1, .max_blocks_per_host = 2};
	struct ipam_assign_result res;
	char h[32];
	int i;

	(void)state;
	mkpool("p1", "10.30.0.0/28", 30); /* 4 blocks of 4 */
	set_config(false, 1, true);
	for (i = 0; i < 4; i++) {
		snprintf(h, sizeof(h), "a%d", i);
		assert_int_equal(assign(a, h, 1, 0, &res), 0);
	}
	/* One block is the limit and nobody else has one to borrow from. */
	assert_int_equal(assign(a, "a4", 1, 0, &res), -ENOSPC);
	assert_int_equal(count_keys(IPAM_KEY_BLOCKS), 1);
	assert_int_equal(assign(b, "b0", 1, 0, &res), 0);
	assert_int_equal(assign(a, "a4", 1, 0, &res), 0);
	assert_int_equal(res.borrowed, 1);
	assert_int_equal(count_keys(IPAM_KEY_BLOCKS), 2);
	/* The per-call override lets node-a claim a second block. */
	assert_int_equal(ipam_auto_assign(a, &args, &res), 0);
	assert_int_equal(res.borrowed, 0);
	assert_int_equal(count_keys(IPAM_KEY_AFFINITY "node-a/"), 2);
	ipam_free(a);
	ipam_free(b);
}

static void test_auto_allocate_off(void **state)
{
	struct ipam *a = ipam_new(st, "node-a");
	struct ipam_assign_result res;

	(void)state;
	mkpool("p1", "10.30.0.0/28", 30);
	set_config(false, 20, false);
	assert_int_equal(assign(a, "a0", 1, 0, &res), -ENOSPC);
	assert_int_equal(count_keys(IPAM_KEY_BLOCKS), 0);
	ipam_free(a);
}

static void test_ipv6_and_dual_stack(void **state)
{
	struct ipam *a = ipam_new(st, "node-a");
	struct ipam_assign_result res;
	struct prefix *blocks;
	char buf[PREFIX_STRLEN];
	size_t n;

	(void)state;
	mkpool("v4", "10.40.0.0/24", 0);
	mkpool("v6", "fd00:40::/120", 0); /* default /122: 4 blocks of 64 */
	assert_int_equal(assign(a, "d0", 1, 1, &res), 0);
	assert_int_equal(res.n, 2);
	assert_int_equal(res.addrs[0].family, AF_INET);
	assert_int_equal(res.addrs[1].family, AF_INET6);
	assert_true(in_cidr(&res.addrs[0], "10.40.0.0/24"));
	assert_true(in_cidr(&res.addrs[1], "fd00:40::/120"));
	assert_int_equal(assign(a, "d1", 0, 1, &res), 0);
	assert_int_equal(res.n, 1);
	assert_int_equal(ipam_blocks_affine(a, &blocks, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(blocks[0].len + blocks[1].len, 26 + 122);
	prefix_format(&blocks[blocks[0].len == 122 ? 0 : 1], buf, sizeof(buf));
	assert_int_equal(strncmp(buf, "fd00:40::", 9), 0);
	free(blocks);
	/* A /64 has 2^58 blocks: the claim must not walk them. */
	mkpool("big6", "fd00:41::/64", 0);
	{
		const char *only[] = {"big6"};
		struct ipam_assign_args args = {
		    .handle = "d2", .num6 = 1, .pools = only, .n_pools = 1};

		assert_int_equal(ipam_auto_assign(a, &args, &res), 0);
		assert_true(in_cidr(&res.addrs[0], "fd00:41::/64"));
	}
	ipam_free(a);
}

static void test_all_or_nothing(void **state)
{
	struct ipam *a = ipam_new(st, "node-a");
	struct ipam_assign_result res;
	struct ipam_check_report r;
	const char *live[] = {"x"};

	(void)state;
	mkpool("v4", "10.50.0.0/24", 0);
	assert_int_equal(assign(a, "d0", 1, 1, &res), -ENOENT);
	assert_int_equal(res.n, 0);
	assert_non_null(strstr(ipam_last_error(a), "IPv6"));
	/* The IPv4 address taken first was given back. */
	assert_int_equal(ipam_check(st, live, 1, NULL, 0, &r), 0);
	assert_int_equal(r.n_allocations, 0);
	assert_int_equal(count_keys(IPAM_KEY_HANDLES), 0);
	ipam_check_report_free(&r);
	assert_int_equal(assign(a, "bad/handle", 1, 0, &res), -EINVAL);
	assert_int_equal(assign(a, "h", 0, 0, &res), -EINVAL);
	assert_int_equal(assign(a, "h", 5, 5, &res), -EINVAL);
	ipam_free(a);
}

static void test_pool_filter_and_disabled(void **state)
{
	struct ipam *a = ipam_new(st, "node-a");
	struct ipam_assign_args args = {.handle = "f0", .num4 = 1};
	const char *names[] = {"second"};
	struct ipam_assign_result res;
	struct ipam_pool p;
	char err[IPAM_ERRLEN];

	(void)state;
	mkpool("first", "10.60.0.0/24", 0);
	mkpool("second", "10.61.0.0/24", 0);
	args.pools = names;
	args.n_pools = 1;
	assert_int_equal(ipam_auto_assign(a, &args, &res), 0);
	assert_true(in_cidr(&res.addrs[0], "10.61.0.0/24"));
	/* Disable both: nothing eligible, even from the block already held. */
	assert_int_equal(ipam_pool_get(st, "first", &p), 0);
	p.disabled = true;
	assert_int_equal(ipam_pool_update(st, &p, err, sizeof(err)), 0);
	ipam_pool_clear(&p);
	assert_int_equal(ipam_pool_get(st, "second", &p), 0);
	p.disabled = true;
	assert_int_equal(ipam_pool_update(st, &p, err, sizeof(err)), 0);
	ipam_pool_clear(&p);
	assert_int_equal(assign(a, "f1", 1, 0, &res), -ENOENT);
	assert_non_null(strstr(ipam_last_error(a), "no enabled IPv4 pool"));
	ipam_free(a);
}

static bool select_rack1(const char *selector, void *arg)
{
	(void)arg;
	return strcmp(selector, "rack == 'r1'") == 0;
}

static void test_node_selector(void **state)
{
	struct ipam *a = ipam_new(st, "node-a");
	struct ipam_assign_result res;
	struct ipam_pool p = {0};
	char err[IPAM_ERRLEN];

	(void)state;
	p.name = strdup("racked");
	p.node_selector = strdup("rack == 'r2'");
	assert_int_equal(prefix_parse("10.70.0.0/24", &p.cidr, true), 0);
	assert_int_equal(ipam_pool_create(st, &p, err, sizeof(err)), 0);
	ipam_pool_clear(&p);
	/* Without a matcher only all() selects. */
	assert_int_equal(assign(a, "s0", 1, 0, &res), -ENOENT);
	ipam_set_selector(a, select_rack1, NULL);
	assert_int_equal(assign(a, "s0", 1, 0, &res), -ENOENT);
	assert_int_equal(ipam_pool_get(st, "racked", &p), 0);
	free(p.node_selector);
	p.node_selector = strdup("rack == 'r1'");
	assert_int_equal(ipam_pool_update(st, &p, err, sizeof(err)), 0);
	ipam_pool_clear(&p);
	assert_int_equal(assign(a, "s0", 1, 0, &res), 0);
	ipam_free(a);
}

static void test_assign_ip(void **state)
{
	struct ipam *a = ipam_new(st, "node-a"), *b = ipam_new(st, "node-b");
	struct ipam_attrs at = {.namespace = "kube-system", .pod = "dns"};
	struct ipam_assign_result res;
	struct prefix *blocks;
	struct addr x;
	size_t n;

	(void)state;
	mkpool("p1", "10.80.0.0/24", 26);
	assert_int_equal(addr_parse("10.80.0.77", &x), 0);
	/* Its block is unclaimed: node-a claims it. */
	assert_int_equal(ipam_assign_ip(a, &x, "fixed", &at), 0);
	assert_int_equal(ipam_blocks_affine(a, &blocks, &n), 0);
	assert_int_equal(n, 1);
	assert_true(in_cidr(&x, "10.80.0.64/26"));
	assert_true(prefix_contains_addr(&blocks[0], &x));
	free(blocks);
	assert_int_equal(ipam_assign_ip(a, &x, "other", NULL), -EEXIST);
	assert_non_null(strstr(ipam_last_error(a), "fixed"));
	assert_int_equal(ipam_assign_ip(b, &x, "other", NULL), -EEXIST);
	/* Another node may take a given address from node-a's block (not strict). */
	assert_int_equal(addr_parse("10.80.0.78", &x), 0);
	assert_int_equal(ipam_assign_ip(b, &x, "other", NULL), 0);
	assert_int_equal(addr_parse("10.99.0.1", &x), 0);
	assert_int_equal(ipam_assign_ip(a, &x, "other", NULL), -ENOENT);
	/* Auto-assign in node-a's block skips the taken addresses. */
	assert_int_equal(assign(a, "auto", 1, 0, &res), 0);
	assert_true(in_cidr(&res.addrs[0], "10.80.0.64/26"));
	assert_false(addr_eq(&res.addrs[0], &x));
	ipam_free(a);
	ipam_free(b);
}

static void put_json(const char *key, const char *json)
{
	assert_int_equal(store_put(st, key, json, NULL), 0);
}

static void test_claim_repair(void **state)
{
	struct ipam *a;
	struct prefix *blocks;
	struct ipam_block blk;
	struct prefix c;
	struct store_kv kv = {0};
	char *json;
	size_t n;

	(void)state;
	mkpool("p1", "10.90.0.0/24", 26);
	/* Crash after step 1: a pending affinity and no block. */
	put_json(IPAM_KEY_AFFINITY "node-a/10.90.0.0-26",
	         "{\"node\":\"node-a\",\"cidr\":\"10.90.0.0/26\",\"state\":\"pending\"}");
	/* Crash after step 2: pending affinity, block created. */
	put_json(IPAM_KEY_AFFINITY "node-a/10.90.0.64-26",
	         "{\"node\":\"node-a\",\"cidr\":\"10.90.0.64/26\",\"state\":\"pending\"}");
	assert_int_equal(prefix_parse("10.90.0.64/26", &c, true), 0);
	assert_int_equal(ipam_block_init(&blk, &c, "node-a"), 0);
	json = ipam_block_to_json(&blk);
	put_json(IPAM_KEY_BLOCKS "10.90.0.64-26", json);
	free(json);
	ipam_block_clear(&blk);
	/* A pending affinity for a block another node won. */
	put_json(IPAM_KEY_AFFINITY "node-a/10.90.0.128-26",
	         "{\"node\":\"node-a\",\"cidr\":\"10.90.0.128/26\",\"state\":\"pending\"}");
	assert_int_equal(prefix_parse("10.90.0.128/26", &c, true), 0);
	assert_int_equal(ipam_block_init(&blk, &c, "node-b"), 0);
	json = ipam_block_to_json(&blk);
	put_json(IPAM_KEY_BLOCKS "10.90.0.128-26", json);
	free(json);
	ipam_block_clear(&blk);

	a = ipam_new(st, "node-a");
	assert_int_equal(ipam_sync(a), 0);
	assert_int_equal(store_get(st, IPAM_KEY_AFFINITY "node-a/10.90.0.0-26", &kv), -ENOENT);
	assert_int_equal(store_get(st, IPAM_KEY_AFFINITY "node-a/10.90.0.128-26", &kv), -ENOENT);
	assert_int_equal(store_get(st, IPAM_KEY_AFFINITY "node-a/10.90.0.64-26", &kv), 0);
	assert_non_null(strstr(kv.value, "confirmed"));
	store_kv_clear(&kv);
	assert_int_equal(ipam_blocks_affine(a, &blocks, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(blocks[0].len, 26);
	assert_true(in_cidr(&blocks[0].addr, "10.90.0.64/26"));
	free(blocks);
	ipam_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_exhaust_pool, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_borrow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_strict_affinity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_blocks_per_host, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auto_allocate_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6_and_dual_stack, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pool_filter_and_disabled, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_node_selector, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_assign_ip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_claim_repair, setup, teardown),
	};

	log_set_level(LOG_WARNING);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
