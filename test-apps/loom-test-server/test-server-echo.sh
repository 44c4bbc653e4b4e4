#!/bin/bash
# test-server-echo.sh SERVER: start loom-test-server on a free port, echo through it
# with bash's /dev/tcp, then stop it with SIGTERM and check it exits 0.
set -u
server=$1
log=$(mktemp)
"$server" -p 0 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "no listening line"; cat "$log"; exit 1; }

exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'hello loom\n' >&3
read -r -t 5 reply <&3
exec 3>&-
[ "$reply" = "hello loom" ] || { echo "bad echo: '$reply'"; exit 1; }
echo "ok: echo on port $port"

kill -TERM $pid
wait $pid
rc=$?
trap 'rm -f "$log"' EXIT
[ $rc -eq 0 ] || { echo "server exited $rc on SIGTERM"; exit 1; }
echo "ok: clean exit on SIGTERM"
