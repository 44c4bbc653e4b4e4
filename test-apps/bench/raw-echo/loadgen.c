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
 *                      [-s msgsize] [--idle]
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

#define BATCH		128	/* connections in connect / first round trip */
#define TIMEOUT_S	10	/* no progress for this long is an error */
#define MAX_EVENTS	256

enum cstate {
	CS_UNUSED,
	CS_CONNECTING,	/* non-blocking connect() in progress */
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
	unsigned char	*tx;		/* msgsize bytes */
	unsigned char	*rx;		/* msgsize bytes */
};

static struct conn *conns;
static int nconns = 1;
static size_t msgsize = 32;
static int epfd = -1;
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
		"[-d seconds | -n roundtrips] [-s msgsize] [--idle]\n");
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

/* Fill c->tx with a pattern that depends on the connection and sequence. */
static void
make_message(struct conn *c, int idx)
{
	uint32_t x = (uint32_t)idx * 2654435761u ^ (c->seq * 40503u + 1u);
	size_t i;

	for (i = 0; i < msgsize; i++) {
		x = x * 1103515245u + 12345u;
		c->tx[i] = (unsigned char)(x >> 16);
	}
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

	while (c->sent < msgsize) {
		n = send(c->fd, c->tx + c->sent, msgsize - c->sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
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
	c->state = CS_RECEIVING;
	c->seq = 0;
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
		if (c->rcvd == msgsize) {
			/* the peer sent more than one message's worth */
			unsigned char extra;

			n = recv(c->fd, &extra, 1, MSG_DONTWAIT);
			if (n > 0)
				die("connection %d: server sent unexpected data",
				    (int)(c - conns));
		} else
			n = recv(c->fd, c->rx + c->rcvd, msgsize - c->rcvd, 0);
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
		if (c->rcvd + (size_t)n > c->sent)
			die("connection %d: echo ahead of what was sent",
			    (int)(c - conns));
		c->rcvd += (size_t)n;
		if (c->rcvd < msgsize)
			continue;
		if (memcmp(c->rx, c->tx, msgsize))
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
	for (i = 0; i < nconns; i++) {
		conns[i].fd = -1;
		conns[i].tx = malloc(msgsize);
		conns[i].rx = malloc(msgsize);
		if (!conns[i].tx || !conns[i].rx)
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
