/*
 * ops-ws.c: the WebSocket role (RFC 6455): frames from the socket go through the
 * I/O-free parser to the protocol callback; pings are answered, the close
 * handshake runs both ways, and a protocol error closes with its code. Writes are
 * framed (and masked, and compressed) in place in the LOOM_PRE headroom.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/ws/private-ws.h"

#define WS_DEF_MAX_MSG		(1024 * 1024)
#define WS_DEF_PONG_SECS	10
#define WS_DEF_CLOSE_SECS	5
#define WS_FAIL_LINGER_US	(2 * LOOM_US_PER_SEC)

static const struct loom_ws_vh loom_ws_vh_defaults = {
	WS_DEF_MAX_MSG, 0, NULL, NULL, 0, WS_DEF_PONG_SECS,
	WS_DEF_CLOSE_SECS, 0
};

const struct loom_ws_vh *
loom__ws_vh(const struct loom_vhost *vh)
{
	return vh && vh->ws_vh ? vh->ws_vh : &loom_ws_vh_defaults;
}

static int
ws_init_vhost(struct loom_vhost *vh, const struct loom_vhost_info *info)
{
	const struct loom_ws_vhost_info *i = info->ws;
	struct loom_ws_vh *w;

	if (!i)
		return 0;
	w = loom_zalloc(sizeof(*w), "ws vh");
	if (!w)
		return -1;
	vh->ws_vh = w;
	w->options = i->options;
	w->max_msg = i->max_message ? i->max_message : WS_DEF_MAX_MSG;
	w->max_frame = i->max_frame;	/* 0: the message limit of each conn */
	w->ping_secs = i->ping_interval_secs;
	w->pong_secs = i->pong_timeout_secs ? i->pong_timeout_secs : WS_DEF_PONG_SECS;
	w->close_secs = i->close_timeout_secs ? i->close_timeout_secs : WS_DEF_CLOSE_SECS;
	if (i->allowed_origin && !(w->origin = loom__strdup(i->allowed_origin, "ws origin")))
		return -1;
	if (i->default_protocol &&
	    !(w->def_protocol = loom__strdup(i->default_protocol, "ws proto")))
		return -1;

	return 0;
}

static void
ws_destroy_vhost(struct loom_vhost *vh)
{
	struct loom_ws_vh *w = vh->ws_vh;

	if (!w)
		return;
	loom_free(w->origin);
	loom_free(w->def_protocol);
	loom_free(w);
	vh->ws_vh = NULL;
}

static struct loom_ws *
conn_ws(const struct loom_conn *conn)
{
	if (!conn)
		return NULL;
#if defined(LOOM_WITH_H2)
	if (conn->role == &loom_role_ops_ws_h2)
		return conn->role_data;		/* ws over an h2 stream */
#endif
	if (conn->role != &loom_role_ops_ws)
		return NULL;

	return conn->role_data;
}

/* ---- idle ping and pong timeout ---- */

static void
ws_ping_cb(struct loom_sul *sul)
{
	struct loom_ws *ws = loom_container_of(sul, struct loom_ws, sul_ping);
	struct loom_conn *conn = ws->conn;
	const struct loom_ws_vh *w = loom__ws_vh(conn->vhost);

	if (ws->state != WSS_OPEN)
		return;
	if (ws->ping_out) {
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "no pong in time");
		return;
	}
	if (loom__ws_send_ctl(conn, LOOM_WSOP_PING, NULL, 0) < 0)
		return;
	ws->ping_out = 1;
	loom_sul_schedule(conn->pt->ctx, conn->pt->tsi, &ws->sul_ping, ws_ping_cb,
			  (loom_usec_t)w->pong_secs * LOOM_US_PER_SEC);
}

/* anything from the peer shows it is alive: the next ping waits a full interval */
static void
ws_ping_reset(struct loom_ws *ws)
{
	const struct loom_ws_vh *w = loom__ws_vh(ws->conn->vhost);

	if (!w->ping_secs || ws->state != WSS_OPEN || ws->ping_out)
		return;
	loom_sul_schedule(ws->conn->pt->ctx, ws->conn->pt->tsi, &ws->sul_ping, ws_ping_cb,
			  (loom_usec_t)w->ping_secs * LOOM_US_PER_SEC);
}

