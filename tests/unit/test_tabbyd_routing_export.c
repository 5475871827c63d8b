/*
 * DOC: unit tests of what the route export (src/tabbyd/routing_export.c)
 * takes from the BGPConfiguration "default": the pure parser (service CIDRs,
 * communities by name and literal, prefixAdvertisements; errors naming the
 * field), the communities attached to an exported prefix, and, against a real
 * BGP speaker (no sessions) and IPAM on an in-memory datastore, the service
 * CIDRs originated, changed and withdrawn through the store watch, a
 * malformed document ignored with the last good CIDRs kept.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <tabby/ipam.h>
#include <tabby/log.h>
#include <tabby/store.h>

#include "tabbyd.h"

#define C(a, b) ((uint32_t)(a) << 16 | (b))

static struct prefix pfx(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse(s, &p, true), 0);
	return p;
}

static int parse(const char *json, struct routing_export_bgpconfig *c, char *err, size_t len)
{
	err[0] = 0;
	return routing_export_bgpconfig_parse(json, c, err, len);
}

static void test_parse_full(void **state)
{
	static const char doc[] =
	    "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"BGPConfiguration\","
	    "\"metadata\":{\"name\":\"default\"},\"spec\":{"
	    "\"serviceClusterIPs\":[{\"cidr\":\"10.96.0.0/12\"},{\"cidr\":\"fd00:96::/108\"}],"
	    "\"serviceExternalIPs\":[{\"cidr\":\"198.51.100.0/24\"},{\"cidr\":\"10.96.0.0/12\"}],"
	    "\"serviceLoadBalancerIPs\":[{\"cidr\":\"203.0.113.7\"}],"
	    "\"communities\":[{\"name\":\"svc\",\"value\":\"64512:100\"},"
	    "{\"name\":\"big\",\"value\":\"64512:1:2\"}],"
	    "\"prefixAdvertisements\":["
	    "{\"cidr\":\"10.96.0.0/12\",\"communities\":[\"svc\",\"65000:7\",\"big\"]},"
	    "{\"cidr\":\"10.0.0.0/8\",\"communities\":[\"64512:100\",\"1:2\","
	    "\"4200000000:7:4294967295\",\"64512:1:2\"]},"
	    "{\"cidr\":\"fd00::/8\"}]}}";
	struct routing_export_bgpconfig c;
	struct bgp_large_community large[8];
	struct prefix p;
	uint32_t comms[8];
	char err[600];
	size_t n;

	(void)state;
	assert_int_equal(parse(doc, &c, err, sizeof(err)), 0);
	/* The three lists, in order, without the repeated 10.96.0.0/12. */
	assert_int_equal(c.n_services, 4);
	p = pfx("10.96.0.0/12");
	assert_true(prefix_eq(&c.services[0], &p));
	p = pfx("fd00:96::/108");
	assert_true(prefix_eq(&c.services[1], &p));
	p = pfx("198.51.100.0/24");
	assert_true(prefix_eq(&c.services[2], &p));
	p = pfx("203.0.113.7/32"); /* a bare address is a host prefix */
	assert_true(prefix_eq(&c.services[3], &p));

	/* A name resolves, a literal is taken; "big" is a large community (RFC 8092). */
	assert_int_equal(c.n_advs, 3);
	assert_int_equal(c.advs[0].n_communities, 2);
	assert_int_equal(c.advs[0].communities[0], C(64512, 100));
	assert_int_equal(c.advs[0].communities[1], C(65000, 7));
	assert_int_equal(c.advs[0].n_large, 1);
	assert_int_equal(c.advs[0].large[0].global, 64512);
	assert_int_equal(c.advs[0].large[0].local1, 1);
	assert_int_equal(c.advs[0].large[0].local2, 2);
	assert_int_equal(c.advs[1].n_large, 2);
	assert_int_equal(c.advs[1].large[0].global, 4200000000u);
	assert_int_equal(c.advs[1].large[0].local2, 4294967295u);
	assert_int_equal(c.advs[2].n_communities, 0);
	assert_int_equal(c.advs[2].n_large, 0);
	/* Large ones of every advertisement containing the prefix, without repeats. */
	p = pfx("10.96.0.0/12");
	assert_int_equal(routing_export_large_communities(&c, &p, large, 8), 2);
	assert_int_equal(large[0].global, 64512);
	assert_int_equal(large[1].global, 4200000000u);
	p = pfx("10.244.1.0/26");
	assert_int_equal(routing_export_large_communities(&c, &p, large, 8), 2);
	assert_int_equal(large[0].global, 4200000000u);
	assert_int_equal(routing_export_large_communities(&c, &p, large, 1), 1);

	/* A prefix inside both 10.96.0.0/12 and 10.0.0.0/8: the union, no repeat. */
	p = pfx("10.96.0.0/12");
	n = routing_export_communities(&c, &p, comms, 8);
	assert_int_equal(n, 3);
	assert_int_equal(comms[0], C(64512, 100));
	assert_int_equal(comms[1], C(65000, 7));
	assert_int_equal(comms[2], C(1, 2));
	/* Inside 10.0.0.0/8 only (a block). */
	p = pfx("10.244.1.0/26");
	n = routing_export_communities(&c, &p, comms, 8);
	assert_int_equal(n, 2);
	assert_int_equal(comms[0], C(64512, 100));
	assert_int_equal(comms[1], C(1, 2));
	/* Bigger than the advertisement's CIDR, or outside: nothing. */
	p = pfx("10.0.0.0/7");
	assert_int_equal(routing_export_communities(&c, &p, comms, 8), 0);
	p = pfx("192.0.2.0/24");
	assert_int_equal(routing_export_communities(&c, &p, comms, 8), 0);
	/* The caller's room is respected. */
	p = pfx("10.96.0.0/16");
	assert_int_equal(routing_export_communities(&c, &p, comms, 1), 1);
	routing_export_bgpconfig_free(&c);
	assert_null(c.services);
	assert_int_equal(c.n_services, 0);
}

