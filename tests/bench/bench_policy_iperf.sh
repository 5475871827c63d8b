#!/usr/bin/env bash
# Benchmark (not a test): data-path cost of the policy ruleset. Two node
# namespaces on a fabric bridge, a pod namespace behind a veth on each (plain
# ip commands: /32 pod routes on the nodes, a route per node's pod block, the
# pods' default gateway 169.254.1.1 on the host veth), iperf3 from the pod on
# node 1 to the pod on node 2, with no ruleset and with the full ruleset of
# 500 policies (rendered by the library: tests/bench/bench_policy ruleset,
# the two pods among 1,000 endpoints, 110 of them per node) applied in both
# node namespaces. A third mode, a table with only "ct state
# established,related accept" on the forward hook, separates the cost of
# conntrack (which any stateful ruleset turns on) from that of the policies.
# Runs alternate (none, conntrack only, policy) BENCH_IPERF_RUNS times
# (default 3) for BENCH_IPERF_SECS seconds each (default 5).
# Target: throughput with the ruleset >= 95% of the throughput without.
# Use a build without sanitizers (only the ruleset renderer runs from it).
set -u
here=$(cd "$(dirname "$0")/../integration" && pwd)
: "${top_builddir:=$PWD}"
. "$here/lib.sh"
RUNS=${BENCH_IPERF_RUNS:-3}
SECS=${BENCH_IPERF_SECS:-5}
BENCH=${BENCH_POLICY:-$top_builddir/tests/bench/bench_policy}

tb_require_root
tb_require_cmd ip nft iperf3 awk "$BENCH"

fab=$(tb_ns fab)
tb_fabric fab
# node i: uplink 198.18.0.i/24 on the fabric, pod 10.244.i.2 behind veth tbpod.
for i in 1 2; do
	tb_netns "n$i"
	tb_netns "p$i"
	n=$(tb_ns "n$i")
	p=$(tb_ns "p$i")
	tb_attach "$fab" "$n" eth0 "198.18.0.$i/24"
	ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
	ip link add tbpod netns "$n" type veth peer name eth0 netns "$p" || tb_fail "veth"
	ip -n "$n" addr add 169.254.1.1/32 dev tbpod
	ip -n "$n" link set tbpod up
	ip -n "$n" route add "10.244.$i.2/32" dev tbpod
	ip -n "$p" addr add "10.244.$i.2/32" dev eth0
	ip -n "$p" link set eth0 up
	ip -n "$p" route add 169.254.1.1/32 dev eth0 scope link
	ip -n "$p" route add default via 169.254.1.1 dev eth0
done
ip -n "$(tb_ns n1)" route add 10.244.2.0/24 via 198.18.0.2
ip -n "$(tb_ns n2)" route add 10.244.1.0/24 via 198.18.0.1
tb_wait_for 5 ip netns exec "$(tb_ns p1)" ping -c1 -W1 10.244.2.2 || tb_fail "pod to pod ping"

"$BENCH" ruleset tbpod 10.244.1.2 10.244.2.2 >"$TB_TMP/n1.nft" || tb_fail "render n1"
"$BENCH" ruleset tbpod 10.244.2.2 10.244.1.2 >"$TB_TMP/n2.nft" || tb_fail "render n2"

tb_bg "$(tb_ns p2)" iperf3-server iperf3 -s -B 10.244.2.2
server_up() { ip netns exec "$(tb_ns p2)" ss -Hltn 'sport = :5201' | grep -q 5201; }
tb_wait_for 5 server_up || tb_fail "iperf3 server"

