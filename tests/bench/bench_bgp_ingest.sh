#!/bin/bash
# DOC: BGP RIB-ingest benchmark, side by side (a benchmark, not a test).
#
# For each receiver (tabby, bird, frr, gobgp, openbgpd), each attribute mix
# (packed: one attribute set, ~1000 /24s per UPDATE; unique: MED i per prefix,
# one prefix per UPDATE) and each N, and each repetition: a fresh pair of
# namespaces joined by a veth (receiver 198.18.0.1, injector 198.18.0.2), the
# receiver with kernel installation off, and tests/bench/bgp_inject replaying
# the pre-encoded UPDATE stream in one burst after OPEN/KEEPALIVE, then
# End-of-RIB. Measured per run:
#   wall  = time the receiver is first seen holding all N - time of Established
#           (the injector's CLOCK_REALTIME at Established; the poll's time at the end)
#   CPU   = utime+stime of all the receiver's processes at the end minus at
#           Established (the injector samples /proc at Established)
#   RSS   = sum of VmHWM of the receiver's processes at the end
#   B/rt  = (median peak RSS - median RSS at Established) / N
# and one table of min/median/max is printed at the end.
#
# Environment:
#   BENCH_RECEIVERS="tabby bird frr gobgp openbgpd"   BENCH_MIXES="packed unique"
#   BENCH_N="100000 1000000"   BENCH_REPS=3   BENCH_TIMEOUT=300 (s per run)
#   BENCH_SKIP="gobgp:1000000 frr:unique:1000000"  (receiver:N or receiver:mix:N)
#   BGP_INJECT=path/to/bgp_inject   TABBY_BGPD=path/to/tabby-bgpd
#   BENCH_OUT=FILE  (also write the table there)   BENCH_KEEP_LOGS=DIR (copy each run's logs there)
set -u

bench_src=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$bench_src/../.." && pwd)}
top_builddir=${top_builddir:-$PWD}
TB_RUN=${TB_RUN:-bb$$}
# shellcheck source=../integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"

RECEIVERS=${BENCH_RECEIVERS:-tabbyd tabby bird frr gobgp openbgpd}
MIXES=${BENCH_MIXES:-packed unique}
NS_LIST=${BENCH_N:-100000 1000000}
REPS=${BENCH_REPS:-3}
RUN_TIMEOUT=${BENCH_TIMEOUT:-300}
SKIP=${BENCH_SKIP:-}
LOCAL_AS=65000
PEER_AS=65001
RCV_ADDR=198.18.0.1
INJ_ADDR=198.18.0.2
PEERS_DIR=$bench_src/bgp-peers
FRR_DIR=/usr/lib/frr

