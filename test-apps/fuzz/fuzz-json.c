/*
 * fuzz-json.c: the streaming JSON parser (lib/misc/json). The input is parsed
 * whole and again in pieces cut where a seed says: the result, the error position
 * and a hash of every event (reason, match, path, value) must be the same. Each
 * event's path and value must fit their buffers and be NUL-terminated, the depth
 * must stay within the stack, and a finished string's bytes must be valid UTF-8.
 *
 * Input: [limits] [seed] document...   limits: low 3 bits depth 1..8, next bits
 * pick the value buffer (8..39 bytes); the path buffer is 16 + depth * 12.
 */
#include <loom.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(x) do { if (!(x)) abort(); } while (0)

static const char * const pats[] = {
	"s[].*", "s[].*.endpoint", "retry[].*.backoff[]", "*", "*[]", "a.b[].c"
};

struct fz {
	uint64_t hash;
	unsigned int events;
	/* UTF-8 of the string being delivered, checked across pieces */
	int need;
};

static void
mix(struct fz *f, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		f->hash = (f->hash ^ *b++) * 0x100000001b3ull;
}

static void
utf8_check(struct fz *f, const char *v, size_t len, int last)
{
	size_t n;

	for (n = 0; n < len; n++) {
		unsigned char c = (unsigned char)v[n];

		if (f->need) {
			check((c & 0xc0) == 0x80);
			f->need--;
			continue;
		}
		if (c < 0x80)
			continue;
		check(c >= 0xc2 && c <= 0xf4);
		f->need = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
	}
	if (last) {
		check(!f->need);
		f->need = 0;
	}
}

static int
cb(struct loom_json *j, enum loom_json_reason r, const char *val, size_t len)
{
	struct fz *f = j->user;
	const char *path = loom_json_path(j);
	unsigned int m = j->match;

	check(strlen(path) == j->path_len);
	check(j->path_len < j->i.path_size);
	check(j->depth <= j->i.stack_size);
	check(m <= sizeof(pats) / sizeof(pats[0]));
	if (m)
		check(loom_json_path_match(pats[m - 1], path));
	f->events++;
	mix(f, &r, sizeof(r));
	mix(f, &m, sizeof(m));
	mix(f, path, j->path_len + 1);
	if (r == LOOM_JSON_STR_CHUNK || r == LOOM_JSON_STR) {
		check(len < j->i.buf_size && !val[len]);
		utf8_check(f, val, len, r == LOOM_JSON_STR);
	}
	if (r == LOOM_JSON_INT || r == LOOM_JSON_FLOAT) {
		long long v;

		check(len && len < j->i.buf_size && !val[len]);
		if (r == LOOM_JSON_INT && loom_json_to_int(val, len, &v) == 0)
			mix(f, &v, sizeof(v));
	}
	if (val)
		mix(f, val, len);

	return 0;
}

struct out {
	int rc;
	unsigned int line, col;
	uint64_t hash;
	unsigned int events;
};

static void
run(const uint8_t *doc, size_t len, uint8_t lim, uint32_t seed, struct out *o)
{
	struct loom_json_frame stack[8];
	char path[128], buf[48];
	struct loom_json_info info;
	struct loom_json j;
	struct fz f;
	size_t at = 0;

	memset(&f, 0, sizeof(f));
	f.hash = 0xcbf29ce484222325ull;
	memset(&info, 0, sizeof(info));
	info.paths = pats;
	info.count_paths = sizeof(pats) / sizeof(pats[0]);
	info.cb = cb;
	info.user = &f;
	info.stack = stack;
	info.stack_size = 1u + (lim & 7);
	info.path = path;
	info.path_size = 16 + info.stack_size * 12;
	info.buf = buf;
	info.buf_size = 8u + (lim >> 3);
	check(!loom_json_init(&j, &info));

	o->rc = 0;
	while (at < len && !o->rc) {
		size_t n = len - at;

		if (seed) {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % (n < 17 ? n : 17);
		}
		o->rc = loom_json_parse(&j, doc + at, n);
		at += n;
	}
	if (!o->rc)
		o->rc = loom_json_finish(&j);
	check(o->rc <= 0);
	check(j.depth <= info.stack_size);
	o->line = j.line;
	o->col = j.col;
	o->hash = f.hash;
	o->events = f.events;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct out a, b;
	uint32_t seed;

	if (size < 2)
		return 0;
	seed = data[1] | 1u;
	run(data + 2, size - 2, data[0], 0, &a);
	run(data + 2, size - 2, data[0], seed, &b);
	check(a.rc == b.rc && a.line == b.line && a.col == b.col);
	check(a.hash == b.hash && a.events == b.events);

	return 0;
}
