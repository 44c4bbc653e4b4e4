/*
 * private-ws.h: what the WebSocket role's files share: the I/O-free frame parser
 * and encoder (frame.c), the UTF-8 validator (utf8.c), SHA-1 and base64 for the
 * handshake (sha1.c), permessage-deflate (deflate.c), and the per-connection state.
 */
#ifndef LOOM_PRIVATE_WS_H
#define LOOM_PRIVATE_WS_H

#include <stddef.h>
#include <stdint.h>

#include <loom.h>

/* opcodes (RFC 6455 5.2) */
#define LOOM_WSOP_CONT		0x0
#define LOOM_WSOP_TEXT		0x1
#define LOOM_WSOP_BINARY	0x2
#define LOOM_WSOP_CLOSE		0x8
#define LOOM_WSOP_PING		0x9
#define LOOM_WSOP_PONG		0xa

#define LOOM_WS_MAX_HDR		14	/* 2 + 8 length + 4 mask */
#define LOOM_WS_MAX_CTL		125	/* control frame payload */

/* ---- incremental UTF-8 validation (utf8.c) ---- */
struct loom_utf8 {
	uint8_t need;		/* continuation bytes still expected */
	uint8_t lo, hi;		/* bounds of the next continuation byte */
};

/* 0, or -1 when the bytes so far cannot be UTF-8; complete when u->need == 0 */
int
loom__utf8_feed(struct loom_utf8 *u, const uint8_t *p, size_t len);

/* ---- frame parser (frame.c): bytes in, events or a close code out ---- */
enum {
	LOOM_WS_EV_DATA = 1,	/* a piece of a text/binary message */
	LOOM_WS_EV_PING,
	LOOM_WS_EV_PONG,
	LOOM_WS_EV_CLOSE
};

struct loom_ws_event {
	const uint8_t *data;	/* unmasked payload (points into the input) */
	size_t len;
	uint64_t frame_remaining; /* payload bytes of this frame still to come */
	uint16_t close_code;	/* CLOSE: the code, 1005 when none */
	uint8_t type;		/* LOOM_WS_EV_* */
	uint8_t opcode;		/* DATA: the message's opcode, TEXT or BINARY */
	uint8_t msg_first;	/* DATA: the first piece of the message */
	uint8_t frame_end;	/* DATA: this piece ends its frame */
	uint8_t msg_end;	/* DATA: this piece ends the message */
	uint8_t compressed;	/* DATA: the message is compressed (RSV1) */
};

struct loom_ws_parser {
	uint64_t remaining;	/* payload bytes of this frame still to come */
	uint64_t msg_len;	/* payload bytes of the message so far */
	uint64_t max_msg;	/* 0 = no limit (uncompressed messages only) */
	uint64_t max_frame;	/* 0 = no limit */
	struct loom_utf8 utf8;
	uint8_t hdr[LOOM_WS_MAX_HDR];
	uint8_t hdr_have, hdr_need;
	uint8_t state;
	uint8_t opcode;		/* this frame's */
	uint8_t msg_opcode;	/* the message in progress: TEXT / BINARY, 0 = none */
	uint8_t fin, rsv1, masked;
	uint8_t mask[4];
	uint8_t mask_ofs;
	uint8_t server;		/* we are the server: frames must be masked */
	uint8_t allow_rsv1;	/* permessage-deflate was negotiated */
	uint8_t msg_compressed;
	uint8_t msg_first;
	uint8_t ctl_len;
	uint16_t error;		/* the close code once in error */
	uint16_t pending_err;	/* found in the first bytes, given with the header */
	/* last: only control frames use it, so a data frame's parse touches the
	 * members above, a cache line or two, and not these 125 bytes */
	uint8_t ctl[LOOM_WS_MAX_CTL];
};

/*
 * After an error, p->remaining says how many bytes to skip to reach the next frame
 * (UINT64_MAX when the bad header left that unknown): the role uses it to find the
 * peer's answering close frame before it closes the TCP connection.
 */
/* parser results: events are positive, errors are negative close codes */
#define LOOM_WS_P_MORE	0	/* consumed everything, no event */
#define LOOM_WS_P_EVENT	1	/* *ev is filled; *used bytes consumed */

void
loom__ws_parser_init(struct loom_ws_parser *p, int server, uint64_t max_msg,
		     uint64_t max_frame);
/*
 * loom__ws_parse() - feed \p len bytes (unmasked in place). Returns LOOM_WS_P_MORE
 * with *used == len, LOOM_WS_P_EVENT with *used <= len (call again with the rest),
 * or -1002 (protocol), -1007 (bad UTF-8), -1009 (too big). After an error it
 * returns the same error. Any split of the input gives the same events (the data
 * of a DATA event may come in more pieces).
 */
int
loom__ws_parse(struct loom_ws_parser *p, uint8_t *in, size_t len, size_t *used,
	       struct loom_ws_event *ev);

