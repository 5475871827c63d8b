# src/store: the datastore (include/tabby/store.h) and its back ends.
# Programs using the store link $(TABBY_STORE_LIBS) after their own libraries.
noinst_LIBRARIES += src/store/libtabby_store.a
src_store_libtabby_store_a_SOURCES = \
	src/store/store.c \
	src/store/store_impl.h \
	src/store/watch.c \
	src/store/memory.c \
	src/store/sqlite.c \
	src/store/sqlite_checkpoint.c
src_store_libtabby_store_a_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(CJSON_CFLAGS)
TABBY_STORE_LIBS = src/store/libtabby_store.a $(TABBY_COMMON_LIBS) $(SQLITE_LIBS)

# One suite run against every back end, and the tests only SQLite can pass.
check_PROGRAMS += tests/unit/test_store tests/unit/test_store_sqlite
TESTS += tests/unit/test_store tests/unit/test_store_sqlite
tests_unit_test_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_LDADD = $(TABBY_STORE_LIBS) $(UNIT_LIBS)
tests_unit_test_store_sqlite_CFLAGS = $(UNIT_CFLAGS) $(SQLITE_CFLAGS) -I$(top_srcdir)/src/store
tests_unit_test_store_sqlite_LDADD = $(TABBY_STORE_LIBS) $(UNIT_LIBS)

# Two-op transactions per second per back end and sync setting; Makefile.am adds
# $(STORE_BENCH) to BENCH (`make bench`).
noinst_PROGRAMS += src/store/store_bench
src_store_store_bench_LDADD = $(TABBY_STORE_LIBS)
STORE_BENCH = src/store/store_bench
