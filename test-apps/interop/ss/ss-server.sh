#!/bin/bash
# ss-server.sh EXAMPLE WS_CLIENT POLICY [CERTDIR]: minimal-ss-server on a port
# picked at run time (the policy's port set to 0; given CERTDIR, "tls" with the
# test server's certificate and key as the policy's certs and server_cert /
# server_key, the clients trusting the test CA): curl GETs two paths on one keep-alive
# connection, POSTs a body, and minimal-ws-client sends three messages with the
# subprotocol "loom-ss" and must get each back; the server's answers come from
# its stream's tx with the metadata the request filled (method, path).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ss-common.sh"
example=$1 wsclient=$2 policy=$3 certs=${4:-}
tmp=$(mktemp -d)
srv_pid=
trap '[ -n "$srv_pid" ] && kill $srv_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
command -v curl >/dev/null || { echo "FAIL: curl not installed"; exit 1; }
sed 's/"port": 7681/"port": 0/' "$policy" > "$tmp/policy.json"
scheme=http ws=ws curlca= wsca=
if [ -n "$certs" ]; then
	# "tls" with the test server certificate and key as the policy's certs
	/usr/bin/python3 - "$tmp/policy.json" "$certs/server.pem" "$certs/server.key" <<'PY'
import json, sys
def b64(path, label):
    t = open(path).read()
    t = t.split("-----BEGIN %s-----" % label)[1].split("-----END")[0]
    return "".join(t.split())
p = json.load(open(sys.argv[1]))
p["certs"] = [{"srv_cert": b64(sys.argv[2], "CERTIFICATE")},
              {"srv_key": b64(sys.argv[3], "PRIVATE KEY")}]
st = p["s"][0]["srv"]
st["tls"] = True; st["server_cert"] = "srv_cert"; st["server_key"] = "srv_key"
json.dump(p, open(sys.argv[1], "w"), indent=1)
PY
	scheme=https ws=wss curlca="--cacert $certs/ca.pem" wsca="--ca $certs/ca.pem"
fi
start_server "$tmp/srv.log" "$example" "$tmp/policy.json" || exit 1
fail=0

out=$(timeout 10 curl -s $curlca -D "$tmp/h" "$scheme://localhost:$port/a/b" \
	"$scheme://localhost:$port/c")
if [ "$out" = "$(printf 'GET /a/b: 0 bytes\nGET /c: 0 bytes')" ] &&
   grep -qi '^content-type: text/plain' "$tmp/h" && grep -q '^HTTP/1.1 200' "$tmp/h"; then
	echo "ok: two GETs on one $scheme connection"
else
	echo "FAIL: GET: '$out'"; cat "$tmp/h"; fail=1
fi
out=$(timeout 10 curl -s $curlca --data-binary 'hello there' "$scheme://localhost:$port/post")
[ "$out" = "POST /post: 11 bytes" ] && echo "ok: POST body to rx" ||
	{ echo "FAIL: POST: '$out'"; fail=1; }
head -c 100000 /dev/zero > "$tmp/big"
out=$(timeout 10 curl -s $curlca --data-binary @"$tmp/big" -H 'Transfer-Encoding: chunked' \
	"$scheme://localhost:$port/big")
[ "$out" = "POST /big: 100000 bytes" ] && echo "ok: chunked 100000-byte POST" ||
	{ echo "FAIL: chunked POST: '$out'"; fail=1; }

printf 'one\ntwo\nthree\n' | timeout 10 "$wsclient" "$ws://localhost:$port/" \
	--protocol loom-ss $wsca > "$tmp/ws.out" 2> "$tmp/ws.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(cat "$tmp/ws.out")" = "$(printf 'one\ntwo\nthree')" ]; then
	echo "ok: ws echo of 3 messages"
else
	echo "FAIL: ws rc $rc"; cat "$tmp/ws.out" "$tmp/ws.err"; fail=1
fi
kill "$srv_pid"; wait "$srv_pid"; rc=$?; srv_pid=
[ $rc -eq 0 ] && echo "ok: clean exit on SIGTERM" || { echo "FAIL: exit $rc"; fail=1; }
exit $fail
