/*
 * DOC: one CNI call, from its environment and configuration to its output.
 *
 * SPEC.md 1.0.0/1.1.0 "Section 2: Execution Protocol": the verb is in
 * CNI_COMMAND, the container in CNI_CONTAINERID/CNI_NETNS/CNI_IFNAME, extra
 * arguments in CNI_ARGS, the network configuration on stdin. tabbyd runs
 * this for the relay plugin (src/tabbyd/api_cni_call.c); the order of checks
 * decides which well-known code a broken call gets:
 *   CNI_COMMAND unknown or missing                          -> 4
 *   stdin not JSON                                          -> 6
 *   cniVersion not supported (or too old for the verb)      -> 1
 *   ipam field not supported                                -> 2
 *   configuration invalid                                   -> 7
 *   CNI_CONTAINERID/CNI_NETNS/CNI_IFNAME/CNI_ARGS bad       -> 4
 *   the network namespace does not exist (ADD, CHECK)       -> 3
 *   the agent unreachable (the plugin's own answer)         -> 11 (STATUS: 50)
 * Errors of the agent carry their own code and are passed through.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni.h"

static int cni_check_env(enum cni_command cmd, const struct cni_env *env, struct cni_error *err)
{
	const char *id = env->container_id, *ifn = env->ifname, *netns = env->netns;
	char missing[128] = "";

	if (cmd == CNI_CMD_GC || cmd == CNI_CMD_STATUS)
		return 0;
	if (!id || !id[0])
		strcat(missing, " CNI_CONTAINERID");
	if ((cmd == CNI_CMD_ADD || cmd == CNI_CMD_CHECK) && (!netns || !netns[0]))
		strcat(missing, " CNI_NETNS");
	if (!ifn || !ifn[0])
		strcat(missing, " CNI_IFNAME");
	if (missing[0]) {
		cni_error_set(err, CNI_ERR_INVALID_ENV, NULL,
		              "missing environment variable(s) for %s:%s", cni_command_name(cmd),
		              missing);
		return -EINVAL;
	}
	if (!cni_container_id_valid(id)) {
		cni_error_set(err, CNI_ERR_INVALID_ENV, NULL,
		              "CNI_CONTAINERID \"%.64s\" is not a valid container ID", id);
		return -EINVAL;
	}
	if (!cni_ifname_valid(ifn)) {
		cni_error_set(err, CNI_ERR_INVALID_ENV, NULL,
		              "CNI_IFNAME \"%.64s\" is not a valid interface name", ifn);
		return -EINVAL;
	}
	if (netns && netns[0] && netns[0] != '/') {
		cni_error_set(err, CNI_ERR_INVALID_ENV, NULL,
		              "CNI_NETNS \"%.64s\" is not an absolute path", netns);
		return -EINVAL;
	}
	if ((cmd == CNI_CMD_ADD || cmd == CNI_CMD_CHECK) && access(netns, F_OK) < 0) {
		cni_error_set(err, CNI_ERR_UNKNOWN_CONTAINER, strerror(errno),
		              "network namespace %s of container %s does not exist", netns, id);
		return -ENOENT;
	}
	return 0;
}

static void cni_add_strings(cJSON *o, const char *key, char *const *v, size_t n, const char *extra)
{
	cJSON *arr;
	size_t i;

	if (!n && !extra)
		return;
	arr = cJSON_AddArrayToObject(o, key);
	for (i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(v[i]));
	if (arr && extra)
		cJSON_AddItemToArray(arr, cJSON_CreateString(extra));
}

static void cni_add_env(cJSON *o, const char *key, const char *v)
{
	if (v && v[0])
		cJSON_AddStringToObject(o, key, v);
}

/* The request body (see src/tabbyd/api_request.c for its schema). */
static char *cni_request_body(const struct cni_config *cfg, const struct cni_env *env,
                              const struct cni_args *args)
{
	cJSON *o = cJSON_CreateObject(), *labels, *att;
	char *out = NULL;
	size_t i;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "network", cfg->name);
	cni_add_env(o, "containerID", env->container_id);
	cni_add_env(o, "ifName", env->ifname);
	cni_add_env(o, "netns", env->netns);
	if (args->pod_namespace)
		cJSON_AddStringToObject(o, "namespace", args->pod_namespace);
	if (args->pod_name)
		cJSON_AddStringToObject(o, "pod", args->pod_name);
	if (cfg->n_labels) {
		labels = cJSON_AddObjectToObject(o, "labels");
		for (i = 0; labels && i < cfg->n_labels; i++) {
			cJSON_DeleteItemFromObjectCaseSensitive(labels, cfg->labels[i].key);
			cJSON_AddStringToObject(labels, cfg->labels[i].key, cfg->labels[i].value);
		}
	}
	if (cfg->mtu)
		cJSON_AddNumberToObject(o, "mtu", cfg->mtu);
	cJSON_AddBoolToObject(o, "assignIPv4", cfg->assign_ipv4);
	cJSON_AddBoolToObject(o, "assignIPv6", cfg->assign_ipv6);
	cni_add_strings(o, "ipv4Pools", cfg->ipv4_pools, cfg->n_ipv4_pools, NULL);
	cni_add_strings(o, "ipv6Pools", cfg->ipv6_pools, cfg->n_ipv6_pools, NULL);
	cni_add_strings(o, "ips", cfg->ips, cfg->n_ips, args->ip);
	if (cfg->prev_result)
		cJSON_AddItemToObject(o, "prevResult", cJSON_Duplicate(cfg->prev_result, true));
	if (cfg->has_attachments) {
		att = cJSON_AddArrayToObject(o, "validAttachments");
		for (i = 0; att && i < cfg->n_attachments; i++) {
			cJSON *a = cJSON_CreateObject();

			cJSON_AddStringToObject(a, "containerID", cfg->attachments[i].container_id);
			cJSON_AddStringToObject(a, "ifName", cfg->attachments[i].ifname);
			cJSON_AddItemToArray(att, a);
		}
	}
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

