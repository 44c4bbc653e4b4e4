/*
 * loom-test-server: the server tests, scripts and people try Loom against. For now a
 * raw TCP echo service; later issues add HTTP, WebSocket, TLS and h2 on the same
 * ports (DESIGN.md section 10 for the options and the "listening on" line).
 */
#include <loom.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* per connection: bytes received and not yet echoed */
struct echo_conn {
	struct loom_buflist *unsent;
	size_t total;
	int rx_stopped;
};

struct server_opts {
	int port;
	const char *iface;
	const char *unix_path;
	unsigned int max_conns;
	size_t max_unsent;
	int loglevel;
};

static struct loom_context *ctx;
static struct server_opts opts = { 7681, NULL, NULL, 0, 256 * 1024, LOOM_LL_DEFAULT };

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

static const struct loom_protocol protocols[] = {
	{ "loom-raw-echo", callback_raw_echo, sizeof(struct echo_conn), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
on_signal(int sig)
{
	loom_stop(ctx);
}

static void
usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-p PORT] [--iface ADDR] [--unix PATH|@name] [-d LOGMASK]\n"
		"          [--max-conns N] [--max-unsent BYTES]\n"
		"  -p PORT       raw echo port (default 7681, 0 = pick a free one)\n"
		"  --tls-port, --cert, --key, --root: not in this build yet (no TLS/HTTP)\n",
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
		else if (!strcmp(a, "--tls-port") || !strcmp(a, "--cert") ||
			 !strcmp(a, "--key") || !strcmp(a, "--root")) {
			fprintf(stderr, "%s: not supported by this build yet\n", a);
			return -1;
		} else {
			usage(argv[0]);
			return -1;
		}
	}

	return 0;
}

int
main(int argc, char **argv)
{
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

	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.name = "raw-echo";
	vinfo.options = LOOM_VHOST_OPT_RAW;
	vinfo.port = opts.port;
	vinfo.iface = opts.iface;
	vinfo.unix_socket_path = opts.unix_path;
	vinfo.protocols = protocols;
	vh = loom_create_vhost(ctx, &vinfo);
	if (!vh) {
		loom_context_destroy(ctx);
		return 1;
	}
	if (opts.unix_path)
		fprintf(stderr, "listening on unix %s\n", opts.unix_path);
	else
		fprintf(stderr, "listening on %d\n", loom_vhost_port(vh));

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	r = loom_run(ctx, 0);
	loom_context_destroy(ctx);

	return r ? 1 : 0;
}
