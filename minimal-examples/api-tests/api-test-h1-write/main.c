/*
 * api-test-h1-write: loom_write() with LOOM_WRITE_HTTP and LOOM_WRITE_HTTP_FINAL on
 * an HTTP/1.1 server connection means what it means on an h2 stream: response
 * body, as loom_http_write_body() takes it. The head loom_http_respond() built goes
 * out first, the body is framed (chunked when the length is unknown), the final
 * piece ends the response so the connection serves the next request, and each
 * write returns the caller's length. A ws kind is LOOM_EINVAL, and so is an HTTP
 * write before any response was started. A plain socket is the client; two
 * requests on one connection: /len (Content-Length) then /chunked.
 */
#include <loom.h>
#include "loom-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PIECE		3000
#define PIECES		3
#define TAIL		1000
#define BODY		(PIECES * PIECE + TAIL)

static struct loom_context *ctx;
static int writes_bad, writes_ok, bad_kind = 1, early = 1;

struct pss {
	int pieces;
};

static int
cb_http(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
	size_t len)
{
	static unsigned char buf[LOOM_PRE + PIECE];
	struct pss *ps = user;
	const char *path;
	int r;

	(void)in;
	(void)len;
	switch (reason) {
	case LOOM_CB_HTTP:
		ps->pieces = 0;
		/* nothing started: not a body yet */
		memcpy(buf + LOOM_PRE, "x", 1);
		early = loom_write(conn, buf + LOOM_PRE, 1, LOOM_WRITE_HTTP);
		path = loom_http_path(conn);
		if (loom_http_respond(conn, 200, "application/octet-stream",
				      path && !strcmp(path, "/chunked") ?
				      LOOM_HTTP_LEN_UNKNOWN : BODY))
			return -1;
		return loom_callback_on_writable(conn) < 0 ? -1 : 0;
	case LOOM_CB_HTTP_WRITEABLE: {
		int last = ps->pieces == PIECES;
		size_t n = last ? TAIL : PIECE;

		memset(buf + LOOM_PRE, 'a' + ps->pieces, n);
		if (!ps->pieces)
			bad_kind = loom_write(conn, buf + LOOM_PRE, 1, LOOM_WRITE_TEXT);
		r = loom_write(conn, buf + LOOM_PRE, n,
			       last ? LOOM_WRITE_HTTP_FINAL : LOOM_WRITE_HTTP);
		*(r == (int)n ? &writes_ok : &writes_bad) += 1;
		if (last)
			return 0;
		ps->pieces++;
		return loom_callback_on_writable(conn) < 0 ? -1 : 0;
	}
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "h1-write", cb_http, sizeof(struct pss), 0, 0, NULL, 0 }, LOOM_PROTOCOL_LIST_TERM
};

/* service and read until \p want bytes are in \p buf or 5 s pass */
static size_t
read_some(int fd, char *buf, size_t max, size_t want)
{
	loom_usec_t end = loom_now_usecs() + 5000000;
	size_t got = 0;

	while (got < want && loom_now_usecs() < end) {
		ssize_t n;

		loom_service(ctx, 5);
		n = recv(fd, buf + got, max - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		else if (!n)
			break;
	}

	return got;
}

/* the body \p b of one response as the server wrote it: pieces a, b, c, then d */
static int
body_ok(const char *b, size_t len)
{
	size_t k;

	if (len != BODY)
		return 0;
	for (k = 0; k < BODY; k++)
		if (b[k] != 'a' + (int)(k / PIECE))
			return 0;

	return 1;
}

/* de-chunk \p in (len bytes, a whole chunked body) into \p out; its length, or -1 */
static long
dechunk(const char *in, size_t len, char *out, size_t max, size_t *used)
{
	size_t o = 0, i = 0;

	for (;;) {
		char *e;
		unsigned long n = strtoul(in + i, &e, 16);

		if (e == in + i || (size_t)(e - in) + 2 > len || memcmp(e, "\r\n", 2))
			return -1;
		i = (size_t)(e - in) + 2;
		if (!n)
			break;
		if (i + n + 2 > len || o + n > max || memcmp(in + i + n, "\r\n", 2))
			return -1;
		memcpy(out + o, in + i, n);
		o += n;
		i += n + 2;
	}
	if (i + 2 > len || memcmp(in + i, "\r\n", 2))
		return -1;
	*used = i + 2;

	return (long)o;
}

/* a plain socket connected to \p port on 127.0.0.1, or -1 */
static int
dial(int port)
{
	struct sockaddr_in sa = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		fd = -1;
	}

	return fd;
}

