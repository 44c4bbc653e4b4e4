/*
 * ops-h2.c: the HTTP/2 connection role (RFC 9113): the preface, frames from the
 * codec's reader dispatched by type, SETTINGS, PING, GOAWAY, RST_STREAM,
 * WINDOW_UPDATE, connection flow control, the defences (rapid reset, ACK floods,
 * a peer that does not read), output gathered per pass into one write, and the
 * writable pass that serves the streams round robin.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/h2/private-h2.h"

/* ---- per thread and per vhost ---- */

struct loom_h2_pt *
loom__h2_pt(struct loom_pt *pt)
{
	if (!pt->h2_pt) {
		struct loom_h2_pt *hp = loom_malloc(sizeof(*hp), "h2 pt");

		if (hp) {
			hp->cork_owner = NULL;
			hp->cork_len = 0;
			memset(&hp->clients, 0, sizeof(hp->clients));
			hp->hscratch = hp->hscratch_in;
			hp->hscratch_len = sizeof(hp->hscratch_in);
			hp->fields = hp->fields_in;
			hp->fields_len = sizeof(hp->fields_in);
		}
		pt->h2_pt = hp;
	}

	return pt->h2_pt;
}

/*
 * A conn taking header lists up to \p header_list bytes is made on this thread:
 * the decode buffers grow to hold such a list as text (and a string of it), once,
 * for the life of the thread. Called between header blocks, never inside one.
 */
int
loom__h2_pt_reserve(struct loom_pt *pt, uint32_t header_list)
{
	struct loom_h2_pt *hp = loom__h2_pt(pt);
	size_t need = (size_t)(header_list > H2_LIST_MAX ? H2_LIST_MAX : header_list) +
		      256;
	uint8_t *a, *b;

	if (!hp)
		return -1;
	if (need <= hp->fields_len)
		return 0;
	a = loom_malloc(need, "h2 hpack scratch");
	b = loom_malloc(need, "h2 fields");
	if (!a || !b) {
		loom_free(a);
		loom_free(b);
		return -1;
	}
	if (hp->hscratch != hp->hscratch_in)
		loom_free(hp->hscratch);
	if (hp->fields != hp->fields_in)
		loom_free(hp->fields);
	hp->hscratch = a;
	hp->fields = b;
	hp->hscratch_len = hp->fields_len = need;

	return 0;
}

static void
h2_destroy_pt(struct loom_pt *pt)
{
	struct loom_h2_pt *hp = pt->h2_pt;

	if (hp && hp->hscratch != hp->hscratch_in)
		loom_free(hp->hscratch);
	if (hp && hp->fields != hp->fields_in)
		loom_free(hp->fields);
	loom_free(pt->h2_pt);
	pt->h2_pt = NULL;
}

static const struct loom_h2_vh h2_vh_defaults = {
	0, 128, LOOM_H2_DEFAULT_WINDOW, LOOM_H2_DEFAULT_MAX_FRAME, 0, 0,
	LOOM_HPACK_DEFAULT_TABLE_SIZE, 200, 256, 10, 60, H2_RESET_MEMORY
};

const struct loom_h2_vh *
loom__h2_vh(const struct loom_vhost *vh)
{
	return vh && vh->h2_vh ? vh->h2_vh : &h2_vh_defaults;
}

static uint32_t
h2_header_list_default(const struct loom_vhost *vh)
{
	uint32_t n = loom__http_vh(vh)->lim.max_head_bytes;

	/* the request goes to the h1 parser as text, in buffers sized for it */
	return n > H2_LIST_MAX ? H2_LIST_MAX : n;
}

static int
h2_init_vhost(struct loom_vhost *vh, const struct loom_vhost_info *info)
{
	const struct loom_h2_vhost_info *i = info->h2;
	struct loom_h2_vh *v;

	if (!i)
		return 0;
	v = loom_malloc(sizeof(*v), "h2 vh");
	if (!v)
		return -1;
	*v = h2_vh_defaults;
	v->options = i->options;
	if (i->max_concurrent_streams)
		v->max_streams = i->max_concurrent_streams;
	if (i->initial_window)
		v->init_window = i->initial_window > LOOM_H2_MAX_WINDOW ?
				 LOOM_H2_MAX_WINDOW : i->initial_window;
	if (i->max_frame_size >= LOOM_H2_DEFAULT_MAX_FRAME &&
	    i->max_frame_size <= LOOM_H2_MAX_MAX_FRAME)
		v->max_frame = i->max_frame_size;
	v->max_header_list = i->max_header_list;
	v->max_header_block = i->max_header_block;
	if (i->hpack_table_size && i->hpack_table_size < LOOM_HPACK_DEFAULT_TABLE_SIZE)
		v->hpack_table = i->hpack_table_size;
	if (i->max_resets_per_sec)
		v->max_resets = i->max_resets_per_sec;
	if (i->max_pending_acks)
		v->max_pending_acks = i->max_pending_acks;
	if (i->stall_timeout_secs)
		v->stall_secs = i->stall_timeout_secs;
	if (i->idle_timeout_secs)
		v->idle_secs = i->idle_timeout_secs;
	if (i->reset_memory)
		v->reset_memory = i->reset_memory > H2_RESET_MEMORY_MAX ?
				  H2_RESET_MEMORY_MAX : i->reset_memory;
	vh->h2_vh = v;

	return 0;
}

static void
h2_destroy_vhost(struct loom_vhost *vh)
{
	loom_free(vh->h2_vh);
	vh->h2_vh = NULL;
}

/* ---- output: everything of one pass leaves in one write ---- */

static void
h2_cork_flush(struct loom_pt *pt)
{
	struct loom_h2_pt *hp = pt->h2_pt;
	struct loom_conn *owner;
	size_t len;

	if (!hp || !hp->cork_owner)
		return;
	owner = hp->cork_owner;
	len = hp->cork_len;
	hp->cork_owner = NULL;
	hp->cork_len = 0;
	if (len && !(owner->flags & LCF_CLOSED_CB_DONE))
		loom__issue_raw(owner, hp->cork, len);
}

static void
h2_cork_begin(struct loom_conn *conn)
{
	struct loom_h2_pt *hp = conn->pt->h2_pt;

	if (hp->cork_owner == conn)
		return;
	h2_cork_flush(conn->pt);
	hp->cork_owner = conn;
	hp->cork_len = 0;
}

