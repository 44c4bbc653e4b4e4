# lib/plat/lwip: the platform over lwIP's socket API (LOOM_PLAT=lwip): the default
# loop is the poll() one on lwip_poll(); threads (the defer lock) use pthreads
if (LOOM_PLAT_LWIP)
	list(APPEND LOOM_SRCS
		plat/lwip/lwip-plat.c
		plat/lwip/lwip-sockets.c
		plat/unix/unix-threads.c
		event-libs/poll/ev-poll.c
	)
	list(APPEND LOOM_INCLUDES_PRIVATE ${LOOM_LWIP_INCLUDE_DIRS})
	# the app links its lwIP; on the host that is Debian's liblwip
	if (LOOM_LWIP_LIBS)
		list(APPEND LOOM_LINK_PUBLIC ${LOOM_LWIP_LIBS})
	endif()
endif()
