/*
 * mux-link.c: the transport mux link over a tty/pty fd: keepalive, link up and
 * down, channels with credit, and channels taking turns on the pipe. The framing
 * is mux-codec.c; see private-ss-mux-link.h.
 */
#include "core/private-core.h"
#include "secure-streams/transport-mux/private-ss-mux-link.h"

#include <string.h>
#if defined(LOOM_PLAT_SOCKETS)
#include <fcntl.h>
#include <unistd.h>
#endif
#if defined(LOOM_PLAT_UNIX)
#include <termios.h>	/* device C libraries (newlib, picolibc) have none */
#endif

#define ML_OUT_MAX	4096	/* pipe bytes held before channels are held back */
#define ML_WRITE_CHUNK	4096
#define ML_REOPEN_MS	500

enum { CH_FREE, CH_OPENING, CH_OPEN, CH_CLOSING };

struct loom_mux_ch {
	struct loom_mux_link *link;
	const struct loom_mux_ch_ops *ops;
	void *opaque;
	/*
	 * CREDIT carries the running total of DATA bytes the receiver has taken,
	 * so a CREDIT the line loses is made good by the next one: what we may
	 * send is tx_window + peer_taken - tx_sent (all mod 2^32)
	 */
	uint32_t tx_window, tx_sent, peer_taken;
	uint32_t rx_left;		/* DATA bytes we still take */
	uint32_t rx_taken;		/* DATA bytes we have taken, running */
	uint32_t born;			/* ping_seq when it was opened / closed */
	uint8_t id;
	uint8_t tx_seq, rx_seq;		/* DATA sequence numbers, each way */
	uint8_t state;
	uint8_t want_write;
};

struct loom_mux_link {
	struct loom_mux_link_info info;
	struct loom_context *ctx;
	struct loom_conn *conn;
	struct loom_sul sul_ping;
	struct loom_mux_dec dec;
	struct loom_buflist *out;	/* frames in order, one per segment */
	struct loom_buflist *pri;	/* keepalive and credit: ahead of DATA */
	size_t out_len;
	struct loom_mux_ch *ch[LOOM_MUX_MAX_CH + 1];
	char *path;
	uint32_t session, peer_session;
	uint32_t ping_seq, pong_seq, missed, rx_bytes;
	uint32_t downs, ups;
	unsigned int peer_max_body;
	uint8_t up, have_peer, rr, next_id, in_destroy;
};

static void
ml_ping(struct loom_sul *sul);

/* DATA bytes the peer takes now */
static uint32_t
ch_credit(const struct loom_mux_ch *ch)
{
	return ch->tx_window + ch->peer_taken - ch->tx_sent;
}

static int
ml_callback(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	    void *in, size_t len);

