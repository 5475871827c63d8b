/*
 * DOC: unit tests for the endpoint-churn fast path (src/policy/nft_batch.c):
 * element updates sent as one nf_tables netlink batch.
 *
 * - The encoding of one batch is compared byte for byte with the layout
 *   nftables 1.0.6 sends for the same commands (`nft --debug=mnl add
 *   element ...`) and the kernel uapi header describes.
 * - The same churn is applied in two private network namespaces, once as
 *   nft text through libnftables and once through the fast path; after
 *   every step both namespaces list exactly the same table (selector sets
 *   for IPv4 and IPv6, set ifs, verdict-map elements, removal, relabel,
 *   and a new policy combination that needs a chain, i.e. the fallback).
 * - Errors: a missing set or element is -EINVAL with the kernel's error and
 *   the element named, and the refused batch changes nothing.
 * Needs root for the namespaces (skipped without, failed under CI=true).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <tabby/policy.h>

#include "../../src/policy/render_delta.h"

static int ns_lib = -1, ns_fast = -1; /* libnftables path / fast path */

static const char *const policies_json[] = {
    /* The seed example. */
    "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":"
    "\"db\",\"namespace\":\"default\"},\"spec\":{\"podSelector\":{\"matchLabels\":{\"role\":"
    "\"db\"}},\"ingress\":[{\"from\":[{\"podSelector\":{\"matchLabels\":{\"role\":"
    "\"frontend\"}}}],\"ports\":[{\"protocol\":\"TCP\",\"port\":6379}]}]}}",
    /* Calico, both directions, nets (interval set, not churned) and a selector. */
    "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":"
    "\"fe\",\"namespace\":\"default\"},\"spec\":{\"order\":10,\"selector\":\"role == "
    "'frontend' || tier == "
    "'edge'\",\"types\":[\"Ingress\",\"Egress\"],\"ingress\":[{\"action\":\"Allow\","
    "\"source\":{\"selector\":\"tier == 'edge'\"}}],\"egress\":[{\"action\":\"Allow\","
    "\"destination\":{\"nets\":[\"198.18.0.0/24\",\"2001:db8::/64\"]}},{\"action\":\"Allow\","
    "\"destination\":{\"selector\":\"role == 'db'\"}}]}}",
};

static const struct policy_label db_labels[] = {{"role", "db"}};
static const struct policy_label fe_labels[] = {{"role", "frontend"}};
static const struct policy_label edge_labels[] = {{"role", "frontend"}, {"tier", "edge"}};
static const struct policy_label both_labels[] = {{"role", "db"}, {"tier", "edge"}};

static void enter(int ns)
{
	if (setns(ns, CLONE_NEWNET) != 0)
		fail_msg("setns: %s", strerror(errno));
}

static char *show(void)
{
	char err[1024], *out;

	if (policy_nft_show(&out, err, sizeof(err)))
		fail_msg("list: %s", err);
	return out;
}

static void apply(const char *text)
{
	char err[4096];

	if (policy_nft_apply(text, false, err, sizeof(err)))
		fail_msg("nft refused: %s\n---\n%s", err, text);
}

static void assert_contains(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("missing \"%s\" in:\n%s", want, text);
}

static struct policy_state *new_state(void)
{
	struct policy_state *st = policy_state_new();
	struct policy *p[2];
	struct json_error jerr;
	struct policy_pool pool;
	size_t i;
	cJSON *j;

	assert_non_null(st);
	for (i = 0; i < 2; i++) {
		j = json_parse("t", policies_json[i], strlen(policies_json[i]), &jerr);
		assert_non_null(j);
		assert_int_equal(policy_parse(j, &p[i], &jerr), 0);
		cJSON_Delete(j);
	}
	assert_int_equal(policy_state_set_policies(st, p, 2), 0);
	policy_free(p[0]);
	policy_free(p[1]);
	assert_int_equal(prefix_parse("10.244.0.0/16", &pool.cidr, true), 0);
	pool.nat_outgoing = true;
	assert_int_equal(policy_state_set_pools(st, &pool, 1), 0);
	return st;
}

struct ep_spec {
	const char *id, *iface;
	const struct policy_label *labels;
	size_t n_labels;
	const char *a4, *a6;
	struct addr addrs[2];
	struct policy_endpoint ep;
};

