/*
 * DOC: reading values out of YAML trees, with operator-grade errors.
 *
 * Every failure names the file, line and column of the offending node and
 * its field path, then says what was expected and what was found:
 *   tabbyd.yaml:4:9: datastore.path: expected a string, got a sequence
 * Paths use the notation of kubectl and calicoctl: "spec.peers[1].asNumber".
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/yaml.h>

#include "yaml_private.h"

#define YAML_PATH_MAX 256

const char *yaml_kind_name(enum yaml_kind kind)
{
	switch (kind) {
	case YAML_KIND_SCALAR:
		return "a scalar";
	case YAML_KIND_MAPPING:
		return "a mapping";
	case YAML_KIND_SEQUENCE:
		return "a sequence";
	}
	return "an unknown node";
}

const char *yaml_node_str(const struct yaml_node *n)
{
	return n && n->kind == YAML_KIND_SCALAR ? n->value : NULL;
}

/* Append one path element to buf: ".key" (or "key" first) or "[index]". */
static void yaml_path_append(const struct yaml_node *n, char *buf, size_t len)
{
	size_t used = strlen(buf);

	if (used >= len - 1)
		return;
	if (n->key)
		snprintf(buf + used, len - used, "%s%s", used ? "." : "", n->key->value);
	else if (n->parent)
		snprintf(buf + used, len - used, "[%zu]", n->index);
}

void yaml_node_path(const struct yaml_node *n, char *buf, size_t len)
{
	const struct yaml_node *chain[YAML_MAX_DEPTH + 1];
	size_t depth = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (; n && n->parent && depth < YAML_MAX_DEPTH + 1; n = n->parent)
		chain[depth++] = n;
	while (depth > 0)
		yaml_path_append(chain[--depth], buf, len);
}

void yaml_child_path(const struct yaml_node *map, const char *key, char *buf, size_t len)
{
	size_t used;

	yaml_node_path(map, buf, len);
	used = strlen(buf);
	if (used < len)
		snprintf(buf + used, len - used, "%s%s", used ? "." : "", key);
}

