/*
 * DOC: libFuzzer target for the YAML loader and its conversion to JSON.
 *
 * Feeds arbitrary bytes to yaml_load_buffer() (the path every manifest and
 * configuration file takes), then walks each document the way tabbyd and
 * tabbyctl do: typed getters, field paths, conversion to cJSON and printing.
 * Any crash, leak or sanitizer report is a bug; errors are expected.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <tabby/json.h>
#include <tabby/yaml.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Exercise the getters of a mapping the way tabbyd's config loader would. */
static void fuzz_yaml_getters(const struct yaml_node *root)
{
	static const char *const keys[] = {"apiVersion", "kind", "spec", "metadata", NULL};
	struct yaml_error err;
	const char *s;
	char **list = NULL;
	int64_t i;
	bool b;

	yaml_get_string(root, "kind", &s, &err);
	yaml_get_int(yaml_map_get(root, "spec"), "asNumber", 1, UINT32_MAX, &i, &err);
	yaml_get_bool(yaml_map_get(root, "spec"), "natOutgoing", &b, &err);
	if (yaml_get_strings(root, "interfaces", &list, NULL, &err) == 0)
		yaml_strings_free(list);
	yaml_check_keys(root, keys, &err);
	yaml_path_error(root, "spec.peers[0].asNumber", &err, "checked");
}

static void fuzz_yaml_to_json(const struct yaml_node *root)
{
	struct yaml_error err;
	cJSON *j = yaml_to_json(root, &err);
	const char *s;
	char *text;

	if (!j)
		return;
	json_get_string(j, "spec.cidr", &s, &(struct json_error){0});
	text = json_print(j);
	cJSON_free(text);
	cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_stream *s = NULL;
	struct yaml_error err;

	if (yaml_load_buffer("fuzz.yaml", data, size, &s, &err) < 0)
		return 0;
	for (size_t i = 0; i < s->ndocs; i++) {
		fuzz_yaml_getters(s->docs[i]);
		fuzz_yaml_to_json(s->docs[i]);
	}
	yaml_stream_free(s);
	return 0;
}
