# src/cni: the `tabby` CNI plugin (thin client of tabbyd's Unix-socket API).

bin_PROGRAMS += src/cni/tabby
# The CNI semantics (cJSON), linked into tabbyd: POST /v1/cni/call runs them.
noinst_LIBRARIES += src/cni/libtabby_cni.a
src_cni_libtabby_cni_a_SOURCES = src/cni/cni.h src/cni/config.c src/cni/args.c \
	src/cni/errors.c src/cni/result.c src/cni/call.c
src_cni_libtabby_cni_a_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
# The plugin binary: a static relay (src/cni/plugin.h) without cJSON. It is
# exec'ed once per CNI call: every shared object it maps costs start-up time,
# so it is linked with -static where configure found that possible
# (CNI_PLUGIN_LDFLAGS), and libyaml and http_parser from their .a files.
noinst_LIBRARIES += src/cni/libtabby_cni_plugin.a
src_cni_libtabby_cni_plugin_a_SOURCES = src/cni/plugin.h src/cni/cni.h src/cni/peek.c \
	src/cni/client.c src/cni/output.c src/cni/errors.c
src_cni_libtabby_cni_plugin_a_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS) $(YAML_CFLAGS)
src_cni_tabby_SOURCES = src/cni/main.c
src_cni_tabby_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
src_cni_tabby_LDFLAGS = $(AM_LDFLAGS) $(CNI_PLUGIN_LDFLAGS) -Wl,-O1 -Wl,--as-needed
src_cni_tabby_LDADD = src/cni/libtabby_cni_plugin.a -l:libyaml.a -l:libhttp_parser.a

check_PROGRAMS += tests/unit/test_cni_config
TESTS += tests/unit/test_cni_config
tests_unit_test_cni_config_CFLAGS = $(UNIT_CFLAGS) $(CJSON_CFLAGS) -I$(top_srcdir)/src/cni
tests_unit_test_cni_config_LDADD = src/cni/libtabby_cni.a $(CJSON_LIBS) $(HTTP_PARSER_LIBS) $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_cni_call tests/unit/test_cni_plugin
TESTS += tests/unit/test_cni_call tests/unit/test_cni_plugin
tests_unit_test_cni_call_CFLAGS = $(UNIT_CFLAGS) $(CJSON_CFLAGS) -I$(top_srcdir)/src/cni
tests_unit_test_cni_call_LDADD = src/cni/libtabby_cni.a $(CJSON_LIBS) $(UNIT_LIBS)
tests_unit_test_cni_plugin_CFLAGS = $(UNIT_CFLAGS) $(CJSON_CFLAGS) -I$(top_srcdir)/src/cni
tests_unit_test_cni_plugin_LDADD = src/cni/libtabby_cni_plugin.a src/cni/libtabby_cni.a \
	$(CJSON_LIBS) $(YAML_LIBS) $(HTTP_PARSER_LIBS) $(UNIT_LIBS)

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_cni_config
tests_fuzz_fuzz_cni_config_SOURCES = tests/fuzz/fuzz_cni_config.c
tests_fuzz_fuzz_cni_config_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS) -I$(top_srcdir)/src/cni
tests_fuzz_fuzz_cni_config_LDADD = src/cni/libtabby_cni.a $(CJSON_LIBS) $(HTTP_PARSER_LIBS)
tests_fuzz_fuzz_cni_config_LDFLAGS = -fsanitize=fuzzer $(AM_LDFLAGS)
noinst_PROGRAMS += tests/fuzz/fuzz_cni_peek
tests_fuzz_fuzz_cni_peek_SOURCES = tests/fuzz/fuzz_cni_peek.c
tests_fuzz_fuzz_cni_peek_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS) $(YAML_CFLAGS) -I$(top_srcdir)/src/cni
tests_fuzz_fuzz_cni_peek_LDADD = src/cni/libtabby_cni_plugin.a $(CJSON_LIBS) $(YAML_LIBS) \
	$(HTTP_PARSER_LIBS)
tests_fuzz_fuzz_cni_peek_LDFLAGS = -fsanitize=fuzzer $(AM_LDFLAGS)
endif

# Integration tests (namespaces only; need root, jq, curl, sqlite3) and the benchmark.
TESTS += tests/integration/test_cni.sh tests/integration/test_cni_errors.sh \
	tests/integration/test_cni_agent.sh tests/integration/test_cni_pools.sh \
	tests/integration/test_cni_parallel.sh tests/integration/test_cni_commit.sh
EXTRA_DIST += tests/integration/test_cni.sh tests/integration/test_cni_errors.sh \
	tests/integration/test_cni_agent.sh tests/integration/test_cni_pools.sh \
	tests/integration/test_cni_parallel.sh tests/integration/test_cni_commit.sh \
	tests/integration/test_cni_common.sh \
	tests/bench/bench_cni.sh contrib/tabby.conflist
CNI_BENCH = tests/bench/bench_cni.sh
