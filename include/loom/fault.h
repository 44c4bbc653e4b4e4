/*
 * fault.h: a test-only seam in the socket read and write path, for fault-injection
 * tests. It exists only in builds configured with -DLOOM_WITH_FAULT_INJECTION=ON
 * (default OFF); without it the hot path has no hook and these names are absent.
 */
#ifndef LOOM_FAULT_H
#define LOOM_FAULT_H

#if defined(LOOM_WITH_FAULT_INJECTION)

/** the socket call the hook is asked about */
enum loom_fault_io {
	LOOM_FAULT_RECV,	/**< a read from a socket */
	LOOM_FAULT_SEND		/**< a write (send or sendfile) to a socket */
};

/**
 * loom_fault_io_fn - decide the fate of one socket read or write
 *
 * \param opaque: as given to loom_fault_set_io_hook()
 * \param op: read or write
 * \param fd: the socket
 * \param len: in: the length asked for; the hook may lower it (never to 0) to cut
 *	       the call short
 *
 * Returns 0 to go on with the call (for *len bytes), or a positive errno (EAGAIN,
 * ECONNRESET, EPIPE ...) that the call then fails with, without touching the socket.
 * EPROTO on a send under an mbedTLS session stands for a fatal error of the TLS
 * library itself: the backend's send callback gives mbedTLS
 * MBEDTLS_ERR_SSL_INTERNAL_ERROR, which the mbedtls_ssl_write() in progress
 * returns. (With OpenSSL, fail its allocations through loom_set_allocator() to
 * make SSL_write() end in SSL_ERROR_SSL.)
 */
typedef int (*loom_fault_io_fn)(void *opaque, enum loom_fault_io op, int fd,
				size_t *len);

/**
 * loom_fault_set_io_hook() - install (or, with NULL, remove) the process-wide hook
 *
 * \param fn: the hook, called on the service thread before each socket recv, send
 *	      and sendfile, TLS records included (both backends read and write through
 *	      the same calls)
 * \param opaque: passed to \p fn
 *
 * Not thread-safe: set it while no context is running.
 */
void
loom_fault_set_io_hook(loom_fault_io_fn fn, void *opaque);

#endif /* LOOM_WITH_FAULT_INJECTION */

#endif
