/*
 * ops-h1.c: the HTTP/1.1 server role. Bytes from the socket go through the head
 * parser, then the body decoder, to the dispatch and the protocol callback; one
 * request at a time, pipelined requests held until the response before them ends;
 * keep-alive, timeouts at each stage, and errors answered with their status.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/http/private-http.h"

#define H1F_REPLAY	(1u << 8)	/* held pipelined bytes wait to be parsed */
#define H1F_RX_HELD	(1u << 9)	/* we stopped reading (pipelining) */
#define H1F_FREE_AH	(1u << 10)	/* drop the idle conn's store from the loop */

static void
h1_set_timeout(struct loom_conn *conn, unsigned int secs)
{
	loom_set_timeout(conn, LOOM_TO_AWAITING_RX, (int)secs);
}

static int
h1_adoption_bind(struct loom_conn *conn, unsigned int type, const char *prot)
{
	struct loom_h1 *h = loom_zalloc(sizeof(*h), "h1");

	if (!h)
		return LOOM_ENOMEM;
	h->file_fd = -1;
	conn->role_data = h;
	/* the first request head must come in time (slowloris) */
	h1_set_timeout(conn, loom__http_vh(conn->vhost)->head_to);

	return 0;
}

static void
h1_free_ah(struct loom_conn *conn, struct loom_h1 *h)
{
	loom__h1_ah_put(conn->pt, h->ah);
	h->ah = NULL;
}

static void
h1_destroy_role(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;

	if (conn->flags & LCF_CONNECTING)
		loom__connect_destroy(conn);
	if (!h)
		return;
#if defined(LOOM_WITH_SERVER)	/* a client conn never serves a file */
	loom__http_file_close(h);
#endif
	loom_buflist_destroy_all_segments(&h->rx_pending);
	loom__h1_client_free(h);
	h1_free_ah(conn, h);
	loom_free(h);
	conn->role_data = NULL;
}

/* close once the loop is back in control: callers up the stack still use conn */
static void
h1_close_soon(struct loom_conn *conn, enum loom_close_status status)
{
	conn->flags |= LCF_IN_CALLBACK;	/* makes loom_close() defer */
	loom_close(conn, status);
	conn->flags &= ~LCF_IN_CALLBACK;
}

/* split the request target into the normalized path and the raw query (h2 too) */
int
loom__h1_path(struct loom_h1_ah *ah)
{
	const char *t = loom__http_frag_ptr(&ah->p, ah->p.target), *q, *end;
	size_t tl = ah->p.target.len;
	int n;

	if (ah->p.method == LOOM_HTTP_METHOD_CONNECT ||
	    (tl == 1 && t[0] == '*')) {
		memcpy(ah->path, t, tl);
		ah->path[tl] = '\0';
		ah->path_len = (uint32_t)tl;
		return 0;
	}
	end = t + tl;
	if (t[0] != '/') {
		/* absolute-form: "http://host[:port]/path" -> "/path"; the target is
		 * not NUL-terminated, so the search stays inside it */
		const char *s = t;

		while (s + 3 <= end && memcmp(s, "://", 3))
			s++;
		if (s + 3 > end)
			return -1;
		s += 3;
		while (s < end && *s != '/' && *s != '?')
			s++;
		t = s;
		tl = (size_t)(end - t);
		if (!tl || t[0] == '?') {
			/* "http://host" or "http://host?q" means "/" */
			static char root[] = "/";

			q = t;
			t = root;
			tl = 1;
			goto query;
		}
	}
	q = memchr(t, '?', tl);
	if (q)
		tl = (size_t)(q - t);
query:
	n = loom_http_normalize_path(t, tl, ah->path, ah->p.lim.max_uri_len + 1u);
	if (n < 0)
		return -1;
	ah->path_len = (uint32_t)n;
	ah->query[0] = '\0';
	if (q && q < end && *q == '?') {
		size_t ql = (size_t)(end - q - 1);

		memcpy(ah->query, q + 1, ql);
		ah->query[ql] = '\0';
	}

	return 0;
}

