#!/bin/bash
# Cluster routing with an in-cluster route reflector (doc/routing.md, "Peering"):
# three nodes in namespaces on a fabric bridge share one SQLite datastore; the
# sessions follow the cluster resources written with tabbyctl, without a restart.
# Checks: the mesh is on by default (no nodeToNodeMesh in tabbyd.yaml); a
# BGPConfiguration "default" with nodeToNodeMeshEnabled: false removes it
# within a second; node1 labelled route-reflector=true with a
# routeReflectorClusterID restarts only node1's speaker (with a warning);
# BGPPeer {nodeSelector: all(), peerSelector: route-reflector == 'true'}
# gives node2 and node3 one session per address family, to node1 only, and
# node1 one per client and family, marked as route reflector clients in GET
# /v1/bgp and tabbyctl node status; pods on every node reach each other over
# IPv4 and IPv6 through the reflected routes; deleting the BGPPeer removes the
# sessions within a second and applying it again brings them back, with no
# tabbyd or speaker restart; editing the BGPConfiguration back to the mesh
# restores node2 <-> node3; a malformed BGPPeer is logged and ignored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/test_cni_common.sh"
. "$(dirname "$0")/routing_common.sh"

tb_require_root
tb_require_cmd jq curl ping "$TABBYD" "$TABBY_PLUGIN"
TABBYCTL="$top_builddir/src/ctl/tabbyctl"
tb_require_cmd "$TABBYCTL"
DB="sqlite:$TB_TMP/tabby.db"

NODES=(1 2 3)
tb_fabric fab
for i in "${NODES[@]}"; do
	tb_netns "n$i"
	tb_attach "$(tb_ns fab)" "$(tb_ns "n$i")" up0 "198.18.0.$i/24" "2001:db8::$i/64"
	cat >"$TB_TMP/n$i.yaml" <<EOC
nodeName: node$i
datastore: $DB
addresses: [198.18.0.$i/24, '2001:db8::$i/64']
apiSocket: $TB_TMP/n$i.sock
logLevel: info
bootstrapPools:
  - {name: test-ipv4, cidr: 10.244.0.0/16, blockSize: 26}
  - {name: test-ipv6, cidr: 'fd00:10:244::/56', blockSize: 122}
bgp:
  enabled: true
  holdTime: 3
  connectRetry: 1
  fibReconcileSeconds: 2
EOC
	cat >"$TB_TMP/net$i.json" <<EOC
{"cniVersion": "1.0.0", "name": "tabby-net", "type": "tabby", "socket": "$TB_TMP/n$i.sock",
 "ipam": {"type": "tabby", "assign_ipv4": "true", "assign_ipv6": "true"}}
EOC
done

declare -A PID
api() { curl -sf --unix-socket "$TB_TMP/n$1.sock" "http://tabbyd$2"; }
ctl() { "$TABBYCTL" -d "$DB" "$@"; }
is() { local v; v=$("${@:3}") && [ "$v" "$1" "$2" ]; }
# NODE: "ADDRESS:STATE" of every session, sorted, one line
sessions() { api "$1" /v1/bgp | jq -r '[.peers[] | "\(.address):\(.state)"] | sort | join(" ")'; }
established() { api "$1" /v1/bgp | jq '[.peers[] | select(.state == "Established")] | length'; }
npeers() { api "$1" /v1/bgp | jq '.peers | length'; }
restarts() { grep -c 'restarting the speaker' "$TB_TMP/tabbyd$1.log"; }

for i in "${NODES[@]}"; do
	tb_bg "$(tb_ns "n$i")" "tabbyd$i" "$TABBYD" -c "$TB_TMP/n$i.yaml"
	PID[$i]=$TB_LAST_PID
	tb_wait_for 10 api "$i" /v1/status || tb_fail "tabbyd on node$i did not come up"
done
for i in "${NODES[@]}"; do
	tb_assert "node$i: the mesh is on by default: 4 sessions Established" \
		tb_wait_for 15 is -eq 4 established "$i"
done

# --- the mesh off, cluster-wide, by a BGPConfiguration ---
ctl apply -f - <<'Y' >/dev/null || tb_fail "applying BGPConfiguration default"
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec: {nodeToNodeMeshEnabled: false}
Y
for i in "${NODES[@]}"; do
	tb_assert "node$i: nodeToNodeMeshEnabled: false removes the mesh within a second" \
		tb_wait_for 1 is -eq 0 npeers "$i"
