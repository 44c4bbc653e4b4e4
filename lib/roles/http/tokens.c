/*
 * tokens.c: the names HTTP/1 needs as data: header tokens and their fast lookup,
 * method names, status reason phrases, and the character class table the parser
 * files share (private-http-parser.h).
 */
#include <string.h>

#include "roles/http/private-http-parser.h"

/* ---- character classes, computed at compile time from the RFC grammar ---- */

#define CT_ALPHA(c)	(((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define CT_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define CT_HEX(c)	(CT_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || \
			 ((c) >= 'A' && (c) <= 'F'))
#define CT_VCHAR(c)	((c) >= 0x21 && (c) <= 0x7e)
#define CT_WS(c)	((c) == ' ' || (c) == '\t')
/* RFC 9110 5.6.2 tchar */
#define CT_TCHAR(c)	(CT_ALPHA(c) || CT_DIGIT(c) || (c) == '!' || (c) == '#' || \
			 (c) == '$' || (c) == '%' || (c) == '&' || (c) == '\'' || \
			 (c) == '*' || (c) == '+' || (c) == '-' || (c) == '.' || \
			 (c) == '^' || (c) == '_' || (c) == '`' || (c) == '|' || (c) == '~')
/* RFC 3986 unreserved / sub-delims, plus what an authority adds */
#define CT_HOST(c)	(CT_ALPHA(c) || CT_DIGIT(c) || (c) == '-' || (c) == '.' || \
			 (c) == '_' || (c) == '~' || (c) == '!' || (c) == '$' || \
			 (c) == '&' || (c) == '\'' || (c) == '(' || (c) == ')' || \
			 (c) == '*' || (c) == '+' || (c) == ',' || (c) == ';' || \
			 (c) == '=' || (c) == '%' || (c) == ':' || (c) == '[' || (c) == ']')
#define CT_VALUE(c)	(CT_VCHAR(c) || (c) >= 0x80 || CT_WS(c))
#define CT_QDTEXT(c)	(CT_VALUE(c) && (c) != '"' && (c) != '\\')
#define CT_SCHEME(c)	(CT_ALPHA(c) || CT_DIGIT(c) || (c) == '+' || (c) == '-' || \
			 (c) == '.')

#define CT(c) ((CT_TCHAR(c) ? LOOM_HTTP_C_TCHAR : 0) | \
	       (CT_VALUE(c) ? LOOM_HTTP_C_VALUE : 0) | \
	       (CT_VCHAR(c) ? LOOM_HTTP_C_TARGET : 0) | \
	       (CT_QDTEXT(c) ? LOOM_HTTP_C_QDTEXT : 0) | \
	       (CT_HOST(c) ? LOOM_HTTP_C_HOST : 0) | \
	       (CT_WS(c) ? LOOM_HTTP_C_WS : 0) | \
	       (CT_HEX(c) ? LOOM_HTTP_C_HEX : 0) | \
	       (CT_SCHEME(c) ? LOOM_HTTP_C_SCHEME : 0))
#define CT4(b)	CT(b), CT((b) + 1), CT((b) + 2), CT((b) + 3)
#define CT16(b)	CT4(b), CT4((b) + 4), CT4((b) + 8), CT4((b) + 12)
#define CT64(b)	CT16(b), CT16((b) + 16), CT16((b) + 32), CT16((b) + 48)

const uint8_t loom__http_ctype[256] = {
	CT64(0), CT64(64), CT64(128), CT64(192)
};

/* ---- header tokens ---- */

