#!/bin/bash
# Network policy, the seed example (doc/policy.md), with real traffic: two
# nodes in namespaces share one SQLite datastore and run tabbyd (BGP off:
# static routes between the nodes' blocks, so policy is checked without the
# speaker); pods are namespaces made by the CNI plugin with labels from
# args.cni.labels. Checks: without policy every pod reaches the db pod; with
# the Kubernetes NetworkPolicy "only role=frontend reaches role=db on TCP
# 6379" frontends on the same node and on the other node connect (IPv4 and
# IPv6), while other pods, another port, UDP and ping to db are refused; an
# update takes effect on the next new connection while an open connection
# keeps working (conntrack); a pod started afterwards is covered at once
# (set elements, no rebuild); tabbyctl policy show renders the node's table;
# deleting the policy restores traffic; SIGTERM leaves the table in place
# and a restarted tabbyd replaces it atomically.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/test_cni_common.sh"

tb_require_root
tb_require_cmd jq curl nc nft python3 "$TABBYD" "$TABBY_PLUGIN"
TABBYCTL="$top_builddir/src/ctl/tabbyctl"
tb_require_cmd "$TABBYCTL"
DB="sqlite:$TB_TMP/tabby.db"

# A TCP listener on each port given (and a UDP echo on the same ports) that logs
# "conn PEER PORT" per connection and "data PEER LINE" per line received.
cat >"$TB_TMP/listen.py" <<'PY'
import socket, sys, threading
def show(a):
    return a[0][7:] if a[0].startswith("::ffff:") else a[0]
def serve(c, a, port):
    print("conn", show(a), port, flush=True)
    for line in c.makefile("r"):
        print("data", show(a), line.strip(), flush=True)
def tcp(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port)); s.listen(64)
    while True:
        c, a = s.accept()
        threading.Thread(target=serve, args=(c, a, port), daemon=True).start()
def udp(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    while True:
        d, a = s.recvfrom(2048)
        s.sendto(d, a)
for p in sys.argv[1:]:
    threading.Thread(target=tcp, args=(int(p),), daemon=True).start()
    threading.Thread(target=udp, args=(int(p),), daemon=True).start()
print("listening", flush=True)
threading.Event().wait()
PY

tb_fabric fab
for i in 1 2; do
	tb_netns "n$i"
	tb_attach "$(tb_ns fab)" "$(tb_ns "n$i")" up0 "198.18.0.$i/24" "2001:db8::$i/64"
	cat >"$TB_TMP/n$i.yaml" <<EOC
nodeName: node$i
datastore: $DB
addresses: [198.18.0.$i/24, '2001:db8::$i/64']
apiSocket: $TB_TMP/n$i.sock
logLevel: debug
bootstrapPools:
  - {name: test-ipv4, cidr: 10.244.0.0/16, blockSize: 26}
  - {name: test-ipv6, cidr: 'fd00:10:244::/56', blockSize: 122}
EOC
done
declare -A PID NS A4 A6
start_node() { # NODE [LOG-SUFFIX]
	tb_bg "$(tb_ns "n$1")" "tabbyd$1${2:-}" "$TABBYD" -c "$TB_TMP/n$1.yaml"
	PID[$1]=$TB_LAST_PID
	tb_wait_for 10 curl -sf --unix-socket "$TB_TMP/n$1.sock" http://tabbyd/v1/status ||
		tb_fail "tabbyd on node$1 did not come up"
}
start_node 1
start_node 2

# pod_add NODE NAME K8S-NAMESPACE LABELS-JSON-OBJECT: a pod through the CNI plugin.
pod_add() {
	local node=$1 name=$2 kns=$3 labels=$4 ns
	tb_netns "$name"
	ns=$(tb_ns "$name")
	jq -n --arg sock "$TB_TMP/n$node.sock" --argjson l "$labels" \
		'{cniVersion: "1.0.0", name: "tabby-net", type: "tabby", socket: $sock,
		  ipam: {type: "tabby", assign_ipv4: "true", assign_ipv6: "true"},
		  args: {cni: {labels: ($l | to_entries | map({key, value}))}}}' >"$TB_TMP/$name.json"
	ip netns exec "$(tb_ns "n$node")" env -i PATH="$PATH" CNI_COMMAND=ADD CNI_CONTAINERID="c$name" \
		CNI_NETNS="/var/run/netns/$ns" CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
		CNI_ARGS="K8S_POD_NAMESPACE=$kns;K8S_POD_NAME=$name" \
		"$TABBY_PLUGIN" <"$TB_TMP/$name.json" >"$TB_TMP/$name.out" ||
		tb_fail "CNI ADD of $name on node$node: $(cat "$TB_TMP/$name.out")"
	NS[$name]=$ns
	A4[$name]=$(jq -r '.ips[] | select(.address | contains(".")) | .address | sub("/.*"; "")' "$TB_TMP/$name.out")
	A6[$name]=$(jq -r '.ips[] | select(.address | contains(":")) | .address | sub("/.*"; "")' "$TB_TMP/$name.out")
}
pod_add 1 db default '{"role": "db"}'
pod_add 1 fe1 default '{"role": "frontend"}'
pod_add 1 other1 default '{"role": "other"}'
pod_add 2 fe2 default '{"role": "frontend"}'
pod_add 2 other2 default '{"role": "other"}'
tb_log "db ${A4[db]} ${A6[db]}; fe1 ${A4[fe1]}, other1 ${A4[other1]}, fe2 ${A4[fe2]}, other2 ${A4[other2]}"

