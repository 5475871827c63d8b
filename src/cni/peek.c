/*
 * DOC: the plugin's look into the network configuration: where is tabbyd?
 *
 * JSON is a subset of YAML's flow style, so libyaml (statically linked; the
 * full parse with cJSON happens in tabbyd) reads the configuration as a
 * stream of events. Only scalars directly under the top-level mapping count:
 * "socket" and "cniVersion" when double-quoted (JSON strings), "timeout" when
 * plain (a JSON number). Everything else is skipped by depth. libyaml refuses
 * a few things JSON allows (a \u escape of a UTF-16 surrogate pair, that is a
 * character outside the Basic Multilingual Plane written as two escapes):
 * such a configuration is reported as undecodable (error 6) by the plugin.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "plugin.h"

enum peek_key { PEEK_OTHER, PEEK_SOCKET, PEEK_VERSION, PEEK_TIMEOUT };

static enum peek_key peek_key(const yaml_event_t *e)
{
	const char *k = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length;

	if (n == 6 && memcmp(k, "socket", 6) == 0)
		return PEEK_SOCKET;
	if (n == 10 && memcmp(k, "cniVersion", 10) == 0)
		return PEEK_VERSION;
	if (n == 7 && memcmp(k, "timeout", 7) == 0)
		return PEEK_TIMEOUT;
	return PEEK_OTHER;
}

static bool peek_printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static void peek_value(struct cni_peek *p, enum peek_key key, bool *seen, const yaml_event_t *e)
{
	const char *v = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length;
	bool quoted = e->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;

	if (key == PEEK_OTHER || seen[key])
		return;
	seen[key] = true; /* the first of duplicate keys counts, as in cJSON */
	if (key == PEEK_SOCKET && quoted && n > 0 && !memchr(v, '\0', n)) {
		if (n >= sizeof(p->socket))
			p->socket_too_long = true;
		else
			memcpy(p->socket, v, n + 1);
	} else if (key == PEEK_VERSION && quoted && n < sizeof(p->version) &&
	           peek_printable(v, n)) {
		memcpy(p->version, v, n + 1);
	} else if (key == PEEK_TIMEOUT && !quoted) {
		char *end;
		long s = strtol(v, &end, 10);

		if (end != v && *end == '\0' && s >= 1 && s <= 600)
			p->timeout_ms = (int)s * 1000;
	}
}

int cni_peek(const char *data, size_t len, struct cni_peek *p)
{
	yaml_parser_t parser;
	yaml_event_t e;
	bool seen[PEEK_TIMEOUT + 1] = {false}, root_map = false, want_key = true, done = false;
	enum peek_key key = PEEK_OTHER;
	int depth = 0, ret = 0;

	memset(p, 0, sizeof(*p));
	if (!yaml_parser_initialize(&parser)) {
		snprintf(p->problem, sizeof(p->problem), "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &e)) {
			snprintf(p->problem, sizeof(p->problem), "%s at line %zu, column %zu",
			         parser.problem ? parser.problem : "unreadable",
			         parser.problem_mark.line + 1, parser.problem_mark.column + 1);
			ret = -EINVAL;
			break;
		}
		switch (e.type) {
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (depth == 0)
				root_map = e.type == YAML_MAPPING_START_EVENT;
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			if (depth == 1) /* a collection as a top-level value */
				want_key = true;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
			if (depth != 1 || !root_map)
				break;
			if (want_key)
				key = e.type == YAML_SCALAR_EVENT ? peek_key(&e) : PEEK_OTHER;
			else if (e.type == YAML_SCALAR_EVENT)
				peek_value(p, key, seen, &e);
			want_key = !want_key;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&parser);
	return ret;
}
