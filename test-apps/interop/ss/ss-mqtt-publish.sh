#!/bin/bash
# ss-mqtt-publish.sh EXAMPLE POLICY PORT: run under with-mosquitto.sh. The
# example's policy with the broker's port: 5 QoS 1 publishes to loom/ss/<topic>
# must be acknowledged and come back through the stream's subscription, and
# mosquitto_sub, subscribed independently, must see the same 5 messages.
set -u
example=$1 policy=$2 port=$3
tmp=$(mktemp -d)
sub_pid=
trap '[ -n "$sub_pid" ] && kill $sub_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
command -v mosquitto_sub >/dev/null || { echo "FAIL: mosquitto_sub not installed"; exit 1; }
topic=t$$
sed "s/\"port\": 1883/\"port\": $port/" "$policy" > "$tmp/policy.json"
grep -q "\"port\": $port" "$tmp/policy.json" || { echo "FAIL: policy edit"; exit 1; }
timeout 20 mosquitto_sub -h 127.0.0.1 -p "$port" -t "loom/ss/$topic" -C 5 -q 1 \
	> "$tmp/sub.out" 2>&1 &
sub_pid=$!
sleep 0.3
fail=0
if timeout 20 "$example" "$tmp/policy.json" "$topic" 5 2> "$tmp/err" &&
   grep -q '^5 published, acknowledged and received' "$tmp/err"; then
	echo "ok: 5 QoS 1 publishes acknowledged and received back"
else
	echo "FAIL: example"; cat "$tmp/err"; fail=1
fi
wait "$sub_pid"; sub_pid=
if [ "$(cat "$tmp/sub.out")" = "$(printf 'hello %d\n' 0 1 2 3 4)" ]; then
	echo "ok: mosquitto_sub saw hello 0..4 on loom/ss/$topic"
else
	echo "FAIL: mosquitto_sub saw:"; cat "$tmp/sub.out"; fail=1
fi
exit $fail
