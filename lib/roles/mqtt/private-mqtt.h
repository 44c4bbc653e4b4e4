/*
 * private-mqtt.h: what the MQTT room shares: the I/O-free packet codec (a framer
 * that finds packets in a byte stream split anywhere, a strict decoder, encoders)
 * and the client role's state.
 */
#ifndef LOOM_PRIVATE_MQTT_H
#define LOOM_PRIVATE_MQTT_H

#include <loom.h>

/* control packet types */
enum {
	MQTT_CONNECT = 1, MQTT_CONNACK, MQTT_PUBLISH, MQTT_PUBACK, MQTT_PUBREC,
	MQTT_PUBREL, MQTT_PUBCOMP, MQTT_SUBSCRIBE, MQTT_SUBACK, MQTT_UNSUBSCRIBE,
	MQTT_UNSUBACK, MQTT_PINGREQ, MQTT_PINGRESP, MQTT_DISCONNECT, MQTT_AUTH
};

/* MQTT 5 reason codes the client itself uses */
#define MQTT_RC_SUCCESS			0x00
#define MQTT_RC_DISCONNECT_WITH_WILL	0x04
#define MQTT_RC_NO_MATCHING_SUBSCRIBERS	0x10
#define MQTT_RC_UNSPECIFIED		0x80
#define MQTT_RC_MALFORMED		0x81
#define MQTT_RC_PROTOCOL_ERROR		0x82
#define MQTT_RC_IMPL_SPECIFIC		0x83
#define MQTT_RC_PACKET_ID_NOT_FOUND	0x92
#define MQTT_RC_RECEIVE_MAX_EXCEEDED	0x93
#define MQTT_RC_TOPIC_ALIAS_INVALID	0x94
#define MQTT_RC_PACKET_TOO_LARGE	0x95
#define MQTT_RC_KEEP_ALIVE_TIMEOUT	0x8d
#define MQTT_RC_PAYLOAD_FORMAT		0x99

/* property identifiers */
#define MQTT_P_PAYLOAD_FORMAT		0x01
#define MQTT_P_MESSAGE_EXPIRY		0x02
#define MQTT_P_CONTENT_TYPE		0x03
#define MQTT_P_RESPONSE_TOPIC		0x08
#define MQTT_P_CORRELATION_DATA		0x09
#define MQTT_P_SUBSCRIPTION_ID		0x0b
#define MQTT_P_SESSION_EXPIRY		0x11
#define MQTT_P_ASSIGNED_CLIENT_ID	0x12
#define MQTT_P_SERVER_KEEP_ALIVE	0x13
#define MQTT_P_AUTH_METHOD		0x15
#define MQTT_P_AUTH_DATA		0x16
#define MQTT_P_REQ_PROBLEM_INFO		0x17
#define MQTT_P_WILL_DELAY		0x18
#define MQTT_P_REQ_RESPONSE_INFO	0x19
#define MQTT_P_RESPONSE_INFO		0x1a
#define MQTT_P_SERVER_REFERENCE		0x1c
#define MQTT_P_REASON_STRING		0x1f
#define MQTT_P_RECEIVE_MAX		0x21
#define MQTT_P_TOPIC_ALIAS_MAX		0x22
#define MQTT_P_TOPIC_ALIAS		0x23
#define MQTT_P_MAX_QOS			0x24
#define MQTT_P_RETAIN_AVAILABLE		0x25
#define MQTT_P_USER_PROPERTY		0x26
#define MQTT_P_MAX_PACKET_SIZE		0x27
#define MQTT_P_WILDCARD_SUB_AVAIL	0x28
#define MQTT_P_SUB_ID_AVAIL		0x29
#define MQTT_P_SHARED_SUB_AVAIL		0x2a

/* ---- framer: whole packets out of a byte stream ---- */

/* framer results (negative: an MQTT reason code, e.g. -MQTT_RC_MALFORMED) */
#define MQTT_FR_MORE		0	/* all input used, no packet yet */
#define MQTT_FR_PACKET		1	/* f->body holds one whole packet */
#define MQTT_FR_NEED_BUF	2	/* body needs f->rl bytes: grow it, call again */

struct loom_mqtt_framer {
	uint8_t *body;		/* the caller's buffer for the variable part */
	uint32_t cap;		/* its size */
	uint32_t max;		/* largest whole packet accepted (header included) */
	uint32_t rl;		/* remaining length of the packet being read */
	uint32_t have;		/* body bytes in so far */
	uint8_t hdr;		/* first byte: type << 4 | flags */
	uint8_t state;		/* 0 first byte, 1 length, 2 body */
	uint8_t rl_bytes;	/* length bytes read */
	uint32_t rl_mult;
};

void
loom__mqtt_framer_init(struct loom_mqtt_framer *f, uint32_t max);
int
loom__mqtt_frame(struct loom_mqtt_framer *f, const uint8_t *in, size_t len,
		 size_t *used);

/* ---- decoder ---- */

/* what decoded properties say; has bits are 1u << property id (ids < 0x2b) */
struct loom_mqtt_props {
	uint64_t has;
	const uint8_t *raw;		/* the property bytes (after their length) */
	uint32_t raw_len;
	uint32_t session_expiry;
	uint32_t max_packet_size;
	uint32_t message_expiry;
	uint16_t receive_max;
	uint16_t topic_alias_max;
	uint16_t topic_alias;
	uint16_t server_keep_alive;
	uint8_t max_qos;
	uint8_t retain_available;
	uint8_t payload_format;
	const char *reason_string;
	uint16_t reason_string_len;
	const char *assigned_client_id;
	uint16_t assigned_client_id_len;
};

