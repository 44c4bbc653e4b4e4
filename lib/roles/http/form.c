/*
 * form.c: urlencoded and multipart/form-data request bodies, parsed as they arrive
 * (split at any byte) in one block allocated at create. No I/O: bytes in, field
 * events out (DESIGN.md principle 7).
 */
#include <loom.h>

#include <string.h>

/* parser states */
enum {
	/* urlencoded */
	FS_UE,			/* in a name or (in_value) a value */
	/* multipart */
	FS_MP_PREAMBLE,		/* discarding until the first delimiter */
	FS_MP_AFTER_DELIM,	/* right after "\r\n--boundary" */
	FS_MP_DASH,		/* "--boundary-": only '-' may follow */
	FS_MP_PAD,		/* transport padding after the delimiter */
	FS_MP_DELIM_CR,		/* CR after the delimiter: LF must follow */
	FS_MP_HEADERS,		/* a part's header lines */
	FS_MP_BODY,		/* a part's data, until the next delimiter */
	FS_MP_EPILOGUE		/* after "--boundary--": ignored */
};

struct loom_form {
	/* the limits (defaults applied) and the callback */
	loom_form_cb cb;
	void *user;
	size_t max_name_len;
	size_t max_filename_len;
	size_t max_value_len;
	uint64_t max_total;
	unsigned int max_fields;

	enum loom_form_type type;
	int err;			/* sticky: once set, every call returns it */
	uint8_t state;
	uint8_t in_cb;			/* inside the user callback */
	uint8_t finished;

	uint64_t total;			/* body bytes fed */
	unsigned int fields;		/* fields started */
	struct loom_form_field fld;	/* the current field */

	/* parts of the block */
	char *name;			/* max_name_len + 1 */
	char *fname;			/* multipart: max_filename_len + 1 */
	char *ctype;			/* multipart: LOOM_FORM_MAX_PART_CTYPE + 1 */
	char *buf;			/* urlencoded value / multipart header line,
					 * max_value_len + 1 */
	size_t name_len;
	size_t buf_len;

	/* urlencoded */
	uint8_t in_value;		/* past the '=' */
	uint8_t pct;			/* 1: after '%'; 2: after '%' and a digit */
	uint8_t pct_hi;

	/* multipart */
	uint8_t hdr_cr;			/* a CR ended the header bytes so far */
	uint8_t seen_cd;		/* this part had a Content-Disposition */
	uint8_t has_fname;
	uint8_t has_ctype;
	size_t fname_len;
	size_t ctype_len;
	size_t hdr_bytes;		/* this part's header bytes so far */
	size_t m;			/* delimiter bytes matched so far */
	size_t carry;			/* ... of which from earlier feeds */
	size_t delim_len;
	uint8_t delim[4 + LOOM_FORM_MAX_BOUNDARY]; /* "\r\n--" boundary */

	/* kept fields: entries [u32 name_len][u32 value_len] name NUL value NUL */
	uint8_t *store;
	size_t store_len;
	size_t store_used;		/* committed entries */
	size_t store_cur;		/* end of the entry being written */
	uint8_t storing;		/* the current field is being kept */
};

#define STORE_HDR 8

/* ---- small character helpers ---- */

static int
is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;

	return c && !!strchr("!#$%&'*+-.^_`|~", c);
}

static int
is_ctl(uint8_t c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;

	return -1;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* \p s (\p n bytes) equals the lower-case \p lit in any case */
static int
ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	if (strlen(lit) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower((uint8_t)s[i]) != lit[i])
			return 0;

	return 1;
}

static size_t
skip_ows(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;

	return i;
}

/* ---- header parameters: *( OWS ";" OWS token "=" ( token / quoted-string ) ) ---- */

/* a parameter we want the value of */
struct form_param {
	const char *name;	/* lower case */
	char *out;		/* gets the decoded value, NUL-terminated */
	size_t max;		/* the most bytes it may have */
	size_t len;
	int seen;
};

/*
 * Parse the parameters in \p s from \p i to \p n, decoding the values of those in
 * \p pv; others are checked and skipped. A duplicate wanted parameter is
 * LOOM_EINVAL, a value longer than its max is \p too_long. An empty parameter
 * (";;" or a trailing ';') is allowed.
 */
