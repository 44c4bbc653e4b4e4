# lib/plat/baremetal: no OS, no sockets (LOOM_PLAT=baremetal): the app's clock,
# random source and byte streams, and the loop that polls them
if (LOOM_PLAT_BAREMETAL)
	list(APPEND LOOM_SRCS
		plat/baremetal/bm-plat.c
		plat/baremetal/bm-loop.c
	)
endif()
