/*
 * DOC: POST /v1/cni/call: a whole CNI call, as the relay plugin makes it.
 *
 * The `tabby` plugin binary is a static relay (src/cni/plugin.h): it sends
 * the CNI_* environment as CNI-Command, CNI-ContainerID, CNI-Netns,
 * CNI-IfName and CNI-Args headers (percent-encoded; an absent header is an
 * unset variable) and the network configuration, unread, as the body. Here
 * cni_call() (src/cni/call.c) runs the call: the configuration and the
 * environment are checked in the spec's order, the request it builds is
 * decoded by api_request.c and handled by cni_handle() in this process, just
 * as a POST /v1/cni/{add,del,check,gc} would be, and STATUS reads what
 * GET /v1/status says. The reply's body is the plugin's stdout: 200 (or 204,
 * nothing to print) on success, else the CNI error JSON with 400 (the call
 * or its configuration is wrong), 404 (the container's network namespace is
 * missing), 503 (not available, try again) or 500.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <tabby/log.h>

#include "../cni/cni.h"
#include "tabbyd.h"

/* A REST API request of cni_call(), answered in this process. */
static int api_call_send(void *ctx, const char *method, const char *path, const char *body,
                         int *status, cJSON **reply, struct cni_error *err)
{
	static const struct {
		const char *path;
		enum api_request_kind kind;
	} kinds[] = {{"/v1/cni/add", API_REQ_ADD},
	             {"/v1/cni/del", API_REQ_DEL},
	             {"/v1/cni/check", API_REQ_CHECK},
	             {"/v1/cni/gc", API_REQ_GC}};
	struct tabbyd *d = ctx;
	struct api_cni_request req;
	struct cni_reply rep;
	char msg[API_ERRLEN] = "", *text = NULL;
	size_t i;
	int code;

	*reply = NULL;
	if (strcmp(path, "/v1/status") == 0) {
		*status = api_status_json(d, &text);
	} else {
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strcmp(path, kinds[i].path) == 0)
				break;
		if (i == sizeof(kinds) / sizeof(kinds[0]) || !body || strcmp(method, "POST") != 0) {
			cni_error_set(err, CNI_ERR_IO, path, "no such CNI request");
			return -EINVAL;
		}
		if (api_request_parse(kinds[i].kind, body, strlen(body), &req, &code, msg,
		                      sizeof(msg)) < 0) {
			cni_error_set(err, code, NULL, "%s", msg);
			return -EINVAL;
		}
		cni_handle(d, &req, &rep);
		api_request_free(&req);
		if (rep.code) {
			cni_error_set(err, rep.code, rep.details[0] ? rep.details : NULL, "%s",
			              rep.msg);
			free(rep.body);
			return -EIO;
		}
		*status = rep.http_status;
		text = rep.body;
	}
	if (text && text[0]) {
		*reply = cJSON_Parse(text);
		if (!*reply) {
			cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
			free(text);
			return -ENOMEM;
		}
	}
	free(text);
	return 0;
}

static int api_call_http_status(int code)
{
	switch (code) {
	case 0:
		return 200;
	case CNI_ERR_UNKNOWN_CONTAINER:
		return 404;
	case CNI_ERR_TRY_AGAIN:
	case CNI_ERR_PLUGIN_NOT_AVAILABLE:
	case CNI_ERR_PLUGIN_NOT_AVAILABLE_LIMITED:
		return 503;
	case CNI_ERR_INCOMPATIBLE_VERSION:
	case CNI_ERR_UNSUPPORTED_FIELD:
	case CNI_ERR_INVALID_ENV:
	case CNI_ERR_DECODE:
	case CNI_ERR_INVALID_CONFIG:
		return 400;
	default:
		return 500;
	}
}

void api_cni_call(struct tabbyd *d, struct evhttp_request *r)
{
	struct evkeyvalq *headers = evhttp_request_get_input_headers(r);
	struct evbuffer *in = evhttp_request_get_input_buffer(r);
	size_t len = evbuffer_get_length(in), i;
	char *values[CNI_ENV_VARS] = {NULL}, *config, *out = NULL;
	struct cni_env env = {0};
	struct cni_error err;
	int code;

	if (evhttp_request_get_command(r) != EVHTTP_REQ_POST) {
		api_send_error(r, 405, 7, "use POST for CNI requests", NULL);
		return;
	}
	for (i = 0; i < CNI_ENV_VARS; i++) {
		const char *v = evhttp_find_header(headers, cni_env_vars[i].header);

		if (v && !(values[i] = evhttp_uridecode(v, 0, NULL))) {
			api_send_error(r, 500, 5, "out of memory", NULL);
			goto out;
		}
		*cni_env_slot(&env, &cni_env_vars[i]) = values[i];
	}
	/* The body as a string: cJSON stops at the length, the peek at a NUL. */
	config = (char *)evbuffer_pullup(in, (ssize_t)len);
	code = cni_call(&env, config ? config : "", config ? len : 0, api_call_send, d, &out, &err);
	if (code)
		log_info("CNI %s of %s: error %d: %s", env.command ? env.command : "(no command)",
		         env.container_id ? env.container_id : "-", code, err.msg);
	if (!out) {
		api_send_error(r, 500, 5, "out of memory", NULL);
	} else {
		/* api_send_json() ends the body with the newline itself. */
		if ((len = strlen(out)) > 0 && out[len - 1] == '\n')
			out[len - 1] = '\0';
		api_send_json(r, code == 0 && !out[0] ? 204 : api_call_http_status(code), out);
	}
	free(out);
out:
	for (i = 0; i < CNI_ENV_VARS; i++)
		free(values[i]);
}
