/*
 * conn.c: creating connections, binding them to an fd and a protocol, calling the
 * user, and the small accessors of the public conn API.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "event-libs/private-event-libs.h"

/* the conn and its per-session data share one allocation */
#define LOOM_CONN_ALIGNED_SIZE ((sizeof(struct loom_conn) + 15) & ~(size_t)15)

struct loom_conn *
loom__conn_create(struct loom_pt *pt, struct loom_vhost *vh,
		  const struct loom_role_ops *role, const struct loom_protocol *p,
		  void *userdata)
{
	size_t pss = (p && !userdata) ? p->per_session_data_size : 0;
	struct loom_conn *conn;

	conn = loom_zalloc(LOOM_CONN_ALIGNED_SIZE + pss, "conn");
	if (!conn)
		return NULL;
	conn->pt = pt;
	conn->vhost = vh;
	conn->role = role;
	conn->protocol = p;
	conn->fd = -1;
	conn->serial = ++pt->conn_serial;
	if (userdata) {
		conn->user_space = userdata;
		conn->flags |= LCF_USER_ALLOCED;
	} else if (pss)
		conn->user_space = (uint8_t *)conn + LOOM_CONN_ALIGNED_SIZE;
	if (role->counted) {
		conn->flags |= LCF_COUNTED;
		pt->count_conns++;
	}

	return conn;
}

int
loom__conn_insert_fd(struct loom_conn *conn, int fd, unsigned int ev)
{
	struct loom_pt *pt = conn->pt;
	int r;

	if (fd < 0 || (unsigned int)fd >= pt->fds_max) {
		loom_clog_err(conn, "fd %d beyond the fd table (%u)", fd, pt->fds_max);
		return LOOM_ELIMIT;
	}
	if (pt->fds[fd]) {
		loom_clog_err(conn, "fd %d already in use by a conn", fd);
		return LOOM_EINVAL;
	}
	conn->fd = fd;
	conn->ev = (uint8_t)ev;
	pt->fds[fd] = conn;
#if defined(LOOM_ALL_POLLABLE)
	r = loom__plat_fd_is_pollable(fd) ? pt->ctx->evlib->sock_accept(conn) : -1;
#else
	r = loom__plat_fd_is_pollable(fd) ? pt->ctx->evlib->sock_accept(conn) : 1;
	if (r == 1) {
		/* a regular file or a device the loop cannot wait on: always ready */
		conn->flags |= LCF_NOT_POLLABLE;
		loom_dll2_add_tail(&conn->list_pending, &pt->always_ready);
		return 0;
	}
#endif
	if (r) {
		pt->fds[fd] = NULL;
		conn->fd = -1;
		return LOOM_ESOCKET;
	}

	return 0;
}

/*
 * Bind the conn to another protocol of its vhost (an HTTP callback mount): it
 * gets fresh zeroed per-session data of that protocol's size. Going back to the
 * protocol the conn was made with gives it back its original data.
 */
int
loom__conn_rebind_protocol(struct loom_conn *conn, const struct loom_protocol *p)
{
	const struct loom_protocol *orig = conn->vhost ? conn->vhost->accept_protocol :
					   NULL;

	if (p == conn->protocol)
		return 0;
	if (conn->flags & LCF_PSS_ALLOCED) {
		loom_free(conn->user_space);
		conn->flags &= ~LCF_PSS_ALLOCED;
	}
	conn->user_space = NULL;
	if (conn->flags & LCF_USER_ALLOCED)
		;	/* the app's own block stays whatever the protocol */
	else if (p == orig) {
		if (p->per_session_data_size)
			conn->user_space = (uint8_t *)conn + LOOM_CONN_ALIGNED_SIZE;
	} else if (p->per_session_data_size) {
		conn->user_space = loom_zalloc(p->per_session_data_size, "pss");
		if (!conn->user_space)
			return LOOM_ENOMEM;
		conn->flags |= LCF_PSS_ALLOCED;
	}
	conn->protocol = p;

	return 0;
}

/*
 * Give \p from's socket to \p to (same pt, \p to has no fd): the fd table, the
 * loop's registration, the TLS session on it and output not sent yet follow;
 * \p from is left without an fd, to be closed (or to live on as an h2 stream).
 */
int
loom__conn_move_fd(struct loom_conn *from, struct loom_conn *to)
{
	struct loom_pt *pt = from->pt;
	int fd = from->fd;

	if (fd < 0 || to->fd >= 0 || to->pt != pt || to->tls ||
	    (from->buflist_out && to->buflist_out))
		return LOOM_EINVAL;
	loom__transport_move(from, to);
	to->buflist_out = from->buflist_out;
	from->buflist_out = NULL;
	pt->ctx->evlib->destroy_conn(from);
	pt->fds[fd] = NULL;
	from->fd = -1;
	to->ev = from->ev;
	to->flags |= (from->flags & LCF_IS_SOCKET) | LCF_KNOWN_WRITABLE;
	if (loom__conn_insert_fd(to, fd, to->ev)) {
		loom__plat_close(fd);
		return LOOM_ESOCKET;
	}

	return 0;
}

