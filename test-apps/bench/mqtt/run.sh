#!/usr/bin/env bash
# run.sh: the MQTT client benchmark (issue [mqtt]): Loom against libmosquitto and
# Eclipse Paho C (Debian libmosquitto-dev, libpaho-mqtt-dev) publishing the same
# workload to one local mosquitto 2.0, DESIGN.md section 9 taken on the client
# side: broker pinned to CPU 0, the client to CPU 1, 64-byte publishes to a topic
# nobody subscribes to, QoS 0 and QoS 1 (16 in flight), each run ended by a QoS 1
# fence publish whose ack says the broker took everything. Prints per client:
#   (a) messages/s: interleaved runs (loom, mosquitto, paho, loom ...), median of
#       BENCH_RUNS; the broker may be the limit, so
#   (b) client CPU us per message (getrusage of the client over the run, all its
#       threads), median: the figure that decides;
#   (c) client instructions per message: valgrind cachegrind Ir of two fixed runs
#       (-n N1, -n N2), (Ir2-Ir1)/(N2-N1) so start-up and shut-down cancel;
#   RSS per idle client connection: -c BENCH_IDLE_CONNS connections, VmRSS growth.
# Ratios are loom / the better peer (paired medians of adjacent runs for a, b).
#
# usage: run.sh BUILD_DIR [--quick]
# environment: BENCH_RUNS (5), BENCH_MSGS (100000), BENCH_IDLE_CONNS (200),
#   BENCH_SERVER_CPU (0), BENCH_CLIENT_CPU (1)
# exit status: 0 measured, PASS; 3 measured, FAIL (issue targets: a >= 1.0x and
# b <= 1.0x the better peer); 1 error; 2 usage.

set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR/../lib source=bench-common.sh
. "$HERE/../lib/bench-common.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 BUILD_DIR [--quick]" >&2; exit 2; }
BUILD=$1
QUICK=0
[ "${2:-}" = "--quick" ] && QUICK=1
RUNS=${BENCH_RUNS:-5}
MSGS=${BENCH_MSGS:-100000}
IDLE=${BENCH_IDLE_CONNS:-200}
N1=10000
N2=30000
if [ $QUICK = 1 ]; then
	RUNS=${BENCH_RUNS:-3}
	MSGS=${BENCH_MSGS:-20000}
	N1=2000
	N2=6000
fi
SCPU=${BENCH_SERVER_CPU:-0}
CCPU=${BENCH_CLIENT_CPU:-1}
CLIENTS="loom mosquitto paho"
for c in $CLIENTS; do
	[ -x "$BUILD/bin/loom-bench-mqtt-$c" ] ||
		bench_die "$BUILD/bin/loom-bench-mqtt-$c missing (libmosquitto-dev and" \
			"libpaho-mqtt-dev installed? build first)"
done
MOSQ=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$MOSQ" ] || bench_die "mosquitto not installed"

bench_init
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$BENCH_TMP/m.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 100000
CONF
chmod 0755 "$BENCH_TMP"; chmod 0644 "$BENCH_TMP/m.conf"
$(bench_pin "$SCPU") "$MOSQ" -c "$BENCH_TMP/m.conf" >"$BENCH_TMP/mosq.log" 2>&1 &
MPID=$!
bench_track "$MPID"
for _ in $(seq 50); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT),1)" 2>/dev/null && break
	sleep 0.1
done
bench_alive "$MPID" || bench_die "mosquitto did not start"
PIN=$(bench_pin "$CCPU")

run1() {	# CLIENT QOS N -> result line
	# shellcheck disable=SC2086
	timeout 120 $PIN "$BUILD/bin/loom-bench-mqtt-$1" -p "$PORT" -q "$2" -n "$3" ||
		bench_die "loom-bench-mqtt-$1 -q $2 failed"
}

ir1() {		# CLIENT QOS N -> Ir
	local out="$BENCH_TMP/cg.$1.$2.$3"
	# shellcheck disable=SC2086
	timeout 600 $PIN valgrind --tool=cachegrind --cache-sim=no \
		--cachegrind-out-file="$out" "$BUILD/bin/loom-bench-mqtt-$1" -p "$PORT" \
		-q "$2" -n "$3" >/dev/null 2>&1 || bench_die "cachegrind of $1 failed"
	sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out"
}

echo "MQTT publish benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "mosquitto $("$MOSQ" -h | sed -n 's/^mosquitto version //p' | head -1) on CPU $SCPU," \
     "clients on CPU $CCPU, $MSGS x 64-byte publishes per run, $RUNS interleaved runs"
FAIL=0
for q in 0 1; do
	declare -A RATES=() CPUS=()
	for r in $(seq "$RUNS"); do
		for c in $CLIENTS; do
			line=$(run1 "$c" "$q" "$MSGS")
			RATES[$c]="${RATES[$c]:-} $(bench_kv "$line" rate)"
			CPUS[$c]="${CPUS[$c]:-} $(bench_kv "$line" cpu_us_per_msg)"
		done
	done
	declare -A IR=()
	for c in $CLIENTS; do
		a=$(ir1 "$c" "$q" "$N1")
		b=$(ir1 "$c" "$q" "$N2")
		IR[$c]=$(bench_calc "($b - $a) / ($N2 - $N1)")
	done
	echo
	echo "QoS $q           msgs/s (median)   client CPU us/msg   Ir/msg"
	for c in $CLIENTS; do
		# shellcheck disable=SC2086
		printf '%-12s %14.0f %19.3f %10.0f\n' "$c" "$(bench_median ${RATES[$c]})" \
			"$(bench_median ${CPUS[$c]})" "${IR[$c]}"
	done
	# the better peer: by CPU per message (what decides), and by throughput
	# shellcheck disable=SC2086
	if awk "BEGIN{exit !($(bench_median ${CPUS[mosquitto]}) <= $(bench_median ${CPUS[paho]}))}"; then
		bc=mosquitto
	else
		bc=paho
	fi
	# shellcheck disable=SC2086
	if awk "BEGIN{exit !($(bench_median ${RATES[mosquitto]}) >= $(bench_median ${RATES[paho]}))}"; then
		br=mosquitto
	else
		br=paho
	fi
	rr=$(bench_paired_ratio "${RATES[loom]}" "${RATES[$br]}")
	cr=$(bench_paired_ratio "${CPUS[loom]}" "${CPUS[$bc]}")
	ir=$(bench_ratio "${IR[loom]}" "${IR[$bc]}")
	echo "loom / better peer: throughput ${rr}x ($br), CPU/msg ${cr}x ($bc)," \
	     "Ir/msg ${ir}x ($bc)"
	awk "BEGIN{exit !($rr >= 1.0 && $cr <= 1.0)}" || FAIL=1
	unset RATES CPUS IR
done

echo
echo "RSS per idle client connection ($IDLE connections):"
for c in $CLIENTS; do
	# shellcheck disable=SC2086
	line=$(timeout 120 $PIN "$BUILD/bin/loom-bench-mqtt-$c" -p "$PORT" -c "$IDLE") ||
		bench_die "$c idle connections failed"
	printf '%-12s %8s kB\n' "$c" "$(bench_kv "$line" rss_kb_per_conn)"
done
bench_stop "$MPID" 3 >/dev/null 2>&1
if [ $FAIL = 0 ]; then
	echo "PASS: QoS 0 and 1 throughput >= 1.0x and client CPU/msg <= 1.0x the better peer"
	exit 0
fi
echo "FAIL: a target of issue [mqtt] is not met (see the ratios above)"
exit 3
