#!/bin/bash
# h2-interop.sh SERVER CERTDIR PEER: loom-test-server (-p 0 --tls-port 0 --root DIR)
# against a real HTTP/2 client, over h2c (prior knowledge) and TLS (ALPN h2):
#   curl    GET of files checked by sha256 (1 KiB, 3 MB), HEAD, 404, POST /post,
#           200 requests with --parallel on one connection (TLS), each body checked,
#           "Upgrade: h2c" on the plain port
#   nghttp  GET -nv, -m 100 multiplexed on one connection, POST, -u (h2c upgrade)
#   h2load  100,000 requests (-c10 -m10): all 2xx, 0 errors
# A missing peer fails (contrib/deps.sh installs them). Stops the server by PID.
set -u
server=$1 certs=$2 peer=$3
tmp=$(mktemp -d)
pid=
fail=0
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
need() { command -v "$1" >/dev/null || { echo "FAIL: $1 is not installed (contrib/deps.sh)"; exit 1; }; }

root=$tmp/root
mkdir -p "$root"
head -c 1024 /dev/urandom > "$root/small.bin"
head -c 3000000 /dev/urandom > "$root/big.bin"
echo "hello h2" > "$root/index.html"
for i in $(seq 1 20); do head -c $((i * 997)) /dev/urandom > "$root/f$i.bin"; done

"$server" -p 0 --tls-port 0 --cert "$certs/server.pem" --key "$certs/server.key" \
	--root "$root" 2>"$tmp/server.log" &
pid=$!
port= tport=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/server.log")
	tport=$(sed -n 's/^listening on tls \([0-9]*\)$/\1/p' "$tmp/server.log")
	[ -n "$port" ] && [ -n "$tport" ] && break
	sleep 0.05
done
[ -n "$port" ] && [ -n "$tport" ] || { echo "FAIL: server did not start"; cat "$tmp/server.log"; exit 1; }
h2c=http://127.0.0.1:$port
h2s=https://localhost:$tport
sha() { sha256sum < "$1" | cut -d' ' -f1; }

curl_checks() {	# $1 = label, rest = curl options, URL base in $base
	local label=$1; shift
	local c="timeout 30 curl -sS --max-time 20 $*"
	local v
	v=$($c -o "$tmp/o" -w '%{http_code} %{http_version}' "$base/small.bin" 2>"$tmp/err")
	[ "$v" = "200 2" ] && cmp -s "$tmp/o" "$root/small.bin" && ok "$label GET 1 KiB" ||
		{ bad "$label GET 1 KiB: '$v'"; cat "$tmp/err"; }
	v=$($c -o "$tmp/o" -w '%{http_code}' "$base/big.bin" 2>"$tmp/err")
	[ "$v" = 200 ] && [ "$(sha "$tmp/o")" = "$(sha "$root/big.bin")" ] &&
		ok "$label GET 3 MB, sha256 matches" || { bad "$label GET 3 MB: '$v'"; cat "$tmp/err"; }
	v=$($c -I "$base/small.bin" 2>&1)
	grep -qi '^content-length: 1024' <<<"$v" && ok "$label HEAD" || bad "$label HEAD: $v"
	[ "$($c -X HEAD -o - "$base/small.bin" | wc -c)" = 0 ] && ok "$label HEAD has no body" ||
		bad "$label HEAD body"
	v=$($c -o /dev/null -w '%{http_code}' "$base/nothing-here" 2>&1)
	[ "$v" = 404 ] && ok "$label 404" || bad "$label 404: '$v'"
	v=$($c --data-binary "@$root/big.bin" "$base/post" 2>&1)
	grep -q "received 3000000 bytes" <<<"$v" && ok "$label POST 3 MB: $v" || bad "$label POST: '$v'"
	# 200 transfers, 50 at a time, multiplexed on one connection. Not on h2c:
	# curl 7.88's --parallel with prior knowledge fails every transfer but the
	# first ("Error in the HTTP2 framing layer") against nghttpd as well
	[ "$label" = h2c ] && return
	local args=() i
	for i in $(seq 1 200); do
		args+=(-o "$tmp/p$i" "$base/f$(( (i % 20) + 1 )).bin")
	done
	$c --parallel --parallel-max 50 "${args[@]}" 2>"$tmp/err"
	local good=0
	for i in $(seq 1 200); do
		cmp -s "$tmp/p$i" "$root/f$(( (i % 20) + 1 )).bin" && good=$((good + 1))
	done
	[ $good = 200 ] && ok "$label 200 parallel transfers, all bodies right" ||
		{ bad "$label parallel: $good of 200 right"; head -5 "$tmp/err"; }
	rm -f "$tmp"/p*
}

