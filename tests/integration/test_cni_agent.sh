#!/usr/bin/env bash
# tabbyd as a service, in namespaces only: a bad configuration names file,
# line and field and exits 1; systemd notification (READY=1 only once the API
# socket listens, STATUS=, WATCHDOG=1, RELOADING=1, STOPPING=1) through a fake
# NOTIFY_SOCKET; SIGHUP reloads (and refuses a broken file); the start-up
# reconciliation removes endpoints whose pod is gone (addresses released) and
# stale routes of Tabby's protocol, and leaves healthy pods alone.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/test_cni_common.sh"

tb_require_root
tb_require_cmd ip jq curl sqlite3 python3 ping "$TABBY_PLUGIN" "$TABBYD"

cni_node node

# A bad configuration: exit status 1, file:line:column and the field named.
printf 'nodeName: node\nbootstrapPools:\n  - name: p\n    cidr: 10.244.0.1/16\n' >"$TB_TMP/bad.yaml"
"$TABBYD" -c "$TB_TMP/bad.yaml" 2>"$TB_TMP/bad.err"
tb_assert "bad config exits with status 1" [ $? = 1 ]
tb_assert "bad config names file, line and field" grep -q "$TB_TMP/bad.yaml:4:[0-9]*: bootstrapPools\[0\].cidr" "$TB_TMP/bad.err"
"$TABBYD" -t -c "$TB_TMP/tabbyd.yaml" >/dev/null
tb_assert "tabbyd -t accepts the good one" [ $? = 0 ]

# A fake systemd: a datagram socket that records what tabbyd sends, noting
# whether the API socket existed when READY=1 arrived.
cat >"$TB_TMP/notify.py" <<'EOP'
import os, socket, sys
path, api, out = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "a", buffering=1) as f:
    while True:
        msg = s.recv(4096).decode()
        for line in msg.split("\n"):
            if line == "READY=1":
                line += " api=%s" % ("yes" if os.path.exists(api) else "no")
            f.write(line + "\n")
EOP
tb_bg "$NODE_NS" notify python3 "$TB_TMP/notify.py" "$TB_TMP/notify.sock" "$TB_TMP/tabbyd.sock" "$TB_TMP/notify.txt"
tb_wait_for 5 test -S "$TB_TMP/notify.sock" || tb_fail "notify listener"
tb_bg "$NODE_NS" tabbyd env NOTIFY_SOCKET="$TB_TMP/notify.sock" WATCHDOG_USEC=400000 \
	"$TABBYD" -c "$TB_TMP/tabbyd.yaml"
TABBYD_PID=$TB_LAST_PID
tb_wait_for 10 cni_api GET /v1/status || tb_fail "tabbyd did not come up"
tb_assert "READY=1 sent after the API socket listens" tb_wait_for 5 grep -q "^READY=1 api=yes" "$TB_TMP/notify.txt"
tb_assert "no READY=1 before the socket" cni_count_is 0 "READY=1 api=no" "$TB_TMP/notify.txt"
tb_assert "STATUS= names the node" grep -q "^STATUS=node node" "$TB_TMP/notify.txt"
tb_assert "WATCHDOG=1 keep-alives (WatchdogSec 0.4 s)" tb_wait_for 3 cni_count_at_least 4 WATCHDOG=1 "$TB_TMP/notify.txt"

# Pods for the reconciliation below.
tb_netns pod1
tb_netns pod2
P1=/var/run/netns/$(tb_ns pod1)
P2=/var/run/netns/$(tb_ns pod2)
cni_run ADD ctr1 "$P1" eth0 || tb_fail "ADD pod1: $(cat "$TB_TMP/out.json")"
cp "$TB_TMP/out.json" "$TB_TMP/add1.json"
cni_run ADD ctr2 "$P2" eth0 || tb_fail "ADD pod2: $(cat "$TB_TMP/out.json")"
cp "$TB_TMP/out.json" "$TB_TMP/add2.json"
A4_2=$(jq -r '.ips[0].address' "$TB_TMP/add2.json" | cut -d/ -f1)

