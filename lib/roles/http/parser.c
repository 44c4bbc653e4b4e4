/*
 * parser.c: the HTTP/1.x message head parser of private-http-parser.h. One pass
 * over the bytes, in any split: runs of valid bytes are found with a class table
 * and copied into the caller's buffer in one memcpy; framing (body length,
 * keep-alive, Host, Content-Length vs Transfer-Encoding) is decided once at the end.
 */
#include <string.h>

#include "roles/http/private-http-parser.h"

#define NONE		0xffffu
#define CT(c)		(loom__http_ctype[(uint8_t)(c)])

#define DEF_HEAD_BYTES	8192
#define DEF_HEADERS	64
#define DEF_URI		4096

enum {
	S_START,	/* request: before the method (empty lines are skipped) */
	S_START_LF,	/* request: CR of an empty line before the method */
	S_METHOD,
	S_TARGET0,	/* the first byte of the request target */
	S_TARGET,
	S_VER_H,	/* "HTTP/", one state per byte, in order */
	S_VER_T1,
	S_VER_T2,
	S_VER_P,
	S_VER_SLASH,
	S_VER_MAJOR,
	S_VER_DOT1,	/* '.' after major 1 */
	S_VER_DOTX,	/* '.' after another major */
	S_VER_MINOR1,
	S_VER_MINORX,
	S_VER_END,	/* after a supported version */
	S_VER_END_BAD,	/* after a well-formed version we do not speak: 505 */
	S_ST_CODE1,	/* response: the three status digits */
	S_ST_CODE2,
	S_ST_CODE3,
	S_ST_AFTER,	/* after the code: SP, CR or LF */
	S_ST_REASON,
	S_LF,		/* CR ended the start line: LF must follow */
	S_H_START,	/* start of a header line (or the empty line) */
	S_H_NAME,
	S_H_OWS,
	S_H_VALUE,
	S_H_LF,		/* CR ended a header line */
	S_END_LF,	/* CR of the empty line */
	S_DONE,
	S_ERROR
};

void
loom__http_parser_init(struct loom_http_parser *p, enum loom_http_parser_mode mode,
		       uint8_t *buf, size_t buf_len, struct loom_http_hdr *hdrs,
		       const struct loom_http_parser_limits *lim)
{
	/* in response mode the caller's request_was_* survive (see the header) */
	uint8_t rwh = 0, rwc = 0;

	if (mode == LOOM_HTTP_PARSE_RESPONSE) {
		rwh = p->request_was_head;
		rwc = p->request_was_connect;
	}
	memset(p, 0, sizeof(*p));
	p->request_was_head = rwh;
	p->request_was_connect = rwc;

	p->buf = buf;
	p->buf_len = buf_len > 0xffffffffu ? 0xffffffffu : (uint32_t)buf_len;
	p->hdrs = hdrs;
	if (lim)
		p->lim = *lim;
	if (!p->lim.max_head_bytes)
		p->lim.max_head_bytes = DEF_HEAD_BYTES;
	if (!p->lim.max_headers)
		p->lim.max_headers = DEF_HEADERS;
	if (p->lim.max_headers == NONE)	/* 0xffff is the "none" index */
		p->lim.max_headers = NONE - 1;
	if (!p->lim.max_uri_len)
		p->lim.max_uri_len = DEF_URI;
	p->mode = (uint8_t)mode;
	p->state = mode == LOOM_HTTP_PARSE_RESPONSE ? S_VER_H : S_START;
	memset(p->first, 0xff, sizeof(p->first));
}

const struct loom_http_hdr *
loom__http_hdr(const struct loom_http_parser *p, enum loom_hdr_token t, unsigned int n)
{
	unsigned int i;

	if ((unsigned int)t >= LOOM_HDR_COUNT || p->state != S_DONE)
		return NULL;
	for (i = p->first[t]; i != NONE && n; n--)
		i = p->hdrs[i].next_same;

	return i == NONE ? NULL : &p->hdrs[i];
}

