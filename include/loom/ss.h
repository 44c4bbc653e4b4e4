/*
 * ss.h: Secure Streams. User code opens a stream by its type's name and handles
 * only payloads in rx, tx and state callbacks; a JSON policy (the libwebsockets
 * policy schema, READMEs/README.ss-policy.md) says how that type connects:
 * endpoint, protocol, TLS, retry and backoff, metadata to headers or topics.
 */
#ifndef LOOM_SS_H
#define LOOM_SS_H

struct loom_context;

/** \defgroup ss Secure Streams
 * @{ */

/* ---- the policy, as parsed: read-only for users ---- */

/** a named retry and backoff table ("retry": [{ "name": {...} }]) */
struct loom_ss_retry {
	const struct loom_ss_retry *next;	/**< next table of the policy */
	const char *name;			/**< its name */
	const uint32_t *backoff_ms;		/**< delay before retry 1, 2 ... (ms) */
	unsigned int count_backoff;		/**< entries; the last one repeats */
	unsigned int conceal;			/**< failed attempts before the user
						 *   sees ALL_RETRIES_FAILED (65535 =
						 *   never, for nailed-up streams) */
	unsigned int jitter_pc;			/**< +0..jitter_pc % of each delay */
	unsigned int secs_valid_ping;		/**< idle secs before a ping */
	unsigned int secs_valid_hup;		/**< idle secs before hanging up */
};

/** a named certificate ("certs": [{ "name": "base64 DER" }]) */
struct loom_ss_cert {
	const struct loom_ss_cert *next;	/**< next cert of the policy */
	const char *name;			/**< its name */
	const char *b64;			/**< the base64 DER as in the policy */
	unsigned int der_len;			/**< decoded length */
};

/** a named trust store ("trust_stores": [{ "name": .., "stack": [..] }]) */
struct loom_ss_trust_store {
	const struct loom_ss_trust_store *next;	/**< next store of the policy */
	const char *name;			/**< its name */
	const struct loom_ss_cert **certs;	/**< the certs of its stack */
	unsigned int count_certs;		/**< how many */
	const char *pem;			/**< all of them as PEM text */
	unsigned int pem_len;			/**< strlen(pem) */
};

/** an auth entry ("auth": [{ "name", "type", "blob" }]) */
struct loom_ss_auth {
	const struct loom_ss_auth *next;	/**< next entry */
	const char *name;			/**< its name */
	const char *type;			/**< e.g. "sigv4" */
	int blob;				/**< the blob index */
};

/** one metadata item of a stream type ("metadata": [{ "name": "header:" }]) */
struct loom_ss_metadata_policy {
	const struct loom_ss_metadata_policy *next; /**< next item */
	const char *name;			/**< the name user code and ${} use */
	const char *value;			/**< e.g. "content-type:", or "" */
	unsigned int index;			/**< its position, from 0 */
};

/** protocols a stream type may name */
enum loom_ss_protocol {
	LOOM_SS_PROTO_NONE,	/**< none given (a local sink) */
	LOOM_SS_PROTO_H1,	/**< "h1" */
	LOOM_SS_PROTO_H2,	/**< "h2" */
	LOOM_SS_PROTO_WS,	/**< "ws" */
	LOOM_SS_PROTO_MQTT,	/**< "mqtt" */
	LOOM_SS_PROTO_RAW	/**< "raw" */
};

/** stream type flags (struct loom_ss_stream_type.flags) */
#define LOOM_SSTF_TLS			(1u << 0)	/**< "tls" */
#define LOOM_SSTF_NAILED_UP		(1u << 1)	/**< "nailed_up" */
#define LOOM_SSTF_LONG_POLL		(1u << 2)	/**< "long_poll" */
#define LOOM_SSTF_SERVER		(1u << 3)	/**< "server" */
#define LOOM_SSTF_OPPORTUNISTIC		(1u << 4)	/**< "opportunistic" */
#define LOOM_SSTF_ALLOW_REDIRECTS	(1u << 5)	/**< "allow_redirects" */
#define LOOM_SSTF_WS_BINARY		(1u << 6)	/**< "ws_binary" */
#define LOOM_SSTF_HTTP_NO_CONTENT_LENGTH (1u << 7)	/**< "http_no_content_length" */
#define LOOM_SSTF_HTTP_FORM_URLENCODED	(1u << 8)	/**< "http_www_form_urlencoded" */
#define LOOM_SSTF_HTTP_FAIL_REDIRECT	(1u << 9)	/**< "http_fail_redirect" */
#define LOOM_SSTF_LOCAL_SINK		(1u << 10)	/**< "local_sink" */
#define LOOM_SSTF_WS_PRIORITIZE_READS	(1u << 11)	/**< "ws_prioritize_reads" */
#define LOOM_SSTF_H2Q_OFLOW_TXCR	(1u << 12)	/**< "h2q_oflow_txcr" */
#define LOOM_SSTF_NGHTTP2_QUIRK		(1u << 13)	/**< "nghttp2_quirk_end_stream" */
#define LOOM_SSTF_MQTT_RETAIN		(1u << 14)	/**< "mqtt_retain" */
#define LOOM_SSTF_MQTT_CLEAN_START	(1u << 15)	/**< "mqtt_clean_start" */
#define LOOM_SSTF_TLS_INSECURE		(1u << 16)	/**< "tls_insecure": no verify
							 *   (testing only) */

