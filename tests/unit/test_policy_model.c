/*
 * DOC: unit tests for the policy model: every field of Kubernetes
 * NetworkPolicy and Calico NetworkPolicy / GlobalNetworkPolicy, the defaults
 * (types, order, namespace), Calico ordering, and validation errors that name
 * the field path. JSON in this file uses ` for " to stay readable.
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

#include <tabby/policy.h>

static int parse(const char *text, struct policy **p, struct json_error *err)
{
	char *s = strdup(text), *c;
	cJSON *j;
	int rc;

	for (c = s; *c; c++)
		if (*c == '`')
			*c = '"';
	j = json_parse("t", s, strlen(s), err);
	free(s);
	if (!j)
		fail_msg("bad test JSON: %s", err->text);
	rc = policy_parse(j, p, err);
	cJSON_Delete(j);
	return rc;
}

static struct policy *parse_ok(const char *text)
{
	struct json_error err;
	struct policy *p;

	if (parse(text, &p, &err))
		fail_msg("parse: %s", err.text);
	return p;
}

static void assert_parse_error(const char *text, const char *want)
{
	struct json_error err;
	struct policy *p = (void *)1;

	assert_int_equal(parse(text, &p, &err), -EINVAL);
	assert_null(p);
	if (strcmp(err.text, want))
		fail_msg("got \"%s\", want \"%s\"", err.text, want);
}

static char *canon(const struct policy_selector *s)
{
	static char buf[1024];
	char *c;

	if (!s)
		return strcpy(buf, "(none)");
	c = policy_selector_canonical(s);
	snprintf(buf, sizeof(buf), "%s", c);
	free(c);
	return buf;
}

#define K8S_HEAD                                                                                   \
	"{`apiVersion`:`networking.k8s.io/v1`,`kind`:`NetworkPolicy`,`metadata`:{`name`:`p`,"      \
	"`namespace`:`shop`},"

static void test_k8s_seed(void **state)
{
	struct policy *p;
	const struct policy_rule *r;

	(void)state;
	p = parse_ok(K8S_HEAD
	             "`spec`:{`podSelector`:{`matchLabels`:{`role`:`db`}},`ingress`:[{`from`:"
	             "[{`podSelector`:{`matchLabels`:{`role`:`frontend`}}}],`ports`:[{`protocol`"
	             ":`TCP`,`port`:6379}]}]}}");
	assert_int_equal(p->kind, POLICY_K8S);
	assert_string_equal(p->name, "p");
	assert_string_equal(p->namespace, "shop");
	assert_true(p->has_order);
	assert_true(p->order == 1000.0);
	assert_true(p->types[POLICY_INGRESS]);
	assert_false(p->types[POLICY_EGRESS]); /* no egress rules, no policyTypes */
	assert_string_equal(canon(p->selector),
	                    "role == \"db\" && projectcalico.org/namespace == \"shop\"");
	assert_int_equal(p->n_rules[POLICY_INGRESS], 1);
	r = &p->rules[POLICY_INGRESS][0];
	assert_int_equal(r->action, POLICY_ALLOW);
	assert_int_equal(r->protocol, 6);
	assert_string_equal(canon(r->src.selector),
	                    "role == \"frontend\" && projectcalico.org/namespace == \"shop\"");
	assert_null(r->dst.selector);
	assert_int_equal(r->dst.n_ports, 1);
	assert_int_equal(r->dst.ports[0].first, 6379);
	assert_int_equal(r->dst.ports[0].last, 6379);
	policy_free(p);
}

