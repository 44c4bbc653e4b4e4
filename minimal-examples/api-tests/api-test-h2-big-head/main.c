/*
 * api-test-h2-big-head: h2 heads larger than the peer's SETTINGS_MAX_FRAME_SIZE
 * (16384) go as HEADERS + CONTINUATION, against python3-h2
 * (test-apps/interop/h2/big-head-peer.py, h2c by prior knowledge):
 *   Loom's client sends a request with a 20000-byte header; the peer decodes it
 *   and says how long it was; a small request after it on the same connection
 *   (the HPACK tables still agree);
 *   Loom's server answers the peer's client with three 10000-byte headers, which
 *   arrive whole, and the peer saw CONTINUATION frames;
 *   against a peer advertising SETTINGS_MAX_HEADER_LIST_SIZE 4096, requests on a
 *   connection whose SETTINGS are in: a header list (RFC 9113 6.5.2: name +
 *   value + 32 per field) of 4096 bytes is sent, one of 4097 fails that request
 *   alone, with the reason logged, and the next request on the connection goes;
 *   with Loom on both ends (header list limits of 64 KiB: the per-thread decode
 *   buffers grow for them), the 20000-byte request header and the three
 *   10000-byte response headers both ways, then a small request; and a request
 *   whose head passes the client's max_request_head_bytes fails alone and the
 *   next one is made.
 */
#include <loom.h>
#include "loom-test.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define REQ_PAD		20000
#define RESP_PAD	30000	/* in three headers */
#define LIST_MAX	4096
#define LIST_MAX_S	"4096"

static struct loom_context *ctx;
static char pad[70000], hbuf[70000];
static int srv_req_len = -2, cli_resp_len = -2, cli_h2, cli_done, cli_error;
static unsigned int cli_status;
static int req_pad, peer_got;

/* the peer script, its stderr or stdout read through a pipe; its pid */
static pid_t
spawn(const char *script, const char *a1, const char *a2, int err, int *rfd)
{
	int pfd[2];
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(pfd[1], err ? 2 : 1);
		close(pfd[0]);
		execl("/usr/bin/python3", "python3", script, a1, a2, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	*rfd = pfd[0];

	return pid;
}

/* read the child's output while serving Loom, until it closes or 10 s pass */
static size_t
drain(int fd, char *buf, size_t len, const char *until)
{
	size_t got = 0;
	int spins = 0;

	while (spins++ < 2000 && got < len - 1) {
		ssize_t r = read(fd, buf + got, len - 1 - got);

		if (!r)
			break;
		if (r > 0) {
			got += (size_t)r;
			buf[got] = '\0';
			if (until && strstr(buf, until))
				break;
			continue;
		}
		loom_service(ctx, 5);
	}
	buf[got] = '\0';

	return got;
}

static int
cb_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	unsigned char buf[LOOM_PRE + 4];

	(void)user;
	(void)in;
	(void)len;
	if (reason != LOOM_CB_HTTP)
		return 0;
	srv_req_len = loom_hdr_custom_copy(conn, hbuf, sizeof(hbuf), "x-big");
	if (loom_http_respond(conn, 200, "text/plain", 2))
		return -1;
	/* the big answer for the peer's client (no x-big) and a big request */
	pad[RESP_PAD / 3] = '\0';
	if ((srv_req_len < 0 || srv_req_len > 10000) && (loom_http_add_header(conn, "X-Resp", pad) ||
				loom_http_add_header(conn, "X-Resp2", pad) ||
				loom_http_add_header(conn, "X-Resp3", pad)))
		return -1;
	pad[RESP_PAD / 3] = 'x';
	memcpy(buf + LOOM_PRE, "ok", 2);

	return loom_http_write_body(conn, buf + LOOM_PRE, 2, 1) == 2 ? 0 : -1;
}

