/*
 * ss-server.c: server stream types (policy "server": true). loom_ss_create() on
 * one makes its listener (port, TLS from server_cert / server_key) and stands for
 * it; each HTTP request or WebSocket connection accepted there becomes a stream
 * of its own with the same callbacks: CREATING, then SERVER_TXN (h1: metadata
 * "method", "path" and the header items filled from the request, the body to rx,
 * the response from tx after loom_ss_request_tx(), its status from
 * loom_ss_server_ack()) or SERVER_UPGRADE and CONNECTED (ws: messages both ways).
 * An accepted stream is destroyed when its transaction or connection ends.
 */
#include "core/private-core.h"
#include "secure-streams/private-ss.h"

#include <stdio.h>
#include <strings.h>

/* one listener per server stream type, made by the first loom_ss_create() */
struct ss_server {
	struct ss_server *next;
	const struct loom_ss_stream_type *st;
	struct loom_vhost *vh;
	struct loom_ss_handle *parent;		/* NULL once it is destroyed */
	struct loom_ss_policy *pol;		/* a reference: st lives in it */
	struct loom_protocol protos[2];
};

static struct ss_server *
server_of_conn(struct loom_conn *conn)
{
	return loom_vhost_user(loom_get_vhost(conn));
}

static void
child_end(struct loom_ss_handle *h, struct loom_conn *conn)
{
	loom_set_opaque_user_data(conn, NULL);
	h->conn = NULL;
	if (!h->destroy_pending) {
		loom__ss_state(h, LOOM_SSS_DISCONNECTED, 0);
		loom__ss_destroy_server_child(h);
	}
}

/* metadata "method" and "path", and items naming a request header */
static void
take_request(struct loom_ss_handle *h, struct loom_conn *conn, const char *path)
{
	const char *m = loom_http_method_name(loom_http_method(conn));
	char name[128], val[LOOM_SS_SUBST_MAX];
	struct ss_meta *md;

	loom_ss_set_metadata(h, "path", path, strlen(path));
	if (m)
		loom_ss_set_metadata(h, "method", m, strlen(m));
	for (md = h->meta; md; md = md->next) {
		size_t nl = loom__ss_meta_header(md, name, sizeof(name));
		int t, n;

		if (!nl)
			continue;
		t = loom_hdr_token_lookup(name, nl);
		n = t >= 0 ? loom_hdr_copy(conn, val, sizeof(val), (enum loom_hdr_token)t) :
			     loom_hdr_custom_copy(conn, val, sizeof(val), name);
		if (n >= 0)
			loom_ss_set_metadata(h, md->pol->name, val, (size_t)n);
	}
}

/* the response: status and header items on the first piece, then the body */
static int
respond(struct loom_ss_handle *h, struct loom_conn *conn)
{
	char name[128], ctype[128] = "text/plain";
	int flags, rc, n = loom__ss_tx(h, LOOM_SS_TX_BUF, &flags, &rc);
	struct ss_meta *m;

	if (n < 0)
		return -1;
	if (rc == LOOM_SSR_TX_DONT_SEND)
		return 0;
	if (!h->tx_som_sent) {
		for (m = h->meta; m; m = m->next)
			if (m->set && loom__ss_meta_header(m, name, sizeof(name)) &&
			    !strcasecmp(name, "content-type") && m->len < sizeof(ctype))
				memcpy(ctype, m->value, m->len + 1);
		if (loom_http_respond(conn, h->http_status ? h->http_status : 200, ctype,
				      h->tx_len ? (int64_t)h->tx_len : LOOM_HTTP_LEN_UNKNOWN))
			return -1;
		for (m = h->meta; m; m = m->next)
			if (m->set && loom__ss_meta_header(m, name, sizeof(name)) &&
			    strcasecmp(name, "content-type") &&
			    loom_http_add_header(conn, name, (const char *)m->value))
				return -1;
		h->tx_som_sent = 1;
	}
	if (loom_http_write_body(conn, h->txbuf + LOOM_PRE, (size_t)n,
				 !!(flags & LOOM_SS_FLAG_EOM)) < 0)
		return -1;
	if (!(flags & LOOM_SS_FLAG_EOM))
		return loom_callback_on_writable(conn) ? -1 : 0;

	return 0;
}

