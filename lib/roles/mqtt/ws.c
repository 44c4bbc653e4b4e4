/*
 * ws.c: MQTT over WebSocket, client side. The MQTT role keeps the conn; this file
 * is the layer between it and the socket: the upgrade request (subprotocol
 * "mqtt"), the 101 checked with the HTTP response parser, then binary frames both
 * ways through the ws room's I/O-free frame parser and encoder. MQTT bytes may
 * span frames and a frame may hold several packets: the MQTT framer sees a byte
 * stream either way.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/mqtt/private-mqtt.h"

#if defined(LOOM_WITH_WS) && defined(LOOM_WITH_H1)

#include "roles/http/private-http.h"
#include "roles/ws/private-ws.h"

#include <stdio.h>

#define MQTT_WS_REQ_MAX		1024
#define MQTT_WS_DEF_PATH	"/mqtt"
#define MQTT_WS_DEF_PROTO	"mqtt"
#define MQTT_WS_STACK		512

/* the MQTT role reserves this much before its batch for our header */
typedef char mqtt_ws_headroom_ok[MQTT_WS_HEADROOM >= LOOM_WS_MAX_HDR ? 1 : -1];

struct loom_mqtt_ws {
	struct loom_ws_parser p;
	struct loom_h1_ah *ah;		/* the 101 being parsed; NULL once open */
	char *path, *host, *protocols, *origin;
	uint8_t open;
	uint8_t close_sent;
	uint8_t rnd_used;
	uint8_t rnd[64];		/* random bytes for masks, refilled in batches */
	char accept[29];
	char why[96];			/* why the upgrade failed */
};

void
loom__mqtt_ws_destroy(struct loom_mqtt_ws *w)
{
	if (!w)
		return;
	loom_free(w->ah);
	loom_free(w->path);
	loom_free(w->host);
	loom_free(w->protocols);
	loom_free(w->origin);
	loom_free(w);
}

int
loom__mqtt_ws_create(const struct loom_client_connect_info *i, struct loom_mqtt_ws **pw)
{
	struct loom_mqtt_ws *w = loom_zalloc(sizeof(*w), "mqtt ws");
	const char *s;
	char host[300];

	*pw = w;
	if (!w)
		return LOOM_ENOMEM;
	w->rnd_used = sizeof(w->rnd);
	loom__ws_parser_init(&w->p, 0, 0, 0);	/* the MQTT framer bounds packets */
	if (i->host)
		snprintf(host, sizeof(host), "%s", i->host);
	else if (!strncmp(i->address, "unix:", 5))
		snprintf(host, sizeof(host), "localhost");
	else if (strchr(i->address, ':'))
		snprintf(host, sizeof(host), "[%s]:%d", i->address, i->port);
	else if (i->port == (i->tls ? 443 : 80))
		snprintf(host, sizeof(host), "%s", i->address);
	else
		snprintf(host, sizeof(host), "%s:%d", i->address, i->port);
	w->path = loom__strdup(i->path ? i->path : MQTT_WS_DEF_PATH, "mqtt ws path");
	w->host = loom__strdup(host, "mqtt ws host");
	w->protocols = loom__strdup(i->ws_protocol ? i->ws_protocol : MQTT_WS_DEF_PROTO,
				    "mqtt ws proto");
	if (!w->path || !w->host || !w->protocols)
		return LOOM_ENOMEM;
	if (w->path[0] != '/' || !loom__http_value_ok(w->host) ||
	    !loom__http_value_ok(w->protocols))
		return LOOM_EINVAL;
	for (s = w->path; *s; s++)
		if (!(loom__http_ctype[(uint8_t)*s] & LOOM_HTTP_C_TARGET))
			return LOOM_EINVAL;
	if (i->ws_origin && (!loom__http_value_ok(i->ws_origin) ||
	    !(w->origin = loom__strdup(i->ws_origin, "mqtt ws origin"))))
		return LOOM_EINVAL;

	return 0;
}

