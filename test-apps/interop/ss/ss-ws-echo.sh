#!/bin/bash
# ss-ws-echo.sh EXAMPLE TEST_SERVER POLICY: minimal-ss-ws-echo against
# loom-test-server's loom-echo on a port picked at run time. First 5 echoes as
# binary messages (ws_binary true); python3-websockets as the echo server checks
# that the messages are text or binary as the policy says; then a run of 40 during which the server is
# killed and, after the stream has failed to reconnect a few times, started
# again on the same port: the nailed-up stream must reconnect by itself and
# finish all 40 echoes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ss-common.sh"
example=$1 server=$2 policy=$3
tmp=$(mktemp -d)
srv_pid= ex_pid= py_pid=
trap '[ -n "$srv_pid" ] && kill $srv_pid 2>/dev/null; [ -n "$ex_pid" ] && kill $ex_pid 2>/dev/null; [ -n "$py_pid" ] && kill $py_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

start_server "$tmp/srv.log" "$server" -p 0 || exit 1
p=$port
sed "s/\"port\": 7681/\"port\": $p/" "$policy" > "$tmp/policy.json"
sed 's/"ws_binary": false/"ws_binary": true/' "$tmp/policy.json" > "$tmp/bin.json"
grep -q '"ws_binary": true' "$tmp/bin.json" || { echo "FAIL: policy edit"; exit 1; }
fail=0

if timeout 20 "$example" "$tmp/bin.json" 5 2> "$tmp/bin.err" &&
   grep -q '^5 echoes' "$tmp/bin.err"; then
	echo "ok: 5 binary echoes"
else
	echo "FAIL: binary echoes"; cat "$tmp/bin.err"; fail=1
fi

# the message type on the wire, seen by python3-websockets: binary with
# "ws_binary": true, text without
for kind in text binary; do
	/usr/bin/python3 - > "$tmp/py.$kind" 2>&1 <<'PY' &
import asyncio, websockets
async def echo(ws, path=None):
    async for m in ws:
        print("bin" if isinstance(m, bytes) else "text", flush=True)
        await ws.send(m)
async def main():
    async with websockets.serve(echo, "127.0.0.1", 0, subprotocols=["loom-echo"]) as s:
        print("port", s.sockets[0].getsockname()[1], flush=True)
        await asyncio.sleep(15)
asyncio.run(main())
PY
	py_pid=$!
	pp=
	for _ in $(seq 1 100); do
		pp=$(sed -n 's/^port //p' "$tmp/py.$kind"); [ -n "$pp" ] && break; sleep 0.05
	done
	src=$tmp/policy.json; want=text
	[ $kind = binary ] && src=$tmp/bin.json && want=bin
	sed "s/\"port\": $p/\"port\": $pp/; s/\"localhost\"/\"127.0.0.1\"/" "$src" > "$tmp/py.json"
	timeout 20 "$example" "$tmp/py.json" 3 2> "$tmp/py.err"
	rc=$?
	kill $py_pid 2>/dev/null; wait $py_pid 2>/dev/null; py_pid=
	n=$(grep -c "^$want\$" "$tmp/py.$kind")
	if [ -n "$pp" ] && [ $rc -eq 0 ] && [ "$n" -eq 3 ] && [ "$(grep -c '^bin$\|^text$' "$tmp/py.$kind")" -eq 3 ]; then
		echo "ok: python3-websockets saw 3 $kind messages"
	else
		echo "FAIL: $kind messages to python3-websockets: rc $rc, $n"
		cat "$tmp/py.$kind" "$tmp/py.err"; fail=1
	fi
done

timeout 40 "$example" "$tmp/policy.json" 40 2> "$tmp/err" &
ex_pid=$!
for _ in $(seq 1 100); do
	grep -q '^state CONNECTED' "$tmp/err" && break
	sleep 0.05
done
sleep 0.5
kill "$srv_pid"; wait "$srv_pid" 2>/dev/null; srv_pid=
# let the stream fail a few attempts against the closed port
for _ in $(seq 1 100); do
	[ "$(grep -c '^state UNREACHABLE' "$tmp/err")" -ge 2 ] && break
	sleep 0.05
done
start_server "$tmp/srv2.log" "$server" -p "$p" || exit 1
wait "$ex_pid"; rc=$?; ex_pid=
c=$(grep -c '^state CONNECTED' "$tmp/err")
d=$(grep -c '^state DISCONNECTED' "$tmp/err")
u=$(grep -c '^state UNREACHABLE' "$tmp/err")
if [ $rc -eq 0 ] && grep -q '^40 echoes' "$tmp/err" && [ "$c" -eq 2 ] && [ "$d" -eq 1 ] &&
   [ "$u" -ge 2 ] && ! grep -q ALL_RETRIES_FAILED "$tmp/err"; then
	echo "ok: server killed and restarted: $u failed attempts, reconnected, 40 echoes"
else
	echo "FAIL: restart: rc $rc, connected $c, disconnected $d, unreachable $u"
	cat "$tmp/err"; fail=1
fi
exit $fail
