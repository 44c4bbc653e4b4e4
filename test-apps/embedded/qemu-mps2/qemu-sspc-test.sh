#!/usr/bin/env bash
# qemu-sspc-test.sh SRC OUT PEER_BIN: the SS hello-world as an SSPC client on a
# bare-metal Cortex-M4 under QEMU (mps2-an386). Builds libloom (LOOM_PLAT=baremetal,
# SSPC-only) and the firmware (fw-ss-hello.c, our startup code and linker script,
# newlib nano) for Cortex-M4F; starts loom-test-server on a free port serving a
# random file, QEMU with UART0 on a host pty, and loom-ssproxy --mux on that pty
# holding the policy; the firmware fetches the file over the UART, checks its
# length and FNV-1a hash (given on its semihosting command line), reports by
# semihosting and exits with a code. PEER_BIN (optional): a host tree's bin/ with
# loom-test-server and loom-ssproxy; without it they are built for the host in
# OUT/host. Every process started here is stopped by PID.
#   LOOM_QEMU_PAYLOAD  bytes of the file fetched (24000)
#   LOOM_QEMU_SECS     QEMU's time limit (90)
set -u -o pipefail
src=$1 out=$2 bin=${3:-}
here=$src/test-apps/embedded/qemu-mps2
command -v qemu-system-arm > /dev/null ||
	{ echo "FAIL: qemu-system-arm missing (contrib/deps.sh LOOM_DEBS_EMBEDDED)"; exit 1; }
. "$src/test-apps/interop/ss/ss-common.sh"
mkdir -p "$out"

if [ -z "$bin" ] || [ ! -x "$bin/loom-test-server" ] || [ ! -x "$bin/loom-ssproxy" ]; then
	h=$out/host
	if ! { cmake -S "$src" -B "$h" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DLOOM_WITH_TLS=none -DLOOM_WITH_MINIMAL_EXAMPLES=OFF -DLOOM_WITH_API_TESTS=OFF \
		-DLOOM_WITH_BENCH=OFF > "$h.log" 2>&1 &&
	       cmake --build "$h" --parallel 2 --target loom-test-server loom-ssproxy \
		>> "$h.log" 2>&1; }; then
		echo "FAIL: the host's loom-test-server and loom-ssproxy did not build"
		tail -20 "$h.log"
		exit 1
	fi
	bin=$h/bin
fi
tmp=$(mktemp -d)
srv_pid='' px_pid='' q_pid=''
trap 'for p in $q_pid $px_pid $srv_pid; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT

# ---- the firmware ----
b=$out/lib-m4f
cpu=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
if ! { cmake -S "$src" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
	"-DCMAKE_TOOLCHAIN_FILE=$src/cmake/toolchains/arm-none-eabi-cortex-m4f.cmake" \
	-DLOOM_PLAT=baremetal -DLOOM_WITH_TLS=none -DLOOM_WITH_SS=OFF -DLOOM_WITH_SSPC=ON > "$b.log" 2>&1 &&
       cmake --build "$b" --parallel 2 >> "$b.log" 2>&1; }; then
	echo "FAIL: libloom for Cortex-M4F (SSPC, baremetal) did not build"; tail -20 "$b.log"
	exit 1
fi
fw=$out/fw-ss-hello.elf
if ! arm-none-eabi-gcc "${cpu[@]}" --specs=nano.specs --specs=nosys.specs -nostartfiles \
	-Os -g -std=c99 -Wall -Wextra -Werror -ffunction-sections -fdata-sections \
	-I"$src/include" -I"$b/include" "$here/fw-ss-hello.c" "$here/board.c" \
	"$here/startup.c" "$b/lib/libloom.a" -T "$here/mps2.ld" -Wl,--gc-sections \
	-Wl,-Map,"$out/fw-ss-hello.map" -o "$fw" 2> "$out/fw.log"; then
	echo "FAIL: the firmware did not build"; cat "$out/fw.log"; exit 1
fi
echo "firmware: $(arm-none-eabi-size "$fw" | tail -n 1 | awk '{print $1 " text, " $2 " data, " $3 " bss"}')"

