/*
 * api-test-client-info-kept: what loom_client_connect() needs of the caller's
 * struct loom_client_connect_info and struct loom_tls_client_info (and the
 * strings and PEM they point to) it copies before it returns. Each request here
 * is made from a helper whose connect info, TLS info, strings and CA buffer are
 * overwritten with 0xa5 (the CA freed) as soon as loom_client_connect() returns,
 * as a caller's stack frame is; then paths that run later use them: redirects
 * followed over HTTP/1.1 and h2 (a new connect with the same TLS), an h2 request
 * joining a live connection made from an equal info elsewhere, and a request
 * from the same stack address with another trust store, which must do its own
 * handshake (and fail to verify) rather than join the connection it does not
 * trust.
 */
#include <loom.h>
#include "loom-test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a memset the compiler may not drop as a dead store to a dying frame */
static void *(*volatile wipe)(void *, int, size_t) = memset;

static char certdir[512];
static int port;

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long sz;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (sz = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET)) {
		b = malloc((size_t)sz);
		if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
			free(b);
			b = NULL;
		}
		*len = (size_t)sz;
	}
	fclose(f);

	return b;
}

/* ---- the server: TLS, h2 and http/1.1 by ALPN ---- */

static int
srv_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
       size_t len)
{
	char loc[128];

	(void)user;
	(void)len;
	switch (reason) {
	case LOOM_CB_HTTP:
		if (!strcmp((const char *)in, "/redir"))
			return loom_http_redirect(conn, 302, "/final") ? -1 : 0;
		if (!strcmp((const char *)in, "/abs")) {
			snprintf(loc, sizeof(loc), "https://127.0.0.1:%d/final", port);
			return loom_http_redirect(conn, 307, loc) ? -1 : 0;
		}
		return loom_http_respond_simple(conn, 200, "text/plain", in,
						strlen((const char *)in)) ? -1 : 0;
	default:
		return 0;
	}
}

