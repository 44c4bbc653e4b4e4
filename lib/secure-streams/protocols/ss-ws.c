/*
 * ss-ws.c: Secure Streams over a WebSocket client connection: the policy's
 * endpoint, url and subprotocol; each tx message goes out as a text or binary
 * message ("ws_binary"), in as many fragments as the user gives pieces; received
 * fragments go to rx with SOM / EOM where messages start and end.
 */
#include "core/private-core.h"
#include "secure-streams/private-ss.h"

static int
ss_ws_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	 void *in, size_t len)
{
	struct loom_ss_handle *h = loom__ss_from_conn(conn);
	int flags, bin;

	if (!h || h->conn != conn)
		return 0;

	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		loom__ss_conn_gone(h, 1);
		return 0;
	case LOOM_CB_CLIENT_ESTABLISHED:
		loom__ss_connected(h);
		return 0;
	case LOOM_CB_CLIENT_RECEIVE:
		flags = (h->rx_started ? 0 : LOOM_SS_FLAG_SOM) |
			(loom_ws_is_final_fragment(conn) &&
			 !loom_ws_remaining_packet_payload(conn) ? LOOM_SS_FLAG_EOM : 0);
		h->rx_started = !(flags & LOOM_SS_FLAG_EOM);
		if (loom__ss_rx(h, in, len, flags))
			return h->conn == conn ? -1 : 0;
		return 0;
	case LOOM_CB_CLIENT_WRITEABLE:
		bin = !!(h->st->flags & LOOM_SSTF_WS_BINARY);
		return loom__ss_stream_write(h, conn, bin ? LOOM_WRITE_BINARY :
					     LOOM_WRITE_TEXT, LOOM_WRITE_CONTINUATION, 1);
	case LOOM_CB_CLIENT_CLOSED:
		loom__ss_conn_gone(h, 0);
		return 0;
	default:
		return 0;
	}
}

static const struct loom_protocol ss_ws_protocol = {
	"ss-ws", ss_ws_cb, 0, 0, 0, NULL, 0
};

static int
ss_ws_connect(struct loom_ss_handle *h)
{
	char addr[LOOM_SS_SUBST_MAX], path[LOOM_SS_SUBST_MAX];
	struct loom_client_connect_info ci;
	struct loom_tls_client_info ti;

	path[0] = '/';
	if (loom__ss_subst(h, h->st->endpoint, addr, sizeof(addr)) <= 0 ||
	    loom__ss_subst(h, h->st->http_url, path + 1, sizeof(path) - 1) < 0)
		return -1;
	memset(&ci, 0, sizeof(ci));
	ci.context = h->ctx;
	ci.vhost = ((struct loom_ss_ctx *)h->ctx->ss)->vh_client;
	ci.protocol = ss_ws_protocol.name;
	ci.address = addr;
	ci.port = h->st->port;
	ci.flags = LOOM_CONNECT_WS;
	ci.path = path[1] == '/' ? path + 1 : path;
	ci.ws_protocol = h->st->ws_subprotocol;
	ci.tsi = h->tsi;
	ci.opaque_user_data = h;
	ci.pconn = &h->conn;
	if (h->st->flags & LOOM_SSTF_TLS) {
		/* the client copies what it keeps of it */
		loom__ss_tls_info(h, &ti);
		ci.tls = &ti;
	}

	return loom_client_connect(&ci) ? 0 : -1;
}

static int
ss_ws_request_tx(struct loom_ss_handle *h)
{
	return h->connected ? loom_callback_on_writable(h->conn) : 0;
}

const struct ss_proto_ops loom__ss_ops_ws = {
	"ws", &ss_ws_protocol, ss_ws_connect, ss_ws_request_tx
};
