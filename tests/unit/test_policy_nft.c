/*
 * DOC: unit tests for applying rulesets through libnftables, inside a
 * private network namespace (unshare(CLONE_NEWNET); needs root, skipped
 * without, failed under CI=true): full apply and read back, incremental
 * element updates, a re-apply that replaces only table inet tabby (another
 * table survives), and a refused ruleset leaving the last good one in place.
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

static const char seed_policy[] =
    "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":"
    "\"db\",\"namespace\":\"default\"},\"spec\":{\"podSelector\":{\"matchLabels\":{\"role\":"
    "\"db\"}},\"ingress\":[{\"from\":[{\"podSelector\":{\"matchLabels\":{\"role\":\"frontend\"}}}"
    "],\"ports\":[{\"protocol\":\"TCP\",\"port\":6379}]}]}}";

static const struct policy_label db_labels[] = {{"role", "db"}};
static const struct policy_label fe_labels[] = {{"role", "frontend"}};

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

static void test_apply_and_churn(void **state)
{
	struct policy_state *st = policy_state_new();
	struct json_error jerr;
	struct policy *p;
	struct addr a[3];
	char *t, *out, err[4096];
	cJSON *j;

	(void)state;
	j = json_parse("t", seed_policy, strlen(seed_policy), &jerr);
	assert_int_equal(policy_parse(j, &p, &jerr), 0);
	cJSON_Delete(j);
	assert_int_equal(policy_state_set_policies(st, &p, 1), 0);
	policy_free(p);
	addr_parse("10.244.1.2", &a[0]);
	addr_parse("10.244.1.3", &a[1]);
	addr_parse("10.244.1.4", &a[2]);
	struct policy_endpoint db = {"n1/default/db", "tbdb0", "default", db_labels, 1, &a[0], 1};
	struct policy_endpoint fe = {"n1/default/fe", "tbfe0", "default", fe_labels, 1, &a[1], 1};
	struct policy_endpoint fe2 = {"n2/default/fe", NULL, "default", fe_labels, 1, &a[2], 1};
	assert_int_equal(policy_state_put_endpoint(st, &db), 0);
	assert_int_equal(policy_state_put_endpoint(st, &fe), 0);

	/* Somebody else's table, which we must never touch. */
	apply(
	    "add table inet other\nadd chain inet other c\nadd rule inet other c counter accept\n");

	assert_int_equal(policy_render_full(st, &t), 0);
	apply(t);
	apply(t); /* re-apply replaces (delete + add in one batch) */
	free(t);
	out = show();
	assert_contains(out, "elements = { 10.244.1.3 }");
	assert_contains(out, "\"tbdb0\" : jump ep0_in");
	assert_contains(out, "ip saddr @s0_4 tcp dport 6379 accept");
	free(out);

	/* A remote frontend appears: one element added. */
	assert_int_equal(policy_render_endpoint_put(st, &fe2, &t), 0);
	assert_string_equal(t, "add element inet tabby s0_4 { 10.244.1.4 }\n");
	apply(t);
	free(t);
	out = show();
	assert_contains(out, "elements = { 10.244.1.3, 10.244.1.4 }");
	free(out);
	/* The local frontend goes away. */
	assert_int_equal(policy_render_endpoint_remove(st, "n1/default/fe", &t), 0);
	apply(t);
	free(t);
	out = show();
	assert_contains(out, "elements = { 10.244.1.4 }");
	if (strstr(out, "tbfe0"))
		fail_msg("tbfe0 still there:\n%s", out);
	free(out);
	/* Relabel db to frontend: dispatch removed, address in the peer set. */
	db.labels = fe_labels;
	assert_int_equal(policy_render_endpoint_put(st, &db, &t), 0);
	apply(t);
	free(t);
	out = show();
	assert_contains(out, "elements = { 10.244.1.2, 10.244.1.4 }");
	if (strstr(out, "jump ep0_in"))
		fail_msg("dispatch still there:\n%s", out);
	free(out);

	/* A refused batch changes nothing: the last good ruleset stays. */
	assert_int_equal(policy_nft_apply("delete table inet tabby\nadd rule inet tabby nochain "
	                                  "accept\n",
	                                  false, err, sizeof(err)),
	                 -EINVAL);
	assert_true(strlen(err) > 0);
	out = show();
	assert_contains(out, "chain fwd_in");
	free(out);

	/* The other table is untouched. */
	assert_int_equal(policy_nft_apply("list table inet other", false, err, sizeof(err)), 0);
	apply("delete table inet other\n");
	policy_state_free(st);
}

int main(void)
{
	const char *ci = getenv("CI");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_apply_and_churn),
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
