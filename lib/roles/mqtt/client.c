/*
 * client.c: the MQTT client role. It glues the codec to a client conn: CONNECT once
 * the transport is up, CONNACK, PUBLISH both ways at QoS 0/1/2 with packet ids and
 * an in-flight window kept in a session that may outlive the conn, SUBSCRIBE and
 * UNSUBSCRIBE, topic aliases (MQTT 5), and the keepalive on the sul. Over
 * WebSocket (LOOM_CONNECT_WS) every write goes through ws.c as a binary frame.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/mqtt/private-mqtt.h"

#include <stdio.h>

#define MQTT_DEF_MAX_PACKET	(256u * 1024u)
#define MQTT_DEF_RECEIVE_MAX	32
#define MQTT_DEF_INFLIGHT	16
#define MQTT_MAX_HELD_OUTPUT	(256u * 1024u)	/* publish says EBUSY past this */
#define MQTT_STACK_PKT		512
#define MQTT_KEEP_RX_BUF	4096		/* rx buffers larger are freed after use */
#define MQTT_TX_BATCH		16384		/* packets sent together in one loop pass */

/* what an entry of the session's out list waits for */
enum {
	OUT_PUBACK = 1,		/* QoS 1 PUBLISH sent */
	OUT_PUBREC,		/* QoS 2 PUBLISH sent */
	OUT_PUBCOMP,		/* QoS 2 PUBREL sent */
	OUT_SUBACK,
	OUT_UNSUBACK
};

struct loom_mqtt_out {
	struct loom_dll2 list;
	uint8_t *pkt;			/* the PUBLISH (no alias) to send again */
	size_t len;
	uint16_t pid;
	uint16_t count;			/* topics of a SUBSCRIBE / UNSUBSCRIBE */
	uint8_t state;
};

struct loom_mqtt_session {
	struct loom_dll2_owner out;	/* unacknowledged packets, in sending order */
	uint16_t *qos2_in;		/* QoS 2 ids received, PUBREL not yet in */
	unsigned int qos2_in_count;
	unsigned int qos2_in_cap;
	uint16_t next_pid;
	uint8_t in_use;
};

enum { MS_WS_UPGRADE = 1, MS_CONNECT_SENT, MS_ESTABLISHED, MS_DONE };

struct loom_mqtt {
	struct loom_conn *conn;
	struct loom_mqtt_session *s;
	struct loom_mqtt_ws *ws;	/* over WebSocket; NULL on TCP / TLS */
	uint8_t *connect_pkt;		/* CONNECT, encoded at bind time */
	size_t connect_len;
	struct loom_mqtt_framer fr;
	struct loom_sul sul_ka;		/* send PINGREQ when idle for keep_alive */
	struct loom_sul sul_pingresp;	/* PINGRESP did not come */
	loom_usec_t last_tx;
	uint8_t *tx;			/* MQTT_WS_HEADROOM, then packets batched for the
					 * end of the loop pass */
	size_t tx_len;
	char **alias_in;		/* topics the server gave aliases (index alias-1) */
	char **alias_out;		/* topics we gave aliases */
	char *assigned_id;
	uint32_t server_max_packet;
	unsigned int pingresp_ms;
	unsigned int inflight;		/* QoS 1/2 publishes unacknowledged */
	uint16_t keep_alive;
	uint16_t receive_max;		/* ours: QoS 2 held from the server at once */
	uint16_t topic_alias_max;	/* ours */
	uint16_t server_receive_max;
	uint16_t server_alias_max;
	uint16_t alias_out_used;
	uint16_t inflight_max;
	uint8_t version;
	uint8_t clean_start;
	uint8_t state;
	uint8_t server_max_qos;
	uint8_t server_retain;
	uint8_t use_alias;
	uint8_t disconnect_sent;
	uint8_t internal_session;
	char why[96];			/* the close reason the user is told */
};

/* ---- sessions ---- */

struct loom_mqtt_session *
loom_mqtt_session_create(void)
{
	struct loom_mqtt_session *s = loom_zalloc(sizeof(*s), "mqtt session");

	if (s)
		s->next_pid = 1;

	return s;
}

static void
out_free(struct loom_mqtt_out *o)
{
	loom_dll2_remove(&o->list);
	loom_free(o->pkt);
	loom_free(o);
}

/* forget everything: a clean start */
static void
session_clear(struct loom_mqtt_session *s)
{
	while (s->out.head)
		out_free(loom_container_of(s->out.head, struct loom_mqtt_out, list));
	s->qos2_in_count = 0;
}

void
loom_mqtt_session_destroy(struct loom_mqtt_session *s)
{
	if (!s)
		return;
	session_clear(s);
	loom_free(s->qos2_in);
	loom_free(s);
}

unsigned int
loom_mqtt_session_inflight(const struct loom_mqtt_session *s)
{
	const struct loom_dll2 *d;
	unsigned int n = 0;

	for (d = s ? s->out.head : NULL; d; d = d->next) {
		const struct loom_mqtt_out *o = loom_container_of(d, struct loom_mqtt_out,
								  list);

		if (o->state <= OUT_PUBCOMP)
			n++;
	}

	return n;
}

static struct loom_mqtt_out *
out_find(struct loom_mqtt_session *s, uint16_t pid)
{
	struct loom_dll2 *d;

	for (d = s->out.head; d; d = d->next) {
		struct loom_mqtt_out *o = loom_container_of(d, struct loom_mqtt_out, list);

		if (o->pid == pid)
			return o;
	}

	return NULL;
}

/* a packet id no unacknowledged packet uses; 0 when all are taken */
static uint16_t
pid_next(struct loom_mqtt_session *s)
{
	unsigned int tries;

	for (tries = 0; tries < 65535; tries++) {
		uint16_t pid = s->next_pid;

		s->next_pid = (uint16_t)(pid == 65535 ? 1 : pid + 1);
		if (pid && !out_find(s, pid))
			return pid;
	}

	return 0;
}

