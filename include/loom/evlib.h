/*
 * evlib.h: choosing the event library, and plugging in a loop Loom does not know
 * (a custom loop: the app's own select() loop, a language runtime's loop).
 */
#ifndef LOOM_EVLIB_H
#define LOOM_EVLIB_H

struct loom_context;

/** \defgroup evlib Event libraries and custom loops
 * @{ */

/** fd interest and readiness for custom loops */
#define LOOM_EVLIB_READ		(1u << 0) /**< readable */
#define LOOM_EVLIB_WRITE	(1u << 1) /**< writable */
#define LOOM_EVLIB_HUPERR	(1u << 2) /**< hangup or error (revents only) */

/**
 * struct loom_evlib_custom - what an app's own loop does for Loom
 * (info.custom_evlib). \p loop is info.foreign_loops[tsi] (may be NULL), given back
 * as is. The table must outlive the context.
 *
 * The loop's side of the contract, each iteration, on the service thread:
 *  1. before it sleeps, call loom_evlib_pending(): it runs Loom's ready work and due
 *     timers and says how long the loop may sleep (0: do not sleep);
 *  2. for each fd Loom watches that is ready, call loom_evlib_fd_ready().
 */
struct loom_evlib_custom {
	const char *name;	/**< for logs */
	/** watch \p fd for \p events (LOOM_EVLIB_READ | LOOM_EVLIB_WRITE, maybe 0:
	 * keep the fd but report nothing); called when Loom starts watching it and on
	 * every change of interest. Returns 0 or < 0 (the fd's conn then fails). */
	int (*fd_watch)(void *loop, int fd, unsigned int events);
	/** forget \p fd: Loom is about to close it (or hand it to another conn) */
	void (*fd_unwatch)(void *loop, int fd);
	/** optional: Loom's next deadline moved earlier. A loop that calls
	 * loom_evlib_pending() before every sleep may leave it NULL; others wake
	 * and call it soon. */
	void (*wake)(void *loop);
};

/**
 * loom_evlib_fd_ready() - a custom loop reports that \p fd, which Loom watches,
 * is ready: \p revents is LOOM_EVLIB_READ | LOOM_EVLIB_WRITE | LOOM_EVLIB_HUPERR.
 * An fd Loom no longer watches (closed earlier in the same iteration) is ignored.
 */
void
loom_evlib_fd_ready(struct loom_context *ctx, int tsi, int fd, unsigned int revents);

/**
 * loom_evlib_pending() - a custom loop's step before it sleeps: runs the work Loom
 * has ready (WRITEABLE callbacks that need no kernel round trip, always-ready fds)
 * and its due timers. Returns how long the loop may sleep before calling this
 * again: 0 = more work is ready (do not sleep), -1 = until an fd event, else ms.
 * loom_stop() has no effect on a guest.
 */
int
loom_evlib_pending(struct loom_context *ctx, int tsi);

/** loom_evlib_name() - the name of the context's event library ("epoll", "libuv" ...) */
const char *
loom_evlib_name(const struct loom_context *ctx);

/**
 * loom_evlib_available() - nonzero when \p name ("libuv", "libevent", "libev",
 * "glib", "default") can be given as info.event_lib in this build
 */
int
loom_evlib_available(const char *name);

/** loom_evlib_is_guest() - nonzero when service thread \p tsi runs in a loop the
 * app owns (a foreign or custom loop): the app runs it, not loom_run() */
int
loom_evlib_is_guest(const struct loom_context *ctx, int tsi);
/** @} */

#endif
