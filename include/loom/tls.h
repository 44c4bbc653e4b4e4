/*
 * tls.h: TLS for listeners (struct loom_tls_vhost_info) and client connections
 * (struct loom_tls_client_info), and the generic crypto the protocols use (random,
 * SHA-1, SHA-256, HMAC-SHA256). The backend (OpenSSL or mbedTLS) is chosen at build
 * time; this API is the same for both. READMEs/README.tls.md says what is verified.
 */
#ifndef LOOM_TLS_H
#define LOOM_TLS_H

struct loom_conn;

/** \defgroup tls TLS and crypto
 * @{ */

/** protocol versions for min_version; 0 = LOOM_TLS_V1_2 */
#define LOOM_TLS_V1_2	0x0303		/**< TLS 1.2 */
#define LOOM_TLS_V1_3	0x0304		/**< TLS 1.3 (OpenSSL backend only) */

/** server options (struct loom_tls_vhost_info.options) */
#define LOOM_TLS_SRV_OPT_REQUEST_CLIENT_CERT	(1u << 0) /**< ask for a client
	* certificate; one that is sent must verify against ca_*, none is allowed */
#define LOOM_TLS_SRV_OPT_REQUIRE_CLIENT_CERT	(1u << 1) /**< a verified client
	* certificate is required (mutual TLS) */
#define LOOM_TLS_SRV_OPT_REDIRECT_PLAINTEXT	(1u << 2) /**< a plaintext HTTP request
	* on the TLS port is answered with a 301 to https://Host/path, then closed
	* (without it such a connection is closed at once) */
#define LOOM_TLS_SRV_OPT_NO_TICKETS		(1u << 3) /**< no session tickets
	* (no resumption) */

/**
 * struct loom_tls_vhost_info - TLS for a vhost's listener; zero it first.
 * Point struct loom_vhost_info.tls at it. Strings and memory are used during
 * loom_create_vhost() only, unless said otherwise.
 *
 * SNI: a vhost created with LOOM_VHOST_OPT_NO_LISTEN, a tls info with a certificate
 * and the same \p port as a TLS listener serves the handshakes whose server name is
 * its vhost name (or matches one of \p sni_names); the connection then belongs to
 * that vhost and its listen_accept_protocol (or first protocol).
 */
struct loom_tls_vhost_info {
	const char *cert_path;		/**< PEM file: the certificate, then its chain */
	const char *key_path;		/**< PEM file: the private key */
	const uint8_t *cert_mem;	/**< or the certificate (+chain) in memory, PEM */
	size_t cert_mem_len;		/**< length of cert_mem (PEM text, with or w/o NUL) */
	const uint8_t *key_mem;		/**< or the private key in memory, PEM */
	size_t key_mem_len;		/**< length of key_mem */
	const char *ca_path;		/**< PEM file of CAs trusted for client certs */
	const uint8_t *ca_mem;		/**< or those CAs in memory, PEM */
	size_t ca_mem_len;		/**< length of ca_mem */
	unsigned int options;		/**< LOOM_TLS_SRV_OPT_* */
	/** ALPN protocols the server accepts, best first, comma separated
	 * ("h2,http/1.1"); NULL = no ALPN. The server's order decides. */
	const char *alpn;
	/** extra names this vhost answers to by SNI, comma separated; "*.example.com"
	 * matches one label. The vhost name always matches. */
	const char *sni_names;
	/** TLS 1.2 cipher list (OpenSSL syntax, or IANA names comma separated for
	 * mbedTLS); NULL = the library's default without weak ciphers */
	const char *ciphers;
	/** TLS 1.3 ciphersuites (OpenSSL: "TLS_AES_128_GCM_SHA256:..."); NULL = default */
	const char *ciphersuites;
	/** key exchange groups ("X25519:P-256"); NULL = the library's default */
	const char *groups;
	int min_version;		/**< LOOM_TLS_V1_*; 0 = TLS 1.2 */
	/** a handshake not finished after this is closed; 0 = the context's timeout */
	unsigned int handshake_timeout_ms;
};

/** client options (struct loom_tls_client_info.options) */
#define LOOM_TLS_CLI_OPT_INSECURE_NO_VERIFY	(1u << 0) /**< INSECURE: accept any
	* certificate (no chain, date or name check) */
#define LOOM_TLS_CLI_OPT_INSECURE_NO_HOSTNAME	(1u << 1) /**< INSECURE: verify the
	* chain but not that it names the host */
#define LOOM_TLS_CLI_OPT_NO_SNI			(1u << 2) /**< send no server name */

