/*
 * DOC: apply, create, replace, delete, get and label.
 *
 * Every document of a manifest is checked before anything is written: its
 * apiVersion and kind, its name, its fields (kinds.c), pool overlaps across
 * the manifest and the store, and its existence for create/replace. Then all
 * of them are written in ONE datastore transaction, each step a
 * compare-and-swap on the revision that was checked: an apply of several
 * documents writes all or nothing, and a concurrent writer makes it fail
 * cleanly instead of being overwritten.
 *
 * Errors name the file, the line and the field:
 *   pools.yaml:7: spec.cidr: "10.0.0.0/33" is not a valid CIDR
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/ipam.h>
#include <tabby/json.h>
#include <tabby/store.h>

#include "ctl.h"
#include "node_cleanup.h"

#define CTL_API_VERSION "projectcalico.org/v3"
#define CTL_KEY_MAX     512

static const char apply_usage[] =
    "usage: tabbyctl apply|create|replace -f FILE|-\n"
    "  apply: create or replace; create: fail if a resource exists; replace: fail if one\n"
    "  does not. Every document is validated first; then all are written, or none.\n";
static const char delete_usage[] = "usage: tabbyctl delete -f FILE|- | KIND NAME [-n NAMESPACE]\n";
static const char get_usage[] =
    "usage: tabbyctl get KIND [NAME] [-n NAMESPACE | -A] [-o table|wide|json|yaml]\n";
static const char label_usage[] =
    "usage: tabbyctl label KIND NAME [-n NAMESPACE] key=value|key- ... [--overwrite]\n";

/* "FILE:LINE: PATH: MSG", the line being that of the field (or of the document). */
static void ctl_doc_error(struct ctl *c, const struct ctl_doc *d, const char *path, const char *fmt,
                          ...) __attribute__((format(printf, 4, 5)));

static void ctl_doc_error(struct ctl *c, const struct ctl_doc *d, const char *path, const char *fmt,
                          ...)
{
	const struct yaml_node *n = NULL;
	char buf[256];
	unsigned line = d->line;
	va_list ap;

	if (path && *path) {
		snprintf(buf, sizeof(buf), "%s", path);
		/* The field, or its nearest existing ancestor. */
		while (!(n = yaml_find_path(d->root, buf))) {
			char *cut = strrchr(buf, '.');
			char *br = strrchr(buf, '[');

			if (br && (!cut || br > cut))
				cut = br;
			if (!cut)
				break;
			*cut = '\0';
		}
		if (n)
			line = n->line;
	}
	fprintf(c->err, "tabbyctl: %s:%u: %s%s", d->file, line, path ? path : "",
	        path && *path ? ": " : "");
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
}

struct ctl_warn_ctx {
	struct ctl *c;
	const struct ctl_doc *d;
};

static void ctl_warn(void *arg, const char *field, const char *what)
{
	struct ctl_warn_ctx *w = arg;
	const struct yaml_node *n = yaml_find_path(w->d->root, field);

	fprintf(w->c->err, "tabbyctl: warning: %s:%u: %s: %s\n", w->d->file,
	        n ? n->line : w->d->line, field, what);
}

/* Kubernetes object names: DNS-1123 subdomain. */
static bool ctl_name_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 253 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-' ||
		      s[i] == '.'))
			return false;
	return true;
}

/* Kubernetes namespace names: DNS-1123 label. */
static bool ctl_namespace_valid(const char *s)
{
	return strlen(s) <= 63 && !strchr(s, '.') && ctl_name_valid(s);
}

/*
 * Document-level checks shared by every command that reads manifests: the
 * kind (by apiVersion and kind), the name and, for namespaced kinds, the
 * namespace (set to "default" when absent, as kubectl does).
 */
