/*
 * ev-libuv.c: the libuv shim. Per service thread Loom runs a uv loop of its own or
 * joins the app's (info.foreign_loops[tsi]) as a guest: a uv_poll per fd, one timer
 * for the soonest sul, and, as a guest, a prepare (arm the timer, or an idle handle
 * while work is ready so the loop does not sleep) and a check (Loom's pending work).
 *
 * uv handles close asynchronously: every handle lives in a block of its own that
 * its close callback frees, touching nothing else of Loom's, so the context can go
 * at once. After loom_context_destroy() the app's loop must iterate once (the usual
 * uv_run() after closing its own handles) before uv_loop_close() returns 0.
 */
#include "core/private-core.h"
#include "event-libs/private-event-libs.h"

#include <uv.h>

/* a conn's fd watcher; freed by its close callback */
struct loom_uv_watch {
	uv_poll_t poll;
	struct loom_pt *pt;
	int fd;
};

/* the pt's own handles, in one block freed when the last of them has closed */
struct loom_uv_pt {
	uv_loop_t *loop;
	uv_timer_t timer;		/* the soonest sul */
	uv_prepare_t prepare;		/* guest: before the loop sleeps */
	uv_check_t check;		/* guest: after it dispatched */
	uv_idle_t idle;			/* guest: active while work is ready */
	struct loom_uv_watch **watch;	/* fd -> watcher */
	struct loom_pt *pt;		/* NULL once the pt is gone */
	unsigned int fds_max;
	unsigned int closing;		/* handles whose close callback is due */
	uint8_t own_loop;
};

static unsigned int
uv_mask(unsigned int ev)
{
	return ((ev & LOOM_EV_READ) ? UV_READABLE : 0) |
	       ((ev & LOOM_EV_WRITE) ? UV_WRITABLE : 0);
}

static void
uvl_watch_closed(uv_handle_t *h)
{
	loom_free(h->data);
}

static void
uvl_poll_cb(uv_poll_t *h, int status, int events)
{
	struct loom_uv_watch *w = h->data;
	unsigned int rev = 0;

	if (status < 0)
		rev |= LOOM_REV_HUPERR;	/* libuv stopped the watcher: error or hangup */
	if (events & UV_READABLE)
		rev |= LOOM_EV_READ;
	if (events & UV_WRITABLE)
		rev |= LOOM_EV_WRITE;
	if (events & UV_DISCONNECT)
		rev |= LOOM_REV_HUPERR;
	loom__evlib_guest_fd(w->pt, w->fd, rev);
}

static void
uvl_idle_cb(uv_idle_t *i)
{
	/* nothing: while it is active the loop polls without sleeping, and the
	 * check handle runs the ready work */
}

/* the soonest sul is due: a guest runs it and what it made ready */
static void
uvl_timer_cb(uv_timer_t *t)
{
	struct loom_uv_pt *up = t->data;

	if (!up->pt)
		return;
	if (up->own_loop)
		/* due before uv_run() polled (its clock had moved on): the idle handle
		 * keeps this UV_RUN_ONCE from sleeping with no timer left */
		uv_idle_start(&up->idle, uvl_idle_cb);
	else
		loom__evlib_guest_after(up->pt);
}

static void
uvl_arm(struct loom_uv_pt *up, int ms)
{
	if (ms == 0) {
		if (!uv_is_active((uv_handle_t *)&up->idle))
			uv_idle_start(&up->idle, uvl_idle_cb);
	} else if (uv_is_active((uv_handle_t *)&up->idle))
		uv_idle_stop(&up->idle);
	if (ms > 0)
		uv_timer_start(&up->timer, uvl_timer_cb, (uint64_t)ms, 0);
	else
		uv_timer_stop(&up->timer);
}

static void
uvl_prepare_cb(uv_prepare_t *p)
{
	struct loom_uv_pt *up = p->data;

	if (up->pt)
		uvl_arm(up, loom__pt_guest_wait_ms(up->pt));
}

