/*
 * api-test-tls-write-fail CERTDIR: the socket under an established TLS conn fails
 * hard (ECONNRESET, EPIPE) while the TLS library writes a record: on the direct
 * write from the user's WRITEABLE callback and on the later flush of output the
 * socket could not take at once, on the server and on the client side. The conn
 * must close at once (one CLOSE, no write retried, no close_notify tried on the
 * dead session, no WRITEABLE after the failure) and its peer must see the close.
 * The failure is logged once, with the TLS layer's reason and no errno line of
 * the transport (its errno is a stand-in there); the same failures on a plain
 * conn are logged with their real errno.
 *
 * Each case runs on a raw conn and on a WebSocket, and with the user's WRITEABLE
 * returning 0 or -1 after its write failed: whatever the path and the return,
 * loom_get_close_status() in the close callback is 1006 (no close frame could be
 * sent), no close frame is tried on the dead socket, and a WebSocket peer sees
 * 1006 from loom_ws_peer_close_code().
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
static unsigned char txbuf[LOOM_PRE + BIG];
static int write_failed_lines, tls_failed_lines, errno_lines;
static char errno_line[200];

/* the fault: the target fd's sends, and what they do */
static struct {
	int fd;			/* -1: not armed */
	int path, err;
	int calls;		/* sends on fd since armed, before the failure */
	int failed;		/* the hard failure was given */
	int after;		/* sends on fd tried after it: must stay 0 */
	long long failed_at;
} hk;

struct side {
	struct loom_conn *conn;
	int writeables, writeables_after, closes;
	int write_rc, wrote;
	long long closed_at;
	int close_status;	/* loom_get_close_status() in the close callback */
	unsigned int ws_code;	/* loom_ws_peer_close_code() there */
};

static struct side srv, cli;
static int target, use_ws, fail_ret;

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
		return hk.err;
	}
	hk.calls++;
	if (hk.path == PATH_FLUSH) {
		/* part of the first record goes, then the socket is full: the rest
		 * waits in the buflist for POLLOUT, and fails there */
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

	return hk.err;
}

/* the side under test writes: arm the fault on its socket first */
static int
write_armed(struct loom_conn *conn, struct side *s)
{
	size_t len = hk.path == PATH_FLUSH ? BIG : 100;

	memset(txbuf + LOOM_PRE, 'x', len);
	hk.fd = loom_get_fd(conn);
	s->write_rc = loom_write(conn, txbuf + LOOM_PRE, len,
				 use_ws ? LOOM_WRITE_BINARY : LOOM_WRITE_RAW);
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
on_writeable(struct loom_conn *conn, struct side *s, int is_target)
{
	s->writeables++;
	if (hk.failed && is_target)
		s->writeables_after++;
	if (is_target && !s->wrote)
		return write_armed(conn, s);
	if (!is_target && conn == cli.conn && !s->wrote) {
		/* the client asks the server to write */
		s->wrote = 1;
		memcpy(txbuf + LOOM_PRE, "go", 2);
		return loom_write(conn, txbuf + LOOM_PRE, 2, use_ws ? LOOM_WRITE_BINARY :
				  LOOM_WRITE_RAW) < 0 ? -1 : 0;
	}

	return 0;
}

static int
cb_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
	case LOOM_CB_ESTABLISHED:
		srv.conn = conn;
		break;
	case LOOM_CB_RAW_RX:
	case LOOM_CB_RECEIVE:
		if (target == SIDE_SERVER && !srv.wrote)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
	case LOOM_CB_SERVER_WRITEABLE:
		return on_writeable(conn, &srv, target == SIDE_SERVER);
	case LOOM_CB_RAW_CLOSE:
	case LOOM_CB_CLOSED:
		closed(conn, &srv);
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
	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		cli.closes++;
		cli.closed_at = now_ms();
		break;
	case LOOM_CB_RAW_CONNECTED:
	case LOOM_CB_CLIENT_ESTABLISHED:
		cli.conn = conn;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
	case LOOM_CB_CLIENT_WRITEABLE:
		return on_writeable(conn, &cli, target == SIDE_CLIENT);
	case LOOM_CB_RAW_CLOSE:
	case LOOM_CB_CLIENT_CLOSED:
		closed(conn, &cli);
		break;
	default:
		break;
	}

	return 0;
}

