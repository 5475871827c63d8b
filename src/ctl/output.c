/*
 * DOC: tabbyctl's output: operators' tables by default (calicoctl's columns),
 * JSON and YAML for machines. YAML is written with libyaml's emitter.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "ctl.h"

void ctl_print_table(FILE *out, const char *const *header, char ***rows, size_t nrows)
{
	size_t ncols = 0, i, j, *width;

	while (header[ncols])
		ncols++;
	width = calloc(ncols, sizeof(*width));
	if (!width)
		return;
	for (j = 0; j < ncols; j++)
		width[j] = strlen(header[j]);
	for (i = 0; i < nrows; i++)
		for (j = 0; j < ncols; j++)
			if (rows[i] && rows[i][j] && strlen(rows[i][j]) > width[j])
				width[j] = strlen(rows[i][j]);
	for (j = 0; j < ncols; j++)
		fprintf(out, "%-*s%s", j + 1 < ncols ? (int)width[j] : 0, header[j],
		        j + 1 < ncols ? "   " : "\n");
	for (i = 0; i < nrows; i++)
		for (j = 0; j < ncols; j++)
			fprintf(out, "%-*s%s", j + 1 < ncols ? (int)width[j] : 0,
			        rows[i] && rows[i][j] ? rows[i][j] : "",
			        j + 1 < ncols ? "   " : "\n");
	free(width);
}

int ctl_print_json(FILE *out, const cJSON *j)
{
	char *s = cJSON_Print(j);

	if (!s)
		return -ENOMEM;
	fprintf(out, "%s\n", s);
	cJSON_free(s);
	return 0;
}

static int ctl_emit(yaml_emitter_t *em, yaml_event_t *ev)
{
	return yaml_emitter_emit(em, ev) ? 0 : -EIO;
}

/* A string that a YAML reader would take for something else must be quoted. */
static bool ctl_needs_quotes(const char *s)
{
	static const char *const special[] = {"",     "~",    "null",  "Null",  "NULL",  "true",
	                                      "True", "TRUE", "false", "False", "FALSE", "yes",
	                                      "no",   "on",   "off",   "y",     "n",     NULL};
	char *end;
	size_t i;

	for (i = 0; special[i]; i++)
		if (strcmp(s, special[i]) == 0)
			return true;
	strtod(s, &end);
	return *end == '\0';
}

static int ctl_emit_node(yaml_emitter_t *em, const cJSON *j)
{
	yaml_event_t ev;
	const cJSON *it;
	char buf[64];
	const char *text = NULL;
	yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
	int ret;

	if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
		bool obj = cJSON_IsObject(j);

		if (obj)
			yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
			                                    YAML_BLOCK_MAPPING_STYLE);
		else
			yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
			                                     YAML_BLOCK_SEQUENCE_STYLE);
		if ((ret = ctl_emit(em, &ev)) < 0)
			return ret;
		cJSON_ArrayForEach(it, j)
		{
			if (obj) {
				yaml_scalar_event_initialize(&ev, NULL, NULL,
				                             (yaml_char_t *)it->string, -1, 1, 1,
				                             YAML_PLAIN_SCALAR_STYLE);
				if ((ret = ctl_emit(em, &ev)) < 0)
					return ret;
			}
			if ((ret = ctl_emit_node(em, it)) < 0)
				return ret;
		}
		if (obj)
			yaml_mapping_end_event_initialize(&ev);
		else
			yaml_sequence_end_event_initialize(&ev);
		return ctl_emit(em, &ev);
	}
	if (cJSON_IsString(j)) {
		text = j->valuestring;
		if (ctl_needs_quotes(text))
			style = YAML_SINGLE_QUOTED_SCALAR_STYLE;
	} else if (cJSON_IsBool(j)) {
		text = cJSON_IsTrue(j) ? "true" : "false";
	} else if (cJSON_IsNumber(j)) {
		if (j->valuedouble == (double)(long long)j->valuedouble)
			snprintf(buf, sizeof(buf), "%lld", (long long)j->valuedouble);
		else
			snprintf(buf, sizeof(buf), "%.17g", j->valuedouble);
		text = buf;
	} else {
		text = "null";
	}
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, -1, 1, 1, style);
	return ctl_emit(em, &ev);
}

static int ctl_write_file(void *data, unsigned char *buffer, size_t size)
{
	return fwrite(buffer, 1, size, data) == size;
}

int ctl_print_yaml(FILE *out, const cJSON *j)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int ret = -EIO;

	if (!yaml_emitter_initialize(&em))
		return -ENOMEM;
	yaml_emitter_set_output(&em, ctl_write_file, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (ctl_emit(&em, &ev) < 0)
		goto out;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (ctl_emit(&em, &ev) < 0 || ctl_emit_node(&em, j) < 0)
		goto out;
	yaml_document_end_event_initialize(&ev, 1);
	if (ctl_emit(&em, &ev) < 0)
		goto out;
	yaml_stream_end_event_initialize(&ev);
	ret = ctl_emit(&em, &ev);
out:
	yaml_emitter_delete(&em);
	return ret;
}

int ctl_print_docs(struct ctl *c, const struct ctl_kind *k, cJSON **docs, size_t n, bool single)
{
	const char *const *cols = c->output == CTL_OUT_WIDE ? k->wide_columns : k->columns;
	size_t ncols = 0, i, j;
	char ***rows;
	cJSON *list, *items;
	char kind[64];
	int ret;

	if (c->output == CTL_OUT_JSON || c->output == CTL_OUT_YAML) {
		if (single && n == 1) {
			ret = c->output == CTL_OUT_JSON ? ctl_print_json(c->out, docs[0])
			                                : ctl_print_yaml(c->out, docs[0]);
			return ret < 0 ? CTL_EXIT_ERROR : CTL_EXIT_OK;
		}
		/* Several: a "<Kind>List" like calicoctl's. */
		list = cJSON_CreateObject();
		snprintf(kind, sizeof(kind), "%sList", k->name);
		cJSON_AddStringToObject(list, "apiVersion", "projectcalico.org/v3");
		cJSON_AddStringToObject(list, "kind", kind);
		items = cJSON_AddArrayToObject(list, "items");
		for (i = 0; i < n && items; i++)
			cJSON_AddItemReferenceToArray(items, docs[i]);
		ret = c->output == CTL_OUT_JSON ? ctl_print_json(c->out, list)
		                                : ctl_print_yaml(c->out, list);
		cJSON_Delete(list);
		return ret < 0 ? CTL_EXIT_ERROR : CTL_EXIT_OK;
	}
	while (cols[ncols])
		ncols++;
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows)
		return CTL_EXIT_ERROR;
	for (i = 0; i < n; i++) {
		rows[i] = calloc(ncols, sizeof(char *));
		if (rows[i])
			k->row(docs[i], c->output == CTL_OUT_WIDE, rows[i], ncols);
	}
	ctl_print_table(c->out, cols, rows, n);
	for (i = 0; i < n; i++) {
		for (j = 0; rows[i] && j < ncols; j++)
			free(rows[i][j]);
		free(rows[i]);
	}
	free(rows);
	return CTL_EXIT_OK;
}