# Static routes between the nodes' affine blocks (the BGP tests cover announcing them).
for i in 1 2; do
	j=$((3 - i))
	b4=$(ip -n "$(tb_ns "n$j")" route show type blackhole proto 84 | awk '{print $2; exit}')
	b6=$(ip -n "$(tb_ns "n$j")" -6 route show type blackhole proto 84 | awk '{print $2; exit}')
	ip -n "$(tb_ns "n$i")" route add "$b4" via "198.18.0.$j" || tb_fail "route to $b4"
	ip -n "$(tb_ns "n$i")" -6 route add "$b6" via "2001:db8::$j" || tb_fail "route to $b6"
done

tb_bg "${NS[db]}" listen python3 "$TB_TMP/listen.py" 6379 6380
tb_wait_for 5 grep -q listening "$TB_TMP/listen.log" || tb_fail "the listener in db did not start"

conn() { ip netns exec "${NS[$1]}" nc -z -w 1 "$2" "$3" >/dev/null 2>&1; } # POD ADDR PORT
# Allowed: retried for up to 3 s (a first contact may wait for neighbour discovery, and
# the agents apply asynchronously); refused: one attempt, always made after an allowed check
# has shown the ruleset in force.
reach() { tb_wait_for 3 conn "$@"; }
refused() { ! conn "$@"; }
udp_echo() { [ "$(echo ping | ip netns exec "${NS[$1]}" nc -u -w 1 "$2" "$3" 2>/dev/null)" = ping ]; }
table() { ip netns exec "$(tb_ns "n$1")" nft list table inet tabby 2>/dev/null; }
has_rule() { table "$1" | grep -q -- "$2"; } # NODE PATTERN
# NODE PATTERN: the table is there (a failed listing proves nothing) and lacks PATTERN.
lacks_rule() { local t; t=$(table "$1") && ! grep -q -- "$2" <<<"$t"; }

tb_assert "node1: tabbyd applied table inet tabby before READY (no policies yet)" \
	eval "table 1 >/dev/null"
tb_assert "without policy: other1 reaches db on 6379" tb_wait_for 5 conn other1 "${A4[db]}" 6379
tb_assert "without policy: other2 (node2) reaches db on 6379" tb_wait_for 5 conn other2 "${A4[db]}" 6379
tb_assert "without policy: other2 reaches db over IPv6" tb_wait_for 5 conn other2 "${A6[db]}" 6379

