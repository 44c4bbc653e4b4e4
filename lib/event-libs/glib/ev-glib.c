/*
 * ev-glib.c: the GLib shim. Per service thread one GSource of Loom's own carries
 * every fd Loom watches (g_source_add_unix_fd) and the soonest sul (the timeout
 * its prepare returns); it is attached to a GMainContext of Loom's own or, as a
 * guest, to the app's (info.foreign_loops[tsi], a GMainContext *). Prepare runs
 * due suls and says how long the context may sleep (0 while work is ready);
 * dispatch services the ready fds and then Loom's pending work. Destroying the
 * source removes it from the context at once: nothing of Loom's stays behind.
 */
#include "core/private-core.h"
#include "event-libs/private-event-libs.h"

#include <glib.h>

struct loom_gsource {
	GSource src;
	struct loom_pt *pt;
	GMainContext *gctx;
	gpointer *tags;			/* fd -> g_source_add_unix_fd() tag */
	unsigned int fds_max;
	int max_fd;			/* highest fd with a tag */
	int run_timeout_ms;		/* own loop: loom_service()'s timeout */
	loom_usec_t deadline;		/* when the timeout prepare gave ends; 0 none */
	uint8_t own_loop;
	uint8_t work_ready;
};

static GIOCondition
gl_mask(unsigned int ev)
{
	return (GIOCondition)(((ev & LOOM_EV_READ) ? G_IO_IN : 0) |
			      ((ev & LOOM_EV_WRITE) ? G_IO_OUT : 0));
}

static gboolean
gl_prepare(GSource *s, gint *timeout)
{
	struct loom_gsource *gs = (struct loom_gsource *)s;
	int ms;

	ms = gs->own_loop ? loom__pt_wait_ms(gs->pt, gs->run_timeout_ms) :
			    loom__pt_guest_wait_ms(gs->pt);
	*timeout = ms;
	gs->work_ready = ms == 0;
	gs->deadline = ms > 0 ? loom__plat_now_us() + (loom_usec_t)ms * 1000 : 0;

	return ms == 0;
}

static gboolean
gl_check(GSource *s)
{
	struct loom_gsource *gs = (struct loom_gsource *)s;
	int fd;

	if (gs->work_ready || (gs->deadline && loom__plat_now_us() >= gs->deadline))
		return TRUE;
	for (fd = 0; fd <= gs->max_fd; fd++)
		if (gs->tags[fd] && g_source_query_unix_fd(s, gs->tags[fd]))
			return TRUE;

	return FALSE;
}

static gboolean
gl_dispatch(GSource *s, GSourceFunc cb, gpointer user)
{
	struct loom_gsource *gs = (struct loom_gsource *)s;
	int fd;

	for (fd = 0; fd <= gs->max_fd; fd++) {
		GIOCondition c;
		unsigned int rev = 0;

		if (!gs->tags[fd])
			continue;
		c = g_source_query_unix_fd(s, gs->tags[fd]);
		if (!c)
			continue;
		if (c & G_IO_IN)
			rev |= LOOM_EV_READ;
		if (c & G_IO_OUT)
			rev |= LOOM_EV_WRITE;
		if (c & (G_IO_HUP | G_IO_ERR | G_IO_NVAL))
			rev |= LOOM_REV_HUPERR;
		loom__evlib_guest_fd(gs->pt, fd, rev);
	}
	loom__evlib_guest_after(gs->pt);
	gs->work_ready = 0;
	gs->deadline = 0;

	return G_SOURCE_CONTINUE;
}

static GSourceFuncs gl_funcs = {
	gl_prepare, gl_check, gl_dispatch, NULL, NULL, NULL
};

