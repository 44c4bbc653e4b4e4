#!/bin/bash
# client-post.sh CLIENT TEST_SERVER: minimal-http-client-post against
# loom-test-server's POST /post, which answers "received N bytes": a short body, a
# 5 MB body by length, the same chunked, and one past the server's --max-body
# (413, so the client must exit non-zero).
set -u
client=$1 server=$2
log=$(mktemp)
"$server" -p 0 --max-body 6000000 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: no listening line"; exit 1; }
u=http://127.0.0.1:$port/post
fail=0
check() {	# check WANT ARGS...
	local want=$1 got
	shift
	got=$(timeout 30 "$client" "$u" "$@")
	if [ "$got" = "$want" ]; then echo "ok: $* -> $want"; else echo "FAIL: $*: '$got'"; fail=1; fi
}
check "received 15 bytes"
check "received 5000000 bytes" --size 5000000
check "received 5000000 bytes" --size 5000000 --chunked
check "received 3 bytes" --data abc --header 'X-Test: yes'
if timeout 30 "$client" "$u" --size 7000000 > /dev/null 2>&1; then
	echo "FAIL: a 413 exited 0"; fail=1
else
	echo "ok: past --max-body exits non-zero"
fi
exit $fail
