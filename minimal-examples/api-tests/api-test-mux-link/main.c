/*
 * api-test-mux-link: the transport mux link (lib/secure-streams/transport-mux/
 * mux-link.c) against a peer that is this test: one end of a socketpair given to
 * the link as "fd:N", the other read and written here with the framing codec.
 * Checked, with what the link sends for each: link up after HELLO and PONGs; a
 * channel refused (OPEN_ACK BUSY); writes held to the peer's window (one byte
 * over refused); a NAK resends from its offset, once per tick; CREDIT past what
 * was sent and DATA past our credit (at the limit taken) abort only that channel
 * with CLOSE PROTOCOL, the others carry on; a gap gives one NAK, old and
 * overlapping DATA are taken once; frames for channels we do not have; OPENs
 * from the peer refused, accepted and repeated; a close that waits for what was
 * sent to be acknowledged; a peer with a new session and a peer that stops
 * answering PINGs drop every channel (link_down) and the link comes back; the
 * link destroyed with a channel open tells its owner; an OPEN never answered is
 * given up; a tty path that is not there yet is opened when it appears (a pty
 * here), and the far end going away takes the link down. ASan checks for leaks.
 */
#define _XOPEN_SOURCE 700	/* posix_openpt() and friends */
#include "core/private-core.h"
#include "secure-streams/transport-mux/private-ss-mux-link.h"
#include "loom-test.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#define RX_CREDIT	64	/* the link's credit to the peer per channel */
#define LOGN		4096
#define PING_MS		200

/* ---- the peer ---- */

struct fr {
	uint8_t type, ch;
	uint32_t a, b;
	size_t len;
	uint8_t data[LOOM_MUX_MAX_DATA];
};

static struct fr log_[LOGN];
static int nlog, auto_pong = 1, pfd = -1;
static struct loom_mux_dec pdec;
static struct loom_context *ctx;

static void
psend(const uint8_t *f, size_t n)
{
	LT_CHECK(n && write(pfd, f, n) == (ssize_t)n);
}

static void
p_u32(unsigned int ch, enum loom_mux_type t, uint32_t v)
{
	uint8_t f[LOOM_MUX_OVERHEAD + 8];

	psend(f, loom__mux_put_u32(f, sizeof(f), ch, t, v));
}

static void
p_ack(unsigned int ch, unsigned int result, uint32_t credit)
{
	uint8_t f[LOOM_MUX_OVERHEAD + 8];

	psend(f, loom__mux_put_open_ack(f, sizeof(f), ch, result, credit));
}

static void
p_close(unsigned int ch, unsigned int reason)
{
	uint8_t f[LOOM_MUX_OVERHEAD + 8];

	psend(f, loom__mux_put_close(f, sizeof(f), ch, reason));
}

static void
p_hello(uint32_t session)
{
	uint8_t f[LOOM_MUX_OVERHEAD + 8];

	psend(f, loom__mux_put_hello(f, sizeof(f), 512, session));
}

/* DATA of bytes (off + k) & 0xff, so any piece can be checked */
static void
p_data(unsigned int ch, uint32_t off, size_t len)
{
	uint8_t f[LOOM_MUX_OVERHEAD + LOOM_MUX_MAX_BODY], d[LOOM_MUX_MAX_DATA];
	size_t k;

	for (k = 0; k < len; k++)
		d[k] = (uint8_t)(off + k);
	psend(f, loom__mux_put_data(f, sizeof(f), ch, off, d, len));
}

static int
peer_frame(void *opaque, const struct loom_mux_ev *e)
{
	struct fr *r;

	(void)opaque;
	if (e->type == LOOM_MUX_PING && auto_pong)
		p_u32(0, LOOM_MUX_PONG, e->u32a);
	if (e->type == LOOM_MUX_PONG || nlog >= LOGN)
		return 0;
	r = &log_[nlog++];
	r->type = e->type;
	r->ch = e->ch;
	r->a = e->u32a;
	r->b = e->u32b;
	r->len = e->type == LOOM_MUX_DATA ? e->len : 0;
	if (r->len)
		memcpy(r->data, e->buf, r->len);

	return 0;
}

static void
pump(void)
{
	uint8_t buf[4096];
	ssize_t n;

	while (pfd >= 0 && (n = read(pfd, buf, sizeof(buf))) > 0)
		loom__mux_feed(&pdec, buf, (size_t)n, peer_frame, NULL);
}

