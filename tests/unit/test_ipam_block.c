/*
 * DOC: unit tests for ipam/block.c, ipam/handle.c and the affinity codec:
 * ordinal allocation order, shared attribute sets, release to the back of the
 * queue, JSON round trips, rejection of malformed documents, keys.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipam_impl.h"

static struct prefix pfx(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse(s, &p, true), 0);
	return p;
}

static void test_block_alloc_order(void **state)
{
	struct prefix c = pfx("10.0.0.8/29");
	struct ipam_attrs at = {.namespace = "default", .pod = "web-1"};
	struct ipam_block b;
	struct addr a;
	char buf[ADDR_STRLEN];
	uint32_t ord, i;

	(void)state;
	assert_int_equal(ipam_block_init(&b, &c, "node1"), 0);
	assert_int_equal(b.n_ordinals, 8);
	assert_int_equal(ipam_block_in_use(&b), 0);
	for (i = 0; i < 8; i++) {
		assert_int_equal(ipam_block_alloc(&b, "h1", &at, "node1", &ord), 0);
		assert_int_equal(ord, i);
	}
	/* One handle with the same attributes shares one attribute set. */
	assert_int_equal(b.n_attrs, 1);
	assert_int_equal(ipam_block_alloc(&b, "h1", &at, "node1", &ord), -ENOSPC);
	ipam_block_addr(&b, 5, &a);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "10.0.0.13");
	assert_int_equal(ipam_block_ordinal(&b, &a, &ord), 0);
	assert_int_equal(ord, 5);
	assert_int_equal(addr_parse("10.0.0.16", &a), 0);
	assert_int_equal(ipam_block_ordinal(&b, &a, &ord), -ERANGE);

	/* Released ordinals go to the back of the queue, in release order. */
	assert_int_equal(ipam_block_release_ordinal(&b, 3, NULL), 0);
	assert_int_equal(ipam_block_release_ordinal(&b, 1, NULL), 0);
	assert_int_equal(ipam_block_release_ordinal(&b, 1, NULL), -ENOENT);
	assert_int_equal(ipam_block_alloc(&b, "h2", NULL, "node2", &ord), 0);
	assert_int_equal(ord, 3);
	assert_int_equal(b.n_attrs, 2);
	assert_string_equal(ipam_block_attr_of(&b, 3)->node, "node2");
	assert_null(ipam_block_attr_of(&b, 3)->pod);
	assert_int_equal(ipam_block_alloc_ordinal(&b, 3, "h3", NULL, "n"), -EEXIST);
	assert_int_equal(ipam_block_alloc_ordinal(&b, 1, "h3", NULL, "n"), 0);
	assert_int_equal(ipam_block_alloc(&b, "h3", NULL, "n", &ord), -ENOSPC);
	assert_int_equal(b.n_attrs, 3);
	ipam_block_clear(&b);
}

static void test_block_release_handle_gc(void **state)
{
	struct prefix c = pfx("10.0.0.0/30");
	struct ipam_block b;
	struct ipam_attr attr;
	uint32_t ord;

	(void)state;
	assert_int_equal(ipam_block_init(&b, &c, NULL), 0);
	assert_int_equal(ipam_block_alloc(&b, "a", NULL, "n", &ord), 0);
	assert_int_equal(ipam_block_alloc(&b, "b", NULL, "n", &ord), 0);
	assert_int_equal(ipam_block_alloc(&b, "a", NULL, "n", &ord), 0);
	assert_int_equal(ipam_block_alloc(&b, "c", NULL, "n", &ord), 0);
	assert_int_equal(b.n_attrs, 3);
	assert_int_equal(ipam_block_release_handle(&b, "a"), 2);
	/* "a" is gone and the others were renumbered. */
	assert_int_equal(b.n_attrs, 2);
	assert_string_equal(ipam_block_attr_of(&b, 1)->handle, "b");
	assert_string_equal(ipam_block_attr_of(&b, 3)->handle, "c");
	assert_int_equal(ipam_block_release_handle(&b, "a"), 0);
	assert_int_equal(ipam_block_release_ordinal(&b, 1, &attr), 0);
	assert_string_equal(attr.handle, "b");
	ipam_attr_clear(&attr);
	assert_int_equal(b.n_attrs, 1);
	assert_string_equal(ipam_block_attr_of(&b, 3)->handle, "c");
	assert_int_equal(ipam_block_in_use(&b), 1);
	ipam_block_clear(&b);
}

