/*
 * api-test-ws-h2-client: the WebSocket client over HTTP/2 (RFC 8441) against our
 * own server, both in one context and one service thread:
 *   LOOM_CONNECT_WS_H2 on a plain conn (h2c by prior knowledge): the extended
 *   CONNECT waits for the server's SETTINGS, ESTABLISHED comes on the 200, a
 *   subprotocol is chosen, text and a 100 KB binary message (beyond the 65535
 *   windows) echo whole, with permessage-deflate too, and the close handshake
 *   ends both sides;
 *   automatically: a plain LOOM_CONNECT_WS to a server we already have an h2
 *   client connection with (after an HTTP GET over h2c) rides on it as a stream;
 *   a server that does not offer the extended CONNECT: CLIENT_CONNECTION_ERROR.
 */
#include <loom.h>

#include <stdlib.h>
#include <string.h>

#include "loom-test.h"

#define BIG	100000

static struct loom_context *ctx;
static struct loom_vhost *vh_cli;
static int port, port_nows;

/* ---- the server: an echo of each whole message ---- */

struct srv {
	unsigned char *buf;	/* LOOM_PRE + the message */
	size_t len;
	int binary, pending;
};

static int srv_h2_conns, srv_closed;

static int
cb_srv(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
       size_t len)
{
	struct srv *s = user;

	switch (reason) {
	case LOOM_CB_ESTABLISHED:
		srv_h2_conns += loom_conn_is_h2_stream(conn);
		return 0;
	case LOOM_CB_RECEIVE:
		if (s->pending)
			return -1;	/* one at a time in this test */
		if (loom_ws_is_first_fragment(conn))
			s->len = 0;
		s->buf = realloc(s->buf, LOOM_PRE + s->len + len);
		if (!s->buf)
			return -1;
		memcpy(s->buf + LOOM_PRE + s->len, in, len);
		s->len += len;
		if (loom_ws_is_final_fragment(conn) && !loom_ws_remaining_packet_payload(conn)) {
			s->binary = loom_ws_frame_is_binary(conn);
			s->pending = 1;
			return loom_callback_on_writable(conn) < 0 ? -1 : 0;
		}
		return 0;
	case LOOM_CB_SERVER_WRITEABLE:
		if (!s->pending)
			return 0;
		s->pending = 0;
		return loom_write(conn, s->buf + LOOM_PRE, s->len, s->binary ?
				  LOOM_WRITE_BINARY : LOOM_WRITE_TEXT) < 0 ? -1 : 0;
	case LOOM_CB_CLOSED:
		srv_closed++;
		free(s->buf);
		s->buf = NULL;
		return 0;
	default:
		return 0;
	}
}

static int
cb_srv_http(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	    void *in, size_t len)
{
	if (reason == LOOM_CB_HTTP)
		return loom_http_respond_simple(conn, 200, "text/plain", "ok", 2);

	return 0;
}

