/*
 * api-test-udp: a UDP vhost echoes each datagram to its sender; a Loom UDP client
 * and a plain socket both get their datagrams back whole, boundaries kept, and
 * loom_udp_set_peer() / loom_get_peer_address() aim and report the peer.
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

#define MAXDG 2048

/* the server keeps the last datagram and answers it in WRITEABLE */
struct srv_state {
	unsigned char buf[LOOM_PRE + MAXDG];
	size_t len;
	int rx, adopts, closes;
	int inits, destroys;
	int adopt_before_init, close_after_destroy;
	char last_peer[64];
	int send_to_other;		/* next write goes to other_port via set_peer */
	int other_port;
	int set_peer_ret;
};

/* the Loom UDP client sends datagrams of these sizes and checks each echo */
static const size_t dg_sizes[] = { 1, 17, 300, 1200, 1, 999 };
#define DG_COUNT (sizeof(dg_sizes) / sizeof(dg_sizes[0]))

struct cli_state {
	unsigned char buf[LOOM_PRE + MAXDG];
	unsigned int sent, got, bad;
	int connected, conn_errors, closes;
	struct loom_conn *conn;
};

static struct srv_state srv;
static struct cli_state cli;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7 + 1);
}

static int
cb_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	switch (reason) {
	case LOOM_CB_PROTOCOL_INIT:
		srv.inits++;
		break;
	case LOOM_CB_PROTOCOL_DESTROY:
		srv.destroys++;
		break;
	case LOOM_CB_RAW_ADOPT:
		/* the protocol is initialised before any of its conns is seen */
		if (!srv.inits)
			srv.adopt_before_init++;
		srv.adopts++;
		break;
	case LOOM_CB_RAW_RX:
		srv.rx++;
		if (len > MAXDG)
			return 0;
		memcpy(srv.buf + LOOM_PRE, in, len);
		srv.len = len;
		loom_get_peer_address(conn, srv.last_peer, sizeof(srv.last_peer));
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		if (srv.send_to_other) {
			srv.set_peer_ret = loom_udp_set_peer(conn, "127.0.0.1",
							     srv.other_port);
			srv.send_to_other = 0;
		}
		if (srv.len && loom_write(conn, srv.buf + LOOM_PRE, srv.len,
					  LOOM_WRITE_RAW) != (int)srv.len)
			fprintf(stderr, "server write failed\n");
		srv.len = 0;
		break;
	case LOOM_CB_RAW_CLOSE:
		if (srv.destroys)
			srv.close_after_destroy++;
		srv.closes++;
		break;
	default:
		break;
	}

	return 0;
}

