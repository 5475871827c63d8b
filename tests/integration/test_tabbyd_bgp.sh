#!/bin/bash
# tabbyd's BGP speaker, end to end: tabbyd in a node namespace peers eBGP with
# FRR's bgpd in another namespace (an IPv4 and an IPv6 session), configured by
# the `bgp:` section of tabbyd.yaml (doc/tabbyd.yaml.5, doc/bgp.md "In tabbyd").
# Checks: bad bgp settings stop tabbyd naming file:line and field; BGP off is
# reported as such; sessions Established on both sides; `tabbyctl node status`
# (table, -o wide, -o json); prefixes both ways; SIGHUP adds/withdraws
# originations and adds/changes peers without resetting unchanged sessions;
# refresh/reset over the REST API and its errors; Cease on SIGTERM; the CLI
# when tabbyd is not running; FRR as a BGPPeer resource (peerIP) with a TCP-MD5
# password from bgp.secretsDir instead of bgp.peers, added and removed live.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/test_cni_common.sh"

tb_require_root
tb_require_cmd jq curl vtysh /usr/lib/frr/bgpd "$TABBYD"
TABBYCTL="$top_builddir/src/ctl/tabbyctl"
tb_require_cmd "$TABBYCTL"

cni_node node # fabric + node namespace (198.18.0.1, 2001:db8::1) + tabbyd.yaml
tb_netns frr
tb_attach "$(tb_ns fab)" "$(tb_ns frr)" eth0 198.18.0.2/24 2001:db8::2/64
cp "$TB_TMP/tabbyd.yaml" "$TB_TMP/base.yaml"

not() { ! "$@"; }
# is OP WANT CMD...: CMD's output (not empty, not null) compared with WANT by test(1), run anew
# at every poll of tb_wait_for.
is() {
	local op=$1 want=$2 v
	shift 2
	v=$("$@") && [ -n "$v" ] && [ "$v" != null ] && test "$v" "$op" "$want" 2>/dev/null
}
ctl() { "$TABBYCTL" --socket "$TB_TMP/tabbyd.sock" "$@"; }
api_code() { # METHOD PATH: the HTTP status of a request
	curl -s -o "$TB_TMP/api.out" -w '%{http_code}' --unix-socket "$TB_TMP/tabbyd.sock" -X "$1" "http://tabbyd$2"
}
peer_field() { cni_api GET /v1/bgp | jq -r --arg a "$1" ".peers[] | select(.address == \$a) | .$2"; }
tabby_established() { [ "$(peer_field "$1" state)" = Established ]; }
tabby_has_route() { # PREFIX NEXT_HOP
	cni_api GET /v1/bgp/rib | jq -e --arg p "$1" --arg nh "$2" \
		'[.ipv4[], .ipv6[]] | any(.prefix == $p and (.next_hops | index($nh) != null))' >/dev/null
}

# --- 1. bad bgp settings: tabbyd exits non-zero naming file:line and the field ---
bad_config() { # YAML-TAIL LINE FIELD
	{ cat "$TB_TMP/base.yaml"; printf '%s\n' "$1"; } >"$TB_TMP/bad.yaml"
	local line=$(($(wc -l <"$TB_TMP/base.yaml") + $2))
	ip netns exec "$NODE_NS" timeout 10 "$TABBYD" -c "$TB_TMP/bad.yaml" >"$TB_TMP/bad.out" 2>&1
	local rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "bad.yaml:$line:[0-9]*: $3" "$TB_TMP/bad.out"
}
tb_assert "asNumber: 0 is refused with file:line and bgp.asNumber" \
	bad_config $'bgp:\n  enabled: true\n  asNumber: 0' 3 bgp.asNumber
tb_assert "a peer address that is not an IP is refused with bgp.peers[0].address" \
	bad_config $'bgp:\n  enabled: true\n  peers:\n    - address: not-an-ip\n      asNumber: 64513' 4 'bgp.peers\[0\].address'