static void test_parse_empty(void **state)
{
	struct routing_export_bgpconfig c;
	char err[600];

	(void)state;
	assert_int_equal(
	    parse("{\"kind\":\"BGPConfiguration\",\"metadata\":{\"name\":\"default\"}}", &c, err,
	          sizeof(err)),
	    0);
	assert_int_equal(c.n_services, 0);
	assert_int_equal(c.n_advs, 0);
	routing_export_bgpconfig_free(&c);
	assert_int_equal(parse("{\"spec\":{\"asNumber\":64512,\"nodeToNodeMeshEnabled\":false}}",
	                       &c, err, sizeof(err)),
	                 0);
	assert_int_equal(c.n_services, 0);
	routing_export_bgpconfig_free(&c);
}

/* Each malformed document is refused with the field named, and leaves nothing behind. */
static void test_parse_errors(void **state)
{
	static const struct {
		const char *json, *field;
	} bad[] = {
	    {"{\"spec\":{\"serviceClusterIPs\":[{\"cidr\":\"10.96.0.0/12\"},{\"cidr\":\"x\"}]}}",
	     "spec.serviceClusterIPs[1].cidr"},
	    {"{\"spec\":{\"serviceExternalIPs\":[{\"cidr\":\"10.96.0.1/12\"}]}}",
	     "spec.serviceExternalIPs[0].cidr"},
	    {"{\"spec\":{\"serviceLoadBalancerIPs\":{\"cidr\":\"10.96.0.0/12\"}}}",
	     "spec.serviceLoadBalancerIPs"},
	    {"{\"spec\":{\"serviceClusterIPs\":[{\"cird\":\"10.96.0.0/12\"}]}}",
	     "spec.serviceClusterIPs[0].cidr"},
	    {"{\"spec\":{\"serviceClusterIPs\":[{\"cidr\":10}]}}",
	     "spec.serviceClusterIPs[0].cidr"},
	    {"{\"spec\":{\"communities\":[{\"name\":\"a\",\"value\":\"70000:1\"}]}}",
	     "spec.communities[0].value"},
	    {"{\"spec\":{\"communities\":[{\"value\":\"1:1\"}]}}", "spec.communities[0].name"},
	    {"{\"spec\":{\"prefixAdvertisements\":[{\"cidr\":\"10.0.0.0/8\","
	     "\"communities\":[\"nosuchname\"]}]}}",
	     "spec.prefixAdvertisements[0].communities[0]"},
	    {"{\"spec\":{\"prefixAdvertisements\":[{\"communities\":[\"1:1\"]}]}}",
	     "spec.prefixAdvertisements[0].cidr"},
	    {"{\"spec\":{\"prefixAdvertisements\":[{\"cidr\":\"10.0.0.0/8\","
	     "\"communities\":[\"1:-1\"]}]}}",
	     "spec.prefixAdvertisements[0].communities[0]"},
	    {"{\"spec\":[]}", "spec"},
	    {"{\"spec\":{", ""},
	};
	struct routing_export_bgpconfig c;
	char err[600];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].json, &c, err, sizeof(err)), -EINVAL);
		assert_true(err[0] != 0);
		if (bad[i].field[0] && strncmp(err, bad[i].field, strlen(bad[i].field)) != 0)
			fail_msg("document %zu: \"%s\" does not name %s", i, err, bad[i].field);
		assert_null(c.services);
		assert_null(c.advs);
		assert_int_equal(c.n_services + c.n_advs, 0);
	}
}

