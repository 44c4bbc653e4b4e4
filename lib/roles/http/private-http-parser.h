/*
 * private-http-parser.h: the HTTP/1.x message head parser and the chunked body
 * decoder. Both are I/O-free state machines (DESIGN.md principle 7): bytes in, in
 * any split, results and errors out; no socket, no loop, no allocation. The h1 role
 * (server and client) glues them to connections; fuzzers drive them directly.
 */
#ifndef LOOM_PRIVATE_HTTP_PARSER_H
#define LOOM_PRIVATE_HTTP_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include <loom.h>
#include <loom/http.h>

/*
 * Character classes of RFC 9110 / 9112 as one table (tokens.c), so the parser
 * files (and the h1 role, to check what it sends) test a byte with one lookup.
 */
#define LOOM_HTTP_C_TCHAR	0x01	/* token char */
#define LOOM_HTTP_C_VALUE	0x02	/* field value: VCHAR, obs-text, SP, HTAB */
#define LOOM_HTTP_C_TARGET	0x04	/* request target: VCHAR (0x21..0x7e) */
#define LOOM_HTTP_C_QDTEXT	0x08	/* quoted-string text (not '"' or '\\') */
#define LOOM_HTTP_C_HOST	0x10	/* Host / authority: unreserved, sub-delims,
					 * '%', ':', '[', ']' */
#define LOOM_HTTP_C_WS		0x20	/* SP, HTAB */
#define LOOM_HTTP_C_HEX		0x40	/* HEXDIG */
#define LOOM_HTTP_C_SCHEME	0x80	/* URI scheme after the first: ALPHA DIGIT + - . */
extern const uint8_t loom__http_ctype[256];
/* nonzero when every byte of the C string \p s may stand in a header field value
 * (no CR, LF or other control: what a client puts in a request head) */
int
loom__http_value_ok(const char *s);

/* what loom__http_parse() and the chunked decoder return */
#define LOOM_HP_MORE		0	/* consumed everything, need more bytes */
#define LOOM_HP_DONE		1	/* the head (or the chunked body) is complete */
/* errors are negative HTTP status codes: -400, -414, -431, -501, -505 */

enum loom_http_parser_mode {
	LOOM_HTTP_PARSE_REQUEST,
	LOOM_HTTP_PARSE_RESPONSE
};

/* how the body after the head is delimited */
enum loom_http_body_kind {
	LOOM_HTTP_BODY_NONE,		/* no body (or Content-Length: 0) */
	LOOM_HTTP_BODY_LENGTH,		/* exactly content_length bytes */
	LOOM_HTTP_BODY_CHUNKED,		/* chunked transfer coding */
	LOOM_HTTP_BODY_UNTIL_CLOSE	/* response only: until the connection closes */
};

/* limits; 0 in a member means its default */
struct loom_http_parser_limits {
	uint32_t max_head_bytes;	/* whole head incl. request line: -431 (default 8192) */
	uint16_t max_headers;		/* header lines: -431 (default 64) */
	uint16_t max_uri_len;		/* request target: -414 (default 4096) */
};

/* one stored piece of the head: offset and length in the parser's buffer */
struct loom_http_frag {
	uint32_t ofs;
	uint32_t len;
};

/* a header line, known or custom: name and value fragments; next = index of the
 * next header with the same token (or 0xffff) */
struct loom_http_hdr {
	struct loom_http_frag name;
	struct loom_http_frag value;	/* surrounding OWS removed */
	int16_t token;			/* enum loom_hdr_token or -1 for custom */
	uint16_t next_same;
};

/*
 * The parser copies what it keeps (method, target, names, values) into the buffer
 * the caller gives it, so the input need not outlive a call. Sizes are bounded by
 * the buffer and by the limits; nothing is allocated.
 */
struct loom_http_parser {
	/* set up by loom__http_parser_init() */
	uint8_t *buf;
	uint32_t buf_len;
	struct loom_http_hdr *hdrs;	/* caller's array of max_headers entries */
	struct loom_http_parser_limits lim;
	uint8_t mode;			/* enum loom_http_parser_mode */

	/* results, valid after LOOM_HP_DONE */
	uint8_t method;			/* enum loom_http_method (request) */
	uint8_t version_minor;		/* HTTP/1.<n>: 0 or 1 */
	uint8_t body_kind;		/* enum loom_http_body_kind */
	uint8_t keepalive;		/* the connection may carry another message */
	uint8_t expect_continue;	/* request: "Expect: 100-continue" */
	uint8_t upgrade;		/* "Connection: upgrade" with an Upgrade header */
	uint16_t status;		/* response status code */
	uint64_t content_length;	/* with LOOM_HTTP_BODY_LENGTH */
	struct loom_http_frag method_text; /* request: the method as sent */
	struct loom_http_frag target;	/* request: the request target as sent */
	struct loom_http_frag reason;	/* response: the reason phrase */
	uint16_t count_hdrs;
	uint16_t first[LOOM_HDR_COUNT];	/* index into hdrs of the first of each token,
					 * 0xffff when absent */

	/*
	 * response parsing: set by the caller before parsing (RFC 9112 section 6.3).
	 * In response mode loom__http_parser_init() leaves them as they are, so they
	 * may be set before or after it and survive the re-init after a 1xx; in
	 * request mode it clears them.
	 */
	uint8_t request_was_head;	/* the request was HEAD: no body */
	uint8_t request_was_connect;	/* the request was CONNECT: 2xx has no body */

