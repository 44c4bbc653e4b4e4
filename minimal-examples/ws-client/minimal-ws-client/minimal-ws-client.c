/*
 * minimal-ws-client: connect to a WebSocket URL, send each line of stdin as a text
 * message, print each message that comes back on its own line. Written to CC0 /
 * public domain: copy it freely.
 *
 *   minimal-ws-client URL [--protocol NAME] [--deflate] [--timeout SECS]
 *                         [--linger MS] [--max-message BYTES] [--ca FILE] [-k]
 *                         [--h2] [-d LOGMASK]
 *
 * --h2: WebSocket over HTTP/2 (RFC 8441), h2c by prior knowledge for ws://, ALPN
 * h2 for wss://; it fails if the server does not offer it.
 *
 * At the end of stdin, once as many messages came back as lines went out (or
 * --linger ms, default 1000, after the last line went), it closes with 1000 and
 * exits 0 only once the server has answered that close; 1 on a refused or failed connection, a protocol error or
 * any other close; 2 on a stall (no progress for --timeout seconds, default 10).
 */
#include <loom.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct line {
	struct line *next;
	size_t len;
	unsigned char buf[];		/* LOOM_PRE + len */
};

static struct loom_context *context;
static struct loom_vhost *vhost;
static struct loom_conn *ws, *in_conn;
static struct line *q_head, *q_tail;
static unsigned char *partial, *rx;	/* stdin's unfinished line, a message */
static size_t partial_len, rx_len, rx_alloc;
static int in_eof, closing, result = 1;
static unsigned long progress, sent, received;
static int linger_ms = 1000;
static struct loom_sul sul_linger;

static int
grow(unsigned char **b, size_t *alloc, size_t need)
{
	unsigned char *nb;

	if (need <= *alloc)
		return 0;
	nb = realloc(*b, need * 2);
	if (!nb)
		return -1;
	*b = nb;
	*alloc = need * 2;

	return 0;
}

static int
queue_line(const unsigned char *p, size_t len)
{
	struct line *l = malloc(sizeof(*l) + LOOM_PRE + len);

	if (!l)
		return -1;
	l->next = NULL;
	l->len = len;
	memcpy(l->buf + LOOM_PRE, p, len);
	if (q_tail)
		q_tail->next = l;
	else
		q_head = l;
	q_tail = l;

	return 0;
}

static void
close_now(void)
{
	if (!ws || closing)
		return;
	closing = 1;
	loom_sul_cancel(&sul_linger);
	loom_ws_close_reason(ws, 1000, "bye", 3);
	loom_close(ws, LOOM_CLOSE_NORMAL);
}

static void
linger_cb(struct loom_sul *sul)
{
	close_now();
}

/*
 * Everything sent and stdin done: close, once the answers are in (an echo server
 * answers each line) or after the linger time (a server that does not).
 */
static void
maybe_close(void)
{
	if (!ws || !in_eof || q_head || closing)
		return;
	if (received >= sent) {
		close_now();
		return;
	}
	if (!loom_sul_is_scheduled(&sul_linger))
		loom_sul_schedule(context, 0, &sul_linger, linger_cb,
				  (loom_usec_t)linger_ms * 1000);
}

