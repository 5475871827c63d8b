/*
 * DOC: JSON helpers on cJSON (see include/tabby/json.h).
 *
 * Parsing (RFC 8259) is cJSON's; this file adds what operators and API
 * clients need around it: the position of a syntax error, the field path
 * of a wrong value, and integers that are really integers. RFC 8259
 * section 6 notes that only integers within [-(2^53)+1, 2^53-1] are
 * interoperable, and cJSON prints only 15 significant digits, so integers
 * are kept within +-(10^15 - 1) both ways (JSON_INT_MAX).
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/json.h>

static void json_error_clear(struct json_error *err)
{
	memset(err, 0, sizeof(*err));
}

static int json_error_vset(struct json_error *err, int rc, const char *path, const char *fmt,
                           va_list ap) __attribute__((format(printf, 4, 0)));

static int json_error_vset(struct json_error *err, int rc, const char *path, const char *fmt,
                           va_list ap)
{
	int n;

	if (!err)
		return rc;
	json_error_clear(err);
	snprintf(err->path, sizeof(err->path), "%s", path);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	n = snprintf(err->text, sizeof(err->text), "%s%s", path, *path ? ": " : "");
	if (n >= 0 && (size_t)n < sizeof(err->text))
		snprintf(err->text + n, sizeof(err->text) - (size_t)n, "%s", err->msg);
	return rc;
}

static int json_error_set(struct json_error *err, int rc, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int json_error_set(struct json_error *err, int rc, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	json_error_vset(err, rc, path, fmt, ap);
	va_end(ap);
	return rc;
}

int json_error_at(struct json_error *err, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	json_error_vset(err, -EINVAL, path, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* 1-based line and column of a byte offset. */
static void json_position(const char *text, size_t offset, unsigned *line, unsigned *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*column = 1;
		} else {
			(*column)++;
		}
	}
}

static int json_parse_error(struct json_error *err, const char *name, const char *text, size_t len,
                            size_t offset, const char *what)
{
	if (!err)
		return -EINVAL;
	if (offset > len)
		offset = len;
	json_error_clear(err);
	err->offset = offset;
	json_position(text, offset, &err->line, &err->column);
	snprintf(err->msg, sizeof(err->msg), "%s (byte %zu)", what, offset);
	snprintf(err->text, sizeof(err->text), "%.256s:%u:%u: %s (byte %zu)", name, err->line,
	         err->column, what, offset);
	return -EINVAL;
}

