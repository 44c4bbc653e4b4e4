#!/bin/bash
# curl-form.sh SERVER: minimal-http-server-form-post against curl: an urlencoded
# post, a multipart post with an 8 MB file (bytes and checksum must match what
# was sent), and a body that is not a form.
set -u
server=$1
tmp=$(mktemp -d)
pid=
fail=0
trap '[ -n "$pid" ] && kill $pid 2>/dev/null && wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
"$server" -p 0 2>"$tmp/log" &
pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: no listening line"; exit 1; }
u=http://127.0.0.1:$port/upload

r=$(curl -s --max-time 10 --data-urlencode 'text=hello world & more' "$u")
[ "$r" = "field text=hello world & more" ] && echo "ok: urlencoded" ||
	{ echo "FAIL: urlencoded: '$r'"; fail=1; }

head -c 8000000 /dev/urandom > "$tmp/up.bin"
# the server's checksum: s = s * 31 + byte, mod 2^32
sum=$(/usr/bin/python3 -c '
import sys
s = 0
for b in open(sys.argv[1], "rb").read():
    s = (s * 31 + b) & 0xffffffff
print(s)' "$tmp/up.bin")
r=$(curl -s --max-time 60 -F 'text=hi' -F "f=@$tmp/up.bin" "$u")
want="file f name=up.bin bytes=8000000 sum=$sum
field text=hi"
[ "$r" = "$want" ] && echo "ok: multipart with an 8 MB file" ||
	{ echo "FAIL: multipart: '$r' (want '$want')"; fail=1; }

[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' -d x "$u")" = 415 ] &&
	echo "ok: not a form -> 415" || { echo "FAIL: 415"; fail=1; }
exit $fail
