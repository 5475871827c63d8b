/*
 * DOC: unit tests of the cluster peering computation (src/tabbyd/routing_config.c,
 * routing_peers.c): the full mesh, peerIP BGPPeers scoped by node and
 * nodeSelector, symmetric peerSelector peerings, route reflector clients,
 * the precedence of AS numbers, listen ports and the mesh switch, passwords
 * from secretsDir, bgp.peers winning an address, and malformed documents
 * left out without taking the others down.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <tabby/log.h>
#include <tabby/store.h>

#include "routing_peers.h"

/* ---- fixtures: documents as tabbyctl stores them ---- */

#define MAX_DOCS 16

struct docs {
	struct store_kv kv[MAX_DOCS];
	char keys[MAX_DOCS][256];
	size_t n;
};

static void doc_add(struct docs *d, const char *prefix, const char *name, const char *json)
{
	assert_true(d->n < MAX_DOCS);
	snprintf(d->keys[d->n], sizeof(d->keys[d->n]), "%s%s", prefix, name);
	d->kv[d->n].key = d->keys[d->n];
	d->kv[d->n].value = (char *)json;
	d->kv[d->n].mod_rev = (int64_t)d->n + 1;
	d->n++;
}

struct world {
	struct docs configs, nodes, peers;
	struct tabbyd_bgp_config yaml;
	struct prefix underlay[2];
	struct routing_local local;
	struct routing_cluster c;
	struct routing_session *s;
	size_t n;
};

/* A Node "nodeI" at 198.18.0.I and 2001:db8::I with extra spec.bgp fields and labels. */
static char *node_json(int i, const char *bgp_extra, const char *labels)
{
	char *buf = malloc(1024);

	assert_non_null(buf);
	snprintf(buf, 1024,
	         "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"Node\","
	         "\"metadata\":{\"name\":\"node%d\",\"labels\":{%s}},"
	         "\"spec\":{\"bgp\":{\"ipv4Address\":\"198.18.0.%d/24\","
	         "\"ipv6Address\":\"2001:db8::%d/64\"%s%s}}}",
	         i, labels ? labels : "", i, i, bgp_extra ? "," : "", bgp_extra ? bgp_extra : "");
	return buf;
}

static char *node_docs[8];

static void world_node(struct world *w, int i, const char *bgp_extra, const char *labels)
{
	char name[16];

	snprintf(name, sizeof(name), "node%d", i);
	free(node_docs[i]);
	node_docs[i] = node_json(i, bgp_extra, labels);
	doc_add(&w->nodes, ROUTING_PREFIX_NODES, name, node_docs[i]);
}

/* This node is nodeI; three Nodes in the store unless told otherwise. */
static void world_init(struct world *w, int me)
{
	memset(w, 0, sizeof(*w));
	w->yaml.as_number = 64512;
	w->yaml.listen_port = 179;
	w->yaml.node_to_node_mesh = true;
	w->yaml.hold_time = 3;
	assert_int_equal(prefix_parse("198.18.0.0/24", &w->underlay[0], false), 0);
	assert_int_equal(prefix_parse("2001:db8::/64", &w->underlay[1], false), 0);
	w->underlay[0].addr.bytes[3] = (uint8_t)me;
	w->underlay[1].addr.bytes[15] = (uint8_t)me;
	w->local.node_name = me == 1 ? "node1" : me == 2 ? "node2" : me == 3 ? "node3" : "node4";
	w->local.yaml = &w->yaml;
	w->local.underlay = w->underlay;
	w->local.n_underlay = 2;
}

static void world_compute(struct world *w)
{
	struct store_list lc = {w->configs.kv, w->configs.n, 1};
	struct store_list ln = {w->nodes.kv, w->nodes.n, 1};
	struct store_list lp = {w->peers.kv, w->peers.n, 1};

	routing_config_cluster_clear(&w->c);
	free(w->s);
	w->s = NULL;
	assert_int_equal(routing_config_cluster(&lc, &ln, &lp, &w->c), 0);
	assert_int_equal(routing_peers_compute(&w->c, &w->local, &w->s, &w->n), 0);
}

static void world_free(struct world *w)
{
	size_t i;

	routing_config_cluster_clear(&w->c);
	free(w->s);
	for (i = 0; i < 8; i++) {
		free(node_docs[i]);
		node_docs[i] = NULL;
	}
}

