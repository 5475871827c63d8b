# src/dataplane: Linux dataplane over rtnetlink (libnl-3). Users link $(LIBNL_LIBS).
noinst_LIBRARIES += src/dataplane/libtabby_dataplane.a
src_dataplane_libtabby_dataplane_a_CFLAGS = $(AM_CFLAGS) $(LIBNL_CFLAGS)
src_dataplane_libtabby_dataplane_a_SOURCES = \
	src/dataplane/nl.c \
	src/dataplane/nl_int.h \
	src/dataplane/link.c \
	src/dataplane/route.c \
	src/dataplane/endpoint.c \
	src/dataplane/endpoint_int.h \
	src/dataplane/check.c \
	src/dataplane/fib.c \
	src/dataplane/fib_int.h \
	src/dataplane/fib_sock.c \
	src/dataplane/fib_sock.h \
	src/dataplane/nexthop.c \
	include/tabby/dataplane.h

check_PROGRAMS += tests/unit/test_dataplane
TESTS += tests/unit/test_dataplane
tests_unit_test_dataplane_SOURCES = tests/unit/test_dataplane.c tests/unit/netns_helpers.h
tests_unit_test_dataplane_CFLAGS = $(UNIT_CFLAGS) $(LIBNL_CFLAGS)
tests_unit_test_dataplane_LDADD = src/dataplane/libtabby_dataplane.a $(LIBNL_LIBS) $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_dataplane_nexthop
TESTS += tests/unit/test_dataplane_nexthop
tests_unit_test_dataplane_nexthop_SOURCES = tests/unit/test_dataplane_nexthop.c \
	tests/unit/netns_helpers.h
tests_unit_test_dataplane_nexthop_CFLAGS = $(UNIT_CFLAGS) $(LIBNL_CFLAGS)
tests_unit_test_dataplane_nexthop_LDADD = src/dataplane/libtabby_dataplane.a \
	src/lib/libtabby_common.a $(LIBNL_LIBS) $(UNIT_LIBS)

noinst_PROGRAMS += tests/bench/bench_dataplane
# Benchmark (not a test). Makefile.am sets BENCH after the includes, so the lead adds
# $(DATAPLANE_BENCH) to it (as for $(STORE_BENCH), $(IPAM_BENCH)). Needs root.
DATAPLANE_BENCH = tests/bench/bench_dataplane
tests_bench_bench_dataplane_SOURCES = tests/bench/bench_dataplane.c
tests_bench_bench_dataplane_CFLAGS = $(AM_CFLAGS) $(LIBNL_CFLAGS)
tests_bench_bench_dataplane_LDADD = src/dataplane/libtabby_dataplane.a $(LIBNL_LIBS)
