#!/usr/bin/env bash
# run.sh: the HTTP/2 benchmark of Loom (test-apps/bench/h2, DESIGN.md section 9).
#
# `h2load -c50 -m10` GETs of a 1 KiB file, over h2c (prior knowledge) and over TLS
# (ALPN h2), against Loom's minimal-http-server-h2 and the reference servers in
# the same run:
#   nghttpd (Debian nghttp2-server, one thread), h2o (num-threads 1), nginx
#   (nginx-light, one worker, http2), lws (test-apps/bench/peers/lws-http-peer.c
#   on the system's libwebsockets; TLS only: it has no h2c by prior knowledge)
# each server pinned to CPU 0, h2load pinned to CPU 1. For each server and mode:
#   (a) requests/s: interleaved runs (loom, nghttpd, h2o, nginx, lws, loom ...),
#       median of BENCH_RUNS runs of BENCH_SECONDS; h2load's CPU % alongside
#       (>= 95%: h2load was the bottleneck, (a) is a lower bound, marked '*')
#   (b) server CPU us per request: /proc/PID/stat utime+stime over each run
#       divided by the requests h2load completed, median
#   (c) server instructions per request: cachegrind Ir of two fixed workloads
#       (h2load -c1 -m10 -n N1 and -n N2), (Ir2 - Ir1) / (N2 - N1)
# and "128 streams": h2load -c1 -m128 -n 12800 on one connection, 0 errors.
# Then PASS/FAIL against issue [h2]: loom req/s >= 1.0 x nghttpd and loom server
# CPU <= 6 us per request, h2c and TLS; loom serves 128 streams at once.
#
# usage: run.sh BUILD_DIR [--quick]
# environment: BENCH_SERVERS (default "loom nghttpd h2o nginx lws"), BENCH_MODES
#   ("h2c tls"), BENCH_RUNS / BENCH_SECONDS (5 / 8; 2 / 2 with --quick),
#   BENCH_CG=0 skips (c), BENCH_CG_SERVERS (default "loom nghttpd"),
#   BENCH_SERVER_CPU (0), BENCH_CLIENT_CPU (1), LOOM_SERVER, LWS_PEER
# exit status: 0 measured and PASS, 3 measured and FAIL, 1 error, 2 usage.
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
# shellcheck source-path=SCRIPTDIR/../lib source=bench-common.sh
. "$HERE/../lib/bench-common.sh"
# shellcheck source-path=SCRIPTDIR/../../../contrib source=deps.sh
. "$TOP/contrib/deps.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 BUILD_DIR [--quick]" >&2; exit 2; }
BUILD=$1
QUICK=0
[ "${2:-}" = --quick ] && QUICK=1
if [ "$QUICK" = 1 ]; then
	RUNS=${BENCH_RUNS:-2}; SECS=${BENCH_SECONDS:-2}; CG_N1=500; CG_N2=1500
else
	RUNS=${BENCH_RUNS:-5}; SECS=${BENCH_SECONDS:-8}; CG_N1=1000; CG_N2=5000
fi
SERVERS=${BENCH_SERVERS:-loom nghttpd h2o nginx lws}
MODES=${BENCH_MODES:-h2c tls}
DO_CG=${BENCH_CG:-1}
CG_SERVERS=${BENCH_CG_SERVERS:-loom nghttpd}
SCPU=${BENCH_SERVER_CPU:-0}
CCPU=${BENCH_CLIENT_CPU:-1}
T_RATE=1.0	# loom req/s >= 1.0 x nghttpd
T_CPU=6		# loom server CPU <= 6 us per request

for c in h2load nghttpd h2o nginx openssl pkg-config; do
	command -v "$c" >/dev/null 2>&1 && continue
	bench_log "h2: installing $LOOM_DEBS_PEERS_H2 $LOOM_DEBS_BENCH valgrind"
	# shellcheck disable=SC2086
	loom_install_debs $LOOM_DEBS_PEERS_H2 $LOOM_DEBS_BENCH valgrind >&2 ||
		bench_die "could not install the peers: install them as root"
	break
done
LOOM=${LOOM_SERVER:-$BUILD/bin/minimal-http-server-h2}
[ -x "$LOOM" ] || bench_die "$LOOM: not found (build first, or set LOOM_SERVER)"
CPIN=$(bench_pin "$CCPU")
bench_init
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

LWS=${LWS_PEER:-}
[ -z "$LWS" ] && [ -x "$BUILD/bin/loom-bench-lws-peer" ] && LWS=$BUILD/bin/loom-bench-lws-peer
if [ -z "$LWS" ]; then
	LWS=$BENCH_TMP/loom-bench-lws-peer
	# shellcheck disable=SC2046
	${CC:-cc} -std=c99 -O2 -D_POSIX_C_SOURCE=200809L -o "$LWS" \
		"$HERE/../peers/lws-http-peer.c" $(pkg-config --cflags --libs libwebsockets) ||
		bench_die "could not build the lws peer (libwebsockets-dev)"
