/*
 * api-test-http-head-max: the limits on the heads Loom sends, each at its edge,
 * measured on the wire by a raw socket peer:
 *   a vhost's max_response_head_bytes (0 = 2048, and 3000): a response head of
 *   limit - 1 and limit bytes goes out whole, a header that would make it
 *   limit + 1 is refused by loom_http_add_header() with LOOM_ELIMIT;
 *   a client's max_request_head_bytes (0 = 2048, 3000, 262144, and 100 and 262145,
 *   taken as the nearest bound 128 and 262144): a request head of
 *   limit - 1 and limit bytes is sent, one header more than that is refused by
 *   loom_http_client_add_header() and the connect fails
 *   (LOOM_CB_CLIENT_CONNECTION_ERROR) without a byte sent;
 *   the same for a WebSocket client's upgrade request (loom_ws_client_add_header();
 *   the raw peer answers 200, so each of those connects ends in an error anyway);
 *   the head buffer is allocated at the configured size: the per-request store
 *   ("http ah") of a 3000-byte limit is 952 bytes bigger than the default's.
 */
#include <loom.h>
#include "loom-test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BIG_LIMIT	3000
#define DEF_LIMIT	2048

static struct loom_context *ctx;
static char pad[300000];

/* ---- allocations: the size of the last per-request store made ---- */

static size_t ah_bytes;

static void *
hook_realloc(void *ptr, size_t size, const char *reason)
{
	if (!size) {
		free(ptr);
		return NULL;
	}
	if (!ptr && reason && !strcmp(reason, "http ah"))
		ah_bytes = size;

	return realloc(ptr, size);
}

/* ---- the server: "/?n=P" answers with an X-Pad header of P bytes ---- */

static int add_rc;

static int
cb_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	unsigned char buf[LOOM_PRE + 4];
	char a[16];
	int n;

	(void)user;
	(void)in;
	(void)len;
	if (reason != LOOM_CB_HTTP)
		return 0;
	n = loom_http_get_arg(conn, "n", a, sizeof(a)) > 0 ? atoi(a) : 0;
	if (loom_http_respond(conn, 200, "text/plain", 2))
		return -1;
	pad[n] = '\0';
	add_rc = loom_http_add_header(conn, "X-Pad", pad);
	pad[n] = 'x';
	memcpy(buf + LOOM_PRE, "ok", 2);

	return loom_http_write_body(conn, buf + LOOM_PRE, 2, 1) == 2 ? 0 : -1;
}

/* ---- the client: adds an X-Pad header of cli_pad bytes ---- */

static int cli_pad, cli_add_rc, cli_error, cli_done, cli_ws;

static int
cb_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER:
		pad[cli_pad] = '\0';
		cli_add_rc = cli_ws ? loom_ws_client_add_header(conn, "X-Pad", pad) :
			     loom_http_client_add_header(conn, "X-Pad", pad);
		pad[cli_pad] = 'x';
		return cli_add_rc ? -1 : 0;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		cli_error++;
		break;
	case LOOM_CB_COMPLETED_CLIENT_HTTP:
	case LOOM_CB_CLOSED_CLIENT_HTTP:
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

/* where the head ends ("\r\n\r\n" included), or 0 */
static size_t
head_len(const char *b, size_t len)
{
	size_t n;

	for (n = 3; n < len; n++)
		if (!memcmp(b + n - 3, "\r\n\r\n", 4))
			return n + 1;

	return 0;
}

static char rx[400000];

/*
 * a raw request for a pad of \p p bytes to \p port, read until the server closes;
 * the length of the response head, or 0
 */
