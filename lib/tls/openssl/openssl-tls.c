/*
 * openssl-tls.c: the TLS ops on OpenSSL (1.1.1 and 3.x). Sessions do their socket
 * I/O through a small BIO of our own, so sends never raise SIGPIPE and "try again"
 * is the platform's; everything else is the OpenSSL API used non-blocking.
 */
#include "core/private-core.h"
#include "tls/private-tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <limits.h>
#include <stdio.h>

/* TLS 1.2: forward secret AEAD suites only (Mozilla "intermediate") */
#define LOOM_OSSL_DEFAULT_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384"

#if !defined(SSL_OP_IGNORE_UNEXPECTED_EOF)
#define SSL_OP_IGNORE_UNEXPECTED_EOF 0
#endif

/* ---- OpenSSL's allocations through the allocator hook ---- */

/*
 * CRYPTO_set_mem_functions() is process-wide and only takes before OpenSSL's first
 * allocation. So at Loom's first use of OpenSSL, if the user installed an
 * allocator, OpenSSL is bound to that allocator for the rest of the process: its
 * global state is freed only at exit, so its blocks must always go back to the
 * allocator that made them, even if loom_set_allocator() is called again later.
 */
static loom_realloc_fn loom_ossl_alloc;
static CRYPTO_ONCE loom_ossl_lib_once = CRYPTO_ONCE_STATIC_INIT;

static void *
loom_ossl_malloc(size_t num, const char *file, int line)
{
	return num ? loom_ossl_alloc(NULL, num, "openssl") : NULL;
}

static void *
loom_ossl_realloc(void *p, size_t num, const char *file, int line)
{
	if (!num) {
		if (p)
			loom_ossl_alloc(p, 0, "openssl");
		return NULL;
	}

	return loom_ossl_alloc(p, num, "openssl");
}

static void
loom_ossl_free(void *p, const char *file, int line)
{
	if (p)
		loom_ossl_alloc(p, 0, "openssl");
}

static void
loom_ossl_lib_init_once(void)
{
	loom_realloc_fn fn = loom__allocator_user();

	if (!fn)
		return;
	loom_ossl_alloc = fn;
	if (!CRYPTO_set_mem_functions(loom_ossl_malloc, loom_ossl_realloc,
				      loom_ossl_free)) {
		loom_ossl_alloc = NULL;
		loom_log_notice("tls: OpenSSL allocated before Loom first used it: its "
				"allocations do not go through the allocator hook");
		return;
	}
	loom_log_info("tls: OpenSSL allocates through the allocator hook");
}

static void
loom_ossl_lib_init(void)
{
	(void)CRYPTO_THREAD_run_once(&loom_ossl_lib_once, loom_ossl_lib_init_once);
}

/* ---- the socket BIO ---- */

static BIO_METHOD *loom_ossl_bio_meth;
static CRYPTO_ONCE loom_ossl_bio_once = CRYPTO_ONCE_STATIC_INIT;

static int
loom_ossl_bio_write(BIO *b, const char *buf, int len)
{
	int fd = (int)(intptr_t)BIO_get_data(b), n;

	BIO_clear_retry_flags(b);
	n = loom__plat_send(fd, buf, (size_t)len);
	if (n < 0 && loom__plat_errno_is_again(errno))
		BIO_set_retry_write(b);

	return n;
}

static int
loom_ossl_bio_read(BIO *b, char *buf, int len)
{
	int fd = (int)(intptr_t)BIO_get_data(b), n;

	BIO_clear_retry_flags(b);
	n = loom__plat_recv(fd, buf, (size_t)len);
	if (n < 0 && loom__plat_errno_is_again(errno))
		BIO_set_retry_read(b);

	return n;
}

static long
loom_ossl_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int
loom_ossl_bio_create(BIO *b)
{
	BIO_set_init(b, 1);

	return 1;
}

