/*
 * client-ws.c: the client side of the WebSocket opening handshake (RFC 6455
 * section 4.1): the upgrade request with a random key, the user's extra headers,
 * and the 101 checked (Accept, subprotocol, extensions) before the conn is open.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/http/private-http.h"
#include "roles/ws/private-ws.h"

#include <stdio.h>

struct loom_ws_client {
	char *path, *host, *protocols, *origin;
	struct loom_h1_ah *ah;		/* the response parser */
	char accept[29];
	char *req;			/* the upgrade request, req_max bytes */
	size_t req_len, req_max;	/* req_max: max_request_head_bytes */
	uint8_t in_append;
	uint8_t offer_pmd;
};

void
loom__ws_client_free(struct loom_ws *ws)
{
	struct loom_ws_client *c = ws->cli;

	if (!c)
		return;
	loom_free(c->path);
	loom_free(c->host);
	loom_free(c->protocols);
	loom_free(c->origin);
	loom_free(c->req);
	loom_free(c->ah);
	loom_free(c);
	ws->cli = NULL;
}

int
loom__ws_client_bind(struct loom_conn *conn, const struct loom_client_connect_info *i)
{
	struct loom_ws *ws = loom__ws_create(conn, 0, i->ws_max_message ?
					     i->ws_max_message : 1024 * 1024);
	struct loom_ws_client *c;
	char host[300];
	const char *m;

	if (!ws)
		return LOOM_ENOMEM;
	conn->role_data = ws;
	c = loom_zalloc(sizeof(*c), "ws client");
	if (!c)
		return LOOM_ENOMEM;
	ws->cli = c;
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
	c->path = loom__strdup(i->path ? i->path : "/", "ws path");
	c->host = loom__strdup(host, "ws host");
	/* the request head is limited as the HTTP client's is; + 1 for the NUL
	 * that snprintf() writes after it */
	c->req_max = loom__http_head_max(i->max_request_head_bytes);
	c->req = loom_malloc(c->req_max + 1, "ws request head");
	if (!c->path || !c->host || !c->req)
		return LOOM_ENOMEM;
	for (m = c->path; *m; m++)
		if (!(loom__http_ctype[(uint8_t)*m] & LOOM_HTTP_C_TARGET))
			return LOOM_EINVAL;
	if (i->ws_protocol && (!loom__http_value_ok(i->ws_protocol) ||
	    !(c->protocols = loom__strdup(i->ws_protocol, "ws protocols"))))
		return LOOM_EINVAL;
	if (i->ws_origin && (!loom__http_value_ok(i->ws_origin) ||
	    !(c->origin = loom__strdup(i->ws_origin, "ws origin"))))
		return LOOM_EINVAL;
	c->offer_pmd = (i->flags & LOOM_CONNECT_WS_DEFLATE) && loom__ws_pmd_available();

	return 0;
}

static int
req_add(struct loom_ws_client *c, const char *a, const char *b, const char *d)
{
	size_t room = c->req_max + 1 - c->req_len;
	int n = snprintf(c->req + c->req_len, room, "%s%s%s", a, b ? b : "", d ? d : "");

	if (n < 0 || (size_t)n >= room)
		return LOOM_ELIMIT;
	c->req_len += (size_t)n;

	return 0;
}

int
loom_ws_client_add_header(struct loom_conn *conn, const char *name, const char *value)
{
	struct loom_ws *ws = conn && conn->role == &loom_role_ops_ws ? conn->role_data :
			     NULL;
	const char *s;

	if (!ws || !ws->cli || !ws->cli->in_append || !name || !*name || !value ||
	    !loom__http_value_ok(value))
		return LOOM_EINVAL;
	for (s = name; *s; s++)
		if (!(loom__http_ctype[(uint8_t)*s] & LOOM_HTTP_C_TCHAR))
			return LOOM_EINVAL;

	/* the 2 bytes of the blank line that ends the head stay free */
	if (ws->cli->req_len + strlen(name) + 2 + strlen(value) + 2 + 2 >
	    ws->cli->req_max || req_add(ws->cli, name, ": ", value) ||
	    req_add(ws->cli, "\r\n", NULL, NULL)) {
		loom_clog_err(conn, "ws: header %s would make the request head longer than "
			      "%u bytes (max_request_head_bytes)", name,
			      (unsigned int)ws->cli->req_max);
		return LOOM_ELIMIT;
	}

	return 0;
}