struct loom_mqtt_pkt {
	uint8_t type;
	uint8_t flags;
	uint8_t qos, retain, dup;	/* PUBLISH */
	uint8_t session_present;	/* CONNACK */
	uint8_t reason;			/* CONNACK, acks, DISCONNECT, AUTH (0 if absent) */
	uint16_t packet_id;
	const char *topic;		/* PUBLISH */
	uint16_t topic_len;
	const uint8_t *payload;		/* PUBLISH payload, SUBACK/UNSUBACK reason list */
	uint32_t payload_len;
	struct loom_mqtt_props props;
};

/* decode one whole packet (\p hdr the first byte, \p body its rl bytes) as a client
 * receives it; 0, or -reason code (malformed, protocol error ...) */
int
loom__mqtt_decode(uint8_t version, uint8_t hdr, const uint8_t *body, uint32_t len,
		  struct loom_mqtt_pkt *pkt);
int
loom__mqtt_utf8_valid(const uint8_t *s, size_t len);
int
loom__mqtt_topic_name_valid(const char *s, size_t len);

/* ---- encoder: a writer that only counts when buf is NULL ---- */

struct loom_mqtt_w {
	uint8_t *buf;
	size_t len;		/* bytes written (or counted) */
	size_t cap;
	int overflow;
};

void
loom__mqtt_w_u8(struct loom_mqtt_w *w, uint8_t v);
void
loom__mqtt_w_u16(struct loom_mqtt_w *w, uint16_t v);
void
loom__mqtt_w_u32(struct loom_mqtt_w *w, uint32_t v);
void
loom__mqtt_w_vbi(struct loom_mqtt_w *w, uint32_t v);
void
loom__mqtt_w_bin(struct loom_mqtt_w *w, const void *p, size_t len);
void
loom__mqtt_w_str(struct loom_mqtt_w *w, const char *s);
size_t
loom__mqtt_vbi_len(uint32_t v);

/* encode into \p buf (cap bytes), or count with buf NULL; returns the packet length,
 * 0 if it does not fit or a field is too long */
struct loom_mqtt_client_info;
size_t
loom__mqtt_enc_connect(uint8_t *buf, size_t cap, const struct loom_mqtt_client_info *ci);
/* PUBLISH; \p topic may be "" with an alias (v5); alias 0 = none */
size_t
loom__mqtt_enc_publish(uint8_t *buf, size_t cap, uint8_t version,
		       const struct loom_mqtt_publish_info *pub, const char *topic,
		       uint16_t alias, uint16_t pid, int dup);
/* PUBACK/PUBREC/PUBREL/PUBCOMP (reason used in v5 when nonzero) */
size_t
loom__mqtt_enc_ack(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
		   uint16_t pid, uint8_t reason);
size_t
loom__mqtt_enc_subscribe(uint8_t *buf, size_t cap, uint8_t version, int unsub,
			 uint16_t pid, const struct loom_mqtt_topic *t, unsigned int count);
/* PINGREQ, or DISCONNECT (with \p reason in v5) */
size_t
loom__mqtt_enc_simple(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
		      uint8_t reason);

/* ---- MQTT over WebSocket (ws.c): the upgrade, then binary frames ---- */
struct loom_mqtt_ws;
struct loom_client_connect_info;

/* loom__mqtt_ws_rx() results (errors are < 0) */
#define MQTT_WS_MORE		0	/* all input used */
#define MQTT_WS_OPEN		1	/* the 101 is in: send CONNECT */
#define MQTT_WS_DATA		2	/* *data, *dlen: MQTT stream bytes */
#define MQTT_WS_CLOSED		3	/* the server's close frame (answered) */
/* bytes a buffer given to loom__mqtt_ws_send_inplace() has free before it */
#define MQTT_WS_HEADROOM	14

/* keep path, host, origin and subprotocol of \p i; *pw is set even on failure */
int
loom__mqtt_ws_create(const struct loom_client_connect_info *i, struct loom_mqtt_ws **pw);
void
loom__mqtt_ws_destroy(struct loom_mqtt_ws *w);
int
loom__mqtt_ws_start(struct loom_conn *conn, struct loom_mqtt_ws *w);
/* bytes from the socket; *used says how many were taken; < 0: failed, *why */
int
loom__mqtt_ws_rx(struct loom_conn *conn, struct loom_mqtt_ws *w, uint8_t *buf,
		 size_t len, size_t *used, const uint8_t **data, size_t *dlen,
		 const char **why);
/* one binary frame of \p len bytes: copied, or masked in place with
 * MQTT_WS_HEADROOM bytes before \p buf used for the header */
int
loom__mqtt_ws_send(struct loom_conn *conn, struct loom_mqtt_ws *w,
		   const uint8_t *buf, size_t len);
int
loom__mqtt_ws_send_inplace(struct loom_conn *conn, struct loom_mqtt_ws *w,
			   uint8_t *buf, size_t len);
int
loom__mqtt_ws_send_close(struct loom_conn *conn, struct loom_mqtt_ws *w,
			 unsigned int code);

/* ---- the client role ---- */
extern const struct loom_role_ops loom_role_ops_mqtt;

#endif
