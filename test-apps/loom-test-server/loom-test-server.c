/*
 * loom-test-server: the server tests, scripts and people try Loom against
 * (DESIGN.md section 10): HTTP/1.1 on -p (default 7681) serving the demo site and
 * POST /post, and WebSocket on the same port with the protocols loom-echo (each
 * message back whole, up to 16 MiB; larger gets 1009), loom-mirror (each message to
 * every mirror client) and loom-increment (a counter pushed every 50 ms);
 * optionally a raw TCP echo service on --raw-port. Later issues add h2.
 * --heap-stats counts Loom's allocations through its allocator hook and reports
 * them on SIGUSR1 and at exit (the soak checks the server's heap with it).
 */
#include <loom.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* per connection: bytes received and not yet echoed */
struct echo_conn {
	struct loom_buflist *unsent;
	size_t total;
	int rx_stopped;
};

struct server_opts {
	int port;
	int raw_port;			/* -1: no raw echo listener */
	const char *iface;
	const char *unix_path;
	const char *root;
	unsigned int max_conns;
	size_t max_unsent;
	uint64_t max_body;
	int loglevel;
	int tls_port;			/* HTTPS (with --cert/--key) */
	const char *cert, *key;
	unsigned int h2_max_streams;	/* SETTINGS_MAX_CONCURRENT_STREAMS, 0 = default */
	int heap_stats;			/* count allocations; SIGUSR1 reports */
	int no_ws_h2;			/* do not offer ws over h2 (RFC 8441) */
};

static struct loom_context *ctx;
static struct server_opts opts = { 7681, -1, NULL, NULL, NULL, 0, 256 * 1024,
				   64ull * 1024 * 1024, LOOM_LL_DEFAULT, 7682, NULL, NULL, 0, 0,
				   0 };

/* ws connections opened, by transport: printed at exit, for the tests */
static unsigned long ws_count_h1, ws_count_h2;

static void
ws_count(struct loom_conn *conn)
{
#if defined(LOOM_WITH_H2)
	if (loom_conn_is_h2_stream(conn)) {
		ws_count_h2++;
		return;
	}
#endif
	ws_count_h1++;
}

/* POST /post: count the body, answer how much came */
struct post_conn {
	uint64_t received;
};

static int
callback_post(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	      void *in, size_t len)
{
	struct post_conn *pc = user;
	char body[64];
	int n;

	switch (reason) {
	case LOOM_CB_HTTP:
		pc->received = 0;
		if (loom_http_method(conn) != LOOM_HTTP_METHOD_POST &&
		    loom_http_method(conn) != LOOM_HTTP_METHOD_PUT) {
			n = snprintf(body, sizeof(body), "POST or PUT a body here\n");
			return loom_http_respond_simple(conn, 405, "text/plain", body,
							(size_t)n);
		}
		break;
	case LOOM_CB_HTTP_BODY:
		pc->received += len;
		break;
	case LOOM_CB_HTTP_BODY_COMPLETION:
		n = snprintf(body, sizeof(body), "received %llu bytes\n",
			     (unsigned long long)pc->received);
		return loom_http_respond_simple(conn, 200, "text/plain", body, (size_t)n);
	default:
		break;
	}

	return 0;
}

