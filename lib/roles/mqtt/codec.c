/*
 * codec.c: the MQTT packet codec, no I/O and no allocation: a framer that finds
 * whole packets in a byte stream split at any byte, a strict decoder for what a
 * client receives (3.1.1 and 5.0), and encoders for what a client sends.
 */
#include "roles/mqtt/private-mqtt.h"

#include <string.h>

#define MQTT_RL_MAX	268435455u	/* four length bytes */

/* ---- framer ---- */

void
loom__mqtt_framer_init(struct loom_mqtt_framer *f, uint32_t max)
{
	f->max = max;
	f->rl = 0;
	f->have = 0;
	f->hdr = 0;
	f->state = 0;
	f->rl_bytes = 0;
	f->rl_mult = 1;
}

int
loom__mqtt_frame(struct loom_mqtt_framer *f, const uint8_t *in, size_t len,
		 size_t *used)
{
	size_t i = 0, n;
	uint8_t b;

	while (i < len || (f->state == 2 && f->have == f->rl)) {
		switch (f->state) {
		case 0:
			f->hdr = in[i++];
			if (!(f->hdr >> 4)) {
				*used = i;
				return -MQTT_RC_MALFORMED;	/* type 0 is reserved */
			}
			f->rl = 0;
			f->rl_mult = 1;
			f->rl_bytes = 0;
			f->state = 1;
			break;
		case 1:
			b = in[i++];
			f->rl += (uint32_t)(b & 0x7f) * f->rl_mult;
			f->rl_mult *= 128;
			f->rl_bytes++;
			if (b & 0x80) {
				if (f->rl_bytes == 4) {
					*used = i;
					return -MQTT_RC_MALFORMED; /* a fifth length byte */
				}
				break;
			}
			if (f->rl_bytes > 1 && !b) {
				*used = i;
				return -MQTT_RC_MALFORMED;	/* not the shortest form */
			}
			if ((uint64_t)1 + f->rl_bytes + f->rl > f->max) {
				*used = i;
				return -MQTT_RC_PACKET_TOO_LARGE;
			}
			f->have = 0;
			f->state = 2;
			if (f->rl > f->cap) {
				*used = i;
				return MQTT_FR_NEED_BUF;
			}
			break;
		default:
			if (f->rl > f->cap) {
				*used = i;
				return MQTT_FR_NEED_BUF;
			}
			n = len - i;
			if (n > f->rl - f->have)
				n = f->rl - f->have;
			if (n) {
				memcpy(f->body + f->have, in + i, n);
				f->have += (uint32_t)n;
				i += n;
			}
			if (f->have == f->rl) {
				f->state = 0;
				*used = i;
				return MQTT_FR_PACKET;
			}
			break;
		}
	}
	*used = i;

	return MQTT_FR_MORE;
}

/* ---- decoder ---- */

struct mqtt_r {
	const uint8_t *p;
	uint32_t len;
	uint32_t off;
};

static int
r_u8(struct mqtt_r *r, uint8_t *v)
{
	if (r->len - r->off < 1)
		return -1;
	*v = r->p[r->off++];

	return 0;
}

static int
r_u16(struct mqtt_r *r, uint16_t *v)
{
	if (r->len - r->off < 2)
		return -1;
	*v = (uint16_t)(r->p[r->off] << 8 | r->p[r->off + 1]);
	r->off += 2;

	return 0;
}

static int
r_u32(struct mqtt_r *r, uint32_t *v)
{
	if (r->len - r->off < 4)
		return -1;
	*v = (uint32_t)r->p[r->off] << 24 | (uint32_t)r->p[r->off + 1] << 16 |
	     (uint32_t)r->p[r->off + 2] << 8 | r->p[r->off + 3];
	r->off += 4;

	return 0;
}

static int
r_vbi(struct mqtt_r *r, uint32_t *v)
{
	uint32_t mult = 1, val = 0;
	int n;
	uint8_t b;

	for (n = 0; n < 4; n++) {
		if (r_u8(r, &b))
			return -1;
		val += (uint32_t)(b & 0x7f) * mult;
		mult *= 128;
		if (!(b & 0x80)) {
			if (n && !b)
				return -1;	/* not the shortest form */
			*v = val;
			return 0;
		}
	}

	return -1;
}

