#!/bin/bash
# Interop: tabby-bgpd <-> OpenBGPD bgpd, each in its own namespace.
#
# obgp1 is an eBGP peer (AS 4200000005), obgp2 an iBGP peer (AS 4200000001,
# tabby's own); four-octet ASes (RFC 6793). Each has an IPv4 session (IPv4
# unicast) and an IPv6 session (IPv6 unicast). Checks: Established, prefixes
# both ways (tabby's JSON, `bgpctl -j`), withdraw both ways, route refresh
# both ways, recovery after a bgpd restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../../bgp/tools/interop-lib.sh"

tb_require_root
tb_require_cmd jq bgpctl /usr/sbin/bgpd "$TABBY_BGPD"
# OpenBGPD chroots into /run/openbgpd (Debian's package creates it at boot).
[ -d /run/openbgpd ] || mkdir -p /run/openbgpd || tb_skip "cannot create /run/openbgpd"

LOCAL_AS=4200000001
EBGP_AS=4200000005

bgpt_topology obgp1 obgp2

# OpenBGPD configuration (doc/bgp.md shows the same snippet); it must be mode 0600.
obgp_conf() { # NAME ASN ADDR4 ADDR6
	cat <<EOF
AS $2
router-id $3
listen on $3
listen on $4
socket "$TB_TMP/$1.ctl"
fib-update no
neighbor 198.18.0.1 {
	remote-as $LOCAL_AS
	descr "tabby4"
	holdtime 9
	announce IPv4 unicast
	announce IPv6 none
}
neighbor 2001:db8::1 {
	remote-as $LOCAL_AS
	descr "tabby6"
	holdtime 9
	announce IPv6 unicast
	announce IPv4 none
}
allow from any
allow to any
EOF
}
(umask 077 && obgp_conf obgp1 $EBGP_AS 198.18.0.2 2001:db8::2 >"$TB_TMP/obgp1.conf")
(umask 077 && obgp_conf obgp2 $LOCAL_AS 198.18.0.3 2001:db8::3 >"$TB_TMP/obgp2.conf")

