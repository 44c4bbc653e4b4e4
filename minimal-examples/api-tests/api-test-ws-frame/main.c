/*
 * api-test-ws-frame: the WebSocket frame parser, encoder, UTF-8 validator,
 * handshake hashing and permessage-deflate pieces, with no sockets: every stream
 * whole, byte by byte and split at every position, and every close code it can give.
 */
#include "roles/ws/private-ws.h"

#include <stdlib.h>
#include <string.h>

#include "loom-test.h"

/* a string literal and its length */
#define SL(s) s, strlen(s)

/* what a parse produced: data of every message, control events, the error */
struct res {
	uint8_t data[70000 * 2];
	size_t data_len;
	int msgs, pings, pongs, closes, err;
	unsigned int close_code;
	int first_seen, text;
};

static void
run(int server, uint64_t max_msg, uint64_t max_frame, int allow_rsv1,
    const uint8_t *in, size_t len, size_t split, struct res *r)
{
	struct loom_ws_parser p;
	uint8_t *copy = malloc(len + 1);
	size_t o = 0;

	memcpy(copy, in, len);
	memset(r, 0, sizeof(*r));
	loom__ws_parser_init(&p, server, max_msg, max_frame);
	p.allow_rsv1 = (uint8_t)allow_rsv1;
	while (o < len && !r->err) {
		size_t chunk = split ? split : len, used, off = 0;

		if (chunk > len - o)
			chunk = len - o;
		while (off < chunk) {
			struct loom_ws_event ev;
			int k = loom__ws_parse(&p, copy + o + off, chunk - off, &used, &ev);

			off += used;
			if (k < 0) {
				r->err = -k;
				break;
			}
			if (k == LOOM_WS_P_MORE)
				break;
			switch (ev.type) {
			case LOOM_WS_EV_DATA:
				if (ev.msg_first)
					r->first_seen++;
				r->text = ev.opcode == LOOM_WSOP_TEXT;
				if (r->data_len + ev.len <= sizeof(r->data)) {
					memcpy(r->data + r->data_len, ev.data, ev.len);
					r->data_len += ev.len;
				}
				if (ev.msg_end)
					r->msgs++;
				break;
			case LOOM_WS_EV_PING:
				r->pings++;
				break;
			case LOOM_WS_EV_PONG:
				r->pongs++;
				break;
			case LOOM_WS_EV_CLOSE:
				r->closes++;
				r->close_code = ev.close_code;
				break;
			}
		}
		o += chunk;
	}
	free(copy);
}

/* a frame as a client (masked) or server sends it */
static size_t
frame(uint8_t *out, unsigned int op, int fin, const void *pl, size_t len, int masked)
{
	static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t h = loom__ws_frame_header(out, op, fin, 0, len, masked ? mask : NULL);

	memcpy(out + h, pl, len);
	if (masked)
		loom__ws_mask(out + h, len, mask, 0);

	return h + len;
}

/* the same stream gives the same result however it is split */
static void
check_splits(int server, const uint8_t *s, size_t len, const struct res *want,
	     int exhaustive)
{
	static struct res r;
	size_t sp;

	for (sp = 1; sp <= len; sp = exhaustive ? sp + 1 : sp * 2 + 1) {
		run(server, 0, 0, 0, s, len, sp, &r);
		if (r.err != want->err || r.msgs != want->msgs ||
		    r.data_len != want->data_len || r.pings != want->pings ||
		    r.closes != want->closes || memcmp(r.data, want->data, r.data_len)) {
			LT_CHECK(0);
			fprintf(stderr, "  split %zu: err %d/%d msgs %d/%d len %zu/%zu\n", sp,
				r.err, want->err, r.msgs, want->msgs, r.data_len,
				want->data_len);
			return;
		}
	}
	LT_CHECK(1);
}

static uint8_t stream[300000];

