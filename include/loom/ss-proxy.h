/*
 * ss-proxy.h: serving Secure Streams to other processes (SSPC clients).
 */
#ifndef LOOM_SS_PROXY_H
#define LOOM_SS_PROXY_H

/** \defgroup ssproxy Secure Streams proxy
 * The proxy side of serialized Secure Streams: a listener that SSPC clients
 * connect to, one connection per stream, speaking the wire format of
 * READMEs/README.ss-serialization.md. Each client stream becomes a real stream
 * of this context's policy; its states, metadata and payloads go back to the
 * client, with credit-based flow control both ways.
 * @{ */

struct loom_context;
struct loom_vhost;

/** struct loom_ss_proxy_info - where and how to serve; zero it first */
struct loom_ss_proxy_info {
	/** Unix socket to listen on ("@name": Linux abstract); NULL: TCP \p port */
	const char *unix_path;
	/** TCP port when \p unix_path is NULL (0 = pick a free one) */
	int port;
	/** TCP interface; NULL = "127.0.0.1" (never all interfaces by default) */
	const char *iface;
	/** stream types clients may open, NULL-terminated; NULL = all of the policy's */
	const char *const *allowed_streamtypes;
	/** payload bytes of one client's stream the proxy holds for the peer (its tx
	 *  credit window, 65536); the client may not send more until credit returns */
	unsigned int tx_window;
	/** bytes the proxy holds for a client that is not reading before it drops it
	 *  (4 MiB) */
	unsigned int max_backlog;
	/** also serve SSPC clients multiplexed over this tty / pty (a UART), as
	 *  channels of the transport mux (README.ss-serialization.md); it is set
	 *  raw and reopened if it closes. NULL = none */
	const char *mux_path;
	/** mux keepalive: PING interval in ms (500) */
	unsigned int mux_ping_ms;
	/** how many unanswered PINGs take the mux link down (3): every stream
	 *  on it then ends */
	unsigned int mux_miss_max;
	/** peer credentials of Unix socket clients (SO_PEERCRED on Linux,
	 *  getpeereid() on the BSDs): with either list set, a client is served only
	 *  when its uid is in \p allowed_uids or its gid in \p allowed_gids. Any
	 *  other (or one whose credentials cannot be read) gets a log line, its HELLO
	 *  is answered DENIED (the SSPC stream ends ALL_RETRIES_FAILED) and it is
	 *  dropped. The lists are copied. Needs \p unix_path: loom_ss_proxy_create()
	 *  fails with lists and a TCP listener, where nobody can be told apart. Mux
	 *  channels are not checked: the tty's own permissions guard it. */
	const unsigned int *allowed_uids;
	unsigned int count_allowed_uids;	/**< entries in \p allowed_uids */
	const unsigned int *allowed_gids;	/**< see \p allowed_uids */
	unsigned int count_allowed_gids;	/**< entries in \p allowed_gids */
};

/**
 * loom_ss_proxy_create() - serve this context's Secure Streams policy to SSPC
 * clients on a new vhost. The context must have a policy. Returns the listening
 * vhost (loom_vhost_port() tells a picked port), or NULL.
 */
struct loom_vhost *
loom_ss_proxy_create(struct loom_context *ctx, const struct loom_ss_proxy_info *info);

/** @} */

#endif
