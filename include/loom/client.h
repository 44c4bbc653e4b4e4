/*
 * client.h: opening client connections. Connecting never blocks: names resolve
 * asynchronously (hosts file, then DNS), and the connect completes in the event loop.
 */
#ifndef LOOM_CLIENT_H
#define LOOM_CLIENT_H

/** \defgroup client Client connections
 * @{ */

/** client connect flags */
#define LOOM_CONNECT_RAW	(1u << 0) /**< raw-skt role (else HTTP when ci.method is set) */
#define LOOM_CONNECT_UDP	(1u << 1) /**< a UDP socket (with LOOM_CONNECT_RAW) */
#define LOOM_CONNECT_WS		(1u << 2) /**< a WebSocket client (path, host, ws_*) */
#define LOOM_CONNECT_WS_DEFLATE	(1u << 3) /**< with WS: offer permessage-deflate */
/** HTTP client: follow 301/302/303/307/308 redirects (at most 5); the request then
 * continues on a new conn (the callbacks' \p conn changes, the per-session data is
 * carried over). A redirect to https uses the library's copy of \p tls (to
 * another host or port without its server_name), or the system trust store when
 * the request was plain. The new conn connects as the first did: the same \p proxy,
 * \p iface, \p iface_name, \p dns_flags, \p timeout_ms and \p addr_timeout_ms
 * (so does a queued request that connects again by itself). Once a redirect goes
 * to another scheme, host or port, Authorization and Cookie headers added with
 * loom_http_client_add_header() are left out of that request and the later ones. */
#define LOOM_CONNECT_FOLLOW_REDIRECTS (1u << 7)
/** HTTP client on a plain (not TLS) conn: speak HTTP/2 at once, without asking
 * (h2c by prior knowledge, RFC 9113 3.3). Over TLS, h2 is asked for by naming "h2"
 * in the ALPN list of \p tls instead. Either way, requests to the same address,
 * port and host, with \p tls infos equal in content (or both plain), share one h2
 * connection as parallel streams; each is still its own conn with the HTTP/1
 * client's callbacks. */
#define LOOM_CONNECT_H2_PRIOR_KNOWLEDGE (1u << 4)
/** HTTP client on a plain conn, a request without a body: ask the server to
 * switch to HTTP/2 ("Upgrade: h2c", RFC 7540 3.2); after its 101 the request is
 * stream 1 of an h2 connection that later requests to the server join. A server
 * that does not switch answers over HTTP/1.1 as usual. */
#define LOOM_CONNECT_H2C_UPGRADE (1u << 5)
/** with WS: WebSocket over HTTP/2 (RFC 8441): the ws is an extended CONNECT on a
 * stream of an h2 connection to the server (shared with other requests to it),
 * sent once the server's SETTINGS allow it. Over TLS \p tls must name "h2" in its
 * ALPN list; on a plain conn h2c is spoken by prior knowledge. A server that does
 * not speak h2 or offer the extended CONNECT gives LOOM_CB_CLIENT_CONNECTION_ERROR.
 * The callbacks are those of any ws client. */
#define LOOM_CONNECT_WS_H2	(1u << 6)
/** how many redirects LOOM_CONNECT_FOLLOW_REDIRECTS follows before it fails */
#define LOOM_HTTP_MAX_REDIRECTS	5

struct loom_tls_client_info;
struct loom_mqtt_client_info;

/**
 * struct loom_client_connect_info - what loom_client_connect() needs; zero it first.
 *
 * loom_client_connect() copies what it keeps of this struct, of \p tls, \p mqtt
 * and of every string and buffer they point to before it returns (PEM in memory
 * once per context, by content): they may live on the caller's stack and be
 * reused or freed at once, also with redirects, requests queued for a kept-alive
 * connection and h2 streams that join a connection later. What stays the
 * caller's: \p context and \p vhost, \p userdata (the per-session data, until
 * the conn closes), \p opaque_user_data (a value the library only hands back),
 * and the MQTT session object of \p mqtt (until the connection ends).
 */
