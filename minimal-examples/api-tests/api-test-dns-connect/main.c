/*
 * api-test-dns-connect: client connects to names. Run under with-dnsmasq.py and
 * with-proxies.py. A name from DNS; IPv6 refused then IPv4 (interleaved); NXDOMAIN
 * reported once as a CONNECTION_ERROR; a black-holed first address overtaken after
 * 250 ms; the per-address timeout; SO_BINDTODEVICE; HTTP CONNECT and SOCKS5 proxies
 * (with and without auth, refusals, from the environment, no_proxy); and context
 * destroy while a conn waits on DNS.
 */
#include <loom.h>
#include "loom-test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct cstate {
	int connected, conn_errors, closes, echoed;
	int local_port;
	long long t_start, t_end;
	char reason[200];
	char rx[64];
	size_t rx_len;
};

static int srv_last_peer_port;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
sock_port(int fd, int local)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if ((local ? getsockname(fd, (struct sockaddr *)&ss, &sl) :
		     getpeername(fd, (struct sockaddr *)&ss, &sl)))
		return -1;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
					       ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int
cb_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	unsigned char buf[LOOM_PRE + 256];

	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		srv_last_peer_port = sock_port(loom_get_fd(conn), 0);
		break;
	case LOOM_CB_RAW_RX:
		if (len > 256)
			len = 256;
		memcpy(buf + LOOM_PRE, in, len);
		if (loom_write(conn, buf + LOOM_PRE, len, LOOM_WRITE_RAW) < 0)
			return -1;
		break;
	default:
		break;
	}

	return 0;
}

static int
cb_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct cstate *c = conn ? loom_get_opaque_user_data(conn) : NULL;
	unsigned char buf[LOOM_PRE + 8];

	if (!c)
		return 0;
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		c->conn_errors++;
		c->t_end = now_ms();
		snprintf(c->reason, sizeof(c->reason), "%.*s", (int)len,
			 in ? (const char *)in : "");
		break;
	case LOOM_CB_RAW_CONNECTED:
		c->connected++;
		c->local_port = sock_port(loom_get_fd(conn), 1);
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		memcpy(buf + LOOM_PRE, "hello", 5);
		if (loom_write(conn, buf + LOOM_PRE, 5, LOOM_WRITE_RAW) < 0)
			return -1;
		break;
	case LOOM_CB_RAW_RX:
		if (c->rx_len + len < sizeof(c->rx)) {
			memcpy(c->rx + c->rx_len, in, len);
			c->rx_len += len;
		}
		if (c->rx_len == 5 && !memcmp(c->rx, "hello", 5)) {
			c->echoed = 1;
			return -1;	/* done */
		}
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

static struct loom_context *ctx;
static struct loom_vhost *cvh;
static int port;

static struct loom_conn *
start(const char *address, int p, const char *proxy, struct cstate *c,
      unsigned int addr_timeout_ms, const char *iface_name)
{
	struct loom_client_connect_info cc;

	memset(c, 0, sizeof(*c));
	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = cvh;
	cc.address = address;
	cc.port = p;
	cc.flags = LOOM_CONNECT_RAW;
	cc.proxy = proxy;
	cc.addr_timeout_ms = addr_timeout_ms;
	cc.iface_name = iface_name;
	cc.opaque_user_data = c;
	c->t_start = now_ms();

	return loom_client_connect(&cc);
}

static void
run(struct loom_context *cx, struct cstate *c, int ms)
{
	long long end = now_ms() + ms;

	while (now_ms() < end && !c->t_end)
		loom_service(cx, 5);
	end = now_ms() + 30;
	while (now_ms() < end)
		loom_service(cx, 5);
	fprintf(stderr, "  -> connected %d echoed %d errors %d \"%s\" in %lld ms\n",
		c->connected, c->echoed, c->conn_errors, c->reason, c->t_end - c->t_start);
}

/* connected, echoed, closed once, and (through a proxy) not from our own port */
static void
check_echo(struct cstate *c, int via_proxy)
{
	LT_CHECK_EQ(c->connected, 1);
	LT_CHECK_EQ(c->echoed, 1);
	LT_CHECK_EQ(c->conn_errors, 0);
	LT_CHECK_EQ(c->closes, 1);
	if (via_proxy)
		LT_CHECK(c->local_port != srv_last_peer_port);
	else
		LT_CHECK_EQ(c->local_port, srv_last_peer_port);
}