static void test_k8s_all_fields(void **state)
{
	struct policy *p;
	const struct policy_rule *r;
	char buf[64];

	(void)state;
	p = parse_ok(
	    "{`apiVersion`:`networking.k8s.io/v1`,`kind`:`NetworkPolicy`,`metadata`:{`name`:`all`},"
	    "`spec`:{`podSelector`:{},`policyTypes`:[`Egress`],"
	    "`egress`:[{`to`:[{`namespaceSelector`:{`matchLabels`:{`team`:`ops`}}},"
	    "{`namespaceSelector`:{`matchExpressions`:[{`key`:`env`,`operator`:`In`,`values`:[`"
	    "prod`]}]},"
	    "`podSelector`:{`matchLabels`:{`app`:`api`}}},"
	    "{`ipBlock`:{`cidr`:`10.0.0.0/8`,`except`:[`10.1.0.0/16`,`10.2.0.0/16`]}}],"
	    "`ports`:[{`port`:80},{`protocol`:`UDP`,`port`:53},{`protocol`:`TCP`,`port`:8000,"
	    "`endPort`:8080},{`protocol`:`SCTP`}]},{}]}}");
	assert_string_equal(p->namespace, "default");
	assert_string_equal(policy_display_name(p, buf, sizeof(buf)), "default/all");
	assert_false(p->types[POLICY_INGRESS]);
	assert_true(p->types[POLICY_EGRESS]);
	assert_string_equal(canon(p->selector), "projectcalico.org/namespace == \"default\"");
	/* 3 peers x 3 protocols, then the empty rule (everything). */
	assert_int_equal(p->n_rules[POLICY_EGRESS], 10);
	r = &p->rules[POLICY_EGRESS][0];
	assert_int_equal(r->protocol, 6);
	assert_string_equal(canon(r->dst.selector), "ns(team == \"ops\")");
	assert_int_equal(r->dst.n_ports, 2);
	assert_int_equal(r->dst.ports[1].first, 8000);
	assert_int_equal(r->dst.ports[1].last, 8080);
	r = &p->rules[POLICY_EGRESS][1];
	assert_int_equal(r->protocol, 17);
	assert_int_equal(r->dst.n_ports, 1);
	r = &p->rules[POLICY_EGRESS][2];
	assert_int_equal(r->protocol, 132);
	assert_int_equal(r->dst.n_ports, 0); /* protocol without port: all ports */
	r = &p->rules[POLICY_EGRESS][3];
	assert_string_equal(canon(r->dst.selector), "app == \"api\" && ns(env in {\"prod\"})");
	r = &p->rules[POLICY_EGRESS][6];
	assert_null(r->dst.selector);
	assert_int_equal(r->dst.n_nets, 1);
	assert_int_equal(r->dst.n_not_nets, 2);
	assert_int_equal(r->dst.nets[0].len, 8);
	r = &p->rules[POLICY_EGRESS][9];
	assert_int_equal(r->protocol, 0);
	assert_null(r->dst.selector);
	assert_int_equal(r->dst.n_nets + r->dst.n_ports, 0);
	policy_free(p);

	/* policyTypes absent with egress rules: both directions; empty ingress denies. */
	p = parse_ok(K8S_HEAD "`spec`:{`podSelector`:{},`ingress`:[],`egress`:[{}]}}");
	assert_true(p->types[POLICY_INGRESS]);
	assert_true(p->types[POLICY_EGRESS]);
	assert_int_equal(p->n_rules[POLICY_INGRESS], 0);
	assert_int_equal(p->n_rules[POLICY_EGRESS], 1);
	policy_free(p);
}

