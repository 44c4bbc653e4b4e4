# lib/secure-streams: the SS policy parser (policy/), the SS API and its states
# and retries (ss.c), and one binding per protocol (protocols/).
if (LOOM_WITH_SS)
	list(APPEND LOOM_SRCS
		secure-streams/policy/policy.c
	)
endif()
