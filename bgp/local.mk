# bgp/: wire codec, path attributes, RIBs, decision process and update packing.
# The session half (FSM, sessions, speaker API) appends to the same library in
# bgp/session.mk, included after this file.
noinst_LIBRARIES += bgp/libtabby_bgp.a
bgp_libtabby_bgp_a_SOURCES = \
	bgp/msg.c bgp/msg.h \
	bgp/attr.c bgp/attr_intern.c bgp/attr_encode.c bgp/attr.h \
	bgp/rib.c bgp/rib_slab.c bgp/slab.h bgp/rib_peer.c bgp/rib_update.c bgp/rib_int.h bgp/rib.h \
	bgp/decision.c \
	bgp/update.c bgp/update_export.c bgp/update_pack.c bgp/update_int.h bgp/update.h

BGP_CORE_LIBS = bgp/libtabby_bgp.a $(TABBY_COMMON_LIBS)

BGP_CORE_UNIT_TESTS = \
	tests/unit/test_bgp_msg \
	tests/unit/test_bgp_attr \
	tests/unit/test_bgp_rib \
	tests/unit/test_bgp_decision \
	tests/unit/test_bgp_update \
	tests/unit/test_bgp_ingest
check_PROGRAMS += $(BGP_CORE_UNIT_TESTS)
TESTS += $(BGP_CORE_UNIT_TESTS)

tests_unit_test_bgp_msg_SOURCES = tests/unit/test_bgp_msg.c
tests_unit_test_bgp_msg_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_bgp_msg_LDADD = $(BGP_CORE_LIBS) $(UNIT_LIBS)
tests_unit_test_bgp_attr_SOURCES = tests/unit/test_bgp_attr.c
tests_unit_test_bgp_attr_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_bgp_attr_LDADD = $(BGP_CORE_LIBS) $(UNIT_LIBS)
tests_unit_test_bgp_rib_SOURCES = tests/unit/test_bgp_rib.c tests/unit/bgp_core_helpers.h
tests_unit_test_bgp_rib_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_bgp_rib_LDADD = $(BGP_CORE_LIBS) $(UNIT_LIBS)
tests_unit_test_bgp_decision_SOURCES = tests/unit/test_bgp_decision.c tests/unit/bgp_core_helpers.h
tests_unit_test_bgp_decision_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_bgp_decision_LDADD = $(BGP_CORE_LIBS) $(UNIT_LIBS)
tests_unit_test_bgp_update_SOURCES = tests/unit/test_bgp_update.c tests/unit/bgp_core_helpers.h
tests_unit_test_bgp_update_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_bgp_update_LDADD = $(BGP_CORE_LIBS) $(UNIT_LIBS)
tests_unit_test_bgp_ingest_SOURCES = tests/unit/test_bgp_ingest.c tests/unit/bgp_core_helpers.h
tests_unit_test_bgp_ingest_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_bgp_ingest_LDADD = $(BGP_CORE_LIBS) $(UNIT_LIBS)

# Micro-benchmark: decode + ingest from pre-encoded UPDATEs in memory.
# Makefile.am adds $(BGP_CORE_BENCH) to BENCH (`make bench`).
noinst_PROGRAMS += tests/bench/bench_bgp_rib
tests_bench_bench_bgp_rib_SOURCES = tests/bench/bench_bgp_rib.c
tests_bench_bench_bgp_rib_LDADD = $(BGP_CORE_LIBS)
BGP_CORE_BENCH = tests/bench/bench_bgp_rib

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_bgp_msg tests/fuzz/fuzz_bgp_update_rib
tests_fuzz_fuzz_bgp_msg_SOURCES = tests/fuzz/fuzz_bgp_msg.c
tests_fuzz_fuzz_bgp_msg_LDADD = $(BGP_CORE_LIBS)
tests_fuzz_fuzz_bgp_msg_LDFLAGS = -fsanitize=fuzzer $(AM_LDFLAGS)
tests_fuzz_fuzz_bgp_update_rib_SOURCES = tests/fuzz/fuzz_bgp_update_rib.c
tests_fuzz_fuzz_bgp_update_rib_LDADD = $(BGP_CORE_LIBS)
tests_fuzz_fuzz_bgp_update_rib_LDFLAGS = -fsanitize=fuzzer $(AM_LDFLAGS)
endif
EXTRA_DIST += tests/fuzz/corpus/bgp_msg tests/fuzz/corpus/bgp_update_rib
