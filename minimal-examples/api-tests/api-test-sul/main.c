/*
 * api-test-sul: the µs scheduler driven by loom_service(): time order (equal delays
 * in scheduling order), nothing early, cancel, reschedule, self-rescheduling callbacks.
 */
#include <loom.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loom-test.h"

#define MS ((loom_usec_t)1000)
#define NSUL 200

struct tsul {
	struct loom_sul sul;	/* first member, but found with container_of anyway */
	int idx;
	loom_usec_t delay;
	loom_usec_t asked_at;	/* loom_now_usecs() just before scheduling */
	int runs;
	int sched_inside;	/* loom_sul_is_scheduled() seen inside the callback */
	loom_usec_t due;	/* the absolute due time the scheduler gave it */
};

static struct loom_context *ctx;
static struct tsul suls[NSUL];
static int order[NSUL * 2], order_count, early, bad_due;

static void
tsul_cb(struct loom_sul *sul)
{
	struct tsul *t = loom_container_of(sul, struct tsul, sul);
	loom_usec_t now = loom_now_usecs();

	if (now < t->asked_at + t->delay) {
		fprintf(stderr, "sul %d ran %lld us early\n", t->idx,
			(long long)(t->asked_at + t->delay - now));
		early++;
	}
	t->runs++;
	t->sched_inside |= loom_sul_is_scheduled(sul);
	if (order_count < NSUL * 2)
		order[order_count++] = t->idx;
}

static void
tsul_schedule(struct tsul *t, loom_usec_t delay)
{
	loom_usec_t after;

	t->delay = delay;
	t->asked_at = loom_now_usecs();
	loom_sul_schedule(ctx, 0, &t->sul, tsul_cb, delay);
	after = loom_now_usecs();
	/* the due time it got is "now" at some point during the call, plus delay */
	t->due = t->sul.us;
	if (t->due < t->asked_at + delay || t->due > after + delay)
		bad_due++;
}

/* service until \p *count reaches \p want or \p ms pass */
static void
service_until(const int *count, int want, int ms)
{
	loom_usec_t end = loom_now_usecs() + ms * MS;

	while (*count < want && loom_now_usecs() < end)
		loom_service(ctx, 20);
}

/* many suls, delays 0..40 ms in 2 ms steps, many equal: time order, ties in order */
static void
test_order(void)
{
	unsigned int seed = 4242;
	int i, cancelled = 0, ok = 1, runs = 0, ties = 0;

	memset(suls, 0, sizeof(suls));
	order_count = 0;
	early = 0;
	for (i = 0; i < NSUL; i++) {
		seed = seed * 1103515245u + 12345u;
		suls[i].idx = i;
		tsul_schedule(&suls[i], (loom_usec_t)((seed >> 16) % 21) * 2 * MS);
		LT_CHECK(loom_sul_is_scheduled(&suls[i].sul));
	}
	/* cancel every 10th, half with loom_sul_cancel, half with LOOM_SUL_CANCEL */
	for (i = 0; i < NSUL; i += 10) {
		if (i % 20)
			loom_sul_cancel(&suls[i].sul);
		else
			loom_sul_schedule(ctx, 0, &suls[i].sul, tsul_cb, LOOM_SUL_CANCEL);
		LT_CHECK(!loom_sul_is_scheduled(&suls[i].sul));
		cancelled++;
	}
	/* cancelling again, or something never scheduled, is harmless */
	loom_sul_cancel(&suls[0].sul);
	loom_sul_schedule(ctx, 0, &suls[10].sul, tsul_cb, LOOM_SUL_CANCEL);

	service_until(&order_count, NSUL - cancelled, 3000);
	/* nothing else turns up afterwards */
	loom_service(ctx, 50);
	LT_CHECK_EQ(order_count, NSUL - cancelled);
	LT_CHECK_EQ(early, 0);
	for (i = 0; i < NSUL; i++) {
		if (suls[i].runs != (i % 10 ? 1 : 0) || suls[i].sched_inside)
			ok = 0;
		runs += suls[i].runs;
		if (loom_sul_is_scheduled(&suls[i].sul))
			ok = 0;
	}
	LT_CHECK(ok);
	LT_CHECK_EQ(runs, NSUL - cancelled);
	/*
	 * By due time; equal due times (scheduled in the same µs with the same delay,
	 * which a tight loop does often) in the order they were scheduled. Comparing
	 * due times rather than delays keeps this true however slowly the loop above
	 * ran (valgrind, sanitizers).
	 */
	ok = 1;
	for (i = 1; i < order_count; i++) {
		const struct tsul *a = &suls[order[i - 1]], *b = &suls[order[i]];

		if (a->due == b->due)
			ties++;
		if (a->due > b->due || (a->due == b->due && a->idx > b->idx)) {
			fprintf(stderr, "order: sul %d (due %lld) ran before %d (due %lld)\n",
				a->idx, (long long)a->due, b->idx, (long long)b->due);
			ok = 0;
		}
	}
	LT_CHECK(ok);
	/* and, put plainly: suls with equal delays ran in the order scheduled */
	{
		int last_idx[21];

		ok = 1;
		for (i = 0; i < 21; i++)
			last_idx[i] = -1;
		for (i = 0; i < order_count; i++) {
			const struct tsul *a = &suls[order[i]];
			int slot = (int)(a->delay / (2 * MS));

			if (a->idx < last_idx[slot])
				ok = 0;
			last_idx[slot] = a->idx;
		}
	}
	printf("order: %d suls ran, %d ties on equal due times\n", order_count, ties);
	LT_CHECK_EQ(bad_due, 0);
	LT_CHECK(ok);
}

