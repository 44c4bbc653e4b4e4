/*
 * api-test-json: the streaming JSON parser (lib/misc/json). Each document is
 * parsed whole, byte by byte and split at every byte; the event trace, the result
 * and the error position must be the same every time, and must equal what is
 * written here. Then the limits at their edges, chunked strings, surrogates and
 * UTF-8, path matching and integer conversion.
 */
#include <loom.h>
#include "loom-test.h"

#include <string.h>
#include <limits.h>

static const char * const pats[] = {
	"s[].*.endpoint", "s[].*", "retry[].*.backoff[]", "a", "*"
};

struct trace {
	char t[4096];
	size_t len;
	int overflow;
};

static void
tadd(struct trace *t, const char *s, size_t n)
{
	if (t->len + n + 1 > sizeof(t->t)) {
		t->overflow = 1;
		return;
	}
	memcpy(t->t + t->len, s, n);
	t->len += n;
	t->t[t->len] = '\0';
}

static int stop_at = -1, events;

static int
cb(struct loom_json *j, enum loom_json_reason r, const char *val, size_t len)
{
	static const char codes[] = "{}[]csiftFn$";
	struct trace *t = j->user;
	char h[16];
	int n;

	if (events++ == stop_at)
		return 1;
	n = snprintf(h, sizeof(h), "%c%u@", codes[r], j->match);
	tadd(t, h, (size_t)n);
	tadd(t, loom_json_path(j), strlen(loom_json_path(j)));
	if (val && r != LOOM_JSON_TRUE && r != LOOM_JSON_FALSE && r != LOOM_JSON_NULL) {
		tadd(t, "=", 1);
		tadd(t, val, len);
	}
	tadd(t, ";", 1);

	return 0;
}

struct res {
	struct trace t;
	int rc;
	unsigned int line, col;
};

static unsigned int lim_depth = 8, lim_path = 64, lim_buf = 32;

/* parse \p doc in pieces cut at \p cuts (sorted offsets), then finish */
static void
run(const char *doc, size_t dlen, const size_t *cuts, int ncuts, struct res *r)
{
	struct loom_json_frame stack[64];
	char path[256], buf[256];
	struct loom_json_info info;
	struct loom_json j;
	size_t from = 0;
	int n;

	memset(r, 0, sizeof(*r));
	memset(&info, 0, sizeof(info));
	info.paths = pats;
	info.count_paths = sizeof(pats) / sizeof(pats[0]);
	info.cb = cb;
	info.user = &r->t;
	info.stack = stack;
	info.stack_size = lim_depth;
	info.path = path;
	info.path_size = lim_path;
	info.buf = buf;
	info.buf_size = lim_buf;
	events = 0;
	if (loom_json_init(&j, &info)) {
		r->rc = 99;
		return;
	}
	for (n = 0; n <= ncuts; n++) {
		size_t to = n < ncuts ? cuts[n] : dlen;

		r->rc = loom_json_parse(&j, doc + from, to - from);
		from = to;
		if (r->rc)
			break;
	}
	if (!r->rc)
		r->rc = loom_json_finish(&j);
	r->line = j.line;
	r->col = j.col;
}

static int
same(const struct res *a, const struct res *b)
{
	return a->rc == b->rc && a->line == b->line && a->col == b->col &&
	       !strcmp(a->t.t, b->t.t);
}

/* whole, one byte at a time, and every single split: all must agree */
static void
check_splits(const char *doc, size_t dlen, struct res *whole)
{
	static size_t cuts[4096];
	struct res r;
	size_t k;
	int bad = 0;

	run(doc, dlen, NULL, 0, whole);
	for (k = 1; k < dlen && k < 4096; k++)
		cuts[k - 1] = k;
	if (dlen > 1 && dlen <= 4096) {
		run(doc, dlen, cuts, (int)dlen - 1, &r);
		if (!same(&r, whole))
			bad++;
	}
	for (k = 0; k <= dlen; k++) {
		run(doc, dlen, &k, 1, &r);
		if (!same(&r, whole))
			bad++;
	}
	if (bad)
		fprintf(stderr, "split mismatch (%d) for: %.60s\n", bad, doc);
	LT_CHECK_EQ(bad, 0);
}