fi

DOC=$BENCH_TMP/docroot
mkdir -p "$DOC"
head -c 1024 /dev/urandom >"$DOC/1k.bin"
CERT=$BENCH_TMP/cert.pem KEY=$BENCH_TMP/key.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	-keyout "$KEY" -out "$CERT" 2>/dev/null || bench_die "openssl req failed"

nginx_conf() {	# PORT MODE SINGLE -> dir
	local d="$BENCH_TMP/nginx.$1" t lst="listen 127.0.0.1:$1 http2;"
	mkdir -p "$d"
	for t in body proxy fastcgi uwsgi scgi; do mkdir -p "$d/$t"; done
	[ "$2" = tls ] && lst="listen 127.0.0.1:$1 ssl http2; ssl_certificate $CERT; ssl_certificate_key $KEY;"
	cat >"$d/nginx.conf" <<-EOF
	worker_processes 1;
	user root;
	$( [ "$3" = 1 ] && echo "master_process off;" )
	pid $d/nginx.pid;
	error_log $d/error.log warn;
	events { worker_connections 1024; }
	http {
	    access_log off; sendfile on; open_file_cache max=100;
	    keepalive_requests 10000000; http2_max_requests 10000000;
	    http2_max_concurrent_streams 128;
	    default_type application/octet-stream;
	    client_body_temp_path $d/body; proxy_temp_path $d/proxy;
	    fastcgi_temp_path $d/fastcgi; uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
	    server { $lst root $DOC; }
	}
	EOF
	echo "$d"
}

h2o_conf() {	# PORT MODE -> dir
	local d="$BENCH_TMP/h2o.$1"
	mkdir -p "$d"
	{
		echo "num-threads: 1"
		echo "user: root"
		echo "pid-file: $d/h2o.pid"
		echo "error-log: $d/error.log"
		echo "listen:"
		echo "  host: 127.0.0.1"
		echo "  port: $1"
		if [ "$2" = tls ]; then
			echo "  ssl:"
			echo "    certificate-file: $CERT"
			echo "    key-file: $KEY"
		fi
		echo "hosts:"
		echo "  default:"
		echo "    paths:"
		echo "      /:"
		echo "        file.dir: $DOC"
	} >"$d/h2o.conf"
	echo "$d"
}

declare -A PID CPID PORT RES SIG

# start_server SLOT MODE CG_OUT
start_server() {
	local s=$1 m=$2 cg=$3 p d kids i vg=()
	[ -n "$cg" ] && vg=(valgrind --tool=cachegrind --cache-sim=no
			    --cachegrind-out-file="$cg" --log-file="$cg.log")
	SIG[$s]=TERM
	case $s in
	loom)
		bench_start_server "$SCPU" 60 "${vg[@]}" "$LOOM" -p 0 --tls-port 0 \
			--cert "$CERT" --key "$KEY" --root "$DOC"
		if [ "$m" = tls ]; then
			for i in $(seq 200); do
				BENCH_PORT=$(sed -n 's/^listening on tls \([0-9]*\)$/\1/p' "$BENCH_ERR")
				[ -n "$BENCH_PORT" ] && break
				sleep 0.05
			done
		fi
		SIG[$s]=INT ;;
	lws)	# prints "listening on tls PORT": told its port instead
		p=$(bench_free_port)
		bench_start_server_port "$SCPU" 60 "$p" "${vg[@]}" "$LWS" -p "$p" \
			--root "$DOC" --cert "$CERT" --key "$KEY"
		SIG[$s]=INT ;;
	nghttpd)
		p=$(bench_free_port)
		if [ "$m" = tls ]; then
			bench_start_server_port "$SCPU" 60 "$p" "${vg[@]}" nghttpd -d "$DOC" \
				"$p" "$KEY" "$CERT"
		else
			bench_start_server_port "$SCPU" 60 "$p" "${vg[@]}" nghttpd --no-tls \
				-d "$DOC" "$p"
		fi ;;
	h2o)
		p=$(bench_free_port)
		d=$(h2o_conf "$p" "$m")
		bench_start_server_port "$SCPU" 60 "$p" "${vg[@]}" h2o -c "$d/h2o.conf" ;;
	nginx)
		p=$(bench_free_port)
		d=$(nginx_conf "$p" "$m" "$( [ -n "$cg" ] && echo 1 || echo 0)")
		bench_start_server_port "$SCPU" 60 "$p" "${vg[@]}" nginx -e "$d/error.log" \
			-p "$d" -c "$d/nginx.conf" -g 'daemon off;' ;;
	*) bench_die "unknown server $s" ;;
	esac
	PID[$s]=$BENCH_PID
	CPID[$s]=$BENCH_PID
	PORT[$s]=$BENCH_PORT
	if [ "$s" = nginx ] && [ -z "$cg" ]; then
		for i in $(seq 100); do
			kids=$(bench_child_pids "$BENCH_PID")
			[ "$(echo "$kids" | grep -c .)" = 1 ] && break
			sleep 0.05
		done
		CPID[$s]=$kids
	fi
}

