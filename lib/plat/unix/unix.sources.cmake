# lib/plat/unix: the POSIX platform (LOOM_PLAT=unix) and its default loop
if (LOOM_PLAT_UNIX)
	list(APPEND LOOM_SRCS
		plat/unix/unix-plat.c
		plat/unix/unix-sockets.c
		plat/unix/unix-threads.c
		plat/unix/unix-fops.c
	)
	if (LOOM_WITH_EPOLL)
		list(APPEND LOOM_SRCS event-libs/poll/ev-epoll.c)
	else()
		list(APPEND LOOM_SRCS event-libs/poll/ev-poll.c)
	endif()
endif()
