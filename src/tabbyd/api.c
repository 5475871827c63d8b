/*
 * DOC: tabbyd's REST API: HTTP/JSON on a Unix socket (libevent evhttp).
 *
 *   POST /v1/cni/add | /v1/cni/del | /v1/cni/check | /v1/cni/gc   (api_request.h)
 *   GET  /v1/status      node, datastore, pools, counters; 503 + CNI code 50
 *                        while the agent cannot serve ADD (no IP pool)
 *   GET  /v1/endpoints   this node's workload endpoints
 *   GET  /v1/bgp, /v1/bgp/rib, POST /v1/bgp/peers/ADDR/{refresh,reset}  (api_bgp.c)
 * Errors are JSON {"code": CNI code, "msg": ..., "details": ...} with a 4xx
 * (the request is wrong) or 5xx (the agent could not do it) status. The
 * socket is created with mode 0600 and owned by root: only root may wire pods.
 * `curl --unix-socket /run/tabby/tabbyd.sock http://x/v1/status` works.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <tabby/log.h>
#include <tabby/store.h>

#include "tabbyd.h"

void api_send_json(struct evhttp_request *r, int status, const char *json)
{
	struct evbuffer *out = evbuffer_new();
	const char *reason = status < 300 ? "OK" : status < 500 ? "Bad Request" : "Error";

	evhttp_add_header(evhttp_request_get_output_headers(r), "Content-Type", "application/json");
	if (status == 204) {
		evhttp_send_reply(r, 204, "No Content", NULL);
		evbuffer_free(out);
		return;
	}
	if (out && json)
		evbuffer_add_printf(out, "%s\n", json);
	evhttp_send_reply(r, status, reason, out);
	if (out)
		evbuffer_free(out);
}

void api_send_error(struct evhttp_request *r, int status, int code, const char *msg,
                    const char *details)
{
	cJSON *o = cJSON_CreateObject();
	char *s = NULL;

	if (o) {
		cJSON_AddNumberToObject(o, "code", code);
		cJSON_AddStringToObject(o, "msg", msg);
		if (details && details[0])
			cJSON_AddStringToObject(o, "details", details);
		s = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
	}
	api_send_json(r, status, s ? s : "{\"code\":5,\"msg\":\"out of memory\"}");
	free(s);
}

static void api_cni(struct tabbyd *d, struct evhttp_request *r, enum api_request_kind kind)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r);
	struct api_cni_request req;
	struct cni_reply rep;
	size_t len = evbuffer_get_length(in);
	char err[API_ERRLEN] = "";
	char *body;
	int code;

	if (evhttp_request_get_command(r) != EVHTTP_REQ_POST) {
		api_send_error(r, 405, 7, "use POST for CNI requests", NULL);
		return;
	}
	body = (char *)evbuffer_pullup(in, (ssize_t)len);
	if (api_request_parse(kind, body ? body : "", len, &req, &code, err, sizeof(err)) < 0) {
		log_info("API: malformed request: %s", err);
		api_send_error(r, 400, code, err, NULL);
		return;
	}
	cni_handle(d, &req, &rep);
	if (rep.code)
		api_send_error(r, rep.http_status ? rep.http_status : 500, rep.code, rep.msg,
		               rep.details);
	else
		api_send_json(r, rep.http_status, rep.body);
	free(rep.body);
	api_request_free(&req);
}

int api_status_json(struct tabbyd *d, char **out)
{
	cJSON *o = cJSON_CreateObject(), *u;
	size_t n_pools = 0, i;
	int64_t rev = 0;
	int ret;

	*out = NULL;
	if (!o)
		return 500;
	ret = tabbyd_pools_count(d, &n_pools);
	cJSON_AddStringToObject(o, "version", PACKAGE_VERSION);
	cJSON_AddStringToObject(o, "node", d->cfg.node_name);
	cJSON_AddBoolToObject(o, "ready", d->ready && ret == 0 && n_pools > 0);
	cJSON_AddStringToObject(o, "datastore", store_describe(d->store));
	if (store_revision(d->store, &rev) == 0)
		cJSON_AddNumberToObject(o, "revision", (double)rev);
	cJSON_AddNumberToObject(o, "pools", (double)n_pools);
	cJSON_AddNumberToObject(o, "blocks", (double)d->n_blackholes);
	u = cJSON_AddArrayToObject(o, "addresses");
	for (i = 0; u && i < d->cfg.n_underlay; i++) {
		char buf[ADDR_STRLEN];

		cJSON_AddItemToArray(
		    u, cJSON_CreateString(addr_format(&d->cfg.underlay[i].addr, buf, sizeof(buf))));
	}
	cJSON_AddNumberToObject(o, "uptimeSeconds", (double)(time(NULL) - d->started));
	cJSON_AddNumberToObject(o, "adds", (double)d->n_add);
	cJSON_AddNumberToObject(o, "dels", (double)d->n_del);
	cJSON_AddNumberToObject(o, "checks", (double)d->n_check);
	cJSON_AddNumberToObject(o, "gcs", (double)d->n_gc);
	cJSON_AddNumberToObject(o, "errors", (double)d->n_errors);
	if (ret < 0)
		cJSON_AddStringToObject(o, "msg", "the datastore cannot be read");
	else if (n_pools == 0)
		cJSON_AddStringToObject(o, "msg", "no IP pool exists: pods cannot get addresses");
	cJSON_AddNumberToObject(o, "code", ret < 0 || n_pools == 0 ? 50 : 0);
	*out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!*out)
		return 500;
	return ret < 0 || n_pools == 0 ? 503 : 200;
}

static void api_status(struct tabbyd *d, struct evhttp_request *r)
{
	char *s;
	int status = api_status_json(d, &s);

	if (s)
		api_send_json(r, status, s);
	else
		api_send_error(r, 500, 5, "out of memory", NULL);
	free(s);
}

static void api_endpoints(struct tabbyd *d, struct evhttp_request *r)
{
	struct tabbyd_endpoint *eps = NULL;
	cJSON *arr = cJSON_CreateArray();
	size_t n = 0, i, k;
	char *s = NULL;
	int ret;

	ret = endpoint_list(d, &eps, &n);
	if (ret < 0 || !arr) {
		api_send_error(r, 503, 11, "listing endpoints failed", store_strerror(ret));
		goto out;
	}
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject(), *ips;

		cJSON_AddItemToArray(arr, o);
		cJSON_AddStringToObject(o, "id", eps[i].id);
		cJSON_AddStringToObject(o, "network", eps[i].network);
		cJSON_AddStringToObject(o, "containerID", eps[i].container_id);
		cJSON_AddStringToObject(o, "ifName", eps[i].ifname);
		if (eps[i].host_ifname)
			cJSON_AddStringToObject(o, "hostInterface", eps[i].host_ifname);
		if (eps[i].netns)
			cJSON_AddStringToObject(o, "netns", eps[i].netns);
		if (eps[i].pod_namespace)
			cJSON_AddStringToObject(o, "namespace", eps[i].pod_namespace);
		if (eps[i].pod)
			cJSON_AddStringToObject(o, "pod", eps[i].pod);
		ips = cJSON_AddArrayToObject(o, "ips");
		for (k = 0; ips && k < eps[i].n_addrs; k++) {
			char buf[ADDR_STRLEN];

			cJSON_AddItemToArray(ips, cJSON_CreateString(addr_format(
			                              &eps[i].addrs[k], buf, sizeof(buf))));
		}
	}
	s = cJSON_PrintUnformatted(arr);
	api_send_json(r, 200, s ? s : "[]");
out:
	for (i = 0; i < n; i++)
		endpoint_clear(&eps[i]);
	free(eps);
	free(s);
	cJSON_Delete(arr);
}

static void api_dispatch(struct evhttp_request *r, void *arg)
{
	struct tabbyd *d = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(r);

	if (!path) {
		api_send_error(r, 400, 7, "request without a path", NULL);
		return;
	}
	log_debug("API: %s %s", cmd == EVHTTP_REQ_GET ? "GET" : "POST", path);
	if (strcmp(path, "/v1/cni/add") == 0)
		api_cni(d, r, API_REQ_ADD);
	else if (strcmp(path, "/v1/cni/del") == 0)
		api_cni(d, r, API_REQ_DEL);
	else if (strcmp(path, "/v1/cni/check") == 0)
		api_cni(d, r, API_REQ_CHECK);
	else if (strcmp(path, "/v1/cni/gc") == 0)
		api_cni(d, r, API_REQ_GC);
	else if (strcmp(path, "/v1/cni/call") == 0)
		api_cni_call(d, r);
	else if (strcmp(path, "/v1/status") == 0 && cmd == EVHTTP_REQ_GET)
		api_status(d, r);
	else if (strcmp(path, "/v1/endpoints") == 0 && cmd == EVHTTP_REQ_GET)
		api_endpoints(d, r);
	else if (strncmp(path, "/v1/bgp", 7) == 0 && (path[7] == '\0' || path[7] == '/'))
		api_bgp(d, r, path);
	else if (strcmp(path, "/v1/status") == 0 || strcmp(path, "/v1/endpoints") == 0)
		api_send_error(r, 405, 7, "use GET", NULL);
	else
		api_send_error(r, 404, 7, "no such API path", path);
}

int api_check_free(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, ret = 0;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 || errno == EAGAIN)
		ret = -EADDRINUSE;
	close(fd);
	return ret;
}

static int api_listen(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	mode_t old;
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Another agent answering on this path must not lose its socket to us. */
	ret = api_check_free(path);
	if (ret < 0)
		goto fail;
	/* A socket file left by an earlier run: nobody listens on it any more. */
	if (unlink(path) < 0 && errno != ENOENT) {
		ret = -errno;
		goto fail;
	}
	old = umask(0177); /* mode 0600 from the start, no window with a wider one */
	ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ret < 0 || chmod(path, 0600) < 0 || listen(fd, 128) < 0) {
		ret = -errno;
		goto fail;
	}
	if (geteuid() == 0 && chown(path, 0, 0) < 0)
		log_warn("API socket %s: chown root: %s", path, strerror(errno));
	return fd;
