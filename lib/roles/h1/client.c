/*
 * client.c: the HTTP/1.1 client side of the h1 role: the request head (with the
 * user's headers), an optional request body by length or chunked, and the
 * response parsed with the same parser as requests: head, then a body delimited by
 * length, chunked coding or the close.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/http/private-http.h"

#include <stdio.h>


static struct loom_h1 *
conn_h1c(struct loom_conn *conn)
{
	/* an h2 client stream's role_data starts with its struct loom_h1 too */
	if (!conn || !loom__conn_is_http(conn) || !conn->role_data ||
	    !(conn->flags & LCF_CLIENT))
		return NULL;

	return conn->role_data;
}

static int
h1c_queue_or_register(struct loom_conn *conn, struct loom_h1_client *c,
		      const struct loom_client_connect_info *i);

/* requests queued on a conn that goes away: each connects by itself again (the
 * first becomes the live conn the rest queue on), unless the context is ending */
static void
h1c_requeue(struct loom_h1_client *c)
{
	while (c->queue.head) {
		struct loom_h1_client *qc = loom_container_of(c->queue.head,
						struct loom_h1_client, qlink);
		struct loom_conn *q = qc->conn;

		loom_dll2_remove(&qc->qlink);
		if (q->pt->ctx->destroying || q->pt->destroying)
			continue;	/* the pt's fdless list closes it */
		if (loom__h1_client_restart(q))
			loom__close_now(q, LOOM_CLOSE_ABNORMAL, "could not reconnect");
	}
}

void
loom__h1_client_requeue(struct loom_dll2_owner *queue)
{
	struct loom_h1_client tmp;

	/* h1c_requeue() walks a client's queue: lend it this one */
	memset(&tmp, 0, sizeof(tmp));
	while (queue->head) {
		struct loom_dll2 *d = queue->head;

		loom_dll2_remove(d);
		loom_dll2_add_tail(d, &tmp.queue);
	}
	h1c_requeue(&tmp);
}

void
loom__h1_client_free(struct loom_h1 *h)
{
	struct loom_h1_client *c = h->cli;

	if (!c)
		return;
	loom_dll2_remove(&c->live);
	loom_dll2_remove(&c->qlink);
	h1c_requeue(c);
	loom_free(c);	/* its strings are in the same allocation */
	h->cli = NULL;
}

#if defined(LOOM_WITH_H2)
/* does the comma list of ALPN ids offer "h2"? */
static int
h1c_alpn_has_h2(const char *l)
{
	while (*l) {
		size_t n;

		while (*l == ' ' || *l == ',')
			l++;
		n = strcspn(l, ", ");
		if (n == 2 && !strncmp(l, "h2", 2))
			return 1;
		l += n;
	}

	return 0;
}
#endif

const char *
loom__h1_client_tls_name(const struct loom_client_connect_info *i)
{
	if (!i->tls)
		return NULL;
	if (i->tls->server_name)
		return i->tls->server_name;
	if (i->host)
		return i->host;

	return strncmp(i->address, "unix:", 5) ? i->address : NULL;
}

/* copy \p v to *p (inside the client's own allocation) and step past it */
static char *
h1c_put(char **p, const char *v)
{
	char *r = *p;
	size_t n;

	if (!v)
		return NULL;
	n = strlen(v) + 1;
	memcpy(r, v, n);
	*p += n;

	return r;
}

#define H1C_SLEN(v) ((v) ? strlen(v) + 1 : 0)

