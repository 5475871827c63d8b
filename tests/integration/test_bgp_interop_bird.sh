#!/bin/bash
# Interop: tabby-bgpd <-> BIRD 2, each in its own namespace.
#
# bird1 is an eBGP peer (AS 4200000003), bird2 an iBGP peer (AS 4200000001,
# tabby's own); four-octet ASes on both (RFC 6793). Each has an IPv4 session
# (IPv4 unicast) and an IPv6 session (IPv6 unicast). Checks: Established,
# prefixes both ways (tabby's JSON, birdc), withdraw both ways, route refresh
# both ways, recovery after a BIRD restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../../bgp/tools/interop-lib.sh"

tb_require_root
tb_require_cmd jq bird birdc "$TABBY_BGPD"

LOCAL_AS=4200000001
EBGP_AS=4200000003

bgpt_topology bird1 bird2

# BIRD configuration (doc/bgp.md shows the same snippet).
bird_conf() { # NAME ASN ADDR4 ADDR6 V4_NET V6_NET
	cat <<EOF
log stderr all;
router id $3;
protocol device { }
protocol static static4 { ipv4; route $5 blackhole; }
protocol static static6 { ipv6; route $6 blackhole; }
template bgp tabby {
	local as $2;
	connect delay time 1; connect retry time 2; hold time 9; keepalive time 3;
	debug { states, events, packets };
	$([ "$2" = "$LOCAL_AS" ] && echo "direct;")
}
protocol bgp tabby4 from tabby {
	source address $3;
	neighbor 198.18.0.1 as $LOCAL_AS;
	ipv4 { import all; export where source = RTS_STATIC; };
}
protocol bgp tabby6 from tabby {
	source address $4;
	neighbor 2001:db8::1 as $LOCAL_AS;
	ipv6 { import all; export where source = RTS_STATIC; };
}
EOF
}
bird_conf bird1 $EBGP_AS 198.18.0.2 2001:db8::2 10.31.0.0/24 2001:db8:31::/48 >"$TB_TMP/bird1.conf"
bird_conf bird2 $LOCAL_AS 198.18.0.3 2001:db8::3 10.32.0.0/24 2001:db8:32::/48 >"$TB_TMP/bird2.conf"

bird_start() { # NAME
	tb_bg "$(tb_ns "$1")" "$1" bird -f -c "$TB_TMP/$1.conf" -s "$TB_TMP/$1.ctl" -P "$TB_TMP/$1.pid"
	eval "PID_$1=$TB_LAST_PID"
	tb_wait_for 5 test -S "$TB_TMP/$1.ctl" || tb_fail "$1 did not start"
}
bc() { birdc -s "$TB_TMP/$1.ctl" "${@:2}"; }
bird_established() { bc "$1" show protocols "$2" | grep -q Established; }
bird_has() { # NAME PREFIX [ASPATH-REGEX]
	local out
	out=$(bc "$1" show route for "$2" all) || return 1
	echo "$out" | grep -q "^${2//./\\.} " || return 1
	[ $# -lt 3 ] || echo "$out" | grep -Eq "BGP.as_path: ?$3\$"
}
bird_lacks() { ! bird_has "$@"; }

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
      "passive": true, "hold_time": 9, "keepalive": 3, "connect_retry": 1 }
  ],
  "originate": [ "10.10.0.0/24", "2001:db8:10::/48" ]
}
EOF

bgpt_start_tabby "$TB_TMP/tabby.json"
bird_start bird1
bird_start bird2

for a in 198.18.0.2 2001:db8::2 198.18.0.3 2001:db8::3; do
	tb_assert "tabby: session to $a Established" tb_wait_for 20 bgpt_established "$a"
done
tb_assert "the passive peer (bird2, IPv6) is passive" test "$(bgpt_peer_field 2001:db8::3 passive)" = true
for n in bird1 bird2; do
	for p in tabby4 tabby6; do
		tb_assert "$n: $p Established" tb_wait_for 5 bird_established $n $p
	done
done