static void
loom_ossl_bio_meth_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
				     "loom-socket");

	if (!m)
		return;
	BIO_meth_set_write(m, loom_ossl_bio_write);
	BIO_meth_set_read(m, loom_ossl_bio_read);
	BIO_meth_set_ctrl(m, loom_ossl_bio_ctrl);
	BIO_meth_set_create(m, loom_ossl_bio_create);
	loom_ossl_bio_meth = m;
}

/* ---- errors ---- */

/* the last OpenSSL error as text (and the queue cleared) */
static const char *
loom_ossl_err(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e) {
		const char *r = ERR_reason_error_string(e);

		snprintf(buf, len, "%s", r ? r : "unknown error");
	} else
		snprintf(buf, len, "no detail");
	ERR_clear_error();

	return buf;
}

static void
loom_ossl_log_err(const char *what)
{
	char e[160];

	loom_log_err("tls: %s: %s", what, loom_ossl_err(e, sizeof(e)));
}

static enum loom_tls_verify_result
loom_ossl_verify_map(long v)
{
	switch (v) {
	case X509_V_OK:
		return LOOM_TLS_VERIFY_OK;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return LOOM_TLS_VERIFY_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return LOOM_TLS_VERIFY_NOT_YET_VALID;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
	case X509_V_ERR_EMAIL_MISMATCH:
		return LOOM_TLS_VERIFY_WRONG_HOST;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return LOOM_TLS_VERIFY_SELF_SIGNED;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:	/* a root we do not trust */
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
		return LOOM_TLS_VERIFY_UNKNOWN_CA;
	default:
		break;
	}

	return LOOM_TLS_VERIFY_OTHER;
}

/* a failed handshake or I/O: say why in t->why */
static int
loom_ossl_fail(struct loom_tls_conn *t, SSL *s, int r, const char *what)
{
	int e = SSL_get_error(s, r);
	long v = SSL_get_verify_result(s);
	char buf[120];

	if (!strcmp(what, "handshake") && v != X509_V_OK)
		/* a certificate was refused: say which check failed */
		loom__tls_set_why(t, "%s%s (%s)", (t->flags & LOOM_TLSF_SERVER) ?
				  "client " : "",
				  loom_tls_verify_text(loom_ossl_verify_map(v)),
				  X509_verify_cert_error_string(v));
	else if (e == SSL_ERROR_SYSCALL && !ERR_peek_last_error())
		loom__tls_set_why(t, "%s failed: %s", what,
				  errno ? strerror(errno) : "connection closed by peer");
	else
		loom__tls_set_why(t, "%s failed: %s", what, loom_ossl_err(buf, sizeof(buf)));
	ERR_clear_error();

	return LOOM_TLS_R_FAIL;
}

static int
loom_ossl_result(struct loom_tls_conn *t, SSL *s, int r, const char *what)
{
	switch (SSL_get_error(s, r)) {
	case SSL_ERROR_WANT_READ:
		return LOOM_TLS_R_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return LOOM_TLS_R_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		break;
	}

	return loom_ossl_fail(t, s, r, what);
}

/* ---- loading certificates and keys ---- */

static int
loom_ossl_cert_mem(SSL_CTX *c, const uint8_t *mem, size_t len)
{
	BIO *b = BIO_new_mem_buf(mem, (int)len);
	X509 *x;
	int ok = 0;

	if (!b)
		return -1;
	x = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
	if (x && SSL_CTX_use_certificate(c, x) == 1) {
		ok = 1;
		X509_free(x);
		/* the rest of the PEM is the chain */
		while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
			if (!SSL_CTX_add0_chain_cert(c, x)) {
				X509_free(x);
				ok = 0;
				break;
			}
		if (ok)
			ERR_clear_error();	/* the end of the PEM */
	} else
		X509_free(x);
	BIO_free(b);

	return ok ? 0 : -1;
}

static int
loom_ossl_key_mem(SSL_CTX *c, const uint8_t *mem, size_t len)
{
	BIO *b = BIO_new_mem_buf(mem, (int)len);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	int r = k && SSL_CTX_use_PrivateKey(c, k) == 1 ? 0 : -1;

	EVP_PKEY_free(k);
	BIO_free(b);

	return r;
}

