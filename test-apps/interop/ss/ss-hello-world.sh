#!/bin/bash
# ss-hello-world.sh EXAMPLE TEST_SERVER POLICY [CERTDIR]: minimal-ss-hello-world
# against loom-test-server on a port picked at run time: the example's own policy
# file with that port (and, given CERTDIR, "tls" with a trust store made of the
# test CA) must fetch index.html, report its content type from the response
# header into the metadata, and exit 0. Without TLS, a policy pointing at a
# redirector (a 302 to the server) with "allow_redirects" must get there too.
# Then a policy naming a port nothing listens on must end in ALL_RETRIES_FAILED
# after the retry table's attempts and exit non-zero.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ss-common.sh"
example=$1 server=$2 policy=$3 certs=${4:-}
tmp=$(mktemp -d)
srv_pid=
trap '[ -n "$srv_pid" ] && kill $srv_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

if [ -n "$certs" ]; then
	start_server "$tmp/srv.log" "$server" -p 0 --tls-port 0 \
		--cert "$certs/server.pem" --key "$certs/server.key" || exit 1
	use_port=$tls_port
	ca=$(pem_b64 "$certs/ca.pem")
	/usr/bin/python3 - "$policy" "$tmp/policy.json" "$use_port" "$ca" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["certs"] = [{"test_ca": sys.argv[4]}]
p["trust_stores"] = [{"name": "test", "stack": ["test_ca"]}]
st = p["s"][0]["hello"]
st["port"] = int(sys.argv[3]); st["tls"] = True; st["tls_trust_store"] = "test"
json.dump(p, open(sys.argv[2], "w"), indent=1)
PY
else
	start_server "$tmp/srv.log" "$server" -p 0 || exit 1
	use_port=$port
	sed "s/\"port\": 7681/\"port\": $use_port/" "$policy" > "$tmp/policy.json"
fi
grep -q "\"port\": *$use_port" "$tmp/policy.json" || { echo "FAIL: policy port"; exit 1; }

fail=0
timeout 20 "$example" "$tmp/policy.json" > "$tmp/out" 2> "$tmp/err"
rc=$?
if [ $rc -eq 0 ] && grep -q loom-test-server "$tmp/out" &&
   grep -q '^ctype: text/html' "$tmp/err" && grep -q '^state CONNECTED' "$tmp/err"; then
	echo "ok: hello world over ${certs:+tls }port $use_port ($(wc -c < "$tmp/out") bytes)"
else
	echo "FAIL: hello world rc $rc"; cat "$tmp/err"; fail=1
fi

# a 302 to the real server, followed with "allow_redirects"
if [ -z "$certs" ]; then
	/usr/bin/python3 - "$use_port" > "$tmp/redir.port" 2>/dev/null <<'PY' &
import http.server, sys
target = int(sys.argv[1])
class R(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", "http://localhost:%d/index.html" % target)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), R)
print(s.server_address[1], flush=True)
s.handle_request()
PY
	redir_pid=$!
	for _ in $(seq 1 100); do [ -s "$tmp/redir.port" ] && break; sleep 0.05; done
	rp=$(cat "$tmp/redir.port")
	/usr/bin/python3 - "$tmp/policy.json" "$tmp/redir.json" "$rp" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
st = p["s"][0]["hello"]
st["port"] = int(sys.argv[3]); st["endpoint"] = "127.0.0.1"; st["allow_redirects"] = True
json.dump(p, open(sys.argv[2], "w"))
PY
	timeout 20 "$example" "$tmp/redir.json" > "$tmp/out3" 2> "$tmp/err3"
	rc=$?
	kill $redir_pid 2>/dev/null; wait $redir_pid 2>/dev/null
	if [ $rc -eq 0 ] && grep -q loom-test-server "$tmp/out3" &&
	   grep -q '^state QOS_ACK_REMOTE (200)' "$tmp/err3"; then
		echo "ok: a 302 from port $rp followed to the server"
	else
		echo "FAIL: redirect rc $rc"; cat "$tmp/err3"; fail=1
	fi
fi

# nothing listening: the retries run out (backoff 100, 250, 500, 1000 ms)
dead=$(free_port)
sed "s/\"port\": *$use_port/\"port\": $dead/" "$tmp/policy.json" > "$tmp/dead.json"
timeout 20 "$example" "$tmp/dead.json" > /dev/null 2> "$tmp/err2"
rc=$?
n=$(grep -c '^state UNREACHABLE' "$tmp/err2")
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q '^state ALL_RETRIES_FAILED' "$tmp/err2" &&
   [ "$n" -eq 5 ]; then
	echo "ok: nothing on port $dead: $n attempts, then ALL_RETRIES_FAILED"
else
	echo "FAIL: dead port: rc $rc, $n attempts"; cat "$tmp/err2"; fail=1
fi
exit $fail
