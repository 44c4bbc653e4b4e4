/*
 * fuzz-h2-frame: the HTTP/2 frame reader fed in pieces whose sizes come from the
 * input, with a callback that checks the event order and sizes and sometimes stops
 * the reader (which must then resume where it stopped).  The same input fed whole
 * must give the same events.
 */
#include "roles/h2/private-h2-codec.h"

#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct st {
	uint32_t hash;		/* of the events and payload bytes */
	uint32_t got;		/* payload bytes of this frame */
	int in_frame, pieces;
	unsigned int stop_mask, count;
};

static void
mix(struct st *s, uint32_t v)
{
	s->hash = (s->hash ^ v) * 16777619u;
}

static int
cb(void *opaque, int event, const struct loom_h2_frame_hdr *h, const uint8_t *p,
   size_t len)
{
	struct st *s = opaque;
	size_t i;

	if (event != LOOM_H2R_PAYLOAD)	/* pieces differ with the feeding */
		mix(s, (uint32_t)event);
	switch (event) {
	case LOOM_H2R_HDR:
		if (s->in_frame || p || len)
			abort();
		if (h->data_len > h->len || h->sid > 0x7fffffff)
			abort();
		s->in_frame = 1;
		s->got = 0;
		s->pieces = 0;
		mix(s, h->len);
		mix(s, h->type);
		mix(s, h->flags);
		mix(s, h->sid);
		mix(s, h->data_len);
		mix(s, h->err);
		mix(s, h->pad_len);
		mix(s, h->prio_dep);
		mix(s, h->promised_sid);
		break;
	case LOOM_H2R_PAYLOAD:
		if (!s->in_frame || !p || !len)
			abort();
		if (h->err && h->type != LOOM_H2_F_HEADERS &&
		    h->type != LOOM_H2_F_WINDOW_UPDATE &&
		    h->type != LOOM_H2_F_PRIORITY)
			abort();
		s->got += (uint32_t)len;
		s->pieces++;
		if (s->got > h->data_len)
			abort();
		if (h->type == LOOM_H2_F_SETTINGS && len % 6)
			abort();
		for (i = 0; i < len; i++)
			mix(s, p[i]);
		break;
	case LOOM_H2R_END:
		if (!s->in_frame || s->got != h->data_len)
			abort();
		if ((h->type == LOOM_H2_F_PING || h->type == LOOM_H2_F_RST_STREAM ||
		     h->type == LOOM_H2_F_PRIORITY ||
		     h->type == LOOM_H2_F_WINDOW_UPDATE) && s->pieces > 1)
			abort();
		s->in_frame = 0;
		break;
	default:
		abort();
	}

	return (s->stop_mask >> (s->count++ & 31)) & 1 ? 3 : 0;
}

static int
feed(const uint8_t *data, size_t size, const uint8_t *sizes, size_t nsizes,
     uint32_t maxf, unsigned int stop_mask, struct st *s, uint32_t *err)
{
	struct loom_h2_reader r;
	size_t o = 0, k = 0, used;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	s->stop_mask = stop_mask;
	loom__h2_reader_init(&r, maxf);
	while (o < size) {
		size_t n = nsizes ? (size_t)1 + sizes[k++ % nsizes] : size - o;
		uint8_t *piece;
		size_t at = 0;

		if (n > size - o)
			n = size - o;
		/* a copy of just this piece, so a read past it is caught */
		piece = malloc(n);
		if (!piece)
			return -2;
		memcpy(piece, data + o, n);
		for (;;) {
			ret = loom__h2_reader_feed(&r, piece + at, n - at, &used, cb, s);
			if (used > n - at)
				abort();
			at += used;
			o += used;
			if (ret != 3 || at == n)
				break;
		}
		free(piece);
		if (ret == LOOM_H2R_CONN_ERROR)
			break;
		if (ret && ret != 3)
			abort();
	}
	/* events still due after the last byte */
	while (ret == 3)
		ret = loom__h2_reader_feed(&r, NULL, 0, &used, cb, s);
	mix(s, (uint32_t)ret);
	*err = ret == LOOM_H2R_CONN_ERROR ? r.error : 0;
	if (ret == LOOM_H2R_CONN_ERROR && (!r.error || r.error > 0xd))
		abort();

	return ret;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st a, b;
	uint32_t maxf, ea, eb;
	size_t nsizes;

	if (size < 6)
		return 0;
	maxf = 16384u + ((uint32_t)data[0] << 8);
	nsizes = data[1] & 7;
	{
		unsigned int stop = (unsigned int)data[2] | ((unsigned int)data[3] << 8);
		const uint8_t *sizes = data + 4;

		if (size < 4 + nsizes)
			return 0;
		data += 4 + nsizes;
		size -= 4 + nsizes;
		feed(data, size, NULL, 0, maxf, 0, &a, &ea);
		feed(data, size, sizes, nsizes, maxf, stop, &b, &eb);
		if (a.hash != b.hash || ea != eb)
			abort();
	}

	return 0;
}
