/*
 * api-test-conn-limit: with info.max_conns = 5 a raw echo server holds five plain
 * TCP clients, closes the sixth at once while the five carry on echoing, and
 * accepts a new client after one of the five leaves.
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

#define MAX_CONNS 5

struct pss {
	struct loom_buflist *pending;
};

static int adopts, closes;
static unsigned char txbuf[LOOM_PRE + 4096];

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
cb_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	struct pss *pss = user;
	size_t n;

	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		adopts++;
		break;
	case LOOM_CB_RAW_RX:
		if (loom_buflist_append_segment(&pss->pending, in, len) < 0)
			return -1;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		n = loom_buflist_linear_use(&pss->pending, txbuf + LOOM_PRE,
					    sizeof(txbuf) - LOOM_PRE);
		if (n && loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		if (pss->pending)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_CLOSE:
		closes++;
		loom_buflist_destroy_all_segments(&pss->pending);
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "echo", cb_echo, sizeof(struct pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* a blocking connect (the kernel completes it without an accept), then non-blocking */
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

static void
pump_until_count(struct loom_context *ctx, unsigned int want, int ms)
{
	long long end = now_ms() + ms;

	while (now_ms() < end && loom_conn_count(ctx, 0) != want)
		loom_service(ctx, 5);
	/* and a little more, so a wrong extra accept would show */
	end = now_ms() + 30;
	while (now_ms() < end)
		loom_service(ctx, 5);
}

/* send a message and service the loop until it comes back whole; 1 = echoed */
static int
echo_ok(struct loom_context *ctx, int fd, const char *msg)
{
	size_t len = strlen(msg), got = 0;
	char buf[256];
	long long end = now_ms() + 2000;
	ssize_t n;

	if (send(fd, msg, len, 0) != (ssize_t)len)
		return 0;
	while (now_ms() < end && got < len) {
		loom_service(ctx, 5);
		n = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (n > 0)
			got += (size_t)n;
		else if (!n || (errno != EAGAIN && errno != EWOULDBLOCK))
			return 0;
	}

	return got == len && !memcmp(buf, msg, len);
}

/* 1 if the server closed this client (EOF or reset) within \p ms */
static int
closed_by_server(struct loom_context *ctx, int fd, int ms)
{
	long long end = now_ms() + ms;
	char buf[64];
	ssize_t n;

	while (now_ms() < end) {
		loom_service(ctx, 5);
		n = recv(fd, buf, sizeof(buf), 0);
		if (!n || (n < 0 && errno == ECONNRESET))
			return 1;
		if (n > 0)
			return 0;	/* it echoed: it was accepted */
	}

	return 0;
}

int
main(void)
{
	struct loom_context_info ci;
	struct loom_vhost_info vi;
	struct loom_client_connect_info cc;
	struct loom_context *ctx;
	struct loom_vhost *vh;
	int fds[MAX_CONNS], extra, late, port, i, ok;
	char msg[64];

	for (i = 0; i < MAX_CONNS; i++)
		fds[i] = -1;
	memset(&ci, 0, sizeof(ci));
	ci.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	ci.max_conns = MAX_CONNS;
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-conn-limit");
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.iface = "127.0.0.1";
	vi.protocols = protocols;
	vh = loom_create_vhost(ctx, &vi);
	LT_CHECK(vh != NULL);
	port = loom_vhost_port(vh);
	LT_CHECK(port > 0);
	if (!vh || port <= 0)
		goto done;
	LT_CHECK_EQ(loom_conn_count(ctx, 0), 0);

	/* five clients are accepted, one at a time */
	for (i = 0; i < MAX_CONNS; i++) {
		fds[i] = tcp_connect(port);
		LT_CHECK(fds[i] >= 0);
		pump_until_count(ctx, (unsigned int)i + 1, 2000);
		LT_CHECK_EQ(loom_conn_count(ctx, 0), i + 1);
	}
	LT_CHECK_EQ(adopts, MAX_CONNS);
	for (i = 0, ok = 0; i < MAX_CONNS; i++) {
		snprintf(msg, sizeof(msg), "hello from client %d", i);
		ok += fds[i] >= 0 && echo_ok(ctx, fds[i], msg);
	}
	LT_CHECK_EQ(ok, MAX_CONNS);

	/* the sixth is closed by the server at once and never reaches the protocol */
	extra = tcp_connect(port);
	LT_CHECK(extra >= 0);
	if (extra >= 0) {
		(void)send(extra, "x", 1, MSG_NOSIGNAL);
		LT_CHECK(closed_by_server(ctx, extra, 1000));
		close(extra);
	}
	LT_CHECK_EQ(loom_conn_count(ctx, 0), MAX_CONNS);
	LT_CHECK_EQ(adopts, MAX_CONNS);
	LT_CHECK_EQ(closes, 0);

	/* a Loom client cannot start either while the pt is full */
	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.address = "127.0.0.1";
	cc.port = port;
	cc.flags = LOOM_CONNECT_RAW;
	LT_CHECK(loom_client_connect(&cc) == NULL);
	LT_CHECK_EQ(loom_conn_count(ctx, 0), MAX_CONNS);

	/* the five held ones still echo */
	for (i = 0, ok = 0; i < MAX_CONNS; i++) {
		snprintf(msg, sizeof(msg), "still here %d", i);
		ok += fds[i] >= 0 && echo_ok(ctx, fds[i], msg);
	}
	LT_CHECK_EQ(ok, MAX_CONNS);

	/* one leaves: its slot is free again and a new client is served */
	close(fds[0]);
	fds[0] = -1;
	pump_until_count(ctx, MAX_CONNS - 1, 2000);
	LT_CHECK_EQ(loom_conn_count(ctx, 0), MAX_CONNS - 1);
	LT_CHECK_EQ(closes, 1);
	late = tcp_connect(port);
	LT_CHECK(late >= 0);
	pump_until_count(ctx, MAX_CONNS, 2000);
	LT_CHECK_EQ(loom_conn_count(ctx, 0), MAX_CONNS);
	LT_CHECK_EQ(adopts, MAX_CONNS + 1);
	if (late >= 0) {
		LT_CHECK(echo_ok(ctx, late, "late but welcome"));
		close(late);
	}
	for (i = 1; i < MAX_CONNS; i++)
		LT_CHECK(fds[i] >= 0 && echo_ok(ctx, fds[i], "after the newcomer"));

done:
	for (i = 0; i < MAX_CONNS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	loom_context_destroy(ctx);
	/* every accepted conn got its close, once */
	LT_CHECK_EQ(closes, adopts);

	return lt_result("api-test-conn-limit");
}