static void test_k8s_errors(void **state)
{
	(void)state;
	assert_parse_error(K8S_HEAD "`spec`:{`podSelector`:{},`ingress`:[{`ports`:[{`port`:80},"
	                            "{`port`:90,`endPort`:85}]}]}}",
	                   "spec.ingress[0].ports[1].endPort: must be >= port");
	assert_parse_error(
	    K8S_HEAD "`spec`:{`podSelector`:{},`ingress`:[{`ports`:[{`port`:`http`}]}]}}",
	    "spec.ingress[0].ports[0].port: named port \"http\" is not supported; use a "
	    "number");
	assert_parse_error(K8S_HEAD "`spec`:{`podSelector`:{},`ingress`:[{`ports`:[{`port`:0}]}]}}",
	                   "spec.ingress[0].ports[0].port: must be a port number 1-65535");
	assert_parse_error(K8S_HEAD
	                   "`spec`:{`podSelector`:{},`ingress`:[{`ports`:[{`protocol`:`ICMP`"
	                   "}]}]}}",
	                   "spec.ingress[0].ports[0].protocol: \"ICMP\": must be TCP, UDP or SCTP");
	assert_parse_error(K8S_HEAD "`spec`:{`podSelector`:{},`egress`:[{`to`:[{`ipBlock`:{`cidr`:"
	                            "`10.0.0.0/8`,`except`:[`11.0.0.0/16`]}}]}]}}",
	                   "spec.egress[0].to[0].ipBlock.except[0]: must be inside cidr");
	assert_parse_error(K8S_HEAD "`spec`:{`podSelector`:{},`egress`:[{`to`:[{`ipBlock`:{`cidr`:"
	                            "`10.0.0.0/33`}}]}]}}",
	                   "spec.egress[0].to[0].ipBlock.cidr: not a CIDR");
	assert_parse_error(K8S_HEAD "`spec`:{`podSelector`:{},`egress`:[{`to`:[{`ipBlock`:{`cidr`:"
	                            "`10.0.0.0/8`},`podSelector`:{}}]}]}}",
	                   "spec.egress[0].to[0]: ipBlock cannot be combined with podSelector or "
	                   "namespaceSelector");
	assert_parse_error(K8S_HEAD "`spec`:{`podSelector`:{},`egress`:[{`to`:[{}]}]}}",
	                   "spec.egress[0].to[0]: needs podSelector, namespaceSelector or ipBlock");
	assert_parse_error(K8S_HEAD "`spec`:{`podSelector`:{},`ingress`:[{`to`:[]}]}}",
	                   "spec.ingress[0].to: unknown or unsupported field");
	assert_parse_error(K8S_HEAD "`spec`:{`podSelector`:{},`policyTypes`:[`Both`]}}",
	                   "spec.policyTypes[0]: must be Ingress or Egress");
	assert_parse_error(K8S_HEAD "`spec`:{}}",
	                   "spec.podSelector: missing (use {} for all pods)");
	assert_parse_error(
	    K8S_HEAD "`spec`:{`podSelector`:{},`ingress`:[{`from`:[{`namespaceSelector`:"
	             "{`matchLabels`:{`a/b/c`:`x`}}}]}]}}",
	    "spec.ingress[0].from[0].namespaceSelector.matchLabels.a/b/c: invalid label "
	    "key");
	assert_parse_error(
	    "{`apiVersion`:`networking.k8s.io/v1`,`kind`:`NetworkPolicy`,`metadata`:"
	    "{`name`:`Bad_Name`},`spec`:{`podSelector`:{}}}",
	    "metadata.name: \"Bad_Name\" is not a valid name (lower-case DNS subdomain)");
	assert_parse_error("{`apiVersion`:`networking.k8s.io/v1`,`kind`:`NetworkPolicy`,`metadata`:"
	                   "{},`spec`:{`podSelector`:{}}}",
	                   "metadata.name: missing");
	assert_parse_error("{`apiVersion`:`networking.k8s.io/v1`,`kind`:`Ingress`}",
	                   "kind: \"Ingress\" is not a policy kind of networking.k8s.io/v1");
	assert_parse_error(
	    "{`apiVersion`:`v1`,`kind`:`Pod`}",
	    "apiVersion: \"v1\": expected networking.k8s.io/v1 or projectcalico.org/v3");
	assert_parse_error("{`kind`:`Pod`}", "apiVersion: missing");
	assert_parse_error("[]", "expected an object, got an array");
}

#define CAL_HEAD(kind)                                                                             \
	"{`apiVersion`:`projectcalico.org/v3`,`kind`:`" kind "`,`metadata`:{`name`:`c`"

