#!/usr/bin/env bash
# run.sh: the raw-echo benchmark of Loom (test-apps/bench/raw-echo).
#
# Runs Loom's minimal-raw-echo-server and the bare epoll floor
# (loom-bench-floor-echo) on the same load in the same run, as DESIGN.md
# section 9 asks: server pinned to CPU 0, loom-bench-loadgen pinned to CPU 1,
# 32-byte round trips, one in flight per connection, and prints for each
# server and their ratio (loom/floor):
#   (a) round trips/s: interleaved runs (loom, floor, loom, floor ...), median
#       of BENCH_RUNS, at 1, 100 and 1000 connections; client CPU % alongside
#       (at >= 95% the figure is a lower bound, marked '*');
#   (b) server CPU us per round trip: /proc/PID/stat utime+stime over each run
#       divided by its round trips (median);
#   (c) server instructions per round trip: valgrind cachegrind Ir for two
#       fixed workloads (-n N1 and -n N2 on 10 connections), (Ir2-Ir1)/(N2-N1)
#       so start-up and shut-down cancel;
#   RSS per idle connection: server VmRSS before and after 10,000 idle
#       connections (each did one round trip), delta / 10,000.
# The ratio of (a) and (b) is the median of the ratios of adjacent runs (see
# bench_paired_ratio), robust to the background load of a shared machine
# changing during the run.  Then PASS/FAIL against the targets of issue [core].
#
# usage: run.sh BUILD_DIR [--quick]
# environment:
#   LOOM_SERVER=path    the Loom server (default BUILD_DIR/bin/minimal-raw-echo-server);
#                       set it to the floor for a floor-vs-floor sanity run
#   FLOOR_SERVER=path   default BUILD_DIR/bin/loom-bench-floor-echo
#   LOADGEN=path        default BUILD_DIR/bin/loom-bench-loadgen
#   BENCH_RUNS, BENCH_SECONDS, BENCH_CONNS ("1 100 1000"), BENCH_IDLE_CONNS,
#   BENCH_SERVER_CPU (0), BENCH_CLIENT_CPU (1)   override the method
# exit status: 0 measured and PASS, 3 measured and FAIL, 1 error, 2 usage.

set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR/../lib source=bench-common.sh
. "$HERE/../lib/bench-common.sh"

