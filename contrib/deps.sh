# deps.sh: the Debian 12 packages Loom's build and tests need, and the function that
# installs the missing ones. Sourced by contrib/quickstart.sh and contrib/test.sh
# (bash); not run by itself.
# shellcheck shell=bash disable=SC2034 # the lists are used by the scripts sourcing this

# What building libloom, its examples and its docs needs.
LOOM_DEBS_BUILD="build-essential cmake ninja-build pkg-config libssl-dev openssl"

# What contrib/test.sh adds: clang with its sanitizer runtimes (ASan, UBSan, TSan,
# libFuzzer), llvm for llvm-symbolizer (readable sanitizer stacks), valgrind for the
# instruction counts, doxygen for the docs check.
LOOM_DEBS_TEST="clang libclang-rt-14-dev llvm valgrind doxygen libmbedtls-dev"

# The event libraries Loom's shims are built against when found (issue [evlibs],
# READMEs/README.event-libs.md); test.sh installs them so every shim is tested.
LOOM_DEBS_EVLIBS="libuv1-dev libevent-dev libev-dev libglib2.0-dev"

# The cross builds of issue [embedded] (READMEs/README.cross-build.md): Cortex-M
# (newlib; firmware run under qemu-system-arm), riscv32 (picolibc), aarch64 Linux run
# under qemu-user, and lwIP's headers and unix port for the lwIP platform's tests;
# test.sh installs them.
LOOM_DEBS_EMBEDDED="gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user qemu-system-arm liblwip-dev"

# ---------------------------------------------------------------------------------
# PEERS: the real programs the interop tests talk to (DESIGN.md section 9). An issue
# that adds tests against a peer appends its Debian package(s) here, e.g.
#   curl nghttp2-client python3-websockets python3-h2 mosquitto dnsmasq nginx h2o
#   nodejs npm
# A test whose peer is missing fails, it does not skip: list every peer here so a
# fresh machine (and CI) has it.
# One line per area, so issues add theirs without touching each other's.
LOOM_DEBS_PEERS_HTTP="curl python3 nginx-light"
LOOM_DEBS_PEERS_TLS="openssl curl python3 nginx-light testssl.sh"
LOOM_DEBS_PEERS_DNS="dnsmasq-base"
LOOM_DEBS_PEERS_WS="python3-websockets nodejs node-ws chromium"
LOOM_DEBS_PEERS_MQTT="mosquitto mosquitto-clients"
LOOM_DEBS_PEERS_H2="curl nghttp2-client nghttp2-server h2o python3-h2 python3-hyperframe python3-hpack"
LOOM_DEBS_PEERS="$LOOM_DEBS_PEERS_HTTP $LOOM_DEBS_PEERS_TLS $LOOM_DEBS_PEERS_DNS $LOOM_DEBS_PEERS_WS $LOOM_DEBS_PEERS_MQTT $LOOM_DEBS_PEERS_H2"
# ---------------------------------------------------------------------------------

# What the benchmarks of test-apps/bench/ run Loom against (DESIGN.md section 9): the
# load generator and the reference servers. Not needed to build or test; the bench
# scripts install the missing ones themselves (test-apps/bench/http1/run.sh).
LOOM_DEBS_BENCH="wrk nginx-light h2o libwebsockets-dev libmosquitto-dev libpaho-mqtt-dev"

# contrib/coverage.sh (lcov) and contrib/fuzz-all.sh --afl (AFL++); each script
# installs its list when missing, test.sh does not need them.
LOOM_DEBS_COVERAGE="lcov"
LOOM_DEBS_FUZZ="afl++"

# loom_install_debs PKG...: apt-get install the packages not installed yet. Nothing
# touches the network when all are there, so re-runs are fast and work offline.
loom_install_debs() {
	local missing="" p sudo=""
	for p in "$@"; do
		# shellcheck disable=SC2016 # ${db:Status-Abbrev} is dpkg-query's, not ours
		if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" != "ii " ]; then
			missing="$missing $p"
		fi
	done
	if [ -z "$missing" ]; then
		echo "deps: all $# Debian packages are installed"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		if ! command -v sudo >/dev/null 2>&1; then
			echo "deps: need root (or sudo) to install:$missing" >&2
			return 1
		fi
		sudo="sudo"
	fi
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086 # $sudo and $missing are word lists on purpose
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $missing
}