/* a binary field: two length bytes and the data */
static int
r_bin(struct mqtt_r *r, const uint8_t **p, uint16_t *len)
{
	if (r_u16(r, len) || r->len - r->off < *len)
		return -1;
	*p = r->p + r->off;
	r->off += *len;

	return 0;
}

static int
r_str(struct mqtt_r *r, const char **s, uint16_t *len)
{
	const uint8_t *p;

	if (r_bin(r, &p, len) || !loom__mqtt_utf8_valid(p, *len))
		return -1;
	*s = (const char *)p;

	return 0;
}

/* well-formed UTF-8, no U+0000, no surrogates, nothing over U+10FFFF */
int
loom__mqtt_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		uint32_t cp;
		int n, k;

		if (!c)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (len - i < (size_t)n + 1)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + (size_t)k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + (size_t)k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += (size_t)n + 1;
	}

	return 1;
}

/* a topic name for PUBLISH: UTF-8, no wildcards (may be empty: the caller decides) */
int
loom__mqtt_topic_name_valid(const char *s, size_t len)
{
	if (!loom__mqtt_utf8_valid((const uint8_t *)s, len))
		return 0;

	return !memchr(s, '+', len) && !memchr(s, '#', len);
}

#define P(id) ((uint64_t)1 << (id))

/* properties a client may receive, by packet type */
static uint64_t
props_allowed(uint8_t type)
{
	switch (type) {
	case MQTT_CONNACK:
		return P(MQTT_P_SESSION_EXPIRY) | P(MQTT_P_RECEIVE_MAX) | P(MQTT_P_MAX_QOS) |
		       P(MQTT_P_RETAIN_AVAILABLE) | P(MQTT_P_MAX_PACKET_SIZE) |
		       P(MQTT_P_ASSIGNED_CLIENT_ID) | P(MQTT_P_TOPIC_ALIAS_MAX) |
		       P(MQTT_P_REASON_STRING) | P(MQTT_P_USER_PROPERTY) |
		       P(MQTT_P_WILDCARD_SUB_AVAIL) | P(MQTT_P_SUB_ID_AVAIL) |
		       P(MQTT_P_SHARED_SUB_AVAIL) | P(MQTT_P_SERVER_KEEP_ALIVE) |
		       P(MQTT_P_RESPONSE_INFO) | P(MQTT_P_SERVER_REFERENCE) |
		       P(MQTT_P_AUTH_METHOD) | P(MQTT_P_AUTH_DATA);
	case MQTT_PUBLISH:
		return P(MQTT_P_PAYLOAD_FORMAT) | P(MQTT_P_MESSAGE_EXPIRY) |
		       P(MQTT_P_TOPIC_ALIAS) | P(MQTT_P_RESPONSE_TOPIC) |
		       P(MQTT_P_CORRELATION_DATA) | P(MQTT_P_USER_PROPERTY) |
		       P(MQTT_P_SUBSCRIPTION_ID) | P(MQTT_P_CONTENT_TYPE);
	case MQTT_DISCONNECT:
		return P(MQTT_P_SESSION_EXPIRY) | P(MQTT_P_REASON_STRING) |
		       P(MQTT_P_USER_PROPERTY) | P(MQTT_P_SERVER_REFERENCE);
	case MQTT_AUTH:
		return P(MQTT_P_AUTH_METHOD) | P(MQTT_P_AUTH_DATA) |
		       P(MQTT_P_REASON_STRING) | P(MQTT_P_USER_PROPERTY);
	default:	/* the acks */
		return P(MQTT_P_REASON_STRING) | P(MQTT_P_USER_PROPERTY);
	}
}

