/*
 * DOC: the ADD result in the format of the configuration's CNI version.
 *
 * tabbyd answers ADD with the version-neutral core of a result
 * ("interfaces", "ips" with "interface" indexes, "routes"; see
 * src/tabbyd/cni_handler.c). This file turns it into the result the
 * configuration's cniVersion calls for:
 *   0.3.0, 0.3.1, 0.4.0: every IP entry carries "version": "4" or "6"
 *                        (SPEC.md 0.4.0 "Result");
 *   1.0.0:               no "version" in IP entries (SPEC.md 1.0.0 "ADD Success");
 *   1.1.0:               as 1.0.0, and interfaces may carry "mtu".
 * Only known keys are copied, so an agent newer than the plugin cannot leak
 * fields into an older result format.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cni.h"

static cJSON *cni_result_interfaces(const cJSON *src, enum cni_version v)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *i;

	if (!out)
		return NULL;
	cJSON_ArrayForEach(i, src)
	{
		const char *keys[] = {"name", "mac", "sandbox"};
		cJSON *o = cJSON_CreateObject();
		const cJSON *mtu;
		size_t k;

		if (!o)
			goto fail;
		cJSON_AddItemToArray(out, o);
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			const cJSON *f = cJSON_GetObjectItemCaseSensitive(i, keys[k]);

			if (cJSON_IsString(f) && f->valuestring[0])
				cJSON_AddStringToObject(o, keys[k], f->valuestring);
		}
		mtu = cJSON_GetObjectItemCaseSensitive(i, "mtu");
		if (v >= CNI_V_1_1_0 && cJSON_IsNumber(mtu))
			cJSON_AddNumberToObject(o, "mtu", mtu->valueint);
	}
	return out;
fail:
	cJSON_Delete(out);
	return NULL;
}

static cJSON *cni_result_ips(const cJSON *src, enum cni_version v)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *i;

	if (!out)
		return NULL;
	cJSON_ArrayForEach(i, src)
	{
		const cJSON *addr = cJSON_GetObjectItemCaseSensitive(i, "address");
		const cJSON *gw = cJSON_GetObjectItemCaseSensitive(i, "gateway");
		const cJSON *idx = cJSON_GetObjectItemCaseSensitive(i, "interface");
		cJSON *o;

		if (!cJSON_IsString(addr))
			continue;
		o = cJSON_CreateObject();
		if (!o)
			goto fail;
		cJSON_AddItemToArray(out, o);
		if (v < CNI_V_1_0_0)
			cJSON_AddStringToObject(o, "version",
			                        strchr(addr->valuestring, ':') ? "6" : "4");
		cJSON_AddStringToObject(o, "address", addr->valuestring);
		if (cJSON_IsString(gw))
			cJSON_AddStringToObject(o, "gateway", gw->valuestring);
		if (cJSON_IsNumber(idx))
			cJSON_AddNumberToObject(o, "interface", idx->valueint);
	}
	return out;
fail:
	cJSON_Delete(out);
	return NULL;
}

static cJSON *cni_result_routes(const cJSON *src)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *r;

	if (!out)
		return NULL;
	cJSON_ArrayForEach(r, src)
	{
		const cJSON *dst = cJSON_GetObjectItemCaseSensitive(r, "dst");
		const cJSON *gw = cJSON_GetObjectItemCaseSensitive(r, "gw");
		cJSON *o;

		if (!cJSON_IsString(dst))
			continue;
		o = cJSON_CreateObject();
		if (!o)
			goto fail;
		cJSON_AddItemToArray(out, o);
		cJSON_AddStringToObject(o, "dst", dst->valuestring);
		if (cJSON_IsString(gw))
			cJSON_AddStringToObject(o, "gw", gw->valuestring);
	}
	return out;
fail:
	cJSON_Delete(out);
	return NULL;
}

char *cni_result_build(const struct cni_config *cfg, const cJSON *reply, struct cni_error *err)
{
	cJSON *res = cJSON_CreateObject(), *part;
	const cJSON *ips = cJSON_GetObjectItemCaseSensitive(reply, "ips");
	char *out = NULL;

	if (!res)
		goto oom;
	if (!cJSON_IsArray(ips) || cJSON_GetArraySize(ips) == 0) {
		cni_error_set(err, CNI_ERR_IO, NULL, "tabbyd's ADD reply has no IP addresses");
		goto out;
	}
	cJSON_AddStringToObject(res, "cniVersion", cni_version_name(cfg->version));
	part = cni_result_interfaces(cJSON_GetObjectItemCaseSensitive(reply, "interfaces"),
	                             cfg->version);
	if (!part)
		goto oom;
	cJSON_AddItemToObject(res, "interfaces", part);
	part = cni_result_ips(ips, cfg->version);
	if (!part)
		goto oom;
	cJSON_AddItemToObject(res, "ips", part);
	part = cni_result_routes(cJSON_GetObjectItemCaseSensitive(reply, "routes"));
	if (!part)
		goto oom;
	cJSON_AddItemToObject(res, "routes", part);
	if (!cJSON_AddObjectToObject(res, "dns"))
		goto oom;
	out = cJSON_Print(res);
	if (!out)
		goto oom;
	goto out;
oom:
	cni_error_set(err, CNI_ERR_IO, NULL, "out of memory building the result");
out:
	cJSON_Delete(res);
	return out;
}
