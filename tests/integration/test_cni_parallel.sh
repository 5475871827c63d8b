#!/usr/bin/env bash
# ADD and DEL of many pods in parallel through the `tabby` plugin (default 100
# pods, 8 at a time): every ADD succeeds, no IPv4 or IPv6 address is given
# twice, every pod has its veth and host routes; after the DELs nothing is
# left: no pod veths, no host routes, no IPAM handles, no endpoints.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/test_cni_common.sh"

tb_require_root
tb_require_cmd ip jq curl sqlite3 xargs "$TABBY_PLUGIN" "$TABBYD"
N=${CNI_PODS:-100}
P=${CNI_PARALLEL:-8}

CNI_LOG_LEVEL=warning cni_node node
for i in $(seq 1 "$N"); do tb_netns "p$i"; done
cni_start_tabbyd

# pod_cmd CMD I: the plugin for pod I, output in $TB_TMP/CMD.I.json.
pod_cmd() {
	ip netns exec "$NODE_NS" env -i CNI_COMMAND="$1" CNI_CONTAINERID="ctr$2" \
		CNI_NETNS="/var/run/netns/${TB_RUN}p$2" CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
		CNI_ARGS="K8S_POD_NAMESPACE=par;K8S_POD_NAME=pod-$2" \
		"$TABBY_PLUGIN" <"$TB_TMP/net.json" >"$TB_TMP/$1.$2.json" || echo "$1 $2" >>"$TB_TMP/failed"
}
export -f pod_cmd
export NODE_NS TB_RUN TB_TMP TABBY_PLUGIN

start=$(date +%s%N)
seq 1 "$N" | xargs -P "$P" -I{} bash -c 'pod_cmd ADD {}'
tb_log "$N ADDs, $P in parallel: $(( ($(date +%s%N) - start) / 1000000 )) ms"
[ -s "$TB_TMP/failed" ] && tb_fail "failed ADDs: $(head -3 "$TB_TMP/failed"); $(cat "$TB_TMP/ADD.$(head -1 "$TB_TMP/failed" | cut -d' ' -f2).json")"
jq -r '.ips[].address' "$TB_TMP"/ADD.*.json | sort >"$TB_TMP/addrs"
tb_assert "$N IPv4 addresses" [ "$(grep -c '\.' "$TB_TMP/addrs")" = "$N" ]
tb_assert "$N IPv6 addresses" [ "$(grep -c ':' "$TB_TMP/addrs")" = "$N" ]
tb_assert "no address given twice" [ -z "$(uniq -d "$TB_TMP/addrs")" ]
tb_assert "$N pod veths on the node" [ "$(ip -n "$NODE_NS" -o link show | grep -c ': tabby')" = "$N" ]
tb_assert "$N IPv4 host routes" [ "$(ip -n "$NODE_NS" -4 route show proto 84 | grep -vc blackhole)" = "$N" ]
tb_assert "$N IPv6 host routes" [ "$(ip -n "$NODE_NS" -6 route show proto 84 | grep -vc blackhole)" = "$N" ]
tb_assert "$N endpoints" [ "$(cni_api GET /v1/endpoints | jq length)" = "$N" ]
tb_assert "$N IPAM handles" [ "$(cni_db "select count(*) from kv where key like '/tabby/v1/ipam/handles/%'")" = "$N" ]
# Every pod's eth0 holds exactly the addresses its result named.
for i in 1 $((N / 2)) "$N"; do
	a=$(jq -r '.ips[0].address' "$TB_TMP/ADD.$i.json")
	tb_assert "pod $i has $a" cni_output_has "inet $a" ip -n "${TB_RUN}p$i" addr show dev eth0
done
tb_assert "pod 1 reaches pod $N" ip netns exec "${TB_RUN}p1" ping -c1 -W2 \
	"$(jq -r '.ips[0].address' "$TB_TMP/ADD.$N.json" | cut -d/ -f1)"

start=$(date +%s%N)
seq 1 "$N" | xargs -P "$P" -I{} bash -c 'pod_cmd DEL {}'
tb_log "$N DELs, $P in parallel: $(( ($(date +%s%N) - start) / 1000000 )) ms"
[ -s "$TB_TMP/failed" ] && tb_fail "failed DELs: $(head -3 "$TB_TMP/failed")"
tb_assert "no pod veth left" tb_wait_for 5 cni_no_pod_links
tb_assert "no host route left" [ "$(ip -n "$NODE_NS" route show proto 84 | grep -vc blackhole)" = 0 ]
tb_assert "no IPv6 host route left" [ "$(ip -n "$NODE_NS" -6 route show proto 84 | grep -vc blackhole)" = 0 ]
tb_assert "no endpoint left" [ "$(cni_api GET /v1/endpoints | jq length)" = 0 ]
tb_assert "no IPAM handle left" [ "$(cni_db "select count(*) from kv where key like '/tabby/v1/ipam/handles/%'")" = 0 ]
tb_assert "no pod kept an eth0" [ "$(for i in $(seq 1 "$N"); do ip -n "${TB_RUN}p$i" -o link show eth0 2>/dev/null; done | wc -l)" = 0 ]
cni_stop_tabbyd
tb_log "PASS"
