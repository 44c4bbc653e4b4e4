/*
 * mbedtls-tls.c: the TLS ops on mbedTLS 2.28 (Debian 12), with the 3.x API
 * differences behind MBEDTLS_VERSION_NUMBER checks. Sessions do their socket I/O
 * through our own send/recv callbacks; a context-wide CTR-DRBG feeds them.
 */
#include "core/private-core.h"
#include "tls/private-tls.h"

#include <mbedtls/version.h>
#if MBEDTLS_VERSION_NUMBER < 0x03000000
#include <mbedtls/config.h>
#include <mbedtls/certs.h>
#endif
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

#include <stdio.h>
#include "plat/private-sockets.h"	/* recv(MSG_PEEK): the OS's or lwIP's */

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define LOOM_MBED_PK_PARSE_KEY(pk, b, l, rng) \
	mbedtls_pk_parse_key(pk, b, l, NULL, 0, mbedtls_ctr_drbg_random, rng)
#define LOOM_MBED_PK_PARSE_KEYFILE(pk, p, rng) \
	mbedtls_pk_parse_keyfile(pk, p, NULL, mbedtls_ctr_drbg_random, rng)
#define LOOM_MBED_SHA256(in, len, out) mbedtls_sha256(in, len, out, 0)
#define LOOM_MBED_SHA1(in, len, out) mbedtls_sha1(in, len, out)
#else
#define LOOM_MBED_PK_PARSE_KEY(pk, b, l, rng) mbedtls_pk_parse_key(pk, b, l, NULL, 0)
#define LOOM_MBED_PK_PARSE_KEYFILE(pk, p, rng) mbedtls_pk_parse_keyfile(pk, p, NULL)
#define LOOM_MBED_SHA256(in, len, out) mbedtls_sha256_ret(in, len, out, 0)
#define LOOM_MBED_SHA1(in, len, out) mbedtls_sha1_ret(in, len, out)
#endif

#define LOOM_MBED_MAX_ALPN 8

/* TLS 1.2: forward secret AEAD suites only */
static const int loom_mbed_default_suites[] = {
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
	0
};

