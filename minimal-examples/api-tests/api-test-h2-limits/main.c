/*
 * api-test-h2-limits: the h2 server's limits and defences, each at its edge, with a
 * client made of raw frames (the codec's writers, reader and HPACK) on a socket,
 * the server serviced in the same thread:
 *   h2c by preface and by Upgrade, and both refused by the vhost's options,
 *   max concurrent streams (the last allowed is served, one more is REFUSED_STREAM),
 *   header list size (exactly the limit is served, one byte more is 431),
 *   max frame size (16384 taken, 16385 is FRAME_SIZE_ERROR),
 *   CONTINUATION (a block in pieces is served, a flood is ENHANCE_YOUR_CALM),
 *   rapid reset (the allowed resets pass, one more is ENHANCE_YOUR_CALM),
 *   the streams it reset that it remembers (DATA on the oldest remembered is
 *   dropped quietly, on one reset before it gets RST_STREAM STREAM_CLOSED),
 *   PING and SETTINGS floods by a peer that does not read (ENHANCE_YOUR_CALM),
 *   while 1000 PINGs read as they come are all answered,
 *   a stream whose user pauses rx holds what comes, gives no window back, and
 *   gets it all when resumed,
 *   flow control (a window of 0 sends no DATA, WINDOW_UPDATE n sends n bytes) and
 *   a zero-window stall (RST_STREAM CANCEL after the stall timeout).
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

#define MAX_STREAMS	4
#define MAX_LIST	1024
#define MAX_RESETS	10
#define MAX_ACKS	8
#define RESET_MEMORY	4
#define BIG_LEN		100000

static struct loom_context *ctx;
static int port, port_noh2c;
static struct loom_conn *paused_conn;	/* "/pause": the stream that paused rx */
static size_t pause_rx;			/* body bytes it was given */

/* ---- the server: "/" answers "ok", "/hold" never answers, "/big" BIG_LEN ---- */

struct pss {
	size_t sent;
	int big;
};

static int
cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
   size_t len)
{
	struct pss *ps = user;
	static unsigned char buf[10000];
	size_t n;

	switch (reason) {
	case LOOM_CB_HTTP:
		if (!strcmp((const char *)in, "/hold"))
			return 0;
		if (!strcmp((const char *)in, "/pause")) {
			ps->big = 2;
			pause_rx = 0;
			return 0;
		}
		if (!strcmp((const char *)in, "/big")) {
			ps->big = 1;
			ps->sent = 0;
			if (loom_http_respond(conn, 200, "application/octet-stream", BIG_LEN))
				return -1;
			return loom_callback_on_writable(conn) < 0 ? -1 : 0;
		}
		if (loom_http_method(conn) == LOOM_HTTP_METHOD_POST)
			return 0;	/* answered at BODY_COMPLETION */
		return loom_http_respond_simple(conn, 200, "text/plain", "ok", 2);
	case LOOM_CB_HTTP_BODY:
		if (ps->big == 2) {
			if (!pause_rx) {	/* the first piece: stop reading */
				paused_conn = conn;
				loom_rx_flow_control(conn, 0);
			}
			pause_rx += len;
		}
		return 0;
	case LOOM_CB_HTTP_BODY_COMPLETION:
		if (ps->big == 1 || loom_http_method(conn) != LOOM_HTTP_METHOD_POST)
			return 0;
		return loom_http_respond_simple(conn, 200, "text/plain", "ok", 2);
	case LOOM_CB_HTTP_WRITEABLE:
		if (!ps->big)
			return 0;
		n = BIG_LEN - ps->sent < sizeof(buf) ? BIG_LEN - ps->sent : sizeof(buf);
		memset(buf, 'x', n);
		ps->sent += n;
		if (loom_http_write_body(conn, buf, n, ps->sent == BIG_LEN) < 0)
			return -1;
		if (ps->sent < BIG_LEN)
			loom_callback_on_writable(conn);
		return 0;
	default:
		return 0;
	}
}

