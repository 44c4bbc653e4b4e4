#!/bin/bash
# curl-server-tls.sh CERTDIR SERVER BACKEND: minimal-http-server-tls checked with
# curl over a generated directory: GET by name and by IP with verification on,
# a 5 MB file by sha256 (records split across partial writes), HEAD, Range,
# keep-alive reuse over one TLS session, ALPN http/1.1, the negotiated version
# (1.3 with OpenSSL, 1.2 with mbedTLS 2.28), TLS 1.1 refused, an untrusted CA
# refused by curl, plaintext to the TLS port closed, and the plain port serving the
# same files. Stops the server by PID.
. "$(dirname "$0")/lib.sh"
need curl
srv=$bin

root=$tmp/root
mkdir -p "$root"
head -c 1024 /dev/urandom > "$root/small.bin"
head -c 5000000 /dev/urandom > "$root/big.bin"
echo hello > "$root/hello.txt"

start_loom "$tmp/srv.log" "$srv" -p 0 --tls-port 0 --cert "$certs/server.pem" \
	--key "$certs/server.key" --root "$root"
tport=$port
pport=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/srv.log" | head -n 1)
u=https://localhost:$tport
c() { timeout 20 curl -sS --max-time 15 --cacert "$certs/ca.pem" "$@"; }

for host in localhost 127.0.0.1; do
	c -o "$tmp/o" "https://$host:$tport/small.bin" && cmp -s "$tmp/o" "$root/small.bin" &&
		ok "GET 1 KiB from https://$host, verified" || bad "GET 1 KiB from $host"
done
c -o "$tmp/o" "$u/big.bin" &&
	[ "$(sha256sum < "$tmp/o")" = "$(sha256sum < "$root/big.bin")" ] &&
	ok "GET 5 MB over TLS, sha256 matches" || bad "GET 5 MB over TLS"
h=$(c -I "$u/small.bin")
grep -qi '^content-length: 1024' <<<"$h" && ok "HEAD Content-Length" || bad "HEAD: $h"
[ "$(c -w '%{http_code}' -r 0-99 -o "$tmp/o" "$u/small.bin")" = 206 ] &&
	cmp -s "$tmp/o" <(head -c 100 "$root/small.bin") && ok "Range 0-99 -> 206" ||
	bad "Range 0-99"
v=$(c -v -o /dev/null -o /dev/null "$u/hello.txt" "$u/small.bin" 2>&1)
grep -q 'Re-using existing connection' <<<"$v" && ok "keep-alive: two GETs, one TLS session" ||
	bad "keep-alive reuse"
grep -q 'ALPN.*http/1.1' <<<"$v" && ok "ALPN http/1.1" || bad "ALPN: no http/1.1"
want=TLSv1.3
[ "$backend" = mbedtls ] && want=TLSv1.2
grep -q "SSL connection using $want" <<<"$v" && ok "negotiated $want" ||
	bad "version: $(grep 'SSL connection using' <<<"$v")"
# TLS 1.1 and below are never offered
c --tlsv1.0 --tls-max 1.1 --ciphers "DEFAULT@SECLEVEL=0" -o /dev/null "$u/hello.txt" 2>/dev/null
rc=$?
[ $rc -eq 35 ] && ok "TLS 1.1 refused (curl exit 35)" || bad "TLS 1.1: curl exit $rc"
timeout 20 curl -sS --max-time 15 --cacert "$certs/ca2.pem" -o /dev/null "$u/hello.txt" 2>/dev/null
rc=$?
[ $rc -eq 60 ] || [ $rc -eq 35 ] && ok "an untrusted CA refused (curl exit $rc)" ||
	bad "wrong CA: curl exit $rc"
# plaintext on the TLS port: closed without an answer (no redirect asked for)
out=$(timeout 20 curl -sS --max-time 15 "http://localhost:$tport/hello.txt" 2>&1)
rc=$?
[ $rc -eq 52 ] || [ $rc -eq 56 ] && ok "plaintext to the TLS port closed (curl exit $rc)" ||
	bad "plaintext to the TLS port: exit $rc '$out'"
[ "$(timeout 20 curl -sS --max-time 15 "http://127.0.0.1:$pport/hello.txt")" = hello ] &&
	ok "the plain port serves the same root" || bad "plain port"
kill -0 "${pids[0]}" 2>/dev/null && ok "server still running" || bad "server died"
exit $fail