/* in enum loom_hdr_token order, lower case */
static const char *const hdr_names[LOOM_HDR_COUNT] = {
	"host", "connection", "content-length", "transfer-encoding", "content-type",
	"accept", "accept-encoding", "accept-language", "user-agent", "referer",
	"cookie", "set-cookie", "authorization", "expect", "upgrade", "origin",
	"range", "if-modified-since", "if-none-match", "if-range", "etag",
	"last-modified", "location", "cache-control", "date", "server",
	"accept-ranges", "content-range", "content-encoding", "keep-alive", "te",
	"trailer", "proxy-authorization", "www-authenticate", "allow", "vary",
	"content-disposition", "x-forwarded-for", "sec-websocket-key",
	"sec-websocket-version", "sec-websocket-protocol", "sec-websocket-extensions",
	"sec-websocket-accept", "http2-settings"
};

static const uint8_t hdr_lens[LOOM_HDR_COUNT] = {
	4, 10, 14, 17, 12, 6, 15, 15, 10, 7, 6, 10, 13, 6, 7, 6, 5, 17, 13, 8, 4,
	13, 8, 13, 4, 6, 13, 13, 16, 10, 2, 7, 19, 16, 5, 4, 19, 15, 17, 21, 22, 24,
	20, 14
};

/*
 * A perfect hash of the known names: (len + 14 * first + 23 * last) & 127, the
 * characters lower-cased, gives each name its own slot. If a token is added, find
 * new multipliers and regenerate this table (api-test-http-parser checks that every
 * name maps back to its own token, so a stale table fails the test).
 */
#define HDR_HASH(len, f, l) (((unsigned int)(len) + 14u * (f) + 23u * (l)) & 127u)

static const int8_t hdr_slots[128] = {
	14, 9, -1, 10, 34, -1, -1, -1, -1, 4, 27, -1, -1, -1, 25, 24,
	-1, -1, -1, 43, 40, 32, -1, -1, -1, -1, -1, -1, -1, 31, 6, -1,
	0, -1, -1, 18, -1, 33, -1, -1, -1, -1, 3, 23, -1, -1, -1, -1,
	26, -1, -1, -1, -1, -1, -1, 41, -1, -1, 38, 28, -1, 12, -1, -1,
	5, 39, -1, -1, -1, -1, -1, -1, -1, -1, 42, 20, -1, -1, -1, -1,
	2, -1, 22, -1, 16, -1, 1, 35, -1, 19, -1, -1, 8, 37, -1, 36,
	-1, -1, 17, -1, -1, -1, -1, 11, -1, -1, -1, -1, -1, 30, -1, -1,
	7, 21, -1, -1, -1, -1, -1, 29, 13, -1, 15, -1, -1, -1, -1, -1,
};

static inline unsigned int
lc(unsigned char c)
{
	return (unsigned int)(c - 'A') < 26u ? c + 32u : c;
}

/*
 * Eight bytes of a name against eight of a lower-case known name: OR-ing 0x20
 * folds A-Z to a-z and leaves a-z, 0-9 and '-' as they are; the only other bytes
 * it could make equal to those are CTLs (0x0d -> '-', 0x10.. -> '0'..), which
 * the second test refuses.
 */
static inline int
word_eq(const unsigned char *s, const char *k)
{
	uint64_t x, y;

	memcpy(&x, s, 8);
	memcpy(&y, k, 8);

	return (x | UINT64_C(0x2020202020202020)) == y &&
	       !((x - UINT64_C(0x2020202020202020)) & ~x & UINT64_C(0x8080808080808080));
}

static inline int
word4_eq(const unsigned char *s, const char *k)
{
	uint32_t x, y;

	memcpy(&x, s, 4);
	memcpy(&y, k, 4);

	return (x | 0x20202020u) == y && !((x - 0x20202020u) & ~x & 0x80808080u);
}

const char *
loom_hdr_token_name(enum loom_hdr_token t)
{
	if ((unsigned int)t >= LOOM_HDR_COUNT)
		return NULL;

	return hdr_names[t];
}

