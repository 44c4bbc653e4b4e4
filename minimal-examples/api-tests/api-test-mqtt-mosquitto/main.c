/*
 * api-test-mqtt-mosquitto: the MQTT client role against a real mosquitto 2.0 (run
 * by test-apps/interop/mqtt/with-mosquitto.sh), in 3.1.1 and 5: QoS 0/1/2 round
 * trips of many messages up to 200 KB, retained messages, the will published when
 * a client vanishes, unacknowledged publishes sent again with DUP after the
 * connection is cut mid-flight (QoS 2 delivered exactly once), and in 5: topic
 * aliases, user properties, "no matching subscribers" on PUBACK, session present.
 * With --auth: refusals come as "mqtt: ..." texts and the right password works.
 * With --ws and/or --tls CA the same tests run over a WebSocket (PORT is then
 * mosquitto's websockets listener) and/or TLS verified against CA.
 * With --will-victim: connect with a will on TOPIC, print "ready" and wait to be
 * killed (test-apps/interop/mqtt/will-kill.sh).
 *
 *   api-test-mqtt-mosquitto PORT [--auth | --will-victim TOPIC VERSION]
 *                           [--ws] [--tls CA]
 */
#include <loom.h>
#include "loom-test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#define MAX_RX 400

struct cli {
	const char *name;
	struct loom_conn *conn;
	struct loom_mqtt_client_info mi;
	int established, session_present, closed, error, subscribed, unsubscribed;
	int acks, acks_bad, rx, rx_retained, rx_dup;
	uint8_t last_ack_reason, last_sub_reasons[4];
	char err[128];
	uint32_t rx_sum[3];	/* per QoS: count of messages with the right content */
	int cut_after_publish;	/* shut the socket right after publishing (resend test) */
	int user_prop_seen;
	char last_topic[128];
	size_t last_len;
};

static struct loom_context *ctx;
static struct loom_vhost *vh;
static int port, over_ws;
static const char *tls_ca;
/* the big message; mosquitto 2.0's websockets-over-TLS listener stalls for
 * seconds on large messages it sends (eclipse-mosquitto/mosquitto#1390), so
 * there it is smaller, though still many frames and reads long */
static size_t big_len = 200000;

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* payload of message \p i: its length and bytes are a function of i */
static size_t
msg_len(int i)
{
	return i == 3 ? big_len : (size_t)(i * 37) % 3000;
}

static uint8_t
msg_byte(int i, size_t k)
{
	return (uint8_t)(i * 7 + k * 13);
}

