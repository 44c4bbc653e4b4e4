# ss-common.sh: helpers the Secure Streams test scripts share (sourced).

# start_server LOG ARGS...: loom-test-server in the background; sets srv_pid,
# port (and tls_port when --tls-port is given) from its "listening on" lines
start_server() {
	local log=$1
	shift
	"$@" 2>"$log" &
	srv_pid=$!
	port= tls_port=
	for _ in $(seq 1 200); do
		port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$log" | head -1)
		tls_port=$(sed -n 's/^listening on tls \([0-9]*\)$/\1/p' "$log" | head -1)
		if [ -n "$port" ]; then
			case " $* " in *" --tls-port "*) [ -n "$tls_port" ] && return 0 ;;
			*) return 0 ;; esac
		fi
		sleep 0.05
	done
	echo "FAIL: the server printed no listening line"
	cat "$log"
	return 1
}

# pem_b64 FILE: the first certificate of a PEM file as one line of base64 DER,
# as the policy's "certs" want it
pem_b64() {
	sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$1" |
		sed '1d;$d' | tr -d '\n\r'
}

# free_port: a TCP port nothing listens on now
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
