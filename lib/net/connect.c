/*
 * connect.c: client connections. A name resolves asynchronously (hosts file, then
 * DNS); the addresses race Happy Eyeballs style (IPv6 and IPv4 interleaved, the next
 * one started 250 ms after the last or as soon as it fails), each attempt a socket
 * conn of its own; the first to connect gives its fd to the client conn, the rest
 * are closed. Through a proxy, its handshake runs before the transport and the role.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "event-libs/private-event-libs.h"
#include "net/private-net.h"
#include "net/dns/private-dns.h"
#if defined(LOOM_WITH_H1)
#include "roles/http/private-http.h"
#endif

#include <stdio.h>
#include "plat/private-sockets.h"

#define LOOM_CONNECT_MAX_ADDRS	16
#define LOOM_CONNECT_MAX_RACE	4	/* attempts in flight at once */
#define LOOM_CONNECT_STAGGER_US	(250 * LOOM_US_PER_MS)
#define LOOM_IFNAME_MAX		16

struct loom_connect_state;

/* one address being tried: a socket conn of the private "connect" role */
struct loom_connect_attempt {
	struct loom_connect_state *cs;
	struct loom_conn *conn;
	struct loom_sul sul;			/* its own timeout (addr_timeout_ms) */
	uint8_t slot;
};

struct loom_connect_state {
	struct loom_conn *conn;			/* the client conn */
	struct loom_sockaddr addrs[LOOM_CONNECT_MAX_ADDRS];
	struct loom_sockaddr bind_to;
	struct loom_connect_attempt *att[LOOM_CONNECT_MAX_RACE];
	struct loom_sul sul_stagger;		/* start the next address */
	struct loom_dns_lookup *lookup;		/* resolving the name */
	struct loom_proxy *proxy;		/* NULL: direct */
	struct loom_proxy_hs *hs;		/* the proxy handshake once connected */
	char *target;				/* the address asked for */
	int port;				/* its port */
	int type;				/* SOCK_STREAM / SOCK_DGRAM */
	int last_errno;
	unsigned int addr_timeout_ms;
	unsigned int dns_flags;
	uint8_t count;
	uint8_t next;
	uint8_t in_flight;
	uint8_t has_bind;
	uint8_t starting;			/* inside loom_client_connect() */
	char iface_name[LOOM_IFNAME_MAX];
	char fail[200];				/* a failure to report from the loop */
};

static int
connect_start_next(struct loom_connect_state *cs);

/* ---- failing and finishing ---- */

static void
connect_fail(struct loom_conn *conn, const char *why)
{
	struct loom_connect_state *cs = conn->cstate;

	if (cs && cs->starting) {
		/* never call the user back from inside loom_client_connect() */
		size_t n = strlen(why);

		if (n >= sizeof(cs->fail))
			n = sizeof(cs->fail) - 1;	/* cut, as the reason is only logged */
		memcpy(cs->fail, why, n);
		cs->fail[n] = '\0';
		loom_set_timeout_us(conn, LOOM_TO_CONNECT, 0);
		return;
	}
	loom__close_now(conn, LOOM_CLOSE_ABNORMAL, why);
}

static void
connect_fail_errno(struct loom_conn *conn, const char *what)
{
	struct loom_connect_state *cs = conn->cstate;
	char why[160];

	if (cs && cs->last_errno)
		snprintf(why, sizeof(why), "%s: %s", what, strerror(cs->last_errno));
	else
		snprintf(why, sizeof(why), "%s", what);
	connect_fail(conn, why);
}

int
loom__connect_is_pending(const struct loom_conn *conn)
{
	return !!(conn->flags & LCF_CONNECTING);
}

