/*
 * sizes.c: the RAM an idle connection holds, as the target's compiler lays the
 * structs out. Compiled (not linked) by run.sh for each target; each array's
 * size, read back with nm -S, is one figure. Includes the library's private
 * headers: it measures them.
 */
#include "core/private-core.h"
#include "roles/http/private-http.h"
#include "roles/ws/private-ws.h"

#if !defined(LOOM_WS_RND)
#define LOOM_WS_RND 0	/* a tree whose ws client keeps no masking-key pool */
#endif

/* a conn's block: the struct rounded as lib/core/conn.c allocates it */
const unsigned char loom_fp_conn[(sizeof(struct loom_conn) + 15) & ~(size_t)15];
/* an HTTP/1.1 conn's role state between requests (its header store is pooled) */
const unsigned char loom_fp_h1[sizeof(struct loom_h1)];
/* a WebSocket client conn's role state, with its masking-key pool */
const unsigned char loom_fp_ws_client[sizeof(struct loom_ws) + LOOM_WS_RND];
/* the per-thread rx buffer every conn of the thread shares (default size) */
const unsigned char loom_fp_pt[sizeof(struct loom_pt)];
