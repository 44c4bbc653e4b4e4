# lib/secure-streams/serialization: the SS serialization codec that SSPC clients
# and the SS proxy speak (READMEs/README.ss-serialization.md). No I/O of its own.
if (LOOM_WITH_SS OR LOOM_WITH_SSPC)
	list(APPEND LOOM_SRCS secure-streams/serialization/ss-ser.c)
endif()
