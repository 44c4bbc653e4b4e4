/*
 * api-test-sspc-peer: the SSPC client engine (lib/secure-streams/sspc/sspc.c)
 * against a proxy that misbehaves. The "proxy" is this test: a TCP listener on
 * 127.0.0.1 served by hand between loom_service() calls, which decodes what the
 * client sends with the serialization codec and answers with frames it builds
 * (some of them wrong). Checked: a refused stream type ends ALL_RETRIES_FAILED
 * and does not retry until loom_ss_client_connect(); a frame before CREATED, a
 * second CREATED, an unknown frame type, metadata one byte over the limit (at
 * the limit it is taken), a 33rd metadata name (32 are taken, and a new value
 * for one of them) and tx credit past 2^31 - 1 each drop the link with
 * DISCONNECTED and the stream comes back on a new link that carries the user's
 * metadata again, while another stream on the same proxy carries on; tx never
 * offers more than the proxy's credit; rx pieces are credited back; a proxy
 * that goes away mid-payload gives the piece without EOM and DISCONNECTED; an
 * unreachable proxy gives UNREACHABLE, a bad address ALL_RETRIES_FAILED;
 * DISCONNECT_ME and DESTROY_ME from callbacks; destroy sends DESTROY and closes.
 * The same over the transport mux (ss_proxy "mux:fd:N" on a socketpair, this
 * test the mux peer and proxy): a bad frame, DISCONNECT_ME and the proxy
 * closing the channel each close only that stream's channel, DISCONNECTED, and
 * the stream comes back on a new channel while another stream's stays open.
 * ASan builds check that nothing leaks on any of these paths.
 */
#include "core/private-core.h"
#include "secure-streams/serialization/private-ss-ser.h"
#include "secure-streams/transport-mux/private-ss-mux.h"
#include "loom-test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define MAX_PEERS	64
#define MD_MAX		4096	/* sspc.c's SSPC_MD_MAX */
#define MD_ITEMS	32	/* sspc.c's SSPC_MD_ITEMS */

/* ---- the fake proxy: one accepted connection per SSPC link ---- */

struct peer {
	int fd;
	int eof;			/* the client closed it */
	struct loom_sser_dec dec;
	int err;			/* the client sent a bad frame */
	char streamtype[LOOM_SSER_NAME_MAX + 1];
	uint32_t hello_credit;
	int hellos, destroys, connects, req_tx;
	uint32_t credit_back;		/* CREDIT the client gave us */
	size_t pl_len;			/* PAYLOAD bytes the client sent */
	int pl_frames, pl_last_flags;
	char md_name[LOOM_SSER_NAME_MAX + 1];	/* the last metadata */
	size_t md_len;
	int mds;
};

static struct peer peers[MAX_PEERS];
static int npeers, lfd, port;
static struct loom_context *ctx;

static int
peer_ev(void *opaque, const struct loom_sser_ev *e)
{
	struct peer *p = opaque;

	switch (e->ev) {
	case LOOM_SSEV_HELLO:
		p->hellos++;
		p->hello_credit = e->u32b;
		snprintf(p->streamtype, sizeof(p->streamtype), "%s", e->str);
		break;
	case LOOM_SSEV_MD_START:
		snprintf(p->md_name, sizeof(p->md_name), "%s", e->str);
		p->md_len = e->u32a;
		p->mds++;
		break;
	case LOOM_SSEV_PAYLOAD_START:
		p->pl_frames++;
		p->pl_last_flags = (int)e->u32a;
		break;
	case LOOM_SSEV_PAYLOAD_DATA:
		p->pl_len += e->len;
		break;
	case LOOM_SSEV_CREDIT:
		p->credit_back += e->u32a;
		break;
	case LOOM_SSEV_REQ_TX:
		p->req_tx++;
		break;
	case LOOM_SSEV_CONNECT:
		p->connects++;
		break;
	case LOOM_SSEV_DESTROY:
		p->destroys++;
		break;
	default:
		break;
	}

	return 0;
}

static void
pump(void)
{
	uint8_t buf[8192];
	int fd, i;
	ssize_t n;

	while (npeers < MAX_PEERS && (fd = accept(lfd, NULL, NULL)) >= 0) {
		struct peer *p = &peers[npeers++];

		memset(p, 0, sizeof(*p));
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		p->fd = fd;
		loom__sser_dec_init(&p->dec, LOOM_SSER_ROLE_PROXY);
	}
	for (i = 0; i < npeers; i++) {
		struct peer *p = &peers[i];

		n = -1;
		while (p->fd >= 0 && (n = recv(p->fd, buf, sizeof(buf), 0)) > 0)
			if (loom__sser_feed(&p->dec, buf, (size_t)n, peer_ev, p))
				p->err = 1;
		if (p->fd >= 0 && !n) {
			p->eof = 1;
			close(p->fd);
			p->fd = -1;
		}
	}
}

static void
psend(struct peer *p, const void *b, size_t len)
{
	LT_CHECK(len && p->fd >= 0 && send(p->fd, b, len, MSG_NOSIGNAL) == (ssize_t)len);
}

