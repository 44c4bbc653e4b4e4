#!/bin/bash
# ssproxy-restart.sh CLIENT PEER_BIN: the proxy killed and restarted. 8 SSPC
# streams (socket transport) are served by loom-ssproxy while the server they
# fetch from is not up yet, so they are all mid-stream; the proxy is killed
# (SIGKILL): every stream must see DISCONNECTED; the server comes up and the
# proxy restarts on the same socket: every stream must reconnect and complete,
# bodies checked by sha256. CLIENT is minimal-ssproxy-pty (SSPC-only build),
# PEER_BIN a full tree's bin/ with loom-ssproxy and loom-test-server.
set -u
client=$1 bin=$2
for b in loom-test-server loom-ssproxy; do
	[ -x "$bin/$b" ] || { echo "FAIL: $bin/$b missing (LOOM_TEST_PEER_BIN: a full tree's bin/)"; exit 1; }
done
. "$(cd "$(dirname "$0")/../interop/ss" && pwd)/ss-common.sh"
tmp=$(mktemp -d)
srv_pid= px_pid= cl_pid=
trap 'for p in $cl_pid $px_pid $srv_pid; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
N=8
sock="@loom-ssproxy-restart-$$"

mkdir -p "$tmp/www"
head -c 60000 /dev/urandom > "$tmp/www/blob.bin"
want=$(sha256sum < "$tmp/www/blob.bin" | cut -d' ' -f1)
port=$(free_port)
# the upstream retries for as long as it takes (the server comes up later)
cat > "$tmp/policy.json" <<EOP
{
	"release": "1", "product": "ssproxy-restart", "schema-version": 1,
	"retry": [{ "default": { "backoff": [100, 200], "conceal": 1000, "jitterpc": 0 } }],
	"s": [{ "blob": { "endpoint": "127.0.0.1", "port": $port, "protocol": "h1",
		"http_method": "GET", "http_url": "blob.bin", "retry": "default",
		"timeout_ms": 10000 } }]
}
EOP

start_proxy() {
	: > "$tmp/px.log"
	"$bin/loom-ssproxy" --policy "$tmp/policy.json" --unix "$sock" 2>> "$tmp/px.log" &
	px_pid=$!
	for _ in $(seq 1 200); do
		grep -q "^listening on unix" "$tmp/px.log" && return 0
		sleep 0.05
	done
	echo "FAIL: the proxy printed no listening line"; cat "$tmp/px.log"; return 1
}

start_proxy || exit 1
mkdir "$tmp/out"
LOOM_SSPROXY="unix:$sock" timeout 60 "$client" blob $N "$tmp/out" > "$tmp/c.out" 2> "$tmp/c.err" &
cl_pid=$!
# every stream created at the proxy (its real stream trying the absent server)
for _ in $(seq 1 200); do
	[ "$(grep -c 'state CONNECTING' "$tmp/c.err")" -ge $((2 * N)) ] && break
	sleep 0.05
done
sleep 0.3
kill -KILL $px_pid; wait $px_pid 2>/dev/null; px_pid=
sleep 0.5
nd=$(grep -c 'state DISCONNECTED' "$tmp/c.err")
start_server "$tmp/srv.log" "$bin/loom-test-server" -p "$port" --root "$tmp/www" || exit 1
start_proxy || exit 1
wait $cl_pid
rc=$?
cl_pid=
fail=0
for i in $(seq 0 $((N - 1))); do
	got=$(sha256sum < "$tmp/out/stream-$i" 2>/dev/null | cut -d' ' -f1)
	[ "$got" = "$want" ] || { echo "FAIL: stream $i body differs"; fail=1; }
done
nd0=$(grep -c ', 0 disconnects' "$tmp/c.out")
if [ $rc -eq 0 ] && [ $fail -eq 0 ] && [ "$nd" -ge $N ] && [ "$nd0" -eq 0 ]; then
	echo "ok: proxy killed: $nd DISCONNECTED seen by $N streams; restarted: all completed, bodies match"
else
	echo "FAIL: rc $rc, $nd DISCONNECTED while the proxy was down, $nd0 streams never saw one"
	cat "$tmp/c.out"; tail -30 "$tmp/c.err"; fail=1
fi
kill $px_pid; wait $px_pid 2>/dev/null; px_pid=
# a sanitizer build's findings (both sides) fail the test
if grep -l "Sanitizer\|runtime error" "$tmp"/*.log "$tmp"/*.err; then
	echo "FAIL: sanitizer findings"; grep -h -A20 "Sanitizer\|runtime error" "$tmp"/*.log "$tmp"/*.err | head -60
	fail=1
fi
exit $fail
