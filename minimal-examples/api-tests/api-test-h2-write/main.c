/*
 * api-test-h2-write: loom_write() on h2 stream conns, with a client made of raw
 * frames (the codec's writers, reader and HPACK) on a socket, the server serviced
 * in the same thread:
 *   an HTTP response written with loom_write(LOOM_WRITE_HTTP) pieces and a
 *   LOOM_WRITE_HTTP_FINAL one (it used to fail with LOOM_ECLOSED: a stream has no
 *   fd), each returning the caller's length; a ws kind on an HTTP stream is
 *   LOOM_EINVAL;
 *   ws over h2 (RFC 8441): loom_write(LOOM_WRITE_TEXT) returns the caller's length
 *   (not the framed one), loom_callback_on_writable_all_protocol() reaches the
 *   stream conns, the client gets one ws frame per write in DATA, and a vhost
 *   with LOOM_H2_OPT_NO_WEBSOCKET neither offers the setting nor takes :protocol.
 */
#include <loom.h>
#include "roles/h2/private-h2-codec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loom-test.h"

#define PIECE		3000
#define PIECES		3
#define TAIL		1000

static struct loom_context *ctx;
static struct loom_vhost *vh_ws;
static int port, port_nows;
static int http_writes[PIECES + 1];	/* loom_write() results, HTTP */
static int bad_kind = 1;		/* loom_write(TEXT) on an HTTP stream */
static int ws_established, ws_writeable, ws_write_ret, ws_closed, ws_h2_seen;

/* ---- the server ---- */

struct pss {
	int pieces;
};

static int
cb_http(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
	size_t len)
{
	struct pss *ps = user;
	static unsigned char buf[LOOM_PRE + PIECE];

	switch (reason) {
	case LOOM_CB_HTTP:
		ps->pieces = 0;
		if (loom_http_respond(conn, 200, "application/octet-stream",
				      PIECES * PIECE + TAIL))
			return -1;
		return loom_callback_on_writable(conn) < 0 ? -1 : 0;
	case LOOM_CB_HTTP_WRITEABLE:
		memset(buf + LOOM_PRE, 'a' + ps->pieces, PIECE);
		if (!ps->pieces)
			bad_kind = loom_write(conn, buf + LOOM_PRE, 1, LOOM_WRITE_TEXT);
		if (ps->pieces < PIECES) {
			http_writes[ps->pieces] = loom_write(conn, buf + LOOM_PRE, PIECE,
							     LOOM_WRITE_HTTP);
			ps->pieces++;
			return loom_callback_on_writable(conn) < 0 ? -1 : 0;
		}
		http_writes[PIECES] = loom_write(conn, buf + LOOM_PRE, TAIL,
						 LOOM_WRITE_HTTP_FINAL);
		return 0;
	default:
		return 0;
	}
}

static int
cb_ws(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
      size_t len)
{
	static unsigned char buf[LOOM_PRE + 200];

	switch (reason) {
	case LOOM_CB_ESTABLISHED:
		ws_established++;
		ws_h2_seen += loom_conn_is_h2_stream(conn) && loom_h2_stream_id(conn) == 1;
		/* the broadcast walk must find the stream conn */
		loom_callback_on_writable_all_protocol(loom_get_vhost(conn),
						       loom_get_protocol(conn));
		return 0;
	case LOOM_CB_SERVER_WRITEABLE:
		ws_writeable++;
		memset(buf + LOOM_PRE, 'w', 200);
		ws_write_ret = loom_write(conn, buf + LOOM_PRE, 200, LOOM_WRITE_TEXT);
		return 0;
	case LOOM_CB_CLOSED:
		ws_closed++;
		return 0;
	default:
		return 0;
	}
}