int
loom__h2_out(struct loom_conn *conn, const uint8_t *buf, size_t len)
{
	struct loom_h2_pt *hp = conn->pt->h2_pt;
	struct loom_h2_conn *c = loom__h2c(conn);

	if (!len || (c->flags & H2CF_DEAD && !(c->flags & H2CF_GOAWAY_SENT)))
		return 0;
	if (conn->flags & (LCF_CLOSED_CB_DONE) || conn->fd < 0)
		return LOOM_ECLOSED;
	if (hp && hp->cork_owner == conn) {
		if (hp->cork_len + len <= sizeof(hp->cork)) {
			memcpy(hp->cork + hp->cork_len, buf, len);
			hp->cork_len += len;
			return 0;
		}
		h2_cork_flush(conn->pt);
		hp->cork_owner = conn;
		if (len < sizeof(hp->cork) / 2) {
			memcpy(hp->cork, buf, len);
			hp->cork_len = len;
			return 0;
		}
	}

	return loom__issue_raw(conn, buf, len) < 0 ? -1 : 0;
}

/* ---- control frames ---- */

static void
h2_goaway(struct loom_conn *conn, uint32_t code, const char *why)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	uint8_t f[17 + 64];
	size_t dl = why ? strlen(why) : 0, n;

	if (c->flags & H2CF_GOAWAY_SENT)
		return;
	c->flags |= H2CF_GOAWAY_SENT;
	if (dl > 64)
		dl = 64;
	n = loom__h2_put_goaway(f, sizeof(f), c->last_peer_sid, code,
				(const uint8_t *)why, dl);
	loom__h2_out(conn, f, n);
}

/* a connection error: GOAWAY with the code; the pass ends and the conn closes */
int
loom__h2_conn_error(struct loom_conn *conn, uint32_t code, const char *why)
{
	struct loom_h2_conn *c = loom__h2c(conn);

	if (c->flags & H2CF_DEAD)
		return 1;
	loom_clog_info(conn, "h2: connection error %s: %s", loom__h2_err_name(code),
		       why ? why : "");
	h2_goaway(conn, code, why);
	c->flags |= H2CF_DEAD;

	return 1;
}

void
loom__h2_send_rst(struct loom_conn *conn, uint32_t sid, uint32_t code)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	uint8_t f[13];

	loom__h2_out(conn, f, loom__h2_put_rst(f, sid, code));
	/* the peer may have frames for it in flight: remember it a while */
	if (sid && c->reset_max && !loom__h2_we_reset(c, sid)) {
		c->reset_sids[c->reset_next] = sid;
		c->reset_next = (c->reset_next + 1) % c->reset_max;
	}
}

int
loom__h2_we_reset(const struct loom_h2_conn *c, uint32_t sid)
{
	unsigned int n;

	if (!sid)
		return 0;	/* 0 marks an empty slot; stream 0 is never reset */
	for (n = 0; n < c->reset_max; n++)
		if (c->reset_sids[n] == sid)
			return 1;

	return 0;
}

void
loom__h2_send_window_update(struct loom_conn *conn, uint32_t sid, uint32_t incr)
{
	uint8_t f[13];

	if (incr)
		loom__h2_out(conn, f, loom__h2_put_window_update(f, sid, incr));
}

/* an ACK we owe: counted while the peer leaves our output unread */
static int
h2_ack_owed(struct loom_conn *conn)
{
	struct loom_h2_conn *c = loom__h2c(conn);

	if (!conn->buflist_out)
		return 0;
	if (++c->acks_pending > c->cfg->max_pending_acks)
		return loom__h2_conn_error(conn, LOOM_H2_ERR_ENHANCE_YOUR_CALM,
					   "too many unread ACKs");

	return 0;
}

/* rapid reset: streams reset by the peer or refused by us, per second */
int
loom__h2_count_reset(struct loom_conn *conn)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	loom_usec_t now = loom__plat_now_us();

	if (now - c->reset_window_start > LOOM_US_PER_SEC) {
		c->reset_window_start = now;
		c->resets = 0;
	}
	if (++c->resets > c->cfg->max_resets)
		return loom__h2_conn_error(conn, LOOM_H2_ERR_ENHANCE_YOUR_CALM,
					   "too many stream resets");

	return 0;
}

/*
 * WebSocket over h2 (RFC 8441) is offered on a vhost that serves ws: one with ws
 * settings or a protocol beside its first (HTTP) one, unless its options say no
 */
int
loom__h2_ext_connect_on(const struct loom_vhost *vh)
{
#if defined(LOOM_WITH_WS)
	return vh && !(loom__h2_vh(vh)->options & LOOM_H2_OPT_NO_WEBSOCKET) &&
	       (vh->ws_vh || vh->count_protocols > 1);
#else
	return 0;
#endif
}

/* the SETTINGS we send (also as a client's HTTP2-Settings); returns the count */
int
loom__h2_our_settings(const struct loom_vhost *vh, int client, uint16_t *ids,
		      uint32_t *vals)
{
	const struct loom_h2_vh *v = loom__h2_vh(vh);
	int k = 0;

	ids[k] = LOOM_H2_SET_MAX_CONCURRENT_STREAMS;
	vals[k++] = v->max_streams;
	if (v->init_window != LOOM_H2_DEFAULT_WINDOW) {
		ids[k] = LOOM_H2_SET_INITIAL_WINDOW_SIZE;
		vals[k++] = v->init_window;
	}
	if (v->max_frame != LOOM_H2_DEFAULT_MAX_FRAME) {
		ids[k] = LOOM_H2_SET_MAX_FRAME_SIZE;
		vals[k++] = v->max_frame;
	}
	ids[k] = LOOM_H2_SET_MAX_HEADER_LIST_SIZE;
	vals[k++] = v->max_header_list ? v->max_header_list :
		    h2_header_list_default(vh);
	if (v->hpack_table != LOOM_HPACK_DEFAULT_TABLE_SIZE) {
		ids[k] = LOOM_H2_SET_HEADER_TABLE_SIZE;
		vals[k++] = v->hpack_table;
	}
	if (client) {
		ids[k] = LOOM_H2_SET_ENABLE_PUSH;
		vals[k++] = 0;
	} else if (loom__h2_ext_connect_on(vh)) {
		ids[k] = LOOM_H2_SET_ENABLE_CONNECT_PROTOCOL;
		vals[k++] = 1;
	}

	return k;
}

static void
h2_send_settings(struct loom_conn *conn)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	const struct loom_h2_vh *v = c->cfg;
	uint16_t ids[LOOM_H2_OUR_SETTINGS];
	uint32_t vals[LOOM_H2_OUR_SETTINGS];
	uint8_t f[9 + 6 * LOOM_H2_OUR_SETTINGS + 13];
	size_t n;
	int k = loom__h2_our_settings(conn->vhost, !!(c->flags & H2CF_CLIENT), ids, vals);

	n = loom__h2_put_settings(f, sizeof(f), ids, vals, k);
	/* the connection window is ours to widen at once */
	if (v->init_window > LOOM_H2_DEFAULT_WINDOW)
		n += loom__h2_put_window_update(f + n, 0,
					v->init_window - LOOM_H2_DEFAULT_WINDOW);
	loom__h2_out(conn, f, n);
}