struct loom_ws *
loom__ws_create(struct loom_conn *conn, int server, uint64_t max_msg)
{
	const struct loom_ws_vh *w = loom__ws_vh(conn->vhost);
	/* only a client masks: a server's ws has no random bytes after it */
	struct loom_ws *ws = loom_zalloc(sizeof(*ws) + (server ? 0 : LOOM_WS_RND),
					 "ws");

	if (!ws)
		return NULL;
	ws->conn = conn;
	ws->max_msg = max_msg;
	ws->rnd_used = LOOM_WS_RND;	/* filled on first use */
	loom__ws_parser_init(&ws->p, server, max_msg,
			     w->max_frame && w->max_frame < max_msg ? w->max_frame :
			     max_msg);
	ws->state = server ? WSS_OPEN : WSS_CLIENT_HANDSHAKE;

	return ws;
}

/* the handshake is over on either side: start the idle timer */
void
loom__ws_opened(struct loom_conn *conn)
{
	struct loom_ws *ws = conn->role_data;

	ws_ping_reset(ws);
}

/* ---- sending control frames ---- */

/* a fresh mask per frame, from the platform's random source in batches */
void
loom__ws_mask_key(struct loom_ws *ws, uint8_t mask[4])
{
	if ((size_t)ws->rnd_used + 4 > LOOM_WS_RND) {
		loom__plat_random(ws->rnd, LOOM_WS_RND);
		ws->rnd_used = 0;
	}
	memcpy(mask, ws->rnd + ws->rnd_used, 4);
	ws->rnd_used = (uint8_t)(ws->rnd_used + 4);
}

int
loom__ws_send_ctl(struct loom_conn *conn, unsigned int op, const uint8_t *pl,
		  size_t len)
{
	uint8_t f[LOOM_WS_MAX_HDR + LOOM_WS_MAX_CTL], mask[4];
	int client = !!(conn->flags & LCF_CLIENT);
	size_t hl;

	if (len > LOOM_WS_MAX_CTL || (conn->fd < 0 && !conn->role->tx_encapsulated) ||
	    (conn->flags & LCF_CLOSED_CB_DONE))
		return LOOM_EINVAL;
	if (client)
		loom__ws_mask_key(conn->role_data, mask);
	hl = loom__ws_frame_header(f, op, 1, 0, len, client ? mask : NULL);
	if (len)
		memcpy(f + hl, pl, len);
	if (client)
		loom__ws_mask(f + hl, len, mask, 0);

	return loom__issue_raw(conn, f, hl + len);
}

static int
ws_send_close(struct loom_conn *conn, unsigned int code, const char *reason,
	      size_t rlen)
{
	uint8_t pl[LOOM_WS_MAX_CTL];

	if (code == 1005 || !code)
		return loom__ws_send_ctl(conn, LOOM_WSOP_CLOSE, NULL, 0);
	if (rlen > 123)
		rlen = 123;
	pl[0] = (uint8_t)(code >> 8);
	pl[1] = (uint8_t)code;
	if (rlen)
		memcpy(pl + 2, reason, rlen);

	return loom__ws_send_ctl(conn, LOOM_WSOP_CLOSE, pl, 2 + rlen);
}

/* close once the loop is back in control: callers up the stack still use conn */
static void
ws_close_soon(struct loom_conn *conn)
{
	uint32_t f = conn->flags & LCF_IN_CALLBACK;

	conn->flags |= LCF_IN_CALLBACK;
	loom_close(conn, LOOM_CLOSE_NORMAL);
	conn->flags = (conn->flags & ~LCF_IN_CALLBACK) | f;
}

/*
 * We fail the connection (RFC 6455 7.1.7): our close frame with the code, then we
 * read on a little, looking for the peer's answering close, so the TCP close is a
 * FIN after it and not a reset over unread bytes.
 */
static int
ws_fail(struct loom_conn *conn, unsigned int code, const char *why)
{
	struct loom_ws *ws = conn->role_data;

	loom_clog_info(conn, "ws: failing with %u: %s", code, why);
	if (ws->state != WSS_OPEN) {
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, why);
		return LOOM_HP_CLOSED;
	}
	ws->state = WSS_FAILED;
	ws->peer_code = 1006;
	loom_sul_cancel(&ws->sul_ping);
	ws->skip = ws->p.remaining;
	loom__ws_parser_init(&ws->p, !(conn->flags & LCF_CLIENT), 0, 0);
	ws->p.allow_rsv1 = 1;
	if (ws_send_close(conn, code, why, strlen(why)) < 0)
		return LOOM_HP_OK;	/* the write failure closes it from the loop */
	loom_set_timeout_us(conn, LOOM_TO_AWAITING_RX, WS_FAIL_LINGER_US);

	return LOOM_HP_OK;
}

