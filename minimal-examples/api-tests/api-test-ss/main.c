/*
 * api-test-ss: the Secure Streams API over raw streams against servers in the
 * same process: states in order, tx and rx, ${} substitution from metadata,
 * destroy from inside a callback, timeouts, retries that follow the backoff
 * table (timestamps checked with a tolerance), a nailed-up stream that retries
 * past its conceal count, connects once its server comes up and reconnects when
 * the server drops it, and a policy replaced at run time.
 */
#include <loom.h>
#include "loom-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct loom_context *ctx;

/* ---- the servers: echo, and one that accepts and says nothing ---- */

struct srv_pss {
	uint8_t buf[256];
	size_t len;
};

static struct loom_conn *last_accepted;

static int
srv_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
       void *in, size_t len)
{
	struct srv_pss *p = user;
	uint8_t out[LOOM_PRE + 256];

	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		last_accepted = conn;
		break;
	case LOOM_CB_RAW_RX:
		if (!strcmp(loom_get_protocol(conn)->name, "silent"))
			break;
		if (len > sizeof(p->buf) - p->len)
			return -1;
		memcpy(p->buf + p->len, in, len);
		p->len += len;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		memcpy(out + LOOM_PRE, p->buf, p->len);
		if (loom_write(conn, out + LOOM_PRE, p->len, LOOM_WRITE_RAW) < 0)
			return -1;
		p->len = 0;
		break;
	case LOOM_CB_RAW_CLOSE:
		if (last_accepted == conn)
			last_accepted = NULL;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol echo_protos[] = {
	{ "echo", srv_cb, sizeof(struct srv_pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static const struct loom_protocol silent_protos[] = {
	{ "silent", srv_cb, sizeof(struct srv_pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static struct loom_vhost *
listen_raw(const char *name, const struct loom_protocol *protos, int port)
{
	struct loom_vhost_info vi;

	memset(&vi, 0, sizeof(vi));
	vi.name = name;
	vi.options = LOOM_VHOST_OPT_RAW | LOOM_VHOST_OPT_IPV4_ONLY;
	vi.iface = "127.0.0.1";
	vi.port = port;
	vi.protocols = protos;

	return loom_create_vhost(ctx, &vi);
}

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

/* ---- the streams' user side ---- */

#define MAX_EV 64

struct tst {
	struct loom_ss_handle *ss;
	void *opaque;
	int states[MAX_EV];
	loom_usec_t when[MAX_EV];
	int count;
	char rx[256];
	size_t rxlen;
	const char *send;		/* sent in two pieces, SOM then EOM */
	int piece;
	int destroy_on_rx;
	int tx_on_connect;
};

static int destroyed_seen;

static int
t_rx(void *userobj, const uint8_t *buf, size_t len, int flags)
{
	struct tst *t = userobj;

	if (t->rxlen + len < sizeof(t->rx)) {
		memcpy(t->rx + t->rxlen, buf, len);
		t->rxlen += len;
		t->rx[t->rxlen] = '\0';
	}
	if (t->destroy_on_rx && t->send && t->rxlen == strlen(t->send)) {
		loom_ss_destroy(&t->ss);
		LT_CHECK(t->ss == NULL);
	}

	return LOOM_SSR_OK;
}

static int
t_tx(void *userobj, uint8_t *buf, size_t *len, int *flags)
{
	struct tst *t = userobj;
	size_t half, n;

	if (!t->send || t->piece == 2)
		return LOOM_SSR_TX_DONT_SEND;
	half = strlen(t->send) / 2;
	n = t->piece ? strlen(t->send) - half : half;
	if (n > *len)
		return LOOM_SSR_DISCONNECT_ME;
	memcpy(buf, t->send + (t->piece ? half : 0), n);
	*len = n;
	*flags = t->piece ? LOOM_SS_FLAG_EOM : LOOM_SS_FLAG_SOM;
	t->piece++;

	return LOOM_SSR_OK;
}

static int
t_state(void *userobj, void *h_src, int state, unsigned int ack)
{
	struct tst *t = userobj;

	if (t->count < MAX_EV) {
		t->states[t->count] = state;
		t->when[t->count++] = loom_now_usecs();
	}
	if (state == LOOM_SSS_DESTROYING)
		destroyed_seen++;
	if (state == LOOM_SSS_CONNECTED && t->tx_on_connect)
		loom_ss_request_tx(t->ss);

	return LOOM_SSR_OK;
}

static int
count_state(const struct tst *t, int s)
{
	int n, c = 0;

	for (n = 0; n < t->count; n++)
		c += t->states[n] == s;

	return c;
}

static struct tst *
mk(const char *type, struct loom_ss_handle **h)
{
	struct loom_ss_info i;
	int rc;

	memset(&i, 0, sizeof(i));
	i.streamtype = type;
	i.user_alloc = sizeof(struct tst);
	i.opaque_user_data_offset = offsetof(struct tst, opaque);
	i.rx = t_rx;
	i.tx = t_tx;
	i.state = t_state;
	rc = loom_ss_create(ctx, 0, &i, (void *)&ctx, h);
	LT_CHECK_EQ(rc, 0);

	return rc ? NULL : loom_ss_to_user_object(*h);
}

/* service until \p done says so or \p ms pass */
static void
run_until(int (*done)(void *), void *arg, int ms)
{
	loom_usec_t end = loom_now_usecs() + (loom_usec_t)ms * 1000;

	while (loom_now_usecs() < end && !(done && done(arg)))
		loom_service(ctx, 20);
}

static int
rx_done(void *a)
{
	struct tst *t = a;

	return t->send && t->rxlen >= strlen(t->send);
}

static int
n_connecting_ge(void *a)
{
	struct tst *t = a;

	return count_state(t, LOOM_SSS_CONNECTING) >= 7;
}

static int
has_all_failed(void *a)
{
	return count_state(a, LOOM_SSS_ALL_RETRIES_FAILED) > 0;
}

static int
destroyed(void *a)
{
	return destroyed_seen >= *(int *)a;
}

static int echo_port, silent_port, dead_port, late_port, http_port;

static const char policy_fmt[] =
	"{\"release\":\"1\",\"product\":\"api-test-ss\",\"schema-version\":1,\n"
	"\"retry\":[{\"fast\":{\"backoff\":[100,200,300],\"conceal\":3,\"jitterpc\":0}},\n"
	"  {\"timed\":{\"backoff\":[150,300,600],\"conceal\":3,\"jitterpc\":20}},\n"
	"  {\"nail\":{\"backoff\":[40],\"conceal\":2,\"jitterpc\":0}}],\n"
	"\"s\":[{\"echo\":{\"protocol\":\"raw\",\"endpoint\":\"${host}\",\"port\":%d,"
	"\"retry\":\"fast\",\"metadata\":[{\"host\":\"\"}]}},\n"
	"  {\"silent\":{\"protocol\":\"h1\",\"endpoint\":\"127.0.0.1\",\"port\":%d,"
	"\"http_url\":\"\",\"retry\":\"fast\",\"timeout_ms\":300}},\n"
	"  {\"rawto\":{\"protocol\":\"raw\",\"endpoint\":\"127.0.0.1\",\"port\":%d,"
	"\"timeout_ms\":300}},\n"
	"  {\"dead\":{\"protocol\":\"raw\",\"endpoint\":\"127.0.0.1\",\"port\":%d,"
	"\"retry\":\"timed\"}},\n"
	"  {\"late\":{\"protocol\":\"raw\",\"endpoint\":\"127.0.0.1\",\"port\":%d,"
	"\"retry\":\"nail\",\"nailed_up\":true}},\n"
	"  {\"srv\":{\"server\":true,\"protocol\":\"h1\",\"port\":0}},\n"
	"  {\"gone\":{\"protocol\":\"raw\",\"endpoint\":\"127.0.0.1\",\"port\":%d}},\n"
	"  {\"hsrv\":{\"server\":true,\"protocol\":\"h1\",\"port\":%d,\"metadata\":["
	"{\"ctype\":\"content-type:\"},{\"auth\":\"authorization:\"},{\"xr\":\"x-reply:\"},"
	"{\"method\":\"\"},{\"path\":\"\"}]}},\n"
	"  {\"hpost\":{\"protocol\":\"h1\",\"endpoint\":\"127.0.0.1\",\"port\":%d,"
	"\"http_method\":\"POST\",\"http_url\":\"up/${name}\",\"retry\":\"fast\","
	"\"http_auth_header\":\"authorization:\",\"http_auth_preamble\":\"Bearer \","
	"\"metadata\":[{\"ctype\":\"content-type:\"},{\"xr\":\"x-reply:\"}]}}]}";

static void
test_echo(void)
{
	struct loom_ss_handle *h;
	struct tst *t = mk("echo", &h);
	int want = destroyed_seen + 1;
	const void *v;
	size_t vl;

	if (!t)
		return;
	LT_CHECK(t->ss == h);
	LT_CHECK(t->opaque == (void *)&ctx);
	LT_CHECK_EQ(loom_ss_set_metadata(h, "host", "127.0.0.1", 9), 0);
	LT_CHECK_EQ(loom_ss_get_metadata(h, "host", &v, &vl), 0);
	LT_CHECK(vl == 9 && !memcmp(v, "127.0.0.1", 9));
	LT_CHECK_EQ(loom_ss_get_metadata(h, "nope", &v, &vl), LOOM_ENOTFOUND);
	t->send = "hello, secure stream";
	t->tx_on_connect = 1;
	t->destroy_on_rx = 1;
	run_until(destroyed, &want, 3000);
	LT_CHECK_EQ(destroyed_seen, want);
	/* t is freed now: the states were checked through the trace above */
}

static void
test_states_and_subst(void)
{
	struct loom_ss_handle *h;
	struct tst *t = mk("echo", &h);

	if (!t)
		return;
	loom_ss_set_metadata(h, "host", "127.0.0.1", 9);
	t->send = "ab";
	t->tx_on_connect = 1;
	run_until(rx_done, t, 3000);
	LT_CHECK(!strcmp(t->rx, "ab"));
	LT_CHECK(t->count >= 3 && t->states[0] == LOOM_SSS_CREATING &&
		 t->states[1] == LOOM_SSS_CONNECTING && t->states[2] == LOOM_SSS_CONNECTED);
	loom_ss_destroy(&h);
	LT_CHECK(h == NULL);

	/* ${host} unset: the endpoint is empty, every attempt fails at once */
	t = mk("echo", &h);
	if (!t)
		return;
	run_until(has_all_failed, t, 3000);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_CONNECTING), 4);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_UNREACHABLE), 4);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_ALL_RETRIES_FAILED), 1);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_CONNECTED), 0);
	loom_ss_destroy(&h);
}