void
loom__connect_timed_out(struct loom_conn *conn)
{
	struct loom_connect_state *cs = conn->cstate;

	cs->starting = 0;
	if (cs->fail[0]) {
		char why[sizeof(cs->fail)];

		/* a failure found while starting, reported now from the loop */
		memcpy(why, cs->fail, sizeof(why));
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, why);
		return;
	}
	loom__close_now(conn, LOOM_CLOSE_ABNORMAL, cs->lookup ?
			"connect timed out (resolving the name)" :
			(cs->hs ? "connect timed out (proxy handshake)" :
				  "connect timed out"));
}

static void
attempt_close(struct loom_connect_attempt *a)
{
	if (a->conn)
		loom__close_now(a->conn, LOOM_CLOSE_NORMAL, "connect attempt over");
}

static void
connect_close_attempts(struct loom_connect_state *cs)
{
	int n;

	loom_sul_cancel(&cs->sul_stagger);
	for (n = 0; n < LOOM_CONNECT_MAX_RACE; n++)
		if (cs->att[n])
			attempt_close(cs->att[n]);
}

/* free everything of the connect phase; the conn goes on (or is closing) */
static void
connect_state_free(struct loom_conn *conn)
{
	struct loom_connect_state *cs = conn->cstate;

	if (!cs)
		return;
	conn->cstate = NULL;
#if defined(LOOM_WITH_DNS)
	if (cs->lookup)
		loom_dns_lookup_cancel(cs->lookup);
#endif
	cs->lookup = NULL;
	connect_close_attempts(cs);
	loom_free(cs->proxy);
	loom_free(cs->hs);
	loom_free(cs->target);
	loom_free(cs);
}

/* the transport is up (and through the proxy, if any): TLS, then the role */
static int
connect_established(struct loom_conn *conn)
{
	int r;

	connect_state_free(conn);
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

/* the proxy handshake, on the client conn's own fd: 0 carry on, else closed */
static int
connect_proxy_step(struct loom_conn *conn)
{
	struct loom_connect_state *cs = conn->cstate;
	char why[160];
	int r = loom__proxy_hs_step(cs->hs, conn->fd, why, sizeof(why));

	if (r < 0) {
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, why);
		return LOOM_HP_CLOSED;
	}
	if (r > 0) {
		loom_clog_info(conn, "proxy tunnel to %s:%d is up", cs->target, cs->port);
		return connect_established(conn);
	}
	loom__io(conn, cs->hs->want_write ? LOOM_EV_START | LOOM_EV_WRITE :
					    LOOM_EV_STOP | LOOM_EV_WRITE);
	loom__io(conn, cs->hs->want_write ? LOOM_EV_STOP | LOOM_EV_READ :
					    LOOM_EV_START | LOOM_EV_READ);

	return LOOM_HP_OK;
}

/* the client conn's fd is readable or writable while LCF_CONNECTING: the proxy */
int
loom__connect_continue(struct loom_conn *conn)
{
	struct loom_connect_state *cs = conn->cstate;

	if (!cs || !cs->hs)
		return LOOM_HP_OK;

	return connect_proxy_step(conn);
}

/* ---- the attempts ---- */

/* an attempt connected: its fd becomes the client conn's */
static int
attempt_won(struct loom_connect_attempt *a)
{
	struct loom_connect_state *cs = a->cs;
	struct loom_conn *conn = cs->conn, *ac = a->conn;
	struct loom_pt *pt = conn->pt;
	int fd = ac->fd;

	pt->ctx->evlib->destroy_conn(ac);
	pt->fds[fd] = NULL;
	ac->fd = -1;
	loom__close_now(ac, LOOM_CLOSE_NORMAL, "connect attempt won");
	connect_close_attempts(cs);

	loom_dll2_remove(&conn->list_pending);		/* off pt->fdless */
	if (loom__conn_insert_fd(conn, fd, 0)) {
		loom__plat_close(fd);
		cs->last_errno = EMFILE;
		connect_fail_errno(conn, "connect failed");
		return LOOM_HP_CLOSED;
	}
	if (!cs->proxy) {
		connect_established(conn);
		return LOOM_HP_CLOSED;		/* the attempt conn is gone either way */
	}
	loom_clog_info(conn, "connected to the proxy %s:%d", cs->proxy->host,
		       cs->proxy->port);
	cs->hs = loom_malloc(sizeof(*cs->hs), "proxy handshake");
	if (!cs->hs || loom__proxy_hs_start(cs->hs, cs->proxy, cs->target, cs->port)) {
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "proxy: cannot start");
		return LOOM_HP_CLOSED;
	}
	connect_proxy_step(conn);

	return LOOM_HP_CLOSED;
}

