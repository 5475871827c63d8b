/*
 * DOC: decoding and validation of CNI requests to tabbyd's API.
 *
 * Everything that arrives on the API socket is untrusted: sizes and counts
 * are bounded, every field is type-checked and every identifier is checked
 * against the CNI specification's rules before anything reaches IPAM, the
 * datastore or netlink. See api_request.h for the schema.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api_request.h"

bool api_container_id_valid(const char *id)
{
	const char *p;

	/* SPEC.md 1.0.0: an alphanumeric, then alphanumerics, '_', '.', '-'. */
	if (!id || !isalnum((unsigned char)id[0]))
		return false;
	for (p = id + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return p - id <= API_NAME_MAX;
}

bool api_ifname_valid(const char *name)
{
	const char *p;

	/* SPEC.md 1.0.0: not empty, "." or "..", under 16 bytes, no '/', ':', whitespace. */
	if (!name || !name[0] || strlen(name) >= 16 || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return false;
	return true;
}

bool api_network_name_valid(const char *name)
{
	const char *p;

	if (!name || !name[0] || strlen(name) > API_NAME_MAX)
		return false;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return true;
}

static int api_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int api_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Printable text without control characters, at most max bytes. */
static bool api_text_ok(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || n >= max)
			return false;
	return true;
}

static int api_get_string(const cJSON *o, const char *key, bool required, size_t max, char **out,
                          char *err, size_t errlen)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!it || cJSON_IsNull(it)) {
		if (required)
			return api_fail(err, errlen, "%s is required", key);
		return 0;
	}
	if (!cJSON_IsString(it) || !api_text_ok(it->valuestring, max))
		return api_fail(err, errlen, "%s must be a string of at most %zu printable bytes",
		                key, max);
	*out = strdup(it->valuestring);
	return *out ? 0 : -ENOMEM;
}

static int api_get_bool(const cJSON *o, const char *key, bool *out, char *err, size_t errlen)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!it)
		return 0;
	if (!cJSON_IsBool(it))
		return api_fail(err, errlen, "%s must be true or false", key);
	*out = cJSON_IsTrue(it);
	return 0;
}

static int api_get_labels(const cJSON *o, struct api_cni_request *req, char *err, size_t errlen)
{
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(o, "labels"), *l;

	if (!labels)
		return 0;
	if (!cJSON_IsObject(labels) || cJSON_GetArraySize(labels) > API_MAX_LABELS)
		return api_fail(err, errlen, "labels must be an object of at most %u strings",
		                API_MAX_LABELS);
	req->labels = calloc((size_t)cJSON_GetArraySize(labels) + 1, sizeof(*req->labels));
	if (!req->labels)
		return -ENOMEM;
	cJSON_ArrayForEach(l, labels)
	{
		if (!cJSON_IsString(l) || !l->string[0] || !api_text_ok(l->string, 317) ||
		    !api_text_ok(l->valuestring, 1024))
			return api_fail(err, errlen, "labels: \"%.64s\" must map to a string",
			                l->string);
		req->labels[req->n_labels].key = strdup(l->string);
		req->labels[req->n_labels].value = strdup(l->valuestring);
		req->n_labels++;
		if (!req->labels[req->n_labels - 1].key || !req->labels[req->n_labels - 1].value)
			return -ENOMEM;
	}
	return 0;
}