static void
test_timeout(void)
{
	struct loom_ss_handle *h;
	struct tst *t = mk("silent", &h);

	if (!t)
		return;
	run_until(has_all_failed, t, 5000);
	/* h1: each attempt sends its request, hears nothing for 300 ms, times out */
	LT_CHECK_EQ(count_state(t, LOOM_SSS_CONNECTING), 4);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_TIMEOUT), 4);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_UNREACHABLE), 4);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_ALL_RETRIES_FAILED), 1);
	loom_ss_destroy(&h);

	/* raw has no transaction: the timeout bounds getting connected only */
	t = mk("rawto", &h);
	if (!t)
		return;
	run_until(NULL, NULL, 700);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_CONNECTED), 1);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_TIMEOUT), 0);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_DISCONNECTED), 0);
	loom_ss_destroy(&h);
}

/* the gap from each failure to the next attempt is the table's delay + 0..20% */
static void
test_backoff_timing(void)
{
	static const int table[] = { 150, 300, 600 };
	struct loom_ss_handle *h;
	struct tst *t = mk("dead", &h);
	int n, k = 0;
	loom_usec_t fail_at = 0;

	if (!t)
		return;
	run_until(has_all_failed, t, 6000);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_CONNECTING), 4);
	for (n = 0; n < t->count; n++) {
		if (t->states[n] == LOOM_SSS_UNREACHABLE)
			fail_at = t->when[n];
		if (t->states[n] == LOOM_SSS_CONNECTING && fail_at && k < 3) {
			long ms = (long)((t->when[n] - fail_at) / 1000);

			printf("retry %d after %ld ms (table %d)\n", k + 1, ms, table[k]);
			LT_CHECK(ms >= table[k] - 2);
			LT_CHECK(ms <= table[k] * 12 / 10 + 60);
			k++;
		}
	}
	LT_CHECK_EQ(k, 3);
	loom_ss_destroy(&h);
}

