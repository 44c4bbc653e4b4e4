/*
 * ss-h1.c: Secure Streams over HTTP/1.1 client connections. One transaction per
 * connection: the policy's method and url (after ${} substitution), metadata
 * items that name a header ("content-type:") go out as request headers and come
 * back from the response's, the body comes from the tx callback, the response
 * body goes to rx and its status decides QOS_ACK_REMOTE or QOS_NACK_REMOTE.
 */
#include "core/private-core.h"
#include "secure-streams/private-ss.h"

static int
method_has_body(const char *m)
{
	return !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH");
}

static int
add_headers(struct loom_ss_handle *h, struct loom_conn *conn)
{
	const struct loom_ss_stream_type *st = h->st;
	char name[128], val[LOOM_SS_SUBST_MAX];
	struct ss_meta *m;

	for (m = h->meta; m; m = m->next)
		if (m->set && loom__ss_meta_header(m, name, sizeof(name)) &&
		    loom_http_client_add_header(conn, name, (const char *)m->value))
			return -1;
	if (st->http_auth_header) {
		const struct ss_meta *a = loom__ss_meta(h, "auth", 4);
		size_t n = strlen(st->http_auth_header);

		if (a && a->set && n > 1 && n < sizeof(name)) {
			memcpy(name, st->http_auth_header, n);
			name[n - (st->http_auth_header[n - 1] == ':')] = '\0';
			if (loom__ss_subst(h, st->http_auth_preamble, val, sizeof(val)) < 0 ||
			    strlen(val) + a->len >= sizeof(val))
				return -1;
			strcat(val, (const char *)a->value);
			if (loom_http_client_add_header(conn, name, val))
				return -1;
		}
	}
	if (st->http_mime_content_type &&
	    loom_http_client_add_header(conn, "content-type", st->http_mime_content_type))
		return -1;
	/* a body when the user asked for tx; else an empty one */
	if (st->http_method && method_has_body(st->http_method) &&
	    (h->tx_requested || h->tx_len))
		return loom_http_client_body(conn, h->tx_len ? (int64_t)h->tx_len :
					     LOOM_HTTP_LEN_UNKNOWN);
	if (st->http_method && method_has_body(st->http_method))
		return loom_http_client_add_header(conn, "content-length", "0");

	return 0;
}

/* the response's headers into the metadata items that name them */
static void
take_headers(struct loom_ss_handle *h, struct loom_conn *conn)
{
	char name[128], val[LOOM_SS_SUBST_MAX];
	struct ss_meta *m;

	for (m = h->meta; m; m = m->next) {
		size_t nl = loom__ss_meta_header(m, name, sizeof(name));
		int t, n;

		if (!nl)
			continue;
		t = loom_hdr_token_lookup(name, nl);
		n = t >= 0 ? loom_hdr_copy(conn, val, sizeof(val), (enum loom_hdr_token)t) :
			     loom_hdr_custom_copy(conn, val, sizeof(val), name);
		if (n >= 0)
			loom_ss_set_metadata(h, m->pol->name, val, (size_t)n);
	}
}

static int
write_body(struct loom_ss_handle *h, struct loom_conn *conn)
{
	int flags, rc, n = loom__ss_tx(h, LOOM_SS_TX_BUF, &flags, &rc);

	if (n < 0)
		return -1;
	if (rc == LOOM_SSR_TX_DONT_SEND)
		return 0;	/* the user asks again with loom_ss_request_tx() */
	if (loom_http_write_body(conn, h->txbuf + LOOM_PRE, (size_t)n,
				 !!(flags & LOOM_SS_FLAG_EOM)) < 0)
		return -1;
	if (!(flags & LOOM_SS_FLAG_EOM))
		return loom_callback_on_writable(conn) ? -1 : 0;
	h->tx_len = 0;

	return 0;
}

