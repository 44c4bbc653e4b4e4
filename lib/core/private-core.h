/*
 * private-core.h: the core objects (context, vhost, per-thread state, conn) and the
 * functions the rest of the library may call in core. Nothing outside lib/ sees this.
 */
#ifndef LOOM_PRIVATE_CORE_H
#define LOOM_PRIVATE_CORE_H

#include <loom.h>

#include <string.h>
#include <errno.h>

#include "plat/private-plat.h"

#if !defined(LOOM_WITH_ALLOC_REASONS)
/* LOOM_WITH_ALLOC_REASONS=OFF: the library's own allocations tell the allocator
 * hook "" for a reason, so a device's image holds none of the reason strings */
#define loom_realloc(p, size, reason)	(loom_realloc)(p, size, "")
#define loom_zalloc(size, reason)	(loom_zalloc)(size, "")
#endif

struct loom_role_ops;
struct loom_event_lib_ops;
struct loom_pt;

/* seconds/µs helpers */
#define LOOM_US_PER_SEC ((loom_usec_t)1000000)
#define LOOM_US_PER_MS ((loom_usec_t)1000)

/* conn flags (struct loom_conn.flags) */
#define LCF_CLIENT		(1u << 0)  /* we started it (loom_client_connect) */
#define LCF_ESTABLISHED		(1u << 1)  /* adopt/connected callback was given */
#define LCF_WANT_WRITABLE	(1u << 2)  /* user asked for a WRITEABLE callback */
#define LCF_KNOWN_WRITABLE	(1u << 3)  /* last write went through whole, no EAGAIN */
#define LCF_RX_PAUSED		(1u << 4)  /* rx flow control: not reading */
#define LCF_CLOSING		(1u << 5)  /* flushing before close, no more user I/O */
#define LCF_PEER_EOF		(1u << 6)  /* peer shut its side: close once drained */
#define LCF_NO_CLOSE_FD		(1u << 7)  /* adopted with LOOM_ADOPT_NO_CLOSE */
#define LCF_UDP			(1u << 8)  /* datagram socket */
#define LCF_NOT_POLLABLE	(1u << 9)  /* regular file: always ready, not in the poll set */
#define LCF_USER_ALLOCED	(1u << 10) /* user_space belongs to the app */
#define LCF_CLOSED_CB_DONE	(1u << 11) /* the close callback was given */
#define LCF_IN_CALLBACK		(1u << 12) /* inside a user callback for this conn */
#define LCF_IS_SOCKET		(1u << 13) /* send()/recv() apply (else write()/read()) */
#define LCF_COUNTED		(1u << 14) /* counts against max_conns */
#define LCF_UDP_HAVE_PEER	(1u << 15) /* role_data is the UDP peer address */
#define LCF_CONNECTING		(1u << 16) /* client connect in progress (role_data) */
#define LCF_LISTENER		(1u << 17) /* a vhost's listen (or UDP) socket */
#define LCF_PSS_ALLOCED		(1u << 18) /* user_space is a block of its own */
#define LCF_HUP_PARKED		(1u << 19) /* hung up while paused: out of the poll set */
#define LCF_TX_FAILED		(1u << 20) /* a write failed for good: closes as 1006 */
#if !defined(LOOM_PLAT_SOCKETS)
/* no sockets (LOOM_PLAT=baremetal): no conn is ever a socket, a listener or a
 * client (loom_client_connect() needs sockets), so these flags are 0 and the
 * core's paths for them compile away */
#undef LCF_CLIENT
#undef LCF_UDP
#undef LCF_IS_SOCKET
#undef LCF_UDP_HAVE_PEER
#undef LCF_CONNECTING
#undef LCF_LISTENER
#define LCF_CLIENT		0u
#define LCF_UDP			0u
#define LCF_IS_SOCKET		0u
#define LCF_UDP_HAVE_PEER	0u
#define LCF_CONNECTING		0u
#define LCF_LISTENER		0u
#endif
#if defined(LOOM_PLAT_BAREMETAL) && !defined(LOOM_WITH_CUSTOM_EVLIB)
/* the bare-metal loop watches every conn (each is one of the app's streams, and
 * nothing else can be adopted there): no conn is ever "always ready", so the
 * flag is 0 and the always-ready paths compile away */
#define LOOM_ALL_POLLABLE
#undef LCF_NOT_POLLABLE
#define LCF_NOT_POLLABLE	0u
#endif

