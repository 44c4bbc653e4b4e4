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
#define ML_TXB_MAX	16384	/* most unacknowledged bytes a channel keeps */
/*
 * info.accept and info.link_state: only the proxy sets them (it needs
 * LOOM_WITH_SS); in an SSPC-only build, which opens channels and never accepts
 * them, they are never set and what would call them is not built
 */
#if defined(LOOM_WITH_SS)
#define ML_HOOKS	1
#endif

enum { CH_FREE, CH_OPENING, CH_OPEN, CH_CLOSING };

struct loom_mux_ch {
	struct loom_mux_link *link;
	const struct loom_mux_ch_ops *ops;
	void *opaque;
	/*
	 * Each way a channel is a byte stream; DATA carries the offset of its
	 * first byte, CREDIT (and NAK) the running total the receiver has taken,
	 * which is both its acknowledgement and its credit: what we may send is
	 * the window + peer_taken - tx_sent (all mod 2^32). The bytes not yet
	 * acknowledged stay in txb, a ring of a power-of-two size indexed by
	 * offset, and are sent again from peer_taken when the receiver says it
	 * saw a gap (NAK) or a keepalive interval passed with no progress: a line
	 * that drops or corrupts frames loses no bytes of a channel.
	 */
	uint32_t tx_window, tx_sent, peer_taken;
	uint32_t tick_taken, tick_sent;	/* peer_taken / tx_sent at the last tick */
	uint32_t rtx_at, rtx_tick;	/* the last resend: from where, when */
	uint32_t rx_taken;		/* DATA bytes we have taken, running */
	uint32_t born;			/* ping_seq when it was opened / closed */
	uint8_t *txb;			/* the unacknowledged bytes */
	uint32_t txb_size;
	uint8_t id;
	uint8_t state;
	uint8_t want_write;
	uint8_t nak_sent;		/* a gap was told; cleared by progress */
	uint8_t close_sent;		/* CLOSING: our CLOSE is out (else: after
					 * what we sent is acknowledged) */
	uint8_t rtx_done;		/* rtx_at / rtx_tick are set */
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
	uint32_t resends;		/* DATA frames sent again */
	unsigned int count_ch;		/* channels in use (any state) */
	unsigned int peer_max_body;
	uint8_t up, have_peer, rr, next_id, in_destroy;
};

static void
ml_ping(struct loom_sul *sul);

/* DATA bytes the peer takes now (and we have room to keep until acked) */
static uint32_t
ch_credit(const struct loom_mux_ch *ch)
{
	uint32_t win = ch->tx_window < ch->txb_size ? ch->tx_window : ch->txb_size,
		 unacked = ch->tx_sent - ch->peer_taken;

	return win > unacked ? win - unacked : 0;
}

/* the ring for what we send: the peer's window, a power of two, bounded */
static int
ch_txb_alloc(struct loom_mux_ch *ch)
{
	uint32_t n = LOOM_MUX_MIN_BODY;

	while (n < ML_TXB_MAX && n * 2 <= ch->tx_window)
		n *= 2;
	ch->txb = loom_malloc(n, "mux ch txb");
	if (!ch->txb)
		return -1;
	ch->txb_size = n;

	return 0;
}

/* the ring's bytes at stream offset \p off: copied in from \p in, or (in NULL)
 * out to \p out */
static void
ch_txb_copy(struct loom_mux_ch *ch, uint32_t off, uint8_t *out, const uint8_t *in,
	    size_t len)
{
	size_t k;

	while (len) {
		uint32_t i = off & (ch->txb_size - 1);

		k = ch->txb_size - i < len ? ch->txb_size - i : len;
		if (in) {
			memcpy(ch->txb + i, in, k);
			in += k;
		} else {
			memcpy(out, ch->txb + i, k);
			out += k;
		}
		off += (uint32_t)k;
		len -= k;
	}
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
	/* keepalive must not wait behind DATA, nor must credit or NAK; the rest keeps
	 * its order with the channel's DATA (OPEN before, CLOSE after) */
	pri = f[1] == LOOM_MUX_LINK_CH || f[2] == LOOM_MUX_CREDIT ||
	      f[2] == LOOM_MUX_NAK;
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
	struct loom_mux_link *l = ch->link;

	l->ch[ch->id] = NULL;
	l->count_ch--;
	/* tests read this to see that no channel outlives its stream */
	loom_log_info("mux: ch %u gone, %u in use, %u resends", (unsigned int)ch->id,
		      l->count_ch, (unsigned int)l->resends);
	loom_free(ch->txb);
	loom_free(ch);
}

/* the largest DATA payload the peer takes in one frame */
static size_t
ml_data_max(const struct loom_mux_link *l)
{
	return (l->peer_max_body ? l->peer_max_body : LOOM_MUX_MIN_BODY) -
	       LOOM_MUX_DATA_HDR;
}

