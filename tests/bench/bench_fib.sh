#!/bin/bash
# DOC: kernel FIB programming benchmark, side by side (a benchmark, not a test).
#
# How fast do N routes learned over BGP reach the kernel, and leave it again?
# For each contender and N, in a fresh pair of namespaces joined by a veth
# (receiver 198.18.0.1/30 on eth0, injector 198.18.0.2/30; nothing in the root
# namespace):
#   tabbyd  the node agent, bgp.installRoutes on (routes with protocol 84, nexthop objects)
#   tabbyplain  the same with TABBYD_FIB_PLAIN_ROUTES=1: plain routes, a gateway each
#   bird    BIRD 2, one BGP session, its kernel protocol exporting everything
#   frr     FRR bgpd + zebra (zebra installs the routes)
#   loader  tests/bench/fib_loader: raw batched netlink, plain routes via the gateway
#   loadnh  the same through one kernel nexthop object (RTA_NH_ID): the kernel's limit
#   ipbatch `ip -batch` of the same routes (one acknowledgement awaited per route)
# The BGP contenders get the routes from tests/bench/bgp_inject (pre-encoded
# UPDATEs, ~1000 /24s each, next hop 198.18.0.2, then End-of-RIB).
#   install  = first time the receiver namespace's main table holds all N more
#              routes than before - the injector's time of Established
#   withdraw = stopping the injector (it sends a Cease, the session drops) until
#              the table is back to where it was
# For loader/loadnh/ipbatch: the duration of the program's add and delete phases.
# The BGP contenders are timed by `fib_loader -W` in the receiver namespace: it
# follows the kernel's route notifications and prints when all N are present
# and when all are gone (a route whose nexthop object is deleted is gone: the
# kernel removes it with no RTM_DELROUTE of its own; the table's count is
# checked once the phase is over). (Polling a count instead distorts the result: the
# count, /proc/net/fib_triestat, walks the trie under rcu_read_lock, and every
# trie resize of the daemon's route changes waits for an RCU grace period; at
# 1M routes a 5-100 ms poll doubled the install time.) Should notifications be
# lost, the count is polled once a second instead (noted under the table).
#
# Environment:
#   BENCH_N=100000 (e.g. "100000 1000000")   BENCH_REPS=1
#   BENCH_CONTENDERS="tabbyd tabbyplain bird frr loader loadnh ipbatch"   BENCH_TIMEOUT=300 (s per phase)
#   TABBYD=... FIB_LOADER=... BGP_INJECT=...   BENCH_OUT=FILE (the table, too)
#   BENCH_WATCH=0: no watcher; the count is polled once a second (1 s resolution)
# Run from an optimised build directory (configured without --enable-sanitizers).
set -u

bench_src=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$bench_src/../.." && pwd)}
top_builddir=${top_builddir:-$PWD}
TB_RUN=${TB_RUN:-bf$$}
# shellcheck source=../integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"

CONTENDERS=${BENCH_CONTENDERS:-tabbyd tabbyplain bird frr loader loadnh ipbatch}
NS_LIST=${BENCH_N:-100000}
REPS=${BENCH_REPS:-1}
PHASE_TIMEOUT=${BENCH_TIMEOUT:-300}
LOCAL_AS=65000
PEER_AS=65001
RCV_ADDR=198.18.0.1
INJ_ADDR=198.18.0.2
FRR_DIR=/usr/lib/frr

