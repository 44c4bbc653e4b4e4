/*
 * handshake.c: the server side of the WebSocket opening handshake (RFC 6455
 * section 4.2): an h1 request with "Upgrade: websocket" is checked, a protocol of
 * the vhost chosen, permessage-deflate negotiated, the 101 sent, and the conn
 * switched from the h1 role to this one.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/http/private-http.h"
#include "roles/ws/private-ws.h"

#include <stdio.h>

const char *
loom__ws_hdr_val(const struct loom_h1_ah *ah, int token, unsigned int n, size_t *len)
{
	const struct loom_http_hdr *hd = loom__http_hdr(&ah->p, (enum loom_hdr_token)token,
							 n);

	if (!hd)
		return NULL;
	*len = hd->value.len;

	return loom__http_frag_ptr(&ah->p, hd->value);
}

static int
ci_eq(const char *a, size_t al, const char *b)
{
	size_t i, bl = strlen(b);

	if (al != bl)
		return 0;
	for (i = 0; i < al; i++) {
		char c = a[i], d = b[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (d >= 'A' && d <= 'Z')
			d = (char)(d + 32);
		if (c != d)
			return 0;
	}

	return 1;
}

/*
 * Walk a comma-separated list: the next element (spaces trimmed) at *s / *l.
 * Returns 0 when the list is done.
 */
static int
list_next(const char **cur, const char *end, const char **s, size_t *l)
{
	const char *p = *cur, *e;

	while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
		p++;
	if (p >= end)
		return 0;
	e = p;
	while (e < end && *e != ',')
		e++;
	*cur = e;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*s = p;
	*l = (size_t)(e - p);

	return 1;
}

int
loom__ws_list_has(const char *v, size_t vl, const char *tok)
{
	const char *cur = v, *s;
	size_t l;

	while (list_next(&cur, v + vl, &s, &l))
		if (ci_eq(s, l, tok))
			return 1;

	return 0;
}

int
loom__ws_refuse(struct loom_conn *conn, unsigned int status, const char *why)
{
	struct loom_h1 *h = conn->role_data;
	char body[128];
	int n;

	loom_clog_info(conn, "ws handshake refused (%u): %s", status, why);
	h->flags |= H1F_CLOSE_AFTER;
	n = snprintf(body, sizeof(body), "%u %s: %s\n", status,
		     loom_http_status_reason(status), why);
	if (n < 0 || n >= (int)sizeof(body))
		n = 0;
	if (loom_http_respond(conn, status, "text/plain", n))
		return -1;
	if (status == 426 && loom_http_add_header(conn, "Sec-WebSocket-Version", "13"))
		return -1;

	return loom_http_write_body(conn, (unsigned char *)body, (size_t)n, 1) < 0 ? -1 : 0;
}

/* the subprotocol: the first the client offers that the vhost has */
const struct loom_protocol *
loom__ws_choose_protocol(struct loom_conn *conn, const struct loom_h1_ah *ah, int *named)
{
	const struct loom_ws_vh *w = loom__ws_vh(conn->vhost);
	const struct loom_protocol *p;
	const char *v, *cur, *s;
	size_t vl, l;
	unsigned int n;
	char name[64];

	*named = 0;
	for (n = 0; (v = loom__ws_hdr_val(ah, LOOM_HDR_SEC_WEBSOCKET_PROTOCOL, n, &vl)); n++) {
		cur = v;
		while (list_next(&cur, v + vl, &s, &l)) {
			if (!l || l >= sizeof(name))
				continue;
			memcpy(name, s, l);
			name[l] = '\0';
			p = loom_vhost_name_to_protocol(conn->vhost, name);
			if (p) {
				*named = 1;
				return p;
			}
		}
	}
	if (w->def_protocol && (p = loom_vhost_name_to_protocol(conn->vhost,
								w->def_protocol)))
		return p;

	return conn->protocol;
}

/* the h1 role gives the conn up: its leftover bytes come with it */
static void
switch_role(struct loom_conn *conn, struct loom_ws *ws)
{
	struct loom_h1 *h = conn->role_data;

	ws->rx_pending = h->rx_pending;
	h->rx_pending = NULL;
	conn->role->destroy_role(conn);
	conn->role = &loom_role_ops_ws;
	conn->role_data = ws;
	loom_set_timeout(conn, LOOM_TO_NONE, 0);
	/* h1 may have stopped reading to hold what followed the request */
	if (!(conn->flags & LCF_RX_PAUSED))
		loom__io(conn, LOOM_EV_START | LOOM_EV_READ);
	if (ws->rx_pending) {
		ws->replay = 1;
		if (loom_dll2_is_detached(&conn->list_pending))
			loom_dll2_add_tail(&conn->list_pending, &conn->pt->pending_writable);
	}
}

/* RFC 6455 4.2.1 item 6 (and RFC 8441 5): one Sec-WebSocket-Version, 13 */
int
loom__ws_version_ok(const struct loom_h1_ah *ah)
{
	const char *v;
	size_t vl;

	v = loom__ws_hdr_val(ah, LOOM_HDR_SEC_WEBSOCKET_VERSION, 0, &vl);

	return v && vl == 2 && !memcmp(v, "13", 2) &&
	       !loom__http_hdr(&ah->p, LOOM_HDR_SEC_WEBSOCKET_VERSION, 1);
}

/*
 * what an h1 upgrade and an h2 extended CONNECT decide alike, after the version:
 * the origin, the subprotocol (bound, then filtered by the user), permessage-deflate
 */