static const struct loom_protocol protocols[] = {
	{ "http", cb, sizeof(struct pss), 0, 0, NULL, 0 },
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
	uint8_t hb[65536];
	size_t hbl;
	uint32_t next_sid;
	/* what came */
	int goaway_code;		/* -1: none */
	int closed;			/* the server closed the TCP connection */
	int status[64];			/* :status per stream id */
	int rst[64];			/* RST_STREAM code per stream id, -1 none */
	size_t data[64];		/* DATA bytes per stream id */
	int ended[64];			/* END_STREAM seen */
	int settings_acks, pings, headers_frames;
	uint32_t wu[64];		/* WINDOW_UPDATE increments per stream */
	uint32_t cur_sid;
};

static int
cl_field(void *opaque, const char *name, size_t nl, const char *value, size_t vl,
	 unsigned int flags)
{
	struct cl *c = opaque;

	if (nl == 7 && !memcmp(name, ":status", 7) && c->cur_sid < 64)
		c->status[c->cur_sid] = atoi(value);	/* digits then non-digit */

	return 0;
}

static int
cl_frame(void *opaque, int ev, const struct loom_h2_frame_hdr *h, const uint8_t *p,
	 size_t len)
{
	struct cl *c = opaque;
	uint32_t sid = h->sid < 64 ? h->sid : 63;

	switch (h->type) {
	case LOOM_H2_F_SETTINGS:
		if (ev == LOOM_H2R_HDR && (h->flags & LOOM_H2_FL_ACK))
			c->settings_acks++;
		break;
	case LOOM_H2_F_PING:
		if (ev == LOOM_H2R_HDR && (h->flags & LOOM_H2_FL_ACK))
			c->pings++;
		break;
	case LOOM_H2_F_GOAWAY:
		if (ev == LOOM_H2R_PAYLOAD && len >= 8 && c->goaway_code < 0)
			c->goaway_code = (int)(((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) |
					       ((uint32_t)p[6] << 8) | p[7]);
		break;
	case LOOM_H2_F_RST_STREAM:
		if (ev == LOOM_H2R_PAYLOAD && len == 4)
			c->rst[sid] = (int)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
					    ((uint32_t)p[2] << 8) | p[3]);
		break;
	case LOOM_H2_F_WINDOW_UPDATE:
		if (ev == LOOM_H2R_PAYLOAD && len == 4)
			c->wu[sid] += ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
				       (uint32_t)p[2] << 8 | p[3]) & 0x7fffffffu;
		break;
	case LOOM_H2_F_DATA:
		if (ev == LOOM_H2R_PAYLOAD)
			c->data[sid] += len;
		if (ev == LOOM_H2R_END && (h->flags & LOOM_H2_FL_END_STREAM))
			c->ended[sid] = 1;
		break;
	case LOOM_H2_F_HEADERS:
	case LOOM_H2_F_CONTINUATION:
		if (ev == LOOM_H2R_HDR && h->type == LOOM_H2_F_HEADERS) {
			c->hbl = 0;
			c->cur_sid = sid;
			c->headers_frames++;
			if (h->flags & LOOM_H2_FL_END_STREAM)
				c->ended[sid] = 1;
		}
		if (ev == LOOM_H2R_PAYLOAD && c->hbl + len <= sizeof(c->hb)) {
			memcpy(c->hb + c->hbl, p, len);
			c->hbl += len;
		}
		if (ev == LOOM_H2R_END && (h->flags & LOOM_H2_FL_END_HEADERS))
			loom__hpack_decode(&c->dec, c->hb, c->hbl, c->scratch,
					   sizeof(c->scratch), cl_field, c);
		break;
	default:
		break;
	}

	return 0;
}

