/*
 * api-test-tls-write-fatal CERTDIR: the TLS library itself fails, fatally, while an
 * established conn writes (not the socket: OpenSSL's SSL_write() ends in
 * SSL_ERROR_SSL, mbedTLS's mbedtls_ssl_write() in MBEDTLS_ERR_SSL_INTERNAL_ERROR),
 * on the server and on the client side, while a second TLS conn is open beside it.
 * The failing conn must close at once with one CLOSE, no WRITEABLE after the
 * failure and nothing more sent on its socket (no close_notify on a dead session);
 * its peer must see the close; the conn beside it must go on echoing; and every
 * block Loom allocated must be freed by loom_context_destroy().
 *
 * How the library is made to fail:
 * - OpenSSL: its allocations go through Loom's allocator hook, and Loom runs it
 *   with SSL_MODE_RELEASE_BUFFERS, so SSL_write() on an idle session allocates its
 *   write buffer. The test's allocator refuses OpenSSL's blocks for the length of
 *   that one loom_write(): SSL_write() fails with ERR_R_MALLOC_FAILURE
 *   (SSL_ERROR_SSL). Direct write only: a flush continues a record whose buffer
 *   is already there.
 * - mbedTLS: the fault seam's EPROTO on a send (include/loom/fault.h) makes the
 *   backend's send callback return MBEDTLS_ERR_SSL_INTERNAL_ERROR inside
 *   mbedtls_ssl_write(); on the direct write and on the flush of held output.
 *
 * The target pair is a raw conn or a WebSocket, and its WRITEABLE returns 0 or
 * -1 after a write that failed: on every path loom_get_close_status() in its close
 * callback is 1006 (no close frame could go), and a WebSocket sees 1006 from
 * loom_ws_peer_close_code() on both ends.
 */
#include <loom.h>
#include "loom-test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BIG	(64 * 1024)

enum { SIDE_SERVER, SIDE_CLIENT };
enum { PATH_DIRECT, PATH_FLUSH };

static char certdir[512];
static struct loom_context *ctx;
static struct loom_vhost *wsv;	/* the WebSocket server */
static unsigned char txbuf[LOOM_PRE + BIG];
static int is_openssl;
static char last_fail[256];
static int write_failed_lines;

/* ---- the allocator: counts Loom's blocks, can refuse the TLS library's ---- */

struct hdr {
	size_t size;
	size_t lib;
};

static long long loom_blocks, lib_refused;
static int refuse_lib;

static void *
test_realloc(void *ptr, size_t size, const char *reason)
{
	struct hdr *h = ptr ? (struct hdr *)ptr - 1 : NULL, *nh;
	int lib = reason && !strcmp(reason, "openssl");

	if (!size) {
		if (h && !h->lib)
			loom_blocks--;
		free(h);
		return NULL;
	}
	if (lib && refuse_lib) {
		lib_refused++;
		return NULL;
	}
	nh = realloc(h, sizeof(*nh) + size);
	if (!nh)
		return NULL;
	if (!h) {
		nh->lib = (size_t)lib;
		if (!lib)
			loom_blocks++;
	}
	nh->size = size;

	return nh + 1;
}

/* ---- the socket seam: mbedTLS's fatal error, and sends after the failure ---- */

static struct {
	int fd;			/* -1: not armed */
	int path;
	int calls;
	int failed;		/* the library failed the write */
	int after;		/* sends on fd after that: must stay 0 */
	long long failed_at;
} hk;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
hook(void *opaque, enum loom_fault_io op, int fd, size_t *len)
{
	(void)opaque;
	if (op != LOOM_FAULT_SEND || fd != hk.fd)
		return 0;
	if (hk.failed) {
		hk.after++;
		return EPIPE;
	}
	if (is_openssl)
		return 0;	/* OpenSSL fails in the allocator, not here */
	hk.calls++;
	if (hk.path == PATH_FLUSH) {
		/* part of the first record goes, then the socket is full: the rest
		 * waits for POLLOUT, and the library fails there */
		if (hk.calls == 1) {
			if (*len > 512)
				*len = 512;
			return 0;
		}
		if (hk.calls == 2)
			return EAGAIN;
	}
	hk.failed = 1;
	hk.failed_at = now_ms();

	return EPROTO;
}

/* ---- the conns ---- */

struct side {
	struct loom_conn *conn;
	int writeables, writeables_after, closes;
	int write_rc, wrote, tagged;
	long long closed_at;
	int close_status;	/* loom_get_close_status() in the close callback */
	unsigned int ws_code;	/* loom_ws_peer_close_code() there */
};