int
loom__ws_server_accept(struct loom_conn *conn, const struct loom_h1_ah *ah,
		       struct loom_ws_accept *a)
{
	const struct loom_ws_vh *w = loom__ws_vh(conn->vhost);
	const struct loom_protocol *p;
	struct loom_ws_pmd_params pp;
	struct loom_ws *ws;
	const char *v;
	size_t vl;

	a->ws = NULL;
	a->p = NULL;
	a->named = 0;
	a->ext[0] = '\0';
	if (w->origin) {
		v = loom__ws_hdr_val(ah, LOOM_HDR_ORIGIN, 0, &vl);
		if (!v || vl != strlen(w->origin) || memcmp(v, w->origin, vl))
			return loom__ws_refuse(conn, 403, "origin not allowed");
	}

	p = loom__ws_choose_protocol(conn, ah, &a->named);
	if (!p || loom__conn_rebind_protocol(conn, p))
		return loom__ws_refuse(conn, 500, "no protocol");
	if (conn->user_space && !(conn->flags & LCF_USER_ALLOCED) &&
	    p->per_session_data_size)
		memset(conn->user_space, 0, p->per_session_data_size);
	if (loom__user_callback(conn, LOOM_CB_FILTER_PROTOCOL_CONNECTION,
				(void *)(uintptr_t)p->name, p->name ? strlen(p->name) : 0))
		return loom__ws_refuse(conn, 403, "refused by the protocol");

	memset(&pp, 0, sizeof(pp));
	if (loom__ws_pmd_available() && !(w->options & LOOM_WS_OPT_NO_DEFLATE)) {
		unsigned int k;

		for (k = 0; !a->ext[0] && (v = loom__ws_hdr_val(ah,
				LOOM_HDR_SEC_WEBSOCKET_EXTENSIONS, k, &vl)); k++)
			loom__ws_pmd_negotiate(v, vl, a->ext, sizeof(a->ext), &pp);
	}

	ws = loom__ws_create(conn, 1, w->max_msg);
	if (!ws)
		return -1;
	if (a->ext[0]) {
		ws->pmd = loom__ws_pmd_create(&pp, 1);
		if (!ws->pmd) {
			loom_free(ws);
			return -1;
		}
		ws->p.allow_rsv1 = 1;
	}
	a->ws = ws;
	a->p = p;

	return 0;
}

int
loom__ws_server_upgrade(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	struct loom_h1_ah *ah = h->ah;
	struct loom_ws_accept a;
	const struct loom_protocol *p;
	struct loom_ws *ws;
	const char *v;
	size_t vl, o;
	char accept[29], resp[512];
	uint8_t key[20];
	int n, r;

	v = loom__ws_hdr_val(ah, LOOM_HDR_UPGRADE, 0, &vl);
	if (!v || !loom__ws_list_has(v, vl, "websocket"))
		return 1;	/* another protocol's upgrade (h2c): not ours */
	if (ah->p.method != LOOM_HTTP_METHOD_GET || ah->p.version_minor < 1 ||
	    ah->p.body_kind != LOOM_HTTP_BODY_NONE)
		return loom__ws_refuse(conn, 400, "websocket needs GET, HTTP/1.1 and no body");
	if (!loom__ws_version_ok(ah))
		return loom__ws_refuse(conn, 426, LOOM__WS_VERSION_WHY);
	v = loom__ws_hdr_val(ah, LOOM_HDR_SEC_WEBSOCKET_KEY, 0, &vl);
	if (!v || loom__http_hdr(&ah->p, LOOM_HDR_SEC_WEBSOCKET_KEY, 1) ||
	    loom__ws_b64_decode(v, vl, key, sizeof(key)) != 16)
		return loom__ws_refuse(conn, 400, "bad Sec-WebSocket-Key");
	loom__ws_accept_for_key(v, vl, accept);

	r = loom__ws_server_accept(conn, ah, &a);
	if (!a.ws)
		return r;
	ws = a.ws;
	p = a.p;

	n = snprintf(resp, sizeof(resp), "HTTP/1.1 101 Switching Protocols\r\n"
		     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Accept: %s\r\n", accept);
	o = (size_t)n;
	if (a.named && p->name)
		o += (size_t)snprintf(resp + o, sizeof(resp) - o,
				      "Sec-WebSocket-Protocol: %s\r\n", p->name);
	if (a.ext[0] && o < sizeof(resp))
		o += (size_t)snprintf(resp + o, sizeof(resp) - o,
				      "Sec-WebSocket-Extensions: %s\r\n", a.ext);
	if (o + 2 >= sizeof(resp)) {
		if (ws->pmd)
			loom__ws_pmd_destroy(ws->pmd);
		loom_free(ws);
		return loom__ws_refuse(conn, 500, "response too long");
	}
	memcpy(resp + o, "\r\n", 2);
	o += 2;

	switch_role(conn, ws);
	if (loom__issue_raw(conn, (const uint8_t *)resp, o) < 0)
		return 0;	/* the write failure closes it from the loop */
	loom_clog_info(conn, "ws: upgraded, protocol %s%s", p->name ? p->name : "-",
		       ws->pmd ? ", permessage-deflate" : "");
	loom__ws_opened(conn);
	if (loom__user_callback(conn, LOOM_CB_ESTABLISHED, NULL, 0)) {
		conn->flags |= LCF_IN_CALLBACK;
		loom_close(conn, LOOM_CLOSE_NORMAL);
		conn->flags &= ~LCF_IN_CALLBACK;
	}

	return 0;
}
