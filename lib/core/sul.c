/*
 * sul.c: the sorted µs list. Each pt keeps its scheduled suls soonest first; the
 * service loop sleeps until the head is due and runs what is due.
 */
#include "core/private-core.h"
#include "event-libs/private-event-libs.h"

loom_usec_t
loom_now_usecs(void)
{
	return loom__plat_now_us();
}

static int
sul_compare(const struct loom_dll2 *a, const struct loom_dll2 *b)
{
	const struct loom_sul *sa = loom_container_of(a, struct loom_sul, list);
	const struct loom_sul *sb = loom_container_of(b, struct loom_sul, list);

	return sa->us < sb->us ? -1 : (sa->us > sb->us ? 1 : 0);
}

void
loom_sul_schedule(struct loom_context *ctx, int tsi, struct loom_sul *sul,
		  loom_sul_cb cb, loom_usec_t us)
{
	struct loom_pt *pt;
	struct loom_dll2 *old_head;

	if (us == LOOM_SUL_CANCEL) {
		loom_sul_cancel(sul);
		return;
	}
	if (!ctx || tsi < 0 || (unsigned int)tsi >= ctx->count_threads || !cb)
		return;
	pt = &ctx->pt[tsi];
	if (us < 0)
		us = 0;
	old_head = pt->sul_owner.head;
	loom_dll2_remove(&sul->list);
	sul->us = loom__plat_now_us() + us;
	sul->cb = cb;
	loom_dll2_add_sorted(&sul->list, &pt->sul_owner, sul_compare);
	if (pt->sul_owner.head != old_head && ctx->evlib && ctx->evlib->sul_changed)
		ctx->evlib->sul_changed(pt);
}

void
loom_sul_cancel(struct loom_sul *sul)
{
	loom_dll2_remove(&sul->list);
}

/*
 * Run every sul due at \p now. Each runs once; one that reschedules itself for "now"
 * waits for the next pass, so this always ends. Returns µs until the next one is
 * due, or -1 when none is scheduled.
 */
loom_usec_t
loom__sul_service(struct loom_pt *pt, loom_usec_t now)
{
	unsigned int budget = pt->sul_owner.count;
	struct loom_sul *sul;

	while (budget-- && pt->sul_owner.head) {
		sul = loom_container_of(pt->sul_owner.head, struct loom_sul, list);
		if (sul->us > now)
			break;
		loom_dll2_remove(&sul->list);
		sul->cb(sul);
	}
	if (!pt->sul_owner.head)
		return -1;
	sul = loom_container_of(pt->sul_owner.head, struct loom_sul, list);

	return sul->us > now ? sul->us - now : 0;
}