static int ctl_doc_identify(struct ctl *c, const struct ctl_doc *d, const struct ctl_kind **kind,
                            const char **ns, const char **name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d->json, "apiVersion");
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(d->json, "kind");
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(d->json, "metadata");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(meta, "name");
	const cJSON *nsj = cJSON_GetObjectItemCaseSensitive(meta, "namespace");
	const struct ctl_kind *byname;

	if (!cJSON_IsString(k)) {
		ctl_doc_error(c, d, "kind", "missing");
		return -EINVAL;
	}
	byname = ctl_kind_find(k->valuestring);
	if (!byname || strcmp(byname->name, k->valuestring) != 0) {
		ctl_doc_error(c, d, "kind", "unknown kind \"%s\" (known: %s)", k->valuestring,
		              ctl_kind_names());
		return -EINVAL;
	}
	if (!cJSON_IsString(v)) {
		ctl_doc_error(c, d, "apiVersion", "missing (expected \"%s\")", byname->api_version);
		return -EINVAL;
	}
	*kind = ctl_kind_find_doc(v->valuestring, k->valuestring);
	if (!*kind) {
		ctl_doc_error(c, d, "apiVersion", "\"%s\" has no kind %s (expected \"%s\")",
		              v->valuestring, k->valuestring, byname->api_version);
		return -EINVAL;
	}
	if (!cJSON_IsObject(meta) || !cJSON_IsString(n)) {
		ctl_doc_error(c, d, "metadata.name", "missing");
		return -EINVAL;
	}
	if (!ctl_name_valid(n->valuestring)) {
		ctl_doc_error(c, d, "metadata.name",
		              "\"%s\" is not a valid name (lower-case letters, digits, '-' and "
		              "'.', at most 253)",
		              n->valuestring);
		return -EINVAL;
	}
	if ((*kind)->singleton && strcmp(n->valuestring, "default") != 0) {
		ctl_doc_error(c, d, "metadata.name", "a %s must be named \"default\"",
		              (*kind)->name);
		return -EINVAL;
	}
	*ns = NULL;
	if ((*kind)->namespaced) {
		if (!nsj)
			nsj = cJSON_AddStringToObject(meta, "namespace", "default");
		if (!cJSON_IsString(nsj) || !ctl_namespace_valid(nsj->valuestring)) {
			ctl_doc_error(c, d, "metadata.namespace", "not a valid namespace name");
			return -EINVAL;
		}
		*ns = nsj->valuestring;
	} else if (nsj && !(*kind)->read_only) {
		ctl_doc_error(c, d, "metadata.namespace", "a %s is not namespaced", (*kind)->name);
		return -EINVAL;
	}
	*name = n->valuestring;
	return 0;
}

/* resourceVersion is the store revision; it is not stored in the value. */
static int64_t ctl_take_resource_version(cJSON *doc)
{
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
	cJSON *rv = cJSON_DetachItemFromObjectCaseSensitive(meta, "resourceVersion");
	int64_t v = 0;

	if (cJSON_IsString(rv))
		v = strtoll(rv->valuestring, NULL, 10);
	else if (cJSON_IsNumber(rv))
		v = (int64_t)rv->valuedouble;
	cJSON_Delete(rv);
	return v;
}

enum ctl_write_mode { CTL_APPLY, CTL_CREATE, CTL_REPLACE };

struct ctl_pending {
	const struct ctl_kind *kind;
	const char *ns;
	const char *name;
	char key[CTL_KEY_MAX];
	char *value;
	int64_t rev;
	bool exists;
};