/* an attempt failed: try the next address at once, or give up if none is left */
static int
attempt_failed(struct loom_connect_attempt *a, int err)
{
	struct loom_connect_state *cs = a->cs;

	cs->last_errno = err;
	attempt_close(a);
	if (connect_start_next(cs) && !cs->in_flight)
		connect_fail_errno(cs->conn, "connect failed");

	return LOOM_HP_CLOSED;
}

static int
attempt_check(struct loom_pt *pt, struct loom_conn *ac)
{
	struct loom_connect_attempt *a = ac->role_data;
	struct loom_sockaddr peer;
	socklen_t sl = sizeof(peer.u.raw);
	int err;

	if (!a)
		return LOOM_HP_OK;
	err = loom__plat_sock_error(ac->fd);
	if (err)
		return attempt_failed(a, err);
	if (getpeername(ac->fd, (struct sockaddr *)peer.u.raw, &sl))
		/* a hangup with no error recorded: refused, in effect */
		return attempt_failed(a, errno == ENOTCONN ? ECONNREFUSED : errno);

	return attempt_won(a);
}

static void
attempt_timeout_cb(struct loom_sul *sul)
{
	struct loom_connect_attempt *a = loom_container_of(sul,
					struct loom_connect_attempt, sul);

	attempt_failed(a, ETIMEDOUT);
}

static void
attempt_destroy_role(struct loom_conn *ac)
{
	struct loom_connect_attempt *a = ac->role_data;

	if (!a)
		return;
	ac->role_data = NULL;
	loom_sul_cancel(&a->sul);
	a->cs->att[a->slot] = NULL;
	a->cs->in_flight--;
	loom_free(a);
}

static const struct loom_role_ops loom_role_ops_connect = {
	.name = "connect",
	.handle_pollin = attempt_check,
	.handle_pollout = attempt_check,
	.destroy_role = attempt_destroy_role,
};

static int
socket_prepare(struct loom_connect_state *cs, int fd)
{
	if (cs->has_bind && bind(fd, (const struct sockaddr *)cs->bind_to.u.raw,
				 (socklen_t)cs->bind_to.len))
		return -1;
#if defined(SO_BINDTODEVICE)
	if (cs->iface_name[0] &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, cs->iface_name,
		       (socklen_t)strlen(cs->iface_name)))
		return -1;
#endif

	return 0;
}

