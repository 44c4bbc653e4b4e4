/*
 * private-event-libs.h: the event-lib ops table. The default loop (epoll or poll),
 * the libuv/libevent/libev/glib shims and the app's custom loops each fill one; the
 * core calls only these.
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
	 * dispatch with loom__service_conn(); returns events handled or < 0.
	 * A guest in a foreign loop returns LOOM_EINVAL: the app runs that loop. */
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
	/* work that needs no fd event was queued (a WRITEABLE the last write made
	 * certain), possibly from the app's own callbacks: a guest whose loop has no
	 * prepare step (libevent) makes its next poll not sleep; may be NULL */
	void (*work_queued)(struct loom_pt *pt);
};

/* the default event lib of this build: epoll or poll */
extern const struct loom_event_lib_ops loom_evlib_default;

/* the shims this build has (each only when its library was found) */
#if defined(LOOM_WITH_LIBUV)
extern const struct loom_event_lib_ops loom_evlib_libuv;
#endif
#if defined(LOOM_WITH_LIBEVENT)
extern const struct loom_event_lib_ops loom_evlib_libevent;
#endif
#if defined(LOOM_WITH_LIBEV)
extern const struct loom_event_lib_ops loom_evlib_libev;
#endif
#if defined(LOOM_WITH_GLIB)
extern const struct loom_event_lib_ops loom_evlib_glib;
#endif
/* the adapter to an app's struct loom_evlib_custom (evlibs.c) */
extern const struct loom_event_lib_ops loom_evlib_custom_ops;

/*
 * The event lib for a new context: info->custom_evlib, else info->event_lib by
 * name, else $LOOM_EVLIB (a testing aid), else the default. NULL (logged) when the
 * one asked for is not in this build. (evlibs.c)
 */
const struct loom_event_lib_ops *
loom__evlib_select(const struct loom_context_info *info);

/*
 * For loops Loom does not drive (a guest in a foreign loop, a custom loop), from the
 * loop's prepare step, before it sleeps: runs due suls and returns how long the loop
 * may sleep before Loom needs it: 0 = work is ready now (do not sleep), -1 = until
 * an fd event, else ms. Unlike loom__pt_wait_ms(), loom_stop() does not count as
 * work: a guest never stops its host's loop. (service.c)
 */
int
loom__pt_guest_wait_ms(struct loom_pt *pt);

/*
 * One fd event from a loop Loom does not drive: service the conn on \p fd, as the
 * guest's dispatch (evlibs.c). \p revents: LOOM_EV_READ/WRITE, LOOM_REV_HUPERR.
 */
void
loom__evlib_guest_fd(struct loom_pt *pt, int fd, unsigned int revents);

/* the guest's check step, after the loop dispatched: loom__pt_after_wait() */
void
loom__evlib_guest_after(struct loom_pt *pt);

#endif
