/*
 * api-test-ss-h2: Secure Streams with "protocol": "h2" against an HTTP server in
 * the same process (h2c by prior knowledge): four streams of one type, and one of
 * another type with the same endpoint, each get their own response body and
 * QOS_ACK_REMOTE, the server sees every request as an h2 stream of one and the
 * same connection; a 404 is QOS_NACK_REMOTE; header metadata goes out and comes
 * back; a POST body from tx arrives whole.
 */
#include <loom.h>
#include "loom-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct loom_context *ctx;

/* ---- the server: answers "hello <path>", counts h2 streams per connection ---- */

#define MAX_SEEN 16

static const struct loom_conn *seen_net[MAX_SEEN];
static int seen, seen_h2, post_bytes;

struct srv_pss {
	char path[64];
	int post;
	int posted;
};

static int
srv_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
       size_t len)
{
	struct srv_pss *p = user;
	char body[128], tag[64];
	int n;

	switch (reason) {
	case LOOM_CB_HTTP:
		if (seen < MAX_SEEN)
			seen_net[seen] = loom_h2_network_conn(conn);
		seen++;
		seen_h2 += loom_conn_is_h2_stream(conn);
		snprintf(p->path, sizeof(p->path), "%s", (const char *)in);
		p->post = !strcmp(p->path, "/post");
		if (!strcmp(p->path, "/missing"))
			return loom_http_respond_simple(conn, 404, "text/plain", "no", 2);
		if (p->post)
			return 0;	/* answered at the body's end */
		n = loom_hdr_custom_copy(conn, tag, sizeof(tag), "x-tag");
		n = snprintf(body, sizeof(body), "hello %s %s", p->path, n > 0 ? tag : "-");
		if (loom_http_respond(conn, 200, "text/plain", (uint64_t)n) ||
		    loom_http_add_header(conn, "x-reply", "yes"))
			return -1;
		return loom_http_write_body(conn, (unsigned char *)body, (size_t)n, 1) < 0 ?
		       -1 : 0;
	case LOOM_CB_HTTP_BODY:
		p->posted += (int)len;
		return 0;
	case LOOM_CB_HTTP_BODY_COMPLETION:
		if (!p->post)
			return 0;
		post_bytes = p->posted;
		n = snprintf(body, sizeof(body), "got %d", p->posted);
		return loom_http_respond_simple(conn, 200, "text/plain", body, (size_t)n);
	default:
		return 0;
	}
}

static const struct loom_protocol srv_protos[] = {
	{ "http", srv_cb, sizeof(struct srv_pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl))
		return -1;
	port = ntohs(sa.sin_port);
	close(fd);

	return port;
}

/* ---- the streams ---- */

/* the user object SS allocates: the handle, then our opaque pointer */
struct uobj {
	struct loom_ss_handle *h;
	struct tst *t;
};

struct tst {
	struct loom_ss_handle *ss;
	char rx[256];
	size_t rxlen;
	int acked, nacked, failed;
	unsigned int status;
	const char *post;
};

static int done;

static int
t_rx(void *userobj, const uint8_t *buf, size_t len, int flags)
{
	struct tst *t = ((struct uobj *)userobj)->t;

	(void)flags;
	if (t->rxlen + len < sizeof(t->rx)) {
		memcpy(t->rx + t->rxlen, buf, len);
		t->rxlen += len;
		t->rx[t->rxlen] = '\0';
	}

	return 0;
}

static int
t_tx(void *userobj, uint8_t *buf, size_t *len, int *flags)
{
	struct tst *t = ((struct uobj *)userobj)->t;
	size_t n = strlen(t->post);

	if (n > *len)
		return -1;
	memcpy(buf, t->post, n);
	*len = n;
	*flags = LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM;

	return 0;
}

static int
t_state(void *userobj, void *h_src, int state, unsigned int ack)
{
	struct tst *t = ((struct uobj *)userobj)->t;

	(void)h_src;
	switch (state) {
	case LOOM_SSS_QOS_ACK_REMOTE:
		t->acked = 1;
		t->status = ack;
		done++;
		break;
	case LOOM_SSS_QOS_NACK_REMOTE:
		t->nacked = 1;
		t->status = ack;
		done++;
		break;
	case LOOM_SSS_ALL_RETRIES_FAILED:
		t->failed = 1;
		done++;
		break;
	default:
		break;
	}

	return 0;
}

#define NS 7