static struct loom_mqtt_out *
out_add(struct loom_mqtt_session *s, uint16_t pid, uint8_t state)
{
	struct loom_mqtt_out *o = loom_zalloc(sizeof(*o), "mqtt out");

	if (!o)
		return NULL;
	o->pid = pid;
	o->state = state;
	loom_dll2_add_tail(&o->list, &s->out);

	return o;
}

static int
qos2_in_find(const struct loom_mqtt_session *s, uint16_t pid)
{
	unsigned int n;

	for (n = 0; n < s->qos2_in_count; n++)
		if (s->qos2_in[n] == pid)
			return (int)n;

	return -1;
}

/* ---- sending ---- */

static struct loom_mqtt *
conn_mqtt(const struct loom_conn *conn)
{
	if (!conn || conn->role != &loom_role_ops_mqtt || !conn->role_data)
		return NULL;

	return conn->role_data;
}

/* bytes of the MQTT stream to the transport: raw, or one WebSocket frame */
static int
mqtt_issue(struct loom_mqtt *m, const uint8_t *buf, size_t len)
{
	int n;

	if (m->ws)
		return loom__mqtt_ws_send(m->conn, m->ws, buf, len);
	n = loom__issue_raw(m->conn, buf, len);

	return n < 0 ? n : 0;
}

/* what is batched goes to the transport now */
static int
tx_flush(struct loom_mqtt *m)
{
	size_t len = m->tx_len;
	uint8_t *b;

	if (!len)
		return 0;
	b = m->tx + MQTT_WS_HEADROOM;
	m->tx_len = 0;
	if (m->ws)
		return loom__mqtt_ws_send_inplace(m->conn, m->ws, b, len);

	return loom__issue_raw(m->conn, b, len) < 0 ? LOOM_ESOCKET : 0;
}

/*
 * Packets of an established session are batched and go out together at the end
 * of this loop pass (the conn's pending-writable turn), so a burst of small
 * publishes or acks costs one send, not one each. When the batch is full it goes
 * at once and the packet starts the next one. A packet larger than a batch, or
 * one outside an established session, goes at once, after what is batched.
 */
static int
mqtt_send(struct loom_mqtt *m, const uint8_t *buf, size_t len)
{
	struct loom_conn *conn = m->conn;
	int batch;

	m->last_tx = loom_now_usecs();
	batch = m->state == MS_ESTABLISHED && !(conn->flags & LCF_CLOSING) &&
		len <= MQTT_TX_BATCH &&
		(loom_dll2_is_detached(&conn->list_pending) ||
		 conn->list_pending.owner == &conn->pt->pending_writable) &&
		(m->tx || (m->tx = loom_realloc(NULL, MQTT_WS_HEADROOM + MQTT_TX_BATCH,
						"mqtt tx")));
	/* a full batch goes now, and this packet starts the next one */
	if (batch && m->tx_len + len > MQTT_TX_BATCH && tx_flush(m))
		return LOOM_ESOCKET;
	if (batch) {
		memcpy(m->tx + MQTT_WS_HEADROOM + m->tx_len, buf, len);
		m->tx_len += len;
		if (loom_dll2_is_detached(&conn->list_pending))
			loom_dll2_add_tail(&conn->list_pending, &conn->pt->pending_writable);
		return 0;
	}
	if (tx_flush(m))
		return LOOM_ESOCKET;

	return mqtt_issue(m, buf, len);
}

static int
send_ack(struct loom_mqtt *m, uint8_t type, uint16_t pid, uint8_t reason)
{
	uint8_t b[8];
	size_t n = loom__mqtt_enc_ack(b, sizeof(b), m->version, type, pid, reason);

	return mqtt_send(m, b, n);
}

static int
send_disconnect(struct loom_mqtt *m, uint8_t reason)
{
	uint8_t b[4];
	size_t n;

	if (m->disconnect_sent || !m->conn || m->conn->fd < 0)
		return 0;
	m->disconnect_sent = 1;
	n = loom__mqtt_enc_simple(b, sizeof(b), m->version, MQTT_DISCONNECT, reason);
	/* the last packet: what is batched, then it, at once */
	if (tx_flush(m) || mqtt_issue(m, b, n))
		return LOOM_ESOCKET;
	/* over WebSocket the close handshake follows it */
	return m->ws && loom__mqtt_ws_send_close(m->conn, m->ws, 1000) ? LOOM_ESOCKET : 0;
}

/* ---- keepalive ---- */

static void
mqtt_pingresp_timeout(struct loom_sul *sul)
{
	struct loom_mqtt *m = loom_container_of(sul, struct loom_mqtt, sul_pingresp);

	loom__close_now(m->conn, LOOM_CLOSE_ABNORMAL, m->state == MS_CONNECT_SENT ?
			"mqtt: no CONNACK in time" : m->state == MS_WS_UPGRADE ?
			"mqtt: no websocket upgrade in time" : "mqtt: no PINGRESP in time");
}

