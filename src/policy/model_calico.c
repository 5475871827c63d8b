/*
 * DOC: Calico projectcalico.org/v3 NetworkPolicy and GlobalNetworkPolicy
 * into struct policy.
 *
 * Fields follow Calico's resource reference: spec.order (lower first; none =
 * last), spec.selector (endpoints the policy applies to; a NetworkPolicy only
 * applies within its namespace), spec.namespaceSelector (GlobalNetworkPolicy),
 * spec.types (default: Ingress, plus Egress when egress rules exist; Egress
 * alone when only egress rules exist), spec.ingress / spec.egress rules with
 * action Allow / Deny / Log / Pass, protocol / notProtocol (name or number),
 * ipVersion, icmp / notICMP {type, code}, and source / destination entity
 * rules: selector, notSelector, namespaceSelector, nets, notNets, ports,
 * notPorts (numbers or "first:last" ranges). Only the default tier exists.
 *
 * Scoping, as Calico documents it: in a NetworkPolicy an entity selector
 * without namespaceSelector selects endpoints of the policy's namespace; in a
 * GlobalNetworkPolicy it selects endpoints of every namespace. With a
 * namespaceSelector the selector applies within the selected namespaces.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_private.h"

static const char *const cal_top_fields[] = {"apiVersion", "kind", "metadata", "spec", NULL};
static const char *const cal_spec_fields[] = {
    "order",      "tier",    "selector",          "types",
    "ingress",    "egress",  "namespaceSelector", "serviceAccountSelector",
    "doNotTrack", "preDNAT", "applyOnForward",    "performanceHints",
    NULL};
static const char *const cal_rule_fields[] = {"action",   "protocol", "notProtocol", "ipVersion",
                                              "icmp",     "notICMP",  "source",      "destination",
                                              "metadata", NULL};
static const char *const cal_entity_fields[] = {
    "selector", "notSelector", "namespaceSelector", "nets", "notNets", "ports", "notPorts", NULL};
static const char *const cal_icmp_fields[] = {"type", "code", NULL};

struct cal_ctx {
	const cJSON *root;
	struct policy *pol;
	struct json_error *err;
};

static int cal_protocol(const cJSON *v, const char *path, int *out, struct json_error *err)
{
	static const struct {
		const char *name;
		int num;
	} names[] = {{"TCP", 6},     {"UDP", 17},   {"ICMP", 1},
	             {"ICMPv6", 58}, {"SCTP", 132}, {"UDPLite", 136}};
	size_t i;

	if (cJSON_IsNumber(v)) {
		if (v->valuedouble < 1 || v->valuedouble > 255 ||
		    v->valuedouble != (double)(int)v->valuedouble)
			return json_error_at(err, path, "protocol number must be 1-255");
		*out = (int)v->valuedouble;
		return 0;
	}
	if (cJSON_IsString(v))
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(v->valuestring, names[i].name) == 0) {
				*out = names[i].num;
				return 0;
			}
	return json_error_at(err, path,
	                     "must be TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1-255");
}

static bool cal_port_protocol(int proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

/* One entry of ports / notPorts: 80, "80" or "8000:8080". */
static int cal_port(const cJSON *v, const char *path, struct policy_port_range **ports, size_t *n,
                    struct json_error *err)
{
	unsigned long first, last;
	char *end;
	const char *s;

	if (cJSON_IsNumber(v)) {
		if (v->valuedouble < 0 || v->valuedouble > 65535 ||
		    v->valuedouble != (double)(int)v->valuedouble)
			return json_error_at(err, path, "port must be 0-65535");
		return model_add_port(ports, n, (uint16_t)v->valuedouble, (uint16_t)v->valuedouble);
	}
	if (!cJSON_IsString(v))
		return json_error_at(err, path, "expected a port number or \"first:last\"");
	s = v->valuestring;
	if (*s < '0' || *s > '9')
		return json_error_at(err, path, "named port \"%s\" is not supported", s);
	first = strtoul(s, &end, 10);
	last = first;
	if (*end == ':') {
		s = end + 1;
		if (*s < '0' || *s > '9')
			return json_error_at(err, path, "expected \"first:last\"");
		last = strtoul(s, &end, 10);
	}
	if (*end || first > 65535 || last > 65535)
		return json_error_at(err, path, "expected a port 0-65535 or \"first:last\"");
	if (last < first)
		return json_error_at(err, path, "range end must be >= start");
	return model_add_port(ports, n, (uint16_t)first, (uint16_t)last);
}

