/*
 * client-h2.c: the HTTP/2 client. A client request whose transport turns out to
 * speak h2 (ALPN "h2", or h2c by prior knowledge) hands its socket, and its TLS
 * session, to a new h2 connection conn and lives on as that connection's first
 * stream; later requests to the same server join the connection as more streams,
 * queued while the server's SETTINGS_MAX_CONCURRENT_STREAMS is reached. Each
 * stream keeps the HTTP/1 client's state (method, path, the user's headers) and
 * its callbacks, so user code does not change.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/h2/private-h2.h"

/* the connection's client side (struct loom_h2_conn.cli) */
struct loom_h2_client {
	struct loom_dll2 list;		/* on the pt's h2 clients, while joinable */
	struct loom_dll2_owner pending;	/* requests waiting (loom_h1_client.qlink) */
	struct loom_conn *conn;		/* the h2 connection */
	struct loom_vhost *vhost;
	struct loom_tls_client_ctx *tls;	/* the shared TLS context, NULL plain */
	char *tls_name;			/* the name TLS verified */
	char *address;			/* the strings share this allocation */
	char *host;
	int port;
};

static int
h2cl_streq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* a stream id this high leaves no room: new requests go to a new connection */
#define H2CL_SID_LIMIT	0x7fff0000u

static int
h2cl_joinable(const struct loom_h2_client *k)
{
	const struct loom_h2_conn *c = loom__h2c(k->conn);

	return !(c->flags & (H2CF_GOAWAY_RECV | H2CF_GOAWAY_SENT | H2CF_DEAD)) &&
	       !(k->conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE)) &&
	       c->next_sid < H2CL_SID_LIMIT;
}

int
loom__h2_client_bind(struct loom_conn *conn, struct loom_h1_client *c)
{
	struct loom_h2_pt *hp = loom__h2_pt(conn->pt);
	struct loom_dll2 *d;

	if (!hp)
		return LOOM_ENOMEM;
	for (d = hp->clients.head; d; d = d->next) {
		struct loom_h2_client *k = loom_container_of(d, struct loom_h2_client, list);

		if (k->vhost != c->vhost || k->port != c->port || k->tls != c->tls ||
		    !h2cl_streq(k->tls_name, c->tls_name) ||
		    strcmp(k->address, c->address) || strcmp(k->host, c->host) ||
		    !h2cl_joinable(k))
			continue;
		loom_dll2_add_tail(&c->qlink, &k->pending);
		loom_clog_debug(conn, "h2: joins the connection to %s:%d", c->address,
				c->port);
		/* its stream starts in the connection's next writable pass */
		loom__h2_want_pass(k->conn);
		return 1;
	}

	return 0;
}

int
loom__h2_client_ws_joinable(struct loom_pt *pt, const struct loom_vhost *vh,
			    const struct loom_client_connect_info *i)
{
	struct loom_h2_pt *hp = pt->h2_pt;
	struct loom_tls_client_ctx *cc = NULL;
	const char *name = loom__h1_client_tls_name(i);
	struct loom_dll2 *d;

	/* TLS infos equal in content share a context: the connection to join */
	if (i->tls) {
#if defined(LOOM_WITH_TLS)
		cc = loom__tls_client_ctx_for(pt->ctx, i->tls, 0);
#endif
		if (!cc)
			return 0;
	}
	for (d = hp ? hp->clients.head : NULL; d; d = d->next) {
		struct loom_h2_client *k = loom_container_of(d, struct loom_h2_client, list);

		if (k->vhost == vh && k->port == i->port && k->tls == cc &&
		    h2cl_streq(k->tls_name, name) &&
		    !strcmp(k->address, i->address) && (!i->host || !strcmp(k->host, i->host)) &&
		    h2cl_joinable(k) && (loom__h2c(k->conn)->flags & H2CF_PEER_EXT_CONNECT))
			return 1;
	}

	return 0;
}

int
loom__h2_client_wants(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;

	if (!h || !h->cli || h->cli->h2 != H1C_H2_DIRECT)
		return 0;	/* an upgrade asks over HTTP/1.1 first */
#if defined(LOOM_WITH_TLS)
	if (conn->tls) {
		const char *a = loom__tls_alpn(conn);

		return a && !strcmp(a, "h2");
	}
#endif

	return 1;	/* plain and asked for prior knowledge */
}

