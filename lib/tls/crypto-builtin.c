/*
 * crypto-builtin.c: SHA-1, SHA-256 and HMAC-SHA256 for builds without a TLS
 * backend (LOOM_WITH_TLS=none), so the WebSocket handshake and signed tokens work
 * anywhere. Small and portable rather than fast: a handshake hashes ~60 bytes.
 */
#include "core/private-core.h"
#include "misc/private-bytes.h"

int
loom__builtin_sha1(const void *in, size_t len, uint8_t *out);
int
loom__builtin_sha256(const void *in, size_t len, uint8_t *out);
int
loom__builtin_hmac_sha256(const void *key, size_t klen, const void *in, size_t len,
			  uint8_t *out);

#define ROL32(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/*
 * Both hashes use the same Merkle-Damgard padding over 64-byte blocks: feed the
 * whole blocks, then one or two padded tail blocks ending in the bit length.
 */
typedef void (*block_fn)(uint32_t *h, const uint8_t *b);

static void
md_hash(block_fn block, uint32_t *h, const uint8_t *in, size_t len)
{
	uint8_t tail[128];
	size_t rest = len % 64, n, pad;
	uint64_t bits = (uint64_t)len * 8;

	for (n = 0; n + 64 <= len; n += 64)
		block(h, in + n);
	memset(tail, 0, sizeof(tail));
	if (rest)
		memcpy(tail, in + len - rest, rest);
	tail[rest] = 0x80;
	pad = rest < 56 ? 64 : 128;
	for (n = 0; n < 8; n++)
		tail[pad - 1 - n] = (uint8_t)(bits >> (8 * n));
	block(h, tail);
	if (pad == 128)
		block(h, tail + 64);
}

static void
sha1_block(uint32_t *h, const uint8_t *b)
{
	uint32_t w[80], a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], t, f, k;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = loom__be32(b + 4 * i);
	for (; i < 80; i++)
		w[i] = ROL32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
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
		t = ROL32(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = ROL32(bb, 30);
		bb = a;
		a = t;
	}
	h[0] += a;
	h[1] += bb;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

int
loom__builtin_sha1(const void *in, size_t len, uint8_t *out)
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	int i;

	md_hash(sha1_block, h, in, len);
	for (i = 0; i < 5; i++)
		loom__put_be32(out + 4 * i, h[i]);

	return 0;
}

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static void
sha256_block(uint32_t *h, const uint8_t *b)
{
	uint32_t w[64], s[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = loom__be32(b + 4 * i);
	for (; i < 64; i++)
		w[i] = w[i - 16] + w[i - 7] +
		       (ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       (ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(s, h, sizeof(s));
	for (i = 0; i < 64; i++) {
		t1 = s[7] + (ROR32(s[4], 6) ^ ROR32(s[4], 11) ^ ROR32(s[4], 25)) +
		     ((s[4] & s[5]) ^ (~s[4] & s[6])) + sha256_k[i] + w[i];
		t2 = (ROR32(s[0], 2) ^ ROR32(s[0], 13) ^ ROR32(s[0], 22)) +
		     ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
		memmove(s + 1, s, 7 * sizeof(s[0]));
		s[4] += t1;
		s[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += s[i];
}

int
loom__builtin_sha256(const void *in, size_t len, uint8_t *out)
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	int i;

	md_hash(sha256_block, h, in, len);
	for (i = 0; i < 8; i++)
		loom__put_be32(out + 4 * i, h[i]);

	return 0;
}

/* HMAC (RFC 2104) needs H(k ^ ipad || m): one buffer of 64 + len bytes */
int
loom__builtin_hmac_sha256(const void *key, size_t klen, const void *in, size_t len,
			  uint8_t *out)
{
	uint8_t k[64], outer[64 + 32], *inner;
	size_t n;

	memset(k, 0, sizeof(k));
	if (klen > 64)
		loom__builtin_sha256(key, klen, k);
	else if (klen)
		memcpy(k, key, klen);
	inner = loom_malloc(64 + len, "hmac");
	if (!inner)
		return LOOM_ENOMEM;
	for (n = 0; n < 64; n++) {
		inner[n] = k[n] ^ 0x36;
		outer[n] = k[n] ^ 0x5c;
	}
	if (len)
		memcpy(inner + 64, in, len);
	loom__builtin_sha256(inner, 64 + len, outer + 64);
	loom_free(inner);
	loom__builtin_sha256(outer, sizeof(outer), out);

	return 0;
}