#define EP(i, f, l, n, v4, v6)                                                                     \
	{                                                                                          \
		.id = (i), .iface = (f), .labels = (l), .n_labels = (n), .a4 = (v4), .a6 = (v6)    \
	}

static const struct policy_endpoint *ep_of(struct ep_spec *s)
{
	size_t n = 0;

	if (s->a4)
		assert_int_equal(addr_parse(s->a4, &s->addrs[n++]), 0);
	if (s->a6)
		assert_int_equal(addr_parse(s->a6, &s->addrs[n++]), 0);
	s->ep = (struct policy_endpoint){s->id,       s->iface, "default", s->labels,
	                                 s->n_labels, s->addrs, n};
	return &s->ep;
}

/* The full ruleset for st with endpoints db and fe, applied in the current namespace. */
static void apply_full(struct policy_state *st)
{
	struct ep_spec db = EP("n1/default/db", "tbdb0", db_labels, 1, "10.244.1.2", "fd00::2");
	struct ep_spec fe = EP("n1/default/fe", "tbfe0", fe_labels, 1, "10.244.1.3", NULL);
	char *t;

	assert_int_equal(policy_state_put_endpoint(st, ep_of(&db)), 0);
	assert_int_equal(policy_state_put_endpoint(st, ep_of(&fe)), 0);
	assert_int_equal(policy_render_full(st, &t), 0);
	apply(t);
	free(t);
}

/*
 * One batch, byte for byte: what nft 1.0.6 sends for "delete element inet
 * tabby s0_4 { 10.244.1.4 }" and "add element inet tabby to_ep { "tbx" :
 * jump ep0_in }" (nft --debug=mnl), without nft's NFTA_SET_ELEM_LIST_SET_ID
 * (only needed for a set created in the same batch) and with NLM_F_ACK.
 */
static void test_encoding(void **state)
{
	static const uint8_t want[] = {
	    /* NFNL_MSG_BATCH_BEGIN (0x10), NLM_F_REQUEST, seq 1, res_id NFTABLES (10) */
	    20,
	    0,
	    0,
	    0,
	    0x10,
	    0x00,
	    0x01,
	    0x00,
	    1,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    10,
	    /* NFT_MSG_DELSETELEM (10 << 8 | 14), REQUEST | ACK, seq 2, NFPROTO_INET */
	    64,
	    0,
	    0,
	    0,
	    0x0e,
	    0x0a,
	    0x05,
	    0x00,
	    2,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    1,
	    0,
	    0,
	    0,
	    10,
	    0,
	    1,
	    0,
	    't',
	    'a',
	    'b',
	    'b',
	    'y',
	    0,
	    0,
	    0, /* LIST_TABLE */
	    9,
	    0,
	    2,
	    0,
	    's',
	    '0',
	    '_',
	    '4',
	    0,
	    0,
	    0,
	    0, /* LIST_SET */
	    20,
	    0,
	    3,
	    0x80, /* LIST_ELEMENTS, nested */
	    16,
	    0,
	    1,
	    0x80, /* NFTA_LIST_ELEM */
	    12,
	    0,
	    1,
	    0x80, /* NFTA_SET_ELEM_KEY */
	    8,
	    0,
	    1,
	    0,
	    10,
	    244,
	    1,
	    4, /* NFTA_DATA_VALUE */
	    /* NFT_MSG_NEWSETELEM (10 << 8 | 12), REQUEST | ACK | CREATE, seq 3 */
	    104,
	    0,
	    0,
	    0,
	    0x0c,
	    0x0a,
	    0x05,
	    0x04,
	    3,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    1,
	    0,
	    0,
	    0,
	    10,
	    0,
	    1,
	    0,
	    't',
	    'a',
	    'b',
	    'b',
	    'y',
	    0,
	    0,
	    0,
	    10,
	    0,
	    2,
	    0,
	    't',
	    'o',
	    '_',
	    'e',
	    'p',
	    0,
	    0,
	    0,
	    60,
	    0,
	    3,
	    0x80,
	    56,
	    0,
	    1,
	    0x80,
	    24,
	    0,
	    1,
	    0x80, /* KEY */
	    20,
	    0,
	    1,
	    0,
	    't',
	    'b',
	    'x',
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    28,
	    0,
	    2,
	    0x80, /* NFTA_SET_ELEM_DATA */
	    24,
	    0,
	    2,
	    0x80, /* NFTA_DATA_VERDICT */
	    8,
	    0,
	    1,
	    0,
	    0xff,
	    0xff,
	    0xff,
	    0xfd, /* NFTA_VERDICT_CODE NFT_JUMP (-3) */
	    11,
	    0,
	    2,
	    0,
	    'e',
	    'p',
	    '0',
	    '_',
	    'i',
	    'n',
	    0,
	    0, /* NFTA_VERDICT_CHAIN */
	    /* NFNL_MSG_BATCH_END (0x11), seq 4 */
	    20,
	    0,
	    0,
	    0,
	    0x11,
	    0x00,
	    0x01,
	    0x00,
	    4,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    10,
	};
	struct rd_op ops[2] = {
	    {.add = false, .kind = RD_KEY_ADDR, .set = "s0_4"},
	    {.add = true, .kind = RD_KEY_IFNAME, .set = "to_ep", .ifname = "tbx", .jump = "ep0_in"},
	};
	struct rd_delta d = {.ops = ops, .n = 2};
	uint8_t *buf;
	size_t len, i;

	(void)state;
	assert_int_equal(addr_parse("10.244.1.4", &ops[0].addr), 0);
	assert_int_equal(rd_batch_encode(&d, &buf, &len), 0);
	assert_int_equal(len, sizeof(want));
	for (i = 0; i < len; i++)
		if (buf[i] != want[i])
			fail_msg("byte %zu: 0x%02x, want 0x%02x", i, buf[i], want[i]);
	free(buf);
}

