/*
 * bench-ws.h: the few WebSocket pieces the benchmark tools need without the
 * library (test-apps/bench: loom-bench-loadgen --ws, loom-bench-floor-ws-echo):
 * SHA-1, base64 and the Sec-WebSocket-Accept value of RFC 6455 section 4.2.2.
 *
 * Header-only, static functions, C99.  Not a general SHA-1: it hashes at most
 * 119 bytes (a 24-character key plus the 36-character GUID is 60), which is all
 * a handshake needs.
 */
#ifndef BENCH_WS_H
#define BENCH_WS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BENCH_WS_GUID	"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static uint32_t
bench_rol32(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

/* SHA-1 (FIPS 180-4) of len <= 119 bytes into out[20] */
static void
bench_sha1_short(const unsigned char *msg, size_t len, unsigned char out[20])
{
	unsigned char blk[128];
	uint32_t h[5] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u,
			  0xc3d2e1f0u };
	uint32_t w[80], a, b, c, d, e, f, k, t;
	uint64_t bits = (uint64_t)len * 8;
	size_t nblk = len + 9 > 64 ? 2 : 1, i, j;

	memset(blk, 0, sizeof(blk));
	memcpy(blk, msg, len);
	blk[len] = 0x80;
	for (i = 0; i < 8; i++)
		blk[nblk * 64 - 1 - i] = (unsigned char)(bits >> (8 * i));

	for (j = 0; j < nblk; j++) {
		const unsigned char *p = blk + 64 * j;

		for (i = 0; i < 16; i++)
			w[i] = (uint32_t)p[4 * i] << 24 |
			       (uint32_t)p[4 * i + 1] << 16 |
			       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
		for (i = 16; i < 80; i++)
			w[i] = bench_rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^
					   w[i - 16], 1);
		a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4];
		for (i = 0; i < 80; i++) {
			if (i < 20) {
				f = (b & c) | (~b & d);
				k = 0x5a827999u;
			} else if (i < 40) {
				f = b ^ c ^ d;
				k = 0x6ed9eba1u;
			} else if (i < 60) {
				f = (b & c) | (b & d) | (c & d);
				k = 0x8f1bbcdcu;
			} else {
				f = b ^ c ^ d;
				k = 0xca62c1d6u;
			}
			t = bench_rol32(a, 5) + f + e + k + w[i];
			e = d;
			d = c;
			c = bench_rol32(b, 30);
			b = a;
			a = t;
		}
		h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
	}
	for (i = 0; i < 5; i++) {
		out[4 * i] = (unsigned char)(h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(h[i] >> 8);
		out[4 * i + 3] = (unsigned char)h[i];
	}
}

/* base64 of len bytes into out (4 * ((len + 2) / 3) + 1 bytes, NUL ended) */
static void
bench_base64(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*out++ = tab[in[i] >> 2];
		*out++ = tab[(in[i] & 3) << 4 | in[i + 1] >> 4];
		*out++ = tab[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		*out++ = tab[in[i + 2] & 63];
	}
	if (i < len) {
		*out++ = tab[in[i] >> 2];
		if (i + 1 < len) {
			*out++ = tab[(in[i] & 3) << 4 | in[i + 1] >> 4];
			*out++ = tab[(in[i + 1] & 15) << 2];
		} else {
			*out++ = tab[(in[i] & 3) << 4];
			*out++ = '=';
		}
		*out++ = '=';
	}
	*out = '\0';
}

/*
 * The Sec-WebSocket-Accept for key (klen <= 64 bytes) into out[29]; returns
 * -1 when the key is too long.
 */
static int
bench_ws_accept(const char *key, size_t klen, char out[29])
{
	unsigned char buf[64 + sizeof(BENCH_WS_GUID)], dig[20];

	if (klen > 64)
		return -1;
	memcpy(buf, key, klen);
	memcpy(buf + klen, BENCH_WS_GUID, sizeof(BENCH_WS_GUID) - 1);
	bench_sha1_short(buf, klen + sizeof(BENCH_WS_GUID) - 1, dig);
	bench_base64(dig, 20, out);
	return 0;
}

/*
 * Find header name (case-insensitive, "Name:" at a line start) in the request
 * or response hdr of len bytes; its value, trimmed, in *val / *vlen.  Returns
 * 0 when found.
 */
static int
bench_http_header(const char *hdr, size_t len, const char *name,
		  const char **val, size_t *vlen)
{
	size_t nl = strlen(name), i, j, e;

	for (i = 0; i + nl + 1 < len; i++) {
		if (i && hdr[i - 1] != '\n')
			continue;
		for (j = 0; j < nl; j++) {
			char a = hdr[i + j], b = name[j];

			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (b >= 'A' && b <= 'Z')
				b = (char)(b - 'A' + 'a');
			if (a != b)
				break;
		}
		if (j < nl || hdr[i + nl] != ':')
			continue;
		j = i + nl + 1;
		while (j < len && (hdr[j] == ' ' || hdr[j] == '\t'))
			j++;
		e = j;
		while (e < len && hdr[e] != '\r' && hdr[e] != '\n')
			e++;
		while (e > j && (hdr[e - 1] == ' ' || hdr[e - 1] == '\t'))
			e--;
		*val = hdr + j;
		*vlen = e - j;
		return 0;
	}
	return -1;
}

#endif
