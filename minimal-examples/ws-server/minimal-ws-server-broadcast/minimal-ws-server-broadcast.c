/*
 * minimal-ws-server-broadcast: every message a client sends goes to every client,
 * and a "tick N" goes to all of them each second: loom_callback_on_writable_all_
 * protocol() asks each connection for a WRITEABLE callback and each one sends the
 * messages it has not sent yet. Written to CC0 / public domain: copy it freely.
 *
 *   minimal-ws-server-broadcast [-p PORT] [-d MASK] [--selftest]
 *
 * --selftest listens on a free port, connects two clients of its own, has one say
 * "hello" and exits 0 once both heard it and a tick.
 */
#include <loom.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING 32
#define MAX_MSG 1024

/* the last RING messages; each connection keeps its place in the sequence */
static struct {
	unsigned char buf[LOOM_PRE + MAX_MSG];
	size_t len;
} ring[RING];
static unsigned int head;	/* sequence number of the next message stored */

static struct loom_context *context;
static struct loom_vhost *vhost;
static struct loom_sul tick_sul;
static unsigned int ticks, clients;
static int selftest, st_heard_hello, st_heard_tick, result = 1;

struct pss {
	unsigned int next;	/* the sequence number this connection sends next */
};

static void
broadcast(const void *p, size_t len)
{
	if (len > MAX_MSG)
		len = MAX_MSG;
	memcpy(ring[head % RING].buf + LOOM_PRE, p, len);
	ring[head % RING].len = len;
	head++;
	loom_callback_on_writable_all_protocol(vhost, loom_vhost_name_to_protocol(vhost,
									"broadcast"));
}

static void
tick_cb(struct loom_sul *sul)
{
	char t[32];
	int n = snprintf(t, sizeof(t), "tick %u", ++ticks);

	broadcast(t, (size_t)n);
	if (clients)
		loom_sul_schedule(context, 0, &tick_sul, tick_cb, 1000 * 1000);
}

static int
callback_broadcast(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
		   void *in, size_t len)
{
	struct pss *pss = user;

	switch (reason) {
	case LOOM_CB_ESTABLISHED:
		pss->next = head;
		if (!clients++)
			loom_sul_schedule(context, 0, &tick_sul, tick_cb,
					  selftest ? 200 * 1000 : 1000 * 1000);
		break;
	case LOOM_CB_RECEIVE:
		/* short text messages only, whole: this is a demo */
		if (!loom_ws_is_first_fragment(conn) || !loom_ws_is_final_fragment(conn) ||
		    len > MAX_MSG) {
			loom_ws_close_reason(conn, 1009, "1 KiB messages in one piece", 27);
			return -1;
		}
		broadcast(in, len);
		break;
	case LOOM_CB_SERVER_WRITEABLE:
		if (head - pss->next > RING)
			pss->next = head - RING;	/* it fell behind: skip */
		if (pss->next == head)
			break;
		if (loom_write(conn, ring[pss->next % RING].buf + LOOM_PRE,
			       ring[pss->next % RING].len, LOOM_WRITE_TEXT) < 0)
			return -1;
		pss->next++;
		if (pss->next != head)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_CLOSED:
		if (clients && !--clients)
			loom_sul_cancel(&tick_sul);
		break;
	default:
		break;
	}

	return 0;
}

/* --selftest: two clients of our own */
static int
callback_selftest(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
		  void *in, size_t len)
{
	unsigned char buf[LOOM_PRE + 8];
	static unsigned int established;

	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "selftest: %s\n", in ? (const char *)in : "failed");
		loom_stop(context);
		break;
	case LOOM_CB_CLIENT_ESTABLISHED:
		if (++established == 2)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_CLIENT_WRITEABLE:
		memcpy(buf + LOOM_PRE, "hello", 5);
		return loom_write(conn, buf + LOOM_PRE, 5, LOOM_WRITE_TEXT) < 0;
	case LOOM_CB_CLIENT_RECEIVE:
		if (len == 5 && !memcmp(in, "hello", 5))
			st_heard_hello++;
		if (len > 5 && !memcmp(in, "tick ", 5))
			st_heard_tick++;
		if (st_heard_hello == 2 && st_heard_tick >= 2) {
			result = 0;
			loom_stop(context);
		}
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "broadcast", callback_broadcast, sizeof(struct pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/*
 * The self-test's clients live on a vhost of their own: a client binds the
 * protocol the server chose when its vhost has one of that name, and here that
 * would be the server's own "broadcast".
 */
static const struct loom_protocol client_protocols[] = {
	{ "selftest", callback_selftest, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
sigint_handler(int sig)
{
	loom_stop(context);
}

static void
give_up(struct loom_sul *sul)
{
	fprintf(stderr, "selftest: timed out (hello %d, ticks %d)\n", st_heard_hello,
		st_heard_tick);
	loom_stop(context);
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_sul timeout;
	int n, port = 7681;

	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	memset(&timeout, 0, sizeof(timeout));
	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			loom_set_log_level(atoi(argv[++n]), NULL);
		else if (!strcmp(argv[n], "--selftest"))
			selftest = 1;
		else {
			fprintf(stderr, "usage: %s [-p PORT] [-d MASK] [--selftest]\n", argv[0]);
			return 2;
		}
	}
	if (selftest)
		port = 0;

	context = loom_create_context(&info);
	if (!context)
		return 1;
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

		memset(&vinfo, 0, sizeof(vinfo));
		vinfo.name = "selftest";
		vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
		vinfo.protocols = client_protocols;
		memset(&ci, 0, sizeof(ci));
		ci.context = context;
		ci.vhost = loom_create_vhost(context, &vinfo);
		ci.address = "127.0.0.1";
		ci.port = loom_vhost_port(vhost);
		ci.flags = LOOM_CONNECT_WS;
		ci.ws_protocol = "broadcast";	/* what we ask the server for */
		for (n = 0; n < 2; n++)
			if (!ci.vhost || !loom_client_connect(&ci))
				loom_stop(context);
		loom_sul_schedule(context, 0, &timeout, give_up, 10 * 1000 * 1000);
	}

	loom_run(context, 0);
	loom_context_destroy(context);

	return selftest ? result : 0;
}
