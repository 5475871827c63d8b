/*
 * DOC: CNI error reporting and spec versions.
 *
 * SPEC.md (1.0.0, 1.1.0) "Error": on failure a plugin prints
 *   {"cniVersion": "...", "code": N, "msg": "...", "details": "..."}
 * on stdout and exits non-zero. Codes 1-99 are reserved for the well-known
 * errors (enum cni_err_code); the message names what was wrong.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni.h"

static const struct {
	enum cni_version v;
	const char *name;
} cni_versions[] = {
    {CNI_V_0_3_0, "0.3.0"}, {CNI_V_0_3_1, "0.3.1"}, {CNI_V_0_4_0, "0.4.0"},
    {CNI_V_1_0_0, "1.0.0"}, {CNI_V_1_1_0, "1.1.0"},
};

enum cni_version cni_version_parse(const char *s)
{
	size_t i;

	if (!s)
		return CNI_V_UNKNOWN;
	for (i = 0; i < sizeof(cni_versions) / sizeof(cni_versions[0]); i++)
		if (strcmp(s, cni_versions[i].name) == 0)
			return cni_versions[i].v;
	return CNI_V_UNKNOWN;
}

const char *cni_version_name(enum cni_version v)
{
	size_t i;

	for (i = 0; i < sizeof(cni_versions) / sizeof(cni_versions[0]); i++)
		if (cni_versions[i].v == v)
			return cni_versions[i].name;
	return CNI_VERSION_LATEST;
}

char *cni_version_json(void)
{
	cJSON *o = cJSON_CreateObject(), *arr = NULL;
	char *out = NULL;
	size_t i;

	if (!o)
		goto out;
	cJSON_AddStringToObject(o, "cniVersion", CNI_VERSION_LATEST);
	arr = cJSON_AddArrayToObject(o, "supportedVersions");
	if (!arr)
		goto out;
	for (i = 0; i < sizeof(cni_versions) / sizeof(cni_versions[0]); i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(cni_versions[i].name));
	out = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return out;
}

void cni_error_set(struct cni_error *e, int code, const char *details, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	snprintf(e->details, sizeof(e->details), "%s", details ? details : "");
}

void cni_error_print(const char *cni_version, const struct cni_error *e)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (!o)
		return;
	cJSON_AddStringToObject(o, "cniVersion", cni_version ? cni_version : CNI_VERSION_LATEST);
	cJSON_AddNumberToObject(o, "code", e->code);
	cJSON_AddStringToObject(o, "msg", e->msg);
	if (e->details[0])
		cJSON_AddStringToObject(o, "details", e->details);
	s = cJSON_Print(o);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	fflush(stdout);
	cJSON_Delete(o);
}
