#!/bin/bash
# client-peers.sh BINDIR CERTDIR TLS: Loom's HTTP/2 client (minimal-http-client,
# -post and -multi from BINDIR) against nghttpd (Debian nghttp2-server), h2o and
# loom-test-server, over h2c (prior knowledge) and, unless TLS is "none", over TLS
# (ALPN h2): a 1 MB GET checked by sha256, a 404, a GET with a 20000-byte header
# (HEADERS + CONTINUATION), 16 parallel GETs on one
# connection, and on h2o's plain port the 1 MB GET by "Upgrade: h2c" too (nghttpd's
# plain port speaks nothing but h2); POST bodies
# (300 KB, chunked 100 KB: past the 64 KiB windows) and an h2c upgrade GET to
# loom-test-server. Peers on 127.0.0.1, ports picked here, stopped by
# PID. A missing peer fails.
set -u
bin=$1 certs=$2 tls=$3
tmp=$(mktemp -d)
pids=()
fail=0
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
for c in nghttpd h2o /usr/bin/python3; do
	command -v "$c" >/dev/null || { echo "FAIL: $c is not installed (contrib/deps.sh)"; exit 1; }
done
cli=$bin/minimal-http-client post=$bin/minimal-http-client-post multi=$bin/minimal-http-client-multi
doc=$tmp/doc
mkdir -p "$doc"
head -c 1000000 /dev/urandom > "$doc/big.bin"
echo "hello peers" > "$doc/index.html"
want=$(sha256sum < "$doc/big.bin")
bighdr=$(head -c 20000 /dev/zero | tr '\0' a)

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
h2o_conf() {	# PORT MODE
	{
		echo "num-threads: 1"
		echo "user: $(id -un)"
		echo "pid-file: $tmp/h2o.$1.pid"
		echo "error-log: $tmp/h2o.$1.log"
		echo "listen:"
		echo "  host: 127.0.0.1"
		echo "  port: $1"
		if [ "$2" = tls ]; then
			echo "  ssl:"
			echo "    certificate-file: $certs/server.pem"
			echo "    key-file: $certs/server.key"
		fi
		echo "hosts:"
		echo "  default:"
		echo "    paths:"
		echo "      /:"
		echo "        file.dir: $doc"
	} > "$tmp/h2o.$1.conf"
}
start_peer() {	# PEER MODE -> sets url
	local p
	p=$(free_port)
	case $1 in
	nghttpd)
		if [ "$2" = tls ]; then
			nghttpd -d "$doc" "$p" "$certs/server.key" "$certs/server.pem" >/dev/null 2>&1 &
		else
			nghttpd --no-tls -d "$doc" "$p" >/dev/null 2>&1 &
		fi ;;
	h2o)
		h2o_conf "$p" "$2"
		h2o -c "$tmp/h2o.$p.conf" >/dev/null 2>&1 & ;;
	esac
	pids+=($!)
	wait_port "$p" || { bad "$1 $2 did not start"; return 1; }
	if [ "$2" = tls ]; then url=https://localhost:$p; else url=http://127.0.0.1:$p; fi
}
get_args() { if [ "$1" = tls ]; then echo "--http2 --ca $certs/ca.pem"; else echo "--http2-prior-knowledge"; fi; }

