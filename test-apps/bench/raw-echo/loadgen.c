/*
 * loom-bench-loadgen: the raw TCP echo load generator of the Loom benchmarks
 * (test-apps/bench/raw-echo, DESIGN.md section 9).
 *
 * One thread, one epoll set, N connections.  Each connection keeps exactly one
 * message (32 bytes by default) in flight: send it, wait until every byte has
 * come back and matches what was sent, send the next one.  Connections are
 * opened non-blocking in batches (at most BATCH are "connecting or doing their
 * first round trip" at any time), so 10,000 connections do not overflow the
 * server's listen backlog.  The timed part starts once every connection has
 * completed one round trip.
 *
 *   loom-bench-loadgen [-H host] -p port [-c conns] [-d seconds | -n total]
 *                      [-s msgsize] [--idle] [--ws [--ws-path PATH]]
 *
 * --ws speaks WebSocket (RFC 6455) instead: each connection first sends an
 * upgrade request for PATH (default "/") and checks the 101 answer and its
 * Sec-WebSocket-Accept; then each message is one binary frame with FIN, masked
 * with a fresh key, and the echo must come back as the same payload in one
 * unmasked binary frame.  The message size -s is the payload size.
 *
 * Timed mode prints one machine-readable line on stdout:
 *   roundtrips=N seconds=S rate=R client_cpu_s=C client_cpu_pct=P conns=N msgsize=B
 * --idle opens the connections, does one round trip on each (so the server has
 * surely adopted it), prints "idle ready N" and holds them open until stdin
 * reaches end of file (when stdin can be polled) or SIGTERM/SIGINT arrives.
 *
 * Exit status: 0 on success, 1 on any error (refused or reset connection,
 * wrong echo data, server closed, no progress for TIMEOUT_S), 2 on bad usage.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "../lib/bench-ws.h"

#define BATCH		128	/* connections in connect / first round trip */
#define TIMEOUT_S	10	/* no progress for this long is an error */
#define MAX_EVENTS	256

enum cstate {
	CS_UNUSED,
	CS_CONNECTING,	/* non-blocking connect() in progress */
	CS_HANDSHAKE,	/* --ws: upgrade request sent, reading the answer */
	CS_SENDING,	/* part of the message still to send */
	CS_RECEIVING,	/* waiting for the echo */
	CS_IDLE		/* no message in flight (stopped or idle mode) */
};

struct conn {
	int		fd;
	enum cstate	state;
	int		adopted;	/* completed its first round trip */
	uint32_t	seq;		/* message number on this connection */
	size_t		sent;
	size_t		rcvd;
	size_t		txlen;		/* bytes of tx to send */
	size_t		explen;		/* bytes of the echo expected */
	unsigned char	*tx;		/* what goes out (frame or message) */
	unsigned char	*exp;		/* what must come back (== tx if raw) */
	unsigned char	*rx;		/* what came back */
	char		key[25];	/* --ws: Sec-WebSocket-Key sent */
};

static struct conn *conns;
static int nconns = 1;
static size_t msgsize = 32;
static int epfd = -1;
static int ws;			/* --ws */
static const char *ws_path = "/";
static size_t rxcap;		/* bytes of each rx buffer */
static uint32_t rng = 0x9e3779b9u;	/* masking keys, handshake nonces */
static struct sockaddr_storage peer;
static socklen_t peerlen;

/* counts */
static int nopen;		/* connect() issued */
static int npending;		/* connecting or in first round trip */
static int nadopted;		/* completed first round trip */
static unsigned long long roundtrips;	/* timed round trips completed */
static unsigned long long issued;	/* timed round trips started */
static unsigned long long limit_n;	/* -n: stop after this many */
static int timed;		/* counting round trips now */
static int stopping;		/* issue no new messages */

static volatile sig_atomic_t got_signal;

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "loadgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: loom-bench-loadgen [-H host] -p port [-c conns] "
		"[-d seconds | -n roundtrips] [-s msgsize] [--idle] "
		"[--ws [--ws-path PATH]]\n");
	exit(2);
}