static int
connected_n(void *a)
{
	struct tst *t = a;

	return count_state(t, LOOM_SSS_CONNECTED) >= 2 && t->rxlen >= 4;
}

/* nailed up: retries past conceal, connects when the server comes up, and
 * reconnects by itself when the server drops it */
static void
test_nailed_up(void)
{
	struct loom_ss_handle *h;
	struct tst *t = mk("late", &h);

	if (!t)
		return;
	run_until(n_connecting_ge, t, 3000);
	LT_CHECK(count_state(t, LOOM_SSS_CONNECTING) >= 7);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_ALL_RETRIES_FAILED), 0);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_CONNECTED), 0);
	/* the server comes up */
	LT_CHECK(listen_raw("late", echo_protos, late_port) != NULL);
	t->send = "ping";
	t->tx_on_connect = 1;
	run_until(rx_done, t, 3000);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_CONNECTED), 1);
	LT_CHECK(!strcmp(t->rx, "ping"));
	/* the server drops the connection: the stream comes back */
	LT_CHECK(last_accepted != NULL);
	if (last_accepted)
		loom_close(last_accepted, LOOM_CLOSE_NORMAL);
	t->rxlen = 0;
	t->piece = 0;
	run_until(connected_n, t, 3000);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_DISCONNECTED), 1);
	LT_CHECK_EQ(count_state(t, LOOM_SSS_CONNECTED), 2);
	LT_CHECK(!strncmp(t->rx, "ping", 4));
	loom_ss_destroy(&h);
}

