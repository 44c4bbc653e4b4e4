/*
 * api-test-h2-frame: the HTTP/2 frame reader and writers (RFC 9113 4, 6) with no
 * sockets: every frame stream fed whole, byte by byte and split at every position
 * must give the same events; each per-frame rule gives its error code; padding and
 * fixed fields are stripped; a callback may stop the reader and resume it.
 */
#include "roles/h2/private-h2-codec.h"

#include <stdlib.h>
#include <string.h>

#include "loom-test.h"

/* what a feed produced, as text: one line per frame, payload in hex */
struct log {
	char text[16384];
	size_t tl;
	uint8_t payload[70000];
	size_t pl;
	int pieces;		/* PAYLOAD events in this frame */
	int hdr_seen;
	int stop_every;		/* return 5 from every event (resume test) */
};

static void
logf_(struct log *l, const char *s)
{
	size_t n = strlen(s);

	if (l->tl + n < sizeof(l->text)) {
		memcpy(l->text + l->tl, s, n + 1);
		l->tl += n;
	}
}

static int
ev(void *opaque, int event, const struct loom_h2_frame_hdr *h, const uint8_t *p,
   size_t len)
{
	struct log *l = opaque;
	char b[256];
	size_t i;

	switch (event) {
	case LOOM_H2R_HDR:
		if (l->hdr_seen || p || len)
			logf_(l, "[bad HDR]");
		l->hdr_seen = 1;
		l->pl = 0;
		l->pieces = 0;
		snprintf(b, sizeof(b), "%s f=%x sid=%u len=%u dl=%u err=%u pad=%u",
			 loom__h2_frame_name(h->type), h->flags, (unsigned)h->sid,
			 (unsigned)h->len, (unsigned)h->data_len, (unsigned)h->err,
			 h->pad_len);
		logf_(l, b);
		if (h->has_prio) {
			snprintf(b, sizeof(b), " prio=%u/%u/%u", h->prio_excl,
				 (unsigned)h->prio_dep, h->prio_weight);
			logf_(l, b);
		}
		if (h->type == LOOM_H2_F_PUSH_PROMISE) {
			snprintf(b, sizeof(b), " promised=%u",
				 (unsigned)h->promised_sid);
			logf_(l, b);
		}
		break;
	case LOOM_H2R_PAYLOAD:
		if (!l->hdr_seen || !len || !p)
			logf_(l, "[bad PAYLOAD]");
		if (h->type == LOOM_H2_F_SETTINGS && len % 6)
			logf_(l, "[SETTINGS piece not whole entries]");
		if (h->type == LOOM_H2_F_GOAWAY && !l->pieces && len != 8)
			logf_(l, "[GOAWAY first piece not 8]");
		l->pieces++;
		if (l->pl + len <= sizeof(l->payload)) {
			memcpy(l->payload + l->pl, p, len);
			l->pl += len;
		}
		break;
	case LOOM_H2R_END:
		if (!l->hdr_seen)
			logf_(l, "[END without HDR]");
		if (l->pl != h->data_len)
			logf_(l, "[payload != data_len]");
		if ((h->type == LOOM_H2_F_PING || h->type == LOOM_H2_F_RST_STREAM ||
		     h->type == LOOM_H2_F_WINDOW_UPDATE ||
		     h->type == LOOM_H2_F_PRIORITY) && l->pieces > 1)
			logf_(l, "[fixed type in pieces]");
		logf_(l, " :");
		for (i = 0; i < l->pl && i < 40; i++) {
			snprintf(b, sizeof(b), "%02x", l->payload[i]);
			logf_(l, b);
		}
		if (l->pl > 40) {
			snprintf(b, sizeof(b), "...(%zu)", l->pl);
			logf_(l, b);
		}
		logf_(l, "\n");
		l->hdr_seen = 0;
		break;
	}

	return l->stop_every;
}