#if defined(LOOM_WITH_SERVER)	/* the server side (LOOM_WITH_SERVER=OFF: client-only) */
static int
h1_body_cb(void *user, const uint8_t *data, size_t len)
{
	struct loom_conn *conn = user;
	struct loom_h1 *h = conn->role_data;
	const struct loom_http_vh *hv = loom__http_vh(conn->vhost);

	h->body_seen += len;
	if (h->body_seen > hv->max_body) {
		if (h->resp == H1R_NONE)
			loom__http_error(conn, 413);
		return -413;
	}
	/* once the response is under way (or Loom serves a file) the body is dropped */
	if (h->resp != H1R_NONE || (h->flags & H1F_FILE))
		return 0;

	return loom__user_callback(conn, LOOM_CB_HTTP_BODY, (void *)(uintptr_t)data, len)
		? -1 : 0;
}
#endif

/* both halves of the exchange are over: the conn takes the next request or closes */
static void
h1_transaction_end(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	const struct loom_http_vh *hv = loom__http_vh(conn->vhost);

	loom__user_callback(conn, LOOM_CB_HTTP_TRANSACTION_DONE, NULL, 0);
	if (conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE))
		return;
	if (h->flags & H1F_CLOSE_AFTER) {
		h1_close_soon(conn, LOOM_CLOSE_NORMAL);
		return;
	}
	/*
	 * An idle conn holds no header store. The user may still be reading this
	 * request's headers in the callback that answered it, so then the store is
	 * dropped from the loop (or reused by a pipelined request).
	 */
#if defined(LOOM_WITH_SERVER)	/* a client conn never serves a file */
	loom__http_file_close(h);
#endif
	h->state = H1S_IDLE;
	h->resp = H1R_NONE;
	h->flags = h->flags & (H1F_RX_HELD | H1F_REPLAY);
	if (!(conn->flags & LCF_IN_CALLBACK))
		h1_free_ah(conn, h);
	else if (!h->rx_pending) {
		h->flags |= H1F_FREE_AH;
		if (loom_dll2_is_detached(&conn->list_pending))
			loom_dll2_add_tail(&conn->list_pending,
					   &conn->pt->pending_writable);
	}
	h->body_seen = h->body_remaining = 0;
	h->resp_remaining = 0;
	loom__conn_rebind_protocol(conn, conn->vhost->accept_protocol);
	h1_set_timeout(conn, hv->keepalive_to);
	if (h->rx_pending) {
		/* parse what was held from the loop, not from deep in this stack */
		h->flags |= H1F_REPLAY;
		if (loom_dll2_is_detached(&conn->list_pending))
			loom_dll2_add_tail(&conn->list_pending,
					   &conn->pt->pending_writable);
	} else if (h->flags & H1F_RX_HELD) {
		h->flags &= (uint16_t)~H1F_RX_HELD;
		if (!(conn->flags & LCF_RX_PAUSED))
			loom__io(conn, LOOM_EV_START | LOOM_EV_READ);
	}
}

int
loom__h1_response_done(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;

#if defined(LOOM_WITH_H2)
	if (loom__conn_is_h2s(conn))
		return loom__h2s_response_done(conn);
#endif
	if (conn->flags & LCF_CLIENT)
		return loom__h1_client_request_sent(conn);
	if (h->flags & H1F_BODY_DONE)
		h1_transaction_end(conn);
	else if (h->flags & H1F_CLOSE_AFTER)
		/* the rest of the request body is not worth reading */
		h1_close_soon(conn, LOOM_CLOSE_NORMAL);

	return 0;
}