# --- tabby -> BIRD, with the four-octet AS in the path ---
tb_assert "bird1 has 10.10.0.0/24 with AS path $LOCAL_AS" tb_wait_for 10 bird_has bird1 10.10.0.0/24 "$LOCAL_AS"
tb_assert "bird1 has 2001:db8:10::/48 with AS path $LOCAL_AS" tb_wait_for 10 bird_has bird1 2001:db8:10::/48 "$LOCAL_AS"
tb_assert "bird2 (iBGP) has 10.10.0.0/24 with an empty AS path" tb_wait_for 10 bird_has bird2 10.10.0.0/24 ""
tb_assert "bird2 (iBGP) has 2001:db8:10::/48" tb_wait_for 10 bird_has bird2 2001:db8:10::/48

# --- BIRD -> tabby ---
tb_assert "tabby has 10.31.0.0/24 via 198.18.0.2" tb_wait_for 10 bgpt_has_route 10.31.0.0/24 198.18.0.2
tb_assert "tabby has 2001:db8:31::/48 via 2001:db8::2" tb_wait_for 10 bgpt_has_route 2001:db8:31::/48 2001:db8::2
tb_assert "tabby has 10.32.0.0/24 via 198.18.0.3" tb_wait_for 10 bgpt_has_route 10.32.0.0/24 198.18.0.3
tb_assert "tabby has 2001:db8:32::/48 via 2001:db8::3" tb_wait_for 10 bgpt_has_route 2001:db8:32::/48 2001:db8::3
tb_assert "AS path of 10.31.0.0/24 is [$EBGP_AS]" test "$(bgpt_route_field 10.31.0.0/24 .as_path)" = "[$EBGP_AS]"

# --- withdraw, both ways ---
bgpt_q withdraw 2001:db8:10::/48 | jq -e .ok >/dev/null || tb_fail "withdraw command"
tb_assert "bird1 lost 2001:db8:10::/48 after tabby's withdraw" tb_wait_for 10 bird_lacks bird1 2001:db8:10::/48
tb_assert "bird2 lost 2001:db8:10::/48 after tabby's withdraw" tb_wait_for 10 bird_lacks bird2 2001:db8:10::/48
bc bird1 disable static4 >/dev/null
tb_assert "tabby lost 10.31.0.0/24 after bird1's withdraw" tb_wait_for 10 bgpt_no_route 10.31.0.0/24
bc bird1 enable static4 >/dev/null
tb_assert "tabby has 10.31.0.0/24 again" tb_wait_for 10 bgpt_has_route 10.31.0.0/24

# --- route refresh, both ways (RFC 2918) ---
out_before=$(bgpt_peer_field 198.18.0.2 updates_out)
bc bird1 reload in tabby4 >/dev/null
tb_assert "tabby answers bird1's ROUTE-REFRESH" tb_wait_for 10 bgpt_log_has "198.18.0.2 AS$EBGP_AS: ROUTE-REFRESH for"
tb_assert "tabby resent its Adj-RIB-Out" tb_wait_for 5 test "$(bgpt_peer_field 198.18.0.2 updates_out)" -gt "$out_before"
tb_assert "bird1 still has 10.10.0.0/24" bird_has bird1 10.10.0.0/24
bgpt_q refresh 198.18.0.2 | jq -e .ok >/dev/null || tb_fail "refresh command"
tb_assert "bird1 got tabby's ROUTE-REFRESH" tb_wait_for 10 grep -q "tabby4: Got ROUTE-REFRESH" "$TB_TMP/bird1.log"

# --- BIRD restarts ---
bgpt_stop_pid "$PID_bird1"
tb_assert "tabby drops bird1's routes" tb_wait_for 10 bgpt_no_route 10.31.0.0/24
bird_start bird1
tb_assert "tabby: session to bird1 (IPv4) Established again" tb_wait_for 20 bgpt_established 198.18.0.2
tb_assert "tabby: session to bird1 (IPv6) Established again" tb_wait_for 20 bgpt_established 2001:db8::2
tb_assert "tabby has 10.31.0.0/24 again" tb_wait_for 10 bgpt_has_route 10.31.0.0/24 198.18.0.2
tb_assert "restarted bird1 has 10.10.0.0/24 again" tb_wait_for 10 bird_has bird1 10.10.0.0/24 "$LOCAL_AS"

tb_assert "the iBGP sessions never dropped" test "$(bgpt_peer_field 198.18.0.3 established_count)" = 1
kill -0 "$BGPT_TABBY_PID" || tb_fail "tabby-bgpd died"
tb_log "PASS"
