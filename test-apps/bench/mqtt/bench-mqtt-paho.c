/*
 * bench-mqtt-paho: the MQTT publish benchmark client on Eclipse Paho's MQTTClient
 * (Debian libpaho-mqtt-dev) in its callback mode: publishes from the main thread,
 * acks arrive on paho's receive thread; at the in-flight limit the main thread
 * waits on a condition variable for the next delivery.
 */
#include <MQTTClient.h>
#include <pthread.h>
#include <unistd.h>

#include "bench-mqtt.h"

static struct bench_args a;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long acked;

static int
on_msg(void *ctx, char *topic, int tlen, MQTTClient_message *m)
{
	(void)ctx;
	(void)tlen;
	MQTTClient_freeMessage(&m);
	MQTTClient_free(topic);

	return 1;
}

static void
on_delivered(void *ctx, MQTTClient_deliveryToken dt)
{
	(void)ctx;
	(void)dt;
	pthread_mutex_lock(&mu);
	acked++;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static MQTTClient
connect1(int i)
{
	MQTTClient_connectOptions o = MQTTClient_connectOptions_initializer;
	MQTTClient c;
	char uri[64], id[48];

	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", a.port);
	snprintf(id, sizeof(id), "bench-paho-%d-%d", (int)getpid(), i);
	if (MQTTClient_create(&c, uri, id, MQTTCLIENT_PERSISTENCE_NONE, NULL) !=
	    MQTTCLIENT_SUCCESS ||
	    MQTTClient_setCallbacks(c, NULL, NULL, on_msg, on_delivered) !=
	    MQTTCLIENT_SUCCESS)
		return NULL;
	o.keepAliveInterval = 60;
	o.cleansession = 1;
	o.maxInflightMessages = a.window;
	if (MQTTClient_connect(c, &o) != MQTTCLIENT_SUCCESS)
		return NULL;

	return c;
}

int
main(int argc, char **argv)
{
	static char payload[65536];
	MQTTClient_deliveryToken tok;
	MQTTClient c;
	double t0, c0;
	long sent = 0, rss0;
	int i, r;

	bench_args(argc, argv, &a);
	memset(payload, 'x', sizeof(payload));
	rss0 = bench_rss_kb();
	if (a.conns) {
		for (i = 0; i < a.conns; i++)
			if (!connect1(i))
				return 1;
		printf("conns=%d rss_kb_per_conn=%.2f\n", a.conns,
		       (double)(bench_rss_kb() - rss0) / a.conns);
		return 0;
	}
	c = connect1(0);
	if (!c)
		return 1;
	t0 = bench_now();
	c0 = bench_cpu();
	while (sent < a.n) {
		if (a.qos) {
			pthread_mutex_lock(&mu);
			while (sent - acked >= a.window)
				pthread_cond_wait(&cv, &mu);
			pthread_mutex_unlock(&mu);
		}
		r = MQTTClient_publish(c, "bench/paho", (int)a.size, payload, a.qos, 0, &tok);
		if (r == MQTTCLIENT_MAX_MESSAGES_INFLIGHT) {
			usleep(50);
			continue;
		}
		if (r != MQTTCLIENT_SUCCESS)
			return 1;
		sent++;
	}
	r = MQTTClient_publish(c, "bench/paho/fence", (int)a.size, payload, 1, 0, &tok);
	if (r != MQTTCLIENT_SUCCESS ||
	    MQTTClient_waitForCompletion(c, tok, 30000) != MQTTCLIENT_SUCCESS)
		return 1;
	bench_result(&a, t0, c0);
	MQTTClient_disconnect(c, 1000);
	MQTTClient_destroy(&c);

	return 0;
}