static void
mqtt_ka_cb(struct loom_sul *sul)
{
	struct loom_mqtt *m = loom_container_of(sul, struct loom_mqtt, sul_ka);
	loom_usec_t ka = (loom_usec_t)m->keep_alive * LOOM_US_PER_SEC,
		    idle = loom_now_usecs() - m->last_tx;
	uint8_t b[2] = { MQTT_PINGREQ << 4, 0 };

	if (idle < ka) {
		/* something went out since: wait for the rest of the idle time */
		loom_sul_schedule(m->conn->pt->ctx, m->conn->pt->tsi, &m->sul_ka,
				  mqtt_ka_cb, ka - idle);
		return;
	}
	/* idle for a whole keep alive: the batch buffer is freed until traffic
	 * comes back, so a quiet session holds none; PINGREQ goes on its own */
	if (!m->tx_len) {
		loom_free(m->tx);
		m->tx = NULL;
	}
	m->last_tx = loom_now_usecs();
	if (tx_flush(m) || mqtt_issue(m, b, sizeof(b)))
		return;
	if (!loom_sul_is_scheduled(&m->sul_pingresp))
		loom_sul_schedule(m->conn->pt->ctx, m->conn->pt->tsi, &m->sul_pingresp,
				  mqtt_pingresp_timeout,
				  (loom_usec_t)m->pingresp_ms * LOOM_US_PER_MS);
	loom_sul_schedule(m->conn->pt->ctx, m->conn->pt->tsi, &m->sul_ka, mqtt_ka_cb, ka);
}

/* ---- bind: keep what CONNECT needs ---- */

static int
mqtt_client_bind(struct loom_conn *conn, const struct loom_client_connect_info *i)
{
	const struct loom_mqtt_client_info *ci = i->mqtt;
	struct loom_mqtt *m;
	int r;

	if (!ci || (i->flags & LOOM_CONNECT_UDP))
		return LOOM_EINVAL;
	m = loom_zalloc(sizeof(*m), "mqtt");
	if (!m)
		return LOOM_ENOMEM;
	conn->role_data = m;
	m->conn = conn;
	if ((i->flags & LOOM_CONNECT_WS) && (r = loom__mqtt_ws_create(i, &m->ws)))
		return r;
	m->version = ci->protocol_version == LOOM_MQTT_V5 ? LOOM_MQTT_V5 : LOOM_MQTT_V311;
	m->clean_start = ci->clean_start;
	m->keep_alive = ci->keep_alive;
	m->pingresp_ms = ci->pingresp_timeout_ms ? ci->pingresp_timeout_ms :
			 (unsigned int)ci->keep_alive * 1000u;
	m->receive_max = ci->receive_maximum ? ci->receive_maximum : MQTT_DEF_RECEIVE_MAX;
	m->inflight_max = ci->inflight_max ? ci->inflight_max : MQTT_DEF_INFLIGHT;
	m->use_alias = ci->use_topic_alias;
	if (m->version == LOOM_MQTT_V5)
		m->topic_alias_max = ci->topic_alias_maximum;
	loom__mqtt_framer_init(&m->fr, ci->maximum_packet_size ? ci->maximum_packet_size :
				       MQTT_DEF_MAX_PACKET);

	m->connect_len = loom__mqtt_enc_connect(NULL, 0, ci);
	if (!m->connect_len)
		return LOOM_EINVAL;	/* a field too long, bad will QoS ... */
	m->connect_pkt = loom_realloc(NULL, m->connect_len, "mqtt connect");
	if (!m->connect_pkt)
		return LOOM_ENOMEM;
	loom__mqtt_enc_connect(m->connect_pkt, m->connect_len, ci);

	if (ci->session) {
		if (ci->session->in_use)
			return LOOM_EBUSY;	/* one connection at a time */
		m->s = ci->session;
	} else {
		m->s = loom_mqtt_session_create();
		if (!m->s)
			return LOOM_ENOMEM;
		m->internal_session = 1;
	}
	m->s->in_use = 1;
	if (m->clean_start)
		session_clear(m->s);

	return 0;
}

/* the MQTT stream is up (on TCP, TLS or WebSocket): CONNECT, wait for CONNACK */
static int
mqtt_send_connect(struct loom_mqtt *m)
{
	struct loom_conn *conn = m->conn;

	m->state = MS_CONNECT_SENT;
	/* the PINGRESP timer also bounds the wait for CONNACK */
	loom_sul_schedule(conn->pt->ctx, conn->pt->tsi, &m->sul_pingresp,
			  mqtt_pingresp_timeout,
			  (loom_usec_t)conn->pt->ctx->timeout_secs * LOOM_US_PER_SEC);

	return mqtt_send(m, m->connect_pkt, m->connect_len) ? -1 : 0;
}

/* the transport is up: the WebSocket upgrade first, or CONNECT at once */
static int
mqtt_alpn_negotiated(struct loom_conn *conn, const char *alpn)
{
	struct loom_mqtt *m = conn->role_data;

	(void)alpn;
	/* to the user the conn is "connected" once CONNACK accepts it */
	conn->flags &= ~LCF_ESTABLISHED;
	if (!m->ws)
		return mqtt_send_connect(m);
	m->state = MS_WS_UPGRADE;
	loom_sul_schedule(conn->pt->ctx, conn->pt->tsi, &m->sul_pingresp,
			  mqtt_pingresp_timeout,
			  (loom_usec_t)conn->pt->ctx->timeout_secs * LOOM_US_PER_SEC);

	return loom__mqtt_ws_start(conn, m->ws) ? -1 : 0;
}

/* ---- receiving ---- */

/* why the connection fails: an MQTT reason code and a text */
struct mqtt_fail {
	uint8_t rc;
	const char *why;
};

#define FAIL(_rc, _why) (f->rc = (_rc), f->why = (_why), -1)

static const char *
connack3_text(uint8_t rc)
{
	static const uint8_t map[] = { 0, 0x84, 0x85, 0x88, 0x86, 0x87 };

	return loom_mqtt_reason_text(rc < sizeof(map) ? map[rc] : 0x80);
}

