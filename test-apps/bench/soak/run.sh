#!/usr/bin/env bash
# run.sh [--secs N] [--bin DIR] [--conc N] [--every S]: the soak of issue 14.
#
# Starts loom-test-server (plain, TLS and raw listeners) and mosquitto (plain and
# TLS) on ports picked at run time, then loom-soak-client churns connections of
# every kind against them for N seconds (default 300) with --conc (16) alive at
# once: h1 GET and POST, ws echo with permessage-deflate, mqtt pub/sub QoS 1/2, raw
# echo, TLS and not, one in ten dropped midway; and h2 by h2load (nghttp2-client)
# in a loop beside it: GET / and POST /post over h2c (prior knowledge) and h2 over
# TLS (ALPN), a few connections a round. Every --every (5) seconds it
# samples the server's RSS and fd count (from /proc), the server's allocator counters
# (loom-test-server --heap-stats, a "heap now:" line on SIGUSR1) and the client's
# allocator counters and fds. Passes when every session not dropped on purpose completed,
# the server's RSS over the last third of the run grew less than 10% + 4 MiB over
# the middle third, the server's fd count is back where it started, the client's
# live allocations are flat (last half's peak within 10% + 64 of the first half's),
# the server's (Loom's live bytes by its allocator hook) too: last third within
# 10% + 64 KiB of the middle third, drained at the end, none left at exit;
# and both processes exit cleanly (ASan/LSan: no error, no leak). Build DIR (default
# build-reliability-asan/bin) should be an ASan build.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)

secs=300 bin=$src/build-reliability-asan/bin conc=16 every=5 inner=0
mqtt_port=0 mqtt_tls_port=0 mqtt_ca=
while [ $# -gt 0 ]; do
	case $1 in
	--secs) secs=$2; shift 2 ;;
	--bin) bin=$2; shift 2 ;;
	--conc) conc=$2; shift 2 ;;
	--every) every=$2; shift 2 ;;
	--inner) inner=1; mqtt_port=$2; mqtt_tls_port=$3; mqtt_ca=$4; shift 4 ;;
	*) echo "usage: $0 [--secs N] [--bin DIR] [--conc N] [--every S]" >&2; exit 2 ;;
	esac
done
for p in loom-test-server loom-soak-client; do
	[ -x "$bin/$p" ] || { echo "FAIL: no $bin/$p (build it first)" >&2; exit 1; }
done

if [ $inner = 0 ]; then
	# run the rest with mosquitto up (plain and TLS), stopped by its PID after
	exec "$src/test-apps/interop/mqtt/with-mosquitto.sh" --tls "$0" --secs "$secs" \
		--bin "$bin" --conc "$conc" --every "$every" \
		--inner @PORT@ @TLSPORT@ @CA@
fi

tmp=$(mktemp -d /tmp/loom-soak.XXXXXX)
srv_pid= samp_pid= h2_pid=
cleanup() {
	[ -n "$samp_pid" ] && kill "$samp_pid" 2>/dev/null
	[ -n "$h2_pid" ] && kill "$h2_pid" 2>/dev/null
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$src/test-apps/interop/tls/mkcerts.sh" "$tmp/certs" >/dev/null 2>&1 ||
	{ echo "FAIL: mkcerts.sh" >&2; exit 1; }

# a small ASan quarantine, so freed memory is reused and RSS can be flat
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}:quarantine_size_mb=4:malloc_context_size=8
"$bin/loom-test-server" -p 0 --tls-port 0 --raw-port 0 --iface 127.0.0.1 \
	--cert "$tmp/certs/server.pem" --key "$tmp/certs/server.key" -d 1 --heap-stats \
	2>"$tmp/server.log" &
srv_pid=$!
for _ in $(seq 100); do
	grep -q '^listening on raw' "$tmp/server.log" && break
	kill -0 $srv_pid 2>/dev/null || break
	sleep 0.1
done
port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/server.log")
tls_port=$(sed -n 's/^listening on tls \([0-9]*\)$/\1/p' "$tmp/server.log")
raw_port=$(sed -n 's/^listening on raw \([0-9]*\)$/\1/p' "$tmp/server.log")
if [ -z "$port" ] || [ -z "$tls_port" ] || [ -z "$raw_port" ]; then
	echo "FAIL: loom-test-server did not start:" >&2
	cat "$tmp/server.log" >&2
	exit 1