# --- 2. BGP off (the default): the API and the CLI say so ---
cni_start_tabbyd
tb_assert "GET /v1/bgp says enabled: false" test "$(cni_api GET /v1/bgp | jq -c '[.enabled, (.peers | length)]')" = "[false,0]"
tb_assert "node status says BGP is not enabled" cni_output_has "BGP is not enabled on this node" ctl node status
tb_assert "refresh with BGP off is 404" is = 404 api_code POST /v1/bgp/peers/198.18.0.2/refresh
cni_stop_tabbyd

# --- 3. FRR and tabbyd with the bgp section (doc/bgp.md shows the same) ---
cat >"$TB_TMP/frr.conf" <<EOF
hostname frr
log file $TB_TMP/frr-debug.log
router bgp 64513
 bgp router-id 198.18.0.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
 neighbor 198.18.0.1 remote-as 64512
 neighbor 198.18.0.1 timers 3 9
 neighbor 198.18.0.1 timers connect 1
 neighbor 2001:db8::1 remote-as 64512
 neighbor 2001:db8::1 timers 3 9
 neighbor 2001:db8::1 timers connect 1
 address-family ipv4 unicast
  network 10.30.0.0/24
  network 10.31.0.0/24
  neighbor 198.18.0.1 activate
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:30::/48
  neighbor 2001:db8::1 activate
 exit-address-family
EOF
bgp_section() { # ORIGINATE-LINES [EXTRA-PEER-LINES]
	cat <<EOF
bgp:
  enabled: true
  asNumber: 64512
  holdTime: 9
  connectRetry: 1
  peers:
    - {address: 198.18.0.2, asNumber: 64513, keepalive: 3, description: tor-frr}
    - {address: '2001:db8::2', asNumber: 64513, keepalive: 3}
${2-}  originate:
$1
EOF
}
ORIG1="    - 10.244.0.0/26
    - {cidr: 10.244.1.0/26, med: 10, communities: ['64512:100']}
    - 'fd00:10:244::/122'"
{ cat "$TB_TMP/base.yaml"; bgp_section "$ORIG1"; } >"$TB_TMP/tabbyd.yaml"
doc_yaml=$(awk '/^## In tabbyd/ { f = 1 } f && /^```yaml/ { y = 1; next } y && /^```/ { exit } y' \
	"$(dirname "$0")/../../doc/bgp.md")
tb_assert "doc/bgp.md shows this test's bgp section" test "$doc_yaml" = "$(bgp_section "$ORIG1")"

mkdir -p "$TB_TMP/frr.vty"
tb_bg "$(tb_ns frr)" frr /usr/lib/frr/bgpd -f "$TB_TMP/frr.conf" -i "$TB_TMP/frr.pid" -Z -S \
	--vty_socket "$TB_TMP/frr.vty" -A 127.0.0.1 -P 0
vty() { ip netns exec "$(tb_ns frr)" vtysh --vty_socket "$TB_TMP/frr.vty" -c "$1"; }
frr_nbr() { vty "show bgp neighbors $1 json" | jq -r --arg a "$1" ".[\$a].$2"; }
frr_established() { [ "$(frr_nbr "$1" bgpState)" = Established ]; }
frr_has() { # AFI PREFIX: FRR has PREFIX with AS path 64512
	vty "show bgp $1 unicast $2 json" | jq -e --arg p "$2" \
		'.prefix == $p and any(.paths[]; .aspath.string == "64512")' >/dev/null
}
frr_lacks() { ! vty "show bgp $1 unicast $2 json" | jq -e '.paths | length > 0' >/dev/null; }

# A fake systemd records the STATUS= lines.
cat >"$TB_TMP/notify.py" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")
EOP
tb_bg "$NODE_NS" notify python3 "$TB_TMP/notify.py" "$TB_TMP/notify.sock" "$TB_TMP/notify.txt"
tb_wait_for 5 test -S "$TB_TMP/notify.sock" || tb_fail "notify listener"
tb_bg "$NODE_NS" tabbyd env NOTIFY_SOCKET="$TB_TMP/notify.sock" "$TABBYD" -c "$TB_TMP/tabbyd.yaml"
TABBYD_PID=$TB_LAST_PID
tb_wait_for 10 cni_api GET /v1/status || tb_fail "tabbyd did not come up"
for a in 198.18.0.2 2001:db8::2; do
	tb_assert "tabby: session with $a Established" tb_wait_for 20 tabby_established "$a"