/* An IPPool's CIDR and block size are fixed once it exists (its blocks depend on them). */
static int ctl_pool_change_check(struct ctl *c, const struct ctl_doc *d, const char *stored)
{
	cJSON *old = cJSON_Parse(stored);
	const cJSON *os = cJSON_GetObjectItemCaseSensitive(old, "spec");
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(d->json, "spec");
	const cJSON *oc = cJSON_GetObjectItemCaseSensitive(os, "cidr");
	const cJSON *nc = cJSON_GetObjectItemCaseSensitive(ns, "cidr");
	const cJSON *ob = cJSON_GetObjectItemCaseSensitive(os, "blockSize");
	const cJSON *nb = cJSON_GetObjectItemCaseSensitive(ns, "blockSize");
	struct prefix po, pn;
	int ret = 0;

	if (cJSON_IsString(oc) && cJSON_IsString(nc) &&
	    prefix_parse(oc->valuestring, &po, false) == 0 &&
	    prefix_parse(nc->valuestring, &pn, false) == 0 && !prefix_eq(&po, &pn)) {
		ctl_doc_error(c, d, "spec.cidr",
		              "the CIDR of an existing pool cannot change (%s): create a new pool "
		              "and disable this one",
		              oc->valuestring);
		ret = -EINVAL;
	} else if (cJSON_IsNumber(ob) && cJSON_IsNumber(nb) && ob->valuedouble != nb->valuedouble) {
		ctl_doc_error(c, d, "spec.blockSize",
		              "the block size of an existing pool cannot change (%.0f)",
		              ob->valuedouble);
		ret = -EINVAL;
	}
	cJSON_Delete(old);
	return ret;
}

static int ctl_write(struct ctl *c, struct ctl_manifest *m, enum ctl_write_mode mode)
{
	struct ctl_pending *pend = NULL;
	struct store_op *ops = NULL;
	cJSON **pools = NULL;
	size_t i, j, npools = 0, failed = 0;
	struct store *s;
	int ret;

	if (ctl_store(c, &s) < 0)
		return CTL_EXIT_ERROR;
	pend = calloc(m->n, sizeof(*pend));
	ops = calloc(m->n, sizeof(*ops));
	pools = calloc(m->n, sizeof(*pools));
	ret = -ENOMEM;
	if (!pend || !ops || !pools)
		goto out;
	for (i = 0; i < m->n; i++) {
		struct ctl_doc *d = &m->docs[i];
		struct ctl_warn_ctx w = {c, d};
		struct store_kv kv = {0};
		char path[256] = "", msg[512] = "";
		int64_t rv;

		ret = ctl_doc_identify(c, d, &pend[i].kind, &pend[i].ns, &pend[i].name);
		if (ret < 0)
			goto out;
		for (j = 0; j < i; j++) {
			if (pend[j].kind == pend[i].kind &&
			    strcmp(pend[j].name, pend[i].name) == 0 &&
			    (!pend[i].ns || strcmp(pend[j].ns, pend[i].ns) == 0)) {
				ctl_doc_error(c, d, "metadata.name", "%s \"%s\" appears twice",
				              pend[i].kind->name, pend[i].name);
				ret = -EINVAL;
				goto out;
			}
		}
		rv = ctl_take_resource_version(d->json);
		ret = pend[i].kind->validate(d->json, path, sizeof(path), msg, sizeof(msg),
		                             ctl_warn, &w);
		if (ret < 0) {
			ctl_doc_error(c, d, path, "%s", msg);
			goto out;
		}
		if (strcmp(pend[i].kind->name, "IPPool") == 0)
			pools[npools++] = d->json;
		pend[i].kind->key(pend[i].ns, pend[i].name, pend[i].key, sizeof(pend[i].key));
		ret = store_get(s, pend[i].key, &kv);
		if (ret < 0 && ret != -ENOENT) {
			fprintf(c->err, "tabbyctl: reading %s: %s\n", pend[i].key,
			        store_strerror(ret));
			goto out;
		}
		pend[i].exists = ret == 0;
		pend[i].rev = pend[i].exists ? kv.mod_rev : 0;
		if (pend[i].exists && strcmp(pend[i].kind->name, "IPPool") == 0)
			ret = ctl_pool_change_check(c, d, kv.value);
		else
			ret = 0;
		store_kv_clear(&kv);
		if (ret < 0)
			goto out;
		if (mode == CTL_CREATE && pend[i].exists) {
			ctl_doc_error(c, d, "metadata.name", "%s \"%s\" already exists",
			              pend[i].kind->name, pend[i].name);
			ret = -EEXIST;
			goto out;
		}
		if (mode == CTL_REPLACE && !pend[i].exists) {
			ctl_doc_error(c, d, "metadata.name", "%s \"%s\" does not exist",
			              pend[i].kind->name, pend[i].name);
			ret = -ENOENT;
			goto out;
		}
		if (rv && pend[i].exists && rv != pend[i].rev) {
			ctl_doc_error(c, d, "metadata.resourceVersion",
			              "%lld is not the current version (%lld): get it again",
			              (long long)rv, (long long)pend[i].rev);
			ret = -ESTALE;
			goto out;
		}
		pend[i].value = cJSON_PrintUnformatted(d->json);
		if (!pend[i].value) {
			ret = -ENOMEM;
			goto out;
		}
		ops[i].type = pend[i].exists ? STORE_OP_UPDATE : STORE_OP_CREATE;
		ops[i].key = pend[i].key;
		ops[i].value = pend[i].value;
		ops[i].rev = pend[i].rev;
	}
	if (npools) {
		char msg[512];
		size_t bad = 0, k;

		ret = ctl_pools_check_overlap(s, pools, npools, &bad, msg, sizeof(msg));
		if (ret < 0) {
			for (k = 0; k < m->n && m->docs[k].json != pools[bad]; k++)
				;
			if (k < m->n)
				ctl_doc_error(c, &m->docs[k], "spec.cidr", "%s", msg);
			else
				fprintf(c->err, "tabbyctl: %s\n", msg);
			goto out;
		}
	}
	ret = store_txn(s, ops, m->n, NULL, &failed);
	if (ret < 0) {
		if (ret == -ESTALE || ret == -EEXIST || ret == -ENOENT)
			ctl_doc_error(c, &m->docs[failed], NULL,
			              "%s \"%s\" was changed by someone else meanwhile: nothing "
			              "was written, try again",
			              pend[failed].kind->name, pend[failed].name);
		else
			fprintf(c->err, "tabbyctl: writing to the datastore: %s\n",
			        store_strerror(ret));
		goto out;
	}
	fprintf(c->out, "Successfully %s %zu resource(s)\n",
	        mode == CTL_CREATE    ? "created"
	        : mode == CTL_REPLACE ? "replaced"
	                              : "applied",
	        m->n);
out:
	if (pend)
		for (i = 0; i < m->n; i++)
			cJSON_free(pend[i].value);
	free(pend);
	free(ops);
	free(pools);
	return ret < 0 ? CTL_EXIT_ERROR : CTL_EXIT_OK;
}

