/*
 * minimal-ws-client-pmd-bulk: send bulk, compressible messages with
 * permessage-deflate to an echo server (loom-test-server's loom-echo), each in
 * 4 KiB fragments, and check every byte that comes back. Written to CC0 / public
 * domain: copy it freely.
 *
 *   minimal-ws-client-pmd-bulk ws://host:port/ [--messages N] [--size BYTES]
 *                              [-d LOGMASK]
 *
 * Exits 0 when deflate was negotiated, every message came back equal and the
 * close handshake (1000) finished; 1 otherwise, 2 on a stall of 10 seconds.
 */
#include <loom.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAG 4096

static struct loom_context *context;
static unsigned int messages = 16, size = 256 * 1024, sent_msgs, rx_msgs, bad;
static size_t tx_ofs, rx_ofs;
static unsigned long progress;
static int closing, result = 1;

/* message m's byte at i: text that compresses, different for each message */
static unsigned char
byte_at(unsigned int m, size_t i)
{
	static const char words[] = "the quick brown fox jumps over the lazy dog ";

	if (i % 1000 == 999)
		return (unsigned char)('0' + (m + i / 1000) % 10);

	return (unsigned char)words[(i + m) % (sizeof(words) - 1)];
}

static int
callback(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	 void *in, size_t len)
{
	unsigned char buf[LOOM_PRE + FRAG];
	const unsigned char *p = in;
	size_t i, n;
	int wp;

	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "failed: %s\n", in ? (const char *)in : "?");
		loom_stop(context);
		break;
	case LOOM_CB_CLIENT_ESTABLISHED:
		if (!loom_ws_deflate_active(conn)) {
			fprintf(stderr, "permessage-deflate was not negotiated\n");
			return -1;
		}
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_CLIENT_WRITEABLE:
		if (sent_msgs == messages)
			break;
		/* the next fragment of the message being sent */
		n = size - tx_ofs < FRAG ? size - tx_ofs : FRAG;
		for (i = 0; i < n; i++)
			buf[LOOM_PRE + i] = byte_at(sent_msgs, tx_ofs + i);
		wp = tx_ofs ? LOOM_WRITE_CONTINUATION : LOOM_WRITE_TEXT;
		if (tx_ofs + n < size)
			wp |= LOOM_WRITE_NO_FIN;
		if (loom_write(conn, buf + LOOM_PRE, n, (enum loom_write_protocol)wp) < 0)
			return -1;
		progress++;
		tx_ofs += n;
		if (tx_ofs == size) {
			tx_ofs = 0;
			sent_msgs++;
		}
		if (sent_msgs < messages)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_CLIENT_RECEIVE:
		progress++;
		for (i = 0; i < len; i++)
			if (p[i] != byte_at(rx_msgs, rx_ofs + i))
				bad++;
		rx_ofs += len;
		if (!loom_ws_is_final_fragment(conn))
			break;
		if (rx_ofs != size)
			bad++;
		rx_ofs = 0;
		if (++rx_msgs == messages && !closing) {
			closing = 1;
			loom_ws_close_reason(conn, 1000, NULL, 0);
			return -1;	/* starts the close handshake */
		}
		break;
	case LOOM_CB_CLIENT_CLOSED:
		if (closing && !bad && loom_ws_peer_close_code(conn, NULL, NULL) == 1000)
			result = 0;
		fprintf(stderr, "%u messages of %u bytes sent, %u back, %u bad bytes\n",
			sent_msgs, size, rx_msgs, bad);
		loom_stop(context);
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "pmd-bulk", callback, 0, 0, 0, NULL, 0 },
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
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_sul stall;
	struct loom_url u;
	unsigned long last = 0;
	int n;

	if (argc < 2 || loom_parse_url(argv[1], &u) || strcmp(u.scheme, "ws")) {
		fprintf(stderr, "usage: %s ws://host:port/ [--messages N] [--size B] "
			"[-d MASK]\n", argv[0]);
		return 1;
	}
	for (n = 2; n < argc; n++) {
		if (!strcmp(argv[n], "--messages") && n + 1 < argc)
			messages = (unsigned int)atoi(argv[++n]);
		else if (!strcmp(argv[n], "--size") && n + 1 < argc)
			size = (unsigned int)atoi(argv[++n]);
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			loom_set_log_level(atoi(argv[++n]), NULL);
	}
	if (!messages || !size)
		return 1;

	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	memset(&ci, 0, sizeof(ci));
	memset(&stall, 0, sizeof(stall));
	context = loom_create_context(&info);
	if (!context)
		return 1;
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = protocols;
	ci.context = context;
	ci.vhost = loom_create_vhost(context, &vinfo);
	ci.address = u.host;
	ci.port = u.port;
	ci.path = u.path;
	ci.flags = LOOM_CONNECT_WS | LOOM_CONNECT_WS_DEFLATE;
	ci.ws_protocol = "loom-echo";
	ci.ws_max_message = (uint64_t)size + 1;
	if (!ci.vhost || !loom_client_connect(&ci)) {
		loom_context_destroy(context);
		return 1;
	}
	while (!loom_is_stopping(context)) {
		if (progress != last || !loom_sul_is_scheduled(&stall)) {
			last = progress;
			loom_sul_schedule(context, 0, &stall, stall_cb, 10 * 1000000);
		}
		if (loom_service(context, -1) < 0)
			break;
	}
	loom_context_destroy(context);

	return result;
}
