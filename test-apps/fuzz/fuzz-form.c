/*
 * fuzz-form.c: the form body parser (lib/roles/http/form.c). The input gives the
 * content type, limits and a split seed, then the body. The body is parsed whole
 * and in random pieces: results and (on success) event streams must match, the
 * events must keep their order and bounds, kept values must match what was seen,
 * and nothing may be allocated after create.
 *
 * Input: [mode] [limits] [seed] body...   mode & 3: 0 urlencoded, 1 multipart
 * boundary "XyZ", 2 multipart boundary "----b", 3 the content type is the body up to
 * the first '\n' (at most 200 bytes). mode & 4: keep values in a store; mode & 8:
 * abort at START of field (limits >> 4); mode & 16: max_total of half the body.
 */
#include <loom.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(x) do { if (!(x)) abort(); } while (0)

#define MAX_TRACK 64

struct fz {
	uint64_t hash;		/* of the event stream, DATA pieces joined */
	int last_data;
	int in_field;
	unsigned int starts;
	uint64_t sum;		/* value bytes of the current field */
	int abort_at;		/* field index, or -1 */
	const struct loom_form_info *info;
	int urlencoded;
	/* the whole run records each field for the store check */
	int track;
	struct {
		char name[130];
		int skip;	/* a file part, or a name too long to track */
		uint64_t len;
		uint64_t hash;
	} fld[MAX_TRACK];
};

static size_t allocs;

static void *
count_realloc(void *ptr, size_t size, const char *reason)
{
	(void)reason;
	if (!size) {
		free(ptr);
		return NULL;
	}
	allocs++;

	return realloc(ptr, size);
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}

	return h;
}

static int
fz_cb(void *user, enum loom_form_event ev, const struct loom_form_field *fld,
      const uint8_t *data, size_t len)
{
	struct fz *z = user;
	const struct loom_form_info *i = z->info;
	unsigned int k = fld->index;

	switch (ev) {
	case LOOM_FORM_FIELD_START:
		check(!z->in_field && !data && !len && !fld->value_len);
		check(fld->index == z->starts);
		check(fld->name && fld->name_len && strlen(fld->name) == fld->name_len);
		check(fld->name_len <= (i->max_name_len ? i->max_name_len : 128));
		check(fld->filename || !fld->filename_len);
		check(fld->content_type || !fld->content_type_len);
		if (fld->filename)
			check(strlen(fld->filename) == fld->filename_len &&
			      fld->filename_len <= (i->max_filename_len ?
						    i->max_filename_len : 255));
		if (fld->content_type)
			check(strlen(fld->content_type) == fld->content_type_len &&
			      fld->content_type_len <= LOOM_FORM_MAX_PART_CTYPE);
		check(!z->urlencoded || (!fld->filename && !fld->content_type));
		z->starts++;
		check(z->starts <= (i->max_fields ? i->max_fields : 64));
		z->in_field = 1;
		z->sum = 0;
		z->hash = fnv(z->hash, "S", 1);
		z->hash = fnv(z->hash, fld->name, fld->name_len + 1);
		if (fld->filename)
			z->hash = fnv(z->hash, fld->filename, fld->filename_len + 1);
		if (fld->content_type)
			z->hash = fnv(z->hash, fld->content_type, fld->content_type_len + 1);
		z->last_data = 0;
		if (z->track && k < MAX_TRACK) {
			z->fld[k].skip = fld->filename || fld->name_len >= 130;
			if (!z->fld[k].skip)
				memcpy(z->fld[k].name, fld->name, fld->name_len + 1);
			z->fld[k].len = 0;
			z->fld[k].hash = 0xcbf29ce484222325ull;
		}
		if ((int)k == z->abort_at)
			return 1234;
		break;
	case LOOM_FORM_FIELD_DATA:
		check(z->in_field && data && len);
		z->sum += len;
		check(fld->value_len == z->sum);
		if (z->urlencoded)
			check(len <= (i->max_value_len ? i->max_value_len : 4096));
		if (!z->last_data)
			z->hash = fnv(z->hash, "D", 1);
		z->last_data = 1;
		z->hash = fnv(z->hash, data, len);
		if (z->track && k < MAX_TRACK) {
			z->fld[k].len += len;
			z->fld[k].hash = fnv(z->fld[k].hash, data, len);
		}
		break;
	case LOOM_FORM_FIELD_END:
		check(z->in_field && !data && !len && fld->value_len == z->sum);
		z->in_field = 0;
		z->last_data = 0;
		z->hash = fnv(z->hash, "E", 1);
		z->hash = fnv(z->hash, &z->sum, sizeof(z->sum));
		break;
	default:
		abort();
	}

	return 0;
}

