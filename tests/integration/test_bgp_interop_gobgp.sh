#!/bin/bash
# Interop: tabby-bgpd <-> GoBGP gobgpd, each in its own namespace.
#
# gobgp1 is an eBGP peer (AS 4200000004), gobgp2 an iBGP peer (AS 4200000001,
# tabby's own); four-octet ASes (RFC 6793). Each has an IPv4 session (IPv4
# unicast) and an IPv6 session (IPv6 unicast). Checks: Established, prefixes
# both ways (tabby's JSON, `gobgp -j`), withdraw both ways, route refresh
# (tabby asks), recovery after a gobgpd restart. Neither side uses port 179:
# tabby listens on 1179 and gobgpd on 1790 (configurable ports, both ways).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../../bgp/tools/interop-lib.sh"

tb_require_root
tb_require_cmd jq gobgpd gobgp "$TABBY_BGPD"

LOCAL_AS=4200000001
EBGP_AS=4200000004

bgpt_topology gobgp1 gobgp2

# GoBGP configuration (doc/bgp.md shows the same snippet).
gobgp_conf() { # ASN ADDR4 ADDR6
	local a af
	cat <<EOF
[global.config]
  as = $1
  router-id = "$2"
  port = 1790
  local-address-list = ["$2", "$3"]
EOF
	for a in 198.18.0.1 2001:db8::1; do
		af=ipv4-unicast
		[ "$a" = 2001:db8::1 ] && af=ipv6-unicast
		cat <<EOF

[[neighbors]]
  [neighbors.config]
    neighbor-address = "$a"
    peer-as = $LOCAL_AS
  [neighbors.transport.config]
    remote-port = 1179
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "$af"
EOF
	done
}
gobgp_conf $EBGP_AS 198.18.0.2 2001:db8::2 >"$TB_TMP/gobgp1.toml"
gobgp_conf $LOCAL_AS 198.18.0.3 2001:db8::3 >"$TB_TMP/gobgp2.toml"

