#!/usr/bin/env bash
# coverage.sh [--quick] [--html] [-- CTEST_ARGS...]: line and branch coverage of lib/.
#
# Builds gcc --coverage trees (Debug, -O0, the fault-injection seam on, every event
# lib found), runs ctest in each, and merges what lcov captured from lib/: one tree
# on OpenSSL and, unless --quick, one on mbedTLS, so both TLS backends count, and
# an SSPC-only tree (its "sspc" tests, against the OpenSSL tree's proxy). Prints
# the line and branch coverage of lib/, then the files with the most lines left
# uncovered. --html also writes an HTML report (genhtml) next to the trees.
#
#   LOOM_COVERAGE_ROOT   where the trees go (default: build-coverage in the repo)
#   LOOM_COVERAGE_JOBS   build and ctest jobs (default 2)
#   CTEST_ARGS           default: -E valgrind (valgrind over -O0 coverage code is
#                        slow and adds no lines)
# Needs lcov (contrib/deps.sh LOOM_DEBS_COVERAGE; installed when missing).
set -u -o pipefail
cd "$(dirname "$(readlink -f "$0")")/.." || exit 1
src=$(pwd)
# shellcheck source=contrib/deps.sh
. contrib/deps.sh

quick=0 html=0 ctest_args=(-E valgrind)
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1; shift ;;
	--html) html=1; shift ;;
	--) shift; ctest_args=("$@"); break ;;
	*) echo "usage: $0 [--quick] [--html] [-- CTEST_ARGS...]" >&2; exit 2 ;;
	esac
done
if [ "${LOOM_TEST_NO_DEPS:-0}" != 1 ]; then
	# shellcheck disable=SC2086 # the lists are words
	loom_install_debs $LOOM_DEBS_BUILD $LOOM_DEBS_TEST $LOOM_DEBS_PEERS \
		$LOOM_DEBS_EVLIBS $LOOM_DEBS_COVERAGE || exit 1
fi
root=${LOOM_COVERAGE_ROOT:-$src/build-coverage}
jobs=${LOOM_COVERAGE_JOBS:-2}
mkdir -p "$root"
lcov_rc=(--rc lcov_branch_coverage=1)

backends=(openssl)
[ $quick = 1 ] || backends+=(mbedtls)
# the SSPC-only library (contrib/test.sh's sspc tree) is the only place the SSPC
# client and the transport mux link run; its tests talk to the openssl tree's
# loom-ssproxy and loom-test-server, whose counters then grow too: so every tree
# runs its tests first and all are captured after the last one
trees=("${backends[@]}" sspc)
infos=()
for tree in "${trees[@]}"; do
	dir=$root/$tree
	opts=(-DLOOM_WITH_FAULT_INJECTION=ON -DLOOM_TEST_EVLIB_COPIES=OFF)
	labels=()
	if [ "$tree" = sspc ]; then
		opts=(-DLOOM_WITH_SS=OFF -DLOOM_WITH_SSPC=ON -DLOOM_WITH_H1=OFF
		      -DLOOM_WITH_WS=OFF -DLOOM_WITH_MQTT=OFF -DLOOM_WITH_H2=OFF
		      -DLOOM_WITH_TLS=none -DLOOM_WITH_DNS=OFF -DLOOM_WITH_CLIENT_PROXY=OFF
		      -DLOOM_WITH_LIBUV=OFF -DLOOM_WITH_LIBEVENT=OFF -DLOOM_WITH_LIBEV=OFF
		      -DLOOM_WITH_API_TESTS=OFF -DLOOM_WITH_BENCH=OFF
		      "-DLOOM_TEST_PEER_BIN=$root/openssl/bin")
		labels=(-L sspc)
		echo "=== coverage tree $dir (SSPC only, peers from $root/openssl/bin)"
	else
		opts+=(-DLOOM_WITH_TLS="$tree")
		echo "=== coverage tree $dir (TLS $tree)"
	fi
	cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_C_COMPILER=gcc \
		-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-g -O0 --coverage" \
		-DCMAKE_EXE_LINKER_FLAGS=--coverage -DCMAKE_SHARED_LINKER_FLAGS=--coverage \
		"${opts[@]}" >"$dir.configure.log" 2>&1 ||
		{ echo "coverage: configure failed (see $dir.configure.log)"; exit 1; }
	cmake --build "$dir" --parallel "$jobs" >"$dir.build.log" 2>&1 ||
		{ echo "coverage: build failed (see $dir.build.log)"; exit 1; }
	lcov --quiet --zerocounters --directory "$dir"
	# a failing test still adds its coverage; the summary says how many failed
	(cd "$dir" && ctest -j "$jobs" "${labels[@]}" "${ctest_args[@]}" 2>&1) |
		tee "$dir.ctest.log" |
		grep -E 'tests passed|The following tests FAILED|^[[:space:]]+[0-9]+ - '
done
for tree in "${trees[@]}"; do
	dir=$root/$tree
	lcov --quiet "${lcov_rc[@]}" --capture --directory "$dir" \
		--output-file "$dir.all.info" 2>"$dir.lcov.log"
	lcov --quiet "${lcov_rc[@]}" --extract "$dir.all.info" "$src/lib/*" \
		--output-file "$dir.lib.info" 2>>"$dir.lcov.log"
	infos+=(--add-tracefile "$dir.lib.info")
done
lcov --quiet "${lcov_rc[@]}" "${infos[@]}" --output-file "$root/lib.info" \
	2>>"$root/lcov.log"

echo
echo "=== coverage of lib/ (trees: ${trees[*]}; in $root)"
lcov "${lcov_rc[@]}" --summary "$root/lib.info" 2>&1 | grep -E 'lines|functions|branches'

# the files with the most lines never run: where tests would pay most
echo
echo "=== most uncovered lines, by file"
awk -F'[:,]' -v src="$src/" '
	/^SF:/ { f = substr($0, 4); sub(src, "", f) }
	/^LF:/ { lf[f] = $2 }
	/^LH:/ { lh[f] = $2 }
	/^BRF:/ { bf[f] = $2 }
	/^BRH:/ { bh[f] = $2 }
	END {
		for (f in lf)
			printf "%6d %6d %5.1f%% %5.1f%%  %s\n", lf[f] - lh[f], lf[f],
				lf[f] ? 100 * lh[f] / lf[f] : 100,
				bf[f] ? 100 * bh[f] / bf[f] : 100, f
	}' "$root/lib.info" | sort -rn | head -n 20 |
	awk 'BEGIN { print "missed  lines  line%  branch%  file" } { print }'

if [ $html = 1 ]; then
	genhtml --quiet --branch-coverage --output-directory "$root/html" "$root/lib.info" \
		>>"$root/lcov.log" 2>&1 && echo "html: $root/html/index.html"
fi