/* start a connect on the next address; 0 once one is under way, else < 0 */
static int
connect_start_next(struct loom_connect_state *cs)
{
	struct loom_pt *pt = cs->conn->pt;
	int slot;

	for (slot = 0; slot < LOOM_CONNECT_MAX_RACE && cs->att[slot]; slot++)
		;
	if (slot == LOOM_CONNECT_MAX_RACE)
		return -1;			/* enough in flight: wait for one */

	while (cs->next < cs->count) {
		const struct loom_sockaddr *sa = &cs->addrs[cs->next++];
		struct loom_connect_attempt *a;
		struct loom_conn *ac;
		int fd = loom__plat_socket(loom__plat_sockaddr_family(sa), cs->type);

		if (fd < 0) {
			cs->last_errno = errno;
			continue;
		}
		if (socket_prepare(cs, fd) ||
		    (connect(fd, (const struct sockaddr *)sa->u.raw, (socklen_t)sa->len) &&
		     errno != EINPROGRESS && errno != EAGAIN)) {
			cs->last_errno = errno;
			loom__plat_close(fd);
			continue;
		}
		a = loom_zalloc(sizeof(*a), "connect attempt");
		ac = a ? loom__conn_create(pt, NULL, &loom_role_ops_connect, NULL, NULL) :
			 NULL;
		if (!ac) {
			loom_free(a);
			loom__plat_close(fd);
			cs->last_errno = ENOMEM;
			return -1;
		}
		ac->flags |= LCF_IS_SOCKET;
		a->cs = cs;
		a->conn = ac;
		a->slot = (uint8_t)slot;
		/* done or under way: the loop reports writability either way */
		if (loom__conn_insert_fd(ac, fd, LOOM_EV_WRITE)) {
			loom__plat_close(fd);
			loom__conn_free(ac);
			loom_free(a);
			cs->last_errno = EMFILE;
			continue;
		}
		ac->role_data = a;
		cs->att[slot] = a;
		cs->in_flight++;
		if (cs->addr_timeout_ms)
			loom_sul_schedule(pt->ctx, pt->tsi, &a->sul, attempt_timeout_cb,
					  (loom_usec_t)cs->addr_timeout_ms * LOOM_US_PER_MS);
		if (loom_log_mask() & LOOM_LL_DEBUG) {
			char t[64];

			loom__plat_sockaddr_to_text(sa, t, sizeof(t));
			loom_clog_debug(cs->conn, "trying %s", t);
		}
		return 0;
	}

	return -1;
}

static void
stagger_cb(struct loom_sul *sul)
{
	struct loom_connect_state *cs = loom_container_of(sul, struct loom_connect_state,
							  sul_stagger);

	/* the last one has not connected in 250 ms: race the next one too */
	if (connect_start_next(cs) && !cs->in_flight) {
		connect_fail_errno(cs->conn, "connect failed");
		return;
	}
	if (cs->next < cs->count)
		loom_sul_schedule(cs->conn->pt->ctx, cs->conn->pt->tsi, &cs->sul_stagger,
				  stagger_cb, LOOM_CONNECT_STAGGER_US);
}

/* the addresses are known: start racing them */
static void
connect_addresses_known(struct loom_connect_state *cs)
{
	struct loom_conn *conn = cs->conn;

	if (connect_start_next(cs)) {
		connect_fail_errno(conn, "connect failed");
		return;
	}
	if (cs->next < cs->count)
		loom_sul_schedule(conn->pt->ctx, conn->pt->tsi, &cs->sul_stagger,
				  stagger_cb, LOOM_CONNECT_STAGGER_US);
}

#if defined(LOOM_WITH_DNS)
static void
connect_dns_cb(struct loom_context *ctx, void *user, const struct loom_dns_result *r)
{
	struct loom_conn *conn = user;
	struct loom_connect_state *cs = conn->cstate;
	const int port = cs->proxy ? cs->proxy->port : cs->port;
	unsigned int n;
	char why[300];

	cs->lookup = NULL;
	if (r->status != LOOM_DNS_OK) {
		snprintf(why, sizeof(why), "dns: %s", r->reason);
		connect_fail(conn, why);
		return;
	}
	for (n = 0; n < r->count && cs->count < LOOM_CONNECT_MAX_ADDRS; n++)
		if (!loom__plat_sockaddr_from_ip(&cs->addrs[cs->count], r->addrs[n].family,
						 r->addrs[n].addr, port))
			cs->count++;
	loom_clog_debug(conn, "%s: %u address(es)", r->name, cs->count);
	connect_addresses_known(cs);
}
#endif

/* ---- the client conn ---- */