/* ---- receiving ---- */

static int
ws_deliver(struct loom_conn *conn, const uint8_t *data, size_t len, int first,
	   int last, uint64_t remaining)
{
	struct loom_ws *ws = conn->role_data;
	int client = !!(conn->flags & LCF_CLIENT);

	if (!len && !last && !first)
		return 0;	/* an empty middle fragment tells the user nothing */
	ws->ev_first = (uint8_t)first;
	ws->ev_final = (uint8_t)last;
	ws->ev_remaining = remaining;
	if (loom__user_callback(conn, (enum loom_callback_reason)
				conn->role->rx_cb[client], (void *)(uintptr_t)data, len)) {
		ws_close_soon(conn);
		return -1;
	}

	return (conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE)) ? -1 : 0;
}

struct ws_inflate_ctx {
	struct loom_conn *conn;
	uint8_t first;
	int code;
};

static int
ws_inflated_cb(void *user, const uint8_t *out, size_t olen, int last)
{
	struct ws_inflate_ctx *c = user;
	struct loom_ws *ws = c->conn->role_data;
	int r;

	if (ws->rx_compressed_text &&
	    (loom__utf8_feed(&ws->rx_utf8, out, olen) || (last && ws->rx_utf8.need))) {
		c->code = 1007;
		return -1;
	}
	r = ws_deliver(c->conn, out, olen, c->first, last, 0);
	c->first = 0;

	return r;
}

static int
ws_data(struct loom_conn *conn, const struct loom_ws_event *ev)
{
	struct loom_ws *ws = conn->role_data;

	ws->ev_binary = ev->opcode == LOOM_WSOP_BINARY;
	if (!ev->compressed)
		return ws_deliver(conn, ev->data, ev->len, ev->msg_first, ev->msg_end,
				  ev->frame_remaining) ? LOOM_HP_CLOSED : LOOM_HP_OK;
	{
		struct ws_inflate_ctx c;
		int r;

		if (!ws->pmd)
			return ws_fail(conn, 1002, "compressed frame without the extension");
		if (ev->msg_first) {
			memset(&ws->rx_utf8, 0, sizeof(ws->rx_utf8));
			ws->rx_compressed_text = ev->opcode == LOOM_WSOP_TEXT;
		}
		c.conn = conn;
		c.first = ev->msg_first;
		c.code = 0;
		r = loom__ws_pmd_inflate(ws->pmd, ev->data, ev->len, ev->msg_end,
					 ws->max_msg, ws_inflated_cb, &c);
		if (c.code)
			return ws_fail(conn, (unsigned int)c.code, "invalid UTF-8 text");
		if (r == -1009)
			return ws_fail(conn, 1009, "message too big");
		if (r < -1)
			return ws_fail(conn, 1007, "bad compressed data");
		if (r < 0)
			return LOOM_HP_CLOSED;	/* the user asked to close */
	}

	return LOOM_HP_OK;
}

