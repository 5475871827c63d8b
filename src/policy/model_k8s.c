/*
 * DOC: Kubernetes networking.k8s.io/v1 NetworkPolicy into struct policy.
 *
 * Semantics (Kubernetes "Network Policies" concept page and the API
 * reference): spec.podSelector picks pods of the policy's namespace;
 * policyTypes defaults to Ingress, plus Egress when spec.egress is present.
 * Each rule allows traffic that matches any of its peers (from / to; none =
 * everyone) and any of its ports (none = all). A peer is a podSelector (pods
 * of the policy's namespace), a namespaceSelector (all pods of those
 * namespaces), both (those pods of those namespaces), or an ipBlock with
 * except. Ports are destination ports: protocol TCP (default), UDP or SCTP,
 * a numeric port and optional endPort. Policies are additive: an endpoint
 * selected in a direction is denied what no rule allows (render.c).
 *
 * One K8s rule becomes one internal ALLOW rule per (peer, protocol).
 * Calico gives Kubernetes policies order 1000; so does Tabby.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_private.h"

#define K8S_POLICY_ORDER 1000.0
#define K8S_MAX_PROTOS   3

static const char *const k8s_top_fields[] = {"apiVersion", "kind",   "metadata",
                                             "spec",       "status", NULL};
static const char *const k8s_spec_fields[] = {"podSelector", "policyTypes", "ingress", "egress",
                                              NULL};
static const char *const k8s_peer_fields[] = {"podSelector", "namespaceSelector", "ipBlock", NULL};
static const char *const k8s_port_fields[] = {"protocol", "port", "endPort", NULL};
static const char *const k8s_ipblock_fields[] = {"cidr", "except", NULL};

/* Ports of one protocol within one K8s rule. */
struct k8s_proto_ports {
	int protocol;
	bool all_ports;
	struct policy_port_range *ports;
	size_t n_ports;
};

static int k8s_protocol(const char *s)
{
	if (strcmp(s, "TCP") == 0)
		return 6;
	if (strcmp(s, "UDP") == 0)
		return 17;
	if (strcmp(s, "SCTP") == 0)
		return 132;
	return -1;
}

static int k8s_port(const cJSON *port, const char *path, struct k8s_proto_ports *groups,
                    size_t *n_groups, struct json_error *err)
{
	const char *proto = "TCP";
	const cJSON *pv;
	int64_t first, last;
	int rc, num;
	size_t i;
	char p[JSON_PATH_MAX];

	if ((rc = model_check_fields(port, path, k8s_port_fields, err)))
		return rc;
	if ((rc = model_opt_string(port, "protocol", &proto, err))) {
		model_path(p, sizeof(p), "%s.protocol", path);
		return json_error_at(err, p, "expected a string");
	}
	if (!proto)
		proto = "TCP";
	num = k8s_protocol(proto);
	if (num < 0) {
		model_path(p, sizeof(p), "%s.protocol", path);
		return json_error_at(err, p, "\"%s\": must be TCP, UDP or SCTP", proto);
	}
	for (i = 0; i < *n_groups && groups[i].protocol != num; i++)
		;
	if (i == *n_groups) {
		groups[i].protocol = num;
		(*n_groups)++;
	}
	pv = json_get(port, "port");
	if (!pv || cJSON_IsNull(pv)) {
		if (json_get(port, "endPort")) {
			model_path(p, sizeof(p), "%s.endPort", path);
			return json_error_at(err, p, "needs port");
		}
		groups[i].all_ports = true;
		return 0;
	}
	model_path(p, sizeof(p), "%s.port", path);
	if (cJSON_IsString(pv))
		return json_error_at(err, p, "named port \"%s\" is not supported; use a number",
		                     pv->valuestring);
	if ((rc = json_get_int64(port, "port", 1, 65535, &first, err))) {
		return json_error_at(err, p, "must be a port number 1-65535");
	}
	last = first;
	if (json_get(port, "endPort") && !cJSON_IsNull(json_get(port, "endPort"))) {
		model_path(p, sizeof(p), "%s.endPort", path);
		if ((rc = json_get_int64(port, "endPort", 1, 65535, &last, err)))
			return json_error_at(err, p, "must be a port number 1-65535");
		if (last < first)
			return json_error_at(err, p, "must be >= port");
	}
	return model_add_port(&groups[i].ports, &groups[i].n_ports, (uint16_t)first,
	                      (uint16_t)last);
}

static int k8s_ipblock(const cJSON *peer, const char *path, struct policy_entity *e,
                       struct json_error *err)
{
	const cJSON *ex, *it;
	struct prefix cidr, x;
	char p[JSON_PATH_MAX];
	int rc, i = 0;

