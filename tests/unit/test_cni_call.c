/*
 * DOC: unit tests of cni_call() (src/cni/call.c), the CNI call as tabbyd runs
 * it for the relay plugin, with a mock agent in place of the REST API: the
 * order of the checks (which error code a broken call gets), the request it
 * makes, and the output in the configuration's version.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cni.h"

struct mock_agent {
	int calls;
	char method[8];
	char path[32];
	cJSON *body;       /* the request, decoded */
	int status;        /* what to answer */
	const char *reply; /* JSON, or NULL */
	bool unreachable;
};

static int mock_send(void *ctx, const char *method, const char *path, const char *body, int *status,
                     cJSON **reply, struct cni_error *err)
{
	struct mock_agent *m = ctx;

	m->calls++;
	snprintf(m->method, sizeof(m->method), "%s", method);
	snprintf(m->path, sizeof(m->path), "%s", path);
	cJSON_Delete(m->body);
	m->body = body ? cJSON_Parse(body) : NULL;
	if (m->unreachable) {
		cni_error_set(err, CNI_ERR_TRY_AGAIN, NULL, "down");
		return -ECONNREFUSED;
	}
	*status = m->status;
	*reply = m->reply ? cJSON_Parse(m->reply) : NULL;
	return 0;
}

#define NET   "{\"cniVersion\":\"%s\",\"name\":\"net\",\"type\":\"tabby\"%s}"
#define NETNS "/proc/self/ns/net"

static int call(struct mock_agent *m, const char *cmd, const char *id, const char *netns,
                const char *ifname, const char *args, const char *config, char **out,
                struct cni_error *err)
{
	struct cni_env env = {cmd, id, netns, ifname, args};

	return cni_call(&env, config, strlen(config), mock_send, m, out, err);
}

static char *net(const char *version, const char *extra)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), NET, version, extra);
	return buf;
}

static void expect(const char *cmd, const char *id, const char *netns, const char *ifname,
                   const char *args, const char *config, int code)
{
	struct mock_agent m = {.status = 200};
	struct cni_error err;
	cJSON *o;
	char *out;

	assert_int_equal(call(&m, cmd, id, netns, ifname, args, config, &out, &err), code);
	assert_int_equal(err.code, code);
	assert_int_equal(m.calls, 0); /* a broken call never reaches the agent */
	o = cJSON_Parse(out);
	assert_non_null(o);
	assert_int_equal(cJSON_GetObjectItem(o, "code")->valueint, code);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(o, "cniVersion")));
	cJSON_Delete(o);
	free(out);
}

static void test_order_of_checks(void **state)
{
	(void)state;
	expect(NULL, "c", NETNS, "eth0", NULL, net("1.0.0", ""), CNI_ERR_INVALID_ENV);
	expect("FOO", "c", NETNS, "eth0", NULL, net("1.0.0", ""), CNI_ERR_INVALID_ENV);
	/* Undecodable beats everything after CNI_COMMAND, even a missing container ID. */
	expect("ADD", NULL, NETNS, "eth0", NULL, "{\"cniVersion\":", CNI_ERR_DECODE);
	expect("ADD", NULL, NETNS, "eth0", NULL, net("0.2.0", ""), CNI_ERR_INCOMPATIBLE_VERSION);
	expect("ADD", NULL, NETNS, "eth0", NULL,
	       net("1.0.0", ",\"ipam\":{\"type\":\"host-local\"}"), CNI_ERR_UNSUPPORTED_FIELD);
	expect("ADD", NULL, NETNS, "eth0", NULL, net("1.0.0", ",\"mtu\":1"),
	       CNI_ERR_INVALID_CONFIG);
	expect("GC", NULL, NULL, NULL, NULL, net("1.0.0", ""), CNI_ERR_INCOMPATIBLE_VERSION);
	expect("CHECK", "c", NETNS, "eth0", NULL, net("1.0.0", ""), CNI_ERR_INVALID_CONFIG);
	expect("ADD", NULL, NETNS, "eth0", NULL, net("1.0.0", ""), CNI_ERR_INVALID_ENV);
	expect("ADD", "c", NETNS, "a/b", NULL, net("1.0.0", ""), CNI_ERR_INVALID_ENV);
	expect("ADD", "c", "relative", "eth0", NULL, net("1.0.0", ""), CNI_ERR_INVALID_ENV);
	expect("ADD", "c", NETNS, "eth0", "FOO=bar", net("1.0.0", ""), CNI_ERR_INVALID_ENV);
	expect("ADD", "c", "/nonexistent/netns", "eth0", NULL, net("1.0.0", ""),
	       CNI_ERR_UNKNOWN_CONTAINER);
}

