/*
 * http.c: HTTP state shared by the roles that speak it: per-thread scratch and Date
 * cache, per-vhost settings, the per-message header store ("ah"), the public
 * accessors for headers, path and query arguments, and the writer of an outgoing
 * message's head and body (a response, or a client's request). What only a
 * server needs is in server.c, static.c and file-cache.c: a client-only build
 * (LOOM_WITH_SERVER=OFF) reaches none of it.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/http/private-http.h"

#include <time.h>
#include <stdio.h>

struct loom_http_pt *
loom__http_pt(struct loom_pt *pt)
{
	if (!pt->http_pt)
		pt->http_pt = loom_zalloc(sizeof(struct loom_http_pt), "http pt");

	return pt->http_pt;
}

void
loom__http_destroy_pt(struct loom_pt *pt)
{
	struct loom_http_pt *hp = pt->http_pt;

	while (hp && hp->count_ah_cache)
		loom_free(hp->ah_cache[--hp->count_ah_cache]);
	loom_free(pt->http_pt);
	pt->http_pt = NULL;
}

static const struct loom_http_vh loom_http_vh_defaults = {
	{ LOOM_HTTP_DEF_HEAD_BYTES, LOOM_HTTP_DEF_HEADERS, LOOM_HTTP_DEF_URI },
	LOOM_HTTP_DEF_BODY, LOOM_HTTP_DEF_HEAD_TO, LOOM_HTTP_DEF_KEEPALIVE_TO,
	LOOM_HTTP_DEF_BODY_TO, 0, NULL, "loom", NULL, NULL, 0,
	NULL, LOOM_HTTP_DEF_FC_ENTRIES, LOOM_HTTP_DEF_FC_VALID_MS, LOOM_HTTP_DEF_FC_INLINE,
	LOOM_HTTP_RESP_HDR_MAX
};

const struct loom_http_vh *
loom__http_vh(const struct loom_vhost *vh)
{
	return vh && vh->http_vh ? vh->http_vh : &loom_http_vh_defaults;
}

/* each file mount's directory is opened once; requests open files beneath it */
static int
loom_http_open_mounts(struct loom_vhost *vh, struct loom_http_vh *hv)
{
	const struct loom_http_mount *m;
	unsigned int n = 0;

	for (m = hv->mounts; m; m = m->next)
		if (m->kind == LOOM_MOUNT_FILES)
			n++;
	if (!n)
		return 0;
	hv->mfd = loom_malloc(n * sizeof(int), "mount fds");
	hv->mfd_mount = loom_malloc(n * sizeof(*hv->mfd_mount), "mount fds");
	if (!hv->mfd || !hv->mfd_mount)
		return -1;
	for (m = hv->mounts; m; m = m->next) {
		if (m->kind != LOOM_MOUNT_FILES)
			continue;
		hv->mfd_mount[hv->count_mfd] = m;
		hv->mfd[hv->count_mfd] = m->origin ? loom__plat_open_dir(m->origin) : -1;
		if (hv->mfd[hv->count_mfd] < 0) {
			_loom_vhlog(LOOM_LL_ERR, vh, "mount %s: cannot open directory '%s'",
				    m->mountpoint, m->origin ? m->origin : "(null)");
			hv->count_mfd++;
			return -1;
		}
		hv->count_mfd++;
	}

	return 0;
}