int
loom_hdr_token_lookup(const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;
	const char *k;
	size_t n;
	int t;

	if (!name || len < 2 || len > 24)
		return -1;
	t = hdr_slots[HDR_HASH(len, lc(s[0]), lc(s[len - 1]))];
	if (t < 0 || hdr_lens[t] != len)
		return -1;
	k = hdr_names[t];
	if (len < 4) {
		for (n = 0; n < len; n++)
			if (lc(s[n]) != (unsigned char)k[n])
				return -1;
		return t;
	}
	if (len < 8)	/* two words of four, overlapping */
		return word4_eq(s, k) && word4_eq(s + len - 4, k + len - 4) ? t : -1;
	/* eight at a time; the last word may overlap the one before */
	for (n = 0; n + 8 < len; n += 8)
		if (!word_eq(s + n, k + n))
			return -1;

	return word_eq(s + len - 8, k + len - 8) ? t : -1;
}

/* ---- methods ---- */

static const char *const method_names[] = {
	NULL, "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT",
	"TRACE"
};

const char *
loom_http_method_name(enum loom_http_method m)
{
	if ((unsigned int)m >= sizeof(method_names) / sizeof(method_names[0]))
		return NULL;

	return method_names[m];
}

/* ---- status reasons (RFC 9110 section 15 and the registered extras) ---- */

static const char *const reason_1xx[] = {
	"Continue", "Switching Protocols", "Processing", "Early Hints"
};
static const char *const reason_2xx[] = {
	"OK", "Created", "Accepted", "Non-Authoritative Information", "No Content",
	"Reset Content", "Partial Content", "Multi-Status", "Already Reported"
};
static const char *const reason_3xx[] = {
	"Multiple Choices", "Moved Permanently", "Found", "See Other", "Not Modified",
	"Use Proxy", NULL, "Temporary Redirect", "Permanent Redirect"
};
static const char *const reason_4xx[] = {
	"Bad Request", "Unauthorized", "Payment Required", "Forbidden", "Not Found",
	"Method Not Allowed", "Not Acceptable", "Proxy Authentication Required",
	"Request Timeout", "Conflict", "Gone", "Length Required",
	"Precondition Failed", "Content Too Large", "URI Too Long",
	"Unsupported Media Type", "Range Not Satisfiable", "Expectation Failed",
	"I'm a teapot", NULL, NULL, "Misdirected Request", "Unprocessable Content",
	"Locked", "Failed Dependency", "Too Early", "Upgrade Required", NULL,
	"Precondition Required", "Too Many Requests", NULL,
	"Request Header Fields Too Large"
};
static const char *const reason_5xx[] = {
	"Internal Server Error", "Not Implemented", "Bad Gateway",
	"Service Unavailable", "Gateway Timeout", "HTTP Version Not Supported",
	"Variant Also Negotiates", "Insufficient Storage", "Loop Detected", NULL,
	"Not Extended", "Network Authentication Required"
};

#define NREASONS(a) (sizeof(a) / sizeof((a)[0]))

const char *
loom_http_status_reason(unsigned int status)
{
	unsigned int n = status % 100;
	const char *r = NULL;

	switch (status / 100) {
	case 1:
		r = n < NREASONS(reason_1xx) ? reason_1xx[n] : NULL;
		break;
	case 2:
		r = n < NREASONS(reason_2xx) ? reason_2xx[n] : NULL;
		if (status == 226)
			r = "IM Used";
		break;
	case 3:
		r = n < NREASONS(reason_3xx) ? reason_3xx[n] : NULL;
		break;
	case 4:
		r = n < NREASONS(reason_4xx) ? reason_4xx[n] : NULL;
		if (status == 451)
			r = "Unavailable For Legal Reasons";
		break;
	case 5:
		r = n < NREASONS(reason_5xx) ? reason_5xx[n] : NULL;
		break;
	}

	return r ? r : "Unknown";
}

int
loom__http_value_ok(const char *s)
{
	for (; *s; s++)
		if (!(loom__http_ctype[(uint8_t)*s] & LOOM_HTTP_C_VALUE))
			return 0;

	return 1;
}
