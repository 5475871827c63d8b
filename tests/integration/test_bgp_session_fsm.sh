#!/bin/bash
# Session corner cases on the wire, against a scripted peer
# (bgp/tools/bgp-scripted-peer.py): connection collisions resolved both ways
# (RFC 4271 6.8), hold timer expiry (NOTIFICATION 4/0, logged with the peer),
# a refused Hold Time of 1 s (RFC 4271 6.2), the maximum-prefix limit
# (Cease/1, RFC 4486) and GTSM dropping a peer whose packets arrive with TTL 64
# (RFC 5082).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../../bgp/tools/interop-lib.sh"

tb_require_root
tb_require_cmd jq python3 "$TABBY_BGPD"
PEER_PY="$(dirname "$0")/../../bgp/tools/bgp-scripted-peer.py"

bgpt_topology peer

cat >"$TB_TMP/tabby.json" <<EOF
{
  "local_as": 64512,
  "router_id": "198.18.0.1",
  "control_socket": "$BGPT_CTL",
  "peers": [
    { "address": "198.18.0.2", "remote_as": 65002, "families": ["ipv4"],
      "hold_time": 9, "connect_retry": 1, "max_prefixes": 100, "ttl_security": true }
  ]
}
EOF
bgpt_start_tabby "$TB_TMP/tabby.json"

scripted() { # SCENARIO PEER-ID [OPTIONS]
	ip netns exec "$(tb_ns peer)" python3 "$PEER_PY" "$1" --tabby 198.18.0.1 --local 198.18.0.2 \
		--id "$2" "${@:3}" >>"$TB_TMP/peer-$1.log" 2>&1
}

# Peer identifier higher than ours: the peer's connection survives.
scripted collision 198.18.0.9 &
SP=$!
tb_assert "collision, peer id higher: tabby closes its own connection with Cease/7" wait $SP
tb_assert "... and the session came up on the peer's connection" bgpt_log_has "198.18.0.2 AS65002: session established"
tb_assert "... tabby logged the collision" bgpt_log_has "connection collision .* keeping the connection the peer initiated"
cat "$TB_TMP/peer-collision.log" >&2

# Peer identifier lower than ours: our connection survives.
: >"$TB_TMP/peer-collision.log"
scripted collision 10.0.0.1 &
SP=$!
tb_assert "collision, peer id lower: tabby closes the peer's connection with Cease/7" wait $SP
tb_assert "... tabby logged the collision" bgpt_log_has "connection collision .* keeping the connection we initiated"
tb_assert "... two sessions so far" test "$(bgpt_peer_field 198.18.0.2 established_count)" = 2
cat "$TB_TMP/peer-collision.log" >&2

# Hold timer expiry: NOTIFICATION 4/0 after the negotiated 3 s, logged with the peer.
tb_assert "a silent peer gets NOTIFICATION 4/0 after the hold time" scripted hold 198.18.0.9
tb_assert "... tabby logged peer, code and reason" \
	bgpt_log_has "peer 198.18.0.2 AS65002: sending NOTIFICATION 4/0 \(Hold Timer Expired"
last_error_is_hold() { bgpt_peer_field 198.18.0.2 last_error | grep -q "^sent NOTIFICATION 4/0"; }
tb_assert "... and keeps it as the peer's last error" last_error_is_hold
cat "$TB_TMP/peer-hold.log" >&2

# RFC 4271 6.2: a Hold Time of 1 s is refused.
tb_assert "Hold Time 1 refused with NOTIFICATION 2/6" scripted badhold 198.18.0.9
cat "$TB_TMP/peer-badhold.log" >&2

# RFC 4486: more prefixes than max_prefixes (100) end the session with Cease/1.
tb_assert "101 prefixes over a limit of 100: NOTIFICATION 6/1" scripted maxprefix 198.18.0.9 --count 101
tb_assert "... logged" bgpt_log_has "sending NOTIFICATION 6/1"
tb_assert "... and the prefixes are gone" test "$(bgpt_peer_field 198.18.0.2 prefixes_accepted)" = 0
cat "$TB_TMP/peer-maxprefix.log" >&2

# RFC 5082: with ttl_security, a peer whose packets arrive with TTL 64 is not heard.
tb_assert "GTSM: an OPEN sent with TTL 64 never reaches tabby" scripted gtsm 198.18.0.9 --ttl 64
tb_assert "... while TTL 255 works (the other scenarios)" test "$(bgpt_peer_field 198.18.0.2 established_count)" -ge 4
cat "$TB_TMP/peer-gtsm.log" >&2

kill -0 "$BGPT_TABBY_PID" || tb_fail "tabby-bgpd died"
tb_log "PASS"