/* queue DATA frames for the bytes from \p off to tx_sent (kept in the ring) */
static void
ch_send_from(struct loom_mux_ch *ch, uint32_t off)
{
	struct loom_mux_link *l = ch->link;
	uint8_t f[LOOM_MUX_OVERHEAD + LOOM_MUX_MAX_BODY];
	size_t k, mb = ml_data_max(l);

	while (off != ch->tx_sent) {
		k = ch->tx_sent - off < mb ? ch->tx_sent - off : mb;
		ch_txb_copy(ch, off, f + LOOM_MUX_HDR + LOOM_MUX_DATA_HDR, NULL, k);
		ml_queue(l, f, loom__mux_put_data(f, sizeof(f), ch->id, off,
						  f + LOOM_MUX_HDR + LOOM_MUX_DATA_HDR,
						  k));
		off += (uint32_t)k;
	}
}

/* what was not acknowledged goes again (go-back-N from peer_taken) */
static void
ch_resend(struct loom_mux_ch *ch)
{
	struct loom_mux_link *l = ch->link;

	if (ch->tx_sent == ch->peer_taken)
		return;
	l->resends++;
	ch->rtx_done = 1;
	ch->rtx_at = ch->peer_taken;
	ch->rtx_tick = l->ping_seq;
	loom_log_debug("mux: ch %u: %u bytes again from %u", (unsigned int)ch->id,
		       (unsigned int)(ch->tx_sent - ch->peer_taken),
		       (unsigned int)ch->peer_taken);
	ch_send_from(ch, ch->peer_taken);
}

/*
 * The channel is broken (the peer broke its rules): the owner hears it closed
 * now; the channel stays, CLOSING, until the peer acknowledges our CLOSE (sent
 * again each tick) or we give up, so its id is not reused under the peer
 */
static void
ch_abort(struct loom_mux_ch *ch, unsigned int reason)
{
	const struct loom_mux_ch_ops *ops = ch->ops;
	struct loom_mux_link *l = ch->link;
	void *opaque = ch->opaque;

	ch->ops = NULL;
	ch->state = CH_CLOSING;
	ch->close_sent = 1;
	ch->born = l->ping_seq;
	ml_send_close(l, ch->id, reason);
	if (ops && ops->closed)
		ops->closed(ch, opaque, 0);
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
#if defined(ML_HOOKS)
	if (was && l->info.link_state && !l->in_destroy)
		l->info.link_state(l, l->info.user, 0);
#endif
}