/* Called when the last reference goes: everything else was undone by close. */
void
loom__conn_free(struct loom_conn *conn)
{
	if (conn->flags & LCF_PSS_ALLOCED)
		loom_free(conn->user_space);
	if (conn->flags & LCF_COUNTED)
		conn->pt->count_conns--;
	loom_buflist_destroy_all_segments(&conn->buflist_out);
	loom_free(conn);
}

int
loom__user_callback(struct loom_conn *conn, enum loom_callback_reason reason,
		    void *in, size_t len)
{
	uint32_t was_in = conn->flags & LCF_IN_CALLBACK;
	int r;

	if (!conn->protocol || !conn->protocol->callback)
		return 0;
	conn->flags |= LCF_IN_CALLBACK;
	r = conn->protocol->callback(conn, reason, conn->user_space, in, len);
	conn->flags = (uint32_t)((conn->flags & ~LCF_IN_CALLBACK) | was_in);

	return r;
}

void
loom__io(struct loom_conn *conn, unsigned int flags)
{
	unsigned int ev = conn->ev;

	if (flags & LOOM_EV_START)
		ev |= flags & (LOOM_EV_READ | LOOM_EV_WRITE);
	else
		ev &= ~(flags & (LOOM_EV_READ | LOOM_EV_WRITE));
	if (ev == conn->ev || conn->fd < 0)
		return;
	if (conn->flags & (LCF_NOT_POLLABLE | LCF_HUP_PARKED)) {
		conn->ev = (uint8_t)ev;
		return;
	}
	conn->pt->ctx->evlib->io(conn, flags);
	conn->ev = (uint8_t)ev;
}

int
loom_rx_flow_control(struct loom_conn *conn, int enable)
{
	if (!conn || (conn->flags & (LCF_CLOSED_CB_DONE | LCF_PEER_EOF)))
		return LOOM_ECLOSED;
	if (enable) {
		conn->flags &= (uint32_t)~LCF_RX_PAUSED;
		if (conn->fd < 0 && conn->role->encapsulation_parent) {
			/* a child (h2 stream): its parent's pass gives it what it held */
			struct loom_conn *parent = conn->role->encapsulation_parent(conn);

			return parent ? loom_callback_on_writable(parent) : LOOM_ECLOSED;
		}
		loom__io(conn, LOOM_EV_START | LOOM_EV_READ);
		if (conn->flags & LCF_HUP_PARKED) {
			/* back in the poll set: the rest of the data, then the end */
			conn->flags &= ~LCF_HUP_PARKED;
			if (conn->pt->ctx->evlib->sock_accept(conn) < 0) {
				loom_set_timeout_us(conn, LOOM_TO_KILLED, 0);
				return LOOM_ESOCKET;
			}
		}
	} else {
		conn->flags |= LCF_RX_PAUSED;
		loom__io(conn, LOOM_EV_STOP | LOOM_EV_READ);
	}

	return 0;
}

int
loom_callback_default(struct loom_conn *conn, enum loom_callback_reason reason,
		      void *user, void *in, size_t len)
{
	return 0;
}

struct loom_context *
loom_get_context(const struct loom_conn *conn)
{
	return conn->pt->ctx;
}

struct loom_vhost *
loom_get_vhost(const struct loom_conn *conn)
{
	return conn->vhost;
}

const struct loom_protocol *
loom_get_protocol(const struct loom_conn *conn)
{
	return conn->protocol;
}

void *
loom_conn_user(const struct loom_conn *conn)
{
	return conn->user_space;
}

void
loom_set_opaque_user_data(struct loom_conn *conn, void *data)
{
	conn->opaque_user_data = data;
}

void *
loom_get_opaque_user_data(const struct loom_conn *conn)
{
	return conn->opaque_user_data;
}

int
loom_get_fd(const struct loom_conn *conn)
{
	return conn->fd;
}

int
loom_get_tsi(const struct loom_conn *conn)
{
	return conn->pt->tsi;
}

const char *
loom_conn_role_name(const struct loom_conn *conn)
{
	return conn->role->name;
}

int
loom_send_pipe_choked(const struct loom_conn *conn)
{
	return conn->buflist_out != NULL;
}

size_t
loom_pending_output(const struct loom_conn *conn)
{
	return loom_buflist_total_len((struct loom_buflist **)&conn->buflist_out);
}
