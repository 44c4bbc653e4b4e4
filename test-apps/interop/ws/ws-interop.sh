#!/bin/bash
# ws-interop.sh WHAT ECHO_SERVER WS_CLIENT: WebSocket interop against real peers on
# 127.0.0.1, ports picked at run time, every step bounded, everything started is
# stopped by its PID. WHAT is one of:
#   python-server  python3-websockets (and raw frames) against minimal-ws-server-echo
#   python-client  minimal-ws-client against python servers, good and misbehaving
#   node           node's ws module both ways, with and without permessage-deflate
#   wss            (extra args TEST_SERVER CERTDIR) wss:// to loom-test-server's TLS
#                  port from minimal-ws-client and python3-websockets, CA-verified
set -u
WHAT=$1
SERVER=$2
CLIENT=$3
TSERVER=${4:-}
CERTS=${5:-}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/loom-ws-interop.XXXXXX)
PIDS=""
fails=0

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

check() {	# NAME CONDITION-RESULT; returns the result
	if [ "$2" = 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
	return "$2"
}

# start our echo server; sets SPORT
start_server() {
	"$SERVER" -p 0 "$@" 2>"$TMP/server.log" &
	SPID=$!
	PIDS="$PIDS $SPID"
	for i in $(seq 1 50); do
		SPORT=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$TMP/server.log")
		[ -n "$SPORT" ] && return 0
		sleep 0.1
	done
	echo "server did not start"; cat "$TMP/server.log"; exit 1
}

# stop our server: it must exit 0 on SIGTERM, with nothing from the sanitizers
stop_server() {
	kill -TERM "$SPID"
	wait "$SPID"
	r=$?
	! grep -q "Sanitizer\|runtime error" "$TMP/server.log" && [ $r = 0 ]
	check "server exits cleanly (exit $r, no sanitizer report)" $?
	[ $? = 0 ] || grep -A20 "Sanitizer\|runtime error" "$TMP/server.log" | head -40
}

# start a python peer server in MODE; sets PPORT, PPID_
start_peer() {
	: >"$TMP/peer.log"
	# emptied here, not by the redirection below: that happens in the child,
	# maybe after the loop has read the last peer's port
	: >"$TMP/peer.port"
	WS_PEER_LOG="$TMP/peer.log" WS_PEER_LIFETIME=60 $PY "$HERE/ws_peer_server.py" "$1" \
		>"$TMP/peer.port" 2>"$TMP/peer.err" &
	PPID_=$!
	PIDS="$PIDS $PPID_"
	for i in $(seq 1 50); do
		PPORT=$(head -1 "$TMP/peer.port")
		[ -n "$PPORT" ] && return 0
		sleep 0.1
	done
	echo "peer did not start"; cat "$TMP/peer.err"; exit 1
}

# the peer logs a close after our client may have exited: wait for it, bounded
peer_logged() {
	for _ in $(seq 1 60); do
		grep -q "$1" "$TMP/peer.log" && return 0
		sleep 0.05
	done
	return 1
}

stop_peer() {
	kill "$PPID_" 2>/dev/null; wait "$PPID_" 2>/dev/null
}

case "$WHAT" in
python-server)
	$PY -c "import websockets" || { echo "python3-websockets missing (contrib/deps.sh)"; exit 1; }
	start_server --max-message 1048576
	timeout 180 $PY "$HERE/ws_against_server.py" "$SPORT"
	check "python3-websockets and raw frames against the server" $?
	stop_server
	;;

