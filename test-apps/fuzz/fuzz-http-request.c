/*
 * fuzz-http-request.c: the HTTP/1 request head parser (and, after a head, the
 * chunked decoder and the URL helpers on what it found). The first input byte
 * picks the limits, the second seeds how the rest is cut into pieces; each head
 * is parsed whole and in pieces, and the two must agree to the byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "roles/http/private-http-parser.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXH 128

static uint8_t buf_a[16384], buf_b[16384];
static struct loom_http_hdr hdrs_a[MAXH], hdrs_b[MAXH];
static uint32_t rng;

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;

	return rng;
}

/* the next piece size: often one byte, often a few, sometimes many */
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

static int
frag_ok(const struct loom_http_parser *p, struct loom_http_frag f)
{
	return f.ofs <= p->buf_len && f.len <= p->buf_len - f.ofs;
}

/* what must hold of any head the parser accepted */
static void
invariants(const struct loom_http_parser *p, size_t consumed, size_t len)
{
	unsigned int i, t, n, seen[LOOM_HDR_COUNT];

	CHECK(consumed <= len);
	CHECK(p->count_hdrs <= p->lim.max_headers);
	CHECK(frag_ok(p, p->method_text) && frag_ok(p, p->target));
	CHECK(p->method_text.len && p->target.len);
	CHECK(p->target.len <= p->lim.max_uri_len);
	CHECK(p->method >= LOOM_HTTP_METHOD_GET && p->method <= LOOM_HTTP_METHOD_OTHER);
	CHECK(p->version_minor <= 1);
	CHECK(p->body_kind <= LOOM_HTTP_BODY_CHUNKED);
	CHECK(p->body_kind != LOOM_HTTP_BODY_LENGTH || p->content_length);
	CHECK(p->content_length < UINT64_C(0x8000000000000000));
	for (i = 0; i < p->target.len; i++) {
		uint8_t c = p->buf[p->target.ofs + i];

		CHECK(c > 0x20 && c < 0x7f);
	}
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < p->count_hdrs; i++) {
		const struct loom_http_hdr *h = &p->hdrs[i];
		const uint8_t *v = p->buf + h->value.ofs;

		CHECK(frag_ok(p, h->name) && frag_ok(p, h->value) && h->name.len);
		CHECK(h->token == loom_hdr_token_lookup((const char *)p->buf + h->name.ofs,
							h->name.len));
		for (n = 0; n < h->name.len; n++)
			CHECK(loom__http_ctype[p->buf[h->name.ofs + n]] & LOOM_HTTP_C_TCHAR);
		for (n = 0; n < h->value.len; n++)
			CHECK(loom__http_ctype[v[n]] & LOOM_HTTP_C_VALUE);
		if (h->value.len) {
			CHECK(v[0] != ' ' && v[0] != '\t');
			CHECK(v[h->value.len - 1] != ' ' && v[h->value.len - 1] != '\t');
		}
		if (h->token >= 0)
			seen[h->token]++;
	}
	/* each token's chain lists exactly its headers, in order */
	for (t = 0; t < LOOM_HDR_COUNT; t++) {
		const struct loom_http_hdr *h, *prev = NULL;

		for (n = 0; (h = loom__http_hdr(p, (enum loom_hdr_token)t, n)); n++) {
			CHECK(h >= p->hdrs && h < p->hdrs + p->count_hdrs);
			CHECK(h->token == (int)t);
			CHECK(!prev || h > prev);
			prev = h;
		}
		CHECK(n == seen[t]);
	}
	if (p->version_minor)
		CHECK(seen[LOOM_HDR_HOST] == 1);
	CHECK(seen[LOOM_HDR_HOST] <= 1);
	CHECK(!(seen[LOOM_HDR_TRANSFER_ENCODING] && seen[LOOM_HDR_CONTENT_LENGTH]));
	CHECK((p->body_kind == LOOM_HTTP_BODY_CHUNKED) == !!seen[LOOM_HDR_TRANSFER_ENCODING]);
	CHECK(!p->upgrade || seen[LOOM_HDR_UPGRADE]);
}

/* two parses of the same bytes must have found the same */
static void
same(const struct loom_http_parser *a, const struct loom_http_parser *b)
{
	CHECK(a->used == b->used && !memcmp(a->buf, b->buf, a->used));
	CHECK(a->count_hdrs == b->count_hdrs);
	CHECK(!memcmp(a->hdrs, b->hdrs, a->count_hdrs * sizeof(*a->hdrs)));
	CHECK(!memcmp(a->first, b->first, sizeof(a->first)));
	CHECK(a->method == b->method && a->version_minor == b->version_minor);
	CHECK(a->body_kind == b->body_kind && a->keepalive == b->keepalive);
	CHECK(a->expect_continue == b->expect_continue && a->upgrade == b->upgrade);
	CHECK(a->content_length == b->content_length);
	CHECK(!memcmp(&a->method_text, &b->method_text, sizeof(a->method_text)));
	CHECK(!memcmp(&a->target, &b->target, sizeof(a->target)));
}

