/*
 * DOC: unit tests of tabbyd's policy agent (src/tabbyd/policy_agent.c) on an
 * in-memory datastore, applying to the kernel of a private network namespace
 * (unshare(CLONE_NEWNET); needs root, skipped without, failed under
 * CI=true): the policy.enabled setting, workload documents as policy endpoints, the start-up
 * ruleset, policy changes, endpoint churn as element updates, a malformed policy keeping the last
 * good ruleset (and later valid changes waiting) until it is deleted, the table kept on stop and
 * removed when policy is disabled.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <tabby/ipam.h>
#include <tabby/log.h>
#include <tabby/policy.h>
#include <tabby/store.h>

#include "policy_agent.h"
#include "tabbyd.h"

#define WL "/tabby/v1/workloads/"

static const char seed_policy[] =
    "{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\","
    " \"metadata\": {\"name\": \"db-allow-frontend\", \"namespace\": \"default\"},"
    " \"spec\": {\"podSelector\": {\"matchLabels\": {\"role\": \"db\"}},"
    " \"policyTypes\": [\"Ingress\"], \"ingress\": [{\"from\": [{\"podSelector\":"
    " {\"matchLabels\": {\"role\": \"frontend\"}}}], \"ports\": [{\"port\": 6379}]}]}}";
static const char later_policy[] =
    "{\"apiVersion\": \"projectcalico.org/v3\", \"kind\": \"GlobalNetworkPolicy\","
    " \"metadata\": {\"name\": \"later\"}, \"spec\": {\"order\": 5, \"selector\": \"all()\","
    " \"ingress\": [{\"action\": \"Allow\"}]}}";
/* endPort below port: the model refuses it, naming the field. */
static const char bad_policy[] =
    "{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\","
    " \"metadata\": {\"name\": \"broken\", \"namespace\": \"default\"},"
    " \"spec\": {\"podSelector\": {}, \"ingress\": [{\"ports\": [{\"port\": 80,"
    " \"endPort\": 70}]}]}}";

static char *wep(const char *node, const char *ns, const char *role, const char *iface,
                 const char *net)
{
	char *s = NULL;

	assert_true(asprintf(&s,
	                     "{\"apiVersion\": \"projectcalico.org/v3\", \"kind\": "
	                     "\"WorkloadEndpoint\", \"metadata\": {\"name\": \"x\", \"namespace\": "
	                     "\"%s\", \"labels\": {\"role\": \"%s\", \"n\": 7}}, \"spec\": "
	                     "{\"node\": \"%s\", \"network\": \"tabby-net\", \"containerID\": "
	                     "\"c\", \"endpoint\": \"eth0\", \"interfaceName\": \"%s\", "
	                     "\"ipNetworks\": [\"%s\", \"not-an-address\"]}}",
	                     ns, role, node, iface, net) > 0);
	return s;
}

static void test_endpoint_from_doc(void **state)
{
	char *local = wep("node-1", "default", "db", "tbdb0", "10.244.1.2/32");
	char *remote = wep("node-2", "default", "frontend", "tbfe0", "10.244.2.7/32");
	cJSON *dl = cJSON_Parse(local), *dr = cJSON_Parse(remote), *bad = cJSON_Parse("[]");
	struct policy_endpoint ep;
	struct policy_label *labels = NULL;
	struct addr addrs[4];
	char buf[ADDR_STRLEN];
	bool is_local;

	(void)state;
	assert_int_equal(policy_agent_endpoint_from_doc(dl, WL "node-1/tabby-net:c:eth0", "node-1",
	                                                &ep, &labels, addrs, 4, &is_local),
	                 0);
	assert_true(is_local);
	assert_string_equal(ep.id, "node-1/tabby-net:c:eth0");
	assert_string_equal(ep.iface, "tbdb0");
	assert_string_equal(ep.namespace, "default");
	assert_int_equal(ep.n_labels, 1); /* "n": 7 is not a string label */
	assert_string_equal(ep.labels[0].key, "role");
	assert_string_equal(ep.labels[0].value, "db");
	assert_int_equal(ep.n_addrs, 1);
	assert_string_equal(addr_format(&ep.addrs[0], buf, sizeof(buf)), "10.244.1.2");
	free(labels);
	/* Another node's endpoint: addresses and labels, no interface. */
	assert_int_equal(policy_agent_endpoint_from_doc(dr, WL "node-2/tabby-net:c:eth0", "node-1",
	                                                &ep, &labels, addrs, 4, &is_local),
	                 0);
	assert_false(is_local);
	assert_null(ep.iface);
	assert_string_equal(ep.labels[0].value, "frontend");
	free(labels);
	/* Not a workload key, not a document. */
	assert_int_equal(policy_agent_endpoint_from_doc(dl, "/tabby/v1/nodes/node-1", "node-1", &ep,
	                                                &labels, addrs, 4, &is_local),
	                 -EINVAL);
	assert_int_equal(policy_agent_endpoint_from_doc(bad, WL "node-1/x", "node-1", &ep, &labels,
	                                                addrs, 4, &is_local),
	                 -EINVAL);
	cJSON_Delete(dl);
	cJSON_Delete(dr);
	cJSON_Delete(bad);
	free(local);
	free(remote);
}

