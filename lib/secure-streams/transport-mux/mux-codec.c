/*
 * mux-codec.c: the transport mux framing: an incremental, resynchronising decoder
 * of the frames that carry many Secure Streams over one byte pipe, and their
 * encoders. No I/O, no allocation; see private-ss-mux.h.
 */
#include "core/private-core.h"
#include "secure-streams/transport-mux/private-ss-mux.h"
#include "misc/private-bytes.h"

/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xffff), a nibble at a time */
static const uint16_t crc16_nib[16] = {
	0x0000, 0x1021, 0x2042, 0x3063, 0x4084, 0x50a5, 0x60c6, 0x70e7,
	0x8108, 0x9129, 0xa14a, 0xb16b, 0xc18c, 0xd1ad, 0xe1ce, 0xf1ef,
};

uint16_t
loom__mux_crc16(uint16_t crc, const uint8_t *p, size_t len)
{
	while (len--) {
		crc = (uint16_t)((crc << 4) ^ crc16_nib[(crc >> 12) ^ (*p >> 4)]);
		crc = (uint16_t)((crc << 4) ^ crc16_nib[(crc >> 12) ^ (*p & 15)]);
		p++;
	}

	return crc;
}

/* CRC-8 (poly 0x07, init 0) of the header */
uint8_t
loom__mux_crc8(const uint8_t *p, size_t len)
{
	uint8_t crc = 0;
	int b;

	while (len--) {
		crc ^= *p++;
		for (b = 0; b < 8; b++)
			crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ 0x07 : crc << 1);
	}

	return crc;
}

/* is this header possible: right channel kind and body length for the type? */
static int
hdr_ok(unsigned int ch, unsigned int type, size_t len, size_t max_body)
{
	int link = type == LOOM_MUX_HELLO || type == LOOM_MUX_PING ||
		   type == LOOM_MUX_PONG;

	if (type < LOOM_MUX_HELLO || type > LOOM_MUX_NAK || len > max_body ||
	    (link != (ch == LOOM_MUX_LINK_CH)))
		return 0;

	switch (type) {
	case LOOM_MUX_HELLO:
		return len == 7;
	case LOOM_MUX_OPEN_ACK:
		return len == 5;
	case LOOM_MUX_CLOSE:
		return len == 1;
	case LOOM_MUX_DATA:
		return len > LOOM_MUX_DATA_HDR;
	default:		/* PING, PONG, OPEN, CREDIT, NAK */
		return len == 4;
	}
}

void
loom__mux_dec_init(struct loom_mux_dec *d, unsigned int max_body)
{
	memset(d, 0, offsetof(struct loom_mux_dec, f));
	if (max_body < LOOM_MUX_MIN_BODY)
		max_body = LOOM_MUX_MIN_BODY;
	if (max_body > LOOM_MUX_MAX_BODY)
		max_body = LOOM_MUX_MAX_BODY;
	d->max_body = (uint16_t)max_body;
}

/* drop the first n bytes held */
static void
consume(struct loom_mux_dec *d, size_t n)
{
	memmove(d->f, d->f + n, d->got - n);
	d->got = (uint16_t)(d->got - n);
}

/* skip the held bytes up to the next marker after the first byte */
static void
resync(struct loom_mux_dec *d)
{
	size_t n = 1;

	while (n < d->got && d->f[n] != LOOM_MUX_MARKER)
		n++;
	d->skipped += (uint32_t)n;
	consume(d, n);
}

/* a CRC-good frame's body: fill the event, or say it is malformed */
static int
body_ok(const uint8_t *f, size_t len, struct loom_mux_ev *e)
{
	const uint8_t *b = f + LOOM_MUX_HDR;

	memset(e, 0, sizeof(*e));
	e->ch = f[1];
	e->type = f[2];
	switch (e->type) {
	case LOOM_MUX_HELLO:
		e->u32a = b[0];
		e->u32b = ((uint32_t)b[1] << 8) | b[2];
		e->buf = b + 3;
		e->len = 4;
		return e->u32a && e->u32b >= LOOM_MUX_MIN_BODY;
	case LOOM_MUX_OPEN_ACK:
		e->u32a = b[0];
		e->u32b = loom__be32(b + 1);
		return e->u32a <= LOOM_MUX_R_PROTOCOL;
	case LOOM_MUX_CLOSE:
		e->u32a = b[0];
		return e->u32a <= LOOM_MUX_R_PROTOCOL;
	case LOOM_MUX_DATA:
		e->u32a = loom__be32(b);
		e->buf = b + LOOM_MUX_DATA_HDR;
		e->len = len - LOOM_MUX_DATA_HDR;
		return 1;
	case LOOM_MUX_CREDIT:
		e->u32a = loom__be32(b);
		return e->u32a != 0;
	default:		/* PING, PONG, OPEN */
		e->u32a = loom__be32(b);
		return 1;
	}
}