python-client)
	$PY -c "import websockets" || { echo "python3-websockets missing (contrib/deps.sh)"; exit 1; }
	seq 1 3000 >"$TMP/in.txt"
	printf 'hello\n\nw\xc3\xb6rld \xe2\x82\xac\n' >>"$TMP/in.txt"
	for opt in "" "--deflate"; do
		start_peer echo
		timeout 30 "$CLIENT" "ws://127.0.0.1:$PPORT/x?y=1" $opt --linger 10000 <"$TMP/in.txt" \
			>"$TMP/out.txt" 2>"$TMP/client.err"
		r=$?
		cmp -s "$TMP/in.txt" "$TMP/out.txt" && [ $r = 0 ] && peer_logged "client close 1000"
		check "client vs python echo ${opt:-plain}: 3003 lines back, exit 0, close 1000" $?
		stop_peer
	done
	start_peer frag
	printf 'abcdef\nxyz\n' | timeout 30 "$CLIENT" "ws://127.0.0.1:$PPORT/" >"$TMP/out.txt" 2>"$TMP/client.err"
	r=$?
	[ $r = 0 ] && [ "$(cat "$TMP/out.txt")" = "$(printf 'abcdef\nxyz')" ]
	check "client: fragmented answers with a ping before each" $?
	stop_peer
	for m in badutf8:1007 masked:1002; do
		start_peer "${m%%:*}"
		# stdin stays open a while: the client must fail on the bad frame, not
		# close with 1000 at end of input first (a loaded machine is slow)
		(echo "x"; sleep 2) | timeout 30 "$CLIENT" "ws://127.0.0.1:$PPORT/" >/dev/null \
			2>"$TMP/client.err"
		r=$?
		[ $r != 0 ] && peer_logged "client close ${m##*:}"
		check "client: ${m%%:*} server -> close ${m##*:}, exit $r" $?
		stop_peer
	done
	for m in close1001 refuse badaccept; do
		start_peer "$m"
		(sleep 1; echo x) | timeout 30 "$CLIENT" "ws://127.0.0.1:$PPORT/" >/dev/null 2>"$TMP/client.err"
		r=$?
		[ $r != 0 ] && [ $r != 124 ]
		check "client: $m -> exit $r (non-zero, no hang)" $?
		stop_peer
	done
	# zlib cannot deflate with an 8-bit window: an answer asking for it is refused
	# (RFC 7692 section 5); 9 bits is used
	start_peer cwb8
	(sleep 1; echo x) | timeout 30 "$CLIENT" "ws://127.0.0.1:$PPORT/" --deflate >/dev/null \
		2>"$TMP/client.err"
	r=$?
	[ $r != 0 ] && [ $r != 124 ] && ! peer_logged "client close"
	check "client: permessage-deflate client_max_window_bits=8 -> refused, exit $r" $?
	stop_peer
	start_peer cwb9
	echo x | timeout 30 "$CLIENT" "ws://127.0.0.1:$PPORT/" --deflate >/dev/null \
		2>"$TMP/client.err"
	r=$?
	[ $r = 0 ] && peer_logged "client close 1000"
	check "client: permessage-deflate client_max_window_bits=9 -> used, exit $r" $? ||
		{ head -c 2000 "$TMP/client.err"; head -c 2000 "$TMP/peer.log"; }
	stop_peer
	start_peer silent
	echo x | timeout 30 "$CLIENT" "ws://127.0.0.1:$PPORT/" --timeout 2 >/dev/null 2>"$TMP/client.err"
	r=$?
	[ $r != 0 ] && [ $r != 124 ]
	check "client: a server that never answers -> exit $r (no hang)" $?
	stop_peer
	# nothing listens there
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' >"$TMP/free"
	echo x | timeout 30 "$CLIENT" "ws://127.0.0.1:$(cat "$TMP/free")/" >/dev/null 2>&1
	r=$?
	[ $r != 0 ] && [ $r != 124 ]
	check "client: connection refused -> exit $r" $?
	;;

