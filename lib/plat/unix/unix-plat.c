/*
 * unix-plat.c: POSIX time, randomness, fd limits and the loop wakeup (eventfd on
 * Linux, a pipe elsewhere).
 */
#include "core/private-core.h"

#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/resource.h>
#if defined(__linux__)
#include <sys/eventfd.h>
#endif

int64_t
loom__plat_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
loom__plat_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (len) {
		ssize_t n = read(fd, p, len);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	close(fd);

	return 0;
}

unsigned int
loom__plat_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > 1u << 24)
		return 1u << 16;

	return (unsigned int)rl.rlim_cur;
}

int
loom__plat_wake_create(struct loom_plat_wake *w)
{
#if defined(__linux__)
	w->fd[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->fd[1] = w->fd[0];
	return w->fd[0] < 0 ? -1 : 0;
#else
	if (pipe(w->fd))
		return -1;
	loom__plat_set_nonblock(w->fd[0]);
	loom__plat_set_nonblock(w->fd[1]);
	fcntl(w->fd[0], F_SETFD, FD_CLOEXEC);
	fcntl(w->fd[1], F_SETFD, FD_CLOEXEC);
	return 0;
#endif
}

void
loom__plat_wake_destroy(struct loom_plat_wake *w)
{
	if (w->fd[0] >= 0)
		close(w->fd[0]);
	if (w->fd[1] >= 0 && w->fd[1] != w->fd[0])
		close(w->fd[1]);
	w->fd[0] = w->fd[1] = -1;
}

void
loom__plat_wake_signal(struct loom_plat_wake *w)
{
	int saved = errno;	/* may run in a signal handler */
#if defined(__linux__)
	uint64_t one = 1;
	ssize_t n = write(w->fd[1], &one, sizeof(one));
#else
	char one = 1;
	ssize_t n = write(w->fd[1], &one, 1);
#endif
	(void)n;	/* EAGAIN: a wakeup is already pending, which is enough */
	errno = saved;
}

void
loom__plat_wake_drain(struct loom_plat_wake *w)
{
	uint8_t buf[64];

	while (read(w->fd[0], buf, sizeof(buf)) > 0)
		;
}