static void
test_roundtrip(void)
{
	static struct res r;
	static const size_t sizes[] = { 0, 1, 125, 126, 127, 65535, 65536, 70000 };
	uint8_t *pl = malloc(70000);
	size_t i, n;

	for (i = 0; i < 70000; i++)
		pl[i] = (uint8_t)('a' + i % 26);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = frame(stream, LOOM_WSOP_TEXT, 1, pl, sizes[i], 1);
		run(1, 0, 0, 0, stream, n, 0, &r);
		LT_CHECK_EQ(r.err, 0);
		LT_CHECK_EQ(r.msgs, 1);
		LT_CHECK_EQ(r.data_len, sizes[i]);
		LT_CHECK(!memcmp(r.data, pl, sizes[i]));
		/* header length by payload size */
		LT_CHECK_EQ(n - sizes[i], (sizes[i] < 126 ? 2 : sizes[i] < 65536 ? 4 : 10) + 4);
		check_splits(1, stream, n, &r, sizes[i] < 300);
		/* the server's own (unmasked) frames, as a client parses them */
		n = frame(stream, LOOM_WSOP_BINARY, 1, pl, sizes[i], 0);
		run(0, 0, 0, 0, stream, n, 1, &r);
		LT_CHECK_EQ(r.err, 0);
		LT_CHECK_EQ(r.data_len, sizes[i]);
	}

	/* fragmented text with pings and a pong between the fragments */
	n = frame(stream, LOOM_WSOP_TEXT, 0, "Hel", 3, 1);
	n += frame(stream + n, LOOM_WSOP_PING, 1, "p1", 2, 1);
	n += frame(stream + n, LOOM_WSOP_CONT, 0, "lo, ", 4, 1);
	n += frame(stream + n, LOOM_WSOP_PONG, 1, "", 0, 1);
	n += frame(stream + n, LOOM_WSOP_CONT, 0, "", 0, 1);
	n += frame(stream + n, LOOM_WSOP_CONT, 1, "w\xc3\xb6rld", 6, 1);
	n += frame(stream + n, LOOM_WSOP_BINARY, 1, "\xff\x00", 2, 1);
	n += frame(stream + n, LOOM_WSOP_CLOSE, 1, "\x03\xe8" "bye", 5, 1);
	run(1, 0, 0, 0, stream, n, 0, &r);
	LT_CHECK_EQ(r.err, 0);
	LT_CHECK_EQ(r.msgs, 2);
	LT_CHECK_EQ(r.pings, 1);
	LT_CHECK_EQ(r.pongs, 1);
	LT_CHECK_EQ(r.closes, 1);
	LT_CHECK_EQ(r.close_code, 1000);
	LT_CHECK_EQ(r.data_len, 15);
	LT_CHECK(!memcmp(r.data, "Hello, w\xc3\xb6rld\xff\x00", 15));
	check_splits(1, stream, n, &r, 1);

	/* a close with no payload is 1005 */
	n = frame(stream, LOOM_WSOP_CLOSE, 1, "", 0, 1);
	run(1, 0, 0, 0, stream, n, 1, &r);
	LT_CHECK_EQ(r.close_code, 1005);
	free(pl);
}

/* a stream that must fail with \p code, whole and at every split */
static void
expect_err(int server, const uint8_t *s, size_t len, int code, const char *what)
{
	static struct res r;
	size_t sp;

	for (sp = 0; sp <= len; sp++) {
		run(server, 100, 0, 0, s, len, sp, &r);
		if (r.err != code) {
			LT_CHECK(0);
			fprintf(stderr, "  %s: split %zu gave %d, want %d\n", what, sp, r.err,
				code);
			return;
		}
	}
	LT_CHECK(1);
}

