/*
 * api-test-connect: client connects: refused (one CLIENT_CONNECTION_ERROR with a
 * reason, no close), hosts-file names tried address by address, unknown names, the
 * connect timeout, binding the local side with iface, and IPv6 loopback.
 */
#include <loom.h>
#include "loom-test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

/* what one client conn went through */
struct cstate {
	int connected, conn_errors, closes, other_after_end;
	char reason[160];
	char local[64];		/* getsockname() of its fd when connected */
	char peer[64];
	long long t_start, t_end;
};

static char srv_last_peer[64];
static int srv_adopts;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "ip:port" / "[ip6]:port" of a socket's local side */
static void
local_addr(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";

	buf[0] = '\0';
	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	}
}

static int
cb_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	if (reason == LOOM_CB_RAW_ADOPT) {
		srv_adopts++;
		loom_get_peer_address(conn, srv_last_peer, sizeof(srv_last_peer));
	}

	return 0;
}

static int
cb_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct cstate *c = conn ? loom_get_opaque_user_data(conn) : NULL;

	if (!c)
		return 0;
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		if (c->t_end)
			c->other_after_end++;
		c->conn_errors++;
		c->t_end = now_ms();
		if (in && len)
			snprintf(c->reason, sizeof(c->reason), "%.*s", (int)len,
				 (const char *)in);
		break;
	case LOOM_CB_RAW_CONNECTED:
		if (c->t_end)
			c->other_after_end++;
		c->connected++;
		local_addr(loom_get_fd(conn), c->local, sizeof(c->local));
		loom_get_peer_address(conn, c->peer, sizeof(c->peer));
		/* done with it: close from the loop */
		loom_set_timeout(conn, LOOM_TO_USER, LOOM_TO_KILL_ASYNC);
		break;
	case LOOM_CB_RAW_CLOSE:
		c->closes++;
		c->t_end = now_ms();
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol srv_protocols[] = {
	{ "server", cb_server, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static const struct loom_protocol cli_protocols[] = {
	{ "client", cb_client, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static struct loom_conn *
start(struct loom_context *ctx, struct loom_vhost *cvh, const char *address, int port,
      const char *iface, unsigned int timeout_ms, struct cstate *c)
{
	struct loom_client_connect_info cc;

	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = cvh;
	cc.address = address;
	cc.port = port;
	cc.flags = LOOM_CONNECT_RAW;
	cc.iface = iface;
	cc.timeout_ms = timeout_ms;
	cc.opaque_user_data = c;
	c->t_start = now_ms();

	return loom_client_connect(&cc);
}

/* run until \p c ended (error or close), then a little more to catch extras */
static void
run_until_end(struct loom_context *ctx, struct cstate *c, int ms)
{
	long long end = now_ms() + ms;

	while (now_ms() < end && !c->t_end)
		loom_service(ctx, 5);
	end = now_ms() + 50;
	while (now_ms() < end)
		loom_service(ctx, 5);
}

/* a port on 127.0.0.1 with certainly no listener (bound once, then closed) */
static int
dead_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &sl))
		port = ntohs(sa.sin_port);
	close(fd);

	return port;
}

static struct loom_vhost *
tcp_vhost(struct loom_context *ctx, const char *name, const char *iface)
{
	struct loom_vhost_info vi;

	memset(&vi, 0, sizeof(vi));
	vi.name = name;
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.iface = iface;
	vi.protocols = srv_protocols;

	return loom_create_vhost(ctx, &vi);
}

/* (a) */
static void
test_refused(struct loom_context *ctx, struct loom_vhost *cvh)
{
	static struct cstate c;
	int port = dead_port();

	LT_CHECK(port > 0);
	LT_CHECK(start(ctx, cvh, "127.0.0.1", port, NULL, 0, &c) != NULL);
	run_until_end(ctx, &c, 2000);
	LT_CHECK_EQ(c.conn_errors, 1);
	LT_CHECK_EQ(c.connected, 0);
	LT_CHECK_EQ(c.closes, 0);
	LT_CHECK_EQ(c.other_after_end, 0);
	LT_CHECK(c.reason[0] != '\0');
	fprintf(stderr, "refused: \"%s\" after %lld ms\n", c.reason, c.t_end - c.t_start);
	LT_CHECK(c.t_end - c.t_start < 1000);
	LT_CHECK_EQ(loom_conn_count(ctx, 0), 0);
}

/* (b) and (c): names from the hosts file */
static void
test_hosts(struct loom_context *ctx, struct loom_vhost *cvh, int port)
{
	static struct cstate c, c2;

	/* 127.0.0.2 is listed first and refuses; 127.0.0.1 is next and answers */
	LT_CHECK(start(ctx, cvh, "loom-test-host", port, NULL, 0, &c) != NULL);
	run_until_end(ctx, &c, 2000);
	LT_CHECK_EQ(c.connected, 1);
	LT_CHECK_EQ(c.conn_errors, 0);
	LT_CHECK_EQ(c.closes, 1);
	{
		char want[64];

		snprintf(want, sizeof(want), "127.0.0.1:%d", port);
		LT_CHECK(!strcmp(c.peer, want));
	}
	/* names compare without case, like DNS */
	LT_CHECK(start(ctx, cvh, "LOOM-Test-Host", port, NULL, 0, &c2) != NULL);
	run_until_end(ctx, &c2, 2000);
	LT_CHECK_EQ(c2.connected, 1);

	/* unknown names fail at once, with no callback later */
	{
		static struct cstate u;

		LT_CHECK(start(ctx, cvh, "no-such-host.invalid", port, NULL, 0, &u) ==
			 NULL);
		LT_CHECK(start(ctx, cvh, "loom-test-hos", port, NULL, 0, &u) == NULL);
		run_until_end(ctx, &u, 50);
		LT_CHECK_EQ(u.conn_errors + u.connected + u.closes, 0);
	}
	/* and a bad port is refused before anything starts */
	{
		static struct cstate b;

		LT_CHECK(start(ctx, cvh, "127.0.0.1", 0, NULL, 0, &b) == NULL);
		LT_CHECK(start(ctx, cvh, "127.0.0.1", 70000, NULL, 0, &b) == NULL);
	}
}

/* (d): a listener whose accept queue is full drops SYNs: the connect hangs */
static void
test_timeout(struct loom_context *ctx, struct loom_vhost *cvh)
{
	static struct cstate c;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int lfd, fill[8], n = 0, pending = 0, i;
	long long d;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 0) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl)) {
		LT_CHECK(!"backlog listener");
		if (lfd >= 0)
			close(lfd);
		return;
	}
	/* fill the queue until a plain connect stays pending */
	while (n < 8 && !pending) {
		struct pollfd pf;

		fill[n] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fill[n] < 0)
			break;
		if (connect(fill[n], (struct sockaddr *)&sa, sizeof(sa)) &&
		    errno != EINPROGRESS) {
			close(fill[n]);
			break;
		}
		pf.fd = fill[n++];
		pf.events = POLLOUT;
		pending = poll(&pf, 1, 100) == 0;
	}
	if (!pending) {
		fprintf(stderr, "note: could not fill a listen queue here: "
			"connect timeout part skipped\n");
	} else {
		LT_CHECK(start(ctx, cvh, "127.0.0.1", ntohs(sa.sin_port), NULL, 300, &c) !=
			 NULL);
		run_until_end(ctx, &c, 3000);
		d = c.t_end - c.t_start;
		fprintf(stderr, "timeout: \"%s\" after %lld ms\n", c.reason, d);
		LT_CHECK_EQ(c.conn_errors, 1);
		LT_CHECK_EQ(c.connected, 0);
		LT_CHECK_EQ(c.closes, 0);
		LT_CHECK(strstr(c.reason, "timed out") != NULL);
		LT_CHECK(d >= 295 && d < 1000);
	}
	for (i = 0; i < n; i++)
		close(fill[i]);
	close(lfd);
}

