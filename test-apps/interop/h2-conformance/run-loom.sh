#!/bin/bash
# run-loom.sh SERVER: h2-conformance.py against loom-test-server's h2c port.  The
# server runs on a port it picks itself (-p 0) with a root holding index.html
# (GET cases) and answers POST /post by reading the whole body (open-stream cases).
# Stops the server by PID.
set -u
server=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
/usr/bin/python3 -c 'import hpack, hyperframe' 2>/dev/null ||
	{ echo "FAIL: python3-hpack / python3-hyperframe missing (contrib/deps.sh)"; exit 1; }
mkdir -p "$tmp/root"
head -c 4096 /dev/urandom | base64 > "$tmp/root/index.html"
"$server" -p 0 --root "$tmp/root" 2>"$tmp/server.log" &
pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/server.log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: server did not start"; cat "$tmp/server.log"; exit 1; }
# --reset-memory: H2_RESET_MEMORY in lib/roles/h2/private-h2.h
timeout 600 /usr/bin/python3 "$here/h2-conformance.py" -v --path /index.html \
	--post-path /post --reset-memory 32 "$port"
rc=$?
kill -0 "$pid" 2>/dev/null || { echo "FAIL: the server died"; tail -20 "$tmp/server.log"; exit 1; }
# it must exit cleanly on SIGTERM, with nothing from the sanitizers (ASan builds)
kill -TERM "$pid"
wait "$pid"
src=$?
pid=
if [ $src -ne 0 ] || grep -qE "Sanitizer|runtime error" "$tmp/server.log"; then
	echo "FAIL: server exit status $src"
	grep -A20 -E "Sanitizer|runtime error" "$tmp/server.log" | head -60
	exit 1
fi
exit $rc
