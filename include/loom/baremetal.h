/*
 * baremetal.h: what an application gives Loom on a device with no OS
 * (LOOM_PLAT=baremetal): a clock, a random source, and byte streams (a UART, a
 * USB CDC endpoint, a shared-memory ring) that Loom serves like file descriptors.
 * There are no sockets on this platform: listening, loom_client_connect() and the
 * roles over them (h1, ws, mqtt) are not in such a build. See
 * READMEs/README.cross-build.md.
 */
#ifndef LOOM_BAREMETAL_H
#define LOOM_BAREMETAL_H

#include <stddef.h>
#include <stdint.h>

#include <loom/plat.h>

/** \defgroup baremetal Bare-metal platform (LOOM_PLAT=baremetal)
 *
 * The application sets its clock with loom_plat_set_hooks() (include/loom/plat.h)
 * and drives the loop: it calls loom_service(ctx, 0) from its main loop (or
 * loom_service(ctx, -1), which calls the \c idle hook when nothing is ready), and
 * Loom asks each stream's \c ready() whether it can be read or written.
 * @{ */

/** readiness a stream reports from \c ready() (the bits of include/loom/evlib.h) */
#define LOOM_BM_READABLE	(1u << 0) /**< read() would return bytes */
#define LOOM_BM_WRITABLE	(1u << 1) /**< write() would take bytes */
#define LOOM_BM_HUP		(1u << 2) /**< the other end is gone */

/** a byte stream; every call returns at once (non-blocking) */
struct loom_bm_stream_ops {
	/** copy up to \p len bytes into \p buf: the count, 0 when none are
	 * waiting now, < 0 when the stream has ended (the conn then closes) */
	int (*read)(void *priv, uint8_t *buf, size_t len);
	/** take up to \p len bytes: the count taken, 0 when full now, < 0 when the
	 * stream failed */
	int (*write)(void *priv, const uint8_t *buf, size_t len);
	/** what the stream can do now: LOOM_BM_READABLE | LOOM_BM_WRITABLE |
	 * LOOM_BM_HUP; called on every loop pass for each watched stream */
	unsigned int (*ready)(void *priv);
	/** optional: Loom is done with the stream (its conn closed) */
	void (*close)(void *priv);
};

/**
 * loom_bm_stream_add() - number a byte stream so Loom can serve it
 * \param ops: the stream's functions (kept by pointer: keep them alive)
 * \param priv: passed to them
 *
 * Returns a descriptor (> 0) for loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, fd,
 * ...), or LOOM_ELIMIT when LOOM_BM_MAX_STREAMS are open. The stream's \c close
 * is called when the conn closes (unless adopted with LOOM_ADOPT_NO_CLOSE), and
 * the descriptor can be reused after that.
 */
int
loom_bm_stream_add(const struct loom_bm_stream_ops *ops, void *priv);

/** @} */

#endif