/* (e): the local side bound to iface */
static void
test_iface(struct loom_context *ctx, struct loom_vhost *cvh, int port)
{
	static struct cstate c1, c2, bad;

	LT_CHECK(start(ctx, cvh, "127.0.0.1", port, "127.0.0.1", 0, &c1) != NULL);
	run_until_end(ctx, &c1, 2000);
	LT_CHECK_EQ(c1.connected, 1);
	LT_CHECK(!strncmp(c1.local, "127.0.0.1:", 10) && strcmp(c1.local, "127.0.0.1:0"));

	/* another loopback address shows the bind is really made */
	LT_CHECK(start(ctx, cvh, "127.0.0.1", port, "127.0.0.2", 0, &c2) != NULL);
	run_until_end(ctx, &c2, 2000);
	LT_CHECK_EQ(c2.connected, 1);
	LT_CHECK(!strncmp(c2.local, "127.0.0.2:", 10));
	LT_CHECK(!strncmp(srv_last_peer, "127.0.0.2:", 10));

	/* a non-numeric iface is refused at once */
	LT_CHECK(start(ctx, cvh, "127.0.0.1", port, "eth0", 0, &bad) == NULL);
}

/* (f) */
static void
test_ipv6(struct loom_context *ctx, struct loom_vhost *cvh)
{
	static struct cstate c;
	struct sockaddr_in6 s6;
	struct loom_vhost *vh6;
	char want[64];
	int fd, ok;

	fd = socket(AF_INET6, SOCK_STREAM, 0);
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_addr = in6addr_loopback;
	ok = fd >= 0 && !bind(fd, (struct sockaddr *)&s6, sizeof(s6));
	if (fd >= 0)
		close(fd);
	if (!ok) {
		fprintf(stderr, "note: no IPv6 loopback here: ::1 part skipped\n");
		return;
	}
	vh6 = tcp_vhost(ctx, "v6", "::1");
	LT_CHECK(vh6 != NULL);
	if (!vh6)
		return;
	LT_CHECK(start(ctx, cvh, "::1", loom_vhost_port(vh6), NULL, 0, &c) != NULL);
	run_until_end(ctx, &c, 2000);
	LT_CHECK_EQ(c.connected, 1);
	LT_CHECK_EQ(c.closes, 1);
	snprintf(want, sizeof(want), "[::1]:%d", loom_vhost_port(vh6));
	LT_CHECK(!strcmp(c.peer, want));
	LT_CHECK(!strncmp(srv_last_peer, "[::1]:", 6));
}

