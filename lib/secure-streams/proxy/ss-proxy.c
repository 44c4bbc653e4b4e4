/*
 * ss-proxy.c: the SS proxy: serves this context's policy to SSPC clients.
 *
 * Each client connection carries one stream (READMEs/README.ss-serialization.md).
 * HELLO names the stream type; the proxy creates a real stream of it with the
 * public SS API and relays: the client's metadata, payload and tx requests to the
 * real stream; the real stream's states, response metadata and payload back.
 *
 * Flow control both ways is by credit. The client may send tx_window payload
 * bytes; the proxy returns CREDIT as the real stream's tx callback takes them. The
 * proxy sends payload only up to the rx credit the client gave in HELLO and CREDIT,
 * in frames no bigger than that first credit, and holds the rest; if a client
 * stops reading and the held output passes max_backlog, the client is dropped.
 * Malformed frames drop that one client only.
 *
 * A client stream arrives over one of two transports: its own socket conn, or a
 * channel of the transport mux over a tty (info->mux_path), where the channels
 * of one byte pipe are each a client. The link going down closes every channel,
 * and with it the real streams.
 */
#include "core/private-core.h"
#include "secure-streams/serialization/private-ss-ser.h"
#include "secure-streams/transport-mux/private-ss-mux-link.h"

#include <string.h>

#define PX_DEF_WINDOW		65536
#define PX_DEF_BACKLOG		(4u * 1024 * 1024)
#define PX_MD_MAX		4096	/* one metadata value from a client */
#define PX_FRAME_MAX		16384	/* payload bytes per frame we send */
#define PX_WRITE_CHUNK		4096

struct px_cfg {
	int owned;			/* the vhost frees it (at PROTOCOL_DESTROY) */
	char **allowed;			/* NULL-terminated copies, or NULL = all */
	unsigned int tx_window;
	unsigned int max_backlog;
	struct loom_context *ctx;
	struct loom_mux_link *link;	/* serving mux channels too, or NULL */
	unsigned int *uids, *gids;	/* peer credentials allowed, or NULL */
	unsigned int count_uids, count_gids;
	uint8_t check_cred;		/* Unix clients are checked */
};

/* a piece of the client's payload waiting for the real stream's tx */
struct px_chunk {
	struct px_chunk *next;
	size_t len, used;
	int flags;			/* LOOM_SS_FLAG_* as the client sent them */
	uint8_t data[1];
};

struct px_conn;

/* the real stream's user object */
struct px_stream {
	struct loom_ss_handle *ss;	/* offset 0: SS puts the handle here */
	struct px_conn *pc;		/* NULL once the client is gone */
};

/* per client connection (the protocol's per-session data) */
struct px_conn {
	struct loom_sser_dec dec;
	struct loom_conn *conn;		/* socket transport, or NULL */
	struct loom_mux_ch *ch;		/* mux transport, or NULL */
	const struct px_cfg *cfg;
	struct px_stream *ps;		/* the real stream's user object */
	struct loom_ss_handle *ss;
	struct loom_buflist *out;	/* frames for the client, one per segment */
	size_t out_len;
	size_t frame_left;		/* bytes of the frame being written */
	struct px_chunk *txq, *txq_tail;
	size_t txq_len;			/* payload bytes held: at most the window */
	uint32_t rx_credit;		/* payload bytes the client still accepts */
	uint32_t frame_max;		/* payload bytes per frame to the client */
	uint32_t md_sent;		/* metadata items sent since CONNECTING */
	char md_name[LOOM_SSER_NAME_MAX + 1];
	uint8_t md_buf[PX_MD_MAX];
	size_t md_len, md_want;
	size_t pl_left;			/* of the client payload frame being read */
	int pl_flags;
	uint8_t hello_done;
	uint8_t tx_pending;		/* the client asked for tx */
	uint8_t close_after;		/* close once the output is flushed */
	uint8_t gone;
	uint8_t denied;			/* its peer credentials are not allowed */
};