/* the target pair, and the bystander pair beside it */
static struct side srv, cli;
static struct {
	struct loom_conn *cli, *srv;
	int sent, echoes, cli_closes, srv_closes, cli_closes_early;
} by;
static int target, use_ws, fail_ret;

static int
write_armed(struct loom_conn *conn, struct side *s)
{
	size_t len = hk.path == PATH_FLUSH ? BIG : 100;
	long long refused = lib_refused;

	memset(txbuf + LOOM_PRE, 'x', len);
	hk.fd = loom_get_fd(conn);
	refuse_lib = is_openssl;
	s->write_rc = loom_write(conn, txbuf + LOOM_PRE, len,
				 use_ws ? LOOM_WRITE_BINARY : LOOM_WRITE_RAW);
	refuse_lib = 0;
	if (is_openssl && lib_refused > refused) {
		hk.failed = 1;
		hk.failed_at = now_ms();
	}
	s->wrote = 1;
	/* asking for more must not bring a WRITEABLE on a failed conn */
	loom_callback_on_writable(conn);

	/* the usual "if (loom_write() < 0) return -1;", or carrying on */
	return s->write_rc < 0 ? fail_ret : 0;
}

static void
closed(struct loom_conn *conn, struct side *s)
{
	s->closes++;
	s->closed_at = now_ms();
	s->close_status = (int)loom_get_close_status(conn);
	if (use_ws)
		s->ws_code = loom_ws_peer_close_code(conn, NULL, NULL);
}

static int
send_str(struct loom_conn *conn, const char *s)
{
	size_t n = strlen(s);

	memcpy(txbuf + LOOM_PRE, s, n);
	return loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) == (int)n ? 0 : -1;
}

static int
cb_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	(void)user;
	switch (reason) {
	case LOOM_CB_RAW_RX:
		/* the first byte a client sends says which it is */
		if (len && ((const char *)in)[0] == 'T' && !srv.conn) {
			srv.conn = conn;
			if (target == SIDE_SERVER)
				loom_callback_on_writable(conn);
		} else if (len && ((const char *)in)[0] == 'B') {
			by.srv = conn;
			loom_callback_on_writable(conn);	/* echo "b" */
		}
		break;
	case LOOM_CB_RAW_WRITEABLE:
		if (conn == srv.conn) {
			srv.writeables++;
			if (hk.failed)
				srv.writeables_after++;
			if (target == SIDE_SERVER && !srv.wrote)
				return write_armed(conn, &srv);
		} else if (conn == by.srv)
			return send_str(conn, "b");
		break;
	case LOOM_CB_RAW_CLOSE:
		if (conn == srv.conn)
			closed(conn, &srv);
		else if (conn == by.srv)
			by.srv_closes++;
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
	int is_by = conn && loom_get_opaque_user_data(conn) != NULL;

	(void)user;
	(void)in;
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		if (is_by)
			by.cli_closes++;
		else {
			cli.closes++;
			cli.closed_at = now_ms();
		}
		break;
	case LOOM_CB_RAW_CONNECTED:
		if (is_by)
			by.cli = conn;
		else
			cli.conn = conn;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_RX:
		if (is_by) {
			by.echoes += (int)len;
			/* after the second echo the bystander is done */
			if (by.echoes >= 2)
				return -1;
		}
		break;
	case LOOM_CB_RAW_WRITEABLE:
		if (is_by) {
			if (by.sent < by.echoes + 1 && by.sent < 2) {
				by.sent++;
				return send_str(conn, "B");
			}
			break;
		}
		cli.writeables++;
		if (hk.failed)
			cli.writeables_after++;
		if (!cli.tagged) {
			/* first tell the server which conn this is */
			cli.tagged = 1;
			if (target == SIDE_CLIENT)
				loom_callback_on_writable(conn);
			return send_str(conn, "T");
		}
		if (!cli.wrote && target == SIDE_CLIENT)
			return write_armed(conn, &cli);
		break;
	case LOOM_CB_RAW_CLOSE:
		if (is_by) {
			by.cli_closes++;
			if (by.echoes < 2)
				by.cli_closes_early++;
		} else
			closed(conn, &cli);
		break;
	default:
		break;
	}

	return 0;
}

