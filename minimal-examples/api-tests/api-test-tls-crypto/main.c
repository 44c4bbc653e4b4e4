/*
 * api-test-tls-crypto: the generic crypto API against published test vectors
 * (FIPS 180 SHA-1 / SHA-256, RFC 4231 HMAC-SHA256), on whatever this build has:
 * the TLS backend's, or the built-in ones with LOOM_WITH_TLS=none.
 */
#include <loom.h>
#include "loom-test.h"

#include <stdio.h>
#include <string.h>

static int
hex_eq(const uint8_t *b, size_t len, const char *hex)
{
	char s[2 * 64 + 1];
	size_t n;

	for (n = 0; n < len; n++)
		sprintf(s + 2 * n, "%02x", b[n]);

	return !strcmp(s, hex);
}

int
main(void)
{
	static const char million_a_sha1[] = "34aa973cd4c4daa4f61eeb2bdbad27316534016f";
	uint8_t d[32], r1[32], r2[32], key[131];
	static uint8_t big[1000000];
	size_t n;

	printf("backend: %s\n", loom_tls_backend());
	LT_CHECK(!loom_sha1("abc", 3, d));
	LT_CHECK(hex_eq(d, 20, "a9993e364706816aba3e25717850c26c9cd0d89d"));
	LT_CHECK(!loom_sha1("", 0, d));
	LT_CHECK(hex_eq(d, 20, "da39a3ee5e6b4b0d3255bfef95601890afd80709"));
	LT_CHECK(!loom_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d));
	LT_CHECK(hex_eq(d, 20, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"));
	memset(big, 'a', sizeof(big));
	LT_CHECK(!loom_sha1(big, sizeof(big), d));
	LT_CHECK(hex_eq(d, 20, million_a_sha1));
	/* the WebSocket accept key of RFC 6455 section 1.3 */
	LT_CHECK(!loom_sha1("dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
			    60, d));
	LT_CHECK(hex_eq(d, 20, "b37a4f2cc0624f1690f64606cf385945b2bec4ea"));

	LT_CHECK(!loom_sha256("abc", 3, d));
	LT_CHECK(hex_eq(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	LT_CHECK(!loom_sha256("", 0, d));
	LT_CHECK(hex_eq(d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	LT_CHECK(!loom_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d));
	LT_CHECK(hex_eq(d, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));

	/* RFC 4231 test cases 2 and 6 (a key longer than the block) */
	LT_CHECK(!loom_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d));
	LT_CHECK(hex_eq(d, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
	memset(key, 0xaa, sizeof(key));
	LT_CHECK(!loom_hmac_sha256(key, sizeof(key),
				   "Test Using Larger Than Block-Size Key - Hash Key First",
				   54, d));
	LT_CHECK(hex_eq(d, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));

	LT_CHECK(!loom_random(r1, sizeof(r1)));
	LT_CHECK(!loom_random(r2, sizeof(r2)));
	LT_CHECK(memcmp(r1, r2, sizeof(r1)));
	for (n = 0; n < sizeof(r1) && !r1[n]; n++)
		;
	LT_CHECK(n < sizeof(r1));
	LT_CHECK_EQ(loom_sha1(NULL, 1, d), LOOM_EINVAL);
	LT_CHECK(strlen(loom_tls_verify_text(LOOM_TLS_VERIFY_EXPIRED)) > 0);
	LT_CHECK(strstr(loom_tls_verify_text(LOOM_TLS_VERIFY_WRONG_HOST), "wrong host"));

	return lt_result("api-test-tls-crypto");
}
