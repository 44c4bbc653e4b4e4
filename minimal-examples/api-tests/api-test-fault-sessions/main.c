/*
 * api-test-fault-sessions: whole client/server sessions of each role (raw echo, h1
 * GET and POST, h2 GET and POST (a raw client speaking h2 frames to Loom's h2
 * server: h2c prior knowledge, or ALPN "h2" over TLS), ws echo with
 * permessage-deflate, mqtt against mosquitto), plain and TLS, run many times under
 * seeded random faults:
 *
 *   --mode alloc   one allocation fails (or every one from it on, or each with a
 *                  small chance), chosen at random from the seed
 *   --mode sock    socket reads and writes are cut short, fail with EAGAIN, and (in
 *                  two seeds out of three) one fails with ECONNRESET / EPIPE, and
 *                  every later call on that socket too (a reset connection stays so)
 *                  (needs -DLOOM_WITH_FAULT_INJECTION=ON)
 *   --mode split   every socket read and write moves one byte: TLS records and
 *                  every protocol's frames arrive split at each byte
 *   --mode none    clean sessions only
 *
 * Every session must end before its deadline (no hang), the side that did not fail
 * must see the close (no conn left once the client is done), nothing may be left
 * allocated or open after the context is destroyed (no leak), and a session in
 * which no fault fired (or, for sock, none but short and EAGAIN) must complete with
 * its data verified. Each failure prints the seed; --seed S reruns one.
 *
 *   api-test-fault-sessions --mode M [--seeds N] [--seed S | --from S] [--budget SECS]
 *       [--scenarios a,b,...] [--certs DIR] [--mqtt-port P] [--mqtt-tls-port P
 *       --mqtt-ca FILE] [-v]
 */
#include <loom.h>
#include "loom-test.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(LOOM_WITH_OPENSSL)
#include <openssl/crypto.h>
#endif

/* ---- seeded randomness (xorshift64*) ---- */

static uint64_t rng;

static void
rng_seed(uint64_t s)
{
	rng = s * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
	if (!rng)
		rng = 1;
}

static uint32_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;

	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

/* 0 .. n-1 */
static unsigned long
rnd_below(unsigned long n)
{
	return n ? rnd() % n : 0;
}

static int verbose;	/* -v: logs; -vv: debug logs; -vvv: every allocation too */

/* ---- the faulty allocator ---- */

#define MAGIC 0x4641554cu

struct hdr {
	union {
		struct {
			size_t size;
			unsigned int magic;
			unsigned int gen;	/* the session that allocated it */
			unsigned int tls;	/* the TLS library's own block */
		} s;
		long double align_ld;
		long long align_ll;
		void *align_p;
	} u;
};

enum { AF_OFF, AF_SINGLE, AF_STICKY, AF_CHANCE };
/*
 * live_*: blocks allocated in this session (gen) and not freed. The TLS library's
 * process-wide state also comes through the hook and outlives a session, so a block
 * from an earlier session freed or resized now does not count. After a failed
 * allocation OpenSSL may also keep a small block in a process-wide cache until exit
 * (its exit cleanup frees it); so the TLS library's blocks (reason "openssl" or
 * "mbedtls") are counted apart and a few are let pass: a leaked TLS session is
 * dozens of blocks, and LeakSanitizer sees it at exit.
 */
#define TLS_KEPT_MAX	4
static unsigned int gen = 1;
static struct {
	int mode;
	unsigned long calls, at, chance, failed, live_blocks, live_bytes, bad_frees,
		      tls_blocks;
} af;

static void *
faulty_realloc(void *ptr, size_t size, const char *reason)
{
	struct hdr *h = ptr ? (struct hdr *)ptr - 1 : NULL, *nh;
	int was;
	int fail = 0;

	(void)reason;
	if (h && h->u.s.magic != MAGIC) {
		af.bad_frees++;
		return NULL;
	}
	if (!size) {
		if (h) {
			if (h->u.s.gen == gen) {
				if (verbose > 2)
					fprintf(stderr, "alloc-trace free %p\n", (void *)h);
				af.live_blocks--;
				af.live_bytes -= h->u.s.size;
				af.tls_blocks -= h->u.s.tls;
			}
			h->u.s.magic = 0;
			free(h);
		}
		return NULL;
	}
	af.calls++;
	switch (af.mode) {
	case AF_SINGLE:
		fail = af.calls == af.at;
		break;
	case AF_STICKY:
		fail = af.calls >= af.at;
		break;
	case AF_CHANCE:
		fail = af.calls > af.at && !rnd_below(af.chance);
		break;
	default:
		break;
	}
	if (fail) {
		af.failed++;
		return NULL;
	}
	was = h != NULL;	/* h is not to be read after realloc */
	nh = realloc(h, sizeof(*nh) + size);
	if (!nh)
		return NULL;
	if (verbose > 2 && (!was || nh->u.s.gen == gen))
		fprintf(stderr, "alloc-trace %s -> %p %zu %s\n", was ? "re" : "new",
			(void *)nh, size, reason ? reason : "?");
	if (!was) {
		nh->u.s.magic = MAGIC;
		nh->u.s.gen = gen;
		nh->u.s.tls = reason && (!strcmp(reason, "openssl") ||
					 !strcmp(reason, "mbedtls"));
		af.live_blocks++;
		af.tls_blocks += nh->u.s.tls;
	} else if (nh->u.s.gen == gen)
		af.live_bytes -= nh->u.s.size;
	if (nh->u.s.gen == gen)
		af.live_bytes += size;
	nh->u.s.size = size;

	return nh + 1;
}

