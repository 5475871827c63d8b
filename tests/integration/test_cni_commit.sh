#!/usr/bin/env bash
# tabbyd wires a pod while the datastore commits its addresses; when that
# commit fails, the ADD must fail with "try again later" (11) and leave
# nothing behind: no veth (host or pod end), no routes, no allocation, no
# workload endpoint. A second client holds the SQLite write lock longer than
# tabbyd's busy_timeout to make the commit fail.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/test_cni_common.sh"

tb_require_root
tb_require_cmd ip jq curl sqlite3 "$TABBY_PLUGIN" "$TABBYD"

CNI_STORE_QUERY='?busy_timeout=200' cni_node node
tb_netns pod1
tb_netns pod2
P1=/var/run/netns/$(tb_ns pod1)
P2=/var/run/netns/$(tb_ns pod2)
cni_start_tabbyd

# The first pod claims the blocks: the second ADD then takes the one-transaction path.
cni_run ADD c1 "$P1" eth0 || tb_fail "ADD pod1: $(cat "$TB_TMP/out.json")"

# Hold the write lock for 3 s (readers still read: WAL mode).
(
	echo "BEGIN IMMEDIATE;"
	echo "SELECT count(*) FROM kv;"
	sleep 3
	echo "COMMIT;"
) | sqlite3 "$TB_TMP/tabby.db" >/dev/null &
LOCK_PID=$!
tb_track_pid "$LOCK_PID"
sleep 0.5

cni_run ADD c2 "$P2" eth0
rc=$?
tb_log "ADD during the lock: rc $rc, $(cat "$TB_TMP/out.json")"
tb_assert "ADD fails while the commit cannot be made" [ "$rc" != 0 ]
tb_assert "with code 11 (try again later)" [ "$(cni_code)" = 11 ]
tb_assert "no pod interface left" cni_ns_link_gone "$(tb_ns pod2)" eth0
wait "$LOCK_PID"
tb_assert "no host veth left (only pod1's)" \
	[ "$(ip -n "$NODE_NS" -o link show | grep -c ': tabby')" = 1 ]
tb_assert "no host route left (only pod1's two)" \
	[ "$(ip -n "$NODE_NS" -4 route show proto 84 | grep -c ' dev tabby')" = 1 ]
tb_assert "no allocation or endpoint of c2" \
	[ "$(cni_db "select count(*) from kv where key like '%:c2:%'")" = 0 ]

cni_run ADD c2 "$P2" eth0 || tb_fail "ADD pod2 after the lock: $(cat "$TB_TMP/out.json")"
A2=$(jq -r '.ips[0].address' "$TB_TMP/out.json" | cut -d/ -f1)
tb_assert "pod2 reaches pod1's node and back" \
	ip netns exec "$(tb_ns pod2)" ping -c1 -W2 198.18.0.1
tb_assert "pod2's address is routed" \
	cni_output_has "$A2" ip -n "$NODE_NS" -4 route show
tb_assert "DEL pod1" cni_run DEL c1 "$P1" eth0
tb_assert "DEL pod2" cni_run DEL c2 "$P2" eth0
cni_stop_tabbyd
tb_log "PASS"
