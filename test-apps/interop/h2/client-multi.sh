#!/bin/bash
# client-multi.sh MULTI SERVER CERTDIR TLS: minimal-http-client-multi against
# loom-test-server with SETTINGS_MAX_CONCURRENT_STREAMS 3 (--h2-max-streams 3):
# 8 GETs over h2c (prior knowledge) and, unless TLS is "none", over TLS (ALPN h2)
# must all complete over one connection, on streams 1, 3 ... 15 (the server
# refuses a fourth stream at once, so the client must queue them). Then 32 GETs of
# a 200 KB file (flow control: more than the 64 KiB connection window at once).
set -u
multi=$1 server=$2 certs=$3 tls=$4
tmp=$(mktemp -d)
pid=
fail=0
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$tmp/root"
echo "hello multi" > "$tmp/root/index.html"
head -c 200000 /dev/urandom > "$tmp/root/big.bin"
args=(-p 0 --root "$tmp/root" --h2-max-streams 3)
[ "$tls" != none ] && args+=(--tls-port 0 --cert "$certs/server.pem" --key "$certs/server.key")
"$server" "${args[@]}" 2>"$tmp/server.log" &
pid=$!
port= tport=x
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/server.log")
	[ "$tls" != none ] && tport=$(sed -n 's/^listening on tls \([0-9]*\)$/\1/p' "$tmp/server.log")
	[ -n "$port" ] && [ -n "$tport" ] && break
	sleep 0.05
done
[ -n "$port" ] && [ -n "$tport" ] || { echo "FAIL: server did not start"; cat "$tmp/server.log"; exit 1; }

check() {	# NAME N SIZE ARGS...
	local name=$1 n=$2 size=$3; shift 3
	if ! timeout 30 "$multi" "$@" -n "$n" > "$tmp/out" 2>"$tmp/err"; then
		echo "FAIL: $name: exit status $?"; cat "$tmp/out" "$tmp/err"; fail=1; return
	fi
	local streams sizes
	streams=$(sed -n 's/^req [0-9]*: status 200, [0-9]* bytes, stream \([0-9]*\)$/\1/p' \
		  "$tmp/out" | sort -n | tr '\n' ' ')
	sizes=$(sed -n 's/^req [0-9]*: status 200, \([0-9]*\) bytes.*/\1/p' "$tmp/out" | sort -u)
	local want
	want=$(seq 1 2 $((2 * n - 1)) | tr '\n' ' ')
	if [ "$streams" != "$want" ] || [ "$sizes" != "$size" ] ||
	   ! grep -q "all completed over one h2 connection" "$tmp/out"; then
		echo "FAIL: $name: streams '$streams' (want '$want'), sizes '$sizes'"
		cat "$tmp/out" "$tmp/err"; fail=1; return
	fi
	echo "ok: $name: $n GETs on streams 1..$((2 * n - 1)) of one connection"
}
check "h2c 8 GETs" 8 12 "http://127.0.0.1:$port/"
check "h2c 32 x 200 KB" 32 200000 "http://127.0.0.1:$port/big.bin"
if [ "$tls" != none ]; then
	check "tls 8 GETs" 8 12 "https://localhost:$tport/" --ca "$certs/ca.pem"
	check "tls 32 x 200 KB" 32 200000 "https://localhost:$tport/big.bin" --ca "$certs/ca.pem"
fi
# a refused stream would show in the server's log as REFUSED_STREAM
if grep -q REFUSED "$tmp/server.log"; then
	echo "FAIL: the server refused a stream: the client went past its limit"; fail=1
fi
exit $fail
