#!/usr/bin/env bash
# test.sh [TREE...]: the whole test run, as CI does it (.ci/run), on Debian 12.
# Installs the Debian packages that are missing (contrib/deps.sh), then configures,
# builds and runs ctest in several build trees under build-test/, prints one summary
# line per tree and exits non-zero if any tree failed. Works from any directory;
# existing trees are reused (reconfigured and rebuilt incrementally).
#
#   TREE                  any of the tree names below (default: all of them)
#   LOOM_TEST_BUILD_ROOT  where the trees go (default: build-test in the repo)
#   LOOM_TEST_JOBS        parallel build and test jobs (default: 2)
#   LOOM_TEST_NO_DEPS=1   skip the Debian package check
#   ASAN_OPTIONS, UBSAN_OPTIONS, TSAN_OPTIONS  override the defaults set below
set -u -o pipefail

cd "$(dirname "$(readlink -f "$0")")/.." || exit 1
# shellcheck source=contrib/deps.sh
. contrib/deps.sh

# The trees: name, compiler, which ctest labels (empty = all), cmake options.
# Sanitizer trees are Debug (assert() on) at -O1 so they stay quick.
# Every tree builds the event-lib shims found and runs their own tests (label
# evlibs); the raw, h1 and ws sets run again on each lib (labels evlibs-<lib>) in
# the release and asan-epoll trees only, to keep the run short. GLib (opt-in: its
# load-time allocations would fail other trees' valgrind tests) and libevent (it
# cannot share a program with libev) are tested in asan-epoll, libev in release.
no_evlib_copies=(-DLOOM_TEST_EVLIB_COPIES=OFF)
all_trees="release sspc mbedtls asan-poll asan-mbedtls asan-epoll evlib-plugins tsan faults aarch64 lwip baremetal client-only"
san_build=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-g -O1")
define_tree() {
	case $1 in
	release)	# the default build: gcc, epoll, OpenSSL, every test
		tree_cc=gcc; tree_labels=""
		tree_opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOM_WITH_EPOLL=ON
			   -DLOOM_WITH_TLS=openssl) ;;
	sspc)		# the SSPC-only library (no policy, protocols, TLS or DNS in it):
			# the ss examples built as SSPC clients, served by the release
			# tree's loom-ssproxy and loom-test-server (run it after release)
		local peer_bin=${root:-build-test}/release/bin
		case $peer_bin in /*) ;; *) peer_bin=$PWD/$peer_bin ;; esac
		tree_cc=gcc; tree_labels="sspc"
		tree_opts=(-DCMAKE_BUILD_TYPE=MinSizeRel -DLOOM_WITH_SS=OFF -DLOOM_WITH_SSPC=ON
			   -DLOOM_WITH_H1=OFF -DLOOM_WITH_WS=OFF -DLOOM_WITH_MQTT=OFF
			   -DLOOM_WITH_H2=OFF -DLOOM_WITH_TLS=none -DLOOM_WITH_DNS=OFF
			   -DLOOM_WITH_CLIENT_PROXY=OFF -DLOOM_WITH_LIBUV=OFF
			   -DLOOM_WITH_LIBEVENT=OFF -DLOOM_WITH_LIBEV=OFF
			   -DLOOM_WITH_API_TESTS=OFF -DLOOM_WITH_BENCH=OFF
			   "-DLOOM_TEST_PEER_BIN=$peer_bin") ;;
	mbedtls)	# the same with the mbedTLS backend (TLS 1.2 only in 2.28), as
			# Release (-O3), whose extra gcc warnings -Werror must not meet
		tree_cc=gcc; tree_labels=""
		tree_opts=(-DCMAKE_BUILD_TYPE=Release -DLOOM_WITH_EPOLL=ON
			   -DLOOM_WITH_TLS=mbedtls "${no_evlib_copies[@]}") ;;
	asan-poll)	# ASan + UBSan with clang on the poll() backend, OpenSSL, every test
		tree_cc=clang; tree_labels=""
		tree_opts=("${san_build[@]}" -DLOOM_WITH_ASAN=ON -DLOOM_WITH_EPOLL=OFF
			   -DLOOM_WITH_TLS=openssl "${no_evlib_copies[@]}") ;;
	asan-mbedtls)	# ASan + UBSan with clang, epoll, mbedTLS, every test, with the
			# fault seam: the reliability tests on mbedTLS (no soak here)
		tree_cc=clang; tree_labels=""
		tree_opts=("${san_build[@]}" -DLOOM_WITH_ASAN=ON -DLOOM_WITH_EPOLL=ON
			   -DLOOM_WITH_TLS=mbedtls -DLOOM_WITH_FAULT_INJECTION=ON
			   -DLOOM_SOAK_SECS=0 "${no_evlib_copies[@]}") ;;
	asan-epoll)	# ASan + UBSan with gcc on epoll, no TLS (built-in crypto):
			# the loop and socket tests only
		tree_cc=gcc; tree_labels="core|evlibs"
		tree_opts=("${san_build[@]}" -DLOOM_WITH_ASAN=ON -DLOOM_WITH_EPOLL=ON
			   -DLOOM_WITH_TLS=none -DLOOM_WITH_GLIB=ON -DLOOM_WITH_LIBEV=OFF) ;;
	evlib-plugins)	# every shim a dlopen'd module (LOOM_WITH_EVLIB_PLUGINS): libuv,
			# libevent, libev and GLib in one build, the evlibs tests
		tree_cc=gcc; tree_labels="evlibs"
		tree_opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOM_WITH_EVLIB_PLUGINS=ON
			   -DLOOM_WITH_GLIB=ON -DLOOM_WITH_TLS=none "${no_evlib_copies[@]}") ;;
	tsan)		# ThreadSanitizer with clang: the tests labelled tsan only
		tree_cc=clang; tree_labels="tsan"
		tree_opts=("${san_build[@]}" -DLOOM_WITH_TSAN=ON "${no_evlib_copies[@]}") ;;
	faults)		# ASan + UBSan with clang, OpenSSL and the test-only socket fault
			# seam: the reliability tests (allocation, socket and split faults
			# in whole sessions of every role) and a 60 s soak
		tree_cc=clang; tree_labels="reliability"
		tree_opts=("${san_build[@]}" -DLOOM_WITH_ASAN=ON -DLOOM_WITH_EPOLL=ON
			   -DLOOM_WITH_TLS=openssl -DLOOM_WITH_FAULT_INJECTION=ON
			   -DLOOM_SOAK_SECS=60 "${no_evlib_copies[@]}") ;;
	aarch64)	# cross-built for aarch64 Linux, no TLS: the api-tests, self-tests
			# and fuzz seeds run under qemu-aarch64 (label embedded)
		tree_cc=aarch64-linux-gnu-gcc; tree_labels="embedded"
		tree_opts=("-DCMAKE_TOOLCHAIN_FILE=$PWD/cmake/toolchains/aarch64-linux-gnu.cmake"
			   -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOM_WITH_TLS=none
			   -DLOOM_WITH_BENCH=OFF) ;;
	lwip)		# the lwIP platform as a device builds it (no DNS resolver, no
			# proxies): raw and HTTP/1.1 through lwIP's stack in one process
		tree_cc=gcc; tree_labels="embedded"
		tree_opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOM_PLAT=lwip
			   -DLOOM_WITH_TLS=none -DLOOM_WITH_DNS=OFF
			   -DLOOM_WITH_CLIENT_PROXY=OFF) ;;
	baremetal)	# the bare-metal platform on the host, the Cortex-M and riscv32
			# builds, the footprint limit, the ESP-IDF component check and
			# the SSPC firmware under QEMU (served by the release tree's
			# loom-ssproxy and loom-test-server, else it builds its own)
		local bm_peer=${root:-build-test}/release/bin
		case $bm_peer in /*) ;; *) bm_peer=$PWD/$bm_peer ;; esac
		tree_cc=gcc; tree_labels="embedded"
		tree_opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOM_PLAT=baremetal
			   -DLOOM_WITH_TLS=none "-DLOOM_TEST_PEER_BIN=$bm_peer") ;;
	client-only)	# LOOM_WITH_SERVER=OFF, the client-only library on the host:
			# every test it registers, which leaves out the server tests,
			# server examples and api-tests, and runs the client examples
			# against real peers (README.cross-build.md); examples ON by
			# hand: older trees have them forced OFF in their cache
		tree_cc=gcc; tree_labels=""
		tree_opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOM_WITH_SERVER=OFF
			   -DLOOM_WITH_MINIMAL_EXAMPLES=ON "${no_evlib_copies[@]}") ;;
	*)
		return 1 ;;
	esac
}

trees=${*:-$all_trees}
for t in $trees; do
	define_tree "$t" || { echo "test.sh: no tree '$t' (trees: $all_trees)" >&2; exit 2; }
done

export DEBIAN_FRONTEND=noninteractive
if [ "${LOOM_TEST_NO_DEPS:-0}" != 1 ]; then
	# shellcheck disable=SC2086 # the lists are words
	loom_install_debs $LOOM_DEBS_BUILD $LOOM_DEBS_TEST $LOOM_DEBS_PEERS $LOOM_DEBS_EVLIBS \
		$LOOM_DEBS_EMBEDDED || {
		echo "test.sh: installing the Debian packages failed" >&2
		exit 1
	}
fi

root=${LOOM_TEST_BUILD_ROOT:-build-test}
jobs=${LOOM_TEST_JOBS:-2}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

# clang 14's TSan cannot map its shadow memory with more than 28 bits of mmap
# randomization (newer kernels default to 32): run its tests without ASLR there.
tsan_wrap=()
if [ "$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)" -gt 28 ]; then
	tsan_wrap=(setarch "$(uname -m)" -R)
fi

summary=()
failed=0

# ctest_result LOG: one phrase for the summary, from ctest's own closing lines
ctest_result() {
	local log=$1 line names
	if grep -q 'No tests were found' "$log"; then
		echo "no tests matched"
		return
	fi
	line=$(grep -E 'tests passed, [0-9]+ tests? failed out of' "$log" | tail -n 1)
	names=$(sed -n '/The following tests FAILED:/,$p' "$log" |
		sed -n 's/^[[:space:]]*[0-9]* - \([^ ]*\).*/\1/p' | tr '\n' ' ')
	names=${names% }
	echo "${line:-no ctest summary}${names:+ -- failed: $names}"
}

