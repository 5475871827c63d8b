# bgp/: sessions, FSM and the speaker API (see bgp/local.mk for the wire/RIB half)
bgp_libtabby_bgp_a_SOURCES += \
	bgp/fsm.c bgp/fsm.h \
	bgp/session.c \
	bgp/peer.c bgp/peer.h \
	bgp/speaker.c bgp/speaker_json.c \
	include/tabby/bgp.h

# Libraries a program using the speaker links after its own objects.
BGP_LIBS = bgp/libtabby_bgp.a $(TABBY_COMMON_LIBS) $(LIBEVENT_LIBS) $(CJSON_LIBS)

# Standalone speaker for tests and benchmarks until tabbyd embeds the library.
sbin_PROGRAMS += bgp/tools/tabby-bgpd
bgp_tools_tabby_bgpd_SOURCES = bgp/tools/tabby-bgpd.c
bgp_tools_tabby_bgpd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(CJSON_CFLAGS)
bgp_tools_tabby_bgpd_LDADD = $(BGP_LIBS)

# FSM unit test: drives bgp/fsm.c without sockets.
check_PROGRAMS += tests/unit/test_bgp_fsm
TESTS += tests/unit/test_bgp_fsm
tests_unit_test_bgp_fsm_SOURCES = tests/unit/test_bgp_fsm.c bgp/fsm.c bgp/fsm.h
tests_unit_test_bgp_fsm_CFLAGS = $(UNIT_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_test_bgp_fsm_LDADD = $(LIBEVENT_LIBS) $(UNIT_LIBS)

# A whole session over a socket pair (RFC 8654, the burst receive path).
check_PROGRAMS += tests/unit/test_bgp_session
TESTS += tests/unit/test_bgp_session
tests_unit_test_bgp_session_SOURCES = tests/unit/test_bgp_session.c
tests_unit_test_bgp_session_CFLAGS = $(UNIT_CFLAGS) $(LIBEVENT_CFLAGS) $(CJSON_CFLAGS)
tests_unit_test_bgp_session_LDADD = $(BGP_LIBS) $(UNIT_LIBS)

# Interoperability with real BGP daemons, each in its own network namespace.
BGP_INTEROP_TESTS = \
	tests/integration/test_bgp_interop_frr.sh \
	tests/integration/test_bgp_interop_bird.sh \
	tests/integration/test_bgp_interop_gobgp.sh \
	tests/integration/test_bgp_interop_openbgpd.sh \
	tests/integration/test_bgp_tshark.sh \
	tests/integration/test_bgp_graceful_restart.sh \
	tests/integration/test_bgp_session_fsm.sh
TESTS += $(BGP_INTEROP_TESTS)
# The interop tests need tabby-bgpd built first.
$(BGP_INTEROP_TESTS:.sh=.log): bgp/tools/tabby-bgpd
EXTRA_DIST += $(BGP_INTEROP_TESTS) bgp/tools/interop-lib.sh bgp/tools/bgp-scripted-peer.py doc/bgp.md
