/*
 * ev-libevent.c: the libevent shim. Per service thread Loom runs an event_base of
 * its own or joins the app's (info.foreign_loops[tsi], a struct event_base *) as a
 * guest: a persistent event per fd and one timer event for the soonest sul.
 * libevent 2.1 has no prepare/check hooks, so a guest runs its pending work from a
 * "kick": a zero-timeout timer event added after each of Loom's own callbacks and
 * when work is queued from outside them (the work_queued op). A zero timeout makes
 * the next poll non-blocking once, so ready work never spins the loop within one
 * pass and the loop sleeps again as soon as none is left. Events are removed at
 * once: nothing of Loom's outlives loom_context_destroy().
 */
#include "core/private-core.h"
#include "event-libs/private-event-libs.h"

#include <event2/event.h>

struct loom_lev_pt {
	struct event_base *base;
	struct event *timer;		/* the soonest sul */
	struct event *kick;		/* guest: run the pending work next pass */
	struct event **watch;		/* fd -> event */
	struct loom_pt *pt;
	unsigned int fds_max;
	uint8_t own_loop;
};

static short
lev_mask(unsigned int ev)
{
	return (short)(((ev & LOOM_EV_READ) ? EV_READ : 0) |
		       ((ev & LOOM_EV_WRITE) ? EV_WRITE : 0));
}

static void
lev_add_ms(struct event *e, int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(e, &tv);
}

static void
lev_kick(struct loom_lev_pt *lp)
{
	if (!lp->own_loop && !evtimer_pending(lp->kick, NULL))
		lev_add_ms(lp->kick, 0);
}

/* a guest's step after the loop dispatched: the work, then arm for what is next */
static void
lev_guest_step(struct loom_lev_pt *lp)
{
	int ms;

	loom__evlib_guest_after(lp->pt);
	ms = loom__pt_guest_wait_ms(lp->pt);
	if (ms == 0)
		lev_kick(lp);
	else if (ms > 0)
		lev_add_ms(lp->timer, ms);
	else
		evtimer_del(lp->timer);
}

static void
lev_fd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loom_lev_pt *lp = arg;
	unsigned int rev = 0;

	if (what & EV_READ)
		rev |= LOOM_EV_READ;
	if (what & EV_WRITE)
		rev |= LOOM_EV_WRITE;
	loom__evlib_guest_fd(lp->pt, (int)fd, rev);
	lev_kick(lp);
}

static void
lev_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loom_lev_pt *lp = arg;

	if (!lp->own_loop)
		lev_guest_step(lp);
}

static int
lev_init_pt(struct loom_pt *pt, void *foreign_loop)
{
	struct loom_lev_pt *lp = loom_zalloc(sizeof(*lp), "libevent pt");

	if (!lp)
		return LOOM_ENOMEM;
	lp->watch = loom_zalloc(pt->fds_max * sizeof(*lp->watch), "libevent events");
	if (!lp->watch)
		goto bail;
	lp->fds_max = pt->fds_max;
	lp->pt = pt;
	lp->base = foreign_loop;
	if (!lp->base) {
		lp->own_loop = 1;
		lp->base = event_base_new();
		if (!lp->base)
			goto bail;
	}
	lp->timer = evtimer_new(lp->base, lev_timer_cb, lp);
	lp->kick = evtimer_new(lp->base, lev_timer_cb, lp);
	if (!lp->timer || !lp->kick) {
		if (lp->timer)
			event_free(lp->timer);
		if (lp->kick)
			event_free(lp->kick);
		if (lp->own_loop)
			event_base_free(lp->base);
		goto bail;
	}
	pt->evlib_pt = lp;
	pt->evlib_guest = !lp->own_loop;

	return 0;

bail:
	loom_free(lp->watch);
	loom_free(lp);
	return LOOM_ENOMEM;
}

static void
lev_destroy_pt(struct loom_pt *pt)
{
	struct loom_lev_pt *lp = pt->evlib_pt;
	unsigned int n;

	for (n = 0; n < lp->fds_max; n++)
		if (lp->watch[n])
			event_free(lp->watch[n]);
	event_free(lp->timer);
	event_free(lp->kick);
	if (lp->own_loop)
		event_base_free(lp->base);
	loom_free(lp->watch);
	loom_free(lp);
	pt->evlib_pt = NULL;
}

