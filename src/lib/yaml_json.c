/*
 * DOC: converting YAML trees to cJSON (manifests arrive as YAML or JSON and
 * are validated and stored as JSON).
 *
 * Plain scalars resolve by the YAML 1.2 core schema (yaml_scalar.c): null,
 * booleans, integers and floats become JSON null, true/false and numbers;
 * quoted, block and !!str scalars stay strings, so `asNumber: "64512"` is a
 * string and `asNumber: 64512` a number, as kubectl would read them. JSON
 * numbers are doubles, and cJSON prints 15 significant digits: an integer
 * beyond 10^15 - 1 could not be kept exactly and is refused rather than
 * silently rounded.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>

#include <tabby/yaml.h>

#include "yaml_private.h"

/* Same bound as json.c: exact in a double and in cJSON's 15-digit output. */
#define YAML_JSON_INT_MAX 999999999999999LL

static cJSON *yaml_json_node(const struct yaml_node *n, struct yaml_error *err);

static cJSON *yaml_json_nomem(const struct yaml_node *n, struct yaml_error *err)
{
	yaml_node_error(n, err, "out of memory");
	return NULL;
}

static cJSON *yaml_json_scalar(const struct yaml_node *n, struct yaml_error *err)
{
	int64_t i;
	double d;
	bool b;
	cJSON *j;
	int rc;

	if (yaml_node_is_null(n))
		j = cJSON_CreateNull();
	else if (yaml_scalar_bool(n, &b) == 0)
		j = cJSON_CreateBool(b);
	else if ((rc = yaml_scalar_int(n, &i)) != -EINVAL) {
		if (rc < 0 || i > YAML_JSON_INT_MAX || i < -YAML_JSON_INT_MAX) {
			yaml_node_error(n, err, "integer %.40s is too large (limit 10^15 - 1)",
			                n->value);
			return NULL;
		}
		j = cJSON_CreateNumber((double)i);
	} else if (yaml_scalar_float(n, &d) == 0)
		j = cJSON_CreateNumber(d);
	else
		j = cJSON_CreateString(n->value);
	return j ? j : yaml_json_nomem(n, err);
}

static cJSON *yaml_json_sequence(const struct yaml_node *n, struct yaml_error *err)
{
	cJSON *arr = cJSON_CreateArray();

	if (!arr)
		return yaml_json_nomem(n, err);
	for (size_t i = 0; i < n->count; i++) {
		cJSON *item = yaml_json_node(n->items[i], err);

		if (!item || !cJSON_AddItemToArray(arr, item)) {
			if (item)
				cJSON_Delete(item);
			cJSON_Delete(arr);
			return item ? yaml_json_nomem(n, err) : NULL;
		}
	}
	return arr;
}

static cJSON *yaml_json_mapping(const struct yaml_node *n, struct yaml_error *err)
{
	cJSON *obj = cJSON_CreateObject();

	if (!obj)
		return yaml_json_nomem(n, err);
	for (size_t i = 0; i < n->count; i++) {
		cJSON *value = yaml_json_node(n->pairs[i].value, err);

		if (!value || !cJSON_AddItemToObject(obj, n->pairs[i].key->value, value)) {
			if (value)
				cJSON_Delete(value);
			cJSON_Delete(obj);
			return value ? yaml_json_nomem(n, err) : NULL;
		}
	}
	return obj;
}

static cJSON *yaml_json_node(const struct yaml_node *n, struct yaml_error *err)
{
	switch (n->kind) {
	case YAML_KIND_MAPPING:
		return yaml_json_mapping(n, err);
	case YAML_KIND_SEQUENCE:
		return yaml_json_sequence(n, err);
	case YAML_KIND_SCALAR:
	default:
		return yaml_json_scalar(n, err);
	}
}

cJSON *yaml_to_json(const struct yaml_node *n, struct yaml_error *err)
{
	if (!n)
		return NULL;
	return yaml_json_node(n, err);
}