static int cal_nets(const cJSON *arr, const char *path, struct prefix **nets, size_t *n,
                    struct json_error *err)
{
	const cJSON *it;
	struct prefix p;
	char ip[JSON_PATH_MAX];
	int i = 0, rc;

	if (!cJSON_IsArray(arr))
		return json_error_at(err, path, "expected an array, got %s", json_type_name(arr));
	cJSON_ArrayForEach(it, arr)
	{
		model_path(ip, sizeof(ip), "%s[%d]", path, i++);
		if (!cJSON_IsString(it) || prefix_parse(it->valuestring, &p, false))
			return json_error_at(err, ip, "not a CIDR");
		if ((rc = model_add_net(nets, n, &p)))
			return rc;
	}
	return 0;
}

static int cal_ports(const cJSON *arr, const char *path, struct policy_port_range **ports,
                     size_t *n, struct json_error *err)
{
	const cJSON *it;
	char ip[JSON_PATH_MAX];
	int i = 0, rc;

	if (!cJSON_IsArray(arr))
		return json_error_at(err, path, "expected an array, got %s", json_type_name(arr));
	cJSON_ArrayForEach(it, arr)
	{
		model_path(ip, sizeof(ip), "%s[%d]", path, i++);
		if ((rc = cal_port(it, ip, ports, n, err)))
			return rc;
	}
	return 0;
}

/* A selector string field at path (absent: *out NULL). */
static int cal_selector(const struct cal_ctx *c, const char *path, struct policy_selector **out)
{
	const char *s;
	char msg[POLICY_ERROR_MAX];
	int rc;

	*out = NULL;
	if ((rc = model_opt_string(c->root, path, &s, c->err)) || !s)
		return rc;
	rc = policy_selector_parse(s, out, msg, sizeof(msg));
	if (rc == -EINVAL)
		return json_error_at(c->err, path, "%s", msg);
	return rc;
}

/* Scope an entity selector: namespaceSelector, else the policy's namespace. */
static struct policy_selector *cal_scope(const struct cal_ctx *c, struct policy_selector *sel,
                                         const struct policy_selector *ns)
{
	if (ns)
		return policy_selector_and(sel,
		                           policy_selector_in_namespace(policy_selector_clone(ns)));
	if (c->pol->namespace)
		return policy_selector_and(
		    sel, policy_selector_eq(POLICY_LABEL_NAMESPACE, c->pol->namespace));
	return sel;
}

