#!/bin/bash
# run-loom-ws.sh SERVER: h2-ws-conformance.py (RFC 8441) against loom-test-server's
# h2c port, whose default ws protocol (loom-echo) echoes; then against a server
# started with --no-ws-over-h2, which must not offer the extended CONNECT. Each
# server picks its port, is stopped by PID and must exit cleanly on SIGTERM with
# nothing from the sanitizers.
set -u
server=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pid=
fail=0
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
/usr/bin/python3 -c 'import hpack, hyperframe' 2>/dev/null ||
	{ echo "FAIL: python3-hpack / python3-hyperframe missing (contrib/deps.sh)"; exit 1; }

run() {	# $1: server option or "", rest: script options
	local opt=$1; shift
	: >"$tmp/server.log"	# not the last server's port
	"$server" -p 0 $opt 2>"$tmp/server.log" &
	pid=$!
	local port=
	for _ in $(seq 1 100); do
		port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/server.log")
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { echo "FAIL: server did not start"; cat "$tmp/server.log"; exit 1; }
	timeout 300 /usr/bin/python3 "$here/h2-ws-conformance.py" -v "$@" "$port" || fail=1
	kill -0 "$pid" 2>/dev/null || { echo "FAIL: the server died"; tail -20 "$tmp/server.log"; exit 1; }
	kill -TERM "$pid"
	wait "$pid"
	local src=$?
	pid=
	if [ $src -ne 0 ] || grep -qE "Sanitizer|runtime error" "$tmp/server.log"; then
		echo "FAIL: server exit status $src"
		grep -A20 -E "Sanitizer|runtime error" "$tmp/server.log" | head -60
		fail=1
	fi
}

run ""
run --no-ws-over-h2 --no-setting
exit $fail