static int
ws_event(struct loom_conn *conn, const struct loom_ws_event *ev)
{
	struct loom_ws *ws = conn->role_data;

	switch (ev->type) {
	case LOOM_WS_EV_DATA:
		if (ws->state != WSS_OPEN && ws->state != WSS_CLOSE_SENT)
			return LOOM_HP_OK;	/* after the close exchange: dropped */
		return ws_data(conn, ev);

	case LOOM_WS_EV_PING:
		if (ws->state == WSS_OPEN &&
		    loom__ws_send_ctl(conn, LOOM_WSOP_PONG, ev->data, ev->len) < 0)
			return LOOM_HP_CLOSED;
		return LOOM_HP_OK;

	case LOOM_WS_EV_PONG:
		ws->ping_out = 0;
		ws_ping_reset(ws);
		if (ws->state == WSS_OPEN &&
		    loom__user_callback(conn, LOOM_CB_RECEIVE_PONG,
					(void *)(uintptr_t)ev->data, ev->len)) {
			ws_close_soon(conn);
			return LOOM_HP_CLOSED;
		}
		return LOOM_HP_OK;

	default:	/* CLOSE */
		ws->peer_code = ev->close_code;
		ws->peer_reason_len = 0;
		if (ev->len > 2 && !ws->peer_reason)
			/* at most 123 bytes; without memory, no reason */
			ws->peer_reason = loom_malloc(123, "ws peer reason");
		if (ev->len > 2 && ws->peer_reason) {
			ws->peer_reason_len = (uint8_t)(ev->len - 2);
			memcpy(ws->peer_reason, ev->data + 2, ws->peer_reason_len);
		}
		if (ws->state == WSS_OPEN) {
			loom__user_callback(conn, LOOM_CB_WS_PEER_INITIATED_CLOSE,
					    (void *)(uintptr_t)ev->data, ev->len);
			ws->state = WSS_CLOSED;
			loom_sul_cancel(&ws->sul_ping);
			/* echo the code (RFC 6455 5.5.1) */
			if (ws_send_close(conn, ev->close_code, NULL, 0) < 0)
				return LOOM_HP_CLOSED;
			return loom__close(conn, LOOM_CLOSE_NORMAL, "peer closed the websocket");
		}
		ws->state = WSS_CLOSED;
		loom__close_now(conn, LOOM_CLOSE_NORMAL, "websocket close handshake done");
		return LOOM_HP_CLOSED;
	}
}

/* after we failed the connection: skip to the next frame, look for the close */
static int
ws_rx_failed(struct loom_conn *conn, uint8_t *buf, size_t len)
{
	struct loom_ws *ws = conn->role_data;
	struct loom_ws_event ev;
	size_t used;
	int r;

	while (len) {
		if (ws->skip == UINT64_MAX)
			return LOOM_HP_OK;	/* lost in the stream: wait for EOF */
		if (ws->skip) {
			size_t s = len < ws->skip ? len : (size_t)ws->skip;

			ws->skip -= s;
			buf += s;
			len -= s;
			continue;
		}
		r = loom__ws_parse(&ws->p, buf, len, &used, &ev);
		buf += used;
		len -= used;
		if (r < 0) {
			ws->skip = UINT64_MAX;
			return LOOM_HP_OK;
		}
		if (r == LOOM_WS_P_MORE)
			break;
		if (ev.type == LOOM_WS_EV_CLOSE) {
			loom__close_now(conn, LOOM_CLOSE_NORMAL, "websocket failed, closed");
			return LOOM_HP_CLOSED;
		}
	}

	return LOOM_HP_OK;
}

int
loom__ws_rx(struct loom_conn *conn, uint8_t *buf, size_t len)
{
	struct loom_ws *ws = conn->role_data;
	struct loom_ws_event ev;
	size_t used;
	int r;

	if (ws->state == WSS_CLIENT_HANDSHAKE) {
		if (loom__ws_client_rx(conn, buf, len, &used) < 0) {
			loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "websocket handshake failed");
			return LOOM_HP_CLOSED;
		}
		if (conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE) ||
		    ws->state == WSS_CLIENT_HANDSHAKE)
			return LOOM_HP_OK;
		buf += used;
		len -= used;
	}
	ws_ping_reset(ws);
	while (len) {
		if (conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE))
			return LOOM_HP_OK;
		if (ws->state == WSS_FAILED)
			return ws_rx_failed(conn, buf, len);
		if (ws->state == WSS_CLOSED)
			return LOOM_HP_OK;
		r = loom__ws_parse(&ws->p, buf, len, &used, &ev);
		buf += used;
		len -= used;
		if (r < 0) {
			static const char *const why[] = { "protocol error",
				"invalid UTF-8 text", "message too big" };

			r = ws_fail(conn, (unsigned int)-r,
				    why[r == -1007 ? 1 : r == -1009 ? 2 : 0]);
			if (r != LOOM_HP_OK)
				return r;
			continue;	/* the rest goes to ws_rx_failed() */
		}
		if (r == LOOM_WS_P_MORE)
			break;
		r = ws_event(conn, &ev);
		if (r != LOOM_HP_OK)
			return r;
	}

	return LOOM_HP_OK;
}

static size_t
ws_rx_len(const struct loom_pt *pt, const struct loom_conn *conn)
{
	size_t len = pt->serv_buf_size;

	if (conn->protocol && conn->protocol->rx_buffer_size &&
	    conn->protocol->rx_buffer_size < len)
		len = conn->protocol->rx_buffer_size;

	return len;
}

