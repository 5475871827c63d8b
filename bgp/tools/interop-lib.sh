# Helpers for the BGP interoperability tests (sourced after tests/integration/lib.sh).
#
# Topology: a fabric namespace with a bridge; tabby-bgpd in namespace "tb"
# (198.18.0.1/24, 2001:db8::1/64); peers in their own namespaces at
# 198.18.0.N / 2001:db8::N. Everything is created through lib.sh, so it is
# removed on exit, and nothing touches the root namespace.

TABBY_BGPD="${TABBY_BGPD:-${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}/bgp/tools/tabby-bgpd}"
BGPT_CTL="$TB_TMP/tabby.ctl"

# bgpt_topology PEER_NAME...: fabric, tabby's namespace, one namespace per peer (.2, .3, ...).
bgpt_topology() {
	local i=2 name
	tb_fabric fab
	tb_netns tb
	tb_attach "$(tb_ns fab)" "$(tb_ns tb)" eth0 198.18.0.1/24 2001:db8::1/64
	for name in "$@"; do
		tb_netns "$name"
		tb_attach "$(tb_ns fab)" "$(tb_ns "$name")" eth0 "198.18.0.$i/24" "2001:db8::$i/64"
		i=$((i + 1))
	done
}

# bgpt_start_tabby CONFIG_JSON_FILE: run tabby-bgpd in namespace tb with the control socket.
bgpt_start_tabby() {
	tb_bg "$(tb_ns tb)" tabby "$TABBY_BGPD" -d -c "$1"
	BGPT_TABBY_PID=$TB_LAST_PID
	tb_wait_for 5 test -S "$BGPT_CTL" || tb_fail "tabby-bgpd did not start"
}

# bgpt_q COMMAND...: ask tabby-bgpd, print its JSON answer.
bgpt_q() { "$TABBY_BGPD" --query "$BGPT_CTL" "$@"; }

# bgpt_state ADDR: tabby's FSM state for the peer.
bgpt_state() { bgpt_q peers | jq -r --arg a "$1" '.peers[] | select(.address == $a) | .state'; }
bgpt_established() { [ "$(bgpt_state "$1")" = Established ]; }

# bgpt_has_route PREFIX [NEXT_HOP]: tabby's Loc-RIB has PREFIX (via NEXT_HOP).
bgpt_has_route() {
	bgpt_q rib | jq -e --arg p "$1" --arg nh "${2:-}" \
		'[.ipv4[], .ipv6[]] | map(select(.prefix == $p and ($nh == "" or (.next_hops | index($nh) != null)))) | length > 0' >/dev/null
}
bgpt_no_route() { ! bgpt_has_route "$1"; }

# bgpt_route_field PREFIX JQ-EXPR: a field of tabby's best route for PREFIX.
bgpt_route_field() { bgpt_q rib | jq -c --arg p "$1" "[.ipv4[], .ipv6[]] | map(select(.prefix == \$p))[0] | $2"; }

# bgpt_peer_field ADDR FIELD: a field of tabby's peer JSON.
bgpt_peer_field() { bgpt_q peers | jq -r --arg a "$1" ".peers[] | select(.address == \$a) | .$2"; }

# bgpt_log_has REGEX: tabby's log mentions it.
bgpt_log_has() { grep -Eq "$1" "$TB_TMP/tabby.log"; }

# bgpt_stop_pid PID: stop a daemon we started (by PID) and wait for it to go.
bgpt_stop_pid() {
	local pid=$1 i
	kill "$pid" 2>/dev/null
	for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
}
