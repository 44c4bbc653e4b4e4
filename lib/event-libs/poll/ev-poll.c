/*
 * ev-poll.c: the default event loop where there is no epoll: poll() over an array
 * of pollfds, each conn knowing its slot; removal moves the last slot into the hole.
 */
#include "core/private-core.h"
#include "event-libs/private-event-libs.h"

#if defined(LOOM_PLAT_LWIP)
#include "plat/lwip/private-lwip.h"	/* struct pollfd, lwip_poll() */
#define loom_poll lwip_poll
#else
#include <poll.h>
#define loom_poll poll
#endif

struct loom_poll_pt {
	struct pollfd *pfds;
	int *slot_of_fd;		/* fd -> index in pfds, -1 if none */
	unsigned int count;
	unsigned int max;
};

static short
poll_mask(unsigned int ev)
{
	return (short)(((ev & LOOM_EV_READ) ? POLLIN : 0) |
		       ((ev & LOOM_EV_WRITE) ? POLLOUT : 0));
}

static int
poll_init_pt(struct loom_pt *pt, void *foreign_loop)
{
	struct loom_poll_pt *pp;
	unsigned int n;

	if (foreign_loop)
		return -1;
	pp = loom_zalloc(sizeof(*pp), "poll pt");
	if (!pp)
		return -1;
	pp->max = pt->fds_max;
	pp->pfds = loom_malloc(pp->max * sizeof(*pp->pfds), "pollfds");
	pp->slot_of_fd = loom_malloc(pp->max * sizeof(int), "poll slots");
	if (!pp->pfds || !pp->slot_of_fd) {
		loom_free(pp->pfds);
		loom_free(pp->slot_of_fd);
		loom_free(pp);
		return -1;
	}
	for (n = 0; n < pp->max; n++)
		pp->slot_of_fd[n] = -1;
	pt->evlib_pt = pp;

	return 0;
}

static void
poll_destroy_pt(struct loom_pt *pt)
{
	struct loom_poll_pt *pp = pt->evlib_pt;

	loom_free(pp->pfds);
	loom_free(pp->slot_of_fd);
	loom_free(pp);
	pt->evlib_pt = NULL;
}

static int
poll_sock_accept(struct loom_conn *conn)
{
	struct loom_poll_pt *pp = conn->pt->evlib_pt;
	struct pollfd *p;

	if (pp->count >= pp->max || (unsigned int)conn->fd >= pp->max)
		return -1;
	p = &pp->pfds[pp->count];
	p->fd = conn->fd;
	p->events = poll_mask(conn->ev);
	p->revents = 0;
	pp->slot_of_fd[conn->fd] = (int)pp->count++;

	return 0;
}

static void
poll_io(struct loom_conn *conn, unsigned int flags)
{
	struct loom_poll_pt *pp = conn->pt->evlib_pt;
	unsigned int want = conn->ev;
	int slot = pp->slot_of_fd[conn->fd];

	if (slot < 0)
		return;
	if (flags & LOOM_EV_START)
		want |= flags & (LOOM_EV_READ | LOOM_EV_WRITE);
	else
		want &= ~(flags & (LOOM_EV_READ | LOOM_EV_WRITE));
	pp->pfds[slot].events = poll_mask(want);
}

static void
poll_destroy_conn(struct loom_conn *conn)
{
	struct loom_poll_pt *pp = conn->pt->evlib_pt;
	int slot;

	if (!pp || conn->fd < 0 || (unsigned int)conn->fd >= pp->max)
		return;
	slot = pp->slot_of_fd[conn->fd];
	if (slot < 0)
		return;
	pp->slot_of_fd[conn->fd] = -1;
	if ((unsigned int)slot != --pp->count) {
		/* the last slot fills the hole, revents and all */
		pp->pfds[slot] = pp->pfds[pp->count];
		pp->slot_of_fd[pp->pfds[slot].fd] = slot;
	}
}

static int
poll_run_pt(struct loom_pt *pt, int timeout_ms)
{
	struct loom_poll_pt *pp = pt->evlib_pt;
	unsigned int i, handled = 0;
	int n;

	timeout_ms = loom__pt_wait_ms(pt, timeout_ms);
	n = loom_poll(pp->pfds, pp->count, timeout_ms);
	if (n < 0) {
		if (errno != EINTR) {
			loom_log_err("poll failed, errno %d", errno);
			return LOOM_ESOCKET;
		}
		n = 0;
	}
	/*
	 * Servicing may close conns (their slot gets the last one, which we then look
	 * at in the same place) and add conns (at the end, with revents 0).
	 */
	for (i = 0; i < pp->count && handled < (unsigned int)n; ) {
		struct pollfd *p = &pp->pfds[i];
		short e = p->revents;
		int fd = p->fd;
		struct loom_conn *conn;
		unsigned int rev = 0;

		if (!e) {
			i++;
			continue;
		}
		p->revents = 0;
		handled++;
		conn = pt->fds[fd];
		if (e & POLLIN)
			rev |= LOOM_EV_READ;
		if (e & POLLOUT)
			rev |= LOOM_EV_WRITE;
		if (e & (POLLHUP | POLLERR | POLLNVAL))
			rev |= LOOM_REV_HUPERR;
		if (conn)
			loom__service_conn(pt, conn, rev);
		/* if the conn went, another fd now sits in slot i: look at it next */
		if (i < pp->count && pp->pfds[i].fd == fd)
			i++;
	}
	loom__pt_after_wait(pt);

	return n;
}

const struct loom_event_lib_ops loom_evlib_default = {
	.name = "poll",
	.init_pt = poll_init_pt,
	.run_pt = poll_run_pt,
	.sock_accept = poll_sock_accept,
	.io = poll_io,
	.destroy_conn = poll_destroy_conn,
	.destroy_pt = poll_destroy_pt,
};