static const struct routing_session *find(const struct world *w, const char *addr)
{
	struct addr a;
	size_t i;

	assert_int_equal(addr_parse(addr, &a), 0);
	for (i = 0; i < w->n; i++)
		if (addr_eq(&w->s[i].pc.addr, &a))
			return &w->s[i];
	return NULL;
}

/* ---- tests ---- */

static void test_mesh(void **state)
{
	const struct routing_session *s;
	struct world w;
	char ab[ADDR_STRLEN];

	(void)state;
	world_init(&w, 2);
	world_node(&w, 1, NULL, NULL);
	world_node(&w, 2, NULL, NULL);
	world_node(&w, 3, NULL, NULL);
	world_compute(&w);
	assert_int_equal(w.n, 4); /* node1 and node3, IPv4 and IPv6; never itself */
	assert_null(find(&w, "198.18.0.2"));
	s = find(&w, "198.18.0.1");
	assert_non_null(s);
	assert_int_equal(s->source, ROUTING_SRC_MESH);
	assert_string_equal(s->pc.description, "mesh: node node1");
	assert_string_equal(s->node, "node1");
	assert_int_equal(s->pc.remote_as, 64512);
	assert_false(s->pc.passive); /* the higher address (us) connects */
	assert_int_equal(s->pc.families, BGP_FAMILY_IPV4);
	assert_string_equal(addr_format(&s->pc.source, ab, sizeof(ab)), "198.18.0.2");
	assert_int_equal(s->pc.hold_time, 3);
	assert_int_equal(s->pc.port, 179);
	assert_false(s->pc.rr_client);
	assert_null(s->pc.password);
	s = find(&w, "2001:db8::3");
	assert_non_null(s);
	assert_true(s->pc.passive); /* node3 is higher: it connects */
	assert_int_equal(s->pc.families, BGP_FAMILY_IPV6);
	assert_string_equal(addr_format(&s->pc.source, ab, sizeof(ab)), "2001:db8::2");

	/* BGPConfiguration default switches it off; the YAML's true is only a default. */
	doc_add(&w.configs, ROUTING_PREFIX_BGPCONFIG, "default",
	        "{\"kind\":\"BGPConfiguration\",\"spec\":{\"nodeToNodeMeshEnabled\":false}}");
	world_compute(&w);
	assert_int_equal(w.n, 0);
	/* ... and on again over a YAML false. */
	w.configs.kv[0].value = (char *)"{\"spec\":{\"nodeToNodeMeshEnabled\":true}}";
	w.yaml.node_to_node_mesh = false;
	world_compute(&w);
	assert_int_equal(w.n, 4);
	/* No BGPConfiguration: the YAML decides. */
	w.configs.n = 0;
	world_compute(&w);
	assert_int_equal(w.n, 0);
	world_free(&w);
}

static void test_precedence(void **state)
{
	struct tabbyd_bgp_effective eff;
	struct world w;

	(void)state;
	world_init(&w, 1);
	world_node(&w, 1, NULL, NULL);
	world_node(&w, 2, NULL, NULL);
	world_node(&w, 3, "\"asNumber\":\"65003\"", NULL);
	world_compute(&w);
	routing_peers_effective(&w.c, &w.local, &eff);
	assert_int_equal(eff.as_number, 64512); /* the YAML */
	assert_int_equal(eff.listen_port, 179);
	assert_true(eff.mesh);
	assert_int_equal(eff.cluster_id, 0);
	assert_int_equal(find(&w, "198.18.0.2")->pc.remote_as, 64512);
	assert_int_equal(find(&w, "198.18.0.3")->pc.remote_as, 65003); /* its own, eBGP */

	/* BGPConfiguration default over the YAML, for us and for Nodes without their own. */
	doc_add(&w.configs, ROUTING_PREFIX_BGPCONFIG, "default",
	        "{\"spec\":{\"asNumber\":65000,\"listenPort\":1790}}");
	world_compute(&w);
	routing_peers_effective(&w.c, &w.local, &eff);
	assert_int_equal(eff.as_number, 65000);
	assert_int_equal(eff.listen_port, 1790);
	assert_int_equal(find(&w, "198.18.0.2")->pc.remote_as, 65000);
	assert_int_equal(find(&w, "198.18.0.2")->pc.port, 1790);
	assert_int_equal(find(&w, "198.18.0.3")->pc.remote_as, 65003);

	/* Our Node's asNumber over everything (asdot too); node.<name> for one node's port. */
	w.nodes.n = 0;
	world_node(&w, 1, "\"asNumber\":\"1.10\"", NULL);
	world_node(&w, 2, NULL, NULL);
	doc_add(&w.configs, ROUTING_PREFIX_BGPCONFIG, "node.node1",
	        "{\"spec\":{\"listenPort\":1791}}");
	doc_add(&w.configs, ROUTING_PREFIX_BGPCONFIG, "node.node2",
	        "{\"spec\":{\"listenPort\":1792}}");
	world_compute(&w);
	routing_peers_effective(&w.c, &w.local, &eff);
	assert_int_equal(eff.as_number, 65546);
	assert_int_equal(eff.listen_port, 1791);
	assert_int_equal(find(&w, "198.18.0.2")->pc.port, 1792); /* where node2 listens */
	assert_int_equal(find(&w, "198.18.0.2")->pc.remote_as, 65000);
	world_free(&w);
}