/**
 * struct loom_tls_client_info - TLS for a client connection; zero it first.
 * Point struct loom_client_connect_info.tls at it. By default the server's
 * certificate must chain to the system trust store and name the host (DNS or IP
 * SAN); turning that off needs an explicit LOOM_TLS_CLI_OPT_INSECURE_* flag.
 * loom_client_connect() copies the info and what it points to before it returns
 * (it may be on the caller's stack). Connections whose infos are equal in content
 * share one TLS context (and h2 connections); the copies it holds of the strings
 * and PEM stay until the Loom context is destroyed.
 */
struct loom_tls_client_info {
	unsigned int options;		/**< LOOM_TLS_CLI_OPT_* */
	const char *ca_path;		/**< PEM file of trusted CAs; NULL = system store */
	const uint8_t *ca_mem;		/**< or trusted CAs in memory, PEM */
	size_t ca_mem_len;		/**< length of ca_mem */
	const char *cert_path;		/**< client certificate (PEM), for mutual TLS */
	const char *key_path;		/**< its private key (PEM) */
	const uint8_t *cert_mem;	/**< or the client certificate in memory, PEM */
	size_t cert_mem_len;		/**< length of cert_mem */
	const uint8_t *key_mem;		/**< or its key in memory, PEM */
	size_t key_mem_len;		/**< length of key_mem */
	/** ALPN protocols to offer, best first, comma separated; NULL = none */
	const char *alpn;
	/** name to send as SNI and to verify; NULL = the connect info's host, else its
	 * address (an IP address is verified against IP SANs and not sent as SNI) */
	const char *server_name;
	const char *ciphers;		/**< as in struct loom_tls_vhost_info */
	const char *ciphersuites;	/**< as in struct loom_tls_vhost_info */
	const char *groups;		/**< as in struct loom_tls_vhost_info */
	int min_version;		/**< LOOM_TLS_V1_*; 0 = TLS 1.2 */
	/** handshake timeout after the TCP connect; 0 = the context's timeout */
	unsigned int handshake_timeout_ms;
};

/** why a peer certificate was refused (loom_tls_verify_text()) */
enum loom_tls_verify_result {
	LOOM_TLS_VERIFY_OK = 0,		/**< verified */
	LOOM_TLS_VERIFY_EXPIRED,	/**< the certificate has expired */
	LOOM_TLS_VERIFY_NOT_YET_VALID,	/**< the certificate is not valid yet */
	LOOM_TLS_VERIFY_WRONG_HOST,	/**< it does not name the host */
	LOOM_TLS_VERIFY_UNKNOWN_CA,	/**< its issuer is not trusted */
	LOOM_TLS_VERIFY_SELF_SIGNED,	/**< self-signed and not trusted */
	LOOM_TLS_VERIFY_NO_CERT,	/**< the peer sent no certificate */
	LOOM_TLS_VERIFY_OTHER		/**< any other verification failure */
};

/**
 * loom_tls_verify_text() - a short English text for a verify result, such as
 * "certificate has expired"; a client whose server certificate is refused gets
 * LOOM_CB_CLIENT_CONNECTION_ERROR with "tls: <this text>" in its reason.
 */
const char *
loom_tls_verify_text(enum loom_tls_verify_result r);

/** loom_tls_backend() - "openssl", "mbedtls" or "none" */
const char *
loom_tls_backend(void);

/**
 * loom_conn_is_tls() - nonzero if \p conn runs over TLS (handshake done or not)
 */
int
loom_conn_is_tls(const struct loom_conn *conn);

/**
 * loom_tls_alpn() - the ALPN protocol negotiated on \p conn ("h2", ...), or NULL
 */
const char *
loom_tls_alpn(const struct loom_conn *conn);

/** bytes of a SHA-1 digest */
#define LOOM_SHA1_LEN 20
/** bytes of a SHA-256 digest */
#define LOOM_SHA256_LEN 32

/**
 * loom_random() - fill \p buf with \p len cryptographically strong random bytes:
 * from the TLS backend, or the platform's source with LOOM_WITH_TLS=none.
 * Returns 0 or a negative LOOM_E*.
 */
int
loom_random(void *buf, size_t len);

/** loom_sha1() - SHA-1 of \p len bytes into \p out (20 bytes); 0 or LOOM_E* */
int
loom_sha1(const void *in, size_t len, uint8_t out[LOOM_SHA1_LEN]);

/** loom_sha256() - SHA-256 of \p len bytes into \p out (32 bytes); 0 or LOOM_E* */
int
loom_sha256(const void *in, size_t len, uint8_t out[LOOM_SHA256_LEN]);

/** loom_hmac_sha256() - HMAC-SHA256 of \p in with \p key into \p out; 0 or LOOM_E* */
int
loom_hmac_sha256(const void *key, size_t key_len, const void *in, size_t len,
		 uint8_t out[LOOM_SHA256_LEN]);
/** @} */

#endif
