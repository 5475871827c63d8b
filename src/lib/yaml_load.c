/*
 * DOC: loading YAML streams into trees (see include/tabby/yaml.h).
 *
 * libyaml's event parser drives a small builder: each scalar or collection
 * start becomes a node, attached to the innermost open collection (a stack
 * of at most YAML_MAX_DEPTH entries). The builder, not libyaml's document
 * loader, is used so that limits apply while parsing: aliases (YAML 1.2
 * section 3.2.2.2) are refused outright, keys must be unique scalars
 * (section 3.2.1.1), and depth, node count and input size are bounded.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include <tabby/yaml.h>

#include "yaml_private.h"

struct yaml_builder {
	yaml_parser_t parser;
	struct yaml_stream *stream;
	struct yaml_node *open[YAML_MAX_DEPTH];
	size_t depth;
	const unsigned char *input;
	size_t input_len;
	struct yaml_error *err;
};

static void yaml_node_free(struct yaml_node *n)
{
	if (!n)
		return;
	free(n->value);
	for (size_t i = 0; i < n->count; i++) {
		if (n->kind == YAML_KIND_MAPPING) {
			yaml_node_free(n->pairs[i].key);
			yaml_node_free(n->pairs[i].value);
		} else if (n->kind == YAML_KIND_SEQUENCE) {
			yaml_node_free(n->items[i]);
		}
	}
	free(n->pairs);
	free(n->items);
	free(n);
}

void yaml_stream_free(struct yaml_stream *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ndocs; i++)
		yaml_node_free(s->docs[i]);
	free(s->docs);
	free(s->file);
	free(s);
}

/* Make room for one more element in an array of count elements of size bytes. */
static int yaml_grow(void **array, size_t *cap, size_t count, size_t size)
{
	size_t ncap;
	void *p;

	if (count < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	p = reallocarray(*array, ncap, size);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = ncap;
	return 0;
}

/* Line and column (1-based) of a byte offset, for reader errors without a mark. */
static void yaml_offset_position(const struct yaml_builder *b, size_t offset, unsigned *line,
                                 unsigned *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset && i < b->input_len; i++) {
		if (b->input[i] == '\n') {
			(*line)++;
			*column = 1;
		} else {
			(*column)++;
		}
	}
}

