/*
 * api-test-http-client-queue: HTTP/1.1 client requests to one server, issued at
 * once, share one kept-alive connection in turn; when the server closes after each
 * response instead, the waiting requests connect again by themselves. Server and
 * clients run in one context.
 */
#include <loom.h>
#include "loom-test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQS 4

static struct loom_context *ctx;
static unsigned int completed, failed, closed;
static char peers[REQS][64];
static int port;

static int
cb_server(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	char body[96];
	int n;

	switch (reason) {
	case LOOM_CB_HTTP:
		/* the client's address: the same for requests sharing a connection */
		loom_get_peer_address(conn, body, sizeof(body));
		n = (int)strlen(body);
		return loom_http_respond_simple(conn, 200, "text/plain", body, (size_t)n);
	default:
		break;
	}

	return 0;
}

struct pss {
	int idx;
	char got[64];
	size_t len;
};

static int
cb_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct pss *p = user;

	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		failed++;
		fprintf(stderr, "client %d failed: %s\n", p ? p->idx : -1,
			in ? (char *)in : "?");
		break;
	case LOOM_CB_RECEIVE_CLIENT_HTTP:
		if (p->len + len < sizeof(p->got)) {
			memcpy(p->got + p->len, in, len);
			p->len += len;
		}
		break;
	case LOOM_CB_COMPLETED_CLIENT_HTTP:
		if (loom_http_status(conn) == 200 && p->idx >= 0 && p->idx < REQS) {
			memcpy(peers[p->idx], p->got, p->len);
			completed++;
		}
		break;
	case LOOM_CB_CLOSED_CLIENT_HTTP:
		closed++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "server", cb_server, 0, 0, 0, NULL, 0 },
	{ "client", cb_client, sizeof(struct pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* how many connections the responses came over: distinct client addresses */
static unsigned int
distinct_peers(void)
{
	unsigned int n, k, d = 0;

	for (n = 0; n < REQS; n++) {
		for (k = 0; k < n; k++)
			if (!strcmp(peers[n], peers[k]))
				break;
		d += k == n && peers[n][0];
	}

	return d;
}

static void
run_batch(struct loom_vhost *vh)
{
	struct loom_client_connect_info ci;
	struct loom_conn *c[REQS];
	int n, spins = 0;

	completed = failed = closed = 0;
	memset(peers, 0, sizeof(peers));
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = vh;
	ci.address = "127.0.0.1";
	ci.port = port;
	ci.method = "GET";
	ci.path = "/who";
	ci.protocol = "client";
	for (n = 0; n < REQS; n++) {
		c[n] = NULL;
		ci.pconn = &c[n];
		LT_CHECK(loom_client_connect(&ci) != NULL);
		if (c[n])
			((struct pss *)loom_conn_user(c[n]))->idx = n;
	}
	while (completed + failed < REQS && spins++ < 2000)
		loom_service(ctx, 10);
	for (n = 0; n < 50 && closed < REQS; n++)
		loom_service(ctx, 10);
}

int
main(void)
{
	struct loom_http_vhost_info hinfo;
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_vhost *vh;

	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	memset(&hinfo, 0, sizeof(hinfo));
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	vinfo.iface = "127.0.0.1";
	vinfo.protocols = protocols;
	vinfo.http = &hinfo;
	vh = loom_create_vhost(ctx, &vinfo);
	LT_CHECK(vh != NULL);
	if (!vh)
		return lt_result("api-test-http-client-queue");
	port = loom_vhost_port(vh);

	/* keep-alive: four requests issued at once go over one connection */
	run_batch(vh);
	LT_CHECK_EQ(completed, REQS);
	LT_CHECK_EQ(failed, 0);
	LT_CHECK_EQ(closed, REQS);
	LT_CHECK_EQ(distinct_peers(), 1);
	printf("keep-alive: %u responses over %u connection(s)\n", completed,
	       distinct_peers());
	loom_context_destroy(ctx);

	/* a server that closes after each response: the waiting ones reconnect */
	ctx = loom_create_context(&info);
	hinfo.max_requests = 1;
	vh = ctx ? loom_create_vhost(ctx, &vinfo) : NULL;
	LT_CHECK(vh != NULL);
	if (vh) {
		port = loom_vhost_port(vh);
		run_batch(vh);
		LT_CHECK_EQ(completed, REQS);
		LT_CHECK_EQ(failed, 0);
		LT_CHECK_EQ(distinct_peers(), REQS);
		printf("close after each: %u responses over %u connection(s)\n",
		       completed, distinct_peers());
	}

	/* destroying the context with requests still queued: no leak, no callback
	 * for a conn that never connected but its CONNECTION_ERROR */
	if (vh) {
		struct loom_client_connect_info ci;
		int n;

		memset(&ci, 0, sizeof(ci));
		ci.context = ctx;
		ci.vhost = vh;
		ci.address = "127.0.0.1";
		ci.port = port;
		ci.method = "GET";
		ci.protocol = "client";
		failed = 0;
		for (n = 0; n < REQS; n++)
			LT_CHECK(loom_client_connect(&ci) != NULL);
	}
	loom_context_destroy(ctx);
	LT_CHECK_EQ(failed, REQS);

	return lt_result("api-test-http-client-queue");
}
