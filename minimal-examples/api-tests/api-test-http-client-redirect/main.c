/*
 * api-test-http-client-redirect PROXY_SCRIPT: a redirect the HTTP client follows
 * connects the way the caller asked loom_client_connect() to, and keeps the
 * caller's credentials at the origin they were meant for:
 * - through the same HTTP CONNECT proxy (a real one, connect-proxy.py, which logs
 *   each tunnel and where it came from), from the same local address (iface
 *   127.0.0.2), after a relative and then an absolute redirect to another port;
 * - with the same connect timeout (timeout_ms 700 against the context's 6 s): the
 *   proxy never answers the CONNECT for the redirect's target;
 * - with the same address families (dns_flags LOOM_DNS_IPV6): the redirect's
 *   x.localhost has only an IPv4 server, so it must fail, not reach it by IPv4;
 * - Authorization and Cookie headers the user adds go to the first origin and
 *   to a same-origin redirect, not to another port's server (as curl does);
 *   other headers go everywhere;
 * - a request queued behind another to the same server, restarted on a conn of
 *   its own when that one is dropped, still comes from its iface.
 */
#include <loom.h>
#include "loom-test.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct loom_context *ctx;
static struct loom_vhost *va, *vb, *cvh;
static int port_a, port_b;

/* ---- the proxy: a child process, its stderr read into plog ---- */

static pid_t proxy_pid = -1;
static int proxy_fd = -1, proxy_port;
static char plog[16384];
static size_t plog_len;

static void
proxy_read(int wait_ms)
{
	struct pollfd pfd;
	ssize_t n;

	pfd.fd = proxy_fd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, wait_ms) > 0 && plog_len < sizeof(plog) - 1) {
		n = read(proxy_fd, plog + plog_len, sizeof(plog) - 1 - plog_len);
		if (n <= 0)
			break;
		plog_len += (size_t)n;
		plog[plog_len] = '\0';
		wait_ms = 0;
	}
}