struct good {
	const char *doc, *trace;
};

static const struct good goods[] = {
	{ "{}", "{0@;}0@;$0@;" },
	{ " [ ] ", "[0@;]0@;$0@;" },
	{ "0", "i0@=0;$0@;" },
	{ "-0.5e+10", "f0@=-0.5e+10;$0@;" },
	{ "\"\"", "s0@=;$0@;" },
	{ "true", "t0@;$0@;" },
	{ "{\"a\":null,\"b\":false}", "{0@;n4@a;F5@b;}0@;$0@;" },
	{ "{\"s\":[{\"x\":{\"endpoint\":\"h\",\"port\":443}}]}",
	  "{0@;[5@s;{0@s[];{2@s[].x;s1@s[].x.endpoint=h;i0@s[].x.port=443;}2@s[].x;"
	  "}0@s[];]5@s;}0@;$0@;" },
	{ "{\"retry\":[{\"d\":{\"backoff\":[1,2E3,-3]}}]}",
	  "{0@;[5@retry;{0@retry[];{0@retry[].d;[0@retry[].d.backoff;"
	  "i3@retry[].d.backoff[]=1;f3@retry[].d.backoff[]=2E3;"
	  "i3@retry[].d.backoff[]=-3;]0@retry[].d.backoff;}0@retry[].d;}0@retry[];"
	  "]5@retry;}0@;$0@;" },
	{ "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",
	  "[0@;s0@[]=\"\\/\b\f\n\r\t;]0@;$0@;" },
	{ "\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"",
	  "s0@=A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80;$0@;" },
	{ "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"",
	  "s0@=\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf;$0@;" },
	{ "{\"k\\u00e9y\":1,\"a.b\":[[2]]}",
	  "{0@;i5@k\xc3\xa9y=1;[0@a.b;[0@a.b[];i0@a.b[][]=2;]0@a.b[];]0@a.b;}0@;$0@;" },
	{ "\n\t{\r\n \"a\" : 12 , \"b\":[ ] }\n\n",
	  "{0@;i4@a=12;[5@b;]5@b;}0@;$0@;" },
	/* a 40-byte string through the 32-byte buffer: two pieces */
	{ "\"0123456789abcdefghijklmnopqrstuvwxyzABCD\"",
	  "c0@=0123456789abcdefghijklmnopqrstu;s0@=vwxyzABCD;$0@;" },
};

struct bad {
	const char *doc;
	int err;
	unsigned int line, col;
};

