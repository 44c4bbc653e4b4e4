/*
 * deflate.c: permessage-deflate (RFC 7692) with zlib: the extension negotiation,
 * and messages deflated / inflated with context takeover or not. Inflating is
 * bounded: output goes out in fixed pieces, and a message past the limit fails
 * with 1009 before it takes memory (a decompression bomb costs one piece).
 * Without zlib (LOOM_WITH_ZLIB unset) the extension is never negotiated.
 */
#include "core/private-core.h"
#include "roles/ws/private-ws.h"

#include <stdio.h>

static int
tok_eq(const char *s, size_t l, const char *t)
{
	return strlen(t) == l && !strncmp(s, t, l);
}

static const char *
skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;

	return p;
}

/* "8".."15", maybe quoted; -1 when not */
static int
wbits(const char *v, size_t l)
{
	if (l >= 2 && v[0] == '"' && v[l - 1] == '"') {
		v++;
		l -= 2;
	}
	if (l == 1 && v[0] >= '8' && v[0] <= '9')
		return v[0] - '0';
	if (l == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
		return 10 + v[1] - '0';

	return -1;
}

int
loom__ws_pmd_parse(const char *s, size_t len, int is_answer,
		   struct loom_ws_pmd_params *pp, int *client_wbits_offered)
{
	const char *p = s, *e = s + len, *t;
	uint8_t seen = 0;

	memset(pp, 0, sizeof(*pp));
	pp->server_max_wbits = pp->client_max_wbits = 15;
	*client_wbits_offered = 0;
	p = skip_ws(p, e);
	t = p;
	while (p < e && *p != ';' && *p != ' ' && *p != '\t')
		p++;
	if (!tok_eq(t, (size_t)(p - t), "permessage-deflate"))
		return -1;
	for (;;) {
		const char *n, *v = NULL;
		size_t nl, vl = 0;
		int b, bit;

		p = skip_ws(p, e);
		if (p >= e)
			break;
		if (*p != ';')
			return -1;
		p = skip_ws(p + 1, e);
		n = p;
		while (p < e && *p != ';' && *p != '=' && *p != ' ' && *p != '\t')
			p++;
		nl = (size_t)(p - n);
		p = skip_ws(p, e);
		if (p < e && *p == '=') {
			p = skip_ws(p + 1, e);
			v = p;
			while (p < e && *p != ';' && *p != ' ' && *p != '\t')
				p++;
			vl = (size_t)(p - v);
		}
		if (tok_eq(n, nl, "server_no_context_takeover") && !v) {
			bit = 1;
			pp->server_no_takeover = 1;
		} else if (tok_eq(n, nl, "client_no_context_takeover") && !v) {
			bit = 2;
			pp->client_no_takeover = 1;
		} else if (tok_eq(n, nl, "server_max_window_bits") && v) {
			bit = 4;
			b = wbits(v, vl);
			if (b < 0)
				return -1;
			pp->server_max_wbits = (uint8_t)b;
		} else if (tok_eq(n, nl, "client_max_window_bits")) {
			bit = 8;
			*client_wbits_offered = 1;
			if (v) {
				b = wbits(v, vl);
				if (b < 0)
					return -1;
				pp->client_max_wbits = (uint8_t)b;
			} else if (is_answer)
				return -1;
		} else
			return -1;
		if (seen & bit)
			return -1;	/* a parameter twice */
		seen = (uint8_t)(seen | bit);
	}

	return 0;
}

#if defined(LOOM_WITH_ZLIB)

#include <zlib.h>

#define PMD_CHUNK 16384

struct loom_ws_pmd {
	z_stream inf, def;
	struct loom_ws_pmd_params pp;
	uint8_t *obuf;			/* deflate output, with headroom */
	size_t obuf_len;
	uint64_t msg_out;		/* inflated bytes of this message */
	uint8_t chunk[PMD_CHUNK];
	uint8_t server;
	uint8_t inf_ok, def_ok;
};

int
loom__ws_pmd_available(void)
{
	return 1;
}

size_t
loom__ws_pmd_negotiate(const char *hdr, size_t len, char *out, size_t out_len,
		       struct loom_ws_pmd_params *pp)
{
	const char *cur = hdr, *e = hdr + len;

	out[0] = '\0';
	while (cur < e) {
		const char *s = cur;
		int cwb, n;

		while (cur < e && *cur != ',')
			cur++;
		if (loom__ws_pmd_parse(s, (size_t)(cur - s), 0, pp, &cwb) ||
		    pp->server_max_wbits < 9 || pp->client_max_wbits < 9) {
			/* zlib cannot make an 8-bit window: the next offer, maybe */
			if (cur < e)
				cur++;
			continue;
		}
		n = snprintf(out, out_len, "permessage-deflate%s%s",
			     pp->server_no_takeover ? "; server_no_context_takeover" : "",
			     pp->client_no_takeover ? "; client_no_context_takeover" : "");
		if (pp->server_max_wbits != 15)
			n += snprintf(out + n, out_len - (size_t)n,
				      "; server_max_window_bits=%u", pp->server_max_wbits);
		if (cwb && pp->client_max_wbits != 15)
			n += snprintf(out + n, out_len - (size_t)n,
				      "; client_max_window_bits=%u", pp->client_max_wbits);
		return (size_t)n;
	}
	out[0] = '\0';

	return 0;
}

struct loom_ws_pmd *
loom__ws_pmd_create(const struct loom_ws_pmd_params *pp, int server)
{
	struct loom_ws_pmd *pmd = loom_zalloc(sizeof(*pmd), "ws pmd");
	int wb;

	if (!pmd)
		return NULL;
	pmd->pp = *pp;
	pmd->server = (uint8_t)!!server;
	/* a 15-bit window inflates any smaller one */
	if (inflateInit2(&pmd->inf, -15) != Z_OK) {
		loom_free(pmd);
		return NULL;
	}
	pmd->inf_ok = 1;
	wb = server ? pp->server_max_wbits : pp->client_max_wbits;
	if (wb < 9)
		wb = 9;
	if (deflateInit2(&pmd->def, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -wb, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		loom__ws_pmd_destroy(pmd);
		return NULL;
	}
	pmd->def_ok = 1;

	return pmd;
}

void
loom__ws_pmd_destroy(struct loom_ws_pmd *pmd)
{
	if (!pmd)
		return;
	if (pmd->inf_ok)
		inflateEnd(&pmd->inf);
	if (pmd->def_ok)
		deflateEnd(&pmd->def);
	loom_free(pmd->obuf);
	loom_free(pmd);
}

/* inflate what inf holds as input; pieces to cb; -1009 past max_out */
static int
pmd_drain(struct loom_ws_pmd *pmd, uint64_t max_out, int last,
	  int (*cb)(void *user, const uint8_t *out, size_t olen, int last), void *user)
{
	int r;

	for (;;) {
		size_t got;

		pmd->inf.next_out = pmd->chunk;
		pmd->inf.avail_out = PMD_CHUNK;
		r = inflate(&pmd->inf, Z_SYNC_FLUSH);
		if (r != Z_OK && r != Z_BUF_ERROR && r != Z_STREAM_END)
			return -1007;
		got = PMD_CHUNK - pmd->inf.avail_out;
		pmd->msg_out += got;
		if (max_out && pmd->msg_out > max_out)
			return -1009;
		if (pmd->inf.avail_out) {
			/* all input used: this may be the message's last piece */
			if (got || last) {
				if (cb(user, pmd->chunk, got, last))
					return -1;
			}
			return 0;
		}
		if (cb(user, pmd->chunk, got, 0))
			return -1;
	}
}

int
loom__ws_pmd_inflate(struct loom_ws_pmd *pmd, const uint8_t *in, size_t len, int end,
		     uint64_t max_out,
		     int (*cb)(void *user, const uint8_t *out, size_t olen, int last),
		     void *user)
{
	static const uint8_t tail[4] = { 0, 0, 0xff, 0xff };
	int r;

	pmd->inf.next_in = (Bytef *)(uintptr_t)in;
	pmd->inf.avail_in = (uInt)len;
	r = pmd_drain(pmd, max_out, 0, cb, user);
	if (r || !end)
		return r;
	/* the message ends: the flush marker the sender took off goes back on */
	pmd->inf.next_in = (Bytef *)(uintptr_t)tail;
	pmd->inf.avail_in = 4;
	r = pmd_drain(pmd, max_out, 1, cb, user);
	pmd->msg_out = 0;
	if (!r && (pmd->server ? pmd->pp.client_no_takeover : pmd->pp.server_no_takeover))
		inflateReset(&pmd->inf);

	return r;
}

int
loom__ws_pmd_deflate(struct loom_ws_pmd *pmd, const uint8_t *in, size_t len, int end,
		     uint8_t **out, size_t *olen, size_t headroom)
{
	size_t need = headroom + deflateBound(&pmd->def, (uLong)len) + 16, o = headroom;
	int r;

	if (need > pmd->obuf_len) {
		uint8_t *nb = loom_realloc(pmd->obuf, need, "ws pmd out");

		if (!nb)
			return LOOM_ENOMEM;
		pmd->obuf = nb;
		pmd->obuf_len = need;
	}
	pmd->def.next_in = (Bytef *)(uintptr_t)in;
	pmd->def.avail_in = (uInt)len;
	do {
		if (o == pmd->obuf_len) {
			uint8_t *nb = loom_realloc(pmd->obuf, pmd->obuf_len * 2,
						   "ws pmd out");

			if (!nb)
				return LOOM_ENOMEM;
			pmd->obuf = nb;
			pmd->obuf_len *= 2;
		}
		pmd->def.next_out = pmd->obuf + o;
		pmd->def.avail_out = (uInt)(pmd->obuf_len - o);
		r = deflate(&pmd->def, Z_SYNC_FLUSH);
		if (r != Z_OK && r != Z_BUF_ERROR)
			return LOOM_EINVAL;
		o = pmd->obuf_len - pmd->def.avail_out;
	} while (!pmd->def.avail_out || pmd->def.avail_in);

	if (end) {
		/* RFC 7692 7.2.1: the final 00 00 ff ff is not sent */
		if (o - headroom >= 4 && !memcmp(pmd->obuf + o - 4, "\0\0\xff\xff", 4))
			o -= 4;
		if (o == headroom)
			/* nothing new to flush (an empty message): an empty stored
			 * block's first byte, so the peer's added tail parses */
			pmd->obuf[o++] = 0;
		if (pmd->server ? pmd->pp.server_no_takeover : pmd->pp.client_no_takeover)
			deflateReset(&pmd->def);
	}
	*out = pmd->obuf + headroom;
	*olen = o - headroom;

	return 0;
}

#else /* no zlib */

int
loom__ws_pmd_available(void)
{
	return 0;
}

size_t
loom__ws_pmd_negotiate(const char *hdr, size_t len, char *out, size_t out_len,
		       struct loom_ws_pmd_params *pp)
{
	out[0] = '\0';

	return 0;
}

struct loom_ws_pmd *
loom__ws_pmd_create(const struct loom_ws_pmd_params *pp, int server)
{
	return NULL;
}

void
loom__ws_pmd_destroy(struct loom_ws_pmd *pmd)
{
}

int
loom__ws_pmd_inflate(struct loom_ws_pmd *pmd, const uint8_t *in, size_t len, int end,
		     uint64_t max_out,
		     int (*cb)(void *user, const uint8_t *out, size_t olen, int last),
		     void *user)
{
	return -1002;
}

int
loom__ws_pmd_deflate(struct loom_ws_pmd *pmd, const uint8_t *in, size_t len, int end,
		     uint8_t **out, size_t *olen, size_t headroom)
{
	return LOOM_EUNSUPP;
}

#endif
