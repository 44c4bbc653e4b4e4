/*
 * api-test-evlib-libuv: Loom as a guest in the app's uv loop, and on a uv loop of
 * its own (the shared body: common/evlib-test.h). After loom_context_destroy() no
 * Loom handle is left: the app closes its own and uv_loop_close() returns 0.
 */
#include <loom.h>
#include "loom-test.h"

#include <uv.h>

#define EVT_LIB		"libuv"
#define EVT_WAKE_UNIT	"loop iterations"
#include "evlib-test.h"

static uv_loop_t loop;
static uv_timer_t app_timer;
static unsigned int iterations;

static void
count_iteration(uv_check_t *c)
{
	iterations++;
}

static void
app_tick(uv_timer_t *t)
{
	evt_app_tick();
}

static void
stop_loop(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static void *
evt_foreign_loop(void)
{
	return &loop;
}

static unsigned int
evt_run_for(unsigned int ms)
{
	uv_timer_t t;
	unsigned int before = iterations;

	uv_timer_init(&loop, &t);
	uv_timer_start(&t, stop_loop, ms, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);

	return iterations - before;
}

static void
evt_run_nowait(void)
{
	uv_run(&loop, UV_RUN_NOWAIT);
}

static void
evt_app_timer(int on)
{
	if (on)
		uv_timer_start(&app_timer, app_tick, 10, 10);
	else
		uv_timer_stop(&app_timer);
}

static void
walk_cb(uv_handle_t *h, void *arg)
{
	unsigned int *n = arg;

	if (!uv_is_closing(h))
		(*n)++;
}

static void
evt_after_guest(void)
{
	unsigned int open_handles = 0;

	/* what Loom left is closing; the app's timer and checker are still open */
	uv_walk(&loop, walk_cb, &open_handles);
	LT_CHECK_EQ(open_handles, 2);
}

int
main(void)
{
	uv_check_t checker;

	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN, NULL);
	LT_CHECK_EQ(uv_loop_init(&loop), 0);
	uv_check_init(&loop, &checker);
	uv_check_start(&checker, count_iteration);
	uv_unref((uv_handle_t *)&checker);
	uv_timer_init(&loop, &app_timer);

	evt_run_tests();

	/* the app closes its own handles and lets the loop finish: nothing of
	 * Loom's may be left in it */
	uv_close((uv_handle_t *)&app_timer, NULL);
	uv_close((uv_handle_t *)&checker, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	LT_CHECK_EQ(uv_loop_close(&loop), 0);

	return lt_result("api-test-evlib-libuv");
}
