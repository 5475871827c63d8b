#!/bin/bash
# Cluster routing, first slice (doc/routing.md): three nodes in namespaces on a
# fabric bridge share one SQLite datastore and run tabbyd with
# bgp.nodeToNodeMesh; two pods per node are made with the CNI plugin.
# Checks: the mesh comes up from the Node documents alone (no peers
# configured); each node originates its affine blocks and installs the others'
# as proto-84 routes via their underlay addresses; the node's own block is
# never installed from BGP; a prefix two nodes announce is one ECMP route on
# the third, and a node's own origination beats the learned copy; every pod
# reaches every other pod over IPv4 and IPv6; a learned route deleted by hand
# comes back within fibReconcileSeconds, an unwanted proto-84 route with a
# gateway goes, Tabby's host routes and blackholes and a foreign-protocol
# route stay; a borrowed address is advertised as a /32 and installed inside
# the block owner's own block; a hung node's routes vanish from the others
# within the hold time and its sessions go when its Node is deleted; a
# restarted tabbyd keeps its learned routes in the kernel meanwhile and drops
# leftovers nobody learns again at its first reconciliation.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/test_cni_common.sh"
. "$(dirname "$0")/routing_common.sh"

tb_require_root
tb_require_cmd jq curl ping "$TABBYD" "$TABBY_PLUGIN"
TABBYCTL="$top_builddir/src/ctl/tabbyctl"
tb_require_cmd "$TABBYCTL"

NODES=(1 2 3)
tb_fabric fab
for i in "${NODES[@]}"; do
	tb_netns "n$i"
	tb_attach "$(tb_ns fab)" "$(tb_ns "n$i")" up0 "198.18.0.$i/24" "2001:db8::$i/64"
	cat >"$TB_TMP/n$i.yaml" <<EOC
nodeName: node$i
datastore: sqlite:$TB_TMP/tabby.db
addresses: [198.18.0.$i/24, '2001:db8::$i/64']
apiSocket: $TB_TMP/n$i.sock
logLevel: info
bootstrapPools:
  - {name: test-ipv4, cidr: 10.244.0.0/16, blockSize: 26}
  - {name: test-ipv6, cidr: 'fd00:10:244::/56', blockSize: 122}
bgp:
  enabled: true
  asNumber: 64512
  holdTime: 3
  connectRetry: 1
  nodeToNodeMesh: true
  fibReconcileSeconds: 2
EOC
	# node2 also announces a prefix from bgp.originate (node1 joins later by SIGHUP).
	[ "$i" = 2 ] && printf '  originate: [10.99.9.0/24]\n' >>"$TB_TMP/n$i.yaml"
	cat >"$TB_TMP/net$i.json" <<EOC
{"cniVersion": "1.0.0", "name": "tabby-net", "type": "tabby", "socket": "$TB_TMP/n$i.sock",
 "ipam": {"type": "tabby", "assign_ipv4": "true", "assign_ipv6": "true"}}
EOC
done

declare -A PID
start_node() { # NODE [LOG-SUFFIX]
	tb_bg "$(tb_ns "n$1")" "tabbyd$1${2:-}" "$TABBYD" -c "$TB_TMP/n$1.yaml"
	PID[$1]=$TB_LAST_PID
}
api() { curl -sf --unix-socket "$TB_TMP/n$1.sock" "http://tabbyd$2"; }
ctl() { local n=$1; shift; "$TABBYCTL" --socket "$TB_TMP/n$n.sock" "$@"; }
established() { # NODE: number of Established sessions
	api "$1" /v1/bgp | jq '[.peers[] | select(.state == "Established")] | length'
}
is() { local v; v=$("${@:3}") && [ "$v" "$1" "$2" ]; }

for i in "${NODES[@]}"; do
	start_node "$i"
	tb_wait_for 10 api "$i" /v1/status || tb_fail "tabbyd on node$i did not come up"
