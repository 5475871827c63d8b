#!/usr/bin/env bash
# IP pools' nodeSelector against the node's labels (tabbyd.yaml `labels`,
# written to the Node resource): a pool that does not select the node gives
# no address (IPAM error 100); after the labels change and SIGHUP, it does.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/test_cni_common.sh"

tb_require_root
tb_require_cmd ip jq curl sqlite3 "$TABBY_PLUGIN" "$TABBYD"

cni_node node
# One IPv4 pool, for rack r2 only; the node is in rack r1.
sed -i '/^bootstrapPools:/,$d' "$TB_TMP/tabbyd.yaml"
cat >>"$TB_TMP/tabbyd.yaml" <<EOC
labels: {rack: r1, zone: z1}
bootstrapPools:
  - {name: rack2, cidr: 10.248.0.0/16, nodeSelector: "rack == 'r2'"}
EOC
jq '.ipam = {"type": "tabby", "assign_ipv4": true}' "$TB_TMP/net.json" >"$TB_TMP/v4.json"
tb_netns pod1
P1=/var/run/netns/$(tb_ns pod1)
cni_start_tabbyd

tb_assert "node labels in the Node resource" \
	[ "$(cni_db "select json_extract(value, '$.metadata.labels.rack') from kv where key = '/tabby/v1/nodes/node'")" = r1 ]
cni_run ADD c1 "$P1" eth0 "$TB_TMP/v4.json"
tb_assert "no address from a pool that does not select the node (code 100)" [ "$(cni_code)" = 100 ]
tb_log "ADD refused: $(jq -r .msg "$TB_TMP/out.json")"
tb_assert "nothing left behind by the refused ADD" cni_ns_link_gone "$(tb_ns pod1)" eth0

sed -i 's/^labels: .*/labels: {rack: r2, zone: z1}/' "$TB_TMP/tabbyd.yaml"
kill -HUP "$TABBYD_PID"
tb_assert "reload done" tb_wait_for 5 grep -q "configuration reloaded" "$TB_TMP/tabbyd.log"
tb_assert "labels updated in the Node resource" \
	[ "$(cni_db "select json_extract(value, '$.metadata.labels.rack') from kv where key = '/tabby/v1/nodes/node'")" = r2 ]
cni_run ADD c1 "$P1" eth0 "$TB_TMP/v4.json" || tb_fail "ADD after relabel: $(cat "$TB_TMP/out.json")"
tb_assert "address from the pool that now selects the node" \
	[ "$(jq -r '.ips[0].address' "$TB_TMP/out.json" | cut -d. -f1-2)" = 10.248 ]
tb_assert "DEL" cni_run DEL c1 "$P1" eth0 "$TB_TMP/v4.json"
cni_stop_tabbyd
tb_log "PASS"
