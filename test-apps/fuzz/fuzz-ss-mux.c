/*
 * fuzz-ss-mux.c: the transport mux framing decoder
 * (lib/secure-streams/transport-mux/mux-codec.c) as a UART delivers to it: the
 * input decoded whole and again in random pieces must give the same frames and
 * the same error counters; every frame delivered is encoded again and must be
 * byte-for-byte what was on the wire; the decoder never holds more than a frame.
 *
 * Input: [mode] [max body byte] bytes...   mode seeds the split points; the max
 * body is 16 + 8 * that byte.
 */
#include "core/private-core.h"
#include "secure-streams/transport-mux/private-ss-mux.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(x) do { if (!(x)) abort(); } while (0)

struct tr {
	uint8_t log[1 << 16];
	size_t len;
	int overflow;
};

static struct tr t1, t2;

/* log the frame re-encoded: equal logs mean equal frames */
static int
rec(void *opaque, const struct loom_mux_ev *e)
{
	struct tr *t = opaque;
	uint8_t f[LOOM_MUX_OVERHEAD + LOOM_MUX_MAX_BODY];
	size_t n = 0;

	switch (e->type) {
	case LOOM_MUX_HELLO:
		n = loom__mux_put_hello(f, sizeof(f), e->u32b,
					((uint32_t)e->buf[0] << 24) |
					((uint32_t)e->buf[1] << 16) |
					((uint32_t)e->buf[2] << 8) | e->buf[3]);
		check(n);
		/* the version as it came */
		f[LOOM_MUX_HDR] = (uint8_t)e->u32a;
		n = loom__mux_put(f, sizeof(f), e->ch, LOOM_MUX_HELLO,
				  f + LOOM_MUX_HDR, 7);
		break;
	case LOOM_MUX_PING:
	case LOOM_MUX_PONG:
	case LOOM_MUX_OPEN:
	case LOOM_MUX_CREDIT:
	case LOOM_MUX_NAK:
		n = loom__mux_put_u32(f, sizeof(f), e->ch,
				      (enum loom_mux_type)e->type, e->u32a);
		break;
	case LOOM_MUX_OPEN_ACK:
		n = loom__mux_put_open_ack(f, sizeof(f), e->ch, e->u32a, e->u32b);
		break;
	case LOOM_MUX_CLOSE:
		n = loom__mux_put_close(f, sizeof(f), e->ch, e->u32a);
		break;
	case LOOM_MUX_DATA:
		check(e->len >= 1 && e->len <= LOOM_MUX_MAX_DATA);
		n = loom__mux_put_data(f, sizeof(f), e->ch, e->u32a, e->buf, e->len);
		break;
	default:
		check(0);
	}
	check(n);
	if (t->len + n > sizeof(t->log)) {
		t->overflow = 1;
		return 0;
	}
	memcpy(t->log + t->len, f, n);
	t->len += n;

	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct loom_mux_dec d1, d2;
	unsigned int seed, max_body;
	size_t o = 0, n, i;

	if (size < 2)
		return 0;
	seed = data[0];
	max_body = 16u + 8u * data[1];
	data += 2;
	size -= 2;

	t1.len = 0;
	t1.overflow = 0;
	loom__mux_dec_init(&d1, max_body);
	check(!loom__mux_feed(&d1, data, size, rec, &t1));

	t2.len = 0;
	t2.overflow = 0;
	loom__mux_dec_init(&d2, max_body);
	while (o < size) {
		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % 13;
		if (n > size - o)
			n = size - o;
		check(!loom__mux_feed(&d2, data + o, n, rec, &t2));
		check(d2.got <= LOOM_MUX_OVERHEAD + d2.max_body);
		o += n;
	}
	check(d1.frames == d2.frames && d1.skipped == d2.skipped &&
	      d1.err_hdr == d2.err_hdr && d1.err_crc == d2.err_crc &&
	      d1.err_frame == d2.err_frame && d1.got == d2.got);
	if (!t1.overflow && !t2.overflow)
		check(t1.len == t2.len && !memcmp(t1.log, t2.log, t1.len));

	/*
	 * every frame delivered was on the wire as it re-encodes, in order (a
	 * frame is found inside the input, after the previous one)
	 */
	if (!t1.overflow) {
		size_t at = 0, fl;

		for (i = 0; i < t1.len; i += fl) {
			const uint8_t *f = t1.log + i;
			const uint8_t *hit = NULL;

			fl = LOOM_MUX_OVERHEAD + (((size_t)f[3] << 8) | f[4]);
			while (at + fl <= size) {
				if (!memcmp(data + at, f, fl)) {
					hit = data + at;
					break;
				}
				at++;
			}
			check(hit);
			at += fl;
		}
	}
	/* every input byte is either in a frame, dropped, or still held */
	check(d1.skipped + d1.got <= size);

	return 0;
}