static int cal_entity(const struct cal_ctx *c, const char *path, struct policy_entity *e)
{
	struct policy_selector *ns = NULL;
	const cJSON *obj = json_get(c->root, path), *v;
	char p[JSON_PATH_MAX];
	int rc;

	if (!obj || cJSON_IsNull(obj))
		return 0;
	if ((rc = model_check_fields(obj, path, cal_entity_fields, c->err)))
		return rc;
	model_path(p, sizeof(p), "%s.namespaceSelector", path);
	if ((rc = cal_selector(c, p, &ns)))
		goto out;
	model_path(p, sizeof(p), "%s.selector", path);
	if ((rc = cal_selector(c, p, &e->selector)))
		goto out;
	if (!e->selector && ns)
		e->selector = policy_selector_in_namespace(policy_selector_clone(ns));
	else if (e->selector)
		e->selector = cal_scope(c, e->selector, ns);
	model_path(p, sizeof(p), "%s.notSelector", path);
	if ((rc = cal_selector(c, p, &e->not_selector)))
		goto out;
	if (e->not_selector)
		e->not_selector = cal_scope(c, e->not_selector, ns);
	rc = -ENOMEM;
	if ((json_get(obj, "selector") && !e->selector) ||
	    (json_get(obj, "notSelector") && !e->not_selector) ||
	    (ns && !e->selector && !json_get(obj, "selector")))
		goto out;
	rc = 0;
	model_path(p, sizeof(p), "%s.nets", path);
	if ((v = json_get(obj, "nets")) && (rc = cal_nets(v, p, &e->nets, &e->n_nets, c->err)))
		goto out;
	model_path(p, sizeof(p), "%s.notNets", path);
	if ((v = json_get(obj, "notNets")) &&
	    (rc = cal_nets(v, p, &e->not_nets, &e->n_not_nets, c->err)))
		goto out;
	model_path(p, sizeof(p), "%s.ports", path);
	if ((v = json_get(obj, "ports")) && (rc = cal_ports(v, p, &e->ports, &e->n_ports, c->err)))
		goto out;
	model_path(p, sizeof(p), "%s.notPorts", path);
	if ((v = json_get(obj, "notPorts")) &&
	    (rc = cal_ports(v, p, &e->not_ports, &e->n_not_ports, c->err)))
		goto out;
out:
	policy_selector_free(ns);
	return rc;
}

static int cal_icmp(const struct cal_ctx *c, const char *path, int *type, int *code)
{
	const cJSON *obj = json_get(c->root, path);
	char p[JSON_PATH_MAX];
	int64_t v;
	int rc;

	if (!obj || cJSON_IsNull(obj))
		return 0;
	if ((rc = model_check_fields(obj, path, cal_icmp_fields, c->err)))
		return rc;
	model_path(p, sizeof(p), "%s.type", path);
	rc = json_get_int64(c->root, p, 0, 254, &v, c->err);
	if (rc == 0)
		*type = (int)v;
	else if (rc != -ENOENT)
		return rc;
	model_path(p, sizeof(p), "%s.code", path);
	rc = json_get_int64(c->root, p, 0, 255, &v, c->err);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	if (*type < 0)
		return json_error_at(c->err, p, "needs type");
	*code = (int)v;
	return 0;
}

static int cal_rule_check(const struct cal_ctx *c, const char *path, struct policy_rule *r)
{
	char p[JSON_PATH_MAX];
	const struct policy_entity *ents[2] = {&r->src, &r->dst};
	static const char *const ent_names[2] = {"source", "destination"};
	bool icmp = r->icmp_type >= 0 || r->not_icmp_type >= 0;
	size_t i, k;
	int fam = r->ip_version;

	for (k = 0; k < 2; k++) {
		if ((ents[k]->n_ports || ents[k]->n_not_ports) && !cal_port_protocol(r->protocol)) {
			model_path(p, sizeof(p), "%s.%s.%s", path, ent_names[k],
			           ents[k]->n_ports ? "ports" : "notPorts");
			return json_error_at(c->err, p, "needs protocol TCP, UDP, SCTP or UDPLite");
		}
		for (i = 0; i < ents[k]->n_nets + ents[k]->n_not_nets; i++) {
			const struct prefix *n = i < ents[k]->n_nets
			                             ? &ents[k]->nets[i]
			                             : &ents[k]->not_nets[i - ents[k]->n_nets];
			int nf = n->addr.family == AF_INET ? 4 : 6;

			if (r->ip_version && nf != r->ip_version) {
				model_path(p, sizeof(p), "%s.%s.%s", path, ent_names[k],
				           i < ents[k]->n_nets ? "nets" : "notNets");
				return json_error_at(c->err, p, "IPv%d net in an IPv%d rule", nf,
				                     r->ip_version);
			}
		}
	}
	if (icmp && r->protocol != 1 && r->protocol != 58) {
		model_path(p, sizeof(p), "%s.%s", path, r->icmp_type >= 0 ? "icmp" : "notICMP");
		return json_error_at(c->err, p, "needs protocol ICMP or ICMPv6");
	}
	if (r->protocol == 1 || r->protocol == 58) {
		int want = r->protocol == 1 ? 4 : 6;

		if (fam && fam != want) {
			model_path(p, sizeof(p), "%s.ipVersion", path);
			return json_error_at(c->err, p, "protocol %s needs ipVersion %d",
			                     want == 4 ? "ICMP" : "ICMPv6", want);
		}
		r->ip_version = want; /* ICMP is IPv4 only, ICMPv6 IPv6 only */
	}
	return 0;
}