static int
parse_params(const char *s, size_t n, size_t i, struct form_param *pv, int count,
	     int too_long)
{
	for (;;) {
		struct form_param *w = NULL;
		size_t ns, len = 0;
		int k;

		i = skip_ows(s, n, i);
		if (i == n)
			return 0;
		if (s[i++] != ';')
			return LOOM_EINVAL;
		i = skip_ows(s, n, i);
		if (i == n || s[i] == ';')
			continue;

		ns = i;
		while (i < n && is_tchar((uint8_t)s[i]))
			i++;
		if (i == ns || i == n || s[i] != '=')
			return LOOM_EINVAL;
		for (k = 0; k < count; k++)
			if (ieq(s + ns, i - ns, pv[k].name))
				w = &pv[k];
		if (w && w->seen)
			return LOOM_EINVAL;
		i++;

		if (i < n && s[i] == '"') {
			i++;
			for (;;) {
				char c;

				if (i == n)
					return LOOM_EINVAL;	/* unterminated */
				c = s[i++];
				if (c == '"')
					break;
				if (c == '\\') {
					if (i == n)
						return LOOM_EINVAL;
					c = s[i++];
				}
				if (is_ctl((uint8_t)c))
					return LOOM_EINVAL;
				if (w) {
					if (len == w->max)
						return too_long;
					w->out[len++] = c;
				}
			}
		} else {
			size_t vs = i;

			while (i < n && is_tchar((uint8_t)s[i])) {
				if (w) {
					if (len == w->max)
						return too_long;
					w->out[len++] = s[i];
				}
				i++;
			}
			if (i == vs)
				return LOOM_EINVAL;
		}
		if (w) {
			w->out[len] = '\0';
			w->len = len;
			w->seen = 1;
		}
	}
}

/* RFC 2046 bchars, and not ending in a space */
static int
boundary_ok(const char *b, size_t n)
{
	size_t i;

	if (!n || n > LOOM_FORM_MAX_BOUNDARY || b[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)b[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || (c && strchr("'()+_,-./:=? ", c))))
			return 0;
	}

	return 1;
}

/*
 * Which form type \p ct is; for multipart, its boundary into \p bnd (room for
 * LOOM_FORM_MAX_BOUNDARY + 1). Returns the type or -1.
 */
static int
parse_content_type(const char *ct, size_t n, char *bnd, size_t *bnd_len)
{
	struct form_param pv = { "boundary", bnd, LOOM_FORM_MAX_BOUNDARY, 0, 0 };
	size_t i, ts;
	int type;

	for (i = 0; i < n; i++)
		if (is_ctl((uint8_t)ct[i]))
			return -1;

	i = skip_ows(ct, n, 0);
	ts = i;
	while (i < n && is_tchar((uint8_t)ct[i]))
		i++;
	if (i == ts || i == n || ct[i] != '/')
		return -1;
	i++;
	while (i < n && is_tchar((uint8_t)ct[i]))
		i++;

	if (ieq(ct + ts, i - ts, "application/x-www-form-urlencoded"))
		type = LOOM_FORM_URLENCODED;
	else if (ieq(ct + ts, i - ts, "multipart/form-data"))
		type = LOOM_FORM_MULTIPART;
	else
		return -1;

	if (parse_params(ct, n, i, &pv, 1, LOOM_ELIMIT))
		return -1;
	if (type == LOOM_FORM_MULTIPART) {
		if (!pv.seen || !boundary_ok(bnd, pv.len))
			return -1;
		*bnd_len = pv.len;
	}

	return type;
}

/* ---- the store of kept fields ---- */

static int
store_begin(struct loom_form *f)
{
	uint32_t nl = (uint32_t)f->name_len;

	/* header, name and its NUL, and the value's NUL */
	if (f->store_len - f->store_used < STORE_HDR + f->name_len + 2)
		return LOOM_ELIMIT;
	memcpy(f->store + f->store_used, &nl, 4);
	memcpy(f->store + f->store_used + STORE_HDR, f->name, f->name_len + 1);
	f->store_cur = f->store_used + STORE_HDR + f->name_len + 1;
	f->storing = 1;

	return 0;
}

static int
store_append(struct loom_form *f, const uint8_t *p, size_t n)
{
	/* keep room for the NUL */
	if (f->store_len - f->store_cur < n + 1)
		return LOOM_ELIMIT;
	memcpy(f->store + f->store_cur, p, n);
	f->store_cur += n;

	return 0;
}

