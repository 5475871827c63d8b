#!/bin/bash
# The FIB with many learned routes (doc/routing.md, "FIB"): tabbyd in a node
# namespace learns 5000 /24s from two injector namespaces (tests/bench/
# bgp_inject: pre-encoded UPDATEs, the same prefixes from 198.18.0.2 and
# 198.18.0.3). Checks: every route goes into the kernel through one nexthop
# object, then through an ECMP group once the second peer sends them; when the
# first session drops, every route moves to the second peer's object with no
# moment where one is missing; when the second drops, all 5000 leave the
# kernel with their nexthop object (one RTM_DELNEXTHOP, not 5000 deletions)
# and no protocol-84 object is left; a learned route deleted by hand is back
# at once (a route notification, not the 3600 s reconciliation period).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/test_cni_common.sh"

tb_require_root
INJECT="$top_builddir/tests/bench/bgp_inject"
tb_require_cmd jq curl "$TABBYD" "$INJECT"
N=5000

cni_node node # fabric + node namespace (198.18.0.1) + tabbyd.yaml
cat >>"$TB_TMP/tabbyd.yaml" <<EOC
bgp:
  enabled: true
  asNumber: 64512
  installRoutes: true
  fibReconcileSeconds: 3600
  peers:
    - {address: 198.18.0.2, asNumber: 65001, passive: true, families: [ipv4]}
    - {address: 198.18.0.3, asNumber: 65001, passive: true, families: [ipv4]}
EOC
for i in 2 3; do
	tb_netns "inj$i"
	tb_attach "$(tb_ns fab)" "$(tb_ns "inj$i")" eth0 "198.18.0.$i/24"
done
cni_start_tabbyd

inject() { # I N: injector 198.18.0.I sends prefixes 100.0.0.0/24 .. (N of them)
	tb_bg "$(tb_ns "inj$1")" "inject$1" "$INJECT" -m packed -n "$2" -l "198.18.0.$1" \
		-p 198.18.0.1 -A 64512 -a 65001 -t 30
	INJ_PID[$1]=$TB_LAST_PID
}
routes() { ip -n "$NODE_NS" -4 route show proto 84 | grep '^100\.'; }
count() { routes | grep -c .; }
count_is() { [ "$(count)" = "$1" ]; }
# routes whose next hop object is ID
via_obj() { routes | grep -c "nhid $1 "; }
obj_of() { ip -n "$NODE_NS" route show "$1" proto 84 | sed -n 's/.*nhid \([0-9]*\) .*/\1/p'; }

# --- one peer: all N routes through one object with gateway 198.18.0.2 ---
declare -a INJ_PID
inject 2 "$N"
tb_assert "all $N learned routes are in the kernel" tb_wait_for 20 count_is "$N"
ID2=$(obj_of 100.0.0.0/24)
tb_assert "they share one nexthop object ($ID2) via 198.18.0.2" \
	test "$(via_obj "$ID2")" = "$N" -a -n "$(ip -n "$NODE_NS" nexthop show id "$ID2" | grep 'via 198.18.0.2')"

# --- a second peer with the same prefixes: ECMP through a group ---
inject 3 "$N"
ecmp() { G=$(obj_of 100.0.0.0/24) && ip -n "$NODE_NS" nexthop show id "$G" | grep -q group && [ "$(via_obj "$G")" = "$N" ]; }
tb_assert "with the second peer every route goes through one ECMP group" tb_wait_for 20 ecmp

# --- the first session drops: the routes move to the second peer, none goes missing ---
min=$N
kill "${INJ_PID[2]}"
moved() {
	local c
	c=$(count)
	((c < min)) && min=$c
	ID3=$(obj_of 100.0.0.0/24) && ip -n "$NODE_NS" nexthop show id "$ID3" | grep -q 'via 198.18.0.3' &&
		[ "$(via_obj "$ID3")" = "$N" ]
}
tb_assert "after the first peer left, all $N routes go through 198.18.0.3's object" tb_wait_for 15 moved
tb_assert "no route was missing while they moved (smallest count seen: $min)" test "$min" = "$N"

# --- the second session drops: every route leaves with its object ---
kill "${INJ_PID[3]}"
tb_assert "after the last peer left, no learned route is in the kernel" tb_wait_for 15 count_is 0
tb_assert "tabbyd removed them with their nexthop object" \
	grep -q "fib: $N withdrawn routes removed with 1 nexthop object, 0 one by one" "$TB_TMP/tabbyd.log"
no_objects() { [ -z "$(ip -n "$NODE_NS" nexthop show protocol 84)" ]; }
tb_assert "no protocol-84 nexthop object is left" tb_wait_for 5 no_objects

# --- a learned route deleted by hand is back at once (not at the 3600 s reconciliation) ---
peer_active() { # tabbyd accepts the peer again only once its session left Idle
	[ "$(cni_api GET /v1/bgp | jq -r '.peers[] | select(.address == "198.18.0.2") | .state')" = Active ]
}
tb_wait_for 10 peer_active || tb_fail "the session with 198.18.0.2 did not leave Idle"
inject 2 100
tb_assert "100 routes learned again" tb_wait_for 20 count_is 100
ip -n "$NODE_NS" route del 100.0.7.0/24 proto 84 || tb_fail "deleting 100.0.7.0/24 by hand"
back() { ip -n "$NODE_NS" route show 100.0.7.0/24 proto 84 | grep -q nhid; }
tb_assert "the route deleted by hand is back within 1 s" tb_wait_for 1 back
tb_assert "tabbyd logged the repair" grep -q "deleted outside tabbyd; reconciling" "$TB_TMP/tabbyd.log"
kill "${INJ_PID[2]}"
tb_assert "and gone again with the session" tb_wait_for 15 count_is 0
cni_stop_tabbyd
tb_assert "no sanitizer report in tabbyd's log" eval "! grep -q 'Sanitizer\|runtime error' $TB_TMP/tabbyd.log"
tb_log "PASS"