struct loom_mbed_rng {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

/* what a server vhost or a client context holds */
struct loom_mbed_conf {
	mbedtls_ssl_config conf;
	mbedtls_x509_crt cert;		/* own certificate and chain */
	mbedtls_pk_context key;
	mbedtls_x509_crt ca;		/* trusted: client CAs (server) or servers' */
	mbedtls_ssl_ticket_context ticket;
	char *alpn_buf;
	const char *alpn[LOOM_MBED_MAX_ALPN + 1];
	int suites[64];
	mbedtls_ecp_group_id groups[8];
	int authmode;
	uint8_t has_cert, has_ca, has_ticket;
};

/* a session: the ssl context first, so callbacks can find the rest */
struct loom_mbed_sess {
	mbedtls_ssl_context ssl;
	struct loom_tls_conn *t;
	int fd;
	uint8_t setup_done;		/* mbedtls_ssl_setup() ran */
	uint8_t leaf_self_signed;
	uint8_t ip_len;
	uint8_t ip[16];
};

/* ---- mbedTLS's allocations through the allocator hook ---- */

/*
 * Only where mbedTLS was built with MBEDTLS_PLATFORM_MEMORY (Debian's 2.28 is
 * not: there its blocks come from the C library's calloc() and free()). As with
 * OpenSSL, the library is bound once, at Loom's first use of it, to the allocator
 * the user installed, and keeps it for the rest of the process.
 */
#if defined(MBEDTLS_PLATFORM_MEMORY)
#include <mbedtls/platform.h>

static loom_realloc_fn loom_mbed_alloc;

static void *
loom_mbed_calloc(size_t n, size_t size)
{
	void *p;

	if (!n || !size || n > (size_t)-1 / size)
		return NULL;
	p = loom_mbed_alloc(NULL, n * size, "mbedtls");
	if (p)
		memset(p, 0, n * size);

	return p;
}

static void
loom_mbed_free(void *p)
{
	if (p)
		loom_mbed_alloc(p, 0, "mbedtls");
}

static void
loom_mbed_lib_init(void)
{
	static volatile int done;
	loom_realloc_fn fn;

	if (done)
		return;
	done = 1;
	fn = loom__allocator_user();
	if (!fn)
		return;
	loom_mbed_alloc = fn;
	mbedtls_platform_set_calloc_free(loom_mbed_calloc, loom_mbed_free);
	loom_log_info("tls: mbedTLS allocates through the allocator hook");
}
#endif

/* ---- errors ---- */

static const char *
loom_mbed_err(int r, char *buf, size_t len)
{
#if defined(MBEDTLS_ERROR_C)
	mbedtls_strerror(r, buf, len);
#else
	snprintf(buf, len, "mbedtls error -0x%04x", (unsigned int)-r);
#endif
	return buf;
}

static void
loom_mbed_log_err(const char *what, int r)
{
	char e[120];

	loom_log_err("tls: %s: %s", what, loom_mbed_err(r, e, sizeof(e)));
}

/* ---- context ---- */

static int
loom_mbed_init_context(struct loom_tls_context *tctx)
{
	struct loom_mbed_rng *rng = loom_zalloc(sizeof(*rng), "mbedtls rng");
	int r;

	if (!rng)
		return -1;
	mbedtls_entropy_init(&rng->entropy);
	mbedtls_ctr_drbg_init(&rng->drbg);
	r = mbedtls_ctr_drbg_seed(&rng->drbg, mbedtls_entropy_func, &rng->entropy,
				  (const unsigned char *)"loom", 4);
	if (r) {
		loom_mbed_log_err("seeding the DRBG", r);
		mbedtls_ctr_drbg_free(&rng->drbg);
		mbedtls_entropy_free(&rng->entropy);
		loom_free(rng);
		return -1;
	}
	tctx->be = rng;

	return 0;
}

static void
loom_mbed_destroy_context(struct loom_tls_context *tctx)
{
	struct loom_mbed_rng *rng = tctx->be;

	if (!rng)
		return;
	mbedtls_ctr_drbg_free(&rng->drbg);
	mbedtls_entropy_free(&rng->entropy);
	loom_free(rng);
	tctx->be = NULL;
}

/* ---- loading ---- */

/* mbedTLS parses PEM only with the terminating NUL counted in the length */
static int
loom_mbed_crt_mem(mbedtls_x509_crt *crt, const uint8_t *mem, size_t len)
{
	uint8_t *b = loom_malloc(len + 1, "pem");
	int r;

	if (!b)
		return -1;
	memcpy(b, mem, len);
	b[len] = '\0';
	r = mbedtls_x509_crt_parse(crt, b, strlen((char *)b) + 1);
	loom_free(b);

	return r;
}

static int
loom_mbed_key_mem(mbedtls_pk_context *pk, const uint8_t *mem, size_t len, void *rng)
{
	uint8_t *b = loom_malloc(len + 1, "pem");
	int r;

	if (!b)
		return -1;
	memcpy(b, mem, len);
	b[len] = '\0';
	r = LOOM_MBED_PK_PARSE_KEY(pk, b, strlen((char *)b) + 1, rng);
	loom_free(b);

	return r;
}

static int
loom_mbed_cert_key(struct loom_mbed_conf *mc, const char *cert_path,
		   const uint8_t *cert_mem, size_t cert_len, const char *key_path,
		   const uint8_t *key_mem, size_t key_len, void *rng)
{
	int r = cert_path ? mbedtls_x509_crt_parse_file(&mc->cert, cert_path) :
			    loom_mbed_crt_mem(&mc->cert, cert_mem, cert_len);

	if (r) {
		loom_mbed_log_err(cert_path ? cert_path : "certificate in memory", r);
		return -1;
	}
	r = key_path ? LOOM_MBED_PK_PARSE_KEYFILE(&mc->key, key_path, rng) :
		       loom_mbed_key_mem(&mc->key, key_mem, key_len, rng);
	if (r) {
		loom_mbed_log_err(key_path ? key_path : "key in memory", r);
		return -1;
	}
	/* own_cert takes any pair: a key of another certificate would fail every
	 * handshake later, so refuse it here (as OpenSSL does) */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	r = mbedtls_pk_check_pair(&mc->cert.pk, &mc->key, mbedtls_ctr_drbg_random, rng);
#else
	r = mbedtls_pk_check_pair(&mc->cert.pk, &mc->key);
#endif
	if (r) {
		loom_mbed_log_err("certificate and key do not match", r);
		return -1;
	}
	r = mbedtls_ssl_conf_own_cert(&mc->conf, &mc->cert, &mc->key);
	if (r) {
		loom_mbed_log_err("certificate and key", r);
		return -1;
	}
	mc->has_cert = 1;

	return 0;
}

/* "h2,http/1.1" into the NULL-terminated list mbedTLS keeps pointing at */
static int
loom_mbed_alpn(struct loom_mbed_conf *mc, const char *list)
{
	char *p;
	int n = 0;

	mc->alpn_buf = loom__strdup(list, "alpn");
	if (!mc->alpn_buf)
		return -1;
	for (p = mc->alpn_buf; p && *p && n < LOOM_MBED_MAX_ALPN; n++) {
		char *c = strchr(p, ',');

		mc->alpn[n] = p;
		if (c)
			*c++ = '\0';
		p = c;
	}
	mc->alpn[n] = NULL;

	return n && !mbedtls_ssl_conf_alpn_protocols(&mc->conf, mc->alpn) ? 0 : -1;
}

/* IANA suite names, comma or colon separated */
static int
loom_mbed_suites(struct loom_mbed_conf *mc, const char *list)
{
	char name[96];
	int n = 0;

	while (list && *list) {
		size_t len = strcspn(list, ",:");
		int id;

		if (len && len < sizeof(name) && n < (int)(sizeof(mc->suites) /
					sizeof(mc->suites[0])) - 1) {
			memcpy(name, list, len);
			name[len] = '\0';
			id = mbedtls_ssl_get_ciphersuite_id(name);
			if (!id) {
				loom_log_err("tls: mbedTLS knows no cipher suite '%s'", name);
				return -1;
			}
			mc->suites[n++] = id;
		}
		list += len;
		if (*list)
			list++;
	}
	mc->suites[n] = 0;
	if (!n)
		return -1;
	mbedtls_ssl_conf_ciphersuites(&mc->conf, mc->suites);

	return 0;
}

static int
loom_mbed_groups(struct loom_mbed_conf *mc, const char *list)
{
	static const struct {
		const char *name;
		mbedtls_ecp_group_id id;
	} map[] = {
		{ "X25519", MBEDTLS_ECP_DP_CURVE25519 },
		{ "P-256", MBEDTLS_ECP_DP_SECP256R1 },
		{ "P-384", MBEDTLS_ECP_DP_SECP384R1 },
		{ "P-521", MBEDTLS_ECP_DP_SECP521R1 },
	};
	int n = 0;
	size_t k;

	while (list && *list && n < 7) {
		size_t len = strcspn(list, ",:");

		for (k = 0; k < sizeof(map) / sizeof(map[0]); k++)
			if (strlen(map[k].name) == len && !strncasecmp(map[k].name, list, len))
				break;
		if (k == sizeof(map) / sizeof(map[0])) {
			loom_log_err("tls: unknown group in '%s'", list);
			return -1;
		}
		mc->groups[n++] = map[k].id;
		list += len;
		if (*list)
			list++;
	}
	mc->groups[n] = MBEDTLS_ECP_DP_NONE;
	mbedtls_ssl_conf_curves(&mc->conf, mc->groups);

	return 0;
}

static struct loom_mbed_conf *
loom_mbed_conf_new(int endpoint, void *rng, int min_version, const char *ciphers,
		   const char *groups)
{
	struct loom_mbed_conf *mc = loom_zalloc(sizeof(*mc), "mbedtls conf");
	int r;

	if (!mc)
		return NULL;
	mbedtls_ssl_config_init(&mc->conf);
	mbedtls_x509_crt_init(&mc->cert);
	mbedtls_x509_crt_init(&mc->ca);
	mbedtls_pk_init(&mc->key);
	mbedtls_ssl_ticket_init(&mc->ticket);
	r = mbedtls_ssl_config_defaults(&mc->conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
					MBEDTLS_SSL_PRESET_DEFAULT);
	if (r) {
		loom_mbed_log_err("config", r);
		return mc;	/* freed by the caller */
	}
	mbedtls_ssl_conf_rng(&mc->conf, mbedtls_ctr_drbg_random, rng);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	mbedtls_ssl_conf_min_tls_version(&mc->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
	mbedtls_ssl_conf_min_version(&mc->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
#endif
	if (min_version == LOOM_TLS_V1_3)
		loom_log_warn("tls: mbedTLS %s: TLS 1.3 minimum not supported; using 1.2",
			      MBEDTLS_VERSION_STRING);
	if (ciphers ? loom_mbed_suites(mc, ciphers) :
		      (endpoint == MBEDTLS_SSL_IS_SERVER &&
		       (mbedtls_ssl_conf_ciphersuites(&mc->conf, loom_mbed_default_suites), 0)))
		return mc;
	if (groups && loom_mbed_groups(mc, groups))
		return mc;
	mc->authmode = -1;	/* marks a complete setup */

	return mc;
}

static void
loom_mbed_conf_free(struct loom_mbed_conf *mc)
{
	if (!mc)
		return;
	mbedtls_ssl_ticket_free(&mc->ticket);
	mbedtls_ssl_config_free(&mc->conf);
	mbedtls_x509_crt_free(&mc->cert);
	mbedtls_x509_crt_free(&mc->ca);
	mbedtls_pk_free(&mc->key);
	loom_free(mc->alpn_buf);
	loom_free(mc);
}

/* ---- server ---- */

static int
loom_mbed_sni_cb(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name,
		 size_t len)
{
	struct loom_mbed_sess *s = (struct loom_mbed_sess *)(void *)ssl;
	struct loom_tls_vhost *tv;
	struct loom_mbed_conf *mc;
	char host[256];

	if (!len || len >= sizeof(host))
		return 0;
	memcpy(host, name, len);
	host[len] = '\0';
	tv = loom__tls_sni_select(s->t, host);
	if (!tv)
		return 0;
	mc = tv->be;
	if (mbedtls_ssl_set_hs_own_cert(ssl, &mc->cert, &mc->key))
		return -1;
	if (mc->has_ca)
		mbedtls_ssl_set_hs_ca_chain(ssl, &mc->ca, NULL);
	mbedtls_ssl_set_hs_authmode(ssl, mc->authmode);

	return 0;
}

static int
loom_mbed_server_ctx_create(struct loom_tls_vhost *tv,
			    const struct loom_tls_vhost_info *i)
{
	struct loom_mbed_rng *rng = tv->tctx->be;
	struct loom_mbed_conf *mc = loom_mbed_conf_new(MBEDTLS_SSL_IS_SERVER, &rng->drbg,
						       i->min_version, i->ciphers,
						       i->groups);
	int r;

	if (!mc || mc->authmode != -1 ||
	    loom_mbed_cert_key(mc, i->cert_path, i->cert_mem, i->cert_mem_len,
			       i->key_path, i->key_mem, i->key_mem_len, &rng->drbg))
		goto bail;
	mc->authmode = MBEDTLS_SSL_VERIFY_NONE;
	if (i->options & (LOOM_TLS_SRV_OPT_REQUEST_CLIENT_CERT |
			  LOOM_TLS_SRV_OPT_REQUIRE_CLIENT_CERT)) {
		r = i->ca_path ? mbedtls_x509_crt_parse_file(&mc->ca, i->ca_path) :
		    i->ca_mem ? loom_mbed_crt_mem(&mc->ca, i->ca_mem, i->ca_mem_len) : -1;
		if (r) {
			loom_log_err("tls: client certificates need a usable ca_path/ca_mem");
			goto bail;
		}
		mc->has_ca = 1;
		mbedtls_ssl_conf_ca_chain(&mc->conf, &mc->ca, NULL);
		/* "optional" lets the handshake end so we can tell why it failed */
		mc->authmode = (i->options & LOOM_TLS_SRV_OPT_REQUIRE_CLIENT_CERT) ?
			       MBEDTLS_SSL_VERIFY_REQUIRED : MBEDTLS_SSL_VERIFY_OPTIONAL;
	}
	mbedtls_ssl_conf_authmode(&mc->conf, mc->authmode);
	if (tv->alpn && loom_mbed_alpn(mc, tv->alpn)) {
		loom_log_err("tls: bad alpn list '%s'", tv->alpn);
		goto bail;
	}
	if (!(i->options & LOOM_TLS_SRV_OPT_NO_TICKETS)) {
		r = mbedtls_ssl_ticket_setup(&mc->ticket, mbedtls_ctr_drbg_random,
					     &rng->drbg, MBEDTLS_CIPHER_AES_256_GCM, 86400);
		if (r) {
			loom_mbed_log_err("session tickets", r);
			goto bail;
		}
		mc->has_ticket = 1;
		mbedtls_ssl_conf_session_tickets_cb(&mc->conf, mbedtls_ssl_ticket_write,
						    mbedtls_ssl_ticket_parse, &mc->ticket);
	}
	mbedtls_ssl_conf_sni(&mc->conf, loom_mbed_sni_cb, tv);
	tv->be = mc;

	return 0;

bail:
	loom_mbed_conf_free(mc);

	return -1;
}

static void
loom_mbed_server_ctx_destroy(struct loom_tls_vhost *tv)
{
	loom_mbed_conf_free(tv->be);
	tv->be = NULL;
}

/* ---- client ---- */

static int
loom_mbed_client_ctx_create(struct loom_tls_client_ctx *cc)
{
	const struct loom_tls_client_info *i = &cc->info;
	struct loom_mbed_rng *rng = cc->tctx->be;
	struct loom_mbed_conf *mc = loom_mbed_conf_new(MBEDTLS_SSL_IS_CLIENT, &rng->drbg,
						       i->min_version, i->ciphers,
						       i->groups);
	int r;

	if (!mc || mc->authmode != -1)
		goto bail;
	if (i->ca_path)
		r = mbedtls_x509_crt_parse_file(&mc->ca, i->ca_path);
	else if (i->ca_mem)
		r = loom_mbed_crt_mem(&mc->ca, i->ca_mem, i->ca_mem_len);
	else {
		/* the system store: Debian's bundle, else every file in the folder */
		r = mbedtls_x509_crt_parse_file(&mc->ca,
						"/etc/ssl/certs/ca-certificates.crt");
		if (r < 0)
			r = mbedtls_x509_crt_parse_path(&mc->ca, "/etc/ssl/certs");
		if (r > 0)
			r = 0;	/* some unparsable entries: the rest is usable */
	}
	if (r < 0) {
		loom_mbed_log_err(i->ca_path ? i->ca_path : "trust store", r);
		goto bail;
	}
	mc->has_ca = 1;
	mbedtls_ssl_conf_ca_chain(&mc->conf, &mc->ca, NULL);
	mc->authmode = (i->options & LOOM_TLS_CLI_OPT_INSECURE_NO_VERIFY) ?
		       MBEDTLS_SSL_VERIFY_NONE : MBEDTLS_SSL_VERIFY_REQUIRED;
	mbedtls_ssl_conf_authmode(&mc->conf, mc->authmode);
	if ((i->cert_path || i->cert_mem) &&
	    loom_mbed_cert_key(mc, i->cert_path, i->cert_mem, i->cert_mem_len,
			       i->key_path, i->key_mem, i->key_mem_len, &rng->drbg))
		goto bail;
	if (i->alpn && loom_mbed_alpn(mc, i->alpn)) {
		loom_log_err("tls: bad alpn list '%s'", i->alpn);
		goto bail;
	}
	cc->be = mc;

	return 0;

bail:
	loom_mbed_conf_free(mc);

	return -1;
}

static void
loom_mbed_client_ctx_destroy(struct loom_tls_client_ctx *cc)
{
	if (cc->session) {
		mbedtls_ssl_session_free(cc->session);
		loom_free(cc->session);
		cc->session = NULL;
	}
	loom_mbed_conf_free(cc->be);
	cc->be = NULL;
}

/* ---- sessions ---- */

static int
loom_mbed_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct loom_mbed_sess *s = ctx;
	int n = loom__plat_send(s->fd, buf, len);

	if (n >= 0)
		return n;
	if (loom__plat_errno_is_again(errno))
		return MBEDTLS_ERR_SSL_WANT_WRITE;
#if defined(LOOM_WITH_FAULT_INJECTION)
	/* the fault seam's stand-in for a fatal error of mbedTLS itself (fault.h) */
	if (errno == EPROTO)
		return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
#endif

	return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET :
						       MBEDTLS_ERR_NET_SEND_FAILED;
}

static int
loom_mbed_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct loom_mbed_sess *s = ctx;
	int n = loom__plat_recv(s->fd, buf, len);

	if (n >= 0)
		return n;
	if (loom__plat_errno_is_again(errno))
		return MBEDTLS_ERR_SSL_WANT_READ;

	return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET :
				     MBEDTLS_ERR_NET_RECV_FAILED;
}

/* our checks on the chain: IP SANs (2.28 checks DNS names only), self-signed */
static int
loom_mbed_verify_cb(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct loom_mbed_sess *s = arg;
	const mbedtls_x509_sequence *san;

	if (depth)
		return 0;
	s->leaf_self_signed = crt->issuer_raw.len == crt->subject_raw.len &&
			      !memcmp(crt->issuer_raw.p, crt->subject_raw.p,
				      crt->subject_raw.len);
	if (!s->ip_len)
		return 0;
	for (san = &crt->subject_alt_names; san && san->buf.p; san = san->next)
		if (san->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) &&
		    san->buf.len == s->ip_len && !memcmp(san->buf.p, s->ip, s->ip_len))
			return 0;
	*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;