/* ---- streams ---- */

struct loom_conn *
loom__h2_find_stream(struct loom_h2_conn *c, uint32_t sid)
{
	struct loom_dll2 *d;

	for (d = c->streams.head; d; d = d->next) {
		struct loom_h2_stream *st = loom_container_of(d, struct loom_h2_stream,
							      list);

		if (st->sid == sid)
			return st->conn;
	}

	return NULL;
}

/* the parent should run a writable pass soon */
void
loom__h2_want_pass(struct loom_conn *parent)
{
	if (!(parent->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE)))
		loom_callback_on_writable(parent);
}

/* a stream conn is closing: unlink it from the parent */
void
loom__h2_stream_gone(struct loom_conn *parent, struct loom_h2_stream *st)
{
	struct loom_h2_conn *c = loom__h2c(parent);

	if (c->rr == &st->list)
		c->rr = st->list.next;
	if (c->cur_data == st->conn)
		c->cur_data = NULL;
	loom_dll2_remove(&st->list);
	loom_dll2_remove(&st->reap_list);
	if (!c->streams.count && !(parent->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE)))
		loom_set_timeout(parent, LOOM_TO_AWAITING_RX, (int)c->cfg->idle_secs);
}

static void
h2_reap(struct loom_conn *conn)
{
	struct loom_h2_conn *c = loom__h2c(conn);

	while (c->reap.head) {
		struct loom_h2_stream *st = loom_container_of(c->reap.head,
						struct loom_h2_stream, reap_list);

		loom_dll2_remove(&st->reap_list);
		loom__close_now(st->conn, LOOM_CLOSE_NORMAL, "stream done");
	}
}

/* ---- frames in ---- */

/*
 * The peer goes away: its requests may finish, but a tunnel (ws over h2) would
 * hold the connection for ever, so each starts its close (ws: 1001 going away)
 */
static void
h2_goaway_tunnels(struct loom_h2_conn *c)
{
#if defined(LOOM_WITH_WS)
	struct loom_dll2 *d, *next;

	for (d = c->streams.head; d; d = next) {
		struct loom_conn *s = loom_container_of(d, struct loom_h2_stream, list)->conn;

		next = d->next;
		if (s->role == &loom_role_ops_ws_h2)
			loom__close(s, LOOM_CLOSE_GOINGAWAY, "peer sent GOAWAY");
	}
#else
	(void)c;
#endif
}

int
loom__h2_sid_idle(const struct loom_h2_conn *c, uint32_t sid)
{
	/* ours (client: odd) are idle from next_sid on; the peer's above its last */
	if (c->flags & H2CF_CLIENT)
		return (sid & 1) ? sid >= c->next_sid : sid > c->last_peer_sid;

	return (sid & 1) ? sid > c->last_peer_sid : 1;
}

static int
h2_on_settings(struct loom_conn *conn, struct loom_h2_conn *c, int ev,
	       const struct loom_h2_frame_hdr *h, const uint8_t *p, size_t len)
{
	uint8_t f[9];
	size_t n;

	if (h->flags & LOOM_H2_FL_ACK)
		return 0;	/* our settings took effect: nothing waits on it */
	if (ev == LOOM_H2R_PAYLOAD) {
		for (n = 0; n + 6 <= len; n += 6) {
			uint16_t id = (uint16_t)((p[n] << 8) | p[n + 1]);
			uint32_t v = ((uint32_t)p[n + 2] << 24) | ((uint32_t)p[n + 3] << 16) |
				     ((uint32_t)p[n + 4] << 8) | p[n + 5];

			switch (id) {
			case LOOM_H2_SET_HEADER_TABLE_SIZE:
				loom__hpack_enc_peer_table_size(&c->enc, v);
				break;
			case LOOM_H2_SET_MAX_CONCURRENT_STREAMS:
				c->peer_max_streams = v;
				break;
			case LOOM_H2_SET_INITIAL_WINDOW_SIZE: {
				int64_t delta = (int64_t)v - (int64_t)c->peer_init_window;
				struct loom_dll2 *d;

				/* every open stream's window moves by the change */
				for (d = c->streams.head; d; d = d->next) {
					struct loom_h2_stream *st = loom_container_of(d,
						struct loom_h2_stream, list);

					if ((int64_t)st->tx_window + delta > LOOM_H2_MAX_WINDOW)
						return loom__h2_conn_error(conn,
							LOOM_H2_ERR_FLOW_CONTROL_ERROR,
							"window overflow by SETTINGS");
					st->tx_window = (int32_t)(st->tx_window + delta);
				}
				c->peer_init_window = v;
				if (delta > 0)
					loom__h2_want_pass(conn);
				break;
			}
			case LOOM_H2_SET_MAX_FRAME_SIZE:
				c->peer_max_frame = v;
				break;
			case LOOM_H2_SET_MAX_HEADER_LIST_SIZE:
				/* advisory (RFC 9113 6.5.2): the client checks
				 * its requests against it; 0 is taken as 1 */
				c->peer_max_hlist = v ? v : 1;
				break;
			case LOOM_H2_SET_ENABLE_CONNECT_PROTOCOL:
				/* RFC 8441 3: once 1, it may not go back to 0 */
				if (c->flags & H2CF_PEER_EXT_CONNECT && !v)
					return loom__h2_conn_error(conn,
						LOOM_H2_ERR_PROTOCOL_ERROR,
						"ENABLE_CONNECT_PROTOCOL withdrawn");
				if (v)
					c->flags |= H2CF_PEER_EXT_CONNECT;
				break;
			default:
				break;
			}
		}
		return 0;
	}
	if (ev != LOOM_H2R_END)
		return 0;
	n = loom__h2_put_settings_ack(f);
	loom__h2_out(conn, f, n);
	c->flags |= H2CF_SETTINGS_IN;
	if (c->flags & H2CF_CLIENT)
		loom__h2_want_pass(conn);	/* queued requests may fit now */
	if (c->upgrade_ah) {
		/* h2c upgrade: the client's preface is in, stream 1 may answer (not
		 * before: curl takes only so much after the 101) */
		struct loom_h1_ah *ah = c->upgrade_ah;

		c->upgrade_ah = NULL;
		if (!loom__h2_upgrade_stream(conn, ah))
			return loom__h2_conn_error(conn, LOOM_H2_ERR_INTERNAL_ERROR,
						   "out of memory");
	}

	return h2_ack_owed(conn);
}

