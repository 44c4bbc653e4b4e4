/*
 * ev-libev.c: the libev shim. Per service thread Loom runs a libev loop of its
 * own (ev_loop_new(): never the default loop, so SIGCHLD stays the app's) or
 * joins the app's (info.foreign_loops[tsi], a struct ev_loop *) as a guest: an
 * ev_io per fd, one ev_timer for the soonest sul, and as a guest an ev_prepare
 * (arm the timer, or an ev_idle while work is ready), an ev_check (Loom's pending
 * work). libev stops watchers at once, so nothing of Loom's outlives the context.
 */
#include "core/private-core.h"
#include "event-libs/private-event-libs.h"

#include <ev.h>

struct loom_ev_pt {
	struct ev_loop *loop;
	ev_timer timer;
	ev_prepare prepare;
	ev_check check;
	ev_idle idle;
	ev_io **watch;			/* fd -> watcher */
	struct loom_pt *pt;
	unsigned int fds_max;
	uint8_t own_loop;
};

static int
ev_mask(unsigned int ev)
{
	return ((ev & LOOM_EV_READ) ? EV_READ : 0) | ((ev & LOOM_EV_WRITE) ? EV_WRITE : 0);
}

static void
evl_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct loom_pt *pt = w->data;
	unsigned int rev = 0;

	if (revents & EV_READ)
		rev |= LOOM_EV_READ;
	if (revents & EV_WRITE)
		rev |= LOOM_EV_WRITE;
	if (revents & EV_ERROR)
		rev |= LOOM_REV_HUPERR;
	loom__evlib_guest_fd(pt, w->fd, rev);
}

static void
evl_idle_cb(struct ev_loop *loop, ev_idle *i, int revents)
{
	/* nothing: while it is active the loop does not sleep; check runs the work */
}

static void
evl_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct loom_ev_pt *ep = t->data;

	if (!ep->own_loop)
		loom__evlib_guest_after(ep->pt);
}

static void
evl_arm(struct loom_ev_pt *ep, int ms)
{
	if (ms == 0)
		ev_idle_start(ep->loop, &ep->idle);
	else
		ev_idle_stop(ep->loop, &ep->idle);
	ev_timer_stop(ep->loop, &ep->timer);
	if (ms > 0) {
		ev_timer_set(&ep->timer, (ev_tstamp)ms / 1000.0, 0.);
		ev_timer_start(ep->loop, &ep->timer);
	}
}

static void
evl_prepare_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct loom_ev_pt *ep = p->data;

	evl_arm(ep, loom__pt_guest_wait_ms(ep->pt));
}

static void
evl_check_cb(struct ev_loop *loop, ev_check *c, int revents)
{
	loom__evlib_guest_after(((struct loom_ev_pt *)c->data)->pt);
}

static int
evl_init_pt(struct loom_pt *pt, void *foreign_loop)
{
	struct loom_ev_pt *ep = loom_zalloc(sizeof(*ep), "libev pt");

	if (!ep)
		return LOOM_ENOMEM;
	ep->watch = loom_zalloc(pt->fds_max * sizeof(*ep->watch), "libev watchers");
	if (!ep->watch) {
		loom_free(ep);
		return LOOM_ENOMEM;
	}
	ep->fds_max = pt->fds_max;
	ep->pt = pt;
	ep->loop = foreign_loop;
	if (!ep->loop) {
		ep->own_loop = 1;
		ep->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
		if (!ep->loop) {
			loom_free(ep->watch);
			loom_free(ep);
			return LOOM_ESOCKET;
		}
	}
	ev_timer_init(&ep->timer, evl_timer_cb, 0., 0.);
	ev_prepare_init(&ep->prepare, evl_prepare_cb);
	ev_check_init(&ep->check, evl_check_cb);
	ev_idle_init(&ep->idle, evl_idle_cb);
	ep->timer.data = ep->prepare.data = ep->check.data = ep->idle.data = ep;
	if (!ep->own_loop) {
		/* these alone must not keep the app's loop alive */
		ev_prepare_start(ep->loop, &ep->prepare);
		ev_unref(ep->loop);
		ev_check_start(ep->loop, &ep->check);
		ev_unref(ep->loop);
	}
	pt->evlib_pt = ep;
	pt->evlib_guest = !ep->own_loop;

	return 0;
}