	return 0;
}

static int
loom_mbed_setup(struct loom_mbed_sess *s, struct loom_mbed_conf *mc)
{
	int r = mbedtls_ssl_setup(&s->ssl, &mc->conf);

	if (r) {
		loom_mbed_log_err("session setup", r);
		return -1;
	}
	mbedtls_ssl_set_bio(&s->ssl, s, loom_mbed_send, loom_mbed_recv, NULL);
	s->setup_done = 1;

	return 0;
}

/*
 * Server, before mbedTLS reads anything: 2.28 has one config per session, chosen
 * at setup, and matches ALPN against that config's list as it meets the
 * extension, which may be before the server name. So the ClientHello is peeked
 * and its server name picks the vhost (loom__tls_sni_select) first; the session
 * is then set up with that vhost's config: its ALPN list, certificate and
 * client-certificate rules. When the ClientHello has not arrived whole (rare: it
 * is one small record), the listener's config is used and the SNI callback still
 * switches certificate and verification, but not the ALPN list.
 */
static int
loom_mbed_server_setup(struct loom_tls_conn *t, struct loom_mbed_sess *s)
{
	uint8_t b[2048];
	char name[256];
	ssize_t n = recv(s->fd, b, sizeof(b), MSG_PEEK);

	if (n > 0 && loom__tls_client_hello_sni(b, (size_t)n, name, sizeof(name)) ==
		     LOOM_TLS_CH_NAME)
		(void)loom__tls_sni_select(t, name);

	return loom_mbed_setup(s, t->tv->be);
}

