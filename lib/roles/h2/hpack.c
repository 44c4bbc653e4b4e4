/*
 * hpack.c: HPACK (RFC 7541) header compression: the static table, a dynamic table
 * in caller storage, the block decoder and the field encoder.  No I/O, no
 * allocation; every length read from the wire is checked before it is used.
 */
#include <string.h>

#include "private-h2-codec.h"
#include "hpack-static-index.h"

/* ---- static table (RFC 7541 appendix A) ---- */

struct hp_static {
	const char	*name, *value;
	uint8_t		nlen, vlen;
};

#define S(n, v)	{ n, v, sizeof(n) - 1, sizeof(v) - 1 }
static const struct hp_static hp_static[LOOM_HPACK_STATIC_COUNT] = {
	S(":authority", ""),			/*  1 */
	S(":method", "GET"),
	S(":method", "POST"),
	S(":path", "/"),
	S(":path", "/index.html"),
	S(":scheme", "http"),
	S(":scheme", "https"),
	S(":status", "200"),
	S(":status", "204"),
	S(":status", "206"),			/* 10 */
	S(":status", "304"),
	S(":status", "400"),
	S(":status", "404"),
	S(":status", "500"),
	S("accept-charset", ""),
	S("accept-encoding", "gzip, deflate"),
	S("accept-language", ""),
	S("accept-ranges", ""),
	S("accept", ""),
	S("access-control-allow-origin", ""),	/* 20 */
	S("age", ""),
	S("allow", ""),
	S("authorization", ""),
	S("cache-control", ""),
	S("content-disposition", ""),
	S("content-encoding", ""),
	S("content-language", ""),
	S("content-length", ""),
	S("content-location", ""),
	S("content-range", ""),			/* 30 */
	S("content-type", ""),
	S("cookie", ""),
	S("date", ""),
	S("etag", ""),
	S("expect", ""),
	S("expires", ""),
	S("from", ""),
	S("host", ""),
	S("if-match", ""),
	S("if-modified-since", ""),		/* 40 */
	S("if-none-match", ""),
	S("if-range", ""),
	S("if-unmodified-since", ""),
	S("last-modified", ""),
	S("link", ""),
	S("location", ""),
	S("max-forwards", ""),
	S("proxy-authenticate", ""),
	S("proxy-authorization", ""),
	S("range", ""),				/* 50 */
	S("referer", ""),
	S("refresh", ""),
	S("retry-after", ""),
	S("server", ""),
	S("set-cookie", ""),
	S("strict-transport-security", ""),
	S("transfer-encoding", ""),
	S("user-agent", ""),
	S("vary", ""),
	S("via", ""),				/* 60 */
	S("www-authenticate", ""),
};
#undef S

/* ---- integers (5.1) ---- */

size_t
loom__hpack_int_encode(uint8_t *out, size_t outmax, uint8_t first, unsigned int n,
		       uint32_t v)
{
	uint32_t mask = (1u << n) - 1;
	size_t i = 0;

	if (!outmax)
		return 0;
	if (v < mask) {
		out[0] = (uint8_t)((first & ~mask) | v);
		return 1;
	}
	out[i++] = (uint8_t)(first | mask);
	v -= mask;
	while (v >= 0x80) {
		if (i == outmax)
			return 0;
		out[i++] = (uint8_t)(0x80 | (v & 0x7f));
		v >>= 7;
	}
	if (i == outmax)
		return 0;
	out[i++] = (uint8_t)v;

	return i;
}

int
loom__hpack_int_decode(const uint8_t *in, size_t len, size_t *pos, unsigned int n,
		       uint32_t *v)
{
	uint32_t mask = (1u << n) - 1;
	uint64_t acc;
	size_t p = *pos;
	unsigned int shift = 0, k;

	if (p >= len)
		return LOOM_HPACK_E_TRUNCATED;
	acc = in[p++] & mask;
	if (acc == mask) {
		for (k = 0; ; k++) {
			if (k == 5)	/* a sixth continuation byte */
				return LOOM_HPACK_E_INTEGER;
			if (p >= len)
				return LOOM_HPACK_E_TRUNCATED;
			acc += (uint64_t)(in[p] & 0x7f) << shift;
			if (acc > 0xffffffffu)
				return LOOM_HPACK_E_INTEGER;
			shift += 7;
			if (!(in[p++] & 0x80))
				break;
		}
	}
	*v = (uint32_t)acc;
	*pos = p;

	return 0;
}