static void
uvl_check_cb(uv_check_t *c)
{
	struct loom_uv_pt *up = c->data;

	if (up->pt)
		loom__evlib_guest_after(up->pt);
}

static void
uvl_pt_handle_closed(uv_handle_t *h)
{
	struct loom_uv_pt *up = h->data;

	if (--up->closing)
		return;
	if (up->own_loop)
		loom_free(up->loop);
	loom_free(up);
}

static int
uvl_init_pt(struct loom_pt *pt, void *foreign_loop)
{
	struct loom_uv_pt *up;

	up = loom_zalloc(sizeof(*up), "libuv pt");
	if (!up)
		return LOOM_ENOMEM;
	up->watch = loom_zalloc(pt->fds_max * sizeof(*up->watch), "libuv watchers");
	if (!up->watch)
		goto bail;
	up->fds_max = pt->fds_max;
	up->pt = pt;
	if (foreign_loop)
		up->loop = foreign_loop;
	else {
		up->own_loop = 1;
		up->loop = loom_malloc(sizeof(*up->loop), "uv loop");
		if (!up->loop)
			goto bail;
		if (uv_loop_init(up->loop)) {
			loom_free(up->loop);
			goto bail;
		}
	}
	uv_timer_init(up->loop, &up->timer);
	uv_prepare_init(up->loop, &up->prepare);
	uv_check_init(up->loop, &up->check);
	uv_idle_init(up->loop, &up->idle);
	up->timer.data = up->prepare.data = up->check.data = up->idle.data = up;
	if (!up->own_loop) {
		/* these alone must not keep the app's loop alive */
		uv_prepare_start(&up->prepare, uvl_prepare_cb);
		uv_check_start(&up->check, uvl_check_cb);
		uv_unref((uv_handle_t *)&up->prepare);
		uv_unref((uv_handle_t *)&up->check);
	}
	pt->evlib_pt = up;
	pt->evlib_guest = !up->own_loop;

	return 0;

bail:
	loom_free(up->watch);
	loom_free(up);
	return LOOM_ENOMEM;
}

static void
uvl_destroy_pt(struct loom_pt *pt)
{
	struct loom_uv_pt *up = pt->evlib_pt;
	unsigned int n;

	/* conns closed their watchers; anything left (a failed create) goes too */
	for (n = 0; n < up->fds_max; n++)
		if (up->watch[n]) {
			uv_close((uv_handle_t *)&up->watch[n]->poll, uvl_watch_closed);
			up->watch[n] = NULL;
		}
	loom_free(up->watch);
	up->watch = NULL;
	up->pt = NULL;
	pt->evlib_pt = NULL;
	up->closing = 4;
	uv_close((uv_handle_t *)&up->timer, uvl_pt_handle_closed);
	uv_close((uv_handle_t *)&up->prepare, uvl_pt_handle_closed);
	uv_close((uv_handle_t *)&up->check, uvl_pt_handle_closed);
	uv_close((uv_handle_t *)&up->idle, uvl_pt_handle_closed);
	if (up->own_loop) {
		uv_loop_t *loop = up->loop;

		/* our own loop: run it until every close callback came, then close it;
		 * the last callback frees up (and not the loop: it is ours to close) */
		up->own_loop = 0;
		uv_run(loop, UV_RUN_DEFAULT);
		if (uv_loop_close(loop))
			loom_log_err("libuv: own loop still busy at destroy");
		loom_free(loop);
	}
}

