/*
 * conn.h: what user code does with a connection: write, ask to be told when it can
 * write, pause reading, set a timeout, close, and read its properties.
 */
#ifndef LOOM_CONN_H
#define LOOM_CONN_H

struct loom_conn;
struct loom_context;
struct loom_vhost;
struct loom_protocol;

/** \defgroup conn Connections
 * @{ */

/**
 * LOOM_PRE - bytes of headroom loom_write() may use in front of the buffer it is
 * given, so a role can add its framing without a copy. Allocate LOOM_PRE + len and
 * pass buf + LOOM_PRE.
 */
#define LOOM_PRE 16

/** loom_write() kinds of write */
enum loom_write_protocol {
	LOOM_WRITE_RAW = 0,	/**< bytes as they are (raw roles) */
	LOOM_WRITE_TEXT = 1,	/**< a text message (ws) */
	LOOM_WRITE_BINARY = 2,	/**< a binary message (ws) */
	LOOM_WRITE_CONTINUATION = 3, /**< the next fragment of a message (ws) */
	/** HTTP body data; on a server conn (h1 or h2) as loom_http_write_body()
	 *  takes it: after loom_http_respond(), whose head goes out first */
	LOOM_WRITE_HTTP = 4,
	LOOM_WRITE_HTTP_FINAL = 5, /**< HTTP body data, last: ends the response */
	LOOM_WRITE_HTTP_HEADERS = 6, /**< HTTP headers */

	LOOM_WRITE_NO_FIN = 0x40 /**< OR in: more fragments of this message follow */
};

/**
 * loom_write() - send \p len bytes from \p buf
 *
 * \p buf must have LOOM_PRE writable bytes in front of it. Write once per WRITEABLE
 * callback. What the socket does not take now is kept by Loom and sent before the
 * next WRITEABLE callback, so the call never writes partially from the user's view.
 *
 * Returns \p len, or a negative LOOM_E* value: the connection is then being closed
 * (the close callback follows from the event loop). On a UDP socket a datagram the
 * kernel cannot take now is dropped, not queued, and an error does not close it.
 */
int
loom_write(struct loom_conn *conn, unsigned char *buf, size_t len,
	   enum loom_write_protocol wp);

/**
 * loom_callback_on_writable() - ask for one WRITEABLE callback when the connection
 * can take a write. Returns 0, or a negative error if the connection is closing.
 */
int
loom_callback_on_writable(struct loom_conn *conn);

/**
 * loom_callback_on_writable_all_protocol() - loom_callback_on_writable() on every
 * connection of \p protocol on \p vh. It walks every service thread's connections,
 * so with count_threads > 1 call it only while the other service threads are not
 * running. Returns the number of connections asked.
 */
int
loom_callback_on_writable_all_protocol(struct loom_vhost *vh,
				       const struct loom_protocol *protocol);

/** loom_send_pipe_choked() - nonzero while output is still waiting for the socket */
int
loom_send_pipe_choked(const struct loom_conn *conn);

/** loom_pending_output() - bytes Loom holds for the connection, not yet sent */
size_t
loom_pending_output(const struct loom_conn *conn);

/**
 * loom_rx_flow_control() - stop (\p enable 0) or restart (nonzero) reading from the
 * connection. While stopped no RX callbacks come; the peer is held back by TCP.
 */
int
loom_rx_flow_control(struct loom_conn *conn, int enable);

/** pending timeout reasons for loom_set_timeout() */
enum loom_timeout_reason {
	LOOM_TO_NONE = 0,
	LOOM_TO_CONNECT,	/**< client connect */
	LOOM_TO_CLOSE_FLUSH,	/**< flushing output before close */
	LOOM_TO_AWAITING_RX,	/**< user: waiting for the peer */
	LOOM_TO_USER,		/**< user: any other */
	LOOM_TO_KILLED		/**< close as soon as possible */
};

/** \p secs value for loom_set_timeout(): close the connection soon, from the loop */
#define LOOM_TO_KILL_ASYNC (-1)