/* ---- what is decided once the head is complete ---- */

static inline unsigned int
lc(uint8_t c)
{
	return (unsigned int)(c - 'A') < 26u ? c + 32u : c;
}

/* case-insensitive compare with a lower-case literal */
static int
eq_lc(const uint8_t *s, size_t len, const char *k, size_t klen)
{
	size_t n;

	if (len != klen)
		return 0;
	for (n = 0; n < len; n++)
		if (lc(s[n]) != (uint8_t)k[n])
			return 0;

	return 1;
}

/*
 * The next element of a comma-separated list value (RFC 9110 5.6.1), OWS trimmed.
 * Returns 0 at the end of the value. Empty elements are given as len 0.
 */
static int
list_next(const uint8_t **pos, const uint8_t *end, const uint8_t **e, size_t *elen)
{
	const uint8_t *s = *pos, *t;

	if (!s)
		return 0;
	while (s < end && (CT(*s) & LOOM_HTTP_C_WS))
		s++;
	t = s;
	while (t < end && *t != ',')
		t++;
	*e = s;
	*pos = t < end ? t + 1 : NULL;	/* NULL: no more elements */
	while (t > s && (CT(t[-1]) & LOOM_HTTP_C_WS))
		t--;
	*elen = (size_t)(t - s);

	return 1;
}

#define HV(p, h) ((p)->buf + (h)->value.ofs)

/* Content-Length: 1*DIGIT below 2^63; every line and list element the same */
static int
content_length(struct loom_http_parser *p, int *have)
{
	const struct loom_http_hdr *h;
	const uint8_t *pos, *e;
	unsigned int i;
	size_t elen, n;

	*have = 0;
	for (i = p->first[LOOM_HDR_CONTENT_LENGTH]; i != NONE; i = h->next_same) {
		h = &p->hdrs[i];
		pos = HV(p, h);
		while (list_next(&pos, HV(p, h) + h->value.len, &e, &elen)) {
			uint64_t v = 0;

			if (!elen)
				return -400;
			for (n = 0; n < elen; n++) {
				unsigned int d = (unsigned int)e[n] - '0';

				if (d > 9 || v > (UINT64_C(0x7fffffffffffffff) - d) / 10)
					return -400;
				v = v * 10 + d;
			}
			if (*have && v != p->content_length)
				return -400;
			p->content_length = v;
			*have = 1;
		}
	}

	return 0;
}

/*
 * Transfer-Encoding: the only coding we decode is chunked, and it must be the
 * last one, once. A request whose last coding is not chunked has no knowable
 * length (400); any other coding is one we do not implement (501).
 */
static int
transfer_encoding(struct loom_http_parser *p)
{
	int chunked = 0, last_chunked = 0, other = 0;
	const struct loom_http_hdr *h;
	const uint8_t *pos, *e;
	unsigned int i;
	size_t elen, n;

	for (i = p->first[LOOM_HDR_TRANSFER_ENCODING]; i != NONE; i = h->next_same) {
		h = &p->hdrs[i];
		pos = HV(p, h);
		while (list_next(&pos, HV(p, h) + h->value.len, &e, &elen)) {
			for (n = 0; n < elen && (CT(e[n]) & LOOM_HTTP_C_TCHAR); n++)
				;
			if (!n)		/* empty element or no coding name */
				return -400;
			if (n < elen && e[n] != ';' && !(CT(e[n]) & LOOM_HTTP_C_WS))
				return -400;
			last_chunked = 0;
			if (eq_lc(e, n, "chunked", 7)) {
				if (n != elen || chunked++)	/* params, or twice */
					return -400;
				last_chunked = 1;
			} else
				other = 1;
		}
	}
	if (!last_chunked)
		return p->mode == LOOM_HTTP_PARSE_REQUEST ? -400 : -501;

	return other ? -501 : 0;
}

/* Connection: which of close, keep-alive, upgrade it lists */
#define CONN_CLOSE	1
#define CONN_KEEPALIVE	2
#define CONN_UPGRADE	4

