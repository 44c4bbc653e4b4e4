/*
 * evlib-test.h: the body shared by the api-test-evlib-<lib> tests: Loom as a
 * guest in the app's loop and on a loop of its own. Echo over Loom's listener and
 * client while the app's timer ticks (and asks Loom for a write from its own
 * callback), suls, loom_defer() and loom_cancel_service() from another thread, no
 * wakeups when idle (also after loom_stop()), 100 idle conns without wakeups,
 * 1000 opened and closed with no fd left, 100 contexts in a row on one loop, and
 * a context on a loop of its own.
 *
 * A test's main.c includes loom.h, loom-test.h and its lib's header, defines
 *   EVT_LIB        the event lib's name, e.g. "libuv"
 *   EVT_WAKE_UNIT  what evt_run_for() counts, e.g. "loop iterations"
 * then includes this file and defines the app side (declared below):
 *   evt_foreign_loop()  the app's loop, as info.foreign_loops[0] takes it
 *   evt_run_for(ms)     run the app's loop for about ms; how often it woke
 *   evt_run_nowait()    one pass of the app's loop that does not wait
 *   evt_app_timer(on)   start (every 10 ms, calling evt_app_tick()) or stop the
 *                       app's own timer
 *   evt_after_guest()   the lib's own check that no Loom handle is left in the
 *                       loop once the guest context is destroyed
 * and calls evt_run_tests() from main() between setting up and closing its loop.
 */
#ifndef EVLIB_TEST_H
#define EVLIB_TEST_H

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MSG "hello from the guest"

static void *evt_foreign_loop(void);
static unsigned int evt_run_for(unsigned int ms);
static void evt_run_nowait(void);
static void evt_app_timer(int on);
static void evt_after_guest(void);

static unsigned int app_ticks, writeables_from_app;
static int echoed, cancelled, deferred, sul_fired, closes, asked;
static struct loom_conn *client_conn;
static unsigned char txbuf[LOOM_PRE + 256];

static int
cb_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	switch (reason) {
	case LOOM_CB_RAW_RX:
		memcpy(txbuf + LOOM_PRE, in, len);
		return loom_write(conn, txbuf + LOOM_PRE, len, LOOM_WRITE_RAW) < 0;
	case LOOM_CB_EVENT_WAIT_CANCELLED:
		cancelled++;
		break;
	default:
		break;
	}

	return 0;
}

static int
cb_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	switch (reason) {
	case LOOM_CB_RAW_CONNECTED:
		client_conn = conn;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		if (echoed) {
			writeables_from_app++;	/* asked from the app's timer */
			break;
		}
		memcpy(txbuf + LOOM_PRE, MSG, strlen(MSG));
		return loom_write(conn, txbuf + LOOM_PRE, strlen(MSG), LOOM_WRITE_RAW) < 0;
	case LOOM_CB_RAW_RX:
		if (len == strlen(MSG) && !memcmp(in, MSG, len))
			echoed++;
		break;
	case LOOM_CB_RAW_CLOSE:
		if (conn == client_conn)
			client_conn = NULL;
		closes++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ .name = "echo", .callback = cb_echo },
	{ .name = "client", .callback = cb_client },
	{ .name = NULL }
};

/* the body of the app's 10 ms timer callback */
static void
evt_app_tick(void)
{
	app_ticks++;
	/* the app asks for a write from its own callback: the known-writable
	 * shortcut must be served without an fd event */
	if (client_conn && echoed && !asked) {
		asked = 1;
		loom_callback_on_writable(client_conn);
	}
}

static void
on_sul(struct loom_sul *sul)
{
	sul_fired++;
}

static void
on_defer(struct loom_context *ctx, void *arg)
{
	deferred++;
}

static void *
thread_main(void *arg)
{
	struct loom_context *ctx = arg;

	loom_defer(ctx, on_defer, NULL);
	loom_cancel_service(ctx);

	return NULL;
}

static struct loom_context *
guest_context(void)
{
	struct loom_context_info info;
	void *loops[1];

	loops[0] = evt_foreign_loop();
	memset(&info, 0, sizeof(info));
	info.event_lib = EVT_LIB;
	info.foreign_loops = loops;
	info.options = LOOM_CTX_OPT_NO_HOSTS_FILE;

	return loom_create_context(&info);
}

