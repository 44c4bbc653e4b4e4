#!/usr/bin/env bash
# run.sh [OUT]: Loom's code and RAM footprint on Cortex-M4F and riscv32 (rv32imc)
# at -Os, for the configurations of issue [embedded]:
#   h1c   core + HTTP/1.1 client                  (lwIP platform, no TLS)
#   wsc   core + h1 + WebSocket client + mbedTLS glue (the TLS library excluded)
#   wscc  wsc as a client-only build (LOOM_WITH_SERVER=OFF: no listening, no
#         HTTP server side)
#   full  everything a device serves with: h1, ws, mqtt, h2, SS, DNS, client
#         proxies, mbedTLS glue (not the SS proxy, which runs on a gateway)
#   sspc  the SS proxy client alone (LOOM_WITH_SSPC) as a device without a network
#         stack has it: loom_ss_* served by a proxy over the transport mux on a
#         UART (LOOM_PLAT=baremetal), built as a device build would be: no log
#         code (LOOM_LOG_BUILD_MASK=0), no custom-loop adapter, no allocation
#         reason strings, no loom_defer() (one thread, nothing to defer from)
#   sspcl the same built with link-time optimization (CMake's
#         CMAKE_INTERPROCEDURAL_OPTIMIZATION): fw only, see below
#   sspcs the SSPC-only library over a socket on lwIP, logs and all (the
#         configuration this row measured before 2026-11-26)
# For each: `size` of libloom.a (every object of the configuration) and, for the
# client ones, the code Loom puts in a firmware: fw-client.c linked -Os with
# --gc-sections, Loom's sections summed from the link map (mapsum.py). For sspcl
# fw-client.c is compiled without LTO and the link runs LTO over libloom.a alone,
# so every section of the link's ltrans objects is Loom's code and nothing else's
# (the C library is not LTO code either). lwIP's and mbedTLS's own code are not in
# any figure. Then the RAM an idle connection
# holds (sizes.c), and the x86-64 comparison with Debian's libwebsockets.so.
# Writes OUT/footprint.txt (OUT defaults to build-footprint in the repo).
#   LOOM_FP_CHECK=1  exit 1 if the wsc firmware code on Cortex-M4F is over 64 KB;
#                    say whether the sspcl one is within 12 KB
#   LOOM_FP_CHECK=2  the same, and exit 1 if the sspcl one is over 12 KB (the
#                    ctest case embedded-footprint runs this level)
#   LOOM_FP_X86=0    leave out the x86-64 comparison (the ctest case does)
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../../.."
root=$PWD
out=${1:-build-footprint}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# shellcheck source=contrib/deps.sh
. contrib/deps.sh
if [ "${LOOM_TEST_NO_DEPS:-0}" != 1 ]; then
	# shellcheck disable=SC2086 # a word list
	loom_install_debs $LOOM_DEBS_EMBEDDED libmbedtls-dev >&2
fi

# mbedTLS's headers, without putting the host's /usr/include on a cross build, and
# configured as on a device: Debian's config less what needs an OS (pthreads,
# BSD sockets, files)
inc="$out/mbedtls-inc/mbedtls"
rm -rf "$out/mbedtls-inc"
mkdir -p "$inc"
for h in /usr/include/mbedtls/*.h; do
	ln -s "$h" "$inc/"
done
rm "$inc/config.h"
cat > "$inc/config.h" <<'EOC'
/* Debian's mbedTLS configuration without threads, sockets and timing (run.sh);
 * files stay: Loom's mbedTLS glue loads certificates from paths */
#include "/usr/include/mbedtls/config.h"
#undef MBEDTLS_THREADING_C
#undef MBEDTLS_THREADING_PTHREAD
#undef MBEDTLS_NET_C
#undef MBEDTLS_TIMING_C
#undef MBEDTLS_HAVE_TIME_DATE
EOC
port="$root/test-apps/bench/footprint/lwip-port;/usr/include/lwip"

common=(-G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel -DLOOM_PLAT=lwip
	"-DLOOM_LWIP_INCLUDE_DIRS=$port" -DLOOM_LWIP_MAX_FDS=16 -DLOOM_WITH_THREADS=OFF)
mbed=(-DLOOM_WITH_TLS=mbedtls "-DLOOM_MBEDTLS_INCLUDE_DIR=$out/mbedtls-inc"
      -DLOOM_MBEDTLS_LIB=mbedtls -DLOOM_MBEDX509_LIB=mbedx509
      -DLOOM_MBEDCRYPTO_LIB=mbedcrypto)
device=(-DLOOM_LOG_BUILD_MASK=0 -DLOOM_WITH_CUSTOM_EVLIB=OFF -DLOOM_WITH_ALLOC_REASONS=OFF
	-DLOOM_WITH_DEFER=OFF)
small=(-DLOOM_WITH_MQTT=OFF -DLOOM_WITH_H2=OFF -DLOOM_WITH_SS=OFF -DLOOM_WITH_DNS=OFF
       -DLOOM_WITH_CLIENT_PROXY=OFF)
