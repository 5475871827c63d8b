# tests/bench/bgp.mk: BGP RIB-ingest benchmark (not a test; `make bench` runs it).
# bgp_inject replays pre-encoded UPDATEs into one receiver at a time;
# bench_bgp_ingest.sh builds the namespaces, starts each receiver and prints the table.
noinst_PROGRAMS += tests/bench/bgp_inject
tests_bench_bgp_inject_SOURCES = tests/bench/bgp_inject.c
tests_bench_bgp_inject_LDADD = $(TABBY_COMMON_LIBS)
EXTRA_DIST += tests/bench/bench_bgp_ingest.sh tests/bench/README-bgp.md \
	tests/bench/bgp-peers/bird.conf.in tests/bench/bgp-peers/frr-bgpd.conf.in \
	tests/bench/bgp-peers/frr-zebra.conf.in tests/bench/bgp-peers/gobgpd.toml.in \
	tests/bench/bgp-peers/openbgpd.conf.in tests/bench/bgp-peers/tabby-bgpd.json.in \
	tests/bench/bgp-peers/tabbyd.yaml.in
# Makefile.am adds $(BGP_BENCH) to BENCH (`make bench`).
BGP_BENCH = tests/bench/bench_bgp_ingest.sh
