/*
 * static.c: serving files from a mount: the path stays beneath the mount's
 * directory, MIME types, index files, conditional requests (ETag, If-Modified-
 * Since: 304), a single Range (206/416), and the body in bounded memory: sendfile
 * on plain sockets, a chunk per writable otherwise.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/http/private-http.h"

#include <stdio.h>


static const struct loom_http_header_kv mime_table[] = {
	{ ".html", "text/html; charset=utf-8" }, { ".htm", "text/html; charset=utf-8" },
	{ ".css", "text/css" }, { ".js", "text/javascript" },
	{ ".mjs", "text/javascript" }, { ".json", "application/json" },
	{ ".txt", "text/plain; charset=utf-8" }, { ".xml", "application/xml" },
	{ ".svg", "image/svg+xml" }, { ".png", "image/png" }, { ".jpg", "image/jpeg" },
	{ ".jpeg", "image/jpeg" }, { ".gif", "image/gif" }, { ".webp", "image/webp" },
	{ ".ico", "image/x-icon" }, { ".wasm", "application/wasm" },
	{ ".pdf", "application/pdf" }, { ".zip", "application/zip" },
	{ ".gz", "application/gzip" }, { ".mp4", "video/mp4" }, { ".webm", "video/webm" },
	{ ".mp3", "audio/mpeg" }, { ".ogg", "audio/ogg" }, { ".wav", "audio/wav" },
	{ ".woff", "font/woff" }, { ".woff2", "font/woff2" }, { ".ttf", "font/ttf" },
	{ ".csv", "text/csv" }, { ".md", "text/markdown" },
	{ NULL, NULL }
};

static int
ext_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;

		if (x != *b)
			return 0;
	}

	return !*a && !*b;
}

const char *
loom_http_mime_type(const char *path, const struct loom_http_header_kv *extra)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	const struct loom_http_header_kv *kv;
	char ext[8];
	size_t n;

	if (!dot || (slash && slash > dot))
		return "application/octet-stream";
	for (kv = extra; kv && kv->name; kv++)
		if (ext_eq(dot, kv->name))
			return kv->value;
	/* the table's extensions are short and lower case */
	for (n = 0; dot[n] && n < sizeof(ext) - 1; n++)
		ext[n] = dot[n] >= 'A' && dot[n] <= 'Z' ? (char)(dot[n] + 32) : dot[n];
	if (dot[n])
		return "application/octet-stream";
	ext[n] = '\0';
	for (kv = mime_table; kv->name; kv++)
		if (kv->name[1] == ext[1] && !strcmp(kv->name, ext))
			return kv->value;

	return "application/octet-stream";
}

void
loom__http_file_close(struct loom_h1 *h)
{
	if (h->fent)
		loom__http_fent_release(h->fent);	/* the fd is the entry's */
	else if (h->file_fd >= 0)
		loom__plat_close(h->file_fd);
	h->fent = NULL;
	h->file_fd = -1;
	h->file_remaining = 0;
	h->flags &= (uint16_t)~H1F_FILE;
}

/* is the file's current ETag among those in If-None-Match (or is it "*")? */
static int
etag_matches(const char *list, const char *etag)
{
	size_t el = strlen(etag);
	const char *p = list;

	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '*')
			return 1;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;	/* weak comparison for GET */
		if (!strncmp(p, etag, el) && (p[el] == ',' || p[el] == ' ' || !p[el]))
			return 1;
		while (*p && *p != ',')
			p++;
	}

	return 0;
}

/* "bytes=a-b", "bytes=a-", "bytes=-n": 1 with [*first, *last], 0 to ignore, -1 bad */
static int
parse_range(const char *r, uint64_t size, uint64_t *first, uint64_t *last)
{
	uint64_t a = 0, b = 0;
	int have_a = 0, have_b = 0;

	if (strncmp(r, "bytes=", 6))
		return 0;
	r += 6;
	if (strchr(r, ','))
		return 0;	/* several ranges: we send the whole file instead */
	while (*r >= '0' && *r <= '9') {
		if (a > (UINT64_MAX - 9) / 10)
			return 0;
		a = a * 10 + (uint64_t)(*r++ - '0');
		have_a = 1;
	}
	if (*r++ != '-')
		return 0;
	while (*r >= '0' && *r <= '9') {
		if (b > (UINT64_MAX - 9) / 10)
			return 0;
		b = b * 10 + (uint64_t)(*r++ - '0');
		have_b = 1;
	}
	if (*r || (!have_a && !have_b))
		return 0;
	if (!have_a) {		/* the last b bytes */
		if (!b || !size)
			return -1;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 1;
	}
	if (have_b && b < a)
		return 0;
	if (a >= size)
		return -1;
	*first = a;
	*last = have_b && b < size ? b : size - 1;

	return 1;
}