/* ---- an h1 POST from a client stream to a server stream ---- */

struct srvt {
	struct loom_ss_handle *ss;
	size_t body;
	int done;
};

static char seen_method[16], seen_path[64], seen_ctype[64], seen_auth[64];
static size_t seen_body;

static void
meta_str(struct loom_ss_handle *h, const char *name, char *out, size_t len)
{
	const void *v;
	size_t vl;

	out[0] = '\0';
	if (!loom_ss_get_metadata(h, name, &v, &vl) && vl < len) {
		memcpy(out, v, vl);
		out[vl] = '\0';
	}
}

static int
s_rx(void *userobj, const uint8_t *buf, size_t len, int flags)
{
	struct srvt *s = userobj;

	s->body += len;
	if (flags & LOOM_SS_FLAG_EOM) {
		seen_body = s->body;
		loom_ss_set_metadata(s->ss, "xr", "yes", 3);
		loom_ss_server_ack(s->ss, 201);
		loom_ss_request_tx(s->ss);
	}

	return LOOM_SSR_OK;
}

static int
s_tx(void *userobj, uint8_t *buf, size_t *len, int *flags)
{
	struct srvt *s = userobj;

	*len = (size_t)snprintf((char *)buf, *len, "got %zu", s->body);
	*flags = LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM;

	return LOOM_SSR_OK;
}

static int
s_state(void *userobj, void *h_src, int state, unsigned int ack)
{
	struct srvt *s = userobj;

	if (state == LOOM_SSS_SERVER_TXN) {
		meta_str(s->ss, "method", seen_method, sizeof(seen_method));
		meta_str(s->ss, "path", seen_path, sizeof(seen_path));
		meta_str(s->ss, "ctype", seen_ctype, sizeof(seen_ctype));
		meta_str(s->ss, "auth", seen_auth, sizeof(seen_auth));
	}

	return LOOM_SSR_OK;
}

static int
acked(void *a)
{
	struct tst *t = a;

	return count_state(t, LOOM_SSS_QOS_ACK_REMOTE) + count_state(t,
			LOOM_SSS_QOS_NACK_REMOTE) > 0 && count_state(t,
			LOOM_SSS_DISCONNECTED) > 0;
}

static void
test_h1_post(void)
{
	struct loom_ss_handle *hs, *hc;
	struct loom_ss_info i;
	struct tst *t;
	char xr[16];
	int n;

	memset(&i, 0, sizeof(i));
	i.streamtype = "hsrv";
	i.user_alloc = sizeof(struct srvt);
	i.rx = s_rx;
	i.tx = s_tx;
	i.state = s_state;
	LT_CHECK_EQ(loom_ss_create(ctx, 0, &i, NULL, &hs), 0);
	LT_CHECK_EQ(loom_ss_server_port(hs), http_port);
	t = mk("hpost", &hc);
	if (!t)
		return;
	loom_ss_set_metadata(hc, "name", "file1", 5);
	loom_ss_set_metadata(hc, "ctype", "text/x-test", 11);
	loom_ss_set_metadata(hc, "auth", "tok123", 6);
	t->send = "hello world";
	loom_ss_request_tx_len(hc, 11);
	run_until(acked, t, 5000);
	LT_CHECK(!strcmp(seen_method, "POST"));
	LT_CHECK(!strcmp(seen_path, "/up/file1"));
	LT_CHECK(!strcmp(seen_ctype, "text/x-test"));
	LT_CHECK(!strcmp(seen_auth, "Bearer tok123"));
	LT_CHECK_EQ(seen_body, 11);
	LT_CHECK(!strcmp(t->rx, "got 11"));
	for (n = 0; n < t->count && t->states[n] != LOOM_SSS_QOS_ACK_REMOTE; n++)
		;
	LT_CHECK(n < t->count);
	meta_str(hc, "xr", xr, sizeof(xr));
	LT_CHECK(!strcmp(xr, "yes"));
	/* a finished transaction is not retried */
	LT_CHECK_EQ(count_state(t, LOOM_SSS_CONNECTING), 1);
	loom_ss_destroy(&hc);

	/* a POST whose user never asks for tx goes with an empty body */
	seen_body = 99;
	t = mk("hpost", &hc);
	if (t) {
		run_until(acked, t, 5000);
		LT_CHECK_EQ(seen_body, 0);
		LT_CHECK(!strcmp(t->rx, "got 0"));
		LT_CHECK_EQ(count_state(t, LOOM_SSS_QOS_ACK_REMOTE), 1);
		loom_ss_destroy(&hc);
	}
	loom_ss_destroy(&hs);
}

