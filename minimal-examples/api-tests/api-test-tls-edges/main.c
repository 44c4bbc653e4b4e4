/*
 * api-test-tls-edges CERTDIR: the edges of the backend-neutral TLS glue
 * (lib/tls/tls.c), on either backend.
 *  1. A TCP peer that connects to the TLS port and closes (FIN) or resets (RST)
 *     before sending a byte: closed with its reason, never adopted.
 *  2. Plaintext to a redirecting TLS port: a 301 to https only for a well-formed
 *     HTTP/1.x request line with a Host (spaces and tabs before the value are
 *     skipped); anything else (no Host, a bad Host or path, path not starting
 *     with '/', not HTTP/1.x, binary) a 400; both then close.
 *  3. A client whose server accepts TCP and never answers: CONNECTION_ERROR
 *     "handshake timed out" at the client's handshake_timeout_ms.
 *  4. close_notify, against Python's ssl module (an independent TLS stack that
 *     tells a close_notify from a bare EOF): the server closing an established
 *     conn sends close_notify; a peer's close_notify closes the conn cleanly on
 *     the server, which answers with its own.
 *  5. Input held decrypted inside the TLS library while the conn is paused
 *     (loom_rx_flow_control): a receiver reading 64 bytes at a time that pauses
 *     after each read gets nothing while paused and, resumed, the rest without
 *     new bytes on the socket: all 8 KiB in order.
 *  6. With the socket fault seam (LOOM_WITH_FAULT_INJECTION): every socket
 *     write refused with EAGAIN a few times during the handshakes of both ends
 *     (want-write in the handshake, on client and server): the handshakes finish
 *     and 64 KiB echo back intact.
 */
#include <loom.h>
#include "loom-test.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

static char certdir[512];
static struct loom_context *ctx;
static struct loom_vhost *cvh;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
run(int ms)
{
	long long end = now_ms() + ms;

	while (now_ms() < end)
		loom_service(ctx, 10);
}

/* ---- log lines we look for ---- */

static char seen[16][80];
static int nseen;

static void
log_sink(int level, const char *line)
{
	static const char *const want[] = {
		"tls: closed before the handshake", "tls: read failed before the",
		"tls: plaintext request redirected", "tls: handshake timed out",
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(line, want[i]) && nseen < 16)
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", want[i]);
	if (level & (LOOM_LL_ERR | LOOM_LL_WARN))
		fprintf(stderr, "%s\n", line);
}

static int
seen_count(const char *what)
{
	int i, n = 0;

	for (i = 0; i < nseen; i++)
		n += !strcmp(seen[i], what);

	return n;
}

/* ---- the server: TLS echo; "bye\n" makes it close ---- */

struct srv_pss {
	struct loom_buflist *backlog;
	int bye;
};

static struct {
	int adopts, closes, rx;
} ss;
static unsigned char srv_tx[LOOM_PRE + 16384];

static int
cb_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct srv_pss *pss = user;
	size_t n;

	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		ss.adopts++;
		LT_CHECK(loom_conn_is_tls(conn));
		break;
	case LOOM_CB_RAW_RX:
		ss.rx += (int)len;
		if (len >= 4 && !memcmp((const char *)in + len - 4, "bye\n", 4))
			pss->bye = 1;
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
		else if (pss->bye)
			return -1;	/* all echoed: close */
		break;
	case LOOM_CB_RAW_CLOSE:
		ss.closes++;
		loom_buflist_destroy_all_segments(&pss->backlog);
		break;
	default:
		break;
	}

	return 0;
}

