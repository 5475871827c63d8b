/*
 * DOC: unit tests of the CNI plugin's pure parts: network configuration,
 * CNI_ARGS, identifier checks and the per-version result format.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cni.h"

static int parse(const char *json, struct cni_config *cfg, struct cni_error *err)
{
	memset(err, 0, sizeof(*err));
	return cni_config_parse(json, strlen(json), cfg, err);
}

static void expect_code(const char *json, int code, const char *in_msg)
{
	struct cni_config cfg;
	struct cni_error err;

	assert_int_not_equal(parse(json, &cfg, &err), 0);
	assert_int_equal(err.code, code);
	if (in_msg && !strstr(err.msg, in_msg))
		fail_msg("message \"%s\" does not name \"%s\"", err.msg, in_msg);
	cni_config_free(&cfg);
}

static void test_config_full(void **state)
{
	struct cni_config cfg;
	struct cni_error err;

	(void)state;
	assert_int_equal(
	    parse("{\"cniVersion\":\"1.0.0\",\"name\":\"tabby-net\",\"type\":\"tabby\","
	          "\"mtu\":1450,\"socket\":\"/tmp/x.sock\",\"timeout\":2,"
	          "\"ipam\":{\"type\":\"tabby\",\"assign_ipv4\":\"true\",\"assign_ipv6\":true,"
	          "\"ipv4_pools\":[\"p4\"],\"ipv6_pools\":[\"p6a\",\"p6b\"],"
	          "\"ips\":[\"10.244.0.7\",\"fd00::7\"]},"
	          "\"args\":{\"cni\":{\"labels\":[{\"key\":\"app\",\"value\":\"web\"}]}}}",
	          &cfg, &err),
	    0);
	assert_int_equal(cfg.version, CNI_V_1_0_0);
	assert_string_equal(cfg.name, "tabby-net");
	assert_string_equal(cfg.socket_path, "/tmp/x.sock");
	assert_int_equal(cfg.timeout_ms, 2000);
	assert_int_equal(cfg.mtu, 1450);
	assert_true(cfg.assign_ipv4);
	assert_true(cfg.assign_ipv6);
	assert_int_equal(cfg.n_ipv4_pools, 1);
	assert_int_equal(cfg.n_ipv6_pools, 2);
	assert_string_equal(cfg.ipv6_pools[1], "p6b");
	assert_int_equal(cfg.n_ips, 2);
	assert_string_equal(cfg.ips[1], "fd00::7");
	assert_int_equal(cfg.n_labels, 1);
	assert_string_equal(cfg.labels[0].key, "app");
	assert_string_equal(cfg.labels[0].value, "web");
	assert_null(cfg.prev_result);
	cni_config_free(&cfg);
}

static void test_config_defaults(void **state)
{
	struct cni_config cfg;
	struct cni_error err;

	(void)state;
	assert_int_equal(parse("{\"cniVersion\":\"0.3.0\",\"name\":\"n\",\"type\":\"tabby\","
	                       "\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\",\"ifname\":"
	                       "\"eth0\"}],\"someRuntimeKey\":{}}",
	                       &cfg, &err),
	                 0);
	assert_int_equal(cfg.version, CNI_V_0_3_0);
	assert_null(cfg.socket_path);
	assert_int_equal(cfg.timeout_ms, 60000);
	assert_true(cfg.assign_ipv4);
	assert_false(cfg.assign_ipv6);
	assert_true(cfg.has_attachments);
	assert_int_equal(cfg.n_attachments, 1);
	assert_string_equal(cfg.attachments[0].container_id, "c1");
	cni_config_free(&cfg);
}

static void test_config_errors(void **state)
{
	(void)state;
	expect_code("{\"cniVersion\":", CNI_ERR_DECODE, "JSON");
	expect_code("[1,2]", CNI_ERR_DECODE, "object");
	expect_code("{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"type\":\"tabby\"}",
	            CNI_ERR_INCOMPATIBLE_VERSION, "0.2.0");
	expect_code("{\"cniVersion\":\"7.0.0\",\"name\":\"n\",\"type\":\"tabby\"}",
	            CNI_ERR_INCOMPATIBLE_VERSION, "7.0.0");
	expect_code("{\"name\":\"n\",\"type\":\"tabby\"}", CNI_ERR_INVALID_CONFIG, "cniVersion");
	expect_code("{\"cniVersion\":\"1.0.0\",\"type\":\"tabby\"}", CNI_ERR_INVALID_CONFIG,
	            "name");
	expect_code("{\"cniVersion\":\"1.0.0\",\"name\":\"a b\",\"type\":\"tabby\"}",
	            CNI_ERR_INVALID_CONFIG, "a b");
	expect_code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"ptp\"}",
	            CNI_ERR_INVALID_CONFIG, "ptp");
	expect_code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"tabby\",\"mtu\":\"big\"}",
	            CNI_ERR_INVALID_CONFIG, "mtu");
	expect_code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"tabby\",\"mtu\":20}",
	            CNI_ERR_INVALID_CONFIG, "mtu");
	expect_code(
	    "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"tabby\",\"socket\":\"rel\"}",
	    CNI_ERR_INVALID_CONFIG, "socket");
	expect_code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"tabby\",\"ipam\":{"
	            "\"type\":\"host-local\"}}",
	            CNI_ERR_UNSUPPORTED_FIELD, "host-local");
	expect_code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"tabby\",\"ipam\":{"
	            "\"subnet\":\"10.0.0.0/8\"}}",
	            CNI_ERR_UNSUPPORTED_FIELD, "ipam.subnet");
	expect_code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"tabby\",\"ipam\":{"
	            "\"assign_ipv4\":\"maybe\"}}",
	            CNI_ERR_INVALID_CONFIG, "assign_ipv4");
	expect_code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"tabby\",\"ipam\":{"
	            "\"assign_ipv4\":false}}",
	            CNI_ERR_INVALID_CONFIG, "both false");
	expect_code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"tabby\",\"ipam\":{"
	            "\"ip\":\"10.0.0.300\"}}",
	            CNI_ERR_INVALID_CONFIG, "10.0.0.300");
	expect_code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"tabby\",\"args\":{\"cni\":"
	            "{\"labels\":[{\"key\":1}]}}}",
	            CNI_ERR_INVALID_CONFIG, "labels");
	expect_code("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"tabby\","
	            "\"cni.dev/valid-attachments\":{}}",
	            CNI_ERR_INVALID_CONFIG, "valid-attachments");
	expect_code("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"tabby\",\"prevResult\":3}",
	            CNI_ERR_INVALID_CONFIG, "prevResult");
}

static void test_config_duplicate_keys(void **state)
{
	struct cni_config cfg;
	struct cni_error err;

	(void)state;
	/* JSON allows a key twice; the last one wins and nothing leaks (found by fuzzing). */
	assert_int_equal(parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"tabby\","
	                       "\"ipam\":{\"ipv4_pools\":[\"a\"],\"ipv4_pools\":[\"b\",\"c\"]}}",
	                       &cfg, &err),
	                 0);
	assert_int_equal(cfg.n_ipv4_pools, 2);
	assert_string_equal(cfg.ipv4_pools[0], "b");
	cni_config_free(&cfg);
}

