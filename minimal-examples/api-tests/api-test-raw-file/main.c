/*
 * api-test-raw-file: loom_adopt_descriptor(LOOM_ADOPT_FILE) on a pipe's read end
 * (bytes in order, EOF closes once), its write end, regular files (never pollable,
 * always ready), a pty master, and LOOM_ADOPT_NO_CLOSE leaving the fd open.
 */
#define _XOPEN_SOURCE 700	/* posix_openpt(), grantpt(), unlockpt(), ptsname() */
#include <loom.h>
#include "loom-test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <termios.h>

#define BIG 20000

/* what one adopted fd saw */
struct fstate {
	unsigned char rx[BIG + 64];
	size_t rx_len;
	int adopts, closes, rx_after_close;
	/* writer side: chunks to write, one per WRITEABLE */
	const unsigned char *tx;
	size_t tx_len, tx_chunk, tx_done;
	int write_errors;
};

static unsigned char txbuf[LOOM_PRE + 8192];
static unsigned char pattern[BIG];

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
cb_file(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	struct fstate *f = conn ? loom_get_opaque_user_data(conn) : NULL;
	size_t n;

	if (!f)
		return 0;
	switch (reason) {
	case LOOM_CB_RAW_ADOPT_FILE:
		f->adopts++;
		break;
	case LOOM_CB_RAW_RX_FILE:
		if (f->closes)
			f->rx_after_close++;
		if (f->rx_len + len <= sizeof(f->rx)) {
			memcpy(f->rx + f->rx_len, in, len);
			f->rx_len += len;
		}
		break;
	case LOOM_CB_RAW_WRITEABLE_FILE:
		n = f->tx_len - f->tx_done;
		if (n > f->tx_chunk)
			n = f->tx_chunk;
		if (!n)
			break;
		memcpy(txbuf + LOOM_PRE, f->tx + f->tx_done, n);
		if (loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) != (int)n) {
			f->write_errors++;
			return -1;
		}
		f->tx_done += n;
		if (f->tx_done < f->tx_len)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_CLOSE_FILE:
		f->closes++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "file", cb_file, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static int
fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* service until \p f closed or \p ms passed */
static void
pump_until_closed(struct loom_context *ctx, const struct fstate *f, int ms)
{
	long long end = now_ms() + ms;

	while (now_ms() < end && !f->closes)
		loom_service(ctx, 5);
}

/* read what the test's end of a pipe or pty gets while servicing the loop */
static size_t
pump_read(struct loom_context *ctx, int fd, unsigned char *buf, size_t want, int ms)
{
	long long end = now_ms() + ms;
	size_t got = 0;
	ssize_t n;

	while (now_ms() < end && got < want) {
		loom_service(ctx, 5);
		n = read(fd, buf + got, want - got);
		if (n > 0)
			got += (size_t)n;
	}

	return got;
}

static void
test_pipe_read_end(struct loom_context *ctx, struct loom_vhost *vh)
{
	static struct fstate f;
	struct loom_conn *conn;
	long long end;
	int p[2];

	if (pipe(p)) {
		LT_CHECK(!"pipe");
		return;
	}
	conn = loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, p[0], NULL, &f);
	LT_CHECK(conn != NULL);
	if (!conn) {
		close(p[0]);
		close(p[1]);
		return;
	}
	LT_CHECK_EQ(f.adopts, 1);
	LT_CHECK_EQ(loom_get_fd(conn), p[0]);
	LT_CHECK(!strcmp(loom_conn_role_name(conn), "raw-file"));

	/* three writes, one bigger than the rx buffer; all arrive in order */
	LT_CHECK_EQ(write(p[1], pattern, 10), 10);
	LT_CHECK_EQ(write(p[1], pattern + 10, 9000), 9000);
	LT_CHECK_EQ(write(p[1], pattern + 9010, 990), 990);
	end = now_ms() + 2000;
	while (now_ms() < end && f.rx_len < 10000)
		loom_service(ctx, 5);
	LT_CHECK_EQ(f.rx_len, 10000);
	LT_CHECK(!memcmp(f.rx, pattern, 10000));
	LT_CHECK_EQ(f.closes, 0);

	/* EOF: closed once, and Loom closed the fd */
	close(p[1]);
	pump_until_closed(ctx, &f, 2000);
	LT_CHECK_EQ(f.closes, 1);
	LT_CHECK(!fd_is_open(p[0]));
	end = now_ms() + 50;
	while (now_ms() < end)
		loom_service(ctx, 5);
	LT_CHECK_EQ(f.closes, 1);
	LT_CHECK_EQ(f.rx_after_close, 0);
}

