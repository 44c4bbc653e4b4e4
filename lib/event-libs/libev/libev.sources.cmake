# libev shim: built when cmake/LoomEvlibs.cmake found libev (libev-dev).
if (LOOM_WITH_LIBEV)
	list(APPEND LOOM_SRCS event-libs/libev/ev-libev.c)
	list(APPEND LOOM_LINK_PRIVATE ${LOOM_EVLIB_LIBEV_LIBS})
	list(APPEND LOOM_INCLUDES_PRIVATE ${LOOM_EVLIB_LIBEV_INCLUDES})
endif()
