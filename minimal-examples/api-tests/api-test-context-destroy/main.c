/*
 * api-test-context-destroy: loom_context_destroy() with accepted, client, connecting
 * and file conns and pending output gives each conn its close (or connection error)
 * once, PROTOCOL_DESTROY once per protocol per vhost, and frees every allocation.
 */
#include <loom.h>
#include "loom-test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

/* ---- a counting allocator: every block Loom takes must come back ---- */

static long live_blocks, total_allocs;

static void *
counting_realloc(void *ptr, size_t size, const char *reason)
{
	void *p;

	(void)reason;
	if (!size) {
		if (ptr)
			live_blocks--;
		free(ptr);
		return NULL;
	}
	p = realloc(ptr, size);
	if (p && !ptr) {
		live_blocks++;
		total_allocs++;
	}

	return p;
}

/* ---- what each conn went through ---- */

enum kind { K_ACCEPTED, K_CLIENT, K_CONNECTING, K_FAILED_AT_ONCE, K_FILE, K_CLOSE_IN_CB };

struct rec {
	enum kind kind;
	int opened;		/* adopt / connected */
	int closes, conn_errors;
	int after_destroy;	/* a callback after its protocol's PROTOCOL_DESTROY */
	int closed_inside_cb;	/* close callback while our own RX still ran */
	int used_after_close_call;
	int flushing;		/* closed normally with output still pending */
	struct loom_conn *conn;
};

#define MAX_RECS 32
static struct rec recs[MAX_RECS];
static int nrecs;

/* protocols: A1, A2 on vhost A; B on vhost B; C on the client vhost */
enum { P_A1, P_A2, P_B, P_C, P_COUNT };
static int p_init[P_COUNT], p_destroy[P_COUNT];

static unsigned char txbuf[LOOM_PRE + 64];
static unsigned char *bigbuf;
#define BIG_LEN (4u * 1024 * 1024)
static struct loom_conn *pending_conn, *flushing_conn;
static int in_rx_of_close_in_cb;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct rec *
new_rec(enum kind k)
{
	struct rec *r = nrecs < MAX_RECS ? &recs[nrecs++] : NULL;

	if (r)
		r->kind = k;
	return r;
}

static int
common_cb(int pidx, struct loom_conn *conn, enum loom_callback_reason reason,
	  void *in, size_t len)
{
	struct rec *r = conn ? loom_get_opaque_user_data(conn) : NULL;

	switch (reason) {
	case LOOM_CB_PROTOCOL_INIT:
		p_init[pidx]++;
		return 0;
	case LOOM_CB_PROTOCOL_DESTROY:
		p_destroy[pidx]++;
		return 0;
	case LOOM_CB_RAW_ADOPT:
		r = new_rec(K_ACCEPTED);
		if (!r)
			return -1;
		r->conn = conn;
		loom_set_opaque_user_data(conn, r);
		r->opened++;
		/*
		 * The first conn on A gets a big write its peer never reads; the second
		 * too, and is then closed normally, so it is still flushing at destroy.
		 */
		if (pidx == P_A1 && (!pending_conn || !flushing_conn)) {
			if (!pending_conn)
				pending_conn = conn;
			else
				flushing_conn = conn;
			loom_callback_on_writable(conn);
		}
		/* on B, greet each client */
		if (pidx == P_B)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_ADOPT_FILE:
	case LOOM_CB_RAW_CONNECTED:
		if (r)
			r->opened++;
		break;
	case LOOM_CB_RAW_WRITEABLE:
		if (conn == pending_conn || conn == flushing_conn) {
			if (loom_write(conn, bigbuf + LOOM_PRE, BIG_LEN, LOOM_WRITE_RAW) !=
			    (int)BIG_LEN)
				return -1;
			if (conn == flushing_conn) {
				r->flushing = 1;
				loom_close(conn, LOOM_CLOSE_NORMAL);
			}
		} else {
			memcpy(txbuf + LOOM_PRE, "hello", 5);
			if (loom_write(conn, txbuf + LOOM_PRE, 5, LOOM_WRITE_RAW) != 5)
				return -1;
		}
		break;
	case LOOM_CB_RAW_RX:
		if (r && r->kind == K_CLOSE_IN_CB && !r->closes) {
			/* close it from inside its own callback, then keep using it */
			in_rx_of_close_in_cb = 1;
			loom_close(conn, LOOM_CLOSE_NORMAL);
			if (loom_get_opaque_user_data(conn) == r && loom_get_fd(conn) >= 0 &&
			    loom_get_vhost(conn) != NULL)
				r->used_after_close_call++;
			loom_close(conn, LOOM_CLOSE_NORMAL);	/* twice is harmless */
			in_rx_of_close_in_cb = 0;
		}
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		if (r) {
			r->conn_errors++;
			if (p_destroy[pidx])
				r->after_destroy++;
		}
		break;
	case LOOM_CB_RAW_CLOSE:
	case LOOM_CB_RAW_CLOSE_FILE:
		if (r) {
			if (r->kind == K_CLOSE_IN_CB && in_rx_of_close_in_cb)
				r->closed_inside_cb++;
			r->closes++;
			if (p_destroy[pidx])
				r->after_destroy++;
		}
		break;
	default:
		break;
	}

	return 0;
}