static const char *const tor_peers[] = {
    /* rack a's ToR, by nodeSelector */
    "{\"spec\":{\"peerIP\":\"198.18.0.250\",\"asNumber\":65001,\"nodeSelector\":\"rack == 'a'\","
    "\"ttlSecurity\":1,\"sourceAddress\":\"None\"}}",
    /* one node only, port given */
    "{\"spec\":{\"peerIP\":\"[2001:db8::251]:1790\",\"asNumber\":65002,\"node\":\"node2\"}}",
    /* every node */
    "{\"spec\":{\"peerIP\":\"198.18.0.252\",\"asNumber\":\"65003\"}}",
};

static void test_peer_ip_scope(void **state)
{
	const struct routing_session *s;
	struct world w;
	char ab[ADDR_STRLEN];
	int me;

	(void)state;
	for (me = 1; me <= 3; me++) {
		world_init(&w, me);
		doc_add(&w.configs, ROUTING_PREFIX_BGPCONFIG, "default",
		        "{\"spec\":{\"nodeToNodeMeshEnabled\":false}}");
		world_node(&w, 1, NULL, "\"rack\":\"a\"");
		world_node(&w, 2, NULL, "\"rack\":\"b\"");
		world_node(&w, 3, NULL, "\"rack\":\"a\"");
		doc_add(&w.peers, ROUTING_PREFIX_BGPPEERS, "tor-a", tor_peers[0]);
		doc_add(&w.peers, ROUTING_PREFIX_BGPPEERS, "tor-node2", tor_peers[1]);
		doc_add(&w.peers, ROUTING_PREFIX_BGPPEERS, "tor-all", tor_peers[2]);
		world_compute(&w);
		assert_int_equal(w.n, 2); /* rack a: tor-a + tor-all; node2: tor-node2 + tor-all */
		s = find(&w, "198.18.0.252");
		assert_non_null(s);
		assert_int_equal(s->source, ROUTING_SRC_BGPPEER);
		assert_string_equal(s->pc.description, "bgppeer: tor-all");
		assert_string_equal(s->bgppeer, "tor-all");
		assert_string_equal(s->node, "");
		assert_int_equal(s->pc.remote_as, 65003);
		assert_false(s->pc.passive);
		assert_false(s->pc.ttl_security);
		assert_int_equal(s->pc.source.family, AF_INET); /* UseNodeIP by default */
		if (me == 2) {
			assert_null(find(&w, "198.18.0.250"));
			s = find(&w, "2001:db8::251");
			assert_non_null(s);
			assert_int_equal(s->pc.port, 1790);
			assert_int_equal(s->pc.remote_as, 65002);
			assert_int_equal(s->pc.families, BGP_FAMILY_IPV6);
			assert_string_equal(addr_format(&s->pc.source, ab, sizeof(ab)),
			                    "2001:db8::2");
		} else {
			assert_null(find(&w, "2001:db8::251"));
			s = find(&w, "198.18.0.250");
			assert_non_null(s);
			assert_int_equal(s->pc.remote_as, 65001);
			assert_true(s->pc.ttl_security);
			assert_int_equal(s->pc.source.family, 0); /* sourceAddress: None */
		}
		world_free(&w);
	}
}