static int
cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
   size_t len)
{
	struct cli *c = conn ? loom_get_opaque_user_data(conn) : NULL;
	const struct loom_mqtt_message *m = in;
	const struct loom_mqtt_ack *a = in;
	size_t k, cur = 0, nl, vl;
	const char *n, *v;
	int i;

	(void)user;
	if (!c)
		return 0;
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		c->error++;
		snprintf(c->err, sizeof(c->err), "%s", in ? (const char *)in : "");
		fprintf(stderr, "%s: connection error: %s\n", c->name, c->err);
		c->conn = NULL;
		break;
	case LOOM_CB_MQTT_CLIENT_ESTABLISHED:
		c->established++;
		c->session_present = (int)len;
		break;
	case LOOM_CB_MQTT_SUBSCRIBED:
		c->subscribed++;
		for (k = 0; k < a->count && k < 4; k++)
			c->last_sub_reasons[k] = a->reasons[k];
		break;
	case LOOM_CB_MQTT_UNSUBSCRIBED:
		c->unsubscribed++;
		break;
	case LOOM_CB_MQTT_ACK:
		c->acks++;
		c->last_ack_reason = a->reasons[0];
		if (a->reasons[0] >= 0x80)
			c->acks_bad++;
		break;
	case LOOM_CB_MQTT_CLIENT_RX:
		c->rx++;
		c->rx_retained += m->retain;
		c->rx_dup += m->dup;
		snprintf(c->last_topic, sizeof(c->last_topic), "%.*s", (int)m->topic_len,
			 m->topic);
		c->last_len = m->payload_len;
		while (loom_mqtt_user_property_next(m, &cur, &n, &nl, &v, &vl))
			if (nl == 4 && !memcmp(n, "from", 4) && vl == 4 && !memcmp(v, "loom", 4))
				c->user_prop_seen++;
		/* "t/<qos>/<i>": check the content */
		if (m->topic_len > 4 && !memcmp(m->topic + m->topic_len - 4, "/msg", 4))
			break;
		{
			const char *p = memchr(m->topic, '/', m->topic_len);
			int q;

			if (!p || p + 3 > m->topic + m->topic_len)
				break;
			q = p[1] - '0';
			/* the topic is not NUL-terminated: the payload follows it */
			for (i = 0, n = p + 3; n < m->topic + m->topic_len; n++)
				i = i * 10 + (*n - '0');
			if (q < 0 || q > 2 || m->payload_len != msg_len(i))
				break;
			for (k = 0; k < m->payload_len; k++)
				if (m->payload[k] != msg_byte(i, k))
					break;
			if (k == m->payload_len)
				c->rx_sum[q]++;
		}
		break;
	case LOOM_CB_MQTT_CLIENT_CLOSED:
		c->closed++;
		c->conn = NULL;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protos[] = {
	{ "mqtt", cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
cli_init(struct cli *c, const char *name, uint8_t version)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->mi.client_id = name;
	c->mi.protocol_version = version;
	c->mi.clean_start = 1;
	c->mi.keep_alive = 30;
	c->mi.inflight_max = 32;
}

static int
cli_connect(struct cli *c)
{
	struct loom_client_connect_info ci;
	static struct loom_tls_client_info tls;

	memset(&ci, 0, sizeof(ci));
	if (over_ws) {
		ci.flags = LOOM_CONNECT_WS;
		ci.path = "/mqtt";
	}
	if (tls_ca) {
		memset(&tls, 0, sizeof(tls));
		tls.ca_path = tls_ca;
		ci.tls = &tls;
	}
	ci.context = ctx;
	ci.vhost = vh;
	ci.address = "127.0.0.1";
	ci.port = port;
	ci.mqtt = &c->mi;
	ci.opaque_user_data = c;
	c->established = c->closed = c->error = 0;
	c->conn = loom_client_connect(&ci);

	return c->conn ? 0 : -1;
}

/* run the loop until *flag reaches \p want, or \p ms pass; 0 when it did */
static int
wait_for(const int *flag, int want, int ms)
{
	long long end = now_ms() + ms;

	while (*flag < want && now_ms() < end)
		loom_service(ctx, 20);

	return *flag >= want ? 0 : -1;
}

static void
settle(int ms)
{
	long long end = now_ms() + ms;

	while (now_ms() < end)
		loom_service(ctx, 20);
}

static void
cli_close(struct cli *c)
{
	if (c->conn) {
		loom_mqtt_disconnect(c->conn, 0);
		wait_for(&c->closed, 1, 3000);
	}
}

static int
subscribe1(struct cli *c, const char *filter, uint8_t qos)
{
	struct loom_mqtt_topic t;
	int before = c->subscribed;

	memset(&t, 0, sizeof(t));
	t.filter = filter;
	t.qos = qos;
	if (loom_mqtt_subscribe(c->conn, &t, 1) <= 0)
		return -1;

	return wait_for(&c->subscribed, before + 1, 3000);
}

static int
publish_msg(struct cli *c, const char *topic, int i, uint8_t qos, uint8_t retain)
{
	static uint8_t buf[200000];
	static const struct loom_mqtt_user_property up[] = { { "from", "loom" } };
	struct loom_mqtt_publish_info p;
	size_t k, n = msg_len(i);

	for (k = 0; k < n; k++)
		buf[k] = msg_byte(i, k);
	memset(&p, 0, sizeof(p));
	p.topic = topic;
	p.payload = buf;
	p.payload_len = n;
	p.qos = qos;
	p.retain = retain;
	p.user_properties = up;
	p.count_user_properties = 1;

	return loom_mqtt_publish(c->conn, &p);
}

/* QoS 0/1/2 round trips: 20 messages each, one of 200 KB, through one subscriber */
static void
test_round_trips(uint8_t v)
{
	struct cli s, p;
	char topic[64];
	int q, i, r, sent = 0;

	cli_init(&s, v == 5 ? "rt-sub5" : "rt-sub4", v);
	cli_init(&p, v == 5 ? "rt-pub5" : "rt-pub4", v);
	p.mi.use_topic_alias = 1;	/* v5: mosquitto allows 10 */
	LT_CHECK(!cli_connect(&s) && !wait_for(&s.established, 1, 5000));
	LT_CHECK(!cli_connect(&p) && !wait_for(&p.established, 1, 5000));
	if (!s.conn || !p.conn)
		return;
	LT_CHECK(!subscribe1(&s, "t/#", 2));
	LT_CHECK_EQ(s.last_sub_reasons[0], 2);
	for (q = 0; q < 3; q++)
		for (i = 0; i < 20; i++) {
			snprintf(topic, sizeof(topic), "t/%d/%d", q, i);
			/* the window is 32: wait for acks when it is full */
			while ((r = publish_msg(&p, topic, i, (uint8_t)q, 0)) == LOOM_EBUSY)
				loom_service(ctx, 20);
			LT_CHECK(r >= 0);
			sent += q ? 1 : 0;
		}
	wait_for(&p.acks, sent, 10000);
	wait_for((const int *)&s.rx, 60, 10000);
	LT_CHECK_EQ(p.acks, 40);
	LT_CHECK_EQ(p.acks_bad, 0);
	if (s.rx_sum[0] != 20)
		fprintf(stderr, "qos0: %u of 20 (rx %d)\n", s.rx_sum[0], s.rx);
	LT_CHECK_EQ(s.rx_sum[0], 20);	/* no loss on loopback, even at QoS 0 */
	LT_CHECK_EQ(s.rx_sum[1], 20);
	LT_CHECK_EQ(s.rx_sum[2], 20);
	if (v == 5)
		LT_CHECK_EQ(s.user_prop_seen, 60);
	/* unsubscribe: per-topic results */
	{
		struct loom_mqtt_topic t[2];

		memset(t, 0, sizeof(t));
		t[0].filter = "t/#";
		t[1].filter = "never/subscribed";
		LT_CHECK(loom_mqtt_unsubscribe(s.conn, t, 2) > 0);
		LT_CHECK(!wait_for(&s.unsubscribed, 1, 3000));
	}
	if (v == 5) {
		/* nobody listens now: PUBACK says "no matching subscribers" */
		int before = p.acks;

		LT_CHECK(publish_msg(&p, "t/1/1", 1, 1, 0) > 0);
		LT_CHECK(!wait_for(&p.acks, before + 1, 3000));
		LT_CHECK_EQ(p.last_ack_reason, 0x10);
	}
	cli_close(&s);
	cli_close(&p);
	LT_CHECK_EQ(s.closed, 1);
	LT_CHECK_EQ(p.closed, 1);
}

static void
test_retained(uint8_t v)
{
	struct cli p, s;
	int before;

	cli_init(&p, "ret-pub", v);
	LT_CHECK(!cli_connect(&p) && !wait_for(&p.established, 1, 5000));
	if (!p.conn)
		return;
	LT_CHECK(publish_msg(&p, "ret/1/5", 5, 1, 1) > 0);
	LT_CHECK(!wait_for(&p.acks, 1, 3000));

	cli_init(&s, "ret-sub", v);
	LT_CHECK(!cli_connect(&s) && !wait_for(&s.established, 1, 5000));
	if (s.conn) {
		LT_CHECK(!subscribe1(&s, "ret/#", 1));
		LT_CHECK(!wait_for(&s.rx, 1, 3000));
		LT_CHECK_EQ(s.rx_retained, 1);
		LT_CHECK_EQ(s.rx_sum[1], 1);
		cli_close(&s);
	}
	/* an empty retained message clears it */
	before = p.acks;
	{
		struct loom_mqtt_publish_info e;

		memset(&e, 0, sizeof(e));
		e.topic = "ret/1/5";
		e.qos = 1;
		e.retain = 1;
		LT_CHECK(loom_mqtt_publish(p.conn, &e) > 0);
	}
	LT_CHECK(!wait_for(&p.acks, before + 1, 3000));
	cli_init(&s, "ret-sub2", v);
	LT_CHECK(!cli_connect(&s) && !wait_for(&s.established, 1, 5000));
	if (s.conn) {
		LT_CHECK(!subscribe1(&s, "ret/#", 1));
		settle(300);
		LT_CHECK_EQ(s.rx, 0);
		cli_close(&s);
	}
	cli_close(&p);
}

/* the will goes out when a client vanishes without DISCONNECT, not after one */
static void
test_will(uint8_t v)
{
	struct cli w, s;

	cli_init(&s, "will-watch", v);
	LT_CHECK(!cli_connect(&s) && !wait_for(&s.established, 1, 5000));
	if (!s.conn)
		return;
	LT_CHECK(!subscribe1(&s, "will/#", 1));

	/* a clean DISCONNECT: no will */
	cli_init(&w, "will-victim", v);
	w.mi.will_topic = "will/msg";
	w.mi.will_payload = "gone";
	w.mi.will_payload_len = 4;
	w.mi.will_qos = 1;
	LT_CHECK(!cli_connect(&w) && !wait_for(&w.established, 1, 5000));
	cli_close(&w);
	settle(300);
	LT_CHECK_EQ(s.rx, 0);

	/* vanishing: the socket is cut under the client */
	LT_CHECK(!cli_connect(&w) && !wait_for(&w.established, 1, 5000));
	if (w.conn)
		shutdown(loom_get_fd(w.conn), SHUT_RDWR);
	LT_CHECK(!wait_for(&s.rx, 1, 5000));
	LT_CHECK(!strcmp(s.last_topic, "will/msg") && s.last_len == 4);
	wait_for(&w.closed, 1, 3000);
	cli_close(&s);
}

/* the connection is cut right after QoS 1 and 2 publishes: the same session sends
 * them again with DUP; the subscriber gets QoS 2 exactly once */
static void
test_resend(uint8_t v)
{
	struct loom_mqtt_session *sess = loom_mqtt_session_create();
	struct cli p, s;

	cli_init(&s, "rs-sub", v);
	LT_CHECK(!cli_connect(&s) && !wait_for(&s.established, 1, 5000));
	if (!s.conn || !sess)
		return;
	LT_CHECK(!subscribe1(&s, "rs/#", 2));

	cli_init(&p, "rs-pub", v);
	p.mi.session = sess;
	/* 3.1.1 keeps a session only without clean session; 5 by its expiry */
	p.mi.clean_start = v == 5;
	p.mi.session_expiry_interval = 300;
	LT_CHECK(!cli_connect(&p) && !wait_for(&p.established, 1, 5000));
	if (!p.conn)
		return;
	/* stop reading first: the acks will never be seen on this conn */
	loom_rx_flow_control(p.conn, 0);
	LT_CHECK(publish_msg(&p, "rs/1/7", 7, 1, 0) > 0);
	LT_CHECK(publish_msg(&p, "rs/2/8", 8, 2, 0) > 0);
	settle(200);
	/* the connection dies with the acks unread: a paused conn that hangs up
	 * is parked until reading resumes, so a timeout ends it unread */
	shutdown(loom_get_fd(p.conn), SHUT_RDWR);
	loom_set_timeout_us(p.conn, LOOM_TO_USER, 1000);
	wait_for(&p.closed, 1, 3000);
	LT_CHECK_EQ(p.acks, 0);
	LT_CHECK_EQ(loom_mqtt_session_inflight(sess), 2);

	p.mi.clean_start = 0;
	LT_CHECK(!cli_connect(&p) && !wait_for(&p.established, 1, 5000));
	LT_CHECK_EQ(p.session_present, 1);
	LT_CHECK(!wait_for(&p.acks, 2, 5000));
	LT_CHECK_EQ(loom_mqtt_session_inflight(sess), 0);
	settle(300);
	LT_CHECK(s.rx_sum[1] >= 1);
	LT_CHECK_EQ(s.rx_sum[2], 1);
	cli_close(&p);
	cli_close(&s);
	loom_mqtt_session_destroy(sess);
}

static void
test_auth(void)
{
	struct cli c;
	uint8_t v;

	for (v = 4; v <= 5; v++) {
		cli_init(&c, "auth", v);
		LT_CHECK(!cli_connect(&c));
		LT_CHECK(!wait_for(&c.error, 1, 5000));
		LT_CHECK(!strcmp(c.err, "mqtt: not authorized"));
		if (strcmp(c.err, "mqtt: not authorized"))
			fprintf(stderr, "v%u anonymous: '%s'\n", v, c.err);

		cli_init(&c, "auth", v);
		c.mi.username = "loom";
		c.mi.password = "wrong";
		LT_CHECK(!cli_connect(&c));
		LT_CHECK(!wait_for(&c.error, 1, 5000));
		/* mosquitto answers a wrong password "not authorized" in both */
		if (strcmp(c.err, "mqtt: not authorized"))
			fprintf(stderr, "v%u wrong password: '%s'\n", v, c.err);
		LT_CHECK(!strcmp(c.err, "mqtt: not authorized"));

		cli_init(&c, "auth", v);
		c.mi.username = "loom";
		c.mi.password = "secret";
		LT_CHECK(!cli_connect(&c) && !wait_for(&c.established, 1, 5000));
		cli_close(&c);
	}
}

/* a client with a will that waits to be killed */
static int
will_victim(const char *topic, uint8_t v)
{
	static struct cli w;

	cli_init(&w, "will-kill-victim", v);
	w.mi.will_topic = topic;
	w.mi.will_payload = "killed";
	w.mi.will_payload_len = 6;
	w.mi.will_qos = 1;
	if (cli_connect(&w) || wait_for(&w.established, 1, 5000))
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (!w.closed)
		loom_service(ctx, 1000);

	return 1;
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vi;
	uint8_t v;
	int n;

	if (argc < 2)
		return 1;
	port = atoi(argv[1]);
	for (n = 2; n < argc; n++) {
		if (!strcmp(argv[n], "--ws"))
			over_ws = 1;
		else if (!strcmp(argv[n], "--tls") && n + 1 < argc)
			tls_ca = argv[++n];
	}
	if (over_ws && tls_ca)
		big_len = 50000;
	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = protos;
	vh = ctx ? loom_create_vhost(ctx, &vi) : NULL;
	LT_CHECK(vh != NULL);
	if (vh) {
		if (argc > 2 && !strcmp(argv[2], "--auth"))
			test_auth();
		else if (argc > 4 && !strcmp(argv[2], "--will-victim"))
			return will_victim(argv[3], (uint8_t)atoi(argv[4]));
		else
			for (v = 4; v <= 5; v++) {
				fprintf(stderr, "--- MQTT %s%s%s\n", v == 5 ? "5" : "3.1.1",
					over_ws ? " over WebSocket" : "", tls_ca ? " with TLS" : "");
				test_round_trips(v);
				test_retained(v);
				test_will(v);
				test_resend(v);
			}
	}
	if (ctx)
		loom_context_destroy(ctx);

	return lt_result("api-test-mqtt-mosquitto");
}