static void test_calico_all_fields(void **state)
{
	struct policy *p;
	const struct policy_rule *r;

	(void)state;
	p = parse_ok(CAL_HEAD(
	    "NetworkPolicy") ",`namespace`:`shop`},`spec`:{`order`:100.5,`tier`:`default`,"
	                     "`selector`:`role == 'db'`,`types`:[`Ingress`,`Egress`],"
	                     "`ingress`:[{`action`:`Allow`,`protocol`:`TCP`,`source`:{`selector`:`"
	                     "role == 'fe'`,"
	                     "`notSelector`:`canary == "
	                     "'true'`,`nets`:[`10.0.0.0/8`],`notNets`:[`10.9.0.0/16`],"
	                     "`ports`:[1024,`2000:3000`],`notPorts`:[`2500`]},`destination`:{`"
	                     "ports`:[6379]}},"
	                     "{`action`:`Deny`,`protocol`:`ICMP`,`icmp`:{`type`:8,`code`:0}},"
	                     "{`action`:`Log`,`protocol`:58,`notICMP`:{`type`:128}},"
	                     "{`action`:`Pass`,`notProtocol`:`UDP`,`ipVersion`:6,`source`:{`"
	                     "namespaceSelector`:"
	                     "`team == 'ops'`}},"
	                     "{`action`:`Allow`,`source`:{`selector`:`app == "
	                     "'x'`,`namespaceSelector`:`all()`},"
	                     "`metadata`:{`annotations`:{`a`:`b`}}}],"
	                     "`egress`:[{`action`:`Allow`,`protocol`:`UDPLite`,`destination`:{`"
	                     "ports`:[0]}}]}}");
	assert_int_equal(p->kind, POLICY_CALICO);
	assert_true(p->has_order);
	assert_true(p->order == 100.5);
	assert_string_equal(canon(p->selector),
	                    "role == \"db\" && projectcalico.org/namespace == \"shop\"");
	assert_int_equal(p->n_rules[POLICY_INGRESS], 5);
	r = &p->rules[POLICY_INGRESS][0];
	assert_int_equal(r->action, POLICY_ALLOW);
	assert_int_equal(r->protocol, 6);
	assert_string_equal(canon(r->src.selector),
	                    "role == \"fe\" && projectcalico.org/namespace == \"shop\"");
	assert_string_equal(canon(r->src.not_selector),
	                    "canary == \"true\" && projectcalico.org/namespace == \"shop\"");
	assert_int_equal(r->src.n_nets, 1);
	assert_int_equal(r->src.n_not_nets, 1);
	assert_int_equal(r->src.n_ports, 2);
	assert_int_equal(r->src.ports[1].first, 2000);
	assert_int_equal(r->src.ports[1].last, 3000);
	assert_int_equal(r->src.n_not_ports, 1);
	assert_int_equal(r->src.not_ports[0].first, 2500);
	assert_int_equal(r->dst.ports[0].first, 6379);
	r = &p->rules[POLICY_INGRESS][1];
	assert_int_equal(r->action, POLICY_DENY);
	assert_int_equal(r->protocol, 1);
	assert_int_equal(r->ip_version, 4);
	assert_int_equal(r->icmp_type, 8);
	assert_int_equal(r->icmp_code, 0);
	r = &p->rules[POLICY_INGRESS][2];
	assert_int_equal(r->action, POLICY_LOG);
	assert_int_equal(r->protocol, 58);
	assert_int_equal(r->not_icmp_type, 128);
	assert_int_equal(r->not_icmp_code, -1);
	assert_int_equal(r->ip_version, 6);
	r = &p->rules[POLICY_INGRESS][3];
	assert_int_equal(r->action, POLICY_PASS);
	assert_int_equal(r->not_protocol, 17);
	assert_int_equal(r->ip_version, 6);
	assert_string_equal(canon(r->src.selector), "ns(team == \"ops\")");
	r = &p->rules[POLICY_INGRESS][4];
	assert_string_equal(canon(r->src.selector), "app == \"x\" && ns(all())");
	r = &p->rules[POLICY_EGRESS][0];
	assert_int_equal(r->protocol, 136);
	assert_int_equal(r->dst.ports[0].first, 0);
	policy_free(p);
}