/*
 * Make the request \p q (an HTTP/1 client conn without a socket) a stream of \p
 * parent: its h1 state moves into the stream's.
 */
static struct loom_h2_stream *
h2cl_stream_make(struct loom_conn *parent, struct loom_conn *q)
{
	struct loom_h2_conn *c = loom__h2c(parent);
	struct loom_h1 *h = q->role_data;
	struct loom_h2_stream *st = loom_zalloc(sizeof(*st), "h2 stream");

	if (!st)
		return NULL;
	st->h1 = *h;
	loom_free(h);
	st->conn = q;
	st->parent = parent;
	st->tx_window = (int32_t)c->peer_init_window;
	st->rx_window = (int32_t)c->cfg->init_window;
	q->role = &loom_role_ops_h2s;
	q->role_data = st;
	if (q->flags & LCF_COUNTED) {
		/* the connection is what counts against max_conns */
		q->flags &= ~LCF_COUNTED;
		q->pt->count_conns--;
	}
	loom_dll2_remove(&q->list_pending);	/* off the pt's fdless list */
	loom_dll2_add_tail(&st->list, &c->streams);
	loom_set_timeout(parent, LOOM_TO_NONE, 0);

	return st;
}

/* ... and its request goes out */
static int
h2cl_stream_begin(struct loom_conn *parent, struct loom_conn *q)
{
	return h2cl_stream_make(parent, q) ? loom__h1_client_start(q) : -1;
}

/*
 * A new h2 connection conn takes \p conn's socket (and TLS session), speaks the
 * preface, and gets the requests queued on \p conn; NULL on failure.
 */
static struct loom_conn *
h2cl_conn_new(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	struct loom_h1_client *c = h->cli;
	struct loom_h2_pt *hp = loom__h2_pt(conn->pt);
	struct loom_h2_client *k;
	struct loom_conn *nc;

	if (!hp)
		return NULL;
	nc = loom__conn_create(conn->pt, conn->vhost, &loom_role_ops_h2, NULL, NULL);
	if (!nc)
		return NULL;
	nc->flags |= LCF_CLIENT | LCF_ESTABLISHED;
	/* one allocation: the struct, then its strings */
	k = loom_zalloc(sizeof(*k) + strlen(c->address) + 1 + strlen(c->host) + 1 +
			(c->tls_name ? strlen(c->tls_name) + 1 : 0), "h2 client");
	if (!k || loom__conn_move_fd(conn, nc)) {
		loom_free(k);
		loom__close_now(nc, LOOM_CLOSE_ABNORMAL, "could not take the socket");
		return NULL;
	}
	k->conn = nc;
	k->vhost = c->vhost;
	k->tls = c->tls;
	k->port = c->port;
	k->address = (char *)(k + 1);
	strcpy(k->address, c->address);
	k->host = k->address + strlen(k->address) + 1;
	strcpy(k->host, c->host);
	if (c->tls_name) {
		k->tls_name = k->host + strlen(k->host) + 1;
		strcpy(k->tls_name, c->tls_name);
	}
	if (loom__h2_client_conn_init(nc)) {
		loom_free(k);
		loom__close_now(nc, LOOM_CLOSE_ABNORMAL, "h2 setup failed");
		return NULL;
	}
	loom__h2c(nc)->cli = k;
	loom_dll2_add_tail(&k->list, &hp->clients);
	/* the requests that queued on this one become streams of the connection */
	loom_dll2_remove(&c->live);
	while (c->queue.head) {
		struct loom_dll2 *d = c->queue.head;

		loom_dll2_remove(d);
		loom_dll2_add_tail(d, &k->pending);
	}
	if (k->pending.head)
		loom__h2_want_pass(nc);

	return nc;
}

