#!/usr/bin/env bash
# The `tabby` CNI plugin end to end, in namespaces only: a node namespace runs
# tabbyd, two pods are namespaces wired by the plugin. ADD, pod-to-pod and
# pod-to-node pings over IPv4 and IPv6, CHECK (passes, then fails once a host
# route is deleted by hand), DEL (veth, routes and allocation gone), DEL again,
# and a tabbyd restart that running pods do not notice.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/test_cni_common.sh"

tb_require_root
tb_require_cmd ip jq curl sqlite3 ping "$TABBY_PLUGIN" "$TABBYD"

cni_node node
tb_netns pod1
tb_netns pod2
P1=/var/run/netns/$(tb_ns pod1)
P2=/var/run/netns/$(tb_ns pod2)
cni_start_tabbyd

# ADD two pods.
cni_run ADD ctr1 "$P1" eth0 "" "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1;IgnoreUnknown=1" ||
	tb_fail "ADD pod1: $(cat "$TB_TMP/out.json")"
cp "$TB_TMP/out.json" "$TB_TMP/add1.json"
cni_run ADD ctr2 "$P2" eth0 || tb_fail "ADD pod2: $(cat "$TB_TMP/out.json")"
cp "$TB_TMP/out.json" "$TB_TMP/add2.json"
tb_assert "ADD result is CNI 1.0.0" [ "$(jq -r .cniVersion "$TB_TMP/add1.json")" = 1.0.0 ]
A4_1=$(jq -r '.ips[] | select(.address | contains(".")) | .address' "$TB_TMP/add1.json" | cut -d/ -f1)
A6_1=$(jq -r '.ips[] | select(.address | contains(":")) | .address' "$TB_TMP/add1.json" | cut -d/ -f1)
A4_2=$(jq -r '.ips[] | select(.address | contains(".")) | .address' "$TB_TMP/add2.json" | cut -d/ -f1)
A6_2=$(jq -r '.ips[] | select(.address | contains(":")) | .address' "$TB_TMP/add2.json" | cut -d/ -f1)
VETH1=$(jq -r '.interfaces[0].name' "$TB_TMP/add1.json")
tb_log "pod1 $A4_1 $A6_1 ($VETH1), pod2 $A4_2 $A6_2"
tb_assert "pod1 got an IPv4 address from the pool" [ "${A4_1#10.244.}" != "$A4_1" ]
tb_assert "pod1 got an IPv6 address from the pool" [ "${A6_1#fd00:10:244:}" != "$A6_1" ]
tb_assert "pods have different IPv4 addresses" [ "$A4_1" != "$A4_2" ]
tb_assert "pods have different IPv6 addresses" [ "$A6_1" != "$A6_2" ]
tb_assert "pod1 has eth0 with its address" cni_output_has "$A4_1/32" ip -n "$(tb_ns pod1)" -4 addr show dev eth0
tb_assert "host route for pod1" cni_output_has "dev $VETH1" ip -n "$NODE_NS" route show "$A4_1/32"
tb_assert "blackhole route for pod1's block" cni_output_has 10.244. ip -n "$NODE_NS" route show type blackhole
tb_assert "endpoint listed by the API" \
	[ "$(cni_api GET /v1/endpoints | jq -r '.[] | select(.containerID=="ctr1") | .pod')" = web-1 ]

# Traffic: pod to pod and pod to node, both families.
tb_assert "ping pod1 -> pod2 (IPv4)" ip netns exec "$(tb_ns pod1)" ping -c1 -W2 "$A4_2"
tb_assert "ping pod1 -> pod2 (IPv6)" ip netns exec "$(tb_ns pod1)" ping -6 -c1 -W2 "$A6_2"
tb_assert "ping pod2 -> node (IPv4)" ip netns exec "$(tb_ns pod2)" ping -c1 -W2 198.18.0.1
tb_assert "ping pod2 -> node (IPv6)" ip netns exec "$(tb_ns pod2)" ping -6 -c1 -W2 2001:db8::1