/* send the unacknowledged packets again after CONNACK */
static int
resend_session(struct loom_mqtt *m, int session_present)
{
	struct loom_dll2 *d, *next;

	m->inflight = 0;
	for (d = m->s->out.head; d; d = next) {
		struct loom_mqtt_out *o = loom_container_of(d, struct loom_mqtt_out, list);

		next = d->next;
		switch (o->state) {
		case OUT_PUBACK:
		case OUT_PUBREC:
			/* DUP only when the server may have seen it */
			if (session_present)
				o->pkt[0] |= 0x08;
			else
				o->pkt[0] &= (uint8_t)~0x08;
			if (mqtt_send(m, o->pkt, o->len))
				return -1;
			m->inflight++;
			break;
		case OUT_PUBCOMP:
			if (!session_present) {
				/* the server got it (PUBREC came) and has forgotten the id */
				out_free(o);
				break;
			}
			if (send_ack(m, MQTT_PUBREL, o->pid, 0))
				return -1;
			m->inflight++;
			break;
		default:
			out_free(o);	/* SUBSCRIBE / UNSUBSCRIBE are not resent */
			break;
		}
	}

	return 0;
}

static int
on_connack(struct loom_mqtt *m, const struct loom_mqtt_pkt *k, struct mqtt_fail *f)
{
	struct loom_conn *conn = m->conn;
	const struct loom_mqtt_props *p = &k->props;

	if (k->reason) {
		snprintf(m->why, sizeof(m->why), "mqtt: %s", m->version == LOOM_MQTT_V5 ?
			 loom_mqtt_reason_text(k->reason) : connack3_text(k->reason));
		f->rc = 0;	/* refused: nothing to answer */
		f->why = m->why;
		return -1;
	}
	m->server_receive_max = (p->has & ((uint64_t)1 << MQTT_P_RECEIVE_MAX)) ?
				p->receive_max : 65535;
	m->server_max_qos = (p->has & ((uint64_t)1 << MQTT_P_MAX_QOS)) ? p->max_qos : 2;
	m->server_retain = (p->has & ((uint64_t)1 << MQTT_P_RETAIN_AVAILABLE)) ?
			   p->retain_available : 1;
	m->server_max_packet = p->max_packet_size;
	m->server_alias_max = p->topic_alias_max;
	if (p->server_keep_alive || (p->has & ((uint64_t)1 << MQTT_P_SERVER_KEEP_ALIVE))) {
		m->keep_alive = p->server_keep_alive;
		m->pingresp_ms = (unsigned int)m->keep_alive * 1000u;
	}
	if (m->server_alias_max) {
		m->alias_out = loom_zalloc(sizeof(char *) * m->server_alias_max,
					   "mqtt alias out");
		if (!m->alias_out)
			return FAIL(MQTT_RC_UNSPECIFIED, "mqtt: out of memory");
	}
	if (p->assigned_client_id_len) {
		m->assigned_id = loom_realloc(NULL, p->assigned_client_id_len + 1u,
					      "mqtt client id");
		if (!m->assigned_id)
			return FAIL(MQTT_RC_UNSPECIFIED, "mqtt: out of memory");
		memcpy(m->assigned_id, p->assigned_client_id, p->assigned_client_id_len);
		m->assigned_id[p->assigned_client_id_len] = '\0';
	}
	if (!k->session_present)
		m->s->qos2_in_count = 0;	/* the server has no state for them */

	m->state = MS_ESTABLISHED;
	loom_sul_cancel(&m->sul_pingresp);
	if (m->keep_alive)
		loom_sul_schedule(conn->pt->ctx, conn->pt->tsi, &m->sul_ka, mqtt_ka_cb,
				  (loom_usec_t)m->keep_alive * LOOM_US_PER_SEC);
	if (resend_session(m, k->session_present))
		return FAIL(MQTT_RC_UNSPECIFIED, "mqtt: resend failed");
	conn->flags |= LCF_ESTABLISHED;
	if (loom__user_callback(conn, LOOM_CB_MQTT_CLIENT_ESTABLISHED, NULL,
				k->session_present))
		return 1;
	if ((conn->flags & LCF_WANT_WRITABLE) && !(conn->flags & LCF_CLOSING) &&
	    !conn->buflist_out && loom_dll2_is_detached(&conn->list_pending))
		/* asked for before CONNACK: it can go now */
		loom_dll2_add_tail(&conn->list_pending, &conn->pt->pending_writable);

	return 0;
}

