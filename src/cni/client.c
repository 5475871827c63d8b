/*
 * DOC: the plugin's HTTP/1.1 client for tabbyd's Unix socket.
 *
 * One blocking request per plugin run: connect (AF_UNIX), write
 * "POST /v1/cni/call HTTP/1.1" with "Connection: close", the CNI_*
 * environment as CNI-* headers (percent-encoded: an environment value may
 * hold any byte but NUL) and the network configuration as the body, read the
 * reply to EOF and parse it with the http_parser library (status code,
 * Content-Length or chunked framing). libcurl would do the same, but loading
 * it (and its TLS libraries) costs about 5 ms per exec on these machines, more
 * than the whole ADD should take.
 *
 * Failing to connect means the agent is down: error 11 ("try again later")
 * with a message that says so, returned at once rather than after a timeout.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <http_parser.h>

#include "plugin.h"

#define CNI_CLIENT_MAX_REPLY (4u << 20)
#define CNI_CLIENT_HEAD                                                                            \
	"POST /v1/cni/call HTTP/1.1\r\nHost: tabbyd\r\nUser-Agent: tabby-cni\r\nContent-Type: "    \
	"application/json\r\nContent-Length: %zu\r\nConnection: close\r\n"

struct cni_client_reply {
	char *body;
	size_t len;
	size_t cap;
	bool complete;
	bool too_big;
};

static int cni_client_on_body(http_parser *p, const char *at, size_t len)
{
	struct cni_client_reply *r = p->data;

	if (r->len + len > CNI_CLIENT_MAX_REPLY) {
		r->too_big = true;
		return -1;
	}
	if (r->len + len + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *n;

		while (cap < r->len + len + 1)
			cap *= 2;
		n = realloc(r->body, cap);
		if (!n)
			return -1;
		r->body = n;
		r->cap = cap;
	}
	memcpy(r->body + r->len, at, len);
	r->len += len;
	r->body[r->len] = '\0';
	return 0;
}

static int cni_client_on_complete(http_parser *p)
{
	struct cni_client_reply *r = p->data;

	r->complete = true;
	return 0;
}

static long cni_client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Wait for fd to be ready for events before the deadline; -ETIMEDOUT otherwise. */
static int cni_client_wait(int fd, short events, long deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	long left = deadline - cni_client_now_ms();
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	do {
		r = poll(&pfd, 1, (int)left);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

static int cni_client_connect(const char *socket_path, struct cni_error *err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(socket_path) >= sizeof(sun.sun_path)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, NULL, "socket path %s is too long",
		              socket_path);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, socket_path, strlen(socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		cni_error_set(err, CNI_ERR_IO, NULL, "socket: %s", strerror(errno));
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		cni_error_set(err, CNI_ERR_TRY_AGAIN, strerror(e),
		              "tabbyd is not running (cannot connect to %s: %s)", socket_path,
		              strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

size_t cni_pct_encode(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/:;=,@", c)) {
			if (n + 1 >= outlen)
				return (size_t)-1;
			out[n++] = (char)c;
		} else {
			if (n + 3 >= outlen)
				return (size_t)-1;
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	if (n >= outlen)
		return (size_t)-1;
	out[n] = '\0';
	return n;
}

/* The CNI-* headers: the environment of the call, percent-encoded. */
static char *cni_client_headers(const struct cni_env *env, struct cni_error *err)
{
	size_t i, n = 0, cap = 1;
	const char *value[CNI_ENV_VARS];
	char *out;

	for (i = 0; i < CNI_ENV_VARS; i++) {
		value[i] = *cni_env_slot((struct cni_env *)env, &cni_env_vars[i]);
		if (value[i] && strlen(value[i]) > CNI_ENV_VALUE_MAX) {
			cni_error_set(err, CNI_ERR_INVALID_ENV, NULL, "%s is longer than %d bytes",
			              cni_env_vars[i].name, CNI_ENV_VALUE_MAX);
			return NULL;
		}
		if (value[i])
			cap += strlen(cni_env_vars[i].header) + 4 + 3 * strlen(value[i]) + 1;
	}
	out = malloc(cap);
	if (!out) {
		cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
		return NULL;
	}
	for (i = 0; i < CNI_ENV_VARS; i++) {
		size_t e;

		if (!value[i])
			continue;
		n += (size_t)sprintf(out + n, "%s: ", cni_env_vars[i].header);
		e = cni_pct_encode(value[i], out + n, cap - n);
		if (e == (size_t)-1) { /* cannot happen: cap counts 3 bytes a byte */
			free(out);
			cni_error_set(err, CNI_ERR_IO, NULL, "encoding %s failed",
			              cni_env_vars[i].name);
			return NULL;
		}
		n += e;
		n += (size_t)sprintf(out + n, "\r\n");
	}
	out[n] = '\0';
	return out;
}

static int cni_client_send(int fd, const struct cni_env *env, const char *body, size_t blen,
                           long deadline, struct cni_error *err)
{
	char *headers = cni_client_headers(env, err), *req;
	size_t len, off = 0;
	int n, ret = 0;

	if (!headers)
		return -EINVAL;
	/* One buffer, one send(): the agent gets the whole request in one read. */
	n = snprintf(NULL, 0, CNI_CLIENT_HEAD "%s\r\n", blen, headers);
	len = (size_t)n + blen;
	req = n < 0 ? NULL : malloc(len + 1);
	if (!req) {
		free(headers);
		cni_error_set(err, CNI_ERR_IO, NULL, "out of memory");
		return -ENOMEM;
	}
	snprintf(req, (size_t)n + 1, CNI_CLIENT_HEAD "%s\r\n", blen, headers);
	free(headers);
	if (blen)
		memcpy(req + n, body, blen);
	while (off < len) {
		ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (cni_client_wait(fd, POLLOUT, deadline) < 0) {
				cni_error_set(err, CNI_ERR_TRY_AGAIN, NULL,
				              "tabbyd did not accept the request in time");
				ret = -ETIMEDOUT;
				break;
			}
			continue;
		}
		if (w < 0) {
			cni_error_set(err, CNI_ERR_IO, NULL, "sending to tabbyd: %s",
			              strerror(errno));
			ret = -errno;
			break;
		}
		off += (size_t)w;
	}
	free(req);
	return ret;
}

static int cni_client_receive(int fd, long deadline, int *status, struct cni_client_reply *reply,
                              struct cni_error *err)
{
	http_parser_settings settings;
	http_parser parser;
	char buf[16384];

	http_parser_settings_init(&settings);
	settings.on_body = cni_client_on_body;
	settings.on_message_complete = cni_client_on_complete;
	http_parser_init(&parser, HTTP_RESPONSE);
	parser.data = reply;
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		size_t parsed;

		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (cni_client_wait(fd, POLLIN, deadline) < 0) {
				cni_error_set(err, CNI_ERR_TRY_AGAIN, NULL,
				              "tabbyd did not answer in time");
				return -ETIMEDOUT;
			}
			continue;
		}
		if (r < 0) {
			cni_error_set(err, CNI_ERR_IO, NULL, "reading from tabbyd: %s",
			              strerror(errno));
			return -errno;
		}
		/* r == 0 tells the parser about EOF (ends a body framed by close). */
		parsed = http_parser_execute(&parser, &settings, buf, (size_t)r);
		if (parser.http_errno != HPE_OK || parsed != (size_t)r) {
			cni_error_set(err, CNI_ERR_IO, NULL, "bad HTTP reply from tabbyd: %s",
			              reply->too_big
			                  ? "body too large"
			                  : http_errno_description(HTTP_PARSER_ERRNO(&parser)));
			return -EPROTO;
		}
		if (reply->complete)
			break;
		if (r == 0) {
			cni_error_set(err, CNI_ERR_IO, NULL,
			              "tabbyd closed the connection before its reply was complete");
			return -EPROTO;
		}
	}
	*status = parser.status_code;
	return 0;
}

int cni_relay(const char *socket_path, int timeout_ms, const struct cni_env *env,
              const char *config, size_t len, struct cni_relay_reply *out, struct cni_error *err)
{
	struct cni_client_reply reply = {0};
	long deadline = cni_client_now_ms() + timeout_ms;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	fd = cni_client_connect(socket_path, err);
	if (fd < 0)
		return fd;
	ret = cni_client_send(fd, env, config, len, deadline, err);
	if (ret == 0)
		ret = cni_client_receive(fd, deadline, &out->status, &reply, err);
	close(fd);
	if (ret < 0) {
		free(reply.body);
		return ret;
	}
	out->body = reply.body;
	out->len = reply.len;
	return 0;
}