static void test_config_old_attachments_name(void **state)
{
	struct cni_config cfg;
	struct cni_error err;

	(void)state;
	assert_int_equal(
	    parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"tabby\","
	          "\"cni.dev/attachments\":[{\"containerID\":\"c9\",\"ifname\":\"eth1\"}]}",
	          &cfg, &err),
	    0);
	assert_true(cfg.has_attachments);
	assert_string_equal(cfg.attachments[0].ifname, "eth1");
	cni_config_free(&cfg);
}

static void test_args(void **state)
{
	struct cni_args a;
	struct cni_error err = {0};

	(void)state;
	assert_int_equal(cni_args_parse("K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1;"
	                                "IgnoreUnknown=1;FOO=bar;IP=10.244.0.9",
	                                &a, &err),
	                 0);
	assert_string_equal(a.pod_namespace, "default");
	assert_string_equal(a.pod_name, "web-1");
	assert_string_equal(a.ip, "10.244.0.9");
	assert_true(a.ignore_unknown);
	cni_args_free(&a);
	assert_int_equal(cni_args_parse(NULL, &a, &err), 0);
	assert_null(a.pod_name);
	assert_int_not_equal(cni_args_parse("FOO=bar", &a, &err), 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
	assert_non_null(strstr(err.msg, "FOO"));
	assert_int_not_equal(cni_args_parse("K8S_POD_NAME", &a, &err), 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
	assert_int_not_equal(cni_args_parse("IP=nonsense", &a, &err), 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
}

static void test_identifiers(void **state)
{
	(void)state;
	assert_true(cni_container_id_valid("abc-1.2_3"));
	assert_false(cni_container_id_valid("-abc"));
	assert_false(cni_container_id_valid("a/b"));
	assert_false(cni_container_id_valid(""));
	assert_true(cni_ifname_valid("eth0"));
	assert_false(cni_ifname_valid("."));
	assert_false(cni_ifname_valid("a:b"));
	assert_false(cni_ifname_valid("a b"));
	assert_false(cni_ifname_valid("0123456789abcdef"));
}

static const char *reply_json =
    "{\"interfaces\":[{\"name\":\"tabby0123456789\",\"mac\":\"ee:ee:ee:ee:ee:ee\"},"
    "{\"name\":\"eth0\",\"mac\":\"0a:00:00:00:00:01\",\"sandbox\":\"/var/run/netns/p\","
    "\"mtu\":1500}],\"ips\":[{\"address\":\"10.244.0.5/32\",\"gateway\":\"169.254.1.1\","
    "\"interface\":1},{\"address\":\"fd00::5/128\",\"gateway\":\"fe80::1\",\"interface\":1}],"
    "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"169.254.1.1\"}],\"extra\":1}";

static cJSON *result_for(enum cni_version v)
{
	struct cni_config cfg = {.version = v};
	struct cni_error err = {0};
	cJSON *reply = cJSON_Parse(reply_json), *res;
	char *s;

	assert_non_null(reply);
	s = cni_result_build(&cfg, reply, &err);
	assert_non_null(s);
	res = cJSON_Parse(s);
	assert_non_null(res);
	free(s);
	cJSON_Delete(reply);
	return res;
}

static void test_result_versions(void **state)
{
	cJSON *r, *ip, *ifc;

	(void)state;
	r = result_for(CNI_V_0_3_1);
	assert_string_equal(cJSON_GetObjectItem(r, "cniVersion")->valuestring, "0.3.1");
	ip = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "ips"), 1);
	assert_string_equal(cJSON_GetObjectItem(ip, "version")->valuestring, "6");
	assert_int_equal(cJSON_GetObjectItem(ip, "interface")->valueint, 1);
	ifc = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "interfaces"), 1);
	assert_null(cJSON_GetObjectItem(ifc, "mtu"));
	assert_null(cJSON_GetObjectItem(r, "extra"));
	cJSON_Delete(r);

	r = result_for(CNI_V_1_0_0);
	ip = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "ips"), 0);
	assert_null(cJSON_GetObjectItem(ip, "version"));
	assert_string_equal(cJSON_GetObjectItem(ip, "address")->valuestring, "10.244.0.5/32");
	cJSON_Delete(r);

	r = result_for(CNI_V_1_1_0);
	ifc = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "interfaces"), 1);
	assert_int_equal(cJSON_GetObjectItem(ifc, "mtu")->valueint, 1500);
	assert_string_equal(cJSON_GetObjectItem(ifc, "sandbox")->valuestring, "/var/run/netns/p");
	cJSON_Delete(r);
}

