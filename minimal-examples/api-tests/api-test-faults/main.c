/*
 * api-test-faults: a peer reset while output is pending, a half-closed peer that
 * still gets its whole echo, writes to a gone peer (socket, pipe) that must not raise
 * SIGPIPE, and an RX callback returning -1 that closes only its own conn.
 */
#include <loom.h>
#include "loom-test.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define FLOOD_CHUNK	(256 * 1024)
#define HALF_LEN	(300 * 1000)

static unsigned char *chunk;		/* LOOM_PRE + FLOOD_CHUNK */
static unsigned char txbuf[LOOM_PRE + 4096];

/* ---- (a) flood: write until the peer resets ---- */
static struct {
	struct loom_conn *conn;
	int writeables, writeables_after_close, closes, write_fails;
} flood;

/* ---- (b) and (d): echo ---- */
struct pss_echo {
	struct loom_buflist *pending;
};
static int echo_closes;

/* ---- (c) writes to a gone peer ---- */
struct gone {
	int peer_fd;		/* the test's end, closed inside WRITEABLE */
	int linger0;		/* close it with a reset */
	int writes, write_fails, closes;
	struct loom_conn *conn;
};
static struct gone gone_unix, gone_tcp, gone_pipe;

/* ---- (d) Loom clients ---- */
struct cli {
	int quit_on_rx;		/* return -1 from the first RX */
	int connected, rx_msgs, closes, conn_errors;
	int sent;
	size_t got;
	char buf[64];
};
static struct cli cli_quitter, cli_stayer;
#define STAYER_MSGS 6

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
	return (unsigned char)(i * 11 + (i >> 9));
}

static int
cb_flood(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	 void *in, size_t len)
{
	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		flood.conn = conn;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		if (flood.closes)
			flood.writeables_after_close++;
		flood.writeables++;
		if (loom_write(conn, chunk + LOOM_PRE, FLOOD_CHUNK, LOOM_WRITE_RAW) !=
		    FLOOD_CHUNK) {
			flood.write_fails++;
			return -1;
		}
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_CLOSE:
		flood.closes++;
		flood.conn = NULL;
		break;
	default:
		break;
	}

	return 0;
}

static int
cb_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	struct pss_echo *pss = user;
	size_t n;

	switch (reason) {
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
		echo_closes++;
		loom_buflist_destroy_all_segments(&pss->pending);
		break;
	default:
		break;
	}

	return 0;
}

