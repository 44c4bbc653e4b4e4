/*
 * service.c: one pass of the service loop. The event lib waits and hands each ready
 * fd to loom__service_conn(); then WRITEABLE callbacks that need no kernel round
 * trip, always-ready fds and due suls are run.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "event-libs/private-event-libs.h"

int
loom__service_conn(struct loom_pt *pt, struct loom_conn *conn, unsigned int revents)
{
	const struct loom_role_ops *role = conn->role;

#if defined(LOOM_WITH_TLS)
	/* a TLS handshake in progress, or TLS I/O waiting for the other direction */
	if (conn->tls && !(conn->flags & LCF_CONNECTING)) {
		int r = loom__tls_service(pt, conn, &revents);

		if (r != LOOM_TLS_SVC_CONTINUE)
			return r;
	}
#endif
	if (revents & LOOM_EV_WRITE) {
		if (role->handle_pollout(pt, conn) == LOOM_HP_CLOSED)
			return LOOM_HP_CLOSED;
	}
	if (revents & LOOM_REV_HUPERR) {
		/*
		 * A paused reader may still have data to read after the hangup (a
		 * pipe's last bytes), but the loop cannot mask a hangup: it would
		 * report it forever. Park the fd out of the poll set until reading
		 * resumes; then the data, and the end, are read as usual.
		 */
		if ((conn->flags & LCF_RX_PAUSED) && !loom__connect_is_pending(conn)) {
			if (!(conn->flags & LCF_HUP_PARKED)) {
				pt->ctx->evlib->destroy_conn(conn);
				conn->flags |= LCF_HUP_PARKED;
			}
			return LOOM_HP_OK;
		}
		revents |= LOOM_EV_READ;
	}
	if (revents & LOOM_EV_READ) {
		int r = role->handle_pollin(pt, conn);

		/*
		 * A WRITEABLE asked for while reading, on a socket whose last write
		 * went through whole: serve it now, in this same pass, while the
		 * conn is still hot in the cache, not after the rest of the batch
		 * (at 1000 conns that is hundreds of conns later). It is the same
		 * callback the pass would run below; it leaves the list first, so
		 * it runs once. A new request from inside it waits on the list.
		 */
		if (r == LOOM_HP_OK &&
		    conn->list_pending.owner == &pt->pending_writable) {
			loom_dll2_remove(&conn->list_pending);
			r = conn->role->perform_user_pollout(conn);
		}

		return r;
	}

	return LOOM_HP_OK;
}

/* WRITEABLE callbacks asked for on conns whose last write went through whole */
static void
loom_service_pending_writable(struct loom_pt *pt)
{
	unsigned int budget = pt->pending_writable.count;

	while (budget-- && pt->pending_writable.head) {
		struct loom_conn *conn = loom_container_of(pt->pending_writable.head,
							   struct loom_conn, list_pending);

		loom_dll2_remove(&conn->list_pending);
		conn->role->perform_user_pollout(conn);
	}
}

#if !defined(LOOM_ALL_POLLABLE)
/* regular files cannot be polled: they are ready whenever they have interest */
static void
loom_service_always_ready(struct loom_pt *pt)
{
	unsigned int budget = pt->always_ready.count;
	struct loom_dll2 *d = pt->always_ready.head;

	while (budget-- && d) {
		struct loom_conn *conn = loom_container_of(d, struct loom_conn, list_pending);
		unsigned int rev = conn->ev & (LOOM_EV_READ | LOOM_EV_WRITE);

		/* move it to the tail first: the walk ends after "budget" entries */
		d = d->next;
		loom_dll2_add_tail(&conn->list_pending, &pt->always_ready);
		if (rev)
			loom__service_conn(pt, conn, rev);
	}
}
#endif

static int
loom_pt_has_ready_work(const struct loom_pt *pt)
{
	const struct loom_dll2 *d;

	if (pt->pending_writable.count)
		return 1;
#if defined(LOOM_WITH_TLS)
	if (pt->tls_rx_pending.count && loom__tls_rx_pending_ready(pt))
		return 1;
#endif
#if !defined(LOOM_ALL_POLLABLE)
	for (d = pt->always_ready.head; d; d = d->next) {
		const struct loom_conn *c = loom_container_of(d, struct loom_conn,
							      list_pending);

		if (c->ev & (LOOM_EV_READ | LOOM_EV_WRITE))
			return 1;
	}
#else
	(void)d;
#endif

	return 0;
}

/*
 * Run due suls and say how long the event lib may sleep: no longer than the next
 * sul, and not at all when work is ready without the kernel's help.
 */
/*
 * a wait in ms for \p us >= 0 ahead, rounded up, at most an hour (a sul weeks
 * away must not overflow the wait into "forever"); the division is 32-bit: a
 * 32-bit device would otherwise bring libgcc's 64-bit division along for it
 */
