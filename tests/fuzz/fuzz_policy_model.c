/*
 * DOC: libFuzzer target for the policy parsers: the input is JSON (a
 * manifest's JSON form); a policy that parses is rendered to nftables text
 * with a few endpoints (no kernel involved) and churned once.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/policy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct policy_label labels[] = {{"role", "db"}, {"app", "x"}};
	static const struct policy_label ns_labels[] = {{"team", "ops"}};
	const struct policy_namespace ns = {"default", ns_labels, 1};
	struct json_error err;
	struct policy *p = NULL;
	struct policy_state *st = NULL;
	struct addr a[2];
	char *t = NULL;
	cJSON *j;

	j = json_parse("fuzz", (const char *)data, size, &err);
	if (!j)
		return 0;
	if (policy_parse(j, &p, &err) != 0)
		goto out;
	st = policy_state_new();
	if (!st || policy_state_set_policies(st, &p, 1) || policy_state_set_namespace(st, &ns))
		goto out;
	addr_parse("10.244.0.2", &a[0]);
	addr_parse("2001:db8::2", &a[1]);
	struct policy_endpoint ep = {"n1/default/a", "tbfz0", "default", labels, 2, a, 2};
	struct policy_endpoint ep2 = {"n1/default/b", "tbfz1", "default", labels, 1, a, 1};
	if (policy_state_put_endpoint(st, &ep) || policy_render_full(st, &t))
		goto out;
	free(t);
	t = NULL;
	if (policy_render_endpoint_put(st, &ep2, &t) == 0) {
		free(t);
		t = NULL;
		(void)policy_render_endpoint_remove(st, "n1/default/a", &t);
	}
out:
	free(t);
	policy_state_free(st);
	policy_free(p);
	cJSON_Delete(j);
	return 0;
}
