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

static uint32_t
mix(uint32_t h, const uint8_t *p, size_t len)
{
	while (len--)
		h = (h ^ *p++) * 16777619u;

	return h;
}

/*
 * What the parser says about a stream, as one hash: every control event, each
 * whole message (its opcode, bytes and frame ends), the error. The same for
 * any split, so whole input (the one-step path for small frames) and byte by
 * byte (the general path) must agree. A message cut by an error counts for
 * nothing: split input may hand out its first bytes before the bad one.
 */
static uint32_t
digest(int server, const uint8_t *data, size_t size, size_t piece)
{
	struct loom_ws_parser p;
	uint8_t *buf = malloc(size ? size : 1), mark[4];
	uint32_t h = 2166136261u, mh = 0;
	size_t o = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	loom__ws_parser_init(&p, server, 4096, 1024);
	while (o < size) {
		size_t n = size - o < piece ? size - o : piece, used;
		struct loom_ws_event ev;
		int r = loom__ws_parse(&p, buf + o, n, &used, &ev);

		o += used;
		if (r < 0) {
			mark[0] = 0xee;
			mark[1] = (uint8_t)(-r >> 8);
			mark[2] = (uint8_t)-r;
			h = mix(h, mark, 3);
			break;
		}
		if (r == LOOM_WS_P_MORE)
			continue;
		if (ev.type == LOOM_WS_EV_DATA) {
			if (ev.msg_first) {
				mark[0] = 0xf0;
				mark[1] = ev.opcode;
				mh = mix(2166136261u, mark, 2);
			}
			mh = mix(mh, ev.data, ev.len);
			mark[0] = 0xf1;
			if (ev.frame_end)
				mh = mix(mh, mark, 1);
			if (ev.msg_end) {
				mark[0] = (uint8_t)(mh >> 24);
				mark[1] = (uint8_t)(mh >> 16);
				mark[2] = (uint8_t)(mh >> 8);
				mark[3] = (uint8_t)mh;
				h = mix(h, mark, 4);
			}
			continue;
		}
		mark[0] = ev.type;
		mark[1] = (uint8_t)(ev.close_code >> 8);
		mark[2] = (uint8_t)ev.close_code;
		h = mix(h, mark, 3);
		h = mix(h, ev.data, ev.len);
	}
	free(buf);

	return h;
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
	if (digest(1, data + 1, size - 1, size) != digest(1, data + 1, size - 1, 1) ||
	    digest(0, data + 1, size - 1, size) != digest(0, data + 1, size - 1, 1))
		abort();	/* a split changed what the stream says */
	loom__ws_pmd_parse((const char *)data, size, data[0] & 1, &pp, &cwb);
	memset(&u, 0, sizeof(u));
	loom__utf8_feed(&u, data, size);

	return 0;
}
