/*
 * DOC: the `tabby` CNI plugin: one CNI call, relayed to tabbyd.
 *
 * See plugin.h for why the plugin is a static relay and call.c for the
 * checks tabbyd makes. Here: CNI_COMMAND (missing or unknown: 4), VERSION
 * (answered at once), stdin (5 if it cannot be read, 6 if it is not JSON the
 * plugin can read), then the relay. tabbyd unreachable is 11 ("try again
 * later"), or 50 ("plugin not available") for STATUS; its answer is printed
 * as it came, and decides the exit status.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin.h"

#define CNI_STDIN_MAX (1u << 20)

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

/* Print text (adding a newline if it lacks one); 0, or -1 if stdout failed. */
static int cni_print(const char *text, size_t len)
{
	if (len && fwrite(text, 1, len, stdout) != len)
		return -1;
	if (len && text[len - 1] != '\n' && fputc('\n', stdout) == EOF)
		return -1;
	return fflush(stdout) == 0 ? 0 : -1;
}

/* The relayed call: 0 on success, 1 after printing tabbyd's or our own error. */
static int cni_relay_call(int cmd, const struct cni_env *env, const char *data, size_t len,
                          const struct cni_peek *pk, struct cni_error *err)
{
	struct cni_relay_reply reply;
	int ret;

	if (pk->socket_too_long) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		              "socket: the path is longer than %zu bytes", sizeof(pk->socket) - 1);
		return -EINVAL;
	}
	ret = cni_relay(pk->socket[0] ? pk->socket : CNI_DEFAULT_SOCKET,
	                pk->timeout_ms ? pk->timeout_ms : 60000, env, data, len, &reply, err);
	if (ret < 0) {
		if (cmd == CNI_CMD_STATUS && err->code == CNI_ERR_TRY_AGAIN)
			err->code = CNI_ERR_PLUGIN_NOT_AVAILABLE;
		return ret;
	}
	if (reply.status >= 200 && reply.status <= 299) {
		ret = cni_print(reply.body, reply.len);
		if (ret < 0)
			cni_error_set(err, CNI_ERR_IO, NULL, "writing the result: %s",
			              strerror(errno));
	} else if (reply.len && reply.body[0] == '{') {
		cni_print(reply.body, reply.len); /* tabbyd's CNI error JSON */
		ret = 1;
	} else {
		cni_error_set(err, CNI_ERR_IO, NULL, "tabbyd answered HTTP %d without a CNI error",
		              reply.status);
		ret = -EPROTO;
	}
	free(reply.body);
	return ret;
}

int main(void)
{
	struct cni_env env = {0};
	struct cni_error err = {0};
	struct cni_peek pk = {0};
	int cmd, ret = -1;
	char *data = NULL, *text;
	size_t len = 0, i;

	for (i = 0; i < CNI_ENV_VARS; i++)
		*cni_env_slot(&env, &cni_env_vars[i]) = getenv(cni_env_vars[i].name);
	cmd = cni_command_parse(env.command, &err);
	if (cmd == CNI_CMD_VERSION) {
		text = cni_plugin_version_json();
		ret = text && cni_print(text, strlen(text)) == 0 ? 0 : 1;
		free(text);
		return ret;
	} else if (cmd >= 0 && (data = cni_read_stdin(&len, &err))) {
		if (cni_peek(data, len, &pk) < 0)
			cni_error_set(
			    &err, CNI_ERR_DECODE, NULL,
			    "the network configuration is not JSON the plugin can read: %s",
			    pk.problem);
		else
			ret = cni_relay_call(cmd, &env, data, len, &pk, &err);
	}
	free(data);
	if (ret >= 0)
		return ret;
	text = cni_plugin_error_json(pk.version, &err);
	if (text)
		cni_print(text, strlen(text));
	free(text);
	return 1;
}