static int
loom__usec_to_wait_ms(loom_usec_t us)
{
	if (us >= (loom_usec_t)3600 * 1000 * 1000)
		return 3600 * 1000;

	return (int)(((uint32_t)us + 999u) / 1000u);
}

int
loom__pt_wait_ms(struct loom_pt *pt, int timeout_ms)
{
	/* with nothing scheduled, not even the clock is read */
	loom_usec_t next = pt->sul_owner.head ?
			   loom__sul_service(pt, loom__plat_now_us()) : -1;

	if (loom_pt_has_ready_work(pt) || loom__atomic_load(&pt->ctx->stopping))
		return 0;
	if (next >= 0) {
		int ms = loom__usec_to_wait_ms(next);

		if (timeout_ms < 0 || ms < timeout_ms)
			timeout_ms = ms;
	}

	return timeout_ms;
}

/* a guest's prepare step (private-event-libs.h): a stop is not work for a guest */
int
loom__pt_guest_wait_ms(struct loom_pt *pt)
{
	loom_usec_t next = pt->sul_owner.head ?
			   loom__sul_service(pt, loom__plat_now_us()) : -1;

	if (loom_pt_has_ready_work(pt))
		return 0;
	if (next < 0)
		return -1;

	return loom__usec_to_wait_ms(next);
}

/* after the event lib dispatched what the kernel reported */
void
loom__pt_after_wait(struct loom_pt *pt)
{
	loom_service_pending_writable(pt);
#if defined(LOOM_WITH_TLS)
	if (pt->tls_rx_pending.count)
		loom__tls_service_rx_pending(pt);
#endif
#if !defined(LOOM_ALL_POLLABLE)
	if (pt->always_ready.count)
		loom_service_always_ready(pt);
#endif
	if (pt->sul_owner.head)
		loom__sul_service(pt, loom__plat_now_us());
}

int
loom_service_tsi(struct loom_context *ctx, int timeout_ms, int tsi)
{
	struct loom_pt *pt;
	int n;

	if (!ctx || tsi < 0 || (unsigned int)tsi >= ctx->count_threads)
		return LOOM_EINVAL;
	pt = &ctx->pt[tsi];
	if (pt->inside_service || ctx->destroying)
		return LOOM_EBUSY;
	pt->inside_service = 1;
	n = ctx->evlib->run_pt(pt, timeout_ms);
	pt->inside_service = 0;

	return n < 0 ? n : 0;
}

int
loom_service(struct loom_context *ctx, int timeout_ms)
{
	return loom_service_tsi(ctx, timeout_ms, 0);
}

int
loom_run(struct loom_context *ctx, int tsi)
{
	int n;

	if (!ctx)
		return LOOM_EINVAL;
	while (!loom__atomic_load(&ctx->stopping)) {
		n = loom_service_tsi(ctx, -1, tsi);
		if (n < 0)
			return n;
	}

	return 0;
}

void
loom__pt_wake_service(struct loom_pt *pt)
{
	struct loom_vhost *vh;
	unsigned int n;

	loom__plat_wake_drain(&pt->wake);
	loom__pt_defer_run(pt);
	if (!loom__atomic_load(&pt->cancel_pending))
		return;
	loom__atomic_store(&pt->cancel_pending, 0);
	for (vh = pt->ctx->vhosts; vh; vh = vh->next)
		for (n = 0; n < vh->count_protocols; n++)
			if (vh->protocols[n].callback)
				vh->protocols[n].callback(NULL,
					LOOM_CB_EVENT_WAIT_CANCELLED, NULL, vh, 0);
}

void
loom_stop(struct loom_context *ctx)
{
	unsigned int n;

	if (!ctx)
		return;
	loom__atomic_store(&ctx->stopping, 1);
	for (n = 0; n < ctx->count_threads; n++)
		loom__plat_wake_signal(&ctx->pt[n].wake);
}

int
loom_is_stopping(const struct loom_context *ctx)
{
	return loom__atomic_load(&ctx->stopping);
}

void
loom_cancel_service_tsi(struct loom_context *ctx, int tsi)
{
	struct loom_pt *pt;

	if (!ctx || tsi < 0 || (unsigned int)tsi >= ctx->count_threads)
		return;
	pt = &ctx->pt[tsi];
	loom__atomic_store(&pt->cancel_pending, 1);
	loom__plat_wake_signal(&pt->wake);
}

void
loom_cancel_service(struct loom_context *ctx)
{
	unsigned int n;

	if (!ctx)
		return;
	for (n = 0; n < ctx->count_threads; n++)
		loom_cancel_service_tsi(ctx, (int)n);
}

int
loom_count_threads(const struct loom_context *ctx)
{
	return (int)ctx->count_threads;
}

unsigned int
loom_conn_count(const struct loom_context *ctx, int tsi)
{
	if (!ctx || tsi < 0 || (unsigned int)tsi >= ctx->count_threads)
		return 0;

	return ctx->pt[tsi].count_conns;
}