static void
test_pipe_write_end(struct loom_context *ctx, struct loom_vhost *vh)
{
	static struct fstate f;
	static unsigned char got[BIG];
	struct loom_conn *conn;
	size_t n;
	int p[2];
	char c;

	if (pipe(p)) {
		LT_CHECK(!"pipe");
		return;
	}
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	f.tx = pattern;
	f.tx_len = BIG;
	f.tx_chunk = 3000;
	conn = loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, p[1], NULL, &f);
	LT_CHECK(conn != NULL);
	if (!conn) {
		close(p[0]);
		close(p[1]);
		return;
	}
	LT_CHECK_EQ(loom_callback_on_writable(conn), 0);
	n = pump_read(ctx, p[0], got, BIG, 3000);
	LT_CHECK_EQ(n, BIG);
	LT_CHECK(!memcmp(got, pattern, BIG));
	LT_CHECK_EQ(f.write_errors, 0);
	/* a write-only fd is never read: no RX, no EOF close */
	LT_CHECK_EQ(f.rx_len, 0);
	LT_CHECK_EQ(f.closes, 0);

	/* closing it from outside: the reader sees EOF */
	loom_close(conn, LOOM_CLOSE_NORMAL);
	pump_until_closed(ctx, &f, 2000);
	LT_CHECK_EQ(f.closes, 1);
	LT_CHECK_EQ(read(p[0], &c, 1), 0);
	close(p[0]);
}

static void
test_regular_files(struct loom_context *ctx, struct loom_vhost *vh, const char *dir)
{
	static struct fstate fr, fw;
	static unsigned char back[BIG];
	struct loom_conn *conn;
	char path[256];
	long long end;
	int fd;

	/* read: a file cannot be polled; all its bytes come, then EOF closes it */
	snprintf(path, sizeof(path), "%s/data.bin", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	LT_CHECK(fd >= 0);
	if (fd < 0)
		return;
	LT_CHECK_EQ(write(fd, pattern, BIG), BIG);
	close(fd);
	fd = open(path, O_RDONLY);
	conn = fd >= 0 ? loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, fd, NULL, &fr) : NULL;
	LT_CHECK(conn != NULL);
	if (conn) {
		pump_until_closed(ctx, &fr, 2000);
		LT_CHECK_EQ(fr.adopts, 1);
		LT_CHECK_EQ(fr.rx_len, BIG);
		LT_CHECK(!memcmp(fr.rx, pattern, BIG));
		LT_CHECK_EQ(fr.closes, 1);
		LT_CHECK(!fd_is_open(fd));
	} else if (fd >= 0)
		close(fd);

	/* write: every WRITEABLE comes at once and the bytes land in the file */
	snprintf(path, sizeof(path), "%s/out.bin", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fw.tx = pattern;
	fw.tx_len = BIG;
	fw.tx_chunk = 4096;
	conn = fd >= 0 ? loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, fd, NULL, &fw) : NULL;
	LT_CHECK(conn != NULL);
	if (!conn) {
		if (fd >= 0)
			close(fd);
		return;
	}
	loom_callback_on_writable(conn);
	end = now_ms() + 2000;
	while (now_ms() < end && fw.tx_done < BIG)
		loom_service(ctx, 5);
	LT_CHECK_EQ(fw.tx_done, BIG);
	/* a write-only file is not read, so it does not close at "EOF" */
	LT_CHECK_EQ(fw.closes, 0);
	loom_close(conn, LOOM_CLOSE_NORMAL);
	pump_until_closed(ctx, &fw, 1000);
	LT_CHECK_EQ(fw.closes, 1);
	fd = open(path, O_RDONLY);
	LT_CHECK(fd >= 0);
	if (fd >= 0) {
		LT_CHECK_EQ(read(fd, back, BIG), BIG);
		LT_CHECK(!memcmp(back, pattern, BIG));
		close(fd);
	}
	unlink(path);
	snprintf(path, sizeof(path), "%s/data.bin", dir);
	unlink(path);
}

