/*
 * context.c: creating and destroying the context and its per-thread service state
 * (fd table, rx buffer, defer queue, wakeup pipe, event loop).
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "event-libs/private-event-libs.h"

#define LOOM_DEFAULT_SERV_BUF	4096
#define LOOM_DEFAULT_DEFER_LEN	64
#define LOOM_DEFAULT_TIMEOUT_S	20
#define LOOM_DEFAULT_ACCEPT_RETRY_MS 100
/* fds kept free for the wakeup pipe, listeners and the app when max_conns is derived */
#define LOOM_FD_RESERVE		16

static int
loom_pt_create(struct loom_context *ctx, struct loom_pt *pt, unsigned int tsi,
	       const struct loom_context_info *info)
{
#if !defined(LOOM_PLAT_BAREMETAL)
	struct loom_conn *pc;
#endif

	pt->ctx = ctx;
	pt->tsi = (uint8_t)tsi;
	pt->wake.fd[0] = pt->wake.fd[1] = -1;
	pt->fds_max = loom__plat_fd_limit();
	pt->fds = loom_zalloc(pt->fds_max * sizeof(*pt->fds), "fd table");
	if (!pt->fds)
		return LOOM_ENOMEM;
	pt->serv_buf_size = info->pt_serv_buf_size ? info->pt_serv_buf_size :
						     LOOM_DEFAULT_SERV_BUF;
	pt->serv_buf = loom_malloc(pt->serv_buf_size, "pt serv_buf");
	if (!pt->serv_buf)
		return LOOM_ENOMEM;
	if (loom__pt_defer_init(pt, info->defer_queue_len ? info->defer_queue_len :
						LOOM_DEFAULT_DEFER_LEN))
		return LOOM_ENOMEM;
	if (ctx->evlib->init_pt(pt, info->foreign_loops ? info->foreign_loops[tsi] : NULL))
		return LOOM_ESOCKET;
	if (loom__plat_wake_create(&pt->wake)) {
		loom_log_err("pt %u: cannot create the wakeup pipe (errno %d)", tsi, errno);
		return LOOM_ESOCKET;
	}
#if !defined(LOOM_PLAT_BAREMETAL)
	/* on bare metal the loop looks at the wake flag itself (bm-loop.c) */
	pc = loom__conn_create(pt, NULL, &loom_role_ops_pipe, NULL, NULL);
	if (!pc)
		return LOOM_ENOMEM;
	pc->flags |= LCF_NO_CLOSE_FD;	/* the wake handles are closed with the pt */
	if (loom__conn_insert_fd(pc, pt->wake.fd[0], LOOM_EV_READ)) {
		loom__conn_free(pc);
		return LOOM_ESOCKET;
	}
	pt->pipe_conn = pc;
#endif

	return 0;
}

struct loom_context *
loom_create_context(const struct loom_context_info *info)
{
	struct loom_context *ctx;
	unsigned int n;

	if (!info)
		return NULL;
	ctx = loom_zalloc(sizeof(*ctx), "context");
	if (!ctx)
		return NULL;
	ctx->user = info->user;
	ctx->options = info->options;
	ctx->count_threads = info->count_threads ? info->count_threads : 1;
	if (ctx->count_threads > LOOM_MAX_SERVICE_THREADS) {
		loom_log_err("count_threads %u > %d", info->count_threads,
			     LOOM_MAX_SERVICE_THREADS);
		loom_free(ctx);
		return NULL;
	}
	ctx->timeout_secs = info->timeout_secs ? info->timeout_secs :
						 LOOM_DEFAULT_TIMEOUT_S;
	ctx->accept_retry_ms = info->accept_retry_ms ? info->accept_retry_ms :
						       LOOM_DEFAULT_ACCEPT_RETRY_MS;
	ctx->max_conns = info->max_conns;
	if (!ctx->max_conns) {
		n = loom__plat_fd_limit();
		ctx->max_conns = n > 2 * LOOM_FD_RESERVE ? n - LOOM_FD_RESERVE : n / 2;
	}
	ctx->evlib = loom__evlib_select(info);
	if (!ctx->evlib) {
		loom_free(ctx);
		return NULL;
	}

#if defined(LOOM_PLAT_SOCKETS)
	if (!(ctx->options & LOOM_CTX_OPT_NO_HOSTS_FILE) &&
	    loom__hosts_load(ctx, info->hosts_file ? info->hosts_file : "/etc/hosts") ==
		    LOOM_ENOMEM)
		goto bail;
#if defined(LOOM_WITH_DNS)
	if (loom__dns_init(ctx, info))
		goto bail;
#endif
#endif
	if (ctx->evlib->init_context && ctx->evlib->init_context(ctx, info))
		goto bail;
	for (n = 0; n < ctx->count_threads; n++)
		if (loom_pt_create(ctx, &ctx->pt[n], n, info))
			goto bail;
#if defined(LOOM_WITH_SS)
	if (loom__ss_context_init(ctx, info))
		goto bail;
#endif
#if defined(LOOM_WITH_SS_VIA_PROXY)
	if (info->ss_proxy && loom__sspc_context_init(ctx, info->ss_proxy))
		goto bail;
#endif

	loom_log_info("context created: %u service thread(s), %s loop%s, max %u conns/pt",
		      ctx->count_threads, loom_evlib_name(ctx),
		      ctx->pt[0].evlib_guest ? " (guest)" : "", ctx->max_conns);

	return ctx;

bail:
	loom_log_err("context creation failed");
	loom_context_destroy(ctx);

	return NULL;
}

