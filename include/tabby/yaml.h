/*
 * DOC: YAML documents as trees, with positions for error messages.
 *
 * Used for tabbyd's configuration file and for the Calico-style manifests
 * that tabbyctl applies (YAML or JSON, one or several documents). Input is
 * untrusted: it is bounded in size, nesting depth and node count, aliases are
 * refused (no "billion laughs"), and duplicate mapping keys are an error.
 *
 * Every node knows its line and column (1-based), its parent and its key or
 * index there, so any node can name itself as a field path
 * ("spec.peers[1].asNumber") and every error reads
 *   FILE:LINE:COLUMN: FIELD.PATH: what was expected
 * e.g. "tabbyd.yaml:4:9: datastore.path: expected a string, got a sequence".
 * Parse errors from libyaml come out as "FILE:LINE:COLUMN: problem".
 *
 * Getters that take a mapping and a key return -ENOENT when the key is
 * absent or null (err then says "missing", positioned at the mapping), so
 * optional settings keep their defaults and required ones just print err;
 * a value of the wrong type is -EINVAL with err filled in.
 */
#ifndef TABBY_YAML_H
#define TABBY_YAML_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Limits for untrusted input. */
#define YAML_MAX_INPUT (8u << 20) /* bytes */
#define YAML_MAX_DEPTH 64         /* nested collections */
#define YAML_MAX_NODES 500000     /* per stream */
#define YAML_ERROR_MAX 512

enum yaml_kind {
	YAML_KIND_SCALAR,
	YAML_KIND_MAPPING,
	YAML_KIND_SEQUENCE,
};

enum yaml_style {
	YAML_STYLE_PLAIN,   /* may be a number, bool or null */
	YAML_STYLE_SINGLE,  /* 'quoted' */
	YAML_STYLE_DOUBLE,  /* "quoted" */
	YAML_STYLE_LITERAL, /* | block */
	YAML_STYLE_FOLDED,  /* > block */
};

struct yaml_node;

struct yaml_pair {
	struct yaml_node *key; /* always a scalar */
	struct yaml_node *value;
};

struct yaml_node {
	enum yaml_kind kind;
	unsigned line, column; /* 1-based start of the node */
	const char *file;      /* name for messages, owned by the stream */
	struct yaml_node *parent;
	const struct yaml_node *key; /* key in the parent mapping, or NULL */
	size_t index;                /* index in the parent sequence */
	/* YAML_KIND_SCALAR: NUL-terminated text (may contain NULs: see len). */
	char *value;
	size_t len;
	enum yaml_style style;
	bool str_tag; /* explicit "!!str": a string whatever it looks like */
	/* YAML_KIND_MAPPING: count pairs; YAML_KIND_SEQUENCE: count items. */
	size_t count;
	struct yaml_pair *pairs;
	struct yaml_node **items;
	size_t cap; /* private: allocated pairs or items */
};

/* A stream of documents (a file may hold several, separated by "---"). */
struct yaml_stream {
	char *file;
	size_t ndocs;
	struct yaml_node **docs; /* root node of each document */
	size_t nodes;            /* total, checked against YAML_MAX_NODES */
	size_t cap;              /* private: allocated docs */
};

struct yaml_error {
	char text[YAML_ERROR_MAX];
	unsigned line, column; /* 0 when unknown */
};

/*
 * Load a whole stream. name is used in messages (the path for files; e.g.
 * "<stdin>" for a buffer); yaml_load_file("-") reads standard input. Returns 0, or a negative errno
 * with err filled: -EINVAL (syntax, alias, duplicate key, non-scalar key), -E2BIG (a limit),
 * -ENOMEM, or the errno of open/read.
 */
int yaml_load_file(const char *path, struct yaml_stream **out, struct yaml_error *err);
int yaml_load_buffer(const char *name, const void *data, size_t len, struct yaml_stream **out,
                     struct yaml_error *err);
