/*
 * api-test-hpack: HPACK (RFC 7541) with no sockets: the appendix C examples decoded
 * and encoded (with and without Huffman), Huffman edge cases, integer limits,
 * dynamic table size rules and eviction, index errors, string and header list
 * limits, and random encoder -> decoder round trips with table size changes.
 */
#include "roles/h2/private-h2-codec.h"

#include <stdlib.h>
#include <string.h>

#include "loom-test.h"

/* ---- collecting what a decode emits ---- */

struct hdr {
	char name[256], value[512];
	size_t nlen, vlen;
	unsigned int flags;
};

struct got {
	struct hdr h[64];
	int n;
	int stop_at;	/* nonzero: the callback returns 77 at this field */
};

static int
emit(void *opaque, const char *name, size_t nlen, const char *value, size_t vlen,
     unsigned int flags)
{
	struct got *g = opaque;
	struct hdr *h;

	if (g->stop_at && g->n + 1 == g->stop_at)
		return 77;
	if (g->n == 64 || nlen >= sizeof(h->name) || vlen >= sizeof(h->value))
		return 99;
	h = &g->h[g->n++];
	memcpy(h->name, name, nlen);
	h->name[nlen] = '\0';
	h->nlen = nlen;
	memcpy(h->value, value, vlen);
	h->value[vlen] = '\0';
	h->vlen = vlen;
	h->flags = flags;

	return 0;
}

static size_t
unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;

	while (hex[0] && hex[1]) {
		unsigned int v;

		if (hex[0] == ' ') {
			hex++;
			continue;
		}
		sscanf(hex, "%2x", &v);
		out[n++] = (uint8_t)v;
		hex += 2;
	}

	return n;
}

static uint8_t scratch[8192];

static int
dec_hex(struct loom_hpack_dec *d, const char *hex, struct got *g)
{
	uint8_t in[1024];
	size_t n = unhex(hex, in);

	memset(g, 0, sizeof(*g));

	return loom__hpack_decode(d, in, n, scratch, sizeof(scratch), emit, g);
}

static int
hdr_is(const struct got *g, int i, const char *name, const char *value)
{
	return i < g->n && !strcmp(g->h[i].name, name) &&
	       !strcmp(g->h[i].value, value);
}

/* ---- appendix C ---- */

struct field {
	const char *name, *value;
};

struct cvec {
	const char *id, *hex;
	struct field f[8];
	size_t table_size;	/* after the block */
	uint32_t count;
};

#define DATE1 "Mon, 21 Oct 2013 20:13:21 GMT"
#define DATE2 "Mon, 21 Oct 2013 20:13:22 GMT"
#define COOKIE "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"

/* C.3 (raw) and C.4 (Huffman): three requests on one connection */
static const struct cvec c3[] = {
	{ "C.3.1", "828684410f7777772e6578616d706c652e636f6d",
	  { { ":method", "GET" }, { ":scheme", "http" }, { ":path", "/" },
	    { ":authority", "www.example.com" } }, 57, 1 },
	{ "C.3.2", "828684be58086e6f2d6361636865",
	  { { ":method", "GET" }, { ":scheme", "http" }, { ":path", "/" },
	    { ":authority", "www.example.com" }, { "cache-control", "no-cache" } },
	  110, 2 },
	{ "C.3.3", "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
	  { { ":method", "GET" }, { ":scheme", "https" }, { ":path", "/index.html" },
	    { ":authority", "www.example.com" }, { "custom-key", "custom-value" } },
	  164, 3 },
}, c4[] = {
	{ "C.4.1", "828684418cf1e3c2e5f23a6ba0ab90f4ff", { { NULL, NULL } }, 57, 1 },
	{ "C.4.2", "828684be5886a8eb10649cbf", { { NULL, NULL } }, 110, 2 },
	{ "C.4.3", "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
	  { { NULL, NULL } }, 164, 3 },
};

/* C.5 (raw) and C.6 (Huffman): three responses, table size 256 */
static const struct cvec c5[] = {
	{ "C.5.1", "4803333032580770726976617465611d4d6f6e2c203231204f63742032303133"
		   "2032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d70"
		   "6c652e636f6d",
	  { { ":status", "302" }, { "cache-control", "private" }, { "date", DATE1 },
	    { "location", "https://www.example.com" } }, 222, 4 },
	{ "C.5.2", "4803333037c1c0bf",
	  { { ":status", "307" }, { "cache-control", "private" }, { "date", DATE1 },
	    { "location", "https://www.example.com" } }, 222, 4 },
	{ "C.5.3", "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d"
		   "54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f5049"
		   "5541585157454f49553b206d61782d6167653d333630303b2076657273696f6e"
		   "3d31",
	  { { ":status", "200" }, { "cache-control", "private" }, { "date", DATE2 },
	    { "location", "https://www.example.com" },
	    { "content-encoding", "gzip" }, { "set-cookie", COOKIE } }, 215, 3 },
}, c6[] = {
	{ "C.6.1", "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a6"
		   "2d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
	  { { NULL, NULL } }, 222, 4 },
	{ "C.6.2", "4883640effc1c0bf", { { NULL, NULL } }, 222, 4 },
	{ "C.6.3", "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab"
		   "77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f"
		   "9587316065c003ed4ee5b1063d5007",
	  { { NULL, NULL } }, 215, 3 },
};