/* ---- the socket shim (include/loom/fault.h) ---- */

enum { SF_OFF, SF_COUNT, SF_RANDOM, SF_SPLIT };
static struct {
	int mode;
	unsigned long calls, reset_at, shorts, eagains, resets;
	int dead_fd;		/* reset: every later call on it fails too, as a
				 * real reset connection's would; -1 = none */
} sf = { SF_OFF, 0, 0, 0, 0, 0, -1 };

#if defined(LOOM_WITH_FAULT_INJECTION)
static int
sock_hook(void *opaque, enum loom_fault_io op, int fd, size_t *len)
{
	unsigned long r;

	(void)opaque;
	(void)fd;
	if (sf.mode == SF_COUNT) {
		sf.calls++;
		return 0;
	}
	if (sf.mode == SF_SPLIT) {
		*len = 1;
		return 0;
	}
	if (sf.mode != SF_RANDOM)
		return 0;
	sf.calls++;
	if (fd == sf.dead_fd)
		return op == LOOM_FAULT_RECV ? ECONNRESET : EPIPE;
	if (sf.reset_at && sf.calls == sf.reset_at) {
		sf.resets++;
		sf.dead_fd = fd;
		if (verbose)
			fprintf(stderr, "fault: %s on fd %d fails (%zu bytes asked)\n",
				op == LOOM_FAULT_RECV ? "recv" : "send", fd, *len);
		return op == LOOM_FAULT_RECV ? ECONNRESET : (rnd() & 1 ? EPIPE : ECONNRESET);
	}
	r = rnd_below(100);
	if (r < 20) {
		sf.eagains++;
		return EAGAIN;
	}
	if (r < 55 && *len > 1) {
		*len = 1 + rnd_below(*len - 1);
		sf.shorts++;
	}

	return 0;
}
#endif

/* ---- what a session does ---- */

enum kind { K_RAW, K_H1_GET, K_H1_POST, K_WS, K_MQTT, K_H2_GET, K_H2_POST
	/* K_WS_H2 (RFC 8441) when Loom has it */ };

struct scenario {
	const char *name;
	enum kind kind;
	int tls;
};

static const struct scenario scenarios[] = {
	{ "raw", K_RAW, 0 },		{ "raw-tls", K_RAW, 1 },
	{ "h1-get", K_H1_GET, 0 },	{ "h1-get-tls", K_H1_GET, 1 },
	{ "h1-post", K_H1_POST, 0 },	{ "h1-post-tls", K_H1_POST, 1 },
	{ "ws", K_WS, 0 },		{ "ws-tls", K_WS, 1 },
	{ "mqtt", K_MQTT, 0 },		{ "mqtt-tls", K_MQTT, 1 },
#if defined(LOOM_WITH_H2)
	{ "h2-get", K_H2_GET, 0 },	{ "h2-get-tls", K_H2_GET, 1 },
	{ "h2-post", K_H2_POST, 0 },	{ "h2-post-tls", K_H2_POST, 1 },
#endif
};
#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

static const char *certdir, *mqtt_ca;
static unsigned long setup_allocs;	/* allocations before the client connects */
static int mqtt_port, mqtt_tls_port;
static unsigned long mqtt_serial;

/* payload sizes: small, more than one read, more than the socket takes at once */
static const size_t raw_sizes[] = { 17, 3000, 70000 };
static const size_t ws_sizes[] = { 100, 30000, 5000, 0 };
#define GET_LEN		20000
#define POST_LEN	50000
#define MAX_MSG		70000

static unsigned char txbuf[LOOM_PRE + MAX_MSG], rxbuf[MAX_MSG];

static unsigned char
pattern(size_t i)
{
	/* compressible but not trivially so: permessage-deflate has work to do */
	return (unsigned char)("loom fault "[i % 11] + ((i >> 10) & 7));
}

static struct {
	const struct scenario *sc;
	int done;		/* the client verified everything it came for */
	int closed;		/* the client's conn ended (CLOSED or CONNECTION_ERROR) */
	int bad;		/* wrong data seen */
	unsigned int step;	/* messages sent (raw, ws) */
	size_t sent, rx;	/* bytes */
	unsigned int status;
	struct loom_conn *cli;
} S;

static size_t
total(const size_t *sizes, size_t n)
{
	size_t t = 0, i;

	for (i = 0; i < n; i++)
		t += sizes[i];

	return t;
}

static void
fill(size_t ofs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		txbuf[LOOM_PRE + i] = pattern(ofs + i);
}

static void
check(const unsigned char *p, size_t ofs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != pattern(ofs + i)) {
			S.bad++;
			return;
		}
}

/* ---- server side ---- */

struct pss_srv {
	struct loom_buflist *q;	/* raw: bytes to echo; ws: the message coming in */
	uint64_t body;		/* h1 POST */
	int ready;		/* ws: a whole message waits in q */
	int binary;
};

