/*
 * api-test-ss-mux: the transport mux framing codec
 * (lib/secure-streams/transport-mux/mux-codec.c): every frame type round trip,
 * input split at every byte, corruption (flipped, dropped, inserted bytes, fake
 * markers and headers) and resynchronisation, the idle give-up, and limits.
 */
#include "core/private-core.h"
#include "secure-streams/transport-mux/private-ss-mux.h"
#include "loom-test.h"

#include <string.h>

/* what the decoder emitted, re-encoded, so runs compare as bytes */
struct got {
	uint8_t log[16384];
	size_t len;
	int n, stop_at;
	struct loom_mux_ev last;
};

static int
rec(void *opaque, const struct loom_mux_ev *e)
{
	struct got *g = opaque;
	size_t n = 0;

	switch (e->type) {
	case LOOM_MUX_HELLO:
		n = loom__mux_put_hello(g->log + g->len, sizeof(g->log) - g->len,
					e->u32b,
					((uint32_t)e->buf[0] << 24) |
					((uint32_t)e->buf[1] << 16) |
					((uint32_t)e->buf[2] << 8) | e->buf[3]);
		break;
	case LOOM_MUX_OPEN_ACK:
		n = loom__mux_put_open_ack(g->log + g->len, sizeof(g->log) - g->len,
					   e->ch, e->u32a, e->u32b);
		break;
	case LOOM_MUX_CLOSE:
		n = loom__mux_put_close(g->log + g->len, sizeof(g->log) - g->len,
					e->ch, e->u32a);
		break;
	case LOOM_MUX_DATA:
		n = loom__mux_put_data(g->log + g->len, sizeof(g->log) - g->len,
				       e->ch, e->u32a, e->buf, e->len);
		break;
	default:
		n = loom__mux_put_u32(g->log + g->len, sizeof(g->log) - g->len,
				      e->ch, (enum loom_mux_type)e->type, e->u32a);
		break;
	}
	LT_CHECK(n);
	g->len += n;
	g->last = *e;
	g->last.buf = NULL;
	g->n++;

	return g->stop_at && g->n == g->stop_at;
}

/* a sample of every frame type; returns its length, offsets of frames in *offs */
static size_t
sample(uint8_t *b, size_t max, size_t *offs, int *count)
{
	uint8_t data[300];
	size_t o = 0, n;
	int i = 0;

	for (n = 0; n < sizeof(data); n++)
		data[n] = (uint8_t)(n * 7 + 0x7e * (n % 5 == 0));	/* markers in it */

#define ADD(x) do { offs[i++] = o; n = (x); LT_CHECK(n); o += n; } while (0)
	ADD(loom__mux_put_hello(b + o, max - o, 256, 0x11223344u));
	ADD(loom__mux_put_u32(b + o, max - o, 0, LOOM_MUX_PING, 7));
	ADD(loom__mux_put_u32(b + o, max - o, 0, LOOM_MUX_PONG, 7));
	ADD(loom__mux_put_u32(b + o, max - o, 3, LOOM_MUX_OPEN, 4096));
	ADD(loom__mux_put_open_ack(b + o, max - o, 3, LOOM_MUX_R_OK, 8192));
	ADD(loom__mux_put_data(b + o, max - o, 3, 0, data, sizeof(data) - 48));
	ADD(loom__mux_put_u32(b + o, max - o, 3, LOOM_MUX_CREDIT, 0x7e7e7e7eu));
	ADD(loom__mux_put_data(b + o, max - o, 255, 0x7e7e7e7eu, data, 1));
	ADD(loom__mux_put_u32(b + o, max - o, 255, LOOM_MUX_NAK, 0));
	ADD(loom__mux_put_close(b + o, max - o, 3, LOOM_MUX_R_GONE));
	ADD(loom__mux_put_u32(b + o, max - o, 0, LOOM_MUX_PING, 8));
#undef ADD
	offs[i] = o;
	*count = i;

	return o;
}

