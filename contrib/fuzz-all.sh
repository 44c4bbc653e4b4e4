#!/usr/bin/env bash
# fuzz-all.sh [--secs N] [--afl] [--minimize] [--no-merge] [NAME...]: run every
# fuzz harness of test-apps/fuzz (or the NAMEs given) for N seconds each (default
# 60), one after the other, and print a line per harness: executions, new corpus
# files, findings.
#
# libFuzzer (default): a clang ASan+UBSan tree with -DLOOM_WITH_FUZZ=ON. Each run
# starts from test-apps/fuzz/corpus/NAME/ plus a work corpus kept between runs
# (build-fuzz-all/work/NAME/); crashes, leaks and timeouts go to
# build-fuzz-all/findings/NAME/. Then the work corpus is merged into
# test-apps/fuzz/corpus/NAME/: libFuzzer's -merge=1 adds only inputs that bring new
# coverage, at most --max-len bytes (default 4096) and --max-new files (default
# 20, the smallest) per run, so the committed seeds stay small; the hand-written
# seeds are kept. --minimize instead rewrites the directory as the smallest set of
# its files and the work corpus with the same coverage. --no-merge leaves it alone.
#
# --afl: the same harnesses built with AFL++'s afl-clang-fast (Debian afl++,
# libAFLDriver stands in for libFuzzer's main), each run by afl-fuzz for N seconds
# from the same seeds; output in build-fuzz-all/afl/NAME/ (crashes in
# .../default/crashes/). The AFL queue is not merged back.
#
#   LOOM_FUZZ_ROOT   where the trees and work dirs go (default build-fuzz-all)
#   LOOM_FUZZ_JOBS   build jobs (default 2); the fuzzers run one at a time
# Exit status: 0 when no harness had a finding.
set -u -o pipefail
cd "$(dirname "$(readlink -f "$0")")/.." || exit 1
src=$(pwd)
# shellcheck source=contrib/deps.sh
. contrib/deps.sh

secs=60 afl=0 minimize=0 merge=1 max_len=4096 max_new=20 names=()
while [ $# -gt 0 ]; do
	case $1 in
	--secs) secs=$2; shift 2 ;;
	--afl) afl=1; shift ;;
	--minimize) minimize=1; shift ;;
	--no-merge) merge=0; shift ;;
	--max-len) max_len=$2; shift 2 ;;
	--max-new) max_new=$2; shift 2 ;;
	-*) echo "usage: $0 [--secs N] [--afl] [--minimize] [--no-merge] [--max-len B]" \
		"[--max-new N] [NAME...]" >&2; exit 2 ;;
	*) names+=("$1"); shift ;;
	esac
