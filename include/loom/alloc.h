/*
 * alloc.h: the allocator hook. Every allocation Loom makes goes through
 * loom_realloc(), so an application can account for, limit or fail allocations.
 */
#ifndef LOOM_ALLOC_H
#define LOOM_ALLOC_H

/**
 * loom_realloc_fn - the shape of a user allocator
 *
 * \param ptr: NULL to allocate, or a block from this allocator
 * \param size: the new size; 0 means free \p ptr and return NULL
 * \param reason: a short static string saying what the block is for (for accounting)
 *
 * Returns the new block, or NULL when \p size is 0 or the allocation failed. On
 * failure the old block is left untouched, as realloc() does.
 */
typedef void *(*loom_realloc_fn)(void *ptr, size_t size, const char *reason);

/**
 * loom_set_allocator() - replace the process-wide allocator
 *
 * \param fn: the allocator, or NULL to go back to the C library's realloc()/free()
 *
 * Call it before creating any context and not while any Loom object is alive: blocks
 * must be freed by the allocator that made them.
 *
 * The TLS library: at Loom's first use of OpenSSL, an installed allocator is also
 * given to OpenSSL (CRYPTO_set_mem_functions(), reason "openssl"). That is
 * process-wide, works only if nothing in the process used OpenSSL before, and
 * lasts for the life of the process: OpenSSL keeps calling this \p fn even after
 * a later loom_set_allocator(), so it must stay usable until exit. mbedTLS gets
 * it (reason "mbedtls") only when built with MBEDTLS_PLATFORM_MEMORY, which
 * Debian's 2.28 is not. READMEs/README.tls.md, "Memory", has the details.
 */
void
loom_set_allocator(loom_realloc_fn fn);

/** loom_realloc() - allocate, resize or (size 0) free through the hook */
void *
loom_realloc(void *ptr, size_t size, const char *reason);

/** loom_malloc() - allocate \p size bytes through the hook */
#define loom_malloc(size, reason) loom_realloc(NULL, size, reason)

/** loom_zalloc() - allocate \p size zeroed bytes through the hook */
void *
loom_zalloc(size_t size, const char *reason);

/** loom_free() - free a block from loom_realloc(); NULL is allowed */
void
loom_free(void *ptr);

#endif