static void
t_roundtrip_and_splits(void)
{
	static struct got g1, g2;
	static struct loom_mux_dec d;
	uint8_t b[2048];
	size_t offs[16], len, cut, k;
	int count;

	len = sample(b, sizeof(b), offs, &count);

	/* whole: the frames come back byte for byte */
	memset(&g1, 0, sizeof(g1));
	loom__mux_dec_init(&d, 256);
	LT_CHECK_EQ(loom__mux_feed(&d, b, len, rec, &g1), 0);
	LT_CHECK_EQ(g1.n, count);
	LT_CHECK_EQ(g1.len, len);
	LT_CHECK(!memcmp(g1.log, b, len));
	LT_CHECK_EQ(d.skipped + d.err_hdr + d.err_crc + d.err_frame, 0);
	LT_CHECK_EQ(d.got, 0);

	/* split in two at every byte */
	for (cut = 0; cut <= len; cut++) {
		memset(&g2, 0, sizeof(g2));
		loom__mux_dec_init(&d, 256);
		loom__mux_feed(&d, b, cut, rec, &g2);
		loom__mux_feed(&d, b + cut, len - cut, rec, &g2);
		if (g2.len != len || memcmp(g2.log, b, len) || d.got) {
			LT_CHECK(0);
			break;
		}
	}
	LT_CHECK(cut == len + 1);

	/* one byte at a time */
	memset(&g2, 0, sizeof(g2));
	loom__mux_dec_init(&d, 256);
	for (k = 0; k < len; k++)
		loom__mux_feed(&d, b + k, 1, rec, &g2);
	LT_CHECK_EQ(g2.len, len);
	LT_CHECK(!memcmp(g2.log, b, len));
	LT_CHECK_EQ(d.frames, (uint32_t)count);
}

/* decode \p in whole; the frames delivered must be exactly those of \p want */
static void
expect(const uint8_t *in, size_t len, const uint8_t *want, size_t wlen,
       struct loom_mux_dec *d)
{
	static struct got g;
	size_t k;

	/* whole, then byte by byte: the same result either way */
	memset(&g, 0, sizeof(g));
	loom__mux_dec_init(d, 256);
	loom__mux_feed(d, in, len, rec, &g);
	LT_CHECK_EQ(g.len, wlen);
	LT_CHECK(g.len == wlen && !memcmp(g.log, want, wlen));

	memset(&g, 0, sizeof(g));
	loom__mux_dec_init(d, 256);
	for (k = 0; k < len; k++)
		loom__mux_feed(d, in + k, 1, rec, &g);
	LT_CHECK(g.len == wlen && !memcmp(g.log, want, wlen));
}

/* build want = sample minus frame \p skip */
static size_t
without(const uint8_t *b, const size_t *offs, int count, int skip, uint8_t *want)
{
	size_t w = 0;
	int i;

	for (i = 0; i < count; i++)
		if (i != skip) {
			memcpy(want + w, b + offs[i], offs[i + 1] - offs[i]);
			w += offs[i + 1] - offs[i];
		}

	return w;
}

static void
t_corruption(void)
{
	static struct loom_mux_dec d;
	uint8_t b[2048], in[2200], want[2048];
	size_t offs[16], len, wlen, p;
	int count, f, fails = 0;

	len = sample(b, sizeof(b), offs, &count);

	/* a bit flipped anywhere in frame f loses frame f only */
	for (f = 0; f < count; f++)
		for (p = offs[f]; p < offs[f + 1]; p++) {
			static struct got g;

			memcpy(in, b, len);
			in[p] ^= 0x10;
			wlen = without(b, offs, count, f, want);
			memset(&g, 0, sizeof(g));
			loom__mux_dec_init(&d, 256);
			loom__mux_feed(&d, in, len, rec, &g);
			if (g.len != wlen || memcmp(g.log, want, wlen) ||
			    d.err_hdr + d.err_crc + d.skipped == 0)
				fails++;
		}
	LT_CHECK_EQ(fails, 0);

	/* a byte dropped anywhere in frame f loses frame f only */
	fails = 0;
	for (f = 0; f < count; f++)
		for (p = offs[f]; p < offs[f + 1]; p++) {
			static struct got g;

			memcpy(in, b, p);
			memcpy(in + p, b + p + 1, len - p - 1);
			wlen = without(b, offs, count, f, want);
			memset(&g, 0, sizeof(g));
			loom__mux_dec_init(&d, 256);
			loom__mux_feed(&d, in, len - 1, rec, &g);
			/*
			 * a short frame at the end waits for bytes that are not coming:
			 * the idle give-up finds the rest
			 */
			loom__mux_dec_idle(&d, rec, &g);
			while (d.got && g.len < wlen)
				loom__mux_dec_idle(&d, rec, &g);
			if (g.len != wlen || memcmp(g.log, want, wlen))
				fails++;
		}
	LT_CHECK_EQ(fails, 0);

	/* garbage full of markers before, between and after: every frame comes */
	{
		static const uint8_t junk[] = { 0x7e, 0x7e, 0x00, 0x7e, 0x01, 0x07,
						0x7e, 0xff, 0x55, 0x7e };
		size_t o = 0;
		int i;

		for (i = 0; i < count; i++) {
			memcpy(in + o, junk, sizeof(junk));
			o += sizeof(junk);
			memcpy(in + o, b + offs[i], offs[i + 1] - offs[i]);
			o += offs[i + 1] - offs[i];
		}
		memcpy(in + o, junk, 3);
		o += 3;
		expect(in, o, b, len, &d);
		LT_CHECK(d.skipped >= (uint32_t)count * sizeof(junk));
		LT_CHECK_EQ(d.frames, (uint32_t)count);
	}

	/*
	 * a fake header that passes its CRC-8 and claims a long body swallows the
	 * frames after it; when the body's CRC-16 fails they are found again
	 */
	{
		uint8_t fake[LOOM_MUX_HDR];
		size_t o;

		fake[0] = LOOM_MUX_MARKER;
		fake[1] = 9;
		fake[2] = LOOM_MUX_DATA;
		fake[3] = 0;
		fake[4] = 200;
		fake[5] = loom__mux_crc8(fake, 5);
		memcpy(in, fake, sizeof(fake));
		memcpy(in + sizeof(fake), b, len);
		o = sizeof(fake) + len;
		expect(in, o, b, len, &d);
		LT_CHECK_EQ(d.err_crc, 1);

		/* and if the pipe goes quiet inside the fake body, idle finds them */
		{
			static struct got g;

			memset(&g, 0, sizeof(g));
			loom__mux_dec_init(&d, 256);
			memcpy(in + sizeof(fake), b, offs[3]);
			loom__mux_feed(&d, in, sizeof(fake) + offs[3], rec, &g);
			LT_CHECK_EQ(g.n, 0);
			LT_CHECK_EQ(loom__mux_dec_idle(&d, rec, &g), 0);
			LT_CHECK_EQ(g.n, 3);
			LT_CHECK_EQ(d.err_stall, 1);
			LT_CHECK(g.len == offs[3] && !memcmp(g.log, b, offs[3]));
			LT_CHECK_EQ(d.got, 0);
		}
	}
}

