/*
 * api-test-tls-mem CERTDIR [CONNS]: what an idle TLS connection costs the server,
 * and that the TLS library allocates through Loom's allocator hook. The server
 * runs in this process under a counting allocator installed before Loom first
 * uses the TLS library; a forked child (default allocator) opens the connections
 * and holds them idle. Prints bytes per idle TLS connection: the TLS library's
 * share (blocks it took through the hook), Loom's share and the whole heap
 * (mallinfo2, which also sees a library that cannot be hooked, as Debian's
 * mbedTLS 2.28). Checks that OpenSSL's blocks came through the hook, that
 * closing the connections gives their memory back, and that Loom frees every
 * block of its own by loom_context_destroy().
 */
#include <loom.h>
#include "loom-test.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

/* ---- the counting allocator: a header before each block ---- */

struct hdr {
	size_t size;
	size_t lib;		/* the TLS library's block */
};

static long long in_use, lib_in_use, lib_allocs;

static void *
counting_realloc(void *ptr, size_t size, const char *reason)
{
	struct hdr *h = ptr ? (struct hdr *)ptr - 1 : NULL, *nh;
	int lib = reason && (!strcmp(reason, "openssl") || !strcmp(reason, "mbedtls"));

	if (h) {
		in_use -= (long long)h->size;
		if (h->lib)
			lib_in_use -= (long long)h->size;
	}
	if (!size) {
		free(h);
		return NULL;
	}
	nh = realloc(h, sizeof(*nh) + size);
	if (!nh) {
		if (h) {	/* the old block stays */
			in_use += (long long)h->size;
			if (h->lib)
				lib_in_use += (long long)h->size;
		}
		return NULL;
	}
	if (!h) {
		nh->lib = (size_t)lib;
		if (lib)
			lib_allocs++;
	}
	nh->size = size;
	in_use += (long long)size;
	if (nh->lib)
		lib_in_use += (long long)size;

	return nh + 1;
}

/* ---- server ---- */

static struct loom_context *ctx;
static int adopts, closes;

