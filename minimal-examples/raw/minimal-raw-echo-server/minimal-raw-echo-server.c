/*
 * minimal-raw-echo-server: echo every byte a TCP (or Unix socket) client sends.
 * Written to CC0 / public domain: copy it freely.
 *
 *   minimal-raw-echo-server [-p PORT] [--unix PATH|@abstract] [-d LOGMASK]
 *                           [--selftest]
 *
 * It shows the raw role: data arrives in LOOM_CB_RAW_RX, is kept in the
 * connection's own data, and goes back in LOOM_CB_RAW_WRITEABLE, one write per
 * callback. If a client sends faster than it reads, reading from it pauses
 * (loom_rx_flow_control) until its backlog drains. --selftest also connects its
 * own clients, checks the echoes and exits 0 only if all came back intact.
 */
#include <loom.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INLINE_MAX	128		/* small messages need no allocation */
#define BACKLOG_MAX	(64 * 1024)	/* pause reading past this much unsent */

struct pss_echo {
	struct loom_buflist *backlog;	/* what did not fit inline */
	uint16_t inline_len;
	unsigned char inline_buf[INLINE_MAX];
	uint8_t paused;
};

static struct loom_context *context;
static unsigned char txbuf[LOOM_PRE + 4096];

static int
callback_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	      void *in, size_t len)
{
	struct pss_echo *pss = user;
	size_t n;

	switch (reason) {
	case LOOM_CB_RAW_RX:
		if (!pss->backlog && !pss->inline_len && len <= INLINE_MAX) {
			memcpy(pss->inline_buf, in, len);
			pss->inline_len = (uint16_t)len;
		} else if (loom_buflist_append_segment(&pss->backlog, in, len) < 0)
			return -1;	/* out of memory: close this one */
		if (!pss->paused && loom_buflist_total_len(&pss->backlog) > BACKLOG_MAX) {
			loom_rx_flow_control(conn, 0);
			pss->paused = 1;
		}
		loom_callback_on_writable(conn);
		break;

	case LOOM_CB_RAW_WRITEABLE:
		if (pss->inline_len) {
			n = pss->inline_len;
			memcpy(txbuf + LOOM_PRE, pss->inline_buf, n);
			pss->inline_len = 0;
		} else
			n = loom_buflist_linear_use(&pss->backlog, txbuf + LOOM_PRE,
						    sizeof(txbuf) - LOOM_PRE);
		if (n && loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		if (pss->backlog)
			loom_callback_on_writable(conn);
		else if (pss->paused) {
			loom_rx_flow_control(conn, 1);
			pss->paused = 0;
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

/* ---- the self-test: clients in the same process ---- */

#define ST_CLIENTS	4
#define ST_MESSAGES	50

struct pss_st {
	size_t sent, checked;
	int msgs;
};

static int st_done, st_failed;

static void
st_fill(unsigned char *p, size_t len, size_t ofs)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)((ofs + i) * 7 + 3);
}

static int
callback_selftest(struct loom_conn *conn, enum loom_callback_reason reason,
		  void *user, void *in, size_t len)
{
	struct pss_st *st = user;
	unsigned char expect[4096];
	size_t n;

	switch (reason) {
	case LOOM_CB_RAW_CONNECTED:
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "selftest: connect failed: %s\n",
			in ? (const char *)in : "?");
		st_failed++;
		break;
	case LOOM_CB_RAW_WRITEABLE:
		/* sizes from 1 byte to past the inline buffer and the rx buffer */
		n = 1 + ((size_t)st->msgs * 997) % 3000;
		st_fill(txbuf + LOOM_PRE, n, st->sent);
		if (loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		st->sent += n;
		if (++st->msgs < ST_MESSAGES)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_RX:
		st_fill(expect, len, st->checked);
		if (len > sizeof(expect) || memcmp(expect, in, len)) {
			fprintf(stderr, "selftest: echo differs at %zu\n", st->checked);
			st_failed++;
			return -1;
		}
		st->checked += len;
		if (st->msgs == ST_MESSAGES && st->checked == st->sent)
			return -1;	/* all back: close */
		break;
	case LOOM_CB_RAW_CLOSE:
		if (st->checked != st->sent || st->msgs != ST_MESSAGES) {
			fprintf(stderr, "selftest: closed early\n");
			st_failed++;
		}
		if (++st_done == ST_CLIENTS)
			loom_stop(loom_get_context(conn));
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "echo", callback_echo, sizeof(struct pss_echo), 0, 0, NULL, 0 },
	{ "selftest", callback_selftest, sizeof(struct pss_st), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static struct loom_sul sul_timeout;

static void
selftest_timeout(struct loom_sul *sul)
{
	fprintf(stderr, "selftest: timed out\n");
	st_failed++;
	loom_stop(context);
}

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
	struct loom_vhost *vh;
	const char *unix_path = NULL;
	int n, port = 7681, selftest = 0;

	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "-p") && n + 1 < argc)
			port = atoi(argv[++n]);
		else if (!strcmp(argv[n], "--unix") && n + 1 < argc)
			unix_path = argv[++n];
		else if (!strcmp(argv[n], "-d") && n + 1 < argc)
			loom_set_log_level(atoi(argv[++n]), NULL);
		else if (!strcmp(argv[n], "--selftest"))
			selftest = 1;
		else {
			fprintf(stderr, "usage: %s [-p PORT] [--unix PATH] [-d MASK] "
				"[--selftest]\n", argv[0]);
			return 2;
		}
	}
	if (selftest && !unix_path)
		port = 0;	/* any free port */

	context = loom_create_context(&info);
	if (!context)
		return 1;

	vinfo.options = LOOM_VHOST_OPT_RAW;
	vinfo.port = port;
	vinfo.unix_socket_path = unix_path;
	vinfo.protocols = protocols;
	vh = loom_create_vhost(context, &vinfo);
	if (!vh) {
		loom_context_destroy(context);
		return 1;
	}
	if (unix_path)
		fprintf(stderr, "listening on unix %s\n", unix_path);
	else
		fprintf(stderr, "listening on %d\n", loom_vhost_port(vh));

	signal(SIGINT, sigint_handler);
	signal(SIGTERM, sigint_handler);

	if (selftest) {
		struct loom_client_connect_info ci;
		char addr[128];

		if (unix_path)
			snprintf(addr, sizeof(addr), "unix:%s", unix_path);
		memset(&ci, 0, sizeof(ci));
		ci.context = context;
		ci.address = unix_path ? addr : "127.0.0.1";
		ci.port = loom_vhost_port(vh);
		ci.flags = LOOM_CONNECT_RAW;
		ci.protocol = "selftest";
		for (n = 0; n < ST_CLIENTS; n++)
			if (!loom_client_connect(&ci))
				st_failed++;
		loom_sul_schedule(context, 0, &sul_timeout, selftest_timeout,
				  10 * (loom_usec_t)1000000);
	}

	loom_run(context, 0);
	loom_context_destroy(context);

	if (selftest) {
		fprintf(stderr, "selftest: %d clients done, %d failures\n", st_done,
			st_failed);
		return st_failed || st_done != ST_CLIENTS;
	}

	return 0;
}
