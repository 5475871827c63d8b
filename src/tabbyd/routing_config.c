/*
 * DOC: BGPConfiguration, BGPPeer and Node documents into structs (pure).
 *
 * The documents are projectcalico.org/v3 resources as tabbyctl stores them
 * (src/ctl/kinds.c validates them on the way in; tabbyd checks again, since
 * anything may write the store). Only the fields that peering uses are read;
 * others are left to their owners (routing_export.c reads the service CIDRs
 * of BGPConfiguration itself). A document that does not parse, or a field of
 * the wrong shape, is an error naming the field; routing_config_cluster()
 * logs it with the key and leaves that one document out, so that one bad
 * BGPPeer does not take the others down.
 *
 * AS numbers are JSON numbers or strings, plain or asdot (RFC 5396: "1.10"
 * is 65546); AS_TRANS (23456, RFC 6793 9) is refused.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <tabby/log.h>
#include <tabby/policy.h>
#include <tabby/store.h>

#include "routing_peers.h"

static int routing_config_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int routing_config_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const cJSON *routing_config_get(const cJSON *o, const char *a, const char *b)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, a);

	return b ? cJSON_GetObjectItemCaseSensitive(j, b) : j;
}

/* An AS number: 1..4294967295 as a number, "64512" or asdot "1.10". */
static int routing_config_asn(const cJSON *v, uint32_t *out)
{
	unsigned long hi, lo;
	char *end;

	if (cJSON_IsNumber(v)) {
		if (v->valuedouble < 1 || v->valuedouble > 4294967295.0 ||
		    v->valuedouble != (double)(uint32_t)v->valuedouble)
			return -EINVAL;
		*out = (uint32_t)v->valuedouble;
	} else if (cJSON_IsString(v) && v->valuestring[0] >= '0' && v->valuestring[0] <= '9') {
		errno = 0;
		hi = strtoul(v->valuestring, &end, 10);
		if (*end == '.') {
			lo = strtoul(end + 1, &end, 10);
			if (*end || hi > 65535 || lo > 65535)
				return -EINVAL;
			*out = (uint32_t)(hi << 16 | lo);
		} else {
			if (*end || errno || hi > 4294967295UL)
				return -EINVAL;
			*out = (uint32_t)hi;
		}
	} else {
		return -EINVAL;
	}
	return *out && *out != 23456 ? 0 : -EINVAL;
}

/* An optional AS number at o.key: 1 set, 0 absent, -EINVAL. */
static int routing_config_opt_asn(const cJSON *o, const char *key, const char *path, uint32_t *out,
                                  char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v || cJSON_IsNull(v))
		return 0;
	if (routing_config_asn(v, out) < 0)
		return routing_config_fail(err, errlen,
		                           "%s: not an AS number (1-4294967295, not 23456)", path);
	return 1;
}

/* "198.18.0.2/24" (the length is optional) into a. */
static int routing_config_ifaddr(const cJSON *v, struct addr *a)
{
	char buf[ADDR_STRLEN + 8], *slash;

	if (!cJSON_IsString(v) || strlen(v->valuestring) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v->valuestring);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	return addr_parse(buf, a);
}

/* An optional string at o.key copied into out: 1 set, 0 absent, -EINVAL. */
static int routing_config_str(const cJSON *o, const char *key, const char *path, char *out,
                              size_t len, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) >= len)
		return routing_config_fail(err, errlen, "%s: expected a string of 1 to %zu bytes",
		                           path, len - 1);
	strcpy(out, v->valuestring);
	return 1;
}

static cJSON *routing_config_parse(const char *json, char *err, size_t errlen)
{
	cJSON *doc = json ? cJSON_Parse(json) : NULL;

	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		routing_config_fail(err, errlen, "(document): not a JSON object");
		return NULL;
	}
	return doc;
}

/* spec must be absent or an object. */
static int routing_config_spec(const cJSON *doc, const cJSON **spec, char *err, size_t errlen)
{
	*spec = cJSON_GetObjectItemCaseSensitive(doc, "spec");
	if (*spec && !cJSON_IsObject(*spec))
		return routing_config_fail(err, errlen, "spec: expected a mapping");
	return 0;
}