int
loom__http_vhost_init(struct loom_vhost *vh, const struct loom_vhost_info *info)
{
	const struct loom_http_vhost_info *i = info->http;
	struct loom_http_vh *hv;

	if (!i)
		return 0;	/* the defaults */
	hv = loom_malloc(sizeof(*hv), "http vh");
	if (!hv)
		return -1;
	*hv = loom_http_vh_defaults;
	if (i->max_head_bytes)
		hv->lim.max_head_bytes = i->max_head_bytes;
	if (i->max_headers)
		hv->lim.max_headers = (uint16_t)(i->max_headers > 4096 ? 4096 :
						 i->max_headers);
	if (i->max_uri_len)
		hv->lim.max_uri_len = (uint16_t)(i->max_uri_len > 65535 ? 65535 :
						 i->max_uri_len);
	if (i->max_body)
		hv->max_body = i->max_body;
	if (i->head_timeout_secs)
		hv->head_to = i->head_timeout_secs;
	if (i->keepalive_timeout_secs)
		hv->keepalive_to = i->keepalive_timeout_secs;
	if (i->body_timeout_secs)
		hv->body_to = i->body_timeout_secs;
	hv->max_requests = i->max_requests;
	hv->mounts = i->mounts;
	if (i->server_name)
		hv->server_name = i->server_name;
	if (i->file_cache_entries)
		hv->fc_max = i->file_cache_entries == LOOM_HTTP_FILE_CACHE_OFF ? 0 :
			     i->file_cache_entries;
	if (i->file_cache_valid_ms)
		hv->fc_valid_ms = i->file_cache_valid_ms == LOOM_HTTP_FILE_CACHE_OFF ? 0 :
				  i->file_cache_valid_ms;
	if (i->file_cache_inline_max)
		hv->fc_inline_max = i->file_cache_inline_max == LOOM_HTTP_FILE_CACHE_OFF ?
				    0 : i->file_cache_inline_max;
	if (hv->fc_inline_max > LOOM_HTTP_SCRATCH)
		hv->fc_inline_max = LOOM_HTTP_SCRATCH;
	if (i->max_response_head_bytes)
		hv->resp_head_max = loom__http_head_max(i->max_response_head_bytes);
	vh->http_vh = hv;

	if (loom_http_open_mounts(vh, hv))
		return -1;
#if defined(LOOM_WITH_SERVER)	/* files are served by the server side only */
	if (hv->count_mfd && hv->fc_max && hv->fc_valid_ms) {
		hv->fc = loom_malloc(vh->ctx->count_threads * sizeof(*hv->fc),
				     "file cache");
		if (!hv->fc)
			return -1;
		memset(hv->fc, 0, vh->ctx->count_threads * sizeof(*hv->fc));
	}
#endif

	return 0;
}

void
loom__http_vhost_destroy(struct loom_vhost *vh)
{
	struct loom_http_vh *hv = vh->http_vh;
	unsigned int n;

	if (!hv)
		return;
#if defined(LOOM_WITH_SERVER)
	loom__http_fcache_destroy(hv, vh->ctx->count_threads);
#endif
	for (n = 0; n < hv->count_mfd; n++)
		if (hv->mfd[n] >= 0)
			loom__plat_close(hv->mfd[n]);
	loom_free(hv->mfd);
	loom_free(hv->mfd_mount);
	loom_free(hv);
	vh->http_vh = NULL;
}

/* ---- dates (RFC 9110 section 5.6.7) ---- */

static const char *const wkday[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const month[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
				     "Aug", "Sep", "Oct", "Nov", "Dec" };

int
loom__http_format_date(int64_t secs, char *buf, size_t len)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return -1;

	return snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d GMT",
			wkday[tm.tm_wday], tm.tm_mday, month[tm.tm_mon],
			tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

size_t
loom__http_fmt_u64(char *buf, uint64_t v)
{
	char tmp[21];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];

	return n;
}

size_t
loom__http_fmt_hex(char *buf, uint64_t v)
{
	static const char hx[] = "0123456789abcdef";
	char tmp[17];
	size_t n = 0, i;

	do {
		tmp[n++] = hx[v & 15];
		v >>= 4;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];

	return n;
}

const char *
loom__http_date_of(struct loom_pt *pt, int64_t mtime)
{
	struct loom_http_pt *hp = loom__http_pt(pt);

	if (!hp)
		return "";
	if (hp->lm_secs != mtime || !hp->lm[0]) {
		loom__http_format_date(mtime, hp->lm, sizeof(hp->lm));
		hp->lm_secs = mtime;
	}

	return hp->lm;
}

