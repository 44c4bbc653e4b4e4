/*
 * api-test-tls-params CERTDIR: cipher and group lists on both ends of a TLS conn.
 * The server's lists and the client's either leave a common suite and group (the
 * handshake completes and a message goes through) or not (the handshake fails,
 * the client gets CONNECTION_ERROR, the server never sees data); a list naming
 * nothing the library knows makes loom_create_vhost() or the connect fail, as
 * does a server vhost without a usable certificate and key, or on UDP. The
 * cipher names follow the backend (OpenSSL's or IANA-style mbedTLS names).
 */
#include <loom.h>
#include "loom-test.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static char certdir[512];
static struct loom_context *ctx;
static struct loom_vhost *cv;
static unsigned char txbuf[LOOM_PRE + 16];

static struct {
	int connected, errors, closes, srv_rx;
} st;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
cb_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	(void)conn;
	(void)user;
	if (reason == LOOM_CB_RAW_RX && len == 5 && !memcmp(in, "hello", 5))
		st.srv_rx++;

	return 0;
}

static int
cb_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		st.errors++;
		break;
	case LOOM_CB_RAW_CONNECTED:
		st.connected++;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		memcpy(txbuf + LOOM_PRE, "hello", 5);
		return loom_write(conn, txbuf + LOOM_PRE, 5, LOOM_WRITE_RAW) < 0 ? -1 : 0;
	case LOOM_CB_RAW_CLOSE:
		st.closes++;
		break;
	default:
		break;
	}

	return 0;
}