/* ---- through the store watch, with a speaker ---- */

struct fixture {
	struct tabbyd d;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct bgp_speaker_config sc = {
	    .local_as = 64512, .router_id = 0xc6120001, .no_listen = true};

	assert_non_null(f);
	log_init("test_tabbyd_routing_export", LOG_ERR, LOG_TARGET_STDERR);
	assert_int_equal(store_open("memory:", &f->d.store), 0);
	f->d.cfg.node_name = "node-1";
	f->d.ipam = ipam_new(f->d.store, "node-1");
	assert_non_null(f->d.ipam);
	f->d.base = event_base_new();
	assert_non_null(f->d.base);
	assert_int_equal(bgp_speaker_new(f->d.base, &sc, &f->d.bgp), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	routing_export_stop(&f->d);
	bgp_speaker_free(f->d.bgp);
	event_base_free(f->d.base);
	ipam_free(f->d.ipam);
	store_close(f->d.store);
	free(f);
	return 0;
}

/*
 * Communities of p's local route as "A:B,C:D" then the large ones "A:B:C" ("" without
 * any), or NULL if not originated.
 */
static char *local_route(struct fixture *f, const char *p)
{
	cJSON *rib = bgp_rib_to_json(f->d.bgp), *r, *c;
	char *out = NULL;
	const char *fam = strchr(p, ':') ? "ipv6" : "ipv4";

	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(rib, fam))
	{
		cJSON *pf = cJSON_GetObjectItemCaseSensitive(r, "prefix");
		cJSON *from = cJSON_GetObjectItemCaseSensitive(r, "from");
		size_t len = 1;

		if (!cJSON_IsString(pf) || strcmp(pf->valuestring, p) != 0 ||
		    !cJSON_IsString(from) || strcmp(from->valuestring, "local") != 0)
			continue;
		out = calloc(1, 256);
		assert_non_null(out);
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(r, "communities"))
		{
			len += (size_t)snprintf(out + len - 1, 256 - len, "%s%s",
			                        len > 1 ? "," : "", c->valuestring);
		}
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(r, "large_communities"))
		{
			len += (size_t)snprintf(out + len - 1, 256 - len, "%s%s",
			                        len > 1 ? "," : "", c->valuestring);
		}
	}
	cJSON_Delete(rib);
	return out;
}

