#!/bin/bash
# ss-h2.sh EXAMPLE TEST_SERVER POLICY [CERTDIR]: minimal-ss-hello-world with its
# policy's stream type made "protocol": "h2", against loom-test-server on a port
# picked at run time: over h2c (prior knowledge), and given CERTDIR over TLS (ALPN
# h2, trust store of the test CA). It must fetch index.html, report its content
# type from the response header into the metadata and exit 0, and the server must
# have served it as HTTP/2.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ss-common.sh"
example=$1 server=$2 policy=$3 certs=${4:-}
tmp=$(mktemp -d)
srv_pid=
trap '[ -n "$srv_pid" ] && kill $srv_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

if [ -n "$certs" ]; then
	start_server "$tmp/srv.log" "$server" -d 15 -p 0 --tls-port 0 \
		--cert "$certs/server.pem" --key "$certs/server.key" || exit 1
	use_port=$tls_port
	ca=$(pem_b64 "$certs/ca.pem")
else
	start_server "$tmp/srv.log" "$server" -d 15 -p 0 || exit 1
	use_port=$port ca=
fi
/usr/bin/python3 - "$policy" "$tmp/policy.json" "$use_port" "$ca" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
st = p["s"][0]["hello"]
st["port"] = int(sys.argv[3]); st["protocol"] = "h2"
if sys.argv[4]:
    p["certs"] = [{"test_ca": sys.argv[4]}]
    p["trust_stores"] = [{"name": "test", "stack": ["test_ca"]}]
    st["tls"] = True; st["tls_trust_store"] = "test"
json.dump(p, open(sys.argv[2], "w"), indent=1)
PY
grep -q '"protocol": "h2"' "$tmp/policy.json" || { echo "FAIL: policy"; exit 1; }

timeout 20 "$example" "$tmp/policy.json" > "$tmp/out" 2> "$tmp/err"
rc=$?
if [ $rc -eq 0 ] && grep -q loom-test-server "$tmp/out" &&
   grep -q '^ctype: text/html' "$tmp/err" && grep -q '^state CONNECTED' "$tmp/err" &&
   grep -q "h2: server connection" "$tmp/srv.log"; then
	echo "ok: hello world over h2${certs:+ (tls)}, port $use_port ($(wc -c < "$tmp/out") bytes)"
	exit 0
fi
echo "FAIL: hello world over h2 rc $rc"; cat "$tmp/err"; grep -c "h2: server" "$tmp/srv.log"
exit 1
