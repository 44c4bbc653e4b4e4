/*
 * output.c: the write path. loom_write() lets the role frame the data, then sends
 * what the socket takes now and keeps the rest in the conn's buflist; the rest is
 * flushed on POLLOUT before the user's next WRITEABLE callback.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "event-libs/private-event-libs.h"

/*
 * A write failed for good, the socket's or the TLS library's, on a direct write or
 * on a flush of held output: the one decision for both. The byte stream is broken,
 * so nothing more is written on it (no close frame, GOAWAY or close_notify: a role's
 * close handshake is skipped), held output is dropped, and the conn closes as
 * LOOM_CLOSE_ABNORMAL (1006, RFC 6455 7.1.5: closed without a close frame) however
 * its close is asked for afterwards (a callback's nonzero return, loom_close()).
 */
void
loom__conn_tx_failed(struct loom_conn *conn)
{
	conn->close_status_hi = LOOM_CLOSE_ABNORMAL - 1000;
	conn->flags = (uint32_t)((conn->flags | LCF_TX_FAILED | LCF_CLOSING) &
				 ~LCF_WANT_WRITABLE);
	loom_dll2_remove(&conn->list_pending);
	loom_buflist_destroy_all_segments(&conn->buflist_out);
}

/* a fatal write error: close from the loop, the caller may still hold conn */
static int
loom_write_failed(struct loom_conn *conn, int err)
{
	loom__conn_tx_failed(conn);
	loom_set_timeout_us(conn, LOOM_TO_KILLED, 0);

	return err;
}

/*
 * say why a write failed, once: a TLS conn's layer logged the library's or the
 * socket's reason when it failed (and its errno is only a stand-in), a plain
 * socket or fd has only errno to tell
 */
static void
loom_write_err_log(struct loom_conn *conn, const char *what, int err)
{
#if defined(LOOM_WITH_TLS)
	if (conn->tls)
		return;
#endif
	loom_clog_info(conn, "%s failed, errno %d", what, err);
}

/*
 * The transport under every role: a socket or another fd. Both return what the
 * system call did: > 0 bytes, 0 (read: end of file), < 0 with errno set, where
 * loom__plat_errno_is_again(errno) means "nothing now, wait for the loop".
 */
int
loom__conn_write(struct loom_conn *conn, const uint8_t *buf, size_t len)
{
#if defined(LOOM_WITH_TLS)
	/* after a "try again" TLS wants the same bytes offered again: the buflist
	 * flush does exactly that (same bytes, same length, maybe another address) */
	if (conn->tls)
		return loom__tls_write(conn, buf, len);
#endif
	if (conn->flags & LCF_IS_SOCKET)
		return loom__plat_send(conn->fd, buf, len);

	return loom__plat_fd_write(conn->fd, buf, len);
}

/*
 * A transport with a handshake of its own (TLS) starts it here once the socket is
 * connected or accepted: it returns 1 while the handshake runs (and later calls
 * loom__client_established() / loom__server_established()), 0 when the conn is
 * ready now, < 0 on failure. The plain transport has no handshake.
 */
int
loom__transport_connected(struct loom_conn *conn)
{
#if defined(LOOM_WITH_TLS)
	if (conn->tls)
		return loom__tls_connected(conn);
#endif
	return 0;
}

int
loom__transport_adopted(struct loom_conn *conn)
{
#if defined(LOOM_WITH_TLS)
	/* a socket accepted on (or adopted into) a vhost with a server certificate */
	if (conn->vhost && conn->vhost->tls && (conn->flags & LCF_IS_SOCKET) &&
	    !(conn->flags & LCF_UDP))
		return loom__tls_adopted(conn);
#endif
	return 0;
}

/* loom_client_connect() with info->tls: keep what the handshake will need */
int
loom__transport_client_bind(struct loom_conn *conn,
			    const struct loom_client_connect_info *i)
{
#if defined(LOOM_WITH_TLS)
	return loom__tls_client_attach(conn, i);
#else
	loom_clog_err(conn, "TLS asked for, but this build has no TLS (LOOM_WITH_TLS=none)");
	return LOOM_EUNSUPP;
#endif
}

