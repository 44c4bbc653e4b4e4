/*
 * ss-raw.c: Secure Streams over a raw TCP connection: what arrives goes to rx as
 * it comes (each piece a whole "message": SOM | EOM), and each tx piece is
 * written as it is.
 */
#include "core/private-core.h"
#include "secure-streams/private-ss.h"

/* one tx piece per writeable callback; ask again while the user has more */
static int
ss_stream_write(struct loom_ss_handle *h, struct loom_conn *conn,
		enum loom_write_protocol first, enum loom_write_protocol cont,
		int framed)
{
	int flags, rc, n = loom__ss_tx(h, LOOM_SS_TX_BUF, &flags, &rc);
	enum loom_write_protocol wp;

	if (n < 0)
		return -1;
	if (rc == LOOM_SSR_TX_DONT_SEND)
		return 0;
	wp = (!framed || !h->tx_som_sent) ? first : cont;
	if (framed && !(flags & LOOM_SS_FLAG_EOM))
		wp = (enum loom_write_protocol)(wp | LOOM_WRITE_NO_FIN);
	if (loom_write(conn, h->txbuf + LOOM_PRE, (size_t)n, wp) < 0)
		return -1;
	h->tx_som_sent = !(flags & LOOM_SS_FLAG_EOM);
	/* the rest of a message is asked for at once; a new one on request */
	if (!(flags & LOOM_SS_FLAG_EOM) || h->tx_requested)
		return loom_callback_on_writable(conn) ? -1 : 0;

	return 0;
}

int
loom__ss_stream_write(struct loom_ss_handle *h, struct loom_conn *conn,
		      enum loom_write_protocol first, enum loom_write_protocol cont,
		      int framed)
{
	return ss_stream_write(h, conn, first, cont, framed);
}

static int
ss_raw_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct loom_ss_handle *h = loom__ss_from_conn(conn);

	if (!h || h->conn != conn)
		return 0;

	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		loom__ss_conn_gone(h, 1);
		return 0;
	case LOOM_CB_RAW_CONNECTED:
		loom__ss_connected(h);
		return 0;
	case LOOM_CB_RAW_RX:
		if (loom__ss_rx(h, in, len, LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM))
			return h->conn == conn ? -1 : 0;
		return 0;
	case LOOM_CB_RAW_WRITEABLE:
		return ss_stream_write(h, conn, LOOM_WRITE_RAW, LOOM_WRITE_RAW, 0);
	case LOOM_CB_RAW_CLOSE:
		loom__ss_conn_gone(h, !h->connected);
		return 0;
	default:
		return 0;
	}
}

static const struct loom_protocol ss_raw_protocol = {
	"ss-raw", ss_raw_cb, 0, 0, 0, NULL, 0
};

static int
ss_raw_connect(struct loom_ss_handle *h)
{
	char addr[LOOM_SS_SUBST_MAX];
	struct loom_client_connect_info ci;
	struct loom_tls_client_info tls;

	if (loom__ss_subst(h, h->st->endpoint, addr, sizeof(addr)) <= 0)
		return -1;
	memset(&ci, 0, sizeof(ci));
	ci.context = h->ctx;
	ci.vhost = ((struct loom_ss_ctx *)h->ctx->ss)->vh_client;
	ci.protocol = ss_raw_protocol.name;
	ci.address = addr;
	ci.port = h->st->port;
	ci.flags = LOOM_CONNECT_RAW;
	ci.tsi = h->tsi;
	ci.opaque_user_data = h;
	ci.pconn = &h->conn;
	if (h->st->flags & LOOM_SSTF_TLS) {
		loom__ss_tls_info(h, &tls);
		ci.tls = &tls;
	}

	return loom_client_connect(&ci) ? 0 : -1;
}

static int
ss_raw_request_tx(struct loom_ss_handle *h)
{
	return h->connected ? loom_callback_on_writable(h->conn) : 0;
}

const struct ss_proto_ops loom__ss_ops_raw = {
	"raw", &ss_raw_protocol, ss_raw_connect, ss_raw_request_tx
};