static int
h2_on_data(struct loom_conn *conn, struct loom_h2_conn *c, int ev,
	   const struct loom_h2_frame_hdr *h, const uint8_t *p, size_t len)
{
	struct loom_conn *s;
	struct loom_h2_stream *st;

	switch (ev) {
	case LOOM_H2R_HDR:
		c->cur_data = NULL;
		if (loom__h2_sid_idle(c, h->sid))
			return loom__h2_conn_error(conn, LOOM_H2_ERR_PROTOCOL_ERROR,
						   "DATA on an idle stream");
		if ((int64_t)h->len > c->rx_window)
			return loom__h2_conn_error(conn, LOOM_H2_ERR_FLOW_CONTROL_ERROR,
						   "DATA beyond the connection window");
		c->rx_window -= h->len;
		c->rx_consumed += h->len;
		c->flags &= (uint16_t)~H2CF_DATA_NO_STREAM;
		s = loom__h2_find_stream(c, h->sid);
		if (!s) {
			/* closed: the bytes still count against the connection (given
			 * back at the END); one we reset may still get frames sent
			 * before the peer saw it, dropped without a word (5.1) */
			if (!loom__h2_we_reset(c, h->sid))
				c->flags |= H2CF_DATA_NO_STREAM;
			return 0;
		}
		st = loom__h2s(s);
		if (st->sflags & (H2SF_REMOTE_ENDED | H2SF_RESET)) {
			if (!(st->sflags & H2SF_RESET)) {
				st->sflags |= H2SF_RESET;
				loom__h2_send_rst(conn, h->sid, LOOM_H2_ERR_STREAM_CLOSED);
				loom__close_now(s, LOOM_CLOSE_NORMAL, "DATA after END_STREAM");
			}
			return 0;
		}
		if ((int64_t)h->len > st->rx_window) {
			st->sflags |= H2SF_RESET;
			loom__h2_send_rst(conn, h->sid, LOOM_H2_ERR_FLOW_CONTROL_ERROR);
			loom__close_now(s, LOOM_CLOSE_NORMAL, "stream window exceeded");
			return 0;
		}
		st->rx_window -= (int32_t)h->len;
		/* padding is given back at once; data when the user has taken it */
		st->rx_consumed += h->len - h->data_len;
		c->cur_data = s;
		return 0;

	case LOOM_H2R_PAYLOAD:
		if (!c->cur_data)
			return 0;
		if (loom__h2s_data(c->cur_data, p, len))
			c->cur_data = NULL;
		return 0;

	default:	/* END */
		s = c->cur_data;
		c->cur_data = NULL;
		if (!s && (c->flags & H2CF_DATA_NO_STREAM)) {
			/* closed (5.1): the peer should know; not when the stream
			 * ended while this frame was read (it was told then). Not
			 * remembered as one we reset: each such frame is answered */
			uint8_t f[13];

			loom__h2_out(conn, f, loom__h2_put_rst(f, h->sid,
						LOOM_H2_ERR_STREAM_CLOSED));
		}
		if (s) {
			st = loom__h2s(s);
			if (h->flags & LOOM_H2_FL_END_STREAM) {
				if (st->rx_held)
					st->sflags |= H2SF_END_HELD;
				else
					loom__h2s_remote_end(s);
			} else
				loom__h2s_window_update(s);
		}
		if (c->rx_consumed >= c->cfg->init_window / 2) {
			loom__h2_send_window_update(conn, 0, c->rx_consumed);
			c->rx_window += c->rx_consumed;
			c->rx_consumed = 0;
		}
		return 0;
	}
}

static int
h2_hblock_add(struct loom_conn *conn, struct loom_h2_conn *c, const uint8_t *p,
	      size_t len)
{
	uint32_t max = c->cfg->max_header_block;

	if (!max) {
		max = (c->cfg->max_header_list ? c->cfg->max_header_list :
		       h2_header_list_default(conn->vhost)) * 2;
		if (max < 16384)
			max = 16384;
	}
	if (c->hblock_cost + len > max)
		return loom__h2_conn_error(conn, LOOM_H2_ERR_ENHANCE_YOUR_CALM,
					   "header block too large");
	if (!len)
		return 0;
	if (c->hblock_len + len > c->hblock_alloc) {
		uint32_t na = c->hblock_alloc ? c->hblock_alloc : 1024;
		uint8_t *nb;

		while (na < c->hblock_len + len)
			na *= 2;
		if (na > max)
			na = max;
		nb = loom_realloc(c->hblock, na, "h2 header block");
		if (!nb)
			return loom__h2_conn_error(conn, LOOM_H2_ERR_INTERNAL_ERROR,
						   "out of memory");
		c->hblock = nb;
		c->hblock_alloc = na;
	}
	memcpy(c->hblock + c->hblock_len, p, len);
	c->hblock_len += (uint32_t)len;
	c->hblock_cost += (uint32_t)len;

	return 0;
}

static int
h2_on_headers(struct loom_conn *conn, struct loom_h2_conn *c, int ev,
	      const struct loom_h2_frame_hdr *h, const uint8_t *p, size_t len)
{
	switch (ev) {
	case LOOM_H2R_HDR:
		if (h->type == LOOM_H2_F_HEADERS) {
			c->hb_sid = h->sid;
			c->hb_flags = h->flags;
			c->hb_err = h->err;
			c->hblock_len = 0;
			c->hblock_cost = 0;
			c->flags &= (uint16_t)~H2CF_HB_INPLACE;
		} else {
			/* a CONTINUATION costs at least this much of the bound, so a
			 * flood of empty ones ends as surely as a large block */
			c->hblock_cost += 512;
		}
		return 0;
	case LOOM_H2R_PAYLOAD:
		if (h->type == LOOM_H2_F_HEADERS && !c->hblock_len &&
		    len == h->data_len && (h->flags & LOOM_H2_FL_END_HEADERS)) {
			/* the whole block in one piece: decode it where it is */
			c->flags |= H2CF_HB_INPLACE;
			return loom__h2_headers_block(conn, c->hb_sid, p, len, c->hb_flags,
						      c->hb_err);
		}
		return h2_hblock_add(conn, c, p, len);
	default:
		if (!(h->flags & LOOM_H2_FL_END_HEADERS))
			return h2_hblock_add(conn, c, NULL, 0);
		if (c->flags & H2CF_HB_INPLACE) {
			c->flags &= (uint16_t)~H2CF_HB_INPLACE;
			return 0;
		}
		return loom__h2_headers_block(conn, c->hb_sid, c->hblock, c->hblock_len,
					      c->hb_flags, c->hb_err);
	}
}