/* loom__conn_move_fd(): the transport's session on the socket changes owner */
void
loom__transport_move(struct loom_conn *from, struct loom_conn *to)
{
#if defined(LOOM_WITH_TLS)
	if (from->tls) {
		to->tls = from->tls;
		from->tls = NULL;
		loom__tls_conn_moved(to);
	}
#else
	(void)from;
	(void)to;
#endif
}

/* the conn is going: a TLS transport sends its close_notify (never waiting) */
void
loom__transport_destroy(struct loom_conn *conn)
{
#if defined(LOOM_WITH_TLS)
	if (conn->tls)
		loom__tls_conn_destroy(conn);
#endif
}

int
loom__conn_read(struct loom_conn *conn, uint8_t *buf, size_t len)
{
#if defined(LOOM_WITH_TLS)
	if (conn->tls)
		return loom__tls_read(conn, buf, len);
#endif
	if (conn->flags & LCF_IS_SOCKET)
		return loom__plat_recv(conn->fd, buf, len);

	return loom__plat_fd_read(conn->fd, buf, len);
}

static int
loom_issue_udp(struct loom_conn *conn, const uint8_t *buf, size_t len)
{
	int n;

	if (conn->role_data && (conn->flags & LCF_UDP_HAVE_PEER))
		n = loom__plat_sendto(conn->fd, buf, len, conn->role_data);
	else
		n = loom__plat_send(conn->fd, buf, len);
	if (n < 0) {
		if (loom__plat_errno_is_again(errno)) {
			loom_clog_debug(conn, "udp: socket full, datagram dropped");
			return (int)len;
		}
		loom_clog_info(conn, "udp send: errno %d", errno);
		return LOOM_ESOCKET;
	}

	return (int)len;
}

int
loom__issue_raw(struct loom_conn *conn, const uint8_t *buf, size_t len)
{
	int n = 0;

	if (!len)
		return 0;
	if (conn->fd < 0) {
		/* a child (ws over an h2 stream): inside its parent's framing */
		if (conn->role->tx_encapsulated)
			return conn->role->tx_encapsulated(conn, buf, len);
		return LOOM_ECLOSED;
	}
	if (conn->flags & LCF_TX_FAILED)
		return LOOM_ECLOSED;	/* a role's close frame after the failure */
	if (conn->flags & LCF_UDP)
		return loom_issue_udp(conn, buf, len);

	if (!conn->buflist_out) {
		n = loom__conn_write(conn, buf, len);
		if (n == (int)len)
			return n;
		if (n < 0) {
			if (!loom__plat_errno_is_again(errno)) {
				loom_write_err_log(conn, "write", errno);
				return loom_write_failed(conn, LOOM_ESOCKET);
			}
			n = 0;
		}
	}
	/* keep what the socket did not take and wait for POLLOUT */
	if (loom_buflist_append_segment(&conn->buflist_out, buf + n, len - (size_t)n) < 0)
		return loom_write_failed(conn, LOOM_ENOMEM);
	conn->flags &= (uint32_t)~LCF_KNOWN_WRITABLE;
	loom__io(conn, LOOM_EV_START | LOOM_EV_WRITE);

	return (int)len;
}

/*
 * 1: everything went, 0: some is still waiting, < 0: the conn failed
 * (loom__conn_tx_failed(): the caller closes it now)
 */
int
loom__flush_pending(struct loom_conn *conn)
{
	uint8_t *p;
	size_t seg;
	int n;

	while ((seg = loom_buflist_next_segment_len(&conn->buflist_out, &p))) {
		n = loom__conn_write(conn, p, seg);
		if (n < 0) {
			if (loom__plat_errno_is_again(errno))
				return 0;
			loom_write_err_log(conn, "flush", errno);
			loom__conn_tx_failed(conn);
			return -1;
		}
		loom_buflist_use_segment(&conn->buflist_out, (size_t)n);
		if ((size_t)n < seg)
			return 0;
	}

	return 1;
}

