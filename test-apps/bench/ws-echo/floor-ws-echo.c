/*
 * loom-bench-floor-ws-echo: the bare single-thread epoll WebSocket echo server
 * that the ws-echo benchmark (test-apps/bench/ws-echo, DESIGN.md section 9)
 * measures Loom against.  It is the floor: no library, level-triggered epoll,
 * read, unmask in place, write the frame back unmasked, all in one pass.
 *
 *   loom-bench-floor-ws-echo [-p PORT] [-a ADDR] [-d LEVEL]
 *
 * Same conventions as loom-bench-floor-echo (DESIGN.md section 10): -p 0 picks
 * a free port, "listening on PORT" on stderr once it accepts, SIGINT/SIGTERM
 * exit 0.  It does what a WebSocket echo must and no more: the upgrade
 * (Sec-WebSocket-Accept computed), masked data frames echoed one frame for one
 * frame with the opcode they came with, ping answered by pong, close answered
 * by close and the connection dropped.  No fragment reassembly, no UTF-8
 * check, no extensions: it is a cost floor, not a conformant server.
 *
 * Per connection it keeps a 48-byte state once upgraded, plus the partial
 * bytes while the upgrade or a frame arrives split over reads (freed once
 * used) and the unsent rest while a write is blocked.
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

#include "../lib/bench-ws.h"

#define MAX_EVENTS	256
#define BUFSIZE		(64 * 1024)
#define MAX_FRAME	(16 * 1024 * 1024)
#define MAX_UPGRADE	4096

/* per fd, allocated only when needed */
struct fdstate {
	unsigned char	upgraded;
	unsigned char	*in;	/* partial upgrade or frame */
	size_t		inlen, incap;
	unsigned char	*out;	/* unsent rest while a write is blocked */
	size_t		outlen, outoff;
};

static struct fdstate **st;	/* indexed by fd */
static int maxfd;
static int epfd = -1;
static int lfd = -1;
static volatile sig_atomic_t got_signal;
static unsigned char rbuf[BUFSIZE], wbuf[BUFSIZE + 16];

static void
on_signal(int sig)
{
	got_signal = sig;
}

static void
usage(void)
{
	fprintf(stderr, "usage: loom-bench-floor-ws-echo [-p PORT] [-a ADDR] "
		"[-d LEVEL]\n");
	exit(2);
}

static void
drop(int fd)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	if (st[fd]) {
		free(st[fd]->in);
		free(st[fd]->out);
		free(st[fd]);
		st[fd] = NULL;
	}
}

static struct fdstate *
state(int fd)
{
	if (!st[fd])
		st[fd] = calloc(1, sizeof(*st[fd]));
	return st[fd];
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

/* dst = src ^ the mask, eight bytes at a time (dst may be src) */
static void
unmask(unsigned char *dst, const unsigned char *src, size_t n,
       const unsigned char key[4])
{
	unsigned char k8[8];
	uint64_t kw, w;
	size_t i = 0;

	memcpy(k8, key, 4);
	memcpy(k8 + 4, key, 4);
	memcpy(&kw, k8, 8);
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, src + i, 8);
		w ^= kw;
		memcpy(dst + i, &w, 8);
	}
	for (; i < n; i++)
		dst[i] = src[i] ^ key[i & 3];
}

/* append to a growable buffer; -1 on allocation failure */
static int
append(unsigned char **b, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (*len + n > *cap) {
		size_t nc = (*len + n) * 2;
		unsigned char *nb = realloc(*b, nc);

		if (!nb)
			return -1;
		*b = nb;
		*cap = nc;
	}
	memcpy(*b + *len, p, n);
	*len += n;
	return 0;
}

/* Write buf; park what does not fit.  Returns 0, or -1 if fd was dropped. */
static int
out(int fd, const unsigned char *buf, size_t len)
{
	struct fdstate *s = st[fd];
	ssize_t n;

	if (s && s->outlen) {	/* already blocked: queue behind */
		size_t cap = s->outlen;

		if (append(&s->out, &s->outlen, &cap, buf, len)) {
			drop(fd);
			return -1;
		}
		return 0;
	}
	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			size_t cap = 0;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				drop(fd);
				return -1;
			}
			s = state(fd);
			if (!s || append(&s->out, &s->outlen, &cap, buf, len)) {
				drop(fd);
				return -1;
			}
			s->outoff = 0;
			set_events(fd, EPOLLOUT);
			return 0;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* answer the upgrade request in req (complete, NUL ended); -1: dropped */
static int
upgrade(int fd, const char *req, size_t len)
{
	char acc[29], resp[160];
	const char *k;
	size_t kl;
	int n;

	if (bench_http_header(req, len, "Sec-WebSocket-Key", &k, &kl) ||
	    bench_ws_accept(k, kl, acc)) {
		drop(fd);
		return -1;
	}
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 101 Switching Protocols\r\n"
		     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
	return out(fd, (const unsigned char *)resp, (size_t)n);
}

/*
 * Echo the complete frames in p[0..len); returns the bytes used (the rest is
 * a partial frame), or -1 when fd was dropped.
 */
