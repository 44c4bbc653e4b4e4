/*
 * ws.h: the WebSocket role (RFC 6455, permessage-deflate RFC 7692): vhost limits,
 * what a callback may ask about the message it is given, and the close handshake.
 * Messages are written with loom_write() and LOOM_WRITE_TEXT / _BINARY /
 * _CONTINUATION, OR LOOM_WRITE_NO_FIN for all but the last fragment.
 */
#ifndef LOOM_WS_H
#define LOOM_WS_H

struct loom_conn;

/** \defgroup ws WebSocket
 * @{ */

/** struct loom_ws_vhost_info options */
#define LOOM_WS_OPT_NO_DEFLATE	(1u << 0) /**< never accept permessage-deflate */

/**
 * struct loom_ws_vhost_info - WebSocket settings of a vhost (loom_vhost_info.ws);
 * zero it first: 0 in a member means its default.
 */
struct loom_ws_vhost_info {
	unsigned int options;		/**< LOOM_WS_OPT_* */
	/** largest message (after inflating); past it the peer gets 1009. 0 = 1 MiB */
	uint64_t max_message;
	/** largest single frame; past it 1009. 0 = max_message */
	uint64_t max_frame;
	/** if set, the Origin a browser must send (exact match), else 403 */
	const char *allowed_origin;
	/** a ping after this many idle seconds; 0 = none */
	unsigned int ping_interval_secs;
	/** close when the pong does not come within this; 0 = 10 */
	unsigned int pong_timeout_secs;
	/** wait this long for the peer's close frame after ours; 0 = 5 */
	unsigned int close_timeout_secs;
	/** the protocol for a handshake that names none of ours; NULL = the
	 * connection's (the vhost's accept protocol or a callback mount's) */
	const char *default_protocol;
};

/** loom_ws_frame_is_binary() - in RECEIVE: the message is binary (else text) */
int
loom_ws_frame_is_binary(const struct loom_conn *conn);

/** loom_ws_is_first_fragment() - in RECEIVE: the data starts a message */
int
loom_ws_is_first_fragment(const struct loom_conn *conn);

/** loom_ws_is_final_fragment() - in RECEIVE: the data ends the message */
int
loom_ws_is_final_fragment(const struct loom_conn *conn);

/** loom_ws_remaining_packet_payload() - in RECEIVE: bytes of the current frame
 * still to come after this piece (0 for a decompressed message's pieces) */
size_t
loom_ws_remaining_packet_payload(const struct loom_conn *conn);

/**
 * loom_ws_close_reason() - the code and reason our close frame will carry when
 * the connection is closed by loom_close() or a nonzero callback return. \p code
 * must be one a peer may receive (1000-1003, 1007-1014, 3000-4999); \p reason at
 * most 123 bytes of UTF-8 (may be NULL). Returns 0, LOOM_EINVAL, or LOOM_ENOMEM
 * when there is a reason and no memory to keep it.
 */
int
loom_ws_close_reason(struct loom_conn *conn, unsigned int code, const char *reason,
		     size_t len);

/**
 * loom_ws_peer_close_code() - the code of the close frame the peer sent: 1005
 * when it had none, 1006 when no close frame came (the TCP connection ended).
 * Valid until the CLOSED callback returns. \p reason / \p len (may be NULL) get
 * its reason text (not NUL-terminated).
 */
unsigned int
loom_ws_peer_close_code(const struct loom_conn *conn, const char **reason,
			size_t *len);

/** loom_ws_send_ping() - send a ping with up to 125 bytes; the pong comes as
 * LOOM_CB_RECEIVE_PONG. Returns 0 or a negative LOOM_E* */
int
loom_ws_send_ping(struct loom_conn *conn, const void *payload, size_t len);

/** loom_ws_deflate_active() - nonzero when permessage-deflate was negotiated */
int
loom_ws_deflate_active(const struct loom_conn *conn);

/** loom_ws_deflate_available() - nonzero when this build has permessage-deflate */
int
loom_ws_deflate_available(void);

/**
 * loom_ws_client_add_header() - from LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER on a
 * WebSocket client: one more request header. Returns 0 or LOOM_EINVAL/_ELIMIT.
 */
int
loom_ws_client_add_header(struct loom_conn *conn, const char *name, const char *value);

/*
 * Broadcasting: loom_callback_on_writable_all_protocol(vhost, protocol) asks for a
 * WRITEABLE callback on every connection of a protocol; each then writes its own
 * copy (see minimal-examples/ws-server and loom-test-server's loom-mirror).
 */
/** @} */

#endif
