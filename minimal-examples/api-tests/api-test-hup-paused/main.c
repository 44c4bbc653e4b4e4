/*
 * api-test-hup-paused: a pipe whose writer goes away while Loom has reading paused
 * (loom_rx_flow_control) keeps its unread data: the loop parks the fd instead of
 * spinning on the hangup or dropping it, and resuming delivers every byte, then
 * the close.
 */
#include <loom.h>
#include "loom-test.h"

#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#define BYTES 20000

static size_t got;
static int closed, adopted;
static struct loom_conn *rconn;

static int
cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
   size_t len)
{
	size_t n;

	switch (reason) {
	case LOOM_CB_RAW_ADOPT_FILE:
		adopted = 1;
		rconn = conn;
		loom_rx_flow_control(conn, 0);	/* paused from the start */
		break;
	case LOOM_CB_RAW_RX_FILE:
		for (n = 0; n < len; n++)
			if (((unsigned char *)in)[n] != (unsigned char)((got + n) * 13))
				return -1;
		got += len;
		break;
	case LOOM_CB_RAW_CLOSE_FILE:
		closed++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "pipe", cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static double
cpu_secs(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int
main(void)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_context *ctx;
	struct loom_vhost *vh;
	unsigned char buf[BYTES];
	struct timespec t0, t1;
	double c0;
	int p[2], n;

	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	ctx = loom_create_context(&info);
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = protocols;
	vh = ctx ? loom_create_vhost(ctx, &vinfo) : NULL;
	LT_CHECK(vh != NULL);
	if (!vh || pipe(p))
		return lt_result("api-test-hup-paused");
	LT_CHECK(loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, p[0], NULL, NULL) != NULL);
	LT_CHECK(adopted);

	/* the writer sends everything and goes away while reading is paused */
	for (n = 0; n < BYTES; n++)
		buf[n] = (unsigned char)(n * 13);
	LT_CHECK_EQ(write(p[1], buf, BYTES), BYTES);
	close(p[1]);

	/* ~300 ms of service: no data, no close, and no busy loop on the hangup */
	c0 = cpu_secs();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		loom_service(ctx, 50);
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 300);
	printf("cpu while parked: %.3f s\n", cpu_secs() - c0);
	LT_CHECK(cpu_secs() - c0 < 0.1);
	LT_CHECK_EQ(got, 0);
	LT_CHECK_EQ(closed, 0);

	/* resume: every byte, then the end */
	LT_CHECK_EQ(loom_rx_flow_control(rconn, 1), 0);
	for (n = 0; n < 100 && !closed; n++)
		loom_service(ctx, 20);
	LT_CHECK_EQ(got, BYTES);
	LT_CHECK_EQ(closed, 1);

	loom_context_destroy(ctx);

	return lt_result("api-test-hup-paused");
}
