/*
 * private-plat.h: what the core needs from the platform (time, randomness, sockets,
 * locks, the loop wakeup). lib/plat/<platform>/ implements it; the core never calls
 * the OS for these directly.
 */
#ifndef LOOM_PRIVATE_PLAT_H
#define LOOM_PRIVATE_PLAT_H

#include <stddef.h>
#include <stdint.h>

#include "loom/loom-config.h"

#if defined(LOOM_WITH_THREADS)
#include <pthread.h>
struct loom_plat_mutex {
	pthread_mutex_t m;
	int inited;
};
#else
struct loom_plat_mutex {
	int inited;
};
#endif

/* flags written from other threads or signal handlers, read by the service thread */
#if defined(__GNUC__) || defined(__clang__)
#define loom__atomic_load(p) __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define loom__atomic_store(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)
#else
#define loom__atomic_load(p) (*(volatile int *)(p))
#define loom__atomic_store(p, v) (*(volatile int *)(p) = (v))
#endif

/* the loop wakeup: an eventfd on Linux, else a pipe; [0] is polled, [1] written */
struct loom_plat_wake {
	int fd[2];
};

struct loom_sockaddr {
	union {
		uint8_t raw[112];	/* fits sockaddr_un, sockaddr_in6, sockaddr_in */
		uint64_t align;
	} u;
	uint32_t len;
};

int64_t
loom__plat_now_us(void);
int
loom__plat_random(void *buf, size_t len);
unsigned int
loom__plat_fd_limit(void);

int
loom__plat_mutex_init(struct loom_plat_mutex *m);
void
loom__plat_mutex_destroy(struct loom_plat_mutex *m);
void
loom__plat_mutex_lock(struct loom_plat_mutex *m);
void
loom__plat_mutex_unlock(struct loom_plat_mutex *m);

int
loom__plat_wake_create(struct loom_plat_wake *w);
void
loom__plat_wake_destroy(struct loom_plat_wake *w);
void
loom__plat_wake_signal(struct loom_plat_wake *w);	/* async-signal-safe */
void
loom__plat_wake_drain(struct loom_plat_wake *w);

/* sockets: all return -1 with errno set on failure */
int
loom__plat_set_nonblock(int fd);
int
loom__plat_socket(int family, int type);		/* nonblocking, cloexec */
int
loom__plat_accept(int lfd, struct loom_sockaddr *peer);	/* nonblocking, cloexec */
int
loom__plat_send(int fd, const void *buf, size_t len);	/* never raises SIGPIPE */
int
loom__plat_send_more(int fd, const void *buf, size_t len); /* more follows at once */
int
loom__plat_sendto(int fd, const void *buf, size_t len, const struct loom_sockaddr *to);
int
loom__plat_recv(int fd, void *buf, size_t len);
int
loom__plat_recvfrom(int fd, void *buf, size_t len, struct loom_sockaddr *from,
		    int *truncated);			/* one datagram */
int
loom__plat_fd_write(int fd, const void *buf, size_t len); /* never raises SIGPIPE */
int
loom__plat_fd_read(int fd, void *buf, size_t len);
int
loom__plat_close(int fd);
int
loom__plat_fd_is_pollable(int fd);
int
loom__plat_fd_readable(int fd);				/* opened for reading */
/* the uid and gid of the process at the other end of a connected Unix socket;
 * -1 when the platform cannot tell (not a Unix socket, or no support) */
int
loom__plat_peer_cred(int fd, unsigned long *uid, unsigned long *gid);
int
loom__plat_sock_error(int fd);				/* SO_ERROR, 0 if none */
int
loom__plat_set_keepalive(int fd, unsigned int idle_secs);
/* TCP_NODELAY on a TCP socket: Nagle's algorithm off (0, or -1 where it failed or
 * the stack has no such option) */
int
loom__plat_set_nodelay(int fd);
int
loom__plat_errno_is_again(int err);
#if defined(LOOM_WITH_FAULT_INJECTION)
#include "loom/fault.h"
/* ask the test hook about one socket call: -1 (errno set) = fail it, else go on
 * for *len bytes (the hook may have lowered it) */
int
loom__plat_fault_io(enum loom_fault_io op, int fd, size_t *len);
#endif

/* files (lib/plat/unix/unix-fops.c) */
struct loom_file_info {
	uint64_t size;
	uint64_t ino;		/* with dev: which file it is, to see it replaced */
	uint64_t dev;
	int64_t mtime;		/* seconds */
	uint32_t mtime_ns;
	uint8_t is_dir;
	uint8_t is_reg;
};
/* open \p rel (no leading '/') beneath the directory \p dirfd, read-only; a path
 * (or symlink) leading outside it fails with EXDEV unless \p follow_outside */
int
loom__plat_open_beneath(int dirfd, const char *rel, int follow_outside);
int
loom__plat_open_dir(const char *path);
int
loom__plat_file_info(int fd, struct loom_file_info *fi);
/* send up to \p len bytes of file \p in_fd from *ofs to socket \p out_fd; advances
 * *ofs; returns bytes sent or -1 with errno (EAGAIN: the socket is full) */
long
loom__plat_sendfile(int out_fd, int in_fd, uint64_t *ofs, size_t len);
long
loom__plat_pread(int fd, void *buf, size_t len, uint64_t ofs);

/* addresses */
int
loom__plat_sockaddr_from_ip(struct loom_sockaddr *sa, int family, const uint8_t *addr,
			    int port);
int
loom__plat_sockaddr_parse(struct loom_sockaddr *sa, const char *numeric, int port);
int
loom__plat_sockaddr_unix(struct loom_sockaddr *sa, const char *path);
int
loom__plat_sockaddr_family(const struct loom_sockaddr *sa);
int
loom__plat_sockaddr_to_text(const struct loom_sockaddr *sa, char *buf, size_t len);
int
loom__plat_ip_parse(const char *text, uint8_t *addr);	/* returns 4, 6 or 0 */

#endif
