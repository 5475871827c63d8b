#!/bin/bash
# Network policy with real traffic, beyond the seed example (doc/policy.md):
# two nodes in namespaces (tabbyd each, one SQLite datastore, static routes
# between their blocks), pods made by the CNI plugin in Kubernetes
# namespaces prod and dev (Namespace resources with labels), an "outside"
# host on the fabric. Checks, each with real TCP connections: default-deny
# ingress, default-deny egress, namespaceSelector (and a Namespace relabel),
# ipBlock with except, a port range (endPort), Calico rule matches (ICMP
# type, notPorts, selector expressions, a namespaceSelector with !=), Calico
# order with Deny and Pass (GlobalNetworkPolicy, Calico and Kubernetes
# NetworkPolicy together),
# a workload endpoint relabelled with tabbyctl, natOutgoing (the outside sees
# the node's address, a pod on another node sees the pod's), and a
# malformed policy written straight into the datastore: the agent logs its
# key and field and keeps the last good ruleset (later valid changes wait)
# until it is deleted; tabbyctl refuses the same policy naming the field.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/test_cni_common.sh"

tb_require_root
tb_require_cmd jq curl nc nft python3 sqlite3 "$TABBYD" "$TABBY_PLUGIN"
TABBYCTL="$top_builddir/src/ctl/tabbyctl"
tb_require_cmd "$TABBYCTL"
DB="sqlite:$TB_TMP/tabby.db"

# A TCP listener on each port given that logs "conn PEER PORT" per connection.
cat >"$TB_TMP/listen.py" <<'PY'
import socket, sys, threading
def tcp(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port)); s.listen(64)
    while True:
        c, a = s.accept()
        peer = a[0][7:] if a[0].startswith("::ffff:") else a[0]
        print("conn", peer, port, flush=True)
        c.close()
for p in sys.argv[1:]:
    threading.Thread(target=tcp, args=(int(p),), daemon=True).start()
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
logLevel: info
policy: {enabled: true}
bootstrapPools:
  - {name: test-ipv4, cidr: 10.244.0.0/16, blockSize: 26, natOutgoing: true}
EOC
done
tb_netns out
tb_attach "$(tb_ns fab)" "$(tb_ns out)" up0 198.18.0.100/24
declare -A PID NS A4
for i in 1 2; do
	tb_bg "$(tb_ns "n$i")" "tabbyd$i" "$TABBYD" -c "$TB_TMP/n$i.yaml"
	PID[$i]=$TB_LAST_PID
done
for i in 1 2; do
	tb_wait_for 10 curl -sf --unix-socket "$TB_TMP/n$i.sock" http://tabbyd/v1/status ||
		tb_fail "tabbyd on node$i did not come up"
done

ctl_apply() { "$TABBYCTL" -d "$DB" apply -f - >/dev/null || tb_fail "tabbyctl apply: $1"; }
ctl_apply namespaces <<'Y'
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {team: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: dev, labels: {team: dev}}
Y

