/*
 * stream.c: h2 streams as child conns with HTTP/1 semantics. A request's header
 * block is checked (RFC 9113 8.2, 8.3) and given to the h1 parser as the text of an
 * HTTP/1.1 head, so headers, path, mounts and dispatch are the h1 code's; the
 * response head the HTTP code builds is sent as HPACK, bodies as DATA within the
 * peer's windows.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/h2/private-h2.h"

/* ---- the request's header block ---- */

#define RQ_METHOD	0
#define RQ_SCHEME	1
#define RQ_PATH		2
#define RQ_AUTHORITY	3
#define RQ_PROTOCOL	4
#define RQ_COUNT	5

struct h2_req {
	struct loom_h2_pt *hp;
	const char *pv[RQ_COUNT];		/* pseudo-header values, in hp->pseudo */
	size_t pl[RQ_COUNT];
	size_t pseudo_used;
	size_t flen;				/* bytes of hp->fields used */
	uint8_t regular;			/* a regular field came: no more pseudo */
	uint8_t malformed;
	uint8_t trailers;			/* decoding trailers: only check them */
	uint8_t have_host;
	uint8_t have_cl;
};

static const char *const pseudo_names[RQ_COUNT] = {
	":method", ":scheme", ":path", ":authority", ":protocol"
};

static int
name_is(const char *n, size_t nl, const char *k)
{
	size_t kl = strlen(k);

	return nl == kl && !memcmp(n, k, kl);
}

/* RFC 9113 8.2.1: lowercase token names; values without NUL, CR, LF or edge space */
static int
field_ok(const char *name, size_t nl, const char *value, size_t vl)
{
	size_t n;

	if (!nl)
		return 0;
	for (n = 0; n < nl; n++) {
		uint8_t c = (uint8_t)name[n];

		if ((c >= 'A' && c <= 'Z') || !(loom__http_ctype[c] & LOOM_HTTP_C_TCHAR))
			return 0;
	}
	for (n = 0; n < vl; n++)
		if (!value[n] || value[n] == '\r' || value[n] == '\n')
			return 0;
	if (vl && (value[0] == ' ' || value[0] == '\t' || value[vl - 1] == ' ' ||
		   value[vl - 1] == '\t'))
		return 0;

	return 1;
}

/* one field as a line of h1 text, for the h1 parser (server and client heads) */
int
loom__h2_field_as_h1(uint8_t *fields, size_t cap, size_t *flen, const char *name,
		     size_t nl, const char *value, size_t vl)
{
	size_t o = *flen;

	if (o + nl + vl + 4 > cap)
		return -1;
	memcpy(fields + o, name, nl);
	o += nl;
	fields[o++] = ':';
	fields[o++] = ' ';
	memcpy(fields + o, value, vl);
	o += vl;
	fields[o++] = '\r';
	fields[o++] = '\n';
	*flen = o;

	return 0;
}

static int
req_field(void *opaque, const char *name, size_t nl, const char *value, size_t vl,
	  unsigned int flags)
{
	struct h2_req *r = opaque;
	int k;

	if (r->malformed)
		return 0;	/* keep decoding: the table must stay in step */
	if (nl && name[0] == ':') {
		if (r->regular || r->trailers)
			goto bad;
		for (k = 0; k < RQ_COUNT; k++)
			if (name_is(name, nl, pseudo_names[k]))
				break;
		if (k == RQ_COUNT || r->pv[k] || r->pseudo_used + vl + 1 > H2_PSEUDO)
			goto bad;
		for (size_t n = 0; n < vl; n++)
			if ((uint8_t)value[n] <= ' ' || (uint8_t)value[n] >= 127)
				goto bad;
		memcpy(r->hp->pseudo + r->pseudo_used, value, vl);
		r->pv[k] = (const char *)r->hp->pseudo + r->pseudo_used;
		r->pl[k] = vl;
		r->pseudo_used += vl + 1;
		return 0;
	}
	r->regular = 1;
	if (!field_ok(name, nl, value, vl))
		goto bad;
	/* connection-specific fields have no place in h2 (8.2.2); by length first,
	 * as this runs for every field of every request */
	switch (nl) {
	case 2:
		if (!memcmp(name, "te", 2) && !(vl == 8 && !memcmp(value, "trailers", 8)))
			goto bad;
		break;
	case 4:
		if (!memcmp(name, "host", 4) && !r->trailers) {
			if (r->pv[RQ_AUTHORITY])
				return 0;	/* :authority says it (8.3.1) */
			r->have_host = 1;
		}
		break;
	case 7:
		if (!memcmp(name, "upgrade", 7))
			goto bad;
		break;
	case 10:
		if (!memcmp(name, "connection", 10) || !memcmp(name, "keep-alive", 10))
			goto bad;
		break;
	case 14:
		if (!memcmp(name, "content-length", 14))
			r->have_cl = 1;
		break;
	case 16:
		if (!memcmp(name, "proxy-connection", 16))
			goto bad;
		break;
	case 17:
		if (!memcmp(name, "transfer-encoding", 17))
			goto bad;
		break;
	default:
		break;
	}
	if (r->trailers)
		return 0;
	if (loom__h2_field_as_h1(r->hp->fields, r->hp->fields_len, &r->flen, name, nl, value, vl))
		goto bad;

	return 0;
bad:
	r->malformed = 1;

	return 0;
}

static int
ignore_field(void *opaque, const char *name, size_t nl, const char *value, size_t vl,
	     unsigned int flags)
{
	return 0;
}

