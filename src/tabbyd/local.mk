# src/tabbyd: the node agent. api_request.c (the API's request parser) is kept
# in its own library so that the unit tests and the fuzz target link it alone.
sbin_PROGRAMS += src/tabbyd/tabbyd
noinst_LIBRARIES += src/tabbyd/libtabbyd_request.a
src_tabbyd_libtabbyd_request_a_SOURCES = src/tabbyd/api_request.c src/tabbyd/api_request.h
src_tabbyd_libtabbyd_request_a_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)

src_tabbyd_tabbyd_SOURCES = \
	src/tabbyd/tabbyd.h \
	src/tabbyd/main.c \
	src/tabbyd/tabbyd_config.c \
	src/tabbyd/node.c \
	src/tabbyd/node_selector.c \
	src/tabbyd/api.c \
	src/tabbyd/api_cni_call.c \
	src/tabbyd/cni_handler.c \
	src/tabbyd/cni_committer.c \
	src/tabbyd/cni_gc.c \
	src/tabbyd/blocks.c \
	src/tabbyd/endpoint.c \
	src/tabbyd/reconcile.c \
	src/tabbyd/reaper.c \
	src/tabbyd/sd.c \
	src/tabbyd/bgp_config.c \
	src/tabbyd/bgp.c \
	src/tabbyd/api_bgp.c \
	src/tabbyd/routing_export.c \
	src/tabbyd/routing_export_config.c \
	src/tabbyd/routing_fib.c \
	src/tabbyd/routing_fib_withdraw.c \
	src/tabbyd/routing_fib_watch.c \
	src/tabbyd/routing_fib_int.h \
	src/tabbyd/routing_config.c \
	src/tabbyd/routing_peers.c \
	src/tabbyd/routing_peers.h \
	src/tabbyd/routing_sessions.c \
	src/tabbyd/policy_agent.c \
	src/tabbyd/policy_agent.h
src_tabbyd_tabbyd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(CJSON_CFLAGS) $(YAML_CFLAGS) \
	$(LIBNL_CFLAGS) $(SYSTEMD_CFLAGS) $(SQLITE_CFLAGS)
TABBYD_LIBS = src/tabbyd/libtabbyd_request.a src/cni/libtabby_cni.a bgp/libtabby_bgp.a ipam/libtabby_ipam.a \
	src/dataplane/libtabby_dataplane.a src/policy/libtabby_policy.a src/store/libtabby_store.a \
	src/lib/libtabby_common.a $(LIBEVENT_LIBS) $(LIBNL_LIBS) $(NFTABLES_LIBS) $(SQLITE_LIBS) \
	$(CJSON_LIBS) $(YAML_LIBS) $(SYSTEMD_LIBS)
src_tabbyd_tabbyd_LDADD = $(TABBYD_LIBS) -lpthread

check_PROGRAMS += tests/unit/test_tabbyd_request tests/unit/test_tabbyd_config \
	tests/unit/test_tabbyd_endpoint
TESTS += tests/unit/test_tabbyd_request tests/unit/test_tabbyd_config \
	tests/unit/test_tabbyd_endpoint
tests_unit_test_tabbyd_request_CFLAGS = $(UNIT_CFLAGS) $(CJSON_CFLAGS) -I$(top_srcdir)/src/tabbyd
tests_unit_test_tabbyd_request_LDADD = src/tabbyd/libtabbyd_request.a \
	src/lib/libtabby_common.a $(CJSON_LIBS) $(YAML_LIBS) $(SYSTEMD_LIBS) $(UNIT_LIBS)
tests_unit_test_tabbyd_config_SOURCES = tests/unit/test_tabbyd_config.c src/tabbyd/tabbyd_config.c \
	src/tabbyd/bgp_config.c
tests_unit_test_tabbyd_config_CFLAGS = $(UNIT_CFLAGS) $(CJSON_CFLAGS) $(YAML_CFLAGS) \
	-I$(top_srcdir)/src/tabbyd
tests_unit_test_tabbyd_config_LDADD = src/lib/libtabby_common.a $(CJSON_LIBS) $(YAML_LIBS) \
	$(SYSTEMD_LIBS) $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_tabbyd_routing
TESTS += tests/unit/test_tabbyd_routing
tests_unit_test_tabbyd_routing_SOURCES = tests/unit/test_tabbyd_routing.c \
	src/tabbyd/routing_export.c src/tabbyd/routing_export_config.c src/tabbyd/routing_fib.c \
	src/tabbyd/routing_fib_withdraw.c src/tabbyd/routing_fib_watch.c
tests_unit_test_tabbyd_routing_CFLAGS = $(UNIT_CFLAGS) $(LIBEVENT_CFLAGS) $(CJSON_CFLAGS) \
	$(LIBNL_CFLAGS) -I$(top_srcdir)/src/tabbyd