int
loom__h2_client_take(struct loom_conn *conn)
{
	struct loom_h1_client *c = ((struct loom_h1 *)conn->role_data)->cli;
	struct loom_conn *nc = h2cl_conn_new(conn);

	if (nc && c->ws_h2) {
		/* an extended CONNECT waits for the server's SETTINGS (RFC 8441 3):
		 * the connection's writable pass starts it */
		conn->flags &= ~LCF_ESTABLISHED;	/* not until the 200 */
		loom_dll2_add_tail(&c->qlink, &loom__h2c(nc)->cli->pending);
		loom__h2_want_pass(nc);
		return 0;
	}

	return nc ? h2cl_stream_begin(nc, conn) : -1;
}

/* from the connection's writable pass: queued requests start while they may */
void
loom__h2_client_start_pending(struct loom_conn *conn)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	struct loom_h2_client *k = c->cli;

	while (k && k->pending.head && c->streams.count < c->peer_max_streams &&
	       h2cl_joinable(k)) {
		struct loom_h1_client *qc = loom_container_of(k->pending.head,
						struct loom_h1_client, qlink);
		struct loom_conn *q = qc->conn;

		if (qc->ws_h2 && !(c->flags & H2CF_SETTINGS_IN))
			break;	/* the server's SETTINGS say whether it may go */
		loom_dll2_remove(&qc->qlink);
		if (qc->ws_h2 && !(c->flags & H2CF_PEER_EXT_CONNECT)) {
			q->flags &= ~LCF_ESTABLISHED;	/* CLIENT_CONNECTION_ERROR */
			loom__close_now(q, LOOM_CLOSE_ABNORMAL,
					"ws over h2: the server does not offer it");
			continue;
		}
		if (h2cl_stream_begin(conn, q))
			loom__close_now(q, LOOM_CLOSE_ABNORMAL, "could not start the request");
	}
}

/* a stream went: a queued request may take its place */
void
loom__h2_client_stream_gone(struct loom_conn *s)
{
	struct loom_conn *parent = loom__h2s(s)->parent;
	struct loom_h2_conn *c = loom__h2c(parent);

	if (c && c->cli && c->cli->pending.head)
		loom__h2_want_pass(parent);
}

void
loom__h2_client_conn_closing(struct loom_conn *conn)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	struct loom_h2_client *k = c->cli;

	c->cli = NULL;
	loom_dll2_remove(&k->list);
	/* requests that never got a stream connect again by themselves */
	if (conn->pt->destroying || conn->pt->ctx->destroying)
		while (k->pending.head)
			loom_dll2_remove(k->pending.head);	/* the pt closes them */
	else
		loom__h1_client_requeue(&k->pending);
	loom_free(k);	/* with its strings */
}

static uint32_t
h2cl_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
	       p[3];
}

/*
 * The server did not process this request (GOAWAY above its last id, or
 * REFUSED_STREAM): it is safe to send again, and goes out on a new conn (the
 * user's conn changes, as on a redirect, and it counts as one against
 * LOOM_HTTP_MAX_REDIRECTS, so a server that always refuses ends it).
 */
void
loom__h2_client_refused(struct loom_conn *s, const char *why)
{
	struct loom_h2_stream *st = loom__h2s(s);

	st->sflags |= H2SF_RESET;	/* the server forgot it already */
	if (st->h1.cli->redirects >= LOOM_HTTP_MAX_REDIRECTS ||
	    (st->h1.cli->redirects++, loom__h1_client_restart(s)))
		loom__close_now(s, LOOM_CLOSE_ABNORMAL, why);
}

/*
 * GOAWAY: no new streams here. Streams above the server's last stream id were
 * not processed (RFC 9113 6.8): each is sent again; the rest finish here.
 */