static int
ss_h1_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	 void *in, size_t len)
{
	struct loom_ss_handle *h = loom__ss_from_conn(conn);

	if (!h)
		return 0;	/* the stream let go of this conn */
	/* a followed redirect goes on in a new conn with our opaque pointer, and
	 * the old one leaves silently; a stream has one conn at a time otherwise */
	if (h->conn != conn)
		h->conn = conn;

	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		loom_log_info("%s: connect failed: %s", h->tag,
			      in ? (const char *)in : "?");
		loom__ss_conn_gone(h, 1);
		return 0;
	case LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER:
		return add_headers(h, conn);
	case LOOM_CB_CLIENT_HTTP_WRITEABLE:
		return write_body(h, conn);
	case LOOM_CB_ESTABLISHED_CLIENT_HTTP:
		h->http_status = loom_http_status(conn);
		take_headers(h, conn);
		h->tx_requested = 0;
		loom__ss_connected(h);
		return 0;
	case LOOM_CB_RECEIVE_CLIENT_HTTP:
		if (loom__ss_rx(h, in, len, h->rx_started ? 0 : LOOM_SS_FLAG_SOM))
			return h->conn == conn ? -1 : 0;
		h->rx_started = 1;
		return 0;
	case LOOM_CB_COMPLETED_CLIENT_HTTP:
		if (loom__ss_rx(h, (const uint8_t *)"", 0, LOOM_SS_FLAG_EOM |
				(h->rx_started ? 0 : LOOM_SS_FLAG_SOM)))
			return 0;
		loom__ss_txn_done(h);
		return 0;
	case LOOM_CB_CLOSED_CLIENT_HTTP:
		loom__ss_conn_gone(h, 0);
		return 0;
	default:
		return 0;
	}
}

const struct loom_protocol loom__ss_http_protocol = {
	"ss-h1", ss_h1_cb, 0, 0, 0, NULL, 0
};
#define ss_h1_protocol loom__ss_http_protocol

/* \p h2: ask for HTTP/2 (ALPN over TLS, prior knowledge over TCP), so streams
 * to the same endpoint share one connection */
int
loom__ss_http_connect(struct loom_ss_handle *h, int h2)
{
	char addr[LOOM_SS_SUBST_MAX], path[LOOM_SS_SUBST_MAX];
	struct loom_client_connect_info ci;
	struct loom_tls_client_info ti;
	struct loom_ss_ctx *s = h->ctx->ss;

	path[0] = '/';
	if (loom__ss_subst(h, h->st->endpoint, addr, sizeof(addr)) <= 0 ||
	    loom__ss_subst(h, h->st->http_url, path + 1, sizeof(path) - 1) < 0) {
		loom_log_err("%s: endpoint or url empty or too long", h->tag);
		return -1;
	}
	memset(&ci, 0, sizeof(ci));
	ci.context = h->ctx;
	ci.vhost = s->vh_client;
	ci.protocol = ss_h1_protocol.name;
	ci.address = addr;
	ci.port = h->st->port;
	ci.method = h->st->http_method ? h->st->http_method : "GET";
	ci.path = path[1] == '/' ? path + 1 : path;
	ci.tsi = h->tsi;
	ci.opaque_user_data = h;
	ci.pconn = &h->conn;
	if (h->st->flags & LOOM_SSTF_ALLOW_REDIRECTS)
		ci.flags |= LOOM_CONNECT_FOLLOW_REDIRECTS;
	if (h->st->flags & LOOM_SSTF_TLS) {
		/* the client copies what it keeps of it (redirects, h2 joins) */
		loom__ss_tls_info(h, &ti);
		ti.alpn = h2 ? "h2,http/1.1" : NULL;
		ci.tls = &ti;
	} else if (h2)
		ci.flags |= LOOM_CONNECT_H2_PRIOR_KNOWLEDGE;

	return loom_client_connect(&ci) ? 0 : -1;
}

static int
ss_h1_connect(struct loom_ss_handle *h)
{
	return loom__ss_http_connect(h, 0);
}

int
loom__ss_http_request_tx(struct loom_ss_handle *h)
{
	/* the body is asked for while the request goes out; after the response
	 * head, a new tx is a new transaction on a new connection */
	return h->conn && !h->connected ? loom_callback_on_writable(h->conn) : 0;
}

const struct ss_proto_ops loom__ss_ops_h1 = {
	"h1", &ss_h1_protocol, ss_h1_connect, loom__ss_http_request_tx
};
