/*
 * alloc.c: the allocator hook every Loom allocation goes through, and the error
 * texts of the LOOM_E* values.
 */
#include "core/private-core.h"

#include <stdlib.h>

static void *
loom_default_realloc(void *ptr, size_t size, const char *reason)
{
	(void)reason;
	if (!size) {
		free(ptr);
		return NULL;
	}

	return realloc(ptr, size);
}

static loom_realloc_fn loom_allocator = loom_default_realloc;

void
loom_set_allocator(loom_realloc_fn fn)
{
	loom_allocator = fn ? fn : loom_default_realloc;
}

loom_realloc_fn
loom__allocator_user(void)
{
	return loom_allocator == loom_default_realloc ? NULL : loom_allocator;
}

/* the names in parentheses: private-core.h may make them macros */
void *
(loom_realloc)(void *ptr, size_t size, const char *reason)
{
	return loom_allocator(ptr, size, reason);
}

void *
(loom_zalloc)(size_t size, const char *reason)
{
	void *p = loom_allocator(NULL, size, reason);

	if (p)
		memset(p, 0, size);

	return p;
}

void
loom_free(void *ptr)
{
	if (ptr)
		loom_allocator(ptr, 0, "free");
}

char *
loom__strdup(const char *s, const char *reason)
{
	size_t n = strlen(s) + 1;
	char *d = loom_malloc(n, reason);

	if (d)
		memcpy(d, s, n);

	return d;
}

const char *
loom_strerror(int err)
{
	switch (err) {
	case LOOM_OK:		return "ok";
	case LOOM_EINVAL:	return "invalid argument";
	case LOOM_ENOMEM:	return "out of memory";
	case LOOM_EBUSY:	return "queue or table full";
	case LOOM_ESOCKET:	return "socket error";
	case LOOM_ECLOSED:	return "connection closed";
	case LOOM_ENOTFOUND:	return "not found";
	case LOOM_ELIMIT:	return "limit reached";
	case LOOM_EUNSUPP:	return "not supported in this build";
	}

	return err > 0 ? "ok" : "unknown error";
}