static void
on_signal(int sig)
{
	got_signal = sig;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long
parse_long(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		usage();
	return v;
}

static uint32_t
rand32(void)
{
	/* xorshift32: masking keys need not be secret for a load generator */
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* a WebSocket frame header for len bytes of binary payload; returns its size */
static size_t
ws_header(unsigned char *h, size_t len, int masked)
{
	unsigned char m = masked ? 0x80 : 0;
	size_t n = 2;
	int i;

	h[0] = 0x82;	/* FIN, binary */
	if (len < 126)
		h[1] = (unsigned char)(m | len);
	else if (len < 65536) {
		h[1] = (unsigned char)(m | 126);
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		n = 4;
	} else {
		h[1] = (unsigned char)(m | 127);
		for (i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
		n = 10;
	}
	return n;
}

/*
 * Fill the next message, a pattern that depends on the connection and
 * sequence: raw, tx is the message and the echo must equal it; --ws, exp is
 * the unmasked frame that must come back and tx the same frame masked.
 */
static void
make_message(struct conn *c, int idx)
{
	uint32_t x = (uint32_t)idx * 2654435761u ^ (c->seq * 40503u + 1u);
	unsigned char key[4], *p;
	size_t i, h, hm;

	if (!ws) {
		for (i = 0; i < msgsize; i++) {
			x = x * 1103515245u + 12345u;
			c->tx[i] = (unsigned char)(x >> 16);
		}
		c->txlen = c->explen = msgsize;
		return;
	}
	h = ws_header(c->exp, msgsize, 0);
	hm = ws_header(c->tx, msgsize, 1);
	x ^= rand32();
	memcpy(key, &x, 4);
	memcpy(c->tx + hm, key, 4);
	hm += 4;
	p = c->exp + h;
	for (i = 0; i < msgsize; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)(x >> 16);
		c->tx[hm + i] = (unsigned char)(p[i] ^ key[i & 3]);
	}
	c->txlen = hm + msgsize;
	c->explen = h + msgsize;
}

/* --ws: put the upgrade request in tx */
static void
make_handshake(struct conn *c)
{
	unsigned char nonce[16];
	uint32_t r;
	int i, n;

	for (i = 0; i < 16; i += 4) {
		r = rand32();
		memcpy(nonce + i, &r, 4);
	}
	bench_base64(nonce, 16, c->key);
	n = snprintf((char *)c->tx, rxcap,
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
		     "Sec-WebSocket-Version: 13\r\n\r\n", ws_path, "localhost",
		     c->key);
	if (n < 0 || (size_t)n >= rxcap)
		die("upgrade request too long");
	c->txlen = (size_t)n;
}

static void
set_events(struct conn *c, uint32_t ev)
{
	struct epoll_event e;

	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.u32 = (uint32_t)(c - conns);
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) < 0)
		die("epoll_ctl mod: %s", strerror(errno));
}

static void
start_connect(int idx)
{
	struct conn *c = &conns[idx];
	struct epoll_event e;
	int one = 1;

	c->fd = socket(peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (c->fd < 0)
		die("socket (connection %d): %s", idx, strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&peer, peerlen) < 0 &&
	    errno != EINPROGRESS)
		die("connect (connection %d): %s", idx, strerror(errno));
	c->state = CS_CONNECTING;
	memset(&e, 0, sizeof(e));
	e.events = EPOLLOUT;
	e.data.u32 = (uint32_t)idx;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &e) < 0)
		die("epoll_ctl add: %s", strerror(errno));
	nopen++;
	npending++;
}

