/*
 * defer.c: loom_defer(), the bounded lock-protected queue through which other
 * threads ask a service thread to run a function, and the pt wakeup it uses.
 */
#include "core/private-core.h"

#if defined(LOOM_WITH_DEFER)

int
loom__pt_defer_init(struct loom_pt *pt, unsigned int len)
{
	pt->defer_ring = loom_zalloc(len * sizeof(*pt->defer_ring), "defer ring");
	if (!pt->defer_ring)
		return LOOM_ENOMEM;
	if (loom__plat_mutex_init(&pt->defer_lock)) {
		loom_free(pt->defer_ring);
		pt->defer_ring = NULL;
		return LOOM_ENOMEM;
	}
	pt->defer_len = len;
	pt->defer_head = pt->defer_count = 0;

	return 0;
}

void
loom__pt_defer_destroy(struct loom_pt *pt)
{
	loom__plat_mutex_destroy(&pt->defer_lock);
	loom_free(pt->defer_ring);
	pt->defer_ring = NULL;
	pt->defer_len = 0;
}

int
loom_defer_tsi(struct loom_context *ctx, int tsi, loom_defer_fn fn, void *arg)
{
	struct loom_pt *pt;
	int r = 0;

	if (!ctx || !fn || tsi < 0 || (unsigned int)tsi >= ctx->count_threads)
		return LOOM_EINVAL;
	pt = &ctx->pt[tsi];
	loom__plat_mutex_lock(&pt->defer_lock);
	if (pt->defer_count == pt->defer_len)
		r = LOOM_EBUSY;
	else {
		struct loom_defer_item *it = &pt->defer_ring[(pt->defer_head +
					pt->defer_count) % pt->defer_len];

		it->fn = fn;
		it->arg = arg;
		pt->defer_count++;
	}
	loom__plat_mutex_unlock(&pt->defer_lock);
	if (!r)
		loom__plat_wake_signal(&pt->wake);

	return r;
}

int
loom_defer(struct loom_context *ctx, loom_defer_fn fn, void *arg)
{
	return loom_defer_tsi(ctx, 0, fn, arg);
}

/*
 * Run what is queued, in order, without holding the lock while a function runs (it
 * may queue more). Items queued meanwhile wait for the next wakeup, so one busy
 * producer cannot keep the service thread here.
 */
void
loom__pt_defer_run(struct loom_pt *pt)
{
	unsigned int budget;

	loom__plat_mutex_lock(&pt->defer_lock);
	budget = pt->defer_count;
	while (budget-- && pt->defer_count) {
		struct loom_defer_item it = pt->defer_ring[pt->defer_head];

		pt->defer_head = (pt->defer_head + 1) % pt->defer_len;
		pt->defer_count--;
		loom__plat_mutex_unlock(&pt->defer_lock);
		it.fn(pt->ctx, it.arg);
		loom__plat_mutex_lock(&pt->defer_lock);
	}
	budget = pt->defer_count;
	loom__plat_mutex_unlock(&pt->defer_lock);
	if (budget)
		loom__plat_wake_signal(&pt->wake);
}
#else
/* LOOM_WITH_DEFER=OFF: nothing here (an empty file is not ISO C) */
typedef int loom__defer_off;
#endif
