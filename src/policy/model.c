/*
 * DOC: the policy model: dispatch on apiVersion/kind, shared helpers,
 * freeing, Calico's evaluation order.
 *
 * Kubernetes NetworkPolicy is parsed by model_k8s.c, Calico NetworkPolicy
 * and GlobalNetworkPolicy by model_calico.c; both produce struct policy.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_private.h"

void model_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

int model_check_fields(const cJSON *obj, const char *path, const char *const *allowed,
                       struct json_error *err)
{
	const cJSON *it;
	const char *const *a;
	char p[JSON_PATH_MAX];

	if (!cJSON_IsObject(obj))
		return json_error_at(err, path, "expected an object, got %s", json_type_name(obj));
	for (it = obj->child; it; it = it->next) {
		for (a = allowed; *a; a++)
			if (strcmp(*a, it->string) == 0)
				break;
		if (!*a) {
			model_path(p, sizeof(p), "%s%s%s", path, *path ? "." : "", it->string);
			return json_error_at(err, p, "unknown or unsupported field");
		}
	}
	return 0;
}

int model_opt_array(const cJSON *root, const char *path, const cJSON **out, struct json_error *err)
{
	int rc = json_get_array(root, path, out, err);

	if (rc == -ENOENT) {
		*out = NULL;
		return 0;
	}
	return rc;
}

int model_opt_string(const cJSON *root, const char *path, const char **out, struct json_error *err)
{
	int rc = json_get_string(root, path, out, err);

	if (rc == -ENOENT) {
		*out = NULL;
		return 0;
	}
	return rc;
}

void model_rule_init(struct policy_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->icmp_type = r->icmp_code = -1;
	r->not_icmp_type = r->not_icmp_code = -1;
}

void model_entity_clear(struct policy_entity *e)
{
	policy_selector_free(e->selector);
	policy_selector_free(e->not_selector);
	free(e->nets);
	free(e->not_nets);
	free(e->ports);
	free(e->not_ports);
	memset(e, 0, sizeof(*e));
}

void model_rule_clear(struct policy_rule *r)
{
	model_entity_clear(&r->src);
	model_entity_clear(&r->dst);
	model_rule_init(r);
}

static int model_dup(void **dst, const void *src, size_t n, size_t size)
{
	*dst = NULL;
	if (n == 0)
		return 0;
	*dst = malloc(n * size);
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, n * size);
	return 0;
}

int model_entity_copy(struct policy_entity *dst, const struct policy_entity *src)
{
	*dst = *src;
	dst->selector = dst->not_selector = NULL;
	dst->nets = dst->not_nets = NULL;
	dst->ports = dst->not_ports = NULL;
	if ((src->selector && !(dst->selector = policy_selector_clone(src->selector))) ||
	    (src->not_selector &&
	     !(dst->not_selector = policy_selector_clone(src->not_selector))) ||
	    model_dup((void **)&dst->nets, src->nets, src->n_nets, sizeof(*src->nets)) ||
	    model_dup((void **)&dst->not_nets, src->not_nets, src->n_not_nets,
	              sizeof(*src->not_nets)) ||
	    model_dup((void **)&dst->ports, src->ports, src->n_ports, sizeof(*src->ports)) ||
	    model_dup((void **)&dst->not_ports, src->not_ports, src->n_not_ports,
	              sizeof(*src->not_ports))) {
		model_entity_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

int model_add_rule(struct policy *p, enum policy_dir dir, struct policy_rule *r)
{
	struct policy_rule *v = realloc(p->rules[dir], (p->n_rules[dir] + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	p->rules[dir] = v;
	v[p->n_rules[dir]++] = *r;
	memset(r, 0, sizeof(*r));
	model_rule_init(r);
	return 0;
}

int model_add_net(struct prefix **v, size_t *n, const struct prefix *p)
{
	struct prefix *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[(*n)++] = *p;
	return 0;
}

int model_add_port(struct policy_port_range **v, size_t *n, uint16_t first, uint16_t last)
{
	struct policy_port_range *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n].first = first;
	nv[*n].last = last;
	(*n)++;
	return 0;
}

/* RFC 1123 DNS label / subdomain, as Kubernetes names and namespaces are. */
static bool model_name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	const char *c;

	if (n == 0 || n > max)
		return false;
	for (c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
		      *c == '.'))
			return false;
	return s[0] != '-' && s[0] != '.' && s[n - 1] != '-' && s[n - 1] != '.';
}

int model_metadata(const cJSON *obj, struct policy *p, bool namespaced, struct json_error *err)
{
	const char *name, *ns = NULL;
	int rc;

	rc = json_get_string(obj, "metadata.name", &name, err);
	if (rc)
		return rc == -ENOENT ? -EINVAL : rc;
	if (!model_name_ok(name, 253))
		return json_error_at(err, "metadata.name",
		                     "\"%s\" is not a valid name (lower-case DNS subdomain)", name);
	if (namespaced) {
		if ((rc = model_opt_string(obj, "metadata.namespace", &ns, err)))
			return rc;
		if (!ns)
			ns = "default";
		if (!model_name_ok(ns, 63) || strchr(ns, '.'))
			return json_error_at(err, "metadata.namespace",
			                     "\"%s\" is not a valid namespace (DNS label)", ns);
	} else if (json_get(obj, "metadata.namespace")) {
		return json_error_at(err, "metadata.namespace",
		                     "a GlobalNetworkPolicy is not namespaced");
	}
	p->name = strdup(name);
	if (!p->name || (ns && !(p->namespace = strdup(ns))))
		return -ENOMEM;
	return 0;
}

