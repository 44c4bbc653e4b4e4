/*
 * api-test-nodelay: what Nagle's algorithm is on for. An accepted TCP socket gets
 * TCP_NODELAY (small writes leave at once); a vhost with LOOM_VHOST_OPT_NAGLE keeps
 * Nagle; a Unix socket listener accepts as before (no TCP option on it); and a
 * client connection Loom makes is left as the system made it (Nagle on).
 */
#include <loom.h>
#include "loom-test.h"

#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

static struct loom_context *ctx;
static int nodelay_failed;	/* "TCP_NODELAY not set" lines logged */

static void
log_sink(int level, const char *line)
{
	(void)level;
	if (strstr(line, "TCP_NODELAY not set"))
		nodelay_failed++;
}

/* what the adopt (server) or connected (client) callback saw of TCP_NODELAY:
 * 0 / 1, or -errno when the socket has no such option */
struct seen {
	int adopted;
	int nodelay;
};

static int
nodelay_of(int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &l))
		return -errno;

	return v ? 1 : 0;
}

static int
cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
   size_t len)
{
	const struct loom_protocol *p = conn ? loom_get_protocol(conn) : NULL;
	struct seen *s = p ? p->user : NULL;

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
	case LOOM_CB_RAW_CONNECTED:
		if (!s)
			break;
		s->adopted++;
		s->nodelay = nodelay_of(loom_get_fd(conn));
		break;
	default:
		break;
	}

	return 0;
}

static struct seen s_dflt, s_nagle, s_unix, s_client;

static struct loom_protocol p_dflt[] = {
	{ "dflt", cb, 0, 0, 0, &s_dflt, 0 }, LOOM_PROTOCOL_LIST_TERM
};
static struct loom_protocol p_nagle[] = {
	{ "nagle", cb, 0, 0, 0, &s_nagle, 0 }, LOOM_PROTOCOL_LIST_TERM
};
static struct loom_protocol p_unix[] = {
	{ "unix", cb, 0, 0, 0, &s_unix, 0 }, LOOM_PROTOCOL_LIST_TERM
};
static struct loom_protocol p_client[] = {
	{ "client", cb, 0, 0, 0, &s_client, 0 }, LOOM_PROTOCOL_LIST_TERM
};

static struct loom_vhost *
vhost(const char *name, unsigned int opts, const char *upath, struct loom_protocol *p)
{
	struct loom_vhost_info vi;

	memset(&vi, 0, sizeof(vi));
	vi.name = name;
	vi.options = LOOM_VHOST_OPT_RAW | opts;
	vi.iface = upath ? NULL : "127.0.0.1";
	vi.unix_socket_path = upath;
	vi.protocols = p;

	return loom_create_vhost(ctx, &vi);
}

static void
wait_adopt(struct seen *s)
{
	loom_usec_t end = loom_now_usecs() + 3000000;

	while (!s->adopted && loom_now_usecs() < end)
		loom_service(ctx, 10);
}

/* a plain blocking TCP connect from outside Loom; the fd, or -1 */
static int
tcp_to(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}

	return fd;
}

static int
unix_to(const char *path)
{
	struct sockaddr_un a;
	socklen_t l;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (path[0] == '@')
		a.sun_path[0] = '\0';	/* abstract */
	l = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, l)) {
		close(fd);
		return -1;
	}

	return fd;
}

int
main(void)
{
	struct loom_context_info info;
	struct loom_client_connect_info cc;
	struct loom_vhost *vd, *vn, *vu, *vc;
	char upath[64];
	int fd1, fd2, fd3;

	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN | LOOM_LL_INFO, log_sink);
	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-nodelay");
	snprintf(upath, sizeof(upath), "@loom-nodelay-%ld", (long)getpid());
	vd = vhost("dflt", 0, NULL, p_dflt);
	vn = vhost("nagle", LOOM_VHOST_OPT_NAGLE, NULL, p_nagle);
	vu = vhost("unix", 0, upath, p_unix);
	vc = vhost("client", LOOM_VHOST_OPT_NO_LISTEN, NULL, p_client);
	LT_CHECK(vd && vn && vu && vc);
	if (!vd || !vn || !vu || !vc) {
		loom_context_destroy(ctx);
		return lt_result("api-test-nodelay");
	}

	/* the default: accepted TCP sockets get TCP_NODELAY */
	fd1 = tcp_to(loom_vhost_port(vd));
	LT_CHECK(fd1 >= 0);
	wait_adopt(&s_dflt);
	LT_CHECK_EQ(s_dflt.adopted, 1);
	LT_CHECK_EQ(s_dflt.nodelay, 1);
	printf("default vhost: accepted TCP_NODELAY %d\n", s_dflt.nodelay);

	/* LOOM_VHOST_OPT_NAGLE: left alone */
	fd2 = tcp_to(loom_vhost_port(vn));
	LT_CHECK(fd2 >= 0);
	wait_adopt(&s_nagle);
	LT_CHECK_EQ(s_nagle.adopted, 1);
	LT_CHECK_EQ(s_nagle.nodelay, 0);
	printf("LOOM_VHOST_OPT_NAGLE: accepted TCP_NODELAY %d\n", s_nagle.nodelay);

	/* a Unix socket: accepted, no TCP option was asked of it */
	fd3 = unix_to(upath);
	LT_CHECK(fd3 >= 0);
	wait_adopt(&s_unix);
	LT_CHECK_EQ(s_unix.adopted, 1);
	LT_CHECK(s_unix.nodelay < 0);
	LT_CHECK_EQ(nodelay_failed, 0);	/* not even tried on it */
	printf("unix socket: accepted, TCP_NODELAY getsockopt %d\n", s_unix.nodelay);

	/* a client connection Loom makes: Nagle as the system left it */
	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = vc;
	cc.address = "127.0.0.1";
	cc.port = loom_vhost_port(vn);
	cc.flags = LOOM_CONNECT_RAW;
	LT_CHECK(loom_client_connect(&cc) != NULL);
	wait_adopt(&s_client);
	LT_CHECK_EQ(s_client.adopted, 1);
	LT_CHECK_EQ(s_client.nodelay, 0);
	printf("client conn: TCP_NODELAY %d\n", s_client.nodelay);

	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	if (fd3 >= 0)
		close(fd3);
	loom_context_destroy(ctx);

	return lt_result("api-test-nodelay");
}