static int
gl_init_pt(struct loom_pt *pt, void *foreign_loop)
{
	struct loom_gsource *gs;
	GMainContext *gctx = foreign_loop;

	gs = (struct loom_gsource *)g_source_new(&gl_funcs, sizeof(*gs));
	gs->tags = loom_zalloc(pt->fds_max * sizeof(*gs->tags), "glib fd tags");
	if (!gs->tags) {
		g_source_unref(&gs->src);
		return LOOM_ENOMEM;
	}
	gs->pt = pt;
	gs->fds_max = pt->fds_max;
	gs->max_fd = -1;
	if (!gctx) {
		gs->own_loop = 1;
		gctx = g_main_context_new();
	} else
		g_main_context_ref(gctx);
	gs->gctx = gctx;
	g_source_set_name(&gs->src, "loom");
	g_source_attach(&gs->src, gctx);
	pt->evlib_pt = gs;
	pt->evlib_guest = !gs->own_loop;

	return 0;
}

static void
gl_destroy_pt(struct loom_pt *pt)
{
	struct loom_gsource *gs = pt->evlib_pt;
	GMainContext *gctx = gs->gctx;

	loom_free(gs->tags);
	gs->tags = NULL;
	gs->max_fd = -1;
	g_source_destroy(&gs->src);	/* out of the context now */
	g_source_unref(&gs->src);
	g_main_context_unref(gctx);
	pt->evlib_pt = NULL;
}

static int
gl_sock_accept(struct loom_conn *conn)
{
	struct loom_gsource *gs = conn->pt->evlib_pt;

	if ((unsigned int)conn->fd >= gs->fds_max)
		return LOOM_ELIMIT;
	gs->tags[conn->fd] = g_source_add_unix_fd(&gs->src, conn->fd, gl_mask(conn->ev));
	if (conn->fd > gs->max_fd)
		gs->max_fd = conn->fd;

	return 0;
}

static void
gl_io(struct loom_conn *conn, unsigned int flags)
{
	struct loom_gsource *gs = conn->pt->evlib_pt;
	unsigned int want = conn->ev;

	if (conn->fd < 0 || (unsigned int)conn->fd >= gs->fds_max || !gs->tags[conn->fd])
		return;
	if (flags & LOOM_EV_START)
		want |= flags & (LOOM_EV_READ | LOOM_EV_WRITE);
	else
		want &= ~(flags & (LOOM_EV_READ | LOOM_EV_WRITE));
	g_source_modify_unix_fd(&gs->src, gs->tags[conn->fd], gl_mask(want));
}

static void
gl_destroy_conn(struct loom_conn *conn)
{
	struct loom_gsource *gs = conn->pt->evlib_pt;

	if (!gs || !gs->tags || conn->fd < 0 || (unsigned int)conn->fd >= gs->fds_max ||
	    !gs->tags[conn->fd])
		return;
	g_source_remove_unix_fd(&gs->src, gs->tags[conn->fd]);
	gs->tags[conn->fd] = NULL;
	while (gs->max_fd >= 0 && !gs->tags[gs->max_fd])
		gs->max_fd--;
}

static int
gl_run_pt(struct loom_pt *pt, int timeout_ms)
{
	struct loom_gsource *gs = pt->evlib_pt;

	if (!gs->own_loop) {
		loom_log_err("glib: a guest does not run the app's main context");
		return LOOM_EINVAL;
	}
	/* prepare folds this into the suls and pending work (loom__pt_wait_ms) */
	gs->run_timeout_ms = timeout_ms;
	g_main_context_iteration(gs->gctx, timeout_ms != 0);

	return 0;
}

static void
gl_sul_changed(struct loom_pt *pt)
{
	struct loom_gsource *gs = pt->evlib_pt;

	/* prepare recomputes before every sleep; a sul scheduled from another
	 * source's callback is seen then. Scheduled from outside an iteration on a
	 * context already polling (another thread), the context must wake. */
	if (gs && !gs->own_loop && !g_main_context_is_owner(gs->gctx))
		g_main_context_wakeup(gs->gctx);
}

const struct loom_event_lib_ops loom_evlib_glib = {
	.name = "glib",
	.init_pt = gl_init_pt,
	.run_pt = gl_run_pt,
	.sock_accept = gl_sock_accept,
	.io = gl_io,
	.destroy_conn = gl_destroy_conn,
	.destroy_pt = gl_destroy_pt,
	.sul_changed = gl_sul_changed,
};