/* the pseudo-headers a request needs (8.3.1, RFC 8441 for :protocol) */
static int
req_complete(const struct h2_req *r)
{
	int connect;

	if (!r->pv[RQ_METHOD])
		return 0;
	connect = r->pl[RQ_METHOD] == 7 && !memcmp(r->pv[RQ_METHOD], "CONNECT", 7);
	if (connect && !r->pv[RQ_PROTOCOL])
		return r->pv[RQ_AUTHORITY] && !r->pv[RQ_SCHEME] && !r->pv[RQ_PATH];
	if (r->pv[RQ_PROTOCOL] && !connect)
		return 0;

	return r->pv[RQ_SCHEME] && r->pv[RQ_PATH] && r->pl[RQ_PATH];
}

/* a stateless answer for a request we will not take as a stream */
static void
h2_respond_status(struct loom_conn *conn, uint32_t sid, unsigned int status)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	uint8_t f[9 + 64];
	char st[4];
	size_t n = 9;
	int k;

	st[0] = (char)('0' + status / 100);
	st[1] = (char)('0' + status / 10 % 10);
	st[2] = (char)('0' + status % 10);
	k = loom__hpack_enc_block_start(&c->enc, f + n, sizeof(f) - n);
	if (k < 0)
		return;
	n += (size_t)k;
	k = loom__hpack_enc_field(&c->enc, f + n, sizeof(f) - n, ":status", 7, st, 3, 0);
	if (k < 0)
		return;
	n += (size_t)k;
	loom__h2_put_hdr(f, (uint32_t)(n - 9), LOOM_H2_F_HEADERS,
			 LOOM_H2_FL_END_HEADERS | LOOM_H2_FL_END_STREAM, sid);
	loom__h2_out(conn, f, n);
}

/* ---- stream life ---- */

static struct loom_conn *
h2s_create(struct loom_conn *conn, uint32_t sid)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	struct loom_h2_stream *st;
	struct loom_conn *s;

	s = loom__conn_create(conn->pt, conn->vhost, &loom_role_ops_h2s,
			      conn->vhost->accept_protocol, NULL);
	if (!s)
		return NULL;
	st = loom_zalloc(sizeof(*st), "h2 stream");
	if (!st) {
		loom__conn_free(s);
		return NULL;
	}
	st->h1.file_fd = -1;
	st->conn = s;
	st->parent = conn;
	st->sid = sid;
	st->tx_window = (int32_t)c->peer_init_window;
	st->rx_window = (int32_t)c->cfg->init_window;
	s->role_data = st;
	s->flags |= LCF_ESTABLISHED | (conn->flags & LCF_CLIENT);
	s->opaque_user_data = conn->opaque_user_data;
	loom_dll2_add_tail(&st->list, &c->streams);
	loom_set_timeout(conn, LOOM_TO_NONE, 0);

	return s;
}

/* both halves are over: the transaction ends and the stream goes after the pass */
void
loom__h2s_finish(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h2_conn *c = loom__h2c(st->parent);

	if (st->sflags & H2SF_DONE)
		return;
	st->sflags |= H2SF_DONE;
	loom_set_timeout(s, LOOM_TO_NONE, 0);
	if (!(s->flags & LCF_CLIENT))
		loom__user_callback(s, LOOM_CB_HTTP_TRANSACTION_DONE, NULL, 0);
	loom_dll2_add_tail(&st->reap_list, &c->reap);
	if (!c->in_pass)
		loom__h2_want_pass(st->parent);	/* the pass closes it */
}

/* close a stream now with RST_STREAM \p code (we are not in its callback) */
void
loom__h2s_reset(struct loom_conn *s, uint32_t code, const char *why)
{
	struct loom_h2_stream *st = loom__h2s(s);

	if (!(st->sflags & H2SF_RESET)) {
		st->sflags |= H2SF_RESET;
		loom__h2_send_rst(st->parent, st->sid, code);
	}
	loom__close_now(s, LOOM_CLOSE_NORMAL, why);
}

void
loom__h2s_peer_reset(struct loom_conn *s)
{
	loom__h2s(s)->sflags |= H2SF_RESET;
	loom__close_now(s, LOOM_CLOSE_NORMAL, "peer reset the stream");
}

/* route the request like h1 does; the callback may answer at once */
static int
h2s_dispatch(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h1 *h = &st->h1;

	if (loom__http_dispatch(s)) {
		if (!(s->flags & LCF_CLOSED_CB_DONE) && !(st->sflags & H2SF_DONE))
			loom__h2s_reset(s, LOOM_H2_ERR_CANCEL, "dispatch refused");
		return 0;
	}
	if ((s->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE)) || (st->sflags & H2SF_DONE))
		return 0;
	if (h->state == H1S_DONE_RX && h->resp == H1R_NONE && !(h->flags & H1F_FILE) &&
	    loom__user_callback(s, LOOM_CB_HTTP_BODY_COMPLETION, NULL, 0))
		loom__h2s_reset(s, LOOM_H2_ERR_CANCEL, "body completion refused");

	return 0;
}

static int
ci_is(const char *a, size_t al, const char *b)
{
	size_t i;

	if (al != strlen(b))
		return 0;
	for (i = 0; i < al; i++)
		if ((a[i] | 0x20) != b[i])
			return 0;

	return 1;
}

/*
 * An extended CONNECT (RFC 8441 4): the stream becomes a tunnel for :protocol.
 * "websocket" goes to the ws role; a protocol we do not speak gets 501, and a
 * tunnel closed by END_STREAM before it opened gets 400.
 */
