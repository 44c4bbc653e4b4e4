#!/bin/sh
# with-mosquitto.sh [--auth] [--tls] [--ws] CMD ARGS...
#
# Starts mosquitto 2.0 (Debian) on 127.0.0.1 on a port picked at run time, with a
# generated config (no persistence), runs CMD with every @PORT@ in ARGS replaced by
# the plain port (@TLSPORT@ by the TLS one, @CA@ by the CA file that signed its
# certificate), @WSPORT@ / @WSSPORT@ by the WebSocket ones, @MOSQ_PID@ by the
# broker's pid, then
# stops the broker by its PID. Exits with CMD's status, or 1 when mosquitto
# is not installed.
#   --auth   anonymous clients are refused; user "loom" password "secret" is allowed
#   --tls    also a TLS listener, with certificates from test-apps/interop/tls/mkcerts.sh
#   --ws     also a WebSocket listener (and with --tls a WebSocket-over-TLS one)
set -u
MOSQ=$(command -v mosquitto || ls /usr/sbin/mosquitto 2>/dev/null)
[ -n "$MOSQ" ] || { echo "FAIL: mosquitto not installed (contrib/test.sh installs it)"; exit 1; }

AUTH=0
TLSDIR=
WS=0
while :; do
	case "${1:-}" in
	--auth) AUTH=1; shift ;;
	--tls) TLSDIR=yes; shift ;;
	--ws) WS=1; shift ;;
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

# mosquitto's websockets listener (libwebsockets 4.1) binds the IPv6 wildcard
# whatever address it is given, so its port must be free on every address:
# picked below the ephemeral range, where busy clients' sockets do not collide
free_ws_port() {
	python3 -c '
import random, socket
for _ in range(200):
    p = random.randrange(10000, 32000)
    try:
        s = socket.socket(socket.AF_INET6)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", p))
        s.close()
        print(p)
        break
    except OSError:
        pass
'
}

started=0
for try in 1 2 3 4 5; do
	PORT=$(free_port)
	TLSPORT=$(free_port)
	WSPORT=$(free_ws_port)
	WSSPORT=$(free_ws_port)
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
		if [ $WS = 1 ]; then
			echo "listener $WSPORT 127.0.0.1"
			echo "protocol websockets"
			if [ -n "$TLSDIR" ]; then
				echo "listener $WSSPORT 127.0.0.1"
				echo "protocol websockets"
				echo "cafile $TLSDIR/ca.pem"
				echo "certfile $TLSDIR/server.pem"
				echo "keyfile $TLSDIR/server.key"
			fi
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
		   { [ $WS = 0 ] || grep -q "mosquitto version .* running" "$DIR/mosquitto.log"; } &&
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
		-e "s/@WSPORT@/$WSPORT/g" -e "s/@WSSPORT@/$WSSPORT/g" \
		-e "s/@MOSQ_PID@/$MPID/g")"
done
shift $n
MQTT_PORT=$PORT MQTT_TLS_PORT=$TLSPORT MQTT_WS_PORT=$WSPORT MQTT_WSS_PORT=$WSSPORT \
	"$CMD" "$@"
rc=$?
if [ $rc != 0 ]; then
	echo "--- mosquitto log"; tail -40 "$DIR/mosquitto.log"
fi
exit $rc