/* An error reply of the agent: {"code": N, "msg": "...", "details": "..."}. */
static void cni_error_from_reply(int status, const cJSON *reply, struct cni_error *err)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(reply, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(reply, "msg");
	const cJSON *details = cJSON_GetObjectItemCaseSensitive(reply, "details");

	cni_error_set(err, cJSON_IsNumber(code) && code->valueint > 0 ? code->valueint : CNI_ERR_IO,
	              cJSON_IsString(details) ? details->valuestring : NULL, "%s",
	              cJSON_IsString(msg) ? msg->valuestring : "tabbyd failed the request");
	if (!cJSON_IsString(msg))
		snprintf(err->msg, sizeof(err->msg), "tabbyd answered HTTP %d", status);
}

static int cni_version_allows(enum cni_command cmd, const struct cni_config *cfg,
                              struct cni_error *err)
{
	/* CHECK exists from 0.4.0 on, GC and STATUS from 1.1.0 on. */
	if ((cmd == CNI_CMD_CHECK && cfg->version < CNI_V_0_4_0) ||
	    ((cmd == CNI_CMD_GC || cmd == CNI_CMD_STATUS) && cfg->version < CNI_V_1_1_0)) {
		cni_error_set(err, CNI_ERR_INCOMPATIBLE_VERSION, NULL,
		              "configuration version %s does not allow %s", cfg->cni_version_str,
		              cni_command_name(cmd));
		return -EINVAL;
	}
	if (cmd == CNI_CMD_CHECK && !cfg->prev_result) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL, "CHECK without prevResult");
		return -EINVAL;
	}
	return 0;
}