static void
store_commit(struct loom_form *f)
{
	uint32_t vl = (uint32_t)f->fld.value_len;

	f->store[f->store_cur++] = '\0';
	memcpy(f->store + f->store_used + 4, &vl, 4);
	f->store_used = f->store_cur;
	f->storing = 0;
}

/* ---- field events: callback, limits and store ---- */

static int
call(struct loom_form *f, enum loom_form_event ev, const uint8_t *p, size_t n)
{
	int r;

	if (!f->cb)
		return 0;
	f->in_cb = 1;
	r = f->cb(f->user, ev, &f->fld, p, n);
	f->in_cb = 0;

	return r;
}

/* the name (and for multipart the part's metadata) is complete */
static int
field_start(struct loom_form *f)
{
	int r;

	if (f->fields >= f->max_fields)
		return LOOM_ELIMIT;
	memset(&f->fld, 0, sizeof(f->fld));
	f->fld.name = f->name;
	f->fld.name_len = f->name_len;
	if (f->has_fname) {
		f->fld.filename = f->fname;
		f->fld.filename_len = f->fname_len;
	}
	if (f->has_ctype) {
		f->fld.content_type = f->ctype;
		f->fld.content_type_len = f->ctype_len;
	}
	f->fld.index = f->fields++;

	if (f->store_len && !f->has_fname) {
		r = store_begin(f);
		if (r)
			return r;
	}

	return call(f, LOOM_FORM_FIELD_START, NULL, 0);
}

static int
field_data(struct loom_form *f, const uint8_t *p, size_t n)
{
	int r;

	if (!n)
		return 0;
	if (f->storing && f->fld.value_len + n > f->max_value_len)
		return LOOM_ELIMIT;
	f->fld.value_len += n;
	r = call(f, LOOM_FORM_FIELD_DATA, p, n);
	if (r)
		return r;

	return f->storing ? store_append(f, p, n) : 0;
}

static int
field_end(struct loom_form *f)
{
	if (f->storing)
		store_commit(f);

	return call(f, LOOM_FORM_FIELD_END, NULL, 0);
}

/* ---- application/x-www-form-urlencoded ---- */

/* a decoded byte of the name or value */
static int
ue_put(struct loom_form *f, uint8_t c)
{
	if (!c)
		return LOOM_EINVAL;
	if (!f->in_value) {
		if (f->name_len == f->max_name_len)
			return LOOM_ELIMIT;
		f->name[f->name_len++] = (char)c;
		f->name[f->name_len] = '\0';
		return 0;
	}
	if (f->buf_len == f->max_value_len)
		return LOOM_ELIMIT;
	f->buf[f->buf_len++] = (char)c;

	return 0;
}

/* '&' or the end of the body: the pair is complete */
static int
ue_pair_end(struct loom_form *f)
{
	int r;

	if (!f->in_value) {
		if (!f->name_len)
			return 0;	/* an empty pair: "&&" */
		r = field_start(f);
		if (r)
			return r;
	}
	r = field_data(f, (const uint8_t *)f->buf, f->buf_len);
	if (!r)
		r = field_end(f);
	f->in_value = 0;
	f->name_len = 0;
	f->name[0] = '\0';
	f->buf_len = 0;

	return r;
}

static int
ue_byte(struct loom_form *f, uint8_t c)
{
	int h;

	if (f->pct) {
		h = hexval(c);
		if (h < 0)
			return LOOM_EINVAL;
		if (f->pct == 1) {
			f->pct_hi = (uint8_t)h;
			f->pct = 2;
			return 0;
		}
		f->pct = 0;

		return ue_put(f, (uint8_t)((f->pct_hi << 4) | h));
	}

	switch (c) {
	case '%':
		f->pct = 1;
		return 0;
	case '&':
		return ue_pair_end(f);
	case '=':
		if (f->in_value)
			break;		/* later '=' are part of the value */
		if (!f->name_len)
			return LOOM_EINVAL;
		f->in_value = 1;
		return field_start(f);
	case '+':
		c = ' ';
		break;
	}

	return ue_put(f, c);
}

/* ---- multipart/form-data ---- */

