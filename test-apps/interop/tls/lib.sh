# lib.sh: what the TLS interop scripts share (sourced): start a server on a free
# port and wait for its "listening on tls PORT" line, stop what was started, and
# the pass/fail bookkeeping. Each script stops only the PIDs it started.
# shellcheck shell=bash
set -u
certs=$1 bin=$2 backend=${3:-openssl}
tmp=$(mktemp -d)
pids=()
fail=0
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
need() { command -v "$1" >/dev/null || { echo "FAIL: $1 is not installed (contrib/deps.sh lists it)"; exit 1; }; }

# start_loom LOG CMD...: run CMD in the background, wait for its port; sets $port
start_loom() {
	local log=$1
	shift
	"$@" 2>"$log" &
	pids+=($!)
	port=
	for _ in $(seq 1 100); do
		port=$(sed -n 's/^listening on tls \([0-9]*\)$/\1/p' "$log" | head -n 1)
		[ -n "$port" ] && return 0
		sleep 0.05
	done
	echo "FAIL: $1 did not start"; cat "$log"; exit 1
}

# free_port: a port nobody listens on now
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