int
loom__h1_client_bind(struct loom_conn *conn, const struct loom_client_connect_info *i)
{
	struct loom_h1 *h = loom_zalloc(sizeof(*h), "h1");
	struct loom_h1_client *c;
	const char *method = i->method, *path = i->path ? i->path : "/",
		   *wsp = NULL, *wso = NULL, *tls_name = loom__h1_client_tls_name(i);
	char host[300], *s;
	const char *m;

	if (!h)
		return LOOM_ENOMEM;
#if defined(LOOM_WITH_H2) && defined(LOOM_WITH_WS)
	if ((i->flags & LOOM_CONNECT_WS) && (i->flags & LOOM_CONNECT_WS_H2)) {
		method = "CONNECT";	/* extended CONNECT (RFC 8441) on an h2 stream */
		wsp = i->ws_protocol;
		wso = i->ws_origin;
	}
#endif
	h->file_fd = -1;
	conn->role_data = h;
	for (m = method; *m; m++)
		if (!(loom__http_ctype[(uint8_t)*m] & LOOM_HTTP_C_TCHAR))
			return LOOM_EINVAL;
	if (i->host)
		snprintf(host, sizeof(host), "%s", i->host);
	else if (strchr(i->address, ':') && strncmp(i->address, "unix:", 5))
		snprintf(host, sizeof(host), "[%s]:%d", i->address, i->port);
	else if (!strncmp(i->address, "unix:", 5))
		snprintf(host, sizeof(host), "localhost");
	else if (i->port == 80 || (i->tls && i->port == 443))
		snprintf(host, sizeof(host), "%s", i->address);
	else
		snprintf(host, sizeof(host), "%s:%d", i->address, i->port);
	/* one allocation: the struct, then every string it keeps */
	c = loom_zalloc(sizeof(*c) + H1C_SLEN(method) + H1C_SLEN(path) + strlen(host) + 1 +
			H1C_SLEN(i->address) + H1C_SLEN(wsp) + H1C_SLEN(wso) +
			H1C_SLEN(tls_name) + H1C_SLEN(i->proxy) + H1C_SLEN(i->iface) +
			H1C_SLEN(i->iface_name), "h1 client");
	if (!c)
		return LOOM_ENOMEM;
	h->cli = c;
	c->body_len = -2;
	s = (char *)(c + 1);
	c->method = h1c_put(&s, method);
	c->path = h1c_put(&s, path);
	c->host = h1c_put(&s, host);
	c->address = h1c_put(&s, i->address);
	c->ws_protocols = h1c_put(&s, wsp);
	c->ws_origin = h1c_put(&s, wso);
	c->tls_name = h1c_put(&s, tls_name);
	c->proxy = h1c_put(&s, i->proxy);
	c->iface = h1c_put(&s, i->iface);
	c->iface_name = h1c_put(&s, i->iface_name);
	c->timeout_ms = i->timeout_ms;
	c->addr_timeout_ms = i->addr_timeout_ms;
	c->dns_flags = i->dns_flags;
	c->port = i->port;
	c->flags = i->flags;
	c->conn = conn;
	c->vhost = conn->vhost;
	if (i->tls) {
#if defined(LOOM_WITH_TLS)
		/* the shared context copies what the caller's info points to */
		c->tls = loom__tls_client_ctx_for(conn->pt->ctx, i->tls, 1);
		if (!c->tls)
			return LOOM_EINVAL;
		c->tls_hs_timeout_ms = i->tls->handshake_timeout_ms;
#else
		loom_clog_err(conn, "TLS asked for, but this build has no TLS "
			      "(LOOM_WITH_TLS=none)");
		return LOOM_EUNSUPP;
#endif
	}
#if defined(LOOM_WITH_H2)
	/* h2 when TLS offers it by ALPN, or by prior knowledge on a plain conn */
	if (i->tls ? i->tls->alpn && h1c_alpn_has_h2(i->tls->alpn) :
		     !!(i->flags & LOOM_CONNECT_H2_PRIOR_KNOWLEDGE))
		c->h2 = H1C_H2_DIRECT;
	else if (!i->tls && (i->flags & LOOM_CONNECT_H2C_UPGRADE))
		c->h2 = H1C_H2_UPGRADE;
#endif
	for (m = c->path; *m; m++)
		if (!(loom__http_ctype[(uint8_t)*m] & LOOM_HTTP_C_TARGET))
			return LOOM_EINVAL;	/* no spaces, CR or LF in the target */
	/* what goes into header values: no CR, LF or other controls */
	if (!loom__http_value_ok(c->host) ||
	    (c->ws_protocols && !loom__http_value_ok(c->ws_protocols)) ||
	    (c->ws_origin && !loom__http_value_ok(c->ws_origin)))
		return LOOM_EINVAL;
#if defined(LOOM_WITH_H2) && defined(LOOM_WITH_WS)
	if (method != i->method) {
		if (!i->tls)
			c->h2 = H1C_H2_DIRECT;	/* h2c by prior knowledge */
		if (c->h2 != H1C_H2_DIRECT || i->proxy) {
			loom_clog_err(conn, "ws over h2: TLS must offer h2 by ALPN, and no proxy");
			return LOOM_EINVAL;
		}
		c->ws_h2 = 1;
		c->ws_max_message = i->ws_max_message;
	}
#endif

	return h1c_queue_or_register(conn, c, i);
}