# A second agent on the same socket refuses to start and leaves the first alone.
ip netns exec "$NODE_NS" "$TABBYD" -c "$TB_TMP/tabbyd.yaml" 2>"$TB_TMP/second.err"
tb_assert "a second tabbyd on the same socket exits with status 1" [ $? = 1 ]
tb_assert "... saying another tabbyd is running" grep -q "another tabbyd is running" "$TB_TMP/second.err"
tb_assert "the first one still serves" cni_api GET /v1/status

# SIGHUP: a new log level takes effect; a broken file is refused.
sed -i 's/^logLevel: .*/logLevel: debug/' "$TB_TMP/tabbyd.yaml"
kill -HUP "$TABBYD_PID"
tb_assert "RELOADING=1 sent" tb_wait_for 5 grep -q "^RELOADING=1" "$TB_TMP/notify.txt"
tb_assert "reload logged" tb_wait_for 5 grep -q "configuration reloaded" "$TB_TMP/tabbyd.log"
cni_api GET /v1/status >/dev/null
tb_assert "debug logging after reload" tb_wait_for 5 grep -q "debug: API: GET /v1/status" "$TB_TMP/tabbyd.log"
cp "$TB_TMP/tabbyd.yaml" "$TB_TMP/good.yaml"
echo "mtu: huge" >>"$TB_TMP/tabbyd.yaml"
kill -HUP "$TABBYD_PID"
tb_assert "a broken file is refused on reload" tb_wait_for 5 grep -q "keeping the running configuration" "$TB_TMP/tabbyd.log"
tb_assert "tabbyd still serves after a refused reload" cni_api GET /v1/status
cp "$TB_TMP/good.yaml" "$TB_TMP/tabbyd.yaml"

# Stop; while tabbyd is down pod1 goes away and stale routes of protocol 84 appear.
kill -TERM "$TABBYD_PID"
tb_wait_for 10 cni_not_running "$TABBYD_PID" || tb_fail "tabbyd did not stop"
wait "$TABBYD_PID" 2>/dev/null
tb_assert "clean exit on SIGTERM" [ $? = 0 ]
tb_assert "STOPPING=1 sent" grep -q "^STOPPING=1" "$TB_TMP/notify.txt"
tb_assert "API socket removed at exit" [ ! -e "$TB_TMP/tabbyd.sock" ]
ip netns del "$(tb_ns pod1)"
ip -n "$NODE_NS" route add 10.244.250.7/32 dev up0 proto 84 scope link
ip -n "$NODE_NS" route add blackhole 10.244.251.0/26 proto 84
ip -n "$NODE_NS" route add 10.244.252.0/26 via 198.18.0.2 proto 84
cni_start_tabbyd
tb_assert "pod1's endpoint removed at start" [ "$(cni_api GET /v1/endpoints | jq -r '[.[].containerID] | join(",")')" = ctr2 ]
tb_assert "pod1's addresses released" \
	[ "$(cni_db "select count(*) from kv where key like '/tabby/v1/ipam/handles/tabby-net:ctr1:%'")" = 0 ]
tb_assert "stale host route removed" [ -z "$(ip -n "$NODE_NS" route show 10.244.250.7/32)" ]
tb_assert "stale blackhole removed" [ -z "$(ip -n "$NODE_NS" route show 10.244.251.0/26)" ]
tb_assert "a learned route (with a gateway) left to the FIB" [ -n "$(ip -n "$NODE_NS" route show 10.244.252.0/26)" ]
tb_assert "pod2's route kept" [ -n "$(ip -n "$NODE_NS" route show "$A4_2/32")" ]
tb_assert "pod2 still reaches the node" ip netns exec "$(tb_ns pod2)" ping -c1 -W2 198.18.0.1
tb_assert "reconciliation logged" grep -q "reconciled: 2 endpoints (1 removed)" "$TB_TMP/tabbyd.log"
cni_stop_tabbyd
tb_log "PASS"
