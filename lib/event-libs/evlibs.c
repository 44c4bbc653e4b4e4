/*
 * evlibs.c: choosing a context's event lib, the dispatch helpers every guest shim
 * shares, and the public custom-loop API (include/loom/evlib.h).
 */
#include "core/private-core.h"
#include "event-libs/private-event-libs.h"

#include <stdlib.h>
#if defined(LOOM_PLAT_UNIX)
#include <unistd.h>
#endif

static const struct loom_event_lib_ops *const loom_evlibs[] = {
	&loom_evlib_default,
#if defined(LOOM_WITH_LIBUV)
	&loom_evlib_libuv,
#endif
#if defined(LOOM_WITH_LIBEVENT)
	&loom_evlib_libevent,
#endif
#if defined(LOOM_WITH_LIBEV)
	&loom_evlib_libev,
#endif
#if defined(LOOM_WITH_GLIB)
	&loom_evlib_glib,
#endif
};

static const struct loom_event_lib_ops *
evlib_by_name(const char *name)
{
	size_t n;

	if (!strcmp(name, "default"))
		return &loom_evlib_default;
	for (n = 0; n < sizeof(loom_evlibs) / sizeof(loom_evlibs[0]); n++)
		if (!strcmp(loom_evlibs[n]->name, name))
			return loom_evlibs[n];

	return NULL;
}

const struct loom_event_lib_ops *
loom__evlib_select(const struct loom_context_info *info)
{
	const struct loom_event_lib_ops *ops;
	const char *name = info->event_lib;

	if (info->custom_evlib)
		return &loom_evlib_custom_ops;
#if defined(LOOM_PLAT_UNIX)
	/* the environment only when the app said nothing, and never for setuid */
	if (!name && getuid() == geteuid())
		name = getenv("LOOM_EVLIB");
#endif
	if (!name || !*name)
		return &loom_evlib_default;
	ops = evlib_by_name(name);
	if (!ops)
		loom_log_err("event lib \"%s\" is not in this build", name);

	return ops;
}

int
loom_evlib_available(const char *name)
{
	return name && evlib_by_name(name) != NULL;
}

const char *
loom_evlib_name(const struct loom_context *ctx)
{
	if (ctx->evlib == &loom_evlib_custom_ops && ctx->evlib_ctx)
		return ((const struct loom_evlib_custom *)ctx->evlib_ctx)->name;

	return ctx->evlib->name;
}

int
loom_evlib_is_guest(const struct loom_context *ctx, int tsi)
{
	if (!ctx || tsi < 0 || (unsigned int)tsi >= ctx->count_threads)
		return 0;

	return ctx->pt[tsi].evlib_guest;
}

/* ---- what every guest does from its loop's callbacks ---- */

void
loom__evlib_guest_fd(struct loom_pt *pt, int fd, unsigned int revents)
{
	struct loom_conn *conn;
	uint8_t was_in = pt->inside_service;

	if (fd < 0 || (unsigned int)fd >= pt->fds_max || pt->ctx->destroying)
		return;
	conn = pt->fds[fd];
	/* closed earlier in this iteration, or an fd of the pipe's own */
	if (!conn || (conn->flags & LCF_NOT_POLLABLE))
		return;
	pt->inside_service = 1;
	loom__service_conn(pt, conn, revents);
	pt->inside_service = was_in;
}

void
loom__evlib_guest_after(struct loom_pt *pt)
{
	uint8_t was_in = pt->inside_service;

	if (pt->ctx->destroying)
		return;
	pt->inside_service = 1;
	loom__pt_after_wait(pt);
	pt->inside_service = was_in;
}

/* ---- the custom loop adapter: Loom's ops onto the app's table ---- */

struct loom_custom_pt {
	const struct loom_evlib_custom *c;
	void *loop;
};

static unsigned int
custom_mask(unsigned int ev)
{
	return ((ev & LOOM_EV_READ) ? LOOM_EVLIB_READ : 0) |
	       ((ev & LOOM_EV_WRITE) ? LOOM_EVLIB_WRITE : 0);
}