static void
test_policy_replace(void)
{
	static const char pol2[] =
		"{\"s\":[{\"echo\":{\"protocol\":\"raw\",\"endpoint\":\"127.0.0.2\","
		"\"port\":9}},{\"newtype\":{\"protocol\":\"raw\",\"endpoint\":"
		"\"127.0.0.1\",\"port\":9}}]}";
	const struct loom_ss_stream_type *old_st;
	struct loom_ss_handle *h, *h2, *h3 = NULL;
	struct tst *t = mk("echo", &h), *t2;

	if (!t)
		return;
	old_st = loom_ss_stream_type_of(h);
	LT_CHECK_EQ(old_st->port, echo_port);
	LT_CHECK_EQ(loom_ss_set_policy(ctx, "{\"s\":[", 6), LOOM_EINVAL);
	LT_CHECK(loom_ss_policy_stream_type(loom_ss_context_policy(ctx), "gone") != NULL);
	LT_CHECK_EQ(loom_ss_set_policy(ctx, pol2, sizeof(pol2) - 1), 0);
	/* the old stream keeps its type from the old policy */
	LT_CHECK(loom_ss_stream_type_of(h) == old_st);
	LT_CHECK_EQ(loom_ss_stream_type_of(h)->port, echo_port);
	loom_ss_set_metadata(h, "host", "127.0.0.1", 9);
	t->send = "old";
	t->tx_on_connect = 1;
	run_until(rx_done, t, 3000);
	LT_CHECK(!strcmp(t->rx, "old"));
	/* new streams take the new policy */
	t2 = mk("echo", &h2);
	if (t2)
		LT_CHECK_EQ(loom_ss_stream_type_of(h2)->port, 9);
	LT_CHECK_EQ(loom_ss_create(ctx, 0, &(struct loom_ss_info){ .streamtype = "gone",
		    .user_alloc = 8 }, NULL, &h3), LOOM_ENOTFOUND);
	LT_CHECK(h3 == NULL);
	loom_ss_destroy(&h2);
	loom_ss_destroy(&h);
}

/* ---- allocation failure at each step of create and set_metadata ---- */

static long live, calls, fail_at = -1;

static void *
count_realloc(void *ptr, size_t size, const char *reason)
{
	if (!size) {
		if (ptr)
			live--;
		free(ptr);
		return NULL;
	}
	if (calls++ == fail_at)
		return NULL;
	if (!ptr)
		live++;

	return realloc(ptr, size);
}

static void
test_alloc_fail(void)
{
	struct loom_ss_handle *h;
	struct loom_ss_info i;
	long n, before;
	int rc = -1, fails = 0;

	memset(&i, 0, sizeof(i));
	i.streamtype = "echo";	/* handle, user object, a metadata item */
	i.user_alloc = sizeof(struct tst);
	i.state = t_state;
	loom_set_allocator(count_realloc);
	before = live;
	for (n = 0; n < 200 && rc; n++) {
		calls = 0;
		fail_at = n;
		rc = loom_ss_create(ctx, 0, &i, NULL, &h);
		fail_at = -1;
		if (rc) {
			fails++;
			LT_CHECK(h == NULL);
			if (live != before) {
				fprintf(stderr, "leak after failing allocation %ld\n", n);
				break;
			}
		}
	}
	LT_CHECK_EQ(rc, 0);
	LT_CHECK(fails >= 3);
	if (!rc) {
		calls = 0;
		fail_at = 0;
		LT_CHECK_EQ(loom_ss_set_metadata(h, "newname", "v", 1), LOOM_ENOMEM);
		calls = 0;
		fail_at = 1;
		LT_CHECK_EQ(loom_ss_set_metadata(h, "newname2", "v", 1), LOOM_ENOMEM);
		calls = 0;
		fail_at = 2;
		LT_CHECK_EQ(loom_ss_set_metadata(h, "newname3", "v", 1), LOOM_ENOMEM);
		fail_at = -1;
		loom_ss_destroy(&h);
		LT_CHECK_EQ(live, before);
	}
	loom_set_allocator(NULL);
}