static const struct loom_protocol ml_protocols[] = {
	{ "loom-mux", ml_callback, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static uint32_t
ml_new_session(struct loom_mux_link *l)
{
	uint32_t r = 0, s;

#if defined(LOOM_PLAT_UNIX)
	r = (uint32_t)getpid() << 16;
#else
	/* a device restarts with its clock at 0: without randomness its new
	 * session could look like the old one to the peer */
	if (loom__plat_random(&r, sizeof(r)))
		r = 0;
#endif
	s = (uint32_t)loom_now_usecs() ^ r ^ (uint32_t)(uintptr_t)l;

	return s == l->session ? s + 1 : s;
}

static void
ml_queue(struct loom_mux_link *l, const uint8_t *f, size_t n)
{
	int pri;

	if (!n || !l->conn)
		return;
	/* keepalive must not wait behind DATA, nor must credit; the rest keeps
	 * its order with the channel's DATA (OPEN before, CLOSE after) */
	pri = f[1] == LOOM_MUX_LINK_CH || f[2] == LOOM_MUX_CREDIT;
	if (loom_buflist_append_segment(pri ? &l->pri : &l->out, f, n) < 0)
		return;		/* lost like a dropped byte: keepalive recovers */
	if (!pri)
		l->out_len += n;
	loom_callback_on_writable(l->conn);
}

static void
ml_send_u32(struct loom_mux_link *l, unsigned int ch, enum loom_mux_type t,
	    uint32_t v)
{
	uint8_t f[LOOM_MUX_OVERHEAD + 4];

	ml_queue(l, f, loom__mux_put_u32(f, sizeof(f), ch, t, v));
}

static void
ml_send_close(struct loom_mux_link *l, unsigned int ch, unsigned int reason)
{
	uint8_t f[LOOM_MUX_OVERHEAD + 1];

	ml_queue(l, f, loom__mux_put_close(f, sizeof(f), ch, reason));
}

static void
ml_send_hello(struct loom_mux_link *l)
{
	uint8_t f[LOOM_MUX_OVERHEAD + 7];

	ml_queue(l, f, loom__mux_put_hello(f, sizeof(f), l->info.max_body,
					   l->session));
}

static void
ch_free(struct loom_mux_ch *ch)
{
	ch->link->ch[ch->id] = NULL;
	loom_free(ch);
}

/* the channel goes: tell its owner (unless it closed it), free it */
static void
ch_gone(struct loom_mux_ch *ch, int link_down)
{
	const struct loom_mux_ch_ops *ops = ch->ops;
	void *opaque = ch->opaque;

	ch->ops = NULL;
	if (ops && ops->closed && ch->state != CH_CLOSING)
		ops->closed(ch, opaque, link_down);
	ch_free(ch);
}

/* every channel goes (link down, or the peer restarted) */
static void
ml_reset_channels(struct loom_mux_link *l)
{
	unsigned int i;

	for (i = 1; i <= LOOM_MUX_MAX_CH; i++)
		if (l->ch[i])
			ch_gone(l->ch[i], 1);
}

static void
ml_down(struct loom_mux_link *l)
{
	int was = l->up;

	l->up = 0;
	l->have_peer = 0;
	l->session = ml_new_session(l);	/* the peer drops its channels too */
	if (was) {
		l->downs++;
		loom_log_notice("mux: link down (%u pings missed)",
				(unsigned int)l->missed);
	}
	ml_reset_channels(l);
	if (was && l->info.link_state && !l->in_destroy)
		l->info.link_state(l, l->info.user, 0);
}

static void
ml_up(struct loom_mux_link *l)
{
	if (l->up)
		return;
	l->up = 1;
	l->ups++;
	loom_log_notice("mux: link up");
	if (l->info.link_state)
		l->info.link_state(l, l->info.user, 1);
}

/* ---- frames from the peer ---- */

static void
ml_link_frame(struct loom_mux_link *l, const struct loom_mux_ev *e)
{
	uint32_t s;

	switch (e->type) {
	case LOOM_MUX_HELLO:
		s = ((uint32_t)e->buf[0] << 24) | ((uint32_t)e->buf[1] << 16) |
		    ((uint32_t)e->buf[2] << 8) | e->buf[3];
		l->peer_max_body = e->u32b < LOOM_MUX_MAX_BODY ? e->u32b :
								 LOOM_MUX_MAX_BODY;
		if (l->have_peer && s == l->peer_session)
			break;
		if (l->have_peer) {
			/* the peer restarted or lost the link: its channels are gone */
			loom_log_notice("mux: peer has a new session");
			ml_reset_channels(l);
		}
		l->have_peer = 1;
		l->peer_session = s;
		ml_send_hello(l);
		break;
	case LOOM_MUX_PING:
		ml_send_u32(l, 0, LOOM_MUX_PONG, e->u32a);
		break;
	case LOOM_MUX_PONG:
		/* PINGs sent after this one may still be on the way */
		if (e->u32a - l->pong_seq - 1u >= l->ping_seq - l->pong_seq)
			break;	/* not one outstanding */
		l->pong_seq = e->u32a;
		l->missed = l->ping_seq - l->pong_seq;
		if (l->have_peer && l->missed < l->info.miss_max)
			ml_up(l);
		break;
	}
}

static void
ml_open_frame(struct loom_mux_link *l, const struct loom_mux_ev *e)
{
	struct loom_mux_ch *ch = l->ch[e->ch];
	uint8_t f[LOOM_MUX_OVERHEAD + 5];

	if (ch)		/* the peer reuses it: ours is stale */
		ch_gone(ch, 1);
#if !defined(LOOM_WITH_SS)
	/* an SSPC-only build opens channels and never accepts them (the proxy,
	 * which needs LOOM_WITH_SS, does): every OPEN is refused */
	ml_queue(l, f, loom__mux_put_open_ack(f, sizeof(f), e->ch, LOOM_MUX_R_BUSY, 0));
#else
	if (!l->info.accept || !l->have_peer) {
		ml_queue(l, f, loom__mux_put_open_ack(f, sizeof(f), e->ch,
						      LOOM_MUX_R_BUSY, 0));
		return;
	}
	ch = loom_zalloc(sizeof(*ch), "mux ch");
	if (!ch) {
		ml_queue(l, f, loom__mux_put_open_ack(f, sizeof(f), e->ch,
						      LOOM_MUX_R_FAILED, 0));
		return;
	}
	ch->link = l;
	ch->id = e->ch;
	ch->state = CH_OPEN;
	ch->tx_window = e->u32a;
	ch->rx_left = l->info.rx_credit;
	l->ch[e->ch] = ch;
	if (l->info.accept(l, ch, l->info.user)) {
		ch_free(ch);
		ml_queue(l, f, loom__mux_put_open_ack(f, sizeof(f), e->ch,
						      LOOM_MUX_R_FAILED, 0));
		return;
	}
	/* the ack goes out before anything the owner writes on it */
	ml_queue(l, f, loom__mux_put_open_ack(f, sizeof(f), e->ch, LOOM_MUX_R_OK,
					      l->info.rx_credit));
	if (ch->want_write)
		loom_callback_on_writable(l->conn);
#endif
}

static int
ml_frame(void *opaque, const struct loom_mux_ev *e)
{
	struct loom_mux_link *l = opaque;
	struct loom_mux_ch *ch;

	if (e->ch == LOOM_MUX_LINK_CH) {
		ml_link_frame(l, e);
		return 0;
	}
	if (e->type == LOOM_MUX_OPEN) {
		ml_open_frame(l, e);
		return 0;
	}
	ch = l->ch[e->ch];
	if (!ch) {
		/* a channel we do not have: say so, so the peer's owner learns */
		if (e->type != LOOM_MUX_CLOSE)
			ml_send_close(l, e->ch, LOOM_MUX_R_GONE);
		return 0;
	}
	switch (e->type) {
	case LOOM_MUX_OPEN_ACK:
		if (ch->state != CH_OPENING)
			break;
		if (e->u32a != LOOM_MUX_R_OK) {
			ch_gone(ch, 0);
			break;
		}
		ch->state = CH_OPEN;
		ch->tx_window = e->u32b;
		if (ch->ops && ch->ops->opened)
			ch->ops->opened(ch, ch->opaque);
		break;
	case LOOM_MUX_CLOSE:
		if (ch->state != CH_CLOSING)
			ml_send_close(l, e->ch, LOOM_MUX_R_OK);
		ch_gone(ch, 0);
		break;
	case LOOM_MUX_DATA:
		if (ch->state != CH_OPEN)
			break;
		if (e->u32a != ch->rx_seq || e->len > ch->rx_left) {
			/*
			 * a DATA frame was lost on the line (there is no resending:
			 * the stream's bytes have a hole), or more than the credit we
			 * gave: the channel is broken; its stream starts again
			 */
			loom_log_warn("mux: ch %u: %s", (unsigned int)e->ch,
				      e->u32a != ch->rx_seq ? "DATA lost on the line" :
							      "DATA past its credit");
			ml_send_close(l, e->ch, LOOM_MUX_R_PROTOCOL);
			ch_gone(ch, 0);
			break;
		}
		ch->rx_seq++;
		ch->rx_left -= (uint32_t)e->len;
		if (ch->ops && ch->ops->rx)
			ch->ops->rx(ch, ch->opaque, e->buf, e->len);
		/* taken by the owner (whose own flow control holds it): credit back */
		if (l->ch[e->ch] == ch && ch->state == CH_OPEN) {
			ch->rx_left += (uint32_t)e->len;
			ch->rx_taken += (uint32_t)e->len;
			if (ch->rx_taken)	/* 0 only at the 4 GiB wrap: the next */
				ml_send_u32(l, e->ch, LOOM_MUX_CREDIT, ch->rx_taken);
		}
		break;
	case LOOM_MUX_CREDIT:
		/* a serial line keeps order: a newer total, up to what we sent */
		if (e->u32a - ch->peer_taken > ch->tx_sent - ch->peer_taken) {
			ml_send_close(l, e->ch, LOOM_MUX_R_PROTOCOL);
			ch_gone(ch, 0);
			break;
		}
		ch->peer_taken = e->u32a;
		if (ch->want_write && l->conn)
			loom_callback_on_writable(l->conn);
		break;
	}

	return 0;
}

/* ---- the pipe ---- */

/* whole frames only, so a keepalive frame never lands inside another */
static int
ml_write_some(struct loom_mux_link *l)
{
	uint8_t buf[LOOM_PRE + ML_WRITE_CHUNK], *seg;
	size_t n = 0, sl;
	int pri;

	for (;;) {
		pri = !!l->pri;
		sl = loom_buflist_next_segment_len(pri ? &l->pri : &l->out, &seg);
		if (!sl || n + sl > ML_WRITE_CHUNK)
			break;
		memcpy(buf + LOOM_PRE + n, seg, sl);
		n += sl;
		loom_buflist_use_segment(pri ? &l->pri : &l->out, sl);
		if (!pri)
			l->out_len -= sl;
	}
	if (!n)
		return 0;
	if (loom_write(l->conn, buf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
		return -1;
	loom_callback_on_writable(l->conn);

	return 0;
}

/* the pipe can take more: channels that want to write take turns */
static int
ml_writeable(struct loom_mux_link *l)
{
	unsigned int i, id;

	if (l->out || l->pri)
		return ml_write_some(l);
	for (i = 0; i < LOOM_MUX_MAX_CH && l->out_len < ML_OUT_MAX / 2; i++) {
		struct loom_mux_ch *ch;

		id = 1u + (unsigned int)((l->rr + i) % LOOM_MUX_MAX_CH);
		ch = l->ch[id];
		if (!ch || !ch->want_write || ch->state != CH_OPEN || !ch_credit(ch) ||
		    !ch->ops || !ch->ops->writeable)
			continue;
		ch->want_write = 0;
		ch->ops->writeable(ch, ch->opaque);
	}
	l->rr = (uint8_t)(l->rr + 1);

	return ml_write_some(l);
}

static int
ml_open_fd(struct loom_mux_link *l)
{
	struct loom_vhost *vh;
	struct loom_vhost_info vi;
#if defined(LOOM_PLAT_UNIX)
	struct termios t;
#endif
	int fd;

	vh = loom_get_vhost_by_name(l->ctx, "loom-mux");
	if (!vh) {
		memset(&vi, 0, sizeof(vi));
		vi.name = "loom-mux";
		vi.options = LOOM_VHOST_OPT_RAW | LOOM_VHOST_OPT_NO_LISTEN;
		vi.protocols = ml_protocols;
		vh = loom_create_vhost(l->ctx, &vi);
		if (!vh)
			return -1;
	}
	if (!strncmp(l->path, "fd:", 3)) {
		/* a descriptor the app opened (on LOOM_PLAT=baremetal, its UART's
		 * loom_bm_stream_add()): kept open, so the link can take it again */
		const char *p = l->path + 3;

		/* by hand: atoi() would bring strtol() and the ctype table along */
		for (fd = 0; *p >= '0' && *p <= '9' && fd < 100000; p++)
			fd = fd * 10 + (*p - '0');
		loom__mux_dec_init(&l->dec, l->info.max_body);
		return loom_adopt_descriptor(vh, LOOM_ADOPT_FILE | LOOM_ADOPT_NO_CLOSE, fd,
					     "loom-mux", l) ? 0 : -1;
	}
#if defined(LOOM_PLAT_SOCKETS)
	fd = open(l->path, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
#endif
#if defined(LOOM_PLAT_UNIX)
	if (isatty(fd) && !tcgetattr(fd, &t)) {
		/* a UART carries bytes, not lines: no echo, no translation */
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		tcsetattr(fd, TCSANOW, &t);
	}
#endif
#if defined(LOOM_PLAT_SOCKETS)
	loom__mux_dec_init(&l->dec, l->info.max_body);
	if (!loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, fd, "loom-mux", l)) {
		close(fd);
		return -1;
	}

	return 0;
#else
	return -1;	/* no files here: only "fd:N" */
#endif
}

static void
ml_ping(struct loom_sul *sul)
{
	struct loom_mux_link *l = loom_container_of(sul, struct loom_mux_link, sul_ping);
	unsigned int id;

	if (!l->conn) {
		if (ml_open_fd(l))
			loom_log_info("mux: cannot open %s yet", l->path);
		loom_sul_schedule(l->ctx, 0, &l->sul_ping, ml_ping,
				  (loom_usec_t)ML_REOPEN_MS * 1000);
		return;
	}
	l->missed = l->ping_seq - l->pong_seq;
	if (l->missed >= l->info.miss_max && l->up)
		ml_down(l);
	/* an OPEN or CLOSE whose answer the line lost: give the channel up */
	for (id = 1; id <= LOOM_MUX_MAX_CH; id++) {
		struct loom_mux_ch *ch = l->ch[id];

		if (ch && (ch->state == CH_OPENING || ch->state == CH_CLOSING) &&
		    l->ping_seq - ch->born > 2 * l->info.miss_max) {
			if (ch->state == CH_OPENING)
				ml_send_close(l, id, LOOM_MUX_R_GONE);
			ch_gone(ch, 0);
		}
	}
	/* quiet with part of a frame held: it may be a corrupt header's */
	if (!l->rx_bytes && l->dec.got)
		loom__mux_dec_idle(&l->dec, ml_frame, l);
	l->rx_bytes = 0;
	if (!l->up)
		ml_send_hello(l);	/* it may have been lost on the line */
	l->ping_seq++;
	ml_send_u32(l, 0, LOOM_MUX_PING, l->ping_seq);
	loom_sul_schedule(l->ctx, 0, &l->sul_ping, ml_ping,
			  (loom_usec_t)l->info.ping_ms * 1000);
}

static int
ml_callback(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	    void *in, size_t len)
{
	struct loom_mux_link *l = conn ? loom_get_opaque_user_data(conn) : NULL;

	(void)user;
	if (!l)
		return 0;
	switch (reason) {
	case LOOM_CB_RAW_ADOPT_FILE:
		l->conn = conn;
		ml_send_hello(l);
		loom_sul_schedule(l->ctx, 0, &l->sul_ping, ml_ping, 1);
		break;
	case LOOM_CB_RAW_RX_FILE:
		l->rx_bytes += (uint32_t)len;
		loom__mux_feed(&l->dec, in, len, ml_frame, l);
		break;
	case LOOM_CB_RAW_WRITEABLE_FILE:
		return ml_writeable(l);
	case LOOM_CB_RAW_CLOSE_FILE:
		loom_log_notice("mux: %s closed", l->path);
		l->conn = NULL;
		loom_buflist_destroy_all_segments(&l->out);
		loom_buflist_destroy_all_segments(&l->pri);
		l->out_len = 0;
		ml_down(l);
		if (!l->in_destroy)
			loom_sul_schedule(l->ctx, 0, &l->sul_ping, ml_ping,
					  (loom_usec_t)ML_REOPEN_MS * 1000);
		break;
	default:
		break;
	}

	return 0;
}

struct loom_mux_link *
loom__mux_link_create(struct loom_context *ctx, const struct loom_mux_link_info *info)
{
	struct loom_mux_link *l;
	size_t pl;

	if (!info->path)
		return NULL;
	l = loom_zalloc(sizeof(*l), "mux link");
	if (!l)
		return NULL;
	pl = strlen(info->path) + 1;
	l->path = loom_malloc(pl, "mux link");
	if (!l->path) {
		loom_free(l);
		return NULL;
	}
	memcpy(l->path, info->path, pl);
	l->info = *info;
	l->info.path = l->path;
	if (!l->info.ping_ms)
		l->info.ping_ms = 500;
	if (!l->info.miss_max)
		l->info.miss_max = 3;
	if (!l->info.max_body)
		l->info.max_body = 512;
	if (l->info.max_body < LOOM_MUX_MIN_BODY)
		l->info.max_body = LOOM_MUX_MIN_BODY;
	if (l->info.max_body > LOOM_MUX_MAX_BODY)
		l->info.max_body = LOOM_MUX_MAX_BODY;
	if (!l->info.rx_credit)
		l->info.rx_credit = 4096;
	l->ctx = ctx;
	l->session = ml_new_session(l);
	l->next_id = 1;
	if (ml_open_fd(l)) {
		loom_log_warn("mux: cannot open %s: retrying", l->path);
		loom_sul_schedule(ctx, 0, &l->sul_ping, ml_ping,
				  (loom_usec_t)ML_REOPEN_MS * 1000);
	}

	return l;
}

void
loom__mux_link_destroy(struct loom_mux_link *l)
{
	if (!l)
		return;
	l->in_destroy = 1;
	loom_sul_cancel(&l->sul_ping);
	ml_reset_channels(l);
	if (l->conn) {
		loom_set_opaque_user_data(l->conn, NULL);
		loom_set_timeout(l->conn, LOOM_TO_KILLED, LOOM_TO_KILL_ASYNC);
	}
	loom_buflist_destroy_all_segments(&l->out);
	loom_buflist_destroy_all_segments(&l->pri);
	loom_free(l->path);
	loom_free(l);
}

int
loom__mux_link_is_up(const struct loom_mux_link *l)
{
	return l && l->up;
}

void
loom__mux_link_stats(const struct loom_mux_link *l, uint32_t *downs, uint32_t *ups,
		     const struct loom_mux_dec **dec)
{
	*downs = l->downs;
	*ups = l->ups;
	*dec = &l->dec;
}

struct loom_mux_ch *
loom__mux_ch_open(struct loom_mux_link *l, const struct loom_mux_ch_ops *ops,
		  void *opaque)
{
	struct loom_mux_ch *ch;
	unsigned int i, id = 0;

	if (!l || !l->up || !l->conn)
		return NULL;
	for (i = 0; i < LOOM_MUX_MAX_CH && !id; i++) {
		unsigned int c = 1u + (unsigned int)((l->next_id - 1u + i) %
						     LOOM_MUX_MAX_CH);

		if (!l->ch[c])
			id = c;
	}
	if (!id)
		return NULL;
	ch = loom_zalloc(sizeof(*ch), "mux ch");
	if (!ch)
		return NULL;
	/* ids go round, so a late frame of a closed channel meets no new one */
	l->next_id = (uint8_t)(id % LOOM_MUX_MAX_CH + 1);
	ch->link = l;
	ch->ops = ops;
	ch->opaque = opaque;
	ch->id = (uint8_t)id;
	ch->state = CH_OPENING;
	ch->born = l->ping_seq;
	ch->rx_left = l->info.rx_credit;
	l->ch[id] = ch;
	ml_send_u32(l, id, LOOM_MUX_OPEN, l->info.rx_credit);

	return ch;
}

void
loom__mux_ch_set_ops(struct loom_mux_ch *ch, const struct loom_mux_ch_ops *ops,
		     void *opaque)
{
	ch->ops = ops;
	ch->opaque = opaque;
}

void
loom__mux_ch_want_write(struct loom_mux_ch *ch)
{
	ch->want_write = 1;
	if (ch->state == CH_OPEN && ch_credit(ch) && ch->link->conn)
		loom_callback_on_writable(ch->link->conn);
}

size_t
loom__mux_ch_write_max(const struct loom_mux_ch *ch)
{
	const struct loom_mux_link *l = ch->link;

	if (ch->state != CH_OPEN || !l->conn || l->out_len >= ML_OUT_MAX)
		return 0;

	return ch_credit(ch) < ML_OUT_MAX - l->out_len ? ch_credit(ch) :
							  ML_OUT_MAX - l->out_len;
}

int
loom__mux_ch_write(struct loom_mux_ch *ch, const uint8_t *buf, size_t len)
{
	struct loom_mux_link *l = ch->link;
	uint8_t f[LOOM_MUX_OVERHEAD + LOOM_MUX_MAX_BODY];
	size_t k, mb = (l->peer_max_body ? l->peer_max_body : LOOM_MUX_MIN_BODY) - 1;

	if (len > loom__mux_ch_write_max(ch))
		return -1;
	while (len) {
		k = len < mb ? len : mb;
		ml_queue(l, f, loom__mux_put_data(f, sizeof(f), ch->id, ch->tx_seq++,
						  buf, k));
		ch->tx_sent += (uint32_t)k;
		buf += k;
		len -= k;
	}

	return 0;
}

void
loom__mux_ch_close(struct loom_mux_ch *ch)
{
	if (!ch || ch->state == CH_CLOSING)
		return;
	ch->ops = NULL;
	if (!ch->link->conn) {
		ch_free(ch);
		return;
	}
	ch->state = CH_CLOSING;
	ch->born = ch->link->ping_seq;
	ml_send_close(ch->link, ch->id, LOOM_MUX_R_GONE);
}

struct loom_mux_link *
loom__mux_ch_link(const struct loom_mux_ch *ch)
{
	return ch->link;
}