static int
custom_init_context(struct loom_context *ctx, const struct loom_context_info *info)
{
	const struct loom_evlib_custom *c = info->custom_evlib;

	if (!c->fd_watch || !c->fd_unwatch) {
		loom_log_err("custom evlib: fd_watch and fd_unwatch are required");
		return LOOM_EINVAL;
	}
	ctx->evlib_ctx = c;

	return 0;
}

static int
custom_init_pt(struct loom_pt *pt, void *foreign_loop)
{
	struct loom_custom_pt *cp = loom_zalloc(sizeof(*cp), "custom evlib pt");

	if (!cp)
		return LOOM_ENOMEM;
	cp->c = pt->ctx->evlib_ctx;
	cp->loop = foreign_loop;
	pt->evlib_pt = cp;
	pt->evlib_guest = 1;

	return 0;
}

static void
custom_destroy_pt(struct loom_pt *pt)
{
	loom_free(pt->evlib_pt);
	pt->evlib_pt = NULL;
}

static int
custom_run_pt(struct loom_pt *pt, int timeout_ms)
{
	loom_log_err("custom evlib: the app runs its loop; loom_service() does not");

	return LOOM_EINVAL;
}

static int
custom_sock_accept(struct loom_conn *conn)
{
	struct loom_custom_pt *cp = conn->pt->evlib_pt;

	return cp->c->fd_watch(cp->loop, conn->fd, custom_mask(conn->ev)) < 0 ?
	       LOOM_ESOCKET : 0;
}

static void
custom_io(struct loom_conn *conn, unsigned int flags)
{
	struct loom_custom_pt *cp = conn->pt->evlib_pt;
	unsigned int want = conn->ev;

	if (flags & LOOM_EV_START)
		want |= flags & (LOOM_EV_READ | LOOM_EV_WRITE);
	else
		want &= ~(flags & (LOOM_EV_READ | LOOM_EV_WRITE));
	if (cp->c->fd_watch(cp->loop, conn->fd, custom_mask(want)) < 0)
		loom_clog_err(conn, "custom evlib: fd_watch failed");
}

static void
custom_destroy_conn(struct loom_conn *conn)
{
	struct loom_custom_pt *cp = conn->pt->evlib_pt;

	if (cp && conn->fd >= 0 && !(conn->flags & LCF_NOT_POLLABLE))
		cp->c->fd_unwatch(cp->loop, conn->fd);
}

static void
custom_sul_changed(struct loom_pt *pt)
{
	struct loom_custom_pt *cp = pt->evlib_pt;

	if (cp && cp->c->wake)
		cp->c->wake(cp->loop);
}

const struct loom_event_lib_ops loom_evlib_custom_ops = {
	.name = "custom",
	.init_context = custom_init_context,
	.init_pt = custom_init_pt,
	.run_pt = custom_run_pt,
	.sock_accept = custom_sock_accept,
	.io = custom_io,
	.destroy_conn = custom_destroy_conn,
	.destroy_pt = custom_destroy_pt,
	.sul_changed = custom_sul_changed,
};

void
loom_evlib_fd_ready(struct loom_context *ctx, int tsi, int fd, unsigned int revents)
{
	unsigned int rev = 0;

	if (!ctx || tsi < 0 || (unsigned int)tsi >= ctx->count_threads)
		return;
	if (revents & LOOM_EVLIB_READ)
		rev |= LOOM_EV_READ;
	if (revents & LOOM_EVLIB_WRITE)
		rev |= LOOM_EV_WRITE;
	if (revents & LOOM_EVLIB_HUPERR)
		rev |= LOOM_REV_HUPERR;
	loom__evlib_guest_fd(&ctx->pt[tsi], fd, rev);
}

int
loom_evlib_pending(struct loom_context *ctx, int tsi)
{
	struct loom_pt *pt;

	if (!ctx || tsi < 0 || (unsigned int)tsi >= ctx->count_threads)
		return LOOM_EINVAL;
	pt = &ctx->pt[tsi];
	loom__evlib_guest_after(pt);

	return loom__pt_guest_wait_ms(pt);
}