static int api_get_pools(const cJSON *o, const char *key, struct api_cni_request *req, char *err,
                         size_t errlen)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, key), *p;
	char **n;

	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr) || req->n_pools + (size_t)cJSON_GetArraySize(arr) > API_MAX_POOLS)
		return api_fail(err, errlen, "%s must be a list of at most %u pool names", key,
		                API_MAX_POOLS);
	n = realloc(req->pools, (req->n_pools + (size_t)cJSON_GetArraySize(arr) + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	req->pools = n;
	cJSON_ArrayForEach(p, arr)
	{
		if (!cJSON_IsString(p) || !p->valuestring[0] ||
		    !api_text_ok(p->valuestring, API_NAME_MAX))
			return api_fail(err, errlen, "%s must contain pool names or CIDRs", key);
		req->pools[req->n_pools] = strdup(p->valuestring);
		if (!req->pools[req->n_pools])
			return -ENOMEM;
		req->n_pools++;
	}
	return 0;
}

static int api_get_ips(const cJSON *o, struct api_cni_request *req, char *err, size_t errlen)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "ips"), *p;

	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > API_MAX_ADDRS)
		return api_fail(err, errlen, "ips must be a list of at most %u addresses",
		                API_MAX_ADDRS);
	cJSON_ArrayForEach(p, arr)
	{
		if (!cJSON_IsString(p) || addr_parse(p->valuestring, &req->ips[req->n_ips]) < 0)
			return api_fail(err, errlen, "ips: \"%.64s\" is not an IP address",
			                cJSON_IsString(p) ? p->valuestring : "?");
		req->n_ips++;
	}
	return 0;
}

static int api_get_prev_result(const cJSON *o, struct api_cni_request *req, char *err,
                               size_t errlen)
{
	const cJSON *prev = cJSON_GetObjectItemCaseSensitive(o, "prevResult"), *ips, *ip;

	if (!prev)
		return 0;
	if (!cJSON_IsObject(prev))
		return api_fail(err, errlen, "prevResult must be an object");
	req->has_prev_result = true;
	ips = cJSON_GetObjectItemCaseSensitive(prev, "ips");
	if (!ips)
		return 0;
	if (!cJSON_IsArray(ips) || cJSON_GetArraySize(ips) > API_MAX_ADDRS)
		return api_fail(err, errlen, "prevResult.ips must be a list of at most %u entries",
		                API_MAX_ADDRS);
	cJSON_ArrayForEach(ip, ips)
	{
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(ip, "address");
		struct prefix p;

		if (!cJSON_IsString(a) || prefix_parse(a->valuestring, &p, false) < 0)
			return api_fail(err, errlen, "prevResult.ips[%zu].address is not a CIDR",
			                req->n_prev_ips);
		req->prev_ips[req->n_prev_ips++] = p.addr;
	}
	return 0;
}

static int api_get_attachments(const cJSON *o, struct api_cni_request *req, char *err,
                               size_t errlen)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "validAttachments"), *a;

	if (!arr)
		return api_fail(err, errlen, "validAttachments is required for gc");
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > 65536)
		return api_fail(err, errlen, "validAttachments must be a list");
	req->attachments = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*req->attachments));
	if (!req->attachments)
		return -ENOMEM;
	cJSON_ArrayForEach(a, arr)
	{
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(a, "containerID");
		const cJSON *i = cJSON_GetObjectItemCaseSensitive(a, "ifName");
		struct api_attachment *at = &req->attachments[req->n_attachments];

		if (!cJSON_IsString(c) || !cJSON_IsString(i))
			return api_fail(err, errlen,
			                "validAttachments[%zu] needs containerID and ifName",
			                req->n_attachments);
		at->container_id = strdup(c->valuestring);
		at->ifname = strdup(i->valuestring);
		req->n_attachments++;
		if (!at->container_id || !at->ifname)
			return -ENOMEM;
	}
	return 0;
}

