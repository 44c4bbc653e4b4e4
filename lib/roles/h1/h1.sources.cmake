# the HTTP/1.1 role (server and client) and the HTTP pieces it shares with h2
list(APPEND LOOM_SRCS
	roles/h1/ops-h1.c
	roles/h1/client.c
	roles/http/http.c
	roles/http/server.c
	roles/http/static.c
	roles/http/file-cache.c
)