/* take every whole frame held; 1 = need more input, LOOM_MUX_E_CB = stop */
static int
process(struct loom_mux_dec *d, loom_mux_cb cb, void *opaque)
{
	struct loom_mux_ev e;
	size_t len, need;

	for (;;) {
		if (!d->got)
			return 1;
		if (d->f[0] != LOOM_MUX_MARKER) {
			/* line noise before a marker */
			resync(d);
			continue;
		}
		if (d->got < LOOM_MUX_HDR)
			return 1;
		len = ((size_t)d->f[3] << 8) | d->f[4];
		if (loom__mux_crc8(d->f, 5) != d->f[5] ||
		    !hdr_ok(d->f[1], d->f[2], len, d->max_body)) {
			d->err_hdr++;
			resync(d);
			continue;
		}
		need = LOOM_MUX_HDR + len + LOOM_MUX_TRAILER;
		if (d->got < need)
			return 1;
		if (loom__mux_crc16(0xffff, d->f, LOOM_MUX_HDR + len) !=
		    (((unsigned int)d->f[need - 2] << 8) | d->f[need - 1])) {
			d->err_crc++;
			resync(d);
			continue;
		}
		if (!body_ok(d->f, len, &e)) {
			/* intact on the wire but not a frame we accept */
			d->err_frame++;
			consume(d, need);
			continue;
		}
		d->frames++;
		if (cb(opaque, &e)) {
			d->got = 0;
			return LOOM_MUX_E_CB;
		}
		consume(d, need);
	}
}

int
loom__mux_feed(struct loom_mux_dec *d, const uint8_t *in, size_t len,
	       loom_mux_cb cb, void *opaque)
{
	size_t n;
	int r;

	while (len) {
		/* no frame is longer than f[], so there is always room after process() */
		n = sizeof(d->f) - d->got;
		if (n > len)
			n = len;
		memcpy(d->f + d->got, in, n);
		d->got = (uint16_t)(d->got + n);
		in += n;
		len -= n;
		r = process(d, cb, opaque);
		if (r < 0)
			return r;
	}

	return 0;
}

int
loom__mux_dec_idle(struct loom_mux_dec *d, loom_mux_cb cb, void *opaque)
{
	if (!d->got)
		return 0;
	d->err_stall++;
	resync(d);

	return process(d, cb, opaque) < 0 ? LOOM_MUX_E_CB : 0;
}

size_t
loom__mux_put(uint8_t *out, size_t max, unsigned int ch, enum loom_mux_type type,
	      const uint8_t *body, size_t len)
{
	uint16_t crc;

	if (ch > LOOM_MUX_MAX_CH || !hdr_ok(ch, (unsigned int)type, len,
					    LOOM_MUX_MAX_BODY) ||
	    max < LOOM_MUX_OVERHEAD + len)
		return 0;
	out[0] = LOOM_MUX_MARKER;
	out[1] = (uint8_t)ch;
	out[2] = (uint8_t)type;
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
	out[5] = loom__mux_crc8(out, 5);
	if (len)
		memmove(out + LOOM_MUX_HDR, body, len);
	crc = loom__mux_crc16(0xffff, out, LOOM_MUX_HDR + len);
	out[LOOM_MUX_HDR + len] = (uint8_t)(crc >> 8);
	out[LOOM_MUX_HDR + len + 1] = (uint8_t)crc;

	return LOOM_MUX_OVERHEAD + len;
}

size_t
loom__mux_put_hello(uint8_t *out, size_t max, unsigned int max_body,
		    uint32_t session)
{
	uint8_t b[7];

	if (max_body < LOOM_MUX_MIN_BODY || max_body > 0xffff)
		return 0;
	b[0] = LOOM_MUX_VERSION;
	b[1] = (uint8_t)(max_body >> 8);
	b[2] = (uint8_t)max_body;
	loom__put_be32(b + 3, session);

	return loom__mux_put(out, max, LOOM_MUX_LINK_CH, LOOM_MUX_HELLO, b, 7);
}

size_t
loom__mux_put_u32(uint8_t *out, size_t max, unsigned int ch,
		  enum loom_mux_type type, uint32_t v)
{
	uint8_t b[4];

	if ((type == LOOM_MUX_CREDIT && !v) ||
	    (type != LOOM_MUX_PING && type != LOOM_MUX_PONG &&
	     type != LOOM_MUX_OPEN && type != LOOM_MUX_CREDIT && type != LOOM_MUX_NAK))
		return 0;
	loom__put_be32(b, v);

	return loom__mux_put(out, max, ch, type, b, 4);
}

size_t
loom__mux_put_open_ack(uint8_t *out, size_t max, unsigned int ch,
		       unsigned int result, uint32_t credit)
{
	uint8_t b[5];

	if (result > LOOM_MUX_R_PROTOCOL)
		return 0;
	b[0] = (uint8_t)result;
	loom__put_be32(b + 1, credit);

	return loom__mux_put(out, max, ch, LOOM_MUX_OPEN_ACK, b, 5);
}

size_t
loom__mux_put_close(uint8_t *out, size_t max, unsigned int ch, unsigned int reason)
{
	uint8_t b = (uint8_t)reason;

	if (reason > LOOM_MUX_R_PROTOCOL)
		return 0;

	return loom__mux_put(out, max, ch, LOOM_MUX_CLOSE, &b, 1);
}

size_t
loom__mux_put_data(uint8_t *out, size_t max, unsigned int ch, uint32_t off,
		   const uint8_t *data, size_t len)
{
	if (!len || len > LOOM_MUX_MAX_DATA ||
	    max < LOOM_MUX_OVERHEAD + LOOM_MUX_DATA_HDR + len)
		return 0;
	/* the body in place: the offset, then the bytes */
	memmove(out + LOOM_MUX_HDR + LOOM_MUX_DATA_HDR, data, len);
	loom__put_be32(out + LOOM_MUX_HDR, off);

	return loom__mux_put(out, max, ch, LOOM_MUX_DATA, out + LOOM_MUX_HDR,
			     len + LOOM_MUX_DATA_HDR);
}