/* ---- the dynamic table (2.3.2, 4) ---- */

#define HP_ENT_HDR	8	/* u32 name len, u32 value len */

static void
tbl_init(struct loom_hpack_table *t, uint8_t *buf, size_t cap, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->buf = buf;
	t->cap = buf ? cap : 0;
	t->max_size = max <= t->cap ? max : t->cap;
}

static void
ent_lens(const uint8_t *p, uint32_t *nlen, uint32_t *vlen)
{
	memcpy(nlen, p, 4);
	memcpy(vlen, p + 4, 4);
}

/* evict oldest entries until the size is at most target (4.4) */
static void
tbl_evict_to(struct loom_hpack_table *t, size_t target)
{
	size_t ofs = 0, size = 0;
	uint32_t k, nlen, vlen;

	if (t->size <= target)
		return;
	/* newest first: keep the longest prefix that fits */
	for (k = 0; k < t->count; k++) {
		ent_lens(t->buf + ofs, &nlen, &vlen);
		if (size + nlen + vlen + LOOM_HPACK_ENTRY_OVERHEAD > target)
			break;
		size += (size_t)nlen + vlen + LOOM_HPACK_ENTRY_OVERHEAD;
		ofs += HP_ENT_HDR + (size_t)nlen + vlen;
	}
	t->count = k;
	t->used = ofs;
	t->size = size;
}

/* adds an entry (name and value must not point into the table) */
static void
tbl_add(struct loom_hpack_table *t, const char *name, size_t nlen,
	const char *value, size_t vlen)
{
	size_t cost = nlen + vlen + LOOM_HPACK_ENTRY_OVERHEAD, occ;
	uint32_t l;

	if (nlen > t->max_size || vlen > t->max_size || cost > t->max_size) {
		/* larger than the table: the table ends up empty, not an error */
		t->count = 0;
		t->used = 0;
		t->size = 0;
		return;
	}
	tbl_evict_to(t, t->max_size - cost);
	occ = HP_ENT_HDR + nlen + vlen;
	memmove(t->buf + occ, t->buf, t->used);
	l = (uint32_t)nlen;
	memcpy(t->buf, &l, 4);
	l = (uint32_t)vlen;
	memcpy(t->buf + 4, &l, 4);
	if (nlen)
		memcpy(t->buf + HP_ENT_HDR, name, nlen);
	if (vlen)
		memcpy(t->buf + HP_ENT_HDR + nlen, value, vlen);
	t->used += occ;
	t->size += cost;
	t->count++;
}

/* entry i, 0 = newest */
static void
tbl_get(const struct loom_hpack_table *t, uint32_t i, const char **name,
	size_t *nlen, const char **value, size_t *vlen)
{
	const uint8_t *p = t->buf;
	uint32_t nl, vl;

	ent_lens(p, &nl, &vl);
	while (i--) {
		p += HP_ENT_HDR + (size_t)nl + vl;
		ent_lens(p, &nl, &vl);
	}
	*name = (const char *)p + HP_ENT_HDR;
	*nlen = nl;
	*value = (const char *)p + HP_ENT_HDR + nl;
	*vlen = vl;
}

/* index 1.. in the combined address space (2.3.3) */
static int
hp_lookup(const struct loom_hpack_table *t, uint32_t idx, const char **name,
	  size_t *nlen, const char **value, size_t *vlen)
{
	if (!idx)
		return LOOM_HPACK_E_INDEX;
	if (idx <= LOOM_HPACK_STATIC_COUNT) {
		const struct hp_static *s = &hp_static[idx - 1];

		*name = s->name;
		*nlen = s->nlen;
		*value = s->value;
		*vlen = s->vlen;
		return 0;
	}
	idx -= LOOM_HPACK_STATIC_COUNT + 1;
	if (idx >= t->count)
		return LOOM_HPACK_E_INDEX;
	tbl_get(t, idx, name, nlen, value, vlen);

	return 0;
}

/* ---- decoder ---- */

void
loom__hpack_dec_init(struct loom_hpack_dec *d, uint8_t *table_storage,
		     size_t table_storage_len, size_t max_header_list_size)
{
	memset(d, 0, sizeof(*d));
	tbl_init(&d->t, table_storage, table_storage_len, table_storage_len);
	d->settings_limit = d->t.cap;
	d->max_list = max_header_list_size;
}

