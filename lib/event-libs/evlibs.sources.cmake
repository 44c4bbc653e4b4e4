# event-libs: choosing a context's event lib and the custom-loop adapter (always
# built); each shim folder (libuv/ ...) adds itself when its library was found.
list(APPEND LOOM_SRCS event-libs/evlibs.c)
if (LOOM_WITH_EVLIB_PLUGINS)
	list(APPEND LOOM_LINK_PRIVATE ${CMAKE_DL_LIBS})	# dlopen() of the modules
endif()
