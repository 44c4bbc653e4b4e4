#!/bin/bash
# test-server-ws.sh SERVER [browser | browser-h2 CERTDIR]: loom-test-server's
# WebSocket protocols (test-server-ws.py), or with "browser" the demo page in
# headless Chromium (test-server-browser.py), with "browser-h2" the same over TLS
# where the page comes by HTTP/2 and its WebSockets too (RFC 8441, counted by the
# server); then SIGTERM and a clean exit.
set -u
server=$1
mode=${2:-protocols}
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp)
if [ "$mode" = browser-h2 ]; then
	"$server" -p 0 --tls-port 0 --cert "$3/server.pem" --key "$3/server.key" 2>"$log" &
else
	"$server" -p 0 2>"$log" &
fi
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "no listening line"; cat "$log"; exit 1; }
if [ "$mode" = browser ]; then
	command -v chromium >/dev/null || { echo "chromium missing (contrib/deps.sh)"; exit 1; }
	timeout 60 /usr/bin/python3 "$here/test-server-browser.py" "$port"
elif [ "$mode" = browser-h2 ]; then
	command -v chromium >/dev/null || { echo "chromium missing (contrib/deps.sh)"; exit 1; }
	tport=
	for _ in $(seq 1 100); do
		tport=$(sed -n 's/^listening on tls \([0-9]*\)$/\1/p' "$log")
		[ -n "$tport" ] && break
		sleep 0.05
	done
	timeout 60 /usr/bin/python3 "$here/test-server-browser.py" "$tport" h2
else
	timeout 150 /usr/bin/python3 "$here/test-server-ws.py" "$port"
fi
fail=$?
kill -TERM $pid
wait $pid
rc=$?
trap 'rm -f "$log"' EXIT
[ $rc -eq 0 ] && echo "ok: clean exit on SIGTERM" || { echo "FAIL: exit $rc on SIGTERM"; fail=1; }
grep -q "Sanitizer\|runtime error" "$log" && { grep -A20 "Sanitizer\|runtime error" "$log" | head -30; fail=1; }
if [ "$mode" = browser-h2 ]; then
	# the page's three WebSockets must have gone over h2 (RFC 8441), counted by
	# the server as it exits
	grep "^ws connections" "$log"
	n=$(sed -n 's/^ws connections: .*, \([0-9]*\) over HTTP\/2$/\1/p' "$log")
	if [ "${n:-0}" -ge 3 ]; then
		echo "ok: the page's WebSockets went over HTTP/2 ($n)"
	else
		echo "FAIL: ${n:-no} WebSockets over HTTP/2 (3 expected)"; fail=1
	fi
fi
exit $fail
