# shellcheck shell=bash disable=SC2034
# bench-common.sh: shell helpers shared by the Loom benchmark scripts
# (test-apps/bench/*/run.sh, DESIGN.md section 9).  Source it from bash:
#
#   . "$(dirname "$0")/../lib/bench-common.sh"
#   bench_init                      # temp dir + EXIT trap that stops our PIDs
#   bench_start_server 0 10 "$SRV" -p 0   # sets BENCH_PID, BENCH_PORT
#   t0=$(bench_cpu_ticks "$BENCH_PID") ... bench_stop "$BENCH_PID"
#
# Every process started through these helpers is recorded and stopped by PID
# (never by name) when the script exits.  Functions return values on stdout,
# except bench_start_server, which sets globals (a command substitution would
# make the server the child of a subshell).

BENCH_TMP=""
BENCH_PIDS=""
BENCH_PID=""
BENCH_PORT=""
BENCH_ERR=""
BENCH_RC=0
BENCH_CPUS=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
BENCH_CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

bench_log() {
	echo "$*" >&2
}

bench_die() {
	echo "bench: error: $*" >&2
	exit 1
}

# Stop every recorded process that is still running, remove the temp dir.
bench_cleanup() {
	local pid
	for pid in $BENCH_PIDS; do
		bench_stop "$pid" 3 2>/dev/null || true
	done
	BENCH_PIDS=""
	if [ -n "$BENCH_TMP" ] && [ -d "$BENCH_TMP" ]; then
		rm -rf "$BENCH_TMP"
	fi
}

bench_init() {
	BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/loom-bench.XXXXXX") ||
		bench_die "mktemp failed"
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

bench_track() {
	BENCH_PIDS="$BENCH_PIDS $1"
}

bench_untrack() {
	local p out=""
	for p in $BENCH_PIDS; do
		[ "$p" = "$1" ] || out="$out $p"
	done
	BENCH_PIDS=$out
}

# bench_alive PID: true while PID runs (a zombie counts as gone).
bench_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != "Z" ] && [ "$st" != "X" ]
}

# bench_pin CPU: prints the command prefix that pins to CPU (empty when the
# machine has fewer CPUs or taskset is missing).
bench_pin() {
	if [ "$1" -lt "$BENCH_CPUS" ] && command -v taskset >/dev/null 2>&1; then
		echo "taskset -c $1"
	fi
}

# bench_start_server CPU TIMEOUT_S CMD ARGS...
# Starts CMD pinned to CPU with stderr in $BENCH_TMP/server.PID.err and waits
# up to TIMEOUT_S seconds for its "listening on PORT" line (DESIGN.md 10).
# Sets BENCH_PID, BENCH_PORT and BENCH_ERR (the stderr file).
bench_start_server() {
	local cpu=$1 tmo=$2 err pin i
	shift 2
	err="$BENCH_TMP/server.$RANDOM.$RANDOM.err"
	pin=$(bench_pin "$cpu")
	: >"$err"
	# shellcheck disable=SC2086
	$pin "$@" </dev/null >/dev/null 2>"$err" &
	BENCH_PID=$!
	BENCH_ERR=$err
	bench_track "$BENCH_PID"
	BENCH_PORT=""
	i=0
	while [ "$i" -lt $((tmo * 20)) ]; do
		BENCH_PORT=$(sed -n 's/.*listening on \([0-9][0-9]*\).*/\1/p' "$err" |
			head -n 1)
		[ -n "$BENCH_PORT" ] && return 0
		bench_alive "$BENCH_PID" || break
		sleep 0.05
		i=$((i + 1))
	done
	bench_log "--- stderr of $*:"
	tail -n 20 "$err" >&2
	bench_stop "$BENCH_PID" 2 2>/dev/null
	bench_die "$1 did not print 'listening on PORT' within ${tmo}s"
}

# bench_stop PID [TIMEOUT_S [SIGNAL]]: SIGINT (default) then waits, SIGKILL
# after TIMEOUT_S (default 5).  Sets BENCH_RC to the exit status and returns
# it (137 when it had to be killed).  Not from a subshell: PID must be our
# child.
bench_stop() {
	local pid=$1 tmo=${2:-5} sig=${3:-INT} i=0 rc=0
	if bench_alive "$pid"; then
		kill "-$sig" "$pid" 2>/dev/null
		while bench_alive "$pid" && [ "$i" -lt $((tmo * 20)) ]; do
			sleep 0.05
			i=$((i + 1))
		done
		if bench_alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	bench_untrack "$pid"
	BENCH_RC=$rc
	return "$rc"
}

