/*
 * api-test-h2-client: the h2 client's flow control against an in-process h2c
 * server sending 2 MB as fast as it may. A reader that pauses (loom_rx_flow_control)
 * must not make Loom hold more than the stream's window: the bytes the process has
 * allocated stay within a bound while the user does not read, and every byte
 * arrives, in order, once it reads again. Then a POST of 1 MB from the client
 * (past the server's 64 KiB windows) arrives whole, and a user that closes its
 * request mid-body leaves the connection to the others.
 */
#include <loom.h>
#include "loom-test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a byte-counting allocator ---- */

static long long live_bytes, at_head;

static void *
counting_realloc(void *ptr, size_t size, const char *reason)
{
	size_t *p = ptr ? (size_t *)ptr - 2 : NULL, old = p ? p[0] : 0;
	size_t *n;

	(void)reason;
	if (!size) {
		live_bytes -= (long long)old;
		free(p);
		return NULL;
	}
	n = realloc(p, size + 2 * sizeof(size_t));
	if (!n)
		return NULL;
	live_bytes += (long long)size - (long long)old;
	n[0] = size;

	return n + 2;
}

/* ---- the server ---- */

#define BODY (2 * 1024 * 1024)
#define POST (1024 * 1024)

struct srv {
	size_t sent;
	size_t got;
	int post;
};

static unsigned char chunk[LOOM_PRE + 16384];
static size_t server_got;

static uint8_t
pattern(size_t i)
{
	return (uint8_t)('a' + (i * 7 + i / 13) % 26);
}

static int
srv_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
       size_t len)
{
	struct srv *s = user;
	size_t n, i;

	switch (reason) {
	case LOOM_CB_HTTP:
		s->post = !strcmp((const char *)in, "/post");
		if (s->post)
			return 0;
		if (loom_http_respond(conn, 200, "application/octet-stream", BODY))
			return -1;
		return loom_callback_on_writable(conn) ? -1 : 0;
	case LOOM_CB_HTTP_WRITEABLE:
		n = BODY - s->sent < 16384 ? BODY - s->sent : 16384;
		for (i = 0; i < n; i++)
			chunk[LOOM_PRE + i] = pattern(s->sent + i);
		s->sent += n;
		if (loom_http_write_body(conn, chunk + LOOM_PRE, n, s->sent == BODY) < 0)
			return -1;
		return s->sent < BODY ? loom_callback_on_writable(conn) : 0;
	case LOOM_CB_HTTP_BODY:
		for (i = 0; i < len; i++)
			if (((const uint8_t *)in)[i] != pattern(s->got + i))
				return -1;
		s->got += len;
		return 0;
	case LOOM_CB_HTTP_BODY_COMPLETION:
		if (!s->post)
			return 0;
		server_got = s->got;
		return loom_http_respond_simple(conn, 200, "text/plain", "ok", 2);
	default:
		return 0;
	}
}