/* the next piece of the file: sendfile on a plain socket, else read and write */
int
loom__http_serve_file_more(struct loom_conn *conn)
{
	struct loom_h1 *h = conn->role_data;
	struct loom_http_pt *hp;
	size_t want;
	long n;
	int final;

	if (!h->file_remaining || h->file_fd < 0)
		return 0;
	/*
	 * On a plain socket a body bigger than what one write carries goes by
	 * sendfile, its head just before with "more follows" so both share
	 * segments. Smaller ones leave with their head in one write, read below.
	 */
	if (h->resp == H1R_STARTED && !conn->tls && !conn->buflist_out &&
	    (conn->flags & LCF_IS_SOCKET) && !(h->flags & H1F_CHUNKED_OUT) &&
	    h->file_remaining > LOOM_HTTP_SCRATCH / 2) {
		if (loom__http_emit_head_more(conn) < 0)
			return -1;
	}
	if (h->resp == H1R_SENDING && !conn->tls && !conn->buflist_out &&
	    (conn->flags & LCF_IS_SOCKET) && !(h->flags & H1F_CHUNKED_OUT)) {
		n = loom__plat_sendfile(conn->fd, h->file_fd, &h->file_ofs,
					h->file_remaining > (1u << 30) ? (1u << 30) :
					(size_t)h->file_remaining);
		if (n < 0 && !loom__plat_errno_is_again(errno))
			return -1;
		if (n > 0)
			h->file_remaining -= (uint64_t)n;
		if (h->file_remaining) {
			/* the socket is full: wait for POLLOUT, not the shortcut */
			conn->flags &= ~LCF_KNOWN_WRITABLE;
			h->flags |= H1F_FILE;
			loom_callback_on_writable(conn);
			return 0;
		}
		h->resp_remaining = 0;
		loom__http_file_close(h);
		return loom_http_write_body(conn, NULL, 0, 1) < 0 ? -1 : 0;
	}

	hp = loom__http_pt(conn->pt);
	if (!hp)
		return -1;
	want = h->file_remaining < LOOM_HTTP_SCRATCH ? (size_t)h->file_remaining :
	       LOOM_HTTP_SCRATCH;
	if (conn->role->tx_credit) {
		/* h2: no more than the peer's window lets us send now */
		int cr = conn->role->tx_credit(conn, 0, 0);

		if (cr <= 0) {
			/* the head goes now; the body when the window opens */
			h->flags |= H1F_FILE;
			if (h->resp == H1R_STARTED &&
			    loom__http_emit_body(conn, NULL, 0, 0) < 0)
				return -1;
			return loom_callback_on_writable(conn) < 0 ? -1 : 0;
		}
		if ((size_t)cr < want)
			want = (size_t)cr;
	}
	n = loom__plat_pread(h->file_fd, hp->filebuf + LOOM_PRE, want, h->file_ofs);
	if (n <= 0)
		return -1;	/* the file shrank under us */
	h->file_ofs += (uint64_t)n;
	h->file_remaining -= (uint64_t)n;
	final = !h->file_remaining;
	if (final)
		loom__http_file_close(h);
	else
		h->flags |= H1F_FILE;
	if (loom_http_write_body(conn, hp->filebuf + LOOM_PRE, (size_t)n, final) < 0)
		return -1;
	if (!final)
		loom_callback_on_writable(conn);

	return 0;
}

static int
file_headers(struct loom_conn *conn, const struct loom_http_mount *m,
	     const char *etag, const char *lastmod)
{
	const struct loom_http_header_kv *kv;
	char cc[40];

	if (loom_http_add_header(conn, "ETag", etag) ||
	    loom_http_add_header(conn, "Last-Modified", lastmod))
		return -1;
	if (m->cache_max_age) {
		snprintf(cc, sizeof(cc), "max-age=%u", m->cache_max_age);
		if (loom_http_add_header(conn, "Cache-Control", cc))
			return -1;
	}
	for (kv = m->headers; kv && kv->name; kv++)
		if (loom_http_add_header(conn, kv->name, kv->value))
			return -1;

	return 0;
}

