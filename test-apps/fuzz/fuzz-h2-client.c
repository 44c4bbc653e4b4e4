/*
 * fuzz-h2-client: the h2 client whole (connection state, response HEADERS through
 * the HPACK decoder and the h1 response parser, DATA and flow control, RST_STREAM,
 * GOAWAY retries, the request queue) fed the input as everything a server sends,
 * its SETTINGS included, over a Unix socket the harness accepts, 64 bytes per loop
 * pass. The first byte
 * picks 1 to 4 requests (the second a POST with a body) and whether the user
 * pauses reading once a response starts. Every request must end (CLOSED or a
 * connection error) and every conn go within a bounded number of loop passes once
 * the harness closes its side: no crash, leak or hang.
 */
#include <loom.h>

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct loom_context *ctx;
static struct loom_vhost *vh;
static int lfd = -1, pause_rx, ended;
static char addr[64];

static int
cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
   size_t len)
{
	static unsigned char body[1000];

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (loom_get_opaque_user_data(conn))
			return loom_http_client_body(conn, sizeof(body));
		return 0;
	case LOOM_CB_CLIENT_HTTP_WRITEABLE:
		memset(body, 'p', sizeof(body));
		return loom_http_write_body(conn, body, sizeof(body), 1) < 0 ? -1 : 0;
	case LOOM_CB_ESTABLISHED_CLIENT_HTTP:
		if (pause_rx)
			loom_rx_flow_control(conn, 0);
		return 0;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
	case LOOM_CB_CLOSED_CLIENT_HTTP:
		ended++;
		return 0;
	default:
		return 0;
	}
}

static const struct loom_protocol protocols[] = {
	{ "h2-client", cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
setup(void)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct sockaddr_un sa;
	socklen_t sl;
	size_t nl;

	/* LOOM_FUZZ_LOG=15 shows what a seed does */
	loom_set_log_level(getenv("LOOM_FUZZ_LOG") ? atoi(getenv("LOOM_FUZZ_LOG")) : 0,
			   NULL);
	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = protocols;
	ctx = loom_create_context(&info);
	vh = ctx ? loom_create_vhost(ctx, &vinfo) : NULL;
	if (!vh)
		abort();
	/* the "server": an abstract Unix socket the client connects to */
	snprintf(addr, sizeof(addr), "loom-fuzz-h2-client-%d", (int)getpid());
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	nl = strlen(addr);
	memcpy(sa.sun_path + 1, addr, nl);
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + nl);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sl) || listen(lfd, 16))
		abort();
	fcntl(lfd, F_SETFL, O_NONBLOCK);
}

static void
drain(int fd)
{
	uint8_t buf[16384];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* a connection the client opened again (a retry): refused at once */
static void
refuse_new(void)
{
	int fd;

	while ((fd = accept(lfd, NULL, NULL)) >= 0)
		close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loom_client_connect_info ci;
	char where[80];
	int n, i, count, passes, sfd = -1;
	unsigned int before;
	size_t o = 0;

	if (!ctx)
		setup();
	if (size < 1)
		return 0;
	count = 1 + (data[0] & 3);
	pause_rx = !!(data[0] & 4);
	data++;
	size--;
	ended = 0;
	before = loom_conn_count(ctx, 0);
	snprintf(where, sizeof(where), "unix:@%s", addr);
	for (i = 0; i < count; i++) {
		memset(&ci, 0, sizeof(ci));
		ci.context = ctx;
		ci.vhost = vh;
		ci.address = where;
		ci.method = i == 1 ? "POST" : "GET";
		ci.path = "/fuzz";
		ci.flags = LOOM_CONNECT_H2_PRIOR_KNOWLEDGE;
		ci.opaque_user_data = i == 1 ? (void *)1 : NULL;
		if (!loom_client_connect(&ci))
			ended++;
	}
	for (passes = 0; passes < 200 && sfd < 0; passes++) {
		loom_service(ctx, 0);
		sfd = accept(lfd, NULL, NULL);
	}
	if (sfd >= 0) {
		fcntl(sfd, F_SETFL, O_NONBLOCK);
		for (passes = 0; passes < 2000 && o < size; passes++) {
			/* small pieces, a loop pass each: the client's streams after
			 * the first open once the SETTINGS are in, as with a real server */
			n = (int)send(sfd, data + o, size - o < 64 ? size - o : 64,
				      MSG_NOSIGNAL);
			if (n > 0)
				o += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				break;
			loom_service(ctx, 0);
			drain(sfd);
			refuse_new();
		}
		for (passes = 0; passes < 50; passes++) {
			loom_service(ctx, 0);
			drain(sfd);
			refuse_new();
		}
		close(sfd);
	}
	/* the server is gone: every request must end, every conn go */
	for (passes = 0; passes < 3000 && (loom_conn_count(ctx, 0) > before ||
					   ended < count); passes++) {
		loom_service(ctx, 1);
		refuse_new();
	}
	if (loom_conn_count(ctx, 0) > before || ended != count)
		abort();	/* a request or conn outlived the server: a hang */

	return 0;
}