static int
echo_writeable(struct loom_conn *conn, struct echo_conn *ec)
{
	unsigned char out[LOOM_PRE + 16384];
	size_t n = loom_buflist_linear_use(&ec->unsent, out + LOOM_PRE,
					   sizeof(out) - LOOM_PRE);

	ec->total -= n;
	if (n && loom_write(conn, out + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
		return -1;
	if (ec->unsent)
		return loom_callback_on_writable(conn);
	if (ec->rx_stopped) {
		ec->rx_stopped = 0;
		return loom_rx_flow_control(conn, 1);
	}

	return 0;
}

static int
callback_raw_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
		  void *in, size_t len)
{
	struct echo_conn *ec = user;
	char peer[64];

	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		loom_clog_info(conn, "new client %s",
			       loom_get_peer_address(conn, peer, sizeof(peer)));
		break;
	case LOOM_CB_RAW_RX:
		if (loom_buflist_append_segment(&ec->unsent, in, len) < 0)
			return -1;
		ec->total += len;
		/* a client that does not read its echoes is held back, not buffered */
		if (ec->total > opts.max_unsent && !ec->rx_stopped) {
			ec->rx_stopped = 1;
			loom_rx_flow_control(conn, 0);
		}
		return loom_callback_on_writable(conn);
	case LOOM_CB_RAW_WRITEABLE:
		return echo_writeable(conn, ec);
	case LOOM_CB_RAW_CLOSE:
		loom_buflist_destroy_all_segments(&ec->unsent);
		break;
	default:
		break;
	}

	return 0;
}

/* ---- WebSocket: loom-echo ---- */

#define WS_MAX_MESSAGE	(16u * 1024 * 1024)
#define WS_ECHO_QUEUE	16

struct ws_msg {
	struct ws_msg *next;
	size_t len;
	int binary;
	unsigned char buf[];		/* LOOM_PRE + len */
};

struct ws_echo_conn {
	struct ws_msg *head, *tail;	/* whole messages to send back */
	unsigned int queued;
	unsigned char *rx;		/* the message coming in */
	size_t rx_len, rx_alloc;
	int rx_stopped;
};

/* add a piece of the incoming message; returns the whole message at its end */
static int
ws_rx_piece(struct loom_conn *conn, unsigned char **rx, size_t *rx_len, size_t *alloc,
	    const void *in, size_t len, struct ws_msg **done)
{
	*done = NULL;
	if (*rx_len + len > *alloc) {
		size_t na = *rx_len + len + (*rx_len + len) / 2 + 256;
		unsigned char *nb = realloc(*rx, na);

		if (!nb)
			return -1;
		*rx = nb;
		*alloc = na;
	}
	if (len)
		memcpy(*rx + *rx_len, in, len);
	*rx_len += len;
	if (!loom_ws_is_final_fragment(conn))
		return 0;
	*done = malloc(sizeof(**done) + LOOM_PRE + *rx_len);
	if (!*done)
		return -1;
	(*done)->next = NULL;
	(*done)->len = *rx_len;
	(*done)->binary = loom_ws_frame_is_binary(conn);
	if (*rx_len)
		memcpy((*done)->buf + LOOM_PRE, *rx, *rx_len);
	*rx_len = 0;
	if (*alloc > 65536) {
		/* do not keep a big buffer for the next small message */
		free(*rx);
		*rx = NULL;
		*alloc = 0;
	}

	return 0;
}

static int
callback_ws_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
		 void *in, size_t len)
{
	struct ws_echo_conn *ec = user;
	struct ws_msg *m;

	switch (reason) {
	case LOOM_CB_ESTABLISHED:
		ws_count(conn);
		break;
	case LOOM_CB_RECEIVE:
		if (ws_rx_piece(conn, &ec->rx, &ec->rx_len, &ec->rx_alloc, in, len, &m))
			return -1;
		if (!m)
			break;
		if (ec->tail)
			ec->tail->next = m;
		else
			ec->head = m;
		ec->tail = m;
		/* a client that does not read its echoes is held back */
		if (++ec->queued >= WS_ECHO_QUEUE && !ec->rx_stopped) {
			ec->rx_stopped = 1;
			loom_rx_flow_control(conn, 0);
		}
		return loom_callback_on_writable(conn) < 0 ? -1 : 0;
	case LOOM_CB_SERVER_WRITEABLE:
		m = ec->head;
		if (!m)
			break;
		if (loom_write(conn, m->buf + LOOM_PRE, m->len,
			       m->binary ? LOOM_WRITE_BINARY : LOOM_WRITE_TEXT) < 0)
			return -1;
		ec->head = m->next;
		if (!ec->head)
			ec->tail = NULL;
		free(m);
		ec->queued--;
		if (ec->rx_stopped && ec->queued < WS_ECHO_QUEUE / 2) {
			ec->rx_stopped = 0;
			loom_rx_flow_control(conn, 1);
		}
		if (ec->head)
			return loom_callback_on_writable(conn) < 0 ? -1 : 0;
		break;
	case LOOM_CB_CLOSED:
		while (ec->head) {
			m = ec->head;
			ec->head = m->next;
			free(m);
		}
		free(ec->rx);
		memset(ec, 0, sizeof(*ec));
		break;
	default:
		break;
	}

	return 0;
}