done
tb_assert "node2: GET /v1/bgp says node_to_node_mesh false" \
	test "$(api 2 /v1/bgp | jq .node_to_node_mesh)" = false

# --- node1 becomes the route reflector ---
ctl label node node1 route-reflector=true >/dev/null || tb_fail "tabbyctl label node node1"
ctl get node node1 -o json | jq '.spec.bgp.routeReflectorClusterID = "224.0.0.1"' |
	ctl apply -f - >/dev/null || tb_fail "setting node1's routeReflectorClusterID"
tb_assert "node1: the cluster ID restarts its speaker, with a warning" \
	tb_wait_for 2 is -eq 1 restarts 1
tb_assert "node1: GET /v1/bgp shows route_reflector_cluster_id 224.0.0.1" \
	tb_wait_for 2 is = '"224.0.0.1"' eval "api 1 /v1/bgp | jq .route_reflector_cluster_id"

ctl apply -f - <<'Y' >/dev/null || tb_fail "applying BGPPeer peer-with-rrs"
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: peer-with-rrs}
spec: {nodeSelector: all(), peerSelector: "route-reflector == 'true'"}
Y
RR_APPLIED=$(date +%s.%N)
for i in 2 3; do
	tb_assert "node$i: exactly one session per family, to the reflector node1, Established" \
		tb_wait_for 10 is = "198.18.0.1:Established 2001:db8::1:Established" sessions "$i"
done
tb_assert "node1 (RR): a session per client and family, Established" \
	tb_wait_for 10 is = "198.18.0.2:Established 198.18.0.3:Established 2001:db8::2:Established 2001:db8::3:Established" sessions 1
tb_log "sessions up $(awk -v a="$RR_APPLIED" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s after the BGPPeer was applied"
tb_assert "node1: all 4 sessions are route reflector clients from BGPPeer peer-with-rrs" \
	is = 4 eval "api 1 /v1/bgp | jq '[.peers[] | select(.rr_client and .source == \"bgppeer\" and .bgppeer == \"peer-with-rrs\" and (.description | endswith(\"(route reflector client)\")))] | length'"
tb_assert "node2: its session to node1 is plain iBGP, described as the BGPPeer's" \
	is = '"bgppeer peer-with-rrs: node node1" false false' \
	eval "api 2 /v1/bgp | jq -r '.peers[] | select(.address == \"198.18.0.1\") | \"\\\"\(.description)\\\" \(.rr_client) \(.mesh)\"'"
tb_assert "tabbyctl node status on node1 names the route reflector clients" \
	cni_output_has "node node3 (route reflector client)" "$TABBYCTL" --socket "$TB_TMP/n1.sock" node status

# --- pods, one per node; their routes are reflected by node1 ---
for i in "${NODES[@]}"; do
	tb_netns "p$i"
	ns=$(tb_ns "p$i")
	ip netns exec "$(tb_ns "n$i")" env -i PATH="$PATH" CNI_COMMAND=ADD CNI_CONTAINERID="c$i" \
		CNI_NETNS="/var/run/netns/$ns" CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
		"$TABBY_PLUGIN" <"$TB_TMP/net$i.json" >"$TB_TMP/add$i.json" ||
		tb_fail "CNI ADD on node$i: $(cat "$TB_TMP/add$i.json")"
	POD_NS+=("$ns")
	POD4+=("$(jq -r '.ips[] | select(.address | contains(".")) | .address | sub("/.*"; "")' "$TB_TMP/add$i.json")")
	POD6+=("$(jq -r '.ips[] | select(.address | contains(":")) | .address | sub("/.*"; "")' "$TB_TMP/add$i.json")")
done
v4block() { ip -n "$(tb_ns "n$1")" route show type blackhole proto 84 | awk '{print $2; exit}'; }
B3=$(v4block 3)
tb_assert "node2: node3's block $B3 reflected by node1, next hop node3 itself" \
	tb_wait_for 5 eval "ip -n $(tb_ns n2) route show $B3 proto 84 | grep -q 'via 198.18.0.3 '"
tb_assert "all 3 pods reach each other over IPv4 and IPv6 through the reflector (12 pings)" \
	tb_wait_for 10 all_ping

