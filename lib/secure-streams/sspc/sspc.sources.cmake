# lib/secure-streams/sspc: the SSPC client engine (sspc.c). LOOM_WITH_SSPC (with
# LOOM_WITH_SS off) makes the SSPC-only library: loom_ss_* served by a proxy over
# a socket, or over the transport mux on a byte stream (the only way on
# LOOM_PLAT=baremetal), by sspc-api.c. A full build with sockets has the engine
# too, for contexts created with info.ss_proxy (ss.c hands them to it):
# LOOM_WITH_SS_VIA_PROXY.
if (LOOM_WITH_SS_VIA_PROXY)
	list(APPEND LOOM_SRCS secure-streams/sspc/sspc.c)
	if (LOOM_WITH_SSPC)
		list(APPEND LOOM_SRCS secure-streams/sspc/sspc-api.c)
	endif()
endif()
