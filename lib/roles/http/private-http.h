/*
 * private-http.h: what the HTTP server and client code shares across lib/roles/h1
 * and lib/roles/http: the per-connection h1 state, the per-thread HTTP state, and
 * the response, mount and static-file helpers.
 */
#ifndef LOOM_PRIVATE_HTTP_H
#define LOOM_PRIVATE_HTTP_H

#include "roles/http/private-http-parser.h"

/* defaults of struct loom_http_vhost_info */
#define LOOM_HTTP_DEF_HEAD_BYTES	8192
#define LOOM_HTTP_DEF_HEADERS		64
#define LOOM_HTTP_DEF_URI		4096
#define LOOM_HTTP_DEF_BODY		(1024 * 1024)
#define LOOM_HTTP_DEF_HEAD_TO		10
#define LOOM_HTTP_DEF_KEEPALIVE_TO	5
#define LOOM_HTTP_DEF_BODY_TO		10
#define LOOM_HTTP_DEF_FC_ENTRIES	32	/* open-file cache, per thread */
#define LOOM_HTTP_DEF_FC_VALID_MS	1000
#define LOOM_HTTP_DEF_FC_INLINE		4096

#define LOOM_HTTP_RESP_HDR_MAX		2048	/* status line + response headers */
#define LOOM_HTTP_SCRATCH		(16 * 1024)
#define LOOM_HTTP_AH_CACHE		8	/* freed header stores kept per thread */

struct loom_h1_ah;

/* per service thread: a scratch buffer for building responses and the Date cache */
struct loom_http_pt {
	uint8_t scratch[LOOM_PRE + LOOM_HTTP_SCRATCH];
	uint8_t filebuf[LOOM_PRE + LOOM_HTTP_SCRATCH];	/* file bytes going out */
	int64_t date_secs;
	char date[40];
	uint8_t date_len;
	int64_t lm_secs;			/* the last Last-Modified formatted */
	char lm[40];
	struct loom_dll2_owner clients;		/* HTTP client conns others may queue on */
	struct loom_h1_ah *ah_cache[LOOM_HTTP_AH_CACHE];	/* freed stores kept */
	unsigned int count_ah_cache;
};

/* the vhost's HTTP settings with the defaults filled in */
struct loom_http_vh {
	struct loom_http_parser_limits lim;
	uint64_t max_body;
	unsigned int head_to, keepalive_to, body_to, max_requests;
	const struct loom_http_mount *mounts;
	const char *server_name;
	/* file mounts' directories, opened once at vhost creation */
	const struct loom_http_mount **mfd_mount;
	int *mfd;
	unsigned int count_mfd;
	/* the open-file cache (file-cache.c): one LRU list per service thread */
	struct loom_dll2_owner *fc;
	unsigned int fc_max, fc_valid_ms, fc_inline_max;
};

/*
 * What a request (or, client side, a response) needs while it is handled: the
 * parser with its header storage, the decoded path and the response head being
 * built. One allocation, made when a message starts and freed when its
 * transaction ends, so an idle keep-alive conn holds none of it.
 */
struct loom_h1_ah {
	struct loom_http_parser p;
	struct loom_http_hdr *hdrs;
	char *path;			/* decoded, normalized path; NUL-terminated */
	char *query;			/* raw query string (after '?'), NUL-terminated */
	uint8_t *resp;			/* LOOM_PRE headroom + response head */
	uint32_t resp_len;
	uint32_t path_len;
	uint32_t alloc_size;		/* bytes of the block, to match it for reuse */
};

/* h1 connection states */
enum {
	H1S_IDLE,		/* between requests: waiting for the first byte */
	H1S_HEAD,		/* reading a request head */
	H1S_BODY,		/* reading the request body */
	H1S_DONE_RX,		/* the request is read; waiting for the response to end */
	H1S_CLIENT_SEND,	/* client: sending the request */
	H1S_CLIENT_HEAD,	/* client: reading the response head */
	H1S_CLIENT_BODY		/* client: reading the response body */
};

/* response progress */
enum {
	H1R_NONE,		/* nothing started */
	H1R_STARTED,		/* head built, not sent */
	H1R_SENDING,		/* head sent, body under way */
	H1R_DONE		/* final body write made */
};

#define H1F_CHUNKED_OUT		(1u << 0)	/* our body uses chunked coding */
#define H1F_HEAD_ONLY		(1u << 1)	/* HEAD (or 304/204): no body bytes */
#define H1F_CLOSE_AFTER		(1u << 2)	/* close when this response is done */
#define H1F_CONTINUE_SENT	(1u << 3)	/* "100 Continue" went out */
#define H1F_USER_WRITABLE	(1u << 4)	/* the user asked for HTTP_WRITEABLE */
#define H1F_FILE		(1u << 5)	/* Loom serves a file body */
#define H1F_BODY_DONE		(1u << 6)	/* the request body was read whole */
#define H1F_CLOSE_DELIMITED	(1u << 7)	/* our body ends at close (HTTP/1.0) */

struct loom_h1_client;