static void
evl_destroy_pt(struct loom_pt *pt)
{
	struct loom_ev_pt *ep = pt->evlib_pt;
	unsigned int n;

	for (n = 0; n < ep->fds_max; n++)
		if (ep->watch[n]) {
			ev_io_stop(ep->loop, ep->watch[n]);
			loom_free(ep->watch[n]);
		}
	if (!ep->own_loop) {
		ev_ref(ep->loop);
		ev_prepare_stop(ep->loop, &ep->prepare);
		ev_ref(ep->loop);
		ev_check_stop(ep->loop, &ep->check);
	}
	ev_idle_stop(ep->loop, &ep->idle);
	ev_timer_stop(ep->loop, &ep->timer);
	if (ep->own_loop)
		ev_loop_destroy(ep->loop);
	loom_free(ep->watch);
	loom_free(ep);
	pt->evlib_pt = NULL;
}

static int
evl_sock_accept(struct loom_conn *conn)
{
	struct loom_ev_pt *ep = conn->pt->evlib_pt;
	ev_io *w;

	if ((unsigned int)conn->fd >= ep->fds_max)
		return LOOM_ELIMIT;
	w = loom_zalloc(sizeof(*w), "libev watcher");
	if (!w)
		return LOOM_ENOMEM;
	ev_io_init(w, evl_io_cb, conn->fd, ev_mask(conn->ev));
	w->data = conn->pt;
	ep->watch[conn->fd] = w;
	if (conn->ev)
		ev_io_start(ep->loop, w);

	return 0;
}

static void
evl_io(struct loom_conn *conn, unsigned int flags)
{
	struct loom_ev_pt *ep = conn->pt->evlib_pt;
	unsigned int want = conn->ev;
	ev_io *w;

	if (conn->fd < 0 || (unsigned int)conn->fd >= ep->fds_max)
		return;
	w = ep->watch[conn->fd];
	if (!w)
		return;
	if (flags & LOOM_EV_START)
		want |= flags & (LOOM_EV_READ | LOOM_EV_WRITE);
	else
		want &= ~(flags & (LOOM_EV_READ | LOOM_EV_WRITE));
	ev_io_stop(ep->loop, w);
	ev_io_set(w, conn->fd, ev_mask(want));
	if (want)
		ev_io_start(ep->loop, w);
}

static void
evl_destroy_conn(struct loom_conn *conn)
{
	struct loom_ev_pt *ep = conn->pt->evlib_pt;
	ev_io *w;

	if (!ep || conn->fd < 0 || (unsigned int)conn->fd >= ep->fds_max)
		return;
	w = ep->watch[conn->fd];
	if (!w)
		return;
	ep->watch[conn->fd] = NULL;
	ev_io_stop(ep->loop, w);
	loom_free(w);
}

static int
evl_run_pt(struct loom_pt *pt, int timeout_ms)
{
	struct loom_ev_pt *ep = pt->evlib_pt;

	if (!ep->own_loop) {
		loom_log_err("libev: a guest does not run the app's loop");
		return LOOM_EINVAL;
	}
	timeout_ms = loom__pt_wait_ms(pt, timeout_ms);
	if (timeout_ms > 0) {
		ev_now_update(ep->loop);
		ev_timer_set(&ep->timer, (ev_tstamp)timeout_ms / 1000.0, 0.);
		ev_timer_start(ep->loop, &ep->timer);
	}
	ev_run(ep->loop, timeout_ms ? EVRUN_ONCE : EVRUN_NOWAIT);
	ev_timer_stop(ep->loop, &ep->timer);
	loom__pt_after_wait(pt);

	return 0;
}

static void
evl_sul_changed(struct loom_pt *pt)
{
	struct loom_ev_pt *ep = pt->evlib_pt;
	struct loom_sul *sul;
	loom_usec_t now;

	/* the prepare watcher re-arms before every sleep; this covers a sul
	 * scheduled outside an iteration. Only the timer moves: nothing runs here. */
	if (!ep || ep->own_loop || !pt->sul_owner.head)
		return;
	sul = loom_container_of(pt->sul_owner.head, struct loom_sul, list);
	now = loom__plat_now_us();
	ev_timer_stop(ep->loop, &ep->timer);
	ev_now_update(ep->loop);
	ev_timer_set(&ep->timer, sul->us > now ? (ev_tstamp)(sul->us - now) / 1e6 : 0., 0.);
	ev_timer_start(ep->loop, &ep->timer);
}

const struct loom_event_lib_ops loom_evlib_libev = {
	.name = "libev",
	.init_pt = evl_init_pt,
	.run_pt = evl_run_pt,
	.sock_accept = evl_sock_accept,
	.io = evl_io,
	.destroy_conn = evl_destroy_conn,
	.destroy_pt = evl_destroy_pt,
	.sul_changed = evl_sul_changed,
};
