/*
 * server.c: the HTTP server's request dispatch (mounts, redirects, callbacks) and
 * the response API: the response head is built in the message's store and goes out
 * with the first body bytes in one write (http.c's message writer, which the
 * client's requests use too); bodies are framed by length or chunked.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/http/private-http.h"

#include <errno.h>
#include <stdio.h>

static struct loom_h1 *
conn_h1(struct loom_conn *conn)
{
	if (!conn || !loom__conn_is_http(conn) || !conn->role_data)
		return NULL;

	return conn->role_data;
}

/* append to the response head being built; LOOM_ELIMIT when it is full */
static int
resp_append(struct loom_h1_ah *ah, const char *s, size_t len)
{
	return loom__h1_ah_append(ah, s, len);
}

static int
resp_header(struct loom_h1_ah *ah, const char *name, const char *value, size_t vlen)
{
	size_t nl = strlen(name);

	if (ah->resp_len + nl + vlen + 4 > ah->resp_max - 2)
		return LOOM_ELIMIT;
	resp_append(ah, name, nl);
	resp_append(ah, ": ", 2);
	resp_append(ah, value, vlen);

	return resp_append(ah, "\r\n", 2);
}

/* header values must not smuggle a line break into the response */
static int
value_ok(const char *v)
{
	for (; *v; v++)
		if (*v == '\r' || *v == '\n' || *v == '\0')
			return 0;

	return 1;
}

int
loom_http_respond(struct loom_conn *conn, unsigned int status, const char *content_type,
		  int64_t content_length)
{
	struct loom_h1 *h = conn_h1(conn);
	struct loom_h1_ah *ah;
	const struct loom_http_vh *hv;
	char line[96];
	const char *date;
	size_t dlen;
	int n;

	if (!h || !h->ah || h->resp != H1R_NONE || status < 100 || status > 999 ||
	    (conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE)))
		return LOOM_EINVAL;
	if (content_type && !value_ok(content_type))
		return LOOM_EINVAL;
	ah = h->ah;
	hv = loom__http_vh(conn->vhost);
	ah->resp_len = 0;
	h->status = (uint16_t)status;
	h->flags &= (uint16_t)~(H1F_CHUNKED_OUT | H1F_CLOSE_DELIMITED);

	/* keep-alive needs a trustworthy end to this request and to our response */
	if (!ah->p.keepalive || !(h->flags & H1F_BODY_DONE) ||
	    (hv->max_requests && h->requests >= hv->max_requests))
		h->flags |= H1F_CLOSE_AFTER;
	if (ah->p.method == LOOM_HTTP_METHOD_HEAD || status == 204 || status == 304 ||
	    status < 200)
		h->flags |= H1F_HEAD_ONLY;

	{
		const char *reason = loom_http_status_reason(status);

		memcpy(line, "HTTP/1.1 ", 9);
		n = 9 + (int)loom__http_fmt_u64(line + 9, status);
		line[n++] = ' ';
		resp_append(ah, line, (size_t)n);
		resp_append(ah, reason, strlen(reason));
		resp_append(ah, "\r\n", 2);
	}
	resp_header(ah, "Server", hv->server_name, strlen(hv->server_name));
	date = loom__http_date(conn->pt, &dlen);
	if (date)
		resp_header(ah, "Date", date, dlen);
	if (content_type)
		resp_header(ah, "Content-Type", content_type, strlen(content_type));

	if (content_length >= 0) {
		n = (int)loom__http_fmt_u64(line, (uint64_t)content_length);
		if (status != 204 && status >= 200)
			resp_header(ah, "Content-Length", line, (size_t)n);
		h->resp_remaining = (h->flags & H1F_HEAD_ONLY) ? 0 : content_length;
	} else {
		h->resp_remaining = -1;
		if (h->flags & H1F_HEAD_ONLY)
			;
		else if (ah->p.version_minor >= 1) {
			h->flags |= H1F_CHUNKED_OUT;
			resp_header(ah, "Transfer-Encoding", "chunked", 7);
		} else {
			/* HTTP/1.0 has no chunked coding: the close ends the body */
			h->flags |= H1F_CLOSE_DELIMITED | H1F_CLOSE_AFTER;
		}
	}
	if (h->flags & H1F_CLOSE_AFTER)
		resp_header(ah, "Connection", "close", 5);
	else if (ah->p.version_minor == 0)
		resp_header(ah, "Connection", "keep-alive", 10);
	h->resp = H1R_STARTED;

	return 0;
}

