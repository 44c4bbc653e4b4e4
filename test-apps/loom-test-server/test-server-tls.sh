#!/bin/bash
# test-server-tls.sh SERVER CERTDIR: loom-test-server with --tls-port 0 --cert
# --key: curl fetches / over https (verified against the test CA, by name and by
# IP), POST /post answers "received N bytes", ALPN is http/1.1, and the plain
# port still serves. Stops the server by PID.
set -u
server=$1 certs=$2
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
command -v curl >/dev/null || { echo "FAIL: curl is not installed (contrib/deps.sh)"; exit 1; }

"$server" -p 0 --tls-port 0 --cert "$certs/server.pem" --key "$certs/server.key" \
	2>"$tmp/server.log" &
pid=$!
tport= port=
for _ in $(seq 1 100); do
	tport=$(sed -n 's/^listening on tls \([0-9]*\)$/\1/p' "$tmp/server.log")
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/server.log")
	[ -n "$tport" ] && [ -n "$port" ] && break
	sleep 0.05
done
[ -n "$tport" ] || { echo "FAIL: no 'listening on tls' line"; cat "$tmp/server.log"; exit 1; }
fail=0
for host in localhost 127.0.0.1; do
	code=$(timeout 10 curl -sS --http1.1 -o "$tmp/body" -w '%{http_code} %{http_version}' \
		--cacert "$certs/ca.pem" "https://$host:$tport/" 2>"$tmp/err")
	if [ "$code" = "200 1.1" ] && [ -s "$tmp/body" ]; then echo "ok: GET https://$host/ 200"
	else echo "FAIL: GET https://$host/: '$code'"; cat "$tmp/err"; fail=1; fi
done
head -c 100000 /dev/urandom > "$tmp/post"
out=$(timeout 10 curl -sS --cacert "$certs/ca.pem" --data-binary "@$tmp/post" \
	"https://localhost:$tport/post" 2>&1)
if grep -q "received 100000 bytes" <<<"$out"; then echo "ok: POST https /post: $out"
else echo "FAIL: POST https /post: '$out'"; fail=1; fi
out=$(timeout 10 curl -sS -v --http1.1 --cacert "$certs/ca.pem" -o /dev/null "https://localhost:$tport/" 2>&1)
if grep -q "ALPN.*http/1.1" <<<"$out"; then echo "ok: ALPN http/1.1"
else echo "FAIL: no ALPN http/1.1"; fail=1; fi
# h2 by ALPN: the page and POST /post over HTTP/2 (when this build has h2)
code=$(timeout 10 curl -sS --http2 -o "$tmp/body" -w '%{http_code} %{http_version}' \
	--cacert "$certs/ca.pem" "https://localhost:$tport/" 2>"$tmp/err")
case "$code" in
"200 2") echo "ok: GET over h2 (ALPN)" ;;
"200 1.1") echo "ok: h2 not in this build: HTTP/1.1" ;;
*) echo "FAIL: GET --http2: '$code'"; cat "$tmp/err"; fail=1 ;;
esac
if [ "$code" = "200 2" ]; then
	out=$(timeout 10 curl -sS --http2 --cacert "$certs/ca.pem" --data-binary "@$tmp/post" \
		"https://localhost:$tport/post" 2>&1)
	if grep -q "received 100000 bytes" <<<"$out"; then echo "ok: POST /post over h2: $out"
	else echo "FAIL: POST /post over h2: '$out'"; fail=1; fi
	out=$(timeout 10 curl -sS --http2-prior-knowledge --data-binary "@$tmp/post" \
		"http://127.0.0.1:$port/post" 2>&1)
	if grep -q "received 100000 bytes" <<<"$out"; then echo "ok: POST /post over h2c: $out"
	else echo "FAIL: POST /post over h2c: '$out'"; fail=1; fi
fi
code=$(timeout 10 curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
if [ "$code" = 200 ]; then echo "ok: the plain port still serves"
else echo "FAIL: plain port: '$code'"; fail=1; fi
exit $fail