static void
test_errors(void)
{
	uint8_t b[200];
	size_t n;
	unsigned int op;
	static const unsigned int bad_codes[] = { 0, 999, 1004, 1005, 1006, 1015, 1016,
						  1100, 2000, 2999, 5000, 65535 };
	static const unsigned int good_codes[] = { 1000, 1001, 1002, 1003, 1007, 1008,
						   1009, 1010, 1011, 3000, 3999, 4000,
						   4999 };
	static struct res r;
	unsigned int i;

	/* reserved bits */
	n = frame(b, LOOM_WSOP_TEXT, 1, "a", 1, 1);
	b[0] |= 0x40;
	expect_err(1, b, n, 1002, "rsv1 without deflate");
	b[0] = (uint8_t)((b[0] & ~0x40) | 0x20);
	expect_err(1, b, n, 1002, "rsv2");
	b[0] = (uint8_t)((b[0] & ~0x20) | 0x10);
	expect_err(1, b, n, 1002, "rsv3");
	n = frame(b, LOOM_WSOP_PING, 1, "a", 1, 1);
	b[0] |= 0x40;
	run(1, 0, 0, 1, b, n, 0, &r);
	LT_CHECK_EQ(r.err, 1002);	/* rsv1 on a control frame, even with deflate */

	/* reserved opcodes */
	for (op = 3; op < 16; op++) {
		if (op == 8 || op == 9 || op == 10)
			continue;
		n = frame(b, op, 1, "a", 1, 1);
		expect_err(1, b, n, 1002, "reserved opcode");
	}
	/* control frames: fragmented, too long */
	n = frame(b, LOOM_WSOP_PING, 0, "a", 1, 1);
	expect_err(1, b, n, 1002, "fragmented ping");
	memset(b + 100, 'x', 100);
	n = loom__ws_frame_header(b, LOOM_WSOP_PING, 1, 0, 126, (const uint8_t *)"abcd");
	memset(b + n, 0, 126);
	expect_err(1, b, n + 10, 1002, "ping of 126");
	/* continuation with no message; a new message inside one */
	n = frame(b, LOOM_WSOP_CONT, 1, "a", 1, 1);
	expect_err(1, b, n, 1002, "continuation first");
	n = frame(b, LOOM_WSOP_TEXT, 0, "a", 1, 1);
	n += frame(b + n, LOOM_WSOP_BINARY, 1, "b", 1, 1);
	expect_err(1, b, n, 1002, "message inside a message");
	/* masking both ways */
	n = frame(b, LOOM_WSOP_TEXT, 1, "a", 1, 0);
	expect_err(1, b, n, 1002, "unmasked to a server");
	n = frame(b, LOOM_WSOP_TEXT, 1, "a", 1, 1);
	expect_err(0, b, n, 1002, "masked to a client");
	/* 64-bit length with the top bit */
	b[0] = 0x82;
	b[1] = 0xff;
	memset(b + 2, 0, 12);
	b[2] = 0x80;
	expect_err(1, b, 14, 1002, "length top bit");

	/* close payloads */
	n = frame(b, LOOM_WSOP_CLOSE, 1, "\x03", 1, 1);
	expect_err(1, b, n, 1002, "close of 1 byte");
	for (i = 0; i < sizeof(bad_codes) / sizeof(bad_codes[0]); i++) {
		uint8_t c[2] = { (uint8_t)(bad_codes[i] >> 8), (uint8_t)bad_codes[i] };

		n = frame(b, LOOM_WSOP_CLOSE, 1, c, 2, 1);
		expect_err(1, b, n, 1002, "bad close code");
		LT_CHECK(!loom__ws_close_code_valid(bad_codes[i]));
	}
	for (i = 0; i < sizeof(good_codes) / sizeof(good_codes[0]); i++) {
		uint8_t c[2] = { (uint8_t)(good_codes[i] >> 8), (uint8_t)good_codes[i] };

		n = frame(b, LOOM_WSOP_CLOSE, 1, c, 2, 1);
		run(1, 0, 0, 0, b, n, 1, &r);
		LT_CHECK_EQ(r.err, 0);
		LT_CHECK_EQ(r.close_code, good_codes[i]);
	}
	n = frame(b, LOOM_WSOP_CLOSE, 1, "\x03\xe8\xc3\x28", 4, 1);
	expect_err(1, b, n, 1007, "close reason not UTF-8");

	/* UTF-8 in text: bad byte, truncated at the end, split across fragments */
	n = frame(b, LOOM_WSOP_TEXT, 1, "ab\xc0\xafz", 5, 1);
	expect_err(1, b, n, 1007, "overlong");
	n = frame(b, LOOM_WSOP_TEXT, 1, "ab\xe2\x82", 4, 1);
	expect_err(1, b, n, 1007, "truncated at fin");
	n = frame(b, LOOM_WSOP_TEXT, 0, "\xe2\x82", 2, 1);
	n += frame(b + n, LOOM_WSOP_CONT, 1, "\xac", 1, 1);
	run(1, 0, 0, 0, b, n, 1, &r);
	LT_CHECK_EQ(r.err, 0);	/* a euro sign split across fragments */
	LT_CHECK_EQ(r.data_len, 3);
	n = frame(b, LOOM_WSOP_TEXT, 0, "\xe2\x82", 2, 1);
	n += frame(b + n, LOOM_WSOP_CONT, 1, "\x41", 1, 1);
	expect_err(1, b, n, 1007, "bad continuation across fragments");
	/* binary is not checked */
	n = frame(b, LOOM_WSOP_BINARY, 1, "\xff\xfe", 2, 1);
	run(1, 0, 0, 0, b, n, 1, &r);
	LT_CHECK_EQ(r.err, 0);

	/* sizes: limit 100 (expect_err runs with max_msg 100) */
	memset(b + 150, 'x', 50);
	n = loom__ws_frame_header(b, LOOM_WSOP_BINARY, 1, 0, 101, (const uint8_t *)"abcd");
	expect_err(1, b, n, 1009, "frame over the message limit");
	n = frame(b, LOOM_WSOP_TEXT, 0, b + 150, 50, 1);
	n += frame(b + n, LOOM_WSOP_CONT, 0, b + 150, 50, 1);
	n += frame(b + n, LOOM_WSOP_CONT, 1, "y", 1, 1);
	expect_err(1, b, n, 1009, "fragments over the message limit");
	{
		struct loom_ws_parser p;
		struct loom_ws_event ev;
		size_t used;

		loom__ws_parser_init(&p, 1, 0, 10);
		n = frame(b, LOOM_WSOP_BINARY, 1, b + 150, 11, 1);
		LT_CHECK_EQ(loom__ws_parse(&p, b, n, &used, &ev), -1009);
		/* after an error, the same error */
		LT_CHECK_EQ(loom__ws_parse(&p, b, n, &used, &ev), -1009);
		/* and the length of the bad frame is known, to skip it */
		LT_CHECK_EQ(p.remaining, 11);
	}
}

