/*
 * DOC: the `tabby` CNI plugin: one CNI call, one request to tabbyd.
 *
 * SPEC.md 1.0.0/1.1.0 "Section 2: Execution Protocol": the verb is in
 * CNI_COMMAND, the container in CNI_CONTAINERID/CNI_NETNS/CNI_IFNAME, extra
 * arguments in CNI_ARGS, the network configuration on stdin. The order of
 * checks decides which well-known code a broken call gets:
 *   CNI_COMMAND unknown or missing                          -> 4
 *   stdin not JSON                                          -> 6
 *   cniVersion not supported (or too old for the verb)      -> 1
 *   ipam field not supported                                -> 2
 *   configuration invalid                                   -> 7
 *   CNI_CONTAINERID/CNI_NETNS/CNI_IFNAME/CNI_ARGS bad       -> 4
 *   the network namespace does not exist (ADD, CHECK)       -> 3
 *   tabbyd unreachable                                      -> 11 (STATUS: 50)
 * Errors from tabbyd carry their own code and are passed through.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni.h"

#define CNI_STDIN_MAX (1u << 20)

enum cni_command {
	CNI_CMD_ADD,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_GC,
	CNI_CMD_STATUS,
	CNI_CMD_VERSION,
};

static const char *const cni_command_names[] = {"ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"};

static char *cni_read_stdin(size_t *len, struct cni_error *err)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		goto oom;
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			char *nb;

			if (cap >= CNI_STDIN_MAX) {
				cni_error_set(err, CNI_ERR_DECODE, NULL,
				              "network configuration larger than %u bytes",
				              CNI_STDIN_MAX);
				free(buf);
				return NULL;
			}
			nb = realloc(buf, cap * 2);
			if (!nb)
				goto oom;
			buf = nb;
			cap *= 2;
		}
		r = read(STDIN_FILENO, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			cni_error_set(err, CNI_ERR_IO, NULL, "reading stdin: %s", strerror(errno));
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
oom:
	free(buf);
	cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
	return NULL;
}

static int cni_check_env(enum cni_command cmd, struct cni_error *err)
{
	const char *id = getenv("CNI_CONTAINERID"), *ifn = getenv("CNI_IFNAME");
	const char *netns = getenv("CNI_NETNS");
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
		              "missing environment variable(s) for %s:%s", cni_command_names[cmd],
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

static void cni_add_env(cJSON *o, const char *key, const char *env)
{
	const char *v = getenv(env);

	if (v && v[0])
		cJSON_AddStringToObject(o, key, v);
}

/* The request body (see src/tabbyd/api_request.c for its schema). */
static char *cni_request_body(const struct cni_config *cfg, const struct cni_args *args)
{
	cJSON *o = cJSON_CreateObject(), *labels, *att;
	char *out = NULL;
	size_t i;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "network", cfg->name);
	cni_add_env(o, "containerID", "CNI_CONTAINERID");
	cni_add_env(o, "ifName", "CNI_IFNAME");
	cni_add_env(o, "netns", "CNI_NETNS");
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

/* An error reply from tabbyd: {"code": N, "msg": "...", "details": "..."}. */
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
		              cni_command_names[cmd]);
		return -EINVAL;
	}
	if (cmd == CNI_CMD_CHECK && !cfg->prev_result) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL, "CHECK without prevResult");
		return -EINVAL;
	}
	return 0;
}

static int cni_run(enum cni_command cmd, struct cni_config *cfg, struct cni_error *err)
{
	static const char *const paths[] = {"/v1/cni/add", "/v1/cni/del", "/v1/cni/check",
	                                    "/v1/cni/gc", "/v1/status"};
	struct cni_args args = {0};
	char *body = NULL, *result = NULL;
	cJSON *reply = NULL;
	int status = 0, ret;

	ret = cni_version_allows(cmd, cfg, err);
	if (ret < 0)
		goto out;
	ret = cni_check_env(cmd, err);
	if (ret < 0)
		goto out;
	ret = cni_args_parse(getenv("CNI_ARGS"), &args, err);
	if (ret < 0)
		goto out;
	body = cni_request_body(cfg, &args);
	if (!body) {
		cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	ret = cni_client_call(cfg->socket_path ? cfg->socket_path : CNI_DEFAULT_SOCKET,
	                      cfg->timeout_ms, cmd == CNI_CMD_STATUS ? "GET" : "POST", paths[cmd],
	                      cmd == CNI_CMD_STATUS ? NULL : body, &status, &reply, err);
	if (ret < 0) {
		if (cmd == CNI_CMD_STATUS && err->code == CNI_ERR_TRY_AGAIN)
			err->code = CNI_ERR_PLUGIN_NOT_AVAILABLE;
		goto out;
	}
	if (status < 200 || status > 299) {
		cni_error_from_reply(status, reply, err);
		ret = -EIO;
		goto out;
	}
	if (cmd == CNI_CMD_ADD) {
		result = cni_result_build(cfg, reply, err);
		if (!result) {
			ret = -EIO;
			goto out;
		}
		fputs(result, stdout);
		fputc('\n', stdout);
	}
	ret = 0;
out:
	free(result);
	free(body);
	cJSON_Delete(reply);
	cni_args_free(&args);
	return ret;
}

int main(void)
{
	struct cni_config cfg = {0};
	struct cni_error err = {0};
	const char *command = getenv("CNI_COMMAND");
	enum cni_command cmd = CNI_CMD_VERSION;
	char *data = NULL;
	size_t len = 0, i;
	int ret = 1;

	if (!command || !command[0]) {
		cni_error_set(&err, CNI_ERR_INVALID_ENV, NULL,
		              "missing environment variable CNI_COMMAND");
		goto out;
	}
	for (i = 0; i < sizeof(cni_command_names) / sizeof(cni_command_names[0]); i++)
		if (strcmp(command, cni_command_names[i]) == 0)
			break;
	if (i == sizeof(cni_command_names) / sizeof(cni_command_names[0])) {
		cni_error_set(&err, CNI_ERR_INVALID_ENV, NULL,
		              "CNI_COMMAND \"%.32s\" is not ADD, DEL, CHECK, GC, STATUS or VERSION",
		              command);
		goto out;
	}
	cmd = (enum cni_command)i;
	if (cmd == CNI_CMD_VERSION) {
		char *v = cni_version_json();

		if (!v) {
			cni_error_set(&err, CNI_ERR_IO, NULL, "out of memory");
			goto out;
		}
		puts(v);
		free(v);
		ret = 0;
		goto out;
	}
	data = cni_read_stdin(&len, &err);
	if (!data)
		goto out;
	if (cni_config_parse(data, len, &cfg, &err) < 0)
		goto out;
	if (cni_run(cmd, &cfg, &err) < 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		cni_error_print(cfg.version != CNI_V_UNKNOWN ? cfg.cni_version_str : NULL, &err);
	cni_config_free(&cfg);
	free(data);
	return ret;
}