/* a part's Content-Disposition: form-data; name="..."; filename="..." */
static int
mp_disposition(struct loom_form *f, const char *s, size_t n)
{
	struct form_param pv[2] = {
		{ "name", f->name, f->max_name_len, 0, 0 },
		{ "filename", f->fname, f->max_filename_len, 0, 0 },
	};
	size_t i = 0;
	int r;

	if (f->seen_cd)
		return LOOM_EINVAL;
	f->seen_cd = 1;
	while (i < n && is_tchar((uint8_t)s[i]))
		i++;
	if (!ieq(s, i, "form-data"))
		return LOOM_EINVAL;

	r = parse_params(s, n, i, pv, 2, LOOM_ELIMIT);
	if (r)
		return r;
	if (!pv[0].seen || !pv[0].len)
		return LOOM_EINVAL;	/* RFC 7578 4.2: the name is required */
	f->name_len = pv[0].len;
	f->has_fname = (uint8_t)pv[1].seen;
	f->fname_len = pv[1].len;

	return 0;
}

/* one complete header line of a part (without its CRLF) */
static int
mp_header_line(struct loom_form *f, const char *l, size_t n)
{
	size_t i = 0, name_end, e;

	while (i < n && is_tchar((uint8_t)l[i]))
		i++;
	/* no name, space before ':' or obs-fold (a line starting with SP / HT) */
	if (!i || i == n || l[i] != ':')
		return LOOM_EINVAL;
	name_end = i;
	i = skip_ows(l, n, i + 1);
	e = n;
	while (e > i && (l[e - 1] == ' ' || l[e - 1] == '\t'))
		e--;

	if (ieq(l, name_end, "content-disposition"))
		return mp_disposition(f, l + i, e - i);

	if (ieq(l, name_end, "content-type")) {
		if (f->has_ctype)
			return LOOM_EINVAL;
		if (e - i > LOOM_FORM_MAX_PART_CTYPE)
			return LOOM_ELIMIT;
		memcpy(f->ctype, l + i, e - i);
		f->ctype[e - i] = '\0';
		f->ctype_len = e - i;
		f->has_ctype = 1;
	}

	return 0;	/* other part headers are allowed and ignored */
}

/* a byte of a part's header block */
static int
mp_header_byte(struct loom_form *f, uint8_t c)
{
	int r;

	if (++f->hdr_bytes > f->max_value_len)
		return LOOM_ELIMIT;

	if (f->hdr_cr) {
		if (c != '\n')
			return LOOM_EINVAL;	/* bare CR */
		f->hdr_cr = 0;
		if (f->buf_len) {
			r = mp_header_line(f, f->buf, f->buf_len);
			f->buf_len = 0;
			return r;
		}
		/* the empty line: the part's data follows */
		if (!f->seen_cd)
			return LOOM_EINVAL;
		f->state = FS_MP_BODY;
		f->m = f->carry = 0;

		return field_start(f);
	}

	if (c == '\r') {
		f->hdr_cr = 1;
		return 0;
	}
	if (is_ctl(c))
		return LOOM_EINVAL;	/* bare LF, NUL and the other controls */
	/* hdr_bytes bounds the line too */
	f->buf[f->buf_len++] = (char)c;

	return 0;
}

/* a new part's headers begin */
static void
mp_part_reset(struct loom_form *f)
{
	f->state = FS_MP_HEADERS;
	f->hdr_bytes = 0;
	f->hdr_cr = 0;
	f->seen_cd = 0;
	f->has_fname = 0;
	f->has_ctype = 0;
	f->name_len = f->fname_len = f->ctype_len = 0;
	f->buf_len = 0;
}

/* part data (in FS_MP_BODY; the preamble is dropped) */
static int
mp_data(struct loom_form *f, const uint8_t *p, size_t n)
{
	if (f->state != FS_MP_BODY)
		return 0;

	return field_data(f, p, n);
}

/*
 * Preamble or part data: look for the delimiter "\r\n--boundary". Only the bytes of
 * a partial match are held back, and as they are a prefix of the delimiter they
 * need no buffer: on a mismatch they are given as data from the delimiter itself.
 * The boundary has no CR, so a mismatch can only restart the match at the byte
 * that broke it. Sets *used; returns 1 when the delimiter was found, 0 when all of
 * \p in was consumed without it, or an error.
 */
