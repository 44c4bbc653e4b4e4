/*
 * private-h2.h: the HTTP/2 role (RFC 9113) on top of the I/O-free codec
 * (private-h2-codec.h): the connection (frames, SETTINGS, flow control, limits)
 * in ops-h2.c, and each stream as a child conn with HTTP/1 semantics in stream.c.
 */
#ifndef LOOM_PRIVATE_H2_H
#define LOOM_PRIVATE_H2_H

#include "roles/h2/private-h2-codec.h"
#include "roles/http/private-http.h"

/* per service thread buffers (pt->h2_pt), made with the first h2 conn */
#define H2_CORK_SIZE		(32 * 1024)	/* output gathered during one pass */
#define H2_HSCRATCH		(16 * 1024)	/* HPACK strings while decoding */
#define H2_FIELDS		(16 * 1024)	/* request fields as h1 text */
#define H2_PSEUDO		(8 * 1024)	/* request pseudo-header values */
#define H2_OUT_HIGH		(256 * 1024)	/* held output that stops reading */
#define H2_LIST_MAX		(1024 * 1024)	/* header list limit we size buffers for */
/* streams we sent RST_STREAM on, remembered so the frames the peer sent before it
 * saw the reset are dropped quietly (RFC 9113 5.1, 5.4.2, 6.4): the last this many
 * (loom_h2_vhost_info.reset_memory) */
#define H2_RESET_MEMORY		32
#define H2_RESET_MEMORY_MAX	1024

struct loom_h2_pt {
	struct loom_conn *cork_owner;		/* whose output cork[] holds */
	size_t cork_len;
	uint8_t cork[H2_CORK_SIZE];
	/* HPACK strings and a head's fields as h1 text: the arrays below, or heap
	 * blocks once a conn's header list limit wants more
	 * (loom__h2_pt_reserve()) */
	uint8_t *hscratch;
	uint8_t *fields;
	size_t hscratch_len;
	size_t fields_len;
	uint8_t hscratch_in[H2_HSCRATCH];
	uint8_t fields_in[H2_FIELDS];
	uint8_t pseudo[H2_PSEUDO];
	struct loom_dll2_owner clients;		/* client h2 conns requests may join */
};

/* the vhost's h2 settings with defaults filled in */
struct loom_h2_vh {
	unsigned int options;
	uint32_t max_streams;
	uint32_t init_window;
	uint32_t max_frame;
	uint32_t max_header_list;
	uint32_t max_header_block;
	uint32_t hpack_table;
	uint32_t max_resets;
	uint32_t max_pending_acks;
	uint32_t stall_secs;
	uint32_t idle_secs;
	uint32_t reset_memory;
};

/* connection flags (struct loom_h2_conn.flags) */
#define H2CF_DEAD		(1u << 0)	/* GOAWAY for an error sent: stop */
#define H2CF_GOAWAY_SENT	(1u << 1)
#define H2CF_GOAWAY_RECV	(1u << 2)
#define H2CF_GOT_SETTINGS	(1u << 3)	/* the peer's first SETTINGS came */
#define H2CF_RX_THROTTLED	(1u << 4)	/* not reading: too much output held */
#define H2CF_HB_INPLACE		(1u << 5)	/* the header block was decoded in place */
#define H2CF_CLIENT		(1u << 6)
#define H2CF_LINGER		(1u << 7)	/* after GOAWAY: reading to discard */
#define H2CF_DATA_NO_STREAM	(1u << 8)	/* the DATA being read is for no stream */
#define H2CF_SETTINGS_IN	(1u << 9)	/* the peer's first SETTINGS were applied */
#define H2CF_PEER_EXT_CONNECT	(1u << 10)	/* it allows the extended CONNECT */

