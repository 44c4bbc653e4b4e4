#!/bin/bash
# client-peers.sh CLIENT TEST_SERVER: minimal-http-client against real servers on
# 127.0.0.1: python3's http.server (files, chunked with extensions and trailers,
# close-delimited bodies, error statuses), nginx (static files), and
# loom-test-server (TEST_SERVER "-": a client-only build has none; the rest runs).
# Bodies are compared byte for byte; a non-2xx must exit non-zero.
set -u
client=$1 loomsrv=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pids=""
fail=0
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
wait_port() {	# wait_port LOG [PREFIX]: print the port from "listening on PORT"
	local p=
	for _ in $(seq 1 100); do
		p=$(sed -n "s/^listening on \([0-9]*\)$/\1/p" "$1" | head -1)
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.05
	done
	return 1
}
for t in /usr/bin/python3 nginx; do
	command -v $t >/dev/null || [ -x "$t" ] || [ -x "/usr/sbin/$t" ] ||
		{ echo "FAIL: $t is not installed (contrib/test.sh installs it)"; exit 1; }
done

mkdir -p "$tmp/root"
# nginx workers may run as another user: let them read the files
chmod 755 "$tmp" "$tmp/root"
head -c 3000000 /dev/urandom > "$tmp/root/big.bin"
echo "small file" > "$tmp/root/small.txt"
chmod 644 "$tmp/root/"*
/usr/bin/python3 - "$tmp/want1m" <<'PY'
import sys
open(sys.argv[1], "wb").write(bytes((i * 7 + 3) & 0xff for i in range(1 << 20)))
PY

# python3's http.server
/usr/bin/python3 "$here/py-peer-server.py" "$tmp/root" 2>"$tmp/py.log" &
pids="$pids $!"
py=$(wait_port "$tmp/py.log") || { bad "python server did not start"; exit 1; }
"$client" "http://127.0.0.1:$py/big.bin" > "$tmp/o" && cmp -s "$tmp/o" "$tmp/root/big.bin" &&
	ok "python: 3 MB file" || bad "python: 3 MB file"
"$client" "http://127.0.0.1:$py/chunked/1048576" > "$tmp/o" && cmp -s "$tmp/o" "$tmp/want1m" &&
	ok "python: chunked with extensions and trailer" || bad "python: chunked"
"$client" "http://127.0.0.1:$py/close/1048576" > "$tmp/o" && cmp -s "$tmp/o" "$tmp/want1m" &&
	ok "python: close-delimited body" || bad "python: close-delimited"
"$client" "http://127.0.0.1:$py/status/404" > /dev/null 2>&1 && bad "404 exits 0" ||
	ok "python: 404 exits non-zero"
"$client" "http://127.0.0.1:$py/status/204" > /dev/null && ok "python: 204 exits 0" ||
	bad "python: 204"
# redirects: followed with -L (relative and absolute), a loop stops at the limit
"$client" "http://127.0.0.1:$py/redirect/302/small.txt" -L > "$tmp/o" &&
	cmp -s "$tmp/o" "$tmp/root/small.txt" && ok "python: 302 followed" || bad "302 followed"
"$client" "http://127.0.0.1:$py/redirect-abs/301/redirect/307/small.txt" -L > "$tmp/o" &&
	cmp -s "$tmp/o" "$tmp/root/small.txt" && ok "python: 301 (absolute) then 307 followed" ||
	bad "301 then 307 followed"
"$client" "http://127.0.0.1:$py/redirect/302/small.txt" > /dev/null 2>&1 &&
	bad "302 without -L exits 0" || ok "python: 302 without -L exits non-zero"
timeout 20 "$client" "http://127.0.0.1:$py/loop" -L > /dev/null 2>&1 &&
	bad "a redirect loop exits 0" || ok "python: a redirect loop stops at the limit"

# nginx with a generated config
ngx=$(command -v nginx || echo /usr/sbin/nginx)
mkdir -p "$tmp/ngx"
cat > "$tmp/ngx/nginx.conf" <<NGX
worker_processes 1;
pid $tmp/ngx/nginx.pid;
error_log $tmp/ngx/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $tmp/ngx/body;
	proxy_temp_path $tmp/ngx/proxy;
	fastcgi_temp_path $tmp/ngx/fcgi;
	uwsgi_temp_path $tmp/ngx/uwsgi;
	scgi_temp_path $tmp/ngx/scgi;
	server { listen 127.0.0.1:0; root $tmp/root; }
}
NGX
# nginx cannot listen on port 0 and report it: pick a free port first
nport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i "s/127.0.0.1:0/127.0.0.1:$nport/" "$tmp/ngx/nginx.conf"
"$ngx" -c "$tmp/ngx/nginx.conf" -g 'daemon off;' 2>"$tmp/ngx/stderr" &
pids="$pids $!"
for _ in $(seq 1 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$nport") 2>/dev/null && break
	sleep 0.05
done
"$client" "http://127.0.0.1:$nport/big.bin" > "$tmp/o" && cmp -s "$tmp/o" "$tmp/root/big.bin" &&
	ok "nginx: 3 MB file" || bad "nginx: 3 MB file ($(cat "$tmp/ngx/stderr" "$tmp/ngx/error.log" 2>/dev/null | tail -2))"
[ "$("$client" "http://127.0.0.1:$nport/small.txt")" = "small file" ] &&
	ok "nginx: small file" || bad "nginx: small file"
"$client" "http://127.0.0.1:$nport/none" > /dev/null 2>&1 && bad "nginx 404 exits 0" ||
	ok "nginx: 404 exits non-zero"

# loom-test-server, and a refused port
if [ "$loomsrv" != - ]; then
	"$loomsrv" -p 0 --root "$tmp/root" 2>"$tmp/loom.log" &
	pids="$pids $!"
	lp=$(wait_port "$tmp/loom.log") || { bad "loom-test-server did not start"; exit 1; }
	"$client" "http://127.0.0.1:$lp/big.bin" > "$tmp/o" &&
		cmp -s "$tmp/o" "$tmp/root/big.bin" &&
		ok "loom-test-server: 3 MB file" || bad "loom-test-server: 3 MB file"
fi
dead=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout 20 "$client" "http://127.0.0.1:$dead/" > /dev/null 2>&1 && bad "refused exits 0" ||
	ok "refused connection exits non-zero"
exit $fail