/* Run the watch and the loop until p's local route is (want) or is not there with comms; 2 s. */
static bool wait_route(struct fixture *f, const char *p, const char *comms)
{
	int i;

	for (i = 0; i < 400; i++) {
		char *r;
		bool done;

		store_poll(f->d.store);
		event_base_loop(f->d.base, EVLOOP_NONBLOCK);
		r = local_route(f, p);
		done = comms ? r && strcmp(r, comms) == 0 : !r;
		free(r);
		if (done)
			return true;
		usleep(5000);
	}
	return false;
}

static void put_config(struct fixture *f, const char *spec)
{
	char doc[1024];

	snprintf(doc, sizeof(doc),
	         "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"BGPConfiguration\","
	         "\"metadata\":{\"name\":\"default\"},\"spec\":%s}",
	         spec);
	assert_int_equal(store_put(f->d.store, ROUTING_EXPORT_BGPCONFIG_KEY, doc, NULL), 0);
}

static void test_services_watch(void **state)
{
	struct fixture *f = *state;

	/* Present before the start: originated at once. */
	put_config(f, "{\"serviceClusterIPs\":[{\"cidr\":\"10.96.0.0/12\"}]}");
	assert_int_equal(routing_export_start(&f->d), 0);
	assert_true(wait_route(f, "10.96.0.0/12", ""));

	/* A second list, an IPv6 CIDR and a community: all through the watch. */
	put_config(f, "{\"serviceClusterIPs\":[{\"cidr\":\"10.96.0.0/12\"}],"
	              "\"serviceLoadBalancerIPs\":[{\"cidr\":\"fd00:96::/108\"}],"
	              "\"communities\":[{\"name\":\"svc\",\"value\":\"64512:100\"},"
	              "{\"name\":\"big\",\"value\":\"4200000000:1:2\"}],"
	              "\"prefixAdvertisements\":[{\"cidr\":\"10.96.0.0/12\","
	              "\"communities\":[\"svc\",\"big\",\"64512:7:8\"]}]}");
	assert_true(wait_route(f, "fd00:96::/108", ""));
	assert_true(wait_route(f, "10.96.0.0/12", "64512:100,4200000000:1:2,64512:7:8"));

	/* Malformed: ignored, the last good CIDRs and communities stay. */
	put_config(f, "{\"serviceClusterIPs\":[{\"cidr\":\"not-a-cidr\"}]}");
	assert_false(wait_route(f, "10.96.0.0/12", NULL)); /* 2 s without a withdrawal */
	assert_true(wait_route(f, "10.96.0.0/12", "64512:100,4200000000:1:2,64512:7:8"));
	assert_true(wait_route(f, "fd00:96::/108", ""));

	/* One CIDR removed: withdrawn; the other stays, without the dropped community. */
	put_config(f, "{\"serviceLoadBalancerIPs\":[{\"cidr\":\"fd00:96::/108\"}],"
	              "\"serviceExternalIPs\":[{\"cidr\":\"10.96.0.0/12\"}]}");
	assert_true(wait_route(f, "10.96.0.0/12", ""));
	put_config(f, "{\"serviceLoadBalancerIPs\":[{\"cidr\":\"fd00:96::/108\"}]}");
	assert_true(wait_route(f, "10.96.0.0/12", NULL));
	assert_true(wait_route(f, "fd00:96::/108", ""));

	/* Another BGPConfiguration (per node) is not read. */
	assert_int_equal(
	    store_put(f->d.store, "/tabby/v1/bgpconfig/node.node-1",
	              "{\"spec\":{\"serviceClusterIPs\":[{\"cidr\":\"10.1.0.0/16\"}]}}", NULL),
	    0);
	assert_false(wait_route(f, "10.1.0.0/16", ""));

	/* The document deleted: everything withdrawn. */
	assert_int_equal(store_delete(f->d.store, ROUTING_EXPORT_BGPCONFIG_KEY, 0), 0);
	assert_true(wait_route(f, "fd00:96::/108", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_full),
	    cmocka_unit_test(test_parse_empty),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test_setup_teardown(test_services_watch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