/* Try to send the rest of the current message. */
static void
do_send(struct conn *c)
{
	ssize_t n;

	while (c->sent < c->txlen) {
		n = send(c->fd, c->tx + c->sent, c->txlen - c->sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (c->state == CS_HANDSHAKE)
					die("connection %d: upgrade request "
					    "blocked", (int)(c - conns));
				if (c->state != CS_SENDING) {
					c->state = CS_SENDING;
					set_events(c, EPOLLIN | EPOLLOUT);
				}
				return;
			}
			if (errno == EINTR)
				continue;
			die("send (connection %d): %s", (int)(c - conns),
			    strerror(errno));
		}
		c->sent += (size_t)n;
	}
	if (c->state == CS_SENDING)
		set_events(c, EPOLLIN);
	if (c->state != CS_HANDSHAKE)
		c->state = CS_RECEIVING;
}

/* Start the next message on c, or park it when no more may be issued. */
static void
next_message(struct conn *c)
{
	if (c->adopted && (stopping || !timed ||
			   (limit_n && issued >= limit_n))) {
		c->state = CS_IDLE;
		return;
	}
	if (c->adopted)
		issued++;
	c->seq++;
	make_message(c, (int)(c - conns));
	c->sent = 0;
	c->rcvd = 0;
	c->state = CS_RECEIVING;	/* do_send moves it to SENDING if needed */
	do_send(c);
}

static void
on_connected(struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err)
		die("connect (connection %d): %s", (int)(c - conns),
		    strerror(err));
	set_events(c, EPOLLIN);
	c->seq = 0;
	c->sent = 0;
	c->rcvd = 0;
	if (ws) {
		c->state = CS_HANDSHAKE;
		make_handshake(c);
	} else {
		c->state = CS_RECEIVING;
		make_message(c, (int)(c - conns));
	}
	do_send(c);
}

/* --ws: read the answer to the upgrade, then do the first round trip */
static void
do_handshake(struct conn *c)
{
	const char *v, *end;
	char want[29];
	size_t vl;
	ssize_t n;

	for (;;) {
		if (c->rcvd + 1 >= rxcap)
			die("connection %d: upgrade answer too long",
			    (int)(c - conns));
		n = recv(c->fd, c->rx + c->rcvd, rxcap - 1 - c->rcvd, 0);
		if (n == 0)
			die("connection %d: server closed during the handshake",
			    (int)(c - conns));
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			die("recv (connection %d): %s", (int)(c - conns),
			    strerror(errno));
		}
		c->rcvd += (size_t)n;
		c->rx[c->rcvd] = '\0';
		end = strstr((const char *)c->rx, "\r\n\r\n");
		if (end)
			break;
	}
	if ((size_t)(end + 4 - (const char *)c->rx) != c->rcvd)
		die("connection %d: data after the upgrade answer",
		    (int)(c - conns));
	if (strncmp((const char *)c->rx, "HTTP/1.1 101", 12))
		die("connection %d: upgrade refused: %.40s", (int)(c - conns),
		    (const char *)c->rx);
	bench_ws_accept(c->key, strlen(c->key), want);
	if (bench_http_header((const char *)c->rx, c->rcvd,
			      "Sec-WebSocket-Accept", &v, &vl) ||
	    vl != strlen(want) || memcmp(v, want, vl))
		die("connection %d: wrong or missing Sec-WebSocket-Accept",
		    (int)(c - conns));
	c->state = CS_RECEIVING;
	make_message(c, (int)(c - conns));
	c->sent = 0;
	c->rcvd = 0;
	do_send(c);
}