static const struct loom_protocol protocols[] = {
	{ "http", cb_http, sizeof(struct pss), 0, 0, NULL, 0 },
	{ "test-ws", cb_ws, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
pump(int ms)
{
	int n;

	for (n = 0; n < ms; n++)
		loom_service(ctx, 1);
}

/* ---- the client ---- */

struct cl {
	int fd;
	struct loom_h2_reader rd;
	struct loom_hpack_dec dec;
	struct loom_hpack_enc enc;
	uint8_t dtab[4096], etab[4096], scratch[8192];
	uint8_t hb[16384];
	size_t hbl;
	uint32_t cur_sid;
	int status[8];
	int rst[8];
	int ended[8];
	size_t data[8];
	uint8_t first[8][4];		/* the first DATA bytes per stream */
	uint32_t connect_setting;	/* SETTINGS_ENABLE_CONNECT_PROTOCOL seen */
};

static int
cl_field(void *opaque, const char *name, size_t nl, const char *value, size_t vl,
	 unsigned int flags)
{
	struct cl *c = opaque;

	if (nl == 7 && !memcmp(name, ":status", 7))
		c->status[c->cur_sid] = atoi(value);

	return 0;
}

static int
cl_frame(void *opaque, int ev, const struct loom_h2_frame_hdr *h, const uint8_t *p,
	 size_t len)
{
	struct cl *c = opaque;
	uint32_t sid = h->sid < 8 ? h->sid : 7;
	size_t n;

	switch (h->type) {
	case LOOM_H2_F_SETTINGS:
		if (ev == LOOM_H2R_PAYLOAD && !(h->flags & LOOM_H2_FL_ACK))
			for (n = 0; n + 6 <= len; n += 6)
				if (p[n] == 0 && p[n + 1] == LOOM_H2_SET_ENABLE_CONNECT_PROTOCOL)
					c->connect_setting = p[n + 5];
		break;
	case LOOM_H2_F_RST_STREAM:
		if (ev == LOOM_H2R_PAYLOAD && len == 4)
			c->rst[sid] = p[3];
		break;
	case LOOM_H2_F_DATA:
		if (ev == LOOM_H2R_PAYLOAD) {
			for (n = 0; n < len && c->data[sid] + n < 4; n++)
				c->first[sid][c->data[sid] + n] = p[n];
			c->data[sid] += len;
		}
		if (ev == LOOM_H2R_END && (h->flags & LOOM_H2_FL_END_STREAM))
			c->ended[sid] = 1;
		break;
	case LOOM_H2_F_HEADERS:
		if (ev == LOOM_H2R_HDR) {
			c->hbl = 0;
			c->cur_sid = sid;
			if (h->flags & LOOM_H2_FL_END_STREAM)
				c->ended[sid] = 1;
		}
		if (ev == LOOM_H2R_PAYLOAD && c->hbl + len <= sizeof(c->hb)) {
			memcpy(c->hb + c->hbl, p, len);
			c->hbl += len;
		}
		if (ev == LOOM_H2R_END)
			loom__hpack_decode(&c->dec, c->hb, c->hbl, c->scratch,
					   sizeof(c->scratch), cl_field, c);
		break;
	default:
		break;
	}

	return 0;
}

static void
cl_read(struct cl *c, int ms)
{
	uint8_t buf[16384];
	size_t used;
	int n, t;

	for (t = 0; t < ms; t++) {
		pump(1);
		while ((n = (int)recv(c->fd, buf, sizeof(buf), 0)) > 0)
			loom__h2_reader_feed(&c->rd, buf, (size_t)n, &used, cl_frame, c);
		if (!n)
			return;
	}
}

static void
cl_send(struct cl *c, const uint8_t *buf, size_t len)
{
	int n, spins = 0;

	while (len && spins < 20000) {
		n = (int)send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return;
		pump(1);
		spins++;
	}
}

static void
cl_open(struct cl *c, int to_port)
{
	struct sockaddr_in sa;
	uint8_t f[64];
	size_t n;

	memset(c, 0, sizeof(*c));
	memset(c->rst, 0xff, sizeof(c->rst));
	loom__h2_reader_init(&c->rd, LOOM_H2_DEFAULT_MAX_FRAME);
	loom__hpack_dec_init(&c->dec, c->dtab, sizeof(c->dtab), 0);
	loom__hpack_enc_init(&c->enc, c->etab, sizeof(c->etab));
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)to_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
		fprintf(stderr, "connect: %d\n", errno);
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	cl_send(c, (const uint8_t *)LOOM_H2_PREFACE, LOOM_H2_PREFACE_LEN);
	n = loom__h2_put_settings(f, sizeof(f), NULL, NULL, 0);
	cl_send(c, f, n);
	cl_read(c, 20);
}

static void
cl_field_add(struct cl *c, uint8_t *out, size_t *n, size_t max, const char *name,
	     const char *value)
{
	*n += (size_t)loom__hpack_enc_field(&c->enc, out + *n, max - *n, name, strlen(name),
					     value, strlen(value), LOOM_HPACK_F_NO_INDEX);
}

/* stream 1: a GET, or an extended CONNECT for websocket (left open) */
static void
cl_request(struct cl *c, int ws)
{
	uint8_t f[1024];
	size_t n = 9, max = sizeof(f);

	n += (size_t)loom__hpack_enc_block_start(&c->enc, f + n, max - n);
	cl_field_add(c, f, &n, max, ":method", ws ? "CONNECT" : "GET");
	if (ws)
		cl_field_add(c, f, &n, max, ":protocol", "websocket");
	cl_field_add(c, f, &n, max, ":scheme", "http");
	cl_field_add(c, f, &n, max, ":path", "/");
	cl_field_add(c, f, &n, max, ":authority", "localhost");
	if (ws) {
		cl_field_add(c, f, &n, max, "sec-websocket-version", "13");
		cl_field_add(c, f, &n, max, "sec-websocket-protocol", "test-ws");
	}
	loom__h2_put_hdr(f, (uint32_t)(n - 9), LOOM_H2_F_HEADERS,
			 LOOM_H2_FL_END_HEADERS | (ws ? 0 : LOOM_H2_FL_END_STREAM), 1);
	cl_send(c, f, n);
}

static int
make_vhost(const char *name, unsigned int h2_options)
{
	struct loom_h2_vhost_info h2;
	struct loom_vhost_info vi;
	struct loom_vhost *vh;

	memset(&h2, 0, sizeof(h2));
	h2.options = h2_options;
	memset(&vi, 0, sizeof(vi));
	vi.name = name;
	vi.port = 0;
	vi.iface = "127.0.0.1";
	vi.protocols = protocols;
	vi.h2 = &h2;
	vh = loom_create_vhost(ctx, &vi);
	if (!vh)
		return -1;
	if (!h2_options)
		vh_ws = vh;

	return loom_vhost_port(vh);
}

int
main(void)
{
	struct loom_context_info info;
	struct cl c;
	int i;

	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	if (!ctx)
		return 1;
	port = make_vhost("ws", 0);
	port_nows = make_vhost("nows", LOOM_H2_OPT_NO_WEBSOCKET);
	LT_CHECK(port > 0 && port_nows > 0 && vh_ws);

	/* loom_write() of HTTP body pieces on an h2 stream */
	cl_open(&c, port);
	LT_CHECK_EQ(c.connect_setting, 1);
	cl_request(&c, 0);
	cl_read(&c, 300);
	for (i = 0; i < PIECES; i++)
		LT_CHECK_EQ(http_writes[i], PIECE);
	LT_CHECK_EQ(http_writes[PIECES], TAIL);
	LT_CHECK_EQ(bad_kind, LOOM_EINVAL);
	LT_CHECK_EQ(c.status[1], 200);
	LT_CHECK_EQ(c.data[1], PIECES * PIECE + TAIL);
	LT_CHECK(c.first[1][0] == 'a');
	LT_CHECK_EQ(c.ended[1], 1);
	close(c.fd);
	pump(20);

	/* ws over h2: ESTABLISHED, the broadcast walk, loom_write(TEXT) */
	cl_open(&c, port);
	cl_request(&c, 1);
	cl_read(&c, 300);
	LT_CHECK_EQ(c.status[1], 200);
	LT_CHECK_EQ(ws_established, 1);
	LT_CHECK_EQ(ws_h2_seen, 1);
	LT_CHECK_EQ(ws_writeable, 1);
	LT_CHECK_EQ(ws_write_ret, 200);
	LT_CHECK_EQ(c.data[1], 2 + 2 + 200);	/* one frame: 0x81 126 len16 payload */
	LT_CHECK(c.first[1][0] == 0x81 && c.first[1][1] == 126);
	LT_CHECK_EQ(c.ended[1], 0);
	close(c.fd);
	pump(50);
	LT_CHECK_EQ(ws_closed, 1);

	/* a vhost with LOOM_H2_OPT_NO_WEBSOCKET: no setting, :protocol refused */
	cl_open(&c, port_nows);
	LT_CHECK_EQ(c.connect_setting, 0);
	cl_request(&c, 1);
	cl_read(&c, 100);
	LT_CHECK_EQ(c.rst[1], 1);		/* PROTOCOL_ERROR */
	LT_CHECK_EQ(c.status[1], 0);
	LT_CHECK_EQ(ws_established, 1);
	close(c.fd);
	pump(20);

	loom_context_destroy(ctx);

	return lt_result("api-test-h2-write");
}
