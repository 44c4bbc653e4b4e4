#!/bin/bash
# curl-dynamic.sh SERVER: minimal-http-server-dynamic against curl: a chunked body
# of 100000 lines arrives whole and in order, over HTTP/1.1 (chunked) and HTTP/1.0
# (ended by the close), query arguments and request headers reach the callback.
set -u
server=$1
tmp=$(mktemp -d)
pid=
fail=0
trap '[ -n "$pid" ] && kill $pid 2>/dev/null && wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
"$server" -p 0 2>"$tmp/log" &
pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: no listening line"; exit 1; }
seq -f 'line %g' 1 100000 > "$tmp/want"

curl -s --max-time 20 -D "$tmp/h" -o "$tmp/got" "http://127.0.0.1:$port/count?n=100000"
grep -qi '^transfer-encoding: chunked' "$tmp/h" && cmp -s "$tmp/want" "$tmp/got" &&
	echo "ok: 100000 lines, chunked" || { echo "FAIL: chunked body"; fail=1; }
curl -s --http1.0 --max-time 20 -D "$tmp/h" -o "$tmp/got" "http://127.0.0.1:$port/count?n=100000"
grep -qi '^connection: close' "$tmp/h" && cmp -s "$tmp/want" "$tmp/got" &&
	echo "ok: HTTP/1.0, ended by the close" || { echo "FAIL: HTTP/1.0 body"; fail=1; }
r=$(curl -s --max-time 5 -A 'loom-test/1' "http://127.0.0.1:$port/")
case "$r" in *"user-agent loom-test/1"*) echo "ok: headers reach the callback" ;;
	*) echo "FAIL: '$r'"; fail=1 ;; esac
[ "$(curl -s --max-time 5 "http://127.0.0.1:$port/count?n=3")" = "$(printf 'line 1\nline 2\nline 3')" ] &&
	echo "ok: query argument" || { echo "FAIL: query argument"; fail=1; }
exit $fail