static int load_config(const char *text, struct tabbyd_config *cfg, char *err, size_t errlen)
{
	char path[] = "/tmp/test_tabbyd_policy.XXXXXX";
	int fd = mkstemp(path), ret;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ret = tabbyd_config_load(path, true, cfg, err, errlen);
	unlink(path);
	return ret;
}

/* policy.enabled in tabbyd.yaml: default true, false switches the agent off, typos are errors. */
static void test_config(void **state)
{
	struct tabbyd_config cfg;
	char err[600] = "";

	(void)state;
	assert_int_equal(load_config("nodeName: n1\n", &cfg, err, sizeof(err)), 0);
	assert_true(cfg.policy_enabled);
	tabbyd_config_free(&cfg);
	assert_int_equal(load_config("policy: {enabled: false}\n", &cfg, err, sizeof(err)), 0);
	assert_false(cfg.policy_enabled);
	tabbyd_config_free(&cfg);
	assert_int_equal(load_config("policy: {}\n", &cfg, err, sizeof(err)), 0);
	assert_true(cfg.policy_enabled);
	tabbyd_config_free(&cfg);
	assert_int_equal(load_config("policy: {enable: false}\n", &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "enable"));
	assert_int_equal(load_config("policy: {enabled: maybe}\n", &cfg, err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "enabled"));
}

struct fixture {
	struct tabbyd d;
};

/* Deliver the store's events and let the agent's debounce timer run. */
static void pump(struct fixture *f)
{
	struct timeval tv = {.tv_usec = 150 * 1000};

	store_poll(f->d.store);
	event_base_loopexit(f->d.base, &tv);
	event_base_dispatch(f->d.base);
}

/* Long enough for the agent's deferred removals (PA_REMOVE_IDLE_MS). */
static void pump_long(struct fixture *f)
{
	struct timeval tv = {.tv_usec = 400 * 1000};

	store_poll(f->d.store);
	event_base_loopexit(f->d.base, &tv);
	event_base_dispatch(f->d.base);
}

static char *show(void)
{
	char *out = NULL, err[512];

	return policy_nft_show(&out, err, sizeof(err)) == 0 ? out : NULL;
}

static bool table_has(const char *what)
{
	char *t = show();
	bool yes = t && strstr(t, what);

	free(t);
	return yes;
}

static void put(struct fixture *f, const char *key, const char *value)
{
	assert_int_equal(store_put(f->d.store, key, value, NULL), 0);
}