static int
cb_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		adopts++;
		break;
	case LOOM_CB_RAW_CLOSE:
		closes++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol p_server[] = {
	{ "idle", cb_server, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* ---- client (the child) ---- */

static int c_connected, c_failed;

static int
cb_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	switch (reason) {
	case LOOM_CB_RAW_CONNECTED:
		c_connected++;
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		c_failed++;
		fprintf(stderr, "child: %.*s\n", (int)len, in ? (const char *)in : "");
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol p_client[] = {
	{ "client", cb_client, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* service \p c for \p ms, or until *flag >= want (flag may be NULL) */
static void
serve(struct loom_context *c, int ms, const int *flag, int want)
{
	long long end = now_ms() + ms;

	while (now_ms() < end && (!flag || *flag < want))
		loom_service(c, 10);
}

/* wait for one byte on \p fd while servicing \p c (may be NULL) */
static int
wait_byte(struct loom_context *c, int fd, int ms)
{
	long long end = now_ms() + ms;
	char b;

	while (now_ms() < end) {
		ssize_t n = read(fd, &b, 1);

		if (n == 1)
			return b;
		if (!n)
			return -1;
		if (c)
			loom_service(c, 10);
		else
			usleep(10000);
	}

	return -1;
}

static int
child(const char *certdir, int rfd, int wfd, int conns)
{
	struct loom_client_connect_info cc;
	struct loom_tls_client_info tc;
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_context *cctx;
	char ca[600];
	int port = 0, k;

	if (read(rfd, &port, sizeof(port)) != (ssize_t)sizeof(port))
		return 1;
	fcntl(rfd, F_SETFL, O_NONBLOCK);
	snprintf(ca, sizeof(ca), "%s/ca.pem", certdir);
	memset(&info, 0, sizeof(info));
	info.timeout_secs = 10;
	cctx = loom_create_context(&info);
	if (!cctx)
		return 1;
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = p_client;
	memset(&tc, 0, sizeof(tc));
	tc.ca_path = ca;
	memset(&cc, 0, sizeof(cc));
	cc.context = cctx;
	cc.vhost = loom_create_vhost(cctx, &vi);
	cc.address = "127.0.0.1";
	cc.port = port;
	cc.flags = LOOM_CONNECT_RAW;
	cc.tls = &tc;
	if (!cc.vhost)
		return 1;
	/* one to warm up; then the measured ones, all at once */
	if (!loom_client_connect(&cc))
		return 1;
	serve(cctx, 10000, &c_connected, 1);
	if (c_connected != 1 || write(wfd, "x", 1) != 1 || wait_byte(cctx, rfd, 30000) != 'g')
		return 1;
	for (k = 0; k < conns; k++)
		if (!loom_client_connect(&cc))
			return 1;
	serve(cctx, 30000, &c_connected, conns + 1);
	if (c_failed || c_connected != conns + 1 || write(wfd, "x", 1) != 1 ||
	    wait_byte(cctx, rfd, 60000) != 'c')
		return 1;
	loom_context_destroy(cctx);

	return 0;
}

/* ---- parent ---- */

static long long
heap_bytes(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	struct mallinfo2 mi = mallinfo2();

	return (long long)mi.uordblks + (long long)mi.hblkhd;
#else
	return 0;
#endif
}

int
main(int argc, char **argv)
{
	struct loom_tls_vhost_info ti;
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_vhost *vh;
	long long a_use, a_lib, a_heap, b_use, b_lib, b_heap, c_use, c_lib;
	char cert[600], key[600];
	int p2c[2], c2p[2], conns = argc > 2 ? atoi(argv[2]) : 100, port, st = 0;
	pid_t pid;

	if (argc < 2 || conns < 1) {
		fprintf(stderr, "usage: %s CERTDIR [CONNS]\n", argv[0]);
		return 2;
	}
	if (pipe(p2c) || pipe(c2p))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		close(p2c[1]);
		close(c2p[0]);
		_exit(child(argv[1], p2c[0], c2p[1], conns));
	}
	close(p2c[0]);
	close(c2p[1]);
	fcntl(c2p[0], F_SETFL, O_NONBLOCK);

	/* before Loom's first use of the TLS library */
	loom_set_allocator(counting_realloc);
	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN | LOOM_LL_NOTICE, NULL);
	printf("backend: %s\n", loom_tls_backend());
	memset(&info, 0, sizeof(info));
	info.timeout_secs = 10;
	ctx = loom_create_context(&info);
	snprintf(cert, sizeof(cert), "%s/server.pem", argv[1]);
	snprintf(key, sizeof(key), "%s/server.key", argv[1]);
	memset(&ti, 0, sizeof(ti));
	ti.cert_path = cert;
	ti.key_path = key;
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.iface = "127.0.0.1";
	vi.protocols = p_server;
	vi.tls = &ti;
	vh = ctx ? loom_create_vhost(ctx, &vi) : NULL;
	LT_CHECK(vh != NULL);
	if (!vh) {
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
		return lt_result("api-test-tls-mem");
	}
	port = loom_vhost_port(vh);
	if (write(p2c[1], &port, sizeof(port)) != (ssize_t)sizeof(port))
		return 1;

	/* the warm-up connection: one-time state (tables, the key's context) */
	LT_CHECK(wait_byte(ctx, c2p[0], 20000) == 'x');
	serve(ctx, 10000, &adopts, 1);
	serve(ctx, 300, NULL, 0);
	a_use = in_use;
	a_lib = lib_in_use;
	a_heap = heap_bytes();
	LT_CHECK(write(p2c[1], "g", 1) == 1);

	/* the measured ones, idle once the handshake (and tickets) are done */
	LT_CHECK(wait_byte(ctx, c2p[0], 60000) == 'x');
	serve(ctx, 20000, &adopts, conns + 1);
	serve(ctx, 500, NULL, 0);
	LT_CHECK_EQ(adopts, conns + 1);
	b_use = in_use;
	b_lib = lib_in_use;
	b_heap = heap_bytes();
	printf("idle TLS conn (%s, server side): %lld bytes through the allocator hook "
	       "(TLS library %lld, Loom %lld); whole heap %lld\n", loom_tls_backend(),
	       (b_use - a_use) / conns, (b_lib - a_lib) / conns,
	       ((b_use - b_lib) - (a_use - a_lib)) / conns, (b_heap - a_heap) / conns);
	printf("TLS library blocks through the hook: %lld\n", lib_allocs);
	if (!strcmp(loom_tls_backend(), "openssl")) {
		/* OpenSSL allocates through the hook: an SSL object is KiBs */
		LT_CHECK(lib_allocs > 0);
		LT_CHECK((b_lib - a_lib) / conns > 1024);
	} else if (!lib_allocs)
		printf("note: this mbedTLS has no MBEDTLS_PLATFORM_MEMORY: its blocks come "
		       "from calloc(), counted only in the whole heap figure\n");
	/* Loom's own part: the conn, its TLS state, small buffers */
	LT_CHECK((b_use - b_lib) - (a_use - a_lib) > 0);

	/* closing them gives their memory back */
	LT_CHECK(write(p2c[1], "c", 1) == 1);
	serve(ctx, 20000, &closes, conns + 1);
	serve(ctx, 300, NULL, 0);
	LT_CHECK_EQ(closes, conns + 1);
	c_use = in_use;
	c_lib = lib_in_use;
	printf("after closing: %lld bytes in use (%lld before the measured conns)\n", c_use,
	       a_use);
	LT_CHECK(c_use - c_lib <= a_use - a_lib);	/* Loom: back to the baseline */
	LT_CHECK(c_lib <= a_lib + 4096);		/* the library: no per-conn leak */

	waitpid(pid, &st, 0);
	LT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	loom_context_destroy(ctx);
	/* every block of Loom's own is freed; the library keeps global state */
	printf("after destroy: Loom %lld bytes, TLS library %lld bytes in use\n",
	       in_use - lib_in_use, lib_in_use);
	LT_CHECK_EQ(in_use - lib_in_use, 0);

	return lt_result("api-test-tls-mem");
}