/* trusted CAs from memory; \p client_ca: also name them in CertificateRequest */
static int
loom_ossl_ca_mem(SSL_CTX *c, const uint8_t *mem, size_t len, int client_ca)
{
	X509_STORE *st = SSL_CTX_get_cert_store(c);
	BIO *b = BIO_new_mem_buf(mem, (int)len);
	X509 *x;
	int n = 0;

	if (!b)
		return -1;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (X509_STORE_add_cert(st, x) == 1)
			n++;
		if (client_ca)
			SSL_CTX_add_client_CA(c, x);
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(b);

	return n ? 0 : -1;
}

static int
loom_ossl_cert_key(SSL_CTX *c, const char *cert_path, const uint8_t *cert_mem,
		   size_t cert_len, const char *key_path, const uint8_t *key_mem,
		   size_t key_len)
{
	if (cert_path ? SSL_CTX_use_certificate_chain_file(c, cert_path) != 1 :
			loom_ossl_cert_mem(c, cert_mem, cert_len)) {
		loom_ossl_log_err(cert_path ? cert_path : "certificate in memory");
		return -1;
	}
	if (key_path ? SSL_CTX_use_PrivateKey_file(c, key_path, SSL_FILETYPE_PEM) != 1 :
		       loom_ossl_key_mem(c, key_mem, key_len)) {
		loom_ossl_log_err(key_path ? key_path : "key in memory");
		return -1;
	}
	if (SSL_CTX_check_private_key(c) != 1) {
		loom_ossl_log_err("the key does not match the certificate");
		return -1;
	}

	return 0;
}

/* what server and client contexts share: versions, modes, suites */
static int
loom_ossl_ctx_common(SSL_CTX *c, int min_version, const char *ciphers,
		     const char *suites, const char *groups)
{
	SSL_CTX_set_min_proto_version(c, min_version == LOOM_TLS_V1_3 ? TLS1_3_VERSION :
					 TLS1_2_VERSION);
	SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
			    SSL_OP_IGNORE_UNEXPECTED_EOF);
	/*
	 * After a "want write" SSL_write() is called again with the same bytes, but
	 * from Loom's buflist, so maybe at another address; partial writes let a big
	 * buffer go record by record.
	 */
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (ciphers && SSL_CTX_set_cipher_list(c, ciphers) != 1) {
		loom_ossl_log_err("ciphers");
		return -1;
	}
	if (suites && SSL_CTX_set_ciphersuites(c, suites) != 1) {
		loom_ossl_log_err("ciphersuites");
		return -1;
	}
	if (groups && SSL_CTX_set1_groups_list(c, groups) != 1) {
		loom_ossl_log_err("groups");
		return -1;
	}

	return 0;
}

/* ---- server ---- */

static int
loom_ossl_sni_cb(SSL *s, int *al, void *arg)
{
	struct loom_tls_conn *t = SSL_get_app_data(s);
	const char *name = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
	struct loom_tls_vhost *tv;

	if (!t || !name)
		return SSL_TLSEXT_ERR_NOACK;
	tv = loom__tls_sni_select(t, name);
	if (tv) {
		SSL_set_SSL_CTX(s, tv->be);
		SSL_set_verify(s, SSL_CTX_get_verify_mode(tv->be), NULL);
	}

	return SSL_TLSEXT_ERR_OK;
}

static int
loom_ossl_alpn_cb(SSL *s, const unsigned char **out, unsigned char *outlen,
		  const unsigned char *in, unsigned int inlen, void *arg)
{
	struct loom_tls_vhost *tv = arg;

	if (!tv->alpn || loom__tls_alpn_pick(tv->alpn, in, inlen, out, outlen))
		return SSL_TLSEXT_ERR_NOACK;

	return SSL_TLSEXT_ERR_OK;
}