const char *
loom__http_date(struct loom_pt *pt, size_t *len)
{
	struct loom_http_pt *hp = loom__http_pt(pt);
	time_t now = time(NULL);

	if (!hp)
		return NULL;
	if (hp->date_secs != (int64_t)now) {
		int n = loom__http_format_date((int64_t)now, hp->date, sizeof(hp->date));

		hp->date_len = (uint8_t)(n > 0 ? n : 0);
		hp->date_secs = (int64_t)now;
	}
	*len = hp->date_len;

	return hp->date;
}

/* days from 1970-01-01 to y-m-d (proleptic Gregorian), no libc timezone games */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static int
month_index(const char *s)
{
	int n;

	for (n = 0; n < 12; n++)
		if (!strncmp(s, month[n], 3))
			return n + 1;

	return 0;
}

/*
 * IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", the obsolete RFC 850 form
 * "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994".
 * Returns seconds since the epoch or -1.
 */
int64_t
loom__http_parse_date(const char *s, size_t len)
{
	char b[64], mon[4] = { 0 }, wk[16];
	int d = 0, y = 0, H = 0, M = 0, S = 0, mi;

	if (!len || len >= sizeof(b))
		return -1;
	memcpy(b, s, len);
	b[len] = '\0';
	if (sscanf(b, "%3s, %2d %3s %4d %2d:%2d:%2d GMT", wk, &d, mon, &y, &H, &M, &S)
	    == 7 && b[3] == ',') {
		/* IMF-fixdate */
	} else if (sscanf(b, "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d GMT", wk, &d, mon, &y,
			  &H, &M, &S) == 7) {
		y += y < 70 ? 2000 : 1900;
	} else if (sscanf(b, "%3s %3s %2d %2d:%2d:%2d %4d", wk, mon, &d, &H, &M, &S, &y)
		   == 7) {
		/* asctime */
	} else
		return -1;
	mi = month_index(mon);
	if (!mi || d < 1 || d > 31 || H > 23 || M > 59 || S > 60 || y < 1970)
		return -1;

	return days_from_civil(y, mi, d) * 86400 + H * 3600 + M * 60 + S;
}

/* ---- the per-message store ---- */

/* an outgoing head limit as configured: 0 the default, at most the limit, and
 * room for at least a status line */
uint32_t
loom__http_head_max(unsigned int want)
{
	if (!want)
		return LOOM_HTTP_RESP_HDR_MAX;
	if (want > LOOM_HTTP_RESP_HDR_LIMIT)
		return LOOM_HTTP_RESP_HDR_LIMIT;

	return want < 128 ? 128 : (uint32_t)want;
}

/* the head buffer is sized by the limit: the default costs what it always did */
static size_t
ah_size(const struct loom_http_vh *hv, uint32_t head_max)
{
	return sizeof(struct loom_h1_ah) +
	       (size_t)hv->lim.max_headers * sizeof(struct loom_http_hdr) +
	       2 * ((size_t)hv->lim.max_uri_len + 1) + hv->lim.max_head_bytes +
	       LOOM_PRE + head_max + 16;
}

/* lay out a store block of ah_size(hv, head_max) bytes and ready its parser */
static struct loom_h1_ah *
ah_setup(struct loom_h1_ah *ah, const struct loom_http_vh *hv,
	 enum loom_http_parser_mode mode, uint32_t head_max)
{
	size_t nh = hv->lim.max_headers, uri = (size_t)hv->lim.max_uri_len + 1,
	       hb = hv->lim.max_head_bytes;
	uint8_t *p;

	memset(ah, 0, sizeof(*ah));
	ah->alloc_size = (uint32_t)ah_size(hv, head_max);
	ah->resp_max = head_max;
	p = (uint8_t *)(ah + 1);
	ah->hdrs = (struct loom_http_hdr *)p;
	p += nh * sizeof(struct loom_http_hdr);
	ah->path = (char *)p;
	p += uri;
	ah->query = (char *)p;
	p += uri;
	ah->resp = p;
	p += LOOM_PRE + head_max;
	ah->path[0] = ah->query[0] = '\0';
	loom__http_parser_init(&ah->p, mode, p, hb, ah->hdrs, &hv->lim);