/* the client conn is ready for its role: the user hears it connected */
int
loom__client_established(struct loom_conn *conn)
{
	unsigned int cb;

	conn->flags |= LCF_ESTABLISHED;
	/* the role starts its protocol (an HTTP client sends its request) */
	if (conn->role->alpn_negotiated &&
	    conn->role->alpn_negotiated(conn, NULL /* TLS ALPN is not read yet */)) {
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "could not start the request");
		return LOOM_HP_CLOSED;
	}
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
		connect_state_free(conn);
		conn->flags &= ~LCF_CONNECTING;
	}
}

static int
is_localhost(const char *name)
{
	size_t l = strlen(name);

	return !strcmp(name, "localhost") ||
	       (l > 10 && !strcmp(name + l - 10, ".localhost"));
}

#if !defined(LOOM_WITH_DNS)
/*
 * No resolver in this build (LOOM_WITH_DNS=OFF): a name is looked up in the hosts
 * entries (the hosts file) at once, and localhost is loopback.
 */
static int
connect_setup_hosts(struct loom_context *ctx, struct loom_connect_state *cs,
		    const char **resolve, int port)
{
	static const uint8_t lo4[4] = { 127, 0, 0, 1 }, lo6[16] = { [15] = 1 };
	uint8_t fams[LOOM_CONNECT_MAX_ADDRS], addrs[LOOM_CONNECT_MAX_ADDRS][16];
	int n, k;

	n = loom__hosts_lookup(ctx, *resolve, LOOM_CONNECT_MAX_ADDRS, fams, addrs);
	for (k = 0; k < n; k++)
		if (!loom__plat_sockaddr_from_ip(&cs->addrs[cs->count], fams[k], addrs[k],
						 port))
			cs->count++;
	if (!cs->count && is_localhost(*resolve)) {
		if (!loom__plat_sockaddr_from_ip(&cs->addrs[cs->count], 6, lo6, port))
			cs->count++;
		if (!loom__plat_sockaddr_from_ip(&cs->addrs[cs->count], 4, lo4, port))
			cs->count++;
	}
	if (!cs->count) {
		loom_log_err("client_connect: %s: not a hosts entry, and this build has "
			     "no DNS resolver (LOOM_WITH_DNS=OFF)", *resolve);
		return LOOM_ENOTFOUND;
	}
	*resolve = NULL;

	return 0;
}
#endif

/* what can be checked before anything starts; 0 or a LOOM_E* */
static int
connect_setup(struct loom_context *ctx, const struct loom_client_connect_info *i,
	      struct loom_connect_state *cs, const char **resolve, int *port)
{
#if defined(LOOM_WITH_DNS)
	uint8_t fams[1], addrs[1][16];
#endif
	int r;

	cs->type = (i->flags & LOOM_CONNECT_UDP) ? SOCK_DGRAM : SOCK_STREAM;
	cs->addr_timeout_ms = i->addr_timeout_ms;
	cs->dns_flags = i->dns_flags & (LOOM_DNS_IPV4 | LOOM_DNS_IPV6);
	cs->port = i->port;
	cs->target = loom__strdup(i->address, "connect target");
	if (!cs->target)
		return LOOM_ENOMEM;
	if (i->iface) {
		if (loom__plat_sockaddr_parse(&cs->bind_to, i->iface, 0))
			return LOOM_EINVAL;
		cs->has_bind = 1;
	}
	if (i->iface_name) {
#if defined(SO_BINDTODEVICE)
		if (!*i->iface_name || strlen(i->iface_name) >= sizeof(cs->iface_name))
			return LOOM_EINVAL;
		strcpy(cs->iface_name, i->iface_name);
#else
		return LOOM_EUNSUPP;
#endif
	}
	*resolve = NULL;
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
	if (!(i->flags & LOOM_CONNECT_UDP)) {
		r = loom__proxy_select(ctx, i, &cs->proxy);
		if (r < 0)
			return r;
	}
	*resolve = cs->proxy ? cs->proxy->host : i->address;
	*port = cs->proxy ? cs->proxy->port : i->port;
	if (!loom__plat_sockaddr_parse(&cs->addrs[0], *resolve, *port)) {
		cs->count = 1;
		*resolve = NULL;
		return 0;
	}
#if defined(LOOM_WITH_DNS)
	/* with DNS off, a name the hosts file does not know cannot even start */
	if (!loom__dns_enabled(ctx) && !is_localhost(*resolve) &&
	    !loom__hosts_lookup(ctx, *resolve, 1, fams, addrs))
		return LOOM_ENOTFOUND;