static int
h2s_ext_connect(struct loom_conn *s, const struct h2_req *r, int end_stream)
{
	struct loom_h2_stream *st = loom__h2s(s);
	unsigned int status = 501;

	if (ci_is(r->pv[RQ_PROTOCOL], r->pl[RQ_PROTOCOL], "websocket")) {
#if defined(LOOM_WITH_WS)
		if (!end_stream) {
			if (loom__ws_h2_upgrade(s) < 0 &&
			    !(s->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE)))
				loom__h2s_reset(s, LOOM_H2_ERR_INTERNAL_ERROR, "ws upgrade failed");
			return 0;
		}
		status = 400;
#endif
	}
	loom_clog_info(s, "h2: extended CONNECT refused (%u)", status);
	st->h1.flags |= H1F_BODY_DONE;
	if (loom__http_error(s, status))
		loom__h2s_reset(s, LOOM_H2_ERR_CANCEL, "extended CONNECT refused");

	return 0;
}

/* a new request: its head through the h1 parser, then the HTTP dispatch */
static int
h2s_request(struct loom_conn *conn, uint32_t sid, struct h2_req *r, int end_stream)
{
	const struct loom_http_vh *hv = loom__http_vh(conn->vhost);
	struct loom_h2_stream *st;
	struct loom_h1 *h;
	struct loom_conn *s;
	uint8_t line[16];
	size_t used;
	int pr;

	s = h2s_create(conn, sid);
	if (!s)
		return loom__h2_conn_error(conn, LOOM_H2_ERR_INTERNAL_ERROR, "out of memory");
	st = loom__h2s(s);
	h = &st->h1;
	h->ah = loom__h1_ah_get(conn->pt, hv, LOOM_HTTP_PARSE_REQUEST);
	if (!h->ah) {
		loom__h2s_reset(s, LOOM_H2_ERR_INTERNAL_ERROR, "out of memory");
		return 0;
	}
	h->requests = 1;
	if (end_stream) {
		st->sflags |= H2SF_REMOTE_ENDED;
		h->flags |= H1F_BODY_DONE;
		h->state = H1S_DONE_RX;
	} else {
		h->state = H1S_BODY;
		loom_set_timeout(s, LOOM_TO_AWAITING_RX, (int)hv->body_to);
	}

	/* "METHOD target HTTP/1.1\r\nhost: authority\r\n" + fields + "\r\n"; an
	 * extended CONNECT (RFC 8441) opens a tunnel to :path, read like a GET */
	if (r->pv[RQ_PROTOCOL])
		pr = loom__http_parse(&h->ah->p, (const uint8_t *)"GET", 3, &used);
	else
		pr = loom__http_parse(&h->ah->p, (const uint8_t *)r->pv[RQ_METHOD],
				      r->pl[RQ_METHOD], &used);
	if (pr == LOOM_HP_MORE)
		pr = loom__http_parse(&h->ah->p, (const uint8_t *)" ", 1, &used);
	if (pr == LOOM_HP_MORE) {
		if (r->pv[RQ_PATH])
			pr = loom__http_parse(&h->ah->p, (const uint8_t *)r->pv[RQ_PATH],
					      r->pl[RQ_PATH], &used);
		else	/* CONNECT: authority-form */
			pr = loom__http_parse(&h->ah->p,
					      (const uint8_t *)r->pv[RQ_AUTHORITY],
					      r->pl[RQ_AUTHORITY], &used);
	}
	if (pr == LOOM_HP_MORE)
		pr = loom__http_parse(&h->ah->p, (const uint8_t *)" HTTP/1.1\r\n", 11,
				      &used);
	if (pr == LOOM_HP_MORE && (r->pv[RQ_AUTHORITY] || !r->have_host)) {
		pr = loom__http_parse(&h->ah->p, (const uint8_t *)"host: ", 6, &used);
		if (pr == LOOM_HP_MORE && r->pv[RQ_AUTHORITY])
			pr = loom__http_parse(&h->ah->p,
					      (const uint8_t *)r->pv[RQ_AUTHORITY],
					      r->pl[RQ_AUTHORITY], &used);
		if (pr == LOOM_HP_MORE)
			pr = loom__http_parse(&h->ah->p, (const uint8_t *)"\r\n", 2, &used);
	}
	if (pr == LOOM_HP_MORE && r->flen)
		pr = loom__http_parse(&h->ah->p, r->hp->fields, r->flen, &used);
	memcpy(line, "\r\n", 2);
	if (pr == LOOM_HP_MORE)
		pr = loom__http_parse(&h->ah->p, line, 2, &used);
	if (pr != LOOM_HP_DONE) {
		/* the h1 parser's verdict: answered with its status */
		loom_clog_info(s, "h2: bad request: %d", pr);
		h->flags |= H1F_BODY_DONE;
		if (loom__http_error(s, pr < 0 ? (unsigned int)-pr : 400))
			loom__h2s_reset(s, LOOM_H2_ERR_PROTOCOL_ERROR, "bad request");
		return 0;
	}
	if (h->ah->p.body_kind == LOOM_HTTP_BODY_LENGTH || r->have_cl) {
		st->sflags |= H2SF_HAVE_CL;
		st->cl = h->ah->p.content_length;
		if (end_stream && st->cl) {
			loom__h2s_reset(s, LOOM_H2_ERR_PROTOCOL_ERROR, "content-length, no body");
			return 0;
		}
	}
	if (loom__h1_path(h->ah)) {
		h->flags |= H1F_BODY_DONE;
		if (loom__http_error(s, 400))
			loom__h2s_reset(s, LOOM_H2_ERR_PROTOCOL_ERROR, "bad path");
		return 0;
	}
	if (r->pv[RQ_PROTOCOL])
		return h2s_ext_connect(s, r, end_stream);

	return h2s_dispatch(s);
}

