/*
 * fuzz-mqtt-client.c: the MQTT client role whole (lib/roles/mqtt/client.c), not
 * only its codec: a Loom client connects to a plain TCP socket the harness
 * listens on itself (no listening vhost, so a client-only library, built with
 * LOOM_WITH_SERVER=OFF, runs it too), which answers CONNECT with the fuzz input,
 * then closes. The client has a QoS 1
 * and a QoS 2 publish and a SUBSCRIBE in flight (ids 1, 2, 3) and replies to what
 * it gets, so acks, aliases, QoS 2 flows and errors all run; every input must end
 * with the client closed (or refused) and nothing left allocated.
 *
 * Input: [mode] stream...   mode & 1: MQTT 5 (else 3.1.1); mode & 2: the input is
 * sent in two writes (split at the middle, a loop pass between them); mode & 4:
 * MQTT over WebSocket: the listener answers the client's upgrade with a valid 101 (subprotocol mqtt) and
 * the stream is then the server's frames, so the ws frame parser and the MQTT
 * framer behind it are fuzzed together.
 */
#include <loom.h>
#if defined(LOOM_WITH_WS) && defined(LOOM_WITH_H1)
#include "roles/ws/private-ws.h"
#define FUZZ_WS 1
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(x) do { if (!(x)) abort(); } while (0)

static const uint8_t *feed;
static size_t feed_len;
static int split, ended, established, ws_mode;
static long live;
static char req[4096];
static size_t req_len;

static void *
counting_realloc(void *ptr, size_t size, const char *reason)
{
	void *p;

	(void)reason;
	if (!size) {
		if (ptr) {
			live--;
			free(ptr);
		}
		return NULL;
	}
	p = realloc(ptr, size);
	if (p && !ptr)
		live++;

	return p;
}

/* the whole of b to the broker's socket (a few KB: the socket buffer takes it) */
static void
bsend(int fd, const uint8_t *b, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, b, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;	/* the client went already: it ends on its own */
		b += n;
		len -= (size_t)n;
	}
}

/*
 * One step of the broker on its accepted socket sfd: once the client has said
 * something (its CONNECT, or in ws mode its whole upgrade request, answered with a
 * 101), the stream goes back and the broker's side is shut for writing; after that
 * whatever the client sends is read and dropped. Returns 1 once the stream is sent.
 */
static int
broker_step(struct loom_context *ctx, int sfd, int sent)
{
	uint8_t buf[2048];
	ssize_t n;

	n = recv(sfd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n <= 0 || sent) {
		while (n > 0)	/* drain what the client replies */
			n = recv(sfd, buf, sizeof(buf), MSG_DONTWAIT);
		return sent;
	}
#if defined(FUZZ_WS)
	if (ws_mode) {
		/* the upgrade request, whole, then a valid 101 */
		static const char kh[] = "Sec-WebSocket-Key: ";
		char acc[29], resp[256];
		const char *k, *e;

		check((size_t)n <= sizeof(req) - 1 - req_len);
		memcpy(req + req_len, buf, (size_t)n);
		req_len += (size_t)n;
		req[req_len] = '\0';
		if (!strstr(req, "\r\n\r\n"))
			return 0;
		k = strstr(req, kh);
		check(k);
		k += sizeof(kh) - 1;
		e = strstr(k, "\r\n");
		check(e);
		loom__ws_accept_for_key(k, (size_t)(e - k), acc);
		snprintf(resp, sizeof(resp), "HTTP/1.1 101 Switching Protocols\r\n"
			 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Accept: %s\r\n"
			 "Sec-WebSocket-Protocol: mqtt\r\n\r\n", acc);
		bsend(sfd, (const uint8_t *)resp, strlen(resp));
	}
#endif
	/* whatever the client says, the stream goes back, then the close */
	if (split && feed_len > 1) {
		bsend(sfd, feed, feed_len / 2);
		loom_service(ctx, 0);
		bsend(sfd, feed + feed_len / 2, feed_len - feed_len / 2);
	} else
		bsend(sfd, feed, feed_len);
	shutdown(sfd, SHUT_WR);

	return 1;
}

