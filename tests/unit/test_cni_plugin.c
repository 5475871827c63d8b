/*
 * DOC: unit tests of the relay plugin's own parts (src/cni/plugin.h): what it
 * reads of the configuration (cni_peek, checked against cJSON's reading),
 * the percent-encoding of the environment, and the JSON it writes itself.
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

#include "plugin.h"

static int peek(const char *json, struct cni_peek *p)
{
	return cni_peek(json, strlen(json), p);
}

static void test_peek_finds_the_keys(void **state)
{
	struct cni_peek p;

	(void)state;
	assert_int_equal(
	    peek("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"socket\":\"/no\","
	         "\"x\":[1,{\"socket\":\"/no\"}]},\"socket\":\"\\/run\\/t.sock\","
	         "\"timeout\":12,\"args\":{\"cni\":{}}}",
	         &p),
	    0);
	assert_string_equal(p.socket, "/run/t.sock");
	assert_string_equal(p.version, "1.0.0");
	assert_int_equal(p.timeout_ms, 12000);
	assert_false(p.socket_too_long);
	/* Pretty-printed, with tabs, escapes in the key: all JSON. */
	assert_int_equal(peek("{\n\t\"soc\\u006bet\" :\t\"/a b\",\r\n\t\"timeout\": 600\n}\n", &p),
	                 0);
	assert_string_equal(p.socket, "/a b");
	assert_int_equal(p.timeout_ms, 600000);
	assert_string_equal(p.version, "");
}

static void test_peek_takes_json_types_only(void **state)
{
	struct cni_peek p;

	(void)state;
	/* A number or null is no socket path, a string no timeout; the first duplicate counts. */
	assert_int_equal(peek("{\"socket\":5,\"timeout\":\"7\",\"cniVersion\":null}", &p), 0);
	assert_string_equal(p.socket, "");
	assert_int_equal(p.timeout_ms, 0);
	assert_string_equal(p.version, "");
	assert_int_equal(peek("{\"socket\":\"/first\",\"socket\":\"/second\",\"timeout\":601}", &p),
	                 0);
	assert_string_equal(p.socket, "/first");
	assert_int_equal(p.timeout_ms, 0);
	assert_int_equal(peek("{\"timeout\":1.5,\"cniVersion\":\"1.0.0\\n\"}", &p), 0);
	assert_int_equal(p.timeout_ms, 0);
	assert_string_equal(p.version, "");
	/* Not an object: nothing found, not an error (tabbyd says what is wrong). */
	assert_int_equal(peek("[{\"socket\":\"/x\"}]", &p), 0);
	assert_string_equal(p.socket, "");
	assert_int_equal(peek("", &p), 0);
}

static void test_peek_long_socket(void **state)
{
	char json[400];
	struct cni_peek p;

	(void)state;
	snprintf(json, sizeof(json), "{\"socket\":\"/%0150d\"}", 0);
	assert_int_equal(peek(json, &p), 0);
	assert_true(p.socket_too_long);
	assert_string_equal(p.socket, "");
}

static void test_peek_unreadable(void **state)
{
	struct cni_peek p;

	(void)state;
	assert_int_equal(peek("{\"cniVersion\": \"1.0.0\",\n\"name\": \"n\" \"x\": 1}", &p),
	                 -EINVAL);
	assert_non_null(strstr(p.problem, "line 2"));
	assert_int_equal(peek("{\"a\":\"b\"} trailing", &p), -EINVAL);
	/* The documented limit: a surrogate pair written as two \u escapes. */
	assert_int_equal(peek("{\"l\":\"\\ud83d\\ude00\",\"socket\":\"/s\"}", &p), -EINVAL);
	/* The same character in UTF-8, as runtimes write it, is fine. */
	assert_int_equal(peek("{\"l\":\"\xf0\x9f\x98\x80\",\"socket\":\"/s\"}", &p), 0);
	assert_string_equal(p.socket, "/s");
}

static void test_pct_encode(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(cni_pct_encode("K8S_POD_NAME=a-0;IgnoreUnknown=1", out, sizeof(out)), 32);
	assert_string_equal(out, "K8S_POD_NAME=a-0;IgnoreUnknown=1");
	cni_pct_encode("a b%\r\n\"\xff+", out, sizeof(out));
	assert_string_equal(out, "a%20b%25%0D%0A%22%FF%2B");
	assert_int_equal(cni_pct_encode("abc", out, 3), (size_t)-1);
	assert_int_equal(cni_pct_encode("\n", out, 3), (size_t)-1);
	assert_int_equal(cni_pct_encode("\n", out, 4), 3);
}

static void test_error_json(void **state)
{
	struct cni_error e = {0};
	cJSON *o;
	char *s;

	(void)state;
	cni_error_set(&e, 11, "No such file", "cannot connect to \"/x\\y\": \x01\xc3\xa9");
	s = cni_plugin_error_json("0.4.0", &e);
	assert_non_null(s);
	o = cJSON_Parse(s);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "cniVersion")->valuestring, "0.4.0");
	assert_int_equal(cJSON_GetObjectItem(o, "code")->valueint, 11);
	assert_string_equal(cJSON_GetObjectItem(o, "msg")->valuestring,
	                    "cannot connect to \"/x\\y\": ???");
	assert_string_equal(cJSON_GetObjectItem(o, "details")->valuestring, "No such file");
	cJSON_Delete(o);
	free(s);
	/* An unknown version string is not echoed; no details, no "details". */
	cni_error_set(&e, 4, NULL, "missing");
	s = cni_plugin_error_json("9\"", &e);
	o = cJSON_Parse(s);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "cniVersion")->valuestring, CNI_VERSION_LATEST);
	assert_null(cJSON_GetObjectItem(o, "details"));
	cJSON_Delete(o);
	free(s);
}

/* The plugin's constant VERSION answer is the library's (cJSON-built) one. */
static void test_version_json_same(void **state)
{
	char *a = cni_plugin_version_json(), *b = cni_version_json();

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a[strlen(a) - 1], '\n');
	a[strlen(a) - 1] = '\0';
	assert_string_equal(a, b);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_peek_finds_the_keys),
	    cmocka_unit_test(test_peek_takes_json_types_only),
	    cmocka_unit_test(test_peek_long_socket),
	    cmocka_unit_test(test_peek_unreadable),
	    cmocka_unit_test(test_pct_encode),
	    cmocka_unit_test(test_error_json),
	    cmocka_unit_test(test_version_json_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