	if ((rc = model_check_fields(json_get(peer, "ipBlock"), path, k8s_ipblock_fields, err)))
		return rc;
	model_path(p, sizeof(p), "%s.cidr", path);
	if ((rc = json_get_prefix(peer, "ipBlock.cidr", false, &cidr, err)))
		return json_error_at(err, p, "%s", rc == -ENOENT ? "missing" : "not a CIDR");
	if ((rc = model_add_net(&e->nets, &e->n_nets, &cidr)))
		return rc;
	model_path(p, sizeof(p), "%s.except", path);
	if ((rc = model_opt_array(peer, "ipBlock.except", &ex, err)))
		return json_error_at(err, p, "expected an array");
	cJSON_ArrayForEach(it, ex)
	{
		model_path(p, sizeof(p), "%s.except[%d]", path, i++);
		if (!cJSON_IsString(it) || prefix_parse(it->valuestring, &x, false))
			return json_error_at(err, p, "not a CIDR");
		if (!prefix_contains(&cidr, &x))
			return json_error_at(err, p, "must be inside cidr");
		if ((rc = model_add_net(&e->not_nets, &e->n_not_nets, &x)))
			return rc;
	}
	return 0;
}

static int k8s_peer(const cJSON *root, const cJSON *peer, const char *path,
                    const struct policy *pol, struct policy_entity *e, struct json_error *err)
{
	const cJSON *ps = json_get(peer, "podSelector"), *nss = json_get(peer, "namespaceSelector");
	struct policy_selector *pod = NULL, *ns = NULL;
	char p[JSON_PATH_MAX];
	int rc;

	if ((rc = model_check_fields(peer, path, k8s_peer_fields, err)))
		return rc;
	if (json_get(peer, "ipBlock")) {
		if (ps || nss)
			return json_error_at(err, path,
			                     "ipBlock cannot be combined with podSelector or "
			                     "namespaceSelector");
		model_path(p, sizeof(p), "%s.ipBlock", path);
		return k8s_ipblock(peer, p, e, err);
	}
	if (!ps && !nss)
		return json_error_at(err, path, "needs podSelector, namespaceSelector or ipBlock");
	if (ps) {
		model_path(p, sizeof(p), "%s.podSelector", path);
		if ((rc = policy_selector_from_k8s(root, p, &pod, err)))
			return rc;
	}
	if (nss) {
		model_path(p, sizeof(p), "%s.namespaceSelector", path);
		if ((rc = policy_selector_from_k8s(root, p, &ns, err))) {
			policy_selector_free(pod);
			return rc;
		}
		ns = policy_selector_in_namespace(ns);
		if (!ns) {
			policy_selector_free(pod);
			return -ENOMEM;
		}
	} else {
		/* podSelector alone: pods of the policy's own namespace. */
		ns = policy_selector_eq(POLICY_LABEL_NAMESPACE, pol->namespace);
	}
	e->selector = pod ? policy_selector_and(pod, ns) : ns;
	return e->selector ? 0 : -ENOMEM;
}

static int k8s_rule(const cJSON *root, const cJSON *rule, const char *path, enum policy_dir dir,
                    struct policy *pol, struct json_error *err)
{
	const char *peers_key = dir == POLICY_INGRESS ? "from" : "to";
	static const char *const in_fields[] = {"from", "ports", NULL};
	static const char *const eg_fields[] = {"to", "ports", NULL};
	struct k8s_proto_ports groups[K8S_MAX_PROTOS + 1];
	struct policy_entity *peers = NULL;
	struct policy_rule r;
	const cJSON *ports, *peerv, *it;
	size_t n_groups = 0, n_peers = 0, i, j;
	char p[JSON_PATH_MAX];
	int rc, k = 0;