static void
do_recv(struct conn *c)
{
	ssize_t n;

	for (;;) {
		if (c->rcvd == c->explen) {
			/* the peer sent more than one message's worth */
			unsigned char extra;

			n = recv(c->fd, &extra, 1, MSG_DONTWAIT);
			if (n > 0)
				die("connection %d: server sent unexpected data",
				    (int)(c - conns));
		} else
			n = recv(c->fd, c->rx + c->rcvd, c->explen - c->rcvd, 0);
		if (n == 0)
			die("connection %d: server closed the connection",
			    (int)(c - conns));
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			die("recv (connection %d): %s", (int)(c - conns),
			    strerror(errno));
		}
		if (c->state != CS_RECEIVING && c->state != CS_SENDING)
			die("connection %d: data while no message in flight",
			    (int)(c - conns));
		if (!ws && c->rcvd + (size_t)n > c->sent)
			die("connection %d: echo ahead of what was sent",
			    (int)(c - conns));
		c->rcvd += (size_t)n;
		if (c->rcvd < c->explen)
			continue;
		if (memcmp(c->rx, c->exp, c->explen))
			die("connection %d: echoed data differs (message %u)",
			    (int)(c - conns), (unsigned)c->seq);
		/* one round trip done */
		if (!c->adopted) {
			c->adopted = 1;
			nadopted++;
			npending--;
		} else if (timed)
			roundtrips++;
		next_message(c);
		/*
		 * The echo of the new message cannot be here yet: leave it to
		 * (level-triggered) epoll rather than pay a recv() that says
		 * EAGAIN on every round trip.
		 */
		return;
	}
}

static void
handle(struct epoll_event *e)
{
	struct conn *c = &conns[e->data.u32];

	if (c->state == CS_CONNECTING) {
		on_connected(c);
		return;
	}
	if (c->state == CS_HANDSHAKE && (e->events & (EPOLLIN | EPOLLERR |
						       EPOLLHUP))) {
		do_handshake(c);
		return;
	}
	if (e->events & EPOLLIN) {
		do_recv(c);
		return;	/* do_recv dies on EOF / error */
	}
	if (e->events & (EPOLLERR | EPOLLHUP)) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		die("connection %d: %s", (int)(c - conns),
		    err ? strerror(err) : "hung up");
	}
	if ((e->events & EPOLLOUT) && c->state == CS_SENDING)
		do_send(c);
}

/*
 * Run the loop until cond() is true or the deadline (0: none) passes.
 * Dies when nothing happens for TIMEOUT_S while something is expected.
 */
static void
run_loop(int (*cond)(void), double deadline)
{
	struct epoll_event ev[MAX_EVENTS];
	double last = now_s(), t;
	int n, i, ms;

	while (!cond()) {
		if (got_signal)
			die("interrupted by signal %d", (int)got_signal);
		/* keep BATCH connections in flight while connecting */
		while (nopen < nconns && npending < BATCH)
			start_connect(nopen);
		ms = 1000;
		if (deadline > 0) {
			t = deadline - now_s();
			if (t <= 0)
				return;
			if (t * 1000 < ms)
				ms = (int)(t * 1000) + 1;
		}
		n = epoll_wait(epfd, ev, MAX_EVENTS, ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}
		t = now_s();
		if (!n) {
			if (t - last > TIMEOUT_S)
				die("no progress for %d s (%d/%d connections "
				    "adopted, %llu round trips)", TIMEOUT_S,
				    nadopted, nconns, roundtrips);
			continue;
		}
		last = t;
		for (i = 0; i < n; i++)
			handle(&ev[i]);
	}
}

static int
all_adopted(void)
{
	return nadopted == nconns;
}

static int
limit_reached(void)
{
	return limit_n && roundtrips >= limit_n;
}

static int
never(void)
{
	return 0;
}

static void
resolve(const char *host, const char *port)
{
	struct addrinfo hints, *res;
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(host, port, &hints, &res);
	if (r)
		die("%s port %s: %s", host, port, gai_strerror(r));
	memcpy(&peer, res->ai_addr, res->ai_addrlen);
	peerlen = res->ai_addrlen;
	freeaddrinfo(res);
}

static void
raise_fd_limit(int want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)want + 16 > rl.rlim_cur)
		die("%d connections need more file descriptors than the "
		    "limit of %llu", want, (unsigned long long)rl.rlim_cur);
}

