/*
 * minimal-ss-ws-echo: a nailed-up WebSocket Secure Stream to an echo server
 * (loom-test-server's loom-echo on localhost:7681 by the policy). It sends
 * "message N" every 50 ms, one at a time, checks each echo, and exits 0 once
 * COUNT (default 10) have come back. When the server goes away the stream
 * reconnects by itself (the policy's backoff table) and the unanswered message
 * is sent again. CC0 / public domain: copy it freely.
 *
 *   minimal-ss-ws-echo [POLICY.json] [COUNT]
 */
#include <loom.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct echo {
	struct loom_ss_handle *ss;	/* SS stores the handle here */
	struct loom_sul next;		/* when to send the next message */
	char rx[64];
	size_t rxlen;
	int connected, in_flight, echoed, count;
};

static struct loom_context *context;
static int result = 1;

static void
send_next(struct loom_sul *sul)
{
	struct echo *e = loom_container_of(sul, struct echo, next);

	if (e->connected && !e->in_flight)
		loom_ss_request_tx(e->ss);
}

static int
echo_tx(void *userobj, uint8_t *buf, size_t *len, int *flags)
{
	struct echo *e = userobj;

	*len = (size_t)snprintf((char *)buf, *len, "message %d", e->echoed);
	*flags = LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM;
	e->in_flight = 1;

	return LOOM_SSR_OK;
}

static int
echo_rx(void *userobj, const uint8_t *buf, size_t len, int flags)
{
	struct echo *e = userobj;
	char want[64];

	if (flags & LOOM_SS_FLAG_SOM)
		e->rxlen = 0;
	if (e->rxlen + len >= sizeof(e->rx))
		return LOOM_SSR_DISCONNECT_ME;
	memcpy(e->rx + e->rxlen, buf, len);
	e->rxlen += len;
	if (!(flags & LOOM_SS_FLAG_EOM))
		return LOOM_SSR_OK;
	snprintf(want, sizeof(want), "message %d", e->echoed);
	if (e->rxlen != strlen(want) || memcmp(e->rx, want, e->rxlen)) {
		fprintf(stderr, "bad echo: %.*s\n", (int)e->rxlen, e->rx);
		loom_stop(context);
		return LOOM_SSR_OK;
	}
	e->in_flight = 0;
	if (++e->echoed == e->count) {
		fprintf(stderr, "%d echoes\n", e->echoed);
		result = 0;
		loom_stop(context);
	} else
		loom_sul_schedule(context, 0, &e->next, send_next, 50000);

	return LOOM_SSR_OK;
}

static int
echo_state(void *userobj, void *h_src, int state, unsigned int ack)
{
	struct echo *e = userobj;

	fprintf(stderr, "state %s (%u)\n", loom_ss_state_name(state), ack);
	switch (state) {
	case LOOM_SSS_CONNECTED:
		e->connected = 1;
		e->in_flight = 0;	/* an unanswered message goes again */
		loom_sul_schedule(context, 0, &e->next, send_next, 0);
		break;
	case LOOM_SSS_DISCONNECTED:
	case LOOM_SSS_UNREACHABLE:
		e->connected = 0;
		break;
	case LOOM_SSS_ALL_RETRIES_FAILED:
		loom_stop(context);
		break;
	case LOOM_SSS_DESTROYING:
		loom_sul_cancel(&e->next);
		break;
	}

	return LOOM_SSR_OK;
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_ss_info ssi;
	struct loom_ss_handle *h;

	memset(&info, 0, sizeof(info));
	info.ss_policy_file = argc > 1 ? argv[1] : "ws-echo-policy.json";
	/* LOOM_SSPROXY=unix:@loom-ssproxy (say): the streams go through loom-ssproxy,
	 * which owns the policy, instead of being made in this process */
	info.ss_proxy = getenv("LOOM_SSPROXY");
	context = loom_create_context(&info);
	if (!context)
		return 1;

	memset(&ssi, 0, sizeof(ssi));
	ssi.streamtype = "echo";
	ssi.user_alloc = sizeof(struct echo);
	ssi.tx = echo_tx;
	ssi.rx = echo_rx;
	ssi.state = echo_state;
	if (!loom_ss_create(context, 0, &ssi, NULL, &h)) {
		((struct echo *)loom_ss_to_user_object(h))->count =
					argc > 2 ? atoi(argv[2]) : 10;
		while (!loom_is_stopping(context) && loom_service(context, -1) >= 0)
			;
	}
	loom_context_destroy(context);

	return result;
}