static struct loom_protocol p_server[] = {
	{ "wf-server", cb_server, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static const struct loom_protocol p_client[] = {
	{ "wf-client", cb_client, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
log_sink(int level, const char *line)
{
	if (strstr(line, "write failed"))
		write_failed_lines++;
	if (strstr(line, "tls: write failed"))
		tls_failed_lines++;
	if (strstr(line, "failed, errno")) {
		errno_lines++;
		snprintf(errno_line, sizeof(errno_line), "%s", line);
	}
	if (level & (LOOM_LL_ERR | LOOM_LL_WARN))
		fprintf(stderr, "%s\n", line);
}

static void
one_case(struct loom_vhost *sv, struct loom_vhost *cv, int tls, int side, int path,
	 int err)
{
	struct loom_client_connect_info cc;
	struct loom_tls_client_info tc;
	struct side *t = side == SIDE_SERVER ? &srv : &cli;
	struct side *peer = side == SIDE_SERVER ? &cli : &srv;
	long long end = now_ms() + 5000;
	int lines = write_failed_lines, tlines = tls_failed_lines, elines = errno_lines;
	char want[40];

	memset(&srv, 0, sizeof(srv));
	memset(&cli, 0, sizeof(cli));
	memset(&hk, 0, sizeof(hk));
	hk.fd = -1;
	hk.path = path;
	hk.err = err;
	target = side;

	memset(&tc, 0, sizeof(tc));
	tc.ca_path = lt_cert(certdir, "ca.pem");
	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = cv;
	cc.address = "127.0.0.1";
	cc.port = loom_vhost_port(sv);
	cc.flags = use_ws ? LOOM_CONNECT_WS : LOOM_CONNECT_RAW;
	cc.path = "/";
	cc.tls = tls ? &tc : NULL;
	LT_CHECK(loom_client_connect(&cc) != NULL);
	while ((srv.closes < 1 || cli.closes < 1) && now_ms() < end)
		loom_service(ctx, 10);
	/* a little longer: a conn that lingers or retries shows it here */
	end = now_ms() + 100;
	while (now_ms() < end)
		loom_service(ctx, 10);

	printf("%s %s %s %s %s ret %2d: write rc %d, close after %lld ms, peer close after "
	       "%lld ms, sends after the failure %d, close status %d (peer %d), ws code "
	       "%u (peer %u)\n",
	       use_ws ? "ws " : "raw", tls ? "tls  " : "plain",
	       side == SIDE_SERVER ? "server" : "client",
	       path == PATH_FLUSH ? "flush " : "direct", err == EPIPE ? "EPIPE     " :
	       "ECONNRESET", fail_ret, t->write_rc, t->closed_at - hk.failed_at,
	       peer->closed_at - hk.failed_at, hk.after, t->close_status,
	       peer->close_status, t->ws_code, peer->ws_code);
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
		LT_CHECK_EQ(peer->close_status, LOOM_CLOSE_ABNORMAL);
	}
	if (tls) {
		/* the TLS layer's line, and nothing from the transport below it */
		LT_CHECK_EQ(tls_failed_lines - tlines, 1);
		LT_CHECK_EQ(errno_lines - elines, 0);
	} else {
		/* a plain socket's failure, logged with the real errno */
		LT_CHECK_EQ(tls_failed_lines - tlines, 0);
		LT_CHECK_EQ(errno_lines - elines, 1);
		snprintf(want, sizeof(want), "%s failed, errno %d",
			 path == PATH_FLUSH ? "flush" : "write", err);
		LT_CHECK(errno_lines > elines && strstr(errno_line, want) != NULL);
	}
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_tls_vhost_info ts;
	struct loom_vhost_info vi;
	struct loom_vhost *sv, *pv, *wsv, *wpv, *cv;
	static const int errs[] = { ECONNRESET, EPIPE };
	int tls, side, path, n;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CERTDIR\n", argv[0]);
		return 2;
	}
	snprintf(certdir, sizeof(certdir), "%s", argv[1]);
	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN | LOOM_LL_INFO, log_sink);
	printf("backend: %s\n", loom_tls_backend());
	loom_fault_set_io_hook(hook, NULL);

	memset(&info, 0, sizeof(info));
	info.timeout_secs = 5;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-tls-write-fail");

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
	vi.name = "plain";
	vi.tls = NULL;
	pv = loom_create_vhost(ctx, &vi);
	/* the same two as WebSocket servers */
	vi.options = 0;
	vi.name = "ws-plain";
	wpv = loom_create_vhost(ctx, &vi);
	vi.name = "localhost-ws";
	vi.tls = &ts;
	wsv = loom_create_vhost(ctx, &vi);
	memset(&vi, 0, sizeof(vi));
	vi.name = "client";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = p_client;
	cv = loom_create_vhost(ctx, &vi);
	LT_CHECK(sv && pv && wsv && wpv && cv);
	if (sv && pv && wsv && wpv && cv)
		for (n = 0; n < 2 * 2 * 2 * 2 * 2 * 2; n++) {
			use_ws = n >> 5 & 1;
			fail_ret = -(n >> 4 & 1);
			tls = !(n >> 3 & 1);
			side = n >> 2 & 1 ? SIDE_CLIENT : SIDE_SERVER;
			path = n >> 1 & 1 ? PATH_FLUSH : PATH_DIRECT;
			if (path == PATH_FLUSH && fail_ret)
				continue;	/* its write does not fail: rc is BIG */
			one_case(use_ws ? (tls ? wsv : wpv) : (tls ? sv : pv), cv, tls,
				 side, path, errs[n & 1]);
		}

	loom_context_destroy(ctx);
	loom_fault_set_io_hook(NULL, NULL);

	return lt_result("api-test-tls-write-fail");
}