static int
on_publish(struct loom_mqtt *m, struct loom_mqtt_pkt *k, struct mqtt_fail *f)
{
	struct loom_mqtt_session *s = m->s;
	struct loom_mqtt_message msg;
	int dup_qos2 = 0;

	if (k->props.has & ((uint64_t)1 << MQTT_P_TOPIC_ALIAS)) {
		uint16_t a = k->props.topic_alias;

		if (!m->topic_alias_max || a > m->topic_alias_max)
			return FAIL(MQTT_RC_TOPIC_ALIAS_INVALID, "mqtt: topic alias invalid");
		if (!m->alias_in) {
			m->alias_in = loom_zalloc(sizeof(char *) * m->topic_alias_max,
						  "mqtt alias in");
			if (!m->alias_in)
				return FAIL(MQTT_RC_UNSPECIFIED, "mqtt: out of memory");
		}
		if (k->topic_len) {
			char *t = loom_realloc(m->alias_in[a - 1], k->topic_len + 1u,
					       "mqtt alias topic");

			if (!t)
				return FAIL(MQTT_RC_UNSPECIFIED, "mqtt: out of memory");
			memcpy(t, k->topic, k->topic_len);
			t[k->topic_len] = '\0';
			m->alias_in[a - 1] = t;
		} else {
			if (!m->alias_in[a - 1])
				return FAIL(MQTT_RC_PROTOCOL_ERROR,
					    "mqtt: unknown topic alias");
			k->topic = m->alias_in[a - 1];
			k->topic_len = (uint16_t)strlen(k->topic);
		}
	}
	if (k->qos == 2) {
		if (qos2_in_find(s, k->packet_id) >= 0)
			dup_qos2 = 1;	/* delivered already: only PUBREC again */
		else {
			if (s->qos2_in_count >= m->receive_max)
				return FAIL(MQTT_RC_RECEIVE_MAX_EXCEEDED,
					    "mqtt: receive maximum exceeded");
			if (s->qos2_in_count == s->qos2_in_cap) {
				unsigned int cap = s->qos2_in_cap ? s->qos2_in_cap * 2 : 8;
				uint16_t *q = loom_realloc(s->qos2_in, cap * sizeof(*q),
							   "mqtt qos2 in");

				if (!q)
					return FAIL(MQTT_RC_UNSPECIFIED, "mqtt: out of memory");
				s->qos2_in = q;
				s->qos2_in_cap = cap;
			}
			s->qos2_in[s->qos2_in_count++] = k->packet_id;
		}
	}
	if (!dup_qos2) {
		memset(&msg, 0, sizeof(msg));
		msg.topic = k->topic;
		msg.topic_len = k->topic_len;
		msg.payload = k->payload;
		msg.payload_len = k->payload_len;
		msg.packet_id = k->packet_id;
		msg.qos = k->qos;
		msg.retain = k->retain;
		msg.dup = k->dup;
		msg.props = k->props.raw;
		msg.props_len = k->props.raw_len;
		if (loom__user_callback(m->conn, LOOM_CB_MQTT_CLIENT_RX, &msg, sizeof(msg)))
			return 1;
	}
	if (k->qos == 1 && send_ack(m, MQTT_PUBACK, k->packet_id, 0))
		return FAIL(MQTT_RC_UNSPECIFIED, "mqtt: write failed");
	if (k->qos == 2 && send_ack(m, MQTT_PUBREC, k->packet_id, 0))
		return FAIL(MQTT_RC_UNSPECIFIED, "mqtt: write failed");

	return 0;
}

static int
ack_cb(struct loom_mqtt *m, enum loom_callback_reason reason, uint16_t pid,
       unsigned int count, const uint8_t *reasons, const struct loom_mqtt_props *p)
{
	struct loom_mqtt_ack a;

	a.packet_id = pid;
	a.count = count;
	a.reasons = reasons;
	a.reason_string = p->reason_string;
	a.reason_string_len = p->reason_string_len;

	return loom__user_callback(m->conn, reason, &a, sizeof(a)) ? 1 : 0;
}

/* PUBACK, PUBREC, PUBREL, PUBCOMP */
static int
on_pub_ack(struct loom_mqtt *m, const struct loom_mqtt_pkt *k, struct mqtt_fail *f)
{
	struct loom_mqtt_out *o = out_find(m->s, k->packet_id);
	uint8_t rc = k->reason;
	int i;

	switch (k->type) {
	case MQTT_PUBREL:
		i = qos2_in_find(m->s, k->packet_id);
		if (i >= 0)
			m->s->qos2_in[i] = m->s->qos2_in[--m->s->qos2_in_count];
		if (send_ack(m, MQTT_PUBCOMP, k->packet_id, i < 0 ?
			     MQTT_RC_PACKET_ID_NOT_FOUND : 0))
			return FAIL(MQTT_RC_UNSPECIFIED, "mqtt: write failed");
		return 0;
	case MQTT_PUBREC:
		if (o && o->state == OUT_PUBREC && rc < 0x80) {
			/* the server has it: release the id; the payload is no longer needed */
			o->state = OUT_PUBCOMP;
			loom_free(o->pkt);
			o->pkt = NULL;
			o->len = 0;
		}
		if (o && o->state == OUT_PUBCOMP) {
			if (send_ack(m, MQTT_PUBREL, k->packet_id, 0))
				return FAIL(MQTT_RC_UNSPECIFIED, "mqtt: write failed");
			return 0;
		}
		if (!o || o->state != OUT_PUBREC) {
			if (send_ack(m, MQTT_PUBREL, k->packet_id,
				     MQTT_RC_PACKET_ID_NOT_FOUND))
				return FAIL(MQTT_RC_UNSPECIFIED, "mqtt: write failed");
			return 0;
		}
		break;	/* refused (>= 0x80): the publish is over */
	case MQTT_PUBACK:
		if (!o || o->state != OUT_PUBACK) {
			loom_clog_info(m->conn, "mqtt: PUBACK for unknown id %u", k->packet_id);
			return 0;
		}
		break;
	default:	/* PUBCOMP */
		if (!o || o->state != OUT_PUBCOMP) {
			loom_clog_info(m->conn, "mqtt: PUBCOMP for unknown id %u",
				       k->packet_id);
			return 0;
		}
		break;
	}
	out_free(o);
	if (m->inflight)
		m->inflight--;

	return ack_cb(m, LOOM_CB_MQTT_ACK, k->packet_id, 1, &rc, &k->props);
}

static int
on_sub_ack(struct loom_mqtt *m, const struct loom_mqtt_pkt *k, struct mqtt_fail *f)
{
	struct loom_mqtt_out *o = out_find(m->s, k->packet_id);
	uint8_t want = k->type == MQTT_SUBACK ? OUT_SUBACK : OUT_UNSUBACK;
	uint8_t zeros[32];
	unsigned int count;
	const uint8_t *rcs = k->payload;
	int r;

	if (!o || o->state != want)
		return FAIL(MQTT_RC_PROTOCOL_ERROR, "mqtt: ack for an unknown packet id");
	count = o->count;
	if (k->type == MQTT_UNSUBACK && m->version != LOOM_MQTT_V5) {
		/* 3.1.1 UNSUBACK has no per-topic codes: all succeeded */
		memset(zeros, 0, sizeof(zeros));
		rcs = zeros;
		if (count > sizeof(zeros))
			count = sizeof(zeros);
	} else if (k->payload_len != count)
		return FAIL(MQTT_RC_PROTOCOL_ERROR, "mqtt: ack with the wrong topic count");
	out_free(o);
	r = ack_cb(m, k->type == MQTT_SUBACK ? LOOM_CB_MQTT_SUBSCRIBED :
		   LOOM_CB_MQTT_UNSUBSCRIBED, k->packet_id, count, rcs, &k->props);

	return r;
}