pod_add() { # NODE NAME K8S-NAMESPACE LABELS-JSON-OBJECT
	local node=$1 name=$2 kns=$3 labels=$4 ns
	tb_netns "$name"
	ns=$(tb_ns "$name")
	jq -n --arg sock "$TB_TMP/n$node.sock" --argjson l "$labels" \
		'{cniVersion: "1.0.0", name: "tabby-net", type: "tabby", socket: $sock,
		  ipam: {type: "tabby", assign_ipv4: "true", assign_ipv6: "false"},
		  args: {cni: {labels: ($l | to_entries | map({key, value}))}}}' >"$TB_TMP/$name.json"
	ip netns exec "$(tb_ns "n$node")" env -i PATH="$PATH" CNI_COMMAND=ADD CNI_CONTAINERID="c$name" \
		CNI_NETNS="/var/run/netns/$ns" CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
		CNI_ARGS="K8S_POD_NAMESPACE=$kns;K8S_POD_NAME=$name" \
		"$TABBY_PLUGIN" <"$TB_TMP/$name.json" >"$TB_TMP/$name.out" ||
		tb_fail "CNI ADD of $name on node$node: $(cat "$TB_TMP/$name.out")"
	NS[$name]=$ns
	A4[$name]=$(jq -r '.ips[0].address | sub("/.*"; "")' "$TB_TMP/$name.out")
}
pod_add 1 srv prod '{"app": "srv"}'
pod_add 1 cli1 prod '{"app": "cli"}'
pod_add 2 cli2 dev '{"app": "cli"}'
pod_add 2 cli3 prod '{"app": "cli"}'
tb_log "srv ${A4[srv]}, cli1 ${A4[cli1]} (node1, prod), cli2 ${A4[cli2]} (node2, dev), cli3 ${A4[cli3]} (node2, prod)"
for i in 1 2; do
	j=$((3 - i))
	b4=$(ip -n "$(tb_ns "n$j")" route show type blackhole proto 84 | awk '{print $2; exit}')
	ip -n "$(tb_ns "n$i")" route add "$b4" via "198.18.0.$j" || tb_fail "route to $b4"
done
tb_bg "${NS[srv]}" listen-srv python3 "$TB_TMP/listen.py" 80 7000 7005 7010 7011
for p in cli1 cli2 cli3; do tb_bg "${NS[$p]}" "listen-$p" python3 "$TB_TMP/listen.py" 80; done
tb_bg "$(tb_ns out)" listen-out python3 "$TB_TMP/listen.py" 80
for l in srv cli1 cli2 cli3 out; do
	tb_wait_for 5 grep -q listening "$TB_TMP/listen-$l.log" || tb_fail "listener $l did not start"
done

conn() { ip netns exec "${NS[$1]}" nc -z -w 1 "${A4[$2]}" "${3:-80}" >/dev/null 2>&1; } # FROM TO [PORT]
# Allowed: retried for up to 3 s (a first contact may wait for neighbour discovery, and
# the agents apply asynchronously); refused: one attempt, always made after an allowed check
# has shown the ruleset in force.
reach() { tb_wait_for 3 conn "$@"; }
refused() { ! conn "$@"; }
table() { ip netns exec "$(tb_ns "n$1")" nft list table inet tabby 2>/dev/null; }
has_rule() { table "$1" | grep -q -- "$2"; } # NODE PATTERN
# NODE PATTERN: the table is there (a failed listing proves nothing) and lacks PATTERN.
lacks_rule() { local t; t=$(table "$1") && ! grep -q -- "$2" <<<"$t"; }
applied() { tb_wait_for 5 has_rule 1 "$1" && tb_wait_for 5 has_rule 2 "$1"; } # on both nodes
gone() { tb_wait_for 5 lacks_rule 1 "$1" && tb_wait_for 5 lacks_rule 2 "$1"; }
ctl_delete() { "$TABBYCTL" -d "$DB" delete "$@" >/dev/null || tb_fail "tabbyctl delete $*"; }

tb_assert "without policy: cli2 reaches srv, cli1 reaches cli2" \
	tb_wait_for 5 eval "reach cli2 srv && reach cli1 cli2"

# --- default-deny ingress for namespace prod ---
ctl_apply deny-ingress <<'Y'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-ingress, namespace: prod}
spec: {podSelector: {}, policyTypes: [Ingress]}
Y
applied prod/default-deny-ingress
tb_assert "default-deny ingress: cli2 (dev) -> srv (prod) refused" refused cli2 srv
tb_assert "default-deny ingress: cli1 -> srv in the same namespace and node refused" refused cli1 srv
tb_assert "default-deny ingress: cli2 -> cli3 (prod, same node) refused" refused cli2 cli3
tb_assert "default-deny ingress: prod pods still go out: cli1 -> cli2 (dev)" reach cli1 cli2
ctl_delete knp default-deny-ingress -n prod
gone prod/default-deny-ingress
tb_assert "deleted: cli2 -> srv works again" reach cli2 srv