/** one stream type ("s": [{ "name": {...} }]) */
struct loom_ss_stream_type {
	const struct loom_ss_stream_type *next;	/**< next type of the policy */
	const char *name;			/**< the name loom_ss_create() uses */
	enum loom_ss_protocol protocol;		/**< "protocol" */
	unsigned int flags;			/**< LOOM_SSTF_* */
	const char *endpoint;			/**< "endpoint" (may hold ${name}) */
	int port;				/**< "port" */
	/** "timeout_ms": h1: connect to end of response; ws, mqtt, raw: until
	 * connected; 0 = none */
	unsigned int timeout_ms;
	const struct loom_ss_retry *retry;	/**< "retry", or NULL */
	const struct loom_ss_trust_store *trust_store; /**< "tls_trust_store" */
	const struct loom_ss_metadata_policy *metadata; /**< "metadata" items */
	unsigned int count_metadata;		/**< how many */
	const char *http_method;		/**< "http_method" */
	const char *http_url;			/**< "http_url" (path, no leading /) */
	const char *http_auth_header;		/**< "http_auth_header" */
	const char *http_auth_preamble;		/**< "http_auth_preamble" */
	const char *http_mime_content_type;	/**< "http_mime_content_type" */
	const char *http_multipart_name;	/**< "http_multipart_name" */
	const char *http_dsn_header;		/**< "http_dsn_header" */
	const char *http_fwv_header;		/**< "http_fwv_header" */
	const char *http_devtype_header;		/**< "http_devtype_header" */
	int http_expect;			/**< "http_expect": the status wanted */
	const char *ws_subprotocol;		/**< "ws_subprotocol" */
	const char *mqtt_topic;			/**< "mqtt_topic" */
	const char *mqtt_subscribe;		/**< "mqtt_subscribe" */
	int mqtt_qos;				/**< "mqtt_qos" */
	int mqtt_keep_alive;			/**< "mqtt_keep_alive" (s) */
	const char *mqtt_client_id;		/**< "mqtt_client_id" */
	const struct loom_ss_cert *server_cert;	/**< "server_cert" */
	const struct loom_ss_cert *server_key;	/**< "server_key" */
	const char *server_cert_pem;		/**< server_cert as PEM */
	const char *server_key_pem;		/**< server_key as PEM */
	int client_cert;			/**< "client_cert" index */
	const char *rideshare;			/**< "rideshare" */
	const struct loom_ss_auth *use_auth;	/**< "use_auth" */
	const char *aws_region;			/**< "aws_region" */
	const char *aws_service;		/**< "aws_service" */
};

/** a parsed policy; one arena, freed with its last reference */
struct loom_ss_policy {
	const char *release;			/**< "release" */
	const char *product;			/**< "product" */
	int schema_version;			/**< "schema-version" */
	const struct loom_ss_retry *retries;	/**< "retry" tables */
	const struct loom_ss_cert *certs;	/**< "certs" */
	const struct loom_ss_trust_store *trust_stores; /**< "trust_stores" */
	const struct loom_ss_auth *auths;	/**< "auth" */
	const struct loom_ss_stream_type *stream_types; /**< "s", in file order */
	unsigned int count_stream_types;	/**< how many */
	unsigned int refcount;			/**< users: the context, each stream */
	void *arena;				/**< private */
};

/**
 * loom_ss_policy_parse() - parse a policy from \p len bytes of JSON into \p *out
 * (refcount 1). On failure returns LOOM_EINVAL (or LOOM_ENOMEM) and logs an error
 * naming the line and column or the key; nothing is left allocated.
 */
