/*
 * DOC: unit tests for rendering: the seed example (only role=frontend pods
 * reach role=db pods on TCP 6379) and Calico features rendered to nftables
 * text, checked line by line, then checked by nft itself (dry run through
 * libnftables inside a private network namespace: needs root; skipped
 * without, failed under CI=true). Endpoint churn deltas are checked too.
 */
#include <config.h>

#include <errno.h>
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

static bool have_netns;

static struct policy *parse(const char *text)
{
	struct json_error err;
	struct policy *p;
	char *s = strdup(text), *c;
	cJSON *j;

	for (c = s; *c; c++)
		if (*c == '`')
			*c = '"';
	j = json_parse("t", s, strlen(s), &err);
	free(s);
	assert_non_null(j);
	if (policy_parse(j, &p, &err))
		fail_msg("parse: %s", err.text);
	cJSON_Delete(j);
	return p;
}

static void assert_contains(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("missing \"%s\" in:\n%s", want, text);
}

static void assert_lacks(const char *text, const char *bad)
{
	if (strstr(text, bad))
		fail_msg("unexpected \"%s\" in:\n%s", bad, text);
}

static void nft_check(const char *text)
{
	char err[4096];

	if (!have_netns)
		return;
	if (policy_nft_apply(text, true, err, sizeof(err)))
		fail_msg("nft -c refused:\n%s\n---\n%s", err, text);
}

static const char seed_policy[] =
    "{`apiVersion`:`networking.k8s.io/v1`,`kind`:`NetworkPolicy`,`metadata`:{`name`:`db`,"
    "`namespace`:`default`},`spec`:{`podSelector`:{`matchLabels`:{`role`:`db`}},"
    "`policyTypes`:[`Ingress`],`ingress`:[{`from`:[{`podSelector`:{`matchLabels`:"
    "{`role`:`frontend`}}}],`ports`:[{`protocol`:`TCP`,`port`:6379}]}]}}";

static const struct policy_label db_labels[] = {{"role", "db"}};
static const struct policy_label fe_labels[] = {{"role", "frontend"}};
static const struct policy_label other_labels[] = {{"role", "other"}};

struct fixture {
	struct policy_state *st;
	struct addr a[6];
};

static struct fixture *seed_state(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct policy *p = parse(seed_policy);
	struct policy_pool pool;

	assert_int_equal(addr_parse("10.244.1.2", &f->a[0]), 0);      /* db */
	assert_int_equal(addr_parse("2001:db8:244::2", &f->a[1]), 0); /* db */
	assert_int_equal(addr_parse("10.244.1.3", &f->a[2]), 0);      /* frontend, local */
	assert_int_equal(addr_parse("10.244.2.7", &f->a[3]), 0);      /* frontend, remote */
	assert_int_equal(addr_parse("10.244.1.4", &f->a[4]), 0);      /* other */
	assert_int_equal(addr_parse("10.244.1.5", &f->a[5]), 0);
	struct policy_endpoint eps[] = {
	    {"n1/default/db", "tbdb0", "default", db_labels, 1, &f->a[0], 2},
	    {"n1/default/fe", "tbfe0", "default", fe_labels, 1, &f->a[2], 1},
	    {"n2/default/fe", NULL, "default", fe_labels, 1, &f->a[3], 1},
	    {"n1/default/other", "tbot0", "default", other_labels, 1, &f->a[4], 1},
	};
	f->st = policy_state_new();
	assert_int_equal(policy_state_set_policies(f->st, &p, 1), 0);
	policy_free(p);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(policy_state_put_endpoint(f->st, &eps[i]), 0);
	assert_int_equal(prefix_parse("10.244.0.0/16", &pool.cidr, true), 0);
	pool.nat_outgoing = true;
	assert_int_equal(policy_state_set_pools(f->st, &pool, 1), 0);
	return f;
}

static void fixture_free(struct fixture *f)
{
	policy_state_free(f->st);
	free(f);
}

