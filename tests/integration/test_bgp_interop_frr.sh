#!/bin/bash
# Interop: tabby-bgpd <-> FRRouting bgpd, each in its own namespace.
#
# Two FRR instances: frr1 is an eBGP peer (AS 4200000002), frr2 an iBGP peer
# (AS 4200000001, tabby's own), both four-octet ASes (RFC 6793). With each one
# an IPv4 session (IPv4 unicast) and an IPv6 session (IPv6 unicast). Checks:
# Established, prefixes both ways (tabby's JSON and vtysh JSON), withdraw
# both ways, route refresh both ways, recovery after an FRR restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../../bgp/tools/interop-lib.sh"

tb_require_root
tb_require_cmd jq vtysh /usr/lib/frr/bgpd "$TABBY_BGPD"

LOCAL_AS=4200000001
EBGP_AS=4200000002

bgpt_topology frr1 frr2

# FRR configuration (doc/bgp.md shows the same snippet).
frr_conf() { # NAME ASN ROUTER_ID V4_NET V6_NET
	cat <<EOF
hostname $1
log file $TB_TMP/$1-bgpd.debug.log
router bgp $2
 bgp router-id $3
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
 neighbor 198.18.0.1 remote-as $LOCAL_AS
 neighbor 198.18.0.1 timers 3 9
 neighbor 198.18.0.1 timers connect 1
 neighbor 2001:db8::1 remote-as $LOCAL_AS
 neighbor 2001:db8::1 timers 3 9
 neighbor 2001:db8::1 timers connect 1
 address-family ipv4 unicast
  network $4
  neighbor 198.18.0.1 activate
 exit-address-family
 address-family ipv6 unicast
  network $5
  neighbor 2001:db8::1 activate
 exit-address-family
EOF
}
frr_conf frr1 $EBGP_AS 198.18.0.2 10.21.0.0/24 2001:db8:21::/48 >"$TB_TMP/frr1.conf"
frr_conf frr2 $LOCAL_AS 198.18.0.3 10.22.0.0/24 2001:db8:22::/48 >"$TB_TMP/frr2.conf"

