/*
 * DOC: unit tests of workload endpoint documents (src/tabbyd/endpoint.c):
 * ids and keys, JSON round trip through an in-memory store, and documents
 * that are not endpoints.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <tabby/store.h>

#include "tabbyd.h"

static void test_id_and_key(void **state)
{
	char id[64], key[128], small[8];

	(void)state;
	assert_int_equal(endpoint_id("net", "c1", "eth0", id, sizeof(id)), 0);
	assert_string_equal(id, "net:c1:eth0");
	assert_int_equal(endpoint_key("node-1", id, key, sizeof(key)), 0);
	assert_string_equal(key, "/tabby/v1/workloads/node-1/net:c1:eth0");
	assert_int_equal(endpoint_id("net", "c1", "eth0", small, sizeof(small)), -ENAMETOOLONG);
}

static void test_round_trip(void **state)
{
	struct tabbyd d = {0};
	struct api_label labels[] = {{"app", "web"}, {"tier", "front"}};
	struct api_cni_request req = {.network = "tabby-net",
	                              .container_id = "abc",
	                              .ifname = "eth0",
	                              .netns = "/var/run/netns/p",
	                              .pod_namespace = "default",
	                              .pod = "web-1",
	                              .labels = labels,
	                              .n_labels = 2};
	struct tabbyd_endpoint *eps = NULL;
	struct addr addrs[2];
	char id[64], key[128], buf[ADDR_STRLEN];
	size_t n = 0, i;
	char *doc;

	(void)state;
	d.cfg.node_name = "node-1";
	assert_int_equal(store_open("memory:", &d.store), 0);
	assert_int_equal(addr_parse("10.244.0.5", &addrs[0]), 0);
	assert_int_equal(addr_parse("fd00::5", &addrs[1]), 0);
	assert_int_equal(endpoint_id(req.network, req.container_id, req.ifname, id, sizeof(id)), 0);
	assert_int_equal(endpoint_key(d.cfg.node_name, id, key, sizeof(key)), 0);
	doc = endpoint_to_json(&d, &req, id, "tabby0123456789", addrs, 2);
	assert_non_null(doc);
	assert_non_null(strstr(doc, "\"labels\":{\"app\":\"web\",\"tier\":\"front\"}"));
	assert_int_equal(store_put(d.store, key, doc, NULL), 0);
	free(doc);
	/* Another node's endpoint and a document that is not one are not listed. */
	assert_int_equal(store_put(d.store, "/tabby/v1/workloads/node-2/x:y:eth0", "{}", NULL), 0);
	assert_int_equal(store_put(d.store, "/tabby/v1/workloads/node-1/junk", "[1]", NULL), 0);
	assert_int_equal(endpoint_list(&d, &eps, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(eps[0].id, "tabby-net:abc:eth0");
	assert_string_equal(eps[0].network, "tabby-net");
	assert_string_equal(eps[0].container_id, "abc");
	assert_string_equal(eps[0].ifname, "eth0");
	assert_string_equal(eps[0].host_ifname, "tabby0123456789");
	assert_string_equal(eps[0].netns, "/var/run/netns/p");
	assert_string_equal(eps[0].pod_namespace, "default");
	assert_string_equal(eps[0].pod, "web-1");
	assert_int_equal(eps[0].n_addrs, 2);
	assert_string_equal(addr_format(&eps[0].addrs[1], buf, sizeof(buf)), "fd00::5");
	assert_true(eps[0].mod_rev > 0);
	for (i = 0; i < n; i++)
		endpoint_clear(&eps[i]);
	free(eps);
	store_close(d.store);
}

static void test_not_an_endpoint(void **state)
{
	struct tabbyd_endpoint ep;

	(void)state;
	assert_int_equal(endpoint_from_json("/k/x", "not json", &ep), -EINVAL);
	assert_int_equal(endpoint_from_json("/k/x", "{\"metadata\":{},\"spec\":{}}", &ep), -EINVAL);
	assert_int_equal(endpoint_from_json("nokey",
	                                    "{\"metadata\":{},\"spec\":{\"network\":\"n\","
	                                    "\"containerID\":\"c\",\"endpoint\":\"e\"}}",
	                                    &ep),
	                 -EINVAL);
	assert_int_equal(endpoint_from_json("/k/n:c:e",
	                                    "{\"metadata\":{},\"spec\":{\"network\":\"n\","
	                                    "\"containerID\":\"c\",\"endpoint\":\"e\"}}",
	                                    &ep),
	                 0);
	assert_null(ep.host_ifname);
	assert_int_equal(ep.n_addrs, 0);
	endpoint_clear(&ep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_id_and_key),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_not_an_endpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