/* ---- WebSocket: loom-mirror, every message to every mirror client ---- */

#define MIRROR_RING	64
#define MIRROR_MAX	(64 * 1024)

struct mirror_conn {
	uint32_t next;			/* the ring sequence it sends next */
	unsigned char *rx;
	size_t rx_len, rx_alloc;
};

static struct {
	struct ws_msg *ring[MIRROR_RING];
	uint32_t head;			/* sequence of the next message stored */
} mirror;

static int
callback_ws_mirror(struct loom_conn *conn, enum loom_callback_reason reason,
		   void *user, void *in, size_t len)
{
	struct mirror_conn *mc = user;
	struct ws_msg *m;

	switch (reason) {
	case LOOM_CB_ESTABLISHED:
		ws_count(conn);
		mc->next = mirror.head;	/* from now on */
		break;
	case LOOM_CB_RECEIVE:
		if (mc->rx_len + len > MIRROR_MAX) {
			loom_ws_close_reason(conn, 1009, "mirror messages are 64 KiB at most",
					     34);
			return -1;
		}
		if (ws_rx_piece(conn, &mc->rx, &mc->rx_len, &mc->rx_alloc, in, len, &m))
			return -1;
		if (!m)
			break;
		free(mirror.ring[mirror.head % MIRROR_RING]);
		mirror.ring[mirror.head % MIRROR_RING] = m;
		mirror.head++;
		loom_callback_on_writable_all_protocol(loom_get_vhost(conn),
						       loom_get_protocol(conn));
		break;
	case LOOM_CB_SERVER_WRITEABLE:
		if (mirror.head - mc->next > MIRROR_RING)
			mc->next = mirror.head - MIRROR_RING;	/* too slow: skip */
		if (mc->next == mirror.head)
			break;
		m = mirror.ring[mc->next % MIRROR_RING];
		/* the frame header goes in the shared message's headroom: that is
		 * fine, each write is whole before the next one starts */
		if (loom_write(conn, m->buf + LOOM_PRE, m->len,
			       m->binary ? LOOM_WRITE_BINARY : LOOM_WRITE_TEXT) < 0)
			return -1;
		mc->next++;
		if (mc->next != mirror.head)
			return loom_callback_on_writable(conn) < 0 ? -1 : 0;
		break;
	case LOOM_CB_CLOSED:
		free(mc->rx);
		memset(mc, 0, sizeof(*mc));
		break;
	default:
		break;
	}

	return 0;
}

static void
mirror_free(void)
{
	unsigned int n;

	for (n = 0; n < MIRROR_RING; n++) {
		free(mirror.ring[n]);
		mirror.ring[n] = NULL;
	}
}

/* ---- WebSocket: loom-increment, a counter every 50 ms; "reset" resets it ---- */

struct increment_conn {
	unsigned long count;
};

static struct {
	struct loom_sul sul;
	struct loom_vhost *vh;
	const struct loom_protocol *p;
	unsigned int clients;
} incr;

static void
increment_tick(struct loom_sul *sul)
{
	if (!incr.clients)
		return;
	loom_callback_on_writable_all_protocol(incr.vh, incr.p);
	loom_sul_schedule(ctx, 0, &incr.sul, increment_tick, 50 * 1000);
}