static int cal_rule(const struct cal_ctx *c, const char *path, enum policy_dir dir)
{
	static const struct {
		const char *name;
		enum policy_action a;
	} actions[] = {{"Allow", POLICY_ALLOW},
	               {"Deny", POLICY_DENY},
	               {"Log", POLICY_LOG},
	               {"Pass", POLICY_PASS}};
	const cJSON *obj = json_get(c->root, path), *v;
	struct policy_rule r;
	const char *action;
	char p[JSON_PATH_MAX];
	int64_t ipv;
	size_t i;
	int rc;

	model_rule_init(&r);
	if ((rc = model_check_fields(obj, path, cal_rule_fields, c->err)))
		goto out;
	model_path(p, sizeof(p), "%s.action", path);
	if ((rc = json_get_string(c->root, p, &action, c->err))) {
		rc = rc == -ENOENT ? -EINVAL : rc;
		goto out;
	}
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(action, actions[i].name) == 0)
			break;
	if (i == sizeof(actions) / sizeof(actions[0])) {
		rc = json_error_at(c->err, p, "\"%s\": must be Allow, Deny, Log or Pass", action);
		goto out;
	}
	r.action = actions[i].a;
	model_path(p, sizeof(p), "%s.protocol", path);
	if ((v = json_get(obj, "protocol")) && (rc = cal_protocol(v, p, &r.protocol, c->err)))
		goto out;
	model_path(p, sizeof(p), "%s.notProtocol", path);
	if ((v = json_get(obj, "notProtocol")) &&
	    (rc = cal_protocol(v, p, &r.not_protocol, c->err)))
		goto out;
	model_path(p, sizeof(p), "%s.ipVersion", path);
	rc = json_get_int64(c->root, p, 4, 6, &ipv, c->err);
	if (rc == 0 && ipv == 5)
		rc = json_error_at(c->err, p, "must be 4 or 6");
	if (rc && rc != -ENOENT)
		goto out;
	r.ip_version = rc == 0 ? (int)ipv : 0;
	model_path(p, sizeof(p), "%s.icmp", path);
	if ((rc = cal_icmp(c, p, &r.icmp_type, &r.icmp_code)))
		goto out;
	model_path(p, sizeof(p), "%s.notICMP", path);
	if ((rc = cal_icmp(c, p, &r.not_icmp_type, &r.not_icmp_code)))
		goto out;
	model_path(p, sizeof(p), "%s.source", path);
	if ((rc = cal_entity(c, p, &r.src)))
		goto out;
	model_path(p, sizeof(p), "%s.destination", path);
	if ((rc = cal_entity(c, p, &r.dst)))
		goto out;
	if ((rc = cal_rule_check(c, path, &r)))
		goto out;
	rc = model_add_rule(c->pol, dir, &r);
out:
	model_rule_clear(&r);
	return rc;
}

static int cal_types(const struct cal_ctx *c)
{
	const cJSON *types, *it;
	char p[JSON_PATH_MAX];
	int rc, i = 0;
	bool in = json_get(c->root, "spec.ingress") != NULL;
	bool eg = json_get(c->root, "spec.egress") != NULL;

	if ((rc = model_opt_array(c->root, "spec.types", &types, c->err)))
		return rc;
	if (!types) {
		/* Calico's defaults for an absent types field. */
		c->pol->types[POLICY_INGRESS] = in || !eg;
		c->pol->types[POLICY_EGRESS] = eg;
		return 0;
	}
	cJSON_ArrayForEach(it, types)
	{
		model_path(p, sizeof(p), "spec.types[%d]", i++);
		if (cJSON_IsString(it) && strcmp(it->valuestring, "Ingress") == 0)
			c->pol->types[POLICY_INGRESS] = true;
		else if (cJSON_IsString(it) && strcmp(it->valuestring, "Egress") == 0)
			c->pol->types[POLICY_EGRESS] = true;
		else
			return json_error_at(c->err, p, "must be Ingress or Egress");
	}
	return 0;
}