static void
path_checks(const struct loom_http_parser *p)
{
	char out[512], again[512];
	const char *t = (const char *)p->buf + p->target.ofs;
	int r, r2;

	r = loom_urldecode(t, p->target.len, out, sizeof(out), rnd() & 1);
	CHECK(r >= -1 && r <= (int)p->target.len);
	CHECK(r < 0 ? !out[0] : strlen(out) == (size_t)r);

	r = loom_http_normalize_path(t, p->target.len, out, sizeof(out));
	if (r < 0) {
		CHECK(r == -1 && !out[0]);
		return;
	}
	CHECK(strlen(out) == (size_t)r && out[0] == '/');
	CHECK(!strstr(out, "//") && !strstr(out, "/./") && !strstr(out, "/../"));
	CHECK(!(r >= 2 && !strcmp(out + r - 2, "/.")));
	CHECK(!(r >= 3 && !strcmp(out + r - 3, "/..")));
	CHECK(!strchr(out, '\\'));
	/* what has nothing left to decode or cut normalizes to itself */
	if (!strpbrk(out, "%?#")) {
		r2 = loom_http_normalize_path(out, (size_t)r, again, sizeof(again));
		CHECK(r2 == r && !strcmp(out, again));
	}
}

static int
skip_cb(void *user, const uint8_t *d, size_t len)
{
	size_t *total = user;

	CHECK(d && len);
	*total += len;

	return 0;
}

/* one head from m: whole and in pieces; returns the result and *consumed */
static int
one(const uint8_t *m, size_t len, const struct loom_http_parser_limits *lim,
    size_t buf_len, struct loom_http_parser *a, size_t *consumed)
{
	struct loom_http_parser b;
	size_t used, off = 0, n;
	int ra, rb = LOOM_HP_MORE;

	loom__http_parser_init(a, LOOM_HTTP_PARSE_REQUEST, buf_a, buf_len, hdrs_a, lim);
	ra = loom__http_parse(a, m, len, &used);
	CHECK(used <= len);
	CHECK(ra != LOOM_HP_MORE || used == len);
	CHECK(ra >= 0 || used == 0);
	CHECK(ra == LOOM_HP_MORE || ra == LOOM_HP_DONE || ra == -400 || ra == -414 ||
	      ra == -431 || ra == -501 || ra == -505);
	*consumed = used;

	loom__http_parser_init(&b, LOOM_HTTP_PARSE_REQUEST, buf_b, buf_len, hdrs_b, lim);
	while (off < len) {
		n = piece(len - off);
		rb = loom__http_parse(&b, m + off, n, &used);
		CHECK(used <= n);
		if (rb != LOOM_HP_MORE) {
			off += used;
			break;
		}
		CHECK(used == n);
		off += n;
	}
	CHECK(ra == rb);
	if (ra == LOOM_HP_DONE) {
		CHECK(off == *consumed);
		invariants(a, *consumed, len);
		same(a, &b);
		/* done is done */
		CHECK(loom__http_parse(a, m, len, &used) == LOOM_HP_DONE && !used);
	}

	return ra;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t heads[] = { 0, 64, 256, 1024 };
	static const uint16_t nhdrs[] = { 0, 1, 4, 16 };
	static const uint16_t uris[] = { 0, 8, 32, 200 };
	static const size_t bufs[] = { sizeof(buf_a), 16, 100, 1000 };
	struct loom_http_parser_limits lim;
	struct loom_http_parser p;
	size_t buf_len, consumed, total;
	int msgs, r;

	if (size < 2)
		return 0;
	memset(&lim, 0, sizeof(lim));
	lim.max_head_bytes = heads[data[0] & 3];
	lim.max_headers = nhdrs[(data[0] >> 2) & 3];
	lim.max_uri_len = uris[(data[0] >> 4) & 3];
	buf_len = bufs[(data[0] >> 6) & 3];
	rng = 0x9e3779b9u ^ ((uint32_t)data[1] * 0x01000193u) ^ (uint32_t)size;
	data += 2;
	size -= 2;

	/* pipelined messages: a head, its body, the next head ... */
	for (msgs = 0; msgs < 8 && size; msgs++) {
		r = one(data, size, &lim, buf_len, &p, &consumed);
		if (r != LOOM_HP_DONE)
			break;
		path_checks(&p);
		data += consumed;
		size -= consumed;
		if (p.body_kind == LOOM_HTTP_BODY_LENGTH) {
			consumed = p.content_length < size ? (size_t)p.content_length : size;
		} else if (p.body_kind == LOOM_HTTP_BODY_CHUNKED) {
			struct loom_http_chunked c;

			total = 0;
			loom__http_chunked_init(&c);
			r = loom__http_chunked_decode(&c, data, size, &consumed, skip_cb,
						      &total);
			CHECK(consumed <= size && total <= consumed);
			if (r != LOOM_HP_DONE)
				break;
		} else
			consumed = 0;
		data += consumed;
		size -= consumed;
	}

	return 0;
}
