#!/usr/bin/env bash
# run.sh: the HTTP/1.1 static-file benchmark of Loom (test-apps/bench/http1).
#
# Runs Loom's minimal-http-server and three reference servers on the same load
# in the same run, as DESIGN.md section 9 asks:
#   nginx  (Debian nginx-light: 1 worker, access_log off, open_file_cache,
#          sendfile on)
#   h2o    (Debian h2o: num-threads 1, file.dir)
#   lws    (Debian libwebsockets 4.1.6: test-apps/bench/peers/lws-http-peer.c,
#          one service thread, a file mount)
# each pinned to CPU 0, `wrk -t1 -c50` pinned to CPU 1, GET of a 1 KiB and of a
# 100 KiB file over keep-alive connections, and prints for each server:
#   (a) requests/s: interleaved runs (loom, nginx, h2o, lws, loom ...), median
#       of BENCH_RUNS runs of BENCH_SECONDS; wrk's CPU % alongside (at >= 95%
#       wrk was the bottleneck and the figure is a lower bound, marked '*');
#   (b) server CPU us per request: /proc/PID/stat utime+stime of the server
#       (nginx: its worker) over each run divided by wrk's request count,
#       median;
#   (c) server instructions per request: valgrind cachegrind Ir for two fixed
#       workloads (N1 and N2 keep-alive requests from curl, one connection),
#       (Ir2-Ir1)/(N2-N1) so start-up and shut-down cancel;
# and the ratios loom/lws, loom/nginx, loom/h2o.  The (a) ratios are medians of
# the ratios of adjacent runs (bench_paired_ratio).  Then PASS/FAIL against the
# targets of issue [http1 benchmark]:
#   1 KiB:   loom req/s >= 2.5 x lws, loom server CPU <= 15 us per request
#   100 KiB: loom req/s >= 1.0 x nginx
#
# usage: run.sh BUILD_DIR [--quick]
# environment:
#   LOOM_SERVER=path   default BUILD_DIR/bin/minimal-http-server
#   LWS_PEER=path      default BUILD_DIR/bin/loom-bench-lws-peer if built, else
#                      compiled from ../peers/lws-http-peer.c into the temp dir
#   BENCH_SERVERS      the servers to run, default "loom nginx h2o lws"
#   BENCH_RUNS, BENCH_SECONDS   5 and 10 (2 and 2 with --quick)
#   BENCH_CONNS        wrk connections, default 50
#   BENCH_CG           0 skips (c); BENCH_CG_SERVERS: the servers counted,
#                      default all (loom and lws with --quick)
#   BENCH_SERVER_CPU (0), BENCH_CLIENT_CPU (1)
#   BENCH_IGNORE_SIGPIPE=1  start the servers with SIGPIPE ignored (default:
#                      not, so a server that dies of it is reported)
# exit status: 0 measured and PASS, 3 measured and FAIL, 1 error, 2 usage.

set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
# shellcheck source-path=SCRIPTDIR/../lib source=bench-common.sh
. "$HERE/../lib/bench-common.sh"
# shellcheck source-path=SCRIPTDIR/../../../contrib source=deps.sh
. "$TOP/contrib/deps.sh"

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

if [ "$QUICK" = 1 ]; then
	RUNS=${BENCH_RUNS:-2}
	SECS=${BENCH_SECONDS:-2}
	CG_N1=50
	CG_N2=250
	CG_SERVERS=${BENCH_CG_SERVERS:-loom lws}
else
	RUNS=${BENCH_RUNS:-5}
	SECS=${BENCH_SECONDS:-10}
	CG_N1=200
	CG_N2=1000
	CG_SERVERS=${BENCH_CG_SERVERS:-loom nginx h2o lws}