/* the h2c upgrade's request (RFC 7540 3.2): stream 1, its request already parsed */
struct loom_conn *
loom__h2_upgrade_stream(struct loom_conn *conn, struct loom_h1_ah *ah)
{
	struct loom_h2_stream *st;
	struct loom_conn *s = h2s_create(conn, 1);

	if (!s) {
		loom__h1_ah_put(conn->pt, ah);
		return NULL;
	}
	st = loom__h2s(s);
	st->h1.ah = ah;
	st->h1.requests = 1;
	st->h1.flags |= H1F_BODY_DONE;
	st->h1.state = H1S_DONE_RX;
	st->sflags |= H2SF_REMOTE_ENDED;
	ah->p.upgrade = 0;	/* answered: the stream is not to upgrade again */
	h2s_dispatch(s);

	return s;
}

/* a header block we will not act on: decoded all the same, the table must follow */
static int
h2_hblock_drop(struct loom_conn *conn, const uint8_t *blk, size_t len)
{
	struct loom_h2_pt *hp = conn->pt->h2_pt;
	int rd;

	rd = loom__hpack_decode(&loom__h2c(conn)->dec, blk, len, hp->hscratch,
				hp->hscratch_len, ignore_field, NULL);
	if (LOOM_HPACK_IS_CONN_ERROR(rd))
		return loom__h2_conn_error(conn, LOOM_H2_ERR_COMPRESSION_ERROR, "HPACK");

	return 0;
}

/* a complete header block on \p sid; nonzero when the connection must end */
int
loom__h2_headers_block(struct loom_conn *conn, uint32_t sid, const uint8_t *blk,
		       size_t len, uint8_t flags, uint32_t err)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	struct loom_h2_pt *hp = conn->pt->h2_pt;
	int end_stream = !!(flags & LOOM_H2_FL_END_STREAM), rd;
	struct loom_conn *s = NULL;
	struct h2_req r;

	if (c->flags & H2CF_CLIENT)	/* a response: client-h2.c */
		return loom__h2_client_headers_block(conn, sid, blk, len, flags, err);
	memset(&r, 0, sizeof(r));
	r.hp = hp;
	if (!(sid & 1))
		return loom__h2_conn_error(conn, LOOM_H2_ERR_PROTOCOL_ERROR,
					   "even stream id from a client");
	if (sid <= c->last_peer_sid && loom__h2_we_reset(c, sid)) {
		/* reset by us: trailers (or more) the client sent before it knew;
		 * decoded for the table's sake, then dropped (RFC 9113 5.1) */
		return h2_hblock_drop(conn, blk, len);
	}
	if (sid <= c->last_peer_sid) {
		s = loom__h2_find_stream(c, sid);
		if (!s || (loom__h2s(s)->sflags & H2SF_REMOTE_ENDED))
			return loom__h2_conn_error(conn, LOOM_H2_ERR_STREAM_CLOSED,
						   "HEADERS on a closed stream");
		r.trailers = 1;
	}

	if (!s && (c->streams.count >= c->cfg->max_streams ||
		   (c->flags & (H2CF_GOAWAY_SENT | H2CF_GOAWAY_RECV)))) {
		/* over the limit: decode (the table must follow) and refuse */
		if (h2_hblock_drop(conn, blk, len))
			return 1;
		if (!(c->flags & H2CF_GOAWAY_SENT))
			c->last_peer_sid = sid;
		loom__h2_send_rst(conn, sid, LOOM_H2_ERR_REFUSED_STREAM);
		return loom__h2_count_reset(conn);
	}

	rd = loom__hpack_decode(&c->dec, blk, len, hp->hscratch, hp->hscratch_len,
				req_field, &r);
	if (LOOM_HPACK_IS_CONN_ERROR(rd))
		return loom__h2_conn_error(conn, LOOM_H2_ERR_COMPRESSION_ERROR, "HPACK");

	if (r.trailers) {
		struct loom_h2_stream *st = loom__h2s(s);

		if (!end_stream || r.malformed || err) {
			loom__h2s_reset(s, err ? err : LOOM_H2_ERR_PROTOCOL_ERROR, "bad trailers");
			return 0;
		}
		(void)st;
		loom__h2s_remote_end(s);
		return 0;
	}

	c->last_peer_sid = sid;
	if (err) {
		loom__h2_send_rst(conn, sid, err);
		return 0;
	}
	if (rd == LOOM_HPACK_E_TOO_BIG) {
		h2_respond_status(conn, sid, 431);
		if (!end_stream)
			loom__h2_send_rst(conn, sid, LOOM_H2_ERR_NO_ERROR);
		return 0;
	}
	if (r.malformed || !req_complete(&r) ||
	    /* :protocol without our SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 3) */
	    (r.pv[RQ_PROTOCOL] && !loom__h2_ext_connect_on(conn->vhost))) {
		loom__h2_send_rst(conn, sid, LOOM_H2_ERR_PROTOCOL_ERROR);
		return 0;
	}

	return h2s_request(conn, sid, &r, end_stream);
}

/* ---- request body ---- */

