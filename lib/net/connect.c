/*
 * connect.c: client connections. The address is numeric, a Unix path or a name from
 * the hosts file (never a blocking resolver call); each address is tried in turn
 * with a non-blocking connect that completes in the event loop.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "event-libs/private-event-libs.h"
#include "net/private-net.h"

#include <stdio.h>
#include <sys/socket.h>

#define LOOM_CONNECT_MAX_ADDRS 8

struct loom_connect_state {
	struct loom_sockaddr addrs[LOOM_CONNECT_MAX_ADDRS];
	struct loom_sockaddr bind_to;
	uint8_t count;
	uint8_t next;
	uint8_t has_bind;
	int type;
	int last_errno;
};

static int
loom_connect_resolve(struct loom_context *ctx, const struct loom_client_connect_info *i,
		     struct loom_connect_state *cs)
{
	uint8_t fams[LOOM_CONNECT_MAX_ADDRS], addrs[LOOM_CONNECT_MAX_ADDRS][16];
	int n, k;

	if (!strncmp(i->address, "unix:", 5)) {
		if (i->flags & LOOM_CONNECT_UDP)
			return LOOM_EINVAL;
		if (loom__plat_sockaddr_unix(&cs->addrs[0], i->address + 5))
			return LOOM_EINVAL;
		cs->count = 1;
		return 0;
	}
	if (i->port <= 0 || i->port > 65535)
		return LOOM_EINVAL;
	if (!loom__plat_sockaddr_parse(&cs->addrs[0], i->address, i->port)) {
		cs->count = 1;
		return 0;
	}
	n = loom__hosts_lookup(ctx, i->address, LOOM_CONNECT_MAX_ADDRS, fams, addrs);
	if (!n)
		return LOOM_ENOTFOUND;
	for (k = 0; k < n; k++)
		loom__plat_sockaddr_from_ip(&cs->addrs[k], fams[k], addrs[k], i->port);
	cs->count = (uint8_t)n;

	return 0;
}

/* start a connect on the next address; 0 once one is under way, else < 0 */
static int
loom_connect_try(struct loom_conn *conn)
{
	struct loom_connect_state *cs = conn->role_data;

	while (cs->next < cs->count) {
		const struct loom_sockaddr *sa = &cs->addrs[cs->next++];
		int fd = loom__plat_socket(loom__plat_sockaddr_family(sa), cs->type);

		if (fd < 0) {
			cs->last_errno = errno;
			continue;
		}
		if (cs->has_bind && bind(fd, (const struct sockaddr *)cs->bind_to.u.raw,
					 (socklen_t)cs->bind_to.len)) {
			cs->last_errno = errno;
			loom__plat_close(fd);
			continue;
		}
		if (connect(fd, (const struct sockaddr *)sa->u.raw, (socklen_t)sa->len) &&
		    errno != EINPROGRESS && errno != EAGAIN) {
			cs->last_errno = errno;
			loom__plat_close(fd);
			continue;
		}
		/* done or under way: the loop reports writability either way */
		if (loom__conn_insert_fd(conn, fd, LOOM_EV_WRITE)) {
			cs->last_errno = EMFILE;
			loom__plat_close(fd);
			continue;
		}
		return 0;
	}

	return -1;
}

static void
loom_connect_fail(struct loom_conn *conn, const char *what)
{
	struct loom_connect_state *cs = conn->role_data;
	char why[128];

	if (cs && cs->last_errno)
		snprintf(why, sizeof(why), "%s: %s", what, strerror(cs->last_errno));
	else
		snprintf(why, sizeof(why), "%s", what);
	loom__close_now(conn, LOOM_CLOSE_ABNORMAL, why);
}

int
loom__connect_is_pending(const struct loom_conn *conn)
{
	return !!(conn->flags & LCF_CONNECTING);
}

void
loom__connect_timed_out(struct loom_conn *conn)
{
	struct loom_connect_state *cs = conn->role_data;

	/* an immediate failure of every address is reported through here too */
	loom_connect_fail(conn, cs && cs->next >= cs->count && cs->last_errno &&
			  conn->fd < 0 ? "connect failed" : "connect timed out");
}

int
loom__connect_continue(struct loom_conn *conn)
{
	struct loom_pt *pt = conn->pt;
	struct loom_connect_state *cs = conn->role_data;
	int err = loom__plat_sock_error(conn->fd), r;

	if (err) {
		cs->last_errno = err;
		pt->ctx->evlib->destroy_conn(conn);
		pt->fds[conn->fd] = NULL;
		loom__plat_close(conn->fd);
		conn->fd = -1;
		if (!loom_connect_try(conn))
			return LOOM_HP_OK;
		loom_connect_fail(conn, "connect failed");
		return LOOM_HP_CLOSED;
	}

	loom_free(cs);
	conn->role_data = NULL;
	conn->flags = (conn->flags & ~LCF_CONNECTING) | LCF_KNOWN_WRITABLE;
	loom_set_timeout_us(conn, LOOM_TO_NONE, 0);
	loom__io(conn, LOOM_EV_STOP | LOOM_EV_WRITE);
	if (!(conn->flags & LCF_RX_PAUSED))
		loom__io(conn, LOOM_EV_START | LOOM_EV_READ);
	loom_clog_info(conn, "connected");

	/* a transport with its own handshake (TLS) finishes it first */
	r = loom__transport_connected(conn);
	if (r < 0) {
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "transport setup failed");
		return LOOM_HP_CLOSED;
	}
	if (r > 0)
		return LOOM_HP_OK;

	return loom__client_established(conn);
}

