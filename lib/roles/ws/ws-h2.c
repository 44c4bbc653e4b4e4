/*
 * ws-h2.c: WebSocket over HTTP/2 (RFC 8441). An extended CONNECT with :protocol
 * "websocket" on an h2 stream is checked as the h1 upgrade is (version, origin,
 * subprotocol, permessage-deflate) and answered with :status 200; the stream conn
 * then takes this role. Its ws frames travel in the stream's DATA frames within
 * the h2 flow-control windows, and the user's callbacks are those of any ws conn.
 * A client (LOOM_CONNECT_WS_H2) sends its extended CONNECT as an h2 client
 * request (client-h2.c) and its stream takes this role on the 200.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/h2/private-h2.h"
#include "roles/ws/private-ws.h"

struct loom_h2_stream *
loom__ws_h2_stream(const struct loom_conn *conn)
{
	const struct loom_ws *ws = conn->role_data;

	return ws ? ws->h2s : NULL;
}

/* the 200 that opens the tunnel (RFC 8441 5: no Sec-WebSocket-Accept over h2) */
static int
ws_h2_respond(struct loom_h2_stream *st, const char *proto, const char *ext)
{
	struct loom_h2_conn *c = loom__h2c(st->parent);
	uint8_t f[9 + 16 + LOOM_HPACK_ENC_MAX(22, 64) + LOOM_HPACK_ENC_MAX(24, 128)];
	size_t n = 9, pl = proto ? strlen(proto) : 0, el = strlen(ext);
	int k;

	if (pl > 64 || el > 128)
		return -1;
	k = loom__hpack_enc_block_start(&c->enc, f + n, sizeof(f) - n);
	if (k < 0)
		return -1;
	n += (size_t)k;
	f[n++] = 0x88;		/* :status 200, static table entry 8 */
	if (pl) {
		k = loom__hpack_enc_field(&c->enc, f + n, sizeof(f) - n,
					  "sec-websocket-protocol", 22, proto, pl, 0);
		if (k < 0)
			return -1;
		n += (size_t)k;
	}
	if (el) {
		k = loom__hpack_enc_field(&c->enc, f + n, sizeof(f) - n,
					  "sec-websocket-extensions", 24, ext, el, 0);
		if (k < 0)
			return -1;
		n += (size_t)k;
	}
	loom__h2_put_hdr(f, (uint32_t)(n - 9), LOOM_H2_F_HEADERS, LOOM_H2_FL_END_HEADERS,
			 st->sid);
	st->sflags |= H2SF_HEADERS_SENT;

	return loom__h2_out(st->parent, f, n);
}

int
loom__ws_h2_upgrade(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h1_ah *ah = st->h1.ah;
	struct loom_ws_accept a;
	const struct loom_protocol *p;
	struct loom_ws *ws;
	int r;

	if (!loom__ws_version_ok(ah))
		return loom__ws_refuse(s, 426, LOOM__WS_VERSION_WHY);
	r = loom__ws_server_accept(s, ah, &a);
	if (!a.ws)
		return r;
	ws = a.ws;
	p = a.p;
	ws->h2s = st;
	if (ws_h2_respond(st, a.named ? p->name : NULL, a.ext)) {
		if (ws->pmd)
			loom__ws_pmd_destroy(ws->pmd);
		loom_free(ws);
		return -1;
	}

	/* the stream is the ws's now: the request's store goes back */
	loom__h1_ah_put(s->pt, ah);
	st->h1.ah = NULL;
	s->role = &loom_role_ops_ws_h2;
	s->role_data = ws;
	loom_set_timeout(s, LOOM_TO_NONE, 0);
	loom_clog_info(s, "ws: over h2 stream %u, protocol %s%s", (unsigned int)st->sid,
		       p->name ? p->name : "-", ws->pmd ? ", permessage-deflate" : "");
	loom__ws_opened(s);
	if (loom__user_callback(s, LOOM_CB_ESTABLISHED, NULL, 0)) {
		s->flags |= LCF_IN_CALLBACK;
		loom_close(s, LOOM_CLOSE_NORMAL);
		s->flags &= ~LCF_IN_CALLBACK;
	}

	return 0;
}

/* ---- client: the answer to our extended CONNECT ---- */

/* what the 200 agreed to must be what we offered: NULL, or why not */
static const char *
ws_h2_client_check(struct loom_conn *s, const struct loom_h1_ah *ah,
		   const struct loom_h1_client *cli, const struct loom_protocol **pp,
		   struct loom_ws_pmd_params *pmd, int *has_pmd)
{
	char name[LOOM_WS_PROTOCOL_NAME_MAX];
	const char *v;
	size_t vl, xl;
	int cwb;