/* give the peer back what the user took, half a window at a time */
void
loom__h2s_window_update(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h2_conn *c = loom__h2c(st->parent);

	if (st->rx_consumed < c->cfg->init_window / 2 ||
	    (st->sflags & (H2SF_REMOTE_ENDED | H2SF_RESET)))
		return;
	loom__h2_send_window_update(st->parent, st->sid, st->rx_consumed);
	st->rx_window += (int32_t)st->rx_consumed;
	st->rx_consumed = 0;
}

static int
h2s_deliver(struct loom_conn *s, const uint8_t *buf, size_t len);

int
loom__h2s_data(struct loom_conn *s, const uint8_t *buf, size_t len)
{
	struct loom_h2_stream *st = loom__h2s(s);

	st->rx_total += len;
	if ((st->sflags & H2SF_HAVE_CL) && st->rx_total > st->cl) {
		loom__h2s_reset(s, LOOM_H2_ERR_PROTOCOL_ERROR, "body longer than content-length");
		return 1;
	}
	if ((s->flags & LCF_RX_PAUSED) || st->rx_held) {
		/* the user paused reading: kept, within the window it does not get
		 * back until the user has it */
		if (loom_buflist_append_segment(&st->rx_held, buf, len) < 0) {
			loom__h2s_reset(s, LOOM_H2_ERR_INTERNAL_ERROR, "out of memory");
			return 1;
		}
		return 0;
	}

	return h2s_deliver(s, buf, len);
}

/* the writable pass found the user reading again: held DATA, then the end */
void
loom__h2s_rx_resume(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);
	uint8_t *p;
	size_t seg;

	while (!(s->flags & (LCF_RX_PAUSED | LCF_CLOSING | LCF_CLOSED_CB_DONE)) &&
	       (seg = loom_buflist_next_segment_len(&st->rx_held, &p))) {
		if (h2s_deliver(s, p, seg))
			return;		/* the stream was reset */
		loom_buflist_use_segment(&st->rx_held, seg);
	}
	if (st->rx_held || (s->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE)))
		return;
	if (st->sflags & H2SF_END_HELD) {
		st->sflags &= (uint8_t)~H2SF_END_HELD;
		loom__h2s_remote_end(s);
		return;
	}
	loom__h2s_window_update(s);
}

static int
h2s_deliver(struct loom_conn *s, const uint8_t *buf, size_t len)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h1 *h = &st->h1;
	const struct loom_http_vh *hv = loom__http_vh(s->vhost);

	st->rx_consumed += (uint32_t)len;
#if defined(LOOM_WITH_WS)
	if (s->role == &loom_role_ops_ws_h2)
		return loom__ws_h2_rx(s, buf, len);
#endif
	if (s->flags & LCF_CLIENT)	/* a response body */
		return loom__h2_client_deliver(s, buf, len);
	h->body_seen += len;
	if (h->body_seen > hv->max_body) {
		if (h->resp == H1R_NONE) {
			h->flags |= H1F_BODY_DONE;
			if (!loom__http_error(s, 413))
				return 1;
		}
		loom__h2s_reset(s, LOOM_H2_ERR_CANCEL, "body too large");
		return 1;
	}
	if (h->resp != H1R_NONE || (h->flags & H1F_FILE) || (st->sflags & H2SF_DONE))
		return 0;
	loom_set_timeout(s, LOOM_TO_AWAITING_RX, (int)hv->body_to);
	if (loom__user_callback(s, LOOM_CB_HTTP_BODY, (void *)(uintptr_t)buf, len)) {
		loom__h2s_reset(s, LOOM_H2_ERR_CANCEL, "body refused");
		return 1;
	}

	return 0;
}

int
loom__h2s_remote_end(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h1 *h = &st->h1;

#if defined(LOOM_WITH_WS)
	if (s->role == &loom_role_ops_ws_h2) {
		st->sflags |= H2SF_REMOTE_ENDED;
		return loom__ws_h2_remote_end(s);
	}
#endif
	if ((st->sflags & H2SF_HAVE_CL) && st->rx_total != st->cl) {
		loom__h2s_reset(s, LOOM_H2_ERR_PROTOCOL_ERROR, "body shorter than content-length");
		return 1;
	}
	st->sflags |= H2SF_REMOTE_ENDED;
	if (s->flags & LCF_CLIENT)
		return loom__h2_client_remote_end(s);
	h->flags |= H1F_BODY_DONE;
	h->state = H1S_DONE_RX;
	if (!(st->sflags & H2SF_DONE))
		loom_set_timeout(s, LOOM_TO_NONE, 0);
	if (h->resp == H1R_DONE) {
		if (st->sflags & H2SF_LOCAL_ENDED)
			loom__h2s_finish(s);
		return 0;
	}
	if (h->resp == H1R_NONE && !(h->flags & H1F_FILE) &&
	    loom__user_callback(s, LOOM_CB_HTTP_BODY_COMPLETION, NULL, 0)) {
		loom__h2s_reset(s, LOOM_H2_ERR_CANCEL, "body completion refused");
		return 1;
	}

	return 0;
}

/* ---- response ---- */

/* what the peer lets us send on this stream now */
int
loom__h2s_credit(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h2_conn *c = loom__h2c(st->parent);
	int64_t cr = c->tx_window < st->tx_window ? c->tx_window : st->tx_window;

	if (st->tx_pending)
		cr -= (int64_t)loom_buflist_total_len(&st->tx_pending);
	if (cr > 0x7fffffff)
		cr = 0x7fffffff;

	return cr < 0 ? 0 : (int)cr;
}

