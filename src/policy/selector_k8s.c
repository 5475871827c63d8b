/*
 * DOC: Kubernetes LabelSelector (meta/v1) to selector AST.
 *
 * matchLabels {k: v} becomes k == "v"; matchExpressions become In -> "k in
 * {...}", NotIn -> "k not in {...}" (which, as in Kubernetes, also matches
 * when k is absent), Exists -> has(k), DoesNotExist -> !has(k). All terms are
 * ANDed; an empty or absent selector selects everything. Keys and values are
 * checked against the Kubernetes label syntax so that every converted
 * selector prints to a canonical form that parses back.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tabby/policy.h>

#include "model_private.h"
#include "selector_private.h"

/* Kubernetes label key: [prefix/]name; name up to 63 of [A-Za-z0-9._-]. */
static bool k8s_label_key_ok(const char *k)
{
	size_t n = strlen(k);
	const char *c;

	if (n == 0 || n > 253 + 1 + 63)
		return false;
	for (c = k; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-' || *c == '/'))
			return false;
	return strchr(k, '/') == strrchr(k, '/') && k[n - 1] != '/' && k[0] != '/';
}

/* Kubernetes label value: empty, or up to 63 of [A-Za-z0-9._-]. */
static bool k8s_label_value_ok(const char *v)
{
	const char *c;

	if (strlen(v) > 63)
		return false;
	for (c = v; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-'))
			return false;
	return true;
}

static int k8s_and(struct policy_selector **acc, struct policy_selector *term)
{
	if (!term)
		return -ENOMEM;
	*acc = policy_selector_and(*acc, term);
	return *acc ? 0 : -ENOMEM;
}

static int k8s_match_labels(const cJSON *ml, const char *path, struct policy_selector **acc,
                            struct json_error *err)
{
	const cJSON *it;
	char p[JSON_PATH_MAX];

	cJSON_ArrayForEach(it, ml)
	{
		model_path(p, sizeof(p), "%s.matchLabels.%s", path, it->string);
		if (!k8s_label_key_ok(it->string))
			return json_error_at(err, p, "invalid label key");
		if (!cJSON_IsString(it))
			return json_error_at(err, p, "expected a string, got %s",
			                     json_type_name(it));
		if (!k8s_label_value_ok(it->valuestring))
			return json_error_at(err, p, "invalid label value \"%s\"", it->valuestring);
		if (k8s_and(acc, policy_selector_eq(it->string, it->valuestring)))
			return -ENOMEM;
	}
	return 0;
}

static int k8s_expression(const cJSON *e, const char *p, struct policy_selector **acc,
                          struct json_error *err)
{
	const char *key, *op;
	const cJSON *vals = NULL, *v;
	struct policy_selector *n;
	char vp[JSON_PATH_MAX + 16];
	size_t count = 0;
	bool want_values;
	int rc, i = 0;

	model_path(vp, sizeof(vp), "%s.key", p);
	rc = json_get_string(e, "key", &key, err);
	if (rc)
		return json_error_at(err, vp, "%s",
		                     rc == -ENOENT ? "missing" : "expected a string");
	if (!k8s_label_key_ok(key))
		return json_error_at(err, vp, "invalid label key \"%s\"", key);
	model_path(vp, sizeof(vp), "%s.operator", p);
	rc = json_get_string(e, "operator", &op, err);
	if (rc)
		return json_error_at(err, vp, "%s",
		                     rc == -ENOENT ? "missing" : "expected a string");
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	if (strcmp(op, "In") == 0) {
		n->op = SEL_IN;
	} else if (strcmp(op, "NotIn") == 0) {
		n->op = SEL_NOT_IN;
	} else if (strcmp(op, "Exists") == 0) {
		n->op = SEL_HAS;
	} else if (strcmp(op, "DoesNotExist") == 0) {
		n->op = SEL_HAS;
	} else {
		rc = json_error_at(err, vp, "must be In, NotIn, Exists or DoesNotExist");
		goto fail;
	}
	want_values = n->op != SEL_HAS;
	n->key = strdup(key);
	if (!n->key) {
		rc = -ENOMEM;
		goto fail;
	}
	vals = json_get(e, "values");
	if (vals && !cJSON_IsNull(vals) && !cJSON_IsArray(vals)) {
		model_path(vp, sizeof(vp), "%s.values", p);
		rc = json_error_at(err, vp, "expected an array, got %s", json_type_name(vals));
		goto fail;
	}
	count = vals ? (size_t)cJSON_GetArraySize(vals) : 0;
	if (want_values && count == 0) {
		model_path(vp, sizeof(vp), "%s.values", p);
		rc = json_error_at(err, vp, "must be non-empty for %s", op);
		goto fail;
	}
	if (!want_values && count) {
		model_path(vp, sizeof(vp), "%s.values", p);
		rc = json_error_at(err, vp, "must be empty for %s", op);
		goto fail;
	}
	if (count) {
		n->values = calloc(count, sizeof(char *));
		if (!n->values) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	cJSON_ArrayForEach(v, vals)
	{
		model_path(vp, sizeof(vp), "%s.values[%d]", p, i++);
		if (!cJSON_IsString(v) || !k8s_label_value_ok(v->valuestring)) {
			rc = json_error_at(err, vp, "invalid label value");
			goto fail;
		}
		if (!(n->values[n->n_values] = strdup(v->valuestring))) {
			rc = -ENOMEM;
			goto fail;
		}
		n->n_values++;
	}
	sel_values_normalize(n);
	if (strcmp(op, "DoesNotExist") == 0 && !(n = policy_selector_not(n)))
		return -ENOMEM;
	return k8s_and(acc, n);
fail:
	policy_selector_free(n);
	return rc;
}

int policy_selector_from_k8s(const cJSON *root, const char *path, struct policy_selector **out,
                             struct json_error *err)
{
	const cJSON *ls = json_get(root, path), *exprs, *e;
	struct policy_selector *acc = NULL;
	char p[JSON_PATH_MAX];
	int rc = -ENOMEM, i = 0;

	*out = NULL;
	acc = policy_selector_all();
	if (!acc)
		goto fail;
	if (!ls || cJSON_IsNull(ls))
		goto done;
	if (!cJSON_IsObject(ls)) {
		rc = json_error_at(err, path, "expected an object, got %s", json_type_name(ls));
		goto fail;
	}
	for (e = ls->child; e; e = e->next)
		if (strcmp(e->string, "matchLabels") && strcmp(e->string, "matchExpressions")) {
			model_path(p, sizeof(p), "%s.%s", path, e->string);
			rc = json_error_at(err, p, "unknown field");
			goto fail;
		}
	e = json_get(ls, "matchLabels");
	if (e && !cJSON_IsNull(e)) {
		if (!cJSON_IsObject(e)) {
			model_path(p, sizeof(p), "%s.matchLabels", path);
			rc = json_error_at(err, p, "expected an object, got %s", json_type_name(e));
			goto fail;
		}
		if ((rc = k8s_match_labels(e, path, &acc, err)))
			goto fail;
	}
	exprs = json_get(ls, "matchExpressions");
	if (exprs && !cJSON_IsNull(exprs) && !cJSON_IsArray(exprs)) {
		model_path(p, sizeof(p), "%s.matchExpressions", path);
		rc = json_error_at(err, p, "expected an array, got %s", json_type_name(exprs));
		goto fail;
	}
	cJSON_ArrayForEach(e, exprs)
	{
		model_path(p, sizeof(p), "%s.matchExpressions[%d]", path, i++);
		if (!cJSON_IsObject(e)) {
			rc = json_error_at(err, p, "expected an object, got %s", json_type_name(e));
			goto fail;
		}
		if ((rc = k8s_expression(e, p, &acc, err)))
			goto fail;
	}
done:
	*out = acc;
	return 0;
fail:
	policy_selector_free(acc);
	return rc;
}
