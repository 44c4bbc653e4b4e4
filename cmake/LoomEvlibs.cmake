# LoomEvlibs.cmake: the event-lib shims (issue [evlibs], READMEs/README.event-libs.md).
# LOOM_WITH_LIBUV / LIBEVENT / LIBEV / GLIB are "auto": ON builds a shim when its
# Debian -dev package is found (pkg-config, or the header and library for libev,
# whose Debian package has no .pc), and leaves it out otherwise; OFF never builds
# it. Sets LOOM_WITH_<X> to what is built and LOOM_EVLIB_<X>_LIBS (full paths, so
# the exported targets need no imported ones) and LOOM_EVLIB_<X>_INCLUDES, and
# LOOM_EVLIB_PC_LIBS for loom.pc's Libs.private (static links).
find_package(PkgConfig QUIET)
set(LOOM_EVLIBS_BUILT)

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
if (LOOM_WITH_LIBEV AND LOOM_WITH_LIBEVENT)
	message(STATUS "event lib libevent: left out, it cannot share a program with "
		"libev (-DLOOM_WITH_LIBEV=OFF builds it)")
	set(LOOM_WITH_LIBEVENT OFF)
	list(REMOVE_ITEM LOOM_EVLIBS_BUILT libevent)
	set(LOOM_EVLIB_LIBEVENT_LIBS)
endif()

set(LOOM_EVLIB_PC_LIBS "")
foreach(_l uv event_core glib-2.0 ev)
	if ((_l STREQUAL "uv" AND LOOM_WITH_LIBUV) OR
	    (_l STREQUAL "event_core" AND LOOM_WITH_LIBEVENT) OR
	    (_l STREQUAL "glib-2.0" AND LOOM_WITH_GLIB) OR
	    (_l STREQUAL "ev" AND LOOM_WITH_LIBEV))
		string(APPEND LOOM_EVLIB_PC_LIBS " -l${_l}")
	endif()
endforeach()
string(REPLACE ";" " " _evl "${LOOM_EVLIBS_BUILT}")
message(STATUS "event libs: default ${_evl}")