/* the transport is up: send the upgrade request */
int
loom__ws_client_start(struct loom_conn *conn)
{
	struct loom_ws *ws = conn->role_data;
	struct loom_ws_client *c = ws->cli;
	uint8_t key[16];
	char k64[25];
	int r;

	/* to the user the conn is "connected" once the 101 is in */
	conn->flags &= ~LCF_ESTABLISHED;
	c->ah = loom__h1_ah_create(loom__http_vh(conn->vhost), LOOM_HTTP_PARSE_RESPONSE);
	if (!c->ah)
		return -1;
	loom__plat_random(key, sizeof(key));
	loom__ws_b64_encode(key, sizeof(key), k64);
	loom__ws_accept_for_key(k64, 24, c->accept);
	r = req_add(c, "GET ", c->path, " HTTP/1.1\r\nHost: ");
	if (!r)
		r = req_add(c, c->host, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ", k64);
	if (!r)
		r = req_add(c, "\r\nUser-Agent: loom/" LOOM_VERSION_STRING "\r\n", NULL, NULL);
	if (!r && c->protocols)
		r = req_add(c, "Sec-WebSocket-Protocol: ", c->protocols, "\r\n");
	if (!r && c->origin)
		r = req_add(c, "Origin: ", c->origin, "\r\n");
	if (!r && c->offer_pmd)
		r = req_add(c, "Sec-WebSocket-Extensions: permessage-deflate; "
			    "client_max_window_bits\r\n", NULL, NULL);
	if (r)
		return -1;
	c->in_append = 1;
	r = loom__user_callback(conn, LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER, NULL, 0);
	c->in_append = 0;
	if (r || req_add(c, "\r\n", NULL, NULL))
		return -1;
	loom_set_timeout(conn, LOOM_TO_AWAITING_RX,
			 (int)loom__http_vh(conn->vhost)->head_to);

	return loom__issue_raw(conn, (const uint8_t *)c->req, c->req_len) < 0 ? -1 : 0;
}

/* the response head is in: is it the 101 we asked for? */
static int
ws_client_check(struct loom_conn *conn)
{
	struct loom_ws *ws = conn->role_data;
	struct loom_ws_client *c = ws->cli;
	struct loom_ws_101 a;
	const char *why;

	why = loom__ws_client_check_101(&c->ah->p, c->accept, c->protocols,
					c->offer_pmd, 0, &a);
	if (why) {
		loom_clog_info(conn, "ws: %s (status %u)", why, c->ah->p.status);
		return -1;
	}
	if (a.protocol) {
		char name[LOOM_WS_PROTOCOL_NAME_MAX];
		const struct loom_protocol *p;

		memcpy(name, a.protocol, a.protocol_len);
		name[a.protocol_len] = '\0';
		p = loom_vhost_name_to_protocol(conn->vhost, name);
		if (p && loom__conn_rebind_protocol(conn, p))
			return -1;
	}
	if (a.has_pmd) {
		ws->pmd = loom__ws_pmd_create(&a.pmd, 0);
		if (!ws->pmd)
			return -1;
		ws->p.allow_rsv1 = 1;
	}

	return 0;
}

int
loom__ws_client_rx(struct loom_conn *conn, const uint8_t *buf, size_t len,
		   size_t *used)
{
	struct loom_ws *ws = conn->role_data;
	struct loom_ws_client *c = ws->cli;
	int r;

	*used = 0;
	if (!c || !c->ah)
		return -1;
	r = loom__http_parse(&c->ah->p, buf, len, used);
	if (r < 0) {
		loom_clog_info(conn, "ws: bad response head (%d)", -r);
		return -1;
	}
	if (r != LOOM_HP_DONE)
		return 0;
	if (ws_client_check(conn))
		return -1;

	/* open */
	loom__ws_client_free(ws);
	ws->state = WSS_OPEN;
	loom_set_timeout(conn, LOOM_TO_NONE, 0);
	conn->flags |= LCF_ESTABLISHED;
	loom__ws_opened(conn);
	if (loom__user_callback(conn, LOOM_CB_CLIENT_ESTABLISHED, NULL, 0)) {
		conn->flags |= LCF_IN_CALLBACK;
		loom_close(conn, LOOM_CLOSE_NORMAL);
		conn->flags &= ~LCF_IN_CALLBACK;
		return 0;
	}
	if ((conn->flags & LCF_WANT_WRITABLE) && !(conn->flags & LCF_CLOSING) &&
	    loom_dll2_is_detached(&conn->list_pending))
		loom_dll2_add_tail(&conn->list_pending, &conn->pt->pending_writable);

	return 0;
}
