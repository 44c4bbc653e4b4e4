/*
 * bm-plat.c: the bare-metal platform (LOOM_PLAT=baremetal): time and randomness
 * from the application's hooks, and its byte streams numbered like descriptors
 * (descriptor 0 is the loop's wakeup flag). No sockets, files or threads.
 */
#include "core/private-core.h"
#include "plat/baremetal/private-bm.h"

#include <loom/baremetal.h>

static struct loom_plat_hooks bm_hooks;
struct loom_bm_stream loom__bm_streams[LOOM_BM_FDS];
/* descriptor 0: set by loom_cancel_service() (maybe from an interrupt) */
int loom__bm_wake_flag;

int
loom_plat_set_hooks(const struct loom_plat_hooks *p)
{
	if (!p || !p->now_us)
		return LOOM_EINVAL;
	bm_hooks = *p;

	return 0;
}

int
loom__bm_have_platform(void)
{
	return bm_hooks.now_us != NULL;
}

void
loom__bm_idle(int timeout_ms)
{
	if (bm_hooks.idle)
		bm_hooks.idle(bm_hooks.opaque, timeout_ms);
}

int
loom_bm_stream_add(const struct loom_bm_stream_ops *ops, void *priv)
{
	int fd;

	if (!ops || !ops->read || !ops->write || !ops->ready)
		return LOOM_EINVAL;
	for (fd = 1; fd < LOOM_BM_FDS; fd++)
		if (!loom__bm_streams[fd].ops) {
			loom__bm_streams[fd].ops = ops;
			loom__bm_streams[fd].priv = priv;
			return fd;
		}

	return LOOM_ELIMIT;
}

static struct loom_bm_stream *
bm_stream(int fd)
{
	if (fd <= 0 || fd >= LOOM_BM_FDS || !loom__bm_streams[fd].ops) {
		errno = EBADF;
		return NULL;
	}

	return &loom__bm_streams[fd];
}

int64_t
loom__plat_now_us(void)
{
	return bm_hooks.now_us ? bm_hooks.now_us(bm_hooks.opaque) : 0;
}

int
loom__plat_random(void *buf, size_t len)
{
	if (!bm_hooks.random)
		return -1;

	return bm_hooks.random(bm_hooks.opaque, buf, len) ? -1 : 0;
}

unsigned int
loom__plat_fd_limit(void)
{
	return LOOM_BM_FDS;
}

/* one thread owns everything: LOOM_WITH_THREADS is off on this platform */
int
loom__plat_mutex_init(struct loom_plat_mutex *m)
{
	m->inited = 1;
	return 0;
}

void
loom__plat_mutex_destroy(struct loom_plat_mutex *m)
{
	m->inited = 0;
}

void
loom__plat_mutex_lock(struct loom_plat_mutex *m)
{
	(void)m;
}

void
loom__plat_mutex_unlock(struct loom_plat_mutex *m)
{
	(void)m;
}

int
loom__plat_wake_create(struct loom_plat_wake *w)
{
	w->fd[0] = w->fd[1] = 0;
	loom__atomic_store(&loom__bm_wake_flag, 0);

	return 0;
}

void
loom__plat_wake_destroy(struct loom_plat_wake *w)
{
	w->fd[0] = w->fd[1] = -1;
}

void
loom__plat_wake_signal(struct loom_plat_wake *w)
{
	(void)w;
	loom__atomic_store(&loom__bm_wake_flag, 1);	/* safe from an interrupt */
}

void
loom__plat_wake_drain(struct loom_plat_wake *w)
{
	(void)w;
	loom__atomic_store(&loom__bm_wake_flag, 0);
}

/* streams: the read/write semantics of a non-blocking fd, errno and all */
int
loom__plat_fd_read(int fd, void *buf, size_t len)
{
	struct loom_bm_stream *s = bm_stream(fd);
	int n;

	if (!s)
		return -1;
	n = s->ops->read(s->priv, buf, len);
	if (!n) {
		errno = EAGAIN;
		return -1;
	}

	return n < 0 ? 0 : n;	/* the stream ended: EOF */
}

int
loom__plat_fd_write(int fd, const void *buf, size_t len)
{
	struct loom_bm_stream *s = bm_stream(fd);
	int n;

	if (!s)
		return -1;
	n = s->ops->write(s->priv, buf, len);
	if (n > 0)
		return n;
	errno = n ? EPIPE : EAGAIN;

	return -1;
}

int
loom__plat_close(int fd)
{
	struct loom_bm_stream *s = bm_stream(fd);

	if (!s)
		return -1;
	if (s->ops->close)
		s->ops->close(s->priv);
	s->ops = NULL;
	s->priv = NULL;

	return 0;
}

int
loom__plat_set_nonblock(int fd)
{
	/* streams never block by contract */
	return bm_stream(fd) ? 0 : -1;
}

int
loom__plat_fd_is_pollable(int fd)
{
	return fd == 0 || bm_stream(fd) != NULL;
}

int
loom__plat_fd_readable(int fd)
{
	return bm_stream(fd) != NULL;
}

int
loom__plat_errno_is_again(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/*
 * The core's socket paths are taken only by conns with LCF_IS_SOCKET, which no
 * conn has here (adopting a socket is refused): they fail as a socket call on a
 * system without sockets would.
 */
int
loom__plat_send(int fd, const void *buf, size_t len)
{
	(void)fd;
	(void)buf;
	(void)len;
	errno = ENOTSUP;
	return -1;
}

int
loom__plat_sendto(int fd, const void *buf, size_t len, const struct loom_sockaddr *to)
{
	(void)to;
	return loom__plat_send(fd, buf, len);
}

int
loom__plat_recv(int fd, void *buf, size_t len)
{
	return loom__plat_send(fd, buf, len);
}