int
loom__h2_client_goaway(struct loom_conn *conn, int ev, const uint8_t *p, size_t len)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	struct loom_dll2 *d, *next;
	uint32_t last;

	if (ev != LOOM_H2R_PAYLOAD || len != 8 || !c->cli)
		return 0;	/* the debug data, or the pieces of a later one */
	last = h2cl_be32(p) & 0x7fffffffu;
	loom_clog_info(conn, "h2: GOAWAY %s, last stream %u",
		       loom__h2_err_name(h2cl_be32(p + 4)), (unsigned int)last);
	loom_dll2_remove(&c->cli->list);	/* no one joins any more */
	for (d = c->streams.head; d; d = next) {
		struct loom_h2_stream *st = loom_container_of(d, struct loom_h2_stream, list);

		next = d->next;
		if ((st->sid && st->sid <= last) || (st->sflags & H2SF_DONE) ||
		    st->conn->role != &loom_role_ops_h2s)
			continue;	/* (a ws over h2 is closed by its own GOAWAY code) */
		loom__h2_client_refused(st->conn, "refused by GOAWAY");
		next = c->streams.head;	/* the list changed under us: start over */
	}

	return 0;
}

/* ---- the request head as HPACK ---- */

static int
h2cl_name_skip(const char *n, size_t nl)
{
	static const char *const hop[] = {
		"host", "connection", "keep-alive", "proxy-connection",
		"transfer-encoding", "upgrade", "te"
	};
	size_t i;

	for (i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (strlen(hop[i]) == nl && !memcmp(hop[i], n, nl))
			return 1;

	return 0;
}

/* encode a field, or with \p list only add up its RFC 9113 6.5.2 size */
static int
h2cl_field(struct loom_h2_conn *c, uint8_t *f, size_t max, size_t *n, const char *name,
	   size_t nl, const char *v, size_t vl, uint64_t *list)
{
	int k;

	if (list) {
		*list += nl + vl + 32;
		return 0;
	}
	k = loom__hpack_enc_field(&c->enc, f + *n, max - *n, name, nl, v, vl, 0);
	if (k < 0)
		return -1;
	*n += (size_t)k;

	return 0;
}

/* the h1 text the client code built ("GET /p HTTP/1.1\r\nHost: h\r\n...") as HEADERS */
int
loom__h2_client_headers_out(struct loom_conn *s, int end_stream)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h2_conn *c = loom__h2c(st->parent);
	struct loom_h1_ah *ah = st->h1.ah;
	const char *t = (const char *)ah->resp + LOOM_PRE, *end = t + ah->resp_len;
	const char *sp1, *sp2, *eol, *auth = NULL, *l;
	uint8_t sb[4096], *f;
	size_t n = 9, authl = 0, fl;
	uint64_t list = 0, *lp;
	char name[128];
	int k, r = -1, pass;

	eol = memchr(t, '\r', (size_t)(end - t));
	sp1 = eol ? memchr(t, ' ', (size_t)(eol - t)) : NULL;
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (!sp2)
		return -1;
	/* :authority from the Host line the client code always writes */
	for (l = eol + 2; l < end && !auth; ) {
		const char *le = memchr(l, '\r', (size_t)(end - l));

		if (!le)
			break;
		if (le - l > 5 && (l[0] | 0x20) == 'h' && (l[1] | 0x20) == 'o' &&
		    (l[2] | 0x20) == 's' && (l[3] | 0x20) == 't' && l[4] == ':') {
			auth = l + 5;
			while (auth < le && *auth == ' ')
				auth++;
			authl = (size_t)(le - auth);
		}
		l = le + 2;
	}
	if (!auth)
		return -1;
	/* the pseudo-header fields come on top of the text's lines */
	f = loom__h2_block_room(t, ah->resp_len, 6, sb, sizeof(sb), &fl);
	if (!f)
		return -1;
	/*
	 * Pass 0 adds up the header list's size and checks it against the server's
	 * SETTINGS_MAX_HEADER_LIST_SIZE (RFC 9113 6.5.2): a request past it fails
	 * alone, before the HPACK encoder's table is touched. Pass 1 encodes.
	 */
	for (pass = 0; pass < 2; pass++) {
		lp = pass ? NULL : &list;
		if (pass) {
			if (c->peer_max_hlist && list > c->peer_max_hlist) {
				loom_clog_err(s, "h2: the request's header list is "
					      "%llu bytes, the server takes %u "
					      "(SETTINGS_MAX_HEADER_LIST_SIZE)",
					      (unsigned long long)list,
					      (unsigned int)c->peer_max_hlist);
				goto bail;
			}
			k = loom__hpack_enc_block_start(&c->enc, f + n, fl - n);
			if (k < 0)
				goto bail;
			n += (size_t)k;
		}
		if (h2cl_field(c, f, fl, &n, ":method", 7, t, (size_t)(sp1 - t), lp) ||
		    (st->h1.cli && st->h1.cli->ws_h2 &&
		     h2cl_field(c, f, fl, &n, ":protocol", 9, "websocket", 9, lp)) ||
		    h2cl_field(c, f, fl, &n, ":scheme", 7,
			       st->parent->tls ? "https" : "http",
			       st->parent->tls ? 5 : 4, lp) ||
		    h2cl_field(c, f, fl, &n, ":authority", 10, auth, authl, lp) ||
		    h2cl_field(c, f, fl, &n, ":path", 5, sp1 + 1,
			       (size_t)(sp2 - sp1 - 1), lp))
			goto bail;
		for (l = eol + 2; l < end; ) {
			const char *le = memchr(l, '\r', (size_t)(end - l)), *colon, *v;
			size_t nl, i;

			if (!le)
				le = end;
			colon = memchr(l, ':', (size_t)(le - l));
			if (!colon)
				break;
			nl = (size_t)(colon - l);
			for (v = colon + 1; v < le && *v == ' '; v++)
				;
			if (nl >= sizeof(name))
				goto bail;
			for (i = 0; i < nl; i++)	/* h2 field names are lowercase */
				name[i] = (char)(l[i] >= 'A' && l[i] <= 'Z' ?
						 l[i] + 32 : l[i]);
			if (!h2cl_name_skip(name, nl) &&
			    h2cl_field(c, f, fl, &n, name, nl, v, (size_t)(le - v), lp))
				goto bail;
			l = le + 2;
		}
	}
	st->sid = c->next_sid;
	c->next_sid += 2;
	st->sflags |= H2SF_HEADERS_SENT;
	loom_clog_debug(s, "h2: request on stream %u", (unsigned int)st->sid);
	r = loom__h2_headers_frames_out(st->parent, f, n - 9, st->sid, end_stream);
bail:
	if (f != sb)
		loom_free(f);

	return r;
}

