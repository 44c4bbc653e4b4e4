/*
 * minimal-libevent-foreign: the app owns a libevent event_base and a timer event
 * of its own; Loom joins the base as a guest (info.foreign_loops) and serves
 * WebSocket from it. Each tick of the app's timer goes to every ws client as
 * "tick N" (asked from the app's own callback: libevent has no prepare step, Loom
 * wakes the base itself). SIGINT is the app's own signal event (Loom never takes
 * signals). Destroying the context deletes Loom's events at once.
 * --selftest: a Loom ws client on the same base waits for three ticks.
 *
 * CC0: copy it and make it your own.
 */
#include <loom.h>

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLIENTS 16

static struct event_base *base;
static struct event *tick_timer, *sigint_watcher;
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
on_tick(evutil_socket_t fd, short what, void *arg)
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
	event_base_loopbreak(base);
}

static void
on_sigint(evutil_socket_t sig, short what, void *arg)
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
	struct timeval tv;
	void *loops[1];
	int n, port = 7681;

	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "--selftest")) {
			selftest = 1;
			port = 0;
		} else if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
	}
	base = event_base_new();
	if (!base)
		return 1;
	loops[0] = base;
	tick_timer = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	tv.tv_sec = selftest ? 0 : 1;
	tv.tv_usec = selftest ? 50000 : 0;
	evtimer_add(tick_timer, &tv);
	sigint_watcher = evsignal_new(base, SIGINT, on_sigint, NULL);
	evsignal_add(sigint_watcher, NULL);

	memset(&info, 0, sizeof(info));
	info.event_lib = "libevent";
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

	event_base_dispatch(base);	/* the app runs its loop; Loom is a guest */

out:
	/* Loom's events go in the destroy; then the app's, then the base */
	loom_context_destroy(context);
	context = NULL;
	event_free(tick_timer);
	event_free(sigint_watcher);
	n = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);
	fprintf(stderr, "events left in the base: %d\n", n);
	event_base_free(base);

	return result || n;
}