url() {	# SLOT MODE
	if [ "$2" = tls ]; then echo "https://127.0.0.1:${PORT[$1]}/1k.bin"
	else echo "http://127.0.0.1:${PORT[$1]}/1k.bin"; fi
}

push() { RES[$1]="${RES[$1]:-} $2"; }
med() {
	# shellcheck disable=SC2086
	bench_median ${RES[$1]:-}
}

# one timed h2load run; sets H_DONE, H_RATE, H_CPCT
h2load_run() {	# SLOT MODE SECONDS
	local out ok
	# shellcheck disable=SC2086
	bench_timed out timeout $(($3 + 30)) $CPIN h2load -c50 -m10 -D "$3" \
		--warm-up-time=0 "$(url "$1" "$2")" ||
		bench_die "h2load against $1 ($2) failed ($BENCH_RC): $out"
	H_DONE=$(echo "$out" | sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p')
	ok=$(echo "$out" | sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p')
	H_RATE=$(echo "$out" | sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p')
	H_CPCT=$(bench_calc "100 * $BENCH_CPU_S / $BENCH_WALL_S")
	# with -D, responses in flight at the end may be counted apart: no
	# failures or errors, and a 2xx for each request done
	echo "$out" | grep -q ' 0 failed, 0 errored' && [ -n "$H_DONE" ] &&
		[ "$H_DONE" -gt 0 ] && [ "${ok:-0}" -ge "$H_DONE" ] ||
		bench_die "$1 ($2): not all requests succeeded with 2xx: $(echo "$out" | grep -E 'requests:|status codes')"
}

run_one() {	# SLOT MODE
	local s=$1 m=$2 t0 t1 us
	t0=$(bench_cpu_ticks "${CPID[$s]}") || bench_die "$s died"
	h2load_run "$s" "$m" "$SECS"
	t1=$(bench_cpu_ticks "${CPID[$s]}") || bench_die "$s died"
	us=$(bench_calc "($t1 - $t0) * 1e6 / $BENCH_CLK_TCK / $H_DONE")
	push "$s,$m,rate" "$H_RATE"
	push "$s,$m,us" "$us"
	push "$s,$m,cpct" "$H_CPCT"
	bench_log "$(printf '  %-7s %-3s %9s req/s  server=%6s us/req  h2load_cpu=%5s%%' \
		"$s" "$m" "$H_RATE" "$(bench_fmt "$us" 2)" "$(bench_fmt "$H_CPCT" 1)")"
}

in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }
servers_for() {	# MODE: the servers that speak it
	local s out=""
	for s in $SERVERS; do
		[ "$1" = h2c ] && [ "$s" = lws ] && continue
		out="$out $s"
	done
	echo "$out"
}

START=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for m in $MODES; do
	SV=$(servers_for "$m")
	bench_log "($m) servers:$SV on CPU $SCPU, h2load -c50 -m10 on CPU $CCPU, $RUNS x ${SECS}s"
	for s in $SV; do
		start_server "$s" "$m" ""
		h2load_run "$s" "$m" 1	# warm-up, not counted
		# 128 streams at once on one connection
		# shellcheck disable=SC2086
		out=$(timeout 60 $CPIN h2load -c1 -m128 -n 12800 "$(url "$s" "$m")" 2>&1)
		if echo "$out" | grep -q '12800 succeeded, 0 failed, 0 errored'; then
			RES[$s,$m,m128]=ok
		else
			RES[$s,$m,m128]="FAIL($(echo "$out" | sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p'))"
		fi
	done
	for i in $(seq "$RUNS"); do
		for s in $SV; do
			run_one "$s" "$m"
		done
	done
	for s in $SV; do
		bench_stop "${PID[$s]}" 30 "${SIG[$s]}"
	done
	if [ "$DO_CG" = 1 ]; then
		for s in $CG_SERVERS; do
			in_list "$s" "$SV" || continue
			for n in $CG_N1 $CG_N2; do
				f="$BENCH_TMP/cg.$s.$m.$n"
				start_server "$s" "$m" "$f"
				timeout 300 h2load -c1 -m10 -n "$n" "$(url "$s" "$m")" >/dev/null 2>&1 ||
					bench_log "warning: cachegrind run of $s failed"
				bench_stop "${PID[$s]}" 60 "${SIG[$s]}"
				RES[$s,$m,ir,$n]=$(bench_cachegrind_ir "$f" || echo n/a)
			done
			RES[$s,$m,irrt]=$(bench_calc "(${RES[$s,$m,ir,$CG_N2]} - ${RES[$s,$m,ir,$CG_N1]}) / ($CG_N2 - $CG_N1)")
			bench_log "  (c) $s $m: $(bench_fmt "${RES[$s,$m,irrt]}" 0) instructions/request"
		done
	fi
done

# ---- report ----
FAILS=0
VERD=""
verdict() { [ "$1" = OK ] || FAILS=$((FAILS + 1)); VERD="$VERD$( [ "$1" = OK ] && echo PASS || echo FAIL) $2
"; }
echo
echo "Loom HTTP/2 (1 KiB file, h2load -c50 -m10) vs nghttpd, h2o, nginx, lws;" \
	"$RUNS x ${SECS}s interleaved runs, medians"
echo "date $(date -u +%Y-%m-%d) host $(uname -n) $(uname -r), $BENCH_CPUS CPUs," \
	"servers on CPU $SCPU, h2load on CPU $CCPU"
echo "load average at start: $LOAD0, at the end: $(cut -d' ' -f1-3 /proc/loadavg)" \
	"(the machine is shared: lean on (b) and (c))"
echo "nghttpd $(nghttpd --version | head -1 | awk '{print $NF}'), h2o $(h2o --version | head -1 | awk '{print $3}')," \
	"nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), libwebsockets $(pkg-config --modversion libwebsockets 2>/dev/null)"
printf '%-5s %-8s %10s %8s %10s %12s %9s %s\n' mode server "req/s(a)" "h2load%" "us/req(b)" "instr/req(c)" "128strm" "loom/peer (a) (b)"
LOWB=0
for m in $MODES; do
	for s in $(servers_for "$m"); do
		r=$(bench_fmt "$(med "$s,$m,rate")" 0)
		if bench_cmp "$(med "$s,$m,cpct")" ">=" 95; then r="$r*"; LOWB=1; fi
		rat="-"
		if [ "$s" != loom ] && in_list loom "$SERVERS"; then
			rat="$(bench_paired_ratio "${RES[loom,$m,rate]}" "${RES[$s,$m,rate]}") $(bench_paired_ratio "${RES[loom,$m,us]}" "${RES[$s,$m,us]}")"
		fi
		printf '%-5s %-8s %10s %8s %10s %12s %9s %s\n' "$m" "$s" "$r" \
			"$(bench_fmt "$(med "$s,$m,cpct")" 1)" "$(bench_fmt "$(med "$s,$m,us")" 2)" \
			"$(bench_fmt "${RES[$s,$m,irrt]:-n/a}" 0)" "${RES[$s,$m,m128]:-}" "$rat"
	done
	if in_list loom "$SERVERS"; then
		if in_list nghttpd "$SERVERS"; then
			r=$(bench_paired_ratio "${RES[loom,$m,rate]}" "${RES[nghttpd,$m,rate]}")
			bench_cmp "$r" ">=" "$T_RATE" && v=OK || v=FAIL
			verdict "$v" "($m) (a) loom/nghttpd req/s $r >= $T_RATE"
		fi
		u=$(bench_fmt "$(med "loom,$m,us")" 2)
		bench_cmp "$u" "<=" "$T_CPU" && v=OK || v=FAIL
		verdict "$v" "($m) (b) loom server CPU $u us/req <= $T_CPU"
		[ "${RES[loom,$m,m128]:-}" = ok ] && v=OK || v=FAIL
		verdict "$v" "($m) 128 concurrent streams on one connection all served"
	fi
done
echo
[ "$LOWB" = 1 ] && echo "* h2load's CPU >= 95%: the client saturated, (a) is a lower bound"
echo "(b) /proc/PID/stat utime+stime (nginx: its worker) / requests; (c) cachegrind Ir," \
	"(Ir(n=$CG_N2) - Ir(n=$CG_N1)) / $((CG_N2 - CG_N1)), h2load -c1 -m10"
[ "$QUICK" = 1 ] && echo "--quick: a smoke test of the harness; figures indicative only"
printf '%s' "$VERD"
echo "elapsed $(( $(date +%s) - START ))s"
if [ "$FAILS" = 0 ]; then echo "RESULT: PASS"; exit 0; fi
echo "RESULT: FAIL ($FAILS targets missed)"
exit 3
