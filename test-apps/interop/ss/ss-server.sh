#!/bin/bash
# ss-server.sh EXAMPLE WS_CLIENT POLICY: minimal-ss-server on a port picked at
# run time (the policy's port set to 0): curl GETs two paths on one keep-alive
# connection, POSTs a body, and minimal-ws-client sends three messages with the
# subprotocol "loom-ss" and must get each back; the server's answers come from
# its stream's tx with the metadata the request filled (method, path).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ss-common.sh"
example=$1 wsclient=$2 policy=$3
tmp=$(mktemp -d)
srv_pid=
trap '[ -n "$srv_pid" ] && kill $srv_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
command -v curl >/dev/null || { echo "FAIL: curl not installed"; exit 1; }
sed 's/"port": 7681/"port": 0/' "$policy" > "$tmp/policy.json"
start_server "$tmp/srv.log" "$example" "$tmp/policy.json" || exit 1
fail=0

out=$(timeout 10 curl -s -D "$tmp/h" "http://127.0.0.1:$port/a/b" "http://127.0.0.1:$port/c")
if [ "$out" = "$(printf 'GET /a/b: 0 bytes\nGET /c: 0 bytes')" ] &&
   grep -qi '^content-type: text/plain' "$tmp/h" && grep -q '^HTTP/1.1 200' "$tmp/h"; then
	echo "ok: two GETs on one connection"
else
	echo "FAIL: GET: '$out'"; cat "$tmp/h"; fail=1
fi
out=$(timeout 10 curl -s --data-binary 'hello there' "http://127.0.0.1:$port/post")
[ "$out" = "POST /post: 11 bytes" ] && echo "ok: POST body to rx" ||
	{ echo "FAIL: POST: '$out'"; fail=1; }
head -c 100000 /dev/zero > "$tmp/big"
out=$(timeout 10 curl -s --data-binary @"$tmp/big" -H 'Transfer-Encoding: chunked' \
	"http://127.0.0.1:$port/big")
[ "$out" = "POST /big: 100000 bytes" ] && echo "ok: chunked 100000-byte POST" ||
	{ echo "FAIL: chunked POST: '$out'"; fail=1; }

printf 'one\ntwo\nthree\n' | timeout 10 "$wsclient" "ws://127.0.0.1:$port/" \
	--protocol loom-ss > "$tmp/ws.out" 2> "$tmp/ws.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(cat "$tmp/ws.out")" = "$(printf 'one\ntwo\nthree')" ]; then
	echo "ok: ws echo of 3 messages"
else
	echo "FAIL: ws rc $rc"; cat "$tmp/ws.out" "$tmp/ws.err"; fail=1
fi
kill "$srv_pid"; wait "$srv_pid"; rc=$?; srv_pid=
[ $rc -eq 0 ] && echo "ok: clean exit on SIGTERM" || { echo "FAIL: exit $rc"; fail=1; }
exit $fail
