# Sourced helpers (not a test itself) shared by the CNI integration tests, after lib.sh:
# a node namespace running tabbyd, pods as namespaces, and the `tabby` plugin
# run inside the node namespace.
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
TABBY_PLUGIN="$top_builddir/src/cni/tabby"
TABBYD="$top_builddir/src/tabbyd/tabbyd"
NODE_NS=""
TABBYD_PID=""

# cni_node NAME: fabric + node namespace with an uplink and a default route.
cni_node() {
	tb_fabric fab
	tb_netns "$1"
	NODE_NS=$(tb_ns "$1")
	tb_attach "$(tb_ns fab)" "$NODE_NS" up0 198.18.0.1/24 2001:db8::1/64
	cat >"$TB_TMP/tabbyd.yaml" <<EOC
nodeName: $1
datastore: sqlite:$TB_TMP/tabby.db${CNI_STORE_QUERY:-}
addresses: [198.18.0.1/24, 2001:db8::1/64]
apiSocket: $TB_TMP/tabbyd.sock
logLevel: ${CNI_LOG_LEVEL:-info}
bootstrapPools:
  - {name: test-ipv4, cidr: 10.244.0.0/16, blockSize: 26}
  - {name: test-ipv6, cidr: 'fd00:10:244::/56', blockSize: 122}
EOC
	cat >"$TB_TMP/net.json" <<EOC
{"cniVersion": "1.0.0", "name": "tabby-net", "type": "tabby", "socket": "$TB_TMP/tabbyd.sock",
 "ipam": {"type": "tabby", "assign_ipv4": "true", "assign_ipv6": "true"}}
EOC
}

# cni_start_tabbyd: start tabbyd in the node namespace and wait for its socket.
cni_start_tabbyd() {
	tb_bg "$NODE_NS" tabbyd "$TABBYD" -c "$TB_TMP/tabbyd.yaml"
	TABBYD_PID=$TB_LAST_PID
	tb_wait_for 10 cni_api GET /v1/status || tb_fail "tabbyd did not come up"
}

cni_stop_tabbyd() {
	kill -TERM "$TABBYD_PID"
	tb_wait_for 10 cni_not_running "$TABBYD_PID" || tb_fail "tabbyd did not stop on SIGTERM"
	wait "$TABBYD_PID" 2>/dev/null
	local rc=$?
	[ $rc -eq 0 ] || tb_fail "tabbyd exited with status $rc after SIGTERM"
}

cni_not_running() { ! kill -0 "$1" 2>/dev/null; }

# cni_api METHOD PATH [BODY]: talk to tabbyd's API directly.
cni_api() {
	if [ $# -ge 3 ]; then
		curl -sf --unix-socket "$TB_TMP/tabbyd.sock" -X "$1" -d "$3" "http://tabbyd$2"
	else
		curl -sf --unix-socket "$TB_TMP/tabbyd.sock" -X "$1" "http://tabbyd$2"
	fi
}

# cni_run CMD CONTAINERID NETNS IFNAME [CONFIG_FILE] [CNI_ARGS]: run the plugin in the node.
# stdout -> $TB_TMP/out.json, exit status returned.
cni_run() {
	local cmd=$1 cid=$2 netns=$3 ifn=$4 conf=${5:-$TB_TMP/net.json} args=${6:-}
	ip netns exec "$NODE_NS" env -i PATH="$PATH" CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" \
		CNI_NETNS="$netns" CNI_IFNAME="$ifn" CNI_PATH=/usr/lib/cni CNI_ARGS="$args" \
		"$TABBY_PLUGIN" <"$conf" >"$TB_TMP/out.json"
}

# cni_code: the "code" of the CNI error in $TB_TMP/out.json.
cni_code() { jq -r '.code // empty' "$TB_TMP/out.json"; }

# cni_db SQL: query the test's SQLite datastore.
cni_db() { sqlite3 "$TB_TMP/tabby.db" "$1"; }

cni_link_gone() { ! ip -n "$NODE_NS" link show "$1" >/dev/null 2>&1; }
cni_ns_link_gone() { ! ip -n "$1" link show "$2" >/dev/null 2>&1; }
cni_no_pod_links() { [ "$(ip -n "$NODE_NS" -o link show | grep -c ': tabby')" = 0 ]; }
# cni_output_has PATTERN CMD...: CMD's output contains PATTERN (for tb_assert).
cni_output_has() {
	local pat=$1 out
	shift
	out=$("$@" 2>&1) || return 1
	grep -q -- "$pat" <<<"$out"
}
# cni_count_at_least N PATTERN FILE: PATTERN occurs on at least N lines of FILE.
cni_count_at_least() { [ "$(grep -c -- "$2" "$3")" -ge "$1" ]; }
# cni_count_is N PATTERN FILE: PATTERN occurs on exactly N lines of FILE.
cni_count_is() { [ "$(grep -c -- "$2" "$3")" = "$1" ]; }
