/*
 * api-test-timeouts: loom_set_timeout() closes an idle conn when due and not before,
 * setting it again postpones it, LOOM_TO_NONE (or 0 s) cancels it, LOOM_TO_KILL_ASYNC
 * closes from the loop after the callback returns, and loom_set_timeout_us() works.
 */
#include <loom.h>
#include "loom-test.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

/* one plain client per case; its first byte tells the server which case it is */
enum tcase {
	TC_ONE_SEC,		/* 'a': 1 s timeout, closes at ~1 s */
	TC_POSTPONED,		/* 'b': 1 s, set again 0.5 s later: closes at ~1.5 s */
	TC_CANCEL_REASON,	/* 'c': 1 s then LOOM_TO_NONE: stays open */
	TC_CANCEL_ZERO,		/* 'd': 1 s then 0 s: stays open */
	TC_KILL_ASYNC,		/* 'e': LOOM_TO_KILL_ASYNC inside RX: closes from the loop */
	TC_USECS,		/* 'f': 300 ms through loom_set_timeout_us() */
	TC_COUNT
};

struct tstate {
	struct loom_conn *conn;
	long long t_rx, t_close;
	int closes;
	int closed_inside_rx;	/* the close callback came while RX still ran */
};

static struct tstate ts[TC_COUNT];
static int unknown;

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int in_rx;

