# tests/bench: build fragment (empty until the module exists)

# Kernel FIB programming benchmark (not a test): bench_fib.sh runs tabbyd, BIRD, FRR,
# `ip -batch` and fib_loader (raw batched netlink) side by side in namespaces.
noinst_PROGRAMS += tests/bench/fib_loader
tests_bench_fib_loader_SOURCES = tests/bench/fib_loader.c
EXTRA_DIST += tests/bench/bench_fib.sh
# Makefile.am adds $(FIB_BENCH) to BENCH (`make bench`).
FIB_BENCH = tests/bench/bench_fib.sh

# Routing convergence through an FRR top-of-rack (root, FRR, jq, curl, bc; tshark for
# BENCH_PCAP): CNI ADD on node A claiming a block -> route in node B's kernel.
EXTRA_DIST += tests/bench/bench_convergence.sh
# Makefile.am adds $(CONVERGENCE_BENCH) to BENCH (`make bench`).
CONVERGENCE_BENCH = tests/bench/bench_convergence.sh
