#!/usr/bin/env bash
# Benchmark (not a test): pod setup latency through the CNI plugin, side by
# side with the reference plugins in the same run. In a node namespace with
# tabbyd: 200 sequential ADDs, then 200 sequential DELs, for
#   tabby (IPv4 + IPv6) and tabby (IPv4 only) with tabbyd's SQLite store at
#     sync=full (the default: every commit fsync'ed),
#   the same two at sync=normal (commits survive a crash of tabbyd but not of
#     the machine: host-local's durability, which writes its files without
#     fsync),
#   ptp + host-local (IPv4 + IPv6: two ranges) and ptp + host-local (IPv4),
# and min / median / p99 per verb. Every call is one exec of the plugin, as a
# container runtime makes it; the clock is bash's $EPOCHREALTIME (no fork).
# Target: tabby's median ADD and DEL at most 1/5 of ptp's, p99 at most 1/3;
# the ratios are printed like for like (a tabby row against the ptp row of the
# same address families) and say whether each target is met.
# Use a build without sanitizers for meaningful figures.
# BENCH_PODS=n changes the number of calls; BENCH_DEBUG_LOG=FILE runs tabbyd
# at log level debug (its per-step timings of every ADD and DEL) and copies
# its log there (figures are then slightly pessimistic). BENCH_POLICY=0 turns
# tabbyd's network policy agent off (policy: {enabled: false}), to tell its
# cost from the CNI path's. ptp waits for its IPv6 addresses to leave DAD
# (about 1-2 s per ADD), so the dual-stack ptp row alone takes minutes:
# BENCH_PTP6=0 leaves it (and the dual-stack ratios) out.
set -u
here=$(cd "$(dirname "$0")/../integration" && pwd)
: "${top_builddir:=$PWD}"
export top_builddir
. "$here/lib.sh"
. "$here/test_cni_common.sh"
N=${BENCH_PODS:-200}
CNI_DIR=${CNI_DIR:-/usr/lib/cni}

tb_require_root
tb_require_cmd ip "$TABBY_PLUGIN" "$TABBYD" "$CNI_DIR/ptp" "$CNI_DIR/host-local"

log_level=warning
[ -z "${BENCH_DEBUG_LOG:-}" ] || log_level=debug
CNI_LOG_LEVEL=$log_level cni_node node
[ "${BENCH_POLICY:-1}" != 0 ] || echo "policy: {enabled: false}" >>"$TB_TMP/tabbyd.yaml"
for i in $(seq 1 "$N"); do
	ip netns add "${TB_RUN}b$i" || tb_fail "netns b$i"
	TB_NETNS+=("${TB_RUN}b$i")
done
cni_start_tabbyd
if nm "$TABBY_PLUGIN" 2>/dev/null | grep -q __asan_init; then
	echo "warning: $TABBY_PLUGIN is built with sanitizers; figures are pessimistic"
fi

cat >"$TB_TMP/tabby4.json" <<EOC
{"cniVersion": "1.0.0", "name": "tabby-net", "type": "tabby", "socket": "$TB_TMP/tabbyd.sock",
 "ipam": {"type": "tabby", "assign_ipv4": true, "assign_ipv6": false}}