/* the request's last byte went to the HTTP code: now the response */
void
loom__h2_client_request_done(struct loom_conn *s)
{
	struct loom_h1 *h = &loom__h2s(s)->h1;

	h->resp = H1R_DONE;
	if (h->state == H1S_CLIENT_SEND)
		h->state = H1S_CLIENT_HEAD;
}

/*
 * END_STREAM of the request went (maybe after DATA held by flow control, whose
 * stall timeout replaced the stream's): the response must come in time
 */
void
loom__h2_client_wait_response(struct loom_conn *s)
{
	const struct loom_http_vh *hv = loom__http_vh(s->vhost);
	struct loom_h1 *h = &loom__h2s(s)->h1;

	loom_set_timeout(s, LOOM_TO_AWAITING_RX, (int)(h->state == H1S_CLIENT_BODY ?
						       hv->body_to : hv->head_to));
}

/* ---- the response ---- */

struct h2cl_resp {
	struct loom_h2_pt *hp;
	size_t flen;			/* bytes of hp->fields used */
	char status[3];
	uint8_t have_status;
	uint8_t regular;		/* a regular field came: no more pseudo */
	uint8_t malformed;
};

static int
h2cl_resp_field(void *opaque, const char *name, size_t nl, const char *value,
		size_t vl, unsigned int flags)
{
	struct h2cl_resp *r = opaque;
	size_t i;

	(void)flags;
	if (r->malformed)
		return 0;	/* keep decoding: the table must stay in step */
	if (nl && name[0] == ':') {
		if (r->regular || r->have_status || nl != 7 || memcmp(name, ":status", 7) ||
		    vl != 3)
			goto bad;
		for (i = 0; i < 3; i++)
			if (value[i] < '0' || value[i] > '9')
				goto bad;
		memcpy(r->status, value, 3);
		r->have_status = 1;
		return 0;
	}
	r->regular = 1;
	if (!nl)
		goto bad;
	for (i = 0; i < nl; i++) {
		uint8_t ch = (uint8_t)name[i];

		if ((ch >= 'A' && ch <= 'Z') || !(loom__http_ctype[ch] & LOOM_HTTP_C_TCHAR))
			goto bad;
	}
	for (i = 0; i < vl; i++)
		if (!value[i] || value[i] == '\r' || value[i] == '\n')
			goto bad;
	if ((nl == 10 && !memcmp(name, "connection", 10)) ||
	    (nl == 17 && !memcmp(name, "transfer-encoding", 17)))
		goto bad;	/* connection-specific fields (RFC 9113 8.2.2) */
	if (loom__h2_field_as_h1(r->hp->fields, r->hp->fields_len, &r->flen, name, nl, value, vl))
		goto bad;

	return 0;
bad:
	r->malformed = 1;

	return 0;
}