static void test_result_without_ips(void **state)
{
	struct cni_config cfg = {.version = CNI_V_1_0_0};
	struct cni_error err = {0};
	cJSON *reply = cJSON_Parse("{\"interfaces\":[]}");

	(void)state;
	assert_null(cni_result_build(&cfg, reply, &err));
	assert_int_equal(err.code, CNI_ERR_IO);
	cJSON_Delete(reply);
}

static void test_version_json(void **state)
{
	char *s = cni_version_json();

	(void)state;
	assert_non_null(s);
	assert_non_null(strstr(s, "\"supportedVersions\":[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\","
	                          "\"1.1.0\"]"));
	free(s);
	assert_int_equal(cni_version_parse("0.4.0"), CNI_V_0_4_0);
	assert_int_equal(cni_version_parse("0.1.0"), CNI_V_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_full),
	    cmocka_unit_test(test_config_defaults),
	    cmocka_unit_test(test_config_errors),
	    cmocka_unit_test(test_args),
	    cmocka_unit_test(test_config_duplicate_keys),
	    cmocka_unit_test(test_config_old_attachments_name),
	    cmocka_unit_test(test_identifiers),
	    cmocka_unit_test(test_result_versions),
	    cmocka_unit_test(test_result_without_ips),
	    cmocka_unit_test(test_version_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
