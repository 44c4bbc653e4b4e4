/*
 * context.h: the context (owner of everything), vhosts (listeners and their
 * protocols), and the service entry points that drive the event loop.
 */
#ifndef LOOM_CONTEXT_H
#define LOOM_CONTEXT_H

struct loom_context;
struct loom_vhost;
struct loom_protocol;
struct loom_tls_vhost_info;
struct loom_http_vhost_info;
struct loom_ws_vhost_info;
struct loom_h2_vhost_info;
struct loom_evlib_custom;

/** \defgroup context Context, vhosts and service
 * @{ */

/** the most service threads (pts) one context may have */
#define LOOM_MAX_SERVICE_THREADS 8

/** context options (struct loom_context_info.options) */
#define LOOM_CTX_OPT_NO_HOSTS_FILE	(1u << 0) /**< do not read /etc/hosts */

/**
 * struct loom_context_info - what loom_create_context() needs; zero it first so
 * members added later default to 0, and fill in only what you want.
 */
struct loom_context_info {
	unsigned int options;		/**< LOOM_CTX_OPT_* */
	void *user;			/**< returned by loom_context_user() */
	unsigned int count_threads;	/**< service threads (pts); 0 = 1 */
	unsigned int max_conns;		/**< max connections per pt; 0 = from fd limit */
	unsigned int pt_serv_buf_size;	/**< per-pt rx buffer; 0 = 4096 */
	unsigned int defer_queue_len;	/**< loom_defer() queue slots per pt; 0 = 64 */
	unsigned int timeout_secs;	/**< default wait timeout (connect, flush); 0 = 20 */
	unsigned int accept_retry_ms;	/**< after EMFILE/ENFILE, retry accept after; 0 = 100 */
	const char *hosts_file;		/**< hosts file to read; NULL = /etc/hosts */
	/** DNS servers, numeric "ip", "ip:port" or "[ip6]:port", in a NULL-terminated
	 * array (copied); NULL = those of resolv_conf; an empty array (first entry NULL)
	 * turns DNS off: names then come from the hosts file only */
	const char *const *nameservers;
	/** where to read nameservers from when \p nameservers is NULL, once, at context
	 * creation; NULL = $LOOM_RESOLV_CONF if set (and not setuid), else
	 * /etc/resolv.conf */
	const char *resolv_conf;
	unsigned int dns_cache_entries;	/**< DNS cache size per pt (answers); 0 = 32 */
	unsigned int dns_timeout_ms;	/**< wait per server and try; 0 = 2000 */
	unsigned int dns_attempts;	/**< rounds over the servers; 0 = 2 */
	/** nonzero: client connections without their own proxy setting use the
	 * http_proxy / https_proxy / all_proxy / no_proxy environment variables (read
	 * at context creation) */
	unsigned int proxy_from_env;
	/** the event library (READMEs/README.event-libs.md): NULL = the default loop
	 * (epoll or poll), or "libuv", "libevent", "libev", "glib" when this build has
	 * it (loom_evlib_available()). When NULL and \p custom_evlib is NULL,
	 * $LOOM_EVLIB names one (a testing aid: runs any program on another loop). */
	const char *event_lib;
	/** a loop of the app's own that Loom does not know (include/loom/evlib.h);
	 * overrides \p event_lib; Loom is then always a guest in the app's loop */
	const struct loom_evlib_custom *custom_evlib;
	/** per service thread (count_threads entries), the app's loop for Loom to join
	 * as a guest: a uv_loop_t *, struct event_base *, struct ev_loop *,
	 * GMainContext * or the custom loop's own pointer. Loom adds its watchers to it
	 * and never runs, stops or closes it. NULL (the array or an entry) = Loom
	 * makes, runs (loom_run()) and closes a loop of its own. */
	void **foreign_loops;
	/** Secure Streams (include/loom/ss.h): the policy as a JSON file to read at
	 * creation; a policy that does not parse fails the context creation */
	const char *ss_policy_file;
	/** or the policy JSON in memory (used instead of \p ss_policy_file) */
	const char *ss_policy;
	/** length of \p ss_policy; 0 = strlen() */
	size_t ss_policy_len;
	/** Secure Streams through a proxy (SSPC, READMEs/README.ss-serialization.md):
	 * every loom_ss_* stream of this context is served by the SS proxy
	 * (loom-ssproxy) at this address instead of in this process: "unix:@name"
	 * (Linux abstract socket), "unix:/path", "host:port" or "mux:/dev/ttyX"
	 * (channels of the transport mux over a tty). The proxy owns the policy, so
	 * \p ss_policy_file and \p ss_policy are not read. NULL = in process by the
	 * policy (a full build), or in an SSPC-only build (LOOM_WITH_SSPC) the
	 * address in $LOOM_SSPROXY, else "unix:@loom-ssproxy". Needs
	 * LOOM_WITH_SS_VIA_PROXY (loom-config.h); elsewhere it is ignored. */
	const char *ss_proxy;
};

