/*
 * api-test-tls CERTDIR: TLS on the raw role, server and client in one process,
 * with the certificates of test-apps/interop/tls/mkcerts.sh: echo of 256 KiB both
 * ways, ALPN, SNI choosing a vhost (and its ALPN list), every bad server
 * certificate refused with its reason, mutual TLS accepted and refused, the
 * stalled / truncated / garbage ClientHello, plaintext to the TLS port (closed,
 * or redirected), insecure mode only when asked, and client session resumption.
 */
#include <loom.h>
#include "loom-test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define ECHO_LEN (256 * 1024)

static char certdir[512];
static struct loom_context *ctx;
static struct loom_vhost *cvh;

/* ---- server side: an echo protocol per vhost, counting adopts ---- */

struct srv_pss {
	struct loom_buflist *backlog;
};

struct srv_stats {
	int adopts, closes;
	char alpn[32];
};

static struct srv_stats st_good, st_sni, st_mtls, st_other;
static unsigned char srv_tx[LOOM_PRE + 16384];

static int
cb_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct srv_pss *pss = user;
	const struct loom_protocol *p = conn ? loom_get_protocol(conn) : NULL;
	struct srv_stats *st = p ? p->user : NULL;
	size_t n;

	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		st->adopts++;
		snprintf(st->alpn, sizeof(st->alpn), "%s",
			 loom_tls_alpn(conn) ? loom_tls_alpn(conn) : "");
		LT_CHECK(loom_conn_is_tls(conn));
		break;
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
		st->closes++;
		loom_buflist_destroy_all_segments(&pss->backlog);
		break;
	default:
		break;
	}

	return 0;
}

