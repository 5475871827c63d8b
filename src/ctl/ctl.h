/*
 * DOC: tabbyctl's private interface.
 *
 *   main.c          global options, command dispatch, help, exit codes
 *   manifest.c      reading -f FILE|- : YAML or JSON, one or several documents
 *   kinds.c         the resource kinds (Calico's projectcalico.org/v3 shapes),
 *                   their store keys and their validation
 *   resource_cmd.c  apply, create, replace, delete, get, label
 *   output.c        tables, JSON and YAML output
 *   ipam_cmd.c      ipam show / check / release
 *   agent_cmd.c     node status and version: questions to the local tabbyd
 *
 * Exit codes: 0 success, 1 error, 2 usage.
 */
#ifndef TABBYCTL_H
#define TABBYCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include <tabby/yaml.h>

#define CTL_EXIT_OK    0
#define CTL_EXIT_ERROR 1
#define CTL_EXIT_USAGE 2

#define CTL_DEFAULT_SOCKET    "/run/tabby/tabbyd.sock"
#define CTL_DEFAULT_CONFIG    SYSCONFDIR "/tabby/tabbyd.yaml"
#define CTL_DEFAULT_DATASTORE "sqlite:/var/lib/tabby/tabby.db"

struct store;

enum ctl_output {
	CTL_OUT_TABLE,
	CTL_OUT_WIDE,
	CTL_OUT_JSON,
	CTL_OUT_YAML,
};

struct ctl {
	const char *config_path; /* --config */
	bool config_explicit;
	const char *datastore;   /* --datastore or TABBY_DATASTORE */
	const char *socket_path; /* --socket */
	enum ctl_output output;
	struct store *store; /* opened on first use */
	FILE *out;
	FILE *err;
};

/* main.c */
int ctl_store(struct ctl *c, struct store **out);
int ctl_usage_error(struct ctl *c, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Parse "-o FORMAT"; 0 or -EINVAL. */
int ctl_parse_output(const char *s, enum ctl_output *out);

/* manifest.c: one document of an input, with its YAML tree for positions. */
struct ctl_doc {
	cJSON *json;
	const struct yaml_node *root; /* owned by the stream */
	const char *file;
	unsigned line;
};

struct ctl_manifest {
	struct yaml_stream *stream;
	struct ctl_doc *docs;
	size_t n;
};

int ctl_manifest_load(const char *path, struct ctl_manifest *m, FILE *err);
void ctl_manifest_free(struct ctl_manifest *m);

/* kinds.c (Calico's cluster kinds), kinds_policy.c (policies, namespaces, endpoints) */
struct ctl_kind {
	const char *name;           /* "IPPool" */
	const char *api_version;    /* "projectcalico.org/v3" */
	const char *const *aliases; /* "ippool", "ippools", "pool", ... */
	bool singleton;             /* one object named "default" (IPAMConfiguration) */
	bool namespaced;            /* metadata.namespace (default "default") */
	bool read_only;             /* written by tabbyd, not by apply (WorkloadEndpoint) */
	/* Store key of an object (namespace is NULL for cluster-scoped kinds). */
	void (*key)(const char *ns, const char *name, char *buf, size_t len);
	/* Keys of this kind start with key_prefix (then "<ns>/" when namespaced). */
	const char *key_prefix;
	/*
	 * Validate a document (already checked: apiVersion, kind, metadata.name,
	 * metadata.namespace set for namespaced kinds). On error: -EINVAL with path
	 * (field) and msg filled. Warnings about fields Tabby accepts but does not
	 * implement go to warn(). May normalise doc.
	 */
	int (*validate)(cJSON *doc, char *path, size_t pathlen, char *msg, size_t msglen,
	                void (*warn)(void *arg, const char *field, const char *what), void *arg);
	/* Table columns: header names and a getter per column. */
	const char *const *columns;
	const char *const *wide_columns;
	void (*row)(const cJSON *doc, bool wide, char **cells, size_t ncells);
};

/* By a name or alias given on the command line (case-insensitive). */
const struct ctl_kind *ctl_kind_find(const char *name);
/* By a document's apiVersion and kind. */
const struct ctl_kind *ctl_kind_find_doc(const char *api_version, const char *kind);
/* Names of every kind, for help and errors. */
const char *ctl_kind_names(void);
/* Any scalar at doc.a.b[.c] as text (malloc'ed), dflt when absent. */
char *ctl_cell(const cJSON *doc, const char *a, const char *b, const char *c, const char *dflt);
/*
 * Cross-document checks of a set of IPPools about to be written (overlaps
 * with each other and with the pools already stored that are not replaced).
 */
int ctl_pools_check_overlap(struct store *s, cJSON *const *pools, size_t n, size_t *bad, char *msg,
                            size_t msglen);
/* kinds_policy.c: the extra kinds, searched after kinds.c's. */
extern const struct ctl_kind *const ctl_policy_kinds[];
extern const size_t ctl_n_policy_kinds;

/* policy_cmd.c */
int ctl_cmd_policy(struct ctl *c, int argc, char **argv);

/* resource_cmd.c */
int ctl_cmd_apply(struct ctl *c, int argc, char **argv); /* also create, replace */
int ctl_cmd_delete(struct ctl *c, int argc, char **argv);
int ctl_cmd_get(struct ctl *c, int argc, char **argv);
int ctl_cmd_label(struct ctl *c, int argc, char **argv);

/* output.c */
void ctl_print_table(FILE *out, const char *const *header, char ***rows, size_t nrows);
int ctl_print_json(FILE *out, const cJSON *j);
int ctl_print_yaml(FILE *out, const cJSON *j);
/* A list of documents in the chosen format ("List" wrapper for json/yaml when many). */
int ctl_print_docs(struct ctl *c, const struct ctl_kind *k, cJSON **docs, size_t n, bool single);

/* ipam_cmd.c */
int ctl_cmd_ipam(struct ctl *c, int argc, char **argv);

/* agent_cmd.c */
int ctl_cmd_node(struct ctl *c, int argc, char **argv);
int ctl_cmd_version(struct ctl *c, int argc, char **argv);
/* GET path from the local tabbyd; *body is its JSON reply. -ECONNREFUSED/-ENOENT: not running. */
int ctl_agent_get(struct ctl *c, const char *path, cJSON **body, char *err, size_t errlen);

#endif
