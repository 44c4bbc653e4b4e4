/*
 * api-test-http-bad-input: the HTTP/1.1 server against hostile input over real
 * sockets: every request-smuggling ambiguity gets 400 and a close, each limit is
 * tested at its edge (414, 431, 413), unsupported codings and methods get 501, a
 * wrong version 505, a slow head is closed by its timeout, and a normal request on
 * another connection keeps working throughout.
 */
#include <loom.h>
#include "loom-test.h"

#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define MAX_URI		100
#define MAX_HEAD	1024
#define MAX_HEADERS	10
#define MAX_BODY	1000

static struct loom_context *ctx;
static int port;

struct pss {
	unsigned long body;
};

static int
cb_http(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	struct pss *p = user;
	char out[64];
	int n;

	switch (reason) {
	case LOOM_CB_HTTP:
		p->body = 0;
		break;
	case LOOM_CB_HTTP_BODY:
		p->body += len;
		break;
	case LOOM_CB_HTTP_BODY_COMPLETION:
		n = snprintf(out, sizeof(out), "ok %lu", p->body);
		return loom_http_respond_simple(conn, 200, "text/plain", out, (size_t)n);
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "http", cb_http, sizeof(struct pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void *
service(void *arg)
{
	loom_run(ctx, 0);

	return NULL;
}

static int
connect_srv(void)
{
	struct sockaddr_in sa;
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}

	return fd;
}

/* send a request, read until close: the status, and whether the server closed */
static int
exchange(const char *req, size_t len, char *resp, size_t rlen, int *closed)
{
	int fd = connect_srv(), status = -1;
	size_t got = 0;
	ssize_t n;

	*closed = 0;
	if (fd < 0)
		return -1;
	if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	shutdown(fd, SHUT_WR) ;
	while (got < rlen - 1 && (n = recv(fd, resp + got, rlen - 1 - got, 0)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	if (got < rlen - 1 && n == 0)
		*closed = 1;
	if (!strncmp(resp, "HTTP/1.1 ", 9))
		status = atoi(resp + 9);
	close(fd);

	return status;
}

/* like exchange() but keeps our side open: the server itself must close */
static int
exchange_open(const char *req, size_t len, int *closed)
{
	char resp[4096];
	int fd = connect_srv(), status = -1;
	size_t got = 0;
	ssize_t n = -1;

	*closed = 0;
	if (fd < 0)
		return -1;
	if (send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len)
		while (got < sizeof(resp) - 1 &&
		       (n = recv(fd, resp + got, sizeof(resp) - 1 - got, 0)) > 0)
			got += (size_t)n;
	resp[got] = '\0';
	*closed = n == 0;
	if (!strncmp(resp, "HTTP/1.1 ", 9))
		status = atoi(resp + 9);
	close(fd);

	return status;
}

static void
expect(const char *name, const char *req, int want_status, int want_close)
{
	int closed, st = exchange_open(req, strlen(req), &closed);

	if (st != want_status || (want_close && !closed))
		fprintf(stderr, "case '%s': status %d (want %d), closed %d\n", name, st,
			want_status, closed);
	LT_CHECK_EQ(st, want_status);
	if (want_close)
		LT_CHECK(closed);
}

/* a normal request on its own connection still works */
static void
still_ok(void)
{
	char resp[512];
	int closed;

	LT_CHECK_EQ(exchange("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n", 30, resp, sizeof(resp),
			     &closed), 200);
}

static void
make_request_with_target(char *buf, size_t len, size_t target_len)
{
	size_t n;

	memcpy(buf, "GET /", 5);
	for (n = 1; n < target_len; n++)
		buf[4 + n] = 'a';
	snprintf(buf + 4 + target_len, len - 4 - target_len,
		 " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
}

int
main(void)
{
	struct loom_http_vhost_info hinfo;
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_vhost *vh;
	char req[4096], resp[512];
	pthread_t th;
	int closed, n, fd;
	struct timespec t0, t1;

	memset(&info, 0, sizeof(info));
	memset(&hinfo, 0, sizeof(hinfo));
	memset(&vinfo, 0, sizeof(vinfo));
	hinfo.max_uri_len = MAX_URI;
	hinfo.max_head_bytes = MAX_HEAD;
	hinfo.max_headers = MAX_HEADERS;
	hinfo.max_body = MAX_BODY;
	hinfo.head_timeout_secs = 1;
	vinfo.iface = "127.0.0.1";
	vinfo.protocols = protocols;
	vinfo.http = &hinfo;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	vh = ctx ? loom_create_vhost(ctx, &vinfo) : NULL;
	LT_CHECK(vh != NULL);
	if (!vh)
		return lt_result("api-test-http-bad-input");
	port = loom_vhost_port(vh);
	pthread_create(&th, NULL, service, NULL);

	still_ok();

	/* request smuggling ambiguities: 400 and close */
	expect("CL+TE", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, 1);
	expect("dup CL differ", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	       "Content-Length: 6\r\n\r\nhello!", 400, 1);
	expect("CL sign", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello",
	       400, 1);
	expect("CL negative", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
	       400, 1);
	expect("CL space inside", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n"
	       "\r\n", 400, 1);
	expect("CL overflow", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: "
	       "99999999999999999999999\r\n\r\n", 400, 1);
	expect("chunk size not hex", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	       "chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400, 1);
	expect("chunk size 0x", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	       "chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400, 1);
	expect("chunk size overflow", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	       "chunked\r\n\r\n10000000000000000\r\nhello\r\n0\r\n\r\n", 400, 1);
	expect("obs-fold", "GET /ok HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400, 1);
	expect("space before colon", "GET /ok HTTP/1.1\r\nHost : a\r\n\r\n", 400, 1);
	memcpy(req, "GET /ok HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n", 40);
	n = exchange_open(req, 40, &closed);
	LT_CHECK_EQ(n, 400);
	LT_CHECK(closed);
	expect("bare CR", "GET /ok HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", 400, 1);
	expect("no Host", "GET /ok HTTP/1.1\r\n\r\n", 400, 1);
	expect("two Host", "GET /ok HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, 1);
	expect("TE not last chunked", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	       "chunked, gzip\r\n\r\n", 400, 1);
	expect("TE gzip", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, "
	       "chunked\r\n\r\n0\r\n\r\n", 501, 1);
	expect("HTTP/2.0", "GET /ok HTTP/2.0\r\nHost: a\r\n\r\n", 505, 1);
	expect("garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, 1);
	expect("unknown method", "BREW /ok HTTP/1.1\r\nHost: a\r\n\r\n", 501, 1);
	still_ok();

	/* absolute-form targets are served by their path */
	expect("absolute-form", "GET http://a/ok?x=1 HTTP/1.1\r\nHost: a\r\n"
	       "Connection: close\r\n\r\n", 200, 1);
	expect("absolute-form, no path", "GET http://a HTTP/1.1\r\nHost: a\r\n"
	       "Connection: close\r\n\r\n", 200, 1);

	/* limits at their edges */
	make_request_with_target(req, sizeof(req), MAX_URI);
	expect("URI at the limit", req, 200, 0);
	make_request_with_target(req, sizeof(req), MAX_URI + 1);
	expect("URI past the limit", req, 414, 1);

	/* MAX_HEADERS lines (Host + 9) pass, one more is 431 */
	n = snprintf(req, sizeof(req), "GET /ok HTTP/1.1\r\nHost: a\r\n");
	for (closed = 0; closed < MAX_HEADERS - 1; closed++)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "X-%d: v\r\n", closed);
	snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
	expect("headers at the limit", req, 200, 0);
	snprintf(req + n, sizeof(req) - (size_t)n, "X-last: v\r\n\r\n");
	expect("headers past the limit", req, 431, 1);

	/* the head exactly MAX_HEAD bytes passes; one more byte is 431 */
	n = snprintf(req, sizeof(req), "GET /ok HTTP/1.1\r\nHost: a\r\nX-Pad: ");
	while (n < MAX_HEAD - 4)
		req[n++] = 'p';
	memcpy(req + n, "\r\n\r\n", 5);
	LT_CHECK_EQ(strlen(req), MAX_HEAD);
	expect("head at the limit", req, 200, 0);
	memmove(req + 40, req + 39, strlen(req + 39) + 1);
	LT_CHECK_EQ(strlen(req), MAX_HEAD + 1);
	expect("head past the limit", req, 431, 1);

	/* body: MAX_BODY passes, one more byte is 413, by length and chunked */
	n = snprintf(req, sizeof(req), "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: "
		     "%d\r\n\r\n", MAX_BODY);
	memset(req + n, 'b', MAX_BODY);
	req[n + MAX_BODY] = '\0';
	expect("body at the limit", req, 200, 0);
	n = snprintf(req, sizeof(req), "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: "
		     "%d\r\n\r\n", MAX_BODY + 1);
	expect("body length past the limit", req, 413, 1);
	n = snprintf(req, sizeof(req), "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
		     "chunked\r\n\r\n%x\r\n", MAX_BODY + 1);
	memset(req + n, 'c', MAX_BODY + 1);
	snprintf(req + n + MAX_BODY + 1, sizeof(req) - (size_t)n - MAX_BODY - 1,
		 "\r\n0\r\n\r\n");
	expect("chunked body past the limit", req, 413, 1);
	still_ok();

	/* slowloris: a head that never ends is closed by the head timeout (1 s) */
	fd = connect_srv();
	LT_CHECK(fd >= 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	send(fd, "GET /ok HTTP/1.1\r\nHost: a\r\n", 27, MSG_NOSIGNAL);
	still_ok();		/* others are served meanwhile */
	n = (int)recv(fd, resp, sizeof(resp), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	LT_CHECK(n == 0 || (n < 0 && errno == ECONNRESET));
	n = (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	printf("slow head closed after %d ms\n", n);
	LT_CHECK(n >= 900 && n < 3000);
	close(fd);
	still_ok();

	loom_stop(ctx);
	pthread_join(th, NULL);
	loom_context_destroy(ctx);

	return lt_result("api-test-http-bad-input");
}