static void test_calico_global_and_defaults(void **state)
{
	struct policy *p;

	(void)state;
	p = parse_ok(CAL_HEAD("GlobalNetworkPolicy") "},`spec`:{`selector`:`has(role)`,"
	                                             "`namespaceSelector`:`env == 'prod'`,"
	                                             "`egress`:[{`action`:`Allow`,`destination`:"
	                                             "{`selector`:`role == 'db'`}}]}}");
	assert_int_equal(p->kind, POLICY_CALICO_GLOBAL);
	assert_null(p->namespace);
	assert_false(p->has_order);
	/* Only egress rules, no types: Egress only. */
	assert_false(p->types[POLICY_INGRESS]);
	assert_true(p->types[POLICY_EGRESS]);
	assert_string_equal(canon(p->selector), "has(role) && ns(env == \"prod\")");
	/* A global policy's entity selector is not scoped to a namespace. */
	assert_string_equal(canon(p->rules[POLICY_EGRESS][0].dst.selector), "role == \"db\"");
	policy_free(p);

	p = parse_ok(CAL_HEAD("GlobalNetworkPolicy") "},`spec`:{}}");
	assert_true(p->types[POLICY_INGRESS]); /* no rules: Ingress */
	assert_false(p->types[POLICY_EGRESS]);
	assert_true(policy_selector_is_all(p->selector));
	policy_free(p);

	p = parse_ok(CAL_HEAD("NetworkPolicy") "},`spec`:{`ingress`:[{`action`:`Deny`}],"
	                                       "`egress`:[{`action`:`Deny`}]}}");
	assert_string_equal(p->namespace, "default");
	assert_true(p->types[POLICY_INGRESS] && p->types[POLICY_EGRESS]);
	policy_free(p);
}

