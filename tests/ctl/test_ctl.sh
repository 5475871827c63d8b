#!/usr/bin/env bash
# tabbyctl against a SQLite store with fixture data: resources (apply, create,
# replace, get in every format, label, delete), validation errors with
# file:line: field, all-or-nothing apply, ipam show/check/release, exit codes.
# Table outputs are compared with golden files in tests/ctl/golden/.
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${top_builddir:-$src/build}
T="$bld/src/ctl/tabbyctl"
FIX="$bld/tests/ctl/ctl_fixture"
G="$src/tests/ctl/golden"
F="$src/tests/ctl/fixtures"
tmp=$(mktemp -d /tmp/tabbyctl-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export TABBY_DATASTORE="sqlite:$tmp/store.db"
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*" >&2
}

# expect RC NAME CMD...: run, keep stdout/stderr in $tmp/out and $tmp/err.
expect() {
	local want=$1 name=$2 rc
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want" ]; then ok; else
		bad "$name: exit $rc, expected $want"
		sed 's/^/    | /' "$tmp/out" "$tmp/err" >&2
	fi
}
# golden NAME FILE: compare a file with tests/ctl/golden/NAME (TABBY_UPDATE_GOLDEN=1 rewrites).
golden() {
	if [ "${TABBY_UPDATE_GOLDEN:-}" = 1 ]; then cp "$2" "$G/$1"; fi
	if diff -u "$G/$1" "$2" >"$tmp/diff"; then ok; else
		bad "output differs from golden/$1"
		cat "$tmp/diff" >&2
	fi
}
has() {
	if grep -qF -- "$2" "$1"; then ok; else
		bad "expected \"$2\" in $(basename "$1")"
		sed 's/^/    | /' "$1" >&2
	fi
}
count() { "$T" get "$1" -o json 2>/dev/null | grep -c '"kind":.*"'"$2"'"'; }

# --- Calico's documentation samples apply unchanged, with warnings naming what Tabby ignores.
expect 0 "apply calico docs" "$T" apply -f "$F/calico-docs.yaml"
has "$tmp/out" "Successfully applied 5 resource(s)"
has "$tmp/err" "calico-docs.yaml:9: spec.ipipMode: Tabby has no overlay"
has "$tmp/err" "calico-docs.yaml:42: spec.bindMode: accepted, but not implemented by Tabby: ignored"
expect 0 "apply more" "$T" apply -f "$F/more.yaml"
expect 0 "apply again is idempotent" "$T" apply -f "$F/calico-docs.yaml"

# --- get, every format
"$T" get ippool >"$tmp/t" && golden get-ippool.txt "$tmp/t"
"$T" get ippools -o wide >"$tmp/t" && golden get-ippool-wide.txt "$tmp/t"
"$T" get bgppeer >"$tmp/t" && golden get-bgppeer.txt "$tmp/t"
"$T" get bgpconfig >"$tmp/t" && golden get-bgpconfig.txt "$tmp/t"
"$T" get node -o wide >"$tmp/t" && golden get-node-wide.txt "$tmp/t"
"$T" get ipamconfig >"$tmp/t" && golden get-ipamconfig.txt "$tmp/t"
"$T" get bgppeer rack1-tor -o yaml >"$tmp/t" && golden get-bgppeer-yaml.txt "$tmp/t"
"$T" get ippool my.ippool-1 -o json >"$tmp/t" && golden get-ippool-json.txt "$tmp/t"
expect 1 "get missing" "$T" get ippool nope
has "$tmp/err" 'IPPool "nope" not found'
# What get -o yaml prints applies back unchanged (resourceVersion is the CAS revision).
"$T" get bgppeer rack1-tor -o yaml >"$tmp/rt.yaml"
expect 0 "round trip" "$T" apply -f "$tmp/rt.yaml"
expect 1 "stale resourceVersion" "$T" apply -f "$tmp/rt.yaml"
has "$tmp/err" "metadata.resourceVersion"

# --- validation: file:line: field, nothing written
cat >"$tmp/bad-cidr.yaml" <<'Y'
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: p2
spec:
  cidr: 10.0.0.0/33
Y
expect 1 "bad cidr" "$T" apply -f "$tmp/bad-cidr.yaml"
has "$tmp/err" 'bad-cidr.yaml:6: spec.cidr: "10.0.0.0/33" is not a valid CIDR'
cat >"$tmp/overlap.yaml" <<'Y'
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: p3
spec:
  cidr: 10.1.128.0/20
Y
expect 1 "overlap" "$T" apply -f "$tmp/overlap.yaml"
has "$tmp/err" "overlap.yaml:6: spec.cidr: 10.1.128.0/20 overlaps 10.1.0.0/16 of the existing IPPool my.ippool-1"
cat >"$tmp/bs.yaml" <<'Y'
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: p4
spec:
  cidr: 10.9.0.0/16
  blockSize: 12