/** vhost options (struct loom_vhost_info.options) */
#define LOOM_VHOST_OPT_RAW		(1u << 0) /**< accepted conns use the raw-skt role
						   *   (default: HTTP/1.1) */
#define LOOM_VHOST_OPT_UDP		(1u << 1) /**< listen on a UDP socket (needs RAW) */
#define LOOM_VHOST_OPT_NO_LISTEN	(1u << 2) /**< no listen socket (client only) */
#define LOOM_VHOST_OPT_IPV6_ONLY	(1u << 3) /**< an IPv6 listener refuses IPv4 */
#define LOOM_VHOST_OPT_IPV4_ONLY	(1u << 4) /**< listen on IPv4 only (0.0.0.0) */
/** accepted TCP conns keep Nagle's algorithm. By default each accepted TCP socket
 *  gets TCP_NODELAY, so a small write (a ws frame, an h2 frame, a response head)
 *  leaves at once instead of waiting for the ACK of the last one; Unix sockets
 *  and outgoing (client) connections are never changed */
#define LOOM_VHOST_OPT_NAGLE		(1u << 5)

/**
 * struct loom_vhost_info - what loom_create_vhost() needs; zero it first
 */
struct loom_vhost_info {
	const char *name;		/**< vhost name, for logs and lookup; NULL = "default" */
	unsigned int options;		/**< LOOM_VHOST_OPT_* */
	int port;			/**< TCP/UDP port; 0 = pick a free one */
	const char *iface;		/**< bind address (numeric); NULL = any */
	/** Unix socket path to listen on instead of a port; "@name" is a Linux abstract
	 * socket. An existing socket file at the path is replaced. */
	const char *unix_socket_path;
	const struct loom_protocol *protocols; /**< array ending in a NULL-name entry */
	/** protocol bound to accepted connections; NULL = the first one */
	const char *listen_accept_protocol;
	int listen_backlog;		/**< 0 = SOMAXCONN */
	unsigned int keepalive_secs;	/**< TCP keepalive idle time for accepted conns; 0 = off */
	void *user;			/**< returned by loom_vhost_user() */
	/** TLS for this vhost's listener (include/loom/tls.h); NULL = plain */
	const struct loom_tls_vhost_info *tls;
	/** HTTP limits, mounts and options (include/loom/http.h); NULL = defaults */
	const struct loom_http_vhost_info *http;
	/** WebSocket limits and options (include/loom/ws.h); NULL = defaults */
	const struct loom_ws_vhost_info *ws;
	/** HTTP/2 limits and options (include/loom/h2.h); NULL = defaults */
	const struct loom_h2_vhost_info *h2;
};

/**
 * loom_create_context() - create a context
 * \param info: creation info (copied; may be freed after the call)
 *
 * Returns the context or NULL (with an error logged). Creates the per-thread service
 * state, the event loop and the wakeup pipe of each service thread.
 */
struct loom_context *
loom_create_context(const struct loom_context_info *info);

/**
 * loom_context_destroy() - close every connection (each gets its close callback once),
 * destroy every vhost (PROTOCOL_DESTROY) and free everything. NULL is allowed.
 * Call it on the service thread, not from a callback.
 */