int
loom__h1_send_continue(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

#if defined(LOOM_WITH_H2)
	if (loom__conn_is_h2s(conn))
		return 0;	/* an h2 client sends its body without waiting */
#endif
	if (h->flags & H1F_CONTINUE_SENT)
		return 0;
	h->flags |= H1F_CONTINUE_SENT;

	return loom__issue_raw(conn, (const uint8_t *)cont, sizeof(cont) - 1) < 0 ? -1 : 0;
}

#if defined(LOOM_WITH_SERVER)
static void
h1_body_done(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;

	h->flags |= H1F_BODY_DONE;
	h->state = H1S_DONE_RX;
	loom_set_timeout(conn, LOOM_TO_NONE, 0);
	if (h->resp == H1R_DONE) {
		h1_transaction_end(conn);
		return;
	}
	if (h->resp == H1R_NONE && !(h->flags & H1F_FILE) &&
	    loom__user_callback(conn, LOOM_CB_HTTP_BODY_COMPLETION, NULL, 0))
		h1_close_soon(conn, LOOM_CLOSE_NORMAL);
}

/* a request head is complete: set up its body, route it */
static int
h1_head_done(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	struct loom_h1_ah *ah = h->ah;
	const struct loom_http_vh *hv = loom__http_vh(conn->vhost);

	h->requests++;
	loom_set_timeout(conn, LOOM_TO_NONE, 0);
	if (loom__h1_path(ah)) {
		h->flags |= H1F_BODY_DONE;
		h->state = H1S_DONE_RX;
		return loom__http_error(conn, 400);
	}
	switch (ah->p.body_kind) {
	case LOOM_HTTP_BODY_LENGTH:
		h->body_remaining = ah->p.content_length;
		h->state = H1S_BODY;
		h1_set_timeout(conn, hv->body_to);
		break;
	case LOOM_HTTP_BODY_CHUNKED:
		loom__http_chunked_init(&h->chunked);
		h->state = H1S_BODY;
		h1_set_timeout(conn, hv->body_to);
		break;
	default:
		h->flags |= H1F_BODY_DONE;
		h->state = H1S_DONE_RX;
		break;
	}
	if (loom__http_dispatch(conn))
		return -1;
	if (conn->role != &loom_role_ops_h1)
		return 0;	/* upgraded (ws): h is gone */
	if (h->state == H1S_DONE_RX && h->resp == H1R_NONE &&
	    !(conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE)) && !(h->flags & H1F_FILE))
		/* a body-less request: the callback has everything now */
		loom__user_callback(conn, LOOM_CB_HTTP_BODY_COMPLETION, NULL, 0);

	return 0;
}

/* hold bytes of the next request until this one's response is over */
static int
h1_hold(struct loom_conn *conn, const uint8_t *buf, size_t len)
{
	struct loom_h1 *h = conn->role_data;

	if (loom_buflist_append_segment(&h->rx_pending, buf, len) < 0)
		return -1;
	if (!(h->flags & H1F_RX_HELD)) {
		h->flags |= H1F_RX_HELD;
		loom__io(conn, LOOM_EV_STOP | LOOM_EV_READ);
	}

	return 0;
}