/* one property's value; 0 or -reason */
static int
prop_value(struct mqtt_r *r, uint8_t id, struct loom_mqtt_props *pr)
{
	const uint8_t *bp;
	const char *s;
	uint16_t u16, l2;
	uint32_t u32;
	uint8_t u8;

	switch (id) {
	case MQTT_P_PAYLOAD_FORMAT: case MQTT_P_REQ_PROBLEM_INFO:
	case MQTT_P_REQ_RESPONSE_INFO: case MQTT_P_MAX_QOS: case MQTT_P_RETAIN_AVAILABLE:
	case MQTT_P_WILDCARD_SUB_AVAIL: case MQTT_P_SUB_ID_AVAIL:
	case MQTT_P_SHARED_SUB_AVAIL:
		if (r_u8(r, &u8))
			return -MQTT_RC_MALFORMED;
		if (u8 > 1)
			return -MQTT_RC_PROTOCOL_ERROR;
		if (id == MQTT_P_MAX_QOS)
			pr->max_qos = u8;
		if (id == MQTT_P_PAYLOAD_FORMAT)
			pr->payload_format = u8;
		if (id == MQTT_P_RETAIN_AVAILABLE)
			pr->retain_available = u8;
		return 0;
	case MQTT_P_SERVER_KEEP_ALIVE: case MQTT_P_RECEIVE_MAX:
	case MQTT_P_TOPIC_ALIAS_MAX: case MQTT_P_TOPIC_ALIAS:
		if (r_u16(r, &u16))
			return -MQTT_RC_MALFORMED;
		if (!u16 && (id == MQTT_P_RECEIVE_MAX || id == MQTT_P_TOPIC_ALIAS))
			return -MQTT_RC_PROTOCOL_ERROR;
		if (id == MQTT_P_SERVER_KEEP_ALIVE)
			pr->server_keep_alive = u16;
		else if (id == MQTT_P_RECEIVE_MAX)
			pr->receive_max = u16;
		else if (id == MQTT_P_TOPIC_ALIAS_MAX)
			pr->topic_alias_max = u16;
		else
			pr->topic_alias = u16;
		return 0;
	case MQTT_P_MESSAGE_EXPIRY: case MQTT_P_SESSION_EXPIRY: case MQTT_P_WILL_DELAY:
	case MQTT_P_MAX_PACKET_SIZE:
		if (r_u32(r, &u32))
			return -MQTT_RC_MALFORMED;
		if (id == MQTT_P_MAX_PACKET_SIZE && !u32)
			return -MQTT_RC_PROTOCOL_ERROR;
		if (id == MQTT_P_MESSAGE_EXPIRY)
			pr->message_expiry = u32;
		else if (id == MQTT_P_SESSION_EXPIRY)
			pr->session_expiry = u32;
		else if (id == MQTT_P_MAX_PACKET_SIZE)
			pr->max_packet_size = u32;
		return 0;
	case MQTT_P_SUBSCRIPTION_ID:
		if (r_vbi(r, &u32))
			return -MQTT_RC_MALFORMED;
		return u32 ? 0 : -MQTT_RC_PROTOCOL_ERROR;
	case MQTT_P_CONTENT_TYPE: case MQTT_P_RESPONSE_TOPIC: case MQTT_P_ASSIGNED_CLIENT_ID:
	case MQTT_P_AUTH_METHOD: case MQTT_P_RESPONSE_INFO: case MQTT_P_SERVER_REFERENCE:
	case MQTT_P_REASON_STRING:
		if (r_str(r, &s, &u16))
			return -MQTT_RC_MALFORMED;
		if (id == MQTT_P_REASON_STRING) {
			pr->reason_string = s;
			pr->reason_string_len = u16;
		} else if (id == MQTT_P_ASSIGNED_CLIENT_ID) {
			pr->assigned_client_id = s;
			pr->assigned_client_id_len = u16;
		}
		return 0;
	case MQTT_P_CORRELATION_DATA: case MQTT_P_AUTH_DATA:
		return r_bin(r, &bp, &u16) ? -MQTT_RC_MALFORMED : 0;
	case MQTT_P_USER_PROPERTY:
		if (r_str(r, &s, &u16) || r_str(r, &s, &l2))
			return -MQTT_RC_MALFORMED;
		return 0;
	default:
		return -MQTT_RC_MALFORMED;
	}
}