/* decodes a sequence on one decoder; fields come from 'fields' (C.3 / C.5) */
static void
check_dec_seq(const struct cvec *v, const struct cvec *fields, size_t table)
{
	static uint8_t storage[4096];
	struct loom_hpack_dec d;
	struct got g;
	int i, k, nf;

	loom__hpack_dec_init(&d, storage, table, 0);
	for (i = 0; i < 3; i++) {
		LT_CHECK_EQ(dec_hex(&d, v[i].hex, &g), 0);
		for (nf = 0; fields[i].f[nf].name; nf++)
			;
		LT_CHECK_EQ(g.n, nf);
		for (k = 0; k < nf; k++) {
			int ok = hdr_is(&g, k, fields[i].f[k].name,
					fields[i].f[k].value);

			LT_CHECK(ok);
			if (!ok)
				fprintf(stderr, "  %s field %d\n", v[i].id, k);
		}
		LT_CHECK_EQ(d.t.size, v[i].table_size);
		LT_CHECK_EQ(d.t.count, v[i].count);
	}
}

/* encodes the fields of a sequence; expects the vector's bytes exactly */
static void
check_enc_seq(const struct cvec *v, const struct cvec *fields, size_t table,
	      int huffman, unsigned int flags)
{
	static uint8_t storage[4096];
	struct loom_hpack_enc e;
	uint8_t out[512], want[512];
	int i, k, r;
	size_t n, wn;

	loom__hpack_enc_init(&e, storage, 4096);
	e.no_huffman = (uint8_t)!huffman;
	if (table != 4096) {
		/* as if the peer's SETTINGS said so, without the size update */
		loom__hpack_enc_peer_table_size(&e, (uint32_t)table);
		e.upd_pending = 0;
	}
	for (i = 0; i < 3; i++) {
		n = 0;
		for (k = 0; fields[i].f[k].name; k++) {
			const struct field *f = &fields[i].f[k];

			r = loom__hpack_enc_field(&e, out + n, sizeof(out) - n,
						  f->name, strlen(f->name), f->value,
						  strlen(f->value), flags);
			LT_CHECK(r > 0);
			if (r > 0)
				n += (size_t)r;
		}
		wn = unhex(v[i].hex, want);
		LT_CHECK_EQ(n, wn);
		LT_CHECK(n == wn && !memcmp(out, want, n));
		if (n != wn || memcmp(out, want, n))
			fprintf(stderr, "  encoding of %s differs\n", v[i].id);
		LT_CHECK_EQ(e.t.size, v[i].table_size);
	}
}

static void
test_appendix_c(void)
{
	static uint8_t storage[4096];
	struct loom_hpack_dec d;
	struct loom_hpack_enc e;
	uint8_t out[64], want[64];
	struct got g;
	int r;

	/* C.2.1 .. C.2.4, each on a fresh decoder */
	loom__hpack_dec_init(&d, storage, sizeof(storage), 0);
	LT_CHECK_EQ(dec_hex(&d, "400a637573746f6d2d6b65790d637573746f6d2d686561646572",
			    &g), 0);
	LT_CHECK(hdr_is(&g, 0, "custom-key", "custom-header"));
	LT_CHECK_EQ(g.h[0].flags, 0);
	LT_CHECK_EQ(d.t.size, 55);
	LT_CHECK_EQ(d.t.count, 1);

	loom__hpack_dec_init(&d, storage, sizeof(storage), 0);
	LT_CHECK_EQ(dec_hex(&d, "040c2f73616d706c652f70617468", &g), 0);
	LT_CHECK(hdr_is(&g, 0, ":path", "/sample/path"));
	LT_CHECK_EQ(g.h[0].flags, LOOM_HPACK_F_NO_INDEX);
	LT_CHECK_EQ(d.t.count, 0);

	loom__hpack_dec_init(&d, storage, sizeof(storage), 0);
	LT_CHECK_EQ(dec_hex(&d, "100870617373776f726406736563726574", &g), 0);
	LT_CHECK(hdr_is(&g, 0, "password", "secret"));
	LT_CHECK_EQ(g.h[0].flags, LOOM_HPACK_F_NEVER_INDEXED);
	LT_CHECK_EQ(d.t.count, 0);

	loom__hpack_dec_init(&d, storage, sizeof(storage), 0);
	LT_CHECK_EQ(dec_hex(&d, "82", &g), 0);
	LT_CHECK(hdr_is(&g, 0, ":method", "GET"));
	LT_CHECK_EQ(d.t.count, 0);

	/* C.2 encoded */
	loom__hpack_enc_init(&e, storage, sizeof(storage));
	e.no_huffman = 1;
	r = loom__hpack_enc_field(&e, out, sizeof(out), "custom-key", 10,
				  "custom-header", 13, LOOM_HPACK_F_INDEX);
	LT_CHECK(r == (int)unhex("400a637573746f6d2d6b65790d637573746f6d2d686561646572",
				 want) && !memcmp(out, want, (size_t)r));
	r = loom__hpack_enc_field(&e, out, sizeof(out), ":path", 5, "/sample/path", 12,
				  LOOM_HPACK_F_NO_INDEX);
	LT_CHECK(r == (int)unhex("040c2f73616d706c652f70617468", want) &&
		 !memcmp(out, want, (size_t)r));
	r = loom__hpack_enc_field(&e, out, sizeof(out), "password", 8, "secret", 6,
				  LOOM_HPACK_F_NEVER_INDEXED);
	LT_CHECK(r == (int)unhex("100870617373776f726406736563726574", want) &&
		 !memcmp(out, want, (size_t)r));
	r = loom__hpack_enc_field(&e, out, sizeof(out), ":method", 7, "GET", 3, 0);
	LT_CHECK(r == 1 && out[0] == 0x82);

	/* C.3 - C.6 */
	check_dec_seq(c3, c3, 4096);
	check_dec_seq(c4, c3, 4096);
	check_dec_seq(c5, c5, 256);
	check_dec_seq(c6, c5, 256);
	check_enc_seq(c3, c3, 4096, 0, 0);
	check_enc_seq(c4, c3, 4096, 1, 0);
	check_enc_seq(c5, c5, 256, 0, LOOM_HPACK_F_INDEX);
	check_enc_seq(c6, c5, 256, 1, LOOM_HPACK_F_INDEX);

	/* C.5's last block whole, then byte-split decoding must not matter: the
	 * decoder takes whole blocks, so check a block cut short fails instead */
	{
		uint8_t in[512];
		size_t n = unhex(c5[0].hex, in), cut;
		int bad = 0;

		for (cut = 1; cut < n; cut++) {
			loom__hpack_dec_init(&d, storage, 256, 0);
			memset(&g, 0, sizeof(g));
			r = loom__hpack_decode(&d, in, cut, scratch, sizeof(scratch),
					       emit, &g);
			/* cut at a field boundary is a valid shorter block */
			if (r != 0 && r != LOOM_HPACK_E_TRUNCATED)
				bad++;
		}
		LT_CHECK_EQ(bad, 0);
	}
}

