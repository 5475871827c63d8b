#!/usr/bin/env bash
# Run every libFuzzer target built in BUILDDIR for SECONDS each, on a scratch
# copy of its seed corpus (tests/fuzz/corpus/<name>/, kept in the tree; new
# inputs go to the scratch directory). Results go to BUILDDIR/fuzz-results.txt.
# The seed is fixed (FUZZ_SEED, default 1) so that a CI run is repeatable; set
# FUZZ_SEED=0 for a random one when fuzzing for longer by hand. A crash leaves
# its input as BUILDDIR/fuzz-<name>-crash-*: add it to the corpus with the fix.
set -uo pipefail
builddir=${1:?usage: run.sh BUILDDIR [SECONDS]}
secs=${2:-20}
src=$(cd "$(dirname "$0")" && pwd)
results="$builddir/fuzz-results.txt"
: >"$results"
rc=0
found=0
for bin in "$builddir"/tests/fuzz/fuzz_*; do
	[ -x "$bin" ] && [ -f "$bin" ] || continue
	found=1
	name=$(basename "$bin")
	name=${name#fuzz_}
	scratch=$(mktemp -d)
	seeds="$src/corpus/$name"
	[ -d "$seeds" ] || mkdir -p "$seeds"
	if "$bin" -max_total_time="$secs" -seed="${FUZZ_SEED:-1}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$builddir/fuzz-$name-" "$scratch" "$seeds" >"$builddir/fuzz-$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$builddir/fuzz-$name.log")
		echo "PASS fuzz_$name ($secs s, ${runs:-?} runs)" | tee -a "$results"
	else
		echo "FAIL fuzz_$name (see $builddir/fuzz-$name.log)" | tee -a "$results"
		tail -n 40 "$builddir/fuzz-$name.log"
		rc=1
	fi
	rm -rf "$scratch"
done
[ $found = 1 ] || echo "no fuzz targets built in $builddir"
exit $rc
