#!/bin/bash
# ssproxy-pty.sh CLIENT RELAY PEER_BIN: 8 SSPC streams at once over one pty line
# (the transport mux) to loom-ssproxy --mux, fetching from loom-test-server;
# bodies checked by sha256. Then the same with the line cut for longer than the
# keepalive limit mid-transfer: every stream must see DISCONNECTED, then come
# back and complete; then with line noise. CLIENT is minimal-ssproxy-pty (SSPC-only build), RELAY
# pty-relay, PEER_BIN a full tree's bin/ with loom-ssproxy and loom-test-server.
set -u
client=$1 relay=$2 bin=$3
for b in loom-test-server loom-ssproxy; do
	[ -x "$bin/$b" ] || { echo "FAIL: $bin/$b missing (LOOM_TEST_PEER_BIN: a full tree's bin/)"; exit 1; }
done
. "$(cd "$(dirname "$0")/../interop/ss" && pwd)/ss-common.sh"
tmp=$(mktemp -d)
srv_pid= px_pid= rl_pid= cl_pid=
trap 'for p in $cl_pid $px_pid $rl_pid $srv_pid; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
N=8

mkdir -p "$tmp/www"
head -c 60000 /dev/urandom > "$tmp/www/blob.bin"
want=$(sha256sum < "$tmp/www/blob.bin" | cut -d' ' -f1)
start_server "$tmp/srv.log" "$bin/loom-test-server" -p 0 --root "$tmp/www" || exit 1
cat > "$tmp/policy.json" <<EOP
{
	"release": "1", "product": "ssproxy-pty", "schema-version": 1,
	"retry": [{ "default": { "backoff": [100, 250, 500], "conceal": 4, "jitterpc": 0 } }],
	"s": [{ "blob": { "endpoint": "127.0.0.1", "port": $port, "protocol": "h1",
		"http_method": "GET", "http_url": "blob.bin", "retry": "default",
		"timeout_ms": 10000 } }]
}
EOP