/* read what is there (the server runs between reads) for up to ms */
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
		if (!n) {
			c->closed = 1;
			return;
		}
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
cl_open(struct cl *c, uint32_t init_window, int rcvbuf)
{
	struct sockaddr_in sa;
	uint16_t ids[1] = { LOOM_H2_SET_INITIAL_WINDOW_SIZE };
	uint32_t vals[1] = { init_window };
	uint8_t f[64];
	size_t n;

	memset(c, 0, sizeof(*c));
	memset(c->rst, 0xff, sizeof(c->rst));
	c->goaway_code = -1;
	c->next_sid = 1;
	loom__h2_reader_init(&c->rd, LOOM_H2_DEFAULT_MAX_FRAME);
	loom__hpack_dec_init(&c->dec, c->dtab, sizeof(c->dtab), 0);
	loom__hpack_enc_init(&c->enc, c->etab, sizeof(c->etab));
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (rcvbuf)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
		fprintf(stderr, "connect: %d\n", errno);
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	cl_send(c, (const uint8_t *)LOOM_H2_PREFACE, LOOM_H2_PREFACE_LEN);
	n = loom__h2_put_settings(f, sizeof(f), ids, vals, 1);
	cl_send(c, f, n);
	cl_read(c, 20);
}

static void
cl_close(struct cl *c)
{
	close(c->fd);
	pump(20);
}

/* a header block for "GET path" (+ one x-pad field of padlen bytes if padlen) */
static size_t
cl_block(struct cl *c, uint8_t *out, size_t max, const char *method, const char *path,
	 size_t padlen)
{
	static char pad[8192];
	size_t n = 0;

	memset(pad, 'a', sizeof(pad));
	n += (size_t)loom__hpack_enc_block_start(&c->enc, out + n, max - n);
	n += (size_t)loom__hpack_enc_field(&c->enc, out + n, max - n, ":method", 7, method,
					    strlen(method), LOOM_HPACK_F_NO_INDEX);
	n += (size_t)loom__hpack_enc_field(&c->enc, out + n, max - n, ":scheme", 7, "http", 4,
					    LOOM_HPACK_F_NO_INDEX);
	n += (size_t)loom__hpack_enc_field(&c->enc, out + n, max - n, ":path", 5, path,
					    strlen(path), LOOM_HPACK_F_NO_INDEX);
	n += (size_t)loom__hpack_enc_field(&c->enc, out + n, max - n, ":authority", 10,
					    "localhost", 9, LOOM_HPACK_F_NO_INDEX);
	if (padlen)
		n += (size_t)loom__hpack_enc_field(&c->enc, out + n, max - n, "x-pad", 5,
						    pad, padlen, LOOM_HPACK_F_NO_INDEX);

	return n;
}

/* the RFC 9113 6.5.2 size of the request cl_block() makes */
static size_t
list_size(const char *method, const char *path, size_t padlen)
{
	return 7 + strlen(method) + 32 + 7 + 4 + 32 + 5 + strlen(path) + 32 + 10 + 9 + 32 +
	       (padlen ? 5 + padlen + 32 : 0);
}

static uint32_t
cl_request(struct cl *c, const char *method, const char *path, size_t padlen, int end)
{
	uint8_t f[16384 + 9];
	size_t n = cl_block(c, f + 9, sizeof(f) - 9, method, path, padlen);
	uint32_t sid = c->next_sid;

	c->next_sid += 2;
	loom__h2_put_hdr(f, (uint32_t)n, LOOM_H2_F_HEADERS, LOOM_H2_FL_END_HEADERS |
			 (end ? LOOM_H2_FL_END_STREAM : 0), sid);
	cl_send(c, f, n + 9);

	return sid;
}

/* ---- the tests ---- */

