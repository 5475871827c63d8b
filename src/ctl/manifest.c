/*
 * DOC: reading manifests for apply/create/replace/delete -f.
 *
 * A file (or "-" for standard input) holds one or several YAML documents
 * separated by "---"; JSON is accepted too (it is YAML's flow style). Each
 * non-empty document becomes a cJSON tree, and keeps its YAML tree so that a
 * validation error can name the file and line of the offending field.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int ctl_read_stdin(char **out, size_t *len)
{
	size_t cap = 65536, n = 0, r;
	char *buf = malloc(cap), *nb;

	if (!buf)
		return -ENOMEM;
	while ((r = fread(buf + n, 1, cap - n, stdin)) > 0) {
		n += r;
		if (n == cap) {
			if (cap >= YAML_MAX_INPUT) {
				free(buf);
				return -E2BIG;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
	}
	if (ferror(stdin)) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	*len = n;
	return 0;
}

int ctl_manifest_load(const char *path, struct ctl_manifest *m, FILE *err)
{
	struct yaml_error yerr;
	char *data = NULL;
	size_t len = 0, i;
	int ret;

	memset(m, 0, sizeof(*m));
	if (strcmp(path, "-") == 0) {
		ret = ctl_read_stdin(&data, &len);
		if (ret < 0) {
			fprintf(err, "tabbyctl: <stdin>: %s\n", strerror(-ret));
			return ret;
		}
		ret = yaml_load_buffer("<stdin>", data, len, &m->stream, &yerr);
		free(data);
	} else {
		ret = yaml_load_file(path, &m->stream, &yerr);
	}
	if (ret < 0) {
		fprintf(err, "tabbyctl: %s\n", yerr.text);
		return ret;
	}
	m->docs = calloc(m->stream->ndocs ? m->stream->ndocs : 1, sizeof(*m->docs));
	if (!m->docs) {
		ctl_manifest_free(m);
		return -ENOMEM;
	}
	for (i = 0; i < m->stream->ndocs; i++) {
		const struct yaml_node *root = m->stream->docs[i];
		struct ctl_doc *d = &m->docs[m->n];

		if (!root || yaml_node_is_null(root))
			continue; /* an empty document, e.g. a trailing "---" */
		if (root->kind != YAML_KIND_MAPPING) {
			yaml_node_error(root, &yerr, "a resource must be a mapping, got %s",
			                yaml_kind_name(root->kind));
			fprintf(err, "tabbyctl: %s\n", yerr.text);
			ctl_manifest_free(m);
			return -EINVAL;
		}
		d->json = yaml_to_json(root, &yerr);
		if (!d->json) {
			fprintf(err, "tabbyctl: %s\n", yerr.text);
			ctl_manifest_free(m);
			return -EINVAL;
		}
		d->root = root;
		d->file = m->stream->file;
		d->line = root->line;
		m->n++;
	}
	if (m->n == 0) {
		fprintf(err, "tabbyctl: %s: no resources found\n", m->stream->file);
		ctl_manifest_free(m);
		return -EINVAL;
	}
	return 0;
}

void ctl_manifest_free(struct ctl_manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		cJSON_Delete(m->docs[i].json);
	free(m->docs);
	yaml_stream_free(m->stream);
	memset(m, 0, sizeof(*m));
}