static void
px_want_write(struct px_conn *pc)
{
	if (pc->conn)
		loom_callback_on_writable(pc->conn);
	else if (pc->ch)
		loom__mux_ch_want_write(pc->ch);
}

static void
px_teardown(struct px_conn *pc);

/* drop the client: after the callbacks of now are over */
static void
px_kill(struct px_conn *pc)
{
	if (pc->conn)
		loom_set_timeout(pc->conn, LOOM_TO_KILLED, LOOM_TO_KILL_ASYNC);
	else
		px_want_write(pc);	/* px_writeable() ends it */
}

/* queue one frame: \p hdr (its fixed part) and then \p body */
static int
px_queue(struct px_conn *pc, const uint8_t *hdr, size_t hl, const void *body, size_t bl)
{
	uint8_t tmp[LOOM_SSER_HDR + 8 + LOOM_SSER_NAME_MAX + PX_FRAME_MAX];

	if (!hl || hl + bl > sizeof(tmp))
		return -1;
	memcpy(tmp, hdr, hl);
	if (bl)
		memcpy(tmp + hl, body, bl);
	if (loom_buflist_append_segment(&pc->out, tmp, hl + bl) < 0)
		return -1;
	pc->out_len += hl + bl;
	if (pc->out_len > pc->cfg->max_backlog) {
		loom_log_warn("ssproxy: client not reading, dropped");
		pc->close_after = 1;
		pc->gone = 1;
		px_kill(pc);
		return -1;
	}
	px_want_write(pc);

	return 0;
}

static int
px_queue_state(struct px_conn *pc, int state, unsigned int ack)
{
	uint8_t f[LOOM_SSER_HDR + 8];
	size_t n = loom__sser_put_state(f, sizeof(f), (uint32_t)state, ack);

	return px_queue(pc, f, n, NULL, 0);
}

/* the response's metadata the client has not had yet */
static void
px_send_metadata(struct px_conn *pc)
{
	const struct loom_ss_stream_type *st;
	const void *v;
	unsigned int i;
	size_t vl, n;
	uint8_t f[LOOM_SSER_HDR + 1 + LOOM_SSER_NAME_MAX];

	if (!pc->ss)
		return;
	st = loom_ss_stream_type_of(pc->ss);
	for (i = 0; st && i < st->count_metadata && i < 32; i++) {
		if (pc->md_sent & (1u << i) ||
		    loom_ss_get_metadata(pc->ss, st->metadata[i].name, &v, &vl) || !vl)
			continue;
		if (vl > PX_FRAME_MAX)
			vl = PX_FRAME_MAX;
		n = loom__sser_put_metadata_hdr(f, sizeof(f), st->metadata[i].name, vl);
		if (n && !px_queue(pc, f, n, v, vl))
			pc->md_sent |= 1u << i;
	}
}

/* ---- the real stream's callbacks ---- */

static int
px_ss_rx(void *userobj, const uint8_t *buf, size_t len, int flags)
{
	struct px_stream *ps = userobj;
	struct px_conn *pc = ps->pc;
	uint8_t f[LOOM_SSER_HDR + 1];
	size_t n, k;
	int fl;

	if (!pc)
		return LOOM_SSR_OK;
	if (flags & LOOM_SS_FLAG_SOM)
		px_send_metadata(pc);
	do {	/* frames of at most frame_max bytes; SOM first, EOM last */
		k = len > pc->frame_max ? pc->frame_max : len;
		fl = flags & LOOM_SS_FLAG_SOM;
		if (k == len)
			fl |= flags & LOOM_SS_FLAG_EOM;
		flags &= ~LOOM_SS_FLAG_SOM;
		n = loom__sser_put_payload_hdr(f, sizeof(f), (unsigned int)fl, k);
		if (px_queue(pc, f, n, buf, k))
			return LOOM_SSR_DESTROY_ME;
		if (!k)
			break;		/* an empty piece (buf may be NULL) */
		buf += k;
		len -= k;
	} while (len);

	return LOOM_SSR_OK;
}