static int yaml_format_error(struct yaml_error *err, const struct yaml_node *at, const char *path,
                             const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* "FILE:LINE:COLUMN: PATH: message", or without "PATH: " when path is empty. */
static int yaml_format_error(struct yaml_error *err, const struct yaml_node *at, const char *path,
                             const char *fmt, va_list ap)
{
	int n;

	if (!err)
		return -EINVAL;
	err->line = at->line;
	err->column = at->column;
	n = snprintf(err->text, sizeof(err->text), "%s:%u:%u: %s%s", at->file ? at->file : "",
	             at->line, at->column, path, *path ? ": " : "");
	if (n >= 0 && (size_t)n < sizeof(err->text))
		vsnprintf(err->text + n, sizeof(err->text) - (size_t)n, fmt, ap);
	return -EINVAL;
}

int yaml_node_error(const struct yaml_node *n, struct yaml_error *err, const char *fmt, ...)
{
	char path[YAML_PATH_MAX];
	va_list ap;
	int rc;

	yaml_node_path(n, path, sizeof(path));
	va_start(ap, fmt);
	rc = yaml_format_error(err, n, path, fmt, ap);
	va_end(ap);
	return rc;
}

int yaml_key_error(const struct yaml_node *map, const char *key, struct yaml_error *err,
                   const char *fmt, ...)
{
	char path[YAML_PATH_MAX];
	va_list ap;
	int rc;

	yaml_child_path(map, key, path, sizeof(path));
	va_start(ap, fmt);
	rc = yaml_format_error(err, map, path, fmt, ap);
	va_end(ap);
	return rc;
}

const struct yaml_node *yaml_map_get(const struct yaml_node *map, const char *key)
{
	size_t klen = strlen(key);

	if (!map || map->kind != YAML_KIND_MAPPING)
		return NULL;
	for (size_t i = 0; i < map->count; i++) {
		const struct yaml_node *k = map->pairs[i].key;

		if (k->len == klen && memcmp(k->value, key, klen) == 0)
			return map->pairs[i].value;
	}
	return NULL;
}

/*
 * One step of a field path: "name" then '.', or "[N]". Returns the child
 * (NULL when absent) and advances *path; *ok is false on malformed paths.
 */
static const struct yaml_node *yaml_path_step(const struct yaml_node *n, const char **path,
                                              bool *ok)
{
	const char *p = *path;
	char name[YAML_PATH_MAX];
	size_t nlen;
	char *end;
	unsigned long idx;

	if (*p == '[') {
		idx = strtoul(p + 1, &end, 10);
		if (end == p + 1 || *end != ']' || n->kind != YAML_KIND_SEQUENCE) {
			*ok = false;
			return NULL;
		}
		*path = end + 1;
		return idx < n->count ? n->items[idx] : NULL;
	}
	nlen = strcspn(p, ".[");
	if (nlen == 0 || nlen >= sizeof(name)) {
		*ok = false;
		return NULL;
	}
	memcpy(name, p, nlen);
	name[nlen] = '\0';
	*path = p + nlen;
	return yaml_map_get(n, name);
}

/* Deepest node along path; *complete says whether the whole path was found. */
static const struct yaml_node *yaml_walk_path(const struct yaml_node *root, const char *path,
                                              bool *complete)
{
	const struct yaml_node *n = root;
	bool ok = true;

	*complete = false;
	while (n && *path) {
		const struct yaml_node *child = yaml_path_step(n, &path, &ok);

		if (!child || !ok)
			return n;
		n = child;
		if (*path == '.')
			path++;
	}
	*complete = n != NULL;
	return n;
}

const struct yaml_node *yaml_find_path(const struct yaml_node *root, const char *path)
{
	bool complete;
	const struct yaml_node *n = yaml_walk_path(root, path, &complete);

	return complete ? n : NULL;
}

int yaml_path_error(const struct yaml_node *root, const char *path, struct yaml_error *err,
                    const char *fmt, ...)
{
	bool complete;
	const struct yaml_node *at = yaml_walk_path(root, path, &complete);
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = yaml_format_error(err, at ? at : root, path, fmt, ap);
	va_end(ap);
	return rc;
}

/* How a node looks in a message: a mapping, null, "text" (short, printable). */
static const char *yaml_describe(const struct yaml_node *n, char *buf, size_t len)
{
	size_t i, o = 0;

	if (n->kind != YAML_KIND_SCALAR)
		return yaml_kind_name(n->kind);
	if (yaml_node_is_null(n))
		return "null";
	buf[o++] = '"';
	for (i = 0; i < n->len && o + 5 < len; i++) {
		unsigned char c = (unsigned char)n->value[i];

		buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (i < n->len)
		o += (size_t)snprintf(buf + o, len - o, "...");
	snprintf(buf + o, len - o, "\"");
	return buf;
}

/* For callers that chain lookups: a NULL node is a missing one. */
static int yaml_missing(const char *key, struct yaml_error *err)
{
	if (err) {
		memset(err, 0, sizeof(*err));
		snprintf(err->text, sizeof(err->text), "%s: missing", key ? key : "value");
	}
	return -ENOENT;
}

int yaml_expect_mapping(const struct yaml_node *n, struct yaml_error *err)
{
	char d[64];

	if (!n)
		return yaml_missing(NULL, err);
	if (n->kind == YAML_KIND_MAPPING)
		return 0;
	return yaml_node_error(n, err, "expected a mapping, got %s",
	                       yaml_describe(n, d, sizeof(d)));
}

static bool yaml_key_allowed(const char *key, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (strcmp(key, *allowed) == 0)
			return true;
	return false;
}

int yaml_check_keys(const struct yaml_node *map, const char *const *allowed, struct yaml_error *err)
{
	int rc = yaml_expect_mapping(map, err);

	for (size_t i = 0; rc == 0 && i < map->count; i++) {
		const struct yaml_node *k = map->pairs[i].key;

		if (!yaml_key_allowed(k->value, allowed))
			rc = yaml_node_error(map->pairs[i].value, err, "unknown field");
	}
	return rc;
}

int yaml_node_string(const struct yaml_node *n, const char **out, struct yaml_error *err)
{
	char d[64];

	if (n->kind != YAML_KIND_SCALAR || yaml_node_is_null(n))
		return yaml_node_error(n, err, "expected a string, got %s",
		                       yaml_describe(n, d, sizeof(d)));
	if (strlen(n->value) != n->len)
		return yaml_node_error(n, err, "expected a string without NUL characters");
	*out = n->value;
	return 0;
}

int yaml_node_bool(const struct yaml_node *n, bool *out, struct yaml_error *err)
{
	char d[64];

	if (yaml_scalar_bool(n, out) == 0)
		return 0;
	return yaml_node_error(n, err, "expected true or false, got %s",
	                       yaml_describe(n, d, sizeof(d)));
}

int yaml_node_int(const struct yaml_node *n, int64_t min, int64_t max, int64_t *out,
                  struct yaml_error *err)
{
	char d[64];
	int64_t v;

	if (yaml_scalar_int(n, &v) == 0 && v >= min && v <= max) {
		*out = v;
		return 0;
	}
	return yaml_node_error(n, err,
	                       "expected an integer from %" PRId64 " to %" PRId64 ", got %s", min,
	                       max, yaml_describe(n, d, sizeof(d)));
}

void yaml_strings_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

int yaml_node_strings(const struct yaml_node *n, char ***out, size_t *count, struct yaml_error *err)
{
	char d[64];
	char **v = NULL;
	const char *s;
	int rc;

	if (n->kind != YAML_KIND_SEQUENCE)
		return yaml_node_error(n, err, "expected a list of strings, got %s",
		                       yaml_describe(n, d, sizeof(d)));
	v = calloc(n->count + 1, sizeof(*v));
	rc = v ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < n->count; i++) {
		rc = yaml_node_string(n->items[i], &s, err);
		if (rc == 0 && !(v[i] = strdup(s)))
			rc = -ENOMEM;
	}
	if (rc < 0) {
		yaml_strings_free(v);
		return rc;
	}
	*out = v;
	if (count)
		*count = n->count;
	return 0;
}

/* Value of key for the yaml_get_* family: -ENOENT when absent or null. */
static int yaml_lookup(const struct yaml_node *map, const char *key, const struct yaml_node **value,
                       struct yaml_error *err)
{
	int rc;

	if (!map)
		return yaml_missing(key, err);
	rc = yaml_expect_mapping(map, err);

	if (rc < 0)
		return rc;
	*value = yaml_map_get(map, key);
	if (!*value || yaml_node_is_null(*value)) {
		yaml_key_error(map, key, err, "missing");
		return -ENOENT;
	}
	return 0;
}

int yaml_get_string(const struct yaml_node *map, const char *key, const char **out,
                    struct yaml_error *err)
{
	const struct yaml_node *v;
	int rc = yaml_lookup(map, key, &v, err);

	return rc < 0 ? rc : yaml_node_string(v, out, err);
}

int yaml_get_bool(const struct yaml_node *map, const char *key, bool *out, struct yaml_error *err)
{
	const struct yaml_node *v;
	int rc = yaml_lookup(map, key, &v, err);

	return rc < 0 ? rc : yaml_node_bool(v, out, err);
}

int yaml_get_int(const struct yaml_node *map, const char *key, int64_t min, int64_t max,
                 int64_t *out, struct yaml_error *err)
{
	const struct yaml_node *v;
	int rc = yaml_lookup(map, key, &v, err);

	return rc < 0 ? rc : yaml_node_int(v, min, max, out, err);
}

int yaml_get_strings(const struct yaml_node *map, const char *key, char ***out, size_t *count,
                     struct yaml_error *err)
{
	const struct yaml_node *v;
	int rc = yaml_lookup(map, key, &v, err);

	return rc < 0 ? rc : yaml_node_strings(v, out, count, err);
}