static int
on_packet(struct loom_mqtt *m, struct mqtt_fail *f)
{
	struct loom_mqtt_pkt k;
	int e = loom__mqtt_decode(m->version, m->fr.hdr, m->fr.body, m->fr.rl, &k);

	if (e < 0) {
		f->rc = (uint8_t)-e;
		f->why = e == -MQTT_RC_MALFORMED ? "mqtt: malformed packet" :
			 e == -MQTT_RC_PAYLOAD_FORMAT ? "mqtt: payload format invalid" :
			 "mqtt: protocol error";
		return -1;
	}
	if (m->state == MS_CONNECT_SENT) {
		if (k.type != MQTT_CONNACK)
			return FAIL(MQTT_RC_PROTOCOL_ERROR, "mqtt: expected CONNACK");
		return on_connack(m, &k, f);
	}
	switch (k.type) {
	case MQTT_PUBLISH:
		return on_publish(m, &k, f);
	case MQTT_PUBACK: case MQTT_PUBREC: case MQTT_PUBREL: case MQTT_PUBCOMP:
		return on_pub_ack(m, &k, f);
	case MQTT_SUBACK: case MQTT_UNSUBACK:
		return on_sub_ack(m, &k, f);
	case MQTT_PINGRESP:
		loom_sul_cancel(&m->sul_pingresp);
		return 0;
	case MQTT_DISCONNECT:
		{
			uint8_t rc = k.reason;

			ack_cb(m, LOOM_CB_MQTT_SERVER_DISCONNECT, 0, 1, &rc, &k.props);
			snprintf(m->why, sizeof(m->why), "mqtt: server disconnected: %s",
				 loom_mqtt_reason_text(rc));
			m->disconnect_sent = 1;	/* nothing more goes to it */
			f->rc = 0;
			f->why = m->why;
			return -1;
		}
	default:	/* a second CONNACK, AUTH (no enhanced authentication) */
		return FAIL(MQTT_RC_PROTOCOL_ERROR, "mqtt: unexpected packet");
	}
}

/* bytes from the server: 0 ok, 1 the user asked to close, -1 failure in *f */
static int
mqtt_rx(struct loom_mqtt *m, const uint8_t *buf, size_t len, struct mqtt_fail *f)
{
	struct loom_conn *conn = m->conn;
	size_t used;
	int r;

	while (len && !(conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE))) {
		r = loom__mqtt_frame(&m->fr, buf, len, &used);
		buf += used;
		len -= used;
		if (r < 0) {
			f->rc = (uint8_t)-r;
			f->why = r == -MQTT_RC_PACKET_TOO_LARGE ? "mqtt: packet too large" :
				 "mqtt: malformed packet";
			return -1;
		}
		if (r == MQTT_FR_NEED_BUF) {
			uint8_t *b = loom_realloc(m->fr.body, m->fr.rl, "mqtt rx");

			if (!b)
				return FAIL(MQTT_RC_UNSPECIFIED, "mqtt: out of memory");
			m->fr.body = b;
			m->fr.cap = m->fr.rl;
			continue;
		}
		if (r == MQTT_FR_PACKET) {
			r = on_packet(m, f);
			if (r)
				return r;
			if (m->fr.cap > MQTT_KEEP_RX_BUF) {
				/* a big packet is through: do not hold its buffer while idle */
				loom_free(m->fr.body);
				m->fr.body = NULL;
				m->fr.cap = 0;
			}
		}
	}

	return 0;
}

/* bytes from a WebSocket: the upgrade, then frames whose payload is the MQTT
 * stream; 0 ok, 1 the user asked to close, -1 failure in *f */
static int
mqtt_ws_rx(struct loom_mqtt *m, uint8_t *buf, size_t len, struct mqtt_fail *f)
{
	struct loom_conn *conn = m->conn;
	const uint8_t *d = NULL;
	size_t used, dl = 0;
	int r;

	while (len && !(conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE))) {
		const char *why = "mqtt: websocket failed";

		r = loom__mqtt_ws_rx(conn, m->ws, buf, len, &used, &d, &dl, &why);
		buf += used;
		len -= used;
		switch (r) {
		case MQTT_WS_MORE:
			return 0;
		case MQTT_WS_OPEN:
			if (mqtt_send_connect(m))
				return FAIL(0, "mqtt: write failed");
			break;
		case MQTT_WS_DATA:
			r = mqtt_rx(m, d, dl, f);
			if (r)
				return r;
			break;
		case MQTT_WS_CLOSED:
			m->disconnect_sent = 1;	/* the stream is over */
			return FAIL(0, "mqtt: the server closed the websocket");
		default:
			/* nothing more may go into the stream */
			m->disconnect_sent = 1;
			return FAIL(0, why);
		}
	}

	return 0;
}

/* a failure: DISCONNECT with the reason (when it is ours to give), then close */
static int
mqtt_fail(struct loom_mqtt *m, const struct mqtt_fail *f)
{
	struct loom_conn *conn = m->conn;

	if (f->rc && m->state != MS_DONE)
		send_disconnect(m, f->rc);
	m->state = MS_DONE;
	loom_clog_info(conn, "%s (reason 0x%02x)", f->why, f->rc);
	loom__close_now(conn, LOOM_CLOSE_ABNORMAL, f->why);

	return LOOM_HP_CLOSED;
}