/* event interest (conn->ev and loom__io() flags) */
#define LOOM_EV_READ		(1u << 0)
#define LOOM_EV_WRITE		(1u << 1)
#define LOOM_EV_START		(1u << 2)
#define LOOM_EV_STOP		(1u << 3)
#define LOOM_REV_HUPERR		(1u << 4)  /* revents only: hangup or error */

struct loom_conn {
	/* what every read and write touches first (fewer cache lines per message) */
	const struct loom_role_ops *role;
	const struct loom_protocol *protocol;
	struct loom_vhost *vhost;
	void *user_space;
	struct loom_buflist *buflist_out;	/* output the socket did not take yet */
	void *role_data;			/* the role's state, or the UDP peer address */
	void *tls;				/* TLS session (lib/tls), NULL when plain */
	struct loom_pt *pt;			/* owning service thread */
	int fd;
	uint32_t flags;				/* LCF_* */
	uint8_t ev;				/* LOOM_EV_READ|WRITE registered */
	uint8_t pending_timeout;		/* enum loom_timeout_reason */
	uint8_t close_status_hi;		/* reason kept while flushing (status - 1000) */
	uint16_t serial;			/* for the log tag: connections made on this pt */
	struct loom_dll2 list_pending;		/* pt->pending_writable or pt->always_ready */
	void *opaque_user_data;
	void *cstate;				/* client connect state while connecting */
	struct loom_sul sul_timeout;		/* loom_set_timeout() */
};

/* A deferred function queued from another thread (loom_defer()). */
struct loom_defer_item {
	loom_defer_fn fn;
	void *arg;
};

/* Per service thread ("pt"): owns its conns, sul list, poll set and wakeup pipe. */
struct loom_pt {
	struct loom_context *ctx;
	struct loom_conn **fds;			/* fd -> conn, fds_max entries */
	unsigned int fds_max;
	unsigned int count_conns;		/* counted conns (not listen/pipe) */
	struct loom_dll2_owner sul_owner;	/* scheduled suls, soonest first */
	struct loom_dll2_owner pending_writable;/* conns whose WRITEABLE can go now */
	struct loom_dll2_owner always_ready;	/* not-pollable fds (regular files) */
	struct loom_dll2_owner fdless;		/* client conns that failed before an fd */
	struct loom_dll2_owner tls_rx_pending;	/* TLS conns holding decrypted input */
	uint8_t *serv_buf;			/* rx buffer shared by the pt's conns */
	unsigned int serv_buf_size;
	void *evlib_pt;				/* event-lib private state */
	uint8_t evlib_guest;			/* in a loop the app runs (foreign/custom) */
	struct loom_conn *pipe_conn;		/* the wakeup pipe (none on baremetal) */
	struct loom_plat_wake wake;		/* platform wake handles */
	struct loom_plat_mutex defer_lock;	/* protects the defer ring */
	struct loom_defer_item *defer_ring;
	unsigned int defer_len, defer_head, defer_count;
	struct loom_sul sul_accept_retry;	/* re-arm listeners after EMFILE */
	void *http_pt;				/* HTTP roles' per-thread state (lib/roles/http) */
	void *h2_pt;				/* the h2 role's per-thread buffers */
	uint16_t conn_serial;
	uint8_t tsi;
	uint8_t inside_service;
	int cancel_pending;			/* loom_cancel_service() asked (atomic) */
	uint8_t listeners_paused;
	uint8_t destroying;
};

struct loom_vhost {
	struct loom_context *ctx;
	struct loom_vhost *next;
	char *name;
	const struct loom_protocol *protocols;
	unsigned int count_protocols;
	const struct loom_protocol *accept_protocol;
	const struct loom_role_ops *accept_role;
	struct loom_conn *listen_conn[LOOM_MAX_SERVICE_THREADS];
	void *user;
	char *unix_path;			/* filesystem path to unlink at destroy */
	void *http_vh;				/* HTTP roles' per-vhost settings */
	void *ws_vh;				/* the ws role's per-vhost settings */
	void *h2_vh;				/* the h2 role's per-vhost settings */
	unsigned int options;
	unsigned int keepalive_secs;
	int listen_port;
	void *tls;				/* lib/tls server state, NULL when plain */
	uint8_t protocols_inited;
};

struct loom_hosts_entry {
	char *name;
	uint8_t addr[16];
	uint8_t family;				/* 4 or 6 */
};

