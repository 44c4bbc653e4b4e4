/*
 * api-test-tls-ca-cache CERTDIR: client TLS contexts are shared by what they
 * trust, and what a CA in memory (ca_mem) is, is its content: the buffer may be
 * rewritten, or freed and its address reused, e.g. when a Secure Streams policy
 * is replaced. A TLS echo server with a certificate from ca.pem; clients trust
 * ca.pem or ca2.pem (another CA) from one buffer at one address, same length,
 * rewritten between connections, and each connection must verify against what
 * the buffer holds then. With Secure Streams: a policy whose trust store is
 * ca2, replaced by one with ca, replaced by ca2 again; each stream must succeed
 * or fail by the policy it was made under.
 */
#include <loom.h>
#include "loom-test.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char certdir[512];
static struct loom_context *ctx;
static struct loom_vhost *cvh;

/* ---- the server: TLS echo ---- */

struct srv_pss {
	struct loom_buflist *backlog;
};

static unsigned char srv_tx[LOOM_PRE + 4096];

static int
cb_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct srv_pss *pss = user;
	size_t n;

	switch (reason) {
	case LOOM_CB_RAW_RX:
		if (loom_buflist_append_segment(&pss->backlog, in, len) < 0)
			return -1;
		return loom_callback_on_writable(conn);
	case LOOM_CB_RAW_WRITEABLE:
		n = loom_buflist_linear_use(&pss->backlog, srv_tx + LOOM_PRE,
					    sizeof(srv_tx) - LOOM_PRE);
		if (n && loom_write(conn, srv_tx + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		if (pss->backlog)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_CLOSE:
		loom_buflist_destroy_all_segments(&pss->backlog);
		break;
	default:
		break;
	}

	return 0;
}

static struct loom_protocol p_server[] = {
	{ "echo", cb_server, sizeof(struct srv_pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* ---- a raw TLS client: connected, or the connection error ---- */

struct cstate {
	int connected, errors, done;
};

static int
cb_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct cstate *c = conn ? loom_get_opaque_user_data(conn) : NULL;

	(void)user;
	if (!c)
		return 0;
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		c->errors++;
		c->done = 1;
		printf("  connection error: %.*s\n", (int)len, in ? (const char *)in : "");
		break;
	case LOOM_CB_RAW_CONNECTED:
		c->connected++;
		return -1;	/* verified: that is all we came for */
	case LOOM_CB_RAW_CLOSE:
		c->done = 1;
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

static void
service_ms(int ms)
{
	loom_usec_t end = loom_now_usecs() + (loom_usec_t)ms * 1000;

	while (loom_now_usecs() < end)
		loom_service(ctx, 10);
}

/* one connection trusting \p ca (len bytes); 1 verified, 0 refused, -1 neither */
static int
tls_connect(int port, const uint8_t *ca, size_t len)
{
	struct loom_client_connect_info cc;
	struct loom_tls_client_info ti;
	struct cstate c;
	loom_usec_t end = loom_now_usecs() + (loom_usec_t)10000000;

	memset(&c, 0, sizeof(c));
	memset(&ti, 0, sizeof(ti));
	ti.ca_mem = ca;
	ti.ca_mem_len = len;
	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = cvh;
	cc.address = "127.0.0.1";
	cc.port = port;
	cc.flags = LOOM_CONNECT_RAW;
	cc.opaque_user_data = &c;
	cc.tls = &ti;
	if (!loom_client_connect(&cc))
		return -1;
	while (!c.done && loom_now_usecs() < end)
		loom_service(ctx, 20);
	service_ms(30);
	if (!c.done)
		return -1;

	return c.connected ? 1 : 0;
}

/* the whole of \p name in CERTDIR, NUL-terminated; its length in *len */
static char *
slurp(const char *name, size_t *len)
{
	char path[600];
	FILE *f;
	char *b;
	long n;

	snprintf(path, sizeof(path), "%s/%s", certdir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return NULL;
	}
	b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (b) {
		b[n] = '\0';
		*len = (size_t)n;
	}

	return b;
}

/* ---- 1: one ca_mem buffer, rewritten in place ---- */

static void
test_same_buffer(int port, const char *ca, size_t ca_len, const char *ca2,
		 size_t ca2_len)
{
	size_t len = ca_len > ca2_len ? ca_len : ca2_len;
	uint8_t *buf = malloc(len);

	if (!buf) {
		LT_CHECK(0);
		return;
	}
	/* both PEMs padded with newlines to one length: the same address and length,
	 * only the content differs */
	memset(buf, '\n', len);
	memcpy(buf, ca2, ca2_len);
	printf("ca_mem %p, %zu bytes: ca2 (untrusted by the server's chain)\n",
	       (void *)buf, len);
	LT_CHECK_EQ(tls_connect(port, buf, len), 0);
	memset(buf, '\n', len);
	memcpy(buf, ca, ca_len);
	printf("same buffer rewritten: ca (the server's CA)\n");
	LT_CHECK_EQ(tls_connect(port, buf, len), 1);
	memset(buf, '\n', len);
	memcpy(buf, ca2, ca2_len);
	printf("same buffer rewritten: ca2 again\n");
	LT_CHECK_EQ(tls_connect(port, buf, len), 0);
	memset(buf, '\n', len);
	memcpy(buf, ca, ca_len);
	printf("same buffer rewritten: ca again\n");
	LT_CHECK_EQ(tls_connect(port, buf, len), 1);
	free(buf);
}

#if defined(LOOM_WITH_SS)

/* ---- 2: a Secure Streams policy replaced with another trust store ---- */

struct sst {
	struct loom_ss_handle *h;
	int connected, failed;
};

static int
ss_state(void *userobj, void *h_src, int state, unsigned int ack)
{
	struct sst *t = userobj;

	(void)h_src;
	(void)ack;
	if (state == LOOM_SSS_CONNECTED)
		t->connected++;
	if (state == LOOM_SSS_UNREACHABLE || state == LOOM_SSS_ALL_RETRIES_FAILED)
		t->failed++;

	return 0;
}

/* the base64 DER of a PEM certificate, for a policy's trust store stack */
static void
pem_to_b64(const char *pem, char *out, size_t max)
{
	const char *p = strstr(pem, "-----\n"), *e = strstr(pem, "-----END");
	size_t o = 0;

	if (p)
		p += 6;
	for (; p && p < e && o + 1 < max; p++)
		if (*p != '\n' && *p != '\r')
			out[o++] = *p;
	out[o] = '\0';
}

static int
set_policy(int port, const char *ca_pem)
{
	static char b64[2048], pol[4096];
	int n;

	pem_to_b64(ca_pem, b64, sizeof(b64));
	n = snprintf(pol, sizeof(pol),
		     "{\"release\":\"1\",\"product\":\"ca-cache\",\"schema-version\":1,"
		     "\"retry\":[{\"once\":{\"backoff\":[50],\"conceal\":1,"
		     "\"jitterpc\":0}}],"
		     "\"certs\":[{\"the_ca\":\"%s\"}],"
		     "\"trust_stores\":[{\"name\":\"ts\",\"stack\":[\"the_ca\"]}],"
		     "\"s\":[{\"t\":{\"protocol\":\"raw\",\"endpoint\":\"127.0.0.1\","
		     "\"port\":%d,\"tls\":true,\"tls_trust_store\":\"ts\","
		     "\"retry\":\"once\"}}]}", b64, port);
	if (n < 0 || n >= (int)sizeof(pol))
		return -1;

	return loom_ss_set_policy(ctx, pol, (size_t)n);
}

/* a stream of the current policy: 1 connected, 0 failed, -1 neither */
static int
ss_try(void)
{
	const struct loom_ss_policy *pol = loom_ss_context_policy(ctx);
	struct loom_ss_info i;
	struct loom_ss_handle *h = NULL;
	struct sst *t;
	loom_usec_t end = loom_now_usecs() + (loom_usec_t)10000000;
	int r;

	if (!pol || !pol->trust_stores)
		return -1;
	printf("  policy trust store pem at %p, %u bytes\n",
	       (const void *)pol->trust_stores->pem, pol->trust_stores->pem_len);
	memset(&i, 0, sizeof(i));
	i.streamtype = "t";
	i.user_alloc = sizeof(struct sst);
	i.handle_offset = offsetof(struct sst, h);
	i.state = ss_state;
	if (loom_ss_create(ctx, 0, &i, NULL, &h))
		return -1;
	t = loom_ss_to_user_object(h);
	while (!t->connected && !t->failed && loom_now_usecs() < end)
		loom_service(ctx, 20);
	r = t->connected ? 1 : t->failed ? 0 : -1;
	loom_ss_destroy(&h);
	service_ms(30);

	return r;
}

static void
test_policy_replace(int port, const char *ca, const char *ca2)
{
	int k;

	/* twice over: the freed policy's blocks are there to be reused */
	for (k = 0; k < 2; k++) {
		printf("policy with trust store ca2\n");
		LT_CHECK_EQ(set_policy(port, ca2), 0);
		LT_CHECK_EQ(ss_try(), 0);
		printf("policy replaced: trust store ca\n");
		LT_CHECK_EQ(set_policy(port, ca), 0);
		LT_CHECK_EQ(ss_try(), 1);
	}
	printf("policy replaced: trust store ca2 again\n");
	LT_CHECK_EQ(set_policy(port, ca2), 0);
	LT_CHECK_EQ(ss_try(), 0);
}

#endif

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_tls_vhost_info tv;
	struct loom_vhost_info vi;
	struct loom_vhost *srv;
	char *ca, *ca2, p1[600], p2[600];
	size_t ca_len = 0, ca2_len = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CERTDIR\n", argv[0]);
		return 2;
	}
	snprintf(certdir, sizeof(certdir), "%s", argv[1]);
	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("backend: %s\n", loom_tls_backend());
	ca = slurp("ca.pem", &ca_len);
	ca2 = slurp("ca2.pem", &ca2_len);
	LT_CHECK(ca && ca2);
	if (!ca || !ca2)
		return lt_result("api-test-tls-ca-cache");

	memset(&info, 0, sizeof(info));
	info.timeout_secs = 5;
#if defined(LOOM_WITH_SS)
	/* a first policy, replaced once the server's port is known */
	info.ss_policy = "{\"s\":[{\"x\":{\"protocol\":\"raw\",\"endpoint\":"
			 "\"127.0.0.1\",\"port\":9}}]}";
#endif
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-tls-ca-cache");
	memset(&tv, 0, sizeof(tv));
	snprintf(p1, sizeof(p1), "%s/server-chain.pem", certdir);
	snprintf(p2, sizeof(p2), "%s/server.key", certdir);
	tv.cert_path = p1;
	tv.key_path = p2;
	memset(&vi, 0, sizeof(vi));
	vi.name = "localhost";
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.iface = "127.0.0.1";
	vi.protocols = p_server;
	vi.tls = &tv;
	srv = loom_create_vhost(ctx, &vi);
	memset(&vi, 0, sizeof(vi));
	vi.name = "client";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = p_client;
	cvh = loom_create_vhost(ctx, &vi);
	LT_CHECK(srv && cvh);
	if (srv && cvh) {
		test_same_buffer(loom_vhost_port(srv), ca, ca_len, ca2, ca2_len);
#if defined(LOOM_WITH_SS)
		test_policy_replace(loom_vhost_port(srv), ca, ca2);
#endif
	}
	loom_context_destroy(ctx);
	free(ca);
	free(ca2);

	return lt_result("api-test-tls-ca-cache");
}