int routing_config_bgpconfig(const char *name, const char *json, struct routing_bgpconfig *out,
                             char *err, size_t errlen)
{
	cJSON *doc = routing_config_parse(json, err, errlen);
	const cJSON *spec, *v;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!doc)
		return -EINVAL;
	snprintf(out->name, sizeof(out->name), "%s", name);
	if ((ret = routing_config_spec(doc, &spec, err, errlen)) < 0)
		goto out;
	ret =
	    routing_config_opt_asn(spec, "asNumber", "spec.asNumber", &out->as_number, err, errlen);
	if (ret < 0)
		goto out;
	out->has_as = ret;
	v = cJSON_GetObjectItemCaseSensitive(spec, "nodeToNodeMeshEnabled");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsBool(v)) {
			ret = routing_config_fail(
			    err, errlen, "spec.nodeToNodeMeshEnabled: expected true or false");
			goto out;
		}
		out->has_mesh = true;
		out->mesh = cJSON_IsTrue(v);
	}
	v = cJSON_GetObjectItemCaseSensitive(spec, "listenPort");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 65535 ||
		    v->valuedouble != (double)(int)v->valuedouble) {
			ret = routing_config_fail(err, errlen, "spec.listenPort: expected 1-65535");
			goto out;
		}
		out->has_port = true;
		out->listen_port = (uint16_t)v->valuedouble;
	}
	ret = 0;
out:
	cJSON_Delete(doc);
	return ret;
}

void routing_config_node_clear(struct routing_node *n)
{
	free(n->labels);
	cJSON_Delete(n->doc);
	memset(n, 0, sizeof(*n));
}

static int routing_config_labels(struct routing_node *out, char *err, size_t errlen)
{
	const cJSON *labels = routing_config_get(out->doc, "metadata", "labels"), *l;

	if (!labels || cJSON_IsNull(labels))
		return 0;
	if (!cJSON_IsObject(labels))
		return routing_config_fail(err, errlen, "metadata.labels: expected a mapping");
	out->labels = calloc((size_t)cJSON_GetArraySize(labels) + 1, sizeof(*out->labels));
	if (!out->labels)
		return -ENOMEM;
	cJSON_ArrayForEach(l, labels)
	{
		if (!cJSON_IsString(l))
			return routing_config_fail(
			    err, errlen, "metadata.labels.%s: expected a string", l->string);
		out->labels[out->n_labels].key = l->string;
		out->labels[out->n_labels].value = l->valuestring;
		out->n_labels++;
	}
	return 0;
}

int routing_config_node(const char *name, const char *json, struct routing_node *out, char *err,
                        size_t errlen)
{
	static const char *const fields[] = {"ipv4Address", "ipv6Address"};
	const cJSON *spec, *bgp, *v;
	struct in_addr in;
	int ret, i;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->doc = routing_config_parse(json, err, errlen);
	if (!out->doc)
		return -EINVAL;
	if ((ret = routing_config_spec(out->doc, &spec, err, errlen)) < 0 ||
	    (ret = routing_config_labels(out, err, errlen)) < 0)
		goto fail;
	bgp = cJSON_GetObjectItemCaseSensitive(spec, "bgp");
	if (bgp && !cJSON_IsNull(bgp) && !cJSON_IsObject(bgp)) {
		ret = routing_config_fail(err, errlen, "spec.bgp: expected a mapping");
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		struct addr a;

		v = cJSON_GetObjectItemCaseSensitive(bgp, fields[i]);
		if (!v || cJSON_IsNull(v))
			continue;
		if (routing_config_ifaddr(v, &a) < 0 || a.family != (i ? AF_INET6 : AF_INET)) {
			ret = routing_config_fail(err, errlen, "spec.bgp.%s: not an IPv%d address",
			                          fields[i], i ? 6 : 4);
			goto fail;
		}
		if (i)
			out->v6 = a;
		else
			out->v4 = a;
	}
	ret = routing_config_opt_asn(bgp, "asNumber", "spec.bgp.asNumber", &out->as_number, err,
	                             errlen);
	if (ret < 0)
		goto fail;
	out->has_as = ret;
	v = cJSON_GetObjectItemCaseSensitive(bgp, "routeReflectorClusterID");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsString(v) || inet_pton(AF_INET, v->valuestring, &in) != 1 ||
		    in.s_addr == 0) {
			ret =
			    routing_config_fail(err, errlen,
			                        "spec.bgp.routeReflectorClusterID: not a non-zero "
			                        "dotted quad");
			goto fail;
		}
		out->cluster_id = ntohl(in.s_addr);
	}
	return 0;
fail:
	routing_config_node_clear(out);
	return ret;
}

void routing_config_bgppeer_clear(struct routing_bgppeer *p)
{
	policy_selector_free(p->node_selector);
	policy_selector_free(p->peer_selector);
	memset(p, 0, sizeof(*p));
}

