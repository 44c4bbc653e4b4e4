#!/bin/bash
# interop-curl.sh CERTDIR BINDIR: curl against our TLS server (--http-hello mode):
# https with verification by name and by IP, ALPN http/1.1, a wrong CA refused by
# curl, and plain http to the TLS port redirected to https.
. "$(dirname "$0")/lib.sh"
need curl
srv=$bin/minimal-raw-tls-echo-server

start_loom "$tmp/srv.log" "$srv" -p 0 --cert "$certs/server.pem" --key "$certs/server.key" \
	--http-hello --alpn http/1.1 --redirect-plaintext
for host in localhost 127.0.0.1; do
	out=$(timeout 10 curl -sS --http1.1 --cacert "$certs/ca.pem" "https://$host:$port/" 2>&1)
	if [ "$out" = hello ]; then ok "curl https://$host: verified, got hello"
	else bad "curl https://$host: got '$out'"; fi
done
out=$(timeout 10 curl -sS -v --http1.1 --cacert "$certs/ca.pem" "https://localhost:$port/" 2>&1)
if grep -q 'ALPN.*http/1.1' <<<"$out"; then ok "curl: ALPN http/1.1 accepted"
else bad "curl: no ALPN"; fi
timeout 10 curl -sS --cacert "$certs/ca2.pem" "https://localhost:$port/" >/dev/null 2>&1
rc=$?
if [ $rc -eq 60 ] || [ $rc -eq 35 ]; then ok "curl with the wrong CA refuses (exit $rc)"
else bad "curl with the wrong CA: exit $rc"; fi
out=$(timeout 10 curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' \
	"http://localhost:$port/some/path?x=1" 2>&1)
if [ "$out" = "301 https://localhost:$port/some/path?x=1" ]; then ok "plain http redirected: $out"
else bad "plain http to the TLS port: '$out'"; fi
exit $fail