find_prog() {
	local c
	for c in "$@"; do
		[ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
	done
	return 1
}
INJECT=$(find_prog "${BGP_INJECT:-}" "$top_builddir/tests/bench/bgp_inject") ||
	tb_fail "bgp_inject not built (make tests/bench/bgp_inject)"
LOADER=$(find_prog "${FIB_LOADER:-}" "$top_builddir/tests/bench/fib_loader") ||
	tb_fail "fib_loader not built (make tests/bench/fib_loader)"
TABBYD=$(find_prog "${TABBYD:-}" "$top_builddir/src/tabbyd/tabbyd") || TABBYD=

tb_require_root
chmod 711 "$TB_TMP" # FRR's zebra runs as user frr and reads its files below

mkfifo "$TB_TMP/sleep.fifo"
exec {SLEEP_FD}<>"$TB_TMP/sleep.fifo"
bench_sleep() { read -r -t "$1" -u "$SLEEP_FD" _ || true; }
bench_us() { # VAR SECONDS.FRACTION -> integer microseconds, no fork
	local sec=${2%.*} frac=${2#*.}
	[ "$sec" = "$2" ] && frac=0
	frac="${frac}000000"
	printf -v "$1" '%d' $((10#${sec:-0} * 1000000 + 10#${frac:0:6}))
}

# --- the current run's namespaces and processes, removed even on failure -------------
CUR_NS=()
CUR_PIDS=()
bench_teardown() {
	local pid i ns
	for pid in "${CUR_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${CUR_PIDS[@]}"; do
		for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; bench_sleep 0.05; done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${CUR_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	CUR_PIDS=()
	CUR_NS=()
}
tb_on_exit bench_teardown

bench_bg() { # NS LOG CMD...: BG_PID
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	BG_PID=$!
	CUR_PIDS+=("$BG_PID")
}

# Routes in the receiver namespace's main table, read through a process living there.
bench_count() {
	local line main=0
	COUNT=-1
	while read -r line; do
		case $line in
		Main:) main=1 ;;
		Local:) main=0 ;;
		Prefixes:*) [ $main = 1 ] && { COUNT=${line#Prefixes:}; COUNT=${COUNT// /}; COUNT=${COUNT//$'\t'/}; } ;;
		esac
	done <"/proc/$HOLDER/net/fib_triestat"
}

# --- contenders: NAME_avail (prints why not), NAME_start, NAME_ready --------------------
bird_avail() { command -v bird >/dev/null && command -v birdc >/dev/null || echo "bird/birdc not installed"; }
bird_start() {
	cat >"$RUN_DIR/bird.conf" <<EOF
log stderr { warning, error, fatal };
router id $RCV_ADDR;
protocol device { }
protocol kernel {
	ipv4 { import none; export all; };
	learn off;
	scan time 3600;
}
protocol bgp inj {
	local $RCV_ADDR as $LOCAL_AS;
	neighbor $INJ_ADDR as $PEER_AS;
	passive on;
	hold time 90;
	keepalive time 30;
	ipv4 { import all; export none; };
}
EOF
	bench_bg "$RNS" "$RUN_DIR/bird.log" bird -f -c "$RUN_DIR/bird.conf" -s "$RUN_DIR/bird.ctl" \
		-P "$RUN_DIR/bird.pid"
	RCV_PID=$BG_PID
	RCV_PIDS=("$BG_PID")
}
bird_ready() { birdc -s "$RUN_DIR/bird.ctl" show status >/dev/null 2>&1; }

frr_avail() {
	[ -x "$FRR_DIR/bgpd" ] && [ -x "$FRR_DIR/zebra" ] && command -v vtysh >/dev/null ||
		echo "FRR (zebra, bgpd, vtysh) not installed"
}
frr_start() {
	cat >"$RUN_DIR/zebra.conf" <<EOF
hostname bench-zebra
log file $RUN_DIR/zebra.log
EOF
	cat >"$RUN_DIR/bgpd.conf" <<EOF
frr defaults traditional
hostname bench-bgpd
log file $RUN_DIR/bgpd.log
route-map BENCH-IN permit 10
route-map BENCH-OUT deny 10
router bgp $LOCAL_AS
 bgp router-id $RCV_ADDR
 neighbor $INJ_ADDR remote-as $PEER_AS
 neighbor $INJ_ADDR passive
 neighbor $INJ_ADDR timers 30 90
 address-family ipv4 unicast
  neighbor $INJ_ADDR activate
  neighbor $INJ_ADDR route-map BENCH-IN in
  neighbor $INJ_ADDR route-map BENCH-OUT out
 exit-address-family
EOF
	chown -R frr:frr "$RUN_DIR"
	bench_bg "$RNS" "$RUN_DIR/zebra.out" "$FRR_DIR/zebra" -f "$RUN_DIR/zebra.conf" \
		-i "$RUN_DIR/zebra.pid" -z "$RUN_DIR/zserv.api" -u frr -g frr \
		--vty_socket "$RUN_DIR" -A 127.0.0.1 -P 0
	RCV_PID=$BG_PID
	RCV_PIDS=("$BG_PID")
	tb_wait_for 20 test -S "$RUN_DIR/zserv.api" || return 1
	bench_bg "$RNS" "$RUN_DIR/bgpd.out" "$FRR_DIR/bgpd" -f "$RUN_DIR/bgpd.conf" \
		-i "$RUN_DIR/bgpd.pid" -z "$RUN_DIR/zserv.api" -S --vty_socket "$RUN_DIR" \
		-A 127.0.0.1 -P 0
	RCV_PIDS+=("$BG_PID")
}
frr_ready() { vtysh --vty_socket "$RUN_DIR" -d bgpd -c 'show bgp summary' 2>/dev/null | grep -q "$INJ_ADDR"; }

tabbyd_avail() {
	[ -n "$TABBYD" ] || { echo "tabbyd not built (make src/tabbyd/tabbyd)"; return; }
	command -v curl >/dev/null || { echo "curl not installed"; return; }
	if ldd "$TABBYD" 2>/dev/null | grep -q libasan; then
		NOTES+=("tabbyd: $TABBYD is a sanitizer (ASan) build: figures not comparable")
	fi
}
tabbyd_start() {
	cat >"$RUN_DIR/tabbyd.yaml" <<EOF
nodeName: bench
datastore: sqlite:$RUN_DIR/store.db
addresses: [$RCV_ADDR/30]
apiSocket: $RUN_DIR/tabbyd.sock
logLevel: ${BENCH_TABBYD_LOGLEVEL:-warning}
bgp:
  enabled: true
  asNumber: $LOCAL_AS
  routerID: $RCV_ADDR
  installRoutes: true
  fibReconcileSeconds: 3600
  peers:
    - address: $INJ_ADDR
      asNumber: $PEER_AS
      description: bench injector
      passive: true
      holdTime: 90
      families: [ipv4]
EOF
	bench_bg "$RNS" "$RUN_DIR/tabbyd.log" ${TABBYD_ENV:+env $TABBYD_ENV} "$TABBYD" -c "$RUN_DIR/tabbyd.yaml"
	RCV_PID=$BG_PID
	RCV_PIDS=("$BG_PID")
}
# tabbyd with plain routes (RTA_GATEWAY per route, no nexthop objects), for comparison.
tabbyplain_avail() { tabbyd_avail; }
tabbyplain_start() { TABBYD_ENV=TABBYD_FIB_PLAIN_ROUTES=1 tabbyd_start; }
tabbyplain_ready() { tabbyd_ready; }
tabbyd_ready() {
	curl -s --max-time 5 --unix-socket "$RUN_DIR/tabbyd.sock" http://tabbyd/v1/bgp 2>/dev/null |
		grep -q local_as
}

loader_avail() { :; }
loadnh_avail() { :; }
ipbatch_avail() { command -v ip >/dev/null || echo "iproute2 not installed"; }

# --- one run ------------------------------------------------------------------------
RUN_SEQ=0
bench_netns() {
	RUN_SEQ=$((RUN_SEQ + 1))
	RNS="${TB_RUN}r$RUN_SEQ"
	INS="${TB_RUN}i$RUN_SEQ"
	ip netns add "$RNS" || return 1
	CUR_NS+=("$RNS")
	ip netns add "$INS" || return 1
	CUR_NS+=("$INS")
	ip -n "$RNS" link set lo up
	ip -n "$INS" link set lo up
	ip link add eth0 netns "$RNS" type veth peer name eth0 netns "$INS" || return 1
	ip -n "$RNS" addr add "$RCV_ADDR/30" dev eth0
	ip -n "$INS" addr add "$INJ_ADDR/30" dev eth0
	ip -n "$RNS" link set eth0 up
	ip -n "$INS" link set eth0 up
	# A process in the receiver namespace, to read its /proc/PID/net without forking.
	bench_bg "$RNS" /dev/null sleep 100000
	HOLDER=$BG_PID
	tb_wait_for 5 test -r "/proc/$HOLDER/net/fib_triestat"
}

# TICKS: utime+stime (clock ticks) of the receiver's processes (RCV_PIDS), without forking.
bench_ticks() {
	local pid line f
	TICKS=0
	for pid in "${RCV_PIDS[@]}"; do
		read -r line <"/proc/$pid/stat" 2>/dev/null || continue
		# shellcheck disable=SC2206
		f=(${line##*) })
		TICKS=$((TICKS + f[11] + f[12]))
	done
}

# bench_wait_watch KEY OP TARGET T0_US: the watcher's KEY=time line, else (every second)
# the count; WAIT_S = that time - T0.
bench_wait_watch() {
	local key=$1 op=$2 target=$3 t0=$4 line now last=0 t=""
	while :; do
		while read -r line; do
			[[ $line == "$key="* ]] && t=${line#*=}
		done <"$RUN_DIR/watch.out"
		if [ -n "$t" ]; then
			bench_us t "$t"
			WAIT_S=$(awk -v a="$t" -v b="$t0" 'BEGIN { printf "%.3f", (a - b) / 1e6 }')
			return 0
		fi
		bench_us now "$EPOCHREALTIME"
		# Only once the watcher is gone: reading the count walks the whole trie under
		# rcu_read_lock, which holds up the grace period every trie resize waits for
		# (at 1M routes a poll once a second more than doubled every contender's time).
		if { [ -z "${WATCH_PID:-}" ] || ! kill -0 "$WATCH_PID" 2>/dev/null; } &&
			((now - last >= 1000000)); then
			last=$now
			bench_count
			if { [ "$op" = ge ] && ((COUNT >= target)); } ||
				{ [ "$op" = le ] && ((COUNT >= 0 && COUNT <= target)); }; then
				# Give the watcher a moment: it may just not have printed yet.
				bench_sleep 0.2
				grep -q "^$key=" "$RUN_DIR/watch.out" && continue
				NOTES+=("$CUR_C N=$CUR_N: $key by polling the count (1 s resolution): $(tail -n 1 "$RUN_DIR/watch.err" 2>/dev/null)")
				WAIT_S=$(awk -v a="$now" -v b="$t0" 'BEGIN { printf "%.3f", (a - b) / 1e6 }')
				return 0
			fi
		fi
		((now - t0 > PHASE_TIMEOUT * 1000000)) && { ERR="timeout: $COUNT routes, waiting for $op $target"; return 1; }
		[ -n "${RCV_PID:-}" ] && ! kill -0 "$RCV_PID" 2>/dev/null && { ERR="receiver exited"; return 1; }
		bench_sleep 0.005
	done
}

# A BGP contender: RES="install_s withdraw_s".
bench_bgp() {
	local rcv=$1 n=$2 base t_est="" line t0 est_us drop_us inst
	"${rcv}_start" || { ERR="$rcv did not start"; return 1; }
	tb_wait_for 30 "${rcv}_ready" || { ERR="$rcv not ready after 30 s"; return 1; }
	bench_count
	base=$COUNT
	if [ "${BENCH_WATCH:-1}" = 1 ]; then
		ip netns exec "$RNS" "$LOADER" -W -n "$n" >"$RUN_DIR/watch.out" 2>"$RUN_DIR/watch.err" &
		WATCH_PID=$!
		CUR_PIDS+=("$WATCH_PID")
		tb_wait_for 10 grep -q watching=1 "$RUN_DIR/watch.out" || { ERR="watcher did not start"; return 1; }
	else
		WATCH_PID=
		echo "watcher off (BENCH_WATCH=0)" >"$RUN_DIR/watch.err"
		: >"$RUN_DIR/watch.out"
	fi
	bench_bg "$INS" "$RUN_DIR/inject.out" "$INJECT" -m packed -n "$n" -l "$INJ_ADDR" \
		-p "$RCV_ADDR" -A "$LOCAL_AS" -a "$PEER_AS" -t 60 -P "$(IFS=,; echo "${RCV_PIDS[*]}")"
	local inj=$BG_PID
	t0=$SECONDS
	while [ -z "$t_est" ]; do
		[ -f "$RUN_DIR/inject.out" ] && while read -r line; do
			case $line in
			established_realtime=*) t_est=${line#*=} ;;
			receiver_cpu_ticks=*) EST_TICKS=${line#*=} ;;
			esac
		done <"$RUN_DIR/inject.out"
		[ -n "$t_est" ] && break
		kill -0 "$inj" 2>/dev/null || { ERR="injector exited: $(tail -n 2 "$RUN_DIR/inject.out")"; return 1; }
		((SECONDS - t0 > 60)) && { ERR="no session after 60 s"; return 1; }
		bench_sleep 0.005
	done
	bench_us est_us "$t_est"
	bench_wait_watch all_present_realtime ge $((base + n)) "$est_us" || return 1
	inst=$WAIT_S
	bench_ticks
	local cpu_inst=$TICKS
	bench_sleep 0.5 # let the receiver settle (End-of-RIB, timers)
	bench_us drop_us "$EPOCHREALTIME"
	kill "$inj"
	bench_ticks
	local cpu_drop=$TICKS
	bench_wait_watch all_gone_realtime le "$base" "$drop_us" || return 1
	bench_ticks
	# The watcher counts routes removed with their nexthop object (RTM_DELNEXTHOP) as gone:
	# the table must agree.
	bench_count
	if ((COUNT != base)); then
		ip -n "$RNS" route >"$RUN_DIR/left-routes.txt" 2>&1
		ip -n "$RNS" nexthop >"$RUN_DIR/left-nexthops.txt" 2>&1
		ERR="withdraw: the table still holds $((COUNT - base)) routes (see left-*.txt)"
		return 1
	fi
	CPU="$((cpu_inst - EST_TICKS)) $((TICKS - cpu_drop))"
	RES="$inst $WAIT_S"
}

bench_routes_file() { # N VERB FILE: an `ip -batch` file
	awk -v n="$1" -v verb="$2" -v gw="$INJ_ADDR" 'BEGIN {
		for (i = 0; i < n; i++) {
			a = 1677721600 + i * 256
			if (verb == "add")
				printf "route add %d.%d.%d.0/24 via %s proto 99\n", int(a / 16777216), int(a / 65536) % 256, int(a / 256) % 256, gw
			else
				printf "route del %d.%d.%d.0/24 proto 99\n", int(a / 16777216), int(a / 65536) % 256, int(a / 256) % 256
		}
	}' >"$3"
}

bench_ipbatch() {
	local n=$1 base t0 t1 inst
	bench_routes_file "$n" add "$RUN_DIR/add.batch"
	bench_routes_file "$n" del "$RUN_DIR/del.batch"
	bench_count
	base=$COUNT
	bench_us t0 "$EPOCHREALTIME"
	ip -n "$RNS" -batch "$RUN_DIR/add.batch" || { ERR="ip -batch add failed"; return 1; }
	bench_us t1 "$EPOCHREALTIME"
	bench_count
	((COUNT == base + n)) || { ERR="ip -batch: $COUNT routes, expected $((base + n))"; return 1; }
	inst=$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.3f", (a - b) / 1e6 }')
	bench_us t0 "$EPOCHREALTIME"
	ip -n "$RNS" -batch "$RUN_DIR/del.batch" || { ERR="ip -batch del failed"; return 1; }
	bench_us t1 "$EPOCHREALTIME"
	RES="$inst $(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.3f", (a - b) / 1e6 }')"
}

bench_loader() { # N [-x]
	local n=$1 out base
	shift
	bench_count
	base=$COUNT
	out=$(ip netns exec "$RNS" "$LOADER" -n "$n" -g "$INJ_ADDR" -d eth0 "$@" 2>&1) ||
		{ ERR="fib_loader: $out"; return 1; }
	bench_count
	((COUNT <= base)) || { ERR="fib_loader left $((COUNT - base)) routes"; return 1; }
	[[ $out =~ install_s=([0-9.]+).*delete_s=([0-9.]+) ]] || { ERR="fib_loader: $out"; return 1; }
	RES="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
}

bench_one() { # CONTENDER N
	local c=$1 n=$2
	CUR_C=$c
	CUR_N=$n
	RUN_DIR="$TB_TMP/run$((RUN_SEQ + 1))-$c-$n"
	mkdir -p "$RUN_DIR"
	ERR=""
	RCV_PID=""
	RCV_PIDS=()
	CPU="- -"
	EST_TICKS=0
	bench_netns || { ERR="namespaces"; return 1; }
	case $c in
	loader) bench_loader "$n" ;;
	loadnh) bench_loader "$n" -x ;;
	ipbatch) bench_ipbatch "$n" ;;
	*) bench_bgp "$c" "$n" ;;
	esac
}

# --- the matrix ---------------------------------------------------------------------
declare -A NA=()
NOTES=()
FAILED=0
RESULTS="$TB_TMP/results"
: >"$RESULTS"
for c in $CONTENDERS; do
	declare -F "${c}_avail" >/dev/null || tb_fail "unknown contender $c"
	"${c}_avail" >"$TB_TMP/why"
	why=$(cat "$TB_TMP/why")
	if [ -n "$why" ]; then
		NA[$c]=$why
		continue
	fi
	for n in $NS_LIST; do
		for ((rep = 1; rep <= REPS; rep++)); do
			if bench_one "$c" "$n"; then
				tb_log "$c N=$n rep $rep: install/withdraw s: $RES; receiver CPU ticks: $CPU"
				echo "$c $n $RES $CPU" >>"$RESULTS"
			else
				tb_log "$c N=$n rep $rep: FAILED: $ERR"
				for f in "$RUN_DIR"/*.log "$RUN_DIR"/*.out; do
					[ -s "$f" ] && { echo "--- $f"; tail -n 5 "$f"; }
				done >&2
				echo "$c $n FAIL $ERR" >>"$RESULTS"
				FAILED=$((FAILED + 1))
			fi
			bench_teardown
			[[ $(tail -n 1 "$RESULTS") == *" FAIL "* ]] || rm -rf "$RUN_DIR"
		done
	done
done

bench_table() {
	echo "Kernel FIB programming: N IPv4 /24 routes via one gateway, one namespace per run, reps=$REPS"
	echo "BGP contenders: install = Established -> all N in the main table; withdraw = session"
	echo "dropped (Cease) -> all gone. loader/loadnh/ipbatch: duration of their add and delete phases."
	echo "$(nproc) CPUs, kernel $(uname -r); load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "CPU = utime+stime of the daemon's processes during install / withdraw (s, last run; the"
	echo "kernel's work for their requests counts as theirs)."
	printf '| %-10s | %8s | %-22s | %10s | %-22s | %10s | %11s |\n' contender N "install s min/med/max" \
		"routes/s" "withdraw s min/med/max" "routes/s" "CPU s i / w"
	printf '|%s|%s|%s|%s|%s|%s|%s|\n' ------------ ---------- ------------------------ ------------ \
		------------------------ ------------ -------------
	local c n
	for c in $CONTENDERS; do
		if [ -n "${NA[$c]:-}" ]; then
			printf '| %-10s | %8s | not available: %s\n' "$c" - "${NA[$c]}"
			continue
		fi
		for n in $NS_LIST; do
			awk -v c="$c" -v n="$n" -f - "$RESULTS" <<'EOF'
function sort(a, k,   i, j, t) { for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t } }
function med(a, k) { return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
$1 == c && $2 == n {
	if ($3 == "FAIL") { fail++; $1 = $2 = $3 = ""; why = $0; next }
	k++; a[k] = $3; d[k] = $4; ci[k] = $5; cd[k] = $6
}
END {
	if (!k) { printf "| %-10s | %8d | FAILED:%s\n", c, n, why; exit }
	cpu = ci[k] == "-" ? "-" : sprintf("%.1f / %.1f", ci[k] / 100, cd[k] / 100)
	sort(a, k); sort(d, k)
	printf "| %-10s | %8d | %6.2f / %6.2f / %6.2f | %10.0f | %6.2f / %6.2f / %6.2f | %10.0f | %11s |", c, n, a[1], med(a, k), a[k], n / med(a, k), d[1], med(d, k), d[k], n / med(d, k), cpu
	if (fail) printf " %d failed:%s", fail, why
	printf "\n"
}
EOF
		done
	done
	local note
	for note in "${NOTES[@]}"; do echo "note: $note"; done
}
bench_table | tee ${BENCH_OUT:+"$BENCH_OUT"}
[ "$FAILED" -eq 0 ] || tb_fail "$FAILED run(s) failed (see the table)"