/* the target pair as a WebSocket (the bystander stays raw) */
static int
cb_ws(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
      void *in, size_t len)
{
	int client = reason == LOOM_CB_CLIENT_ESTABLISHED ||
		     reason == LOOM_CB_CLIENT_WRITEABLE ||
		     reason == LOOM_CB_CLIENT_CLOSED;
	struct side *s = client ? &cli : &srv;

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		closed(conn, &cli);
		break;
	case LOOM_CB_ESTABLISHED:
	case LOOM_CB_CLIENT_ESTABLISHED:
		s->conn = conn;
		if (target == (client ? SIDE_CLIENT : SIDE_SERVER))
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_SERVER_WRITEABLE:
	case LOOM_CB_CLIENT_WRITEABLE:
		s->writeables++;
		if (hk.failed)
			s->writeables_after++;
		if (target == (client ? SIDE_CLIENT : SIDE_SERVER) && !s->wrote)
			return write_armed(conn, s);
		break;
	case LOOM_CB_CLOSED:
	case LOOM_CB_CLIENT_CLOSED:
		closed(conn, s);
		break;
	default:
		break;
	}

	return 0;
}

static struct loom_protocol p_server[] = {
	{ "wfatal-server", cb_server, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static const struct loom_protocol p_client[] = {
	{ "wfatal-client", cb_client, 0, 0, 0, NULL, 0 },
	{ "wfatal-ws", cb_ws, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static struct loom_protocol p_ws_server[] = {
	{ "wfatal-ws", cb_ws, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
log_sink(int level, const char *line)
{
	/* the TLS layer's line, with the library's reason */
	if (strstr(line, "tls: write failed")) {
		write_failed_lines++;
		snprintf(last_fail, sizeof(last_fail), "%s", line);
	}
	if (level & (LOOM_LL_ERR | LOOM_LL_WARN))
		fprintf(stderr, "%s\n", line);
}

static void
connect_one(struct loom_vhost *sv, struct loom_vhost *cv, void *opaque)
{
	struct loom_client_connect_info cc;
	struct loom_tls_client_info tc;

	memset(&tc, 0, sizeof(tc));
	tc.ca_path = lt_cert(certdir, "ca.pem");
	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = cv;
	cc.address = "127.0.0.1";
	cc.port = loom_vhost_port(sv);
	cc.flags = LOOM_CONNECT_RAW;
	cc.tls = &tc;
	cc.opaque_user_data = opaque;
	if (!opaque && use_ws) {
		/* the target as a WebSocket */
		cc.port = loom_vhost_port(wsv);
		cc.flags = LOOM_CONNECT_WS;
		cc.path = "/";
		cc.protocol = "wfatal-ws";
		cc.ws_protocol = "wfatal-ws";
	}
	LT_CHECK(loom_client_connect(&cc) != NULL);
}

static void
one_case(struct loom_vhost *sv, struct loom_vhost *cv, int side, int path)
{
	static int by_tag;
	struct side *t = side == SIDE_SERVER ? &srv : &cli;
	struct side *peer = side == SIDE_SERVER ? &cli : &srv;
	long long end = now_ms() + 5000;
	int lines = write_failed_lines;

	memset(&srv, 0, sizeof(srv));
	memset(&cli, 0, sizeof(cli));
	memset(&by, 0, sizeof(by));
	memset(&hk, 0, sizeof(hk));
	hk.fd = -1;
	hk.path = path;
	target = side;
	last_fail[0] = '\0';

	/* the bystander first: connected and one echo done before the failure */
	connect_one(sv, cv, &by_tag);
	while (by.echoes < 1 && by.cli_closes == 0 && now_ms() < end)
		loom_service(ctx, 10);
	LT_CHECK_EQ(by.echoes, 1);

	connect_one(sv, cv, NULL);
	while ((srv.closes < 1 || cli.closes < 1) && now_ms() < end)
		loom_service(ctx, 10);
	/* then the bystander's second round trip, after the failure */
	if (by.cli)
		loom_callback_on_writable(by.cli);
	while ((by.cli_closes < 1 || by.srv_closes < 1) && now_ms() < end)
		loom_service(ctx, 10);
	/* a little longer: a conn that lingers or retries shows it here */
	end = now_ms() + 100;
	while (now_ms() < end)
		loom_service(ctx, 10);

	printf("%s %s %s ret %2d: write rc %d, close after %lld ms, peer close after %lld "
	       "ms, sends after the failure %d, bystander echoes %d, close status %d, ws "
	       "code %u (peer %u)\n  log: %s\n", use_ws ? "ws " : "raw",
	       side == SIDE_SERVER ? "server" : "client",
	       path == PATH_FLUSH ? "flush " : "direct", fail_ret, t->write_rc,
	       t->closed_at - hk.failed_at, peer->closed_at - hk.failed_at, hk.after,
	       by.echoes, t->close_status, t->ws_code, peer->ws_code, last_fail);
	LT_CHECK(t->wrote);
	LT_CHECK_EQ(hk.failed, 1);
	LT_CHECK_EQ(hk.after, 0);
	if (path == PATH_DIRECT)
		LT_CHECK(t->write_rc < 0);
	else
		LT_CHECK_EQ(t->write_rc, BIG);
	LT_CHECK_EQ(t->closes, 1);
	LT_CHECK_EQ(peer->closes, 1);
	LT_CHECK_EQ(t->writeables_after, 0);
	LT_CHECK(t->closed_at >= hk.failed_at && t->closed_at - hk.failed_at < 1000);
	LT_CHECK(peer->closed_at >= hk.failed_at && peer->closed_at - hk.failed_at < 2000);
	LT_CHECK(write_failed_lines > lines);
	/* the user sees an abnormal close on every path, whatever it returned */
	LT_CHECK_EQ(t->close_status, LOOM_CLOSE_ABNORMAL);
	if (use_ws) {
		/* no close frame either way: 1006 on both ends (RFC 6455 7.1.5) */
		LT_CHECK_EQ(t->ws_code, 1006);
		LT_CHECK_EQ(peer->ws_code, 1006);
	}
	/* the library's own error, not the socket's */
	if (is_openssl)	/* the ws client's masked write fails further in */
		LT_CHECK(strstr(last_fail, "malloc failure") != NULL ||
			 strstr(last_fail, "internal error") != NULL ||
			 strstr(last_fail, "SSL routines") != NULL);
	else
		LT_CHECK(strstr(last_fail, "nternal error") != NULL ||
			 strstr(last_fail, "6C00") != NULL);
	/* the conn beside it carried on, and closed only when it was done */
	LT_CHECK_EQ(by.echoes, 2);
	LT_CHECK_EQ(by.cli_closes_early, 0);
	LT_CHECK_EQ(by.cli_closes, 1);
	LT_CHECK_EQ(by.srv_closes, 1);
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_tls_vhost_info ts;
	struct loom_vhost_info vi;
	struct loom_vhost *sv, *cv;
	int side, path;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CERTDIR\n", argv[0]);
		return 2;
	}
	snprintf(certdir, sizeof(certdir), "%s", argv[1]);
	/* before Loom first uses the TLS library, so OpenSSL allocates through it */
	loom_set_allocator(test_realloc);
	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN | LOOM_LL_INFO, log_sink);
	is_openssl = !strcmp(loom_tls_backend(), "openssl");
	printf("backend: %s\n", loom_tls_backend());
	loom_fault_set_io_hook(hook, NULL);

	memset(&info, 0, sizeof(info));
	info.timeout_secs = 5;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-tls-write-fatal");

	memset(&ts, 0, sizeof(ts));
	ts.cert_path = lt_cert(certdir, "server-chain.pem");
	ts.key_path = lt_cert(certdir, "server.key");
	memset(&vi, 0, sizeof(vi));
	vi.name = "localhost";
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.iface = "127.0.0.1";
	vi.protocols = p_server;
	vi.tls = &ts;
	sv = loom_create_vhost(ctx, &vi);
	memset(&vi, 0, sizeof(vi));
	vi.name = "client";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = p_client;
	cv = loom_create_vhost(ctx, &vi);
	memset(&vi, 0, sizeof(vi));
	vi.name = "localhost-ws";
	vi.iface = "127.0.0.1";
	vi.protocols = p_ws_server;
	vi.tls = &ts;
	wsv = loom_create_vhost(ctx, &vi);
	LT_CHECK(sv && cv && wsv);
	if (sv && cv && wsv)
		for (use_ws = 0; use_ws <= 1; use_ws++)
			for (fail_ret = 0; fail_ret >= -1; fail_ret--)
				for (side = SIDE_SERVER; side <= SIDE_CLIENT; side++)
					for (path = PATH_DIRECT; path <= (is_openssl ?
							PATH_DIRECT : PATH_FLUSH); path++)
						if (path == PATH_DIRECT || !fail_ret)
							one_case(sv, cv, side, path);

	loom_context_destroy(ctx);
	loom_fault_set_io_hook(NULL, NULL);
	/* every block of Loom's own is back (OpenSSL keeps its process-wide state) */
	printf("Loom blocks left after destroy: %lld; OpenSSL allocations refused: %lld\n",
	       loom_blocks, lib_refused);
	LT_CHECK_EQ(loom_blocks, 0);

	return lt_result("api-test-tls-write-fatal");
}