static const struct bad bads[] = {
	{ "", LOOM_JSON_E_TRUNCATED, 1, 0 },
	{ "   ", LOOM_JSON_E_TRUNCATED, 1, 3 },
	{ "{", LOOM_JSON_E_TRUNCATED, 1, 1 },
	{ "[1,2", LOOM_JSON_E_TRUNCATED, 1, 4 },
	{ "\"abc", LOOM_JSON_E_TRUNCATED, 1, 4 },
	{ "tru", LOOM_JSON_E_TRUNCATED, 1, 3 },
	{ "{}x", LOOM_JSON_E_TRAILING, 1, 3 },
	{ "1 2", LOOM_JSON_E_TRAILING, 1, 3 },
	{ "{}\n{}", LOOM_JSON_E_TRAILING, 2, 1 },
	{ "01", LOOM_JSON_E_NUMBER, 1, 2 },
	{ "-01", LOOM_JSON_E_NUMBER, 1, 3 },
	{ "[-]", LOOM_JSON_E_NUMBER, 1, 3 },
	{ "[1.]", LOOM_JSON_E_NUMBER, 1, 4 },
	{ "[.5]", LOOM_JSON_E_SYNTAX, 1, 2 },
	{ "[1e]", LOOM_JSON_E_NUMBER, 1, 4 },
	{ "[1e+]", LOOM_JSON_E_NUMBER, 1, 5 },
	{ "+1", LOOM_JSON_E_SYNTAX, 1, 1 },
	{ "1.", LOOM_JSON_E_NUMBER, 1, 2 },
	{ "[1,]", LOOM_JSON_E_SYNTAX, 1, 4 },
	{ "{\"a\":1,}", LOOM_JSON_E_SYNTAX, 1, 8 },
	{ "{,}", LOOM_JSON_E_SYNTAX, 1, 2 },
	{ "{\"a\" 1}", LOOM_JSON_E_SYNTAX, 1, 6 },
	{ "{\"a\":1]", LOOM_JSON_E_SYNTAX, 1, 7 },
	{ "[1}", LOOM_JSON_E_SYNTAX, 1, 3 },
	{ "{1:2}", LOOM_JSON_E_SYNTAX, 1, 2 },
	{ "[True]", LOOM_JSON_E_SYNTAX, 1, 2 },
	{ "[nul]", LOOM_JSON_E_SYNTAX, 1, 5 },
	{ "[truex]", LOOM_JSON_E_SYNTAX, 1, 6 },
	{ "['a']", LOOM_JSON_E_SYNTAX, 1, 2 },
	{ "\xef\xbb\xbf{}", LOOM_JSON_E_SYNTAX, 1, 1 },
	{ "[\"a\nb\"]", LOOM_JSON_E_CTRL, 1, 4 },
	{ "[\"\t\"]", LOOM_JSON_E_CTRL, 1, 3 },
	{ "[\"\\x\"]", LOOM_JSON_E_ESCAPE, 1, 4 },
	{ "[\"\\u12G4\"]", LOOM_JSON_E_ESCAPE, 1, 7 },
	{ "[\"\\ud800\"]", LOOM_JSON_E_SURROGATE, 1, 9 },
	{ "[\"\\ud800\\n\"]", LOOM_JSON_E_SURROGATE, 1, 10 },
	{ "[\"\\ud800\\u0041\"]", LOOM_JSON_E_SURROGATE, 1, 14 },
	{ "[\"\\udc00\"]", LOOM_JSON_E_SURROGATE, 1, 8 },
	{ "[\"\xc0\x80\"]", LOOM_JSON_E_UTF8, 1, 3 },
	{ "[\"\xc3\"]", LOOM_JSON_E_UTF8, 1, 4 },
	{ "[\"\x80\"]", LOOM_JSON_E_UTF8, 1, 3 },
	{ "[\"\xe0\x80\x80\"]", LOOM_JSON_E_UTF8, 1, 4 },
	{ "[\"\xed\xa0\x80\"]", LOOM_JSON_E_UTF8, 1, 4 },
	{ "[\"\xf4\x90\x80\x80\"]", LOOM_JSON_E_UTF8, 1, 4 },
	{ "[\"\xf5\x80\x80\x80\"]", LOOM_JSON_E_UTF8, 1, 3 },
	{ "[\"\xff\"]", LOOM_JSON_E_UTF8, 1, 3 },
	{ "{\"a\\u0000\":1}", LOOM_JSON_E_KEY, 1, 9 },
	{ "\n\n  [1,\n  x]", LOOM_JSON_E_SYNTAX, 4, 3 },
	/* 9 levels through the 8-deep stack */
	{ "[[[[[[[[[]]]]]]]]]", LOOM_JSON_E_DEPTH, 1, 9 },
	/* a 32-byte number through the 32-byte buffer (31 bytes + NUL fit) */
	{ "12345678901234567890123456789012", LOOM_JSON_E_NUM_LONG, 1, 32 },
	/* the path is 64 bytes with its NUL: a 64-byte key does not fit */
	{ "{\"0123456789012345678901234567890123456789012345678901234567890123\":1}",
	  LOOM_JSON_E_PATH, 1, 66 },
};