static int
proxy_start(const char *script)
{
	int p[2], n;
	const char *l;

	if (pipe(p))
		return -1;
	proxy_pid = fork();
	if (proxy_pid < 0)
		return -1;
	if (!proxy_pid) {
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execl("/usr/bin/python3", "python3", script, "--stall-host", "stall.invalid",
		      (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	proxy_fd = p[0];
	/* the whole line: its port may come in two reads */
	for (n = 0; n < 100 && (!(l = strstr(plog, "listening on ")) || !strchr(l, '\n'));
	     n++)
		proxy_read(100);
	if (!l || sscanf(l, "listening on %d", &proxy_port) != 1)
		return -1;
	plog_len = 0;
	plog[0] = '\0';

	return 0;
}

static void
proxy_stop(void)
{
	if (proxy_pid > 0) {
		kill(proxy_pid, SIGTERM);
		waitpid(proxy_pid, NULL, 0);
	}
	if (proxy_fd >= 0)
		close(proxy_fd);
}

/* how many times the proxy logged \p line */
static int
plog_count(const char *line)
{
	const char *p = plog;
	int n = 0;

	while ((p = strstr(p, line))) {
		n++;
		p += strlen(line);
	}

	return n;
}

/* ---- the servers: A redirects, B answers; both note what they got ---- */

struct seen {
	int requests, auth, cookie, other;
};
static struct seen a_auth, a_auth2, b_next, b_auth3;

static int
srv_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
       size_t len)
{
	const char *path = in;
	struct seen *s = NULL;
	char loc[128], v[64];

	(void)user;
	(void)len;
	if (reason != LOOM_CB_HTTP)
		return 0;
	if (!strcmp(path, "/drop"))
		return -1;	/* closed without an answer */
	if (!strcmp(path, "/who")) {
		/* who asked: the client's local address */
		if (!loom_get_peer_address(conn, v, sizeof(v)))
			v[0] = '\0';
		return loom_http_respond_simple(conn, 200, "text/plain", v, strlen(v))
			? -1 : 0;
	}
	if (loom_get_vhost(conn) == va) {
		if (!strcmp(path, "/rel"))
			return loom_http_redirect(conn, 302, "/start") ? -1 : 0;
		if (!strcmp(path, "/start") || !strcmp(path, "/auth2")) {
			if (!strcmp(path, "/auth2"))
				s = &a_auth2;
			snprintf(loc, sizeof(loc), "http://127.0.0.1:%d/%s", port_b,
				 s ? "auth3" : "next");
		} else if (!strcmp(path, "/stall"))
			snprintf(loc, sizeof(loc), "http://stall.invalid:81/x");
		else if (!strcmp(path, "/v6"))
			snprintf(loc, sizeof(loc), "http://x.localhost:%d/next", port_b);
		else if (!strcmp(path, "/auth")) {
			s = &a_auth;
			snprintf(loc, sizeof(loc), "/auth2");
		} else
			return loom_http_respond_simple(conn, 404, "text/plain", "no", 2)
				? -1 : 0;
	} else if (!strcmp(path, "/next"))
		s = &b_next;
	else if (!strcmp(path, "/auth3"))
		s = &b_auth3;
	if (s) {
		s->requests++;
		s->auth += loom_hdr_copy(conn, v, sizeof(v), LOOM_HDR_AUTHORIZATION) > 0;
		s->cookie += loom_hdr_copy(conn, v, sizeof(v), LOOM_HDR_COOKIE) > 0;
		s->other += loom_hdr_custom_copy(conn, v, sizeof(v), "X-Other") > 0;
	}
	if (loom_get_vhost(conn) == va)
		return loom_http_redirect(conn, 302, loc) ? -1 : 0;

	return loom_http_respond_simple(conn, 200, "text/plain", "from B", 6) ? -1 : 0;
}

static const struct loom_protocol srv_protos[] = {
	{ "srv", srv_cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* ---- the client ---- */

struct cli {
	int status, complete, closed, failed, creds;
	char body[64];
	size_t body_len;
	loom_usec_t end;
};

static int
cli_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
       void *in, size_t len)
{
	struct cli *c = conn ? loom_get_opaque_user_data(conn) : NULL;

	(void)user;
	if (!c)
		return 0;
	switch (reason) {
	case LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (c->creds) {
			/* added to every request; Loom leaves them out across origins */
			LT_CHECK_EQ(loom_http_client_add_header(conn, "Authorization",
								"Bearer s3cret"), 0);
			LT_CHECK_EQ(loom_http_client_add_header(conn, "cookie", "k=v"), 0);
			LT_CHECK_EQ(loom_http_client_add_header(conn, "X-Other", "1"), 0);
		}
		return 0;
	case LOOM_CB_ESTABLISHED_CLIENT_HTTP:
		c->status = (int)loom_http_status(conn);
		return 0;
	case LOOM_CB_RECEIVE_CLIENT_HTTP:
		if (c->body_len + len < sizeof(c->body)) {
			memcpy(c->body + c->body_len, in, len);
			c->body_len += len;
		}
		return 0;
	case LOOM_CB_COMPLETED_CLIENT_HTTP:
		c->complete = 1;
		return 0;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		c->failed = 1;
		/* fall through */
	case LOOM_CB_CLOSED_CLIENT_HTTP:
		c->closed = 1;
		c->end = loom_now_usecs();
		return 0;
	default:
		return 0;
	}
}

static const struct loom_protocol cli_protos[] = {
	{ "cli", cli_cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* one request, its info on this frame only */
static void
start(const char *path, const char *proxy, const char *iface, unsigned int timeout_ms,
      unsigned int dns_flags, struct cli *c)
{
	struct loom_client_connect_info ci;
	char s_proxy[64], s_iface[32];

	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = cvh;
	ci.address = "127.0.0.1";
	ci.port = port_a;
	ci.method = "GET";
	ci.path = path;
	ci.flags = LOOM_CONNECT_FOLLOW_REDIRECTS;
	ci.proxy = proxy ? strcpy(s_proxy, proxy) : NULL;	/* the context reads no env */
	ci.iface = iface ? strcpy(s_iface, iface) : NULL;
	ci.timeout_ms = timeout_ms;
	ci.dns_flags = dns_flags;
	ci.opaque_user_data = c;
	LT_CHECK(loom_client_connect(&ci) != NULL);
	/* nothing of the info outlives the call */
	memset(s_proxy, 0, sizeof(s_proxy));
	memset(s_iface, 0, sizeof(s_iface));
	memset(&ci, 0, sizeof(ci));
}

/* one request; runs until it closed (or 10 s) */
static loom_usec_t
request(const char *path, const char *proxy, const char *iface, unsigned int timeout_ms,
	unsigned int dns_flags, struct cli *c)
{
	loom_usec_t t0 = loom_now_usecs();

	start(path, proxy, iface, timeout_ms, dns_flags, c);
	while (!c->closed && loom_now_usecs() - t0 < (loom_usec_t)10000000)
		loom_service(ctx, 20);
	proxy_read(200);

	return c->closed ? c->end - t0 : 0;
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct cli c, c2;
	char proxy[64], line[96];
	loom_usec_t us;

	if (argc < 2) {
		fprintf(stderr, "usage: %s connect-proxy.py\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	LT_CHECK_EQ(proxy_start(argv[1]), 0);
	if (proxy_port <= 0) {
		fprintf(stderr, "the proxy did not start\n");
		proxy_stop();
		return lt_result("api-test-http-client-redirect");
	}
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", proxy_port);
	loom_set_log_level(LOOM_LL_ERR, NULL);

	memset(&info, 0, sizeof(info));
	info.timeout_secs = 6;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	memset(&vi, 0, sizeof(vi));
	vi.iface = "127.0.0.1";
	vi.options = LOOM_VHOST_OPT_IPV4_ONLY;
	vi.protocols = srv_protos;
	vi.name = "a";
	va = ctx ? loom_create_vhost(ctx, &vi) : NULL;
	vi.name = "b";
	vb = ctx ? loom_create_vhost(ctx, &vi) : NULL;
	memset(&vi, 0, sizeof(vi));
	vi.name = "cli";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = cli_protos;
	cvh = ctx ? loom_create_vhost(ctx, &vi) : NULL;
	LT_CHECK(va && vb && cvh);
	if (!va || !vb || !cvh) {
		if (ctx)
			loom_context_destroy(ctx);
		proxy_stop();
		return lt_result("api-test-http-client-redirect");
	}
	port_a = loom_vhost_port(va);
	port_b = loom_vhost_port(vb);

	/* 1: A /rel -> A /start -> B /next, every hop through the proxy from 127.0.0.2 */
	memset(&c, 0, sizeof(c));
	request("/rel", proxy, "127.0.0.2", 0, 0, &c);
	printf("proxy and iface: status %d, body %.*s\n%s", c.status, (int)c.body_len,
	       c.body, plog);
	LT_CHECK(c.complete && !c.failed && c.status == 200);
	LT_CHECK(c.body_len == 6 && !memcmp(c.body, "from B", 6));
	LT_CHECK_EQ(b_next.requests, 1);
	snprintf(line, sizeof(line), "CONNECT 127.0.0.1:%d from 127.0.0.2\n", port_a);
	LT_CHECK_EQ(plog_count(line), 2);
	snprintf(line, sizeof(line), "CONNECT 127.0.0.1:%d from 127.0.0.2\n", port_b);
	LT_CHECK_EQ(plog_count(line), 1);
	LT_CHECK_EQ(plog_count("CONNECT "), 3);

	/* 2: the redirect's connect times out by the caller's 700 ms, not the 6 s */
	plog_len = 0;
	plog[0] = '\0';
	memset(&c, 0, sizeof(c));
	us = request("/stall", proxy, NULL, 700, 0, &c);
	printf("timeout: failed %d after %llu ms\n%s", c.failed,
	       (unsigned long long)(us / 1000), plog);
	LT_CHECK(c.failed);
	LT_CHECK_EQ(plog_count("CONNECT stall.invalid:81 from 127.0.0.1\n"), 1);
	LT_CHECK(us >= 600000 && us < 3000000);

#if defined(LT_WITH_DNS)
	/* 3: direct, IPv6 only: x.localhost is ::1 then, where B does not listen */
	memset(&c, 0, sizeof(c));
	request("/v6", NULL, NULL, 0, LOOM_DNS_IPV6, &c);
	printf("dns_flags: failed %d, status %d, B /next requests %d\n", c.failed,
	       c.status, b_next.requests);
	LT_CHECK(c.failed);
	LT_CHECK_EQ(b_next.requests, 1);	/* not reached over IPv4 */
#endif

	/* 4: credentials to A and its same-origin redirect, not to B */
	memset(&c, 0, sizeof(c));
	c.creds = 1;
	request("/auth", NULL, NULL, 0, 0, &c);
	printf("credentials: status %d; A /auth auth %d cookie %d other %d; A /auth2 "
	       "auth %d cookie %d other %d; B /auth3 auth %d cookie %d other %d\n",
	       c.status, a_auth.auth, a_auth.cookie, a_auth.other, a_auth2.auth,
	       a_auth2.cookie, a_auth2.other, b_auth3.auth, b_auth3.cookie,
	       b_auth3.other);
	LT_CHECK(c.complete && c.status == 200);
	LT_CHECK(a_auth.requests == 1 && a_auth.auth == 1 && a_auth.cookie == 1 &&
		 a_auth.other == 1);
	LT_CHECK(a_auth2.requests == 1 && a_auth2.auth == 1 && a_auth2.cookie == 1 &&
		 a_auth2.other == 1);
	LT_CHECK_EQ(b_auth3.requests, 1);
	LT_CHECK_EQ(b_auth3.auth, 0);
	LT_CHECK_EQ(b_auth3.cookie, 0);
	LT_CHECK_EQ(b_auth3.other, 1);

	/* 5: the second request queues behind the first, which is dropped: it
	 * connects again by itself, from 127.0.0.2 still */
	memset(&c, 0, sizeof(c));
	memset(&c2, 0, sizeof(c2));
	start("/drop", NULL, "127.0.0.2", 0, 0, &c);
	request("/who", NULL, "127.0.0.2", 0, 0, &c2);
	printf("restart: first failed %d; second status %d, from %.*s\n", c.failed,
	       c2.status, (int)c2.body_len, c2.body);
	LT_CHECK(c.closed && !c.complete);
	LT_CHECK(c2.complete && c2.status == 200);
	LT_CHECK(c2.body_len > 10 && !memcmp(c2.body, "127.0.0.2:", 10));

	loom_context_destroy(ctx);
	proxy_stop();

	return lt_result("api-test-http-client-redirect");
}
