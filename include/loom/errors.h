/*
 * errors.h: the error values Loom functions return. Errors are negative values;
 * 0 or a positive count means success.
 */
#ifndef LOOM_ERRORS_H
#define LOOM_ERRORS_H

/** \defgroup errors Error values
 * Functions that can fail return one of these (negative) or 0 / a count.
 * @{ */
#define LOOM_OK		0	/**< success */
#define LOOM_EINVAL	(-1)	/**< an argument is invalid */
#define LOOM_ENOMEM	(-2)	/**< the allocator returned NULL */
#define LOOM_EBUSY	(-3)	/**< a bounded queue or table is full */
#define LOOM_ESOCKET	(-4)	/**< a socket call failed (errno says which) */
#define LOOM_ECLOSED	(-5)	/**< the connection is closing or closed */
#define LOOM_ENOTFOUND	(-6)	/**< a name or object was not found */
#define LOOM_ELIMIT	(-7)	/**< a configured limit was reached */
#define LOOM_EUNSUPP	(-8)	/**< not supported in this build */

/** loom_strerror() - a short English text for a LOOM_E* value */
const char *
loom_strerror(int err);
/** @} */

#endif
