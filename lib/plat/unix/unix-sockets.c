/*
 * unix-sockets.c: BSD socket helpers for the core: non-blocking sockets, accept,
 * send/recv that never raise SIGPIPE, address parsing and printing.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE	/* accept4(): platform code may use the OS's extensions */
#endif
#include "core/private-core.h"

#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>

int
loom__plat_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL, 0);

	if (fl < 0)
		return -1;
	if (fl & O_NONBLOCK)
		return 0;

	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int
loom__plat_socket(int family, int type)
{
	int fd;

#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
	fd = socket(family, type, 0);
	if (fd >= 0 && (loom__plat_set_nonblock(fd) ||
			fcntl(fd, F_SETFD, FD_CLOEXEC))) {
		close(fd);
		return -1;
	}
#endif
#if defined(SO_NOSIGPIPE)
	if (fd >= 0) {
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
	}
#endif
	return fd;
}

int
loom__plat_accept(int lfd, struct loom_sockaddr *peer)
{
	socklen_t len = sizeof(peer->u.raw);
	int fd;

#if defined(__linux__)
	fd = accept4(lfd, (struct sockaddr *)peer->u.raw, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
	fd = accept(lfd, (struct sockaddr *)peer->u.raw, &len);
	if (fd >= 0 && (loom__plat_set_nonblock(fd) ||
			fcntl(fd, F_SETFD, FD_CLOEXEC))) {
		close(fd);
		return -1;
	}
#endif
	peer->len = (uint32_t)len;

	return fd;
}

#if !defined(MSG_NOSIGNAL)
#define MSG_NOSIGNAL 0
#endif

#if defined(LOOM_WITH_FAULT_INJECTION)
/* the test-only seam of include/loom/fault.h */
static loom_fault_io_fn fault_fn;
static void *fault_opaque;

void
loom_fault_set_io_hook(loom_fault_io_fn fn, void *opaque)
{
	fault_fn = fn;
	fault_opaque = opaque;
}

int
loom__plat_fault_io(enum loom_fault_io op, int fd, size_t *len)
{
	size_t asked = *len;
	int e;

	if (!fault_fn || !asked)
		return 0;
	e = fault_fn(fault_opaque, op, fd, len);
	if (!*len || *len > asked)
		*len = asked;
	if (e)
		errno = e;

	return e ? -1 : 0;
}
#endif

int
loom__plat_send(int fd, const void *buf, size_t len)
{
#if defined(LOOM_WITH_FAULT_INJECTION)
	if (loom__plat_fault_io(LOOM_FAULT_SEND, fd, &len))
		return -1;
#endif
	return (int)send(fd, buf, len, MSG_NOSIGNAL);
}

/* as loom__plat_send(), telling the stack more follows at once (sendfile of the
 * body after its head), so the two leave in full segments */
int
loom__plat_send_more(int fd, const void *buf, size_t len)
{
#if defined(LOOM_WITH_FAULT_INJECTION)
	if (loom__plat_fault_io(LOOM_FAULT_SEND, fd, &len))
		return -1;
#endif
#if defined(MSG_MORE)
	return (int)send(fd, buf, len, MSG_NOSIGNAL | MSG_MORE);
#else
	return (int)send(fd, buf, len, MSG_NOSIGNAL);
#endif
}

int
loom__plat_sendto(int fd, const void *buf, size_t len, const struct loom_sockaddr *to)
{
	return (int)sendto(fd, buf, len, MSG_NOSIGNAL,
			   (const struct sockaddr *)to->u.raw, (socklen_t)to->len);
}

int
loom__plat_recv(int fd, void *buf, size_t len)
{
#if defined(LOOM_WITH_FAULT_INJECTION)
	if (loom__plat_fault_io(LOOM_FAULT_RECV, fd, &len))
		return -1;
#endif
	return (int)recv(fd, buf, len, 0);
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
	n = (int)recvmsg(fd, &mh, 0);
	from->len = (uint32_t)mh.msg_namelen;
	*truncated = n >= 0 && (mh.msg_flags & MSG_TRUNC);

	return n;
}

/*
 * A write to a pipe whose reader is gone raises SIGPIPE, and write() has no
 * MSG_NOSIGNAL. Block the signal for this thread around the write and consume the
 * one it raised, so the process's own SIGPIPE disposition is never changed.
 */
int
loom__plat_fd_write(int fd, const void *buf, size_t len)
{
	sigset_t pipe_set, old, pend;
	int n, e, was_pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigemptyset(&pend);
	sigpending(&pend);
	was_pending = sigismember(&pend, SIGPIPE);
#if defined(LOOM_WITH_THREADS)
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
#else
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
#endif
	n = (int)write(fd, buf, len);
	e = errno;
	if (n < 0 && e == EPIPE && !was_pending) {
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
#if defined(LOOM_WITH_THREADS)
	pthread_sigmask(SIG_SETMASK, &old, NULL);
#else
	sigprocmask(SIG_SETMASK, &old, NULL);
#endif
	errno = e;

	return n;
}

int
loom__plat_fd_read(int fd, void *buf, size_t len)
{
	return (int)read(fd, buf, len);
}

int
loom__plat_close(int fd)
{
	return close(fd);
}

int
loom__plat_fd_is_pollable(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return 0;

	/* regular files and directories are always "ready": poll cannot wait on them */
	return !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
}

int
loom__plat_fd_readable(int fd)
{
	int fl = fcntl(fd, F_GETFL, 0);

	return fl >= 0 && (fl & O_ACCMODE) != O_WRONLY;
}

int
loom__plat_sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;

	return err;
}

int
loom__plat_set_keepalive(int fd, unsigned int idle_secs)
{
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)))
		return -1;