struct loom_h1 {
	struct loom_h1_ah *ah;
	struct loom_h1_client *cli;		/* client side only */
	struct loom_buflist *rx_pending;	/* bytes of the next (pipelined) request */
	struct loom_http_chunked chunked;
	uint64_t body_remaining;		/* LENGTH body bytes still to come */
	uint64_t body_seen;
	int64_t resp_remaining;			/* declared body bytes not yet sent */
	uint64_t file_remaining;
	uint64_t file_ofs;
	struct loom_http_fent *fent;		/* the cached file file_fd belongs to */
	int file_fd;
	uint16_t status;
	uint16_t requests;
	uint16_t flags;				/* H1F_* */
	uint8_t state;				/* H1S_* */
	uint8_t resp;				/* H1R_* */
	uint8_t h2_pk;				/* h2c preface bytes held back so
						 * far; H1_H2_PK_NO: not h2 */
};
#define H1_H2_PK_NO	0xff

extern const struct loom_role_ops loom_role_ops_h1;

/* lib/roles/http: shared by h1 (and later h2) */
struct loom_http_pt *
loom__http_pt(struct loom_pt *pt);
void
loom__http_destroy_pt(struct loom_pt *pt);
const struct loom_http_vh *
loom__http_vh(const struct loom_vhost *vh);
int
loom__http_vhost_init(struct loom_vhost *vh, const struct loom_vhost_info *info);
void
loom__http_vhost_destroy(struct loom_vhost *vh);
const char *
loom__http_date(struct loom_pt *pt, size_t *len);
int
loom__http_format_date(int64_t secs, char *buf, size_t len);
int64_t
loom__http_parse_date(const char *s, size_t len);

struct loom_h1_ah *
loom__h1_ah_create(const struct loom_http_vh *hv, enum loom_http_parser_mode mode);
void
loom__h1_ah_reset(struct loom_h1_ah *ah, const struct loom_http_vh *hv,
		  enum loom_http_parser_mode mode);
struct loom_h1_ah *
loom__h1_ah_get(struct loom_pt *pt, const struct loom_http_vh *hv,
		enum loom_http_parser_mode mode);
void
loom__h1_ah_put(struct loom_pt *pt, struct loom_h1_ah *ah);

/* the request dispatch: mounts, files, errors (server.c, static.c) */
int
loom__http_dispatch(struct loom_conn *conn);
int
loom__http_error(struct loom_conn *conn, unsigned int status);
int
loom__http_serve_file(struct loom_conn *conn, const struct loom_http_mount *m,
		      const char *rest);
int
loom__http_serve_file_more(struct loom_conn *conn);
int
loom__http_emit_body(struct loom_conn *conn, const uint8_t *buf, size_t len, int final);
void
loom__http_file_close(struct loom_h1 *h);

/* the open-file cache of file mounts (file-cache.c) */
struct loom_http_fent;
struct loom_http_fent *
loom__http_fent_get(struct loom_conn *conn, const struct loom_http_mount *m,
		    const char *rest, unsigned int *status);
const struct loom_file_info *
loom__http_fent_info(const struct loom_http_fent *e, int *fd, const uint8_t **body,
		     const char **etag, const char **lastmod, const char **mime);
void
loom__http_fent_release(struct loom_http_fent *e);
void
loom__http_fcache_destroy(struct loom_http_vh *hv, unsigned int count_threads);
int
loom__http_emit_head_more(struct loom_conn *conn);
const struct loom_http_mount *
loom__http_match_mount(const struct loom_http_vh *hv, const char *path,
		       size_t *rest_ofs);

/* the client side (lib/roles/h1/client.c) */
int
loom__h1_client_bind(struct loom_conn *conn, const struct loom_client_connect_info *i);
/* the name TLS verifies for a connect (the info's server_name, else its host, else
 * its address), NULL when plain */
const char *
loom__h1_client_tls_name(const struct loom_client_connect_info *i);
void
loom__h1_client_free(struct loom_h1 *h);
int
loom__h1_client_start(struct loom_conn *conn);
int
loom__h1_client_request_sent(struct loom_conn *conn);
int
loom__h1_client_rx(struct loom_conn *conn, const uint8_t *buf, size_t len);
int
loom__h1_client_eof(struct loom_conn *conn);

