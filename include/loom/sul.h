/*
 * sul.h: the sorted-usec-list scheduler. Embed a struct loom_sul in your object and
 * schedule it; the callback runs once, on the service thread, when its time comes.
 * Every timeout, retry and keepalive in Loom uses it; nothing polls periodically.
 */
#ifndef LOOM_SUL_H
#define LOOM_SUL_H

/** \defgroup sul Scheduler
 * @{ */
/** a time or interval in microseconds */
typedef int64_t loom_usec_t;

struct loom_sul;
/** loom_sul_cb - called once when the sul is due (it is already unscheduled) */
typedef void (*loom_sul_cb)(struct loom_sul *sul);

/** a scheduled event; zero it before first use */
struct loom_sul {
	struct loom_dll2 list;	/**< on the pt's sul list while scheduled */
	loom_usec_t us;		/**< absolute due time, monotonic µs */
	loom_sul_cb cb;		/**< what to call */
};

/** pass as \p us to loom_sul_schedule() to cancel instead */
#define LOOM_SUL_CANCEL ((loom_usec_t)-1)

/** loom_now_usecs() - monotonic time in µs */
loom_usec_t
loom_now_usecs(void);

/**
 * loom_sul_schedule() - run \p cb once, \p us µs from now, on service thread \p tsi.
 * Rescheduling a scheduled sul moves it. \p us of LOOM_SUL_CANCEL cancels it.
 * Call only on that service thread.
 */
void
loom_sul_schedule(struct loom_context *ctx, int tsi, struct loom_sul *sul,
		  loom_sul_cb cb, loom_usec_t us);

/** loom_sul_cancel() - unschedule; harmless if not scheduled */
void
loom_sul_cancel(struct loom_sul *sul);

/** loom_sul_is_scheduled() - nonzero while scheduled */
#define loom_sul_is_scheduled(s) (!loom_dll2_is_detached(&(s)->list))
/** @} */

#endif
