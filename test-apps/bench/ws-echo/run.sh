#!/usr/bin/env bash
# run.sh: the WebSocket echo benchmark of Loom (test-apps/bench/ws-echo),
# issue [ws] (and [evlibs]: Loom on libuv against Loom on its default loop).
#
# Servers, all pinned to CPU 0, on the same load in the same run:
#   loom     minimal-ws-server-echo, default event loop
#   loom-uv  the same binary with LOOM_EVLIB=libuv (when the build has libuv)
#   lws      Debian libwebsockets 4.1.6 (test-apps/bench/peers/lws-ws-peer.c)
#   node     node's `ws` module (test-apps/bench/peers/ws-node-peer.js), npm-
#            installed into BUILD_DIR/bench-node the first time
#   floor    loom-bench-floor-ws-echo, a bare epoll ws echo (the floor)
# Load: loom-bench-loadgen --ws pinned to CPU 1: every connection upgrades,
# then keeps one binary message in flight (masked with a fresh key per frame,
# echo checked byte for byte).  For message sizes 32 B and 16 KiB, at 1, 100
# and 1000 connections, for each server:
#   (a) messages/s: interleaved runs (loom, loom-uv, lws, floor, loom ...),
#       median of BENCH_RUNS; client CPU % alongside ('*' at >= 95%: (a) is a
#       lower bound);
#   (b) server CPU us per message: /proc/PID/stat utime+stime over each run
#       divided by its messages (median);
#   (c) server instructions per message: cachegrind Ir of two fixed workloads
#       (-n N1, -n N2 on 10 connections), (Ir2 - Ir1) / (N2 - N1);
#   RSS per idle ws connection: server VmRSS before and after 10,000 upgraded
#       connections (each did one round trip) that stay idle, delta / 10,000.
# Ratios of (a) and (b) are medians of the ratios of adjacent runs
# (bench_paired_ratio), robust to background load drifting during the run.
# Then PASS/FAIL against the targets of [ws] and [evlibs]:
#   32 B:   loom msgs/s >= 0.95 x lws, loom CPU/msg <= 1.05 x floor (1/100/1000)
#   16 KiB: loom CPU/msg <= 0.8 x lws (1/100/1000)
#   RSS per idle ws connection <= 1024 bytes
#   libuv, 32 B at 100 conns: msgs/s >= 0.9 x loom, CPU/msg <= 1.15 x loom
#
# usage: run.sh BUILD_DIR [--quick]
# environment:
#   LOOM_SERVER   default BUILD_DIR/bin/minimal-ws-server-echo
#   LWS_PEER      default BUILD_DIR/bin/loom-bench-lws-ws-peer, else compiled
#                 from ../peers/lws-ws-peer.c into the temp dir
#   FLOOR_SERVER  default BUILD_DIR/bin/loom-bench-floor-ws-echo
#   NODE          default node (or nodejs) from PATH
#   LOADGEN       default BUILD_DIR/bin/loom-bench-loadgen
#   BENCH_SERVERS default "loom loom-uv lws node floor" (loom-uv left out when
#                 the build has no libuv)
#   BENCH_RUNS (5; 2 --quick), BENCH_SECONDS (2; 1 --quick), BENCH_CONNS
#   ("1 100 1000"), BENCH_SIZES ("32 16384"), BENCH_IDLE_CONNS (10000),
#   BENCH_SKIP ("cg rss": leave out those parts), BENCH_SERVER_CPU (0),
#   BENCH_CLIENT_CPU (1)
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
FLOOR=${FLOOR_SERVER:-$BUILD/bin/loom-bench-floor-ws-echo}
LOOM=${LOOM_SERVER:-$BUILD/bin/minimal-ws-server-echo}

for b in "$LOADGEN" "$FLOOR" "$LOOM"; do
	[ -x "$b" ] || bench_die "$b: not found or not executable (build first," \
		"or set LOOM_SERVER / FLOOR_SERVER / LOADGEN)"
done

if [ "$QUICK" = 1 ]; then
	RUNS=${BENCH_RUNS:-2}
	SECS=${BENCH_SECONDS:-1}
	CG_N1=500
	CG_N2=2500
	RSS_RUNS=1
else
	RUNS=${BENCH_RUNS:-5}
	SECS=${BENCH_SECONDS:-2}
	CG_N1=2000
	CG_N2=12000
	RSS_RUNS=3
