# lib/secure-streams: what the in-process SS and the SSPC-only library share
if (LOOM_WITH_SS OR LOOM_WITH_SSPC)
	list(APPEND LOOM_SRCS secure-streams/ss-names.c)
endif()
