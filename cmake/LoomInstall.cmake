# LoomInstall.cmake: what `cmake --install` puts where: libloom (shared and/or static),
# the public headers with the generated loom-config.h, loom.pc, and the CMake package
# (find_package(Loom) giving Loom::loom and Loom::loom_static); plus a CPack TGZ.
# Everything installed is relocatable: loom.pc and the CMake files find the prefix
# from their own location, so `cmake --install --prefix DIR` and DESTDIR both work.

set(LOOM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Loom)
set(LOOM_INSTALL_PCDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# --- libraries: whichever of the two LOOM_WITH_SHARED / LOOM_WITH_STATIC built
set(LOOM_INSTALL_TARGETS)
foreach(t loom loom_static)
	if (TARGET ${t})
		list(APPEND LOOM_INSTALL_TARGETS ${t})
	endif()
endforeach()
if (NOT LOOM_INSTALL_TARGETS)
	message(FATAL_ERROR "LoomInstall: neither loom nor loom_static is defined; "
		"turn on LOOM_WITH_SHARED or LOOM_WITH_STATIC")
endif()

install(TARGETS ${LOOM_INSTALL_TARGETS} EXPORT LoomTargets
	RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
	LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
	ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# --- headers: loom.h at the top, the topic headers and loom-config.h under loom/
install(FILES ${PROJECT_SOURCE_DIR}/include/loom.h
	DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/loom/
	DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/loom
	FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/loom/loom-config.h
	DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/loom)

# --- what a consumer must add when it links: a sanitized libloom needs the
# sanitizer runtime in the program, so the flags go into loom.pc and the package.
set(LOOM_CONSUMER_LINK_FLAGS)
if (LOOM_WITH_ASAN)
	list(APPEND LOOM_CONSUMER_LINK_FLAGS -fsanitize=address,undefined)
endif()
if (LOOM_WITH_TSAN)
	list(APPEND LOOM_CONSUMER_LINK_FLAGS -fsanitize=thread)
endif()
# a libloom compiled with gcov instrumentation (--coverage, -fprofile-arcs, as
# contrib/coverage.sh builds it) calls __gcov_* from its objects: a program that
# links the static library must link libgcov too
string(TOUPPER "${CMAKE_BUILD_TYPE}" _loom_bt)
if ("${CMAKE_C_FLAGS} ${CMAKE_C_FLAGS_${_loom_bt}}" MATCHES "(^| )(--coverage|-fprofile-arcs)( |$)")
	list(APPEND LOOM_CONSUMER_LINK_FLAGS --coverage)
endif()
unset(_loom_bt)

# --- loom.pc: the prefix is found from the .pc file's own place (${pcfiledir})
if (IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
	message(FATAL_ERROR "LoomInstall: CMAKE_INSTALL_LIBDIR must be relative to the "
		"prefix (got ${CMAKE_INSTALL_LIBDIR})")
endif()
file(RELATIVE_PATH LOOM_PC_UP "/prefix/${LOOM_INSTALL_PCDIR}" "/prefix")
string(REGEX REPLACE "/$" "" LOOM_PC_UP "${LOOM_PC_UP}")
set(LOOM_PC_PREFIX "\${pcfiledir}/${LOOM_PC_UP}")
set(LOOM_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
if (IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
	set(LOOM_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
	set(LOOM_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
set(LOOM_PC_LIBS "-L\${libdir} -lloom")
foreach(f ${LOOM_CONSUMER_LINK_FLAGS})
	string(APPEND LOOM_PC_LIBS " ${f}")
endforeach()
set(LOOM_PC_LIBS_PRIVATE "")
if (LOOM_WITH_THREADS)
	set(LOOM_PC_LIBS_PRIVATE "-pthread")
endif()
# the TLS backend's libraries (LOOM_TLS_PC_LIBS, top CMakeLists.txt) for static links
string(PREPEND LOOM_PC_LIBS_PRIVATE "${LOOM_TLS_PC_LIBS} ")
# the event-lib shims' libraries (cmake/LoomEvlibs.cmake)
string(PREPEND LOOM_PC_LIBS_PRIVATE "${LOOM_EVLIB_PC_LIBS} ")
# what lib/ rooms link privately (zlib ...): their *.sources.cmake append link flags
# to the global property LOOM_PC_PRIVATE
get_property(LOOM_PC_ROOM_LIBS GLOBAL PROPERTY LOOM_PC_PRIVATE)
foreach(f ${LOOM_PC_ROOM_LIBS})
	string(PREPEND LOOM_PC_LIBS_PRIVATE "${f} ")
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/loom.pc.in ${PROJECT_BINARY_DIR}/loom.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/loom.pc DESTINATION ${LOOM_INSTALL_PCDIR})

# --- CMake package: LoomTargets.cmake, LoomConfig.cmake, LoomConfigVersion.cmake
install(EXPORT LoomTargets NAMESPACE Loom:: DESTINATION ${LOOM_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/LoomConfig.cmake.in
	${PROJECT_BINARY_DIR}/LoomConfig.cmake
	INSTALL_DESTINATION ${LOOM_INSTALL_CMAKEDIR}
	NO_SET_AND_CHECK_MACRO)
# 0.x: a minor release may break the API, so only the same major.minor matches
write_basic_package_version_file(${PROJECT_BINARY_DIR}/LoomConfigVersion.cmake
	VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/LoomConfig.cmake
	${PROJECT_BINARY_DIR}/LoomConfigVersion.cmake
	DESTINATION ${LOOM_INSTALL_CMAKEDIR})

# --- `cmake --build . --target package`: a .tar.gz of the install tree
if (PROJECT_SOURCE_DIR STREQUAL CMAKE_SOURCE_DIR)
	set(CPACK_GENERATOR TGZ)
	set(CPACK_SOURCE_GENERATOR TGZ)
	set(CPACK_PACKAGE_NAME loom)
	set(CPACK_PACKAGE_VENDOR "The Loom authors")
	set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
	set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Loom: a portable C99 networking library")
	set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
	set(CPACK_RESOURCE_FILE_README ${PROJECT_SOURCE_DIR}/README.md)
	set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/\\\\.cache/")
	include(CPack)
endif()
