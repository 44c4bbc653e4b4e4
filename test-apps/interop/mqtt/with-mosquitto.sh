#!/bin/sh
# with-mosquitto.sh [--auth] [--tls] CMD ARGS...
#
# Starts mosquitto 2.0 (Debian) on 127.0.0.1 on a port picked at run time, with a
# generated config (no persistence), runs CMD with every @PORT@ in ARGS replaced by
# the plain port (@TLSPORT@ by the TLS one, @CA@ by the CA file that signed its
# certificate), @MOSQ_PID@ by the broker's pid, then
# stops the broker by its PID. Exits with CMD's status, or 1 when mosquitto
# is not installed.
#   --auth   anonymous clients are refused; user "loom" password "secret" is allowed
#   --tls    also a TLS listener, with certificates from test-apps/interop/tls/mkcerts.sh
set -u
MOSQ=$(command -v mosquitto || ls /usr/sbin/mosquitto 2>/dev/null)
[ -n "$MOSQ" ] || { echo "FAIL: mosquitto not installed (contrib/test.sh installs it)"; exit 1; }

AUTH=0
TLSDIR=
while :; do
	case "${1:-}" in
	--auth) AUTH=1; shift ;;
	--tls) TLSDIR=yes; shift ;;
	*) break ;;
	esac
done

DIR=$(mktemp -d /tmp/loom-mosq.XXXXXX)
MPID=
cleanup() {
	[ -n "$MPID" ] && kill "$MPID" 2>/dev/null && wait "$MPID" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
if [ -n "$TLSDIR" ]; then
	TLSDIR=$DIR/certs
	"$(dirname "$0")/../tls/mkcerts.sh" "$TLSDIR" >/dev/null || exit 1
	chmod -R a+rX "$TLSDIR"
fi

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

started=0
for try in 1 2 3 4 5; do
	PORT=$(free_port)
	TLSPORT=$(free_port)
	{
		echo "per_listener_settings false"
		echo "persistence false"
		echo "log_dest file $DIR/mosquitto.log"
		echo "log_type error"
		echo "log_type warning"
		echo "log_type notice"
		echo "log_type information"
		echo "listener $PORT 127.0.0.1"
		if [ -n "$TLSDIR" ]; then
			echo "listener $TLSPORT 127.0.0.1"
			echo "cafile $TLSDIR/ca.pem"
			echo "certfile $TLSDIR/server.pem"
			echo "keyfile $TLSDIR/server.key"
		fi
		if [ $AUTH = 1 ]; then
			echo "allow_anonymous false"
			echo "password_file $DIR/passwd"
		else
			echo "allow_anonymous true"
		fi
	} > "$DIR/mosquitto.conf"
	if [ $AUTH = 1 ]; then
		: > "$DIR/passwd"
		chmod 0600 "$DIR/passwd"
		mosquitto_passwd -b "$DIR/passwd" loom secret >/dev/null 2>&1
	fi
	# as root mosquitto drops to its own user: let it read its files
	chmod 0755 "$DIR"; chmod 0644 "$DIR/mosquitto.conf"
	[ $AUTH = 1 ] && chown mosquitto "$DIR/passwd" 2>/dev/null
	touch "$DIR/mosquitto.log"; chmod 0666 "$DIR/mosquitto.log"
	"$MOSQ" -c "$DIR/mosquitto.conf" >"$DIR/stdout" 2>&1 &
	MPID=$!
	n=0
	while [ $n -lt 50 ]; do
		if grep -q "Opening ipv4 listen socket on port $PORT" "$DIR/mosquitto.log" 2>/dev/null &&
		   python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$PORT),1)" 2>/dev/null; then
			started=1
			break
		fi
		kill -0 "$MPID" 2>/dev/null || break
		sleep 0.1
		n=$((n + 1))
	done
	[ $started = 1 ] && break
	kill "$MPID" 2>/dev/null; wait "$MPID" 2>/dev/null; MPID=
done
if [ $started != 1 ]; then
	echo "mosquitto did not start"; cat "$DIR/mosquitto.log" "$DIR/stdout" 2>/dev/null
	exit 1
fi
echo "mosquitto pid $MPID on port $PORT"

CMD=$1
shift
# substitute in each argument, keeping arguments with spaces whole
n=$#
for a in "$@"; do
	set -- "$@" "$(printf '%s' "$a" | sed -e "s/@PORT@/$PORT/g" \
		-e "s/@TLSPORT@/$TLSPORT/g" -e "s|@CA@|$TLSDIR/ca.pem|g" \
		-e "s/@MOSQ_PID@/$MPID/g")"
done
shift $n
MQTT_PORT=$PORT MQTT_TLS_PORT=$TLSPORT "$CMD" "$@"
rc=$?
if [ $rc != 0 ]; then
	echo "--- mosquitto log"; tail -40 "$DIR/mosquitto.log"
fi
exit $rc
