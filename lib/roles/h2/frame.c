/*
 * frame.c: the HTTP/2 frame layer (RFC 9113 4 and 6) with no connection state: an
 * incremental reader that checks what can be checked per frame and strips padding
 * and fixed fields, and the writers of complete control frames.
 */
#include <string.h>

#include "private-h2-codec.h"
#include "misc/private-bytes.h"

enum {
	ST_HDR,		/* gathering the 9-byte header */
	ST_PREFIX,	/* gathering r->need fixed bytes into r->buf */
	ST_EMIT_HDR,	/* HDR event due */
	ST_EMIT_FIXED,	/* PAYLOAD event of r->buf[0..need) due */
	ST_DATA,	/* passing r->data_left payload bytes through */
	ST_SKIP,	/* dropping the rest of r->remaining (padding, skipped) */
	ST_EMIT_END,	/* END event due */
	ST_FAILED
};

const char *
loom__h2_err_name(uint32_t code)
{
	static const char * const n[] = {
		"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR",
		"FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED",
		"FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL",
		"COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
		"INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"
	};

	return code < sizeof(n) / sizeof(n[0]) ? n[code] : "UNKNOWN";
}

const char *
loom__h2_frame_name(uint8_t type)
{
	static const char * const n[] = {
		"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS",
		"PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"
	};

	return type < LOOM_H2_F_COUNT ? n[type] : "UNKNOWN";
}

uint32_t
loom__h2_settings_check(uint16_t id, uint32_t val)
{
	switch (id) {
	case LOOM_H2_SET_ENABLE_PUSH:
	case LOOM_H2_SET_ENABLE_CONNECT_PROTOCOL:
	case LOOM_H2_SET_NO_RFC7540_PRIORITIES:
		return val > 1 ? LOOM_H2_ERR_PROTOCOL_ERROR : 0;
	case LOOM_H2_SET_INITIAL_WINDOW_SIZE:
		return val > LOOM_H2_MAX_WINDOW ? LOOM_H2_ERR_FLOW_CONTROL_ERROR : 0;
	case LOOM_H2_SET_MAX_FRAME_SIZE:
		return val < LOOM_H2_DEFAULT_MAX_FRAME || val > LOOM_H2_MAX_MAX_FRAME ?
			LOOM_H2_ERR_PROTOCOL_ERROR : 0;
	}

	return 0;
}

void
loom__h2_reader_init(struct loom_h2_reader *r, uint32_t max_frame_size)
{
	memset(r, 0, sizeof(*r));
	loom__h2_reader_set_max_frame(r, max_frame_size);
	r->state = ST_HDR;
	r->need = LOOM_H2_FRAME_HDR_LEN;
}

void
loom__h2_reader_set_max_frame(struct loom_h2_reader *r, uint32_t max_frame_size)
{
	if (max_frame_size < LOOM_H2_DEFAULT_MAX_FRAME)
		max_frame_size = LOOM_H2_DEFAULT_MAX_FRAME;
	if (max_frame_size > LOOM_H2_MAX_MAX_FRAME)
		max_frame_size = LOOM_H2_MAX_MAX_FRAME;
	r->max_frame = max_frame_size;
}

static int
fail(struct loom_h2_reader *r, uint32_t code)
{
	r->error = code;
	r->state = ST_FAILED;

	return LOOM_H2R_CONN_ERROR;
}

static void
gather(struct loom_h2_reader *r, uint8_t n)
{
	r->state = ST_PREFIX;
	r->have = 0;
	r->need = n;
}