	return ah;
}

struct loom_h1_ah *
loom__h1_ah_create_head(const struct loom_http_vh *hv, enum loom_http_parser_mode mode,
			uint32_t head_max)
{
	struct loom_h1_ah *ah = loom_malloc(ah_size(hv, head_max), "http ah");

	return ah ? ah_setup(ah, hv, mode, head_max) : NULL;
}

struct loom_h1_ah *
loom__h1_ah_create(const struct loom_http_vh *hv, enum loom_http_parser_mode mode)
{
	return loom__h1_ah_create_head(hv, mode, hv->resp_head_max);
}

/*
 * append to the outgoing head being built; LOOM_ELIMIT past the store's limit,
 * which counts the blank line that ends the head (kept free here)
 */
int
loom__h1_ah_append(struct loom_h1_ah *ah, const char *s, size_t len)
{
	if (len > ah->resp_max || ah->resp_len + len > ah->resp_max - 2)
		return LOOM_ELIMIT;
	memcpy(ah->resp + LOOM_PRE + ah->resp_len, s, len);
	ah->resp_len += (uint32_t)len;

	return 0;
}

/*
 * The server takes and gives back a store per request. A few freed ones are kept
 * per thread: freeing ~20 KiB per request let the heap shrink and fault its
 * pages back in on the next one (the 100 KiB file benchmark's top cost).
 */
struct loom_h1_ah *
loom__h1_ah_get(struct loom_pt *pt, const struct loom_http_vh *hv,
		enum loom_http_parser_mode mode)
{
	struct loom_http_pt *hp = loom__http_pt(pt);
	size_t sz = ah_size(hv, hv->resp_head_max);
	unsigned int n;

	if (hp)
		for (n = 0; n < hp->count_ah_cache; n++)
			if (hp->ah_cache[n]->alloc_size == sz) {
				struct loom_h1_ah *ah = hp->ah_cache[n];

				hp->ah_cache[n] = hp->ah_cache[--hp->count_ah_cache];
				return ah_setup(ah, hv, mode, hv->resp_head_max);
			}

	return loom__h1_ah_create(hv, mode);
}

void
loom__h1_ah_put(struct loom_pt *pt, struct loom_h1_ah *ah)
{
	struct loom_http_pt *hp = pt->http_pt;

	if (!ah)
		return;
	if (hp && hp->count_ah_cache < LOOM_HTTP_AH_CACHE) {
		hp->ah_cache[hp->count_ah_cache++] = ah;
		return;
	}
	loom_free(ah);
}

/* ready a kept store for the next message on the same conn */
void
loom__h1_ah_reset(struct loom_h1_ah *ah, const struct loom_http_vh *hv,
		  enum loom_http_parser_mode mode)
{
	ah->path[0] = ah->query[0] = '\0';
	ah->path_len = ah->resp_len = 0;
	loom__http_parser_init(&ah->p, mode, ah->p.buf, ah->p.buf_len, ah->hdrs,
			       &hv->lim);
}

/* ---- public accessors ---- */

static const struct loom_h1_ah *
conn_ah(const struct loom_conn *conn)
{
	const struct loom_h1 *h;

	if (!conn || !loom__conn_is_http(conn) || !conn->role_data)
		return NULL;
	h = conn->role_data;

	return h->ah;
}

enum loom_http_method
loom_http_method(const struct loom_conn *conn)
{
	const struct loom_h1_ah *ah = conn_ah(conn);

	return ah ? (enum loom_http_method)ah->p.method : LOOM_HTTP_METHOD_NONE;
}

const char *
loom_http_path(const struct loom_conn *conn)
{
	const struct loom_h1_ah *ah = conn_ah(conn);

	return ah ? ah->path : NULL;
}

