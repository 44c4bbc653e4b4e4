/*
 * api-test-http-parser: the HTTP/1 head parser, the chunked decoder, the header
 * tokens and the URL helpers, driven directly (they do no I/O). Every message is
 * parsed whole, one byte at a time and split in two at every byte, and all must
 * agree. Run with --bench to time 1e6 parses of a typical browser request head.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "roles/http/private-http-parser.h"
#include "loom-test.h"

#define M(s)	(const uint8_t *)(s), sizeof(s) - 1

static uint8_t pbuf[65536];
static struct loom_http_hdr phdrs[1024];
static size_t cuts[70000];
static struct loom_http_parser P;	/* the last whole parse, for field checks */

/* ---- head parser helpers ---- */

struct opts {
	struct loom_http_parser_limits lim;
	size_t buf_len;		/* 0: all of pbuf */
	uint8_t head, connect;	/* response: request_was_head / _connect */
};

static void
frag_str(const struct loom_http_parser *p, struct loom_http_frag f, char *out, size_t n)
{
	size_t l = f.len < n - 1 ? f.len : n - 1;

	memcpy(out, loom__http_frag_ptr(p, f), l);
	out[l] = '\0';
}

/* everything the parser found, as text, so runs can be compared */
static void
describe(const struct loom_http_parser *p, int r, size_t consumed, char *out, size_t n)
{
	char a[4096], b[4096];
	size_t o;
	unsigned int i, t, k;

	if (r != LOOM_HP_DONE) {
		snprintf(out, n, "r=%d", r);
		return;
	}
	frag_str(p, p->method_text, a, sizeof(a));
	frag_str(p, p->target, b, sizeof(b));
	o = (size_t)snprintf(out, n, "r=%d used=%zu m=%u '%s' '%s' v=%u body=%u cl=%llu "
			     "ka=%u exp=%u upg=%u st=%u n=%u", r, consumed, p->method, a,
			     b, p->version_minor, p->body_kind,
			     (unsigned long long)p->content_length, p->keepalive,
			     p->expect_continue, p->upgrade, p->status, p->count_hdrs);
	if (p->mode == LOOM_HTTP_PARSE_RESPONSE) {
		frag_str(p, p->reason, a, sizeof(a));
		o += (size_t)snprintf(out + o, n - o, " reason='%s'", a);
	}
	for (i = 0; i < p->count_hdrs && o < n; i++) {
		frag_str(p, p->hdrs[i].name, a, sizeof(a));
		frag_str(p, p->hdrs[i].value, b, sizeof(b));
		o += (size_t)snprintf(out + o, n - o, " [%d %s: %s]", p->hdrs[i].token, a, b);
	}
	for (t = 0; t < LOOM_HDR_COUNT && o < n; t++)
		for (k = 0; loom__http_hdr(p, (enum loom_hdr_token)t, k) && o < n; k++)
			o += (size_t)snprintf(out + o, n - o, " %u.%u=%u", t, k,
				(unsigned int)(loom__http_hdr(p, (enum loom_hdr_token)t,
							      k) - p->hdrs));
}

static void
init(struct loom_http_parser *p, enum loom_http_parser_mode mode, const struct opts *o)
{
	p->request_was_head = o ? o->head : 0;
	p->request_was_connect = o ? o->connect : 0;
	loom__http_parser_init(p, mode, pbuf, o && o->buf_len ? o->buf_len : sizeof(pbuf),
			       phdrs, o ? &o->lim : NULL);
}

/* feed m in pieces ending at each cut; returns the result, *consumed the bytes */
static int
feed(struct loom_http_parser *p, const uint8_t *m, size_t len, size_t ncuts,
     size_t *consumed)
{
	size_t off = 0, i, used;
	int r = LOOM_HP_MORE;

	LT_CHECK(ncuts && cuts[ncuts - 1] == len);	/* the pieces cover m */
	for (i = 0; i < ncuts; i++) {
		size_t n = cuts[i] - off;

		r = loom__http_parse(p, m + off, n, &used);
		if (used > n || (r == LOOM_HP_MORE && used != n) || (r < 0 && used)) {
			fprintf(stderr, "bad used %zu of %zu (r %d)\n", used, n, r);
			LT_CHECK(0);
		}
		if (r == LOOM_HP_MORE) {
			off += n;
			continue;
		}
		if (r == LOOM_HP_DONE)
			off += used;
		break;
	}
	*consumed = off;

	return r;
}

/*
 * parse m whole, byte by byte and in every two-way split; all must describe the
 * same result, and it must be \p expect. P holds the whole parse afterwards.
 */
static int
check_msg(const char *name, enum loom_http_parser_mode mode, const uint8_t *m,
	  size_t len, const struct opts *o, int expect)
{
	static char d0[16384], d1[16384];
	size_t consumed, k;
	int r, bad = 0;

	for (k = 0; k < len; k++)	/* byte by byte */
		cuts[k] = k + 1;
	init(&P, mode, o);
	r = feed(&P, m, len, len, &consumed);
	describe(&P, r, consumed, d1, sizeof(d1));

	for (k = 1; k < len; k++) {	/* every two-way split */
		cuts[0] = k;
		cuts[1] = len;
		init(&P, mode, o);
		r = feed(&P, m, len, 2, &consumed);
		describe(&P, r, consumed, d0, sizeof(d0));
		if (strcmp(d0, d1)) {
			if (!bad++)
				fprintf(stderr, "%s: split at %zu:\n  %s\n  %s\n", name, k,
					d0, d1);
		}
	}

	cuts[0] = len;			/* whole */
	init(&P, mode, o);
	r = feed(&P, m, len, 1, &consumed);
	describe(&P, r, consumed, d0, sizeof(d0));
	if (strcmp(d0, d1)) {
		bad++;
		fprintf(stderr, "%s: whole vs bytewise:\n  %s\n  %s\n", name, d0, d1);
	}
	LT_CHECK(!bad);
	if (r != expect)
		fprintf(stderr, "%s: got %d, expected %d (%s)\n", name, r, expect, d0);
	LT_CHECK_EQ(r, expect);

	return r;
}

#define REQ(name, msg, expect) check_msg(name, LOOM_HTTP_PARSE_REQUEST, M(msg), NULL, expect)
#define RESP(name, msg, expect) check_msg(name, LOOM_HTTP_PARSE_RESPONSE, M(msg), NULL, \
					  expect)

static int
frag_is(struct loom_http_frag f, const char *s)
{
	return f.len == strlen(s) && !memcmp(loom__http_frag_ptr(&P, f), s, f.len);
}

static int
hdr_is(enum loom_hdr_token t, unsigned int n, const char *v)
{
	const struct loom_http_hdr *h = loom__http_hdr(&P, t, n);

	return h && frag_is(h->value, v);
}

/* ---- requests ---- */

