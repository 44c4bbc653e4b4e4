# libuv shim: built when cmake/LoomEvlibs.cmake found libuv (libuv1-dev).
if (LOOM_WITH_LIBUV)
	list(APPEND LOOM_SRCS event-libs/libuv/ev-libuv.c)
	list(APPEND LOOM_LINK_PRIVATE ${LOOM_EVLIB_LIBUV_LIBS})
	list(APPEND LOOM_INCLUDES_PRIVATE ${LOOM_EVLIB_LIBUV_INCLUDES})
endif()
