/*
 * frame.c: the WebSocket frame parser and encoder (RFC 6455 section 5). I/O-free:
 * bytes in (split anywhere), events or a close code out; no socket, no allocation.
 */
#include "roles/ws/private-ws.h"

#include <string.h>

enum {
	WSP_HDR,		/* collecting the frame header */
	WSP_PAYLOAD,		/* payload bytes of the frame */
	WSP_ERROR
};

void
loom__ws_parser_init(struct loom_ws_parser *p, int server, uint64_t max_msg,
		     uint64_t max_frame)
{
	memset(p, 0, sizeof(*p));
	p->server = (uint8_t)!!server;
	p->max_msg = max_msg;
	p->max_frame = max_frame;
	p->hdr_need = 2;
}

int
loom__ws_close_code_valid(unsigned int code)
{
	if (code >= 3000 && code <= 4999)
		return 1;	/* registered (3xxx) and private (4xxx) use */

	switch (code) {
	case 1000: case 1001: case 1002: case 1003:
	case 1007: case 1008: case 1009: case 1010: case 1011:
	case 1012: case 1013: case 1014:
		return 1;
	default:
		/* 1004-1006 and 1015 are never sent; the rest is reserved */
		return 0;
	}
}

static int
ws_fail(struct loom_ws_parser *p, int code)
{
	p->state = WSP_ERROR;
	p->error = (uint16_t)code;

	return -code;
}

/*
 * A bad first two bytes: the error waits until the rest of the header is in, so
 * the bad frame's length is known and the role can skip it to find the peer's
 * close frame that answers ours.
 */
static int
ws_defer(struct loom_ws_parser *p, int code)
{
	if (!p->pending_err)
		p->pending_err = (uint16_t)code;

	return 0;
}

/* the header \p h is whole: check it and set up the payload */
static int
ws_header_done(struct loom_ws_parser *p, const uint8_t *h)
{
	uint64_t len = h[1] & 0x7f;
	size_t o = 2;
	int control;

	if (len == 126) {
		len = ((uint64_t)h[2] << 8) | h[3];
		o = 4;
	} else if (len == 127) {
		int i;

		len = 0;
		for (i = 0; i < 8; i++)
			len = (len << 8) | h[2 + i];
		if (len >> 63)
			return ws_fail(p, 1002);	/* the top bit must be 0 */
		o = 10;
	}
	if (p->masked)
		memcpy(p->mask, h + o, 4);
	p->mask_ofs = 0;
	p->remaining = len;
	if (p->pending_err)
		return ws_fail(p, p->pending_err);

	control = !!(p->opcode & 8);
	if (control) {
		if (!p->fin || len > LOOM_WS_MAX_CTL)
			return ws_fail(p, 1002);
		p->ctl_len = 0;
	} else {
		uint64_t lim = p->max_frame;

		/* deflate can grow incompressible data a little (RFC 1951 stored
		 * blocks): the inflated size is what the message limit bounds */
		if (lim && p->msg_compressed)
			lim += lim / 64 + 1024;
		if (lim && len > lim)
			return ws_fail(p, 1009);
		/* too big already by its header: refuse before reading it */
		if (!p->msg_compressed && p->max_msg &&
		    (len > p->max_msg || p->msg_len + len > p->max_msg))
			return ws_fail(p, 1009);
	}

	return 0;
}

/* the first two bytes \p h are in: check what they say and how long the header is */
static int
ws_header_start(struct loom_ws_parser *p, const uint8_t *h)
{
	uint8_t b0 = h[0], b1 = h[1];
	unsigned int op = b0 & 0x0f, l7 = b1 & 0x7f;

	p->remaining = UINT64_MAX;	/* unknown until the length is read */
	p->fin = (uint8_t)!!(b0 & 0x80);
	p->rsv1 = (uint8_t)!!(b0 & 0x40);
	p->masked = (uint8_t)!!(b1 & 0x80);
	p->opcode = (uint8_t)op;
	p->hdr_need = (uint8_t)(2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) +
				(p->masked ? 4 : 0));

	if (b0 & 0x30)
		return ws_defer(p, 1002);	/* RSV2 / RSV3: no extension uses them */
	switch (op) {
	case LOOM_WSOP_CONT:
		if (!p->msg_opcode || p->rsv1)
			return ws_defer(p, 1002);
		break;
	case LOOM_WSOP_TEXT:
	case LOOM_WSOP_BINARY:
		if (p->msg_opcode || (p->rsv1 && !p->allow_rsv1))
			return ws_defer(p, 1002);
		p->msg_opcode = (uint8_t)op;
		p->msg_compressed = p->rsv1;
		p->msg_len = 0;
		p->msg_first = 1;
		memset(&p->utf8, 0, sizeof(p->utf8));
		break;
	case LOOM_WSOP_CLOSE:
	case LOOM_WSOP_PING:
	case LOOM_WSOP_PONG:
		if (p->rsv1)
			return ws_defer(p, 1002);
		break;
	default:
		return ws_defer(p, 1002);	/* reserved opcodes */
	}
	if (p->masked != p->server)
		return ws_defer(p, 1002);	/* clients mask, servers do not */

	return 0;
}

