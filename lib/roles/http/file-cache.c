/*
 * file-cache.c: the open-file cache of file mounts.
 *
 * Serving a static file costs a path walk and an open, an fstat and a close per
 * request, more than the rest of a small keep-alive request. So each service thread
 * keeps, per vhost, the files it served last: the open fd (or, for a small file,
 * its bytes, so a hit needs no file syscall at all), the file's facts, its ETag,
 * Last-Modified and MIME type. An entry is trusted for file_cache_valid_ms; after
 * that the next request opens the path again (with the same beneath-the-mount
 * checks) and keeps the entry only if the file is still the same one (device,
 * inode, size and mtime). Like nginx's open_file_cache, a file replaced or
 * changed is seen at the latest that long after.
 *
 * Entries are on an LRU list, bounded in number. An entry a response still reads
 * from (users > 0) is never freed: evicting or replacing it only takes it off the
 * list, and the last user frees it. With the cache off, each request gets a private
 * entry that its response frees, so there is one code path.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "roles/http/private-http.h"

#include <errno.h>
#include <stdio.h>

struct loom_http_fent {
	struct loom_dll2 lru;			/* on the cache's list, newest first */
	const struct loom_http_mount *m;	/* the key: mount and requested path */
	struct loom_file_info fi;
	int64_t checked_us;			/* when the path was last opened */
	const char *mime;
	uint8_t *body;				/* small files: LOOM_PRE + the bytes */
	int fd;					/* -1 once body holds the file */
	unsigned int users;			/* responses reading from it */
	uint32_t hash;
	uint16_t key_len;
	char etag[48];
	char lastmod[32];
	char *rel;				/* the file opened (index resolved) */
	char key[1];				/* key, '\0', rel, '\0' */
};

static uint32_t
fc_hash(const struct loom_http_mount *m, const char *s, size_t len)
{
	uint32_t h = 2166136261u ^ (uint32_t)(uintptr_t)m;	/* FNV-1a */

	while (len--)
		h = (h ^ (uint8_t)*s++) * 16777619u;

	return h;
}

static void
fent_free(struct loom_http_fent *e)
{
	if (e->fd >= 0)
		loom__plat_close(e->fd);
	loom_free(e->body);
	loom_free(e);
}

/* off the list; freed now if no response reads from it, else by the last one */
static void
fent_detach(struct loom_http_fent *e)
{
	loom_dll2_remove(&e->lru);
	if (!e->users)
		fent_free(e);
}

void
loom__http_fent_release(struct loom_http_fent *e)
{
	if (e && !--e->users && loom_dll2_is_detached(&e->lru))
		fent_free(e);
}

const struct loom_file_info *
loom__http_fent_info(const struct loom_http_fent *e, int *fd, const uint8_t **body,
		     const char **etag, const char **lastmod, const char **mime)
{
	*fd = e->fd;
	*body = e->body ? e->body + LOOM_PRE : NULL;
	*etag = e->etag;
	*lastmod = e->lastmod;
	*mime = e->mime;

	return &e->fi;
}

static int
mount_dirfd(const struct loom_http_vh *hv, const struct loom_http_mount *m)
{
	unsigned int n;

	for (n = 0; n < hv->count_mfd; n++)
		if (hv->mfd_mount[n] == m)
			return hv->mfd[n];

	return -1;
}

/*
 * Open what \p rest names under the mount: the file, or a directory's index.
 * Returns the fd with *fi filled and the opened path in rel, or a negative HTTP
 * status (-301 asks for the "/dir" -> "/dir/" redirect).
 */
static int
open_target(const struct loom_http_vh *hv, const struct loom_http_mount *m,
	    const char *rest, char *rel, size_t rel_len, struct loom_file_info *fi)
{
	int dirfd = mount_dirfd(hv, m), fd, n;
	int follow = !!(m->options & LOOM_MOUNT_OPT_FOLLOW_SYMLINKS);

	n = snprintf(rel, rel_len, "%s", *rest ? rest : ".");
	if (dirfd < 0 || n < 0 || n >= (int)rel_len)
		return -404;
	fd = loom__plat_open_beneath(dirfd, rel, follow);
	if (fd < 0)
		return errno == EACCES ? -403 : errno == EXDEV ? -403 : -404;
	if (loom__plat_file_info(fd, fi)) {
		loom__plat_close(fd);
		return -500;
	}
	if (fi->is_dir) {
		loom__plat_close(fd);
		if (m->options & LOOM_MOUNT_OPT_NO_INDEX)
			return -403;
		if (rest[0] && rest[strlen(rest) - 1] != '/')
			return -301;	/* "/dir" -> "/dir/" */
		n = snprintf(rel, rel_len, "%s%s", *rest ? rest : "",
			     m->index ? m->index : "index.html");
		if (n < 0 || n >= (int)rel_len)
			return -404;
		fd = loom__plat_open_beneath(dirfd, rel, follow);
		if (fd < 0)
			return errno == EACCES || errno == EXDEV ? -403 : -404;
		if (loom__plat_file_info(fd, fi) || !fi->is_reg) {
			loom__plat_close(fd);
			return -404;
		}
	} else if (!fi->is_reg) {
		loom__plat_close(fd);
		return -403;
	}

	return fd;
}