static void test_seed_full(void **state)
{
	struct fixture *f = seed_state();
	char *t;

	(void)state;
	assert_int_equal(policy_render_full(f->st, &t), 0);
	/* Replaces only our table, atomically. */
	assert_true(strncmp(t,
	                    "add table inet tabby\ndelete table inet tabby\ntable inet tabby {\n",
	                    62) == 0);
	/* One set for the peer selector, with local and remote frontends only. */
	assert_contains(t, "\tset s0_4 {\n\t\ttype ipv4_addr;\n\t\telements = { 10.244.1.3, "
	                   "10.244.2.7 }\n\t}\n");
	assert_contains(t, "\tset s0_6 {\n\t\ttype ipv6_addr;\n\t}\n");
	assert_lacks(t, "s1_4");
	assert_contains(t, "\tchain po0_in {\n"
	                   "\t\tmeta l4proto tcp ip saddr @s0_4 th dport 6379 accept comment "
	                   "\"default/db\"\n"
	                   "\t\tmeta l4proto tcp ip6 saddr @s0_6 th dport 6379 accept comment "
	                   "\"default/db\"\n\t}\n");
	assert_lacks(t, "po0_eg"); /* Ingress only */
	assert_contains(t,
	                "\tchain ep0_in {\n\t\tjump po0_in\n\t\tdrop comment \"default deny\"\n");
	/* Only db is selected; frontend and other have no dispatch: allowed. */
	assert_contains(t, "\tmap to_ep {\n\t\ttype ifname : verdict;\n\t\telements = { \"tbdb0\" "
	                   ": jump ep0_in }\n\t}\n");
	assert_contains(t, "\tmap from_ep {\n\t\ttype ifname : verdict;\n\t}\n");
	assert_contains(t, "elements = { \"tbdb0\", \"tbfe0\", \"tbot0\" }");
	/* Conntrack first, then dispatch, in two base chains. */
	assert_contains(t, "\tchain fwd_in {\n\t\ttype filter hook forward priority filter + 1; "
	                   "policy accept;\n\t\tct state established,related accept\n\t\tct state "
	                   "invalid oifname @ifs drop\n\t\toifname vmap @to_ep\n\t}\n");
	assert_contains(t, "\tchain in_eg {\n\t\ttype filter hook input priority filter; policy "
	                   "accept;\n\t\tct state established,related accept\n\t\tct state "
	                   "invalid iifname @ifs drop\n\t\ticmpv6 type { nd-router-solicit, "
	                   "nd-neighbor-solicit, nd-neighbor-advert } accept\n\t\tiifname vmap "
	                   "@from_ep\n\t}\n");
	assert_contains(t, "\tchain fwd_eg {\n\t\ttype filter hook forward priority filter; "
	                   "policy accept;\n\t\tct state established,related accept\n\t\tct "
	                   "state invalid iifname @ifs drop\n\t\tiifname vmap @from_ep\n\t}\n");
	/* natOutgoing. */
	assert_contains(t, "\tset natpools_4 {\n\t\ttype ipv4_addr;\n\t\tflags interval;\n\t\tauto-"
	                   "merge;\n\t\telements = { 10.244.0.0/16 }\n");
	assert_contains(t, "ip saddr @natpools_4 ip daddr != @pools_4 masquerade fully-random\n");
	nft_check(t);
	free(t);
	fixture_free(f);
}

