#!/bin/bash
# early-close.sh SERVER: clients that hang up in the middle of a large file (the
# server is in sendfile then) must not kill the server with SIGPIPE: after 30 such
# clients it still serves, and exits 0 on SIGTERM (141 would be SIGPIPE).
set -u
server=$1
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null && wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/root"
head -c 20000000 /dev/zero > "$tmp/root/big.bin"
echo hi > "$tmp/root/hi.txt"
"$server" -p 0 --root "$tmp/root" 2>"$tmp/log" &
pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: no listening line"; exit 1; }
for _ in $(seq 1 30); do
	# read a little, then hang up with the rest unread (the kernel sends RST)
	/usr/bin/python3 - "$port" 2>/dev/null <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(1000)
s.close()
PY
done
sleep 0.3
fail=0
[ "$(curl -s --max-time 5 "http://127.0.0.1:$port/hi.txt")" = hi ] && echo "ok: still serving" ||
	{ echo "FAIL: not serving after early hang-ups"; fail=1; }
kill -TERM $pid; wait $pid; rc=$?; pid=
[ $rc = 0 ] && echo "ok: exit 0 on SIGTERM" || { echo "FAIL: server exit status $rc"; fail=1; }
exit $fail