static int
loom_mbed_ssl_new(struct loom_tls_conn *t)
{
	int server = !!(t->flags & LOOM_TLSF_SERVER);
	struct loom_mbed_conf *mc = server ? t->tv->be : t->cc->be;
	struct loom_mbed_sess *s = loom_zalloc(sizeof(*s), "mbedtls session");
	int r;

	if (!s)
		return -1;
	mbedtls_ssl_init(&s->ssl);
	s->t = t;
	s->fd = t->conn->fd;
	t->be = s;
	if (server)
		return 0;	/* set up once the ClientHello is here */
	r = loom_mbed_setup(s, mc);
	if (r)
		return r;	/* ssl_free runs from the conn's destroy */
	mbedtls_ssl_set_verify(&s->ssl, loom_mbed_verify_cb, s);
	if (!t->host)
		return 0;
	if (t->flags & LOOM_TLSF_HOST_IS_IP) {
		int fam = loom__plat_ip_parse(t->host, s->ip);

		/* IP SANs are checked by loom_mbed_verify_cb; no SNI for an address */
		if (!(t->cc->info.options & (LOOM_TLS_CLI_OPT_INSECURE_NO_VERIFY |
					     LOOM_TLS_CLI_OPT_INSECURE_NO_HOSTNAME)))
			s->ip_len = (uint8_t)(fam == 4 ? 4 : 16);
	} else if (!(t->cc->info.options & LOOM_TLS_CLI_OPT_NO_SNI) &&
		   ((t->cc->info.options & LOOM_TLS_CLI_OPT_INSECURE_NO_VERIFY) ||
		    !(t->cc->info.options & LOOM_TLS_CLI_OPT_INSECURE_NO_HOSTNAME))) {
		/* mbedTLS uses one name for SNI and the name check: with only
		 * INSECURE_NO_HOSTNAME no name is set, so no SNI is sent either */
		r = mbedtls_ssl_set_hostname(&s->ssl, t->host);
		if (r) {
			loom_mbed_log_err("hostname", r);
			return -1;
		}
	}
	if (t->cc->session && t->cc->session_host) {
		char key[300];

		snprintf(key, sizeof(key), "%s:%d", t->host, t->port);
		if (!strcmp(key, t->cc->session_host))
			mbedtls_ssl_set_session(&s->ssl, t->cc->session);
	}

	return 0;
}

