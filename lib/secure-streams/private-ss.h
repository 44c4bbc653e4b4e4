/*
 * private-ss.h: what the Secure Streams files share: the stream handle, the
 * per-context SS state and the ops table each protocol binding fills.
 */
#ifndef LOOM_PRIVATE_SS_H
#define LOOM_PRIVATE_SS_H

#include <loom.h>

#endif
