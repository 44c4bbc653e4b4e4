/*
 * vhost.c: vhosts: their protocols, their listen sockets (one per service thread)
 * and their teardown; pausing listeners when the process runs out of fds.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "net/private-net.h"
#if defined(LOOM_WITH_H1)
#include "roles/http/private-http.h"
#endif

static void
loom_vhost_protocols_callback(struct loom_vhost *vh, enum loom_callback_reason r)
{
	unsigned int n;

	for (n = 0; n < vh->count_protocols; n++)
		if (vh->protocols[n].callback)
			vh->protocols[n].callback(NULL, r, NULL, vh, 0);
}

static void
loom_vhost_free(struct loom_vhost *vh)
{
	struct loom_context *ctx = vh->ctx;
	unsigned int t;

	for (t = 0; t < LOOM_MAX_SERVICE_THREADS; t++)
		if (vh->listen_conn[t]) {
			loom__close_now(vh->listen_conn[t], LOOM_CLOSE_GOINGAWAY,
					"vhost destroyed");
			vh->listen_conn[t] = NULL;
		}
	loom__roles_destroy_vhost(vh);
	if (vh->protocols_inited)
		loom_vhost_protocols_callback(vh, LOOM_CB_PROTOCOL_DESTROY);
#if defined(LOOM_WITH_TLS)
	loom__tls_vhost_destroy(vh);
#endif
	if (vh->unix_path) {
#if defined(LOOM_PLAT_SOCKETS) && defined(LOOM_WITH_SERVER)	/* set by a listener */
		loom__unlink_unix_path(vh->unix_path);
#endif
		loom_free(vh->unix_path);
	}
	loom_free(vh->name);
	loom_free(vh);
	(void)ctx;
}

void
loom__vhosts_destroy(struct loom_context *ctx)
{
	while (ctx->vhosts) {
		struct loom_vhost *vh = ctx->vhosts;

		ctx->vhosts = vh->next;
		loom_vhost_free(vh);
	}
}

struct loom_vhost *
loom_create_vhost(struct loom_context *ctx, const struct loom_vhost_info *info)
{
	struct loom_vhost *vh, **pp;
	unsigned int n;

	if (!ctx || !info || !info->protocols || !info->protocols[0].name) {
		loom_log_err("create_vhost: a protocols array with at least one entry "
			     "is needed");
		return NULL;
	}
	vh = loom_zalloc(sizeof(*vh), "vhost");
	if (!vh)
		return NULL;
	vh->ctx = ctx;
	vh->listen_port = -1;
	vh->options = info->options;
	vh->user = info->user;
	vh->keepalive_secs = info->keepalive_secs;
	vh->protocols = info->protocols;
	while (vh->protocols[vh->count_protocols].name)
		vh->count_protocols++;
	vh->name = loom__strdup(info->name ? info->name : "default", "vhost name");
	if (!vh->name)
		goto bail;
	/* TLS first: a listener must not accept before its certificate is loaded */
	if (info->tls) {
#if defined(LOOM_WITH_TLS)
		if (loom__tls_vhost_init(vh, info))
			goto bail;
#else
		_loom_vhlog(LOOM_LL_ERR, vh, "TLS asked for, but this build has no TLS "
			    "(LOOM_WITH_TLS=none)");
		goto bail;
#endif
	}

	vh->accept_protocol = info->listen_accept_protocol ?
		loom_vhost_name_to_protocol(vh, info->listen_accept_protocol) :
		&vh->protocols[0];
	if (!vh->accept_protocol) {
		_loom_vhlog(LOOM_LL_ERR, vh, "no protocol named '%s'",
			    info->listen_accept_protocol);
		goto bail;
	}
	if (loom__roles_init_vhost(vh, info))
		goto bail;
	if (!(info->options & LOOM_VHOST_OPT_NO_LISTEN)) {
#if !defined(LOOM_PLAT_SOCKETS)
		_loom_vhlog(LOOM_LL_ERR, vh, "no sockets on this platform "
			    "(LOOM_PLAT=baremetal): use LOOM_VHOST_OPT_NO_LISTEN");
		goto bail;
#elif !defined(LOOM_WITH_SERVER)
		_loom_vhlog(LOOM_LL_ERR, vh, "a client-only build (LOOM_WITH_SERVER=OFF) "
			    "does not listen: use LOOM_VHOST_OPT_NO_LISTEN");
		goto bail;
#else
		/* raw when asked; HTTP/1.1 otherwise (it upgrades to ws and h2c) */
		if (info->options & (LOOM_VHOST_OPT_RAW | LOOM_VHOST_OPT_UDP))
			vh->accept_role = &loom_role_ops_raw_skt;
#if defined(LOOM_WITH_H1)
		else
			vh->accept_role = &loom_role_ops_h1;
#else
		else {
			_loom_vhlog(LOOM_LL_ERR, vh, "HTTP/1.1 is not in this build "
				    "(LOOM_WITH_H1=OFF): listen with LOOM_VHOST_OPT_RAW");
			goto bail;
		}
#endif
#endif
	}

	/* link at the tail so lookups and teardown follow creation order */
	for (pp = &ctx->vhosts; *pp; pp = &(*pp)->next)
		;
	*pp = vh;

	/* protocols are told first: a UDP listener's adopt may come at once */
	for (n = 0; n < vh->count_protocols; n++)
		if (vh->protocols[n].callback &&
		    vh->protocols[n].callback(NULL, LOOM_CB_PROTOCOL_INIT, NULL, vh, 0)) {
			_loom_vhlog(LOOM_LL_ERR, vh, "protocol %s refused init",
				    vh->protocols[n].name);
			/* those before it were inited: give them their destroy */
			while (n--)
				if (vh->protocols[n].callback)
					vh->protocols[n].callback(NULL,
						LOOM_CB_PROTOCOL_DESTROY, NULL, vh, 0);
			goto unlink;
		}
	vh->protocols_inited = 1;

#if defined(LOOM_PLAT_SOCKETS) && defined(LOOM_WITH_SERVER)
	if (vh->accept_role && loom__listen_create(vh, info))
		goto unlink;
#endif

	return vh;

unlink:
	for (pp = &ctx->vhosts; *pp != vh; pp = &(*pp)->next)
		;
	*pp = vh->next;
bail:
	loom_vhost_free(vh);

	return NULL;
}

