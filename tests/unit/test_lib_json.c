/*
 * DOC: unit tests for the JSON helpers: parse errors with positions, typed
 * getters by path with their messages, int64 safety, builders.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <tabby/json.h>

static const char pool_json[] =
    "{\"apiVersion\": \"projectcalico.org/v3\", \"kind\": \"IPPool\",\n"
    " \"metadata\": {\"name\": \"default-ipv4-ippool\"},\n"
    " \"spec\": {\"cidr\": \"10.244.0.0/16\", \"blockSize\": 26, \"natOutgoing\": true,\n"
    "          \"bad\": \"10.0.0.0/33\", \"hosty\": \"10.0.0.1/24\", \"gw\": \"2001:db8::1\",\n"
    "          \"half\": 1.5, \"big\": 1e300, \"neg\": -12, \"nul\": null,\n"
    "          \"peers\": [{\"asNumber\": 64512}, {\"asNumber\": \"64513\"}]}}";

static cJSON *parse_ok(const char *text)
{
	struct json_error err;
	cJSON *j = json_parse("t.json", text, strlen(text), &err);

	if (!j)
		fail_msg("parse failed: %s", err.text);
	return j;
}

static void assert_parse_error(const char *text, size_t len, const char *want)
{
	struct json_error err;

	assert_null(json_parse("t.json", text, len, &err));
	assert_string_equal(err.text, want);
	assert_string_equal(err.path, "");
}

static void test_parse(void **state)
{
	cJSON *j;

	(void)state;
	j = parse_ok(pool_json);
	assert_true(cJSON_IsObject(j));
	cJSON_Delete(j);
	j = parse_ok("  [1, 2]\n\n");
	assert_true(cJSON_IsArray(j));
	cJSON_Delete(j);
	/* not NUL-terminated: only len bytes are read */
	j = json_parse("t.json", "{}garbage", 2, NULL);
	assert_non_null(j);
	cJSON_Delete(j);
}

static void test_parse_errors(void **state)
{
	struct json_error err;

	(void)state;
	assert_parse_error("{\"a\": 1,\n \"b\": }", 17, "t.json:2:7: invalid JSON (byte 15)");
	assert_parse_error("", 0, "t.json:1:1: unexpected end of input (byte 0)");
	assert_parse_error("{} x", 4, "t.json:1:4: unexpected data after the JSON value (byte 3)");
	assert_parse_error("[1]\n[2]", 7,
	                   "t.json:2:1: unexpected data after the JSON value (byte 4)");
	assert_parse_error("{\"a\" 1}", 7, "t.json:1:6: invalid JSON (byte 5)");
	assert_null(json_parse("t.json", "{}", JSON_MAX_INPUT + 1, &err));
	assert_string_equal(err.text, "t.json:1:1: input too large (byte 0)");
	assert_int_equal(err.line, 1);
}

static void test_get_path(void **state)
{
	cJSON *j = parse_ok(pool_json);

	(void)state;
	assert_ptr_equal(json_get(j, ""), j);
	assert_non_null(json_get(j, "spec.peers[1].asNumber"));
	assert_null(json_get(j, "spec.peers[2]"));
	assert_null(json_get(j, "spec.peers[-1]"));
	assert_null(json_get(j, "spec.peers.x"));
	assert_null(json_get(j, "spec[0]"));
	assert_null(json_get(j, "spec.nope"));
	assert_null(json_get(j, "spec..cidr"));
	assert_null(json_get(j, "kind.x"));
	cJSON_Delete(j);
}

static void test_getters(void **state)
{
	cJSON *j = parse_ok(pool_json);
	struct json_error err;
	const cJSON *o = NULL;
	const char *s = NULL;
	int64_t i = 0;
	bool b = false;

	(void)state;
	assert_int_equal(json_get_string(j, "kind", &s, &err), 0);
	assert_string_equal(s, "IPPool");
	assert_int_equal(json_get_int64(j, "spec.blockSize", 0, 32, &i, &err), 0);
	assert_int_equal(i, 26);
	assert_int_equal(json_get_int64(j, "spec.neg", -20, 0, &i, &err), 0);
	assert_int_equal(i, -12);
	assert_int_equal(json_get_bool(j, "spec.natOutgoing", &b, &err), 0);
	assert_true(b);
	assert_int_equal(json_get_object(j, "metadata", &o, &err), 0);
	assert_int_equal(json_get_array(j, "spec.peers", &o, &err), 0);
	assert_int_equal(json_get_int64(j, "spec.peers[0].asNumber", 1, UINT32_MAX, &i, &err), 0);
	assert_int_equal(i, 64512);

	assert_int_equal(json_get_string(j, "spec.ipipMode", &s, &err), -ENOENT);
	assert_string_equal(err.text, "spec.ipipMode: missing");
	assert_int_equal(json_get_string(j, "spec.nul", &s, &err), -ENOENT);
	assert_int_equal(json_get_string(j, "spec.blockSize", &s, &err), -EINVAL);
	assert_string_equal(err.text, "spec.blockSize: expected a string, got a number");
	assert_string_equal(err.path, "spec.blockSize");
	assert_string_equal(err.msg, "expected a string, got a number");
	assert_int_equal(json_get_bool(j, "kind", &b, &err), -EINVAL);
	assert_string_equal(err.text, "kind: expected true or false, got a string");
	assert_int_equal(json_get_object(j, "spec.peers", &o, &err), -EINVAL);
	assert_string_equal(err.text, "spec.peers: expected an object, got an array");
	assert_int_equal(json_get_array(j, "metadata", &o, &err), -EINVAL);
	assert_string_equal(err.text, "metadata: expected an array, got an object");
	assert_int_equal(json_get_int64(j, "spec.peers[1].asNumber", 1, UINT32_MAX, &i, &err),
	                 -EINVAL);
	assert_string_equal(err.text, "spec.peers[1].asNumber: expected an integer, got a string");
	cJSON_Delete(j);
}