fi
CONNS=${BENCH_CONNS:-50}
SERVERS=${BENCH_SERVERS:-loom nginx h2o lws}
DO_CG=${BENCH_CG:-1}
SCPU=${BENCH_SERVER_CPU:-0}
CCPU=${BENCH_CLIENT_CPU:-1}
SIZES="1k 100k"
declare -A BYTES=([1k]=1024 [100k]=102400)
declare -A SIZE_NAME=([1k]="1 KiB" [100k]="100 KiB")

# targets of issue [http1 benchmark]
T_RATE_LWS_1K=2.5	# 1 KiB: loom req/s >= 2.5 x lws
T_CPU_1K=15		# 1 KiB: loom server CPU <= 15 us per request
T_RATE_NGINX_100K=1.0	# 100 KiB: loom req/s >= 1.0 x nginx

# ---- tools ------------------------------------------------------------------
need_debs=0
for c in wrk nginx h2o pkg-config curl; do
	command -v "$c" >/dev/null 2>&1 || need_debs=1
done
[ "$DO_CG" = 1 ] && ! command -v valgrind >/dev/null 2>&1 && need_debs=1
pkg-config --exists libwebsockets 2>/dev/null || need_debs=1
if [ "$need_debs" = 1 ]; then
	bench_log "http1: installing the benchmark's peers: $LOOM_DEBS_BENCH curl valgrind"
	# shellcheck disable=SC2086 # a word list
	loom_install_debs $LOOM_DEBS_BENCH curl valgrind >&2 ||
		bench_die "could not install $LOOM_DEBS_BENCH curl valgrind" \
			"(contrib/deps.sh LOOM_DEBS_BENCH): install them as root"
fi
for c in wrk nginx h2o curl; do
	command -v "$c" >/dev/null 2>&1 || bench_die "$c not found (apt-get install $LOOM_DEBS_BENCH)"
done

LOOM=${LOOM_SERVER:-$BUILD/bin/minimal-http-server}
[ -x "$LOOM" ] || bench_die "$LOOM: not found or not executable (build first," \
	"or set LOOM_SERVER)"

if [ "$BENCH_CPUS" -lt 2 ]; then
	bench_log "warning: $BENCH_CPUS CPU: servers and wrk not pinned"
fi
CPIN=$(bench_pin "$CCPU")

# A workaround, off by default so that the benchmark notices: a server that
# lets a write to a closed connection raise SIGPIPE dies at the end of a wrk
# run.  Ignored here, SIGPIPE stays ignored in every program started.
if [ "${BENCH_IGNORE_SIGPIPE:-0}" = 1 ]; then
	trap '' PIPE
	bench_log "BENCH_IGNORE_SIGPIPE=1: servers start with SIGPIPE ignored"
fi

bench_init
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

LWS=${LWS_PEER:-}
if [ -z "$LWS" ] && [ -x "$BUILD/bin/loom-bench-lws-peer" ]; then
	LWS=$BUILD/bin/loom-bench-lws-peer
fi
if [ -z "$LWS" ]; then
	pkg-config --exists libwebsockets ||
		bench_die "libwebsockets-dev not found (apt-get install libwebsockets-dev)"
	LWS=$BENCH_TMP/loom-bench-lws-peer
	# shellcheck disable=SC2046 # pkg-config's flags are a word list
	${CC:-cc} -std=c99 -O2 -g -D_POSIX_C_SOURCE=200809L -o "$LWS" \
		"$HERE/../peers/lws-http-peer.c" \
		$(pkg-config --cflags --libs libwebsockets) ||
		bench_die "could not build the lws peer"
fi
[ -x "$LWS" ] || bench_die "$LWS: not found or not executable"

# ---- document root and configs -------------------------------------------
DOC=$BENCH_TMP/docroot
mkdir -p "$DOC"
for z in $SIZES; do
	head -c "${BYTES[$z]}" /dev/urandom >"$DOC/$z.bin"
done