static void test_block_json_roundtrip(void **state)
{
	struct prefix c = pfx("fd00::40/122");
	struct ipam_attrs at = {.namespace = "ns", .pod = "p"};
	struct ipam_block b, b2;
	char *json, *json2;
	uint32_t ord;

	(void)state;
	assert_int_equal(ipam_block_init(&b, &c, "node-a"), 0);
	assert_int_equal(b.n_ordinals, 64);
	assert_int_equal(ipam_block_alloc(&b, "h1", &at, "node-a", &ord), 0);
	assert_int_equal(ipam_block_alloc(&b, "h2", NULL, "node-b", &ord), 0);
	assert_int_equal(ipam_block_release_ordinal(&b, 0, NULL), 0);
	json = ipam_block_to_json(&b);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"affinity\":\"host:node-a\""));
	assert_non_null(strstr(json, "\"cidr\":\"fd00::40/122\""));
	assert_int_equal(ipam_block_from_json(json, &b2), 0);
	assert_true(prefix_eq(&b2.cidr, &b.cidr));
	assert_string_equal(b2.affinity, "node-a");
	assert_int_equal(b2.seq, b.seq);
	assert_int_equal(b2.n_unalloc, 63);
	assert_int_equal(b2.unalloc[62], 0); /* released last, still at the back */
	assert_string_equal(ipam_block_attr_of(&b2, 1)->handle, "h2");
	json2 = ipam_block_to_json(&b2);
	assert_string_equal(json, json2);
	free(json);
	free(json2);
	ipam_block_clear(&b);
	ipam_block_clear(&b2);
}

static void test_block_json_rejects(void **state)
{
	struct ipam_block b;

	(void)state;
	assert_int_equal(ipam_block_from_json("not json", &b), -EINVAL);
	assert_int_equal(ipam_block_from_json("{\"cidr\":\"10.0.0.1/30\",\"allocations\":"
	                                      "[null,null,null,null]}",
	                                      &b),
	                 -EINVAL);
	/* wrong number of allocations */
	assert_int_equal(
	    ipam_block_from_json("{\"cidr\":\"10.0.0.0/30\",\"allocations\":[null]}", &b), -EINVAL);
	/* attribute index out of range */
	assert_int_equal(ipam_block_from_json("{\"cidr\":\"10.0.0.0/30\",\"allocations\":"
	                                      "[0,null,null,null],\"attributes\":[]}",
	                                      &b),
	                 -EINVAL);
	/* too big a block */
	assert_int_equal(ipam_block_from_json("{\"cidr\":\"10.0.0.0/8\",\"allocations\":[]}", &b),
	                 -EINVAL);
	/* A free ordinal missing from "unallocated" is put back in the queue. */
	assert_int_equal(ipam_block_from_json("{\"cidr\":\"10.0.0.0/30\",\"allocations\":"
	                                      "[0,null,null,null],\"unallocated\":[3,1,1],"
	                                      "\"attributes\":[{\"handle\":\"h\"}]}",
	                                      &b),
	                 0);
	assert_int_equal(b.n_unalloc, 3);
	assert_int_equal(b.unalloc[0], 3);
	assert_int_equal(b.unalloc[1], 1);
	assert_int_equal(b.unalloc[2], 2);
	assert_null(b.affinity);
	ipam_block_clear(&b);
}