static void
t_bad_bodies(void)
{
	static struct loom_mux_dec d;
	static struct got g;
	uint8_t b[64], f[64];
	size_t n, m;
	uint16_t crc;

	/* CREDIT 0 with good CRCs: counted as a bad frame, the next one comes */
	n = loom__mux_put_u32(f, sizeof(f), 5, LOOM_MUX_CREDIT, 1);
	LT_CHECK_EQ(n, LOOM_MUX_OVERHEAD + 4);
	f[LOOM_MUX_HDR + 3] = 0;
	crc = loom__mux_crc16(0xffff, f, LOOM_MUX_HDR + 4);
	f[n - 2] = (uint8_t)(crc >> 8);
	f[n - 1] = (uint8_t)crc;
	m = loom__mux_put_u32(b, sizeof(b), 0, LOOM_MUX_PING, 99);
	memcpy(f + n, b, m);
	memset(&g, 0, sizeof(g));
	loom__mux_dec_init(&d, 64);
	LT_CHECK_EQ(loom__mux_feed(&d, f, n + m, rec, &g), 0);
	LT_CHECK_EQ(d.err_frame, 1);
	LT_CHECK_EQ(g.n, 1);
	LT_CHECK_EQ(g.last.type, LOOM_MUX_PING);
	LT_CHECK_EQ(g.last.u32a, 99);

	/* HELLO version 0 and a too-small max body are refused the same way */
	n = loom__mux_put_hello(f, sizeof(f), 64, 1);
	f[LOOM_MUX_HDR] = 0;
	crc = loom__mux_crc16(0xffff, f, LOOM_MUX_HDR + 7);
	f[n - 2] = (uint8_t)(crc >> 8);
	f[n - 1] = (uint8_t)crc;
	loom__mux_dec_init(&d, 64);
	loom__mux_feed(&d, f, n, rec, &g);
	LT_CHECK_EQ(d.err_frame, 1);

	/* a callback that says stop */
	memset(&g, 0, sizeof(g));
	g.stop_at = 1;
	n = loom__mux_put_u32(f, sizeof(f), 0, LOOM_MUX_PING, 1);
	n += loom__mux_put_u32(f + n, sizeof(f) - n, 0, LOOM_MUX_PING, 2);
	loom__mux_dec_init(&d, 64);
	LT_CHECK_EQ(loom__mux_feed(&d, f, n, rec, &g), LOOM_MUX_E_CB);
	LT_CHECK_EQ(g.n, 1);
	LT_CHECK_EQ(d.got, 0);
}

