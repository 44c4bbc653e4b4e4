/*
 * bm-streams-test: the bare-metal platform (LOOM_PLAT=baremetal) built for the
 * host: two in-memory byte pipes stand in for a UART link between two adopted
 * streams of one context, driven by the app's own loop with the app's clock.
 * Checks: bytes cross in order through small rings (writes that the stream takes
 * only in part, held output), the echo side sees the link hang up and closes, a
 * conn timeout fires on the app's clock, loom_cancel_service() wakes the loop
 * and reaches the protocols, the stream table's limit, and a context refuses to
 * start without a clock.
 */
#include <loom.h>
#include <loom/baremetal.h>
#include "loom-test.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define RING 61			/* odd and small: writes split and wrap */
#define TOTAL 20000

struct ring {
	uint8_t b[RING];
	size_t head, count;
	int closed;		/* the writer end is gone */
};

/* one end of the link: reads \p in, writes \p out */
struct end {
	struct ring *in, *out;
	int closed;
};

static struct ring a2b, b2a;
static struct end end_a = { &b2a, &a2b, 0 }, end_b = { &a2b, &b2a, 0 };

static int
s_read(void *priv, uint8_t *buf, size_t len)
{
	struct end *e = priv;
	size_t n = 0;

	while (n < len && e->in->count) {
		buf[n++] = e->in->b[e->in->head];
		e->in->head = (e->in->head + 1) % RING;
		e->in->count--;
	}
	if (!n && e->in->closed)
		return -1;

	return (int)n;
}

static int
s_write(void *priv, const uint8_t *buf, size_t len)
{
	struct end *e = priv;
	size_t n = 0;

	if (e->out->closed)
		return -1;
	/* a UART FIFO takes a few bytes at a time */
	if (len > 13)
		len = 13;
	while (n < len && e->out->count < RING) {
		e->out->b[(e->out->head + e->out->count) % RING] = buf[n++];
		e->out->count++;
	}

	return (int)n;
}

static unsigned int
s_ready(void *priv)
{
	struct end *e = priv;
	unsigned int r = 0;

	if (e->in->count)
		r |= LOOM_BM_READABLE;
	if (e->out->count < RING)
		r |= LOOM_BM_WRITABLE;
	if (e->in->closed && !e->in->count)
		r |= LOOM_BM_HUP;

	return r;
}

static void
s_close(void *priv)
{
	struct end *e = priv;

	e->closed = 1;
	e->out->closed = 1;	/* the other end sees the hangup */
}

static const struct loom_bm_stream_ops stream_ops = { s_read, s_write, s_ready, s_close };

static int64_t
host_now_us(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int idles;

static void
host_idle(void *opaque, int timeout_ms)
{
	struct timespec ts = { 0, 1000000 };	/* 1 ms: a WFI that wakes on a tick */

	(void)opaque;
	(void)timeout_ms;
	idles++;
	nanosleep(&ts, NULL);
}

/* the sender: writes a counting pattern in chunks, checks what comes back */
static uint8_t txbuf[LOOM_PRE + 512];
static size_t sent, echoed, mismatches;
static int a_closed, b_closed, timeouts, cancels;

static uint8_t
pat(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

static int
cb_sender(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	size_t n, i;

	switch (reason) {
	case LOOM_CB_RAW_ADOPT_FILE:
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE_FILE:
		n = TOTAL - sent;
		if (n > 500)
			n = 500;
		for (i = 0; i < n; i++)
			txbuf[LOOM_PRE + i] = pat(sent + i);
		if (loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) != (int)n)
			return -1;
		sent += n;
		if (sent < TOTAL)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_RX_FILE:
		for (i = 0; i < len; i++)
			if (((uint8_t *)in)[i] != pat(echoed + i))
				mismatches++;
		echoed += len;
		if (echoed == TOTAL)
			return -1;	/* all back: close our end */
		break;
	case LOOM_CB_RAW_CLOSE_FILE:
		a_closed++;
		break;
	default:
		break;
	}

	return 0;
}

/* the echo side: what it reads goes straight back */
static int
cb_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	uint8_t buf[LOOM_PRE + 4096];

	switch (reason) {
	case LOOM_CB_RAW_RX_FILE:
		if (len > sizeof(buf) - LOOM_PRE)
			return -1;
		memcpy(buf + LOOM_PRE, in, len);
		if (loom_write(conn, buf + LOOM_PRE, len, LOOM_WRITE_RAW) != (int)len)
			return -1;
		break;
	case LOOM_CB_RAW_CLOSE_FILE:
		b_closed++;
		break;
	default:
		break;
	}

	return 0;
}