/* the END_STREAM of our response went: the stream may be over */
static void
h2s_local_end(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);

	st->sflags |= H2SF_LOCAL_ENDED;
	st->sflags &= (uint8_t)~H2SF_FINAL_PENDING;
	if (st->h1.resp != H1R_DONE)
		return;	/* the HTTP code marks it done right after */
	if (s->flags & LCF_CLIENT) {
		/* the request is out: the stream ends with the response */
		if (st->sflags & H2SF_REMOTE_ENDED)
			loom__h2s_finish(s);
		else
			loom__h2_client_wait_response(s);
		return;
	}
	if (!(st->sflags & H2SF_REMOTE_ENDED)) {
		/* we answered before the request body ended: it is not wanted */
		st->sflags |= H2SF_RESET;
		loom__h2_send_rst(st->parent, st->sid, LOOM_H2_ERR_NO_ERROR);
	}
	loom__h2s_finish(s);
}

/* DATA frames within the windows; what does not fit is held. 1 = END_STREAM sent */
int
loom__h2s_data_out(struct loom_conn *s, const uint8_t *buf, size_t len, int final)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_conn *parent = st->parent;
	struct loom_h2_conn *c = loom__h2c(parent);
	uint8_t fh[9];

	if (!st->tx_pending) {
		while (len) {
			int64_t cr = c->tx_window < st->tx_window ? c->tx_window :
				     st->tx_window;
			size_t n = len;

			if (cr <= 0)
				break;
			if ((int64_t)n > cr)
				n = (size_t)cr;
			if (n > c->peer_max_frame)
				n = c->peer_max_frame;
			loom__h2_put_hdr(fh, (uint32_t)n, LOOM_H2_F_DATA,
					 final && n == len ? LOOM_H2_FL_END_STREAM : 0,
					 st->sid);
			if (loom__h2_out(parent, fh, 9) || loom__h2_out(parent, buf, n))
				return -1;
			c->tx_window -= (int64_t)n;
			st->tx_window -= (int32_t)n;
			buf += n;
			len -= n;
			if (!len && final)
				return 1;
		}
		if (!len && final) {
			loom__h2_put_hdr(fh, 0, LOOM_H2_F_DATA, LOOM_H2_FL_END_STREAM, st->sid);
			return loom__h2_out(parent, fh, 9) ? -1 : 1;
		}
		if (!len)
			return 0;
	}
	/* held until WINDOW_UPDATE: at most one write's worth per stream */
	if (len && loom_buflist_append_segment(&st->tx_pending, buf, len) < 0)
		return -1;
	if (final)
		st->sflags |= H2SF_FINAL_PENDING;
	loom_set_timeout(s, LOOM_TO_USER, (int)c->cfg->stall_secs);

	return 0;
}

/* send held DATA now that the window opened */
int
loom__h2s_send_pending(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_conn *parent = st->parent;
	struct loom_h2_conn *c = loom__h2c(parent);
	int final = !!(st->sflags & H2SF_FINAL_PENDING), ended = 0;
	uint8_t fh[9], *p;
	size_t seg;

	while ((seg = loom_buflist_next_segment_len(&st->tx_pending, &p))) {
		int64_t cr = c->tx_window < st->tx_window ? c->tx_window : st->tx_window;
		size_t n = seg;
		int last;

		if (cr <= 0)
			break;
		if ((int64_t)n > cr)
			n = (size_t)cr;
		if (n > c->peer_max_frame)
			n = c->peer_max_frame;
		last = loom_buflist_total_len(&st->tx_pending) == n;
		loom__h2_put_hdr(fh, (uint32_t)n, LOOM_H2_F_DATA,
				 final && last ? LOOM_H2_FL_END_STREAM : 0, st->sid);
		if (loom__h2_out(parent, fh, 9) || loom__h2_out(parent, p, n)) {
			loom__h2s_reset(s, LOOM_H2_ERR_INTERNAL_ERROR, "send failed");
			return -1;
		}
		c->tx_window -= (int64_t)n;
		st->tx_window -= (int32_t)n;
		loom_buflist_use_segment(&st->tx_pending, n);
		ended = final && last;
	}
	if (st->tx_pending)
		return 0;	/* still short of credit: the stall timeout runs */
	if (s->pending_timeout == LOOM_TO_USER)
		/* the stall is over; another timeout (a ws close handshake) stays */
		loom_set_timeout(s, LOOM_TO_NONE, 0);
	if (final && !ended) {
		loom__h2_put_hdr(fh, 0, LOOM_H2_F_DATA, LOOM_H2_FL_END_STREAM, st->sid);
		loom__h2_out(parent, fh, 9);
		ended = 1;
	}
	if (ended)
		h2s_local_end(s);
	else if (s->flags & LCF_WANT_WRITABLE)
		loom__h2_want_pass(parent);

	return 0;
}

/*
 * The room to encode the h1 head text \p t (\p len bytes) as a header block,
 * with 9 bytes before it for the frame header: \p sb (a small buffer of \p sbl
 * bytes on the caller's stack) when it surely fits, else a heap block the caller
 * frees. Each field takes at most LOOM_HPACK_ENC_MAX(name, value) bytes, and the
 * text spends at least 4 bytes per field besides its name and value.
 */
uint8_t *
loom__h2_block_room(const char *t, size_t len, unsigned int extra_fields, uint8_t *sb,
		    size_t sbl, size_t *room)
{
	const char *e = t + len, *p = t;
	size_t lines = extra_fields + 1;

	while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		lines++;
		p++;
	}
	*room = 9 + 12 + len + lines * LOOM_HPACK_ENC_MAX(0, 0) + 64;
	if (*room <= sbl) {
		*room = sbl;
		return sb;
	}

	return loom_malloc(*room, "h2 header block");
}