	/* private state */
	uint32_t used;			/* bytes of buf in use */
	uint32_t head_bytes;		/* bytes of head seen */
	uint32_t tok_start;		/* after an error: the (positive) status */
	uint8_t state;
	uint8_t cr;			/* unused: each line end is a state of its own */
};

/*
 * loom__http_parser_init() - ready \p p to parse one message head in \p mode into
 * \p buf (its size bounds what can be kept) and \p hdrs (room for lim->max_headers
 * entries, or the default 64 when 0). Call it again for each message.
 * \p lim may be NULL (all defaults). What buf keeps: method, target, reason,
 * header names and values without their OWS; a value's trailing OWS takes room
 * while it is read. A buf of max_head_bytes always suffices.
 */
void
loom__http_parser_init(struct loom_http_parser *p, enum loom_http_parser_mode mode,
		       uint8_t *buf, size_t buf_len, struct loom_http_hdr *hdrs,
		       const struct loom_http_parser_limits *lim);

/*
 * loom__http_parse() - feed \p len bytes. Sets *used to the bytes consumed: all of
 * them with LOOM_HP_MORE, up to the end of the head with LOOM_HP_DONE (what follows
 * is body or the next message). Errors are negative status codes:
 *   -400 malformed (bad request line or header syntax, obs-fold, space before ':',
 *        NUL or bare CR, Content-Length with Transfer-Encoding, differing duplicate
 *        Content-Length, a sign, space or overflow in it, Transfer-Encoding whose last
 *        coding is not chunked on a request, missing Host on HTTP/1.1 request)
 *   -414 request target longer than max_uri_len
 *   -431 head longer than max_head_bytes, or more than max_headers lines, or \p buf
 *        too small for what must be kept
 *   -501 a Transfer-Encoding Loom does not implement
 *   -505 an HTTP version other than 1.0 and 1.1
 * After an error the parser stays in error until re-initialised (and returns the
 * same error, consuming nothing); after LOOM_HP_DONE it returns LOOM_HP_DONE and
 * consumes nothing. The result, *used included, is the same for any split of
 * the input.
 *
 * In detail: a bare LF ends a line as CRLF does; empty lines before a request
 * line are skipped (and count as head bytes). The request target is origin-form,
 * absolute-form ("scheme://authority..."), authority-form ("host:port", always and
 * only with CONNECT) or "*" (only with OPTIONS). More than one Host is -400; a Host
 * value must be made of authority characters. Content-Length must be below 2^63.
 * A request's Transfer-Encoding must end in chunked, once (-400), with no other
 * coding (-501). A response with a Transfer-Encoding other than "chunked" is -501
 * (it could not be decoded), chunked twice -400; Transfer-Encoding in an HTTP/1.0
 * message is -400 in both modes. Response status codes are 100..599.
 * expect_continue is only set for HTTP/1.1 (RFC 9110 10.1.1).
 */
int
loom__http_parse(struct loom_http_parser *p, const uint8_t *in, size_t len,
		 size_t *used);

/* the n-th (0-based) header with token \p t, or NULL; valid after LOOM_HP_DONE */
const struct loom_http_hdr *
loom__http_hdr(const struct loom_http_parser *p, enum loom_hdr_token t, unsigned int n);

/* pointer to a fragment's bytes in the parser's buffer (not NUL-terminated) */
#define loom__http_frag_ptr(p, f) ((const char *)(p)->buf + (f).ofs)

/* the chunked transfer coding decoder (RFC 9112 section 7.1) */
struct loom_http_chunked {
	uint64_t remaining;		/* data bytes left in the current chunk */
	uint32_t line_bytes;		/* size line / trailer bytes, bounded */
	uint32_t trailer_bytes;
	uint8_t state;
	uint8_t digits;
	uint8_t cr;			/* unused: each line end is a state of its own */
};

/* bounds on what is not data: size line with extensions, and the trailer section */
#define LOOM_HTTP_CHUNK_LINE_MAX	4096
#define LOOM_HTTP_TRAILER_MAX		8192

void
loom__http_chunked_init(struct loom_http_chunked *c);

/*
 * loom__http_chunked_decode() - decode \p len bytes of chunked body. Chunk data is
 * given to \p data_cb as it arrives (split as the input is; a nonzero return from
 * it stops decoding and is returned). Sets *used to the bytes consumed. Returns
 * LOOM_HP_MORE, LOOM_HP_DONE after the last chunk and its trailer (*used then stops
 * there: what follows is the next message), or -400 on a bad size (not hex, more
 * than 16 hex digits / overflow, sign or space inside), a bad line ending, a size
 * line or trailer over its bound, or missing CRLF after chunk data.
 *
 * In detail: data_cb gets pointers into \p in, never an empty piece; it may be
 * NULL (data is skipped). When it stops decoding, *used counts the piece it was
 * given, and the next call goes on from there. A chunk size is at most 16 hex
 * digits and below 2^63. Every line of the framing (size lines, the CRLF after
 * data, trailer lines, the last CRLF) must end in CRLF: a bare LF there is -400,
 * as parsers that disagree on it can be made to disagree on where a body ends.
 * Chunk extensions (token[=token|quoted-string], BWS allowed around ';' and '=')
 * are checked and skipped; trailer fields are checked like header lines (no
 * obs-fold) and skipped. The line bound counts the whole size line with its CRLF,
 * the trailer bound every byte after the last chunk's line. After DONE or an
 * error the call returns the same, consuming nothing.
 */
int
loom__http_chunked_decode(struct loom_http_chunked *c, const uint8_t *in, size_t len,
			  size_t *used,
			  int (*data_cb)(void *user, const uint8_t *data, size_t len),
			  void *user);

#endif
