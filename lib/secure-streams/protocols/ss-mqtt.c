/*
 * ss-mqtt.c: Secure Streams over an MQTT client connection: once CONNACK is in,
 * the stream subscribes to "mqtt_subscribe" (if any); each tx message (gathered
 * from its pieces up to EOM) is published to "mqtt_topic" with "mqtt_qos"; QoS 0
 * reports QOS_ACK_LOCAL when sent, QoS 1/2 QOS_ACK_REMOTE (or NACK) when the
 * broker acknowledges. Each PUBLISH received goes to rx whole.
 */
#include "core/private-core.h"
#include "secure-streams/private-ss.h"

static int
gather(struct loom_ss_handle *h)
{
	int flags, rc, n = loom__ss_tx(h, LOOM_SS_TX_BUF, &flags, &rc);
	uint8_t *m;

	if (n < 0)
		return -1;
	if (rc == LOOM_SSR_TX_DONT_SEND)
		return 0;
	if (flags & LOOM_SS_FLAG_SOM)
		h->msg_len = 0;
	if (h->msg_len + (size_t)n > LOOM_SS_MQTT_MAX_MSG) {
		loom_log_err("%s: message over %d bytes", h->tag, LOOM_SS_MQTT_MAX_MSG);
		return -1;
	}
	m = loom_realloc(h->msg, h->msg_len + (size_t)n + 1, "ss mqtt message");
	if (!m)
		return -1;
	h->msg = m;
	memcpy(m + h->msg_len, h->txbuf + LOOM_PRE, (size_t)n);
	h->msg_len += (size_t)n;
	if (flags & LOOM_SS_FLAG_EOM)
		h->msg_ready = 1;

	return 1;
}

static int
publish(struct loom_ss_handle *h, struct loom_conn *conn)
{
	char topic[LOOM_SS_SUBST_MAX];
	struct loom_mqtt_publish_info pub;
	int r;

	if (loom__ss_subst(h, h->st->mqtt_topic, topic, sizeof(topic)) <= 0) {
		loom_log_err("%s: no mqtt_topic to publish to", h->tag);
		return -1;
	}
	memset(&pub, 0, sizeof(pub));
	pub.topic = topic;
	pub.payload = h->msg;
	pub.payload_len = h->msg_len;
	pub.qos = (uint8_t)h->st->mqtt_qos;
	pub.retain = !!(h->st->flags & LOOM_SSTF_MQTT_RETAIN);
	r = loom_mqtt_publish(conn, &pub);
	if (r == LOOM_EBUSY)
		return loom_callback_on_writable(conn) ? -1 : 0;
	if (r < 0) {
		h->msg_ready = 0;
		return loom__ss_state(h, LOOM_SSS_QOS_NACK_LOCAL, 0) ? 0 : -1;
	}
	h->msg_ready = 0;
	h->msg_pid = (uint16_t)r;
	if (!r && loom__ss_state(h, LOOM_SSS_QOS_ACK_LOCAL, 0))
		return 0;
	if (h->tx_requested)
		return loom_callback_on_writable(conn) ? -1 : 0;

	return 0;
}

static int
writeable(struct loom_ss_handle *h, struct loom_conn *conn)
{
	int r;

	if (!h->msg_ready) {
		r = gather(h);
		if (r <= 0)
			return r;
		if (!h->msg_ready)	/* more pieces to come */
			return loom_callback_on_writable(conn) ? -1 : 0;
	}

	return publish(h, conn);
}

static int
subscribe(struct loom_ss_handle *h, struct loom_conn *conn)
{
	char filter[LOOM_SS_SUBST_MAX];
	struct loom_mqtt_topic t;

	if (!h->st->mqtt_subscribe)
		return 0;
	if (loom__ss_subst(h, h->st->mqtt_subscribe, filter, sizeof(filter)) <= 0)
		return -1;
	memset(&t, 0, sizeof(t));
	t.filter = filter;
	t.qos = (uint8_t)h->st->mqtt_qos;

	return loom_mqtt_subscribe(conn, &t, 1) < 0 ? -1 : 0;
}

static int
ss_mqtt_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	   void *in, size_t len)
{
	struct loom_ss_handle *h = loom__ss_from_conn(conn);
	const struct loom_mqtt_message *m;
	const struct loom_mqtt_ack *a;

	if (!h || h->conn != conn)
		return 0;

	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		loom__ss_conn_gone(h, 1);
		return 0;
	case LOOM_CB_MQTT_CLIENT_ESTABLISHED:
		if (subscribe(h, conn))
			return -1;
		loom__ss_connected(h);
		return 0;
	case LOOM_CB_MQTT_CLIENT_RX:
		m = in;
		if (loom__ss_rx(h, m->payload, m->payload_len,
				LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM))
			return h->conn == conn ? -1 : 0;
		return 0;
	case LOOM_CB_MQTT_ACK:
		a = in;
		if (!a || a->packet_id != h->msg_pid)
			return 0;
		h->msg_pid = 0;
		loom__ss_state(h, a->count && a->reasons[0] >= 0x80 ?
			       LOOM_SSS_QOS_NACK_REMOTE : LOOM_SSS_QOS_ACK_REMOTE,
			       a->count ? a->reasons[0] : 0);
		return 0;
	case LOOM_CB_MQTT_CLIENT_WRITEABLE:
		return writeable(h, conn);
	case LOOM_CB_MQTT_CLIENT_CLOSED:
		loom__ss_conn_gone(h, 0);
		return 0;
	default:
		return 0;
	}
}

static const struct loom_protocol ss_mqtt_protocol = {
	"ss-mqtt", ss_mqtt_cb, 0, 0, 0, NULL, 0
};

static int
ss_mqtt_connect(struct loom_ss_handle *h)
{
	char addr[LOOM_SS_SUBST_MAX], cid[128];
	struct loom_client_connect_info ci;
	struct loom_mqtt_client_info mi;
	struct loom_tls_client_info tls;

	if (loom__ss_subst(h, h->st->endpoint, addr, sizeof(addr)) <= 0 ||
	    loom__ss_subst(h, h->st->mqtt_client_id, cid, sizeof(cid)) < 0)
		return -1;
	memset(&mi, 0, sizeof(mi));
	mi.client_id = cid;
	mi.keep_alive = (uint16_t)(h->st->mqtt_keep_alive ? h->st->mqtt_keep_alive : 60);
	mi.clean_start = 1;
	memset(&ci, 0, sizeof(ci));
	ci.context = h->ctx;
	ci.vhost = ((struct loom_ss_ctx *)h->ctx->ss)->vh_client;
	ci.protocol = ss_mqtt_protocol.name;
	ci.address = addr;
	ci.port = h->st->port;
	ci.mqtt = &mi;
	ci.tsi = h->tsi;
	ci.opaque_user_data = h;
	ci.pconn = &h->conn;
	if (h->st->flags & LOOM_SSTF_TLS) {
		loom__ss_tls_info(h, &tls);
		ci.tls = &tls;
	}

	return loom_client_connect(&ci) ? 0 : -1;
}

static int
ss_mqtt_request_tx(struct loom_ss_handle *h)
{
	return h->connected ? loom_callback_on_writable(h->conn) : 0;
}

const struct ss_proto_ops loom__ss_ops_mqtt = {
	"mqtt", &ss_mqtt_protocol, ss_mqtt_connect, ss_mqtt_request_tx
};