static const struct loom_protocol srv_protos[] = {
	{ "srv", srv_cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* ---- the client ---- */

struct cli {
	int status, complete, closed, failed;
	char body[64];
	size_t body_len;
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
		c->closed = 1;
		return 0;
	case LOOM_CB_CLOSED_CLIENT_HTTP:
		c->closed = 1;
		return 0;
	default:
		return 0;
	}
}

static const struct loom_protocol cli_protos[] = {
	{ "cli", cli_cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/*
 * A request whose infos live only in this frame: everything the caller gave is
 * overwritten (and the CA PEM freed) once loom_client_connect() returns.
 */
static struct loom_conn *
request(struct loom_context *ctx, struct loom_vhost *vh, const char *path,
	const char *alpn, const char *ca, unsigned int flags, struct cli *c)
{
	struct loom_client_connect_info ci;
	struct loom_tls_client_info tc;
	char s_addr[16], s_method[8], s_path[32], s_alpn[32], s_name[16], s_proto[8];
	struct loom_conn *conn;
	size_t ca_len = 0;
	uint8_t *ca_mem = read_file(lt_cert(certdir, ca), &ca_len);

	if (!ca_mem)
		return NULL;
	snprintf(s_addr, sizeof(s_addr), "127.0.0.1");
	snprintf(s_method, sizeof(s_method), "GET");
	snprintf(s_path, sizeof(s_path), "%s", path);
	snprintf(s_alpn, sizeof(s_alpn), "%s", alpn);
	snprintf(s_name, sizeof(s_name), "localhost");
	snprintf(s_proto, sizeof(s_proto), "cli");
	memset(&tc, 0, sizeof(tc));
	tc.ca_mem = ca_mem;
	tc.ca_mem_len = ca_len;
	tc.alpn = s_alpn;
	tc.server_name = s_name;
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = vh;
	ci.address = s_addr;
	ci.port = port;
	ci.method = s_method;
	ci.path = s_path;
	ci.protocol = s_proto;
	ci.flags = flags;
	ci.tls = &tc;
	ci.opaque_user_data = c;
	conn = loom_client_connect(&ci);

	/* the caller's memory is gone */
	wipe(ca_mem, 0xa5, ca_len);
	free(ca_mem);
	wipe(&tc, 0xa5, sizeof(tc));
	wipe(&ci, 0xa5, sizeof(ci));
	wipe(s_addr, 0xa5, sizeof(s_addr));
	wipe(s_method, 0xa5, sizeof(s_method));
	wipe(s_path, 0xa5, sizeof(s_path));
	wipe(s_alpn, 0xa5, sizeof(s_alpn));
	wipe(s_name, 0xa5, sizeof(s_name));
	wipe(s_proto, 0xa5, sizeof(s_proto));

	return conn;
}

/* the same request from a deeper frame: the infos at other addresses */
static struct loom_conn *
deeper(struct loom_context *ctx, struct loom_vhost *vh, const char *path, struct cli *c)
{
	volatile char pad[512];

	pad[0] = 1;
	(void)pad[0];

	return request(ctx, vh, path, "h2", "ca.pem", 0, c);
}

static void
run(struct loom_context *ctx, int ms, int *until)
{
	int n;

	for (n = 0; n < ms / 5 && !(until && *until); n++)
		loom_service(ctx, 5);
}

static int
got(const struct cli *c, const char *body)
{
	return c->complete && !c->failed && c->status == 200 &&
	       c->body_len == strlen(body) && !memcmp(c->body, body, c->body_len);
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_tls_vhost_info tv;
	struct loom_vhost_info vi;
	struct loom_vhost *srv, *cvh;
	struct loom_context *ctx;
	struct cli r1, r2, a, b, x;
	unsigned int before;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CERTDIR\n", argv[0]);
		return 1;
	}
	snprintf(certdir, sizeof(certdir), "%s", argv[1]);
	loom_set_log_level(LOOM_LL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-client-info-kept");
	memset(&tv, 0, sizeof(tv));
	tv.cert_path = lt_cert(certdir, "server.pem");
	tv.key_path = lt_cert(certdir, "server.key");
	tv.alpn = "h2,http/1.1";
	memset(&vi, 0, sizeof(vi));
	vi.name = "srv";
	vi.iface = "127.0.0.1";
	vi.options = LOOM_VHOST_OPT_IPV4_ONLY;
	vi.protocols = srv_protos;
	vi.tls = &tv;
	srv = loom_create_vhost(ctx, &vi);
	memset(&vi, 0, sizeof(vi));
	vi.name = "cli";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = cli_protos;
	cvh = loom_create_vhost(ctx, &vi);
	LT_CHECK(srv && cvh);
	if (!srv || !cvh) {
		loom_context_destroy(ctx);
		return lt_result("api-test-client-info-kept");
	}
	port = loom_vhost_port(srv);

	/* 1: HTTP/1.1 over TLS, a relative redirect: a new connect with the TLS of
	 * the first (the same trust store, ALPN and server name) */
	memset(&r1, 0, sizeof(r1));
	LT_CHECK(request(ctx, cvh, "/redir", "http/1.1", "ca.pem",
			 LOOM_CONNECT_FOLLOW_REDIRECTS, &r1) != NULL);
	run(ctx, 10000, &r1.closed);
	LT_CHECK(got(&r1, "/final"));

	/* 2: h2, an absolute https redirect (307) to the same server */
	memset(&r2, 0, sizeof(r2));
	LT_CHECK(request(ctx, cvh, "/abs", "h2", "ca.pem",
			 LOOM_CONNECT_FOLLOW_REDIRECTS, &r2) != NULL);
	run(ctx, 10000, &r2.closed);
	LT_CHECK(got(&r2, "/final"));

	/* 3: h2 requests from other infos equal in content (other buffers, another
	 * frame) join the live h2 connection: no new connection (a new one would be
	 * two more conns, ours and the server's; streams are not counted) */
	run(ctx, 200, NULL);
	before = loom_conn_count(ctx, 0);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	LT_CHECK(request(ctx, cvh, "/a", "h2", "ca.pem", 0, &a) != NULL);
	run(ctx, 10000, &a.status);
	LT_CHECK(deeper(ctx, cvh, "/b", &b) != NULL);
	run(ctx, 10000, &b.closed);
	run(ctx, 10000, &a.closed);
	run(ctx, 200, NULL);
	LT_CHECK(got(&a, "/a"));
	LT_CHECK(got(&b, "/b"));
	LT_CHECK(before >= 2);
	LT_CHECK_EQ(loom_conn_count(ctx, 0), before);
	printf("h2 join: %u conns before, %u after\n", before, loom_conn_count(ctx, 0));

	/* 4: an info at the same address but with a trust store that does not know
	 * the server's CA: no joining the connection made with ca.pem, its own
	 * handshake, which fails to verify */
	memset(&x, 0, sizeof(x));
	LT_CHECK(request(ctx, cvh, "/x", "h2", "ca2.pem", 0, &x) != NULL);
	run(ctx, 10000, &x.closed);
	LT_CHECK(x.failed && !x.complete && x.status != 200);

	loom_context_destroy(ctx);

	return lt_result("api-test-client-info-kept");
}