static int
cb_srv_raw(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	   void *in, size_t len)
{
	struct pss_srv *p = user;
	size_t n;

	switch (reason) {
	case LOOM_CB_RAW_RX:
		if (loom_buflist_append_segment(&p->q, in, len) < 0)
			return -1;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		n = loom_buflist_linear_use(&p->q, txbuf + LOOM_PRE, 8192);
		if (n && loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		if (p->q)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_CLOSE:
		loom_buflist_destroy_all_segments(&p->q);
		break;
	default:
		break;
	}

	return 0;
}

static int
cb_srv_http(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	    void *in, size_t len)
{
	struct pss_srv *p = user;
	char body[64];
	int n;

	switch (reason) {
	case LOOM_CB_HTTP:
		p->body = 0;
		if (loom_http_method(conn) == LOOM_HTTP_METHOD_GET) {
			fill(0, GET_LEN);
			return loom_http_respond_simple(conn, 200, "application/octet-stream",
							txbuf + LOOM_PRE, GET_LEN) < 0;
		}
		break;
	case LOOM_CB_HTTP_BODY:
		p->body += len;
		break;
	case LOOM_CB_HTTP_BODY_COMPLETION:
		n = snprintf(body, sizeof(body), "received %llu bytes",
			     (unsigned long long)p->body);
		return loom_http_respond_simple(conn, 200, "text/plain", body,
						(size_t)n) < 0;
	default:
		break;
	}

	return 0;
}

static int
cb_srv_ws(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct pss_srv *p = user;
	size_t n;

	switch (reason) {
	case LOOM_CB_RECEIVE:
		if (p->ready)
			return -1;	/* the client waits for each echo */
		if (len && loom_buflist_append_segment(&p->q, in, len) < 0)
			return -1;
		if (loom_ws_is_final_fragment(conn)) {
			p->ready = 1;
			p->binary = loom_ws_frame_is_binary(conn);
			loom_callback_on_writable(conn);
		}
		break;
	case LOOM_CB_SERVER_WRITEABLE:
		if (!p->ready)
			break;
		n = loom_buflist_linear_use(&p->q, txbuf + LOOM_PRE, MAX_MSG);
		p->ready = 0;
		if (loom_write(conn, txbuf + LOOM_PRE, n,
			       p->binary ? LOOM_WRITE_BINARY : LOOM_WRITE_TEXT) < 0)
			return -1;
		break;
	case LOOM_CB_CLOSED:
		loom_buflist_destroy_all_segments(&p->q);
		break;
	default:
		break;
	}

	return 0;
}

/* ---- client side ---- */

static int
cb_cli_raw(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	   void *in, size_t len)
{
	size_t n, all = total(raw_sizes, 3);

	switch (reason) {
	case LOOM_CB_RAW_CONNECTED:
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		if (S.step == 3)
			break;
		n = raw_sizes[S.step++];
		fill(S.sent, n);
		if (loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		S.sent += n;
		if (S.step < 3)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_RX:
		check(in, S.rx, len);
		S.rx += len;
		if (S.rx > all)
			S.bad++;
		if (S.rx == all) {
			S.done = 1;
			return -1;	/* all echoed: we close */
		}
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
	case LOOM_CB_RAW_CLOSE:
		S.closed = 1;
		break;
	default:
		break;
	}

	return 0;
}

static int
cb_cli_http(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	    void *in, size_t len)
{
	char want[64];
	size_t n;

	switch (reason) {
	case LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (S.sc->kind == K_H1_POST)
			return loom_http_client_body(conn, POST_LEN) < 0;
		break;
	case LOOM_CB_CLIENT_HTTP_WRITEABLE:
		n = POST_LEN - S.sent < 4096 ? POST_LEN - S.sent : 4096;
		fill(S.sent, n);
		S.sent += n;
		if (loom_http_write_body(conn, txbuf + LOOM_PRE, n, S.sent == POST_LEN) < 0)
			return -1;
		if (S.sent < POST_LEN)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_ESTABLISHED_CLIENT_HTTP:
		S.status = loom_http_status(conn);
		break;
	case LOOM_CB_RECEIVE_CLIENT_HTTP:
		if (S.sc->kind == K_H1_GET)
			check(in, S.rx, len);
		else if (S.rx + len <= sizeof(rxbuf))
			memcpy(rxbuf + S.rx, in, len);
		S.rx += len;
		break;
	case LOOM_CB_COMPLETED_CLIENT_HTTP:
		if (S.sc->kind == K_H1_GET)
			S.done = S.status == 200 && S.rx == GET_LEN;
		else {
			n = (size_t)snprintf(want, sizeof(want), "received %u bytes",
					     POST_LEN);
			S.done = S.status == 200 && S.rx == n && !memcmp(rxbuf, want, n);
		}
		if (!S.done)
			S.bad++;
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
	case LOOM_CB_CLOSED_CLIENT_HTTP:
		S.closed = 1;
		break;
	default:
		break;
	}

	return 0;
}

static int
cb_cli_ws(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	size_t n = ws_sizes[S.step < 4 ? S.step : 3];

	switch (reason) {
	case LOOM_CB_CLIENT_ESTABLISHED:
		if (!loom_ws_deflate_active(conn) && loom_ws_deflate_available())
			S.bad++;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_CLIENT_WRITEABLE:
		if (!n || S.sent)
			break;
		fill(0, n);
		if (loom_write(conn, txbuf + LOOM_PRE, n,
			       S.step == 1 ? LOOM_WRITE_BINARY : LOOM_WRITE_TEXT) < 0)
			return -1;
		S.sent = n;
		break;
	case LOOM_CB_CLIENT_RECEIVE:
		if (!S.sent || S.rx + len > S.sent) {
			S.bad++;
			return -1;
		}
		check(in, S.rx, len);
		S.rx += len;
		if (!loom_ws_is_final_fragment(conn))
			break;
		if (S.rx != S.sent || !!loom_ws_frame_is_binary(conn) != (S.step == 1))
			S.bad++;
		S.step++;
		S.sent = S.rx = 0;
		if (!ws_sizes[S.step]) {
			S.done = 1;
			loom_ws_close_reason(conn, 1000, "done", 4);
			return -1;
		}
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
	case LOOM_CB_CLIENT_CLOSED:
		S.closed = 1;
		break;
	default:
		break;
	}

	return 0;
}

/*
 * h2: the client is a raw conn writing frames by hand: the preface, SETTINGS, one
 * request on stream 1 (HPACK: static-table names, no Huffman), the body in DATA
 * frames for POST. It ACKs the server's SETTINGS, reads the response's DATA on
 * stream 1 to END_STREAM and checks it, then closes.
 */
static uint8_t h2in[16384 + 9];
static size_t h2in_len;

static size_t
h2_frame(uint8_t *p, size_t len, uint8_t type, uint8_t flags, uint32_t sid)
{
	p[0] = (uint8_t)(len >> 16);
	p[1] = (uint8_t)(len >> 8);
	p[2] = (uint8_t)len;
	p[3] = type;
	p[4] = flags;
	p[5] = (uint8_t)(sid >> 24);
	p[6] = (uint8_t)(sid >> 16);
	p[7] = (uint8_t)(sid >> 8);
	p[8] = (uint8_t)sid;

	return 9 + len;
}

/* a literal header field without indexing, name from the static table */
static size_t
hpack_lit(uint8_t *p, unsigned int name_idx, const char *v)
{
	size_t n = 0, vl = strlen(v);

	if (name_idx < 15)
		p[n++] = (uint8_t)name_idx;
	else {
		p[n++] = 0x0f;
		p[n++] = (uint8_t)(name_idx - 15);
	}
	p[n++] = (uint8_t)vl;	/* < 127, no Huffman */
	memcpy(p + n, v, vl);

	return n + vl;
}

static size_t
h2_request(uint8_t *p)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	size_t n = sizeof(preface) - 1, h;
	int post = S.sc->kind == K_H2_POST;
	char cl[16];

	memcpy(p, preface, n);
	n += h2_frame(p + n, 0, 4, 0, 0);		/* SETTINGS, none */
	h = n + 9;
	p[h++] = post ? 0x83 : 0x82;			/* :method */
	p[h++] = S.sc->tls ? 0x87 : 0x86;		/* :scheme */
	h += hpack_lit(p + h, 4, post ? "/post" : "/get");	/* :path */
	h += hpack_lit(p + h, 1, "127.0.0.1");		/* :authority */
	if (post) {
		snprintf(cl, sizeof(cl), "%u", POST_LEN);
		h += hpack_lit(p + h, 28, cl);		/* content-length */
	}
	/* HEADERS, END_HEADERS (+ END_STREAM for GET) */
	n += h2_frame(p + n, h - n - 9, 1, post ? 0x4 : 0x5, 1);

	return n;
}

static int
h2_frames_in(struct loom_conn *conn, const uint8_t *in, size_t len)
{
	static uint8_t ack[LOOM_PRE + 9];
	const char *want = "received 50000 bytes";
	size_t fl, take;

	while (len) {
		take = sizeof(h2in) - h2in_len < len ? sizeof(h2in) - h2in_len : len;
		memcpy(h2in + h2in_len, in, take);
		h2in_len += take;
		in += take;
		len -= take;
		while (h2in_len >= 9) {
			fl = ((size_t)h2in[0] << 16) | ((size_t)h2in[1] << 8) | h2in[2];
			if (fl > sizeof(h2in) - 9) {
				S.bad++;
				return -1;
			}
			if (h2in_len < 9 + fl)
				break;
			if (h2in[3] == 4 && !(h2in[4] & 1)) {	/* SETTINGS: ACK it */
				h2_frame(ack + LOOM_PRE, 0, 4, 1, 0);
				if (loom_write(conn, ack + LOOM_PRE, 9, LOOM_WRITE_RAW) < 0)
					return -1;
			}
			if (h2in[3] == 0 && h2in[8] == 1) {	/* DATA on stream 1 */
				if (h2in[4] & 0x8) {		/* no PADDED from Loom */
					S.bad++;
					return -1;
				}
				if (S.sc->kind == K_H2_GET)
					check(h2in + 9, S.rx, fl);
				else if (S.rx + fl > strlen(want) ||
					 memcmp(h2in + 9, want + S.rx, fl))
					S.bad++;
				S.rx += fl;
				if (h2in[4] & 1) {		/* END_STREAM */
					S.done = S.rx == (S.sc->kind == K_H2_GET ?
							  GET_LEN : strlen(want));
					if (!S.done)
						S.bad++;
					return -1;		/* all there: we close */
				}
			}
			if (h2in[3] == 3 && h2in[8] == 1)	/* RST_STREAM on ours */
				return -1;
			memmove(h2in, h2in + 9 + fl, h2in_len - 9 - fl);
			h2in_len -= 9 + fl;
		}
	}

	return 0;
}

static int
cb_cli_h2(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	size_t n;

	switch (reason) {
	case LOOM_CB_RAW_CONNECTED:
		h2in_len = 0;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		if (!S.step) {
			S.step = 1;
			n = h2_request(txbuf + LOOM_PRE);
			if (loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
				return -1;
			if (S.sc->kind == K_H2_POST)
				loom_callback_on_writable(conn);
			break;
		}
		if (S.sc->kind != K_H2_POST || S.sent == POST_LEN)
			break;
		/* the body: DATA frames of 10000 (inside the 65535 default window) */
		n = POST_LEN - S.sent < 10000 ? POST_LEN - S.sent : 10000;
		fill(S.sent, n);
		memmove(txbuf + LOOM_PRE + 9, txbuf + LOOM_PRE, n);
		S.sent += n;
		h2_frame(txbuf + LOOM_PRE, n, 0, S.sent == POST_LEN ? 1 : 0, 1);
		if (loom_write(conn, txbuf + LOOM_PRE, n + 9, LOOM_WRITE_RAW) < 0)
			return -1;
		if (S.sent < POST_LEN)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_RX:
		return h2_frames_in(conn, in, len);
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
	case LOOM_CB_RAW_CLOSE:
		S.closed = 1;
		break;
	default:
		break;
	}

	return 0;
}

static char mqtt_topic[64];

static int
cb_cli_mqtt(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	    void *in, size_t len)
{
	const struct loom_mqtt_message *m = in;
	struct loom_mqtt_publish_info pub;
	struct loom_mqtt_topic t;

	switch (reason) {
	case LOOM_CB_MQTT_CLIENT_ESTABLISHED:
		memset(&t, 0, sizeof(t));
		t.filter = mqtt_topic;
		t.qos = 1;
		if (loom_mqtt_subscribe(conn, &t, 1) <= 0)
			return -1;
		break;
	case LOOM_CB_MQTT_SUBSCRIBED:
		fill(0, 3000);
		memset(&pub, 0, sizeof(pub));
		pub.topic = mqtt_topic;
		pub.payload = txbuf + LOOM_PRE;
		pub.payload_len = 3000;
		pub.qos = 1;
		if (loom_mqtt_publish(conn, &pub) <= 0)
			return -1;
		break;
	case LOOM_CB_MQTT_CLIENT_RX:
		if (m->payload_len != 3000 || m->topic_len != strlen(mqtt_topic) ||
		    memcmp(m->topic, mqtt_topic, m->topic_len)) {
			S.bad++;
			return -1;
		}
		check(m->payload, 0, m->payload_len);
		S.done = 1;
		loom_mqtt_disconnect(conn, 0);
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
	case LOOM_CB_MQTT_CLIENT_CLOSED:
		S.closed = 1;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol srv_raw_protocols[] = {
	{ "echo", cb_srv_raw, sizeof(struct pss_srv), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static const struct loom_protocol srv_http_protocols[] = {
	{ "http", loom_callback_default, 0, 0, 0, NULL, 0 },
	{ "fault-http", cb_srv_http, sizeof(struct pss_srv), 0, 0, NULL, 0 },
	{ "fault-echo", cb_srv_ws, sizeof(struct pss_srv), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static const struct loom_protocol cli_protocols[] = {
	{ "cli-raw", cb_cli_raw, 0, 0, 0, NULL, 0 },
	{ "cli-http", cb_cli_http, 0, 0, 0, NULL, 0 },
	{ "cli-ws", cb_cli_ws, 0, 0, 0, NULL, 0 },
	{ "cli-mqtt", cb_cli_mqtt, 0, 0, 0, NULL, 0 },
	{ "cli-h2", cb_cli_h2, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* ---- one session ---- */

enum outcome { O_NO_CONTEXT, O_NO_VHOST, O_NO_CONNECT, O_ENDED, O_DONE, O_HANG,
	       O_COUNT };
static const char *const onames[O_COUNT] = {
	"no context", "no vhost", "no connect", "ended early", "complete", "HANG"
};

static char certbuf[3][600];

static const char *
cert(int i, const char *name)
{
	snprintf(certbuf[i], sizeof(certbuf[i]), "%s/%s", certdir, name);

	return certbuf[i];
}

static void
null_emit(int level, const char *line)
{
	(void)level;
	if (verbose)
		fprintf(stderr, "%s\n", line);
}

/* the session's deadline: split mode moves a byte per call, so it gets longer */
static loom_usec_t
deadline_us(void)
{
	return sf.mode == SF_SPLIT ? 60000000 : 10000000;
}

static int
session(const struct scenario *sc, int *server_left)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_http_mount mount;
	struct loom_http_vhost_info hinfo;
	struct loom_ws_vhost_info wsinfo;
	struct loom_tls_vhost_info tsrv;
	struct loom_tls_client_info tcli;
	struct loom_client_connect_info ci;
	struct loom_mqtt_client_info mi;
	struct loom_context *ctx;
	struct loom_vhost *vh = NULL, *cvh;
	loom_usec_t end;
	char cid[48];
	int r;

	memset(&S, 0, sizeof(S));
	S.sc = sc;
	*server_left = 0;
	memset(&info, 0, sizeof(info));
	info.timeout_secs = 5;
	ctx = loom_create_context(&info);
	if (!ctx)
		return O_NO_CONTEXT;

	memset(&tsrv, 0, sizeof(tsrv));
	tsrv.cert_path = cert(0, "server.pem");
	tsrv.key_path = cert(1, "server.key");
	tsrv.alpn = "h2,http/1.1";
	memset(&tcli, 0, sizeof(tcli));
	tcli.ca_path = sc->kind == K_MQTT ? mqtt_ca : cert(2, "ca.pem");
	tcli.server_name = "localhost";
	tcli.alpn = sc->kind == K_H2_GET || sc->kind == K_H2_POST ? "h2" : NULL;

	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.iface = "127.0.0.1";
	vinfo.tls = sc->tls ? &tsrv : NULL;
	switch (sc->kind) {
	case K_RAW:
		vinfo.options = LOOM_VHOST_OPT_RAW;
		vinfo.protocols = srv_raw_protocols;
		vinfo.listen_accept_protocol = "echo";
		vh = loom_create_vhost(ctx, &vinfo);
		break;
	case K_H1_GET:
	case K_H1_POST:
	case K_WS:
	case K_H2_GET:
	case K_H2_POST:
		memset(&mount, 0, sizeof(mount));
		mount.mountpoint = "/";
		mount.origin = "fault-http";
		mount.kind = LOOM_MOUNT_CALLBACK;
		memset(&hinfo, 0, sizeof(hinfo));
		hinfo.mounts = &mount;
		memset(&wsinfo, 0, sizeof(wsinfo));
		wsinfo.default_protocol = "fault-echo";
		vinfo.protocols = srv_http_protocols;
		vinfo.http = &hinfo;
		vinfo.ws = &wsinfo;
		vh = loom_create_vhost(ctx, &vinfo);
		break;
	case K_MQTT:
		break;
	}
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.name = "client";
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = cli_protocols;
	cvh = loom_create_vhost(ctx, &vinfo);
	if ((sc->kind != K_MQTT && !vh) || !cvh) {
		loom_context_destroy(ctx);
		return O_NO_VHOST;
	}

	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = cvh;
	ci.address = "127.0.0.1";
	ci.port = vh ? loom_vhost_port(vh) : sc->tls ? mqtt_tls_port : mqtt_port;
	ci.timeout_ms = 5000;
	ci.tls = sc->tls ? &tcli : NULL;
	ci.pconn = &S.cli;
	switch (sc->kind) {
	case K_RAW:
		ci.flags = LOOM_CONNECT_RAW;
		ci.protocol = "cli-raw";
		break;
	case K_H1_GET:
		ci.method = "GET";
		ci.path = "/get";
		ci.protocol = "cli-http";
		break;
	case K_H1_POST:
		ci.method = "POST";
		ci.path = "/post";
		ci.protocol = "cli-http";
		break;
	case K_WS:
		ci.flags = LOOM_CONNECT_WS | LOOM_CONNECT_WS_DEFLATE;
		ci.path = "/";
		ci.protocol = "cli-ws";
		break;
	case K_H2_GET:
	case K_H2_POST:
		ci.flags = LOOM_CONNECT_RAW;
		ci.protocol = "cli-h2";
		break;
	case K_MQTT:
		snprintf(cid, sizeof(cid), "loom-fault-%d-%lu", (int)getpid(),
			 ++mqtt_serial);
		snprintf(mqtt_topic, sizeof(mqtt_topic), "loom/fault/%s", cid);
		memset(&mi, 0, sizeof(mi));
		mi.client_id = cid;
		mi.protocol_version = (mqtt_serial & 1) ? LOOM_MQTT_V5 : LOOM_MQTT_V311;
		mi.clean_start = 1;
		mi.keep_alive = 30;
		ci.mqtt = &mi;
		ci.protocol = "cli-mqtt";
		break;
	}
	setup_allocs = af.calls;
	if (!loom_client_connect(&ci)) {
		loom_context_destroy(ctx);
		return O_NO_CONNECT;
	}

	/* bounded: the client must end, then the server side must see it end */
	end = loom_now_usecs() + deadline_us();
	while (!S.closed && loom_now_usecs() < end)
		if (loom_service(ctx, 20) < 0)
			break;
	if (S.closed) {
		end = loom_now_usecs() + 3000000;
		while (loom_conn_count(ctx, 0) && loom_now_usecs() < end)
			loom_service(ctx, 20);
		*server_left = (int)loom_conn_count(ctx, 0);
	}
	r = !S.closed ? O_HANG : S.done && !S.bad ? O_DONE : O_ENDED;
	loom_context_destroy(ctx);

	return r;
}

/* ---- the runs ---- */

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);

	return n;
}

static const char *mode_name;
static unsigned long clean_allocs[NSCEN], clean_setup[NSCEN], clean_io[NSCEN];
static struct {
	unsigned long runs, outcomes[O_COUNT], problems, faults_fired, tls_kept;
} tally[NSCEN];

/* set the faults for seed \p seed on scenario \p i; returns a line describing them */
static void
arm(unsigned long seed, size_t i, char *desc, size_t dlen)
{
	unsigned long n, lo;

	rng_seed(seed * 131 + i);
	memset(&af, 0, sizeof(af));
	gen++;
	sf.calls = sf.reset_at = sf.shorts = sf.eagains = sf.resets = 0;
	sf.dead_fd = -1;
	desc[0] = '\0';
	if (!strcmp(mode_name, "alloc")) {
		/* three in four aim past the context and vhost setup, into the session */
		n = clean_allocs[i] + clean_allocs[i] / 8 + 1;
		lo = rnd_below(4) ? clean_setup[i] : 0;
		switch (rnd_below(4)) {
		case 0:
		case 1:
			af.mode = AF_SINGLE;
			af.at = lo + 1 + rnd_below(n - lo);
			snprintf(desc, dlen, "allocation %lu of ~%lu fails", af.at,
				 clean_allocs[i]);
			break;
		case 2:
			af.mode = AF_STICKY;
			af.at = lo + 1 + rnd_below(n - lo);
			snprintf(desc, dlen, "every allocation from %lu of ~%lu fails",
				 af.at, clean_allocs[i]);
			break;
		default:
			af.mode = AF_CHANCE;
			af.at = lo;
			af.chance = 1 + clean_allocs[i] / 3;
			snprintf(desc, dlen, "each allocation fails with chance 1/%lu",
				 af.chance);
			break;
		}
	} else if (!strcmp(mode_name, "sock")) {
		sf.mode = SF_RANDOM;
		/* in one seed of three, nothing but short reads/writes and EAGAIN */
		if (rnd_below(3))
			sf.reset_at = 1 + rnd_below(clean_io[i] + 2);
		if (sf.reset_at)
			snprintf(desc, dlen, "short and EAGAIN; reset at socket call %lu "
				 "of ~%lu", sf.reset_at, clean_io[i]);
		else
			snprintf(desc, dlen, "short and EAGAIN only");
	} else if (!strcmp(mode_name, "split"))
		sf.mode = SF_SPLIT;
}

/* one seeded session of scenario i, checked; returns the number of problems */
static int
run_one(unsigned long seed, size_t i, int fds0)
{
	const struct scenario *sc = &scenarios[i];
	char desc[128];
	int o, left, fds, problems = 0, fired, must_complete;

	arm(seed, i, desc, sizeof(desc));
	if (verbose)
		fprintf(stderr, "seed %lu %s: %s\n", seed, sc->name, desc);
	o = session(sc, &left);
#if defined(LOOM_WITH_OPENSSL)
	/*
	 * OpenSSL keeps per-thread state (the error queue's buffers, made on a
	 * failure) through the allocator hook until the thread ends: end it here,
	 * so what remains allocated is Loom's own.
	 */
	OPENSSL_thread_stop();
#endif
	fired = af.failed || sf.resets;
	/* short reads/writes and EAGAIN are not failures: the session must cope */
	must_complete = !fired;
	af.mode = AF_OFF;
	sf.mode = SF_OFF;
	tally[i].runs++;
	tally[i].outcomes[o]++;
	if (fired)
		tally[i].faults_fired++;

	if (o == O_HANG) {
		fprintf(stderr, "seed %lu %s [%s]: the client never ended (hang)\n", seed,
			sc->name, desc);
		problems++;
	}
	if (left) {
		fprintf(stderr, "seed %lu %s [%s]: %d server conn(s) never saw the close\n",
			seed, sc->name, desc, left);
		problems++;
	}
	if (must_complete && o != O_DONE) {
		fprintf(stderr, "seed %lu %s [%s]: no fault fired, yet: %s%s\n", seed,
			sc->name, desc, onames[o], S.bad ? " (bad data)" : "");
		problems++;
	}
	if (S.bad && o == O_DONE) {
		fprintf(stderr, "seed %lu %s [%s]: wrong data\n", seed, sc->name, desc);
		problems++;
	}
	if (af.live_blocks > af.tls_blocks || af.tls_blocks > TLS_KEPT_MAX) {
		fprintf(stderr, "seed %lu %s [%s]: %lu blocks (%lu bytes; %lu of the TLS "
			"library) left after destroy (%s)\n", seed, sc->name, desc,
			af.live_blocks, af.live_bytes, af.tls_blocks, onames[o]);
		problems++;
	} else if (af.tls_blocks)
		tally[i].tls_kept++;
	fds = count_fds();
	if (fds != fds0) {
		fprintf(stderr, "seed %lu %s [%s]: %d fds left open (%s)\n", seed, sc->name,
			desc, fds - fds0, onames[o]);
		problems++;
	}
	tally[i].problems += (unsigned long)problems;

	return problems;
}

static int
wanted(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (!list)
		return 1;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
		p += n;
	}

	return 0;
}

int
main(int argc, char **argv)
{
	unsigned long seeds = 50, seed0 = 0, s;
	const char *only = NULL;
	int one_seed = 0, budget = 120, fds0, n, o;
	int usable[NSCEN];
	loom_usec_t t_end;
	size_t i;

	mode_name = "none";
	for (n = 1; n < argc; n++) {
		const char *a = argv[n], *v = n + 1 < argc ? argv[n + 1] : NULL;

		if (!strcmp(a, "-v") || !strcmp(a, "-vv") || !strcmp(a, "-vvv")) {
			verbose = (int)strlen(a) - 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "%s: %s needs a value\n", argv[0], a);
			return 2;
		}
		n++;
		if (!strcmp(a, "--mode"))
			mode_name = v;
		else if (!strcmp(a, "--seeds"))
			seeds = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--seed")) {
			seed0 = strtoul(v, NULL, 10);
			one_seed = 1;
		} else if (!strcmp(a, "--from")) {
			seed0 = strtoul(v, NULL, 10);	/* --seeds of them from here */
			one_seed = 2;
		} else if (!strcmp(a, "--budget"))
			budget = atoi(v);
		else if (!strcmp(a, "--scenarios"))
			only = v;
		else if (!strcmp(a, "--certs"))
			certdir = v;
		else if (!strcmp(a, "--mqtt-port"))
			mqtt_port = atoi(v);
		else if (!strcmp(a, "--mqtt-tls-port"))
			mqtt_tls_port = atoi(v);
		else if (!strcmp(a, "--mqtt-ca"))
			mqtt_ca = v;
		else {
			fprintf(stderr, "%s: unknown option %s\n", argv[0], a);
			return 2;
		}
	}
	if (strcmp(mode_name, "alloc") && strcmp(mode_name, "sock") &&
	    strcmp(mode_name, "split") && strcmp(mode_name, "none")) {
		fprintf(stderr, "--mode alloc|sock|split|none\n");
		return 2;
	}
#if !defined(LOOM_WITH_FAULT_INJECTION)
	if (!strcmp(mode_name, "sock") || !strcmp(mode_name, "split")) {
		fprintf(stderr, "FAIL: --mode %s needs -DLOOM_WITH_FAULT_INJECTION=ON\n",
			mode_name);
		return 1;
	}
#else
	loom_fault_set_io_hook(sock_hook, NULL);
#endif
	if (!one_seed) {
		/*
		 * a fresh seed each run, printed so a failure can be replayed. Not from
		 * loom_random(): the TLS library must not start before the allocator
		 * is set, so that its allocations come through the hook (and fail) too
		 */
		seed0 = ((unsigned long)time(NULL) * 2654435761ul ^
			 (unsigned long)getpid() * 40503ul) % 1000000000ul;
	}
	printf("mode %s, first seed %lu (replay one: --mode %s --seed N)\n", mode_name,
	       seed0, mode_name);

	/* which scenarios this build and these arguments can run; a missing peer fails */
	for (i = 0; i < NSCEN; i++) {
		const struct scenario *sc = &scenarios[i];

		usable[i] = wanted(only, sc->name);
		if (!usable[i])
			continue;
#if !defined(LOOM_WITH_TLS)
		if (sc->tls) {
			usable[i] = 0;	/* no TLS in this build */
			continue;
		}
#endif
		if (sc->tls && !certdir) {
			fprintf(stderr, "FAIL: %s needs --certs DIR\n", sc->name);
			LT_CHECK(0);
			usable[i] = 0;
		}
		if (sc->kind == K_MQTT && !(sc->tls ? mqtt_tls_port && mqtt_ca : mqtt_port)) {
			if (only) {
				fprintf(stderr, "FAIL: %s needs its broker port\n", sc->name);
				LT_CHECK(0);
			}
			usable[i] = 0;
		}
	}

	loom_set_log_level(verbose ? LOOM_LL_DEFAULT | LOOM_LL_INFO |
			   (verbose > 1 ? LOOM_LL_DEBUG : 0) : 0, null_emit);
	loom_set_allocator(faulty_realloc);
	fds0 = count_fds();

	/*
	 * a clean run of each first: it must complete, and says how much to aim at. The
	 * first session of each kind also sets up process-wide state (the TLS library's),
	 * kept until exit: the second one is the one measured.
	 */
	for (i = 0; i < NSCEN; i++) {
		int left;

		if (!usable[i])
			continue;
		session(&scenarios[i], &left);
		memset(&af, 0, sizeof(af));
		gen++;
		sf.mode = SF_COUNT;
		sf.calls = 0;
		o = session(&scenarios[i], &left);
#if defined(LOOM_WITH_OPENSSL)
		OPENSSL_thread_stop();	/* as in run_one() */
#endif
		sf.mode = SF_OFF;
		clean_allocs[i] = af.calls;
		clean_setup[i] = setup_allocs < af.calls ? setup_allocs : 0;
		clean_io[i] = sf.calls ? sf.calls : 200;	/* 0 without the seam */
		LT_CHECK_EQ(o, O_DONE);
		LT_CHECK_EQ(left, 0);
		LT_CHECK_EQ(af.live_blocks, 0);
		if (o != O_DONE || left || af.live_blocks)
			fprintf(stderr, "%s: the clean session failed: %s, %d server conns "
				"left, %lu blocks\n", scenarios[i].name, onames[o], left,
				af.live_blocks);
	}
	LT_CHECK_EQ(count_fds(), fds0);

	t_end = loom_now_usecs() + (loom_usec_t)budget * 1000000;
	for (s = 0; s < (one_seed == 1 ? 1 : seeds); s++) {
		if (loom_now_usecs() > t_end) {
			printf("time budget of %d s reached after %lu seeds\n", budget, s);
			break;
		}
		for (i = 0; i < NSCEN; i++)
			if (usable[i])
				LT_CHECK_EQ(run_one(seed0 + s, i, fds0), 0);
	}

	for (i = 0; i < NSCEN; i++) {
		if (!usable[i])
			continue;
		printf("%-12s %4lu runs (clean: %lu allocs, %lu socket calls), faults "
		       "fired in %lu:", scenarios[i].name, tally[i].runs, clean_allocs[i],
		       clean_io[i], tally[i].faults_fired);
		for (n = 0; n < O_COUNT; n++)
			if (tally[i].outcomes[n])
				printf(" %s %lu,", onames[n], tally[i].outcomes[n]);
		if (tally[i].tls_kept)
			printf(" TLS library kept a cached block in %lu,", tally[i].tls_kept);
		printf(" problems %lu\n", tally[i].problems);
	}
	LT_CHECK_EQ(af.bad_frees, 0);
	loom_set_allocator(NULL);
#if defined(LOOM_WITH_FAULT_INJECTION)
	loom_fault_set_io_hook(NULL, NULL);
#endif

	return lt_result("api-test-fault-sessions");
}