static void
check_error(struct cstate *c, const char *want)
{
	LT_CHECK_EQ(c->conn_errors, 1);
	LT_CHECK_EQ(c->connected, 0);
	LT_CHECK_EQ(c->closes, 0);
	if (!strstr(c->reason, want)) {
		fprintf(stderr, "reason \"%s\" lacks \"%s\"\n", c->reason, want);
		LT_CHECK(0);
	}
}

static void
test_dns_names(void)
{
	static struct cstate c;

	fprintf(stderr, "name from DNS\n");
	LT_CHECK(start("local.loom.test", port, NULL, &c, 0, NULL) != NULL);
	run(ctx, &c, 3000);
	check_echo(&c, 0);

	fprintf(stderr, "::1 refuses, 127.0.0.1 serves\n");
	LT_CHECK(start("he.loom.test", port, NULL, &c, 0, NULL) != NULL);
	run(ctx, &c, 3000);
	check_echo(&c, 0);
	LT_CHECK(c.t_end - c.t_start < 240);	/* a refusal moves on at once */

	fprintf(stderr, "NXDOMAIN\n");
	LT_CHECK(start("example.invalid", port, NULL, &c, 0, NULL) != NULL);
	run(ctx, &c, 3000);
	check_error(&c, "dns: NXDOMAIN for example.invalid");

	fprintf(stderr, "every address refuses\n");
	LT_CHECK(start("he.loom.test", 1, NULL, &c, 0, NULL) != NULL);
	run(ctx, &c, 3000);
	check_error(&c, "connect failed: Connection refused");

	fprintf(stderr, "bound to interface lo\n");
	LT_CHECK(start("local.loom.test", port, NULL, &c, 0, "lo") != NULL);
	run(ctx, &c, 3000);
	check_echo(&c, 0);
	LT_CHECK(start("local.loom.test", port, NULL, &c, 0, "nosuchif0") != NULL);
	run(ctx, &c, 3000);
	check_error(&c, "connect failed");
}

/* 127.0.0.3:port accepts nothing (full backlog); 127.0.0.1:port serves */
static void
test_black_hole(void)
{
	static struct cstate c;
	struct sockaddr_in sa;
	int lfd, fill[8], n = 0, pending = 0, i;
	long long d;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(0x7f000003);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 0)) {
		LT_CHECK(!"black hole listener");
		return;
	}
	while (n < 8 && !pending) {
		struct pollfd pf;

		fill[n] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
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
		fprintf(stderr, "note: cannot fill a listen queue here: black hole part "
			"skipped\n");
	} else {
		fprintf(stderr, "first address black-holed\n");
		LT_CHECK(start("loom-bh", port, NULL, &c, 0, NULL) != NULL);
		run(ctx, &c, 3000);
		check_echo(&c, 0);
		d = c.t_end - c.t_start;
		LT_CHECK(d >= 240 && d < 1500);

		fprintf(stderr, "per-address timeout\n");
		LT_CHECK(start("loom-bh-only", port, NULL, &c, 300, NULL) != NULL);
		run(ctx, &c, 3000);
		check_error(&c, "timed out");
		d = c.t_end - c.t_start;
		LT_CHECK(d >= 290 && d < 1500);
	}
	for (i = 0; i < n; i++)
		close(fill[i]);
	close(lfd);
}