# --- a malformed BGPPeer is logged with its key and field, the rest keeps working ---
# (tabbyctl checks that peerSelector is a string; tabbyd finds that it does not parse.)
ctl apply -f - <<'Y' >/dev/null || tb_fail "applying the malformed BGPPeer aaa-broken"
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: aaa-broken}
spec: {peerSelector: "route-reflector == ("}
Y
for i in "${NODES[@]}"; do
	tb_assert "node$i: the malformed BGPPeer is logged with its key and field" \
		tb_wait_for 2 grep -q 'bgppeers/aaa-broken: spec.peerSelector' "$TB_TMP/tabbyd$i.log"
done
tb_assert "node1: its 4 sessions untouched by the malformed BGPPeer" is -eq 4 established 1

# --- the BGPPeer goes and comes back: only the sessions change ---
R1=$(restarts 1)
ctl delete bgppeer peer-with-rrs >/dev/null || tb_fail "tabbyctl delete bgppeer"
for i in "${NODES[@]}"; do
	tb_assert "node$i: the BGPPeer deleted: its sessions gone within a second" \
		tb_wait_for 1 is -eq 0 npeers "$i"
done
ctl apply -f - <<'Y' >/dev/null || tb_fail "applying BGPPeer peer-with-rrs again"
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: peer-with-rrs}
spec: {nodeSelector: all(), peerSelector: "route-reflector == 'true'"}
Y
tb_assert "node2: the BGPPeer applied again: its sessions configured within a second" \
	tb_wait_for 1 is -eq 2 npeers 2
for i in "${NODES[@]}"; do
	want=$([ "$i" = 1 ] && echo 4 || echo 2)
	tb_assert "node$i: $want sessions Established again" tb_wait_for 8 is -eq "$want" established "$i"
done
for i in "${NODES[@]}"; do
	tb_assert "node$i: the same tabbyd process throughout" kill -0 "${PID[$i]}"
done
tb_assert "node1: no speaker restart for BGPPeer changes" is -eq "$R1" restarts 1
tb_assert "node2, node3: never a speaker restart" eval "[ \$(restarts 2) = 0 ] && [ \$(restarts 3) = 0 ]"

# --- the mesh back on by editing the BGPConfiguration ---
since_rr() { api 2 /v1/bgp | jq -c '.peers[] | select(.address == "198.18.0.1") | [.since, .messages_in]'; }
SINCE_BEFORE=$(since_rr)
ctl get bgpconfig default -o json | jq '.spec.nodeToNodeMeshEnabled = true' |
	ctl apply -f - >/dev/null || tb_fail "editing BGPConfiguration default"
tb_assert "node2: the mesh restored: node3 too, 4 sessions Established" \
	tb_wait_for 8 is = "198.18.0.1:Established 198.18.0.3:Established 2001:db8::1:Established 2001:db8::3:Established" sessions 2
tb_assert "node2: its session to node3 is a mesh session" \
	is = true eval "api 2 /v1/bgp | jq '.peers[] | select(.address == \"198.18.0.3\") | .mesh'"
tb_assert "node2: its session to node1 stayed up (the BGPPeer's, not re-added)" \
	is = '"bgppeer"' eval "api 2 /v1/bgp | jq '.peers[] | select(.address == \"198.18.0.1\") | .source'"
SINCE_AFTER=$(since_rr)
tb_assert "node2: ... same Established time, messages counted on ($SINCE_BEFORE -> $SINCE_AFTER)" \
	test "$(jq -r '.[0]' <<<"$SINCE_BEFORE")" = "$(jq -r '.[0]' <<<"$SINCE_AFTER")" -a \
	"$(jq -r '.[1]' <<<"$SINCE_AFTER")" -ge "$(jq -r '.[1]' <<<"$SINCE_BEFORE")"
tb_assert "node1: still 4 sessions Established, no restart" \
	eval "is -eq 4 established 1 && [ \$(restarts 1) = $R1 ]"
tb_assert "all pods still reach each other" all_ping

for i in "${NODES[@]}"; do
	kill -TERM "${PID[$i]}"
	tb_wait_for 10 cni_not_running "${PID[$i]}" || tb_fail "node$i did not stop"
	wait "${PID[$i]}"
	rc=$?
	[ $rc = 0 ] || tb_fail "node$i exited with status $rc after SIGTERM: $(tail -5 "$TB_TMP/tabbyd$i.log")"
done
tb_assert "no sanitizer report in any tabbyd log" \
	eval "! grep -l 'Sanitizer\|runtime error' $TB_TMP/tabbyd*.log"
tb_log "PASS"