int
loom_vhost_port(const struct loom_vhost *vh)
{
	return vh ? vh->listen_port : -1;
}

void *
loom_vhost_user(const struct loom_vhost *vh)
{
	return vh->user;
}

const char *
loom_vhost_name(const struct loom_vhost *vh)
{
	return vh->name;
}

struct loom_context *
loom_vhost_context(const struct loom_vhost *vh)
{
	return vh->ctx;
}

struct loom_vhost *
loom_get_vhost_by_name(struct loom_context *ctx, const char *name)
{
	struct loom_vhost *vh;

	for (vh = ctx->vhosts; vh; vh = vh->next)
		if (!strcmp(vh->name, name))
			return vh;

	return NULL;
}

const struct loom_protocol *
loom_vhost_name_to_protocol(const struct loom_vhost *vh, const char *name)
{
	unsigned int n;

	for (n = 0; n < vh->count_protocols; n++)
		if (!strcmp(vh->protocols[n].name, name))
			return &vh->protocols[n];

	return NULL;
}

#if defined(LOOM_WITH_SERVER)
static void
loom_accept_retry_cb(struct loom_sul *sul)
{
	struct loom_pt *pt = loom_container_of(sul, struct loom_pt, sul_accept_retry);

	loom__listeners_pause(pt, 0);
}

/*
 * Out of fds, a level-triggered listener would report readiness forever and spin
 * the loop. Stop listening on this pt until a conn closes or a short time passes.
 */
void
loom__listeners_pause(struct loom_pt *pt, int pause)
{
	struct loom_vhost *vh;

	if (!!pause == !!pt->listeners_paused)
		return;
	pt->listeners_paused = (uint8_t)!!pause;
#if defined(LOOM_PLAT_SOCKETS)
	for (vh = pt->ctx->vhosts; vh; vh = vh->next) {
		struct loom_conn *lc = vh->listen_conn[pt->tsi];

		if (lc && lc->role == &loom_role_ops_listen)
			loom__io(lc, (pause ? LOOM_EV_STOP : LOOM_EV_START) | LOOM_EV_READ);
	}
#else
	(void)vh;
#endif
	if (pause)
		loom_sul_schedule(pt->ctx, pt->tsi, &pt->sul_accept_retry,
				  loom_accept_retry_cb,
				  (loom_usec_t)pt->ctx->accept_retry_ms * LOOM_US_PER_MS);
	else
		loom_sul_cancel(&pt->sul_accept_retry);
}
#endif