static int
mp_scan(struct loom_form *f, const uint8_t *in, size_t len, size_t *used)
{
	const uint8_t *d = f->delim;
	size_t i = 0, ms = 0;	/* ms: where a match that began in \p in began */
	int r;

	while (i < len) {
		if (!f->m) {
			const uint8_t *p = memchr(in + i, '\r', len - i);

			if (!p) {
				i = len;
				break;
			}
			i = (size_t)(p - in);
			ms = i++;
			f->m = 1;
			continue;
		}
		if (in[i] == d[f->m]) {
			i++;
			if (++f->m < f->delim_len)
				continue;
			/* found: with carry, all of in[0..i) was delimiter */
			r = f->carry ? 0 : mp_data(f, in, ms);
			f->m = f->carry = 0;
			*used = i;
			return r ? r : 1;
		}
		/* a mismatch: what was held back from earlier feeds was data; what
		 * matched in this feed stays in the run from in[0] */
		if (f->carry) {
			r = mp_data(f, d, f->carry);
			f->carry = 0;
			if (r)
				return r;
		}
		f->m = 0;	/* and look at in[i] again */
	}

	*used = len;
	if (!f->m)
		return mp_data(f, in, len);
	if (f->carry) {
		f->carry = f->m;	/* the whole feed continued the match */
		return 0;
	}
	f->carry = f->m;

	return mp_data(f, in, ms);
}

/* the byte after the delimiter, the padding and the CRLF that ends its line */
static int
mp_delim_byte(struct loom_form *f, uint8_t c)
{
	if (f->state == FS_MP_AFTER_DELIM && c == '-') {
		f->state = FS_MP_DASH;
		return 0;
	}

	switch (f->state) {
	case FS_MP_AFTER_DELIM:
	case FS_MP_PAD:
		if (c == ' ' || c == '\t') {
			/* bound the padding like a header block */
			if (++f->hdr_bytes > f->max_value_len)
				return LOOM_ELIMIT;
			f->state = FS_MP_PAD;
			return 0;
		}
		if (c != '\r')
			return LOOM_EINVAL;
		f->state = FS_MP_DELIM_CR;
		return 0;
	case FS_MP_DASH:
		if (c != '-')
			return LOOM_EINVAL;
		f->state = FS_MP_EPILOGUE;
		return 0;
	default: /* FS_MP_DELIM_CR */
		if (c != '\n')
			return LOOM_EINVAL;
		mp_part_reset(f);
		return 0;
	}
}

static int
mp_feed(struct loom_form *f, const uint8_t *in, size_t len)
{
	size_t pos = 0, used = 0;
	int r = 0;

	while (pos < len && !r) {
		switch (f->state) {
		case FS_MP_PREAMBLE:
		case FS_MP_BODY:
			r = mp_scan(f, in + pos, len - pos, &used);
			pos += used;
			if (r != 1)
				break;
			r = 0;
			if (f->state == FS_MP_BODY)
				r = field_end(f);
			f->state = FS_MP_AFTER_DELIM;
			f->hdr_bytes = 0;
			break;
		case FS_MP_HEADERS:
			r = mp_header_byte(f, in[pos++]);
			break;
		case FS_MP_EPILOGUE:
			pos = len;
			break;
		default:
			r = mp_delim_byte(f, in[pos++]);
			break;
		}
	}

	return r;
}

/* ---- the API ---- */

/* *sz += add, unless it overflows */
static int
grow(size_t *sz, size_t add)
{
	if (add > (size_t)-1 - *sz)
		return 1;
	*sz += add;

	return 0;
}

