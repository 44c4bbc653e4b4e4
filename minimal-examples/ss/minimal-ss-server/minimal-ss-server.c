/*
 * minimal-ss-server: a server Secure Stream. The policy's "srv" type listens (on
 * 7681, or a free port when the policy says 0). Each HTTP request is a stream of
 * its own: it is answered "METHOD PATH: N bytes" (N: the request body's size)
 * as text/plain; a WebSocket connection (subprotocol "loom-ss") gets each message
 * echoed back. Prints "listening on PORT". CC0 / public domain: copy it freely.
 *
 *   minimal-ss-server [POLICY.json]
 */
#include <loom.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define QLEN 8

struct srv {
	struct loom_ss_handle *ss;	/* SS stores the handle here */
	char msg[QLEN][256];		/* ws: messages waiting to go back */
	size_t len[QLEN], body;
	int ws, head, count, ready;
};

static struct loom_context *context;

static int
srv_rx(void *userobj, const uint8_t *buf, size_t len, int flags)
{
	struct srv *s = userobj;

	int t = (s->head + s->count) % QLEN;

	s->body += len;
	if (s->ws) {
		/* a message is queued at its end; more than QLEN waiting: hang up */
		if (flags & LOOM_SS_FLAG_SOM)
			s->len[t] = 0;
		if (s->count == QLEN || s->len[t] + len > sizeof(s->msg[t]))
			return LOOM_SSR_DISCONNECT_ME;
		memcpy(s->msg[t] + s->len[t], buf, len);
		s->len[t] += len;
		if (flags & LOOM_SS_FLAG_EOM)
			s->count++;
	}
	if (flags & LOOM_SS_FLAG_EOM) {
		s->ready = 1;
		loom_ss_request_tx(s->ss);
	}

	return LOOM_SSR_OK;
}

static int
srv_tx(void *userobj, uint8_t *buf, size_t *len, int *flags)
{
	struct srv *s = userobj;
	const void *m = "", *p = "";
	size_t ml = 0, pl = 0;

	if (s->ws) {
		if (!s->count)
			return LOOM_SSR_TX_DONT_SEND;
		*len = s->len[s->head];
		memcpy(buf, s->msg[s->head], *len);
		s->head = (s->head + 1) % QLEN;
		if (--s->count)
			loom_ss_request_tx(s->ss);	/* the next one after this */
	} else {
		if (!s->ready)
			return LOOM_SSR_TX_DONT_SEND;
		s->ready = 0;
		loom_ss_get_metadata(s->ss, "method", &m, &ml);
		loom_ss_get_metadata(s->ss, "path", &p, &pl);
		*len = (size_t)snprintf((char *)buf, *len, "%.*s %.*s: %zu bytes\n",
					(int)ml, (const char *)m, (int)pl,
					(const char *)p, s->body);
	}
	*flags = LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM;

	return LOOM_SSR_OK;
}

static int
srv_state(void *userobj, void *h_src, int state, unsigned int ack)
{
	struct srv *s = userobj;

	switch (state) {
	case LOOM_SSS_SERVER_TXN:
		/* a request: it is answered from tx once rx saw its body end */
		loom_ss_set_metadata(s->ss, "mime", "text/plain", 10);
		break;
	case LOOM_SSS_SERVER_UPGRADE:
		s->ws = 1;
		break;
	}

	return LOOM_SSR_OK;
}

static void
sigint_handler(int sig)
{
	loom_stop(context);
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_ss_info ssi;
	struct loom_ss_handle *h;

	signal(SIGINT, sigint_handler);
	signal(SIGTERM, sigint_handler);
	memset(&info, 0, sizeof(info));
	info.ss_policy_file = argc > 1 ? argv[1] : "server-policy.json";
	context = loom_create_context(&info);
	if (!context)
		return 1;

	memset(&ssi, 0, sizeof(ssi));
	ssi.streamtype = "srv";
	ssi.user_alloc = sizeof(struct srv);
	ssi.rx = srv_rx;
	ssi.tx = srv_tx;
	ssi.state = srv_state;
	if (!loom_ss_create(context, 0, &ssi, NULL, &h)) {
		fprintf(stderr, "listening on %d\n", loom_ss_server_port(h));
		while (!loom_is_stopping(context) && loom_service(context, -1) >= 0)
			;
	}
	loom_context_destroy(context);

	return 0;
}
