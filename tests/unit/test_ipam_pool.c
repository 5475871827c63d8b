/*
 * DOC: unit tests for ipam/pool.c and ipam/config.c against the in-memory
 * store: validation with field-naming errors, defaults, the IPPool JSON
 * codec, overlap, create/get/list/update/delete, and the IPAM configuration.
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

static int setup(void **state)
{
	(void)state;
	return store_open("memory:", &st);
}

static int teardown(void **state)
{
	(void)state;
	store_close(st);
	st = NULL;
	return 0;
}

static int make(struct ipam_pool *p, const char *name, const char *cidr, unsigned bs)
{
	memset(p, 0, sizeof(*p));
	p->name = name ? strdup(name) : NULL;
	p->block_size = bs;
	return prefix_parse(cidr, &p->cidr, false);
}

static void expect_invalid(const char *name, const char *cidr, unsigned bs, const char *field)
{
	struct ipam_pool p;
	char err[IPAM_ERRLEN] = "";

	make(&p, name, cidr, bs);
	assert_int_equal(ipam_pool_validate(&p, err, sizeof(err)), -EINVAL);
	if (!strstr(err, field))
		fail_msg("error \"%s\" does not name %s", err, field);
	ipam_pool_clear(&p);
}

static void test_validate(void **state)
{
	struct ipam_pool p;
	char err[IPAM_ERRLEN];

	(void)state;
	make(&p, "v4", "10.0.0.0/16", 0);
	assert_int_equal(ipam_pool_validate(&p, err, sizeof(err)), 0);
	assert_int_equal(p.block_size, 26);
	assert_string_equal(p.node_selector, "all()");
	ipam_pool_clear(&p);
	make(&p, "v6", "fd00::/48", 0);
	assert_int_equal(ipam_pool_validate(&p, err, sizeof(err)), 0);
	assert_int_equal(p.block_size, 122);
	ipam_pool_clear(&p);
	make(&p, "edge", "10.0.0.0/20", 20);
	assert_int_equal(ipam_pool_validate(&p, err, sizeof(err)), 0);
	ipam_pool_clear(&p);

	expect_invalid("v4", "10.0.0.0/16", 19, "spec.blockSize");
	expect_invalid("v4", "10.0.0.0/16", 33, "spec.blockSize");
	expect_invalid("v6", "fd00::/48", 115, "spec.blockSize");
	expect_invalid("v6", "fd00::/48", 26, "spec.blockSize");
	expect_invalid("small", "10.0.0.0/28", 26, "spec.blockSize");
	make(&p, "v4", "10.0.0.0/16", 26);
	p.cidr.addr.bytes[3] = 1; /* a host bit */
	assert_int_equal(ipam_pool_validate(&p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "spec.cidr"));
	ipam_pool_clear(&p);
	expect_invalid(NULL, "10.0.0.0/16", 26, "metadata.name");
	expect_invalid("a/b", "10.0.0.0/16", 26, "metadata.name");
}

static void test_json(void **state)
{
	const char *manifest =
	    "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"IPPool\","
	    "\"metadata\":{\"name\":\"default-ipv4-ippool\"},"
	    "\"spec\":{\"cidr\":\"10.244.0.0/16\",\"blockSize\":24,\"natOutgoing\":true,"
	    "\"nodeSelector\":\"all()\",\"ipipMode\":\"Never\"}}";
	struct ipam_pool p, q;
	char err[IPAM_ERRLEN];
	char buf[PREFIX_STRLEN];
	char *json;

	(void)state;
	assert_int_equal(ipam_pool_from_json(manifest, &p, err, sizeof(err)), 0);
	assert_string_equal(p.name, "default-ipv4-ippool");
	assert_string_equal(prefix_format(&p.cidr, buf, sizeof(buf)), "10.244.0.0/16");
	assert_int_equal(p.block_size, 24);
	assert_true(p.nat_outgoing);
	assert_false(p.disabled);
	json = ipam_pool_to_json(&p);
	assert_int_equal(ipam_pool_from_json(json, &q, err, sizeof(err)), 0);
	assert_true(prefix_eq(&p.cidr, &q.cidr));
	assert_int_equal(q.block_size, 24);
	assert_true(q.nat_outgoing);
	free(json);
	ipam_pool_clear(&p);
	ipam_pool_clear(&q);

	assert_int_equal(ipam_pool_from_json("{\"metadata\":{\"name\":\"x\"},\"spec\":"
	                                     "{\"cidr\":\"10.0.0.1/24\"}}",
	                                     &p, err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "spec.cidr"));
	assert_non_null(strstr(err, "10.0.0.0/24"));
	assert_int_equal(ipam_pool_from_json("{\"metadata\":{\"name\":\"x\"},\"spec\":"
	                                     "{\"cidr\":\"10.0.0.0/24\",\"disabled\":\"yes\"}}",
	                                     &p, err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "spec.disabled"));
	assert_int_equal(ipam_pool_from_json("{\"kind\":\"BGPPeer\"}", &p, err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "kind"));
	assert_int_equal(ipam_pool_from_json("[", &p, err, sizeof(err)), -EINVAL);
}

