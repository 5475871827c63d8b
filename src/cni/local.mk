# src/cni: the `tabby` CNI plugin (thin client of tabbyd's Unix-socket API).

bin_PROGRAMS += src/cni/tabby
noinst_LIBRARIES += src/cni/libtabby_cni.a
src_cni_libtabby_cni_a_SOURCES = src/cni/cni.h src/cni/config.c src/cni/args.c \
	src/cni/errors.c src/cni/result.c src/cni/client.c
src_cni_libtabby_cni_a_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
src_cni_tabby_SOURCES = src/cni/main.c
src_cni_tabby_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
# The plugin is exec'ed once per CNI call: every shared object it maps costs
# start-up time, so http_parser is linked statically (Debian's
# libhttp-parser-dev ships libhttp_parser.a) and unneeded DT_NEEDEDs dropped.
src_cni_tabby_LDFLAGS = $(AM_LDFLAGS) -Wl,-O1 -Wl,--as-needed
src_cni_tabby_LDADD = src/cni/libtabby_cni.a $(CJSON_LIBS) -l:libhttp_parser.a

check_PROGRAMS += tests/unit/test_cni_config
TESTS += tests/unit/test_cni_config
tests_unit_test_cni_config_CFLAGS = $(UNIT_CFLAGS) $(CJSON_CFLAGS) -I$(top_srcdir)/src/cni
tests_unit_test_cni_config_LDADD = src/cni/libtabby_cni.a $(CJSON_LIBS) $(HTTP_PARSER_LIBS) $(UNIT_LIBS)

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_cni_config
tests_fuzz_fuzz_cni_config_SOURCES = tests/fuzz/fuzz_cni_config.c
tests_fuzz_fuzz_cni_config_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS) -I$(top_srcdir)/src/cni
tests_fuzz_fuzz_cni_config_LDADD = src/cni/libtabby_cni.a $(CJSON_LIBS) $(HTTP_PARSER_LIBS)
tests_fuzz_fuzz_cni_config_LDFLAGS = -fsanitize=fuzzer $(AM_LDFLAGS)
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