static int
connection_flags(const struct loom_http_parser *p)
{
	const struct loom_http_hdr *h;
	const uint8_t *pos, *e;
	unsigned int i;
	size_t elen;
	int f = 0;

	for (i = p->first[LOOM_HDR_CONNECTION]; i != NONE; i = h->next_same) {
		h = &p->hdrs[i];
		pos = HV(p, h);
		while (list_next(&pos, HV(p, h) + h->value.len, &e, &elen)) {
			if (eq_lc(e, elen, "close", 5))
				f |= CONN_CLOSE;
			else if (eq_lc(e, elen, "keep-alive", 10))
				f |= CONN_KEEPALIVE;
			else if (eq_lc(e, elen, "upgrade", 7))
				f |= CONN_UPGRADE;
		}
	}

	return f;
}

static int
expects_continue(const struct loom_http_parser *p)
{
	const struct loom_http_hdr *h;
	const uint8_t *pos, *e;
	unsigned int i;
	size_t elen;

	for (i = p->first[LOOM_HDR_EXPECT]; i != NONE; i = h->next_same) {
		h = &p->hdrs[i];
		pos = HV(p, h);
		while (list_next(&pos, HV(p, h) + h->value.len, &e, &elen))
			if (eq_lc(e, elen, "100-continue", 12))
				return 1;
	}

	return 0;
}

/* exactly one Host (one is required in HTTP/1.1), made of authority characters */
static int
check_host(const struct loom_http_parser *p)
{
	unsigned int i = p->first[LOOM_HDR_HOST], n;
	const struct loom_http_hdr *h;

	if (i == NONE)
		return p->version_minor ? -400 : 0;
	h = &p->hdrs[i];
	if (h->next_same != NONE)
		return -400;
	for (n = 0; n < h->value.len; n++)
		if (!(CT(HV(p, h)[n]) & LOOM_HTTP_C_HOST))
			return -400;

	return 0;
}

static int
finish(struct loom_http_parser *p)
{
	int req = p->mode == LOOM_HTTP_PARSE_REQUEST, have_cl, te, r, f;
	unsigned int i;

	/* chain the headers of each token, in the order they came */
	for (i = p->count_hdrs; i-- > 0;) {
		struct loom_http_hdr *h = &p->hdrs[i];

		if (h->token >= 0) {
			h->next_same = p->first[h->token];
			p->first[h->token] = (uint16_t)i;
		}
	}

	if (req && (r = check_host(p)))
		return r;
	if ((r = content_length(p, &have_cl)))
		return r;
	te = p->first[LOOM_HDR_TRANSFER_ENCODING] != NONE;
	if (te) {
		if (have_cl || !p->version_minor)
			return -400;
		if ((r = transfer_encoding(p)))
			return r;
	}

	f = connection_flags(p);
	if (p->version_minor)
		p->keepalive = !(f & CONN_CLOSE);
	else
		p->keepalive = (f & CONN_KEEPALIVE) && !(f & CONN_CLOSE);
	p->upgrade = (f & CONN_UPGRADE) && p->first[LOOM_HDR_UPGRADE] != NONE;

	if (!have_cl)
		p->content_length = 0;

	if (req) {
		/* an HTTP/1.0 client cannot take a 100 (RFC 9110 10.1.1) */
		p->expect_continue = p->version_minor && expects_continue(p);
		if (te)
			p->body_kind = LOOM_HTTP_BODY_CHUNKED;
		else
			p->body_kind = p->content_length ? LOOM_HTTP_BODY_LENGTH :
							   LOOM_HTTP_BODY_NONE;
		return 0;
	}

	/* response: RFC 9112 section 6.3, in its order */
	if (p->request_was_head || p->status < 200 || p->status == 204 ||
	    p->status == 304 || (p->request_was_connect && p->status / 100 == 2))
		p->body_kind = LOOM_HTTP_BODY_NONE;
	else if (te)
		p->body_kind = LOOM_HTTP_BODY_CHUNKED;
	else if (have_cl)
		p->body_kind = p->content_length ? LOOM_HTTP_BODY_LENGTH :
						   LOOM_HTTP_BODY_NONE;
	else {
		p->body_kind = LOOM_HTTP_BODY_UNTIL_CLOSE;
		p->keepalive = 0;
	}

	return 0;
}

