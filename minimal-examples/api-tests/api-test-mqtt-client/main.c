/*
 * api-test-mqtt-client: the MQTT client role against a scripted fake broker in the
 * same process (a raw listener): each hostile or malformed packet gets DISCONNECT
 * with the right reason code (v5) or a bare DISCONNECT (3.1.1) and the close;
 * CONNACK refusals reach LOOM_CB_CLIENT_CONNECTION_ERROR as text, as does a
 * missing CONNACK; keepalive
 * PINGREQs go out and a missing PINGRESP closes; an unacknowledged QoS 1 and QoS 2
 * publish is sent again with DUP on the next connection of the same session, and
 * a QoS 2 publish cut off after its PUBREC goes on with PUBREL (not PUBLISH); a
 * duplicate inbound QoS 2 publish is delivered once; inbound topic aliases name
 * their topic.
 */
#include <loom.h>
#include "loom-test.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

struct scen {
	const char *name;
	uint8_t version;
	const uint8_t *connack;	/* sent on CONNECT */
	size_t connack_len;
	const uint8_t *after;	/* sent right after the CONNACK */
	size_t after_len;
	int want_disc;		/* reason in the client's DISCONNECT; -1 none expected */
	const char *want_error;	/* CONNECTION_ERROR text wanted */
	uint32_t max_packet;
	uint16_t receive_max;
	uint16_t alias_max;
	uint16_t keep_alive;
	unsigned int pingresp_ms;
	int pingresp;		/* the broker answers PINGREQ */
	int hold_ms;		/* run this long at least */
};

/* what happened, per scenario */
static struct {
	uint8_t brx[4096];	/* what the broker received (this connection) */
	size_t brx_len;
	size_t bdone;		/* handled up to here */
	int connects;
	int pingreqs;
	int established, closed, conn_error, rx, acks, broker_closed;
	char error[128];
	uint8_t pub_hdr[4];	/* first bytes of the PUBLISHes the broker got */
	uint16_t pub_pid[4];
	int pubs;
	int pubrels;
	uint16_t pubrel_pid;
	int pubcomps;
	int alias_ok;
	int writeable, writeable_early;
} st;

static const struct scen *cur;
static struct loom_conn *bconn;
static struct loom_mqtt_session *session;
static int resend_phase, qos2_phase, alias_phase;

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void
bsend(struct loom_conn *c, const uint8_t *b, size_t len)
{
	uint8_t buf[LOOM_PRE + 512];

	if (!len || len > 512)
		return;
	memcpy(buf + LOOM_PRE, b, len);
	loom_write(c, buf + LOOM_PRE, len, LOOM_WRITE_RAW);
}

/* handle the whole packets in the broker's input not handled yet (all input is
 * kept in st.brx for the checks) */
static void
broker_packets(struct loom_conn *c)
{
	size_t pos = st.bdone;

	while (pos + 2 <= st.brx_len) {
		size_t rl = 0, mult = 1, hl = 1;
		uint8_t t;

		do {
			if (pos + hl >= st.brx_len)
				return;
			rl += (st.brx[pos + hl] & 0x7f) * mult;
			mult *= 128;
		} while (st.brx[pos + hl++] & 0x80);
		if (pos + hl + rl > st.brx_len)
			return;
		t = st.brx[pos] >> 4;
		if (t == 1) {
			st.connects++;
			if (resend_phase == 2 || resend_phase == 4) {
				/* reconnected: say the session is there */
				static const uint8_t ack[] = { 0x20, 0x03, 0x01, 0x00, 0x00 };

				bsend(c, ack, sizeof(ack));
			} else {
				bsend(c, cur->connack, cur->connack_len);
				bsend(c, cur->after, cur->after_len);
			}
		} else if (t == 12) {
			static const uint8_t pr[] = { 0xd0, 0x00 };

			st.pingreqs++;
			if (cur->pingresp)
				bsend(c, pr, sizeof(pr));
		} else if (t == 3 && st.pubs < 4) {
			st.pub_hdr[st.pubs] = st.brx[pos];
			st.pub_pid[st.pubs] = (uint16_t)(st.brx[pos + hl + 2 +
				((st.brx[pos + hl] << 8) | st.brx[pos + hl + 1])] << 8 |
				st.brx[pos + hl + 3 + ((st.brx[pos + hl] << 8) |
						       st.brx[pos + hl + 1])]);
			st.pubs++;
			if (resend_phase == 1 && st.pubs == 2)
				/* both in flight, neither acked: drop the connection */
				loom_close(c, LOOM_CLOSE_NOSTATUS);
			if (resend_phase == 2 || resend_phase == 3) {
				uint8_t a[4] = { (st.brx[pos] & 6) == 2 ? 0x40 : 0x50, 2,
						 (uint8_t)(st.pub_pid[st.pubs - 1] >> 8),
						 (uint8_t)st.pub_pid[st.pubs - 1] };

				bsend(c, a, 4);	/* PUBACK or PUBREC */
			}
		} else if (t == 6) {
			uint8_t a[4] = { 0x70, 2, st.brx[pos + hl], st.brx[pos + hl + 1] };

			st.pubrels++;
			st.pubrel_pid = (uint16_t)(a[2] << 8 | a[3]);
			if (resend_phase == 3)
				/* PUBREL in, no PUBCOMP: the connection drops */
				loom_close(c, LOOM_CLOSE_NOSTATUS);
			else
				bsend(c, a, 4);		/* PUBCOMP */
		} else if (t == 7)
			st.pubcomps++;
		pos += hl + rl;
		st.bdone = pos;
	}
}

