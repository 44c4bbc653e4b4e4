#!/bin/bash
# interop-s-server.sh CERTDIR BINDIR: our raw TLS client against `openssl s_server`:
# echo (s_server -rev answers each line reversed) verified by name and by IP,
# mutual TLS with our client certificate, and each bad server certificate refused
# with its reason on our side.
. "$(dirname "$0")/lib.sh"
need openssl
cli=$bin/minimal-raw-tls-client

# s_server CERT KEY [opts...]: one s_server on a free port; sets $port
s_server() {
	local cert=$1 key=$2
	shift 2
	local log
	port=$(free_port)
	log=$tmp/s_server.$port.log
	: >"$log"
	openssl s_server -accept "$port" -cert "$certs/$cert" -key "$certs/$key" -rev \
		-naccept 1 "$@" >"$log" 2>&1 </dev/null &
	pids+=($!)
	for _ in $(seq 1 100); do
		grep -q '^ACCEPT' "$log" && return 0
		sleep 0.05
	done
	echo "FAIL: s_server did not start"; cat "$log"; exit 1
}

for host in localhost 127.0.0.1; do
	s_server server.pem server.key
	out=$(printf 'hello\n' | timeout 10 "$cli" "$host:$port" --ca "$certs/ca.pem" 2>"$tmp/cli.err")
	if [ "$out" = olleh ]; then ok "our client to s_server by $host: verified, echoed"
	else bad "our client to s_server by $host: '$out'"; cat "$tmp/cli.err"; fi
done
s_server server.pem server.key -Verify 1 -CAfile "$certs/ca.pem"
out=$(printf 'mtls\n' | timeout 10 "$cli" "localhost:$port" --ca "$certs/ca.pem" \
	--cert "$certs/client.pem" --key "$certs/client.key" 2>"$tmp/cli.err")
if [ "$out" = sltm ]; then ok "mTLS to s_server -Verify: echoed"
else bad "mTLS to s_server: '$out'"; cat "$tmp/cli.err"; fi
for c in "expired:expired" "wronghost:wrong host" "selfsigned:self-signed" "unknownca:unknown CA"; do
	name=${c%%:*} why=${c#*:}
	s_server "$name.pem" "$name.key"
	printf 'x\n' | timeout 10 "$cli" "localhost:$port" --ca "$certs/ca.pem" >/dev/null 2>"$tmp/cli.err"
	rc=$?
	if [ $rc -eq 1 ] && grep -q "connection failed: tls: .*$why" "$tmp/cli.err"; then
		ok "s_server with the $name certificate: refused ($(head -n 1 "$tmp/cli.err"))"
	else bad "s_server with the $name certificate: exit $rc"; cat "$tmp/cli.err"; fi
done
exit $fail
