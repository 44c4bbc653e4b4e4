/*
 * minimal-ws-server-echo: a WebSocket server that sends every message back whole,
 * as text or binary as it came. Written to CC0 / public domain: copy it freely.
 *
 *   minimal-ws-server-echo [-p PORT] [--max-message BYTES] [--ping SECS] [-d MASK]
 *
 * Any subprotocol is answered by "echo" (it is the vhost's first protocol); plain
 * HTTP requests get a short text. Messages over --max-message (default 16 MiB)
 * get the close code 1009. Prints "listening on PORT" once it accepts.
 */
#include <loom.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_QUEUED 32
/*
 * Small messages (most of them) go in blocks of SMALL_MSG bytes that are kept
 * on a free list when sent, up to POOL_MAX of them for the whole server, so a
 * busy echo does not call malloc() and free() per message. Larger ones are
 * allocated to size.
 */
#define SMALL_MSG 256
#define POOL_MAX 64

struct msg {
	struct msg *next;
	size_t len;
	int binary;
	int small;		/* a pool block of SMALL_MSG payload bytes */
	unsigned char buf[];	/* LOOM_PRE + len */
};

struct pss {
	struct msg *head, *tail;	/* whole messages waiting to go back */
	unsigned int queued;
	unsigned char *rx;		/* the message being received */
	size_t rx_len, rx_alloc;
	int rx_paused;
};

static struct loom_context *context;
/* one service thread: the pool needs no lock */
static struct msg *pool;
static unsigned int pool_count;

static struct msg *
msg_alloc(size_t len)
{
	struct msg *m;

	if (len > SMALL_MSG) {
		m = malloc(sizeof(*m) + LOOM_PRE + len);
		if (m)
			m->small = 0;
		return m;
	}
	if (pool) {
		m = pool;
		pool = m->next;
		pool_count--;
		return m;
	}
	m = malloc(sizeof(*m) + LOOM_PRE + SMALL_MSG);
	if (m)
		m->small = 1;

	return m;
}

static void
msg_free(struct msg *m)
{
	if (m->small && pool_count < POOL_MAX) {
		m->next = pool;
		pool = m;
		pool_count++;
		return;
	}
	free(m);
}

static void
pool_destroy(void)
{
	while (pool) {
		struct msg *m = pool;

		pool = m->next;
		free(m);
	}
	pool_count = 0;
}

static void
pss_free(struct pss *pss)
{
	while (pss->head) {
		struct msg *m = pss->head;

		pss->head = m->next;
		msg_free(m);
	}
	free(pss->rx);
	memset(pss, 0, sizeof(*pss));
}

/* keep a piece of the message; at its end queue it whole */
static int
rx_piece(struct loom_conn *conn, struct pss *pss, const void *in, size_t len)
{
	const unsigned char *src = in;
	struct msg *m;

	if (!pss->rx_len && loom_ws_is_final_fragment(conn)) {
		/* the whole message in one piece: no gathering needed */
		src = in;
		pss->rx_len = len;
		goto whole;
	}
	if (pss->rx_len + len > pss->rx_alloc) {
		size_t na = (pss->rx_len + len) * 2 + 256;
		unsigned char *nb = realloc(pss->rx, na);

		if (!nb)
			return -1;
		pss->rx = nb;
		pss->rx_alloc = na;
	}
	if (len)
		memcpy(pss->rx + pss->rx_len, in, len);
	pss->rx_len += len;
	if (!loom_ws_is_final_fragment(conn))
		return 0;
	src = pss->rx;

whole:
	m = msg_alloc(pss->rx_len);
	if (!m)
		return -1;
	m->next = NULL;
	m->len = pss->rx_len;
	m->binary = loom_ws_frame_is_binary(conn);
	if (m->len)
		memcpy(m->buf + LOOM_PRE, src, m->len);
	pss->rx_len = 0;
	if (pss->rx) {
		/* an idle connection keeps no gathering buffer */
		free(pss->rx);
		pss->rx = NULL;
		pss->rx_alloc = 0;
	}
	if (pss->tail)
		pss->tail->next = m;
	else
		pss->head = m;
	pss->tail = m;
	if (++pss->queued >= MAX_QUEUED && !pss->rx_paused) {
		/* the peer sends faster than it reads: hold it back */
		pss->rx_paused = 1;
		loom_rx_flow_control(conn, 0);
	}

	return loom_callback_on_writable(conn) < 0 ? -1 : 0;
}

static int
callback_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	      void *in, size_t len)
{
	struct pss *pss = user;
	struct msg *m;

	switch (reason) {
	case LOOM_CB_HTTP:
		return loom_http_respond_simple(conn, 200, "text/plain",
						"a websocket echo server\n", 24) ? -1 : 0;
	case LOOM_CB_ESTABLISHED:
		memset(pss, 0, sizeof(*pss));
		break;
	case LOOM_CB_RECEIVE:
		return rx_piece(conn, pss, in, len);
	case LOOM_CB_SERVER_WRITEABLE:
		m = pss->head;
		if (!m)
			break;
		if (loom_write(conn, m->buf + LOOM_PRE, m->len,
			       m->binary ? LOOM_WRITE_BINARY : LOOM_WRITE_TEXT) < 0)
			return -1;
		pss->head = m->next;
		if (!pss->head)
			pss->tail = NULL;
		msg_free(m);
		pss->queued--;
		if (pss->rx_paused && pss->queued < MAX_QUEUED / 2) {
			pss->rx_paused = 0;
			loom_rx_flow_control(conn, 1);
		}
		if (pss->head)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_CLOSED:
		pss_free(pss);
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "echo", callback_echo, sizeof(struct pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
sigint_handler(int sig)
{
	loom_stop(context);
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_ws_vhost_info ws;
	struct loom_vhost *vh;
	int n, port = 7681;

	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	memset(&ws, 0, sizeof(ws));
	ws.max_message = 16 * 1024 * 1024;
	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
		else if (!strcmp(argv[n], "--max-message") && n + 1 < argc)
			ws.max_message = strtoull(argv[++n], NULL, 10);
		else if (!strcmp(argv[n], "--ping") && n + 1 < argc)
			ws.ping_interval_secs = (unsigned int)atoi(argv[++n]);
		else if (!strcmp(argv[n], "--no-deflate"))
			ws.options |= LOOM_WS_OPT_NO_DEFLATE;
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			loom_set_log_level(atoi(argv[++n]), NULL);
		else {
			fprintf(stderr, "usage: %s [-p PORT] [--max-message BYTES] "
				"[--ping SECS] [--no-deflate] [-d MASK]\n", argv[0]);
			return 2;
		}
	}

	context = loom_create_context(&info);
	if (!context)
		return 1;
	vinfo.port = port;
	vinfo.protocols = protocols;
	vinfo.ws = &ws;
	vh = loom_create_vhost(context, &vinfo);
	if (!vh) {
		loom_context_destroy(context);
		return 1;
	}
	fprintf(stderr, "listening on %d\n", loom_vhost_port(vh));

	signal(SIGINT, sigint_handler);
	signal(SIGTERM, sigint_handler);
	loom_run(context, 0);
	loom_context_destroy(context);
	pool_destroy();

	return 0;
}
