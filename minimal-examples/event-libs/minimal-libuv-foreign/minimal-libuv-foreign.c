/*
 * minimal-libuv-foreign: the app owns a libuv loop and runs a uv timer of its own;
 * Loom joins that loop as a guest (info.foreign_loops) and serves WebSocket on it.
 * Each tick of the app's timer is sent to every ws client as "tick N".
 * SIGINT (a uv_signal of the app's: Loom never takes signals) shuts down the libuv
 * way: destroy the context, close the app's handles, let the loop finish, close it.
 * --selftest: a Loom ws client on the same loop waits for three ticks, then the
 * app shuts down and checks that uv_loop_close() returns 0.
 *
 * CC0: copy it and make it your own.
 */
#include <loom.h>

#include <uv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLIENTS 16

static uv_loop_t loop;
static uv_timer_t tick_timer;
static uv_signal_t sigint_watcher;
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
static void
on_tick(uv_timer_t *t)
{
	int i;

	ticks++;
	for (i = 0; i < MAX_CLIENTS; i++)
		if (clients[i])
			loom_callback_on_writable(clients[i]);
}

static void
shutdown_app(void)
{
	if (!context)
		return;
	/* from inside a Loom callback: finish from the loop, not under it */
	uv_timer_stop(&tick_timer);
	uv_stop(&loop);
}

static void
on_sigint(uv_signal_t *s, int signum)
{
	result = 0;
	shutdown_app();
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_vhost *vh;
	void *loops[1] = { &loop };
	int n, port = 7681;

	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "--selftest")) {
			selftest = 1;
			port = 0;
		} else if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
	}
	uv_loop_init(&loop);
	uv_timer_init(&loop, &tick_timer);
	uv_timer_start(&tick_timer, on_tick, selftest ? 50 : 1000,
		       selftest ? 50 : 1000);
	uv_signal_init(&loop, &sigint_watcher);
	uv_signal_start(&sigint_watcher, on_sigint, SIGINT);

	memset(&info, 0, sizeof(info));
	info.event_lib = "libuv";
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

	uv_run(&loop, UV_RUN_DEFAULT);	/* the app runs its loop; Loom is a guest */

out:
	/* the libuv shutdown: Loom's handles start closing in the destroy, the
	 * app closes its own, the loop runs until every close callback came */
	loom_context_destroy(context);
	context = NULL;
	uv_close((uv_handle_t *)&tick_timer, NULL);
	uv_close((uv_handle_t *)&sigint_watcher, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	n = uv_loop_close(&loop);
	fprintf(stderr, "uv_loop_close: %d\n", n);

	return result || n;
}