# --- default-deny egress for namespace prod ---
ctl_apply deny-egress <<'Y'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-egress, namespace: prod}
spec: {podSelector: {}, policyTypes: [Egress]}
Y
applied prod/default-deny-egress
tb_assert "default-deny egress: cli1 (prod) -> cli2 (dev) refused" refused cli1 cli2
tb_assert "default-deny egress: cli3 (prod, node2) -> srv refused" refused cli3 srv
tb_assert "default-deny egress: cli2 (dev) -> srv (prod) still works" reach cli2 srv
ctl_delete knp default-deny-egress -n prod
gone prod/default-deny-egress
tb_assert "deleted: cli1 -> cli2 works again" reach cli1 cli2

# --- namespaceSelector, then the Namespace's labels change ---
ctl_apply ns-selector <<'Y'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-dev, namespace: prod}
spec:
  podSelector: {matchLabels: {app: srv}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: dev}}}]
    ports: [{protocol: TCP, port: 80}]
Y
applied prod/from-dev
tb_assert "namespaceSelector team=dev: cli2 (dev) -> srv allowed" reach cli2 srv
tb_assert "namespaceSelector team=dev: cli1 (prod) -> srv refused" refused cli1 srv
tb_assert "namespaceSelector team=dev: cli3 (prod, node2) -> srv refused" refused cli3 srv
ctl_apply relabel-prod <<'Y'
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {team: dev}}
Y
tb_assert "Namespace prod relabelled team=dev: cli1 -> srv allowed" tb_wait_for 5 conn cli1 srv
ctl_apply relabel-prod-back <<'Y'
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {team: prod}}
Y
tb_assert "Namespace prod back to team=prod: cli1 -> srv refused again" \
	tb_wait_for 5 refused cli1 srv
ctl_delete knp from-dev -n prod
gone prod/from-dev

# --- ipBlock with except ---
ctl_apply ipblock <<Y
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ipblock, namespace: prod}
spec:
  podSelector: {matchLabels: {app: srv}}
  ingress:
  - from: [{ipBlock: {cidr: 10.244.0.0/16, except: [${A4[cli2]}/32]}}]
Y
applied prod/ipblock
tb_assert "ipBlock 10.244.0.0/16: cli1 -> srv allowed" reach cli1 srv
tb_assert "ipBlock 10.244.0.0/16: cli3 (node2) -> srv allowed" reach cli3 srv
tb_assert "ipBlock except ${A4[cli2]}/32: cli2 -> srv refused" refused cli2 srv
ctl_delete knp ipblock -n prod
gone prod/ipblock

# --- a port range (endPort) ---
ctl_apply endport <<'Y'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ports, namespace: prod}
spec:
  podSelector: {matchLabels: {app: srv}}
  ingress:
  - ports: [{protocol: TCP, port: 7000, endPort: 7010}]
Y
applied prod/ports
tb_assert "endPort 7000-7010: 7000, 7005 and 7010 allowed" \
	eval "reach cli1 srv 7000 && reach cli2 srv 7005 && reach cli3 srv 7010"
tb_assert "endPort 7000-7010: 7011 refused" refused cli1 srv 7011
tb_assert "endPort 7000-7010: 80 refused" refused cli2 srv 80
ctl_delete knp ports -n prod
gone prod/ports

# --- Calico rule matches: ICMP type, notPorts, selector expressions ---
ctl_apply calico-matches <<'Y'
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: matches, namespace: prod}
spec:
  selector: app in {'srv', 'db'} && !has(canary)
  ingress:
  - {action: Allow, protocol: ICMP, icmp: {type: 8}}
  - action: Allow
    protocol: TCP
    source: {selector: "app == 'cli'", namespaceSelector: "team != 'dev'"}
    destination: {notPorts: ['7000:7005']}