static void
test_docs(void)
{
	struct res r;
	size_t n;

	for (n = 0; n < sizeof(goods) / sizeof(goods[0]); n++) {
		check_splits(goods[n].doc, strlen(goods[n].doc), &r);
		LT_CHECK_EQ(r.rc, 0);
		LT_CHECK(!r.t.overflow);
		if (strcmp(r.t.t, goods[n].trace)) {
			fprintf(stderr, "doc %d: got   %s\n      want  %s\n", (int)n,
				r.t.t, goods[n].trace);
			LT_CHECK(0);
		}
	}
	for (n = 0; n < sizeof(bads) / sizeof(bads[0]); n++) {
		check_splits(bads[n].doc, strlen(bads[n].doc), &r);
		if (r.rc != bads[n].err || r.line != bads[n].line || r.col != bads[n].col) {
			fprintf(stderr, "bad %d \"%s\": rc %d (%s) at %u:%u, want %d at %u:%u\n",
				(int)n, bads[n].doc, r.rc, loom_json_error_string(r.rc),
				r.line, r.col, bads[n].err, bads[n].line, bads[n].col);
			LT_CHECK(0);
		} else
			LT_CHECK(1);
	}
}

/* the limits one short of failing pass */
static void
test_edges(void)
{
	char doc[200];
	struct res r;

	/* 8 levels in the 8-deep stack */
	check_splits("[[[[[[[[]]]]]]]]", 16, &r);
	LT_CHECK_EQ(r.rc, 0);
	/* 31 digits in the 32-byte buffer */
	check_splits("1234567890123456789012345678901", 31, &r);
	LT_CHECK_EQ(r.rc, 0);
	LT_CHECK(strstr(r.t.t, "=1234567890123456789012345678901;") != NULL);
	/* a 63-byte key in the 64-byte path */
	snprintf(doc, sizeof(doc), "{\"%s\":1}",
		 "012345678901234567890123456789012345678901234567890123456789012");
	check_splits(doc, strlen(doc), &r);
	LT_CHECK_EQ(r.rc, 0);
	/* a string of exactly 31 bytes is one piece, 62 a full chunk and a full end */
	check_splits("\"0123456789012345678901234567890\"", 33, &r);
	LT_CHECK(!strcmp(r.t.t, "s0@=0123456789012345678901234567890;$0@;"));
	check_splits("\"01234567890123456789012345678900123456789012345678901234567890\"",
		     64, &r);
	LT_CHECK(!strcmp(r.t.t, "c0@=0123456789012345678901234567890;"
			 "s0@=0123456789012345678901234567890;$0@;"));
	/* a long escaped string through a small buffer keeps its bytes whole */
	lim_buf = 8;
	check_splits("\"\\ud83d\\ude00\\u00e9abcdefg\"", 27, &r);
	LT_CHECK(!strcmp(r.t.t, "c0@=\xf0\x9f\x98\x80\xc3\xa9" "a;s0@=bcdefg;$0@;"));
	lim_buf = 32;
}

static void
test_callback_stop(void)
{
	struct res r;
	const char *doc = "{\"a\":[1,2,3]}";

	stop_at = 3;	/* {, [, 1, then stop at 2 */
	run(doc, strlen(doc), NULL, 0, &r);
	stop_at = -1;
	LT_CHECK_EQ(r.rc, LOOM_JSON_E_CALLBACK);
	LT_CHECK_EQ(r.col, 10);
	LT_CHECK(!strcmp(r.t.t, "{0@;[4@a;i0@a[]=1;"));
}

