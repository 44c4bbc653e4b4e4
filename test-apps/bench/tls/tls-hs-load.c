/*
 * tls-hs-load: the handshake load of test-apps/bench/tls/run.sh.  CONNS
 * connections at a time, each a new TCP connection and a full TLS handshake (no
 * session is ever offered again), one HTTP/1.1 GET, the whole response read
 * (Content-Length), then closed by us, so a server that keeps the connection
 * open (lws ignores "Connection: close") is measured the same way as one that
 * closes.  Built by run.sh against the system's OpenSSL, not against Loom.
 *
 *   tls-hs-load PORT PATH CONNS TOTAL [1.2]
 *
 * TLS 1.3 (the server's suite choice); with "1.2", TLS 1.2 with
 * ECDHE-ECDSA-AES128-GCM-SHA256 only (to meet a TLS 1.2 server on equal terms).
 *
 * Prints "done N errors E seconds S rate R" and exits 0 only if all TOTAL
 * requests got a 200 with their whole body.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct slot {
	SSL *ssl;
	int fd, sent;
	size_t got, need;	/* bytes of response read; total expected (0: unknown) */
	char buf[4096];
};

static SSL_CTX *sctx;
static struct sockaddr_in sa;
static int ep, started, total, done, errors;
static char req[512];
static size_t req_len;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
slot_close(struct slot *s)
{
	if (s->ssl)
		SSL_free(s->ssl);
	if (s->fd >= 0)
		close(s->fd);
	s->ssl = NULL;
	s->fd = -1;
}

static int
slot_start(struct slot *s)
{
	struct epoll_event ev;
	int one = 1;

	if (started >= total)
		return 0;
	started++;
	memset(s, 0, offsetof(struct slot, buf));
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->fd < 0)
		return -1;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS)
		return -1;
	s->ssl = SSL_new(sctx);
	if (!s->ssl)
		return -1;
	SSL_set_fd(s->ssl, s->fd);
	SSL_set_connect_state(s->ssl);
	SSL_set_tlsext_host_name(s->ssl, "localhost");
	ev.events = EPOLLOUT;	/* the connect */
	ev.data.ptr = s;

	return epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
}

/* the response so far is complete: status 200 and Content-Length bytes of body */
static int
response_complete(struct slot *s)
{
	const char *e, *cl;

	s->buf[s->got < sizeof(s->buf) ? s->got : sizeof(s->buf) - 1] = '\0';
	e = strstr(s->buf, "\r\n\r\n");
	if (!e)
		return 0;
	if (strncmp(s->buf, "HTTP/1.1 200", 12))
		return -1;
	if (!s->need) {
		cl = strcasestr(s->buf, "\r\ncontent-length:");
		if (!cl || cl > e)
			return -1;
		s->need = (size_t)(e + 4 - s->buf) + strtoul(cl + 17, NULL, 10);
	}

	return s->got >= s->need;
}

/* drive one slot; 1 when its request is done, 0 to wait, -1 on error */
static int
slot_step(struct slot *s)
{
	int r;

	if (!s->sent) {
		r = SSL_write(s->ssl, req, (int)req_len);	/* runs the handshake */
		if (r <= 0) {
			r = SSL_get_error(s->ssl, r);
			return r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE ? 0 : -1;
		}
		s->sent = 1;
	}
	for (;;) {
		char tmp[4096];

		r = SSL_read(s->ssl, tmp, sizeof(tmp));
		if (r <= 0) {
			r = SSL_get_error(s->ssl, r);
			return r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE ? 0 : -1;
		}
		if (s->got < sizeof(s->buf) - 1) {
			size_t n = (size_t)r;

			if (n > sizeof(s->buf) - 1 - s->got)
				n = sizeof(s->buf) - 1 - s->got;
			memcpy(s->buf + s->got, tmp, n);
		}
		s->got += (size_t)r;
		r = response_complete(s);
		if (r)
			return r;
	}
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[64];
	struct slot *slots;
	double t0;
	int conns, k, n;

	if (argc != 5 && !(argc == 6 && !strcmp(argv[5], "1.2"))) {
		fprintf(stderr, "usage: %s PORT PATH CONNS TOTAL [1.2]\n", argv[0]);
		return 2;
	}
	conns = atoi(argv[3]);
	total = atoi(argv[4]);
	if (conns < 1 || total < 1)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	req_len = (size_t)snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n"
				   "Connection: close\r\n\r\n", argv[2]);
	sctx = SSL_CTX_new(TLS_client_method());
	if (!sctx)
		return 1;
	if (argc == 6) {
		SSL_CTX_set_min_proto_version(sctx, TLS1_2_VERSION);
		SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION);
		if (SSL_CTX_set_cipher_list(sctx, "ECDHE-ECDSA-AES128-GCM-SHA256") != 1)
			return 1;
	} else
		SSL_CTX_set_min_proto_version(sctx, TLS1_3_VERSION);
	SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(sctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_alpn_protos(sctx, (const unsigned char *)"\x08http/1.1", 9);
	ep = epoll_create1(0);
	slots = calloc((size_t)conns, sizeof(*slots));
	if (ep < 0 || !slots)
		return 1;
	t0 = now_s();
	for (k = 0; k < conns; k++) {
		slots[k].fd = -1;
		if (slot_start(&slots[k]))
			errors++;
	}
	while (done + errors < total) {
		n = epoll_wait(ep, evs, 64, 10000);
		if (n <= 0) {
			fprintf(stderr, "tls-hs-load: no progress for 10 s\n");
			break;
		}
		for (k = 0; k < n; k++) {
			struct slot *s = evs[k].data.ptr;
			int r = slot_step(s);

			if (!r) {
				/* wait for what OpenSSL waits for, not a busy POLLOUT */
				struct epoll_event ev;

				ev.events = SSL_want_write(s->ssl) ? EPOLLOUT : EPOLLIN;
				ev.data.ptr = s;
				epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
				continue;
			}
			if (r > 0)
				done++;
			else {
				errors++;
				ERR_clear_error();
			}
			slot_close(s);
			if (slot_start(s))
				errors++;
		}
	}
	t0 = now_s() - t0;
	printf("done %d errors %d seconds %.3f rate %.1f\n", done, errors, t0, done / t0);

	return done == total && !errors ? 0 : 1;
}