Y
applied prod/matches
tb_assert "ICMP type 8 allowed: cli2 pings srv" \
	eval "ip netns exec ${NS[cli2]} ping -c1 -W1 ${A4[srv]} >/dev/null"
tb_assert "notPorts 7000:7005: cli1 reaches srv on 80 and 7010, not on 7005" \
	eval "reach cli1 srv 80 && reach cli3 srv 7010 && refused cli1 srv 7005"
tb_assert "namespaceSelector team != 'dev': cli2 (dev) refused on TCP" refused cli2 srv 80
ctl_delete networkpolicy matches -n prod
gone prod/matches

# --- Calico order, Deny and Pass ---
# Kubernetes (order 1000): prod clients may reach srv. Calico NP (order 500): deny cli1.
ctl_apply order <<Y
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: prod-clients, namespace: prod}
spec:
  podSelector: {matchLabels: {app: srv}}
  ingress: [{from: [{podSelector: {matchLabels: {app: cli}}}]}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: deny-cli1, namespace: prod}
spec:
  order: 500
  selector: app == 'srv'
  types: [Ingress]
  ingress: [{action: Deny, source: {nets: [${A4[cli1]}/32]}}]
Y
applied prod/prod-clients
applied prod/deny-cli1
tb_assert "order 500 Deny beats the Kubernetes allow (order 1000): cli1 refused" refused cli1 srv
tb_assert "Kubernetes allow: cli3 (prod) reaches srv" reach cli3 srv
tb_assert "Kubernetes allow is namespaced: cli2 (dev) refused" refused cli2 srv
# Global order 10: Pass for cli1 and cli2 (skips the rest of the tier: allowed), Deny cli3.
ctl_apply gnp <<Y
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: gate}
spec:
  order: 10
  selector: app == 'srv'
  ingress:
  - {action: Pass, source: {nets: [${A4[cli1]}/32, ${A4[cli2]}/32]}}
  - {action: Log, protocol: TCP, source: {selector: app == 'cli'}}
  - {action: Deny, source: {selector: app == 'cli' && projectcalico.org/namespace == 'prod'}}
Y
applied '"gate"'
tb_assert "GNP order 10 Pass skips the order 500 Deny: cli1 reaches srv" reach cli1 srv
tb_assert "GNP order 10 Pass skips the namespaced Kubernetes policy: cli2 reaches srv" reach cli2 srv
tb_assert "GNP order 10 Deny (prod clients) beats the Kubernetes allow: cli3 refused" refused cli3 srv
ctl_delete gnp gate
gone '"gate"'
tb_assert "GNP deleted: cli3 reaches srv again (Kubernetes allow)" reach cli3 srv
# A workload endpoint relabelled with tabbyctl: cli3 is no longer app=cli, so no allow matches.
"$TABBYCTL" -d "$DB" label wep tabby-net:ccli3:eth0 app=other --overwrite >/dev/null ||
	tb_fail "tabbyctl label wep tabby-net:ccli3:eth0 app=other"
tb_assert "cli3 relabelled app=other with tabbyctl: refused" tb_wait_for 5 refused cli3 srv
tb_assert "cli1 is still denied, by the order 500 policy" refused cli1 srv
ctl_delete knp prod-clients -n prod
ctl_delete networkpolicy deny-cli1 -n prod
gone prod/prod-clients
gone prod/deny-cli1
tb_assert "all deleted: cli3 and cli1 reach srv" eval "reach cli3 srv && reach cli1 srv"

# --- natOutgoing ---
tb_wait_for 3 ip netns exec "${NS[cli1]}" nc -z -w 1 198.18.0.100 80 || tb_fail "cli1 -> outside 198.18.0.100"
tb_assert "natOutgoing: the outside sees node1's address for cli1" \
	tb_wait_for 3 grep -q "conn 198.18.0.1 80" "$TB_TMP/listen-out.log"
tb_assert "natOutgoing: the outside never sees a pod address" \
	eval "! grep -q 'conn 10.244' $TB_TMP/listen-out.log"
