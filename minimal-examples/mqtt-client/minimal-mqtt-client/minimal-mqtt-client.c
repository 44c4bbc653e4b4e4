/*
 * minimal-mqtt-client: connect to an MQTT broker, subscribe to a topic of our own,
 * publish one message at each QoS (0, 1 and 2) to it and check each comes back
 * whole. Written to CC0 / public domain: copy it freely.
 *
 *   minimal-mqtt-client mqtt://HOST:PORT [-v 4|5] [-u USER] [-P PASS]
 *                       [--ca FILE] [-k] [--timeout SECS] [-d LOGMASK]
 *
 * mqtts:// connects over TLS (a TLS build); ws://HOST:PORT/PATH speaks MQTT over a
 * WebSocket (subprotocol "mqtt") to PATH (usually /mqtt), wss:// over TLS. Exits 0 only when all three messages
 * came back and both QoS 1 and 2 publishes were acknowledged, then disconnects
 * cleanly; 1 on a refusal or failure, 2 on a timeout (default 10 s).
 */
#include <loom.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct loom_context *context;
static char topic_base[64], filter[80];
static int result = 1, got[3], acked, done;

static void
check_done(struct loom_conn *conn)
{
	if (got[0] && got[1] && got[2] && acked == 2 && !done) {
		done = 1;
		result = 0;
		printf("all three QoS levels came back\n");
		loom_mqtt_disconnect(conn, 0);
	}
}

static int
publish_all(struct loom_conn *conn)
{
	struct loom_mqtt_publish_info pub;
	char topic[80], payload[40];
	int q, r;

	for (q = 0; q < 3; q++) {
		snprintf(topic, sizeof(topic), "%s/q%d", topic_base, q);
		snprintf(payload, sizeof(payload), "hello at qos %d", q);
		memset(&pub, 0, sizeof(pub));
		pub.topic = topic;
		pub.payload = payload;
		pub.payload_len = strlen(payload);
		pub.qos = (uint8_t)q;
		r = loom_mqtt_publish(conn, &pub);
		if (r < 0) {
			fprintf(stderr, "publish qos %d: %s\n", q, loom_strerror(r));
			return -1;
		}
	}

	return 0;
}

static int
callback_mqtt(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	      void *in, size_t len)
{
	const struct loom_mqtt_message *m = in;
	const struct loom_mqtt_ack *a = in;
	struct loom_mqtt_topic t;
	char want[40];
	int q;

	(void)user;
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "failed: %s\n", in ? (const char *)in : "?");
		loom_stop(context);
		break;
	case LOOM_CB_MQTT_CLIENT_ESTABLISHED:
		printf("connected (session present %d)\n", (int)len);
		memset(&t, 0, sizeof(t));
		t.filter = filter;
		t.qos = 2;
		if (loom_mqtt_subscribe(conn, &t, 1) < 0)
			return -1;
		break;
	case LOOM_CB_MQTT_SUBSCRIBED:
		if (a->count != 1 || a->reasons[0] > 2) {
			fprintf(stderr, "subscribe refused: %s\n",
				loom_mqtt_reason_text(a->reasons[0]));
			return -1;
		}
		return publish_all(conn);
	case LOOM_CB_MQTT_CLIENT_RX:
		if (m->topic_len < 2 || m->topic[m->topic_len - 2] != 'q')
			break;
		q = m->topic[m->topic_len - 1] - '0';
		if (q < 0 || q > 2)
			break;
		snprintf(want, sizeof(want), "hello at qos %d", q);
		if (m->payload_len != strlen(want) || memcmp(m->payload, want, m->payload_len) ||
		    m->qos != q) {
			fprintf(stderr, "qos %d: wrong message\n", q);
			return -1;
		}
		printf("received %.*s: %.*s\n", (int)m->topic_len, m->topic,
		       (int)m->payload_len, (const char *)m->payload);
		got[q]++;
		check_done(conn);
		break;
	case LOOM_CB_MQTT_ACK:
		if (a->reasons[0] >= 0x80) {
			fprintf(stderr, "publish %u refused: %s\n", a->packet_id,
				loom_mqtt_reason_text(a->reasons[0]));
			return -1;
		}
		acked++;
		check_done(conn);
		break;
	case LOOM_CB_MQTT_CLIENT_CLOSED:
		loom_stop(context);
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "mqtt-client", callback_mqtt, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
timeout_cb(struct loom_sul *sul)
{
	(void)sul;
	fprintf(stderr, "timed out\n");
	result = 2;
	loom_stop(context);
}

int
main(int argc, char **argv)
{
	struct loom_client_connect_info ci;
	struct loom_mqtt_client_info mi;
	struct loom_tls_client_info tls;
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_sul to;
	struct loom_url u;
	char client_id[32];
	int n, timeout = 10;

	memset(&tls, 0, sizeof(tls));
	memset(&mi, 0, sizeof(mi));
	if (argc < 2 || loom_parse_url(argv[1], &u) ||
	    (strcmp(u.scheme, "mqtt") && strcmp(u.scheme, "mqtts") &&
	     strcmp(u.scheme, "ws") && strcmp(u.scheme, "wss"))) {
		fprintf(stderr, "usage: %s mqtt[s]://HOST:PORT | ws[s]://HOST:PORT/PATH "
			"[-v 4|5] [-u USER] [-P PASS] "
			"[--ca FILE] [-k] [--timeout S] [-d MASK]\n", argv[0]);
		return 1;
	}
	for (n = 2; n < argc; n++) {
		if (!strcmp(argv[n], "-v") && n + 1 < argc)
			mi.protocol_version = (uint8_t)atoi(argv[++n]);
		else if (!strcmp(argv[n], "-u") && n + 1 < argc)
			mi.username = argv[++n];
		else if (!strcmp(argv[n], "-P") && n + 1 < argc)
			mi.password = argv[++n];
		else if (!strcmp(argv[n], "--ca") && n + 1 < argc)
			tls.ca_path = argv[++n];
		else if (!strcmp(argv[n], "-k"))
			tls.options |= LOOM_TLS_CLI_OPT_INSECURE_NO_VERIFY;
		else if (!strcmp(argv[n], "--timeout") && n + 1 < argc)
			timeout = atoi(argv[++n]);
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			loom_set_log_level(atoi(argv[++n]), NULL);
	}
	snprintf(client_id, sizeof(client_id), "loom-minimal-%d", (int)getpid());
	snprintf(topic_base, sizeof(topic_base), "loom/minimal/%d", (int)getpid());
	snprintf(filter, sizeof(filter), "%s/#", topic_base);
	mi.client_id = client_id;
	mi.clean_start = 1;
	mi.keep_alive = 30;

	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	memset(&ci, 0, sizeof(ci));
	memset(&to, 0, sizeof(to));
	context = loom_create_context(&info);
	if (!context)
		return 1;
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = protocols;
	ci.context = context;
	ci.vhost = loom_create_vhost(context, &vinfo);
	ci.address = u.host;
	ci.port = u.port;
	ci.tls = u.tls ? &tls : NULL;
	ci.mqtt = &mi;
	if (u.scheme[0] == 'w') {
		/* MQTT over WebSocket */
		ci.flags = LOOM_CONNECT_WS;
		ci.path = u.path;
	}
	if (!ci.vhost || !loom_client_connect(&ci)) {
		loom_context_destroy(context);
		return 1;
	}
	loom_sul_schedule(context, 0, &to, timeout_cb, (loom_usec_t)timeout * 1000000);
	while (!loom_is_stopping(context))
		if (loom_service(context, -1) < 0)
			break;
	loom_context_destroy(context);

	return result;
}