static struct loom_protocol p_good[] = {
	{ "echo", cb_server, sizeof(struct srv_pss), 0, 0, &st_good, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static struct loom_protocol p_sni[] = {
	/* a bigger pss than the listener's protocol: the SNI switch must cope */
	{ "sni-echo", cb_server, sizeof(struct srv_pss) + 4096, 0, 0, &st_sni, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static struct loom_protocol p_mtls[] = {
	{ "mtls-echo", cb_server, sizeof(struct srv_pss), 0, 0, &st_mtls, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static struct loom_protocol p_other[] = {
	{ "other-echo", cb_server, sizeof(struct srv_pss), 0, 0, &st_other, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* ---- client side ---- */

struct cstate {
	int connected, errors, closes, done;
	size_t sent, received, to_send;
	int bad_byte;
	char reason[200];
	char alpn[32];
};

static unsigned char cli_tx[LOOM_PRE + 8192];

static int
cb_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct cstate *c = conn ? loom_get_opaque_user_data(conn) : NULL;
	size_t n, k;

	if (!c)
		return 0;
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		c->errors++;
		c->done = 1;
		snprintf(c->reason, sizeof(c->reason), "%.*s", (int)len,
			 in ? (const char *)in : "");
		break;
	case LOOM_CB_RAW_CONNECTED:
		c->connected++;
		snprintf(c->alpn, sizeof(c->alpn), "%s",
			 loom_tls_alpn(conn) ? loom_tls_alpn(conn) : "");
		if (c->to_send)
			loom_callback_on_writable(conn);
		else
			loom_set_timeout(conn, LOOM_TO_USER, LOOM_TO_KILL_ASYNC);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		n = c->to_send - c->sent;
		if (n > sizeof(cli_tx) - LOOM_PRE)
			n = sizeof(cli_tx) - LOOM_PRE;
		for (k = 0; k < n; k++)
			cli_tx[LOOM_PRE + k] = (unsigned char)((c->sent + k) * 7);
		if (loom_write(conn, cli_tx + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		c->sent += n;
		if (c->sent < c->to_send)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_RX:
		for (k = 0; k < len; k++)
			if (((const unsigned char *)in)[k] !=
			    (unsigned char)((c->received + k) * 7))
				c->bad_byte++;
		c->received += len;
		if (c->received >= c->to_send)
			return -1;	/* all back: close */
		break;
	case LOOM_CB_RAW_CLOSE:
		c->closes++;
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

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
run_client(const char *address, int port, struct loom_tls_client_info *ti,
	   size_t to_send, struct cstate *c)
{
	struct loom_client_connect_info cc;
	long long end = now_ms() + 10000;

	memset(c, 0, sizeof(*c));
	c->to_send = to_send;
	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = cvh;
	cc.address = address;
	cc.port = port;
	cc.flags = LOOM_CONNECT_RAW;
	cc.opaque_user_data = c;
	cc.tls = ti;
	if (!loom_client_connect(&cc))
		return -1;
	while (!c->done && now_ms() < end)
		loom_service(ctx, 20);
	/* a little more, so the server side sees its close too */
	end = now_ms() + 50;
	while (now_ms() < end)
		loom_service(ctx, 10);

	return c->done ? 0 : -1;
}

/* a plain TCP socket speaking \p out at the port; what came back until EOF */
static int
raw_probe(int port, const void *out, size_t olen, char *in, size_t ilen,
	  long long *ms_to_eof)
{
	struct sockaddr_in sa;
	long long start = now_ms(), end = start + 5000;
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), eof = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (olen && send(fd, out, olen, 0) != (ssize_t)olen) {
		close(fd);
		return -1;
	}
	while (!eof && now_ms() < end) {
		ssize_t n;

		loom_service(ctx, 10);
		n = recv(fd, in + got, ilen - 1 - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		else if (!n || (errno != EAGAIN && errno != EWOULDBLOCK))
			eof = 1;
	}
	in[got] = '\0';
	*ms_to_eof = eof ? now_ms() - start : -1;
	close(fd);

	return (int)got;
}

static struct loom_vhost *
server_vhost(const char *name, const char *certname, unsigned int opts, int port,
	     struct loom_protocol *p, struct loom_tls_vhost_info *ti)
{
	struct loom_vhost_info vi;
	char key[64];

	/* "x.pem" and "x-chain.pem" go with "x.key" */
	snprintf(key, sizeof(key), "%.*s.key", (int)strcspn(certname, ".-"), certname);
	memset(&vi, 0, sizeof(vi));
	vi.name = name;
	vi.options = LOOM_VHOST_OPT_RAW | opts;
	vi.port = port;
	vi.iface = (opts & LOOM_VHOST_OPT_NO_LISTEN) ? NULL : "127.0.0.1";
	vi.protocols = p;
	ti->cert_path = lt_cert(certdir, certname);
	ti->key_path = lt_cert(certdir, key);
	vi.tls = ti;

	return loom_create_vhost(ctx, &vi);
}

static int resumed_lines;

static void
log_sink(int level, const char *line)
{
	if (strstr(line, "(resumed)"))
		resumed_lines++;
	if (level & (LOOM_LL_ERR | LOOM_LL_WARN))
		fprintf(stderr, "%s\n", line);
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_tls_vhost_info t_good, t_sni, t_exp, t_wrong, t_self, t_unk, t_mtls,
				   t_redir, t_short;
	struct loom_tls_client_info tc;
	struct loom_vhost *v_good, *v_exp, *v_wrong, *v_self, *v_unk, *v_mtls, *v_redir,
			  *v_short;
	struct cstate c;
	char buf[2048];
	long long ms;
	int n;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CERTDIR\n", argv[0]);
		return 2;
	}
	snprintf(certdir, sizeof(certdir), "%s", argv[1]);
	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN | LOOM_LL_INFO, log_sink);
	printf("backend: %s\n", loom_tls_backend());

	memset(&info, 0, sizeof(info));
	info.timeout_secs = 5;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-tls");

	memset(&t_good, 0, sizeof(t_good));
	t_good.alpn = "h2,http/1.1";
	v_good = server_vhost("localhost", "server-chain.pem", 0, 0, p_good, &t_good);
	LT_CHECK(v_good != NULL);
	/* an SNI peer on the same port, found by name */
	memset(&t_sni, 0, sizeof(t_sni));
	t_sni.alpn = "sni-proto,http/1.1";	/* its own list, not the listener's */
	LT_CHECK(server_vhost("sni.test", "sni.pem", LOOM_VHOST_OPT_NO_LISTEN,
			      loom_vhost_port(v_good), p_sni, &t_sni) != NULL);
	memset(&t_exp, 0, sizeof(t_exp));
	v_exp = server_vhost("expired", "expired.pem", 0, 0, p_other, &t_exp);
	memset(&t_wrong, 0, sizeof(t_wrong));
	v_wrong = server_vhost("wronghost", "wronghost.pem", 0, 0, p_other, &t_wrong);
	memset(&t_self, 0, sizeof(t_self));
	v_self = server_vhost("selfsigned", "selfsigned.pem", 0, 0, p_other, &t_self);
	memset(&t_unk, 0, sizeof(t_unk));
	v_unk = server_vhost("unknownca", "unknownca.pem", 0, 0, p_other, &t_unk);
	memset(&t_mtls, 0, sizeof(t_mtls));
	t_mtls.options = LOOM_TLS_SRV_OPT_REQUIRE_CLIENT_CERT;
	t_mtls.ca_path = lt_cert(certdir, "ca.pem");
	v_mtls = server_vhost("mtls", "server.pem", 0, 0, p_mtls, &t_mtls);
	memset(&t_redir, 0, sizeof(t_redir));
	t_redir.options = LOOM_TLS_SRV_OPT_REDIRECT_PLAINTEXT;
	v_redir = server_vhost("redir", "server.pem", 0, 0, p_other, &t_redir);
	memset(&t_short, 0, sizeof(t_short));
	t_short.handshake_timeout_ms = 300;
	v_short = server_vhost("short", "server.pem", 0, 0, p_other, &t_short);
	LT_CHECK(v_exp && v_wrong && v_self && v_unk && v_mtls && v_redir && v_short);

	memset(&vi, 0, sizeof(vi));
	vi.name = "client";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = p_client;
	cvh = loom_create_vhost(ctx, &vi);
	LT_CHECK(cvh != NULL);
	if (!v_good || !v_exp || !v_wrong || !v_self || !v_unk || !v_mtls || !v_redir ||
	    !v_short || !cvh) {
		loom_context_destroy(ctx);
		return lt_result("api-test-tls");
	}

	/* 1. echo by IP (IP SAN), ALPN chosen by the server's order from our offer */
	memset(&tc, 0, sizeof(tc));
	tc.ca_path = lt_cert(certdir, "ca.pem");
	tc.alpn = "http/1.1,h2";
	LT_CHECK(!run_client("127.0.0.1", loom_vhost_port(v_good), &tc, ECHO_LEN, &c));
	LT_CHECK_EQ(c.connected, 1);
	LT_CHECK_EQ(c.received, ECHO_LEN);
	LT_CHECK_EQ(c.bad_byte, 0);
	LT_CHECK(!strcmp(c.alpn, "h2"));
	LT_CHECK(!strcmp(st_good.alpn, "h2"));
	LT_CHECK_EQ(st_good.adopts, 1);
	printf("1. echo by IP: connected %d, %zu bytes back, alpn '%s' %s\n", c.connected,
	       c.received, c.alpn, c.reason);

	/* 2. by name (DNS SAN), the same client context: the session is resumed */
	tc.alpn = "http/1.1";
	LT_CHECK(!run_client("localhost", loom_vhost_port(v_good), &tc, 1000, &c));
	LT_CHECK_EQ(c.connected, 1);
	LT_CHECK_EQ(c.received, 1000);
	LT_CHECK(!strcmp(c.alpn, "http/1.1"));
	LT_CHECK(!run_client("localhost", loom_vhost_port(v_good), &tc, 1000, &c));
	LT_CHECK_EQ(c.received, 1000);
	printf("2. by name: ok; resumed handshakes logged: %d\n", resumed_lines);
	if (!strcmp(loom_tls_backend(), "openssl"))
		LT_CHECK(resumed_lines >= 2);	/* logged by both sides */

	/* 3. SNI picks the other vhost on the same port (and its certificate) */
	tc.server_name = "sni.test";
	LT_CHECK(!run_client("127.0.0.1", loom_vhost_port(v_good), &tc, 100, &c));
	LT_CHECK_EQ(c.received, 100);
	LT_CHECK_EQ(st_sni.adopts, 1);
	LT_CHECK_EQ(st_sni.closes, 1);
	printf("3. sni: connected %d, sni vhost adopts %d %s\n", c.connected,
	       st_sni.adopts, c.reason);
	/* ALPN follows the vhost SNI chose: its list and order ("h2" would be the
	 * listener's choice) */
	tc.alpn = "h2,sni-proto";
	LT_CHECK(!run_client("127.0.0.1", loom_vhost_port(v_good), &tc, 100, &c));
	LT_CHECK_EQ(c.received, 100);
	LT_CHECK_EQ(st_sni.adopts, 2);
	LT_CHECK(!strcmp(c.alpn, "sni-proto"));
	LT_CHECK(!strcmp(st_sni.alpn, "sni-proto"));
	printf("3. sni + alpn: client '%s', server '%s'\n", c.alpn, st_sni.alpn);
	tc.alpn = "http/1.1";
	tc.server_name = NULL;

	/* 4. each bad certificate is refused, and says why */
	{
		const struct {
			const char *what;
			struct loom_vhost **vh;
			const char *ca, *expect;
		} bad[] = {
			{ "expired", &v_exp, "ca.pem", "expired" },
			{ "wrong host", &v_wrong, "ca.pem", "wrong host" },
			{ "self-signed", &v_self, "ca.pem", "self-signed" },
			{ "unknown CA", &v_unk, "ca.pem", "unknown CA" },
			{ "system store", &v_good, NULL, "unknown CA" },
		};
		size_t k;

		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			memset(&tc, 0, sizeof(tc));
			tc.ca_path = bad[k].ca ? lt_cert(certdir, bad[k].ca) : NULL;
			run_client("127.0.0.1", loom_vhost_port(*bad[k].vh), &tc, 10, &c);
			printf("4. %s: errors %d reason '%s'\n", bad[k].what, c.errors,
			       c.reason);
			LT_CHECK_EQ(c.errors, 1);
			LT_CHECK_EQ(c.connected, 0);
			LT_CHECK(strstr(c.reason, bad[k].expect) != NULL);
			LT_CHECK(!strncmp(c.reason, "tls: ", 5));
		}
	}
	LT_CHECK_EQ(st_other.adopts, 0);

	/* 5. insecure only when asked: the self-signed one then connects */
	memset(&tc, 0, sizeof(tc));
	tc.options = LOOM_TLS_CLI_OPT_INSECURE_NO_VERIFY;
	LT_CHECK(!run_client("127.0.0.1", loom_vhost_port(v_self), &tc, 10, &c));
	LT_CHECK_EQ(c.received, 10);
	/* the chain but not the name: the wrong-host one connects */
	memset(&tc, 0, sizeof(tc));
	tc.ca_path = lt_cert(certdir, "ca.pem");
	tc.options = LOOM_TLS_CLI_OPT_INSECURE_NO_HOSTNAME;
	LT_CHECK(!run_client("127.0.0.1", loom_vhost_port(v_wrong), &tc, 10, &c));
	LT_CHECK_EQ(c.received, 10);
	printf("5. insecure modes: ok\n");

	/* 6. mutual TLS: accepted with our client cert, refused without or untrusted */
	memset(&tc, 0, sizeof(tc));
	tc.ca_path = lt_cert(certdir, "ca.pem");
	tc.cert_path = lt_cert(certdir, "client.pem");
	tc.key_path = lt_cert(certdir, "client.key");
	LT_CHECK(!run_client("127.0.0.1", loom_vhost_port(v_mtls), &tc, 5000, &c));
	LT_CHECK_EQ(c.received, 5000);
	LT_CHECK_EQ(st_mtls.adopts, 1);
	tc.cert_path = NULL;
	tc.key_path = NULL;
	run_client("127.0.0.1", loom_vhost_port(v_mtls), &tc, 5000, &c);
	printf("6. mtls without cert: connected %d errors %d received %zu '%s'\n",
	       c.connected, c.errors, c.received, c.reason);
	LT_CHECK_EQ(c.received, 0);
	LT_CHECK(c.errors || c.closes);
	tc.cert_path = lt_cert(certdir, "client2.pem");
	tc.key_path = lt_cert(certdir, "client2.key");
	run_client("127.0.0.1", loom_vhost_port(v_mtls), &tc, 5000, &c);
	printf("6. mtls untrusted cert: connected %d errors %d received %zu '%s'\n",
	       c.connected, c.errors, c.received, c.reason);
	LT_CHECK_EQ(c.received, 0);
	LT_CHECK_EQ(st_mtls.adopts, 1);

	/* 7. a stalled handshake is closed by its timeout (300 ms here) */
	n = raw_probe(loom_vhost_port(v_short), NULL, 0, buf, sizeof(buf), &ms);
	printf("7. stalled: closed after %lld ms\n", ms);
	LT_CHECK(n == 0 && ms >= 250 && ms < 3000);
	/* a truncated ClientHello too */
	n = raw_probe(loom_vhost_port(v_short), "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
		      11, buf, sizeof(buf), &ms);
	printf("7. truncated ClientHello: closed after %lld ms (%d bytes back)\n", ms, n);
	LT_CHECK(ms >= 250 && ms < 3000);
	/* garbage after a handshake record header: refused at once */
	n = raw_probe(loom_vhost_port(v_good), "\x16\x03\x01\x00\x08garbage!", 13, buf,
		      sizeof(buf), &ms);
	printf("7. garbage ClientHello: closed after %lld ms (%d bytes back)\n", ms, n);
	LT_CHECK(ms >= 0 && ms < 2000);

	/* 8. plaintext to the TLS port: closed, or redirected when the vhost asks */
	n = raw_probe(loom_vhost_port(v_good), "GET /x HTTP/1.1\r\nHost: h\r\n\r\n", 28, buf,
		      sizeof(buf), &ms);
	printf("8. plaintext: %d bytes back, closed after %lld ms\n", n, ms);
	LT_CHECK(n == 0 && ms >= 0 && ms < 2000);
	n = raw_probe(loom_vhost_port(v_redir),
		      "GET /path?q=1 HTTP/1.1\r\nHost: example.test:8443\r\n\r\n", 51, buf,
		      sizeof(buf), &ms);
	printf("8. plaintext redirected: '%.40s...'\n", buf);
	LT_CHECK(!strncmp(buf, "HTTP/1.1 301 ", 13));
	LT_CHECK(strstr(buf, "\r\nLocation: https://example.test:8443/path?q=1\r\n") != NULL);
	LT_CHECK(ms >= 0 && ms < 2000);
	n = raw_probe(loom_vhost_port(v_redir), "GET / HTTP/1.1\r\nHost: a\"b\r\n\r\n", 30,
		      buf, sizeof(buf), &ms);
	LT_CHECK(!strncmp(buf, "HTTP/1.1 400 ", 13));
	LT_CHECK_EQ(st_other.adopts, 2);	/* only the two insecure-mode clients */

	loom_context_destroy(ctx);

	return lt_result("api-test-tls");
}
