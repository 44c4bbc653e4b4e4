# LoomPlat.cmake: the platform layer (LOOM_PLAT) and the feature switches that make
# an embedded build small. Included from the top CMakeLists.txt before the event
# libs are looked for. See READMEs/README.cross-build.md.
#
#   LOOM_PLAT=unix       POSIX sockets, files, epoll/poll (the default on a host)
#   LOOM_PLAT=lwip       lwIP's socket API (lwip_socket ... lwip_poll), no files
#   LOOM_PLAT=baremetal  no OS, no sockets: the app supplies time, randomness and
#                        byte streams (a UART ...) and drives the service loop;
#                        only the raw-file transport exists there (the
#                        loop reads its wake flag itself: no pipe conn)
if (CMAKE_SYSTEM_NAME STREQUAL "Generic")
	set(_loom_plat_default baremetal)
else()
	set(_loom_plat_default unix)
endif()
set(LOOM_PLAT ${_loom_plat_default} CACHE STRING "Platform layer: unix, lwip or baremetal")
set_property(CACHE LOOM_PLAT PROPERTY STRINGS unix lwip baremetal)

# Features an embedded build can leave out (each costs no code when OFF)
option(LOOM_WITH_H1 "HTTP/1.1 role (server and client)" ON)
option(LOOM_WITH_WS "WebSocket role (needs LOOM_WITH_H1)" ON)
option(LOOM_WITH_MQTT "MQTT client role" ON)
option(LOOM_WITH_DNS "Loom's own async DNS resolver (OFF: numeric addresses and hosts entries only)" ON)
option(LOOM_WITH_CLIENT_PROXY "Client connects through HTTP CONNECT / SOCKS5 proxies" ON)
option(LOOM_WITH_SERVER "Listening sockets: listen, accept, UDP bind (OFF: a client-only build; vhosts need LOOM_VHOST_OPT_NO_LISTEN)" ON)
option(LOOM_WITH_ALLOC_REASONS "The library's allocations tell the allocator hook what they are for (OFF: \"\", and no reason strings in the image)" ON)
option(LOOM_WITH_DEFER "loom_defer(): other threads queue functions for a service thread (OFF: not in the library, and no queue per thread)" ON)
option(LOOM_WITH_CUSTOM_EVLIB "The custom-loop adapter: info.custom_evlib, loom_evlib_fd_ready(), loom_evlib_pending()" ON)

set(LOOM_BM_MAX_STREAMS 8 CACHE STRING
	"baremetal: byte streams open at once (loom_bm_stream_add)")
set(LOOM_LOG_BUILD_MASK 63 CACHE STRING
	"log levels compiled in (OR of LOOM_LL_* bits, include/loom/log.h; 0: no log code or strings at all)")
set(LOOM_LWIP_MAX_FDS 64 CACHE STRING
	"lwip: the highest socket number + 1 (MEMP_NUM_NETCONN + LWIP_SOCKET_OFFSET)")
set(LOOM_PLAT_UNIX OFF)
set(LOOM_PLAT_LWIP OFF)
set(LOOM_PLAT_BAREMETAL OFF)
set(LOOM_PLAT_SOCKETS ON)
if (LOOM_PLAT STREQUAL "unix")
	set(LOOM_PLAT_UNIX ON)
elseif (LOOM_PLAT STREQUAL "lwip")
	set(LOOM_PLAT_LWIP ON)
	# lwIP's headers: LOOM_LWIP_INCLUDE_DIRS (a device's port: its lwipopts.h and
	# arch/ first), else Debian's liblwip-dev (headers + the unix/pthreads port)
	if (NOT LOOM_LWIP_INCLUDE_DIRS)
		find_package(PkgConfig QUIET)
		if (PKG_CONFIG_FOUND)
			pkg_check_modules(LOOM_LWIP_PC QUIET lwip)
		endif()
		if (NOT LOOM_LWIP_PC_FOUND)
			message(FATAL_ERROR "LOOM_PLAT=lwip: lwIP not found (Debian: apt install "
				"liblwip-dev, or set LOOM_LWIP_INCLUDE_DIRS to a port's headers)")
		endif()
		set(LOOM_LWIP_INCLUDE_DIRS ${LOOM_LWIP_PC_INCLUDE_DIRS})
		set(LOOM_LWIP_LIBS ${LOOM_LWIP_PC_LINK_LIBRARIES})
	endif()
	message(STATUS "platform: lwIP (${LOOM_LWIP_INCLUDE_DIRS})")
elseif (LOOM_PLAT STREQUAL "baremetal")
	set(LOOM_PLAT_BAREMETAL ON)
	set(LOOM_PLAT_SOCKETS OFF)
	# what needs sockets, files or threads does not exist there
	foreach(_o H1 H2 WS MQTT SS SS_PROXY DNS CLIENT_PROXY THREADS)
		if (LOOM_WITH_${_o})
			message(STATUS "LOOM_PLAT=baremetal: LOOM_WITH_${_o} turned OFF")
			set(LOOM_WITH_${_o} OFF CACHE BOOL "" FORCE)
		endif()
	endforeach()
	if (NOT LOOM_WITH_TLS STREQUAL "none")
		message(FATAL_ERROR "LOOM_PLAT=baremetal has no sockets: use LOOM_WITH_TLS=none")
	endif()
	message(STATUS "platform: bare metal (no sockets, ${LOOM_BM_MAX_STREAMS} streams)")
else()
	message(FATAL_ERROR "LOOM_PLAT=${LOOM_PLAT}: use unix, lwip or baremetal")
endif()

if (NOT LOOM_WITH_SERVER)
	# a client-only library: the api-tests and benches need servers; of the
	# examples only the clients are built (minimal-examples/CMakeLists.txt),
	# with their tests against real peers
	foreach(_o API_TESTS BENCH FUZZ)
		set(LOOM_WITH_${_o} OFF CACHE BOOL "" FORCE)
	endforeach()
endif()
if (NOT LOOM_PLAT_UNIX)
	# the shims, epoll and the examples and api-tests (which use the host's
	# sockets and files) are for a POSIX host; test-apps/embedded has the tests
	foreach(_o EPOLL LIBUV LIBEVENT LIBEV GLIB MINIMAL_EXAMPLES API_TESTS BENCH FUZZ)
		set(LOOM_WITH_${_o} OFF CACHE BOOL "" FORCE)
	endforeach()
endif()
if (LOOM_WITH_H2 AND NOT LOOM_WITH_H1)
	message(FATAL_ERROR "LOOM_WITH_H2 needs LOOM_WITH_H1 (they share the HTTP layer)")
endif()
if (LOOM_WITH_WS AND NOT LOOM_WITH_H1)
	message(FATAL_ERROR "LOOM_WITH_WS needs LOOM_WITH_H1 (the upgrade is HTTP/1.1)")
endif()
if (LOOM_WITH_MQTT AND NOT LOOM_WITH_WS)
	message(FATAL_ERROR "LOOM_WITH_MQTT needs LOOM_WITH_WS (MQTT over WebSocket is part of the role)")
endif()
if (CMAKE_SYSTEM_NAME STREQUAL "Generic")
	# no OS to run programs on: the library only
	foreach(_o MINIMAL_EXAMPLES API_TESTS BENCH SHARED)
		set(LOOM_WITH_${_o} OFF CACHE BOOL "" FORCE)
	endforeach()
endif()