config_opts() {
	lto=0
	case $1 in
	h1c)	opts=(-DLOOM_WITH_TLS=none -DLOOM_WITH_WS=OFF "${small[@]}")
		dofw=1; fw=(-DFW_H1) ;;
	wsc)	opts=("${mbed[@]}" -DLOOM_WITH_WS=ON "${small[@]}")
		dofw=1; fw=(-DFW_WS -DFW_TLS) ;;
	wscc)	opts=("${mbed[@]}" -DLOOM_WITH_WS=ON "${small[@]}" -DLOOM_WITH_SERVER=OFF)
		dofw=1; fw=(-DFW_WS -DFW_TLS) ;;
	sspc|sspcl)
		opts=(-DLOOM_PLAT=baremetal -DLOOM_WITH_TLS=none -DLOOM_WITH_H1=OFF
		      -DLOOM_WITH_WS=OFF "${small[@]}" -DLOOM_WITH_SS_PROXY=OFF
		      -DLOOM_WITH_SSPC=ON "${device[@]}")
		[ "$1" = sspcl ] && { opts+=(-DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON); lto=1; }
		dofw=1; fw=(-DFW_SSPC) ;;
	sspcs)	opts=(-DLOOM_WITH_TLS=none -DLOOM_WITH_H1=OFF -DLOOM_WITH_WS=OFF "${small[@]}"
		      -DLOOM_WITH_SS_PROXY=OFF -DLOOM_WITH_SSPC=ON)
		dofw=1; fw=(-DFW_SSPC) ;;
	full)	opts=("${mbed[@]}" -DLOOM_WITH_WS=ON -DLOOM_WITH_MQTT=ON -DLOOM_WITH_H2=ON
		      -DLOOM_WITH_SS=ON -DLOOM_WITH_SS_PROXY=OFF -DLOOM_WITH_DNS=ON
		      -DLOOM_WITH_CLIENT_PROXY=ON)
		dofw=0; fw=() ;;
	esac
}
arch_opts() {
	case $1 in
	m4f)	toolchain=arm-none-eabi-cortex-m4f; cc=arm-none-eabi-gcc
		size=arm-none-eabi-size; nm=arm-none-eabi-nm
		cflags=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
			--specs=nano.specs)
		ldflags=(--specs=nosys.specs) ;;
	rv32)	toolchain=riscv32-picolibc; cc=riscv64-unknown-elf-gcc
		size=riscv64-unknown-elf-size; nm=riscv64-unknown-elf-nm
		cflags=(-march=rv32imc -mabi=ilp32 --specs=picolibc.specs)
		ldflags=(-Wl,--defsym=__flash_size=0x400000 -Wl,--defsym=__ram_size=0x100000) ;;
	esac
}

report="$out/footprint.txt"
{
echo "Loom footprint, $(date -u +%Y-%m-%d), $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "not a git tree")"
echo "-Os; bytes. lib = size of libloom.a (all objects of the configuration);"
echo "fw = Loom's part of a minimal client firmware linked with --gc-sections."
printf '%-5s %-5s %9s %6s %6s   %9s %6s %6s\n' arch cfg lib.text data bss fw.text data bss
} > "$report"