static void test_store_ops(void **state)
{
	struct ipam_pool p, *list;
	char err[IPAM_ERRLEN];
	size_t n;

	(void)state;
	make(&p, "b-pool", "10.1.0.0/16", 0);
	assert_int_equal(ipam_pool_create(st, &p, err, sizeof(err)), 0);
	assert_int_equal(ipam_pool_create(st, &p, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "already exists"));
	ipam_pool_clear(&p);
	make(&p, "a-pool", "10.1.128.0/24", 0);
	assert_int_equal(ipam_pool_create(st, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "overlaps pool b-pool"));
	ipam_pool_clear(&p);
	make(&p, "a-pool", "fd00::/64", 0);
	assert_int_equal(ipam_pool_create(st, &p, err, sizeof(err)), 0);
	ipam_pool_clear(&p);

	assert_int_equal(ipam_pool_list(st, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "a-pool");
	assert_string_equal(list[1].name, "b-pool");
	ipam_pool_list_free(list, n);

	assert_int_equal(ipam_pool_get(st, "b-pool", &p), 0);
	p.nat_outgoing = true;
	assert_int_equal(ipam_pool_update(st, &p, err, sizeof(err)), 0);
	p.block_size = 24;
	assert_int_equal(ipam_pool_update(st, &p, err, sizeof(err)), -EINVAL);
	ipam_pool_clear(&p);
	assert_int_equal(ipam_pool_get(st, "b-pool", &p), 0);
	assert_true(p.nat_outgoing);
	assert_int_equal(p.block_size, 26);
	ipam_pool_clear(&p);
	assert_int_equal(ipam_pool_get(st, "nope", &p), -ENOENT);
}

static void test_delete(void **state)
{
	struct ipam *ip = ipam_new(st, "node1");
	struct ipam_assign_args args = {.handle = "h", .num4 = 1};
	struct ipam_assign_result res;
	struct store_list l = {0};
	struct ipam_pool p;
	char err[IPAM_ERRLEN];
	unsigned n;

	(void)state;
	make(&p, "p", "10.2.0.0/24", 0);
	assert_int_equal(ipam_pool_create(st, &p, err, sizeof(err)), 0);
	ipam_pool_clear(&p);
	assert_int_equal(ipam_auto_assign(ip, &args, &res), 0);
	assert_int_equal(ipam_pool_delete(st, "p", err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "in use"));
	assert_int_equal(ipam_release_by_handle(ip, "h", &n), 0);
	assert_int_equal(ipam_pool_delete(st, "p", err, sizeof(err)), 0);
	assert_int_equal(store_list(st, STORE_KEY_PREFIX, &l), 0);
	assert_int_equal(l.n, 0); /* pool, block and affinity all gone */
	store_list_free(&l);
	assert_int_equal(ipam_pool_delete(st, "p", err, sizeof(err)), -ENOENT);
	ipam_free(ip);
}

static void test_config(void **state)
{
	struct ipam_config c, d;

	(void)state;
	assert_int_equal(ipam_config_get(st, &c), 0);
	assert_false(c.strict_affinity);
	assert_int_equal(c.max_blocks_per_host, 20);
	assert_true(c.auto_allocate_blocks);
	c.strict_affinity = true;
	c.max_blocks_per_host = 3;
	c.auto_allocate_blocks = false;
	assert_int_equal(ipam_config_set(st, &c), 0);
	assert_int_equal(ipam_config_get(st, &d), 0);
	assert_true(d.strict_affinity);
	assert_int_equal(d.max_blocks_per_host, 3);
	assert_false(d.auto_allocate_blocks);
	/* Fields left out keep their defaults. */
	assert_int_equal(
	    store_put(st, IPAM_KEY_CONFIG, "{\"spec\":{\"strictAffinity\":true}}", NULL), 0);
	assert_int_equal(ipam_config_get(st, &d), 0);
	assert_true(d.strict_affinity);
	assert_int_equal(d.max_blocks_per_host, 20);
	assert_true(d.auto_allocate_blocks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test_setup_teardown(test_store_ops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config, setup, teardown),
	};

	log_set_level(LOG_WARNING);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