fi
echo "soak: ${secs}s, $conc at once; loom-test-server pid $srv_pid ports $port tls" \
	"$tls_port raw $raw_port; mosquitto $mqtt_port tls $mqtt_tls_port"

# the server idle, before any load: its fds, and its first heap report
srv_fds_start=$(ls /proc/$srv_pid/fd 2>/dev/null | wc -l)
kill -USR1 $srv_pid
for _ in $(seq 50); do
	grep -q '^heap now:' "$tmp/server.log" && break
	sleep 0.1
done

# the server's RSS (kB) and fds, every $every seconds; SIGUSR1 makes it log its
# allocator counters ("heap now: blocks=.. bytes=..") to server.log
(
	t=0
	while kill -0 $srv_pid 2>/dev/null; do
		kill -USR1 $srv_pid 2>/dev/null
		rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$srv_pid/status 2>/dev/null)
		fds=$(ls /proc/$srv_pid/fd 2>/dev/null | wc -l)
		echo "$t $rss $fds"
		sleep "$every"
		t=$((t + every))
	done
) >"$tmp/server.samples" &
samp_pid=$!

# h2 churn by h2load until the client below is done (a round is a few seconds)
head -c 20000 /dev/urandom >"$tmp/post.bin"
(
	while [ ! -e "$tmp/stop-h2" ]; do
		for url in "http://127.0.0.1:$port/" "https://127.0.0.1:$tls_port/"; do
			h2load -n 40 -c 4 -m 2 -T 10 "$url" 2>&1 | grep '^requests:'
			h2load -n 40 -c 4 -m 2 -T 10 -d "$tmp/post.bin" "${url}post" 2>&1 |
				grep '^requests:'
		done
	done
) >"$tmp/h2load.out" &
h2_pid=$!

"$bin/loom-soak-client" --secs "$secs" --conc "$conc" --every "$every" \
	--port "$port" --tls-port "$tls_port" --raw-port "$raw_port" \
	--ca "$tmp/certs/ca.pem" --mqtt-port "$mqtt_port" \
	--mqtt-tls-port "$mqtt_tls_port" --mqtt-ca "$mqtt_ca" \
	>"$tmp/client.out" 2>"$tmp/client.err"
client_rc=$?
touch "$tmp/stop-h2"
wait "$h2_pid"
h2_pid=
sleep 1	# let the server see the last closes
kill "$samp_pid" 2>/dev/null
wait "$samp_pid" 2>/dev/null
samp_pid=
srv_fds_end=$(ls /proc/$srv_pid/fd 2>/dev/null | wc -l)
srv_rss_end=$(awk '/^VmRSS:/ { print $2 }' /proc/$srv_pid/status 2>/dev/null)
# the server's heap with every client gone: one more report
heap_reports=$(grep -c '^heap now:' "$tmp/server.log")
kill -USR1 $srv_pid
for _ in $(seq 50); do
	[ "$(grep -c '^heap now:' "$tmp/server.log")" -gt "$heap_reports" ] && break
	sleep 0.1
done
kill -TERM $srv_pid
wait $srv_pid
srv_rc=$?
srv_pid=

