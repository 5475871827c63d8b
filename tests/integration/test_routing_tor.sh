#!/bin/bash
# Cluster routing with a top-of-rack router (doc/routing.md, "Topologies: ToR
# per rack"): three nodes (AS 64512) with the node-to-node mesh off, each
# peering eBGP (IPv4 and IPv6 sessions) with a real FRR bgpd as ToR (AS 65000,
# as-override, attribute-unchanged next-hop, maximum-paths 8), two pods per
# node through the CNI plugin.
# Checks:
#  - every node installs every other node's blocks, learned through the ToR,
#    via the owning node's own underlay address (third-party next hop);
#  - all pods reach all pods over IPv4 and IPv6;
#  - FRR's RIB holds exactly the nodes' blocks, nothing else;
#  - a service CIDR (IPv4 and IPv6) in the BGPConfiguration, applied with
#    tabbyctl, reaches the ToR with every node as an ECMP (multipath) next
#    hop, with the community of its prefixAdvertisement, and goes when removed
#    from the configuration;
#  - a hung node (SIGSTOP): its routes leave the other nodes and FRR within
#    the hold time (3 s); resumed, they come back;
#  - `tabbyctl delete node`: its blocks, affinities and addresses are released
#    in IPAM, its routes vanish from FRR and the other nodes;
#  - no sanitizer report in any tabbyd log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/test_cni_common.sh"
. "$(dirname "$0")/routing_common.sh"

FRR_BGPD=/usr/lib/frr/bgpd
tb_require_root
tb_require_cmd jq curl ping sqlite3 vtysh "$FRR_BGPD" "$TABBYD" "$TABBY_PLUGIN"
TABBYCTL="$top_builddir/src/ctl/tabbyctl"
tb_require_cmd "$TABBYCTL"
export TABBY_DATASTORE="sqlite:$TB_TMP/tabby.db"

NODES=(1 2 3)
TOR4=198.18.0.254
TOR6=2001:db8::fe
tb_fabric fab
tb_netns tor
TOR=$(tb_ns tor)
tb_attach "$(tb_ns fab)" "$TOR" up0 "$TOR4/24" "$TOR6/64"

# --- the ToR: FRR's bgpd alone (-Z: no zebra), as an operator would set it up ---
{
	echo "hostname tor"
	echo "router bgp 65000"
	echo " bgp router-id $TOR4"
	echo " no bgp ebgp-requires-policy"
	echo " no bgp default ipv4-unicast"
	echo " neighbor NODES peer-group"
	echo " neighbor NODES remote-as 64512"
	echo " neighbor NODES timers 1 3"
	echo " neighbor NODES timers connect 1"
	echo " neighbor NODES advertisement-interval 0"
	for i in "${NODES[@]}"; do
		echo " neighbor 198.18.0.$i peer-group NODES"
		echo " neighbor 2001:db8::$i peer-group NODES"
	done
	for af in ipv4 ipv6; do
		echo " address-family $af unicast"
		echo "  maximum-paths 8"
		echo "  neighbor NODES activate"
		echo "  neighbor NODES as-override"
		echo "  neighbor NODES attribute-unchanged next-hop"
		echo " exit-address-family"
	done
} >"$TB_TMP/tor.conf"
mkdir -p "$TB_TMP/tor.vty"
tb_bg "$TOR" frr "$FRR_BGPD" -f "$TB_TMP/tor.conf" -i "$TB_TMP/tor.pid" -Z -S \
	--vty_socket "$TB_TMP/tor.vty" -A 127.0.0.1 -P 0
vty() { ip netns exec "$TOR" vtysh --vty_socket "$TB_TMP/tor.vty" -c "$1"; }
tb_wait_for 10 vty "show bgp summary" || tb_fail "FRR bgpd did not start"

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
  nodeToNodeMesh: false
  fibReconcileSeconds: 2
  peers:
    - {address: $TOR4, asNumber: 65000, description: tor}
    - {address: '$TOR6', asNumber: 65000, description: tor}
EOC
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
established() { api "$1" /v1/bgp | jq '[.peers[] | select(.state == "Established")] | length'; }
is() { # OP VALUE CMD...: CMD's output compared with VALUE by test's OP
	local v
	v=$("${@:3}") || return 1
	test "$v" "$1" "$2"
}

for i in "${NODES[@]}"; do
	start_node "$i"
	tb_wait_for 10 api "$i" /v1/status || tb_fail "tabbyd on node$i did not come up"
done
for i in "${NODES[@]}"; do
	tb_assert "node$i: 2 sessions with the ToR (IPv4, IPv6) Established, no mesh" \
		tb_wait_for 15 eval "is -eq 2 established $i && is -eq 2 eval \"api $i /v1/bgp | jq '.peers | length'\""
done

# --- pods: two per node ---
for i in "${NODES[@]}"; do
	pod_add "$i" a
	pod_add "$i" b
done
tb_log "pods: ${POD4[*]} ${POD6[*]}"