/* rescheduling a scheduled sul moves it, later or sooner; it runs once */
static void
test_reschedule(void)
{
	memset(suls, 0, sizeof(suls));
	order_count = 0;
	early = 0;
	suls[0].idx = 0;
	suls[1].idx = 1;
	suls[2].idx = 2;
	tsul_schedule(&suls[0], 5 * MS);
	tsul_schedule(&suls[1], 200 * MS);
	tsul_schedule(&suls[2], 30 * MS);
	tsul_schedule(&suls[0], 60 * MS);	/* later: after 2 */
	tsul_schedule(&suls[1], 10 * MS);	/* sooner: first */
	service_until(&order_count, 3, 2000);
	loom_service(ctx, 0);
	LT_CHECK_EQ(order_count, 3);
	LT_CHECK_EQ(order[0], 1);
	LT_CHECK_EQ(order[1], 2);
	LT_CHECK_EQ(order[2], 0);
	LT_CHECK_EQ(suls[0].runs, 1);
	LT_CHECK_EQ(suls[1].runs, 1);
	LT_CHECK_EQ(early, 0);
}

/* a due callback cancels another sul due in the same pass: it must not run */
static struct tsul *victim;

static void
canceller_cb(struct loom_sul *sul)
{
	tsul_cb(sul);
	loom_sul_cancel(&victim->sul);
}

static void
test_cancel_from_cb(void)
{
	memset(suls, 0, sizeof(suls));
	order_count = 0;
	suls[0].idx = 0;
	suls[1].idx = 1;
	victim = &suls[1];
	suls[0].asked_at = loom_now_usecs();
	loom_sul_schedule(ctx, 0, &suls[0].sul, canceller_cb, 5 * MS);
	tsul_schedule(&suls[1], 5 * MS);
	/* let both fall due before the loop looks */
	usleep(15000);
	loom_service(ctx, 0);
	loom_service(ctx, 20);
	LT_CHECK_EQ(suls[0].runs, 1);
	LT_CHECK_EQ(suls[1].runs, 0);
	LT_CHECK(!loom_sul_is_scheduled(&suls[1].sul));
}

/* a callback that always reschedules itself for 0 µs: each pass runs it a bounded
 * number of times and loom_service() returns; other suls still run */
static int self_runs;
static struct loom_sul self_sul;