static int
cb_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	int r;

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER:
		pad[req_pad] = '\0';
		r = loom_http_client_add_header(conn, "X-Big", pad);
		pad[req_pad] = 'x';
		return r ? -1 : 0;
	case LOOM_CB_ESTABLISHED_CLIENT_HTTP:
		cli_h2 = loom_conn_is_h2_stream(conn);
		cli_status = loom_http_status(conn);
		cli_resp_len = loom_hdr_custom_copy(conn, hbuf, sizeof(hbuf), "x-resp");
		if (loom_hdr_custom_copy(conn, hbuf, sizeof(hbuf), "x-got") > 0)
			peer_got = atoi(hbuf);
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		cli_error++;
		break;
	case LOOM_CB_COMPLETED_CLIENT_HTTP:
		cli_done++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protos[] = {
	{ "srv", cb_server, 0, 0, 0, NULL, 0 },
	{ "cli", cb_client, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
request(struct loom_vhost *vh, int port, int p, unsigned int max)
{
	struct loom_client_connect_info ci;
	int spins = 0;

	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = vh;
	ci.address = "127.0.0.1";
	ci.port = port;
	ci.method = "GET";
	ci.path = "/";
	ci.protocol = "cli";
	ci.flags = LOOM_CONNECT_H2_PRIOR_KNOWLEDGE;
	ci.max_request_head_bytes = max;
	req_pad = p;
	srv_req_len = cli_resp_len = peer_got = -2;
	cli_h2 = cli_done = cli_error = 0;
	cli_status = 0;
	if (!loom_client_connect(&ci)) {
		cli_error = 1;
		return;
	}
	while (spins++ < 400 && !cli_done && !cli_error)
		loom_service(ctx, 5);
}

int
main(int argc, char **argv)
{
	struct loom_http_vhost_info hs, hc;
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_vhost *vs, *vc;
	char out[4096], ps[16], *p;
	int port, peer_port = 0, fd;
	pid_t pid;

	LT_CHECK(argc > 1);
	if (argc < 2)
		return lt_result("api-test-h2-big-head");
	memset(pad, 'x', sizeof(pad));
	loom_set_log_level(getenv("LT_DEBUG") ? 0xff : LOOM_LL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-h2-big-head");
	memset(&hs, 0, sizeof(hs));
	hs.max_head_bytes = 65536;
	hs.max_response_head_bytes = 40000;
	memset(&hc, 0, sizeof(hc));
	hc.max_head_bytes = 65536;	/* also its h2 header list limit */
	memset(&vi, 0, sizeof(vi));
	vi.iface = "127.0.0.1";
	vi.protocols = protos;
	vi.http = &hs;
	vs = loom_create_vhost(ctx, &vi);
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.http = &hc;
	vi.name = "cli";
	vc = loom_create_vhost(ctx, &vi);
	LT_CHECK(vs && vc);
	if (!vs || !vc)
		return lt_result("api-test-h2-big-head");
	port = loom_vhost_port(vs);

	/* Loom's client to the peer's server: a 20000-byte header */
	pid = spawn(argv[1], "server", NULL, 1, &fd);
	LT_CHECK(pid > 0);
	if (pid > 0) {
		drain(fd, out, sizeof(out), "\n");
		p = strstr(out, "listening on ");
		peer_port = p ? atoi(p + 13) : 0;
		LT_CHECK(peer_port > 0);
		request(vc, peer_port, REQ_PAD, 40000);
		LT_CHECK_EQ(cli_error, 0);
		LT_CHECK_EQ(cli_done, 1);
		LT_CHECK_EQ(cli_h2, 1);
		LT_CHECK_EQ(cli_status, 200);
		LT_CHECK_EQ(peer_got, REQ_PAD);
		printf("h2 client: a %d-byte header reached python3-h2\n", peer_got);
		request(vc, peer_port, 100, 40000);
		LT_CHECK_EQ(cli_done, 1);
		LT_CHECK_EQ(peer_got, 100);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		close(fd);
	}

	/* a peer that takes header lists of up to LIST_MAX bytes */
	pid = spawn(argv[1], "server", LIST_MAX_S, 1, &fd);
	LT_CHECK(pid > 0);
	if (pid > 0) {
		char auth[64];
		int base, np;

		drain(fd, out, sizeof(out), "\n");
		p = strstr(out, "listening on ");
		peer_port = p ? atoi(p + 13) : 0;
		LT_CHECK(peer_port > 0);
		/* the first request goes before the SETTINGS can be in */
		request(vc, peer_port, 10, 0);
		LT_CHECK_EQ(cli_done, 1);
		LT_CHECK_EQ(peer_got, 10);
		/* the list's fields but x-big's value, each + 32 */
		np = snprintf(auth, sizeof(auth), "127.0.0.1:%d", peer_port);
		base = (7 + 3 + 32) + (7 + 4 + 32) + (10 + np + 32) + (5 + 1 + 32) +
		       (10 + (int)strlen("loom/" LOOM_VERSION_STRING) + 32) +
		       (6 + 3 + 32) + (5 + 32);
		request(vc, peer_port, LIST_MAX - base, 8192);
		LT_CHECK_EQ(cli_error, 0);
		LT_CHECK_EQ(cli_done, 1);
		LT_CHECK_EQ(peer_got, LIST_MAX - base);
		request(vc, peer_port, LIST_MAX - base + 1, 8192);
		LT_CHECK_EQ(cli_error, 1);
		LT_CHECK_EQ(peer_got, -2);
		request(vc, peer_port, 20, 0);
		LT_CHECK_EQ(cli_error, 0);
		LT_CHECK_EQ(cli_done, 1);
		LT_CHECK_EQ(peer_got, 20);
		printf("h2 client: a header list of %d bytes sent, %d refused (the "
		       "server's SETTINGS_MAX_HEADER_LIST_SIZE)\n", LIST_MAX, LIST_MAX + 1);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		close(fd);
	}

	/* the peer's client to Loom's server: three 10000-byte headers back */
	snprintf(ps, sizeof(ps), "%d", port);
	pid = spawn(argv[1], "client", ps, 0, &fd);
	LT_CHECK(pid > 0);
	if (pid > 0) {
		drain(fd, out, sizeof(out), "frames");
		drain(fd, out + strlen(out), sizeof(out) - strlen(out), NULL);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		close(fd);
		LT_CHECK(strstr(out, "x-resp 10000\n") != NULL);
		LT_CHECK(strstr(out, "x-resp2 10000\n") != NULL);
		LT_CHECK(strstr(out, "x-resp3 10000\n") != NULL);
		LT_CHECK(strstr(out, " 9") != NULL);	/* CONTINUATION */
		printf("h2 server: %s", out);
	}

	/* Loom to Loom: both heads past a frame, then a small one after them */
	request(vc, port, REQ_PAD, 40000);
	LT_CHECK_EQ(cli_error, 0);
	LT_CHECK_EQ(cli_done, 1);
	LT_CHECK_EQ(cli_h2, 1);
	LT_CHECK_EQ(srv_req_len, REQ_PAD);
	LT_CHECK_EQ(cli_resp_len, RESP_PAD / 3);
	printf("Loom to Loom: a %d-byte request header, 3 x %d-byte response "
	       "headers\n", srv_req_len, cli_resp_len);
	request(vc, port, 200, 40000);
	LT_CHECK_EQ(cli_done, 1);
	LT_CHECK_EQ(srv_req_len, 200);
	LT_CHECK_EQ(cli_resp_len, -1);

	/* Loom to Loom: past the client's limit that request fails, the next goes */
	request(vc, port, REQ_PAD, 16384);
	LT_CHECK_EQ(cli_error, 1);
	LT_CHECK_EQ(srv_req_len, -2);
	request(vc, port, 300, 16384);
	LT_CHECK_EQ(cli_error, 0);
	LT_CHECK_EQ(cli_done, 1);
	LT_CHECK_EQ(srv_req_len, 300);

	loom_context_destroy(ctx);

	return lt_result("api-test-h2-big-head");
}