/* the 9 bytes are in: check what the header alone decides, say what comes next */
static int
hdr_done(struct loom_h2_reader *r)
{
	struct loom_h2_frame_hdr *h = &r->h;
	uint8_t pad = 0, prefix;

	memset(h, 0, sizeof(*h));
	h->len = ((uint32_t)r->buf[0] << 16) | ((uint32_t)r->buf[1] << 8) | r->buf[2];
	h->type = r->buf[3];
	h->flags = r->buf[4];
	h->sid = loom__be32(r->buf + 5) & 0x7fffffff;
	r->remaining = h->len;

	if (h->len > r->max_frame)
		return fail(r, LOOM_H2_ERR_FRAME_SIZE_ERROR);

	/* a header block in progress admits only its CONTINUATIONs (6.10) */
	if (r->cont_sid) {
		if (h->type != LOOM_H2_F_CONTINUATION || h->sid != r->cont_sid)
			return fail(r, LOOM_H2_ERR_PROTOCOL_ERROR);
	} else if (h->type == LOOM_H2_F_CONTINUATION)
		return fail(r, LOOM_H2_ERR_PROTOCOL_ERROR);

	switch (h->type) {
	case LOOM_H2_F_DATA:
	case LOOM_H2_F_HEADERS:
	case LOOM_H2_F_PRIORITY:
	case LOOM_H2_F_RST_STREAM:
	case LOOM_H2_F_PUSH_PROMISE:
	case LOOM_H2_F_CONTINUATION:
		if (!h->sid)
			return fail(r, LOOM_H2_ERR_PROTOCOL_ERROR);
		break;
	case LOOM_H2_F_SETTINGS:
	case LOOM_H2_F_PING:
	case LOOM_H2_F_GOAWAY:
		if (h->sid)
			return fail(r, LOOM_H2_ERR_PROTOCOL_ERROR);
		break;
	}

	switch (h->type) {
	case LOOM_H2_F_DATA:
	case LOOM_H2_F_HEADERS:
	case LOOM_H2_F_PUSH_PROMISE:
		if (h->type != LOOM_H2_F_DATA &&
		    !(h->flags & LOOM_H2_FL_END_HEADERS))
			r->cont_sid = h->sid;
		pad = (h->flags & LOOM_H2_FL_PADDED) ? 1 : 0;
		prefix = pad;
		if (h->type == LOOM_H2_F_HEADERS && (h->flags & LOOM_H2_FL_PRIORITY))
			prefix = (uint8_t)(prefix + 5);
		if (h->type == LOOM_H2_F_PUSH_PROMISE)
			prefix = (uint8_t)(prefix + 4);
		if (h->len < prefix)
			return fail(r, LOOM_H2_ERR_FRAME_SIZE_ERROR);
		if (prefix) {
			gather(r, prefix);
			return 0;
		}
		h->data_len = h->len;
		break;

	case LOOM_H2_F_PRIORITY:
		if (h->len == 5) {
			gather(r, 5);
			return 0;
		}
		/* a stream error (6.3): the payload is skipped */
		h->err = LOOM_H2_ERR_FRAME_SIZE_ERROR;
		break;

	case LOOM_H2_F_RST_STREAM:
	case LOOM_H2_F_WINDOW_UPDATE:
		if (h->len != 4)
			return fail(r, LOOM_H2_ERR_FRAME_SIZE_ERROR);
		gather(r, 4);
		return 0;

	case LOOM_H2_F_PING:
		if (h->len != 8)
			return fail(r, LOOM_H2_ERR_FRAME_SIZE_ERROR);
		gather(r, 8);
		return 0;

	case LOOM_H2_F_GOAWAY:
		if (h->len < 8)
			return fail(r, LOOM_H2_ERR_FRAME_SIZE_ERROR);
		gather(r, 8);
		return 0;

	case LOOM_H2_F_SETTINGS:
		if (h->len % 6 || ((h->flags & LOOM_H2_FL_ACK) && h->len))
			return fail(r, LOOM_H2_ERR_FRAME_SIZE_ERROR);
		/* the header first, then entry by entry */
		h->data_len = h->len;
		break;

	case LOOM_H2_F_CONTINUATION:
		if (h->flags & LOOM_H2_FL_END_HEADERS)
			r->cont_sid = 0;
		h->data_len = h->len;
		break;

	default:
		/* unknown type: passed through for the role to ignore (5.5) */
		h->data_len = h->len;
		break;
	}

	r->state = ST_EMIT_HDR;

	return 0;
}

