# libuv shim: built when cmake/LoomEvlibs.cmake found libuv (libuv1-dev).
if (LOOM_WITH_LIBUV)
	# into libloom, or a module of its own (LOOM_WITH_EVLIB_PLUGINS)
	loom_evlib_shim(libuv event-libs/libuv/ev-libuv.c "${LOOM_EVLIB_LIBUV_LIBS}"
		"${LOOM_EVLIB_LIBUV_INCLUDES}")
endif()
