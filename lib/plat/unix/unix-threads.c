/*
 * unix-threads.c: the mutex used by the defer queue; with LOOM_WITH_THREADS off
 * these do nothing (one thread owns everything).
 */
#include "core/private-core.h"

int
loom__plat_mutex_init(struct loom_plat_mutex *m)
{
#if defined(LOOM_WITH_THREADS)
	if (pthread_mutex_init(&m->m, NULL))
		return -1;
#endif
	m->inited = 1;
	return 0;
}

void
loom__plat_mutex_destroy(struct loom_plat_mutex *m)
{
	if (!m->inited)
		return;
#if defined(LOOM_WITH_THREADS)
	pthread_mutex_destroy(&m->m);
#endif
	m->inited = 0;
}

void
loom__plat_mutex_lock(struct loom_plat_mutex *m)
{
#if defined(LOOM_WITH_THREADS)
	pthread_mutex_lock(&m->m);
#else
	(void)m;
#endif
}

void
loom__plat_mutex_unlock(struct loom_plat_mutex *m)
{
#if defined(LOOM_WITH_THREADS)
	pthread_mutex_unlock(&m->m);
#else
	(void)m;
#endif
}