static int
mqtt_handle_pollin(struct loom_pt *pt, struct loom_conn *conn)
{
	struct loom_mqtt *m = conn->role_data;
	struct mqtt_fail f = { 0, NULL };
	int n, r;

	if (conn->flags & LCF_CONNECTING)
		return loom__connect_continue(conn);
	if (conn->flags & (LCF_RX_PAUSED | LCF_PEER_EOF | LCF_CLOSING))
		return LOOM_HP_OK;

	n = loom__conn_read(conn, pt->serv_buf, pt->serv_buf_size);
	if (n < 0) {
		if (loom__plat_errno_is_again(errno))
			return LOOM_HP_OK;
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "mqtt: read failed");
		return LOOM_HP_CLOSED;
	}
	if (!n) {
		m->state = MS_DONE;
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "mqtt: server closed the connection");
		return LOOM_HP_CLOSED;
	}
	r = m->ws ? mqtt_ws_rx(m, pt->serv_buf, (size_t)n, &f) :
		    mqtt_rx(m, pt->serv_buf, (size_t)n, &f);
	if (r < 0)
		return mqtt_fail(m, &f);
	if (r > 0)
		return loom__close(conn, LOOM_CLOSE_NORMAL, "callback asked");

	return LOOM_HP_OK;
}

static int
mqtt_perform_user_pollout(struct loom_conn *conn)
{
	struct loom_mqtt *m = conn->role_data;

	if (m->tx_len && tx_flush(m))
		return LOOM_HP_OK;	/* the write failed: the conn closes from the loop */
	if (m->state != MS_ESTABLISHED)
		return LOOM_HP_OK;	/* WRITEABLE waits for CONNACK */

	return loom__role_user_pollout(conn);
}

/* raw writes would corrupt the packet stream: only the MQTT API writes */
static int
mqtt_write_role_protocol(struct loom_conn *conn, uint8_t **buf, size_t *len,
			 enum loom_write_protocol *wp)
{
	(void)conn;
	(void)buf;
	(void)len;
	(void)wp;

	return LOOM_EINVAL;
}

/* a normal close of an established conn says DISCONNECT first (the will is dropped) */
static int
mqtt_close_via_role_protocol(struct loom_conn *conn, enum loom_close_status status)
{
	struct loom_mqtt *m = conn->role_data;

	if (m && m->state == MS_ESTABLISHED && status == LOOM_CLOSE_NORMAL)
		send_disconnect(m, MQTT_RC_SUCCESS);
	if (m)
		m->state = MS_DONE;

	return 0;
}

static void
mqtt_close_role(struct loom_pt *pt, struct loom_conn *conn)
{
	struct loom_mqtt *m = conn->role_data;

	(void)pt;
	if (!m)
		return;
	loom_sul_cancel(&m->sul_ka);
	loom_sul_cancel(&m->sul_pingresp);
}

static void
free_aliases(char **a, unsigned int n)
{
	unsigned int i;

	if (!a)
		return;
	for (i = 0; i < n; i++)
		loom_free(a[i]);
	loom_free(a);
}

static void
mqtt_destroy_role(struct loom_conn *conn)
{
	struct loom_mqtt *m = conn->role_data;

	if (conn->flags & LCF_CONNECTING)
		loom__connect_destroy(conn);
	if (!m)
		return;
	loom_sul_cancel(&m->sul_ka);
	loom_sul_cancel(&m->sul_pingresp);
	if (m->s) {
		m->s->in_use = 0;
		if (m->internal_session)
			loom_mqtt_session_destroy(m->s);
	}
	free_aliases(m->alias_in, m->topic_alias_max);
	free_aliases(m->alias_out, m->server_alias_max);
	loom_free(m->assigned_id);
	loom_free(m->connect_pkt);
	loom_free(m->tx);
	loom_free(m->fr.body);
	loom__mqtt_ws_destroy(m->ws);
	loom_free(m);
	conn->role_data = NULL;
}

const struct loom_role_ops loom_role_ops_mqtt = {
	.name = "mqtt",
	.alpn = "mqtt",
	.handle_pollin = mqtt_handle_pollin,
	.handle_pollout = loom__role_pollout_flush,
	.perform_user_pollout = mqtt_perform_user_pollout,
	.write_role_protocol = mqtt_write_role_protocol,
	.close_via_role_protocol = mqtt_close_via_role_protocol,
	.close_role = mqtt_close_role,
	.destroy_role = mqtt_destroy_role,
	.client_bind = mqtt_client_bind,
	.alpn_negotiated = mqtt_alpn_negotiated,
	.adoption_cb = { 0, 0 },
	.writeable_cb = { 0, LOOM_CB_MQTT_CLIENT_WRITEABLE },
	.close_cb = { 0, LOOM_CB_MQTT_CLIENT_CLOSED },
	.counted = 1,
};

/* ---- the API ---- */

static int
api_ready(const struct loom_conn *conn, struct loom_mqtt **pm)
{
	struct loom_mqtt *m = conn_mqtt(conn);

	if (!m)
		return LOOM_EINVAL;
	if (m->state != MS_ESTABLISHED ||
	    (conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE)) || conn->fd < 0)
		return LOOM_ECLOSED;
	*pm = m;

	return 0;
}

/* the alias to use for \p topic: *send_topic says whether the topic goes too */
static uint16_t
alias_for(struct loom_mqtt *m, const char *topic, int *send_topic)
{
	uint16_t n;
	char *t;

	*send_topic = 1;
	if (!m->use_alias || !m->alias_out)
		return 0;
	for (n = 0; n < m->alias_out_used; n++)
		if (!strcmp(m->alias_out[n], topic)) {
			*send_topic = 0;
			return (uint16_t)(n + 1);
		}
	if (m->alias_out_used == m->server_alias_max)
		return 0;
	t = loom__strdup(topic, "mqtt alias");
	if (!t)
		return 0;
	m->alias_out[m->alias_out_used++] = t;

	return m->alias_out_used;
}

