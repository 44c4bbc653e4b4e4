/*
 * minimal-http-server-h2: serve a directory over HTTP/2 and HTTP/1.1. Written to
 * CC0 / public domain: copy it freely.
 *
 *   minimal-http-server-h2 --cert FILE --key FILE [-p PORT] [--tls-port PORT]
 *                          [--root DIR] [-d LOGMASK]
 *
 * The same code as minimal-http-server plus a TLS vhost whose ALPN list offers
 * "h2": browsers and curl get HTTP/2 on --tls-port (default 7682). The plain port
 * (-p, default 7681) speaks HTTP/1.1, and h2c to clients that start with the h2
 * preface (curl --http2-prior-knowledge). Nothing in the serving code knows which
 * protocol a request came by: each h2 stream looks like an HTTP/1.1 request.
 */
#include <loom.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MOUNT_ORIGIN
#define MOUNT_ORIGIN "./mount-origin"
#endif

static struct loom_context *context;

static const struct loom_protocol protocols[] = {
	{ "http", loom_callback_default, 0, 0, 0, NULL, 0 },
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
	struct loom_http_mount mount;
	struct loom_http_vhost_info hinfo;
	struct loom_tls_vhost_info tinfo;
	struct loom_context_info info;
	struct loom_vhost_info vinfo, vinfo_tls;
	struct loom_vhost *vh, *vh_tls;
	int n, port = 7681, tls_port = 7682;

	memset(&mount, 0, sizeof(mount));
	mount.mountpoint = "/";
	mount.origin = MOUNT_ORIGIN;
	mount.kind = LOOM_MOUNT_FILES;
	memset(&tinfo, 0, sizeof(tinfo));
	tinfo.alpn = "h2,http/1.1";	/* h2 first: the server's order decides */

	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
		else if (!strcmp(argv[n], "--tls-port") && n + 1 < argc)
			tls_port = atoi(argv[++n]);
		else if (!strcmp(argv[n], "--cert") && n + 1 < argc)
			tinfo.cert_path = argv[++n];
		else if (!strcmp(argv[n], "--key") && n + 1 < argc)
			tinfo.key_path = argv[++n];
		else if (!strcmp(argv[n], "--root") && n + 1 < argc)
			mount.origin = argv[++n];
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			loom_set_log_level(atoi(argv[++n]), NULL);
		else
			break;
	}
	if (n < argc || !tinfo.cert_path || !tinfo.key_path) {
		fprintf(stderr, "usage: %s --cert FILE --key FILE [-p PORT] "
			"[--tls-port PORT] [--root DIR] [-d MASK]\n", argv[0]);
		return 2;
	}

	memset(&info, 0, sizeof(info));
	memset(&hinfo, 0, sizeof(hinfo));
	memset(&vinfo, 0, sizeof(vinfo));
	hinfo.mounts = &mount;
	vinfo.port = port;
	vinfo.protocols = protocols;
	vinfo.http = &hinfo;
	/* the TLS vhost: the same protocols and mounts, plus a certificate */
	vinfo_tls = vinfo;
	vinfo_tls.name = "localhost";
	vinfo_tls.port = tls_port;
	vinfo_tls.tls = &tinfo;

	context = loom_create_context(&info);
	if (!context)
		return 1;
	vh = loom_create_vhost(context, &vinfo);
	vh_tls = loom_create_vhost(context, &vinfo_tls);
	if (!vh || !vh_tls) {
		loom_context_destroy(context);
		return 1;
	}
	fprintf(stderr, "listening on %d\n", loom_vhost_port(vh));
	fprintf(stderr, "listening on tls %d\n", loom_vhost_port(vh_tls));
	signal(SIGINT, sigint_handler);
	signal(SIGTERM, sigint_handler);

	loom_run(context, 0);
	loom_context_destroy(context);

	return 0;
}