/* (f) the connect flags are distinct bits: a flag sharing another's bit turned
 * HTTP requests that follow redirects into WebSocket-over-h2 attempts */
static void
test_flag_bits(void)
{
	static const unsigned int flags[] = {
		LOOM_CONNECT_RAW, LOOM_CONNECT_UDP, LOOM_CONNECT_WS,
		LOOM_CONNECT_WS_DEFLATE, LOOM_CONNECT_FOLLOW_REDIRECTS,
		LOOM_CONNECT_H2_PRIOR_KNOWLEDGE, LOOM_CONNECT_H2C_UPGRADE,
		LOOM_CONNECT_WS_H2,
	};
	unsigned int seen = 0;
	size_t n;

	for (n = 0; n < sizeof(flags) / sizeof(flags[0]); n++) {
		LT_CHECK(flags[n] && !(flags[n] & (flags[n] - 1)));
		LT_CHECK_EQ(seen & flags[n], 0);
		seen |= flags[n];
	}
}

int
main(void)
{
	char hosts[] = "/tmp/loom-api-test-connect-hosts-XXXXXX";
	static const char hosts_text[] =
		"# test hosts file\n"
		"127.0.0.2\tloom-test-host\n"
		"127.0.0.1 loom-test-host other-name # second address\n";
	static const char *const no_dns[] = { NULL };
	struct loom_context_info ci;
	struct loom_vhost_info vi;
	struct loom_context *ctx;
	struct loom_vhost *vh, *cvh;
	int fd, port;

	test_flag_bits();

	fd = mkstemp(hosts);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	LT_CHECK_EQ(write(fd, hosts_text, sizeof(hosts_text) - 1),
		    (ssize_t)sizeof(hosts_text) - 1);
	close(fd);

	memset(&ci, 0, sizeof(ci));
	ci.hosts_file = hosts;
	/* DNS off: names come from the hosts file only, so an unknown one fails at
	 * once (api-test-dns-connect covers names that DNS resolves or refuses) */
	ci.nameservers = no_dns;
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		goto out;
	vh = tcp_vhost(ctx, "server", "127.0.0.1");
	LT_CHECK(vh != NULL);
	port = loom_vhost_port(vh);
	memset(&vi, 0, sizeof(vi));
	vi.name = "client";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = cli_protocols;
	cvh = loom_create_vhost(ctx, &vi);
	LT_CHECK(cvh != NULL);
	if (vh && cvh && port > 0) {
		test_refused(ctx, cvh);
		test_hosts(ctx, cvh, port);
		test_timeout(ctx, cvh);
		test_iface(ctx, cvh, port);
		test_ipv6(ctx, cvh);
	}
	loom_context_destroy(ctx);
out:
	unlink(hosts);

	return lt_result("api-test-connect");
}
