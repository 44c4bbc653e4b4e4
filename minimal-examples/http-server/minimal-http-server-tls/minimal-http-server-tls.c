/*
 * minimal-http-server-tls: serve a directory over HTTPS (and plain HTTP). Written
 * to CC0 / public domain: copy it freely.
 *
 *   minimal-http-server-tls --cert FILE --key FILE [--tls-port PORT] [-p PORT]
 *                           [--root DIR] [--alpn LIST] [--no-resume] [-d LOGMASK]
 *
 * Two vhosts share one mount ("/" is DIR, default this example's mount-origin
 * folder): a TLS vhost on --tls-port (default 7682) with the certificate and key
 * given, and a plain HTTP/1.1 vhost on -p (default 7681; -1 for none). TLS 1.2 is
 * the minimum; --no-resume turns session tickets off (for measuring full
 * handshakes). Each listener prints "listening on [tls ]PORT" once it accepts.
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

static int
usage(const char *name)
{
	fprintf(stderr, "usage: %s --cert FILE --key FILE [--tls-port PORT] [-p PORT]\n"
		"        [--root DIR] [--alpn LIST] [--no-resume] [-d MASK]\n", name);

	return 2;
}

int
main(int argc, char **argv)
{
	struct loom_vhost_info vinfo, vinfo_tls;
	struct loom_tls_vhost_info tinfo;
	struct loom_http_vhost_info hinfo;
	struct loom_context_info info;
	struct loom_http_mount mount;
	struct loom_vhost *vh = NULL, *vh_tls;
	int n, port = 7681, tls_port = 7682;

	memset(&mount, 0, sizeof(mount));
	memset(&tinfo, 0, sizeof(tinfo));
	mount.mountpoint = "/";
	mount.origin = MOUNT_ORIGIN;
	mount.kind = LOOM_MOUNT_FILES;
	tinfo.alpn = "http/1.1";

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
		else if (!strcmp(argv[n], "--alpn") && n + 1 < argc)
			tinfo.alpn = argv[++n];
		else if (!strcmp(argv[n], "--no-resume"))
			tinfo.options |= LOOM_TLS_SRV_OPT_NO_TICKETS;
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			loom_set_log_level(atoi(argv[++n]), NULL);
		else
			return usage(argv[0]);
	}
	if (!tinfo.cert_path || !tinfo.key_path)
		return usage(argv[0]);

	memset(&info, 0, sizeof(info));
	memset(&hinfo, 0, sizeof(hinfo));
	memset(&vinfo, 0, sizeof(vinfo));
	hinfo.mounts = &mount;
	vinfo.protocols = protocols;
	vinfo.http = &hinfo;
	vinfo_tls = vinfo;

	vinfo.name = "plain";
	vinfo.port = port;
	vinfo_tls.name = "localhost";
	vinfo_tls.port = tls_port;
	vinfo_tls.tls = &tinfo;

	context = loom_create_context(&info);
	if (!context)
		return 1;
	vh_tls = loom_create_vhost(context, &vinfo_tls);
	if (port >= 0)
		vh = loom_create_vhost(context, &vinfo);
	if (!vh_tls || (port >= 0 && !vh)) {
		loom_context_destroy(context);
		return 1;
	}
	if (vh)
		fprintf(stderr, "listening on %d\n", loom_vhost_port(vh));
	fprintf(stderr, "listening on tls %d\n", loom_vhost_port(vh_tls));
	signal(SIGINT, sigint_handler);
	signal(SIGTERM, sigint_handler);

	loom_run(context, 0);
	loom_context_destroy(context);

	return 0;
}