frr_start() { # NAME
	mkdir -p "$TB_TMP/$1.vty"
	tb_bg "$(tb_ns "$1")" "$1" /usr/lib/frr/bgpd -f "$TB_TMP/$1.conf" -i "$TB_TMP/$1.pid" -Z -S \
		--vty_socket "$TB_TMP/$1.vty" -A 127.0.0.1 -P 0
	eval "PID_$1=$TB_LAST_PID"
}
vty() { # NAME COMMAND
	ip netns exec "$(tb_ns "$1")" vtysh --vty_socket "$TB_TMP/$1.vty" -c "$2"
}
frr_state() { # NAME AFI PEER
	vty "$1" "show bgp $2 unicast summary json" | jq -r --arg p "$3" '(.peers // .ipv4Unicast.peers // .ipv6Unicast.peers)[$p].state'
}
frr_established() { [ "$(frr_state "$@")" = Established ]; }
frr_has() { # NAME AFI PREFIX [ASPATH]
	vty "$1" "show bgp $2 unicast $3 json" |
		jq -e --arg p "$3" --arg path "${4-}" --argjson check $(($# >= 4)) '.prefix == $p and
			(.paths | length > 0) and ($check == 0 or any(.paths[]; .aspath.string == $path))' >/dev/null
}
frr_lacks() { ! frr_has "$@"; }

cat >"$TB_TMP/tabby.json" <<EOF
{
  "local_as": $LOCAL_AS,
  "router_id": "198.18.0.1",
  "control_socket": "$BGPT_CTL",
  "peers": [
    { "address": "198.18.0.2", "remote_as": $EBGP_AS, "families": ["ipv4"],
      "hold_time": 9, "keepalive": 3, "connect_retry": 1 },
    { "address": "2001:db8::2", "remote_as": $EBGP_AS, "families": ["ipv6"],
      "source": "2001:db8::1", "port": 179,
      "hold_time": 9, "keepalive": 3, "connect_retry": 1 },
    { "address": "198.18.0.3", "remote_as": $LOCAL_AS, "families": ["ipv4"],
      "hold_time": 9, "keepalive": 3, "connect_retry": 1 },
    { "address": "2001:db8::3", "remote_as": $LOCAL_AS, "families": ["ipv6"],
      "hold_time": 9, "keepalive": 3, "connect_retry": 1 }
  ],
  "originate": [
    { "prefix": "10.10.0.0/24", "med": 10, "communities": ["65000:1"] },
    "2001:db8:10::/48"
  ]
}
EOF

bgpt_start_tabby "$TB_TMP/tabby.json"
frr_start frr1
frr_start frr2

# --- Established (both views) ---
for a in 198.18.0.2 2001:db8::2 198.18.0.3 2001:db8::3; do
	tb_assert "tabby: session to $a Established" tb_wait_for 20 bgpt_established "$a"
done
tb_assert "frr1 (eBGP): IPv4 session Established" tb_wait_for 5 frr_established frr1 ipv4 198.18.0.1
tb_assert "frr1 (eBGP): IPv6 session Established" tb_wait_for 5 frr_established frr1 ipv6 2001:db8::1
tb_assert "frr2 (iBGP): IPv4 session Established" tb_wait_for 5 frr_established frr2 ipv4 198.18.0.1
tb_assert "frr2 (iBGP): IPv6 session Established" tb_wait_for 5 frr_established frr2 ipv6 2001:db8::1

# --- 4-octet AS on both sides ---
tb_assert "frr1 sees remote AS $LOCAL_AS" \
	test "$(vty frr1 'show bgp ipv4 unicast summary json' | jq -r '.peers["198.18.0.1"].remoteAs')" = $LOCAL_AS
tb_assert "tabby peer type eBGP/iBGP" test "$(bgpt_peer_field 198.18.0.2 type)/$(bgpt_peer_field 198.18.0.3 type)" = ebgp/ibgp

# --- tabby -> FRR ---
tb_assert "frr1 has 10.10.0.0/24 with AS path $LOCAL_AS" tb_wait_for 10 frr_has frr1 ipv4 10.10.0.0/24 "$LOCAL_AS"
tb_assert "frr1 has 2001:db8:10::/48 with AS path $LOCAL_AS" tb_wait_for 10 frr_has frr1 ipv6 2001:db8:10::/48 "$LOCAL_AS"
tb_assert "frr2 (iBGP) has 10.10.0.0/24 with an empty AS path" tb_wait_for 10 frr_has frr2 ipv4 10.10.0.0/24 Local
tb_assert "frr2 (iBGP) has 2001:db8:10::/48" tb_wait_for 10 frr_has frr2 ipv6 2001:db8:10::/48
tb_assert "frr1 sees MED 10 and community 65000:1" test "$(vty frr1 'show bgp ipv4 unicast 10.10.0.0/24 json' |
	jq -r '.paths[0] | "\(.metric) \(.community.string)"')" = "10 65000:1"

# --- FRR -> tabby ---
tb_assert "tabby has 10.21.0.0/24 via 198.18.0.2" tb_wait_for 10 bgpt_has_route 10.21.0.0/24 198.18.0.2
tb_assert "tabby has 2001:db8:21::/48 via 2001:db8::2" tb_wait_for 10 bgpt_has_route 2001:db8:21::/48 2001:db8::2
tb_assert "tabby has 10.22.0.0/24 via 198.18.0.3" tb_wait_for 10 bgpt_has_route 10.22.0.0/24 198.18.0.3
tb_assert "tabby has 2001:db8:22::/48 via 2001:db8::3" tb_wait_for 10 bgpt_has_route 2001:db8:22::/48 2001:db8::3
tb_assert "AS path of 10.21.0.0/24 is [$EBGP_AS]" test "$(bgpt_route_field 10.21.0.0/24 .as_path)" = "[$EBGP_AS]"
tb_assert "tabby counts 1 accepted prefix from 198.18.0.2" test "$(bgpt_peer_field 198.18.0.2 prefixes_accepted)" = 1
# The eBGP route goes on to the iBGP peer (and the iBGP one to the eBGP peer, with our AS prepended).
tb_assert "frr2 learns frr1's 10.21.0.0/24 through tabby" tb_wait_for 10 frr_has frr2 ipv4 10.21.0.0/24 "$EBGP_AS"
tb_assert "frr1 learns frr2's 10.22.0.0/24 through tabby" tb_wait_for 10 frr_has frr1 ipv4 10.22.0.0/24 "$LOCAL_AS"

# --- withdraw, both ways ---
bgpt_q withdraw 10.10.0.0/24 | jq -e .ok >/dev/null || tb_fail "withdraw command"
tb_assert "frr1 lost 10.10.0.0/24 after tabby's withdraw" tb_wait_for 10 frr_lacks frr1 ipv4 10.10.0.0/24
tb_assert "frr2 lost 10.10.0.0/24 after tabby's withdraw" tb_wait_for 10 frr_lacks frr2 ipv4 10.10.0.0/24
vty frr1 "configure terminal
router bgp $EBGP_AS
address-family ipv6 unicast
no network 2001:db8:21::/48" >/dev/null
tb_assert "tabby lost 2001:db8:21::/48 after frr1's withdraw" tb_wait_for 10 bgpt_no_route 2001:db8:21::/48
bgpt_q originate 10.10.0.0/24 | jq -e .ok >/dev/null || tb_fail "originate command"
tb_assert "frr1 has 10.10.0.0/24 again" tb_wait_for 10 frr_has frr1 ipv4 10.10.0.0/24

# --- route refresh, both ways (RFC 2918) ---
out_before=$(bgpt_peer_field 198.18.0.2 updates_out)
vty frr1 "clear bgp ipv4 unicast 198.18.0.1 soft in" >/dev/null
tb_assert "tabby answers frr1's ROUTE-REFRESH" tb_wait_for 10 bgpt_log_has "198.18.0.2 AS$EBGP_AS: ROUTE-REFRESH for"
tb_assert "tabby resent its Adj-RIB-Out" tb_wait_for 5 test "$(bgpt_peer_field 198.18.0.2 updates_out)" -gt "$out_before"
tb_assert "frr1 still has 10.10.0.0/24 after the refresh" frr_has frr1 ipv4 10.10.0.0/24
frr_refresh_rcvd() { vty frr1 "show bgp neighbors 198.18.0.1 json" | jq -r '.["198.18.0.1"].messageStats.routeRefreshRecv'; }
rr_before=$(frr_refresh_rcvd)
bgpt_q refresh 198.18.0.2 | jq -e .ok >/dev/null || tb_fail "refresh command"
tb_assert "frr1 received tabby's ROUTE-REFRESH" tb_wait_for 10 test "$(frr_refresh_rcvd)" -gt "$rr_before"
tb_assert "tabby still has 10.21.0.0/24 after its refresh" tb_wait_for 5 bgpt_has_route 10.21.0.0/24

# --- FRR restarts: the sessions come back, routes flow again ---
bgpt_stop_pid "$PID_frr1"
tb_assert "tabby notices frr1 is gone" tb_wait_for 10 bgpt_no_route 10.21.0.0/24
vty frr1 "show version" >/dev/null 2>&1 && tb_fail "frr1 still running"
frr_start frr1
tb_assert "tabby: IPv4 session to frr1 Established again" tb_wait_for 20 bgpt_established 198.18.0.2
tb_assert "tabby: IPv6 session to frr1 Established again" tb_wait_for 20 bgpt_established 2001:db8::2
tb_assert "tabby has 10.21.0.0/24 again" tb_wait_for 10 bgpt_has_route 10.21.0.0/24 198.18.0.2
tb_assert "restarted frr1 has 10.10.0.0/24 again" tb_wait_for 10 frr_has frr1 ipv4 10.10.0.0/24 "$LOCAL_AS"
tb_assert "restarted frr1 has 2001:db8:10::/48 again" tb_wait_for 10 frr_has frr1 ipv6 2001:db8:10::/48 "$LOCAL_AS"
tb_assert "tabby counted a second session with frr1" test "$(bgpt_peer_field 198.18.0.2 established_count)" -ge 2

# --- nothing unexpected went wrong ---
tb_assert "the iBGP sessions never dropped" test "$(bgpt_peer_field 198.18.0.3 established_count)" = 1
kill -0 "$BGPT_TABBY_PID" || tb_fail "tabby-bgpd died"
tb_log "PASS"
