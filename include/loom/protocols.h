/*
 * protocols.h: what an application plugs into Loom: a protocol (name + callback +
 * per-connection data size) and the callback reasons it receives.
 */
#ifndef LOOM_PROTOCOLS_H
#define LOOM_PROTOCOLS_H

struct loom_conn;

/** \defgroup protocols Protocols and callbacks
 * @{ */

/**
 * enum loom_callback_reason - why the protocol callback is being called
 *
 * Every role delivers its own set; the raw roles use the LOOM_CB_RAW_* reasons. A
 * connection that got an "adopt" or "connected" reason gets its close reason exactly
 * once. A client connection that never connected gets LOOM_CB_CLIENT_CONNECTION_ERROR
 * exactly once instead, and no close reason.
 */
enum loom_callback_reason {
	/** once per protocol per vhost, after the vhost is created; \p conn is NULL and
	 * \p in is the struct loom_vhost *. Nonzero fails loom_create_vhost(). */
	LOOM_CB_PROTOCOL_INIT = 1,
	/** once per protocol per vhost, when the vhost is destroyed; \p in is the vhost */
	LOOM_CB_PROTOCOL_DESTROY,
	/** a client connection failed before it connected; \p in is a reason string */
	LOOM_CB_CLIENT_CONNECTION_ERROR,
	/** on every protocol of every vhost, on the woken service thread, after
	 * loom_cancel_service(); \p conn is NULL and \p in is the vhost */
	LOOM_CB_EVENT_WAIT_CANCELLED,

	/** a raw socket was accepted or adopted (server side) */
	LOOM_CB_RAW_ADOPT = 20,
	/** a raw client socket connected */
	LOOM_CB_RAW_CONNECTED,
	/** raw socket data arrived: \p in, \p len. For UDP one whole datagram; one
	 * larger than the context's pt_serv_buf_size is dropped with a warning. */
	LOOM_CB_RAW_RX,
	/** the raw socket can take one loom_write() */
	LOOM_CB_RAW_WRITEABLE,
	/** the raw socket is closed (once) */
	LOOM_CB_RAW_CLOSE,

	/** a file descriptor was adopted as raw-file */
	LOOM_CB_RAW_ADOPT_FILE = 30,
	/** data was read from the fd: \p in, \p len (end of file closes the conn) */
	LOOM_CB_RAW_RX_FILE,
	/** the fd can take one loom_write() */
	LOOM_CB_RAW_WRITEABLE_FILE,
	/** the fd conn is closed (once); Loom closes the fd unless told not to */
	LOOM_CB_RAW_CLOSE_FILE,

	/** HTTP server: a request head arrived; \p in is the decoded, normalized
	 * path (NUL-terminated), \p len its length. Respond (loom_http_respond() ...),
	 * or wait for the body, or return nonzero to close. */
	LOOM_CB_HTTP = 40,
	/** HTTP server: a piece of the request body (chunked coding removed) */
	LOOM_CB_HTTP_BODY,
	/** HTTP server: the request body is complete */
	LOOM_CB_HTTP_BODY_COMPLETION,
	/** HTTP server: the connection can take the next loom_http_write_body() */
	LOOM_CB_HTTP_WRITEABLE,
	/** HTTP server: the response is complete; the next request may follow */
	LOOM_CB_HTTP_TRANSACTION_DONE,
	/** HTTP server: the connection is closed (once) */
	LOOM_CB_CLOSED_HTTP,

	/** HTTP client: add request headers: \p in is a char ** cursor, \p len the
	 * room left; use loom_http_client_add_header() */
	LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER = 60,
	/** HTTP client: the response head arrived (loom_http_status(), headers) */
	LOOM_CB_ESTABLISHED_CLIENT_HTTP,
	/** HTTP client: a piece of the response body */
	LOOM_CB_RECEIVE_CLIENT_HTTP,
	/** HTTP client: the response body is complete */
	LOOM_CB_COMPLETED_CLIENT_HTTP,
	/** HTTP client: the request body can take the next write */
	LOOM_CB_CLIENT_HTTP_WRITEABLE,
	/** HTTP client: the connection is closed (once, after it connected) */
	LOOM_CB_CLOSED_CLIENT_HTTP,