static int
broker_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	(void)user;
	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		bconn = conn;
		st.brx_len = 0;
		st.bdone = 0;
		break;
	case LOOM_CB_RAW_RX:
		if (len > sizeof(st.brx) - st.brx_len)
			len = sizeof(st.brx) - st.brx_len;
		memcpy(st.brx + st.brx_len, in, len);
		st.brx_len += len;
		broker_packets(conn);
		break;
	case LOOM_CB_RAW_CLOSE:
		if (conn == bconn)
			bconn = NULL;
		st.broker_closed++;
		break;
	default:
		break;
	}

	return 0;
}

static int
client_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	const struct loom_mqtt_message *m = in;
	struct loom_mqtt_publish_info pub;

	(void)user;
	(void)len;
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		st.conn_error++;
		snprintf(st.error, sizeof(st.error), "%s", in ? (const char *)in : "");
		break;
	case LOOM_CB_MQTT_CLIENT_ESTABLISHED:
		st.established++;
		if (resend_phase == 3) {
			memset(&pub, 0, sizeof(pub));
			pub.topic = "r/2";
			pub.payload = "two";
			pub.payload_len = 3;
			pub.qos = 2;
			LT_CHECK(loom_mqtt_publish(conn, &pub) > 0);
		}
		if (resend_phase == 1) {
			memset(&pub, 0, sizeof(pub));
			pub.topic = "r/1";
			pub.payload = "one";
			pub.payload_len = 3;
			pub.qos = 1;
			LT_CHECK(loom_mqtt_publish(conn, &pub) > 0);
			pub.qos = 2;
			LT_CHECK(loom_mqtt_publish(conn, &pub) > 0);
		}
		break;
	case LOOM_CB_MQTT_CLIENT_RX:
		st.rx++;
		if (qos2_phase)
			LT_CHECK(m->qos == 2 && m->packet_id == 9 && m->payload_len == 1);
		if (alias_phase && m->topic_len == 3 && !memcmp(m->topic, "a/b", 3))
			st.alias_ok++;
		break;
	case LOOM_CB_MQTT_ACK:
		st.acks++;
		break;
	case LOOM_CB_MQTT_CLIENT_WRITEABLE:
		st.writeable++;
		if (!st.established)
			st.writeable_early++;
		break;
	case LOOM_CB_MQTT_CLIENT_CLOSED:
		st.closed++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol bprotos[] = {
	{ "broker", broker_cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static const struct loom_protocol cprotos[] = {
	{ "mqtt", client_cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static struct loom_context *ctx;
static struct loom_vhost *bvh, *cvh;

static struct loom_conn *
connect_client(const struct scen *s, uint8_t clean)
{
	struct loom_client_connect_info ci;
	struct loom_mqtt_client_info mi;

	memset(&ci, 0, sizeof(ci));
	memset(&mi, 0, sizeof(mi));
	mi.client_id = "t";
	mi.protocol_version = s->version;
	mi.clean_start = clean;
	mi.maximum_packet_size = s->max_packet;
	mi.receive_maximum = s->receive_max;
	mi.topic_alias_maximum = s->alias_max;
	mi.keep_alive = s->keep_alive;
	mi.pingresp_timeout_ms = s->pingresp_ms;
	mi.session = session;
	ci.context = ctx;
	ci.vhost = cvh;
	ci.address = "127.0.0.1";
	ci.port = loom_vhost_port(bvh);
	ci.mqtt = &mi;

	return loom_client_connect(&ci);
}

/* the loop until the client is gone and the broker side closed, or \p ms */
static void
run_until_closed(int ms, int min_ms)
{
	long long end = now_ms() + ms, min_end = now_ms() + min_ms;

	while (now_ms() < end &&
	       (now_ms() < min_end || !(st.closed || st.conn_error) || bconn))
		loom_service(ctx, 20);
}

/* the reason of the last DISCONNECT the broker got: -1 none, -2 one with no code */
static int
last_disconnect(void)
{
	size_t pos = 0;
	int r = -1;

	while (pos + 2 <= st.brx_len) {
		size_t rl = st.brx[pos + 1];	/* the client's packets here are short */

		if (st.brx[pos + 1] & 0x80)
			rl = (st.brx[pos + 1] & 0x7f) + 128u * st.brx[pos + 2] + 1;
		if ((st.brx[pos] >> 4) == 14)
			r = rl ? st.brx[pos + 2] : -2;
		pos += 2 + rl;
	}

	return r;
}

static const uint8_t ca3[] = { 0x20, 0x02, 0x00, 0x00 };
static const uint8_t ca5[] = { 0x20, 0x03, 0x00, 0x00, 0x00 };
static const uint8_t ca3_auth[] = { 0x20, 0x02, 0x00, 0x05 };
static const uint8_t ca5_auth[] = { 0x20, 0x03, 0x00, 0x86, 0x00 };
static const uint8_t long_len[] = { 0x30, 0xff, 0xff, 0xff, 0xff, 0x01 };
static const uint8_t bad_utf8[] = { 0x30, 0x06, 0x00, 0x02, 0xc3, 0x28, 0x00, 'x' };
static const uint8_t bad_utf8_3[] = { 0x30, 0x05, 0x00, 0x02, 0xc3, 0x28, 'x' };
static const uint8_t wildcard[] = { 0x30, 0x06, 0x00, 0x03, 'a', '/', '+', 0x00 };
static const uint8_t wildcard_3[] = { 0x30, 0x05, 0x00, 0x03, 'a', '/', '#' };
static const uint8_t too_big[] = { 0x30, 0x80, 0x10, 0x00, 0x01, 'a' };
static const uint8_t bad_flags[] = { 0x41, 0x02, 0x00, 0x01 };
static const uint8_t bad_alias[] = { 0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x09, 'x' };
static const uint8_t unknown_alias[] = { 0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01,
					 'x' };
static const uint8_t rx_max[] = {
	0x34, 0x06, 0x00, 0x01, 'a', 0x00, 0x01, 0x00,
	0x34, 0x06, 0x00, 0x01, 'a', 0x00, 0x02, 0x00,
	0x34, 0x06, 0x00, 0x01, 'a', 0x00, 0x03, 0x00,
};
static const uint8_t alias_ok[] = {
	0x30, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x03, 0x23, 0x00, 0x02,	/* names alias 2 */
	0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x02, 'y',		/* uses it */
};
static const uint8_t connack_again[] = { 0x20, 0x03, 0x00, 0x00, 0x00 };
static const uint8_t server_only[] = { 0x82, 0x00 };
static const uint8_t qos2_dup[] = {
	0x34, 0x06, 0x00, 0x01, 'a', 0x00, 0x09, 'x',
	0x3c, 0x06, 0x00, 0x01, 'a', 0x00, 0x09, 'x',	/* the same, DUP */
	0x62, 0x02, 0x00, 0x09,				/* PUBREL */
};

#define SC(n, v, ca, af, d) { n, v, ca, sizeof(ca), af, sizeof(af), d, NULL, 0, 0, 0, 0, 0, 0, 0 }

static const struct scen hostile[] = {
	SC("v5 length over 4 bytes", 5, ca5, long_len, 0x81),
	SC("v5 bad UTF-8 topic", 5, ca5, bad_utf8, 0x81),
	SC("v5 wildcard in PUBLISH topic", 5, ca5, wildcard, 0x81),
	{ "v5 packet over the maximum", 5, ca5, sizeof(ca5), too_big, sizeof(too_big),
	  0x95, NULL, 1024, 0, 0, 0, 0, 0, 0 },
	SC("v5 wrong flags", 5, ca5, bad_flags, 0x81),
	{ "v5 alias over the maximum", 5, ca5, sizeof(ca5), bad_alias, sizeof(bad_alias),
	  0x94, NULL, 0, 0, 4, 0, 0, 0, 0 },
	{ "v5 unknown alias", 5, ca5, sizeof(ca5), unknown_alias, sizeof(unknown_alias),
	  0x82, NULL, 0, 0, 4, 0, 0, 0, 0 },
	{ "v5 receive maximum exceeded", 5, ca5, sizeof(ca5), rx_max, sizeof(rx_max),
	  0x93, NULL, 0, 2, 0, 0, 0, 0, 0 },
	SC("v5 second CONNACK", 5, ca5, connack_again, 0x82),
	SC("v5 SUBSCRIBE from the server", 5, ca5, server_only, 0x82),
	SC("3.1.1 length over 4 bytes", 4, ca3, long_len, -2),
	SC("3.1.1 bad UTF-8 topic", 4, ca3, bad_utf8_3, -2),
	SC("3.1.1 wildcard in PUBLISH topic", 4, ca3, wildcard_3, -2),
	{ "3.1.1 packet over the maximum", 4, ca3, sizeof(ca3), too_big, sizeof(too_big),
	  -2, NULL, 1024, 0, 0, 0, 0, 0, 0 },
	SC("3.1.1 wrong flags", 4, ca3, bad_flags, -2),
};

static void
test_hostile(void)
{
	size_t i;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		const struct scen *s = &hostile[i];
		int d;

		memset(&st, 0, sizeof(st));
		cur = s;
		LT_CHECK(connect_client(s, 1) != NULL);
		run_until_closed(5000, 0);
		d = last_disconnect();
		if (d != s->want_disc || st.established != 1 || st.closed != 1)
			fprintf(stderr, "%s: disconnect %d (want %d), established %d, "
				"closed %d\n", s->name, d, s->want_disc, st.established,
				st.closed);
		LT_CHECK_EQ(d, s->want_disc);
		LT_CHECK_EQ(st.established, 1);
		LT_CHECK_EQ(st.closed, 1);
		/* receive maximum 2: two get in before the third breaks it */
		LT_CHECK_EQ(st.rx, s->receive_max ? 2 : 0);
		LT_CHECK(!bconn);	/* the broker side saw the close too */
	}
}

static void
test_refused(void)
{
	static const struct scen r3 = SC("3.1.1 not authorized", 4, ca3_auth, ca3_auth, -1);
	static const struct scen r5 = SC("5 bad password", 5, ca5_auth, ca5_auth, -1);

	memset(&st, 0, sizeof(st));
	cur = &r3;
	LT_CHECK(connect_client(cur, 1) != NULL);
	run_until_closed(5000, 0);
	LT_CHECK_EQ(st.conn_error, 1);
	LT_CHECK_EQ(st.established, 0);
	LT_CHECK_EQ(st.closed, 0);
	LT_CHECK(!strcmp(st.error, "mqtt: not authorized"));

	memset(&st, 0, sizeof(st));
	cur = &r5;
	LT_CHECK(connect_client(cur, 1) != NULL);
	run_until_closed(5000, 0);
	LT_CHECK_EQ(st.conn_error, 1);
	LT_CHECK(!strcmp(st.error, "mqtt: bad user name or password"));
}

/* a broker that never answers CONNECT: the context's timeout (2 s here) ends it */
static void
test_no_connack(void)
{
	static const uint8_t none[1] = { 0 };
	static const struct scen s = { "no CONNACK", 4, none, 0, none, 0, -1, NULL, 0, 0,
				       0, 0, 0, 0, 0 };
	long long t0 = now_ms();

	memset(&st, 0, sizeof(st));
	cur = &s;
	LT_CHECK(connect_client(cur, 1) != NULL);
	run_until_closed(6000, 0);
	LT_CHECK_EQ(st.conn_error, 1);
	LT_CHECK(!strcmp(st.error, "mqtt: no CONNACK in time"));
	LT_CHECK(now_ms() - t0 >= 1800 && now_ms() - t0 < 4000);
}

static void
test_keepalive(void)
{
	static const uint8_t none[1] = { 0 };
	static const struct scen ka = { "keepalive answered", 4, ca3, sizeof(ca3), none, 0,
					-1, NULL, 0, 0, 0, 1, 500, 1, 2600 };
	static const struct scen dead = { "PINGRESP missing", 5, ca5, sizeof(ca5), none, 0,
					  -1, NULL, 0, 0, 0, 1, 300, 0, 0 };
	long long t0;

	/* answered: PINGREQ about every second, the conn stays up */
	memset(&st, 0, sizeof(st));
	cur = &ka;
	LT_CHECK(connect_client(cur, 1) != NULL);
	run_until_closed(2600, 2600);
	LT_CHECK(st.pingreqs >= 2 && st.pingreqs <= 3);
	LT_CHECK_EQ(st.closed, 0);
	if (bconn)
		loom_close(bconn, LOOM_CLOSE_NOSTATUS);
	run_until_closed(3000, 0);
	LT_CHECK_EQ(st.closed, 1);

	/* not answered: closed about 300 ms after the PINGREQ at 1 s */
	memset(&st, 0, sizeof(st));
	cur = &dead;
	t0 = now_ms();
	LT_CHECK(connect_client(cur, 1) != NULL);
	run_until_closed(5000, 0);
	LT_CHECK_EQ(st.pingreqs, 1);
	LT_CHECK_EQ(st.closed, 1);
	LT_CHECK(now_ms() - t0 >= 1200 && now_ms() - t0 < 2500);
}

static void
test_resend(void)
{
	static const uint8_t none[1] = { 0 };
	static const struct scen s = { "resend", 5, ca5, sizeof(ca5), none, 0, -1, NULL,
				       0, 0, 0, 0, 0, 0, 0 };
	int i;

	session = loom_mqtt_session_create();
	LT_CHECK(session != NULL);
	memset(&st, 0, sizeof(st));
	cur = &s;
	resend_phase = 1;
	LT_CHECK(connect_client(cur, 1) != NULL);
	run_until_closed(5000, 0);
	LT_CHECK_EQ(st.pubs, 2);
	LT_CHECK_EQ(st.closed, 1);
	LT_CHECK_EQ(loom_mqtt_session_inflight(session), 2);
	LT_CHECK_EQ(st.pub_hdr[0] & 8, 0);	/* no DUP the first time */

	/* the same session, clean start 0: both again with DUP, same ids */
	{
		uint16_t p0 = st.pub_pid[0], p1 = st.pub_pid[1];

		memset(&st, 0, sizeof(st));
		resend_phase = 2;
		LT_CHECK(connect_client(cur, 0) != NULL);
		for (i = 0; i < 100 && (st.acks < 2); i++)
			loom_service(ctx, 20);
		LT_CHECK_EQ(st.pubs, 2);
		LT_CHECK(st.pub_hdr[0] & 8 && st.pub_hdr[1] & 8);
		LT_CHECK_EQ(st.pub_pid[0], p0);
		LT_CHECK_EQ(st.pub_pid[1], p1);
		LT_CHECK_EQ(st.acks, 2);
		LT_CHECK_EQ(st.pubrels, 1);	/* QoS 2 went on to PUBREL / PUBCOMP */
		LT_CHECK_EQ(loom_mqtt_session_inflight(session), 0);
	}
	if (bconn)
		loom_close(bconn, LOOM_CLOSE_NOSTATUS);
	run_until_closed(3000, 0);

	/* QoS 2 cut off between PUBREC and PUBCOMP: the next connection of the
	 * session sends PUBREL for the same id, not the PUBLISH again */
	memset(&st, 0, sizeof(st));
	resend_phase = 3;
	LT_CHECK(connect_client(cur, 0) != NULL);
	run_until_closed(5000, 0);
	LT_CHECK_EQ(st.pubs, 1);
	LT_CHECK_EQ(st.pubrels, 1);
	LT_CHECK_EQ(st.acks, 0);
	LT_CHECK_EQ(loom_mqtt_session_inflight(session), 1);
	{
		uint16_t pid = st.pub_pid[0];

		memset(&st, 0, sizeof(st));
		resend_phase = 4;
		LT_CHECK(connect_client(cur, 0) != NULL);
		for (i = 0; i < 100 && st.acks < 1; i++)
			loom_service(ctx, 20);
		LT_CHECK_EQ(st.pubs, 0);	/* no PUBLISH again */
		LT_CHECK_EQ(st.pubrels, 1);
		LT_CHECK_EQ(st.pubrel_pid, pid);
		LT_CHECK_EQ(st.acks, 1);	/* PUBCOMP ends it once */
		LT_CHECK_EQ(loom_mqtt_session_inflight(session), 0);
	}
	if (bconn)
		loom_close(bconn, LOOM_CLOSE_NOSTATUS);
	run_until_closed(3000, 0);
	resend_phase = 0;
	loom_mqtt_session_destroy(session);
	session = NULL;
}

/* inbound topic aliases: the second message arrives with the first one's topic */
static void
test_alias_in(void)
{
	static const struct scen s = { "alias in", 5, ca5, sizeof(ca5), alias_ok,
				       sizeof(alias_ok), -1, NULL, 0, 0, 4, 0, 0, 0, 0 };
	int i;

	memset(&st, 0, sizeof(st));
	cur = &s;
	alias_phase = 1;
	LT_CHECK(connect_client(cur, 1) != NULL);
	for (i = 0; i < 50 && st.rx < 2; i++)
		loom_service(ctx, 20);
	LT_CHECK_EQ(st.rx, 2);
	LT_CHECK_EQ(st.alias_ok, 2);
	alias_phase = 0;
	if (bconn)
		loom_close(bconn, LOOM_CLOSE_NOSTATUS);
	run_until_closed(3000, 0);
	LT_CHECK_EQ(last_disconnect(), -1);
}

static void
test_qos2_in(void)
{
	static const struct scen s = SC("qos2 in", 4, ca3, qos2_dup, -1);
	struct loom_conn *c;
	int i;

	memset(&st, 0, sizeof(st));
	cur = &s;
	qos2_phase = 1;
	c = connect_client(cur, 1);
	LT_CHECK(c != NULL);
	/* asked for while still connecting: it comes once CONNACK is in, not before */
	LT_CHECK_EQ(loom_callback_on_writable(c), 0);
	for (i = 0; i < 50 && !st.pubcomps; i++)
		loom_service(ctx, 20);
	LT_CHECK_EQ(st.rx, 1);		/* delivered once */
	LT_CHECK_EQ(st.pubcomps, 1);
	LT_CHECK_EQ(st.writeable, 1);
	LT_CHECK_EQ(st.writeable_early, 0);
	qos2_phase = 0;
	if (bconn)
		loom_close(bconn, LOOM_CLOSE_NOSTATUS);
	run_until_closed(3000, 0);
}

int
main(void)
{
	struct loom_context_info info;
	struct loom_vhost_info vi;

	memset(&info, 0, sizeof(info));
	info.timeout_secs = 2;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-mqtt-client");
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_RAW | LOOM_VHOST_OPT_IPV4_ONLY;
	vi.port = 0;
	vi.protocols = bprotos;
	bvh = loom_create_vhost(ctx, &vi);
	memset(&vi, 0, sizeof(vi));
	vi.name = "client";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = cprotos;
	cvh = loom_create_vhost(ctx, &vi);
	LT_CHECK(bvh && cvh);
	if (bvh && cvh) {
		test_hostile();
		test_refused();
		test_no_connack();
		test_keepalive();
		test_resend();
		test_qos2_in();
		test_alias_in();
	}
	loom_context_destroy(ctx);

	return lt_result("api-test-mqtt-client");
}