static void
test_basic(void)
{
	struct cl c;
	uint8_t f[32], op[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint32_t sid;

	cl_open(&c, 65535, 0);
	LT_CHECK(c.settings_acks >= 1);
	sid = cl_request(&c, "GET", "/", 0, 1);
	cl_send(&c, f, loom__h2_put_ping(f, 0, op));
	cl_read(&c, 50);
	LT_CHECK_EQ(c.status[sid], 200);
	LT_CHECK_EQ(c.data[sid], 2);
	LT_CHECK(c.ended[sid]);
	LT_CHECK_EQ(c.pings, 1);
	LT_CHECK_EQ(c.goaway_code, -1);
	cl_close(&c);
}

static void
test_max_streams(void)
{
	struct cl c;
	uint32_t sid[MAX_STREAMS + 1];
	int n;

	cl_open(&c, 65535, 0);
	for (n = 0; n <= MAX_STREAMS; n++)
		sid[n] = cl_request(&c, "GET", "/hold", 0, 1);
	cl_read(&c, 50);
	for (n = 0; n < MAX_STREAMS; n++)
		LT_CHECK_EQ(c.rst[sid[n]], -1);		/* the last allowed is open */
	LT_CHECK_EQ(c.rst[sid[MAX_STREAMS]], LOOM_H2_ERR_REFUSED_STREAM);
	LT_CHECK_EQ(c.goaway_code, -1);
	cl_close(&c);
}

static void
test_header_list(void)
{
	struct cl c;
	size_t base = list_size("GET", "/", 1);
	uint32_t a, b;

	cl_open(&c, 65535, 0);
	a = cl_request(&c, "GET", "/", MAX_LIST - base + 1, 1);	/* exactly the limit */
	b = cl_request(&c, "GET", "/", MAX_LIST - base + 2, 1);	/* one more byte */
	cl_read(&c, 50);
	LT_CHECK_EQ(list_size("GET", "/", MAX_LIST - base + 1), MAX_LIST);
	LT_CHECK_EQ(c.status[a], 200);
	LT_CHECK_EQ(c.status[b], 431);
	LT_CHECK_EQ(c.goaway_code, -1);
	cl_close(&c);
}

static void
test_frame_size(void)
{
	static uint8_t f[16385 + 9];
	struct cl c;
	uint32_t sid;

	cl_open(&c, 65535, 0);
	sid = cl_request(&c, "POST", "/", 0, 0);
	memset(f, 'b', sizeof(f));
	loom__h2_put_hdr(f, 16384, LOOM_H2_F_DATA, LOOM_H2_FL_END_STREAM, sid);
	cl_send(&c, f, 16384 + 9);
	cl_read(&c, 50);
	LT_CHECK_EQ(c.status[sid], 200);		/* 16384: taken */
	sid = cl_request(&c, "POST", "/", 0, 0);
	loom__h2_put_hdr(f, 16385, LOOM_H2_F_DATA, LOOM_H2_FL_END_STREAM, sid);
	cl_send(&c, f, 16385 + 9);
	cl_read(&c, 50);
	LT_CHECK_EQ(c.goaway_code, LOOM_H2_ERR_FRAME_SIZE_ERROR);
	cl_close(&c);
}

static void
test_continuation(void)
{
	uint8_t blk[2048], f[4096];
	struct cl c;
	size_t n, o, k;
	uint32_t sid;
	int i;

	/* a block in four pieces: served */
	cl_open(&c, 65535, 0);
	n = cl_block(&c, blk, sizeof(blk), "GET", "/", 100);
	sid = c.next_sid;
	c.next_sid += 2;
	for (o = 0, i = 0; o < n; i++) {
		k = n / 4 + 1 < n - o ? n / 4 + 1 : n - o;
		memcpy(f + 9, blk + o, k);
		loom__h2_put_hdr(f, (uint32_t)k, i ? LOOM_H2_F_CONTINUATION :
				 LOOM_H2_F_HEADERS, (uint8_t)((o + k == n ?
				 LOOM_H2_FL_END_HEADERS : 0) | (i ? 0 : LOOM_H2_FL_END_STREAM)),
				 sid);
		cl_send(&c, f, k + 9);
		o += k;
	}
	cl_read(&c, 50);
	LT_CHECK_EQ(c.status[sid], 200);
	cl_close(&c);

	/* a flood of empty CONTINUATION frames: the block bound ends it */
	cl_open(&c, 65535, 0);
	n = cl_block(&c, blk, sizeof(blk), "GET", "/", 0);
	memcpy(f + 9, blk, n);
	loom__h2_put_hdr(f, (uint32_t)n, LOOM_H2_F_HEADERS, LOOM_H2_FL_END_STREAM, 1);
	cl_send(&c, f, n + 9);
	for (i = 0; i < 1000 && !c.closed && c.goaway_code < 0; i++) {
		loom__h2_put_hdr(f, 0, LOOM_H2_F_CONTINUATION, 0, 1);
		cl_send(&c, f, 9);
		if (!(i % 50))
			cl_read(&c, 2);
	}
	cl_read(&c, 50);
	LT_CHECK_EQ(c.goaway_code, LOOM_H2_ERR_ENHANCE_YOUR_CALM);
	cl_close(&c);
}

static void
test_rapid_reset(void)
{
	struct cl c;
	uint8_t f[16];
	uint32_t sid;
	int n;

	cl_open(&c, 65535, 0);
	for (n = 0; n < MAX_RESETS; n++) {
		sid = cl_request(&c, "GET", "/hold", 0, 1);
		cl_send(&c, f, loom__h2_put_rst(f, sid, LOOM_H2_ERR_CANCEL));
	}
	cl_read(&c, 30);
	LT_CHECK_EQ(c.goaway_code, -1);			/* the allowed resets pass */
	sid = cl_request(&c, "GET", "/hold", 0, 1);
	cl_send(&c, f, loom__h2_put_rst(f, sid, LOOM_H2_ERR_CANCEL));
	cl_read(&c, 30);
	LT_CHECK_EQ(c.goaway_code, LOOM_H2_ERR_ENHANCE_YOUR_CALM);
	cl_close(&c);
}

/* a request the server resets at once (an upper-case field name), its body to come */
static uint32_t
cl_bad_request(struct cl *c)
{
	uint8_t f[1024];
	size_t n = cl_block(c, f + 9, sizeof(f) - 9, "POST", "/hold", 0);
	uint32_t sid = c->next_sid;

	n += (size_t)loom__hpack_enc_field(&c->enc, f + 9 + n, sizeof(f) - 9 - n, "X-Up",
					    4, "1", 1, LOOM_HPACK_F_NO_INDEX);
	c->next_sid += 2;
	loom__h2_put_hdr(f, (uint32_t)n, LOOM_H2_F_HEADERS, LOOM_H2_FL_END_HEADERS, sid);
	cl_send(c, f, n + 9);

	return sid;
}

static void
test_reset_memory(void)
{
	struct cl c;
	uint32_t sid[RESET_MEMORY + 1];
	uint8_t f[9 + 100];
	int n;

	cl_open(&c, 65535, 0);
	for (n = 0; n <= RESET_MEMORY; n++)
		sid[n] = cl_bad_request(&c);
	cl_read(&c, 30);
	for (n = 0; n <= RESET_MEMORY; n++)
		LT_CHECK_EQ(c.rst[sid[n]], LOOM_H2_ERR_PROTOCOL_ERROR);
	memset(f, 'd', sizeof(f));
	for (n = 0; n <= RESET_MEMORY; n++)
		c.rst[sid[n]] = -1;
	/* the oldest it still remembers: its body in flight is dropped */
	loom__h2_put_hdr(f, 100, LOOM_H2_F_DATA, 0, sid[1]);
	cl_send(&c, f, sizeof(f));
	cl_read(&c, 30);
	LT_CHECK_EQ(c.rst[sid[1]], -1);
	/* one more reset ago: forgotten, so a closed stream (STREAM_CLOSED) */
	loom__h2_put_hdr(f, 100, LOOM_H2_F_DATA, 0, sid[0]);
	cl_send(&c, f, sizeof(f));
	cl_read(&c, 30);
	LT_CHECK_EQ(c.rst[sid[0]], LOOM_H2_ERR_STREAM_CLOSED);
	LT_CHECK_EQ(c.goaway_code, -1);
	cl_close(&c);
}

static void
test_ping_flood(void)
{
	uint8_t f[17 * 100], op[8] = { 0 };
	struct cl c;
	int n, k;

	/* read as they come: every PING answered */
	cl_open(&c, 65535, 0);
	for (n = 0; n < 10; n++) {
		for (k = 0; k < 100; k++)
			loom__h2_put_ping(f + 17 * k, 0, op);
		cl_send(&c, f, sizeof(f));
		cl_read(&c, 3);
	}
	cl_read(&c, 30);
	LT_CHECK_EQ(c.pings, 1000);
	LT_CHECK_EQ(c.goaway_code, -1);
	cl_close(&c);

	/* never read: the ACKs pile up on the server, which gives up */
	cl_open(&c, 65535, 4096);
	for (n = 0; n < 2000; n++) {
		for (k = 0; k < 100; k++)
			loom__h2_put_ping(f + 17 * k, 0, op);
		if (send(c.fd, f, sizeof(f), MSG_NOSIGNAL) <= 0)
			break;
		pump(1);
	}
	pump(20);
	cl_read(&c, 500);	/* now read it all: the ACKs, then GOAWAY */
	LT_CHECK_EQ(c.goaway_code, LOOM_H2_ERR_ENHANCE_YOUR_CALM);
	LT_CHECK(c.pings < 200000);
	cl_close(&c);
}

static void
test_settings_flood(void)
{
	uint8_t f[9 * 200];
	struct cl c;
	int n, k;

	/* empty SETTINGS each owe an ACK: a peer that never reads them is cut off */
	cl_open(&c, 65535, 4096);
	for (n = 0; n < 2000; n++) {
		for (k = 0; k < 200; k++)
			loom__h2_put_settings(f + 9 * k, 9, NULL, NULL, 0);
		if (send(c.fd, f, sizeof(f), MSG_NOSIGNAL) <= 0)
			break;
		pump(1);
	}
	pump(20);
	cl_read(&c, 500);
	LT_CHECK_EQ(c.goaway_code, LOOM_H2_ERR_ENHANCE_YOUR_CALM);
	cl_close(&c);
}

static void
test_rx_pause(void)
{
	static uint8_t f[16384 + 9];
	struct cl c;
	uint32_t sid;
	int n;

	/* the user pauses reading at the first piece: the rest of a window's worth
	 * is held, no WINDOW_UPDATE goes; resumed, it all comes, then the end */
	cl_open(&c, 65535, 0);
	paused_conn = NULL;
	sid = cl_request(&c, "POST", "/pause", 0, 0);
	memset(f, 'p', sizeof(f));
	for (n = 0; n < 4; n++) {
		uint32_t l = n < 3 ? 16384 : 16383;	/* 65535: the whole window */

		loom__h2_put_hdr(f, l, LOOM_H2_F_DATA, n == 3 ? LOOM_H2_FL_END_STREAM : 0,
				 sid);
		cl_send(&c, f, l + 9);
	}
	cl_read(&c, 100);
	LT_CHECK(paused_conn != NULL);
	LT_CHECK(pause_rx > 0 && pause_rx <= 16384);
	LT_CHECK_EQ(c.wu[sid], 0);
	LT_CHECK_EQ(c.status[sid], 0);
	if (paused_conn)
		LT_CHECK_EQ(loom_rx_flow_control(paused_conn, 1), 0);
	cl_read(&c, 100);
	LT_CHECK_EQ(pause_rx, 65535);
	LT_CHECK_EQ(c.status[sid], 200);
	LT_CHECK_EQ(c.goaway_code, -1);
	cl_close(&c);
}

static void
test_flow_control(void)
{
	struct cl c;
	uint8_t f[16];
	uint32_t sid;

	/* a window of 0: the head comes, no DATA; WINDOW_UPDATE 1000 lets 1000 go */
	cl_open(&c, 0, 0);
	sid = cl_request(&c, "GET", "/big", 0, 1);
	cl_read(&c, 50);
	LT_CHECK_EQ(c.status[sid], 200);
	LT_CHECK_EQ(c.data[sid], 0);
	cl_send(&c, f, loom__h2_put_window_update(f, sid, 1000));
	cl_read(&c, 50);
	LT_CHECK_EQ(c.data[sid], 1000);
	LT_CHECK_EQ(c.rst[sid], -1);
	/* then nothing more: after the stall timeout (1 s) the stream is reset */
	cl_read(&c, 1500);
	LT_CHECK_EQ(c.rst[sid], LOOM_H2_ERR_CANCEL);
	LT_CHECK_EQ(c.data[sid], 1000);
	LT_CHECK_EQ(c.goaway_code, -1);
	cl_close(&c);

	/* with room, the whole body */
	cl_open(&c, 65535, 0);
	sid = cl_request(&c, "GET", "/big", 0, 1);
	cl_read(&c, 300);	/* less than the stall timeout */
	LT_CHECK_EQ(c.data[sid], 65535);	/* the stream window, no more */
	cl_send(&c, f, loom__h2_put_window_update(f, sid, BIG_LEN));
	cl_send(&c, f, loom__h2_put_window_update(f, 0, BIG_LEN));
	cl_read(&c, 100);
	LT_CHECK_EQ(c.data[sid], BIG_LEN);
	LT_CHECK(c.ended[sid]);
	cl_close(&c);
}

/* one raw exchange on \p p: send \p req, return what came within a while */
static size_t
raw_exchange(int p, const char *req, size_t rl, char *out, size_t max)
{
	struct sockaddr_in sa;
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), t, n;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)p);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return 0;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (send(fd, req, rl, MSG_NOSIGNAL) != (ssize_t)rl) {
		close(fd);
		return 0;
	}
	for (t = 0; t < 100 && got < max - 1; t++) {
		pump(1);
		while (got < max - 1 && (n = (int)recv(fd, out + got, max - 1 - got, 0)) > 0)
			got += (size_t)n;
	}
	out[got] = '\0';
	close(fd);
	pump(10);

	return got;
}

