/*
 * api-test-mqtt-codec: the MQTT packet codec on its own: encoder output against
 * known bytes, encode-then-decode round trips, a stream of packets split at every
 * byte, every malformed case with the reason code the role answers it with, and the
 * topic helpers.
 */
#include "roles/mqtt/private-mqtt.h"
#include "loom-test.h"

#include <string.h>

static uint8_t body[70000];

/* frame and decode exactly one packet from \p p; returns decode's result, or the
 * framer's negative result */
static int
one(uint8_t version, const uint8_t *p, size_t len, struct loom_mqtt_pkt *k)
{
	struct loom_mqtt_framer f;
	size_t used;
	int r;

	memset(&f, 0, sizeof(f));
	f.body = body;
	f.cap = sizeof(body);
	loom__mqtt_framer_init(&f, sizeof(body) + 8);
	r = loom__mqtt_frame(&f, p, len, &used);
	if (r < 0)
		return r;
	if (r != MQTT_FR_PACKET || used != len)
		return 1000;
	return loom__mqtt_decode(version, f.hdr, f.body, f.rl, k);
}

static void
test_golden(void)
{
	struct loom_mqtt_client_info ci;
	struct loom_mqtt_topic t[2];
	uint8_t b[256];
	size_t n;
	static const uint8_t connect311[] = {
		0x10, 0x1f, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xee, 0x00, 0x3c,
		0x00, 0x02, 'i', 'd', 0x00, 0x01, 'w', 0x00, 0x02, 'b', 'y',
		0x00, 0x03, 'u', 's', 'r', 0x00, 0x03, 'p', 'w', 'd'
	};
	static const uint8_t sub311[] = {
		0x82, 0x0c, 0x00, 0x07, 0x00, 0x03, 'a', '/', '#', 0x02,
		0x00, 0x01, 'b', 0x00
	};
	static const uint8_t sub5[] = {
		0x82, 0x0d, 0x00, 0x07, 0x00, 0x00, 0x03, 'a', '/', '#', 0x2e,
		0x00, 0x01, 'b', 0x00
	};

	memset(&ci, 0, sizeof(ci));
	ci.client_id = "id";
	ci.keep_alive = 60;
	ci.clean_start = 1;
	ci.will_topic = "w";
	ci.will_payload = "by";
	ci.will_payload_len = 2;
	ci.will_qos = 1;
	ci.will_retain = 1;
	ci.username = "usr";
	ci.password = "pwd";
	n = loom__mqtt_enc_connect(b, sizeof(b), &ci);
	LT_CHECK_EQ(n, sizeof(connect311));
	LT_CHECK(n == loom__mqtt_enc_connect(NULL, 0, &ci));
	LT_CHECK(!memcmp(b, connect311, sizeof(connect311)));
	/* too small a buffer fails cleanly */
	LT_CHECK_EQ(loom__mqtt_enc_connect(b, 10, &ci), 0);
	/* 3.1.1 forbids a password without a user name; will QoS 3 is invalid */
	ci.username = NULL;
	LT_CHECK_EQ(loom__mqtt_enc_connect(b, sizeof(b), &ci), 0);
	ci.username = "usr";
	ci.will_qos = 3;
	LT_CHECK_EQ(loom__mqtt_enc_connect(b, sizeof(b), &ci), 0);
	ci.will_qos = 1;
	ci.will_topic = "w/#";
	LT_CHECK_EQ(loom__mqtt_enc_connect(b, sizeof(b), &ci), 0);

	/* v5 CONNECT: the property block is there */
	memset(&ci, 0, sizeof(ci));
	ci.protocol_version = LOOM_MQTT_V5;
	ci.session_expiry_interval = 300;
	ci.receive_maximum = 10;
	n = loom__mqtt_enc_connect(b, sizeof(b), &ci);
	LT_CHECK_EQ(n, 2 + 10 + 1 + 8 + 2);
	LT_CHECK_EQ(b[8], 5);
	LT_CHECK_EQ(b[12], 8);		/* properties length */
	LT_CHECK_EQ(b[13], MQTT_P_SESSION_EXPIRY);
	LT_CHECK_EQ(b[18], MQTT_P_RECEIVE_MAX);

	memset(t, 0, sizeof(t));
	t[0].filter = "a/#";
	t[0].qos = 2;
	t[1].filter = "b";
	n = loom__mqtt_enc_subscribe(b, sizeof(b), LOOM_MQTT_V311, 0, 7, t, 2);
	LT_CHECK_EQ(n, sizeof(sub311));
	LT_CHECK(!memcmp(b, sub311, sizeof(sub311)));
	t[0].no_local = 1;
	t[0].retain_as_published = 1;
	t[0].retain_handling = 2;
	n = loom__mqtt_enc_subscribe(b, sizeof(b), LOOM_MQTT_V5, 0, 7, t, 2);
	LT_CHECK_EQ(n, sizeof(sub5));
	LT_CHECK(!memcmp(b, sub5, sizeof(sub5)));
	t[1].filter = "b/#/c";
	LT_CHECK_EQ(loom__mqtt_enc_subscribe(b, sizeof(b), LOOM_MQTT_V5, 0, 7, t, 2), 0);
	/* unsubscribe: flags 2, no options byte */
	t[1].filter = "b";
	n = loom__mqtt_enc_subscribe(b, sizeof(b), LOOM_MQTT_V311, 1, 9, t, 2);
	LT_CHECK_EQ(n, 2 + 2 + 5 + 3);
	LT_CHECK_EQ(b[0], 0xa2);

	n = loom__mqtt_enc_simple(b, sizeof(b), LOOM_MQTT_V311, MQTT_PINGREQ, 0);
	LT_CHECK(n == 2 && b[0] == 0xc0 && b[1] == 0);
	n = loom__mqtt_enc_simple(b, sizeof(b), LOOM_MQTT_V311, MQTT_DISCONNECT, 0x81);
	LT_CHECK(n == 2 && b[0] == 0xe0 && b[1] == 0);
	n = loom__mqtt_enc_simple(b, sizeof(b), LOOM_MQTT_V5, MQTT_DISCONNECT, 0x81);
	LT_CHECK(n == 3 && b[0] == 0xe0 && b[1] == 1 && b[2] == 0x81);
	n = loom__mqtt_enc_ack(b, sizeof(b), LOOM_MQTT_V311, MQTT_PUBREL, 0x1234, 0);
	LT_CHECK(n == 4 && b[0] == 0x62 && b[1] == 2 && b[2] == 0x12 && b[3] == 0x34);
	n = loom__mqtt_enc_ack(b, sizeof(b), LOOM_MQTT_V5, MQTT_PUBCOMP, 1, 0x92);
	LT_CHECK(n == 5 && b[0] == 0x70 && b[1] == 3 && b[4] == 0x92);
}