int
loom_http_add_header(struct loom_conn *conn, const char *name, const char *value)
{
	struct loom_h1 *h = conn_h1(conn);
	const char *c;

	if (!h || h->resp != H1R_STARTED || !name || !*name || !value || !value_ok(value))
		return LOOM_EINVAL;
	for (c = name; *c; c++)
		if (*c <= ' ' || *c == ':' || *c >= 127)
			return LOOM_EINVAL;

	return resp_header(h->ah, name, value, strlen(value));
}

/*
 * The response head alone, telling the stack more follows at once: a file body
 * then goes by sendfile and the two share full segments. What the socket does
 * not take waits in the buflist like any output.
 */
int
loom__http_emit_head_more(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	struct loom_h1_ah *ah = h->ah;
	const uint8_t *p;
	size_t len;
	int n;

	if (h->resp != H1R_STARTED)
		return 0;
	memcpy(ah->resp + LOOM_PRE + ah->resp_len, "\r\n", 2);
	ah->resp_len += 2;
	h->resp = H1R_SENDING;
	p = ah->resp + LOOM_PRE;
	len = ah->resp_len;
	if (!conn->buflist_out && !conn->tls && (conn->flags & LCF_IS_SOCKET)) {
		n = loom__plat_send_more(conn->fd, p, len);
		if (n == (int)len)
			return 0;
		if (n < 0) {
			if (!loom__plat_errno_is_again(errno))
				return -1;
			n = 0;
		}
		p += n;
		len -= (size_t)n;
	}

	return loom__issue_raw(conn, p, len) < 0 ? -1 : 0;
}

int
loom_http_write_body(struct loom_conn *conn, unsigned char *buf, size_t len, int final)
{
	struct loom_h1 *h = conn_h1(conn);
	int r;

	if (!h || h->resp == H1R_NONE || h->resp == H1R_DONE || (len && !buf))
		return LOOM_EINVAL;
	if (conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE))
		return LOOM_ECLOSED;
	if (h->flags & H1F_HEAD_ONLY)
		len = 0;	/* HEAD, 204, 304: the head only */
	if (h->resp_remaining >= 0 && (int64_t)len > h->resp_remaining)
		return LOOM_EINVAL;

	r = loom__http_emit_body(conn, buf, len, final);
	if (r < 0)
		return r;
	if (h->resp_remaining > 0)
		h->resp_remaining -= (int64_t)len;
	if (final) {
		h->resp = H1R_DONE;
		if (h->resp_remaining > 0)
			/* shorter than declared: the peer cannot trust this conn */
			h->flags |= H1F_CLOSE_AFTER;
		loom__h1_response_done(conn);
	}

	return (int)len;
}

int
loom_http_respond_simple(struct loom_conn *conn, unsigned int status,
			 const char *content_type, const void *body, size_t len)
{
	int r = loom_http_respond(conn, status, content_type, (int64_t)len);

	if (r)
		return r;
	r = loom_http_write_body(conn, (unsigned char *)(uintptr_t)body, len, 1);

	return r < 0 ? r : 0;
}

int
loom_http_redirect(struct loom_conn *conn, unsigned int status, const char *location)
{
	char body[160];
	int n, r;

	if (!location || !value_ok(location) ||
	    (status != 301 && status != 302 && status != 303 && status != 307 &&
	     status != 308))
		return LOOM_EINVAL;
	n = snprintf(body, sizeof(body), "<html><body>Moved to <a href=\"%s\">here"
		     "</a></body></html>\n", strchr(location, '"') ? "" : location);
	if (n < 0 || n >= (int)sizeof(body))
		n = 0;
	r = loom_http_respond(conn, status, "text/html", n);
	if (!r)
		r = loom_http_add_header(conn, "Location", location);
	if (r)
		return r;
	r = loom_http_write_body(conn, (unsigned char *)body, (size_t)n, 1);

	return r < 0 ? r : 0;
}

/* an error page, and Connection: close when the stream can no longer be trusted */
int
loom__http_error(struct loom_conn *conn, unsigned int status)
{
	struct loom_h1 *h = conn_h1(conn);
	char body[128];
	int n;

	if (!h || !h->ah)
		return -1;
	if (h->resp != H1R_NONE)
		return -1;	/* too late for a status: just close */
	if (status == 400 || status == 408 || status == 413 || status == 414 ||
	    status == 431 || status == 501 || status == 505 || status == 411)
		h->flags |= H1F_CLOSE_AFTER;
	n = snprintf(body, sizeof(body), "<html><body><h1>%u %s</h1></body></html>\n",
		     status, loom_http_status_reason(status));
	if (loom_http_respond(conn, status, "text/html", n))
		return -1;
	if (status == 405 || status == 501) {
		/* say what would have worked */
		const char *allow = h->flags & H1F_FILE ? "GET, HEAD, OPTIONS" :
			"GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH";

		loom_http_add_header(conn, "Allow", allow);
	}

	return loom_http_write_body(conn, (unsigned char *)body, (size_t)n, 1) < 0 ? -1 : 0;
}