static void
test_h2c_options(void)
{
	static const char up[] = "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, "
				 "HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: \r\n\r\n";
	char out[4096];

	/* allowed: the preface gets SETTINGS, the upgrade 101 */
	LT_CHECK(raw_exchange(port, LOOM_H2_PREFACE, LOOM_H2_PREFACE_LEN, out,
			      sizeof(out)) >= 9 && out[3] == LOOM_H2_F_SETTINGS);
	LT_CHECK(raw_exchange(port, up, sizeof(up) - 1, out, sizeof(out)) &&
		 !strncmp(out, "HTTP/1.1 101 ", 13));
	/* LOOM_H2_OPT_NO_PRIOR_KNOWLEDGE / _NO_H2C_UPGRADE: HTTP/1.1 answers */
	LT_CHECK(raw_exchange(port_noh2c, LOOM_H2_PREFACE, LOOM_H2_PREFACE_LEN, out,
			      sizeof(out)) && !strncmp(out, "HTTP/1.1 ", 9));
	LT_CHECK(raw_exchange(port_noh2c, up, sizeof(up) - 1, out, sizeof(out)) &&
		 !strncmp(out, "HTTP/1.1 200 ", 13));
}

int
main(void)
{
	struct loom_h2_vhost_info h2;
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_vhost *vh;

	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN, NULL);
	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	memset(&h2, 0, sizeof(h2));
	h2.max_concurrent_streams = MAX_STREAMS;
	h2.max_header_list = MAX_LIST;
	h2.max_header_block = 4096;
	h2.max_resets_per_sec = MAX_RESETS;
	h2.max_pending_acks = MAX_ACKS;
	h2.stall_timeout_secs = 1;
	h2.reset_memory = RESET_MEMORY;
	vinfo.port = 0;
	vinfo.protocols = protocols;
	vinfo.h2 = &h2;
	ctx = loom_create_context(&info);
	vh = ctx ? loom_create_vhost(ctx, &vinfo) : NULL;
	if (!vh) {
		fprintf(stderr, "no context/vhost\n");
		return 1;
	}
	port = loom_vhost_port(vh);
	{
		static struct loom_h2_vhost_info h2n;
		static struct loom_vhost_info vn;

		h2n.options = LOOM_H2_OPT_NO_PRIOR_KNOWLEDGE | LOOM_H2_OPT_NO_H2C_UPGRADE;
		vn = vinfo;
		vn.name = "no-h2c";
		vn.h2 = &h2n;
		vh = loom_create_vhost(ctx, &vn);
		if (!vh) {
			fprintf(stderr, "no second vhost\n");
			return 1;
		}
		port_noh2c = loom_vhost_port(vh);
	}

	test_basic();
	test_h2c_options();
	test_max_streams();
	test_header_list();
	test_frame_size();
	test_continuation();
	test_rapid_reset();
	test_reset_memory();
	test_ping_flood();
	test_settings_flood();
	test_rx_pause();
	test_flow_control();

	loom_context_destroy(ctx);

	return lt_result("api-test-h2-limits");
}
