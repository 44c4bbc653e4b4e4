/*
 * lwip-loopback-test: Loom on the lwIP platform (LOOM_PLAT=lwip) inside one
 * process: lwIP's stack runs on its own thread with one netif at 127.0.0.1 that
 * loops back to itself, and Loom's server and client talk through it.
 *   raw:  a raw echo server and a raw client; 200 KB cross both ways in order
 *   h1:   an HTTP/1.1 server and client: a 64 KB body, then requests that share
 *         one kept-alive connection
 *   idle: a connected raw pair left idle through 300 loop passes allocates
 *         nothing (a counting allocator)
 * It also checks that the listener is lwIP's, not the host kernel's: a kernel
 * connect() to the same port is refused. Built with LOOM_WITH_DNS=OFF, the raw
 * client connects by a name from the hosts file, and a name not there is refused.
 */
#include <loom.h>
#include <loom/plat.h>
#include "loom-test.h"

#include <lwip/opt.h>
#include <lwip/tcpip.h>
#include <lwip/netif.h>
#include <lwip/sys.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

static struct netif lo_netif;

/* nothing leaves the process: every packet is for our own address and lwIP
 * loops it back before this is reached */
static err_t
lo_output(struct netif *n, struct pbuf *p, const ip4_addr_t *a)
{
	(void)n;
	(void)p;
	(void)a;
	return ERR_OK;
}

static err_t
lo_init(struct netif *n)
{
	n->output = lo_output;
	n->mtu = 1500;
	n->name[0] = 'l';
	n->name[1] = 'b';
	return ERR_OK;
}

static void
tcpip_up(void *arg)
{
	sys_sem_signal((sys_sem_t *)arg);
}

static void
lwip_start(void)
{
	ip4_addr_t ip, mask, gw;
	sys_sem_t sem;

	sys_sem_new(&sem, 0);
	tcpip_init(tcpip_up, &sem);
	sys_sem_wait(&sem);
	sys_sem_free(&sem);
	IP4_ADDR(&ip, 127, 0, 0, 1);
	IP4_ADDR(&mask, 255, 0, 0, 0);
	IP4_ADDR(&gw, 0, 0, 0, 0);
	LOCK_TCPIP_CORE();
	netif_add(&lo_netif, &ip, &mask, &gw, NULL, lo_init, tcpip_input);
	netif_set_default(&lo_netif);
	netif_set_link_up(&lo_netif);
	netif_set_up(&lo_netif);
	UNLOCK_TCPIP_CORE();
}

static int
host_random(void *opaque, void *buf, size_t len)
{
	int fd = open("/dev/urandom", O_RDONLY), ok;

	(void)opaque;
	if (fd < 0)
		return -1;
	ok = read(fd, buf, len) == (ssize_t)len;
	close(fd);

	return ok ? 0 : -1;
}

/* every allocation Loom makes goes through here: counted */
static unsigned long allocs;

static void *
counting_realloc(void *ptr, size_t size, const char *reason)
{
	(void)reason;
	if (!size) {
		free(ptr);
		return NULL;
	}
	allocs++;
	return realloc(ptr, size);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint8_t
pat(size_t i)
{
	return (uint8_t)(i * 13 + (i >> 9));
}

/* ---- raw echo ---- */

#define RAW_TOTAL (200 * 1024)

static size_t raw_sent, raw_back, raw_bad;
static int raw_srv_closed, raw_cli_closed, raw_cli_err;
static uint8_t rawbuf[LOOM_PRE + 2048];

static int
cb_raw_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	    void *in, size_t len)
{
	uint8_t b[LOOM_PRE + 4096];

	switch (reason) {
	case LOOM_CB_RAW_RX:
		if (len > sizeof(b) - LOOM_PRE)
			return -1;
		memcpy(b + LOOM_PRE, in, len);
		return loom_write(conn, b + LOOM_PRE, len, LOOM_WRITE_RAW) == (int)len ?
		       0 : -1;
	case LOOM_CB_RAW_CLOSE:
		raw_srv_closed++;
		break;
	default:
		break;
	}

	return 0;
}

static int
cb_raw_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	      void *in, size_t len)
{
	size_t n, i;

	switch (reason) {
	case LOOM_CB_RAW_CONNECTED:
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		raw_cli_err++;
		fprintf(stderr, "raw client: %s\n", in ? (char *)in : "?");
		break;
	case LOOM_CB_RAW_WRITEABLE:
		n = RAW_TOTAL - raw_sent;
		if (n > 2048)
			n = 2048;
		for (i = 0; i < n; i++)
			rawbuf[LOOM_PRE + i] = pat(raw_sent + i);
		if (loom_write(conn, rawbuf + LOOM_PRE, n, LOOM_WRITE_RAW) != (int)n)
			return -1;
		raw_sent += n;
		if (raw_sent < RAW_TOTAL)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_RX:
		for (i = 0; i < len; i++)
			raw_bad += ((uint8_t *)in)[i] != pat(raw_back + i);
		raw_back += len;
		if (raw_back == RAW_TOTAL)
			return -1;	/* all back: close */
		break;
	case LOOM_CB_RAW_CLOSE:
		raw_cli_closed++;
		break;
	default:
		break;
	}

	return 0;
}