static int
cb_a1(struct loom_conn *c, enum loom_callback_reason r, void *u, void *in, size_t l)
{
	return common_cb(P_A1, c, r, in, l);
}

static int
cb_a2(struct loom_conn *c, enum loom_callback_reason r, void *u, void *in, size_t l)
{
	return common_cb(P_A2, c, r, in, l);
}

static int
cb_b(struct loom_conn *c, enum loom_callback_reason r, void *u, void *in, size_t l)
{
	return common_cb(P_B, c, r, in, l);
}

static int
cb_c(struct loom_conn *c, enum loom_callback_reason r, void *u, void *in, size_t l)
{
	return common_cb(P_C, c, r, in, l);
}

static const struct loom_protocol protos_a[] = {
	{ "a1", cb_a1, 64, 0, 0, NULL, 0 },
	{ "a2", cb_a2, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static const struct loom_protocol protos_b[] = {
	{ "b", cb_b, 32, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
static const struct loom_protocol protos_c[] = {
	{ "c", cb_c, 128, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static int
tcp_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

	return fd;
}

static struct loom_conn *
client(struct loom_context *ctx, struct loom_vhost *cvh, const char *address, int port,
       enum kind k)
{
	struct loom_client_connect_info cc;
	struct rec *r = new_rec(k);

	if (!r)
		return NULL;
	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = cvh;
	cc.address = address;
	cc.port = port;
	cc.flags = LOOM_CONNECT_RAW;
	cc.opaque_user_data = r;
	cc.pconn = &r->conn;

	return loom_client_connect(&cc);
}

static struct loom_vhost *
vhost(struct loom_context *ctx, const char *name, unsigned int opts,
      const struct loom_protocol *p)
{
	struct loom_vhost_info vi;

	memset(&vi, 0, sizeof(vi));
	vi.name = name;
	vi.options = opts;
	vi.iface = "127.0.0.1";
	vi.protocols = p;

	return loom_create_vhost(ctx, &vi);
}

/* a listener that never accepts, with its queue full: connects to it hang */
static int
full_listener(int *port, int *fill, int *nfill)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), pending = 0;

	*nfill = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 0) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl)) {
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	while (*nfill < 8 && !pending) {
		struct pollfd pf;
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (fd < 0)
			break;
		fill[(*nfill)++] = fd;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS)
			break;
		pf.fd = fd;
		pf.events = POLLOUT;
		pending = poll(&pf, 1, 100) == 0;
	}

	return lfd;
}

static struct rec *
find_kind(enum kind k)
{
	int i;

	for (i = 0; i < nrecs; i++)
		if (recs[i].kind == k)
			return &recs[i];

	return NULL;
}

static struct rec *
find_flushing(void)
{
	int i;

	for (i = 0; i < nrecs; i++)
		if (recs[i].flushing)
			return &recs[i];

	return NULL;
}

static int
count_kind(enum kind k, int opened)
{
	int i, n = 0;

	for (i = 0; i < nrecs; i++)
		n += recs[i].kind == k && (!opened || recs[i].opened);

	return n;
}

