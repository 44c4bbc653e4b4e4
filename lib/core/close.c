/*
 * close.c: timeouts and the close path. A close either happens now (the close
 * callback once, then the fd and memory are released) or waits, bounded by a
 * timeout, for pending output to flush.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "event-libs/private-event-libs.h"

static void
loom_conn_timeout_cb(struct loom_sul *sul)
{
	struct loom_conn *conn = loom_container_of(sul, struct loom_conn, sul_timeout);
	enum loom_timeout_reason r = (enum loom_timeout_reason)conn->pending_timeout;

	conn->pending_timeout = LOOM_TO_NONE;
	switch (r) {
	case LOOM_TO_KILLED:
		loom__close(conn, (enum loom_close_status)(1000 + conn->close_status_hi),
			    (conn->flags & LCF_TX_FAILED) ? "write failed" : "closed by app");
		break;
	case LOOM_TO_CONNECT:
		if (loom__connect_is_pending(conn))
			loom__connect_timed_out(conn);
		else
			loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "timed out");
		break;
	case LOOM_TO_CLOSE_FLUSH:
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "flush before close timed out");
		break;
	default:
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "timed out");
		break;
	}
}

void
loom_set_timeout_us(struct loom_conn *conn, enum loom_timeout_reason reason,
		    loom_usec_t us)
{
	if (!conn || (conn->flags & LCF_CLOSED_CB_DONE))
		return;
	if (reason == LOOM_TO_NONE) {
		conn->pending_timeout = LOOM_TO_NONE;
		loom_sul_cancel(&conn->sul_timeout);
		return;
	}
	conn->pending_timeout = (uint8_t)reason;
	loom_sul_schedule(conn->pt->ctx, conn->pt->tsi, &conn->sul_timeout,
			  loom_conn_timeout_cb, us);
}

void
loom_set_timeout(struct loom_conn *conn, enum loom_timeout_reason reason, int secs)
{
	if (secs == LOOM_TO_KILL_ASYNC) {
		loom_set_timeout_us(conn, LOOM_TO_KILLED, 0);
		return;
	}
	if (!secs) {
		loom_set_timeout_us(conn, LOOM_TO_NONE, 0);
		return;
	}
	loom_set_timeout_us(conn, reason, (loom_usec_t)secs * LOOM_US_PER_SEC);
}

/* no more user I/O on this conn: it only flushes and closes from here on */
static void
loom_conn_stop_user_io(struct loom_conn *conn)
{
	conn->flags = (uint32_t)((conn->flags | LCF_CLOSING) & ~LCF_WANT_WRITABLE);
	loom_dll2_remove(&conn->list_pending);
	if (conn->flags & LCF_NOT_POLLABLE)
		loom_dll2_add_tail(&conn->list_pending, &conn->pt->always_ready);
	loom__io(conn, LOOM_EV_STOP | LOOM_EV_READ);
}

void
loom_close(struct loom_conn *conn, enum loom_close_status status)
{
	if (!conn || (conn->flags & LCF_CLOSED_CB_DONE))
		return;
	if (conn->flags & LCF_IN_CALLBACK) {
		/* the caller's stack still uses conn: finish from the loop */
		conn->close_status_hi = (uint8_t)(status - 1000);
		loom_conn_stop_user_io(conn);
		loom_set_timeout_us(conn, LOOM_TO_KILLED, 0);
		return;
	}
	loom__close(conn, status, "closed by app");
}

int
loom__close(struct loom_conn *conn, enum loom_close_status status, const char *why)
{
	if (conn->flags & LCF_CLOSED_CB_DONE)
		return LOOM_HP_CLOSED;
	if (conn->flags & LCF_TX_FAILED) {
		/* nothing can be sent: no close handshake, no flush */
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "write failed");
		return LOOM_HP_CLOSED;
	}
	if (conn->role->close_via_role_protocol &&
	    conn->role->close_via_role_protocol(conn, status) == 1)
		return LOOM_HP_OK;	/* the role finishes its close handshake */
	if (status == LOOM_CLOSE_NORMAL && conn->buflist_out && conn->fd >= 0) {
		loom_conn_stop_user_io(conn);
		loom_set_timeout_us(conn, LOOM_TO_CLOSE_FLUSH,
				    (loom_usec_t)conn->pt->ctx->timeout_secs *
					    LOOM_US_PER_SEC);
		return LOOM_HP_OK;
	}
	loom__close_now(conn, status, why);

	return LOOM_HP_CLOSED;
}