/* Parse "-f FILE" and --help for apply/create/replace/delete. */
static int ctl_file_args(struct ctl *c, int argc, char **argv, const char *usage, const char **file,
                         int *rest)
{
	static const struct option opts[] = {
	    {"filename", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	*file = NULL;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			*file = optarg;
			break;
		case 'h':
			fputs(usage, c->out);
			return 1;
		default:
			fputs(usage, c->err);
			return -1;
		}
	}
	*rest = optind;
	return 0;
}

int ctl_cmd_apply(struct ctl *c, int argc, char **argv)
{
	struct ctl_manifest m;
	enum ctl_write_mode mode = strcmp(argv[0], "create") == 0    ? CTL_CREATE
	                           : strcmp(argv[0], "replace") == 0 ? CTL_REPLACE
	                                                             : CTL_APPLY;
	const char *file;
	int rest, r;

	r = ctl_file_args(c, argc, argv, apply_usage, &file, &rest);
	if (r != 0)
		return r > 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	if (!file)
		return ctl_usage_error(c, apply_usage, "%s: -f FILE is required", argv[0]);
	if (rest < argc)
		return ctl_usage_error(c, apply_usage, "%s: unexpected argument \"%s\"", argv[0],
		                       argv[rest]);
	if (ctl_manifest_load(file, &m, c->err) < 0)
		return CTL_EXIT_ERROR;
	r = ctl_write(c, &m, mode);
	ctl_manifest_free(&m);
	return r;
}