# bench_cpu_ticks PID: utime+stime of the process (all threads), in clock
# ticks (/proc/PID/stat fields 14 and 15; see BENCH_CLK_TCK).
bench_cpu_ticks() {
	local rest
	rest=$(sed 's/^.*) //' "/proc/$1/stat") || return 1
	# after "pid (comm) ", field 3 (state) is the first word: 14,15 -> 12,13
	echo "$rest" | awk '{ print $12 + $13 }'
}

# bench_rss_kb PID: VmRSS in kB.
bench_rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# bench_median V1 V2 ...: the median (mean of the two middle values when
# the count is even).
bench_median() {
	printf '%s\n' "$@" | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "nan"; exit }
			if (NR % 2) print v[(NR + 1) / 2]
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

# bench_paired_ratio "A1 A2 ..." "B1 B2 ...": for runs interleaved as A1 B1
# A2 B2 ..., the median of the ratios of adjacent runs (A1/B1, A2/B1, A2/B2,
# A3/B2 ...): each ratio compares runs made under the same background load, so
# drifts in the load of a shared machine cancel.  "n/a" without data.
bench_paired_ratio() {
	local r
	r=$(awk -v a="$1" -v b="$2" 'BEGIN {
		na = split(a, x, " "); nb = split(b, y, " ")
		n = na < nb ? na : nb
		for (i = 1; i <= n; i++) {
			if (y[i] + 0 > 0) print x[i] / y[i]
			if (i < na && y[i] + 0 > 0) print x[i + 1] / y[i]
		}
	}')
	if [ -z "$r" ]; then
		echo "n/a"
		return
	fi
	# shellcheck disable=SC2086
	bench_fmt "$(bench_median $r)" 2
}

# bench_kv LINE KEY: the value of KEY=value in a "k=v k=v" result line.
bench_kv() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# bench_ratio A B [DIGITS]: A/B, "n/a" when B is zero or not a number.
bench_ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN {
		if (b + 0 == 0 || a == "" || a == "nan" || a == "n/a" ||
		    b == "nan" || b == "n/a")
			print "n/a"
		else
			printf "%.*f\n", d, a / b
	}'
}

# bench_calc EXPR: floating point arithmetic, e.g. bench_calc "1e6 * 3 / 7".
bench_calc() {
	awk "BEGIN { printf \"%.6g\n\", $1 }"
}

# bench_fmt VALUE [DIGITS]: fixed-point formatting (passes n/a through).
bench_fmt() {
	awk -v v="$1" -v d="${2:-1}" 'BEGIN {
		if (v == "" || v == "n/a" || v == "nan") print "n/a"
		else printf "%.*f\n", d, v
	}'
}

# bench_cmp A OP B: numeric comparison (OP is one of < <= > >=).
bench_cmp() {
	awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
		if (a == "" || a == "n/a" || a == "nan") exit 1
		if (op == "<")  exit !(a + 0 <  b + 0)
		if (op == "<=") exit !(a + 0 <= b + 0)
		if (op == ">")  exit !(a + 0 >  b + 0)
		if (op == ">=") exit !(a + 0 >= b + 0)
		exit 1
	}'
}

# bench_cachegrind_start CPU TIMEOUT_S OUTFILE CMD ARGS...: like
# bench_start_server, under valgrind --tool=cachegrind --cache-sim=no (the
# Ir count only), valgrind's own messages in OUTFILE.log.  Stop it with
# bench_stop (SIGINT: the server must exit cleanly for the file to be
# written), then read the count with bench_cachegrind_ir OUTFILE.
bench_cachegrind_start() {
	local cpu=$1 tmo=$2 out=$3
	shift 3
	command -v valgrind >/dev/null 2>&1 || bench_die "valgrind not found"
	bench_start_server "$cpu" "$tmo" valgrind --tool=cachegrind \
		--cache-sim=no --cachegrind-out-file="$out" \
		--log-file="$out.log" "$@"
}

# bench_cachegrind_ir OUTFILE: total instructions executed (the "summary:"
# line of a cachegrind output file).
bench_cachegrind_ir() {
	[ -s "$1" ] || return 1
	awk '/^summary:/ { print $2; found = 1 } END { exit !found }' "$1"
}

# ---- servers that do not print "listening on PORT" (nginx, h2o ...) -------

