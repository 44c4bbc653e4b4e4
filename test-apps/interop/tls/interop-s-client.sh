#!/bin/bash
# interop-s-client.sh CERTDIR BINDIR: `openssl s_client` against our raw TLS echo
# server: TLS 1.2 and 1.3 echo with full verification, session resumption (ticket)
# on 1.2 and 1.3 (1.2 only with mbedTLS 2.28), mutual TLS accepted and refused, and TLS 1.1 refused.
. "$(dirname "$0")/lib.sh"
need openssl
srv=$bin/minimal-raw-tls-echo-server

start_loom "$tmp/srv.log" "$srv" -p 0 --cert "$certs/server-chain.pem" --key "$certs/server.key"
p1=$port
# mbedTLS 2.28 has no TLS 1.3: there it must be refused, not served
versions="-tls1_2 -tls1_3"
if [ "$backend" = mbedtls ]; then
	versions=-tls1_2
	out=$( (printf 'hello loom\n'; sleep 0.7) | timeout 10 openssl s_client \
		-connect "127.0.0.1:$p1" -CAfile "$certs/ca.pem" -tls1_3 2>&1)
	if grep -q 'hello loom' <<<"$out"; then bad "mbedtls: TLS 1.3 served?"
	else ok "mbedtls: TLS 1.3 refused (2.28 has none)"; fi
fi
# s_client stays until stdin ends: keep it open long enough for the echo
sc() { (printf 'hello loom\n'; sleep 0.7) | timeout 10 openssl s_client -connect "127.0.0.1:$1" \
	-CAfile "$certs/ca.pem" -verify_return_error -verify_hostname localhost \
	-servername localhost "${@:2}" 2>&1; }
for v in $versions; do
	out=$(sc "$p1" $v)
	if grep -q 'hello loom' <<<"$out" && grep -q 'Verify return code: 0 (ok)' <<<"$out"; then
		ok "s_client $v: verified and echoed"
	else
		bad "s_client $v: no verified echo"; echo "$out" | tail -n 20
	fi
done
for v in $versions; do
	rm -f "$tmp/sess"
	sc "$p1" $v -sess_out "$tmp/sess" >/dev/null
	out=$(sc "$p1" $v -sess_in "$tmp/sess")
	if grep -q '^Reused, ' <<<"$out"; then ok "s_client $v: session resumed"
	else bad "s_client $v: session not resumed"; echo "$out" | grep -E '^(New|Reused)'; fi
done
out=$(sc "$p1" -tls1_1)
if grep -q 'hello loom' <<<"$out"; then bad "TLS 1.1 was accepted"; else ok "TLS 1.1 refused"; fi

start_loom "$tmp/mtls.log" "$srv" -p 0 --cert "$certs/server.pem" --key "$certs/server.key" \
	--ca "$certs/ca.pem" --require-client-cert
p2=$port
out=$(sc "$p2" -cert "$certs/client.pem" -key "$certs/client.key")
if grep -q 'hello loom' <<<"$out"; then ok "mTLS with a client certificate: echoed"
else bad "mTLS with a client certificate"; echo "$out" | tail -n 20; fi
out=$(sc "$p2")
if grep -q 'hello loom' <<<"$out"; then bad "mTLS without a certificate was served"
else ok "mTLS without a certificate: refused"; fi
out=$(sc "$p2" -cert "$certs/client2.pem" -key "$certs/client2.key")
if grep -q 'hello loom' <<<"$out"; then bad "mTLS with an untrusted certificate was served"
else ok "mTLS with an untrusted certificate: refused"; fi
exit $fail