Y
expect 1 "block size" "$T" apply -f "$tmp/bs.yaml"
has "$tmp/err" "bs.yaml:7: spec.blockSize"
printf 'apiVersion: projectcalico.org/v3\nkind: Frob\nmetadata:\n  name: x\n' >"$tmp/kind.yaml"
expect 1 "unknown kind" "$T" apply -f "$tmp/kind.yaml"
has "$tmp/err" 'kind.yaml:2: kind: unknown kind "Frob"'
printf 'apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  labels: {a: b}\nspec:\n  peerIP: 198.18.0.9\n  asNumber: 1\n' >"$tmp/noname.yaml"
expect 1 "missing name" "$T" apply -f "$tmp/noname.yaml"
has "$tmp/err" "noname.yaml:4: metadata.name: missing"
printf 'apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: x\nspec:\n  peerIP: 198.18.0.9\n  asNumbr: 1\n' >"$tmp/typo.yaml"
expect 1 "unknown field" "$T" apply -f "$tmp/typo.yaml"
has "$tmp/err" "typo.yaml:7: spec.asNumbr: unknown field"
printf 'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: lb\nspec:\n  cidr: 10.7.0.0/16\n  allowedUses: [LoadBalancer]\n' >"$tmp/lb.yaml"
expect 1 "cannot honour" "$T" apply -f "$tmp/lb.yaml"
has "$tmp/err" "lb.yaml:7: spec.allowedUses: a pool without \"Workload\" cannot be honoured"
printf 'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: p5\nspec:\n  cidr: 10.1.0.0/16\n  blockSize: 24\n' >"$tmp/chg.yaml"
expect 1 "pool cidr is fixed" "$T" apply -f "$tmp/chg.yaml"
printf 'key: [unclosed\n' >"$tmp/syntax.yaml"
expect 1 "yaml syntax" "$T" apply -f "$tmp/syntax.yaml"
has "$tmp/err" "syntax.yaml:"

# --- all or nothing: a bad last document leaves the good first one unwritten
cat >"$tmp/atomic.yaml" <<'Y'
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: fresh
spec:
  cidr: 10.50.0.0/16
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: broken
spec:
  peerIP: not-an-ip
  asNumber: 65001
Y
expect 1 "atomic apply" "$T" apply -f "$tmp/atomic.yaml"
has "$tmp/err" 'atomic.yaml:13: spec.peerIP: "not-an-ip" is not an IP address'
expect 1 "nothing written" "$T" get ippool fresh
# Two documents overlapping each other are caught before writing too.
sed 's/not-an-ip/198.18.0.7/' "$tmp/atomic.yaml" >"$tmp/good.yaml"
expect 0 "apply both" "$T" apply -f "$tmp/good.yaml"
expect 0 "first written" "$T" get ippool fresh
expect 1 "create existing" "$T" create -f "$tmp/good.yaml"
has "$tmp/err" 'IPPool "fresh" already exists'
sed 's/name: fresh/name: fresh2/; s/10.50/10.51/; s/name: broken/name: broken2/' "$tmp/good.yaml" >"$tmp/new.yaml"
expect 1 "replace missing" "$T" replace -f "$tmp/new.yaml"
has "$tmp/err" 'does not exist'
expect 0 "create new" "$T" create -f "$tmp/new.yaml"
printf -- '---\n' | cat - "$tmp/new.yaml" | "$T" replace -f - >"$tmp/out" 2>&1 && ok || bad "replace from stdin"

# --- label
expect 0 "label" "$T" label node node-hostname rack=rack-1 zone=a
expect 1 "label needs --overwrite" "$T" label node node-hostname rack=rack-2
expect 0 "label overwrite" "$T" label node node-hostname rack=rack-2 --overwrite
expect 0 "label remove" "$T" label node node-hostname zone-
"$T" get node node-hostname -o json >"$tmp/t"
has "$tmp/t" '"rack":	"rack-2"'
if grep -q '"zone"' "$tmp/t"; then bad "label zone not removed"; else ok; fi
expect 2 "bad label" "$T" label node node-hostname 'bad key=x'

# --- delete
expect 0 "delete by name" "$T" delete bgppeer broken2
expect 1 "delete missing" "$T" delete bgppeer broken2
expect 1 "delete -f with one missing" "$T" delete -f "$tmp/new.yaml"
has "$tmp/out" "Successfully deleted 1 resource(s)"
has "$tmp/err" 'BGPPeer "broken2" not found'

# --- IPAM: three addresses on node-a, one of them leaked
expect 0 "fixture" "$FIX" "$TABBY_DATASTORE"
ip1=$(awk '$1 == "net:c1:eth0" {print $2}' "$tmp/out")
ip2=$(awk '$1 == "net:c2:eth0" {print $2}' "$tmp/out")
"$T" ipam show --show-blocks >"$tmp/t" && golden ipam-show-blocks.txt "$tmp/t"
"$T" ipam show --show-configuration >"$tmp/t" && golden ipam-show-config.txt "$tmp/t"
expect 0 "ipam show --ip" "$T" ipam show --ip "$ip1"
has "$tmp/out" "handle: net:c1:eth0"
expect 0 "ipam show --ip free" "$T" ipam show --ip 10.1.255.254
has "$tmp/out" "is not in any allocated block"
expect 0 "ipam check" "$T" ipam check -o "$tmp/report.json"
sed "s|$tmp|TMP|" "$tmp/out" >"$tmp/t" && golden ipam-check.txt "$tmp/t"
has "$tmp/report.json" '"handle":	"net:leak:eth0"'
expect 0 "ipam release --from-report" "$T" ipam release --from-report "$tmp/report.json"
has "$tmp/out" "Released 1 of 1 address(es)"
expect 0 "ipam check after release" "$T" ipam check
has "$tmp/out" "Check passed: 0 problem(s) found."
expect 0 "ipam release --ip" "$T" ipam release --ip "$ip2"
expect 0 "ipam check finds the endpoint without its address" "$T" ipam check
has "$tmp/out" "Workload endpoints without their allocation: 1"
expect 1 "delete pool in use" "$T" delete ippool my.ippool-1
has "$tmp/err" 'IPPool "my.ippool-1"'


