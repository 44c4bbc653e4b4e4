/*
 * fuzz-h2-server: the h2 server role whole (connection state, streams, flow
 * control, the HTTP dispatch behind it) fed the input as the bytes a client sends
 * after the connection preface, over a socketpair the server adopts as an accepted
 * HTTP connection. The server must neither crash nor leak nor hang: each input's
 * connection ends (the harness closes its side) within a bounded number of loop
 * passes. The first input byte picks the server's answer to requests: a small body,
 * a 100 KB body written on WRITEABLE, or none (the stream stays open). The vhost
 * also serves a ws protocol, so extended CONNECTs (RFC 8441) open ws-over-h2
 * streams whose messages are answered.
 */
#include <loom.h>
#include "core/private-core.h"
#include "net/private-net.h"
#include "roles/h2/private-h2-codec.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct loom_context *ctx;
static struct loom_vhost *vh;
static int mode;
static int open_conns;

struct pss {
	size_t sent;
	int big;
};

static int
cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
   size_t len)
{
	static unsigned char buf[4096];
	struct pss *ps = user;
	size_t n;

	switch (reason) {
	case LOOM_CB_HTTP:
		if (mode == 2)
			return 0;
		if (mode == 1) {
			ps->big = 1;
			if (loom_http_respond(conn, 200, "application/octet-stream", 100000))
				return -1;
			return loom_callback_on_writable(conn) < 0 ? -1 : 0;
		}
		return loom_http_respond_simple(conn, 200, "text/plain", "ok", 2);
	case LOOM_CB_HTTP_WRITEABLE:
		if (!ps->big)
			return 0;
		n = 100000 - ps->sent < sizeof(buf) ? 100000 - ps->sent : sizeof(buf);
		memset(buf, 'x', n);
		ps->sent += n;
		if (loom_http_write_body(conn, buf, n, ps->sent == 100000) < 0)
			return -1;
		if (ps->sent < 100000)
			loom_callback_on_writable(conn);
		return 0;
	case LOOM_CB_CLOSED_HTTP:
		return 0;
	default:
		return 0;
	}
}

/* ws over h2: each message piece is answered with a text message */
static int
cb_ws(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
      size_t len)
{
	static unsigned char buf[LOOM_PRE + 64];

	switch (reason) {
	case LOOM_CB_RECEIVE:
		return loom_callback_on_writable(conn) < 0 ? -1 : 0;
	case LOOM_CB_SERVER_WRITEABLE:
		memset(buf + LOOM_PRE, 'w', 64);
		return loom_write(conn, buf + LOOM_PRE, mode == 1 ? 64 : 3,
				  LOOM_WRITE_TEXT) < 0 ? -1 : 0;
	default:
		return 0;
	}
}

static const struct loom_protocol protocols[] = {
	{ "http", cb, sizeof(struct pss), 0, 0, NULL, 0 },
	{ "ws", cb_ws, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
setup(void)
{
	struct loom_h2_vhost_info h2;
	struct loom_context_info info;
	struct loom_vhost_info vinfo;

	loom_set_log_level(0, NULL);
	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	memset(&h2, 0, sizeof(h2));
	h2.max_concurrent_streams = 8;
	h2.stall_timeout_secs = 1;
	vinfo.port = 0;		/* a listener nobody uses: the vhost serves HTTP */
	vinfo.iface = "127.0.0.1";
	vinfo.protocols = protocols;
	vinfo.h2 = &h2;
	ctx = loom_create_context(&info);
	vh = ctx ? loom_create_vhost(ctx, &vinfo) : NULL;
	if (!vh)
		abort();
}

static void
drain(int fd)
{
	uint8_t buf[16384];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t settings[9] = { 0, 0, 0, 4, 0, 0, 0, 0, 0 };
	struct loom_conn *conn;
	size_t o = 0;
	int sv[2], n, passes;
	unsigned int before;

	if (!ctx)
		setup();
	if (size < 1)
		return 0;
	mode = data[0] % 3;
	data++;
	size--;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 0;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	before = loom_conn_count(ctx, 0);
	if (loom__adopt_fd(&ctx->pt[0], vh, vh->accept_role, vh->accept_protocol, sv[1],
			   LCF_IS_SOCKET, NULL, &conn) || !conn) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	if (send(sv[0], LOOM_H2_PREFACE, LOOM_H2_PREFACE_LEN, MSG_NOSIGNAL) < 0 ||
	    send(sv[0], settings, sizeof(settings), MSG_NOSIGNAL) < 0)
		goto out;
	for (passes = 0; passes < 2000 && o < size; passes++) {
		n = (int)send(sv[0], data + o, size - o, MSG_NOSIGNAL);
		if (n > 0)
			o += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			break;
		loom_service(ctx, 0);
		drain(sv[0]);
	}
	for (passes = 0; passes < 50; passes++) {
		loom_service(ctx, 0);
		drain(sv[0]);
	}
out:
	/* our side goes: the server's conn and its streams must go too */
	close(sv[0]);
	for (passes = 0; passes < 3000 && loom_conn_count(ctx, 0) > before; passes++)
		loom_service(ctx, 1);
	if (loom_conn_count(ctx, 0) > before)
		abort();	/* the connection outlived its peer: a hang */
	(void)open_conns;

	return 0;
}