int policy_parse(const cJSON *obj, struct policy **out, struct json_error *err)
{
	struct policy *p = NULL;
	const char *api, *kind;
	int rc;

	*out = NULL;
	if (!cJSON_IsObject(obj)) {
		rc = json_error_at(err, "", "expected an object, got %s", json_type_name(obj));
		goto fail;
	}
	if ((rc = json_get_string(obj, "apiVersion", &api, err)) ||
	    (rc = json_get_string(obj, "kind", &kind, err))) {
		rc = rc == -ENOENT ? -EINVAL : rc;
		goto fail;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		rc = -ENOMEM;
		goto fail;
	}
	if (strcmp(api, "networking.k8s.io/v1") == 0) {
		if (strcmp(kind, "NetworkPolicy")) {
			rc = json_error_at(err, "kind", "\"%s\" is not a policy kind of %s", kind,
			                   api);
			goto fail;
		}
		p->kind = POLICY_K8S;
		rc = model_parse_k8s(obj, p, err);
	} else if (strcmp(api, "projectcalico.org/v3") == 0) {
		if (strcmp(kind, "NetworkPolicy") == 0) {
			p->kind = POLICY_CALICO;
		} else if (strcmp(kind, "GlobalNetworkPolicy") == 0) {
			p->kind = POLICY_CALICO_GLOBAL;
		} else {
			rc = json_error_at(err, "kind", "\"%s\" is not a policy kind of %s", kind,
			                   api);
			goto fail;
		}
		rc = model_parse_calico(obj, p, err);
	} else {
		rc = json_error_at(err, "apiVersion",
		                   "\"%s\": expected networking.k8s.io/v1 or projectcalico.org/v3",
		                   api);
	}
	if (rc)
		goto fail;
	*out = p;
	return 0;
fail:
	if (rc == -ENOMEM && err)
		json_error_at(err, "", "out of memory");
	policy_free(p);
	return rc;
}

void policy_free(struct policy *p)
{
	size_t i;
	int d;

	if (!p)
		return;
	for (d = 0; d < 2; d++) {
		for (i = 0; i < p->n_rules[d]; i++)
			model_rule_clear(&p->rules[d][i]);
		free(p->rules[d]);
	}
	policy_selector_free(p->selector);
	free(p->name);
	free(p->namespace);
	free(p);
}

/*
 * Calico: policies are applied in ascending order; a policy without an
 * order comes after all ordered ones ("infinite" order); equal orders are
 * broken by name. Kubernetes policies carry order 1000, as Calico gives them.
 */
int policy_cmp(const struct policy *a, const struct policy *b)
{
	int c;

	if (a->has_order != b->has_order)
		return a->has_order ? -1 : 1;
	if (a->has_order && a->order != b->order)
		return a->order < b->order ? -1 : 1;
	c = strcmp(a->name, b->name);
	if (c)
		return c;
	return strcmp(a->namespace ? a->namespace : "", b->namespace ? b->namespace : "");
}

const char *policy_display_name(const struct policy *p, char *buf, size_t len)
{
	if (p->namespace)
		snprintf(buf, len, "%s/%s", p->namespace, p->name);
	else
		snprintf(buf, len, "%s", p->name);
	return buf;
}

struct policy *model_policy_clone(const struct policy *p)
{
	struct policy *c = calloc(1, sizeof(*c));
	size_t i;
	int d;

	if (!c)
		return NULL;
	c->kind = p->kind;
	c->order = p->order;
	c->has_order = p->has_order;
	c->types[0] = p->types[0];
	c->types[1] = p->types[1];
	if (!(c->name = strdup(p->name)) ||
	    (p->namespace && !(c->namespace = strdup(p->namespace))) ||
	    !(c->selector = policy_selector_clone(p->selector)))
		goto fail;
	for (d = 0; d < 2; d++) {
		if (!p->n_rules[d])
			continue;
		c->rules[d] = calloc(p->n_rules[d], sizeof(struct policy_rule));
		if (!c->rules[d])
			goto fail;
		for (i = 0; i < p->n_rules[d]; i++) {
			c->rules[d][i] = p->rules[d][i];
			c->n_rules[d] = i + 1;
			if (model_entity_copy(&c->rules[d][i].src, &p->rules[d][i].src)) {
				memset(&c->rules[d][i].dst, 0, sizeof(c->rules[d][i].dst));
				goto fail;
			}
			if (model_entity_copy(&c->rules[d][i].dst, &p->rules[d][i].dst))
				goto fail;
		}
	}
	return c;
fail:
	policy_free(c);
	return NULL;
}