/* a control frame's payload is whole: make its event */
static int
ws_control_done(struct loom_ws_parser *p, struct loom_ws_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->data = p->ctl;
	ev->len = p->ctl_len;
	switch (p->opcode) {
	case LOOM_WSOP_PING:
		ev->type = LOOM_WS_EV_PING;
		break;
	case LOOM_WSOP_PONG:
		ev->type = LOOM_WS_EV_PONG;
		break;
	default:
		ev->type = LOOM_WS_EV_CLOSE;
		ev->close_code = 1005;
		if (p->ctl_len == 1)
			return ws_fail(p, 1002);
		if (p->ctl_len >= 2) {
			struct loom_utf8 u;

			ev->close_code = (uint16_t)((p->ctl[0] << 8) | p->ctl[1]);
			if (!loom__ws_close_code_valid(ev->close_code))
				return ws_fail(p, 1002);
			memset(&u, 0, sizeof(u));
			if (loom__utf8_feed(&u, p->ctl + 2, p->ctl_len - 2u) || u.need)
				return ws_fail(p, 1007);
		}
		break;
	}
	p->state = WSP_HDR;
	p->hdr_have = 0;
	p->hdr_need = 2;

	return LOOM_WS_P_EVENT;
}

/*
 * The common case on a server, done in one step: a whole small message (one
 * masked, unfragmented, uncompressed text or binary frame under 126 bytes) at
 * the start of the input. It leaves the parser exactly as the general path
 * would; anything else, or text that is not valid UTF-8, returns 0 with the
 * input as it was (the mask is its own inverse) for the general path, which
 * reports the error.
 */
static int
ws_parse_small(struct loom_ws_parser *p, uint8_t *in, size_t len, size_t *used,
	       struct loom_ws_event *ev)
{
	unsigned int b0 = in[0], b1 = in[1], l7 = b1 & 0x7f, op = b0 & 0x7f;
	uint8_t *pl = in + 6;

	/* FIN, no RSV bits, TEXT or BINARY; MASK and a 7-bit length, all here */
	if ((op != LOOM_WSOP_TEXT && op != LOOM_WSOP_BINARY) || !(b0 & 0x80) ||
	    !(b1 & 0x80) || l7 > 125 || len < 6u + l7 ||
	    (p->max_frame && l7 > p->max_frame) || (p->max_msg && l7 > p->max_msg))
		return 0;
	memcpy(p->mask, in + 2, 4);
	if (l7)
		loom__ws_mask(pl, l7, p->mask, 0);
	p->utf8.need = 0;
	p->utf8.lo = 0;
	p->utf8.hi = 0;
	if (op == LOOM_WSOP_TEXT &&
	    (loom__utf8_feed(&p->utf8, pl, l7) || p->utf8.need)) {
		loom__ws_mask(pl, l7, p->mask, 0);	/* as it came */
		p->utf8.need = 0;
		return 0;
	}
	/* the state the general path leaves after such a frame */
	p->fin = 1;
	p->rsv1 = 0;
	p->masked = 1;
	p->opcode = (uint8_t)op;
	p->mask_ofs = (uint8_t)(l7 & 3);
	p->remaining = 0;
	p->msg_len = l7;
	p->msg_first = 0;
	p->msg_compressed = 0;

	ev->type = LOOM_WS_EV_DATA;
	ev->data = pl;
	ev->len = l7;
	ev->close_code = 0;
	ev->opcode = (uint8_t)op;
	ev->msg_first = 1;
	ev->compressed = 0;
	ev->frame_remaining = 0;
	ev->frame_end = 1;
	ev->msg_end = 1;
	*used = 6u + l7;

	return 1;
}

int
loom__ws_parse(struct loom_ws_parser *p, uint8_t *in, size_t len, size_t *used,
	       struct loom_ws_event *ev)
{
	size_t o = 0;
	int r;

	*used = 0;
	if (p->state == WSP_ERROR)
		return -(int)p->error;
	/* a server between messages, a frame's header at the start of the input */
	if (p->state == WSP_HDR && !p->hdr_have && !p->msg_opcode && p->server &&
	    len >= 6 && ws_parse_small(p, in, len, used, ev))
		return LOOM_WS_P_EVENT;

