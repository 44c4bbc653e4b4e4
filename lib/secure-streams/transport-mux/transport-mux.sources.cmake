# lib/secure-streams/transport-mux: many Secure Streams multiplexed over one byte
# pipe (UART, pty): the framing codec (no I/O) and the link over a tty fd.
# READMEs/README.ss-serialization.md
if (LOOM_WITH_SS OR LOOM_WITH_SSPC)
	list(APPEND LOOM_SRCS secure-streams/transport-mux/mux-codec.c)
endif()
if (((LOOM_WITH_SS AND LOOM_WITH_SS_PROXY) AND LOOM_PLAT_SOCKETS) OR LOOM_WITH_SS_VIA_PROXY)
	list(APPEND LOOM_SRCS secure-streams/transport-mux/mux-link.c)
endif()