/* ---- HTTP/1.1 ---- */

#define BIG_BODY (64 * 1024)

static uint8_t big[BIG_BODY];
static unsigned int h_done, h_fail, h_closed;
static size_t h_got, h_bad;
static char peers[4][64];

struct pss {
	int idx;
};

static int
cb_http_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	       void *in, size_t len)
{
	char who[64];

	if (reason != LOOM_CB_HTTP)
		return 0;
	if (!strcmp((const char *)in, "/big"))
		return loom_http_respond_simple(conn, 200, "application/octet-stream",
						big, sizeof(big));
	loom_get_peer_address(conn, who, sizeof(who));

	return loom_http_respond_simple(conn, 200, "text/plain", who, strlen(who));
}

static int
cb_http_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	       void *in, size_t len)
{
	struct pss *p = user;
	size_t i;

	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		h_fail++;
		fprintf(stderr, "http client: %s\n", in ? (char *)in : "?");
		break;
	case LOOM_CB_RECEIVE_CLIENT_HTTP:
		if (p->idx < 0) {
			for (i = 0; i < len; i++)
				h_bad += h_got + i >= BIG_BODY ||
					 ((uint8_t *)in)[i] != big[h_got + i];
			h_got += len;
		} else if (p->idx < 4 && strlen(peers[p->idx]) + len < sizeof(peers[0]))
			strncat(peers[p->idx], in, len);
		break;
	case LOOM_CB_COMPLETED_CLIENT_HTTP:
		if (loom_http_status(conn) == 200)
			h_done++;
		break;
	case LOOM_CB_CLOSED_CLIENT_HTTP:
		h_closed++;
		break;
	default:
		break;
	}

	return 0;
}

/* ---- idle ---- */

static int idle_est, idle_closed;

