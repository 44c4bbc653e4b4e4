/*
 * plat.h: the hooks an embedded platform layer takes from the application
 * (LOOM_PLAT=baremetal and lwip; the unix platform asks the OS instead). See
 * READMEs/README.cross-build.md.
 */
#ifndef LOOM_PLAT_H
#define LOOM_PLAT_H

#include <stddef.h>
#include <stdint.h>

/** \defgroup plat Platform hooks (LOOM_PLAT=baremetal, lwip)
 * @{ */

/** what the platform asks of the application; set before creating a context */
struct loom_plat_hooks {
	/** monotonic time in microseconds since any fixed point. Required on
	 * baremetal; on lwip, NULL means lwIP's sys_now() (milliseconds). */
	int64_t (*now_us)(void *opaque);
	/** fill \p buf with \p len random bytes from a hardware RNG; 0 or -1.
	 * Without it, whatever needs randomness (a WebSocket client's key and
	 * masks, DNS ids) fails cleanly: there is no weak fallback. */
	int (*random)(void *opaque, void *buf, size_t len);
	/** optional, baremetal: nothing is ready; the app may sleep (WFI) up to
	 * \p timeout_ms (-1: until an interrupt) or return at once */
	void (*idle)(void *opaque, int timeout_ms);
	void *opaque;		/**< passed to the hooks */
};

/**
 * loom_plat_set_hooks() - give the platform layer its clock, random source and
 * idle hook (copied). Returns 0, or LOOM_EINVAL when a hook the platform requires
 * is missing. Only in LOOM_PLAT=baremetal and lwip builds (unix asks the OS).
 */
int
loom_plat_set_hooks(const struct loom_plat_hooks *h);

/** @} */

#endif