static int
props_decode(struct mqtt_r *r, uint8_t type, struct loom_mqtt_props *pr)
{
	uint64_t allowed = props_allowed(type);
	struct mqtt_r sub;
	uint32_t plen, id;
	int e;

	if (r_vbi(r, &plen) || plen > r->len - r->off)
		return -MQTT_RC_MALFORMED;
	sub.p = r->p + r->off;
	sub.len = plen;
	sub.off = 0;
	pr->raw = sub.p;
	pr->raw_len = plen;
	r->off += plen;
	while (sub.off < sub.len) {
		if (r_vbi(&sub, &id) || id > 0x2a)
			return -MQTT_RC_MALFORMED;
		if (!(allowed & P(id)))
			return -MQTT_RC_PROTOCOL_ERROR;
		if ((pr->has & P(id)) && id != MQTT_P_USER_PROPERTY &&
		    id != MQTT_P_SUBSCRIPTION_ID)
			return -MQTT_RC_PROTOCOL_ERROR;	/* only these may repeat */
		pr->has |= P(id);
		e = prop_value(&sub, (uint8_t)id, pr);
		if (e)
			return e;
	}

	return 0;
}

static int
reason_ok(const uint8_t *list, size_t n, uint8_t rc)
{
	return memchr(list, rc, n) != NULL;
}

static const uint8_t rc_puback[] = { 0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97,
				     0x99 };
static const uint8_t rc_pubrel[] = { 0x00, 0x92 };
static const uint8_t rc_suback5[] = { 0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91,
				      0x97, 0x9e, 0xa1, 0xa2 };
static const uint8_t rc_suback3[] = { 0x00, 0x01, 0x02, 0x80 };
static const uint8_t rc_unsuback5[] = { 0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91 };

static int
decode_publish(uint8_t v5, struct mqtt_r *r, struct loom_mqtt_pkt *k)
{
	int e;

	k->qos = (k->flags >> 1) & 3;
	k->retain = k->flags & 1;
	k->dup = (k->flags >> 3) & 1;
	if (k->qos == 3 || (!k->qos && k->dup))
		return -MQTT_RC_MALFORMED;
	if (r_str(r, &k->topic, &k->topic_len) ||
	    !loom__mqtt_topic_name_valid(k->topic, k->topic_len))
		return -MQTT_RC_MALFORMED;
	if (k->qos && (r_u16(r, &k->packet_id) || !k->packet_id))
		return -MQTT_RC_MALFORMED;
	if (v5) {
		e = props_decode(r, MQTT_PUBLISH, &k->props);
		if (e)
			return e;
		if (!k->topic_len && !(k->props.has & P(MQTT_P_TOPIC_ALIAS)))
			return -MQTT_RC_PROTOCOL_ERROR;
	} else if (!k->topic_len)
		return -MQTT_RC_MALFORMED;
	k->payload = r->p + r->off;
	k->payload_len = r->len - r->off;
	r->off = r->len;
	if (v5 && k->props.payload_format == 1 &&
	    !loom__mqtt_utf8_valid(k->payload, k->payload_len))
		return -MQTT_RC_PAYLOAD_FORMAT;	/* says UTF-8 and is not */

	return 0;
}

int
loom__mqtt_decode(uint8_t version, uint8_t hdr, const uint8_t *body, uint32_t len,
		  struct loom_mqtt_pkt *k)
{
	struct mqtt_r r = { body, len, 0 };
	uint8_t v5 = version == LOOM_MQTT_V5, b;
	uint32_t n;
	int e = 0;

	memset(k, 0, sizeof(*k));
	k->type = hdr >> 4;
	k->flags = hdr & 0xf;

