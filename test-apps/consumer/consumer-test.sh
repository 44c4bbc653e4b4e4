#!/usr/bin/env bash
# consumer-test.sh SRC_DIR BUILD_DIR: installs the Loom build tree BUILD_DIR into a
# temporary prefix, then builds test-apps/consumer against that install the ways an
# application would (find_package(Loom), pkg-config shared, pkg-config static), runs
# each program, and removes the prefix. Exits non-zero on the first failure.
# LOOM_CONSUMER_KEEP=1 keeps the temporary folder for a look.
set -eu -o pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 SRC_DIR BUILD_DIR" >&2
	exit 2
fi
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
cache=$build/CMakeCache.txt

say() { printf 'consumer-test: %s\n' "$*"; }
fail() { printf 'consumer-test: FAIL: %s\n' "$*" >&2; exit 1; }

[ -f "$cache" ] || fail "$build is not a configured build tree"
cache_get() { sed -n "s/^$1:[A-Z]*=//p" "$cache" | head -n 1; }

# Build the consumer with the library's own compiler: a sanitized libloom needs the
# same compiler's sanitizer runtime in the program.
cc=$(cache_get CMAKE_C_COMPILER)
[ -n "$cc" ] || cc=cc
libdir=$(cache_get CMAKE_INSTALL_LIBDIR)
[ -n "$libdir" ] || libdir=lib
version=$(sed -n 's/^#define LOOM_VERSION_STRING "\(.*\)"$/\1/p' \
	"$build/include/loom/loom-config.h")
[ -n "$version" ] || fail "no LOOM_VERSION_STRING in the generated loom-config.h"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/loom-consumer.XXXXXX")
if [ "${LOOM_CONSUMER_KEEP:-0}" = 1 ]; then
	trap 'say "kept $tmp"' EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi
prefix=$tmp/prefix
lib=$prefix/$libdir

# logged LOG CMD...: run CMD with its output in LOG, shown only when it fails
logged() {
	local log=$1
	shift
	if ! "$@" >"$log" 2>&1; then
		cat "$log" >&2
		fail "$*"
	fi
}

# run_consumer EXE WHAT [shared|static]: run it, check its output and how it linked
run_consumer() {
	local exe=$1 what=$2 kind=$3 out
	if ! out=$("$exe"); then
		fail "$what: $exe exited non-zero"
	fi
	[ "$out" = "consumer ok" ] || fail "$what: printed '$out', not 'consumer ok'"
	if readelf -d "$exe" | grep -q 'NEEDED.*libloom\.so'; then
		[ "$kind" = shared ] || fail "$what: linked libloom.so, expected libloom.a"
	else
		[ "$kind" = static ] || fail "$what: did not link libloom.so"
	fi
	say "$what: ok"
}

say "install $build into $prefix"
logged "$tmp/install.log" cmake --install "$build" --prefix "$prefix"
for f in include/loom.h include/loom/loom-config.h include/loom/context.h \
	 "$libdir/pkgconfig/loom.pc" "$libdir/cmake/Loom/LoomConfig.cmake" \
	 "$libdir/cmake/Loom/LoomConfigVersion.cmake" \
	 "$libdir/cmake/Loom/LoomTargets.cmake"; do
	[ -f "$prefix/$f" ] || fail "the install has no $f"
done
kinds=""
[ -e "$lib/libloom.so" ] && kinds="$kinds shared"
[ -e "$lib/libloom.a" ] && kinds="$kinds static"
[ -n "$kinds" ] || fail "the install has neither libloom.so nor libloom.a in $libdir"
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# 1. CMake: find_package(Loom) from the prefix, once per installed target
gen=()
if command -v ninja >/dev/null 2>&1; then
	gen=(-G Ninja)