static int
client_cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	const struct loom_mqtt_message *m = in;
	const struct loom_mqtt_ack *a = in;
	struct loom_mqtt_publish_info pub;
	struct loom_mqtt_topic t;
	size_t cur = 0, nl, vl;
	const char *n, *v;

	(void)user;
	(void)len;
	switch (reason) {
	case LOOM_CB_MQTT_CLIENT_ESTABLISHED:
		established = 1;
		memset(&pub, 0, sizeof(pub));
		pub.topic = "f/t";
		pub.payload = "p";
		pub.payload_len = 1;
		pub.qos = 1;
		loom_mqtt_publish(conn, &pub);
		pub.qos = 2;
		loom_mqtt_publish(conn, &pub);
		memset(&t, 0, sizeof(t));
		t.filter = "f/#";
		t.qos = 2;
		loom_mqtt_subscribe(conn, &t, 1);
		break;
	case LOOM_CB_MQTT_CLIENT_RX:
		check(m->topic_len <= 65535 && (m->topic || !m->topic_len));
		while (loom_mqtt_user_property_next(m, &cur, &n, &nl, &v, &vl))
			check(nl <= 65535 && vl <= 65535);
		break;
	case LOOM_CB_MQTT_ACK:
	case LOOM_CB_MQTT_SUBSCRIBED:
	case LOOM_CB_MQTT_UNSUBSCRIBED:
	case LOOM_CB_MQTT_SERVER_DISCONNECT:
		check(a->count >= 1 && a->reasons);
		break;
	case LOOM_CB_MQTT_CLIENT_CLOSED:
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		ended++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol cprotos[] = {
	{ "mqtt", client_cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loom_client_connect_info ci;
	struct loom_mqtt_client_info mi;
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_vhost *cvh;
	struct loom_context *ctx;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int spins = 0, lfd, sfd = -1, sent = 0;

	if (size < 1 || size > 8192)
		return 0;
	loom_set_allocator(counting_realloc);
	loom_set_log_level(0, NULL);
	feed = data + 1;
	feed_len = size - 1;
	split = !!(data[0] & 2);
#if defined(FUZZ_WS)
	ws_mode = !!(data[0] & 4);
#endif
	req_len = 0;
	ended = established = 0;
	live = 0;

	/* the broker: a TCP listener on 127.0.0.1, on a port the kernel picks */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	check(lfd >= 0 && !bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) &&
	      !listen(lfd, 4) && !getsockname(lfd, (struct sockaddr *)&sa, &sl));
	check(fcntl(lfd, F_SETFL, O_NONBLOCK) == 0);

	memset(&info, 0, sizeof(info));
	info.timeout_secs = 2;
	ctx = loom_create_context(&info);
	check(ctx);
	memset(&vi, 0, sizeof(vi));
	vi.name = "c";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = cprotos;
	cvh = loom_create_vhost(ctx, &vi);
	check(cvh);

	memset(&mi, 0, sizeof(mi));
	mi.client_id = "fz";
	mi.protocol_version = (data[0] & 1) ? LOOM_MQTT_V5 : LOOM_MQTT_V311;
	mi.clean_start = 1;
	mi.keep_alive = 60;
	mi.topic_alias_maximum = 3;
	mi.receive_maximum = 4;
	mi.maximum_packet_size = 4096;
	mi.use_topic_alias = 1;
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = cvh;
	ci.address = "127.0.0.1";
	ci.port = ntohs(sa.sin_port);
	ci.mqtt = &mi;
	if (ws_mode) {
		ci.flags = LOOM_CONNECT_WS;
		ci.path = "/mqtt";
	}
	check(loom_client_connect(&ci));
	/* the broker closes after sending: the client must end */
	while (!ended && spins++ < 400) {
		loom_service(ctx, 10);
		if (sfd < 0)
			sfd = accept(lfd, NULL, NULL);
		if (sfd >= 0)
			sent = broker_step(ctx, sfd, sent);
	}
	check(ended == 1);
	if (sfd >= 0)
		close(sfd);
	close(lfd);
	loom_context_destroy(ctx);
	check(live == 0);
	loom_set_allocator(NULL);

	return 0;
}
