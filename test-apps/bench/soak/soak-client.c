/*
 * soak-client: churn against loom-test-server (and mosquitto) for a given time:
 * connections of every kind opened, used, closed, and one in ten dropped midway,
 * with --conc of them alive at once. It counts its own allocations and prints a
 * sample line every --every seconds for run.sh to check that they stay flat.
 *
 *   soak-client --secs N --port P --tls-port P --raw-port P --ca FILE
 *               [--mqtt-port P] [--mqtt-tls-port P --mqtt-ca FILE] [--conc N]
 *               [--every S]
 *
 * Exits 0 when every session that was not dropped on purpose completed with its
 * data verified, and nothing was left allocated after the context was destroyed.
 */
#include <loom.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- counting allocator ---- */

struct hdr {
	union {
		struct {
			size_t size;
			int tls;	/* the TLS library's block ("openssl", "mbedtls") */
		} s;
		long double align_ld;
		long long align_ll;
		void *align_p;
	} u;
};
/* the TLS library allocates through the hook too; its process-wide state lives
 * until exit, so its blocks are counted apart for the check after destroy */
static unsigned long live_blocks, live_bytes, total_allocs, tls_blocks;

static void *
counting_realloc(void *ptr, size_t size, const char *reason)
{
	struct hdr *h = ptr ? (struct hdr *)ptr - 1 : NULL, *nh;

	if (!size) {
		if (h) {
			live_blocks--;
			live_bytes -= h->u.s.size;
			tls_blocks -= (unsigned long)h->u.s.tls;
			free(h);
		}
		return NULL;
	}
	nh = realloc(h, sizeof(*nh) + size);
	if (!nh)
		return NULL;
	if (h)
		live_bytes -= nh->u.s.size;
	else {
		nh->u.s.tls = reason && (!strcmp(reason, "openssl") ||
					 !strcmp(reason, "mbedtls"));
		tls_blocks += (unsigned long)nh->u.s.tls;
		live_blocks++;
		total_allocs++;
	}
	nh->u.s.size = size;
	live_bytes += size;

	return nh + 1;
}

/* ---- sessions ---- */

enum kind { K_RAW, K_GET, K_GET_TLS, K_POST, K_POST_TLS, K_WS, K_WS_TLS, K_MQTT,
	    K_MQTT_TLS, K_COUNT
	    /* h2 kinds go here when lib/roles/h2 lands */ };
static const char *const knames[K_COUNT] = {
	"raw", "h1-get", "h1-get-tls", "h1-post", "h1-post-tls", "ws", "ws-tls", "mqtt",
	"mqtt-tls"
};

static struct {
	unsigned long started, ok, dropped, failed;
} st[K_COUNT];

struct sess {
	enum kind kind;
	int drop;		/* drop the conn midway, on purpose */
	int in_use, done, counted;
	unsigned int step;
	size_t sent, rx, want;
	unsigned int status;
	char topic[48];
};

#define POST_LEN	20000
#define RAW_LEN		50000
static unsigned char txbuf[LOOM_PRE + 65536];
static int port, tls_port, raw_port, mqtt_port, mqtt_tls_port, alive, stop;
static const char *ca, *mqtt_ca;
static unsigned long serial;
static struct loom_context *ctx;
static struct loom_vhost *cvh;

static unsigned char
pat(size_t i)
{
	return (unsigned char)("soak churn "[i % 11] + ((i >> 9) & 3));
}

static void
fill(size_t ofs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		txbuf[LOOM_PRE + i] = pat(ofs + i);
}

static int
check(const unsigned char *p, size_t ofs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != pat(ofs + i))
			return -1;

	return 0;
}

/* the session ended: count it once */
static void
ended(struct sess *s, const char *why)
{
	if (s->counted)
		return;
	s->counted = 1;
	s->in_use = 0;		/* the conn's last callback: the slot is free */
	alive--;
	if (s->done)
		st[s->kind].ok++;
	else if (s->drop)
		st[s->kind].dropped++;
	else {
		st[s->kind].failed++;
		fprintf(stderr, "soak: %s session failed: %s (step %u, rx %zu)\n",
			knames[s->kind], why, s->step, s->rx);
	}
}