done
for i in "${NODES[@]}"; do
	tb_assert "node$i: 4 mesh sessions (2 nodes x IPv4, IPv6) Established" \
		tb_wait_for 20 is -eq 4 established "$i"
done
tb_assert "node1: GET /v1/bgp marks the 4 sessions as mesh peers" \
	is = 4 eval "api 1 /v1/bgp | jq '[.peers[] | select(.mesh == true)] | length'"

# --- pods: two per node, through the CNI plugin ---
for i in "${NODES[@]}"; do
	pod_add "$i" a
	pod_add "$i" b
done
tb_log "pods: ${POD4[*]} ${POD6[*]}"

learned() { # NODE PREFIX VIA: proto-84 route PREFIX via VIA in node's kernel
	{ ip -n "$(tb_ns "n$1")" route show "$2" proto 84; ip -n "$(tb_ns "n$1")" -6 route show "$2" proto 84; } |
		grep -q "via $3 "
}
v4block() { # NODE: the node's affine IPv4 block from the blackhole route
	ip -n "$(tb_ns "n$1")" route show type blackhole proto 84 | awk '{print $2; exit}'
}
v6block() { ip -n "$(tb_ns "n$1")" -6 route show type blackhole proto 84 | awk '{print $2; exit}'; }
for i in "${NODES[@]}"; do
	B4[$i]=$(v4block "$i")
	B6[$i]=$(v6block "$i")
	[ -n "${B4[$i]}" ] && [ -n "${B6[$i]}" ] || tb_fail "node$i has no blackhole for its blocks"
done
for i in "${NODES[@]}"; do
	for j in "${NODES[@]}"; do
		[ "$i" = "$j" ] && continue
		tb_assert "node$i: ${B4[$j]} via 198.18.0.$j proto 84" \
			tb_wait_for 10 learned "$i" "${B4[$j]}" "198.18.0.$j"
		tb_assert "node$i: ${B6[$j]} via 2001:db8::$j proto 84" \
			tb_wait_for 10 learned "$i" "${B6[$j]}" "2001:db8::$j"
	done
	tb_assert "node$i: its own block is not installed from BGP" \
		test -z "$(ip -n "$(tb_ns "n$i")" route show "${B4[$i]}" proto 84 | grep via)"
done

ecmp() { # node3: 10.99.9.0/24 with two next hops, node1 and node2
	local r
	r=$(ip -n "$(tb_ns n3)" route show 10.99.9.0/24 proto 84)
	grep -q 'nexthop via 198.18.0.1 ' <<<"$r" && grep -q 'nexthop via 198.18.0.2 ' <<<"$r"
}
for i in 1 3; do
	tb_assert "node$i: node2's configured prefix 10.99.9.0/24 via node2" \
		tb_wait_for 5 learned "$i" 10.99.9.0/24 198.18.0.2
done
# Node1 announces it too (SIGHUP): two equal iBGP paths on node3. Node1's path must come second:
# bgp/decision.c rib_decide() loses a newer multipath candidate when the best path (lowest
# BGP Identifier) is the older one (see doc/routing.md, "Known problems").
printf '  originate: [10.99.9.0/24]\n' >>"$TB_TMP/n1.yaml"
kill -HUP "${PID[1]}"
tb_wait_for 5 ecmp || tb_log "node3: $(ip -n "$(tb_ns n3)" route show 10.99.9.0/24)"
tb_assert "node3: the configured prefix of node1 and node2 is one ECMP route via both" ecmp
tb_assert "node1: its own origination wins: 10.99.9.0/24 leaves its kernel" \
	tb_wait_for 5 eval "! learned 1 10.99.9.0/24 198.18.0.2"
for i in "${NODES[@]}"; do
	want=$([ "$i" = 3 ] && echo 5 || echo 4)
	tb_assert "node$i: GET /v1/bgp counts $want learned routes installed, 0 suppressed" \
		test "$(api "$i" /v1/bgp | jq -c '[.fib.learned, .fib.installed, .fib.suppressed]')" = "[$want,$want,0]"