/* ---- the request line ---- */

static enum loom_http_method
method_lookup(const uint8_t *m, size_t len)
{
	switch (len) {
	case 3:
		if (!memcmp(m, "GET", 3))
			return LOOM_HTTP_METHOD_GET;
		if (!memcmp(m, "PUT", 3))
			return LOOM_HTTP_METHOD_PUT;
		break;
	case 4:
		if (!memcmp(m, "POST", 4))
			return LOOM_HTTP_METHOD_POST;
		if (!memcmp(m, "HEAD", 4))
			return LOOM_HTTP_METHOD_HEAD;
		break;
	case 5:
		if (!memcmp(m, "PATCH", 5))
			return LOOM_HTTP_METHOD_PATCH;
		if (!memcmp(m, "TRACE", 5))
			return LOOM_HTTP_METHOD_TRACE;
		break;
	case 6:
		if (!memcmp(m, "DELETE", 6))
			return LOOM_HTTP_METHOD_DELETE;
		break;
	case 7:
		if (!memcmp(m, "OPTIONS", 7))
			return LOOM_HTTP_METHOD_OPTIONS;
		if (!memcmp(m, "CONNECT", 7))
			return LOOM_HTTP_METHOD_CONNECT;
		break;
	}

	return LOOM_HTTP_METHOD_OTHER;
}

/*
 * authority-form (CONNECT only): host ":" port, no userinfo, no path; the host
 * is a name or address, or an IPv6 literal in brackets
 */
static int
authority_form(const uint8_t *t, size_t n)
{
	size_t colon = n, i, hl;
	int v6;

	while (colon && t[colon - 1] != ':')
		colon--;
	if (colon < 2 || colon == n || n - colon > 5)
		return 0;	/* no ':', empty host, no port or too long a port */
	for (i = colon; i < n; i++)
		if (t[i] < '0' || t[i] > '9')
			return 0;
	hl = colon - 1;
	v6 = t[0] == '[';
	if (v6 && (hl < 3 || t[hl - 1] != ']'))
		return 0;
	for (i = v6; i < hl - (size_t)v6; i++)
		if (!(CT(t[i]) & LOOM_HTTP_C_HOST) || t[i] == '[' || t[i] == ']' ||
		    (t[i] == ':' && !v6))
			return 0;

	return 1;
}

/*
 * RFC 9112 3.2: origin-form "/..."; absolute-form "scheme://authority...";
 * authority-form only and always for CONNECT; "*" only for OPTIONS
 */
static int
check_target(const struct loom_http_parser *p)
{
	const uint8_t *t = p->buf + p->target.ofs;
	size_t n = p->target.len, i;

	if (p->method == LOOM_HTTP_METHOD_CONNECT)
		return authority_form(t, n) ? 0 : -400;
	if (t[0] == '/')
		return 0;
	if (t[0] == '*')
		return n == 1 && p->method == LOOM_HTTP_METHOD_OPTIONS ? 0 : -400;
	if ((unsigned int)((t[0] | 0x20) - 'a') > 25u)
		return -400;	/* a scheme starts with ALPHA */
	for (i = 1; i < n && (CT(t[i]) & LOOM_HTTP_C_SCHEME); i++)
		;
	if (n - i < 4 || memcmp(t + i, "://", 3) || t[i + 3] == '/' ||
	    t[i + 3] == '?' || t[i + 3] == '#')
		return -400;	/* not scheme "://" followed by an authority */

	return 0;
}

/* ---- the byte loop ---- */

