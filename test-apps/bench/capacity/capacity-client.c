/*
 * capacity-client: open --conns WebSocket connections to one server (at most
 * --pace handshakes in flight), hold them idle, and on SIGUSR1 send one message on
 * each and check its echo; then close them all and exit. run.sh runs several of
 * these against one loom-test-server.
 *
 *   capacity-client --port P --conns N [--iface 127.0.0.x] [--pace N]
 *                   [--expect-refused] [--timeout SECS]
 *
 * Prints "established N refused N" once every connection is up or refused, and
 * "echoed N of N" after the echo round. With --expect-refused every connection must
 * be refused (the server is full): exit 0 only then. Otherwise exit 0 only when all
 * were established and all echoed.
 */
#include <loom.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pss {
	int established, echoed, sent;
};

static volatile sig_atomic_t go_echo, go_stop;
static unsigned int started, established, refused, closed_after, echoed, sent_count;
static unsigned char msg[LOOM_PRE + 32], txb[LOOM_PRE + 32];
static int msg_len;

static int
cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
   size_t len)
{
	struct pss *p = user;

	switch (reason) {
	case LOOM_CB_CLIENT_ESTABLISHED:
		p->established = 1;
		established++;
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		refused++;
		break;
	case LOOM_CB_CLIENT_WRITEABLE:
		if (p->sent)
			break;
		p->sent = 1;
		sent_count++;
		/* a client masks its payload in place: send a copy */
		memcpy(txb + LOOM_PRE, msg + LOOM_PRE, (size_t)msg_len);
		if (loom_write(conn, txb + LOOM_PRE, (size_t)msg_len, LOOM_WRITE_TEXT) < 0)
			return -1;
		break;
	case LOOM_CB_CLIENT_RECEIVE:
		if (len == (size_t)msg_len && !memcmp(in, msg + LOOM_PRE, len) &&
		    !p->echoed) {
			p->echoed = 1;
			echoed++;
		}
		break;
	case LOOM_CB_CLIENT_CLOSED:
		if (p->established)
			closed_after++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "cap", cb, sizeof(struct pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
on_usr1(int sig)
{
	(void)sig;
	go_echo = 1;
}

static void
on_term(int sig)
{
	(void)sig;
	go_stop = 1;
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_client_connect_info ci;
	struct loom_context *ctx;
	struct loom_vhost *vh;
	const char *iface = NULL;
	unsigned int conns = 1000, pace = 200, timeout = 300;
	int port = 0, expect_refused = 0, n, reported = 0, r = 1;
	loom_usec_t end;

	for (n = 1; n < argc; n++) {
		const char *a = argv[n], *v = n + 1 < argc ? argv[n + 1] : "";

		if (!strcmp(a, "--expect-refused")) {
			expect_refused = 1;
			continue;
		}
		n++;
		if (!strcmp(a, "--port"))
			port = atoi(v);
		else if (!strcmp(a, "--conns"))
			conns = (unsigned int)atoi(v);
		else if (!strcmp(a, "--iface"))
			iface = v;
		else if (!strcmp(a, "--pace"))
			pace = (unsigned int)atoi(v);
		else if (!strcmp(a, "--timeout"))
			timeout = (unsigned int)atoi(v);
		else {
			fprintf(stderr, "capacity-client: unknown option %s\n", a);
			return 2;
		}
	}
	msg_len = snprintf((char *)msg + LOOM_PRE, sizeof(msg) - LOOM_PRE, "still here %d",
			   port);
	signal(SIGUSR1, on_usr1);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	loom_set_log_level(LOOM_LL_ERR, NULL);

	memset(&info, 0, sizeof(info));
	info.timeout_secs = 30;
	ctx = loom_create_context(&info);
	if (!ctx)
		return 1;
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = protocols;
	vh = loom_create_vhost(ctx, &vinfo);
	if (!vh) {
		loom_context_destroy(ctx);
		return 1;
	}

	end = loom_now_usecs() + (loom_usec_t)timeout * 1000000;
	while (!go_stop && loom_now_usecs() < end) {
		/* open more while fewer than --pace handshakes are in flight */
		while (started < conns && started - established - refused < pace) {
			memset(&ci, 0, sizeof(ci));
			ci.context = ctx;
			ci.vhost = vh;
			ci.address = "127.0.0.1";
			ci.port = port;
			ci.iface = iface;
			ci.path = "/";
			ci.flags = LOOM_CONNECT_WS;
			ci.timeout_ms = 20000;
			started++;
			if (!loom_client_connect(&ci))
				refused++;
		}
		if (!reported && established + refused == conns) {
			printf("established %u refused %u\n", established, refused);
			fflush(stdout);
			reported = 1;
			if (expect_refused)
				break;
		}
		if (go_echo == 1) {
			go_echo = 2;
			/* the echo round is bounded too */
			end = loom_now_usecs() + 60000000;
			loom_callback_on_writable_all_protocol(vh,
				loom_vhost_name_to_protocol(vh, "cap"));
		}
		if (go_echo == 2 && echoed == established)
			break;
		loom_service(ctx, 50);
	}
	if (go_echo)
		printf("echoed %u of %u (%u sent), %u closed by the server meanwhile\n",
		       echoed, established, sent_count, closed_after);
	if (expect_refused)
		r = !(reported && refused == conns && !established);
	else
		r = !(reported && established == conns && go_echo && echoed == conns &&
		      !closed_after);
	loom_context_destroy(ctx);

	return r;
}