	*pp = NULL;
	*has_pmd = 0;
	v = loom__ws_hdr_val(ah, LOOM_HDR_SEC_WEBSOCKET_PROTOCOL, 0, &vl);
	if (v) {
		if (!cli->ws_protocols || !vl || vl >= sizeof(name) ||
		    loom__ws_hdr_val(ah, LOOM_HDR_SEC_WEBSOCKET_PROTOCOL, 1, &xl))
			return "the server chose a subprotocol not offered";
		memcpy(name, v, vl);
		name[vl] = '\0';
		if (!loom__ws_list_has(cli->ws_protocols, strlen(cli->ws_protocols), name))
			return "the server chose a subprotocol not offered";
		*pp = loom_vhost_name_to_protocol(s->vhost, name);
	}
	v = loom__ws_hdr_val(ah, LOOM_HDR_SEC_WEBSOCKET_EXTENSIONS, 0, &vl);
	if (v) {
		if (!(cli->flags & LOOM_CONNECT_WS_DEFLATE) ||
		    loom__ws_hdr_val(ah, LOOM_HDR_SEC_WEBSOCKET_EXTENSIONS, 1, &xl) ||
		    loom__ws_pmd_parse(v, vl, 1, pmd, &cwb))
			return "an extension not offered or not usable";
		*has_pmd = 1;
	}

	return NULL;
}

int
loom__ws_h2_client_head(struct loom_conn *s, int end_stream)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h1_client *cli = st->h1.cli;
	struct loom_h1_ah *ah = st->h1.ah;
	const struct loom_protocol *p = NULL;
	struct loom_ws_pmd_params pmd;
	struct loom_ws *ws;
	const char *why = NULL;
	int has_pmd = 0;

	memset(&pmd, 0, sizeof(pmd));
	if (ah->p.status != 200 || end_stream)
		why = "the server refused the extended CONNECT";
	else
		why = ws_h2_client_check(s, ah, cli, &p, &pmd, &has_pmd);
	if (!why && p && loom__conn_rebind_protocol(s, p))
		why = "out of memory";
	ws = why ? NULL : loom__ws_create(s, 0, cli->ws_max_message ? cli->ws_max_message :
					  1024 * 1024);
	if (!why && !ws)
		why = "out of memory";
	if (ws && has_pmd) {
		ws->pmd = loom__ws_pmd_create(&pmd, 0);
		ws->p.allow_rsv1 = 1;
		if (!ws->pmd) {
			loom_free(ws);
			why = "out of memory";
		}
	}
	if (why) {
		/* not established: the user gets LOOM_CB_CLIENT_CONNECTION_ERROR */
		loom_clog_info(s, "ws over h2: %s (status %u)", why, ah->p.status);
		loom__h2s_reset(s, LOOM_H2_ERR_CANCEL, why);
		return 0;
	}

	ws->h2s = st;
	ws->state = WSS_OPEN;
	loom__h1_ah_put(s->pt, ah);
	st->h1.ah = NULL;
	st->h1.state = H1S_CLIENT_BODY;	/* later HEADERS are trailers: the end */
	s->role = &loom_role_ops_ws_h2;
	s->role_data = ws;
	loom_set_timeout(s, LOOM_TO_NONE, 0);
	s->flags |= LCF_ESTABLISHED;
	loom_clog_info(s, "ws: client over h2 stream %u%s", (unsigned int)st->sid,
		       ws->pmd ? ", permessage-deflate" : "");
	loom__ws_opened(s);
	if (loom__user_callback(s, LOOM_CB_CLIENT_ESTABLISHED, NULL, 0)) {
		s->flags |= LCF_IN_CALLBACK;
		loom_close(s, LOOM_CLOSE_NORMAL);
		s->flags &= ~LCF_IN_CALLBACK;
	}

	return 0;
}

/* ---- the stream's DATA in ---- */

int
loom__ws_h2_rx(struct loom_conn *s, const uint8_t *buf, size_t len)
{
	/* the ws parser unmasks in place: DATA payloads lie in the thread's read
	 * buffer or in segments the h2 conn holds, all of them writable */
	return loom__ws_rx(s, (uint8_t *)(uintptr_t)buf, len) == LOOM_HP_CLOSED;
}

