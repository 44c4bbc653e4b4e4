/*
 * api-test-unix: Unix stream listeners: a filesystem path (a stale socket there is
 * replaced, a regular file is left alone and the vhost fails, the socket file goes
 * at context destroy) and a Linux abstract "@name"; Loom clients echo over both.
 */
#include <loom.h>
#include "loom-test.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>

struct pss {
	struct loom_buflist *pending;
};

/* one Loom client: sends msg, expects it back, then closes */
struct client {
	const char *msg;
	size_t got;
	char rx[128];
	int connected, conn_errors, closes, done;
	char peer[32];
};

static unsigned char txbuf[LOOM_PRE + 4096];
static int srv_adopts, srv_closes;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
cb_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	struct pss *pss = user;
	size_t n;

	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		srv_adopts++;
		break;
	case LOOM_CB_RAW_RX:
		if (loom_buflist_append_segment(&pss->pending, in, len) < 0)
			return -1;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		n = loom_buflist_linear_use(&pss->pending, txbuf + LOOM_PRE,
					    sizeof(txbuf) - LOOM_PRE);
		if (n && loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		if (pss->pending)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_CLOSE:
		srv_closes++;
		loom_buflist_destroy_all_segments(&pss->pending);
		break;
	default:
		break;
	}

	return 0;
}

