/*
 * private-roles.h: the role ops table. A role (listen, raw-skt, raw-file, pipe, and
 * later h1, ws, h2, mqtt) is everything protocol-specific about a connection; the
 * core calls only these members and never tests which role a conn has.
 */
#ifndef LOOM_PRIVATE_ROLES_H
#define LOOM_PRIVATE_ROLES_H

/* handle_pollin / handle_pollout results */
#define LOOM_HP_OK	0	/* carry on */
#define LOOM_HP_CLOSED	1	/* the conn was closed and freed: do not touch it */

struct loom_role_ops {
	const char *name;
	const char *alpn;
	/* h1 upgrade check (ws, h2c): 0 = answered (the conn may have a new role),
	 * -1 = close, 1 = not this role's upgrade; NULL for roles that do not upgrade */
	int (*check_upgrades)(struct loom_conn *conn);
	int (*init_vhost)(struct loom_vhost *vh, const struct loom_vhost_info *info);
	void (*destroy_vhost)(struct loom_vhost *vh);
	/* the fd is readable (or hung up / in error) */
	int (*handle_pollin)(struct loom_pt *pt, struct loom_conn *conn);
	/* the fd is writable */
	int (*handle_pollout)(struct loom_pt *pt, struct loom_conn *conn);
	/* give the user its WRITEABLE callback */
	int (*perform_user_pollout)(struct loom_conn *conn);
	/* frame user data in place (LOOM_PRE headroom); may move *buf and *len */
	int (*write_role_protocol)(struct loom_conn *conn, uint8_t **buf, size_t *len,
				   enum loom_write_protocol *wp);
	/* flow-control credit the peer gives (h2); NULL = unlimited */
	int (*tx_credit)(struct loom_conn *conn, int peer_to_us, int add);
	struct loom_conn *(*encapsulation_parent)(struct loom_conn *conn);
	int (*alpn_negotiated)(struct loom_conn *conn, const char *alpn);
	/* start the protocol's close (ws close frame, GOAWAY); 1 = wait for it */
	int (*close_via_role_protocol)(struct loom_conn *conn,
				       enum loom_close_status status);
	/* role cleanup while the conn is still whole, before the close callback */
	void (*close_role)(struct loom_pt *pt, struct loom_conn *conn);
	/* free role_data */
	void (*destroy_role)(struct loom_conn *conn);
	int (*adoption_bind)(struct loom_conn *conn, unsigned int type,
			     const char *protocol_name);
	/* keep what the role needs of the connect info; < 0 refuses, 1 means the
	 * conn is queued behind a live one and must not connect by itself */
	int (*client_bind)(struct loom_conn *conn,
			   const struct loom_client_connect_info *info);
	int (*issue_keepalive)(struct loom_conn *conn);
	/* callback reasons: [0] server side, [1] client side; 0 = none */
	uint16_t adoption_cb[2];
	uint16_t rx_cb[2];
	uint16_t writeable_cb[2];
	uint16_t close_cb[2];
	/* free the role's per-thread state when a pt goes away; may be NULL */
	void (*destroy_pt)(struct loom_pt *pt);
	/* a child conn's bytes, framed by its own role, go out inside its parent's
	 * framing (ws over an h2 stream: DATA frames); NULL = the conn has an fd */
	int (*tx_encapsulated)(struct loom_conn *conn, const uint8_t *buf, size_t len);
	/* call \p cb on each child conn (h2 streams); NULL = no children */
	void (*foreach_child)(struct loom_conn *conn,
			      void (*cb)(struct loom_conn *child, void *arg), void *arg);
	/* connections of this role count against max_conns */
	uint8_t counted;
};

extern const struct loom_role_ops loom_role_ops_listen;
extern const struct loom_role_ops loom_role_ops_raw_skt;
extern const struct loom_role_ops loom_role_ops_raw_file;
extern const struct loom_role_ops loom_role_ops_pipe;
extern const struct loom_role_ops loom_role_ops_ws;
extern const struct loom_role_ops loom_role_ops_mqtt;	/* lib/roles/mqtt */
#if defined(LOOM_WITH_H2)
extern const struct loom_role_ops loom_role_ops_h2;	/* lib/roles/h2 */
/* a live h2 client connection to the server of \p i that allows the extended
 * CONNECT, so a ws client may ride on it (lib/roles/h2/client-h2.c) */
int
loom__h2_client_ws_joinable(struct loom_pt *pt, const struct loom_vhost *vh,
			    const struct loom_client_connect_info *i);
#endif

/* every role's destroy_pt for a pt that goes away */
void
loom__roles_destroy_pt(struct loom_pt *pt);
/* every role's init_vhost / destroy_vhost for a vhost that comes or goes */
int
loom__roles_init_vhost(struct loom_vhost *vh, const struct loom_vhost_info *info);
void
loom__roles_destroy_vhost(struct loom_vhost *vh);

/* shared by roles: the generic WRITEABLE dispatch and the raw read path */
int
loom__role_user_pollout(struct loom_conn *conn);
int
loom__role_pollout_flush(struct loom_pt *pt, struct loom_conn *conn);
int
loom__role_rx_eof(struct loom_conn *conn);

/* lib/net entry points the roles use */
#if defined(LOOM_PLAT_SOCKETS)
int
loom__listen_accept(struct loom_pt *pt, struct loom_conn *lconn);
int
loom__connect_continue(struct loom_conn *conn);
int
loom__connect_is_pending(const struct loom_conn *conn);
void
loom__connect_timed_out(struct loom_conn *conn);
void
loom__connect_destroy(struct loom_conn *conn);
#else
/* no sockets (LOOM_PLAT=baremetal): no conn ever connects (LCF_CONNECTING) */
static inline int
loom__connect_continue(struct loom_conn *conn)
{
	(void)conn;
	return LOOM_HP_OK;
}
static inline int
loom__connect_is_pending(const struct loom_conn *conn)
{
	(void)conn;
	return 0;
}
static inline void
loom__connect_timed_out(struct loom_conn *conn)
{
	(void)conn;
}
#endif

#endif