static size_t
raw_get(int port, int p)
{
	struct sockaddr_in sa;
	char req[128];
	size_t got = 0;
	int fd, n, spins = 0;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		close(fd);
		return 0;
	}
	n = snprintf(req, sizeof(req), "GET /?n=%d HTTP/1.1\r\nHost: x\r\n"
		     "Connection: close\r\n\r\n", p);
	add_rc = 1;
	while (spins++ < 500) {
		loom_service(ctx, 5);
		if (n > 0 && send(fd, req, (size_t)n, MSG_NOSIGNAL) == n)
			n = 0;
		{
			ssize_t r = recv(fd, rx + got, sizeof(rx) - got, 0);

			if (!r)
				break;
			if (r > 0)
				got += (size_t)r;
		}
	}
	close(fd);

	return head_len(rx, got);
}

/* a listening socket on a port picked at run time */
static int
listener(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	*port = ntohs(sa.sin_port);

	return fd;
}

/*
 * a Loom client request with a pad of \p p bytes and \p max as
 * max_request_head_bytes to the raw listener \p lfd: the length of the request
 * head that arrived, or 0 when none did
 */
static size_t
cli_req(struct loom_vhost *vh, int lfd, int lport, unsigned int max, int p)
{
	struct loom_client_connect_info ci;
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
				   "Connection: close\r\n\r\n";
	size_t got = 0, hl = 0;
	int afd = -1, spins = 0;

	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = vh;
	ci.address = "127.0.0.1";
	ci.port = lport;
	if (cli_ws)
		ci.flags = LOOM_CONNECT_WS;
	else
		ci.method = "GET";
	ci.path = "/";
	ci.protocol = "cli";
	ci.max_request_head_bytes = max;
	cli_pad = p;
	cli_add_rc = 1;
	cli_error = cli_done = 0;
	if (!loom_client_connect(&ci))
		return 0;
	while (spins++ < 400 && !cli_error && !cli_done) {
		loom_service(ctx, 5);
		if (afd < 0) {
			afd = accept(lfd, NULL, NULL);
			if (afd >= 0)
				fcntl(afd, F_SETFL, O_NONBLOCK);
			continue;
		}
		if (!hl) {
			ssize_t r = recv(afd, rx + got, sizeof(rx) - got, 0);

			if (!r)
				break;
			if (r > 0) {
				got += (size_t)r;
				hl = head_len(rx, got);
				if (hl && send(afd, resp, sizeof(resp) - 1, MSG_NOSIGNAL) < 0)
					break;
			}
		}
	}
	if (afd >= 0)
		close(afd);

	return hl;
}

static void
server_edges(int port, unsigned int limit)
{
	size_t h0, base, h;
	int p0 = 10;

	h0 = raw_get(port, p0);
	LT_CHECK(h0 > 0);
	LT_CHECK_EQ(add_rc, 0);
	base = h0 - (size_t)p0;
	/* limit - 1 and limit: the whole head goes out */
	h = raw_get(port, (int)(limit - 1 - base));
	LT_CHECK_EQ(add_rc, 0);
	LT_CHECK_EQ(h, (size_t)limit - 1);
	h = raw_get(port, (int)(limit - base));
	LT_CHECK_EQ(add_rc, 0);
	LT_CHECK_EQ(h, (size_t)limit);
	/* limit + 1: the header is refused, the response goes out without it */
	h = raw_get(port, (int)(limit + 1 - base));
	LT_CHECK_EQ(add_rc, LOOM_ELIMIT);
	LT_CHECK_EQ(h, base - 9);	/* no "X-Pad: \r\n" */
	printf("server, limit %u: heads of %u and %u bytes sent, %u refused\n", limit,
	       limit - 1, limit, limit + 1);
}

