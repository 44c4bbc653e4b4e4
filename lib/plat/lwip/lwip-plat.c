/*
 * lwip-plat.c: the lwIP platform (LOOM_PLAT=lwip): time (the app's clock, else
 * lwIP's sys_now()), randomness (the app's), the socket-number limit, and the loop
 * wakeup: a UDP socket connected to itself, since lwIP has no pipes.
 */
#include "core/private-core.h"
#include "plat/lwip/private-lwip.h"

#include <loom/plat.h>

static struct loom_plat_hooks lwip_hooks;

int
loom_plat_set_hooks(const struct loom_plat_hooks *h)
{
	if (!h)
		return LOOM_EINVAL;
	lwip_hooks = *h;

	return 0;
}

int64_t
loom__plat_now_us(void)
{
	/* sys_now() is 32-bit ms: carry its wraps (every 49.7 days) into 64 bits */
	static uint32_t last;
	static int64_t wraps;
	uint32_t now;

	if (lwip_hooks.now_us)
		return lwip_hooks.now_us(lwip_hooks.opaque);
	now = sys_now();
	if (now < last)
		wraps += (int64_t)1 << 32;
	last = now;

	return (wraps + now) * 1000;
}

int
loom__plat_random(void *buf, size_t len)
{
	if (!lwip_hooks.random)
		return -1;

	return lwip_hooks.random(lwip_hooks.opaque, buf, len) ? -1 : 0;
}

unsigned int
loom__plat_fd_limit(void)
{
	return LOOM_LWIP_MAX_FDS;
}

/*
 * Two sockets, so the thread that signals and the one that drains never use the
 * same lwIP socket at once: [0] bound to 127.0.0.1 and polled, [1] sending to it.
 */
int
loom__plat_wake_create(struct loom_plat_wake *w)
{
	static const uint8_t lo[4] = { 127, 0, 0, 1 };
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	w->fd[0] = loom__plat_socket(AF_INET, SOCK_DGRAM);
	w->fd[1] = loom__plat_socket(AF_INET, SOCK_DGRAM);
	if (w->fd[0] < 0 || w->fd[1] < 0)
		goto bail;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	memcpy(&sa.sin_addr, lo, 4);	/* any port */
	if (lwip_bind(w->fd[0], (struct sockaddr *)&sa, sizeof(sa)) ||
	    lwip_getsockname(w->fd[0], (struct sockaddr *)&sa, &sl) ||
	    lwip_connect(w->fd[1], (struct sockaddr *)&sa, sl))
		goto bail;

	return 0;

bail:
	loom__plat_wake_destroy(w);
	return -1;
}

void
loom__plat_wake_destroy(struct loom_plat_wake *w)
{
	if (w->fd[0] >= 0)
		lwip_close(w->fd[0]);
	if (w->fd[1] >= 0)
		lwip_close(w->fd[1]);
	w->fd[0] = w->fd[1] = -1;
}

void
loom__plat_wake_signal(struct loom_plat_wake *w)
{
	int saved = errno;
	char one = 1;

	/* EAGAIN: the socket is full of wakeups already, which is enough */
	(void)lwip_send(w->fd[1], &one, 1, 0);
	errno = saved;
}

void
loom__plat_wake_drain(struct loom_plat_wake *w)
{
	uint8_t buf[16];

	while (lwip_recv(w->fd[0], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/*
 * Files: lwIP is a network stack, not an OS; this platform has no filesystem, so
 * serving files (static mounts) fails to open with ENOSYS: the request gets its
 * error status and the conn goes on.
 */
int
loom__plat_open_dir(const char *path)
{
	(void)path;
	errno = ENOSYS;
	return -1;
}

int
loom__plat_open_beneath(int dirfd, const char *rel, int follow_outside)
{
	(void)dirfd;
	(void)rel;
	(void)follow_outside;
	errno = ENOSYS;
	return -1;
}

int
loom__plat_file_info(int fd, struct loom_file_info *fi)
{
	(void)fd;
	(void)fi;
	errno = ENOSYS;
	return -1;
}

long
loom__plat_pread(int fd, void *buf, size_t len, uint64_t ofs)
{
	(void)fd;
	(void)buf;
	(void)len;
	(void)ofs;
	errno = ENOSYS;
	return -1;
}

long
loom__plat_sendfile(int out_fd, int in_fd, uint64_t *ofs, size_t len)
{
	(void)out_fd;
	(void)in_fd;
	(void)ofs;
	(void)len;
	errno = ENOSYS;
	return -1;
}
