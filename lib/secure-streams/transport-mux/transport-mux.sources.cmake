# lib/secure-streams/transport-mux: many Secure Streams multiplexed over one byte
# pipe (UART, pty): the framing codec (no I/O). READMEs/README.ss-serialization.md
if (LOOM_WITH_SS OR LOOM_WITH_SSPC)
	list(APPEND LOOM_SRCS secure-streams/transport-mux/mux-codec.c)
endif()