int
loom_ss_policy_parse(const void *json, size_t len, struct loom_ss_policy **out);

/** loom_ss_policy_parse_file() - the same from a file */
int
loom_ss_policy_parse_file(const char *path, struct loom_ss_policy **out);

/** loom_ss_policy_unref() - drop a reference; the last one frees it. NULL is ok */
void
loom_ss_policy_unref(struct loom_ss_policy *pol);

/** loom_ss_policy_stream_type() - the stream type called \p name, or NULL */
const struct loom_ss_stream_type *
loom_ss_policy_stream_type(const struct loom_ss_policy *pol, const char *name);

/** loom_ss_policy_retry() - the retry table called \p name, or NULL */
const struct loom_ss_retry *
loom_ss_policy_retry(const struct loom_ss_policy *pol, const char *name);

/** loom_ss_policy_trust_store() - the trust store called \p name, or NULL */
const struct loom_ss_trust_store *
loom_ss_policy_trust_store(const struct loom_ss_policy *pol, const char *name);

/** loom_ss_protocol_name() - "h1", "ws" ... for a LOOM_SS_PROTO_* */
const char *
loom_ss_protocol_name(enum loom_ss_protocol p);

/* ---- streams ---- */

struct loom_ss_handle;

/** stream states, told to the state callback */
enum loom_ss_state {
	LOOM_SSS_CREATING = 1,		/**< the stream exists (once, first) */
	LOOM_SSS_DISCONNECTED,		/**< a connection ended */
	LOOM_SSS_UNREACHABLE,		/**< a connection attempt failed */
	LOOM_SSS_AUTH_FAILED,		/**< the peer refused our credentials (401/403) */
	LOOM_SSS_CONNECTED,		/**< a connection is up */
	LOOM_SSS_CONNECTING,		/**< a connection attempt starts */
	LOOM_SSS_DESTROYING,		/**< the stream is going (once, last) */
	LOOM_SSS_POLL,			/**< a retry will be attempted */
	LOOM_SSS_ALL_RETRIES_FAILED,	/**< the retry table is used up */
	LOOM_SSS_QOS_ACK_REMOTE,	/**< the peer took the transaction / message */
	LOOM_SSS_QOS_NACK_REMOTE,	/**< the peer refused it (e.g. a 4xx/5xx) */
	LOOM_SSS_QOS_ACK_LOCAL,		/**< it was sent */
	LOOM_SSS_QOS_NACK_LOCAL,	/**< it could not be sent */
	LOOM_SSS_TIMEOUT,		/**< the policy's timeout_ms passed */
	LOOM_SSS_SERVER_TXN,		/**< a server stream: a request arrived */
	LOOM_SSS_SERVER_UPGRADE		/**< a server stream: upgraded to ws */
};

/** what callbacks return */
enum loom_ss_result {
	LOOM_SSR_OK = 0,		/**< go on */
	LOOM_SSR_TX_DONT_SEND = 1,	/**< tx: nothing to send now */
	LOOM_SSR_DISCONNECT_ME = -1,	/**< close the connection (may retry) */
	LOOM_SSR_DESTROY_ME = -2	/**< destroy the stream after this callback */
};

/** payload flags for rx and tx */
#define LOOM_SS_FLAG_SOM	(1 << 0)	/**< first piece of a message */
#define LOOM_SS_FLAG_EOM	(1 << 1)	/**< last piece of a message */

/** rx callback: a piece of a message (\p flags: LOOM_SS_FLAG_*) */
typedef int (*loom_ss_rx_cb)(void *userobj, const uint8_t *buf, size_t len, int flags);
/**
 * tx callback: fill \p buf with up to \p *len bytes, set \p *len to what was
 * written and \p *flags (SOM on a message's first piece, EOM on its last); return
 * LOOM_SSR_OK, or LOOM_SSR_TX_DONT_SEND when there is nothing after all.
 */
typedef int (*loom_ss_tx_cb)(void *userobj, uint8_t *buf, size_t *len, int *flags);
/** state callback: \p state is a LOOM_SSS_*, \p ack its detail (e.g. HTTP status) */
typedef int (*loom_ss_state_cb)(void *userobj, void *h_src, int state, unsigned int ack);