static int
callback_ws(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	    void *in, size_t len)
{
	static size_t alloc_partial;

	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "failed: %s\n", in ? (const char *)in : "?");
		loom_stop(context);
		break;

	case LOOM_CB_CLIENT_ESTABLISHED:
		ws = conn;
		progress++;
		/* now read stdin */
		in_conn = loom_adopt_descriptor(vhost, LOOM_ADOPT_FILE | LOOM_ADOPT_NO_CLOSE,
						0, "stdin", NULL);
		if (!in_conn) {
			fprintf(stderr, "cannot read stdin\n");
			return -1;
		}
		break;

	case LOOM_CB_CLIENT_RECEIVE:
		progress++;
		if (grow(&rx, &rx_alloc, rx_len + len + 1))
			return -1;
		if (len)
			memcpy(rx + rx_len, in, len);
		rx_len += len;
		if (loom_ws_is_final_fragment(conn)) {
			rx[rx_len++] = '\n';
			if (fwrite(rx, 1, rx_len, stdout) != rx_len)
				return -1;
			fflush(stdout);
			rx_len = 0;
			received++;
			maybe_close();
		}
		break;

	case LOOM_CB_CLIENT_WRITEABLE:
		if (!q_head)
			break;
		{
			struct line *l = q_head;

			if (loom_write(conn, l->buf + LOOM_PRE, l->len, LOOM_WRITE_TEXT) < 0)
				return -1;
			progress++;
			sent++;
			q_head = l->next;
			if (!q_head)
				q_tail = NULL;
			free(l);
		}
		if (q_head)
			loom_callback_on_writable(conn);
		else
			maybe_close();
		break;

	case LOOM_CB_CLIENT_CLOSED: {
		const char *r;
		size_t rl;
		unsigned int code = loom_ws_peer_close_code(conn, &r, &rl);

		if (getenv("WSC_DEBUG"))
			fprintf(stderr, "sent %lu received %lu\n", sent, received);
		if (closing && code == 1000)
			result = 0;
		else
			fprintf(stderr, "closed: %u %.*s\n", code, (int)rl, r ? r : "");
		ws = NULL;
		if (in_conn) {
			loom_close(in_conn, LOOM_CLOSE_NOSTATUS);
			in_conn = NULL;
		}
		loom_stop(context);
		break;
	}

	/* stdin, adopted as a raw file */
	case LOOM_CB_RAW_RX_FILE: {
		const unsigned char *p = in, *e = p + len, *nl;

		progress++;
		while (p < e && (nl = memchr(p, '\n', (size_t)(e - p)))) {
			size_t l = (size_t)(nl - p);

			if (grow(&partial, &alloc_partial, partial_len + l + 1))
				return -1;
			memcpy(partial + partial_len, p, l);
			partial_len += l;
			if (partial_len && partial[partial_len - 1] == '\r')
				partial_len--;
			if (queue_line(partial, partial_len))
				return -1;
			partial_len = 0;
			p = nl + 1;
		}
		if (p < e) {
			if (grow(&partial, &alloc_partial, partial_len + (size_t)(e - p)))
				return -1;
			memcpy(partial + partial_len, p, (size_t)(e - p));
			partial_len += (size_t)(e - p);
		}
		if (ws && q_head)
			loom_callback_on_writable(ws);
		/*
		 * stdin is not paused while lines wait (loom_rx_flow_control): a pipe
		 * whose writer is gone would be closed with its unread lines
		 */
		break;
	}
	case LOOM_CB_RAW_CLOSE_FILE:
		in_conn = NULL;
		if (!in_eof) {
			in_eof = 1;
			if (partial_len && queue_line(partial, partial_len))
				return 0;
			partial_len = 0;
			if (ws && q_head)
				loom_callback_on_writable(ws);
			maybe_close();
		}
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "ws-client", callback_ws, 0, 0, 0, NULL, 0 },
	{ "stdin", callback_ws, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
stall_cb(struct loom_sul *sul)
{
	fprintf(stderr, "no progress: giving up\n");
	result = 2;
	loom_stop(context);
}

int
main(int argc, char **argv)
{
	struct loom_client_connect_info ci;
	struct loom_tls_client_info tls;
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_sul stall;
	struct loom_url u;
	unsigned long last = 0;
	int n, timeout = 10;

	memset(&ci, 0, sizeof(ci));
	memset(&tls, 0, sizeof(tls));
	if (argc < 2 || loom_parse_url(argv[1], &u) ||
	    (strcmp(u.scheme, "ws") && strcmp(u.scheme, "wss"))) {
		fprintf(stderr, "usage: %s ws://host[:port]/path [--protocol NAME] "
			"[--deflate] [--timeout S] [--max-message B] [--ca F] [-k] "
			"[--h2] [-d MASK]\n", argv[0]);
		return 1;
	}
	for (n = 2; n < argc; n++) {
		if (!strcmp(argv[n], "--protocol") && n + 1 < argc)
			ci.ws_protocol = argv[++n];
		else if (!strcmp(argv[n], "--ca") && n + 1 < argc)
			tls.ca_path = argv[++n];
		else if (!strcmp(argv[n], "-k"))
			tls.options |= LOOM_TLS_CLI_OPT_INSECURE_NO_VERIFY;
		else if (!strcmp(argv[n], "--deflate"))
			ci.flags |= LOOM_CONNECT_WS_DEFLATE;
		else if (!strcmp(argv[n], "--h2")) {
			ci.flags |= LOOM_CONNECT_WS_H2;
			tls.alpn = "h2";
		}
		else if (!strcmp(argv[n], "--linger") && n + 1 < argc)
			linger_ms = atoi(argv[++n]);
		else if (!strcmp(argv[n], "--timeout") && n + 1 < argc)
			timeout = atoi(argv[++n]);
		else if (!strcmp(argv[n], "--max-message") && n + 1 < argc)
			ci.ws_max_message = strtoull(argv[++n], NULL, 10);
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			loom_set_log_level(atoi(argv[++n]), NULL);
	}

	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	memset(&stall, 0, sizeof(stall));
	memset(&sul_linger, 0, sizeof(sul_linger));
	context = loom_create_context(&info);
	if (!context)
		return 1;
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = protocols;
	vhost = loom_create_vhost(context, &vinfo);
	ci.context = context;
	ci.vhost = vhost;
	ci.address = u.host;
	ci.port = u.port;
	ci.path = u.path;
	ci.flags |= LOOM_CONNECT_WS;
	ci.protocol = "ws-client";
	ci.tls = u.tls ? &tls : NULL;
	if (!vhost || !loom_client_connect(&ci)) {
		loom_context_destroy(context);
		return 1;
	}

	while (!loom_is_stopping(context)) {
		if (progress != last || !loom_sul_is_scheduled(&stall)) {
			last = progress;
			loom_sul_schedule(context, 0, &stall, stall_cb,
					  (loom_usec_t)timeout * 1000000);
		}
		if (loom_service(context, -1) < 0)
			break;
	}
	loom_context_destroy(context);
	while (q_head) {
		struct line *l = q_head;

		q_head = l->next;
		free(l);
	}
	free(partial);
	free(rx);

	return result;
}