done
tb_assert "FRR: IPv4 session Established" tb_wait_for 5 frr_established 198.18.0.1
tb_assert "FRR: IPv6 session Established" tb_wait_for 5 frr_established 2001:db8::1
tb_assert "READY=1 comes with the BGP summary" grep -q "^STATUS=node node: .*; BGP AS64512: [0-2]/2 peers established; API on" "$TB_TMP/notify.txt"
tb_assert "STATUS= follows the sessions: 2/2 established" \
	tb_wait_for 5 grep -q "^STATUS=node node: BGP AS64512: 2/2 peers established" "$TB_TMP/notify.txt"
tb_assert "GET /v1/bgp: enabled, AS 64512, router ID from the addresses" \
	test "$(cni_api GET /v1/bgp | jq -c '[.enabled, .local_as, .router_id]')" = '[true,64512,"198.18.0.1"]'

# --- 4. prefixes both ways ---
tb_assert "FRR has 10.244.0.0/26 from tabby" tb_wait_for 10 frr_has ipv4 10.244.0.0/26
tb_assert "FRR has 10.244.1.0/26 from tabby" tb_wait_for 10 frr_has ipv4 10.244.1.0/26
tb_assert "FRR has fd00:10:244::/122 from tabby" tb_wait_for 10 frr_has ipv6 fd00:10:244::/122
tb_assert "FRR sees MED 10 and community 64512:100" test "$(vty 'show bgp ipv4 unicast 10.244.1.0/26 json' |
	jq -r '.paths[0] | "\(.metric) \(.community.string)"')" = "10 64512:100"
tb_assert "tabby's RIB has 10.30.0.0/24 via 198.18.0.2" tb_wait_for 10 tabby_has_route 10.30.0.0/24 198.18.0.2
tb_assert "tabby's RIB has 10.31.0.0/24 via 198.18.0.2" tb_wait_for 10 tabby_has_route 10.31.0.0/24 198.18.0.2
tb_assert "tabby's RIB has 2001:db8:30::/48 via 2001:db8::2" tb_wait_for 10 tabby_has_route 2001:db8:30::/48 2001:db8::2
tb_assert "tabby's RIB shows its own prefixes as local" \
	test "$(cni_api GET /v1/bgp/rib | jq -r '.ipv4[] | select(.prefix == "10.244.0.0/26") | .from')" = local

