#!/bin/bash
# ss-direct-vs-proxy.sh KIND CLIENT PEER_BIN POLICY [MQTT_PORT]: one ss/ example
# run twice against the same local peer, in process and through loom-ssproxy,
# must print the same: stdout byte for byte, stderr (its states and results) line
# for line.
#
#   KIND      hello (loom-test-server, GET), ws-echo (loom-test-server's
#             loom-echo, 10 messages) or mqtt (the broker at MQTT_PORT: run it
#             under with-mosquitto.sh; 5 QoS 1 publishes)
#   CLIENT    the example to run through the proxy: the full build's binary
#             (run-time SSPC: LOOM_SSPROXY sets its info.ss_proxy) or the
#             SSPC-only build's
#   PEER_BIN  a full tree's bin/: loom-ssproxy, loom-test-server and the
#             in-process example of the same name as CLIENT
#
# One timing-dependent line is masked in both outputs before the diff: a
# "state DISCONNECTED" right before the final "state DESTROYING". In process the
# real connection's close after the transaction is seen before the example stops
# its loop; through the proxy, that report may still be on its way.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ss-common.sh"
kind=$1 client=$2 bin=$3 policy=$4 mport=${5:-}
name=$(basename "$client")
direct=$bin/$name
for b in loom-ssproxy loom-test-server "$name"; do
	[ -x "$bin/$b" ] || { echo "FAIL: $bin/$b missing"; exit 1; }
done
tmp=$(mktemp -d)
srv_pid= px_pid=
trap 'for p in $srv_pid $px_pid; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
sock="@loom-ssproxy-dvp-$$"

case $kind in
hello|ws-echo)
	start_server "$tmp/srv.log" "$bin/loom-test-server" -p 0 || exit 1
	sed "s/\"port\": 7681/\"port\": $port/" "$policy" > "$tmp/policy.json"
	grep -q "\"port\": $port" "$tmp/policy.json" || { echo "FAIL: policy edit"; exit 1; }
	;;
mqtt)
	[ -n "$mport" ] || { echo "FAIL: no broker port"; exit 1; }
	sed "s/\"port\": 1883/\"port\": $mport/" "$policy" > "$tmp/policy.json"
	grep -q "\"port\": $mport" "$tmp/policy.json" || { echo "FAIL: policy edit"; exit 1; }
	;;
*)
	echo "FAIL: kind $kind"; exit 2 ;;
esac
case $kind in
hello)		args=("$tmp/policy.json") ;;
ws-echo)	args=("$tmp/policy.json" 10) ;;
mqtt)		args=("$tmp/policy.json" "t$$" 5) ;;
esac

mask() {
	awk '{ l[NR] = $0 } END {
		for (i = 1; i <= NR; i++)
			if (!(l[i] ~ /^state DISCONNECTED / && i + 1 == NR &&
			      l[NR] ~ /^state DESTROYING /))
				print l[i]
	}' "$1"
}

timeout 30 env -u LOOM_SSPROXY "$direct" "${args[@]}" > "$tmp/d.out" 2> "$tmp/d.err"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: in process: rc $rc"; cat "$tmp/d.err"; exit 1; }

"$bin/loom-ssproxy" --policy "$tmp/policy.json" --unix "$sock" 2> "$tmp/px.log" &
px_pid=$!
for _ in $(seq 1 200); do
	grep -q "^listening on unix" "$tmp/px.log" && break
	sleep 0.05
done
grep -q "^listening on unix" "$tmp/px.log" || { echo "FAIL: proxy"; cat "$tmp/px.log"; exit 1; }
# a wrong policy path for the client: the proxy's policy must be the one used
pargs=("$tmp/none.json" "${args[@]:1}")
LOOM_SSPROXY="unix:$sock" timeout 30 "$client" "${pargs[@]}" > "$tmp/p.out" 2> "$tmp/p.err"
rc=$?
mask "$tmp/d.err" > "$tmp/d.m"
mask "$tmp/p.err" > "$tmp/p.m"
if [ $rc -eq 0 ] && cmp -s "$tmp/d.out" "$tmp/p.out" && cmp -s "$tmp/d.m" "$tmp/p.m" &&
   grep -q '^state CONNECTED' "$tmp/p.m"; then
	echo "ok: $name ($kind) in process and via loom-ssproxy: the same" \
		"$(wc -c < "$tmp/p.out") bytes out, the same $(wc -l < "$tmp/p.m") lines of states"
	exit 0
fi
echo "FAIL: $name via the proxy: rc $rc"
diff "$tmp/d.out" "$tmp/p.out" | head -20
diff "$tmp/d.m" "$tmp/p.m"
tail -5 "$tmp/px.log"
exit 1