/**
 * loom_set_timeout() - close the connection if it is still in this state after \p secs
 * seconds. \p reason LOOM_TO_NONE (or \p secs 0) cancels. \p secs LOOM_TO_KILL_ASYNC
 * closes it from the event loop soon, which is safe inside its own callback.
 */
void
loom_set_timeout(struct loom_conn *conn, enum loom_timeout_reason reason, int secs);

/** loom_set_timeout_us() - loom_set_timeout() with a µs delay */
void
loom_set_timeout_us(struct loom_conn *conn, enum loom_timeout_reason reason,
		    loom_usec_t us);

/** close reasons for loom_close() (values fit the ws close code range) */
enum loom_close_status {
	LOOM_CLOSE_NORMAL = 1000,	/**< normal close: pending output is flushed first */
	LOOM_CLOSE_GOINGAWAY = 1001,
	LOOM_CLOSE_PROTOCOL_ERR = 1002,
	LOOM_CLOSE_NOSTATUS = 1005,	/**< close now, drop pending output */
	LOOM_CLOSE_ABNORMAL = 1006	/**< the transport failed */
};

/**
 * loom_close() - close the connection. With LOOM_CLOSE_NORMAL pending output is sent
 * first (bounded by the context's timeout). The close callback comes once, either
 * now or when the flush ends; do not use \p conn after the call. From inside the
 * connection's own callback, prefer returning nonzero.
 */
void
loom_close(struct loom_conn *conn, enum loom_close_status status);

/**
 * loom_get_close_status() - in the connection's close callback (LOOM_CB_CLOSED,
 * LOOM_CB_CLIENT_CLOSED, LOOM_CB_RAW_CLOSE ...): the status it closed with.
 * LOOM_CLOSE_ABNORMAL (1006) when the transport failed (a write or read error of
 * the socket or the TLS library, a reset, a timeout): nothing more could be sent,
 * so no close frame or close_notify went, whatever close was asked for after the
 * failure. Else the status given to loom_close() (LOOM_CLOSE_NORMAL for a
 * callback's nonzero return or the peer's orderly close). A WebSocket's close code
 * from its peer is loom_ws_peer_close_code().
 */
enum loom_close_status
loom_get_close_status(const struct loom_conn *conn);

/** loom_get_context() - the connection's context */
struct loom_context *
loom_get_context(const struct loom_conn *conn);

/** loom_get_vhost() - the connection's vhost */
struct loom_vhost *
loom_get_vhost(const struct loom_conn *conn);

/** loom_get_protocol() - the protocol bound to the connection */
const struct loom_protocol *
loom_get_protocol(const struct loom_conn *conn);

/** loom_conn_user() - the per-session data (per_session_data_size bytes) */
void *
loom_conn_user(const struct loom_conn *conn);

/** loom_set_opaque_user_data() / loom_get_opaque_user_data(): one pointer for the app */
void
loom_set_opaque_user_data(struct loom_conn *conn, void *data);
/** see loom_set_opaque_user_data() */
void *
loom_get_opaque_user_data(const struct loom_conn *conn);

/** loom_get_fd() - the connection's file descriptor, or -1 */
int
loom_get_fd(const struct loom_conn *conn);

/** loom_get_tsi() - the service thread index that owns the connection */
int
loom_get_tsi(const struct loom_conn *conn);

/** loom_conn_role_name() - the role's name ("raw-skt", "raw-file", ...) */
const char *
loom_conn_role_name(const struct loom_conn *conn);

/**
 * loom_get_peer_address() - the peer as text ("127.0.0.1:4321", "[::1]:80", "unix")
 * into \p buf. For a UDP socket, the sender of the last datagram. Returns \p buf.
 */
const char *
loom_get_peer_address(const struct loom_conn *conn, char *buf, size_t len);

/**
 * loom_udp_set_peer() - make loom_write() on a UDP connection send to \p address
 * (numeric IPv4 or IPv6) and \p port. By default a UDP listener answers the sender
 * of the last datagram and a UDP client sends to where it connected.
 * Returns 0 or LOOM_EINVAL.
 */
int
loom_udp_set_peer(struct loom_conn *conn, const char *address, int port);
/** @} */

#endif