static int
h2_on_window_update(struct loom_conn *conn, struct loom_h2_conn *c,
		    const struct loom_h2_frame_hdr *h, const uint8_t *p)
{
	uint32_t incr = (((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
			 ((uint32_t)p[2] << 8) | p[3]) & 0x7fffffffu;
	struct loom_conn *s;
	struct loom_h2_stream *st;

	if (!h->sid) {
		if (c->tx_window + incr > LOOM_H2_MAX_WINDOW)
			return loom__h2_conn_error(conn, LOOM_H2_ERR_FLOW_CONTROL_ERROR,
						   "connection window overflow");
		c->tx_window += incr;
		loom__h2_want_pass(conn);
		return 0;
	}
	if ((h->sid & 1) && loom__h2_sid_idle(c, h->sid))
		return loom__h2_conn_error(conn, LOOM_H2_ERR_PROTOCOL_ERROR,
					   "WINDOW_UPDATE on an idle stream");
	s = loom__h2_find_stream(c, h->sid);
	if (!s)
		return 0;
	st = loom__h2s(s);
	if (h->err) {
		/* an increment of 0 on a stream: a stream error */
		st->sflags |= H2SF_RESET;
		loom__h2_send_rst(conn, h->sid, h->err);
		loom__close_now(s, LOOM_CLOSE_NORMAL, "bad WINDOW_UPDATE");
		return 0;
	}
	if ((int64_t)st->tx_window + incr > LOOM_H2_MAX_WINDOW) {
		st->sflags |= H2SF_RESET;
		loom__h2_send_rst(conn, h->sid, LOOM_H2_ERR_FLOW_CONTROL_ERROR);
		loom__close_now(s, LOOM_CLOSE_NORMAL, "stream window overflow");
		return 0;
	}
	st->tx_window += (int32_t)incr;
	if (st->tx_pending || (s->flags & LCF_WANT_WRITABLE))
		loom__h2_want_pass(conn);

	return 0;
}

static int
h2_frame_cb(void *opaque, int ev, const struct loom_h2_frame_hdr *h,
	    const uint8_t *p, size_t len)
{
	struct loom_conn *conn = opaque;
	struct loom_h2_conn *c = loom__h2c(conn);
	struct loom_conn *s;

	if (c->flags & H2CF_DEAD)
		return 1;
	if (ev == LOOM_H2R_HDR && !(c->flags & H2CF_GOT_SETTINGS)) {
		/* the preface's SETTINGS must come first */
		if (h->type != LOOM_H2_F_SETTINGS || (h->flags & LOOM_H2_FL_ACK))
			return loom__h2_conn_error(conn, LOOM_H2_ERR_PROTOCOL_ERROR,
						   "first frame is not SETTINGS");
		c->flags |= H2CF_GOT_SETTINGS;
		if (c->flags & H2CF_CLIENT)	/* no limit unless this one says */
			c->peer_max_streams = 0xffffffffu;
	}

	switch (h->type) {
	case LOOM_H2_F_DATA:
		return h2_on_data(conn, c, ev, h, p, len);
	case LOOM_H2_F_HEADERS:
	case LOOM_H2_F_CONTINUATION:
		return h2_on_headers(conn, c, ev, h, p, len);
	case LOOM_H2_F_SETTINGS:
		return h2_on_settings(conn, c, ev, h, p, len);
	case LOOM_H2_F_PING:
		if (ev == LOOM_H2R_PAYLOAD && !(h->flags & LOOM_H2_FL_ACK) && len == 8) {
			uint8_t f[17];

			loom__h2_out(conn, f, loom__h2_put_ping(f, 1, p));
			return h2_ack_owed(conn);
		}
		return 0;
	case LOOM_H2_F_PRIORITY:
		if (ev == LOOM_H2R_END && h->err) {
			loom__h2_send_rst(conn, h->sid, h->err);
			s = loom__h2_find_stream(c, h->sid);
			if (s) {
				loom__h2s(s)->sflags |= H2SF_RESET;
				loom__close_now(s, LOOM_CLOSE_NORMAL, "bad PRIORITY");
			}
		}
		return 0;	/* priorities are advice we do not take */
	case LOOM_H2_F_RST_STREAM:
		if (ev != LOOM_H2R_PAYLOAD)
			return 0;
		if ((h->sid & 1) && loom__h2_sid_idle(c, h->sid))
			return loom__h2_conn_error(conn, LOOM_H2_ERR_PROTOCOL_ERROR,
						   "RST_STREAM on an idle stream");
		s = loom__h2_find_stream(c, h->sid);
		if (s) {
			if (!c->cli || s->role != &loom_role_ops_h2s || len != 4 || p[0] ||
			    p[1] || p[2] || p[3] != LOOM_H2_ERR_REFUSED_STREAM)
				loom__h2s_peer_reset(s);
			else	/* not processed: the client tries it again */
				loom__h2_client_refused(s, "REFUSED_STREAM");
			return loom__h2_count_reset(conn);
		}
		return 0;
	case LOOM_H2_F_WINDOW_UPDATE:
		if (ev == LOOM_H2R_PAYLOAD && len == 4)
			return h2_on_window_update(conn, c, h, p);
		return 0;
	case LOOM_H2_F_GOAWAY:
		if (ev == LOOM_H2R_HDR && !(c->flags & H2CF_GOAWAY_RECV)) {
			c->flags |= H2CF_GOAWAY_RECV;
			h2_goaway_tunnels(c);
		}
		if (c->flags & H2CF_CLIENT)
			return loom__h2_client_goaway(conn, ev, p, len);
		return 0;
	case LOOM_H2_F_PUSH_PROMISE:
		/* a client never allows push (SETTINGS_ENABLE_PUSH 0) */
		if (ev == LOOM_H2R_HDR)
			return loom__h2_conn_error(conn, LOOM_H2_ERR_PROTOCOL_ERROR,
						   (c->flags & H2CF_CLIENT) ?
						   "PUSH_PROMISE, push is off" :
						   "PUSH_PROMISE from a client");
		return 0;
	default:
		return 0;	/* unknown types are ignored */
	}
}

/* ---- the role ---- */

static void
h2_conn_free(struct loom_pt *pt, struct loom_h2_conn *c)
{
	loom__h1_ah_put(pt, c->upgrade_ah);
	loom_free(c->hblock);
	loom_free(c);
}

/*
 * Make \p conn (accepted, h1 so far) an h2 server connection: ALPN chose "h2", or
 * the h2c preface was seen. \p in / \p len: bytes already read (the preface on).
 */
static struct loom_h2_conn *
h2_conn_new(struct loom_conn *conn)
{
	const struct loom_h2_vh *v = loom__h2_vh(conn->vhost);
	struct loom_h2_conn *c;
	uint32_t hl;

	if (!loom__h2_pt(conn->pt) || !loom__http_pt(conn->pt))
		return NULL;
	/* the reset ring after the struct, in the same block */
	c = loom_zalloc(sizeof(*c) + v->reset_memory * sizeof(uint32_t), "h2 conn");
	if (!c)
		return NULL;
	c->cfg = v;
	c->reset_sids = (uint32_t *)(c + 1);
	c->reset_max = v->reset_memory;
	hl = v->max_header_list ? v->max_header_list : h2_header_list_default(conn->vhost);
	if (loom__h2_pt_reserve(conn->pt, hl)) {
		loom_free(c);
		return NULL;
	}
	loom__h2_reader_init(&c->rd, v->max_frame);
	loom__hpack_dec_init(&c->dec, c->dec_table, v->hpack_table, hl);
	loom__hpack_enc_init(&c->enc, c->enc_table, sizeof(c->enc_table));
	c->tx_window = LOOM_H2_DEFAULT_WINDOW;
	c->rx_window = v->init_window > LOOM_H2_DEFAULT_WINDOW ? v->init_window :
		       LOOM_H2_DEFAULT_WINDOW;
	c->peer_init_window = LOOM_H2_DEFAULT_WINDOW;
	c->peer_max_frame = LOOM_H2_DEFAULT_MAX_FRAME;
	c->peer_max_streams = 0xffffffffu;

	return c;
}

static int
h2_rx(struct loom_conn *conn, const uint8_t *buf, size_t len);
static int
h2_pass_end_x(struct loom_conn *conn, int may_close);

/* as loom__h2_server_take(), \p seen preface bytes having come before \p in */
static int
h2_server_take_at(struct loom_conn *conn, size_t seen, const uint8_t *in, size_t len)
{
	struct loom_h2_conn *c = h2_conn_new(conn);

	if (!c)
		return -1;
	c->preface = (uint8_t)seen;
	if (conn->role->destroy_role)
		conn->role->destroy_role(conn);
	conn->role = &loom_role_ops_h2;
	conn->role_data = c;
	loom_clog_info(conn, "h2: server connection");
	loom__io(conn, LOOM_EV_START | LOOM_EV_READ);
	loom_set_timeout(conn, LOOM_TO_AWAITING_RX, (int)c->cfg->idle_secs);
	c->in_pass++;
	h2_cork_begin(conn);
	h2_send_settings(conn);
	if (len)
		h2_rx(conn, in, len);
	h2_cork_flush(conn->pt);
	c->in_pass--;
	h2_reap(conn);
	if (c->flags & H2CF_DEAD)
		return -1;

	return 0;
}

int
loom__h2_server_take(struct loom_conn *conn, const uint8_t *in, size_t len)
{
	return h2_server_take_at(conn, 0, in, len);
}

/* client: bytes already read for the connection (after an h2c upgrade's 101) */
int
loom__h2_client_feed(struct loom_conn *conn, const uint8_t *buf, size_t len)
{
	struct loom_h2_conn *c = loom__h2c(conn);

	c->in_pass++;
	h2_cork_begin(conn);
	if (len)
		h2_rx(conn, buf, len);

	return h2_pass_end_x(conn, 0);
}

int
loom__h2_client_conn_init(struct loom_conn *conn)
{
	struct loom_h2_conn *c = h2_conn_new(conn);

	if (!c)
		return -1;
	c->flags |= H2CF_CLIENT;
	c->next_sid = 1;
	/* until the server's SETTINGS say how many, one stream at a time */
	c->peer_max_streams = 1;
	conn->role_data = c;
	loom_clog_info(conn, "h2: client connection");
	loom_set_timeout(conn, LOOM_TO_AWAITING_RX, (int)c->cfg->idle_secs);
	if (loom__h2_out(conn, (const uint8_t *)LOOM_H2_PREFACE, LOOM_H2_PREFACE_LEN))
		return -1;
	h2_send_settings(conn);

	return 0;
}

/* feed what was read; 1 when the connection must end */
static int
h2_rx(struct loom_conn *conn, const uint8_t *buf, size_t len)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	size_t used;
	int r;

	if (c->preface < LOOM_H2_PREFACE_LEN && !(c->flags & H2CF_CLIENT)) {
		size_t n = LOOM_H2_PREFACE_LEN - c->preface;

		if (n > len)
			n = len;
		if (memcmp(buf, &LOOM_H2_PREFACE[c->preface], n))
			return loom__h2_conn_error(conn, LOOM_H2_ERR_PROTOCOL_ERROR,
						   "bad connection preface");
		c->preface = (uint8_t)(c->preface + n);
		buf += n;
		len -= n;
	}
	while (len && !(c->flags & H2CF_DEAD)) {
		r = loom__h2_reader_feed(&c->rd, buf, len, &used, h2_frame_cb, conn);
		if (r == LOOM_H2R_CONN_ERROR)
			return loom__h2_conn_error(conn, c->rd.error, "bad frame");
		if (!r)
			break;
		buf += used;
		len -= used;
	}

	return !!(c->flags & H2CF_DEAD);
}

/* end of a pass: send what was gathered, close what finished, close if we must */
static int
h2_pass_end_x(struct loom_conn *conn, int may_close)
{
	struct loom_h2_conn *c = loom__h2c(conn);

	h2_cork_flush(conn->pt);
	if (--c->in_pass)
		return LOOM_HP_OK;
	h2_reap(conn);
	if ((c->flags & H2CF_DEAD) && !(c->flags & H2CF_LINGER)) {
		/*
		 * GOAWAY is out (or held). Closing now with the peer's bytes unread
		 * would reset the connection and could lose the GOAWAY: read and drop
		 * what still comes, for a second at most, then close.
		 */
		c->flags |= H2CF_LINGER;
		c->flags &= (uint16_t)~H2CF_RX_THROTTLED;
		while (c->streams.head) {
			struct loom_h2_stream *st = loom_container_of(c->streams.head,
							struct loom_h2_stream, list);

			loom__close_now(st->conn, LOOM_CLOSE_ABNORMAL, "h2 connection error");
		}
		loom__io(conn, LOOM_EV_START | LOOM_EV_READ);
		loom_set_timeout_us(conn, LOOM_TO_CLOSE_FLUSH, LOOM_US_PER_SEC);
		return LOOM_HP_OK;
	}
	if ((c->flags & H2CF_GOAWAY_RECV) && !c->streams.count) {
		if (!may_close) {
			loom__h2_want_pass(conn);	/* closes from the loop */
			return LOOM_HP_OK;
		}
		return loom__close(conn, LOOM_CLOSE_NORMAL, "peer sent GOAWAY");
	}
	if (conn->buflist_out && !(c->flags & H2CF_RX_THROTTLED) &&
	    loom_buflist_total_len(&conn->buflist_out) > H2_OUT_HIGH) {
		/* the peer does not read: stop reading its requests too */
		c->flags |= H2CF_RX_THROTTLED;
		loom__io(conn, LOOM_EV_STOP | LOOM_EV_READ);
	}

	return LOOM_HP_OK;
}

static int
h2_pass_end(struct loom_conn *conn)
{
	return h2_pass_end_x(conn, 1);
}

static int
h2_handle_pollin(struct loom_pt *pt, struct loom_conn *conn)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	int n;

	if (conn->flags & LCF_CONNECTING)
		return loom__connect_continue(conn);
	if (conn->flags & (LCF_RX_PAUSED | LCF_PEER_EOF | LCF_CLOSING) ||
	    (c->flags & H2CF_RX_THROTTLED))
		return LOOM_HP_OK;
	n = loom__conn_read(conn, pt->serv_buf, pt->serv_buf_size);
	if (n < 0) {
		if (loom__plat_errno_is_again(errno))
			return LOOM_HP_OK;
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "read failed");
		return LOOM_HP_CLOSED;
	}
	if (!n) {
		loom__close_now(conn, LOOM_CLOSE_NORMAL, "peer closed");
		return LOOM_HP_CLOSED;
	}
	if (c->flags & H2CF_LINGER)
		return LOOM_HP_OK;	/* after our GOAWAY: dropped */
	c->in_pass++;
	h2_cork_begin(conn);
	h2_rx(conn, pt->serv_buf, (size_t)n);

	return h2_pass_end(conn);
}

