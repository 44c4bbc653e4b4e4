/*
 * bench-mqtt-mosquitto: the MQTT publish benchmark client on libmosquitto (Debian
 * libmosquitto-dev), single-threaded: mosquitto_publish() writes at once when the
 * socket takes it, mosquitto_loop() reads the acks and flushes what waits.
 */
#include <mosquitto.h>
#include <unistd.h>

#include "bench-mqtt.h"

static struct bench_args a;
static int connected, fence_mid, fence_done, failed;
static long inflight, published;

static void
on_connect(struct mosquitto *m, void *obj, int rc)
{
	(void)m;
	(void)obj;
	if (rc)
		failed = 1;
	else
		connected = 1;
}

static void
on_publish(struct mosquitto *m, void *obj, int mid)
{
	(void)m;
	(void)obj;
	/*
	 * libmosquitto numbers every publish, QoS 0 too, with a 16-bit mid that
	 * wraps, and calls this for a QoS 0 one when it is written: a QoS 0 publish
	 * still queued here when the fence is made can have the fence's mid. The
	 * fence is done when its ack comes after every publish before it went.
	 */
	published++;
	if (fence_mid && mid == fence_mid && published > a.n)
		fence_done = 1;
	else if (a.qos)
		inflight--;
}

int
main(int argc, char **argv)
{
	static uint8_t payload[65536];
	struct mosquitto **mm;
	double t0, c0;
	long sent = 0, rss0;
	char id[48];
	int i, n;

	bench_args(argc, argv, &a);
	memset(payload, 'x', sizeof(payload));
	mosquitto_lib_init();
	rss0 = bench_rss_kb();
	n = a.conns ? a.conns : 1;
	mm = calloc((size_t)n, sizeof(*mm));
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "bench-mosq-%d-%d", (int)getpid(), i);
		mm[i] = mosquitto_new(id, true, NULL);
		if (!mm[i])
			return 1;
		mosquitto_connect_callback_set(mm[i], on_connect);
		mosquitto_publish_callback_set(mm[i], on_publish);
		mosquitto_max_inflight_messages_set(mm[i], (unsigned int)a.window);
		connected = 0;
		if (mosquitto_connect(mm[i], "127.0.0.1", a.port, 60) != MOSQ_ERR_SUCCESS)
			return 1;
		while (!connected && !failed)
			if (mosquitto_loop(mm[i], 1000, 1) != MOSQ_ERR_SUCCESS)
				return 1;
	}
	if (a.conns) {
		printf("conns=%d rss_kb_per_conn=%.2f\n", a.conns,
		       (double)(bench_rss_kb() - rss0) / a.conns);
		return 0;
	}

	t0 = bench_now();
	c0 = bench_cpu();
	while (sent < a.n) {
		if (a.qos && inflight >= a.window) {
			if (mosquitto_loop(mm[0], 1000, 1) != MOSQ_ERR_SUCCESS)
				return 1;
			continue;
		}
		if (mosquitto_publish(mm[0], NULL, "bench/mosq", (int)a.size, payload, a.qos,
				      false) != MOSQ_ERR_SUCCESS)
			return 1;
		sent++;
		if (a.qos)
			inflight++;
		else if (!(sent & 63) && mosquitto_loop(mm[0], 0, 1) != MOSQ_ERR_SUCCESS)
			return 1;	/* QoS 0: flush what the socket did not take */
	}
	if (mosquitto_publish(mm[0], &fence_mid, "bench/mosq/fence", (int)a.size, payload,
			      1, false) != MOSQ_ERR_SUCCESS)
		return 1;
	while (!fence_done)
		if (mosquitto_loop(mm[0], 1000, 1) != MOSQ_ERR_SUCCESS)
			return 1;
	bench_result(&a, t0, c0);
	mosquitto_disconnect(mm[0]);
	mosquitto_loop(mm[0], 100, 1);
	mosquitto_destroy(mm[0]);
	mosquitto_lib_cleanup();

	return failed;
}