fi
CONNS_LIST=${BENCH_CONNS:-1 100 1000}
SIZES=${BENCH_SIZES:-32 16384}
IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
SKIP=${BENCH_SKIP:-}
CG_CONNS=10
SCPU=${BENCH_SERVER_CPU:-0}
CCPU=${BENCH_CLIENT_CPU:-1}

HAVE_UV=0
if grep -q '^LOOM_WITH_LIBUV:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null ||
   grep -q '"libuv"' "$BUILD/include/loom/loom-config.h" 2>/dev/null; then
	HAVE_UV=1
fi
if [ -n "${BENCH_SERVERS:-}" ]; then
	SLOTS=$BENCH_SERVERS
elif [ "$HAVE_UV" = 1 ]; then
	SLOTS="loom loom-uv lws node floor"
else
	SLOTS="loom lws node floor"
	bench_log "warning: $BUILD has no libuv shim: loom-uv left out"
fi

# targets of issues [ws] and [evlibs]
T_RATE_LWS=0.95		# 32 B: loom msgs/s >= 0.95 x lws
T_CPU_FLOOR=1.05	# 32 B: loom CPU/msg <= 1.05 x floor
T_CPU_LWS_BIG=0.8	# 16 KiB: loom CPU/msg <= 0.8 x lws
T_RSS=1024		# bytes per idle ws connection at 10,000
T_UV_RATE=0.9		# libuv msgs/s >= 0.9 x default loop (100 conns, 32 B)
T_UV_CPU=1.15		# libuv CPU/msg <= 1.15 x default loop

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] &&
   [ "$(ulimit -n)" -lt $((IDLE_CONNS + 64)) ]; then
	IDLE_CONNS=$(($(ulimit -n) - 64))
	bench_log "warning: fd limit $(ulimit -n): idle test uses" \
		"$IDLE_CONNS connections"
fi
[ "$BENCH_CPUS" -lt 2 ] &&
	bench_log "warning: $BENCH_CPUS CPU: server and load generator not pinned"
CPIN=$(bench_pin "$CCPU")

bench_init

LWS=${LWS_PEER:-}
if [ -z "$LWS" ] && [ -x "$BUILD/bin/loom-bench-lws-ws-peer" ]; then
	LWS=$BUILD/bin/loom-bench-lws-ws-peer
fi
case " $SLOTS " in
*" lws "*)
	if [ -z "$LWS" ]; then
		pkg-config --exists libwebsockets ||
			bench_die "libwebsockets-dev not installed (pkg-config libwebsockets)"
		LWS=$BENCH_TMP/loom-bench-lws-ws-peer
		# shellcheck disable=SC2046
		${CC:-cc} -std=c99 -O2 -g -D_POSIX_C_SOURCE=200809L -o "$LWS" \
			"$HERE/../peers/lws-ws-peer.c" \
			$(pkg-config --cflags --libs libwebsockets) ||
			bench_die "could not build the lws peer"
	fi
	[ -x "$LWS" ] || bench_die "$LWS: not found or not executable"
	;;
esac

# node's ws module: npm-installed into the build tree once (issue [ws]); a
# missing node or module fails the run, it is not left out
NODE=${NODE:-$(command -v node || command -v nodejs || true)}
NODE_WS_DIR=$(cd "$BUILD" && pwd)/bench-node
case " $SLOTS " in
*" node "*)
	[ -n "$NODE" ] || bench_die "node not installed (contrib/deps.sh: nodejs npm)"
	export NODE_PATH="$NODE_WS_DIR/node_modules"
	if ! "$NODE" -e 'require("ws")' 2>/dev/null; then
		mkdir -p "$NODE_WS_DIR" &&
		timeout 120 npm install --silent --no-audit --no-fund \
			--prefix "$NODE_WS_DIR" ws >/dev/null 2>&1 ||
			bench_die "npm install ws into $NODE_WS_DIR failed"
	fi
	NODE_WS_VER=$("$NODE" -e 'console.log(require("ws/package.json").version)') ||
		bench_die "node ws module not available"
	;;
esac

declare -A PID PORT RES

