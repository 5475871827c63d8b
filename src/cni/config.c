/*
 * DOC: parsing of the plugin's network configuration and of CNI_ARGS.
 *
 * cni_config_parse() is a pure function of the bytes it is given (no
 * environment, no I/O), so the fuzz target tests/fuzz/fuzz_cni_config.c can
 * drive it directly. It follows SPEC.md 1.0.0/1.1.0 "Section 1: Network
 * configuration format" for the well-known keys (cniVersion, name, type,
 * args, prevResult, cni.dev/valid-attachments) and reads the plugin's own
 * keys:
 *   "socket"  path of tabbyd's API socket     "timeout" seconds (1-600)
 *   "mtu"     68-65535
 *   "ipam": {"type": "tabby", "assign_ipv4": bool, "assign_ipv6": bool,
 *            "ipv4_pools": [..], "ipv6_pools": [..], "ip"/"ips": requested}
 * Booleans may be JSON booleans or the strings "true"/"false" (Calico's
 * configs use strings). An undecodable document is error 6, a missing or
 * ill-typed key 7, an unknown spec version 1, and an ipam key this plugin does
 * not support 2 (with the key and its value in the message, as the spec asks).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "cni.h"

static bool cni_config_name_valid(const char *s)
{
	const char *p;

	if (!s[0])
		return false;
	/* SPEC.md 1.0.0: alphanumerics, underscore, dot, hyphen. */
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return false;
	return true;
}

static int cni_config_bool(const cJSON *item, const char *what, bool *out, struct cni_error *err)
{
	if (cJSON_IsBool(item)) {
		*out = cJSON_IsTrue(item);
		return 0;
	}
	if (cJSON_IsString(item) && strcmp(item->valuestring, "true") == 0) {
		*out = true;
		return 0;
	}
	if (cJSON_IsString(item) && strcmp(item->valuestring, "false") == 0) {
		*out = false;
		return 0;
	}
	cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL, "%s must be true or false", what);
	return -EINVAL;
}

static int cni_config_strings(const cJSON *item, const char *what, bool addresses, char ***out,
                              size_t *n, struct cni_error *err)
{
	const cJSON *e;
	char **v = NULL;
	size_t count = 0, i = 0;
	int ret = -EINVAL;

	if (cJSON_IsString(item) && addresses) {
		count = 1;
	} else if (cJSON_IsArray(item)) {
		count = (size_t)cJSON_GetArraySize(item);
	} else {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL, "%s must be a list of strings",
		              what);
		goto out;
	}
	if (count > 64) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL, "%s has more than 64 entries",
		              what);
		goto out;
	}
	v = calloc(count ? count : 1, sizeof(*v));
	if (!v) {
		cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
		goto out;
	}
	for (e = cJSON_IsArray(item) ? item->child : item; e && i < count;
	     e = cJSON_IsArray(item) ? e->next : NULL) {
		unsigned char tmp[16];

		if (!cJSON_IsString(e) || !e->valuestring[0]) {
			cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
			              "%s must contain non-empty strings", what);
			goto out;
		}
		if (addresses && inet_pton(AF_INET, e->valuestring, tmp) != 1 &&
		    inet_pton(AF_INET6, e->valuestring, tmp) != 1) {
			cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
			              "%s: \"%.64s\" is not an IP address", what, e->valuestring);
			goto out;
		}
		v[i] = strdup(e->valuestring);
		if (!v[i]) {
			cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
			goto out;
		}
		i++;
	}
	/* A key given twice (JSON allows it): the last one wins. */
	while (*n > 0)
		free((*out)[--*n]);
	free(*out);
	*out = v;
	*n = i;
	v = NULL;
	ret = 0;
out:
	if (v) {
		while (i > 0)
			free(v[--i]);
		free(v);
	}
	return ret;
}

