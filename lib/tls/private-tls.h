/*
 * private-tls.h: the TLS ops table (DESIGN.md section 5) and the state lib/tls keeps
 * per context, per vhost and per connection. tls.c holds what every backend shares;
 * openssl/ and mbedtls/ each fill one struct loom_tls_ops and nothing else.
 */
#ifndef LOOM_PRIVATE_TLS_H
#define LOOM_PRIVATE_TLS_H

#include "core/private-core.h"

/* results of the handshake / read / write ops (reads and writes: >= 0 is a count) */
#define LOOM_TLS_R_WANT_READ	(-100)
#define LOOM_TLS_R_WANT_WRITE	(-101)
#define LOOM_TLS_R_FAIL		(-102)	/* fatal: t->why says why */

/* struct loom_tls_conn.state */
enum {
	LOOM_TLS_ST_PEEK,		/* server: waiting for the first byte (0x16?) */
	LOOM_TLS_ST_HANDSHAKE,
	LOOM_TLS_ST_ESTABLISHED,
	LOOM_TLS_ST_DEAD		/* fatal error: no more TLS I/O, no shutdown */
};

/* struct loom_tls_conn.flags */
#define LOOM_TLSF_READ_WANTS_WRITE	(1u << 0) /* a read must wait for POLLOUT */
#define LOOM_TLSF_WRITE_WANTS_READ	(1u << 1) /* a write must wait for POLLIN */
#define LOOM_TLSF_SERVER		(1u << 2)
#define LOOM_TLSF_HOST_IS_IP		(1u << 3) /* client: host is an IP literal */

/* per context: created on first use, freed with the context */
struct loom_tls_context {
	struct loom_context *ctx;
	struct loom_tls_client_ctx *client_ctxs;	/* shared client contexts */
	void *be;					/* backend (mbedTLS: DRBG) */
};

/* per vhost with a server certificate */
struct loom_tls_vhost {
	struct loom_vhost *vh;
	struct loom_tls_context *tctx;
	void *be;				/* backend server context */
	char *sni_names;			/* copy of info->sni_names, or NULL */
	char *alpn;				/* copy of info->alpn, or NULL */
	unsigned int options;			/* LOOM_TLS_SRV_OPT_* */
	unsigned int hs_timeout_ms;
	int port;				/* info->port: SNI peers share it */
};

/* a client context, shared by the connections whose infos are equal */
struct loom_tls_client_ctx {
	struct loom_tls_client_ctx *next;
	struct loom_tls_client_info info;	/* strings below point at our copies */
	struct loom_tls_context *tctx;
	void *be;				/* backend client context */
	void *session;				/* backend: last session, for resumption */
	char *session_host;			/* the host:port that session is for */
};

/* per TLS connection (conn->tls) */
struct loom_tls_conn {
	struct loom_conn *conn;
	struct loom_tls_vhost *tv;		/* server: the vhost serving it */
	struct loom_tls_client_ctx *cc;		/* client: its context */
	void *be;				/* backend session */
	struct loom_sul sul_hs;			/* handshake timeout */
	struct loom_dll2 list_rx;		/* on pt->tls_rx_pending */
	char *host;				/* client: name to verify (and SNI) */
	void *owned_user_space;			/* pss of an SNI-chosen vhost's protocol */
	unsigned int hs_timeout_ms;
	int port;				/* client: for the session cache key */
	uint8_t state;				/* LOOM_TLS_ST_* */
	uint8_t flags;				/* LOOM_TLSF_* */
	char alpn[24];				/* negotiated ALPN id, "" for none */
	char why[120];				/* why it failed, for the close reason */
};