static void
test_requests_valid(void)
{
	REQ("simple", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.method, LOOM_HTTP_METHOD_GET);
	LT_CHECK(frag_is(P.method_text, "GET"));
	LT_CHECK(frag_is(P.target, "/"));
	LT_CHECK_EQ(P.version_minor, 1);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_NONE);
	LT_CHECK_EQ(P.keepalive, 1);
	LT_CHECK_EQ(P.count_hdrs, 1);
	LT_CHECK(hdr_is(LOOM_HDR_HOST, 0, "example.com"));
	LT_CHECK(!loom__http_hdr(&P, LOOM_HDR_HOST, 1));
	LT_CHECK(!loom__http_hdr(&P, LOOM_HDR_COOKIE, 0));

	REQ("browser",
	    "GET /static/app.js?v=3&x=%20 HTTP/1.1\r\n"
	    "Host: www.example.com:8080\r\n"
	    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101\r\n"
	    "Accept: */*\r\n"
	    "Accept-Language: en-US,en;q=0.5\r\n"
	    "Accept-Encoding: gzip, deflate, br\r\n"
	    "Connection: keep-alive\r\n"
	    "Referer: https://www.example.com/\r\n"
	    "Cookie: a=1\r\n"
	    "Sec-Fetch-Dest: script\r\n"
	    "cookie: b=2\r\n"
	    "X-Empty:\r\n"
	    "X-Spaces: \t  padded value \t \r\n"
	    "X-Obs-Text: caf\xc3\xa9\r\n"
	    "COOKIE:c=3\r\n"
	    "\r\n", LOOM_HP_DONE);
	LT_CHECK(frag_is(P.target, "/static/app.js?v=3&x=%20"));
	LT_CHECK_EQ(P.count_hdrs, 14);
	LT_CHECK(hdr_is(LOOM_HDR_HOST, 0, "www.example.com:8080"));
	LT_CHECK(hdr_is(LOOM_HDR_COOKIE, 0, "a=1"));
	LT_CHECK(hdr_is(LOOM_HDR_COOKIE, 1, "b=2"));
	LT_CHECK(hdr_is(LOOM_HDR_COOKIE, 2, "c=3"));
	LT_CHECK(!loom__http_hdr(&P, LOOM_HDR_COOKIE, 3));
	LT_CHECK(hdr_is(LOOM_HDR_ACCEPT_ENCODING, 0, "gzip, deflate, br"));
	LT_CHECK_EQ(P.hdrs[8].token, -1);
	LT_CHECK(frag_is(P.hdrs[8].name, "Sec-Fetch-Dest"));
	LT_CHECK(frag_is(P.hdrs[8].value, "script"));
	LT_CHECK(frag_is(P.hdrs[10].name, "X-Empty"));
	LT_CHECK(frag_is(P.hdrs[10].value, ""));
	LT_CHECK(frag_is(P.hdrs[11].value, "padded value"));
	LT_CHECK(frag_is(P.hdrs[12].value, "caf\xc3\xa9"));
	LT_CHECK(frag_is(P.hdrs[9].name, "cookie"));
	LT_CHECK_EQ(P.hdrs[13].token, LOOM_HDR_COOKIE);
	LT_CHECK_EQ(P.hdrs[12].token, -1);
	LT_CHECK_EQ(P.keepalive, 1);

	REQ("bare LF line ends", "GET /a HTTP/1.1\nHost: h\nX: y\n\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.count_hdrs, 2);
	LT_CHECK(hdr_is(LOOM_HDR_HOST, 0, "h"));
	REQ("mixed line ends", "GET /a HTTP/1.1\r\nHost: h\nX: y\r\n\n", LOOM_HP_DONE);

	REQ("leading empty lines", "\r\n\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK(frag_is(P.method_text, "GET"));

	REQ("http/1.0 no host", "GET /x HTTP/1.0\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.version_minor, 0);
	LT_CHECK_EQ(P.keepalive, 0);
	REQ("http/1.0 keep-alive", "GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.keepalive, 1);
	REQ("http/1.0 keep-alive, close", "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n"
	    "Connection: close\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.keepalive, 0);
	REQ("http/1.1 close", "GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, CLOSE\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.keepalive, 0);
	REQ("http/1.1 close list", "GET / HTTP/1.1\r\nHost: h\r\nConnection: ,,close ,\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.keepalive, 0);
	REQ("http/1.1 closed (not close)", "GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.keepalive, 1);

	REQ("post length", "POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.method, LOOM_HTTP_METHOD_POST);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_LENGTH);
	LT_CHECK_EQ(P.content_length, 12);
	REQ("post length 0", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_NONE);
	LT_CHECK_EQ(P.content_length, 0);
	REQ("post length 000", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.content_length, 7);
	REQ("post length max", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 9223372036854775807\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK(P.content_length == UINT64_C(9223372036854775807));
	REQ("same CL twice", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
	    "Content-Length: 5\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.content_length, 5);
	REQ("same CL list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5 ,5,\t5\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.content_length, 5);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_LENGTH);
	REQ("post chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_CHUNKED);
	REQ("post Chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:  CHUNKED \r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_CHUNKED);
	REQ("get with body length", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_LENGTH);

	REQ("expect", "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
	    "Content-Length: 10\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.method, LOOM_HTTP_METHOD_PUT);
	LT_CHECK_EQ(P.expect_continue, 1);
	REQ("expect 1.0", "PUT /f HTTP/1.0\r\nExpect: 100-continue\r\n"
	    "Content-Length: 10\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.expect_continue, 0);
	REQ("expect other", "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.expect_continue, 0);

	REQ("ws upgrade", "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
	    "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.upgrade, 1);
	LT_CHECK(hdr_is(LOOM_HDR_SEC_WEBSOCKET_KEY, 0, "dGhlIHNhbXBsZSBub25jZQ=="));
	REQ("upgrade without header", "GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.upgrade, 0);
	REQ("upgrade header only", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.upgrade, 0);

	/* methods */
	REQ("HEAD", "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.method, LOOM_HTTP_METHOD_HEAD);
	REQ("DELETE", "DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.method, LOOM_HTTP_METHOD_DELETE);
	REQ("PATCH", "PATCH /x HTTP/1.1\r\nHost: h\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.method, LOOM_HTTP_METHOD_PATCH);
	REQ("TRACE", "TRACE /x HTTP/1.1\r\nHost: h\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.method, LOOM_HTTP_METHOD_TRACE);
	REQ("OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.method, LOOM_HTTP_METHOD_OPTIONS);
	LT_CHECK(frag_is(P.target, "*"));
	REQ("CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK_EQ(P.method, LOOM_HTTP_METHOD_CONNECT);
	LT_CHECK(frag_is(P.target, "example.com:443"));
	REQ("CONNECT v6", "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n",
	    LOOM_HP_DONE);
	REQ("other method", "PROPFIND /dav HTTP/1.1\r\nHost: h\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.method, LOOM_HTTP_METHOD_OTHER);
	LT_CHECK(frag_is(P.method_text, "PROPFIND"));
	REQ("lower-case get", "get / HTTP/1.1\r\nHost: h\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.method, LOOM_HTTP_METHOD_OTHER);
	REQ("tchar method", "M-SEARCH /x HTTP/1.1\r\nHost: h\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK(frag_is(P.method_text, "M-SEARCH"));

	/* request targets */
	REQ("absolute-form", "GET http://example.com/p?q HTTP/1.1\r\nHost: example.com\r\n\r\n",
	    LOOM_HP_DONE);
	LT_CHECK(frag_is(P.target, "http://example.com/p?q"));
	REQ("absolute-form https", "GET HTTPS://h:8/ HTTP/1.1\r\nHost: h\r\n\r\n",
	    LOOM_HP_DONE);
	REQ("target with all vchar", "GET /!\"$%&'()*+,-./0:;<=>?@[\\]^_`{|}~ HTTP/1.1\r\n"
	    "Host: h\r\n\r\n", LOOM_HP_DONE);
	REQ("host chars", "GET / HTTP/1.1\r\nHost: a-b.c_d~!$&'()*+,;=%41:[::1]\r\n\r\n",
	    LOOM_HP_DONE);
	REQ("empty host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK(hdr_is(LOOM_HDR_HOST, 0, ""));
}

static void
test_requests_bad(void)
{
	/* request line */
	REQ("double SP", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("SP before method", " GET / HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("tab separator", "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("SP after version", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", -400);
	REQ("two SP before version", "GET /  HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("no version", "GET /\r\nHost: h\r\n\r\n", -400);
	REQ("no target", "GET HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("lower-case http", "GET / http/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("HTTP/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", -505);
	REQ("HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", -505);
	REQ("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", -505);
	REQ("HTTP/3.1 bare LF", "GET / HTTP/3.1\n\n", -505);
	REQ("HTTP/2", "GET / HTTP/2\r\nHost: h\r\n\r\n", -400);
	REQ("HTTP/1.10", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", -400);
	REQ("HTTP/11.1", "GET / HTTP/11.1\r\nHost: h\r\n\r\n", -400);
	REQ("HTTP/1.x", "GET / HTTP/1.x\r\nHost: h\r\n\r\n", -400);
	REQ("HTTPS/1.1", "GET / HTTPS/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("bare CR after version", "GET / HTTP/1.1\rHost: h\r\n\r\n", -400);
	REQ("CR CR LF", "GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", -400);
	REQ("bare CR leading", "\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("bare CR in target", "GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("NUL in target", "GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("TAB in target", "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("DEL in target", "GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("8-bit in target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("non-tchar in method", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("NUL in method", "GE\0 / HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("star for GET", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("star-ish for OPTIONS", "OPTIONS *x HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("authority-form for GET", "GET example.com:443 HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("relative target", "GET index.html HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("scheme without authority", "GET http:/x HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("empty authority", "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("bare scheme", "GET http:// HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("digit scheme", "GET 1http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("CONNECT origin-form", "CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("CONNECT no port", "CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("CONNECT empty port", "CONNECT example.com: HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("CONNECT userinfo", "CONNECT u@example.com:443 HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("CONNECT path", "CONNECT h:443/x HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("CONNECT absolute", "CONNECT http://h:443 HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("CONNECT empty host", "CONNECT :443 HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("CONNECT bad v6", "CONNECT [::1:443 HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("CONNECT v6 no brackets", "CONNECT ::1:443 HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("CONNECT stray bracket", "CONNECT a]b:443 HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("CONNECT empty v6", "CONNECT []:443 HTTP/1.1\r\nHost: h\r\n\r\n", -400);
	REQ("CONNECT long port", "CONNECT h:123456 HTTP/1.1\r\nHost: h\r\n\r\n", -400);

	/* header syntax */
	REQ("obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", -400);
	REQ("obs-fold tab", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", -400);
	REQ("fold first line", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", -400);
	REQ("SP before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", -400);
	REQ("TAB before colon", "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", -400);
	REQ("SP in name", "GET / HTTP/1.1\r\nHo st: h\r\n\r\n", -400);
	REQ("no colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", -400);
	REQ("empty name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", -400);
	REQ("bad name char", "GET / HTTP/1.1\r\nHost: h\r\nX(y): v\r\n\r\n", -400);
	REQ("8-bit name", "GET / HTTP/1.1\r\nHost: h\r\nX\xc3\xa9: v\r\n\r\n", -400);
	REQ("NUL in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", -400);
	REQ("bare CR in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", -400);
	REQ("bare CR end", "GET / HTTP/1.1\r\nHost: h\r\nX: ab\r\r\n", -400);
	REQ("CR in empty line", "GET / HTTP/1.1\r\nHost: h\r\n\rX", -400);
	REQ("DEL in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", -400);
	REQ("VT in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x0b\r\n\r\n", -400);
	REQ("ESC in value", "GET / HTTP/1.1\r\nHost: h\r\nX: \x1b[31m\r\n\r\n", -400);

	/* Host */
	REQ("no Host 1.1", "GET / HTTP/1.1\r\nX: y\r\n\r\n", -400);
	REQ("two Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", -400);
	REQ("two Host 1.0", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", -400);
	REQ("Host with SP", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", -400);
	REQ("Host with /", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", -400);
	REQ("Host with @", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", -400);

	/* Content-Length */
	REQ("CL and TE", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", -400);
	REQ("TE and CL", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n", -400);
	REQ("TE and CL 0", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 0\r\n\r\n", -400);
	REQ("two CL differ", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
	    "Content-Length: 6\r\n\r\n", -400);
	REQ("CL list differs", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n",
	    -400);
	REQ("CL list then line differ", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n"
	    "Content-Length: 50\r\n\r\n", -400);
	REQ("CL plus", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", -400);
	REQ("CL minus", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\n", -400);
	REQ("CL inner space", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 0\r\n\r\n",
	    -400);
	REQ("CL hex", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\n", -400);
	REQ("CL float", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5.0\r\n\r\n", -400);
	REQ("CL empty", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", -400);
	REQ("CL empty element", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5,\r\n\r\n",
	    -400);
	REQ("CL 2^63", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 9223372036854775808\r\n\r\n", -400);
	REQ("CL 2^64", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 18446744073709551616\r\n\r\n", -400);
	REQ("CL 2^64+5 (wraps to 5)", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 18446744073709551621\r\n\r\n", -400);
	REQ("CL huge", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 99999999999999999999999999\r\n\r\n", -400);

	/* Transfer-Encoding */
	REQ("TE gzip, chunked", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n", -501);
	REQ("TE deflate line + chunked line", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n", -501);
	REQ("TE identity, chunked", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: identity, chunked\r\n\r\n", -501);
	REQ("TE compress;p=1, chunked", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: compress;p=1, chunked\r\n\r\n", -501);
	REQ("TE chunked, gzip", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked, gzip\r\n\r\n", -400);
	REQ("TE gzip", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", -400);
	REQ("TE identity", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n",
	    -400);
	REQ("TE chunked twice", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked, chunked\r\n\r\n", -400);
	REQ("TE chunked two lines", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", -400);
	REQ("TE chunked then gzip line", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", -400);
	REQ("TE chunked params", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked;x=1\r\n\r\n", -400);
	REQ("TE empty", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n", -400);
	REQ("TE empty element", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked,\r\n\r\n", -400);
	REQ("TE xchunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n",
	    -400);
	REQ("TE chunked junk", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked \"x\"\r\n\r\n", -400);
	REQ("TE quoted", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: \"chunked\"\r\n\r\n", -400);
	REQ("TE on 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -400);
	REQ("TE VT", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \x0b" "chunked\r\n\r\n",
	    -400);
	REQ("TE name with space", "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding : chunked\r\n\r\n", -400);
}

/* a request whose head is exactly \p total bytes: a Host line and an X line padded */
static size_t
sized_request(char *out, size_t total)
{
	static const char pre[] = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
	size_t fixed = sizeof(pre) - 1 + 4, pad = total - fixed;

	memcpy(out, pre, sizeof(pre) - 1);
	memset(out + sizeof(pre) - 1, 'a', pad);
	memcpy(out + sizeof(pre) - 1 + pad, "\r\n\r\n", 4);

	return total;
}

static void
test_limits(void)
{
	static char m[20000];
	struct opts o;
	size_t n, k;

	/* max_head_bytes: the head is exactly 1000 bytes (and 1000 with a bare LF) */
	n = sized_request(m, 1000);
	memset(&o, 0, sizeof(o));
	o.lim.max_head_bytes = 999;
	check_msg("head max-1", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, &o, -431);
	o.lim.max_head_bytes = 1000;
	check_msg("head max", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, &o, LOOM_HP_DONE);
	o.lim.max_head_bytes = 1001;
	check_msg("head max+1", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, &o, LOOM_HP_DONE);
	/* bytes after the head (a body, a pipelined request) are not head bytes */
	memcpy(m + n, "GET / HTTP/1.1\r\n", 16);
	o.lim.max_head_bytes = 1000;
	check_msg("head max + next", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n + 16, &o,
		  LOOM_HP_DONE);
	o.lim.max_head_bytes = 999;
	check_msg("head max-1 + next", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n + 16, &o,
		  -431);
	/* the default is 8192 */
	n = sized_request(m, 8192);
	check_msg("head default", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, NULL,
		  LOOM_HP_DONE);
	n = sized_request(m, 8193);
	check_msg("head default+1", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, NULL, -431);
	/* leading empty lines count */
	n = sized_request(m + 2, 1000);
	m[0] = '\r';
	m[1] = '\n';
	o.lim.max_head_bytes = 1001;
	check_msg("head with CRLF first", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n + 2, &o,
		  -431);
	o.lim.max_head_bytes = 1002;
	check_msg("head with CRLF first ok", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n + 2,
		  &o, LOOM_HP_DONE);
	/* a head that has not ended by the limit fails as soon as it is passed */
	o.lim.max_head_bytes = 20;
	check_msg("head unfinished", LOOM_HTTP_PARSE_REQUEST, M("GET / HTTP/1.1\r\nHost: h"),
		  &o, -431);
	o.lim.max_head_bytes = 30;
	check_msg("head unfinished in limit", LOOM_HTTP_PARSE_REQUEST,
		  M("GET / HTTP/1.1\r\nHost: h"), &o, LOOM_HP_MORE);

	/* max_headers: 10 lines */
	n = (size_t)sprintf(m, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (k = 1; k < 10; k++)
		n += (size_t)sprintf(m + n, "X-%zu: v\r\n", k);
	n += (size_t)sprintf(m + n, "\r\n");
	memset(&o, 0, sizeof(o));
	o.lim.max_headers = 9;
	check_msg("headers max-1", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, &o, -431);
	o.lim.max_headers = 10;
	check_msg("headers max", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, &o, LOOM_HP_DONE);
	LT_CHECK_EQ(P.count_hdrs, 10);
	o.lim.max_headers = 11;
	check_msg("headers max+1", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, &o,
		  LOOM_HP_DONE);
	/* the default is 64 */
	n = (size_t)sprintf(m, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (k = 1; k < 64; k++)
		n += (size_t)sprintf(m + n, "X-%zu: v\r\n", k);
	n += (size_t)sprintf(m + n, "\r\n");
	check_msg("headers default", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, NULL,
		  LOOM_HP_DONE);
	n -= 2;
	n += (size_t)sprintf(m + n, "X-64: v\r\n\r\n");
	check_msg("headers default+1", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, NULL, -431);

	/* max_uri_len: a 100-byte target */
	n = (size_t)sprintf(m, "GET /");
	memset(m + n, 'u', 99);
	n += 99;
	n += (size_t)sprintf(m + n, " HTTP/1.1\r\nHost: h\r\n\r\n");
	memset(&o, 0, sizeof(o));
	o.lim.max_uri_len = 99;
	check_msg("uri max-1", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, &o, -414);
	o.lim.max_uri_len = 100;
	check_msg("uri max", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, &o, LOOM_HP_DONE);
	LT_CHECK_EQ(P.target.len, 100);
	o.lim.max_uri_len = 101;
	check_msg("uri max+1", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, &o, LOOM_HP_DONE);
	/* the default is 4096 */
	n = (size_t)sprintf(m, "GET /");
	memset(m + n, 'u', 4095);
	n += 4095;
	n += (size_t)sprintf(m + n, " HTTP/1.1\r\nHost: h\r\n\r\n");
	check_msg("uri default", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, NULL,
		  LOOM_HP_DONE);
	n = (size_t)sprintf(m, "GET /");
	memset(m + n, 'u', 4096);
	n += 4096;
	n += (size_t)sprintf(m + n, " HTTP/1.1\r\nHost: h\r\n\r\n");
	check_msg("uri default+1", LOOM_HTTP_PARSE_REQUEST, (uint8_t *)m, n, NULL, -414);

	/*
	 * the buffer: it keeps "GET" "/abc" "Host" "h" "X-Y" "value" = 20 bytes
	 * (the OWS around values is not kept)
	 */
	memset(&o, 0, sizeof(o));
	o.buf_len = 19;
	check_msg("buf max-1", LOOM_HTTP_PARSE_REQUEST,
		  M("GET /abc HTTP/1.1\r\nHost: h\r\nX-Y: value\r\n\r\n"), &o, -431);
	o.buf_len = 20;
	check_msg("buf max", LOOM_HTTP_PARSE_REQUEST,
		  M("GET /abc HTTP/1.1\r\nHost: h\r\nX-Y: value\r\n\r\n"), &o, LOOM_HP_DONE);
	o.buf_len = 21;
	check_msg("buf max+1", LOOM_HTTP_PARSE_REQUEST,
		  M("GET /abc HTTP/1.1\r\nHost: h\r\nX-Y: value\r\n\r\n"), &o, LOOM_HP_DONE);
	o.buf_len = 2;
	check_msg("buf tiny", LOOM_HTTP_PARSE_REQUEST,
		  M("GET /abc HTTP/1.1\r\nHost: h\r\nX-Y: value\r\n\r\n"), &o, -431);
}

static void
test_pipelining(void)
{
	static const char two[] = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"
				  "hello"
				  "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
				  "GET /c HTTP/1.0\n\n";
	size_t first = strlen("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"),
	       used, off;
	int r;

	/* used stops at the end of the head, in every split */
	check_msg("pipeline 1", LOOM_HTTP_PARSE_REQUEST, M(two), NULL, LOOM_HP_DONE);
	LT_CHECK(frag_is(P.target, "/a"));
	init(&P, LOOM_HTTP_PARSE_REQUEST, NULL);
	r = loom__http_parse(&P, M(two), &used);
	LT_CHECK_EQ(r, LOOM_HP_DONE);
	LT_CHECK_EQ(used, first);
	LT_CHECK_EQ(P.content_length, 5);
	/* a call after DONE consumes nothing */
	r = loom__http_parse(&P, (const uint8_t *)two + used, 10, &off);
	LT_CHECK_EQ(r, LOOM_HP_DONE);
	LT_CHECK_EQ(off, 0);

	off = used + 5;
	check_msg("pipeline 2", LOOM_HTTP_PARSE_REQUEST, (const uint8_t *)two + off,
		  sizeof(two) - 1 - off, NULL, LOOM_HP_DONE);
	LT_CHECK(frag_is(P.target, "/b"));
	init(&P, LOOM_HTTP_PARSE_REQUEST, NULL);
	r = loom__http_parse(&P, (const uint8_t *)two + off, sizeof(two) - 1 - off, &used);
	LT_CHECK_EQ(r, LOOM_HP_DONE);
	LT_CHECK_EQ(used, strlen("GET /b HTTP/1.1\r\nHost: h\r\n\r\n"));
	off += used;
	init(&P, LOOM_HTTP_PARSE_REQUEST, NULL);
	r = loom__http_parse(&P, (const uint8_t *)two + off, sizeof(two) - 1 - off, &used);
	LT_CHECK_EQ(r, LOOM_HP_DONE);
	LT_CHECK_EQ(off + used, sizeof(two) - 1);
	LT_CHECK(frag_is(P.target, "/c"));
	LT_CHECK_EQ(P.version_minor, 0);

	/* an error sticks until init */
	init(&P, LOOM_HTTP_PARSE_REQUEST, NULL);
	r = loom__http_parse(&P, M("GET / HTTP/1.1\r\nHost : h\r\n"), &used);
	LT_CHECK_EQ(r, -400);
	r = loom__http_parse(&P, M("Host: h\r\n\r\n"), &used);
	LT_CHECK_EQ(r, -400);
	LT_CHECK_EQ(used, 0);
	init(&P, LOOM_HTTP_PARSE_REQUEST, NULL);
	r = loom__http_parse(&P, M("GET / HTTP/1.7\r\n"), &used);
	LT_CHECK_EQ(r, -505);
	r = loom__http_parse(&P, M("\r\n"), &used);
	LT_CHECK_EQ(r, -505);
	/* nothing fed: more */
	init(&P, LOOM_HTTP_PARSE_REQUEST, NULL);
	r = loom__http_parse(&P, (const uint8_t *)"", 0, &used);
	LT_CHECK_EQ(r, LOOM_HP_MORE);
	LT_CHECK_EQ(used, 0);
}

/* ---- responses ---- */

static void
test_responses(void)
{
	struct opts o;
	size_t used, off;
	int r;

	RESP("200 length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\n",
	     LOOM_HP_DONE);
	LT_CHECK_EQ(P.status, 200);
	LT_CHECK(frag_is(P.reason, "OK"));
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_LENGTH);
	LT_CHECK_EQ(P.content_length, 5);
	LT_CHECK_EQ(P.keepalive, 1);
	LT_CHECK(hdr_is(LOOM_HDR_SERVER, 0, "x"));
	RESP("404 long reason", "HTTP/1.1 404 Not Found Here\t!\r\nContent-Length: 0\r\n\r\n",
	     LOOM_HP_DONE);
	LT_CHECK(frag_is(P.reason, "Not Found Here\t!"));
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_NONE);
	RESP("no reason", "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK(frag_is(P.reason, ""));
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_LENGTH);
	RESP("empty reason", "HTTP/1.1 200 \r\n\r\n", LOOM_HP_DONE);
	LT_CHECK(frag_is(P.reason, ""));
	RESP("no reason LF", "HTTP/1.0 200\n\n", LOOM_HP_DONE);
	RESP("until close", "HTTP/1.1 200 OK\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_UNTIL_CLOSE);
	LT_CHECK_EQ(P.keepalive, 0);
	RESP("chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_CHUNKED);
	LT_CHECK_EQ(P.keepalive, 1);
	RESP("close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n",
	     LOOM_HP_DONE);
	LT_CHECK_EQ(P.keepalive, 0);
	RESP("1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
	     "Content-Length: 2\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.keepalive, 1);
	LT_CHECK_EQ(P.version_minor, 0);
	RESP("1.0 keep-alive until close", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n",
	     LOOM_HP_DONE);
	LT_CHECK_EQ(P.keepalive, 0);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_UNTIL_CLOSE);
	RESP("204", "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_NONE);
	LT_CHECK_EQ(P.keepalive, 1);
	RESP("304", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
	     LOOM_HP_DONE);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_NONE);
	RESP("Host not needed", "HTTP/1.1 200 OK\r\nHost: a\r\nHost: b\r\n"
	     "Content-Length: 0\r\n\r\n", LOOM_HP_DONE);
	RESP("599", "HTTP/1.1 599 X\r\n\r\n", LOOM_HP_DONE);
	LT_CHECK_EQ(P.status, 599);

	/* the request decides too */
	memset(&o, 0, sizeof(o));
	o.head = 1;
	check_msg("to HEAD", LOOM_HTTP_PARSE_RESPONSE,
		  M("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), &o, LOOM_HP_DONE);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_NONE);
	LT_CHECK_EQ(P.content_length, 1000);
	LT_CHECK_EQ(P.keepalive, 1);
	check_msg("to HEAD no length", LOOM_HTTP_PARSE_RESPONSE,
		  M("HTTP/1.1 200 OK\r\n\r\n"), &o, LOOM_HP_DONE);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_NONE);
	LT_CHECK_EQ(P.keepalive, 1);
	o.head = 0;
	o.connect = 1;
	check_msg("to CONNECT 200", LOOM_HTTP_PARSE_RESPONSE,
		  M("HTTP/1.1 200 Connection established\r\n\r\n"), &o, LOOM_HP_DONE);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_NONE);
	check_msg("to CONNECT 407", LOOM_HTTP_PARSE_RESPONSE,
		  M("HTTP/1.1 407 Auth\r\nContent-Length: 3\r\n\r\n"), &o, LOOM_HP_DONE);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_LENGTH);
	/* init keeps request_was_* in response mode (re-init after a 1xx) */
	P.request_was_head = 1;
	loom__http_parser_init(&P, LOOM_HTTP_PARSE_RESPONSE, pbuf, sizeof(pbuf), phdrs, NULL);
	LT_CHECK_EQ(P.request_was_head, 1);
	loom__http_parser_init(&P, LOOM_HTTP_PARSE_REQUEST, pbuf, sizeof(pbuf), phdrs, NULL);
	LT_CHECK_EQ(P.request_was_head, 0);

	/* 1xx: DONE with no body; the caller re-inits for the final response */
	{
		static const char m[] = "HTTP/1.1 100 Continue\r\n\r\n"
					"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
					"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";

		RESP("100 then more", m, LOOM_HP_DONE);
		LT_CHECK_EQ(P.status, 100);
		LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_NONE);
		init(&P, LOOM_HTTP_PARSE_RESPONSE, NULL);
		r = loom__http_parse(&P, M(m), &used);
		LT_CHECK_EQ(r, LOOM_HP_DONE);
		LT_CHECK_EQ(used, 25);
		off = used;
		init(&P, LOOM_HTTP_PARSE_RESPONSE, NULL);
		r = loom__http_parse(&P, (const uint8_t *)m + off, sizeof(m) - 1 - off, &used);
		LT_CHECK_EQ(r, LOOM_HP_DONE);
		LT_CHECK_EQ(P.status, 103);
		LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_NONE);
		off += used;
		init(&P, LOOM_HTTP_PARSE_RESPONSE, NULL);
		r = loom__http_parse(&P, (const uint8_t *)m + off, sizeof(m) - 1 - off, &used);
		LT_CHECK_EQ(r, LOOM_HP_DONE);
		LT_CHECK_EQ(P.status, 201);
		LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_LENGTH);
		LT_CHECK_EQ(off + used + 2, sizeof(m) - 1);
	}
	RESP("101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	     "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
	     LOOM_HP_DONE);
	LT_CHECK_EQ(P.status, 101);
	LT_CHECK_EQ(P.upgrade, 1);
	LT_CHECK_EQ(P.body_kind, LOOM_HTTP_BODY_NONE);

	/* bad */
	RESP("status 099", "HTTP/1.1 099 X\r\n\r\n", -400);
	RESP("status 600", "HTTP/1.1 600 X\r\n\r\n", -400);
	RESP("status 2 digits", "HTTP/1.1 20 OK\r\n\r\n", -400);
	RESP("status 4 digits", "HTTP/1.1 2000 OK\r\n\r\n", -400);
	RESP("status letters", "HTTP/1.1 2x0 OK\r\n\r\n", -400);
	RESP("two SP", "HTTP/1.1  200 OK\r\n\r\n", -400);
	RESP("HTTP/2", "HTTP/2 200 OK\r\n\r\n", -400);
	RESP("HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", -505);
	RESP("HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n", -505);
	RESP("no SP after version", "HTTP/1.1\r\n\r\n", -400);
	RESP("ICY", "ICY 200 OK\r\n\r\n", -400);
	RESP("CTL in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", -400);
	RESP("bare CR in reason", "HTTP/1.1 200 O\rK\r\n\r\n", -400);
	RESP("CL+TE", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n", -400);
	RESP("CL differ", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
	     -400);
	RESP("CL bad", "HTTP/1.1 200 OK\r\nContent-Length: 3a\r\n\r\n", -400);
	RESP("CL bad on 304", "HTTP/1.1 304 OK\r\nContent-Length: -1\r\n\r\n", -400);
	RESP("TE gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", -501);
	RESP("TE gzip, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	     -501);
	RESP("TE chunked, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n"
	     "\r\n", -400);
	RESP("TE on 1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", -400);
	RESP("obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n  b\r\nContent-Length: 0\r\n\r\n", -400);
	RESP("SP before colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", -400);
	RESP("leading CRLF", "\r\nHTTP/1.1 200 OK\r\n\r\n", -400);
}

/* ---- chunked ---- */

struct sink {
	char data[70000];
	size_t len;
	int stop_after;		/* >0: return 99 from the n-th call */
	int calls;
};

static int
sink_cb(void *user, const uint8_t *data, size_t len)
{
	struct sink *s = user;

	if (len == 0 || s->len + len > sizeof(s->data))
		return -1000;	/* never given empty pieces */
	memcpy(s->data + s->len, data, len);
	s->len += len;

	return ++s->calls == s->stop_after ? 99 : 0;
}

/* decode m in pieces ending at cuts[]; result text in out */
static int
chunk_feed(const uint8_t *m, size_t len, size_t ncuts, char *out, size_t outlen)
{
	static struct sink sk;
	struct loom_http_chunked c;
	size_t off = 0, i, used;
	int r = LOOM_HP_MORE;

	memset(&sk, 0, sizeof(sk));
	loom__http_chunked_init(&c);
	LT_CHECK(ncuts && cuts[ncuts - 1] == len);
	for (i = 0; i < ncuts; i++) {
		size_t n = cuts[i] - off;

		r = loom__http_chunked_decode(&c, m + off, n, &used, sink_cb, &sk);
		LT_CHECK(used <= n);
		if (r == LOOM_HP_MORE) {
			LT_CHECK_EQ(used, n);
			off += n;
			continue;
		}
		off += used;
		break;
	}
	if (r < 0)
		snprintf(out, outlen, "r=%d", r);
	else
		snprintf(out, outlen, "r=%d used=%zu data=%.*s", r, off, (int)sk.len, sk.data);

	return r;
}

static int
check_chunked(const char *name, const uint8_t *m, size_t len, int expect,
	      const char *data, size_t used)
{
	static char d0[80000], d1[80000];
	size_t k;
	int r, bad = 0;

	for (k = 0; k < len; k++)
		cuts[k] = k + 1;
	chunk_feed(m, len, len, d1, sizeof(d1));
	for (k = 1; k < len; k++) {
		cuts[0] = k;
		cuts[1] = len;
		chunk_feed(m, len, 2, d0, sizeof(d0));
		if (strcmp(d0, d1) && !bad++)
			fprintf(stderr, "%s: split at %zu:\n  %s\n  %s\n", name, k, d0, d1);
	}
	cuts[0] = len;
	r = chunk_feed(m, len, 1, d0, sizeof(d0));
	if (strcmp(d0, d1)) {
		bad++;
		fprintf(stderr, "%s: whole vs bytewise:\n  %s\n  %s\n", name, d0, d1);
	}
	LT_CHECK(!bad);
	if (r != expect)
		fprintf(stderr, "%s: got %d, expected %d\n", name, r, expect);
	LT_CHECK_EQ(r, expect);
	if (data) {
		char want[80000];

		snprintf(want, sizeof(want), "r=%d used=%zu data=%s", expect, used, data);
		if (strcmp(d0, want)) {
			fprintf(stderr, "%s: got %s\n  expected %s\n", name, d0, want);
			LT_CHECK(0);
		}
	}

	return r;
}

#define CHUNK_OK(name, msg, data, used) check_chunked(name, M(msg), LOOM_HP_DONE, data, used)
#define CHUNK_BAD(name, msg) check_chunked(name, M(msg), -400, NULL, 0)

static void
test_chunked(void)
{
	static char m[20000];
	struct loom_http_chunked c;
	struct sink sk;
	size_t n, used;
	int r;

	CHUNK_OK("simple", "5\r\nhello\r\n0\r\n\r\n", "hello", 15);
	CHUNK_OK("two", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", 26);
	CHUNK_OK("empty body", "0\r\n\r\n", "", 5);
	CHUNK_OK("hex", "A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n",
		 "0123456789abcdefghij", 35);
	CHUNK_OK("leading zeros", "0005\r\nhello\r\n000\r\n\r\n", "hello", 20);
	CHUNK_OK("16 digits", "0000000000000005\r\nhello\r\n0\r\n\r\n", "hello", 30);
	CHUNK_OK("next message after", "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n", "abc", 13);
	CHUNK_OK("CRLF data", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n", 14);
	CHUNK_OK("extensions", "5;a=b;c=\"x;y\\\"z\"\r\nhello\r\n0;last\r\n\r\n", "hello", 35);
	CHUNK_OK("ext BWS", "5 ;\ta = b ; c\t=\t\"q\" \r\nhello\r\n0 ; e\r\n\r\n", "hello", 38);
	CHUNK_OK("ext name only", "5;name\r\nhello\r\n0\r\n\r\n", "hello", 20);
	CHUNK_OK("ext quoted 8-bit", "5;a=\"\xc3\xa9 \t\"\r\nhello\r\n0\r\n\r\n", "hello", 24);
	CHUNK_OK("trailers", "5\r\nhello\r\n0\r\nX-Trailer: v\r\nChecksum:abc \r\n\r\n", "hello",
		 44);
	CHUNK_OK("trailer empty value", "1\r\nx\r\n0\r\nX:\r\n\r\n", "x", 15);

	/* sizes */
	CHUNK_BAD("empty size", "\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("plus", "+5\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("minus", "-5\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("leading SP", " 5\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("leading TAB", "\t5\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("trailing SP", "5 \r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("inner SP", "1 0\r\n0123456789abcdef\r\n0\r\n\r\n");
	CHUNK_BAD("0x", "0x5\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("not hex", "g\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("underscore", "1_0\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("17 digits", "00000000000000005\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("17 digits zero", "00000000000000000\r\n\r\n");
	CHUNK_BAD("2^64-1", "ffffffffffffffff\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("2^63", "8000000000000000\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("2^64", "10000000000000000\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("2^64+5", "10000000000000005\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("bare LF size", "5\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("bare CR size", "5\rhello\r\n0\r\n\r\n");
	CHUNK_BAD("NUL size", "5\0\r\nhello\r\n0\r\n\r\n");
	/* data framing */
	CHUNK_BAD("data too long", "3\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("data too short", "7\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("no CRLF after data", "5\r\nhello0\r\n\r\n");
	CHUNK_BAD("bare LF after data", "5\r\nhello\n0\r\n\r\n");
	CHUNK_BAD("bare CR after data", "5\r\nhello\r0\r\n\r\n");
	/* extensions */
	CHUNK_BAD("ext no name", "5;\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("ext = only", "5;=x\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("ext no value", "5;a=\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("ext bad char", "5;a(b)\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("ext two values", "5;a=b c\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("ext open quote", "5;a=\"xx\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("ext CTL in quote", "5;a=\"x\x01\"\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("ext escaped CR", "5;a=\"x\\\r\"\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("ext after quote", "5;a=\"x\"y\r\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("ext bare LF", "5;a=b\nhello\r\n0\r\n\r\n");
	CHUNK_BAD("ext NUL", "5;a\0=b\r\nhello\r\n0\r\n\r\n");
	/* trailers */
	CHUNK_BAD("trailer obs-fold", "0\r\nX: a\r\n b\r\n\r\n");
	CHUNK_BAD("trailer SP first", "0\r\n X: a\r\n\r\n");
	CHUNK_BAD("trailer no colon", "0\r\nX a\r\n\r\n");
	CHUNK_BAD("trailer SP before colon", "0\r\nX : a\r\n\r\n");
	CHUNK_BAD("trailer empty name", "0\r\n: a\r\n\r\n");
	CHUNK_BAD("trailer NUL", "0\r\nX: a\0\r\n\r\n");
	CHUNK_BAD("trailer bare CR", "0\r\nX: a\rb\r\n\r\n");
	CHUNK_BAD("trailer bare LF", "0\r\nX: a\n\r\n");
	CHUNK_BAD("final bare LF", "0\r\n\n");
	CHUNK_BAD("final CR junk", "0\r\n\rx");

	/* size line bound: exactly LOOM_HTTP_CHUNK_LINE_MAX bytes including CRLF */
	n = (size_t)sprintf(m, "1;e=");
	memset(m + n, 'x', LOOM_HTTP_CHUNK_LINE_MAX - n - 2);
	n = LOOM_HTTP_CHUNK_LINE_MAX - 2;
	n += (size_t)sprintf(m + n, "\r\nZ\r\n0\r\n\r\n");
	check_chunked("line max", (uint8_t *)m, n, LOOM_HP_DONE, "Z", n);
	n = (size_t)sprintf(m, "1;e=");
	memset(m + n, 'x', LOOM_HTTP_CHUNK_LINE_MAX - n - 1);
	n = LOOM_HTTP_CHUNK_LINE_MAX - 1;
	n += (size_t)sprintf(m + n, "\r\nZ\r\n0\r\n\r\n");
	check_chunked("line max+1", (uint8_t *)m, n, -400, NULL, 0);
	/* trailer bound: exactly LOOM_HTTP_TRAILER_MAX bytes including the last CRLF */
	n = (size_t)sprintf(m, "0\r\nX: ");
	memset(m + n, 'v', LOOM_HTTP_TRAILER_MAX - 7);	/* + "X: " + CRLF CRLF */
	n += LOOM_HTTP_TRAILER_MAX - 7;
	n += (size_t)sprintf(m + n, "\r\n\r\n");
	check_chunked("trailer max", (uint8_t *)m, n, LOOM_HP_DONE, "", n);
	n = (size_t)sprintf(m, "0\r\nX: ");
	memset(m + n, 'v', LOOM_HTTP_TRAILER_MAX - 6);
	n += LOOM_HTTP_TRAILER_MAX - 6;
	n += (size_t)sprintf(m + n, "\r\n\r\n");
	check_chunked("trailer max+1", (uint8_t *)m, n, -400, NULL, 0);

	/* a big chunk: data is passed through in the pieces the input comes in */
	n = (size_t)sprintf(m, "1000\r\n");
	memset(m + n, 'd', 4096);
	n += 4096;
	n += (size_t)sprintf(m + n, "\r\n0\r\n\r\n");
	memset(&sk, 0, sizeof(sk));
	loom__http_chunked_init(&c);
	r = loom__http_chunked_decode(&c, (uint8_t *)m, n, &used, sink_cb, &sk);
	LT_CHECK_EQ(r, LOOM_HP_DONE);
	LT_CHECK_EQ(sk.calls, 1);
	LT_CHECK_EQ(sk.len, 4096);
	LT_CHECK_EQ(used, n);

	/* a nonzero callback return stops decoding and is returned */
	memset(&sk, 0, sizeof(sk));
	sk.stop_after = 1;
	loom__http_chunked_init(&c);
	r = loom__http_chunked_decode(&c, M("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), &used, sink_cb,
				      &sk);
	LT_CHECK_EQ(r, 99);
	LT_CHECK_EQ(used, 6);
	LT_CHECK_EQ(sk.len, 3);
	r = loom__http_chunked_decode(&c, (const uint8_t *)"\r\n2\r\nde\r\n0\r\n\r\nX", 16,
				      &used, sink_cb, &sk);
	LT_CHECK_EQ(r, LOOM_HP_DONE);
	LT_CHECK_EQ(used, 14);
	LT_CHECK_EQ(sk.len, 5);
	/* after DONE nothing more is consumed; after an error it sticks */
	r = loom__http_chunked_decode(&c, M("5\r\n"), &used, sink_cb, &sk);
	LT_CHECK_EQ(r, LOOM_HP_DONE);
	LT_CHECK_EQ(used, 0);
	loom__http_chunked_init(&c);
	r = loom__http_chunked_decode(&c, M("z"), &used, NULL, NULL);
	LT_CHECK_EQ(r, -400);
	r = loom__http_chunked_decode(&c, M("5\r\n"), &used, NULL, NULL);
	LT_CHECK_EQ(r, -400);
	/* a NULL callback discards data */
	loom__http_chunked_init(&c);
	r = loom__http_chunked_decode(&c, M("2\r\nab\r\n0\r\n\r\n"), &used, NULL, NULL);
	LT_CHECK_EQ(r, LOOM_HP_DONE);
	/* 7fffffffffffffff is a valid size: it just wants more */
	loom__http_chunked_init(&c);
	r = loom__http_chunked_decode(&c, M("7fffffffffffffff\r\nabc"), &used, NULL, NULL);
	LT_CHECK_EQ(r, LOOM_HP_MORE);
	LT_CHECK(c.remaining == UINT64_C(0x7fffffffffffffff) - 3);
}

/* ---- URL helpers ---- */

static void
test_urldecode(void)
{
	static const struct {
		const char *in;
		int plus;
		int ret;
		const char *out;
	} t[] = {
		{ "", 0, 0, "" },
		{ "abc", 0, 3, "abc" },
		{ "a%20b", 0, 3, "a b" },
		{ "a+b", 0, 3, "a+b" },
		{ "a+b", 1, 3, "a b" },
		{ "%2B", 1, 1, "+" },
		{ "%41%42%4a%4A", 0, 4, "ABJJ" },
		{ "%e2%82%ac", 0, 3, "\xe2\x82\xac" },
		{ "%ff", 0, 1, "\xff" },
		{ "%00", 0, -1, "" },
		{ "a%00b", 0, -1, "" },
		{ "%", 0, -1, "" },
		{ "%4", 0, -1, "" },
		{ "a%", 0, -1, "" },
		{ "%g1", 0, -1, "" },
		{ "%1g", 0, -1, "" },
		{ "%%41", 0, -1, "" },
		{ "%+1", 0, -1, "" },
		{ "% 1", 0, -1, "" },
		{ "%2f", 0, 1, "/" },
	};
	char out[64];
	size_t i;
	int r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(out, 'Z', sizeof(out));
		r = loom_urldecode(t[i].in, strlen(t[i].in), out, sizeof(out), t[i].plus);
		if (r != t[i].ret || strcmp(out, t[i].out))
			fprintf(stderr, "urldecode '%s': %d '%s'\n", t[i].in, r, out);
		LT_CHECK_EQ(r, t[i].ret);
		LT_CHECK(!strcmp(out, t[i].out));
	}
	/* a raw NUL inside the length */
	LT_CHECK_EQ(loom_urldecode("a\0b", 3, out, sizeof(out), 0), -1);
	/* the output bound includes the NUL */
	LT_CHECK_EQ(loom_urldecode("abcd", 4, out, 5, 0), 4);
	LT_CHECK_EQ(loom_urldecode("abcd", 4, out, 4, 0), -1);
	LT_CHECK_EQ(loom_urldecode("%41bcd", 6, out, 5, 0), 4);
	LT_CHECK_EQ(loom_urldecode("%41bcd", 6, out, 4, 0), -1);
	LT_CHECK_EQ(loom_urldecode("", 0, out, 1, 0), 0);
	LT_CHECK_EQ(loom_urldecode("a", 1, out, 0, 0), -1);
	/* only len bytes are read */
	LT_CHECK_EQ(loom_urldecode("ab%41", 3, out, sizeof(out), 0), -1);
	LT_CHECK_EQ(loom_urldecode("abcdef", 3, out, sizeof(out), 0), 3);
	LT_CHECK(!strcmp(out, "abc"));
}

static void
test_normalize(void)
{
	static const struct {
		const char *in;
		const char *out;	/* NULL: refused */
	} t[] = {
		{ "/", "/" },
		{ "/index.html", "/index.html" },
		{ "/a/b/c", "/a/b/c" },
		{ "/a/b/", "/a/b/" },
		{ "//a///b//", "/a/b/" },
		{ "/./a/./b/.", "/a/b/" },
		{ "/a/b/..", "/a/" },
		{ "/a/b/../c", "/a/c" },
		{ "/a/../../b", NULL },
		{ "/..", NULL },
		{ "/../", NULL },
		{ "/a/..", "/" },
		{ "/a/../", "/" },
		{ "/a/../..", NULL },
		{ "/./..", NULL },
		{ "//..", NULL },
		{ "/%2e%2e", NULL },
		{ "/%2E%2e/etc/passwd", NULL },
		{ "/a/%2e%2e/%2e%2e/etc", NULL },
		{ "/a/%2e%2e", "/" },
		{ "/a/%2e/b", "/a/b" },
		{ "/.%2e/x", NULL },
		{ "/a/.%2E/", "/" },
		{ "/..;/x", "/..;/x" },
		{ "/a/..;/b", "/a/..;/b" },
		{ "/...", "/..." },
		{ "/.../..", "/" },
		{ "/.a/..b/c..", "/.a/..b/c.." },
		{ "/a%2fb", NULL },
		{ "/a%2Fb", NULL },
		{ "/%2f..", NULL },
		{ "/..%2f..%2fetc", NULL },
		{ "/a%00", NULL },
		{ "/a%", NULL },
		{ "/a%4", NULL },
		{ "/a%zz", NULL },
		{ "/a%20b", "/a b" },
		{ "/caf%C3%A9", "/caf\xc3\xa9" },
		{ "/a+b", "/a+b" },
		{ "/a?x=../..", "/a" },
		{ "/a/?", "/a/" },
		{ "/?/../..", "/" },
		{ "/a#frag", NULL },
		{ "/a%23b", "/a#b" },
		{ "/a%3fb", "/a?b" },
		{ "/a\\..\\..\\x", NULL },
		{ "/a%5c..%5cx", NULL },
		{ "/a%0d%0aSet-Cookie:x", NULL },
		{ "/a%09", NULL },
		{ "/a%7f", NULL },
		{ "", NULL },
		{ "a/b", NULL },
		{ ".", NULL },
		{ "%2fa", NULL },
		{ "http://h/a", NULL },
	};
	char out[64];
	size_t i;
	int r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(out, 'Z', sizeof(out));
		r = loom_http_normalize_path(t[i].in, strlen(t[i].in), out, sizeof(out));
		if (t[i].out ? (r != (int)strlen(t[i].out) || strcmp(out, t[i].out)) :
			       (r != -1 || out[0]))
			fprintf(stderr, "normalize '%s': %d '%s'\n", t[i].in, r, out);
		if (t[i].out) {
			LT_CHECK_EQ(r, (int)strlen(t[i].out));
			LT_CHECK(!strcmp(out, t[i].out));
		} else {
			LT_CHECK_EQ(r, -1);
			LT_CHECK(!out[0]);
		}
	}
	/* the output bound includes the NUL */
	LT_CHECK_EQ(loom_http_normalize_path("/abc", 4, out, 5), 4);
	LT_CHECK_EQ(loom_http_normalize_path("/abc", 4, out, 4), -1);
	LT_CHECK_EQ(loom_http_normalize_path("/ab/", 4, out, 5), 4);
	LT_CHECK_EQ(loom_http_normalize_path("/ab/", 4, out, 4), -1);
	LT_CHECK_EQ(loom_http_normalize_path("/", 1, out, 2), 1);
	LT_CHECK_EQ(loom_http_normalize_path("/", 1, out, 1), -1);
	LT_CHECK_EQ(loom_http_normalize_path("/%41", 4, out, 3), 2);
	/* only len bytes are read */
	LT_CHECK_EQ(loom_http_normalize_path("/a/..", 3, out, sizeof(out)), 3);
	LT_CHECK(!strcmp(out, "/a/"));
	LT_CHECK_EQ(loom_http_normalize_path("/a/..", 4, out, sizeof(out)), 3);
	LT_CHECK(!strcmp(out, "/a/"));
}

/* ---- tokens, methods, reasons ---- */

static void
test_tokens(void)
{
	char up[64];
	unsigned int t, k;
	size_t n;

	for (t = 0; t < LOOM_HDR_COUNT; t++) {
		const char *name = loom_hdr_token_name((enum loom_hdr_token)t);

		LT_CHECK(name != NULL);
		if (!name)
			continue;
		n = strlen(name);
		LT_CHECK_EQ(loom_hdr_token_lookup(name, n), (int)t);
		for (k = 0; k < n; k++)
			up[k] = (name[k] >= 'a' && name[k] <= 'z') ? (char)(name[k] - 32) :
								     name[k];
		LT_CHECK_EQ(loom_hdr_token_lookup(up, n), (int)t);
		/* any one byte changed, or one byte fewer, is another name */
		for (k = 0; k < n; k++) {
			memcpy(up, name, n);
			up[k] = up[k] == 'x' ? 'y' : 'x';
			if (loom_hdr_token_lookup(up, n) == (int)t)
				LT_CHECK(0);
			up[k] = (char)(name[k] ^ 0x20);	/* '-' -> '\r', 'a' -> 'A' */
			if (name[k] == '-' || (name[k] >= '0' && name[k] <= '9'))
				LT_CHECK(loom_hdr_token_lookup(up, n) != (int)t);
		}
		LT_CHECK(loom_hdr_token_lookup(name, n - 1) != (int)t);
	}
	LT_CHECK(loom_hdr_token_name(LOOM_HDR_COUNT) == NULL);
	LT_CHECK(!strcmp(loom_hdr_token_name(LOOM_HDR_CONTENT_LENGTH), "content-length"));
	LT_CHECK_EQ(loom_hdr_token_lookup("Content-Length", 14), LOOM_HDR_CONTENT_LENGTH);
	LT_CHECK_EQ(loom_hdr_token_lookup("SEC-WEBSOCKET-EXTENSIONS", 24),
		    LOOM_HDR_SEC_WEBSOCKET_EXTENSIONS);
	LT_CHECK_EQ(loom_hdr_token_lookup("TE", 2), LOOM_HDR_TE);
	LT_CHECK_EQ(loom_hdr_token_lookup("x-custom", 8), -1);
	LT_CHECK_EQ(loom_hdr_token_lookup("", 0), -1);
	LT_CHECK_EQ(loom_hdr_token_lookup(NULL, 4), -1);
	LT_CHECK_EQ(loom_hdr_token_lookup("h", 1), -1);
	LT_CHECK_EQ(loom_hdr_token_lookup("hostt", 5), -1);
	LT_CHECK_EQ(loom_hdr_token_lookup("content-length-xxxxxxxxxxxxxxxxxxxxxx", 37), -1);

	LT_CHECK(!strcmp(loom_http_method_name(LOOM_HTTP_METHOD_GET), "GET"));
	LT_CHECK(!strcmp(loom_http_method_name(LOOM_HTTP_METHOD_CONNECT), "CONNECT"));
	LT_CHECK(!strcmp(loom_http_method_name(LOOM_HTTP_METHOD_TRACE), "TRACE"));
	LT_CHECK(loom_http_method_name(LOOM_HTTP_METHOD_NONE) == NULL);
	LT_CHECK(loom_http_method_name(LOOM_HTTP_METHOD_OTHER) == NULL);
	for (t = LOOM_HTTP_METHOD_GET; t < LOOM_HTTP_METHOD_OTHER; t++) {
		const char *mn = loom_http_method_name((enum loom_http_method)t);
		char req[64];

		/* the parser maps each name back */
		n = (size_t)snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: h\r\n\r\n", mn,
				     t == LOOM_HTTP_METHOD_CONNECT ? "h:1" : "/");
		check_msg(mn, LOOM_HTTP_PARSE_REQUEST, (uint8_t *)req, n, NULL, LOOM_HP_DONE);
		LT_CHECK_EQ(P.method, t);
	}

	LT_CHECK(!strcmp(loom_http_status_reason(200), "OK"));
	LT_CHECK(!strcmp(loom_http_status_reason(100), "Continue"));
	LT_CHECK(!strcmp(loom_http_status_reason(101), "Switching Protocols"));
	LT_CHECK(!strcmp(loom_http_status_reason(206), "Partial Content"));
	LT_CHECK(!strcmp(loom_http_status_reason(226), "IM Used"));
	LT_CHECK(!strcmp(loom_http_status_reason(304), "Not Modified"));
	LT_CHECK(!strcmp(loom_http_status_reason(308), "Permanent Redirect"));
	LT_CHECK(!strcmp(loom_http_status_reason(404), "Not Found"));
	LT_CHECK(!strcmp(loom_http_status_reason(413), "Content Too Large"));
	LT_CHECK(!strcmp(loom_http_status_reason(414), "URI Too Long"));
	LT_CHECK(!strcmp(loom_http_status_reason(417), "Expectation Failed"));
	LT_CHECK(!strcmp(loom_http_status_reason(426), "Upgrade Required"));
	LT_CHECK(!strcmp(loom_http_status_reason(429), "Too Many Requests"));
	LT_CHECK(!strcmp(loom_http_status_reason(431), "Request Header Fields Too Large"));
	LT_CHECK(!strcmp(loom_http_status_reason(451), "Unavailable For Legal Reasons"));
	LT_CHECK(!strcmp(loom_http_status_reason(500), "Internal Server Error"));
	LT_CHECK(!strcmp(loom_http_status_reason(501), "Not Implemented"));
	LT_CHECK(!strcmp(loom_http_status_reason(505), "HTTP Version Not Supported"));
	LT_CHECK(!strcmp(loom_http_status_reason(511), "Network Authentication Required"));
	LT_CHECK(!strcmp(loom_http_status_reason(306), "Unknown"));
	LT_CHECK(!strcmp(loom_http_status_reason(499), "Unknown"));
	LT_CHECK(!strcmp(loom_http_status_reason(512), "Unknown"));
	LT_CHECK(!strcmp(loom_http_status_reason(0), "Unknown"));
	LT_CHECK(!strcmp(loom_http_status_reason(99), "Unknown"));
	LT_CHECK(!strcmp(loom_http_status_reason(600), "Unknown"));
	LT_CHECK(!strcmp(loom_http_status_reason(1200), "Unknown"));
	/* every code 100..599 has some text; the RFC 9110 ones a real one */
	for (t = 100; t < 600; t++)
		LT_CHECK(loom_http_status_reason(t) != NULL);
}

/* ---- --bench: the cost of one typical browser request head ---- */

static const char bench_req[] =
	"GET /static/img/logo.png?v=3 HTTP/1.1\r\n"
	"Host: www.example.com\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 "
	"Firefox/115.0\r\n"
	"Accept: image/avif,image/webp,*/*\r\n"
	"Accept-Language: en-US,en;q=0.5\r\n"
	"Accept-Encoding: gzip, deflate, br\r\n"
	"Connection: keep-alive\r\n"
	"Referer: https://www.example.com/index.html\r\n"
	"Sec-Fetch-Dest: image\r\n"
	"Sec-Fetch-Mode: no-cors\r\n"
	"Sec-Fetch-Site: same-origin\r\n"
	"\r\n";

static int
bench(long count)
{
	struct loom_http_parser p;
	struct timespec t0, t1;
	size_t used, sum = 0;
	double ns;
	long i;

	memset(&p, 0, sizeof(p));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		loom__http_parser_init(&p, LOOM_HTTP_PARSE_REQUEST, pbuf, 8192, phdrs, NULL);
		if (loom__http_parse(&p, M(bench_req), &used) != LOOM_HP_DONE)
			return 1;
		sum += used + p.count_hdrs;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("%ld parses of a %zu-byte head (%u headers): %.1f ns each, %.2f ns/byte "
	       "(check %zu)\n", count, sizeof(bench_req) - 1, p.count_hdrs, ns / (double)count,
	       ns / (double)count / (double)(sizeof(bench_req) - 1), sum);

	return 0;
}

int
main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--bench"))
		return bench(argc > 2 ? atol(argv[2]) : 1000000);

	test_tokens();
	test_requests_valid();
	test_requests_bad();
	test_limits();
	test_pipelining();
	test_responses();
	test_chunked();
	test_urldecode();
	test_normalize();

	return lt_result("api-test-http-parser");
}
