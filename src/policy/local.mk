# src/policy: network policy (selectors, model, nftables rendering).
# Users link: $(POLICY_LIBS) (libtabby_policy.a, libnftables, libnl-3, common)
noinst_LIBRARIES += src/policy/libtabby_policy.a
src_policy_libtabby_policy_a_SOURCES = \
	src/policy/selector.c \
	src/policy/selector_eval.c \
	src/policy/selector_k8s.c \
	src/policy/selector_private.h \
	src/policy/model.c \
	src/policy/model_k8s.c \
	src/policy/model_calico.c \
	src/policy/model_private.h \
	src/policy/render_state.c \
	src/policy/render.c \
	src/policy/render_rules.c \
	src/policy/render_delta.c \
	src/policy/render_delta.h \
	src/policy/render_private.h \
	src/policy/nft.c \
	src/policy/nft_batch.c \
	include/tabby/policy.h
src_policy_libtabby_policy_a_CFLAGS = $(AM_CFLAGS) $(NFTABLES_CFLAGS) $(LIBNL_CFLAGS) $(CJSON_CFLAGS)

POLICY_LIBS = src/policy/libtabby_policy.a $(NFTABLES_LIBS) $(LIBNL_LIBS) $(TABBY_COMMON_LIBS)
POLICY_UNIT_CFLAGS = $(UNIT_CFLAGS) $(NFTABLES_CFLAGS) $(CJSON_CFLAGS)

POLICY_UNIT_TESTS = \
	tests/unit/test_policy_selector \
	tests/unit/test_policy_model \
	tests/unit/test_policy_render \
	tests/unit/test_policy_nft \
	tests/unit/test_policy_nft_fast
check_PROGRAMS += $(POLICY_UNIT_TESTS)
TESTS += $(POLICY_UNIT_TESTS)

tests_unit_test_policy_selector_SOURCES = tests/unit/test_policy_selector.c
tests_unit_test_policy_selector_CFLAGS = $(POLICY_UNIT_CFLAGS)
tests_unit_test_policy_selector_LDADD = $(POLICY_LIBS) $(UNIT_LIBS)

tests_unit_test_policy_model_SOURCES = tests/unit/test_policy_model.c
tests_unit_test_policy_model_CFLAGS = $(POLICY_UNIT_CFLAGS)
tests_unit_test_policy_model_LDADD = $(POLICY_LIBS) $(UNIT_LIBS)

tests_unit_test_policy_render_SOURCES = tests/unit/test_policy_render.c
tests_unit_test_policy_render_CFLAGS = $(POLICY_UNIT_CFLAGS)
tests_unit_test_policy_render_LDADD = $(POLICY_LIBS) $(UNIT_LIBS)

tests_unit_test_policy_nft_SOURCES = tests/unit/test_policy_nft.c
tests_unit_test_policy_nft_CFLAGS = $(POLICY_UNIT_CFLAGS)
tests_unit_test_policy_nft_LDADD = $(POLICY_LIBS) $(UNIT_LIBS)

tests_unit_test_policy_nft_fast_SOURCES = tests/unit/test_policy_nft_fast.c
tests_unit_test_policy_nft_fast_CFLAGS = $(POLICY_UNIT_CFLAGS)
tests_unit_test_policy_nft_fast_LDADD = $(POLICY_LIBS) $(UNIT_LIBS)

# Benchmark (not a test; needs root for a private network namespace).
noinst_PROGRAMS += tests/bench/bench_policy
# Makefile.am adds $(POLICY_BENCH) to BENCH (`make bench`).
POLICY_BENCH = tests/bench/bench_policy tests/bench/bench_policy_iperf.sh
tests_bench_bench_policy_SOURCES = tests/bench/bench_policy.c
tests_bench_bench_policy_CFLAGS = $(AM_CFLAGS) $(NFTABLES_CFLAGS) $(CJSON_CFLAGS)
tests_bench_bench_policy_LDADD = $(POLICY_LIBS)

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_policy_selector tests/fuzz/fuzz_policy_model
tests_fuzz_fuzz_policy_selector_SOURCES = tests/fuzz/fuzz_policy_selector.c
tests_fuzz_fuzz_policy_selector_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
tests_fuzz_fuzz_policy_selector_LDFLAGS = -fsanitize=fuzzer $(AM_LDFLAGS)
tests_fuzz_fuzz_policy_selector_LDADD = $(POLICY_LIBS)
tests_fuzz_fuzz_policy_model_SOURCES = tests/fuzz/fuzz_policy_model.c
tests_fuzz_fuzz_policy_model_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
tests_fuzz_fuzz_policy_model_LDFLAGS = -fsanitize=fuzzer $(AM_LDFLAGS)
tests_fuzz_fuzz_policy_model_LDADD = $(POLICY_LIBS)
endif
EXTRA_DIST += tests/bench/bench_policy_iperf.sh tests/fuzz/corpus/policy_selector tests/fuzz/corpus/policy_model doc/policy.md