static int
ss_server_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	     void *in, size_t len)
{
	struct loom_ss_handle *h = loom__ss_from_conn(conn);
	struct ss_server *s;
	int flags, bin;

	switch (reason) {
	case LOOM_CB_HTTP:
	case LOOM_CB_ESTABLISHED:
		s = server_of_conn(conn);
		if (h)		/* a keep-alive conn's last stream: done with */
			child_end(h, conn);
		if (!s || !s->parent)
			return reason == LOOM_CB_HTTP ? (loom_http_respond_simple(conn,
				503, "text/plain", "no stream\n", 10) ? -1 : 0) : -1;
		h = loom__ss_create_server(s->parent, conn);
		if (!h)
			return -1;
		if (reason == LOOM_CB_HTTP) {
			take_request(h, conn, in);
			return loom__ss_state(h, LOOM_SSS_SERVER_TXN, 0) &&
			       h->conn == conn ? -1 : 0;
		}
		if (loom__ss_state(h, LOOM_SSS_SERVER_UPGRADE, 0))
			return h->conn == conn ? -1 : 0;
		loom__ss_connected(h);
		return 0;
	default:
		break;
	}
	if (!h || h->conn != conn)
		return 0;

	switch (reason) {
	case LOOM_CB_HTTP_BODY:
		if (loom__ss_rx(h, in, len, h->rx_started ? 0 : LOOM_SS_FLAG_SOM))
			return h->conn == conn ? -1 : 0;
		h->rx_started = 1;
		return 0;
	case LOOM_CB_HTTP_BODY_COMPLETION:
		if (loom__ss_rx(h, (const uint8_t *)"", 0, LOOM_SS_FLAG_EOM |
				(h->rx_started ? 0 : LOOM_SS_FLAG_SOM)))
			return h->conn == conn ? -1 : 0;
		return 0;
	case LOOM_CB_HTTP_WRITEABLE:
		return respond(h, conn);
	case LOOM_CB_HTTP_TRANSACTION_DONE:
		loom__ss_state(h, LOOM_SSS_QOS_ACK_LOCAL, h->http_status);
		if (h->conn == conn)
			child_end(h, conn);
		return 0;
	case LOOM_CB_RECEIVE:
		flags = (h->rx_started ? 0 : LOOM_SS_FLAG_SOM) |
			(loom_ws_is_final_fragment(conn) &&
			 !loom_ws_remaining_packet_payload(conn) ? LOOM_SS_FLAG_EOM : 0);
		h->rx_started = !(flags & LOOM_SS_FLAG_EOM);
		if (loom__ss_rx(h, in, len, flags))
			return h->conn == conn ? -1 : 0;
		return 0;
	case LOOM_CB_SERVER_WRITEABLE:
		bin = !!(h->st->flags & LOOM_SSTF_WS_BINARY);
		return loom__ss_stream_write(h, conn, bin ? LOOM_WRITE_BINARY :
					     LOOM_WRITE_TEXT, LOOM_WRITE_CONTINUATION, 1);
	case LOOM_CB_CLOSED_HTTP:
	case LOOM_CB_CLOSED:
		child_end(h, conn);
		return 0;
	default:
		return 0;
	}
}

static struct ss_server *
server_find(struct loom_ss_ctx *s, const struct loom_ss_stream_type *st)
{
	struct ss_server *v;

	for (v = s->servers; v; v = v->next)
		if (!strcmp(v->st->name, st->name))
			return v;

	return NULL;
}

int
loom__ss_server_listen(struct loom_ss_handle *parent)
{
	struct loom_ss_ctx *s = parent->ctx->ss;
	const struct loom_ss_stream_type *st = parent->st;
	struct loom_tls_vhost_info tls;
	struct loom_ws_vhost_info ws;
	struct loom_vhost_info vi;
	struct ss_server *v = server_find(s, st);

	if (v) {
		if (v->parent) {
			loom_log_err("ss: server stream type \"%s\" is already in use",
				     st->name);
			return LOOM_EBUSY;
		}
		v->parent = parent;
		return 0;
	}
	if (st->protocol != LOOM_SS_PROTO_H1 && st->protocol != LOOM_SS_PROTO_WS) {
		loom_log_err("ss: server stream type \"%s\": only h1 and ws serve yet",
			     st->name);
		return LOOM_EUNSUPP;
	}
	v = loom_zalloc(sizeof(*v), "ss server");
	if (!v)
		return LOOM_ENOMEM;
	v->st = st;
	v->parent = parent;
	v->pol = parent->pol;
	v->protos[0].name = st->ws_subprotocol ? st->ws_subprotocol : "ss-server";
	v->protos[0].callback = ss_server_cb;
	memset(&ws, 0, sizeof(ws));
	ws.default_protocol = v->protos[0].name;
	memset(&vi, 0, sizeof(vi));
	vi.name = st->name;
	vi.port = st->port;
	vi.protocols = v->protos;
	vi.user = v;
	vi.ws = &ws;
	if (st->flags & LOOM_SSTF_TLS) {
		if (!st->server_cert_pem || !st->server_key_pem) {
			loom_log_err("ss: server stream type \"%s\": tls needs server_cert "
				     "and server_key", st->name);
			loom_free(v);
			return LOOM_EINVAL;
		}
		memset(&tls, 0, sizeof(tls));
		tls.cert_mem = (const uint8_t *)st->server_cert_pem;
		tls.cert_mem_len = strlen(st->server_cert_pem);
		tls.key_mem = (const uint8_t *)st->server_key_pem;
		tls.key_mem_len = strlen(st->server_key_pem);
		vi.tls = &tls;
	}
	v->vh = loom_create_vhost(parent->ctx, &vi);
	if (!v->vh) {
		loom_free(v);
		return LOOM_ESOCKET;
	}
	v->pol->refcount++;
	v->next = s->servers;
	s->servers = v;

	return 0;
}

void
loom__ss_server_parent_gone(struct loom_ss_handle *parent)
{
	struct ss_server *v = server_find(parent->ctx->ss, parent->st);

	if (v && v->parent == parent)
		v->parent = NULL;
}

void
loom__ss_servers_free(struct loom_ss_ctx *s)
{
	while (s->servers) {
		struct ss_server *v = s->servers;

		s->servers = v->next;
		loom_ss_policy_unref(v->pol);
		loom_free(v);
	}
}

int
loom_ss_server_port(struct loom_ss_handle *h)
{
	struct ss_server *v;

	if (!h || !h->ctx->ss)
		return LOOM_EINVAL;
	v = server_find(h->ctx->ss, h->st);

	return v && v->vh ? loom_vhost_port(v->vh) : LOOM_ENOTFOUND;
}

int
loom_ss_server_ack(struct loom_ss_handle *h, unsigned int status)
{
	if (!h || !h->server || status < 100 || status > 999)
		return LOOM_EINVAL;
	h->http_status = status;

	return 0;
}
