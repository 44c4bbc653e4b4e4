#!/bin/bash
# curl-static.sh SERVER: start minimal-http-server (or anything taking -p 0 --root
# DIR) on a free port over a generated directory and check with curl: GET, HEAD,
# Range (206/416), conditional GET (304), keep-alive reuse, a large file by sha256,
# directory redirect, path traversal and symlinks out of the root refused, 405, and
# pipelined requests answered in order. Stops the server by PID.
set -u
server=$1
tmp=$(mktemp -d)
pid=
fail=0
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

command -v curl >/dev/null || { echo "FAIL: curl is not installed (contrib/test.sh installs it)"; exit 1; }

root=$tmp/root
mkdir -p "$root/sub" "$tmp/outside"
head -c 1024 /dev/urandom > "$root/small.bin"
head -c 5000000 /dev/urandom > "$root/big.bin"
echo "<p>sub index</p>" > "$root/sub/index.html"
echo "secret" > "$tmp/outside/secret.txt"
ln -s "$tmp/outside/secret.txt" "$root/escape.txt"
echo "hello" > "$root/hello.txt"

"$server" -p 0 --root "$root" 2>"$tmp/server.log" &
pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/server.log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: server did not start"; cat "$tmp/server.log"; exit 1; }
u=http://127.0.0.1:$port
c() { curl -s --max-time 10 "$@"; }

# GET, whole and by sha256 for a large file
c -o "$tmp/o" "$u/small.bin" && cmp -s "$tmp/o" "$root/small.bin" && ok "GET 1 KiB" || bad "GET 1 KiB"
c -o "$tmp/o" "$u/big.bin" &&
	[ "$(sha256sum < "$tmp/o")" = "$(sha256sum < "$root/big.bin")" ] &&
	ok "GET 5 MB, sha256 matches" || bad "GET 5 MB"

# HEAD: the headers of a GET, no body
h=$(c -I "$u/small.bin")
echo "$h" | grep -qi '^content-length: 1024' && ok "HEAD Content-Length" || bad "HEAD: $h"
[ "$(c -X HEAD -o - "$u/small.bin" | wc -c)" = 0 ] && ok "HEAD has no body" || bad "HEAD body"

# Range
[ "$(c -w '%{http_code}' -r 0-99 -o "$tmp/o" "$u/small.bin")" = 206 ] &&
	cmp -s "$tmp/o" <(head -c 100 "$root/small.bin") && ok "Range 0-99 -> 206" || bad "Range 0-99"
[ "$(c -w '%{http_code}' -r -10 -o "$tmp/o" "$u/small.bin")" = 206 ] &&
	cmp -s "$tmp/o" <(tail -c 10 "$root/small.bin") && ok "Range -10 -> 206" || bad "Range -10"
[ "$(c -w '%{http_code}' -r 5000-6000 -o /dev/null "$u/small.bin")" = 416 ] &&
	ok "Range past the end -> 416" || bad "Range 416"

# conditional requests
etag=$(c -I "$u/hello.txt" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
[ "$(c -w '%{http_code}' -H "If-None-Match: $etag" -o /dev/null "$u/hello.txt")" = 304 ] &&
	ok "If-None-Match -> 304" || bad "If-None-Match ($etag)"
lm=$(c -I "$u/hello.txt" | tr -d '\r' | sed -n 's/^[Ll]ast-[Mm]odified: //p')
[ "$(c -w '%{http_code}' -H "If-Modified-Since: $lm" -o /dev/null "$u/hello.txt")" = 304 ] &&
	ok "If-Modified-Since -> 304" || bad "If-Modified-Since ($lm)"
[ "$(c -w '%{http_code}' -H 'If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT' -o /dev/null "$u/hello.txt")" = 200 ] &&
	ok "old If-Modified-Since -> 200" || bad "old If-Modified-Since"

# keep-alive: two URLs, one connection
c -v -o /dev/null -o /dev/null "$u/hello.txt" "$u/small.bin" 2>&1 |
	grep -q 'Re-using existing connection' && ok "keep-alive reuse" || bad "keep-alive reuse"

# directories, traversal, symlinks, methods
[ "$(c -w '%{http_code}' -o /dev/null "$u/sub")" = 301 ] && ok "/sub -> 301" || bad "/sub redirect"
c "$u/sub/" | grep -q 'sub index' && ok "/sub/ -> index.html" || bad "/sub/ index"
for p in /../outside/secret.txt /%2e%2e/outside/secret.txt /sub/../../outside/secret.txt \
	 /escape.txt '/hello.txt%00.html' /%2fetc/passwd; do
	out=$(c --path-as-is -w ' %{http_code}' "$u$p")
	code=${out##* }
	case "$code" in
	400|403|404) case "$out" in *secret*|*root:*) bad "$p leaked";; *) ok "$p -> $code";; esac ;;
	*) bad "$p -> $code" ;;
	esac
done
[ "$(c -w '%{http_code}' -X POST -d x -o /dev/null "$u/hello.txt")" = 405 ] && ok "POST to a file -> 405" || bad "POST 405"
[ "$(c -w '%{http_code}' -o /dev/null "$u/nope")" = 404 ] && ok "missing -> 404" || bad "404"

# pipelining: two requests in one write, answers in order
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /sub/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
resp=$(timeout 5 cat <&3)
exec 3>&-
n=$(printf '%s' "$resp" | grep -c '^HTTP/1.1 200')
first=$(printf '%s' "$resp" | grep -n 'hello' | head -1 | cut -d: -f1)
second=$(printf '%s' "$resp" | grep -n 'sub index' | head -1 | cut -d: -f1)
[ "$n" = 2 ] && [ -n "$first" ] && [ -n "$second" ] && [ "$first" -lt "$second" ] &&
	ok "pipelined requests answered in order" || bad "pipelining: $resp"

kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] && ok "clean exit on SIGTERM" || bad "server exit $rc"
exit $fail
