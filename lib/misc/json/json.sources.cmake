# lib/misc/json: the streaming JSON parser (include/loom/json.h); the SS policy
# parser uses it, and it costs a few KB, so it is always built.
list(APPEND LOOM_SRCS
	misc/json/json.c
)
