# roles/http, the parser room: the HTTP/1 head parser, chunked decoder, tokens and
# URL helpers (I/O-free, see private-http-parser.h).
list(APPEND LOOM_SRCS
	roles/http/parser.c
	roles/http/chunked.c
	roles/http/tokens.c
	roles/http/urlencode.c
)
