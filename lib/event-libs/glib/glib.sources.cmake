# GLib shim: built when cmake/LoomEvlibs.cmake found glib-2.0 (libglib2.0-dev).
if (LOOM_WITH_GLIB)
	list(APPEND LOOM_SRCS event-libs/glib/ev-glib.c)
	list(APPEND LOOM_LINK_PRIVATE ${LOOM_EVLIB_GLIB_LIBS})
	list(APPEND LOOM_INCLUDES_PRIVATE ${LOOM_EVLIB_GLIB_INCLUDES})
endif()