# --- the seed example ---
"$TABBYCTL" -d "$DB" apply -f - <<'Y' >/dev/null || tb_fail "tabbyctl apply of the seed policy"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-allow-frontend, namespace: default}
spec:
  podSelector: {matchLabels: {role: db}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {matchLabels: {role: frontend}}
    ports:
    - {protocol: TCP, port: 6379}
Y
tb_assert "node1 applies the policy" tb_wait_for 5 has_rule 1 default/db-allow-frontend
tb_assert "node2 renders it too (the selector sets are cluster-wide)" \
	tb_wait_for 5 has_rule 2 default/db-allow-frontend
tb_assert "fe1 (same node) reaches db on TCP 6379" reach fe1 "${A4[db]}" 6379
tb_assert "fe2 (other node) reaches db on TCP 6379" reach fe2 "${A4[db]}" 6379
tb_assert "fe2 (other node) reaches db on TCP 6379 over IPv6" reach fe2 "${A6[db]}" 6379
tb_assert "other1 (same node) is refused on 6379" refused other1 "${A4[db]}" 6379
tb_assert "other2 (other node) is refused on 6379" refused other2 "${A4[db]}" 6379
tb_assert "other2 is refused over IPv6 too" refused other2 "${A6[db]}" 6379
tb_assert "fe1 is refused on another port (6380)" refused fe1 "${A4[db]}" 6380
tb_assert "fe2 gets no UDP 6379 through" eval "! udp_echo fe2 ${A4[db]} 6379"
tb_assert "fe1 cannot ping db" eval "! ip netns exec ${NS[fe1]} ping -c1 -W1 ${A4[db]} >/dev/null"
tb_assert "db itself still reaches other pods (no egress policy): db -> fe2 ping" \
	eval "ip netns exec ${NS[db]} ping -c1 -W1 ${A4[fe2]} >/dev/null"

# A pod started now is covered at once: its address joins the frontend set by element updates.
pod_add 2 fe3 default '{"role": "frontend"}'
tb_assert "a new frontend pod fe3 (node2) reaches db" tb_wait_for 5 conn fe3 "${A4[db]}" 6379
tb_assert "node1 added fe3 as set elements, without a full ruleset" \
	grep -q "endpoint node2/tabby-net:cfe3:eth0 updated" "$TB_TMP/tabbyd1.log"
tb_assert "tabbyctl policy show --node node1 prints the node's ruleset" \
	cni_output_has "default/db-allow-frontend" "$TABBYCTL" -d "$DB" policy show --node node1

# --- an update takes effect on the next new connection; an open one keeps going ---
mkfifo "$TB_TMP/fe1.fifo"
exec 7<>"$TB_TMP/fe1.fifo"
ip netns exec "${NS[fe1]}" nc "${A4[db]}" 6379 <"$TB_TMP/fe1.fifo" >/dev/null 2>&1 &
tb_track_pid $!
echo before-update >&7
tb_assert "an open connection from fe1 carries data" \
	tb_wait_for 5 grep -q "data ${A4[fe1]} before-update" "$TB_TMP/listen.log"
"$TABBYCTL" -d "$DB" apply -f - <<'Y' >/dev/null || tb_fail "tabbyctl apply of the update"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-allow-frontend, namespace: default}
spec:
  podSelector: {matchLabels: {role: db}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {matchLabels: {role: other}}
    ports:
    - {protocol: TCP, port: 6379}
Y
tb_assert "after the update other1 reaches db" tb_wait_for 5 conn other1 "${A4[db]}" 6379
tb_assert "after the update a new connection from fe1 is refused" refused fe1 "${A4[db]}" 6379
tb_assert "after the update a new connection from fe2 is refused" refused fe2 "${A4[db]}" 6379
echo after-update >&7
tb_assert "the connection fe1 opened before the update still carries data" \
	tb_wait_for 5 grep -q "data ${A4[fe1]} after-update" "$TB_TMP/listen.log"
exec 7>&-

# --- SIGTERM leaves the table; a restart replaces it atomically ---
kill -TERM "${PID[1]}"
tb_wait_for 10 cni_not_running "${PID[1]}" || tb_fail "node1 did not stop"
wait "${PID[1]}" || tb_fail "node1 exited with an error after SIGTERM"
tb_assert "node1 stopped: the table stays (db still protected)" has_rule 1 default/db-allow-frontend
tb_assert "node1 stopped: fe1 still refused" refused fe1 "${A4[db]}" 6379
start_node 1 -restarted
tb_assert "node1 restarted: one table inet tabby, the policy still enforced" \
	test "$(ip netns exec "$(tb_ns n1)" nft list tables | grep -c 'inet tabby')" = 1
tb_assert "node1 restarted: other1 reaches db" reach other1 "${A4[db]}" 6379
tb_assert "node1 restarted: fe1 refused" refused fe1 "${A4[db]}" 6379

# --- deleting the policy restores traffic ---
"$TABBYCTL" -d "$DB" delete knp db-allow-frontend -n default >/dev/null ||
	tb_fail "tabbyctl delete knp"
tb_assert "node1 drops the policy's rules" tb_wait_for 5 lacks_rule 1 default/db-allow-frontend
tb_assert "node2 drops the policy's rules" tb_wait_for 5 lacks_rule 2 default/db-allow-frontend
tb_assert "after deletion fe1 reaches db" reach fe1 "${A4[db]}" 6379
tb_assert "after deletion fe2 reaches db on 6380" reach fe2 "${A4[db]}" 6380
tb_assert "after deletion UDP from fe2 reaches db" udp_echo fe2 "${A4[db]}" 6379

for i in 1 2; do
	kill -TERM "${PID[$i]}"
	tb_wait_for 10 cni_not_running "${PID[$i]}" || tb_fail "node$i did not stop"
	wait "${PID[$i]}" || tb_fail "node$i exited with an error after SIGTERM"
done
tb_assert "no sanitizer report in any tabbyd log" \
	eval "! grep -l 'Sanitizer\|runtime error' $TB_TMP/tabbyd*.log"
tb_log "PASS"