static void
p_created(struct peer *p, unsigned int result, uint32_t credit)
{
	uint8_t f[16];

	psend(p, f, loom__sser_put_created(f, sizeof(f), result, credit));
}

static void
p_state(struct peer *p, uint32_t state, uint32_t ack)
{
	uint8_t f[16];

	psend(p, f, loom__sser_put_state(f, sizeof(f), state, ack));
}

static void
p_credit(struct peer *p, uint32_t add)
{
	uint8_t f[16];

	psend(p, f, loom__sser_put_credit(f, sizeof(f), add));
}

static void
p_md(struct peer *p, const char *name, size_t len)
{
	static uint8_t f[LOOM_SSER_HDR + 1 + LOOM_SSER_NAME_MAX + 8192];
	size_t n = loom__sser_put_metadata_hdr(f, sizeof(f), name, len);

	LT_CHECK(n && n + len <= sizeof(f));
	memset(f + n, 'v', len);
	psend(p, f, n + len);
}

static void
p_payload(struct peer *p, int flags, size_t len, size_t send_only)
{
	static uint8_t f[LOOM_SSER_HDR + 1 + 65536];
	size_t n = loom__sser_put_payload_hdr(f, sizeof(f), (unsigned int)flags, len), k;

	LT_CHECK(n);
	for (k = 0; k < len; k++)
		f[n + k] = (uint8_t)k;
	psend(p, f, n + (send_only < len ? send_only : len));
}

static void
p_close(struct peer *p)
{
	close(p->fd);
	p->fd = -1;
}

/* ---- the streams ---- */

#define MAX_EV 64

struct strm {
	struct loom_ss_handle *h;
	int states[MAX_EV], nstates;
	unsigned int last_ack;
	size_t rx_len;
	int rx_calls, rx_flags, rx_empty_eom;
	size_t tx_offered[MAX_EV];
	int tx_calls;
	size_t tx_write;		/* what the tx callback writes */
	int tx_flags;
	int disconnect_on;		/* this state: return DISCONNECT_ME */
	int destroy_on_rx;
};

static int
count_state(const struct strm *s, int state)
{
	int i, n = 0;

	for (i = 0; i < s->nstates; i++)
		n += s->states[i] == state;

	return n;
}

static int
last_state(const struct strm *s)
{
	return s->nstates ? s->states[s->nstates - 1] : 0;
}

static int
s_state(void *userobj, void *h_src, int state, unsigned int ack)
{
	struct strm *s = *(struct strm **)((uint8_t *)userobj + sizeof(void *));

	(void)h_src;
	if (s->nstates < MAX_EV)
		s->states[s->nstates++] = state;
	s->last_ack = ack;
	if (state == LOOM_SSS_DESTROYING)
		s->h = NULL;
	if (s->disconnect_on && state == s->disconnect_on) {
		s->disconnect_on = 0;
		return LOOM_SSR_DISCONNECT_ME;
	}

	return LOOM_SSR_OK;
}

static int
s_rx(void *userobj, const uint8_t *buf, size_t len, int flags)
{
	struct strm *s = *(struct strm **)((uint8_t *)userobj + sizeof(void *));
	size_t k;

	for (k = 0; k < len; k++)
		if (buf[k] != (uint8_t)(s->rx_len + k))
			break;
	LT_CHECK(k == len);
	s->rx_len += len;
	s->rx_calls++;
	s->rx_flags = flags;
	if (!len && (flags & LOOM_SS_FLAG_EOM))
		s->rx_empty_eom++;

	return s->destroy_on_rx ? LOOM_SSR_DESTROY_ME : LOOM_SSR_OK;
}

static int
s_tx(void *userobj, uint8_t *buf, size_t *len, int *flags)
{
	struct strm *s = *(struct strm **)((uint8_t *)userobj + sizeof(void *));

	if (s->tx_calls < MAX_EV)
		s->tx_offered[s->tx_calls] = *len;
	s->tx_calls++;
	if (*len > s->tx_write)
		*len = s->tx_write;
	memset(buf, 'x', *len);
	*flags = s->tx_flags;

	return LOOM_SSR_OK;
}

static int
s_create(struct loom_context *c, struct strm *s, const char *type)
{
	struct loom_ss_info i;

	memset(&i, 0, sizeof(i));
	i.streamtype = type;
	i.user_alloc = 2 * sizeof(void *);	/* handle, then our struct strm */
	i.handle_offset = 0;
	i.opaque_user_data_offset = sizeof(void *);
	i.rx = s_rx;
	i.tx = s_tx;
	i.state = s_state;

	return loom_ss_create(c, 0, &i, s, &s->h);
}

/* ---- running ---- */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);

	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef int (*cond_fn)(void *arg);

static int
run_until(struct loom_context *c, cond_fn fn, void *arg, int ms)
{
	long long end = now_ms() + ms;

	while (now_ms() < end) {
		loom_service(c, 10);
		pump();
		if (fn && fn(arg))
			return 1;
	}

	return fn ? fn(arg) : 1;
}