/* the request's TLS info again, for another connect (NULL when plain) */
static const struct loom_tls_client_info *
h1c_tls_info(const struct loom_h1_client *c, struct loom_tls_client_info *ti)
{
#if defined(LOOM_WITH_TLS)
	if (c->tls) {
		*ti = *loom__tls_client_ctx_info(c->tls);
		ti->server_name = c->tls_name;
		ti->handshake_timeout_ms = c->tls_hs_timeout_ms;
		return ti;
	}
#else
	(void)ti;
#endif

	return NULL;
}

/*
 * A redirect or a restart connects the way the caller asked to: through the same
 * proxy (or none), from the same local address and interface, with the same
 * address families and timeouts (as curl: the proxy applies to every hop); and
 * the same thread, vhost, protocol and user data.
 */
static void
h1c_carry(const struct loom_conn *conn, const struct loom_h1_client *c,
	  struct loom_client_connect_info *ci)
{
	ci->context = conn->pt->ctx;
	ci->vhost = conn->vhost;
	ci->tsi = conn->pt->tsi;
	ci->flags = c->flags;
	ci->proxy = c->proxy;
	ci->iface = c->iface;
	ci->iface_name = c->iface_name;
	ci->timeout_ms = c->timeout_ms;
	ci->addr_timeout_ms = c->addr_timeout_ms;
	ci->dns_flags = c->dns_flags;
	ci->protocol = conn->protocol ? conn->protocol->name : NULL;
	ci->opaque_user_data = conn->opaque_user_data;
	ci->userdata = (conn->flags & LCF_USER_ALLOCED) ? conn->user_space : NULL;
}

static int
h1c_lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
}

/* ASCII names equal in any case (host names, header names) */
static int
h1c_caseeq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (h1c_lower((unsigned char)*a) != h1c_lower((unsigned char)*b))
			return 0;

	return *a == *b;
}

static int
h1c_streq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* same server, same TLS (or none) and h2 wish, and still able to carry another */
static int
h1c_same_server(const struct loom_h1_client *a, const struct loom_h1_client *b)
{
	return a->vhost == b->vhost && a->port == b->port && a->tls == b->tls &&
	       h1c_streq(a->tls_name, b->tls_name) && a->h2 == b->h2 &&
	       !strcmp(a->address, b->address) && !strcmp(a->host, b->host) &&
	       h1c_streq(a->iface, b->iface) && h1c_streq(a->iface_name, b->iface_name) &&
	       !(a->conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE));
}

/*
 * A plain request to a server we already have a client conn to waits for that
 * conn's socket (HTTP/1.1 keep-alive) instead of opening another: 1 = queued.
 * Otherwise the conn registers so later requests can queue on it.
 */
