/*
 * chunked.c: the chunked transfer coding decoder (RFC 9112 section 7.1) of
 * private-http-parser.h. Chunk data goes to the caller's callback in place, as
 * large as the input allows; only the size lines and the trailer are walked byte
 * by byte, each bounded. Every line of the framing must end in CRLF.
 */
#include <string.h>

#include "roles/http/private-http-parser.h"

#define CT(c)		(loom__http_ctype[(uint8_t)(c)])

enum {
	C_SIZE0,	/* the first hex digit of a chunk size */
	C_SIZE,		/* more digits, ';', BWS or CR */
	C_SIZE_BWS,	/* whitespace after the size: only ';' may follow */
	C_EXT_PRE_NAME,	/* after ';': BWS, then an extension name */
	C_EXT_NAME,
	C_EXT_POST_NAME, /* BWS after the name: '=', ';' or CR */
	C_EXT_PRE_VAL,	/* after '=': BWS, then a token or a quoted string */
	C_EXT_TOKVAL,
	C_EXT_QS,	/* inside a quoted string */
	C_EXT_QS_ESC,	/* after a '\' inside it */
	C_EXT_POST_VAL,	/* BWS after a value: ';' or CR */
	C_SIZE_LF,	/* CR of the size line seen */
	C_DATA,
	C_DATA_CR,	/* after the chunk data: CR */
	C_DATA_LF,	/* then LF */
	C_TR_START,	/* start of a trailer line, or the final CRLF */
	C_TR_NAME,
	C_TR_VALUE,
	C_TR_LF,	/* CR ended a trailer line */
	C_END_LF,	/* CR of the final line */
	C_DONE,
	C_ERROR
};

#define SIZE_MAX63	UINT64_C(0x7fffffffffffffff)

void
loom__http_chunked_init(struct loom_http_chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->state = C_SIZE0;
}

static inline int
hexval(uint8_t ch)
{
	if ((unsigned int)(ch - '0') < 10u)
		return ch - '0';
	ch |= 0x20;
	if ((unsigned int)(ch - 'a') < 6u)
		return ch - 'a' + 10;

	return -1;
}