obgp_start() { # NAME
	rm -f "$TB_TMP/$1.ctl"
	tb_bg "$(tb_ns "$1")" "$1" /usr/sbin/bgpd -d -f "$TB_TMP/$1.conf"
	eval "PID_$1=$TB_LAST_PID"
	tb_wait_for 10 test -S "$TB_TMP/$1.ctl" || tb_fail "$1 did not start"
}
bctl() { bgpctl -s "$TB_TMP/$1.ctl" "${@:2}"; }
obgp_state() { bctl "$1" -j show neighbor "$2" | jq -r '.neighbors[0].state'; }
obgp_established() { [ "$(obgp_state "$@")" = Established ]; }
obgp_has() { # NAME PREFIX [ASPATH]
	bctl "$1" -j show rib "$2" | jq -e --arg p "$2" --arg path "${3-}" --argjson check $(($# >= 3)) '
		[.rib[]? | select(.prefix == $p and ($check == 0 or .aspath == $path))] | length > 0' >/dev/null
}
obgp_lacks() { ! obgp_has "$@"; }
obgp_refresh_rcvd() { bctl obgp1 -j show neighbor 198.18.0.1 | jq -r '.neighbors[0].stats.message.received.route_refresh // 0'; }
obgp_originate() { # NAME
	local n=${1#obgp}
	bctl "$1" network add "10.5$n.0.0/24" >/dev/null || tb_fail "bgpctl $1 network add"
	bctl "$1" network add "2001:db8:5$n::/48" >/dev/null || tb_fail "bgpctl $1 network add v6"
}

cat >"$TB_TMP/tabby.json" <<EOF
{
  "local_as": $LOCAL_AS,
  "router_id": "198.18.0.1",
  "control_socket": "$BGPT_CTL",
  "peers": [
    { "address": "198.18.0.2", "remote_as": $EBGP_AS, "families": ["ipv4"],
      "hold_time": 9, "keepalive": 3, "connect_retry": 1 },
    { "address": "2001:db8::2", "remote_as": $EBGP_AS, "families": ["ipv6"],
      "hold_time": 9, "keepalive": 3, "connect_retry": 1 },
    { "address": "198.18.0.3", "remote_as": $LOCAL_AS, "families": ["ipv4"],
      "hold_time": 9, "keepalive": 3, "connect_retry": 1 },
    { "address": "2001:db8::3", "remote_as": $LOCAL_AS, "families": ["ipv6"],
      "hold_time": 9, "keepalive": 3, "connect_retry": 1 }
  ],
  "originate": [ "10.10.0.0/24", "2001:db8:10::/48" ]
}
EOF

bgpt_start_tabby "$TB_TMP/tabby.json"
obgp_start obgp1
obgp_start obgp2
obgp_originate obgp1
obgp_originate obgp2

for a in 198.18.0.2 2001:db8::2 198.18.0.3 2001:db8::3; do
	tb_assert "tabby: session to $a Established" tb_wait_for 20 bgpt_established "$a"
done
for n in obgp1 obgp2; do
	tb_assert "$n: IPv4 session Established" tb_wait_for 5 obgp_established $n 198.18.0.1
	tb_assert "$n: IPv6 session Established" tb_wait_for 5 obgp_established $n 2001:db8::1
done

# --- tabby -> OpenBGPD, with the four-octet AS in the path ---
tb_assert "obgp1 has 10.10.0.0/24 with AS path $LOCAL_AS" tb_wait_for 10 obgp_has obgp1 10.10.0.0/24 "$LOCAL_AS"
tb_assert "obgp1 has 2001:db8:10::/48 with AS path $LOCAL_AS" tb_wait_for 10 obgp_has obgp1 2001:db8:10::/48 "$LOCAL_AS"
tb_assert "obgp2 (iBGP) has 10.10.0.0/24" tb_wait_for 10 obgp_has obgp2 10.10.0.0/24
tb_assert "obgp2 (iBGP) has 2001:db8:10::/48" tb_wait_for 10 obgp_has obgp2 2001:db8:10::/48

# --- OpenBGPD -> tabby ---
tb_assert "tabby has 10.51.0.0/24 via 198.18.0.2" tb_wait_for 10 bgpt_has_route 10.51.0.0/24 198.18.0.2
tb_assert "tabby has 2001:db8:51::/48 via 2001:db8::2" tb_wait_for 10 bgpt_has_route 2001:db8:51::/48 2001:db8::2
tb_assert "tabby has 10.52.0.0/24 via 198.18.0.3" tb_wait_for 10 bgpt_has_route 10.52.0.0/24 198.18.0.3
tb_assert "tabby has 2001:db8:52::/48 via 2001:db8::3" tb_wait_for 10 bgpt_has_route 2001:db8:52::/48 2001:db8::3
tb_assert "AS path of 10.51.0.0/24 is [$EBGP_AS]" test "$(bgpt_route_field 10.51.0.0/24 .as_path)" = "[$EBGP_AS]"

# --- withdraw, both ways ---
bgpt_q withdraw 10.10.0.0/24 | jq -e .ok >/dev/null || tb_fail "withdraw command"
tb_assert "obgp1 lost 10.10.0.0/24 after tabby's withdraw" tb_wait_for 10 obgp_lacks obgp1 10.10.0.0/24
tb_assert "obgp2 lost 10.10.0.0/24 after tabby's withdraw" tb_wait_for 10 obgp_lacks obgp2 10.10.0.0/24
bctl obgp1 network delete 2001:db8:51::/48 >/dev/null || tb_fail "bgpctl network delete"
tb_assert "tabby lost 2001:db8:51::/48 after obgp1's withdraw" tb_wait_for 10 bgpt_no_route 2001:db8:51::/48
bgpt_q originate 10.10.0.0/24 | jq -e .ok >/dev/null || tb_fail "originate command"
tb_assert "obgp1 has 10.10.0.0/24 again" tb_wait_for 10 obgp_has obgp1 10.10.0.0/24

# --- route refresh, both ways (RFC 2918) ---
out_before=$(bgpt_peer_field 198.18.0.2 updates_out)
bctl obgp1 neighbor 198.18.0.1 refresh >/dev/null || tb_fail "bgpctl refresh"
tb_assert "tabby answers obgp1's ROUTE-REFRESH" tb_wait_for 10 bgpt_log_has "198.18.0.2 AS$EBGP_AS: ROUTE-REFRESH for"
tb_assert "tabby resent its Adj-RIB-Out" tb_wait_for 5 test "$(bgpt_peer_field 198.18.0.2 updates_out)" -gt "$out_before"
tb_assert "obgp1 still has 10.10.0.0/24" obgp_has obgp1 10.10.0.0/24
rr_before=$(obgp_refresh_rcvd)
bgpt_q refresh 198.18.0.2 | jq -e .ok >/dev/null || tb_fail "refresh command"
tb_assert "obgp1 received tabby's ROUTE-REFRESH" tb_wait_for 10 test "$(obgp_refresh_rcvd)" -gt "$rr_before"

# --- OpenBGPD restarts ---
bgpt_stop_pid "$PID_obgp1"
tb_assert "tabby drops obgp1's routes" tb_wait_for 10 bgpt_no_route 10.51.0.0/24
obgp_start obgp1
obgp_originate obgp1
tb_assert "tabby: session to obgp1 (IPv4) Established again" tb_wait_for 20 bgpt_established 198.18.0.2
tb_assert "tabby: session to obgp1 (IPv6) Established again" tb_wait_for 20 bgpt_established 2001:db8::2
tb_assert "tabby has 10.51.0.0/24 again" tb_wait_for 10 bgpt_has_route 10.51.0.0/24 198.18.0.2
tb_assert "restarted obgp1 has 10.10.0.0/24 again" tb_wait_for 10 obgp_has obgp1 10.10.0.0/24 "$LOCAL_AS"

tb_assert "the iBGP sessions never dropped" test "$(bgpt_peer_field 198.18.0.3 established_count)" = 1
kill -0 "$BGPT_TABBY_PID" || tb_fail "tabby-bgpd died"
tb_log "PASS"