done

# --- every pod reaches every other pod, IPv4 and IPv6 ---
tb_assert "all 6 pods reach each other over IPv4 and IPv6 (60 pings)" tb_wait_for 10 all_ping

# --- FIB reconciliation: a deleted route comes back; other routes are left alone ---
N1=$(tb_ns n1)
ip -n "$N1" route del "${B4[2]}" proto 84 || tb_fail "deleting ${B4[2]} by hand"
ip -n "$N1" route add 10.99.0.0/24 via 198.18.0.3 proto static
ip -n "$N1" route add 10.98.0.0/24 via 198.18.0.3 proto 84
host_routes_before=$(ip -n "$N1" route show proto 84 scope link | sort)
tb_assert "node1: the deleted route ${B4[2]} is back within fibReconcileSeconds" \
	tb_wait_for 4 learned 1 "${B4[2]}" 198.18.0.2
tb_assert "node1: an unwanted proto-84 route with a gateway is removed" \
	tb_wait_for 4 eval "! ip -n $N1 route show 10.98.0.0/24 | grep -q ."
tb_assert "node1: the proto-static route is left alone" \
	cni_output_has "10.99.0.0/24 via 198.18.0.3" ip -n "$N1" route show proto static
tb_assert "node1: the pods' host routes are untouched" \
	test "$(ip -n "$N1" route show proto 84 scope link | sort)" = "$host_routes_before"
tb_assert "node1: the blackhole of its own block is untouched" \
	cni_output_has "blackhole ${B4[1]}" ip -n "$N1" route show type blackhole
tb_assert "tabbyctl node status on node1 lists the mesh peers" \
	cni_output_has "198.18.0.3" ctl 1 node status

# --- a borrowed address: node2 takes one from node1's only block of a tiny pool ---
"$TABBYCTL" -d "sqlite:$TB_TMP/tabby.db" apply -f - <<'Y' >/dev/null || tb_fail "applying the tiny pool"
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: tiny}
spec: {cidr: 10.250.0.0/30, blockSize: 30}
Y
for i in 1 2; do
	sed 's/"assign_ipv6": "true"/"assign_ipv6": "false", "ipv4_pools": ["tiny"]/' \
		"$TB_TMP/net$i.json" >"$TB_TMP/tiny$i.json"
	ns=$(tb_ns "t$i")
	tb_netns "t$i"
	ip netns exec "$(tb_ns "n$i")" env -i PATH="$PATH" CNI_COMMAND=ADD CNI_CONTAINERID="t$i" \
		CNI_NETNS="/var/run/netns/$ns" CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
		"$TABBY_PLUGIN" <"$TB_TMP/tiny$i.json" >"$TB_TMP/tiny$i.out" ||
		tb_fail "CNI ADD in the tiny pool on node$i: $(cat "$TB_TMP/tiny$i.out")"
	T[$i]=$(jq -r '.ips[0].address | sub("/.*"; "")' "$TB_TMP/tiny$i.out")
done
tb_log "tiny pool: node1 pod ${T[1]}, node2 pod ${T[2]} (borrowed)"
tb_assert "node2's tiny-pool address is borrowed from node1's block 10.250.0.0/30" \
	test "$(ip -n "$(tb_ns n1)" route show type blackhole | grep -c '10.250.0.0/30')" = 1
tb_assert "node1: node2's borrowed ${T[2]}/32 installed via 198.18.0.2 inside its own block" \
	tb_wait_for 5 learned 1 "${T[2]}" 198.18.0.2
tb_assert "node3: ${T[2]}/32 via node2 and 10.250.0.0/30 via node1" \
	tb_wait_for 5 eval "learned 3 ${T[2]} 198.18.0.2 && learned 3 10.250.0.0/30 198.18.0.1"
tb_assert "node2: 10.250.0.0/30 via node1 (it does not cover node2's own blocks)" \
	tb_wait_for 5 learned 2 10.250.0.0/30 198.18.0.1