/* the transport is up: send the upgrade request */
int
loom__mqtt_ws_start(struct loom_conn *conn, struct loom_mqtt_ws *w)
{
	char req[MQTT_WS_REQ_MAX], k64[25];
	uint8_t key[16];
	int n;

	w->ah = loom__h1_ah_create(loom__http_vh(conn->vhost), LOOM_HTTP_PARSE_RESPONSE);
	if (!w->ah)
		return LOOM_ENOMEM;
	loom__plat_random(key, sizeof(key));
	loom__ws_b64_encode(key, sizeof(key), k64);
	loom__ws_accept_for_key(k64, 24, w->accept);
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
		     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n"
		     "Sec-WebSocket-Protocol: %s\r\n%s%s%s"
		     "User-Agent: loom/" LOOM_VERSION_STRING "\r\n\r\n",
		     w->path, w->host, k64, w->protocols, w->origin ? "Origin: " : "",
		     w->origin ? w->origin : "", w->origin ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(req))
		return LOOM_ELIMIT;

	return loom__issue_raw(conn, (const uint8_t *)req, (size_t)n) < 0 ?
	       LOOM_ESOCKET : 0;
}

/* the response head is in: is it the 101 we asked for? NULL or why not */
static const char *
ws_check_101(struct loom_mqtt_ws *w)
{
	struct loom_ws_101 a;
	const char *why;

	/* MQTT over WebSocket needs the server to agree on the subprotocol, and
	 * we offer no extension */
	why = loom__ws_client_check_101(&w->ah->p, w->accept, w->protocols, 0, 1, &a);
	if (!why)
		return NULL;
	snprintf(w->why, sizeof(w->why), "mqtt: websocket upgrade: %s", why);

	return w->why;
}

static void
ws_mask_key(struct loom_mqtt_ws *w, uint8_t mask[4])
{
	if ((size_t)w->rnd_used + 4 > sizeof(w->rnd)) {
		loom__plat_random(w->rnd, sizeof(w->rnd));
		w->rnd_used = 0;
	}
	memcpy(mask, w->rnd + w->rnd_used, 4);
	w->rnd_used = (uint8_t)(w->rnd_used + 4);
}

/* one frame; \p buf has LOOM_WS_MAX_HDR writable bytes before it and is masked in
 * place */
static int
ws_send_frame(struct loom_conn *conn, struct loom_mqtt_ws *w, unsigned int op,
	      uint8_t *buf, size_t len)
{
	uint8_t hdr[LOOM_WS_MAX_HDR], mask[4];
	size_t hl;

	ws_mask_key(w, mask);
	loom__ws_mask(buf, len, mask, 0);
	hl = loom__ws_frame_header(hdr, op, 1, 0, len, mask);
	memcpy(buf - hl, hdr, hl);

	return loom__issue_raw(conn, buf - hl, hl + len) < 0 ? LOOM_ESOCKET : 0;
}

int
loom__mqtt_ws_send_inplace(struct loom_conn *conn, struct loom_mqtt_ws *w,
			   uint8_t *buf, size_t len)
{
	return ws_send_frame(conn, w, LOOM_WSOP_BINARY, buf, len);
}

int
loom__mqtt_ws_send(struct loom_conn *conn, struct loom_mqtt_ws *w,
		   const uint8_t *buf, size_t len)
{
	uint8_t stack[LOOM_WS_MAX_HDR + MQTT_WS_STACK], *b = stack;
	int r;

	if (len > MQTT_WS_STACK) {
		b = loom_realloc(NULL, LOOM_WS_MAX_HDR + len, "mqtt ws frame");
		if (!b)
			return LOOM_ENOMEM;
	}
	memcpy(b + LOOM_WS_MAX_HDR, buf, len);
	r = ws_send_frame(conn, w, LOOM_WSOP_BINARY, b + LOOM_WS_MAX_HDR, len);
	if (b != stack)
		loom_free(b);

	return r;
}

static int
ws_send_ctl(struct loom_conn *conn, struct loom_mqtt_ws *w, unsigned int op,
	    const uint8_t *pl, size_t len)
{
	uint8_t b[LOOM_WS_MAX_HDR + LOOM_WS_MAX_CTL];

	if (len > LOOM_WS_MAX_CTL || conn->fd < 0)
		return LOOM_EINVAL;
	if (len)
		memcpy(b + LOOM_WS_MAX_HDR, pl, len);

	return ws_send_frame(conn, w, op, b + LOOM_WS_MAX_HDR, len);
}

int
loom__mqtt_ws_send_close(struct loom_conn *conn, struct loom_mqtt_ws *w,
			 unsigned int code)
{
	uint8_t pl[2];

	if (!w->open || w->close_sent)
		return 0;
	w->close_sent = 1;
	pl[0] = (uint8_t)(code >> 8);
	pl[1] = (uint8_t)code;

	return ws_send_ctl(conn, w, LOOM_WSOP_CLOSE, pl, sizeof(pl));
}