fail:
	close(fd);
	return ret;
}

static int api_mkdir_parent(const char *path)
{
	char dir[108];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int api_start(struct tabbyd *d)
{
	int ret;

	d->api_fd = -1;
	ret = api_mkdir_parent(d->cfg.api_socket);
	if (ret < 0) {
		log_err("API socket directory for %s: %s", d->cfg.api_socket, strerror(-ret));
		return ret;
	}
	d->http = evhttp_new(d->base);
	if (!d->http)
		return -ENOMEM;
	evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(d->http, API_MAX_HTTP_BODY);
	evhttp_set_max_headers_size(d->http, API_MAX_HTTP_HEADERS);
	evhttp_set_timeout(d->http, 30);
	evhttp_set_default_content_type(d->http, "application/json");
	evhttp_set_gencb(d->http, api_dispatch, d);
	ret = api_listen(d->cfg.api_socket);
	if (ret < 0) {
		log_err("API socket %s: %s", d->cfg.api_socket, strerror(-ret));
		goto fail;
	}
	d->api_fd = ret;
	if (!evhttp_accept_socket_with_handle(d->http, d->api_fd)) {
		log_err("API socket %s: evhttp cannot accept on it", d->cfg.api_socket);
		close(d->api_fd);
		d->api_fd = -1;
		ret = -EIO;
		goto fail;
	}
	log_info("API listening on %s (mode 0600)", d->cfg.api_socket);
	return 0;
fail:
	evhttp_free(d->http);
	d->http = NULL;
	return ret;
}

void api_stop(struct tabbyd *d)
{
	if (d->http) {
		evhttp_free(d->http); /* closes the bound socket */
		d->http = NULL;
		unlink(d->cfg.api_socket);
	}
	d->api_fd = -1;
}