/* ---- Huffman ---- */

static void
test_huffman(void)
{
	uint8_t in[600], enc[2400], dec[600];
	size_t i, el;
	int r, round, bad = 0;

	/* C.4.1's www.example.com */
	r = loom__huff_encode((const uint8_t *)"www.example.com", 15, enc, sizeof(enc));
	LT_CHECK_EQ(r, 12);
	LT_CHECK(!memcmp(enc, "\xf1\xe3\xc2\xe5\xf2\x3a\x6b\xa0\xab\x90\xf4\xff", 12));
	LT_CHECK_EQ(loom__huff_encoded_len((const uint8_t *)"www.example.com", 15), 12);
	r = loom__huff_decode(enc, 12, dec, sizeof(dec));
	LT_CHECK(r == 15 && !memcmp(dec, "www.example.com", 15));

	/* every byte value, and random strings, both ways */
	for (i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	r = loom__huff_encode(in, 256, enc, sizeof(enc));
	LT_CHECK(r > 0 && (size_t)r == loom__huff_encoded_len(in, 256));
	LT_CHECK_EQ(loom__huff_decode(enc, (size_t)r, dec, sizeof(dec)), 256);
	LT_CHECK(!memcmp(dec, in, 256));
	srand(7);
	for (round = 0; round < 2000; round++) {
		size_t n = (size_t)(rand() % 600);

		for (i = 0; i < n; i++)
			in[i] = (uint8_t)(round & 1 ? rand() : 'a' + rand() % 26);
		el = loom__huff_encoded_len(in, n);
		r = loom__huff_encode(in, n, enc, sizeof(enc));
		if (r < 0 || (size_t)r != el ||
		    loom__huff_decode(enc, el, dec, sizeof(dec)) != (int)n ||
		    memcmp(dec, in, n)) {
			bad++;
			fprintf(stderr, "round %d: n %zu el %zu r %d\n", round, n, el, r);
		}
		/* one byte short of room */
		if (n && loom__huff_decode(enc, el, dec, n - 1) != LOOM_HUFF_E_SPACE) {
			bad++;
			fprintf(stderr, "round %d: decode space\n", round);
		}
		if (el && loom__huff_encode(in, n, enc, el - 1) != -1) {
			bad++;
			fprintf(stderr, "round %d: encode space\n", round);
		}
	}
	LT_CHECK_EQ(bad, 0);

	/* empty string */
	LT_CHECK_EQ(loom__huff_decode(enc, 0, dec, sizeof(dec)), 0);

	/* 'a' is 00011: padded with 111 is valid, with 000 the padding is not 1s */
	enc[0] = 0x1f;
	LT_CHECK_EQ(loom__huff_decode(enc, 1, dec, sizeof(dec)), 1);
	enc[0] = 0x18;
	LT_CHECK_EQ(loom__huff_decode(enc, 1, dec, sizeof(dec)), LOOM_HUFF_E_CODE);
	enc[0] = 0x1d;	/* 00011 101 */
	LT_CHECK_EQ(loom__huff_decode(enc, 1, dec, sizeof(dec)), LOOM_HUFF_E_CODE);
	/* a whole byte of padding (8 bits > 7) */
	enc[0] = 0x1f;
	enc[1] = 0xff;
	LT_CHECK_EQ(loom__huff_decode(enc, 2, dec, sizeof(dec)), LOOM_HUFF_E_CODE);
	enc[0] = 0xff;
	LT_CHECK_EQ(loom__huff_decode(enc, 1, dec, sizeof(dec)), LOOM_HUFF_E_CODE);
	/* EOS (30 ones) inside the string: 'a' then EOS then padding */
	{
		/* 00011 + 30 x 1 + 5 x 1 = 40 bits */
		uint8_t eos[5] = { 0x1f, 0xff, 0xff, 0xff, 0xff };

		LT_CHECK_EQ(loom__huff_decode(eos, 5, dec, sizeof(dec)),
			    LOOM_HUFF_E_CODE);
		/* EOS alone, 30 bits + 2 padding */
		LT_CHECK_EQ(loom__huff_decode(eos + 1, 4, dec, sizeof(dec)),
			    LOOM_HUFF_E_CODE);
	}
	/* the same errors through the bounded loop (room for one symbol only) */
	enc[0] = 0x18;
	LT_CHECK_EQ(loom__huff_decode(enc, 1, dec, 1), LOOM_HUFF_E_CODE);
	enc[0] = 0x1f;
	enc[1] = 0xff;
	LT_CHECK_EQ(loom__huff_decode(enc, 2, dec, 1), LOOM_HUFF_E_CODE);
	LT_CHECK_EQ(loom__huff_decode(enc, 1, dec, 1), 1);
	LT_CHECK_EQ(loom__huff_decode(enc, 1, dec, 0), LOOM_HUFF_E_SPACE);
	{
		uint8_t eos[5] = { 0x1f, 0xff, 0xff, 0xff, 0xff };

		LT_CHECK_EQ(loom__huff_decode(eos, 5, dec, 1), LOOM_HUFF_E_CODE);
	}
	/* 7 bits of padding are fine: '0' (00000) then 0 (0000 0) + 1111111? use
	 * 'a','a' = 10 bits + 6 ones; and a 28-bit symbol then 4 ones */
	enc[0] = 0x18;
	enc[1] = 0xff;	/* 00011 000|11 111111: 'a' 'a' + 6 ones */
	LT_CHECK_EQ(loom__huff_decode(enc, 2, dec, sizeof(dec)), 2);
	r = loom__huff_encode((const uint8_t *)"\x02", 1, enc, sizeof(enc));
	LT_CHECK_EQ(r, 4);	/* 28 bits + 4 ones */
	LT_CHECK_EQ(loom__huff_decode(enc, 4, dec, sizeof(dec)), 1);
	LT_CHECK_EQ(dec[0], 2);
}

/* ---- integers ---- */

static void
test_integers(void)
{
	static const uint32_t vals[] = { 0, 1, 30, 31, 32, 62, 63, 126, 127, 128,
		254, 255, 256, 1337, 16383, 16384, 65535, 2097151, 268435455,
		0x7fffffff, 0xfffffffe, 0xffffffff };
	uint8_t buf[16];
	size_t i, n, pos;
	unsigned int p;
	uint32_t v;
	int bad = 0;

	/* RFC 7541 C.1 */
	n = loom__hpack_int_encode(buf, sizeof(buf), 0, 5, 10);
	LT_CHECK(n == 1 && buf[0] == 10);
	n = loom__hpack_int_encode(buf, sizeof(buf), 0, 5, 1337);
	LT_CHECK(n == 3 && buf[0] == 31 && buf[1] == 154 && buf[2] == 10);
	n = loom__hpack_int_encode(buf, sizeof(buf), 0, 8, 42);
	LT_CHECK(n == 1 && buf[0] == 42);

	for (p = 1; p <= 8; p++)
		for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			n = loom__hpack_int_encode(buf, sizeof(buf), 0, p, vals[i]);
			pos = 0;
			if (!n || loom__hpack_int_decode(buf, n, &pos, p, &v) ||
			    v != vals[i] || pos != n)
				bad++;
			/* every truncation fails */
			while (n > 1) {
				n--;
				pos = 0;
				if (loom__hpack_int_decode(buf, n, &pos, p, &v) !=
				    LOOM_HPACK_E_TRUNCATED)
					bad++;
			}
		}
	LT_CHECK_EQ(bad, 0);
	/* too little room to encode */
	LT_CHECK_EQ(loom__hpack_int_encode(buf, 2, 0, 5, 1337), 0);
	LT_CHECK_EQ(loom__hpack_int_encode(buf, 0, 0, 5, 1), 0);

	/* 2^32 - 1 with a 7-bit prefix: 127 + 0xffffff80 */
	pos = 0;
	n = unhex("ff 80 ff ff ff 0f", buf);
	LT_CHECK_EQ(loom__hpack_int_decode(buf, n, &pos, 7, &v), 0);
	LT_CHECK_EQ(v, 0xffffffffu);
	/* 2^32: too big */
	pos = 0;
	n = unhex("ff 81 ff ff ff 0f", buf);
	LT_CHECK_EQ(loom__hpack_int_decode(buf, n, &pos, 7, &v), LOOM_HPACK_E_INTEGER);
	pos = 0;
	n = unhex("ff 80 80 80 80 10", buf);
	LT_CHECK_EQ(loom__hpack_int_decode(buf, n, &pos, 7, &v), LOOM_HPACK_E_INTEGER);
	/* five continuation bytes of value 0 are fine, a sixth is not */
	pos = 0;
	n = unhex("ff 80 80 80 80 00", buf);
	LT_CHECK_EQ(loom__hpack_int_decode(buf, n, &pos, 7, &v), 0);
	LT_CHECK_EQ(v, 127);
	pos = 0;
	n = unhex("ff 80 80 80 80 80 00", buf);
	LT_CHECK_EQ(loom__hpack_int_decode(buf, n, &pos, 7, &v), LOOM_HPACK_E_INTEGER);
}