	return 0;
#else
	return connect_setup_hosts(ctx, cs, resolve, *port);
#endif
}

/* the role a connect asks for, if this build has it (LOOM_WITH_H1/WS/MQTT) */
static const struct loom_role_ops *
connect_role(const struct loom_client_connect_info *i)
{
	const char *missing;

	if (i->mqtt) {
#if defined(LOOM_WITH_MQTT)
		return &loom_role_ops_mqtt;
#else
		missing = "MQTT (LOOM_WITH_MQTT=OFF)";
#endif
	} else if (i->method) {
#if defined(LOOM_WITH_H1)
		return &loom_role_ops_h1;
#else
		missing = "HTTP/1.1 (LOOM_WITH_H1=OFF)";
#endif
	} else if ((i->flags & LOOM_CONNECT_WS) && (i->flags & LOOM_CONNECT_WS_H2)) {
#if defined(LOOM_WITH_H1) && defined(LOOM_WITH_H2) && defined(LOOM_WITH_WS)
		/* an HTTP client request, an extended CONNECT on an h2 stream, that
		 * becomes a ws conn on the 200 (lib/roles/ws/ws-h2.c) */
		return &loom_role_ops_h1;
#else
		missing = "WebSocket over h2 (LOOM_WITH_H2, LOOM_WITH_WS)";
#endif
	} else if (i->flags & LOOM_CONNECT_WS) {
#if defined(LOOM_WITH_WS)
		return &loom_role_ops_ws;
#else
		missing = "WebSocket (LOOM_WITH_WS=OFF)";
#endif
	} else
		return &loom_role_ops_raw_skt;
	loom_log_err("client_connect: %s is not in this build", missing);

	return NULL;
}