static int
loom_ossl_server_ctx_create(struct loom_tls_vhost *tv,
			    const struct loom_tls_vhost_info *i)
{
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());
	int verify = SSL_VERIFY_NONE;

	if (!c) {
		loom_ossl_log_err("SSL_CTX_new");
		return -1;
	}
	if (loom_ossl_ctx_common(c, i->min_version, i->ciphers ? i->ciphers :
				 LOOM_OSSL_DEFAULT_CIPHERS, i->ciphersuites, i->groups) ||
	    loom_ossl_cert_key(c, i->cert_path, i->cert_mem, i->cert_mem_len,
			       i->key_path, i->key_mem, i->key_mem_len))
		goto bail;
	SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (i->options & (LOOM_TLS_SRV_OPT_REQUEST_CLIENT_CERT |
			  LOOM_TLS_SRV_OPT_REQUIRE_CLIENT_CERT)) {
		if (i->ca_path) {
			STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(i->ca_path);

			if (SSL_CTX_load_verify_locations(c, i->ca_path, NULL) != 1 ||
			    !names) {
				sk_X509_NAME_pop_free(names, X509_NAME_free);
				loom_ossl_log_err(i->ca_path);
				goto bail;
			}
			SSL_CTX_set_client_CA_list(c, names);
		} else if (!i->ca_mem || loom_ossl_ca_mem(c, i->ca_mem, i->ca_mem_len, 1)) {
			loom_log_err("tls: client certificates need ca_path or ca_mem");
			goto bail;
		}
		verify = SSL_VERIFY_PEER;
		if (i->options & LOOM_TLS_SRV_OPT_REQUIRE_CLIENT_CERT)
			verify |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	}
	SSL_CTX_set_verify(c, verify, NULL);
	/* resumption: tickets (stateless) by default, and a session id context so a
	 * resumed session with a client certificate is accepted */
	SSL_CTX_set_session_id_context(c, (const unsigned char *)"loom", 4);
	if (i->options & LOOM_TLS_SRV_OPT_NO_TICKETS) {
		SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(c, 0);
		SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	}
	SSL_CTX_set_tlsext_servername_callback(c, loom_ossl_sni_cb);
	SSL_CTX_set_tlsext_servername_arg(c, tv);
	if (tv->alpn)
		SSL_CTX_set_alpn_select_cb(c, loom_ossl_alpn_cb, tv);
	tv->be = c;

	return 0;

bail:
	SSL_CTX_free(c);

	return -1;
}

static void
loom_ossl_server_ctx_destroy(struct loom_tls_vhost *tv)
{
	SSL_CTX_free(tv->be);
	tv->be = NULL;
}

/* ---- client ---- */

/* the session a server gave us, kept for the next connection to the same place */
static int
loom_ossl_new_session_cb(SSL *s, SSL_SESSION *sess)
{
	struct loom_tls_conn *t = SSL_get_app_data(s);
	struct loom_tls_client_ctx *cc = t ? t->cc : NULL;
	char key[300];

	if (!cc || !t->host)
		return 0;
	snprintf(key, sizeof(key), "%s:%d", t->host, t->port);
	if (!cc->session_host || strcmp(cc->session_host, key)) {
		char *k = loom__strdup(key, "tls session key");

		if (!k)
			return 0;
		loom_free(cc->session_host);
		cc->session_host = k;
	}
	if (cc->session)
		SSL_SESSION_free(cc->session);
	cc->session = sess;

	return 1;	/* we keep the reference */
}