static int
utf8_ok(const char *s, size_t len)
{
	struct loom_utf8 u;

	memset(&u, 0, sizeof(u));

	return !loom__utf8_feed(&u, (const uint8_t *)s, len) && !u.need;
}

static void
test_utf8(void)
{
	static const char *const good[] = { "", "plain ascii text here, long enough",
		"\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",
		"\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
		"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5" };
	static const char *const bad[] = { "\x80", "\xbf", "\xc0\x80", "\xc1\xbf",
		"\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
		"\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
		"\xff", "\xfe", "\xc2", "\xe0\xa0", "\xf0\x90\x80", "abc\xc2z" };
	unsigned int i;
	size_t k;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		LT_CHECK(utf8_ok(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		LT_CHECK(!utf8_ok(bad[i], strlen(bad[i])));
	/* byte by byte gives the same answer */
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct loom_utf8 u;
		int e = 0;

		memset(&u, 0, sizeof(u));
		for (k = 0; k < strlen(good[i]); k++)
			e |= loom__utf8_feed(&u, (const uint8_t *)good[i] + k, 1);
		LT_CHECK(!e && !u.need);
	}
}

static void
test_handshake_crypto(void)
{
	char acc[29], b64[64];
	uint8_t h[20], d[32];
	static const uint8_t abc_sha1[20] = { 0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81,
		0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8,
		0x9d };

	/* RFC 6455 section 1.3 */
	loom__ws_accept_for_key("dGhlIHNhbXBsZSBub25jZQ==", 24, acc);
	LT_CHECK(!strcmp(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
	loom__ws_sha1((const uint8_t *)"abc", 3, h);
	LT_CHECK(!memcmp(h, abc_sha1, 20));
	loom__ws_b64_encode((const uint8_t *)"foob", 4, b64);
	LT_CHECK(!strcmp(b64, "Zm9vYg=="));
	LT_CHECK_EQ(loom__ws_b64_decode("Zm9vYg==", 8, d, sizeof(d)), 4);
	LT_CHECK(!memcmp(d, "foob", 4));
	LT_CHECK_EQ(loom__ws_b64_decode("dGhlIHNhbXBsZSBub25jZQ==", 24, d, sizeof(d)), 16);
	LT_CHECK_EQ(loom__ws_b64_decode("Zm9vY", 5, d, sizeof(d)), -1);
	LT_CHECK_EQ(loom__ws_b64_decode("Zm=vYg==", 8, d, sizeof(d)), -1);
	LT_CHECK_EQ(loom__ws_b64_decode("Zm9v!g==", 8, d, sizeof(d)), -1);
}

struct inf_ctx {
	size_t total;
	int calls;
	uint8_t out[4096];
	size_t olen;
};

static int
inf_cb(void *user, const uint8_t *out, size_t olen, int last)
{
	struct inf_ctx *c = user;

	c->total += olen;
	c->calls++;
	if (c->olen + olen <= sizeof(c->out)) {
		memcpy(c->out + c->olen, out, olen);
		c->olen += olen;
	}

	return 0;
}

static void
test_pmd(void)
{
	struct loom_ws_pmd_params pp;
	char ans[128];
	int cwb;

	LT_CHECK_EQ(loom__ws_pmd_parse(SL("permessage-deflate"), 0, &pp, &cwb), 0);
	LT_CHECK_EQ(pp.server_max_wbits, 15);
	LT_CHECK_EQ(loom__ws_pmd_parse(SL("permessage-deflate; client_max_window_bits; "
				       "server_no_context_takeover"), 0, &pp, &cwb), 0);
	LT_CHECK(cwb && pp.server_no_takeover);
	LT_CHECK_EQ(loom__ws_pmd_parse("permessage-deflate; server_max_window_bits=10",
				       45, 0, &pp, &cwb), 0);
	LT_CHECK_EQ(pp.server_max_wbits, 10);
	LT_CHECK_EQ(loom__ws_pmd_parse("permessage-deflate; server_max_window_bits=16",
				       45, 0, &pp, &cwb), -1);
	LT_CHECK_EQ(loom__ws_pmd_parse(SL("permessage-deflate; foo"), 0, &pp, &cwb), -1);
	LT_CHECK_EQ(loom__ws_pmd_parse(SL("permessage-deflate; server_no_context_takeover; "
				       "server_no_context_takeover"), 0, &pp, &cwb), -1);
	LT_CHECK_EQ(loom__ws_pmd_parse(SL("x-webkit-deflate-frame"), 0, &pp, &cwb), -1);
	/* an answer must give client_max_window_bits a value */
	LT_CHECK_EQ(loom__ws_pmd_parse(SL("permessage-deflate; client_max_window_bits"), 1,
				       &pp, &cwb), -1);

	if (!loom__ws_pmd_available()) {
		printf("no zlib: negotiation and inflate tests skipped\n");
		return;
	}
	/* an 8-bit window cannot be honoured (zlib): the next offer is taken */
	LT_CHECK(loom__ws_pmd_negotiate(SL("permessage-deflate; server_max_window_bits=8, "
					"permessage-deflate; client_no_context_takeover"), ans, sizeof(ans), &pp) > 0);
	LT_CHECK(!strcmp(ans, "permessage-deflate; client_no_context_takeover"));
	LT_CHECK_EQ(loom__ws_pmd_negotiate(SL("foo, bar"), ans, sizeof(ans), &pp), 0);

	{
		struct loom_ws_pmd *tx, *rx;
		struct inf_ctx c;
		uint8_t *out, *big;
		size_t olen, i;
		int round;

		memset(&pp, 0, sizeof(pp));
		pp.server_max_wbits = pp.client_max_wbits = 15;
		tx = loom__ws_pmd_create(&pp, 1);
		rx = loom__ws_pmd_create(&pp, 0);
		LT_CHECK(tx && rx);
		/* messages through both, with context takeover, empty ones too */
		for (round = 0; round < 3; round++) {
			static const char *const m[] = { "hello hello hello", "", "x" };

			LT_CHECK_EQ(loom__ws_pmd_deflate(tx, (const uint8_t *)m[round],
							 strlen(m[round]), 1, &out, &olen,
							 14), 0);
			LT_CHECK(olen > 0);
			memset(&c, 0, sizeof(c));
			LT_CHECK_EQ(loom__ws_pmd_inflate(rx, out, olen, 1, 1000, inf_cb, &c),
				    0);
			LT_CHECK_EQ(c.total, strlen(m[round]));
			LT_CHECK(!memcmp(c.out, m[round], c.total));
		}
		/* a bomb: 8 MiB of zeros is a few KiB compressed; 1 MiB allowed */
		big = calloc(1, 8 << 20);
		LT_CHECK_EQ(loom__ws_pmd_deflate(tx, big, 8 << 20, 1, &out, &olen, 14), 0);
		LT_CHECK(olen < 64 * 1024);
		memset(&c, 0, sizeof(c));
		LT_CHECK_EQ(loom__ws_pmd_inflate(rx, out, olen, 1, 1 << 20, inf_cb, &c),
			    -1009);
		LT_CHECK(c.total <= (1 << 20));
		free(big);
		/* garbage is refused */
		{
			struct loom_ws_pmd *rx2 = loom__ws_pmd_create(&pp, 0);
			uint8_t junk[64];

			for (i = 0; i < sizeof(junk); i++)
				junk[i] = (uint8_t)(0xff - i);
			memset(&c, 0, sizeof(c));
			LT_CHECK(loom__ws_pmd_inflate(rx2, junk, sizeof(junk), 1, 1000,
						      inf_cb, &c) < 0);
			loom__ws_pmd_destroy(rx2);
		}
		loom__ws_pmd_destroy(tx);
		loom__ws_pmd_destroy(rx);
	}
}

/*
 * Whole small messages take the parser's one-step path when the frame is all
 * in the input; a split input takes the general one. Both must agree, at the
 * limits too, and the mask must come off right at every offset and length.
 */
static void
test_small_frames(void)
{
	static struct res r, w;
	uint8_t pl[130], want[130], b[64], m[4] = { 0x81, 0x7e, 0x00, 0xff };
	size_t i, n = 0, tot = 0, len, ofs;

	for (i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)('A' + i % 50);
	/* every size 0..125 and the first two-byte length, text and binary */
	for (i = 0; i <= 126; i++) {
		n += frame(stream + n, i & 1 ? LOOM_WSOP_BINARY : LOOM_WSOP_TEXT, 1, pl, i, 1);
		tot += i;
	}
	run(1, 0, 0, 0, stream, n, 0, &w);
	LT_CHECK_EQ(w.err, 0);
	LT_CHECK_EQ(w.msgs, 127);
	LT_CHECK_EQ(w.first_seen, 127);
	LT_CHECK_EQ(w.data_len, tot);
	check_splits(1, stream, n, &w, 0);

	/* at the message and frame limits, whole and at every split */
	n = frame(stream, LOOM_WSOP_TEXT, 1, pl, 100, 1);
	run(1, 100, 0, 0, stream, n, 0, &r);
	LT_CHECK_EQ(r.err, 0);
	LT_CHECK_EQ(r.data_len, 100);
	run(1, 0, 100, 0, stream, n, 0, &r);
	LT_CHECK_EQ(r.err, 0);
	n = frame(stream, LOOM_WSOP_BINARY, 1, pl, 101, 1);
	expect_err(1, stream, n, 1009, "101 bytes over a 100-byte message limit");
	run(1, 0, 100, 0, stream, n, 0, &r);
	LT_CHECK_EQ(r.err, 1009);
	run(1, 0, 100, 0, stream, n, 1, &r);
	LT_CHECK_EQ(r.err, 1009);

	/* bad UTF-8 in a small whole text frame: 1007, as the general path says */
	n = frame(stream, LOOM_WSOP_TEXT, 1, "ok\xc3", 3, 1);
	expect_err(1, stream, n, 1007, "text ending inside a character");
	n = frame(stream, LOOM_WSOP_TEXT, 1, "\xff", 1, 1);
	expect_err(1, stream, n, 1007, "0xff in text");
	/* after it fails, the parser says the same about the rest of the frame */
	{
		struct loom_ws_parser p;
		struct loom_ws_event ev;
		size_t used;
		int k;

		n = frame(stream, LOOM_WSOP_TEXT, 1, "a\xc0\x80" "b", 4, 1);
		loom__ws_parser_init(&p, 1, 0, 0);
		k = loom__ws_parse(&p, stream, n, &used, &ev);
		LT_CHECK_EQ(k, -1007);
		LT_CHECK_EQ(used, 6);
		LT_CHECK_EQ(p.remaining, 4);
	}

	/* a message split in fragments of small frames, a ping between them */
	n = frame(stream, LOOM_WSOP_TEXT, 0, "ab", 2, 1);
	n += frame(stream + n, LOOM_WSOP_PING, 1, "", 0, 1);
	n += frame(stream + n, LOOM_WSOP_CONT, 1, "cd", 2, 1);
	n += frame(stream + n, LOOM_WSOP_BINARY, 1, "ef", 2, 1);
	run(1, 0, 0, 0, stream, n, 0, &r);
	LT_CHECK_EQ(r.err, 0);
	LT_CHECK_EQ(r.msgs, 2);
	LT_CHECK_EQ(r.first_seen, 2);
	LT_CHECK_EQ(r.pings, 1);
	LT_CHECK(r.data_len == 6 && !memcmp(r.data, "abcdef", 6));
	check_splits(1, stream, n, &r, 1);
	/* a continuation with no message before it, and RSV1 without deflate */
	n = frame(stream, LOOM_WSOP_CONT, 1, "x", 1, 1);
	expect_err(1, stream, n, 1002, "continuation first");
	n = frame(stream, LOOM_WSOP_TEXT, 1, "x", 1, 1);
	stream[0] |= 0x40;
	expect_err(1, stream, n, 1002, "RSV1 without the extension");
	/* unmasked to a server, masked to a client */
	n = frame(stream, LOOM_WSOP_TEXT, 1, "x", 1, 0);
	expect_err(1, stream, n, 1002, "unmasked to a server");
	n = frame(stream, LOOM_WSOP_TEXT, 1, "x", 1, 1);
	expect_err(0, stream, n, 1002, "masked to a client");

	/* the mask at every start offset, every length, any alignment */
	for (ofs = 0; ofs < 4; ofs++)
		for (len = 0; len <= 40; len++)
			for (i = 0; i < 3; i++) {
				size_t k;

				for (k = 0; k < len; k++)
					want[k] = (uint8_t)(pl[k] ^ m[(ofs + k) & 3]);
				memcpy(b + i, pl, len);
				loom__ws_mask(b + i, len, m, ofs);
				if (memcmp(b + i, want, len)) {
					LT_CHECK(0);
					fprintf(stderr, "  mask ofs %zu len %zu at +%zu\n",
						ofs, len, i);
				}
			}
}

int
main(void)
{
	test_small_frames();
	test_roundtrip();
	test_errors();
	test_utf8();
	test_handshake_crypto();
	test_pmd();

	return lt_result("api-test-ws-frame");
}