static void
test_round_trips(void)
{
	static const struct loom_mqtt_user_property up[] = { { "k", "v" }, { "n2", "" } };
	static uint8_t big[20000];
	struct loom_mqtt_publish_info pub;
	struct loom_mqtt_message msg;
	struct loom_mqtt_pkt k;
	static uint8_t b[30000];
	const char *nm, *vl;
	size_t n, nl, vlen, cur;
	uint8_t v, q, t;

	for (n = 0; n < sizeof(big); n++)
		big[n] = (uint8_t)n;
	for (v = 4; v <= 5; v++)
		for (q = 0; q <= 2; q++) {
			memset(&pub, 0, sizeof(pub));
			pub.topic = "a/b/c";
			pub.payload = big;
			pub.payload_len = q == 1 ? sizeof(big) : 5;
			pub.qos = q;
			pub.retain = q == 2;
			pub.user_properties = up;
			pub.count_user_properties = 2;
			pub.message_expiry_interval = q == 2 ? 60 : 0;
			n = loom__mqtt_enc_publish(b, sizeof(b), v, &pub, pub.topic,
						   v == 5 && q ? 3 : 0, q ? 77 : 0, q == 1);
			LT_CHECK(n > 0);
			LT_CHECK_EQ(one(v, b, n, &k), 0);
			LT_CHECK_EQ(k.type, MQTT_PUBLISH);
			LT_CHECK_EQ(k.qos, q);
			LT_CHECK_EQ(k.retain, q == 2);
			LT_CHECK_EQ(k.dup, q == 1);
			LT_CHECK_EQ(k.packet_id, q ? 77 : 0);
			LT_CHECK(k.topic_len == 5 && !memcmp(k.topic, "a/b/c", 5));
			LT_CHECK(k.payload_len == pub.payload_len &&
				 !memcmp(k.payload, big, pub.payload_len));
			if (v == 5) {
				LT_CHECK_EQ(k.props.topic_alias, q ? 3 : 0);
				LT_CHECK_EQ(k.props.message_expiry, q == 2 ? 60 : 0);
				memset(&msg, 0, sizeof(msg));
				msg.props = k.props.raw;
				msg.props_len = k.props.raw_len;
				cur = 0;
				LT_CHECK(loom_mqtt_user_property_next(&msg, &cur, &nm, &nl, &vl,
								      &vlen));
				LT_CHECK(nl == 1 && *nm == 'k' && vlen == 1 && *vl == 'v');
				LT_CHECK(loom_mqtt_user_property_next(&msg, &cur, &nm, &nl, &vl,
								      &vlen));
				LT_CHECK(nl == 2 && vlen == 0);
				LT_CHECK(!loom_mqtt_user_property_next(&msg, &cur, &nm, &nl, &vl,
								       &vlen));
			}
		}
	/* an aliased PUBLISH with an empty topic (v5) */
	memset(&pub, 0, sizeof(pub));
	pub.topic = "x";
	n = loom__mqtt_enc_publish(b, sizeof(b), 5, &pub, "", 2, 0, 0);
	LT_CHECK_EQ(one(5, b, n, &k), 0);
	LT_CHECK(k.topic_len == 0 && k.props.topic_alias == 2);
	/* ... is malformed in 3.1.1, and a protocol error without an alias in 5 */
	n = loom__mqtt_enc_publish(b, sizeof(b), 4, &pub, "", 0, 0, 0);
	LT_CHECK_EQ(one(4, b, n, &k), -MQTT_RC_MALFORMED);
	n = loom__mqtt_enc_publish(b, sizeof(b), 5, &pub, "", 0, 0, 0);
	LT_CHECK_EQ(one(5, b, n, &k), -MQTT_RC_PROTOCOL_ERROR);

	/* acks both versions, with and without reason */
	for (v = 4; v <= 5; v++)
		for (t = MQTT_PUBACK; t <= MQTT_PUBCOMP; t++) {
			uint8_t rc = v == 5 ? (t == MQTT_PUBREL || t == MQTT_PUBCOMP ? 0x92 :
					      0x10) : 0;

			n = loom__mqtt_enc_ack(b, sizeof(b), v, t, 513, rc);
			LT_CHECK_EQ(one(v, b, n, &k), 0);
			LT_CHECK(k.type == t && k.packet_id == 513 && k.reason == rc);
		}
}