/* Calico's in-cluster route reflector set-up, seen from each node. */
static void test_route_reflector(void **state)
{
	const struct routing_session *s;
	struct tabbyd_bgp_effective eff;
	struct world w;
	int me;

	(void)state;
	for (me = 1; me <= 4; me++) {
		world_init(&w, me);
		doc_add(&w.configs, ROUTING_PREFIX_BGPCONFIG, "default",
		        "{\"spec\":{\"nodeToNodeMeshEnabled\":false}}");
		world_node(&w, 1, "\"routeReflectorClusterID\":\"224.0.0.1\"",
		           "\"route-reflector\":\"true\"");
		world_node(&w, 2, NULL, NULL);
		world_node(&w, 3, NULL, "\"rack\":\"b\"");
		world_node(&w, 4, "\"routeReflectorClusterID\":\"224.0.0.1\"",
		           "\"route-reflector\":\"true\"");
		doc_add(&w.peers, ROUTING_PREFIX_BGPPEERS, "peer-with-rrs",
		        "{\"spec\":{\"nodeSelector\":\"all()\","
		        "\"peerSelector\":\"route-reflector == 'true'\"}}");
		world_compute(&w);
		routing_peers_effective(&w.c, &w.local, &eff);
		if (me == 2 || me == 3) {
			/* A client: to both reflectors, plain iBGP, per family. */
			assert_int_equal(eff.cluster_id, 0);
			assert_int_equal(w.n, 4);
			s = find(&w, "198.18.0.1");
			assert_non_null(s);
			assert_false(s->pc.rr_client);
			assert_string_equal(s->pc.description, "bgppeer peer-with-rrs: node node1");
			assert_string_equal(s->bgppeer, "peer-with-rrs");
			assert_string_equal(s->node, "node1");
			assert_non_null(find(&w, "2001:db8::4"));
			assert_null(find(&w, me == 2 ? "198.18.0.3" : "198.18.0.2"));
		} else {
			/* A reflector: every other node; clients marked; the other RR is not. */
			assert_int_equal(eff.cluster_id, 0xe0000001);
			assert_int_equal(w.n, 6);
			s = find(&w, "198.18.0.2");
			assert_non_null(s);
			assert_true(s->pc.rr_client);
			assert_string_equal(s->pc.description,
			                    "bgppeer peer-with-rrs: node node2 (route reflector "
			                    "client)");
			assert_true(find(&w, "2001:db8::3")->pc.rr_client);
			s = find(&w, me == 1 ? "198.18.0.4" : "198.18.0.1");
			assert_non_null(s);
			assert_false(s->pc.rr_client);
		}
		world_free(&w);
	}
}

/* peerSelector peerings are symmetric: rack a's nodeSelector, rack b's peerSelector. */
static void test_peer_selector_symmetric(void **state)
{
	struct world w;
	int me;

	(void)state;
	for (me = 1; me <= 3; me++) {
		world_init(&w, me);
		w.yaml.node_to_node_mesh = false;
		world_node(&w, 1, NULL, "\"rack\":\"a\"");
		world_node(&w, 2, NULL, "\"rack\":\"b\"");
		world_node(&w, 3, NULL, "\"rack\":\"b\"");
		doc_add(&w.peers, ROUTING_PREFIX_BGPPEERS, "a-to-b",
		        "{\"spec\":{\"nodeSelector\":\"rack == 'a'\","
		        "\"peerSelector\":\"rack == 'b'\",\"password\":{\"secretKeyRef\":"
		        "{\"name\":\"bgp\",\"key\":\"k\"}}}}");
		w.yaml.secrets_dir = (char *)"/nonexistent";
		world_compute(&w);
		assert_int_equal(w.n, 0); /* the password file is missing: left out */
		w.peers.kv[0].value = (char *)"{\"spec\":{\"nodeSelector\":\"rack == 'a'\","
		                              "\"peerSelector\":\"rack == 'b'\"}}";
		world_compute(&w);
		if (me == 1) {
			assert_int_equal(w.n, 4); /* node2 and node3 */
		} else {
			/* X selected, node1 in scope: the same pair from the other end. */
			assert_int_equal(w.n, 2);
			assert_non_null(find(&w, "198.18.0.1"));
			assert_non_null(find(&w, "2001:db8::1"));
			assert_false(find(&w, "198.18.0.1")->pc.passive); /* we are higher */
		}
		world_free(&w);
	}
}