case "$peer" in
curl)
	need curl
	base=$h2c curl_checks "h2c" --http2-prior-knowledge
	base=$h2s curl_checks "h2/TLS" --http2 --cacert "$certs/ca.pem"
	# "Upgrade: h2c" on the plain port: 101, then the answer over h2
	v=$(timeout 20 curl -sS --http2 -o "$tmp/o" -w '%{http_code} %{http_version}' \
		"$h2c/big.bin" 2>&1)
	[ "$v" = "200 2" ] && [ "$(sha "$tmp/o")" = "$(sha "$root/big.bin")" ] &&
		ok "h2c upgrade GET 3 MB, sha256 matches" || bad "h2c upgrade: '$v'"
	v=$(timeout 20 curl -sS --http2 --data-binary "@$root/small.bin" "$h2c/post" 2>&1)
	grep -q "received 1024 bytes" <<<"$v" && ok "h2c upgrade with a body stays HTTP/1.1: $v" ||
		bad "upgrade with a body: '$v'"
	;;
nghttp)
	need nghttp
	for base in "$h2c" "$h2s"; do
		out=$(timeout 20 nghttp -nv "$base/small.bin" 2>&1)
		grep -q 'recv HEADERS frame' <<<"$out" && grep -q ':status: 200' <<<"$out" &&
			ok "nghttp -nv $base" || { bad "nghttp -nv $base"; tail -20 <<<"$out"; }
		out=$(timeout 30 nghttp -n -s -m 100 "$base/f7.bin" 2>&1)
		n=$(grep -c '^ *[0-9].* /f7.bin' <<<"$out")
		[ "$n" = 100 ] && ok "nghttp -m 100 $base: 100 responses" ||
			{ bad "nghttp -m 100 $base: $n"; tail -10 <<<"$out"; }
		out=$(timeout 30 nghttp -n -d "$root/f20.bin" "$base/post" 2>&1; echo "rc=$?")
		grep -q 'rc=0' <<<"$out" && ok "nghttp POST $base" || { bad "nghttp POST $base"; tail -5 <<<"$out"; }
	done
	out=$(timeout 20 nghttp -nvu "$h2c/small.bin" 2>&1)
	grep -q 'HTTP Upgrade success' <<<"$out" && grep -q ':status: 200' <<<"$out" &&
		ok "nghttp -u (h2c upgrade)" || { bad "nghttp -u"; tail -10 <<<"$out"; }
	;;
h2load)
	need h2load
	for base in "$h2c" "$h2s"; do
		out=$(timeout 120 h2load -n 100000 -c 10 -m 10 "$base/small.bin" 2>&1)
		if grep -q 'requests: 100000 total, 100000 started, 100000 done, 100000 succeeded, 0 failed, 0 errored, 0 timeout' <<<"$out" &&
		   grep -q 'status codes: 100000 2xx' <<<"$out"; then
			ok "h2load 100000 requests on $base: $(grep 'finished in' <<<"$out")"
		else
			bad "h2load on $base"; grep -E 'requests:|status codes|finished' <<<"$out"
		fi
		# 128 streams at once on one connection, all served
		out=$(timeout 60 h2load -n 1280 -c 1 -m 128 "$base/small.bin" 2>&1)
		grep -q '1280 succeeded, 0 failed, 0 errored' <<<"$out" &&
			ok "h2load -m 128 on one connection $base" ||
			{ bad "h2load -m 128 $base"; grep -E 'requests:|status codes' <<<"$out"; }
	done
	;;
*)
	echo "usage: $0 SERVER CERTDIR curl|nghttp|h2load"; exit 2 ;;
esac
# the server must have lived through it all and exit cleanly on SIGTERM, with
# nothing from the sanitizers (ASan builds)
if ! kill -0 "$pid" 2>/dev/null; then
	bad "the server died"; tail -20 "$tmp/server.log"
else
	kill "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" = 0 ] || { bad "server exit status $rc on SIGTERM"; tail -20 "$tmp/server.log"; }
fi
pid=
if grep -qE 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' "$tmp/server.log"; then
	bad "sanitizer report:"; grep -A20 -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' \
		"$tmp/server.log" | head -40
fi
exit $fail