/* feeds in chunks of 'split' (0 = whole); returns the log and the error code
 * ("E<code>" appended for a connection error) */
static void
run(const uint8_t *in, size_t len, size_t split, uint32_t max_frame, struct log *l,
    int stop_every)
{
	struct loom_h2_reader r;
	uint8_t *copy = malloc(len + 1);
	size_t o = 0, used;
	char b[32];
	int ret = 0;

	memcpy(copy, in, len);
	memset(l, 0, sizeof(*l));
	l->stop_every = stop_every;
	loom__h2_reader_init(&r, max_frame);
	while (o < len) {
		size_t chunk = split ? split : len;

		if (chunk > len - o)
			chunk = len - o;
		/* a fresh copy of just this chunk, so reads past it are caught */
		{
			uint8_t *c = malloc(chunk);
			size_t off = 0;

			memcpy(c, copy + o, chunk);
			do {
				ret = loom__h2_reader_feed(&r, c + off, chunk - off, &used,
							   ev, l);
				off += used;
				if (ret && ret != stop_every)
					break;
			} while (ret == stop_every && stop_every && off < chunk);
			free(c);
			if (ret == LOOM_H2R_CONN_ERROR) {
				snprintf(b, sizeof(b), "E%u\n", (unsigned)r.error);
				logf_(l, b);
				break;
			}
			if (ret && ret != stop_every) {
				logf_(l, "[unexpected return]\n");
				break;
			}
			if (off != chunk)
				logf_(l, "[not all used]\n");
		}
		o += chunk;
	}
	if (stop_every && ret == stop_every) {
		/* events due without more input (an END after the last byte) */
		while ((ret = loom__h2_reader_feed(&r, NULL, 0, &used, ev, l)) ==
		       stop_every)
			;
	}
	free(copy);
}

/* runs whole, byte by byte, at every split point, and stopping at every event:
 * all must give the same log; returns it */
static const char *
check(const uint8_t *in, size_t len, uint32_t max_frame)
{
	static struct log whole, other;
	size_t s;
	int bad = 0;

	run(in, len, 0, max_frame, &whole, 0);
	for (s = 1; s <= len && s < 80; s++) {
		run(in, len, s, max_frame, &other, 0);
		if (strcmp(whole.text, other.text)) {
			if (!bad)
				fprintf(stderr, "split %zu:\n%s--- vs whole:\n%s", s,
					other.text, whole.text);
			bad++;
		}
	}
	run(in, len, 1, max_frame, &other, 5);
	if (strcmp(whole.text, other.text)) {
		fprintf(stderr, "stopping:\n%s--- vs whole:\n%s", other.text,
			whole.text);
		bad++;
	}
	run(in, len, 0, max_frame, &other, 5);
	if (strcmp(whole.text, other.text)) {
		fprintf(stderr, "stopping whole:\n%s--- vs whole:\n%s", other.text,
			whole.text);
		bad++;
	}
	LT_CHECK_EQ(bad, 0);

	return whole.text;
}

static size_t
frame(uint8_t *out, uint32_t len, uint8_t type, uint8_t flags, uint32_t sid,
      const char *payload)
{
	size_t n = loom__h2_put_hdr(out, len, type, flags, sid);

	if (payload)
		memcpy(out + n, payload, len);

	return n + (payload ? len : 0);
}

#define EXPECT(buf, n, want) do { \
	const char *_got = check(buf, n, 16384); \
	LT_CHECK(!strcmp(_got, want)); \
	if (strcmp(_got, want)) \
		fprintf(stderr, "%d: got:\n%swant:\n%s", __LINE__, _got, want); \
} while (0)