/* the header for a frame into \p h (LOOM_WS_MAX_HDR bytes); returns its length */
size_t
loom__ws_frame_header(uint8_t *h, unsigned int opcode, int fin, int rsv1,
		      uint64_t len, const uint8_t *mask);
/* XOR \p len bytes with the mask, starting at mask byte \p ofs & 3 */
void
loom__ws_mask(uint8_t *p, size_t len, const uint8_t mask[4], size_t ofs);
/* a close code a peer may send (RFC 6455 7.4) */
int
loom__ws_close_code_valid(unsigned int code);

/* ---- handshake helpers (sha1.c) ---- */
void
loom__ws_sha1(const uint8_t *in, size_t len, uint8_t out[20]);
/* base64 of \p len bytes into \p out (4 * ceil(len / 3) + 1 bytes, NUL-ended) */
size_t
loom__ws_b64_encode(const uint8_t *in, size_t len, char *out);
/* decode; returns the byte count or -1 on bad input or no room */
int
loom__ws_b64_decode(const char *in, size_t len, uint8_t *out, size_t out_len);
/* Sec-WebSocket-Accept (29 bytes with the NUL) for a key as sent */
void
loom__ws_accept_for_key(const char *key, size_t key_len, char out[29]);

/* ---- permessage-deflate (deflate.c, with zlib) ---- */
struct loom_ws_pmd_params {
	uint8_t server_no_takeover;
	uint8_t client_no_takeover;
	uint8_t server_max_wbits;	/* 8..15, 15 when not given */
	uint8_t client_max_wbits;
};

struct loom_ws_pmd;

/* parse one extension offer or answer; 0 = usable, -1 = not */
int
loom__ws_pmd_parse(const char *s, size_t len, int is_answer,
		   struct loom_ws_pmd_params *pp, int *client_wbits_offered);
/* server: choose from the client's Sec-WebSocket-Extensions; writes the answer
 * into \p out (0 when none accepted) and fills \p pp */
size_t
loom__ws_pmd_negotiate(const char *hdr, size_t len, char *out, size_t out_len,
		       struct loom_ws_pmd_params *pp);
struct loom_ws_pmd *
loom__ws_pmd_create(const struct loom_ws_pmd_params *pp, int server);
void
loom__ws_pmd_destroy(struct loom_ws_pmd *pmd);
/*
 * Inflate a piece of a compressed message (\p end: its last piece). Output goes to
 * \p cb in pieces; more than \p max_out bytes of message in all is -1009, a bad
 * stream -1007 (reported by callers as 1007? no: 1002 for bad deflate data).
 */
int
loom__ws_pmd_inflate(struct loom_ws_pmd *pmd, const uint8_t *in, size_t len, int end,
		     uint64_t max_out,
		     int (*cb)(void *user, const uint8_t *out, size_t olen, int last),
		     void *user);
/* deflate a message piece; returns the bytes at *out (owned by pmd) or < 0 */
int
loom__ws_pmd_deflate(struct loom_ws_pmd *pmd, const uint8_t *in, size_t len, int end,
		     uint8_t **out, size_t *olen, size_t headroom);
int
loom__ws_pmd_available(void);

/* ---- the role (ops-ws.c, client-ws.c) ---- */
struct loom_conn;
struct loom_pt;
struct loom_ws_client;
struct loom_h2_stream;

/* per-vhost settings with the defaults filled in */
struct loom_ws_vh {
	uint64_t max_msg;
	uint64_t max_frame;	/* 0: no limit of its own, the conn's message limit */
	char *origin;
	char *def_protocol;
	unsigned int ping_secs, pong_secs, close_secs, options;
};

enum {
	WSS_CLIENT_HANDSHAKE,	/* client: request sent, waiting for the 101 */
	WSS_OPEN,
	WSS_CLOSE_SENT,		/* our close went; waiting for the peer's */
	WSS_CLOSED,		/* the close exchange is over: flush and go */
	WSS_FAILED		/* we failed the connection with a close code */
};

struct loom_ws {
	/*
	 * What each message reads or writes comes first, then the parser (its
	 * hot members first): at 1000 busy conns every cache line a message
	 * touches is a likely miss, so they are kept to two or three.
	 */
	struct loom_conn *conn;
	struct loom_ws_pmd *pmd;
	uint64_t ev_remaining;
	uint8_t ev_binary, ev_first, ev_final;
	uint8_t state;				/* WSS_* */
	uint8_t tx_in_msg, tx_compress;
	uint8_t ping_out;			/* a ping waits for its pong */
	uint8_t replay;				/* rx_pending waits to be parsed */
	uint8_t rx_compressed_text;
	uint8_t close_reason_len, peer_reason_len;
	uint8_t rnd_used;
	uint16_t close_code, peer_code;
	struct loom_ws_parser p;
	struct loom_buflist *rx_pending;	/* bytes that came with the handshake */
	struct loom_ws_client *cli;		/* client handshake, until it is done */
	struct loom_h2_stream *h2s;		/* ws over h2 (RFC 8441): the stream */
	struct loom_sul sul_ping;
	struct loom_utf8 rx_utf8;		/* inflated text of the message */
	uint64_t skip;				/* after a failure: bytes to the next frame */
	uint64_t max_msg;
	/* the close reasons (up to 123 bytes), allocated only when there is one */
	char *close_reason;
	char *peer_reason;
	uint8_t rnd[];				/* client only: LOOM_WS_RND random
						 * bytes for masks; a server's ws
						 * is allocated without them */
};