# nginx_conf PORT SINGLE: writes a config, prints its path.  SINGLE=1: no
# master process (the one process serves: for valgrind).
nginx_conf() {
	local d="$BENCH_TMP/nginx.$1" t
	mkdir -p "$d"
	for t in body proxy fastcgi uwsgi scgi; do mkdir -p "$d/$t"; done
	cat >"$d/nginx.conf" <<-EOF
	# generated by test-apps/bench/http1/run.sh
	worker_processes 1;
	user root;
	$( [ "$2" = 1 ] && echo "master_process off;" )
	pid $d/nginx.pid;
	error_log $d/error.log warn;
	events { worker_connections 1024; }
	http {
	    access_log off;
	    sendfile on;
	    open_file_cache max=100;
	    # every server here keeps a keep-alive connection for good; nginx's
	    # default closes it after 1000 requests
	    keepalive_requests 1000000;
	    default_type application/octet-stream;
	    client_body_temp_path $d/body;
	    proxy_temp_path $d/proxy;
	    fastcgi_temp_path $d/fastcgi;
	    uwsgi_temp_path $d/uwsgi;
	    scgi_temp_path $d/scgi;
	    server {
	        listen 127.0.0.1:$1;
	        root $DOC;
	    }
	}
	EOF
	echo "$d"
}

# h2o_conf PORT: writes a config, prints its directory.  No access-log
# directive: h2o then writes none.
h2o_conf() {
	local d="$BENCH_TMP/h2o.$1"
	mkdir -p "$d"
	cat >"$d/h2o.conf" <<-EOF
	# generated by test-apps/bench/http1/run.sh
	num-threads: 1
	user: root
	pid-file: $d/h2o.pid
	error-log: $d/error.log
	listen:
	  host: 127.0.0.1
	  port: $1
	hosts:
	  default:
	    paths:
	      /:
	        file.dir: $DOC
	EOF
	echo "$d"
}

declare -A PID CPID PORT RES SIG ERR

# start_server SLOT CG_OUT: starts SLOT pinned to SCPU (under cachegrind when
# CG_OUT is not empty).  Sets PID[SLOT], CPID[SLOT] (the process whose CPU is
# counted), PORT[SLOT], SIG[SLOT] (the signal for a clean exit).
start_server() {
	local s=$1 cg=$2 p d kids i
	case $s in
	loom | lws)
		local bin=$LOOM
		[ "$s" = lws ] && bin=$LWS
		if [ -n "$cg" ]; then
			bench_cachegrind_start "$SCPU" 60 "$cg" "$bin" -p 0 --root "$DOC"
		else
			bench_start_server "$SCPU" 10 "$bin" -p 0 --root "$DOC"
		fi
		SIG[$s]=INT
		;;
	nginx)
		p=$(bench_free_port)
		if [ -n "$cg" ]; then
			d=$(nginx_conf "$p" 1)
			bench_cachegrind_start_port "$SCPU" 60 "$p" "$cg" nginx \
				-e "$d/error.log" -p "$d" -c "$d/nginx.conf" -g 'daemon off;'
		else
			d=$(nginx_conf "$p" 0)
			bench_start_server_port "$SCPU" 10 "$p" nginx \
				-e "$d/error.log" -p "$d" -c "$d/nginx.conf" -g 'daemon off;'
		fi
		SIG[$s]=TERM	# SIGINT does not stop nginx without a master
		;;
	h2o)
		p=$(bench_free_port)
		d=$(h2o_conf "$p")
		if [ -n "$cg" ]; then
			bench_cachegrind_start_port "$SCPU" 60 "$p" "$cg" h2o -c "$d/h2o.conf"
		else
			bench_start_server_port "$SCPU" 10 "$p" h2o -c "$d/h2o.conf"
		fi
		SIG[$s]=TERM
		;;
	*)
		bench_die "unknown server '$s' (BENCH_SERVERS: loom nginx h2o lws)"
		;;
	esac
	PID[$s]=$BENCH_PID
	PORT[$s]=$BENCH_PORT
	CPID[$s]=$BENCH_PID
	ERR[$s]=$BENCH_ERR
	if [ "$s" = nginx ] && [ -z "$cg" ]; then
		# count the worker, not the master
		i=0
		while :; do
			kids=$(bench_child_pids "$BENCH_PID")
			[ "$(echo "$kids" | grep -c .)" = 1 ] && break
			[ "$i" -ge 100 ] && bench_die "nginx: no single worker process ($kids)"
			sleep 0.05
			i=$((i + 1))
		done
		CPID[$s]=$kids
	fi
}