struct loom_context {
	struct loom_vhost *vhosts;		/* singly linked, creation order */
	const struct loom_event_lib_ops *evlib;
	const void *evlib_ctx;			/* event-lib context state (custom ops) */
	void *user;
	struct loom_hosts_entry *hosts;
	unsigned int count_hosts;
	struct loom_dns *dns;			/* resolver config and state (lib/net/dns) */
	unsigned int count_threads;
	unsigned int max_conns;
	unsigned int timeout_secs;
	unsigned int accept_retry_ms;
	unsigned int options;
	int stopping;				/* loom_stop() was called (atomic) */
	int destroying;
	void *tls;				/* lib/tls state, made on first use */
	void *ss;				/* lib/secure-streams state, or NULL */
	struct loom_pt pt[LOOM_MAX_SERVICE_THREADS];
};

/* ---- allocation helpers ---- */
char *
loom__strdup(const char *s, const char *reason);
/* the allocator the user installed with loom_set_allocator(), NULL for the default
 * (lib/tls routes the TLS library's allocations through it) */
loom_realloc_fn
loom__allocator_user(void);

/* ---- conn lifecycle (conn.c, close.c) ---- */
struct loom_conn *
loom__conn_create(struct loom_pt *pt, struct loom_vhost *vh,
		  const struct loom_role_ops *role, const struct loom_protocol *p,
		  void *userdata);
int
loom__conn_insert_fd(struct loom_conn *conn, int fd, unsigned int ev);
int
loom__conn_rebind_protocol(struct loom_conn *conn, const struct loom_protocol *p);
int
loom__conn_move_fd(struct loom_conn *from, struct loom_conn *to);
void
loom__conn_free(struct loom_conn *conn);
int
loom__user_callback(struct loom_conn *conn, enum loom_callback_reason reason,
		    void *in, size_t len);
void
loom__close_now(struct loom_conn *conn, enum loom_close_status status,
		const char *why);
int
loom__close(struct loom_conn *conn, enum loom_close_status status, const char *why);
int
loom__close_when_drained(struct loom_conn *conn);
int
loom__check_drained(struct loom_conn *conn);

/* ---- transport and output (output.c) ---- */
int
loom__conn_read(struct loom_conn *conn, uint8_t *buf, size_t len);
int
loom__conn_write(struct loom_conn *conn, const uint8_t *buf, size_t len);
int
loom__transport_connected(struct loom_conn *conn);
int
loom__transport_adopted(struct loom_conn *conn);
int
loom__client_established(struct loom_conn *conn);
int
loom__server_established(struct loom_conn *conn);
void
loom__transport_destroy(struct loom_conn *conn);
void
loom__transport_move(struct loom_conn *from, struct loom_conn *to);
int
loom__transport_client_bind(struct loom_conn *conn,
			    const struct loom_client_connect_info *info);
int
loom__issue_raw(struct loom_conn *conn, const uint8_t *buf, size_t len);
int
loom__flush_pending(struct loom_conn *conn);
void
loom__conn_tx_failed(struct loom_conn *conn);

/* ---- service (service.c) ---- */
int
loom__service_conn(struct loom_pt *pt, struct loom_conn *conn, unsigned int revents);
loom_usec_t
loom__sul_service(struct loom_pt *pt, loom_usec_t now);
int
loom__pt_wait_ms(struct loom_pt *pt, int timeout_ms);
void
loom__pt_after_wait(struct loom_pt *pt);
void
loom__io(struct loom_conn *conn, unsigned int flags);

/* ---- defer / wake (defer.c) ---- */
#if defined(LOOM_WITH_DEFER)
int
loom__pt_defer_init(struct loom_pt *pt, unsigned int len);
void
loom__pt_defer_destroy(struct loom_pt *pt);
void
loom__pt_defer_run(struct loom_pt *pt);
#else
/* LOOM_WITH_DEFER=OFF: no loom_defer() and no queue (defer_ring stays NULL) */
#define loom__pt_defer_init(pt, len)	((void)(pt), (void)(len), 0)
#define loom__pt_defer_destroy(pt)	((void)(pt))
#define loom__pt_defer_run(pt)		((void)(pt))
#endif
/* the wakeup was signalled: drain it, run the deferred functions, and after
 * loom_cancel_service() tell every protocol (service.c). The pipe role calls it
 * for its conn; on LOOM_PLAT_BAREMETAL, which has no pipe conn (one thread, and
 * the wakeup is a flag an interrupt sets), the loop does when it sees the flag */
