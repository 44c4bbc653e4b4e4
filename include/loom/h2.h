/*
 * h2.h: HTTP/2 (RFC 9113) settings of a vhost. Each h2 stream is a connection of
 * its own with HTTP/1 semantics: the same callbacks (LOOM_CB_HTTP, _BODY, ...),
 * header accessors and response API as HTTP/1.1, so code serving h1 serves h2.
 */
#ifndef LOOM_H2_H
#define LOOM_H2_H

struct loom_conn;

/** \defgroup h2 HTTP/2
 * @{ */

/** struct loom_h2_vhost_info options */
#define LOOM_H2_OPT_NO_H2C_UPGRADE	(1u << 0) /**< ignore "Upgrade: h2c" */
#define LOOM_H2_OPT_NO_PRIOR_KNOWLEDGE	(1u << 1) /**< no h2c preface on plain ports */
/** do not offer WebSocket over h2 (RFC 8441 SETTINGS_ENABLE_CONNECT_PROTOCOL).
 * It is offered by default when the vhost has WebSocket settings
 * (loom_vhost_info.ws) or more protocols than its first (HTTP) one */
#define LOOM_H2_OPT_NO_WEBSOCKET	(1u << 2)

/**
 * struct loom_h2_vhost_info - HTTP/2 limits of a vhost (loom_vhost_info.h2); zero
 * it first: 0 in a member means its default. h2 is offered over TLS when the
 * vhost's ALPN list (loom_tls_vhost_info.alpn) names "h2"; on a plain HTTP port a
 * client may start h2 by the connection preface (prior knowledge) or by
 * "Upgrade: h2c", unless the options forbid it.
 */
struct loom_h2_vhost_info {
	unsigned int options;		/**< LOOM_H2_OPT_* */
	/** streams open at once per connection; more get RST_STREAM
	 * REFUSED_STREAM. 0 = 128 */
	unsigned int max_concurrent_streams;
	/** our receive window per stream (SETTINGS_INITIAL_WINDOW_SIZE) and for
	 * the connection; 0 = 65535 */
	unsigned int initial_window;
	/** largest frame payload we accept (SETTINGS_MAX_FRAME_SIZE), 16384 to
	 * 16777215; 0 = 16384 */
	unsigned int max_frame_size;
	/** largest decoded header list (SETTINGS_MAX_HEADER_LIST_SIZE, RFC 9113
	 * 6.5.2 sizes); past it the stream gets a 431 or a reset. 0 = the vhost's
	 * HTTP max_head_bytes (8192 by default). Each service thread's decode
	 * buffers grow to hold the largest list of its conns, up to 1 MiB */
	unsigned int max_header_list;
	/** largest encoded header block (HEADERS + CONTINUATION) we accumulate;
	 * past it the connection ends with ENHANCE_YOUR_CALM. 0 = 2 x
	 * max_header_list, at least 16384 */
	unsigned int max_header_block;
	/** our HPACK decoder's dynamic table (SETTINGS_HEADER_TABLE_SIZE); 0 = 4096 */
	unsigned int hpack_table_size;
	/** rapid reset defence: streams the peer may reset (or we refuse) per
	 * second before the connection ends with ENHANCE_YOUR_CALM. 0 = 200 */
	unsigned int max_resets_per_sec;
	/** PING and SETTINGS ACKs we may hold unsent while the peer does not
	 * read; one more ends the connection (ENHANCE_YOUR_CALM). 0 = 256 */
	unsigned int max_pending_acks;
	/** a stream whose response is stopped by a zero flow-control window for
	 * this long is reset (CANCEL). 0 = 10 */
	unsigned int stall_timeout_secs;
	/** a connection with no open stream for this long gets GOAWAY and is
	 * closed. 0 = 60 */
	unsigned int idle_timeout_secs;
	/** how many of the streams we last reset are remembered, so the frames
	 * the peer sent before it saw the reset are dropped quietly (DATA still
	 * counts against the connection window); frames on an older one get
	 * RST_STREAM STREAM_CLOSED (RFC 9113 5.1). 4 bytes each per connection.
	 * 0 = 32, at most 1024 */
	unsigned int reset_memory;
};

/** loom_conn_is_h2_stream() - 1 when \p conn is an HTTP/2 stream, also one that
 * carries a WebSocket (RFC 8441) */
int
loom_conn_is_h2_stream(const struct loom_conn *conn);

/** loom_h2_stream_id() - the stream id of an h2 stream conn, else 0 */
unsigned int
loom_h2_stream_id(const struct loom_conn *conn);

/**
 * loom_h2_network_conn() - the HTTP/2 connection an h2 stream conn belongs to (the
 * conn owning the socket), or NULL when \p conn is not an h2 stream. Client
 * requests to the same server share one: compare it to see that they did.
 */
struct loom_conn *
loom_h2_network_conn(const struct loom_conn *conn);

/** @} */

#endif
