# ipam: IP pools, blocks, affinities, handles; assignment, release, check.
noinst_LIBRARIES += ipam/libtabby_ipam.a
ipam_libtabby_ipam_a_CPPFLAGS = $(AM_CPPFLAGS) $(CJSON_CFLAGS)
ipam_libtabby_ipam_a_SOURCES = \
	ipam/ipam_impl.h \
	ipam/ipam.c \
	ipam/pool.c \
	ipam/config.c \
	ipam/block.c \
	ipam/affinity.c \
	ipam/handle.c \
	ipam/assign.c \
	ipam/batch.c \
	ipam/release.c \
	ipam/show.c \
	ipam/check.c

IPAM_LIBS = ipam/libtabby_ipam.a src/store/libtabby_store.a src/lib/libtabby_common.a \
	$(SQLITE_LIBS) $(CJSON_LIBS) $(YAML_LIBS) $(SYSTEMD_LIBS)
IPAM_TEST_CPPFLAGS = $(AM_CPPFLAGS) $(CJSON_CFLAGS) -I$(top_srcdir)/ipam

IPAM_TESTS = tests/unit/test_ipam_block tests/unit/test_ipam_assign \
	tests/unit/test_ipam_release tests/unit/test_ipam_check tests/unit/test_ipam_pool tests/unit/test_ipam_batch \
	tests/unit/test_ipam_concurrent
check_PROGRAMS += $(IPAM_TESTS)
TESTS += $(IPAM_TESTS)

tests_unit_test_ipam_block_SOURCES = tests/unit/test_ipam_block.c
tests_unit_test_ipam_block_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ipam_block_CPPFLAGS = $(IPAM_TEST_CPPFLAGS)
tests_unit_test_ipam_block_LDADD = $(IPAM_LIBS) $(UNIT_LIBS)

tests_unit_test_ipam_assign_SOURCES = tests/unit/test_ipam_assign.c tests/unit/ipam_fixture.h
tests_unit_test_ipam_assign_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ipam_assign_CPPFLAGS = $(IPAM_TEST_CPPFLAGS)
tests_unit_test_ipam_assign_LDADD = $(IPAM_LIBS) $(UNIT_LIBS)

tests_unit_test_ipam_release_SOURCES = tests/unit/test_ipam_release.c tests/unit/ipam_fixture.h
tests_unit_test_ipam_release_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ipam_release_CPPFLAGS = $(IPAM_TEST_CPPFLAGS)
tests_unit_test_ipam_release_LDADD = $(IPAM_LIBS) $(UNIT_LIBS)

tests_unit_test_ipam_check_SOURCES = tests/unit/test_ipam_check.c
tests_unit_test_ipam_check_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ipam_check_CPPFLAGS = $(IPAM_TEST_CPPFLAGS)
tests_unit_test_ipam_check_LDADD = $(IPAM_LIBS) $(UNIT_LIBS)

tests_unit_test_ipam_pool_SOURCES = tests/unit/test_ipam_pool.c
tests_unit_test_ipam_pool_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ipam_pool_CPPFLAGS = $(IPAM_TEST_CPPFLAGS)
tests_unit_test_ipam_pool_LDADD = $(IPAM_LIBS) $(UNIT_LIBS)

tests_unit_test_ipam_concurrent_SOURCES = tests/unit/test_ipam_concurrent.c
tests_unit_test_ipam_concurrent_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ipam_concurrent_CPPFLAGS = $(IPAM_TEST_CPPFLAGS)
tests_unit_test_ipam_concurrent_LDADD = $(IPAM_LIBS) $(UNIT_LIBS)

tests_unit_test_ipam_batch_SOURCES = tests/unit/test_ipam_batch.c
tests_unit_test_ipam_batch_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ipam_batch_CPPFLAGS = $(IPAM_TEST_CPPFLAGS)
tests_unit_test_ipam_batch_LDADD = $(IPAM_LIBS) $(UNIT_LIBS)

# Benchmark (not a test); Makefile.am adds $(IPAM_BENCH) to BENCH (`make bench`).
noinst_PROGRAMS += tests/bench/bench_ipam
IPAM_BENCH = tests/bench/bench_ipam
tests_bench_bench_ipam_SOURCES = tests/bench/bench_ipam.c
tests_bench_bench_ipam_LDADD = $(IPAM_LIBS)
