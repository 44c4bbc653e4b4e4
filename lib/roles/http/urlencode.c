/*
 * urlencode.c: %-decoding of URL parts and the normalization of a request path
 * into one that names a place at or below "/": what a file server may look up.
 */
#include <limits.h>
#include <string.h>

#include "roles/http/private-http-parser.h"

static inline int
hexval(unsigned char ch)
{
	if ((unsigned int)(ch - '0') < 10u)
		return ch - '0';
	ch |= 0x20;
	if ((unsigned int)(ch - 'a') < 6u)
		return ch - 'a' + 10;

	return -1;
}

/* decode the %XX at in[i] (in[i] == '%'); -1 if malformed or NUL */
static int
pct(const char *in, size_t len, size_t i)
{
	int hi, lo;

	if (len - i < 3)
		return -1;
	hi = hexval((unsigned char)in[i + 1]);
	lo = hexval((unsigned char)in[i + 2]);
	if (hi < 0 || lo < 0 || !(hi | lo))
		return -1;

	return hi << 4 | lo;
}

int
loom_urldecode(const char *in, size_t len, char *out, size_t out_len, int plus_is_space)
{
	size_t i, o = 0;
	int c;

	if (!out || !out_len)
		return -1;
	if (!in && len)
		goto fail;
	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (c == '%') {
			if ((c = pct(in, len, i)) < 0)
				goto fail;
			i += 2;
		} else if (c == '+' && plus_is_space)
			c = ' ';
		else if (!c)
			goto fail;
		if (out_len - o < 2 || o >= INT_MAX)
			goto fail;
		out[o++] = (char)c;
	}
	out[o] = '\0';

	return (int)o;

fail:
	out[0] = '\0';

	return -1;
}

/*
 * Segment by segment (RFC 3986 5.2.4 on the decoded segments): out always holds
 * "/" or "/a/b/" while working, each segment is decoded where it would go, then
 * kept, dropped (empty or "."), or undoes the one before it (".."). A decoded
 * "..", "%2e%2e" included, is the same as a literal one. Besides what http.h
 * says, a raw '?' ends the path (what follows is the query), and a raw or
 * decoded '\', CTL or DEL, and a raw '#', are refused: none belongs in a file
 * name we serve, and a CR/LF would reach any Location header built from it.
 */
int
loom_http_normalize_path(const char *in, size_t len, char *out, size_t out_len)
{
	size_t i = 0, o = 1, seg;
	int c;

	if (!out || !out_len)
		return -1;
	if (!in || !len || in[0] != '/' || out_len < 2)
		goto fail;
	out[0] = '/';

	while (i < len && in[i] != '?') {
		if (in[i] == '/') {
			i++;
			continue;	/* "//" collapses */
		}
		/* decode one segment to out + o */
		seg = o;
		while (i < len && in[i] != '/' && in[i] != '?') {
			c = (unsigned char)in[i];
			if (c == '%') {
				if ((c = pct(in, len, i)) < 0 || c == '/')
					goto fail;
				i += 2;
			} else if (c == '#')
				goto fail;
			i++;
			if (c < 0x20 || c == 0x7f || c == '\\')
				goto fail;
			if (seg >= out_len - 1)	/* room for it and the NUL */
				goto fail;
			out[seg++] = (char)c;
		}
		seg -= o;
		if (seg == 1 && out[o] == '.')
			continue;
		if (seg == 2 && out[o] == '.' && out[o + 1] == '.') {
			if (o == 1)
				goto fail;	/* above the root */
			o--;			/* drop the previous segment */
			while (out[o - 1] != '/')
				o--;
			continue;
		}
		o += seg;
		if (i < len && in[i] == '/') {
			if (o >= out_len - 1)
				goto fail;
			out[o++] = '/';
		} else {
			out[o] = '\0';	/* ends on a name: no trailing '/' */
			return (int)o;
		}
	}
	out[o] = '\0';

	return o > INT_MAX ? -1 : (int)o;

fail:
	out[0] = '\0';

	return -1;
}