static void
px_credit_client(struct px_conn *pc, size_t add)
{
	uint8_t f[LOOM_SSER_HDR + 4];
	size_t n;

	if (!add)
		return;
	n = loom__sser_put_credit(f, sizeof(f), (uint32_t)add);
	px_queue(pc, f, n, NULL, 0);
}

static int
px_ss_tx(void *userobj, uint8_t *buf, size_t *len, int *flags)
{
	struct px_stream *ps = userobj;
	struct px_conn *pc = ps->pc;
	struct px_chunk *c;
	size_t give = 0, k;

	*flags = 0;
	if (!pc || !pc->txq) {
		*len = 0;
		return LOOM_SSR_TX_DONT_SEND;
	}
	/* one message at a time: stop after a piece with EOM */
	while ((c = pc->txq) && give < *len) {
		if (c->used == 0 && (c->flags & LOOM_SS_FLAG_SOM)) {
			if (give)
				break;		/* the next message starts later */
			*flags |= LOOM_SS_FLAG_SOM;
		}
		k = c->len - c->used;
		if (k > *len - give)
			k = *len - give;
		memcpy(buf + give, c->data + c->used, k);
		c->used += k;
		give += k;
		if (c->used < c->len)
			break;
		pc->txq = c->next;
		if (!pc->txq)
			pc->txq_tail = NULL;
		if (c->flags & LOOM_SS_FLAG_EOM)
			*flags |= LOOM_SS_FLAG_EOM;
		loom_free(c);
		if (*flags & LOOM_SS_FLAG_EOM)
			break;
	}
	*len = give;
	pc->txq_len -= give;
	px_credit_client(pc, give);
	if (pc->txq)
		loom_ss_request_tx(pc->ss);	/* more is waiting */

	return LOOM_SSR_OK;
}

static int
px_ss_state(void *userobj, void *h_src, int state, unsigned int ack)
{
	struct px_stream *ps = userobj;
	struct px_conn *pc = ps->pc;

	(void)h_src;
	if (!pc)
		return LOOM_SSR_OK;
	switch (state) {
	case LOOM_SSS_CONNECTING:
		pc->md_sent = 0;
		break;
	case LOOM_SSS_QOS_ACK_REMOTE:
	case LOOM_SSS_QOS_NACK_REMOTE:
		px_send_metadata(pc);
		break;
	case LOOM_SSS_DESTROYING:
		/* the stream goes (by itself or by us): the client's conn follows */
		pc->ss = NULL;
		pc->ps = NULL;
		ps->pc = NULL;
		px_queue_state(pc, state, ack);
		pc->close_after = 1;
		px_want_write(pc);
		return LOOM_SSR_OK;
	}
	px_queue_state(pc, state, ack);

	return LOOM_SSR_OK;
}

/* ---- frames from the client ---- */

static int
px_allowed(const struct px_cfg *cfg, const char *st)
{
	char **a;

	if (!cfg->allowed)
		return 1;
	for (a = cfg->allowed; *a; a++)
		if (!strcmp(*a, st))
			return 1;

	return 0;
}

