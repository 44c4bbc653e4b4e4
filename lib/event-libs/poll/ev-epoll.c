/*
 * ev-epoll.c: the default event loop on Linux: one epoll set per service thread,
 * level-triggered, indexed back to conns through the pt's fd table.
 */
#include "core/private-core.h"
#include "event-libs/private-event-libs.h"

#include <unistd.h>
#include <sys/epoll.h>

#define LOOM_EPOLL_BATCH 256

struct loom_epoll_pt {
	int epfd;
	struct epoll_event events[LOOM_EPOLL_BATCH];
};

static uint32_t
epoll_mask(unsigned int ev)
{
	return ((ev & LOOM_EV_READ) ? EPOLLIN : 0) | ((ev & LOOM_EV_WRITE) ? EPOLLOUT : 0);
}

static int
epoll_init_pt(struct loom_pt *pt, void *foreign_loop)
{
	struct loom_epoll_pt *ep;

	if (foreign_loop)
		return -1;	/* the default loop is always our own */
	ep = loom_zalloc(sizeof(*ep), "epoll pt");
	if (!ep)
		return -1;
	ep->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ep->epfd < 0) {
		loom_log_err("epoll_create1 failed, errno %d", errno);
		loom_free(ep);
		return -1;
	}
	pt->evlib_pt = ep;

	return 0;
}

static void
epoll_destroy_pt(struct loom_pt *pt)
{
	struct loom_epoll_pt *ep = pt->evlib_pt;

	close(ep->epfd);
	loom_free(ep);
	pt->evlib_pt = NULL;
}

static int
epoll_sock_accept(struct loom_conn *conn)
{
	struct loom_epoll_pt *ep = conn->pt->evlib_pt;
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = epoll_mask(conn->ev);
	ev.data.fd = conn->fd;
	if (epoll_ctl(ep->epfd, EPOLL_CTL_ADD, conn->fd, &ev)) {
		if (errno == EPERM)
			return 1;	/* e.g. /dev/null: epoll refuses it */
		loom_clog_err(conn, "epoll add fd %d failed, errno %d", conn->fd, errno);
		return -1;
	}

	return 0;
}

static void
epoll_io(struct loom_conn *conn, unsigned int flags)
{
	struct loom_epoll_pt *ep = conn->pt->evlib_pt;
	unsigned int want = conn->ev;
	struct epoll_event ev;

	if (flags & LOOM_EV_START)
		want |= flags & (LOOM_EV_READ | LOOM_EV_WRITE);
	else
		want &= ~(flags & (LOOM_EV_READ | LOOM_EV_WRITE));
	memset(&ev, 0, sizeof(ev));
	ev.events = epoll_mask(want);
	ev.data.fd = conn->fd;
	if (epoll_ctl(ep->epfd, EPOLL_CTL_MOD, conn->fd, &ev))
		loom_clog_err(conn, "epoll mod failed, errno %d", errno);
}

static void
epoll_destroy_conn(struct loom_conn *conn)
{
	struct loom_epoll_pt *ep = conn->pt->evlib_pt;

	/* closing the fd would drop it from the set too, unless it was dup()ed */
	if (conn->fd >= 0 && ep)
		epoll_ctl(ep->epfd, EPOLL_CTL_DEL, conn->fd, NULL);
}

static int
epoll_run_pt(struct loom_pt *pt, int timeout_ms)
{
	struct loom_epoll_pt *ep = pt->evlib_pt;
	int n, i;

	timeout_ms = loom__pt_wait_ms(pt, timeout_ms);
	n = epoll_wait(ep->epfd, ep->events, LOOM_EPOLL_BATCH, timeout_ms);
	if (n < 0) {
		if (errno != EINTR) {
			loom_log_err("epoll_wait failed, errno %d", errno);
			return LOOM_ESOCKET;
		}
		n = 0;
	}
	for (i = 0; i < n; i++) {
		uint32_t e = ep->events[i].events;
		int fd = ep->events[i].data.fd;
		struct loom_conn *conn = pt->fds[fd];
		unsigned int rev = 0;

		/* closed earlier in this batch: its fd may even be reused already */
		if (!conn)
			continue;
		if (e & EPOLLIN)
			rev |= LOOM_EV_READ;
		if (e & EPOLLOUT)
			rev |= LOOM_EV_WRITE;
		if (e & (EPOLLHUP | EPOLLERR))
			rev |= LOOM_REV_HUPERR;
		loom__service_conn(pt, conn, rev);
	}
	loom__pt_after_wait(pt);

	return n;
}

const struct loom_event_lib_ops loom_evlib_default = {
	.name = "epoll",
	.init_pt = epoll_init_pt,
	.run_pt = epoll_run_pt,
	.sock_accept = epoll_sock_accept,
	.io = epoll_io,
	.destroy_conn = epoll_destroy_conn,
	.destroy_pt = epoll_destroy_pt,
};