# start SLOT [CG_OUT]: start the server of SLOT pinned to SCPU, under
# cachegrind when CG_OUT is given; sets BENCH_PID / BENCH_PORT.
start() {
	local s=$1 cg=${2:-} bin args=""
	# the environment, not an env(1) wrapper: valgrind must see the server
	unset LOOM_EVLIB
	case $s in
	loom) bin=$LOOM ;;
	loom-uv) bin=$LOOM; export LOOM_EVLIB=libuv ;;
	lws) bin=$LWS ;;
	floor) bin=$FLOOR ;;
	node) bin=$NODE; args=$HERE/../peers/ws-node-peer.js ;;
	*) bench_die "unknown server '$s' (BENCH_SERVERS: loom loom-uv lws node floor)" ;;
	esac
	if [ -n "$cg" ]; then
		# shellcheck disable=SC2086
		bench_cachegrind_start "$SCPU" 60 "$cg" "$bin" $args -p 0
	else
		# shellcheck disable=SC2086
		bench_start_server "$SCPU" 10 "$bin" $args -p 0
	fi
	unset LOOM_EVLIB
}

push() {
	RES[$1]="${RES[$1]:-} $2"
}

load() {
	local _var=$1 _out
	shift
	# shellcheck disable=SC2086
	_out=$(timeout 300 $CPIN "$LOADGEN" --ws "$@" </dev/null) ||
		bench_die "loadgen --ws $* failed"
	printf -v "$_var" '%s' "$_out"
}

# one timed run of SLOT at CONNS connections, SIZE-byte messages
run_one() {
	local s=$1 c=$2 z=$3 pid=${PID[$1]} t0 t1 out n us pct
	t0=$(bench_cpu_ticks "$pid") || bench_die "$s server died"
	load out -p "${PORT[$s]}" -c "$c" -s "$z" -d "$SECS"
	t1=$(bench_cpu_ticks "$pid") || bench_die "$s server died"
	n=$(bench_kv "$out" roundtrips)
	if [ -z "$n" ] || [ "$n" -le 0 ]; then
		bench_die "$s: no messages: $out"
	fi
	us=$(bench_calc "($t1 - $t0) * 1e6 / $BENCH_CLK_TCK / $n")
	pct=$(bench_kv "$out" client_cpu_pct)
	push "$s,$z,$c,rate" "$(bench_kv "$out" rate)"
	push "$s,$z,$c,us" "$us"
	push "$s,$z,$c,cpct" "$pct"
	bench_log "$(printf '  %7s %5sB conns=%-5s %8s msg/s  server=%7s us/msg  client_cpu=%5s%%' \
		"$s" "$z" "$c" "$(bench_kv "$out" rate)" "$(bench_fmt "$us" 2)" "$pct")"
}

START=$(date +%s)
bench_log "ws-echo: loom=$LOOM"
bench_log "         lws=${LWS:-none}"
bench_log "         node=${NODE:-none} ws ${NODE_WS_VER:-none}"
bench_log "         floor=$FLOOR"
bench_log "servers: $SLOTS; CPU $SCPU, load on CPU $CCPU; $RUNS x ${SECS}s" \
	"per server, size and connection count"

# ---- (a) and (b): interleaved timed runs ------------------------------------
for s in $SLOTS; do
	start "$s"
	PID[$s]=$BENCH_PID
	PORT[$s]=$BENCH_PORT
	load out -p "$BENCH_PORT" -c 10 -n 20000	# warm-up, not measured
done
for z in $SIZES; do
	for c in $CONNS_LIST; do
		bench_log "(a)(b) ${z}-byte messages, $c connection(s):"
		for i in $(seq "$RUNS"); do
			for s in $SLOTS; do
				run_one "$s" "$c" "$z"
			done
		done
	done
done
for s in $SLOTS; do
	bench_stop "${PID[$s]}" 5
	[ "$BENCH_RC" = 0 ] || bench_log "warning: $s exited with $BENCH_RC on SIGINT"
done

# ---- (c): instructions per message under cachegrind --------------------------
for s in $SLOTS; do
	for z in $SIZES; do
		RES[$s,$z,ir]=n/a
	done