static int c_npeers_want;
static int
c_npeers(void *arg)
{
	(void)arg;
	return npeers >= c_npeers_want;
}

static int
c_hello(void *arg)
{
	return ((struct peer *)arg)->hellos > 0;
}

static int
c_eof(void *arg)
{
	return ((struct peer *)arg)->eof;
}

struct want_state {
	struct strm *s;
	int state, count;
};

static int
c_state(void *arg)
{
	struct want_state *w = arg;

	return count_state(w->s, w->state) >= w->count;
}

static int
wait_state(struct strm *s, int state, int count, int ms)
{
	struct want_state w = { s, state, count };

	return run_until(ctx, c_state, &w, ms);
}

/* the next link of a stream: wait for its connection and HELLO */
static struct peer *
next_peer(int ms)
{
	struct peer *p;

	c_npeers_want = npeers + 1;
	if (!run_until(ctx, c_npeers, NULL, ms))
		return NULL;
	p = &peers[npeers - 1];
	if (!run_until(ctx, c_hello, p, 1000))
		return NULL;

	return p;
}

/* a stream up: its link accepted, CREATED ok with \p credit, CONNECTED told */
static struct peer *
bring_up(struct strm *s, uint32_t credit)
{
	struct peer *p = next_peer(3000);

	LT_CHECK(p != NULL);
	if (!p)
		return NULL;
	p_created(p, LOOM_SSER_R_OK, credit);
	p_state(p, LOOM_SSS_CONNECTED, 0);
	LT_CHECK(wait_state(s, LOOM_SSS_CONNECTED, count_state(s, LOOM_SSS_CONNECTED) + 1,
			    2000));

	return p;
}

/* a bad frame from the proxy: the link drops, the user sees DISCONNECTED, and the
 * stream links again (HELLO and the user's metadata on the new link) */
static struct peer *
expect_drop_and_relink(struct strm *s, struct peer *p, const char *why)
{
	int d = count_state(s, LOOM_SSS_DISCONNECTED);
	struct peer *np;

	if (!run_until(ctx, c_eof, p, 2000)) {
		fprintf(stderr, "%s: the client did not drop the link\n", why);
		LT_CHECK(0);
		return NULL;
	}
	LT_CHECK(wait_state(s, LOOM_SSS_DISCONNECTED, d + 1, 1000));
	np = next_peer(3000);
	if (!np)
		fprintf(stderr, "%s: no new link\n", why);
	LT_CHECK(np != NULL);

	return np;
}

static void
t_refused(void)
{
	static struct strm s;
	struct peer *p;
	int n;

	memset(&s, 0, sizeof(s));
	LT_CHECK_EQ(s_create(ctx, &s, "nosuch"), 0);
	LT_CHECK_EQ(s.states[0], LOOM_SSS_CREATING);
	p = next_peer(3000);
	LT_CHECK(p && !strcmp(p->streamtype, "nosuch") && p->hello_credit > 0);
	if (!p)
		return;
	p_created(p, LOOM_SSER_R_NO_STREAMTYPE, 0);
	LT_CHECK(wait_state(&s, LOOM_SSS_ALL_RETRIES_FAILED, 1, 2000));
	LT_CHECK_EQ(s.last_ack, LOOM_SSER_R_NO_STREAMTYPE);
	/* the refusal is final: the proxy closes, the client does not come back */
	p_close(p);
	n = npeers;
	run_until(ctx, NULL, NULL, 700);
	LT_CHECK_EQ(npeers, n);
	LT_CHECK_EQ(count_state(&s, LOOM_SSS_DISCONNECTED), 0);
	/* ... until asked to */
	LT_CHECK_EQ(loom_ss_client_connect(s.h), 0);
	p = next_peer(3000);
	LT_CHECK(p != NULL);
	if (p) {
		p_created(p, LOOM_SSER_R_OK, 0);
		/* CREATING and DESTROYING from the proxy are the client's own */
		p_state(p, LOOM_SSS_CREATING, 0);
		p_state(p, LOOM_SSS_DESTROYING, 0);
		p_state(p, LOOM_SSS_CONNECTED, 0);
		LT_CHECK(wait_state(&s, LOOM_SSS_CONNECTED, 1, 2000));
		LT_CHECK_EQ(count_state(&s, LOOM_SSS_CREATING), 1);
		LT_CHECK_EQ(count_state(&s, LOOM_SSS_DESTROYING), 0);
		/* connect on a live link: a CONNECT frame */
		LT_CHECK_EQ(loom_ss_client_connect(s.h), 0);
		run_until(ctx, NULL, NULL, 100);
		LT_CHECK_EQ(p->connects, 1);
	}
	loom_ss_destroy(&s.h);
	LT_CHECK(s.h == NULL);
	LT_CHECK_EQ(last_state(&s), LOOM_SSS_DESTROYING);
	if (p) {
		LT_CHECK(run_until(ctx, c_eof, p, 2000));
		LT_CHECK_EQ(p->destroys, 1);
		LT_CHECK(!p->err);
	}
}

