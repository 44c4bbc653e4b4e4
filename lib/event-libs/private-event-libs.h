/*
 * private-event-libs.h: the event-lib ops table. The default loop (epoll or poll)
 * and later libuv/libevent/libev/glib each fill one; the core calls only these.
 */
#ifndef LOOM_PRIVATE_EVENT_LIBS_H
#define LOOM_PRIVATE_EVENT_LIBS_H

struct loom_event_lib_ops {
	const char *name;
	/* context-wide setup and teardown */
	int (*init_context)(struct loom_context *ctx, const struct loom_context_info *info);
	void (*destroy_context)(struct loom_context *ctx);
	/* per service thread: own loop, or join \p foreign_loop when not NULL */
	int (*init_pt)(struct loom_pt *pt, void *foreign_loop);
	/* wait up to \p timeout_ms (the core has folded in suls and pending work),
	 * dispatch with loom__service_conn(); returns events handled or < 0 */
	int (*run_pt)(struct loom_pt *pt, int timeout_ms);
	/* start watching conn->fd with the interest in conn->ev; returns 0, 1 when the
	 * fd is of a kind the loop cannot wait on (the core then treats it as always
	 * ready), or < 0 on failure */
	int (*sock_accept)(struct loom_conn *conn);
	/* change interest: LOOM_EV_START/STOP with LOOM_EV_READ/WRITE */
	void (*io)(struct loom_conn *conn, unsigned int flags);
	/* stop watching conn->fd (before it is closed) */
	void (*destroy_conn)(struct loom_conn *conn);
	void (*destroy_pt)(struct loom_pt *pt);
	/* the soonest sul changed (foreign loops re-arm their timer); may be NULL */
	void (*sul_changed)(struct loom_pt *pt);
};

/* the default event lib of this build: epoll or poll */
extern const struct loom_event_lib_ops loom_evlib_default;

#endif
