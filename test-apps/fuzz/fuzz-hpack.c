/*
 * fuzz-hpack: the HPACK decoder on a run of header blocks sharing one dynamic
 * table, with table size, header list limit and scratch size taken from the input.
 * What decodes is re-encoded by our encoder and decoded again: the fields must come
 * back the same.  Each Huffman string that decodes must re-encode to its input.
 */
#include "roles/h2/private-h2-codec.h"

#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXF 256

struct fields {
	uint8_t buf[65536];
	size_t used;
	size_t off[MAXF], nlen[MAXF], vlen[MAXF];
	unsigned int flags[MAXF];
	int n;
	int overflow;
};

static int
collect(void *opaque, const char *name, size_t nlen, const char *value, size_t vlen,
	unsigned int flags)
{
	struct fields *f = opaque;

	if (f->n == MAXF || sizeof(f->buf) - f->used < nlen + vlen) {
		f->overflow = 1;
		return 0;
	}
	f->off[f->n] = f->used;
	f->nlen[f->n] = nlen;
	f->vlen[f->n] = vlen;
	f->flags[f->n] = flags;
	memcpy(f->buf + f->used, name, nlen);
	memcpy(f->buf + f->used + nlen, value, vlen);
	f->used += nlen + vlen;
	f->n++;

	return 0;
}

static uint8_t t1[8192], t2[4096], t3[4096], scratch[16384], scratch2[16384];
static uint8_t reenc[300000];
static struct fields f1, f2;

static void
check_huffman(const uint8_t *in, size_t len)
{
	static uint8_t dec[4096], enc[4096];
	int r, e;

	if (len > 2000)
		len = 2000;
	r = loom__huff_decode(in, len, dec, sizeof(dec));
	/* the bounded loop (room for exactly what decodes) must agree */
	if (r >= 0 && loom__huff_decode(in, len, enc, (size_t)r) != r)
		abort();
	if (r >= 0 && r && memcmp(enc, dec, (size_t)r))
		abort();
	if (r < 0)
		return;
	if (loom__huff_encoded_len(dec, (size_t)r) != len)
		abort();
	e = loom__huff_encode(dec, (size_t)r, enc, sizeof(enc));
	if (e != (int)len || memcmp(enc, in, len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t tables[] = { 0, 64, 256, 4096 };
	static const size_t scratches[] = { 16, 300, 4096, 16384 };
	struct loom_hpack_dec d, d2;
	struct loom_hpack_enc e;
	size_t o = 3, table, sl, maxlist;
	int i, r;

	if (size < 3)
		return 0;
	check_huffman(data, size);

	table = tables[data[0] & 3];
	sl = scratches[(data[0] >> 2) & 3];
	maxlist = (data[0] & 0x10) ? (size_t)data[1] * 16 : 0;
	loom__hpack_dec_init(&d, t1, table, maxlist);
	if (data[0] & 0x20)
		loom__hpack_dec_set_limit(&d, data[2]);
	/* the round trip: our encoder -> a second decoder */
	loom__hpack_enc_init(&e, t2, sizeof(t2));
	e.no_huffman = (uint8_t)((data[0] >> 6) & 1);
	loom__hpack_dec_init(&d2, t3, sizeof(t3), 0);

	/* blocks: a 2-byte length, then that many bytes (or the rest) */
	while (o < size) {
		size_t bl, n = 0;

		if (size - o < 2)
			break;
		bl = ((size_t)data[o] << 8) | data[o + 1];
		o += 2;
		if (bl > size - o)
			bl = size - o;
		memset(&f1, 0, sizeof(f1) - sizeof(f1.buf));
		f1.used = 0;
		f1.n = 0;
		f1.overflow = 0;
		r = loom__hpack_decode(&d, data + o, bl, scratch, sl, collect, &f1);
		o += bl;
		if (d.t.size > d.t.max_size || d.t.max_size > d.t.cap ||
		    d.t.used > d.t.size)
			abort();
		if (r && r != LOOM_HPACK_E_TOO_BIG) {
			if (r > 0 || !LOOM_HPACK_IS_CONN_ERROR(r))
				abort();
			break;
		}
		if (f1.overflow)
			continue;
		if (data[1] & 1)
			loom__hpack_enc_peer_table_size(&e, (uint32_t)(data[2] * 20));
		r = loom__hpack_enc_block_start(&e, reenc, sizeof(reenc));
		if (r < 0)
			abort();
		n = (size_t)r;
		for (i = 0; i < f1.n; i++) {
			r = loom__hpack_enc_field(&e, reenc + n, sizeof(reenc) - n,
						  (const char *)f1.buf + f1.off[i], f1.nlen[i],
						  (const char *)f1.buf + f1.off[i] + f1.nlen[i],
						  f1.vlen[i], f1.flags[i]);
			if (r <= 0 || (size_t)r > LOOM_HPACK_ENC_MAX(f1.nlen[i],
								       f1.vlen[i]))
				abort();
			n += (size_t)r;
		}
		f2.used = 0;
		f2.n = 0;
		f2.overflow = 0;
		r = loom__hpack_decode(&d2, reenc, n, scratch2, sizeof(scratch2),
				       collect, &f2);
		if (r || f2.n != f1.n || f2.used != f1.used ||
		    memcmp(f2.buf, f1.buf, f1.used))
			abort();
		for (i = 0; i < f1.n; i++)
			if (f2.nlen[i] != f1.nlen[i] ||
			    ((f1.flags[i] & LOOM_HPACK_F_NEVER_INDEXED) &&
			     !(f2.flags[i] & LOOM_HPACK_F_NEVER_INDEXED)))
				abort();
		if (d2.t.size != e.t.size || d2.t.count != e.t.count)
			abort();
	}

	return 0;
}
