/*
 * adopt.h: handing Loom a file descriptor that was opened elsewhere (an accepted
 * socket, a pipe, a tty, a file) so the event loop serves it through a protocol.
 */
#ifndef LOOM_ADOPT_H
#define LOOM_ADOPT_H

/** \defgroup adopt Adopting descriptors
 * @{ */

/** what kind of descriptor is adopted */
#define LOOM_ADOPT_SOCKET	(1u << 0) /**< a connected stream socket -> raw-skt */
#define LOOM_ADOPT_FILE		(1u << 1) /**< any other fd (pipe, tty, file) -> raw-file */
#define LOOM_ADOPT_UDP		(1u << 2) /**< a bound UDP socket -> raw-skt datagrams */
#define LOOM_ADOPT_NO_CLOSE	(1u << 3) /**< do not close the fd when the conn closes */

/**
 * loom_adopt_descriptor() - serve \p fd on \p vh with protocol \p protocol_name
 * (NULL = the vhost's first protocol). The fd is made non-blocking. On success the
 * protocol gets LOOM_CB_RAW_ADOPT (socket) or LOOM_CB_RAW_ADOPT_FILE (file) and Loom
 * owns the fd (closing it at close unless LOOM_ADOPT_NO_CLOSE). On failure returns
 * NULL and the fd is left open for the caller.
 */
struct loom_conn *
loom_adopt_descriptor(struct loom_vhost *vh, unsigned int type, int fd,
		      const char *protocol_name, void *opaque_user_data);
/** @} */

#endif