static void
test_proxies(void)
{
	const char *hp = getenv("LOOM_TEST_HTTP_PROXY"), *sp = getenv("LOOM_TEST_SOCKS_PROXY");
	const char *hpa = getenv("LOOM_TEST_HTTP_PROXY_AUTH");
	const char *spa = getenv("LOOM_TEST_SOCKS_PROXY_AUTH");
	static struct cstate c;
	char url[128];

	if (!hp || !sp || !hpa || !spa) {
		LT_CHECK(!"run under with-proxies.py");
		return;
	}
	fprintf(stderr, "HTTP CONNECT\n");
	snprintf(url, sizeof(url), "http://%s", hp);
	LT_CHECK(start("127.0.0.1", port, url, &c, 0, NULL) != NULL);
	run(ctx, &c, 5000);
	check_echo(&c, 1);
	fprintf(stderr, "HTTP CONNECT to a name the proxy resolves\n");
	LT_CHECK(start("localhost", port, url, &c, 0, NULL) != NULL);
	run(ctx, &c, 5000);
	check_echo(&c, 1);
	fprintf(stderr, "HTTP CONNECT, target refuses\n");
	LT_CHECK(start("127.0.0.1", 1, url, &c, 0, NULL) != NULL);
	run(ctx, &c, 5000);
	check_error(&c, "proxy: HTTP/1.1 502");
	fprintf(stderr, "HTTP CONNECT with auth\n");
	snprintf(url, sizeof(url), "http://user:secret@%s", hpa);
	LT_CHECK(start("127.0.0.1", port, url, &c, 0, NULL) != NULL);
	run(ctx, &c, 5000);
	check_echo(&c, 1);
	snprintf(url, sizeof(url), "http://user:wrong@%s", hpa);
	LT_CHECK(start("127.0.0.1", port, url, &c, 0, NULL) != NULL);
	run(ctx, &c, 5000);
	check_error(&c, "proxy: HTTP/1.1 407");

	fprintf(stderr, "SOCKS5\n");
	snprintf(url, sizeof(url), "socks5://%s", sp);
	LT_CHECK(start("127.0.0.1", port, url, &c, 0, NULL) != NULL);
	run(ctx, &c, 5000);
	check_echo(&c, 1);
	fprintf(stderr, "SOCKS5 to a name the proxy resolves\n");
	LT_CHECK(start("localhost", port, url, &c, 0, NULL) != NULL);
	run(ctx, &c, 5000);
	check_echo(&c, 1);
	fprintf(stderr, "SOCKS5, target refuses\n");
	LT_CHECK(start("127.0.0.1", 1, url, &c, 0, NULL) != NULL);
	run(ctx, &c, 5000);
	check_error(&c, "proxy: socks5: connection refused");
	fprintf(stderr, "SOCKS5 with auth\n");
	snprintf(url, sizeof(url), "socks5://user:secret@%s", spa);
	LT_CHECK(start("127.0.0.1", port, url, &c, 0, NULL) != NULL);
	run(ctx, &c, 5000);
	check_echo(&c, 1);
	snprintf(url, sizeof(url), "socks5://user:wrong@%s", spa);
	LT_CHECK(start("127.0.0.1", port, url, &c, 0, NULL) != NULL);
	run(ctx, &c, 5000);
	check_error(&c, "proxy: socks5: authentication refused");

	fprintf(stderr, "a proxy that is not there\n");
	LT_CHECK(start("127.0.0.1", port, "http://127.0.0.1:1", &c, 0, NULL) != NULL);
	run(ctx, &c, 5000);
	check_error(&c, "connect failed");
	LT_CHECK(start("127.0.0.1", port, "ftp://127.0.0.1:1", &c, 0, NULL) == NULL);
}

/* http_proxy from the environment, and no_proxy */
static void
test_proxy_env(const char *ns, const char *hosts)
{
	const char *servers[] = { ns, NULL };
	struct loom_context_info ci;
	struct loom_vhost_info vi;
	struct loom_context *save_ctx = ctx;
	struct loom_vhost *save_cvh = cvh, *srv;
	static struct cstate c;
	char url[128];
	int save_port;

	snprintf(url, sizeof(url), "http://%s", getenv("LOOM_TEST_HTTP_PROXY"));
	setenv("http_proxy", url, 1);
	setenv("no_proxy", "example.com, .loom.test", 1);
	memset(&ci, 0, sizeof(ci));
	ci.nameservers = servers;
	ci.hosts_file = hosts;
	ci.proxy_from_env = 1;
	ctx = loom_create_context(&ci);
	if (!ctx)
		return;
	/* this context serves its own echo listener */
	memset(&vi, 0, sizeof(vi));
	vi.name = "server2";
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.iface = "127.0.0.1";
	vi.protocols = srv_protocols;
	srv = loom_create_vhost(ctx, &vi);
	save_port = port;
	port = srv ? loom_vhost_port(srv) : -1;
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = cli_protocols;
	cvh = loom_create_vhost(ctx, &vi);
	LT_CHECK(ctx && cvh && srv);
	fprintf(stderr, "proxy from http_proxy\n");
	LT_CHECK(start("127.0.0.1", port, NULL, &c, 0, NULL) != NULL);
	run(ctx, &c, 5000);
	check_echo(&c, 1);
	fprintf(stderr, "no_proxy matches a subdomain: direct\n");
	LT_CHECK(start("local.loom.test", port, NULL, &c, 0, NULL) != NULL);
	run(ctx, &c, 5000);
	check_echo(&c, 0);
	fprintf(stderr, "\"\" is never a proxy\n");
	LT_CHECK(start("127.0.0.1", port, "", &c, 0, NULL) != NULL);
	run(ctx, &c, 5000);
	check_echo(&c, 0);
	loom_context_destroy(ctx);
	port = save_port;
	unsetenv("http_proxy");
	unsetenv("no_proxy");
	ctx = save_ctx;
	cvh = save_cvh;
}

