#!/usr/bin/env bash
# run.sh [--conns N] [--clients K] [--extra M] [--hold SECS] [--bin DIR]
#
# Capacity of one server process (issue 14): loom-test-server, started with
# --max-conns N (default 19000) under the machine's per-process fd limit (20000
# here), is sent N WebSocket connections by K (4) loom-capacity-client processes,
# each from its own source address (127.0.0.2...), so no process and no address
# runs short of fds or ports. Once all are up, one more client opens M (200)
# connections past the limit: every one must be refused (closed at once, reported
# as a connection error) while the N stay up. After SECS (10) idle, every one of
# the N sends a message and must get its echo. Prints the server's RSS per
# connection. Use a release build (default build-reliability/bin): ASan's
# per-allocation overhead would swamp the figure.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
conns=19000 clients=4 extra=200 hold=10 bin=$src/build-reliability/bin
while [ $# -gt 0 ]; do
	case $1 in
	--conns) conns=$2; shift 2 ;;
	--clients) clients=$2; shift 2 ;;
	--extra) extra=$2; shift 2 ;;
	--hold) hold=$2; shift 2 ;;
	--bin) bin=$2; shift 2 ;;
	*) echo "usage: $0 [--conns N] [--clients K] [--extra M] [--hold S] [--bin DIR]" >&2
	   exit 2 ;;
	esac
done
for p in loom-test-server loom-capacity-client; do
	[ -x "$bin/$p" ] || { echo "FAIL: no $bin/$p (build it first)" >&2; exit 1; }
done
ulimit -n "$(ulimit -Hn)" || exit 1
echo "capacity: $conns conns by $clients clients, $extra past the limit; fd limit" \
	"$(ulimit -n) per process"

tmp=$(mktemp -d /tmp/loom-capacity.XXXXXX)
pids=()
srv_pid=
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" | wc -l; }

"$bin/loom-test-server" -p 0 --iface 127.0.0.1 --max-conns "$conns" -d 1 \
	2>"$tmp/server.log" &
srv_pid=$!
for _ in $(seq 100); do
	grep -q '^listening on [0-9]' "$tmp/server.log" && break
	sleep 0.1
done
port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/server.log")
[ -n "$port" ] || { echo "FAIL: the server did not start"; cat "$tmp/server.log"; exit 1; }
sleep 0.5
rss0=$(rss $srv_pid)
fds0=$(fds $srv_pid)
t0=$(date +%s.%N)

per=$((conns / clients))
for i in $(seq 0 $((clients - 1))); do
	n=$per
	[ "$i" -eq $((clients - 1)) ] && n=$((conns - per * (clients - 1)))
	"$bin/loom-capacity-client" --port "$port" --conns "$n" --iface "127.0.0.$((2 + i))" \
		--timeout 600 >"$tmp/client$i.out" 2>"$tmp/client$i.err" &
	pids+=($!)
done
# wait for every client's "established" line (bounded)
for _ in $(seq 1200); do
	done_n=$(cat "$tmp"/client*.out 2>/dev/null | grep -c '^established')
	[ "$done_n" -eq "$clients" ] && break
	sleep 0.25
done
t1=$(date +%s.%N)
est=$(cat "$tmp"/client*.out | awk '/^established/ { s += $2 } END { print s + 0 }')
ref=$(cat "$tmp"/client*.out | awk '/^established/ { s += $4 } END { print s + 0 }')
sleep 1
rss1=$(rss $srv_pid)
fds1=$(fds $srv_pid)
echo "established $est of $conns (refused $ref) in $(echo "$t1 - $t0" | bc) s;" \
	"server RSS $rss0 -> $rss1 kB, fds $fds0 -> $fds1"

# past the limit: every one refused, the server still up
"$bin/loom-capacity-client" --port "$port" --conns "$extra" --iface 127.0.0.200 \
	--expect-refused --timeout 60 >"$tmp/extra.out" 2>&1
extra_rc=$?
echo "past the limit: $(cat "$tmp/extra.out" | head -1) (exit $extra_rc)"

sleep "$hold"
rss2=$(rss $srv_pid)
for p in "${pids[@]}"; do kill -USR1 "$p"; done
rc_all=0
for p in "${pids[@]}"; do
	wait "$p" || rc_all=1
done
pids=()
echoed=$(cat "$tmp"/client*.out | awk '/^echoed/ { s += $2 } END { print s + 0 }')
echo "after ${hold}s idle: echoed $echoed of $est; server RSS $rss2 kB"
grep -h '^echoed' "$tmp"/client*.out
kill -0 "$srv_pid" 2>/dev/null || { echo "FAIL: the server died"; exit 1; }
sleep 1
fds3=$(fds $srv_pid)
kill -TERM "$srv_pid"
wait "$srv_pid"
srv_rc=$?
srv_pid=
per_conn=$(echo "scale=2; ($rss1 - $rss0) / $conns" | bc)
echo "server RSS per connection: $per_conn kB ((RSS with $conns - idle RSS) / $conns);" \
	"fds back to $fds3 after the clients left; server exit $srv_rc"

fail=0
[ "$est" -eq "$conns" ] || { echo "FAIL: $est of $conns established"; fail=1; }
[ "$extra_rc" -eq 0 ] || { echo "FAIL: connections past the limit were not all refused"; fail=1; }
[ "$echoed" -eq "$conns" ] || { echo "FAIL: $echoed of $conns echoed"; fail=1; }
[ $rc_all -eq 0 ] || { echo "FAIL: a client failed"; cat "$tmp"/client*.err | head; fail=1; }
[ "$fds3" -eq "$fds0" ] || { echo "FAIL: server fds $fds3, were $fds0"; fail=1; }
[ $srv_rc -eq 0 ] || { echo "FAIL: the server exited $srv_rc"; fail=1; }
[ $fail -eq 0 ] && echo "capacity: passed" || echo "capacity: FAILED"
exit $fail