void
loom__hpack_dec_set_limit(struct loom_hpack_dec *d, size_t limit)
{
	if (limit > d->t.cap)
		limit = d->t.cap;
	d->settings_limit = limit;
	if (d->t.max_size > limit)
		d->need_update = 1;
}

/*
 * reads a string literal (5.2) at in[*pos]; raw strings point into the input,
 * Huffman ones are decoded into scratch[*sofs..scratch_len).  *budget is what is
 * left of the field's name + value limit.
 */
static int
hp_read_string(const uint8_t *in, size_t len, size_t *pos, uint8_t *scratch,
	       size_t scratch_len, size_t *sofs, size_t *budget,
	       const char **s, size_t *slen)
{
	uint32_t l;
	int huff, r;

	if (*pos >= len)
		return LOOM_HPACK_E_TRUNCATED;
	huff = in[*pos] & 0x80;
	r = loom__hpack_int_decode(in, len, pos, 7, &l);
	if (r)
		return r;
	if (l > len - *pos)
		return LOOM_HPACK_E_TRUNCATED;
	if (!huff) {
		if (l > *budget)
			return LOOM_HPACK_E_STRING;
		*s = (const char *)in + *pos;
		*slen = l;
	} else {
		r = loom__huff_decode(in + *pos, l, scratch + *sofs,
				      *budget < scratch_len - *sofs ? *budget :
						scratch_len - *sofs);
		if (r == LOOM_HUFF_E_SPACE)
			return LOOM_HPACK_E_STRING;
		if (r < 0)
			return LOOM_HPACK_E_HUFFMAN;
		*s = (const char *)scratch + *sofs;
		*slen = (size_t)r;
		*sofs += (size_t)r;
	}
	*budget -= *slen;
	*pos += l;

	return 0;
}

int
loom__hpack_decode(struct loom_hpack_dec *d, const uint8_t *in, size_t len,
		   uint8_t *scratch, size_t scratch_len,
		   loom_hpack_emit_cb cb, void *opaque)
{
	size_t pos = 0, list = 0, sofs, budget, nlen, vlen;
	const char *name, *value;
	int fields = 0, too_big = 0, r;
	unsigned int flags;
	uint32_t idx;
	uint8_t b;

	if (!scratch)
		scratch_len = 0;

	while (pos < len) {
		b = in[pos];

		if ((b & 0xe0) == 0x20) {
			/* dynamic table size update (6.3): only before the first field */
			if (fields)
				return LOOM_HPACK_E_SIZE_UPDATE;
			r = loom__hpack_int_decode(in, len, &pos, 5, &idx);
			if (r)
				return r;
			if (idx > d->settings_limit)
				return LOOM_HPACK_E_SIZE_UPDATE;
			d->t.max_size = idx;
			tbl_evict_to(&d->t, idx);
			d->need_update = 0;
			continue;
		}

		if (d->need_update)
			/* we lowered the limit: the block must begin by saying so */
			return LOOM_HPACK_E_SIZE_UPDATE;
		fields++;
		sofs = 0;
		budget = scratch_len;

		if (b & 0x80) {
			/* indexed field (6.1) */
			r = loom__hpack_int_decode(in, len, &pos, 7, &idx);
			if (r)
				return r;
			r = hp_lookup(&d->t, idx, &name, &nlen, &value, &vlen);
			if (r)
				return r;
			if (nlen + vlen > budget)
				return LOOM_HPACK_E_STRING;
			flags = 0;
		} else {
			/* literal (6.2): with incremental indexing, without, never */
			unsigned int prefix = (b & 0x40) ? 6 : 4;

			flags = (b & 0x40) ? 0 : ((b & 0x10) ?
				LOOM_HPACK_F_NEVER_INDEXED : LOOM_HPACK_F_NO_INDEX);
			r = loom__hpack_int_decode(in, len, &pos, prefix, &idx);
			if (r)
				return r;
			if (idx) {
				const char *v;
				size_t vl;

				r = hp_lookup(&d->t, idx, &name, &nlen, &v, &vl);
				if (r)
					return r;
				if (nlen > budget)
					return LOOM_HPACK_E_STRING;
				if (idx > LOOM_HPACK_STATIC_COUNT) {
					/* the table may evict it when this is added */
					if (nlen)
						memcpy(scratch, name, nlen);
					name = (const char *)scratch;
					sofs = nlen;
				}
				budget -= nlen;
			} else {
				r = hp_read_string(in, len, &pos, scratch, scratch_len,
						   &sofs, &budget, &name, &nlen);
				if (r)
					return r;
			}
			r = hp_read_string(in, len, &pos, scratch, scratch_len, &sofs,
					   &budget, &value, &vlen);
			if (r)
				return r;
		}

		/* RFC 9113 6.5.2 accounting; once over, keep the table in step only */
		list += nlen + vlen + LOOM_HPACK_ENTRY_OVERHEAD;
		if (d->max_list && list > d->max_list)
			too_big = 1;
		if (!too_big) {
			r = cb(opaque, name, nlen, value, vlen, flags);
			if (r)
				return r;
		}

		if (!(b & 0x80) && (b & 0x40))
			tbl_add(&d->t, name, nlen, value, vlen);
	}

	if (d->need_update)
		return LOOM_HPACK_E_SIZE_UPDATE;

	return too_big ? LOOM_HPACK_E_TOO_BIG : 0;
}