gobgp_start() { # NAME
	tb_bg "$(tb_ns "$1")" "$1" gobgpd -f "$TB_TMP/$1.toml" --api-hosts "unix://$TB_TMP/$1.api" \
		--pprof-disable -p
	eval "PID_$1=$TB_LAST_PID"
	tb_wait_for 10 test -S "$TB_TMP/$1.api" || tb_fail "$1 did not start"
}
gb() { gobgp --target "unix://$TB_TMP/$1.api" "${@:2}"; }
gobgp_established() { # NAME PEER
	gb "$1" -j neighbor "$2" | jq -e '.state.session_state == 6 or .state.session_state == "established"' >/dev/null
}
gobgp_has() { # NAME AFI PREFIX [FIRST-AS]
	gb "$1" -j global rib -a "$2" | jq -e --arg p "$3" --arg first "${4-}" --argjson check $(($# >= 4)) '
		(.[$p] // []) | length > 0 and ($check == 0 or any(.[].attrs[]; .type == 2 and
			((.as_paths // [])[0].asns[0] | tostring) == $first))' >/dev/null
}
gobgp_lacks() { ! gobgp_has "$@"; }
gobgp_refresh_rcvd() { gb gobgp1 -j neighbor 198.18.0.1 | jq -r '.state.messages.received.refresh // 0'; }
gobgp_originate() { # NAME
	local n=${1#gobgp}
	gb "$1" global rib add "10.4$n.0.0/24" -a ipv4 >/dev/null || tb_fail "gobgp $1 rib add"
	gb "$1" global rib add "2001:db8:4$n::/48" -a ipv6 >/dev/null || tb_fail "gobgp $1 rib add v6"
}

cat >"$TB_TMP/tabby.json" <<EOF
{
  "local_as": $LOCAL_AS,
  "router_id": "198.18.0.1",
  "listen_port": 1179,
  "control_socket": "$BGPT_CTL",
  "peers": [
    { "address": "198.18.0.2", "remote_as": $EBGP_AS, "families": ["ipv4"], "port": 1790,
      "hold_time": 9, "keepalive": 3, "connect_retry": 1 },
    { "address": "2001:db8::2", "remote_as": $EBGP_AS, "families": ["ipv6"], "port": 1790,
      "hold_time": 9, "keepalive": 3, "connect_retry": 1 },
    { "address": "198.18.0.3", "remote_as": $LOCAL_AS, "families": ["ipv4"], "port": 1790,
      "hold_time": 9, "keepalive": 3, "connect_retry": 1 },
    { "address": "2001:db8::3", "remote_as": $LOCAL_AS, "families": ["ipv6"], "port": 1790,
      "hold_time": 9, "keepalive": 3, "connect_retry": 1 }
  ],
  "originate": [ "10.10.0.0/24", "2001:db8:10::/48" ]
}
EOF

bgpt_start_tabby "$TB_TMP/tabby.json"
gobgp_start gobgp1
gobgp_start gobgp2
gobgp_originate gobgp1
gobgp_originate gobgp2

for a in 198.18.0.2 2001:db8::2 198.18.0.3 2001:db8::3; do
	tb_assert "tabby: session to $a Established" tb_wait_for 20 bgpt_established "$a"
done
for n in gobgp1 gobgp2; do
	tb_assert "$n: IPv4 session Established" tb_wait_for 5 gobgp_established $n 198.18.0.1
	tb_assert "$n: IPv6 session Established" tb_wait_for 5 gobgp_established $n 2001:db8::1
done

listens() { ip netns exec "$(tb_ns "$1")" ss -Hltn "sport = :$2" | grep -q LISTEN; }
tb_assert "tabby listens on port 1179" listens tb 1179
tb_assert "... and not on 179" bash -c "! ip netns exec $(tb_ns tb) ss -Hltn 'sport = :179' | grep -q LISTEN"
# Every session runs between tabby:1179 and a gobgpd client port, or a tabby client port and gobgpd:1790.
sessions_on_custom_ports() {
	[ "$(ip netns exec "$(tb_ns tb)" ss -Htn state established '( sport = :1179 or dport = :1790 )' | wc -l)" -ge 4 ]
}
tb_assert "all four sessions use the configured ports" sessions_on_custom_ports

# --- tabby -> GoBGP, with the four-octet AS in the path ---
tb_assert "gobgp1 has 10.10.0.0/24 from AS $LOCAL_AS" tb_wait_for 10 gobgp_has gobgp1 ipv4 10.10.0.0/24 "$LOCAL_AS"
tb_assert "gobgp1 has 2001:db8:10::/48 from AS $LOCAL_AS" tb_wait_for 10 gobgp_has gobgp1 ipv6 2001:db8:10::/48 "$LOCAL_AS"
tb_assert "gobgp2 (iBGP) has 10.10.0.0/24" tb_wait_for 10 gobgp_has gobgp2 ipv4 10.10.0.0/24
tb_assert "gobgp2 (iBGP) has 2001:db8:10::/48" tb_wait_for 10 gobgp_has gobgp2 ipv6 2001:db8:10::/48

# --- GoBGP -> tabby ---
tb_assert "tabby has 10.41.0.0/24 via 198.18.0.2" tb_wait_for 10 bgpt_has_route 10.41.0.0/24 198.18.0.2
tb_assert "tabby has 2001:db8:41::/48 via 2001:db8::2" tb_wait_for 10 bgpt_has_route 2001:db8:41::/48 2001:db8::2
tb_assert "tabby has 10.42.0.0/24 via 198.18.0.3" tb_wait_for 10 bgpt_has_route 10.42.0.0/24 198.18.0.3
tb_assert "tabby has 2001:db8:42::/48 via 2001:db8::3" tb_wait_for 10 bgpt_has_route 2001:db8:42::/48 2001:db8::3
tb_assert "AS path of 10.41.0.0/24 is [$EBGP_AS]" test "$(bgpt_route_field 10.41.0.0/24 .as_path)" = "[$EBGP_AS]"

# --- withdraw, both ways ---
bgpt_q withdraw 10.10.0.0/24 | jq -e .ok >/dev/null || tb_fail "withdraw command"
tb_assert "gobgp1 lost 10.10.0.0/24 after tabby's withdraw" tb_wait_for 10 gobgp_lacks gobgp1 ipv4 10.10.0.0/24
tb_assert "gobgp2 lost 10.10.0.0/24 after tabby's withdraw" tb_wait_for 10 gobgp_lacks gobgp2 ipv4 10.10.0.0/24
gb gobgp1 global rib del 2001:db8:41::/48 -a ipv6 >/dev/null || tb_fail "gobgp rib del"
tb_assert "tabby lost 2001:db8:41::/48 after gobgp1's withdraw" tb_wait_for 10 bgpt_no_route 2001:db8:41::/48
bgpt_q originate 10.10.0.0/24 | jq -e .ok >/dev/null || tb_fail "originate command"
tb_assert "gobgp1 has 10.10.0.0/24 again" tb_wait_for 10 gobgp_has gobgp1 ipv4 10.10.0.0/24

# --- route refresh (RFC 2918) ---
# Only tabby -> GoBGP: gobgp's "softresetin" re-runs policy over its own
# Adj-RIB-In and never sends a ROUTE-REFRESH (FRR, BIRD and OpenBGPD cover
# tabby answering one).
rr_before=$(gobgp_refresh_rcvd)
bgpt_q refresh 198.18.0.2 | jq -e .ok >/dev/null || tb_fail "refresh command"
tb_assert "gobgp1 received tabby's ROUTE-REFRESH" tb_wait_for 10 test "$(gobgp_refresh_rcvd)" -gt "$rr_before"
tb_assert "gobgp1 still has 10.10.0.0/24" gobgp_has gobgp1 ipv4 10.10.0.0/24

# --- gobgpd restarts ---
bgpt_stop_pid "$PID_gobgp1"
tb_assert "tabby drops gobgp1's routes" tb_wait_for 10 bgpt_no_route 10.41.0.0/24
rm -f "$TB_TMP/gobgp1.api"
gobgp_start gobgp1
gobgp_originate gobgp1
tb_assert "tabby: session to gobgp1 (IPv4) Established again" tb_wait_for 20 bgpt_established 198.18.0.2
tb_assert "tabby: session to gobgp1 (IPv6) Established again" tb_wait_for 20 bgpt_established 2001:db8::2
tb_assert "tabby has 10.41.0.0/24 again" tb_wait_for 10 bgpt_has_route 10.41.0.0/24 198.18.0.2
tb_assert "restarted gobgp1 has 10.10.0.0/24 again" tb_wait_for 10 gobgp_has gobgp1 ipv4 10.10.0.0/24 "$LOCAL_AS"

tb_assert "the iBGP sessions never dropped" test "$(bgpt_peer_field 198.18.0.3 established_count)" = 1
kill -0 "$BGPT_TABBY_PID" || tb_fail "tabby-bgpd died"
tb_log "PASS"