void
loom__pt_wake_service(struct loom_pt *pt);

/* ---- vhosts (vhost.c) ---- */
void
loom__vhosts_destroy(struct loom_context *ctx);
void
loom__listeners_pause(struct loom_pt *pt, int pause);

/* ---- net (lib/net) ---- */
int
loom__hosts_load(struct loom_context *ctx, const char *path);
void
loom__hosts_free(struct loom_context *ctx);
int
loom__hosts_lookup(const struct loom_context *ctx, const char *name, int max,
		   uint8_t *fams, uint8_t (*addrs)[16]);
struct loom_dns;
int
loom__dns_init(struct loom_context *ctx, const struct loom_context_info *info);
void
loom__dns_destroy(struct loom_context *ctx);

/* ---- SSPC (lib/secure-streams/sspc, with LOOM_WITH_SS_VIA_PROXY) ---- */
/* info.ss_proxy: this context's loom_ss_* go through the proxy at \p proxy */
int
loom__sspc_context_init(struct loom_context *ctx, const char *proxy);
/* the context goes: its SSPC streams end (DESTROYING) */
void
loom__sspc_context_destroy(struct loom_context *ctx);

/* ---- Secure Streams (lib/secure-streams, with LOOM_WITH_SS) ---- */
int
loom__ss_context_init(struct loom_context *ctx, const struct loom_context_info *info);
void
loom__ss_context_destroy(struct loom_context *ctx);
void
loom__ss_context_free(struct loom_context *ctx);

/* ---- TLS (lib/tls, only with a backend: LOOM_WITH_TLS) ---- */
struct loom_tls_client_ctx;	/* a client context, shared by equal tls infos */
#if defined(LOOM_WITH_TLS)
int
loom__tls_vhost_init(struct loom_vhost *vh, const struct loom_vhost_info *info);
void
loom__tls_vhost_destroy(struct loom_vhost *vh);
void
loom__tls_context_destroy(struct loom_context *ctx);
/* loom_client_connect(): keep what the handshake needs from info->tls */
int
loom__tls_client_attach(struct loom_conn *conn,
			const struct loom_client_connect_info *info);
/* the shared client context for \p ti (by content; made if \p create and new, else
 * NULL when there is none): it holds copies of the info's strings and PEM until the
 * context is destroyed, so a client request keeps it, not the caller's info, to
 * connect again (redirect, requeue) and to find the connections it may share */
struct loom_tls_client_ctx *
loom__tls_client_ctx_for(struct loom_context *ctx, const struct loom_tls_client_info *ti,
			 int create);
/* the info \p cc was made from (server_name NULL, handshake_timeout_ms 0) */
const struct loom_tls_client_info *
loom__tls_client_ctx_info(const struct loom_tls_client_ctx *cc);
/* the transport seams: 1 = handshake started, 0 = plain, < 0 = failed */
int
loom__tls_adopted(struct loom_conn *conn);
int
loom__tls_connected(struct loom_conn *conn);
/* from loom__service_conn(): drive a handshake or a read/write that waits for the
 * other direction; LOOM_HP_OK / LOOM_HP_CLOSED when done with the event, else
 * LOOM_TLS_SVC_CONTINUE with *revents adjusted for the role */
#define LOOM_TLS_SVC_CONTINUE 2
int
loom__tls_service(struct loom_pt *pt, struct loom_conn *conn, unsigned int *revents);
/* read / write through TLS with the errno semantics of loom__conn_read/write */
int
loom__tls_read(struct loom_conn *conn, uint8_t *buf, size_t len);
int
loom__tls_write(struct loom_conn *conn, const uint8_t *buf, size_t len);
void
loom__tls_conn_destroy(struct loom_conn *conn);
/* conn->tls was just given to \p conn with the socket (loom__conn_move_fd) */
void
loom__tls_conn_moved(struct loom_conn *conn);
/* conns whose TLS library holds decrypted input: read them without the socket */
int
loom__tls_rx_pending_ready(const struct loom_pt *pt);
void
loom__tls_service_rx_pending(struct loom_pt *pt);
/* the negotiated ALPN protocol (for roles: h2), or NULL */
const char *
loom__tls_alpn(const struct loom_conn *conn);
#endif

#define LOOM_TSI_PT(ctx, tsi) (&(ctx)->pt[(tsi)])
#define loom__conn_pt(c) ((c)->pt)
#define loom__conn_ctx(c) ((c)->pt->ctx)

#endif