int
main(void)
{
	static const char *const types[NS] = {
		"get", "get", "get", "get", "other", "missing", "post"
	};
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_ss_info si;
	struct tst t[NS];
	char policy[2048];
	int port = free_port(), i, passes;

	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN, NULL);
	snprintf(policy, sizeof(policy),
		 "{\"release\":\"1\",\"product\":\"t\",\"schema-version\":1,"
		 "\"retry\":[{\"r\":{\"backoff\":[100],\"conceal\":1,\"jitterpc\":0}}],"
		 "\"s\":["
		 "{\"get\":{\"endpoint\":\"127.0.0.1\",\"port\":%d,\"protocol\":\"h2\","
		 "\"http_method\":\"GET\",\"http_url\":\"a/${n}\",\"retry\":\"r\","
		 "\"timeout_ms\":5000,\"metadata\":[{\"n\":\"\"},{\"tag\":\"x-tag:\"},"
		 "{\"reply\":\"x-reply:\"}]}},"
		 "{\"other\":{\"endpoint\":\"127.0.0.1\",\"port\":%d,\"protocol\":\"h2\","
		 "\"http_method\":\"GET\",\"http_url\":\"b\",\"retry\":\"r\"}},"
		 "{\"missing\":{\"endpoint\":\"127.0.0.1\",\"port\":%d,\"protocol\":\"h2\","
		 "\"http_method\":\"GET\",\"http_url\":\"missing\",\"retry\":\"r\"}},"
		 "{\"post\":{\"endpoint\":\"127.0.0.1\",\"port\":%d,\"protocol\":\"h2\","
		 "\"http_method\":\"POST\",\"http_url\":\"post\",\"retry\":\"r\"}}"
		 "]}", port, port, port, port);
	memset(&info, 0, sizeof(info));
	info.ss_policy = policy;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-ss-h2");
	memset(&vi, 0, sizeof(vi));
	vi.name = "srv";
	vi.iface = "127.0.0.1";
	vi.port = port;
	vi.options = LOOM_VHOST_OPT_IPV4_ONLY;
	vi.protocols = srv_protos;
	LT_CHECK(loom_create_vhost(ctx, &vi) != NULL);

	memset(t, 0, sizeof(t));
	memset(&si, 0, sizeof(si));
	si.user_alloc = sizeof(struct uobj);
	si.handle_offset = offsetof(struct uobj, h);
	si.opaque_user_data_offset = offsetof(struct uobj, t);
	si.rx = t_rx;
	si.tx = t_tx;
	si.state = t_state;
	for (i = 0; i < NS; i++) {
		si.streamtype = types[i];
		LT_CHECK_EQ(loom_ss_create(ctx, 0, &si, &t[i], &t[i].ss), 0);
		if (i < 4) {
			char v[16];

			snprintf(v, sizeof(v), "%d", i);
			LT_CHECK_EQ(loom_ss_set_metadata(t[i].ss, "n", v, strlen(v)), 0);
			snprintf(v, sizeof(v), "t%d", i);
			LT_CHECK_EQ(loom_ss_set_metadata(t[i].ss, "tag", v, strlen(v)), 0);
		}
	}
	t[6].post = "a body for the post stream";
	LT_CHECK_EQ(loom_ss_request_tx(t[6].ss), 0);
	for (passes = 0; passes < 2000 && done < NS; passes++)
		loom_service(ctx, 10);

	LT_CHECK_EQ(done, NS);
	for (i = 0; i < 4; i++) {
		char want[64];
		const void *v;
		size_t vl;

		snprintf(want, sizeof(want), "hello /a/%d t%d", i, i);
		LT_CHECK(t[i].acked && t[i].status == 200);
		LT_CHECK(!strcmp(t[i].rx, want));
		LT_CHECK(!loom_ss_get_metadata(t[i].ss, "reply", &v, &vl) && vl == 3 &&
			 !memcmp(v, "yes", 3));
	}
	LT_CHECK(t[4].acked && !strcmp(t[4].rx, "hello /b -"));
	LT_CHECK(t[5].nacked && t[5].status == 404);
	LT_CHECK(t[6].acked && !strcmp(t[6].rx, "got 26"));
	LT_CHECK_EQ(post_bytes, 26);
	/* every request was an h2 stream of the one connection */
	LT_CHECK_EQ(seen, NS);
	LT_CHECK_EQ(seen_h2, NS);
	for (i = 0; i < NS && i < MAX_SEEN; i++)
		LT_CHECK(seen_net[i] && seen_net[i] == seen_net[0]);

	for (i = 0; i < NS; i++)
		loom_ss_destroy(&t[i].ss);
	loom_context_destroy(ctx);

	return lt_result("api-test-ss-h2");
}