static int cni_config_ipam(const cJSON *ipam, struct cni_config *cfg, struct cni_error *err)
{
	const cJSON *it;

	if (!cJSON_IsObject(ipam)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL, "ipam must be an object");
		return -EINVAL;
	}
	cJSON_ArrayForEach(it, ipam)
	{
		const char *k = it->string;
		int r = 0;

		if (strcmp(k, "type") == 0) {
			if (!cJSON_IsString(it)) {
				cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
				              "ipam.type must be a string");
				return -EINVAL;
			}
			/* Addresses come from the agent; no IPAM plugin is delegated to. */
			if (strcmp(it->valuestring, "tabby") != 0 &&
			    strcmp(it->valuestring, "tabby-ipam") != 0 &&
			    strcmp(it->valuestring, "calico-ipam") != 0) {
				cni_error_set(err, CNI_ERR_UNSUPPORTED_FIELD, NULL,
				              "unsupported field ipam.type: \"%.64s\" (tabby "
				              "assigns addresses itself: use \"tabby\")",
				              it->valuestring);
				return -EINVAL;
			}
		} else if (strcmp(k, "assign_ipv4") == 0) {
			r = cni_config_bool(it, "ipam.assign_ipv4", &cfg->assign_ipv4, err);
		} else if (strcmp(k, "assign_ipv6") == 0) {
			r = cni_config_bool(it, "ipam.assign_ipv6", &cfg->assign_ipv6, err);
		} else if (strcmp(k, "ipv4_pools") == 0) {
			r = cni_config_strings(it, "ipam.ipv4_pools", false, &cfg->ipv4_pools,
			                       &cfg->n_ipv4_pools, err);
		} else if (strcmp(k, "ipv6_pools") == 0) {
			r = cni_config_strings(it, "ipam.ipv6_pools", false, &cfg->ipv6_pools,
			                       &cfg->n_ipv6_pools, err);
		} else if (strcmp(k, "ip") == 0 || strcmp(k, "ips") == 0) {
			if (cfg->ips) {
				cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
				              "ipam.ip and ipam.ips given together");
				return -EINVAL;
			}
			r = cni_config_strings(it, "ipam.ips", true, &cfg->ips, &cfg->n_ips, err);
		} else {
			char *v = cJSON_PrintUnformatted(it);

			cni_error_set(err, CNI_ERR_UNSUPPORTED_FIELD, NULL,
			              "unsupported field ipam.%.64s: %.128s", k, v ? v : "?");
			free(v);
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int cni_config_labels(const cJSON *args, struct cni_config *cfg, struct cni_error *err)
{
	const cJSON *cni, *labels, *l;
	size_t n = 0;

	/* CONVENTIONS.md: "args": {"cni": {"labels": [{"key": k, "value": v}]}} */
	if (!cJSON_IsObject(args))
		goto bad;
	cni = cJSON_GetObjectItemCaseSensitive(args, "cni");
	if (!cni)
		return 0;
	if (!cJSON_IsObject(cni))
		goto bad;
	labels = cJSON_GetObjectItemCaseSensitive(cni, "labels");
	if (!labels)
		return 0;
	if (!cJSON_IsArray(labels) || cJSON_GetArraySize(labels) > 256)
		goto bad;
	cfg->labels = calloc((size_t)cJSON_GetArraySize(labels) + 1, sizeof(*cfg->labels));
	if (!cfg->labels) {
		cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
		return -ENOMEM;
	}
	cJSON_ArrayForEach(l, labels)
	{
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(l, "key");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(l, "value");

		if (!cJSON_IsString(k) || !cJSON_IsString(v) || !k->valuestring[0])
			goto bad;
		cfg->labels[n].key = strdup(k->valuestring);
		cfg->labels[n].value = strdup(v->valuestring);
		cfg->n_labels = ++n;
		if (!cfg->labels[n - 1].key || !cfg->labels[n - 1].value) {
			cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
bad:
	cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
	              "args.cni.labels must be a list of {\"key\": ..., \"value\": ...} objects");
	return -EINVAL;
}

static int cni_config_attachments(const cJSON *list, struct cni_config *cfg, struct cni_error *err)
{
	const cJSON *a;
	size_t n = 0;

	/* SPEC.md 1.1.0 GC: "cni.dev/valid-attachments": [{"containerID", "ifname"}] */
	if (!cJSON_IsArray(list))
		goto bad;
	cfg->has_attachments = true;
	cfg->attachments = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*cfg->attachments));
	if (!cfg->attachments) {
		cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
		return -ENOMEM;
	}
	cJSON_ArrayForEach(a, list)
	{
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(a, "containerID");
		const cJSON *i = cJSON_GetObjectItemCaseSensitive(a, "ifname");

		if (!cJSON_IsString(c) || !cJSON_IsString(i))
			goto bad;
		cfg->attachments[n].container_id = strdup(c->valuestring);
		cfg->attachments[n].ifname = strdup(i->valuestring);
		cfg->n_attachments = ++n;
		if (!cfg->attachments[n - 1].container_id || !cfg->attachments[n - 1].ifname) {
			cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
bad:
	cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
	              "cni.dev/valid-attachments must be a list of {\"containerID\", "
	              "\"ifname\"} objects");
	return -EINVAL;
}

static int cni_config_string(const cJSON *root, const char *key, bool required, char **out,
                             struct cni_error *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, key);

	if (!it) {
		if (!required)
			return 0;
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		              "network configuration has no \"%s\"", key);
		return -EINVAL;
	}
	if (!cJSON_IsString(it)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL, "\"%s\" must be a string", key);
		return -EINVAL;
	}
	*out = strdup(it->valuestring);
	if (!*out) {
		cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int cni_config_plugin_keys(const cJSON *root, struct cni_config *cfg, struct cni_error *err)
{
	const cJSON *it;
	int r;

	r = cni_config_string(root, "socket", false, &cfg->socket_path, err);
	if (r < 0)
		return r;
	if (cfg->socket_path &&
	    (cfg->socket_path[0] != '/' ||
	     strlen(cfg->socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path))) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		              "socket must be an absolute path shorter than %zu bytes",
		              sizeof(((struct sockaddr_un *)0)->sun_path));
		return -EINVAL;
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "mtu");
	if (it) {
		if (!cJSON_IsNumber(it) || it->valuedouble != (double)(int)it->valuedouble ||
		    it->valueint < 68 || it->valueint > 65535) {
			cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
			              "mtu must be an integer from 68 to 65535");
			return -EINVAL;
		}
		cfg->mtu = it->valueint;
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "timeout");
	if (it) {
		if (!cJSON_IsNumber(it) || !(it->valuedouble > 0 && it->valuedouble <= 600)) {
			cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
			              "timeout must be a number of seconds from 1 to 600");
			return -EINVAL;
		}
		cfg->timeout_ms = (int)(it->valuedouble * 1000);
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "ipam");
	if (it && (r = cni_config_ipam(it, cfg, err)) < 0)
		return r;
	if (!cfg->assign_ipv4 && !cfg->assign_ipv6) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		              "ipam.assign_ipv4 and ipam.assign_ipv6 are both false: nothing to "
		              "assign");
		return -EINVAL;
	}
	return 0;
}