reach cli1 cli3 || tb_fail "cli1 -> cli3"
tb_assert "between pools no NAT: cli3 (node2) sees cli1's own address" \
	tb_wait_for 3 grep -q "conn ${A4[cli1]} 80" "$TB_TMP/listen-cli3.log"

# --- a malformed policy in the store: logged, the last good ruleset stays ---
ctl_apply good <<'Y'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: good, namespace: prod}
spec:
  podSelector: {matchLabels: {app: srv}}
  ingress: [{ports: [{protocol: TCP, port: 80}]}]
Y
applied prod/good
tb_assert "the good policy: cli1 reaches srv on 80, 7000 refused" \
	eval "reach cli1 srv && refused cli1 srv 7000"
BAD='{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"broken","namespace":"prod"},"spec":{"podSelector":{},"ingress":[{"ports":[{"port":80,"endPort":70}]}]}}'
BADKEY=/tabby/v1/policies/prod/knp.default.broken
# Straight into the datastore (bypassing tabbyctl), as the store back end writes: a new revision
# in the change log and the key.
sqlite3 "$TB_TMP/tabby.db" <<SQL || tb_fail "writing the malformed policy with sqlite3"
.timeout 5000
BEGIN IMMEDIATE;
CREATE TEMP TABLE r AS SELECT (ifnull((SELECT max(id) FROM changes), 0) >> 20) + 1 AS rev;
INSERT INTO kv(key, value, create_rev, mod_rev) SELECT '$BADKEY', '$BAD', rev, rev FROM r;
INSERT INTO changes(id, rev, key, value, create_rev) SELECT rev * 1048576, rev, '$BADKEY', '$BAD', rev FROM r;
COMMIT;
SQL
for i in 1 2; do
	tb_assert "node$i logs the malformed policy with its key and field" \
		tb_wait_for 5 grep -q "malformed policy $BADKEY: spec.ingress\[0\].ports\[0\].endPort" \
		"$TB_TMP/tabbyd$i.log"
done
tb_assert "node1 says it keeps the last good ruleset" \
	grep -q "keeping the last good ruleset in force" "$TB_TMP/tabbyd1.log"
tb_assert "the last good ruleset is still enforced: cli1 -> srv 80 ok, 7000 refused" \
	eval "reach cli1 srv && refused cli1 srv 7000 && has_rule 1 prod/good"
# A valid change meanwhile waits: the ruleset does not change while a stored policy is malformed.
ctl_apply deny-while-bad <<Y
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: later, namespace: prod}
spec:
  order: 1
  selector: app == 'srv'
  ingress: [{action: Deny, source: {nets: [${A4[cli1]}/32]}}]
Y
sleep 1
tb_assert "a valid change made meanwhile is not applied yet (cli1 still reaches srv)" \
	eval "reach cli1 srv && lacks_rule 1 prod/later"
tb_assert "tabbyctl refuses the malformed policy naming the field" \
	eval "! echo '$BAD' | $TABBYCTL -d $DB apply -f - 2>$TB_TMP/ctl.err && grep -q 'spec.ingress\[0\].ports\[0\].endPort' $TB_TMP/ctl.err"
ctl_delete knp broken -n prod
applied prod/later
tb_assert "the malformed policy deleted: node1 logs that every policy is valid again" \
	grep -q "every stored policy is valid again" "$TB_TMP/tabbyd1.log"
tb_assert "the waiting change is in force: cli1 refused, cli3 reaches srv" \
	eval "refused cli1 srv && reach cli3 srv"

for i in 1 2; do
	kill -TERM "${PID[$i]}"
	tb_wait_for 10 cni_not_running "${PID[$i]}" || tb_fail "node$i did not stop"
	wait "${PID[$i]}" || tb_fail "node$i exited with an error after SIGTERM"
done
tb_assert "no sanitizer report in any tabbyd log" \
	eval "! grep -l 'Sanitizer\|runtime error' $TB_TMP/tabbyd*.log"
tb_log "PASS"
