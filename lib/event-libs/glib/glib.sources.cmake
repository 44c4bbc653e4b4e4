# GLib shim: built when cmake/LoomEvlibs.cmake found glib-2.0 (libglib2.0-dev).
if (LOOM_WITH_GLIB)
	# into libloom, or a module of its own (LOOM_WITH_EVLIB_PLUGINS)
	loom_evlib_shim(glib event-libs/glib/ev-glib.c "${LOOM_EVLIB_GLIB_LIBS}"
		"${LOOM_EVLIB_GLIB_INCLUDES}")
endif()
