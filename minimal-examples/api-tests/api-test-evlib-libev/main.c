/*
 * api-test-evlib-libev: Loom as a guest in the app's libev loop, and on a libev
 * loop of its own (the shared body: common/evlib-test.h). After
 * loom_context_destroy() no Loom watcher is left: with the app's own stopped,
 * ev_run() returns at once.
 */
#include <loom.h>
#include "loom-test.h"

#include <ev.h>

#define EVT_LIB		"libev"
#define EVT_WAKE_UNIT	"loop iterations"
#include "evlib-test.h"

static struct ev_loop *loop;
static ev_timer app_timer;
static int timed_out;

static void
app_tick(struct ev_loop *l, ev_timer *t, int revents)
{
	evt_app_tick();
}

static void
stop_loop(struct ev_loop *l, ev_timer *t, int revents)
{
	timed_out = 1;
	ev_break(l, EVBREAK_ONE);
}

static void *
evt_foreign_loop(void)
{
	return loop;
}

static unsigned int
evt_run_for(unsigned int ms)
{
	ev_timer t;
	unsigned int before = ev_iteration(loop);

	ev_now_update(loop);
	ev_timer_init(&t, stop_loop, (ev_tstamp)ms / 1000.0, 0.);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);

	return ev_iteration(loop) - before;
}

static void
evt_run_nowait(void)
{
	ev_run(loop, EVRUN_NOWAIT);
}

static void
evt_app_timer(int on)
{
	if (on) {
		ev_timer_set(&app_timer, 0.01, 0.01);
		ev_timer_start(loop, &app_timer);
	} else
		ev_timer_stop(loop, &app_timer);
}

static void
evt_after_guest(void)
{
	/* libev cannot list watchers: main() checks the loop runs dry at the end */
}

int
main(void)
{
	ev_timer guard;

	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN, NULL);
	loop = ev_loop_new(EVFLAG_AUTO);
	LT_CHECK(loop != NULL);
	if (!loop)
		return 1;
	ev_timer_init(&app_timer, app_tick, 0.01, 0.01);

	evt_run_tests();

	/* the app closes its own handles and lets the loop finish: nothing of
	 * Loom's may be left in it */
	ev_timer_stop(loop, &app_timer);
	ev_run(loop, 0);	/* nothing active: returns at once */
	/* with a guard timer as the app's only watcher, the loop ends by it */
	ev_timer_init(&guard, stop_loop, 0.2, 0.);
	ev_timer_start(loop, &guard);
	timed_out = 0;
	ev_run(loop, 0);
	LT_CHECK_EQ(timed_out, 1);
	LT_CHECK_EQ(ev_pending_count(loop), 0);
	ev_loop_destroy(loop);

	return lt_result("api-test-evlib-libev");
}
