/*
 * api-test-http-file-cache: the open-file cache of file mounts over real sockets.
 * A cached file is served from the cache while it is trusted and as it now is
 * after that (edited in place, replaced by rename, deleted); small files come
 * from memory and large ones from the kept fd, ranges and 304s work from both;
 * the number of open files stays at the configured bound; a file evicted while a
 * slow reader is still downloading it is delivered whole; and with the cache off
 * every change is seen at once.
 */
#include <loom.h>
#include "loom-test.h"
#include "loom-test-sock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define VALID_MS	300
#define ENTRIES		2
#define INLINE_MAX	100
#define BIG		(8 * 1024 * 1024)	/* more than the socket buffers hold */

static struct loom_context *ctx;
static int port, port_off;
static char dir[64];
static char *resp;	/* a whole response */
static size_t resp_len;

static int
cb_http(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	(void)conn; (void)reason; (void)user; (void)in; (void)len;

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "http", cb_http, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void *
service(void *arg)
{
	(void)arg;
	loom_run(ctx, 0);

	return NULL;
}

/* GET path with extra header lines; the whole response in resp; the status */
static int
get(int p, const char *path, const char *extra)
{
	char req[512];
	int fd = lt_connect_tcp(p, 10), n;
	size_t cap = BIG + 4096;
	ssize_t r;

	resp_len = 0;
	if (fd < 0)
		return -1;
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: a\r\n%s"
		     "Connection: close\r\n\r\n", path, extra ? extra : "");
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		close(fd);
		return -1;
	}
	while (resp_len < cap && (r = recv(fd, resp + resp_len, cap - resp_len, 0)) > 0)
		resp_len += (size_t)r;
	close(fd);
	resp[resp_len < cap ? resp_len : cap - 1] = '\0';

	return strncmp(resp, "HTTP/1.1 ", 9) ? -1 : atoi(resp + 9);
}

static const char *
body(void)
{
	char *b = strstr(resp, "\r\n\r\n");

	return b ? b + 4 : "";
}

static size_t
body_len(void)
{
	return resp_len - (size_t)(body() - resp);
}

static void
header(const char *name, char *out, size_t len)
{
	const char *h = strstr(resp, name);
	size_t n = 0;

	out[0] = '\0';
	if (!h)
		return;
	h += strlen(name) + 2;
	while (h[n] && h[n] != '\r' && n < len - 1) {
		out[n] = h[n];
		n++;
	}
	out[n] = '\0';
}

static void
put_file(const char *name, const char *content, size_t len)
{
	char path[128], tmp[140];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "wb");
	LT_CHECK(f != NULL);
	if (!f)
		return;
	LT_CHECK_EQ(fwrite(content, 1, len, f), len);
	fclose(f);
	LT_CHECK_EQ(rename(tmp, path), 0);	/* a new inode: "replaced" */
}

