/*
 * api-test-dns-retry: the retry/backoff helper. Delays follow the table and stay
 * at its last entry, jitter stays within its percentage, the conceal count ends
 * the retries, LOOM_RETRY_CONCEAL_ALWAYS never does, and loom_retry_sul_schedule()
 * really runs the callback after the delay.
 */
#include <loom.h>
#include "loom-test.h"

#include <string.h>
#include <time.h>

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const uint32_t table[] = { 100, 200, 400 };

static struct loom_context *ctx;
static struct loom_sul sul;
static uint16_t ctry;
static int fired;
static long long t_fire[8];
static const struct loom_retry_bo bo_sched = { table, 3, 3, 0 };

static void
retry_cb(struct loom_sul *s)
{
	t_fire[fired++] = now_ms();
	/* try again, until the policy says stop */
	loom_retry_sul_schedule(ctx, 0, &sul, &bo_sched, retry_cb, &ctry);
}

int
main(void)
{
	struct loom_context_info ci;
	struct loom_retry_bo bo = { table, 3, 4, 0 };
	uint16_t n = 0;
	unsigned int d, i, lo = 0xffffffffu, hi = 0;
	int conceal;
	long long t0, end;

	memset(&ci, 0, sizeof(ci));
	ci.hosts_file = "/dev/null";
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return 1;

	/* the table, then its last entry; conceal while n < conceal_count */
	LT_CHECK_EQ(loom_retry_get_delay_ms(ctx, &bo, &n, &conceal), 100);
	LT_CHECK_EQ(conceal, 1);
	LT_CHECK_EQ(loom_retry_get_delay_ms(ctx, &bo, &n, &conceal), 200);
	LT_CHECK_EQ(loom_retry_get_delay_ms(ctx, &bo, &n, &conceal), 400);
	LT_CHECK_EQ(loom_retry_get_delay_ms(ctx, &bo, &n, &conceal), 400);
	LT_CHECK_EQ(conceal, 1);
	LT_CHECK_EQ(loom_retry_get_delay_ms(ctx, &bo, &n, &conceal), 400);
	LT_CHECK_EQ(conceal, 0);
	LT_CHECK_EQ(n, 5);

	/* for ever */
	bo.conceal_count = LOOM_RETRY_CONCEAL_ALWAYS;
	for (n = 0, i = 0; i < 1000; i++)
		loom_retry_get_delay_ms(ctx, &bo, &n, &conceal);
	LT_CHECK_EQ(conceal, 1);

	/* jitter: 0 .. 50% more, and it does vary */
	bo.jitter_percent = 50;
	for (i = 0; i < 200; i++) {
		n = 0;
		d = loom_retry_get_delay_ms(ctx, &bo, &n, NULL);
		if (d < lo)
			lo = d;
		if (d > hi)
			hi = d;
	}
	LT_CHECK(lo >= 100 && hi <= 150 && hi > lo);

	/* an empty table: no delay; no policy: give up */
	{
		struct loom_retry_bo empty = { NULL, 0, 2, 0 };

		n = 0;
		LT_CHECK_EQ(loom_retry_get_delay_ms(ctx, &empty, &n, &conceal), 0);
		LT_CHECK_EQ(conceal, 1);
		LT_CHECK_EQ(loom_retry_sul_schedule(ctx, 0, &sul, NULL, retry_cb, &n), 1);
	}

	/* on the sul: 100, 200, 400 ms apart, then the policy stops it */
	ctry = 0;
	t0 = now_ms();
	LT_CHECK_EQ(loom_retry_sul_schedule(ctx, 0, &sul, &bo_sched, retry_cb, &ctry), 0);
	end = now_ms() + 2000;
	while (now_ms() < end && fired < 3)
		loom_service(ctx, 10);
	end = now_ms() + 200;
	while (now_ms() < end)
		loom_service(ctx, 10);
	LT_CHECK_EQ(fired, 3);
	LT_CHECK(t_fire[0] - t0 >= 95 && t_fire[0] - t0 < 300);
	LT_CHECK(t_fire[1] - t_fire[0] >= 195 && t_fire[1] - t_fire[0] < 400);
	LT_CHECK(t_fire[2] - t_fire[1] >= 395 && t_fire[2] - t_fire[1] < 600);
	LT_CHECK(!loom_sul_is_scheduled(&sul));

	loom_context_destroy(ctx);

	return lt_result("api-test-dns-retry");
}