static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;

	return *s;
}

/* parse \p body in pieces (seed 0: whole); returns the result */
static int
run(const struct loom_form_info *info, const uint8_t *body, size_t len, uint32_t seed,
    struct fz *z)
{
	struct loom_form *f;
	size_t o = 0, n, a;
	int rc = 0;

	f = loom_form_create(info);
	if (!f)
		return -100;
	a = allocs;
	z->urlencoded = loom_form_type(f) == LOOM_FORM_URLENCODED;
	while (o < len && !rc) {
		n = len - o;
		if (seed) {
			uint32_t r = rnd(&seed);

			n = (r & 1) ? 1 + (r >> 8) % 4 : 1 + (r >> 8) % 300;
			if (n > len - o)
				n = len - o;
		}
		rc = loom_form_feed(f, body + o, n);
		o += n;
	}
	if (!rc)
		rc = loom_form_finish(f);
	/* after an error, it sticks */
	if (rc)
		check(loom_form_feed(f, body, len) == rc && loom_form_finish(f) == rc);
	else
		check(!z->in_field);
	check(allocs == a);

	/* the store holds each non-file field as the events gave it */
	if (z->track && !rc && info->store_len) {
		unsigned int k, j, nth;

		for (k = 0; k < z->starts && k < MAX_TRACK; k++) {
			const char *v;
			size_t vl;

			if (z->fld[k].skip)
				continue;
			for (j = nth = 0; j < k; j++)
				nth += !z->fld[j].skip &&
				       !strcmp(z->fld[j].name, z->fld[k].name);
			v = loom_form_value(f, z->fld[k].name, nth, &vl);
			check(v && vl == z->fld[k].len && !v[vl]);
			check(fnv(0xcbf29ce484222325ull, v, vl) == z->fld[k].hash);
		}
	}
	loom_form_destroy(f);

	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loom_form_info info;
	static struct fz z1, z2;
	uint8_t mode, lim;
	uint32_t seed;
	char *ct = NULL;
	const uint8_t *body;
	size_t blen;
	int rc1, rc2;

	if (size < 3)
		return 0;
	mode = data[0];
	lim = data[1];
	seed = 0x9e3779b9u ^ data[2];
	body = data + 3;
	blen = size - 3;

	loom_set_allocator(count_realloc);
	memset(&info, 0, sizeof(info));
	switch (mode & 3) {
	case 0:
		info.content_type = "application/x-www-form-urlencoded";
		break;
	case 1:
		info.content_type = "multipart/form-data; boundary=XyZ";
		break;
	case 2:
		info.content_type = "multipart/form-data; boundary=\"----b\"";
		break;
	default: {
		const uint8_t *nl = memchr(body, '\n', blen < 200 ? blen : 200);
		size_t cl = nl ? (size_t)(nl - body) : 0;

		if (!cl)
			return 0;
		/* exactly its length, so a read past it is caught */
		ct = malloc(cl);
		if (!ct)
			return 0;
		memcpy(ct, body, cl);
		info.content_type = ct;
		info.content_type_len = cl;
		body += cl + 1;
		blen -= cl + 1;
		break;
	}
	}
	if (lim) {
		info.max_name_len = 1 + (lim & 7) * 4;
		info.max_filename_len = 1 + (lim & 7) * 8;
		info.max_value_len = 8 + ((lim >> 3) & 7) * 24;
		info.max_fields = 1 + (lim >> 6) * 3;
	}
	if (mode & 4)
		info.store_len = 16 + (size_t)(lim ^ mode) * 4;
	if (mode & 16)
		info.max_total = blen / 2 + 1;
	info.cb = fz_cb;

	memset(&z1, 0, sizeof(z1));
	memset(&z2, 0, sizeof(z2));
	z1.abort_at = z2.abort_at = (mode & 8) ? lim >> 4 : -1;
	z1.info = z2.info = &info;
	z1.track = 1;

	info.user = &z1;
	rc1 = run(&info, body, blen, 0, &z1);
	info.user = &z2;
	rc2 = run(&info, body, blen, seed, &z2);

	check(rc1 == rc2);
	check(rc1 == -100 || rc1 == 0 || rc1 == LOOM_EINVAL || rc1 == LOOM_ELIMIT ||
	      rc1 == 1234);
	if (!rc1)
		check(z1.hash == z2.hash && z1.starts == z2.starts);

	free(ct);
	loom_set_allocator(NULL);

	return 0;
}
