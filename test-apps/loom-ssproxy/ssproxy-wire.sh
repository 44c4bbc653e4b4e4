#!/bin/bash
# ssproxy-wire.sh PROXY TEST_SERVER POLICY: loom-ssproxy on a free TCP port,
# serving the hello-world policy (pointed at loom-test-server on a free port, plus
# a stream type "denied" it does not allow and a server stream type "srv" it
# must refuse), driven by ssproxy-client.py over the serialization wire format.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../interop/ss/ss-common.sh"
proxy=$1 server=$2 policy=$3
tmp=$(mktemp -d)
srv_pid= px_pid=
trap '[ -n "$srv_pid" ] && kill $srv_pid 2>/dev/null; [ -n "$px_pid" ] && kill $px_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

start_server "$tmp/srv.log" "$server" -p 0 || exit 1
/usr/bin/python3 - "$policy" "$tmp/policy.json" "$port" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
st = p["s"][0]["hello"]
st["port"] = int(sys.argv[3])
p["s"].append({"denied": dict(st)})
# a server stream type, allowed: the proxy must still never listen for a client
p["s"].append({"srv": {"server": True, "port": 0, "protocol": "h1"}})
json.dump(p, open(sys.argv[2], "w"), indent=1)
PY
"$proxy" --policy "$tmp/policy.json" -p 0 --allow hello --allow srv 2> "$tmp/px.log" &
px_pid=$!
pport=
for _ in $(seq 1 200); do
	pport=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/px.log" | head -1)
	[ -n "$pport" ] && break
	sleep 0.05
done
[ -n "$pport" ] || { echo "FAIL: the proxy printed no listening line"; cat "$tmp/px.log"; exit 1; }

timeout 60 /usr/bin/python3 "$here/ssproxy-client.py" "$pport"
rc=$?
kill -0 "$px_pid" 2>/dev/null || { echo "FAIL: the proxy died"; cat "$tmp/px.log"; rc=1; }
kill -TERM "$px_pid"
wait "$px_pid"
prc=$?
px_pid=
[ $prc -eq 0 ] || { echo "FAIL: proxy exit status $prc"; tail -20 "$tmp/px.log"; rc=1; }
grep -q "'srv' is a server stream type: not for SSPC" "$tmp/px.log" ||
	{ echo "FAIL: no log line for the server stream type"; rc=1; }
[ $rc -eq 0 ] || tail -30 "$tmp/px.log"
exit $rc
