#!/bin/bash
# ssproxy-peercred.sh PROXY CLIENT TEST_SERVER POLICY: loom-ssproxy's peer
# credential check on its Unix socket (--allow-uid / --allow-gid). CLIENT is the
# full build's minimal-ss-hello-world, sent through the proxy by LOOM_SSPROXY.
#   - our uid allowed: served
#   - only another uid allowed: refused with a log line; the client is told
#     DENIED and ends ALL_RETRIES_FAILED at once (it does not retry forever)
#   - another uid, but our gid allowed: served
#   - run as root (setpriv): a client as uid/gid 65534 is refused by a proxy
#     that allows uid 0 only, and served by one that allows uid 65534
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../interop/ss/ss-common.sh"
proxy=$1 client=$2 server=$3 policy=$4
tmp=$(mktemp -d)
chmod 755 "$tmp"
srv_pid= px_pid=
trap 'for p in $srv_pid $px_pid; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
sock="@loom-ssproxy-cred-$$"
start_server "$tmp/srv.log" "$server" -p 0 || exit 1
sed "s/\"port\": 7681/\"port\": $port/" "$policy" > "$tmp/policy.json"
me=$(id -u) mygid=$(id -g) other=$(( $(id -u) + 4242 ))
fail=0

# run_case NAME WANT(served|refused) [RUNAS...] -- PROXY ARGS...
run_case() {
	local name=$1 want=$2 runas=() rc
	shift 2
	while [ "$1" != -- ]; do runas+=("$1"); shift; done
	shift
	"$proxy" --policy "$tmp/policy.json" --unix "$sock" "$@" 2> "$tmp/px.log" &
	px_pid=$!
	for _ in $(seq 1 200); do
		grep -q "^listening on unix" "$tmp/px.log" && break
		sleep 0.05
	done
	LOOM_SSPROXY="unix:$sock" timeout 20 "${runas[@]}" "$client" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	kill $px_pid; wait $px_pid 2>/dev/null; px_pid=
	if [ $want = served ] && [ $rc -eq 0 ] && grep -q loom-test-server "$tmp/out" &&
	   ! grep -q 'refused a client' "$tmp/px.log"; then
		echo "ok: $name: served"
	elif [ $want = refused ] && [ $rc -ne 0 ] && [ $rc -ne 124 ] &&
	     grep -q '^state ALL_RETRIES_FAILED' "$tmp/err" &&
	     [ "$(grep -c '^state CONNECTING' "$tmp/err")" -eq 1 ] &&
	     grep -q 'refused a client: uid [0-9]* gid [0-9]* not allowed' "$tmp/px.log"; then
		echo "ok: $name: refused ($(grep -o 'uid [0-9]* gid [0-9]* not allowed' "$tmp/px.log" | head -1))"
	else
		echo "FAIL: $name: wanted $want, rc $rc"; cat "$tmp/err"; tail -5 "$tmp/px.log"
		fail=1
	fi
}

run_case "our uid $me allowed" served -- --allow-uid "$me"
run_case "only uid $other allowed" refused -- --allow-uid "$other"
run_case "uid $other or our gid $mygid allowed" served -- --allow-uid "$other" --allow-gid "$mygid"
if [ "$me" -eq 0 ]; then
	command -v setpriv > /dev/null || { echo "FAIL: setpriv (util-linux) missing"; exit 1; }
	nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups)
	run_case "uid 65534 against a proxy for uid 0" refused "${nobody[@]}" -- --allow-uid 0
	run_case "uid 65534 allowed" served "${nobody[@]}" -- --allow-uid 65534
fi
# a TCP listener cannot tell clients apart: the proxy refuses to start
if "$proxy" --policy "$tmp/policy.json" -p 0 --allow-uid "$me" 2> "$tmp/tcp.log" & then
	p=$!
	sleep 0.5
	if kill -0 $p 2>/dev/null; then
		kill $p; wait $p 2>/dev/null
		echo "FAIL: --allow-uid with a TCP listener started"; fail=1
	elif grep -q 'Unix sockets only' "$tmp/tcp.log"; then
		echo "ok: --allow-uid with a TCP listener: not started"
	else
		echo "FAIL: TCP case"; cat "$tmp/tcp.log"; fail=1
	fi
fi
exit $fail