/* an HTTP client request's own state (struct loom_h1.cli); the h2 client reads it */
struct loom_h1_client {
	struct loom_dll2 live;		/* on the pt's list while others may queue on us */
	struct loom_dll2 qlink;		/* on a live conn's queue while waiting */
	struct loom_dll2_owner queue;	/* requests waiting for our socket */
	struct loom_conn *conn;
	struct loom_vhost *vhost;
	/* the strings live in the same allocation as this struct: nothing points
	 * into the caller's connect info once loom_client_connect() returns */
	char *method;
	char *path;
	char *host;
	char *address;			/* where we connected, for relative redirects */
	/* TLS (NULL = plain): the shared context, which keeps copies of the info's
	 * strings and PEM, and the per-connection rest of the info */
	struct loom_tls_client_ctx *tls;
	char *tls_name;			/* the name verified (and sent as SNI) */
	unsigned int tls_hs_timeout_ms;
	int64_t body_len;		/* request body: -2 none, -1 chunked, else length */
	int port;
	unsigned int flags;		/* the connect info's LOOM_CONNECT_* */
	uint8_t in_append;		/* inside APPEND_HANDSHAKE_HEADER */
	uint8_t redirects;		/* redirects followed to get here */
	uint8_t h2;			/* may go h2: H1C_H2_* */
	/* a WebSocket over h2 (RFC 8441, LOOM_CONNECT_WS_H2): what it asks for */
	uint8_t ws_h2;
	char *ws_protocols;		/* Sec-WebSocket-Protocol offered, or NULL */
	char *ws_origin;
	uint64_t ws_max_message;
	/* how the caller asked to connect: a redirect or a restart connects the same
	 * way (h1c_carry()) */
	char *proxy;			/* NULL: the environment's, "": never */
	char *iface;
	char *iface_name;
	unsigned int timeout_ms;
	unsigned int addr_timeout_ms;
	unsigned int dns_flags;
	/* a redirect went to another scheme, host or port than the caller's request:
	 * its Authorization and Cookie headers are not sent there (nor after) */
	uint8_t cross_origin;
};

#define H1C_H2_DIRECT	1	/* ALPN offers h2, or prior knowledge */
#define H1C_H2_UPGRADE	2	/* asks for h2c with Upgrade */

/* a queued request (or a refused h2 stream) connects again as a new conn */
int
loom__h1_client_restart(struct loom_conn *q);
/* every request queued on \p queue connects again (context ending: dropped) */
void
loom__h1_client_requeue(struct loom_dll2_owner *queue);
/* a 3xx to follow: 1 followed (the conn closes), 0 the user's, -1 failed */
int
loom__h1_client_follow_redirect(struct loom_conn *conn);

/* number formatting without printf on the hot path; return the length written
 * (buf needs 21 bytes for decimal, 17 for hex), no NUL */
size_t
loom__http_fmt_u64(char *buf, uint64_t v);
size_t
loom__http_fmt_hex(char *buf, uint64_t v);
/* Last-Modified text for \p mtime, cached per thread (one entry) */
const char *
loom__http_date_of(struct loom_pt *pt, int64_t mtime);

/* h1 pieces the server code calls back into */
int
loom__h1_response_done(struct loom_conn *conn);
int
loom__h1_send_continue(struct loom_conn *conn);
int
loom__h1_path(struct loom_h1_ah *ah);

#if defined(LOOM_WITH_H2)
/* h2 streams carry HTTP/1 semantics: the HTTP code calls these for them */
extern const struct loom_role_ops loom_role_ops_h2s;
#define loom__conn_is_h2s(c) ((c)->role == &loom_role_ops_h2s)
int
loom__h2s_emit_body(struct loom_conn *conn, const uint8_t *buf, size_t len, int final);
int
loom__h2s_response_done(struct loom_conn *conn);
/* lib/roles/h2: a server conn becomes h2 (ALPN "h2", the h2c preface) */
int
loom__h2_server_take(struct loom_conn *conn, const uint8_t *in, size_t len);
/* 0: h2 now; -1: failed (close); 1: not h2 (feed the *seen bytes held, the start of
 * LOOM_H2C_PREFACE_HEAD, to h1 first); 2: the preface so far, held in *seen */
int
loom__h2_prior_knowledge(struct loom_conn *conn, uint8_t *seen, const uint8_t *buf,
			 size_t len);
/* the h2c preface's first bytes, enough to tell it from any HTTP/1 request */
#define LOOM_H2C_PREFACE_HEAD		"PRI * HTTP/2.0"
#define LOOM_H2C_PREFACE_HEAD_LEN	14
int
loom__h2_check_upgrade(struct loom_conn *conn);
/* lib/roles/h2/client-h2.c: a client request that may share an h2 connection: 1
 * queued on a live one (no connect of its own), 0 go on */
int
loom__h2_client_bind(struct loom_conn *conn, struct loom_h1_client *c);
/* the client's transport is up and speaks h2 (ALPN, prior knowledge): the conn
 * becomes the first stream of a new h2 connection that takes its socket; -1 fail */
int
loom__h2_client_take(struct loom_conn *conn);
/* should this established client conn speak h2? */
int
loom__h2_client_wants(struct loom_conn *conn);
/* the HTTP2-Settings value of an h2c upgrade request into \p out (NUL ended) */
int
loom__h2_client_upgrade_settings(const struct loom_vhost *vh, char *out, size_t max);
/* the server switched (101, Upgrade: h2c): the conn becomes stream 1 of a new h2
 * connection, \p rest (bytes after the 101) its first input; -1 failed */
int
loom__h2_client_upgraded(struct loom_conn *conn, const uint8_t *rest, size_t len);
#define loom__conn_is_http(c) ((c)->role == &loom_role_ops_h1 || loom__conn_is_h2s(c))
#else
#define loom__conn_is_http(c) ((c)->role == &loom_role_ops_h1)
#endif

#endif