static void test_seed_churn(void **state)
{
	struct fixture *f = seed_state();
	struct policy_endpoint ep = {"n1/default/fe2", "tbfe1", "default", fe_labels, 1,
	                             &f->a[5],         1};
	struct policy_endpoint db2 = {"n1/default/db2", "tbdb1", "default", db_labels, 1,
	                              &f->a[5],         1};
	char *t;

	(void)state;
	assert_int_equal(policy_render_endpoint_put(f->st, &ep, &t), -EAGAIN); /* no full yet */
	assert_int_equal(policy_render_full(f->st, &t), 0);
	free(t);
	/* A new frontend: its address joins the peer set; it is not selected itself. */
	assert_int_equal(policy_render_endpoint_put(f->st, &ep, &t), 0);
	assert_string_equal(t, "add element inet tabby s0_4 { 10.244.1.5 }\n"
	                       "add element inet tabby ifs { \"tbfe1\" }\n");
	free(t);
	/* Same endpoint again: nothing to do. */
	assert_int_equal(policy_render_endpoint_put(f->st, &ep, &t), 0);
	assert_string_equal(t, "");
	free(t);
	/* Relabel it to db: leaves the set, gains dispatch to the existing chain. */
	ep.labels = db_labels;
	assert_int_equal(policy_render_endpoint_put(f->st, &ep, &t), 0);
	assert_string_equal(t, "delete element inet tabby s0_4 { 10.244.1.5 }\n"
	                       "add element inet tabby to_ep { \"tbfe1\" : jump ep0_in }\n");
	free(t);
	assert_int_equal(policy_render_endpoint_remove(f->st, "n1/default/fe2", &t), 0);
	assert_string_equal(t, "delete element inet tabby to_ep { \"tbfe1\" }\n"
	                       "delete element inet tabby ifs { \"tbfe1\" }\n");
	free(t);
	assert_int_equal(policy_render_endpoint_remove(f->st, "n1/default/fe2", &t), -ENOENT);
	/* Bad interface names never reach nft text. */
	db2.iface = "bad name\"";
	assert_int_equal(policy_render_endpoint_put(f->st, &db2, &t), -EINVAL);
	fixture_free(f);
}

static const char calico_policies[][1024] = {
    "{`apiVersion`:`projectcalico.org/v3`,`kind`:`GlobalNetworkPolicy`,`metadata`:{`name`:"
    "`first`},`spec`:{`order`:10,`selector`:`has(role)`,`types`:[`Ingress`,`Egress`],"
    "`ingress`:[{`action`:`Log`},{`action`:`Pass`,`source`:{`namespaceSelector`:`team == 'ops'`}},"
    "{`action`:`Allow`,`protocol`:`ICMP`,`icmp`:{`type`:8,`code`:0}},"
    "{`action`:`Deny`,`protocol`:`ICMPv6`,`notICMP`:{`type`:128,`code`:0}}],"
    "`egress`:[{`action`:`Allow`,`protocol`:`TCP`,`destination`:{`nets`:[`198.18.0.0/15`,"
    "`2001:db8::/32`],`notNets`:[`198.18.5.0/24`],`ports`:[80,`8000:8080`],`notPorts`:[8001]}},"
    "{`action`:`Deny`,`notProtocol`:`UDP`,`ipVersion`:6},"
    "{`action`:`Deny`,`protocol`:47,`source`:{`notSelector`:`x in {'a','b'}`}}]}}",
    "{`apiVersion`:`projectcalico.org/v3`,`kind`:`NetworkPolicy`,`metadata`:{`name`:`late`,"
    "`namespace`:`default`},`spec`:{`selector`:`role == 'db'`,`ingress`:[{`action`:`Deny`}]}}",
    "{`apiVersion`:`projectcalico.org/v3`,`kind`:`GlobalNetworkPolicy`,`metadata`:{`name`:`zz`},"
    "`spec`:{`selector`:`role == 'nobody'`,`ingress`:[{`action`:`Allow`,`source`:{`selector`:"
    "`all()`}}]}}",
};