static int
h1c_queue_or_register(struct loom_conn *conn, struct loom_h1_client *c,
		      const struct loom_client_connect_info *i)
{
	struct loom_http_pt *hp = loom__http_pt(conn->pt);
	struct loom_dll2 *d;

	if (!hp)
		return LOOM_ENOMEM;
	/* plain direct conns are shared (keep-alive), and TLS ones that may go h2 */
	if (i->proxy || (i->tls && !c->h2))
		return 0;
#if defined(LOOM_WITH_H2)
	if (c->h2) {
		int r = loom__h2_client_bind(conn, c);

		if (r)
			return r;	/* a stream of a live h2 conn soon */
	}
#endif
	for (d = hp->clients.head; d; d = d->next) {
		struct loom_h1_client *live = loom_container_of(d, struct loom_h1_client,
								live);

		if (h1c_same_server(live, c)) {
			loom_dll2_add_tail(&c->qlink, &live->queue);
			loom_clog_debug(conn, "queued behind a conn to %s:%d", c->address,
					c->port);
			return 1;
		}
	}
	loom_dll2_add_tail(&c->live, &hp->clients);

	return 0;
}

/* a queued request whose live conn closed: connect again as a new conn */
int
loom__h1_client_restart(struct loom_conn *q)
{
	struct loom_h1 *h = q->role_data;
	struct loom_h1_client *c = h->cli;
	struct loom_client_connect_info ci;
	struct loom_tls_client_info ti;
	struct loom_conn *nc = NULL;
	struct loom_h1 *nh;

	memset(&ci, 0, sizeof(ci));
	h1c_carry(q, c, &ci);
	ci.address = c->address;
	ci.port = c->port;
	ci.host = c->host;
	ci.path = c->path;
	ci.method = c->method;
	ci.ws_protocol = c->ws_protocols;
	ci.ws_origin = c->ws_origin;
	ci.ws_max_message = c->ws_max_message;
	ci.tls = h1c_tls_info(c, &ti);
	ci.pconn = &nc;
	if (!loom_client_connect(&ci) || !nc)
		return -1;
	nh = nc->role_data;
	nh->cli->redirects = c->redirects;
	nh->cli->cross_origin = c->cross_origin;
	if (!(q->flags & LCF_USER_ALLOCED) && q->protocol &&
	    q->protocol->per_session_data_size && nc->user_space && q->user_space)
		memcpy(nc->user_space, q->user_space, q->protocol->per_session_data_size);
	/* the queued conn leaves without a word: the new one carries the request */
	q->protocol = NULL;
	loom__close_now(q, LOOM_CLOSE_NORMAL, "requeued");

	return 0;
}

/*
 * The response is complete and the server keeps the connection: the first queued
 * request takes the socket and goes out at once. 1 when handed over.
 */
static int
h1c_hand_over(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	struct loom_h1_client *c = h->cli, *qc;
	struct loom_pt *pt = conn->pt;
	struct loom_conn *q;

	if (!c->queue.head || conn->fd < 0 || !h->ah->p.keepalive ||
	    h->ah->p.body_kind == LOOM_HTTP_BODY_UNTIL_CLOSE)
		return 0;
	qc = loom_container_of(c->queue.head, struct loom_h1_client, qlink);
	q = qc->conn;
	loom_dll2_remove(&qc->qlink);
	/* the rest of the queue now waits on q, in order */
	while (c->queue.head) {
		struct loom_dll2 *d = c->queue.head;

		loom_dll2_remove(d);
		loom_dll2_add_tail(d, &qc->queue);
	}
	loom_dll2_remove(&c->live);
	loom_dll2_add_tail(&qc->live, &loom__http_pt(pt)->clients);

	loom_dll2_remove(&q->list_pending);	/* off the fdless list */
	if (loom__conn_move_fd(conn, q)) {
		loom__close_now(q, LOOM_CLOSE_ABNORMAL, "could not take over the socket");
		return 1;
	}
	loom_clog_debug(q, "reusing the connection for the next request");
	loom__client_established(q);

	return 1;
}

