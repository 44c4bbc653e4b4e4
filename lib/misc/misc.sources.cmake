# lib/misc: small helpers shared by roles and examples (URLs ...)
list(APPEND LOOM_SRCS
	misc/url.c
)