done
case " $SKIP " in *" cg "*) ;; *)
bench_log "(c) cachegrind: $CG_CONNS connections, -n $CG_N1 and -n $CG_N2"
for s in $SLOTS; do
	[ "$s" = loom-uv ] && [ -z "${BENCH_CG_UV:-}" ] && continue
	# a JIT's instruction count says little about a fixed workload
	[ "$s" = node ] && continue
	for z in $SIZES; do
		for n in $CG_N1 $CG_N2; do
			f="$BENCH_TMP/cg.$s.$z.$n"
			start "$s" "$f"
			load out -p "$BENCH_PORT" -c "$CG_CONNS" -s "$z" -n "$n"
			bench_stop "$BENCH_PID" 60
			[ "$BENCH_RC" = 0 ] || bench_log "warning: $s under valgrind" \
				"exited with $BENCH_RC"
			if ! ir=$(bench_cachegrind_ir "$f"); then
				bench_log "warning: $s: no cachegrind summary, (c) is n/a"
				continue 2
			fi
			RES[$s,$z,ir,$n]=$ir
		done
		RES[$s,$z,ir]=$(bench_calc "(${RES[$s,$z,ir,$CG_N2]} - ${RES[$s,$z,ir,$CG_N1]}) / ($CG_N2 - $CG_N1)")
		bench_log "  $s ${z}B: $(bench_fmt "${RES[$s,$z,ir]}" 0) Ir/msg"
	done
done
;; esac

# ---- RSS per idle ws connection ----------------------------------------------
for s in $SLOTS; do
	RES[$s,rss]=""
done
case " $SKIP " in *" rss "*) ;; *)
bench_log "RSS: $IDLE_CONNS idle ws connections"
for i in $(seq "$RSS_RUNS"); do
	for s in $SLOTS; do
		start "$s"
		spid=$BENCH_PID
		sleep 0.2
		r0=$(bench_rss_kb "$spid")
		lout="$BENCH_TMP/idle.$s.$i"
		: >"$lout"
		# shellcheck disable=SC2086
		$CPIN "$LOADGEN" --ws -p "$BENCH_PORT" -c "$IDLE_CONNS" --idle \
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
		bench_alive "$spid" || bench_die "$s died with idle connections"
		r1=$(bench_rss_kb "$spid")
		bench_stop "$lpid" 10 TERM
		[ "$BENCH_RC" = 0 ] || bench_die "$s: idle loadgen failed: $(cat "$lout.err")"
		bench_stop "$spid" 10
		b=$(bench_calc "($r1 - $r0) * 1024 / $IDLE_CONNS")
		push "$s,rss" "$b"
		bench_log "  $s: VmRSS ${r0} kB -> ${r1} kB: $(bench_fmt "$b" 1) bytes/conn"
	done
done
;; esac

# ---- report -------------------------------------------------------------------
med() {
	# shellcheck disable=SC2086
	bench_median ${RES[$1]:-}
}
has() {
	case " $SLOTS " in *" $1 "*) return 0 ;; esac
	return 1
}

FAILS=0
VERDICTS=""
verdict() {	# verdict OK|FAIL TEXT
	[ "$1" = OK ] || FAILS=$((FAILS + 1))
	VERDICTS="$VERDICTS$( [ "$1" = OK ] && echo PASS || echo FAIL) $2
"
}
check() {	# check VALUE OP TARGET TEXT
	if bench_cmp "$1" "$2" "$3"; then v=OK; else v=FAIL; fi
	verdict "$v" "$4: $1 $2 $3"
}
# ratio A B Z C FIG: paired ratio of slot A to slot B for figure FIG
ratio() {
	if has "$1" && has "$2"; then
		bench_paired_ratio "${RES[$1,$3,$4,$5]}" "${RES[$2,$3,$4,$5]}"
	else
		echo n/a
	fi
}

W=9
hdr() {
	printf '%-30s' "$1"
	shift
	for s in $SLOTS; do printf " %${W}s" "$s"; done
	for r in "$@"; do printf " %10s" "$r"; done
	echo
}

echo
echo "Loom ws echo vs libwebsockets $(pkg-config --modversion libwebsockets 2>/dev/null | tr -d -)," \
	"node ws ${NODE_WS_VER:-n/a} and the epoll floor: ${RUNS} x ${SECS}s interleaved runs, medians"
echo "date $(date -u +%Y-%m-%dT%H:%MZ) host $(uname -n) $(uname -r), $BENCH_CPUS CPUs," \
	"server CPU $SCPU, load CPU $CCPU, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
hdr "figure" loom/lws loom/floor uv/loom loom/node
LOWB=0
for z in $SIZES; do
	for c in $CONNS_LIST; do
		mark=""
		for s in $SLOTS; do
			bench_cmp "$(med "$s,$z,$c,cpct")" ">=" 95 && mark="*"
		done
		[ -n "$mark" ] && LOWB=1
		printf '%-30s' "(a) msg/s ${z}B ${c}c$mark"
		for s in $SLOTS; do printf " %${W}s" "$(bench_fmt "$(med "$s,$z,$c,rate")" 0)"; done
		printf ' %10s %10s %10s %10s\n' "$(ratio loom lws "$z" "$c" rate)" \
			"$(ratio loom floor "$z" "$c" rate)" "$(ratio loom-uv loom "$z" "$c" rate)" \
			"$(ratio loom node "$z" "$c" rate)"
		printf '%-30s' "    client CPU %"
		for s in $SLOTS; do printf " %${W}s" "$(bench_fmt "$(med "$s,$z,$c,cpct")" 1)"; done
		echo
	done