/* the fixed bytes r->buf[0..need) are in */
static int
prefix_done(struct loom_h2_reader *r)
{
	struct loom_h2_frame_hdr *h = &r->h;
	const uint8_t *p = r->buf;
	uint32_t v, used = r->need;

	switch (h->type) {
	case LOOM_H2_F_DATA:
	case LOOM_H2_F_HEADERS:
	case LOOM_H2_F_PUSH_PROMISE:
		if (h->flags & LOOM_H2_FL_PADDED)
			h->pad_len = *p++;
		if (h->type == LOOM_H2_F_HEADERS &&
		    (h->flags & LOOM_H2_FL_PRIORITY)) {
			v = loom__be32(p);
			h->has_prio = 1;
			h->prio_excl = (uint8_t)(v >> 31);
			h->prio_dep = v & 0x7fffffff;
			h->prio_weight = p[4];
			if (h->prio_dep == h->sid)
				/* a stream cannot depend on itself (5.3.1) */
				h->err = LOOM_H2_ERR_PROTOCOL_ERROR;
		}
		if (h->type == LOOM_H2_F_PUSH_PROMISE)
			h->promised_sid = loom__be32(p) & 0x7fffffff;
		/* padding longer than what is left (6.1, 6.2, 6.6) */
		if (h->pad_len > h->len - used)
			return fail(r, LOOM_H2_ERR_PROTOCOL_ERROR);
		h->data_len = h->len - used - h->pad_len;
		r->state = ST_EMIT_HDR;
		return 0;

	case LOOM_H2_F_PRIORITY:
		v = loom__be32(p);
		h->has_prio = 1;
		h->prio_excl = (uint8_t)(v >> 31);
		h->prio_dep = v & 0x7fffffff;
		h->prio_weight = p[4];
		if (h->prio_dep == h->sid)
			h->err = LOOM_H2_ERR_PROTOCOL_ERROR;
		h->data_len = 5;
		r->state = ST_EMIT_HDR;
		return 0;

	case LOOM_H2_F_WINDOW_UPDATE:
		if (!(loom__be32(p) & 0x7fffffff)) {
			/* an increment of 0 (6.9) */
			if (!h->sid)
				return fail(r, LOOM_H2_ERR_PROTOCOL_ERROR);
			h->err = LOOM_H2_ERR_PROTOCOL_ERROR;
		}
		h->data_len = 4;
		r->state = ST_EMIT_HDR;
		return 0;

	case LOOM_H2_F_RST_STREAM:
	case LOOM_H2_F_PING:
		h->data_len = used;
		r->state = ST_EMIT_HDR;
		return 0;

	case LOOM_H2_F_GOAWAY:
		h->data_len = h->len;
		r->state = ST_EMIT_HDR;
		return 0;

	case LOOM_H2_F_SETTINGS:
		/* one entry, after the HDR event */
		v = loom__be32(p + 2);
		r->error = loom__h2_settings_check((uint16_t)((p[0] << 8) | p[1]), v);
		if (r->error)
			return fail(r, r->error);
		r->state = ST_EMIT_FIXED;
		return 0;
	}

	return fail(r, LOOM_H2_ERR_INTERNAL_ERROR); /* not reached */
}

/* what follows the HDR event */
static void
after_hdr(struct loom_h2_reader *r)
{
	struct loom_h2_frame_hdr *h = &r->h;

	if (h->err && !h->data_len) {
		/* nothing gathered to deliver (a PRIORITY of the wrong length) */
		r->state = r->remaining ? ST_SKIP : ST_EMIT_END;
		return;
	}
	switch (h->type) {
	case LOOM_H2_F_PRIORITY:
	case LOOM_H2_F_RST_STREAM:
	case LOOM_H2_F_PING:
	case LOOM_H2_F_WINDOW_UPDATE:
	case LOOM_H2_F_GOAWAY:
		/* the gathered fixed part is the first PAYLOAD */
		r->state = ST_EMIT_FIXED;
		return;
	case LOOM_H2_F_SETTINGS:
		if (r->remaining)
			gather(r, 6);
		else
			r->state = ST_EMIT_END;
		return;
	}
	r->data_left = h->data_len;
	r->state = r->data_left ? ST_DATA : (r->remaining ? ST_SKIP : ST_EMIT_END);
}

/* what follows a fixed PAYLOAD event */
static void
after_fixed(struct loom_h2_reader *r)
{
	if (r->h.type == LOOM_H2_F_SETTINGS && r->remaining) {
		gather(r, 6);
		return;
	}
	if (r->h.type == LOOM_H2_F_GOAWAY && r->remaining) {
		r->data_left = r->remaining;
		r->state = ST_DATA;
		return;
	}
	r->state = ST_EMIT_END;
}

int
loom__h2_reader_feed(struct loom_h2_reader *r, const uint8_t *in, size_t len,
		     size_t *used, loom_h2_frame_cb cb, void *opaque)
{
	size_t pos = 0, n;
	int ret = 0;

	while (!ret) {
		switch (r->state) {
		case ST_FAILED:
			*used = pos;
			return LOOM_H2R_CONN_ERROR;

		case ST_HDR:
		case ST_PREFIX:
			if (pos == len)
				goto done;
			n = (size_t)(r->need - r->have);
			if (n > len - pos)
				n = len - pos;
			memcpy(r->buf + r->have, in + pos, n);
			r->have = (uint8_t)(r->have + n);
			pos += n;
			if (r->have < r->need)
				goto done;
			if (r->state == ST_HDR)
				ret = hdr_done(r);
			else {
				r->remaining -= r->need;
				ret = prefix_done(r);
			}
			break;

		case ST_EMIT_HDR:
			after_hdr(r);
			ret = cb(opaque, LOOM_H2R_HDR, &r->h, NULL, 0);
			break;

		case ST_EMIT_FIXED:
			after_fixed(r);
			ret = cb(opaque, LOOM_H2R_PAYLOAD, &r->h, r->buf, r->need);
			break;

		case ST_DATA:
			if (pos == len)
				goto done;
			n = r->data_left;
			if (n > len - pos)
				n = len - pos;
			r->data_left -= (uint32_t)n;
			r->remaining -= (uint32_t)n;
			if (!r->data_left)
				r->state = r->remaining ? ST_SKIP : ST_EMIT_END;
			ret = cb(opaque, LOOM_H2R_PAYLOAD, &r->h, in + pos, n);
			pos += n;
			break;

		case ST_SKIP:
			if (pos == len)
				goto done;
			n = r->remaining;
			if (n > len - pos)
				n = len - pos;
			r->remaining -= (uint32_t)n;
			pos += n;
			if (!r->remaining)
				r->state = ST_EMIT_END;
			break;

		case ST_EMIT_END:
			r->state = ST_HDR;
			r->have = 0;
			r->need = LOOM_H2_FRAME_HDR_LEN;
			ret = cb(opaque, LOOM_H2R_END, &r->h, NULL, 0);
			break;
		}
	}

done:
	*used = pos;

	return ret;
}