unsigned int
loom_http_status(const struct loom_conn *conn)
{
	const struct loom_h1_ah *ah = conn_ah(conn);

	return ah ? ah->p.status : 0;
}

/* walk the lines of token t: total joined length, and optionally copy */
static int
hdr_join(const struct loom_h1_ah *ah, enum loom_hdr_token t, char *buf, size_t len)
{
	const char *sep = t == LOOM_HDR_COOKIE ? "; " : ", ";
	const struct loom_http_hdr *hd;
	size_t total = 0;
	unsigned int n;

	if ((unsigned int)t >= LOOM_HDR_COUNT || !loom__http_hdr(&ah->p, t, 0))
		return -1;
	for (n = 0; (hd = loom__http_hdr(&ah->p, t, n)); n++) {
		size_t add = hd->value.len + (n ? 2 : 0);

		if (buf) {
			if (total + add + 1 > len)
				return LOOM_ELIMIT;
			if (n)
				memcpy(buf + total, sep, 2);
			memcpy(buf + total + (n ? 2 : 0),
			       loom__http_frag_ptr(&ah->p, hd->value), hd->value.len);
		}
		total += add;
	}
	if (buf)
		buf[total] = '\0';

	return (int)total;
}

int
loom_hdr_total_length(const struct loom_conn *conn, enum loom_hdr_token t)
{
	const struct loom_h1_ah *ah = conn_ah(conn);

	return ah ? hdr_join(ah, t, NULL, 0) : -1;
}

int
loom_hdr_copy(const struct loom_conn *conn, char *buf, size_t len, enum loom_hdr_token t)
{
	const struct loom_h1_ah *ah = conn_ah(conn);

	if (!buf || !len)
		return LOOM_EINVAL;
	buf[0] = '\0';

	return ah ? hdr_join(ah, t, buf, len) : -1;
}