static struct loom_protocol p_server[] = {
	{ "tp-server", cb_server, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static const struct loom_protocol p_client[] = {
	{ "tp-client", cb_client, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static struct loom_vhost *
server_x(const char *name, const char *ciphers, const char *groups, const char *crt,
	 const char *key, unsigned int opts)
{
	struct loom_tls_vhost_info ts;
	struct loom_vhost_info vi;

	memset(&ts, 0, sizeof(ts));
	ts.cert_path = crt ? lt_cert(certdir, crt) : NULL;
	ts.key_path = key ? lt_cert(certdir, key) : NULL;
	ts.ciphers = ciphers;
	ts.groups = groups;
	memset(&vi, 0, sizeof(vi));
	vi.name = name;
	vi.options = LOOM_VHOST_OPT_RAW | opts;
	vi.iface = "127.0.0.1";
	vi.protocols = p_server;
	vi.tls = &ts;

	return loom_create_vhost(ctx, &vi);
}

static struct loom_vhost *
server(const char *name, const char *ciphers, const char *groups)
{
	return server_x(name, ciphers, groups, "server-chain.pem", "server.key", 0);
}

/* connect to sv with these client lists: 1 the message went through, 0 the
 * handshake failed (an error to the client, nothing to the server) */
static int
one(struct loom_vhost *sv, const char *ciphers, const char *groups)
{
	struct loom_client_connect_info cc;
	struct loom_tls_client_info tc;
	long long end = now_ms() + 5000;

	memset(&st, 0, sizeof(st));
	memset(&tc, 0, sizeof(tc));
	tc.ca_path = lt_cert(certdir, "ca.pem");
	tc.ciphers = ciphers;
	tc.groups = groups;
	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = cv;
	cc.address = "127.0.0.1";
	cc.port = loom_vhost_port(sv);
	cc.flags = LOOM_CONNECT_RAW;
	cc.tls = &tc;
	if (!loom_client_connect(&cc))
		return -1;
	while (!st.srv_rx && !st.errors && !st.closes && now_ms() < end)
		loom_service(ctx, 10);
	end = now_ms() + 50;
	while (now_ms() < end)
		loom_service(ctx, 10);

	return st.srv_rx == 1 ? 1 : (st.errors || st.closes) && !st.srv_rx ? 0 : -2;
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_vhost *s1, *s2;
	int mbed, r;
	const char *a, *b, *ab;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CERTDIR\n", argv[0]);
		return 2;
	}
	snprintf(certdir, sizeof(certdir), "%s", argv[1]);
	mbed = !strcmp(loom_tls_backend(), "mbedtls");
	printf("backend: %s\n", loom_tls_backend());
	if (mbed) {
		a = "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256";
		b = "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384";
		ab = "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384,"
		     "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256";
	} else {
		a = "ECDHE-ECDSA-AES128-GCM-SHA256";
		b = "ECDHE-ECDSA-AES256-GCM-SHA384";
		ab = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256";
	}

	memset(&info, 0, sizeof(info));
	info.timeout_secs = 5;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-tls-params");
	memset(&vi, 0, sizeof(vi));
	vi.name = "client";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = p_client;
	cv = loom_create_vhost(ctx, &vi);

	/* names the library does not know: no vhost */
	LT_CHECK(server("bad1", "NO-SUCH-SUITE", NULL) == NULL);
	LT_CHECK(server("bad2", "", NULL) == NULL);
	LT_CHECK(server("bad3", NULL, "P-999") == NULL);
	LT_CHECK(server("bad4", NULL, "P-256:nope") == NULL);
	/* no usable certificate and key, or no TLS on UDP: no vhost */
	LT_CHECK(server_x("bad5", NULL, NULL, "server-chain.pem", NULL, 0) == NULL);
	LT_CHECK(server_x("bad6", NULL, NULL, "no-such.pem", "server.key", 0) == NULL);
	LT_CHECK(server_x("bad7", NULL, NULL, "server-chain.pem", "no-such.key", 0) == NULL);
	LT_CHECK(server_x("bad8", NULL, NULL, "server-chain.pem", "client.key", 0) == NULL);
	LT_CHECK(server_x("bad9", NULL, NULL, "server-chain.pem", "server.key",
			  LOOM_VHOST_OPT_UDP) == NULL);

	s1 = server("localhost", a, "P-256");
	s2 = server("localhost", ab, "X25519:P-256");
	LT_CHECK(cv && s1 && s2);
	if (!cv || !s1 || !s2) {
		loom_context_destroy(ctx);
		return lt_result("api-test-tls-params");
	}

	r = one(s1, NULL, NULL);
	printf("one suite, one group; client defaults: %d\n", r);
	LT_CHECK_EQ(r, 1);
	r = one(s1, a, "P-256");
	printf("one suite, one group; client the same: %d\n", r);
	LT_CHECK_EQ(r, 1);
	/* (in TLS 1.2 the client's groups must also hold the curve of the server's
	 * ECDSA certificate, P-256) */
	r = one(s2, a, "X25519:P-256");
	printf("two suites, two groups; client one suite, both groups: %d\n", r);
	LT_CHECK_EQ(r, 1);
	r = one(s2, b, "P-256");
	printf("two suites, two groups; client the other of each: %d\n", r);
	LT_CHECK_EQ(r, 1);
	/* no common group (nor the certificate's curve): fails in TLS 1.2 and 1.3 */
	r = one(s1, NULL, "P-384");
	printf("no common group: %d\n", r);
	LT_CHECK_EQ(r, 0);
	/* no common TLS 1.2 suite: mbedTLS has only 1.2 and fails; OpenSSL's list
	 * does not bind TLS 1.3, which then goes ahead */
	r = one(s1, b, NULL);
	printf("no common TLS 1.2 suite: %d\n", r);
	LT_CHECK_EQ(r, mbed ? 0 : 1);
	/* a client list of unknown names: no connection */
	r = one(s1, "NO-SUCH-SUITE", NULL);
	printf("client suite unknown: %d\n", r);
	LT_CHECK(r == -1 || r == 0);
	r = one(s1, NULL, "P-999");
	printf("client group unknown: %d\n", r);
	LT_CHECK(r == -1 || r == 0);

	loom_context_destroy(ctx);

	return lt_result("api-test-tls-params");
}