static int
ws_handle_pollin(struct loom_pt *pt, struct loom_conn *conn)
{
	struct loom_ws *ws = conn->role_data;
	int n;

	if (conn->flags & LCF_CONNECTING)
		return loom__connect_continue(conn);
	if (conn->flags & (LCF_RX_PAUSED | LCF_PEER_EOF | LCF_CLOSING) || ws->replay)
		return LOOM_HP_OK;

	n = loom__conn_read(conn, pt->serv_buf, ws_rx_len(pt, conn));
	if (n < 0) {
		if (loom__plat_errno_is_again(errno))
			return LOOM_HP_OK;
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL,
				errno == ECONNRESET ? "reset by peer" : "read failed");
		return LOOM_HP_CLOSED;
	}
	if (!n) {
		if (ws->state == WSS_OPEN || ws->state == WSS_CLIENT_HANDSHAKE)
			ws->peer_code = 1006;
		loom__close_now(conn, ws->state == WSS_OPEN ? LOOM_CLOSE_ABNORMAL :
				LOOM_CLOSE_NORMAL, ws->state == WSS_OPEN ?
				"peer closed without a close frame" : "peer closed");
		return LOOM_HP_CLOSED;
	}

	return loom__ws_rx(conn, pt->serv_buf, (size_t)n);
}

/* bytes that came with the handshake, parsed from the loop */
static int
ws_replay(struct loom_conn *conn)
{
	struct loom_ws *ws = conn->role_data;
	struct loom_pt *pt = conn->pt;
	size_t n;

	ws->replay = 0;
	while (ws->rx_pending && !(conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE))) {
		n = loom_buflist_linear_use(&ws->rx_pending, pt->serv_buf,
					    pt->serv_buf_size);
		if (loom__ws_rx(conn, pt->serv_buf, n) == LOOM_HP_CLOSED)
			return LOOM_HP_CLOSED;
	}

	return LOOM_HP_OK;
}

static int
ws_perform_user_pollout(struct loom_conn *conn)
{
	struct loom_ws *ws = conn->role_data;

	if (ws->replay && ws_replay(conn) == LOOM_HP_CLOSED)
		return LOOM_HP_CLOSED;
	if (ws->state == WSS_CLIENT_HANDSHAKE)
		return LOOM_HP_OK;	/* WRITEABLE waits for the 101 */
	if (ws->state != WSS_OPEN) {
		conn->flags &= ~LCF_WANT_WRITABLE;
		return loom__check_drained(conn) ? LOOM_HP_CLOSED : LOOM_HP_OK;
	}

	if (!(conn->flags & LCF_WANT_WRITABLE) || (conn->flags & LCF_CLOSING) ||
	    conn->buflist_out)
		return LOOM_HP_OK;	/* POLLOUT flushes first, then calls us */
	conn->flags &= ~LCF_WANT_WRITABLE;
	if (loom__user_callback(conn, (enum loom_callback_reason)
				conn->role->writeable_cb[!!(conn->flags & LCF_CLIENT)],
				NULL, 0))
		return loom__close(conn, LOOM_CLOSE_NORMAL, "writeable callback asked");
	if ((conn->flags & LCF_CLOSING) && ws->state == WSS_OPEN)
		/* loom_close() from the callback: the close handshake starts now */
		return loom__close(conn, (enum loom_close_status)
				   (1000 + conn->close_status_hi), "closed by app");

	return loom__check_drained(conn) ? LOOM_HP_CLOSED : LOOM_HP_OK;
}

/* ---- writing ---- */

static int
ws_write_role_protocol(struct loom_conn *conn, uint8_t **buf, size_t *len,
		       enum loom_write_protocol *wp)
{
	struct loom_ws *ws = conn->role_data;
	int client = !!(conn->flags & LCF_CLIENT), fin, rsv1 = 0;
	unsigned int kind = (unsigned int)*wp & ~(unsigned int)LOOM_WRITE_NO_FIN, op;
	uint8_t *p = *buf, mask[4];
	size_t plen = *len, hl;