static int cal_unsupported(const struct cal_ctx *c)
{
	const char *s;
	bool b;
	int rc;

	if ((rc = model_opt_string(c->root, "spec.tier", &s, c->err)))
		return rc;
	if (s && strcmp(s, "default"))
		return json_error_at(c->err, "spec.tier", "only the default tier is supported");
	if (json_get_bool(c->root, "spec.doNotTrack", &b, c->err) == 0 && b)
		return json_error_at(c->err, "spec.doNotTrack", "not supported");
	if (json_get_bool(c->root, "spec.preDNAT", &b, c->err) == 0 && b)
		return json_error_at(c->err, "spec.preDNAT", "not supported");
	if ((rc = model_opt_string(c->root, "spec.serviceAccountSelector", &s, c->err)))
		return rc;
	if (s && *s)
		return json_error_at(c->err, "spec.serviceAccountSelector", "not supported");
	if (c->pol->kind == POLICY_CALICO && json_get(c->root, "spec.namespaceSelector"))
		return json_error_at(c->err, "spec.namespaceSelector",
		                     "only a GlobalNetworkPolicy has a namespaceSelector");
	return 0;
}

int model_parse_calico(const cJSON *obj, struct policy *p, struct json_error *err)
{
	static const char *const dir_key[2] = {"ingress", "egress"};
	struct cal_ctx c = {.root = obj, .pol = p, .err = err};
	struct policy_selector *ns = NULL;
	const cJSON *rules, *order;
	char path[JSON_PATH_MAX];
	int rc, d, i, n;

	if ((rc = model_check_fields(obj, "", cal_top_fields, err)) ||
	    (rc = model_metadata(obj, p, p->kind == POLICY_CALICO, err)))
		return rc;
	if (!json_get(obj, "spec"))
		return json_error_at(err, "spec", "missing");
	if ((rc = model_check_fields(json_get(obj, "spec"), "spec", cal_spec_fields, err)) ||
	    (rc = cal_unsupported(&c)))
		return rc;
	order = json_get(obj, "spec.order");
	if (order && !cJSON_IsNull(order)) {
		if (!cJSON_IsNumber(order) || order->valuedouble != order->valuedouble)
			return json_error_at(err, "spec.order", "expected a number, got %s",
			                     json_type_name(order));
		p->has_order = true;
		p->order = order->valuedouble;
	}
	if ((rc = cal_selector(&c, "spec.selector", &p->selector)))
		return rc;
	if (!p->selector && !(p->selector = policy_selector_all()))
		return -ENOMEM;
	if ((rc = cal_selector(&c, "spec.namespaceSelector", &ns)))
		return rc;
	if (ns || p->namespace) {
		p->selector = cal_scope(&c, p->selector, ns);
		policy_selector_free(ns);
		if (!p->selector)
			return -ENOMEM;
	}
	if ((rc = cal_types(&c)))
		return rc;
	for (d = 0; d < 2; d++) {
		model_path(path, sizeof(path), "spec.%s", dir_key[d]);
		if ((rc = model_opt_array(obj, path, &rules, err)))
			return rc;
		n = rules ? cJSON_GetArraySize(rules) : 0;
		for (i = 0; i < n; i++) {
			model_path(path, sizeof(path), "spec.%s[%d]", dir_key[d], i);
			if ((rc = cal_rule(&c, path, (enum policy_dir)d)))
				return rc;
		}
	}
	return 0;
}
