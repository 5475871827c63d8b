/*
 * DOC: unit tests of tabbyd's API request parser (src/tabbyd/api_request.c):
 * every field decoded, every malformed request refused with a message that
 * names the field and the right CNI code (6 undecodable, 7 invalid).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api_request.h"

static int parse(enum api_request_kind kind, const char *body, struct api_cni_request *req,
                 int *code, char *err)
{
	err[0] = '\0';
	return api_request_parse(kind, body, strlen(body), req, code, err, API_ERRLEN);
}

static void expect_bad(enum api_request_kind kind, const char *body, int want_code,
                       const char *in_msg)
{
	struct api_cni_request req;
	char err[API_ERRLEN];
	int code = 0;

	assert_int_not_equal(parse(kind, body, &req, &code, err), 0);
	assert_int_equal(code, want_code);
	if (!strstr(err, in_msg))
		fail_msg("message \"%s\" does not name \"%s\"", err, in_msg);
}

static void test_add_full(void **state)
{
	struct api_cni_request req;
	char err[API_ERRLEN], buf[ADDR_STRLEN];
	int code;

	(void)state;
	assert_int_equal(
	    parse(API_REQ_ADD,
	          "{\"network\":\"tabby-net\",\"containerID\":\"c1\",\"ifName\":\"eth0\","
	          "\"netns\":\"/var/run/netns/p1\",\"namespace\":\"default\",\"pod\":\"web-1\","
	          "\"labels\":{\"app\":\"web\",\"tier\":\"front\"},\"mtu\":1450,"
	          "\"assignIPv4\":true,\"assignIPv6\":true,\"ipv4Pools\":[\"p4\"],"
	          "\"ipv6Pools\":[\"fd00:10:244::/56\"],\"ips\":[\"10.244.0.9\",\"fd00::9\"]}",
	          &req, &code, err),
	    0);
	assert_string_equal(req.network, "tabby-net");
	assert_string_equal(req.container_id, "c1");
	assert_string_equal(req.ifname, "eth0");
	assert_string_equal(req.netns, "/var/run/netns/p1");
	assert_string_equal(req.pod_namespace, "default");
	assert_string_equal(req.pod, "web-1");
	assert_int_equal(req.n_labels, 2);
	assert_string_equal(req.labels[1].key, "tier");
	assert_int_equal(req.mtu, 1450);
	assert_true(req.assign_ipv4);
	assert_true(req.assign_ipv6);
	assert_int_equal(req.n_pools, 2);
	assert_string_equal(req.pools[1], "fd00:10:244::/56");
	assert_int_equal(req.n_ips, 2);
	assert_string_equal(addr_format(&req.ips[1], buf, sizeof(buf)), "fd00::9");
	api_request_free(&req);
}

static void test_del_minimal(void **state)
{
	struct api_cni_request req;
	char err[API_ERRLEN];
	int code;

	(void)state;
	assert_int_equal(parse(API_REQ_DEL,
	                       "{\"network\":\"n\",\"containerID\":\"c1\",\"ifName\":\"eth0\"}",
	                       &req, &code, err),
	                 0);
	assert_null(req.netns);
	assert_true(req.assign_ipv4);
	assert_false(req.assign_ipv6);
	api_request_free(&req);
}

static void test_check_prev_result(void **state)
{
	struct api_cni_request req;
	char err[API_ERRLEN], buf[ADDR_STRLEN];
	int code;

	(void)state;
	assert_int_equal(parse(API_REQ_CHECK,
	                       "{\"network\":\"n\",\"containerID\":\"c1\",\"ifName\":\"eth0\","
	                       "\"netns\":\"/x\",\"prevResult\":{\"ips\":[{\"address\":"
	                       "\"10.244.0.5/32\"},{\"address\":\"fd00::5/128\"}]}}",
	                       &req, &code, err),
	                 0);
	assert_true(req.has_prev_result);
	assert_int_equal(req.n_prev_ips, 2);
	assert_string_equal(addr_format(&req.prev_ips[0], buf, sizeof(buf)), "10.244.0.5");
	api_request_free(&req);
}

static void test_gc(void **state)
{
	struct api_cni_request req;
	char err[API_ERRLEN];
	int code;

	(void)state;
	assert_int_equal(parse(API_REQ_GC,
	                       "{\"network\":\"n\",\"validAttachments\":[{\"containerID\":\"a\","
	                       "\"ifName\":\"eth0\"},{\"containerID\":\"b\",\"ifName\":\"net1\"}]}",
	                       &req, &code, err),
	                 0);
	assert_int_equal(req.n_attachments, 2);
	assert_string_equal(req.attachments[1].ifname, "net1");
	api_request_free(&req);
	expect_bad(API_REQ_GC, "{\"network\":\"n\"}", API_PARSE_INVALID, "validAttachments");
	expect_bad(API_REQ_GC, "{\"network\":\"n\",\"validAttachments\":[{\"containerID\":1}]}",
	           API_PARSE_INVALID, "validAttachments[0]");
}

static void test_malformed(void **state)
{
	(void)state;
	expect_bad(API_REQ_ADD, "", API_PARSE_UNDECODABLE, "JSON");
	expect_bad(API_REQ_ADD, "{\"network\":", API_PARSE_UNDECODABLE, "JSON");
	expect_bad(API_REQ_ADD, "[]", API_PARSE_UNDECODABLE, "JSON");
	expect_bad(API_REQ_ADD, "{}", API_PARSE_INVALID, "network");
	expect_bad(API_REQ_ADD, "{\"network\":\"n\",\"ifName\":\"eth0\",\"netns\":\"/x\"}",
	           API_PARSE_INVALID, "containerID");
	expect_bad(API_REQ_ADD, "{\"network\":\"n\",\"containerID\":\"c\",\"ifName\":\"eth0\"}",
	           API_PARSE_INVALID, "netns");
	expect_bad(API_REQ_ADD,
	           "{\"network\":\"n\",\"containerID\":\"c\",\"ifName\":\"eth0\",\"netns\":\"x\"}",
	           API_PARSE_INVALID, "absolute");
	expect_bad(API_REQ_DEL, "{\"network\":\"a b\",\"containerID\":\"c\",\"ifName\":\"eth0\"}",
	           API_PARSE_INVALID, "network");
	expect_bad(API_REQ_DEL, "{\"network\":\"n\",\"containerID\":\"-c\",\"ifName\":\"eth0\"}",
	           API_PARSE_INVALID, "containerID");
	expect_bad(API_REQ_DEL,
	           "{\"network\":\"n\",\"containerID\":\"c\",\"ifName\":\"0123456789abcdefg\"}",
	           API_PARSE_INVALID, "ifName");
	expect_bad(API_REQ_DEL, "{\"network\":\"n\",\"containerID\":\"c\",\"ifName\":\"a/b\"}",
	           API_PARSE_INVALID, "ifName");
	expect_bad(API_REQ_DEL,
	           "{\"network\":\"n\",\"containerID\":\"c\",\"ifName\":\"e\",\"mtu\":1.5}",
	           API_PARSE_INVALID, "mtu");
	expect_bad(API_REQ_DEL,
	           "{\"network\":\"n\",\"containerID\":\"c\",\"ifName\":\"e\",\"mtu\":70000}",
	           API_PARSE_INVALID, "mtu");
	expect_bad(API_REQ_DEL,
	           "{\"network\":\"n\",\"containerID\":\"c\",\"ifName\":\"e\",\"labels\":[1]}",
	           API_PARSE_INVALID, "labels");
	expect_bad(
	    API_REQ_DEL,
	    "{\"network\":\"n\",\"containerID\":\"c\",\"ifName\":\"e\",\"labels\":{\"a\":1}}",
	    API_PARSE_INVALID, "labels");
	expect_bad(API_REQ_DEL,
	           "{\"network\":\"n\",\"containerID\":\"c\",\"ifName\":\"e\",\"ips\":[\"x\"]}",
	           API_PARSE_INVALID, "ips");
	expect_bad(API_REQ_DEL,
	           "{\"network\":\"n\",\"containerID\":\"c\",\"ifName\":\"e\",\"ips\":[\"1.1.1.1\","
	           "\"1.1.1.2\",\"1.1.1.3\",\"1.1.1.4\",\"1.1.1.5\"]}",
	           API_PARSE_INVALID, "ips");
	expect_bad(API_REQ_DEL,
	           "{\"network\":\"n\",\"containerID\":\"c\",\"ifName\":\"e\",\"assignIPv4\":1}",
	           API_PARSE_INVALID, "assignIPv4");
	expect_bad(API_REQ_ADD,
	           "{\"network\":\"n\",\"containerID\":\"c\",\"ifName\":\"e\",\"netns\":\"/x\","
	           "\"assignIPv4\":false}",
	           API_PARSE_INVALID, "both false");
	expect_bad(API_REQ_CHECK,
	           "{\"network\":\"n\",\"containerID\":\"c\",\"ifName\":\"e\",\"netns\":\"/x\","
	           "\"prevResult\":{\"ips\":[{\"address\":\"nope\"}]}}",
	           API_PARSE_INVALID, "prevResult");
	expect_bad(API_REQ_DEL,
	           "{\"network\":\"n\",\"containerID\":\"c\",\"ifName\":\"e\",\"pod\":\"a\\nb\"}",
	           API_PARSE_INVALID, "pod");
}

static void test_too_big(void **state)
{
	struct api_cni_request req;
	char err[API_ERRLEN];
	int code;

	(void)state;
	assert_int_not_equal(
	    api_request_parse(API_REQ_ADD, "{}", API_MAX_BODY + 1, &req, &code, err, sizeof(err)),
	    0);
	assert_non_null(strstr(err, "larger"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_full),          cmocka_unit_test(test_del_minimal),
	    cmocka_unit_test(test_check_prev_result), cmocka_unit_test(test_gc),
	    cmocka_unit_test(test_malformed),         cmocka_unit_test(test_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
