/* arch/cc.h: the compiler and C library facts lwIP needs (newlib / picolibc) */
#ifndef LOOM_FP_ARCH_CC_H
#define LOOM_FP_ARCH_CC_H

#include <stdint.h>
#include <stddef.h>
#include <sys/time.h>

#define LWIP_ERRNO_STDINCLUDE	1
#define LWIP_TIMEVAL_PRIVATE	0
#define LWIP_PLATFORM_DIAG(x)	do { } while (0)
#define LWIP_PLATFORM_ASSERT(x)	do { } while (0)

typedef uint32_t sys_prot_t;

#endif
