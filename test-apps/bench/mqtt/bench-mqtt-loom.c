/*
 * bench-mqtt-loom: the MQTT publish benchmark client on Loom (see bench-mqtt.h).
 * Publishes from the WRITEABLE callback until the in-flight window (QoS 1) or
 * the held-output limit (QoS 0) says LOOM_EBUSY, and from each ack after that.
 */
#include <loom.h>
#include <unistd.h>

#include "bench-mqtt.h"

static struct bench_args a;
static struct loom_context *ctx;
static uint8_t payload[65536];
static long sent;
static int fence_pid, done, failed, established;
static double t0, c0;
static struct loom_vhost *vh;

static struct loom_conn *
connect1(struct loom_vhost *v, int i);

static int
pump(struct loom_conn *conn)
{
	struct loom_mqtt_publish_info p;
	int r;

	memset(&p, 0, sizeof(p));
	p.topic = "bench/loom";
	p.payload = payload;
	p.payload_len = (size_t)a.size;
	p.qos = (uint8_t)a.qos;
	while (sent < a.n) {
		r = loom_mqtt_publish(conn, &p);
		if (r == LOOM_EBUSY) {
			if (!a.qos)
				loom_callback_on_writable(conn);
			return 0;	/* QoS 1: the next ack calls again */
		}
		if (r < 0) {
			fprintf(stderr, "publish: %s\n", loom_strerror(r));
			return -1;
		}
		sent++;
	}
	if (!fence_pid) {
		p.qos = 1;
		p.topic = "bench/loom/fence";
		r = loom_mqtt_publish(conn, &p);
		if (r == LOOM_EBUSY) {
			if (!a.qos)
				loom_callback_on_writable(conn);
			return 0;
		}
		if (r <= 0)
			return -1;
		fence_pid = r;
	}

	return 0;
}

static int
cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
   size_t len)
{
	const struct loom_mqtt_ack *ack = in;

	(void)user;
	(void)len;
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "connection error: %s\n", in ? (const char *)in : "?");
		failed = 1;
		break;
	case LOOM_CB_MQTT_CLIENT_ESTABLISHED:
		established++;
		if (a.conns) {
			/* one at a time, as the other clients connect */
			if (established < a.conns && !connect1(vh, established))
				failed = 1;
			break;
		}
		t0 = bench_now();
		c0 = bench_cpu();
		return pump(conn);
	case LOOM_CB_MQTT_CLIENT_WRITEABLE:
		return pump(conn);
	case LOOM_CB_MQTT_ACK:
		if (ack->packet_id == fence_pid && fence_pid) {
			bench_result(&a, t0, c0);
			done = 1;
			loom_mqtt_disconnect(conn, 0);
			return 0;
		}
		return pump(conn);
	case LOOM_CB_MQTT_CLIENT_CLOSED:
		if (!done && !a.conns)
			failed = 1;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protos[] = {
	{ "bench", cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static struct loom_conn *
connect1(struct loom_vhost *v, int i)
{
	struct loom_client_connect_info ci;
	struct loom_mqtt_client_info mi;
	char id[32];

	snprintf(id, sizeof(id), "bench-loom-%d-%d", (int)getpid(), i);
	memset(&mi, 0, sizeof(mi));
	mi.client_id = id;
	mi.clean_start = 1;
	mi.keep_alive = 60;
	mi.inflight_max = (uint16_t)a.window;
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = v;
	ci.address = "127.0.0.1";
	ci.port = a.port;
	ci.mqtt = &mi;

	return loom_client_connect(&ci);
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vi;
	long rss0;

	bench_args(argc, argv, &a);
	memset(payload, 'x', sizeof(payload));
	loom_set_log_level(LOOM_LL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = protos;
	vh = ctx ? loom_create_vhost(ctx, &vi) : NULL;
	if (!vh)
		return 1;
	rss0 = bench_rss_kb();
	if (!connect1(vh, 0))
		return 1;
	while (!done && !failed && !loom_is_stopping(ctx)) {
		if (loom_service(ctx, 1000) < 0)
			break;
		if (a.conns && established == a.conns) {
			printf("conns=%d rss_kb_per_conn=%.2f\n", a.conns,
			       (double)(bench_rss_kb() - rss0) / a.conns);
			break;
		}
	}
	loom_context_destroy(ctx);

	return failed;
}