static int api_request_fields(const cJSON *o, struct api_cni_request *req, char *err, size_t errlen)
{
	bool ident = req->kind != API_REQ_GC;
	const cJSON *mtu;
	int r;

	if ((r = api_get_string(o, "network", true, API_NAME_MAX, &req->network, err, errlen)) <
	        0 ||
	    (r = api_get_string(o, "containerID", ident, API_NAME_MAX, &req->container_id, err,
	                        errlen)) < 0 ||
	    (r = api_get_string(o, "ifName", ident, 15, &req->ifname, err, errlen)) < 0 ||
	    (r = api_get_string(o, "netns", req->kind == API_REQ_ADD || req->kind == API_REQ_CHECK,
	                        4095, &req->netns, err, errlen)) < 0 ||
	    (r = api_get_string(o, "namespace", false, API_NAME_MAX, &req->pod_namespace, err,
	                        errlen)) < 0 ||
	    (r = api_get_string(o, "pod", false, API_NAME_MAX, &req->pod, err, errlen)) < 0)
		return r;
	if (!api_network_name_valid(req->network))
		return api_fail(err, errlen, "network \"%.64s\" is not a valid network name",
		                req->network);
	if (req->container_id && !api_container_id_valid(req->container_id))
		return api_fail(err, errlen, "containerID \"%.64s\" is not a valid container ID",
		                req->container_id);
	if (req->ifname && !api_ifname_valid(req->ifname))
		return api_fail(err, errlen, "ifName \"%.64s\" is not a valid interface name",
		                req->ifname);
	if (req->netns && req->netns[0] != '/')
		return api_fail(err, errlen, "netns must be an absolute path");
	mtu = cJSON_GetObjectItemCaseSensitive(o, "mtu");
	if (mtu) {
		if (!cJSON_IsNumber(mtu) || mtu->valuedouble != (double)mtu->valueint ||
		    (mtu->valueint != 0 && (mtu->valueint < 68 || mtu->valueint > 65535)))
			return api_fail(err, errlen, "mtu must be an integer from 68 to 65535");
		req->mtu = (unsigned)mtu->valueint;
	}
	if ((r = api_get_bool(o, "assignIPv4", &req->assign_ipv4, err, errlen)) < 0 ||
	    (r = api_get_bool(o, "assignIPv6", &req->assign_ipv6, err, errlen)) < 0 ||
	    (r = api_get_labels(o, req, err, errlen)) < 0 ||
	    (r = api_get_pools(o, "ipv4Pools", req, err, errlen)) < 0 ||
	    (r = api_get_pools(o, "ipv6Pools", req, err, errlen)) < 0 ||
	    (r = api_get_ips(o, req, err, errlen)) < 0 ||
	    (r = api_get_prev_result(o, req, err, errlen)) < 0)
		return r;
	if (req->kind == API_REQ_ADD && !req->assign_ipv4 && !req->assign_ipv6 && !req->n_ips)
		return api_fail(err, errlen, "assignIPv4 and assignIPv6 are both false");
	if (req->kind == API_REQ_GC)
		return api_get_attachments(o, req, err, errlen);
	return 0;
}

int api_request_parse(enum api_request_kind kind, const char *data, size_t len,
                      struct api_cni_request *req, int *code, char *err, size_t errlen)
{
	cJSON *root = NULL;
	int ret;

	memset(req, 0, sizeof(*req));
	req->kind = kind;
	req->assign_ipv4 = true;
	*code = API_PARSE_INVALID;
	if (len > API_MAX_BODY) {
		ret = api_fail(err, errlen, "request body larger than %u bytes", API_MAX_BODY);
		goto out;
	}
	root = cJSON_ParseWithLength(data, len);
	if (!root || !cJSON_IsObject(root)) {
		*code = API_PARSE_UNDECODABLE;
		ret = api_fail(err, errlen, "request body is not a JSON object");
		goto out;
	}
	ret = api_request_fields(root, req, err, errlen);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
out:
	cJSON_Delete(root);
	if (ret < 0)
		api_request_free(req);
	return ret;
}

void api_request_free(struct api_cni_request *req)
{
	size_t i;

	free(req->network);
	free(req->container_id);
	free(req->ifname);
	free(req->netns);
	free(req->pod_namespace);
	free(req->pod);
	for (i = 0; i < req->n_labels; i++) {
		free(req->labels[i].key);
		free(req->labels[i].value);
	}
	free(req->labels);
	for (i = 0; i < req->n_pools; i++)
		free(req->pools[i]);
	free(req->pools);
	for (i = 0; i < req->n_attachments; i++) {
		free(req->attachments[i].container_id);
		free(req->attachments[i].ifname);
	}
	free(req->attachments);
	memset(req, 0, sizeof(*req));
}
