/*
 * DOC: unit tests for Calico selector expressions and Kubernetes
 * LabelSelectors: every operator, precedence, namespace pseudo-labels and
 * namespace selectors, canonical form round trips, errors with positions.
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

static const struct policy_label pod_labels[] = {
    {"role", "db"}, {"tier", "backend"}, {"app.kubernetes.io/name", "redis-main"}, {"has", "x"}};
static const struct policy_label ns_labels[] = {{"team", "ops"}, {"env", "prod"}};

static const struct policy_match pod = {
    .labels = pod_labels,
    .n_labels = 4,
    .namespace = "prod-ns",
    .ns_labels = ns_labels,
    .n_ns_labels = 2,
};

static bool eval(const char *text)
{
	struct policy_selector *s;
	char err[POLICY_ERROR_MAX];
	bool r;

	if (policy_selector_parse(text, &s, err, sizeof(err)))
		fail_msg("parse \"%s\": %s", text, err);
	r = policy_selector_matches(s, &pod);
	policy_selector_free(s);
	return r;
}

static void test_operators(void **state)
{
	(void)state;
	assert_true(eval("role == 'db'"));
	assert_false(eval("role == \"web\""));
	assert_true(eval("role != 'web'"));
	assert_false(eval("role != 'db'"));
	assert_true(eval("missing != 'x'")); /* != matches an absent label */
	assert_true(eval("role in {'db', 'cache'}"));
	assert_false(eval("role in {'web'}"));
	assert_false(eval("role in {}"));
	assert_true(eval("role not in {'web','cache'}"));
	assert_false(eval("role not in {'db'}"));
	assert_true(eval("missing not in {'db'}"));
	assert_false(eval("missing in {'db'}"));
	assert_true(eval("has(role)"));
	assert_false(eval("has(missing)"));
	assert_true(eval("!has(missing)"));
	assert_false(eval("!has(role)"));
	assert_true(eval("all()"));
	assert_true(eval(""));
	assert_true(eval("   "));
	assert_false(eval("global()"));
	assert_true(eval("app.kubernetes.io/name contains 'dis-m'"));
	assert_true(eval("app.kubernetes.io/name starts with 'redis'"));
	assert_false(eval("app.kubernetes.io/name starts with 'main'"));
	assert_true(eval("app.kubernetes.io/name ends with 'main'"));
	assert_false(eval("app.kubernetes.io/name ends with 'xredis-main'"));
	assert_false(eval("missing contains ''"));
	/* "has" as a label key, not the function. */
	assert_true(eval("has == 'x'"));
}

static void test_boolean_and_precedence(void **state)
{
	(void)state;
	assert_true(eval("role == 'db' && tier == 'backend'"));
	assert_false(eval("role == 'db' && tier == 'frontend'"));
	assert_true(eval("role == 'web' || tier == 'backend'"));
	/* && binds tighter than ||: true || (false && false). */
	assert_true(eval("role == 'db' || role == 'x' && role == 'y'"));
	assert_false(eval("(role == 'db' || role == 'x') && role == 'y'"));
	/* ! binds tighter than &&. */
	assert_false(eval("!role == 'db' && has(tier)"));
	assert_true(eval("!(role == 'web' && has(tier))"));
	assert_true(eval("!!has(role)"));
	assert_true(eval("((((has(role)))))"));
}

static void test_namespace(void **state)
{
	struct policy_selector *s, *ns;
	struct policy_match global = {.labels = pod_labels, .n_labels = 1};
	char err[POLICY_ERROR_MAX];

	(void)state;
	assert_true(eval("projectcalico.org/namespace == 'prod-ns'"));
	assert_false(eval("projectcalico.org/namespace == 'default'"));
	assert_int_equal(
	    policy_selector_parse("team == 'ops' && projectcalico.org/name == 'prod-ns'", &s, err,
	                          sizeof(err)),
	    0);
	assert_false(policy_selector_matches(s, &pod)); /* pod has no team label */
	ns = policy_selector_in_namespace(s);
	assert_non_null(ns);
	assert_true(policy_selector_matches(ns, &pod));
	assert_false(policy_selector_matches(ns, &global));
	policy_selector_free(ns);
	assert_int_equal(
	    policy_selector_parse("kubernetes.io/metadata.name == 'prod-ns'", &s, err, sizeof(err)),
	    0);
	ns = policy_selector_in_namespace(s);
	assert_true(policy_selector_matches(ns, &pod));
	policy_selector_free(ns);
	assert_int_equal(policy_selector_parse("global()", &s, err, sizeof(err)), 0);
	assert_true(policy_selector_matches(s, &global));
	assert_false(policy_selector_matches(s, &pod));
	policy_selector_free(s);
}