tests_unit_test_tabbyd_routing_LDADD = bgp/libtabby_bgp.a ipam/libtabby_ipam.a \
	src/dataplane/libtabby_dataplane.a src/store/libtabby_store.a src/lib/libtabby_common.a \
	$(LIBEVENT_LIBS) $(LIBNL_LIBS) $(SQLITE_LIBS) $(CJSON_LIBS) $(YAML_LIBS) $(SYSTEMD_LIBS) \
	$(UNIT_LIBS)

# The FIB's deferred withdrawals and repair, in a namespace of its own (root).
check_PROGRAMS += tests/unit/test_tabbyd_routing_fib
TESTS += tests/unit/test_tabbyd_routing_fib
tests_unit_test_tabbyd_routing_fib_SOURCES = tests/unit/test_tabbyd_routing_fib.c \
	tests/unit/netns_helpers.h \
	src/tabbyd/routing_export.c src/tabbyd/routing_export_config.c src/tabbyd/routing_fib.c \
	src/tabbyd/routing_fib_withdraw.c src/tabbyd/routing_fib_watch.c
tests_unit_test_tabbyd_routing_fib_CFLAGS = $(tests_unit_test_tabbyd_routing_CFLAGS)
tests_unit_test_tabbyd_routing_fib_LDADD = $(tests_unit_test_tabbyd_routing_LDADD)

check_PROGRAMS += tests/unit/test_tabbyd_routing_export
TESTS += tests/unit/test_tabbyd_routing_export
tests_unit_test_tabbyd_routing_export_SOURCES = tests/unit/test_tabbyd_routing_export.c \
	src/tabbyd/routing_export.c src/tabbyd/routing_export_config.c src/tabbyd/routing_fib.c \
	src/tabbyd/routing_fib_withdraw.c src/tabbyd/routing_fib_watch.c
tests_unit_test_tabbyd_routing_export_CFLAGS = $(tests_unit_test_tabbyd_routing_CFLAGS)
tests_unit_test_tabbyd_routing_export_LDADD = $(tests_unit_test_tabbyd_routing_LDADD)

# Cluster peering: BGPConfiguration / BGPPeer / Node documents -> sessions (pure).
check_PROGRAMS += tests/unit/test_tabbyd_routing_peers
TESTS += tests/unit/test_tabbyd_routing_peers
tests_unit_test_tabbyd_routing_peers_SOURCES = tests/unit/test_tabbyd_routing_peers.c \
	src/tabbyd/routing_config.c src/tabbyd/routing_peers.c
tests_unit_test_tabbyd_routing_peers_CFLAGS = $(UNIT_CFLAGS) $(CJSON_CFLAGS) \
	-I$(top_srcdir)/src/tabbyd
tests_unit_test_tabbyd_routing_peers_LDADD = src/policy/libtabby_policy.a \
	src/store/libtabby_store.a src/lib/libtabby_common.a $(NFTABLES_LIBS) $(SQLITE_LIBS) \
	$(CJSON_LIBS) $(YAML_LIBS) $(SYSTEMD_LIBS) $(UNIT_LIBS)

# The policy agent on an in-memory store, applying in a private network namespace (root).
check_PROGRAMS += tests/unit/test_tabbyd_policy
TESTS += tests/unit/test_tabbyd_policy
tests_unit_test_tabbyd_policy_SOURCES = tests/unit/test_tabbyd_policy.c src/tabbyd/policy_agent.c \
	src/tabbyd/tabbyd_config.c src/tabbyd/bgp_config.c
tests_unit_test_tabbyd_policy_CFLAGS = $(UNIT_CFLAGS) $(LIBEVENT_CFLAGS) $(CJSON_CFLAGS) \
	$(YAML_CFLAGS) $(NFTABLES_CFLAGS) -I$(top_srcdir)/src/tabbyd
tests_unit_test_tabbyd_policy_LDADD = ipam/libtabby_ipam.a $(POLICY_LIBS) \
	src/store/libtabby_store.a src/lib/libtabby_common.a $(LIBEVENT_LIBS) $(SQLITE_LIBS) \
	$(CJSON_LIBS) $(YAML_LIBS) $(SYSTEMD_LIBS) $(UNIT_LIBS)

# The committer thread: jobs, hand-over before the end, CPU placement.
check_PROGRAMS += tests/unit/test_tabbyd_committer
TESTS += tests/unit/test_tabbyd_committer
tests_unit_test_tabbyd_committer_SOURCES = tests/unit/test_tabbyd_committer.c \
	src/tabbyd/cni_committer.c
tests_unit_test_tabbyd_committer_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/src/tabbyd
tests_unit_test_tabbyd_committer_LDADD = src/lib/libtabby_common.a $(CJSON_LIBS) $(YAML_LIBS) \
	$(SYSTEMD_LIBS) $(UNIT_LIBS) -lpthread

