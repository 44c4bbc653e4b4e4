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

struct loom_h1_client {
	char *method;
	char *path;
	char *host;
	char *address;			/* where we connected, for relative redirects */
	const struct loom_tls_client_info *tls;	/* the caller's, for redirects */
	int64_t body_len;		/* request body: -2 none, -1 chunked, else length */
	int port;
	unsigned int flags;		/* the connect info's LOOM_CONNECT_* */
	uint8_t in_append;		/* inside APPEND_HANDSHAKE_HEADER */
	uint8_t redirects;		/* redirects followed to get here */
};

static struct loom_h1 *
conn_h1c(struct loom_conn *conn)
{
	if (!conn || conn->role != &loom_role_ops_h1 || !conn->role_data ||
	    !(conn->flags & LCF_CLIENT))
		return NULL;

	return conn->role_data;
}

void
loom__h1_client_free(struct loom_h1 *h)
{
	struct loom_h1_client *c = h->cli;

	if (!c)
		return;
	loom_free(c->method);
	loom_free(c->path);
	loom_free(c->host);
	loom_free(c->address);
	loom_free(c);
	h->cli = NULL;
}

int
loom__h1_client_bind(struct loom_conn *conn, const struct loom_client_connect_info *i)
{
	struct loom_h1 *h = loom_zalloc(sizeof(*h), "h1");
	struct loom_h1_client *c;
	char host[300];
	const char *m;

	if (!h)
		return LOOM_ENOMEM;
	h->file_fd = -1;
	conn->role_data = h;
	c = loom_zalloc(sizeof(*c), "h1 client");
	if (!c)
		return LOOM_ENOMEM;
	h->cli = c;
	c->body_len = -2;
	for (m = i->method; *m; m++)
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
	c->method = loom__strdup(i->method, "h1 method");
	c->path = loom__strdup(i->path ? i->path : "/", "h1 path");
	c->host = loom__strdup(host, "h1 host");
	c->address = loom__strdup(i->address, "h1 address");
	if (!c->method || !c->path || !c->host || !c->address)
		return LOOM_ENOMEM;
	c->port = i->port;
	c->tls = i->tls;
	c->flags = i->flags;
	for (m = c->path; *m; m++)
		if (!(loom__http_ctype[(uint8_t)*m] & LOOM_HTTP_C_TARGET))
			return LOOM_EINVAL;	/* no spaces, CR or LF in the target */

	return 0;
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
		       "\r\nConnection: close\r\n",
		       strlen("\r\nUser-Agent: loom/" LOOM_VERSION_STRING "\r\nAccept: */*"
			      "\r\nConnection: close\r\n")))
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

	/* the request is an outgoing message like a response: the same writer */
	h->resp = H1R_STARTED;
	h->resp_remaining = c->body_len >= 0 ? c->body_len : -1;
	if (c->body_len == -1)
		h->flags |= H1F_CHUNKED_OUT;
	h->state = H1S_CLIENT_SEND;
	loom_set_timeout(conn, LOOM_TO_AWAITING_RX, (int)hv->head_to);
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
static int
h1c_follow_redirect(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	struct loom_h1_client *c = h->cli;
	unsigned int st = h->ah->p.status;
	struct loom_client_connect_info ci;
	struct loom_conn *nc = NULL;
	struct loom_h1 *nh;
	char loc[1024];
	struct loom_url u;
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
	if (loc[0] == '/' && loc[1] != '/') {
		/* a path on the same server */
		ci.address = c->address;
		ci.port = c->port;
		ci.tls = conn->tls ? c->tls : NULL;
		ci.path = loc;
		ci.host = c->host;
	} else {
		if (loom_parse_url(loc, &u) ||
		    (strcmp(u.scheme, "http") && strcmp(u.scheme, "https")))
			return -1;
		ci.address = u.host;
		ci.port = u.port;
		ci.path = u.path;
		ci.tls = u.tls ? c->tls : NULL;
		if (u.tls && !ci.tls) {
			static const struct loom_tls_client_info defaults;

			ci.tls = &defaults;	/* system trust store, full checks */
		}
	}
	ci.context = conn->pt->ctx;
	ci.vhost = conn->vhost;
	ci.tsi = conn->pt->tsi;
	ci.flags = c->flags;
	ci.protocol = conn->protocol ? conn->protocol->name : NULL;
	ci.opaque_user_data = conn->opaque_user_data;
	ci.userdata = (conn->flags & LCF_USER_ALLOCED) ? conn->user_space : NULL;
	ci.method = (st == 303 || ((st == 301 || st == 302) && strcmp(c->method, "HEAD")))
		    ? "GET" : c->method;
	ci.pconn = &nc;
	if (!loom_client_connect(&ci) || !nc)
		return -1;
	nh = nc->role_data;
	nh->cli->redirects = (uint8_t)(c->redirects + 1);
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
	switch (h1c_follow_redirect(conn)) {
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