/* ---- encoder ---- */

void
loom__hpack_enc_init(struct loom_hpack_enc *e, uint8_t *table_storage, size_t len)
{
	memset(e, 0, sizeof(*e));
	tbl_init(&e->t, table_storage, len, LOOM_HPACK_DEFAULT_TABLE_SIZE);
	e->peer_max = LOOM_HPACK_DEFAULT_TABLE_SIZE;
	if (e->t.max_size != LOOM_HPACK_DEFAULT_TABLE_SIZE) {
		/* the peer's decoder starts at 4096: tell it we use less */
		e->upd_pending = 1;
		e->upd_min = (uint32_t)e->t.max_size;
	}
}

void
loom__hpack_enc_peer_table_size(struct loom_hpack_enc *e, uint32_t peer_max)
{
	size_t m = peer_max < e->t.cap ? peer_max : e->t.cap;

	if (peer_max == e->peer_max)
		return;
	e->peer_max = peer_max;
	/* signal even when our size stays: the peer's idea of the maximum moved */
	if (!e->upd_pending || m < e->upd_min)
		e->upd_min = (uint32_t)m;
	e->upd_pending = 1;
	e->t.max_size = m;
	tbl_evict_to(&e->t, m);
}

int
loom__hpack_enc_block_start(struct loom_hpack_enc *e, uint8_t *out, size_t outmax)
{
	size_t n = 0, k;

	if (!e->upd_pending)
		return 0;
	if (e->upd_min < e->t.max_size) {
		/* it went down and back up: the smallest first (4.2) */
		n = loom__hpack_int_encode(out, outmax, 0x20, 5, e->upd_min);
		if (!n)
			return -1;
	}
	k = loom__hpack_int_encode(out + n, outmax - n, 0x20, 5,
				   (uint32_t)e->t.max_size);
	if (!k)
		return -1;
	e->upd_pending = 0;

	return (int)(n + k);
}

/*
 * The static-table name of (name, nlen): its first index (1-based) and, in *count,
 * how many entries in a row carry it; 0 when it is not a static-table name.  One
 * hash probe (contrib/gen-hpack-static-index.py) and one memcmp.
 */
static uint32_t
hp_static_name(const char *name, size_t nlen, uint32_t *count)
{
	const uint8_t *slot;
	const struct hp_static *s;

	if (!nlen || nlen > HP_SIDX_MAXLEN)
		return 0;
	slot = hp_sidx[HP_SIDX_HASH(nlen, (uint8_t)name[0], (uint8_t)name[nlen - 1])];
	if (!slot[0])
		return 0;
	s = &hp_static[slot[0] - 1];
	if (s->nlen != nlen || memcmp(s->name, name, nlen))
		return 0;
	*count = slot[1];

	return slot[0];
}

/*
 * Fields whose value changes with nearly every message: not worth a table entry.
 * All are static-table names, so this goes by the name's static index (sidx):
 * content-length, etag, last-modified, if-none-match, if-modified-since,
 * content-range, age, location.
 */
static int
hp_volatile(uint32_t sidx)
{
	switch (sidx) {
	case 21: case 28: case 30: case 34: case 40: case 41: case 44: case 46:
		return 1;
	}

	return 0;
}

/* authorization, proxy-authorization, set-cookie, and cookie under 20 bytes */
static int
hp_sensitive(uint32_t sidx, size_t vlen)
{
	return sidx == 23 || sidx == 49 || sidx == 55 || (sidx == 32 && vlen < 20);
}