int
main(void)
{
	struct loom_context_info ci;
	struct loom_context *ctx;
	struct loom_vhost *va, *vb, *vc;
	struct rec *fr;
	int plain[3] = { -1, -1, -1 }, fill[8], nfill = 0, lfd = -1, pipefd[2] = { -1, -1 };
	int i, hang_port = -1;
	char nobody[80];
	long long end;

	loom_set_allocator(counting_realloc);
	bigbuf = malloc(LOOM_PRE + BIG_LEN);
	if (!bigbuf)
		return 1;
	memset(bigbuf, 'x', LOOM_PRE + BIG_LEN);

	memset(&ci, 0, sizeof(ci));
	ci.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		goto out;
	va = vhost(ctx, "A", LOOM_VHOST_OPT_RAW, protos_a);
	vb = vhost(ctx, "B", LOOM_VHOST_OPT_RAW, protos_b);
	vc = vhost(ctx, "C", LOOM_VHOST_OPT_NO_LISTEN, protos_c);
	LT_CHECK(va && vb && vc);
	if (!va || !vb || !vc)
		goto destroy;

	/*
	 * Three plain peers on A that never read: the first is left with 4 MiB
	 * pending, the second also gets 4 MiB and is closed normally (flushing).
	 */
	for (i = 0; i < 3; i++)
		plain[i] = tcp_connect(loom_vhost_port(va));
	/* two Loom clients on B, and one that closes itself inside its RX */
	client(ctx, vc, "127.0.0.1", loom_vhost_port(vb), K_CLIENT);
	client(ctx, vc, "127.0.0.1", loom_vhost_port(vb), K_CLIENT);
	client(ctx, vc, "127.0.0.1", loom_vhost_port(vb), K_CLOSE_IN_CB);
	/* a pipe read end as a raw-file conn */
	if (!pipe(pipefd)) {
		fr = new_rec(K_FILE);
		fr->conn = loom_adopt_descriptor(vb, LOOM_ADOPT_FILE, pipefd[0], NULL, fr);
		LT_CHECK(fr->conn != NULL);
		if (!fr->conn)
			close(pipefd[0]);
	}
	end = now_ms() + 3000;
	while (now_ms() < end && (count_kind(K_ACCEPTED, 1) < 6 ||
				  count_kind(K_CLIENT, 1) < 2 ||
				  !find_kind(K_CLOSE_IN_CB)->closes || !pending_conn ||
				  !loom_pending_output(pending_conn) || !find_flushing()))
		loom_service(ctx, 5);
	/* 3 on A + 3 on B accepted; clients connected; one closed in its callback */
	LT_CHECK_EQ(count_kind(K_ACCEPTED, 1), 6);
	LT_CHECK_EQ(count_kind(K_CLIENT, 1), 2);
	LT_CHECK(pending_conn && loom_pending_output(pending_conn) > 0);
	/* the flushing one has not closed yet: its peer does not read */
	fr = find_flushing();
	LT_CHECK(fr != NULL);
	if (fr) {
		LT_CHECK_EQ(fr->closes, 0);
		LT_CHECK(!fr->closes && loom_pending_output(fr->conn) > 0);
	}
	fr = find_kind(K_CLOSE_IN_CB);
	LT_CHECK_EQ(fr->opened, 1);
	LT_CHECK_EQ(fr->closes, 1);
	LT_CHECK_EQ(fr->closed_inside_cb, 0);
	LT_CHECK_EQ(fr->used_after_close_call, 1);

	/* a client still connecting: the server's queue is full, its SYN is dropped */
	lfd = full_listener(&hang_port, fill, &nfill);
	LT_CHECK(lfd >= 0);
	if (lfd >= 0)
		LT_CHECK(client(ctx, vc, "127.0.0.1", hang_port, K_CONNECTING) != NULL);
	end = now_ms() + 100;
	while (now_ms() < end)
		loom_service(ctx, 5);
	/*
	 * And one whose every address failed at once (a Unix connect fails inside
	 * connect()): it has no fd, and the loop has not reported its error yet.
	 */
	snprintf(nobody, sizeof(nobody), "unix:@loom-api-test-context-destroy-%d",
		 (int)getpid());
	LT_CHECK(client(ctx, vc, nobody, 0, K_FAILED_AT_ONCE) != NULL);
	LT_CHECK_EQ(count_kind(K_CONNECTING, 1) + count_kind(K_FAILED_AT_ONCE, 1), 0);
	LT_CHECK_EQ(find_kind(K_FAILED_AT_ONCE)->conn_errors, 0);

destroy:
	loom_context_destroy(ctx);

	/* every conn ended exactly once, the right way, before its protocol went */
	for (i = 0; i < nrecs; i++) {
		struct rec *r = &recs[i];

		if (r->opened) {
			LT_CHECK_EQ(r->closes, 1);
			LT_CHECK_EQ(r->conn_errors, 0);
		} else {
			LT_CHECK_EQ(r->conn_errors, 1);
			LT_CHECK_EQ(r->closes, 0);
		}
		LT_CHECK_EQ(r->after_destroy, 0);
	}
	LT_CHECK_EQ(count_kind(K_CONNECTING, 0), 1);
	LT_CHECK_EQ(count_kind(K_FAILED_AT_ONCE, 0), 1);
	for (i = 0; i < P_COUNT; i++) {
		LT_CHECK_EQ(p_init[i], 1);
		LT_CHECK_EQ(p_destroy[i], 1);
	}

out:
	/* nothing Loom allocated is left */
	fprintf(stderr, "%ld allocations, %ld blocks left\n", total_allocs, live_blocks);
	LT_CHECK_EQ(live_blocks, 0);
	loom_set_allocator(NULL);
	for (i = 0; i < 3; i++)
		if (plain[i] >= 0)
			close(plain[i]);
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	if (lfd >= 0)
		close(lfd);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	free(bigbuf);

	return lt_result("api-test-context-destroy");
}
