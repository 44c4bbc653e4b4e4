/*
 * api-test-dns-resolve: loom_dns_lookup() against dnsmasq (started by
 * with-dnsmasq.py, LOOM_TEST_DNS=ip:port): A, AAAA, both, a CNAME chain, NXDOMAIN,
 * a truncated answer retried over TCP, a server that never answers before one
 * that does, spoofed answers from an in-test server, the cache, cancel, the hosts
 * file first, and lookups still running when the context is destroyed.
 */
#include <loom.h>
#include "loom-test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct res {
	int calls;
	enum loom_dns_status status;
	unsigned int count;
	char addrs[8][48];
	char canonical[256];
	char reason[300];
};

static int saw_tcp, saw_ignored;

static void
log_hook(int level, const char *line)
{
	if (strstr(line, "over TCP"))
		saw_tcp++;
	if (strstr(line, "ignored"))
		saw_ignored++;
	loom_log_emit_stderr(level, line);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
cb(struct loom_context *ctx, void *user, const struct loom_dns_result *r)
{
	struct res *res = user;
	unsigned int n;

	res->calls++;
	res->status = r->status;
	res->count = r->count;
	for (n = 0; n < r->count && n < 8; n++)
		inet_ntop(r->addrs[n].family == 4 ? AF_INET : AF_INET6, r->addrs[n].addr,
			  res->addrs[n], sizeof(res->addrs[n]));
	snprintf(res->canonical, sizeof(res->canonical), "%s", r->canonical);
	snprintf(res->reason, sizeof(res->reason), "%s", r->reason);
}

/* an in-test server served between loom_service() calls */
static int fake_fd = -1, fake_other_fd = -1;

static void fake_serve(void);

static long long
resolve(struct loom_context *ctx, const char *name, unsigned int flags, struct res *r,
	int max_ms)
{
	long long t0 = now_ms(), end = t0 + max_ms;

	memset(r, 0, sizeof(*r));
	LT_CHECK(loom_dns_lookup(ctx, 0, name, flags, cb, r) != NULL);
	while (!r->calls && now_ms() < end) {
		loom_service(ctx, 5);
		fake_serve();
	}
	fprintf(stderr, "%s: %s (%u) %s canonical %s in %lld ms\n", name, r->reason,
		r->count, r->count ? r->addrs[0] : "-", r->canonical, now_ms() - t0);

	return now_ms() - t0;
}

static struct loom_context *
mkctx(const char *const *ns, unsigned int timeout_ms, const char *hosts)
{
	struct loom_context_info ci;

	memset(&ci, 0, sizeof(ci));
	ci.nameservers = ns;
	ci.dns_timeout_ms = timeout_ms;
	ci.dns_attempts = 1;
	ci.hosts_file = hosts ? hosts : "/dev/null";

	return loom_create_context(&ci);
}

static int
udp_socket(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl))
		return -1;
	*port = ntohs(sa.sin_port);

	return fd;
}