/* the response head through the h1 response parser, as "HTTP/1.1 NNN \r\n..." */
static int
h2cl_parse_head(struct loom_h1_ah *ah, struct h2cl_resp *r)
{
	char line[16];
	size_t used;
	int pr;

	memcpy(line, "HTTP/1.1 ", 9);
	memcpy(line + 9, r->status, 3);
	memcpy(line + 12, " \r\n", 3);
	pr = loom__http_parse(&ah->p, (const uint8_t *)line, 15, &used);
	if (pr == LOOM_HP_MORE && r->flen)
		pr = loom__http_parse(&ah->p, r->hp->fields, r->flen, &used);
	if (pr == LOOM_HP_MORE)
		pr = loom__http_parse(&ah->p, (const uint8_t *)"\r\n", 2, &used);

	return pr == LOOM_HP_DONE ? 0 : -1;
}

static int
h2cl_head(struct loom_conn *s, struct h2cl_resp *r, int end_stream)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h1 *h = &st->h1;
	struct loom_h1_ah *ah = h->ah;
	const struct loom_http_vh *hv = loom__http_vh(s->vhost);

	if (h2cl_parse_head(ah, r)) {
		loom__h2s_reset(s, LOOM_H2_ERR_PROTOCOL_ERROR, "bad response head");
		return 0;
	}
	if (ah->p.status < 200) {
		/* interim (100, 103): the real head follows on the same stream */
		uint8_t was_head = ah->p.request_was_head;

		if (end_stream || ah->p.status == 101) {
			loom__h2s_reset(s, LOOM_H2_ERR_PROTOCOL_ERROR, "bad interim response");
			return 0;
		}
		loom__http_parser_init(&ah->p, LOOM_HTTP_PARSE_RESPONSE, ah->p.buf,
				       ah->p.buf_len, ah->hdrs, &hv->lim);
		ah->p.request_was_head = was_head;
		return 0;
	}
#if defined(LOOM_WITH_WS)
	if (h->cli && h->cli->ws_h2)	/* our extended CONNECT's answer */
		return loom__ws_h2_client_head(s, end_stream);
#endif
	h->state = H1S_CLIENT_BODY;
	if (ah->p.body_kind == LOOM_HTTP_BODY_LENGTH) {
		st->sflags |= H2SF_HAVE_CL;
		st->cl = ah->p.content_length;
	}
	switch (loom__h1_client_follow_redirect(s)) {
	case 1:
		return 0;	/* the request goes on elsewhere; this stream closes */
	case -1:
		loom__h2s_reset(s, LOOM_H2_ERR_CANCEL, "redirect failed");
		return 0;
	}
	s->flags |= LCF_ESTABLISHED;
	if (loom__user_callback(s, LOOM_CB_ESTABLISHED_CLIENT_HTTP, NULL, 0)) {
		loom__h2s_reset(s, LOOM_H2_ERR_CANCEL, "response refused");
		return 0;
	}
	if (s->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE))
		return 0;
	loom_set_timeout(s, LOOM_TO_AWAITING_RX, (int)hv->body_to);
	if (end_stream)
		loom__h2s_remote_end(s);

	return 0;
}

