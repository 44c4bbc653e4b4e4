/*
 * listen.c: listen sockets for vhosts (TCP on IPv6/IPv4, Unix stream including
 * Linux abstract names, UDP), and accepting from them without ever spinning.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "net/private-net.h"

#include <unistd.h>
#include <sys/types.h>
#include <sys/stat.h>
#include "plat/private-sockets.h"

/* accepts per readiness report: enough to drain a burst, bounded for fairness */
#define LOOM_ACCEPT_BATCH 32

void
loom__unlink_unix_path(const char *path)
{
	struct stat st;

	/* only ever remove a socket: never a file someone named by mistake */
	if (path[0] != '@' && !stat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
}

static int
loom_listen_socket(struct loom_vhost *vh, const struct loom_vhost_info *info,
		   int reuseport, int *pfamily)
{
	struct loom_sockaddr sa;
	int fd, one = 1, dgram = !!(info->options & LOOM_VHOST_OPT_UDP);
	int type = dgram ? SOCK_DGRAM : SOCK_STREAM;

	if (info->unix_socket_path) {
		if (dgram || loom__plat_sockaddr_unix(&sa, info->unix_socket_path)) {
			_loom_vhlog(LOOM_LL_ERR, vh, "bad unix socket path '%s'",
				    info->unix_socket_path);
			return -1;
		}
		loom__unlink_unix_path(info->unix_socket_path);
	} else if (info->iface) {
		if (loom__plat_sockaddr_parse(&sa, info->iface, info->port)) {
			_loom_vhlog(LOOM_LL_ERR, vh, "iface '%s' is not a numeric address",
				    info->iface);
			return -1;
		}
	} else {
		static const uint8_t any[16];

		loom__plat_sockaddr_from_ip(&sa, (info->options & LOOM_VHOST_OPT_IPV4_ONLY) ?
					    4 : 6, any, info->port);
	}

	*pfamily = loom__plat_sockaddr_family(&sa);
	fd = loom__plat_socket(*pfamily, type);
	if (fd < 0 && *pfamily == AF_INET6 && !info->iface) {
		/* no IPv6 here: fall back to IPv4 any */
		static const uint8_t any4[4];

		loom__plat_sockaddr_from_ip(&sa, 4, any4, info->port);
		*pfamily = AF_INET;
		fd = loom__plat_socket(AF_INET, type);
	}
	if (fd < 0) {
		_loom_vhlog(LOOM_LL_ERR, vh, "socket() failed, errno %d", errno);
		return -1;
	}
	if (*pfamily != AF_UNIX) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
#if defined(SO_REUSEPORT)
		if (reuseport)
			setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
#endif
	}
	if (*pfamily == AF_INET6) {
		int v6only = !!(info->options & LOOM_VHOST_OPT_IPV6_ONLY);

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	}
	if (bind(fd, (struct sockaddr *)sa.u.raw, (socklen_t)sa.len)) {
		if (info->unix_socket_path)
			_loom_vhlog(LOOM_LL_ERR, vh, "bind to unix %s failed, errno %d",
				    info->unix_socket_path, errno);
		else
			_loom_vhlog(LOOM_LL_ERR, vh, "bind to port %d failed, errno %d",
				    info->port, errno);
		loom__plat_close(fd);
		return -1;
	}
	if (!dgram && listen(fd, info->listen_backlog > 0 ? info->listen_backlog :
							    SOMAXCONN)) {
		_loom_vhlog(LOOM_LL_ERR, vh, "listen failed, errno %d", errno);
		loom__plat_close(fd);
		return -1;
	}

	return fd;
}

static int
loom_bound_port(int fd)
{
	struct loom_sockaddr sa;
	socklen_t len = sizeof(sa.u.raw);
	const struct sockaddr *s = (const struct sockaddr *)sa.u.raw;

	if (getsockname(fd, (struct sockaddr *)sa.u.raw, &len))
		return -1;
	if (s->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa.u.raw)->sin_port);
	if (s->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa.u.raw)->sin6_port);

	return 0;
}

