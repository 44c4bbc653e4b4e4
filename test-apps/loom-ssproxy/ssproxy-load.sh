#!/bin/bash
# ssproxy-load.sh PROXY SSPC_LOAD TEST_SERVER HELLO POLICY [CLIENTS STREAMS]: 100
# SSPC client processes (sspc-load) with 10 streams each, all at once through one
# loom-ssproxy, each stream a GET of loom-test-server's index.html: every stream
# must complete with the same bytes as HELLO (minimal-ss-hello-world) in process,
# within 60 s. The proxy's open fds are sampled while it runs (a client stream is
# one fd on the proxy and one to the server) and must fall back to what they were
# once the clients are gone.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../interop/ss/ss-common.sh"
proxy=$1 load=$2 server=$3 hello=$4 policy=$5 clients=${6:-100} streams=${7:-10}
tmp=$(mktemp -d)
srv_pid= px_pid= ld_pid=
trap 'for p in $ld_pid $srv_pid $px_pid; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
sock="@loom-ssproxy-load-$$"
start_server "$tmp/srv.log" "$server" -p 0 || exit 1
sed "s/\"port\": 7681/\"port\": $port/" "$policy" > "$tmp/policy.json"
timeout 20 env -u LOOM_SSPROXY "$hello" "$tmp/policy.json" > "$tmp/direct" 2>/dev/null ||
	{ echo "FAIL: in-process GET"; exit 1; }
len=$(wc -c < "$tmp/direct")
"$proxy" --policy "$tmp/policy.json" --unix "$sock" 2> "$tmp/px.log" &
px_pid=$!
for _ in $(seq 1 200); do
	grep -q "^listening on unix" "$tmp/px.log" && break
	sleep 0.05
done
fds() { ls /proc/$px_pid/fd 2>/dev/null | wc -l; }
base=$(fds)
timeout 90 "$load" --proxy "unix:$sock" --clients "$clients" --streams "$streams" \
	--expect-len "$len" --secs 60 > "$tmp/load.out" 2> "$tmp/load.err" &
ld_pid=$!
peak=$base
while kill -0 $ld_pid 2>/dev/null; do
	f=$(fds)
	[ "$f" -gt "$peak" ] && peak=$f
	sleep 0.1
done
wait $ld_pid; rc=$?; ld_pid=
after=
for _ in $(seq 1 50); do
	after=$(fds)
	[ "$after" -le "$base" ] && break
	sleep 0.1
done
cat "$tmp/load.out"
if [ $rc -eq 0 ] && [ "$after" -le "$base" ] && kill -0 $px_pid; then
	echo "ok: $clients clients x $streams streams of $len bytes; proxy fds $base, peak $peak, after $after"
	exit 0
fi
echo "FAIL: rc $rc; proxy fds $base, peak $peak, after $after"
sort "$tmp/load.err" | uniq -c | sort -rn | head -10
grep -E " E: | W: " "$tmp/px.log" | head -10
exit 1
