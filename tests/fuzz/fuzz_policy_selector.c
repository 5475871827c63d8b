/*
 * DOC: libFuzzer target for the Calico selector parser: parse, evaluate
 * against a fixed label set, and check that the canonical form parses back
 * to the same canonical form.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/policy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct policy_label labels[] = {{"role", "db"}, {"a", "x"}, {"has", ""}};
	static const struct policy_label ns_labels[] = {{"team", "ops"}};
	const struct policy_match m = {labels, 3, "prod", ns_labels, 1};
	struct policy_selector *s = NULL, *again = NULL;
	char err[POLICY_ERROR_MAX], *text, *c1 = NULL, *c2 = NULL;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (policy_selector_parse(text, &s, err, sizeof(err)) == 0) {
		(void)policy_selector_matches(s, &m);
		c1 = policy_selector_canonical(s);
		/*
		 * The canonical form spells things out (quotes, spaces), so it can
		 * outgrow the input limit; within the limit it must parse back.
		 */
		if (c1 && strlen(c1) > POLICY_SELECTOR_MAX_LEN) {
			free(c1);
			c1 = NULL;
		}
		if (c1 && policy_selector_parse(c1, &again, err, sizeof(err)) != 0) {
			fprintf(stderr, "canonical form does not parse: %s: %s\n", c1, err);
			abort();
		}
		c2 = again ? policy_selector_canonical(again) : NULL;
		if (c1 && c2 && strcmp(c1, c2) != 0) {
			fprintf(stderr, "canonical form unstable: %s vs %s\n", c1, c2);
			abort();
		}
		if (again && policy_selector_matches(s, &m) != policy_selector_matches(again, &m))
			abort();
	}
	free(c1);
	free(c2);
	policy_selector_free(s);
	policy_selector_free(again);
	free(text);
	return 0;
}