/* a complete header block from the server; nonzero ends the connection */
int
loom__h2_client_headers_block(struct loom_conn *conn, uint32_t sid,
			      const uint8_t *blk, size_t len, uint8_t flags, uint32_t err)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	int end_stream = !!(flags & LOOM_H2_FL_END_STREAM), rd;
	struct loom_h2_stream *st;
	struct h2cl_resp r;
	struct loom_conn *s;

	if (!(sid & 1) || loom__h2_sid_idle(c, sid))
		return loom__h2_conn_error(conn, LOOM_H2_ERR_PROTOCOL_ERROR,
					   "HEADERS on a stream we did not open");
	memset(&r, 0, sizeof(r));
	r.hp = conn->pt->h2_pt;
	/* decoded whatever the stream's state: the table must follow the server's */
	rd = loom__hpack_decode(&c->dec, blk, len, r.hp->hscratch, r.hp->hscratch_len,
				h2cl_resp_field, &r);
	if (LOOM_HPACK_IS_CONN_ERROR(rd))
		return loom__h2_conn_error(conn, LOOM_H2_ERR_COMPRESSION_ERROR, "HPACK");
	s = loom__h2_find_stream(c, sid);
	if (!s)
		return 0;	/* a stream we reset: its frames may still come */
	st = loom__h2s(s);
	if (st->sflags & (H2SF_RESET | H2SF_DONE))
		return 0;
	if (st->sflags & H2SF_REMOTE_ENDED) {
		loom__h2s_reset(s, LOOM_H2_ERR_STREAM_CLOSED, "HEADERS after END_STREAM");
		return 0;
	}
	if (err) {
		loom__h2s_reset(s, err, "bad HEADERS frame");
		return 0;
	}
	if (rd == LOOM_HPACK_E_TOO_BIG) {
		loom__h2s_reset(s, LOOM_H2_ERR_CANCEL, "response head too large");
		return 0;
	}
	if (st->h1.state == H1S_CLIENT_BODY) {
		/* trailers: they end the stream, and carry no pseudo-header */
		if (!end_stream || r.malformed || r.have_status) {
			loom__h2s_reset(s, LOOM_H2_ERR_PROTOCOL_ERROR, "bad trailers");
			return 0;
		}
		if (st->rx_held)
			st->sflags |= H2SF_END_HELD;
		else
			loom__h2s_remote_end(s);
		return 0;
	}
	if (r.malformed || !r.have_status) {
		loom__h2s_reset(s, LOOM_H2_ERR_PROTOCOL_ERROR, "malformed response head");
		return 0;
	}

	return h2cl_head(s, &r, end_stream);
}

/* response body bytes for the user; 1 when the stream was reset */
int
loom__h2_client_deliver(struct loom_conn *s, const uint8_t *buf, size_t len)
{
	struct loom_h1 *h = &loom__h2s(s)->h1;

	if (h->state != H1S_CLIENT_BODY) {
		loom__h2s_reset(s, LOOM_H2_ERR_PROTOCOL_ERROR, "DATA before the response head");
		return 1;
	}
	loom_set_timeout(s, LOOM_TO_AWAITING_RX, (int)loom__http_vh(s->vhost)->body_to);
	if (loom__user_callback(s, LOOM_CB_RECEIVE_CLIENT_HTTP, (void *)(uintptr_t)buf,
				len)) {
		loom__h2s_reset(s, LOOM_H2_ERR_CANCEL, "response body refused");
		return 1;
	}

	return 0;
}

/* END_STREAM from the server: the response is complete */
int
loom__h2_client_remote_end(struct loom_conn *s)
{
	struct loom_h2_stream *st = loom__h2s(s);
	struct loom_h1 *h = &st->h1;

	if (h->state != H1S_CLIENT_BODY) {
		loom__h2s_reset(s, LOOM_H2_ERR_PROTOCOL_ERROR,
				"stream ended before the response head");
		return 1;
	}
	loom_set_timeout(s, LOOM_TO_NONE, 0);
	h->state = H1S_IDLE;
	loom__user_callback(s, LOOM_CB_COMPLETED_CLIENT_HTTP, NULL, 0);
	if (s->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE))
		return 0;
	if (!(st->sflags & H2SF_LOCAL_ENDED)) {
		/* answered before the request body ended: the rest is not wanted */
		st->sflags |= H2SF_RESET;
		loom__h2_send_rst(st->parent, st->sid, LOOM_H2_ERR_CANCEL);
	}
	loom__h2s_finish(s);

	return 0;
}