/*
 * Finding the end of a run: values and targets eight bytes at a time (a word
 * with no byte that could end or spoil the run is skipped whole, the rest is
 * looked at byte by byte), names four table lookups at a time.
 */
static inline uint64_t
ld64(const uint8_t *s)
{
	uint64_t v;

	memcpy(&v, s, sizeof(v));

	return v;
}

#define B8(c)		(UINT64_C(0x0101010101010101) * (c))
/* nonzero when some byte of x is below n (n <= 128) */
#define HAS_LESS(x, n)	(((x) - B8(n)) & ~(x) & B8(0x80))

/* field value / reason: SP, HTAB, VCHAR, obs-text (HTAB takes the slow path) */
static inline const uint8_t *
scan_value(const uint8_t *s, const uint8_t *end)
{
	const uint8_t *lim;

	for (;;) {
		while (end - s >= 8) {
			uint64_t x = ld64(s);

			if (HAS_LESS(x, 0x20) | HAS_LESS(x ^ B8(0x7f), 1))
				break;
			s += 8;
		}
		lim = end - s > 8 ? s + 8 : end;
		while (s < lim && (CT(*s) & LOOM_HTTP_C_VALUE))
			s++;
		if (s < lim || s == end)
			return s;
	}
}

/* request target: 0x21..0x7e */
static inline const uint8_t *
scan_target(const uint8_t *s, const uint8_t *end)
{
	while (end - s >= 8) {
		uint64_t x = ld64(s);

		if (HAS_LESS(x, 0x21) | HAS_LESS(x ^ B8(0x7f), 1) | (x & B8(0x80)))
			break;
		s += 8;
	}
	while (s < end && (CT(*s) & LOOM_HTTP_C_TARGET))
		s++;

	return s;
}

static inline const uint8_t *
scan_tchar(const uint8_t *s, const uint8_t *end)
{
	while (end - s >= 4 && (CT(s[0]) & CT(s[1]) & CT(s[2]) & CT(s[3]) &
				LOOM_HTTP_C_TCHAR))
		s += 4;
	while (s < end && (CT(*s) & LOOM_HTTP_C_TCHAR))
		s++;

	return s;
}

/* copy a run of \p n bytes the parser keeps into buf */
static inline int
keep(struct loom_http_parser *p, const uint8_t *from, size_t n)
{
	if (!n)
		return 0;
	if (n > p->buf_len - p->used)
		return 1;
	memcpy(p->buf + p->used, from, n);
	p->used += (uint32_t)n;

	return 0;
}

/* the end of a header line: drop the value's trailing OWS, count the line */
static inline void
end_header(struct loom_http_parser *p)
{
	struct loom_http_hdr *h = &p->hdrs[p->count_hdrs];
	uint32_t n = p->used - h->value.ofs;

	while (n && (CT(p->buf[h->value.ofs + n - 1]) & LOOM_HTTP_C_WS))
		n--;
	h->value.len = n;
	p->used = h->value.ofs + n;
	p->count_hdrs++;
}

