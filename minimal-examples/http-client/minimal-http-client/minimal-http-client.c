/*
 * minimal-http-client: GET a URL and write the response body to stdout. Written to
 * CC0 / public domain: copy it freely.
 *
 *   minimal-http-client URL [-L] [--ca FILE] [-k] [--address ADDR] [--timeout SECS]
 *                       [--http2] [--http2-prior-knowledge] [-H "Name: value"]...
 *                       [--max-head BYTES] [-d LOGMASK]
 *
 * Exits 0 only after a complete response with a 2xx status; 1 on a refused or
 * failed connection, a protocol error or a non-2xx status; 2 on a stall (no
 * progress for --timeout seconds, default 10). -L follows redirects (at most 5).
 * https:// needs a TLS build; --ca
 * trusts a CA file instead of the system store, -k turns verification off.
 * --address connects to ADDR instead of the URL's host; the Host header, TLS SNI
 * and the certificate's name check still use the URL's host (as curl --resolve).
 * --http2 offers h2 by ALPN over https, and over http asks for it with
 * "Upgrade: h2c" (HTTP/1.1 either way if the server does not take it);
 * --http2-prior-knowledge speaks h2 at once over http (as curl's options).
 * -H adds a request header (up to 8); --max-head sets the largest request head
 * (loom_client_connect_info.max_request_head_bytes, 2048 by default).
 */
#include <loom.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct loom_context *context;
static int result = 1;
static unsigned int status;
static size_t received;
static const char *hdr[8];
static int count_hdr;

static int
callback_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
		void *in, size_t len)
{
	switch (reason) {
	case LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER: {
		char name[64];
		const char *c, *v;
		int i;

		for (i = 0; i < count_hdr; i++) {
			c = strchr(hdr[i], ':');
			if (!c || (size_t)(c - hdr[i]) >= sizeof(name))
				return -1;
			memcpy(name, hdr[i], (size_t)(c - hdr[i]));
			name[c - hdr[i]] = '\0';
			for (v = c + 1; *v == ' '; v++)
				;
			if (loom_http_client_add_header(conn, name, v))
				return -1;
		}
		break;
	}
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "failed: %s\n", in ? (const char *)in : "?");
		loom_stop(context);
		break;
	case LOOM_CB_ESTABLISHED_CLIENT_HTTP:
		status = loom_http_status(conn);
		break;
	case LOOM_CB_RECEIVE_CLIENT_HTTP:
		if (fwrite(in, 1, len, stdout) != len)
			return -1;
		received += len;
		break;
	case LOOM_CB_COMPLETED_CLIENT_HTTP:
		if (status >= 200 && status < 300)
			result = 0;
		else
			fprintf(stderr, "status %u\n", status);
		break;
	case LOOM_CB_CLOSED_CLIENT_HTTP:
		loom_stop(context);
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "http-client", callback_client, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
stall_cb(struct loom_sul *sul)
{
	fprintf(stderr, "no progress: giving up\n");
	result = 2;
	loom_stop(context);
}

int
main(int argc, char **argv)
{
	struct loom_client_connect_info ci;
	struct loom_tls_client_info tls;
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_sul stall;
	struct loom_url u;
	int n, timeout = 10, follow = 0, pk = 0, h2 = 0, max_head = 0;
	const char *address = NULL;
	size_t last = 0;

	memset(&tls, 0, sizeof(tls));
	if (argc < 2 || loom_parse_url(argv[1], &u)) {
		fprintf(stderr, "usage: %s URL [--ca FILE] [-k] [--address A] [--timeout S] "
			"[-H \"Name: value\"] [--max-head N] [-d MASK]\n", argv[0]);
		return 1;
	}
	for (n = 2; n < argc; n++) {
		if (!strcmp(argv[n], "--ca") && n + 1 < argc)
			tls.ca_path = argv[++n];
		else if (!strcmp(argv[n], "-L"))
			follow = 1;
		else if (!strcmp(argv[n], "--address") && n + 1 < argc)
			address = argv[++n];
		else if (!strcmp(argv[n], "--http2")) {
			tls.alpn = "h2,http/1.1";
			h2 = 1;
		}
		else if (!strcmp(argv[n], "--http2-prior-knowledge"))
			pk = 1;
		else if (!strcmp(argv[n], "-k"))
			tls.options |= LOOM_TLS_CLI_OPT_INSECURE_NO_VERIFY;
		else if (!strcmp(argv[n], "--timeout") && n + 1 < argc)
			timeout = atoi(argv[++n]);
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			loom_set_log_level(atoi(argv[++n]), NULL);
		else if (!strcmp(argv[n], "-H") && n + 1 < argc &&
			 count_hdr < (int)(sizeof(hdr) / sizeof(hdr[0])))
			hdr[count_hdr++] = argv[++n];
		else if (!strcmp(argv[n], "--max-head") && n + 1 < argc)
			max_head = atoi(argv[++n]);
	}

	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	memset(&ci, 0, sizeof(ci));
	memset(&stall, 0, sizeof(stall));
	context = loom_create_context(&info);
	if (!context)
		return 1;
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = protocols;
	ci.context = context;
	ci.vhost = loom_create_vhost(context, &vinfo);
	ci.address = address ? address : u.host;
	ci.host = address ? u.host : NULL;
	ci.port = u.port;
	ci.method = "GET";
	ci.path = u.path;
	ci.tls = u.tls ? &tls : NULL;
	ci.max_request_head_bytes = max_head > 0 ? (unsigned int)max_head : 0;
	ci.flags = (follow ? LOOM_CONNECT_FOLLOW_REDIRECTS : 0) |
		   (pk ? LOOM_CONNECT_H2_PRIOR_KNOWLEDGE : 0) |
		   (h2 && !u.tls ? LOOM_CONNECT_H2C_UPGRADE : 0);
	if (!ci.vhost || !loom_client_connect(&ci)) {
		loom_context_destroy(context);
		return 1;
	}

	/* until the close; give up if no byte arrives for the timeout */
	while (!loom_is_stopping(context)) {
		if (received != last || !loom_sul_is_scheduled(&stall)) {
			last = received;
			loom_sul_schedule(context, 0, &stall, stall_cb,
					  (loom_usec_t)timeout * 1000000);
		}
		if (loom_service(context, -1) < 0)
			break;
	}
	loom_context_destroy(context);
	fflush(stdout);

	return result;
}