enum loom_close_status
loom_get_close_status(const struct loom_conn *conn)
{
	return (enum loom_close_status)(1000 + conn->close_status_hi);
}

int
loom__close_when_drained(struct loom_conn *conn)
{
	conn->flags |= LCF_PEER_EOF;
	loom__io(conn, LOOM_EV_STOP | LOOM_EV_READ);
	if (loom__check_drained(conn))
		return LOOM_HP_CLOSED;
	loom_set_timeout_us(conn, LOOM_TO_CLOSE_FLUSH,
			    (loom_usec_t)conn->pt->ctx->timeout_secs * LOOM_US_PER_SEC);

	return LOOM_HP_OK;
}

int
loom__check_drained(struct loom_conn *conn)
{
	if (!(conn->flags & (LCF_PEER_EOF | LCF_CLOSING)) ||
	    (conn->flags & LCF_WANT_WRITABLE) || conn->buflist_out)
		return 0;
	loom__close_now(conn, LOOM_CLOSE_NORMAL,
			(conn->flags & LCF_PEER_EOF) ? "peer closed" : "closed");

	return 1;
}

void
loom__close_now(struct loom_conn *conn, enum loom_close_status status, const char *why)
{
	struct loom_pt *pt = conn->pt;
	const struct loom_role_ops *role = conn->role;
	int client = !!(conn->flags & LCF_CLIENT);

	if (conn->flags & LCF_CLOSED_CB_DONE)
		return;
	if (conn->flags & LCF_TX_FAILED)
		status = LOOM_CLOSE_ABNORMAL;	/* whoever asks: the write failed */
	/* what loom_get_close_status() tells the close callback */
	conn->close_status_hi = (uint8_t)(status - 1000);
	conn->flags |= LCF_CLOSED_CB_DONE | LCF_CLOSING;
	conn->flags &= (uint32_t)~LCF_WANT_WRITABLE;
	loom_sul_cancel(&conn->sul_timeout);
	loom_dll2_remove(&conn->list_pending);

	if (conn->fd >= 0) {
		if (!(conn->flags & (LCF_NOT_POLLABLE | LCF_HUP_PARKED)))
			pt->ctx->evlib->destroy_conn(conn);
		if (pt->fds[conn->fd] == conn)
			pt->fds[conn->fd] = NULL;
	}
	if (role->close_role)
		role->close_role(pt, conn);

	if (loom_log_mask() & LOOM_LL_INFO)
		loom_clog_info(conn, "close (%d): %s", (int)status, why ? why : "");

	if (conn->flags & LCF_ESTABLISHED) {
		if (role->close_cb[client])
			loom__user_callback(conn,
				(enum loom_callback_reason)role->close_cb[client],
				NULL, 0);
	} else if (client)
		loom__user_callback(conn, LOOM_CB_CLIENT_CONNECTION_ERROR,
				    (void *)(why ? why : "failed"),
				    why ? strlen(why) : 6);

	if (role->destroy_role)
		role->destroy_role(conn);
	loom__transport_destroy(conn);
	if (conn->fd >= 0 && !(conn->flags & LCF_NO_CLOSE_FD))
		loom__plat_close(conn->fd);
	conn->fd = -1;

	loom__conn_free(conn);

	/* an fd was freed: listeners paused by EMFILE may accept again */
#if defined(LOOM_PLAT_SOCKETS) && defined(LOOM_WITH_SERVER)	/* else no listeners */
	if (pt->listeners_paused && !pt->destroying)
		loom__listeners_pause(pt, 0);
#endif
}