/* ---- writers ---- */

size_t
loom__h2_put_hdr(uint8_t *out, uint32_t len, uint8_t type, uint8_t flags,
		 uint32_t sid)
{
	out[0] = (uint8_t)(len >> 16);
	out[1] = (uint8_t)(len >> 8);
	out[2] = (uint8_t)len;
	out[3] = type;
	out[4] = flags;
	loom__put_be32(out + 5, sid & 0x7fffffff);

	return LOOM_H2_FRAME_HDR_LEN;
}

size_t
loom__h2_put_settings(uint8_t *out, size_t max, const uint16_t *ids,
		      const uint32_t *vals, int n)
{
	size_t len;
	int i;

	if (n < 0 || max < LOOM_H2_FRAME_HDR_LEN ||
	    (size_t)n > (max - LOOM_H2_FRAME_HDR_LEN) / 6)
		return 0;
	len = (size_t)n * 6;
	loom__h2_put_hdr(out, (uint32_t)len, LOOM_H2_F_SETTINGS, 0, 0);
	for (i = 0; i < n; i++) {
		uint8_t *p = out + LOOM_H2_FRAME_HDR_LEN + i * 6;

		p[0] = (uint8_t)(ids[i] >> 8);
		p[1] = (uint8_t)ids[i];
		loom__put_be32(p + 2, vals[i]);
	}

	return LOOM_H2_FRAME_HDR_LEN + len;
}

size_t
loom__h2_put_settings_ack(uint8_t *out)
{
	return loom__h2_put_hdr(out, 0, LOOM_H2_F_SETTINGS, LOOM_H2_FL_ACK, 0);
}

size_t
loom__h2_put_ping(uint8_t *out, int ack, const uint8_t opaque[8])
{
	loom__h2_put_hdr(out, 8, LOOM_H2_F_PING, ack ? LOOM_H2_FL_ACK : 0, 0);
	memcpy(out + LOOM_H2_FRAME_HDR_LEN, opaque, 8);

	return LOOM_H2_FRAME_HDR_LEN + 8;
}

size_t
loom__h2_put_goaway(uint8_t *out, size_t max, uint32_t last_sid, uint32_t code,
		    const uint8_t *debug, size_t dlen)
{
	if (max < LOOM_H2_FRAME_HDR_LEN + 8 ||
	    dlen > max - LOOM_H2_FRAME_HDR_LEN - 8 ||
	    dlen > LOOM_H2_DEFAULT_MAX_FRAME - 8)
		return 0;
	loom__h2_put_hdr(out, (uint32_t)(8 + dlen), LOOM_H2_F_GOAWAY, 0, 0);
	loom__put_be32(out + 9, last_sid & 0x7fffffff);
	loom__put_be32(out + 13, code);
	if (dlen)
		memcpy(out + 17, debug, dlen);

	return LOOM_H2_FRAME_HDR_LEN + 8 + dlen;
}

size_t
loom__h2_put_rst(uint8_t *out, uint32_t sid, uint32_t code)
{
	loom__h2_put_hdr(out, 4, LOOM_H2_F_RST_STREAM, 0, sid);
	loom__put_be32(out + 9, code);

	return LOOM_H2_FRAME_HDR_LEN + 4;
}

size_t
loom__h2_put_window_update(uint8_t *out, uint32_t sid, uint32_t incr)
{
	loom__h2_put_hdr(out, 4, LOOM_H2_F_WINDOW_UPDATE, 0, sid);
	loom__put_be32(out + 9, incr & 0x7fffffff);

	return LOOM_H2_FRAME_HDR_LEN + 4;
}