static int
req_append(struct loom_h1_ah *ah, const char *s, size_t len)
{
	if (ah->resp_len + len > LOOM_HTTP_RESP_HDR_MAX - 2)
		return LOOM_ELIMIT;
	memcpy(ah->resp + LOOM_PRE + ah->resp_len, s, len);
	ah->resp_len += (uint32_t)len;

	return 0;
}

int
loom_http_client_add_header(struct loom_conn *conn, const char *name, const char *value)
{
	struct loom_h1 *h = conn_h1c(conn);
	const char *c;
	int r;

	if (!h || !h->cli || !h->cli->in_append || !name || !*name || !value)
		return LOOM_EINVAL;
	for (c = name; *c; c++)
		if (!(loom__http_ctype[(uint8_t)*c] & LOOM_HTTP_C_TCHAR))
			return LOOM_EINVAL;
	for (c = value; *c; c++)
		if (!(loom__http_ctype[(uint8_t)*c] & LOOM_HTTP_C_VALUE))
			return LOOM_EINVAL;
	if (h->cli->cross_origin && (h1c_caseeq(name, "authorization") ||
				     h1c_caseeq(name, "cookie"))) {
		/* the caller's credentials stay with the origin it asked */
		loom_clog_info(conn, "redirected to another origin: %s not sent", name);
		return 0;
	}
	r = req_append(h->ah, name, strlen(name));
	if (!r)
		r = req_append(h->ah, ": ", 2);
	if (!r)
		r = req_append(h->ah, value, strlen(value));
	if (!r)
		r = req_append(h->ah, "\r\n", 2);

	return r;
}

int
loom_http_client_body(struct loom_conn *conn, int64_t len)
{
	struct loom_h1 *h = conn_h1c(conn);

	if (!h || !h->cli || !h->cli->in_append || len < LOOM_HTTP_LEN_UNKNOWN)
		return LOOM_EINVAL;
	h->cli->body_len = len;

	return 0;
}

/* the WebSocket fields of an extended CONNECT (RFC 8441 5) */
static int
h1c_ws_h2_head(struct loom_h1_ah *ah, const struct loom_h1_client *c)
{
	if (req_append(ah, "Sec-WebSocket-Version: 13\r\n", 27))
		return -1;
	if (c->ws_protocols && (req_append(ah, "Sec-WebSocket-Protocol: ", 24) ||
				req_append(ah, c->ws_protocols, strlen(c->ws_protocols)) ||
				req_append(ah, "\r\n", 2)))
		return -1;
	if (c->ws_origin && (req_append(ah, "Origin: ", 8) ||
			     req_append(ah, c->ws_origin, strlen(c->ws_origin)) ||
			     req_append(ah, "\r\n", 2)))
		return -1;
#if defined(LOOM_WITH_WS)
	if ((c->flags & LOOM_CONNECT_WS_DEFLATE) && loom_ws_deflate_available() &&
	    req_append(ah, "Sec-WebSocket-Extensions: permessage-deflate; "
		       "client_max_window_bits\r\n", 70))
		return -1;
#endif

	return 0;
}

