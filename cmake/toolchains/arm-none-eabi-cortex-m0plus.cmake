# Cortex-M0+ (ARMv6-M, no FPU), bare metal, newlib-nano: Debian's gcc-arm-none-eabi
# and libnewlib-arm-none-eabi. Builds the static library only.
#   cmake -S . -B build-m0 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-none-eabi-cortex-m0plus.cmake
set(LOOM_ARM_CPU_FLAGS "-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-common.cmake)