static struct loom_protocol p_srv[] = {
	{ "echo", cb_server, sizeof(struct srv_pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* ---- the slow reader: 64 bytes a read, paused after each ---- */

static struct {
	struct loom_conn *conn;
	long long paused_at;
	size_t got;
	int bad, rx_while_paused, reads, over, closes;
} slw;

static int
cb_slow(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	size_t k;

	(void)user;
	switch (reason) {
	case LOOM_CB_RAW_RX:
		if (slw.conn)
			slw.rx_while_paused++;
		slw.over += len > 64;
		for (k = 0; k < len; k++)
			if (((const unsigned char *)in)[k] !=
			    (unsigned char)((slw.got + k) * 7))
				slw.bad++;
		slw.got += len;
		slw.reads++;
		if (slw.got >= 8192)
			return -1;	/* all here: close */
		loom_rx_flow_control(conn, 0);
		slw.conn = conn;
		slw.paused_at = now_ms();
		break;
	case LOOM_CB_RAW_CLOSE:
		slw.closes++;
		slw.conn = NULL;
		break;
	default:
		break;
	}

	return 0;
}

static struct loom_protocol p_slow[] = {
	{ "slow", cb_slow, 0, 64, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static struct loom_vhost *
server_vhost(const char *name, unsigned int tls_opts)
{
	static struct loom_tls_vhost_info ti[4];
	static int nti;
	struct loom_vhost_info vi;
	struct loom_tls_vhost_info *t = &ti[nti++ & 3];

	memset(t, 0, sizeof(*t));
	t->cert_path = lt_cert(certdir, "server.pem");
	t->key_path = lt_cert(certdir, "server.key");
	t->options = tls_opts;
	memset(&vi, 0, sizeof(vi));
	vi.name = name;
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.iface = "127.0.0.1";
	vi.protocols = strcmp(name, "slow") ? p_srv : p_slow;
	vi.tls = t;

	return loom_create_vhost(ctx, &vi);
}

/* ---- the client ---- */

struct cstate {
	int connected, errors, closes, done;
	size_t sent, received, to_send;
	int bad_byte;
	char reason[200];
};

static unsigned char cli_tx[LOOM_PRE + 8192];

static int
cb_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct cstate *c = conn ? loom_get_opaque_user_data(conn) : NULL;
	size_t n, k;

	(void)user;
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
		loom_callback_on_writable(conn);
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
			return -1;
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

static int
run_client(int port, struct loom_tls_client_info *ti, size_t to_send, struct cstate *c,
	   int ms)
{
	struct loom_client_connect_info cc;
	long long end = now_ms() + ms;

	memset(c, 0, sizeof(*c));
	c->to_send = to_send;
	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = cvh;
	cc.address = "127.0.0.1";
	cc.host = "localhost";
	cc.port = port;
	cc.flags = LOOM_CONNECT_RAW;
	cc.opaque_user_data = c;
	cc.tls = ti;
	if (!loom_client_connect(&cc))
		return -1;
	while (!c->done && now_ms() < end)
		loom_service(ctx, 10);
	run(50);

	return c->done ? 0 : -1;
}

/* ---- a plain TCP peer ---- */

static int
tcp_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		fd = -1;
	}

	return fd;
}

/* send \p out, read until EOF (at most 5 s); what came back */
static int
probe(int port, const void *out, size_t olen, char *in, size_t ilen)
{
	long long end = now_ms() + 5000;
	size_t got = 0;
	int fd = tcp_connect(port), eof = 0;

	if (fd < 0)
		return -1;
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
	close(fd);

	return eof ? (int)got : -1;
}

static void
t_peek(int port)
{
	struct linger lg = { 1, 0 };
	int fd, a = ss.adopts;

	/* FIN before a byte */
	fd = tcp_connect(port);
	LT_CHECK(fd >= 0);
	run(50);
	close(fd);
	run(200);
	LT_CHECK_EQ(seen_count("tls: closed before the handshake"), 1);

	/* RST before a byte */
	fd = tcp_connect(port);
	LT_CHECK(fd >= 0);
	run(50);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	run(200);
	LT_CHECK_EQ(seen_count("tls: read failed before the") +
		    seen_count("tls: closed before the handshake"), 2);
	LT_CHECK_EQ(ss.adopts, a);
}

static void
t_plaintext(int port)
{
	static const struct {
		const char *req, *want;
	} c[] = {
		{ "GET /a HTTP/1.1\r\nHost: \t x.test\r\n\r\n",
		  "Location: https://x.test/a\r\n" },
		{ "GET /b HTTP/1.0\r\nUser-Agent: u\r\nhOsT:y.test:99\r\n\r\n",
		  "Location: https://y.test:99/b\r\n" },
		{ "GET /c HTTP/1.1\r\n\r\n", NULL },			/* no Host */
		{ "GET /d HTTP/1.1\r\nHost: a<b\r\n\r\n", NULL },	/* bad Host */
		{ "GET /d HTTP/1.1\r\nHost: \r\n\r\n", NULL },		/* empty Host */
		{ "GET * HTTP/1.1\r\nHost: x.test\r\n\r\n", NULL },	/* not a path */
		{ "GET /<x> HTTP/1.1\r\nHost: x.test\r\n\r\n", NULL },	/* bad path */
		{ "GET /e SPDY/3\r\nHost: x.test\r\n\r\n", NULL },	/* not HTTP/1 */
		{ "GET\r\nHost: x.test\r\n\r\n", NULL },		/* no target */
		{ "\x01\x02\x03\x04", NULL },				/* binary */
	};
	static char longhost[400], req[600];
	char buf[2048];
	size_t i;
	int n, r = seen_count("tls: plaintext request redirected");

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		n = probe(port, c[i].req, strlen(c[i].req), buf, sizeof(buf));
		LT_CHECK(n > 0);
		if (c[i].want) {
			LT_CHECK(!strncmp(buf, "HTTP/1.1 301 ", 13));
			LT_CHECK(strstr(buf, c[i].want) != NULL);
		} else if (strncmp(buf, "HTTP/1.1 400 ", 13)) {
			fprintf(stderr, "case %zu: '%s'\n", i, buf);
			LT_CHECK(0);
		}
	}
	/* a Host longer than any host name */
	memset(longhost, 'h', sizeof(longhost) - 1);
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", longhost);
	n = probe(port, req, strlen(req), buf, sizeof(buf));
	LT_CHECK(n > 0 && !strncmp(buf, "HTTP/1.1 400 ", 13));
	/* every one closed by the server, each logged once */
	LT_CHECK_EQ(seen_count("tls: plaintext request redirected") - r,
		    (int)(sizeof(c) / sizeof(c[0])) + 1);
}

/* a TCP listener that accepts (in the kernel) and never speaks */
static void
t_client_hs_timeout(void)
{
	struct loom_tls_client_info ti;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct cstate c;
	long long t0;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	LT_CHECK(!bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) && !listen(lfd, 4) &&
		 !getsockname(lfd, (struct sockaddr *)&sa, &sl));
	memset(&ti, 0, sizeof(ti));
	ti.ca_path = lt_cert(certdir, "ca.pem");
	ti.handshake_timeout_ms = 300;
	t0 = now_ms();
	LT_CHECK_EQ(run_client(ntohs(sa.sin_port), &ti, 10, &c, 5000), 0);
	t0 = now_ms() - t0;
	LT_CHECK_EQ(c.errors, 1);
	LT_CHECK_EQ(c.connected, 0);
	LT_CHECK(strstr(c.reason, "handshake timed out") != NULL);
	LT_CHECK(t0 >= 250 && t0 < 3000);
	close(lfd);
}

/* the slow reader: resumed 3 ms after each pause, by the loop */
static void
t_paused_pending(int port)
{
	struct loom_client_connect_info cc;
	struct loom_tls_client_info ti;
	static struct cstate c;
	long long end = now_ms() + 20000;

	memset(&ti, 0, sizeof(ti));
	ti.ca_path = lt_cert(certdir, "ca.pem");
	memset(&c, 0, sizeof(c));
	c.to_send = 8192;
	c.received = (size_t)-1 / 2;	/* nothing comes back: never "all back" */
	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = cvh;
	cc.address = "127.0.0.1";
	cc.host = "localhost";
	cc.port = port;
	cc.flags = LOOM_CONNECT_RAW;
	cc.opaque_user_data = &c;
	cc.tls = &ti;
	LT_CHECK(loom_client_connect(&cc) != NULL);
	while (!slw.closes && now_ms() < end) {
		loom_service(ctx, 2);
		if (slw.conn && now_ms() - slw.paused_at >= 3) {
			struct loom_conn *conn = slw.conn;

			slw.conn = NULL;
			LT_CHECK_EQ(loom_rx_flow_control(conn, 1), 0);
		}
	}
	run(50);
	LT_CHECK_EQ(slw.got, 8192);
	LT_CHECK_EQ(slw.bad, 0);
	LT_CHECK_EQ(slw.over, 0);
	LT_CHECK_EQ(slw.rx_while_paused, 0);
	LT_CHECK(slw.reads >= 8192 / 64);
	LT_CHECK_EQ(slw.closes, 1);
	LT_CHECK(c.done);
}

/* ---- close_notify, seen by Python's ssl ---- */

static const char py_close[] =
"import socket, ssl, sys\n"
"port, mode, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3]\n"
"c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
"c.load_verify_locations(ca)\n"
"s = socket.create_connection(('127.0.0.1', port), timeout=5)\n"
"t = c.wrap_socket(s, server_hostname='localhost', suppress_ragged_eofs=False)\n"
"if mode == 'server-closes':\n"
"    t.sendall(b'hello bye\\n')\n"
"    got = b''\n"
"    try:\n"
"        while True:\n"
"            d = t.recv(4096)\n"
"            if not d:\n"
"                break\n"
"            got += d\n"
"    except ssl.SSLEOFError:\n"
"        print('EOF without close_notify'); sys.exit(3)\n"
"    sys.exit(0 if got == b'hello bye\\n' else 4)\n"
"t.sendall(b'ping\\n')\n"
"if t.recv(4096) != b'ping\\n':\n"
"    sys.exit(5)\n"
"t.unwrap()   # our close_notify, and wait for the server's\n"
"sys.exit(0)\n";

static int
run_python(int port, const char *mode)
{
	long long end = now_ms() + 10000;
	char ps[16];
	int status = -1;
	pid_t pid, r;

	snprintf(ps, sizeof(ps), "%d", port);
	pid = fork();
	if (!pid) {
		execl("/usr/bin/python3", "python3", "-c", py_close, ps, mode,
		      lt_cert(certdir, "ca.pem"), (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < end)
		loom_service(ctx, 10);
	if (!r) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fprintf(stderr, "python3 (%s) timed out\n", mode);
		return -1;
	}

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
t_close_notify(int port)
{
	int a = ss.adopts, cl = ss.closes;

	LT_CHECK_EQ(run_python(port, "server-closes"), 0);
	run(50);
	LT_CHECK_EQ(ss.adopts, a + 1);
	LT_CHECK_EQ(ss.closes, cl + 1);
	LT_CHECK_EQ(run_python(port, "peer-closes"), 0);
	run(50);
	LT_CHECK_EQ(ss.adopts, a + 2);
	LT_CHECK_EQ(ss.closes, cl + 2);
}

/* ---- want-write in the handshake (the socket fault seam) ---- */

#if defined(LOOM_WITH_FAULT_INJECTION)
static int eagain_left, eagain_done;

static int
hook(void *opaque, enum loom_fault_io op, int fd, size_t *len)
{
	(void)opaque;
	(void)fd;
	(void)len;
	if (op == LOOM_FAULT_SEND && eagain_left > 0) {
		eagain_left--;
		eagain_done++;
		return EAGAIN;
	}

	return 0;
}

static void
t_handshake_want_write(int port)
{
	struct loom_tls_client_info ti;
	struct cstate c;
	int round;

	memset(&ti, 0, sizeof(ti));
	ti.ca_path = lt_cert(certdir, "ca.pem");
	loom_fault_set_io_hook(hook, NULL);
	/* 1: the ClientHello refused; more: later flights of both ends too */
	for (round = 1; round <= 6; round += 5) {
		eagain_left = round;
		eagain_done = 0;
		LT_CHECK_EQ(run_client(port, &ti, 64 * 1024, &c, 10000), 0);
		LT_CHECK_EQ(eagain_done, round);
		LT_CHECK_EQ(c.errors, 0);
		LT_CHECK_EQ(c.connected, 1);
		LT_CHECK_EQ(c.received, 64 * 1024);
		LT_CHECK_EQ(c.bad_byte, 0);
	}
	loom_fault_set_io_hook(NULL, NULL);
}
#endif

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_vhost *v_echo, *v_redir, *v_slow;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CERTDIR\n", argv[0]);
		return 2;
	}
	snprintf(certdir, sizeof(certdir), "%s", argv[1]);
	signal(SIGPIPE, SIG_IGN);
	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN | LOOM_LL_NOTICE | LOOM_LL_INFO,
			   log_sink);
	printf("backend: %s\n", loom_tls_backend());

	memset(&info, 0, sizeof(info));
	info.timeout_secs = 5;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-tls-edges");
	v_echo = server_vhost("localhost", 0);
	v_redir = server_vhost("redir", LOOM_TLS_SRV_OPT_REDIRECT_PLAINTEXT);
	v_slow = server_vhost("slow", 0);
	memset(&vi, 0, sizeof(vi));
	vi.name = "client";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = p_client;
	cvh = loom_create_vhost(ctx, &vi);
	LT_CHECK(v_echo && v_redir && v_slow && cvh);
	if (!v_echo || !v_redir || !v_slow || !cvh)
		return lt_result("api-test-tls-edges");

	t_peek(loom_vhost_port(v_echo));
	t_plaintext(loom_vhost_port(v_redir));
	t_client_hs_timeout();
	t_close_notify(loom_vhost_port(v_echo));
	t_paused_pending(loom_vhost_port(v_slow));
#if defined(LOOM_WITH_FAULT_INJECTION)
	t_handshake_want_write(loom_vhost_port(v_echo));
#else
	printf("no socket fault seam in this build: handshake want-write not run\n");
#endif

	loom_context_destroy(ctx);

	return lt_result("api-test-tls-edges");
}
