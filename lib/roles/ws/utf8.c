/*
 * utf8.c: incremental UTF-8 validation (RFC 3629): a message's text may be split
 * anywhere, even inside a character, so the state carries over between pieces.
 */
#include "roles/ws/private-ws.h"

#include <string.h>

int
loom__utf8_feed(struct loom_utf8 *u, const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];

		if (u->need) {
			if (c < u->lo || c > u->hi)
				return -1;
			u->need--;
			u->lo = 0x80;
			u->hi = 0xbf;
			i++;
			continue;
		}
		if (c < 0x80) {
			/* ASCII runs, eight bytes at a time */
			while (i + 8 <= len) {
				uint64_t w;

				memcpy(&w, p + i, 8);
				if (w & 0x8080808080808080ull)
					break;
				i += 8;
			}
			if (i < len && p[i] < 0x80)
				i++;
			continue;
		}
		u->lo = 0x80;
		u->hi = 0xbf;
		if (c < 0xc2)
			return -1;	/* continuation byte or overlong 2-byte lead */
		if (c < 0xe0)
			u->need = 1;
		else if (c < 0xf0) {
			u->need = 2;
			if (c == 0xe0)
				u->lo = 0xa0;	/* overlong */
			else if (c == 0xed)
				u->hi = 0x9f;	/* surrogates */
		} else if (c < 0xf5) {
			u->need = 3;
			if (c == 0xf0)
				u->lo = 0x90;	/* overlong */
			else if (c == 0xf4)
				u->hi = 0x8f;	/* above U+10FFFF */
		} else
			return -1;
		i++;
	}

	return 0;
}
