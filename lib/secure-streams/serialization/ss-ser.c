/*
 * ss-ser.c: the Secure Streams serialization codec: an incremental decoder of the
 * frames an SSPC client and the proxy exchange, and their encoders. No I/O, no
 * allocation; see private-ss-ser.h and READMEs/README.ss-serialization.md.
 */
#include "core/private-core.h"
#include "secure-streams/serialization/private-ss-ser.h"
#include "misc/private-bytes.h"

enum {
	PH_HDR,		/* collecting the 3-byte frame header */
	PH_FIXED,	/* collecting the body's fixed part into d->fixed */
	PH_DATA,	/* passing the rest through (payload, metadata value) */
};

#define DIR_P	2	/* sent by the proxy (clients decode it) */
#if defined(LOOM_WITH_SS)
#define DIR_C	1	/* sent by clients (the proxy decodes it) */
#else
/*
 * An SSPC-only build (LOOM_WITH_SSPC) has no proxy in it (the proxy needs
 * LOOM_WITH_SS): nothing there decodes what only clients send, so those frames
 * (HELLO, REQ_TX, CONNECT, DESTROY) are refused as coming the wrong way in
 * either role, and their decoding is not in the library
 */
#define DIR_C	0
#endif

static const uint8_t dir_of[] = {
	0,
	DIR_C,		/* HELLO */
	DIR_P,		/* CREATED */
	DIR_C | DIR_P,	/* METADATA */
	DIR_C | DIR_P,	/* PAYLOAD */
	DIR_C,		/* REQ_TX */
	DIR_C | DIR_P,	/* CREDIT */
	DIR_P,		/* STATE */
	DIR_C,		/* CONNECT */
	DIR_C,		/* DESTROY */
};

static int
name_ok(const uint8_t *p, size_t len)
{
	size_t n;

	if (!len || len > LOOM_SSER_NAME_MAX)
		return 0;
	for (n = 0; n < len; n++)
		if (p[n] < 0x21 || p[n] > 0x7e)
			return 0;

	return 1;
}

void
loom__sser_dec_init(struct loom_sser_dec *d, enum loom_sser_role role)
{
	memset(d, 0, sizeof(*d));
	d->role = (uint8_t)role;
	d->phase = PH_HDR;
}

static int
fail(struct loom_sser_dec *d, int e)
{
	d->error = (int8_t)e;

	return e;
}

/* the body length is legal for the type? (names are checked when read) */
static int
length_ok(unsigned int type, uint32_t len)
{
	switch (type) {
#if defined(LOOM_WITH_SS)
	case LOOM_SSER_HELLO:
		return len >= 1 + 4 + 1 && len <= 1 + 4 + LOOM_SSER_NAME_MAX;
	case LOOM_SSER_REQ_TX:
		return len == 0 || len == 4;
	case LOOM_SSER_CONNECT:
	case LOOM_SSER_DESTROY:
		return len == 0;
#endif
	case LOOM_SSER_CREATED:
		return len == 5;
	case LOOM_SSER_METADATA:
		return len >= 2;
	case LOOM_SSER_PAYLOAD:
		return len >= 1;
	case LOOM_SSER_CREDIT:
		return len == 4;
	case LOOM_SSER_STATE:
		return len == 8;
	}

	return 0;
}

/* how many body bytes go into d->fixed before the event (or PH_DATA) */
static uint32_t
fixed_need(const struct loom_sser_dec *d)
{
	switch (d->type) {
	case LOOM_SSER_METADATA:
		/* the length byte, then that many name bytes */
		return d->got ? 1u + d->fixed[0] : 1u;
	case LOOM_SSER_PAYLOAD:
		return 1;
	default:
		return d->body_len;
	}
}

static int
emit(struct loom_sser_dec *d, loom_sser_cb cb, void *opaque, struct loom_sser_ev *e)
{
	return cb(opaque, e) ? fail(d, LOOM_SSER_E_CB) : 0;
}

