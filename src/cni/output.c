/*
 * DOC: the plugin's own output: VERSION, and the errors it finds itself.
 *
 * The static plugin has no JSON library (see plugin.h), and needs none for
 * this: every string it writes is its own message with, at most, a value
 * from the environment or the configuration in it. Those are written as
 * printable ASCII: '"' and '\' escaped, any other byte outside 0x20-0x7e
 * shown as '?' (an error message that names a strange value stays readable
 * and is always valid JSON).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

char *cni_plugin_version_json(void)
{
	char *out = NULL, list[128] = "";
	size_t n = 0;
	int v;

	for (v = CNI_V_0_3_0; v <= CNI_V_1_1_0; v++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s\"%s\"",
		                      v > CNI_V_0_3_0 ? "," : "",
		                      cni_version_name((enum cni_version)v));
	if (asprintf(&out, "{\"cniVersion\":\"%s\",\"supportedVersions\":[%s]}\n",
	             CNI_VERSION_LATEST, list) < 0)
		return NULL;
	return out;
}

/* s as the inside of a JSON string: printable ASCII, '"' and '\' escaped. */
static void cni_plugin_ascii(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *s && n + 3 < outlen; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			out[n++] = '\\';
		out[n++] = c >= 0x20 && c <= 0x7e ? (char)c : '?';
	}
	out[n] = '\0';
}

char *cni_plugin_error_json(const char *cni_version, const struct cni_error *e)
{
	char msg[2 * CNI_MSG_MAX], details[2 * CNI_MSG_MAX], *out = NULL;

	if (cni_version_parse(cni_version) == CNI_V_UNKNOWN)
		cni_version = CNI_VERSION_LATEST;
	cni_plugin_ascii(e->msg, msg, sizeof(msg));
	cni_plugin_ascii(e->details, details, sizeof(details));
	if (asprintf(
	        &out,
	        "{\n    \"cniVersion\": \"%s\",\n    \"code\": %d,\n    \"msg\": \"%s\"%s%s%s\n}\n",
	        cni_version, e->code, msg, details[0] ? ",\n    \"details\": \"" : "", details,
	        details[0] ? "\"" : "") < 0)
		return NULL;
	return out;
}