# ---- the host side: test server, page, policy ----
mkdir -p "$tmp/www"
head -c "${LOOM_QEMU_PAYLOAD:-24000}" /dev/urandom > "$tmp/www/blob.bin"
len=$(stat -c %s "$tmp/www/blob.bin")
hash=$(/usr/bin/python3 -c '
import sys
h = 2166136261
for c in open(sys.argv[1], "rb").read():
    h = ((h ^ c) * 16777619) & 0xffffffff
print("%08x" % h)' "$tmp/www/blob.bin")
start_server "$tmp/srv.log" "$bin/loom-test-server" -p 0 --root "$tmp/www" || exit 1
cat > "$tmp/policy.json" <<EOP
{
	"release": "1", "product": "qemu-sspc", "schema-version": 1,
	"retry": [{ "default": { "backoff": [100, 250, 500], "conceal": 4, "jitterpc": 0 } }],
	"s": [{ "hello": { "endpoint": "127.0.0.1", "port": $port, "protocol": "h1",
		"http_method": "GET", "http_url": "blob.bin",
		"metadata": [{ "ctype": "content-type:" }],
		"retry": "default", "timeout_ms": 10000 } }]
}
EOP

# ---- QEMU: UART0 on a pty, semihosting for the result ----
timeout "${LOOM_QEMU_SECS:-90}" qemu-system-arm -M mps2-an386 -nographic -monitor none \
	-serial pty -semihosting-config "enable=on,target=native,arg=fw-ss-hello,arg=$len,arg=$hash" \
	-kernel "$fw" > "$tmp/qemu.out" 2> "$tmp/qemu.err" &
q_pid=$!
pty=
for _ in $(seq 1 200); do
	pty=$(sed -n 's|.*char device redirected to \(/dev/pts/[0-9]*\).*|\1|p' \
		"$tmp/qemu.out" "$tmp/qemu.err" | head -1)
	[ -n "$pty" ] && break
	kill -0 $q_pid 2>/dev/null || break
	sleep 0.05
done
[ -n "$pty" ] || { echo "FAIL: QEMU gave no pty"; cat "$tmp/qemu.out" "$tmp/qemu.err"; exit 1; }

"$bin/loom-ssproxy" --policy "$tmp/policy.json" -p 0 --mux "$pty" 2> "$tmp/px.log" &
px_pid=$!

wait $q_pid
rc=$?
q_pid=''
# QEMU writes the semihosting console to its stderr
echo "--- firmware (semihosting):"
grep -v 'char device redirected' "$tmp/qemu.err"
result=$(grep '^result:' "$tmp/qemu.err")
fail=0
case $rc in
0)	echo "ok: the firmware fetched $len bytes over its UART via loom-ssproxy," \
	     "length and fnv1a32 $hash match" ;;
124)	echo "FAIL: QEMU did not exit within ${LOOM_QEMU_SECS:-90} s"; fail=1 ;;
*)	echo "FAIL: the firmware exited $rc"; fail=1 ;;
esac
# the code and the line must agree, and the line must carry the host's figures
if [ $rc -eq 0 ] && ! echo "$result" | grep -q ", $len bytes, fnv1a32 $hash, .*: ok$"; then
	echo "FAIL: exit code 0 but the result line says otherwise: $result"; fail=1
fi
# stop the host side now: a sanitizer build reports leaks at exit
kill $px_pid $srv_pid 2>/dev/null
wait $px_pid $srv_pid 2>/dev/null
px_pid='' srv_pid=''
if grep -q "Sanitizer\|runtime error" "$tmp/px.log" "$tmp/srv.log"; then
	echo "FAIL: sanitizer findings on the host side"
	grep -h -A20 "Sanitizer\|runtime error" "$tmp/px.log" "$tmp/srv.log" | head -40
	fail=1
fi
if [ $fail -ne 0 ]; then
	echo "--- qemu stdout:"; tail -20 "$tmp/qemu.out"
	echo "--- proxy:"; tail -30 "$tmp/px.log"
	echo "--- server:"; tail -10 "$tmp/srv.log"
fi
exit $fail