/* the writable pass: each stream with something to send and credit, in turn */
static int
h2_perform_user_pollout(struct loom_conn *conn)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	struct loom_dll2 *d, *start;
	unsigned int budget;
	int again = 0;

	conn->flags &= ~LCF_WANT_WRITABLE;
	if (conn->flags & (LCF_CLOSING | LCF_CLOSED_CB_DONE))
		return LOOM_HP_OK;
	c->in_pass++;
	h2_cork_begin(conn);
	if (c->cli)
		loom__h2_client_start_pending(conn);
	budget = c->streams.count;
	start = c->rr && c->rr->owner == &c->streams ? c->rr : c->streams.head;
	d = start;
	while (budget-- && d && !(c->flags & H2CF_DEAD)) {
		struct loom_h2_stream *st = loom_container_of(d, struct loom_h2_stream, list);
		struct loom_conn *s = st->conn;

		d = d->next ? d->next : c->streams.head;
		c->rr = d;
		if (conn->buflist_out) {
			again = 1;
			break;
		}
		if (st->tx_pending) {
			if (c->tx_window > 0 && st->tx_window > 0)
				loom__h2s_send_pending(s);
			continue;
		}
		if (st->rx_held && !(s->flags & LCF_RX_PAUSED)) {
			loom__h2s_rx_resume(s);	/* the user reads again */
			continue;
		}
		if (!(s->flags & LCF_WANT_WRITABLE) || (st->sflags & H2SF_DONE))
			continue;
		if ((st->sflags & H2SF_HEADERS_SENT) && loom__h2s_credit(s) <= 0)
			continue;	/* the window is shut: wait for WINDOW_UPDATE */
		s->flags &= ~LCF_WANT_WRITABLE;
		loom__h2s_user_pollout(s);
	}
	if (again)
		loom_callback_on_writable(conn);

	return h2_pass_end(conn);
}