	while (o < len || (p->state == WSP_PAYLOAD && !p->remaining)) {
		if (p->state == WSP_HDR) {
			size_t n;

			if (!p->hdr_have && len - o >= 2) {
				/*
				 * The usual case: the header starts here. Read it in
				 * place when it is all here, without copying it.
				 */
				if ((r = ws_header_start(p, in + o)) < 0) {
					o += 2;
					goto out_err;
				}
				if (len - o >= p->hdr_need) {
					if ((r = ws_header_done(p, in + o)) < 0) {
						o += p->hdr_need;
						goto out_err;
					}
					o += p->hdr_need;
					p->state = WSP_PAYLOAD;
					continue;
				}
				/* split: keep the part that is here */
				memcpy(p->hdr, in + o, len - o);
				p->hdr_have = (uint8_t)(len - o);
				o = len;
				continue;
			}
			if (p->hdr_have < 2) {
				p->hdr[p->hdr_have++] = in[o++];
				if (p->hdr_have < 2)
					continue;
				if ((r = ws_header_start(p, p->hdr)) < 0)
					goto out_err;
			}
			/* the rest of the header, as much as is here, at once */
			n = (size_t)(p->hdr_need - p->hdr_have);
			if (n > len - o)
				n = len - o;
			memcpy(p->hdr + p->hdr_have, in + o, n);
			p->hdr_have = (uint8_t)(p->hdr_have + n);
			o += n;
			if (p->hdr_have < p->hdr_need)
				continue;
			if ((r = ws_header_done(p, p->hdr)) < 0)
				goto out_err;
			p->state = WSP_PAYLOAD;
			/* an empty frame is an event of its own: go round */
			continue;
		}

		/* WSP_PAYLOAD */
		{
			size_t take = len - o;

			if (take > p->remaining)
				take = (size_t)p->remaining;
			if (p->masked && take) {
				loom__ws_mask(in + o, take, p->mask, p->mask_ofs);
				p->mask_ofs = (uint8_t)((p->mask_ofs + take) & 3);
			}
			if (p->opcode & 8) {
				memcpy(p->ctl + p->ctl_len, in + o, take);
				p->ctl_len = (uint8_t)(p->ctl_len + take);
				p->remaining -= take;
				o += take;
				if (p->remaining)
					continue;
				r = ws_control_done(p, ev);
				*used = o;
				return r;
			}

			/* a piece of a data frame */
			if (!p->msg_compressed) {
				if (p->max_msg && p->msg_len + take > p->max_msg) {
					r = ws_fail(p, 1009);
					goto out_err;
				}
				if (p->msg_opcode == LOOM_WSOP_TEXT &&
				    loom__utf8_feed(&p->utf8, in + o, take)) {
					r = ws_fail(p, 1007);
					goto out_err;
				}
			}
			p->msg_len += take;
			p->remaining -= take;

			/* every member set: no memset on the hot path */
			ev->type = LOOM_WS_EV_DATA;
			ev->data = in + o;
			ev->len = take;
			ev->close_code = 0;
			ev->opcode = p->msg_opcode;
			ev->msg_first = p->msg_first;
			ev->compressed = p->msg_compressed;
			ev->frame_remaining = p->remaining;
			ev->frame_end = 0;
			ev->msg_end = 0;
			p->msg_first = 0;
			o += take;
			if (!p->remaining) {
				ev->frame_end = 1;
				ev->msg_end = p->fin;
				p->state = WSP_HDR;
				p->hdr_have = 0;
				p->hdr_need = 2;
				if (p->fin) {
					if (!p->msg_compressed &&
					    p->msg_opcode == LOOM_WSOP_TEXT && p->utf8.need) {
						r = ws_fail(p, 1007);
						goto out_err;
					}
					p->msg_opcode = 0;
				}
			}
			*used = o;
			return LOOM_WS_P_EVENT;
		}
	}
	*used = o;

	return LOOM_WS_P_MORE;

out_err:
	*used = o;
	return r;
}

size_t
loom__ws_frame_header(uint8_t *h, unsigned int opcode, int fin, int rsv1,
		      uint64_t len, const uint8_t *mask)
{
	size_t n = 2;
	int i;

	h[0] = (uint8_t)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (opcode & 0x0f));
	if (len < 126)
		h[1] = (uint8_t)len;
	else if (len < 65536) {
		h[1] = 126;
		h[2] = (uint8_t)(len >> 8);
		h[3] = (uint8_t)len;
		n = 4;
	} else {
		h[1] = 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		n = 10;
	}
	if (mask) {
		h[1] |= 0x80;
		memcpy(h + n, mask, 4);
		n += 4;
	}

	return n;
}

void
loom__ws_mask(uint8_t *p, size_t len, const uint8_t mask[4], size_t ofs)
{
	uint8_t m[8];
	size_t i = 0;

	/*
	 * The mask turned to start at byte ofs, twice over; then eight bytes at a
	 * time through memcpy (any alignment, no aliasing games: compilers make
	 * each one a single load or store), the tail byte by byte.
	 */
	m[0] = mask[ofs & 3];
	m[1] = mask[(ofs + 1) & 3];
	m[2] = mask[(ofs + 2) & 3];
	m[3] = mask[(ofs + 3) & 3];
	memcpy(m + 4, m, 4);
	if (len >= 8) {
		uint64_t mw, w, w2;

		memcpy(&mw, m, 8);
		for (; i + 16 <= len; i += 16) {
			memcpy(&w, p + i, 8);
			memcpy(&w2, p + i + 8, 8);
			w ^= mw;
			w2 ^= mw;
			memcpy(p + i, &w, 8);
			memcpy(p + i + 8, &w2, 8);
		}
		if (i + 8 <= len) {
			memcpy(&w, p + i, 8);
			w ^= mw;
			memcpy(p + i, &w, 8);
			i += 8;
		}
	}
	for (; i < len; i++)
		p[i] ^= m[i & 7];
}