struct loom_client_connect_info {
	struct loom_context *context;	/**< the context */
	struct loom_vhost *vhost;	/**< vhost whose protocols to use; NULL = first */
	/** numeric IPv4/IPv6 address, a host name (hosts file, then DNS), or
	 * "unix:/path" / "unix:@abstract" for a Unix stream socket */
	const char *address;
	int port;			/**< TCP/UDP port */
	unsigned int flags;		/**< LOOM_CONNECT_* */
	const char *protocol;		/**< protocol name on the vhost; NULL = the first */
	void *userdata;			/**< use as per-session data instead of allocating */
	void *opaque_user_data;		/**< loom_get_opaque_user_data() value */
	const char *iface;		/**< bind to this local numeric address first; NULL = any */
	unsigned int timeout_ms;	/**< connect timeout; 0 = the context's timeout */
	int tsi;			/**< service thread to own the connection */
	struct loom_conn **pconn;	/**< if set, receives the conn before any callback */
	/** TLS for this connection (include/loom/tls.h); NULL = plain */
	const struct loom_tls_client_info *tls;
	const char *method;		/**< HTTP client: "GET", "POST" ...; NULL = raw */
	const char *path;		/**< HTTP client: the request target, "/" if NULL */
	const char *host;		/**< Host header / TLS SNI; NULL = address */
	/** proxy: "http://[user:pass@]host:port" (HTTP CONNECT tunnel) or
	 * "socks5://[user:pass@]host:port" (the proxy resolves the name); NULL = none,
	 * or the environment's when the context has proxy_from_env; "" = never */
	const char *proxy;
	/** give up on one address after this many ms and try the next; 0 = no limit
	 * but timeout_ms (addresses also race: the next starts after 250 ms) */
	unsigned int addr_timeout_ms;
	/** bind the socket to this network interface by name (SO_BINDTODEVICE,
	 * Linux only); NULL = any */
	const char *iface_name;
	/** LOOM_DNS_IPV4 / LOOM_DNS_IPV6 to use one address family only; 0 = both */
	unsigned int dns_flags;
	/** MQTT client (include/loom/mqtt.h): set, the connection speaks MQTT over
	 * the transport (TCP, or TLS with \p tls); NULL = not MQTT */
	const struct loom_mqtt_client_info *mqtt;
	/** WebSocket client: subprotocols to ask for, "a, b" (Sec-WebSocket-Protocol);
	 * NULL = none. The one the server picks is bound if the vhost has it. */
	const char *ws_protocol;
	/** WebSocket client: an Origin header to send; NULL = none */
	const char *ws_origin;
	/** WebSocket client: largest message accepted (1009 past it); 0 = 1 MiB */
	uint64_t ws_max_message;
	/**
	 * HTTP and WebSocket client: the largest request head, in bytes: the
	 * request line, the headers and the blank line after them (over h2, the
	 * same text before HPACK). A header that would pass it makes
	 * loom_http_client_add_header() or loom_ws_client_add_header() return
	 * LOOM_ELIMIT, with the reason logged; returning nonzero from
	 * LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER then fails the connection. The
	 * request holds a buffer of this size while it is in progress. 0 = 2048;
	 * from 128 to 262144 (values outside are taken as the nearest).
	 */
	unsigned int max_request_head_bytes;
};

/**
 * loom_client_connect() - start a client connection
 *
 * Returns the connection, or NULL when it cannot even start (bad arguments, a name
 * not in the hosts file while DNS is off, no memory), with the reason logged. Later
 * failures (a name DNS does not know, every address refused, timeouts, a proxy
 * refusal) reach the protocol callback once as LOOM_CB_CLIENT_CONNECTION_ERROR with
 * a reason ("dns: NXDOMAIN for example.invalid", "connect failed: ..."); success as
 * LOOM_CB_RAW_CONNECTED. Every resolved address is tried, IPv6 and IPv4 interleaved,
 * the next one started 250 ms after the last if it has not connected yet or at
 * once when it failed; the first to connect wins. Until it connects the conn has no
 * fd (loom_get_fd() is -1).
 */
struct loom_conn *
loom_client_connect(const struct loom_client_connect_info *info);
/** @} */

#endif