/* the upgrade response: MQTT_WS_MORE, MQTT_WS_OPEN, or < 0 with *why */
static int
ws_rx_head(struct loom_conn *conn, struct loom_mqtt_ws *w, const uint8_t *buf,
	   size_t len, size_t *used, const char **why)
{
	int r = loom__http_parse(&w->ah->p, buf, len, used);

	if (r < 0) {
		*why = "mqtt: websocket upgrade: bad response head";
		return -1;
	}
	if (r != LOOM_HP_DONE)
		return MQTT_WS_MORE;
	*why = ws_check_101(w);
	if (*why) {
		loom_clog_info(conn, "%s (status %u)", *why, w->ah->p.status);
		return -1;
	}
	loom_free(w->ah);
	w->ah = NULL;
	w->open = 1;

	return MQTT_WS_OPEN;
}

int
loom__mqtt_ws_rx(struct loom_conn *conn, struct loom_mqtt_ws *w, uint8_t *buf,
		 size_t len, size_t *used, const uint8_t **data, size_t *dlen,
		 const char **why)
{
	struct loom_ws_event ev;
	size_t u, total = 0;
	int r;

	*used = 0;
	if (!w->open)
		return w->ah ? ws_rx_head(conn, w, buf, len, used, why) : -1;
	while (total < len) {
		r = loom__ws_parse(&w->p, buf + total, len - total, &u, &ev);
		total += u;
		*used = total;
		if (r < 0) {
			loom__mqtt_ws_send_close(conn, w, (unsigned int)-r);
			*why = r == -1009 ? "mqtt: websocket frame too big" :
			       "mqtt: websocket protocol error";
			return -1;
		}
		if (r == LOOM_WS_P_MORE)
			break;
		switch (ev.type) {
		case LOOM_WS_EV_DATA:
			if (ev.opcode != LOOM_WSOP_BINARY) {
				/* MQTT over WebSocket is binary frames only */
				loom__mqtt_ws_send_close(conn, w, 1003);
				*why = "mqtt: websocket text frame";
				return -1;
			}
			if (!ev.len)
				break;
			*data = ev.data;
			*dlen = ev.len;
			return MQTT_WS_DATA;
		case LOOM_WS_EV_PING:
			if (!w->close_sent &&
			    ws_send_ctl(conn, w, LOOM_WSOP_PONG, ev.data, ev.len))
				return (*why = "mqtt: write failed"), -1;
			break;
		case LOOM_WS_EV_PONG:
			break;
		default:	/* CLOSE: answer with its code, then it ends */
			loom__mqtt_ws_send_close(conn, w, ev.close_code == 1005 ? 1000 :
						 ev.close_code);
			return MQTT_WS_CLOSED;
		}
	}

	return MQTT_WS_MORE;
}

#else /* a build without the ws or h1 roles: no MQTT over WebSocket */

int
loom__mqtt_ws_create(const struct loom_client_connect_info *i, struct loom_mqtt_ws **pw)
{
	(void)i;
	*pw = NULL;
	loom_log_err("mqtt: MQTT over WebSocket needs LOOM_WITH_WS and LOOM_WITH_H1");

	return LOOM_EUNSUPP;
}

void
loom__mqtt_ws_destroy(struct loom_mqtt_ws *w)
{
	(void)w;
}

int
loom__mqtt_ws_start(struct loom_conn *conn, struct loom_mqtt_ws *w)
{
	(void)conn;
	(void)w;

	return LOOM_EUNSUPP;
}

int
loom__mqtt_ws_rx(struct loom_conn *conn, struct loom_mqtt_ws *w, uint8_t *buf,
		 size_t len, size_t *used, const uint8_t **data, size_t *dlen,
		 const char **why)
{
	(void)conn;
	(void)w;
	(void)buf;
	(void)len;
	(void)data;
	(void)dlen;
	*used = 0;
	*why = "mqtt: no websocket support";

	return -1;
}

int
loom__mqtt_ws_send(struct loom_conn *conn, struct loom_mqtt_ws *w,
		   const uint8_t *buf, size_t len)
{
	(void)conn;
	(void)w;
	(void)buf;
	(void)len;

	return LOOM_EUNSUPP;
}

int
loom__mqtt_ws_send_inplace(struct loom_conn *conn, struct loom_mqtt_ws *w,
			   uint8_t *buf, size_t len)
{
	return loom__mqtt_ws_send(conn, w, buf, len);
}

int
loom__mqtt_ws_send_close(struct loom_conn *conn, struct loom_mqtt_ws *w,
			 unsigned int code)
{
	(void)conn;
	(void)w;
	(void)code;

	return 0;
}
#endif
