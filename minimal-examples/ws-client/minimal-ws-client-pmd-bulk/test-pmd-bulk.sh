#!/bin/bash
# test-pmd-bulk.sh CLIENT TEST_SERVER: minimal-ws-client-pmd-bulk against
# loom-test-server's loom-echo on a free port; the server must exit cleanly.
set -u
client=$1 server=$2
log=$(mktemp)
"$server" -p 0 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "no listening line"; cat "$log"; exit 1; }
timeout 50 "$client" "ws://127.0.0.1:$port/"
r=$?
kill -TERM $pid
wait $pid
s=$?
trap 'rm -f "$log"' EXIT
[ $s = 0 ] || echo "server exit $s"
[ $r = 0 ] && [ $s = 0 ]