/* Load a file that must hold exactly one document; the stream owns the root. */
int yaml_load_single(const char *path, struct yaml_stream **out, struct yaml_error *err);
void yaml_stream_free(struct yaml_stream *s);

/* "a scalar", "a mapping" or "a sequence". */
const char *yaml_kind_name(enum yaml_kind kind);
/* A plain empty/"~"/"null" scalar (YAML 1.2 core schema, 10.3.2). */
bool yaml_node_is_null(const struct yaml_node *n);
/* Scalar text, or NULL for a collection. */
const char *yaml_node_str(const struct yaml_node *n);

/* Field path of a node from its document root: "spec.peers[1].asNumber", "" for the root. */
void yaml_node_path(const struct yaml_node *n, char *buf, size_t len);
/* Format "FILE:LINE:COLUMN: PATH: message" into err; returns -EINVAL. */
int yaml_node_error(const struct yaml_node *n, struct yaml_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same for a key missing from map ("FILE:LINE:COLUMN: PATH.key: ..."). */
int yaml_key_error(const struct yaml_node *map, const char *key, struct yaml_error *err,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Value of key in a mapping, or NULL (also when map is not a mapping). */
const struct yaml_node *yaml_map_get(const struct yaml_node *map, const char *key);
/* Node at a field path ("spec.peers[1].asNumber") below root, or NULL. */
const struct yaml_node *yaml_find_path(const struct yaml_node *root, const char *path);
/*
 * Error about the field at path below root (for checks done on the JSON
 * form): positioned at that field, or at its nearest existing ancestor.
 */
int yaml_path_error(const struct yaml_node *root, const char *path, struct yaml_error *err,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Is n a mapping? If not, err says "expected a mapping, got ...". */
int yaml_expect_mapping(const struct yaml_node *n, struct yaml_error *err);
/* Every key of map must be in the NULL-terminated list allowed. */
int yaml_check_keys(const struct yaml_node *map, const char *const *allowed,
                    struct yaml_error *err);

/* Typed values of a node. Strings point into the tree. */
int yaml_node_string(const struct yaml_node *n, const char **out, struct yaml_error *err);
/* true/false (also True/TRUE/False/FALSE), plain only. */
int yaml_node_bool(const struct yaml_node *n, bool *out, struct yaml_error *err);
/* Decimal, 0x hex or 0o octal integer in [min, max], plain only. */
int yaml_node_int(const struct yaml_node *n, int64_t min, int64_t max, int64_t *out,
                  struct yaml_error *err);
/* A sequence of scalars: NULL-terminated array of copies; free with yaml_strings_free. */
int yaml_node_strings(const struct yaml_node *n, char ***out, size_t *count,
                      struct yaml_error *err);
void yaml_strings_free(char **v);

/*
 * The same, looked up by key in a mapping; -ENOENT (err: missing) when absent
 * or null. map may be NULL (yaml_get_int(yaml_map_get(root, "bgp"), ...)):
 * that is -ENOENT too.
 */
int yaml_get_string(const struct yaml_node *map, const char *key, const char **out,
                    struct yaml_error *err);
int yaml_get_bool(const struct yaml_node *map, const char *key, bool *out, struct yaml_error *err);
int yaml_get_int(const struct yaml_node *map, const char *key, int64_t min, int64_t max,
                 int64_t *out, struct yaml_error *err);
int yaml_get_strings(const struct yaml_node *map, const char *key, char ***out, size_t *count,
                     struct yaml_error *err);

/*
 * Convert to cJSON. Plain scalars resolve by the YAML 1.2 core schema
 * (null, true/false, integers, floats); quoted, block and !!str scalars stay
 * strings. Returns NULL with err filled (an integer beyond 10^15 - 1 would
 * lose precision as a cJSON number, so it is an error; or out of memory).
 */
cJSON *yaml_to_json(const struct yaml_node *n, struct yaml_error *err);

#endif
