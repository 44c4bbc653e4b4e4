/*
 * loom-test-server: the server tests, scripts and people try Loom against
 * (DESIGN.md section 10): HTTP/1.1 on -p (default 7681) serving the demo site and
 * POST /post; optionally a raw TCP echo service on --raw-port. Later issues add
 * WebSocket, TLS and h2 on the same ports.
 */
#include <loom.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* per connection: bytes received and not yet echoed */
struct echo_conn {
	struct loom_buflist *unsent;
	size_t total;
	int rx_stopped;
};

struct server_opts {
	int port;
	int raw_port;			/* -1: no raw echo listener */
	const char *iface;
	const char *unix_path;
	const char *root;
	unsigned int max_conns;
	size_t max_unsent;
	uint64_t max_body;
	int loglevel;
	int tls_port;			/* HTTPS (with --cert/--key) */
	const char *cert, *key;
};

static struct loom_context *ctx;
static struct server_opts opts = { 7681, -1, NULL, NULL, NULL, 0, 256 * 1024,
				   64ull * 1024 * 1024, LOOM_LL_DEFAULT, 7682, NULL, NULL };

/* POST /post: count the body, answer how much came */
struct post_conn {
	uint64_t received;
};

static int
callback_post(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	      void *in, size_t len)
{
	struct post_conn *pc = user;
	char body[64];
	int n;

	switch (reason) {
	case LOOM_CB_HTTP:
		pc->received = 0;
		if (loom_http_method(conn) != LOOM_HTTP_METHOD_POST &&
		    loom_http_method(conn) != LOOM_HTTP_METHOD_PUT) {
			n = snprintf(body, sizeof(body), "POST or PUT a body here\n");
			return loom_http_respond_simple(conn, 405, "text/plain", body,
							(size_t)n);
		}
		break;
	case LOOM_CB_HTTP_BODY:
		pc->received += len;
		break;
	case LOOM_CB_HTTP_BODY_COMPLETION:
		n = snprintf(body, sizeof(body), "received %llu bytes\n",
			     (unsigned long long)pc->received);
		return loom_http_respond_simple(conn, 200, "text/plain", body, (size_t)n);
	default:
		break;
	}

	return 0;
}

