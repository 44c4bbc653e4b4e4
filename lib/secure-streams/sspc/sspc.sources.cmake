# lib/secure-streams/sspc: the SSPC client. LOOM_WITH_SSPC (with LOOM_WITH_SS off)
# makes the SSPC-only library: loom_ss_* served by a proxy over a socket, or over
# the transport mux on a byte stream (the only way on LOOM_PLAT=baremetal).
if (LOOM_WITH_SSPC)
	list(APPEND LOOM_SRCS
		secure-streams/sspc/sspc.c
		secure-streams/sspc/sspc-api.c)
endif()
