# libevent shim: built when cmake/LoomEvlibs.cmake found libevent (libevent-dev).
if (LOOM_WITH_LIBEVENT)
	list(APPEND LOOM_SRCS event-libs/libevent/ev-libevent.c)
	list(APPEND LOOM_LINK_PRIVATE ${LOOM_EVLIB_LIBEVENT_LIBS})
	list(APPEND LOOM_INCLUDES_PRIVATE ${LOOM_EVLIB_LIBEVENT_INCLUDES})
endif()
