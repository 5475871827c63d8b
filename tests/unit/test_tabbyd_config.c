/*
 * DOC: unit tests of tabbyd's configuration loader (src/tabbyd/tabbyd_config.c):
 * defaults, every key (the bgp: section too), and errors that name file, line
 * and field.
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
	assert_false(cfg.bgp.enabled);
	assert_int_equal(cfg.bgp.as_number, 64512);
	assert_int_equal(cfg.bgp.listen_port, 179);
	assert_int_equal(cfg.bgp.n_peers, 0);
	/* Cluster routing: mesh on (as Calico), kernel install on, reconcile every 30 s. */
	assert_true(cfg.bgp.node_to_node_mesh);
	assert_null(cfg.bgp.secrets_dir);
	assert_true(cfg.bgp.install_routes);
	assert_int_equal(cfg.bgp.fib_reconcile_seconds, 30);
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

static void test_bgp(void **state)
{
	struct tabbyd_config cfg;
	const struct bgp_peer_config *pc;
	char err[600] = "", buf[ADDR_STRLEN];

	(void)state;
	write_config("nodeName: node-1\n"
	             "addresses: [2001:db8::1/64, 198.18.0.7/24, 198.18.0.1/24]\n"
	             "bgp:\n"
	             "  enabled: true\n"
	             "  asNumber: 4200000001\n"
	             "  listenAddress: 198.18.0.7\n"
	             "  listenPort: 1179\n"
	             "  holdTime: 9\n"
	             "  connectRetry: 1\n"
	             "  peers:\n"
	             "    - address: 198.18.0.2\n"
	             "      asNumber: 65001\n"
	             "      description: tor-1\n"
	             "      password: s3cret\n"
	             "      ttlSecurity: true\n"
	             "      keepalive: 3\n"
	             "      maxPrefixes: 1000\n"
	             "    - {address: '2001:db8::2', asNumber: 4200000001, port: 1180,\n"
	             "       sourceAddress: '2001:db8::1', passive: true, holdTime: 0,\n"
	             "       routeReflectorClient: true, connectRetry: 5, families: [ipv4, ipv6]}\n"
	             "  originate:\n"
	             "    - 10.244.0.0/26\n"
	             "    - {cidr: 'fd00:10:244::/122', med: 10, communities: ['65000:1', "
	             "'1:2']}\n");
	assert_int_equal(tabbyd_config_load(path, true, &cfg, err, sizeof(err)), 0);
	assert_true(cfg.bgp.enabled);
	assert_int_equal(cfg.bgp.as_number, 4200000001u);
	/* The router ID defaults to the first IPv4 underlay address. */
	assert_int_equal(cfg.bgp.router_id, 198u << 24 | 18u << 16 | 7);
	assert_string_equal(addr_format(&cfg.bgp.listen_addr, buf, sizeof(buf)), "198.18.0.7");
	assert_int_equal(cfg.bgp.listen_port, 1179);
	assert_int_equal(cfg.bgp.n_peers, 2);
	pc = &cfg.bgp.peers[0].pc;
	assert_string_equal(addr_format(&pc->addr, buf, sizeof(buf)), "198.18.0.2");
	assert_int_equal(pc->remote_as, 65001);
	assert_string_equal(pc->description, "tor-1");
	assert_string_equal(pc->password, "s3cret");
	assert_true(pc->ttl_security);
	assert_false(pc->passive);
	assert_int_equal(pc->hold_time, 9); /* bgp.holdTime */
	assert_int_equal(pc->keepalive, 3);
	assert_int_equal(pc->connect_retry, 1); /* bgp.connectRetry */
	assert_int_equal(pc->port, 179);
	assert_int_equal(pc->max_prefixes, 1000);
	assert_int_equal(pc->families, BGP_FAMILY_IPV4); /* the session's family */
	pc = &cfg.bgp.peers[1].pc;
	assert_int_equal(pc->port, 1180);
	assert_string_equal(addr_format(&pc->source, buf, sizeof(buf)), "2001:db8::1");
	assert_true(pc->passive);
	assert_true(pc->rr_client);
	assert_int_equal(pc->hold_time, BGP_HOLD_TIME_NONE);
	assert_int_equal(pc->connect_retry, 5);
	assert_int_equal(pc->families, BGP_FAMILY_IPV4 | BGP_FAMILY_IPV6);
	assert_null(pc->password);
	assert_int_equal(cfg.bgp.n_origins, 2);
	assert_int_equal(cfg.bgp.origins[0].prefix.len, 26);
	assert_false(cfg.bgp.origins[0].has_med);
	assert_true(cfg.bgp.origins[1].has_med);
	assert_int_equal(cfg.bgp.origins[1].med, 10);
	assert_int_equal(cfg.bgp.origins[1].n_communities, 2);
	assert_int_equal(cfg.bgp.origins[1].communities[0], 65000u << 16 | 1);
	/* Peers compare equal to themselves and differ by any setting. */
	assert_true(tabbyd_bgp_peer_equal(&cfg.bgp.peers[0], &cfg.bgp.peers[0]));
	assert_false(tabbyd_bgp_peer_equal(&cfg.bgp.peers[0], &cfg.bgp.peers[1]));
	assert_false(tabbyd_bgp_origin_equal(&cfg.bgp.origins[0], &cfg.bgp.origins[1]));
	tabbyd_config_free(&cfg);
	unlink(path);

	/* An explicit router ID; a disabled section needs no IPv4 address. */
	write_config("bgp: {routerID: 10.0.0.9}\n");
	assert_int_equal(tabbyd_config_load(path, true, &cfg, err, sizeof(err)), 0);
	assert_false(cfg.bgp.enabled);
	assert_int_equal(cfg.bgp.router_id, 10u << 24 | 9);
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

static void test_bgp_errors(void **state)
{
	(void)state;
	expect_error("addresses: [198.18.0.1/24]\nbgp:\n  asNumber: 0\n", "3:", "bgp.asNumber");
	expect_error("bgp:\n  asNumber: 23456\n", "2:", "bgp.asNumber");
	expect_error("bgp:\n  asNumber: 4294967296\n", "2:", "bgp.asNumber");
	expect_error("bgp:\n  enabled: yes please\n", "2:", "bgp.enabled");
	expect_error("bgp: [1]\n", "1:", "bgp");
	expect_error("bgp:\n  peerz: []\n", "2:", "peerz");
	expect_error("bgp:\n  enabled: true\n", "2:", "bgp.routerID");
	expect_error("bgp:\n  routerID: 0.0.0.0\n", "2:", "bgp.routerID");
	expect_error("bgp:\n  routerID: 2001:db8::1\n", "2:", "bgp.routerID");
	expect_error("bgp:\n  listenAddress: anywhere\n", "2:", "bgp.listenAddress");
	expect_error("bgp:\n  listenPort: 0\n", "2:", "bgp.listenPort");
	expect_error("bgp:\n  holdTime: 2\n", "2:", "bgp.holdTime");
	expect_error("bgp:\n  peers: {address: 198.18.0.2}\n", "2:", "bgp.peers");
	expect_error("bgp:\n  peers:\n    - address: not-an-ip\n      asNumber: 65001\n",
	             "3:", "bgp.peers[0].address");
	expect_error("bgp:\n  peers:\n    - asNumber: 65001\n", "3:", "bgp.peers[0].address");
	expect_error("bgp:\n  peers:\n    - address: 198.18.0.2\n", "3:", "bgp.peers[0].asNumber");
	expect_error("bgp:\n  peers:\n    - {address: 198.18.0.2, asNumber: 1, colour: red}\n",
	             "3:", "colour");
	expect_error("bgp:\n  peers:\n    - {address: 198.18.0.2, asNumber: 1,\n"
	             "       families: [ipv4, ipv5]}\n",
	             "4:", "bgp.peers[0].families[1]");
	expect_error("bgp:\n  peers:\n    - {address: 198.18.0.2, asNumber: 1, holdTime: 1}\n",
	             "3:", "bgp.peers[0].holdTime");
	expect_error("bgp:\n  peers:\n    - {address: 198.18.0.2, asNumber: 1, holdTime: 9,\n"
	             "       keepalive: 4}\n",
	             "4:", "bgp.peers[0].keepalive");
	expect_error("bgp:\n  peers:\n    - {address: 198.18.0.2, asNumber: 1,\n"
	             "       sourceAddress: '2001:db8::1'}\n",
	             "4:", "bgp.peers[0].sourceAddress");
	expect_error("bgp:\n  asNumber: 65000\n  peers:\n"
	             "    - {address: 198.18.0.2, asNumber: 1, routeReflectorClient: true}\n",
	             "4:", "bgp.peers[0].routeReflectorClient");
	expect_error("bgp:\n  peers:\n    - {address: 198.18.0.2, asNumber: 1, password: ''}\n",
	             "3:", "bgp.peers[0].password");
	expect_error("bgp:\n  peers:\n    - {address: 198.18.0.2, asNumber: 1}\n"
	             "    - {address: 198.18.0.2, asNumber: 2}\n",
	             "4:", "bgp.peers[1].address");
	expect_error("bgp:\n  originate: [10.0.0.1/24]\n", "2:", "bgp.originate[0]");
	expect_error("bgp:\n  originate:\n    - 10.0.0.0/24\n    - 10.0.0.0/24\n",
	             "4:", "bgp.originate[1]");
	expect_error("bgp:\n  originate:\n    - {med: 1}\n", "3:", "bgp.originate[0].cidr");
	expect_error("bgp:\n  originate:\n    - {cidr: 10.0.0.0/24, med: -1}\n",
	             "3:", "bgp.originate[0].med");
	expect_error("bgp:\n  originate:\n    - {cidr: 10.0.0.0/24, communities: ['1:70000']}\n",
	             "3:", "bgp.originate[0].communities[0]");
	expect_error("bgp:\n  nodeToNodeMesh: sometimes\n", "2:", "bgp.nodeToNodeMesh");
	expect_error("bgp:\n  secretsDir: secrets\n", "2:", "bgp.secretsDir");
	expect_error("bgp:\n  installRoutes: 3\n", "2:", "bgp.installRoutes");
	expect_error("bgp:\n  fibReconcileSeconds: 0\n", "2:", "bgp.fibReconcileSeconds");
	expect_error("bgp:\n  fibReconcileSeconds: 86401\n", "2:", "bgp.fibReconcileSeconds");
}

/* The cluster-routing keys of bgp: (doc/routing.md). */
static void test_bgp_routing(void **state)
{
	struct tabbyd_config cfg;
	char err[600] = "";

	(void)state;
	write_config("nodeName: node-1\n"
	             "addresses: [198.18.0.1/24]\n"
	             "bgp:\n"
	             "  enabled: true\n"
	             "  nodeToNodeMesh: false\n"
	             "  installRoutes: false\n"
	             "  fibReconcileSeconds: 5\n"
	             "  secretsDir: /run/tabby/secrets\n");
	assert_int_equal(tabbyd_config_load(path, true, &cfg, err, sizeof(err)), 0);
	unlink(path);
	assert_false(cfg.bgp.node_to_node_mesh);
	assert_string_equal(cfg.bgp.secrets_dir, "/run/tabby/secrets");
	assert_false(cfg.bgp.install_routes);
	assert_int_equal(cfg.bgp.fib_reconcile_seconds, 5);
	tabbyd_config_free(&cfg);
	/* Enabled without the keys: install on, mesh on (BGPConfiguration may turn it off). */
	write_config("nodeName: node-1\naddresses: [198.18.0.1/24]\nbgp: {enabled: true}\n");
	assert_int_equal(tabbyd_config_load(path, true, &cfg, err, sizeof(err)), 0);
	unlink(path);
	assert_true(cfg.bgp.node_to_node_mesh);
	assert_null(cfg.bgp.secrets_dir);
	assert_true(cfg.bgp.install_routes);
	assert_int_equal(cfg.bgp.fib_reconcile_seconds, 30);
	tabbyd_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_missing_file),
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_bgp),
	    cmocka_unit_test(test_bgp_errors),
	    cmocka_unit_test(test_bgp_routing),
	};

	log_init("test", LOG_ERR, LOG_TARGET_STDERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
