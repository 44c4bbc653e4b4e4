/*
 * bm-loop.c: the default loop of the bare-metal platform: each pass asks every
 * watched stream's ready() what it can do and services the conns that can, and
 * looks at the wakeup flag (no pipe conn here); with nothing ready it offers the
 * app's idle hook the wait.
 */
#include "core/private-core.h"
#include "event-libs/private-event-libs.h"
#include "plat/baremetal/private-bm.h"

struct loom_bm_pt {
	uint8_t ev[LOOM_BM_FDS];	/* LOOM_EV_READ | LOOM_EV_WRITE wanted */
	uint8_t watched[LOOM_BM_FDS];
};

static int
bm_init_context(struct loom_context *ctx, const struct loom_context_info *info)
{
	(void)ctx;
	(void)info;
	if (!loom__bm_have_platform()) {
		loom_log_err("baremetal: call loom_plat_set_hooks() before creating a "
			     "context (it needs a clock)");
		return -1;
	}
	if (ctx->count_threads != 1) {
		loom_log_err("baremetal: one service thread only");
		return -1;
	}

	return 0;
}

static int
bm_init_pt(struct loom_pt *pt, void *foreign_loop)
{
	if (foreign_loop)
		return -1;
	pt->evlib_pt = loom_zalloc(sizeof(struct loom_bm_pt), "bm loop");

	return pt->evlib_pt ? 0 : -1;
}

static void
bm_destroy_pt(struct loom_pt *pt)
{
	loom_free(pt->evlib_pt);
	pt->evlib_pt = NULL;
}

static int
bm_sock_accept(struct loom_conn *conn)
{
	struct loom_bm_pt *bp = conn->pt->evlib_pt;

	if (conn->fd < 0 || conn->fd >= LOOM_BM_FDS)
		return -1;
	bp->watched[conn->fd] = 1;
	bp->ev[conn->fd] = conn->ev & (LOOM_EV_READ | LOOM_EV_WRITE);

	return 0;
}

static void
bm_io(struct loom_conn *conn, unsigned int flags)
{
	struct loom_bm_pt *bp = conn->pt->evlib_pt;
	unsigned int want;

	if (conn->fd < 0 || conn->fd >= LOOM_BM_FDS || !bp->watched[conn->fd])
		return;
	want = bp->ev[conn->fd];
	if (flags & LOOM_EV_START)
		want |= flags & (LOOM_EV_READ | LOOM_EV_WRITE);
	else
		want &= ~(flags & (LOOM_EV_READ | LOOM_EV_WRITE));
	bp->ev[conn->fd] = (uint8_t)want;
}

static void
bm_destroy_conn(struct loom_conn *conn)
{
	struct loom_bm_pt *bp = conn->pt->evlib_pt;

	if (bp && conn->fd >= 0 && conn->fd < LOOM_BM_FDS)
		bp->watched[conn->fd] = bp->ev[conn->fd] = 0;
}

/* what descriptor \p fd can do now, in LOOM_EV_* / LOOM_REV_HUPERR terms */
static unsigned int
bm_revents(struct loom_bm_pt *bp, int fd)
{
	unsigned int r, rev = 0;

	if (!loom__bm_streams[fd].ops)
		return LOOM_REV_HUPERR;
	r = loom__bm_streams[fd].ops->ready(loom__bm_streams[fd].priv);
	if (r & LOOM_BM_READABLE)
		rev |= LOOM_EV_READ;
	if (r & LOOM_BM_WRITABLE)
		rev |= LOOM_EV_WRITE;
	rev &= bp->ev[fd];
	if (r & LOOM_BM_HUP)
		rev |= LOOM_REV_HUPERR;

	return rev;
}

static int
bm_scan(struct loom_pt *pt)
{
	struct loom_bm_pt *bp = pt->evlib_pt;
	int fd, n = 0;

	/* the wakeup (loom_cancel_service(), loom_stop(), maybe from an
	 * interrupt): no conn carries it here, descriptor 0 is only the flag */
	if (loom__atomic_load(&loom__bm_wake_flag)) {
		n++;
		loom__pt_wake_service(pt);
	}
	/* servicing may close conns and adopt new ones: each slot is looked at once */
	for (fd = 0; fd < LOOM_BM_FDS; fd++) {
		unsigned int rev;

		if (!bp->watched[fd])
			continue;
		rev = bm_revents(bp, fd);
		if (!rev || !pt->fds[fd])
			continue;
		n++;
		loom__service_conn(pt, pt->fds[fd], rev);
	}

	return n;
}

static int
bm_run_pt(struct loom_pt *pt, int timeout_ms)
{
	int n;

	timeout_ms = loom__pt_wait_ms(pt, timeout_ms);
	n = bm_scan(pt);
	if (!n && timeout_ms) {
		/* the app may sleep until an interrupt or the next deadline */
		loom__bm_idle(timeout_ms);
		n = bm_scan(pt);
	}
	loom__pt_after_wait(pt);

	return n;
}

const struct loom_event_lib_ops loom_evlib_default = {
	.name = "baremetal",
	.init_context = bm_init_context,
	.init_pt = bm_init_pt,
	.run_pt = bm_run_pt,
	.sock_accept = bm_sock_accept,
	.io = bm_io,
	.destroy_conn = bm_destroy_conn,
	.destroy_pt = bm_destroy_pt,
};