/* END_STREAM: the tunnel's end, as a TCP FIN ends a ws over h1 */
int
loom__ws_h2_remote_end(struct loom_conn *s)
{
	struct loom_ws *ws = s->role_data;
	int open = ws->state == WSS_OPEN;

	if (open)
		ws->peer_code = 1006;
	loom__close_now(s, open ? LOOM_CLOSE_ABNORMAL : LOOM_CLOSE_NORMAL,
			open ? "peer ended the stream without a close frame" :
			"peer ended the stream");

	return 1;
}

/* ---- the role ---- */

static struct loom_conn *
ws_h2_parent(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);

	return st && st->parent && !(st->parent->flags & LCF_CLOSED_CB_DONE) ?
	       st->parent : NULL;
}

/* can the stream still carry our frames? */
static int
ws_h2_stream_open(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);

	return ws_h2_parent(s) && !(st->sflags & (H2SF_RESET | H2SF_LOCAL_ENDED)) &&
	       !(loom__h2c(st->parent)->flags & H2CF_DEAD);
}

/* framed ws bytes (core loom__issue_raw) as DATA; beyond the windows held */
static int
ws_h2_tx(struct loom_conn *s, const uint8_t *buf, size_t len)
{
	if (!ws_h2_stream_open(s) || loom__h2s_data_out(s, buf, len, 0) < 0)
		return LOOM_ECLOSED;

	return (int)len;
}

static int
ws_h2_write_role_protocol(struct loom_conn *s, uint8_t **buf, size_t *len,
			  enum loom_write_protocol *wp)
{
	return loom_role_ops_ws.write_role_protocol(s, buf, len, wp);
}

/* the parent's writable pass gives the stream its turn (loom__h2s_user_pollout) */
static int
ws_h2_user_pollout(struct loom_conn *s)
{
	return loom_role_ops_ws.perform_user_pollout(s);
}

static int
ws_h2_tx_credit(struct loom_conn *s, int peer_to_us, int add)
{
	return loom__h2s_credit(s);
}

static int
ws_h2_close_via_role_protocol(struct loom_conn *s, enum loom_close_status status)
{
	if (!ws_h2_stream_open(s))
		return 0;

	return loom_role_ops_ws.close_via_role_protocol(s, status);
}

static void
ws_h2_close_role(struct loom_pt *pt, struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);

	loom_role_ops_ws.close_role(pt, s);
	if (!st || !st->parent)
		return;
	if (ws_h2_stream_open(s) && !st->tx_pending &&
	    loom__h2s_data_out(s, NULL, 0, 1) == 1) {
		/*
		 * The ws is over: END_STREAM ends the tunnel (RFC 8441 5). A peer
		 * that has not ended its side yet is told it need not, as after a
		 * complete response (RFC 9113 8.1).
		 */
		st->sflags |= H2SF_LOCAL_ENDED;
		if (!(st->sflags & H2SF_REMOTE_ENDED)) {
			st->sflags |= H2SF_RESET;
			loom__h2_send_rst(st->parent, st->sid, LOOM_H2_ERR_NO_ERROR);
		}
	}
	/* what is still open is reset (CANCEL); the stream leaves its parent */
	loom__h2s_close_role(pt, s);
}

static void
ws_h2_destroy_role(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);

	loom_role_ops_ws.destroy_role(s);	/* the ws; role_data is NULL after */
	if (st)
		loom__h2s_destroy(s, st);
}

static int
ws_h2_poll(struct loom_pt *pt, struct loom_conn *s)
{
	return LOOM_HP_OK;	/* a stream has no fd */
}

const struct loom_role_ops loom_role_ops_ws_h2 = {
	.name = "ws-h2",
	.handle_pollin = ws_h2_poll,
	.handle_pollout = ws_h2_poll,
	.perform_user_pollout = ws_h2_user_pollout,
	.write_role_protocol = ws_h2_write_role_protocol,
	.tx_credit = ws_h2_tx_credit,
	.encapsulation_parent = ws_h2_parent,
	.close_via_role_protocol = ws_h2_close_via_role_protocol,
	.close_role = ws_h2_close_role,
	.destroy_role = ws_h2_destroy_role,
	.tx_encapsulated = ws_h2_tx,
	.adoption_cb = { 0, 0 },
	.rx_cb = { LOOM_CB_RECEIVE, LOOM_CB_CLIENT_RECEIVE },
	.writeable_cb = { LOOM_CB_SERVER_WRITEABLE, LOOM_CB_CLIENT_WRITEABLE },
	.close_cb = { LOOM_CB_CLOSED, LOOM_CB_CLIENT_CLOSED },
	.counted = 0,
};