# CHECK with prevResult: passes, then fails without the host route.
jq --slurpfile r "$TB_TMP/add1.json" '. + {prevResult: $r[0]}' "$TB_TMP/net.json" >"$TB_TMP/check1.json"
tb_assert "CHECK pod1 passes" cni_run CHECK ctr1 "$P1" eth0 "$TB_TMP/check1.json"
ip -n "$NODE_NS" route del "$A4_1/32" dev "$VETH1"
cni_run CHECK ctr1 "$P1" eth0 "$TB_TMP/check1.json" && tb_fail "CHECK passed without the host route"
tb_assert "CHECK failure names the route" grep -q "$A4_1" "$TB_TMP/out.json"
tb_log "CHECK failed as it should: $(jq -r .msg "$TB_TMP/out.json")"
tb_assert "CHECK failure has a plugin error code" [ "$(cni_code)" = 102 ]
ip -n "$NODE_NS" route add "$A4_1/32" dev "$VETH1" proto 84 scope link
tb_assert "CHECK pod1 passes again with the route restored" cni_run CHECK ctr1 "$P1" eth0 "$TB_TMP/check1.json"

# Restart tabbyd: pods keep working, state survives.
cni_stop_tabbyd
tb_assert "pod2 still reaches the node with tabbyd stopped" ip netns exec "$(tb_ns pod2)" ping -c1 -W2 198.18.0.1
cni_run ADD ctr3 "$P1" eth1
tb_assert "ADD with tabbyd down fails fast with code 11" [ "$(cni_code)" = 11 ]
tb_assert "the error says tabbyd is not running" grep -q "tabbyd is not running" "$TB_TMP/out.json"
cni_start_tabbyd
tb_assert "ping pod1 -> pod2 after restart (IPv4)" ip netns exec "$(tb_ns pod1)" ping -c1 -W2 "$A4_2"
tb_assert "ping pod1 -> pod2 after restart (IPv6)" ip netns exec "$(tb_ns pod1)" ping -6 -c1 -W2 "$A6_2"
tb_assert "both endpoints still known" [ "$(cni_api GET /v1/endpoints | jq length)" = 2 ]
tb_assert "pod2's veth untouched by the restart" ip -n "$NODE_NS" link show "$(jq -r '.interfaces[0].name' "$TB_TMP/add2.json")"

tb_assert "pod1's IPAM handle exists before DEL" \
	[ "$(cni_db "select count(*) from kv where key like '/tabby/v1/ipam/handles/tabby-net:ctr1:%'")" = 1 ]

# DEL pod1: veth, routes, allocation and endpoint gone; DEL again succeeds.
tb_assert "DEL pod1" cni_run DEL ctr1 "$P1" eth0
tb_assert "pod1's host veth is gone" tb_wait_for 5 cni_link_gone "$VETH1"
tb_assert "no host route for pod1 left" [ -z "$(ip -n "$NODE_NS" route show "$A4_1/32")" ]
tb_assert "no IPv6 host route for pod1 left" [ -z "$(ip -n "$NODE_NS" -6 route show "$A6_1/128")" ]
tb_assert "pod1's eth0 is gone" cni_ns_link_gone "$(tb_ns pod1)" eth0
tb_assert "pod1's IPAM handle is released" \
	[ "$(cni_db "select count(*) from kv where key like '/tabby/v1/ipam/handles/tabby-net:ctr1:%'")" = 0 ]
tb_assert "pod1's endpoint document is gone" [ "$(cni_api GET /v1/endpoints | jq length)" = 1 ]
tb_assert "DEL pod1 again succeeds" cni_run DEL ctr1 "$P1" eth0
ip netns del "$(tb_ns pod1)"
tb_assert "DEL with the netns gone succeeds" cni_run DEL ctr1 "$P1" eth0
tb_assert "pod2 still answers" ip netns exec "$(tb_ns pod2)" ping -c1 -W2 198.18.0.1

# Status and a clean SIGTERM.
tb_assert "status says ready" [ "$(cni_api GET /v1/status | jq -r .ready)" = true ]
cni_stop_tabbyd
tb_log "PASS"