static int
h2_handle_pollout(struct loom_pt *pt, struct loom_conn *conn)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	int r;

	if (conn->flags & LCF_CONNECTING)
		return loom__connect_continue(conn);
	conn->flags |= LCF_KNOWN_WRITABLE;
	if (conn->buflist_out) {
		r = loom__flush_pending(conn);
		if (r < 0) {
			loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "write failed");
			return LOOM_HP_CLOSED;
		}
		if (!r) {
			conn->flags &= ~LCF_KNOWN_WRITABLE;
			return LOOM_HP_OK;
		}
	}
	/* the peer reads again */
	c->acks_pending = 0;
	if (c->flags & H2CF_RX_THROTTLED) {
		c->flags &= (uint16_t)~H2CF_RX_THROTTLED;
		if (!(conn->flags & (LCF_RX_PAUSED | LCF_CLOSING)))
			loom__io(conn, LOOM_EV_START | LOOM_EV_READ);
	}
	loom__io(conn, LOOM_EV_STOP | LOOM_EV_WRITE);
	if (loom__check_drained(conn))
		return LOOM_HP_CLOSED;
	if (conn->flags & LCF_WANT_WRITABLE)
		return h2_perform_user_pollout(conn);

	return LOOM_HP_OK;
}

static int
h2_close_via_role_protocol(struct loom_conn *conn, enum loom_close_status status)
{
	struct loom_h2_conn *c = loom__h2c(conn);

	if (c && conn->fd >= 0 && !(c->flags & H2CF_GOAWAY_SENT)) {
		h2_goaway(conn, LOOM_H2_ERR_NO_ERROR, NULL);
		h2_cork_flush(conn->pt);
	}

	return 0;
}

static void
h2_close_role(struct loom_pt *pt, struct loom_conn *conn)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	struct loom_h2_pt *hp = pt->h2_pt;

	if (!c)
		return;
	if (hp && hp->cork_owner == conn) {
		hp->cork_owner = NULL;
		hp->cork_len = 0;
	}
	/* no more frames: the streams just go */
	c->flags |= H2CF_DEAD | H2CF_GOAWAY_SENT;
	if (c->cli)
		loom__h2_client_conn_closing(conn);
	while (c->streams.head) {
		struct loom_h2_stream *st = loom_container_of(c->streams.head,
						struct loom_h2_stream, list);

		loom__close_now(st->conn, LOOM_CLOSE_ABNORMAL, "h2 connection closed");
	}
}

/* each stream conn, for walks over every conn (loom_callback_on_writable_all_protocol) */
static void
h2_foreach_child(struct loom_conn *conn, void (*cb)(struct loom_conn *child, void *arg),
		 void *arg)
{
	struct loom_h2_conn *c = loom__h2c(conn);
	struct loom_dll2 *d, *next;

	if (!c)
		return;
	for (d = c->streams.head; d; d = next) {
		next = d->next;
		cb(loom_container_of(d, struct loom_h2_stream, list)->conn, arg);
	}
}

static void
h2_destroy_role(struct loom_conn *conn)
{
	struct loom_h2_conn *c = loom__h2c(conn);

	if (conn->flags & LCF_CONNECTING)
		loom__connect_destroy(conn);
	if (!c)
		return;
	h2_conn_free(conn->pt, c);
	conn->role_data = NULL;
}

const struct loom_role_ops loom_role_ops_h2 = {
	.name = "h2",
	.alpn = "h2",
	.init_vhost = h2_init_vhost,
	.destroy_vhost = h2_destroy_vhost,
	.handle_pollin = h2_handle_pollin,
	.handle_pollout = h2_handle_pollout,
	.perform_user_pollout = h2_perform_user_pollout,
	.close_via_role_protocol = h2_close_via_role_protocol,
	.close_role = h2_close_role,
	.destroy_role = h2_destroy_role,
	.destroy_pt = h2_destroy_pt,
	.foreach_child = h2_foreach_child,
	.adoption_cb = { 0, 0 },
	.close_cb = { 0, 0 },
	.counted = 1,
};

