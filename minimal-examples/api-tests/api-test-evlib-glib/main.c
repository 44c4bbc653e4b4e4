/*
 * api-test-evlib-glib: Loom as a guest in the app's GMainContext, and on one of
 * its own (the shared body: common/evlib-test.h). After loom_context_destroy() no
 * Loom source is left in the context.
 */
#include <loom.h>
#include "loom-test.h"

#include <glib.h>

#define EVT_LIB		"glib"
#define EVT_WAKE_UNIT	"loop iterations"
#include "evlib-test.h"

static GMainContext *loop;
static GSource *app_timer;

static gboolean
app_tick(gpointer data)
{
	evt_app_tick();

	return G_SOURCE_CONTINUE;
}

/* nothing in the context but GLib's own wakeup fd, and no timeout */
static int
context_is_clean(void)
{
	GPollFD fds[16];
	gint prio, timeout, n;

	if (!g_main_context_acquire(loop))
		return 0;
	g_main_context_prepare(loop, &prio);
	n = g_main_context_query(loop, G_MAXINT, &timeout, fds, 16);
	g_main_context_check(loop, G_MAXINT, fds, n < 16 ? n : 16);
	g_main_context_release(loop);
	if (n != 1 || timeout != -1)
		fprintf(stderr, "context: %d fds, timeout %d\n", n, timeout);

	return n == 1 && timeout == -1;
}

static gboolean
timeout_done(gpointer data)
{
	return G_SOURCE_REMOVE;
}

static void *
evt_foreign_loop(void)
{
	return loop;
}

/* run the app's context for about \p ms; returns the iterations it made */
static unsigned int
evt_run_for(unsigned int ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
	GSource *t = g_timeout_source_new(ms);
	unsigned int n = 0;

	g_source_set_callback(t, timeout_done, NULL, NULL);
	g_source_attach(t, loop);
	while (g_get_monotonic_time() < end) {
		g_main_context_iteration(loop, TRUE);
		n++;
	}
	g_source_destroy(t);
	g_source_unref(t);

	return n;
}

static void
evt_run_nowait(void)
{
	g_main_context_iteration(loop, FALSE);
}

static void
evt_app_timer(int on)
{
	if (on) {
		app_timer = g_timeout_source_new(10);
		g_source_set_callback(app_timer, app_tick, NULL, NULL);
		g_source_attach(app_timer, loop);
	} else {
		g_source_destroy(app_timer);
		g_source_unref(app_timer);
	}
}

static void
evt_after_guest(void)
{
	LT_CHECK(context_is_clean());
}

int
main(void)
{
	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN, NULL);
	loop = g_main_context_new();

	evt_run_tests();

	LT_CHECK(context_is_clean());
	/* nothing of Loom's is pending in the app's context */
	LT_CHECK(!g_main_context_pending(loop));
	g_main_context_unref(loop);

	return lt_result("api-test-evlib-glib");
}