done
for z in $SIZES; do
	for c in $CONNS_LIST; do
		printf '%-30s' "(b) server us/msg ${z}B ${c}c"
		for s in $SLOTS; do printf " %${W}s" "$(bench_fmt "$(med "$s,$z,$c,us")" 2)"; done
		printf ' %10s %10s %10s %10s\n' "$(ratio loom lws "$z" "$c" us)" \
			"$(ratio loom floor "$z" "$c" us)" "$(ratio loom-uv loom "$z" "$c" us)" \
			"$(ratio loom node "$z" "$c" us)"
	done
done
for z in $SIZES; do
	printf '%-30s' "(c) server Ir/msg ${z}B"
	for s in $SLOTS; do printf " %${W}s" "$(bench_fmt "${RES[$s,$z,ir]}" 0)"; done
	a=n/a; b=n/a
	has lws && a=$(bench_ratio "${RES[loom,$z,ir]}" "${RES[lws,$z,ir]}")
	has floor && b=$(bench_ratio "${RES[loom,$z,ir]}" "${RES[floor,$z,ir]}")
	printf ' %10s %10s\n' "$a" "$b"
done
printf '%-30s' "RSS bytes/idle ws conn"
for s in $SLOTS; do printf " %${W}s" "$(bench_fmt "$(med "$s,rss")" 1)"; done
echo
echo
[ "$LOWB" = 1 ] &&
	echo "* client CPU >= 95% in that row: the load generator saturated, (a) is a lower bound"
echo "ratios of (a) and (b): median of the ratios of adjacent runs (A1/B1, A2/B1, A2/B2 ...);" \
	"(c): cachegrind Ir, (Ir(-n $CG_N2) - Ir(-n $CG_N1)) / $((CG_N2 - CG_N1)), user space only"
echo "RSS: (VmRSS with $IDLE_CONNS idle upgraded connections - VmRSS before) / $IDLE_CONNS"
[ "$QUICK" = 1 ] &&
	echo "--quick: a smoke test of the harness; its figures and verdicts are indicative only"
echo

for c in $CONNS_LIST; do
	if has lws && [[ " $SIZES " == *" 32 "* ]]; then
		check "$(ratio loom lws 32 "$c" rate)" ">=" "$T_RATE_LWS" \
			"[ws] 32B ${c}c msgs/s loom/lws"
	fi
	if has floor && [[ " $SIZES " == *" 32 "* ]]; then
		check "$(ratio loom floor 32 "$c" us)" "<=" "$T_CPU_FLOOR" \
			"[ws] 32B ${c}c CPU/msg loom/floor"
	fi
	if has lws && [[ " $SIZES " == *" 16384 "* ]]; then
		check "$(ratio loom lws 16384 "$c" us)" "<=" "$T_CPU_LWS_BIG" \
			"[ws] 16KiB ${c}c CPU/msg loom/lws"
	fi
done
case " $SKIP " in *" rss "*) ;; *)
	check "$(bench_fmt "$(med loom,rss)" 1)" "<=" "$T_RSS" \
		"[ws] RSS bytes per idle ws conn (loom)" ;;
esac
if has loom-uv && [[ " $CONNS_LIST " == *" 100 "* ]] &&
   [[ " $SIZES " == *" 32 "* ]]; then
	check "$(ratio loom-uv loom 32 100 rate)" ">=" "$T_UV_RATE" \
		"[evlibs] 32B 100c msgs/s libuv/default"
	check "$(ratio loom-uv loom 32 100 us)" "<=" "$T_UV_CPU" \
		"[evlibs] 32B 100c CPU/msg libuv/default"
fi
printf '%s' "$VERDICTS"
echo "elapsed $(( $(date +%s) - START ))s"
if [ "$FAILS" -eq 0 ]; then
	echo "RESULT: PASS"
	exit 0
fi
echo "RESULT: FAIL ($FAILS of the targets missed)"
exit 3
