/*
 * ops-pipe.c: the pipe role: the per-thread wakeup fd. Reading it runs the queued
 * loom_defer() functions and, after loom_cancel_service(), tells every protocol
 * (loom__pt_wake_service()). Not on LOOM_PLAT_BAREMETAL: its loop reads the flag.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"

static int
pipe_handle_pollin(struct loom_pt *pt, struct loom_conn *conn)
{
	loom__pt_wake_service(pt);

	return LOOM_HP_OK;
}

static int
pipe_handle_pollout(struct loom_pt *pt, struct loom_conn *conn)
{
	loom__io(conn, LOOM_EV_STOP | LOOM_EV_WRITE);

	return LOOM_HP_OK;
}

const struct loom_role_ops loom_role_ops_pipe = {
	.name = "pipe",
	.handle_pollin = pipe_handle_pollin,
	.handle_pollout = pipe_handle_pollout,
	.perform_user_pollout = loom__role_user_pollout,
};