static void
self_cb(struct loom_sul *sul)
{
	self_runs++;
	LT_CHECK(!loom_sul_is_scheduled(sul));
	loom_sul_schedule(ctx, 0, sul, self_cb, 0);
}

static void
test_self_reschedule(void)
{
	int i, max_per_call = 0, errors = 0;
	loom_usec_t end;

	memset(suls, 0, sizeof(suls));
	order_count = 0;
	self_runs = 0;
	memset(&self_sul, 0, sizeof(self_sul));
	loom_sul_schedule(ctx, 0, &self_sul, self_cb, 0);
	suls[0].idx = 0;
	tsul_schedule(&suls[0], 3 * MS);
	/* the watchdog below turns "never returns" into a failure, not a hang */
	alarm(10);
	end = loom_now_usecs() + 2000 * MS;
	for (i = 0; loom_now_usecs() < end; i++) {
		int before = self_runs;

		/* -1: wait for an event; a due sul must make it return at once */
		if (loom_service(ctx, i & 1 ? -1 : 0))
			errors++;
		if (self_runs - before > max_per_call)
			max_per_call = self_runs - before;
		if (suls[0].runs && i > 20)
			break;
	}
	alarm(0);
	LT_CHECK_EQ(errors, 0);
	LT_CHECK(self_runs >= i);
	LT_CHECK(max_per_call >= 1 && max_per_call <= 4);
	LT_CHECK_EQ(suls[0].runs, 1);	/* not starved by the busy one */
	LT_CHECK(loom_sul_is_scheduled(&self_sul));
	loom_sul_cancel(&self_sul);
	i = self_runs;
	loom_service(ctx, 5);
	LT_CHECK_EQ(self_runs, i);
}

/* a negative delay (not LOOM_SUL_CANCEL) runs as soon as possible */
static void
test_negative_and_wait(void)
{
	loom_usec_t t0;

	memset(suls, 0, sizeof(suls));
	order_count = 0;
	suls[0].idx = 0;
	suls[0].asked_at = loom_now_usecs();
	loom_sul_schedule(ctx, 0, &suls[0].sul, tsul_cb, -5);
	LT_CHECK(loom_sul_is_scheduled(&suls[0].sul));
	loom_service(ctx, 0);
	LT_CHECK_EQ(suls[0].runs, 1);

	/* loom_service(-1) sleeps until the sul is due, not longer and not forever */
	suls[1].idx = 1;
	t0 = loom_now_usecs();
	tsul_schedule(&suls[1], 40 * MS);
	alarm(10);
	while (!suls[1].runs)
		loom_service(ctx, -1);
	alarm(0);
	LT_CHECK(loom_now_usecs() - t0 >= 40 * MS);
	LT_CHECK(loom_now_usecs() - t0 < 1000 * MS);
}

/* suls left scheduled at destroy are dropped, never run */
static void
test_destroy_with_scheduled(void)
{
	struct loom_context_info info;
	struct loom_context *c2;

	memset(&info, 0, sizeof(info));
	c2 = loom_create_context(&info);
	LT_CHECK(c2 != NULL);
	if (!c2)
		return;
	memset(suls, 0, sizeof(suls));
	loom_sul_schedule(c2, 0, &suls[0].sul, tsul_cb, 0);
	loom_sul_schedule(c2, 0, &suls[1].sul, tsul_cb, 1000 * MS);
	loom_context_destroy(c2);
	LT_CHECK_EQ(suls[0].runs + suls[1].runs, 0);
	LT_CHECK(!loom_sul_is_scheduled(&suls[0].sul));
	LT_CHECK(!loom_sul_is_scheduled(&suls[1].sul));
}

int
main(void)
{
	struct loom_context_info info;

	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-sul");

	test_order();
	test_reschedule();
	test_cancel_from_cb();
	test_self_reschedule();
	test_negative_and_wait();

	loom_context_destroy(ctx);
	test_destroy_with_scheduled();

	return lt_result("api-test-sul");
}
