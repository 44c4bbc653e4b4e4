#!/bin/bash
# ss-via-proxy.sh SSPC_EXAMPLE PEER_BIN POLICY: minimal-ss-hello-world built
# SSPC-only, served by loom-ssproxy, must print exactly what the in-process build
# prints. PEER_BIN is a full tree's bin/ with loom-test-server, loom-ssproxy and
# the in-process minimal-ss-hello-world. Then the SSPC client started before the
# proxy exists must keep trying and complete once the proxy comes up.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ss-common.sh"
sspc=$1 bin=$2 policy=$3
for b in loom-test-server loom-ssproxy minimal-ss-hello-world; do
	[ -x "$bin/$b" ] || { echo "FAIL: $bin/$b missing (LOOM_TEST_PEER_BIN: a full tree's bin/)"; exit 1; }
done
tmp=$(mktemp -d)
srv_pid= px_pid= cl_pid=
trap 'for p in $srv_pid $px_pid $cl_pid; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
sock="@loom-ssproxy-test-$$"

start_proxy() {
	"$bin/loom-ssproxy" --policy "$tmp/policy.json" --unix "$sock" 2> "$tmp/px.log" &
	px_pid=$!
	for _ in $(seq 1 200); do
		grep -q "^listening on unix" "$tmp/px.log" && return 0
		sleep 0.05
	done
	echo "FAIL: the proxy printed no listening line"; cat "$tmp/px.log"; return 1
}

start_server "$tmp/srv.log" "$bin/loom-test-server" -p 0 || exit 1
sed "s/\"port\": 7681/\"port\": $port/" "$policy" > "$tmp/policy.json"
fail=0

timeout 20 "$bin/minimal-ss-hello-world" "$tmp/policy.json" > "$tmp/direct" 2> "$tmp/direct.err" ||
	{ echo "FAIL: in-process run"; cat "$tmp/direct.err"; exit 1; }

start_proxy || exit 1
LOOM_SSPROXY="unix:$sock" timeout 20 "$sspc" > "$tmp/sspc" 2> "$tmp/sspc.err"
rc=$?
if [ $rc -eq 0 ] && cmp -s "$tmp/direct" "$tmp/sspc" && grep -q '^ctype: text/html' "$tmp/sspc.err" &&
   grep -q '^state CONNECTED' "$tmp/sspc.err"; then
	echo "ok: via the proxy, the same $(wc -c < "$tmp/sspc") bytes as in-process"
else
	echo "FAIL: via the proxy: rc $rc"; cat "$tmp/sspc.err"; tail -5 "$tmp/px.log"; fail=1
fi
kill $px_pid; wait $px_pid 2>/dev/null; px_pid=

# the client first, the proxy a second later
LOOM_SSPROXY="unix:$sock" timeout 20 "$sspc" > "$tmp/late" 2> "$tmp/late.err" &
cl_pid=$!
sleep 1
start_proxy || exit 1
wait $cl_pid
rc=$?
cl_pid=
n=$(grep -c '^state UNREACHABLE' "$tmp/late.err")
if [ $rc -eq 0 ] && cmp -s "$tmp/direct" "$tmp/late" && [ "$n" -ge 2 ]; then
	echo "ok: started before the proxy: $n unreachable attempts, then served"
else
	echo "FAIL: proxy late: rc $rc, $n attempts"; cat "$tmp/late.err"; fail=1
fi
exit $fail
