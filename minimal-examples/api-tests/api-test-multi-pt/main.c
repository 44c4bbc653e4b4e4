/*
 * api-test-multi-pt: a context with two service threads. Each pt has its own listen
 * socket on the same port (SO_REUSEPORT); both threads serve echo connections at
 * once and loom_stop() ends both loops.
 */
#include <loom.h>
#include "loom-test.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define CLIENTS 32

static struct loom_context *ctx;
static unsigned int adopted[2], closed[2];	/* each written by its own thread only */

struct pss {
	unsigned char buf[LOOM_PRE + 256];
	size_t len;
};

static int
cb_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	struct pss *p = user;
	int tsi = conn ? loom_get_tsi(conn) : 0;

	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		adopted[tsi]++;
		break;
	case LOOM_CB_RAW_RX:
		if (len > sizeof(p->buf) - LOOM_PRE)
			return -1;
		memcpy(p->buf + LOOM_PRE, in, len);
		p->len = len;
		loom_rx_flow_control(conn, 0);
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		if (loom_write(conn, p->buf + LOOM_PRE, p->len, LOOM_WRITE_RAW) < 0)
			return -1;
		loom_rx_flow_control(conn, 1);
		break;
	case LOOM_CB_RAW_CLOSE:
		closed[tsi]++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "echo", cb_echo, sizeof(struct pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void *
service(void *arg)
{
	loom_run(ctx, (int)(intptr_t)arg);

	return NULL;
}

static int
echo_once(int port, int *fd_out)
{
	struct sockaddr_in sa;
	char buf[16];
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, "multi-pt", 8) != 8 || read(fd, buf, sizeof(buf)) != 8 ||
	    memcmp(buf, "multi-pt", 8)) {
		close(fd);
		return -1;
	}
	*fd_out = fd;

	return 0;
}

int
main(void)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_vhost *vh;
	pthread_t th[2];
	int fds[CLIENTS], n, ok = 0, port;

	memset(&info, 0, sizeof(info));
	info.count_threads = 2;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-multi-pt");
	LT_CHECK_EQ(loom_count_threads(ctx), 2);

	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.options = LOOM_VHOST_OPT_RAW;
	vinfo.iface = "127.0.0.1";
	vinfo.protocols = protocols;
	vh = loom_create_vhost(ctx, &vinfo);
	LT_CHECK(vh != NULL);
	port = loom_vhost_port(vh);
	LT_CHECK(port > 0);

	for (n = 0; n < 2; n++)
		pthread_create(&th[n], NULL, service, (void *)(intptr_t)n);

	for (n = 0; n < CLIENTS; n++) {
		fds[n] = -1;
		if (!echo_once(port, &fds[n]))
			ok++;
	}
	LT_CHECK_EQ(ok, CLIENTS);
	for (n = 0; n < CLIENTS; n++)
		if (fds[n] >= 0)
			close(fds[n]);

	usleep(200 * 1000);
	loom_stop(ctx);
	for (n = 0; n < 2; n++)
		pthread_join(th[n], NULL);

	/* the kernel spreads connections over both listen sockets */
	LT_CHECK_EQ(adopted[0] + adopted[1], CLIENTS);
	LT_CHECK(adopted[0] > 0);
	LT_CHECK(adopted[1] > 0);
	LT_CHECK_EQ(closed[0] + closed[1], CLIENTS);
	printf("pt0 served %u, pt1 served %u\n", adopted[0], adopted[1]);

	loom_context_destroy(ctx);

	return lt_result("api-test-multi-pt");
}