declare -A fwtext
for arch in m4f rv32; do
	arch_opts "$arch"
	for cfg in sspc sspcl sspcs h1c wsc wscc full; do
		config_opts "$cfg"
		b="$out/$arch-$cfg"
		cmake -S "$root" -B "$b" "${common[@]}" \
			"-DCMAKE_TOOLCHAIN_FILE=$root/cmake/toolchains/$toolchain.cmake" \
			"${opts[@]}" > "$b.log" 2>&1 ||
			{ echo "configure $arch-$cfg failed: $b.log" >&2; exit 1; }
		if ! cmake --build "$b" --parallel 2 >> "$b.log" 2>&1; then
			# the limit's configuration must build; others are reported
			[ "$cfg" = wsc ] && { echo "build $arch-$cfg failed: $b.log" >&2; exit 1; }
			why="$(grep -m 1 '^FAILED:' "$b.log" | sed 's|.*/||; s|\.obj$||'):"
			why="$why $(grep -m 1 -E ': (fatal )?error:' "$b.log" |
				   sed 's|.*error: ||' | cut -c1-70)"
			printf '%-5s %-5s does not build: %s\n' "$arch" "$cfg" "$why" >> "$report"
			continue
		fi
		read -r lt ld lb _ < <($size -t "$b/lib/libloom.a" | tail -n 1)
		[ "$lto" = 1 ] && lt=- ld=- lb=-	# LTO objects hold no machine code
		ft=- fd=- fb=-
		if [ "$lto" = 1 ]; then
			"$cc" "${cflags[@]}" -Os -std=c99 -Wall -Wextra -Werror \
				-ffunction-sections -fdata-sections "${fw[@]}" \
				-I"$root/include" -I"$b/include" -c \
				"$root/test-apps/bench/footprint/fw-client.c" -o "$b/fw-client.o"
			"$cc" "${cflags[@]}" "${ldflags[@]}" -Os -flto "$b/fw-client.o" \
				"$b/lib/libloom.a" -Wl,--gc-sections \
				-Wl,--unresolved-symbols=ignore-all \
				-Wl,-Map,"$b/fw.map" -o "$b/fw.elf"
			read -r ft fd fb < <(python3 "$root/test-apps/bench/footprint/mapsum.py" \
						"$b/fw.map" .ltrans)
			fwtext[$arch-$cfg]=$ft
		elif [ "$dofw" = 1 ]; then
			"$cc" "${cflags[@]}" "${ldflags[@]}" -Os -std=c99 -Wall -Wextra -Werror \
				-ffunction-sections -fdata-sections "${fw[@]}" \
				-I"$root/include" -I"$b/include" \
				"$root/test-apps/bench/footprint/fw-client.c" "$b/lib/libloom.a" \
				-Wl,--gc-sections -Wl,--unresolved-symbols=ignore-all \
				-Wl,-Map,"$b/fw.map" -o "$b/fw.elf"
			read -r ft fd fb < <(python3 "$root/test-apps/bench/footprint/mapsum.py" \
						"$b/fw.map")
			fwtext[$arch-$cfg]=$ft
		fi
		printf '%-5s %-5s %9s %6s %6s   %9s %6s %6s\n' \
			"$arch" "$cfg" "$lt" "$ld" "$lb" "$ft" "$fd" "$fb" >> "$report"
	done

	# RAM per idle connection, as this target lays the structs out
	b="$out/$arch-wsc"
	"$cc" "${cflags[@]}" -Os -std=c99 -c -I"$root/include" -I"$b/include" -I"$root/lib" \
		-I"$root/test-apps/bench/footprint/lwip-port" -I/usr/include/lwip \
		"$root/test-apps/bench/footprint/sizes.c" -o "$b/sizes.o"
	sz() { echo $((16#$($nm -S "$b/sizes.o" | awk -v s="$1" '$4 == s { print $2 }'))); }
	conn=$(sz loom_fp_conn); h1=$(sz loom_fp_h1); ws=$(sz loom_fp_ws_client)
	{
	echo "$arch RAM per idle conn: conn $conn; raw $conn, h1 keep-alive $((conn + h1)),"
	echo "     ws client $((conn + ws)) (+ the protocol's per-session data, + the TLS"
	echo "     library's session when over TLS); every conn of a thread shares one"
	echo "     rx buffer (pt_serv_buf_size, 4096 by default)"
	} >> "$report"
done

# x86-64: the full build against Debian's libwebsockets.so
if [ "${LOOM_FP_X86:-1}" = 1 ]; then
b="$out/x86_64-full"
cmake -S "$root" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOM_WITH_TLS=openssl \
	-DLOOM_WITH_STATIC=OFF -DLOOM_WITH_MINIMAL_EXAMPLES=OFF -DLOOM_WITH_API_TESTS=OFF \
	-DLOOM_WITH_BENCH=OFF > "$b.log" 2>&1 &&
	cmake --build "$b" --parallel 2 --target loom >> "$b.log" 2>&1 ||
	{ echo "x86-64 build failed: $b.log" >&2; exit 1; }
lws=$(ls /usr/lib/x86_64-linux-gnu/libwebsockets.so.* 2>/dev/null | head -n 1 || true)
{
echo "x86-64 -O2 shared libraries (size: text data bss):"
echo "  libloom.so (full, OpenSSL glue): $(size "$b"/lib/libloom.so.*.*.* | tail -n 1 | awk '{print $1, $2, $3}')"
if [ -n "$lws" ]; then
	echo "  $(basename "$lws") (Debian $(dpkg-query -W -f='${Version}' 'libwebsockets[0-9]*' 2>/dev/null | head -n 1)): $(size "$lws" | tail -n 1 | awk '{print $1, $2, $3}')"
else
	echo "  libwebsockets.so: not installed (apt install libwebsockets-dev)"
fi
} >> "$report"
fi

cat "$report"
if [ "${LOOM_FP_CHECK:-0}" -ge 1 ]; then
	t=${fwtext[m4f-wsc]:-999999}
	if [ "$t" -gt 65536 ]; then
		echo "footprint: core + h1 + ws client on Cortex-M4F is $t bytes, over 64 KB" >&2
		exit 1
	fi
	echo "footprint: core + h1 + ws client on Cortex-M4F: $t bytes (limit 65536)"
	t=${fwtext[m4f-sspcl]:-999999}
	if [ "$t" -gt 12288 ]; then
		# fatal at level 2 (the ctest's), reported at level 1
		echo "footprint: SSPC-only client (LTO) on Cortex-M4F: $t bytes, OVER the 12 KB target" >&2
		if [ "$LOOM_FP_CHECK" -ge 2 ]; then exit 1; fi
	else
		echo "footprint: SSPC-only client (LTO) on Cortex-M4F: $t bytes (limit 12288)"
	fi
fi
