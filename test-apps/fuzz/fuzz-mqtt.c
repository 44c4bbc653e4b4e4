/*
 * fuzz-mqtt.c: the MQTT packet codec (lib/roles/mqtt/codec.c) as a client meets
 * it: a byte stream from a server, framed and decoded whole and again in random
 * pieces (the results must agree), every PUBLISH and ack that decodes re-encoded
 * and decoded again to the same fields, and a decoded topic matching itself.
 *
 * Input: [mode] stream...   mode & 1: MQTT 5 (else 3.1.1); mode >> 1 seeds the
 * split points.
 */
#include "roles/mqtt/private-mqtt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(x) do { if (!(x)) abort(); } while (0)
#define MAX_PKT 4096

static uint8_t enc[MAX_PKT + 64], body2[MAX_PKT];

static void
reencode(uint8_t v, const struct loom_mqtt_pkt *k)
{
	struct loom_mqtt_publish_info pub;
	struct loom_mqtt_framer f;
	struct loom_mqtt_pkt k2;
	char topic[MAX_PKT + 1];
	size_t n, used;

	if (k->type == MQTT_PUBLISH && k->topic_len) {
		memcpy(topic, k->topic, k->topic_len);
		topic[k->topic_len] = '\0';
		check(loom_mqtt_topic_match(topic, topic, k->topic_len));
		check(loom_mqtt_topic_match("#", topic, k->topic_len) == (topic[0] != '$'));
		memset(&pub, 0, sizeof(pub));
		pub.topic = topic;
		pub.payload = k->payload;
		pub.payload_len = k->payload_len;
		pub.qos = k->qos;
		pub.retain = k->retain;
		n = loom__mqtt_enc_publish(enc, sizeof(enc), v, &pub, topic, 0, k->packet_id,
					   k->dup);
	} else if (k->type >= MQTT_PUBACK && k->type <= MQTT_PUBCOMP)
		n = loom__mqtt_enc_ack(enc, sizeof(enc), v, k->type, k->packet_id, k->reason);
	else
		return;
	check(n);
	memset(&f, 0, sizeof(f));
	f.body = body2;
	f.cap = sizeof(body2);
	loom__mqtt_framer_init(&f, sizeof(enc));
	check(loom__mqtt_frame(&f, enc, n, &used) == MQTT_FR_PACKET && used == n);
	check(!loom__mqtt_decode(v, f.hdr, f.body, f.rl, &k2));
	check(k2.type == k->type && k2.packet_id == k->packet_id && k2.qos == k->qos &&
	      k2.retain == k->retain && k2.dup == k->dup && k2.reason == k->reason);
	if (k->type == MQTT_PUBLISH)
		check(k2.topic_len == k->topic_len &&
		      !memcmp(k2.topic, k->topic, k->topic_len) &&
		      k2.payload_len == k->payload_len &&
		      (!k->payload_len || !memcmp(k2.payload, k->payload, k->payload_len)));
}

/* frame and decode the stream in pieces; returns a hash of what happened */
static uint64_t
run(uint8_t v, const uint8_t *s, size_t len, uint32_t seed, int deep)
{
	static uint8_t body[MAX_PKT];
	struct loom_mqtt_framer f;
	struct loom_mqtt_pkt k;
	uint64_t h = 1469598103934665603ull;
	size_t pos = 0, used, piece;
	int r;

	memset(&f, 0, sizeof(f));
	f.body = body;
	f.cap = 16;		/* NEED_BUF happens: then the whole buffer */
	loom__mqtt_framer_init(&f, MAX_PKT);
	while (pos < len) {
		piece = len - pos;
		if (seed) {
			seed = seed * 1103515245u + 12345u;
			piece = 1 + (seed >> 16) % 7;
			if (piece > len - pos)
				piece = len - pos;
		}
		r = loom__mqtt_frame(&f, s + pos, piece, &used);
		check(used <= piece);
		pos += used;
		if (r < 0) {
			h = (h ^ (uint64_t)(r + 1000)) * 1099511628211ull;
			break;
		}
		if (r == MQTT_FR_NEED_BUF) {
			check(f.rl <= MAX_PKT);
			f.cap = MAX_PKT;
			continue;
		}
		if (r == MQTT_FR_PACKET) {
			r = loom__mqtt_decode(v, f.hdr, f.body, f.rl, &k);
			h = (h ^ (uint64_t)(r + 1000) ^ ((uint64_t)f.hdr << 16) ^
			     ((uint64_t)f.rl << 24)) * 1099511628211ull;
			if (r)
				break;	/* the role closes here */
			if (deep)
				reencode(v, &k);
		} else
			check(used == piece);
	}

	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t v;

	if (size < 1)
		return 0;
	v = (data[0] & 1) ? LOOM_MQTT_V5 : LOOM_MQTT_V311;
	check(run(v, data + 1, size - 1, 0, 1) ==
	      run(v, data + 1, size - 1, (uint32_t)(data[0] >> 1) | 1u, 0));

	return 0;
}