# server_died SLOT: reap SLOT's server, say how it ended, stop the script
server_died() {
	local s=$1 how
	bench_stop "${PID[$s]}" 2 2>/dev/null
	how="exit status $BENCH_RC"
	if [ "$BENCH_RC" -gt 128 ] && [ "$BENCH_RC" -lt 160 ]; then
		how="killed by SIG$(kill -l $((BENCH_RC - 128))), $how"
	fi
	bench_log "--- last output of the $s server:"
	tail -n 10 "${ERR[$s]}" >&2
	[ "$BENCH_RC" = $((128 + 13)) ] &&
		bench_log "SIGPIPE: the server wrote to a connection the client had" \
			"closed (wrk closes its connections mid-response at the end of" \
			"a run); BENCH_IGNORE_SIGPIPE=1 starts the servers with SIGPIPE" \
			"ignored"
	bench_die "$s server died during the run ($how)"
}

stop_server() {
	bench_stop "${PID[$1]}" 60 "${SIG[$1]}"
	[ "$BENCH_RC" = 0 ] ||
		bench_log "warning: $1 server exited with $BENCH_RC on SIG${SIG[$1]}"
}

# push KEY VALUE: append VALUE to the list RES[KEY]
push() {
	RES[$1]="${RES[$1]:-} $2"
}

# wrk_bytes "113.12MB": bytes (wrk's units are powers of 1024)
wrk_bytes() {
	echo "$1" | awk '{
		v = $1 + 0; u = $1; sub(/^[0-9.]+/, "", u)
		m = 1
		if (u == "KB") m = 1024
		else if (u == "MB") m = 1024 * 1024
		else if (u == "GB") m = 1024 * 1024 * 1024
		else if (u == "TB") m = 1024 * 1024 * 1024 * 1024
		printf "%.0f\n", v * m
	}'
}

# wrk_run SLOT SIZE SECONDS: one wrk run against SLOT; sets W_REQS, W_RATE,
# W_CPCT (wrk's CPU %) and W_OUT; dies on an error response or no requests.
wrk_run() {
	local s=$1 z=$2 secs=$3 line rb err
	# shellcheck disable=SC2086 # $CPIN is a word list
	bench_timed W_OUT timeout $((secs + 30)) $CPIN wrk -t1 -c"$CONNS" \
		-d"${secs}s" --timeout 5s "http://127.0.0.1:${PORT[$s]}/$z.bin" ||
		bench_die "wrk against $s failed ($BENCH_RC): $W_OUT"
	line=$(echo "$W_OUT" | grep ' requests in ')
	W_REQS=$(echo "$line" | awk '{ print $1 }')
	rb=$(wrk_bytes "$(echo "$line" | awk '{ print $(NF - 1) }')")	# "N requests in Ts, 1.2MB read"
	W_RATE=$(echo "$W_OUT" | awk '/^Requests\/sec:/ { print $2 }')
	W_CPCT=$(bench_calc "100 * $BENCH_CPU_S / $BENCH_WALL_S")
	if [ -z "$W_REQS" ] || [ "$W_REQS" -le 0 ]; then
		bench_die "$s $z: no requests: $W_OUT"
	fi
	if echo "$W_OUT" | grep -q 'Non-2xx'; then
		bench_die "$s $z: error responses: $W_OUT"
	fi
	# every response carried the file (wrk rounds its byte count to 3
	# digits: allow 2%)
	bench_cmp "$rb" ">=" "$(bench_calc "0.98 * $W_REQS * ${BYTES[$z]}")" ||
		bench_die "$s $z: $rb bytes read for $W_REQS requests: $W_OUT"
	err=$(echo "$W_OUT" | grep 'Socket errors' || true)
	[ -z "$err" ] || bench_log "  warning: $s $z: wrk:$err"
}