/* how many frames of \p type on \p ch (-1: any) since log index \p from, and
 * the last of them in *last */
static int
count(int from, int type, int ch, const struct fr **last)
{
	int i, n = 0;

	for (i = from; i < nlog; i++)
		if (log_[i].type == type && (ch < 0 || log_[i].ch == ch)) {
			n++;
			if (last)
				*last = &log_[i];
		}

	return n;
}

/* ---- the link's side: channel owners ---- */

struct owner {
	int opened, closed, link_down, writeable;
	size_t rx;
	int rx_bad;
};

static void
o_opened(struct loom_mux_ch *ch, void *opaque)
{
	(void)ch;
	((struct owner *)opaque)->opened++;
}

static void
o_rx(struct loom_mux_ch *ch, void *opaque, const uint8_t *buf, size_t len)
{
	struct owner *o = opaque;
	size_t k;

	(void)ch;
	for (k = 0; k < len; k++)
		if (buf[k] != (uint8_t)(o->rx + k))
			o->rx_bad++;
	o->rx += len;
}

static void
o_writeable(struct loom_mux_ch *ch, void *opaque)
{
	(void)ch;
	((struct owner *)opaque)->writeable++;
}

static void
o_closed(struct loom_mux_ch *ch, void *opaque, int link_down)
{
	struct owner *o = opaque;

	(void)ch;
	o->closed++;
	o->link_down = link_down;
}

static const struct loom_mux_ch_ops o_ops = { o_opened, o_rx, o_writeable, o_closed };

static int accepts, refuse, ups, downs;
static struct owner acc_owner;

static int
l_accept(struct loom_mux_link *l, struct loom_mux_ch *ch, void *user)
{
	(void)l;
	(void)user;
	accepts++;
	if (refuse)
		return 1;
	loom__mux_ch_set_ops(ch, &o_ops, &acc_owner);

	return 0;
}

static void
l_state(struct loom_mux_link *l, void *user, int up)
{
	(void)l;
	(void)user;
	if (up)
		ups++;
	else
		downs++;
}

/* ---- running ---- */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);

	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
run(int ms)
{
	long long end = now_ms() + ms;

	while (now_ms() < end) {
		loom_service(ctx, 5);
		pump();
	}
}

#define RUN_UNTIL(cond, ms) do { \
	long long _end = now_ms() + (ms); \
	while (!(cond) && now_ms() < _end) { \
		loom_service(ctx, 5); \
		pump(); \
	} \
	LT_CHECK(cond); \
} while (0)

/* open a channel and have the peer accept it with \p window */
static struct loom_mux_ch *
open_ch(struct loom_mux_link *l, struct owner *o, uint32_t window)
{
	struct loom_mux_ch *ch;
	const struct fr *f = NULL;
	int mark = nlog;

	memset(o, 0, sizeof(*o));
	ch = loom__mux_ch_open(l, &o_ops, o);
	LT_CHECK(ch != NULL);
	if (!ch)
		return NULL;
	RUN_UNTIL(count(mark, LOOM_MUX_OPEN, -1, &f) == 1, 1000);
	if (!f)
		return NULL;
	LT_CHECK_EQ(f->a, RX_CREDIT);
	p_ack(f->ch, LOOM_MUX_R_OK, window);
	RUN_UNTIL(o->opened == 1, 1000);

	return ch;
}

static unsigned int
ch_id(int mark)
{
	const struct fr *f = NULL;

	count(mark, LOOM_MUX_OPEN, -1, &f);

	return f ? f->ch : 0;
}

/* a tty that appears only later, and goes away: the link opens it when it
 * comes, and goes down (and keeps trying) when its other end closes */