static void
loom_mbed_ssl_free(struct loom_tls_conn *t)
{
	struct loom_mbed_sess *s = t->be;

	mbedtls_ssl_free(&s->ssl);
	loom_free(s);
	t->be = NULL;
}

static enum loom_tls_verify_result
loom_mbed_verify_map(struct loom_mbed_sess *s, uint32_t f)
{
	if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		return s->leaf_self_signed ? LOOM_TLS_VERIFY_SELF_SIGNED :
					     LOOM_TLS_VERIFY_UNKNOWN_CA;
	if (f & MBEDTLS_X509_BADCERT_EXPIRED)
		return LOOM_TLS_VERIFY_EXPIRED;
	if (f & MBEDTLS_X509_BADCERT_FUTURE)
		return LOOM_TLS_VERIFY_NOT_YET_VALID;
	if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		return LOOM_TLS_VERIFY_WRONG_HOST;
	if (f & MBEDTLS_X509_BADCERT_MISSING)
		return LOOM_TLS_VERIFY_NO_CERT;

	return LOOM_TLS_VERIFY_OTHER;
}

/* the client keeps the session for the next connection to the same host:port */
static void
loom_mbed_keep_session(struct loom_tls_conn *t, struct loom_mbed_sess *s)
{
	struct loom_tls_client_ctx *cc = t->cc;
	char key[300];

	if (!t->host)
		return;
	snprintf(key, sizeof(key), "%s:%d", t->host, t->port);
	if (!cc->session) {
		cc->session = loom_zalloc(sizeof(mbedtls_ssl_session), "mbedtls session");
		if (!cc->session)
			return;
	} else
		mbedtls_ssl_session_free(cc->session);
	mbedtls_ssl_session_init(cc->session);
	if (mbedtls_ssl_get_session(&s->ssl, cc->session))
		return;
	if (!cc->session_host || strcmp(cc->session_host, key)) {
		loom_free(cc->session_host);
		cc->session_host = loom__strdup(key, "tls session key");
	}
}