# one timed run of SLOT on SIZE
run_one() {
	local s=$1 z=$2 pid=${CPID[$1]} t0 t1 us
	t0=$(bench_cpu_ticks "$pid") || server_died "$s"
	wrk_run "$s" "$z" "$SECS"
	t1=$(bench_cpu_ticks "$pid") || server_died "$s"
	us=$(bench_calc "($t1 - $t0) * 1e6 / $BENCH_CLK_TCK / $W_REQS")
	push "$s,$z,rate" "$W_RATE"
	push "$s,$z,us" "$us"
	push "$s,$z,cpct" "$W_CPCT"
	bench_log "$(printf '  %-5s %-4s %9s req/s  server=%7s us/req  wrk_cpu=%5s%%' \
		"$s" "$z" "$W_RATE" "$(bench_fmt "$us" 2)" "$(bench_fmt "$W_CPCT" 1)")"
}

START=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
bench_log "http1: loom=$LOOM"
bench_log "       lws=$LWS"
bench_log "       nginx=$(command -v nginx) h2o=$(command -v h2o)"
bench_log "servers on CPU $SCPU, wrk -t1 -c$CONNS on CPU $CCPU, $RUNS x ${SECS}s" \
	"runs per server and size"

# ---- (a) and (b): interleaved timed runs --------------------------------
for s in $SERVERS; do
	start_server "$s" ""
	# warm up (page cache, allocators, nginx's open_file_cache): not measured
	for z in $SIZES; do
		wrk_run "$s" "$z" 1
		bench_alive "${CPID[$s]}" || server_died "$s"
	done
done
for z in $SIZES; do
	bench_log "(a)(b) ${SIZE_NAME[$z]}:"
	for i in $(seq "$RUNS"); do
		for s in $SERVERS; do
			run_one "$s" "$z"
		done
	done
done
for s in $SERVERS; do
	stop_server "$s"
done

# ---- (c): instructions per request under cachegrind -----------------------
# curl_n SLOT SIZE N: N keep-alive GETs on one connection, all must be 200
curl_n() {
	local cfg="$BENCH_TMP/curl.cfg" codes
	awk -v n="$3" -v u="http://127.0.0.1:${PORT[$1]}/$2.bin" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "url = \"%s\"\noutput = \"/dev/null\"\n", u
	}' >"$cfg"
	codes=$(timeout 300 curl -s -K "$cfg" -w '%{http_code}\n' </dev/null) ||
		bench_die "curl against $1 failed"
	[ "$(echo "$codes" | grep -c '^200$')" = "$3" ] ||
		bench_die "$1 $2: not all of $3 responses were 200"
}

for s in $SERVERS; do
	for z in $SIZES; do
		RES[$s,$z,irrt]=n/a
	done
done
if [ "$DO_CG" = 1 ]; then
	bench_log "(c) cachegrind: $CG_SERVERS; $CG_N1 and $CG_N2 requests on one connection"
	for s in $CG_SERVERS; do
		case " $SERVERS " in *" $s "*) ;; *) continue ;; esac
		for z in $SIZES; do
			for n in $CG_N1 $CG_N2; do
				f="$BENCH_TMP/cg.$s.$z.$n"
				start_server "$s" "$f"
				curl_n "$s" "$z" "$n"
				bench_alive "${PID[$s]}" || server_died "$s"
				stop_server "$s"
				if ! ir=$(bench_cachegrind_ir "$f"); then
					bench_log "warning: $s: no cachegrind summary, (c) is n/a"
					continue 2
				fi
				RES[$s,$z,ir,$n]=$ir
				bench_log "  $s $z -n $n: Ir=$ir"
			done
			RES[$s,$z,irrt]=$(bench_calc "(${RES[$s,$z,ir,$CG_N2]} - ${RES[$s,$z,ir,$CG_N1]}) / ($CG_N2 - $CG_N1)")
		done
	done