/* the fixed part is complete: check it and tell */
static int
fixed_done(struct loom_sser_dec *d, loom_sser_cb cb, void *opaque)
{
	struct loom_sser_ev e;
	char name[LOOM_SSER_NAME_MAX + 1];
	uint32_t n;

	memset(&e, 0, sizeof(e));
	switch (d->type) {
#if defined(LOOM_WITH_SS)
	case LOOM_SSER_HELLO:
		n = d->body_len - 5;
		if (!d->fixed[0])
			return fail(d, LOOM_SSER_E_VALUE);	/* version 0 */
		if (!name_ok(d->fixed + 5, n))
			return fail(d, LOOM_SSER_E_NAME);
		memcpy(name, d->fixed + 5, n);
		name[n] = '\0';
		e.ev = LOOM_SSEV_HELLO;
		e.u32a = d->fixed[0];
		e.u32b = loom__be32(d->fixed + 1);
		e.str = name;
		break;
	case LOOM_SSER_REQ_TX:
		e.ev = LOOM_SSEV_REQ_TX;
		e.u32a = d->body_len == 4;
		e.u32b = d->body_len == 4 ? loom__be32(d->fixed) : 0;
		break;
	case LOOM_SSER_CONNECT:
		e.ev = LOOM_SSEV_CONNECT;
		break;
	case LOOM_SSER_DESTROY:
		e.ev = LOOM_SSEV_DESTROY;
		break;
#endif
	case LOOM_SSER_CREATED:
		if (d->fixed[0] > LOOM_SSER_R_FAILED)
			return fail(d, LOOM_SSER_E_VALUE);
		e.ev = LOOM_SSEV_CREATED;
		e.u32a = d->fixed[0];
		e.u32b = loom__be32(d->fixed + 1);
		break;
	case LOOM_SSER_METADATA:
		n = d->fixed[0];
		if (!name_ok(d->fixed + 1, n))
			return fail(d, LOOM_SSER_E_NAME);
		memcpy(name, d->fixed + 1, n);
		name[n] = '\0';
		e.ev = LOOM_SSEV_MD_START;
		e.str = name;
		e.u32a = d->body_len - 1 - n;
		break;
	case LOOM_SSER_PAYLOAD:
		if (d->fixed[0] & ~(LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM))
			return fail(d, LOOM_SSER_E_VALUE);
		e.ev = LOOM_SSEV_PAYLOAD_START;
		e.u32a = d->fixed[0];
		e.u32b = d->body_len - 1;
		break;
	case LOOM_SSER_CREDIT:
		e.ev = LOOM_SSEV_CREDIT;
		e.u32a = loom__be32(d->fixed);
		if (!e.u32a)
			return fail(d, LOOM_SSER_E_VALUE);
		break;
	default:	/* STATE: length_ok() let no other type through */
		e.ev = LOOM_SSEV_STATE;
		e.u32a = loom__be32(d->fixed);
		e.u32b = loom__be32(d->fixed + 4);
		if (e.u32a < LOOM_SSS_CREATING || e.u32a > LOOM_SSS_SERVER_UPGRADE)
			return fail(d, LOOM_SSER_E_VALUE);
		break;
	}

	return emit(d, cb, opaque, &e);
}

int
loom__sser_feed(struct loom_sser_dec *d, const uint8_t *in, size_t len,
		loom_sser_cb cb, void *opaque)
{
	struct loom_sser_ev e;
	uint32_t need, take;
	int r;

	if (d->error)
		return d->error;

	while (len) {
		switch (d->phase) {
		case PH_HDR:
			d->hdr[d->hdr_got++] = *in++;
			len--;
			if (d->hdr_got < LOOM_SSER_HDR)
				break;
			d->hdr_got = 0;
			d->type = d->hdr[0];
			d->body_len = ((uint32_t)d->hdr[1] << 8) | d->hdr[2];
			d->got = 0;
			if (!d->type || d->type >= sizeof(dir_of))
				return fail(d, LOOM_SSER_E_TYPE);
			if (!(dir_of[d->type] & (d->role == LOOM_SSER_ROLE_PROXY ?
						  DIR_C : DIR_P)))
				return fail(d, LOOM_SSER_E_DIRECTION);
			if (!length_ok(d->type, d->body_len))
				return fail(d, LOOM_SSER_E_LENGTH);
			if (!d->body_len) {		/* CONNECT, DESTROY, REQ_TX */
				r = fixed_done(d, cb, opaque);
				if (r)
					return r;
				break;
			}
			d->phase = PH_FIXED;
			break;

		case PH_FIXED:
			need = fixed_need(d);
			take = need - d->got;
			if (take > len)
				take = (uint32_t)len;
			memcpy(d->fixed + d->got, in, take);
			d->got += take;
			in += take;
			len -= take;
			if (d->type == LOOM_SSER_METADATA && d->got == 1) {
				/* the name length is known now: it must fit the body
				 * and the limit */
				if (!d->fixed[0] || d->fixed[0] > LOOM_SSER_NAME_MAX ||
				    1u + d->fixed[0] > d->body_len)
					return fail(d, LOOM_SSER_E_NAME);
				break;
			}
			if (d->got < fixed_need(d))
				break;
			r = fixed_done(d, cb, opaque);
			if (r)
				return r;
			if (d->got == d->body_len) {
				d->phase = PH_HDR;
				break;
			}
			d->phase = PH_DATA;
			break;

		case PH_DATA:
			take = d->body_len - d->got;
			if (take > len)
				take = (uint32_t)len;
			memset(&e, 0, sizeof(e));
			e.ev = d->type == LOOM_SSER_PAYLOAD ? LOOM_SSEV_PAYLOAD_DATA :
							      LOOM_SSEV_MD_DATA;
			e.buf = in;
			e.len = take;
			d->got += take;
			in += take;
			len -= take;
			r = emit(d, cb, opaque, &e);
			if (r)
				return r;
			if (d->got == d->body_len)
				d->phase = PH_HDR;
			break;
		}
	}

	return 0;
}