/*
 * The header block at \p f + 9 (\p blen bytes) goes out on stream \p sid as one
 * HEADERS frame or, past the peer's SETTINGS_MAX_FRAME_SIZE, HEADERS and then
 * CONTINUATION frames; all in one write to the connection, so no other frame can
 * come between them (RFC 9113 6.10).
 */
int
loom__h2_headers_frames_out(struct loom_conn *parent, uint8_t *f, size_t blen,
			    uint32_t sid, int end_stream)
{
	struct loom_h2_conn *c = loom__h2c(parent);
	size_t mf = c->peer_max_frame, nf, done, piece, o;
	uint8_t *w, es = end_stream ? LOOM_H2_FL_END_STREAM : 0;
	int r;

	if (blen <= mf) {
		loom__h2_put_hdr(f, (uint32_t)blen, LOOM_H2_F_HEADERS,
				 LOOM_H2_FL_END_HEADERS | es, sid);
		return loom__h2_out(parent, f, 9 + blen);
	}
	nf = (blen + mf - 1) / mf;
	w = loom_malloc(blen + 9 * nf, "h2 header frames");
	if (!w)
		return -1;
	for (done = 0, o = 0; done < blen; done += piece) {
		piece = blen - done > mf ? mf : blen - done;
		loom__h2_put_hdr(w + o, (uint32_t)piece,
				 done ? LOOM_H2_F_CONTINUATION : LOOM_H2_F_HEADERS,
				 (uint8_t)((done ? 0 : es) |
				 (done + piece == blen ? LOOM_H2_FL_END_HEADERS : 0)), sid);
		memcpy(w + o + 9, f + 9 + done, piece);
		o += 9 + piece;
	}
	r = loom__h2_out(parent, w, o);
	loom_free(w);

	return r;
}

/* the response head as HPACK: from the h1 text the HTTP code built */
static int
h2s_headers_out(struct loom_conn *s, int end_stream)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h2_conn *c = loom__h2c(st->parent);
	struct loom_h1_ah *ah = st->h1.ah;
	const char *t = (const char *)ah->resp + LOOM_PRE, *end = t + ah->resp_len, *e;
	uint8_t sb[4096], *f;
	char name[128];
	size_t n = 9, fl;
	int k, r = -1;

	if (ah->resp_len < 12)
		return -1;
	f = loom__h2_block_room(t, ah->resp_len, 1, sb, sizeof(sb), &fl);
	if (!f)
		return -1;
	k = loom__hpack_enc_block_start(&c->enc, f + n, fl - n);
	if (k < 0)
		goto bail;
	n += (size_t)k;
	{
		/* the statuses of the static table (RFC 7541 appendix A) go as
		 * their index, without a search */
		static const char codes[] = "200204206304400404500";
		const char *m = NULL;
		int i;

		for (i = 0; i < 7 && !m; i++)
			if (!memcmp(codes + 3 * i, t + 9, 3))
				m = codes + 3 * i;
		if (m)
			f[n++] = (uint8_t)(0x80 | (8 + (m - codes) / 3));
		else {
			k = loom__hpack_enc_field(&c->enc, f + n, fl - n, ":status", 7,
						  t + 9, 3, 0);
			if (k < 0)
				goto bail;
			n += (size_t)k;
		}
	}
	/* skip the status line */
	e = memchr(t, '\n', (size_t)(end - t));
	t = e ? e + 1 : end;
	while (t < end) {
		const char *colon, *v, *le;
		size_t nl, vl, i;

		le = memchr(t, '\r', (size_t)(end - t));
		if (!le)
			le = end;
		colon = memchr(t, ':', (size_t)(le - t));
		if (!colon)
			break;
		nl = (size_t)(colon - t);
		v = colon + 1;
		while (v < le && *v == ' ')
			v++;
		vl = (size_t)(le - v);
		if (nl < sizeof(name)) {
			for (i = 0; i < nl; i++)
				name[i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] + 32 : t[i]);
			if (!name_is(name, nl, "connection") && !name_is(name, nl, "keep-alive") &&
			    !name_is(name, nl, "transfer-encoding") &&
			    !name_is(name, nl, "upgrade")) {
				k = loom__hpack_enc_field(&c->enc, f + n, fl - n, name, nl,
							  v, vl, 0);
				if (k < 0)
					goto bail;
				n += (size_t)k;
			}
		}
		t = le + 2;
	}
	st->sflags |= H2SF_HEADERS_SENT;
	r = loom__h2_headers_frames_out(st->parent, f, n - 9, st->sid, end_stream);
bail:
	if (f != sb)
		loom_free(f);

	return r;
}

/* the HTTP code's body write on an h2 stream (server.c loom__http_emit_body) */
int
loom__h2s_emit_body(struct loom_conn *s, const uint8_t *buf, size_t len, int final)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h1 *h = &st->h1;
	int r;

	if (st->sflags & (H2SF_RESET | H2SF_LOCAL_ENDED))
		return LOOM_ECLOSED;
	if (h->resp == H1R_STARTED) {
		h->resp = H1R_SENDING;
		if ((s->flags & LCF_CLIENT) ? loom__h2_client_headers_out(s, final && !len) :
		    h2s_headers_out(s, final && !len))
			return -1;
		if (final && !len) {
			st->sflags |= H2SF_LOCAL_ENDED;
			return 0;
		}
	}
	if (!len && !final)
		return 0;
	r = loom__h2s_data_out(s, buf, len, final);
	if (r < 0)
		return -1;
	if (r == 1)
		st->sflags |= H2SF_LOCAL_ENDED;

	return 0;
}

