/*
 * private-ss.h: what the Secure Streams files share: the stream handle, the
 * per-context SS state and the ops table each protocol binding fills.
 */
#ifndef LOOM_PRIVATE_SS_H
#define LOOM_PRIVATE_SS_H

#include <loom.h>

/* the largest piece the tx callback is offered, and the rx copy for ws/raw */
#define LOOM_SS_TX_BUF		4096
/* longest endpoint / url / topic / header value after ${} substitution */
#define LOOM_SS_SUBST_MAX	1024
/* largest MQTT message a stream gathers from its tx pieces */
#define LOOM_SS_MQTT_MAX_MSG	(256 * 1024)

struct loom_ss_handle;
struct ss_server;

/*
 * A protocol binding (protocols/ss-*.c): how a stream of that protocol connects,
 * asks for writes and hangs up. Each owns a loom_protocol on the SS vhost whose
 * callback turns role events into the stream's rx / tx / state.
 */
struct ss_proto_ops {
	const char *name;			/* "h1", "ws" ... */
	const struct loom_protocol *protocol;	/* bound to the stream's conns */
	/* start a connection for \p h: loom_client_connect() with the protocol;
	 * 0 = started (the result comes through callbacks), else failed now */
	int (*connect)(struct loom_ss_handle *h);
	/* the user asked for tx while connected */
	int (*request_tx)(struct loom_ss_handle *h);
};

/* one metadata value of a stream: a policy item or a name the user added */
struct ss_meta {
	struct ss_meta *next;
	const struct loom_ss_metadata_policy *pol;	/* NULL for user-added */
	char *name;			/* user-added: owned copy */
	uint8_t *value;
	size_t len;
	int set;
};

struct loom_ss_handle {
	struct loom_dll2 list;			/* on the context's streams */
	struct loom_sspc *sspc;			/* served by the proxy: all else unused */
	struct loom_context *ctx;
	int tsi;
	struct loom_ss_info info;
	struct loom_ss_policy *pol;		/* a reference, kept to the end */
	const struct loom_ss_stream_type *st;
	const struct ss_proto_ops *ops;
	struct loom_conn *conn;			/* the current connection, or NULL */
	void *user;				/* the user object */
	struct ss_meta *meta;
	struct loom_sul sul_connect;		/* the next connect attempt */
	struct loom_sul sul_timeout;		/* the policy's timeout_ms */
	struct loom_retry_bo rbo;
	uint16_t retry_ctr;
	int state;				/* the last state told */
	unsigned int in_cb;			/* user callbacks on the stack */
	unsigned long tx_len;			/* loom_ss_request_tx_len(), or 0 */
	unsigned int tx_requested:1;
	unsigned int destroy_pending:1;
	unsigned int txn_done:1;		/* the transaction finished */
	unsigned int connected:1;		/* reached CONNECTED on this conn */
	unsigned int tx_som_sent:1;		/* a tx message's first piece is out */
	unsigned int rx_started:1;		/* an rx message's first piece came */
	unsigned int timed_out:1;
	unsigned int server:1;			/* accepted by a server stream type */
	unsigned int http_status;
	uint8_t *msg;				/* mqtt: a tx message being gathered */
	size_t msg_len;
	unsigned int msg_ready:1;		/* mqtt: msg is whole, to publish */
	uint16_t msg_pid;			/* mqtt: its packet id, waiting for ack */
	uint8_t txbuf[LOOM_PRE + LOOM_SS_TX_BUF];
	char tag[48];
};

/* the context's SS state (ctx->ss) */
struct loom_ss_ctx {
	struct loom_ss_policy *pol;		/* current; new streams take it */
	struct loom_vhost *vh_client;		/* the bindings' protocols */
	struct loom_dll2_owner streams;
	struct ss_server *servers;		/* listeners of server stream types */
};

/* ---- ss.c, for the bindings ---- */
int
loom__ss_state(struct loom_ss_handle *h, int state, unsigned int ack);
int
loom__ss_rx(struct loom_ss_handle *h, const uint8_t *buf, size_t len, int flags);
/* ask the user for the next tx piece into h->txbuf + LOOM_PRE: returns the
 * length (flags in \p flags), 0 with LOOM_SSR_TX_DONT_SEND in \p rc, or <0 */
int
loom__ss_tx(struct loom_ss_handle *h, size_t max, int *flags, int *rc);
/* the connection attempt failed or the connection closed */
void
loom__ss_conn_gone(struct loom_ss_handle *h, int failed_to_connect);
/* a connection reached its CONNECTED point */
void
loom__ss_connected(struct loom_ss_handle *h);
/* a transaction finished (h1 response complete) */
void
loom__ss_txn_done(struct loom_ss_handle *h);
/* ${name} in \p in from the stream's metadata, into \p out; -1 if too long */
int
loom__ss_subst(struct loom_ss_handle *h, const char *in, char *out, size_t len);
/* the metadata item of the policy / user called \p name */
struct ss_meta *
loom__ss_meta(struct loom_ss_handle *h, const char *name, size_t nlen);
/* fill a TLS client info for the stream type (trust store, insecure flag) */
void
loom__ss_tls_info(struct loom_ss_handle *h, struct loom_tls_client_info *tls);
/* the stream of a conn of one of our protocols */
struct loom_ss_handle *
loom__ss_from_conn(struct loom_conn *conn);
/* the header name (without ':') a metadata item maps to, or 0 */
size_t
loom__ss_meta_header(const struct ss_meta *m, char *name, size_t len);

/* ---- server stream types (ss-server.c) ---- */
/* a connection accepted for \p parent's type: its own stream, CREATING told */
struct loom_ss_handle *
loom__ss_create_server(struct loom_ss_handle *parent, struct loom_conn *conn);
/* an accepted stream's transaction or connection ended */
void
loom__ss_destroy_server_child(struct loom_ss_handle *h);
int
loom__ss_server_listen(struct loom_ss_handle *parent);
void
loom__ss_server_parent_gone(struct loom_ss_handle *parent);
void
loom__ss_servers_free(struct loom_ss_ctx *s);

/* ---- the context's SS state (ss.c, ss-server.c) ---- */
int
loom__ss_context_init(struct loom_context *ctx, const struct loom_context_info *info);
void
loom__ss_context_destroy(struct loom_context *ctx);
void
loom__ss_context_free(struct loom_context *ctx);

/* one tx piece to a stream conn (ss-raw.c): raw bytes, or ws messages when
 * \p framed (\p first for a message's first piece, \p cont for the rest) */
int
loom__ss_stream_write(struct loom_ss_handle *h, struct loom_conn *conn,
		      enum loom_write_protocol first, enum loom_write_protocol cont,
		      int framed);

/* ---- the bindings ---- */
extern const struct ss_proto_ops loom__ss_ops_h1;
extern const struct ss_proto_ops loom__ss_ops_h2;
/* ss-h1.c, for ss-h2.c: the HTTP client protocol, and a connect as h1 or h2 */
extern const struct loom_protocol loom__ss_http_protocol;
int
loom__ss_http_connect(struct loom_ss_handle *h, int h2);
int
loom__ss_http_request_tx(struct loom_ss_handle *h);
extern const struct ss_proto_ops loom__ss_ops_ws;
extern const struct ss_proto_ops loom__ss_ops_raw;
extern const struct ss_proto_ops loom__ss_ops_mqtt;

#endif