/* The verb on a parsed configuration: *out the ADD result, NULL for the others. */
static int cni_run(enum cni_command cmd, const struct cni_env *env, struct cni_config *cfg,
                   cni_send_fn send, void *ctx, char **out, struct cni_error *err)
{
	static const char *const paths[] = {"/v1/cni/add", "/v1/cni/del", "/v1/cni/check",
	                                    "/v1/cni/gc", "/v1/status"};
	struct cni_args args = {0};
	char *body = NULL;
	cJSON *reply = NULL;
	int status = 0, ret;

	ret = cni_version_allows(cmd, cfg, err);
	if (ret < 0)
		goto out;
	ret = cni_check_env(cmd, env, err);
	if (ret < 0)
		goto out;
	ret = cni_args_parse(env->args, &args, err);
	if (ret < 0)
		goto out;
	body = cni_request_body(cfg, env, &args);
	if (!body) {
		cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	ret = send(ctx, cmd == CNI_CMD_STATUS ? "GET" : "POST", paths[cmd],
	           cmd == CNI_CMD_STATUS ? NULL : body, &status, &reply, err);
	if (ret < 0)
		goto out;
	if (status < 200 || status > 299) {
		cni_error_from_reply(status, reply, err);
		/* STATUS: tabbyd's own "not ready" is the spec's 50, whatever else it said. */
		if (cmd == CNI_CMD_STATUS && err->code < 50)
			err->code = CNI_ERR_PLUGIN_NOT_AVAILABLE;
		ret = -EIO;
		goto out;
	}
	if (cmd == CNI_CMD_ADD) {
		*out = cni_result_build(cfg, reply, err);
		if (!*out) {
			ret = -EIO;
			goto out;
		}
	}
	ret = 0;
out:
	free(body);
	cJSON_Delete(reply);
	cni_args_free(&args);
	return ret;
}

char *cni_version_json(void)
{
	cJSON *o = cJSON_CreateObject(), *arr = NULL;
	char *out = NULL;
	int v;

	if (!o)
		goto out;
	cJSON_AddStringToObject(o, "cniVersion", CNI_VERSION_LATEST);
	arr = cJSON_AddArrayToObject(o, "supportedVersions");
	if (!arr)
		goto out;
	for (v = CNI_V_0_3_0; v <= CNI_V_1_1_0; v++)
		cJSON_AddItemToArray(arr,
		                     cJSON_CreateString(cni_version_name((enum cni_version)v)));
	out = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return out;
}

char *cni_error_json(const char *cni_version, const struct cni_error *e)
{
	cJSON *o = cJSON_CreateObject();
	char *s, *out = NULL;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "cniVersion", cni_version ? cni_version : CNI_VERSION_LATEST);
	cJSON_AddNumberToObject(o, "code", e->code);
	cJSON_AddStringToObject(o, "msg", e->msg);
	if (e->details[0])
		cJSON_AddStringToObject(o, "details", e->details);
	s = cJSON_Print(o);
	cJSON_Delete(o);
	if (s && asprintf(&out, "%s\n", s) < 0)
		out = NULL;
	free(s);
	return out;
}

/* text + "\n", or "" for NULL; the argument is freed. */
static char *cni_line(char *text)
{
	char *out = NULL;

	if (asprintf(&out, "%s%s", text ? text : "", text ? "\n" : "") < 0)
		out = NULL;
	free(text);
	return out;
}

int cni_call(const struct cni_env *env, const char *config, size_t len, cni_send_fn send, void *ctx,
             char **out, struct cni_error *err)
{
	struct cni_config cfg = {0};
	char *text = NULL;
	int cmd;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	cmd = cni_command_parse(env->command, err);
	if (cmd == CNI_CMD_VERSION) {
		text = cni_version_json();
		if (!text)
			cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
	} else if (cmd >= 0 && cni_config_parse(config, len, &cfg, err) == 0) {
		cni_run((enum cni_command)cmd, env, &cfg, send, ctx, &text, err);
	}
	if (err->code) {
		free(text);
		*out =
		    cni_error_json(cfg.version != CNI_V_UNKNOWN ? cfg.cni_version_str : NULL, err);
	} else {
		*out = cni_line(text);
	}
	cni_config_free(&cfg);
	return err->code;
}
