/*
 * lwip-sockets.c: the core's socket helpers on lwIP's socket API: non-blocking
 * sockets, accept, send/recv (lwIP raises no SIGPIPE), and addresses. Every
 * descriptor on this platform is an lwIP socket.
 */
#include "core/private-core.h"
#include "plat/lwip/private-lwip.h"

#include <stdio.h>

/* lwIP's own struct sockaddr_in has sin_len; the OS's (external headers) may not */
#if !LWIP_SOCKET_EXTERNAL_HEADERS
#define LOOM_SA_SET_LEN(s, n) ((s)->sin_len = (u8_t)(n))
#define LOOM_SA6_SET_LEN(s, n) ((s)->sin6_len = (u8_t)(n))
#else
#define LOOM_SA_SET_LEN(s, n) ((void)(s))
#define LOOM_SA6_SET_LEN(s, n) ((void)(s))
#endif

/* network byte order without lwIP's optional htons() */
static void
port_put(void *dst, int port)
{
	uint8_t b[2] = { (uint8_t)(port >> 8), (uint8_t)port };

	memcpy(dst, b, 2);
}

static unsigned int
port_get(const void *src)
{
	const uint8_t *b = src;

	return (unsigned int)b[0] << 8 | b[1];
}

int
loom__plat_set_nonblock(int fd)
{
	int fl = lwip_fcntl(fd, F_GETFL, 0);

	if (fl < 0)
		return -1;
	if (fl & O_NONBLOCK)
		return 0;

	return lwip_fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int
loom__plat_socket(int family, int type)
{
	int fd = lwip_socket(family, type, 0);

	if (fd >= 0 && fd >= LOOM_LWIP_MAX_FDS) {
		/* beyond the core's fd table (LOOM_LWIP_MAX_FDS) */
		lwip_close(fd);
		errno = EMFILE;
		return -1;
	}
	if (fd >= 0 && loom__plat_set_nonblock(fd)) {
		lwip_close(fd);
		return -1;
	}

	return fd;
}

int
loom__plat_accept(int lfd, struct loom_sockaddr *peer)
{
	socklen_t len = sizeof(peer->u.raw);
	int fd = lwip_accept(lfd, (struct sockaddr *)peer->u.raw, &len);

	if (fd < 0)
		return -1;
	if (fd >= LOOM_LWIP_MAX_FDS || loom__plat_set_nonblock(fd)) {
		lwip_close(fd);
		errno = EMFILE;
		return -1;
	}
	peer->len = (uint32_t)len;

	return fd;
}

int
loom__plat_send(int fd, const void *buf, size_t len)
{
	return (int)lwip_send(fd, buf, len, 0);
}

int
loom__plat_send_more(int fd, const void *buf, size_t len)
{
	return (int)lwip_send(fd, buf, len, MSG_MORE);
}

int
loom__plat_sendto(int fd, const void *buf, size_t len, const struct loom_sockaddr *to)
{
	return (int)lwip_sendto(fd, buf, len, 0, (const struct sockaddr *)to->u.raw,
				(socklen_t)to->len);
}

int
loom__plat_recv(int fd, void *buf, size_t len)
{
	return (int)lwip_recv(fd, buf, len, 0);
}

int
loom__plat_recvfrom(int fd, void *buf, size_t len, struct loom_sockaddr *from,
		    int *truncated)
{
	struct iovec iov;
	struct msghdr mh;
	int n;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_name = from->u.raw;
	mh.msg_namelen = sizeof(from->u.raw);
	n = (int)lwip_recvmsg(fd, &mh, 0);
	from->len = (uint32_t)mh.msg_namelen;
	*truncated = n >= 0 && (mh.msg_flags & MSG_TRUNC);

	return n;
}

int
loom__plat_fd_write(int fd, const void *buf, size_t len)
{
	return (int)lwip_write(fd, buf, len);
}

int
loom__plat_fd_read(int fd, void *buf, size_t len)
{
	return (int)lwip_read(fd, buf, len);
}

int
loom__plat_close(int fd)
{
	return lwip_close(fd);
}

int
loom__plat_fd_is_pollable(int fd)
{
	return fd >= 0;
}

int
loom__plat_fd_readable(int fd)
{
	return fd >= 0;
}

int
loom__plat_sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (lwip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;

	return err;
}

int
loom__plat_set_keepalive(int fd, unsigned int idle_secs)
{
	int one = 1;

	if (lwip_setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)))
		return -1;
