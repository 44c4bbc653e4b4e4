/*
 * fuzz-ws-frame: the WebSocket frame parser (as server and as client, in pieces
 * whose size comes from the input), the permessage-deflate parameter parser, and
 * inflating what the parser hands out, bounded as the role bounds it.
 */
#include "roles/ws/private-ws.h"

#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
sink(void *user, const uint8_t *out, size_t olen, int last)
{
	size_t *total = user;

	*total += olen;

	return 0;
}

static void
parse_as(int server, const uint8_t *data, size_t size, size_t piece, int deflate)
{
	struct loom_ws_parser p;
	struct loom_ws_pmd *pmd = NULL;
	uint8_t *buf = malloc(size ? size : 1);
	size_t o = 0, total = 0;

	if (!buf)
		return;
	memcpy(buf, data, size);
	loom__ws_parser_init(&p, server, 1 << 16, 1 << 16);
	if (deflate && loom__ws_pmd_available()) {
		struct loom_ws_pmd_params pp;

		memset(&pp, 0, sizeof(pp));
		pp.server_max_wbits = pp.client_max_wbits = 15;
		pmd = loom__ws_pmd_create(&pp, server);
		p.allow_rsv1 = 1;
	}
	while (o < size) {
		size_t n = size - o < piece ? size - o : piece, used;
		struct loom_ws_event ev;
		int r = loom__ws_parse(&p, buf + o, n, &used, &ev);

		if (used > n)
			abort();
		o += used;
		if (r < 0)
			break;
		if (r == LOOM_WS_P_MORE) {
			if (used != n)
				abort();
			continue;
		}
		if (ev.type == LOOM_WS_EV_DATA && ev.compressed && pmd &&
		    loom__ws_pmd_inflate(pmd, ev.data, ev.len, ev.msg_end, 1 << 20, sink,
					 &total) < 0)
			break;
		if (ev.type != LOOM_WS_EV_DATA && ev.len > LOOM_WS_MAX_CTL)
			abort();
	}
	if (total > (1 << 20) + 16384)
		abort();
	loom__ws_pmd_destroy(pmd);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loom_ws_pmd_params pp;
	struct loom_utf8 u;
	size_t piece;
	int cwb;

	if (!size)
		return 0;
	piece = (size_t)(data[0] % 17) + 1;
	parse_as(1, data + 1, size - 1, piece, data[0] & 0x80);
	parse_as(0, data + 1, size - 1, size, data[0] & 0x40);
	loom__ws_pmd_parse((const char *)data, size, data[0] & 1, &pp, &cwb);
	memset(&u, 0, sizeof(u));
	loom__utf8_feed(&u, data, size);

	return 0;
}