/* rewrite in place, same inode and size, different bytes */
static void
edit_file(const char *name, const char *content, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r+b");
	LT_CHECK(f != NULL);
	if (!f)
		return;
	LT_CHECK_EQ(fwrite(content, 1, len, f), len);
	fclose(f);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static char *
pattern(size_t len, unsigned int seed)
{
	char *p = malloc(len);
	size_t n;

	for (n = 0; p && n < len; n++) {
		seed = seed * 1103515245u + 12345u;
		p[n] = (char)('a' + (seed >> 16) % 26);
	}

	return p;
}

int
main(void)
{
	struct loom_http_vhost_info hinfo, hoff;
	struct loom_http_mount mount;
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_vhost *vh, *vh_off;
	char etag[64], hdr[128], name[32], *big, *big2, *slow;
	int fds0, fds, n, fd;
	size_t got;
	ssize_t r;
	pthread_t th;

	resp = malloc(BIG + 4096);
	slow = malloc(BIG + 4096);
	big = pattern(BIG, 1);
	big2 = pattern(BIG, 2);
	snprintf(dir, sizeof(dir), "/tmp/loom-fcache-XXXXXX");
	if (!resp || !slow || !big || !big2 || !mkdtemp(dir))
		return 1;
	put_file("small.txt", "0123456789abcdefghijklmnopqrstuvwxyz", 36);
	put_file("large.txt", big, 5000);
	snprintf(hdr, sizeof(hdr), "%s/sub", dir);
	mkdir(hdr, 0700);
	put_file("sub/index.html", "<p>index</p>", 12);
	for (n = 0; n < 5; n++) {
		snprintf(name, sizeof(name), "f%d.bin", n);
		put_file(name, big + n, 1000 + (size_t)n);
	}
	put_file("huge.bin", big, BIG);

	memset(&mount, 0, sizeof(mount));
	mount.mountpoint = "/";
	mount.origin = dir;
	mount.kind = LOOM_MOUNT_FILES;
	memset(&info, 0, sizeof(info));
	memset(&hinfo, 0, sizeof(hinfo));
	memset(&vinfo, 0, sizeof(vinfo));
	hinfo.mounts = &mount;
	hinfo.file_cache_entries = ENTRIES;
	hinfo.file_cache_valid_ms = VALID_MS;
	hinfo.file_cache_inline_max = INLINE_MAX;
	hoff = hinfo;
	hoff.file_cache_entries = LOOM_HTTP_FILE_CACHE_OFF;
	vinfo.iface = "127.0.0.1";
	vinfo.protocols = protocols;
	vinfo.http = &hinfo;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	vh = ctx ? loom_create_vhost(ctx, &vinfo) : NULL;
	vinfo.http = &hoff;
	vinfo.name = "off";
	vh_off = ctx ? loom_create_vhost(ctx, &vinfo) : NULL;
	LT_CHECK(vh && vh_off);
	if (!vh || !vh_off)
		return lt_result("api-test-http-file-cache");
	port = loom_vhost_port(vh);
	port_off = loom_vhost_port(vh_off);
	pthread_create(&th, NULL, service, NULL);
	fds0 = lt_count_fds();

	/* a small file, from memory: edited in place, seen after VALID_MS */
	LT_CHECK_EQ(get(port, "/small.txt", NULL), 200);
	LT_CHECK(!strcmp(body(), "0123456789abcdefghijklmnopqrstuvwxyz"));
	header("ETag", etag, sizeof(etag));
	LT_CHECK(etag[0] == '"');
	LT_CHECK_EQ(get(port, "/small.txt", "Range: bytes=10-19\r\n"), 206);
	LT_CHECK(!strcmp(body(), "abcdefghij"));
	snprintf(hdr, sizeof(hdr), "If-None-Match: %s\r\n", etag);
	LT_CHECK_EQ(get(port, "/small.txt", hdr), 304);
	sleep_ms(20);	/* a different mtime */
	edit_file("small.txt", "ABCDEFGHIJ", 10);
	LT_CHECK_EQ(get(port, "/small.txt", NULL), 200);
	LT_CHECK(!strcmp(body(), "0123456789abcdefghijklmnopqrstuvwxyz"));
	LT_CHECK_EQ(get(port_off, "/small.txt", NULL), 200);	/* no cache: now */
	LT_CHECK(!strcmp(body(), "ABCDEFGHIJabcdefghijklmnopqrstuvwxyz"));
	sleep_ms(VALID_MS + 100);
	LT_CHECK_EQ(get(port, "/small.txt", NULL), 200);
	LT_CHECK(!strcmp(body(), "ABCDEFGHIJabcdefghijklmnopqrstuvwxyz"));
	LT_CHECK_EQ(get(port, "/small.txt", hdr), 200);	/* the old ETag is stale */

	/* a larger file, from the kept fd: replaced by rename */
	LT_CHECK_EQ(get(port, "/large.txt", NULL), 200);
	LT_CHECK(body_len() == 5000 && !memcmp(body(), big, 5000));
	LT_CHECK_EQ(get(port, "/large.txt", "Range: bytes=4990-\r\n"), 206);
	LT_CHECK(body_len() == 10 && !memcmp(body(), big + 4990, 10));
	put_file("large.txt", big2, 4000);
	LT_CHECK_EQ(get(port, "/large.txt", NULL), 200);	/* still the old one */
	LT_CHECK(body_len() == 5000 && !memcmp(body(), big, 5000));
	sleep_ms(VALID_MS + 100);
	LT_CHECK_EQ(get(port, "/large.txt", NULL), 200);
	LT_CHECK(body_len() == 4000 && !memcmp(body(), big2, 4000));

	/* deleted: 404 once it is looked at again */
	snprintf(hdr, sizeof(hdr), "%s/large.txt", dir);
	unlink(hdr);
	sleep_ms(VALID_MS + 100);
	LT_CHECK_EQ(get(port, "/large.txt", NULL), 404);

	/* a directory's index, and the slash redirect, through the cache */
	LT_CHECK_EQ(get(port, "/sub/", NULL), 200);
	LT_CHECK(!strcmp(body(), "<p>index</p>"));
	LT_CHECK_EQ(get(port, "/sub/", NULL), 200);
	LT_CHECK(!strcmp(body(), "<p>index</p>"));
	LT_CHECK_EQ(get(port, "/sub", NULL), 301);

	/* many files: open fds stay within the bound, every body right */
	for (n = 0; n < 5; n++) {
		snprintf(name, sizeof(name), "/f%d.bin", n);
		LT_CHECK_EQ(get(port, name, NULL), 200);
		LT_CHECK(body_len() == 1000 + (size_t)n &&
			 !memcmp(body(), big + n, 1000 + (size_t)n));
	}
	sleep_ms(50);
	fds = lt_count_fds();
	printf("open fds: %d at start, %d after 5 large files (cache of %d)\n", fds0,
	       fds, ENTRIES);
	LT_CHECK(fds <= fds0 + ENTRIES);

	/* a slow reader of a file evicted meanwhile still gets all of it */
	fd = lt_connect_tcp(port, 10);
	LT_CHECK(fd >= 0);
	send(fd, "GET /huge.bin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 54,
	     MSG_NOSIGNAL);
	got = 0;
	while (got < 65536 && (r = recv(fd, slow + got, 65536 - got, 0)) > 0)
		got += (size_t)r;
	for (n = 0; n < 5; n++) {	/* evict huge.bin */
		snprintf(name, sizeof(name), "/f%d.bin", n);
		LT_CHECK_EQ(get(port, name, NULL), 200);
	}
	while ((r = recv(fd, slow + got, BIG + 4096 - got, 0)) > 0)
		got += (size_t)r;
	close(fd);
	memcpy(resp, slow, got);
	resp_len = got;
	resp[got < BIG + 4096 ? got : BIG + 4095] = '\0';
	printf("slow reader got %zu bytes, body %zu\n", got, body_len());
	LT_CHECK(!strncmp(resp, "HTTP/1.1 200", 12));
	LT_CHECK(body_len() == BIG && !memcmp(body(), big, BIG));
	sleep_ms(50);
	LT_CHECK(lt_count_fds() <= fds0 + ENTRIES);

	loom_stop(ctx);
	pthread_join(th, NULL);
	loom_context_destroy(ctx);
	LT_CHECK(lt_count_fds() <= fds0 - 1);	/* the listeners went too */

	snprintf(hdr, sizeof(hdr), "rm -rf '%s'", dir);
	if (system(hdr))
		fprintf(stderr, "could not remove %s\n", dir);
	free(resp);
	free(slow);
	free(big);
	free(big2);

	return lt_result("api-test-http-file-cache");
}