/* reads until rx[0..*got) holds a whole 200 head; its length, or 0 */
static size_t
read_head(int fd, char *rx, size_t max, size_t *got)
{
	char *e;

	while (!(rx[*got] = '\0', e = strstr(rx, "\r\n\r\n"))) {
		size_t n = read_some(fd, rx + *got, max - 1 - *got, 1);

		if (!n)
			break;
		*got += n;
	}
	LT_CHECK(!strncmp(rx, "HTTP/1.1 200 ", 13));
	LT_CHECK(e != NULL);

	return e ? (size_t)(e + 4 - rx) : 0;
}

static void
check_responses(int fd)
{
	static char rx[65536], body[BODY + 16];
	size_t got = 0, hl, used = 0;
	long bl;

	/* 1: Content-Length: the head first, then exactly the body */
	hl = read_head(fd, rx, sizeof(rx), &got);
	if (!hl)
		return;
	LT_CHECK(strstr(rx, "\r\ncontent-length: 10000\r\n") ||
		 strstr(rx, "\r\nContent-Length: 10000\r\n"));
	if (got < hl + BODY)
		got += read_some(fd, rx + got, sizeof(rx) - 1 - got, hl + BODY - got);
	LT_CHECK(got >= hl + BODY && body_ok(rx + hl, BODY));
	printf("/len: head then %d body bytes\n", (int)(got - hl));
	if (got < hl + BODY)
		return;

	/* 2: the connection goes on (the final piece ended the response): chunked */
	memmove(rx, rx + hl + BODY, got - hl - BODY);
	got -= hl + BODY;
	hl = read_head(fd, rx, sizeof(rx), &got);
	if (!hl)
		return;
	LT_CHECK(strstr(rx, "chunked") && strstr(rx, "chunked") < rx + hl);
	got += read_some(fd, rx + got, sizeof(rx) - 1 - got, hl + BODY + 64 - got);
	bl = dechunk(rx + hl, got - hl, body, sizeof(body), &used);
	LT_CHECK(bl == BODY && body_ok(body, BODY));
	printf("/chunked: head then %ld body bytes in chunks\n", bl);
}

int
main(void)
{
	const char *req = "GET /len HTTP/1.1\r\nHost: x\r\n\r\n"
			  "GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n";
	struct loom_context_info info = { 0 };
	struct loom_vhost_info vi = { 0 };
	struct loom_vhost *vh = NULL;
	int fd = -1;

	ctx = loom_create_context(&info);
	vi.name = "h1";
	vi.iface = "127.0.0.1";
	vi.protocols = protocols;
	if (ctx)
		vh = loom_create_vhost(ctx, &vi);
	if (vh)
		fd = dial(loom_vhost_port(vh));
	LT_CHECK(ctx && vh && fd >= 0);
	if (fd >= 0 && send(fd, req, strlen(req), 0) == (ssize_t)strlen(req))
		check_responses(fd);
	LT_CHECK_EQ(writes_ok, 2 * (PIECES + 1));
	LT_CHECK_EQ(writes_bad, 0);
	LT_CHECK_EQ(bad_kind, LOOM_EINVAL);
	LT_CHECK_EQ(early, LOOM_EINVAL);
	if (fd >= 0)
		close(fd);
	loom_context_destroy(ctx);

	return lt_result("api-test-h1-write");
}