/* feed bytes to the state machine; -1 asks the caller to close at once */
static int
h1_rx(struct loom_conn *conn, const uint8_t *buf, size_t len)
{
	struct loom_h1 *h = conn->role_data;
	const struct loom_http_vh *hv = loom__http_vh(conn->vhost);
	size_t used;
	int r;

	while (len && !(conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE))) {
		switch (h->state) {
		case H1S_IDLE:
			h->flags &= (uint16_t)~H1F_FREE_AH;
			if (h->ah)
				loom__h1_ah_reset(h->ah, hv, LOOM_HTTP_PARSE_REQUEST);
			else
				h->ah = loom__h1_ah_get(conn->pt, hv,
							LOOM_HTTP_PARSE_REQUEST);
			if (!h->ah)
				return -1;
			h->state = H1S_HEAD;
			h1_set_timeout(conn, hv->head_to);
			/* fallthrough */
		case H1S_HEAD:
			r = loom__http_parse(&h->ah->p, buf, len, &used);
			buf += used;
			len -= used;
			if (r == LOOM_HP_MORE)
				break;
			if (r < 0) {
				/* the stream can no longer be trusted: answer and close */
				h->flags |= H1F_BODY_DONE | H1F_CLOSE_AFTER;
				h->state = H1S_DONE_RX;
				loom_clog_info(conn, "bad request: %d", -r);
				if (loom__http_error(conn, (unsigned int)-r))
					return -1;
				return 0;
			}
			if (h->ah->p.upgrade && len &&
			    h->ah->p.body_kind == LOOM_HTTP_BODY_NONE) {
				/*
				 * What follows an upgrade request may already be the
				 * new protocol's: held, it goes to the role that takes
				 * the conn over (or is parsed as the next request).
				 */
				if (h1_hold(conn, buf, len))
					return -1;
				len = 0;
			}
			if (h1_head_done(conn))
				return -1;
			if (conn->role != &loom_role_ops_h1)
				return 0;	/* upgraded: the conn has a new role */
			break;

		case H1S_BODY:
			h1_set_timeout(conn, hv->body_to);
			if (h->ah->p.body_kind == LOOM_HTTP_BODY_LENGTH) {
				size_t take = len < h->body_remaining ? len :
					      (size_t)h->body_remaining;

				r = h1_body_cb(conn, buf, take);
				if (r)
					return r == -413 ? 0 : -1;
				buf += take;
				len -= take;
				h->body_remaining -= take;
				if (!h->body_remaining)
					h1_body_done(conn);
				break;
			}
			r = loom__http_chunked_decode(&h->chunked, buf, len, &used,
						      h1_body_cb, conn);
			buf += used;
			len -= used;
			if (r == -413)
				return 0;	/* answered: the close follows the flush */
			if (r < 0) {
				h->flags |= H1F_CLOSE_AFTER;
				if (h->resp != H1R_NONE || loom__http_error(conn, 400))
					return -1;
				return 0;
			}
			if (r == LOOM_HP_DONE)
				h1_body_done(conn);
			break;

		case H1S_DONE_RX:
			/* pipelined: the next request waits for this response */
			return h1_hold(conn, buf, len);

		default:
			return -1;
		}
	}

	return 0;
}
#endif

static int
h1_handle_pollin(struct loom_pt *pt, struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	int n;

	if (conn->flags & LCF_CONNECTING)
		return loom__connect_continue(conn);
	if (conn->flags & (LCF_RX_PAUSED | LCF_PEER_EOF | LCF_CLOSING) ||
	    (h->flags & H1F_RX_HELD))
		return LOOM_HP_OK;

	n = loom__conn_read(conn, pt->serv_buf, pt->serv_buf_size);
	if (n < 0) {
		if (loom__plat_errno_is_again(errno))
			return LOOM_HP_OK;
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "read failed");
		return LOOM_HP_CLOSED;
	}
	if (conn->flags & LCF_CLIENT) {
		if (n ? loom__h1_client_rx(conn, pt->serv_buf, (size_t)n) :
			loom__h1_client_eof(conn)) {
			loom__close_now(conn, LOOM_CLOSE_ABNORMAL, n ?
					"bad or unexpected response" :
					"server closed before the response ended");
			return LOOM_HP_CLOSED;
		}
		return LOOM_HP_OK;
	}
#if !defined(LOOM_WITH_SERVER)
	/* a client-only build (LOOM_WITH_SERVER=OFF) accepts no conns: the server
	 * side below, and the HTTP server it leads to, is left out */
	loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "no HTTP server in this build");
	return LOOM_HP_CLOSED;
#else
	if (!n) {
		/* between requests, or mid-request: nothing to answer any more */
		if (h->state != H1S_DONE_RX || h->resp == H1R_DONE) {
			loom__close_now(conn, LOOM_CLOSE_NORMAL, "peer closed");
			return LOOM_HP_CLOSED;
		}
		/* the request is in; the response may still go out (half-close) */
		h->flags |= H1F_CLOSE_AFTER;
		return loom__role_rx_eof(conn);
	}