#define LOOM_WS_RND	64

extern const struct loom_role_ops loom_role_ops_ws;
#if defined(LOOM_WITH_H2)
extern const struct loom_role_ops loom_role_ops_ws_h2;	/* ws-h2.c */
#endif

const struct loom_ws_vh *
loom__ws_vh(const struct loom_vhost *vh);
struct loom_ws *
loom__ws_create(struct loom_conn *conn, int server, uint64_t max_msg);
int
loom__ws_rx(struct loom_conn *conn, uint8_t *buf, size_t len);
void
loom__ws_mask_key(struct loom_ws *ws, uint8_t mask[4]);
int
loom__ws_send_ctl(struct loom_conn *conn, unsigned int op, const uint8_t *pl,
		  size_t len);
void
loom__ws_opened(struct loom_conn *conn);

/* a comma-separated header value holds \p tok (case-insensitive) */
int
loom__ws_list_has(const char *v, size_t vl, const char *tok);

/* client side: what the server's 101 agreed to (client-101.c) */
#define LOOM_WS_PROTOCOL_NAME_MAX	64	/* a chosen subprotocol, NUL included */

struct loom_ws_101 {
	const char *protocol;		/* the chosen subprotocol (in the parser's
					 * buffer, not NUL-ended), or NULL */
	size_t protocol_len;
	struct loom_ws_pmd_params pmd;	/* when has_pmd */
	uint8_t has_pmd;		/* permessage-deflate was agreed */
};

struct loom_http_parser;

/*
 * loom__ws_client_check_101() - is the parsed response head \p p the 101 a client
 * asked for: \p accept the 28 characters of Sec-WebSocket-Accept its key implies,
 * \p offered_protocols what it sent in Sec-WebSocket-Protocol (NULL: none),
 * \p offered_pmd whether it offered permessage-deflate, \p need_protocol whether
 * the server must choose a subprotocol. Returns NULL with \p out filled, or why
 * not (a static string). No I/O, no allocation.
 */
const char *
loom__ws_client_check_101(const struct loom_http_parser *p, const char *accept,
			  const char *offered_protocols, int offered_pmd,
			  int need_protocol, struct loom_ws_101 *out);

/* server side (handshake.c): the h1 conn asks for "Upgrade: websocket" */
int
loom__ws_server_upgrade(struct loom_conn *conn);
/* shared with ws over h2 (ws-h2.c): an HTTP refusal of the handshake, the
 * subprotocol choice, and a request header's value */
int
loom__ws_refuse(struct loom_conn *conn, unsigned int status, const char *why);
struct loom_h1_ah;
const struct loom_protocol *
loom__ws_choose_protocol(struct loom_conn *conn, const struct loom_h1_ah *ah, int *named);
const char *
loom__ws_hdr_val(const struct loom_h1_ah *ah, int token, unsigned int n, size_t *len);
/* the server's answer to an opening handshake, h1 upgrade or h2 CONNECT alike */
struct loom_ws_accept {
	struct loom_ws *ws;			/* made: the caller owns it */
	const struct loom_protocol *p;		/* the protocol the conn is bound to */
	int named;				/* p was asked for by name: echo it */
	char ext[128];				/* Sec-WebSocket-Extensions to answer */
};

#define LOOM__WS_VERSION_WHY	"Sec-WebSocket-Version must be 13"

/* one Sec-WebSocket-Version and it is 13 (RFC 6455 4.2.1, RFC 8441 5) */
int
loom__ws_version_ok(const struct loom_h1_ah *ah);
/*
 * loom__ws_server_accept() - the checks and choices both opening handshakes share,
 * after the version: the vhost's origin, the subprotocol (bound to \p conn, then
 * LOOM_CB_FILTER_PROTOCOL_CONNECTION), permessage-deflate; then the server ws with
 * its deflate context. a->ws is the new ws on success; when a->ws is NULL the caller
 * returns the result as is (0: a refusal was answered, -1: out of memory).
 */
int
loom__ws_server_accept(struct loom_conn *conn, const struct loom_h1_ah *ah,
		       struct loom_ws_accept *a);

/* client side (client-ws.c) */
int
loom__ws_client_bind(struct loom_conn *conn, const struct loom_client_connect_info *i);
int
loom__ws_client_start(struct loom_conn *conn);
/* response bytes; *used what the handshake took; < 0 fails (reason logged) */
int
loom__ws_client_rx(struct loom_conn *conn, const uint8_t *buf, size_t len,
		   size_t *used);
void
loom__ws_client_free(struct loom_ws *ws);

#endif