	if (k->type == MQTT_CONNECT || k->type == MQTT_SUBSCRIBE ||
	    k->type == MQTT_UNSUBSCRIBE || k->type == MQTT_PINGREQ)
		return -MQTT_RC_PROTOCOL_ERROR;	/* only a client sends these */
	if (k->type == MQTT_PUBLISH)
		e = decode_publish(v5, &r, k);
	else if (k->flags != (k->type == MQTT_PUBREL ? 2 : 0))
		return -MQTT_RC_MALFORMED;	/* reserved flags must be as given */
	else switch (k->type) {
	case MQTT_CONNACK:
		if (r_u8(&r, &b) || (b & 0xfe) || r_u8(&r, &k->reason))
			return -MQTT_RC_MALFORMED;
		k->session_present = b & 1;
		if (k->session_present && k->reason)
			return -MQTT_RC_MALFORMED;
		if (!v5 && k->reason > 5)
			return -MQTT_RC_MALFORMED;
		if (v5)
			e = props_decode(&r, MQTT_CONNACK, &k->props);
		break;
	case MQTT_PUBACK: case MQTT_PUBREC: case MQTT_PUBREL: case MQTT_PUBCOMP:
		if (r_u16(&r, &k->packet_id) || !k->packet_id)
			return -MQTT_RC_MALFORMED;
		if (!v5 || r.off == r.len)
			break;
		r_u8(&r, &k->reason);
		if (k->type == MQTT_PUBACK || k->type == MQTT_PUBREC ?
		    !reason_ok(rc_puback, sizeof(rc_puback), k->reason) :
		    !reason_ok(rc_pubrel, sizeof(rc_pubrel), k->reason))
			return -MQTT_RC_PROTOCOL_ERROR;
		if (r.off < r.len)
			e = props_decode(&r, k->type, &k->props);
		break;
	case MQTT_SUBACK: case MQTT_UNSUBACK:
		if (r_u16(&r, &k->packet_id) || !k->packet_id)
			return -MQTT_RC_MALFORMED;
		if (v5 && (e = props_decode(&r, k->type, &k->props)))
			return e;
		k->payload = body + r.off;
		k->payload_len = len - r.off;
		r.off = len;
		if (k->type == MQTT_UNSUBACK && !v5) {
			if (k->payload_len)
				return -MQTT_RC_MALFORMED;
			break;
		}
		if (!k->payload_len)
			return -MQTT_RC_PROTOCOL_ERROR;
		for (n = 0; n < k->payload_len; n++)
			if (!reason_ok(k->type == MQTT_UNSUBACK ? rc_unsuback5 :
				       v5 ? rc_suback5 : rc_suback3,
				       k->type == MQTT_UNSUBACK ? sizeof(rc_unsuback5) :
				       v5 ? sizeof(rc_suback5) : sizeof(rc_suback3),
				       k->payload[n]))
				return -MQTT_RC_PROTOCOL_ERROR;
		e = 0;
		break;
	case MQTT_PINGRESP:
		break;
	case MQTT_DISCONNECT:
		if (!v5)
			return -MQTT_RC_PROTOCOL_ERROR;	/* a 3.1.1 server never sends it */
		if (r.off < r.len)
			r_u8(&r, &k->reason);
		if (r.off < r.len)
			e = props_decode(&r, MQTT_DISCONNECT, &k->props);
		break;
	case MQTT_AUTH:
		if (!v5)
			return -MQTT_RC_MALFORMED;
		if (r.off < r.len)
			r_u8(&r, &k->reason);
		if (r.off < r.len)
			e = props_decode(&r, MQTT_AUTH, &k->props);
		break;
	default:
		return -MQTT_RC_MALFORMED;
	}
	if (e)
		return e;
	if (r.off != r.len)
		return -MQTT_RC_MALFORMED;	/* bytes left over */

	return 0;
}

/* ---- encoder ---- */

void
loom__mqtt_w_u8(struct loom_mqtt_w *w, uint8_t v)
{
	if (w->buf) {
		if (w->len + 1 > w->cap) {
			w->overflow = 1;
			return;
		}
		w->buf[w->len] = v;
	}
	w->len++;
}

void
loom__mqtt_w_u16(struct loom_mqtt_w *w, uint16_t v)
{
	loom__mqtt_w_u8(w, (uint8_t)(v >> 8));
	loom__mqtt_w_u8(w, (uint8_t)v);
}

void
loom__mqtt_w_u32(struct loom_mqtt_w *w, uint32_t v)
{
	loom__mqtt_w_u16(w, (uint16_t)(v >> 16));
	loom__mqtt_w_u16(w, (uint16_t)v);
}

size_t
loom__mqtt_vbi_len(uint32_t v)
{
	return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4;
}