static int
cb_client(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	struct client *c = conn ? loom_get_opaque_user_data(conn) : NULL;
	size_t n;

	if (!c)
		return 0;
	switch (reason) {
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "client: connection error: %s\n",
			in ? (const char *)in : "?");
		c->conn_errors++;
		break;
	case LOOM_CB_RAW_CONNECTED:
		c->connected++;
		loom_get_peer_address(conn, c->peer, sizeof(c->peer));
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		n = strlen(c->msg);
		memcpy(txbuf + LOOM_PRE, c->msg, n);
		if (loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) != (int)n)
			return -1;
		break;
	case LOOM_CB_RAW_RX:
		if (c->got + len > sizeof(c->rx))
			return -1;
		memcpy(c->rx + c->got, in, len);
		c->got += len;
		if (c->got == strlen(c->msg)) {
			c->done = !memcmp(c->rx, c->msg, c->got);
			return -1;	/* all back: close */
		}
		break;
	case LOOM_CB_RAW_CLOSE:
		c->closes++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol srv_protocols[] = {
	{ "echo", cb_echo, sizeof(struct pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static const struct loom_protocol cli_protocols[] = {
	{ "client", cb_client, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static struct loom_vhost *
unix_vhost(struct loom_context *ctx, const char *name, const char *path)
{
	struct loom_vhost_info vi;

	memset(&vi, 0, sizeof(vi));
	vi.name = name;
	vi.options = LOOM_VHOST_OPT_RAW;
	vi.unix_socket_path = path;
	vi.protocols = srv_protocols;

	return loom_create_vhost(ctx, &vi);
}

/* connect a Loom client to \p address and run until it is done; 1 = echoed */
static int
run_client(struct loom_context *ctx, struct loom_vhost *cvh, const char *address,
	   struct client *c)
{
	struct loom_client_connect_info cc;
	struct loom_conn *conn;
	long long end = now_ms() + 3000;

	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = cvh;
	cc.address = address;
	cc.flags = LOOM_CONNECT_RAW;
	cc.opaque_user_data = c;
	conn = loom_client_connect(&cc);
	if (!conn)
		return 0;
	while (now_ms() < end && !c->closes && !c->conn_errors)
		loom_service(ctx, 5);

	return c->connected == 1 && c->done && c->closes == 1 && !c->conn_errors;
}

/*
 * Bind a plain Unix socket to \p path ("@name" = abstract) and close it: for a
 * path it leaves a socket file behind, as a crashed server would; for an abstract
 * name it only succeeds if nobody holds the name.
 */
static int
bind_and_close(const char *path)
{
	struct sockaddr_un su;
	size_t n = strlen(path);
	socklen_t sl;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), r;

	if (fd < 0)
		return -1;
	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	if (n >= sizeof(su.sun_path)) {
		close(fd);
		return -1;
	}
	memcpy(su.sun_path, path, n);
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if (path[0] == '@')
		su.sun_path[0] = '\0';
	else
		sl++;
	r = bind(fd, (struct sockaddr *)&su, sl);
	close(fd);

	return r ? -1 : 0;
}

static int
is_socket_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISSOCK(st.st_mode);
}

int
main(void)
{
	char dir[] = "/tmp/loom-api-test-unix-XXXXXX";
	char sock_path[128], reg_path[128], abs_name[64], addr[160], buf[32];
	struct client c1 = { "hello over a unix path", 0, "", 0, 0, 0, 0, "" };
	struct client c2 = { "hello over an abstract name", 0, "", 0, 0, 0, 0, "" };
	struct client c3 = { "nobody listens here", 0, "", 0, 0, 0, 0, "" };
	struct loom_context_info ci;
	struct loom_vhost_info vi;
	struct loom_context *ctx;
	struct loom_vhost *vh_path, *vh_abs, *vh_reg, *cvh;
	struct loom_client_connect_info cc;
	struct loom_conn *conn;
	long long end;
	int fd;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/echo.sock", dir);
	snprintf(reg_path, sizeof(reg_path), "%s/precious.txt", dir);
	snprintf(abs_name, sizeof(abs_name), "@loom-api-test-unix-%d", (int)getpid());

	/* a stale socket at the path, and a regular file that must survive */
	LT_CHECK_EQ(bind_and_close(sock_path), 0);
	LT_CHECK(is_socket_file(sock_path));
	fd = open(reg_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	LT_CHECK(fd >= 0);
	if (fd >= 0) {
		LT_CHECK_EQ(write(fd, "keep me", 7), 7);
		close(fd);
	}

	memset(&ci, 0, sizeof(ci));
	ci.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		goto cleanup;

	/* the stale socket is replaced by a live listener */
	vh_path = unix_vhost(ctx, "path", sock_path);
	LT_CHECK(vh_path != NULL);
	LT_CHECK(is_socket_file(sock_path));

	/* a regular file at the path is not deleted: the vhost fails instead */
	vh_reg = unix_vhost(ctx, "regular", reg_path);
	LT_CHECK(vh_reg == NULL);
	fd = open(reg_path, O_RDONLY);
	LT_CHECK(fd >= 0);
	if (fd >= 0) {
		LT_CHECK_EQ(read(fd, buf, sizeof(buf)), 7);
		LT_CHECK(!memcmp(buf, "keep me", 7));
		close(fd);
	}

	/* an abstract name: no file anywhere; while Loom holds it nobody else can */
	vh_abs = unix_vhost(ctx, "abstract", abs_name);
	LT_CHECK(vh_abs != NULL);
	LT_CHECK(bind_and_close(abs_name) != 0);

	memset(&vi, 0, sizeof(vi));
	vi.name = "client";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = cli_protocols;
	cvh = loom_create_vhost(ctx, &vi);
	LT_CHECK(cvh != NULL);
	if (!vh_path || !vh_abs || !cvh)
		goto destroy;

	snprintf(addr, sizeof(addr), "unix:%s", sock_path);
	LT_CHECK(run_client(ctx, cvh, addr, &c1));
	LT_CHECK(!strcmp(c1.peer, "unix"));
	snprintf(addr, sizeof(addr), "unix:%s", abs_name);
	LT_CHECK(run_client(ctx, cvh, addr, &c2));
	LT_CHECK_EQ(srv_adopts, 2);

	/* an abstract name nobody listens on fails with a connection error */
	snprintf(addr, sizeof(addr), "unix:%s-none", abs_name);
	memset(&cc, 0, sizeof(cc));
	cc.context = ctx;
	cc.vhost = cvh;
	cc.address = addr;
	cc.flags = LOOM_CONNECT_RAW;
	cc.opaque_user_data = &c3;
	conn = loom_client_connect(&cc);
	LT_CHECK(conn != NULL);
	end = now_ms() + 2000;
	while (conn && now_ms() < end && !c3.conn_errors)
		loom_service(ctx, 5);
	LT_CHECK_EQ(c3.conn_errors, 1);
	LT_CHECK_EQ(c3.connected, 0);
	LT_CHECK_EQ(c3.closes, 0);

	/* a UDP unix client is refused at once */
	cc.flags = LOOM_CONNECT_RAW | LOOM_CONNECT_UDP;
	LT_CHECK(loom_client_connect(&cc) == NULL);

	/* the servers saw both clients close */
	end = now_ms() + 1000;
	while (now_ms() < end && srv_closes < 2)
		loom_service(ctx, 5);
	LT_CHECK_EQ(srv_closes, 2);

destroy:
	loom_context_destroy(ctx);
	/* the socket file went with the context; the regular file stayed */
	LT_CHECK(access(sock_path, F_OK) && errno == ENOENT);
	LT_CHECK_EQ(access(reg_path, F_OK), 0);
	/* and the abstract name was let go */
	LT_CHECK_EQ(bind_and_close(abs_name), 0);
	LT_CHECK_EQ(c1.closes, 1);
	LT_CHECK_EQ(c2.closes, 1);

cleanup:
	unlink(sock_path);
	unlink(reg_path);
	rmdir(dir);

	return lt_result("api-test-unix");
}