static void
test_init_and_helpers(void)
{
	struct loom_json_frame st[2];
	char path[8], buf[8];
	struct loom_json_info i;
	struct loom_json j;
	long long v;

	memset(&i, 0, sizeof(i));
	i.cb = cb;
	i.stack = st;
	i.stack_size = 2;
	i.path = path;
	i.path_size = 8;
	i.buf = buf;
	i.buf_size = 7;
	LT_CHECK_EQ(loom_json_init(&j, &i), LOOM_EINVAL);
	i.buf_size = 8;
	LT_CHECK_EQ(loom_json_init(&j, &i), 0);
	i.stack_size = 0;
	LT_CHECK_EQ(loom_json_init(&j, &i), LOOM_EINVAL);
	i.stack_size = 2;
	i.cb = NULL;
	LT_CHECK_EQ(loom_json_init(&j, &i), LOOM_EINVAL);

	LT_CHECK(loom_json_path_match("s[].*.endpoint", "s[].abc.endpoint"));
	LT_CHECK(!loom_json_path_match("s[].*.endpoint", "s[]..endpoint"));
	LT_CHECK(!loom_json_path_match("s[].*", "s[].a.b"));
	LT_CHECK(loom_json_path_match("*[]", "certs[]"));
	LT_CHECK(!loom_json_path_match("*", "a[]"));
	LT_CHECK(!loom_json_path_match("abc", "ab"));
	LT_CHECK(!loom_json_path_match("ab", "abc"));
	LT_CHECK(loom_json_path_match("", ""));

	LT_CHECK_EQ(loom_json_to_int("9223372036854775807", 19, &v), 0);
	LT_CHECK(v == LLONG_MAX);
	LT_CHECK_EQ(loom_json_to_int("-9223372036854775808", 20, &v), 0);
	LT_CHECK(v == LLONG_MIN);
	LT_CHECK_EQ(loom_json_to_int("9223372036854775808", 19, &v), LOOM_EINVAL);
	LT_CHECK_EQ(loom_json_to_int("-9223372036854775809", 20, &v), LOOM_EINVAL);
	LT_CHECK_EQ(loom_json_to_int("1.5", 3, &v), LOOM_EINVAL);
	LT_CHECK_EQ(loom_json_to_int("-", 1, &v), LOOM_EINVAL);
	LT_CHECK_EQ(loom_json_to_int("-42", 3, &v), 0);
	LT_CHECK(v == -42);
	LT_CHECK(!strcmp(loom_json_error_string(LOOM_JSON_E_DEPTH), "nesting too deep"));
	LT_CHECK(!strcmp(loom_json_error_string(-100), "unknown JSON error"));
}

/* the path helpers from inside a callback */
static int last_ok;

static int
cb_last(struct loom_json *j, enum loom_json_reason r, const char *val, size_t len)
{
	size_t n;
	const char *l = loom_json_path_last(j, &n);

	if (r == LOOM_JSON_OBJ_START && j->match == 1)
		last_ok += n == 9 && !memcmp(l, "my-stream", 9);
	if (r == LOOM_JSON_INT && j->match == 2)
		last_ok += n == 2 && !memcmp(l, "[]", 2) &&
			   j->i.stack[j->depth - 1].index == 1;
	return 0;
}

static void
test_path_last(void)
{
	static const char * const p[] = { "s[].*", "s[].*.b[]" };
	static const char doc[] = "{\"s\":[{\"my-stream\":{\"b\":[\"x\",7]}}]}";
	struct loom_json_frame st[8];
	char path[64], buf[16];
	struct loom_json_info i;
	struct loom_json j;

	memset(&i, 0, sizeof(i));
	i.paths = p;
	i.count_paths = 2;
	i.cb = cb_last;
	i.stack = st;
	i.stack_size = 8;
	i.path = path;
	i.path_size = sizeof(path);
	i.buf = buf;
	i.buf_size = sizeof(buf);
	LT_CHECK_EQ(loom_json_init(&j, &i), 0);
	LT_CHECK_EQ(loom_json_parse(&j, doc, sizeof(doc) - 1), 0);
	LT_CHECK_EQ(loom_json_finish(&j), 0);
	LT_CHECK_EQ(last_ok, 2);
	/* errors are sticky */
	LT_CHECK_EQ(loom_json_parse(&j, "x", 1), LOOM_JSON_E_TRAILING);
	LT_CHECK_EQ(loom_json_parse(&j, " ", 1), LOOM_JSON_E_TRAILING);
	LT_CHECK_EQ(loom_json_finish(&j), LOOM_JSON_E_TRAILING);
}

int
main(void)
{
	test_docs();
	test_edges();
	test_callback_stop();
	test_init_and_helpers();
	test_path_last();

	return lt_result("api-test-json");
}
