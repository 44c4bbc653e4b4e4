/*
 * private-ss-mux-link.h: the transport mux link: one byte pipe (a tty or pty fd,
 * adopted as a raw-file conn) carrying many channels, each one stream's byte
 * stream (the SSPC <-> proxy serialization). The link owner on each side runs it:
 * HELLO, PING every ping_ms, link down after miss_max PINGs unanswered (every
 * channel is closed with link_down set, and the side takes a new session id so
 * the peer drops its channels too), back up when PONGs return. Per channel, the
 * sender sends no more DATA than its receiver's credit, and channels take turns
 * on the pipe, so one stream never holds up the others.
 */
#if !defined(LOOM_PRIVATE_SS_MUX_LINK_H)
#define LOOM_PRIVATE_SS_MUX_LINK_H

#include "secure-streams/transport-mux/private-ss-mux.h"

struct loom_mux_link;
struct loom_mux_ch;

struct loom_mux_ch_ops {
	/* the opener's channel was accepted: it may write now */
	void (*opened)(struct loom_mux_ch *ch, void *opaque);
	/* bytes of the channel, in order */
	void (*rx)(struct loom_mux_ch *ch, void *opaque, const uint8_t *buf,
		   size_t len);
	/* loom__mux_ch_want_write() was called and credit and room are there */
	void (*writeable)(struct loom_mux_ch *ch, void *opaque);
	/* the channel is gone (the peer closed or refused it, or the link went
	 * down: link_down); ch is freed after this returns */
	void (*closed)(struct loom_mux_ch *ch, void *opaque, int link_down);
};

struct loom_mux_link_info {
	const char *path;		/* the tty/pty to open, and reopen; or
					 * "fd:N", a descriptor already open
					 * (a bare-metal UART stream) */
	unsigned int ping_ms;		/* keepalive interval (500) */
	unsigned int miss_max;		/* PINGs unanswered before down (3) */
	unsigned int max_body;		/* largest DATA body we take (512) */
	unsigned int rx_credit;		/* DATA bytes in flight per channel (4096) */
	/* the acceptor: a peer opened \p ch; set its ops with
	 * loom__mux_ch_set_ops() and return 0, or nonzero to refuse */
	int (*accept)(struct loom_mux_link *l, struct loom_mux_ch *ch, void *user);
	/* the link went up or down */
	void (*link_state)(struct loom_mux_link *l, void *user, int up);
	void *user;
};

struct loom_mux_link *
loom__mux_link_create(struct loom_context *ctx, const struct loom_mux_link_info *info);
void
loom__mux_link_destroy(struct loom_mux_link *l);
int
loom__mux_link_is_up(const struct loom_mux_link *l);
/* the link's counters, for tests and logs */
void
loom__mux_link_stats(const struct loom_mux_link *l, uint32_t *downs, uint32_t *ups,
		     const struct loom_mux_dec **dec);

/* open a channel (NULL when the link is down or all channels are in use) */
struct loom_mux_ch *
loom__mux_ch_open(struct loom_mux_link *l, const struct loom_mux_ch_ops *ops,
		  void *opaque);
void
loom__mux_ch_set_ops(struct loom_mux_ch *ch, const struct loom_mux_ch_ops *ops,
		     void *opaque);
void
loom__mux_ch_want_write(struct loom_mux_ch *ch);
/* how many bytes loom__mux_ch_write() takes now (credit and pipe room) */
size_t
loom__mux_ch_write_max(const struct loom_mux_ch *ch);
int
loom__mux_ch_write(struct loom_mux_ch *ch, const uint8_t *buf, size_t len);
/* close after what was written; no callbacks come after this */
void
loom__mux_ch_close(struct loom_mux_ch *ch);
struct loom_mux_link *
loom__mux_ch_link(const struct loom_mux_ch *ch);

#endif
