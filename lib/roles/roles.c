/*
 * roles.c: what several roles share: the WRITEABLE dispatch, the POLLOUT flush, the
 * peer-EOF handling, and the per-pt and per-vhost hooks of every role.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#if defined(LOOM_WITH_H1)
#include "roles/http/private-http.h"
#endif

static const struct loom_role_ops *const loom_roles[] = {
#if defined(LOOM_PLAT_SOCKETS)
	&loom_role_ops_raw_skt,
#endif
	&loom_role_ops_raw_file,
#if defined(LOOM_WITH_H1)
	&loom_role_ops_h1,
#endif
#if defined(LOOM_WITH_WS)
	&loom_role_ops_ws,
#endif
#if defined(LOOM_WITH_H2)
	&loom_role_ops_h2,
#endif
	NULL
};

void
loom__roles_destroy_pt(struct loom_pt *pt)
{
	int n;

	for (n = 0; loom_roles[n]; n++)
		if (loom_roles[n]->destroy_pt)
			loom_roles[n]->destroy_pt(pt);
}

int
loom__roles_init_vhost(struct loom_vhost *vh, const struct loom_vhost_info *info)
{
	int n;

	for (n = 0; loom_roles[n]; n++)
		if (loom_roles[n]->init_vhost && loom_roles[n]->init_vhost(vh, info))
			return -1;

	return 0;
}

void
loom__roles_destroy_vhost(struct loom_vhost *vh)
{
	int n;

	for (n = 0; loom_roles[n]; n++)
		if (loom_roles[n]->destroy_vhost)
			loom_roles[n]->destroy_vhost(vh);
}

/* the user's WRITEABLE callback, if it still wants one and the socket is clear */
int
loom__role_user_pollout(struct loom_conn *conn)
{
	int client = !!(conn->flags & LCF_CLIENT);
	unsigned int cb = conn->role->writeable_cb[client];

	if (!(conn->flags & LCF_WANT_WRITABLE) || (conn->flags & LCF_CLOSING))
		return LOOM_HP_OK;
	if (conn->buflist_out)
		return LOOM_HP_OK;	/* POLLOUT will flush first, then call us */
	conn->flags &= ~LCF_WANT_WRITABLE;
	if (cb && loom__user_callback(conn, (enum loom_callback_reason)cb, NULL, 0))
		return loom__close(conn, LOOM_CLOSE_NORMAL, "writeable callback asked");
	if (loom__check_drained(conn))
		return LOOM_HP_CLOSED;

	return LOOM_HP_OK;
}

/* POLLOUT: finish a connect, flush held output, then the user's WRITEABLE */
int
loom__role_pollout_flush(struct loom_pt *pt, struct loom_conn *conn)
{
	int r;

	if (conn->flags & LCF_CONNECTING)
		return loom__connect_continue(conn);
	conn->flags |= LCF_KNOWN_WRITABLE;
	if (conn->buflist_out) {
		r = loom__flush_pending(conn);
		if (r < 0) {
			loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "write failed");
			return LOOM_HP_CLOSED;
		}
		if (!r) {
			conn->flags &= ~LCF_KNOWN_WRITABLE;
			return LOOM_HP_OK;	/* the socket is full again */
		}
	}
	/* nothing held: the user asks again (loom_callback_on_writable) if it wants */
	loom__io(conn, LOOM_EV_STOP | LOOM_EV_WRITE);
	if (loom__check_drained(conn))
		return LOOM_HP_CLOSED;
	if (conn->flags & LCF_WANT_WRITABLE)
		return conn->role->perform_user_pollout(conn);

	return LOOM_HP_OK;
}

/* the peer shut its side: no more reading; close when our output is done */
int
loom__role_rx_eof(struct loom_conn *conn)
{
	loom_clog_debug(conn, "peer EOF");

	return loom__close_when_drained(conn);
}