learned() { # NODE PREFIX VIA: proto-84 route PREFIX via VIA in the node's kernel
	{ ip -n "$(tb_ns "n$1")" route show "$2" proto 84; ip -n "$(tb_ns "n$1")" -6 route show "$2" proto 84; } |
		grep -q "via $3 "
}
declare -A B4 B6
for i in "${NODES[@]}"; do
	B4[$i]=$(ip -n "$(tb_ns "n$i")" route show type blackhole proto 84 | awk '{print $2; exit}')
	B6[$i]=$(ip -n "$(tb_ns "n$i")" -6 route show type blackhole proto 84 | awk '{print $2; exit}')
	[ -n "${B4[$i]}" ] && [ -n "${B6[$i]}" ] || tb_fail "node$i has no blackhole for its blocks"
done
for i in "${NODES[@]}"; do
	for j in "${NODES[@]}"; do
		[ "$i" = "$j" ] && continue
		tb_assert "node$i: ${B4[$j]} via node$j's 198.18.0.$j (through the ToR)" \
			tb_wait_for 10 learned "$i" "${B4[$j]}" "198.18.0.$j"
		tb_assert "node$i: ${B6[$j]} via node$j's 2001:db8::$j (through the ToR)" \
			tb_wait_for 10 learned "$i" "${B6[$j]}" "2001:db8::$j"
	done
done

tb_assert "all 6 pods reach each other over IPv4 and IPv6 (60 pings)" tb_wait_for 10 all_ping

# FRR's RIB: the sorted prefixes of one family.
tor_rib() { vty "show bgp $1 unicast json" | jq -r '.routes | keys[]' | sort | tr '\n' ' '; }
want_rib() { # FAMILY NODE...: the blocks of the nodes, sorted
	local fam=$1 n
	shift
	for n in "$@"; do
		if [ "$fam" = ipv4 ]; then echo "${B4[$n]}"; else echo "${B6[$n]}"; fi
	done | sort | tr '\n' ' '
}
for fam in ipv4 ipv6; do
	tb_assert "FRR's $fam RIB is exactly the 3 nodes' blocks: $(want_rib $fam 1 2 3)" \
		tb_wait_for 5 eval "[ \"\$(tor_rib $fam)\" = \"$(want_rib $fam 1 2 3)\" ]"
done

# --- service CIDRs from the BGPConfiguration: every node a multipath next hop at the ToR ---
bgpconfig() { # SPEC-LINES: apply the BGPConfiguration "default"
	{
		printf 'apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\n'
		printf 'metadata:\n  name: default\nspec:\n  nodeToNodeMeshEnabled: false\n'
		printf '%s\n' "$@"
	} | "$TABBYCTL" apply -f - >/dev/null
}
# ECMP NEXT-HOPS PREFIX FAMILY: the sorted next hops of the paths FRR uses (best + multipath).
ecmp() {
	vty "show bgp $2 unicast $1 json" |
		jq -r '[.paths[] | select(.multipath == true or .bestpath.overall == true) |
			.nexthops[0].ip] | sort | join(" ")'
}
bgpconfig "  serviceClusterIPs: [{cidr: 10.96.0.0/12}, {cidr: 'fd00:96::/108'}]" \
	"  communities: [{name: svc, value: '64512:100'}, {name: big, value: '64512:1:2'}]" \
	"  prefixAdvertisements: [{cidr: 10.96.0.0/12, communities: [svc, '64512:7', big, '4200000000:5:6']}]" ||
	tb_fail "tabbyctl apply of the BGPConfiguration"
tb_assert "ToR: 10.96.0.0/12 with the 3 nodes as ECMP next hops" \
	tb_wait_for 5 eval '[ "$(ecmp 10.96.0.0/12 ipv4)" = "198.18.0.1 198.18.0.2 198.18.0.3" ]'
tb_assert "ToR: fd00:96::/108 with the 3 nodes as ECMP next hops" \
	tb_wait_for 5 eval '[ "$(ecmp fd00:96::/108 ipv6)" = "2001:db8::1 2001:db8::2 2001:db8::3" ]'
communities() { # PREFIX FAMILY: the communities of every path at the ToR, one line each
	vty "show bgp $2 unicast $1 json" | jq -r '.paths[] | .community.string // ""' | sort -u
}
tb_assert "ToR: 10.96.0.0/12 carries the prefixAdvertisement's communities (64512:7 64512:100)" \
	test "$(communities 10.96.0.0/12 ipv4)" = "64512:7 64512:100"
large_communities() { # PREFIX FAMILY: the large communities (RFC 8092) of every path at the ToR
	vty "show bgp $2 unicast $1 json" | jq -r '.paths[] | .largeCommunity.string // ""' | sort -u
}
tb_assert "ToR: 10.96.0.0/12 carries the large communities (64512:1:2 4200000000:5:6)" \
	test "$(large_communities 10.96.0.0/12 ipv4)" = "64512:1:2 4200000000:5:6"
tb_assert "ToR: fd00:96::/108 carries none" test "$(communities fd00:96::/108 ipv6)" = ""
tb_assert "ToR: the nodes' blocks carry none" \
	test "$(communities "${B4[1]}" ipv4)" = ""