static void test_add_request_and_result(void **state)
{
	struct mock_agent m = {
	    .status = 200,
	    .reply =
	        "{\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"ee:ee:ee:ee:ee:ee\",\"sandbox\":"
	        "\"/proc/self/ns/net\",\"mtu\":1400}],\"ips\":[{\"address\":\"10.0.0.1/32\","
	        "\"interface\":0}],\"routes\":[]}"};
	struct cni_error err;
	cJSON *o, *ip;
	char *out;

	(void)state;
	assert_int_equal(call(&m, "ADD", "c1", NETNS, "eth0", "K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p",
	                      net("0.4.0", ",\"mtu\":1400"), &out, &err),
	                 0);
	assert_string_equal(m.method, "POST");
	assert_string_equal(m.path, "/v1/cni/add");
	assert_string_equal(cJSON_GetObjectItem(m.body, "containerID")->valuestring, "c1");
	assert_string_equal(cJSON_GetObjectItem(m.body, "netns")->valuestring, NETNS);
	assert_string_equal(cJSON_GetObjectItem(m.body, "pod")->valuestring, "p");
	assert_int_equal(cJSON_GetObjectItem(m.body, "mtu")->valueint, 1400);
	assert_int_equal(out[strlen(out) - 1], '\n');
	o = cJSON_Parse(out);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "cniVersion")->valuestring, "0.4.0");
	ip = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "ips"), 0);
	assert_string_equal(cJSON_GetObjectItem(ip, "version")->valuestring, "4");
	cJSON_Delete(o);
	cJSON_Delete(m.body);
	free(out);
}

static void test_agent_errors(void **state)
{
	struct mock_agent m = {.status = 409, .reply = "{\"code\":100,\"msg\":\"in use\"}"};
	struct cni_error err;
	cJSON *o;
	char *out;

	(void)state;
	assert_int_equal(call(&m, "ADD", "c1", NETNS, "eth0", NULL, net("1.0.0", ""), &out, &err),
	                 100);
	o = cJSON_Parse(out);
	assert_string_equal(cJSON_GetObjectItem(o, "msg")->valuestring, "in use");
	assert_string_equal(cJSON_GetObjectItem(o, "cniVersion")->valuestring, "1.0.0");
	cJSON_Delete(o);
	free(out);
	/* STATUS: a not-ready agent is "plugin not available" whatever it said. */
	m.status = 503;
	m.reply = "{\"ready\":false}";
	assert_int_equal(call(&m, "STATUS", NULL, NULL, NULL, NULL, net("1.1.0", ""), &out, &err),
	                 CNI_ERR_PLUGIN_NOT_AVAILABLE);
	assert_string_equal(m.method, "GET");
	assert_string_equal(m.path, "/v1/status");
	free(out);
	/* The transport's own error is passed on. */
	m.unreachable = true;
	assert_int_equal(call(&m, "DEL", "c1", NULL, "eth0", NULL, net("1.0.0", ""), &out, &err),
	                 CNI_ERR_TRY_AGAIN);
	free(out);
	cJSON_Delete(m.body);
}

static void test_quiet_verbs(void **state)
{
	struct mock_agent m = {.status = 204};
	struct cni_error err;
	char *out;

	(void)state;
	assert_int_equal(call(&m, "DEL", "c1", NULL, "eth0", NULL, net("1.0.0", ""), &out, &err),
	                 0);
	assert_string_equal(out, "");
	assert_string_equal(m.path, "/v1/cni/del");
	free(out);
	assert_int_equal(
	    call(&m, "GC", NULL, NULL, NULL, NULL,
	         net("1.1.0",
	             ",\"cni.dev/valid-attachments\":[{\"containerID\":\"a\",\"ifname\":\"e\"}]"),
	         &out, &err),
	    0);
	assert_string_equal(m.path, "/v1/cni/gc");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(m.body, "validAttachments")), 1);
	free(out);
	assert_int_equal(call(&m, "VERSION", NULL, NULL, NULL, NULL, "", &out, &err), 0);
	assert_non_null(strstr(out, "supportedVersions"));
	free(out);
	cJSON_Delete(m.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_of_checks),
	    cmocka_unit_test(test_add_request_and_result),
	    cmocka_unit_test(test_agent_errors),
	    cmocka_unit_test(test_quiet_verbs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