/* "IP", "IPv4:PORT" or "[IPv6]:PORT". */
static int routing_config_peer_ip(const char *s, struct addr *a, uint16_t *port)
{
	char buf[ADDR_STRLEN + 8], *end;
	const char *host = s, *colon;
	unsigned long p;
	size_t hl;

	*port = 0;
	if (addr_parse(s, a) == 0)
		return 0;
	if (s[0] == '[') {
		host = s + 1;
		colon = strchr(s, ']');
		if (!colon || colon[1] != ':')
			return -EINVAL;
		hl = (size_t)(colon - host);
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - host);
	}
	if (hl >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, host, hl);
	buf[hl] = '\0';
	p = strtoul(colon + 1, &end, 10);
	if (addr_parse(buf, a) < 0 || !colon[1] || *end || p < 1 || p > 65535)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static int routing_config_selector(const cJSON *spec, const char *key, struct policy_selector **out,
                                   char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, key);
	char perr[192] = "";

	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return routing_config_fail(err, errlen, "spec.%s: expected a selector string", key);
	if (policy_selector_parse(v->valuestring, out, perr, sizeof(perr)) < 0)
		return routing_config_fail(err, errlen, "spec.%s: %s", key, perr);
	return 1;
}

static int routing_config_peer_options(const cJSON *spec, struct routing_bgppeer *out, char *err,
                                       size_t errlen)
{
	const cJSON *v, *ref;
	int ret;

	ref = routing_config_get(cJSON_GetObjectItemCaseSensitive(spec, "password"), "secretKeyRef",
	                         NULL);
	if (ref) {
		if ((ret = routing_config_str(ref, "name", "spec.password.secretKeyRef.name",
		                              out->secret_name, sizeof(out->secret_name), err,
		                              errlen)) <= 0 ||
		    (ret = routing_config_str(ref, "key", "spec.password.secretKeyRef.key",
		                              out->secret_key, sizeof(out->secret_key), err,
		                              errlen)) <= 0)
			return ret < 0
			           ? ret
			           : routing_config_fail(err, errlen,
			                                 "spec.password.secretKeyRef: needs name "
			                                 "and key");
		if (strchr(out->secret_name, '/') || strchr(out->secret_key, '/') ||
		    out->secret_name[0] == '.' || out->secret_key[0] == '.')
			return routing_config_fail(err, errlen,
			                           "spec.password.secretKeyRef: a name or key with "
			                           "'/' or a leading '.' cannot be a file name");
	}
	v = cJSON_GetObjectItemCaseSensitive(spec, "sourceAddress");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsString(v) || (strcmp(v->valuestring, "UseNodeIP") != 0 &&
		                           strcmp(v->valuestring, "None") != 0))
			return routing_config_fail(err, errlen,
			                           "spec.sourceAddress: UseNodeIP or None");
		out->source_none = strcmp(v->valuestring, "None") == 0;
	}
	v = cJSON_GetObjectItemCaseSensitive(spec, "keepOriginalNextHop");
	if (v && !cJSON_IsNull(v) && !cJSON_IsBool(v))
		return routing_config_fail(err, errlen,
		                           "spec.keepOriginalNextHop: expected true or false");
	out->keep_original_next_hop = cJSON_IsTrue(v);
	v = cJSON_GetObjectItemCaseSensitive(spec, "maxRestartTime");
	out->has_max_restart_time = v && !cJSON_IsNull(v);
	v = cJSON_GetObjectItemCaseSensitive(spec, "ttlSecurity");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 255 ||
		    v->valuedouble != (double)(int)v->valuedouble)
			return routing_config_fail(err, errlen, "spec.ttlSecurity: expected 0-255");
		out->ttl_security = (unsigned)v->valuedouble;
	}
	return 0;
}