policy_on() {
	local i
	for i in 1 2; do
		ip netns exec "$(tb_ns "n$i")" nft -f "$TB_TMP/n$i.nft" || tb_fail "nft n$i"
	done
}
ct_on() {
	local i
	for i in 1 2; do
		printf '%s\n' 'table inet ctonly {' \
			'chain established { type filter hook forward priority filter; policy accept;' \
			'ct state established,related accept; }' '}' |
			ip netns exec "$(tb_ns "n$i")" nft -f - || tb_fail "nft ct-only n$i"
	done
}
ct_off() {
	local i
	for i in 1 2; do
		ip netns exec "$(tb_ns "n$i")" nft delete table inet ctonly 2>/dev/null
	done
}
policy_off() {
	local i
	for i in 1 2; do
		ip netns exec "$(tb_ns "n$i")" nft delete table inet tabby 2>/dev/null
	done
}
# Gbit/s received, from iperf3's summary line.
measure() {
	ip netns exec "$(tb_ns p1)" iperf3 -c 10.244.2.2 -t "$SECS" -f g |
		awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Gbits/sec") print $(i - 1) }'
}

policy_on
# The established fast path must come first in every forward-hook chain.
for c in fwd_eg fwd_in; do
	first=$(ip netns exec "$(tb_ns n1)" nft list chain inet tabby "$c" |
		awk '/type filter hook/ { getline; print; exit }')
	case "$first" in
	*"ct state established,related accept"*) echo "n1 $c: first rule is: ${first#"${first%%[![:space:]]*}"}" ;;
	*) tb_fail "$c: first rule is not the established fast path: $first" ;;
	esac
done
echo "ruleset: $(grep -c . "$TB_TMP/n1.nft") lines, $(grep -c '^	chain po' "$TB_TMP/n1.nft") policy chains per node"
# New connections really go through the policy chains: the pods' veth is in the dispatch maps.
grep -q '"tbpod" : jump ep' "$TB_TMP/n1.nft" || tb_fail "tbpod not dispatched"
policy_off

none=()
ct=()
pol=()
for r in $(seq 1 "$RUNS"); do
	g=$(measure)
	[ -n "$g" ] || tb_fail "iperf3 without ruleset"
	none+=("$g")
	ct_on
	g=$(measure)
	[ -n "$g" ] || tb_fail "iperf3 with conntrack only"
	ct+=("$g")
	ct_off
	policy_on
	g=$(measure)
	[ -n "$g" ] || tb_fail "iperf3 with ruleset (blocked?)"
	pol+=("$g")
	policy_off
	echo "run $r: no ruleset ${none[-1]} Gbit/s, conntrack only ${ct[-1]} Gbit/s," \
		"500 policies ${pol[-1]} Gbit/s"
done
printf '%s\n' "${none[@]}" | sort -g >"$TB_TMP/none"
printf '%s\n' "${ct[@]}" | sort -g >"$TB_TMP/ct"
printf '%s\n' "${pol[@]}" | sort -g >"$TB_TMP/pol"
awk -v runs="$RUNS" -v secs="$SECS" '
	FILENAME ~ /none$/ { a[FNR] = $1 } FILENAME ~ /ct$/ { c[FNR] = $1 }
	FILENAME ~ /pol$/ { b[FNR] = $1 }
	END {
		m = int((runs + 1) / 2)
		printf "| iperf3 pod to pod across nodes (%d x %d s) | median Gbit/s | min | max |\n", runs, secs
		printf "|---|---|---|---|\n"
		printf "| no ruleset | %.2f | %.2f | %.2f |\n", a[m], a[1], a[runs]
		printf "| conntrack only (ct state established,related accept) | %.2f | %.2f | %.2f |\n", c[m], c[1], c[runs]
		printf "| 500 policies, 1,000 endpoints | %.2f | %.2f | %.2f |\n", b[m], b[1], b[runs]
		printf "ratio (median): %.1f%% (target >= 95%%): %s\n", 100 * b[m] / a[m],
		       ((b[m] >= 0.95 * a[m]) ? "met" : "MISSED")
		printf "500 policies vs conntrack only (median): %.1f%%\n", 100 * b[m] / c[m]
	}' "$TB_TMP/none" "$TB_TMP/ct" "$TB_TMP/pol"
