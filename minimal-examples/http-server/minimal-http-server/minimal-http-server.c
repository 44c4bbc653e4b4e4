/*
 * minimal-http-server: serve a directory over HTTP/1.1. Written to CC0 / public
 * domain: copy it freely.
 *
 *   minimal-http-server [-p PORT] [--root DIR] [-d LOGMASK]
 *
 * A vhost with one mount: "/" is the directory DIR (default: this example's
 * mount-origin folder). Loom does the rest: MIME types, index.html, ETag and
 * If-Modified-Since (304), Range (206), HEAD, keep-alive and pipelining; anything
 * outside DIR is never served.
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
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_vhost *vh;
	int n, port = 7681;

	memset(&mount, 0, sizeof(mount));
	mount.mountpoint = "/";
	mount.origin = MOUNT_ORIGIN;
	mount.kind = LOOM_MOUNT_FILES;

	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
		else if (!strcmp(argv[n], "--root") && n + 1 < argc)
			mount.origin = argv[++n];
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			loom_set_log_level(atoi(argv[++n]), NULL);
		else {
			fprintf(stderr, "usage: %s [-p PORT] [--root DIR] [-d MASK]\n",
				argv[0]);
			return 2;
		}
	}

	memset(&info, 0, sizeof(info));
	memset(&hinfo, 0, sizeof(hinfo));
	memset(&vinfo, 0, sizeof(vinfo));
	hinfo.mounts = &mount;
	vinfo.port = port;
	vinfo.protocols = protocols;
	vinfo.http = &hinfo;

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