/* ---- decoder errors and limits ---- */

static void
test_decoder_errors(void)
{
	static uint8_t storage[4096];
	struct loom_hpack_dec d;
	uint8_t in[600];
	struct got g;
	size_t n;
	int r;

	loom__hpack_dec_init(&d, storage, sizeof(storage), 0);
	/* index 0 */
	LT_CHECK_EQ(dec_hex(&d, "80", &g), LOOM_HPACK_E_INDEX);
	/* past the static table with an empty dynamic one */
	loom__hpack_dec_init(&d, storage, sizeof(storage), 0);
	LT_CHECK_EQ(dec_hex(&d, "be", &g), LOOM_HPACK_E_INDEX);
	LT_CHECK_EQ(dec_hex(&d, "bd", &g), 0);	/* 61: www-authenticate */
	LT_CHECK(hdr_is(&g, 0, "www-authenticate", ""));
	/* literal with an indexed name out of range */
	LT_CHECK_EQ(dec_hex(&d, "7f00 0161", &g), LOOM_HPACK_E_INDEX);
	LT_CHECK_EQ(dec_hex(&d, "0f2f 0161", &g), LOOM_HPACK_E_INDEX);
	/* one entry: 62 ok, 63 not */
	loom__hpack_dec_init(&d, storage, sizeof(storage), 0);
	LT_CHECK_EQ(dec_hex(&d, "4001610162", &g), 0);
	LT_CHECK_EQ(dec_hex(&d, "be", &g), 0);
	LT_CHECK(hdr_is(&g, 0, "a", "b"));
	LT_CHECK_EQ(dec_hex(&d, "bf", &g), LOOM_HPACK_E_INDEX);
	/* a huge index */
	LT_CHECK_EQ(dec_hex(&d, "ff80ffffff0f", &g), LOOM_HPACK_E_INDEX);
	LT_CHECK_EQ(dec_hex(&d, "ff81ffffff0f", &g), LOOM_HPACK_E_INTEGER);
	/* integer cut short, string cut short, string length overflowing */
	LT_CHECK_EQ(dec_hex(&d, "ff", &g), LOOM_HPACK_E_TRUNCATED);
	LT_CHECK_EQ(dec_hex(&d, "40", &g), LOOM_HPACK_E_TRUNCATED);
	LT_CHECK_EQ(dec_hex(&d, "4003616263", &g), LOOM_HPACK_E_TRUNCATED);
	LT_CHECK_EQ(dec_hex(&d, "40016101", &g), LOOM_HPACK_E_TRUNCATED);
	LT_CHECK_EQ(dec_hex(&d, "407fffffffff0f", &g), LOOM_HPACK_E_INTEGER);
	LT_CHECK_EQ(dec_hex(&d, "407f80ffffff0f", &g), LOOM_HPACK_E_TRUNCATED);
	LT_CHECK_EQ(dec_hex(&d, "407f81ffffff0f", &g), LOOM_HPACK_E_INTEGER);
	/* bad Huffman in a name and in a value */
	LT_CHECK_EQ(dec_hex(&d, "408118 0161", &g), LOOM_HPACK_E_HUFFMAN);
	LT_CHECK_EQ(dec_hex(&d, "0001 61 8218ff", &g), 0);	/* 'a' 'a' + 6 ones */
	LT_CHECK(hdr_is(&g, 0, "a", "aa"));
	LT_CHECK_EQ(dec_hex(&d, "0001 61 821fff", &g), LOOM_HPACK_E_HUFFMAN);
	LT_CHECK_EQ(dec_hex(&d, "0001 61 851fffffffff", &g), LOOM_HPACK_E_HUFFMAN);
	/* the emitting callback stops the block with its value */
	loom__hpack_dec_init(&d, storage, sizeof(storage), 0);
	memset(&g, 0, sizeof(g));
	g.stop_at = 2;
	n = unhex("828684", in);
	LT_CHECK_EQ(loom__hpack_decode(&d, in, n, scratch, sizeof(scratch), emit, &g),
		    77);
	LT_CHECK_EQ(g.n, 1);

	/* size updates: at the start (several) fine, after a field not, and not
	 * above our limit */
	loom__hpack_dec_init(&d, storage, 4096, 0);
	LT_CHECK_EQ(dec_hex(&d, "4001610162", &g), 0);
	LT_CHECK_EQ(dec_hex(&d, "3fe11f 20 3fe11f 82", &g), 0);
	LT_CHECK_EQ(d.t.count, 0);	/* 0 emptied it */
	LT_CHECK_EQ(d.t.max_size, 4096);
	LT_CHECK_EQ(dec_hex(&d, "82 20", &g), LOOM_HPACK_E_SIZE_UPDATE);
	loom__hpack_dec_init(&d, storage, 4096, 0);
	LT_CHECK_EQ(dec_hex(&d, "3fe21f", &g), LOOM_HPACK_E_SIZE_UPDATE); /* 4097 */
	loom__hpack_dec_init(&d, storage, 4096, 0);
	LT_CHECK_EQ(dec_hex(&d, "3fe11f", &g), 0);	/* 4096, no fields */
	/* a size update that shrinks the table evicts */
	loom__hpack_dec_init(&d, storage, 4096, 0);
	LT_CHECK_EQ(dec_hex(&d, "4001610162 4001630164", &g), 0);	/* 34 each */
	LT_CHECK_EQ(d.t.count, 2);
	LT_CHECK_EQ(dec_hex(&d, "3f03 be", &g), 0);	/* 34: keeps the newest */
	LT_CHECK(hdr_is(&g, 0, "c", "d"));
	LT_CHECK_EQ(d.t.count, 1);
	LT_CHECK_EQ(dec_hex(&d, "bf", &g), LOOM_HPACK_E_INDEX);
	/* our limit lowered: the next block must start with an update under it */
	loom__hpack_dec_init(&d, storage, 4096, 0);
	loom__hpack_dec_set_limit(&d, 100);
	LT_CHECK_EQ(dec_hex(&d, "82", &g), LOOM_HPACK_E_SIZE_UPDATE);
	loom__hpack_dec_init(&d, storage, 4096, 0);
	loom__hpack_dec_set_limit(&d, 100);
	LT_CHECK_EQ(dec_hex(&d, "3f46 82", &g), LOOM_HPACK_E_SIZE_UPDATE); /* 101 */
	LT_CHECK_EQ(dec_hex(&d, "3f45 82", &g), 0);	/* 100 */
	LT_CHECK_EQ(dec_hex(&d, "82", &g), 0);	/* once is enough */
	/* raised limit: allowed, not required */
	loom__hpack_dec_set_limit(&d, 8192);	/* clamped to the storage */
	LT_CHECK_EQ(d.settings_limit, 4096);
	LT_CHECK_EQ(dec_hex(&d, "82", &g), 0);

	/* eviction: an entry larger than the table empties it, not an error */
	loom__hpack_dec_init(&d, storage, 64, 0);
	LT_CHECK_EQ(dec_hex(&d, "4001610162", &g), 0);
	LT_CHECK_EQ(d.t.count, 1);
	n = unhex("4001 61 20", in);	/* a: 32 x 'x' -> 33 + 32 > 64 */
	memset(in + n, 'x', 32);
	n += 32;
	memset(&g, 0, sizeof(g));
	LT_CHECK_EQ(loom__hpack_decode(&d, in, n, scratch, sizeof(scratch), emit, &g), 0);
	LT_CHECK_EQ(g.n, 1);
	LT_CHECK_EQ(d.t.count, 0);
	LT_CHECK_EQ(d.t.size, 0);
	/* exactly the table size fits */
	n = unhex("4001 61 1f", in);
	memset(in + n, 'x', 31);
	n += 31;
	LT_CHECK_EQ(loom__hpack_decode(&d, in, n, scratch, sizeof(scratch), emit, &g), 0);
	LT_CHECK_EQ(d.t.count, 1);
	LT_CHECK_EQ(d.t.size, 64);

	/* a new entry naming the entry its own addition evicts (4.4) */
	loom__hpack_dec_init(&d, storage, 100, 0);
	LT_CHECK_EQ(dec_hex(&d, "4004 6e616d65 0476616c31", &g), 0); /* 40 */
	n = unhex("7e 28", in);	/* name = index 62, value 40 bytes: 76 */
	memset(in + n, 'v', 40);
	n += 40;
	memset(&g, 0, sizeof(g));
	LT_CHECK_EQ(loom__hpack_decode(&d, in, n, scratch, sizeof(scratch), emit, &g), 0);
	LT_CHECK_EQ(d.t.count, 1);
	LT_CHECK_EQ(d.t.size, 76);
	LT_CHECK_EQ(dec_hex(&d, "be", &g), 0);
	LT_CHECK(g.n == 1 && !strcmp(g.h[0].name, "name") && g.h[0].vlen == 40);

	/* no dynamic table at all */
	loom__hpack_dec_init(&d, NULL, 0, 0);
	LT_CHECK_EQ(dec_hex(&d, "4001610162", &g), 0);
	LT_CHECK_EQ(d.t.count, 0);
	LT_CHECK_EQ(dec_hex(&d, "be", &g), LOOM_HPACK_E_INDEX);
	LT_CHECK_EQ(dec_hex(&d, "21", &g), LOOM_HPACK_E_SIZE_UPDATE);
	LT_CHECK_EQ(dec_hex(&d, "20 82", &g), 0);

	/* string longer than the limit (scratch): raw and Huffman, name and value */
	loom__hpack_dec_init(&d, storage, sizeof(storage), 0);
	n = unhex("0003 616263 03 646566", in);
	memset(&g, 0, sizeof(g));
	LT_CHECK_EQ(loom__hpack_decode(&d, in, n, scratch, 6, emit, &g), 0);
	LT_CHECK_EQ(loom__hpack_decode(&d, in, n, scratch, 5, emit, &g),
		    LOOM_HPACK_E_STRING);
	LT_CHECK_EQ(loom__hpack_decode(&d, in, n, scratch, 2, emit, &g),
		    LOOM_HPACK_E_STRING);
	n = unhex("0082 18ff 82 18ff", in);	/* "aa": "aa" in Huffman */
	LT_CHECK_EQ(loom__hpack_decode(&d, in, n, scratch, 4, emit, &g), 0);
	LT_CHECK_EQ(loom__hpack_decode(&d, in, n, scratch, 3, emit, &g),
		    LOOM_HPACK_E_STRING);
	LT_CHECK_EQ(loom__hpack_decode(&d, in, n, scratch, 1, emit, &g),
		    LOOM_HPACK_E_STRING);
	/* an indexed field too is bounded: accept-encoding: gzip, deflate (28) */
	n = unhex("90", in);
	LT_CHECK_EQ(loom__hpack_decode(&d, in, n, scratch, 28, emit, &g), 0);
	LT_CHECK_EQ(loom__hpack_decode(&d, in, n, scratch, 27, emit, &g),
		    LOOM_HPACK_E_STRING);

	/* header list size: over the limit the block is still decoded (table in
	 * step), emitting stops, the result is TOO_BIG */
	loom__hpack_dec_init(&d, storage, sizeof(storage), 3 * 34);
	LT_CHECK_EQ(dec_hex(&d, "4001610162 4001630164 4001650166", &g), 0);
	LT_CHECK_EQ(g.n, 3);
	loom__hpack_dec_init(&d, storage, sizeof(storage), 3 * 34 - 1);
	LT_CHECK_EQ(dec_hex(&d, "4001610162 4001630164 4001650166 82", &g),
		    LOOM_HPACK_E_TOO_BIG);
	LT_CHECK_EQ(g.n, 2);
	LT_CHECK_EQ(d.t.count, 3);
	LT_CHECK(!LOOM_HPACK_IS_CONN_ERROR(LOOM_HPACK_E_TOO_BIG));
	LT_CHECK(LOOM_HPACK_IS_CONN_ERROR(LOOM_HPACK_E_INDEX));
	/* the next block starts counting afresh, with the table as the peer has it */
	LT_CHECK_EQ(dec_hex(&d, "be c0", &g), 0);
	LT_CHECK(hdr_is(&g, 0, "e", "f") && hdr_is(&g, 1, "a", "b"));

	/* never-indexed with a literal name */
	loom__hpack_dec_init(&d, storage, sizeof(storage), 0);
	LT_CHECK_EQ(dec_hex(&d, "10 0161 0162", &g), 0);
	LT_CHECK(hdr_is(&g, 0, "a", "b"));
	LT_CHECK_EQ(d.t.count, 0);
	(void)r;
}

