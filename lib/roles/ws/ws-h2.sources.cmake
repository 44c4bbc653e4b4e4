# lib/roles/ws/ws-h2.c: WebSocket over HTTP/2 (RFC 8441), the ws role riding on an
# h2 stream; built when both roles are (the ws filter takes it out without ws).
if (LOOM_WITH_H2)
	list(APPEND LOOM_SRCS roles/ws/ws-h2.c)
endif()
