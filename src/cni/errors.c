/*
 * DOC: CNI error reporting and spec versions.
 *
 * SPEC.md (1.0.0, 1.1.0) "Error": on failure a plugin prints
 *   {"cniVersion": "...", "code": N, "msg": "...", "details": "..."}
 * on stdout and exits non-zero. Codes 1-99 are reserved for the well-known
 * errors (enum cni_err_code); the message names what was wrong. Nothing here
 * needs a JSON library: the static plugin links this file too (call.c
 * renders the JSON in tabbyd, main.c the plugin's own errors).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
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

const struct cni_env_var cni_env_vars[CNI_ENV_VARS] = {
    {"CNI_COMMAND", "CNI-Command", offsetof(struct cni_env, command)},
    {"CNI_CONTAINERID", "CNI-ContainerID", offsetof(struct cni_env, container_id)},
    {"CNI_NETNS", "CNI-Netns", offsetof(struct cni_env, netns)},
    {"CNI_IFNAME", "CNI-IfName", offsetof(struct cni_env, ifname)},
    {"CNI_ARGS", "CNI-Args", offsetof(struct cni_env, args)},
};

static const char *const cni_command_names[] = {"ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"};

int cni_command_parse(const char *s, struct cni_error *err)
{
	size_t i;

	if (!s || !s[0]) {
		cni_error_set(err, CNI_ERR_INVALID_ENV, NULL,
		              "missing environment variable CNI_COMMAND");
		return -1;
	}
	for (i = 0; i < sizeof(cni_command_names) / sizeof(cni_command_names[0]); i++)
		if (strcmp(s, cni_command_names[i]) == 0)
			return (int)i;
	cni_error_set(err, CNI_ERR_INVALID_ENV, NULL,
	              "CNI_COMMAND \"%.32s\" is not ADD, DEL, CHECK, GC, STATUS or VERSION", s);
	return -1;
}

const char *cni_command_name(enum cni_command c)
{
	return cni_command_names[c];
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
