/*
 * private-bm.h: what the bare-metal platform (bm-plat.c) and its loop (bm-loop.c)
 * share: the stream table and the wakeup flag.
 */
#ifndef LOOM_PRIVATE_BM_H
#define LOOM_PRIVATE_BM_H

#include <loom/baremetal.h>

/* descriptor 0 is the wakeup flag, 1..LOOM_BM_MAX_STREAMS the app's streams */
#define LOOM_BM_FDS (LOOM_BM_MAX_STREAMS + 1)

struct loom_bm_stream {
	const struct loom_bm_stream_ops *ops;	/* NULL: the slot is free */
	void *priv;
};

extern struct loom_bm_stream loom__bm_streams[LOOM_BM_FDS];
extern int loom__bm_wake_flag;

int
loom__bm_have_platform(void);
void
loom__bm_idle(int timeout_ms);

#endif
