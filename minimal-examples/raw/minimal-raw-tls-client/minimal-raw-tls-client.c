/*
 * minimal-raw-tls-client: connect to a TLS server, send it what arrives on stdin,
 * and print what it sends back on stdout. Written to CC0 / public domain.
 *
 *   minimal-raw-tls-client HOST:PORT [--ca FILE] [--cert FILE --key FILE]
 *        [--server-name NAME] [--alpn LIST] [--insecure] [-d LOGMASK]
 *
 * The server's certificate is verified against the system trust store (or --ca)
 * and must name HOST (or --server-name); --insecure turns that off. When stdin
 * ends and as many bytes came back as were sent, it closes and exits 0. A refused
 * certificate prints "connection failed: tls: <why>" and exits 1; a stall exits 2.
 */
#include <loom.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct loom_context *context;
static struct loom_conn *server;
static struct loom_buflist *to_server;	/* stdin bytes waiting to be sent */
static size_t sent, received;
static int stdin_done, result = 1;
static unsigned char buf[LOOM_PRE + 16384];

static void
maybe_finish(void)
{
	if (stdin_done && !to_server && server && received >= sent) {
		result = 0;
		loom_close(server, LOOM_CLOSE_NORMAL);
	}
}

static int
callback_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
		void *in, size_t len)
{
	size_t n;

	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "connection failed: %.*s\n", (int)len,
			in ? (char *)in : "?");
		loom_stop(context);
		break;
	case LOOM_CB_RAW_CONNECTED:
		fprintf(stderr, "connected (tls, alpn %s)\n",
			loom_tls_alpn(conn) ? loom_tls_alpn(conn) : "none");
		server = conn;
		if (to_server)
			loom_callback_on_writable(conn);
		maybe_finish();
		break;
	case LOOM_CB_RAW_RX:
		if (fwrite(in, 1, len, stdout) != len)
			return -1;
		fflush(stdout);
		received += len;
		maybe_finish();
		break;
	case LOOM_CB_RAW_WRITEABLE:
		n = loom_buflist_linear_use(&to_server, buf + LOOM_PRE,
					    sizeof(buf) - LOOM_PRE);
		if (n && loom_write(conn, buf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		sent += n;
		if (to_server)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_CLOSE:
		server = NULL;
		loom_stop(context);
		break;

	/* stdin, adopted as a raw file */
	case LOOM_CB_RAW_RX_FILE:
		if (loom_buflist_append_segment(&to_server, in, len) < 0)
			return -1;
		if (server)
			loom_callback_on_writable(server);
		break;
	case LOOM_CB_RAW_CLOSE_FILE:
		stdin_done = 1;
		maybe_finish();
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "raw-tls-client", callback_client, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* "host:port" or "[v6]:port" into address and port */
static int
parse_target(char *t, const char **address, int *port)
{
	char *colon = strrchr(t, ':');

	if (!colon)
		return -1;
	*colon = '\0';
	*port = atoi(colon + 1);
	if (t[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		t++;
	}
	*address = t;

	return *port > 0 && *port < 65536 ? 0 : -1;
}

static struct loom_sul stall;

static void
stall_cb(struct loom_sul *sul)
{
	fprintf(stderr, "no progress for 10s: giving up\n");
	result = 2;
	loom_stop(context);
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_client_connect_info ci;
	struct loom_tls_client_info tls;
	struct loom_vhost *vh;
	size_t last = 0;
	int n;

	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	memset(&ci, 0, sizeof(ci));
	memset(&tls, 0, sizeof(tls));
	if (argc < 2 || parse_target(argv[1], &ci.address, &ci.port)) {
		fprintf(stderr, "usage: %s HOST:PORT [--ca FILE] [--cert FILE --key FILE] "
			"[--server-name NAME] [--alpn LIST] [--insecure] [-d MASK]\n",
			argv[0]);
		return 2;
	}
	for (n = 2; n < argc; n++) {
		const char *a = argv[n], *v = n + 1 < argc ? argv[n + 1] : NULL;

		if (!strcmp(a, "--insecure")) {
			tls.options |= LOOM_TLS_CLI_OPT_INSECURE_NO_VERIFY;
			continue;
		}
		if (!v) {
			fprintf(stderr, "%s needs a value\n", a);
			return 2;
		}
		n++;
		if (!strcmp(a, "--ca"))
			tls.ca_path = v;
		else if (!strcmp(a, "--cert"))
			tls.cert_path = v;
		else if (!strcmp(a, "--key"))
			tls.key_path = v;
		else if (!strcmp(a, "--server-name"))
			tls.server_name = v;
		else if (!strcmp(a, "--alpn"))
			tls.alpn = v;
		else if (!strcmp(a, "-d"))
			loom_set_log_level(atoi(v), NULL);
		else {
			fprintf(stderr, "unknown option %s\n", a);
			return 2;
		}
	}

	context = loom_create_context(&info);
	if (!context)
		return 1;
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = protocols;
	vh = loom_create_vhost(context, &vinfo);
	ci.context = context;
	ci.vhost = vh;
	ci.flags = LOOM_CONNECT_RAW;
	ci.tls = &tls;
	if (!vh || !loom_client_connect(&ci) ||
	    !loom_adopt_descriptor(vh, LOOM_ADOPT_FILE | LOOM_ADOPT_NO_CLOSE, 0, NULL,
				   NULL)) {
		loom_context_destroy(context);
		return 1;
	}

	/* the loop runs until the close; give up if nothing moves for 10s */
	while (!loom_is_stopping(context)) {
		if (sent + received != last || !loom_sul_is_scheduled(&stall)) {
			last = sent + received;
			loom_sul_schedule(context, 0, &stall, stall_cb,
					  10 * (loom_usec_t)1000000);
		}
		if (loom_service(context, -1) < 0)
			break;
	}
	loom_context_destroy(context);
	loom_buflist_destroy_all_segments(&to_server);

	return result;
}