/* ---- encoders ---- */

static size_t
put_hdr(uint8_t *out, size_t max, enum loom_sser_type type, size_t body_len)
{
	if (body_len > LOOM_SSER_MAX_BODY || max < LOOM_SSER_HDR)
		return 0;
	out[0] = (uint8_t)type;
	out[1] = (uint8_t)(body_len >> 8);
	out[2] = (uint8_t)body_len;

	return LOOM_SSER_HDR;
}

size_t
loom__sser_put_hello(uint8_t *out, size_t max, uint32_t rx_credit,
		     const char *streamtype)
{
	size_t n = strlen(streamtype);

	if (!name_ok((const uint8_t *)streamtype, n) || max < LOOM_SSER_HDR + 5 + n ||
	    !put_hdr(out, max, LOOM_SSER_HELLO, 5 + n))
		return 0;
	out[3] = LOOM_SSER_VERSION;
	loom__put_be32(out + 4, rx_credit);
	memcpy(out + 8, streamtype, n);

	return LOOM_SSER_HDR + 5 + n;
}

size_t
loom__sser_put_created(uint8_t *out, size_t max, unsigned int result,
		       uint32_t tx_credit)
{
	if (result > LOOM_SSER_R_FAILED || max < LOOM_SSER_HDR + 5 ||
	    !put_hdr(out, max, LOOM_SSER_CREATED, 5))
		return 0;
	out[3] = (uint8_t)result;
	loom__put_be32(out + 4, tx_credit);

	return LOOM_SSER_HDR + 5;
}

size_t
loom__sser_put_metadata_hdr(uint8_t *out, size_t max, const char *name,
			    size_t value_len)
{
	size_t n = strlen(name);

	if (!name_ok((const uint8_t *)name, n) || max < LOOM_SSER_HDR + 1 + n ||
	    !put_hdr(out, max, LOOM_SSER_METADATA, 1 + n + value_len))
		return 0;
	out[3] = (uint8_t)n;
	memcpy(out + 4, name, n);

	return LOOM_SSER_HDR + 1 + n;
}

size_t
loom__sser_put_payload_hdr(uint8_t *out, size_t max, unsigned int flags, size_t len)
{
	if ((flags & ~(unsigned int)(LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM)) ||
	    max < LOOM_SSER_HDR + 1 || !put_hdr(out, max, LOOM_SSER_PAYLOAD, 1 + len))
		return 0;
	out[3] = (uint8_t)flags;

	return LOOM_SSER_HDR + 1;
}

size_t
loom__sser_put_req_tx(uint8_t *out, size_t max, int has_len, uint32_t len)
{
	if (max < LOOM_SSER_HDR + (has_len ? 4u : 0u) ||
	    !put_hdr(out, max, LOOM_SSER_REQ_TX, has_len ? 4 : 0))
		return 0;
	if (!has_len)
		return LOOM_SSER_HDR;
	loom__put_be32(out + 3, len);

	return LOOM_SSER_HDR + 4;
}

size_t
loom__sser_put_credit(uint8_t *out, size_t max, uint32_t add)
{
	if (!add || max < LOOM_SSER_HDR + 4 || !put_hdr(out, max, LOOM_SSER_CREDIT, 4))
		return 0;
	loom__put_be32(out + 3, add);

	return LOOM_SSER_HDR + 4;
}

size_t
loom__sser_put_state(uint8_t *out, size_t max, uint32_t state, uint32_t ack)
{
	if (state < LOOM_SSS_CREATING || state > LOOM_SSS_SERVER_UPGRADE ||
	    max < LOOM_SSER_HDR + 8 || !put_hdr(out, max, LOOM_SSER_STATE, 8))
		return 0;
	loom__put_be32(out + 3, state);
	loom__put_be32(out + 7, ack);

	return LOOM_SSER_HDR + 8;
}

size_t
loom__sser_put_empty(uint8_t *out, size_t max, enum loom_sser_type type)
{
	if (type != LOOM_SSER_CONNECT && type != LOOM_SSER_DESTROY &&
	    type != LOOM_SSER_REQ_TX)
		return 0;

	return put_hdr(out, max, type, 0);
}