/* a conn waiting on DNS when its context goes: CONNECTION_ERROR once */
static void
test_destroy_waiting(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char dead[32];
	const char *servers[] = { dead, NULL };
	struct loom_context_info ci;
	struct loom_vhost_info vi;
	struct loom_context *save_ctx = ctx;
	struct loom_vhost *save_cvh = cvh;
	static struct cstate c;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	LT_CHECK(fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
		 !getsockname(fd, (struct sockaddr *)&sa, &sl));
	snprintf(dead, sizeof(dead), "127.0.0.1:%d", ntohs(sa.sin_port));
	memset(&ci, 0, sizeof(ci));
	ci.nameservers = servers;
	ci.hosts_file = "/dev/null";
	ctx = loom_create_context(&ci);
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = cli_protocols;
	cvh = loom_create_vhost(ctx, &vi);
	LT_CHECK(start("slow.loom.test", port, NULL, &c, 0, NULL) != NULL);
	loom_service(ctx, 20);
	loom_context_destroy(ctx);
	LT_CHECK_EQ(c.conn_errors, 1);
	LT_CHECK_EQ(c.connected + c.closes, 0);
	fprintf(stderr, "destroy while resolving: \"%s\"\n", c.reason);
	close(fd);
	ctx = save_ctx;
	cvh = save_cvh;
}

int
main(void)
{
	char hosts[] = "/tmp/loom-api-test-dns-connect-XXXXXX";
	static const char hosts_text[] = "127.0.0.3 loom-bh\n127.0.0.1 loom-bh\n"
					 "127.0.0.3 loom-bh-only\n";
	const char *ns = getenv("LOOM_TEST_DNS");
	const char *servers[] = { ns, NULL };
	struct loom_context_info ci;
	struct loom_vhost_info vi;
	struct loom_vhost *vh;
	int fd;

	if (!ns) {
		fprintf(stderr, "run me under test-apps/interop/dns/with-dnsmasq.py\n");
		return 1;
	}
	fd = mkstemp(hosts);
	LT_CHECK(fd >= 0 && write(fd, hosts_text, sizeof(hosts_text) - 1) ==
				    (ssize_t)sizeof(hosts_text) - 1);
	close(fd);
	memset(&ci, 0, sizeof(ci));
	ci.nameservers = servers;
	ci.hosts_file = hosts;
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return 1;
	memset(&vi, 0, sizeof(vi));
	vi.name = "server";
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.iface = "127.0.0.1";
	vi.protocols = srv_protocols;
	vh = loom_create_vhost(ctx, &vi);
	port = vh ? loom_vhost_port(vh) : -1;
	memset(&vi, 0, sizeof(vi));
	vi.name = "client";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = cli_protocols;
	cvh = loom_create_vhost(ctx, &vi);
	LT_CHECK(vh && cvh && port > 0);
	if (vh && cvh) {
		test_dns_names();
		test_black_hole();
		test_proxies();
		test_destroy_waiting();
		test_proxy_env(ns, hosts);
	}
	loom_context_destroy(ctx);
	unlink(hosts);

	return lt_result("api-test-dns-connect");
}