/* bad frames from the proxy on one stream; another stream carries on */
static void
t_bad_frames(void)
{
	static struct strm a, b;
	static const uint8_t unknown[] = { 0x7f, 0x00, 0x00 };
	const void *v;
	size_t vl;
	struct peer *pa, *pb;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	LT_CHECK_EQ(s_create(ctx, &a, "alpha"), 0);
	/* metadata set before the link: sent on every link */
	LT_CHECK_EQ(loom_ss_set_metadata(a.h, "mine", "abc", 3), 0);
	pa = bring_up(&a, 0);
	LT_CHECK(pa && pa->mds == 1 && !strcmp(pa->md_name, "mine") && pa->md_len == 3);
	LT_CHECK_EQ(s_create(ctx, &b, "beta"), 0);
	pb = bring_up(&b, 100);
	if (!pa || !pb)
		return;

	/* a second CREATED: the link drops; the new one carries "mine" again */
	p_created(pa, LOOM_SSER_R_OK, 0);
	pa = expect_drop_and_relink(&a, pa, "second CREATED");
	if (!pa)
		return;
	LT_CHECK(pa->mds == 1 && !strcmp(pa->md_name, "mine"));
	/* a STATE before CREATED: the link drops */
	p_state(pa, LOOM_SSS_CONNECTED, 0);
	pa = expect_drop_and_relink(&a, pa, "STATE before CREATED");
	if (!pa)
		return;

	/* an unknown frame type */
	p_created(pa, LOOM_SSER_R_OK, 0);
	psend(pa, unknown, sizeof(unknown));
	pa = expect_drop_and_relink(&a, pa, "unknown frame type");
	if (!pa)
		return;

	/* metadata at the limit is taken, one byte over drops the link */
	p_created(pa, LOOM_SSER_R_OK, 0);
	p_md(pa, "big", MD_MAX);
	p_md(pa, "empty", 0);
	p_state(pa, LOOM_SSS_CONNECTED, 0);
	LT_CHECK(wait_state(&a, LOOM_SSS_CONNECTED, 2, 2000));
	LT_CHECK_EQ(loom_ss_get_metadata(a.h, "big", &v, &vl), 0);
	LT_CHECK_EQ(vl, MD_MAX);
	LT_CHECK_EQ(loom_ss_get_metadata(a.h, "empty", &v, &vl), 0);
	LT_CHECK_EQ(vl, 0);
	/* the proxy's value of a name hides the user's; the user's stays its own */
	p_md(pa, "mine", 5);
	run_until(ctx, NULL, NULL, 100);
	LT_CHECK_EQ(loom_ss_get_metadata(a.h, "mine", &v, &vl), 0);
	LT_CHECK_EQ(vl, 5);
	p_md(pa, "big", MD_MAX + 1);
	pa = expect_drop_and_relink(&a, pa, "metadata over the limit");
	if (!pa)
		return;
	/* the user's own metadata went again, unchanged */
	LT_CHECK(pa->mds == 1 && pa->md_len == 3);

	/* tx credit: up to 2^31 - 1 in all is taken, past it drops the link */
	p_created(pa, LOOM_SSER_R_OK, 0x7ffffff0u);
	p_credit(pa, 0xf);
	p_state(pa, LOOM_SSS_CONNECTED, 0);
	LT_CHECK(wait_state(&a, LOOM_SSS_CONNECTED, 3, 2000));
	p_credit(pa, 1);
	pa = expect_drop_and_relink(&a, pa, "credit past 2^31 - 1");
	if (!pa)
		return;

	/* through all that, b's link stayed up and still works both ways */
	LT_CHECK_EQ(count_state(&b, LOOM_SSS_DISCONNECTED), 0);
	LT_CHECK_EQ(pb->eof, 0);
	p_payload(pb, LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM, 1000, 1000);
	b.tx_write = 60;
	b.tx_flags = LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM;
	LT_CHECK_EQ(loom_ss_request_tx(b.h), 0);
	run_until(ctx, NULL, NULL, 200);
	LT_CHECK_EQ(b.rx_len, 1000);
	LT_CHECK_EQ(b.rx_flags, LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM);
	LT_CHECK_EQ(pb->credit_back, 1000);
	LT_CHECK_EQ(pb->pl_len, 60);
	LT_CHECK(pb->req_tx >= 1);

	loom_ss_destroy(&a.h);
	loom_ss_destroy(&b.h);
	LT_CHECK(run_until(ctx, c_eof, pb, 2000));
	LT_CHECK(run_until(ctx, c_eof, pa, 2000));
	LT_CHECK(!pa->err && !pb->err);
}

/* metadata items from the proxy: at most MD_ITEMS names a stream; a new value
 * for a name it has replaces the old one; one name more drops the link */
