#!/usr/bin/env bash
# quickstart.sh: from a fresh Debian 12 machine to a running Loom. Installs the
# missing build packages, builds into build/, starts build/bin/loom-test-server in
# the background, checks that it answers, and says how to try it and stop it.
#   LOOM_PORT  the server's port (default 7681; 0 = any free port)
#   LOOM_TLS_PORT  its HTTPS port (default 7682; 0 = any free port)
#   LOOM_CERT, LOOM_KEY  the HTTPS certificate and key; without them a self-signed
#              one for localhost is made (openssl CLI) into build/tls/
set -u -o pipefail

cd "$(dirname "$(readlink -f "$0")")/.." || exit 1
# shellcheck source=contrib/deps.sh
. contrib/deps.sh

port=${LOOM_PORT:-7681}
tls_port=${LOOM_TLS_PORT:-7682}
cert=${LOOM_CERT:-} key=${LOOM_KEY:-}
server=build/bin/loom-test-server
pidfile=build/loom-test-server.pid
log=build/loom-test-server.log

die() { echo "quickstart: $*" >&2; exit 1; }

# shellcheck disable=SC2086 # the list is words
loom_install_debs $LOOM_DEBS_BUILD || die "installing the Debian packages failed"

# a fresh build/ uses Ninja; an existing one keeps the generator it was made with
gen=(-G Ninja)
[ -f build/CMakeCache.txt ] && gen=()
cmake -S . -B build "${gen[@]}" -DLOOM_WITH_TLS=openssl || die "cmake configure failed"
cmake --build build --parallel || die "the build failed"
[ -x "$server" ] || die "the build made no $server"

# stop the server an earlier quickstart run left running, so the port is free
if [ -f "$pidfile" ]; then
	old=$(cat "$pidfile")
	if [ -n "$old" ] && grep -qs loom-test-server "/proc/$old/cmdline"; then
		echo "quickstart: stopping the loom-test-server of an earlier run (pid $old)"
		kill "$old"
		for _ in $(seq 50); do
			kill -0 "$old" 2>/dev/null || break
			sleep 0.1
		done
	fi
	rm -f "$pidfile"
fi

# its own session, so it keeps running after this script and its terminal end
# a TLS certificate for localhost when none is given (kept across runs)
if [ -z "$cert" ] || [ -z "$key" ]; then
	cert=build/tls/localhost.pem key=build/tls/localhost.key
	if [ ! -s "$cert" ] || [ ! -s "$key" ]; then
		mkdir -p build/tls
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$key" -out "$cert" -days 365 -subj /CN=localhost \
			-addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" 2>/dev/null ||
			die "making a localhost certificate with the openssl CLI failed"
	fi
fi

setsid "$server" -p "$port" --tls-port "$tls_port" --cert "$cert" --key "$key" \
	</dev/null >"$log" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"

listening=""
for _ in $(seq 100); do
	listening=$(sed -n 's/^.*listening on \([0-9][0-9]*\).*$/\1/p' "$log" | head -n 1)
	[ -n "$listening" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$listening" ]; then
	cat "$log" >&2
	kill "$pid" 2>/dev/null
	rm -f "$pidfile"
	die "$server did not start listening (its log is above)"
fi

tls_listening=""
for _ in $(seq 20); do
	tls_listening=$(sed -n 's/^.*listening on tls \([0-9][0-9]*\).*$/\1/p' "$log" | head -n 1)
	[ -n "$tls_listening" ] && break
	sleep 0.1
done

# What to try: loom-test-server serves HTTP/1.1 (the demo site and POST /post).
# Checked with bash's /dev/tcp, which needs no other tool.
try_get="curl -v http://127.0.0.1:$listening/"
try_post="curl -d 'hello' http://127.0.0.1:$listening/post"
if reply=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$listening;
	printf 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3;
	head -n 1 <&3") && [ "${reply%$'\r'}" = "HTTP/1.1 200 OK" ]; then
	check="it answered GET / with 200 OK"
else
	check="WARNING: GET / did not answer 200 (got '${reply:-nothing}'); see $log"
fi

cat <<EOF

Loom is built in build/ and its test server is running:
  pid $pid, port $listening (HTTP/1.1), HTTPS on $tls_listening, log $log
  check: $check

Try it:
  open http://127.0.0.1:$listening/ in a browser, or
  $try_get
  $try_post
  curl --cacert $cert https://localhost:$tls_listening/   (HTTPS; the
    certificate is self-signed unless LOOM_CERT was given)

Stop it:
  kill $pid

Next: ./contrib/test.sh runs the whole test suite; see README.md and READMEs/.
EOF
