# lib/roles/ws: the WebSocket role (RFC 6455): the I/O-free frame parser and
# encoder, UTF-8 validation, the handshakes (server upgrade from h1, client), and
# permessage-deflate (RFC 7692) when zlib is found.
set(LOOM_WS_SRCS
	roles/ws/frame.c
	roles/ws/utf8.c
	roles/ws/sha1.c
	roles/ws/handshake.c
	roles/ws/client-ws.c
	roles/ws/client-101.c
	roles/ws/ops-ws.c
	roles/ws/deflate.c
)
list(APPEND LOOM_SRCS ${LOOM_WS_SRCS})
find_package(ZLIB QUIET)
if (ZLIB_FOUND)
	set_source_files_properties(roles/ws/deflate.c PROPERTIES
		COMPILE_DEFINITIONS LOOM_WITH_ZLIB)
	list(APPEND LOOM_LINK_PRIVATE ${ZLIB_LIBRARIES})
	# a static libloom needs -lz in the app's link too (loom.pc Libs.private)
	set_property(GLOBAL APPEND PROPERTY LOOM_PC_PRIVATE "-lz")
	list(APPEND LOOM_INCLUDES_PRIVATE ${ZLIB_INCLUDE_DIRS})
	message(STATUS "ws: permessage-deflate with zlib ${ZLIB_VERSION_STRING}")
else()
	message(STATUS "ws: zlib not found: no permessage-deflate")
endif()