# bench_listening PORT: true while a TCP socket listens on PORT (any address,
# IPv4 or IPv6), from /proc/net/tcp{,6} (state 0A is LISTEN).
bench_listening() {
	local hex
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
			END { exit !f }'
}

# bench_free_port: prints a TCP port nothing listens on or is connected from,
# picked at random below the kernel's ephemeral range (so the kernel does not
# hand it to an outgoing connection meanwhile).  For servers that cannot be
# told "-p 0"; a race with another program remains, so start the server with
# bench_start_server_port, which fails clearly when the port was taken.
bench_free_port() {
	local lo hi p hex i
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null ||
		lo=32768
	hi=$((lo - 1))
	lo=$((hi > 20000 ? 20000 : 1024))
	for i in $(seq 200); do
		p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
		hex=$(printf '%04X' "$p")
		if ! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
			awk -v p=":$hex" 'substr($2, length($2) - 4) == p ||
				substr($3, length($3) - 4) == p { f = 1 }
				END { exit !f }'; then
			echo "$p"
			return 0
		fi
	done
	bench_die "no free TCP port found"
}

# bench_start_server_port CPU TIMEOUT_S PORT CMD ARGS...: like
# bench_start_server for a server told its port in its arguments or config:
# starts CMD pinned to CPU, stdout and stderr in $BENCH_TMP/server.*.err,
# waits up to TIMEOUT_S for a listener on PORT while CMD runs.  Sets
# BENCH_PID, BENCH_PORT and BENCH_ERR.
bench_start_server_port() {
	local cpu=$1 tmo=$2 port=$3 err pin i
	shift 3
	err="$BENCH_TMP/server.$RANDOM.$RANDOM.err"
	pin=$(bench_pin "$cpu")
	: >"$err"
	bench_listening "$port" && bench_die "port $port is already in use"
	# shellcheck disable=SC2086
	$pin "$@" </dev/null >"$err" 2>&1 &
	BENCH_PID=$!
	BENCH_ERR=$err
	bench_track "$BENCH_PID"
	BENCH_PORT=$port
	i=0
	while [ "$i" -lt $((tmo * 20)) ]; do
		bench_alive "$BENCH_PID" || break
		bench_listening "$port" && return 0
		sleep 0.05
		i=$((i + 1))
	done
	bench_log "--- output of $*:"
	tail -n 20 "$err" >&2
	bench_stop "$BENCH_PID" 2 2>/dev/null
	bench_die "$1 did not listen on port $port within ${tmo}s"
}

# bench_cachegrind_start_port CPU TIMEOUT_S PORT OUTFILE CMD ARGS...:
# bench_cachegrind_start for a server started with bench_start_server_port.
bench_cachegrind_start_port() {
	local cpu=$1 tmo=$2 port=$3 out=$4
	shift 4
	command -v valgrind >/dev/null 2>&1 || bench_die "valgrind not found"
	bench_start_server_port "$cpu" "$tmo" "$port" valgrind --tool=cachegrind \
		--cache-sim=no --cachegrind-out-file="$out" \
		--log-file="$out.log" "$@"
}

# bench_child_pids PID: the PIDs whose parent is PID (e.g. nginx's worker
# under its master), one a line.
bench_child_pids() {
	local f st
	for f in /proc/[0-9]*/stat; do
		st=$(sed 's/^.*) //' "$f" 2>/dev/null) || continue
		# after "pid (comm) ": state, then the parent's PID
		st=${st#* }
		if [ "${st%% *}" = "$1" ]; then
			f=${f#/proc/}
			echo "${f%/stat}"
		fi
	done
}

# bench_timed RESULTVAR CMD ARGS...: runs CMD in the foreground with its
# output in RESULTVAR; sets BENCH_CPU_S to the user+system CPU seconds of
# CMD and all its threads (from bash's getrusage of the reaped child),
# BENCH_WALL_S to its wall time, BENCH_RC to its exit status.  For clients
# such as wrk that do not report their own CPU.
bench_timed() {
	local _var=$1 _out _t _f
	shift
	_f="$BENCH_TMP/timed.$RANDOM"
	_out=$( { TIMEFORMAT='%3U %3S %3R'; time "$@" </dev/null 2>&1; } 2>"$_f" )
	BENCH_RC=$?
	_t=$(tail -n 1 "$_f")
	rm -f "$_f"
	printf -v "$_var" '%s' "$_out"
	BENCH_CPU_S=$(echo "$_t" | awk '{ print $1 + $2 }')
	BENCH_WALL_S=$(echo "$_t" | awk '{ print $3 }')
	return "$BENCH_RC"
}
