#!/bin/bash
# example-h2.sh SERVER CERTDIR ROOT: minimal-http-server-h2 on free ports; curl gets
# / over h2 (TLS, ALPN), h2c (prior knowledge) and HTTP/1.1 (both ports), each
# equal to ROOT/index.html. Stops the server by PID.
set -u
server=$1 certs=$2 root=$3
tmp=$(mktemp -d)
pid=
fail=0
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
command -v curl >/dev/null || { echo "FAIL: curl is not installed (contrib/deps.sh)"; exit 1; }
"$server" -p 0 --tls-port 0 --cert "$certs/server.pem" --key "$certs/server.key" \
	2>"$tmp/server.log" &
pid=$!
port= tport=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/server.log")
	tport=$(sed -n 's/^listening on tls \([0-9]*\)$/\1/p' "$tmp/server.log")
	[ -n "$port" ] && [ -n "$tport" ] && break
	sleep 0.05
done
[ -n "$port" ] && [ -n "$tport" ] || { echo "FAIL: server did not start"; cat "$tmp/server.log"; exit 1; }
check() {	# label, expected http_version, curl args...
	local label=$1 ver=$2 v; shift 2
	v=$(timeout 10 curl -sS --max-time 8 -o "$tmp/o" -w '%{http_code} %{http_version}' "$@" 2>&1)
	if [ "$v" = "200 $ver" ] && cmp -s "$tmp/o" "$root/index.html"; then echo "ok: $label"
	else echo "FAIL: $label: '$v'"; fail=1; fi
}
check "h2 over TLS (ALPN)" 2 --http2 --cacert "$certs/ca.pem" "https://localhost:$tport/"
check "h2c by prior knowledge" 2 --http2-prior-knowledge "http://127.0.0.1:$port/"
check "HTTP/1.1 over TLS" 1.1 --http1.1 --cacert "$certs/ca.pem" "https://localhost:$tport/"
check "HTTP/1.1 plain" 1.1 --http1.1 "http://127.0.0.1:$port/"
exit $fail
