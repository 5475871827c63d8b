# src/lib: the common library (addresses and prefixes, bounds-checked buffers,
# logging, YAML and JSON helpers). Users link it last:
#   foo_LDADD = ... src/lib/libtabby_common.a $(YAML_LIBS) $(CJSON_LIBS) $(SYSTEMD_LIBS)
noinst_LIBRARIES += src/lib/libtabby_common.a
src_lib_libtabby_common_a_SOURCES = \
	src/lib/buf.c \
	src/lib/prefix.c \
	src/lib/log.c \
	src/lib/yaml_load.c \
	src/lib/yaml_scalar.c \
	src/lib/yaml.c \
	src/lib/yaml_json.c \
	src/lib/yaml_private.h \
	src/lib/json.c \
	include/tabby/json.h \
	include/tabby/yaml.h \
	include/tabby/buf.h \
	include/tabby/prefix.h \
	include/tabby/log.h
src_lib_libtabby_common_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(CJSON_CFLAGS) $(SYSTEMD_CFLAGS)

# Libraries a program linking libtabby_common.a needs after it.
TABBY_COMMON_LIBS = src/lib/libtabby_common.a $(YAML_LIBS) $(CJSON_LIBS) $(SYSTEMD_LIBS)

# Unit tests.
LIB_UNIT_TESTS = \
	tests/unit/test_lib_prefix \
	tests/unit/test_lib_buf \
	tests/unit/test_lib_log \
	tests/unit/test_lib_yaml \
	tests/unit/test_lib_json
check_PROGRAMS += $(LIB_UNIT_TESTS)
TESTS += $(LIB_UNIT_TESTS)

tests_unit_test_lib_prefix_SOURCES = tests/unit/test_lib_prefix.c
tests_unit_test_lib_prefix_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_lib_prefix_LDADD = $(TABBY_COMMON_LIBS) $(UNIT_LIBS)

tests_unit_test_lib_buf_SOURCES = tests/unit/test_lib_buf.c
tests_unit_test_lib_buf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_lib_buf_LDADD = $(TABBY_COMMON_LIBS) $(UNIT_LIBS)

tests_unit_test_lib_log_SOURCES = tests/unit/test_lib_log.c
tests_unit_test_lib_log_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_lib_log_LDADD = $(TABBY_COMMON_LIBS) $(UNIT_LIBS)

tests_unit_test_lib_yaml_SOURCES = tests/unit/test_lib_yaml.c
tests_unit_test_lib_yaml_CFLAGS = $(UNIT_CFLAGS) $(YAML_CFLAGS) $(CJSON_CFLAGS)
tests_unit_test_lib_yaml_LDADD = $(TABBY_COMMON_LIBS) $(UNIT_LIBS)

tests_unit_test_lib_json_SOURCES = tests/unit/test_lib_json.c
tests_unit_test_lib_json_CFLAGS = $(UNIT_CFLAGS) $(CJSON_CFLAGS)
tests_unit_test_lib_json_LDADD = $(TABBY_COMMON_LIBS) $(UNIT_LIBS)

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_yaml
tests_fuzz_fuzz_yaml_SOURCES = tests/fuzz/fuzz_yaml.c
tests_fuzz_fuzz_yaml_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(CJSON_CFLAGS)
tests_fuzz_fuzz_yaml_LDFLAGS = -fsanitize=fuzzer $(AM_LDFLAGS)
tests_fuzz_fuzz_yaml_LDADD = $(TABBY_COMMON_LIBS)
endif
EXTRA_DIST += tests/fuzz/corpus/yaml
