# LoomEvlibs.cmake: the event-lib shims (issue [evlibs], READMEs/README.event-libs.md).
# LOOM_WITH_LIBUV / LIBEVENT / LIBEV / GLIB are "auto": ON builds a shim when its
# Debian -dev package is found (pkg-config, or the header and library for libev,
# whose Debian package has no .pc), and leaves it out otherwise; OFF never builds
# it. Sets LOOM_WITH_<X> to what is built and LOOM_EVLIB_<X>_LIBS (full paths, so
# the exported targets need no imported ones) and LOOM_EVLIB_<X>_INCLUDES, and
# LOOM_EVLIB_PC_LIBS for loom.pc's Libs.private (static links).
find_package(PkgConfig QUIET)
set(LOOM_EVLIBS_BUILT)

# LOOM_WITH_EVLIB_PLUGINS: each shim is a module of its own, libloom-evlib-<name>.so
# (next to libloom.so, built and installed), that libloom dlopen()s by name when a
# context asks for that event lib: libloom itself links none of the libraries.
option(LOOM_WITH_EVLIB_PLUGINS
	"Event-lib shims as loadable modules (libloom-evlib-<name>.so), libloom links none of their libraries"
	OFF)
if (LOOM_WITH_EVLIB_PLUGINS AND NOT LOOM_WITH_SHARED)
	message(FATAL_ERROR "LOOM_WITH_EVLIB_PLUGINS needs LOOM_WITH_SHARED: the modules "
		"link libloom.so")
