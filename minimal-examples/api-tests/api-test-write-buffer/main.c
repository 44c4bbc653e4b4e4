/*
 * api-test-write-buffer: one 8 MiB loom_write() to a slow reader is taken whole,
 * shows as pending output, and the next WRITEABLE comes only once it is flushed;
 * the bytes arrive intact. A close with LOOM_CLOSE_NORMAL flushes pending output first.
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
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define BIG_LEN		(8u * 1024 * 1024)
#define TRAILER		"--end of the big write--"
#define TRAILER_LEN	(sizeof(TRAILER) - 1)
#define CLOSE_LEN	(2u * 1024 * 1024)

/* what the test asks of each accepted conn, by accept order */
enum mode { M_BIG, M_CLOSE_NORMAL };

struct pss {
	enum mode mode;
	int writeables;
};

struct result {
	int adopts, closes;
	int write_ret;			/* loom_write() of the big buffer */
	int choked_after;		/* loom_send_pipe_choked() right after */
	size_t pending_after;		/* loom_pending_output() right after */
	int early_writeable;		/* a WRITEABLE while output was pending */
	size_t pending_in_second;	/* loom_pending_output() in the next WRITEABLE */
	int second_writeable;
	struct loom_conn *big_conn;
	int write_after_close;		/* loom_write() after loom_close() */
	int writable_after_close;	/* loom_callback_on_writable() after it */
};

static struct result res;
static unsigned char txbuf[LOOM_PRE + 4];

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned char
pat(size_t i)
{
	return (unsigned char)((i * 31) ^ (i >> 12));
}

/* a buffer of exactly LOOM_PRE + len bytes (ASan sees any access outside it) */
static unsigned char *
make_buf(size_t len)
{
	unsigned char *b = malloc(LOOM_PRE + len);
	size_t i;

	if (!b)
		return NULL;
	memset(b, 0xa5, LOOM_PRE);
	for (i = 0; i < len; i++)
		b[LOOM_PRE + i] = pat(i);

	return b;
}

static int
cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
   void *in, size_t len)
{
	struct pss *pss = user;
	unsigned char *b;
	int n;

	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		pss->mode = res.adopts++ ? M_CLOSE_NORMAL : M_BIG;
		if (pss->mode == M_BIG)
			res.big_conn = conn;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		pss->writeables++;
		if (pss->mode == M_CLOSE_NORMAL) {
			b = make_buf(CLOSE_LEN);
			if (!b)
				return -1;
			n = loom_write(conn, b + LOOM_PRE, CLOSE_LEN, LOOM_WRITE_RAW);
			free(b);
			if (n != (int)CLOSE_LEN)
				return -1;
			/* most of it is still pending: a normal close sends it first */
			loom_close(conn, LOOM_CLOSE_NORMAL);
			/* and from now on the conn takes no more user I/O */
			memcpy(txbuf, "late", 4);
			res.write_after_close = loom_write(conn, txbuf, 4, LOOM_WRITE_RAW);
			res.writable_after_close = loom_callback_on_writable(conn);
			break;
		}
		if (pss->writeables == 1) {
			b = make_buf(BIG_LEN);
			if (!b)
				return -1;
			res.write_ret = loom_write(conn, b + LOOM_PRE, BIG_LEN,
						   LOOM_WRITE_RAW);
			res.choked_after = loom_send_pipe_choked(conn);
			res.pending_after = loom_pending_output(conn);
			/* Loom keeps its own copy: the buffer can go at once */
			free(b);
			loom_callback_on_writable(conn);
			break;
		}
		if (pss->writeables == 2) {
			res.second_writeable = 1;
			res.pending_in_second = loom_pending_output(conn);
			if (loom_send_pipe_choked(conn))
				res.early_writeable++;
			b = make_buf(TRAILER_LEN);
			if (!b)
				return -1;
			memcpy(b + LOOM_PRE, TRAILER, TRAILER_LEN);
			n = loom_write(conn, b + LOOM_PRE, TRAILER_LEN, LOOM_WRITE_RAW);
			free(b);
			if (n != (int)TRAILER_LEN)
				return -1;
		}
		break;
	case LOOM_CB_RAW_CLOSE:
		res.closes++;
		if (conn == res.big_conn)
			res.big_conn = NULL;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "writer", cb, sizeof(struct pss), 0, 0, NULL, 0 },
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

struct reader {
	size_t got, bad_at;	/* bad_at: first wrong byte + 1 */
	int eof;
	const char *trailer;	/* expected after \p len pattern bytes, or NULL */
	size_t len;
};

