#!/bin/bash
# dns-lookup-test.sh LOOKUP ECHO-SERVER RAW-CLIENT: run under with-dnsmasq.py
# (LOOM_TEST_DNS=ip:port). minimal-dns-lookup prints the addresses of names and
# fails on unknown ones; minimal-raw-client connects to a host name resolved by
# DNS (its nameserver given with LOOM_RESOLV_CONF). Stops what it starts by PID.
set -u
lookup=$1 server=$2 client=$3
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
check() { # name expected-output args...
	local want=$1; shift
	local got
	got=$(timeout 20 "$lookup" "$@" -s "$LOOM_TEST_DNS" 2>/dev/null | tr '\n' ' ')
	if [ "$got" = "$want" ]; then echo "ok: $* -> $got"; else echo "FAIL: $* -> '$got', want '$want'"; fail=1; fi
}
check "192.0.2.1 " a.loom.test
check "192.0.2.1 " www.loom.test -4
check "2001:db8:0:0:0:0:0:1 " v6.loom.test
check "2001:db8:0:0:0:0:0:10 192.0.2.10 " both.loom.test
if timeout 20 "$lookup" nope.loom.test -s "$LOOM_TEST_DNS" 2>"$tmp/err"; then
	echo "FAIL: NXDOMAIN exits 0"; fail=1
elif grep -q "NXDOMAIN for nope.loom.test" "$tmp/err"; then
	echo "ok: nope.loom.test -> $(cat "$tmp/err")"
else
	echo "FAIL: NXDOMAIN reason: $(cat "$tmp/err")"; fail=1
fi

# minimal-raw-client with a host name from DNS
echo "nameserver $LOOM_TEST_DNS" > "$tmp/resolv.conf"
"$server" -p 0 2>"$tmp/server.log" &
pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/server.log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: echo server did not start"; exit 1; }
printf 'hello by name\n' > "$tmp/in"
if LOOM_RESOLV_CONF="$tmp/resolv.conf" timeout 20 "$client" "local.loom.test:$port" \
		< "$tmp/in" > "$tmp/out" && cmp -s "$tmp/in" "$tmp/out"; then
	echo "ok: minimal-raw-client local.loom.test:$port echoed"
else
	echo "FAIL: minimal-raw-client by name"; fail=1
fi
if LOOM_RESOLV_CONF="$tmp/resolv.conf" timeout 20 "$client" "nope.loom.test:$port" \
		< "$tmp/in" > /dev/null 2>"$tmp/err"; then
	echo "FAIL: minimal-raw-client to an unknown name exits 0"; fail=1
else
	echo "ok: unknown name: $(cat "$tmp/err")"
fi
exit $fail