/* Does a stored document belong to kind k (several kinds share a key prefix)? */
static bool ctl_doc_is(const cJSON *doc, const struct ctl_kind *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "apiVersion");
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");

	return cJSON_IsString(v) && cJSON_IsString(kind) &&
	       strcmp(v->valuestring, k->api_version) == 0 &&
	       strcmp(kind->valuestring, k->name) == 0;
}

/*
 * The store key of NAME (in namespace ns) of kind k. Workload endpoints live
 * under their node (workloads/<node>/<name>): found by scanning.
 */
static int ctl_locate(struct store *s, const struct ctl_kind *k, const char *ns, const char *name,
                      char *key, size_t len)
{
	struct store_list l = {0};
	size_t i, found = 0;
	int ret;

	if (!k->read_only) {
		k->key(k->namespaced ? ns : NULL, name, key, len);
		return 0;
	}
	ret = store_list(s, k->key_prefix, &l);
	for (i = 0; ret == 0 && i < l.n; i++) {
		const char *slash = strrchr(l.kvs[i].key, '/');
		cJSON *doc;
		const cJSON *dns;

		if (!slash || strcmp(slash + 1, name) != 0)
			continue;
		doc = cJSON_Parse(l.kvs[i].value);
		dns = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(doc, "metadata"), "namespace");
		if (!ns || (cJSON_IsString(dns) && strcmp(dns->valuestring, ns) == 0)) {
			snprintf(key, len, "%s", l.kvs[i].key);
			found++;
		}
		cJSON_Delete(doc);
	}
	store_list_free(&l);
	if (ret < 0)
		return ret;
	return found == 1 ? 0 : found ? -EEXIST : -ENOENT;
}

static void ctl_not_found(struct ctl *c, const struct ctl_kind *k, const char *ns, const char *name,
                          int err)
{
	if (err == -ENOENT)
		fprintf(c->err, "tabbyctl: %s \"%s\"%s%s not found\n", k->name, name,
		        k->namespaced ? " in namespace " : "", k->namespaced ? ns : "");
	else if (err == -EEXIST)
		fprintf(c->err, "tabbyctl: %s \"%s\" is ambiguous: give its namespace with -n\n",
		        k->name, name);
	else
		fprintf(c->err, "tabbyctl: %s \"%s\": %s\n", k->name, name, store_strerror(err));
}

static int ctl_delete_one(struct ctl *c, struct store *s, const struct ctl_kind *k, const char *ns,
                          const char *name)
{
	char key[CTL_KEY_MAX], err[IPAM_ERRLEN];
	int ret;

	if (k->read_only) {
		fprintf(c->err, "tabbyctl: %s \"%s\": written by tabbyd (CNI DEL removes it)\n",
		        k->name, name);
		return -EPERM;
	}
	if (strcmp(k->name, "IPPool") == 0) {
		/* Through IPAM: its empty blocks go too; a pool in use is refused. */
		ret = ipam_pool_delete(s, name, err, sizeof(err));
		if (ret == -ENOENT)
			fprintf(c->err, "tabbyctl: IPPool \"%s\" not found\n", name);
		else if (ret < 0)
			fprintf(c->err, "tabbyctl: IPPool \"%s\": %s\n", name, err);
		return ret;
	}
	k->key(k->namespaced ? ns : NULL, name, key, sizeof(key));
	if (strcmp(k->name, "Node") == 0) /* its blocks and allocations go too */
		return ctl_node_delete(c, s, key, name);
	ret = store_delete(s, key, 0);
	if (ret < 0)
		ctl_not_found(c, k, ns, name, ret);
	return ret;
}

/* -n NAMESPACE / -A for the commands that take KIND NAME. */
struct ctl_scope {
	const char *ns;
	bool all;
};