# --- 5. tabbyctl node status: table, -o wide, -o json ---
ctl node status >"$TB_TMP/status.txt" || tb_fail "node status failed"
row_has() { # FILE SECTION ADDRESS PATTERN...: the peer's row in the IPv4 or IPv6 table
	local row
	row=$(awk -v s="$2 BGP status" -v a="| $3 " 'index($0, s) { on = 1; next }
		/BGP status/ { on = 0 } on && index($0, a) == 1' "$1")
	[ -n "$row" ] || return 1
	shift 3
	for p in "$@"; do grep -qF -- "$p" <<<"$row" || return 1; done
}
tb_assert "status: 198.18.0.2 up/Established in the IPv4 table" row_has "$TB_TMP/status.txt" IPv4 198.18.0.2 "| tor-frr " "| up " "| Established"
tb_assert "status: 2001:db8::2 up/Established in the IPv6 table" row_has "$TB_TMP/status.txt" IPv6 2001:db8::2 "| eBGP peer " "| up " "| Established"
tb_assert "status: no IPv6 peer in the IPv4 table" not row_has "$TB_TMP/status.txt" IPv4 2001:db8::2
tb_assert "status: header" grep -q '^| PEER ADDRESS *| PEER TYPE *| STATE *| SINCE *| INFO *|$' "$TB_TMP/status.txt"
# Counts, both views: tabby's received and accepted = FRR's own prefixes FRR advertises to it (FRR
# lists tabby's prefixes among its advertised routes too, but does not send them back to AS 64512);
# tabby's advertised = FRR's pfxRcd.
frr_pfx() { vty "show bgp $1 unicast summary json" | jq -r --arg a "$2" ".peers[\$a].$3"; }
frr_own_sent() { vty "show bgp $1 unicast neighbors $2 advertised-routes json" | jq '[.advertisedRoutes[] | select(.path == "")] | length'; }
tb_assert "FRR received tabby's 2 IPv4 prefixes" tb_wait_for 10 is = 2 frr_pfx ipv4 198.18.0.1 pfxRcd
tb_assert "FRR received tabby's IPv6 prefix" tb_wait_for 10 is = 1 frr_pfx ipv6 2001:db8::1 pfxRcd
ctl node status -o wide >"$TB_TMP/wide.txt" || tb_fail "node status -o wide failed"
tb_assert "wide: RECEIVED/ACCEPTED/ADVERTISED columns" grep -q '| RECEIVED | ACCEPTED | ADVERTISED |$' "$TB_TMP/wide.txt"
v4_sent=$(frr_own_sent ipv4 198.18.0.1)
v6_sent=$(frr_own_sent ipv6 2001:db8::1)
tb_assert "FRR sent 2 IPv4 and 1 IPv6 prefixes of its own" test "$v4_sent/$v6_sent" = 2/1
tb_assert "wide: 198.18.0.2 received=accepted=$v4_sent (FRR sent), advertised 2 (FRR got)" \
	row_has "$TB_TMP/wide.txt" IPv4 198.18.0.2 "| $v4_sent        | $v4_sent        | 2          |"
tb_assert "wide: 2001:db8::2 received=accepted=$v6_sent, advertised 1" \
	row_has "$TB_TMP/wide.txt" IPv6 2001:db8::2 "| $v6_sent        | $v6_sent        | 1          |"
ctl node status -o json >"$TB_TMP/status.json" || tb_fail "node status -o json failed"
tb_assert "json: two Established peers with the counts" jq -e '([.peers[] | select(.state == "Established")] | length == 2) and
	(.peers | map({(.address): [.prefixes_accepted, .prefixes_advertised]}) | add) ==
	{"198.18.0.2": [2, 2], "2001:db8::2": [1, 1]}' "$TB_TMP/status.json" >/dev/null

# --- 6. SIGHUP: originations change, unchanged sessions stay ---
est_v4=$(frr_nbr 198.18.0.1 connectionsEstablished)
est_v6=$(frr_nbr 2001:db8::1 connectionsEstablished)
tb_assert "FRR counted one session each ($est_v4, $est_v6)" test "$est_v4/$est_v6" = 1/1
ORIG2="    - {cidr: 10.244.1.0/26, med: 10, communities: ['64512:100']}
    - 10.244.2.0/26
    - 'fd00:10:244::/122'"
{ cat "$TB_TMP/base.yaml"; bgp_section "$ORIG2"; } >"$TB_TMP/tabbyd.yaml"
kill -HUP "$TABBYD_PID"
tb_assert "after SIGHUP FRR has the new 10.244.2.0/26" tb_wait_for 10 frr_has ipv4 10.244.2.0/26
tb_assert "after SIGHUP FRR lost the removed 10.244.0.0/26" tb_wait_for 10 frr_lacks ipv4 10.244.0.0/26
tb_assert "FRR still has 10.244.1.0/26" frr_has ipv4 10.244.1.0/26
tb_assert "the IPv4 session was not reset (FRR)" is = "$est_v4" frr_nbr 198.18.0.1 connectionsEstablished
tb_assert "the IPv6 session was not reset (FRR)" is = "$est_v6" frr_nbr 2001:db8::1 connectionsEstablished
tb_assert "tabby: established_count still 1 for both" \
	test "$(peer_field 198.18.0.2 established_count)/$(peer_field 2001:db8::2 established_count)" = 1/1

# SIGHUP adding a peer and changing another: the unchanged session stays.
{ cat "$TB_TMP/base.yaml"; bgp_section "$ORIG2" "    - {address: 198.18.0.9, asNumber: 64599, passive: true}
"; } >"$TB_TMP/tabbyd.yaml"
sed -i "s/asNumber: 64513, keepalive: 3}/asNumber: 64513, keepalive: 2}/" "$TB_TMP/tabbyd.yaml"
kill -HUP "$TABBYD_PID"
tb_assert "the new peer 198.18.0.9 is configured" tb_wait_for 5 is = 64599 peer_field 198.18.0.9 remote_as
tb_assert "the changed IPv6 peer comes back Established" tb_wait_for 20 tabby_established 2001:db8::2
tb_assert "FRR counted a new IPv6 session (the peer was re-added)" \
	tb_wait_for 10 is -gt "$est_v6" frr_nbr 2001:db8::1 connectionsEstablished
tb_assert "the unchanged IPv4 session was not reset" is = "$est_v4" frr_nbr 198.18.0.1 connectionsEstablished
tb_assert "FRR has fd00:10:244::/122 again" tb_wait_for 10 frr_has ipv6 fd00:10:244::/122
tb_assert "status: the new peer is not up" row_has <(ctl node status) IPv4 198.18.0.9 "| start "

# --- 7. refresh and reset over the REST API ---
rr_before=$(frr_nbr 198.18.0.1 messageStats.routeRefreshRecv)
tb_assert "POST refresh answers 200" is = 200 api_code POST /v1/bgp/peers/198.18.0.2/refresh
tb_assert "FRR received tabby's ROUTE-REFRESH" tb_wait_for 10 is -gt "$rr_before" frr_nbr 198.18.0.1 messageStats.routeRefreshRecv
tb_assert "POST refresh (URL-encoded IPv6) answers 200" is = 200 api_code POST /v1/bgp/peers/2001%3Adb8%3A%3A2/refresh
tb_assert "refresh of an unknown peer is 404" is = 404 api_code POST /v1/bgp/peers/198.18.0.99/refresh
tb_assert "refresh of a bad address is 400" is = 400 api_code POST /v1/bgp/peers/not-an-ip/refresh
tb_assert "... with a message" jq -e '.msg | test("IP address")' "$TB_TMP/api.out" >/dev/null
tb_assert "refresh of a peer that is not up is 409" is = 409 api_code POST /v1/bgp/peers/198.18.0.9/refresh
tb_assert "GET on refresh is 405" is = 405 api_code GET /v1/bgp/peers/198.18.0.2/refresh
tb_assert "an unknown peer action is 404" is = 404 api_code POST /v1/bgp/peers/198.18.0.2/dance
tb_assert "POST /v1/bgp is 405" is = 405 api_code POST /v1/bgp
tb_assert "POST reset answers 200" is = 200 api_code POST /v1/bgp/peers/198.18.0.2/reset
tb_assert "after the reset FRR counts a new IPv4 session" \
	tb_wait_for 20 is -gt "$est_v4" frr_nbr 198.18.0.1 connectionsEstablished
tb_assert "after the reset the IPv4 session is Established again" tb_wait_for 20 tabby_established 198.18.0.2
tb_assert "tabby counts the second IPv4 session" is = 2 peer_field 198.18.0.2 established_count

# --- 8. a broken bgp section on SIGHUP is refused; switching BGP off and on restarts it ---
cp "$TB_TMP/tabbyd.yaml" "$TB_TMP/good.yaml"
{ cat "$TB_TMP/base.yaml"; bgp_section "    - 10.244.0.1/26"; } >"$TB_TMP/tabbyd.yaml"
kill -HUP "$TABBYD_PID"
tb_assert "SIGHUP with a host address as prefix is refused, naming the field" \
	tb_wait_for 5 grep -q "reload: .*tabbyd.yaml:[0-9]*:[0-9]*: bgp.originate\[0\]" "$TB_TMP/tabbyd.log"
tb_assert "the running speaker kept its sessions" is = 2 peer_field 198.18.0.2 established_count
tb_assert "FRR still has 10.244.2.0/26" frr_has ipv4 10.244.2.0/26
{ cat "$TB_TMP/base.yaml"; echo "bgp: {enabled: false}"; } >"$TB_TMP/tabbyd.yaml"
kill -HUP "$TABBYD_PID"
tb_assert "after SIGHUP with enabled: false, GET /v1/bgp says so" \
	tb_wait_for 5 is = false eval 'cni_api GET /v1/bgp | jq .enabled'
tb_assert "FRR's IPv4 session went down" tb_wait_for 4 not frr_established 198.18.0.1
tb_assert "FRR lost tabby's prefixes" tb_wait_for 5 frr_lacks ipv4 10.244.2.0/26
cp "$TB_TMP/good.yaml" "$TB_TMP/tabbyd.yaml"
kill -HUP "$TABBYD_PID"
for a in 198.18.0.2 2001:db8::2; do
	tb_assert "BGP on again: session with $a Established" tb_wait_for 20 tabby_established "$a"
done
tb_assert "FRR: IPv4 session Established again" tb_wait_for 5 frr_established 198.18.0.1
tb_assert "FRR has 10.244.2.0/26 again" tb_wait_for 10 frr_has ipv4 10.244.2.0/26

# --- 9. SIGTERM: Cease to FRR, not a hold timer expiry; then the CLI says tabbyd is gone ---
cni_stop_tabbyd
tb_assert "FRR's IPv4 session drops at once (Cease, not after the 9 s hold time)" \
	tb_wait_for 4 not frr_established 198.18.0.1
tb_log "FRR: last reset: $(frr_nbr 198.18.0.1 lastResetDueTo)"
tb_assert "FRR was told by a NOTIFICATION" eval 'frr_nbr 198.18.0.1 lastResetDueTo | grep -qi notification'
ctl node status >"$TB_TMP/out" 2>&1
rc=$?
tb_assert "node status without tabbyd exits 1" test "$rc" = 1
tb_assert "node status without tabbyd says so" grep -q "tabbyd is not running" "$TB_TMP/out"

# --- 10. FRR as a BGPPeer resource, TCP-MD5 key from secretsDir, live ---
ip netns exec "$(tb_ns frr)" vtysh --vty_socket "$TB_TMP/frr.vty" -c "configure terminal" \
	-c "router bgp 64513" -c "neighbor 198.18.0.1 password tabby-md5-key" >/dev/null ||
	tb_fail "setting FRR's TCP-MD5 key"
mkdir -p "$TB_TMP/secrets/tor-frr"
echo tabby-md5-key >"$TB_TMP/secrets/tor-frr/md5"
{ cat "$TB_TMP/base.yaml"; printf 'bgp:\n  enabled: true\n  holdTime: 9\n  connectRetry: 1\n  secretsDir: %s\n  originate: [10.244.9.0/24]\n' "$TB_TMP/secrets"; } >"$TB_TMP/tabbyd.yaml"
cni_start_tabbyd
tb_assert "no bgp.peers and no BGPPeer: no session" is = 0 eval 'cni_api GET /v1/bgp | jq ".peers | length"'
"$TABBYCTL" -d "sqlite:$TB_TMP/tabby.db" apply -f - <<'Y' >/dev/null 2>&1 || tb_fail "applying BGPPeer tor-frr"
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: tor-frr}
spec:
  peerIP: 198.18.0.2
  asNumber: 64513
  password: {secretKeyRef: {name: tor-frr, key: md5}}
Y
tb_assert "the BGPPeer's session appears within a second" tb_wait_for 1 is = 'bgppeer: tor-frr' peer_field 198.18.0.2 description
tb_assert "... with TCP-MD5, Established" tb_wait_for 20 tabby_established 198.18.0.2
tb_assert "... marked source bgppeer, tcp_md5 true" \
	is = '"bgppeer" true "tor-frr"' eval 'echo $(peer_field 198.18.0.2 source | jq -R .) $(peer_field 198.18.0.2 tcp_md5) $(peer_field 198.18.0.2 bgppeer | jq -R .)'
tb_assert "FRR: the session with the MD5 key is Established" tb_wait_for 5 frr_established 198.18.0.1
tb_assert "FRR has 10.244.9.0/24 from it" tb_wait_for 5 frr_has ipv4 10.244.9.0/24
"$TABBYCTL" -d "sqlite:$TB_TMP/tabby.db" delete bgppeer tor-frr >/dev/null || tb_fail "deleting BGPPeer tor-frr"
tb_assert "the BGPPeer deleted: the session gone within a second" \
	tb_wait_for 1 is = 0 eval 'cni_api GET /v1/bgp | jq ".peers | length"'
tb_assert "FRR: told at once (Cease)" tb_wait_for 4 not frr_established 198.18.0.1
tb_assert "tabbyd was not restarted meanwhile" kill -0 "$TABBYD_PID"
cni_stop_tabbyd
tb_log "PASS"