/* --idle: hold the connections until stdin ends or a signal arrives. */
static void
hold_idle(void)
{
	struct epoll_event e, ev[MAX_EVENTS];
	char buf[512];
	int n, i, poll_stdin;

	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN;
	e.data.u32 = UINT32_MAX;
	/* regular files and /dev/null cannot be polled: wait for a signal */
	poll_stdin = epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &e) == 0;

	printf("idle ready %d\n", nconns);
	fflush(stdout);

	while (!got_signal) {
		n = epoll_wait(epfd, ev, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.u32 == UINT32_MAX) {
				ssize_t r = read(0, buf, sizeof(buf));

				if (r <= 0 && !(r < 0 && errno == EINTR))
					return;	/* end of stdin */
				continue;
			}
			/* an idle connection must stay silent and open */
			handle(&ev[i]);
		}
	}
	(void)poll_stdin;
}

int
main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *port = NULL;
	double seconds = 3, t0, t1, c0, c1, el;
	int idle = 0, i, have_d = 0;
	struct sigaction sa;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--idle")) {
			idle = 1;
			continue;
		}
		if (!strcmp(a, "--ws")) {
			ws = 1;
			continue;
		}
		if (!strcmp(a, "--ws-path") && i + 1 < argc) {
			ws_path = argv[++i];
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			usage();
		if (a[0] != '-' || !a[1] || a[2] || i + 1 >= argc)
			usage();
		i++;
		switch (a[1]) {
		case 'H':
			host = argv[i];
			break;
		case 'p':
			port = argv[i];
			parse_long(port, 1, 65535);
			break;
		case 'c':
			nconns = (int)parse_long(argv[i], 1, 1000000);
			break;
		case 'd':
			seconds = strtod(argv[i], NULL);
			if (seconds <= 0)
				usage();
			have_d = 1;
			break;
		case 'n':
			limit_n = (unsigned long long)parse_long(argv[i], 1,
								 LONG_MAX);
			break;
		case 's':
			msgsize = (size_t)parse_long(argv[i], 1, 1 << 24);
			break;
		default:
			usage();
		}
	}
	if (!port || (have_d && limit_n))
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	raise_fd_limit(nconns);
	resolve(host, port);

	conns = calloc((size_t)nconns, sizeof(*conns));
	if (!conns)
		die("out of memory");
	/* a frame header is at most 14 bytes; the upgrade fits in 1 KiB */
	rxcap = msgsize + 14;
	if (ws && rxcap < 1024 + strlen(ws_path))
		rxcap = 1024 + strlen(ws_path);
	rng ^= (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
	for (i = 0; i < nconns; i++) {
		conns[i].fd = -1;
		conns[i].tx = malloc(rxcap);
		conns[i].rx = malloc(rxcap);
		conns[i].exp = ws ? malloc(rxcap) : conns[i].tx;
		if (!conns[i].tx || !conns[i].rx || !conns[i].exp)
			die("out of memory");
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));

	/* connect everything, one round trip each */
	run_loop(all_adopted, 0);

	if (idle) {
		hold_idle();
		return 0;
	}

	/* the timed part: restart every (now idle) connection */
	timed = 1;
	t0 = now_s();
	c0 = cpu_s();
	for (i = 0; i < nconns; i++)
		next_message(&conns[i]);
	if (limit_n)
		run_loop(limit_reached, 0);
	else
		run_loop(never, t0 + seconds);
	t1 = now_s();
	c1 = cpu_s();
	stopping = 1;

	for (i = 0; i < nconns; i++)
		close(conns[i].fd);

	el = t1 - t0;
	printf("roundtrips=%llu seconds=%.3f rate=%.0f client_cpu_s=%.3f "
	       "client_cpu_pct=%.1f conns=%d msgsize=%zu\n", roundtrips, el,
	       el > 0 ? (double)roundtrips / el : 0.0, c1 - c0,
	       el > 0 ? 100.0 * (c1 - c0) / el : 0.0, nconns, msgsize);
	fflush(stdout);
	return 0;
}