	memset(groups, 0, sizeof(groups));
	model_rule_init(&r);
	if ((rc = model_check_fields(rule, path, dir == POLICY_INGRESS ? in_fields : eg_fields,
	                             err)))
		goto out;
	model_path(p, sizeof(p), "%s.ports", path);
	if ((rc = model_opt_array(rule, "ports", &ports, err))) {
		rc = json_error_at(err, p, "expected an array");
		goto out;
	}
	cJSON_ArrayForEach(it, ports)
	{
		model_path(p, sizeof(p), "%s.ports[%d]", path, k++);
		if ((rc = k8s_port(it, p, groups, &n_groups, err)))
			goto out;
	}
	if (n_groups == 0)
		n_groups = 1; /* protocol 0: any protocol, any port */
	model_path(p, sizeof(p), "%s.%s", path, peers_key);
	if ((rc = model_opt_array(rule, peers_key, &peerv, err))) {
		rc = json_error_at(err, p, "expected an array");
		goto out;
	}
	n_peers = peerv ? (size_t)cJSON_GetArraySize(peerv) : 0;
	peers = calloc(n_peers ? n_peers : 1, sizeof(*peers));
	if (!peers) {
		rc = -ENOMEM;
		goto out;
	}
	k = 0;
	cJSON_ArrayForEach(it, peerv)
	{
		model_path(p, sizeof(p), "%s.%s[%d]", path, peers_key, k);
		if ((rc = k8s_peer(root, it, p, pol, &peers[k++], err)))
			goto out;
	}
	if (n_peers == 0)
		n_peers = 1; /* no peers: everyone */
	for (i = 0; i < n_peers; i++) {
		for (j = 0; j < n_groups; j++) {
			model_rule_init(&r);
			r.action = POLICY_ALLOW;
			r.protocol = groups[j].protocol;
			if ((rc = model_entity_copy(dir == POLICY_INGRESS ? &r.src : &r.dst,
			                            &peers[i])))
				goto out;
			if (!groups[j].all_ports && groups[j].n_ports) {
				r.dst.ports = malloc(groups[j].n_ports * sizeof(*r.dst.ports));
				if (!r.dst.ports) {
					rc = -ENOMEM;
					goto out;
				}
				memcpy(r.dst.ports, groups[j].ports,
				       groups[j].n_ports * sizeof(*r.dst.ports));
				r.dst.n_ports = groups[j].n_ports;
			}
			if ((rc = model_add_rule(pol, dir, &r)))
				goto out;
		}
	}
out:
	model_rule_clear(&r);
	for (i = 0; peers && i < (size_t)(peerv ? cJSON_GetArraySize(peerv) : 0); i++)
		model_entity_clear(&peers[i]);
	free(peers);
	for (j = 0; j < K8S_MAX_PROTOS + 1; j++)
		free(groups[j].ports);
	return rc;
}

int model_parse_k8s(const cJSON *obj, struct policy *p, struct json_error *err)
{
	static const char *const dir_key[2] = {"ingress", "egress"};
	const cJSON *types, *rules, *it;
	char path[JSON_PATH_MAX];
	int rc, d, i;

	if ((rc = model_check_fields(obj, "", k8s_top_fields, err)) ||
	    (rc = model_metadata(obj, p, true, err)))
		return rc;
	if (!json_get(obj, "spec"))
		return json_error_at(err, "spec", "missing");
	if ((rc = model_check_fields(json_get(obj, "spec"), "spec", k8s_spec_fields, err)))
		return rc;
	p->has_order = true;
	p->order = K8S_POLICY_ORDER;
	if (!json_get(obj, "spec.podSelector"))
		return json_error_at(err, "spec.podSelector", "missing (use {} for all pods)");
	if ((rc = policy_selector_from_k8s(obj, "spec.podSelector", &p->selector, err)))
		return rc;
	p->selector = policy_selector_and(p->selector,
	                                  policy_selector_eq(POLICY_LABEL_NAMESPACE, p->namespace));
	if (!p->selector)
		return -ENOMEM;
	if ((rc = model_opt_array(obj, "spec.policyTypes", &types, err)))
		return rc;
	if (types) {
		i = 0;
		cJSON_ArrayForEach(it, types)
		{
			model_path(path, sizeof(path), "spec.policyTypes[%d]", i++);
			if (cJSON_IsString(it) && strcmp(it->valuestring, "Ingress") == 0)
				p->types[POLICY_INGRESS] = true;
			else if (cJSON_IsString(it) && strcmp(it->valuestring, "Egress") == 0)
				p->types[POLICY_EGRESS] = true;
			else
				return json_error_at(err, path, "must be Ingress or Egress");
		}
	} else {
		p->types[POLICY_INGRESS] = true;
		p->types[POLICY_EGRESS] = json_get(obj, "spec.egress") != NULL;
	}
	for (d = 0; d < 2; d++) {
		model_path(path, sizeof(path), "spec.%s", dir_key[d]);
		if ((rc = model_opt_array(obj, path, &rules, err)))
			return rc;
		i = 0;
		cJSON_ArrayForEach(it, rules)
		{
			model_path(path, sizeof(path), "spec.%s[%d]", dir_key[d], i++);
			if ((rc = k8s_rule(obj, it, path, (enum policy_dir)d, p, err)))
				return rc;
		}
	}
	return 0;
}