	/** MQTT client: CONNACK accepted the connection; \p in is NULL, \p len is
	 * 1 when the server kept our session (session present) */
	LOOM_CB_MQTT_CLIENT_ESTABLISHED = 200,
	/** MQTT client: a PUBLISH arrived; \p in is a struct loom_mqtt_message * */
	LOOM_CB_MQTT_CLIENT_RX,
	/** MQTT client: SUBACK; \p in is a struct loom_mqtt_ack * */
	LOOM_CB_MQTT_SUBSCRIBED,
	/** MQTT client: UNSUBACK; \p in is a struct loom_mqtt_ack * */
	LOOM_CB_MQTT_UNSUBSCRIBED,
	/** MQTT client: a QoS 1 PUBACK or QoS 2 PUBCOMP (or a refusing PUBREC) for
	 * one of our publishes; \p in is a struct loom_mqtt_ack * */
	LOOM_CB_MQTT_ACK,
	/** MQTT client: loom_callback_on_writable() was asked; publish from here */
	LOOM_CB_MQTT_CLIENT_WRITEABLE,
	/** MQTT client: the connection is closed (once, after ESTABLISHED) */
	LOOM_CB_MQTT_CLIENT_CLOSED,
	/** MQTT 5 client: the server sent DISCONNECT; \p in is a struct loom_mqtt_ack *
	 * with its reason code (and reason string); the close follows */
	LOOM_CB_MQTT_SERVER_DISCONNECT,

	/** WebSocket server: the handshake is done (\p in NULL); write from
	 * LOOM_CB_SERVER_WRITEABLE */
	LOOM_CB_ESTABLISHED = 80,
	/** WebSocket server: a piece of a message, \p in / \p len (see
	 * loom_ws_is_final_fragment(), loom_ws_frame_is_binary()) */
	LOOM_CB_RECEIVE,
	/** WebSocket server: the connection can take one loom_write() */
	LOOM_CB_SERVER_WRITEABLE,
	/** WebSocket server: the connection is closed (once) */
	LOOM_CB_CLOSED,
	/** WebSocket client: the server accepted the handshake */
	LOOM_CB_CLIENT_ESTABLISHED,
	/** WebSocket client: a piece of a message, as LOOM_CB_RECEIVE */
	LOOM_CB_CLIENT_RECEIVE,
	/** WebSocket client: the connection can take one loom_write() */
	LOOM_CB_CLIENT_WRITEABLE,
	/** WebSocket client: the connection is closed (once, after it was
	 * established; before that LOOM_CB_CLIENT_CONNECTION_ERROR) */
	LOOM_CB_CLIENT_CLOSED,
	/** WebSocket, both sides: the peer sent a close frame; \p in / \p len is
	 * its payload (2-byte code, then the reason). Loom answers it. */
	LOOM_CB_WS_PEER_INITIATED_CLOSE,
	/** WebSocket server: before the 101, with the chosen protocol bound and the
	 * request headers readable (loom_hdr_copy()); \p in is the protocol name.
	 * Nonzero refuses the handshake with 403. */
	LOOM_CB_FILTER_PROTOCOL_CONNECTION,
	/** WebSocket, both sides: a pong arrived; \p in / \p len its payload */
	LOOM_CB_RECEIVE_PONG,

	/** first value free for the application's own reasons */
	LOOM_CB_USER = 1000
};

/**
 * loom_callback_fn - the protocol callback
 *
 * \param conn: the connection, or NULL for vhost-wide reasons with no connection
 * \param reason: why it is called
 * \param user: the connection's per-session data (per_session_data_size bytes, zeroed)
 * \param in: reason-specific data
 * \param len: length of \p in
 *
 * Returns 0 to carry on; nonzero asks Loom to close the connection.
 */
typedef int (*loom_callback_fn)(struct loom_conn *conn, enum loom_callback_reason reason,
				void *user, void *in, size_t len);

/**
 * struct loom_protocol - a named protocol served on a vhost
 *
 * A vhost takes an array of these ending in an entry whose name is NULL.
 */
struct loom_protocol {
	const char *name;		/**< protocol name (also the ws subprotocol) */
	loom_callback_fn callback;	/**< the callback */
	size_t per_session_data_size;	/**< bytes of zeroed user data per connection */
	size_t rx_buffer_size;		/**< most bytes per RX callback; 0 = the pt buffer */
	unsigned int id;		/**< free for the application */
	void *user;			/**< free for the application */
	size_t tx_packet_size;		/**< 0, or the largest single write */
};

/** a loom_protocol array terminator */
#define LOOM_PROTOCOL_LIST_TERM { NULL, NULL, 0, 0, 0, NULL, 0 }

/** loom_callback_default() - a callback that ignores every reason; returns 0 */
int
loom_callback_default(struct loom_conn *conn, enum loom_callback_reason reason,
		      void *user, void *in, size_t len);
/** @} */

#endif
