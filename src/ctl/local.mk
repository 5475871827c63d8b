# src/ctl: tabbyctl, the calicoctl-like CLI.
bin_PROGRAMS += src/ctl/tabbyctl
src_ctl_tabbyctl_SOURCES = src/ctl/ctl.h src/ctl/main.c src/ctl/manifest.c src/ctl/kinds.c \
	src/ctl/resource_cmd.c src/ctl/output.c src/ctl/ipam_cmd.c src/ctl/agent_cmd.c src/ctl/kinds_policy.c \
	src/ctl/policy_cmd.c src/ctl/node_cleanup.h src/ctl/node_cleanup.c
src_ctl_tabbyctl_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS) $(YAML_CFLAGS) $(CURL_CFLAGS) \
	$(NFTABLES_CFLAGS)
src_ctl_tabbyctl_LDADD = src/policy/libtabby_policy.a $(NFTABLES_LIBS) \
	ipam/libtabby_ipam.a src/store/libtabby_store.a \
	src/lib/libtabby_common.a $(CURL_LIBS) $(SQLITE_LIBS) $(CJSON_LIBS) $(YAML_LIBS) \
	$(SYSTEMD_LIBS) -lm

# Tests: the CLI against a SQLite store with fixture data and golden outputs.
check_PROGRAMS += tests/ctl/ctl_fixture
tests_ctl_ctl_fixture_SOURCES = tests/ctl/ctl_fixture.c
tests_ctl_ctl_fixture_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
tests_ctl_ctl_fixture_LDADD = ipam/libtabby_ipam.a src/store/libtabby_store.a \
	src/lib/libtabby_common.a $(SQLITE_LIBS) $(CJSON_LIBS) $(YAML_LIBS) $(SYSTEMD_LIBS) -lm
TESTS += tests/ctl/test_ctl.sh
EXTRA_DIST += tests/ctl/fixtures tests/ctl/golden