static void
t_pty(void)
{
	struct loom_mux_link_info mi;
	struct loom_mux_link *l;
	char dir[] = "/tmp/loom-mux-XXXXXX", path[64];
	int m, u0 = ups, d0 = downs;

	LT_CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/tty", dir);
	memset(&mi, 0, sizeof(mi));
	mi.path = path;
	mi.ping_ms = PING_MS;
	mi.link_state = l_state;
	l = loom__mux_link_create(ctx, &mi);
	LT_CHECK(l != NULL);
	if (!l)
		return;
	run(700);
	LT_CHECK(!loom__mux_link_is_up(l));

	m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
	LT_CHECK(m >= 0 && !grantpt(m) && !unlockpt(m) && ptsname(m) &&
		 !symlink(ptsname(m), path));
	pfd = m;
	nlog = 0;
	auto_pong = 1;
	loom__mux_dec_init(&pdec, LOOM_MUX_MAX_BODY);
	RUN_UNTIL(count(0, LOOM_MUX_HELLO, 0, NULL) >= 1, 2000);
	p_hello(0x44444444u);
	RUN_UNTIL(ups == u0 + 1, 3000);
	LT_CHECK(loom__mux_link_is_up(l));

	/* the far end goes: down, and the reopen attempts find nothing */
	close(m);
	pfd = -1;
	RUN_UNTIL(downs == d0 + 1, 3000);
	LT_CHECK(!loom__mux_link_is_up(l));
	run(600);
	LT_CHECK_EQ(ups, u0 + 1);
	loom__mux_link_destroy(l);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	static uint8_t wbuf[1024];
	struct loom_context_info ci;
	struct loom_mux_link_info mi;
	struct loom_mux_link *l;
	struct loom_mux_ch *a, *b, *c, *e, *g, *h;
	static struct owner oa, ob, oc, oe, of, og, oh;
	const struct fr *f = NULL;
	const struct loom_mux_dec *ldec;
	uint32_t ldowns, lups;
	char path[32];
	int sv[2], mark, ida, idc, ide, idf, idg;
	size_t k;

	signal(SIGPIPE, SIG_IGN);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
	pfd = sv[1];
	loom__mux_dec_init(&pdec, LOOM_MUX_MAX_BODY);
	for (k = 0; k < sizeof(wbuf); k++)
		wbuf[k] = (uint8_t)k;

	memset(&ci, 0, sizeof(ci));
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-mux-link");
	snprintf(path, sizeof(path), "fd:%d", sv[0]);
	memset(&mi, 0, sizeof(mi));
	mi.path = path;
	mi.ping_ms = PING_MS;
	mi.miss_max = 3;
	mi.max_body = 512;
	mi.rx_credit = RX_CREDIT;
	mi.accept = l_accept;
	mi.link_state = l_state;
	l = loom__mux_link_create(ctx, &mi);
	LT_CHECK(l != NULL);
	if (!l)
		return lt_result("api-test-mux-link");

	/* up: our HELLO, the link's PINGs answered */
	RUN_UNTIL(count(0, LOOM_MUX_HELLO, 0, NULL) >= 1, 1000);
	LT_CHECK(!loom__mux_link_is_up(l));
	LT_CHECK(loom__mux_ch_open(l, &o_ops, &oa) == NULL);	/* down: no channel */
	p_hello(0x11111111u);
	RUN_UNTIL(ups == 1, 2000);
	LT_CHECK(loom__mux_link_is_up(l));

	/* a channel the peer refuses: closed, not link_down */
	memset(&ob, 0, sizeof(ob));
	mark = nlog;
	b = loom__mux_ch_open(l, &o_ops, &ob);
	LT_CHECK(b != NULL);
	RUN_UNTIL(count(mark, LOOM_MUX_OPEN, -1, NULL) == 1, 1000);
	p_ack(ch_id(mark), LOOM_MUX_R_BUSY, 0);
	RUN_UNTIL(ob.closed == 1, 1000);
	LT_CHECK_EQ(ob.opened, 0);
	LT_CHECK_EQ(ob.link_down, 0);

	/* writes held to the window: 1000 offered, the ring keeps 512 */
	mark = nlog;
	a = open_ch(l, &oa, 1000);
	ida = (int)ch_id(mark);
	mark = nlog;
	c = open_ch(l, &oc, 100);
	idc = (int)ch_id(mark);
	if (!a || !c)
		return lt_result("api-test-mux-link");
	LT_CHECK_EQ(loom__mux_ch_write_max(a), 512);
	mark = nlog;
	LT_CHECK_EQ(loom__mux_ch_write(a, wbuf, 512), 0);
	LT_CHECK_EQ(loom__mux_ch_write_max(a), 0);
	LT_CHECK_EQ(loom__mux_ch_write(a, wbuf, 1), -1);
	run(100);
	/* two frames: the peer takes 512 - 4 data bytes a frame */
	LT_CHECK_EQ(count(mark, LOOM_MUX_DATA, ida, &f), 2);
	LT_CHECK(f && f->a == 508 && f->len == 4 && f->data[0] == (uint8_t)508);

	/* a NAK: sent again from its offset, once however many NAKs in a tick
	 * (sent just after a tick: the next is PING_MS away) */
	mark = nlog;
	RUN_UNTIL(count(mark, LOOM_MUX_PING, 0, NULL) >= 1, 1000);
	mark = nlog;
	{
		uint8_t two[2 * (LOOM_MUX_OVERHEAD + 4)];
		size_t n = loom__mux_put_u32(two, sizeof(two), (unsigned int)ida,
					     LOOM_MUX_NAK, 200);

		n += loom__mux_put_u32(two + n, sizeof(two) - n, (unsigned int)ida,
				       LOOM_MUX_NAK, 200);
		psend(two, n);
	}
	run(30);
	LT_CHECK_EQ(count(mark, LOOM_MUX_DATA, ida, &f), 1);
	LT_CHECK(f && f->a == 200 && f->len == 312 && f->data[0] == (uint8_t)200 &&
		 f->data[311] == (uint8_t)(511));
	/* all taken: credit for more, the owner asked and hears writeable */
	loom__mux_ch_want_write(a);
	p_u32((unsigned int)ida, LOOM_MUX_CREDIT, 512);
	RUN_UNTIL(oa.writeable >= 1, 1000);
	LT_CHECK_EQ(loom__mux_ch_write_max(a), 512);

	/* CREDIT past what was sent: only that channel is aborted */
	mark = nlog;
	p_u32((unsigned int)ida, LOOM_MUX_CREDIT, 600);
	RUN_UNTIL(oa.closed == 1, 1000);
	LT_CHECK_EQ(oa.link_down, 0);
	run(20);
	LT_CHECK(count(mark, LOOM_MUX_CLOSE, ida, &f) >= 1);
	LT_CHECK(f && f->a == LOOM_MUX_R_PROTOCOL);
	p_close((unsigned int)ida, LOOM_MUX_R_OK);	/* the peer's answer */
	run(30);
	LT_CHECK_EQ(oc.closed, 0);

	/* DATA with a gap: one NAK; old and overlapping DATA taken once */
	mark = nlog;
	p_data((unsigned int)idc, 10, 5);
	p_data((unsigned int)idc, 20, 5);
	run(50);
	LT_CHECK_EQ(count(mark, LOOM_MUX_NAK, idc, &f), 1);
	LT_CHECK(f && f->a == 0);
	LT_CHECK_EQ(oc.rx, 0);
	mark = nlog;
	p_data((unsigned int)idc, 0, 10);
	p_data((unsigned int)idc, 0, 10);	/* again: credit again, no rx */
	p_data((unsigned int)idc, 5, 10);	/* 5 new bytes */
	run(50);
	LT_CHECK_EQ(oc.rx, 15);
	LT_CHECK_EQ(oc.rx_bad, 0);
	LT_CHECK_EQ(count(mark, LOOM_MUX_CREDIT, idc, &f), 3);
	LT_CHECK(f && f->a == 15);
	/* our credit: RX_CREDIT new bytes in a frame taken, one more aborts */
	mark = nlog;
	p_data((unsigned int)idc, 15, RX_CREDIT);
	run(50);
	LT_CHECK_EQ(oc.rx, 15 + RX_CREDIT);
	LT_CHECK_EQ(oc.closed, 0);
	p_data((unsigned int)idc, 15 + RX_CREDIT, RX_CREDIT + 1);
	RUN_UNTIL(oc.closed == 1, 1000);
	LT_CHECK_EQ(oc.rx, 15 + RX_CREDIT);
	run(20);
	LT_CHECK(count(mark, LOOM_MUX_CLOSE, idc, &f) >= 1);
	LT_CHECK(f && f->a == LOOM_MUX_R_PROTOCOL);
	/* the aborted channel's CLOSE goes again each tick until answered */
	run(2 * PING_MS + 50);
	LT_CHECK(count(mark, LOOM_MUX_CLOSE, idc, NULL) >= 2);
	p_close((unsigned int)idc, LOOM_MUX_R_OK);

	/* frames for a channel we do not have */
	mark = nlog;
	p_data(9, 0, 3);			/* -> CLOSE GONE */
	p_close(9, LOOM_MUX_R_GONE);		/* -> CLOSE OK (an answer) */
	p_close(9, LOOM_MUX_R_OK);		/* an answer: nothing */
	p_u32(9, LOOM_MUX_CREDIT, 5);		/* -> CLOSE GONE */
	run(50);
	LT_CHECK_EQ(count(mark, LOOM_MUX_CLOSE, 9, NULL), 3);
	LT_CHECK_EQ(log_[mark].a, LOOM_MUX_R_GONE);
	LT_CHECK(mark + 1 < nlog && log_[mark + 1].a == LOOM_MUX_R_OK);

	/* OPENs from the peer: refused by the acceptor, accepted, repeated */
	mark = nlog;
	refuse = 1;
	p_u32(20, LOOM_MUX_OPEN, 256);
	run(50);
	LT_CHECK_EQ(accepts, 1);
	LT_CHECK_EQ(count(mark, LOOM_MUX_OPEN_ACK, 20, &f), 1);
	LT_CHECK(f && f->a == LOOM_MUX_R_FAILED);
	refuse = 0;
	mark = nlog;
	p_u32(21, LOOM_MUX_OPEN, 256);
	p_u32(21, LOOM_MUX_OPEN, 256);	/* our ack "lost": the same answer */
	run(50);
	LT_CHECK_EQ(accepts, 2);
	LT_CHECK_EQ(count(mark, LOOM_MUX_OPEN_ACK, 21, &f), 2);
	LT_CHECK(f && f->a == LOOM_MUX_R_OK && f->b == RX_CREDIT);
	p_data(21, 0, 7);
	run(30);
	LT_CHECK_EQ(acc_owner.rx, 7);
	/* DATA half the offset space away (2^31 past what we took): not new
	 * bytes, not a gap we can wait for; answered with our total, no rx */
	mark = nlog;
	p_data(21, 7 + 0x80000000u, 3);
	run(30);
	LT_CHECK_EQ(acc_owner.rx, 7);
	LT_CHECK_EQ(count(mark, LOOM_MUX_CREDIT, 21, &f), 1);
	LT_CHECK(f && f->a == 7);
	LT_CHECK_EQ(count(mark, LOOM_MUX_NAK, 21, NULL), 0);
	mark = nlog;
	p_close(21, LOOM_MUX_R_GONE);
	RUN_UNTIL(acc_owner.closed == 1, 1000);
	LT_CHECK_EQ(count(mark, LOOM_MUX_CLOSE, 21, &f), 1);
	LT_CHECK(f && f->a == LOOM_MUX_R_OK);

	/* a close waits for what was sent to be acknowledged */
	mark = nlog;
	e = open_ch(l, &oe, 100);
	ide = (int)ch_id(mark);
	if (!e)
		return lt_result("api-test-mux-link");
	mark = nlog;
	LT_CHECK_EQ(loom__mux_ch_write(e, wbuf, 10), 0);
	loom__mux_ch_close(e);
	run(30);
	LT_CHECK_EQ(count(mark, LOOM_MUX_DATA, ide, NULL), 1);
	LT_CHECK_EQ(count(mark, LOOM_MUX_CLOSE, ide, NULL), 0);
	p_u32((unsigned int)ide, LOOM_MUX_CREDIT, 10);
	run(30);
	LT_CHECK(count(mark, LOOM_MUX_CLOSE, ide, &f) >= 1);	/* again each tick */
	LT_CHECK(f && f->a == LOOM_MUX_R_GONE);
	p_close((unsigned int)ide, LOOM_MUX_R_OK);
	run(30);
	LT_CHECK_EQ(oe.closed, 0);	/* closed by its owner: no callback */

	/* the peer comes back with a new session: its channels are gone */
	mark = nlog;
	(void)open_ch(l, &of, 100);
	idf = (int)ch_id(mark);
	LT_CHECK(idf > 0);
	mark = nlog;
	p_hello(0x22222222u);
	RUN_UNTIL(of.closed == 1, 1000);
	LT_CHECK_EQ(of.link_down, 1);
	LT_CHECK(count(mark, LOOM_MUX_HELLO, 0, NULL) >= 1);	/* ours, again */

	/* the peer stops answering: link down after miss_max PINGs, every channel
	 * told link_down, no channel opens; PONGs again: up */
	mark = nlog;
	g = open_ch(l, &og, 100);
	idg = (int)ch_id(mark);
	LT_CHECK(g && idg > 0);
	auto_pong = 0;
	RUN_UNTIL(downs == 1, 2000);
	LT_CHECK_EQ(og.closed, 1);
	LT_CHECK_EQ(og.link_down, 1);
	LT_CHECK(!loom__mux_link_is_up(l));
	LT_CHECK(loom__mux_ch_open(l, &o_ops, &oh) == NULL);
	auto_pong = 1;
	/* the link took a new session: the peer answers its HELLO with its own */
	p_hello(0x33333333u);
	RUN_UNTIL(ups == 2, 2000);
	loom__mux_link_stats(l, &ldowns, &lups, &ldec);
	LT_CHECK_EQ(ldowns, 1);
	LT_CHECK_EQ(lups, 2);
	LT_CHECK_EQ(ldec->err_crc + ldec->err_hdr + ldec->err_frame, 0);

	/* an OPEN the peer never answers: sent again each tick, then given up
	 * (CLOSE GONE, the owner told, not link_down) */
	{
		static struct owner oq;
		struct loom_mux_ch *q;
		int idq;

		memset(&oq, 0, sizeof(oq));
		mark = nlog;
		q = loom__mux_ch_open(l, &o_ops, &oq);
		LT_CHECK(q != NULL);
		RUN_UNTIL(oq.closed == 1, (int)(2 * 3 + 4) * PING_MS);
		run(30);
		idq = (int)ch_id(mark);
		LT_CHECK(count(mark, LOOM_MUX_OPEN, idq, NULL) >= 3);
		LT_CHECK_EQ(oq.link_down, 0);
		LT_CHECK_EQ(oq.opened, 0);
		LT_CHECK_EQ(count(mark, LOOM_MUX_CLOSE, idq, &f), 1);
		LT_CHECK(f && f->a == LOOM_MUX_R_GONE);
	}

	/* DATA and CREDIT before our OPEN_ACK are dropped (the peer sends them
	 * again); a second OPEN_ACK is ignored */
	{
		static struct owner ow;
		struct loom_mux_ch *w;
		int idw;

		memset(&ow, 0, sizeof(ow));
		mark = nlog;
		w = loom__mux_ch_open(l, &o_ops, &ow);
		LT_CHECK(w != NULL);
		RUN_UNTIL(count(mark, LOOM_MUX_OPEN, -1, NULL) >= 1, 1000);
		idw = (int)ch_id(mark);
		p_data((unsigned int)idw, 0, 5);
		p_u32((unsigned int)idw, LOOM_MUX_CREDIT, 5);
		run(30);
		LT_CHECK_EQ(ow.rx, 0);
		LT_CHECK_EQ(ow.closed, 0);
		p_ack((unsigned int)idw, LOOM_MUX_R_OK, 64);
		p_ack((unsigned int)idw, LOOM_MUX_R_BUSY, 0);
		p_data((unsigned int)idw, 0, 5);
		run(50);
		LT_CHECK_EQ(ow.opened, 1);
		LT_CHECK_EQ(ow.closed, 0);
		LT_CHECK_EQ(ow.rx, 5);
		/* a CLOSE "ok" for a channel that is not closing: no answer to
		 * nothing, the channel stays */
		p_close((unsigned int)idw, LOOM_MUX_R_OK);
		run(30);
		LT_CHECK_EQ(ow.closed, 0);
		/* the peer OPENs the id of our open channel: ours is stale, gone
		 * (link_down), and the peer's is accepted in its place */
		mark = nlog;
		refuse = 0;
		p_u32((unsigned int)idw, LOOM_MUX_OPEN, 256);
		run(50);
		LT_CHECK_EQ(ow.closed, 1);
		LT_CHECK_EQ(ow.link_down, 1);
		LT_CHECK_EQ(count(mark, LOOM_MUX_OPEN_ACK, idw, &f), 1);
		LT_CHECK(f && f->a == LOOM_MUX_R_OK);
		mark = nlog;
		p_close((unsigned int)idw, LOOM_MUX_R_GONE);
		run(30);
		LT_CHECK_EQ(count(mark, LOOM_MUX_CLOSE, idw, &f), 1);
		LT_CHECK(f && f->a == LOOM_MUX_R_OK);
	}

	/* destroyed with a channel open: its owner hears link_down */
	h = open_ch(l, &oh, 100);
	LT_CHECK(h != NULL);
	loom__mux_link_destroy(l);
	LT_CHECK_EQ(oh.closed, 1);
	LT_CHECK_EQ(oh.link_down, 1);
	run(20);
	close(sv[1]);
	t_pty();

	loom_context_destroy(ctx);
	close(sv[0]);

	return lt_result("api-test-mux-link");
}