/* an answer to query q (ql bytes) with one A record, or none for other types */
static size_t
answer(uint8_t *out, const uint8_t *q, size_t ql, const uint8_t *a4)
{
	size_t n = ql;

	memcpy(out, q, ql);
	out[2] = 0x81;
	out[3] = 0x80;
	if (!a4)
		return n;
	out[7] = 1;
	memcpy(out + n, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04", 12);
	memcpy(out + n + 12, a4, 4);

	return n + 16;
}

static void
fake_serve(void)
{
	uint8_t q[512], o[600];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	size_t l;

	if (fake_fd < 0)
		return;
	n = recvfrom(fake_fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
	if (n < 17)
		return;
	if (q[n - 3] != 1) {
		/* AAAA: an honest "no data" */
		l = answer(o, q, (size_t)n, NULL);
		sendto(fake_fd, o, l, 0, (struct sockaddr *)&from, fl);
		return;
	}
	/* wrong id */
	l = answer(o, q, (size_t)n, (const uint8_t *)"\x06\x06\x06\x01");
	o[0] ^= 0x5a;
	sendto(fake_fd, o, l, 0, (struct sockaddr *)&from, fl);
	/* right id, another name */
	l = answer(o, q, (size_t)n, (const uint8_t *)"\x06\x06\x06\x02");
	o[13] ^= 0x01;
	sendto(fake_fd, o, l, 0, (struct sockaddr *)&from, fl);
	/* right id and name, another type in the question */
	l = answer(o, q, (size_t)n, (const uint8_t *)"\x06\x06\x06\x03");
	o[n - 3] = 28;
	sendto(fake_fd, o, l, 0, (struct sockaddr *)&from, fl);
	/* all right, but from another port */
	l = answer(o, q, (size_t)n, (const uint8_t *)"\x06\x06\x06\x04");
	sendto(fake_other_fd, o, l, 0, (struct sockaddr *)&from, fl);
	/* a reply, not an answer (QR clear) */
	l = answer(o, q, (size_t)n, (const uint8_t *)"\x06\x06\x06\x05");
	o[2] = 0x01;
	sendto(fake_fd, o, l, 0, (struct sockaddr *)&from, fl);
	/* the real one, last */
	l = answer(o, q, (size_t)n, (const uint8_t *)"\x01\x02\x03\x04");
	sendto(fake_fd, o, l, 0, (struct sockaddr *)&from, fl);
}

static void
test_dnsmasq(const char *ns)
{
	const char *servers[] = { ns, NULL };
	struct loom_context *ctx = mkctx(servers, 2000, NULL);
	struct res r;

	LT_CHECK(ctx != NULL);
	if (!ctx)
		return;
	resolve(ctx, "a.loom.test", 0, &r, 5000);
	LT_CHECK_EQ(r.calls, 1);
	LT_CHECK_EQ(r.status, LOOM_DNS_OK);
	LT_CHECK_EQ(r.count, 1);
	LT_CHECK(!strcmp(r.addrs[0], "192.0.2.1"));

	resolve(ctx, "v6.loom.test", LOOM_DNS_IPV6, &r, 5000);
	LT_CHECK_EQ(r.status, LOOM_DNS_OK);
	LT_CHECK(!strcmp(r.addrs[0], "2001:db8::1"));

	resolve(ctx, "BOTH.loom.test", 0, &r, 5000);
	LT_CHECK_EQ(r.count, 2);
	LT_CHECK(!strcmp(r.addrs[0], "2001:db8::10"));	/* IPv6 first */
	LT_CHECK(!strcmp(r.addrs[1], "192.0.2.10"));

	resolve(ctx, "www.loom.test", LOOM_DNS_IPV4, &r, 5000);
	LT_CHECK_EQ(r.status, LOOM_DNS_OK);
	LT_CHECK(!strcmp(r.addrs[0], "192.0.2.1"));
	LT_CHECK(!strcmp(r.canonical, "a.loom.test"));

	resolve(ctx, "nope.loom.test", 0, &r, 5000);
	LT_CHECK_EQ(r.calls, 1);
	LT_CHECK_EQ(r.status, LOOM_DNS_NXDOMAIN);
	LT_CHECK(!strcmp(r.reason, "NXDOMAIN for nope.loom.test"));

	resolve(ctx, "v6.loom.test", LOOM_DNS_IPV4, &r, 5000);
	LT_CHECK_EQ(r.status, LOOM_DNS_NODATA);

	saw_tcp = 0;
	resolve(ctx, "big.loom.test", LOOM_DNS_IPV4, &r, 5000);
	LT_CHECK_EQ(r.status, LOOM_DNS_OK);
	LT_CHECK_EQ(r.count, 16);	/* the most kept; 30 came in the truncated UDP */
	LT_CHECK_EQ(saw_tcp, 1);

	resolve(ctx, "bad name!", 0, &r, 1000);
	LT_CHECK_EQ(r.status, LOOM_DNS_BAD_NAME);
	resolve(ctx, "192.0.2.77", 0, &r, 1000);
	LT_CHECK_EQ(r.status, LOOM_DNS_OK);
	LT_CHECK(!strcmp(r.addrs[0], "192.0.2.77"));
	resolve(ctx, "localhost", LOOM_DNS_IPV4, &r, 1000);
	LT_CHECK(!strcmp(r.addrs[0], "127.0.0.1"));

	/* cancel: the callback never comes */
	{
		struct res c;
		struct loom_dns_lookup *lk;
		long long end = now_ms() + 300;

		memset(&c, 0, sizeof(c));
		lk = loom_dns_lookup(ctx, 0, "both.loom.test", LOOM_DNS_NO_CACHE, cb, &c);
		LT_CHECK(lk != NULL);
		loom_dns_lookup_cancel(lk);
		while (now_ms() < end)
			loom_service(ctx, 5);
		LT_CHECK_EQ(c.calls, 0);
	}
	/* destroyed while running: called back once, cancelled */
	{
		static struct res d;

		LT_CHECK(loom_dns_lookup(ctx, 0, "a.loom.test", LOOM_DNS_NO_CACHE, cb, &d)
			 != NULL);
		loom_context_destroy(ctx);
		LT_CHECK_EQ(d.calls, 1);
		LT_CHECK_EQ(d.status, LOOM_DNS_CANCELLED);
	}
}

/* the first server never answers: its timeout, then the second; then the cache */
static void
test_dead_first(const char *ns)
{
	int port, fd = udp_socket(&port);
	char dead[32];
	const char *servers[] = { dead, ns, NULL };
	struct loom_context *ctx;
	struct res r;
	long long t;

	snprintf(dead, sizeof(dead), "127.0.0.1:%d", port);
	ctx = mkctx(servers, 300, NULL);
	LT_CHECK(fd >= 0 && ctx != NULL);
	if (!ctx)
		return;
	t = resolve(ctx, "a.loom.test", LOOM_DNS_IPV4, &r, 5000);
	LT_CHECK_EQ(r.status, LOOM_DNS_OK);
	LT_CHECK(!strcmp(r.addrs[0], "192.0.2.1"));
	LT_CHECK(t >= 290 && t < 1500);
	/* the cache answers now, without the slow server */
	t = resolve(ctx, "a.loom.test", LOOM_DNS_IPV4, &r, 5000);
	LT_CHECK_EQ(r.status, LOOM_DNS_OK);
	LT_CHECK(t < 100);
	loom_dns_cache_flush(ctx);
	t = resolve(ctx, "a.loom.test", LOOM_DNS_IPV4, &r, 5000);
	LT_CHECK(t >= 290);
	loom_context_destroy(ctx);

	/* only the dead one: a timeout, reported once */
	servers[1] = NULL;
	ctx = mkctx(servers, 200, NULL);
	t = resolve(ctx, "a.loom.test", 0, &r, 5000);
	LT_CHECK_EQ(r.calls, 1);
	LT_CHECK_EQ(r.status, LOOM_DNS_TIMEOUT);
	LT_CHECK(!strcmp(r.reason, "timeout for a.loom.test"));
	LT_CHECK(t >= 190 && t < 1500);
	loom_context_destroy(ctx);
	close(fd);
}

static void
test_spoofed(void)
{
	int port, oport;
	char fake[32];
	const char *servers[] = { fake, NULL };
	struct loom_context *ctx;
	struct res r;

	fake_fd = udp_socket(&port);
	fake_other_fd = udp_socket(&oport);
	snprintf(fake, sizeof(fake), "127.0.0.1:%d", port);
	ctx = mkctx(servers, 2000, NULL);
	LT_CHECK(ctx && fake_fd >= 0 && fake_other_fd >= 0);
	if (!ctx)
		return;
	saw_ignored = 0;
	resolve(ctx, "spoof.loom.test", LOOM_DNS_IPV4, &r, 5000);
	LT_CHECK_EQ(r.status, LOOM_DNS_OK);
	LT_CHECK_EQ(r.count, 1);
	LT_CHECK(!strcmp(r.addrs[0], "1.2.3.4"));
	fprintf(stderr, "spoofed answers ignored: %d\n", saw_ignored);
	LT_CHECK(saw_ignored >= 3);
	loom_context_destroy(ctx);
	close(fake_fd);
	close(fake_other_fd);
	fake_fd = fake_other_fd = -1;
}

static void
test_hosts_first(const char *ns)
{
	char hosts[] = "/tmp/loom-api-test-dns-hosts-XXXXXX";
	static const char text[] = "192.0.2.99 a.loom.test\n";
	const char *servers[] = { ns, NULL };
	struct loom_context *ctx;
	struct res r;
	int fd = mkstemp(hosts);

	LT_CHECK(fd >= 0 && write(fd, text, sizeof(text) - 1) == sizeof(text) - 1);
	close(fd);
	ctx = mkctx(servers, 2000, hosts);
	resolve(ctx, "a.loom.test", 0, &r, 5000);
	LT_CHECK_EQ(r.count, 1);
	LT_CHECK(!strcmp(r.addrs[0], "192.0.2.99"));
	resolve(ctx, "a.loom.test", LOOM_DNS_NO_HOSTS, &r, 5000);
	LT_CHECK(!strcmp(r.addrs[0], "192.0.2.1"));
	loom_context_destroy(ctx);
	unlink(hosts);
}

int
main(void)
{
	const char *ns = getenv("LOOM_TEST_DNS");

	if (!ns) {
		fprintf(stderr, "run me under test-apps/interop/dns/with-dnsmasq.py\n");
		return 1;
	}
	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN | LOOM_LL_INFO, log_hook);
	test_dnsmasq(ns);
	test_dead_first(ns);
	test_spoofed();
	test_hosts_first(ns);

	return lt_result("api-test-dns-resolve");
}
