/*
 * unix-fops.c: file access for serving files: opening beneath a directory so a
 * request path can never leave it (openat2 RESOLVE_BENEATH on Linux, a realpath
 * check elsewhere), file facts, pread and sendfile.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE	/* platform code may use the OS's extensions */
#endif
#include "core/private-core.h"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>
#if defined(__linux__)
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#endif

int
loom__plat_open_dir(const char *path)
{
#if defined(O_DIRECTORY)
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
#else
	return open(path, O_RDONLY | O_CLOEXEC);
#endif
}

/* portable fallback: open, then check the real path stays under the directory's */
static int
open_beneath_realpath(int dirfd, const char *rel, int follow_outside)
{
	char dir[PATH_MAX], file[PATH_MAX], proc[64], *rp;
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	size_t dl;

	if (fd < 0 || follow_outside)
		return fd;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dirfd);
	rp = realpath(proc, dir);
	if (!rp) {
		close(fd);
		errno = EACCES;
		return -1;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (!realpath(proc, file)) {
		close(fd);
		errno = EACCES;
		return -1;
	}
	dl = strlen(dir);
	if (strncmp(file, dir, dl) || (file[dl] != '/' && file[dl] != '\0')) {
		close(fd);
		errno = EXDEV;
		return -1;
	}

	return fd;
}

int
loom__plat_open_beneath(int dirfd, const char *rel, int follow_outside)
{
#if defined(__linux__) && defined(SYS_openat2)
	struct open_how how;
	long fd;

	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_CLOEXEC;
	/* beneath: no "..", absolute path or symlink may lead out of the directory */
	how.resolve = follow_outside ? 0 : RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	if (fd >= 0 || errno != ENOSYS)
		return (int)fd;
#endif
	return open_beneath_realpath(dirfd, rel, follow_outside);
}

int
loom__plat_file_info(int fd, struct loom_file_info *fi)
{
	struct stat st;

	if (fstat(fd, &st))
		return -1;
	fi->size = (uint64_t)st.st_size;
	fi->ino = (uint64_t)st.st_ino;
	fi->dev = (uint64_t)st.st_dev;
	fi->mtime = (int64_t)st.st_mtim.tv_sec;
	fi->mtime_ns = (uint32_t)st.st_mtim.tv_nsec;
	fi->is_dir = !!S_ISDIR(st.st_mode);
	fi->is_reg = !!S_ISREG(st.st_mode);

	return 0;
}

long
loom__plat_pread(int fd, void *buf, size_t len, uint64_t ofs)
{
	return (long)pread(fd, buf, len, (off_t)ofs);
}

/*
 * sendfile() has no MSG_NOSIGNAL: a peer gone mid-file raises SIGPIPE, even
 * when the call returns the bytes it sent before that. As for
 * pipe writes, the signal is blocked for this thread around the call and the one
 * it raised is consumed, so the process's own disposition is never changed.
 */
long
loom__plat_sendfile(int out_fd, int in_fd, uint64_t *ofs, size_t len)
{
#if defined(LOOM_WITH_FAULT_INJECTION)
	if (loom__plat_fault_io(LOOM_FAULT_SEND, out_fd, &len))
		return -1;
#endif
#if defined(__linux__)
	sigset_t pipe_set, old;
	off_t o = (off_t)*ofs;
	ssize_t n;
	int e;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
#if defined(LOOM_WITH_THREADS)
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
#else
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
#endif
	n = sendfile(out_fd, in_fd, &o, len);
	e = errno;
	/* a call that sent part of the file and then hit the closed peer returns
	 * the part, yet raised the signal: consume it whenever it fell short */
	if (((n < 0 && e == EPIPE) || (n >= 0 && (size_t)n < len)) &&
	    !sigismember(&old, SIGPIPE)) {
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
#if defined(LOOM_WITH_THREADS)
	pthread_sigmask(SIG_SETMASK, &old, NULL);
#else
	sigprocmask(SIG_SETMASK, &old, NULL);
#endif
	errno = e;
	if (n > 0)
		*ofs = (uint64_t)o;
	return (long)n;
#else
	char buf[16384];
	long n = (long)pread(in_fd, buf, len < sizeof(buf) ? len : sizeof(buf),
			     (off_t)*ofs);

	if (n <= 0)
		return n;
	n = loom__plat_send(out_fd, buf, (size_t)n);
	if (n > 0)
		*ofs += (uint64_t)n;
	return n;
#endif
}
