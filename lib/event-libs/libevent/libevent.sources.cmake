# libevent shim: built when cmake/LoomEvlibs.cmake found libevent (libevent-dev).
if (LOOM_WITH_LIBEVENT)
	# into libloom, or a module of its own (LOOM_WITH_EVLIB_PLUGINS)
	loom_evlib_shim(libevent event-libs/libevent/ev-libevent.c "${LOOM_EVLIB_LIBEVENT_LIBS}"
		"${LOOM_EVLIB_LIBEVENT_INCLUDES}")
endif()