enum step_kind { STEP_PUT, STEP_REMOVE };

struct step {
	enum step_kind kind;
	struct ep_spec ep; /* STEP_REMOVE: only id */
	bool needs_chain;  /* the delta adds an endpoint chain (fallback path) */
};

/* Apply one step in both namespaces and compare the listings. */
static void run_step(struct policy_state *lib, struct policy_state *fast, struct step *s)
{
	struct rd_delta d = {0};
	char *text, *a, *b, err[1024];
	int rc;

	enter(ns_lib);
	if (s->kind == STEP_PUT)
		rc = policy_render_endpoint_put(lib, ep_of(&s->ep), &text);
	else
		rc = policy_render_endpoint_remove(lib, s->ep.id, &text);
	assert_int_equal(rc, 0);
	assert_true(text[0] != '\0');
	if ((strstr(text, "add chain") != NULL) != s->needs_chain)
		fail_msg("%s: chain expected: %d, delta:\n%s", s->ep.id, s->needs_chain, text);
	apply(text);
	free(text);
	a = show();

	enter(ns_fast);
	if (s->needs_chain) {
		/* The public call takes the libnftables fallback for a new chain. */
		if (s->kind == STEP_PUT)
			rc = policy_apply_endpoint_put(fast, ep_of(&s->ep), err, sizeof(err));
		else
			rc = policy_apply_endpoint_remove(fast, s->ep.id, err, sizeof(err));
	} else {
		/* Element-only: straight to the batch, to know it was the fast path. */
		if (s->kind == STEP_PUT)
			rc = rd_endpoint_put(fast, ep_of(&s->ep), &d);
		else
			rc = rd_endpoint_remove(fast, s->ep.id, &d);
		assert_int_equal(rc, 0);
		assert_null(d.chains);
		assert_true(d.n > 0);
		rc = rd_batch_apply(&d, err, sizeof(err));
		rd_delta_free(&d);
	}
	if (rc)
		fail_msg("fast path: %d %s", rc, err);
	b = show();
	if (strcmp(a, b) != 0)
		fail_msg("listings differ after %s %s\n--- libnftables:\n%s\n--- fast:\n%s",
		         s->kind == STEP_PUT ? "put" : "remove", s->ep.id, a, b);
	free(a);
	free(b);
}

