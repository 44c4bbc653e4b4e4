/*
 * adopt.c: turning an fd into a conn: accepted sockets, UDP sockets, and any fd the
 * application hands over with loom_adopt_descriptor().
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "net/private-net.h"

int
loom__adopt_fd(struct loom_pt *pt, struct loom_vhost *vh,
	       const struct loom_role_ops *role, const struct loom_protocol *p,
	       int fd, uint32_t lcf, void *opaque, struct loom_conn **pconn)
{
	struct loom_conn *conn;
	int r;

	*pconn = NULL;
	if (role->counted && pt->count_conns >= pt->ctx->max_conns)
		return LOOM_ELIMIT;
	conn = loom__conn_create(pt, vh, role, p, NULL);
	if (!conn)
		return LOOM_ENOMEM;
	conn->flags |= lcf;
	conn->opaque_user_data = opaque;
	if (role->adoption_bind && role->adoption_bind(conn, 0, NULL)) {
		loom__conn_free(conn);
		return LOOM_ENOMEM;
	}
	if (lcf & LCF_UDP) {
		/* where replies go: the sender of the last datagram */
		conn->role_data = loom_zalloc(sizeof(struct loom_sockaddr), "udp peer");
		if (!conn->role_data) {
			loom__conn_free(conn);
			return LOOM_ENOMEM;
		}
	}
	/* a write-only fd (the write end of a pipe, a log file) is never read */
	if (loom__conn_insert_fd(conn, fd, (lcf & LCF_IS_SOCKET) ||
				 loom__plat_fd_readable(fd) ? LOOM_EV_READ : 0)) {
		if (role->destroy_role)
			role->destroy_role(conn);
		else
			loom_free(conn->role_data);
		loom__conn_free(conn);
		return LOOM_ESOCKET;
	}
	conn->flags |= LCF_KNOWN_WRITABLE;
	loom_clog_debug(conn, "adopted fd %d", fd);
	/* a transport with its own handshake (TLS) finishes it before the adopt */
	r = loom__transport_adopted(conn);
	if (r < 0) {
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "transport setup failed");
		return 0;
	}
	*pconn = conn;
	if (!r && loom__server_established(conn) == LOOM_HP_CLOSED)
		*pconn = NULL;

	return 0;
}

/* the accepted or adopted conn is ready for its role: the user hears of it */
int
loom__server_established(struct loom_conn *conn)
{
	unsigned int cb = conn->role->adoption_cb[0];

	conn->flags |= LCF_ESTABLISHED;
	if (cb && loom__user_callback(conn, (enum loom_callback_reason)cb, NULL, 0)) {
		loom__close_now(conn, LOOM_CLOSE_NOSTATUS, "adopt callback refused");
		return LOOM_HP_CLOSED;
	}

	return LOOM_HP_OK;
}

struct loom_conn *
loom_adopt_descriptor(struct loom_vhost *vh, unsigned int type, int fd,
		      const char *protocol_name, void *opaque_user_data)
{
	const struct loom_protocol *p;
	const struct loom_role_ops *role;
	struct loom_conn *conn;
	uint32_t lcf = LCF_IS_SOCKET;
	int r;

	if (!vh || fd < 0 || !(type & (LOOM_ADOPT_SOCKET | LOOM_ADOPT_FILE |
				       LOOM_ADOPT_UDP)))
		return NULL;
	p = protocol_name ? loom_vhost_name_to_protocol(vh, protocol_name) :
			    &vh->protocols[0];
	if (!p) {
		_loom_vhlog(LOOM_LL_ERR, vh, "adopt: no protocol '%s'", protocol_name);
		return NULL;
	}
	if (type & LOOM_ADOPT_FILE) {
		role = &loom_role_ops_raw_file;
		lcf = 0;
	} else {
#if defined(LOOM_PLAT_SOCKETS)
		role = &loom_role_ops_raw_skt;
		if (type & LOOM_ADOPT_UDP)
			lcf |= LCF_UDP;
#else
		_loom_vhlog(LOOM_LL_ERR, vh, "adopt: no sockets on this platform "
			    "(LOOM_PLAT=baremetal): use LOOM_ADOPT_FILE");
		return NULL;
#endif
	}
	if (type & LOOM_ADOPT_NO_CLOSE)
		lcf |= LCF_NO_CLOSE_FD;
	if (loom__plat_set_nonblock(fd)) {
		_loom_vhlog(LOOM_LL_ERR, vh, "adopt: fd %d: cannot set non-blocking", fd);
		return NULL;
	}
	r = loom__adopt_fd(&vh->ctx->pt[0], vh, role, p, fd, lcf, opaque_user_data,
			   &conn);
	if (r) {
		_loom_vhlog(LOOM_LL_WARN, vh, "adopt of fd %d failed: %s", fd,
			    loom_strerror(r));
		return NULL;
	}

	return conn;
}
