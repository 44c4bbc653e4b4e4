/*
 * crypto.c: the generic crypto API (random, SHA-1, SHA-256, HMAC-SHA256) and the
 * TLS texts every build has. With a backend the work goes to its ops; with
 * LOOM_WITH_TLS=none to crypto-builtin.c and the platform's random source.
 */
#include "core/private-core.h"
#include "tls/private-tls.h"

/* crypto-builtin.c (LOOM_WITH_TLS=none) */
int
loom__builtin_sha1(const void *in, size_t len, uint8_t *out);
int
loom__builtin_sha256(const void *in, size_t len, uint8_t *out);
int
loom__builtin_hmac_sha256(const void *key, size_t klen, const void *in, size_t len,
			  uint8_t *out);

const char *
loom_tls_verify_text(enum loom_tls_verify_result r)
{
	switch (r) {
	case LOOM_TLS_VERIFY_OK:
		return "certificate verified";
	case LOOM_TLS_VERIFY_EXPIRED:
		return "certificate has expired";
	case LOOM_TLS_VERIFY_NOT_YET_VALID:
		return "certificate is not yet valid";
	case LOOM_TLS_VERIFY_WRONG_HOST:
		return "certificate is for another host (wrong host)";
	case LOOM_TLS_VERIFY_UNKNOWN_CA:
		return "certificate issuer is not trusted (unknown CA)";
	case LOOM_TLS_VERIFY_SELF_SIGNED:
		return "certificate is self-signed and not trusted";
	case LOOM_TLS_VERIFY_NO_CERT:
		return "peer sent no certificate";
	default:
		break;
	}

	return "certificate verification failed";
}

void
loom__tls_lib_init(void)
{
#if defined(LOOM_WITH_TLS)
	if (loom_tls_be->lib_init)
		loom_tls_be->lib_init();
#endif
}

const char *
loom_tls_backend(void)
{
#if defined(LOOM_WITH_TLS)
	return loom_tls_be->name;
#else
	return "none";
#endif
}

int
loom_random(void *buf, size_t len)
{
#if defined(LOOM_WITH_TLS)
	loom__tls_lib_init();
	return loom_tls_be->random(NULL, buf, len);
#else
	return loom__plat_random(buf, len) ? LOOM_EUNSUPP : 0;
#endif
}

int
loom_sha1(const void *in, size_t len, uint8_t out[LOOM_SHA1_LEN])
{
	if ((!in && len) || !out)
		return LOOM_EINVAL;
#if defined(LOOM_WITH_TLS)
	loom__tls_lib_init();
	return loom_tls_be->sha1(in, len, out);
#else
	return loom__builtin_sha1(in, len, out);
#endif
}

int
loom_sha256(const void *in, size_t len, uint8_t out[LOOM_SHA256_LEN])
{
	if ((!in && len) || !out)
		return LOOM_EINVAL;
#if defined(LOOM_WITH_TLS)
	loom__tls_lib_init();
	return loom_tls_be->sha256(in, len, out);
#else
	return loom__builtin_sha256(in, len, out);
#endif
}

int
loom_hmac_sha256(const void *key, size_t key_len, const void *in, size_t len,
		 uint8_t out[LOOM_SHA256_LEN])
{
	if ((!key && key_len) || (!in && len) || !out)
		return LOOM_EINVAL;
#if defined(LOOM_WITH_TLS)
	loom__tls_lib_init();
	return loom_tls_be->hmac_sha256(key, key_len, in, len, out);
#else
	return loom__builtin_hmac_sha256(key, key_len, in, len, out);
#endif
}

#if !defined(LOOM_WITH_TLS)
int
loom_conn_is_tls(const struct loom_conn *conn)
{
	return 0;
}

const char *
loom_tls_alpn(const struct loom_conn *conn)
{
	return NULL;
}
#endif
