/*
 * api-test-ws-conn: a Loom WebSocket client against a Loom WebSocket server in one
 * process: fragmented writes with the write flags and the refused ones, the close
 * handshake with a code and reason both ways, subprotocol choice, handshake
 * headers, the FILTER refusal, the Origin check, idle pings and the client's
 * message limit.
 */
#include <loom.h>

#include <stdlib.h>
#include <string.h>

#include "loom-test.h"

enum { SC_FRAG, SC_PROTO, SC_FILTER, SC_ORIGIN_BAD, SC_ORIGIN_OK, SC_PING, SC_LIMIT };

static struct loom_context *ctx;
static int sc, done;
static struct {
	char rx[256];
	size_t rx_len;
	int first_seen, final_seen, established, closed, peer_close_cb, pongs;
	unsigned int peer_code;
	char peer_reason[64];
	char hdr[64];
	const char *proto;
} s, c;
static int conn_error, client_step;

static void
finish(void)
{
	done = 1;
}

static int
cb_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	unsigned char buf[LOOM_PRE + 64];

	switch (reason) {
	case LOOM_CB_FILTER_PROTOCOL_CONNECTION:
		loom_hdr_custom_copy(conn, s.hdr, sizeof(s.hdr), "X-Loom-Test");
		return sc == SC_FILTER;	/* refuse */
	case LOOM_CB_ESTABLISHED:
		s.established++;
		s.proto = loom_get_protocol(conn)->name;
		if (sc == SC_LIMIT) {
			memcpy(buf + LOOM_PRE, "01234567890", 11);
			return loom_write(conn, buf + LOOM_PRE, 11, LOOM_WRITE_TEXT) < 0;
		}
		if (sc == SC_PROTO || sc == SC_ORIGIN_OK) {
			loom_ws_close_reason(conn, 1001, NULL, 0);
			return -1;
		}
		break;
	case LOOM_CB_RECEIVE:
		if (loom_ws_is_first_fragment(conn))
			s.first_seen++;
		if (s.rx_len + len < sizeof(s.rx)) {
			memcpy(s.rx + s.rx_len, in, len);
			s.rx_len += len;
		}
		if (loom_ws_is_final_fragment(conn)) {
			s.final_seen++;
			/* answer, then close with a code and reason of our own */
			memcpy(buf + LOOM_PRE, "\x01\x02\x03", 3);
			if (loom_write(conn, buf + LOOM_PRE, 3, LOOM_WRITE_BINARY) < 0)
				return -1;
			LT_CHECK_EQ(loom_ws_close_reason(conn, 1005, NULL, 0), LOOM_EINVAL);
			LT_CHECK_EQ(loom_ws_close_reason(conn, 4001, "do\xc3", 3), LOOM_EINVAL);
			LT_CHECK_EQ(loom_ws_close_reason(conn, 4001, "done", 4), 0);
			return -1;
		}
		break;
	case LOOM_CB_RECEIVE_PONG:
		s.pongs++;
		if (s.pongs == 2) {
			loom_ws_close_reason(conn, 1000, NULL, 0);
			return -1;
		}
		break;
	case LOOM_CB_CLOSED:
		s.closed++;
		s.peer_code = loom_ws_peer_close_code(conn, NULL, NULL);
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
	unsigned char buf[LOOM_PRE + 64];
	static const char *const pieces[] = { "Hel", "lo", "", " world" };
	const char *r;
	size_t rl;

	switch (reason) {
	case LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER:
		LT_CHECK_EQ(loom_ws_client_add_header(conn, "X-Loom-Test", "yes"), 0);
		LT_CHECK(loom_ws_client_add_header(conn, "Bad Name", "x") < 0);
		LT_CHECK(loom_ws_client_add_header(conn, "X-Bad", "a\r\nb") < 0);
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		conn_error++;
		finish();
		break;
	case LOOM_CB_CLIENT_ESTABLISHED:
		c.established++;
		if (sc == SC_FRAG) {
			/* out of place: a continuation first */
			memcpy(buf + LOOM_PRE, "x", 1);
			LT_CHECK_EQ(loom_write(conn, buf + LOOM_PRE, 1,
					       LOOM_WRITE_CONTINUATION), LOOM_EINVAL);
			loom_callback_on_writable(conn);
		}
		break;
	case LOOM_CB_CLIENT_WRITEABLE:
		if (sc != SC_FRAG || client_step >= 4)
			break;
		{
			size_t n = strlen(pieces[client_step]);
			int wp = client_step ? LOOM_WRITE_CONTINUATION : LOOM_WRITE_TEXT;

			if (client_step < 3)
				wp |= LOOM_WRITE_NO_FIN;
			memcpy(buf + LOOM_PRE, pieces[client_step], n);
			LT_CHECK(loom_write(conn, buf + LOOM_PRE, n,
					    (enum loom_write_protocol)wp) >= (int)n);
			if (client_step == 1) {
				/* a new message while one is open */
				LT_CHECK_EQ(loom_write(conn, buf + LOOM_PRE, 1,
						       LOOM_WRITE_BINARY), LOOM_EINVAL);
			}
			client_step++;
			if (client_step < 4)
				loom_callback_on_writable(conn);
		}
		break;
	case LOOM_CB_CLIENT_RECEIVE:
		if (c.rx_len + len < sizeof(c.rx)) {
			memcpy(c.rx + c.rx_len, in, len);
			c.rx_len += len;
		}
		LT_CHECK(loom_ws_frame_is_binary(conn));
		break;
	case LOOM_CB_WS_PEER_INITIATED_CLOSE:
		c.peer_close_cb++;
		break;
	case LOOM_CB_CLIENT_CLOSED:
		c.closed++;
		c.peer_code = loom_ws_peer_close_code(conn, &r, &rl);
		if (rl < sizeof(c.peer_reason)) {
			memcpy(c.peer_reason, r, rl);
			c.peer_reason[rl] = '\0';
		}
		finish();
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol srv_protocols[] = {
	{ "srv", cb_server, 0, 0, 0, NULL, 0 },
	{ "srv2", cb_server, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static const struct loom_protocol cli_protocols[] = {
	{ "cli", cb_client, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
run(int scenario, const char *origin_rule, const char *origin, const char *protos,
    unsigned int ping, uint64_t cli_max)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_ws_vhost_info ws;
	struct loom_client_connect_info ci;
	struct loom_vhost *vh, *cvh;
	loom_usec_t t0;

	sc = scenario;
	done = conn_error = client_step = 0;
	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	memset(&ws, 0, sizeof(ws));
	ws.allowed_origin = origin_rule;
	ws.ping_interval_secs = ping;
	ws.pong_timeout_secs = 1;
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.port = 0;
	vinfo.iface = "127.0.0.1";
	vinfo.protocols = srv_protocols;
	vinfo.ws = &ws;
	vh = loom_create_vhost(ctx, &vinfo);
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.name = "client";
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = cli_protocols;
	cvh = loom_create_vhost(ctx, &vinfo);
	LT_CHECK(vh && cvh);

	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = cvh;
	ci.address = "127.0.0.1";
	ci.port = loom_vhost_port(vh);
	ci.path = "/ws?x=1";
	ci.flags = LOOM_CONNECT_WS;
	ci.ws_protocol = protos;
	ci.ws_origin = origin;
	ci.ws_max_message = cli_max;
	LT_CHECK(loom_client_connect(&ci) != NULL);

	t0 = loom_now_usecs();
	while (!done && loom_now_usecs() - t0 < (loom_usec_t)8000000)
		loom_service(ctx, 50);
	/* let the server side finish its close */
	t0 = loom_now_usecs();
	while (!s.closed && s.established && loom_now_usecs() - t0 < (loom_usec_t)2000000)
		loom_service(ctx, 50);
	LT_CHECK(done);
	loom_context_destroy(ctx);
}

int
main(void)
{
	/* fragments out, binary back, the server closes with 4001 "done" */
	run(SC_FRAG, NULL, NULL, NULL, 0, 0);
	LT_CHECK_EQ(s.rx_len, 11);
	LT_CHECK(!memcmp(s.rx, "Hello world", 11));
	LT_CHECK_EQ(s.first_seen, 1);
	LT_CHECK_EQ(s.final_seen, 1);
	LT_CHECK(!strcmp(s.hdr, "yes"));
	LT_CHECK(!strcmp(s.proto, "srv"));	/* none asked: the vhost's first */
	LT_CHECK_EQ(c.rx_len, 3);
	LT_CHECK_EQ(c.peer_close_cb, 1);
	LT_CHECK_EQ(c.peer_code, 4001);
	LT_CHECK(!strcmp(c.peer_reason, "done"));
	LT_CHECK_EQ(s.closed, 1);
	LT_CHECK_EQ(s.peer_code, 4001);	/* the client echoed it */

	/* the first offered protocol the vhost has */
	run(SC_PROTO, NULL, NULL, "nope, srv2, srv", 0, 0);
	LT_CHECK(s.proto && !strcmp(s.proto, "srv2"));
	LT_CHECK_EQ(c.peer_code, 1001);

	/* refused in FILTER_PROTOCOL_CONNECTION: a connection error, no CLOSED */
	run(SC_FILTER, NULL, NULL, NULL, 0, 0);
	LT_CHECK_EQ(conn_error, 1);
	LT_CHECK_EQ(c.established, 0);
	LT_CHECK_EQ(c.closed, 0);

	/* the Origin check */
	run(SC_ORIGIN_BAD, "https://good.example", "https://bad.example", NULL, 0, 0);
	LT_CHECK_EQ(conn_error, 1);
	LT_CHECK_EQ(s.established, 0);
	run(SC_ORIGIN_OK, "https://good.example", "https://good.example", NULL, 0, 0);
	LT_CHECK_EQ(conn_error, 0);
	LT_CHECK_EQ(s.established, 1);

	/* idle pings every second, answered by the client's automatic pongs */
	run(SC_PING, NULL, NULL, NULL, 1, 0);
	LT_CHECK_EQ(s.pongs, 2);
	LT_CHECK_EQ(c.peer_code, 1000);

	/* the client's own message limit: 11 bytes to a 10-byte client is 1009 */
	run(SC_LIMIT, NULL, NULL, NULL, 0, 10);
	LT_CHECK_EQ(c.established, 1);
	LT_CHECK_EQ(s.peer_code, 1009);
	LT_CHECK_EQ(c.rx_len, 0);

	return lt_result("api-test-ws-conn");
}