/* writes a string literal, Huffman-coded when shorter; 0 when out is too small */
static size_t
hp_put_string(const struct loom_hpack_enc *e, uint8_t *out, size_t outmax,
	      const char *s, size_t len)
{
	size_t hl = e->no_huffman ? 0 : loom__huff_encoded_len(
					(const uint8_t *)s, len), n;
	int r;

	if (len > 0xffffffffu)
		return 0;
	if (!e->no_huffman && len && hl <= len) {
		n = loom__hpack_int_encode(out, outmax, 0x80, 7, (uint32_t)hl);
		if (!n || outmax - n < hl)
			return 0;
		r = loom__huff_encode((const uint8_t *)s, len, out + n, outmax - n);
		if (r < 0)
			return 0;
		return n + (size_t)r;
	}
	n = loom__hpack_int_encode(out, outmax, 0x00, 7, (uint32_t)len);
	if (!n || outmax - n < len)
		return 0;
	if (len)
		memcpy(out + n, s, len);

	return n + len;
}

int
loom__hpack_enc_field(struct loom_hpack_enc *e, uint8_t *out, size_t outmax,
		      const char *name, size_t nlen, const char *value, size_t vlen,
		      unsigned int flags)
{
	uint32_t full = 0, nidx, sidx, scount = 0, i, tnl, tvl;
	const uint8_t *p;
	size_t n, k;
	int never, incr;
	uint8_t first;

	/* static table: the name's entries, then their values */
	sidx = hp_static_name(name, nlen, &scount);
	nidx = sidx;

	if (flags & LOOM_HPACK_F_INDEX) {
		never = !!(flags & LOOM_HPACK_F_NEVER_INDEXED);
		incr = !never && !(flags & LOOM_HPACK_F_NO_INDEX) &&
			nlen + vlen + LOOM_HPACK_ENTRY_OVERHEAD <= e->t.max_size;
	} else {
		never = (flags & LOOM_HPACK_F_NEVER_INDEXED) ||
			hp_sensitive(sidx, vlen);
		incr = !never && !(flags & LOOM_HPACK_F_NO_INDEX) &&
			!hp_volatile(sidx) &&
			nlen + vlen + LOOM_HPACK_ENTRY_OVERHEAD <=
							e->t.max_size / 2;
	}

	if (sidx && !never)
		for (i = sidx - 1; i < sidx - 1 + scount; i++)
			if (hp_static[i].vlen == vlen &&
			    !memcmp(hp_static[i].value, value, vlen)) {
				full = i + 1;
				break;
			}

	/*
	 * dynamic table, newest first, walked once: the lengths, then the last
	 * byte, before any memcmp.  Once the name has an index only a full match
	 * can change the result; never-indexed fields take no full match.
	 */
	p = e->t.buf;
	for (i = 0; i < e->t.count && !full && !(never && nidx); i++) {
		const char *tn = (const char *)p + HP_ENT_HDR, *tv;

		ent_lens(p, &tnl, &tvl);
		p += HP_ENT_HDR + (size_t)tnl + tvl;
		if (tnl != nlen || (nidx && (never || tvl != vlen)))
			continue;
		if (nlen && (tn[nlen - 1] != name[nlen - 1] ||
			     memcmp(tn, name, nlen)))
			continue;
		if (!nidx)
			nidx = LOOM_HPACK_STATIC_COUNT + 1 + i;
		tv = tn + tnl;
		if (!never && tvl == vlen && (!vlen || (tv[vlen - 1] == value[vlen - 1] &&
					      !memcmp(tv, value, vlen))))
			full = LOOM_HPACK_STATIC_COUNT + 1 + i;
	}

	if (full) {
		n = loom__hpack_int_encode(out, outmax, 0x80, 7, full);
		return n ? (int)n : -1;
	}

	if (incr)
		n = loom__hpack_int_encode(out, outmax, 0x40, 6, nidx);
	else {
		first = never ? 0x10 : 0x00;
		n = loom__hpack_int_encode(out, outmax, first, 4, nidx);
	}
	if (!n)
		return -1;
	if (!nidx) {
		k = hp_put_string(e, out + n, outmax - n, name, nlen);
		if (!k)
			return -1;
		n += k;
	}
	k = hp_put_string(e, out + n, outmax - n, value, vlen);
	if (!k)
		return -1;
	n += k;
	if (n > 0x7fffffff)
		return -1;

	if (incr)
		tbl_add(&e->t, name, nlen, value, vlen);

	return (int)n;
}