void
loom__mqtt_w_vbi(struct loom_mqtt_w *w, uint32_t v)
{
	if (v > MQTT_RL_MAX) {
		w->overflow = 1;
		return;
	}
	do {
		uint8_t b = v & 0x7f;

		v >>= 7;
		loom__mqtt_w_u8(w, (uint8_t)(b | (v ? 0x80 : 0)));
	} while (v);
}

void
loom__mqtt_w_bin(struct loom_mqtt_w *w, const void *p, size_t len)
{
	if (w->buf) {
		if (len > w->cap - w->len) {
			w->overflow = 1;
			return;
		}
		if (len)
			memcpy(w->buf + w->len, p, len);
	}
	w->len += len;
}

/* a UTF-8 string or binary field: two length bytes first */
static void
w_field(struct loom_mqtt_w *w, const void *p, size_t len)
{
	if (len > 65535) {
		w->overflow = 1;
		return;
	}
	loom__mqtt_w_u16(w, (uint16_t)len);
	loom__mqtt_w_bin(w, p, len);
}

void
loom__mqtt_w_str(struct loom_mqtt_w *w, const char *s)
{
	w_field(w, s, s ? strlen(s) : 0);
}

typedef void (*mqtt_body_fn)(struct loom_mqtt_w *w, const void *arg);

/* a property block: its length, then the properties */
static void
w_props(struct loom_mqtt_w *w, mqtt_body_fn fn, const void *arg)
{
	struct loom_mqtt_w c = { NULL, 0, 0, 0 };

	fn(&c, arg);
	if (c.overflow) {
		w->overflow = 1;
		return;
	}
	loom__mqtt_w_vbi(w, (uint32_t)c.len);
	fn(w, arg);
}

/* a whole packet: first byte, remaining length, body; counts when buf is NULL */
static size_t
enc_packet(uint8_t *buf, size_t cap, uint8_t hdr, mqtt_body_fn body, const void *arg)
{
	struct loom_mqtt_w c = { NULL, 0, 0, 0 }, w = { buf, 0, cap, 0 };
	size_t total;

	body(&c, arg);
	if (c.overflow || c.len > MQTT_RL_MAX)
		return 0;
	total = 1 + loom__mqtt_vbi_len((uint32_t)c.len) + c.len;
	if (!buf)
		return total;
	if (total > cap)
		return 0;
	loom__mqtt_w_u8(&w, hdr);
	loom__mqtt_w_vbi(&w, (uint32_t)c.len);
	body(&w, arg);

	return w.overflow || w.len != total ? 0 : total;
}

static void
w_user_props(struct loom_mqtt_w *w, const struct loom_mqtt_user_property *up,
	     unsigned int count)
{
	unsigned int n;

	for (n = 0; n < count; n++) {
		loom__mqtt_w_u8(w, MQTT_P_USER_PROPERTY);
		loom__mqtt_w_str(w, up[n].name);
		loom__mqtt_w_str(w, up[n].value);
	}
}

static void
connect_props(struct loom_mqtt_w *w, const void *arg)
{
	const struct loom_mqtt_client_info *ci = arg;

	if (ci->session_expiry_interval) {
		loom__mqtt_w_u8(w, MQTT_P_SESSION_EXPIRY);
		loom__mqtt_w_u32(w, ci->session_expiry_interval);
	}
	if (ci->receive_maximum) {
		loom__mqtt_w_u8(w, MQTT_P_RECEIVE_MAX);
		loom__mqtt_w_u16(w, ci->receive_maximum);
	}
	if (ci->maximum_packet_size) {
		loom__mqtt_w_u8(w, MQTT_P_MAX_PACKET_SIZE);
		loom__mqtt_w_u32(w, ci->maximum_packet_size);
	}
	if (ci->topic_alias_maximum) {
		loom__mqtt_w_u8(w, MQTT_P_TOPIC_ALIAS_MAX);
		loom__mqtt_w_u16(w, ci->topic_alias_maximum);
	}
	w_user_props(w, ci->user_properties, ci->count_user_properties);
}

static void
will_props(struct loom_mqtt_w *w, const void *arg)
{
	const struct loom_mqtt_client_info *ci = arg;

	if (ci->will_delay_interval) {
		loom__mqtt_w_u8(w, MQTT_P_WILL_DELAY);
		loom__mqtt_w_u32(w, ci->will_delay_interval);
	}
}

