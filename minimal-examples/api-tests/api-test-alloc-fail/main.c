/*
 * api-test-alloc-fail: fail the Nth allocation (and, second pass, every one from the
 * Nth on) through a raw echo exchange; each run must end without crash or hang and
 * leave no block and no fd behind. A run with no failure must echo everything.
 */
#include <loom.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "loom-test.h"
#include "loom-test-sock.h"

/* ---- the counting allocator ---- */

#define MAGIC 0x4c4f4f4du

/* in front of each block; the union keeps what follows aligned like malloc()'s */
struct hdr {
	union {
		struct {
			size_t size;
			unsigned int magic;
		} s;
		long double align_ld;
		long long align_ll;
		void *align_p;
	} u;
};

static unsigned long calls, fail_at, live_blocks, live_bytes, failed, bad_frees,
		     no_reason;
static int fail_sticky;		/* fail every allocation from fail_at on */
static int trace;		/* env LOOM_ALLOC_TRACE: list each allocation */

static void *
counting_realloc(void *ptr, size_t size, const char *reason)
{
	struct hdr *h = ptr ? (struct hdr *)ptr - 1 : NULL, *nh;

	if (!reason)
		no_reason++;
	if (h && h->u.s.magic != MAGIC) {
		bad_frees++;
		return NULL;
	}
	if (!size) {
		if (h) {
			live_blocks--;
			live_bytes -= h->u.s.size;
			h->u.s.magic = 0;
			free(h);
		}
		return NULL;
	}
	calls++;
	if (trace)
		fprintf(stderr, "alloc %lu: %zu bytes for %s%s\n", calls, size,
			reason ? reason : "?", fail_at == calls ? " (failed)" : "");
	if (fail_at && (calls == fail_at || (fail_sticky && calls > fail_at))) {
		failed++;
		return NULL;
	}
	nh = realloc(h, sizeof(*nh) + size);
	if (!nh)
		return NULL;
	if (h) {
		live_bytes -= nh->u.s.size;
	} else {
		nh->u.s.magic = MAGIC;
		live_blocks++;
	}
	nh->u.s.size = size;
	live_bytes += size;

	return nh + 1;
}

static void
null_emit(int level, const char *line)
{
	(void)level;
	(void)line;
}

/* ---- the echo server (as minimal-raw-echo-server) ---- */

#define INLINE_MAX	128
#define BACKLOG_MAX	(64 * 1024)

struct pss_echo {
	struct loom_buflist *backlog;
	uint16_t inline_len;
	unsigned char inline_buf[INLINE_MAX];
	uint8_t paused;
};

static unsigned char txbuf[LOOM_PRE + 150000];

/*
 * A small kernel send buffer, so the big write is taken only in part and Loom must
 * hold the rest in the conn's buflist: that path allocates too. (Small receive
 * buffers as well would make TCP crawl on delayed ACKs.)
 */
