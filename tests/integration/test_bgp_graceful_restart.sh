#!/bin/bash
# Graceful restart, helper role (RFC 4724 4.2), against FRR as the restarting speaker.
#
# FRR advertises graceful restart with preserved forwarding state and a
# 6 s restart time. When its bgpd dies without a NOTIFICATION, tabby keeps
# its routes, marked stale; when it comes back, its End-of-RIB removes the
# stale routes it did not announce again; when it does not come back within
# the restart time, every stale route goes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../../bgp/tools/interop-lib.sh"

tb_require_root
tb_require_cmd jq vtysh /usr/lib/frr/bgpd "$TABBY_BGPD"

LOCAL_AS=64512
FRR_AS=65002

bgpt_topology frr

frr_conf() { # NETWORK...
	cat <<EOF
hostname frr
router bgp $FRR_AS
 bgp router-id 198.18.0.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp graceful-restart
 bgp graceful-restart preserve-fw-state
 bgp graceful-restart restart-time 6
 neighbor 198.18.0.1 remote-as $LOCAL_AS
 neighbor 198.18.0.1 timers 3 9
 neighbor 198.18.0.1 timers connect 1
 address-family ipv4 unicast
EOF
	for n in "$@"; do echo "  network $n"; done
	echo " exit-address-family"
}
frr_start() {
	mkdir -p "$TB_TMP/frr.vty"
	tb_bg "$(tb_ns frr)" frr /usr/lib/frr/bgpd -f "$TB_TMP/frr.conf" -i "$TB_TMP/frr.pid" -Z -S \
		--vty_socket "$TB_TMP/frr.vty" -A 127.0.0.1 -P 0
	PID_frr=$TB_LAST_PID
}
frr_kill() { # no NOTIFICATION: the TCP connection just ends
	kill -9 "$PID_frr"
	tb_wait_for 5 bash -c "! kill -0 $PID_frr 2>/dev/null" || tb_fail "frr did not die"
}
stale() { [ "$(bgpt_route_field "$1" .stale)" = "$2" ]; }

# tabby-bgpd reads YAML as well as JSON (same keys); this test uses YAML.
cat >"$TB_TMP/tabby.yaml" <<EOF
local_as: $LOCAL_AS
router_id: 198.18.0.1
control_socket: $BGPT_CTL
peers:
  - address: 198.18.0.2
    remote_as: $FRR_AS
    families: [ipv4]
    hold_time: 9
    keepalive: 3
    connect_retry: 1
EOF
bgpt_start_tabby "$TB_TMP/tabby.yaml"
frr_conf 10.21.0.0/24 10.22.0.0/24 >"$TB_TMP/frr.conf"
frr_start

tb_assert "session Established" tb_wait_for 20 bgpt_established 198.18.0.2
tb_assert "tabby sees the peer's graceful restart capability" \
	tb_wait_for 5 test "$(bgpt_peer_field 198.18.0.2 graceful_restart)" = true
tb_assert "tabby has 10.21.0.0/24 and 10.22.0.0/24" tb_wait_for 10 bgpt_has_route 10.22.0.0/24 198.18.0.2
tb_assert "routes are not stale" stale 10.21.0.0/24 false

# --- the peer restarts and comes back, announcing only one of its prefixes ---
frr_kill
tb_assert "tabby left Established" tb_wait_for 10 bash -c "[ \"\$($TABBY_BGPD --query $BGPT_CTL peers | jq -r '.peers[0].state')\" != Established ]"
tb_assert "the peer's routes stay, marked stale" stale 10.21.0.0/24 true
tb_assert "both stale routes are kept" bgpt_has_route 10.22.0.0/24 198.18.0.2
tb_assert "the peer shows as stale" test "$(bgpt_peer_field 198.18.0.2 stale)" = true
tb_assert "tabby logged the graceful restart" bgpt_log_has "keeping its routes as stale"
frr_conf 10.21.0.0/24 >"$TB_TMP/frr.conf"
frr_start
tb_assert "session Established again" tb_wait_for 20 bgpt_established 198.18.0.2
tb_assert "End-of-RIB clears the stale mark of the route announced again" tb_wait_for 10 stale 10.21.0.0/24 false
tb_assert "End-of-RIB removes the route not announced again" tb_wait_for 10 bgpt_no_route 10.22.0.0/24
tb_assert "the peer is not stale any more" test "$(bgpt_peer_field 198.18.0.2 stale)" = false

# --- the peer dies and does not come back within its restart time (6 s) ---
frr_kill
tb_wait_for 10 bash -c "[ \"\$($TABBY_BGPD --query $BGPT_CTL peers | jq -r '.peers[0].state')\" != Established ]" ||
	tb_fail "tabby stayed Established"
tb_assert "the route is kept, stale, during the restart time" stale 10.21.0.0/24 true
sleep 3
tb_assert "... still there half way through" bgpt_has_route 10.21.0.0/24
tb_assert "the stale route goes when the restart time runs out" tb_wait_for 8 bgpt_no_route 10.21.0.0/24
tb_assert "tabby logged the expiry" bgpt_log_has "graceful restart timer expired"

kill -0 "$BGPT_TABBY_PID" || tb_fail "tabby-bgpd died"
tb_log "PASS"