# the line: 200 kB/s each way, so 8 x 60 kB take a few seconds
"$relay" 200000 > "$tmp/relay.out" 2> "$tmp/relay.err" &
rl_pid=$!
for _ in $(seq 1 100); do [ "$(cat "$tmp/relay.out" 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.05; done
pa=$(sed -n 's/^a //p' "$tmp/relay.out") pb=$(sed -n 's/^b //p' "$tmp/relay.out")
[ -n "$pa" ] && [ -n "$pb" ] || { echo "FAIL: pty-relay gave no ptys"; exit 1; }

"$bin/loom-ssproxy" -d 15 --policy "$tmp/policy.json" -p 0 --mux "$pa" --mux-ping 200 \
	--mux-miss 5 2> "$tmp/px.log" &
px_pid=$!
for _ in $(seq 1 100); do grep -q "^mux on" "$tmp/px.log" && break; sleep 0.05; done
grep -q "^mux on" "$tmp/px.log" || { echo "FAIL: the proxy did not start"; cat "$tmp/px.log"; exit 1; }

fail=0
check_bodies() {	# check_bodies WHAT
	local i got bad=0
	for i in $(seq 0 $((N - 1))); do
		got=$(sha256sum < "$tmp/out/stream-$i" 2>/dev/null | cut -d' ' -f1)
		[ "$got" = "$want" ] || { echo "FAIL: $1: stream $i body differs"; bad=1; }
	done
	return $bad
}

# 1: 8 streams at once over the line
rm -rf "$tmp/out"; mkdir "$tmp/out"
t0=$(date +%s%N)
LOOM_SSPROXY="mux:$pb" timeout 60 "$client" blob $N "$tmp/out" > "$tmp/c1.out" 2> "$tmp/c1.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ $rc -eq 0 ] && check_bodies "run 1"; then
	echo "ok: $N streams at once over one pty, bodies match by sha256 (${ms} ms)"
else
	echo "FAIL: run 1: rc $rc"; cat "$tmp/c1.out"; tail -20 "$tmp/c1.err"; tail -20 "$tmp/px.log"; fail=1
fi

# 2: the line cut mid-transfer for 2.5 s (keepalive limits: proxy 5 x 200 ms,
# client 3 x 500 ms), then back
rm -rf "$tmp/out"; mkdir "$tmp/out"
LOOM_SSPROXY="mux:$pb" timeout 90 "$client" blob $N "$tmp/out" > "$tmp/c2.out" 2> "$tmp/c2.err" &
cl_pid=$!
# cut once every stream is moving data
for _ in $(seq 1 200); do
	[ "$(grep -c 'state CONNECTED' "$tmp/c2.err")" -ge $N ] && break
	sleep 0.02
done
sleep 0.3
kill -USR1 $rl_pid
sleep 2.5
kill -USR2 $rl_pid
wait $cl_pid
rc=$?
cl_pid=
nd=$(grep -c 'disconnects' "$tmp/c2.out")
nd0=$(grep -c ', 0 disconnects' "$tmp/c2.out")
if [ $rc -eq 0 ] && [ "$nd" -eq $N ] && [ "$nd0" -eq 0 ] && check_bodies "run 2"; then
	echo "ok: line cut: all $N streams saw DISCONNECTED, came back and completed"
else
	echo "FAIL: run 2: rc $rc, $nd0 of $nd streams never saw DISCONNECTED"
	cat "$tmp/c2.out"; tail -30 "$tmp/c2.err"; tail -20 "$tmp/px.log"; fail=1
fi
grep -q "link down" "$tmp/px.log" || { echo "FAIL: the proxy never saw the link down"; fail=1; }

# 3: line noise (a bit flipped in about every 200 kB): frames are lost, the
# decoders resynchronise, a stream that lost DATA starts again; all complete
rm -rf "$tmp/out"; mkdir "$tmp/out"
kill -HUP $rl_pid
LOOM_SSPROXY="mux:$pb" timeout 90 "$client" blob $N "$tmp/out" > "$tmp/c3.out" 2> "$tmp/c3.err"
rc=$?
kill -HUP $rl_pid
if [ $rc -eq 0 ] && check_bodies "run 3" &&
   [ "$(grep -c ', 1 connects' "$tmp/c3.out")" -eq $N ]; then
	echo "ok: noisy line: all $N streams complete, bodies match, none restarted"
else
	echo "FAIL: run 3 (noise): rc $rc"; cat "$tmp/c3.out"; tail -30 "$tmp/c3.err"; fail=1
fi
# 4: a bad line (a bit flipped and a byte lost in about every 3 kB, both ways):
# the mux sends again what did not arrive, so every stream completes with no
# restart (before the mux resent, each damaged DATA frame restarted its stream)
rm -rf "$tmp/out"; mkdir "$tmp/out"
kill -WINCH $rl_pid
LOOM_SSPROXY="mux:$pb" timeout 120 "$client" blob $N "$tmp/out" > "$tmp/c4.out" 2> "$tmp/c4.err"
rc=$?
kill -WINCH $rl_pid
if [ $rc -eq 0 ] && check_bodies "run 4" &&
   [ "$(grep -c ', 1 connects' "$tmp/c4.out")" -eq $N ]; then
	echo "ok: bad line: all $N streams complete, bodies match, none restarted"
else
	echo "FAIL: run 4 (bad line): rc $rc"; cat "$tmp/c4.out"; tail -30 "$tmp/c4.err"
	fail=1
fi
# 5: every other CLOSE frame lost on the line: each is sent again until it is
# answered, so no channel stays open in the proxy (with its real stream) after
# its stream ended in the client
rm -rf "$tmp/out"; mkdir "$tmp/out"
kill -TTIN $rl_pid
LOOM_SSPROXY="mux:$pb" timeout 60 "$client" blob $N "$tmp/out" > "$tmp/c5.out" 2> "$tmp/c5.err"
rc=$?
in_use=
for _ in $(seq 1 100); do	# the last CLOSE may need a retry or two (200 ms each)
	in_use=$(sed -n 's/.*mux: ch [0-9]* gone, \([0-9]*\) in use.*/\1/p' "$tmp/px.log" | tail -1)
	[ "$in_use" = 0 ] && break
	sleep 0.1
done
kill -TTIN $rl_pid
if [ $rc -eq 0 ] && check_bodies "run 5" && [ "$in_use" = 0 ]; then
	echo "ok: CLOSE frames lost: all $N streams complete, no channel left in the proxy"
else
	echo "FAIL: run 5 (lost CLOSE): rc $rc, channels in use at the proxy: $in_use"
	cat "$tmp/c5.out"; grep 'mux: ch' "$tmp/px.log" | tail -10; fail=1
fi
kill $px_pid; wait $px_pid 2>/dev/null; px_pid=
kill $rl_pid; wait $rl_pid 2>/dev/null; rl_pid=
cat "$tmp/relay.err"
n=$(sed -n 's/.* \([0-9]*\) of [0-9]* CLOSE frames lost.*/\1/p' "$tmp/relay.err")
[ "${n:-0}" -ge $N ] || { echo "FAIL: only ${n:-0} CLOSE frames were lost"; fail=1; }
# a sanitizer build's findings (both sides) fail the test
if grep -l "Sanitizer\|runtime error" "$tmp"/*.log "$tmp"/*.err; then
	echo "FAIL: sanitizer findings"; grep -h -A20 "Sanitizer\|runtime error" "$tmp"/*.log "$tmp"/*.err | head -60
	fail=1
fi
exit $fail