static void
test_errors(void)
{
	struct loom_context_info ci;
	struct loom_ss_info i;
	struct loom_ss_handle *h = (void *)1, *h2;
	struct loom_context *c2;

	memset(&i, 0, sizeof(i));
	i.streamtype = "nope";
	i.user_alloc = 16;
	LT_CHECK_EQ(loom_ss_create(ctx, 0, &i, NULL, &h), LOOM_ENOTFOUND);
	LT_CHECK(h == NULL);
	/* a server type: its listener, once per type at a time */
	i.streamtype = "srv";
	LT_CHECK_EQ(loom_ss_create(ctx, 0, &i, NULL, &h), 0);
	LT_CHECK(loom_ss_server_port(h) > 1024);	/* policy port 0: a free one */
	h2 = (void *)1;
	LT_CHECK_EQ(loom_ss_create(ctx, 0, &i, NULL, &h2), LOOM_EBUSY);
	LT_CHECK(h2 == NULL);
	loom_ss_destroy(&h);
	LT_CHECK_EQ(loom_ss_create(ctx, 0, &i, NULL, &h2), 0);
	LT_CHECK_EQ(loom_ss_server_ack(h2, 200), LOOM_EINVAL);	/* not an accepted one */
	loom_ss_destroy(&h2);
	i.streamtype = "echo";
	LT_CHECK_EQ(loom_ss_create(ctx, 5, &i, NULL, &h), LOOM_EINVAL);

	/* a context without a policy has no streams */
	memset(&ci, 0, sizeof(ci));
	c2 = loom_create_context(&ci);
	LT_CHECK(c2 != NULL);
	LT_CHECK_EQ(loom_ss_create(c2, 0, &i, NULL, &h), LOOM_EINVAL);
	loom_context_destroy(c2);
	/* a bad policy fails the context */
	ci.ss_policy = "{\"s\":[{\"x\":{\"protocol\":\"h9\",\"endpoint\":\"a\"}}]}";
	LT_CHECK(loom_create_context(&ci) == NULL);
	ci.ss_policy = NULL;
	ci.ss_policy_file = "/nonexistent/policy.json";
	LT_CHECK(loom_create_context(&ci) == NULL);
	LT_CHECK(!strcmp(loom_ss_state_name(LOOM_SSS_QOS_ACK_REMOTE), "QOS_ACK_REMOTE"));
	LT_CHECK(!strcmp(loom_ss_state_name(999), "?"));
}

int
main(void)
{
	struct loom_context_info ci;
	char policy[3072];
	struct loom_vhost *ve, *vs;

	memset(&ci, 0, sizeof(ci));
	ctx = loom_create_context(&ci);
	if (!ctx)
		return 1;
	ve = listen_raw("echo", echo_protos, 0);
	vs = listen_raw("silent", silent_protos, 0);
	dead_port = free_port();
	late_port = free_port();
	http_port = free_port();
	LT_CHECK(ve && vs && dead_port > 0 && late_port > 0 && http_port > 0);
	echo_port = loom_vhost_port(ve);
	silent_port = loom_vhost_port(vs);
	loom_context_destroy(ctx);

	/* the same again with the policy now that the ports are known */
	snprintf(policy, sizeof(policy), policy_fmt, echo_port, silent_port, silent_port,
		 dead_port, late_port, dead_port, http_port, http_port);
	ci.ss_policy = policy;
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-ss");
	ve = listen_raw("echo", echo_protos, echo_port);
	vs = listen_raw("silent", silent_protos, silent_port);
	LT_CHECK(ve && vs);

	test_echo();
	test_states_and_subst();
	test_timeout();
	test_backoff_timing();
	test_nailed_up();
	test_h1_post();
	test_alloc_fail();
	test_errors();
	test_policy_replace();
	loom_context_destroy(ctx);

	return lt_result("api-test-ss");
}