struct loom_conn *
loom_h2_network_conn(const struct loom_conn *conn)
{
	return loom_conn_is_h2_stream(conn) ? loom__h2s(conn)->parent : NULL;
}

/* ---- h2c by upgrade (RFC 7540 3.2) ---- */

int
loom__h2_client_upgrade_settings(const struct loom_vhost *vh, char *out, size_t max)
{
	static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789-_";
	uint16_t ids[LOOM_H2_OUR_SETTINGS];
	uint32_t vals[LOOM_H2_OUR_SETTINGS];
	uint8_t p[6 * LOOM_H2_OUR_SETTINGS];
	int k = loom__h2_our_settings(vh, 1, ids, vals), i;
	size_t n = 0, o = 0, pl = 0;

	for (i = 0; i < k; i++) {
		p[pl++] = (uint8_t)(ids[i] >> 8);
		p[pl++] = (uint8_t)ids[i];
		p[pl++] = (uint8_t)(vals[i] >> 24);
		p[pl++] = (uint8_t)(vals[i] >> 16);
		p[pl++] = (uint8_t)(vals[i] >> 8);
		p[pl++] = (uint8_t)vals[i];
	}
	/* base64url without padding (the token68 of HTTP2-Settings) */
	if ((pl + 2) / 3 * 4 + 1 > max)
		return -1;
	for (n = 0; n < pl; n += 3) {
		uint32_t v = (uint32_t)p[n] << 16;

		if (n + 1 < pl)
			v |= (uint32_t)p[n + 1] << 8;
		if (n + 2 < pl)
			v |= p[n + 2];
		out[o++] = b64u[(v >> 18) & 63];
		out[o++] = b64u[(v >> 12) & 63];
		if (n + 1 < pl)
			out[o++] = b64u[(v >> 6) & 63];
		if (n + 2 < pl)
			out[o++] = b64u[v & 63];
	}
	out[o] = '\0';

	return (int)o;
}

/* does the Upgrade header the server answered with name h2c? */
static int
h2cl_upgrade_is_h2c(struct loom_conn *conn)
{
	char up[32];
	int n = loom_hdr_copy(conn, up, sizeof(up), LOOM_HDR_UPGRADE);

	return n == 3 && (up[0] | 0x20) == 'h' && up[1] == '2' && (up[2] | 0x20) == 'c';
}

int
loom__h2_client_upgraded(struct loom_conn *conn, const uint8_t *rest, size_t len)
{
	struct loom_h1 *h = conn->role_data;
	const struct loom_http_vh *hv = loom__http_vh(conn->vhost);
	struct loom_h1_ah *ah = h->ah;
	uint8_t was_head = ah->p.request_was_head;
	struct loom_h2_stream *st;
	struct loom_conn *nc;

	if (!h2cl_upgrade_is_h2c(conn)) {
		loom_clog_info(conn, "101 to something other than h2c");
		return -1;
	}
	/* the response comes again, as h2 HEADERS on stream 1 */
	loom__http_parser_init(&ah->p, LOOM_HTTP_PARSE_RESPONSE, ah->p.buf, ah->p.buf_len,
			       ah->hdrs, &hv->lim);
	ah->p.request_was_head = was_head;
	h->cli->h2 = H1C_H2_DIRECT;
	nc = h2cl_conn_new(conn);
	if (!nc)
		return -1;
	st = h2cl_stream_make(nc, conn);
	if (!st)
		return -1;
	/* the request went out as HTTP/1.1: it is stream 1, half-closed (local) */
	st->sid = 1;
	loom__h2c(nc)->next_sid = 3;
	st->sflags |= H2SF_HEADERS_SENT | H2SF_LOCAL_ENDED;
	st->h1.state = H1S_CLIENT_HEAD;
	st->h1.resp = H1R_DONE;
	loom_clog_info(nc, "h2: upgraded from HTTP/1.1 (h2c)");
	loom__h2_client_feed(nc, rest, len);

	return 0;
}
