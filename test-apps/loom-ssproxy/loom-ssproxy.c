/*
 * loom-ssproxy: the Secure Streams proxy. It owns the policy and the real
 * connections; SSPC clients (other processes, or devices over a byte pipe)
 * connect to it and open streams by type name (READMEs/README.ss-serialization.md).
 *
 *   loom-ssproxy --policy FILE [--unix PATH|@name] [-p PORT] [--iface ADDR]
 *                [--allow STREAMTYPE]... [--allow-uid UID]... [--allow-gid GID]...
 *                [--mux TTY [--mux-ping MS] [--mux-miss N]] [-d LOGMASK]
 *
 * With neither --unix nor -p it listens on the abstract Unix socket
 * "@loom-ssproxy" (with --mux, on a free TCP port of 127.0.0.1 instead). --mux
 * also serves SSPC streams multiplexed over a tty or pty (a UART to a device),
 * set raw; it prints "mux on TTY". --allow-uid / --allow-gid serve only Unix socket
 * clients of those users or groups (peer credentials); others are refused. It prints "listening on unix PATH" or "listening on PORT"
 * once it accepts clients and exits cleanly on SIGINT / SIGTERM.
 */
#include <loom.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ALLOW 32

static struct loom_context *ctx;

static void
on_signal(int sig)
{
	(void)sig;
	loom_stop(ctx);
}

int
main(int argc, char **argv)
{
	const char *allow[MAX_ALLOW + 1];
	unsigned int uids[MAX_ALLOW], gids[MAX_ALLOW];
	struct loom_ss_proxy_info pi;
	struct loom_context_info info;
	struct loom_vhost *vh;
	int n, na = 0, port = -1;

	memset(&info, 0, sizeof(info));
	memset(&pi, 0, sizeof(pi));
	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "--policy") && n + 1 < argc)
			info.ss_policy_file = argv[++n];
		else if (!strcmp(argv[n], "--unix") && n + 1 < argc)
			pi.unix_path = argv[++n];
		else if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
		else if (!strcmp(argv[n], "--iface") && n + 1 < argc)
			pi.iface = argv[++n];
		else if (!strcmp(argv[n], "--allow") && n + 1 < argc && na < MAX_ALLOW)
			allow[na++] = argv[++n];
		else if (!strcmp(argv[n], "--allow-uid") && n + 1 < argc &&
			 pi.count_allowed_uids < MAX_ALLOW)
			uids[pi.count_allowed_uids++] = (unsigned int)atoi(argv[++n]);
		else if (!strcmp(argv[n], "--allow-gid") && n + 1 < argc &&
			 pi.count_allowed_gids < MAX_ALLOW)
			gids[pi.count_allowed_gids++] = (unsigned int)atoi(argv[++n]);
		else if (!strcmp(argv[n], "--mux") && n + 1 < argc)
			pi.mux_path = argv[++n];
		else if (!strcmp(argv[n], "--mux-ping") && n + 1 < argc)
			pi.mux_ping_ms = (unsigned int)atoi(argv[++n]);
		else if (!strcmp(argv[n], "--mux-miss") && n + 1 < argc)
			pi.mux_miss_max = (unsigned int)atoi(argv[++n]);
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			loom_set_log_level(atoi(argv[++n]), NULL);
		else {
			fprintf(stderr, "usage: %s --policy FILE [--unix PATH|@name] "
				"[-p PORT] [--iface ADDR] [--allow STREAMTYPE]... "
				"[--allow-uid UID]... [--allow-gid GID]... "
				"[--mux TTY [--mux-ping MS] [--mux-miss N]] "
				"[-d LOGMASK]\n", argv[0]);
			return 2;
		}
	}
	if (!info.ss_policy_file) {
		fprintf(stderr, "loom-ssproxy: --policy FILE is needed\n");
		return 2;
	}
	if (!pi.unix_path && port < 0 && !pi.mux_path)
		pi.unix_path = "@loom-ssproxy";
	pi.port = port < 0 ? 0 : port;
	allow[na] = NULL;
	if (na)
		pi.allowed_streamtypes = allow;
	pi.allowed_uids = uids;
	pi.allowed_gids = gids;

	ctx = loom_create_context(&info);
	if (!ctx)
		return 1;
	vh = loom_ss_proxy_create(ctx, &pi);
	if (!vh) {
		loom_context_destroy(ctx);
		return 1;
	}
	if (pi.unix_path)
		fprintf(stderr, "listening on unix %s\n", pi.unix_path);
	else
		fprintf(stderr, "listening on %d\n", loom_vhost_port(vh));
	if (pi.mux_path)
		fprintf(stderr, "mux on %s\n", pi.mux_path);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	loom_run(ctx, 0);
	loom_context_destroy(ctx);

	return 0;
}
