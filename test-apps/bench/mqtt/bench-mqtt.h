/*
 * bench-mqtt.h: what the three MQTT benchmark clients (Loom, libmosquitto, paho)
 * share: the argument parsing, the payload and the result line, so each measures
 * the same workload: -n N publishes of -s BYTES at QoS -q to topic "bench/<name>"
 * on 127.0.0.1:-p PORT, at most -w in flight (QoS 1), then a QoS 1 "fence"
 * publish whose ack says the broker has taken everything before it. With -c K it
 * instead holds K idle connections and prints the RSS growth per connection.
 */
#ifndef BENCH_MQTT_H
#define BENCH_MQTT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

struct bench_args {
	int port, qos, window, conns;
	long n, size;
};

static void
bench_args(int argc, char **argv, struct bench_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->n = 100000;
	a->size = 64;
	a->window = 16;
	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "-p"))
			a->port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "-n"))
			a->n = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "-s"))
			a->size = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "-q"))
			a->qos = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "-w"))
			a->window = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "-c"))
			a->conns = atoi(argv[i + 1]);
	}
	if (!a->port || a->n < 1 || a->size < 0 || a->size > 65536 || a->qos < 0 ||
	    a->qos > 1 || a->window < 1) {
		fprintf(stderr, "usage: %s -p PORT [-n N] [-s BYTES] [-q 0|1] [-w WINDOW] "
			"[-c IDLE_CONNS]\n", argv[0]);
		exit(2);
	}
}

static double
bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);

	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double
bench_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);

	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long
bench_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atol(line + 6);
	fclose(f);

	return kb;
}

/* the result line run.sh reads */
static void
bench_result(const struct bench_args *a, double t0, double c0)
{
	double secs = bench_now() - t0, cpu = bench_cpu() - c0;

	printf("msgs=%ld secs=%.4f rate=%.0f cpu_us_per_msg=%.4f cpu_pct=%.1f\n",
	       a->n, secs, (double)a->n / secs, cpu * 1e6 / (double)a->n,
	       100.0 * cpu / secs);
	fflush(stdout);
}

#endif