int ctl_cmd_delete(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"filename", required_argument, NULL, 'f'},
	    {"namespace", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const struct ctl_kind *k;
	struct ctl_manifest m;
	struct store *s;
	const char *file = NULL, *name, *ns = "default";
	size_t i, ok = 0;
	int opt, failed = 0;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "f:n:h", opts, NULL)) != -1) {
		if (opt == 'f') {
			file = optarg;
		} else if (opt == 'n') {
			ns = optarg;
		} else if (opt == 'h') {
			fputs(delete_usage, c->out);
			return CTL_EXIT_OK;
		} else {
			fputs(delete_usage, c->err);
			return CTL_EXIT_USAGE;
		}
	}
	if (file) {
		if (optind < argc)
			return ctl_usage_error(c, delete_usage,
			                       "delete: -f and KIND NAME exclude each other");
		if (ctl_manifest_load(file, &m, c->err) < 0)
			return CTL_EXIT_ERROR;
		for (i = 0; i < m.n; i++) {
			if (ctl_doc_identify(c, &m.docs[i], &k, &ns, &name) < 0) {
				ctl_manifest_free(&m);
				return CTL_EXIT_ERROR;
			}
		}
		if (ctl_store(c, &s) < 0) {
			ctl_manifest_free(&m);
			return CTL_EXIT_ERROR;
		}
		for (i = 0; i < m.n; i++) {
			ctl_doc_identify(c, &m.docs[i], &k, &ns, &name);
			if (ctl_delete_one(c, s, k, ns, name) < 0)
				failed = 1;
			else
				ok++;
		}
		ctl_manifest_free(&m);
	} else {
		if (argc - optind != 2)
			return ctl_usage_error(c, delete_usage,
			                       "delete: give -f FILE or KIND NAME");
		k = ctl_kind_find(argv[optind]);
		if (!k)
			return ctl_usage_error(c, NULL, "unknown kind \"%s\" (known: %s)",
			                       argv[optind], ctl_kind_names());
		if (ctl_store(c, &s) < 0)
			return CTL_EXIT_ERROR;
		if (ctl_delete_one(c, s, k, ns, argv[optind + 1]) < 0)
			failed = 1;
		else
			ok++;
	}
	if (ok)
		fprintf(c->out, "Successfully deleted %zu resource(s)\n", ok);
	return failed ? CTL_EXIT_ERROR : CTL_EXIT_OK;
}

/* A stored document with metadata.resourceVersion set from the store. */
static cJSON *ctl_stored_doc(const struct store_kv *kv)
{
	cJSON *doc = cJSON_Parse(kv->value);
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
	char rv[24];

	if (!doc)
		return NULL;
	if (!meta)
		meta = cJSON_AddObjectToObject(doc, "metadata");
	snprintf(rv, sizeof(rv), "%lld", (long long)kv->mod_rev);
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "resourceVersion");
	cJSON_AddStringToObject(meta, "resourceVersion", rv);
	return doc;
}

/* Every object of kind k (in ns, or all namespaces with all). */
static int ctl_list_kind(struct store *s, const struct ctl_kind *k, const struct ctl_scope *sc,
                         cJSON ***out, size_t *n)
{
	struct store_list l = {0};
	char prefix[CTL_KEY_MAX];
	cJSON **docs;
	size_t i;
	int ret;

	*n = 0;
	if (k->namespaced && !sc->all)
		snprintf(prefix, sizeof(prefix), "%s%s/", k->key_prefix, sc->ns);
	else
		snprintf(prefix, sizeof(prefix), "%s", k->key_prefix);
	ret = store_list(s, prefix, &l);
	if (ret < 0)
		return ret;
	docs = calloc(l.n ? l.n : 1, sizeof(*docs));
	if (!docs) {
		store_list_free(&l);
		return -ENOMEM;
	}
	for (i = 0; i < l.n; i++) {
		cJSON *doc = ctl_stored_doc(&l.kvs[i]);
		const cJSON *dns = json_get(doc, "metadata.namespace");

		/* Kinds share prefixes (Calico and Kubernetes policies): keep ours. */
		if (!doc || !ctl_doc_is(doc, k) ||
		    (k->read_only && !sc->all && sc->ns &&
		     !(cJSON_IsString(dns) && strcmp(dns->valuestring, sc->ns) == 0))) {
			cJSON_Delete(doc);
			continue;
		}
		docs[(*n)++] = doc;
	}
	store_list_free(&l);
	*out = docs;
	return 0;
}