fi

# ---- report -----------------------------------------------------------------
med() {
	# shellcheck disable=SC2086
	bench_median ${RES[$1]:-}
}

FAILS=0
VERDICTS=""
verdict() {	# verdict OK|FAIL TEXT
	[ "$1" = OK ] || FAILS=$((FAILS + 1))
	VERDICTS="$VERDICTS$(printf '%-4s %s' "$( [ "$1" = OK ] && echo PASS || echo FAIL)" "$2")
"
}

PEERS=""
for s in lws nginx h2o; do
	case " $SERVERS " in *" $s "*) PEERS="$PEERS $s" ;; esac
done
HAVE_LOOM=0
case " $SERVERS " in *" loom "*) HAVE_LOOM=1 ;; esac

# row LABEL V_loom V_nginx V_h2o V_lws R_lws R_nginx R_h2o TARGET
row() {
	printf '%-27s %9s %9s %9s %9s %8s %10s %8s  %s\n' "$@"
}

# ratio_of KIND SLOT SIZE PEER: the loom/PEER ratio of a figure
ratio_of() {
	local k=$1 z=$2 p=$3
	case " $SERVERS " in *" $p "*) ;; *) echo "-"; return ;; esac
	[ "$HAVE_LOOM" = 1 ] || { echo "-"; return; }
	case $k in
	rate) bench_paired_ratio "${RES[loom,$z,rate]}" "${RES[$p,$z,rate]}" ;;
	us) bench_paired_ratio "${RES[loom,$z,us]}" "${RES[$p,$z,us]}" ;;
	ir) bench_ratio "${RES[loom,$z,irrt]}" "${RES[$p,$z,irrt]}" ;;
	esac
}

# val KIND SLOT SIZE: a server's formatted figure ("-" when not run)
LOWB=0
val() {
	local k=$1 s=$2 z=$3 v
	case " $SERVERS " in *" $s "*) ;; *) echo "-"; return ;; esac
	case $k in
	rate)
		v=$(bench_fmt "$(med "$s,$z,rate")" 0)
		if bench_cmp "$(med "$s,$z,cpct")" ">=" 95; then
			v="$v*"
			LOWB=1
		fi
		echo "$v"
		;;
	cpct) bench_fmt "$(med "$s,$z,cpct")" 1 ;;
	us) bench_fmt "$(med "$s,$z,us")" 2 ;;
	ir) bench_fmt "${RES[$s,$z,irrt]}" 0 ;;
	esac
}

echo
echo "Loom HTTP/1.1 static files vs nginx, h2o, libwebsockets: wrk -t1 -c$CONNS," \
	"${RUNS} x ${SECS}s interleaved runs, medians"
echo "date $(date -u +%Y-%m-%d) host $(uname -n) $(uname -r), $BENCH_CPUS CPUs," \
	"servers on CPU $SCPU, wrk on CPU $CCPU"
echo "load average at start: $LOAD0, at the end: $(cut -d' ' -f1-3 /proc/loadavg)" \
	"(other work on the machine)"