/* a new entry for an opened file; NULL (fd closed) when out of memory */
static struct loom_http_fent *
fent_new(const struct loom_http_vh *hv,
	 const struct loom_http_mount *m, const char *key, size_t key_len,
	 uint32_t hash, const char *rel, int fd, const struct loom_file_info *fi,
	 int64_t now)
{
	size_t rl = strlen(rel), e = 0;
	struct loom_http_fent *f;

	f = loom_malloc(sizeof(*f) + key_len + 1 + rl + 1, "file cache");
	if (!f) {
		loom__plat_close(fd);
		return NULL;
	}
	memset(f, 0, sizeof(*f));
	f->m = m;
	f->fi = *fi;
	f->fd = fd;
	f->hash = hash;
	f->checked_us = now;
	f->key_len = (uint16_t)key_len;
	memcpy(f->key, key, key_len);
	f->key[key_len] = '\0';
	f->rel = f->key + key_len + 1;
	memcpy(f->rel, rel, rl + 1);
	f->mime = loom_http_mime_type(f->rel, m->mime_extra);

	f->etag[e++] = '"';
	e += loom__http_fmt_hex(f->etag + e, fi->size);
	f->etag[e++] = '-';
	e += loom__http_fmt_hex(f->etag + e, (uint64_t)fi->mtime * 1000000000ull +
				fi->mtime_ns);
	f->etag[e++] = '"';
	f->etag[e] = '\0';
	if (loom__http_format_date(fi->mtime, f->lastmod, sizeof(f->lastmod)) <= 0)
		f->lastmod[0] = '\0';

	/* a small file is read whole now: hits then need no file syscall */
	if (fi->size && fi->size <= hv->fc_inline_max) {
		f->body = loom_malloc(LOOM_PRE + (size_t)fi->size, "file cache body");
		if (f->body && loom__plat_pread(fd, f->body + LOOM_PRE, (size_t)fi->size,
						0) == (long)fi->size) {
			loom__plat_close(fd);
			f->fd = -1;
		} else {
			loom_free(f->body);	/* keep serving from the fd */
			f->body = NULL;
		}
	}
	return f;
}

static int
same_file(const struct loom_file_info *a, const struct loom_file_info *b)
{
	return a->ino == b->ino && a->dev == b->dev && a->size == b->size &&
	       a->mtime == b->mtime && a->mtime_ns == b->mtime_ns;
}

/*
 * The entry for \p rest under mount \p m, with a use taken on it (give it back
 * with loom__http_fent_release()), or NULL with *status the HTTP error to answer
 * (301 for the directory redirect).
 */
struct loom_http_fent *
loom__http_fent_get(struct loom_conn *conn, const struct loom_http_mount *m,
		    const char *rest, unsigned int *status)
{
	const struct loom_http_vh *hv = loom__http_vh(conn->vhost);
	struct loom_dll2_owner *lru = NULL;
	struct loom_http_fent *f = NULL;
	struct loom_file_info fi;
	char rel[1024];
	size_t kl;
	uint32_t hash;
	int64_t now;
	int fd;

	while (*rest == '/')
		rest++;
	kl = strlen(rest);
	if (kl > 1023) {
		*status = 404;
		return NULL;
	}
	hash = fc_hash(m, rest, kl);
	if (hv->fc && hv->fc_max)
		lru = &hv->fc[conn->pt->tsi];

	if (lru) {
		struct loom_dll2 *d;

		for (d = lru->head; d; d = d->next) {
			struct loom_http_fent *c = loom_container_of(d,
						struct loom_http_fent, lru);

			if (c->hash == hash && c->m == m && c->key_len == kl &&
			    !memcmp(c->key, rest, kl)) {
				f = c;
				break;
			}
		}
	}
	now = loom__plat_now_us();
	if (f && now - f->checked_us < (int64_t)hv->fc_valid_ms * 1000) {
		if (lru->head != &f->lru) {	/* most recently used first */
			loom_dll2_remove(&f->lru);
			loom_dll2_add_head(&f->lru, lru);
		}
		f->users++;
		return f;
	}

	fd = open_target(hv, m, rest, rel, sizeof(rel), &fi);
	if (fd < 0) {
		if (f)
			fent_detach(f);	/* gone: forget it */
		*status = (unsigned int)-fd;
		return NULL;
	}
	if (f) {
		if (same_file(&f->fi, &fi) && !strcmp(f->rel, rel)) {
			loom__plat_close(fd);
			f->checked_us = now;
			loom_dll2_remove(&f->lru);
			loom_dll2_add_head(&f->lru, lru);
			f->users++;
			return f;
		}
		fent_detach(f);		/* replaced or changed */
	}

	f = fent_new(hv, m, rest, kl, hash, rel, fd, &fi, now);
	if (!f) {
		*status = 500;
		return NULL;
	}
	f->users = 1;
	if (lru) {
		while (lru->count >= hv->fc_max && lru->tail)
			fent_detach(loom_container_of(lru->tail, struct loom_http_fent,
						      lru));
		loom_dll2_add_head(&f->lru, lru);
	}

	return f;
}

/* the vhost goes: forget its cached files (those in use go with their response) */
void
loom__http_fcache_destroy(struct loom_http_vh *hv, unsigned int count_threads)
{
	unsigned int t;

	if (!hv->fc)
		return;
	for (t = 0; t < count_threads; t++)
		while (hv->fc[t].head)
			fent_detach(loom_container_of(hv->fc[t].head,
						      struct loom_http_fent, lru));
	loom_free(hv->fc);
	hv->fc = NULL;
}