#if defined(LOOM_WITH_H2)
	/* h2c by prior knowledge: the connection preface instead of a request */
	if (!h->requests && h->state == H1S_IDLE && !h->rx_pending &&
	    h->h2_pk != H1_H2_PK_NO) {
		uint8_t held = h->h2_pk;

		switch (loom__h2_prior_knowledge(conn, &h->h2_pk, pt->serv_buf,
						 (size_t)n)) {
		case 0:
			return LOOM_HP_OK;	/* the conn is h2 now */
		case -1:
			return loom__close(conn, LOOM_CLOSE_NORMAL, "h2 preface failed");
		case 2:
			return LOOM_HP_OK;	/* the preface so far, split: held */
		default:
			/* HTTP/1 after all: the bytes held back go first */
			h->h2_pk = H1_H2_PK_NO;
			if (held && h1_rx(conn, (const uint8_t *)LOOM_H2C_PREFACE_HEAD,
					  held)) {
				loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "http error");
				return LOOM_HP_CLOSED;
			}
			break;
		}
	}
#endif
	if (h1_rx(conn, pt->serv_buf, (size_t)n)) {
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "http error");
		return LOOM_HP_CLOSED;
	}

	return LOOM_HP_OK;
#endif
}

#if defined(LOOM_WITH_SERVER)
/* parse held pipelined bytes, from the loop's pending pass */
static int
h1_replay(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	struct loom_pt *pt = conn->pt;
	size_t n;

	h->flags &= (uint16_t)~H1F_REPLAY;
	while (h->rx_pending && h->state != H1S_DONE_RX &&
	       !(conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE))) {
		n = loom_buflist_linear_use(&h->rx_pending, pt->serv_buf,
					    pt->serv_buf_size);
		if (h1_rx(conn, pt->serv_buf, n)) {
			loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "http error");
			return LOOM_HP_CLOSED;
		}
		if (conn->role != &loom_role_ops_h1)
			return LOOM_HP_OK;	/* upgraded: h is gone */
	}
	if (!h->rx_pending && (h->flags & H1F_RX_HELD) && h->state != H1S_DONE_RX) {
		h->flags &= (uint16_t)~H1F_RX_HELD;
		if (!(conn->flags & (LCF_RX_PAUSED | LCF_CLOSING | LCF_CLOSED_CB_DONE)))
			loom__io(conn, LOOM_EV_START | LOOM_EV_READ);
	}

	return LOOM_HP_OK;
}
#endif

static int
h1_perform_user_pollout(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	int want = !!(conn->flags & LCF_WANT_WRITABLE);

#if defined(LOOM_WITH_SERVER)	/* held pipelined requests: server side only */
	if (h->flags & H1F_REPLAY) {
		if (h1_replay(conn) == LOOM_HP_CLOSED)
			return LOOM_HP_CLOSED;
		if (conn->role != &loom_role_ops_h1)	/* upgraded */
			return conn->role->perform_user_pollout(conn);
	}
#endif
	if ((h->flags & H1F_FREE_AH) && h->state == H1S_IDLE) {
		h->flags &= (uint16_t)~H1F_FREE_AH;
		h1_free_ah(conn, h);
	}
	if (!want || (conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE)) ||
	    conn->buflist_out)
		return loom__check_drained(conn) ? LOOM_HP_CLOSED : LOOM_HP_OK;
	conn->flags &= ~LCF_WANT_WRITABLE;

	if (conn->flags & LCF_CLIENT) {
		if (h->state == H1S_CLIENT_SEND && h->resp != H1R_DONE &&
		    loom__user_callback(conn, LOOM_CB_CLIENT_HTTP_WRITEABLE, NULL, 0))
			return loom__close(conn, LOOM_CLOSE_NORMAL, "writeable callback asked");
#if defined(LOOM_WITH_SERVER)
	} else if ((h->flags & H1F_FILE) && h->file_remaining) {
		if (loom__http_serve_file_more(conn)) {
			loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "file read failed");
			return LOOM_HP_CLOSED;
		}