/* ---- encoder behaviour ---- */

static void
test_encoder(void)
{
	static uint8_t es[4096], ds[4096];
	struct loom_hpack_enc e;
	struct loom_hpack_dec d;
	uint8_t out[4096];
	struct got g;
	int r, r2;

	loom__hpack_enc_init(&e, es, sizeof(es));
	/* the second time a field is indexed */
	r = loom__hpack_enc_field(&e, out, sizeof(out), "server", 6, "loom", 4, 0);
	LT_CHECK(r > 1);
	LT_CHECK_EQ(out[0], 0x40 | 54);
	r = loom__hpack_enc_field(&e, out, sizeof(out), "server", 6, "loom", 4, 0);
	LT_CHECK(r == 1 && out[0] == 0xbe);
	/* sensitive and volatile fields are not indexed */
	r = loom__hpack_enc_field(&e, out, sizeof(out), "authorization", 13,
				  "Basic Zm9vOmJhcg==", 18, 0);
	LT_CHECK(r > 0 && out[0] == (0x10 | 0x0f) && out[1] == 23 - 15);
	r = loom__hpack_enc_field(&e, out, sizeof(out), "set-cookie", 10, "a=b", 3, 0);
	LT_CHECK(r > 0 && out[0] == 0x1f);
	r = loom__hpack_enc_field(&e, out, sizeof(out), "content-length", 14, "42", 2, 0);
	LT_CHECK(r > 0 && out[0] == 0x0f && out[1] == 28 - 15);
	r = loom__hpack_enc_field(&e, out, sizeof(out), "x-a", 3, "1", 1,
				  LOOM_HPACK_F_NO_INDEX);
	LT_CHECK(r > 0 && out[0] == 0x00);
	LT_CHECK_EQ(e.t.count, 1);
	/* too small: -1, and the table does not change */
	r = loom__hpack_enc_field(&e, out, 3, "x-new", 5, "value", 5, 0);
	LT_CHECK_EQ(r, -1);
	LT_CHECK_EQ(e.t.count, 1);
	r = loom__hpack_enc_field(&e, out, 0, "server", 6, "loom", 4, 0);
	LT_CHECK_EQ(r, -1);
	r = loom__hpack_enc_field(&e, out, sizeof(out), "x-new", 5, "value", 5, 0);
	LT_CHECK(r > 0);
	r2 = r;
	loom__hpack_enc_init(&e, es, sizeof(es));
	for (r = 0; r < r2; r++)
		LT_CHECK_EQ(loom__hpack_enc_field(&e, out, (size_t)r, "x-new", 5,
						  "value", 5, 0), -1);
	LT_CHECK_EQ(e.t.count, 0);
	LT_CHECK_EQ(loom__hpack_enc_field(&e, out, (size_t)r2, "x-new", 5, "value", 5,
					  0), r2);
	LT_CHECK(r2 <= (int)LOOM_HPACK_ENC_MAX(5, 5));

	/* table size updates: nothing owed at first with 4096 */
	loom__hpack_enc_init(&e, es, sizeof(es));
	LT_CHECK_EQ(loom__hpack_enc_block_start(&e, out, sizeof(out)), 0);
	/* down to 0 and back up before the next block: two updates, smallest first */
	loom__hpack_enc_field(&e, out, sizeof(out), "x-a", 3, "1", 1, 0);
	loom__hpack_enc_peer_table_size(&e, 0);
	LT_CHECK_EQ(e.t.count, 0);
	loom__hpack_enc_peer_table_size(&e, 4096);
	LT_CHECK_EQ(loom__hpack_enc_block_start(&e, out, 3), -1);
	r = loom__hpack_enc_block_start(&e, out, sizeof(out));
	LT_CHECK(r == 4 && out[0] == 0x20 && out[1] == 0x3f && out[2] == 0xe1 &&
		 out[3] == 0x1f);
	LT_CHECK_EQ(loom__hpack_enc_block_start(&e, out, sizeof(out)), 0);
	/* the peer allows more than our storage: we keep ours, say so once */
	loom__hpack_enc_peer_table_size(&e, 65536);
	r = loom__hpack_enc_block_start(&e, out, sizeof(out));
	LT_CHECK(r == 3 && out[0] == 0x3f && out[1] == 0xe1 && out[2] == 0x1f);
	/* smaller storage than the default: an update at the first block */
	loom__hpack_enc_init(&e, es, 1000);
	r = loom__hpack_enc_block_start(&e, out, sizeof(out));
	LT_CHECK(r == 3 && out[0] == 0x3f && out[1] == (uint8_t)(0x80 | ((1000 - 31) & 0x7f)));
	/* decoder side: what the encoder wrote decodes with limit 4096 */
	loom__hpack_dec_init(&d, ds, sizeof(ds), 0);
	memset(&g, 0, sizeof(g));
	LT_CHECK_EQ(loom__hpack_decode(&d, out, (size_t)r, scratch, sizeof(scratch),
				       emit, &g), 0);
	LT_CHECK_EQ(d.t.max_size, 1000);
}