static void test_keys(void **state)
{
	char key[IPAM_KEY_MAX];
	struct prefix c = pfx("10.1.2.64/26"), c6 = pfx("fd00:1::/122"), back;

	(void)state;
	ipam_block_key(&c, key, sizeof(key));
	assert_string_equal(key, "/tabby/v1/ipam/blocks/10.1.2.64-26");
	assert_int_equal(ipam_block_key_parse(key, &back), 0);
	assert_true(prefix_eq(&back, &c));
	ipam_block_key(&c6, key, sizeof(key));
	assert_string_equal(key, "/tabby/v1/ipam/blocks/fd00:1::-122");
	assert_int_equal(ipam_block_key_parse(key, &back), 0);
	assert_true(prefix_eq(&back, &c6));
	assert_int_equal(ipam_block_key_parse("/tabby/v1/ipam/blocks/junk", &back), -EINVAL);
	ipam_affinity_key("node1", &c, key, sizeof(key));
	assert_string_equal(key, "/tabby/v1/ipam/affinity/node1/10.1.2.64-26");
	ipam_handle_key("k8s-pod-network.abc.eth0", key, sizeof(key));
	assert_string_equal(key, "/tabby/v1/ipam/handles/k8s-pod-network.abc.eth0");
	assert_true(ipam_handle_id_valid("abc.eth0"));
	assert_false(ipam_handle_id_valid("a/b"));
	assert_false(ipam_handle_id_valid(""));
}

static void test_handle_codec(void **state)
{
	struct ipam_handle h = {0}, h2, h3;
	struct prefix a = pfx("10.0.0.0/26"), b = pfx("fd00::/122");
	char *json;

	(void)state;
	h.id = strdup("h1");
	assert_int_equal(ipam_handle_add(&h, &a, 1), 0);
	assert_int_equal(ipam_handle_add(&h, &b, 2), 0);
	assert_int_equal(ipam_handle_add(&h, &a, 1), 0);
	assert_int_equal(ipam_handle_total(&h), 4);
	json = ipam_handle_to_json(&h);
	assert_string_equal(json, "{\"handle\":\"h1\",\"block\":{\"10.0.0.0/26\":2,"
	                          "\"fd00::/122\":2}}");
	assert_int_equal(ipam_handle_from_json(json, &h2), 0);
	assert_int_equal(h2.n, 2);
	assert_int_equal(ipam_handle_add(&h2, &a, -2), 0);
	assert_int_equal(h2.n, 1);
	assert_int_equal(ipam_handle_add(&h2, &a, -1), -ENOENT);
	assert_int_equal(ipam_handle_from_json("{\"handle\":\"x\",\"block\":{\"bad\":1}}", &h3),
	                 -EINVAL);
	free(json);
	ipam_handle_clear(&h);
	ipam_handle_clear(&h2);
}

static void test_affinity_codec(void **state)
{
	struct ipam_affinity a = {
	    .node = "n1", .cidr = pfx("10.0.0.0/26"), .state = IPAM_AFFINITY_PENDING_DELETION};
	struct ipam_affinity b;
	char *json;

	(void)state;
	json = ipam_affinity_to_json(&a);
	assert_string_equal(
	    json, "{\"node\":\"n1\",\"cidr\":\"10.0.0.0/26\",\"state\":\"pendingDeletion\"}");
	assert_int_equal(ipam_affinity_from_json(json, &b), 0);
	assert_int_equal(b.state, IPAM_AFFINITY_PENDING_DELETION);
	assert_string_equal(b.node, "n1");
	ipam_affinity_clear(&b);
	assert_int_equal(ipam_affinity_from_json("{\"node\":\"n\",\"cidr\":\"10.0.0.0/26\","
	                                         "\"state\":\"bogus\"}",
	                                         &b),
	                 -EINVAL);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_block_alloc_order),
	    cmocka_unit_test(test_block_release_handle_gc),
	    cmocka_unit_test(test_block_json_roundtrip),
	    cmocka_unit_test(test_block_json_rejects),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_handle_codec),
	    cmocka_unit_test(test_affinity_codec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