int ctl_cmd_get(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"namespace", required_argument, NULL, 'n'},
	    {"all-namespaces", no_argument, NULL, 'A'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ctl_scope sc = {"default", false};
	bool ns_given = false;
	const struct ctl_kind *k;
	struct store_kv kv = {0};
	struct store *s;
	cJSON **docs = NULL;
	size_t n = 0, i;
	char key[CTL_KEY_MAX];
	int opt, ret, rc = CTL_EXIT_ERROR;
	bool single;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "o:n:Ah", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (ctl_parse_output(optarg, &c->output) < 0)
				return ctl_usage_error(c, get_usage, "unknown output format \"%s\"",
				                       optarg);
			break;
		case 'n':
			sc.ns = optarg;
			ns_given = true;
			break;
		case 'A':
			sc.all = true;
			break;
		case 'h':
			fputs(get_usage, c->out);
			return CTL_EXIT_OK;
		default:
			fputs(get_usage, c->err);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc || argc - optind > 2)
		return ctl_usage_error(c, get_usage, "get: give KIND [NAME]");
	k = ctl_kind_find(argv[optind]);
	if (!k)
		return ctl_usage_error(c, NULL, "unknown kind \"%s\" (known: %s)", argv[optind],
		                       ctl_kind_names());
	if (ctl_store(c, &s) < 0)
		return CTL_EXIT_ERROR;
	/* Workload endpoints of every namespace unless -n says which. */
	if (k->read_only && !ns_given)
		sc.all = true;
	single = argc - optind == 2 || k->singleton;
	if (single) {
		const char *name = argc - optind == 2 ? argv[optind + 1] : "default";

		ret = ctl_locate(s, k, sc.all ? NULL : sc.ns, name, key, sizeof(key));
		if (ret == 0)
			ret = store_get(s, key, &kv);
		if (ret == -ENOENT && !(argc - optind == 2)) {
			/* A singleton never written: its defaults apply; show nothing. */
			rc = ctl_print_docs(c, k, NULL, 0, false);
			goto out;
		}
		if (ret < 0) {
			ctl_not_found(c, k, sc.ns, name, ret);
			goto out;
		}
		docs = calloc(1, sizeof(*docs));
		if (!docs || !(docs[0] = ctl_stored_doc(&kv)))
			goto out;
		n = 1;
	} else {
		ret = ctl_list_kind(s, k, &sc, &docs, &n);
		if (ret < 0) {
			fprintf(c->err, "tabbyctl: listing %s: %s\n", k->name, store_strerror(ret));
			goto out;
		}
	}
	rc = ctl_print_docs(c, k, docs, n, single && argc - optind == 2);
out:
	for (i = 0; i < n; i++)
		cJSON_Delete(docs[i]);
	free(docs);
	store_kv_clear(&kv);
	return rc;
}