static int
loom_ossl_client_ctx_create(struct loom_tls_client_ctx *cc)
{
	const struct loom_tls_client_info *i = &cc->info;
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());
	uint8_t wire[256];
	int n;

	if (!c) {
		loom_ossl_log_err("SSL_CTX_new");
		return -1;
	}
	if (loom_ossl_ctx_common(c, i->min_version, i->ciphers, i->ciphersuites,
				 i->groups))
		goto bail;
	if (i->ca_path) {
		if (SSL_CTX_load_verify_locations(c, i->ca_path, NULL) != 1) {
			loom_ossl_log_err(i->ca_path);
			goto bail;
		}
	} else if (i->ca_mem) {
		if (loom_ossl_ca_mem(c, i->ca_mem, i->ca_mem_len, 0)) {
			loom_log_err("tls: no CA certificate in ca_mem");
			goto bail;
		}
	} else if (SSL_CTX_set_default_verify_paths(c) != 1) {
		loom_ossl_log_err("the system trust store");
		goto bail;
	}
	SSL_CTX_set_verify(c, (i->options & LOOM_TLS_CLI_OPT_INSECURE_NO_VERIFY) ?
			   SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	if ((i->cert_path || i->cert_mem) &&
	    loom_ossl_cert_key(c, i->cert_path, i->cert_mem, i->cert_mem_len,
			       i->key_path, i->key_mem, i->key_mem_len))
		goto bail;
	if (i->alpn) {
		n = loom__tls_alpn_wire(i->alpn, wire, sizeof(wire));
		if (n <= 0 || SSL_CTX_set_alpn_protos(c, wire, (unsigned int)n)) {
			loom_log_err("tls: bad alpn list '%s'", i->alpn);
			goto bail;
		}
	}
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT |
				       SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(c, loom_ossl_new_session_cb);
	cc->be = c;

	return 0;

bail:
	SSL_CTX_free(c);

	return -1;
}

static void
loom_ossl_client_ctx_destroy(struct loom_tls_client_ctx *cc)
{
	if (cc->session)
		SSL_SESSION_free(cc->session);
	cc->session = NULL;
	SSL_CTX_free(cc->be);
	cc->be = NULL;
}

/* ---- sessions ---- */

static int
loom_ossl_client_setup(struct loom_tls_conn *t, SSL *s)
{
	const struct loom_tls_client_info *i = &t->cc->info;
	X509_VERIFY_PARAM *param = SSL_get0_param(s);
	char key[300];

	SSL_set_connect_state(s);
	if (!t->host)
		return 0;
	if (!(t->flags & LOOM_TLSF_HOST_IS_IP) && !(i->options & LOOM_TLS_CLI_OPT_NO_SNI) &&
	    SSL_set_tlsext_host_name(s, t->host) != 1)
		return -1;
	if (!(i->options & (LOOM_TLS_CLI_OPT_INSECURE_NO_VERIFY |
			    LOOM_TLS_CLI_OPT_INSECURE_NO_HOSTNAME))) {
		X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if ((t->flags & LOOM_TLSF_HOST_IS_IP) ?
		    X509_VERIFY_PARAM_set1_ip_asc(param, t->host) != 1 :
		    SSL_set1_host(s, t->host) != 1)
			return -1;
	}
	snprintf(key, sizeof(key), "%s:%d", t->host, t->port);
	if (t->cc->session && t->cc->session_host && !strcmp(t->cc->session_host, key))
		SSL_set_session(s, t->cc->session);

	return 0;
}

static int
loom_ossl_ssl_new(struct loom_tls_conn *t)
{
	SSL_CTX *c = (t->flags & LOOM_TLSF_SERVER) ? t->tv->be : t->cc->be;
	SSL *s;
	BIO *b;

	CRYPTO_THREAD_run_once(&loom_ossl_bio_once, loom_ossl_bio_meth_init);
	if (!loom_ossl_bio_meth)
		return -1;
	s = SSL_new(c);
	b = BIO_new(loom_ossl_bio_meth);
	if (!s || !b) {
		BIO_free(b);
		SSL_free(s);
		loom_ossl_log_err("SSL_new");
		return -1;
	}
	BIO_set_data(b, (void *)(intptr_t)t->conn->fd);
	SSL_set_bio(s, b, b);
	SSL_set_app_data(s, t);
	if (t->flags & LOOM_TLSF_SERVER)
		SSL_set_accept_state(s);
	else if (loom_ossl_client_setup(t, s)) {
		loom_ossl_log_err("client session setup");
		SSL_free(s);
		return -1;
	}
	t->be = s;

	return 0;
}

static void
loom_ossl_ssl_free(struct loom_tls_conn *t)
{
	SSL_free(t->be);
	t->be = NULL;
}