struct loom_conn *
loom_client_connect(const struct loom_client_connect_info *i)
{
	struct loom_context *ctx = i ? i->context : NULL;
	struct loom_connect_state *cs;
	const struct loom_protocol *p;
	const char *resolve = NULL;
	const struct loom_role_ops *role;
	struct loom_vhost *vh;
	struct loom_conn *conn;
	struct loom_pt *pt;
	int r, port = 0;
#if defined(LOOM_WITH_H1) && defined(LOOM_WITH_H2) && defined(LOOM_WITH_WS)
	struct loom_client_connect_info wi;
#endif

	if (!ctx || !i->address || i->tsi < 0 || (unsigned int)i->tsi >= ctx->count_threads)
		return NULL;
#if defined(LOOM_WITH_H1) && defined(LOOM_WITH_H2) && defined(LOOM_WITH_WS)
	if (!i->method && !i->mqtt && (i->flags & LOOM_CONNECT_WS) &&
	    !(i->flags & LOOM_CONNECT_WS_H2) && !i->proxy &&
	    loom__h2_client_ws_joinable(&ctx->pt[i->tsi], i->vhost ? i->vhost : ctx->vhosts,
					i)) {
		/* a ws to a server we already speak h2 with rides on that connection */
		wi = *i;
		wi.flags |= LOOM_CONNECT_WS_H2;
		i = &wi;
	}
#endif
	if (!i->method && !i->mqtt && !(i->flags & (LOOM_CONNECT_RAW | LOOM_CONNECT_WS))) {
		loom_log_err("client_connect: give an HTTP method or LOOM_CONNECT_RAW");
		return NULL;
	}
	if (i->method && (i->flags & (LOOM_CONNECT_RAW | LOOM_CONNECT_UDP))) {
		loom_log_err("client_connect: HTTP (method set) or raw, not both");
		return NULL;
	}
	role = connect_role(i);
	if (!role)
		return NULL;
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
	r = connect_setup(ctx, i, cs, &resolve, &port);
	if (r) {
		_loom_vhlog(LOOM_LL_ERR, vh, "client_connect: cannot use address '%s' "
			    "port %d: %s", i->address, i->port, loom_strerror(r));
		loom_free(cs->proxy);
		loom_free(cs->target);
		loom_free(cs);
		return NULL;
	}
	conn = loom__conn_create(pt, vh, role, p, i->userdata);
	if (!conn) {
		loom_free(cs->proxy);
		loom_free(cs->target);
		loom_free(cs);
		return NULL;
	}
	conn->flags |= LCF_CLIENT | LCF_CONNECTING | LCF_IS_SOCKET |
		       ((i->flags & LOOM_CONNECT_UDP) ? LCF_UDP : 0);
	conn->cstate = cs;
	/* the role keeps what it needs of the info (HTTP method, path, host) */
	r = role->client_bind ? role->client_bind(conn, i) : 0;
	if (r == 1) {
		/* queued behind a live conn to the same server, whose socket it will
		 * take over (HTTP/1.1 keep-alive): no connect of its own for now */
		conn->cstate = NULL;
		conn->flags &= ~LCF_CONNECTING;
		loom_free(cs->proxy);
		loom_free(cs->hs);
		loom_free(cs->target);
		loom_free(cs);
		conn->opaque_user_data = i->opaque_user_data;
		if (i->pconn)
			*i->pconn = conn;
		loom_dll2_add_tail(&conn->list_pending, &pt->fdless);
		return conn;
	}
	if (r) {
		_loom_vhlog(LOOM_LL_ERR, vh, "client_connect: the %s role refused the "
			    "request", role->name);
		conn->cstate = NULL;
		conn->flags &= ~LCF_CONNECTING;
		role->destroy_role(conn);
		loom__conn_free(conn);
		loom_free(cs->proxy);
		loom_free(cs->target);
		loom_free(cs);
		return NULL;
	}
	/* the TLS transport keeps what its handshake needs of info->tls */
	if (i->tls && loom__transport_client_bind(conn, i)) {
		_loom_vhlog(LOOM_LL_ERR, vh, "client_connect: TLS setup failed");
		conn->cstate = NULL;
		conn->flags &= ~LCF_CONNECTING;
		if (role->destroy_role)
			role->destroy_role(conn);
		loom__conn_free(conn);
		loom_free(cs->proxy);
		loom_free(cs->target);
		loom_free(cs);
		return NULL;
	}
	conn->opaque_user_data = i->opaque_user_data;
	cs->conn = conn;
	cs->starting = 1;
	if (i->pconn)
		*i->pconn = conn;
	/* no fd until an attempt wins: context destroy finds it on this list */
	loom_dll2_add_tail(&conn->list_pending, &pt->fdless);
	loom_set_timeout_us(conn, LOOM_TO_CONNECT,
			    i->timeout_ms ? (loom_usec_t)i->timeout_ms * LOOM_US_PER_MS :
			    (loom_usec_t)ctx->timeout_secs * LOOM_US_PER_SEC);
#if defined(LOOM_WITH_DNS)
	if (resolve) {
		cs->lookup = loom_dns_lookup(ctx, i->tsi, resolve, cs->dns_flags,
					     connect_dns_cb, conn);
		if (!cs->lookup) {
			cs->starting = 0;
			loom_dll2_remove(&conn->list_pending);
			loom_sul_cancel(&conn->sul_timeout);
			connect_state_free(conn);
			conn->flags &= ~LCF_CONNECTING;
			loom__conn_free(conn);
			if (i->pconn)
				*i->pconn = NULL;
			return NULL;
		}
	} else
#endif
		connect_addresses_known(cs);
	cs->starting = 0;

	return conn;
}
