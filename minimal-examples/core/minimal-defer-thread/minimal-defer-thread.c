/*
 * minimal-defer-thread: a worker thread asks the service thread for a write. Written
 * to CC0 / public domain. Other threads may only call loom_cancel_service() and
 * loom_defer(); the deferred function runs on the service thread, where it may touch
 * connections, so it queues the message and asks for WRITEABLE callbacks.
 *
 *   minimal-defer-thread [-p PORT] [--selftest]
 *
 * Each connected raw client gets a line every 100 ms made by the worker. With
 * --selftest a client in the same process checks it got 10 lines, in order.
 */
#include <loom.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct msg {
	unsigned int seq;
	char text[64];
};

static struct loom_context *context;
static struct loom_vhost *vhost;
static struct msg latest;		/* owned by the service thread */
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static int worker_stop;			/* protected by stop_lock */

struct pss_tick {
	unsigned int sent_seq;		/* the last seq this conn was sent */
};

/* runs on the service thread: take the worker's message, ask for writes */
static void
deliver(struct loom_context *ctx, void *arg)
{
	struct msg *m = arg;

	latest = *m;
	free(m);
	loom_callback_on_writable_all_protocol(vhost,
		loom_vhost_name_to_protocol(vhost, "tick"));
}

static void *
worker(void *arg)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	unsigned int seq = 0;

	for (;;) {
		struct msg *m;
		int stop;

		pthread_mutex_lock(&stop_lock);
		stop = worker_stop;
		pthread_mutex_unlock(&stop_lock);
		if (stop)
			break;
		m = malloc(sizeof(*m));

		if (m) {
			m->seq = ++seq;
			snprintf(m->text, sizeof(m->text), "tick %u\n", m->seq);
			/* the queue is bounded: when it is full, drop this tick */
			if (loom_defer(context, deliver, m))
				free(m);
		}
		nanosleep(&ts, NULL);
	}

	return NULL;
}

static int
callback_tick(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	      void *in, size_t len)
{
	struct pss_tick *pss = user;
	unsigned char buf[LOOM_PRE + 64];
	size_t n;

	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		pss->sent_seq = latest.seq;	/* start with the next tick */
		break;
	case LOOM_CB_RAW_WRITEABLE:
		if (pss->sent_seq == latest.seq)
			break;
		n = strlen(latest.text);
		memcpy(buf + LOOM_PRE, latest.text, n);
		if (loom_write(conn, buf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		pss->sent_seq = latest.seq;
		break;
	default:
		break;
	}

	return 0;
}

/* ---- --selftest: a client in this process counts the lines ---- */
static int lines, last_seq, failed;

static int
callback_check(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	       void *in, size_t len)
{
	const char *p = in, *end = in ? p + len : p;

	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		failed = 1;
		loom_stop(context);
		break;
	case LOOM_CB_RAW_RX:
		/* lines may arrive split or joined: count newlines, read seqs */
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			int seq;

			if (!nl)
				break;
			if (sscanf(p, "tick %d", &seq) == 1) {
				if (seq <= last_seq)
					failed = 1;
				last_seq = seq;
			}
			lines++;
			p = nl + 1;
		}
		if (lines >= 10)
			return -1;
		break;
	case LOOM_CB_RAW_CLOSE:
		loom_stop(context);
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "tick", callback_tick, sizeof(struct pss_tick), 0, 0, NULL, 0 },
	{ "check", callback_check, 0, 0, 0, NULL, 0 },
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
	pthread_t thread;
	int n, port = 7681, selftest = 0;

	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
		else if (!strcmp(argv[n], "--selftest"))
			selftest = 1;
	}
	if (selftest)
		port = 0;
	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	context = loom_create_context(&info);
	if (!context)
		return 1;
	vinfo.options = LOOM_VHOST_OPT_RAW;
	vinfo.port = port;
	vinfo.protocols = protocols;
	vhost = loom_create_vhost(context, &vinfo);
	if (!vhost) {
		loom_context_destroy(context);
		return 1;
	}
	fprintf(stderr, "listening on %d\n", loom_vhost_port(vhost));
	signal(SIGINT, sigint_handler);
	signal(SIGTERM, sigint_handler);

	if (selftest) {
		struct loom_client_connect_info ci;

		memset(&ci, 0, sizeof(ci));
		ci.context = context;
		ci.address = "127.0.0.1";
		ci.port = loom_vhost_port(vhost);
		ci.flags = LOOM_CONNECT_RAW;
		ci.protocol = "check";
		if (!loom_client_connect(&ci))
			failed = 1;
	}
	if (pthread_create(&thread, NULL, worker, NULL)) {
		loom_context_destroy(context);
		return 1;
	}

	loom_run(context, 0);

	pthread_mutex_lock(&stop_lock);
	worker_stop = 1;
	pthread_mutex_unlock(&stop_lock);
	pthread_join(thread, NULL);
	/* ticks still queued run (and are freed) during the destroy */
	loom_context_destroy(context);

	if (selftest) {
		printf("%d lines, last tick %d: %s\n", lines, last_seq,
		       failed || lines < 10 ? "FAIL" : "ok");
		return failed || lines < 10;
	}

	return 0;
}