echo "loom:  $LOOM"
echo "lws:   $LWS (libwebsockets $(pkg-config --modversion libwebsockets 2>/dev/null | tr -d -))"
echo "nginx: $(nginx -v 2>&1 | sed 's/.*version: //'), h2o: $(h2o --version | head -n 1 | sed 's/h2o version //')"
echo
row "figure" "loom" "nginx" "h2o" "lws" "loom/lws" "loom/nginx" "loom/h2o" "target"
row "------" "----" "-----" "---" "---" "--------" "----------" "--------" "------"
for z in $SIZES; do
	n=${SIZE_NAME[$z]}
	tl=""; tn=""
	[ "$z" = 1k ] && tl=">= $T_RATE_LWS_1K x lws"
	[ "$z" = 100k ] && tl=">= $T_RATE_NGINX_100K x nginx"
	row "(a) req/s, $n" "$(val rate loom "$z")" "$(val rate nginx "$z")" \
		"$(val rate h2o "$z")" "$(val rate lws "$z")" \
		"$(ratio_of rate "$z" lws)" "$(ratio_of rate "$z" nginx)" \
		"$(ratio_of rate "$z" h2o)" "$tl"
	row "    wrk CPU %, $n" "$(val cpct loom "$z")" "$(val cpct nginx "$z")" \
		"$(val cpct h2o "$z")" "$(val cpct lws "$z")" "" "" "" ""
	[ "$z" = 1k ] && tn="loom <= $T_CPU_1K us"
	row "(b) server CPU us/req, $n" "$(val us loom "$z")" "$(val us nginx "$z")" \
		"$(val us h2o "$z")" "$(val us lws "$z")" \
		"$(ratio_of us "$z" lws)" "$(ratio_of us "$z" nginx)" \
		"$(ratio_of us "$z" h2o)" "$tn"
	row "(c) server instr/req, $n" "$(val ir loom "$z")" "$(val ir nginx "$z")" \
		"$(val ir h2o "$z")" "$(val ir lws "$z")" \
		"$(ratio_of ir "$z" lws)" "$(ratio_of ir "$z" nginx)" \
		"$(ratio_of ir "$z" h2o)" "(info)"
done

if [ "$HAVE_LOOM" = 1 ]; then
	r=$(ratio_of rate 1k lws)
	if bench_cmp "$r" ">=" "$T_RATE_LWS_1K"; then v=OK; else v=FAIL; fi
	[ "$r" = "-" ] || verdict "$v" "(a) 1 KiB req/s: loom/lws $r >= $T_RATE_LWS_1K"
	u=$(bench_fmt "$(med loom,1k,us)" 2)
	if bench_cmp "$u" "<=" "$T_CPU_1K"; then v=OK; else v=FAIL; fi
	verdict "$v" "(b) 1 KiB server CPU: loom $u us/req <= $T_CPU_1K"
	r=$(ratio_of rate 100k nginx)
	if bench_cmp "$r" ">=" "$T_RATE_NGINX_100K"; then v=OK; else v=FAIL; fi
	[ "$r" = "-" ] || verdict "$v" "(a) 100 KiB req/s: loom/nginx $r >= $T_RATE_NGINX_100K"
fi

echo
[ "$LOWB" = 1 ] &&
	echo "* wrk's CPU >= 95% against that server: wrk saturated, (a) is a lower bound"
echo "loom/peer of (a) and (b): median of the ratios of adjacent runs" \
	"(order loom nginx h2o lws, repeated)"
echo "(b) from /proc/PID/stat utime+stime (1/$BENCH_CLK_TCK s ticks; nginx: the worker)"
echo "(c) cachegrind Ir, (Ir($CG_N2 req) - Ir($CG_N1 req)) / $((CG_N2 - CG_N1)), one" \
	"keep-alive connection (curl); nginx with master_process off"
[ "$QUICK" = 1 ] &&
	echo "--quick: a smoke test of the harness; its figures and verdicts are indicative only"
[ "${BENCH_IGNORE_SIGPIPE:-0}" = 1 ] &&
	echo "BENCH_IGNORE_SIGPIPE=1: the servers ran with SIGPIPE ignored"
echo
printf '%s' "$VERDICTS"
echo "elapsed $(( $(date +%s) - START ))s"
if [ "$FAILS" -eq 0 ]; then
	echo "RESULT: PASS"
	exit 0
fi
echo "RESULT: FAIL ($FAILS of the targets missed)"
exit 3