/* a conn nobody talks to: its timeout must fire on the app's clock */
static int
cb_idle(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	if (reason == LOOM_CB_RAW_ADOPT_FILE)
		loom_set_timeout(conn, LOOM_TO_USER, 1);
	if (reason == LOOM_CB_RAW_CLOSE_FILE)
		timeouts++;
	if (reason == LOOM_CB_EVENT_WAIT_CANCELLED)
		cancels++;

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "sender", cb_sender, 0, 0, 0, NULL, 0 },
	{ "echo", cb_echo, 0, 0, 0, NULL, 0 },
	{ "idle", cb_idle, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static int
never_ready_read(void *priv, uint8_t *buf, size_t len)
{
	(void)priv;
	(void)buf;
	(void)len;
	return 0;
}

static int
never_ready_write(void *priv, const uint8_t *buf, size_t len)
{
	(void)priv;
	(void)buf;
	(void)len;
	return 0;
}

static unsigned int
never_ready(void *priv)
{
	(void)priv;
	return 0;
}

static const struct loom_bm_stream_ops quiet_ops = {
	never_ready_read, never_ready_write, never_ready, NULL
};

int
main(void)
{
	struct loom_context_info ci;
	struct loom_vhost_info vi;
	struct loom_plat_hooks plat = { host_now_us, NULL, host_idle, NULL };
	struct loom_context *ctx;
	struct loom_vhost *vh;
	int fa, fb, fq, n, fds[LOOM_BM_MAX_STREAMS];
	int64_t t0, end;

	memset(&ci, 0, sizeof(ci));
	/* no clock yet: the context must refuse */
	LT_CHECK(loom_create_context(&ci) == NULL);
	LT_CHECK_EQ(loom_plat_set_hooks(NULL), LOOM_EINVAL);
	LT_CHECK_EQ(loom_plat_set_hooks(&plat), 0);

	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("bm-streams-test");
	memset(&vi, 0, sizeof(vi));
	vi.protocols = protocols;
	/* listening needs sockets: refused here */
	LT_CHECK(loom_create_vhost(ctx, &vi) == NULL);
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vh = loom_create_vhost(ctx, &vi);
	LT_CHECK(vh != NULL);

	fa = loom_bm_stream_add(&stream_ops, &end_a);
	fb = loom_bm_stream_add(&stream_ops, &end_b);
	fq = loom_bm_stream_add(&quiet_ops, NULL);
	LT_CHECK(fa > 0 && fb > 0 && fq > 0);
	/* a socket cannot be adopted where there are none */
	LT_CHECK(loom_adopt_descriptor(vh, LOOM_ADOPT_SOCKET, fq, "idle", NULL) == NULL);
	LT_CHECK(loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, fb, "echo", NULL) != NULL);
	LT_CHECK(loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, fa, "sender", NULL) != NULL);
	LT_CHECK(loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, fq, "idle", NULL) != NULL);

	t0 = host_now_us(NULL);
	end = t0 + 10 * 1000000;
	while (host_now_us(NULL) < end && !(a_closed && b_closed && timeouts))
		loom_service(ctx, -1);

	LT_CHECK_EQ(sent, (size_t)TOTAL);
	LT_CHECK_EQ(echoed, (size_t)TOTAL);
	LT_CHECK_EQ(mismatches, (size_t)0);
	LT_CHECK_EQ(a_closed, 1);
	LT_CHECK_EQ(b_closed, 1);	/* it saw the hangup */
	LT_CHECK(end_a.closed && end_b.closed);
	LT_CHECK_EQ(timeouts, 1);
	/* the 1 s timeout ran on our clock, not early */
	LT_CHECK(host_now_us(NULL) - t0 >= 1000000);
	LT_CHECK(idles > 0);
	printf("bm-streams-test: %zu bytes each way, %d idle calls\n", echoed, idles);

	/* loom_cancel_service() (an interrupt may call it): the loop sees the
	 * wake flag (no pipe conn here), each protocol hears it once, and the
	 * service call does not wait out its timeout */
	LT_CHECK_EQ(cancels, 0);
	loom_cancel_service(ctx);
	t0 = host_now_us(NULL);
	loom_service(ctx, 5000);
	LT_CHECK_EQ(cancels, 1);
	LT_CHECK(host_now_us(NULL) - t0 < 2000000);
	loom_service(ctx, 10);
	LT_CHECK_EQ(cancels, 1);

	/* the table's limit: every slot, then one too many; closed ones free theirs */
	for (n = 0; n < LOOM_BM_MAX_STREAMS; n++) {
		fds[n] = loom_bm_stream_add(&quiet_ops, NULL);
		if (fds[n] < 0)
			break;
	}
	LT_CHECK_EQ(n, LOOM_BM_MAX_STREAMS);	/* the three above were freed at close */
	LT_CHECK_EQ(loom_bm_stream_add(&quiet_ops, NULL), LOOM_ELIMIT);
	LT_CHECK(loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, fds[0], "idle", NULL) != NULL);

	loom_context_destroy(ctx);
	/* the conn's close gave its slot back */
	fq = loom_bm_stream_add(&quiet_ops, NULL);
	LT_CHECK(fq > 0);

	return lt_result("bm-streams-test");
}
