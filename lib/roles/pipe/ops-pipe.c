/*
 * ops-pipe.c: the pipe role: the per-thread wakeup fd. Reading it runs the queued
 * loom_defer() functions and, after loom_cancel_service(), tells every protocol.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"

static int
pipe_handle_pollin(struct loom_pt *pt, struct loom_conn *conn)
{
	struct loom_vhost *vh;
	unsigned int n;

	loom__plat_wake_drain(&pt->wake);
	loom__pt_defer_run(pt);
	if (!loom__atomic_load(&pt->cancel_pending))
		return LOOM_HP_OK;
	loom__atomic_store(&pt->cancel_pending, 0);
	for (vh = pt->ctx->vhosts; vh; vh = vh->next)
		for (n = 0; n < vh->count_protocols; n++)
			if (vh->protocols[n].callback)
				vh->protocols[n].callback(NULL,
					LOOM_CB_EVENT_WAIT_CANCELLED, NULL, vh, 0);

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