	if (!ws || ws->state != WSS_OPEN)
		return LOOM_ECLOSED;
	if (!client && !ws->pmd && !ws->tx_in_msg && plen < 126 &&
	    (*wp == LOOM_WRITE_TEXT || *wp == LOOM_WRITE_BINARY)) {
		/* the common case: a server's whole small message, 2 header bytes */
		p -= 2;
		p[0] = (uint8_t)(0x80 | (*wp == LOOM_WRITE_TEXT ? LOOM_WSOP_TEXT :
					   LOOM_WSOP_BINARY));
		p[1] = (uint8_t)plen;
		ws->tx_compress = 0;
		*buf = p;
		*len = plen + 2;
		*wp = LOOM_WRITE_RAW;

		return 0;
	}
	fin = !((unsigned int)*wp & LOOM_WRITE_NO_FIN);
	switch (kind) {
	case LOOM_WRITE_TEXT:
	case LOOM_WRITE_BINARY:
		if (ws->tx_in_msg)
			return LOOM_EINVAL;	/* the message before is not finished */
		op = kind == LOOM_WRITE_TEXT ? LOOM_WSOP_TEXT : LOOM_WSOP_BINARY;
		ws->tx_compress = !!ws->pmd;
		rsv1 = ws->tx_compress;
		break;
	case LOOM_WRITE_CONTINUATION:
		if (!ws->tx_in_msg)
			return LOOM_EINVAL;
		op = LOOM_WSOP_CONT;
		break;
	default:
		return LOOM_EINVAL;
	}
	if (ws->tx_compress) {
		uint8_t *out;
		size_t olen;
		int r = loom__ws_pmd_deflate(ws->pmd, p, plen, fin, &out, &olen,
					     LOOM_WS_MAX_HDR);

		if (r < 0)
			return r;
		p = out;
		plen = olen;
	}
	ws->tx_in_msg = (uint8_t)!fin;
	if (client) {
		loom__ws_mask_key(ws, mask);
		loom__ws_mask(p, plen, mask, 0);
	}
	/* the header straight into the headroom in front of the payload */
	hl = 2 + (plen < 126 ? 0 : plen < 65536 ? 2 : 8) + (client ? 4 : 0);
	p -= hl;
	loom__ws_frame_header(p, op, fin, rsv1, plen, client ? mask : NULL);
	*buf = p;
	*len = plen + hl;
	*wp = LOOM_WRITE_RAW;

	return 0;
}

/* ---- closing ---- */

static int
ws_close_via_role_protocol(struct loom_conn *conn, enum loom_close_status status)
{
	struct loom_ws *ws = conn->role_data;
	unsigned int code;

	if (!ws || ws->state != WSS_OPEN || (conn->fd < 0 && !conn->role->tx_encapsulated) ||
	    (conn->flags & LCF_CLOSED_CB_DONE) || status == LOOM_CLOSE_NOSTATUS ||
	    status == LOOM_CLOSE_ABNORMAL)
		return 0;
	code = ws->close_code ? ws->close_code : (unsigned int)status;
	if (!loom__ws_close_code_valid(code))
		code = 1000;
	if (ws_send_close(conn, code, ws->close_reason, ws->close_reason_len) < 0)
		return 0;
	ws->state = WSS_CLOSE_SENT;
	loom_sul_cancel(&ws->sul_ping);
	/* keep reading: the peer's close frame ends it */
	conn->flags &= ~(LCF_CLOSING | LCF_WANT_WRITABLE);
	if (!(conn->flags & LCF_RX_PAUSED))
		loom__io(conn, LOOM_EV_START | LOOM_EV_READ);
	loom_set_timeout(conn, LOOM_TO_AWAITING_RX,
			 (int)loom__ws_vh(conn->vhost)->close_secs);

	return 1;
}

static void
ws_close_role(struct loom_pt *pt, struct loom_conn *conn)
{
	struct loom_ws *ws = conn->role_data;

	if (ws)
		loom_sul_cancel(&ws->sul_ping);
}

static void
ws_destroy_role(struct loom_conn *conn)
{
	struct loom_ws *ws = conn->role_data;

	if (conn->flags & LCF_CONNECTING)
		loom__connect_destroy(conn);
	if (!ws)
		return;
	loom_sul_cancel(&ws->sul_ping);
	loom_buflist_destroy_all_segments(&ws->rx_pending);
	loom__ws_client_free(ws);
	if (ws->pmd)
		loom__ws_pmd_destroy(ws->pmd);
	loom_free(ws->close_reason);
	loom_free(ws->peer_reason);
	loom_free(ws);
	conn->role_data = NULL;
}