static int
cb_idle(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
	case LOOM_CB_RAW_CONNECTED:
		idle_est++;
		break;
	case LOOM_CB_RAW_CLOSE:
		idle_closed++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol idle_protocols[] = {
	{ "idle", cb_idle, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static const struct loom_protocol raw_protocols[] = {
	{ "echo", cb_raw_echo, 0, 0, 0, NULL, 0 },
	{ "rawc", cb_raw_client, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static const struct loom_protocol http_protocols[] = {
	{ "server", cb_http_server, 0, 0, 0, NULL, 0 },
	{ "client", cb_http_client, sizeof(struct pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* the port is lwIP's: the host kernel has nothing listening there */
static int
kernel_refuses(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), r;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);

	return r < 0;
}

static void
test_raw(struct loom_context *ctx)
{
	struct loom_client_connect_info ci;
	struct loom_vhost_info vi;
	struct loom_vhost *vh;
	long long end;
	int port;

	memset(&vi, 0, sizeof(vi));
	vi.name = "raw";
	vi.iface = "127.0.0.1";
	vi.protocols = raw_protocols;
	vi.options = LOOM_VHOST_OPT_RAW;
	vh = loom_create_vhost(ctx, &vi);
	LT_CHECK(vh != NULL);
	if (!vh)
		return;
	port = loom_vhost_port(vh);
	LT_CHECK(port > 0);
	LT_CHECK(kernel_refuses(port));

	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = vh;
	ci.port = port;
	ci.protocol = "rawc";
	ci.flags = LOOM_CONNECT_RAW;
#if !defined(LOOM_WITH_DNS)
	/* no resolver: a name is a hosts entry, or nothing */
	ci.address = "not-in-hosts.test";
	LT_CHECK(loom_client_connect(&ci) == NULL);
	LT_CHECK_EQ(raw_cli_err, 0);
	ci.address = "loom-lwip.test";
#else
	ci.address = "127.0.0.1";
#endif
	LT_CHECK(loom_client_connect(&ci) != NULL);
	end = now_ms() + 20000;
	while (now_ms() < end && !(raw_cli_closed && raw_srv_closed) && !raw_cli_err)
		loom_service(ctx, 50);
	LT_CHECK_EQ(raw_cli_err, 0);
	LT_CHECK_EQ(raw_sent, (size_t)RAW_TOTAL);
	LT_CHECK_EQ(raw_back, (size_t)RAW_TOTAL);
	LT_CHECK_EQ(raw_bad, (size_t)0);
	LT_CHECK_EQ(raw_cli_closed, 1);
	LT_CHECK_EQ(raw_srv_closed, 1);
	printf("raw echo over lwIP: %zu bytes each way\n", raw_back);
}

static void
http_run(struct loom_context *ctx, struct loom_vhost *vh, int port, const char *path,
	 int count)
{
	struct loom_client_connect_info ci;
	struct loom_conn *c;
	long long end;
	int n;

	h_done = h_fail = h_closed = 0;
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = vh;
	ci.address = "127.0.0.1";
	ci.port = port;
	ci.method = "GET";
	ci.path = path;
	ci.protocol = "client";
	for (n = 0; n < count; n++) {
		c = NULL;
		ci.pconn = &c;
		LT_CHECK(loom_client_connect(&ci) != NULL);
		if (c)
			((struct pss *)loom_conn_user(c))->idx = count == 1 ? -1 : n;
	}
	end = now_ms() + 20000;
	while (now_ms() < end && (h_done + h_fail < (unsigned int)count ||
				  h_closed < (unsigned int)count))
		loom_service(ctx, 50);
}

static void
test_h1(struct loom_context *ctx)
{
	struct loom_http_vhost_info hi;
	struct loom_vhost_info vi;
	struct loom_vhost *vh;
	size_t i;
	int port;

	for (i = 0; i < sizeof(big); i++)
		big[i] = pat(i);
	memset(&vi, 0, sizeof(vi));
	memset(&hi, 0, sizeof(hi));
	vi.name = "http";
	vi.iface = "127.0.0.1";
	vi.protocols = http_protocols;
	vi.http = &hi;
	vh = loom_create_vhost(ctx, &vi);
	LT_CHECK(vh != NULL);
	if (!vh)
		return;
	port = loom_vhost_port(vh);
	LT_CHECK(kernel_refuses(port));

	http_run(ctx, vh, port, "/big", 1);
	LT_CHECK_EQ(h_fail, 0u);
	LT_CHECK_EQ(h_done, 1u);
	LT_CHECK_EQ(h_got, (size_t)BIG_BODY);
	LT_CHECK_EQ(h_bad, (size_t)0);
	printf("h1 over lwIP: %zu byte body\n", h_got);

	/* four requests at once share one kept-alive connection */
	memset(peers, 0, sizeof(peers));
	http_run(ctx, vh, port, "/who", 4);
	LT_CHECK_EQ(h_fail, 0u);
	LT_CHECK_EQ(h_done, 4u);
	LT_CHECK_EQ(h_closed, 4u);
	LT_CHECK(peers[0][0] != '\0');
	for (i = 1; i < 4; i++)
		LT_CHECK(!strcmp(peers[i], peers[0]));
	printf("h1 keep-alive over lwIP: 4 responses from %s\n", peers[0]);
}

static void
test_idle(struct loom_context *ctx)
{
	struct loom_client_connect_info ci;
	struct loom_vhost_info vi;
	struct loom_vhost *vh;
	struct loom_conn *c = NULL;
	unsigned long before;
	long long end;
	int n;

	memset(&vi, 0, sizeof(vi));
	vi.name = "idle";
	vi.iface = "127.0.0.1";
	vi.protocols = idle_protocols;
	vi.options = LOOM_VHOST_OPT_RAW;
	vh = loom_create_vhost(ctx, &vi);
	LT_CHECK(vh != NULL);
	if (!vh)
		return;
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = vh;
	ci.address = "127.0.0.1";
	ci.port = loom_vhost_port(vh);
	ci.flags = LOOM_CONNECT_RAW;
	ci.pconn = &c;
	LT_CHECK(loom_client_connect(&ci) != NULL);
	end = now_ms() + 5000;
	while (now_ms() < end && idle_est < 2)
		loom_service(ctx, 20);
	LT_CHECK_EQ(idle_est, 2);	/* both ends up */
	before = allocs;
	for (n = 0; n < 300; n++)
		loom_service(ctx, 1);
	LT_CHECK_EQ(allocs - before, 0ul);
	printf("idle over lwIP: %lu allocations in 300 loop passes\n", allocs - before);
	if (c)
		loom_set_timeout(c, LOOM_TO_KILLED, LOOM_TO_KILL_ASYNC);
	end = now_ms() + 5000;
	while (now_ms() < end && idle_closed < 2)
		loom_service(ctx, 20);
	LT_CHECK_EQ(idle_closed, 2);
}

int
main(void)
{
	struct loom_plat_hooks hooks = { NULL, host_random, NULL, NULL };
	struct loom_context_info info;
	struct loom_context *ctx;
	char hosts[] = "/tmp/loom-lwip-hosts-XXXXXX";
	static const char line[] = "127.0.0.1 loom-lwip.test\n";
	int fd;

	lwip_start();
	loom_set_allocator(counting_realloc);
	LT_CHECK_EQ(loom_plat_set_hooks(&hooks), 0);
	fd = mkstemp(hosts);
	LT_CHECK(fd >= 0);
	LT_CHECK(fd >= 0 && write(fd, line, sizeof(line) - 1) == sizeof(line) - 1);
	if (fd >= 0)
		close(fd);
	memset(&info, 0, sizeof(info));
	info.hosts_file = hosts;
	ctx = loom_create_context(&info);
	unlink(hosts);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("lwip-loopback-test");
	test_raw(ctx);
	test_h1(ctx);
	test_idle(ctx);
	loom_context_destroy(ctx);

	return lt_result("lwip-loopback-test");
}
