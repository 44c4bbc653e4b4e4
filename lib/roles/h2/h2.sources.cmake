# lib/roles/h2: the HTTP/2 role on top of the codec: the connection (frames,
# SETTINGS, flow control, limits) and its streams as child conns with HTTP/1
# semantics. The codec (hpack.c, huffman.c, frame.c) lists its own sources.
if (LOOM_WITH_H2)
	list(APPEND LOOM_SRCS
		roles/h2/ops-h2.c
		roles/h2/stream.c
		roles/h2/client-h2.c
	)
endif()