#if defined(TCP_KEEPIDLE)
	{
		int v = (int)idle_secs;

		if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)))
			return -1;
	}
#endif
	return 0;
}

int
loom__plat_set_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ? -1 : 0;
}

int
loom__plat_errno_is_again(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

int
loom__plat_ip_parse(const char *text, uint8_t *addr)
{
	if (inet_pton(AF_INET, text, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, text, addr) == 1)
		return 6;

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

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		memcpy(&s4->sin_addr, addr, 4);
		sa->len = sizeof(*s4);
		return 0;
	}
	if (family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa->u.raw;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, addr, 16);
		sa->len = sizeof(*s6);
		return 0;
	}

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

/* "@name" is a Linux abstract socket: a leading NUL and no trailing one */
int
loom__plat_sockaddr_unix(struct loom_sockaddr *sa, const char *path)
{
	struct sockaddr_un *su = (struct sockaddr_un *)sa->u.raw;
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	if (!n || n >= sizeof(su->sun_path))
		return -1;
	su->sun_family = AF_UNIX;
	memcpy(su->sun_path, path, n);
	if (path[0] == '@') {
#if defined(__linux__)
		su->sun_path[0] = '\0';
		sa->len = (uint32_t)(offsetof(struct sockaddr_un, sun_path) + n);
		return 0;
#else
		return -1;
#endif
	}
	sa->len = (uint32_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);

	return 0;
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
	char ip[INET6_ADDRSTRLEN];

	if (!len)
		return -1;
	buf[0] = '\0';
	switch (s->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa->u.raw;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
		return 0;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa->u.raw;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
		return 0;
	}
	case AF_UNIX:
		snprintf(buf, len, "unix");
		return 0;
	}
	snprintf(buf, len, "?");

	return -1;
}

int
loom__plat_peer_cred(int fd, unsigned long *uid, unsigned long *gid)
{
#if defined(__linux__) && defined(SO_PEERCRED)
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) || len != sizeof(uc))
		return -1;
	*uid = (unsigned long)uc.uid;
	*gid = (unsigned long)uc.gid;

	return 0;
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
      defined(__NetBSD__)
	uid_t u;
	gid_t g;

	if (getpeereid(fd, &u, &g))
		return -1;
	*uid = (unsigned long)u;
	*gid = (unsigned long)g;

	return 0;
#else
	(void)fd;
	(void)uid;
	(void)gid;

	return -1;
#endif
}