int
loom_conn_is_h2_stream(const struct loom_conn *conn)
{
#if defined(LOOM_WITH_WS)
	if (conn && conn->role == &loom_role_ops_ws_h2)
		return 1;	/* a WebSocket on an h2 stream */
#endif
	return conn && conn->role == &loom_role_ops_h2s;
}

unsigned int
loom_h2_stream_id(const struct loom_conn *conn)
{
	return loom_conn_is_h2_stream(conn) ? loom__h2s(conn)->sid : 0;
}

/*
 * h2c by prior knowledge (RFC 9113 3.3): a plain HTTP port whose first bytes are
 * the connection preface. 1 = not h2 (the h1 role goes on), 0 = the conn is h2
 * now, -1 = it failed (close it).
 */
int
loom__h2_prior_knowledge(struct loom_conn *conn, uint8_t *seen, const uint8_t *buf,
			 size_t len)
{
	const struct loom_h2_vh *v = loom__h2_vh(conn->vhost);
	size_t k = 0, s = *seen;

	if (conn->tls || (v->options & LOOM_H2_OPT_NO_PRIOR_KNOWLEDGE))
		return 1;
	/* the preface may come split at any byte: its first 14 bytes decide */
	while (k < len && s + k < LOOM_H2C_PREFACE_HEAD_LEN &&
	       buf[k] == (uint8_t)LOOM_H2_PREFACE[s + k])
		k++;
	if (s + k < LOOM_H2C_PREFACE_HEAD_LEN) {
		if (k < len)
			return 1;	/* not the preface */
		*seen = (uint8_t)(s + k);
		return 2;		/* all of it so far: wait for more */
	}

	return h2_server_take_at(conn, s, buf, len) ? -1 : 0;
}

/* base64url (or base64) without padding, as HTTP2-Settings carries it */
static int
h2_b64url_decode(const char *in, size_t len, uint8_t *out, size_t max)
{
	uint32_t acc = 0;
	size_t n, o = 0;
	int bits = 0, v;

	for (n = 0; n < len; n++) {
		char ch = in[n];

		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '-' || ch == '+')
			v = 62;
		else if (ch == '_' || ch == '/')
			v = 63;
		else if (ch == '=')
			break;
		else
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == max)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}

	return (int)o;
}

/* does the comma list \p list (len) hold the token \p tok (any case)? */
static int
h2_list_has(const char *list, size_t len, const char *tok)
{
	size_t tl = strlen(tok), n = 0;

	while (n < len) {
		size_t s, e;

		while (n < len && (list[n] == ' ' || list[n] == ','))
			n++;
		s = n;
		while (n < len && list[n] != ',')
			n++;
		e = n;
		while (e > s && list[e - 1] == ' ')
			e--;
		if (e - s == tl) {
			size_t i;

			for (i = 0; i < tl; i++)
				if ((list[s + i] | 0x20) != (tok[i] | 0x20))
					break;
			if (i == tl)
				return 1;
		}
	}

	return 0;
}

/*
 * "Upgrade: h2c" (RFC 7540 3.2) on a plain HTTP/1.1 request without a body: 101,
 * then the conn is h2 and the request is its stream 1, answered over h2. Returns
 * 1 when it is not an h2c upgrade we take (the request goes on as HTTP/1.1), 0
 * when the conn is h2 now, -1 to close.
 */
int
loom__h2_check_upgrade(struct loom_conn *conn)
{
	static const char sw[] = "HTTP/1.1 101 Switching Protocols\r\n"
				 "Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
	const struct loom_h2_vh *v = loom__h2_vh(conn->vhost);
	struct loom_h1 *h = conn->role_data;
	struct loom_h1_ah *ah = h->ah;
	struct loom_buflist *held;
	struct loom_h2_frame_hdr fh;
	struct loom_h2_conn *c;
	char up[64], hs[256];
	uint8_t set[192];
	int ul, hl, sl;

	if (conn->tls || conn->role != &loom_role_ops_h1 || (conn->flags & LCF_CLIENT) ||
	    (v->options & LOOM_H2_OPT_NO_H2C_UPGRADE) ||
	    ah->p.body_kind != LOOM_HTTP_BODY_NONE)
		return 1;
	ul = loom_hdr_copy(conn, up, sizeof(up), LOOM_HDR_UPGRADE);
	if (ul <= 0 || !h2_list_has(up, (size_t)ul, "h2c"))
		return 1;
	hl = loom_hdr_copy(conn, hs, sizeof(hs), LOOM_HDR_HTTP2_SETTINGS);
	if (hl < 0 || strchr(hs, ','))
		return 1;	/* exactly one HTTP2-Settings (3.2.1) */
	sl = h2_b64url_decode(hs, (size_t)hl, set, sizeof(set));
	if (sl < 0 || sl % 6)
		return 1;
	c = h2_conn_new(conn);
	if (!c)
		return -1;
	if (loom__issue_raw(conn, (const uint8_t *)sw, sizeof(sw) - 1) < 0) {
		h2_conn_free(conn->pt, c);
		return -1;
	}
	loom_clog_info(conn, "h2: upgraded from HTTP/1.1 (h2c)");

	/* the request and what came after it go to the new role */
	held = h->rx_pending;
	h->rx_pending = NULL;
	h->ah = NULL;
	conn->role->destroy_role(conn);
	conn->role = &loom_role_ops_h2;
	conn->role_data = c;
	c->in_pass++;
	h2_cork_begin(conn);
	h2_send_settings(conn);
	/* HTTP2-Settings is the peer's first SETTINGS (no ACK owed for it) */
	memset(&fh, 0, sizeof(fh));
	fh.type = LOOM_H2_F_SETTINGS;
	fh.len = (uint32_t)sl;
	if (sl)
		h2_on_settings(conn, c, LOOM_H2R_PAYLOAD, &fh, set, (size_t)sl);
	c->last_peer_sid = 1;
	loom__io(conn, LOOM_EV_START | LOOM_EV_READ);

	c->upgrade_ah = ah;	/* answered once the client's SETTINGS came */
	while (held && !(c->flags & H2CF_DEAD)) {
		uint8_t *p;
		size_t seg = loom_buflist_next_segment_len(&held, &p);

		h2_rx(conn, p, seg);
		loom_buflist_use_segment(&held, seg);
	}
	loom_buflist_destroy_all_segments(&held);
	h2_pass_end_x(conn, 0);

	return 0;
}
