/*
 * sockets.c: socket-level helpers of the public conn API: the peer's address and
 * the destination of UDP writes.
 */
#include "core/private-core.h"

#include <stdio.h>
#include "plat/private-sockets.h"

const char *
loom_get_peer_address(const struct loom_conn *conn, char *buf, size_t len)
{
	struct loom_sockaddr sa;
	socklen_t sl = sizeof(sa.u.raw);

	if (!len)
		return buf;
	buf[0] = '\0';
	if ((conn->flags & LCF_UDP_HAVE_PEER) && conn->role_data) {
		loom__plat_sockaddr_to_text(conn->role_data, buf, len);
		return buf;
	}
	if (conn->fd < 0 || !(conn->flags & LCF_IS_SOCKET) ||
	    getpeername(conn->fd, (struct sockaddr *)sa.u.raw, &sl)) {
		snprintf(buf, len, "-");
		return buf;
	}
	sa.len = (uint32_t)sl;
	loom__plat_sockaddr_to_text(&sa, buf, len);

	return buf;
}

int
loom_udp_set_peer(struct loom_conn *conn, const char *address, int port)
{
	struct loom_sockaddr sa;

	if (!conn || !(conn->flags & LCF_UDP) || (conn->flags & LCF_CONNECTING) ||
	    !address || loom__plat_sockaddr_parse(&sa, address, port))
		return LOOM_EINVAL;
	if (!conn->role_data) {
		conn->role_data = loom_malloc(sizeof(sa), "udp peer");
		if (!conn->role_data)
			return LOOM_ENOMEM;
	}
	memcpy(conn->role_data, &sa, sizeof(sa));
	conn->flags |= LCF_UDP_HAVE_PEER;

	return 0;
}