/* read at most \p max bytes and check them against what is expected */
static void
read_some(int fd, struct reader *r, size_t max)
{
	unsigned char buf[65536];
	size_t i;
	ssize_t n;

	if (max > sizeof(buf))
		max = sizeof(buf);
	n = recv(fd, buf, max, 0);
	if (!n) {
		r->eof = 1;
		return;
	}
	if (n < 0)
		return;
	for (i = 0; i < (size_t)n && !r->bad_at; i++) {
		size_t at = r->got + i;
		unsigned char want;

		if (at < r->len)
			want = pat(at);
		else if (r->trailer && at - r->len < strlen(r->trailer))
			want = (unsigned char)r->trailer[at - r->len];
		else {
			r->bad_at = at + 1;	/* more than was sent */
			break;
		}
		if (buf[i] != want)
			r->bad_at = at + 1;
	}
	r->got += (size_t)n;
}

int
main(void)
{
	struct loom_context_info ci;
	struct loom_vhost_info vi;
	struct loom_context *ctx;
	struct loom_vhost *vh;
	struct reader big = { 0, 0, 0, TRAILER, BIG_LEN };
	struct reader cl = { 0, 0, 0, NULL, CLOSE_LEN };
	size_t last_pending = (size_t)-1;
	int fd = -1, fd2 = -1, port, pending_grew = 0, samples = 0;
	long long end;

	memset(&ci, 0, sizeof(ci));
	ci.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-write-buffer");
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.iface = "127.0.0.1";
	vi.protocols = protocols;
	vh = loom_create_vhost(ctx, &vi);
	LT_CHECK(vh != NULL);
	port = loom_vhost_port(vh);
	if (!vh || port <= 0)
		goto done;

	/* 1: one big write to a client that does not read yet */
	fd = tcp_connect(port);
	LT_CHECK(fd >= 0);
	if (fd < 0)
		goto done;
	end = now_ms() + 2000;
	while (now_ms() < end && !res.write_ret)
		loom_service(ctx, 5);
	LT_CHECK_EQ(res.write_ret, (int)BIG_LEN);
	LT_CHECK(res.choked_after);
	LT_CHECK(res.pending_after > 0 && res.pending_after <= BIG_LEN);
	fprintf(stderr, "after the write: %zu of %u bytes pending\n", res.pending_after,
		BIG_LEN);

	/* while nobody reads, it stays pending and no WRITEABLE comes */
	end = now_ms() + 100;
	while (now_ms() < end)
		loom_service(ctx, 5);
	LT_CHECK_EQ(res.second_writeable, 0);
	LT_CHECK(res.big_conn && loom_send_pipe_choked(res.big_conn));

	/* a slow reader: 64 KiB per turn of the loop; pending output only shrinks */
	end = now_ms() + 10000;
	while (now_ms() < end && !big.eof && big.got < BIG_LEN + TRAILER_LEN) {
		read_some(fd, &big, 65536);
		loom_service(ctx, 1);
		if (res.big_conn && !res.second_writeable) {
			size_t p = loom_pending_output(res.big_conn);

			if (p > last_pending)
				pending_grew++;
			last_pending = p;
			samples++;
		}
	}
	LT_CHECK_EQ(big.got, BIG_LEN + TRAILER_LEN);
	LT_CHECK_EQ(big.bad_at, 0);
	LT_CHECK_EQ(res.second_writeable, 1);
	LT_CHECK_EQ(res.pending_in_second, 0);
	LT_CHECK_EQ(res.early_writeable, 0);
	LT_CHECK_EQ(pending_grew, 0);
	LT_CHECK(samples > 2);
	if (res.big_conn) {
		LT_CHECK_EQ(loom_pending_output(res.big_conn), 0);
		LT_CHECK(!loom_send_pipe_choked(res.big_conn));
	}

	/* 2: write 2 MiB then close normally: all of it arrives, then EOF */
	fd2 = tcp_connect(port);
	LT_CHECK(fd2 >= 0);
	end = now_ms() + 10000;
	while (fd2 >= 0 && now_ms() < end && !cl.eof) {
		read_some(fd2, &cl, 65536);
		loom_service(ctx, 1);
	}
	LT_CHECK(cl.eof);
	LT_CHECK_EQ(res.write_after_close, LOOM_ECLOSED);
	LT_CHECK_EQ(res.writable_after_close, LOOM_ECLOSED);
	LT_CHECK_EQ(cl.got, CLOSE_LEN);
	LT_CHECK_EQ(cl.bad_at, 0);
	LT_CHECK_EQ(res.adopts, 2);
	LT_CHECK_EQ(res.closes, 1);

	close(fd);
	fd = -1;
	end = now_ms() + 2000;
	while (now_ms() < end && res.closes < 2)
		loom_service(ctx, 5);
	LT_CHECK_EQ(res.closes, 2);

done:
	if (fd >= 0)
		close(fd);
	if (fd2 >= 0)
		close(fd2);
	loom_context_destroy(ctx);
	LT_CHECK_EQ(res.closes, res.adopts);

	return lt_result("api-test-write-buffer");
}