int
loom_write(struct loom_conn *conn, unsigned char *buf, size_t len,
	   enum loom_write_protocol wp)
{
	uint8_t *p = buf;
	size_t ulen = len;

	if (!conn || !buf)
		return LOOM_EINVAL;
	if (conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE))
		return LOOM_ECLOSED;
	/* no fd: a child (h2 stream) writes through its live parent */
	if (conn->fd < 0 && (!conn->role->encapsulation_parent ||
			     !conn->role->encapsulation_parent(conn)))
		return LOOM_ECLOSED;
	if (conn->flags & LCF_CONNECTING)
		return LOOM_EINVAL;	/* write from RAW_CONNECTED / WRITEABLE on */
	if (conn->role->write_role_protocol) {
		int r = conn->role->write_role_protocol(conn, &p, &len, &wp);

		if (r < 0)
			return r;
	}
	{
		int n = loom__issue_raw(conn, p, len);

		/* the caller's length, whatever the role's framing added */
		return n < 0 ? n : (int)ulen;
	}
}

int
loom_callback_on_writable(struct loom_conn *conn)
{
	if (!conn || (conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE)))
		return LOOM_ECLOSED;
	if (conn->flags & LCF_CONNECTING) {
		/* no fd yet (resolving, racing addresses): asked once it connects */
		conn->flags |= LCF_WANT_WRITABLE;
		return 0;
	}
	if (conn->fd < 0 && conn->role->encapsulation_parent) {
		/* a child (h2 stream): its parent's writable pass serves it */
		struct loom_conn *parent = conn->role->encapsulation_parent(conn);

		if (!parent)
			return LOOM_ECLOSED;
		conn->flags |= LCF_WANT_WRITABLE;
		return loom_callback_on_writable(parent);
	}
	if (conn->fd < 0)
		return LOOM_ECLOSED;
	if (conn->flags & LCF_WANT_WRITABLE)
		return 0;
	conn->flags |= LCF_WANT_WRITABLE;
	if (conn->buflist_out || loom__connect_is_pending(conn))
		return 0;	/* POLLOUT is already wanted; the flush comes first */
	if (conn->flags & LCF_NOT_POLLABLE) {
		loom__io(conn, LOOM_EV_START | LOOM_EV_WRITE);
		return 0;
	}
	if (conn->flags & LCF_KNOWN_WRITABLE) {
		/* the last write went through whole: no need to ask the kernel */
		loom_dll2_add_tail(&conn->list_pending, &conn->pt->pending_writable);
		if (conn->pt->ctx->evlib->work_queued)
			conn->pt->ctx->evlib->work_queued(conn->pt);
		return 0;
	}
	loom__io(conn, LOOM_EV_START | LOOM_EV_WRITE);

	return 0;
}

struct writable_all {
	struct loom_vhost *vh;
	const struct loom_protocol *protocol;
	int n;
};

static void
writable_all_one(struct loom_conn *c, void *arg)
{
	struct writable_all *a = arg;

	if (c->vhost == a->vh && c->protocol == a->protocol && !loom_callback_on_writable(c))
		a->n++;
}

int
loom_callback_on_writable_all_protocol(struct loom_vhost *vh,
				       const struct loom_protocol *protocol)
{
	struct loom_context *ctx = vh->ctx;
	struct writable_all a;
	unsigned int t, fd;

	a.vh = vh;
	a.protocol = protocol;
	a.n = 0;
	for (t = 0; t < ctx->count_threads; t++) {
		struct loom_pt *pt = &ctx->pt[t];

		for (fd = 0; fd < pt->fds_max; fd++) {
			struct loom_conn *c = pt->fds[fd];

			if (!c)
				continue;
			writable_all_one(c, &a);
			/* children (ws over h2 streams) have no fd of their own */
			if (c->role->foreach_child)
				c->role->foreach_child(c, writable_all_one, &a);
		}
	}

	return a.n;
}