static int yaml_fail_at(struct yaml_builder *b, unsigned line, unsigned column, int rc,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int yaml_fail_at(struct yaml_builder *b, unsigned line, unsigned column, int rc,
                        const char *fmt, ...)
{
	struct yaml_error *err = b->err;
	va_list ap;
	int n;

	err->line = line;
	err->column = column;
	n = snprintf(err->text, sizeof(err->text), "%s:%u:%u: ", b->stream->file, line, column);
	if (n < 0 || (size_t)n >= sizeof(err->text))
		return rc;
	va_start(ap, fmt);
	vsnprintf(err->text + n, sizeof(err->text) - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

/* Turn libyaml's parser error into "FILE:LINE:COLUMN: problem (context)". */
static int yaml_parser_failure(struct yaml_builder *b)
{
	const yaml_parser_t *p = &b->parser;
	unsigned line, column;

	if (p->error == YAML_MEMORY_ERROR)
		return yaml_fail_at(b, 0, 0, -ENOMEM, "out of memory");
	if (p->error == YAML_READER_ERROR) {
		yaml_offset_position(b, p->problem_offset, &line, &column);
		return yaml_fail_at(b, line, column, -EINVAL, "%s", p->problem);
	}
	line = (unsigned)p->problem_mark.line + 1;
	column = (unsigned)p->problem_mark.column + 1;
	if (p->context && p->context_mark.index == p->problem_mark.index)
		return yaml_fail_at(b, line, column, -EINVAL, "%s (%s)",
		                    p->problem ? p->problem : "syntax error", p->context);
	if (p->context)
		return yaml_fail_at(b, line, column, -EINVAL, "%s (%s at line %u, column %u)",
		                    p->problem ? p->problem : "syntax error", p->context,
		                    (unsigned)p->context_mark.line + 1,
		                    (unsigned)p->context_mark.column + 1);
	return yaml_fail_at(b, line, column, -EINVAL, "%s",
	                    p->problem ? p->problem : "syntax error");
}

static struct yaml_node *yaml_node_new(struct yaml_builder *b, enum yaml_kind kind,
                                       const yaml_event_t *ev, int *rc)
{
	struct yaml_node *n;

	if (b->stream->nodes >= YAML_MAX_NODES) {
		*rc = yaml_fail_at(b, (unsigned)ev->start_mark.line + 1,
		                   (unsigned)ev->start_mark.column + 1, -E2BIG,
		                   "more than %u nodes", YAML_MAX_NODES);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		*rc = yaml_fail_at(b, 0, 0, -ENOMEM, "out of memory");
		return NULL;
	}
	b->stream->nodes++;
	n->kind = kind;
	n->line = (unsigned)ev->start_mark.line + 1;
	n->column = (unsigned)ev->start_mark.column + 1;
	n->file = b->stream->file;
	*rc = 0;
	return n;
}

static enum yaml_style yaml_style_of(yaml_scalar_style_t s)
{
	switch (s) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		return YAML_STYLE_SINGLE;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		return YAML_STYLE_DOUBLE;
	case YAML_LITERAL_SCALAR_STYLE:
		return YAML_STYLE_LITERAL;
	case YAML_FOLDED_SCALAR_STYLE:
		return YAML_STYLE_FOLDED;
	default:
		return YAML_STYLE_PLAIN;
	}
}

static struct yaml_node *yaml_scalar_new(struct yaml_builder *b, const yaml_event_t *ev, int *rc)
{
	struct yaml_node *n = yaml_node_new(b, YAML_KIND_SCALAR, ev, rc);
	const char *tag = (const char *)ev->data.scalar.tag;

	if (!n)
		return NULL;
	n->len = ev->data.scalar.length;
	n->value = malloc(n->len + 1);
	if (!n->value) {
		yaml_node_free(n);
		*rc = yaml_fail_at(b, 0, 0, -ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(n->value, ev->data.scalar.value, n->len);
	n->value[n->len] = '\0';
	n->style = yaml_style_of(ev->data.scalar.style);
	n->str_tag = tag && strcmp(tag, YAML_STR_TAG) == 0;
	return n;
}

/* Order of keys by text, then by position (pairs live in one array). */
static int yaml_pair_cmp(const void *a, const void *b)
{
	const struct yaml_pair *pa = *(const struct yaml_pair *const *)a;
	const struct yaml_pair *pb = *(const struct yaml_pair *const *)b;
	size_t n = pa->key->len < pb->key->len ? pa->key->len : pb->key->len;
	int r = memcmp(pa->key->value, pb->key->value, n);

	if (r != 0)
		return r;
	if (pa->key->len != pb->key->len)
		return pa->key->len < pb->key->len ? -1 : 1;
	return (pa > pb) - (pa < pb);
}

static bool yaml_same_key(const struct yaml_pair *a, const struct yaml_pair *b)
{
	return a->key->len == b->key->len && memcmp(a->key->value, b->key->value, a->key->len) == 0;
}

/*
 * Keys of a mapping must be unique (YAML 1.2 section 3.2.1.1). Checked once
 * the mapping is complete, by sorting: O(n log n), so that a hostile mapping
 * of many keys cannot make loading quadratic. Reports the earliest repeat.
 */
static int yaml_check_unique(struct yaml_builder *b, const struct yaml_node *map)
{
	const struct yaml_pair **sorted, *dup = NULL, *first = NULL;
	char path[256];

	if (map->count < 2)
		return 0;
	sorted = malloc(map->count * sizeof(*sorted));
	if (!sorted)
		return yaml_fail_at(b, 0, 0, -ENOMEM, "out of memory");
	for (size_t i = 0; i < map->count; i++)
		sorted[i] = &map->pairs[i];
	qsort(sorted, map->count, sizeof(*sorted), yaml_pair_cmp);
	for (size_t i = 1; i < map->count; i++) {
		if (yaml_same_key(sorted[i - 1], sorted[i]) && (!dup || sorted[i] < dup)) {
			dup = sorted[i];
			first = sorted[i - 1];
		}
	}
	free(sorted);
	if (!dup)
		return 0;
	yaml_child_path(map, dup->key->value, path, sizeof(path));
	return yaml_fail_at(b, dup->key->line, dup->key->column, -EINVAL,
	                    "%s: duplicate key (first at line %u)", path, first->key->line);
}

/* A new key in map: must be a scalar (YAML 1.2 allows more; JSON does not). */
static int yaml_attach_key(struct yaml_builder *b, struct yaml_node *map, struct yaml_node *key)
{
	char path[256];

	if (key->kind != YAML_KIND_SCALAR) {
		yaml_node_path(map, path, sizeof(path));
		return yaml_fail_at(b, key->line, key->column, -EINVAL,
		                    "%s%smapping keys must be scalars, got %s", path,
		                    *path ? ": " : "", yaml_kind_name(key->kind));
	}
	if (yaml_grow((void **)&map->pairs, &map->cap, map->count, sizeof(*map->pairs)) < 0)
		return yaml_fail_at(b, 0, 0, -ENOMEM, "out of memory");
	map->pairs[map->count].key = key;
	map->pairs[map->count].value = NULL;
	map->count++;
	key->parent = map;
	key->key = key; /* a key's path is its own name below the mapping */
	return 0;
}

/* Attach n to the innermost open collection, or make it a document root. */
static int yaml_attach(struct yaml_builder *b, struct yaml_node *n)
{
	struct yaml_stream *s = b->stream;
	struct yaml_node *parent;
	struct yaml_pair *last;

	if (b->depth == 0) {
		if (yaml_grow((void **)&s->docs, &s->cap, s->ndocs, sizeof(*s->docs)) < 0)
			return yaml_fail_at(b, 0, 0, -ENOMEM, "out of memory");
		s->docs[s->ndocs++] = n;
		return 0;
	}
	parent = b->open[b->depth - 1];
	if (parent->kind == YAML_KIND_SEQUENCE) {
		if (yaml_grow((void **)&parent->items, &parent->cap, parent->count,
		              sizeof(*parent->items)) < 0)
			return yaml_fail_at(b, 0, 0, -ENOMEM, "out of memory");
		n->parent = parent;
		n->index = parent->count;
		parent->items[parent->count++] = n;
		return 0;
	}
	last = parent->count ? &parent->pairs[parent->count - 1] : NULL;
	if (!last || last->value)
		return yaml_attach_key(b, parent, n);
	last->value = n;
	n->parent = parent;
	n->key = last->key;
	return 0;
}

static int yaml_open_collection(struct yaml_builder *b, enum yaml_kind kind, const yaml_event_t *ev)
{
	struct yaml_node *n;
	int rc;

	if (b->depth >= YAML_MAX_DEPTH)
		return yaml_fail_at(b, (unsigned)ev->start_mark.line + 1,
		                    (unsigned)ev->start_mark.column + 1, -E2BIG,
		                    "nesting deeper than %u levels", YAML_MAX_DEPTH);
	n = yaml_node_new(b, kind, ev, &rc);
	if (!n)
		return rc;
	rc = yaml_attach(b, n);
	if (rc < 0) {
		yaml_node_free(n);
		return rc;
	}
	b->open[b->depth++] = n;
	return 0;
}

static int yaml_add_scalar(struct yaml_builder *b, const yaml_event_t *ev)
{
	int rc;
	struct yaml_node *n = yaml_scalar_new(b, ev, &rc);

	if (!n)
		return rc;
	rc = yaml_attach(b, n);
	if (rc < 0)
		yaml_node_free(n);
	return rc;
}

static int yaml_close_collection(struct yaml_builder *b)
{
	if (b->depth > 0)
		b->depth--;
	return 0;
}

/* Handle one event; returns 1 at the end of the stream, 0 to go on, or an error. */
static int yaml_on_event(struct yaml_builder *b, const yaml_event_t *ev)
{
	int rc;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return yaml_add_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return yaml_open_collection(b, YAML_KIND_SEQUENCE, ev);
	case YAML_MAPPING_START_EVENT:
		return yaml_open_collection(b, YAML_KIND_MAPPING, ev);
	case YAML_SEQUENCE_END_EVENT:
		return yaml_close_collection(b);
	case YAML_MAPPING_END_EVENT:
		rc = b->depth > 0 ? yaml_check_unique(b, b->open[b->depth - 1]) : 0;
		return rc < 0 ? rc : yaml_close_collection(b);
	case YAML_ALIAS_EVENT:
		return yaml_fail_at(b, (unsigned)ev->start_mark.line + 1,
		                    (unsigned)ev->start_mark.column + 1, -EINVAL,
		                    "aliases (*%.64s) are not supported",
		                    (const char *)ev->data.alias.anchor);
	case YAML_STREAM_END_EVENT:
		return 1;
	default: /* stream and document start/end carry nothing we keep */
		return 0;
	}
}

static int yaml_build(struct yaml_builder *b)
{
	yaml_event_t ev;
	int rc = 0;

	while (rc == 0) {
		if (!yaml_parser_parse(&b->parser, &ev))
			return yaml_parser_failure(b);
		rc = yaml_on_event(b, &ev);
		yaml_event_delete(&ev);
	}
	return rc < 0 ? rc : 0;
}

int yaml_load_buffer(const char *name, const void *data, size_t len, struct yaml_stream **out,
                     struct yaml_error *err)
{
	struct yaml_builder b = {.input = data, .input_len = len, .err = err};
	int rc = -ENOMEM;

	memset(err, 0, sizeof(*err));
	*out = NULL;
	b.stream = calloc(1, sizeof(*b.stream));
	if (!b.stream || !(b.stream->file = strdup(name ? name : "<input>"))) {
		snprintf(err->text, sizeof(err->text), "%s: out of memory", name ? name : "");
		goto out;
	}
	if (len > YAML_MAX_INPUT) {
		rc = yaml_fail_at(&b, 1, 1, -E2BIG, "input larger than %u bytes", YAML_MAX_INPUT);
		goto out;
	}
	if (!yaml_parser_initialize(&b.parser)) {
		rc = yaml_fail_at(&b, 0, 0, -ENOMEM, "out of memory");
		goto out;
	}
	yaml_parser_set_input_string(&b.parser, data, len);
	rc = yaml_build(&b);
	yaml_parser_delete(&b.parser);
out:
	if (rc < 0)
		yaml_stream_free(b.stream);
	else
		*out = b.stream;
	return rc;
}

/* Read all of fd, up to about twice YAML_MAX_INPUT (so that too big is noticed). */
static int yaml_read_fd(int fd, char **data, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *bigger;
	ssize_t r;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap > YAML_MAX_INPUT)
				break;
			bigger = realloc(buf, cap * 2);
			if (!bigger) {
				rc = -ENOMEM;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = -errno;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*data = buf;
	*len = n;
	return 0;
}

int yaml_load_file(const char *path, struct yaml_stream **out, struct yaml_error *err)
{
	bool is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "<stdin>" : path;
	char *data = NULL;
	size_t len = 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	memset(err, 0, sizeof(*err));
	*out = NULL;
	if (fd < 0) {
		rc = -errno;
		snprintf(err->text, sizeof(err->text), "%s: %s", name, strerror(-rc));
		goto out;
	}
	rc = yaml_read_fd(fd, &data, &len);
	if (rc < 0) {
		snprintf(err->text, sizeof(err->text), "%s: %s", name, strerror(-rc));
		goto out;
	}
	rc = yaml_load_buffer(name, data, len, out, err);
out:
	if (fd >= 0 && !is_stdin)
		close(fd);
	free(data);
	return rc;
}

int yaml_load_single(const char *path, struct yaml_stream **out, struct yaml_error *err)
{
	int rc = yaml_load_file(path, out, err);

	if (rc < 0 || (*out)->ndocs == 1)
		return rc;
	if ((*out)->ndocs == 0)
		snprintf(err->text, sizeof(err->text), "%s: empty document", (*out)->file);
	else
		snprintf(err->text, sizeof(err->text), "%s:%u:%u: expected one document, found %zu",
		         (*out)->file, (*out)->docs[1]->line, (*out)->docs[1]->column,
		         (*out)->ndocs);
	yaml_stream_free(*out);
	*out = NULL;
	return -EINVAL;
}
