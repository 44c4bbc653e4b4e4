# event-libs: choosing a context's event lib and the custom-loop adapter (always
# built); each shim folder (libuv/ ...) adds itself when its library was found.
list(APPEND LOOM_SRCS event-libs/evlibs.c)