/* what a broker sends, concatenated */
static const uint8_t stream5[] = {
	0x20, 0x09, 0x00, 0x00, 0x06, 0x21, 0x00, 0x0a, 0x22, 0x00, 0x05,	/* CONNACK */
	0x90, 0x05, 0x00, 0x01, 0x00, 0x01, 0x80,				/* SUBACK */
	0x32, 0x0a, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x05, 0x00, 'h', 'i',	/* PUBLISH */
	0x40, 0x02, 0x00, 0x07,							/* PUBACK */
	0x50, 0x04, 0x00, 0x08, 0x10, 0x00,					/* PUBREC */
	0x62, 0x02, 0x00, 0x05,							/* PUBREL */
	0x70, 0x02, 0x00, 0x08,							/* PUBCOMP */
	0xb0, 0x04, 0x00, 0x02, 0x00, 0x11,					/* UNSUBACK */
	0xd0, 0x00,								/* PINGRESP */
	0x30, 0x05, 0x00, 0x01, 'z', 0x00, '!',					/* PUBLISH */
	0xe0, 0x01, 0x8b,							/* DISCONNECT */
};
static const uint8_t types5[] = { 2, 9, 3, 4, 5, 6, 7, 11, 13, 3, 14 };

/* feed \p s in pieces cut at \p cuts (sorted); count packets that decode */
static int
feed(const uint8_t *s, size_t len, const size_t *cuts, int ncuts, const uint8_t *types,
     int ntypes)
{
	struct loom_mqtt_framer f;
	struct loom_mqtt_pkt k;
	static uint8_t small[4];
	uint8_t *grown = NULL;
	size_t pos = 0, used, end;
	int c, got = 0, r;

	memset(&f, 0, sizeof(f));
	f.body = small;
	f.cap = sizeof(small);		/* grows on NEED_BUF, as the role does */
	loom__mqtt_framer_init(&f, 1024);
	for (c = 0; c <= ncuts; c++) {
		end = c < ncuts ? cuts[c] : len;
		while (pos < end) {
			r = loom__mqtt_frame(&f, s + pos, end - pos, &used);
			pos += used;
			if (r < 0)
				goto out;
			if (r == MQTT_FR_NEED_BUF) {
				grown = loom_realloc(grown, f.rl, "t");
				f.body = grown;
				f.cap = f.rl;
				continue;
			}
			if (r == MQTT_FR_PACKET) {
				if (loom__mqtt_decode(5, f.hdr, f.body, f.rl, &k) ||
				    got >= ntypes || k.type != types[got])
					goto out;
				got++;
			}
		}
	}
out:
	loom_free(grown);

	return got;
}