int routing_config_bgppeer(const char *name, const char *json, struct routing_bgppeer *out,
                           char *err, size_t errlen)
{
	cJSON *doc = routing_config_parse(json, err, errlen);
	const cJSON *spec, *v;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!doc)
		return -EINVAL;
	snprintf(out->name, sizeof(out->name), "%s", name);
	if ((ret = routing_config_spec(doc, &spec, err, errlen)) < 0 ||
	    (ret = routing_config_str(spec, "node", "spec.node", out->node, sizeof(out->node), err,
	                              errlen)) < 0 ||
	    (ret = routing_config_selector(spec, "nodeSelector", &out->node_selector, err,
	                                   errlen)) < 0 ||
	    (ret = routing_config_selector(spec, "peerSelector", &out->peer_selector, err,
	                                   errlen)) < 0)
		goto fail;
	if (out->node[0] && out->node_selector) {
		ret = routing_config_fail(err, errlen,
		                          "spec.nodeSelector: node and nodeSelector are exclusive");
		goto fail;
	}
	v = cJSON_GetObjectItemCaseSensitive(spec, "peerIP");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsString(v) ||
		    routing_config_peer_ip(v->valuestring, &out->peer_ip, &out->port) < 0) {
			ret = routing_config_fail(err, errlen,
			                          "spec.peerIP: not an IP address (or IP:PORT)");
			goto fail;
		}
		out->has_peer_ip = true;
	}
	if (out->has_peer_ip == (out->peer_selector != NULL)) {
		ret = routing_config_fail(err, errlen,
		                          "spec.peerIP: give peerIP or peerSelector "
		                          "(one of them)");
		goto fail;
	}
	ret =
	    routing_config_opt_asn(spec, "asNumber", "spec.asNumber", &out->as_number, err, errlen);
	if (ret < 0)
		goto fail;
	out->has_as = ret;
	if (out->has_peer_ip && !out->has_as) {
		ret = routing_config_fail(err, errlen,
		                          "spec.asNumber: missing (required with "
		                          "peerIP)");
		goto fail;
	}
	if ((ret = routing_config_peer_options(spec, out, err, errlen)) < 0)
		goto fail;
	cJSON_Delete(doc);
	return 0;
fail:
	cJSON_Delete(doc);
	routing_config_bgppeer_clear(out);
	return ret;
}

void routing_config_cluster_clear(struct routing_cluster *c)
{
	size_t i;

	for (i = 0; i < c->n_nodes; i++)
		routing_config_node_clear(&c->nodes[i]);
	for (i = 0; i < c->n_peers; i++)
		routing_config_bgppeer_clear(&c->peers[i]);
	free(c->configs);
	free(c->nodes);
	free(c->peers);
	memset(c, 0, sizeof(*c));
}

/* The last path element of a key: the resource's name. */
static const char *routing_config_name(const char *key)
{
	const char *slash = strrchr(key, '/');

	return slash ? slash + 1 : key;
}

int routing_config_cluster(const struct store_list *configs, const struct store_list *nodes,
                           const struct store_list *peers, struct routing_cluster *c)
{
	char err[256];
	size_t i;
	int ret;

	memset(c, 0, sizeof(*c));
	c->configs = calloc(configs->n + 1, sizeof(*c->configs));
	c->nodes = calloc(nodes->n + 1, sizeof(*c->nodes));
	c->peers = calloc(peers->n + 1, sizeof(*c->peers));
	if (!c->configs || !c->nodes || !c->peers) {
		routing_config_cluster_clear(c);
		return -ENOMEM;
	}
	for (i = 0; i < configs->n; i++) {
		const struct store_kv *kv = &configs->kvs[i];

		ret = routing_config_bgpconfig(routing_config_name(kv->key), kv->value,
		                               &c->configs[c->n_configs], err, sizeof(err));
		if (ret == 0)
			c->n_configs++;
		else
			log_warn("bgp: %s: %s: ignored", kv->key, err);
	}
	for (i = 0; i < nodes->n; i++) {
		const struct store_kv *kv = &nodes->kvs[i];

		ret = routing_config_node(routing_config_name(kv->key), kv->value,
		                          &c->nodes[c->n_nodes], err, sizeof(err));
		if (ret == 0)
			c->n_nodes++;
		else if (ret == -EINVAL)
			log_warn("bgp: %s: %s: ignored", kv->key, err);
		else
			goto nomem;
	}
	for (i = 0; i < peers->n; i++) {
		const struct store_kv *kv = &peers->kvs[i];

		ret = routing_config_bgppeer(routing_config_name(kv->key), kv->value,
		                             &c->peers[c->n_peers], err, sizeof(err));
		if (ret == 0)
			c->n_peers++;
		else if (ret == -EINVAL)
			log_warn("bgp: %s: %s: ignored", kv->key, err);
		else
			goto nomem;
	}
	return 0;
nomem:
	routing_config_cluster_clear(c);
	return -ENOMEM;
}

const struct routing_node *routing_config_find_node(const struct routing_cluster *c,
                                                    const char *name)
{
	size_t i;

	for (i = 0; i < c->n_nodes; i++)
		if (strcmp(c->nodes[i].name, name) == 0)
			return &c->nodes[i];
	return NULL;
}