tb_assert "node1: the service CIDR is its own origination, not installed from BGP" \
	eval "! ip -n $(tb_ns n1) route show 10.96.0.0/12 | grep -q ."
bgpconfig "  serviceClusterIPs: [{cidr: 'fd00:96::/108'}]" || tb_fail "tabbyctl apply"
tb_assert "ToR: 10.96.0.0/12 withdrawn after its removal from the BGPConfiguration" \
	tb_wait_for 5 eval "[ \"\$(tor_rib ipv4)\" = \"$(want_rib ipv4 1 2 3)\" ]"
tb_assert "ToR: fd00:96::/108 still there" \
	test "$(ecmp fd00:96::/108 ipv6)" = "2001:db8::1 2001:db8::2 2001:db8::3"
bgpconfig "  serviceClusterIPs: [{cidr: not-a-cidr}]" 2>/dev/null &&
	tb_fail "tabbyctl accepted a malformed service CIDR"
bgpconfig "" || tb_fail "tabbyctl apply"
tb_assert "ToR: fd00:96::/108 withdrawn: the IPv6 RIB is the 3 blocks again" \
	tb_wait_for 5 eval "[ \"\$(tor_rib ipv6)\" = \"$(want_rib ipv6 1 2 3)\" ]"

# --- a hung node: its routes vanish within the hold time, and come back ---
kill -STOP "${PID[3]}"
gone() { # NODE (1, 2) or "tor": node3's blocks absent
	if [ "$1" = tor ]; then
		[ "$(tor_rib ipv4)" = "$(want_rib ipv4 1 2)" ] && [ "$(tor_rib ipv6)" = "$(want_rib ipv6 1 2)" ]
	else
		! learned "$1" "${B4[3]}" 198.18.0.3 && ! learned "$1" "${B6[3]}" 2001:db8::3
	fi
}
back() {
	if [ "$1" = tor ]; then
		[ "$(tor_rib ipv4)" = "$(want_rib ipv4 1 2 3)" ] && [ "$(tor_rib ipv6)" = "$(want_rib ipv6 1 2 3)" ]
	else
		learned "$1" "${B4[3]}" 198.18.0.3 && learned "$1" "${B6[3]}" 2001:db8::3
	fi
}
t0=$(date +%s%N)
for w in tor 1 2; do
	tb_assert "$w: hung node3's routes gone within the hold time (3 s + 1 s)" tb_wait_for 4 gone "$w"
done
tb_log "hung node3's routes were gone everywhere after $((($(date +%s%N) - t0) / 1000000)) ms"
kill -CONT "${PID[3]}"
for w in tor 1 2; do
	tb_assert "$w: node3 resumed: its routes are back" tb_wait_for 10 back "$w"
done
tb_assert "node1 pod -> node3 pod after the resume" \
	tb_wait_for 5 ip netns exec "${POD_NS[0]}" ping -c1 -W1 "${POD4[4]}"

# --- node removal: tabbyctl delete node releases its IPAM data, its routes go ---
kill -KILL "${PID[3]}"
wait "${PID[3]}" 2>/dev/null
ipam_blocks() { "$TABBYCTL" ipam show --show-blocks; }
tb_assert "before: IPAM shows node3's block ${B4[3]}" cni_output_has "${B4[3]}" ipam_blocks
"$TABBYCTL" delete node node3 >"$TB_TMP/delete.out" || tb_fail "tabbyctl delete node node3"
tb_assert "tabbyctl delete node reports 4 addresses and 2 blocks released" \
	grep -q "Released node node3: 4 addresses, 2 block affinities" "$TB_TMP/delete.out"
tb_assert "after: node3's blocks are gone from IPAM" \
	eval "! ipam_blocks | grep -q -e '${B4[3]}' -e '${B6[3]}'"
ipam_docs() { sqlite3 "$TB_TMP/tabby.db" "select key || ' ' || value from kv where key like '/tabby/v1/ipam/%'"; }
ipam_docs >"$TB_TMP/ipam.after" || tb_fail "reading the IPAM documents with sqlite3"
tb_assert "after: IPAM documents remain (node1, node2), none names node3" \
	eval "grep -q node1 $TB_TMP/ipam.after && ! grep -q node3 $TB_TMP/ipam.after"
tb_assert "after: node3's Node document is gone" eval "! $TABBYCTL get node node3 >/dev/null 2>&1"
for w in tor 1 2; do
	tb_assert "$w: deleted node3's routes gone" tb_wait_for 4 gone "$w"
done
tb_assert "node1 pod -> node2 pod still fine" ip netns exec "${POD_NS[0]}" ping -c1 -W1 "${POD4[2]}"

for i in 1 2; do
	kill -TERM "${PID[$i]}"
	tb_wait_for 10 cni_not_running "${PID[$i]}" || tb_fail "node$i did not stop"
	wait "${PID[$i]}"
	rc=$?
	[ $rc = 0 ] || tb_fail "node$i exited with status $rc after SIGTERM"
done
tb_assert "no sanitizer report in any tabbyd log" \
	eval "! grep -l 'Sanitizer\|runtime error' $TB_TMP/tabbyd*.log"
tb_log "PASS"