static void test_password(void **state)
{
	char dir[] = "/tmp/test_routing_peers.XXXXXX", sub[96], file[128];
	const struct routing_session *s;
	struct world w;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/tor-secret", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(file, sizeof(file), "%s/md5", sub);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("s3cret\n", f);
	fclose(f);
	world_init(&w, 1);
	w.yaml.secrets_dir = dir;
	doc_add(&w.peers, ROUTING_PREFIX_BGPPEERS, "tor",
	        "{\"spec\":{\"peerIP\":\"198.18.0.250\",\"asNumber\":65001,\"password\":"
	        "{\"secretKeyRef\":{\"name\":\"tor-secret\",\"key\":\"md5\"}}}}");
	world_compute(&w);
	s = find(&w, "198.18.0.250");
	assert_non_null(s);
	assert_non_null(s->pc.password);
	assert_string_equal(s->pc.password, "s3cret"); /* the trailing newline is not the key */
	assert_ptr_equal(s->pc.password, s->password);
	assert_ptr_equal(s->pc.description, s->description);
	unlink(file);
	rmdir(sub);
	rmdir(dir);
	world_free(&w);
}

/* bgp.peers of tabbyd.yaml keep their address; the first BGPPeer (by name) wins over the mesh. */
static void test_precedence_of_sources(void **state)
{
	struct tabbyd_bgp_peer yp = {0};
	const struct routing_session *s;
	struct world w;

	(void)state;
	world_init(&w, 1);
	world_node(&w, 1, NULL, NULL);
	world_node(&w, 2, NULL, NULL);
	world_node(&w, 3, NULL, NULL);
	doc_add(&w.peers, ROUTING_PREFIX_BGPPEERS, "to-node3",
	        "{\"spec\":{\"peerSelector\":\"all()\",\"node\":\"node1\",\"ttlSecurity\":1}}");
	assert_int_equal(addr_parse("198.18.0.2", &yp.pc.addr), 0);
	w.yaml.peers = &yp;
	w.yaml.n_peers = 1;
	world_compute(&w);
	assert_int_equal(w.n, 3);
	assert_null(find(&w, "198.18.0.2")); /* bgp.peers has it */
	s = find(&w, "2001:db8::2");
	assert_int_equal(s->source, ROUTING_SRC_BGPPEER);
	assert_true(s->pc.ttl_security);
	world_free(&w);
}

static void test_equal(void **state)
{
	struct routing_session a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(addr_parse("198.18.0.2", &a.pc.addr), 0);
	a.pc.remote_as = 64512;
	snprintf(a.description, sizeof(a.description), "mesh: node node2");
	b = a;
	routing_peers_fixup(&a);
	routing_peers_fixup(&b);
	assert_true(routing_peers_equal(&a, &b));
	b.pc.rr_client = true;
	assert_false(routing_peers_equal(&a, &b));
	b = a;
	snprintf(b.password, sizeof(b.password), "x");
	assert_false(routing_peers_equal(&a, &b));
	b = a;
	b.pc.remote_as = 65000;
	assert_false(routing_peers_equal(&a, &b));
}

static void expect_bad_peer(const char *json, const char *field)
{
	struct routing_bgppeer p;
	char err[256] = "";

	assert_int_equal(routing_config_bgppeer("x", json, &p, err, sizeof(err)), -EINVAL);
	if (!strstr(err, field))
		fail_msg("error \"%s\" does not name %s", err, field);
}