static const struct loom_protocol srv_protos[] = {
	{ "srv", srv_cb, sizeof(struct srv), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* ---- the client ---- */

struct cli {
	int post, paused, complete, closed, failed, close_early;
	size_t got, sent;
	int status;
	int bad;
};

static int
cli_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
       void *in, size_t len)
{
	struct cli *c = conn ? loom_get_opaque_user_data(conn) : NULL;
	static unsigned char out[LOOM_PRE + 8192];
	size_t i, n;

	(void)user;
	if (!c)
		return 0;
	switch (reason) {
	case LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER:
		return c->post ? loom_http_client_body(conn, POST) : 0;
	case LOOM_CB_CLIENT_HTTP_WRITEABLE:
		if (c->close_early && c->sent >= 100000)
			return -1;	/* the user gives up on this request */
		n = POST - c->sent < 8192 ? POST - c->sent : 8192;
		for (i = 0; i < n; i++)
			out[LOOM_PRE + i] = pattern(c->sent + i);
		c->sent += n;
		if (loom_http_write_body(conn, out + LOOM_PRE, n, c->sent == POST) < 0)
			return -1;
		return c->sent < POST ? loom_callback_on_writable(conn) : 0;
	case LOOM_CB_ESTABLISHED_CLIENT_HTTP:
		c->status = (int)loom_http_status(conn);
		if (c->paused) {
			at_head = live_bytes;
			loom_rx_flow_control(conn, 0);
		}
		return 0;
	case LOOM_CB_RECEIVE_CLIENT_HTTP:
		if (c->paused)
			c->bad = 1;	/* delivered while paused */
		for (i = 0; i < len; i++)
			if (((const uint8_t *)in)[i] != pattern(c->got + i))
				c->bad = 1;
		c->got += len;
		return 0;
	case LOOM_CB_COMPLETED_CLIENT_HTTP:
		c->complete = 1;
		return 0;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		c->failed = 1;
		c->closed = 1;
		return 0;
	case LOOM_CB_CLOSED_CLIENT_HTTP:
		c->closed = 1;
		return 0;
	default:
		return 0;
	}
}

static const struct loom_protocol cli_protos[] = {
	{ "cli", cli_cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static struct loom_conn *
request(struct loom_context *ctx, struct loom_vhost *vh, int port, const char *method,
	const char *path, struct cli *c)
{
	struct loom_client_connect_info ci;

	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = vh;
	ci.address = "127.0.0.1";
	ci.port = port;
	ci.method = method;
	ci.path = path;
	ci.flags = LOOM_CONNECT_H2_PRIOR_KNOWLEDGE;
	ci.opaque_user_data = c;

	return loom_client_connect(&ci);
}

static void
run(struct loom_context *ctx, int ms, int *until)
{
	int n;

	for (n = 0; n < ms / 5 && !(until && *until); n++)
		loom_service(ctx, 5);
}

int
main(void)
{
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_vhost *srv, *cvh;
	struct loom_context *ctx;
	struct loom_conn *conn;
	struct cli a, p, q;
	long long before, during;
	int port;

	loom_set_allocator(counting_realloc);
	loom_set_log_level(LOOM_LL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-h2-client");
	memset(&vi, 0, sizeof(vi));
	vi.name = "srv";
	vi.iface = "127.0.0.1";
	vi.options = LOOM_VHOST_OPT_IPV4_ONLY;
	vi.protocols = srv_protos;
	srv = loom_create_vhost(ctx, &vi);
	memset(&vi, 0, sizeof(vi));
	vi.name = "cli";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = cli_protos;
	cvh = loom_create_vhost(ctx, &vi);
	LT_CHECK(srv && cvh);
	port = srv ? loom_vhost_port(srv) : -1;

	/* 1: the reader pauses at the head; the server may send only the window */
	memset(&a, 0, sizeof(a));
	a.paused = 1;
	conn = request(ctx, cvh, port, "GET", "/big", &a);
	LT_CHECK(conn != NULL);
	run(ctx, 2000, &a.status);
	LT_CHECK_EQ(a.status, 200);
	run(ctx, 100, NULL);
	before = live_bytes;
	run(ctx, 500, NULL);
	during = live_bytes;
	LT_CHECK_EQ(a.got, 0);
	/* the 64 KiB stream window, and no more, may pile up while paused */
	LT_CHECK(during - at_head < 160 * 1024);
	LT_CHECK(during - before < 16 * 1024);
	printf("paused: %lld bytes held since the head, %lld more in the last 500 ms, "
	       "%zu delivered\n", during - at_head, during - before, a.got);
	a.paused = 0;
	LT_CHECK_EQ(loom_rx_flow_control(conn, 1), 0);
	run(ctx, 10000, &a.closed);
	LT_CHECK(a.complete && !a.bad);
	LT_CHECK_EQ(a.got, BODY);

	/* 2: a POST past the server's windows; a second POST whose user gives up
	 * mid-body on the same connection does not disturb it */
	memset(&p, 0, sizeof(p));
	memset(&q, 0, sizeof(q));
	p.post = q.post = 1;
	q.close_early = 1;
	LT_CHECK(request(ctx, cvh, port, "POST", "/post", &p) != NULL);
	LT_CHECK(request(ctx, cvh, port, "POST", "/post", &q) != NULL);
	run(ctx, 10000, &p.closed);
	run(ctx, 2000, &q.closed);
	LT_CHECK(p.complete && p.status == 200);
	LT_CHECK_EQ(p.sent, POST);
	LT_CHECK_EQ(server_got, POST);
	LT_CHECK(q.closed && !q.complete);

	loom_context_destroy(ctx);
	LT_CHECK_EQ(live_bytes, 0);
	loom_set_allocator(NULL);

	return lt_result("api-test-h2-client");
}