int
loom_mqtt_publish(struct loom_conn *conn, const struct loom_mqtt_publish_info *pub)
{
	uint8_t stack[MQTT_STACK_PKT], *pkt = stack;
	struct loom_mqtt *m = NULL;
	struct loom_mqtt_out *o = NULL;
	uint16_t pid = 0, alias;
	size_t len, tlen;
	int r = api_ready(conn, &m), send_topic;

	if (r)
		return r;
	if (!pub || !pub->topic || pub->qos > 2)
		return LOOM_EINVAL;
	tlen = strlen(pub->topic);
	if (!tlen || tlen > 65535 || !loom__mqtt_topic_name_valid(pub->topic, tlen))
		return LOOM_EINVAL;
	if (pub->qos > m->server_max_qos || (pub->retain && !m->server_retain))
		return LOOM_EUNSUPP;
	if (loom_pending_output(conn) + m->tx_len > MQTT_MAX_HELD_OUTPUT)
		return LOOM_EBUSY;
	if (pub->qos) {
		unsigned int win = m->inflight_max < m->server_receive_max ?
				   m->inflight_max : m->server_receive_max;

		if (m->inflight >= win)
			return LOOM_EBUSY;
		pid = pid_next(m->s);
		if (!pid)
			return LOOM_EBUSY;
	}
	alias = alias_for(m, pub->topic, &send_topic);
	len = loom__mqtt_enc_publish(NULL, 0, m->version, pub, send_topic ? pub->topic : "",
				     alias, pid, 0);
	if (!len)
		return LOOM_EINVAL;
	if (m->server_max_packet && len > m->server_max_packet)
		return LOOM_ELIMIT;
	if (len > sizeof(stack) || (pub->qos && !alias)) {
		/* a QoS 1/2 packet without alias is the one kept for resending */
		pkt = loom_realloc(NULL, len, "mqtt publish");
		if (!pkt)
			return LOOM_ENOMEM;
	}
	loom__mqtt_enc_publish(pkt, len, m->version, pub, send_topic ? pub->topic : "",
			       alias, pid, 0);
	if (pub->qos) {
		o = out_add(m->s, pid, pub->qos == 1 ? OUT_PUBACK : OUT_PUBREC);
		if (!o) {
			r = LOOM_ENOMEM;
			goto bail;
		}
		if (alias) {
			/* keep a copy that names the topic: aliases end with the conn */
			o->len = loom__mqtt_enc_publish(NULL, 0, m->version, pub, pub->topic,
							0, pid, 0);
			o->pkt = o->len ? loom_realloc(NULL, o->len, "mqtt resend") : NULL;
			if (!o->pkt) {
				out_free(o);
				r = LOOM_ENOMEM;
				goto bail;
			}
			loom__mqtt_enc_publish(o->pkt, o->len, m->version, pub, pub->topic, 0,
					       pid, 0);
		} else {
			o->pkt = pkt;
			o->len = len;
		}
		m->inflight++;
	}
	r = mqtt_send(m, pkt, len);
	if (pkt != stack && (!o || o->pkt != pkt))
		loom_free(pkt);

	return r < 0 ? r : pid;

bail:
	if (pkt != stack)
		loom_free(pkt);

	return r;
}

static int
sub_unsub(struct loom_conn *conn, const struct loom_mqtt_topic *topics,
	  unsigned int count, int unsub)
{
	struct loom_mqtt *m = NULL;
	struct loom_mqtt_out *o;
	uint8_t *pkt;
	uint16_t pid;
	size_t len;
	int r = api_ready(conn, &m);

	if (r)
		return r;
	if (!topics || !count || count > 65535)
		return LOOM_EINVAL;
	pid = pid_next(m->s);
	if (!pid)
		return LOOM_EBUSY;
	len = loom__mqtt_enc_subscribe(NULL, 0, m->version, unsub, pid, topics, count);
	if (!len)
		return LOOM_EINVAL;
	if (m->server_max_packet && len > m->server_max_packet)
		return LOOM_ELIMIT;
	pkt = loom_realloc(NULL, len, "mqtt subscribe");
	if (!pkt)
		return LOOM_ENOMEM;
	loom__mqtt_enc_subscribe(pkt, len, m->version, unsub, pid, topics, count);
	o = out_add(m->s, pid, unsub ? OUT_UNSUBACK : OUT_SUBACK);
	if (!o) {
		loom_free(pkt);
		return LOOM_ENOMEM;
	}
	o->count = (uint16_t)count;
	r = mqtt_send(m, pkt, len);
	loom_free(pkt);

	return r < 0 ? r : pid;
}

int
loom_mqtt_subscribe(struct loom_conn *conn, const struct loom_mqtt_topic *topics,
		    unsigned int count)
{
	return sub_unsub(conn, topics, count, 0);
}

int
loom_mqtt_unsubscribe(struct loom_conn *conn, const struct loom_mqtt_topic *topics,
		      unsigned int count)
{
	return sub_unsub(conn, topics, count, 1);
}

int
loom_mqtt_disconnect(struct loom_conn *conn, uint8_t reason)
{
	struct loom_mqtt *m = NULL;
	int r = api_ready(conn, &m);

	if (r)
		return r;
	r = send_disconnect(m, reason);
	m->state = MS_DONE;
	loom_close(conn, LOOM_CLOSE_NORMAL);

	return r;
}

const char *
loom_mqtt_assigned_client_id(const struct loom_conn *conn)
{
	struct loom_mqtt *m = conn_mqtt(conn);

	return m ? m->assigned_id : NULL;
}