/* the transport is up: build and send the request head */
int
loom__h1_client_start(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	struct loom_h1_client *c = h->cli;
	const struct loom_http_vh *hv = loom__http_vh(conn->vhost);
	struct loom_h1_ah *ah;
	char line[64];
	int n;

	/* to the user the conn is "connected" once the response head is in */
	conn->flags &= ~LCF_ESTABLISHED;
	ah = loom__h1_ah_create(hv, LOOM_HTTP_PARSE_RESPONSE);
	if (!ah)
		return -1;
	h->ah = ah;
	ah->p.request_was_head = !strcmp(c->method, "HEAD");
	ah->p.request_was_connect = !strcmp(c->method, "CONNECT");
	if (req_append(ah, c->method, strlen(c->method)) || req_append(ah, " ", 1) ||
	    req_append(ah, c->path, strlen(c->path)) ||
	    req_append(ah, " HTTP/1.1\r\nHost: ", 17) ||
	    req_append(ah, c->host, strlen(c->host)) ||
	    req_append(ah, "\r\nUser-Agent: loom/" LOOM_VERSION_STRING "\r\nAccept: */*"
		       "\r\n", strlen("\r\nUser-Agent: loom/" LOOM_VERSION_STRING
					"\r\nAccept: */*\r\n")))
		return -1;

	if (c->ws_h2 && h1c_ws_h2_head(ah, c))
		return -1;
	c->in_append = 1;
	n = loom__user_callback(conn, LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER, NULL, 0);
	c->in_append = 0;
	if (n)
		return -1;
	if (c->body_len >= 0) {
		n = snprintf(line, sizeof(line), "Content-Length: %lld\r\n",
			     (long long)c->body_len);
		if (req_append(ah, line, (size_t)n))
			return -1;
	} else if (c->body_len == -1 && req_append(ah, "Transfer-Encoding: chunked\r\n", 28))
		return -1;
#if defined(LOOM_WITH_H2)
	if (c->h2 == H1C_H2_UPGRADE && c->body_len == -2) {
		/* RFC 7540 3.2: ask to go on as h2 (only a request without a body) */
		static const char up[] = "Connection: Upgrade, HTTP2-Settings\r\n"
					 "Upgrade: h2c\r\nHTTP2-Settings: ";
		char set[128];

		if (loom__h2_client_upgrade_settings(conn->vhost, set, sizeof(set)) < 0 ||
		    req_append(ah, up, sizeof(up) - 1) || req_append(ah, set, strlen(set)) ||
		    req_append(ah, "\r\n", 2))
			return -1;
	}
#endif

	/* the request is an outgoing message like a response: the same writer */
	h->resp = H1R_STARTED;
	h->resp_remaining = c->body_len >= 0 ? c->body_len : -1;
	if (c->body_len == -1)
		h->flags |= H1F_CHUNKED_OUT;
	h->state = H1S_CLIENT_SEND;
	loom_set_timeout(conn, LOOM_TO_AWAITING_RX, (int)hv->head_to);
	if (c->ws_h2)	/* the head alone: the stream stays open for the ws */
		return loom__http_emit_body(conn, NULL, 0, 0) < 0 ? -1 :
		       loom__h1_response_done(conn);
	if (c->body_len == -2 || !c->body_len)
		return loom__http_emit_body(conn, NULL, 0, 1) < 0 ? -1 :
		       loom__h1_response_done(conn);

	/* a body: the user writes it from LOOM_CB_CLIENT_HTTP_WRITEABLE */
	return loom_callback_on_writable(conn) ? -1 : 0;
}

/* the whole request went out: now the response */
int
loom__h1_client_request_sent(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;

	h->resp = H1R_DONE;
	h->state = H1S_CLIENT_HEAD;

	return 0;
}

static int
h1c_body_cb(void *user, const uint8_t *data, size_t len)
{
	struct loom_conn *conn = user;

	return loom__user_callback(conn, LOOM_CB_RECEIVE_CLIENT_HTTP,
				   (void *)(uintptr_t)data, len) ? -1 : 0;
}

/* the response is over: tell the user, then close (no reuse yet) */
static int
h1c_complete(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;

	h->state = H1S_IDLE;
	loom_set_timeout(conn, LOOM_TO_NONE, 0);
	if (loom__user_callback(conn, LOOM_CB_COMPLETED_CLIENT_HTTP, NULL, 0))
		return -1;
	/* a queued request to the same server takes the socket, if it may */
	h1c_hand_over(conn);
	conn->flags |= LCF_IN_CALLBACK;
	loom_close(conn, LOOM_CLOSE_NORMAL);
	conn->flags &= ~LCF_IN_CALLBACK;

	return 0;
}