static void
t_limits(void)
{
	static struct loom_mux_dec d;
	static struct got g;
	static uint8_t f[2 * (LOOM_MUX_OVERHEAD + LOOM_MUX_MAX_BODY)];
	static uint8_t data[LOOM_MUX_MAX_BODY + 1];
	size_t n, m;

	/* CRC check values of the two CRCs */
	LT_CHECK_EQ(loom__mux_crc16(0xffff, (const uint8_t *)"123456789", 9), 0x29b1);
	LT_CHECK_EQ(loom__mux_crc8((const uint8_t *)"123456789", 9), 0xf4);

	/* the decoder's max body: at the limit taken, one over refused */
	memset(data, 0x7e, sizeof(data));
	n = loom__mux_put_data(f, sizeof(f), 1, 0, data, 96);	/* body 100 */
	m = loom__mux_put_data(f + n, sizeof(f) - n, 1, 96, data, 97);
	memset(&g, 0, sizeof(g));
	loom__mux_dec_init(&d, 100);
	LT_CHECK_EQ(d.max_body, 100);
	loom__mux_feed(&d, f, n + m, rec, &g);
	LT_CHECK_EQ(g.n, 1);
	LT_CHECK_EQ(g.last.len, 96);
	/* the refused header, then each marker of its body looked at and refused */
	LT_CHECK(d.err_hdr >= 1);
	LT_CHECK_EQ(d.err_crc, 0);
	/* the refused frame's bytes (all markers) are dropped, none held for long */
	LT_CHECK(d.got < LOOM_MUX_HDR);

	/* init clamps */
	loom__mux_dec_init(&d, 1);
	LT_CHECK_EQ(d.max_body, LOOM_MUX_MIN_BODY);
	loom__mux_dec_init(&d, 1u << 20);
	LT_CHECK_EQ(d.max_body, LOOM_MUX_MAX_BODY);

	/* the largest frame there is, split anywhere */
	n = loom__mux_put_data(f, sizeof(f), 200, 0xfffffff0u, data, LOOM_MUX_MAX_DATA);
	LT_CHECK_EQ(n, LOOM_MUX_OVERHEAD + LOOM_MUX_MAX_BODY);
	memset(&g, 0, sizeof(g));
	loom__mux_feed(&d, f, 1000, rec, &g);
	loom__mux_feed(&d, f + 1000, n - 1000, rec, &g);
	LT_CHECK_EQ(g.n, 1);
	LT_CHECK_EQ(g.last.ch, 200);
	LT_CHECK_EQ(g.last.len, LOOM_MUX_MAX_DATA);
	LT_CHECK_EQ(g.last.u32a, 0xfffffff0u);

	/* encoders refuse what the decoder would */
	LT_CHECK_EQ(loom__mux_put_data(f, sizeof(f), 1, 0, data, 0), 0);
	LT_CHECK_EQ(loom__mux_put_data(f, sizeof(f), 1, 0, data, LOOM_MUX_MAX_DATA + 1), 0);
	LT_CHECK_EQ(loom__mux_put_data(f, sizeof(f), 0, 0, data, 1), 0);
	LT_CHECK_EQ(loom__mux_put_data(f, sizeof(f), 256, 0, data, 1), 0);
	LT_CHECK_EQ(loom__mux_put_u32(f, sizeof(f), 1, LOOM_MUX_CREDIT, 0), 0);
	LT_CHECK_EQ(loom__mux_put_u32(f, sizeof(f), 0, LOOM_MUX_NAK, 1), 0);
	LT_CHECK_EQ(loom__mux_put_u32(f, sizeof(f), 1, LOOM_MUX_PING, 1), 0);
	LT_CHECK_EQ(loom__mux_put_u32(f, sizeof(f), 0, LOOM_MUX_OPEN, 1), 0);
	LT_CHECK_EQ(loom__mux_put_u32(f, sizeof(f), 1, LOOM_MUX_DATA, 1), 0);
	LT_CHECK_EQ(loom__mux_put_open_ack(f, sizeof(f), 1, 9, 1), 0);
	LT_CHECK_EQ(loom__mux_put_close(f, sizeof(f), 1, 9), 0);
	LT_CHECK_EQ(loom__mux_put_hello(f, sizeof(f), 15, 0), 0);
	/* out too small by one byte, then exactly enough */
	LT_CHECK_EQ(loom__mux_put_data(f, LOOM_MUX_OVERHEAD + 13, 1, 0, data, 10), 0);
	LT_CHECK_EQ(loom__mux_put_data(f, LOOM_MUX_OVERHEAD + 14, 1, 0, data, 10),
		    LOOM_MUX_OVERHEAD + 14);
}

int
main(void)
{
	t_roundtrip_and_splits();
	t_corruption();
	t_bad_bodies();
	t_limits();

	return lt_result("api-test-ss-mux");
}