int
loom__listen_create(struct loom_vhost *vh, const struct loom_vhost_info *info)
{
	struct loom_context *ctx = vh->ctx;
	unsigned int t, count = ctx->count_threads;
	struct loom_vhost_info vi = *info;
	int fam;

	/* a Unix path or a UDP port can be bound once: pt 0 serves it */
	if (info->unix_socket_path || (info->options & LOOM_VHOST_OPT_UDP))
		count = 1;
	for (t = 0; t < count; t++) {
		int fd = loom_listen_socket(vh, &vi, count > 1, &fam);
		struct loom_conn *lc;

		if (fd < 0)
			return -1;
		if (!t) {
			vh->listen_port = fam == AF_UNIX ? 0 : loom_bound_port(fd);
			/* later pts bind the port the first one picked */
			vi.port = vh->listen_port;
			if (fam == AF_UNIX && info->unix_socket_path[0] != '@') {
				vh->unix_path = loom__strdup(info->unix_socket_path,
							     "unix path");
				if (!vh->unix_path) {
					loom__plat_close(fd);
					return -1;
				}
			}
		}
		if (info->options & LOOM_VHOST_OPT_UDP) {
			/* a UDP "listener" is a raw-skt conn that reads datagrams */
			if (loom__adopt_fd(&ctx->pt[t], vh, &loom_role_ops_raw_skt,
					   vh->accept_protocol, fd, LCF_UDP | LCF_IS_SOCKET,
					   NULL, &lc)) {
				loom__plat_close(fd);
				return -1;
			}
			if (!lc)
				return -1;	/* the adopt callback refused it */
			/* it is a listener: it does not count and is closed with the vhost */
			if (lc->flags & LCF_COUNTED) {
				lc->flags &= (uint32_t)~LCF_COUNTED;
				ctx->pt[t].count_conns--;
			}
		} else {
			lc = loom__conn_create(&ctx->pt[t], vh, &loom_role_ops_listen,
					       NULL, NULL);
			if (!lc) {
				loom__plat_close(fd);
				return -1;
			}
			lc->flags |= LCF_IS_SOCKET;
			if (loom__conn_insert_fd(lc, fd, LOOM_EV_READ)) {
				loom__plat_close(fd);
				loom__conn_free(lc);
				return -1;
			}
		}
		lc->flags |= LCF_LISTENER;
		vh->listen_conn[t] = lc;
	}
	if (info->unix_socket_path)
		_loom_vhlog(LOOM_LL_NOTICE, vh, "listening on unix %s",
			    info->unix_socket_path);
	else
		_loom_vhlog(LOOM_LL_NOTICE, vh, "listening on %s port %d",
			    (info->options & LOOM_VHOST_OPT_UDP) ? "udp" : "tcp",
			    vh->listen_port);

	return 0;
}

/* an IP peer (TCP: accept is only for stream sockets), not a Unix socket's */
static int
peer_is_tcp(const struct loom_sockaddr *peer)
{
	int fam = ((const struct sockaddr *)peer->u.raw)->sa_family;

	return peer->len >= sizeof(sa_family_t) && (fam == AF_INET || fam == AF_INET6);
}

int
loom__listen_accept(struct loom_pt *pt, struct loom_conn *lconn)
{
	struct loom_vhost *vh = lconn->vhost;
	struct loom_sockaddr peer;
	struct loom_conn *c;
	int n, fd;

	for (n = 0; n < LOOM_ACCEPT_BATCH; n++) {
		fd = loom__plat_accept(lconn->fd, &peer);
		if (fd < 0) {
			switch (errno) {
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
				return LOOM_HP_OK;
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				loom_clog_warn(lconn, "accept: out of fds or memory "
					       "(errno %d): pausing listeners", errno);
				loom__listeners_pause(pt, 1);
				return LOOM_HP_OK;
			default:
				loom_clog_err(lconn, "accept failed, errno %d", errno);
				return LOOM_HP_OK;
			}
		}
		if (pt->count_conns >= pt->ctx->max_conns) {
			/* refused: the connections we hold carry on */
			loom_clog_info(lconn, "refusing conn: at max_conns %u",
				       pt->ctx->max_conns);
			loom__plat_close(fd);
			continue;
		}
		if (vh->keepalive_secs)
			loom__plat_set_keepalive(fd, vh->keepalive_secs);
		if (!(vh->options & LOOM_VHOST_OPT_NAGLE) && peer_is_tcp(&peer) &&
		    loom__plat_set_nodelay(fd))
			loom_clog_info(lconn, "accept: TCP_NODELAY not set (errno %d)",
				       errno);
		if (loom__adopt_fd(pt, vh, vh->accept_role, vh->accept_protocol, fd,
				   LCF_IS_SOCKET, NULL, &c))
			loom__plat_close(fd);	/* adopt failed before owning it */
	}

	return LOOM_HP_OK;
}