static void test_malformed(void **state)
{
	struct routing_bgpconfig bc;
	struct routing_node nd;
	struct world w;
	char err[256];

	(void)state;
	expect_bad_peer("{\"spec\":{\"peerIP\":\"198.18.0.1\"}}", "spec.asNumber");
	expect_bad_peer("{\"spec\":{\"peerIP\":\"nope\",\"asNumber\":1}}", "spec.peerIP");
	expect_bad_peer("{\"spec\":{\"asNumber\":1}}", "spec.peerIP");
	expect_bad_peer("{\"spec\":{\"peerIP\":\"198.18.0.1\",\"asNumber\":1,"
	                "\"peerSelector\":\"all()\"}}",
	                "spec.peerIP");
	expect_bad_peer("{\"spec\":{\"peerSelector\":\"a ==\"}}", "spec.peerSelector");
	expect_bad_peer("{\"spec\":{\"peerSelector\":\"all()\",\"node\":\"n\","
	                "\"nodeSelector\":\"all()\"}}",
	                "spec.nodeSelector");
	expect_bad_peer("{\"spec\":{\"peerIP\":\"198.18.0.1\",\"asNumber\":23456}}",
	                "spec.asNumber");
	expect_bad_peer("{\"spec\":{\"peerIP\":\"198.18.0.1:0\",\"asNumber\":1}}", "spec.peerIP");
	expect_bad_peer("{\"spec\":{\"peerSelector\":\"all()\",\"ttlSecurity\":256}}",
	                "spec.ttlSecurity");
	expect_bad_peer("{\"spec\":{\"peerSelector\":\"all()\",\"sourceAddress\":\"Any\"}}",
	                "spec.sourceAddress");
	expect_bad_peer("{\"spec\":{\"peerSelector\":\"all()\",\"password\":{\"secretKeyRef\":"
	                "{\"name\":\"../etc\",\"key\":\"k\"}}}}",
	                "secretKeyRef");
	expect_bad_peer("[1]", "(document)");
	assert_int_equal(routing_config_node("n", "{\"spec\":{\"bgp\":{\"ipv4Address\":\"::1\"}}}",
	                                     &nd, err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "spec.bgp.ipv4Address"));
	assert_int_equal(
	    routing_config_node("n", "{\"spec\":{\"bgp\":{\"routeReflectorClusterID\":\"x\"}}}",
	                        &nd, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "spec.bgp.routeReflectorClusterID"));
	assert_int_equal(routing_config_node("n", "{\"metadata\":{\"labels\":{\"a\":1}}}", &nd, err,
	                                     sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "metadata.labels.a"));
	assert_int_equal(routing_config_bgpconfig("default", "{\"spec\":{\"listenPort\":\"x\"}}",
	                                          &bc, err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "spec.listenPort"));
	assert_int_equal(routing_config_bgpconfig("default",
	                                          "{\"spec\":{\"nodeToNodeMeshEnabled\":1}}", &bc,
	                                          err, sizeof(err)),
	                 -EINVAL);

	/* In a cluster: the bad ones are left out, the rest works. */
	world_init(&w, 1);
	doc_add(&w.configs, ROUTING_PREFIX_BGPCONFIG, "default",
	        "{\"spec\":{\"nodeToNodeMeshEnabled\":\"no\"}}"); /* ignored: mesh stays on */
	world_node(&w, 1, NULL, NULL);
	world_node(&w, 2, NULL, NULL);
	doc_add(&w.nodes, ROUTING_PREFIX_NODES, "node3", "{not json");
	doc_add(&w.peers, ROUTING_PREFIX_BGPPEERS, "bad", "{\"spec\":{\"peerSelector\":\"(\"}}");
	doc_add(&w.peers, ROUTING_PREFIX_BGPPEERS, "good",
	        "{\"spec\":{\"peerIP\":\"198.18.0.250\",\"asNumber\":65001}}");
	world_compute(&w);
	assert_int_equal(w.c.n_configs, 0);
	assert_int_equal(w.c.n_nodes, 2);
	assert_int_equal(w.c.n_peers, 1);
	assert_int_equal(w.n, 3); /* node2 (mesh, two families) and the good BGPPeer */
	assert_non_null(find(&w, "198.18.0.250"));
	assert_non_null(find(&w, "2001:db8::2"));
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mesh),
	    cmocka_unit_test(test_precedence),
	    cmocka_unit_test(test_peer_ip_scope),
	    cmocka_unit_test(test_route_reflector),
	    cmocka_unit_test(test_peer_selector_symmetric),
	    cmocka_unit_test(test_password),
	    cmocka_unit_test(test_precedence_of_sources),
	    cmocka_unit_test(test_equal),
	    cmocka_unit_test(test_malformed),
	};

	log_set_level(LOG_CRIT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