struct loom_form *
loom_form_create(const struct loom_form_info *i)
{
	char bnd[LOOM_FORM_MAX_BOUNDARY + 1];
	size_t bnd_len = 0, ctl, sz = sizeof(struct loom_form), o_name, o_fname = 0,
	       o_ctype = 0, o_buf, o_store, name_max, fname_max, value_max;
	struct loom_form *f;
	uint8_t *blk;
	int type;

	if (!i || !i->content_type)
		return NULL;
	ctl = i->content_type_len ? i->content_type_len : strlen(i->content_type);
	type = parse_content_type(i->content_type, ctl, bnd, &bnd_len);
	if (type < 0)
		return NULL;

	name_max = i->max_name_len ? i->max_name_len : 128;
	fname_max = i->max_filename_len ? i->max_filename_len : 255;
	value_max = i->max_value_len ? i->max_value_len : 4096;
	/* the store writes lengths as 32 bits */
	if (i->store_len && (name_max > 0xffffffffu || value_max > 0xffffffffu))
		return NULL;

	o_name = sz;
	if (grow(&sz, name_max) || grow(&sz, 1))
		return NULL;
	if (type == LOOM_FORM_MULTIPART) {
		o_fname = sz;
		if (grow(&sz, fname_max) || grow(&sz, 1))
			return NULL;
		o_ctype = sz;
		if (grow(&sz, LOOM_FORM_MAX_PART_CTYPE + 1))
			return NULL;
	}
	o_buf = sz;
	if (grow(&sz, value_max) || grow(&sz, 1))
		return NULL;
	o_store = sz;
	if (grow(&sz, i->store_len))
		return NULL;

	blk = loom_zalloc(sz, "form");
	if (!blk)
		return NULL;
	f = (struct loom_form *)blk;

	f->cb = i->cb;
	f->user = i->user;
	f->max_name_len = name_max;
	f->max_filename_len = fname_max;
	f->max_value_len = value_max;
	f->max_fields = i->max_fields ? i->max_fields : 64;
	f->max_total = i->max_total;
	f->type = (enum loom_form_type)type;
	f->name = (char *)blk + o_name;
	f->buf = (char *)blk + o_buf;
	if (i->store_len) {
		f->store = blk + o_store;
		f->store_len = i->store_len;
	}

	if (type == LOOM_FORM_URLENCODED) {
		f->state = FS_UE;
		return f;
	}

	f->fname = (char *)blk + o_fname;
	f->ctype = (char *)blk + o_ctype;
	memcpy(f->delim, "\r\n--", 4);
	memcpy(f->delim + 4, bnd, bnd_len);
	f->delim_len = 4 + bnd_len;
	f->state = FS_MP_PREAMBLE;
	/* the body's start counts as a line start: the first delimiter may come
	 * without a CRLF before it */
	f->m = f->carry = 2;

	return f;
}

int
loom_form_feed(struct loom_form *f, const void *data, size_t len)
{
	const uint8_t *in = data;
	size_t n = len, k;
	int r = 0;

	if (!f || (!data && len))
		return LOOM_EINVAL;
	if (f->in_cb)
		return LOOM_EBUSY;
	if (f->err)
		return f->err;
	if (f->finished)
		return LOOM_EINVAL;

	/* parse what is within the limit, so the error does not depend on how
	 * the body was split */
	if (f->max_total && n > f->max_total - f->total)
		n = (size_t)(f->max_total - f->total);
	f->total += n;

	if (f->type == LOOM_FORM_URLENCODED)
		for (k = 0; k < n && !r; k++)
			r = ue_byte(f, in[k]);
	else
		r = mp_feed(f, in, n);

	if (!r && n < len)
		r = LOOM_ELIMIT;
	f->err = r;

	return r;
}

int
loom_form_finish(struct loom_form *f)
{
	int r = 0;

	if (!f)
		return LOOM_EINVAL;
	if (f->in_cb)
		return LOOM_EBUSY;
	if (f->err || f->finished)
		return f->err;
	f->finished = 1;

	if (f->type == LOOM_FORM_URLENCODED)
		r = f->pct ? LOOM_EINVAL : ue_pair_end(f);
	else if (f->state != FS_MP_EPILOGUE)
		r = LOOM_EINVAL;
	f->err = r;

	return r;
}

enum loom_form_type
loom_form_type(const struct loom_form *f)
{
	return f->type;
}

const char *
loom_form_value(const struct loom_form *f, const char *name, unsigned int n,
		size_t *len)
{
	size_t o = 0, nl;

	if (!f || !f->store || !name)
		return NULL;
	nl = strlen(name);
	while (o < f->store_used) {
		uint32_t enl, evl;
		const char *en;

		memcpy(&enl, f->store + o, 4);
		memcpy(&evl, f->store + o + 4, 4);
		en = (const char *)f->store + o + STORE_HDR;
		if (enl == nl && !memcmp(en, name, nl) && !n--) {
			if (len)
				*len = evl;
			return en + enl + 1;
		}
		o += STORE_HDR + enl + 1 + evl + 1;
	}

	return NULL;
}

int
loom_form_get(const struct loom_form *f, const char *name, char *buf, size_t len)
{
	const char *v;
	size_t vl;

	v = loom_form_value(f, name, 0, &vl);
	if (!v)
		return LOOM_ENOTFOUND;
	if (!buf || vl >= len || vl > 0x7fffffff) {
		if (buf && len)
			buf[0] = '\0';
		return LOOM_ELIMIT;
	}
	memcpy(buf, v, vl + 1);

	return (int)vl;
}

void
loom_form_destroy(struct loom_form *f)
{
	loom_free(f);
}