static int
cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
   void *in, size_t len)
{
	struct tstate *t = conn ? loom_get_opaque_user_data(conn) : NULL;
	int id;

	switch (reason) {
	case LOOM_CB_RAW_RX:
		id = len ? ((const char *)in)[0] - 'a' : -1;
		if (id < 0 || id >= TC_COUNT || t) {
			unknown++;
			return -1;
		}
		t = &ts[id];
		t->conn = conn;
		t->t_rx = now_ms();
		loom_set_opaque_user_data(conn, t);
		in_rx = 1;
		switch (id) {
		case TC_ONE_SEC:
		case TC_POSTPONED:
			loom_set_timeout(conn, LOOM_TO_USER, 1);
			break;
		case TC_CANCEL_REASON:
			loom_set_timeout(conn, LOOM_TO_USER, 1);
			loom_set_timeout(conn, LOOM_TO_NONE, 1);
			break;
		case TC_CANCEL_ZERO:
			loom_set_timeout(conn, LOOM_TO_AWAITING_RX, 1);
			loom_set_timeout(conn, LOOM_TO_AWAITING_RX, 0);
			break;
		case TC_KILL_ASYNC:
			loom_set_timeout(conn, LOOM_TO_USER, LOOM_TO_KILL_ASYNC);
			/* the conn is still usable until this callback returns */
			if (loom_get_fd(conn) < 0)
				t->closed_inside_rx++;
			break;
		case TC_USECS:
			loom_set_timeout_us(conn, LOOM_TO_USER, 300000);
			break;
		}
		in_rx = 0;
		break;
	case LOOM_CB_RAW_CLOSE:
		if (!t)
			break;
		if (in_rx)
			t->closed_inside_rx++;
		t->closes++;
		t->t_close = now_ms();
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "timeouts", cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static int
tcp_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

	return fd;
}

/* 1 if the server has closed the plain client (EOF) */
static int
peer_closed(int fd)
{
	char b[16];
	ssize_t n = recv(fd, b, sizeof(b), 0);

	return !n || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

int
main(void)
{
	struct loom_context_info ci;
	struct loom_vhost_info vi;
	struct loom_context *ctx;
	struct loom_vhost *vh;
	int fds[TC_COUNT], port, i, postponed = 0, all_rx, early = 0;
	long long start, end, d;

	memset(&ci, 0, sizeof(ci));
	ci.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-timeouts");
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.iface = "127.0.0.1";
	vi.protocols = protocols;
	vh = loom_create_vhost(ctx, &vi);
	LT_CHECK(vh != NULL);
	port = loom_vhost_port(vh);
	if (!vh || port <= 0)
		goto done;

	for (i = 0; i < TC_COUNT; i++) {
		char id = (char)('a' + i);

		fds[i] = tcp_connect(port);
		LT_CHECK(fds[i] >= 0);
		if (fds[i] >= 0)
			LT_CHECK_EQ(send(fds[i], &id, 1, 0), 1);
	}
	end = now_ms() + 2000;
	do {
		loom_service(ctx, 5);
		for (i = 0, all_rx = 1; i < TC_COUNT; i++)
			all_rx &= ts[i].t_rx != 0;
	} while (!all_rx && now_ms() < end);
	LT_CHECK(all_rx);
	if (!all_rx)
		goto done;

	/* run for 1.8 s; halfway through the 1 s, re-arm the "postponed" one */
	start = ts[TC_ONE_SEC].t_rx;
	end = start + 1800;
	while (now_ms() < end) {
		loom_service(ctx, 5);
		if (!postponed && now_ms() >= ts[TC_POSTPONED].t_rx + 500) {
			postponed = 1;
			LT_CHECK_EQ(ts[TC_POSTPONED].closes, 0);
			loom_set_timeout(ts[TC_POSTPONED].conn, LOOM_TO_USER, 1);
		}
		if (now_ms() - start < 900 && ts[TC_ONE_SEC].closes)
			early = 1;
	}
	LT_CHECK_EQ(early, 0);

	/* 1 s: not before, not much after */
	d = ts[TC_ONE_SEC].t_close - ts[TC_ONE_SEC].t_rx;
	fprintf(stderr, "1 s timeout closed after %lld ms\n", d);
	LT_CHECK_EQ(ts[TC_ONE_SEC].closes, 1);
	LT_CHECK(d >= 990 && d < 1400);
	LT_CHECK(fds[TC_ONE_SEC] >= 0 && peer_closed(fds[TC_ONE_SEC]));

	/* set again at 0.5 s: due at 1.5 s */
	d = ts[TC_POSTPONED].t_close - ts[TC_POSTPONED].t_rx;
	fprintf(stderr, "postponed timeout closed after %lld ms\n", d);
	LT_CHECK_EQ(ts[TC_POSTPONED].closes, 1);
	LT_CHECK(d >= 1490 && d < 1790);

	/* cancelled ones are still open and the peer sees no EOF */
	LT_CHECK_EQ(ts[TC_CANCEL_REASON].closes, 0);
	LT_CHECK_EQ(ts[TC_CANCEL_ZERO].closes, 0);
	LT_CHECK(fds[TC_CANCEL_REASON] >= 0 && !peer_closed(fds[TC_CANCEL_REASON]));
	LT_CHECK(fds[TC_CANCEL_ZERO] >= 0 && !peer_closed(fds[TC_CANCEL_ZERO]));
	LT_CHECK_EQ(loom_conn_count(ctx, 0), 2);

	/* killed from the loop, after the RX callback returned, promptly */
	d = ts[TC_KILL_ASYNC].t_close - ts[TC_KILL_ASYNC].t_rx;
	fprintf(stderr, "kill async closed after %lld ms\n", d);
	LT_CHECK_EQ(ts[TC_KILL_ASYNC].closes, 1);
	LT_CHECK_EQ(ts[TC_KILL_ASYNC].closed_inside_rx, 0);
	LT_CHECK(d >= 0 && d < 100);

	/* 300 ms in µs */
	d = ts[TC_USECS].t_close - ts[TC_USECS].t_rx;
	fprintf(stderr, "300 ms timeout closed after %lld ms\n", d);
	LT_CHECK_EQ(ts[TC_USECS].closes, 1);
	LT_CHECK(d >= 295 && d < 700);

	/* a timeout on a cancelled conn can still be armed afterwards */
	loom_set_timeout_us(ts[TC_CANCEL_ZERO].conn, LOOM_TO_USER, 50000);
	end = now_ms() + 1000;
	while (now_ms() < end && !ts[TC_CANCEL_ZERO].closes)
		loom_service(ctx, 5);
	LT_CHECK_EQ(ts[TC_CANCEL_ZERO].closes, 1);
	LT_CHECK_EQ(unknown, 0);

	for (i = 0; i < TC_COUNT; i++)
		if (fds[i] >= 0)
			close(fds[i]);
done:
	loom_context_destroy(ctx);
	/* each conn got its close exactly once, including the one still open */
	for (i = 0; i < TC_COUNT; i++)
		LT_CHECK_EQ(ts[i].closes, 1);

	return lt_result("api-test-timeouts");
}