find_prog() { # find_prog VAR_VALUE CANDIDATE...: first executable
	local c
	for c in "$@"; do
		[ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
	done
	return 1
}
INJECT=$(find_prog "${BGP_INJECT:-}" "$top_builddir/tests/bench/bgp_inject" \
	"$PWD/tests/bench/bgp_inject") || tb_fail "bgp_inject not built (make tests/bench/bgp_inject)"
TABBY_BGPD=$(find_prog "${TABBY_BGPD:-}" "$top_builddir/bgp/tools/tabby-bgpd" \
	"$top_builddir/bgp/tabby-bgpd" "$top_builddir/tabby-bgpd") || TABBY_BGPD=
TABBYD=$(find_prog "${TABBYD:-}" "$top_builddir/src/tabbyd/tabbyd") || TABBYD=

tb_require_root
chmod 711 "$TB_TMP" # FRR's zebra runs as user frr and reads its files below

# A sleep without fork: read with a timeout from a FIFO nobody writes to.
mkfifo "$TB_TMP/sleep.fifo"
exec {SLEEP_FD}<>"$TB_TMP/sleep.fifo"
bench_sleep() { read -r -t "$1" -u "$SLEEP_FD" _ || true; }

# bench_us VAR SECONDS.FRACTION: VAR = integer microseconds (no subshell, no fork).
bench_us() {
	local sec=${2%.*} frac=${2#*.}
	[ "$sec" = "$2" ] && frac=0
	frac="${frac}000000"
	printf -v "$1" '%d' $((10#${sec:-0} * 1000000 + 10#${frac:0:6}))
}

# --- the current run's namespaces and processes, removed even on failure ---------------
CUR_NS=()
CUR_PIDS=() # started here (receiver daemons, injector)
CUR_KIDS=() # processes those forked (OpenBGPD's engines), stopped if their parent left them
bench_teardown() {
	local pid i ns
	for pid in "${CUR_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${CUR_PIDS[@]}" "${CUR_KIDS[@]}"; do
		for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; bench_sleep 0.05; done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${CUR_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	CUR_PIDS=()
	CUR_KIDS=()
	CUR_NS=()
}
tb_on_exit bench_teardown

# bench_bg NS LOG CMD...: start CMD in NS, remember its PID in BG_PID and CUR_PIDS.
bench_bg() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	BG_PID=$!
	CUR_PIDS+=("$BG_PID")
}

# bench_config TEMPLATE OUT: fill in a config template from bgp-peers/.
bench_config() {
	sed -e "s|@LOCAL@|$RCV_ADDR|g" -e "s|@PEER@|$INJ_ADDR|g" -e "s|@AS@|$LOCAL_AS|g" \
		-e "s|@PEER_AS@|$PEER_AS|g" -e "s|@DIR@|$RUN_DIR|g" "$PEERS_DIR/$1" >"$2"
}

# All descendants of the given PIDs, and the PIDs themselves.
bench_tree() {
	local -A kids=()
	local pid ppid out=() queue=("$@")
	while read -r pid ppid; do kids[$ppid]+=" $pid"; done < <(ps -e -o pid=,ppid=)
	while [ ${#queue[@]} -gt 0 ]; do
		pid=${queue[0]}
		queue=("${queue[@]:1}")
		[ -d "/proc/$pid" ] || continue
		out+=("$pid")
		# shellcheck disable=SC2206
		[ -n "${kids[$pid]:-}" ] && queue+=(${kids[$pid]})
	done
	echo "${out[@]}"
}

# bench_proc_sum PID...: sets SUM_TICKS (utime+stime), SUM_NS (schedstat on-CPU time of the
# live threads, ns) and SUM_HWM (VmHWM, KiB), without forking.
bench_proc_sum() {
	local pid line rest f t ns
	SUM_TICKS=0
	SUM_NS=0
	SUM_HWM=0
	for pid in "$@"; do
		read -r line <"/proc/$pid/stat" 2>/dev/null || continue
		rest=${line##*) }
		# shellcheck disable=SC2206
		f=($rest)
		SUM_TICKS=$((SUM_TICKS + f[11] + f[12]))
		for t in "/proc/$pid/task/"*/schedstat; do
			read -r ns _ <"$t" 2>/dev/null && SUM_NS=$((SUM_NS + ns))
		done
		while read -r line; do
			[[ $line == VmHWM:* ]] && { line=${line#VmHWM:}; SUM_HWM=$((SUM_HWM + ${line% kB})); }
		done <"/proc/$pid/status"
	done
}

# --- receivers: NAME_avail (prints why not), NAME_start, NAME_ready, NAME_count -------
# NAME_count prints how many of the injector's prefixes the receiver holds.
# POLL_MIN is the shortest poll interval that keeps the receiver's CLI cheap; the interval
# is elapsed/POLL_DIV (default 100) when that is longer, at most 2 s.

bird_avail() { command -v bird >/dev/null && command -v birdc >/dev/null || echo "bird/birdc not installed"; }
bird_start() {
	bench_config bird.conf.in "$RUN_DIR/bird.conf"
	bench_bg "$RNS" "$RUN_DIR/bird.log" bird -f -c "$RUN_DIR/bird.conf" -s "$RUN_DIR/bird.ctl" \
		-P "$RUN_DIR/bird.pid"
	RCV_ROOTS=("$BG_PID")
	POLL_MIN=0.01
}
bird_ready() { birdc -s "$RUN_DIR/bird.ctl" show status >/dev/null 2>&1; }
bird_count() { # "Routes: N imported, ..." from the protocol's counters (no table walk)
	local out
	out=$(birdc -s "$RUN_DIR/bird.ctl" show protocols all inj 2>/dev/null)
	[[ $out =~ Routes:[[:space:]]+([0-9]+)[[:space:]]imported ]] && echo "${BASH_REMATCH[1]}" || echo 0
}

frr_avail() {
	[ -x "$FRR_DIR/bgpd" ] && [ -x "$FRR_DIR/zebra" ] && command -v vtysh >/dev/null ||
		echo "FRR (zebra, bgpd, vtysh) not installed"
}
frr_start() {
	bench_config frr-zebra.conf.in "$RUN_DIR/zebra.conf"
	bench_config frr-bgpd.conf.in "$RUN_DIR/bgpd.conf"
	chown -R frr:frr "$RUN_DIR"
	# zebra refuses root unless root is in frrvty: it runs as frr (LAB-NOTES).
	bench_bg "$RNS" "$RUN_DIR/zebra.out" "$FRR_DIR/zebra" -f "$RUN_DIR/zebra.conf" \
		-i "$RUN_DIR/zebra.pid" -z "$RUN_DIR/zserv.api" -u frr -g frr \
		--vty_socket "$RUN_DIR" -A 127.0.0.1 -P 0
	RCV_ROOTS=("$BG_PID")
	tb_wait_for 20 test -S "$RUN_DIR/zserv.api" || return 1
	# -n: bgpd keeps its routes out of the kernel (the fair no-FIB mode, with zebra running).
	bench_bg "$RNS" "$RUN_DIR/bgpd.out" "$FRR_DIR/bgpd" -f "$RUN_DIR/bgpd.conf" \
		-i "$RUN_DIR/bgpd.pid" -z "$RUN_DIR/zserv.api" -S --vty_socket "$RUN_DIR" \
		-A 127.0.0.1 -P 0 -n
	RCV_ROOTS+=("$BG_PID")
	POLL_MIN=0.02
}
frr_vtysh() { vtysh --vty_socket "$RUN_DIR" -d bgpd -c "$1" 2>/dev/null; }
frr_ready() { frr_vtysh 'show bgp summary' | grep -q "$INJ_ADDR"; }
frr_count() {
	local out
	out=$(frr_vtysh 'show bgp ipv4 unicast summary json')
	[[ $out =~ \"pfxRcd\":[[:space:]]*([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo 0
}

gobgp_avail() { command -v gobgpd >/dev/null && command -v gobgp >/dev/null || echo "gobgpd/gobgp not installed"; }
gobgp_start() {
	bench_config gobgpd.toml.in "$RUN_DIR/gobgpd.toml"
	bench_bg "$RNS" "$RUN_DIR/gobgpd.log" gobgpd -f "$RUN_DIR/gobgpd.toml" \
		--api-hosts "unix://$RUN_DIR/gobgp.sock" --pprof-disable -p
	RCV_ROOTS=("$BG_PID")
	# Polls cost gobgpd CPU in proportion to the table (at 1M routes: `gobgp neighbor ADDR`
	# ~4 s, `global rib summary` ~0.26 s, the neighbor list ~0.065 s): list, and sparsely.
	POLL_MIN=0.1
	POLL_DIV=20
}
gobgp_ready() { gobgp --target "unix://$RUN_DIR/gobgp.sock" global >/dev/null 2>&1; }
gobgp_count() {
	local out
	out=$(gobgp --target "unix://$RUN_DIR/gobgp.sock" -j neighbor 2>/dev/null)
	[[ $out =~ \"accepted\":([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo 0
}

openbgpd_avail() { command -v bgpd >/dev/null && command -v bgpctl >/dev/null || echo "OpenBGPD not installed"; }
openbgpd_start() {
	mkdir -p /run/openbgpd # its chroot (LAB-NOTES); a directory, nothing network-related
	bench_config openbgpd.conf.in "$RUN_DIR/openbgpd.conf"
	chmod 600 "$RUN_DIR/openbgpd.conf"
	bench_bg "$RNS" "$RUN_DIR/openbgpd.log" bgpd -d -f "$RUN_DIR/openbgpd.conf"
	RCV_ROOTS=("$BG_PID")
	POLL_MIN=0.02
}
openbgpd_ready() { bgpctl -s "$RUN_DIR/bgpd.sock" show summary >/dev/null 2>&1; }
openbgpd_count() {
	local out
	out=$(bgpctl -s "$RUN_DIR/bgpd.sock" -j show neighbor "$INJ_ADDR" 2>/dev/null)
	[[ $out =~ \"prefixes\":[[:space:]]*\{[^}]*\"received\":[[:space:]]*([0-9]+) ]] &&
		echo "${BASH_REMATCH[1]}" || echo 0
}

# Tabby: bgp/tools/tabby-bgpd runs the speaker library alone (no FIB: nothing reaches the
# kernel); its control socket answers "peers" with the speaker's JSON (no RIB walk).
tabby_avail() {
	[ -n "$TABBY_BGPD" ] || { echo "tabby-bgpd not built (make bgp/tools/tabby-bgpd)"; return; }
	if ldd "$TABBY_BGPD" 2>/dev/null | grep -q libasan; then
		TABLE_NOTES+=("tabby: $TABBY_BGPD is a sanitizer (ASan) build: figures not comparable; use a build configured without --enable-sanitizers or set TABBY_BGPD")
	fi
}
tabby_start() {
	bench_config tabby-bgpd.json.in "$RUN_DIR/tabby-bgpd.json"
	bench_bg "$RNS" "$RUN_DIR/tabby-bgpd.log" "$TABBY_BGPD" -c "$RUN_DIR/tabby-bgpd.json"
	RCV_ROOTS=("$BG_PID")
	POLL_MIN=0.005
}
tabby_ready() { "$TABBY_BGPD" --query "$RUN_DIR/tabby-bgpd.sock" peers 2>/dev/null | grep -q local_as; }
tabby_count() { # the smaller of the peer's accepted prefixes and the Loc-RIB's IPv4 prefixes
	local out acc loc
	out=$("$TABBY_BGPD" --query "$RUN_DIR/tabby-bgpd.sock" peers 2>/dev/null)
	[[ $out =~ \"prefixes_accepted\":([0-9]+) ]] && acc=${BASH_REMATCH[1]} || acc=0
	[[ $out =~ \"ipv4_prefixes\":([0-9]+) ]] && loc=${BASH_REMATCH[1]} || loc=0
	echo $((acc < loc ? acc : loc))
}

# tabbyd: the node agent with its BGP speaker (the receiver the issue names); learned
# routes are not installed in the kernel; polled over its REST socket (GET /v1/bgp, the
# peer list only: no RIB walk).
tabbyd_avail() {
	[ -n "$TABBYD" ] || { echo "tabbyd not built (make src/tabbyd/tabbyd)"; return; }
	command -v curl >/dev/null || { echo "curl not installed"; return; }
	if ldd "$TABBYD" 2>/dev/null | grep -q libasan; then
		TABLE_NOTES+=("tabbyd: $TABBYD is a sanitizer (ASan) build: figures not comparable; use a build configured without --enable-sanitizers or set TABBYD")
	fi
}
tabbyd_start() {
	bench_config tabbyd.yaml.in "$RUN_DIR/tabbyd.yaml"
	bench_bg "$RNS" "$RUN_DIR/tabbyd.log" "$TABBYD" -c "$RUN_DIR/tabbyd.yaml"
	RCV_ROOTS=("$BG_PID")
	POLL_MIN=0.005
}
tabbyd_query() { curl -s --max-time 5 --unix-socket "$RUN_DIR/tabbyd.sock" http://tabbyd/v1/bgp; }
tabbyd_ready() { tabbyd_query 2>/dev/null | grep -q local_as; }
tabbyd_count() { # the smaller of the peer's accepted prefixes and the Loc-RIB's IPv4 prefixes
	local out acc loc
	out=$(tabbyd_query 2>/dev/null)
	[[ $out =~ \"prefixes_accepted\":([0-9]+) ]] && acc=${BASH_REMATCH[1]} || acc=0
	[[ $out =~ \"ipv4_prefixes\":([0-9]+) ]] && loc=${BASH_REMATCH[1]} || loc=0
	echo $((acc < loc ? acc : loc))
}

# --- one run -----------------------------------------------------------------------
RUN_SEQ=0
# bench_one RECEIVER MIX N: sets RES="wall cpu hwm_kib base_kib res_s inj_cpu_s inj_write_s
# cpu_to_idle hwm_kib_at_idle cpu_schedstat_s" or returns 1 (why in ERR).
bench_one() {
	local rcv=$1 mix=$2 n=$3 inj_pid t0 t_est="" est_ticks="" est_ns=0 base_kib="" clk=100
	local pids=() pid line count t_poll
	RUN_SEQ=$((RUN_SEQ + 1))
	RNS="${TB_RUN}r$RUN_SEQ"
	local ins="${TB_RUN}i$RUN_SEQ"
	RUN_DIR="$TB_TMP/run$RUN_SEQ-$rcv-$mix-$n"
	mkdir -p "$RUN_DIR"
	ERR=""

	ip netns add "$RNS" || { ERR="ip netns add $RNS"; return 1; }
	CUR_NS+=("$RNS")
	ip netns add "$ins" || { ERR="ip netns add $ins"; return 1; }
	CUR_NS+=("$ins")
	ip -n "$RNS" link set lo up
	ip -n "$ins" link set lo up
	ip link add eth0 netns "$RNS" type veth peer name eth0 netns "$ins" || { ERR="veth"; return 1; }
	ip -n "$RNS" addr add "$RCV_ADDR/30" dev eth0
	ip -n "$ins" addr add "$INJ_ADDR/30" dev eth0
	ip -n "$RNS" link set eth0 up
	ip -n "$ins" link set eth0 up

	POLL_DIV=100
	"${rcv}_start" || { ERR="$rcv did not start"; return 1; }
	tb_wait_for 30 "${rcv}_ready" || { ERR="$rcv not ready after 30 s"; return 1; }
	read -r -a pids <<<"$(bench_tree "${RCV_ROOTS[@]}")"
	for pid in "${pids[@]}"; do
		[[ " ${RCV_ROOTS[*]} " == *" $pid "* ]] || CUR_KIDS+=("$pid")
	done

	bench_bg "$ins" "$RUN_DIR/inject.out" "$INJECT" -m "$mix" -n "$n" -l "$INJ_ADDR" \
		-p "$RCV_ADDR" -A "$LOCAL_AS" -a "$PEER_AS" -P "$(IFS=,; echo "${pids[*]}")" -t 60
	inj_pid=$BG_PID
	t0=$SECONDS
	while [ -z "$t_est" ]; do
		if [ -f "$RUN_DIR/inject.out" ]; then
			while read -r line; do
				case $line in
				established_realtime=*) t_est=${line#*=} ;;
				receiver_cpu_ticks=*) est_ticks=${line#*=} ;;
				receiver_cpu_ns=*) est_ns=${line#*=} ;;
				receiver_rss_kib=*) base_kib=${line#*=} ;;
				clk_tck=*) clk=${line#*=} ;;
				esac
			done <"$RUN_DIR/inject.out"
		fi
		[ -n "$t_est" ] && [ -n "$est_ticks" ] && break
		t_est=""
		kill -0 "$inj_pid" 2>/dev/null || { ERR="injector exited: $(grep -v = "$RUN_DIR/inject.out" | tail -n 2)"; return 1; }
		((SECONDS - t0 > 60)) && { ERR="no session after 60 s"; return 1; }
		bench_sleep 0.005
	done

	# Poll until all N are held. The interval grows with the elapsed time
	# (1/POLL_DIV of it, 1/100 unless the receiver says otherwise), never below
	# the receiver's POLL_MIN nor above 2 s.
	# Times in integer microseconds, so that the loop forks only the CLI.
	local est_us min_us timeout_us now_us prev_us ival_us ival
	bench_us est_us "$t_est"
	bench_us min_us "$POLL_MIN"
	timeout_us=$((RUN_TIMEOUT * 1000000))
	prev_us=$est_us
	while :; do
		bench_us t_poll "$EPOCHREALTIME"
		count=$("${rcv}_count")
		bench_us now_us "$EPOCHREALTIME"
		[ "${count:-0}" -ge "$n" ] && break
		if ((now_us - est_us > timeout_us)); then
			ERR="timeout: $count of $n after ${RUN_TIMEOUT} s"
			return 1
		fi
		kill -0 "${RCV_ROOTS[0]}" 2>/dev/null || { ERR="$rcv exited (holding $count)"; return 1; }
		prev_us=$t_poll
		ival_us=$(((now_us - est_us) / POLL_DIV))
		((ival_us < min_us)) && ival_us=$min_us
		((ival_us > 2000000)) && ival_us=2000000
		printf -v ival '%d.%06d' $((ival_us / 1000000)) $((ival_us % 1000000))
		bench_sleep "$ival"
	done
	# The injector's own cost: its CPU time and when its last write returned.
	local inj_cpu=-1 inj_done_us=0 i
	for ((i = 0; i < 100; i++)); do
		while read -r line; do
			case $line in
			injector_cpu_s=*) inj_cpu=${line#*=} ;;
			write_done_realtime=*) bench_us inj_done_us "${line#*=}" ;;
			esac
		done <"$RUN_DIR/inject.out"
		[ "$inj_cpu" != -1 ] && break
		bench_sleep 0.01
	done
	# Processes started since (none expected) count too.
	read -r -a pids <<<"$(bench_tree "${RCV_ROOTS[@]}")"
	bench_proc_sum "${pids[@]}"
	local done_ticks=$SUM_TICKS done_ns=$SUM_NS done_hwm=$SUM_HWM last=$SUM_TICKS idle=0
	# Work a receiver defers past its counter (FRR's best-path work queue, say) shows up
	# here: CPU until it is idle, i.e. at most 1 tick in each of two 100 ms windows (10 s cap).
	for ((i = 0; i < 100 && idle < 2; i++)); do
		bench_sleep 0.1
		bench_proc_sum "${pids[@]}"
		if ((SUM_TICKS - last <= 1)); then idle=$((idle + 1)); else idle=0; fi
		last=$SUM_TICKS
	done
	# res: the wall figure lies between the start of the previous poll and now.
	RES=$(awk -v d="$now_us" -v e="$est_us" -v tk="$done_ticks" -v t0="$est_ticks" -v c="$clk" \
		-v h="$done_hwm" -v b="$base_kib" -v p="$prev_us" -v ic="$inj_cpu" -v iw="$inj_done_us" \
		-v ti="$SUM_TICKS" -v hi="$SUM_HWM" -v ns="$done_ns" -v ns0="$est_ns" \
		'BEGIN { printf "%.4f %.3f %d %d %.4f %.3f %.4f %.3f %d %.4f\n", (d - e) / 1e6, (tk - t0) / c,
			h, b, (d - p) / 1e6, ic, iw ? (iw - e) / 1e6 : -1, (ti - t0) / c, hi, (ns - ns0) / 1e9 }')
	return 0
}

# --- the matrix ----------------------------------------------------------------------
declare -A ROW_NA=()
TABLE_NOTES=()
FAILED_RUNS=0
RESULTS_FILE="$TB_TMP/results"
: >"$RESULTS_FILE"

bench_skipped() { # RECEIVER MIX N
	local s
	for s in $SKIP; do
		[ "$s" = "$1:$3" ] || [ "$s" = "$1:$2:$3" ] || [ "$s" = "$1" ] && return 0
	done
	return 1
}

for rcv in $RECEIVERS; do
	declare -F "${rcv}_start" >/dev/null || tb_fail "unknown receiver $rcv"
	"${rcv}_avail" >"$TB_TMP/why" # not in $(...): it may add TABLE_NOTES
	why=$(cat "$TB_TMP/why")
	if [ -n "$why" ]; then
		ROW_NA[$rcv]=$why
		tb_log "$rcv: not available: $why"
		continue
	fi
	for mix in $MIXES; do
		for n in $NS_LIST; do
			if bench_skipped "$rcv" "$mix" "$n"; then
				echo "$rcv $mix $n SKIP" >>"$RESULTS_FILE"
				continue
			fi
			for ((rep = 1; rep <= REPS; rep++)); do
				if bench_one "$rcv" "$mix" "$n"; then
					tb_log "$rcv $mix $n rep $rep: wall/cpu/hwm_kib/base_kib/res/inj_cpu/inj_write/cpu_idle/hwm_idle/cpu_sched: $RES"
					echo "$rcv $mix $n $RES" >>"$RESULTS_FILE"
				else
					tb_log "$rcv $mix $n rep $rep: FAILED: $ERR"
					for f in "$RUN_DIR"/*.log "$RUN_DIR"/*.out "$RUN_DIR"/*.err; do
						[ -s "$f" ] && { echo "--- $f"; tail -n 5 "$f"; }
					done >&2
					echo "$rcv $mix $n FAIL $ERR" >>"$RESULTS_FILE"
					FAILED_RUNS=$((FAILED_RUNS + 1))
				fi
				bench_teardown
				[ -n "${BENCH_KEEP_LOGS:-}" ] && cp -r "$RUN_DIR" "$BENCH_KEEP_LOGS/"
				# A failed run's logs stay in $TB_TMP (kept when we exit non-zero).
				[[ $(tail -n 1 "$RESULTS_FILE") == *" FAIL "* ]] || rm -rf "$RUN_DIR"
			done
		done
	done
done

# --- the table ------------------------------------------------------------------------
bench_table_rows() {
	echo "BGP RIB ingest: one eBGP session, kernel install off, pre-encoded UPDATEs in one burst + End-of-RIB"
	echo "reps=$REPS; wall from Established (injector) to all N held (receiver's CLI, polled every"
	echo "max(floor, elapsed/100) <= 2 s, GoBGP elapsed/20 as its CLI costs it CPU;"
	echo "'res' = median gap between the start of the last-but-one poll and the end of the last = wall uncertainty);"
	echo "CPU = utime+stime of all receiver processes (clock ticks, 10 ms); RSS = sum of VmHWM;"
	echo "B/route = (median peak RSS - median RSS at Established) / N."
	echo "$(nproc) CPUs; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "CPU ns-r = median CPU in ns resolution (schedstat of the live threads; a thread that"
	echo "exits takes its time with it) for the sub-tick cases;"
	echo "CPU idle = median CPU from Established until the receiver is idle (<= 1 tick per 100 ms):"
	echo "work deferred past its counter; inj CPU = the injector's CPU time during the burst."
	printf '| %-9s | %-6s | %8s | %-24s | %-24s | %-21s | %7s | %6s | %8s | %8s | %7s |\n' \
		receiver mix N "wall s min/med/max" "CPU s min/med/max" "RSS MiB min/med/max" \
		"B/route" "res s" "CPU ns-r" "CPU idle" "inj CPU"
	printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' ----------- -------- ---------- \
		-------------------------- -------------------------- ----------------------- \
		--------- -------- ---------- ---------- ---------
	local rcv mix n
	for rcv in $RECEIVERS; do
		if [ -n "${ROW_NA[$rcv]:-}" ]; then
			printf '| %-9s | %-6s | %8s | not available: %s\n' "$rcv" - - "${ROW_NA[$rcv]}"
			continue
		fi
		for mix in $MIXES; do
			for n in $NS_LIST; do
				awk -v r="$rcv" -v m="$mix" -v n="$n" -f - "$RESULTS_FILE" <<'EOF'
function sort(a, k,   i, j, t) { for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t } }
function med(a, k) { return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
$1 == r && $2 == m && $3 == n {
	if ($4 == "SKIP") { skip = 1; next }
	if ($4 == "FAIL") { fail++; $1 = $2 = $3 = $4 = ""; why = $0; next }
	k++; w[k] = $4; c[k] = $5; h[k] = $6 / 1024; b[k] = $7 / 1024; s[k] = $8; ic[k] = $9; ci[k] = $11; cs[k] = $13
}
END {
	if (skip) { printf "| %-9s | %-6s | %8d | skipped (BENCH_SKIP)\n", r, m, n; exit }
	if (!k) { printf "| %-9s | %-6s | %8d | FAILED:%s\n", r, m, n, why; exit }
	sort(w, k); sort(c, k); sort(h, k); sort(b, k); sort(s, k); sort(ic, k); sort(ci, k); sort(cs, k)
	printf "| %-9s | %-6s | %8d | %6.3f / %6.3f / %6.3f | %6.2f / %6.2f / %6.2f | %5.0f / %5.0f / %5.0f | %7.0f | %6.3f | %8.3f | %8.2f | %7.2f |", r, m, n, w[1], med(w, k), w[k], c[1], med(c, k), c[k], h[1], med(h, k), h[k], (med(h, k) - med(b, k)) * 1048576 / n, med(s, k), med(cs, k), med(ci, k), med(ic, k)
	if (fail) printf " %d failed:%s", fail, why
	printf "\n"
}
EOF
			done
		done
	done
}
bench_table() {
	bench_table_rows
	local note
	for note in "${TABLE_NOTES[@]}"; do echo "note: $note"; done
}
bench_table | tee ${BENCH_OUT:+"$BENCH_OUT"}
# A receiver that is not available is a row, not a failure; a run that failed is.
[ "$FAILED_RUNS" -eq 0 ] || tb_fail "$FAILED_RUNS run(s) failed (see the table)"
