# aarch64 Linux (glibc): Debian's gcc-aarch64-linux-gnu. Programs and tests run
# under qemu-user (Debian's qemu-user): ctest starts each test program through
# CMAKE_CROSSCOMPILING_EMULATOR, and test scripts through $LOOM_TEST_EMULATOR.
#   cmake -S . -B build-a64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_AR aarch64-linux-gnu-ar CACHE FILEPATH "")
set(CMAKE_RANLIB aarch64-linux-gnu-ranlib CACHE FILEPATH "")
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# the host's pkg-config must not offer x86-64 libraries (libuv, glib ...)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
find_program(LOOM_QEMU_AARCH64 qemu-aarch64)
if (LOOM_QEMU_AARCH64)
	set(CMAKE_CROSSCOMPILING_EMULATOR ${LOOM_QEMU_AARCH64} -L /usr/aarch64-linux-gnu)
endif()