/*
 * A redirect to follow: the request goes on as a new client conn with the same
 * protocol, flags and per-session data; this one leaves without a word to the
 * user. 1 when followed, 0 when the response is the user's, -1 on failure.
 */
int
loom__h1_client_follow_redirect(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	struct loom_h1_client *c = h->cli;
	unsigned int st = h->ah->p.status;
	struct loom_client_connect_info ci;
	struct loom_tls_client_info ti;
	struct loom_conn *nc = NULL;
	struct loom_h1 *nh;
	char loc[1024];
	struct loom_url u;
	uint8_t cross;
	int l;

	if (!(c->flags & LOOM_CONNECT_FOLLOW_REDIRECTS) ||
	    (st != 301 && st != 302 && st != 303 && st != 307 && st != 308))
		return 0;
	l = loom_hdr_copy(conn, loc, sizeof(loc), LOOM_HDR_LOCATION);
	if (l <= 0)
		return 0;
	/* 307 / 308 repeat the method and its body, which has already streamed out */
	if ((st == 307 || st == 308) && c->body_len != -2)
		return 0;
	if (c->redirects >= LOOM_HTTP_MAX_REDIRECTS) {
		loom_clog_info(conn, "too many redirects");
		return -1;
	}
	memset(&ci, 0, sizeof(ci));
	h1c_carry(conn, c, &ci);
	cross = c->cross_origin;
	if (loc[0] == '/' && loc[1] != '/') {
		/* a path on the same server */
		ci.address = c->address;
		ci.port = c->port;
		ci.tls = h1c_tls_info(c, &ti);	/* the same scheme and name */
		ci.path = loc;
		ci.host = c->host;
	} else {
		if (loom_parse_url(loc, &u) ||
		    (strcmp(u.scheme, "http") && strcmp(u.scheme, "https")))
			return -1;
		ci.address = u.host;
		ci.port = u.port;
		ci.path = u.path;
		ci.tls = u.tls ? h1c_tls_info(c, &ti) : NULL;
		/* another origin (RFC 6454: scheme, host, port) gets no credentials */
		if (!u.tls != !c->tls || u.port != c->port ||
		    !h1c_caseeq(u.host, c->address))
			cross = 1;
		/* another server is verified by its own name */
		if (ci.tls && (u.port != c->port || strcmp(u.host, c->address)))
			ti.server_name = NULL;
		if (u.tls && !ci.tls) {
			static const struct loom_tls_client_info defaults;

			ci.tls = &defaults;	/* system trust store, full checks */
		}
	}
	ci.method = (st == 303 || ((st == 301 || st == 302) && strcmp(c->method, "HEAD")))
		    ? "GET" : c->method;
	ci.pconn = &nc;
	if (!loom_client_connect(&ci) || !nc)
		return -1;
	nh = nc->role_data;
	nh->cli->redirects = (uint8_t)(c->redirects + 1);
	nh->cli->cross_origin = cross;
	if (!(conn->flags & LCF_USER_ALLOCED) && conn->protocol &&
	    conn->protocol->per_session_data_size && nc->user_space && conn->user_space)
		memcpy(nc->user_space, conn->user_space,
		       conn->protocol->per_session_data_size);
	loom_clog_info(conn, "%u: following to %s", st, loc);

	/* this conn is done: no callbacks for it any more */
	conn->protocol = NULL;
	conn->flags |= LCF_IN_CALLBACK;
	loom_close(conn, LOOM_CLOSE_NORMAL);
	conn->flags &= ~LCF_IN_CALLBACK;

	return 1;
}