/* the HTTP/2 connection: the parent conn's role_data */
struct loom_h2_conn {
	struct loom_h2_reader rd;
	struct loom_hpack_dec dec;
	struct loom_hpack_enc enc;
	const struct loom_h2_vh *cfg;
	struct loom_dll2_owner streams;		/* child stream conns (struct loom_h2_stream) */
	struct loom_dll2_owner reap;		/* streams done, to be closed after the pass */
	struct loom_conn *cur_data;		/* stream of the DATA frame being read */
	struct loom_h1_ah *upgrade_ah;		/* h2c upgrade: stream 1's request */
	uint8_t *hblock;			/* header block being accumulated */
	uint32_t hblock_len, hblock_alloc, hblock_cost;
	uint32_t hb_sid;			/* stream of the open header block */
	uint32_t hb_err;			/* stream error to send after decoding it */
	uint8_t hb_flags;			/* its HEADERS frame's flags */
	uint8_t preface;			/* preface bytes matched (server) */
	uint16_t flags;				/* H2CF_* */
	uint32_t last_peer_sid;			/* highest stream id the peer opened */
	uint32_t next_sid;			/* client: our next stream id */
	int64_t tx_window;			/* the peer's credit for our DATA */
	int64_t rx_window;			/* what we still let the peer send */
	uint32_t rx_consumed;			/* taken in, not yet given back */
	uint32_t peer_init_window;		/* SETTINGS_INITIAL_WINDOW_SIZE, theirs */
	uint32_t peer_max_frame;
	uint32_t peer_max_streams;
	uint32_t peer_max_hlist;		/* its MAX_HEADER_LIST_SIZE; 0: none */
	uint32_t resets;			/* in this reset window */
	loom_usec_t reset_window_start;
	uint32_t acks_pending;			/* ACKs written while output was held */
	uint32_t *reset_sids;			/* ring: streams we reset lately */
	uint32_t reset_max;			/* its slots (cfg->reset_memory) */
	uint32_t reset_next;			/* the ring's next slot */
	uint32_t in_pass;			/* inside our pollin / pollout */
	struct loom_dll2 *rr;			/* round robin: where the next pass starts */
	struct loom_h2_client *cli;		/* client side: client-h2.c's state */
	uint8_t dec_table[LOOM_HPACK_DEFAULT_TABLE_SIZE];
	uint8_t enc_table[LOOM_HPACK_DEFAULT_TABLE_SIZE];
};

/* stream flags (struct loom_h2_stream.sflags) */
#define H2SF_REMOTE_ENDED	(1u << 0)	/* END_STREAM came (half-closed remote) */
#define H2SF_LOCAL_ENDED	(1u << 1)	/* we sent END_STREAM */
#define H2SF_HEADERS_SENT	(1u << 2)
#define H2SF_FINAL_PENDING	(1u << 3)	/* END_STREAM waits behind tx_pending */
#define H2SF_RESET		(1u << 4)	/* RST_STREAM went either way */
#define H2SF_DONE		(1u << 5)	/* on the reap list */
#define H2SF_HAVE_CL		(1u << 6)	/* the request declared content-length */
#define H2SF_END_HELD		(1u << 7)	/* END_STREAM came behind held DATA */

/*
 * A stream's role_data. It starts with the h1 state, so the HTTP code (dispatch,
 * mounts, static files, response API) sees the stream as an h1 conn with one
 * request; only the framing of the response differs.
 */
struct loom_h2_stream {
	struct loom_h1 h1;			/* first */
	struct loom_dll2 list;			/* on the parent's streams */
	struct loom_dll2 reap_list;
	struct loom_conn *conn;			/* the stream conn itself */
	struct loom_conn *parent;
	struct loom_buflist *tx_pending;	/* DATA held by flow control */
	struct loom_buflist *rx_held;		/* DATA come while the user paused rx */
	uint64_t cl;				/* declared content-length */
	uint64_t rx_total;			/* DATA bytes the peer sent */
	uint32_t sid;
	int32_t tx_window;			/* the peer's credit on this stream */
	int32_t rx_window;
	uint32_t rx_consumed;
	uint8_t sflags;				/* H2SF_* */
};

extern const struct loom_role_ops loom_role_ops_h2;
extern const struct loom_role_ops loom_role_ops_h2s;

#define loom__h2c(conn) ((struct loom_h2_conn *)(conn)->role_data)

#if defined(LOOM_WITH_WS)
/* ws over h2 (RFC 8441): the stream conn's role_data is its struct loom_ws, which
 * points to the stream (lib/roles/ws/ws-h2.c) */
extern const struct loom_role_ops loom_role_ops_ws_h2;
struct loom_h2_stream *
loom__ws_h2_stream(const struct loom_conn *conn);
#endif

/* a stream conn's h2 state, whichever role rides on the stream */
static inline struct loom_h2_stream *
loom__h2s(const struct loom_conn *conn)
{
#if defined(LOOM_WITH_WS)
	if (conn->role == &loom_role_ops_ws_h2)
		return loom__ws_h2_stream(conn);
#endif
	return (struct loom_h2_stream *)conn->role_data;
}

/* ops-h2.c */
struct loom_h2_pt *
loom__h2_pt(struct loom_pt *pt);
int
loom__h2_pt_reserve(struct loom_pt *pt, uint32_t header_list);
const struct loom_h2_vh *
loom__h2_vh(const struct loom_vhost *vh);
int
loom__h2_out(struct loom_conn *conn, const uint8_t *buf, size_t len);
/* stream.c: header blocks of any size, in HEADERS + CONTINUATION frames */
uint8_t *
loom__h2_block_room(const char *t, size_t len, unsigned int extra_fields, uint8_t *sb,
		    size_t sbl, size_t *room);
int
loom__h2_headers_frames_out(struct loom_conn *parent, uint8_t *f, size_t blen,
			    uint32_t sid, int end_stream);
