/*
 * fuzz-http-chunked.c: the chunked transfer coding decoder. The first input byte
 * seeds how the rest is cut into pieces; the body is decoded whole and in pieces
 * and both must give the same result, the same data and stop at the same byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "roles/http/private-http-parser.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static uint32_t rng;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;

	return rng;
}

static size_t
piece(size_t left)
{
	size_t n;

	switch (rnd() % 3) {
	case 0:
		n = 1;
		break;
	case 1:
		n = 1 + rnd() % 16;
		break;
	default:
		n = 1 + rnd() % 512;
		break;
	}

	return n < left ? n : left;
}

struct sink {
	uint8_t *data;
	size_t len, cap;
	const uint8_t *in, *in_end;	/* where the current call's input lies */
};

static int
sink_cb(void *user, const uint8_t *d, size_t len)
{
	struct sink *s = user;

	/* data is passed in place, never empty, never beyond what was given */
	CHECK(len && d >= s->in && d + len <= s->in_end);
	CHECK(len <= s->cap - s->len);
	memcpy(s->data + s->len, d, len);
	s->len += len;

	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loom_http_chunked a, b;
	struct sink sa, sb;
	size_t used_a, used_b, off = 0, n;
	int ra, rb = LOOM_HP_MORE;

	if (size < 1)
		return 0;
	rng = 0x9e3779b9u ^ ((uint32_t)data[0] * 0x01000193u) ^ (uint32_t)size;
	data++;
	size--;

	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	sa.cap = sb.cap = size;
	sa.data = malloc(size + 1);
	sb.data = malloc(size + 1);
	CHECK(sa.data && sb.data);

	loom__http_chunked_init(&a);
	sa.in = data;
	sa.in_end = data + size;
	ra = loom__http_chunked_decode(&a, data, size, &used_a, sink_cb, &sa);
	CHECK(used_a <= size);
	CHECK(ra == LOOM_HP_MORE || ra == LOOM_HP_DONE || ra == -400);
	CHECK(ra != LOOM_HP_MORE || used_a == size);
	CHECK(sa.len <= used_a);
	if (ra == LOOM_HP_DONE) {
		/* it stops right after the CRLF that ends the trailer section */
		CHECK(used_a >= 5 && data[used_a - 2] == '\r' && data[used_a - 1] == '\n');
		CHECK(loom__http_chunked_decode(&a, data + used_a, size - used_a, &n,
						sink_cb, &sa) == LOOM_HP_DONE && !n);
	}

	loom__http_chunked_init(&b);
	while (off < size) {
		n = piece(size - off);
		sb.in = data + off;
		sb.in_end = data + off + n;
		rb = loom__http_chunked_decode(&b, data + off, n, &used_b, sink_cb, &sb);
		CHECK(used_b <= n);
		if (rb != LOOM_HP_MORE) {
			off += used_b;
			break;
		}
		CHECK(used_b == n);
		off += n;
	}
	CHECK(ra == rb);
	/* the same data up to the end or the error, in any split */
	CHECK(sa.len == sb.len && !memcmp(sa.data, sb.data, sa.len));
	if (ra != -400) {
		CHECK(ra != LOOM_HP_DONE || off == used_a);
		CHECK(a.state == b.state && a.remaining == b.remaining);
	}
	free(sa.data);
	free(sb.data);

	return 0;
}
