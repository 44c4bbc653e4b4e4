#!/bin/bash
# raw-client-test.sh SERVER CLIENT: start the raw echo server on a free port, send
# text and a binary blob through minimal-raw-client, check they come back intact,
# and check a refused connection exits non-zero. Stops the server by PID.
set -u
server=$1 client=$2
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$server" -p 0 2>"$tmp/server.log" &
pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/server.log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "server did not start"; cat "$tmp/server.log"; exit 1; }

printf 'hello\nworld\n' > "$tmp/in.txt"
head -c 300000 /dev/urandom > "$tmp/in.bin"
fail=0
for f in in.txt in.bin; do
	if ! timeout 20 "$client" "127.0.0.1:$port" < "$tmp/$f" > "$tmp/out"; then
		echo "FAIL: client exited non-zero for $f"; fail=1
	elif ! cmp -s "$tmp/$f" "$tmp/out"; then
		echo "FAIL: echo of $f differs"; fail=1
	else
		echo "ok: $f echoed intact ($(wc -c < "$tmp/$f") bytes)"
	fi
done

kill "$pid"; wait "$pid" 2>/dev/null; pid=
if timeout 10 "$client" "127.0.0.1:$port" < "$tmp/in.txt" > /dev/null 2>&1; then
	echo "FAIL: client exited 0 with no server"; fail=1
else
	echo "ok: refused connection exits non-zero"
fi
exit $fail
