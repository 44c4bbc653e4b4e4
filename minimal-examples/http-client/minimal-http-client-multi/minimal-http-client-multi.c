/*
 * minimal-http-client-multi: N GETs of one URL at once, over one HTTP/2 connection
 * as parallel streams. Written to CC0 / public domain: copy it freely.
 *
 *   minimal-http-client-multi URL [-n N] [--ca FILE] [-k] [--timeout SECS]
 *                             [-d LOGMASK]
 *
 * https:// asks for h2 by ALPN; http:// speaks h2 at once (prior knowledge). Each
 * request is its own conn with the usual HTTP client callbacks; Loom puts them on
 * one connection. Prints one line per request (status, body length, stream id) and
 * exits 0 only when all N completed with a 2xx over a single h2 connection; 1
 * otherwise, 2 when nothing moved for --timeout seconds (default 10).
 */
#include <loom.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REQ 256

struct req {
	int idx;
	unsigned int status;
	unsigned int stream;
	size_t len;
	int completed;
	const struct loom_conn *net;	/* the h2 connection it went over */
};

static struct loom_context *context;
static struct req reqs[MAX_REQ];
static int count = 8, closed, progress;

static int
callback_multi(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	       void *in, size_t len)
{
	struct req *r = user;

	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "req %d failed: %s\n", r ? r->idx : -1,
			in ? (const char *)in : "?");
		closed++;
		progress++;
		break;
	case LOOM_CB_ESTABLISHED_CLIENT_HTTP:
		r->status = loom_http_status(conn);
		r->stream = loom_h2_stream_id(conn);
		r->net = loom_h2_network_conn(conn);
		progress++;
		break;
	case LOOM_CB_RECEIVE_CLIENT_HTTP:
		r->len += len;
		progress++;
		break;
	case LOOM_CB_COMPLETED_CLIENT_HTTP:
		r->completed = 1;
		break;
	case LOOM_CB_CLOSED_CLIENT_HTTP:
		printf("req %d: status %u, %zu bytes, stream %u%s\n", r->idx, r->status,
		       r->len, r->stream, r->completed ? "" : " (incomplete)");
		closed++;
		progress++;
		break;
	default:
		break;
	}
	if (closed == count)
		loom_stop(context);

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "http-multi", callback_multi, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
stall_cb(struct loom_sul *sul)
{
	(void)sul;
	fprintf(stderr, "no progress: giving up\n");
	loom_stop(context);
}

int
main(int argc, char **argv)
{
	struct loom_client_connect_info ci;
	struct loom_tls_client_info tls;
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_vhost *vh;
	struct loom_sul stall;
	struct loom_url u;
	int n, timeout = 10, last = -1, ok = 1, stalled = 0;

	memset(&tls, 0, sizeof(tls));
	if (argc < 2 || loom_parse_url(argv[1], &u)) {
		fprintf(stderr, "usage: %s URL [-n N] [--ca FILE] [-k] [--timeout S] "
			"[-d MASK]\n", argv[0]);
		return 1;
	}
	for (n = 2; n < argc; n++) {
		if (!strcmp(argv[n], "-n") && n + 1 < argc)
			count = atoi(argv[++n]);
		else if (!strcmp(argv[n], "--ca") && n + 1 < argc)
			tls.ca_path = argv[++n];
		else if (!strcmp(argv[n], "-k"))
			tls.options |= LOOM_TLS_CLI_OPT_INSECURE_NO_VERIFY;
		else if (!strcmp(argv[n], "--timeout") && n + 1 < argc)
			timeout = atoi(argv[++n]);
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			loom_set_log_level(atoi(argv[++n]), NULL);
	}
	if (count < 1 || count > MAX_REQ) {
		fprintf(stderr, "-n: 1 to %d\n", MAX_REQ);
		return 1;
	}
	tls.alpn = "h2";	/* h2 only: HTTP/1.1 would need N connections */

	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	memset(&stall, 0, sizeof(stall));
	context = loom_create_context(&info);
	if (!context)
		return 1;
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = protocols;
	vh = loom_create_vhost(context, &vinfo);
	for (n = 0; vh && n < count; n++) {
		reqs[n].idx = n;
		memset(&ci, 0, sizeof(ci));
		ci.context = context;
		ci.vhost = vh;
		ci.address = u.host;
		ci.port = u.port;
		ci.method = "GET";
		ci.path = u.path;
		ci.userdata = &reqs[n];	/* each request's per-session data */
		ci.tls = u.tls ? &tls : NULL;
		ci.flags = u.tls ? 0 : LOOM_CONNECT_H2_PRIOR_KNOWLEDGE;
		if (!loom_client_connect(&ci)) {
			fprintf(stderr, "req %d: could not start\n", n);
			closed++;
		}
	}
	if (!vh || closed == count) {
		loom_context_destroy(context);
		return 1;
	}

	while (!loom_is_stopping(context)) {
		if (progress != last) {
			last = progress;
			loom_sul_schedule(context, 0, &stall, stall_cb,
					  (loom_usec_t)timeout * 1000000);
		}
		if (loom_service(context, -1) < 0)
			break;
	}
	stalled = closed < count;
	loom_context_destroy(context);

	for (n = 0; n < count; n++)
		if (!reqs[n].completed || reqs[n].status < 200 || reqs[n].status > 299 ||
		    !reqs[n].net || reqs[n].net != reqs[0].net)
			ok = 0;
	printf("%d requests, %s\n", count, ok ? "all completed over one h2 connection" :
	       "NOT all completed over one h2 connection");

	return ok ? 0 : stalled ? 2 : 1;
}