static int
callback_ws_increment(struct loom_conn *conn, enum loom_callback_reason reason,
		      void *user, void *in, size_t len)
{
	struct increment_conn *ic = user;
	unsigned char buf[LOOM_PRE + 24];
	int n;

	switch (reason) {
	case LOOM_CB_ESTABLISHED:
		ws_count(conn);
		ic->count = 0;
		incr.vh = loom_get_vhost(conn);
		incr.p = loom_get_protocol(conn);
		if (!incr.clients++)
			loom_sul_schedule(ctx, 0, &incr.sul, increment_tick, 50 * 1000);
		break;
	case LOOM_CB_RECEIVE:
		if (len == 5 && !memcmp(in, "reset", 5))
			ic->count = 0;
		break;
	case LOOM_CB_SERVER_WRITEABLE:
		n = snprintf((char *)buf + LOOM_PRE, sizeof(buf) - LOOM_PRE, "%lu",
			     ic->count++);
		if (loom_write(conn, buf + LOOM_PRE, (size_t)n, LOOM_WRITE_TEXT) < 0)
			return -1;
		break;
	case LOOM_CB_CLOSED:
		if (incr.clients && !--incr.clients)
			loom_sul_cancel(&incr.sul);
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol raw_protocols[] = {
	{ "loom-raw-echo", callback_raw_echo, sizeof(struct echo_conn), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static const struct loom_protocol http_protocols[] = {
	{ "http", loom_callback_default, 0, 0, 0, NULL, 0 },
	{ "loom-post", callback_post, sizeof(struct post_conn), 0, 0, NULL, 0 },
	{ "loom-echo", callback_ws_echo, sizeof(struct ws_echo_conn), 0, 0, NULL, 0 },
	{ "loom-mirror", callback_ws_mirror, sizeof(struct mirror_conn), 0, 0, NULL, 0 },
	{ "loom-increment", callback_ws_increment, sizeof(struct increment_conn), 0, 0,
	  NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* the demo site: --root, else the source tree's copy, else the installed one */
static const char *
site_root(void)
{
	static const char *const candidates[] = { LOOM_TEST_SERVER_SITE_SRC,
						  LOOM_TEST_SERVER_SITE_INSTALL };
	unsigned int n;

	if (opts.root)
		return opts.root;
	for (n = 0; n < sizeof(candidates) / sizeof(candidates[0]); n++)
		if (!access(candidates[n], R_OK))
			return candidates[n];

	return ".";
}

/*
 * --heap-stats: every allocation Loom makes goes through loom_set_allocator()'s
 * hook; this one counts live blocks and bytes (and their peaks), the TLS
 * library's ("openssl", "mbedtls": process-wide state that lives until exit)
 * apart from Loom's own, and Loom's by the reason each block was allocated for.
 * "kill -USR1 PID" prints a "heap now:" line to stderr, then one indented line
 * per reason holding blocks; exit prints "heap at exit:" after the context is
 * destroyed, where Loom's own blocks must be 0. The signal only writes a byte to a pipe the loop serves, so
 * the report is made on the service thread.
 */
struct heap_hdr {
	union {
		struct {
			size_t size;
			const char *reason;	/* NULL: the TLS library's */
		} s;
		long double align_ld;
		long long align_ll;
		void *align_p;
	} u;
};

static struct {
	unsigned long blocks, peak_blocks, tls_blocks, allocs;
	size_t bytes, peak_bytes, tls_bytes;
} heap;
static int heap_pipe[2] = { -1, -1 };

/* live blocks by reason (Loom's reasons are static strings: the pointer is the
 * key); reasons past the table's size are counted as the last entry's */
#define HEAP_REASONS 96
static struct {
	const char *reason;
	long blocks, bytes;
} heap_by[HEAP_REASONS];

static void
heap_by_add(const char *reason, long blocks, long bytes)
{
	int n;

	for (n = 0; n < HEAP_REASONS - 1; n++) {
		if (!heap_by[n].reason)
			heap_by[n].reason = reason;
		if (heap_by[n].reason == reason)
			break;
	}
	if (n == HEAP_REASONS - 1)
		heap_by[n].reason = "(other reasons)";
	heap_by[n].blocks += blocks;
	heap_by[n].bytes += bytes;
}

static void *
heap_realloc(void *ptr, size_t size, const char *reason)
{
	struct heap_hdr *h = ptr ? (struct heap_hdr *)ptr - 1 : NULL, *nh;

	if (!size) {
		if (h) {
			if (!h->u.s.reason) {
				heap.tls_blocks--;
				heap.tls_bytes -= h->u.s.size;
			} else {
				heap.blocks--;
				heap.bytes -= h->u.s.size;
				heap_by_add(h->u.s.reason, -1, -(long)h->u.s.size);
			}
			free(h);
		}
		return NULL;
	}
	nh = realloc(h, sizeof(*nh) + size);
	if (!nh)
		return NULL;
	if (h) {
		if (!nh->u.s.reason)
			heap.tls_bytes -= nh->u.s.size;
		else {
			heap.bytes -= nh->u.s.size;
			heap_by_add(nh->u.s.reason, 0, -(long)nh->u.s.size);
		}
	} else {
		if (!reason)
			reason = "(none)";
		nh->u.s.reason = !strcmp(reason, "openssl") || !strcmp(reason, "mbedtls") ?
				 NULL : reason;
		if (!nh->u.s.reason)
			heap.tls_blocks++;
		else {
			heap.blocks++;
			heap_by_add(reason, 1, 0);
		}
		heap.allocs++;
	}
	nh->u.s.size = size;
	if (!nh->u.s.reason)
		heap.tls_bytes += size;
	else {
		heap_by_add(nh->u.s.reason, 0, (long)size);
		heap.bytes += size;
		if (heap.blocks > heap.peak_blocks)
			heap.peak_blocks = heap.blocks;
		if (heap.bytes > heap.peak_bytes)
			heap.peak_bytes = heap.bytes;
	}

	return nh + 1;
}

static void
heap_report(const char *when)
{
	fprintf(stderr, "heap %s: blocks=%lu bytes=%zu peak_blocks=%lu peak_bytes=%zu "
		"tls_blocks=%lu tls_bytes=%zu allocs=%lu\n", when, heap.blocks, heap.bytes,
		heap.peak_blocks, heap.peak_bytes, heap.tls_blocks, heap.tls_bytes,
		heap.allocs);
}

static void
heap_report_reasons(void)
{
	int n;

	for (n = 0; n < HEAP_REASONS && heap_by[n].reason; n++)
		if (heap_by[n].blocks)
			fprintf(stderr, "  %s: %ld blocks, %ld bytes\n", heap_by[n].reason,
				heap_by[n].blocks, heap_by[n].bytes);
}

static void
on_usr1(int sig)
{
	int e = errno;

	(void)sig;
	if (write(heap_pipe[1], "r", 1) < 0) {
		/* the pipe is full: a report is pending anyway */
	}
	errno = e;
}

static int
callback_heap(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	      void *in, size_t len)
{
	(void)conn;
	(void)user;
	(void)in;
	if (reason == LOOM_CB_RAW_RX_FILE && len) {
		heap_report("now");
		heap_report_reasons();
	}

	return 0;
}

static const struct loom_protocol heap_protocols[] = {
	{ "loom-heap-stats", callback_heap, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* the pipe SIGUSR1 writes to, served by the loop on a vhost of its own */
static int
heap_stats_start(void)
{
	struct loom_vhost_info vinfo;
	struct loom_vhost *vh;

	if (pipe(heap_pipe))
		return -1;
	(void)fcntl(heap_pipe[1], F_SETFL, fcntl(heap_pipe[1], F_GETFL) | O_NONBLOCK);
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.name = "heap-stats";
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = heap_protocols;
	vh = loom_create_vhost(ctx, &vinfo);
	if (!vh || !loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, heap_pipe[0], NULL, NULL))
		return -1;
	signal(SIGUSR1, on_usr1);

	return 0;
}

static void
on_signal(int sig)
{
	loom_stop(ctx);
}

static void
usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-p PORT] [--root DIR] [--raw-port PORT] [--iface ADDR]\n"
		"          [--unix PATH|@name] [-d LOGMASK] [--max-conns N]\n"
		"          [--max-unsent BYTES] [--max-body BYTES]\n"
		"  -p PORT        HTTP port (default 7681, 0 = pick a free one)\n"
		"  --root DIR     serve DIR instead of the demo site\n"
		"  --raw-port P   also a raw TCP echo service on P (0 = pick one)\n"
		"  --tls-port P   HTTPS port when --cert/--key are given (default 7682)\n"
		"  --cert FILE    PEM certificate (and chain) for HTTPS\n"
		"  --key FILE     its PEM private key\n"
		"  --h2-max-streams N  h2 streams open at once per connection (0 = 128)\n"
		"  --heap-stats   count Loom's allocations (its allocator hook): kill -USR1\n"
		"                 prints a \"heap now:\" line to stderr, exit \"heap at exit:\"\n"
		"  --no-ws-over-h2  do not offer WebSocket over HTTP/2 (RFC 8441)\n",
		argv0);
}

static int
parse_args(int argc, char **argv)
{
	int n;

	for (n = 1; n < argc; n++) {
		const char *a = argv[n], *v = n + 1 < argc ? argv[n + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(argv[0]);
			exit(0);
		}
		if (!strcmp(a, "--no-ws-over-h2")) {
			opts.no_ws_h2 = 1;
			continue;
		}
		if (!strcmp(a, "--heap-stats")) {
			opts.heap_stats = 1;
			continue;
		}
		if (!v) {
			usage(argv[0]);
			return -1;
		}
		n++;
		if (!strcmp(a, "-p"))
			opts.port = atoi(v);
		else if (!strcmp(a, "--raw-port"))
			opts.raw_port = atoi(v);
		else if (!strcmp(a, "--root"))
			opts.root = v;
		else if (!strcmp(a, "--max-body"))
			opts.max_body = (uint64_t)atoll(v);
		else if (!strcmp(a, "--iface"))
			opts.iface = v;
		else if (!strcmp(a, "--unix"))
			opts.unix_path = v;
		else if (!strcmp(a, "-d"))
			opts.loglevel = atoi(v);
		else if (!strcmp(a, "--max-conns"))
			opts.max_conns = (unsigned int)atoi(v);
		else if (!strcmp(a, "--max-unsent"))
			opts.max_unsent = (size_t)atol(v);
		else if (!strcmp(a, "--tls-port"))
			opts.tls_port = atoi(v);
		else if (!strcmp(a, "--cert"))
			opts.cert = v;
		else if (!strcmp(a, "--key"))
			opts.key = v;
		else if (!strcmp(a, "--h2-max-streams"))
			opts.h2_max_streams = (unsigned int)atoi(v);
		else {
			usage(argv[0]);
			return -1;
		}
	}

	return 0;
}

int
main(int argc, char **argv)
{
	struct loom_http_mount mounts[2];
	struct loom_http_vhost_info hinfo;
	struct loom_ws_vhost_info wsinfo;
	struct loom_h2_vhost_info h2info;
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_vhost *vh;
	int r;

	if (parse_args(argc, argv))
		return 2;
	loom_set_log_level(opts.loglevel, NULL);
	if (opts.heap_stats)
		/* before anything allocates, the TLS library included */
		loom_set_allocator(heap_realloc);

	memset(&info, 0, sizeof(info));
	info.max_conns = opts.max_conns;
	ctx = loom_create_context(&info);
	if (!ctx)
		return 1;

	memset(&h2info, 0, sizeof(h2info));
	h2info.max_concurrent_streams = opts.h2_max_streams;
	memset(&mounts, 0, sizeof(mounts));
	mounts[0].mountpoint = "/";
	mounts[0].origin = site_root();
	mounts[0].kind = LOOM_MOUNT_FILES;
	mounts[0].next = &mounts[1];
	mounts[1].mountpoint = "/post";
	mounts[1].origin = "loom-post";
	mounts[1].kind = LOOM_MOUNT_CALLBACK;
	memset(&hinfo, 0, sizeof(hinfo));
	hinfo.mounts = mounts;
	hinfo.max_body = opts.max_body;
	/* WebSocket on the same vhosts: a handshake naming no protocol gets echo */
	memset(&wsinfo, 0, sizeof(wsinfo));
	wsinfo.max_message = WS_MAX_MESSAGE;
	wsinfo.default_protocol = "loom-echo";

	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.name = "http";
	vinfo.port = opts.port;
	vinfo.iface = opts.iface;
	vinfo.unix_socket_path = opts.unix_path;
	vinfo.protocols = http_protocols;
	vinfo.http = &hinfo;
	vinfo.ws = &wsinfo;
	if (opts.no_ws_h2)
		h2info.options = LOOM_H2_OPT_NO_WEBSOCKET;
	vinfo.h2 = &h2info;
	vh = loom_create_vhost(ctx, &vinfo);
	if (!vh) {
		loom_context_destroy(ctx);
		return 1;
	}
	if (opts.unix_path)
		fprintf(stderr, "listening on unix %s\n", opts.unix_path);
	else
		fprintf(stderr, "listening on %d\n", loom_vhost_port(vh));

	if (opts.cert || opts.key) {
		/* the same site over TLS: a second vhost with a certificate */
		struct loom_tls_vhost_info tinfo;

		if (!opts.cert || !opts.key) {
			fprintf(stderr, "TLS needs both --cert and --key\n");
			loom_context_destroy(ctx);
			return 2;
		}
		memset(&tinfo, 0, sizeof(tinfo));
		tinfo.cert_path = opts.cert;
		tinfo.key_path = opts.key;
#if defined(LOOM_WITH_H2)
		tinfo.alpn = "h2,http/1.1";	/* h2 by ALPN, else HTTP/1.1 */
#else
		tinfo.alpn = "http/1.1";
#endif
		memset(&vinfo, 0, sizeof(vinfo));
		vinfo.name = "https";
		vinfo.port = opts.tls_port;
		vinfo.iface = opts.iface;
		vinfo.protocols = http_protocols;
		vinfo.http = &hinfo;
		vinfo.ws = &wsinfo;
		vinfo.h2 = &h2info;
		vinfo.tls = &tinfo;
		vh = loom_create_vhost(ctx, &vinfo);
		if (!vh) {
			loom_context_destroy(ctx);
			return 1;
		}
		fprintf(stderr, "listening on tls %d\n", loom_vhost_port(vh));
	}

	if (opts.raw_port >= 0) {
		memset(&vinfo, 0, sizeof(vinfo));
		vinfo.name = "raw-echo";
		vinfo.options = LOOM_VHOST_OPT_RAW;
		vinfo.port = opts.raw_port;
		vinfo.iface = opts.iface;
		vinfo.protocols = raw_protocols;
		vh = loom_create_vhost(ctx, &vinfo);
		if (!vh) {
			loom_context_destroy(ctx);
			return 1;
		}
		fprintf(stderr, "listening on raw %d\n", loom_vhost_port(vh));
	}

	if (opts.heap_stats && heap_stats_start()) {
		fprintf(stderr, "--heap-stats: cannot set up the SIGUSR1 pipe\n");
		loom_context_destroy(ctx);
		return 1;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	r = loom_run(ctx, 0);
	loom_context_destroy(ctx);
	mirror_free();
	fprintf(stderr, "ws connections: %lu over HTTP/1.1, %lu over HTTP/2\n", ws_count_h1,
		ws_count_h2);
	if (opts.heap_stats) {
		signal(SIGUSR1, SIG_IGN);
		close(heap_pipe[1]);
		heap_report("at exit");
		heap_report_reasons();
	}

	return r ? 1 : 0;
}