static const struct loom_protocol srv_protocols[] = {
	{ "http", cb_srv_http, 0, 0, 0, NULL, 0 },
	{ "echo", cb_srv, sizeof(struct srv), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* ---- the client ---- */

struct cli {
	int established, errors, closed, got, on_h2, http_done, deflate;
	size_t got_len;
	int step;
	unsigned char msg[LOOM_PRE + BIG];
};

static struct cli cl;

static int
cb_cli(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
       size_t len)
{
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		cl.errors++;
		return 0;
	case LOOM_CB_CLIENT_ESTABLISHED:
		cl.established++;
		cl.on_h2 = loom_conn_is_h2_stream(conn);
		cl.deflate = loom_ws_deflate_active(conn);
		cl.step = 0;
		return loom_callback_on_writable(conn) < 0 ? -1 : 0;
	case LOOM_CB_CLIENT_WRITEABLE:
		if (cl.step == 0) {
			memcpy(cl.msg + LOOM_PRE, "hello over h2", 13);
			return loom_write(conn, cl.msg + LOOM_PRE, 13, LOOM_WRITE_TEXT) != 13;
		}
		if (cl.step == 1) {
			size_t n;

			for (n = 0; n < BIG; n++)
				cl.msg[LOOM_PRE + n] = (unsigned char)(n * 7);
			return loom_write(conn, cl.msg + LOOM_PRE, BIG, LOOM_WRITE_BINARY) != BIG;
		}
		loom_close(conn, LOOM_CLOSE_NORMAL);
		return 0;
	case LOOM_CB_CLIENT_RECEIVE:
		cl.got_len += len;
		if (!loom_ws_is_final_fragment(conn) || loom_ws_remaining_packet_payload(conn))
			return 0;
		if ((cl.step == 0 && cl.got_len == 13) || (cl.step == 1 && cl.got_len == BIG))
			cl.got++;
		cl.got_len = 0;
		cl.step++;
		return loom_callback_on_writable(conn) < 0 ? -1 : 0;
	case LOOM_CB_CLIENT_CLOSED:
		cl.closed++;
		return 0;
	case LOOM_CB_COMPLETED_CLIENT_HTTP:
		cl.http_done++;
		return 0;
	default:
		return 0;
	}
}

static const struct loom_protocol cli_protocols[] = {
	{ "cli", cb_cli, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
run_until(int *flag, int want, int ms)
{
	int n;

	for (n = 0; n < ms && *flag < want; n++)
		loom_service(ctx, 1);
}

static struct loom_conn *
connect_to(int to_port, unsigned int flags, const char *method)
{
	struct loom_client_connect_info ci;

	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = vh_cli;
	ci.address = "127.0.0.1";
	ci.port = to_port;
	ci.path = "/";
	ci.flags = flags;
	ci.method = method;
	ci.protocol = "cli";
	ci.ws_protocol = method ? NULL : "nope, echo";

	return loom_client_connect(&ci);
}

static int
make_server(const char *name, unsigned int h2_options)
{
	struct loom_h2_vhost_info h2;
	struct loom_vhost_info vi;
	struct loom_vhost *vh;

	memset(&h2, 0, sizeof(h2));
	h2.options = h2_options;
	memset(&vi, 0, sizeof(vi));
	vi.name = name;
	vi.iface = "127.0.0.1";
	vi.protocols = srv_protocols;
	vi.h2 = &h2;
	vh = loom_create_vhost(ctx, &vi);

	return vh ? loom_vhost_port(vh) : -1;
}

static void
ws_round(unsigned int flags, const char *what)
{
	int before = cl.closed;

	memset(&cl, 0, sizeof(cl) - sizeof(cl.msg));
	cl.closed = before;
	if (!connect_to(port, LOOM_CONNECT_WS | flags, NULL)) {
		LT_CHECK(!what);
		return;
	}
	run_until(&cl.closed, before + 1, 5000);
	fprintf(stderr, "%s: established %d on_h2 %d got %d closed %d\n", what,
		cl.established, cl.on_h2, cl.got, cl.closed - before);
	LT_CHECK_EQ(cl.established, 1);
	LT_CHECK_EQ(cl.on_h2, 1);
	LT_CHECK_EQ(cl.got, 2);
	LT_CHECK_EQ(cl.closed, before + 1);
	LT_CHECK_EQ(cl.errors, 0);
	LT_CHECK_EQ(cl.deflate, (flags & LOOM_CONNECT_WS_DEFLATE) && loom_ws_deflate_available());
}

int
main(void)
{
	struct loom_context_info info;
	struct loom_vhost_info vi;
	int h2_before;

	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	if (!ctx)
		return 1;
	port = make_server("ws", 0);
	port_nows = make_server("nows", LOOM_H2_OPT_NO_WEBSOCKET);
	memset(&vi, 0, sizeof(vi));
	vi.name = "client";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = cli_protocols;
	vh_cli = loom_create_vhost(ctx, &vi);
	LT_CHECK(port > 0 && port_nows > 0 && vh_cli);

	/* asked for: h2c by prior knowledge, extended CONNECT, echo, close */
	ws_round(LOOM_CONNECT_WS_H2, "ws over h2c");
	ws_round(LOOM_CONNECT_WS_H2 | LOOM_CONNECT_WS_DEFLATE, "ws over h2c, deflate");
	LT_CHECK_EQ(srv_h2_conns, 2);

	/* automatic: an h2 connection to the server is there (an HTTP GET's) */
	LT_CHECK(connect_to(port, LOOM_CONNECT_H2_PRIOR_KNOWLEDGE, "GET") != NULL);
	run_until(&cl.http_done, 1, 3000);
	LT_CHECK_EQ(cl.http_done, 1);
	h2_before = srv_h2_conns;
	ws_round(0, "plain ws to a server we speak h2 with");
	LT_CHECK_EQ(srv_h2_conns, h2_before + 1);

	/* a server that does not offer it: the connect fails, said once */
	memset(&cl, 0, sizeof(cl) - sizeof(cl.msg));
	LT_CHECK(connect_to(port_nows, LOOM_CONNECT_WS | LOOM_CONNECT_WS_H2, NULL) != NULL);
	run_until(&cl.errors, 1, 3000);
	LT_CHECK_EQ(cl.errors, 1);
	LT_CHECK_EQ(cl.established, 0);

	run_until(&srv_closed, srv_h2_conns, 1000);
	LT_CHECK_EQ(srv_closed, srv_h2_conns);
	loom_context_destroy(ctx);

	return lt_result("api-test-ws-h2-client");
}
