/*
 * lws-ws-peer: the libwebsockets reference server of the ws-echo benchmark
 * (test-apps/bench/ws-echo/run.sh, DESIGN.md section 9).  Built against the
 * system's libwebsockets (Debian's libwebsockets-dev 4.1.6), not against Loom.
 *
 *   loom-bench-lws-ws-peer [-p PORT]
 *
 * One context, one service thread, the default vhost with one protocol that
 * echoes every message whole, as text or binary as it came, the way lws' own
 * minimal examples do: the message is gathered as lws delivers it, reading
 * pauses (rx flow control) while it waits to go back, and it goes back in one
 * lws_write() from LWS_CALLBACK_SERVER_WRITEABLE.  Like Loom's echo the
 * message buffer lives only while a message is in transit.  Prints "listening
 * on PORT" on stderr once it accepts (-p 0: a free port picked by the
 * kernel), exits 0 on SIGINT / SIGTERM.
 */
#include <libwebsockets.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MESSAGE	(16u * 1024u * 1024u)

struct pss {
	unsigned char	*buf;	/* LWS_PRE + message */
	size_t		len, cap;
	int		binary;
	int		ready;	/* whole message waiting to go back */
};

static struct lws_context *context;
static volatile sig_atomic_t interrupted;

static int
callback_echo(struct lws *wsi, enum lws_callback_reasons reason, void *user,
	      void *in, size_t len)
{
	struct pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		memset(pss, 0, sizeof(*pss));
		break;
	case LWS_CALLBACK_RECEIVE:
		if (pss->ready || pss->len + len > MAX_MESSAGE)
			return -1;
		if (LWS_PRE + pss->len + len > pss->cap) {
			size_t nc = (LWS_PRE + pss->len + len) * 2;
			unsigned char *nb = realloc(pss->buf, nc);

			if (!nb)
				return -1;
			pss->buf = nb;
			pss->cap = nc;
		}
		if (len)
			memcpy(pss->buf + LWS_PRE + pss->len, in, len);
		pss->len += len;
		if (!lws_is_final_fragment(wsi) ||
		    lws_remaining_packet_payload(wsi))
			break;
		pss->binary = lws_frame_is_binary(wsi);
		pss->ready = 1;
		lws_rx_flow_control(wsi, 0);
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!pss->ready)
			break;
		if (lws_write(wsi, pss->buf + LWS_PRE, pss->len, pss->binary ?
			      LWS_WRITE_BINARY : LWS_WRITE_TEXT) <
		    (int)pss->len)
			return -1;
		free(pss->buf);
		pss->buf = NULL;
		pss->len = pss->cap = 0;
		pss->ready = 0;
		lws_rx_flow_control(wsi, 1);
		break;
	case LWS_CALLBACK_CLOSED:
		free(pss->buf);
		pss->buf = NULL;
		break;
	default:
		break;
	}

	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "echo", callback_echo, sizeof(struct pss), 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
sigint_handler(int sig)
{
	(void)sig;
	interrupted = 1;
	if (context)
		lws_cancel_service(context);
}

int
main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_vhost *vh;
	int n, port = 7681;

	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			n++;
		else {
			fprintf(stderr, "usage: %s [-p PORT]\n", argv[0]);
			return 2;
		}
	}

	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);

	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	info.count_threads = 1;
	/* as many connections as the fd limit allows (10,000 idle ones) */
	info.fd_limit_per_thread = 0;

	context = lws_create_context(&info);
	if (!context) {
		fprintf(stderr, "lws-ws-peer: lws_create_context failed\n");
		return 1;
	}
	vh = lws_get_vhost_by_name(context, "default");
	if (!vh) {
		fprintf(stderr, "lws-ws-peer: no default vhost\n");
		lws_context_destroy(context);
		return 1;
	}
	signal(SIGINT, sigint_handler);
	signal(SIGTERM, sigint_handler);
	fprintf(stderr, "listening on %d\n", lws_get_vhost_listen_port(vh));

	n = 0;
	while (n >= 0 && !interrupted)
		n = lws_service(context, 0);

	lws_context_destroy(context);

	return 0;
}