usage() {
	echo "usage: $0 BUILD_DIR [--quick]" >&2
	exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	usage
fi
BUILD=$1
QUICK=0
if [ $# -eq 2 ]; then
	[ "$2" = "--quick" ] || usage
	QUICK=1
fi

LOADGEN=${LOADGEN:-$BUILD/bin/loom-bench-loadgen}
FLOOR=${FLOOR_SERVER:-$BUILD/bin/loom-bench-floor-echo}
LOOM=${LOOM_SERVER:-$BUILD/bin/minimal-raw-echo-server}

for b in "$LOADGEN" "$FLOOR" "$LOOM"; do
	[ -x "$b" ] || bench_die "$b: not found or not executable (build first," \
		"or set LOOM_SERVER / FLOOR_SERVER / LOADGEN)"
done

if [ "$QUICK" = 1 ]; then
	RUNS=${BENCH_RUNS:-2}
	SECS=${BENCH_SECONDS:-1}
	CG_N1=1000
	CG_N2=6000
	RSS_RUNS=1
else
	RUNS=${BENCH_RUNS:-9}
	SECS=${BENCH_SECONDS:-3}
	CG_N1=2000
	CG_N2=12000
	RSS_RUNS=3
fi
CONNS_LIST=${BENCH_CONNS:-1 100 1000}
IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
CG_CONNS=10
SCPU=${BENCH_SERVER_CPU:-0}
CCPU=${BENCH_CLIENT_CPU:-1}
SLOTS="loom floor"

# targets of issue [core]
T_RATE=0.9	# loom round trips >= 0.9 x floor
T_CPU=1.1	# loom server CPU per round trip <= 1.1 x floor
T_RSS=512	# bytes per idle raw connection at 10,000 connections

# 10,000 connections: let the servers and the load generator use the hard
# fd limit
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] &&
   [ "$(ulimit -n)" -lt $((IDLE_CONNS + 64)) ]; then
	IDLE_CONNS=$(($(ulimit -n) - 64))
	bench_log "warning: fd limit $(ulimit -n): idle test uses" \
		"$IDLE_CONNS connections"
fi

if [ "$BENCH_CPUS" -lt 2 ]; then
	bench_log "warning: $BENCH_CPUS CPU: server and load generator not pinned"
fi
CPIN=$(bench_pin "$CCPU")

bench_init

declare -A PID PORT RES

server_path() {
	if [ "$1" = loom ]; then echo "$LOOM"; else echo "$FLOOR"; fi
}

# push KEY VALUE: append VALUE to the list RES[KEY]
push() {
	RES[$1]="${RES[$1]:-} $2"
}

# load RESULTVAR ARGS...: run the pinned load generator, bounded in time.
load() {
	local _var=$1 _out
	shift
	# shellcheck disable=SC2086
	_out=$(timeout 300 $CPIN "$LOADGEN" "$@" </dev/null) ||
		bench_die "loadgen $* failed"
	printf -v "$_var" '%s' "$_out"
}

# one timed run of SLOT at CONNS connections
run_one() {
	local slot=$1 conns=$2 pid=${PID[$1]} t0 t1 out rt us pct
	t0=$(bench_cpu_ticks "$pid") || bench_die "$slot server died"
	load out -p "${PORT[$slot]}" -c "$conns" -d "$SECS"
	t1=$(bench_cpu_ticks "$pid") || bench_die "$slot server died"
	rt=$(bench_kv "$out" roundtrips)
	if [ -z "$rt" ] || [ "$rt" -le 0 ]; then
		bench_die "no round trips: $out"
	fi
	us=$(bench_calc "($t1 - $t0) * 1e6 / $BENCH_CLK_TCK / $rt")
	pct=$(bench_kv "$out" client_cpu_pct)
	push "$slot,$conns,rate" "$(bench_kv "$out" rate)"
	push "$slot,$conns,us" "$us"
	push "$slot,$conns,cpct" "$pct"
	bench_log "$(printf '  %5s conns=%-5s rate=%8s rt/s  server=%6s us/rt  client_cpu=%5s%%' \
		"$slot" "$conns" "$(bench_kv "$out" rate)" \
		"$(bench_fmt "$us" 2)" "$pct")"
}

START=$(date +%s)
bench_log "raw-echo: loom=$LOOM"
bench_log "          floor=$FLOOR"
[ "$LOOM" -ef "$FLOOR" ] &&
	bench_log "          (LOOM_SERVER is the floor: sanity run, ratios should be ~1.0)"
bench_log "server on CPU $SCPU, load on CPU $CCPU, $RUNS x ${SECS}s runs per" \
	"server and connection count"

# ---- (a) and (b): interleaved timed runs --------------------------------
for s in $SLOTS; do
	bench_start_server "$SCPU" 10 "$(server_path "$s")" -p 0
	PID[$s]=$BENCH_PID
	PORT[$s]=$BENCH_PORT
	# warm up (page faults, allocator): not measured
	load out -p "$BENCH_PORT" -c 10 -n 20000
done
for c in $CONNS_LIST; do
	bench_log "(a)(b) $c connection(s):"
	for i in $(seq "$RUNS"); do
		for s in $SLOTS; do
			run_one "$s" "$c"
		done
	done
done
for s in $SLOTS; do
	bench_stop "${PID[$s]}" 5
	[ "$BENCH_RC" = 0 ] || bench_log "warning: $s server exited with $BENCH_RC on SIGINT"
done

# ---- (c): instructions per round trip under cachegrind --------------------
bench_log "(c) cachegrind: $CG_CONNS connections, -n $CG_N1 and -n $CG_N2"
for s in $SLOTS; do
	RES[$s,irrt]=n/a
	for n in $CG_N1 $CG_N2; do
		f="$BENCH_TMP/cg.$s.$n"
		bench_cachegrind_start "$SCPU" 60 "$f" "$(server_path "$s")" -p 0
		load out -p "$BENCH_PORT" -c "$CG_CONNS" -n "$n"
		bench_stop "$BENCH_PID" 60
		if [ "$BENCH_RC" != 0 ]; then
			bench_log "warning: $s under valgrind exited with $BENCH_RC on" \
				"SIGINT: it must exit cleanly for cachegrind to write its counts"
		fi
		if ! ir=$(bench_cachegrind_ir "$f"); then
			bench_log "warning: $s: no cachegrind summary, (c) is n/a"
			continue 2
		fi
		RES[$s,ir,$n]=$ir
		bench_log "  $s -n $n: Ir=$ir"
	done
	RES[$s,irrt]=$(bench_calc "(${RES[$s,ir,$CG_N2]} - ${RES[$s,ir,$CG_N1]}) / ($CG_N2 - $CG_N1)")
done

# ---- RSS per idle connection ------------------------------------------------
bench_log "RSS: $IDLE_CONNS idle connections"
for i in $(seq "$RSS_RUNS"); do
	for s in $SLOTS; do
		bench_start_server "$SCPU" 10 "$(server_path "$s")" -p 0
		spid=$BENCH_PID
		sleep 0.2
		r0=$(bench_rss_kb "$spid")
		lout="$BENCH_TMP/idle.$s.$i"
		: >"$lout"
		# shellcheck disable=SC2086
		$CPIN "$LOADGEN" -p "$BENCH_PORT" -c "$IDLE_CONNS" --idle \
			</dev/null >"$lout" 2>"$lout.err" &
		lpid=$!
		bench_track "$lpid"
		k=0
		until grep -q '^idle ready' "$lout"; do
			if ! bench_alive "$lpid" || [ "$k" -ge 1200 ]; then
				cat "$lout.err" >&2
				bench_die "$s: $IDLE_CONNS idle connections not ready"
			fi
			sleep 0.05
			k=$((k + 1))
		done
		sleep 0.5
		bench_alive "$spid" || bench_die "$s server died with idle connections"
		r1=$(bench_rss_kb "$spid")
		bench_stop "$lpid" 10 TERM
		[ "$BENCH_RC" = 0 ] || bench_die "$s: idle loadgen failed: $(cat "$lout.err")"
		bench_stop "$spid" 10
		b=$(bench_calc "($r1 - $r0) * 1024 / $IDLE_CONNS")
		push "$s,rss" "$b"
		bench_log "  $s: VmRSS ${r0} kB -> ${r1} kB: $(bench_fmt "$b" 1) bytes/conn"
	done
done

# ---- report -----------------------------------------------------------------
med() {
	# shellcheck disable=SC2086
	bench_median ${RES[$1]}
}

FAILS=0
VERDICTS=""
verdict() {	# verdict OK|FAIL TEXT
	[ "$1" = OK ] || FAILS=$((FAILS + 1))
	VERDICTS="$VERDICTS$(printf '%-4s %s' "$( [ "$1" = OK ] && echo PASS || echo FAIL)" "$2")
"
}

row() {	# row LABEL LOOM FLOOR RATIO TARGET
	printf '%-34s %12s %12s %10s  %s\n' "$1" "$2" "$3" "$4" "$5"
}

echo
echo "Loom raw echo vs floor (bare epoll): ${RUNS} x ${SECS}s interleaved runs, medians"
echo "date $(date -u +%Y-%m-%d) host $(uname -n) $(uname -r), $BENCH_CPUS CPUs," \
	"server CPU $SCPU, load CPU $CCPU"
echo "loom:  $LOOM"
echo "floor: $FLOOR"
echo
row "figure" "loom" "floor" "loom/floor" "target"
row "------" "----" "-----" "----------" "------"
LOWB=0
for c in $CONNS_LIST; do
	lr=$(med "loom,$c,rate"); fr=$(med "floor,$c,rate")
	lp=$(med "loom,$c,cpct"); fp=$(med "floor,$c,cpct")
	mark=""
	if bench_cmp "$lp" ">=" 95 || bench_cmp "$fp" ">=" 95; then
		mark="*"
		LOWB=1
	fi
	ratio=$(bench_paired_ratio "${RES[loom,$c,rate]}" "${RES[floor,$c,rate]}")
	row "(a) round trips/s, $c conn$mark" "$(bench_fmt "$lr" 0)" \
		"$(bench_fmt "$fr" 0)" "$ratio" ">= $T_RATE"
	if bench_cmp "$ratio" ">=" "$T_RATE"; then v=OK; else v=FAIL; fi
	verdict "$v" "(a) round trips at $c conn: loom/floor $ratio >= $T_RATE"
	row "    client CPU %, $c conn" "$(bench_fmt "$lp" 1)" "$(bench_fmt "$fp" 1)" "" ""
done
for c in $CONNS_LIST; do
	lu=$(med "loom,$c,us"); fu=$(med "floor,$c,us")
	ratio=$(bench_paired_ratio "${RES[loom,$c,us]}" "${RES[floor,$c,us]}")
	row "(b) server CPU us/rt, $c conn" "$(bench_fmt "$lu" 2)" \
		"$(bench_fmt "$fu" 2)" "$ratio" "<= $T_CPU"
	if bench_cmp "$ratio" "<=" "$T_CPU"; then v=OK; else v=FAIL; fi
	verdict "$v" "(b) server CPU per round trip at $c conn: loom/floor $ratio <= $T_CPU"
done
li=${RES[loom,irrt]}; fi=${RES[floor,irrt]}
ratio=$(bench_ratio "$li" "$fi")
row "(c) server instructions/rt" "$(bench_fmt "$li" 0)" "$(bench_fmt "$fi" 0)" \
	"$ratio" "(info)"
lb=$(med "loom,rss"); fb=$(med "floor,rss")
if bench_cmp "$fb" ">=" 16; then ratio=$(bench_ratio "$lb" "$fb"); else ratio="n/a"; fi
row "RSS bytes/idle conn, $IDLE_CONNS conns" "$(bench_fmt "$lb" 1)" \
	"$(bench_fmt "$fb" 1)" "$ratio" "loom <= $T_RSS"
if bench_cmp "$lb" "<=" "$T_RSS"; then v=OK; else v=FAIL; fi
verdict "$v" "RSS per idle connection at $IDLE_CONNS conns: loom $(bench_fmt "$lb" 1) <= $T_RSS bytes"
echo
[ "$LOWB" = 1 ] &&
	echo "* client CPU >= 95% in that row: the load generator saturated, (a) is a lower bound"
echo "loom/floor of (a) and (b): median of the ratios of adjacent runs" \
	"(L1/F1, L2/F1, L2/F2 ...)"
[ "$QUICK" = 1 ] &&
	echo "--quick: a smoke test of the harness; its figures and verdicts are indicative only"
echo "(b) from /proc/PID/stat utime+stime (1/$BENCH_CLK_TCK s ticks); (c) cachegrind Ir," \
	"(Ir(-n $CG_N2) - Ir(-n $CG_N1)) / $((CG_N2 - CG_N1))"
[ "$IDLE_CONNS" -lt 10000 ] &&
	echo "note: RSS measured at $IDLE_CONNS connections, not 10000 (fd limit)"
echo
printf '%s' "$VERDICTS"
echo "elapsed $(( $(date +%s) - START ))s"
if [ "$FAILS" -eq 0 ]; then
	echo "RESULT: PASS"
	exit 0
fi
echo "RESULT: FAIL ($FAILS of the targets missed)"
exit 3