static int
px_hello(struct px_conn *pc, const struct loom_sser_ev *e)
{
	const struct px_cfg *cfg = pc->cfg;
	struct loom_context *ctx = cfg->ctx;
	const struct loom_ss_policy *pol = loom_ss_context_policy(ctx);
	struct loom_ss_info ssi;
	uint8_t f[LOOM_SSER_HDR + 5];
	unsigned int res = LOOM_SSER_R_OK;
	size_t n;

	if (pc->hello_done)
		return -1;		/* one stream per connection */
	pc->hello_done = 1;
	pc->rx_credit = e->u32b;
	pc->frame_max = e->u32b < PX_FRAME_MAX ? e->u32b : PX_FRAME_MAX;
	if (pc->denied)
		res = LOOM_SSER_R_DENIED;	/* told, then dropped */
	else if (e->u32a != LOOM_SSER_VERSION)
		res = LOOM_SSER_R_VERSION;
	else if (!pc->frame_max)
		res = LOOM_SSER_R_FAILED;	/* a client that takes nothing */
	else if (!pol || !loom_ss_policy_stream_type(pol, e->str))
		res = LOOM_SSER_R_NO_STREAMTYPE;
	else if (loom_ss_policy_stream_type(pol, e->str)->flags & LOOM_SSTF_SERVER) {
		/* a listener's streams start at the proxy, and the wire format
		 * has no way to open one towards the client: never served */
		loom_log_warn("ssproxy: '%s' is a server stream type: not for SSPC",
			      e->str);
		res = LOOM_SSER_R_DENIED;
	}
	else if (!px_allowed(cfg, e->str))
		res = LOOM_SSER_R_DENIED;
	if (res == LOOM_SSER_R_OK) {
		memset(&ssi, 0, sizeof(ssi));
		ssi.streamtype = e->str;
		ssi.user_alloc = sizeof(struct px_stream);
		ssi.opaque_user_data_offset = offsetof(struct px_stream, pc);
		ssi.rx = px_ss_rx;
		ssi.tx = px_ss_tx;
		ssi.state = px_ss_state;
		/* the CREATED frame must lead: CREATING comes inside create */
		n = loom__sser_put_created(f, sizeof(f), res, cfg->tx_window);
		if (px_queue(pc, f, n, NULL, 0))
			return -1;
		if (loom_ss_create(ctx, 0, &ssi, pc, &pc->ss)) {
			loom_log_info("ssproxy: creating '%s' failed", e->str);
			pc->ss = NULL;
			pc->close_after = 1;
			return 0;
		}
		if (pc->ss)
			pc->ps = loom_ss_to_user_object(pc->ss);
		loom_log_info("ssproxy: stream '%s'", e->str);
		return 0;
	}
	loom_log_info("ssproxy: refused '%s' (result %u)", e->str, res);
	n = loom__sser_put_created(f, sizeof(f), res, 0);
	px_queue(pc, f, n, NULL, 0);
	pc->close_after = 1;

	return 0;
}

static int
px_event(void *opaque, const struct loom_sser_ev *e)
{
	struct px_conn *pc = opaque;
	struct px_chunk *c;

	if (!pc->hello_done && e->ev != LOOM_SSEV_HELLO)
		return 1;	/* HELLO comes first */

	switch (e->ev) {
	case LOOM_SSEV_HELLO:
		return px_hello(pc, e) ? 1 : 0;

	case LOOM_SSEV_MD_START:
		if (e->u32a > PX_MD_MAX)
			return 1;
		memcpy(pc->md_name, e->str, strlen(e->str) + 1);
		pc->md_len = 0;
		pc->md_want = e->u32a;
		if (pc->md_want)
			return 0;
		/* an empty value is complete now */
		/* fallthrough */
	case LOOM_SSEV_MD_DATA:
		if (e->ev == LOOM_SSEV_MD_DATA) {
			memcpy(pc->md_buf + pc->md_len, e->buf, e->len);
			pc->md_len += e->len;
		}
		if (pc->md_len == pc->md_want && pc->ss &&
		    loom_ss_set_metadata(pc->ss, pc->md_name, pc->md_buf, pc->md_len))
			loom_log_info("ssproxy: metadata '%s' not in the policy",
				       pc->md_name);
		return 0;

	case LOOM_SSEV_PAYLOAD_START:
		if (pc->txq_len + e->u32b > pc->cfg->tx_window)
			return 1;	/* past the credit it was given */
		pc->pl_left = e->u32b;
		pc->pl_flags = (int)e->u32a;
		if (e->u32b)
			return 0;
		/* an empty piece (a bare EOM, say) */
		/* fallthrough */
	case LOOM_SSEV_PAYLOAD_DATA:
		c = loom_malloc(sizeof(*c) + e->len, "ssproxy tx");
		if (!c)
			return 1;
		c->next = NULL;
		c->len = e->ev == LOOM_SSEV_PAYLOAD_DATA ? e->len : 0;
		c->used = 0;
		if (c->len)
			memcpy(c->data, e->buf, c->len);
		c->flags = pc->pl_flags;
		/* SOM on the first piece of the frame, EOM on its last */
		pc->pl_left -= c->len;
		if (pc->pl_left)
			c->flags &= ~LOOM_SS_FLAG_EOM;
		pc->pl_flags &= ~LOOM_SS_FLAG_SOM;
		if (pc->txq_tail)
			pc->txq_tail->next = c;
		else
			pc->txq = c;
		pc->txq_tail = c;
		pc->txq_len += c->len;
		if (pc->tx_pending && pc->ss)
			loom_ss_request_tx(pc->ss);
		return 0;

	case LOOM_SSEV_REQ_TX:
		pc->tx_pending = 1;
		if (!pc->ss)
			return 0;
		if (e->u32a)
			loom_ss_request_tx_len(pc->ss, e->u32b);
		else
			loom_ss_request_tx(pc->ss);
		return 0;

	case LOOM_SSEV_CREDIT:
		if ((uint64_t)pc->rx_credit + e->u32a > 0x7fffffffu)
			return 1;
		pc->rx_credit += e->u32a;
		px_want_write(pc);
		return 0;

	case LOOM_SSEV_CONNECT:
		if (pc->ss)
			loom_ss_client_connect(pc->ss);
		return 0;

	case LOOM_SSEV_DESTROY:
		pc->close_after = 1;
		px_want_write(pc);
		return 0;

	default:
		return 1;	/* the client's decoder never gives these */
	}
}

