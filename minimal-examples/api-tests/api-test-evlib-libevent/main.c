/*
 * api-test-evlib-libevent: Loom as a guest in the app's event_base, and on one of
 * its own (the shared body: common/evlib-test.h). libevent has no prepare step, so
 * the write the app's timer asks of Loom must wake the loop; wakeups are counted
 * as the process' voluntary context switches. After loom_context_destroy() no
 * event of Loom's is left in the base.
 */
#include <loom.h>
#include "loom-test.h"

#include <event2/event.h>
#include <sys/resource.h>
#include <sys/time.h>

#define EVT_LIB		"libevent"
#define EVT_WAKE_UNIT	"wakeups"
#include "evlib-test.h"

static struct event_base *loop;
static struct event *app_timer;

static void
app_tick(evutil_socket_t fd, short what, void *arg)
{
	evt_app_tick();
}

static long
sleeps(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_nvcsw;	/* each time the process slept */
}

static void *
evt_foreign_loop(void)
{
	return loop;
}

/* run the app's loop for about \p ms; returns how often the process woke */
static unsigned int
evt_run_for(unsigned int ms)
{
	struct timeval tv;
	long before = sleeps();

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	event_base_loopexit(loop, &tv);
	event_base_dispatch(loop);

	return (unsigned int)(sleeps() - before);
}

static void
evt_run_nowait(void)
{
	event_base_loop(loop, EVLOOP_NONBLOCK);
}

static void
evt_app_timer(int on)
{
	struct timeval tv = { 0, 10000 };

	if (on)
		evtimer_add(app_timer, &tv);
	else
		event_del(app_timer);
}

static void
evt_after_guest(void)
{
	/* main() checks the base holds no event of Loom's at the end */
}

int
main(void)
{
	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN, NULL);
	loop = event_base_new();
	LT_CHECK(loop != NULL);
	if (!loop)
		return 1;
	app_timer = event_new(loop, -1, EV_PERSIST, app_tick, NULL);

	evt_run_tests();

	/* the app closes its own handles and lets the loop finish: nothing of
	 * Loom's may be left in it */
	event_free(app_timer);
	/* nothing of Loom's is left in the base: no event added, none active */
	LT_CHECK_EQ(event_base_get_num_events(loop, EVENT_BASE_COUNT_ADDED |
					      EVENT_BASE_COUNT_ACTIVE), 0);
	LT_CHECK_EQ(event_base_dispatch(loop), 1);	/* 1: no events */
	event_base_free(loop);

	return lt_result("api-test-evlib-libevent");
}