/* one byte of a size line or trailer; returns 0, LOOM_HP_DONE or -400 */
static int
line_byte(struct loom_http_chunked *c, uint8_t ch)
{
	uint8_t ct = CT(ch);
	int v;

	switch (c->state) {
	case C_SIZE0:
	case C_SIZE:
		v = hexval(ch);
		if (v >= 0) {
			if (++c->digits > 16)
				return -400;
			c->remaining = (c->remaining << 4) | (uint64_t)v;
			c->state = C_SIZE;
			return 0;
		}
		if (c->state == C_SIZE0)
			return -400;	/* no digits: sign, space, ';' or empty */
		if (c->remaining > SIZE_MAX63)
			return -400;
		if (ch == '\r')
			c->state = C_SIZE_LF;
		else if (ch == ';')
			c->state = C_EXT_PRE_NAME;
		else if (ct & LOOM_HTTP_C_WS)
			c->state = C_SIZE_BWS;
		else
			return -400;
		return 0;

	case C_SIZE_BWS:
		if (ch == ';')
			c->state = C_EXT_PRE_NAME;
		else if (!(ct & LOOM_HTTP_C_WS))
			return -400;	/* "1 2", or space before CRLF */
		return 0;

	case C_EXT_PRE_NAME:
		if (ct & LOOM_HTTP_C_TCHAR)
			c->state = C_EXT_NAME;
		else if (!(ct & LOOM_HTTP_C_WS))
			return -400;
		return 0;

	case C_EXT_NAME:
	case C_EXT_POST_NAME:
		if (ct & LOOM_HTTP_C_TCHAR && c->state == C_EXT_NAME)
			return 0;
		if (ct & LOOM_HTTP_C_WS)
			c->state = C_EXT_POST_NAME;
		else if (ch == '=')
			c->state = C_EXT_PRE_VAL;
		else if (ch == ';')
			c->state = C_EXT_PRE_NAME;
		else if (ch == '\r')
			c->state = C_SIZE_LF;
		else
			return -400;
		return 0;

	case C_EXT_PRE_VAL:
		if (ch == '"')
			c->state = C_EXT_QS;
		else if (ct & LOOM_HTTP_C_TCHAR)
			c->state = C_EXT_TOKVAL;
		else if (!(ct & LOOM_HTTP_C_WS))
			return -400;
		return 0;

	case C_EXT_TOKVAL:
	case C_EXT_POST_VAL:
		if (ct & LOOM_HTTP_C_TCHAR && c->state == C_EXT_TOKVAL)
			return 0;
		if (ct & LOOM_HTTP_C_WS)
			c->state = C_EXT_POST_VAL;
		else if (ch == ';')
			c->state = C_EXT_PRE_NAME;
		else if (ch == '\r')
			c->state = C_SIZE_LF;
		else
			return -400;
		return 0;

	case C_EXT_QS:
		if (ch == '"')
			c->state = C_EXT_POST_VAL;
		else if (ch == '\\')
			c->state = C_EXT_QS_ESC;
		else if (!(ct & LOOM_HTTP_C_QDTEXT))
			return -400;
		return 0;

	case C_EXT_QS_ESC:
		if (!(ct & LOOM_HTTP_C_VALUE))
			return -400;
		c->state = C_EXT_QS;
		return 0;

	case C_SIZE_LF:
		if (ch != '\n')
			return -400;
		if (c->remaining) {
			c->state = C_DATA;
			return 0;
		}
		c->state = C_TR_START;	/* the last chunk: the trailer follows */
		c->trailer_bytes = 0;
		return 0;

	case C_DATA_CR:
		if (ch != '\r')
			return -400;	/* chunk data longer than its size */
		c->state = C_DATA_LF;
		return 0;

	case C_DATA_LF:
		if (ch != '\n')
			return -400;
		c->state = C_SIZE0;
		c->digits = 0;
		c->line_bytes = 0;
		c->remaining = 0;
		return 0;

	case C_TR_START:
		if (ch == '\r')
			c->state = C_END_LF;
		else if (ct & LOOM_HTTP_C_TCHAR)
			c->state = C_TR_NAME;
		else
			return -400;	/* obs-fold, bare LF, or not a field name */
		return 0;

	case C_TR_NAME:
		if (ch == ':')
			c->state = C_TR_VALUE;
		else if (!(ct & LOOM_HTTP_C_TCHAR))
			return -400;
		return 0;

	case C_TR_VALUE:
		if (ch == '\r')
			c->state = C_TR_LF;
		else if (!(ct & LOOM_HTTP_C_VALUE))
			return -400;
		return 0;

	case C_TR_LF:
		if (ch != '\n')
			return -400;
		c->state = C_TR_START;
		return 0;

	case C_END_LF:
		if (ch != '\n')
			return -400;
		c->state = C_DONE;
		return LOOM_HP_DONE;
	}

	return -400;
}

int
loom__http_chunked_decode(struct loom_http_chunked *c, const uint8_t *in, size_t len,
			  size_t *used,
			  int (*data_cb)(void *user, const uint8_t *data, size_t len),
			  void *user)
{
	const uint8_t *s = in, *end;
	int r;

	*used = 0;
	if (c->state == C_DONE)
		return LOOM_HP_DONE;
	if (c->state == C_ERROR)
		return -400;
	if (!len)
		return LOOM_HP_MORE;
	end = in + len;

	while (s < end) {
		if (c->state == C_DATA) {
			size_t n = (size_t)(end - s);

			if (n > c->remaining)
				n = (size_t)c->remaining;
			r = data_cb ? data_cb(user, s, n) : 0;
			s += n;
			c->remaining -= n;
			if (!c->remaining)
				c->state = C_DATA_CR;
			if (r) {
				*used = (size_t)(s - in);
				return r;
			}
			continue;
		}

		/* size lines and the trailer: bounded, byte by byte */
		if (c->state < C_DATA) {
			if (++c->line_bytes > LOOM_HTTP_CHUNK_LINE_MAX)
				goto bad;
		} else if (c->state >= C_TR_START &&
			   ++c->trailer_bytes > LOOM_HTTP_TRAILER_MAX)
			goto bad;

		r = line_byte(c, *s++);
		if (r < 0)
			goto bad;
		if (r == LOOM_HP_DONE) {
			*used = (size_t)(s - in);
			return LOOM_HP_DONE;
		}
	}
	*used = len;

	return LOOM_HP_MORE;

bad:
	c->state = C_ERROR;
	*used = (size_t)(s - in);

	return -400;
}