modes=h2c
[ "$tls" != none ] && modes="h2c tls"
for peer in nghttpd h2o; do
	for m in $modes; do
		start_peer "$peer" "$m" || continue
		# shellcheck disable=SC2046
		got=$(timeout 20 "$cli" "$url/big.bin" $(get_args "$m") -d 15 2>"$tmp/err" | sha256sum)
		if [ "$got" = "$want" ] && grep -q "h2: client connection" "$tmp/err"; then
			ok "$peer $m: 1 MB GET over h2, sha256 matches"
		else
			bad "$peer $m: 1 MB GET"; tail -5 "$tmp/err"
		fi
		# nghttpd's plain port speaks only h2 (no HTTP/1.1, so no Upgrade)
		if [ "$m" = h2c ] && [ "$peer" != nghttpd ]; then
			got=$(timeout 20 "$cli" "$url/big.bin" --http2 -d 15 2>"$tmp/err" | sha256sum)
			if [ "$got" = "$want" ] && grep -q "upgraded from HTTP/1.1" "$tmp/err"; then
				ok "$peer h2c: 1 MB GET after Upgrade: h2c, sha256 matches"
			else
				bad "$peer h2c upgrade: 1 MB GET"; tail -5 "$tmp/err"
			fi
		fi
		# shellcheck disable=SC2046
		if timeout 20 "$cli" "$url/nothere" $(get_args "$m") >/dev/null 2>"$tmp/err"; then
			bad "$peer $m: a 404 counted as success"
		elif grep -q "status 404" "$tmp/err"; then
			ok "$peer $m: 404 reported"
		else
			bad "$peer $m: 404"; cat "$tmp/err"
		fi
		# a 20000-byte request header: HEADERS + CONTINUATION (past 16384)
		# shellcheck disable=SC2046
		if timeout 20 "$cli" "$url/index.html" $(get_args "$m") --max-head 40000 \
		   -H "X-Big: $bighdr" > "$tmp/out" 2>"$tmp/err" &&
		   grep -q "hello peers" "$tmp/out"; then
			ok "$peer $m: GET with a 20000-byte header (HEADERS + CONTINUATION)"
		else
			bad "$peer $m: GET with a 20000-byte header"; tail -5 "$tmp/err"
		fi
		margs=()
		[ "$m" = tls ] && margs=(--ca "$certs/ca.pem")
		if timeout 30 "$multi" "$url/index.html" -n 16 "${margs[@]}" > "$tmp/out" 2>&1 &&
		   grep -q "all completed over one h2 connection" "$tmp/out" &&
		   [ "$(grep -c 'status 200, 12 bytes' "$tmp/out")" = 16 ]; then
			ok "$peer $m: 16 parallel GETs on one connection"
		else
			bad "$peer $m: 16 parallel GETs"; cat "$tmp/out"
		fi
	done
done

# a TLS server without h2 (Python, HTTP/1.1 keep-alive, no ALPN): the requests
# that queued for an h2 connection take the first one's socket and TLS session in
# turn, so all four are answered over one TLS connection
if [ "$tls" != none ]; then
	/usr/bin/python3 - "$certs" 2>"$tmp/py.log" <<'PY' &
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        print("connection", file=sys.stderr, flush=True)
    def do_GET(self):
        b = b"hello h1"
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain(sys.argv[1] + "/server.pem", sys.argv[1] + "/server.key")
s.socket = c.wrap_socket(s.socket, server_side=True)
print("listening on %d" % s.server_address[1], file=sys.stderr, flush=True)
s.serve_forever()
PY
	pids+=($!)
	pp=
	for _ in $(seq 1 100); do
		pp=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/py.log"); [ -n "$pp" ] && break; sleep 0.05
	done
	timeout 30 "$multi" "https://localhost:$pp/" -n 4 --ca "$certs/ca.pem" > "$tmp/out" 2>&1
	if [ "$(grep -c 'status 200, 8 bytes' "$tmp/out")" = 4 ] &&
	   [ "$(grep -c '^connection' "$tmp/py.log")" = 1 ]; then
		ok "TLS HTTP/1.1 server: 4 queued requests over one TLS connection in turn"
	else
		bad "TLS HTTP/1.1 keep-alive hand-over"; cat "$tmp/out" "$tmp/py.log"
	fi
fi

# POST (request bodies past the stream and connection windows) to our own server
"$bin/loom-test-server" -p 0 2>"$tmp/lts.log" &
pids+=($!)
lp=
for _ in $(seq 1 100); do
	lp=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/lts.log"); [ -n "$lp" ] && break; sleep 0.05
done
if [ -z "$lp" ]; then
	bad "loom-test-server did not start"
else
	r=$(timeout 20 "$post" "http://127.0.0.1:$lp/post" --size 300000 --http2-prior-knowledge -d 15 2>"$tmp/err")
	if [ "$r" = "received 300000 bytes" ] && grep -q "h2: client connection" "$tmp/err"; then
		ok "loom h2c: POST 300000 bytes"
	else bad "loom h2c: POST 300000: '$r'"; tail -5 "$tmp/err"; fi
	r=$(timeout 20 "$cli" "http://127.0.0.1:$lp/" --http2 -d 15 2>"$tmp/err")
	if echo "$r" | grep -q loom-test-server && grep -q "upgraded from HTTP/1.1" "$tmp/err"; then
		ok "loom h2c: GET after Upgrade: h2c"
	else bad "loom h2c: upgrade GET"; tail -5 "$tmp/err"; fi
	r=$(timeout 20 "$post" "http://127.0.0.1:$lp/post" --size 100000 --chunked --http2-prior-knowledge 2>&1)
	[ "$r" = "received 100000 bytes" ] && ok "loom h2c: POST of unknown length, 100000 bytes" ||
		bad "loom h2c: POST unknown length: '$r'"
fi
exit $fail