static void
test_splits(void)
{
	size_t cuts[2], i, j, n = sizeof(stream5);
	int ntypes = (int)sizeof(types5), bad = 0;

	LT_CHECK_EQ(feed(stream5, n, NULL, 0, types5, ntypes), ntypes);
	for (i = 1; i < n; i++) {
		cuts[0] = i;
		if (feed(stream5, n, cuts, 1, types5, ntypes) != ntypes)
			bad++;
		for (j = i + 1; j < n; j++) {
			cuts[1] = j;
			if (feed(stream5, n, cuts, 2, types5, ntypes) != ntypes)
				bad++;
		}
	}
	LT_CHECK_EQ(bad, 0);
	/* one byte at a time */
	{
		size_t all[sizeof(stream5)];

		for (i = 0; i < n - 1; i++)
			all[i] = i + 1;
		LT_CHECK_EQ(feed(stream5, n, all, (int)n - 1, types5, ntypes), ntypes);
	}
}

struct bad_case {
	const char *what;
	uint8_t version;
	uint8_t len;
	uint8_t b[24];
	int want;
};

static const struct bad_case bad[] = {
	{ "length over 4 bytes", 4, 6, { 0x30, 0xff, 0xff, 0xff, 0xff, 0x01 },
	  -MQTT_RC_MALFORMED },
	{ "length not shortest", 4, 4, { 0xd0, 0x80, 0x00 }, -MQTT_RC_MALFORMED },
	{ "type 0", 4, 2, { 0x00, 0x00 }, -MQTT_RC_MALFORMED },
	{ "too large", 4, 4, { 0x30, 0xff, 0xff, 0x7f }, -MQTT_RC_PACKET_TOO_LARGE },
	{ "bad UTF-8 topic", 4, 7, { 0x30, 0x05, 0x00, 0x02, 0xc3, 0x28, 'x' },
	  -MQTT_RC_MALFORMED },
	{ "NUL in topic", 4, 6, { 0x30, 0x04, 0x00, 0x02, 'a', 0x00 }, -MQTT_RC_MALFORMED },
	{ "surrogate in topic", 4, 7, { 0x30, 0x05, 0x00, 0x03, 0xed, 0xa0, 0x80 },
	  -MQTT_RC_MALFORMED },
	{ "overlong UTF-8", 4, 6, { 0x30, 0x04, 0x00, 0x02, 0xc0, 0xaf },
	  -MQTT_RC_MALFORMED },
	{ "'+' in PUBLISH topic", 4, 7, { 0x30, 0x05, 0x00, 0x03, 'a', '/', '+' },
	  -MQTT_RC_MALFORMED },
	{ "'#' in PUBLISH topic", 5, 6, { 0x30, 0x04, 0x00, 0x01, '#', 0x00 },
	  -MQTT_RC_MALFORMED },
	{ "QoS 3", 4, 5, { 0x36, 0x03, 0x00, 0x01, 'a' }, -MQTT_RC_MALFORMED },
	{ "DUP on QoS 0", 4, 5, { 0x38, 0x03, 0x00, 0x01, 'a' }, -MQTT_RC_MALFORMED },
	{ "packet id 0", 4, 7, { 0x32, 0x05, 0x00, 0x01, 'a', 0x00, 0x00 },
	  -MQTT_RC_MALFORMED },
	{ "PUBACK flags", 4, 4, { 0x41, 0x02, 0x00, 0x01 }, -MQTT_RC_MALFORMED },
	{ "PUBREL flags 0", 4, 4, { 0x60, 0x02, 0x00, 0x01 }, -MQTT_RC_MALFORMED },
	{ "PINGRESP flags", 4, 2, { 0xd4, 0x00 }, -MQTT_RC_MALFORMED },
	{ "SUBACK flags", 4, 5, { 0x92, 0x03, 0x00, 0x01, 0x00 }, -MQTT_RC_MALFORMED },
	{ "PUBACK short", 4, 3, { 0x40, 0x01, 0x00 }, -MQTT_RC_MALFORMED },
	{ "PUBACK long 3.1.1", 4, 5, { 0x40, 0x03, 0x00, 0x01, 0x00 }, -MQTT_RC_MALFORMED },
	{ "PINGRESP with body", 4, 3, { 0xd0, 0x01, 0x00 }, -MQTT_RC_MALFORMED },
	{ "CONNACK reserved bits", 4, 4, { 0x20, 0x02, 0x02, 0x00 }, -MQTT_RC_MALFORMED },
	{ "CONNACK session present with error", 4, 4, { 0x20, 0x02, 0x01, 0x05 },
	  -MQTT_RC_MALFORMED },
	{ "CONNACK 3.1.1 code 6", 4, 4, { 0x20, 0x02, 0x00, 0x06 }, -MQTT_RC_MALFORMED },
	{ "SUBACK bad code", 4, 5, { 0x90, 0x03, 0x00, 0x01, 0x03 },
	  -MQTT_RC_PROTOCOL_ERROR },
	{ "SUBACK no codes", 4, 4, { 0x90, 0x02, 0x00, 0x01 }, -MQTT_RC_PROTOCOL_ERROR },
	{ "PINGREQ from server", 4, 2, { 0xc0, 0x00 }, -MQTT_RC_PROTOCOL_ERROR },
	{ "SUBSCRIBE from server", 4, 2, { 0x82, 0x00 }, -MQTT_RC_PROTOCOL_ERROR },
	{ "DISCONNECT in 3.1.1", 4, 2, { 0xe0, 0x00 }, -MQTT_RC_PROTOCOL_ERROR },
	{ "AUTH in 3.1.1", 4, 2, { 0xf0, 0x00 }, -MQTT_RC_MALFORMED },
	{ "v5 CONNACK without properties", 5, 4, { 0x20, 0x02, 0x00, 0x00 },
	  -MQTT_RC_MALFORMED },
	{ "v5 unknown property", 5, 7, { 0x20, 0x05, 0x00, 0x00, 0x02, 0x7f, 0x00 },
	  -MQTT_RC_MALFORMED },
	{ "v5 property not for CONNACK", 5, 7, { 0x20, 0x05, 0x00, 0x00, 0x02, 0x23, 0x00 },
	  -MQTT_RC_PROTOCOL_ERROR },
	{ "v5 duplicate property", 5, 11, { 0x20, 0x09, 0x00, 0x00, 0x06, 0x24, 0x01,
	  0x24, 0x01, 0x25, 0x01 }, -MQTT_RC_PROTOCOL_ERROR },
	{ "v5 receive maximum 0", 5, 8, { 0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x00 },
	  -MQTT_RC_PROTOCOL_ERROR },
	{ "v5 property length past the end", 5, 6, { 0x20, 0x04, 0x00, 0x00, 0x09, 0x24 },
	  -MQTT_RC_MALFORMED },
	{ "v5 topic alias 0", 5, 10, { 0x30, 0x08, 0x00, 0x01, 'a', 0x03, 0x23, 0x00,
	  0x00, 'x' }, -MQTT_RC_PROTOCOL_ERROR },
	{ "v5 payload not UTF-8 as announced", 5, 9, { 0x30, 0x07, 0x00, 0x01, 'a', 0x02,
	  0x01, 0x01, 0xff }, -MQTT_RC_PAYLOAD_FORMAT },
	{ "v5 PUBACK bad reason", 5, 5, { 0x40, 0x03, 0x00, 0x01, 0x05 },
	  -MQTT_RC_PROTOCOL_ERROR },
	{ "v5 bytes after properties", 5, 7, { 0x40, 0x05, 0x00, 0x01, 0x10, 0x00, 0x00 },
	  -MQTT_RC_MALFORMED },
};