static void test_int64_safety(void **state)
{
	cJSON *j = parse_ok(pool_json);
	struct json_error err;
	int64_t i = 77;

	(void)state;
	assert_int_equal(json_get_int64(j, "spec.half", INT64_MIN, INT64_MAX, &i, &err), -EINVAL);
	assert_string_equal(err.text, "spec.half: expected an integer, got 1.5");
	assert_int_equal(json_get_int64(j, "spec.big", INT64_MIN, INT64_MAX, &i, &err), -EINVAL);
	assert_non_null(strstr(err.text, "spec.big: expected an integer from"));
	assert_int_equal(json_get_int64(j, "spec.blockSize", 0, 25, &i, &err), -EINVAL);
	assert_string_equal(err.text, "spec.blockSize: expected an integer from 0 to 25, got 26");
	assert_int_equal(json_get_int64(j, "spec.neg", 0, 10, &i, &err), -EINVAL);
	assert_int_equal(i, 77); /* untouched on error */
	cJSON_Delete(j);

	j = parse_ok("{\"max\": 999999999999999, \"over\": 1000000000000000, \"min\": "
	             "-999999999999999, \"under\": -1000000000000000}");
	assert_int_equal(json_get_int64(j, "max", INT64_MIN, INT64_MAX, &i, &err), 0);
	assert_true(i == JSON_INT_MAX);
	assert_int_equal(json_get_int64(j, "min", INT64_MIN, INT64_MAX, &i, &err), 0);
	assert_true(i == -JSON_INT_MAX);
	assert_int_equal(json_get_int64(j, "over", INT64_MIN, INT64_MAX, &i, &err), -EINVAL);
	assert_int_equal(json_get_int64(j, "under", INT64_MIN, INT64_MAX, &i, &err), -EINVAL);
	cJSON_Delete(j);
}

static void test_prefix_addr(void **state)
{
	cJSON *j = parse_ok(pool_json);
	struct json_error err;
	struct prefix p;
	struct addr a;
	char buf[PREFIX_STRLEN];

	(void)state;
	assert_int_equal(json_get_prefix(j, "spec.cidr", true, &p, &err), 0);
	assert_string_equal(prefix_format(&p, buf, sizeof(buf)), "10.244.0.0/16");
	assert_int_equal(json_get_prefix(j, "spec.bad", true, &p, &err), -EINVAL);
	assert_string_equal(err.text, "spec.bad: \"10.0.0.0/33\" is not a valid CIDR");
	assert_int_equal(json_get_prefix(j, "spec.hosty", true, &p, &err), -EINVAL);
	assert_string_equal(err.text,
	                    "spec.hosty: \"10.0.0.1/24\" has host bits set (the network is "
	                    "10.0.0.0/24)");
	assert_int_equal(json_get_prefix(j, "spec.hosty", false, &p, &err), 0);
	assert_string_equal(prefix_format(&p, buf, sizeof(buf)), "10.0.0.0/24");
	assert_int_equal(json_get_addr(j, "spec.gw", &a, &err), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(json_get_addr(j, "spec.cidr", &a, &err), -EINVAL);
	assert_string_equal(err.text, "spec.cidr: \"10.244.0.0/16\" is not a valid IP address");
	assert_int_equal(json_get_addr(j, "spec.blockSize", &a, &err), -EINVAL);
	cJSON_Delete(j);
}

static void test_build_print(void **state)
{
	cJSON *o = cJSON_CreateObject();
	struct prefix p;
	struct addr a;
	char *text;

	(void)state;
	assert_int_equal(prefix_parse("2001:db8:42::/48", &p, true), 0);
	assert_int_equal(addr_parse("198.18.0.1", &a), 0);
	assert_int_equal(json_add_string(o, "name", "node-1"), 0);
	assert_int_equal(json_add_int64(o, "asNumber", 4200000000), 0);
	assert_int_equal(json_add_int64(o, "max", JSON_INT_MAX), 0);
	assert_int_equal(json_add_int64(o, "over", JSON_INT_MAX + 1), -ERANGE);
	assert_int_equal(json_add_int64(o, "under", -JSON_INT_MAX - 1), -ERANGE);
	assert_int_equal(json_add_bool(o, "mesh", true), 0);
	assert_int_equal(json_add_prefix(o, "cidr", &p), 0);
	assert_int_equal(json_add_addr(o, "ip", &a), 0);
	text = json_print(o);
	assert_string_equal(text, "{\"name\":\"node-1\",\"asNumber\":4200000000,"
	                          "\"max\":999999999999999,\"mesh\":true,"
	                          "\"cidr\":\"2001:db8:42::/48\",\"ip\":\"198.18.0.1\"}");
	cJSON_free(text);
	cJSON_Delete(o);
}

static void test_error_at(void **state)
{
	struct json_error err;

	(void)state;
	assert_int_equal(json_error_at(&err, "spec.blockSize", "must be between %d and %d", 20, 32),
	                 -EINVAL);
	assert_string_equal(err.text, "spec.blockSize: must be between 20 and 32");
	assert_string_equal(err.path, "spec.blockSize");
	assert_string_equal(err.msg, "must be between 20 and 32");
	json_error_at(&err, "", "not an object");
	assert_string_equal(err.text, "not an object");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),        cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_get_path),     cmocka_unit_test(test_getters),
	    cmocka_unit_test(test_int64_safety), cmocka_unit_test(test_prefix_addr),
	    cmocka_unit_test(test_build_print),  cmocka_unit_test(test_error_at),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