static void
client_edges(struct loom_vhost *vh, int lfd, int lport, unsigned int max)
{
	/* 0 is the default; outside 128..262144 the nearest bound */
	unsigned int limit = !max ? DEF_LIMIT : max < 128 ? 128 :
			     max > 262144 ? 262144 : max;
	size_t h0, base, h;
	int p0 = 10;

	h0 = cli_req(vh, lfd, lport, max, p0);
	LT_CHECK(h0 > 0);
	LT_CHECK_EQ(cli_add_rc, 0);
	base = h0 - (size_t)p0;
	h = cli_req(vh, lfd, lport, max, (int)(limit - 1 - base));
	LT_CHECK_EQ(cli_add_rc, 0);
	LT_CHECK_EQ(h, (size_t)limit - 1);
	LT_CHECK_EQ(cli_error, cli_ws);	/* the ws client wanted a 101 */
	h = cli_req(vh, lfd, lport, max, (int)(limit - base));
	LT_CHECK_EQ(cli_add_rc, 0);
	LT_CHECK_EQ(h, (size_t)limit);
	LT_CHECK_EQ(cli_error, cli_ws);
	/* one byte more: refused, the connect fails and sends nothing */
	h = cli_req(vh, lfd, lport, max, (int)(limit + 1 - base));
	LT_CHECK_EQ(cli_add_rc, LOOM_ELIMIT);
	LT_CHECK_EQ(h, 0);
	LT_CHECK_EQ(cli_error, 1);
	printf("%s client, limit %u: heads of %u and %u bytes sent, %u refused\n",
	       cli_ws ? "ws" : "http", limit, limit - 1, limit, limit + 1);
}

int
main(void)
{
	struct loom_http_vhost_info hdef, hbig;
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_vhost *vdef, *vbig, *vcli;
	size_t ah_def, ah_big;
	int lfd, lport = 0;

	memset(pad, 'x', sizeof(pad));
	loom_set_allocator(hook_realloc);
	loom_set_log_level(LOOM_LL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-http-head-max");
	memset(&hdef, 0, sizeof(hdef));
	memset(&hbig, 0, sizeof(hbig));
	hbig.max_response_head_bytes = BIG_LIMIT;
	memset(&vi, 0, sizeof(vi));
	vi.iface = "127.0.0.1";
	vi.protocols = protos;
	vi.http = &hdef;
	vi.name = "def";
	vdef = loom_create_vhost(ctx, &vi);
	vi.http = &hbig;
	vi.name = "big";
	vbig = loom_create_vhost(ctx, &vi);
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.http = NULL;
	vi.name = "cli";
	vcli = loom_create_vhost(ctx, &vi);
	LT_CHECK(vdef && vbig && vcli);
	lfd = listener(&lport);
	LT_CHECK(lfd >= 0);
	if (!vdef || !vbig || !vcli || lfd < 0)
		return lt_result("api-test-http-head-max");

	ah_bytes = 0;
	server_edges(loom_vhost_port(vdef), DEF_LIMIT);
	ah_def = ah_bytes;
	ah_bytes = 0;
	server_edges(loom_vhost_port(vbig), BIG_LIMIT);
	ah_big = ah_bytes;
	printf("per-request store: %zu bytes (default), %zu (limit %u)\n", ah_def, ah_big,
	       BIG_LIMIT);
	LT_CHECK(ah_def > 0);
	LT_CHECK_EQ(ah_big - ah_def, (size_t)(BIG_LIMIT - DEF_LIMIT));

	client_edges(vcli, lfd, lport, 0);
	client_edges(vcli, lfd, lport, BIG_LIMIT);
	/* the largest allowed: a quarter-MiB request head */
	client_edges(vcli, lfd, lport, 262144);
	LT_CHECK_EQ(cli_pad > 200000, 1);
	/* past the bounds: the nearest bound */
	client_edges(vcli, lfd, lport, 262145);
	client_edges(vcli, lfd, lport, 100);
#if defined(LOOM_WITH_WS)
	cli_ws = 1;
	client_edges(vcli, lfd, lport, 0);
	client_edges(vcli, lfd, lport, BIG_LIMIT);
	client_edges(vcli, lfd, lport, 262144);
	cli_ws = 0;
#endif

	close(lfd);
	loom_context_destroy(ctx);
	loom_set_allocator(NULL);

	return lt_result("api-test-http-head-max");
}