static int
echo_writeable(struct loom_conn *conn, struct echo_conn *ec)
{
	unsigned char out[LOOM_PRE + 16384];
	size_t n = loom_buflist_linear_use(&ec->unsent, out + LOOM_PRE,
					   sizeof(out) - LOOM_PRE);

	ec->total -= n;
	if (n && loom_write(conn, out + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
		return -1;
	if (ec->unsent)
		return loom_callback_on_writable(conn);
	if (ec->rx_stopped) {
		ec->rx_stopped = 0;
		return loom_rx_flow_control(conn, 1);
	}

	return 0;
}

static int
callback_raw_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
		  void *in, size_t len)
{
	struct echo_conn *ec = user;
	char peer[64];

	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		loom_clog_info(conn, "new client %s",
			       loom_get_peer_address(conn, peer, sizeof(peer)));
		break;
	case LOOM_CB_RAW_RX:
		if (loom_buflist_append_segment(&ec->unsent, in, len) < 0)
			return -1;
		ec->total += len;
		/* a client that does not read its echoes is held back, not buffered */
		if (ec->total > opts.max_unsent && !ec->rx_stopped) {
			ec->rx_stopped = 1;
			loom_rx_flow_control(conn, 0);
		}
		return loom_callback_on_writable(conn);
	case LOOM_CB_RAW_WRITEABLE:
		return echo_writeable(conn, ec);
	case LOOM_CB_RAW_CLOSE:
		loom_buflist_destroy_all_segments(&ec->unsent);
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol raw_protocols[] = {
	{ "loom-raw-echo", callback_raw_echo, sizeof(struct echo_conn), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static const struct loom_protocol http_protocols[] = {
	{ "http", loom_callback_default, 0, 0, 0, NULL, 0 },
	{ "loom-post", callback_post, sizeof(struct post_conn), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* the demo site: --root, else the source tree's copy, else the installed one */
static const char *
site_root(void)
{
	static const char *const candidates[] = { LOOM_TEST_SERVER_SITE_SRC,
						  LOOM_TEST_SERVER_SITE_INSTALL };
	unsigned int n;

	if (opts.root)
		return opts.root;
	for (n = 0; n < sizeof(candidates) / sizeof(candidates[0]); n++)
		if (!access(candidates[n], R_OK))
			return candidates[n];

	return ".";
}

static void
on_signal(int sig)
{
	loom_stop(ctx);
}

static void
usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-p PORT] [--root DIR] [--raw-port PORT] [--iface ADDR]\n"
		"          [--unix PATH|@name] [-d LOGMASK] [--max-conns N]\n"
		"          [--max-unsent BYTES] [--max-body BYTES]\n"
		"  -p PORT        HTTP port (default 7681, 0 = pick a free one)\n"
		"  --root DIR     serve DIR instead of the demo site\n"
		"  --raw-port P   also a raw TCP echo service on P (0 = pick one)\n"
		"  --tls-port P   HTTPS port when --cert/--key are given (default 7682)\n"
		"  --cert FILE    PEM certificate (and chain) for HTTPS\n"
		"  --key FILE     its PEM private key\n",
		argv0);
}

static int
parse_args(int argc, char **argv)
{
	int n;

	for (n = 1; n < argc; n++) {
		const char *a = argv[n], *v = n + 1 < argc ? argv[n + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(argv[0]);
			exit(0);
		}
		if (!v) {
			usage(argv[0]);
			return -1;
		}
		n++;
		if (!strcmp(a, "-p"))
			opts.port = atoi(v);
		else if (!strcmp(a, "--raw-port"))
			opts.raw_port = atoi(v);
		else if (!strcmp(a, "--root"))
			opts.root = v;
		else if (!strcmp(a, "--max-body"))
			opts.max_body = (uint64_t)atoll(v);
		else if (!strcmp(a, "--iface"))
			opts.iface = v;
		else if (!strcmp(a, "--unix"))
			opts.unix_path = v;
		else if (!strcmp(a, "-d"))
			opts.loglevel = atoi(v);
		else if (!strcmp(a, "--max-conns"))
			opts.max_conns = (unsigned int)atoi(v);
		else if (!strcmp(a, "--max-unsent"))
			opts.max_unsent = (size_t)atol(v);
		else if (!strcmp(a, "--tls-port"))
			opts.tls_port = atoi(v);
		else if (!strcmp(a, "--cert"))
			opts.cert = v;
		else if (!strcmp(a, "--key"))
			opts.key = v;
		else {
			usage(argv[0]);
			return -1;
		}
	}

	return 0;
}

int
main(int argc, char **argv)
{
	struct loom_http_mount mounts[2];
	struct loom_http_vhost_info hinfo;
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_vhost *vh;
	int r;

	if (parse_args(argc, argv))
		return 2;
	loom_set_log_level(opts.loglevel, NULL);

	memset(&info, 0, sizeof(info));
	info.max_conns = opts.max_conns;
	ctx = loom_create_context(&info);
	if (!ctx)
		return 1;

	memset(&mounts, 0, sizeof(mounts));
	mounts[0].mountpoint = "/";
	mounts[0].origin = site_root();
	mounts[0].kind = LOOM_MOUNT_FILES;
	mounts[0].next = &mounts[1];
	mounts[1].mountpoint = "/post";
	mounts[1].origin = "loom-post";
	mounts[1].kind = LOOM_MOUNT_CALLBACK;
	memset(&hinfo, 0, sizeof(hinfo));
	hinfo.mounts = mounts;
	hinfo.max_body = opts.max_body;

	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.name = "http";
	vinfo.port = opts.port;
	vinfo.iface = opts.iface;
	vinfo.unix_socket_path = opts.unix_path;
	vinfo.protocols = http_protocols;
	vinfo.http = &hinfo;
	vh = loom_create_vhost(ctx, &vinfo);
	if (!vh) {
		loom_context_destroy(ctx);
		return 1;
	}
	if (opts.unix_path)
		fprintf(stderr, "listening on unix %s\n", opts.unix_path);
	else
		fprintf(stderr, "listening on %d\n", loom_vhost_port(vh));

	if (opts.cert || opts.key) {
		/* the same site over TLS: a second vhost with a certificate */
		struct loom_tls_vhost_info tinfo;

		if (!opts.cert || !opts.key) {
			fprintf(stderr, "TLS needs both --cert and --key\n");
			loom_context_destroy(ctx);
			return 2;
		}
		memset(&tinfo, 0, sizeof(tinfo));
		tinfo.cert_path = opts.cert;
		tinfo.key_path = opts.key;
		tinfo.alpn = "http/1.1";
		memset(&vinfo, 0, sizeof(vinfo));
		vinfo.name = "https";
		vinfo.port = opts.tls_port;
		vinfo.iface = opts.iface;
		vinfo.protocols = http_protocols;
		vinfo.http = &hinfo;
		vinfo.tls = &tinfo;
		vh = loom_create_vhost(ctx, &vinfo);
		if (!vh) {
			loom_context_destroy(ctx);
			return 1;
		}
		fprintf(stderr, "listening on tls %d\n", loom_vhost_port(vh));
	}

	if (opts.raw_port >= 0) {
		memset(&vinfo, 0, sizeof(vinfo));
		vinfo.name = "raw-echo";
		vinfo.options = LOOM_VHOST_OPT_RAW;
		vinfo.port = opts.raw_port;
		vinfo.iface = opts.iface;
		vinfo.protocols = raw_protocols;
		vh = loom_create_vhost(ctx, &vinfo);
		if (!vh) {
			loom_context_destroy(ctx);
			return 1;
		}
		fprintf(stderr, "listening on raw %d\n", loom_vhost_port(vh));
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	r = loom_run(ctx, 0);
	loom_context_destroy(ctx);

	return r ? 1 : 0;
}