endif()
if (LOOM_WITH_EVLIB_PLUGINS AND NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
	message(FATAL_ERROR "LOOM_WITH_EVLIB_PLUGINS: dlopen'd shims are built on Linux only")
endif()

# valgrind options of the evlib leak tests: a loaded module stays for the process
set(LOOM_EVLIB_VALGRIND_OPTS)
if (LOOM_WITH_EVLIB_PLUGINS)
	set(LOOM_EVLIB_VALGRIND_OPTS
		--suppressions=${PROJECT_SOURCE_DIR}/lib/event-libs/evlib-modules.supp)
endif()

# loom_evlib_shim(<name> <source under lib/> <libs> <includes>): called by a shim's
# <name>.sources.cmake (from lib/CMakeLists.txt): the shim goes into libloom, or
# with LOOM_WITH_EVLIB_PLUGINS into its own module linked to libloom and its library.
macro(loom_evlib_shim name src libs incs)
	if (LOOM_WITH_EVLIB_PLUGINS)
		add_library(loom-evlib-${name} MODULE ${PROJECT_SOURCE_DIR}/lib/${src})
		target_include_directories(loom-evlib-${name} PRIVATE ${PROJECT_SOURCE_DIR}/lib
			${incs})
		target_link_libraries(loom-evlib-${name} PRIVATE loom ${libs})
		target_compile_definitions(loom-evlib-${name} PRIVATE _POSIX_C_SOURCE=200809L
			_DEFAULT_SOURCE)
		# libloom looks for it beside itself (lib/event-libs/evlibs.c)
		set_target_properties(loom-evlib-${name} PROPERTIES PREFIX "lib"
			LIBRARY_OUTPUT_DIRECTORY ${CMAKE_LIBRARY_OUTPUT_DIRECTORY})
		install(TARGETS loom-evlib-${name} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
	else()
		list(APPEND LOOM_SRCS ${src})
		list(APPEND LOOM_LINK_PRIVATE ${libs})
		list(APPEND LOOM_INCLUDES_PRIVATE ${incs})
	endif()
endmacro()

# loom_evlib_pc(<OPT> <name> <pkg-config module>)
macro(loom_evlib_pc opt name module)
	set(_found OFF)
	if (NOT EXISTS ${PROJECT_SOURCE_DIR}/lib/event-libs/${name})
		set(LOOM_WITH_${opt} OFF)	# not in this tree yet
	endif()
	if (LOOM_WITH_${opt} AND PKG_CONFIG_FOUND)
		pkg_check_modules(LOOM_EVLIB_${opt}_PC QUIET ${module})
		if (LOOM_EVLIB_${opt}_PC_FOUND)
			set(_found ON)
			set(LOOM_EVLIB_${opt}_LIBS ${LOOM_EVLIB_${opt}_PC_LINK_LIBRARIES})
			set(LOOM_EVLIB_${opt}_INCLUDES ${LOOM_EVLIB_${opt}_PC_INCLUDE_DIRS})
		endif()
	endif()
	if (LOOM_WITH_${opt} AND NOT _found)
		message(STATUS "event lib ${name}: not found, left out")
	endif()
	set(LOOM_WITH_${opt} ${_found})
	if (_found)
		list(APPEND LOOM_EVLIBS_BUILT ${name})
	endif()
endmacro()

loom_evlib_pc(LIBUV libuv libuv)
loom_evlib_pc(LIBEVENT libevent libevent_core)
loom_evlib_pc(GLIB glib glib-2.0)

# libev: Debian's libev-dev has no libev.pc
set(_found OFF)
if (NOT EXISTS ${PROJECT_SOURCE_DIR}/lib/event-libs/libev)
	set(LOOM_WITH_LIBEV OFF)
endif()
if (LOOM_WITH_LIBEV)
	find_path(LOOM_LIBEV_INCLUDE_DIR ev.h PATH_SUFFIXES libev)
	find_library(LOOM_LIBEV_LIB ev)
	if (LOOM_LIBEV_INCLUDE_DIR AND LOOM_LIBEV_LIB)
		set(_found ON)
		set(LOOM_EVLIB_LIBEV_LIBS ${LOOM_LIBEV_LIB})
		set(LOOM_EVLIB_LIBEV_INCLUDES ${LOOM_LIBEV_INCLUDE_DIR})
		list(APPEND LOOM_EVLIBS_BUILT libev)
	else()
		message(STATUS "event lib libev: not found, left out")
	endif()
endif()
set(LOOM_WITH_LIBEV ${_found})

# Debian's libev.so also exports libevent's API names (event_add, event_new ...: its
# compatibility layer), so libev and libevent cannot share one program: calls meant
# for libevent would land in libev. With both found, libev wins; build libevent
# with -DLOOM_WITH_LIBEV=OFF.
# As modules each binds its own library, so there both can be built.
if (LOOM_WITH_LIBEV AND LOOM_WITH_LIBEVENT AND NOT LOOM_WITH_EVLIB_PLUGINS)
	message(STATUS "event lib libevent: left out, it cannot share a program with "
		"libev (-DLOOM_WITH_LIBEV=OFF builds it)")
	set(LOOM_WITH_LIBEVENT OFF)
	list(REMOVE_ITEM LOOM_EVLIBS_BUILT libevent)
	set(LOOM_EVLIB_LIBEVENT_LIBS)
endif()

set(LOOM_EVLIB_PC_LIBS "")
if (LOOM_WITH_EVLIB_PLUGINS)
	set(_pc_evlibs)	# the modules carry their libraries, not libloom
else()
	set(_pc_evlibs uv event_core glib-2.0 ev)
endif()
foreach(_l ${_pc_evlibs})
	if ((_l STREQUAL "uv" AND LOOM_WITH_LIBUV) OR
	    (_l STREQUAL "event_core" AND LOOM_WITH_LIBEVENT) OR
	    (_l STREQUAL "glib-2.0" AND LOOM_WITH_GLIB) OR
	    (_l STREQUAL "ev" AND LOOM_WITH_LIBEV))
		string(APPEND LOOM_EVLIB_PC_LIBS " -l${_l}")
	endif()
endforeach()
string(REPLACE ";" " " _evl "${LOOM_EVLIBS_BUILT}")
if (LOOM_WITH_EVLIB_PLUGINS)
	message(STATUS "event libs: default, modules: ${_evl}")
else()
	message(STATUS "event libs: default ${_evl}")
endif()