EOC
cat >"$TB_TMP/ptp.json" <<EOC
{"cniVersion": "1.0.0", "name": "ptp-net", "type": "ptp", "ipMasq": false, "mtu": 1500,
 "ipam": {"type": "host-local", "dataDir": "$TB_TMP/host-local",
          "ranges": [[{"subnet": "10.245.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}]}}
EOC
cat >"$TB_TMP/ptp6.json" <<EOC
{"cniVersion": "1.0.0", "name": "ptp6-net", "type": "ptp", "ipMasq": false, "mtu": 1500,
 "ipam": {"type": "host-local", "dataDir": "$TB_TMP/host-local6",
          "ranges": [[{"subnet": "198.19.0.0/16"}], [{"subnet": "2001:db8:1::/64"}]],
          "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]}}
EOC

# run_series NAME CONFIG PLUGIN: N ADDs then N DELs inside the node namespace;
# per-call milliseconds in $TB_TMP/NAME.add and NAME.del.
run_series() {
	local name=$1 conf=$2 plugin=$3
	ip netns exec "$NODE_NS" env N="$N" RUN="$TB_RUN" CONF="$conf" PLUGIN="$plugin" \
		OUT="$TB_TMP/$name" CNI_DIR="$CNI_DIR" bash -c '
		for cmd in ADD DEL; do
			t=()
			for ((i = 1; i <= N; i++)); do
				t0=$EPOCHREALTIME
				CNI_COMMAND=$cmd CNI_CONTAINERID=bench$i CNI_NETNS=/var/run/netns/${RUN}b$i \
				CNI_IFNAME=eth0 CNI_PATH=$CNI_DIR "$PLUGIN" <"$CONF" >/dev/null 2>"$OUT.err" ||
					{ echo "$cmd $i failed: $(cat "$OUT.err")" >&2; exit 1; }
				t+=("$t0 $EPOCHREALTIME")
			done
			printf "%s\n" "${t[@]}" |
				awk "{ printf \"%.3f\n\", (\$2 - \$1) * 1000 }" >"$OUT.${cmd,,}"
		done' || tb_fail "$name series failed"
}

# wait_reaped: tabbyd deletes DELed veths in the background; let it finish so
# that the next series neither finds them nor competes with that work.
wait_reaped() { tb_wait_for 60 cni_no_pod_links || tb_fail "tabbyd did not delete the veths"; }

# stats FILE: "min median p99" in ms.
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		p99 = int(NR * 0.99 + 0.999); if (p99 > NR) p99 = NR
		med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%8.2f %8.2f %8.2f", v[1], med, v[p99] }'
}

# keep_log: append tabbyd's log to $BENCH_DEBUG_LOG, if given.
keep_log() { [ -z "${BENCH_DEBUG_LOG:-}" ] || cat "$TB_TMP/tabbyd.log" >>"$BENCH_DEBUG_LOG"; }

run_series tabbyfull "$TB_TMP/net.json" "$TABBY_PLUGIN"
wait_reaped
run_series tabby4full "$TB_TMP/tabby4.json" "$TABBY_PLUGIN"
wait_reaped
keep_log
cni_stop_tabbyd
sed -i "s|^datastore: .*|datastore: sqlite:$TB_TMP/tabby-normal.db?sync=normal|" "$TB_TMP/tabbyd.yaml"
cni_start_tabbyd
run_series tabby "$TB_TMP/net.json" "$TABBY_PLUGIN"
wait_reaped
run_series tabby4 "$TB_TMP/tabby4.json" "$TABBY_PLUGIN"
wait_reaped
keep_log
ptp6=${BENCH_PTP6:-1}
[ "$ptp6" = 0 ] || run_series ptp6 "$TB_TMP/ptp6.json" "$CNI_DIR/ptp"
run_series ptp "$TB_TMP/ptp.json" "$CNI_DIR/ptp"

echo "CNI pod setup latency, $N sequential calls each (ms)"
printf '%-36s %-5s %8s %8s %8s\n' plugin verb min median p99
for s in "tabbyfull:tabby (IPv4+IPv6, sync=full)" "tabby4full:tabby (IPv4, sync=full)" \
	"tabby:tabby (IPv4+IPv6, sync=normal)" "tabby4:tabby (IPv4, sync=normal)" \
	"ptp6:ptp+host-local (IPv4+IPv6)" "ptp:ptp+host-local (IPv4)"; do
	[ "${s%%:*}" != ptp6 ] || [ "$ptp6" != 0 ] || continue
	for v in add del; do
		printf '%-36s %-5s %s\n' "${s#*:}" "${v^^}" "$(stats "$TB_TMP/${s%%:*}.$v")"
	done
done
med() { stats "$1" | awk '{ print $2 }'; }
p99() { stats "$1" | awk '{ print $3 }'; }
# Like for like: each tabby row against the ptp row of the same address families.
for t in tabbyfull:ptp6:"IPv4+IPv6, sync=full" tabby4full:ptp:"IPv4, sync=full" \
	tabby:ptp6:"IPv4+IPv6, sync=normal" tabby4:ptp:"IPv4, sync=normal"; do
	IFS=: read -r tn pn label <<<"$t"
	[ "$pn" != ptp6 ] || [ "$ptp6" != 0 ] || continue
	for v in add del; do
		awk -v t="$(med "$TB_TMP/$tn.$v")" -v p="$(med "$TB_TMP/$pn.$v")" \
			-v t9="$(p99 "$TB_TMP/$tn.$v")" -v p9="$(p99 "$TB_TMP/$pn.$v")" \
			-v v="${v^^}" -v n="$label" 'BEGIN {
			m = t / p; q = t9 / p9
			printf "%s (%s): tabby/ptp median %.3f (target <= 0.200: %s), p99 %.3f (target <= 0.333: %s)\n",
				v, n, m, m <= 0.2 ? "met" : "NOT met", q, q <= 1 / 3 ? "met" : "NOT met" }'
	done
done
cni_stop_tabbyd