static int
loom_ossl_handshake(struct loom_tls_conn *t)
{
	SSL *s = t->be;
	int r;

	ERR_clear_error();
	r = SSL_do_handshake(s);
	if (r == 1) {
		/* a TLS 1.3 server's session ticket that could not be written does
		 * not fail the handshake, but leaves its error queued: drop it */
		ERR_clear_error();
		loom_clog_info(t->conn, "tls: %s %s%s", SSL_get_version(s),
			       SSL_get_cipher_name(s),
			       SSL_session_reused(s) ? " (resumed)" : "");
		return 0;
	}
	r = loom_ossl_result(t, s, r, "handshake");

	return r ? r : loom_ossl_fail(t, s, 0, "handshake");
}

static int
loom_ossl_read(struct loom_tls_conn *t, uint8_t *buf, size_t len)
{
	int n;

	ERR_clear_error();
	n = SSL_read(t->be, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (n > 0)
		return n;

	return loom_ossl_result(t, t->be, n, "read");
}

static int
loom_ossl_write(struct loom_tls_conn *t, const uint8_t *buf, size_t len)
{
	int n;

	ERR_clear_error();
	n = SSL_write(t->be, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (n > 0)
		return n;
	n = loom_ossl_result(t, t->be, n, "write");

	return n ? n : LOOM_TLS_R_FAIL;
}

static size_t
loom_ossl_pending(struct loom_tls_conn *t)
{
	return (size_t)SSL_pending(t->be);
}

static void
loom_ossl_shutdown(struct loom_tls_conn *t)
{
	if (SSL_get_shutdown(t->be) & SSL_SENT_SHUTDOWN)
		return;
	ERR_clear_error();
	(void)SSL_shutdown(t->be);
	ERR_clear_error();
}

static size_t
loom_ossl_alpn(struct loom_tls_conn *t, const uint8_t **p)
{
	unsigned int len = 0;

	SSL_get0_alpn_selected(t->be, p, &len);

	return len;
}

/* ---- crypto ---- */

static int
loom_ossl_random(struct loom_tls_context *tctx, void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : LOOM_EUNSUPP;
}

static int
loom_ossl_sha1(const void *in, size_t len, uint8_t *out)
{
	return EVP_Digest(in, len, out, NULL, EVP_sha1(), NULL) == 1 ? 0 : LOOM_EUNSUPP;
}

static int
loom_ossl_sha256(const void *in, size_t len, uint8_t *out)
{
	return EVP_Digest(in, len, out, NULL, EVP_sha256(), NULL) == 1 ? 0 :
	       LOOM_EUNSUPP;
}

static int
loom_ossl_hmac_sha256(const void *key, size_t klen, const void *in, size_t len,
		      uint8_t *out)
{
	static const uint8_t nokey[1];
	unsigned int olen = 0;

	return HMAC(EVP_sha256(), klen ? key : nokey, (int)klen, in, len, out, &olen) &&
	       olen == LOOM_SHA256_LEN ? 0 : LOOM_EUNSUPP;
}

const struct loom_tls_ops loom_tls_ops_openssl = {
	.name			= "openssl",
	.lib_init		= loom_ossl_lib_init,
	.server_ctx_create	= loom_ossl_server_ctx_create,
	.server_ctx_destroy	= loom_ossl_server_ctx_destroy,
	.client_ctx_create	= loom_ossl_client_ctx_create,
	.client_ctx_destroy	= loom_ossl_client_ctx_destroy,
	.ssl_new		= loom_ossl_ssl_new,
	.ssl_free		= loom_ossl_ssl_free,
	.handshake		= loom_ossl_handshake,
	.read			= loom_ossl_read,
	.write			= loom_ossl_write,
	.pending		= loom_ossl_pending,
	.shutdown		= loom_ossl_shutdown,
	.alpn			= loom_ossl_alpn,
	.random			= loom_ossl_random,
	.sha1			= loom_ossl_sha1,
	.sha256			= loom_ossl_sha256,
	.hmac_sha256		= loom_ossl_hmac_sha256,
};
