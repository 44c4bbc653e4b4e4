# lib/roles/h2 codec: the I/O-free HTTP/2 layer (RFC 9113 frames, RFC 7541 HPACK with
# Huffman) the h2 role is built on; the role's own files are in h2.sources.cmake.
if (LOOM_WITH_H2)
	list(APPEND LOOM_SRCS
		roles/h2/huffman.c
		roles/h2/hpack.c
		roles/h2/frame.c
	)
endif()
