/*
 * api-test-http-client-args: loom_client_connect() refuses, at once and without
 * opening a socket, an HTTP or WebSocket request whose method, path, Host or
 * WebSocket header values would break the request head (CR, LF, other controls:
 * header injection), over h1 and for ws over h2 (RFC 8441); the same request
 * with clean values is made.
 */
#include <loom.h>
#include "loom-test.h"

#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static int errors;

static int
cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
   size_t len)
{
	(void)conn;
	(void)user;
	(void)in;
	(void)len;
	if (reason == LOOM_CB_CLIENT_CONNECTION_ERROR)
		errors++;

	return 0;
}

static const struct loom_protocol protos[] = {
	{ "cli", cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* a port nothing listens on: bound, then closed */
static int
closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	if (fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &sl))
		port = ntohs(sa.sin_port);
	close(fd);

	return port;
}

static struct loom_context *ctx;
static struct loom_vhost *vh;
static int port;

static struct loom_conn *
req(const char *method, const char *path, const char *host, unsigned int flags,
    const char *ws_protocol, const char *ws_origin)
{
	struct loom_client_connect_info ci;

	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = vh;
	ci.address = "127.0.0.1";
	ci.port = port;
	ci.method = method;
	ci.path = path;
	ci.host = host;
	ci.protocol = "cli";
	ci.flags = flags;
	ci.ws_protocol = ws_protocol;
	ci.ws_origin = ws_origin;

	return loom_client_connect(&ci);
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_vhost_info vi;
	int made = 0, n;
#if defined(LOOM_WITH_H2)
	const unsigned int wsh2 = LOOM_CONNECT_WS | LOOM_CONNECT_WS_H2;
#endif

	(void)argc;
	(void)argv;
	loom_set_log_level(LOOM_LL_ERR, NULL);
	port = closed_port();
	LT_CHECK(port > 0);
	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return lt_result("api-test-http-client-args");
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = protos;
	vh = loom_create_vhost(ctx, &vi);
	LT_CHECK(vh != NULL);

	/* h1 requests */
	LT_CHECK(req("GE T", "/", NULL, 0, NULL, NULL) == NULL);
	LT_CHECK(req("GET", "/a b", NULL, 0, NULL, NULL) == NULL);
	LT_CHECK(req("GET", "/a\r\nX-Evil: 1", NULL, 0, NULL, NULL) == NULL);
	LT_CHECK(req("GET", "/", "example.com\r\nX-Evil: 1", 0, NULL, NULL) == NULL);
	LT_CHECK(req("GET", "/", "exa\nmple.com", 0, NULL, NULL) == NULL);
	LT_CHECK(req("GET", "/", "exa\x01mple.com", 0, NULL, NULL) == NULL);
	/* WebSocket over h1 */
	LT_CHECK(req(NULL, "/", NULL, LOOM_CONNECT_WS, "chat\r\nX: 1", NULL) == NULL);
	LT_CHECK(req(NULL, "/", NULL, LOOM_CONNECT_WS, NULL, "http://o\r\nX: 1") == NULL);
#if defined(LOOM_WITH_H2)
	/* WebSocket over h2 (h2c by prior knowledge here) */
	LT_CHECK(req(NULL, "/", NULL, wsh2, "chat\r\nX: 1", NULL) == NULL);
	LT_CHECK(req(NULL, "/", NULL, wsh2, "chat", "http://o\nX: 1") == NULL);
	LT_CHECK(req(NULL, "/", "h\rost", wsh2, "chat", NULL) == NULL);
#endif
	/* none of them made a connection */
	LT_CHECK_EQ(loom_conn_count(ctx, 0), 0);
	LT_CHECK_EQ(errors, 0);

	/* the same with clean values is made (and fails to connect) */
	made += req("GET", "/a?b=c", "example.com:8080", 0, NULL, NULL) != NULL;
	made += req(NULL, "/", NULL, LOOM_CONNECT_WS, "chat", "http://o") != NULL;
#if defined(LOOM_WITH_H2)
	made += req(NULL, "/", NULL, wsh2, "chat", "http://o") != NULL;
	LT_CHECK_EQ(made, 3);
#else
	LT_CHECK_EQ(made, 2);
#endif
	for (n = 0; n < 100 && errors < made; n++)
		loom_service(ctx, 50);
	LT_CHECK_EQ(errors, made);
	loom_context_destroy(ctx);

	return lt_result("api-test-http-client-args");
}