static int
name_eq(const char *a, size_t alen, const char *b)
{
	size_t n;

	for (n = 0; n < alen; n++) {
		char x = a[n], y = b[n];

		if (!y)
			return 0;
		if (x >= 'A' && x <= 'Z')
			x = (char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (char)(y + 32);
		if (x != y)
			return 0;
	}

	return !b[alen];
}

int
loom_hdr_custom_copy(const struct loom_conn *conn, char *buf, size_t len,
		     const char *name)
{
	const struct loom_h1_ah *ah = conn_ah(conn);
	unsigned int n;

	if (!buf || !len || !name)
		return LOOM_EINVAL;
	buf[0] = '\0';
	if (!ah)
		return -1;
	for (n = 0; n < ah->p.count_hdrs; n++) {
		const struct loom_http_hdr *hd = &ah->hdrs[n];

		if (hd->token >= 0 ||
		    !name_eq(loom__http_frag_ptr(&ah->p, hd->name), hd->name.len, name))
			continue;
		if (hd->value.len + 1 > len)
			return LOOM_ELIMIT;
		memcpy(buf, loom__http_frag_ptr(&ah->p, hd->value), hd->value.len);
		buf[hd->value.len] = '\0';
		return (int)hd->value.len;
	}

	return -1;
}

int
loom_hdr_custom_foreach(const struct loom_conn *conn, loom_hdr_custom_cb cb, void *user)
{
	const struct loom_h1_ah *ah = conn_ah(conn);
	unsigned int n;
	int r;

	if (!ah || !cb)
		return LOOM_EINVAL;
	for (n = 0; n < ah->p.count_hdrs; n++) {
		const struct loom_http_hdr *hd = &ah->hdrs[n];

		if (hd->token >= 0)
			continue;
		r = cb(user, loom__http_frag_ptr(&ah->p, hd->name), hd->name.len,
		       loom__http_frag_ptr(&ah->p, hd->value), hd->value.len);
		if (r)
			return r;
	}

	return 0;
}

int
loom_http_get_arg(const struct loom_conn *conn, const char *name, char *buf, size_t len)
{
	const struct loom_h1_ah *ah = conn_ah(conn);
	size_t nl = name ? strlen(name) : 0;
	const char *q, *end, *amp, *eq;

	if (!buf || !len || !nl)
		return LOOM_EINVAL;
	buf[0] = '\0';
	if (!ah)
		return -1;
	q = ah->query;
	end = q + strlen(q);
	while (q < end) {
		char key[256];
		int kl;

		amp = memchr(q, '&', (size_t)(end - q));
		if (!amp)
			amp = end;
		eq = memchr(q, '=', (size_t)(amp - q));
		kl = loom_urldecode(q, (size_t)((eq ? eq : amp) - q), key, sizeof(key), 1);
		if (kl == (int)nl && !memcmp(key, name, nl)) {
			if (!eq)
				return 0;
			kl = loom_urldecode(eq + 1, (size_t)(amp - eq - 1), buf, len, 1);
			return kl < 0 ? LOOM_ELIMIT : kl;
		}
		q = amp + 1;
	}

	return -1;
}

/* ---- the outgoing message writer (server responses and client requests) ---- */

/* a piece of output: the head, a chunk size line, body bytes, a chunk end */
struct piece {
	const uint8_t *p;
	size_t len;
};

/*
 * Send the response head if it has not gone yet, then the pieces. Small enough
 * output is gathered into the per-thread scratch so it leaves in one write.
 */
static int
emit(struct loom_conn *conn, struct loom_h1 *h, const struct piece *pc, int n)
{
	struct loom_http_pt *hp = loom__http_pt(conn->pt);
	struct piece all[6];
	size_t total = 0, o = 0;
	int k = 0, i, r;

	if (h->resp == H1R_STARTED) {
		struct loom_h1_ah *ah = h->ah;

		memcpy(ah->resp + LOOM_PRE + ah->resp_len, "\r\n", 2);
		ah->resp_len += 2;
		all[k].p = ah->resp + LOOM_PRE;
		all[k++].len = ah->resp_len;
		h->resp = H1R_SENDING;
	}
	for (i = 0; i < n && k < 6; i++)
		if (pc[i].len)
			all[k++] = pc[i];
	for (i = 0; i < k; i++)
		total += all[i].len;
	if (k > 1 && hp && total <= LOOM_HTTP_SCRATCH) {
		for (i = 0; i < k; i++) {
			memcpy(hp->scratch + LOOM_PRE + o, all[i].p, all[i].len);
			o += all[i].len;
		}
		r = loom__issue_raw(conn, hp->scratch + LOOM_PRE, total);
		return r < 0 ? r : 0;
	}
	for (i = 0; i < k; i++) {
		r = loom__issue_raw(conn, all[i].p, all[i].len);
		if (r < 0)
			return r;
	}

	return 0;
}

int
loom__http_emit_body(struct loom_conn *conn, const uint8_t *buf, size_t len, int final)
{
	struct loom_h1 *h = conn->role_data;
	struct piece pc[3];
	char hex[24];
	int n = 0;

#if defined(LOOM_WITH_H2)
	if (loom__conn_is_h2s(conn))	/* HEADERS and DATA frames instead */
		return loom__h2s_emit_body(conn, buf, len, final);
#endif
	if (h->flags & H1F_CHUNKED_OUT) {
		if (len) {
			pc[n].p = (const uint8_t *)hex;
			pc[n].len = loom__http_fmt_hex(hex, len);
			memcpy(hex + pc[n].len, "\r\n", 2);
			pc[n++].len += 2;
			pc[n].p = buf;
			pc[n++].len = len;
		}
		if (final) {
			pc[n].p = (const uint8_t *)(len ? "\r\n0\r\n\r\n" : "0\r\n\r\n");
			pc[n++].len = len ? 7 : 5;
		} else if (len) {
			pc[n].p = (const uint8_t *)"\r\n";
			pc[n++].len = 2;
		}
	} else {
		pc[n].p = buf;
		pc[n++].len = len;
	}

	return emit(conn, h, pc, n);
}