const struct loom_http_mount *
loom__http_match_mount(const struct loom_http_vh *hv, const char *path,
		       size_t *rest_ofs)
{
	const struct loom_http_mount *m, *best = NULL;
	size_t best_len = 0;

	for (m = hv->mounts; m; m = m->next) {
		size_t ml = strlen(m->mountpoint);

		while (ml && m->mountpoint[ml - 1] == '/')
			ml--;	/* "/" and "/dir/" match like "" and "/dir" */
		if (strncmp(path, m->mountpoint, ml) || (path[ml] && path[ml] != '/'))
			continue;
		if (!best || ml > best_len) {
			best = m;
			best_len = ml;
		}
	}
	*rest_ofs = best_len;

	return best;
}


/* the request head is in: route it. Returns 0, or -1 to close the conn. */
int
loom__http_dispatch(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	struct loom_h1_ah *ah = h->ah;
	const struct loom_http_vh *hv = loom__http_vh(conn->vhost);
	const struct loom_http_mount *m;
	const struct loom_protocol *p;
	size_t rest;
	char loc[1024];

	if (ah->p.method == LOOM_HTTP_METHOD_OTHER)
		return loom__http_error(conn, 501);
	if (ah->p.method == LOOM_HTTP_METHOD_CONNECT)
		return loom__http_error(conn, 405);
	if (ah->p.body_kind == LOOM_HTTP_BODY_LENGTH && ah->p.content_length > hv->max_body)
		return loom__http_error(conn, 413);

	/* an Upgrade the ws role takes ("websocket") is answered by it: the conn
	 * then changes role; 1 means the upgrade is not its */
#if defined(LOOM_WITH_WS)
	if (ah->p.upgrade && loom_role_ops_ws.check_upgrades) {
		int r = loom_role_ops_ws.check_upgrades(conn);

		if (r <= 0)
			return r;
	}
#endif
#if defined(LOOM_WITH_H2)
	/* "Upgrade: h2c": the conn becomes h2 and this request its stream 1 */
	if (ah->p.upgrade && conn->role == &loom_role_ops_h1) {
		int r = loom__h2_check_upgrade(conn);

		if (r <= 0)
			return r;
	}
#endif

	m = loom__http_match_mount(hv, ah->path, &rest);
	if (m) {
		switch (m->kind) {
		case LOOM_MOUNT_FILES:
			h->flags |= H1F_FILE;
			return loom__http_serve_file(conn, m, ah->path + rest);
		case LOOM_MOUNT_REDIR_301:
		case LOOM_MOUNT_REDIR_302:
		case LOOM_MOUNT_REDIR_307:
		case LOOM_MOUNT_REDIR_308: {
			static const unsigned int codes[] = { 301, 302, 307, 308 };
			int n = snprintf(loc, sizeof(loc), "%s%s", m->origin,
					 ah->path + rest);

			if (n < 0 || n >= (int)sizeof(loc))
				return loom__http_error(conn, 414);
			return loom_http_redirect(conn, codes[m->kind - LOOM_MOUNT_REDIR_301],
						  loc) ? -1 : 0;
		}
		case LOOM_MOUNT_CALLBACK:
			p = loom_vhost_name_to_protocol(conn->vhost, m->origin);
			if (!p) {
				loom_clog_err(conn, "mount %s: no protocol '%s'",
					      m->mountpoint, m->origin);
				return loom__http_error(conn, 500);
			}
			if (loom__conn_rebind_protocol(conn, p))
				return -1;
			break;
		}
	}
	if (ah->p.method == LOOM_HTTP_METHOD_OPTIONS && !strcmp(ah->path, "*") && !m) {
		if (loom_http_respond(conn, 204, NULL, 0) ||
		    loom_http_add_header(conn, "Allow", "GET, HEAD, POST, PUT, DELETE, "
					 "OPTIONS, PATCH"))
			return -1;
		return loom_http_write_body(conn, NULL, 0, 1) < 0 ? -1 : 0;
	}

	/* the protocol's callback decides; it may answer and end the transaction */
	if (loom__user_callback(conn, LOOM_CB_HTTP, ah->path, ah->path_len))
		return -1;
	if (h->state != H1S_IDLE && h->resp == H1R_NONE && !(h->flags & H1F_BODY_DONE) &&
	    h->ah->p.expect_continue && !(conn->flags & LCF_CLOSING))
		return loom__h1_send_continue(conn);

	return 0;
}
