# libev shim: built when cmake/LoomEvlibs.cmake found libev (libev-dev).
if (LOOM_WITH_LIBEV)
	# into libloom, or a module of its own (LOOM_WITH_EVLIB_PLUGINS)
	loom_evlib_shim(libev event-libs/libev/ev-libev.c "${LOOM_EVLIB_LIBEV_LIBS}"
		"${LOOM_EVLIB_LIBEV_INCLUDES}")
endif()