int cni_config_parse(const char *data, size_t len, struct cni_config *cfg, struct cni_error *err)
{
	cJSON *root = NULL;
	const cJSON *it;
	int ret = -EINVAL;

	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout_ms = 60000;
	cfg->assign_ipv4 = true; /* Calico's defaults */
	root = cJSON_ParseWithLength(data, len);
	if (!root) {
		cni_error_set(err, CNI_ERR_DECODE, NULL,
		              "failed to decode the network configuration: not valid JSON");
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		cni_error_set(err, CNI_ERR_DECODE, NULL,
		              "failed to decode the network configuration: not a JSON object");
		goto out;
	}
	if (cni_config_string(root, "cniVersion", true, &cfg->cni_version_str, err) < 0)
		goto out;
	cfg->version = cni_version_parse(cfg->cni_version_str);
	if (cfg->version == CNI_V_UNKNOWN) {
		cni_error_set(err, CNI_ERR_INCOMPATIBLE_VERSION, NULL,
		              "incompatible CNI version \"%.32s\": tabby supports 0.3.0, 0.3.1, "
		              "0.4.0, 1.0.0 and 1.1.0",
		              cfg->cni_version_str);
		goto out;
	}
	if (cni_config_string(root, "name", true, &cfg->name, err) < 0 ||
	    cni_config_string(root, "type", true, &cfg->type, err) < 0)
		goto out;
	if (!cni_config_name_valid(cfg->name)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		              "network name \"%.64s\" is not valid (letters, digits, '_', '.', "
		              "'-')",
		              cfg->name);
		goto out;
	}
	if (strcmp(cfg->type, "tabby") != 0) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		              "network configuration is for plugin type \"%.64s\", not \"tabby\"",
		              cfg->type);
		goto out;
	}
	if (cni_config_plugin_keys(root, cfg, err) < 0)
		goto out;
	it = cJSON_GetObjectItemCaseSensitive(root, "args");
	if (it && cni_config_labels(it, cfg, err) < 0)
		goto out;
	/* libcni also sends the list as "cni.dev/attachments" (an early name in 1.1.0). */
	it = cJSON_GetObjectItemCaseSensitive(root, "cni.dev/valid-attachments");
	if (!it)
		it = cJSON_GetObjectItemCaseSensitive(root, "cni.dev/attachments");
	if (it && cni_config_attachments(it, cfg, err) < 0)
		goto out;
	it = cJSON_GetObjectItemCaseSensitive(root, "prevResult");
	if (it) {
		if (!cJSON_IsObject(it)) {
			cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
			              "prevResult must be an object");
			goto out;
		}
		cfg->prev_result = cJSON_Duplicate(it, true);
	}
	ret = 0;
out:
	cJSON_Delete(root);
	return ret;
}

static void cni_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void cni_config_free(struct cni_config *cfg)
{
	size_t i;

	free(cfg->cni_version_str);
	free(cfg->name);
	free(cfg->type);
	free(cfg->socket_path);
	cni_strv_free(cfg->ipv4_pools, cfg->n_ipv4_pools);
	cni_strv_free(cfg->ipv6_pools, cfg->n_ipv6_pools);
	cni_strv_free(cfg->ips, cfg->n_ips);
	for (i = 0; i < cfg->n_labels; i++) {
		free(cfg->labels[i].key);
		free(cfg->labels[i].value);
	}
	free(cfg->labels);
	for (i = 0; i < cfg->n_attachments; i++) {
		free(cfg->attachments[i].container_id);
		free(cfg->attachments[i].ifname);
	}
	free(cfg->attachments);
	cJSON_Delete(cfg->prev_result);
	memset(cfg, 0, sizeof(*cfg));
}