/* the HTTP code finished the response (ops-h1.c loom__h1_response_done) */
int
loom__h2s_response_done(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);

	if (s->flags & LCF_CLIENT)
		loom__h2_client_request_done(s);
	if (st->sflags & H2SF_LOCAL_ENDED)
		h2s_local_end(s);
	/* else END_STREAM waits behind held DATA: loom__h2s_send_pending ends it */

	return 0;
}

/* the parent's writable pass gives this stream its turn */
int
loom__h2s_user_pollout(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h1 *h = &st->h1;

	if (s->role != &loom_role_ops_h2s) {
		/* a role riding on the stream (ws over h2) takes its own turn; it
		 * looks for the request the pass took off */
		s->flags |= LCF_WANT_WRITABLE;
		return s->role->perform_user_pollout(s);
	}
	if (s->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE))
		return 0;
	if ((h->flags & H1F_FILE) && h->file_remaining) {
		if (loom__http_serve_file_more(s)) {
			loom__h2s_reset(s, LOOM_H2_ERR_INTERNAL_ERROR, "file read failed");
			return -1;
		}
		return 0;
	}
	if (h->resp != H1R_DONE &&
	    loom__user_callback(s, (s->flags & LCF_CLIENT) ? LOOM_CB_CLIENT_HTTP_WRITEABLE :
				LOOM_CB_HTTP_WRITEABLE, NULL, 0)) {
		loom__h2s_reset(s, LOOM_H2_ERR_CANCEL, "writeable callback asked");
		return -1;
	}

	return 0;
}

/* ---- the stream role ---- */

static struct loom_conn *
h2s_encapsulation_parent(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);

	return st && st->parent && !(st->parent->flags & LCF_CLOSED_CB_DONE) ?
	       st->parent : NULL;
}

static int
h2s_tx_credit(struct loom_conn *s, int peer_to_us, int add)
{
	return loom__h2s_credit(s);
}

void
loom__h2s_close_role(struct loom_pt *pt, struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h2_conn *c;

	if (!st || !st->parent)
		return;
	c = loom__h2c(st->parent);
	if (st->sid && !(st->sflags & H2SF_RESET) && !(c->flags & H2CF_DEAD) &&
	    !((st->sflags & H2SF_LOCAL_ENDED) && (st->sflags & H2SF_REMOTE_ENDED))) {
		st->sflags |= H2SF_RESET;
		loom__h2_send_rst(st->parent, st->sid, LOOM_H2_ERR_CANCEL);
	}
	loom__h2_stream_gone(st->parent, st);
	if (s->flags & LCF_CLIENT)
		loom__h2_client_stream_gone(s);
}

/* free a stream's h2 state (\p s: its conn, whatever role rides on it now) */
void
loom__h2s_destroy(struct loom_conn *s, struct loom_h2_stream *st)
{
	loom__http_file_close(&st->h1);
	if (st->h1.cli)
		loom__h1_client_free(&st->h1);
	loom__h1_ah_put(s->pt, st->h1.ah);
	loom_buflist_destroy_all_segments(&st->tx_pending);
	loom_buflist_destroy_all_segments(&st->rx_held);
	loom_free(st);
}

static void
h2s_destroy_role(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);

	if (!st)
		return;
	loom__h2s_destroy(s, st);
	s->role_data = NULL;
}

/*
 * loom_write() on a stream: LOOM_WRITE_HTTP (or _RAW) is response body and
 * LOOM_WRITE_HTTP_FINAL its last piece, as loom_http_write_body() takes them; it
 * sends them as DATA itself, so nothing is left for the core to write.
 */
static int
h2s_write_role_protocol(struct loom_conn *s, uint8_t **buf, size_t *len,
			enum loom_write_protocol *wp)
{
	unsigned int kind = (unsigned int)*wp;
	int r;

	if (kind != LOOM_WRITE_HTTP && kind != LOOM_WRITE_HTTP_FINAL &&
	    kind != LOOM_WRITE_RAW)
		return LOOM_EINVAL;
	r = loom_http_write_body(s, *buf, *len, kind == LOOM_WRITE_HTTP_FINAL);
	if (r < 0)
		return r;
	*len = 0;

	return 0;
}

static int
h2s_perform_user_pollout(struct loom_conn *s)
{
	/* streams are served by their parent's writable pass */
	return LOOM_HP_OK;
}

static int
h2s_handle_poll(struct loom_pt *pt, struct loom_conn *s)
{
	return LOOM_HP_OK;	/* a stream has no fd */
}

const struct loom_role_ops loom_role_ops_h2s = {
	.name = "h2-stream",
	.handle_pollin = h2s_handle_poll,
	.handle_pollout = h2s_handle_poll,
	.perform_user_pollout = h2s_perform_user_pollout,
	.write_role_protocol = h2s_write_role_protocol,
	.tx_credit = h2s_tx_credit,
	.encapsulation_parent = h2s_encapsulation_parent,
	.close_role = loom__h2s_close_role,
	.destroy_role = h2s_destroy_role,
	.adoption_cb = { 0, 0 },
	.close_cb = { LOOM_CB_CLOSED_HTTP, LOOM_CB_CLOSED_CLIENT_HTTP },
	.counted = 0,
};