int
loom__http_serve_file(struct loom_conn *conn, const struct loom_http_mount *m,
		      const char *rest)
{
	struct loom_h1 *h = conn->role_data;
	struct loom_h1_ah *ah = h->ah;
	const struct loom_file_info *fi;
	struct loom_http_fent *fe;
	const char *etag, *lastmod, *mime;
	const uint8_t *body;
	char hv_buf[256], cr[80], loc[1100];
	uint64_t first = 0, last = 0;
	unsigned int status = 200, err = 0;
	int fd, r, range = 0;

	if (ah->p.method == LOOM_HTTP_METHOD_OPTIONS) {
		if (loom_http_respond(conn, 204, NULL, 0) ||
		    loom_http_add_header(conn, "Allow", "GET, HEAD, OPTIONS"))
			return -1;
		return loom_http_write_body(conn, NULL, 0, 1) < 0 ? -1 : 0;
	}
	if (ah->p.method != LOOM_HTTP_METHOD_GET && ah->p.method != LOOM_HTTP_METHOD_HEAD)
		return loom__http_error(conn, 405);

	fe = loom__http_fent_get(conn, m, rest, &err);
	if (!fe && err == 301) {
		r = snprintf(loc, sizeof(loc), "%s/", ah->path);
		if (r < 0 || r >= (int)sizeof(loc))
			return loom__http_error(conn, 414);
		return loom_http_redirect(conn, 301, loc) ? -1 : 0;
	}
	if (!fe)
		return loom__http_error(conn, err);
	fi = loom__http_fent_info(fe, &fd, &body, &etag, &lastmod, &mime);

	/* conditional requests: If-None-Match wins over If-Modified-Since */
	if (loom_hdr_copy(conn, hv_buf, sizeof(hv_buf), LOOM_HDR_IF_NONE_MATCH) > 0) {
		if (etag_matches(hv_buf, etag))
			status = 304;
	} else if (loom_hdr_copy(conn, hv_buf, sizeof(hv_buf),
				 LOOM_HDR_IF_MODIFIED_SINCE) > 0) {
		int64_t ims = loom__http_parse_date(hv_buf, strlen(hv_buf));

		if (ims >= 0 && fi->mtime <= ims)
			status = 304;
	}
	if (status == 200 && ah->p.method == LOOM_HTTP_METHOD_GET &&
	    loom_hdr_copy(conn, hv_buf, sizeof(hv_buf), LOOM_HDR_RANGE) > 0) {
		char ir[80];

		range = parse_range(hv_buf, fi->size, &first, &last);
		/* If-Range: the range only applies to the representation it names */
		if (range && loom_hdr_copy(conn, ir, sizeof(ir), LOOM_HDR_IF_RANGE) > 0 &&
		    strcmp(ir, etag) && strcmp(ir, lastmod))
			range = 0;
	}

	if (range < 0) {
		snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)fi->size);
		loom__http_fent_release(fe);
		if (loom_http_respond(conn, 416, "text/plain", 0) ||
		    loom_http_add_header(conn, "Content-Range", cr))
			return -1;
		return loom_http_write_body(conn, NULL, 0, 1) < 0 ? -1 : 0;
	}
	if (status == 304) {
		r = loom_http_respond(conn, 304, NULL, LOOM_HTTP_LEN_UNKNOWN) ||
		    file_headers(conn, m, etag, lastmod);
		loom__http_fent_release(fe);
		if (r)
			return -1;
		return loom_http_write_body(conn, NULL, 0, 1) < 0 ? -1 : 0;
	}
	if (range) {
		status = 206;
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)first,
			 (unsigned long long)last, (unsigned long long)fi->size);
	} else if (fi->size) {
		last = fi->size - 1;
	}

	if (loom_http_respond(conn, status, mime,
			      fi->size ? (int64_t)(last - first + 1) : 0) ||
	    file_headers(conn, m, etag, lastmod) ||
	    loom_http_add_header(conn, "Accept-Ranges", "bytes") ||
	    (range && loom_http_add_header(conn, "Content-Range", cr))) {
		loom__http_fent_release(fe);
		return -1;
	}
	if (h->flags & H1F_HEAD_ONLY || !fi->size) {
		loom__http_fent_release(fe);
		return loom_http_write_body(conn, NULL, 0, 1) < 0 ? -1 : 0;
	}
	if (body) {
		/* a small file held by the cache: head and body in one write; the
		 * entry stays in use until the write has copied the bytes */
		struct loom_http_pt *hp = loom__http_pt(conn->pt);
		unsigned char *b = (unsigned char *)(uintptr_t)body;
		size_t len = (size_t)(last - first + 1);

		if (first) {
			/* a range: copy it, so the LOOM_PRE headroom a framing role
			 * may write into is never the cached bytes before it */
			if (!hp || len > LOOM_HTTP_SCRATCH) {
				loom__http_fent_release(fe);
				return -1;
			}
			b = hp->filebuf + LOOM_PRE;
			memcpy(b, body + first, len);
		}
		r = loom_http_write_body(conn, b, len, 1);
		loom__http_fent_release(fe);
		return r < 0 ? -1 : 0;
	}
	h->fent = fe;
	h->file_fd = fd;
	h->file_ofs = first;
	h->file_remaining = last - first + 1;

	return loom__http_serve_file_more(conn);
}