static void test_calico_render(void **state)
{
	struct policy *p[4];
	struct policy_state *st = policy_state_new();
	struct addr a;
	struct policy_label ns_l[] = {{"team", "ops"}};
	struct policy_namespace ns = {"ops", ns_l, 1};
	char *t;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++)
		p[i] = parse(calico_policies[i]);
	p[3] = parse(seed_policy);
	assert_int_equal(policy_state_set_policies(st, p, 4), 0);
	for (i = 0; i < 4; i++)
		policy_free(p[i]);
	assert_int_equal(addr_parse("10.244.3.3", &a), 0);
	struct policy_endpoint opsep = {"n2/ops/x", NULL, "ops", db_labels, 1, &a, 1};
	struct policy_endpoint db = {"n1/default/db", "tbdb0", "default", db_labels, 1, &a, 0};
	assert_int_equal(policy_state_set_namespace(st, &ns), 0);
	assert_int_equal(policy_state_put_endpoint(st, &opsep), 0);
	assert_int_equal(policy_state_put_endpoint(st, &db), 0);
	assert_int_equal(policy_render_full(st, &t), 0);
	/* Calico order: first (10), the K8s policy (1000), then late (no order). */
	assert_contains(t, "\tchain ep0_in {\n\t\tjump po0_in\n\t\tjump po1_in\n\t\tjump po2_in\n"
	                   "\t\tdrop comment \"default deny\"\n");
	assert_contains(t, "\tchain po1_in {\n\t\tmeta l4proto tcp ip saddr @s");
	assert_contains(t, "\tchain po2_in {\n\t\tdrop comment \"default/late\"\n");
	assert_contains(t,
	                "\tchain ep1_eg {\n\t\tjump po0_eg\n\t\tdrop comment \"default deny\"\n");
	/* Log goes on, Pass accepts (no later tier; the profile allows). */
	assert_contains(t, "\t\tlog prefix \"tabby first: \" comment \"first\"\n");
	assert_contains(t, "ip saddr @s0_4 accept comment \"first pass\"\n");
	/* The namespace selector set holds the endpoint of namespace ops. */
	assert_contains(t, "\tset s0_4 {\n\t\ttype ipv4_addr;\n\t\telements = { 10.244.3.3 }\n");
	assert_contains(t, "meta l4proto icmp icmp type 8 icmp code 0 accept comment \"first\"\n");
	/* not (type 128, code 0) as two disjoint rules. */
	assert_contains(t, "meta l4proto ipv6-icmp icmpv6 type != 128 drop comment \"first\"\n");
	assert_contains(t, "meta l4proto ipv6-icmp icmpv6 type 128 icmpv6 code != 0 drop comment "
	                   "\"first\"\n");
	/* nets per family; notNets only where that family has some. */
	assert_contains(t, "meta l4proto tcp ip daddr @n0_4 ip daddr != @n1_4 th dport { 80, "
	                   "8000-8080 } th dport != 8001 accept");
	assert_contains(t, "meta l4proto tcp ip6 daddr @n0_6 th dport { 80, 8000-8080 } th dport "
	                   "!= 8001 accept");
	assert_contains(t, "\t\tmeta nfproto ipv6 meta l4proto != udp drop comment \"first\"\n");
	assert_contains(t, "meta l4proto 47 ip saddr != @s1_4 drop");
	assert_contains(t, "meta l4proto 47 ip6 saddr != @s1_6 drop");
	/* selector all(): every endpoint's address, not any address. */
	assert_contains(t, "\tchain po3_in {\n\t\tip saddr @s3_4 accept comment \"zz\"\n\t\tip6 "
	                   "saddr @s3_6 accept comment \"zz\"\n\t}\n");
	assert_contains(t, "\tset s3_4 {\n\t\ttype ipv4_addr;\n\t\telements = { 10.244.3.3 }\n");
	nft_check(t);
	free(t);
	policy_state_free(st);
}

static int group_setup(void **state)
{
	const char *ci = getenv("CI");

	(void)state;
	have_netns = geteuid() == 0 && unshare(CLONE_NEWNET) == 0;
	if (!have_netns) {
		if (ci && strcmp(ci, "true") == 0) {
			fprintf(stderr, "no private network namespace (need root) under CI=true\n");
			return -1;
		}
		fprintf(stderr, "note: not root: nft syntax checks skipped\n");
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed_full),
	    cmocka_unit_test(test_seed_churn),
	    cmocka_unit_test(test_calico_render),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
