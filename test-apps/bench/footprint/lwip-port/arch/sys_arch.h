/* arch/sys_arch.h: an RTOS port's semaphore, mutex, mailbox and thread handles */
#ifndef LOOM_FP_ARCH_SYS_ARCH_H
#define LOOM_FP_ARCH_SYS_ARCH_H

#define SYS_MBOX_NULL NULL
#define SYS_SEM_NULL NULL

typedef void *sys_sem_t;
typedef void *sys_mutex_t;
typedef void *sys_mbox_t;
typedef void *sys_thread_t;

#define sys_sem_valid(s)		((s) && *(s))
#define sys_sem_set_invalid(s)		do { if (s) *(s) = NULL; } while (0)
#define sys_mutex_valid(m)		sys_sem_valid(m)
#define sys_mutex_set_invalid(m)	sys_sem_set_invalid(m)
#define sys_mbox_valid(m)		sys_sem_valid(m)
#define sys_mbox_set_invalid(m)		sys_sem_set_invalid(m)

#endif
