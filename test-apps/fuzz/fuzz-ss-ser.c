/*
 * fuzz-ss-ser.c: the Secure Streams serialization decoder
 * (lib/secure-streams/serialization/ss-ser.c) as a proxy or a client meets it: the
 * stream decoded whole and again in random pieces must give the same events (and
 * the same error, if any); every frame that decodes is encoded again from its
 * events and must decode to the same events.
 *
 * Input: [mode] stream...   mode & 1: decode as a client (else as the proxy);
 * mode >> 1 seeds the split points.
 */
#include "core/private-core.h"
#include "secure-streams/serialization/private-ss-ser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(x) do { if (!(x)) abort(); } while (0)

/* a transcript of the events, data pieces joined, so chunkings compare */
struct tr {
	uint8_t log[1 << 17];
	size_t len;
	int overflow;
	/* re-encoding: the frame being rebuilt */
	uint8_t frame[LOOM_SSER_HDR + LOOM_SSER_MAX_BODY];
	size_t flen, fwant;
	size_t fstart;		/* where this frame's events start in log */
};

static struct tr t1, t2, t3;

static void
tlog(struct tr *t, const void *p, size_t n)
{
	if (t->len + n > sizeof(t->log)) {
		t->overflow = 1;
		return;
	}
	memcpy(t->log + t->len, p, n);
	t->len += n;
}

static int
rec(void *opaque, const struct loom_sser_ev *e)
{
	struct tr *t = opaque;
	uint8_t ev = (uint8_t)e->ev;

	/* data pieces are logged as bytes only, so any split gives one log */
	if (e->ev != LOOM_SSEV_MD_DATA && e->ev != LOOM_SSEV_PAYLOAD_DATA) {
		tlog(t, &ev, 1);
		tlog(t, &e->u32a, 4);
		tlog(t, &e->u32b, 4);
		if (e->str)
			tlog(t, e->str, strlen(e->str) + 1);
	} else
		tlog(t, e->buf, e->len);

	return 0;
}

/* rebuild frames from events with the encoders */
static int
reenc(void *opaque, const struct loom_sser_ev *e)
{
	struct tr *t = opaque;
	size_t m = sizeof(t->frame), n = 0;

	if (e->ev != LOOM_SSEV_MD_DATA && e->ev != LOOM_SSEV_PAYLOAD_DATA)
		t->fstart = t->len;
	rec(opaque, e);
	switch (e->ev) {
	case LOOM_SSEV_HELLO:
		n = loom__sser_put_hello(t->frame, m, e->u32b, e->str);
		check(n);
		t->frame[3] = (uint8_t)e->u32a;	/* the version as it came */
		break;
	case LOOM_SSEV_CREATED:
		n = loom__sser_put_created(t->frame, m, e->u32a, e->u32b);
		break;
	case LOOM_SSEV_MD_START:
		n = loom__sser_put_metadata_hdr(t->frame, m, e->str, e->u32a);
		t->fwant = n + e->u32a;
		break;
	case LOOM_SSEV_PAYLOAD_START:
		n = loom__sser_put_payload_hdr(t->frame, m, e->u32a, e->u32b);
		t->fwant = n + e->u32b;
		break;
	case LOOM_SSEV_MD_DATA:
	case LOOM_SSEV_PAYLOAD_DATA:
		check(t->flen + e->len <= t->fwant);
		memcpy(t->frame + t->flen, e->buf, e->len);
		t->flen += e->len;
		goto maybe_done;
	case LOOM_SSEV_REQ_TX:
		n = loom__sser_put_req_tx(t->frame, m, (int)e->u32a, e->u32b);
		break;
	case LOOM_SSEV_CREDIT:
		n = loom__sser_put_credit(t->frame, m, e->u32a);
		break;
	case LOOM_SSEV_STATE:
		n = loom__sser_put_state(t->frame, m, e->u32a, e->u32b);
		break;
	case LOOM_SSEV_CONNECT:
		n = loom__sser_put_empty(t->frame, m, LOOM_SSER_CONNECT);
		break;
	case LOOM_SSEV_DESTROY:
		n = loom__sser_put_empty(t->frame, m, LOOM_SSER_DESTROY);
		break;
	}
	check(n);
	t->flen = n;
	if (e->ev != LOOM_SSEV_MD_START && e->ev != LOOM_SSEV_PAYLOAD_START)
		t->fwant = n;
maybe_done:
	if (t->flen == t->fwant) {
		/* the rebuilt frame decodes to the same events */
		struct loom_sser_dec d;
		struct tr *x = &t3;

		loom__sser_dec_init(&d, (enum loom_sser_role)t->log[0]);
		x->len = 0;
		x->overflow = 0;
		check(!loom__sser_feed(&d, t->frame, t->flen, rec, x));
		if (!x->overflow && !t->overflow)
			check(x->len == t->len - t->fstart &&
			      !memcmp(x->log, t->log + t->fstart, x->len));
		t->flen = t->fwant = 0;
	}

	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loom_sser_dec d1, d2, d3;
	enum loom_sser_role role;
	unsigned int seed;
	size_t o = 0, n;
	int r1, r2 = 0, r3;

	if (size < 1)
		return 0;
	role = data[0] & 1 ? LOOM_SSER_ROLE_CLIENT : LOOM_SSER_ROLE_PROXY;
	seed = data[0] >> 1;
	data++;
	size--;

	/* whole */
	t1.len = 0;
	t1.overflow = 0;
	loom__sser_dec_init(&d1, role);
	r1 = loom__sser_feed(&d1, data, size, rec, &t1);

	/* in pieces */
	t2.len = 0;
	t2.overflow = 0;
	loom__sser_dec_init(&d2, role);
	while (o < size && !r2) {
		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % 7;
		if (n > size - o)
			n = size - o;
		r2 = loom__sser_feed(&d2, data + o, n, rec, &t2);
		o += n;
	}
	check(r1 == r2);
	if (!t1.overflow && !t2.overflow)
		check(t1.len == t2.len && !memcmp(t1.log, t2.log, t1.len));
	/* after an error the decoder refuses everything */
	if (r1)
		check(loom__sser_feed(&d1, data, size, rec, &t1) == r1);

	/* re-encoding (log[0] of the rebuild transcript carries the role) */
	{
		static struct tr rb;

		rb.len = 0;
		rb.overflow = 0;
		rb.flen = rb.fwant = 0;
		rb.log[0] = (uint8_t)role;
		rb.len = 1;
		loom__sser_dec_init(&d3, role);
		r3 = loom__sser_feed(&d3, data, size, reenc, &rb);
		check(r3 == r1);
	}

	return 0;
}