/*
 * write what is queued, honouring the client's rx credit: whole frames one after
 * the other in one write where they fit, so frames the real stream made in one go
 * (a state change and the metadata and states after it) reach the client together
 */
static int
px_writeable(struct px_conn *pc)
{
	uint8_t buf[LOOM_PRE + PX_WRITE_CHUNK], *seg;
	size_t n = 0, k, sl, max = PX_WRITE_CHUNK;

	if (pc->gone)
		return -1;
	if (pc->ch) {
		max = loom__mux_ch_write_max(pc->ch);
		if (max > PX_WRITE_CHUNK)
			max = PX_WRITE_CHUNK;
	}
	while (n < max) {
		sl = loom_buflist_next_segment_len(&pc->out, &seg);
		if (!sl)
			break;
		if (!pc->frame_left) {		/* at a frame's start */
			if (seg[0] == LOOM_SSER_PAYLOAD) {
				size_t pl = sl - LOOM_SSER_HDR - 1;

				if (pl > pc->rx_credit)
					break;	/* wait for CREDIT */
				pc->rx_credit -= (uint32_t)pl;
			}
			pc->frame_left = sl;
		}
		k = loom_buflist_linear_use(&pc->out, buf + LOOM_PRE + n,
					    pc->frame_left < max - n ? pc->frame_left :
								       max - n);
		pc->frame_left -= k;
		pc->out_len -= k;
		n += k;
	}
	if (!n) {
		if (!pc->out)
			return pc->close_after ? -1 : 0;
		if (!max)
			px_want_write(pc);	/* the channel's credit comes back */
		return 0;
	}
	if (pc->conn && loom_write(pc->conn, buf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
		return -1;
	if (pc->ch && loom__mux_ch_write(pc->ch, buf + LOOM_PRE, n))
		return -1;
	if (pc->out || pc->close_after)
		px_want_write(pc);

	return 0;
}

static void
px_cfg_free(struct px_cfg *cfg)
{
	char **a;

	if (!cfg)
		return;
	loom__mux_link_destroy(cfg->link);
	loom_free(cfg->uids);
	loom_free(cfg->gids);
	for (a = cfg->allowed; a && *a; a++)
		loom_free(*a);
	loom_free(cfg->allowed);
	loom_free(cfg);
}

/* the client is gone: the real stream goes, what was held is dropped */
static void
px_teardown(struct px_conn *pc)
{
	struct px_chunk *c;

	if (pc->ps)
		pc->ps->pc = NULL;
	pc->ps = NULL;
	if (pc->ss)
		loom_ss_destroy(&pc->ss);
	while ((c = pc->txq)) {
		pc->txq = c->next;
		loom_free(c);
	}
	pc->txq_tail = NULL;
	loom_buflist_destroy_all_segments(&pc->out);
}

/* ---- the mux transport: each channel of the link is a client ---- */

static void
pxm_end(struct px_conn *pc, int close_ch)
{
	if (close_ch && pc->ch)
		loom__mux_ch_close(pc->ch);
	pc->ch = NULL;
	px_teardown(pc);
	loom_free(pc);
}

static void
pxm_rx(struct loom_mux_ch *ch, void *opaque, const uint8_t *buf, size_t len)
{
	struct px_conn *pc = opaque;
	int r;

	(void)ch;
	r = loom__sser_feed(&pc->dec, buf, len, px_event, pc);
	if (r) {
		loom_log_info("ssproxy: bad frame from mux client (%d), dropped", r);
		pxm_end(pc, 1);
	}
}

static void
pxm_writeable(struct loom_mux_ch *ch, void *opaque)
{
	struct px_conn *pc = opaque;

	(void)ch;
	if (px_writeable(pc))
		pxm_end(pc, 1);
}

static void
pxm_closed(struct loom_mux_ch *ch, void *opaque, int link_down)
{
	(void)ch;
	if (link_down)
		loom_log_info("ssproxy: mux link down: client stream ends");
	pxm_end(opaque, 0);
}

static const struct loom_mux_ch_ops pxm_ops = {
	NULL, pxm_rx, pxm_writeable, pxm_closed
};

static int
pxm_accept(struct loom_mux_link *l, struct loom_mux_ch *ch, void *user)
{
	struct px_cfg *cfg = user;
	struct px_conn *pc = loom_zalloc(sizeof(*pc), "ssproxy mux client");

	(void)l;
	if (!pc)
		return -1;
	pc->ch = ch;
	pc->cfg = cfg;
	loom__sser_dec_init(&pc->dec, LOOM_SSER_ROLE_PROXY);
	loom__mux_ch_set_ops(ch, &pxm_ops, pc);

	return 0;
}

static int
px_id_in(unsigned long id, const unsigned int *list, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		if (list[i] == id)
			return 1;

	return 0;
}

/* a Unix socket client: may its uid or gid use the proxy? */
static void
px_check_cred(struct px_conn *pc, struct loom_conn *conn)
{
	const struct px_cfg *cfg = pc->cfg;
	unsigned long uid, gid;

	if (!cfg->check_cred)
		return;
	if (loom__plat_peer_cred(conn->fd, &uid, &gid)) {
		loom_clog_warn(conn, "ssproxy: refused a client: no peer credentials");
		pc->denied = 1;
		return;
	}
	if (px_id_in(uid, cfg->uids, cfg->count_uids) ||
	    px_id_in(gid, cfg->gids, cfg->count_gids))
		return;
	loom_clog_warn(conn, "ssproxy: refused a client: uid %lu gid %lu not allowed",
		       uid, gid);
	pc->denied = 1;
}

static int
px_callback(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	    void *in, size_t len)
{
	struct px_conn *pc = user;
	int r;

	switch (reason) {
	case LOOM_CB_PROTOCOL_DESTROY:
		if (loom_vhost_user(in) &&
		    ((struct px_cfg *)loom_vhost_user(in))->owned)
			px_cfg_free(loom_vhost_user(in));
		break;

	case LOOM_CB_RAW_ADOPT:
		memset(pc, 0, sizeof(*pc));
		pc->conn = conn;
		pc->cfg = loom_vhost_user(loom_get_vhost(conn));
		loom__sser_dec_init(&pc->dec, LOOM_SSER_ROLE_PROXY);
		px_check_cred(pc, conn);
		/* a client that never says HELLO is dropped */
		loom_set_timeout(conn, LOOM_TO_AWAITING_RX, 10);
		break;

	case LOOM_CB_RAW_RX:
		r = loom__sser_feed(&pc->dec, in, len, px_event, pc);
		if (r) {
			loom_clog_info(conn, "ssproxy: bad frame from client (%d), dropped",
				       r);
			return -1;
		}
		if (pc->hello_done)
			loom_set_timeout(conn, LOOM_TO_NONE, 0);
		break;

	case LOOM_CB_RAW_WRITEABLE:
		return px_writeable(pc);

	case LOOM_CB_RAW_CLOSE:
		px_teardown(pc);
		break;

	default:
		break;
	}

	return 0;
}

static const struct loom_protocol px_protocols[] = {
	{ "ss-proxy", px_callback, sizeof(struct px_conn), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static int
px_copy_ids(unsigned int **out, unsigned int *count, const unsigned int *in,
	    unsigned int n)
{
	if (!n)
		return 0;
	if (!in)
		return -1;
	*out = loom_malloc(n * sizeof(**out), "ssproxy ids");
	if (!*out)
		return -1;
	memcpy(*out, in, n * sizeof(**out));
	*count = n;

	return 0;
}

struct loom_vhost *
loom_ss_proxy_create(struct loom_context *ctx, const struct loom_ss_proxy_info *info)
{
	struct loom_vhost_info vi;
	struct loom_vhost *vh;
	struct px_cfg *cfg;
	unsigned int n = 0, i;

	if (!loom_ss_context_policy(ctx)) {
		loom_log_err("ssproxy: the context has no Secure Streams policy");
		return NULL;
	}
	cfg = loom_zalloc(sizeof(*cfg), "ssproxy");
	if (!cfg)
		return NULL;
	if ((info->count_allowed_uids || info->count_allowed_gids) && !info->unix_path) {
		loom_log_err("ssproxy: peer credentials are checked on Unix sockets only");
		loom_free(cfg);
		return NULL;
	}
	if (px_copy_ids(&cfg->uids, &cfg->count_uids, info->allowed_uids,
			info->count_allowed_uids) ||
	    px_copy_ids(&cfg->gids, &cfg->count_gids, info->allowed_gids,
			info->count_allowed_gids))
		goto bail;
	cfg->check_cred = info->count_allowed_uids || info->count_allowed_gids;
	cfg->tx_window = info->tx_window ? info->tx_window : PX_DEF_WINDOW;
	cfg->max_backlog = info->max_backlog ? info->max_backlog : PX_DEF_BACKLOG;
	cfg->ctx = ctx;
	if (info->allowed_streamtypes) {
		while (info->allowed_streamtypes[n])
			n++;
		cfg->allowed = loom_zalloc((n + 1) * sizeof(char *), "ssproxy");
		if (!cfg->allowed)
			goto bail;
		for (i = 0; i < n; i++) {
			size_t l = strlen(info->allowed_streamtypes[i]) + 1;

			cfg->allowed[i] = loom_malloc(l, "ssproxy");
			if (!cfg->allowed[i])
				goto bail;
			memcpy(cfg->allowed[i], info->allowed_streamtypes[i], l);
		}
	}

	memset(&vi, 0, sizeof(vi));
	vi.name = "ss-proxy";
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.unix_socket_path = info->unix_path;
	vi.port = info->port;
	vi.iface = info->unix_path ? NULL : (info->iface ? info->iface : "127.0.0.1");
	vi.protocols = px_protocols;
	vi.user = cfg;
	vh = loom_create_vhost(ctx, &vi);
	if (vh) {
		cfg->owned = 1;	/* freed at the vhost's PROTOCOL_DESTROY */
		if (info->mux_path) {
			struct loom_mux_link_info mi;

			memset(&mi, 0, sizeof(mi));
			mi.path = info->mux_path;
			mi.ping_ms = info->mux_ping_ms;
			mi.miss_max = info->mux_miss_max;
			mi.accept = pxm_accept;
			mi.user = cfg;
			cfg->link = loom__mux_link_create(ctx, &mi);
			if (!cfg->link)
				return NULL;	/* the vhost goes with the context */
		}
		return vh;
	}
bail:
	px_cfg_free(cfg);

	return NULL;
}
