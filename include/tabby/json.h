/*
 * DOC: JSON helpers on cJSON: parsing with positions, typed getters that
 * name the field, compact printing.
 *
 * Fields are addressed by path, in the notation of kubectl and calicoctl:
 * "spec.cidr", "spec.peers[1].asNumber" (no leading dot; "" is the root).
 * A failed getter fills a json_error whose text reads "spec.cidr: expected a
 * string, got a number" and which also keeps the path and the message apart,
 * so that tabbyctl can point at the YAML line of that field
 * (yaml_path_error(root, err.path, &yerr, "%s", err.msg)).
 *
 * cJSON stores numbers as doubles (exact to 2^53) and prints 15 significant
 * digits: integers are kept within +-JSON_INT_MAX both ways, and
 * json_get_int64() refuses non-integral values and anything outside the
 * caller's range.
 */
#ifndef TABBY_JSON_H
#define TABBY_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include <tabby/prefix.h>

#define JSON_MAX_INPUT (8u << 20)
#define JSON_ERROR_MAX 512
#define JSON_PATH_MAX  192
#define JSON_INT_MAX   999999999999999LL /* 10^15 - 1 */

struct json_error {
	char text[JSON_ERROR_MAX]; /* complete message */
	char path[JSON_PATH_MAX];  /* field path, "" for parse errors */
	char msg[JSON_ERROR_MAX];  /* message without the path */
	size_t offset;             /* parse errors: byte offset */
	unsigned line, column;     /* parse errors: 1-based position */
};

/*
 * Parse exactly one JSON value from len bytes (no NUL needed; trailing
 * whitespace allowed, anything else is an error). name prefixes parse errors:
 * "NAME:LINE:COLUMN: invalid JSON (byte OFFSET)". Returns NULL on error.
 */
cJSON *json_parse(const char *name, const char *text, size_t len, struct json_error *err);

/* "a string", "a number", "an object", "an array", "a boolean", "null". */
const char *json_type_name(const cJSON *j);
/* Node at a path below root, or NULL. */
const cJSON *json_get(const cJSON *root, const char *path);

/*
 * Typed getters. Return 0; -ENOENT when the field is absent or null (err
 * says "missing", so a required field needs no extra code); -EINVAL when it
 * has the wrong type or range.
 */
int json_get_string(const cJSON *root, const char *path, const char **out, struct json_error *err);
int json_get_bool(const cJSON *root, const char *path, bool *out, struct json_error *err);
int json_get_int64(const cJSON *root, const char *path, int64_t min, int64_t max, int64_t *out,
                   struct json_error *err);
int json_get_object(const cJSON *root, const char *path, const cJSON **out, struct json_error *err);
int json_get_array(const cJSON *root, const char *path, const cJSON **out, struct json_error *err);
/* A CIDR string ("10.0.0.0/24", strict: no host bits) or an address string. */
int json_get_prefix(const cJSON *root, const char *path, bool strict, struct prefix *out,
                    struct json_error *err);
int json_get_addr(const cJSON *root, const char *path, struct addr *out, struct json_error *err);

/* Fill err with "PATH: message" (for checks done by the caller); returns -EINVAL. */
int json_error_at(struct json_error *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Builders: 0 or -ENOMEM (json_add_int64: -ERANGE beyond +-JSON_INT_MAX). */
int json_add_string(cJSON *obj, const char *key, const char *value);
int json_add_int64(cJSON *obj, const char *key, int64_t value);
int json_add_bool(cJSON *obj, const char *key, bool value);
int json_add_prefix(cJSON *obj, const char *key, const struct prefix *p);
int json_add_addr(cJSON *obj, const char *key, const struct addr *a);

/* Compact text (one line, no spaces); free with cJSON_free(). NULL on ENOMEM. */
char *json_print(const cJSON *j);

#endif