node)
	NODE=$(command -v node || command -v nodejs)
	[ -n "$NODE" ] || { echo "node missing (contrib/deps.sh)"; exit 1; }
	export NODE_PATH=/usr/share/nodejs:/usr/lib/nodejs:${NODE_PATH:-}
	if ! $NODE -e 'require("ws")' 2>/dev/null; then
		# not from Debian: npm into the test's own folder
		(cd "$TMP" && timeout 120 npm install --silent --no-audit --no-fund ws >/dev/null 2>&1)
		export NODE_PATH="$TMP/node_modules:$NODE_PATH"
		$NODE -e 'require("ws")' || { echo "node ws module not available"; exit 1; }
	fi
	start_server --max-message 1048576
	for pmd in false true; do
		timeout 60 $NODE "$HERE/ws-node.js" client "$SPORT" "$pmd"
		check "node ws client (perMessageDeflate $pmd) against the server" $? ||
			tail -20 "$TMP/server.log"
	done
	stop_server
	for pmd in false true; do
		# emptied here, not by the redirection (see start_peer)
		: >"$TMP/node.port"
		$NODE "$HERE/ws-node.js" server 0 "$pmd" >"$TMP/node.port" 2>"$TMP/node.err" &
		NPID=$!
		PIDS="$PIDS $NPID"
		for i in $(seq 1 50); do
			NPORT=$(head -1 "$TMP/node.port")
			[ -n "$NPORT" ] && break
			sleep 0.1
		done
		opt=""; [ $pmd = true ] && opt=--deflate
		# a generous linger: under ASan on a loaded machine 2000 echoes can take
		# longer than the default second after the last line went out
		seq 1 2000 | timeout 30 "$CLIENT" "ws://127.0.0.1:$NPORT/" $opt --linger 10000 \
			>"$TMP/out.txt" 2>"$TMP/client.err"
		r=$?
		seq 1 2000 | cmp -s - "$TMP/out.txt" && [ $r = 0 ]
		check "client against a node ws echo server (perMessageDeflate $pmd)" $? ||
			{ echo "client exit $r:"; tail -n 5 "$TMP/client.err" "$TMP/node.err"; }
		kill $NPID 2>/dev/null; wait $NPID 2>/dev/null
	done
	;;
wss)
	"$TSERVER" -p 0 --tls-port 0 --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
		2>"$TMP/server.log" &
	SPID=$!
	PIDS="$PIDS $SPID"
	for i in $(seq 1 50); do
		TPORT=$(sed -n 's/^listening on tls \([0-9]*\)$/\1/p' "$TMP/server.log")
		[ -n "$TPORT" ] && break
		sleep 0.1
	done
	[ -n "$TPORT" ] || { echo "no tls listener"; cat "$TMP/server.log"; exit 1; }
	for opt in "" "--deflate"; do
		seq 1 2000 | timeout 30 "$CLIENT" "wss://localhost:$TPORT/" --ca "$CERTS/ca.pem" \
			--protocol loom-echo $opt >"$TMP/out.txt" 2>"$TMP/client.err"
		r=$?
		seq 1 2000 | cmp -s - "$TMP/out.txt" && [ $r = 0 ]
		check "minimal-ws-client wss:// ${opt:-plain}, CA-verified: 2000 lines, exit 0" $?
	done
	timeout 60 $PY - "$TPORT" "$CERTS/ca.pem" <<'PYEOF'
import asyncio, ssl, sys, websockets
async def m():
    ctx = ssl.create_default_context(cafile=sys.argv[2])
    async with websockets.connect("wss://localhost:%s/" % sys.argv[1], ssl=ctx,
                                  subprotocols=["loom-echo"], max_size=None) as ws:
        big = bytes(range(256)) * (8 << 12)
        await ws.send(big)
        assert await ws.recv() == big
        await ws.send("text")
        assert await ws.recv() == "text"
asyncio.run(asyncio.wait_for(m(), 50))
PYEOF
	check "python3-websockets wss:// 8 MiB and text through loom-echo" $?
	stop_server
	;;
*)
	echo "usage: $0 python-server|python-client|node|wss ECHO_SERVER WS_CLIENT [TEST_SERVER CERTDIR]"
	exit 2
	;;
esac

echo "$fails failed"
[ $fails = 0 ]