static void
small_send_buffer(struct loom_conn *conn)
{
	int sz = 16384;

	setsockopt(loom_get_fd(conn), SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

static int
cb_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
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
			return -1;
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
			n = loom_buflist_linear_use(&pss->backlog, txbuf + LOOM_PRE, 4096);
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

/* ---- the client: a few messages, one larger than 4096 and one larger than the
 * socket takes at once (so output is held in a buflist), echo checked ---- */

static const size_t msg_sizes[] = { 17, 300, 5000, 150000, 1 };
#define NMSGS (sizeof(msg_sizes) / sizeof(msg_sizes[0]))

struct pss_cli {
	unsigned int sent_msgs;
	size_t sent, rx;
};

static size_t total_bytes;
static int cli_done, cli_closed, cli_conn_error, cli_bad;

static unsigned char
stream_byte(size_t ofs)
{
	return (unsigned char)(ofs * 7 + 3 + (ofs >> 9));
}

static int
cb_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct pss_cli *pss = user;
	const unsigned char *p = in;
	size_t i, n;

	switch (reason) {
	case LOOM_CB_RAW_CONNECTED:
		small_send_buffer(conn);
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		if (pss->sent_msgs == NMSGS)
			break;
		n = msg_sizes[pss->sent_msgs++];
		for (i = 0; i < n; i++)
			txbuf[LOOM_PRE + i] = stream_byte(pss->sent + i);
		if (loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		pss->sent += n;
		if (pss->sent_msgs < NMSGS)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_RX:
		for (i = 0; i < len; i++)
			if (p[i] != stream_byte(pss->rx + i))
				cli_bad++;
		pss->rx += len;
		if (pss->rx > total_bytes)
			cli_bad++;
		if (pss->rx == total_bytes)
			cli_done = 1;
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		cli_conn_error = 1;
		break;
	case LOOM_CB_RAW_CLOSE:
		cli_closed = 1;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "echo", cb_echo, sizeof(struct pss_echo), 0, 0, NULL, 0 },
	{ "client", cb_client, sizeof(struct pss_cli), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* how each run ended */
enum {
	R_NO_CONTEXT, R_NO_VHOST, R_NO_CONNECT, R_CONN_ERROR, R_CLOSED, R_DONE,
	R_DEADLINE, R_COUNT
};
static const char *const rnames[R_COUNT] = {
	"no context", "no vhost", "no connect", "connection error", "closed early",
	"echo complete", "deadline"
};

static int
run_once(void)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_client_connect_info ci;
	struct loom_context *ctx;
	struct loom_vhost *vh;
	loom_usec_t end;
	int r;

	cli_done = cli_closed = cli_conn_error = 0;
	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	if (!ctx)
		return R_NO_CONTEXT;
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.options = LOOM_VHOST_OPT_RAW;
	vinfo.iface = "127.0.0.1";
	vinfo.port = 0;
	vinfo.protocols = protocols;
	vinfo.listen_accept_protocol = "echo";
	vh = loom_create_vhost(ctx, &vinfo);
	if (!vh) {
		loom_context_destroy(ctx);
		return R_NO_VHOST;
	}
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.address = "127.0.0.1";
	ci.port = loom_vhost_port(vh);
	ci.flags = LOOM_CONNECT_RAW;
	ci.protocol = "client";
	ci.timeout_ms = 2000;
	if (!loom_client_connect(&ci)) {
		loom_context_destroy(ctx);
		return R_NO_CONNECT;
	}
	/* bounded: a run that stalls is reported, never waited on forever */
	end = loom_now_usecs() + 3000000;
	while (!cli_done && !cli_closed && !cli_conn_error && loom_now_usecs() < end)
		if (loom_service(ctx, 20) < 0)
			break;
	r = cli_done ? R_DONE : cli_conn_error ? R_CONN_ERROR : cli_closed ? R_CLOSED :
								 R_DEADLINE;
	loom_context_destroy(ctx);

	return r;
}

/*
 * Fail allocation N for N = 1, 2, ... until, past the clean run's count, three runs
 * in a row made fewer than N allocations (the count varies a little with how TCP
 * splits the data). A run whose allocations all succeeded must complete the echo.
 */
static void
sweep(int sticky, unsigned long total, int fds0)
{
	unsigned long n, leaky = 0, fd_leaky = 0, tried = 0, untouched = 0,
		      untouched_bad = 0, streak = 0;
	const char *mode = sticky ? "sticky" : "single";
	int outcomes[R_COUNT], r, k;

	memset(outcomes, 0, sizeof(outcomes));
	fail_sticky = sticky;
	for (n = 1; (n <= total || streak < 3) && n <= 2 * total + 10; n++) {
		calls = failed = 0;
		fail_at = n;
		r = run_once();
		outcomes[r]++;
		tried++;
		if (failed)
			streak = 0;
		else {
			streak++;
			untouched++;
			if (r != R_DONE) {
				fprintf(stderr, "%s fail at %lu: never failed, yet the run "
					"ended: %s\n", mode, n, rnames[r]);
				untouched_bad++;
			}
		}
		if (live_blocks || live_bytes) {
			fprintf(stderr, "%s fail at %lu: %lu blocks (%lu bytes) left after "
				"destroy (run ended: %s)\n", mode, n, live_blocks,
				live_bytes, rnames[r]);
			leaky++;
			live_blocks = live_bytes = 0;	/* report each N on its own */
		}
		if (lt_count_fds() != fds0) {
			fprintf(stderr, "%s fail at %lu: %d fds left open (run ended: %s)\n",
				mode, n, lt_count_fds() - fds0, rnames[r]);
			fd_leaky++;
		}
		if (r == R_DEADLINE)
			fprintf(stderr, "%s fail at %lu: the exchange stalled until the "
				"deadline\n", mode, n);
	}
	printf("%s failure: tried N = 1..%lu (%lu runs):", mode, n - 1, tried);
	for (k = 0; k < R_COUNT; k++)
		if (outcomes[k])
			printf(" %s %d,", rnames[k], outcomes[k]);
	printf(" leaking %lu, fd-leaking %lu\n", leaky, fd_leaky);
	LT_CHECK_EQ(leaky, 0);
	LT_CHECK_EQ(fd_leaky, 0);
	LT_CHECK_EQ(outcomes[R_DEADLINE], 0);
	LT_CHECK_EQ(untouched_bad, 0);
	LT_CHECK(untouched >= 3);
}

int
main(void)
{
	unsigned long total;
	int fds0, r;
	size_t i;

	trace = !!getenv("LOOM_ALLOC_TRACE");
	for (i = 0; i < NMSGS; i++)
		total_bytes += msg_sizes[i];
	loom_set_log_level(0, null_emit);
	loom_set_allocator(counting_realloc);
	fds0 = lt_count_fds();

	/* a run with no failure: everything echoed, nothing left */
	fail_at = 0;
	calls = 0;
	r = run_once();
	total = calls;
	LT_CHECK_EQ(r, R_DONE);
	LT_CHECK_EQ(cli_bad, 0);
	LT_CHECK_EQ(live_blocks, 0);
	LT_CHECK_EQ(lt_count_fds(), fds0);
	LT_CHECK(total > 5);
	printf("clean run: %lu allocations, echo %s\n", total,
	       r == R_DONE && !cli_bad ? "verified" : "FAILED");

	sweep(0, total, fds0);
	sweep(1, total, fds0);

	/* and once more with no failure: the library recovered fully */
	fail_at = 0;
	cli_bad = 0;
	r = run_once();
	LT_CHECK_EQ(r, R_DONE);
	LT_CHECK_EQ(cli_bad, 0);
	LT_CHECK_EQ(live_blocks, 0);
	LT_CHECK_EQ(bad_frees, 0);
	LT_CHECK_EQ(no_reason, 0);

	loom_set_allocator(NULL);
	loom_set_log_level(LOOM_LL_DEFAULT, NULL);

	return lt_result("api-test-alloc-fail");
}