static void
t_md_items(void)
{
	static struct strm s;
	struct peer *p;
	const void *v;
	size_t vl;
	char name[16];
	int i;

	memset(&s, 0, sizeof(s));
	LT_CHECK_EQ(s_create(ctx, &s, "items"), 0);
	p = bring_up(&s, 0);
	if (!p)
		return;
	for (i = 0; i < MD_ITEMS; i++) {
		snprintf(name, sizeof(name), "md%02d", i);
		p_md(p, name, (size_t)i + 1);
	}
	p_md(p, "md05", 100);		/* replaced: not one more */
	run_until(ctx, NULL, NULL, 200);
	LT_CHECK_EQ(p->eof, 0);
	LT_CHECK_EQ(count_state(&s, LOOM_SSS_DISCONNECTED), 0);
	LT_CHECK_EQ(loom_ss_get_metadata(s.h, "md31", &v, &vl), 0);
	LT_CHECK_EQ(vl, 32);
	LT_CHECK_EQ(loom_ss_get_metadata(s.h, "md05", &v, &vl), 0);
	LT_CHECK_EQ(vl, 100);
	p_md(p, "one-more", 1);
	p = expect_drop_and_relink(&s, p, "metadata item past the limit");
	if (!p)
		return;
	/* what it had stays; the names it has can still be set */
	LT_CHECK_EQ(loom_ss_get_metadata(s.h, "md00", &v, &vl), 0);
	LT_CHECK_EQ(loom_ss_get_metadata(s.h, "one-more", &v, &vl), LOOM_ENOTFOUND);
	p_created(p, LOOM_SSER_R_OK, 0);
	p_md(p, "md00", 7);
	run_until(ctx, NULL, NULL, 200);
	LT_CHECK_EQ(p->eof, 0);
	LT_CHECK_EQ(loom_ss_get_metadata(s.h, "md00", &v, &vl), 0);
	LT_CHECK_EQ(vl, 7);
	loom_ss_destroy(&s.h);
	LT_CHECK(run_until(ctx, c_eof, p, 2000));
}

/* tx never past the proxy's credit; rx credited back; empty pieces; the proxy
 * going away mid-payload */
static void
t_credit_and_gone(void)
{
	static struct strm s;
	struct peer *p;
	int i, over = 0;

	memset(&s, 0, sizeof(s));
	LT_CHECK_EQ(s_create(ctx, &s, "gamma"), 0);
	p = bring_up(&s, 10);
	if (!p)
		return;
	/* a message of 25 bytes, asked to be sent in as big pieces as allowed */
	s.tx_write = 4096;
	s.tx_flags = 0;		/* not the end: the tx callback is asked again */
	LT_CHECK_EQ(loom_ss_request_tx_len(s.h, 25), 0);
	run_until(ctx, NULL, NULL, 200);
	LT_CHECK_EQ(s.tx_calls, 1);
	LT_CHECK_EQ(s.tx_offered[0], 10);
	LT_CHECK_EQ(p->pl_len, 10);
	/* no credit: no tx, however long */
	run_until(ctx, NULL, NULL, 200);
	LT_CHECK_EQ(s.tx_calls, 1);
	p_credit(p, 7);
	run_until(ctx, NULL, NULL, 200);
	LT_CHECK_EQ(s.tx_calls, 2);
	LT_CHECK_EQ(s.tx_offered[1], 7);
	p_credit(p, 100);
	s.tx_write = 8;
	s.tx_flags = LOOM_SS_FLAG_EOM;
	run_until(ctx, NULL, NULL, 200);
	LT_CHECK_EQ(s.tx_calls, 3);
	LT_CHECK_EQ(p->pl_len, 25);
	LT_CHECK_EQ(p->pl_last_flags, LOOM_SS_FLAG_EOM);
	for (i = 0; i < s.tx_calls && i < MAX_EV; i++)
		over += s.tx_offered[i] > 100;
	LT_CHECK_EQ(over, 0);
	/* EOM sent: no more tx callbacks */
	run_until(ctx, NULL, NULL, 100);
	LT_CHECK_EQ(s.tx_calls, 3);

	/* an empty piece with EOM is told as such */
	p_payload(p, LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM, 0, 0);
	run_until(ctx, NULL, NULL, 100);
	LT_CHECK_EQ(s.rx_empty_eom, 1);
	LT_CHECK_EQ(p->credit_back, 0);	/* nothing taken, nothing credited */

	/* a payload cut by the proxy going away: the bytes that came, no EOM,
	 * DISCONNECTED, and a new link */
	p_payload(p, LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM, 3000, 1200);
	run_until(ctx, NULL, NULL, 100);
	LT_CHECK_EQ(s.rx_len, 1200);
	LT_CHECK(!(s.rx_flags & LOOM_SS_FLAG_EOM));
	LT_CHECK_EQ(p->credit_back, 1200);
	i = count_state(&s, LOOM_SSS_DISCONNECTED);
	p_close(p);
	LT_CHECK(wait_state(&s, LOOM_SSS_DISCONNECTED, i + 1, 2000));
	p = next_peer(3000);
	LT_CHECK(p != NULL);
	if (!p)
		return;

	/* DISCONNECT_ME from the state callback drops the link; it comes back */
	s.disconnect_on = LOOM_SSS_CONNECTED;
	p_created(p, LOOM_SSER_R_OK, 0);
	p_state(p, LOOM_SSS_CONNECTED, 0);
	p = expect_drop_and_relink(&s, p, "DISCONNECT_ME");
	if (!p)
		return;

	/* DESTROY_ME from rx: the stream goes after the callback, DESTROY sent */
	p_created(p, LOOM_SSER_R_OK, 0);
	s.destroy_on_rx = 1;
	s.rx_len = 0;
	p_payload(p, LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM, 10, 10);
	LT_CHECK(wait_state(&s, LOOM_SSS_DESTROYING, 1, 2000));
	LT_CHECK(s.h == NULL);
	LT_CHECK(run_until(ctx, c_eof, p, 2000));
	LT_CHECK_EQ(p->destroys, 1);
}