int
loom__http_parse(struct loom_http_parser *p, const uint8_t *in, size_t len,
		 size_t *used)
{
	const uint8_t *s = in, *end, *run;
	uint32_t room = p->lim.max_head_bytes - p->head_bytes;
	struct loom_http_hdr *h;
	int err = -400;
	uint8_t c;

	*used = 0;
	if (p->state == S_DONE)
		return LOOM_HP_DONE;
	if (p->state == S_ERROR)
		return -(int)p->tok_start;
	if (!len)
		return LOOM_HP_MORE;
	end = in + (len < room ? len : room);

	while (s < end) {
		switch (p->state) {

		case S_H_START:
			c = *s;
			if (CT(c) & LOOM_HTTP_C_TCHAR) {
				if (p->count_hdrs >= p->lim.max_headers)
					goto e431;
				h = &p->hdrs[p->count_hdrs];
				h->name.ofs = p->used;
				h->next_same = NONE;
				p->state = S_H_NAME;
				goto name;
			}
			s++;
			if (c == '\n')
				goto head_end;
			if (c != '\r')
				goto error;	/* obs-fold, or not a field name */
			p->state = S_END_LF;
			continue;

		case S_H_NAME:
name:
			run = s;
			s = scan_tchar(s, end);
			if (keep(p, run, (size_t)(s - run)))
				goto e431;
			if (s == end)
				goto more;
			if (*s++ != ':')
				goto error;	/* space before ':', or no ':' */
			h = &p->hdrs[p->count_hdrs];
			h->name.len = p->used - h->name.ofs;
			h->token = (int16_t)loom_hdr_token_lookup(
				(const char *)p->buf + h->name.ofs, h->name.len);
			p->state = S_H_OWS;
			/* fall through */
		case S_H_OWS:
			while (s < end && (CT(*s) & LOOM_HTTP_C_WS))
				s++;
			if (s == end)
				goto more;
			p->hdrs[p->count_hdrs].value.ofs = p->used;
			p->state = S_H_VALUE;
			/* fall through */
		case S_H_VALUE:
			run = s;
			s = scan_value(s, end);
			if (keep(p, run, (size_t)(s - run)))
				goto e431;
			if (s == end)
				goto more;
			c = *s++;
			if (c == '\n') {
				end_header(p);
				p->state = S_H_START;
				continue;
			}
			if (c != '\r')
				goto error;	/* a CTL in the value */
			if (s < end && *s == '\n') {
				s++;
				end_header(p);
				p->state = S_H_START;
				continue;
			}
			p->state = S_H_LF;
			continue;

		case S_H_LF:
			if (*s++ != '\n')
				goto error;
			end_header(p);
			p->state = S_H_START;
			continue;

		case S_END_LF:
			if (*s++ != '\n')
				goto error;
			goto head_end;

		case S_START:
			c = *s;
			if (CT(c) & LOOM_HTTP_C_TCHAR) {
				p->method_text.ofs = p->used;
				p->state = S_METHOD;
				continue;
			}
			s++;
			if (c == '\r')
				p->state = S_START_LF;
			else if (c != '\n')
				goto error;
			continue;

		case S_START_LF:
			if (*s++ != '\n')
				goto error;
			p->state = S_START;
			continue;

		case S_METHOD:
			run = s;
			s = scan_tchar(s, end);
			if (keep(p, run, (size_t)(s - run)))
				goto e431;
			if (s == end)
				goto more;
			if (*s++ != ' ')
				goto error;
			p->method_text.len = p->used - p->method_text.ofs;
			p->method = (uint8_t)method_lookup(p->buf + p->method_text.ofs,
							   p->method_text.len);
			p->state = S_TARGET0;
			continue;

		case S_TARGET0:
			if (!(CT(*s) & LOOM_HTTP_C_TARGET))
				goto error;	/* a second SP, a CTL, or no target */
			p->target.ofs = p->used;
			p->state = S_TARGET;
			/* fall through */
		case S_TARGET:
			run = s;
			s = scan_target(s, end);
			if (p->used - p->target.ofs + (size_t)(s - run) > p->lim.max_uri_len &&
			    p->lim.max_uri_len - (p->used - p->target.ofs) <=
							p->buf_len - p->used) {
				err = -414;	/* reached before buf is full: any split */
				goto error;
			}
			if (keep(p, run, (size_t)(s - run)))
				goto e431;
			if (s == end)
				goto more;
			if (*s++ != ' ')
				goto error;	/* a CTL, or no version (HTTP/0.9) */
			p->target.len = p->used - p->target.ofs;
			if ((err = check_target(p)))
				goto error;
			err = -400;
			/* the usual case in one step */
			if (end - s >= 10 && !memcmp(s, "HTTP/1.", 7) &&
			    (s[7] == '1' || s[7] == '0') && s[8] == '\r' && s[9] == '\n') {
				p->version_minor = (uint8_t)(s[7] - '0');
				s += 10;
				p->state = S_H_START;
				continue;
			}
			p->state = S_VER_H;
			continue;

		case S_VER_H:
			if (p->mode == LOOM_HTTP_PARSE_RESPONSE && end - s >= 9 &&
			    !memcmp(s, "HTTP/1.", 7) && (s[7] == '1' || s[7] == '0') &&
			    s[8] == ' ') {
				p->version_minor = (uint8_t)(s[7] - '0');
				s += 9;
				p->state = S_ST_CODE1;
				continue;
			}
			/* fall through */
		case S_VER_T1:
		case S_VER_T2:
		case S_VER_P:
		case S_VER_SLASH:
			if (*s++ != (uint8_t)"HTTP/"[p->state - S_VER_H])
				goto error;
			p->state++;
			continue;

		case S_VER_MAJOR:
			c = *s++;
			if ((unsigned int)(c - '0') > 9)
				goto error;
			p->state = c == '1' ? S_VER_DOT1 : S_VER_DOTX;
			continue;

		case S_VER_DOT1:
		case S_VER_DOTX:
			if (*s++ != '.')
				goto error;
			p->state = p->state == S_VER_DOT1 ? S_VER_MINOR1 : S_VER_MINORX;
			continue;

		case S_VER_MINOR1:
		case S_VER_MINORX:
			c = *s++;
			if ((unsigned int)(c - '0') > 9)
				goto error;
			if (p->state == S_VER_MINOR1 && c <= '1') {
				p->version_minor = (uint8_t)(c - '0');
				p->state = S_VER_END;
			} else
				p->state = S_VER_END_BAD;
			continue;

		case S_VER_END:
		case S_VER_END_BAD:
			c = *s++;
			if (p->mode == LOOM_HTTP_PARSE_RESPONSE ? c != ' ' :
			    (c != '\r' && c != '\n'))
				goto error;
			if (p->state == S_VER_END_BAD) {
				err = -505;
				goto error;
			}
			if (p->mode == LOOM_HTTP_PARSE_RESPONSE)
				p->state = S_ST_CODE1;
			else
				p->state = c == '\r' ? S_LF : S_H_START;
			continue;

		case S_ST_CODE1:
		case S_ST_CODE2:
		case S_ST_CODE3:
			c = *s++;
			if ((unsigned int)(c - '0') > 9)
				goto error;
			p->status = (uint16_t)(p->status * 10 + (c - '0'));
			if (p->state++ == S_ST_CODE3 &&
			    (p->status < 100 || p->status > 599))
				goto error;
			continue;

		case S_ST_AFTER:
			c = *s++;
			p->reason.ofs = p->used;
			if (c == ' ')
				p->state = S_ST_REASON;
			else if (c == '\r')
				p->state = S_LF;
			else if (c == '\n')
				p->state = S_H_START;
			else
				goto error;
			continue;

		case S_ST_REASON:
			run = s;
			s = scan_value(s, end);
			if (keep(p, run, (size_t)(s - run)))
				goto e431;
			if (s == end)
				goto more;
			c = *s++;
			p->reason.len = p->used - p->reason.ofs;
			if (c == '\r')
				p->state = S_LF;
			else if (c == '\n')
				p->state = S_H_START;
			else
				goto error;
			continue;

		case S_LF:
			if (*s++ != '\n')
				goto error;
			p->state = S_H_START;
			continue;

		default:
			goto error;
		}
	}

more:
	p->head_bytes += (uint32_t)(s - in);
	if (len > room)
		goto e431;	/* the limit cut the input short of the head's end */
	*used = (size_t)(s - in);

	return LOOM_HP_MORE;

head_end:
	p->head_bytes += (uint32_t)(s - in);
	if ((err = finish(p)))
		goto error;
	p->state = S_DONE;
	*used = (size_t)(s - in);

	return LOOM_HP_DONE;

e431:
	err = -431;
error:
	p->state = S_ERROR;
	p->tok_start = (uint32_t)-err;

	return err;
}