/* ---- random round trips: our encoder into our decoder ---- */

static void
test_roundtrip(void)
{
	static uint8_t es[4096], ds[4096];
	static const char *const names[] = { ":method", ":path", ":status",
		"content-type", "x-custom", "cookie", "set-cookie", "date",
		"authorization", "content-length", "accept", "a-very-long-header-name"
	};
	struct loom_hpack_enc e;
	struct loom_hpack_dec d;
	uint8_t block[16384];
	char vals[16][200], nm[16][40];
	struct got g;
	int round, bad = 0, k;

	srand(11);
	loom__hpack_enc_init(&e, es, sizeof(es));
	loom__hpack_dec_init(&d, ds, sizeof(ds), 0);
	for (round = 0; round < 3000; round++) {
		int nf = 1 + rand() % 12, r;
		size_t n = 0;

		if (rand() % 50 == 0) {
			uint32_t sz = (uint32_t)(rand() % 5000);

			loom__hpack_enc_peer_table_size(&e, sz);
		}
		r = loom__hpack_enc_block_start(&e, block, sizeof(block));
		if (r < 0)
			bad++;
		n += (size_t)r;
		for (k = 0; k < nf; k++) {
			size_t vl = (size_t)(rand() % 3 ? rand() % 20 : rand() % 199), i;
			unsigned int fl = (unsigned int)(rand() % 8 ? 0 : 1 << rand() % 3);

			if (rand() % 4)
				strcpy(nm[k], names[rand() % 12]);
			else
				snprintf(nm[k], sizeof(nm[k]), "x-h%d", rand() % 40);
			for (i = 0; i < vl; i++)
				vals[k][i] = (char)(rand() % 3 ? 'a' + rand() % 4 :
						    32 + rand() % 95);
			vals[k][vl] = '\0';
			if (k && rand() % 10 == 0)	/* repeat an earlier value */
				memmove(vals[k], vals[0], strlen(vals[0]) + 1);
			e.no_huffman = (uint8_t)(rand() % 5 == 0);
			r = loom__hpack_enc_field(&e, block + n, sizeof(block) - n,
						  nm[k], strlen(nm[k]), vals[k],
						  strlen(vals[k]), fl);
			if (r <= 0) {
				bad++;
				break;
			}
			n += (size_t)r;
		}
		memset(&g, 0, sizeof(g));
		if (loom__hpack_decode(&d, block, n, scratch, sizeof(scratch), emit,
				       &g) || g.n != nf) {
			bad++;
			continue;
		}
		for (k = 0; k < nf; k++)
			if (!hdr_is(&g, k, nm[k], vals[k]))
				bad++;
		if (d.t.size != e.t.size || d.t.count != e.t.count)
			bad++;
	}
	LT_CHECK_EQ(bad, 0);
}

int
main(void)
{
	test_appendix_c();
	test_huffman();
	test_integers();
	test_decoder_errors();
	test_encoder();
	test_roundtrip();

	return lt_result("api-test-hpack");
}
