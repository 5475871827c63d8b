#!/bin/bash
# Wire check: capture one tabby-bgpd <-> FRR session with tshark and fail if
# Wireshark's dissectors flag anything (malformed fields, warnings, errors).
#
# The session also uses TCP-MD5 (RFC 2385) and GTSM (RFC 5082) on both ends,
# so the capture shows the MD5 option on every segment and TTL 255; and it
# carries IPv4 and IPv6 unicast over one session (RFC 4760), a four-octet AS
# (RFC 6793), communities, MED, a withdraw and a ROUTE-REFRESH, so the
# dissector sees every message type we send.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../../bgp/tools/interop-lib.sh"

tb_require_root
tb_require_cmd jq tshark vtysh /usr/lib/frr/bgpd "$TABBY_BGPD"

LOCAL_AS=4200000001
FRR_AS=65002
PASSWORD='tabby-md5-secret'

bgpt_topology frr

cat >"$TB_TMP/frr.conf" <<EOF
hostname frr
router bgp $FRR_AS
 bgp router-id 198.18.0.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 198.18.0.1 remote-as $LOCAL_AS
 neighbor 198.18.0.1 password $PASSWORD
 neighbor 198.18.0.1 ttl-security hops 1
 neighbor 198.18.0.1 timers 3 9
 neighbor 198.18.0.1 timers connect 1
 address-family ipv4 unicast
  network 10.21.0.0/24
  neighbor 198.18.0.1 activate
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:21::/48
  neighbor 198.18.0.1 activate
 exit-address-family
EOF

cat >"$TB_TMP/tabby.json" <<EOF
{
  "local_as": $LOCAL_AS,
  "router_id": "198.18.0.1",
  "control_socket": "$BGPT_CTL",
  "peers": [
    { "address": "198.18.0.2", "remote_as": $FRR_AS, "password": "$PASSWORD",
      "ttl_security": true, "hold_time": 9, "keepalive": 3, "connect_retry": 1 }
  ],
  "originate": [
    { "prefix": "10.10.0.0/24", "med": 5, "communities": ["65000:1", "65000:2"] },
    { "prefix": "10.11.0.0/24", "local_pref": 200 },
    "2001:db8:10::/48"
  ]
}
EOF

CAP="$TB_TMP/bgp.pcapng"
tb_bg "$(tb_ns tb)" tshark tshark -n -i eth0 -f "tcp port 179" -w "$CAP"
TSHARK_PID=$TB_LAST_PID
tb_wait_for 10 grep -q "Capturing on" "$TB_TMP/tshark.log" || tb_fail "tshark did not start"

bgpt_start_tabby "$TB_TMP/tabby.json"
mkdir -p "$TB_TMP/frr.vty"
tb_bg "$(tb_ns frr)" frr /usr/lib/frr/bgpd -f "$TB_TMP/frr.conf" -i "$TB_TMP/frr.pid" -Z -S \
	--vty_socket "$TB_TMP/frr.vty" -A 127.0.0.1 -P 0
vty() { ip netns exec "$(tb_ns frr)" vtysh --vty_socket "$TB_TMP/frr.vty" -c "$1"; }

tb_assert "session with TCP-MD5 and GTSM Established" tb_wait_for 20 bgpt_established 198.18.0.2
tb_assert "tabby learned FRR's IPv4 prefix" tb_wait_for 10 bgpt_has_route 10.21.0.0/24 198.18.0.2
tb_assert "tabby learned FRR's IPv6 prefix over the IPv4 session" tb_wait_for 10 bgpt_has_route 2001:db8:21::/48
frr_has() { vty "show bgp $1 unicast $2 json" | jq -e '.paths | length > 0' >/dev/null; }
tb_assert "FRR learned 10.10.0.0/24" tb_wait_for 10 frr_has ipv4 10.10.0.0/24
tb_assert "FRR learned 2001:db8:10::/48" tb_wait_for 10 frr_has ipv6 2001:db8:10::/48
bgpt_q withdraw 10.11.0.0/24 >/dev/null
bgpt_q refresh 198.18.0.2 >/dev/null
vty "clear bgp ipv4 unicast 198.18.0.1 soft in" >/dev/null
sleep 4 # a keepalive or two, the withdraw and both refreshes on the wire
kill -INT "$TSHARK_PID"
tb_wait_for 10 bash -c "! kill -0 $TSHARK_PID 2>/dev/null" || tb_fail "tshark did not stop"

count() { tshark -n -r "$CAP" -Y "$1" 2>/dev/null | wc -l; }
tb_assert "capture holds BGP OPENs from both sides" test "$(count 'bgp.type == 1')" -ge 2
tb_assert "capture holds UPDATEs" test "$(count 'bgp.type == 2')" -ge 2
tb_assert "capture holds KEEPALIVEs" test "$(count 'bgp.type == 4')" -ge 2
tb_assert "capture holds ROUTE-REFRESHes" test "$(count 'bgp.type == 5')" -ge 2
tb_assert "capture holds our four-octet AS capability" test "$(count "bgp.cap.4as == $LOCAL_AS")" -ge 1
tb_assert "capture holds an MP_REACH_NLRI for IPv6" test "$(count 'bgp.update.path_attribute.mp_reach_nlri.afi == 2')" -ge 1
tb_assert "every BGP segment from tabby carries TCP-MD5" \
	test "$(count 'ip.src == 198.18.0.1 && tcp.len > 0 && !tcp.options.md5')" = 0
tb_assert "tabby's segments carry TCP-MD5 at all" test "$(count 'ip.src == 198.18.0.1 && tcp.options.md5')" -ge 1
tb_assert "tabby sends with TTL 255 (GTSM)" test "$(count 'ip.src == 198.18.0.1 && ip.ttl != 255')" = 0

# The actual check: nothing malformed, no dissector warning or error.
FILTER='_ws.malformed || _ws.expert.severity >= "Warning"'
bad=$(tshark -n -r "$CAP" -Y "$FILTER" 2>"$TB_TMP/tshark-filter.log") ||
	tb_fail "tshark could not apply the filter: $(cat "$TB_TMP/tshark-filter.log")"
[ -z "$bad" ] || tb_fail "tshark flags the capture:
$bad
$(tshark -n -r "$CAP" -Y "$FILTER" -V 2>/dev/null | grep -E 'Expert Info|Malformed' | sort | uniq -c)"
tb_log "ok: tshark finds nothing malformed in $(count bgp) BGP packets"
kill -0 "$BGPT_TABBY_PID" || tb_fail "tabby-bgpd died"
tb_log "PASS"
