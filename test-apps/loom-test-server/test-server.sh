#!/bin/bash
# test-server.sh SERVER: start loom-test-server on free ports (HTTP and raw echo),
# fetch the demo page, POST bodies by length and chunked (with 100-continue), echo
# through the raw port, then stop it with SIGTERM and check it exits 0.
set -u
server=$1
log=$(mktemp)
"$server" -p 0 --raw-port 0 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
port= raw=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$log")
	raw=$(sed -n 's/^listening on raw \([0-9]*\)$/\1/p' "$log")
	[ -n "$port" ] && [ -n "$raw" ] && break
	sleep 0.05
done
[ -n "$port" ] && [ -n "$raw" ] || { echo "no listening lines"; cat "$log"; exit 1; }
fail=0
c() { curl -s --max-time 10 "$@"; }

c "http://127.0.0.1:$port/" | grep -q 'loom-test-server' && echo "ok: demo page" ||
	{ echo "FAIL: demo page"; fail=1; }
[ "$(c -d 'hello' "http://127.0.0.1:$port/post")" = "received 5 bytes" ] &&
	echo "ok: POST by length" || { echo "FAIL: POST by length"; fail=1; }
head -c 3000000 /dev/urandom > "$log.body"
r=$(c -T "$log.body" -H 'Transfer-Encoding: chunked' -H 'Expect: 100-continue' \
	"http://127.0.0.1:$port/post")
rm -f "$log.body"
[ "$r" = "received 3000000 bytes" ] && echo "ok: chunked PUT with 100-continue" ||
	{ echo "FAIL: chunked PUT: '$r'"; fail=1; }
[ "$(c -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/post")" = 405 ] &&
	echo "ok: GET /post -> 405" || { echo "FAIL: GET /post"; fail=1; }

exec 3<>"/dev/tcp/127.0.0.1/$raw" || exit 1
printf 'hello loom\n' >&3
read -r -t 5 reply <&3
exec 3>&-
[ "$reply" = "hello loom" ] && echo "ok: raw echo" || { echo "FAIL: raw echo '$reply'"; fail=1; }

kill -TERM $pid
wait $pid
rc=$?
trap 'rm -f "$log"' EXIT
[ $rc -eq 0 ] && echo "ok: clean exit on SIGTERM" || { echo "FAIL: exit $rc on SIGTERM"; fail=1; }
exit $fail