/* the client conn is ready for its role: the user hears it connected */
int
loom__client_established(struct loom_conn *conn)
{
	unsigned int cb;

	conn->flags |= LCF_ESTABLISHED;
	cb = conn->role->adoption_cb[1];
	if (cb && loom__user_callback(conn, (enum loom_callback_reason)cb, NULL, 0))
		return loom__close(conn, LOOM_CLOSE_NORMAL, "connected callback refused");
	if ((conn->flags & LCF_WANT_WRITABLE) && !(conn->flags & LCF_CLOSING))
		/* asked for before it connected */
		loom_dll2_add_tail(&conn->list_pending, &conn->pt->pending_writable);

	return LOOM_HP_OK;
}

void
loom__connect_destroy(struct loom_conn *conn)
{
	if (conn->flags & LCF_CONNECTING) {
		loom_free(conn->role_data);
		conn->role_data = NULL;
		conn->flags &= ~LCF_CONNECTING;
	}
}

struct loom_conn *
loom_client_connect(const struct loom_client_connect_info *i)
{
	struct loom_context *ctx = i ? i->context : NULL;
	struct loom_connect_state *cs;
	const struct loom_protocol *p;
	struct loom_vhost *vh;
	struct loom_conn *conn;
	struct loom_pt *pt;
	int r;

	if (!ctx || !i->address || i->tsi < 0 || (unsigned int)i->tsi >= ctx->count_threads)
		return NULL;
	if (!(i->flags & LOOM_CONNECT_RAW)) {
		loom_log_err("client_connect: only LOOM_CONNECT_RAW exists in this build");
		return NULL;
	}
	vh = i->vhost ? i->vhost : ctx->vhosts;
	if (!vh) {
		loom_log_err("client_connect: the context has no vhost");
		return NULL;
	}
	p = i->protocol ? loom_vhost_name_to_protocol(vh, i->protocol) : &vh->protocols[0];
	if (!p) {
		_loom_vhlog(LOOM_LL_ERR, vh, "client_connect: no protocol '%s'", i->protocol);
		return NULL;
	}
	pt = &ctx->pt[i->tsi];
	if (pt->count_conns >= ctx->max_conns) {
		_loom_vhlog(LOOM_LL_WARN, vh, "client_connect: at max_conns");
		return NULL;
	}
	cs = loom_zalloc(sizeof(*cs), "connect state");
	if (!cs)
		return NULL;
	cs->type = (i->flags & LOOM_CONNECT_UDP) ? SOCK_DGRAM : SOCK_STREAM;
	r = loom_connect_resolve(ctx, i, cs);
	if (!r && i->iface) {
		if (loom__plat_sockaddr_parse(&cs->bind_to, i->iface, 0))
			r = LOOM_EINVAL;
		cs->has_bind = 1;
	}
	if (r) {
		_loom_vhlog(LOOM_LL_ERR, vh, "client_connect: cannot use address '%s' "
			    "port %d: %s", i->address, i->port, loom_strerror(r));
		loom_free(cs);
		return NULL;
	}
	conn = loom__conn_create(pt, vh, &loom_role_ops_raw_skt, p, i->userdata);
	if (!conn) {
		loom_free(cs);
		return NULL;
	}
	conn->flags |= LCF_CLIENT | LCF_CONNECTING | LCF_IS_SOCKET |
		       ((i->flags & LOOM_CONNECT_UDP) ? LCF_UDP : 0);
	conn->role_data = cs;
	conn->opaque_user_data = i->opaque_user_data;
	if (i->pconn)
		*i->pconn = conn;
	if (loom_connect_try(conn)) {
		/* every address failed at once: report it from the loop, like the rest */
		loom_dll2_add_tail(&conn->list_pending, &pt->fdless);
		loom_set_timeout_us(conn, LOOM_TO_CONNECT, 0);
		return conn;
	}
	loom_set_timeout_us(conn, LOOM_TO_CONNECT,
			    i->timeout_ms ? (loom_usec_t)i->timeout_ms * LOOM_US_PER_MS :
			    (loom_usec_t)ctx->timeout_secs * LOOM_US_PER_SEC);

	return conn;
}