/* no proxy there, and an address that is no address */
static void
t_unreachable(void)
{
	struct loom_context_info ci;
	struct loom_context *c;
	static struct strm s;
	struct want_state w;
	int fd, dead;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char addr[64];

	/* a port nobody listens on: bound, not listening */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	LT_CHECK(!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
		 !getsockname(fd, (struct sockaddr *)&sa, &sl));
	dead = ntohs(sa.sin_port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", dead);
	memset(&ci, 0, sizeof(ci));
	ci.ss_proxy = addr;
	c = loom_create_context(&ci);
	LT_CHECK(c != NULL);
	if (c) {
		memset(&s, 0, sizeof(s));
		LT_CHECK_EQ(s_create(c, &s, "delta"), 0);
		w.s = &s;
		w.state = LOOM_SSS_UNREACHABLE;
		w.count = 2;	/* and it tries again */
		LT_CHECK(run_until(c, c_state, &w, 3000));
		LT_CHECK_EQ(count_state(&s, LOOM_SSS_CONNECTED), 0);
		/* destroyed with streams open: DESTROYING told by the context */
		loom_context_destroy(c);
		LT_CHECK_EQ(last_state(&s), LOOM_SSS_DESTROYING);
	}
	close(fd);

	memset(&ci, 0, sizeof(ci));
	ci.ss_proxy = "no-port-here";
	c = loom_create_context(&ci);
	LT_CHECK(c != NULL);
	if (c) {
		memset(&s, 0, sizeof(s));
		LT_CHECK_EQ(s_create(c, &s, "delta"), 0);
		w.s = &s;
		w.state = LOOM_SSS_ALL_RETRIES_FAILED;
		w.count = 1;
		LT_CHECK(run_until(c, c_state, &w, 2000));
		LT_CHECK_EQ(count_state(&s, LOOM_SSS_CONNECTING), 0);
		/* request_tx on a dead stream does not bring it back */
		LT_CHECK_EQ(loom_ss_request_tx(s.h), 0);
		run_until(c, NULL, NULL, 300);
		LT_CHECK_EQ(count_state(&s, LOOM_SSS_ALL_RETRIES_FAILED), 1);
		loom_ss_destroy(&s.h);
		LT_CHECK_EQ(last_state(&s), LOOM_SSS_DESTROYING);
		loom_context_destroy(c);
	}
}

/* ---- the same streams over the transport mux: a context with
 * ss_proxy "mux:fd:N", and this test the proxy at the other end of the pipe ---- */

struct mch {
	int open, closed_by_link, closes_sent;
	uint32_t rx_taken, tx_off;
	struct peer p;			/* the serialization side, as above */
};

static struct {
	int fd, hello_sent, opens;
	struct loom_mux_dec dec;
	struct mch ch[LOOM_MUX_MAX_CH + 1];
	int last_open;
} mp;

static void
mp_send(const uint8_t *f, size_t n)
{
	LT_CHECK(n && send(mp.fd, f, n, MSG_NOSIGNAL) == (ssize_t)n);
}

/* serialization bytes to the stream on channel \p id, as DATA frames */
static void
mp_data(int id, const uint8_t *b, size_t len)
{
	uint8_t f[LOOM_MUX_OVERHEAD + LOOM_MUX_MAX_BODY];
	struct mch *c = &mp.ch[id];
	size_t k;

	while (len) {
		k = len < 500 ? len : 500;
		mp_send(f, loom__mux_put_data(f, sizeof(f), (unsigned int)id, c->tx_off, b, k));
		c->tx_off += (uint32_t)k;
		b += k;
		len -= k;
	}
}

static int
mp_frame(void *opaque, const struct loom_mux_ev *e)
{
	uint8_t f[LOOM_MUX_OVERHEAD + 16];
	struct mch *c = &mp.ch[e->ch];

	(void)opaque;
	switch (e->type) {
	case LOOM_MUX_HELLO:
		if (!mp.hello_sent++)
			mp_send(f, loom__mux_put_hello(f, sizeof(f), 512, 0x5150u));
		break;
	case LOOM_MUX_PING:
		mp_send(f, loom__mux_put_u32(f, sizeof(f), 0, LOOM_MUX_PONG, e->u32a));
		break;
	case LOOM_MUX_OPEN:
		memset(c, 0, sizeof(*c));
		c->open = 1;
		c->p.fd = -1;
		loom__sser_dec_init(&c->p.dec, LOOM_SSER_ROLE_PROXY);
		mp.opens++;
		mp.last_open = e->ch;
		mp_send(f, loom__mux_put_open_ack(f, sizeof(f), e->ch, LOOM_MUX_R_OK, 4096));
		break;
	case LOOM_MUX_DATA:
		if (!c->open || e->u32a != c->rx_taken)
			break;	/* a socketpair loses nothing: not expected */
		if (loom__sser_feed(&c->p.dec, e->buf, e->len, peer_ev, &c->p))
			c->p.err = 1;
		c->rx_taken += (uint32_t)e->len;
		mp_send(f, loom__mux_put_u32(f, sizeof(f), e->ch, LOOM_MUX_CREDIT,
					     c->rx_taken));
		break;
	case LOOM_MUX_CLOSE:
		if (e->u32a == LOOM_MUX_R_OK)
			break;
		if (c->open)
			c->closed_by_link++;
		c->open = 0;
		mp_send(f, loom__mux_put_close(f, sizeof(f), e->ch, LOOM_MUX_R_OK));
		break;
	default:
		break;
	}

	return 0;
}

static void
mp_pump(void)
{
	uint8_t buf[4096];
	ssize_t n;

	while ((n = recv(mp.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		loom__mux_feed(&mp.dec, buf, (size_t)n, mp_frame, NULL);
}

#define MRUN_UNTIL(c, cond, ms) do { \
	long long _end = now_ms() + (ms); \
	while (!(cond) && now_ms() < _end) { \
		loom_service(c, 5); \
		mp_pump(); \
	} \
	LT_CHECK(cond); \
} while (0)

/* the stream's next channel: opened, HELLO in it; CREATED and CONNECTED sent */
static int
mp_bring_up(struct loom_context *c, struct strm *s, uint32_t credit)
{
	uint8_t f[32];
	int opens = mp.opens, id, conn = count_state(s, LOOM_SSS_CONNECTED);

	MRUN_UNTIL(c, mp.opens > opens && mp.ch[mp.last_open].p.hellos, 5000);
	if (mp.opens == opens)
		return 0;
	id = mp.last_open;
	mp_data(id, f, loom__sser_put_created(f, sizeof(f), LOOM_SSER_R_OK, credit));
	mp_data(id, f, loom__sser_put_state(f, sizeof(f), LOOM_SSS_CONNECTED, 0));
	MRUN_UNTIL(c, count_state(s, LOOM_SSS_CONNECTED) > conn, 2000);

	return id;
}

static void
t_mux(void)
{
	static const uint8_t unknown[] = { 0x7f, 0x00, 0x00 };
	static uint8_t pl[LOOM_SSER_HDR + 1 + 1000];
	struct loom_context_info ci;
	struct loom_context *c;
	static struct strm s, s2;
	char addr[32];
	int sv[2], id, id2, d;
	size_t n, k;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		LT_CHECK(0);
		return;
	}
	memset(&mp, 0, sizeof(mp));
	mp.fd = sv[1];
	loom__mux_dec_init(&mp.dec, LOOM_MUX_MAX_BODY);
	snprintf(addr, sizeof(addr), "mux:fd:%d", sv[0]);
	memset(&ci, 0, sizeof(ci));
	ci.ss_proxy = addr;
	c = loom_create_context(&ci);
	LT_CHECK(c != NULL);
	if (!c)
		return;
	memset(&s, 0, sizeof(s));
	LT_CHECK_EQ(s_create(c, &s, "muxed"), 0);
	id = mp_bring_up(c, &s, 100);
	LT_CHECK(id > 0 && !strcmp(mp.ch[id].p.streamtype, "muxed"));
	if (id <= 0)
		goto out;

	/* both ways over the channel, credited */
	n = loom__sser_put_payload_hdr(pl, sizeof(pl), LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM,
				       1000);
	for (k = 0; k < 1000; k++)
		pl[n + k] = (uint8_t)k;
	mp_data(id, pl, n + 1000);
	s.tx_write = 50;
	s.tx_flags = LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM;
	LT_CHECK_EQ(loom_ss_request_tx(s.h), 0);
	MRUN_UNTIL(c, s.rx_len == 1000 && mp.ch[id].p.pl_len == 50 &&
		   mp.ch[id].p.credit_back == 1000, 2000);

	/* a bad frame in the channel: it is closed, the stream comes back on another */
	d = count_state(&s, LOOM_SSS_DISCONNECTED);
	mp_data(id, unknown, sizeof(unknown));
	MRUN_UNTIL(c, mp.ch[id].closed_by_link == 1, 2000);
	LT_CHECK_EQ(count_state(&s, LOOM_SSS_DISCONNECTED), d + 1);
	id = mp_bring_up(c, &s, 0);
	LT_CHECK(id > 0);
	if (id <= 0)
		goto out;

	/* a second stream on the same link; DISCONNECT_ME on the first (told when
	 * its CONNECTED comes) closes only its channel */
	memset(&s2, 0, sizeof(s2));
	LT_CHECK_EQ(s_create(c, &s2, "second"), 0);
	id2 = mp_bring_up(c, &s2, 0);
	LT_CHECK(id2 > 0 && id2 != id);
	if (id2 <= 0)
		goto out;
	s.disconnect_on = LOOM_SSS_CONNECTED;
	{
		uint8_t f[16];

		mp_data(id, f, loom__sser_put_state(f, sizeof(f), LOOM_SSS_CONNECTED, 0));
	}
	MRUN_UNTIL(c, mp.ch[id].closed_by_link == 1, 2000);
	LT_CHECK_EQ(count_state(&s, LOOM_SSS_DISCONNECTED), d + 2);
	id = mp_bring_up(c, &s, 0);
	LT_CHECK(id > 0);
	if (id <= 0)
		goto out;

	/* the proxy closes the channel: DISCONNECTED, and back */
	{
		uint8_t f[LOOM_MUX_OVERHEAD + 4];

		mp_send(f, loom__mux_put_close(f, sizeof(f), (unsigned int)id,
					       LOOM_MUX_R_GONE));
	}
	MRUN_UNTIL(c, count_state(&s, LOOM_SSS_DISCONNECTED) == d + 3, 2000);
	id = mp_bring_up(c, &s, 0);
	LT_CHECK(id > 0);
	if (id <= 0)
		goto out;
	LT_CHECK_EQ(count_state(&s2, LOOM_SSS_DISCONNECTED), 0);
	LT_CHECK(mp.ch[id2].open);

	/* destroyed: DESTROY in the channel, then its CLOSE */
	loom_ss_destroy(&s.h);
	MRUN_UNTIL(c, mp.ch[id].closed_by_link == 1, 2000);
	LT_CHECK_EQ(mp.ch[id].p.destroys, 1);
	LT_CHECK_EQ(last_state(&s), LOOM_SSS_DESTROYING);
	LT_CHECK(!mp.ch[id].p.err && !mp.ch[id2].p.err);
out:
	/* the context goes with s2 still open: DESTROYING told */
	loom_context_destroy(c);
	if (s2.nstates)
		LT_CHECK_EQ(last_state(&s2), LOOM_SSS_DESTROYING);
	close(sv[0]);
	close(sv[1]);
}

/* the API's own limits */
static void
t_api_limits(void)
{
	static struct strm s;
	static char longname[LOOM_SSER_NAME_MAX + 2];
	static uint8_t big[MD_MAX + 1];

	memset(&s, 0, sizeof(s));
	memset(longname, 'n', sizeof(longname) - 1);
	LT_CHECK_EQ(s_create(ctx, &s, longname), LOOM_EINVAL);
	longname[LOOM_SSER_NAME_MAX] = '\0';
	LT_CHECK_EQ(s_create(ctx, &s, longname), 0);
	LT_CHECK_EQ(loom_ss_set_metadata(s.h, "", "x", 1), LOOM_EINVAL);
	LT_CHECK_EQ(loom_ss_set_metadata(s.h, longname, "x", 1), 0);
	longname[LOOM_SSER_NAME_MAX] = 'n';
	LT_CHECK_EQ(loom_ss_set_metadata(s.h, longname, "x", 1), LOOM_EINVAL);
	LT_CHECK_EQ(loom_ss_set_metadata(s.h, "big", big, MD_MAX + 1), LOOM_EINVAL);
	LT_CHECK_EQ(loom_ss_set_metadata(s.h, "big", big, MD_MAX), 0);
	LT_CHECK_EQ(loom_ss_set_metadata(s.h, "big", big, 2), 0);	/* replaced */
	{
		const void *v;
		size_t vl;

		LT_CHECK_EQ(loom_ss_get_metadata(s.h, "big", &v, &vl), 0);
		LT_CHECK_EQ(vl, 2);
		LT_CHECK_EQ(loom_ss_get_metadata(s.h, "none", &v, &vl), LOOM_ENOTFOUND);
	}
	/* destroyed before its link was ever tried: nothing reaches the proxy */
	loom_ss_destroy(&s.h);
	LT_CHECK_EQ(last_state(&s), LOOM_SSS_DESTROYING);
}

int
main(void)
{
	struct loom_context_info ci;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char addr[64];
	int one = 1;

	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 16) || getsockname(lfd, (struct sockaddr *)&sa, &sl)) {
		fprintf(stderr, "cannot listen: %s\n", strerror(errno));
		return 1;
	}
	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	port = ntohs(sa.sin_port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);

	memset(&ci, 0, sizeof(ci));
	ci.ss_proxy = addr;
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-sspc-peer");

	t_api_limits();
	t_refused();
	t_bad_frames();
	t_credit_and_gone();
	t_md_items();
	t_unreachable();
	t_mux();

	loom_context_destroy(ctx);
	while (npeers--)
		if (peers[npeers].fd >= 0)
			close(peers[npeers].fd);
	close(lfd);

	return lt_result("api-test-sspc-peer");
}