fail=0
grep -v '^sample' "$tmp/client.out"
head -c 4000 "$tmp/client.err"
[ $client_rc -eq 0 ] || { echo "FAIL: soak-client exited $client_rc"; fail=1; }
# h2load: "requests: N total, N started, N done, N succeeded, N failed, N errored, ..."
read -r h2_runs h2_ok h2_bad < <(awk '{ r++; ok += $8; bad += $10 }
	END { print r + 0, ok + 0, bad + 0 }' "$tmp/h2load.out")
echo "h2 (h2load)  runs $h2_runs  requests succeeded $h2_ok  failed $h2_bad"
if [ "$h2_runs" -eq 0 ] || [ "$h2_bad" -ne 0 ] || [ "$h2_ok" -eq 0 ]; then
	echo "FAIL: h2 requests failed (or none ran)"
	fail=1
fi
if [ $srv_rc -ne 0 ]; then
	echo "FAIL: loom-test-server exited $srv_rc"
	grep -A30 -m1 'ERROR: \|runtime error' "$tmp/server.log"
	fail=1
fi

# the server: RSS over thirds of the run, fds back to their start
awk -v end_fds="$srv_fds_end" -v end_rss="$srv_rss_end" -v start_fds="$srv_fds_start" '
	{ t[NR] = $1; rss[NR] = $2; fds[NR] = $3 }
	END {
		n = NR; if (n < 3) { print "FAIL: too few server samples"; exit 1 }
		a = int(n / 3); b = int(2 * n / 3)
		for (i = a + 1; i <= b; i++) if (rss[i] > mid) mid = rss[i]
		for (i = b + 1; i <= n; i++) if (rss[i] > last) last = rss[i]
		lim = mid * 1.10 + 4096
		printf "server: RSS %d kB at start, peak %d kB in the middle third, " \
			"%d kB in the last third (limit %d), %d kB at the end; " \
			"fds %d at start, %d at peak, %d at the end\n", rss[1], mid, last,
			lim, end_rss, start_fds, maxf(fds, n), end_fds
		bad = 0
		if (last > lim) { print "FAIL: the server RSS grew"; bad = 1 }
		if (end_fds != start_fds) { print "FAIL: server fds not back"; bad = 1 }
		exit bad
	}
	function maxf(v, n,   i, m) { for (i = 1; i <= n; i++) if (v[i] > m) m = v[i]; return m }
' "$tmp/server.samples" || fail=1

# the server's heap (its allocator counters): Loom's live bytes over the last third
# of the run within 10% + 64 KiB of the middle third's peak, back at or under that
# peak with every client gone (the last report), and none of Loom's blocks left
# after the context is destroyed
grep -q '^heap now:' "$tmp/server.log" || echo "heap now: blocks=0 bytes=0" >>"$tmp/server.log"
awk '
	/^heap now:/ {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		n++; blk[n] = v["blocks"]; byt[n] = v["bytes"]; tb = v["tls_bytes"]
	}
	/^heap at exit:/ {
		for (i = 4; i <= NF; i++) { split($i, kv, "="); w[kv[1]] = kv[2] }
		exit_blk = w["blocks"]; allocs = w["allocs"]; got_exit = 1
	}
	END {
		if (n < 4) { print "FAIL: too few server heap reports (" n ")"; exit 1 }
		m = n - 1; a = int(m / 3); b = int(2 * m / 3)
		for (i = a + 1; i <= b; i++) if (byt[i] > mid) { mid = byt[i]; midb = blk[i] }
		for (i = b + 1; i <= m; i++) if (byt[i] > last) { last = byt[i]; lastb = blk[i] }
		lim = mid * 1.10 + 65536
		printf "server heap (Loom, allocator hook): %d blocks / %d bytes at start, " \
			"peak %d / %d in the middle third, %d / %d in the last third " \
			"(limit %d bytes), %d / %d with the clients gone; TLS library %d " \
			"bytes; at exit %s blocks of %s allocations\n", blk[1], byt[1], midb,
			mid, lastb, last, lim, blk[n], byt[n], tb,
			got_exit ? exit_blk : "?", got_exit ? allocs : "?"
		bad = 0
		if (last > lim) { print "FAIL: the server heap grew"; bad = 1 }
		if (byt[n] > mid) { print "FAIL: the server heap did not drain"; bad = 1 }
		if (!got_exit || exit_blk != 0) {
			print "FAIL: the server left Loom blocks allocated at exit"; bad = 1
		}
		exit bad
	}
' "$tmp/server.log" || fail=1

# the client: live allocations flat, fds back once drained
awk '
	/^sample/ {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		n++; blk[n] = v["blocks"]; fd[n] = v["fds"]; if (n == 1) fd0 = v["fds"]
		if (/drained/) { dblk = v["blocks"]; dfd = v["fds"] }
	}
	END {
		h = int((n - 1) / 2)
		for (i = 1; i <= h; i++) if (blk[i] > p1) p1 = blk[i]
		for (i = h + 1; i < n; i++) if (blk[i] > p2) p2 = blk[i]
		printf "client: live blocks peak %d in the first half, %d in the " \
			"second; %d when drained; fds %d at start, %d when drained\n",
			p1, p2, dblk, fd0, dfd
		bad = 0
		if (p2 > p1 * 1.10 + 64) { print "FAIL: client allocations grew"; bad = 1 }
		if (dfd > fd0) { print "FAIL: client fds not back"; bad = 1 }
		exit bad
	}
' "$tmp/client.out" || fail=1

if [ $fail -ne 0 ]; then
	echo "soak: FAILED"
	exit 1
fi
echo "soak: passed"