static int
cb_raw(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
       void *in, size_t len)
{
	struct sess *s = conn ? loom_get_opaque_user_data(conn) : NULL;
	size_t n;

	if (!s)
		return 0;
	switch (reason) {
	case LOOM_CB_RAW_CONNECTED:
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		if (s->sent == RAW_LEN)
			break;
		n = RAW_LEN - s->sent < 8192 ? RAW_LEN - s->sent : 8192;
		fill(s->sent, n);
		if (loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		s->sent += n;
		if (s->sent < RAW_LEN)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_RX:
		if (check(in, s->rx, len))
			return -1;
		s->rx += len;
		if (s->drop && s->rx > RAW_LEN / 3)
			return -1;
		if (s->rx == RAW_LEN) {
			s->done = 1;
			return -1;
		}
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		ended(s, in ? (const char *)in : "connection error");
		break;
	case LOOM_CB_RAW_CLOSE:
		ended(s, "closed early");
		break;
	default:
		break;
	}

	return 0;
}

static int
cb_http(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	struct sess *s = conn ? loom_get_opaque_user_data(conn) : NULL;
	int post;
	size_t n;

	if (!s)
		return 0;
	post = s->kind == K_POST || s->kind == K_POST_TLS;
	switch (reason) {
	case LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (post)
			return loom_http_client_body(conn, POST_LEN) < 0;
		break;
	case LOOM_CB_CLIENT_HTTP_WRITEABLE:
		n = POST_LEN - s->sent < 4096 ? POST_LEN - s->sent : 4096;
		fill(s->sent, n);
		s->sent += n;
		if (s->drop && s->sent > POST_LEN / 2)
			return -1;
		if (loom_http_write_body(conn, txbuf + LOOM_PRE, n, s->sent == POST_LEN) < 0)
			return -1;
		if (s->sent < POST_LEN)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_ESTABLISHED_CLIENT_HTTP:
		s->status = loom_http_status(conn);
		break;
	case LOOM_CB_RECEIVE_CLIENT_HTTP:
		s->rx += len;
		if (s->drop && !post)
			return -1;
		break;
	case LOOM_CB_COMPLETED_CLIENT_HTTP:
		s->done = s->status == 200 && s->rx > 0;
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		ended(s, in ? (const char *)in : "connection error");
		break;
	case LOOM_CB_CLOSED_CLIENT_HTTP:
		ended(s, "closed before the response");
		break;
	default:
		break;
	}

	return 0;
}

static const size_t ws_sizes[] = { 120, 20000, 3000, 0 };

static int
cb_ws(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
      void *in, size_t len)
{
	struct sess *s = conn ? loom_get_opaque_user_data(conn) : NULL;

	if (!s)
		return 0;
	switch (reason) {
	case LOOM_CB_CLIENT_ESTABLISHED:
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_CLIENT_WRITEABLE:
		if (s->sent || !ws_sizes[s->step])
			break;
		s->sent = ws_sizes[s->step];
		fill(0, s->sent);
		if (loom_write(conn, txbuf + LOOM_PRE, s->sent, s->step == 1 ?
			       LOOM_WRITE_BINARY : LOOM_WRITE_TEXT) < 0)
			return -1;
		break;
	case LOOM_CB_CLIENT_RECEIVE:
		if (s->rx + len > s->sent || check(in, s->rx, len))
			return -1;
		s->rx += len;
		if (!loom_ws_is_final_fragment(conn))
			break;
		if (s->rx != s->sent)
			return -1;
		s->step++;
		s->sent = s->rx = 0;
		if (s->drop && s->step == 2)
			return -1;	/* no close frame: the server sees the TCP close */
		if (!ws_sizes[s->step]) {
			s->done = 1;
			loom_ws_close_reason(conn, 1000, NULL, 0);
			return -1;
		}
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		ended(s, in ? (const char *)in : "connection error");
		break;
	case LOOM_CB_CLIENT_CLOSED:
		ended(s, "closed early");
		break;
	default:
		break;
	}

	return 0;
}

static int
cb_mqtt(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	struct sess *s = conn ? loom_get_opaque_user_data(conn) : NULL;
	const struct loom_mqtt_message *m = in;
	struct loom_mqtt_publish_info pub;
	struct loom_mqtt_topic t;

	if (!s)
		return 0;
	switch (reason) {
	case LOOM_CB_MQTT_CLIENT_ESTABLISHED:
		memset(&t, 0, sizeof(t));
		t.filter = s->topic;
		t.qos = 1;
		if (loom_mqtt_subscribe(conn, &t, 1) <= 0)
			return -1;
		break;
	case LOOM_CB_MQTT_SUBSCRIBED:
		if (s->drop)
			return -1;
		fill(0, 2000);
		memset(&pub, 0, sizeof(pub));
		pub.topic = s->topic;
		pub.payload = txbuf + LOOM_PRE;
		pub.payload_len = 2000;
		pub.qos = (uint8_t)(1 + (serial & 1));
		if (loom_mqtt_publish(conn, &pub) <= 0)
			return -1;
		break;
	case LOOM_CB_MQTT_CLIENT_RX:
		if (m->payload_len != 2000 || check(m->payload, 0, 2000))
			return -1;
		s->done = 1;
		loom_mqtt_disconnect(conn, 0);
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		ended(s, in ? (const char *)in : "connection error");
		break;
	case LOOM_CB_MQTT_CLIENT_CLOSED:
		ended(s, "closed early");
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "soak-raw", cb_raw, 0, 0, 0, NULL, 0 },
	{ "soak-http", cb_http, 0, 0, 0, NULL, 0 },
	{ "soak-ws", cb_ws, 0, 0, 0, NULL, 0 },
	{ "soak-mqtt", cb_mqtt, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* the sessions live in a fixed pool, so the app's own memory stays flat too */
#define POOL 256
static struct sess pool[POOL];

static void
start(enum kind k)
{
	struct loom_client_connect_info ci;
	struct loom_tls_client_info tci;
	struct loom_mqtt_client_info mi;
	struct sess *s = NULL;
	char cid[40];
	int i, tls = k == K_GET_TLS || k == K_POST_TLS || k == K_WS_TLS || k == K_MQTT_TLS;

	for (i = 0; i < POOL && !s; i++)
		if (!pool[i].in_use)
			s = &pool[i];
	if (!s)
		return;
	memset(s, 0, sizeof(*s));
	s->in_use = 1;
	s->kind = k;
	s->drop = !(rand() % 10);
	serial++;

	memset(&tci, 0, sizeof(tci));
	tci.ca_path = k == K_MQTT_TLS ? mqtt_ca : ca;
	tci.server_name = "localhost";
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = cvh;
	ci.address = "127.0.0.1";
	ci.timeout_ms = 10000;
	ci.opaque_user_data = s;
	ci.tls = tls ? &tci : NULL;
	ci.port = tls ? tls_port : port;
	switch (k) {
	case K_RAW:
		ci.port = raw_port;
		ci.flags = LOOM_CONNECT_RAW;
		ci.protocol = "soak-raw";
		break;
	case K_GET:
	case K_GET_TLS:
		ci.method = "GET";
		ci.path = "/";
		ci.protocol = "soak-http";
		break;
	case K_POST:
	case K_POST_TLS:
		ci.method = "POST";
		ci.path = "/post";
		ci.protocol = "soak-http";
		break;
	case K_WS:
	case K_WS_TLS:
		ci.flags = LOOM_CONNECT_WS | LOOM_CONNECT_WS_DEFLATE;
		ci.path = "/";
		ci.ws_protocol = "loom-echo";
		ci.protocol = "soak-ws";
		break;
	case K_MQTT:
	case K_MQTT_TLS:
		ci.port = tls ? mqtt_tls_port : mqtt_port;
		snprintf(cid, sizeof(cid), "soak-%d-%lu", (int)getpid(), serial);
		snprintf(s->topic, sizeof(s->topic), "soak/%s", cid);
		memset(&mi, 0, sizeof(mi));
		mi.client_id = cid;
		mi.protocol_version = (serial & 2) ? LOOM_MQTT_V5 : LOOM_MQTT_V311;
		mi.clean_start = 1;
		mi.keep_alive = 30;
		ci.mqtt = &mi;
		ci.protocol = "soak-mqtt";
		break;
	default:
		break;
	}
	st[k].started++;
	alive++;
	if (!loom_client_connect(&ci)) {
		/* refused at once: no callback will come */
		s->in_use = 0;
		alive--;
		st[k].failed++;
		fprintf(stderr, "soak: %s: loom_client_connect failed\n", knames[k]);
	}
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);

	return n;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	loom_usec_t t0, end, next_sample;
	int secs = 60, conc = 16, every = 5, n, k, kinds[K_COUNT], nk = 0, fails = 0;
	unsigned long tot_ok = 0, tot_started = 0;

	for (n = 1; n + 1 < argc; n += 2) {
		const char *a = argv[n], *v = argv[n + 1];

		if (!strcmp(a, "--secs"))
			secs = atoi(v);
		else if (!strcmp(a, "--port"))
			port = atoi(v);
		else if (!strcmp(a, "--tls-port"))
			tls_port = atoi(v);
		else if (!strcmp(a, "--raw-port"))
			raw_port = atoi(v);
		else if (!strcmp(a, "--mqtt-port"))
			mqtt_port = atoi(v);
		else if (!strcmp(a, "--mqtt-tls-port"))
			mqtt_tls_port = atoi(v);
		else if (!strcmp(a, "--ca"))
			ca = v;
		else if (!strcmp(a, "--mqtt-ca"))
			mqtt_ca = v;
		else if (!strcmp(a, "--conc"))
			conc = atoi(v);
		else if (!strcmp(a, "--every"))
			every = atoi(v);
		else {
			fprintf(stderr, "soak-client: unknown option %s\n", a);
			return 2;
		}
	}
	if (conc > POOL)
		conc = POOL;
	/* the kinds this run can do: each needs its server's port */
	for (k = 0; k < K_COUNT; k++) {
		int ok;

		switch (k) {
		case K_RAW: ok = raw_port > 0; break;
		case K_GET: case K_POST: case K_WS: ok = port > 0; break;
		case K_MQTT: ok = mqtt_port > 0; break;
		case K_MQTT_TLS: ok = mqtt_tls_port > 0 && mqtt_ca; break;
		default: ok = tls_port > 0 && ca; break;
		}
		if (ok)
			kinds[nk++] = k;
	}
	if (!nk) {
		fprintf(stderr, "soak-client: no server ports given\n");
		return 2;
	}
	srand((unsigned int)getpid());
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	loom_set_log_level(LOOM_LL_ERR, NULL);
	loom_set_allocator(counting_realloc);

	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.name = "soak";
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = protocols;
	cvh = ctx ? loom_create_vhost(ctx, &vinfo) : NULL;
	if (!cvh)
		return 1;

	t0 = loom_now_usecs();
	end = t0 + (loom_usec_t)secs * 1000000;
	next_sample = t0 + (loom_usec_t)every * 1000000;
	/* the baseline: nothing connected yet */
	printf("sample t=0 alive=0 blocks=%lu bytes=%lu fds=%d (baseline)\n",
	       live_blocks, live_bytes, count_fds());
	while (!stop && loom_now_usecs() < end) {
		while (alive < conc)
			start((enum kind)kinds[rand() % nk]);
		loom_service(ctx, 10);
		if (loom_now_usecs() >= next_sample) {
			/* t secs, conns alive, our allocator's live blocks and bytes, fds */
			printf("sample t=%llu alive=%d blocks=%lu bytes=%lu fds=%d\n",
			       (unsigned long long)((loom_now_usecs() - t0) / 1000000),
			       alive, live_blocks, live_bytes, count_fds());
			fflush(stdout);
			next_sample += (loom_usec_t)every * 1000000;
		}
	}
	/* let the last ones finish (bounded), then one more sample with none alive */
	end = loom_now_usecs() + 15000000;
	while (alive && loom_now_usecs() < end)
		loom_service(ctx, 10);
	printf("sample t=%llu alive=%d blocks=%lu bytes=%lu fds=%d (drained)\n",
	       (unsigned long long)((loom_now_usecs() - t0) / 1000000), alive,
	       live_blocks, live_bytes, count_fds());
	loom_context_destroy(ctx);

	for (k = 0; k < K_COUNT; k++) {
		if (!st[k].started)
			continue;
		printf("%-12s started %6lu  ok %6lu  dropped on purpose %5lu  failed %lu\n",
		       knames[k], st[k].started, st[k].ok, st[k].dropped, st[k].failed);
		fails += (int)st[k].failed;
		tot_ok += st[k].ok;
		tot_started += st[k].started;
	}
	printf("total: %lu sessions, %lu completed, %d failed, %d never ended; "
	       "%lu allocations; after destroy: %lu blocks of Loom's (%lu of the TLS "
	       "library's process-wide state, freed at exit)\n", tot_started, tot_ok,
	       fails, alive, total_allocs, live_blocks - tls_blocks, tls_blocks);

	/* the allocator stays: the TLS library's blocks go back to it at exit */
	return fails || alive || live_blocks != tls_blocks ? 1 : 0;
}
