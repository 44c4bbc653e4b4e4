/*
 * minimal-http-server-dynamic: content made by a callback, of a length not known
 * in advance. Written to CC0 / public domain: copy it freely.
 *
 *   minimal-http-server-dynamic [-p PORT] [-d LOGMASK]
 *
 * GET /count?n=N answers N lines ("line 1" ...), sent a few lines per
 * LOOM_CB_HTTP_WRITEABLE with chunked coding, so a huge N never sits in memory.
 * GET / shows the request's headers and arguments back.
 */
#include <loom.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pss {
	unsigned long next, total;	/* /count: the next line, how many in all */
};

static struct loom_context *context;

static int
callback_dynamic(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
		 void *in, size_t len)
{
	unsigned char buf[LOOM_PRE + 2048], *p = buf + LOOM_PRE;
	struct pss *pss = user;
	char arg[32], ua[128];
	size_t n = 0;
	int final;

	switch (reason) {
	case LOOM_CB_HTTP:
		if (!strcmp(in, "/count")) {
			pss->next = 1;
			pss->total = 10;
			if (loom_http_get_arg(conn, "n", arg, sizeof(arg)) > 0)
				pss->total = strtoul(arg, NULL, 10);
			if (loom_http_respond(conn, 200, "text/plain",
					      LOOM_HTTP_LEN_UNKNOWN))
				return -1;
			/* the body goes out from WRITEABLE, a piece at a time */
			return loom_callback_on_writable(conn);
		}
		if (strcmp(in, "/"))
			return loom_http_respond_simple(conn, 404, "text/plain",
							"not here\n", 9);
		if (loom_hdr_copy(conn, ua, sizeof(ua), LOOM_HDR_USER_AGENT) < 0)
			strcpy(ua, "(none)");
		n = (size_t)snprintf((char *)p, 2048, "path %s\nuser-agent %s\n",
				     (const char *)in, ua);
		return loom_http_respond_simple(conn, 200, "text/plain", p, n);

	case LOOM_CB_HTTP_WRITEABLE:
		while (pss->next <= pss->total && n < 1900)
			n += (size_t)snprintf((char *)p + n, 2048 - n, "line %lu\n",
					      pss->next++);
		final = pss->next > pss->total;
		if (loom_http_write_body(conn, p, n, final) < 0)
			return -1;
		if (!final)
			loom_callback_on_writable(conn);
		break;

	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "dynamic", callback_dynamic, sizeof(struct pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
sigint_handler(int sig)
{
	loom_stop(context);
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_vhost *vh;
	int n, port = 7681;

	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			loom_set_log_level(atoi(argv[++n]), NULL);
	}
	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.port = port;
	vinfo.protocols = protocols;
	context = loom_create_context(&info);
	if (!context)
		return 1;
	vh = loom_create_vhost(context, &vinfo);
	if (!vh) {
		loom_context_destroy(context);
		return 1;
	}
	fprintf(stderr, "listening on %d\n", loom_vhost_port(vh));
	signal(SIGINT, sigint_handler);
	signal(SIGTERM, sigint_handler);
	loom_run(context, 0);
	loom_context_destroy(context);

	return 0;
}