static void
test_pty(struct loom_context *ctx, struct loom_vhost *vh)
{
	static struct fstate f;
	static const unsigned char to_slave[] = "from loom to the slave\n";
	unsigned char got[64];
	struct termios tio;
	struct loom_conn *conn;
	const char *name;
	long long end;
	int m, s;
	size_t n;

	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0) {
		fprintf(stderr, "note: no pty here (%s): pty part skipped\n",
			strerror(errno));
		return;
	}
	if (grantpt(m) || unlockpt(m) || !(name = ptsname(m)) ||
	    (s = open(name, O_RDWR | O_NOCTTY)) < 0) {
		LT_CHECK(!"pty slave");
		close(m);
		return;
	}
	/* raw: bytes go through unchanged, no echo, no line discipline */
	if (!tcgetattr(s, &tio)) {
		cfmakeraw(&tio);
		tcsetattr(s, TCSANOW, &tio);
	}
	fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);

	conn = loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, m, NULL, &f);
	LT_CHECK(conn != NULL);
	if (!conn) {
		close(m);
		close(s);
		return;
	}
	/* slave -> master: arrives as RX_FILE */
	LT_CHECK_EQ(write(s, "typed on the tty", 16), 16);
	end = now_ms() + 2000;
	while (now_ms() < end && f.rx_len < 16)
		loom_service(ctx, 5);
	LT_CHECK_EQ(f.rx_len, 16);
	LT_CHECK(!memcmp(f.rx, "typed on the tty", 16));

	/* master -> slave through WRITEABLE_FILE */
	f.tx = to_slave;
	f.tx_len = sizeof(to_slave) - 1;
	f.tx_chunk = 8;
	loom_callback_on_writable(conn);
	n = pump_read(ctx, s, got, f.tx_len, 2000);
	LT_CHECK_EQ(n, f.tx_len);
	LT_CHECK(!memcmp(got, to_slave, f.tx_len));

	/* the slave hangs up: the master conn closes, once */
	close(s);
	pump_until_closed(ctx, &f, 2000);
	LT_CHECK_EQ(f.closes, 1);
	LT_CHECK(!fd_is_open(m));
}

static void
test_no_close(struct loom_context *ctx, struct loom_vhost *vh)
{
	static struct fstate f;
	struct loom_conn *conn;
	int p[2];

	if (pipe(p)) {
		LT_CHECK(!"pipe");
		return;
	}
	conn = loom_adopt_descriptor(vh, LOOM_ADOPT_FILE | LOOM_ADOPT_NO_CLOSE, p[0],
				     NULL, &f);
	LT_CHECK(conn != NULL);
	LT_CHECK_EQ(write(p[1], "xyz", 3), 3);
	close(p[1]);
	pump_until_closed(ctx, &f, 2000);
	LT_CHECK_EQ(f.rx_len, 3);
	LT_CHECK_EQ(f.closes, 1);
	/* the fd is still ours, and still open */
	LT_CHECK(fd_is_open(p[0]));
	close(p[0]);
}

static void
test_bad_adopts(struct loom_vhost *vh)
{
	int p[2];

	LT_CHECK(loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, -1, NULL, NULL) == NULL);
	LT_CHECK(loom_adopt_descriptor(NULL, LOOM_ADOPT_FILE, 0, NULL, NULL) == NULL);
	if (pipe(p))
		return;
	/* a failed adopt leaves the fd to the caller */
	LT_CHECK(loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, p[0], "no-such-protocol",
				       NULL) == NULL);
	LT_CHECK(loom_adopt_descriptor(vh, 0, p[0], NULL, NULL) == NULL);
	LT_CHECK(fd_is_open(p[0]));
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	char dir[] = "/tmp/loom-api-test-raw-file-XXXXXX";
	struct loom_context_info ci;
	struct loom_vhost_info vi;
	struct loom_context *ctx;
	struct loom_vhost *vh;
	size_t i;

	for (i = 0; i < BIG; i++)
		pattern[i] = (unsigned char)(i * 13 + i / 251);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	memset(&ci, 0, sizeof(ci));
	ci.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	ctx = loom_create_context(&ci);
	LT_CHECK(ctx != NULL);
	if (!ctx) {
		rmdir(dir);
		return lt_result("api-test-raw-file");
	}
	memset(&vi, 0, sizeof(vi));
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = protocols;
	vh = loom_create_vhost(ctx, &vi);
	LT_CHECK(vh != NULL);
	if (vh) {
		test_bad_adopts(vh);
		test_pipe_read_end(ctx, vh);
		test_pipe_write_end(ctx, vh);
		test_regular_files(ctx, vh, dir);
		test_pty(ctx, vh);
		test_no_close(ctx, vh);
		LT_CHECK_EQ(loom_conn_count(ctx, 0), 0);
	}
	loom_context_destroy(ctx);
	rmdir(dir);

	return lt_result("api-test-raw-file");
}
