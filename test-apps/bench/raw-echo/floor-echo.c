/*
 * loom-bench-floor-echo: the bare single-thread epoll TCP echo server that the
 * Loom raw-echo benchmark (test-apps/bench/raw-echo) measures Loom against.
 * It is the floor: no library, no per-connection allocation, level-triggered
 * epoll, read then write back immediately.
 *
 *   loom-bench-floor-echo [-p PORT] [-a ADDR] [-d LEVEL]
 *
 * Per DESIGN.md section 10: -p 0 (the default) picks a free port, the line
 * "listening on PORT" goes to stderr once it accepts connections, and SIGINT
 * or SIGTERM make it close everything and exit 0 (so valgrind can write its
 * output).  -a sets the address to bind (default 127.0.0.1); -d is accepted
 * for compatibility and ignored.
 *
 * A write that does not complete (rare with small echoes) parks the rest in a
 * buffer for that connection, stops reading it and waits for EPOLLOUT.
 */

/* accept4() is a GNU/Linux extension: the floor must not pay for fcntl() */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS	256
#define BUFSIZE		16384

/* the unsent rest of an echo, only while a write is blocked */
struct pending {
	size_t		len;
	size_t		off;
	unsigned char	data[];
};

static struct pending **pend;	/* indexed by fd */
static int maxfd;
static int epfd = -1;
static int lfd = -1;
static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

static void
usage(void)
{
	fprintf(stderr, "usage: loom-bench-floor-echo [-p PORT] [-a ADDR] "
		"[-d LEVEL]\n");
	exit(2);
}

static void
drop(int fd)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	if (fd < maxfd && pend[fd]) {
		free(pend[fd]);
		pend[fd] = NULL;
	}
}

static void
set_events(int fd, uint32_t ev)
{
	struct epoll_event e;

	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.fd = fd;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &e) < 0)
		drop(fd);
}

/* Write buf; park what does not fit.  Returns 0, or -1 if fd was dropped. */
static int
echo_out(int fd, const unsigned char *buf, size_t len)
{
	struct pending *p;
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				drop(fd);
				return -1;
			}
			if (fd >= maxfd) {
				drop(fd);
				return -1;
			}
			p = malloc(sizeof(*p) + len);
			if (!p) {
				drop(fd);
				return -1;
			}
			p->len = len;
			p->off = 0;
			memcpy(p->data, buf, len);
			pend[fd] = p;
			set_events(fd, EPOLLOUT);
			return 0;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
on_readable(int fd)
{
	unsigned char buf[BUFSIZE];
	ssize_t n;

	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		drop(fd);
		return;
	}
	echo_out(fd, buf, (size_t)n);
}

static void
on_writable(int fd)
{
	struct pending *p = fd < maxfd ? pend[fd] : NULL;
	ssize_t n;

	if (!p) {
		set_events(fd, EPOLLIN);
		return;
	}
	while (p->off < p->len) {
		n = send(fd, p->data + p->off, p->len - p->off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			drop(fd);
			return;
		}
		p->off += (size_t)n;
	}
	free(p);
	pend[fd] = NULL;
	set_events(fd, EPOLLIN);
}

static void
on_accept(void)
{
	struct epoll_event e;
	int fd, one = 1;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* EAGAIN: done; EMFILE and others: try again later */
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		memset(&e, 0, sizeof(e));
		e.events = EPOLLIN;
		e.data.fd = fd;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0)
			close(fd);
	}
}

int
main(int argc, char **argv)
{
	struct epoll_event ev[MAX_EVENTS];
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	const char *addr = "127.0.0.1";
	struct sigaction sa;
	sigset_t block, empty;
	struct rlimit rl;
	long port = 0;
	int i, n, one = 1;
	char *end;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-p") && i + 1 < argc) {
			port = strtol(argv[++i], &end, 10);
			if (*end || port < 0 || port > 65535)
				usage();
		} else if (!strcmp(argv[i], "-a") && i + 1 < argc)
			addr = argv[++i];
		else if (!strcmp(argv[i], "-d") && i + 1 < argc)
			i++;
		else
			usage();
	}

	/* as many connections as the hard limit allows */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	maxfd = 65536;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)maxfd)
		maxfd = (int)rl.rlim_cur;
	/* untouched zero pages: costs no RSS until a write blocks */
	pend = calloc((size_t)maxfd, sizeof(*pend));
	if (!pend) {
		perror("calloc");
		return 1;
	}

	/* SIGINT/SIGTERM are only delivered inside epoll_pwait: no races */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&empty);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		usage();
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, SOMAXCONN) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &slen) < 0) {
		perror("bind/listen");
		return 1;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		perror("epoll_create1");
		return 1;
	}
	memset(&ev[0], 0, sizeof(ev[0]));
	ev[0].events = EPOLLIN;
	ev[0].data.fd = lfd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev[0]) < 0) {
		perror("epoll_ctl");
		return 1;
	}

	fprintf(stderr, "listening on %u\n", (unsigned)ntohs(sin.sin_port));
	fflush(stderr);

	while (!got_signal) {
		n = epoll_pwait(epfd, ev, MAX_EVENTS, -1, &empty);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("epoll_pwait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == lfd)
				on_accept();
			else if (ev[i].events & EPOLLOUT)
				on_writable(fd);
			else if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				on_readable(fd);
		}
	}

	/* clean exit: close every connection, free everything */
	for (i = 0; i < maxfd; i++)
		if (pend[i])
			free(pend[i]);
	free(pend);
	close(epfd);
	close(lfd);
	/* the connection fds close with the process */
	return 0;
}