static void assert_error(const char *text, const char *want)
{
	struct policy_selector *s = (void *)1;
	char err[POLICY_ERROR_MAX];

	assert_int_equal(policy_selector_parse(text, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	if (strcmp(err, want))
		fail_msg("\"%s\": got \"%s\", want \"%s\"", text, err, want);
}

static void test_errors(void **state)
{
	char *big, *deep;
	struct policy_selector *s;
	char err[POLICY_ERROR_MAX];
	int i;

	(void)state;
	assert_error("(role == 'db'", "selector: position 13: expected ')'");
	assert_error("role == 'db')", "selector: position 12: unexpected ')'");
	assert_error("role = 'db'", "selector: position 5: expected an operator (==, !=, in, not "
	                            "in, contains, starts with, ends with)");
	assert_error("role == db", "selector: position 8: expected a quoted string");
	assert_error("role == 'db", "selector: position 8: unterminated string");
	assert_error("role in {'a' 'b'}", "selector: position 13: expected ',' or '}'");
	assert_error("role in 'a'", "selector: position 8: expected '{'");
	assert_error("role not 'a'", "selector: position 9: expected 'in' after 'not'");
	assert_error("has(role", "selector: position 8: expected ')'");
	assert_error("has()", "selector: position 4: expected a label key");
	assert_error("all(", "selector: position 4: expected ')'");
	assert_error("role == 'a' &&", "selector: position 14: expected a label key, '(', '!', "
	                               "has(), all() or global()");
	assert_error("&& x",
	             "selector: position 0: expected a label key, '(', '!', has(), all() or "
	             "global()");
	assert_error("a starts 'x'", "selector: position 9: expected 'with' after 'starts'");
	big = calloc(1, POLICY_SELECTOR_MAX_LEN + 2);
	memset(big, ' ', POLICY_SELECTOR_MAX_LEN + 1);
	assert_error(big, "selector: position 0: longer than 4096 bytes");
	free(big);
	deep = calloc(1, 200);
	for (i = 0; i < 40; i++)
		deep[i] = '(';
	strcat(deep, "all()");
	assert_int_equal(policy_selector_parse(deep, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nested too deeply"));
	free(deep);
}

static void assert_canonical(const char *text, const char *want)
{
	struct policy_selector *s, *again;
	char err[POLICY_ERROR_MAX], *c, *c2;

	assert_int_equal(policy_selector_parse(text, &s, err, sizeof(err)), 0);
	c = policy_selector_canonical(s);
	assert_string_equal(c, want);
	/* The canonical form parses to the same canonical form. */
	assert_int_equal(policy_selector_parse(c, &again, err, sizeof(err)), 0);
	c2 = policy_selector_canonical(again);
	assert_string_equal(c2, c);
	free(c);
	free(c2);
	policy_selector_free(s);
	policy_selector_free(again);
}

/* Fuzzer finding: canonical forms of deep or long input must parse back. */
static void test_canonical_depth(void **state)
{
	char text[1024] = "", *c;
	struct policy_selector *s, *again;
	char err[POLICY_ERROR_MAX];
	int i;

	(void)state;
	for (i = 0; i < 40; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%sk%d == 'v'",
		         i ? " && " : "", i);
	assert_int_equal(policy_selector_parse(text, &s, err, sizeof(err)), 0);
	c = policy_selector_canonical(s);
	assert_int_equal(policy_selector_parse(c, &again, err, sizeof(err)), 0);
	free(c);
	policy_selector_free(s);
	policy_selector_free(again);
	memset(text, 0, sizeof(text));
	memset(text, '!', 29);
	strcat(text, "lor == 'ed'");
	assert_int_equal(policy_selector_parse(text, &s, err, sizeof(err)), 0);
	c = policy_selector_canonical(s);
	assert_int_equal(policy_selector_parse(c, &again, err, sizeof(err)), 0);
	free(c);
	policy_selector_free(s);
	policy_selector_free(again);
}

static void test_canonical(void **state)
{
	(void)state;
	assert_canonical("  role=='db'  ", "role == \"db\"");
	assert_canonical("a in {'z','a','z'}", "a in {\"a\", \"z\"}");
	assert_canonical("a=='x'&&b!='y'||!has(c)", "a == \"x\" && b != \"y\" || !has(c)");
	assert_canonical("!(a == 'x')", "!a == \"x\"");
	assert_canonical("!(a == 'x' || has(b))", "!(a == \"x\" || has(b))");
	/* Right-nested chains keep their parentheses, left-nested ones lose them. */
	assert_canonical("a == 'x' && (b == 'y' && c == 'z')",
	                 "a == \"x\" && (b == \"y\" && c == \"z\")");
	assert_canonical("(a == 'x' || b == 'y') || c == 'z'",
	                 "a == \"x\" || b == \"y\" || c == \"z\"");
	assert_canonical("(a == 'x' || b == 'y') && c == 'z'",
	                 "(a == \"x\" || b == \"y\") && c == \"z\"");
	assert_canonical("a == 'say \"hi\"'", "a == 'say \"hi\"'");
	assert_canonical("a not in {}", "a not in {}");
	assert_canonical("", "all()");
	assert_canonical("a ends with 'x' && a starts with 'y' && a contains 'z'",
	                 "a ends with \"x\" && a starts with \"y\" && a contains \"z\"");
}

static struct policy_selector *k8s(const char *json, struct json_error *err, int *rc)
{
	struct policy_selector *s = NULL;
	cJSON *j = json_parse("t", json, strlen(json), err);

	assert_non_null(j);
	*rc = policy_selector_from_k8s(j, "spec.podSelector", &s, err);
	cJSON_Delete(j);
	return s;
}

static void test_k8s(void **state)
{
	struct json_error err;
	struct policy_selector *s;
	char *c;
	int rc;

	(void)state;
	s = k8s(
	    "{\"spec\":{\"podSelector\":{\"matchLabels\":{\"role\":\"db\"},"
	    "\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\",\"values\":"
	    "[\"backend\",\"api\"]},{\"key\":\"env\",\"operator\":\"NotIn\",\"values\":[\"dev\"]},"
	    "{\"key\":\"role\",\"operator\":\"Exists\"},"
	    "{\"key\":\"canary\",\"operator\":\"DoesNotExist\"}]}}}",
	    &err, &rc);
	assert_int_equal(rc, 0);
	c = policy_selector_canonical(s);
	assert_string_equal(c, "role == \"db\" && tier in {\"api\", \"backend\"} && env not in "
	                       "{\"dev\"} && has(role) && !has(canary)");
	free(c);
	assert_true(policy_selector_matches(s, &pod));
	policy_selector_free(s);

	s = k8s("{\"spec\":{\"podSelector\":{}}}", &err, &rc);
	assert_int_equal(rc, 0);
	assert_true(policy_selector_is_all(s));
	policy_selector_free(s);
	s = k8s("{\"spec\":{}}", &err, &rc);
	assert_int_equal(rc, 0);
	assert_true(policy_selector_is_all(s));
	policy_selector_free(s);

	s = k8s("{\"spec\":{\"podSelector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":"
	        "\"Equals\",\"values\":[\"x\"]}]}}}",
	        &err, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_null(s);
	assert_string_equal(err.text, "spec.podSelector.matchExpressions[0].operator: must be In, "
	                              "NotIn, Exists or DoesNotExist");
	s = k8s("{\"spec\":{\"podSelector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":"
	        "\"In\"}]}}}",
	        &err, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(
	    err.text, "spec.podSelector.matchExpressions[0].values: must be non-empty for In");
	s = k8s("{\"spec\":{\"podSelector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":"
	        "\"Exists\",\"values\":[\"x\"]}]}}}",
	        &err, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(
	    err.text, "spec.podSelector.matchExpressions[0].values: must be empty for Exists");
	s = k8s("{\"spec\":{\"podSelector\":{\"matchLabels\":{\"role\":\"a b\"}}}}", &err, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err.text,
	                    "spec.podSelector.matchLabels.role: invalid label value \"a b\"");
	s = k8s("{\"spec\":{\"podSelector\":{\"matchLabel\":{}}}}", &err, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err.text, "spec.podSelector.matchLabel: unknown field");
	s = k8s("{\"spec\":{\"podSelector\":{\"matchExpressions\":[{\"operator\":\"Exists\"}]}}}",
	        &err, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err.text, "spec.podSelector.matchExpressions[0].key: missing");
}

static void test_clone_and_constructors(void **state)
{
	struct policy_selector *s, *c;
	char err[POLICY_ERROR_MAX], *t1, *t2;

	(void)state;
	assert_int_equal(policy_selector_parse("a in {'x','y'} || !has(b)", &s, err, sizeof(err)),
	                 0);
	c = policy_selector_clone(s);
	t1 = policy_selector_canonical(s);
	t2 = policy_selector_canonical(c);
	assert_string_equal(t1, t2);
	free(t1);
	free(t2);
	policy_selector_free(c);
	/* all() && x is x. */
	c = policy_selector_and(policy_selector_all(), s);
	t1 = policy_selector_canonical(c);
	assert_string_equal(t1, "a in {\"x\", \"y\"} || !has(b)");
	free(t1);
	c = policy_selector_and(c, policy_selector_eq("k", "v"));
	t1 = policy_selector_canonical(c);
	assert_string_equal(t1, "(a in {\"x\", \"y\"} || !has(b)) && k == \"v\"");
	free(t1);
	policy_selector_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_operators), cmocka_unit_test(test_boolean_and_precedence),
	    cmocka_unit_test(test_namespace), cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_canonical), cmocka_unit_test(test_canonical_depth),
	    cmocka_unit_test(test_k8s),       cmocka_unit_test(test_clone_and_constructors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