static void test_same_as_libnftables(void **state)
{
	struct policy_state *lib = new_state(), *fast = new_state();
	struct step steps[] = {
	    /* A remote frontend, dual-stack: selector set elements only. */
	    {STEP_PUT, EP("n2/default/fe", NULL, fe_labels, 1, "10.244.2.7", "fd00::7"), false},
	    /* A second local db: sets, ifs and a verdict-map element. */
	    {STEP_PUT, EP("n1/default/db2", "tbdb2", db_labels, 1, "10.244.1.5", "fd00::5"), false},
	    /* Relabel db2 to frontend: other sets, other dispatch chains. */
	    {STEP_PUT, EP("n1/default/db2", "tbdb2", fe_labels, 1, "10.244.1.5", "fd00::5"), false},
	    /* An edge frontend: in set "tier == 'edge'" too. */
	    {STEP_PUT, EP("n2/default/edge", NULL, edge_labels, 2, "10.244.2.9", NULL), false},
	    /* The local frontend goes: map elements in both directions, ifs. */
	    {STEP_REMOVE, EP("n1/default/fe", NULL, NULL, 0, NULL, NULL), false},
	    /* db and edge at once: a combination of policies no endpoint had. */
	    {STEP_PUT, EP("n1/default/both", "tbboth", both_labels, 2, "10.244.1.8", NULL), true},
	    /* Another one with that combination: the chain exists now. */
	    {STEP_PUT, EP("n1/default/both2", "tbboth2", both_labels, 2, "10.244.1.9", NULL),
	     false},
	    /* Removals, the last one with a verdict-map element. */
	    {STEP_REMOVE, EP("n2/default/fe", NULL, NULL, 0, NULL, NULL), false},
	    {STEP_REMOVE, EP("n1/default/both2", NULL, NULL, 0, NULL, NULL), false},
	};
	char *out;
	size_t i;

	(void)state;
	enter(ns_lib);
	apply_full(lib);
	enter(ns_fast);
	apply_full(fast);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		run_step(lib, fast, &steps[i]);
	out = show();
	/* The churn really happened (not two equal empty tables). */
	assert_contains(out, "\"tbboth\" : jump ep");
	assert_contains(out, "10.244.1.5");
	assert_contains(out, "fd00::5");
	assert_contains(out, "198.18.0.0/24");
	free(out);
	apply("delete table inet tabby\n");
	enter(ns_lib);
	apply("delete table inet tabby\n");
	policy_state_free(lib);
	policy_state_free(fast);
}

static void test_errors(void **state)
{
	struct policy_state *st = new_state();
	struct ep_spec remote = EP("n2/default/fe", NULL, fe_labels, 1, "10.244.2.7", NULL);
	char err[1024], *out;

	(void)state;
	enter(ns_fast);
	apply_full(st);
	/* Someone removed an element behind our back: the removal of db names it. */
	apply("delete element inet tabby s1_4 { 10.244.1.2 }\n");
	assert_int_equal(policy_apply_endpoint_remove(st, "n1/default/db", err, sizeof(err)),
	                 -EINVAL);
	assert_contains(err, "No such file or directory");
	assert_contains(err, "delete element inet tabby s1_4 { 10.244.1.2 }");
	/* One transaction: db's other elements are all still there. */
	out = show();
	assert_contains(out, "\"tbdb0\" : jump ep");
	assert_contains(out, "fd00::2");
	free(out);

	/* No table at all (so no set): -EINVAL naming the first element. */
	apply("delete table inet tabby\n");
	assert_int_equal(policy_apply_endpoint_put(st, ep_of(&remote), err, sizeof(err)), -EINVAL);
	assert_contains(err, "No such file or directory");
	assert_contains(err, "add element inet tabby s");
	assert_contains(err, "_4 { 10.244.2.7 }");
	policy_state_free(st);
}

int main(void)
{
	const char *ci = getenv("CI");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encoding),
	    cmocka_unit_test(test_same_as_libnftables),
	    cmocka_unit_test(test_errors),
	};

	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0 ||
	    (ns_lib = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0 ||
	    unshare(CLONE_NEWNET) != 0 ||
	    (ns_fast = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0) {
		if (ci && strcmp(ci, "true") == 0) {
			fprintf(stderr, "FAIL: needs root for private network namespaces "
			                "(CI=true)\n");
			return 1;
		}
		fprintf(stderr, "SKIP: needs root for private network namespaces\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
