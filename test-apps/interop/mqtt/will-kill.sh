#!/bin/sh
# will-kill.sh VICTIM VERSION: run under with-mosquitto.sh (MQTT_PORT set). A Loom
# client with a will ("VICTIM PORT --will-victim TOPIC VERSION") is killed with
# SIGKILL once connected; mosquitto_sub must then receive the will "killed".
set -u
V=$1
VER=${2:-4}
command -v mosquitto_sub >/dev/null || { echo "FAIL: mosquitto_sub missing (contrib/test.sh installs mosquitto-clients)"; exit 1; }
D=$(mktemp -d /tmp/loom-will.XXXXXX)
SPID=; VPID=
cleanup() {
	[ -n "$VPID" ] && kill -9 "$VPID" 2>/dev/null
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT INT TERM
TOPIC=loom/will/$$

mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t "$TOPIC" -q 1 -C 1 -W 15 -v > "$D/sub" 2>&1 &
SPID=$!
sleep 0.5
"$V" "$MQTT_PORT" --will-victim "$TOPIC" "$VER" > "$D/victim" 2>&1 &
VPID=$!
n=0
until grep -q ready "$D/victim"; do
	n=$((n + 1))
	[ $n -gt 100 ] && { echo "victim did not connect"; cat "$D/victim"; exit 1; }
	sleep 0.1
done
kill -9 "$VPID"
wait "$VPID" 2>/dev/null
VPID=
wait "$SPID"
rc=$?
SPID=
echo "mosquitto_sub: $(cat "$D/sub")"
[ $rc = 0 ] && grep -q "^$TOPIC killed$" "$D/sub" || { echo "no will"; exit 1; }
echo "will delivered after SIGKILL (MQTT version $VER)"