int
loom__h2_conn_error(struct loom_conn *conn, uint32_t code, const char *why);
void
loom__h2_send_rst(struct loom_conn *conn, uint32_t sid, uint32_t code);
/* was \p sid one of the last reset_memory streams we sent RST_STREAM on */
int
loom__h2_we_reset(const struct loom_h2_conn *c, uint32_t sid);
void
loom__h2_send_window_update(struct loom_conn *conn, uint32_t sid, uint32_t incr);
int
loom__h2_count_reset(struct loom_conn *conn);
void
loom__h2_stream_gone(struct loom_conn *parent, struct loom_h2_stream *st);
struct loom_conn *
loom__h2_find_stream(struct loom_h2_conn *c, uint32_t sid);
void
loom__h2_want_pass(struct loom_conn *parent);

/* is \p sid a stream neither side has opened yet (RFC 9113 5.1 "idle")? */
int
loom__h2_sid_idle(const struct loom_h2_conn *c, uint32_t sid);
/* the SETTINGS entries we send, at most LOOM_H2_OUR_SETTINGS; returns the count */
#define LOOM_H2_OUR_SETTINGS	6
int
loom__h2_our_settings(const struct loom_vhost *vh, int client, uint16_t *ids,
		      uint32_t *vals);
/* client: bytes read for the connection before it was h2 (after a 101) */
int
loom__h2_client_feed(struct loom_conn *conn, const uint8_t *buf, size_t len);
/* client: make \p conn (role h2, owning the socket) speak h2: preface, SETTINGS */
int
loom__h2_client_conn_init(struct loom_conn *conn);

/* client-h2.c: the client side's hooks in the connection */
void
loom__h2_client_start_pending(struct loom_conn *conn);
int
loom__h2_client_goaway(struct loom_conn *conn, int ev, const uint8_t *p, size_t len);
void
loom__h2_client_conn_closing(struct loom_conn *conn);
void
loom__h2_client_refused(struct loom_conn *s, const char *why);
int
loom__h2_client_headers_block(struct loom_conn *conn, uint32_t sid,
			      const uint8_t *blk, size_t len, uint8_t flags, uint32_t err);
int
loom__h2_client_headers_out(struct loom_conn *s, int end_stream);
int
loom__h2_client_deliver(struct loom_conn *s, const uint8_t *buf, size_t len);
int
loom__h2_client_remote_end(struct loom_conn *s);
void
loom__h2_client_request_done(struct loom_conn *s);
void
loom__h2_client_wait_response(struct loom_conn *s);
void
loom__h2_client_stream_gone(struct loom_conn *s);

/* stream.c */
/*
 * loom__h2_field_as_h1() - append "name: value\r\n" to \p fields (\p cap bytes,
 * \p flen used), the h1 text of a header block the h1 parser then reads.
 * Returns 0, or -1 (nothing written) when the line would not fit.
 */
int
loom__h2_field_as_h1(uint8_t *fields, size_t cap, size_t *flen, const char *name,
		     size_t nl, const char *value, size_t vl);
int
loom__h2_headers_block(struct loom_conn *conn, uint32_t sid, const uint8_t *blk,
		       size_t len, uint8_t flags, uint32_t err);
int
loom__h2s_data(struct loom_conn *s, const uint8_t *buf, size_t len);
int
loom__h2s_remote_end(struct loom_conn *s);
void
loom__h2s_rx_resume(struct loom_conn *s);
void
loom__h2s_window_update(struct loom_conn *s);
int
loom__h2s_send_pending(struct loom_conn *s);
int
loom__h2s_user_pollout(struct loom_conn *s);
void
loom__h2s_peer_reset(struct loom_conn *s);
int
loom__h2s_credit(struct loom_conn *s);
struct loom_conn *
loom__h2_upgrade_stream(struct loom_conn *conn, struct loom_h1_ah *ah);
int
loom__h2s_data_out(struct loom_conn *s, const uint8_t *buf, size_t len, int final);
int
loom__h2_ext_connect_on(const struct loom_vhost *vh);
void
loom__h2s_close_role(struct loom_pt *pt, struct loom_conn *s);
void
loom__h2s_destroy(struct loom_conn *s, struct loom_h2_stream *st);

#if defined(LOOM_WITH_WS)
/* ws-h2.c: an extended CONNECT for "websocket" on stream \p s (its request in
 * the h1 state); the conn becomes ws over h2 or is answered with an error */
int
loom__ws_h2_upgrade(struct loom_conn *s);
/* DATA for the ws: nonzero when the stream conn is gone */
int
loom__ws_h2_rx(struct loom_conn *s, const uint8_t *buf, size_t len);
/* the peer sent END_STREAM */
int
loom__ws_h2_remote_end(struct loom_conn *s);
/* client: the response head to our extended CONNECT (parsed in the stream's h1
 * state): the stream becomes a ws, or the conn fails */
int
loom__ws_h2_client_head(struct loom_conn *s, int end_stream);
#endif
void
loom__h2s_finish(struct loom_conn *s);
void
loom__h2s_reset(struct loom_conn *s, uint32_t code, const char *why);

#endif