tests_unit_test_tabbyd_endpoint_SOURCES = tests/unit/test_tabbyd_endpoint.c src/tabbyd/endpoint.c
tests_unit_test_tabbyd_endpoint_CFLAGS = $(UNIT_CFLAGS) $(CJSON_CFLAGS) -I$(top_srcdir)/src/tabbyd
tests_unit_test_tabbyd_endpoint_LDADD = src/store/libtabby_store.a src/lib/libtabby_common.a \
	$(SQLITE_LIBS) $(CJSON_LIBS) $(YAML_LIBS) $(SYSTEMD_LIBS) $(UNIT_LIBS)

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_api_request
tests_fuzz_fuzz_api_request_SOURCES = tests/fuzz/fuzz_api_request.c
tests_fuzz_fuzz_api_request_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS) -I$(top_srcdir)/src/tabbyd
tests_fuzz_fuzz_api_request_LDADD = src/tabbyd/libtabbyd_request.a src/lib/libtabby_common.a \
	$(CJSON_LIBS) $(YAML_LIBS) $(SYSTEMD_LIBS)
tests_fuzz_fuzz_api_request_LDFLAGS = -fsanitize=fuzzer $(AM_LDFLAGS)
# BGPConfiguration, Node and BGPPeer documents from the datastore.
noinst_PROGRAMS += tests/fuzz/fuzz_routing_config
tests_fuzz_fuzz_routing_config_SOURCES = tests/fuzz/fuzz_routing_config.c \
	src/tabbyd/routing_config.c src/tabbyd/routing_peers.c src/tabbyd/routing_export_config.c
tests_fuzz_fuzz_routing_config_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS) -I$(top_srcdir)/src/tabbyd
tests_fuzz_fuzz_routing_config_LDADD = src/policy/libtabby_policy.a src/store/libtabby_store.a \
	src/lib/libtabby_common.a $(NFTABLES_LIBS) $(LIBNL_LIBS) $(SQLITE_LIBS) $(CJSON_LIBS) \
	$(YAML_LIBS) $(SYSTEMD_LIBS)
tests_fuzz_fuzz_routing_config_LDFLAGS = -fsanitize=fuzzer $(AM_LDFLAGS)
endif
EXTRA_DIST += tests/fuzz/corpus/routing_config

# tabbyd's BGP speaker against FRR (needs root, FRR, jq, curl; tabbyd and tabbyctl built).
TESTS += tests/integration/test_tabbyd_bgp.sh
EXTRA_DIST += tests/integration/test_tabbyd_bgp.sh
tests/integration/test_tabbyd_bgp.log: src/tabbyd/tabbyd src/ctl/tabbyctl

# Cluster routing: three nodes, iBGP mesh, FIB sync, pods across nodes (root, jq, curl).
TESTS += tests/integration/test_routing_mesh.sh
EXTRA_DIST += tests/integration/test_routing_mesh.sh tests/integration/routing_common.sh
tests/integration/test_routing_mesh.log: src/tabbyd/tabbyd src/ctl/tabbyctl src/cni/tabby

# The FIB with 5000 learned routes: objects, ECMP, bulk withdrawal, repair (root, jq, curl).
TESTS += tests/integration/test_routing_fib.sh
EXTRA_DIST += tests/integration/test_routing_fib.sh
tests/integration/test_routing_fib.log: src/tabbyd/tabbyd tests/bench/bgp_inject

# In-cluster route reflector from BGPConfiguration / BGPPeer / Node resources (root, jq, curl).
TESTS += tests/integration/test_routing_rr.sh
EXTRA_DIST += tests/integration/test_routing_rr.sh
tests/integration/test_routing_rr.log: src/tabbyd/tabbyd src/ctl/tabbyctl src/cni/tabby

# Mesh off, every node peers with an FRR top-of-rack; service CIDRs; node removal (root, FRR).
TESTS += tests/integration/test_routing_tor.sh
EXTRA_DIST += tests/integration/test_routing_tor.sh
tests/integration/test_routing_tor.log: src/tabbyd/tabbyd src/ctl/tabbyctl src/cni/tabby

# Network policy with real traffic: the seed example across two nodes (root, nft, nc, python3,
# jq, curl).
TESTS += tests/integration/test_policy_seed.sh
EXTRA_DIST += tests/integration/test_policy_seed.sh
tests/integration/test_policy_seed.log: src/tabbyd/tabbyd src/ctl/tabbyctl src/cni/tabby
# Default deny, namespaceSelector, ipBlock, endPort, Calico order/Deny/Pass, natOutgoing, a
# malformed policy in the store (also sqlite3).
TESTS += tests/integration/test_policy_more.sh
EXTRA_DIST += tests/integration/test_policy_more.sh
tests/integration/test_policy_more.log: src/tabbyd/tabbyd src/ctl/tabbyctl src/cni/tabby

dist_man_MANS += doc/tabbyd.8 doc/tabby-cni.8 doc/tabbyd.yaml.5
EXTRA_DIST += contrib/systemd/tabbyd.service