static void
evt_test_guest(void)
{
	struct loom_context *ctx;
	struct loom_vhost_info vi;
	struct loom_client_connect_info ci;
	struct loom_vhost *vh;
	struct loom_sul sul;
	pthread_t th;
	unsigned int n;

	memset(&sul, 0, sizeof(sul));
	ctx = guest_context();
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return;
	LT_CHECK(!strcmp(loom_evlib_name(ctx), EVT_LIB));
	LT_CHECK(loom_evlib_is_guest(ctx, 0));
	LT_CHECK(loom_service(ctx, 0) < 0);	/* the app runs its loop, not Loom */

	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.iface = "127.0.0.1";
	vi.protocols = protocols;
	vh = loom_create_vhost(ctx, &vi);
	LT_CHECK(vh && loom_vhost_port(vh) > 0);
	if (!vh)
		goto out;

	/* idle: a listener, no timers: the loop sleeps */
	n = evt_run_for(1000);
	fprintf(stderr, "idle: %u " EVT_WAKE_UNIT " in 1 s\n", n);
	LT_CHECK(n <= 5);

	/* echo through Loom while the app's own timer ticks */
	evt_app_timer(1);
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = vh;
	ci.address = "127.0.0.1";
	ci.port = loom_vhost_port(vh);
	ci.flags = LOOM_CONNECT_RAW;
	ci.protocol = "client";
	LT_CHECK(loom_client_connect(&ci) != NULL);
	loom_sul_schedule(ctx, 0, &sul, on_sul, 150 * 1000);
	evt_run_for(300);
	evt_app_timer(0);
	LT_CHECK_EQ(echoed, 1);
	LT_CHECK_EQ(sul_fired, 1);
	fprintf(stderr, "app timer: %u ticks in 0.3 s\n", app_ticks);
	LT_CHECK(app_ticks >= 5);
	LT_CHECK_EQ(writeables_from_app, 1);

	/* another thread defers and cancels: both run on the loop */
	LT_CHECK(!pthread_create(&th, NULL, thread_main, ctx));
	pthread_join(th, NULL);
	evt_run_for(100);
	LT_CHECK_EQ(deferred, 1);
	LT_CHECK(cancelled >= 1);

	/* a stop means nothing to a guest: no busy loop after it either */
	loom_stop(ctx);
	n = evt_run_for(500);
	fprintf(stderr, "after loom_stop(): %u " EVT_WAKE_UNIT " in 0.5 s\n", n);
	LT_CHECK(n <= 5);

out:
	loom_context_destroy(ctx);
	evt_after_guest();
	LT_CHECK_EQ(closes, 1);
}

/* ---- 100 idle conns: no wakeups; 1000 opened and closed: nothing left ---- */

#define MANY 100
static struct loom_conn *many[MANY];
static int many_up;

static int
cb_many(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	int i;

	switch (reason) {
	case LOOM_CB_RAW_CONNECTED:
		for (i = 0; i < MANY; i++)
			if (!many[i]) {
				many[i] = conn;
				many_up++;
				break;
			}
		break;
	case LOOM_CB_RAW_CLOSE:
		for (i = 0; i < MANY; i++)
			if (many[i] == conn) {
				many[i] = NULL;
				many_up--;
			}
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol many_protocols[] = {
	{ .name = "sink", .callback = loom_callback_default },
	{ .name = "many", .callback = cb_many },
	{ .name = NULL }
};

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);

	return n - 1;	/* the dir's own fd */
}

static void
evt_test_many(void)
{
	struct loom_client_connect_info ci;
	struct loom_vhost_info vi;
	struct loom_context *ctx;
	struct loom_vhost *vh;
	int round, i, turns, fds_before = count_fds(), opened = 0;
	unsigned int n;

	ctx = guest_context();
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return;
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.iface = "127.0.0.1";
	vi.protocols = many_protocols;
	vh = loom_create_vhost(ctx, &vi);
	LT_CHECK(vh != NULL);
	if (!vh)
		goto out;
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = vh;
	ci.address = "127.0.0.1";
	ci.port = loom_vhost_port(vh);
	ci.flags = LOOM_CONNECT_RAW;
	ci.protocol = "many";
	for (round = 0; round < 10; round++) {
		for (i = 0; i < MANY; i++)
			opened += loom_client_connect(&ci) != NULL;
		for (turns = 0; turns < 250 && many_up < MANY; turns++)
			evt_run_for(20);
		LT_CHECK_EQ(many_up, MANY);
		if (!round) {
			n = evt_run_for(1000);
			fprintf(stderr, "%d idle conns: %u wakeups in 1 s\n", 2 * MANY, n);
			LT_CHECK(n <= 5);
		}
		for (i = 0; i < MANY; i++)
			if (many[i])
				loom_close(many[i], LOOM_CLOSE_NORMAL);
		for (turns = 0; turns < 250 && loom_conn_count(ctx, 0); turns++)
			evt_run_for(20);
		LT_CHECK_EQ(loom_conn_count(ctx, 0), 0);
	}
	LT_CHECK_EQ(opened, 10 * MANY);
out:
	loom_context_destroy(ctx);
	evt_run_for(10);
	LT_CHECK_EQ(count_fds(), fds_before);
}

static void
evt_test_cycles(void)
{
	struct loom_vhost_info vi;
	int i, ok = 0;

	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.iface = "127.0.0.1";
	vi.protocols = protocols;
	for (i = 0; i < 100; i++) {
		struct loom_context *ctx = guest_context();

		if (ctx && loom_create_vhost(ctx, &vi))
			ok++;
		loom_context_destroy(ctx);
		/* the app's loop goes on between contexts */
		evt_run_nowait();
	}
	LT_CHECK_EQ(ok, 100);
}

static void
evt_test_own_loop(void)
{
	struct loom_context_info info;
	struct loom_context *ctx;
	struct loom_sul sul;
	int i;

	memset(&sul, 0, sizeof(sul));
	memset(&info, 0, sizeof(info));
	info.event_lib = EVT_LIB;
	info.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return;
	LT_CHECK(!loom_evlib_is_guest(ctx, 0));
	sul_fired = 0;
	loom_sul_schedule(ctx, 0, &sul, on_sul, 20 * 1000);
	for (i = 0; i < 100 && !sul_fired; i++)
		loom_service(ctx, 10);
	LT_CHECK_EQ(sul_fired, 1);
	loom_context_destroy(ctx);
}

static void
evt_run_tests(void)
{
	evt_test_guest();
	evt_test_many();
	evt_test_cycles();
	evt_test_own_loop();
}

#endif