static int
lev_sock_accept(struct loom_conn *conn)
{
	struct loom_lev_pt *lp = conn->pt->evlib_pt;
	struct event *e;

	if ((unsigned int)conn->fd >= lp->fds_max)
		return LOOM_ELIMIT;
	e = event_new(lp->base, conn->fd, (short)(EV_PERSIST | lev_mask(conn->ev)),
		      lev_fd_cb, lp);
	if (!e)
		return LOOM_ENOMEM;
	lp->watch[conn->fd] = e;
	if (conn->ev && event_add(e, NULL)) {
		loom_clog_err(conn, "libevent: event_add fd %d failed", conn->fd);
		event_free(e);
		lp->watch[conn->fd] = NULL;
		return LOOM_ESOCKET;
	}

	return 0;
}

static void
lev_io(struct loom_conn *conn, unsigned int flags)
{
	struct loom_lev_pt *lp = conn->pt->evlib_pt;
	unsigned int want = conn->ev;
	struct event *e;

	if (conn->fd < 0 || (unsigned int)conn->fd >= lp->fds_max)
		return;
	e = lp->watch[conn->fd];
	if (!e)
		return;
	if (flags & LOOM_EV_START)
		want |= flags & (LOOM_EV_READ | LOOM_EV_WRITE);
	else
		want &= ~(flags & (LOOM_EV_READ | LOOM_EV_WRITE));
	event_del(e);
	event_assign(e, lp->base, conn->fd, (short)(EV_PERSIST | lev_mask(want)),
		     lev_fd_cb, lp);
	if (want && event_add(e, NULL))
		loom_clog_err(conn, "libevent: event_add failed");
}

static void
lev_destroy_conn(struct loom_conn *conn)
{
	struct loom_lev_pt *lp = conn->pt->evlib_pt;

	if (!lp || conn->fd < 0 || (unsigned int)conn->fd >= lp->fds_max ||
	    !lp->watch[conn->fd])
		return;
	event_free(lp->watch[conn->fd]);	/* deletes it first */
	lp->watch[conn->fd] = NULL;
}

static int
lev_run_pt(struct loom_pt *pt, int timeout_ms)
{
	struct loom_lev_pt *lp = pt->evlib_pt;

	if (!lp->own_loop) {
		loom_log_err("libevent: a guest does not run the app's loop");
		return LOOM_EINVAL;
	}
	timeout_ms = loom__pt_wait_ms(pt, timeout_ms);
	if (timeout_ms > 0)
		lev_add_ms(lp->timer, timeout_ms);
	event_base_loop(lp->base, timeout_ms ? EVLOOP_ONCE : EVLOOP_NONBLOCK);
	evtimer_del(lp->timer);
	loom__pt_after_wait(pt);

	return 0;
}

static void
lev_sul_changed(struct loom_pt *pt)
{
	struct loom_lev_pt *lp = pt->evlib_pt;
	struct loom_sul *sul;
	loom_usec_t now;

	/* only the timer moves here: nothing may run from loom_sul_schedule() */
	if (!lp || lp->own_loop || !pt->sul_owner.head)
		return;
	sul = loom_container_of(pt->sul_owner.head, struct loom_sul, list);
	now = loom__plat_now_us();
	lev_add_ms(lp->timer, sul->us > now ? (int)((sul->us - now + 999) / 1000) : 0);
}

static void
lev_work_queued(struct loom_pt *pt)
{
	struct loom_lev_pt *lp = pt->evlib_pt;

	if (lp)
		lev_kick(lp);
}

const struct loom_event_lib_ops loom_evlib_libevent = {
	.name = "libevent",
	.init_pt = lev_init_pt,
	.run_pt = lev_run_pt,
	.sock_accept = lev_sock_accept,
	.io = lev_io,
	.destroy_conn = lev_destroy_conn,
	.destroy_pt = lev_destroy_pt,
	.sul_changed = lev_sul_changed,
	.work_queued = lev_work_queued,
};