void
loom_context_destroy(struct loom_context *ctx);

/** loom_context_user() - the info.user pointer of the context */
void *
loom_context_user(const struct loom_context *ctx);

/**
 * loom_create_vhost() - add a vhost: its protocols, and its listen socket unless
 * LOOM_VHOST_OPT_NO_LISTEN. \p info is copied; the protocols array must outlive it.
 * Returns the vhost or NULL.
 */
struct loom_vhost *
loom_create_vhost(struct loom_context *ctx, const struct loom_vhost_info *info);

/** loom_vhost_port() - the port the vhost listens on (after a port 0 pick), or -1 */
int
loom_vhost_port(const struct loom_vhost *vh);

/** loom_vhost_user() - the info.user pointer of the vhost */
void *
loom_vhost_user(const struct loom_vhost *vh);

/** loom_vhost_name() - the vhost's name */
const char *
loom_vhost_name(const struct loom_vhost *vh);

/** loom_vhost_context() - the vhost's context */
struct loom_context *
loom_vhost_context(const struct loom_vhost *vh);

/** loom_get_vhost_by_name() - find a vhost, or NULL */
struct loom_vhost *
loom_get_vhost_by_name(struct loom_context *ctx, const char *name);

/** loom_vhost_name_to_protocol() - the vhost's protocol called \p name, or NULL */
const struct loom_protocol *
loom_vhost_name_to_protocol(const struct loom_vhost *vh, const char *name);

/**
 * loom_service() - wait for and handle events on service thread 0
 * \param ctx: the context
 * \param timeout_ms: longest wait; 0 = do not wait; negative = until an event
 *
 * Returns 0, or a negative error if the context is stopping or broken.
 */
int
loom_service(struct loom_context *ctx, int timeout_ms);

/** loom_service_tsi() - loom_service() for service thread \p tsi */
int
loom_service_tsi(struct loom_context *ctx, int timeout_ms, int tsi);

/**
 * loom_run() - call loom_service_tsi() until loom_stop() is called.
 * Returns 0 after a stop, or a negative error.
 */
int
loom_run(struct loom_context *ctx, int tsi);

/**
 * loom_stop() - make loom_run() return on every service thread. Safe to call from
 * a signal handler and from any thread: it sets a flag and wakes the loops.
 */
void
loom_stop(struct loom_context *ctx);

/** loom_is_stopping() - nonzero after loom_stop() */
int
loom_is_stopping(const struct loom_context *ctx);

/**
 * loom_cancel_service() - wake every service thread; each protocol then gets
 * LOOM_CB_EVENT_WAIT_CANCELLED. Safe from any thread and from signal handlers.
 */
void
loom_cancel_service(struct loom_context *ctx);

/** loom_cancel_service_tsi() - wake service thread \p tsi only */
void
loom_cancel_service_tsi(struct loom_context *ctx, int tsi);

/** loom_defer_fn - a function run later on the service thread */
typedef void (*loom_defer_fn)(struct loom_context *ctx, void *arg);

/**
 * loom_defer() - queue \p fn(ctx, \p arg) to run on service thread 0 and wake it.
 * Safe from any thread (not from signal handlers). The queue is bounded
 * (info.defer_queue_len); when it is full this returns LOOM_EBUSY and \p fn will not run.
 * Functions run in the order queued. Functions still queued when
 * loom_context_destroy() is called run at its start, while the context is whole, so
 * the caller can free \p arg; stop the threads that call this before destroying.
 * Not in a library built with LOOM_WITH_DEFER=OFF.
 */
int
loom_defer(struct loom_context *ctx, loom_defer_fn fn, void *arg);

/** loom_defer_tsi() - loom_defer() onto service thread \p tsi */
int
loom_defer_tsi(struct loom_context *ctx, int tsi, loom_defer_fn fn, void *arg);

/** loom_count_threads() - the number of service threads of the context */
int
loom_count_threads(const struct loom_context *ctx);

/** loom_conn_count() - connections alive on service thread \p tsi (not listeners) */
unsigned int
loom_conn_count(const struct loom_context *ctx, int tsi);
/** @} */

#endif
