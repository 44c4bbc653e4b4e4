#!/usr/bin/env bash
# cross-build.sh SRC OUT: the library for bare-metal Cortex-M4F, Cortex-M0+ and
# riscv32 (rv32imc, picolibc) with -Wall -Wextra -Werror, -Os; each must build.
set -eu -o pipefail
src=$1
out=$2
mkdir -p "$out"
rc=0
for t in arm-none-eabi-cortex-m4f arm-none-eabi-cortex-m0plus riscv32-picolibc; do
	case $t in
	arm-*)	size=arm-none-eabi-size ;;
	*)	size=riscv64-unknown-elf-size ;;
	esac
	b="$out/$t"
	if cmake -S "$src" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
		"-DCMAKE_TOOLCHAIN_FILE=$src/cmake/toolchains/$t.cmake" \
		-DLOOM_PLAT=baremetal -DLOOM_WITH_TLS=none > "$b.log" 2>&1 &&
	   cmake --build "$b" --parallel 2 >> "$b.log" 2>&1; then
		echo "$t: libloom.a $($size -t "$b/lib/libloom.a" | tail -n 1 |
			awk '{print $1 " text, " $2 " data, " $3 " bss"}')"
	else
		echo "$t: FAILED (see $b.log)"
		tail -n 20 "$b.log"
		rc=1
	fi
done
exit $rc