/* socket or file: in WRITEABLE the peer goes, then we write into the void */
static int
cb_gone(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	struct gone *g = conn ? loom_get_opaque_user_data(conn) : NULL;

	if (reason == LOOM_CB_RAW_ADOPT && !g) {
		/* accepted on the "gone" vhost: the TCP case */
		g = &gone_tcp;
		g->conn = conn;
		loom_set_opaque_user_data(conn, g);
	}
	if (!g)
		return 0;
	switch (reason) {
	case LOOM_CB_RAW_WRITEABLE:
	case LOOM_CB_RAW_WRITEABLE_FILE:
		if (g->peer_fd >= 0) {
			if (g->linger0) {
				struct linger lg = { 1, 0 };

				setsockopt(g->peer_fd, SOL_SOCKET, SO_LINGER, &lg,
					   sizeof(lg));
			}
			close(g->peer_fd);
			g->peer_fd = -1;
		}
		g->writes++;
		memcpy(txbuf + LOOM_PRE, "into the void", 13);
		if (loom_write(conn, txbuf + LOOM_PRE, 13, LOOM_WRITE_RAW) < 0) {
			g->write_fails++;
			break;		/* Loom closes it from the loop */
		}
		/* a TCP peer's reset may need a turn of the loop: write again */
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_CLOSE:
	case LOOM_CB_RAW_CLOSE_FILE:
		g->closes++;
		g->conn = NULL;
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
	struct cli *c = conn ? loom_get_opaque_user_data(conn) : NULL;
	int n;

	if (!c)
		return 0;
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		c->conn_errors++;
		break;
	case LOOM_CB_RAW_CONNECTED:
		c->connected++;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		n = snprintf((char *)txbuf + LOOM_PRE, 32, "msg %d", c->sent);
		if (loom_write(conn, txbuf + LOOM_PRE, (size_t)n, LOOM_WRITE_RAW) != n)
			return -1;
		c->sent++;
		c->got = 0;
		break;
	case LOOM_CB_RAW_RX:
		if (c->quit_on_rx)
			return -1;
		if (c->got + len >= sizeof(c->buf))
			return -1;
		memcpy(c->buf + c->got, in, len);
		c->got += len;
		c->buf[c->got] = '\0';
		{
			char want[32];

			snprintf(want, sizeof(want), "msg %d", c->sent - 1);
			if (strcmp(c->buf, want))
				break;	/* not all of it yet */
		}
		c->rx_msgs++;
		if (c->sent < STAYER_MSGS)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_CLOSE:
		c->closes++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protos_flood[] = {
	{ "flood", cb_flood, 0, 0, 0, NULL, 0 },
	{ "gone", cb_gone, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static const struct loom_protocol protos_echo[] = {
	{ "echo", cb_echo, sizeof(struct pss_echo), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static const struct loom_protocol protos_gone[] = {
	{ "gone", cb_gone, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static const struct loom_protocol protos_client[] = {
	{ "client", cb_client, 0, 0, 0, NULL, 0 },
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

static struct loom_vhost *
vhost(struct loom_context *ctx, const char *name, unsigned int opts,
      const struct loom_protocol *p)
{
	struct loom_vhost_info vi;

	memset(&vi, 0, sizeof(vi));
	vi.name = name;
	vi.options = opts;
	vi.iface = "127.0.0.1";
	vi.protocols = p;

	return loom_create_vhost(ctx, &vi);
}

static void
pump(struct loom_context *ctx, int ms)
{
	long long end = now_ms() + ms;

	while (now_ms() < end)
		loom_service(ctx, 5);
}

/* (a) */
static void
test_reset_mid_write(struct loom_context *ctx, struct loom_vhost *vh)
{
	struct linger lg = { 1, 0 };
	long long end;
	int fd = tcp_connect(loom_vhost_port(vh));

	LT_CHECK(fd >= 0);
	if (fd < 0)
		return;
	/* the peer does not read: Loom ends up holding output */
	end = now_ms() + 3000;
	while (now_ms() < end && (!flood.conn || flood.writeables < 4 ||
				  !loom_pending_output(flood.conn)))
		loom_service(ctx, 5);
	LT_CHECK(flood.conn && loom_pending_output(flood.conn) > 0);
	LT_CHECK(flood.writeables >= 4);

	/* then it resets */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	end = now_ms() + 2000;
	while (now_ms() < end && !flood.closes)
		loom_service(ctx, 5);
	pump(ctx, 100);
	LT_CHECK_EQ(flood.closes, 1);
	LT_CHECK_EQ(flood.writeables_after_close, 0);
}

/* (b) */
static void
test_half_close(struct loom_context *ctx, struct loom_vhost *vh)
{
	static unsigned char out[HALF_LEN];
	unsigned char in[65536];
	size_t sent = 0, got = 0, bad = 0, i;
	int fd = tcp_connect(loom_vhost_port(vh)), eof = 0, shut = 0;
	long long end = now_ms() + 5000;
	ssize_t n;

	LT_CHECK(fd >= 0);
	if (fd < 0)
		return;
	for (i = 0; i < HALF_LEN; i++)
		out[i] = pat(i);
	while (now_ms() < end && !eof) {
		if (sent < HALF_LEN) {
			n = send(fd, out + sent, HALF_LEN - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
		} else if (!shut) {
			/* all sent: we write no more, but still read */
			LT_CHECK_EQ(shutdown(fd, SHUT_WR), 0);
			shut = 1;
		}
		loom_service(ctx, 1);
		while ((n = recv(fd, in, sizeof(in), 0)) > 0) {
			for (i = 0; i < (size_t)n; i++)
				if (got + i >= HALF_LEN || in[i] != pat(got + i))
					bad++;
			got += (size_t)n;
		}
		if (!n)
			eof = 1;
	}
	LT_CHECK(shut);
	LT_CHECK_EQ(got, HALF_LEN);
	LT_CHECK_EQ(bad, 0);
	LT_CHECK(eof);		/* the server closed after the whole echo */
	close(fd);
	pump(ctx, 50);
	LT_CHECK_EQ(echo_closes, 1);
}

/* (c) */
static void
test_write_to_gone(struct loom_context *ctx, struct loom_vhost *vh_gone,
		   struct loom_vhost *vh_file)
{
	long long end;
	int sp[2], p[2], fd;

	/* a Unix socket pair: the peer closes, our send gets EPIPE */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp)) {
		LT_CHECK(!"socketpair");
	} else {
		gone_unix.peer_fd = sp[1];
		gone_unix.conn = loom_adopt_descriptor(vh_gone, LOOM_ADOPT_SOCKET, sp[0],
						       NULL, &gone_unix);
		LT_CHECK(gone_unix.conn != NULL);
		if (gone_unix.conn)
			loom_callback_on_writable(gone_unix.conn);
		else
			close(sp[0]);
	}

	/* a TCP peer that closes with a reset just before we write */
	fd = tcp_connect(loom_vhost_port(vh_gone));
	LT_CHECK(fd >= 0);
	gone_tcp.peer_fd = fd;
	gone_tcp.linger0 = 1;
	end = now_ms() + 2000;
	while (fd >= 0 && now_ms() < end && !gone_tcp.conn)
		loom_service(ctx, 5);
	LT_CHECK(gone_tcp.conn != NULL);
	if (gone_tcp.conn)
		loom_callback_on_writable(gone_tcp.conn);

	/* a pipe whose reader is gone: write() gets EPIPE */
	if (pipe(p)) {
		LT_CHECK(!"pipe");
	} else {
		gone_pipe.peer_fd = p[0];
		gone_pipe.conn = loom_adopt_descriptor(vh_file, LOOM_ADOPT_FILE, p[1],
						       "gone", &gone_pipe);
		LT_CHECK(gone_pipe.conn != NULL);
		if (gone_pipe.conn)
			loom_callback_on_writable(gone_pipe.conn);
		else {
			close(p[0]);
			close(p[1]);
		}
	}

	end = now_ms() + 3000;
	while (now_ms() < end && (!gone_unix.closes || !gone_tcp.closes ||
				  !gone_pipe.closes))
		loom_service(ctx, 5);
	pump(ctx, 50);
	/* we are still alive, so no SIGPIPE killed us; each closed exactly once */
	LT_CHECK_EQ(gone_unix.closes, 1);
	LT_CHECK_EQ(gone_unix.write_fails, 1);
	LT_CHECK_EQ(gone_unix.writes, 1);
	LT_CHECK_EQ(gone_tcp.closes, 1);
	LT_CHECK(gone_tcp.writes >= 1 && gone_tcp.writes <= 3);
	LT_CHECK_EQ(gone_pipe.closes, 1);
	LT_CHECK_EQ(gone_pipe.write_fails, 1);
	LT_CHECK_EQ(gone_pipe.writes, 1);
}

/* (d) */
static void
test_rx_refusal(struct loom_context *ctx, struct loom_vhost *vh_echo,
		struct loom_vhost *vh_cli)
{
	struct loom_client_connect_info cc;
	long long end;
	int closes_before = echo_closes;

	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = vh_cli;
	cc.address = "127.0.0.1";
	cc.port = loom_vhost_port(vh_echo);
	cc.flags = LOOM_CONNECT_RAW;
	cli_quitter.quit_on_rx = 1;
	cc.opaque_user_data = &cli_quitter;
	LT_CHECK(loom_client_connect(&cc) != NULL);
	cc.opaque_user_data = &cli_stayer;
	LT_CHECK(loom_client_connect(&cc) != NULL);

	end = now_ms() + 3000;
	while (now_ms() < end && (cli_stayer.rx_msgs < STAYER_MSGS ||
				  !cli_quitter.closes))
		loom_service(ctx, 5);
	pump(ctx, 50);
	LT_CHECK_EQ(cli_quitter.connected, 1);
	LT_CHECK_EQ(cli_quitter.closes, 1);
	LT_CHECK_EQ(cli_stayer.connected, 1);
	LT_CHECK_EQ(cli_stayer.rx_msgs, STAYER_MSGS);
	LT_CHECK_EQ(cli_stayer.closes, 0);
	/* the server saw the quitter leave, and only it */
	LT_CHECK_EQ(echo_closes - closes_before, 1);
	LT_CHECK_EQ(loom_conn_count(ctx, 0), 2);	/* the stayer, both ends */
}

int
main(void)
{
	struct loom_context_info ci;
	struct loom_context *ctx;
	struct loom_vhost *vh_flood, *vh_echo, *vh_gone, *vh_cli;
	struct sigaction sa;
	sigset_t mask;
	size_t i;

	/* SIGPIPE stays fatal: only Loom's own care keeps us alive */
	signal(SIGPIPE, SIG_DFL);
	chunk = malloc(LOOM_PRE + FLOOD_CHUNK);
	if (!chunk)
		return 1;
	for (i = 0; i < FLOOD_CHUNK; i++)
		chunk[LOOM_PRE + i] = pat(i);

	memset(&ci, 0, sizeof(ci));
	ci.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		goto out;
	vh_flood = vhost(ctx, "flood", LOOM_VHOST_OPT_RAW, protos_flood);
	vh_echo = vhost(ctx, "echo", LOOM_VHOST_OPT_RAW, protos_echo);
	vh_gone = vhost(ctx, "gone", LOOM_VHOST_OPT_RAW, protos_gone);
	vh_cli = vhost(ctx, "client", LOOM_VHOST_OPT_NO_LISTEN, protos_client);
	LT_CHECK(vh_flood && vh_echo && vh_gone && vh_cli);
	if (vh_flood && vh_echo && vh_gone && vh_cli) {
		test_reset_mid_write(ctx, vh_flood);
		test_half_close(ctx, vh_echo);
		test_write_to_gone(ctx, vh_gone, vh_flood);
		test_rx_refusal(ctx, vh_echo, vh_cli);
	}
	loom_context_destroy(ctx);
	LT_CHECK_EQ(cli_stayer.closes, 1);

	/* Loom left the process's SIGPIPE handling as it found it */
	LT_CHECK_EQ(sigaction(SIGPIPE, NULL, &sa), 0);
	LT_CHECK(sa.sa_handler == SIG_DFL);
	sigprocmask(SIG_BLOCK, NULL, &mask);
	LT_CHECK(!sigismember(&mask, SIGPIPE));
	sigpending(&mask);
	LT_CHECK(!sigismember(&mask, SIGPIPE));
out:
	free(chunk);

	return lt_result("api-test-faults");
}
