/*
 * api-test-flow-control: loom_rx_flow_control(conn, 0) stops RX callbacks while a
 * plain peer keeps sending until the kernel buffers fill and its send would block;
 * enabling again delivers every byte, in order. Pausing from inside RX works too.
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

#define SELF_PAUSE_EVERY (256 * 1024)

struct srv {
	struct loom_conn *conn;
	size_t rx_total;
	size_t mismatch_at;		/* first bad byte + 1, 0 = none */
	int paused;			/* we told Loom to stop reading */
	int rx_while_paused;
	int self_pause;			/* phase 2: pause from inside RX */
	size_t next_self_pause;
	int self_pauses;
	int closes;
};

static struct srv srv;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned char
pat(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 10) * 3);
}

static int
cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
   void *in, size_t len)
{
	const unsigned char *p = in;
	size_t i;

	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		srv.conn = conn;
		break;
	case LOOM_CB_RAW_RX:
		if (srv.paused)
			srv.rx_while_paused++;
		for (i = 0; i < len && !srv.mismatch_at; i++)
			if (p[i] != pat(srv.rx_total + i))
				srv.mismatch_at = srv.rx_total + i + 1;
		srv.rx_total += len;
		if (srv.self_pause && srv.rx_total >= srv.next_self_pause) {
			srv.next_self_pause = srv.rx_total + SELF_PAUSE_EVERY;
			srv.self_pauses++;
			srv.paused = 1;
			if (loom_rx_flow_control(conn, 0))
				return -1;
		}
		break;
	case LOOM_CB_RAW_CLOSE:
		srv.closes++;
		srv.conn = NULL;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "sink", cb, 0, 0, 0, NULL, 0 },
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

/* send the pattern from *sent on; returns 1 if the kernel would block */
static int
send_some(int fd, size_t *sent, size_t limit)
{
	unsigned char buf[16384];
	size_t i, n = limit - *sent;
	ssize_t r;

	if (!n)
		return 0;
	if (n > sizeof(buf))
		n = sizeof(buf);
	for (i = 0; i < n; i++)
		buf[i] = pat(*sent + i);
	r = send(fd, buf, n, MSG_NOSIGNAL);
	if (r > 0)
		*sent += (size_t)r;
	return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int
main(void)
{
	struct loom_context_info ci;
	struct loom_vhost_info vi;
	struct loom_context *ctx;
	struct loom_vhost *vh;
	size_t sent = 0, at_pause, target;
	int fd = -1, port, blocked = 0;
	long long end, resume_at = 0;

	memset(&ci, 0, sizeof(ci));
	ci.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-flow-control");
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.iface = "127.0.0.1";
	vi.protocols = protocols;
	vh = loom_create_vhost(ctx, &vi);
	LT_CHECK(vh != NULL);
	port = loom_vhost_port(vh);
	if (!vh || port <= 0)
		goto done;
	fd = tcp_connect(port);
	LT_CHECK(fd >= 0);
	if (fd < 0)
		goto done;

	/* a first 64 KiB flows normally */
	end = now_ms() + 2000;
	while (now_ms() < end && srv.rx_total < 65536) {
		send_some(fd, &sent, 65536);
		loom_service(ctx, 2);
	}
	LT_CHECK_EQ(srv.rx_total, 65536);
	LT_CHECK(srv.conn != NULL);
	if (!srv.conn)
		goto done;

	/* 1: paused from outside a callback; the peer sends until it would block */
	srv.paused = 1;
	LT_CHECK_EQ(loom_rx_flow_control(srv.conn, 0), 0);
	at_pause = srv.rx_total;
	end = now_ms() + 5000;
	while (now_ms() < end && !blocked) {
		int i;

		for (i = 0; i < 64 && !blocked; i++)
			blocked = send_some(fd, &sent, (size_t)-1);
		loom_service(ctx, 0);
	}
	LT_CHECK(blocked);
	fprintf(stderr, "peer blocked after %zu bytes sent while paused\n",
		sent - at_pause);
	/* give the loop time to misbehave: nothing may be read */
	end = now_ms() + 200;
	while (now_ms() < end)
		loom_service(ctx, 5);
	LT_CHECK_EQ(srv.rx_while_paused, 0);
	LT_CHECK_EQ(srv.rx_total, at_pause);
	LT_CHECK(sent - at_pause > 65536);	/* the kernel held plenty for us */

	/* enabled again: every byte arrives, in order */
	srv.paused = 0;
	LT_CHECK_EQ(loom_rx_flow_control(srv.conn, 1), 0);
	end = now_ms() + 5000;
	while (now_ms() < end && srv.rx_total < sent)
		loom_service(ctx, 5);
	LT_CHECK_EQ(srv.rx_total, sent);
	LT_CHECK_EQ(srv.mismatch_at, 0);

	/* 2: the protocol pauses itself in RX every 256 KiB; we resume 20 ms later */
	srv.self_pause = 1;
	srv.next_self_pause = srv.rx_total + SELF_PAUSE_EVERY;
	target = sent + 5 * SELF_PAUSE_EVERY + 1000;
	end = now_ms() + 5000;
	while (now_ms() < end && srv.rx_total < target) {
		send_some(fd, &sent, target);
		loom_service(ctx, 2);
		if (srv.paused && !resume_at)
			resume_at = now_ms() + 20;
		if (resume_at && now_ms() >= resume_at && srv.conn) {
			resume_at = 0;
			srv.paused = 0;
			loom_rx_flow_control(srv.conn, 1);
		}
	}
	LT_CHECK_EQ(srv.rx_total, target);
	LT_CHECK(srv.self_pauses >= 4);
	LT_CHECK_EQ(srv.rx_while_paused, 0);
	LT_CHECK_EQ(srv.mismatch_at, 0);

	/* the peer leaves: one close */
	close(fd);
	fd = -1;
	if (srv.paused && srv.conn) {
		srv.paused = 0;
		loom_rx_flow_control(srv.conn, 1);
	}
	end = now_ms() + 2000;
	while (now_ms() < end && !srv.closes)
		loom_service(ctx, 5);
	LT_CHECK_EQ(srv.closes, 1);

done:
	if (fd >= 0)
		close(fd);
	loom_context_destroy(ctx);
	LT_CHECK(srv.closes <= 1);

	return lt_result("api-test-flow-control");
}