struct loom_tls_ops {
	const char *name;
	/* once per process, before the library's first allocation if we can: route
	 * its allocations through the user's allocator hook (loom__allocator_user());
	 * thread safe and cheap to call again; may be NULL */
	void (*lib_init)(void);
	/* context-wide backend state (random generator); may be NULL */
	int (*init_context)(struct loom_tls_context *tctx);
	void (*destroy_context)(struct loom_tls_context *tctx);
	/* server context of a vhost: cert, key, chain, client CA, ALPN, options */
	int (*server_ctx_create)(struct loom_tls_vhost *tv,
				 const struct loom_tls_vhost_info *info);
	void (*server_ctx_destroy)(struct loom_tls_vhost *tv);
	/* client context: trust store, client cert, ALPN, options */
	int (*client_ctx_create)(struct loom_tls_client_ctx *cc);
	void (*client_ctx_destroy)(struct loom_tls_client_ctx *cc);
	/* a session on conn->fd: server (t->tv) or client (t->cc, t->host) */
	int (*ssl_new)(struct loom_tls_conn *t);
	void (*ssl_free)(struct loom_tls_conn *t);
	/* 0 when done, LOOM_TLS_R_WANT_* or LOOM_TLS_R_FAIL */
	int (*handshake)(struct loom_tls_conn *t);
	/* > 0 bytes, 0 peer closed (close_notify or EOF), LOOM_TLS_R_* */
	int (*read)(struct loom_tls_conn *t, uint8_t *buf, size_t len);
	/* > 0 bytes taken, LOOM_TLS_R_*; after a WANT the same bytes are offered again */
	int (*write)(struct loom_tls_conn *t, const uint8_t *buf, size_t len);
	/* decrypted bytes held inside the library, readable without the socket */
	size_t (*pending)(struct loom_tls_conn *t);
	/* send close_notify once, never waiting for the peer's */
	void (*shutdown)(struct loom_tls_conn *t);
	/* the negotiated ALPN id into *p; returns its length, 0 for none */
	size_t (*alpn)(struct loom_tls_conn *t, const uint8_t **p);
	/* generic crypto */
	int (*random)(struct loom_tls_context *tctx, void *buf, size_t len);
	int (*sha1)(const void *in, size_t len, uint8_t *out);
	int (*sha256)(const void *in, size_t len, uint8_t *out);
	int (*hmac_sha256)(const void *key, size_t klen, const void *in, size_t len,
			   uint8_t *out);
};

extern const struct loom_tls_ops loom_tls_ops_openssl;
extern const struct loom_tls_ops loom_tls_ops_mbedtls;

/* ---- shared helpers the backends call (tls.c) ---- */

/* server: the vhost (same port) whose name or sni_names match \p name; moves the
 * conn to it. Returns its tls state, or NULL to keep the current one. */
struct loom_tls_vhost *
loom__tls_sni_select(struct loom_tls_conn *t, const char *name);
/* server ALPN choice: the first of \p ours (comma list) that the client offered in
 * \p theirs (wire format: length-prefixed). Sets *out / *outlen; 0 or -1. */
int
loom__tls_alpn_pick(const char *ours, const uint8_t *theirs, size_t theirs_len,
		    const uint8_t **out, uint8_t *outlen);
/* the host_name of a ClientHello at the start of \p b (\p n bytes peeked from the
 * socket) into \p name (NUL-terminated, < \p max): LOOM_TLS_CH_NAME found it,
 * LOOM_TLS_CH_NONE there is none (or the record cannot be read here: not a
 * ClientHello, split over records, malformed), LOOM_TLS_CH_MORE the record is
 * not whole yet (client-hello.c; no I/O, fuzzed by fuzz-tls-client-hello) */
#define LOOM_TLS_CH_NONE	0
#define LOOM_TLS_CH_NAME	1
#define LOOM_TLS_CH_MORE	2
int
loom__tls_client_hello_sni(const uint8_t *b, size_t n, char *name, size_t max);
/* comma list "h2,http/1.1" into ALPN wire format; returns bytes or -1 */
int
loom__tls_alpn_wire(const char *list, uint8_t *out, size_t max);
/* set t->why to "tls: <text>" */
void
loom__tls_set_why(struct loom_tls_conn *t, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* before Loom's first use of the TLS library (context, crypto): lib_init */
void
loom__tls_lib_init(void);
/* the context's TLS state, created on first use */
struct loom_tls_context *
loom__tls_context_get(struct loom_context *ctx);
/* the whole file into a NUL-terminated buffer (loom_free() it); NULL on failure */
uint8_t *
loom__tls_read_file(const char *path, size_t *len);

/* the backend of this build */
#if defined(LOOM_WITH_OPENSSL)
#define loom_tls_be (&loom_tls_ops_openssl)
#elif defined(LOOM_WITH_MBEDTLS)
#define loom_tls_be (&loom_tls_ops_mbedtls)
#endif

#endif
