/*
 * minimal-raw-tls-echo-server: echo every byte a TLS client sends (raw role over
 * TLS). Written to CC0 / public domain: copy it freely.
 *
 *   minimal-raw-tls-echo-server --cert FILE --key FILE [-p PORT] [-d LOGMASK]
 *        [--ca FILE --require-client-cert] [--alpn LIST] [--redirect-plaintext]
 *        [--handshake-timeout-ms MS] [--http-hello]
 *
 * Setting struct loom_vhost_info.tls is all it takes: Loom runs the handshake
 * before LOOM_CB_RAW_ADOPT, and RX / WRITEABLE carry plaintext. It prints
 * "listening on tls PORT" once ready. --http-hello answers each request that ends
 * in an empty line with a small HTTP/1.1 200 "hello" instead of echoing, so curl
 * or a browser can try the TLS side.
 */
#include <loom.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKLOG_MAX	(256 * 1024)	/* pause reading past this much unsent */

struct pss_echo {
	struct loom_buflist *backlog;
	size_t seen;			/* --http-hello: bytes of the request so far */
	uint8_t paused, hello;
};

static struct loom_context *context;
static unsigned char txbuf[LOOM_PRE + 16384];
static int http_hello;

static const char hello[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			    "Content-Length: 6\r\nConnection: close\r\n\r\nhello\n";

static int
callback_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	      void *in, size_t len)
{
	struct pss_echo *pss = user;
	size_t n;

	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		loom_clog_info(conn, "tls client, alpn %s",
			       loom_tls_alpn(conn) ? loom_tls_alpn(conn) : "none");
		break;
	case LOOM_CB_RAW_RX:
		if (http_hello) {
			/* the request ends with an empty line */
			if (len >= 4 && !memcmp((char *)in + len - 4, "\r\n\r\n", 4))
				pss->hello = 1;
			return loom_callback_on_writable(conn);
		}
		if (loom_buflist_append_segment(&pss->backlog, in, len) < 0)
			return -1;
		if (!pss->paused && loom_buflist_total_len(&pss->backlog) > BACKLOG_MAX) {
			loom_rx_flow_control(conn, 0);
			pss->paused = 1;
		}
		return loom_callback_on_writable(conn);
	case LOOM_CB_RAW_WRITEABLE:
		if (http_hello) {
			if (!pss->hello)
				break;
			memcpy(txbuf + LOOM_PRE, hello, sizeof(hello) - 1);
			if (loom_write(conn, txbuf + LOOM_PRE, sizeof(hello) - 1,
				       LOOM_WRITE_RAW) < 0)
				return -1;
			loom_close(conn, LOOM_CLOSE_NORMAL);
			break;
		}
		n = loom_buflist_linear_use(&pss->backlog, txbuf + LOOM_PRE,
					    sizeof(txbuf) - LOOM_PRE);
		if (n && loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		if (pss->backlog)
			loom_callback_on_writable(conn);
		else if (pss->paused) {
			pss->paused = 0;
			loom_rx_flow_control(conn, 1);
		}
		break;
	case LOOM_CB_RAW_CLOSE:
		loom_buflist_destroy_all_segments(&pss->backlog);
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "tls-echo", callback_echo, sizeof(struct pss_echo), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
on_signal(int sig)
{
	loom_stop(context);
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_tls_vhost_info tinfo;
	struct loom_vhost *vh;
	int n, port = 7682;

	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	memset(&tinfo, 0, sizeof(tinfo));
	for (n = 1; n < argc; n++) {
		const char *a = argv[n], *v = n + 1 < argc ? argv[n + 1] : NULL;

		if (!strcmp(a, "--require-client-cert"))
			tinfo.options |= LOOM_TLS_SRV_OPT_REQUIRE_CLIENT_CERT;
		else if (!strcmp(a, "--redirect-plaintext"))
			tinfo.options |= LOOM_TLS_SRV_OPT_REDIRECT_PLAINTEXT;
		else if (!strcmp(a, "--http-hello"))
			http_hello = 1;
		else if (!v) {
			fprintf(stderr, "usage: %s --cert FILE --key FILE [-p PORT] "
				"[-d MASK] [--ca FILE] [--require-client-cert] [--alpn LIST]\n"
				"  [--redirect-plaintext] [--handshake-timeout-ms MS] "
				"[--http-hello]\n", argv[0]);
			return 2;
		} else {
			n++;
			if (!strcmp(a, "-p"))
				port = atoi(v);
			else if (!strcmp(a, "-d"))
				loom_set_log_level(atoi(v), NULL);
			else if (!strcmp(a, "--cert"))
				tinfo.cert_path = v;
			else if (!strcmp(a, "--key"))
				tinfo.key_path = v;
			else if (!strcmp(a, "--ca"))
				tinfo.ca_path = v;
			else if (!strcmp(a, "--alpn"))
				tinfo.alpn = v;
			else if (!strcmp(a, "--handshake-timeout-ms"))
				tinfo.handshake_timeout_ms = (unsigned int)atoi(v);
			else {
				fprintf(stderr, "unknown option %s\n", a);
				return 2;
			}
		}
	}
	if (!tinfo.cert_path || !tinfo.key_path) {
		fprintf(stderr, "--cert and --key are needed\n");
		return 2;
	}

	context = loom_create_context(&info);
	if (!context)
		return 1;
	vinfo.name = "localhost";
	vinfo.options = LOOM_VHOST_OPT_RAW;
	vinfo.port = port;
	vinfo.protocols = protocols;
	vinfo.tls = &tinfo;
	vh = loom_create_vhost(context, &vinfo);
	if (!vh) {
		loom_context_destroy(context);
		return 1;
	}
	fprintf(stderr, "listening on tls %d\n", loom_vhost_port(vh));

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	n = loom_run(context, 0);
	loom_context_destroy(context);

	return n ? 1 : 0;
}