static int
cb_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	unsigned char expect[MAXDG];

	switch (reason) {
	case LOOM_CB_RAW_CONNECTED:
		cli.connected++;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		cli.conn_errors++;
		break;
	case LOOM_CB_RAW_WRITEABLE:
		/* one datagram in flight at a time: the server keeps only the last */
		if (cli.sent < DG_COUNT && cli.sent == cli.got) {
			size_t n = dg_sizes[cli.sent];

			fill(cli.buf + LOOM_PRE, n, cli.sent);
			if (loom_write(conn, cli.buf + LOOM_PRE, n, LOOM_WRITE_RAW) ==
			    (int)n)
				cli.sent++;
		}
		break;
	case LOOM_CB_RAW_RX:
		if (cli.got >= cli.sent || len != dg_sizes[cli.got]) {
			fprintf(stderr, "client: datagram %u: len %zu\n", cli.got, len);
			cli.bad++;
		} else {
			fill(expect, len, cli.got);
			if (memcmp(expect, in, len))
				cli.bad++;
		}
		cli.got++;
		if (cli.sent < DG_COUNT)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_CLOSE:
		cli.closes++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol srv_protocols[] = {
	{ "udp-echo", cb_server, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static const struct loom_protocol cli_protocols[] = {
	{ "udp-client", cb_client, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static int
plain_udp_socket(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

	return fd;
}

/* service the loop until the plain socket gets a datagram or the deadline */
static ssize_t
pump_recv(struct loom_context *ctx, int fd, void *buf, size_t len, int ms)
{
	long long end = now_ms() + ms;
	ssize_t n;

	while (now_ms() < end) {
		loom_service(ctx, 5);
		n = recv(fd, buf, len, 0);
		if (n >= 0)
			return n;
	}

	return -1;
}

static void
send_to_port(int fd, int port, const void *buf, size_t len)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)len)
		fprintf(stderr, "sendto failed: %s\n", strerror(errno));
}

int
main(void)
{
	struct loom_context_info ci;
	struct loom_vhost_info vi;
	struct loom_client_connect_info cc;
	struct loom_context *ctx;
	struct loom_vhost *vh, *cvh;
	unsigned char a[MAXDG], b[MAXDG], r[MAXDG];
	char expect_peer[64];
	int port, pfd, pport, ofd, oport;
	long long end;
	ssize_t n;

	memset(&ci, 0, sizeof(ci));
	ci.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-udp");

	memset(&vi, 0, sizeof(vi));
	vi.name = "udp";
	vi.options = LOOM_VHOST_OPT_RAW | LOOM_VHOST_OPT_UDP;
	vi.iface = "127.0.0.1";
	vi.protocols = srv_protocols;
	vh = loom_create_vhost(ctx, &vi);
	LT_CHECK(vh != NULL);
	port = loom_vhost_port(vh);
	LT_CHECK(port > 0);

	memset(&vi, 0, sizeof(vi));
	vi.name = "client";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = cli_protocols;
	cvh = loom_create_vhost(ctx, &vi);
	LT_CHECK(cvh != NULL);
	if (!vh || !cvh || port <= 0)
		goto done;
	/* the UDP listener is a conn but not a counted one */
	LT_CHECK_EQ(loom_conn_count(ctx, 0), 0);

	/* 1: a Loom UDP client: every datagram comes back whole, in its own RX */
	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = cvh;
	cc.address = "127.0.0.1";
	cc.port = port;
	cc.flags = LOOM_CONNECT_RAW | LOOM_CONNECT_UDP;
	cli.conn = loom_client_connect(&cc);
	LT_CHECK(cli.conn != NULL);
	end = now_ms() + 3000;
	while (now_ms() < end && cli.got < DG_COUNT && !cli.conn_errors)
		loom_service(ctx, 10);
	LT_CHECK_EQ(cli.connected, 1);
	LT_CHECK_EQ(cli.conn_errors, 0);
	LT_CHECK_EQ(cli.sent, DG_COUNT);
	LT_CHECK_EQ(cli.got, DG_COUNT);
	LT_CHECK_EQ(cli.bad, 0);
	LT_CHECK_EQ(srv.rx, (int)DG_COUNT);
	if (cli.conn) {
		char p[64];

		/* the client's peer is the server */
		snprintf(expect_peer, sizeof(expect_peer), "127.0.0.1:%d", port);
		LT_CHECK(!strcmp(loom_get_peer_address(cli.conn, p, sizeof(p)),
				 expect_peer));
		LT_CHECK_EQ(strcmp(loom_conn_role_name(cli.conn), "raw-skt"), 0);
	}

	/* 2: a plain socket: two datagrams sent back to back come back as two */
	pfd = plain_udp_socket(&pport);
	LT_CHECK(pfd >= 0);
	if (pfd < 0)
		goto done;
	fill(a, 100, 50);
	fill(b, 700, 51);
	send_to_port(pfd, port, a, 100);
	n = pump_recv(ctx, pfd, r, sizeof(r), 2000);
	LT_CHECK_EQ(n, 100);
	LT_CHECK(n == 100 && !memcmp(r, a, 100));
	snprintf(expect_peer, sizeof(expect_peer), "127.0.0.1:%d", pport);
	LT_CHECK(!strcmp(srv.last_peer, expect_peer));
	send_to_port(pfd, port, b, 700);
	n = pump_recv(ctx, pfd, r, sizeof(r), 2000);
	LT_CHECK_EQ(n, 700);
	LT_CHECK(n == 700 && !memcmp(r, b, 700));

	/* a zero-length datagram is a datagram too */
	send_to_port(pfd, port, a, 0);
	end = now_ms() + 1000;
	while (now_ms() < end && srv.rx < (int)DG_COUNT + 3)
		loom_service(ctx, 5);
	LT_CHECK_EQ(srv.rx, (int)DG_COUNT + 3);

	/* 3: loom_udp_set_peer(): the answer goes to another socket, not the sender */
	ofd = plain_udp_socket(&oport);
	LT_CHECK(ofd >= 0);
	if (ofd >= 0) {
		srv.other_port = oport;
		srv.send_to_other = 1;
		fill(a, 33, 60);
		send_to_port(pfd, port, a, 33);
		n = pump_recv(ctx, ofd, r, sizeof(r), 2000);
		LT_CHECK_EQ(srv.set_peer_ret, 0);
		LT_CHECK_EQ(n, 33);
		LT_CHECK(n == 33 && !memcmp(r, a, 33));
		/* the sender got nothing */
		LT_CHECK(recv(pfd, r, sizeof(r), 0) < 0);
		/* the next datagram resets the peer to its sender */
		fill(a, 44, 61);
		send_to_port(ofd, port, a, 44);
		n = pump_recv(ctx, ofd, r, sizeof(r), 2000);
		LT_CHECK_EQ(n, 44);
		snprintf(expect_peer, sizeof(expect_peer), "127.0.0.1:%d", oport);
		LT_CHECK(!strcmp(srv.last_peer, expect_peer));
		close(ofd);
	}
	close(pfd);

	/* bad arguments are refused */
	if (cli.conn) {
		LT_CHECK_EQ(loom_udp_set_peer(cli.conn, "not-an-ip", 1), LOOM_EINVAL);
		LT_CHECK_EQ(loom_udp_set_peer(cli.conn, NULL, 1), LOOM_EINVAL);
	}

	/* 4: the Loom client's loom_udp_set_peer() redirects its writes */
	pfd = plain_udp_socket(&pport);
	if (pfd >= 0 && cli.conn) {
		char p[64];

		LT_CHECK_EQ(loom_udp_set_peer(cli.conn, "127.0.0.1", pport), 0);
		snprintf(expect_peer, sizeof(expect_peer), "127.0.0.1:%d", pport);
		LT_CHECK(!strcmp(loom_get_peer_address(cli.conn, p, sizeof(p)),
				 expect_peer));
		/* send the last datagram once more: it must land on the plain socket */
		cli.sent = cli.got = DG_COUNT - 1;
		loom_callback_on_writable(cli.conn);
		n = pump_recv(ctx, pfd, r, sizeof(r), 2000);
		LT_CHECK_EQ(n, (ssize_t)dg_sizes[DG_COUNT - 1]);
		fill(a, dg_sizes[DG_COUNT - 1], DG_COUNT - 1);
		LT_CHECK(n > 0 && !memcmp(r, a, (size_t)n));
		close(pfd);
	}

done:
	loom_context_destroy(ctx);
	/*
	 * The client conn closed once. The UDP listener conn got RAW_ADOPT, so it gets
	 * RAW_CLOSE exactly once too, and both come inside PROTOCOL_INIT..DESTROY.
	 */
	LT_CHECK_EQ(cli.closes, 1);
	LT_CHECK_EQ(srv.inits, 1);
	LT_CHECK_EQ(srv.destroys, 1);
	LT_CHECK_EQ(srv.adopts, 1);
	LT_CHECK_EQ(srv.closes, 1);
	LT_CHECK_EQ(srv.adopt_before_init, 0);
	LT_CHECK_EQ(srv.close_after_destroy, 0);

	return lt_result("api-test-udp");
}
