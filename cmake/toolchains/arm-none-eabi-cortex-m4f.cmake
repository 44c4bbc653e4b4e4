# Cortex-M4F (hard float, FPv4-SP), bare metal, newlib-nano: Debian's
# gcc-arm-none-eabi and libnewlib-arm-none-eabi. Builds the static library only
# (no OS to run tests on): use with -DLOOM_PLAT=baremetal or lwip.
#   cmake -S . -B build-m4f -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-none-eabi-cortex-m4f.cmake
set(LOOM_ARM_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-common.cmake)
