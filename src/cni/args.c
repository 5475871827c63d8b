/*
 * DOC: the CNI environment: CNI_ARGS and the container identifiers.
 *
 * SPEC.md 1.0.0 "Parameters": CNI_ARGS is "alphanumeric key-value pairs
 * separated by semicolons" ("FOO=BAR;ABC=123"). Tabby reads the Kubernetes
 * keys (K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID,
 * K8S_POD_INFRA_CONTAINER_ID), IP (a requested address) and IgnoreUnknown
 * (CONVENTIONS.md): without IgnoreUnknown an unknown key is an error, like
 * the reference plugins. Problems are error 4 naming CNI_ARGS.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni.h"

/* SPEC.md 1.0.0: starts with an alphanumeric, then alphanumerics, '_', '.', '-'. */
bool cni_container_id_valid(const char *id)
{
	const char *p;

	if (!id || !isalnum((unsigned char)id[0]))
		return false;
	for (p = id + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return p - id <= 256;
}

/* SPEC.md 1.0.0: not empty, not "." or "..", under 16 bytes, no '/', ':' or whitespace. */
bool cni_ifname_valid(const char *name)
{
	const char *p;

	if (!name || !name[0] || strlen(name) >= 16 || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return false;
	return true;
}

static int cni_args_set(char **field, const char *v, struct cni_error *err)
{
	free(*field);
	*field = strdup(v);
	if (!*field) {
		cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int cni_args_parse(const char *s, struct cni_args *args, struct cni_error *err)
{
	char *copy = NULL, *save = NULL, *pair;
	char unknown[64] = "";
	int ret = -EINVAL;

	memset(args, 0, sizeof(*args));
	if (!s || !s[0])
		return 0;
	copy = strdup(s);
	if (!copy) {
		cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
		return -ENOMEM;
	}
	for (pair = strtok_r(copy, ";", &save); pair; pair = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(pair, '=');
		const char *k = pair, *v;
		int r = 0;

		if (!eq || eq == pair) {
			cni_error_set(err, CNI_ERR_INVALID_ENV, NULL,
			              "CNI_ARGS: \"%.64s\" is not a KEY=VALUE pair", pair);
			goto out;
		}
		*eq = '\0';
		v = eq + 1;
		if (strcmp(k, "K8S_POD_NAMESPACE") == 0) {
			r = cni_args_set(&args->pod_namespace, v, err);
		} else if (strcmp(k, "K8S_POD_NAME") == 0) {
			r = cni_args_set(&args->pod_name, v, err);
		} else if (strcmp(k, "K8S_POD_UID") == 0) {
			r = cni_args_set(&args->pod_uid, v, err);
		} else if (strcmp(k, "K8S_POD_INFRA_CONTAINER_ID") == 0) {
			r = cni_args_set(&args->infra_container_id, v, err);
		} else if (strcmp(k, "IP") == 0) {
			unsigned char tmp[16];

			if (inet_pton(AF_INET, v, tmp) != 1 && inet_pton(AF_INET6, v, tmp) != 1) {
				cni_error_set(err, CNI_ERR_INVALID_ENV, NULL,
				              "CNI_ARGS: IP=\"%.64s\" is not an IP address", v);
				goto out;
			}
			r = cni_args_set(&args->ip, v, err);
		} else if (strcmp(k, "IgnoreUnknown") == 0) {
			args->ignore_unknown = strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0;
		} else if (!unknown[0]) {
			snprintf(unknown, sizeof(unknown), "%s", k);
		}
		if (r < 0) {
			ret = r;
			goto out;
		}
	}
	if (unknown[0] && !args->ignore_unknown) {
		cni_error_set(err, CNI_ERR_INVALID_ENV, NULL,
		              "CNI_ARGS: unknown key \"%s\" (set IgnoreUnknown=1 to ignore it)",
		              unknown);
		goto out;
	}
	ret = 0;
out:
	free(copy);
	if (ret < 0)
		cni_args_free(args);
	return ret;
}

void cni_args_free(struct cni_args *args)
{
	free(args->pod_namespace);
	free(args->pod_name);
	free(args->pod_uid);
	free(args->infra_container_id);
	free(args->ip);
	memset(args, 0, sizeof(*args));
}