static void
connect_body(struct loom_mqtt_w *w, const void *arg)
{
	const struct loom_mqtt_client_info *ci = arg;
	uint8_t v5 = ci->protocol_version == LOOM_MQTT_V5, fl = 0;
	size_t plen = ci->password ? (ci->password_len ? ci->password_len :
				      strlen(ci->password)) : 0;

	if (ci->username)
		fl |= 0x80;
	if (ci->password)
		fl |= 0x40;
	if (ci->will_topic)
		fl = (uint8_t)(fl | 0x04 | (ci->will_qos << 3) | (ci->will_retain ? 0x20 : 0));
	if (ci->clean_start)
		fl |= 0x02;
	loom__mqtt_w_str(w, "MQTT");
	loom__mqtt_w_u8(w, v5 ? 5 : 4);
	loom__mqtt_w_u8(w, fl);
	loom__mqtt_w_u16(w, ci->keep_alive);
	if (v5)
		w_props(w, connect_props, ci);
	loom__mqtt_w_str(w, ci->client_id ? ci->client_id : "");
	if (ci->will_topic) {
		if (v5)
			w_props(w, will_props, ci);
		loom__mqtt_w_str(w, ci->will_topic);
		w_field(w, ci->will_payload, ci->will_payload_len);
	}
	if (ci->username)
		loom__mqtt_w_str(w, ci->username);
	if (ci->password)
		w_field(w, ci->password, plen);
}

size_t
loom__mqtt_enc_connect(uint8_t *buf, size_t cap, const struct loom_mqtt_client_info *ci)
{
	uint8_t v5 = ci->protocol_version == LOOM_MQTT_V5;

	if ((ci->protocol_version && ci->protocol_version != 4 && !v5) ||
	    ci->will_qos > 2 || (!ci->will_topic && (ci->will_qos || ci->will_retain)) ||
	    (!v5 && ci->password && !ci->username))
		return 0;
	if (ci->will_topic && !loom__mqtt_topic_name_valid(ci->will_topic,
							 strlen(ci->will_topic)))
		return 0;

	return enc_packet(buf, cap, MQTT_CONNECT << 4, connect_body, ci);
}

struct pub_arg {
	const struct loom_mqtt_publish_info *pub;
	const char *topic;
	uint16_t alias;
	uint16_t pid;
	uint8_t v5;
};

static void
publish_props(struct loom_mqtt_w *w, const void *arg)
{
	const struct pub_arg *a = arg;

	if (a->pub->message_expiry_interval) {
		loom__mqtt_w_u8(w, MQTT_P_MESSAGE_EXPIRY);
		loom__mqtt_w_u32(w, a->pub->message_expiry_interval);
	}
	if (a->alias) {
		loom__mqtt_w_u8(w, MQTT_P_TOPIC_ALIAS);
		loom__mqtt_w_u16(w, a->alias);
	}
	w_user_props(w, a->pub->user_properties, a->pub->count_user_properties);
}

static void
publish_body(struct loom_mqtt_w *w, const void *arg)
{
	const struct pub_arg *a = arg;

	loom__mqtt_w_str(w, a->topic);
	if (a->pub->qos)
		loom__mqtt_w_u16(w, a->pid);
	if (a->v5)
		w_props(w, publish_props, a);
	loom__mqtt_w_bin(w, a->pub->payload, a->pub->payload_len);
}

size_t
loom__mqtt_enc_publish(uint8_t *buf, size_t cap, uint8_t version,
		       const struct loom_mqtt_publish_info *pub, const char *topic,
		       uint16_t alias, uint16_t pid, int dup)
{
	struct pub_arg a = { pub, topic, alias, pid, version == LOOM_MQTT_V5 };

	if (pub->qos > 2 || (pub->qos && !pid) || (!pub->payload && pub->payload_len))
		return 0;

	return enc_packet(buf, cap, (uint8_t)(MQTT_PUBLISH << 4 | (dup && pub->qos ? 8 : 0) |
					      pub->qos << 1 | (pub->retain ? 1 : 0)),
			  publish_body, &a);
}