static int
h1c_head_done(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	struct loom_h1_ah *ah = h->ah;
	const struct loom_http_vh *hv = loom__http_vh(conn->vhost);

	if (ah->p.status < 200) {
		/* 100 Continue and other interim responses: the real one follows */
		uint8_t was_head = ah->p.request_was_head,
			was_connect = ah->p.request_was_connect;

		loom__http_parser_init(&ah->p, LOOM_HTTP_PARSE_RESPONSE, ah->p.buf,
				       ah->p.buf_len, ah->hdrs, &hv->lim);
		ah->p.request_was_head = was_head;
		ah->p.request_was_connect = was_connect;
		return 0;
	}
	switch (loom__h1_client_follow_redirect(conn)) {
	case 1:
		return 0;
	case -1:
		return -1;
	}
	conn->flags |= LCF_ESTABLISHED;
	if (loom__user_callback(conn, LOOM_CB_ESTABLISHED_CLIENT_HTTP, NULL, 0))
		return -1;
	switch (ah->p.body_kind) {
	case LOOM_HTTP_BODY_NONE:
		return h1c_complete(conn);
	case LOOM_HTTP_BODY_LENGTH:
		h->body_remaining = ah->p.content_length;
		break;
	case LOOM_HTTP_BODY_CHUNKED:
		loom__http_chunked_init(&h->chunked);
		break;
	default:
		break;
	}
	h->state = H1S_CLIENT_BODY;
	loom_set_timeout(conn, LOOM_TO_AWAITING_RX, (int)hv->body_to);

	return 0;
}

/* response bytes; -1 closes with the reason already logged */
int
loom__h1_client_rx(struct loom_conn *conn, const uint8_t *buf, size_t len)
{
	struct loom_h1 *h = conn->role_data;
	const struct loom_http_vh *hv = loom__http_vh(conn->vhost);
	size_t used;
	int r;

	while (len && !(conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE))) {
		switch (h->state) {
		case H1S_CLIENT_SEND:
			/* an early response (e.g. 413) while the body goes out */
		case H1S_CLIENT_HEAD:
			r = loom__http_parse(&h->ah->p, buf, len, &used);
			buf += used;
			len -= used;
			if (r < 0) {
				loom_clog_info(conn, "bad response head (%d)", -r);
				return -1;
			}
#if defined(LOOM_WITH_H2)
			if (r == LOOM_HP_DONE && h->ah->p.status == 101 &&
			    h->cli->h2 == H1C_H2_UPGRADE)
				/* h2c: the conn is an h2 stream now, h is gone */
				return loom__h2_client_upgraded(conn, buf, len) ? -1 : 0;
#endif
			if (r == LOOM_HP_DONE && h1c_head_done(conn))
				return -1;
			break;
		case H1S_CLIENT_BODY:
			loom_set_timeout(conn, LOOM_TO_AWAITING_RX, (int)hv->body_to);
			switch (h->ah->p.body_kind) {
			case LOOM_HTTP_BODY_LENGTH:
				used = len < h->body_remaining ? len :
				       (size_t)h->body_remaining;
				if (h1c_body_cb(conn, buf, used))
					return -1;
				buf += used;
				len -= used;
				h->body_remaining -= used;
				if (!h->body_remaining)
					return h1c_complete(conn);
				break;
			case LOOM_HTTP_BODY_CHUNKED:
				r = loom__http_chunked_decode(&h->chunked, buf, len, &used,
							      h1c_body_cb, conn);
				buf += used;
				len -= used;
				if (r < 0)
					return -1;
				if (r == LOOM_HP_DONE)
					return h1c_complete(conn);
				break;
			default:	/* until the close */
				if (h1c_body_cb(conn, buf, len))
					return -1;
				len = 0;
				break;
			}
			break;
		default:
			/* bytes after the response we asked for: the server is confused */
			return -1;
		}
	}

	return 0;
}

/* the server closed: the end of a close-delimited body, or a failure */
int
loom__h1_client_eof(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;

	if (h->state == H1S_CLIENT_BODY && h->ah &&
	    h->ah->p.body_kind == LOOM_HTTP_BODY_UNTIL_CLOSE)
		return h1c_complete(conn);

	return -1;
}