#endif
	} else if (h->resp != H1R_DONE &&
		   loom__user_callback(conn, LOOM_CB_HTTP_WRITEABLE, NULL, 0))
		return loom__close(conn, LOOM_CLOSE_NORMAL, "writeable callback asked");

	return loom__check_drained(conn) ? LOOM_HP_CLOSED : LOOM_HP_OK;
}

/* the transport is ready (ALPN chose HTTP/1.1, or none was offered) */
static int
h1_alpn_negotiated(struct loom_conn *conn, const char *alpn)
{
#if defined(LOOM_WITH_H2)
	if (!(conn->flags & LCF_CLIENT) && alpn && !strcmp(alpn, "h2"))
		return loom__h2_server_take(conn, NULL, 0) ? -1 : 0;
#endif
	if (!(conn->flags & LCF_CLIENT) || alpn)
		return 0;	/* client: loom__client_established() calls again */
#if defined(LOOM_WITH_H2)
	if (loom__h2_client_wants(conn))
		return loom__h2_client_take(conn);
	if (((struct loom_h1 *)conn->role_data)->cli->ws_h2) {
		/* an extended CONNECT means nothing over HTTP/1.1 */
		loom_clog_info(conn, "ws over h2: the server did not choose h2 by ALPN");
		return -1;
	}
#endif

	return loom__h1_client_start(conn);
}

static void
h1_destroy_vhost(struct loom_vhost *vh)
{
	loom__http_vhost_destroy(vh);
}

/*
 * loom_write() on an HTTP/1 server conn: LOOM_WRITE_HTTP is response body and
 * LOOM_WRITE_HTTP_FINAL its last piece, as on an h2 stream (stream.c): through
 * loom_http_write_body(), so the head loom_http_respond() built goes first, the
 * body is framed (Content-Length kept, or chunks) and the final piece ends the
 * response. LOOM_WRITE_RAW stays bytes as they are; client conns are untouched.
 */
static int
h1_write_role_protocol(struct loom_conn *conn, uint8_t **buf, size_t *len,
		       enum loom_write_protocol *wp)
{
	struct loom_h1 *h = conn->role_data;
	unsigned int kind = (unsigned int)*wp;
	int r;

	if (!h || h->cli || kind == LOOM_WRITE_RAW)
		return 0;
	if (kind != LOOM_WRITE_HTTP && kind != LOOM_WRITE_HTTP_FINAL)
		return LOOM_EINVAL;
	r = loom_http_write_body(conn, *buf, *len, kind == LOOM_WRITE_HTTP_FINAL);
	if (r < 0)
		return r;
	*len = 0;	/* written (or held) by the HTTP layer */

	return 0;
}

const struct loom_role_ops loom_role_ops_h1 = {
	.name = "h1",
	.alpn = "http/1.1",
	.init_vhost = loom__http_vhost_init,
	.destroy_vhost = h1_destroy_vhost,
	.handle_pollin = h1_handle_pollin,
	.handle_pollout = loom__role_pollout_flush,
	.perform_user_pollout = h1_perform_user_pollout,
	.destroy_role = h1_destroy_role,
	.adoption_bind = h1_adoption_bind,
	.client_bind = loom__h1_client_bind,
	.alpn_negotiated = h1_alpn_negotiated,
	.write_role_protocol = h1_write_role_protocol,
	.destroy_pt = loom__http_destroy_pt,
	.adoption_cb = { 0, 0 },
	.close_cb = { LOOM_CB_CLOSED_HTTP, LOOM_CB_CLOSED_CLIENT_HTTP },
	.counted = 1,
};
