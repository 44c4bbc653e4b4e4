/*
 * fuzz-http-response.c: the HTTP/1 response head parser, as a client uses it:
 * the first input byte picks the limits and what the request was (HEAD,
 * CONNECT), the second seeds how the rest is cut into pieces. Each head is
 * parsed whole and in pieces and the two must agree; 1xx heads are followed by
 * the next head, bodies are skipped or chunk-decoded.
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

static void
invariants(const struct loom_http_parser *p, size_t consumed, size_t len)
{
	unsigned int i, t, n, seen[LOOM_HDR_COUNT];

	CHECK(consumed <= len);
	CHECK(p->count_hdrs <= p->lim.max_headers);
	CHECK(frag_ok(p, p->reason));
	CHECK(p->status >= 100 && p->status <= 599);
	CHECK(p->version_minor <= 1);
	CHECK(p->body_kind <= LOOM_HTTP_BODY_UNTIL_CLOSE);
	CHECK(p->body_kind != LOOM_HTTP_BODY_LENGTH || p->content_length);
	CHECK(p->content_length < UINT64_C(0x8000000000000000));
	if (p->request_was_head || p->status < 200 || p->status == 204 || p->status == 304)
		CHECK(p->body_kind == LOOM_HTTP_BODY_NONE);
	if (p->body_kind == LOOM_HTTP_BODY_UNTIL_CLOSE)
		CHECK(!p->keepalive);
	for (i = 0; i < p->reason.len; i++)
		CHECK(loom__http_ctype[p->buf[p->reason.ofs + i]] & LOOM_HTTP_C_VALUE);
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
	CHECK(!(seen[LOOM_HDR_TRANSFER_ENCODING] && seen[LOOM_HDR_CONTENT_LENGTH]));
	if (p->body_kind == LOOM_HTTP_BODY_CHUNKED)
		CHECK(seen[LOOM_HDR_TRANSFER_ENCODING]);
	if (p->body_kind == LOOM_HTTP_BODY_LENGTH)
		CHECK(seen[LOOM_HDR_CONTENT_LENGTH]);
	CHECK(!p->upgrade || seen[LOOM_HDR_UPGRADE]);
}

static void
same(const struct loom_http_parser *a, const struct loom_http_parser *b)
{
	CHECK(a->used == b->used && !memcmp(a->buf, b->buf, a->used));
	CHECK(a->count_hdrs == b->count_hdrs);
	CHECK(!memcmp(a->hdrs, b->hdrs, a->count_hdrs * sizeof(*a->hdrs)));
	CHECK(!memcmp(a->first, b->first, sizeof(a->first)));
	CHECK(a->status == b->status && a->version_minor == b->version_minor);
	CHECK(a->body_kind == b->body_kind && a->keepalive == b->keepalive);
	CHECK(a->upgrade == b->upgrade && a->content_length == b->content_length);
	CHECK(!memcmp(&a->reason, &b->reason, sizeof(a->reason)));
}

static int
skip_cb(void *user, const uint8_t *d, size_t len)
{
	size_t *total = user;

	CHECK(d && len);
	*total += len;

	return 0;
}

static int
one(const uint8_t *m, size_t len, const struct loom_http_parser_limits *lim,
    uint8_t rwh, uint8_t rwc, struct loom_http_parser *a, size_t *consumed)
{
	struct loom_http_parser b;
	size_t used, off = 0, n;
	int ra, rb = LOOM_HP_MORE;

	a->request_was_head = rwh;
	a->request_was_connect = rwc;
	loom__http_parser_init(a, LOOM_HTTP_PARSE_RESPONSE, buf_a, sizeof(buf_a), hdrs_a,
			       lim);
	CHECK(a->request_was_head == rwh && a->request_was_connect == rwc);
	ra = loom__http_parse(a, m, len, &used);
	CHECK(used <= len);
	CHECK(ra != LOOM_HP_MORE || used == len);
	CHECK(ra >= 0 || used == 0);
	CHECK(ra == LOOM_HP_MORE || ra == LOOM_HP_DONE || ra == -400 || ra == -431 ||
	      ra == -501 || ra == -505);
	*consumed = used;

	b.request_was_head = rwh;
	b.request_was_connect = rwc;
	loom__http_parser_init(&b, LOOM_HTTP_PARSE_RESPONSE, buf_b, sizeof(buf_b), hdrs_b,
			       lim);
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
		CHECK(loom__http_parse(a, m, len, &used) == LOOM_HP_DONE && !used);
	}

	return ra;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t heads[] = { 0, 64, 256, 1024 };
	static const uint16_t nhdrs[] = { 0, 1, 4, 16 };
	struct loom_http_parser_limits lim;
	struct loom_http_parser p;
	size_t consumed, total;
	uint8_t rwh, rwc;
	int msgs, r;

	if (size < 2)
		return 0;
	memset(&lim, 0, sizeof(lim));
	lim.max_head_bytes = heads[data[0] & 3];
	lim.max_headers = nhdrs[(data[0] >> 2) & 3];
	rwh = (data[0] >> 4) & 1;
	rwc = (data[0] >> 5) & 1;
	rng = 0x9e3779b9u ^ ((uint32_t)data[1] * 0x01000193u) ^ (uint32_t)size;
	data += 2;
	size -= 2;

	for (msgs = 0; msgs < 8 && size; msgs++) {
		r = one(data, size, &lim, rwh, rwc, &p, &consumed);
		if (r != LOOM_HP_DONE)
			break;
		data += consumed;
		size -= consumed;
		if (p.status < 200)
			continue;	/* interim: the real response follows */
		if (p.body_kind == LOOM_HTTP_BODY_LENGTH)
			consumed = p.content_length < size ? (size_t)p.content_length : size;
		else if (p.body_kind == LOOM_HTTP_BODY_CHUNKED) {
			struct loom_http_chunked c;

			total = 0;
			loom__http_chunked_init(&c);
			r = loom__http_chunked_decode(&c, data, size, &consumed, skip_cb,
						      &total);
			CHECK(consumed <= size && total <= consumed);
			if (r != LOOM_HP_DONE)
				break;
		} else if (p.body_kind == LOOM_HTTP_BODY_UNTIL_CLOSE)
			break;
		else
			consumed = 0;
		data += consumed;
		size -= consumed;
	}

	return 0;
}