static void test_calico_errors(void **state)
{
	(void)state;
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`selector`:`role == 'db' &&`}}",
	                   "spec.selector: selector: position 15: expected a label key, '(', '!', "
	                   "has(), all() or global()");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`ingress`:[{`action`:`Accept`}]}}",
	                   "spec.ingress[0].action: \"Accept\": must be Allow, Deny, Log or Pass");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`ingress`:[{}]}}",
	                   "spec.ingress[0].action: missing");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`egress`:[{`action`:`Allow`,"
	                                             "`destination`:{`ports`:[80]}}]}}",
	                   "spec.egress[0].destination.ports: needs protocol TCP, UDP, SCTP or "
	                   "UDPLite");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`egress`:[{`action`:`Allow`,"
	                                             "`protocol`:`TCP`,`destination`:{`ports`:"
	                                             "[`90:80`]}}]}}",
	                   "spec.egress[0].destination.ports[0]: range end must be >= start");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`egress`:[{`action`:`Allow`,"
	                                             "`protocol`:`TCP`,`destination`:{`notPorts`:"
	                                             "[`http`]}}]}}",
	                   "spec.egress[0].destination.notPorts[0]: named port \"http\" is not "
	                   "supported");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`egress`:[{`action`:`Allow`,"
	                                             "`protocol`:`TCP`,`destination`:{`ports`:"
	                                             "[70000]}}]}}",
	                   "spec.egress[0].destination.ports[0]: port must be 0-65535");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`ingress`:[{`action`:`Allow`,"
	                                             "`protocol`:`TCP`,`icmp`:{`type`:8}}]}}",
	                   "spec.ingress[0].icmp: needs protocol ICMP or ICMPv6");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`ingress`:[{`action`:`Allow`,"
	                                             "`protocol`:`ICMP`,`icmp`:{`code`:0}}]}}",
	                   "spec.ingress[0].icmp.code: needs type");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`ingress`:[{`action`:`Allow`,"
	                                             "`protocol`:`ICMP`,`ipVersion`:6}]}}",
	                   "spec.ingress[0].ipVersion: protocol ICMP needs ipVersion 4");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`ingress`:[{`action`:`Allow`,"
	                                             "`ipVersion`:4,`source`:{`nets`:"
	                                             "[`2001:db8::/32`]}}]}}",
	                   "spec.ingress[0].source.nets: IPv6 net in an IPv4 rule");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`ingress`:[{`action`:`Allow`,"
	                                             "`ipVersion`:5}]}}",
	                   "spec.ingress[0].ipVersion: must be 4 or 6");
	assert_parse_error(
	    CAL_HEAD("NetworkPolicy") "},`spec`:{`ingress`:[{`action`:`Allow`,"
	                              "`protocol`:`GRE`}]}}",
	    "spec.ingress[0].protocol: must be TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite "
	    "or a number 1-255");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`ingress`:[{`action`:`Allow`,"
	                                             "`source`:{`nets`:[`bogus`]}}]}}",
	                   "spec.ingress[0].source.nets[0]: not a CIDR");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`ingress`:[{`action`:`Allow`,"
	                                             "`source`:{`serviceAccounts`:{}}}]}}",
	                   "spec.ingress[0].source.serviceAccounts: unknown or unsupported field");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`ingress`:[{`action`:`Allow`,"
	                                             "`http`:{}}]}}",
	                   "spec.ingress[0].http: unknown or unsupported field");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`tier`:`security`}}",
	                   "spec.tier: only the default tier is supported");
	assert_parse_error(CAL_HEAD("GlobalNetworkPolicy") "},`spec`:{`doNotTrack`:true}}",
	                   "spec.doNotTrack: not supported");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`namespaceSelector`:`a == 'b'`}}",
	                   "spec.namespaceSelector: only a GlobalNetworkPolicy has a "
	                   "namespaceSelector");
	assert_parse_error(CAL_HEAD("GlobalNetworkPolicy") ",`namespace`:`x`},`spec`:{}}",
	                   "metadata.namespace: a GlobalNetworkPolicy is not namespaced");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`order`:`first`}}",
	                   "spec.order: expected a number, got a string");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "},`spec`:{`types`:[`ingress`]}}",
	                   "spec.types[0]: must be Ingress or Egress");
	assert_parse_error(CAL_HEAD("NetworkPolicy") "}}", "spec: missing");
	assert_parse_error(CAL_HEAD("HostEndpoint") "},`spec`:{}}",
	                   "kind: \"HostEndpoint\" is not a policy kind of projectcalico.org/v3");
}

static void test_order(void **state)
{
	struct policy *a, *b, *c, *k;

	(void)state;
	a = parse_ok(CAL_HEAD("GlobalNetworkPolicy") "},`spec`:{`order`:10}}");
	b = parse_ok("{`apiVersion`:`projectcalico.org/v3`,`kind`:`GlobalNetworkPolicy`,`metadata`:"
	             "{`name`:`b`},`spec`:{`order`:10}}");
	c = parse_ok(CAL_HEAD("NetworkPolicy") "},`spec`:{}}");
	k = parse_ok(K8S_HEAD "`spec`:{`podSelector`:{}}}");
	/* order 10 "b" < order 10 "c" < K8s (1000) < no order. */
	assert_true(policy_cmp(b, a) < 0);
	assert_true(policy_cmp(a, k) < 0);
	assert_true(policy_cmp(k, c) < 0);
	assert_true(policy_cmp(c, a) > 0);
	assert_int_equal(policy_cmp(a, a), 0);
	policy_free(a);
	policy_free(b);
	policy_free(c);
	policy_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_k8s_seed),
	    cmocka_unit_test(test_k8s_all_fields),
	    cmocka_unit_test(test_k8s_errors),
	    cmocka_unit_test(test_calico_all_fields),
	    cmocka_unit_test(test_calico_global_and_defaults),
	    cmocka_unit_test(test_calico_errors),
	    cmocka_unit_test(test_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