static int
loom_mbed_handshake(struct loom_tls_conn *t)
{
	struct loom_mbed_sess *s = t->be;
	int server = !!(t->flags & LOOM_TLSF_SERVER), refused = 0;
	uint32_t f;
	char e[100];
	int r;

	if (!s->setup_done && loom_mbed_server_setup(t, s)) {
		loom__tls_set_why(t, "handshake failed: session setup");
		return LOOM_TLS_R_FAIL;
	}
	r = mbedtls_ssl_handshake(&s->ssl);
	if (r == MBEDTLS_ERR_SSL_WANT_READ)
		return LOOM_TLS_R_WANT_READ;
	if (r == MBEDTLS_ERR_SSL_WANT_WRITE)
		return LOOM_TLS_R_WANT_WRITE;
	f = mbedtls_ssl_get_verify_result(&s->ssl);
	if (!r && server && f && f != (uint32_t)-1 &&
	    ((struct loom_mbed_conf *)t->tv->be)->authmode == MBEDTLS_SSL_VERIFY_OPTIONAL &&
	    mbedtls_ssl_get_peer_cert(&s->ssl))
		refused = 1;	/* a client certificate was sent and does not verify */
	if (!r && !refused) {
		loom_clog_info(t->conn, "tls: %s %s", mbedtls_ssl_get_version(&s->ssl),
			       mbedtls_ssl_get_ciphersuite(&s->ssl));
		if (!server)
			loom_mbed_keep_session(t, s);
		return 0;
	}
	if (refused || r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
		loom__tls_set_why(t, "%s%s", server ? "client " : "",
				  loom_tls_verify_text(loom_mbed_verify_map(s, f)));
	else
		loom__tls_set_why(t, "handshake failed: %s", loom_mbed_err(r, e, sizeof(e)));
	if (refused)
		/* tell the peer: a fatal alert, best effort */
		mbedtls_ssl_send_alert_message(&s->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
					       MBEDTLS_SSL_ALERT_MSG_BAD_CERT);

	return LOOM_TLS_R_FAIL;
}

static int
loom_mbed_io_result(struct loom_tls_conn *t, int r, const char *what)
{
	char e[100];

	switch (r) {
	case MBEDTLS_ERR_SSL_WANT_READ:
		return LOOM_TLS_R_WANT_READ;
	case MBEDTLS_ERR_SSL_WANT_WRITE:
		return LOOM_TLS_R_WANT_WRITE;
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
		return 0;
	default:
		break;
	}
	loom__tls_set_why(t, "%s failed: %s", what, loom_mbed_err(r, e, sizeof(e)));

	return LOOM_TLS_R_FAIL;
}

static int
loom_mbed_read(struct loom_tls_conn *t, uint8_t *buf, size_t len)
{
	struct loom_mbed_sess *s = t->be;
	int r = mbedtls_ssl_read(&s->ssl, buf, len);

	if (r >= 0)
		return r;	/* 0: the peer closed the TCP connection */

	return loom_mbed_io_result(t, r, "read");
}

static int
loom_mbed_write(struct loom_tls_conn *t, const uint8_t *buf, size_t len)
{
	struct loom_mbed_sess *s = t->be;
	int r = mbedtls_ssl_write(&s->ssl, buf, len);

	if (r > 0)
		return r;
	r = loom_mbed_io_result(t, r, "write");

	return r ? r : LOOM_TLS_R_FAIL;
}

static size_t
loom_mbed_pending(struct loom_tls_conn *t)
{
	struct loom_mbed_sess *s = t->be;

	return mbedtls_ssl_get_bytes_avail(&s->ssl);
}

static void
loom_mbed_shutdown(struct loom_tls_conn *t)
{
	struct loom_mbed_sess *s = t->be;

	(void)mbedtls_ssl_close_notify(&s->ssl);
}

static size_t
loom_mbed_alpn_get(struct loom_tls_conn *t, const uint8_t **p)
{
	struct loom_mbed_sess *s = t->be;
	const char *a = mbedtls_ssl_get_alpn_protocol(&s->ssl);

	*p = (const uint8_t *)a;

	return a ? strlen(a) : 0;
}

/* ---- crypto ---- */

static int
loom_mbed_random(struct loom_tls_context *tctx, void *buf, size_t len)
{
	/* no context here: the platform's source is as strong as the DRBG's seed */
	return loom__plat_random(buf, len) ? LOOM_EUNSUPP : 0;
}

static int
loom_mbed_sha1(const void *in, size_t len, uint8_t *out)
{
	return LOOM_MBED_SHA1(in, len, out) ? LOOM_EUNSUPP : 0;
}

static int
loom_mbed_sha256(const void *in, size_t len, uint8_t *out)
{
	return LOOM_MBED_SHA256(in, len, out) ? LOOM_EUNSUPP : 0;
}

static int
loom_mbed_hmac_sha256(const void *key, size_t klen, const void *in, size_t len,
		      uint8_t *out)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);

	return md && !mbedtls_md_hmac(md, key, klen, in, len, out) ? 0 : LOOM_EUNSUPP;
}

const struct loom_tls_ops loom_tls_ops_mbedtls = {
	.name			= "mbedtls",
#if defined(MBEDTLS_PLATFORM_MEMORY)
	.lib_init		= loom_mbed_lib_init,
#endif
	.init_context		= loom_mbed_init_context,
	.destroy_context	= loom_mbed_destroy_context,
	.server_ctx_create	= loom_mbed_server_ctx_create,
	.server_ctx_destroy	= loom_mbed_server_ctx_destroy,
	.client_ctx_create	= loom_mbed_client_ctx_create,
	.client_ctx_destroy	= loom_mbed_client_ctx_destroy,
	.ssl_new		= loom_mbed_ssl_new,
	.ssl_free		= loom_mbed_ssl_free,
	.handshake		= loom_mbed_handshake,
	.read			= loom_mbed_read,
	.write			= loom_mbed_write,
	.pending		= loom_mbed_pending,
	.shutdown		= loom_mbed_shutdown,
	.alpn			= loom_mbed_alpn_get,
	.random			= loom_mbed_random,
	.sha1			= loom_mbed_sha1,
	.sha256			= loom_mbed_sha256,
	.hmac_sha256		= loom_mbed_hmac_sha256,
};