static int
uvl_sock_accept(struct loom_conn *conn)
{
	struct loom_uv_pt *up = conn->pt->evlib_pt;
	struct loom_uv_watch *w;
	int r;

	if ((unsigned int)conn->fd >= up->fds_max)
		return LOOM_ELIMIT;
	w = loom_zalloc(sizeof(*w), "libuv watcher");
	if (!w)
		return LOOM_ENOMEM;
	r = uv_poll_init(up->loop, &w->poll, conn->fd);
	if (r) {
		loom_free(w);
		if (r == UV_EPERM)
			return 1;	/* e.g. /dev/null: epoll refuses it */
		loom_clog_err(conn, "uv_poll_init fd %d: %s", conn->fd, uv_strerror(r));
		return LOOM_ESOCKET;
	}
	w->poll.data = w;
	w->pt = conn->pt;
	w->fd = conn->fd;
	up->watch[conn->fd] = w;
	if (conn->ev)
		uv_poll_start(&w->poll, (int)uv_mask(conn->ev), uvl_poll_cb);

	return 0;
}

static void
uvl_io(struct loom_conn *conn, unsigned int flags)
{
	struct loom_uv_pt *up = conn->pt->evlib_pt;
	struct loom_uv_watch *w;
	unsigned int want = conn->ev;

	if (conn->fd < 0 || (unsigned int)conn->fd >= up->fds_max)
		return;
	w = up->watch[conn->fd];
	if (!w)
		return;
	if (flags & LOOM_EV_START)
		want |= flags & (LOOM_EV_READ | LOOM_EV_WRITE);
	else
		want &= ~(flags & (LOOM_EV_READ | LOOM_EV_WRITE));
	if (want)
		uv_poll_start(&w->poll, (int)uv_mask(want), uvl_poll_cb);
	else
		uv_poll_stop(&w->poll);
}

static void
uvl_destroy_conn(struct loom_conn *conn)
{
	struct loom_uv_pt *up = conn->pt->evlib_pt;
	struct loom_uv_watch *w;

	if (!up || conn->fd < 0 || (unsigned int)conn->fd >= up->fds_max)
		return;
	w = up->watch[conn->fd];
	if (!w)
		return;
	up->watch[conn->fd] = NULL;
	/* stops it and drops the fd from the backend now; frees later */
	uv_close((uv_handle_t *)&w->poll, uvl_watch_closed);
}

static int
uvl_run_pt(struct loom_pt *pt, int timeout_ms)
{
	struct loom_uv_pt *up = pt->evlib_pt;

	if (!up->own_loop) {
		loom_log_err("libuv: a guest does not run the app's loop");
		return LOOM_EINVAL;
	}
	timeout_ms = loom__pt_wait_ms(pt, timeout_ms);
	if (timeout_ms > 0) {
		uv_update_time(up->loop);
		uv_timer_start(&up->timer, uvl_timer_cb, (uint64_t)timeout_ms, 0);
	}
	uv_run(up->loop, timeout_ms ? UV_RUN_ONCE : UV_RUN_NOWAIT);
	uv_timer_stop(&up->timer);
	uv_idle_stop(&up->idle);
	loom__pt_after_wait(pt);

	return 0;
}

static void
uvl_sul_changed(struct loom_pt *pt)
{
	struct loom_uv_pt *up = pt->evlib_pt;
	struct loom_sul *sul;
	loom_usec_t now;

	/*
	 * A guest's prepare re-arms before every sleep; this covers a sul scheduled
	 * from outside any iteration (before the app's uv_run()). Only the timer moves
	 * here: nothing may run from inside loom_sul_schedule().
	 */
	if (!up || up->own_loop || !pt->sul_owner.head)
		return;
	sul = loom_container_of(pt->sul_owner.head, struct loom_sul, list);
	now = loom__plat_now_us();
	uv_update_time(up->loop);
	uv_timer_start(&up->timer, uvl_timer_cb,
		       sul->us > now ? (uint64_t)((sul->us - now + 999) / 1000) : 0, 0);
}

const struct loom_event_lib_ops loom_evlib_libuv = {
	.name = "libuv",
	.init_pt = uvl_init_pt,
	.run_pt = uvl_run_pt,
	.sock_accept = uvl_sock_accept,
	.io = uvl_io,
	.destroy_conn = uvl_destroy_conn,
	.destroy_pt = uvl_destroy_pt,
	.sul_changed = uvl_sul_changed,
};