done
if [ ${#names[@]} -eq 0 ]; then
	for f in test-apps/fuzz/fuzz-*.c; do
		n=${f#test-apps/fuzz/fuzz-}
		n=${n%.c}
		[ "$n" = driver ] || names+=("$n")
	done
fi
if [ "${LOOM_TEST_NO_DEPS:-0}" != 1 ]; then
	debs="$LOOM_DEBS_BUILD $LOOM_DEBS_TEST"
	[ $afl = 1 ] && debs="$debs $LOOM_DEBS_FUZZ"
	# shellcheck disable=SC2086 # the lists are words
	loom_install_debs $debs || exit 1
fi
root=${LOOM_FUZZ_ROOT:-$src/build-fuzz-all}
jobs=${LOOM_FUZZ_JOBS:-2}
mkdir -p "$root"

if [ $afl = 1 ]; then
	tree=$root/afl-build
	cc=afl-clang-fast
	extra=()
else
	tree=$root/libfuzzer
	cc=clang
	extra=(-DLOOM_WITH_ASAN=ON)
fi
echo "=== building the harnesses in $tree ($cc)"
cmake -S "$src" -B "$tree" -G Ninja -DCMAKE_C_COMPILER=$cc -DCMAKE_BUILD_TYPE=Debug \
	"-DCMAKE_C_FLAGS_DEBUG=-g -O1" -DLOOM_WITH_FUZZ=ON -DLOOM_WERROR=OFF \
	-DLOOM_WITH_MINIMAL_EXAMPLES=OFF -DLOOM_WITH_API_TESTS=OFF -DLOOM_WITH_BENCH=OFF \
	"${extra[@]}" >"$tree.configure.log" 2>&1 ||
	{ echo "fuzz-all: configure failed (see $tree.configure.log)"; exit 1; }
targets=()
for n in "${names[@]}"; do targets+=("fuzz-$n"); done
cmake --build "$tree" --parallel "$jobs" --target "${targets[@]}" >"$tree.build.log" 2>&1 ||
	{ echo "fuzz-all: build failed (see $tree.build.log)"; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
found=0
summary=()

run_libfuzzer() {
	local n=$1 bin=$tree/bin/fuzz-$1 seeds=$src/test-apps/fuzz/corpus/$1
	local work=$root/work/$1 finds=$root/findings/$1 log=$root/log/$1.log
	local execs nfind before after new
	mkdir -p "$work" "$finds" "$root/log" "$seeds"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
		-print_final_stats=1 -artifact_prefix="$finds/" "$work" "$seeds" \
		>"$log" 2>&1
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	nfind=$(find "$finds" -type f | wc -l)
	before=$(find "$seeds" -type f | wc -l)
	if [ $merge = 1 ] && [ $minimize = 1 ]; then
		# the smallest set of (committed + work) with the same coverage
		rm -rf "$root/min/$n"
		mkdir -p "$root/min/$n"
		"$bin" -merge=1 -max_len="$max_len" "$root/min/$n" "$seeds" "$work" \
			>>"$log" 2>&1 &&
			find "$root/min/$n" -type f -size -$((max_len + 1))c | grep -q . &&
			rm -f "$seeds"/* && cp "$root/min/$n"/* "$seeds/"
	elif [ $merge = 1 ]; then
		# add what brings new coverage, smallest first, at most max_new files
		rm -rf "$root/new/$n"
		mkdir -p "$root/new/$n"
		cp -p "$seeds"/* "$root/new/$n/" 2>/dev/null
		"$bin" -merge=1 -max_len="$max_len" "$root/new/$n" "$work" >>"$log" 2>&1
		(cd "$root/new/$n" && for f in *; do
			[ -e "$seeds/$f" ] || echo "$(stat -c %s "$f") $f"
		done) | sort -n | head -n "$max_new" | while read -r _ f; do
			cp "$root/new/$n/$f" "$seeds/"
		done
	fi
	after=$(find "$seeds" -type f | wc -l)
	new=$((after - before))
	[ "$nfind" -gt 0 ] && found=1
	summary+=("$(printf '%-14s %12s execs  corpus %4d -> %4d files (%3d KiB)  findings %d%s' \
		"$n" "${execs:-?}" "$before" "$after" \
		"$(find "$seeds" -type f -printf '%s\n' | awk '{ s += $1 } END { print int(s / 1024) }')" \
		"$nfind" \
		"$([ "$nfind" -gt 0 ] && echo " in $finds")")")
	echo "${summary[-1]}"
}

run_afl() {
	local n=$1 bin=$tree/bin/fuzz-$1 seeds=$src/test-apps/fuzz/corpus/$1
	local out=$root/afl/$1 execs crashes hangs
	mkdir -p "$out"
	rm -rf "${out:?}"/*
	AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
	AFL_NO_AFFINITY=1 ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:symbolize=0 \
		timeout $((secs + 60)) afl-fuzz -V "$secs" -t 2000 -i "$seeds" -o "$out" -- "$bin" \
		>"$root/afl-$1.log" 2>&1
	execs=$(sed -n 's/^execs_done *: *//p' "$out/default/fuzzer_stats" 2>/dev/null)
	crashes=$(find "$out/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
	hangs=$(find "$out/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
	[ -z "$execs" ] && { crashes=1; execs="? (afl-fuzz failed: $root/afl-$1.log)"; }
	[ "$crashes" -gt 0 ] && found=1
	summary+=("$(printf '%-14s %12s execs  crashes %d  hangs %d  (afl-fuzz, %s)' "$n" \
		"$execs" "$crashes" "$hangs" "$out")")
	echo "${summary[-1]}"
}

echo "=== ${#names[@]} harnesses, ${secs}s each ($([ $afl = 1 ] && echo AFL++ || echo libFuzzer))"
for n in "${names[@]}"; do
	if [ $afl = 1 ]; then run_afl "$n"; else run_libfuzzer "$n"; fi
done
echo
echo "=== summary ($(date -u +%Y-%m-%d), ${secs}s per harness)"
printf '%s\n' "${summary[@]}"
exit $found
