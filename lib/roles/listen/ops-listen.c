/*
 * ops-listen.c: the listen role. Its conn is a listening socket; readiness means
 * connections to accept, which lib/net turns into conns of the vhost's accept role.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"

static int
listen_handle_pollin(struct loom_pt *pt, struct loom_conn *conn)
{
	return loom__listen_accept(pt, conn);
}

static int
listen_handle_pollout(struct loom_pt *pt, struct loom_conn *conn)
{
	loom__io(conn, LOOM_EV_STOP | LOOM_EV_WRITE);

	return LOOM_HP_OK;
}

const struct loom_role_ops loom_role_ops_listen = {
	.name = "listen",
	.handle_pollin = listen_handle_pollin,
	.handle_pollout = listen_handle_pollout,
	.perform_user_pollout = loom__role_user_pollout,
};