static void test_agent(void **state)
{
	struct fixture f = {0};
	struct ipam_pool pool = {.name = "p4", .block_size = 26, .nat_outgoing = true};
	struct policy_agent_counts c;
	char err[IPAM_ERRLEN], *doc;

	(void)state;
	log_init("test_tabbyd_policy", LOG_CRIT, LOG_TARGET_STDERR);
	assert_int_equal(store_open("memory:", &f.d.store), 0);
	assert_int_equal(prefix_parse("10.244.0.0/16", &pool.cidr, true), 0);
	assert_int_equal(ipam_pool_create(f.d.store, &pool, err, sizeof(err)), 0);
	free(pool.node_selector);
	f.d.cfg.node_name = "node-1";
	f.d.cfg.policy_enabled = true;
	f.d.base = event_base_new();
	assert_non_null(f.d.base);
	doc = wep("node-1", "default", "db", "tbdb0", "10.244.1.2/32");
	put(&f, WL "node-1/tabby-net:db:eth0", doc);
	free(doc);
	doc = wep("node-2", "default", "frontend", "tbfe0", "10.244.2.7/32");
	put(&f, WL "node-2/tabby-net:fe:eth0", doc);
	free(doc);
	put(&f, "/tabby/v1/policies/default/knp.default.db-allow-frontend", seed_policy);

	/* Start: everything loaded and applied before READY. */
	assert_int_equal(policy_agent_start(&f.d), 0);
	policy_agent_counts(&f.d, &c);
	assert_true(c.applied);
	assert_false(c.blocked);
	assert_int_equal(c.policies, 1);
	assert_int_equal(c.endpoints, 2);
	assert_int_equal(c.local_endpoints, 1);
	assert_int_equal(c.full_applies, 1);
	assert_true(table_has("default/db-allow-frontend"));
	assert_true(table_has("10.244.2.7"));    /* the remote frontend in the selector set */
	assert_true(table_has("\"tbdb0\""));     /* the local db dispatched */
	assert_true(table_has("10.244.0.0/16")); /* the natOutgoing pool */

	/* Endpoint churn: elements only, no full ruleset. */
	doc = wep("node-2", "default", "frontend", "tbfe1", "10.244.2.9/32");
	put(&f, WL "node-2/tabby-net:fe2:eth0", doc);
	free(doc);
	pump(&f);
	policy_agent_counts(&f.d, &c);
	assert_int_equal(c.full_applies, 1);
	assert_int_equal(c.endpoint_updates, 1);
	assert_true(table_has("10.244.2.9"));
	/* Removals wait while requests keep coming; a put in between cancels one. */
	assert_int_equal(store_delete(f.d.store, WL "node-2/tabby-net:fe2:eth0", 0), 0);
	store_poll(f.d.store);
	assert_true(table_has("10.244.2.9"));
	doc = wep("node-2", "default", "frontend", "tbfe1", "10.244.2.9/32");
	put(&f, WL "node-2/tabby-net:fe2:eth0", doc);
	free(doc);
	pump_long(&f);
	assert_true(table_has("10.244.2.9"));
	assert_int_equal(store_delete(f.d.store, WL "node-2/tabby-net:fe2:eth0", 0), 0);
	pump_long(&f);
	assert_false(table_has("10.244.2.9"));
	/* A synchronous call (the CNI path) with the same document changes nothing. */
	doc = wep("node-2", "default", "frontend", "tbfe0", "10.244.2.7/32");
	policy_agent_endpoint_changed(&f.d, WL "node-2/tabby-net:fe:eth0", doc);
	free(doc);
	policy_agent_counts(&f.d, &c);
	assert_int_equal(c.endpoint_failures, 0);
	assert_int_equal(c.full_applies, 1);

	/* A malformed policy: the last good ruleset stays, a valid change waits. */
	put(&f, "/tabby/v1/policies/default/knp.default.broken", bad_policy);
	pump(&f);
	policy_agent_counts(&f.d, &c);
	assert_true(c.blocked);
	assert_true(table_has("default/db-allow-frontend"));
	put(&f, "/tabby/v1/policies/_global/later", later_policy);
	pump(&f);
	assert_false(table_has("\"later\""));
	/* Endpoint churn still reaches the last good ruleset meanwhile. */
	doc = wep("node-2", "default", "frontend", "tbfe2", "10.244.2.11/32");
	put(&f, WL "node-2/tabby-net:fe3:eth0", doc);
	free(doc);
	pump(&f);
	assert_true(table_has("10.244.2.11"));
	/* Deleted: everything valid again, the waiting change is applied. */
	assert_int_equal(
	    store_delete(f.d.store, "/tabby/v1/policies/default/knp.default.broken", 0), 0);
	pump(&f);
	policy_agent_counts(&f.d, &c);
	assert_false(c.blocked);
	assert_int_equal(c.policies, 2);
	assert_true(table_has("\"later\""));
	assert_true(table_has("10.244.2.11"));

	/* Namespace labels and pool changes render again too. */
	put(&f, "/tabby/v1/namespaces/default",
	    "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": "
	    "\"default\", \"labels\": {\"team\": \"a\"}}}");
	pump(&f);
	policy_agent_counts(&f.d, &c);
	assert_int_equal(c.full_applies, 3);

	/* Stop: the table stays. */
	policy_agent_stop(&f.d);
	assert_null(f.d.policy);
	assert_true(table_has("default/db-allow-frontend"));
	/* Disabled: a table left by an earlier run goes. */
	f.d.cfg.policy_enabled = false;
	assert_int_equal(policy_agent_start(&f.d), 0);
	assert_null(f.d.policy);
	doc = show();
	assert_null(doc);
	event_base_free(f.d.base);
	store_close(f.d.store);
}

int main(void)
{
	const char *ci = getenv("CI");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config),
	    cmocka_unit_test(test_endpoint_from_doc),
	    cmocka_unit_test(test_agent),
	};

	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		if (ci && strcmp(ci, "true") == 0) {
			fprintf(stderr,
			        "FAIL: needs root for a private network namespace (CI=true)\n");
			return 1;
		}
		fprintf(stderr, "SKIP: needs root for a private network namespace\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
