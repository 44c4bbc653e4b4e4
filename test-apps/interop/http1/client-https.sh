#!/bin/bash
# client-https.sh CLIENT TEST_SERVER CERTDIR: minimal-http-client over TLS against
# loom-test-server's --tls-port with the tls-certs fixture's certificates: a GET
# trusted through --ca, the same refused without it (unknown CA), a name the
# certificate does not have refused, and -k.
set -u
client=$1 server=$2 certs=$3
log=$(mktemp)
"$server" -p 0 --tls-port 0 --cert "$certs/server.pem" --key "$certs/server.key" 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log" "$log.o"' EXIT
tp=
for _ in $(seq 1 100); do
	tp=$(sed -n 's/^listening on tls \([0-9]*\)$/\1/p' "$log")
	[ -n "$tp" ] && break
	sleep 0.05
done
[ -n "$tp" ] || { echo "FAIL: no tls listening line"; cat "$log"; exit 1; }
fail=0
timeout 20 "$client" "https://localhost:$tp/" --ca "$certs/ca.pem" > "$log.o" &&
	grep -q loom-test-server "$log.o" && echo "ok: https GET, CA trusted" ||
	{ echo "FAIL: https GET"; fail=1; }
r=$(timeout 20 "$client" "https://localhost:$tp/" 2>&1 >/dev/null)
case "$r" in *"unknown CA"*) echo "ok: no --ca: refused ($r)" ;;
	*) echo "FAIL: untrusted server accepted: '$r'"; fail=1 ;; esac
r=$(timeout 20 "$client" "https://127.0.0.2:$tp/" --ca "$certs/ca.pem" 2>&1 >/dev/null)
case "$r" in *tls:*) echo "ok: a name not in the certificate: refused ($r)" ;;
	*) echo "FAIL: wrong name accepted: '$r'"; fail=1 ;; esac
timeout 20 "$client" "https://127.0.0.2:$tp/" -k > /dev/null &&
	echo "ok: -k accepts it" || { echo "FAIL: -k"; fail=1; }
exit $fail