static long
frames(int fd, unsigned char *p, size_t len)
{
	size_t used = 0, w = 0;

	while (len - used >= 2) {
		unsigned char *f = p + used, *m, op = f[0] & 0x0f;
		uint64_t pl = f[1] & 0x7f;
		size_t h = 2, i, oh;

		if (!(f[1] & 0x80)) {	/* clients must mask */
			drop(fd);
			return -1;
		}
		if (pl == 126) {
			if (len - used < 4)
				break;
			pl = (uint64_t)f[2] << 8 | f[3];
			h = 4;
		} else if (pl == 127) {
			if (len - used < 10)
				break;
			pl = 0;
			for (i = 0; i < 8; i++)
				pl = pl << 8 | f[2 + i];
			h = 10;
		}
		if (pl > MAX_FRAME) {
			drop(fd);
			return -1;
		}
		if (len - used < h + 4 + pl)
			break;
		m = f + h;
		/* the answer: same FIN/opcode, unmasked */
		if (op == 0x9)
			op = 0xa;	/* ping -> pong */
		else if (op == 0xa)
			goto next;	/* pong: nothing */
		if (w + 10 + pl > sizeof(wbuf)) {
			if (w && out(fd, wbuf, w))
				return -1;
			w = 0;
		}
		oh = 2;
		wbuf[w] = (unsigned char)((f[0] & 0xf0) | op);
		if (pl < 126)
			wbuf[w + 1] = (unsigned char)pl;
		else if (pl < 65536) {
			wbuf[w + 1] = 126;
			wbuf[w + 2] = (unsigned char)(pl >> 8);
			wbuf[w + 3] = (unsigned char)pl;
			oh = 4;
		} else {
			wbuf[w + 1] = 127;
			for (i = 0; i < 8; i++)
				wbuf[w + 2 + i] = (unsigned char)(pl >> (56 - 8 * i));
			oh = 10;
		}
		if (w + oh + pl <= sizeof(wbuf)) {
			unmask(wbuf + w + oh, m + 4, (size_t)pl, m);
			w += oh + (size_t)pl;
		} else {	/* larger than the write buffer */
			unmask(m + 4, m + 4, (size_t)pl, m);
			if (out(fd, wbuf + w, oh) ||
			    out(fd, m + 4, (size_t)pl))
				return -1;
		}
		if (op == 0x8) {	/* close answered: done */
			if (w)
				out(fd, wbuf, w);
			drop(fd);
			return -1;
		}
next:
		used += h + 4 + (size_t)pl;
	}
	if (w && out(fd, wbuf, w))
		return -1;
	return (long)used;
}

static void
on_readable(int fd)
{
	struct fdstate *s = st[fd];
	unsigned char *p;
	ssize_t n;
	size_t len;
	long used;

	n = recv(fd, rbuf, sizeof(rbuf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		drop(fd);
		return;
	}
	p = rbuf;
	len = (size_t)n;
	if (s && s->inlen) {	/* continue a partial upgrade or frame */
		if (append(&s->in, &s->inlen, &s->incap, rbuf, len)) {
			drop(fd);
			return;
		}
		p = s->in;
		len = s->inlen;
	}
	if (!s || !s->upgraded) {
		char *end;

		s = state(fd);
		if (!s) {
			drop(fd);
			return;
		}
		if (p == rbuf) {
			if (append(&s->in, &s->inlen, &s->incap, rbuf, len)) {
				drop(fd);
				return;
			}
			p = s->in;
		}
		if (append(&s->in, &s->inlen, &s->incap, "", 1)) {
			drop(fd);
			return;
		}
		s->inlen--;	/* NUL after, not counted */
		end = strstr((char *)s->in, "\r\n\r\n");
		if (!end) {
			if (s->inlen > MAX_UPGRADE)
				drop(fd);
			return;
		}
		if (upgrade(fd, (char *)s->in, s->inlen))
			return;
		s->upgraded = 1;
		used = (long)((unsigned char *)end + 4 - s->in);
		p = s->in + used;
		len = s->inlen - (size_t)used;
		if (!len) {
			free(s->in);
			s->in = NULL;
			s->inlen = s->incap = 0;
			return;
		}
	}
	used = frames(fd, p, len);
	if (used < 0)
		return;
	s = st[fd];
	if ((size_t)used == len) {
		if (s && s->in) {
			free(s->in);
			s->in = NULL;
			s->inlen = s->incap = 0;
		}
		return;
	}
	/* keep the partial frame */
	if (!s && !(s = state(fd))) {
		drop(fd);
		return;
	}
	if (s->in && p != rbuf) {
		memmove(s->in, p + used, len - (size_t)used);
		s->inlen = len - (size_t)used;
	} else {
		s->inlen = 0;
		if (append(&s->in, &s->inlen, &s->incap, p + used,
			   len - (size_t)used))
			drop(fd);
	}
}

static void
on_writable(int fd)
{
	struct fdstate *s = st[fd];
	ssize_t n;

	if (!s || !s->outlen) {
		set_events(fd, EPOLLIN);
		return;
	}
	while (s->outoff < s->outlen) {
		n = send(fd, s->out + s->outoff, s->outlen - s->outoff,
			 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			drop(fd);
			return;
		}
		s->outoff += (size_t)n;
	}
	free(s->out);
	s->out = NULL;
	s->outlen = s->outoff = 0;
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
			return;
		}
		if (fd >= maxfd) {
			close(fd);
			continue;
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

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	maxfd = 65536;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)maxfd)
		maxfd = (int)rl.rlim_cur;
	st = calloc((size_t)maxfd, sizeof(*st));
	if (!st) {
		perror("calloc");
		return 1;
	}

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

	for (i = 0; i < maxfd; i++)
		if (st[i])
			drop(i);
	free(st);
	close(epfd);
	close(lfd);
	return 0;
}
