/*
 * client.h: opening client connections. Connecting never blocks: the address is
 * numeric or found in the hosts file, and the connect completes in the event loop.
 */
#ifndef LOOM_CLIENT_H
#define LOOM_CLIENT_H

/** \defgroup client Client connections
 * @{ */

/** client connect flags */
#define LOOM_CONNECT_RAW	(1u << 0) /**< raw-skt role (the only one in this build) */
#define LOOM_CONNECT_UDP	(1u << 1) /**< a UDP socket (with LOOM_CONNECT_RAW) */

struct loom_tls_client_info;

/**
 * struct loom_client_connect_info - what loom_client_connect() needs; zero it first
 */
struct loom_client_connect_info {
	struct loom_context *context;	/**< the context */
	struct loom_vhost *vhost;	/**< vhost whose protocols to use; NULL = first */
	/** numeric IPv4/IPv6 address, a name from the hosts file, or "unix:/path" /
	 * "unix:@abstract" for a Unix stream socket */
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
};

/**
 * loom_client_connect() - start a client connection
 *
 * Returns the connection, or NULL when it cannot even start (bad arguments, unknown
 * name, no memory, no socket), with the reason logged. Later failures reach the
 * protocol callback as LOOM_CB_CLIENT_CONNECTION_ERROR; success as LOOM_CB_RAW_CONNECTED.
 * Every resolved address is tried in turn before the connection fails.
 */
struct loom_conn *
loom_client_connect(const struct loom_client_connect_info *info);
/** @} */

#endif