static void
ml_up(struct loom_mux_link *l)
{
	if (l->up)
		return;
	l->up = 1;
	l->ups++;
	loom_log_notice("mux: link up");
#if defined(ML_HOOKS)
	if (l->info.link_state)
		l->info.link_state(l, l->info.user, 1);
#endif
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

#if defined(ML_HOOKS)
	if (ch && ch->state == CH_OPEN && !ch->rx_taken && l->info.accept) {
		/* our OPEN_ACK was lost and the OPEN came again: the same one */
		ml_queue(l, f, loom__mux_put_open_ack(f, sizeof(f), e->ch, LOOM_MUX_R_OK,
						      l->info.rx_credit));
		return;
	}
#endif
	if (ch)		/* the peer reuses it: ours is stale */
		ch_gone(ch, 1);
#if !defined(ML_HOOKS)
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
	l->ch[e->ch] = ch;
	l->count_ch++;
	if (ch_txb_alloc(ch) || l->info.accept(l, ch, l->info.user)) {
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

/* DATA on an open (or closing) channel: each byte taken once, in order */
static void
ml_data_frame(struct loom_mux_link *l, struct loom_mux_ch *ch,
	      const struct loom_mux_ev *e)
{
	/* how far ahead of what we took it starts, mod 2^32: up to 2^31 - 1 ahead
	 * is a gap, the rest is behind (by 2^32 - ahead; exactly 2^31 counts as
	 * behind), all in unsigned arithmetic: a peer's offset must never make
	 * a signed overflow */
	uint32_t ahead = e->u32a - ch->rx_taken, behind = 0u - ahead;
	const uint8_t *p = e->buf;
	size_t n = e->len;
	unsigned int id = ch->id;

	if (ahead && ahead < 0x80000000u) {
		/* a gap: a frame before this one was lost; say so once */
		if (!ch->nak_sent) {
			ch->nak_sent = 1;
			ml_send_u32(l, id, LOOM_MUX_NAK, ch->rx_taken);
		}
		return;
	}
	if (behind >= n) {
		/* all had before: our CREDIT was lost, or it came twice */
		if (ch->rx_taken)
			ml_send_u32(l, id, LOOM_MUX_CREDIT, ch->rx_taken);
		return;
	}
	p += behind;
	n -= behind;
	if (n > l->info.rx_credit) {
		loom_log_warn("mux: ch %u: DATA past its credit", id);
		ch_abort(ch, LOOM_MUX_R_PROTOCOL);
		return;
	}
	ch->nak_sent = 0;
	ch->rx_taken += (uint32_t)n;
	/* a closing channel's bytes are acknowledged and dropped */
	if (ch->state == CH_OPEN && ch->ops && ch->ops->rx)
		ch->ops->rx(ch, ch->opaque, p, n);
	/* taken by the owner (whose own flow control holds it): credit back */
	if (l->ch[id] == ch && ch->rx_taken)	/* 0 only at the 4 GiB wrap */
		ml_send_u32(l, id, LOOM_MUX_CREDIT, ch->rx_taken);
}

/* CREDIT or NAK: what the peer has taken; after a NAK, what it lacks goes again */
static void
ml_credit_frame(struct loom_mux_link *l, struct loom_mux_ch *ch,
		const struct loom_mux_ev *e)
{
	/* a newer total (or the same), up to what we sent */
	if (e->u32a - ch->peer_taken > ch->tx_sent - ch->peer_taken) {
		ch_abort(ch, LOOM_MUX_R_PROTOCOL);
		return;
	}
	ch->peer_taken = e->u32a;
	/* a NAK from where we already resent this tick is of that same gap */
	if (e->type == LOOM_MUX_NAK &&
	    !(ch->rtx_done && ch->rtx_at == ch->peer_taken &&
	      ch->rtx_tick == l->ping_seq))
		ch_resend(ch);
	if (ch->state == CH_CLOSING && !ch->close_sent &&
	    ch->tx_sent == ch->peer_taken) {
		ch->close_sent = 1;	/* all it sent arrived: now the CLOSE */
		ml_send_close(l, ch->id, LOOM_MUX_R_GONE);
	}
	if (ch->want_write && l->conn)
		loom_callback_on_writable(l->conn);
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
		/* a channel we do not have: say so, so the peer's owner learns
		 * (a CLOSE is acknowledged: its sender may be waiting for that) */
		if (e->type != LOOM_MUX_CLOSE)
			ml_send_close(l, e->ch, LOOM_MUX_R_GONE);
		else if (e->u32a != LOOM_MUX_R_OK)
			ml_send_close(l, e->ch, LOOM_MUX_R_OK);
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
		if (ch_txb_alloc(ch)) {
			ch_abort(ch, LOOM_MUX_R_FAILED);
			break;
		}
		if (ch->ops && ch->ops->opened)
			ch->ops->opened(ch, ch->opaque);
		break;
	case LOOM_MUX_CLOSE:
		if (e->u32a == LOOM_MUX_R_OK) {
			/* "closed": the answer to our CLOSE */
			if (ch->state == CH_CLOSING)
				ch_gone(ch, 0);
			break;
		}
		ml_send_close(l, e->ch, LOOM_MUX_R_OK);
		ch_gone(ch, 0);
		break;
	case LOOM_MUX_DATA:
		if (ch->state != CH_OPENING)	/* else the peer sends it again */
			ml_data_frame(l, ch, e);
		break;
	case LOOM_MUX_CREDIT:
	case LOOM_MUX_NAK:
		if (ch->state != CH_OPENING)
			ml_credit_frame(l, ch, e);
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

/*
 * Each keepalive tick, per channel: an OPEN or CLOSE not answered goes again,
 * until the channel is given up; bytes sent before the last tick and still not
 * acknowledged go again (their frames or the CREDIT were lost)
 */
static void
ml_tick_ch(struct loom_mux_link *l, struct loom_mux_ch *ch)
{
	int stalled = ch->tick_sent != ch->tick_taken &&
		      ch->peer_taken == ch->tick_taken;

	ch->tick_taken = ch->peer_taken;
	ch->tick_sent = ch->tx_sent;
	if ((ch->state == CH_OPENING || ch->state == CH_CLOSING) &&
	    l->ping_seq - ch->born > 2 * l->info.miss_max) {
		/* no answer for so long: give it up (a late frame of it is
		 * answered by a CLOSE, which the peer's side takes as its end) */
		if (ch->state == CH_OPENING)
			ml_send_close(l, ch->id, LOOM_MUX_R_GONE);
		ch_gone(ch, 0);
		return;
	}
	if (ch->state == CH_OPENING) {
		ml_send_u32(l, ch->id, LOOM_MUX_OPEN, l->info.rx_credit);
		return;
	}
	if (stalled && !l->out)
		ch_resend(ch);
	if (ch->state == CH_CLOSING && (ch->close_sent || ch->tx_sent == ch->peer_taken)) {
		ch->close_sent = 1;
		ml_send_close(l, ch->id, LOOM_MUX_R_GONE);
	}
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
	for (id = 1; id <= LOOM_MUX_MAX_CH; id++)
		if (l->ch[id])
			ml_tick_ch(l, l->ch[id]);
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
	l->ch[id] = ch;
	l->count_ch++;
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
	uint32_t off = ch->tx_sent;

	if (len > loom__mux_ch_write_max(ch))
		return -1;
	/* kept until acknowledged, then sent */
	ch_txb_copy(ch, off, NULL, buf, len);
	ch->tx_sent += (uint32_t)len;
	ch_send_from(ch, off);

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
	/* what we sent arrives first (it may still need sending again) */
	ch->close_sent = ch->tx_sent == ch->peer_taken;
	if (ch->close_sent)
		ml_send_close(ch->link, ch->id, LOOM_MUX_R_GONE);
}

struct loom_mux_link *
loom__mux_ch_link(const struct loom_mux_ch *ch)
{
	return ch->link;
}
