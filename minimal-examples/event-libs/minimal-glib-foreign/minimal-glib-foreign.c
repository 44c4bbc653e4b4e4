/*
 * minimal-glib-foreign: the app owns a GMainLoop and a timeout source of its own;
 * Loom joins the loop's GMainContext as a guest (info.foreign_loops) and serves
 * WebSocket from it. Each tick of the app's timeout goes to every ws client as
 * "tick N". SIGINT (the app's g_unix_signal source: Loom never takes signals) quits
 * the loop; destroying the context takes Loom's source out of the context at once.
 * --selftest: a Loom ws client in the same context waits for three ticks.
 *
 * CC0: copy it and make it your own.
 */
#include <loom.h>

#include <glib.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLIENTS 16

static GMainLoop *mainloop;
static guint tick_source;
static struct loom_context *context;
static struct loom_conn *clients[MAX_CLIENTS];
static unsigned int ticks;
static int selftest, got_ticks, result = 1;
static unsigned char txbuf[LOOM_PRE + 64];

static int
callback_tick(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	      void *in, size_t len)
{
	int i, n;

	switch (reason) {
	case LOOM_CB_ESTABLISHED:
		for (i = 0; i < MAX_CLIENTS; i++)
			if (!clients[i]) {
				clients[i] = conn;
				return 0;
			}
		return -1;	/* full */
	case LOOM_CB_SERVER_WRITEABLE:
		n = snprintf((char *)txbuf + LOOM_PRE, 64, "tick %u", ticks);
		return loom_write(conn, txbuf + LOOM_PRE, (size_t)n, LOOM_WRITE_TEXT) < 0;
	case LOOM_CB_CLOSED:
		for (i = 0; i < MAX_CLIENTS; i++)
			if (clients[i] == conn)
				clients[i] = NULL;
		break;
	default:
		break;
	}

	return 0;
}

static void shutdown_app(void);

/* --selftest: the client side, on the same loop and context */
static int
callback_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
		void *in, size_t len)
{
	switch (reason) {
	case LOOM_CB_CLIENT_RECEIVE:
		fprintf(stderr, "client got: %.*s\n", (int)len, (const char *)in);
		if (len > 5 && !memcmp(in, "tick ", 5) && ++got_ticks == 3) {
			result = 0;
			shutdown_app();
		}
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "client: %s\n", in ? (const char *)in : "failed");
		shutdown_app();
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ .name = "tick", .callback = callback_tick },
	{ .name = "tick-client", .callback = callback_client },
	{ .name = NULL }
};

/* the app's own timer: Loom is asked for a write on every client */
static gboolean
on_tick(gpointer data)
{
	int i;

	ticks++;
	for (i = 0; i < MAX_CLIENTS; i++)
		if (clients[i])
			loom_callback_on_writable(clients[i]);

	return G_SOURCE_CONTINUE;
}

static void
shutdown_app(void)
{
	if (!context)
		return;
	/* from inside a Loom callback: finish from the loop, not under it */
	g_main_loop_quit(mainloop);
}

static gboolean
on_sigint(gpointer data)
{
	result = 0;
	shutdown_app();

	return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_vhost *vh;
	GMainContext *gctx = g_main_context_default();
	void *loops[1] = { gctx };
	guint sig;
	int n, port = 7681;

	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "--selftest")) {
			selftest = 1;
			port = 0;
		} else if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
	}
	mainloop = g_main_loop_new(gctx, FALSE);
	tick_source = g_timeout_add(selftest ? 50 : 1000, on_tick, NULL);
	sig = g_unix_signal_add(SIGINT, on_sigint, NULL);

	memset(&info, 0, sizeof(info));
	info.event_lib = "glib";
	info.foreign_loops = loops;
	context = loom_create_context(&info);
	if (!context)
		return 1;
	memset(&vi, 0, sizeof(vi));
	vi.port = port;
	vi.iface = selftest ? "127.0.0.1" : NULL;
	vi.protocols = protocols;	/* HTTP vhost: ws upgrades bind to "tick" */
	vh = loom_create_vhost(context, &vi);
	if (!vh)
		goto out;
	fprintf(stderr, "listening on %d\n", loom_vhost_port(vh));
	if (selftest) {
		struct loom_client_connect_info ci;

		memset(&ci, 0, sizeof(ci));
		ci.context = context;
		ci.address = "127.0.0.1";
		ci.port = loom_vhost_port(vh);
		ci.flags = LOOM_CONNECT_WS;
		ci.path = "/";
		ci.protocol = "tick-client";
		if (!loom_client_connect(&ci))
			goto out;
	}

	g_main_loop_run(mainloop);	/* the app runs its loop; Loom is a guest */

out:
	/* Loom's source leaves the context in the destroy; then the app's go */
	loom_context_destroy(context);
	context = NULL;
	g_source_remove(tick_source);
	g_source_remove(sig);
	g_main_loop_unref(mainloop);

	return result;
}
