/*
 * lws-http-peer: the libwebsockets reference server of the http1 benchmark
 * (test-apps/bench/http1/run.sh, DESIGN.md section 9).  Built against the
 * system's libwebsockets (Debian's libwebsockets-dev 4.1.6), not against Loom.
 *
 *   loom-bench-lws-peer [-p PORT] [--root DIR] [--cert FILE --key FILE]
 *
 * One context, one service thread, the default vhost with one mount: "/" is
 * the directory DIR (LWSMPRO_FILE), as lws' own minimal-http-server does.
 * Prints "listening on PORT" on stderr once it accepts (-p 0: a free port
 * picked by the kernel), exits 0 on SIGINT / SIGTERM.  With --cert and --key
 * the vhost serves TLS instead (tls/run.sh), session tickets off, and the line
 * is "listening on tls PORT".
 */
#include <libwebsockets.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct lws_context *context;
static volatile sig_atomic_t interrupted;

/* lws serves no file whose suffix it does not know: add the benchmark's */
static const struct lws_protocol_vhost_options mime_bin = {
	NULL, NULL, ".bin", "application/octet-stream"
};

static void
sigint_handler(int sig)
{
	(void)sig;
	interrupted = 1;
	if (context)
		lws_cancel_service(context);
}

int
main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_http_mount mount;
	struct lws_vhost *vh;
	const char *root = ".", *cert = NULL, *key = NULL;
	int n, port = 7681;

	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
		else if (!strcmp(argv[n], "--root") && n + 1 < argc)
			root = argv[++n];
		else if (!strcmp(argv[n], "--cert") && n + 1 < argc)
			cert = argv[++n];
		else if (!strcmp(argv[n], "--key") && n + 1 < argc)
			key = argv[++n];
		else {
			fprintf(stderr, "usage: %s [-p PORT] [--root DIR] "
				"[--cert FILE --key FILE]\n", argv[0]);
			return 2;
		}
	}

	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);

	memset(&mount, 0, sizeof(mount));
	mount.mountpoint = "/";
	mount.mountpoint_len = 1;
	mount.origin = root;
	mount.def = "index.html";
	mount.origin_protocol = LWSMPRO_FILE;
	mount.extra_mimetypes = &mime_bin;

	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = "127.0.0.1";
	info.mounts = &mount;
	info.count_threads = 1;
	if (cert && key) {
		/* no resumption: every connection is a full handshake */
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cert;
		info.ssl_private_key_filepath = key;
		info.ssl_options_set = SSL_OP_NO_TICKET;
	}

	context = lws_create_context(&info);
	if (!context) {
		fprintf(stderr, "lws-http-peer: lws_create_context failed\n");
		return 1;
	}
	vh = lws_get_vhost_by_name(context, "default");
	if (!vh) {
		fprintf(stderr, "lws-http-peer: no default vhost\n");
		lws_context_destroy(context);
		return 1;
	}
	signal(SIGINT, sigint_handler);
	signal(SIGTERM, sigint_handler);
	fprintf(stderr, "listening on %s%d\n", cert && key ? "tls " : "",
		lws_get_vhost_listen_port(vh));

	n = 0;
	while (n >= 0 && !interrupted)
		n = lws_service(context, 0);

	lws_context_destroy(context);

	return 0;
}