tb_assert "the borrowed pod and the block owner's pod reach each other" \
	tb_wait_for 5 eval "ip netns exec $(tb_ns t1) ping -c1 -W1 ${T[2]} && ip netns exec $(tb_ns t2) ping -c1 -W1 ${T[1]}"
tb_assert "a node3 pod reaches the borrowed address" \
	ip netns exec "${POD_NS[4]}" ping -c1 -W1 "${T[2]}"

# --- tabbyd restarts: learned routes keep forwarding meanwhile; leftovers go later ---
kill -TERM "${PID[1]}"
tb_wait_for 10 cni_not_running "${PID[1]}" || tb_fail "node1 did not stop"
wait "${PID[1]}"
rc=$?
[ $rc = 0 ] || tb_fail "node1 exited with status $rc after SIGTERM"
tb_assert "node1 stopped: its learned routes stay in the kernel" learned 1 "${B4[2]}" 198.18.0.2
ip -n "$N1" route add 10.97.0.0/24 via 198.18.0.2 proto 84 # a leftover nobody will learn
start_node 1 -restarted
tb_wait_for 10 api 1 /v1/status || tb_fail "tabbyd on node1 did not come back"
tb_assert "node1 restarted: 4 sessions Established again" tb_wait_for 10 is -eq 4 established 1
tb_assert "node1 restarted: the leftover 10.97.0.0/24 goes at the first reconciliation" \
	tb_wait_for 5 eval "! ip -n $N1 route show 10.97.0.0/24 | grep -q ."
tb_assert "node1 restarted: node2's block stayed in the kernel throughout (adopted, not removed)" \
	eval "! grep -q 'removing ${B4[2]}' $TB_TMP/tabbyd1-restarted.log"
tb_assert "node1 restarted: re-learned routes took the adopted ones over (no EEXIST)" \
	eval "! grep -q 'another route for this prefix' $TB_TMP/tabbyd1-restarted.log"
tb_assert "node1 restarted: pods reach node2's pods" \
	ip netns exec "${POD_NS[0]}" ping -c1 -W1 "${POD4[2]}"

# --- a node hangs: its routes vanish from the others when the hold timer (3 s) expires ---
kill -STOP "${PID[3]}"
gone() { ! ip -n "$(tb_ns "n$1")" route show "${B4[3]}" proto 84 | grep -q via &&
	! ip -n "$(tb_ns "n$1")" -6 route show "${B6[3]}" proto 84 | grep -q via; }
for i in 1 2; do
	tb_assert "node$i: hung node3's routes gone within the hold time (3 s + 1 s)" tb_wait_for 4 gone "$i"
done
kill -KILL "${PID[3]}"
kill -CONT "${PID[3]}" 2>/dev/null
wait "${PID[3]}" 2>/dev/null
tb_assert "node1 -> node2 pods still reachable" \
	ip netns exec "${POD_NS[0]}" ping -c1 -W1 "${POD4[2]}"
"$TABBYCTL" -d "sqlite:$TB_TMP/tabby.db" delete node node3 || tb_fail "tabbyctl delete node node3"
tb_assert "node1: node3's sessions removed within a second of its Node being deleted" \
	tb_wait_for 1 is -eq 2 eval "api 1 /v1/bgp | jq '.peers | length'"

for i in 1 2; do
	kill -TERM "${PID[$i]}"
	tb_wait_for 10 cni_not_running "${PID[$i]}" || tb_fail "node$i did not stop"
	wait "${PID[$i]}"
	rc=$?
	[ $rc = 0 ] || tb_fail "node$i exited with status $rc after SIGTERM: $(tail -5 "$TB_TMP/tabbyd$i.log")"
done
tb_assert "no sanitizer report in any tabbyd log" \
	eval "! grep -l 'Sanitizer\|runtime error' $TB_TMP/tabbyd*.log"
tb_log "PASS"