static void
test_malformed(void)
{
	struct loom_mqtt_framer f;
	struct loom_mqtt_pkt k;
	size_t i, used;
	int r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&f, 0, sizeof(f));
		f.body = body;
		f.cap = sizeof(body);
		loom__mqtt_framer_init(&f, 1024);
		r = loom__mqtt_frame(&f, bad[i].b, bad[i].len, &used);
		if (r == MQTT_FR_PACKET)
			r = loom__mqtt_decode(bad[i].version, f.hdr, f.body, f.rl, &k);
		if (r != bad[i].want)
			fprintf(stderr, "case '%s': got %d, want %d\n", bad[i].what, r,
				bad[i].want);
		LT_CHECK_EQ(r, bad[i].want);
	}
}

static void
test_topics(void)
{
	static const struct { const char *f, *t; int m; } tm[] = {
		{ "a/b", "a/b", 1 }, { "a/b", "a/c", 0 }, { "a/+", "a/b", 1 },
		{ "a/+", "a/b/c", 0 }, { "a/#", "a", 1 }, { "a/#", "a/b/c", 1 },
		{ "#", "a/b", 1 }, { "+/+", "/x", 1 }, { "+", "a/b", 0 },
		{ "a/+/c", "a//c", 1 }, { "+", "", 1 }, { "#", "$SYS/x", 0 },
		{ "+/x", "$SYS/x", 0 }, { "$SYS/#", "$SYS/x", 1 }, { "a/b", "a/bc", 0 },
		{ "a/bc", "a/b", 0 }, { "a/b/", "a/b", 0 }, { "a/+", "a/", 1 },
		{ "a#", "a", 0 }, { "a/b+", "a/b", 0 }, { "sport/#", "sport", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(tm) / sizeof(tm[0]); i++) {
		int m = loom_mqtt_topic_match(tm[i].f, tm[i].t, strlen(tm[i].t));

		if (m != tm[i].m)
			fprintf(stderr, "match('%s', '%s') = %d\n", tm[i].f, tm[i].t, m);
		LT_CHECK_EQ(m, tm[i].m);
	}
	LT_CHECK(loom_mqtt_topic_filter_valid("a/+/#"));
	LT_CHECK(!loom_mqtt_topic_filter_valid(""));
	LT_CHECK(!loom_mqtt_topic_filter_valid("a/#/b"));
	LT_CHECK(!loom_mqtt_topic_filter_valid("a+"));
	LT_CHECK(!loom_mqtt_topic_filter_valid("\xff"));
	LT_CHECK(!strcmp(loom_mqtt_reason_text(0x87), "not authorized"));
	LT_CHECK(!strcmp(loom_mqtt_reason_text(0x95), "packet too large"));
	LT_CHECK(!strcmp(loom_mqtt_reason_text(0x07), "unknown reason code"));
}

int
main(void)
{
	test_golden();
	test_round_trips();
	test_splits();
	test_malformed();
	test_topics();

	return lt_result("api-test-mqtt-codec");
}