# --- policy kinds, namespaces, workload endpoints, policy show
expect 0 "apply policies" "$T" apply -f "$F/policies.yaml"
has "$tmp/out" "Successfully applied 4 resource(s)"
"$T" get networkpolicy -A -o wide >"$tmp/t" && golden get-np-wide.txt "$tmp/t"
"$T" get knp >"$tmp/t" && golden get-knp.txt "$tmp/t"
"$T" get gnp -o wide >"$tmp/t" && golden get-gnp-wide.txt "$tmp/t"
"$T" get ns >"$tmp/t" && golden get-ns.txt "$tmp/t"
expect 0 "get np in a namespace" "$T" get np -n prod
has "$tmp/out" "NAMESPACE"
expect 1 "np in another namespace" "$T" get np deny-blue -n prod
has "$tmp/err" 'NetworkPolicy "deny-blue" in namespace prod not found'
cat >"$tmp/badsel.yaml" <<'Y'
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: broken
spec:
  selector: role == 'db' &&
  types: [Ingress]
Y
expect 1 "bad selector" "$T" apply -f "$tmp/badsel.yaml"
has "$tmp/err" "badsel.yaml:6: spec.selector:"
cat >"$tmp/badport.yaml" <<'Y'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ports
spec:
  podSelector: {}
  ingress:
    - ports:
        - protocol: TCP
          port: 8000
          endPort: 7000
Y
expect 1 "bad endPort" "$T" apply -f "$tmp/badport.yaml"
has "$tmp/err" "badport.yaml:11: spec.ingress[0].ports[0].endPort:"
printf 'apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: knp.default.x\nspec:\n  selector: all()\n' >"$tmp/reserved.yaml"
expect 1 "reserved prefix" "$T" apply -f "$tmp/reserved.yaml"
printf 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: g\n  namespace: x\nspec:\n  selector: all()\n' >"$tmp/gns.yaml"
expect 1 "global policy with a namespace" "$T" apply -f "$tmp/gns.yaml"
has "$tmp/err" "metadata.namespace: a GlobalNetworkPolicy is not namespaced"
printf 'apiVersion: v2\nkind: Namespace\nmetadata:\n  name: x\n' >"$tmp/api.yaml"
expect 1 "wrong apiVersion" "$T" apply -f "$tmp/api.yaml"
has "$tmp/err" 'api.yaml:1: apiVersion: "v2" has no kind Namespace (expected "v1")'
expect 0 "label namespace" "$T" label ns prod env=production
expect 0 "get workload endpoints" "$T" get wep
has "$tmp/out" "net:c1:eth0"
expect 0 "label workload endpoint" "$T" label wep net:c1:eth0 role=db -n default
expect 0 "label workload endpoint (any namespace)" "$T" label wep net:c1:eth0 color=blue
expect 1 "workload endpoints are tabbyd's" "$T" delete wep net:c1:eth0
"$T" get wep -o wide >"$tmp/t" && golden get-wep-wide.txt "$tmp/t"
expect 0 "policy show" "$T" policy show --node node-a
has "$tmp/out" "table inet tabby"
has "$tmp/out" "6379"
if [ "$(id -u)" = 0 ]; then
	expect 0 "policy show --check (nft parses it)" "$T" policy show --node node-a --check
	has "$tmp/err" "nft accepts the ruleset"
fi
expect 2 "policy show without node" "$T" policy show
expect 0 "delete policies" "$T" delete -f "$F/policies.yaml"
has "$tmp/out" "Successfully deleted 4 resource(s)"

# --- usage, help, agent
expect 2 "no command" "$T"
expect 2 "unknown command" "$T" frobnicate
expect 2 "apply without -f" "$T" apply
expect 2 "get unknown kind" "$T" get frob
expect 2 "ipam release without args" "$T" ipam release
for c in apply create replace delete get label ipam node policy version; do
	expect 0 "$c --help" "$T" "$c" --help
done
expect 1 "node status without agent" "$T" --socket "$tmp/none.sock" node status
has "$tmp/err" "tabbyd is not running"
expect 0 "version without agent" "$T" --socket "$tmp/none.sock" version
has "$tmp/out" "Client Version:"

echo "test_ctl: $pass passed, $fail failed"
[ "$fail" = 0 ]