static void
test_writers_and_types(void)
{
	static uint8_t b[70000];
	static const uint16_t ids[] = { 1, 3, 4, 5, 8, 0x99 };
	static const uint32_t vals[] = { 4096, 100, 65535, 16384, 1, 7 };
	const uint8_t ping[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	size_t n = 0;

	LT_CHECK_EQ(loom__h2_put_settings(b, 8, ids, vals, 0), 0);
	LT_CHECK_EQ(loom__h2_put_settings(b, 9 + 35, ids, vals, 6), 0);
	n += loom__h2_put_settings(b + n, sizeof(b), ids, vals, 6);
	LT_CHECK_EQ(n, 9 + 36);
	n += loom__h2_put_settings_ack(b + n);
	n += loom__h2_put_ping(b + n, 0, ping);
	n += loom__h2_put_ping(b + n, 1, ping);
	n += loom__h2_put_rst(b + n, 3, LOOM_H2_ERR_CANCEL);
	n += loom__h2_put_window_update(b + n, 0, 0x7fffffff);
	n += loom__h2_put_window_update(b + n, 5, 1);
	LT_CHECK_EQ(loom__h2_put_goaway(b + n, 16, 7, 0, NULL, 0), 0);
	n += loom__h2_put_goaway(b + n, 17, 7, LOOM_H2_ERR_ENHANCE_YOUR_CALM, NULL, 0);
	n += loom__h2_put_goaway(b + n, 100, 0x7fffffff, 1, (const uint8_t *)"bye", 3);
	n += frame(b + n, 5, LOOM_H2_F_DATA, LOOM_H2_FL_END_STREAM, 1, "hello");
	n += frame(b + n, 0, LOOM_H2_F_DATA, 0, 1, "");
	n += frame(b + n, 3, LOOM_H2_F_HEADERS, LOOM_H2_FL_END_HEADERS, 1, "\x82\x86\x84");
	n += frame(b + n, 5, LOOM_H2_F_PRIORITY, 0, 3, "\x80\x00\x00\x01\x0f");
	n += frame(b + n, 2, 0xfa, 0xff, 9, "zz");	/* unknown: passed through */

	EXPECT(b, n,
	       "SETTINGS f=0 sid=0 len=36 dl=36 err=0 pad=0 :0001000010000003000000640004"
	       "0000ffff000500004000000800000001009900000007\n"
	       "SETTINGS f=1 sid=0 len=0 dl=0 err=0 pad=0 :\n"
	       "PING f=0 sid=0 len=8 dl=8 err=0 pad=0 :0102030405060708\n"
	       "PING f=1 sid=0 len=8 dl=8 err=0 pad=0 :0102030405060708\n"
	       "RST_STREAM f=0 sid=3 len=4 dl=4 err=0 pad=0 :00000008\n"
	       "WINDOW_UPDATE f=0 sid=0 len=4 dl=4 err=0 pad=0 :7fffffff\n"
	       "WINDOW_UPDATE f=0 sid=5 len=4 dl=4 err=0 pad=0 :00000001\n"
	       "GOAWAY f=0 sid=0 len=8 dl=8 err=0 pad=0 :000000070000000b\n"
	       "GOAWAY f=0 sid=0 len=11 dl=11 err=0 pad=0 :7fffffff00000001627965\n"
	       "DATA f=1 sid=1 len=5 dl=5 err=0 pad=0 :68656c6c6f\n"
	       "DATA f=0 sid=1 len=0 dl=0 err=0 pad=0 :\n"
	       "HEADERS f=4 sid=1 len=3 dl=3 err=0 pad=0 :828684\n"
	       "PRIORITY f=0 sid=3 len=5 dl=5 err=0 pad=0 prio=1/1/15 :800000010f\n"
	       "UNKNOWN f=ff sid=9 len=2 dl=2 err=0 pad=0 :7a7a\n");
}

static void
test_padding_and_prefixes(void)
{
	uint8_t b[512];
	size_t n;

	/* DATA padded: 2 bytes of data, 3 of padding */
	n = frame(b, 6, LOOM_H2_F_DATA, LOOM_H2_FL_PADDED, 1, "\x03hi\0\0\0");
	EXPECT(b, n, "DATA f=8 sid=1 len=6 dl=2 err=0 pad=3 :6869\n");
	/* padding filling all but the pad length byte: no data, valid */
	n = frame(b, 4, LOOM_H2_F_DATA, LOOM_H2_FL_PADDED, 1, "\x03\0\0\0");
	EXPECT(b, n, "DATA f=8 sid=1 len=4 dl=0 err=0 pad=3 :\n");
	/* padding longer than what is left */
	n = frame(b, 4, LOOM_H2_F_DATA, LOOM_H2_FL_PADDED, 1, "\x04\0\0\0");
	EXPECT(b, n, "E1\n");
	n = frame(b, 1, LOOM_H2_F_DATA, LOOM_H2_FL_PADDED, 1, "\x00");
	EXPECT(b, n, "DATA f=8 sid=1 len=1 dl=0 err=0 pad=0 :\n");
	/* no room for the pad length */
	n = frame(b, 0, LOOM_H2_F_DATA, LOOM_H2_FL_PADDED, 1, "");
	EXPECT(b, n, "E6\n");
	/* HEADERS padded with priority */
	n = frame(b, 10, LOOM_H2_F_HEADERS,
		  LOOM_H2_FL_PADDED | LOOM_H2_FL_PRIORITY | LOOM_H2_FL_END_HEADERS, 3,
		  "\x02\x00\x00\x00\x01\xff\x82\x84\0\0");
	EXPECT(b, n, "HEADERS f=2c sid=3 len=10 dl=2 err=0 pad=2 prio=0/1/255 :8284\n");
	/* padding: counted after the priority fields */
	n = frame(b, 7, LOOM_H2_F_HEADERS,
		  LOOM_H2_FL_PADDED | LOOM_H2_FL_PRIORITY | LOOM_H2_FL_END_HEADERS, 3,
		  "\x02\x00\x00\x00\x01\xff\x82");
	EXPECT(b, n, "E1\n");
	n = frame(b, 5, LOOM_H2_F_HEADERS, LOOM_H2_FL_PRIORITY | LOOM_H2_FL_END_HEADERS,
		  3, "\x00\x00\x00\x01\xff");
	EXPECT(b, n, "HEADERS f=24 sid=3 len=5 dl=0 err=0 pad=0 prio=0/1/255 :\n");
	n = frame(b, 4, LOOM_H2_F_HEADERS, LOOM_H2_FL_PRIORITY | LOOM_H2_FL_END_HEADERS,
		  3, "\x00\x00\x00\x01");
	EXPECT(b, n, "E6\n");
	/* a stream depending on itself: a stream error, the block still delivered */
	n = frame(b, 6, LOOM_H2_F_HEADERS, LOOM_H2_FL_PRIORITY | LOOM_H2_FL_END_HEADERS,
		  3, "\x80\x00\x00\x03\x10\x82");
	EXPECT(b, n, "HEADERS f=24 sid=3 len=6 dl=1 err=1 pad=0 prio=1/3/16 :82\n");
	/* PUSH_PROMISE padded */
	n = frame(b, 8, LOOM_H2_F_PUSH_PROMISE,
		  LOOM_H2_FL_PADDED | LOOM_H2_FL_END_HEADERS, 1,
		  "\x01\x80\x00\x00\x02\x82\x84\0");
	EXPECT(b, n, "PUSH_PROMISE f=c sid=1 len=8 dl=2 err=0 pad=1 promised=2 :8284\n");
	n = frame(b, 3, LOOM_H2_F_PUSH_PROMISE, LOOM_H2_FL_END_HEADERS, 1, "\0\0\2");
	EXPECT(b, n, "E6\n");
	n = frame(b, 5, LOOM_H2_F_PUSH_PROMISE,
		  LOOM_H2_FL_PADDED | LOOM_H2_FL_END_HEADERS, 1, "\x01\0\0\0\2");
	EXPECT(b, n, "E1\n");
	/* padding bytes need not be zero (the reader drops them unseen) */
	n = frame(b, 3, LOOM_H2_F_DATA, LOOM_H2_FL_PADDED, 1, "\x01x\xff");
	EXPECT(b, n, "DATA f=8 sid=1 len=3 dl=1 err=0 pad=1 :78\n");
}

static void
test_errors(void)
{
	uint8_t b[70000];
	size_t n;

	/* stream id rules */
	n = frame(b, 1, LOOM_H2_F_DATA, 0, 0, "x");
	EXPECT(b, n, "E1\n");
	n = frame(b, 1, LOOM_H2_F_HEADERS, 4, 0, "\x82");
	EXPECT(b, n, "E1\n");
	n = frame(b, 5, LOOM_H2_F_PRIORITY, 0, 0, "\0\0\0\1\1");
	EXPECT(b, n, "E1\n");
	n = frame(b, 4, LOOM_H2_F_RST_STREAM, 0, 0, "\0\0\0\1");
	EXPECT(b, n, "E1\n");
	n = frame(b, 0, LOOM_H2_F_SETTINGS, 0, 1, "");
	EXPECT(b, n, "E1\n");
	n = frame(b, 8, LOOM_H2_F_PING, 0, 1, "12345678");
	EXPECT(b, n, "E1\n");
	n = frame(b, 8, LOOM_H2_F_GOAWAY, 0, 1, "\0\0\0\0\0\0\0\0");
	EXPECT(b, n, "E1\n");
	n = frame(b, 4, LOOM_H2_F_PUSH_PROMISE, 4, 0, "\0\0\0\2");
	EXPECT(b, n, "E1\n");
	/* the reserved bit of the stream id is ignored */
	n = frame(b, 1, LOOM_H2_F_DATA, 0, 0x80000001u, "x");
	b[5] |= 0x80;
	EXPECT(b, n, "DATA f=0 sid=1 len=1 dl=1 err=0 pad=0 :78\n");
	n = frame(b, 8, LOOM_H2_F_PING, 0, 0, "12345678");
	b[5] = 0x80;	/* reserved bit only: still stream 0 */
	EXPECT(b, n, "PING f=0 sid=0 len=8 dl=8 err=0 pad=0 :3132333435363738\n");

	/* fixed lengths */
	n = frame(b, 7, LOOM_H2_F_PING, 0, 0, "1234567");
	EXPECT(b, n, "E6\n");
	n = frame(b, 9, LOOM_H2_F_PING, 0, 0, "123456789");
	EXPECT(b, n, "E6\n");
	n = frame(b, 3, LOOM_H2_F_RST_STREAM, 0, 1, "\0\0\0");
	EXPECT(b, n, "E6\n");
	n = frame(b, 5, LOOM_H2_F_WINDOW_UPDATE, 0, 1, "\0\0\0\1\0");
	EXPECT(b, n, "E6\n");
	n = frame(b, 7, LOOM_H2_F_GOAWAY, 0, 0, "\0\0\0\0\0\0\0");
	EXPECT(b, n, "E6\n");
	n = frame(b, 5, LOOM_H2_F_SETTINGS, 0, 0, "\0\1\0\0\0");
	EXPECT(b, n, "E6\n");
	n = frame(b, 6, LOOM_H2_F_SETTINGS, LOOM_H2_FL_ACK, 0, "\0\1\0\0\0\0");
	EXPECT(b, n, "E6\n");
	/* PRIORITY of the wrong length: a stream error, the frame skipped, next read */
	n = frame(b, 4, LOOM_H2_F_PRIORITY, 0, 1, "\0\0\0\3");
	n += frame(b + n, 8, LOOM_H2_F_PING, 0, 0, "12345678");
	EXPECT(b, n, "PRIORITY f=0 sid=1 len=4 dl=0 err=6 pad=0 :\n"
		     "PING f=0 sid=0 len=8 dl=8 err=0 pad=0 :3132333435363738\n");
	n = frame(b, 5, LOOM_H2_F_PRIORITY, 0, 7, "\0\0\0\7\1");
	EXPECT(b, n, "PRIORITY f=0 sid=7 len=5 dl=5 err=1 pad=0 prio=0/7/1 :0000000701\n");
	/* WINDOW_UPDATE of 0 */
	n = loom__h2_put_window_update(b, 0, 0);
	EXPECT(b, n, "E1\n");
	n = loom__h2_put_window_update(b, 3, 0);
	EXPECT(b, n, "WINDOW_UPDATE f=0 sid=3 len=4 dl=4 err=1 pad=0 :00000000\n");
	/* only the reserved bit set is an increment of 0 */
	n = frame(b, 4, LOOM_H2_F_WINDOW_UPDATE, 0, 3, "\x80\0\0\0");
	EXPECT(b, n, "WINDOW_UPDATE f=0 sid=3 len=4 dl=4 err=1 pad=0 :80000000\n");

	/* SETTINGS values */
	n = frame(b, 6, LOOM_H2_F_SETTINGS, 0, 0, "\0\2\0\0\0\2");
	EXPECT(b, n, "SETTINGS f=0 sid=0 len=6 dl=6 err=0 pad=0E1\n");
	n = frame(b, 12, LOOM_H2_F_SETTINGS, 0, 0, "\0\1\0\0\0\0\0\4\x80\0\0\0");
	EXPECT(b, n, "SETTINGS f=0 sid=0 len=12 dl=12 err=0 pad=0E3\n");
	n = frame(b, 6, LOOM_H2_F_SETTINGS, 0, 0, "\0\4\x7f\xff\xff\xff");
	EXPECT(b, n, "SETTINGS f=0 sid=0 len=6 dl=6 err=0 pad=0 :00047fffffff\n");
	n = frame(b, 6, LOOM_H2_F_SETTINGS, 0, 0, "\0\5\0\0\x3f\xff");
	EXPECT(b, n, "SETTINGS f=0 sid=0 len=6 dl=6 err=0 pad=0E1\n");
	n = frame(b, 6, LOOM_H2_F_SETTINGS, 0, 0, "\0\5\1\0\0\0");
	EXPECT(b, n, "SETTINGS f=0 sid=0 len=6 dl=6 err=0 pad=0E1\n");
	n = frame(b, 6, LOOM_H2_F_SETTINGS, 0, 0, "\0\5\0\xff\xff\xff");
	EXPECT(b, n, "SETTINGS f=0 sid=0 len=6 dl=6 err=0 pad=0 :00050" "0ffffff\n");
	n = frame(b, 6, LOOM_H2_F_SETTINGS, 0, 0, "\0\x08\0\0\0\2");
	EXPECT(b, n, "SETTINGS f=0 sid=0 len=6 dl=6 err=0 pad=0E1\n");
	LT_CHECK_EQ(loom__h2_settings_check(LOOM_H2_SET_MAX_FRAME_SIZE, 16384), 0);
	LT_CHECK_EQ(loom__h2_settings_check(LOOM_H2_SET_MAX_FRAME_SIZE, 16383), 1);
	LT_CHECK_EQ(loom__h2_settings_check(LOOM_H2_SET_MAX_FRAME_SIZE, 16777215), 0);
	LT_CHECK_EQ(loom__h2_settings_check(LOOM_H2_SET_MAX_FRAME_SIZE, 16777216), 1);
	LT_CHECK_EQ(loom__h2_settings_check(LOOM_H2_SET_INITIAL_WINDOW_SIZE,
					    0x80000000u), 3);
	LT_CHECK_EQ(loom__h2_settings_check(LOOM_H2_SET_ENABLE_PUSH, 1), 0);
	LT_CHECK_EQ(loom__h2_settings_check(0x1234, 0xffffffffu), 0);

	/* frame size: exactly the limit, and one over */
	memset(b, 'd', sizeof(b));
	loom__h2_put_hdr(b, 16384, LOOM_H2_F_DATA, 0, 1);
	{
		struct log *l = malloc(sizeof(*l));

		run(b, 9 + 16384, 0, 16384, l, 0);
		LT_CHECK(!strncmp(l->text, "DATA f=0 sid=1 len=16384 dl=16384", 33));
		loom__h2_put_hdr(b, 16385, LOOM_H2_F_DATA, 0, 1);
		run(b, 9 + 16385, 0, 16384, l, 0);
		LT_CHECK(!strcmp(l->text, "E6\n"));
		run(b, 9 + 16385, 1000, 16385, l, 0);
		LT_CHECK(!strncmp(l->text, "DATA f=0 sid=1 len=16385 dl=16385", 33));
		/* a limit under the protocol's minimum is raised to it */
		loom__h2_put_hdr(b, 16384, LOOM_H2_F_DATA, 0, 1);
		run(b, 9 + 16384, 0, 100, l, 0);
		LT_CHECK(!strncmp(l->text, "DATA f=0 sid=1 len=16384", 24));
		/* the error comes with the header: no payload needed */
		loom__h2_put_hdr(b, 0xffffff, LOOM_H2_F_HEADERS, 0, 1);
		run(b, 9, 0, 16384, l, 0);
		LT_CHECK(!strcmp(l->text, "E6\n"));
		free(l);
	}
	{
		/* after a connection error the reader stays failed */
		struct loom_h2_reader r;
		struct log *l = calloc(1, sizeof(*l));
		size_t used;

		loom__h2_reader_init(&r, 16384);
		n = frame(b, 1, LOOM_H2_F_DATA, 0, 0, "x");
		LT_CHECK_EQ(loom__h2_reader_feed(&r, b, n, &used, ev, l),
			    LOOM_H2R_CONN_ERROR);
		LT_CHECK_EQ(r.error, LOOM_H2_ERR_PROTOCOL_ERROR);
		LT_CHECK_EQ(used, 9);
		n = loom__h2_put_settings_ack(b);
		LT_CHECK_EQ(loom__h2_reader_feed(&r, b, n, &used, ev, l),
			    LOOM_H2R_CONN_ERROR);
		LT_CHECK_EQ(used, 0);
		/* raised by SETTINGS */
		loom__h2_reader_init(&r, 16384);
		loom__h2_reader_set_max_frame(&r, 20000);
		loom__h2_put_hdr(b, 20000, LOOM_H2_F_DATA, 0, 1);
		LT_CHECK_EQ(loom__h2_reader_feed(&r, b, 9, &used, ev, l), 0);
		free(l);
	}
}

static void
test_continuation(void)
{
	uint8_t b[512];
	size_t n;

	/* HEADERS, CONTINUATION, CONTINUATION with END_HEADERS */
	n = frame(b, 1, LOOM_H2_F_HEADERS, LOOM_H2_FL_END_STREAM, 1, "\x82");
	n += frame(b + n, 1, LOOM_H2_F_CONTINUATION, 0, 1, "\x86");
	n += frame(b + n, 1, LOOM_H2_F_CONTINUATION, LOOM_H2_FL_END_HEADERS, 1, "\x84");
	n += frame(b + n, 8, LOOM_H2_F_PING, 0, 0, "12345678");
	EXPECT(b, n, "HEADERS f=1 sid=1 len=1 dl=1 err=0 pad=0 :82\n"
		     "CONTINUATION f=0 sid=1 len=1 dl=1 err=0 pad=0 :86\n"
		     "CONTINUATION f=4 sid=1 len=1 dl=1 err=0 pad=0 :84\n"
		     "PING f=0 sid=0 len=8 dl=8 err=0 pad=0 :3132333435363738\n");
	/* anything else inside a header block */
	n = frame(b, 1, LOOM_H2_F_HEADERS, 0, 1, "\x82");
	n += frame(b + n, 8, LOOM_H2_F_PING, 0, 0, "12345678");
	EXPECT(b, n, "HEADERS f=0 sid=1 len=1 dl=1 err=0 pad=0 :82\nE1\n");
	n = frame(b, 1, LOOM_H2_F_HEADERS, 0, 1, "\x82");
	n += frame(b + n, 1, LOOM_H2_F_CONTINUATION, 4, 3, "\x86");
	EXPECT(b, n, "HEADERS f=0 sid=1 len=1 dl=1 err=0 pad=0 :82\nE1\n");
	n = frame(b, 1, LOOM_H2_F_HEADERS, 0, 1, "\x82");
	n += frame(b + n, 1, LOOM_H2_F_DATA, 0, 1, "x");
	EXPECT(b, n, "HEADERS f=0 sid=1 len=1 dl=1 err=0 pad=0 :82\nE1\n");
	n = frame(b, 1, LOOM_H2_F_HEADERS, 0, 1, "\x82");
	n += frame(b + n, 0, 0x20, 0, 0, "");	/* unknown type too */
	EXPECT(b, n, "HEADERS f=0 sid=1 len=1 dl=1 err=0 pad=0 :82\nE1\n");
	n = frame(b, 4, LOOM_H2_F_PUSH_PROMISE, 0, 1, "\0\0\0\2");
	n += frame(b + n, 1, LOOM_H2_F_CONTINUATION, 4, 1, "\x86");
	EXPECT(b, n, "PUSH_PROMISE f=0 sid=1 len=4 dl=0 err=0 pad=0 promised=2 :\n"
		     "CONTINUATION f=4 sid=1 len=1 dl=1 err=0 pad=0 :86\n");
	/* CONTINUATION out of the blue, and after a completed block */
	n = frame(b, 1, LOOM_H2_F_CONTINUATION, 4, 1, "\x86");
	EXPECT(b, n, "E1\n");
	n = frame(b, 1, LOOM_H2_F_HEADERS, 4, 1, "\x82");
	n += frame(b + n, 1, LOOM_H2_F_CONTINUATION, 4, 1, "\x86");
	EXPECT(b, n, "HEADERS f=4 sid=1 len=1 dl=1 err=0 pad=0 :82\nE1\n");
	/* an empty CONTINUATION is fine (the role bounds how many) */
	n = frame(b, 1, LOOM_H2_F_HEADERS, 0, 1, "\x82");
	n += frame(b + n, 0, LOOM_H2_F_CONTINUATION, 0, 1, "");
	n += frame(b + n, 0, LOOM_H2_F_CONTINUATION, 4, 1, "");
	EXPECT(b, n, "HEADERS f=0 sid=1 len=1 dl=1 err=0 pad=0 :82\n"
		     "CONTINUATION f=0 sid=1 len=0 dl=0 err=0 pad=0 :\n"
		     "CONTINUATION f=4 sid=1 len=0 dl=0 err=0 pad=0 :\n");
}

static void
test_names(void)
{
	LT_CHECK(!strcmp(loom__h2_err_name(0), "NO_ERROR"));
	LT_CHECK(!strcmp(loom__h2_err_name(0xd), "HTTP_1_1_REQUIRED"));
	LT_CHECK(!strcmp(loom__h2_err_name(0xe), "UNKNOWN"));
	LT_CHECK(!strcmp(loom__h2_frame_name(9), "CONTINUATION"));
	LT_CHECK(!strcmp(loom__h2_frame_name(10), "UNKNOWN"));
}

int
main(void)
{
	test_writers_and_types();
	test_padding_and_prefixes();
	test_errors();
	test_continuation();
	test_names();

	return lt_result("api-test-h2-frame");
}
