/*
 * minimal-custom-loop: the app owns a small select() loop and Loom joins it
 * through the custom-loop API (include/loom/evlib.h): Loom tells the loop which
 * fds to watch, the loop reports ready fds and asks Loom, before each sleep, how
 * long it may sleep. Loom serves a raw TCP echo; the app has its own stdin fd in
 * the same loop. --selftest connects to itself, checks the echo and exits 0.
 *
 * CC0: copy it and make it your own.
 */
#include <loom.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

/* the app's loop: which fds Loom wants watched, for what */
struct app_loop {
	unsigned char want[FD_SETSIZE];		/* LOOM_EVLIB_READ | WRITE, per fd */
	unsigned char watched[FD_SETSIZE];
	int wakes;
};

static volatile sig_atomic_t interrupted;
static unsigned char txbuf[LOOM_PRE + 4096];

static int
app_fd_watch(void *loop, int fd, unsigned int events)
{
	struct app_loop *l = loop;

	if (fd < 0 || fd >= FD_SETSIZE)
		return -1;	/* select() cannot wait on it */
	l->watched[fd] = 1;
	l->want[fd] = (unsigned char)events;

	return 0;
}

static void
app_fd_unwatch(void *loop, int fd)
{
	struct app_loop *l = loop;

	if (fd >= 0 && fd < FD_SETSIZE)
		l->watched[fd] = l->want[fd] = 0;
}

static void
app_wake(void *loop)
{
	/* this loop asks loom_evlib_pending() before every sleep: nothing to do */
	((struct app_loop *)loop)->wakes++;
}

static const struct loom_evlib_custom app_evlib = {
	.name = "app-select",
	.fd_watch = app_fd_watch,
	.fd_unwatch = app_fd_unwatch,
	.wake = app_wake,
};

static int
callback_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	      void *in, size_t len)
{
	if (reason != LOOM_CB_RAW_RX || len > sizeof(txbuf) - LOOM_PRE)
		return 0;
	memcpy(txbuf + LOOM_PRE, in, len);

	return loom_write(conn, txbuf + LOOM_PRE, len, LOOM_WRITE_RAW) < 0;
}

static const struct loom_protocol protocols[] = {
	{ .name = "echo", .callback = callback_echo },
	{ .name = NULL }
};

static void
sigint_handler(int sig)
{
	interrupted = 1;
}

/* one turn of the app's loop; app_fd >= 0 is the app's own fd, *app_ready set
 * when it is readable */
static int
loop_once(struct loom_context *ctx, struct app_loop *l, int app_fd, int *app_ready,
	  int max_ms)
{
	fd_set rfds, wfds;
	struct timeval tv, *ptv = NULL;
	int fd, maxfd = -1, n, ms;

	ms = loom_evlib_pending(ctx, 0);	/* Loom's ready work and due timers */
	if (ms < 0 || ms > max_ms)
		ms = max_ms;
	FD_ZERO(&rfds);
	FD_ZERO(&wfds);
	for (fd = 0; fd < FD_SETSIZE; fd++) {
		if (!l->watched[fd])
			continue;
		if (l->want[fd] & LOOM_EVLIB_READ)
			FD_SET(fd, &rfds);
		if (l->want[fd] & LOOM_EVLIB_WRITE)
			FD_SET(fd, &wfds);
		if (l->want[fd] && fd > maxfd)
			maxfd = fd;
	}
	if (app_fd >= 0) {
		FD_SET(app_fd, &rfds);
		if (app_fd > maxfd)
			maxfd = app_fd;
	}
	if (ms >= 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		ptv = &tv;
	}
	n = select(maxfd + 1, &rfds, &wfds, NULL, ptv);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (app_fd >= 0 && FD_ISSET(app_fd, &rfds))
		*app_ready = 1;
	for (fd = 0; fd <= maxfd; fd++) {
		unsigned int rev = 0;

		if (fd == app_fd || !l->watched[fd])
			continue;
		if (FD_ISSET(fd, &rfds))
			rev |= LOOM_EVLIB_READ;
		if (FD_ISSET(fd, &wfds))
			rev |= LOOM_EVLIB_WRITE;
		if (rev)
			loom_evlib_fd_ready(ctx, 0, fd, rev);
	}

	return 0;
}

static int
selftest(struct loom_context *ctx, struct app_loop *l, int port)
{
	struct sockaddr_in sa;
	char buf[64];
	int fd, ready = 0, turns;
	ssize_t n;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, "custom loop", 11) != 11) {
		fprintf(stderr, "selftest: connect/write failed\n");
		return 1;
	}
	/* the client's fd is the app's own fd in the same loop */
	for (turns = 0; turns < 500 && !ready; turns++)
		if (loop_once(ctx, l, fd, &ready, 10))
			break;
	n = ready ? read(fd, buf, sizeof(buf)) : -1;
	close(fd);
	if (n != 11 || memcmp(buf, "custom loop", 11)) {
		fprintf(stderr, "selftest: no echo\n");
		return 1;
	}
	fprintf(stderr, "selftest: echo through the app's select() loop: ok\n");

	return 0;
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_context *ctx;
	struct loom_vhost *vh;
	static struct app_loop l;
	void *loops[1] = { &l };
	int n, port = 7681, test = 0, ret = 0;

	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "--selftest")) {
			test = 1;
			port = 0;
		} else if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
	}
	signal(SIGINT, sigint_handler);
	memset(&info, 0, sizeof(info));
	info.custom_evlib = &app_evlib;
	info.foreign_loops = loops;
	ctx = loom_create_context(&info);
	if (!ctx)
		return 1;
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.port = port;
	vi.iface = test ? "127.0.0.1" : NULL;
	vi.protocols = protocols;
	vh = loom_create_vhost(ctx, &vi);
	if (!vh) {
		loom_context_destroy(ctx);
		return 1;
	}
	fprintf(stderr, "listening on %d\n", loom_vhost_port(vh));

	if (test)
		ret = selftest(ctx, &l, loom_vhost_port(vh));
	else
		while (!interrupted) {
			int ready = 0;

			if (loop_once(ctx, &l, -1, &ready, 1000))
				break;
		}
	loom_context_destroy(ctx);
	/* every fd Loom watched was given back */
	for (n = 0; n < FD_SETSIZE; n++)
		if (l.watched[n]) {
			fprintf(stderr, "fd %d still watched after destroy\n", n);
			ret = 1;
		}

	return ret;
}