cJSON *json_parse(const char *name, const char *text, size_t len, struct json_error *err)
{
	const char *end = NULL;
	cJSON *j;
	size_t rest;

	if (!name)
		name = "<input>";
	if (len > JSON_MAX_INPUT) {
		json_parse_error(err, name, text, 0, 0, "input too large");
		return NULL;
	}
	j = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!j) {
		size_t at = end && end >= text ? (size_t)(end - text) : 0;

		json_parse_error(err, name, text, len, at,
		                 at >= len ? "unexpected end of input" : "invalid JSON");
		return NULL;
	}
	rest = (size_t)(end - text);
	while (rest < len && strchr(" \t\r\n", text[rest]) && text[rest] != '\0')
		rest++;
	if (rest < len) {
		json_parse_error(err, name, text, len, rest,
		                 "unexpected data after the JSON value");
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

const char *json_type_name(const cJSON *j)
{
	if (!j || cJSON_IsNull(j))
		return "null";
	if (cJSON_IsString(j))
		return "a string";
	if (cJSON_IsNumber(j))
		return "a number";
	if (cJSON_IsObject(j))
		return "an object";
	if (cJSON_IsArray(j))
		return "an array";
	if (cJSON_IsBool(j))
		return "a boolean";
	return "an unknown value";
}

/* One step of a path: "name" or "[N]"; advances *path. NULL when absent or malformed. */
static const cJSON *json_path_step(const cJSON *j, const char **path)
{
	const char *p = *path;
	char name[JSON_PATH_MAX];
	size_t nlen;
	char *end;
	unsigned long idx;

	if (*p == '[') {
		idx = strtoul(p + 1, &end, 10);
		if (end == p + 1 || *end != ']' || !cJSON_IsArray(j) || idx > INT32_MAX)
			return NULL;
		*path = end + 1;
		return cJSON_GetArrayItem(j, (int)idx);
	}
	nlen = strcspn(p, ".[");
	if (nlen == 0 || nlen >= sizeof(name) || !cJSON_IsObject(j))
		return NULL;
	memcpy(name, p, nlen);
	name[nlen] = '\0';
	*path = p + nlen;
	return cJSON_GetObjectItemCaseSensitive(j, name);
}

const cJSON *json_get(const cJSON *root, const char *path)
{
	const cJSON *j = root;

	while (j && *path) {
		j = json_path_step(j, &path);
		if (*path == '.')
			path++;
	}
	return j;
}

/* The field at path: -ENOENT (err: missing) when absent or null. */
static int json_lookup(const cJSON *root, const char *path, const cJSON **out,
                       struct json_error *err)
{
	const cJSON *j = json_get(root, path);

	if (!j || cJSON_IsNull(j))
		return json_error_set(err, -ENOENT, path, "missing");
	*out = j;
	return 0;
}

static int json_wrong_type(struct json_error *err, const char *path, const char *want,
                           const cJSON *got)
{
	return json_error_set(err, -EINVAL, path, "expected %s, got %s", want, json_type_name(got));
}

int json_get_string(const cJSON *root, const char *path, const char **out, struct json_error *err)
{
	const cJSON *j = NULL;
	int rc = json_lookup(root, path, &j, err);

	if (rc < 0)
		return rc;
	if (!cJSON_IsString(j))
		return json_wrong_type(err, path, "a string", j);
	*out = j->valuestring;
	return 0;
}

int json_get_bool(const cJSON *root, const char *path, bool *out, struct json_error *err)
{
	const cJSON *j = NULL;
	int rc = json_lookup(root, path, &j, err);

	if (rc < 0)
		return rc;
	if (!cJSON_IsBool(j))
		return json_wrong_type(err, path, "true or false", j);
	*out = cJSON_IsTrue(j);
	return 0;
}

/* "expected an integer from MIN to MAX, got V" */
static int json_int_range_error(struct json_error *err, const char *path, int64_t min, int64_t max,
                                double v)
{
	return json_error_set(err, -EINVAL, path,
	                      "expected an integer from %" PRId64 " to %" PRId64 ", got %g", min,
	                      max, v);
}

int json_get_int64(const cJSON *root, const char *path, int64_t min, int64_t max, int64_t *out,
                   struct json_error *err)
{
	const cJSON *j = NULL;
	int64_t i;
	double v;
	int rc = json_lookup(root, path, &j, err);

	if (rc < 0)
		return rc;
	if (!cJSON_IsNumber(j))
		return json_wrong_type(err, path, "an integer", j);
	v = j->valuedouble;
	/* Bounds first (a NaN fails them too), so that the cast is defined. */
	if (!(v >= -JSON_INT_MAX && v <= JSON_INT_MAX))
		return json_int_range_error(err, path, min, max, v);
	i = (int64_t)v;
	if ((double)i != v)
		return json_error_set(err, -EINVAL, path, "expected an integer, got %g", v);
	if (i < min || i > max)
		return json_int_range_error(err, path, min, max, v);
	*out = i;
	return 0;
}

int json_get_object(const cJSON *root, const char *path, const cJSON **out, struct json_error *err)
{
	const cJSON *j = NULL;
	int rc = json_lookup(root, path, &j, err);

	if (rc < 0)
		return rc;
	if (!cJSON_IsObject(j))
		return json_wrong_type(err, path, "an object", j);
	*out = j;
	return 0;
}

int json_get_array(const cJSON *root, const char *path, const cJSON **out, struct json_error *err)
{
	const cJSON *j = NULL;
	int rc = json_lookup(root, path, &j, err);

	if (rc < 0)
		return rc;
	if (!cJSON_IsArray(j))
		return json_wrong_type(err, path, "an array", j);
	*out = j;
	return 0;
}

int json_get_prefix(const cJSON *root, const char *path, bool strict, struct prefix *out,
                    struct json_error *err)
{
	const char *s;
	struct prefix p;
	int rc = json_get_string(root, path, &s, err);

	if (rc < 0)
		return rc;
	if (prefix_parse(s, &p, strict) < 0) {
		if (strict && prefix_parse(s, &p, false) == 0)
			return json_error_set(
			    err, -EINVAL, path, "\"%.64s\" has host bits set (the network is %s)",
			    s, prefix_format(&p, (char[PREFIX_STRLEN]){0}, PREFIX_STRLEN));
		return json_error_set(err, -EINVAL, path, "\"%.64s\" is not a valid CIDR", s);
	}
	*out = p;
	return 0;
}

int json_get_addr(const cJSON *root, const char *path, struct addr *out, struct json_error *err)
{
	const char *s;
	int rc = json_get_string(root, path, &s, err);

	if (rc < 0)
		return rc;
	if (addr_parse(s, out) < 0)
		return json_error_set(err, -EINVAL, path, "\"%.64s\" is not a valid IP address", s);
	return 0;
}

/* Add item under key, taking ownership; -ENOMEM (item freed) on failure. */
static int json_add_item(cJSON *obj, const char *key, cJSON *item)
{
	if (!item)
		return -ENOMEM;
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return -ENOMEM;
	}
	return 0;
}

int json_add_string(cJSON *obj, const char *key, const char *value)
{
	return json_add_item(obj, key, cJSON_CreateString(value));
}

int json_add_int64(cJSON *obj, const char *key, int64_t value)
{
	if ((double)value > JSON_INT_MAX || (double)value < -JSON_INT_MAX)
		return -ERANGE;
	return json_add_item(obj, key, cJSON_CreateNumber((double)value));
}

int json_add_bool(cJSON *obj, const char *key, bool value)
{
	return json_add_item(obj, key, cJSON_CreateBool(value));
}

int json_add_prefix(cJSON *obj, const char *key, const struct prefix *p)
{
	char buf[PREFIX_STRLEN];

	return json_add_string(obj, key, prefix_format(p, buf, sizeof(buf)));
}

int json_add_addr(cJSON *obj, const char *key, const struct addr *a)
{
	char buf[ADDR_STRLEN];

	return json_add_string(obj, key, addr_format(a, buf, sizeof(buf)));
}

char *json_print(const cJSON *j)
{
	return cJSON_PrintUnformatted(j);
}