fi
for kind in $kinds; do
	target=Loom::loom
	[ "$kind" = static ] && target=Loom::loom_static
	b=$tmp/cmake-$kind
	logged "$b.configure.log" cmake "${gen[@]}" -S "$src/test-apps/consumer" -B "$b" \
		-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
		-DCONSUMER_LINK="$target"
	grep -q "consumer: Loom $version from $lib/cmake/Loom," "$b.configure.log" ||
		{ cat "$b.configure.log" >&2; fail "find_package did not find Loom $version in $prefix"; }
	logged "$b.build.log" cmake --build "$b"
	run_consumer "$b/consumer" "find_package(Loom) + $target" "$kind"
done

# 2. pkg-config, as a Makefile would use it; the headers must be clean C99
export PKG_CONFIG_PATH="$lib/pkgconfig"
pcver=$(pkg-config --modversion loom) || fail "pkg-config does not find loom.pc"
[ "$pcver" = "$version" ] || fail "loom.pc says version $pcver, the build is $version"
cflags=$(pkg-config --cflags loom)
strict=(-std=c99 -Wall -Wextra -pedantic -Werror)
case " $kinds " in *" shared "*)
	# shellcheck disable=SC2046,SC2086 # pkg-config output is a list of words
	logged "$tmp/pc-shared.log" "$cc" "${strict[@]}" $cflags \
		"$src/test-apps/consumer/consumer.c" -o "$tmp/consumer-pc" $(pkg-config --libs loom)
	run_consumer "$tmp/consumer-pc" "pkg-config --libs loom" shared
esac
case " $kinds " in *" static "*)
	# -l:libloom.a makes the linker take the archive even when the .so is beside it
	libs=$(pkg-config --static --libs loom | sed 's/\(^\| \)-lloom\( \|$\)/\1-l:libloom.a\2/')
	case " $libs " in *" -l:libloom.a "*) ;; *) fail "no -lloom in: $libs" ;; esac
	# shellcheck disable=SC2086
	logged "$tmp/pc-static.log" "$cc" "${strict[@]}" $cflags \
		"$src/test-apps/consumer/consumer.c" -o "$tmp/consumer-pc-static" $libs
	run_consumer "$tmp/consumer-pc-static" "pkg-config --static --libs loom" static
esac

# 3. every minimal example builds alone from its own folder, as users copy them,
# but for those of a feature the library was built without (the same switches as
# minimal-examples/CMakeLists.txt: an SSPC-only library has no HTTP in it)
example_features() {	# the switches of which one must be on
	case $1 in
	*/http-server/*|*/http-client/*) echo LOOM_WITH_H1 ;;
	*/ws-server/*|*/ws-client/*) echo LOOM_WITH_WS ;;
	*/mqtt-client/*) echo LOOM_WITH_MQTT ;;
	*/net/minimal-dns-lookup/) echo LOOM_WITH_DNS ;;
	*/ss/minimal-ss-server/) echo LOOM_WITH_SS ;;
	*/ssproxy/*) echo LOOM_WITH_SSPC ;;
	*/ss/*) echo LOOM_WITH_SS LOOM_WITH_SSPC ;;
	esac
}
feature_on() {
	case $(cache_get "$1" | tr '[:lower:]' '[:upper:]') in
	OFF|0|NO|FALSE|N) return 1 ;;
	esac
}
n=0
left_out=""
for dir in "$src"/minimal-examples/*/minimal-*/; do
	[ -f "$dir/CMakeLists.txt" ] || continue
	name=$(basename "$dir")
	features=$(example_features "$dir")
	if [ -n "$features" ]; then
		on=0
		for f in $features; do
			if feature_on "$f"; then on=1; fi
		done
		if [ $on = 0 ]; then
			left_out="$left_out $name"
			continue
		fi
	fi
	b=$tmp/example-$name
	logged "$b.configure.log" cmake "${gen[@]}" -S "$dir" -B "$b" \
		-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc"
	logged "$b.build.log" cmake --build "$b"
	[ -x "$b/$name" ] || fail "standalone build of $name made no $name"
	n=$((n + 1))
done
[ $n -gt 0 ] || fail "found no minimal examples to build standalone"
say "$n minimal examples build standalone against the install: ok"
[ -z "$left_out" ] || say "left out (their feature is off in this build):$left_out"

say "all ok (Loom $version:$kinds)"