struct ack_arg {
	uint16_t pid;
	uint8_t reason;
	uint8_t v5;
};

static void
ack_body(struct loom_mqtt_w *w, const void *arg)
{
	const struct ack_arg *a = arg;

	loom__mqtt_w_u16(w, a->pid);
	if (a->v5 && a->reason)
		loom__mqtt_w_u8(w, a->reason);
}

size_t
loom__mqtt_enc_ack(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
		   uint16_t pid, uint8_t reason)
{
	struct ack_arg a = { pid, reason, version == LOOM_MQTT_V5 };

	return enc_packet(buf, cap, (uint8_t)(type << 4 | (type == MQTT_PUBREL ? 2 : 0)),
			  ack_body, &a);
}

struct sub_arg {
	const struct loom_mqtt_topic *t;
	unsigned int count;
	uint16_t pid;
	uint8_t v5;
	uint8_t unsub;
};

static void
no_props(struct loom_mqtt_w *w, const void *arg)
{
	(void)w;
	(void)arg;
}

static void
sub_body(struct loom_mqtt_w *w, const void *arg)
{
	const struct sub_arg *a = arg;
	unsigned int n;

	loom__mqtt_w_u16(w, a->pid);
	if (a->v5)
		w_props(w, no_props, NULL);
	for (n = 0; n < a->count; n++) {
		const struct loom_mqtt_topic *t = &a->t[n];

		loom__mqtt_w_str(w, t->filter);
		if (a->unsub)
			continue;
		loom__mqtt_w_u8(w, (uint8_t)(t->qos | (a->v5 ? (t->no_local ? 4 : 0) |
				    (t->retain_as_published ? 8 : 0) |
				    t->retain_handling << 4 : 0)));
	}
}

size_t
loom__mqtt_enc_subscribe(uint8_t *buf, size_t cap, uint8_t version, int unsub,
			 uint16_t pid, const struct loom_mqtt_topic *t, unsigned int count)
{
	struct sub_arg a = { t, count, pid, version == LOOM_MQTT_V5, (uint8_t)!!unsub };
	unsigned int n;

	if (!count || !pid)
		return 0;
	for (n = 0; n < count; n++)
		if (!t[n].filter || !loom_mqtt_topic_filter_valid(t[n].filter) ||
		    (!unsub && (t[n].qos > 2 || t[n].retain_handling > 2)))
			return 0;

	return enc_packet(buf, cap, (uint8_t)((unsub ? MQTT_UNSUBSCRIBE : MQTT_SUBSCRIBE)
					      << 4 | 2), sub_body, &a);
}

static void
simple_body(struct loom_mqtt_w *w, const void *arg)
{
	const uint8_t *reason = arg;

	if (*reason)
		loom__mqtt_w_u8(w, *reason);
}

size_t
loom__mqtt_enc_simple(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
		      uint8_t reason)
{
	uint8_t r = (type == MQTT_DISCONNECT && version == LOOM_MQTT_V5) ? reason : 0;

	return enc_packet(buf, cap, (uint8_t)(type << 4), simple_body, &r);
}

/* ---- user properties of a received message ---- */

int
loom_mqtt_user_property_next(const struct loom_mqtt_message *m, size_t *cursor,
			     const char **name, size_t *name_len,
			     const char **value, size_t *value_len)
{
	struct mqtt_r r;
	struct loom_mqtt_props scratch;
	uint32_t id;
	uint16_t nl, vl;

	if (!m || !cursor || !m->props || *cursor >= m->props_len)
		return 0;
	r.p = m->props;
	r.len = (uint32_t)m->props_len;
	r.off = (uint32_t)*cursor;
	while (r.off < r.len) {
		if (r_vbi(&r, &id) || id > 0x2a)
			return 0;
		if (id == MQTT_P_USER_PROPERTY) {
			if (r_str(&r, name, &nl) || r_str(&r, value, &vl))
				return 0;
			*name_len = nl;
			*value_len = vl;
			*cursor = r.off;
			return 1;
		}
		memset(&scratch, 0, sizeof(scratch));
		if (prop_value(&r, (uint8_t)id, &scratch))
			return 0;
	}
	*cursor = r.off;

	return 0;
}