#if LWIP_TCP_KEEPALIVE && defined(TCP_KEEPIDLE)
	{
		int v = (int)idle_secs;

		if (lwip_setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)))
			return -1;
	}
#else
	(void)idle_secs;
#endif
	return 0;
}

int
loom__plat_set_nodelay(int fd)
{
#if LWIP_TCP && defined(TCP_NODELAY)
	int one = 1;

	return lwip_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ? -1 : 0;
#else
	(void)fd;
	return -1;
#endif
}

int
loom__plat_errno_is_again(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

int
loom__plat_ip_parse(const char *text, uint8_t *addr)
{
	if (lwip_inet_pton(AF_INET, text, addr) == 1)
		return 4;
#if LWIP_IPV6
	if (lwip_inet_pton(AF_INET6, text, addr) == 1)
		return 6;
#endif

	return 0;
}

int
loom__plat_sockaddr_from_ip(struct loom_sockaddr *sa, int family, const uint8_t *addr,
			    int port)
{
	memset(sa, 0, sizeof(*sa));
	if (port < 0 || port > 65535)
		return -1;
	if (family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa->u.raw;

		LOOM_SA_SET_LEN(s4, sizeof(*s4));
		s4->sin_family = AF_INET;
		port_put(&s4->sin_port, port);
		memcpy(&s4->sin_addr, addr, 4);
		sa->len = sizeof(*s4);
		return 0;
	}
#if LWIP_IPV6
	if (family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa->u.raw;

		LOOM_SA6_SET_LEN(s6, sizeof(*s6));
		s6->sin6_family = AF_INET6;
		port_put(&s6->sin6_port, port);
		memcpy(&s6->sin6_addr, addr, 16);
		sa->len = sizeof(*s6);
		return 0;
	}
#endif

	return -1;
}

int
loom__plat_sockaddr_parse(struct loom_sockaddr *sa, const char *numeric, int port)
{
	uint8_t addr[16];
	int fam = loom__plat_ip_parse(numeric, addr);

	if (!fam)
		return -1;

	return loom__plat_sockaddr_from_ip(sa, fam, addr, port);
}

int
loom__plat_sockaddr_unix(struct loom_sockaddr *sa, const char *path)
{
	(void)path;
	memset(sa, 0, sizeof(*sa));
	errno = EAFNOSUPPORT;	/* lwIP has no Unix-domain sockets */

	return -1;
}

int
loom__plat_sockaddr_family(const struct loom_sockaddr *sa)
{
	return ((const struct sockaddr *)sa->u.raw)->sa_family;
}

int
loom__plat_sockaddr_to_text(const struct loom_sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr *s = (const struct sockaddr *)sa->u.raw;
	char ip[48];

	if (!len)
		return -1;
	buf[0] = '\0';
	if (s->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa->u.raw;

		if (!lwip_inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip)))
			return -1;
		snprintf(buf, len, "%s:%u", ip, port_get(&s4->sin_port));
		return 0;
	}
#if LWIP_IPV6
	if (s->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa->u.raw;

		if (!lwip_inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip)))
			return -1;
		snprintf(buf, len, "[%s]:%u", ip, port_get(&s6->sin6_port));
		return 0;
	}
#endif
	snprintf(buf, len, "?");

	return -1;
}

int
loom__plat_peer_cred(int fd, unsigned long *uid, unsigned long *gid)
{
	(void)fd;
	(void)uid;
	(void)gid;

	return -1;	/* lwIP has no Unix sockets */
}
