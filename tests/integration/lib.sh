# Shared helpers for integration tests (sourced, bash).
#
# Every test builds its own namespaces, named with a per-run prefix so that
# parallel tests never collide, and registers everything it makes for removal
# on exit, even on failure. Nothing here touches the root network namespace
# beyond creating and deleting named namespaces.
set -u

TB_RUN="${TB_RUN:-tb$$}"          # prefix for namespace names (keep it short: IFNAMSIZ)
TB_TMP="$(mktemp -d "/tmp/${TB_RUN}.XXXXXX")"
TB_NETNS=()
TB_PIDS=()
TB_CLEANUP=()
TB_FAILED=0

tb_log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

# Skip (exit 77) on a user's machine; under CI=true a skip is a failure.
tb_skip() {
	if [ "${CI:-}" = "true" ]; then
		tb_log "FAIL (would skip, but CI=true): $*"
		exit 1
	fi
	tb_log "SKIP: $*"
	exit 77
}

tb_fail() {
	tb_log "FAIL: $*"
	TB_FAILED=1
	exit 1
}

tb_require_root() { [ "$(id -u)" = 0 ] || tb_skip "needs root (network namespaces)"; }
tb_require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || tb_skip "needs $c (see contrib/quickstart for the Debian packages)"
	done
}

tb_cleanup() {
	local rc=$? i pid ns
	set +e
	for ((i = ${#TB_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${TB_CLEANUP[$i]}" >/dev/null 2>&1; done
	for pid in "${TB_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${TB_PIDS[@]}"; do
		for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
	done
	for ns in "${TB_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ -d "$TB_TMP" ]; then
		tb_log "logs kept in $TB_TMP"
		for f in "$TB_TMP"/*.log; do [ -f "$f" ] && { echo "--- $f (tail)"; tail -n 30 "$f"; }; done >&2
	else
		rm -rf "$TB_TMP"
	fi
	exit $rc
}
trap tb_cleanup EXIT
trap 'exit 130' INT TERM

# Register a shell command to run at cleanup (last registered runs first).
tb_on_exit() { TB_CLEANUP+=("$*"); }
# Remember a PID we started, to stop it (by PID) at cleanup.
tb_track_pid() { TB_PIDS+=("$1"); }

# Namespace names are ${TB_RUN}NAME; tb_ns NAME prints it. (Do not call the creating
# functions inside $(...): they record what they make in this shell's arrays.)
tb_ns() { echo "${TB_RUN}$1"; }

# tb_netns NAME: create namespace ${TB_RUN}NAME with lo up.
tb_netns() {
	local ns="${TB_RUN}$1"
	ip netns add "$ns" || tb_fail "ip netns add $ns"
	TB_NETNS+=("$ns")
	ip -n "$ns" link set lo up
}

# tb_fabric NAME: a namespace with a bridge "br0" that nodes attach to.
tb_fabric() {
	local ns="${TB_RUN}$1"
	tb_netns "$1"
	ip -n "$ns" link add br0 type bridge
	ip -n "$ns" link set br0 up
}

# tb_attach FABRIC_NS NODE_NS IFNAME (full namespace names, see tb_ns) ADDR4/LEN [ADDR6/LEN]: veth from node to the fabric bridge,
# addresses on the node side, and a default route out of it (proxy ARP needs one).
tb_attach() {
	local fab=$1 node=$2 ifn=$3 a4=$4 a6=${5:-}
	local peer="v${node: -6}"
	[ ${#node} -lt 6 ] && peer="v$node" # ${node: -6} is empty for a shorter name
	ip link add "$ifn" netns "$node" type veth peer name "$peer" netns "$fab" || tb_fail "veth $ifn"
	ip -n "$fab" link set "$peer" master br0 up
	ip -n "$node" addr add "$a4" dev "$ifn"
	[ -n "$a6" ] && ip -n "$node" addr add "$a6" dev "$ifn" nodad
	ip -n "$node" link set "$ifn" up
	ip -n "$node" route add default dev "$ifn" 2>/dev/null || true
	[ -n "$a6" ] && ip -n "$node" -6 route add default dev "$ifn" 2>/dev/null || true
}

# tb_bg NS LOGNAME CMD...: run CMD in namespace NS in the background, log to $TB_TMP/LOGNAME.log,
# track its PID; the PID is left in TB_LAST_PID.
tb_bg() {
	local ns=$1 name=$2
	shift 2
	ip netns exec "$ns" "$@" >"$TB_TMP/$name.log" 2>&1 &
	TB_LAST_PID=$!
	TB_PIDS+=("$TB_LAST_PID")
}

# tb_wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds; fails after SECONDS.
tb_wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

tb_assert() {
	local what=$1
	shift
	"$@" || tb_fail "$what"
	tb_log "ok: $what"
}
