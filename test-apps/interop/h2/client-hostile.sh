#!/bin/bash
# client-hostile.sh BINDIR: Loom's h2 client (minimal-http-client, -multi) against
# client-hostile.py (python3-h2 and raw frames): good answers the hard way
# (CONTINUATION, trailers, GOAWAY after the response, a stream refused once with
# REFUSED_STREAM and sent again) must succeed; broken ones
# (stream reset, oversized frame, bad HPACK, window overflow on the connection and
# a stream, DATA before HEADERS, content-length mismatch, PUSH_PROMISE, a stream
# we never opened, GOAWAY or REFUSED_STREAM for every try, no answer at all) must fail that
# request with exit status 1: not a stall (2), not a crash or a sanitizer report. A
# reset of one stream among four leaves the other three complete.
set -u
bin=$1
here=$(dirname "$(readlink -f "$0")")
tmp=$(mktemp -d)
pid=
fail=0
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
/usr/bin/python3 -c 'import h2' 2>/dev/null || { echo "FAIL: python3-h2 is not installed (contrib/deps.sh)"; exit 1; }
/usr/bin/python3 "$here/client-hostile.py" 2>"$tmp/server.log" &
pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/server.log"); [ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: the hostile server did not start"; cat "$tmp/server.log"; exit 1; }

clean_stderr() { ! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$1"; }
expect() {	# PATH STATUS BODY
	local r
	timeout 20 "$bin/minimal-http-client" "http://127.0.0.1:$port/$1" \
		--http2-prior-knowledge --timeout 5 >"$tmp/out" 2>"$tmp/err"
	r=$?
	if [ "$r" != "$2" ] || ! clean_stderr "$tmp/err" ||
	   { [ "$2" = 0 ] && [ "$(cat "$tmp/out")" != "$3" ]; }; then
		echo "FAIL: /$1: exit $r (want $2), body '$(head -c 40 "$tmp/out")'"
		tail -5 "$tmp/err"; fail=1
	else
		echo "ok: /$1: exit $r $(tail -1 "$tmp/err")"
	fi
}
expect ok 0 ok
expect trailers 0 ok
expect continuation 0 ok
expect goaway-after 0 ok
expect refuse-once 0 ok
for p in rst oversize badhpack streamwin data-first cl-short push even-headers \
	 goaway-first refuse-always; do
	expect "$p" 1
done
# a server that never answers: the request's head timeout (10 s) ends it, before
# the example's own stall timer (30 s here) would
start=$(date +%s)
timeout 40 "$bin/minimal-http-client" "http://127.0.0.1:$port/silent" \
	--http2-prior-knowledge --timeout 30 >/dev/null 2>"$tmp/err"
r=$? took=$(( $(date +%s) - start ))
if [ "$r" = 1 ] && [ "$took" -lt 20 ] && grep -q "failed: timed out" "$tmp/err" &&
   clean_stderr "$tmp/err"; then
	echo "ok: /silent: the request timed out after ${took}s"
else
	echo "FAIL: /silent: exit $r after ${took}s"; tail -3 "$tmp/err"; fail=1
fi
# the connection window overflows after the response is complete: that request
# succeeded; the connection must still end cleanly
expect winoverflow 0 xxxxxxxxxx

timeout 20 "$bin/minimal-http-client-multi" "http://127.0.0.1:$port/rst-some" -n 4 \
	>"$tmp/out" 2>"$tmp/err"
r=$?
if [ "$r" = 1 ] && [ "$(grep -c 'status 200, 2 bytes' "$tmp/out")" = 3 ] &&
   grep -q "failed: peer reset the stream" "$tmp/err" && clean_stderr "$tmp/err"; then
	echo "ok: one of four streams reset: that request failed, three completed"
else
	echo "FAIL: one stream reset among four (exit $r)"; cat "$tmp/out" "$tmp/err"; fail=1
fi

# the client reset one stream; the DATA the server sent before it knew is dropped
# quietly and its connection window given back (RFC 9113 5.1, 6.9)
timeout 20 "$bin/minimal-http-client-multi" "http://127.0.0.1:$port/late-data" -n 2 \
	>"$tmp/out" 2>"$tmp/err"
r=$?
if [ "$r" = 1 ] && [ "$(grep -c 'status 200, 2 bytes' "$tmp/out")" = 1 ] &&
   grep -q "(incomplete)" "$tmp/out" && clean_stderr "$tmp/err"; then
	echo "ok: DATA on a stream the client reset was dropped, the window given back"
else
	echo "FAIL: DATA on a stream the client reset (exit $r)"; cat "$tmp/out" "$tmp/err"
	grep late-data "$tmp/server.log"; fail=1
fi
exit $fail