# run_tree NAME: configure, build and test one tree; adds its summary line
run_tree() {
	local name=$1 dir start=$SECONDS result rc
	define_tree "$name"
	dir=$root/$name
	echo "=== $name: $tree_cc ${tree_opts[*]} ${tree_labels:+(ctest -L $tree_labels)}"
	# a tree made with another generator cannot switch to Ninja: start it afresh
	if [ -f "$dir/CMakeCache.txt" ] &&
	   ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "$dir/CMakeCache.txt"; then
		rm -rf "$dir"
	fi
	if ! cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER="$tree_cc" "${tree_opts[@]}"; then
		result="FAIL: configure"
	elif ! cmake --build "$dir" --parallel "$jobs"; then
		result="FAIL: build"
	else
		local wrap=() labels=()
		[ "$name" = tsan ] && wrap=("${tsan_wrap[@]}")
		[ -n "$tree_labels" ] && labels=(-L "$tree_labels")
		(cd "$dir" && "${wrap[@]}" ctest --output-on-failure -j "$jobs" \
			"${labels[@]}") 2>&1 | tee "$dir/ctest.log"
		rc=$?
		result=$(ctest_result "$dir/ctest.log")
		if [ $rc -eq 0 ]; then result="ok: $result"; else result="FAIL: $result"; fi
	fi
	case $result in FAIL*) failed=1 ;; esac
	summary+=("$(printf '%-11s %s (%ss)' "$name" "$result" $((SECONDS - start)))")
	if [ "$name" = release ] && [ "${result#FAIL}" = "$result" ]; then
		docs_check "$dir"
	fi
}

# docs_check DIR: build the docs target; doxygen warnings are counted, not fatal
docs_check() {
	local dir=$1 result n
	echo "=== docs"
	if cmake --build "$dir" --target docs 2>&1 | tee "$dir/docs.log"; then
		n=$(grep -c 'warning:' "$dir/docs.log")
		result="ok: $n doxygen warnings (listed in $dir/docs.log)"
	else
		result="FAIL: see $dir/docs.log"
		failed=1
	fi
	summary+=("$(printf '%-11s %s' docs "$result")")
}

for t in $trees; do
	run_tree "$t"
done

echo
echo "=== summary ($((SECONDS / 60)) min $((SECONDS % 60)) s, trees in $root/)"
printf '%s\n' "${summary[@]}"
if [ $failed -ne 0 ]; then
	echo "test.sh: FAILED"
	exit 1
fi
echo "test.sh: all passed"
