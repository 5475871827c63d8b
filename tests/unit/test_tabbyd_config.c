/*
 * DOC: unit tests of tabbyd's configuration loader (src/tabbyd/tabbyd_config.c):
 * defaults, every key, and errors that name file, line and field.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <tabby/log.h>

#include "tabbyd.h"

static char path[64];

static void write_config(const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_tabbyd_config.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_defaults_missing_file(void **state)
{
	struct tabbyd_config cfg;
	char err[600] = "";

	(void)state;
	assert_int_equal(
	    tabbyd_config_load("/nonexistent/tabbyd.yaml", false, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.api_socket, TABBYD_DEFAULT_SOCKET);
	assert_string_equal(cfg.datastore, TABBYD_DEFAULT_STORE);
	assert_true(cfg.node_name[0] != '\0');
	assert_int_equal(cfg.log_level, LOG_INFO);
	tabbyd_config_free(&cfg);
	/* With -c the file must exist. */
	assert_int_not_equal(
	    tabbyd_config_load("/nonexistent/tabbyd.yaml", true, &cfg, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "/nonexistent/tabbyd.yaml"));
	tabbyd_config_free(&cfg);
}

static void test_full(void **state)
{
	struct tabbyd_config cfg;
	char err[600] = "", buf[ADDR_STRLEN];

	(void)state;
	write_config("nodeName: node-1\n"
	             "datastore: sqlite:/tmp/x.db\n"
	             "addresses: [198.18.0.1/24, 2001:db8::1]\n"
	             "logLevel: debug\n"
	             "apiSocket: /tmp/t.sock\n"
	             "mtu: 1450\n"
	             "labels: {rack: r1, zone: z1}\n"
	             "bootstrapPools:\n"
	             "  - name: p4\n"
	             "    cidr: 10.244.0.0/16\n"
	             "    blockSize: 26\n"
	             "  - {name: p6, cidr: 'fd00:10:244::/56', natOutgoing: true,\n"
	             "     nodeSelector: \"rack == 'r1'\"}\n");
	assert_int_equal(tabbyd_config_load(path, true, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.node_name, "node-1");
	assert_string_equal(cfg.datastore, "sqlite:/tmp/x.db");
	assert_int_equal(cfg.n_underlay, 2);
	assert_string_equal(addr_format(&cfg.underlay[0].addr, buf, sizeof(buf)), "198.18.0.1");
	assert_int_equal(cfg.underlay[0].len, 24);
	assert_int_equal(cfg.underlay[1].len, 128);
	assert_int_equal(cfg.log_level, LOG_DEBUG);
	assert_string_equal(cfg.api_socket, "/tmp/t.sock");
	assert_int_equal(cfg.mtu, 1450);
	assert_int_equal(cfg.n_pools, 2);
	assert_string_equal(cfg.pools[1].cidr, "fd00:10:244::/56");
	assert_int_equal(cfg.pools[0].block_size, 26);
	assert_true(cfg.pools[1].nat_outgoing);
	assert_string_equal(cfg.pools[1].node_selector, "rack == 'r1'");
	assert_null(cfg.pools[0].node_selector);
	assert_int_equal(cfg.n_labels, 2);
	assert_string_equal(cfg.label_keys[1], "zone");
	assert_string_equal(cfg.label_values[0], "r1");
	tabbyd_config_free(&cfg);
	unlink(path);
}

static void expect_error(const char *text, const char *where, const char *field)
{
	struct tabbyd_config cfg;
	char err[600] = "", want[128];

	write_config(text);
	assert_int_not_equal(tabbyd_config_load(path, true, &cfg, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s:%s", path, where);
	if (!strstr(err, want) || !strstr(err, field))
		fail_msg("error \"%s\" does not name %s and %s", err, want, field);
	tabbyd_config_free(&cfg);
	unlink(path);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("nodeName: n\nlogLevel: loud\n", "2:", "logLevel");
	expect_error("nodeName: n\nmtu: 20\n", "2:", "mtu");
	expect_error("nodeName: n\napiSocket: relative.sock\n", "2:", "apiSocket");
	expect_error("nodeName: n\naddresses:\n  - 198.18.0.300\n", "3:", "addresses[0]");
	expect_error("nodeName: n\nbootstrapPools:\n  - name: p\n    cidr: 10.244.0.1/16\n",
	             "4:", "bootstrapPools[0].cidr");
	expect_error("nodeName: n\nbootstrapPools:\n  - cidr: 10.244.0.0/16\n", "3:", "name");
	expect_error("nodeName: n\ndatastor: x\n", "2:", "datastor");
	expect_error("nodeName: n\nlabels: [a]\n", "2:", "labels");
	expect_error("nodeName: n\nlabels: {a: [b]}\n", "2:", "labels.a");
	expect_error("nodeName: [a, b]\n", "1:", "nodeName");
	expect_error("nodeName: 'bad name'\n", "1:", "nodeName");
	expect_error("nodeName: n\n  bad: indentation\n", "2:", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_missing_file),
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_errors),
	};

	log_init("test", LOG_ERR, LOG_TARGET_STDERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
