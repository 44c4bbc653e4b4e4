#!/bin/bash
# against-peer.sh nghttpd|h2o [case filter]: runs h2-conformance.py against a reference
# h2c server (Debian nghttp2-server's nghttpd, or h2o) on a port picked at run time,
# to check the script itself.  Known results are in README.md.  Stops the server by PID.
set -u
peer=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$tmp/root"
# the flow-control cases need a body of 16 bytes or more
head -c 4096 /dev/urandom | base64 > "$tmp/root/index.html"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
case $peer in
nghttpd)
	command -v nghttpd >/dev/null || { echo "FAIL: nghttpd missing (apt install nghttp2-server)"; exit 1; }
	nghttpd --no-tls -a 127.0.0.1 -d "$tmp/root" "$port" >"$tmp/peer.log" 2>&1 &
	pid=$! ;;
h2o)
	command -v h2o >/dev/null || { echo "FAIL: h2o missing (apt install h2o)"; exit 1; }
	cat > "$tmp/h2o.conf" <<CONF
listen:
  host: 127.0.0.1
  port: $port
user: root
num-threads: 1
pid-file: $tmp/h2o.pid
error-log: $tmp/peer.log
hosts:
  default:
    paths:
      /:
        file.dir: $tmp/root
CONF
	h2o -c "$tmp/h2o.conf" >"$tmp/peer.log" 2>&1 &
	pid=$! ;;
*)
	echo "usage: $0 nghttpd|h2o [filter]"; exit 2 ;;
esac
for _ in $(seq 1 100); do
	/usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
	sleep 0.05
done
timeout 600 /usr/bin/python3 "$here/h2-conformance.py" --path /index.html "$@" "$port"
