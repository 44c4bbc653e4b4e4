#!/bin/bash
# ws-over-h2.sh SERVER CERTDIR CLIENT: WebSocket over HTTP/2 (RFC 8441) with
# python3-h2 (ws-over-h2.py) against loom-test-server, over h2c (prior knowledge)
# and TLS (ALPN h2), and our own client (minimal-ws-client --h2) on both; then
# against a server started with --no-ws-over-h2, which must not offer it and
# which our client must fail against. The servers pick their ports, are stopped by PID, and must exit
# cleanly on SIGTERM with nothing from the sanitizers.
set -u
server=$1 certs=$2 client=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pid=
fail=0
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
/usr/bin/python3 -c 'import h2' 2>/dev/null ||
	{ echo "FAIL: python3-h2 missing (contrib/deps.sh)"; exit 1; }

start() {	# $@: extra server options; sets pid, port, tport
	: >"$tmp/server.log"	# not the last server's port
	"$server" -p 0 --tls-port 0 --cert "$certs/server.pem" --key "$certs/server.key" \
		"$@" 2>"$tmp/server.log" &
	pid=$!
	port= tport=
	for _ in $(seq 1 100); do
		port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/server.log")
		tport=$(sed -n 's/^listening on tls \([0-9]*\)$/\1/p' "$tmp/server.log")
		[ -n "$port" ] && [ -n "$tport" ] && break
		sleep 0.05
	done
	[ -n "$port" ] && [ -n "$tport" ] ||
		{ echo "FAIL: server did not start"; cat "$tmp/server.log"; exit 1; }
}

stop() {	# SIGTERM, clean exit, no sanitizer report; $1: ws over h2 expected
	kill -TERM "$pid"
	wait "$pid"
	local rc=$?
	pid=
	[ $rc -eq 0 ] && echo "ok: server exit 0 on SIGTERM" || { echo "FAIL: server exit $rc"; fail=1; }
	if grep -qE "Sanitizer|runtime error" "$tmp/server.log"; then
		grep -A30 -E "Sanitizer|runtime error" "$tmp/server.log" | head -60
		fail=1
	fi
	grep "^ws connections" "$tmp/server.log"
	local n
	n=$(sed -n 's/^ws connections: .*, \([0-9]*\) over HTTP\/2$/\1/p' "$tmp/server.log")
	if [ "$1" = yes ] && [ "${n:-0}" -lt 8 ]; then
		echo "FAIL: the server counted ${n:-no} ws connections over h2"; fail=1
	elif [ "$1" = no ] && [ "${n:-1}" != 0 ]; then
		echo "FAIL: ws over h2 on a server that does not offer it: ${n:-?}"; fail=1
	fi
}

client_echo() {	# $1: label, rest: client arguments
	local label=$1; shift
	local out
	out=$(printf 'one\ntwo two\n' | timeout 30 "$client" "$@" --timeout 10 2>"$tmp/client.log")
	if [ $? -eq 0 ] && [ "$out" = "$(printf 'one\ntwo two')" ]; then
		echo "ok: our client, $label: echoed, closed cleanly"
	else
		echo "FAIL: our client, $label: '$out'"; tail -5 "$tmp/client.log"; fail=1
	fi
}

start
timeout 120 /usr/bin/python3 "$here/ws-over-h2.py" "$port" || fail=1
timeout 120 /usr/bin/python3 "$here/ws-over-h2.py" --tls "$tport" || fail=1
client_echo "h2c" "ws://127.0.0.1:$port/" --h2 --protocol loom-echo
client_echo "TLS (ALPN h2), deflate" "wss://localhost:$tport/" --h2 --deflate \
	--ca "$certs/ca.pem"
stop yes
start --no-ws-over-h2
timeout 60 /usr/bin/python3 "$here/ws-over-h2.py" --no-setting "$port" || fail=1
if printf 'x\n' | timeout 30 "$client" "ws://127.0.0.1:$port/" --h2 --timeout 10 \
		>/dev/null 2>"$tmp/client.log"; then
	echo "FAIL: our client went on with a server that does not offer it"; fail=1
else
	echo "ok: our client fails against it: $(tail -1 "$tmp/client.log")"
fi
stop no
[ $fail = 0 ] && echo "ws-over-h2: all passed" || echo "ws-over-h2: FAILED"
exit $fail
