/*
 * evlibs.c: choosing a context's event lib, the dispatch helpers every guest shim
 * shares, and the public custom-loop API (include/loom/evlib.h). With
 * LOOM_WITH_EVLIB_PLUGINS the shims are modules, loaded here by name.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE	/* dladdr(): where libloom itself was loaded from */
#endif
#include "core/private-core.h"
#include "event-libs/private-event-libs.h"

#include <stdio.h>
#include <stdlib.h>
#if defined(LOOM_PLAT_UNIX)
#include <unistd.h>
#endif
#if defined(LOOM_WITH_EVLIB_PLUGINS)
#include <dlfcn.h>
#if defined(LOOM_WITH_THREADS)
#include <pthread.h>
#endif
#endif

static const struct loom_event_lib_ops *const loom_evlibs[] = {
	&loom_evlib_default,
#if defined(LOOM_WITH_EVLIB_PLUGINS)
	/* the shims are modules: evlib_plugin() loads them */
#else
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
#endif
};

#if defined(LOOM_WITH_EVLIB_PLUGINS)
/*
 * The modules, loaded once per process and never unloaded (contexts may still
 * point at their ops): libloom-evlib-<name>.so from $LOOM_EVLIB_PLUGIN_DIR (not
 * for setuid programs), else from beside libloom.so, else by the dynamic
 * loader's search; its ops are the symbol loom_evlib_<name>.
 */
#define EVLIB_PLUGINS_MAX 8

static struct {
	char name[24];
	const struct loom_event_lib_ops *ops;	/* NULL: tried, not there */
} evlib_plugins[EVLIB_PLUGINS_MAX];
static unsigned int evlib_plugins_count;
#if defined(LOOM_WITH_THREADS)
static pthread_mutex_t evlib_plugins_mutex = PTHREAD_MUTEX_INITIALIZER;
#endif

static void *
evlib_plugin_open(const char *dir, size_t dlen, const char *name)
{
	char path[4096];
	int n;

	if (dir)
		n = snprintf(path, sizeof(path), "%.*s/libloom-evlib-%s.so", (int)dlen,
			     dir, name);
	else
		n = snprintf(path, sizeof(path), "libloom-evlib-%s.so", name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return NULL;

	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

static const struct loom_event_lib_ops *
evlib_plugin_load(const char *name)
{
	const struct loom_event_lib_ops *ops;
	const char *dir = NULL, *slash;
	char sym[48];
	Dl_info di;
	void *h = NULL;

	if (getuid() == geteuid())
		dir = getenv("LOOM_EVLIB_PLUGIN_DIR");
	if (dir && *dir)
		h = evlib_plugin_open(dir, strlen(dir), name);
	if (!h && dladdr((const void *)&loom_evlib_default, &di) && di.dli_fname &&
	    (slash = strrchr(di.dli_fname, '/')))
		h = evlib_plugin_open(di.dli_fname, (size_t)(slash - di.dli_fname), name);
	if (!h)
		h = evlib_plugin_open(NULL, 0, name);
	if (!h) {
		loom_log_err("event lib \"%s\": no module: %s", name, dlerror());
		return NULL;
	}
	snprintf(sym, sizeof(sym), "loom_evlib_%s", name);
	ops = (const struct loom_event_lib_ops *)dlsym(h, sym);
	if (!ops || !ops->name || strcmp(ops->name, name)) {
		loom_log_err("event lib \"%s\": the module has no %s", name, sym);
		dlclose(h);
		return NULL;
	}

	return ops;	/* the handle stays open for the life of the process */
}

static const struct loom_event_lib_ops *
evlib_plugin(const char *name)
{
	const struct loom_event_lib_ops *ops = NULL;
	size_t len = strlen(name), i;
	unsigned int n;

	/* a plain name, not a path */
	if (!len || len >= sizeof(evlib_plugins[0].name))
		return NULL;
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return NULL;
#if defined(LOOM_WITH_THREADS)
	pthread_mutex_lock(&evlib_plugins_mutex);
#endif
	for (n = 0; n < evlib_plugins_count; n++)
		if (!strcmp(evlib_plugins[n].name, name))
			break;
	if (n < evlib_plugins_count)
		ops = evlib_plugins[n].ops;
	else {
		ops = evlib_plugin_load(name);
		if (evlib_plugins_count < EVLIB_PLUGINS_MAX) {
			memcpy(evlib_plugins[n].name, name, len + 1);
			evlib_plugins[n].ops = ops;
			evlib_plugins_count++;
		}
	}
#if defined(LOOM_WITH_THREADS)
	pthread_mutex_unlock(&evlib_plugins_mutex);
#endif

	return ops;
}
#endif

static const struct loom_event_lib_ops *
evlib_by_name(const char *name)
{
	size_t n;

	if (!strcmp(name, "default"))
		return &loom_evlib_default;
	for (n = 0; n < sizeof(loom_evlibs) / sizeof(loom_evlibs[0]); n++)
		if (!strcmp(loom_evlibs[n]->name, name))
			return loom_evlibs[n];
#if defined(LOOM_WITH_EVLIB_PLUGINS)
	return evlib_plugin(name);
#else
	return NULL;
#endif
}

const struct loom_event_lib_ops *
loom__evlib_select(const struct loom_context_info *info)
{
	const struct loom_event_lib_ops *ops;
	const char *name = info->event_lib;

	if (info->custom_evlib) {
#if defined(LOOM_WITH_CUSTOM_EVLIB)
		return &loom_evlib_custom_ops;
#else
		loom_log_err("custom evlib: not in this build (LOOM_WITH_CUSTOM_EVLIB)");
		return NULL;
#endif
	}
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
#if defined(LOOM_WITH_CUSTOM_EVLIB)
	if (ctx->evlib == &loom_evlib_custom_ops && ctx->evlib_ctx)
		return ((const struct loom_evlib_custom *)ctx->evlib_ctx)->name;
#endif

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

#if defined(LOOM_WITH_CUSTOM_EVLIB)
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
#endif