/* Kubernetes label syntax: [prefix/]name, name and value <= 63 of [A-Za-z0-9-_.]. */
static bool ctl_label_part_valid(const char *s, size_t n, bool empty_ok)
{
	size_t i;

	if (n == 0)
		return empty_ok;
	if (n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

static bool ctl_label_key_valid(const char *k, size_t n)
{
	const char *slash = memchr(k, '/', n);

	if (!slash)
		return ctl_label_part_valid(k, n, false);
	return slash > k && (size_t)(slash - k) <= 253 &&
	       ctl_label_part_valid(slash + 1, n - (size_t)(slash - k) - 1, false);
}

int ctl_cmd_label(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"overwrite", no_argument, NULL, 'w'},
	    {"namespace", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *ns = NULL;
	const struct ctl_kind *k;
	struct store *s;
	char key[CTL_KEY_MAX];
	bool overwrite = false;
	int opt, i, attempt, ret = 0;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		if (opt == 'w') {
			overwrite = true;
		} else if (opt == 'n') {
			ns = optarg;
		} else if (opt == 'h') {
			fputs(label_usage, c->out);
			return CTL_EXIT_OK;
		} else {
			fputs(label_usage, c->err);
			return CTL_EXIT_USAGE;
		}
	}
	if (argc - optind < 3)
		return ctl_usage_error(c, label_usage, "label: give KIND NAME and labels");
	k = ctl_kind_find(argv[optind]);
	if (!k)
		return ctl_usage_error(c, NULL, "unknown kind \"%s\" (known: %s)", argv[optind],
		                       ctl_kind_names());
	for (i = optind + 2; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t kl = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		bool remove = !eq && kl > 0 && argv[i][kl - 1] == '-';

		if (remove)
			kl--;
		if ((!eq && !remove) || !ctl_label_key_valid(argv[i], kl) ||
		    (eq && !ctl_label_part_valid(eq + 1, strlen(eq + 1), true)))
			return ctl_usage_error(c, label_usage,
			                       "label: \"%s\" is not key=value or key-", argv[i]);
	}
	if (ctl_store(c, &s) < 0)
		return CTL_EXIT_ERROR;
	ret = ctl_locate(s, k,
	                 ns             ? ns
	                 : k->read_only ? NULL
	                                : "default",
	                 argv[optind + 1], key, sizeof(key));
	if (ret < 0) {
		ctl_not_found(c, k, ns ? ns : "default", argv[optind + 1], ret);
		return CTL_EXIT_ERROR;
	}
	for (attempt = 0; attempt < 10; attempt++) {
		struct store_kv kv = {0};
		cJSON *doc, *meta, *labels;
		char *value;

		ret = store_get(s, key, &kv);
		if (ret < 0) {
			fprintf(c->err, "tabbyctl: %s \"%s\" %s\n", k->name, argv[optind + 1],
			        ret == -ENOENT ? "not found" : store_strerror(ret));
			return CTL_EXIT_ERROR;
		}
		doc = cJSON_Parse(kv.value);
		meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
		if (!meta)
			meta = cJSON_AddObjectToObject(doc, "metadata");
		labels = cJSON_GetObjectItemCaseSensitive(meta, "labels");
		if (!labels)
			labels = cJSON_AddObjectToObject(meta, "labels");
		for (i = optind + 2; i < argc && labels; i++) {
			char name[320];
			const char *eq = strchr(argv[i], '=');
			size_t kl = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]) - 1;

			snprintf(name, sizeof(name), "%.*s", (int)kl, argv[i]);
			if (!eq) {
				cJSON_DeleteItemFromObjectCaseSensitive(labels, name);
				continue;
			}
			if (cJSON_GetObjectItemCaseSensitive(labels, name) && !overwrite) {
				const cJSON *old = cJSON_GetObjectItemCaseSensitive(labels, name);

				if (cJSON_IsString(old) && strcmp(old->valuestring, eq + 1) == 0)
					continue;
				fprintf(c->err,
				        "tabbyctl: label \"%s\" is already set on %s \"%s\": use "
				        "--overwrite\n",
				        name, k->name, argv[optind + 1]);
				cJSON_Delete(doc);
				store_kv_clear(&kv);
				return CTL_EXIT_ERROR;
			}
			cJSON_DeleteItemFromObjectCaseSensitive(labels, name);
			cJSON_AddStringToObject(labels, name, eq + 1);
		}
		value = doc ? cJSON_PrintUnformatted(doc) : NULL;
		ret = value ? store_update(s, key, value, kv.mod_rev, NULL) : -ENOMEM;
		cJSON_free(value);
		cJSON_Delete(doc);
		store_kv_clear(&kv);
		if (ret != -ESTALE)
			break;
	}
	if (ret < 0) {
		fprintf(c->err, "tabbyctl: labelling %s \"%s\": %s\n", k->name, argv[optind + 1],
		        store_strerror(ret));
		return CTL_EXIT_ERROR;
	}
	fprintf(c->out, "Successfully updated labels of %s \"%s\"\n", k->name, argv[optind + 1]);
	return CTL_EXIT_OK;
}
