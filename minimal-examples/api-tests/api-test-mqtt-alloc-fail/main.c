/*
 * api-test-mqtt-alloc-fail: an MQTT 5 session (CONNECT, inbound topic aliases and
 * QoS 2, outbound QoS 1 with aliases, SUBSCRIBE, keepalive armed) against a small
 * fake broker, run once per allocation with that allocation failing: every run
 * must end (no hang), crash nothing, and leave no block allocated once the context
 * is destroyed.
 */
#include <loom.h>
#include "loom-test.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long calls, fail_at, live, failed;

static void *
failing_realloc(void *ptr, size_t size, const char *reason)
{
	void *p;

	(void)reason;
	if (!size) {
		if (ptr) {
			live--;
			free(ptr);
		}
		return NULL;
	}
	if (++calls == fail_at) {
		failed++;
		return NULL;
	}
	p = realloc(ptr, size);
	if (p && !ptr)
		live++;

	return p;
}

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* CONNACK (topic alias maximum 2), an aliased pair, a QoS 2 message and its PUBREL */
static const uint8_t hello[] = {
	0x20, 0x06, 0x00, 0x00, 0x03, 0x22, 0x00, 0x02,
	0x30, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x03, 0x23, 0x00, 0x02,
	0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x02, 'y',
	0x34, 0x07, 0x00, 0x01, 'a', 0x00, 0x09, 0x00, 'x',
	0x62, 0x02, 0x00, 0x09,
};

struct bstate {
	uint8_t in[2048];
	size_t len;
};

static int done, acks, subacks, rxs, ended;

static void
bsend(struct loom_conn *c, const uint8_t *b, size_t len)
{
	uint8_t buf[LOOM_PRE + 256];

	memcpy(buf + LOOM_PRE, b, len);
	loom_write(c, buf + LOOM_PRE, len, LOOM_WRITE_RAW);
}

static int
broker_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct bstate *b = user;
	size_t pos = 0;

	if (reason != LOOM_CB_RAW_RX)
		return 0;
	if (len > sizeof(b->in) - b->len)
		return -1;
	memcpy(b->in + b->len, in, len);
	b->len += len;
	/* the client's packets here are all under 128 bytes: one length byte */
	while (pos + 2 <= b->len && pos + 2 + b->in[pos + 1] <= b->len) {
		const uint8_t *p = b->in + pos;
		uint8_t a[6];

		switch (p[0] >> 4) {
		case 1:
			bsend(conn, hello, sizeof(hello));
			break;
		case 3:		/* QoS 1 from the client: PUBACK; the id follows the topic */
			a[0] = 0x40;
			a[1] = 2;
			a[2] = p[4 + p[3]];
			a[3] = p[5 + p[3]];
			bsend(conn, a, 4);
			break;
		case 8:		/* SUBACK: id, no properties, QoS 0 granted */
			a[0] = 0x90;
			a[1] = 4;
			a[2] = p[2];
			a[3] = p[3];
			a[4] = 0;
			a[5] = 0;
			bsend(conn, a, 6);
			break;
		default:
			break;
		}
		pos += 2u + p[1];
	}
	memmove(b->in, b->in + pos, b->len - pos);
	b->len -= pos;

	return 0;
}

static int
client_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct loom_mqtt_publish_info pub;
	struct loom_mqtt_topic t;

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LOOM_CB_MQTT_CLIENT_ESTABLISHED:
		memset(&pub, 0, sizeof(pub));
		pub.topic = "out/topic";
		pub.payload = "12345";
		pub.payload_len = 5;
		pub.qos = 1;
		loom_mqtt_publish(conn, &pub);
		loom_mqtt_publish(conn, &pub);
		memset(&t, 0, sizeof(t));
		t.filter = "a/#";
		t.qos = 2;
		loom_mqtt_subscribe(conn, &t, 1);
		break;
	case LOOM_CB_MQTT_ACK:
		acks++;
		break;
	case LOOM_CB_MQTT_SUBSCRIBED:
		subacks++;
		break;
	case LOOM_CB_MQTT_CLIENT_RX:
		rxs++;
		break;
	case LOOM_CB_MQTT_CLIENT_CLOSED:
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		ended++;
		break;
	default:
		break;
	}
	if (acks == 2 && subacks == 1 && rxs == 3)
		done = 1;

	return 0;
}

static const struct loom_protocol bprotos[] = {
	{ "broker", broker_cb, sizeof(struct bstate), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static const struct loom_protocol cprotos[] = {
	{ "mqtt", client_cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* one whole run; 1 when it got everything */
static int
run(void)
{
	struct loom_client_connect_info ci;
	struct loom_mqtt_client_info mi;
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_mqtt_session *s;
	struct loom_vhost *bvh, *cvh;
	struct loom_context *ctx;
	long long end;

	done = acks = subacks = rxs = ended = 0;
	s = loom_mqtt_session_create();
	memset(&info, 0, sizeof(info));
	info.timeout_secs = 1;
	ctx = loom_create_context(&info);
	if (!ctx) {
		loom_mqtt_session_destroy(s);
		return 0;
	}
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_RAW | LOOM_VHOST_OPT_IPV4_ONLY;
	vi.protocols = bprotos;
	bvh = loom_create_vhost(ctx, &vi);
	memset(&vi, 0, sizeof(vi));
	vi.name = "c";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = cprotos;
	cvh = loom_create_vhost(ctx, &vi);
	if (bvh && cvh) {
		memset(&mi, 0, sizeof(mi));
		mi.client_id = "af";
		mi.protocol_version = LOOM_MQTT_V5;
		mi.clean_start = 1;
		mi.keep_alive = 60;
		mi.topic_alias_maximum = 4;
		mi.use_topic_alias = 1;
		mi.session = s;
		memset(&ci, 0, sizeof(ci));
		ci.context = ctx;
		ci.vhost = cvh;
		ci.address = "127.0.0.1";
		ci.port = loom_vhost_port(bvh);
		ci.mqtt = &mi;
		if (loom_client_connect(&ci)) {
			end = now_ms() + 1500;
			while (!done && !ended && now_ms() < end)
				loom_service(ctx, 20);
		}
	}
	loom_context_destroy(ctx);
	loom_mqtt_session_destroy(s);

	return done;
}

int
main(void)
{
	unsigned long n, total, leaks = 0, completed = 0;

	/* a clean run first: it must get everything; count its allocations */
	loom_set_allocator(failing_realloc);
	LT_CHECK(run());
	LT_CHECK_EQ(live, 0);
	total = calls;
	for (n = 1; n <= total + 5; n++) {
		calls = 0;
		fail_at = n;
		completed += (unsigned long)run();
		if (live) {
			fprintf(stderr, "failing allocation %lu: %lu blocks left\n", n, live);
			leaks++;
			live = 0;
		}
	}
	fail_at = 0;
	printf("%lu allocations, each failed once: %lu runs still completed, "
	       "%lu leaked\n", total, completed, leaks);
	LT_CHECK_EQ(leaks, 0);
	LT_CHECK(failed >= total);
	loom_set_allocator(NULL);

	return lt_result("api-test-mqtt-alloc-fail");
}