static int
ws_alpn_negotiated(struct loom_conn *conn, const char *alpn)
{
	if (!(conn->flags & LCF_CLIENT))
		return 0;

	return loom__ws_client_start(conn);
}

/* ---- the public helpers ---- */

int
loom_ws_frame_is_binary(const struct loom_conn *conn)
{
	const struct loom_ws *ws = conn_ws(conn);

	return ws ? ws->ev_binary : 0;
}

int
loom_ws_is_first_fragment(const struct loom_conn *conn)
{
	const struct loom_ws *ws = conn_ws(conn);

	return ws ? ws->ev_first : 0;
}

int
loom_ws_is_final_fragment(const struct loom_conn *conn)
{
	const struct loom_ws *ws = conn_ws(conn);

	return ws ? ws->ev_final : 0;
}

size_t
loom_ws_remaining_packet_payload(const struct loom_conn *conn)
{
	const struct loom_ws *ws = conn_ws(conn);

	return ws ? (size_t)ws->ev_remaining : 0;
}

int
loom_ws_close_reason(struct loom_conn *conn, unsigned int code, const char *reason,
		     size_t len)
{
	struct loom_ws *ws = conn_ws(conn);
	struct loom_utf8 u;

	if (!ws || !loom__ws_close_code_valid(code) || len > 123 || (len && !reason))
		return LOOM_EINVAL;
	memset(&u, 0, sizeof(u));
	if (loom__utf8_feed(&u, (const uint8_t *)reason, len) || u.need)
		return LOOM_EINVAL;
	if (len && !ws->close_reason) {
		ws->close_reason = loom_malloc(123, "ws close reason");
		if (!ws->close_reason)
			return LOOM_ENOMEM;
	}
	ws->close_code = (uint16_t)code;
	ws->close_reason_len = (uint8_t)len;
	if (len)
		memcpy(ws->close_reason, reason, len);

	return 0;
}

unsigned int
loom_ws_peer_close_code(const struct loom_conn *conn, const char **reason, size_t *len)
{
	const struct loom_ws *ws = conn_ws(conn);

	if (reason)
		*reason = ws ? (ws->peer_reason ? ws->peer_reason : "") : NULL;
	if (len)
		*len = ws ? ws->peer_reason_len : 0;

	return ws && ws->peer_code ? ws->peer_code : 1006;
}

int
loom_ws_send_ping(struct loom_conn *conn, const void *payload, size_t len)
{
	struct loom_ws *ws = conn_ws(conn);
	int r;

	if (!ws || ws->state != WSS_OPEN || len > LOOM_WS_MAX_CTL || (len && !payload))
		return LOOM_EINVAL;
	r = loom__ws_send_ctl(conn, LOOM_WSOP_PING, payload, len);

	return r < 0 ? r : 0;
}

int
loom_ws_deflate_active(const struct loom_conn *conn)
{
	const struct loom_ws *ws = conn_ws(conn);

	return ws && ws->pmd;
}

int
loom_ws_deflate_available(void)
{
	return loom__ws_pmd_available();
}

const struct loom_role_ops loom_role_ops_ws = {
	.name = "ws",
#if defined(LOOM_WITH_SERVER)	/* only the HTTP server's dispatch upgrades */
	.check_upgrades = loom__ws_server_upgrade,
#endif
	.init_vhost = ws_init_vhost,
	.destroy_vhost = ws_destroy_vhost,
	.handle_pollin = ws_handle_pollin,
	.handle_pollout = loom__role_pollout_flush,
	.perform_user_pollout = ws_perform_user_pollout,
	.write_role_protocol = ws_write_role_protocol,
	.close_via_role_protocol = ws_close_via_role_protocol,
	.close_role = ws_close_role,
	.destroy_role = ws_destroy_role,
	.client_bind = loom__ws_client_bind,
	.alpn_negotiated = ws_alpn_negotiated,
	.adoption_cb = { 0, 0 },
	.rx_cb = { LOOM_CB_RECEIVE, LOOM_CB_CLIENT_RECEIVE },
	.writeable_cb = { LOOM_CB_SERVER_WRITEABLE, LOOM_CB_CLIENT_WRITEABLE },
	.close_cb = { LOOM_CB_CLOSED, LOOM_CB_CLIENT_CLOSED },
	.counted = 1,
};
