/*
 * sha1.c: SHA-1 (FIPS 180-4) and base64 (RFC 4648), just what the WebSocket
 * handshake needs for Sec-WebSocket-Accept; small and independent of any TLS build.
 */
#include "roles/ws/private-ws.h"

#include <string.h>

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static void
sha1_block(uint32_t st[5], const uint8_t *b)
{
	uint32_t w[80], a = st[0], bb = st[1], c = st[2], d = st[3], e = st[4], t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	for (; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
		uint32_t f, k;

		if (i < 20) {
			f = (bb & c) | (~bb & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = bb ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (bb & c) | (bb & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = bb ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = ROL(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = ROL(bb, 30);
		bb = a;
		a = t;
	}
	st[0] += a;
	st[1] += bb;
	st[2] += c;
	st[3] += d;
	st[4] += e;
}

void
loom__ws_sha1(const uint8_t *in, size_t len, uint8_t out[20])
{
	uint32_t st[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	uint8_t blk[64];
	uint64_t bits = (uint64_t)len * 8;
	size_t n = len, r;
	int i;

	while (n >= 64) {
		sha1_block(st, in);
		in += 64;
		n -= 64;
	}
	memset(blk, 0, sizeof(blk));
	memcpy(blk, in, n);
	blk[n] = 0x80;
	r = n + 1;
	if (r > 56) {
		sha1_block(st, blk);
		memset(blk, 0, sizeof(blk));
	}
	for (i = 0; i < 8; i++)
		blk[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha1_block(st, blk);
	for (i = 0; i < 20; i++)
		out[i] = (uint8_t)(st[i / 4] >> (24 - 8 * (i & 3)));
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
loom__ws_b64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t o = 0, i;

	for (i = 0; i + 2 < len; i += 3) {
		out[o++] = b64[in[i] >> 2];
		out[o++] = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		out[o++] = b64[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		out[o++] = b64[in[i + 2] & 63];
	}
	if (i < len) {
		out[o++] = b64[in[i] >> 2];
		if (i + 1 < len) {
			out[o++] = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			out[o++] = b64[(in[i + 1] & 15) << 2];
		} else {
			out[o++] = b64[(in[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';

	return o;
}

static int
b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int
loom__ws_b64_decode(const char *in, size_t len, uint8_t *out, size_t out_len)
{
	size_t i, o = 0;
	uint32_t acc = 0;
	int bits = 0, pad = 0;

	if (len % 4)
		return -1;
	for (i = 0; i < len; i++) {
		int v;

		if (in[i] == '=') {
			if (i < len - 2)
				return -1;
			pad++;
			continue;
		}
		if (pad)
			return -1;
		v = b64_val(in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= out_len)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}

	return (int)o;
}

void
loom__ws_accept_for_key(const char *key, size_t key_len, char out[29])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	uint8_t buf[128 + sizeof(guid)], h[20];

	if (key_len > 128)
		key_len = 128;
	memcpy(buf, key, key_len);
	memcpy(buf + key_len, guid, sizeof(guid) - 1);
	loom__ws_sha1(buf, key_len + sizeof(guid) - 1, h);
	loom__ws_b64_encode(h, 20, out);
}