/* close every conn of the pt except its wakeup pipe; each gets its close once */
static void
loom_pt_close_conns(struct loom_pt *pt)
{
	unsigned int fd;

	if (!pt->fds)
		return;
	for (fd = 0; fd < pt->fds_max; fd++) {
		struct loom_conn *c = pt->fds[fd];

		if (c && c != pt->pipe_conn && !(c->flags & LCF_LISTENER))
			loom__close_now(c, LOOM_CLOSE_GOINGAWAY, "context destroyed");
	}
#if defined(LOOM_PLAT_SOCKETS)	/* else no client connects */
	/* client conns whose every address failed at once have no fd yet */
	while (pt->fdless.head)
		loom__close_now(loom_container_of(pt->fdless.head, struct loom_conn,
						  list_pending),
				LOOM_CLOSE_GOINGAWAY, "context destroyed");
#endif
}

static void
loom_pt_destroy(struct loom_context *ctx, struct loom_pt *pt)
{
	if (!pt->ctx)
		return;
	if (pt->pipe_conn)
		loom__close_now(pt->pipe_conn, LOOM_CLOSE_GOINGAWAY, "context destroyed");
	pt->pipe_conn = NULL;
	/* anything queued during the destroy runs now, so its arg can be freed */
	if (pt->defer_ring)
		loom__pt_defer_run(pt);
	if (ctx->evlib && pt->evlib_pt)
		ctx->evlib->destroy_pt(pt);
	loom__plat_wake_destroy(&pt->wake);
	loom__pt_defer_destroy(pt);
	loom_sul_cancel(&pt->sul_accept_retry);
	/* suls the app left scheduled are dropped: their owners are going away */
	while (pt->sul_owner.head)
		loom_dll2_remove(pt->sul_owner.head);
	loom__roles_destroy_pt(pt);
	loom_free(pt->serv_buf);
	loom_free(pt->fds);
	pt->serv_buf = NULL;
	pt->fds = NULL;
}

void
loom_context_destroy(struct loom_context *ctx)
{
	unsigned int n;

	if (!ctx)
		return;
	/* queued functions run first, while everything they may touch still exists */
	for (n = 0; n < ctx->count_threads; n++)
		if (ctx->pt[n].defer_ring)
			loom__pt_defer_run(&ctx->pt[n]);
	/* streams go first: their user objects hear DESTROYING while all is whole */
#if defined(LOOM_WITH_SS_VIA_PROXY)
	loom__sspc_context_destroy(ctx);
#endif
#if defined(LOOM_WITH_SS)
	loom__ss_context_destroy(ctx);
#endif
	ctx->destroying = 1;
	for (n = 0; n < ctx->count_threads; n++) {
		ctx->pt[n].destroying = 1;
		loom_pt_close_conns(&ctx->pt[n]);
	}
	/* lookups the app still has get their callback, cancelled, while all is whole */
#if defined(LOOM_WITH_DNS)
	loom__dns_destroy(ctx);
#endif
	loom__vhosts_destroy(ctx);
#if defined(LOOM_WITH_SS)
	loom__ss_context_free(ctx);
#endif
#if defined(LOOM_WITH_TLS)
	loom__tls_context_destroy(ctx);
#endif
	for (n = 0; n < ctx->count_threads; n++)
		loom_pt_destroy(ctx, &ctx->pt[n]);
	if (ctx->evlib && ctx->evlib->destroy_context)
		ctx->evlib->destroy_context(ctx);
#if defined(LOOM_PLAT_SOCKETS)
	loom__hosts_free(ctx);
#endif
	loom_free(ctx);
}

void *
loom_context_user(const struct loom_context *ctx)
{
	return ctx->user;
}