/** struct loom_ss_info - what loom_ss_create() needs; zero it first */
struct loom_ss_info {
	const char *streamtype;		/**< the policy's stream type name */
	size_t user_alloc;		/**< size of the user object SS allocates */
	size_t handle_offset;		/**< where in it to store the handle */
	/** where in it to store loom_ss_create()'s \p opaque; not stored when it
	 * equals \p handle_offset (so leave both 0 for the handle at the start) */
	size_t opaque_user_data_offset;
	loom_ss_rx_cb rx;		/**< payload arrived */
	loom_ss_tx_cb tx;		/**< ready to send (after loom_ss_request_tx()) */
	loom_ss_state_cb state;		/**< state changes */
};

/**
 * loom_ss_create() - create a stream of the type \p info->streamtype on service
 * thread \p tsi. The user object (info->user_alloc bytes, zeroed) gets the handle
 * at handle_offset and \p opaque at opaque_user_data_offset; the state callback
 * sees CREATING, and then (for a client type) the stream connects. For a server
 * type ("server": true) it opens the type's listener instead, and each request or
 * WebSocket connection accepted there becomes a stream of its own with the same
 * info (CREATING, then SERVER_TXN or SERVER_UPGRADE). Returns 0 and sets
 * \p *handle, or a negative LOOM_E* (LOOM_ENOTFOUND: no such stream type).
 */
int
loom_ss_create(struct loom_context *ctx, int tsi, const struct loom_ss_info *info,
	       void *opaque, struct loom_ss_handle **handle);

/**
 * loom_ss_destroy() - the state callback sees DESTROYING, the connection closes,
 * the user object is freed and \p *handle is set to NULL. NULL is ok.
 */
void
loom_ss_destroy(struct loom_ss_handle **handle);

/** loom_ss_request_tx() - ask for a tx callback (connecting first if needed) */
int
loom_ss_request_tx(struct loom_ss_handle *h);

/**
 * loom_ss_request_tx_len() - like loom_ss_request_tx() and says the message will
 * be \p len bytes in all (an HTTP body's content-length)
 */
int
loom_ss_request_tx_len(struct loom_ss_handle *h, unsigned long len);

/**
 * loom_ss_client_connect() - connect now (streams connect on create, except
 * after ALL_RETRIES_FAILED or a finished transaction)
 */
int
loom_ss_client_connect(struct loom_ss_handle *h);

/**
 * loom_ss_set_metadata() - set the metadata item \p name (copied); it fills
 * ${name} in the endpoint, url, headers and topics and, when the policy maps it
 * to a header, that header. Returns 0 or LOOM_ENOTFOUND / LOOM_ENOMEM.
 */
int
loom_ss_set_metadata(struct loom_ss_handle *h, const char *name, const void *value,
		     size_t len);

/**
 * loom_ss_get_metadata() - the value of \p name: what was set, or for a header
 * item what the peer's response carried. Returns 0 or LOOM_ENOTFOUND.
 */
int
loom_ss_get_metadata(struct loom_ss_handle *h, const char *name, const void **value,
		     size_t *len);

/** loom_ss_to_user_object() - the user object */
void *
loom_ss_to_user_object(struct loom_ss_handle *h);

/** loom_ss_get_context() - the context the stream belongs to */
struct loom_context *
loom_ss_get_context(struct loom_ss_handle *h);

/** loom_ss_policy_of() - the policy the stream was created with */
const struct loom_ss_stream_type *
loom_ss_stream_type_of(struct loom_ss_handle *h);

/**
 * loom_ss_server_port() - the port a server stream type's listener is on (its
 * policy "port", or the one picked for 0), for the stream loom_ss_create() made
 * for that type or any stream it accepted
 */
int
loom_ss_server_port(struct loom_ss_handle *h);

/**
 * loom_ss_server_ack() - an accepted h1 stream: the response status (default
 * 200); call it before the first tx of the response
 */
int
loom_ss_server_ack(struct loom_ss_handle *h, unsigned int status);

/** loom_ss_state_name() - "CONNECTED" ... for a LOOM_SSS_* */
const char *
loom_ss_state_name(int state);

/**
 * loom_ss_set_policy() - replace the context's policy at run time from JSON.
 * Streams created after use the new one; existing streams keep theirs until they
 * are destroyed. Returns 0, or an error (the old policy stays).
 */
int
loom_ss_set_policy(struct loom_context *ctx, const void *json, size_t len);

/** loom_ss_context_policy() - the context's current policy, or NULL */
const struct loom_ss_policy *
loom_ss_context_policy(struct loom_context *ctx);
/** @} */

#endif
