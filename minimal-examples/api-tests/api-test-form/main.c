/*
 * api-test-form: the form body parser. Urlencoded and multipart bodies give the same
 * events whole and split at every byte; a 5 MB file streams through in constant
 * memory; every limit at its edge; malformed bodies and content types; aborts.
 */
#include <loom.h>
#include <stdlib.h>
#include <string.h>

#include "loom-test.h"

/* ---- an event log: a readable text of the events, DATA pieces joined ---- */

#define LOG_MAX 65536

struct rec {
	char log[LOG_MAX];
	size_t len;
	int last_data;		/* the last event was DATA: join the next piece */
	int overflow;
	int events_after_end;	/* START/DATA/END order errors */
	int in_field;
	int abort_start;	/* abort at START of this field index (-1: never) */
	int abort_data;		/* abort at the first DATA of this field index */
	int abort_rc;
	struct loom_form *feed_back; /* try loom_form_feed() from inside */
	int feed_back_rc;
};

static void
rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->abort_start = -1;
	r->abort_data = -1;
}

static void
rec_put(struct rec *r, const void *p, size_t n)
{
	if (r->len + n >= LOG_MAX) {
		r->overflow = 1;
		return;
	}
	memcpy(r->log + r->len, p, n);
	r->len += n;
	r->log[r->len] = '\0';
}

static void
rec_puts(struct rec *r, const char *s)
{
	rec_put(r, s, strlen(s));
}

static int
rec_cb(void *user, enum loom_form_event ev, const struct loom_form_field *fld,
       const uint8_t *data, size_t len)
{
	struct rec *r = user;
	char tmp[64];

	if (r->feed_back) {
		r->feed_back_rc = loom_form_feed(r->feed_back, "x", 1);
		r->feed_back = NULL;
	}

	switch (ev) {
	case LOOM_FORM_FIELD_START:
		if (r->in_field || strlen(fld->name) != fld->name_len || !fld->name_len ||
		    fld->value_len)
			r->events_after_end++;
		r->in_field = 1;
		r->last_data = 0;
		snprintf(tmp, sizeof(tmp), "S%u:", fld->index);
		rec_puts(r, tmp);
		rec_put(r, fld->name, fld->name_len);
		if (fld->filename) {
			rec_puts(r, "|f=");
			rec_put(r, fld->filename, fld->filename_len);
		}
		if (fld->content_type) {
			rec_puts(r, "|t=");
			rec_put(r, fld->content_type, fld->content_type_len);
		}
		rec_puts(r, "\n");
		if ((int)fld->index == r->abort_start)
			return r->abort_rc;
		break;
	case LOOM_FORM_FIELD_DATA:
		if (!r->in_field || !len || !data)
			r->events_after_end++;
		if (!r->last_data)
			rec_puts(r, "D:");
		r->last_data = 1;
		rec_put(r, data, len);
		if ((int)fld->index == r->abort_data)
			return r->abort_rc;
		break;
	case LOOM_FORM_FIELD_END:
		if (!r->in_field || data || len)
			r->events_after_end++;
		r->in_field = 0;
		snprintf(tmp, sizeof(tmp), "%sE%llu\n", r->last_data ? "\n" : "",
			 (unsigned long long)fld->value_len);
		rec_puts(r, tmp);
		r->last_data = 0;
		break;
	}

	return 0;
}

/*
 * Parse \p body cut at the \p ncuts offsets in \p cuts (ascending), recording into
 * \p r. \p tmpl gives the limits; content type \p ct. Returns the first error, or
 * finish's result; -100 when create failed.
 */
static int
parse_cuts(const struct loom_form_info *tmpl, const char *ct, const char *body,
	   size_t len, const size_t *cuts, int ncuts, struct rec *r)
{
	struct loom_form_info info = *tmpl;
	struct loom_form *f;
	size_t from = 0;
	int k, rc = 0;

	info.content_type = ct;
	info.cb = rec_cb;
	info.user = r;
	f = loom_form_create(&info);
	if (!f)
		return -100;
	for (k = 0; k <= ncuts && !rc; k++) {
		size_t to = k < ncuts ? cuts[k] : len;

		rc = loom_form_feed(f, body + from, to - from);
		from = to;
	}
	if (!rc)
		rc = loom_form_finish(f);
	loom_form_destroy(f);

	return rc;
}

static int
parse_whole(const struct loom_form_info *tmpl, const char *ct, const char *body,
	    size_t len, struct rec *r)
{
	rec_init(r);

	return parse_cuts(tmpl, ct, body, len, NULL, 0, r);
}

/* feed in \p step-byte pieces */
static int
parse_steps(const struct loom_form_info *tmpl, const char *ct, const char *body,
	    size_t len, size_t step, struct rec *r)
{
	struct loom_form_info info = *tmpl;
	struct loom_form *f;
	size_t o;
	int rc = 0;

	rec_init(r);
	info.content_type = ct;
	info.cb = rec_cb;
	info.user = r;
	f = loom_form_create(&info);
	if (!f)
		return -100;
	for (o = 0; o < len && !rc; o += step)
		rc = loom_form_feed(f, body + o, len - o < step ? len - o : step);
	if (!rc)
		rc = loom_form_finish(f);
	loom_form_destroy(f);

	return rc;
}

static struct rec r_whole, r_split;

/*
 * The body parses to \p want_rc and (when not NULL) the log \p want whole, and
 * gives the same result and log in 1-byte feeds, at every 2-way split and (when
 * \p three) at every 3-way split.
 */
static void
check_splits(const struct loom_form_info *tmpl, const char *ct, const char *body,
	     size_t len, int want_rc, const char *want, int three)
{
	size_t a, b, cuts[2];
	int rc, bad = 0, bad_rc = 0;

	rc = parse_whole(tmpl, ct, body, len, &r_whole);
	LT_CHECK_EQ(rc, want_rc);
	LT_CHECK(!r_whole.overflow && !r_whole.events_after_end);
	if (want && strcmp(r_whole.log, want)) {
		LT_CHECK(!"log as expected");
		fprintf(stderr, "--- want:\n%s--- got:\n%s---\n", want, r_whole.log);
	}

	rc = parse_steps(tmpl, ct, body, len, 1, &r_split);
	LT_CHECK_EQ(rc, want_rc);
	LT_CHECK(!r_split.events_after_end);
	if (!want_rc && strcmp(r_split.log, r_whole.log)) {
		LT_CHECK(!"1-byte feeds give the same log");
		fprintf(stderr, "--- whole:\n%s--- 1-byte:\n%s---\n", r_whole.log,
			r_split.log);
	}

	for (a = 0; a <= len; a++) {
		cuts[0] = a;
		rec_init(&r_split);
		rc = parse_cuts(tmpl, ct, body, len, cuts, 1, &r_split);
		bad_rc += rc != want_rc;
		bad += !want_rc && strcmp(r_split.log, r_whole.log);
		bad += r_split.events_after_end;
		if (!three)
			continue;
		for (b = a; b <= len; b++) {
			cuts[1] = b;
			rec_init(&r_split);
			rc = parse_cuts(tmpl, ct, body, len, cuts, 2, &r_split);
			bad_rc += rc != want_rc;
			bad += !want_rc && strcmp(r_split.log, r_whole.log);
		}
	}
	LT_CHECK_EQ(bad_rc, 0);
	LT_CHECK_EQ(bad, 0);
}

static const struct loom_form_info defaults;

/* a string literal and its length (embedded NULs included) */
#define CS(s) s, sizeof(s) - 1

#define URLENC "application/x-www-form-urlencoded"
#define BND "XyZzy-42"
#define MP "multipart/form-data; boundary=" BND

/* ---- urlencoded ---- */

static void
test_urlencoded(void)
{
	static const char body[] =
		"name=J%C3%B6rg+X&empty=&flag&&a%26b=c%3Dd&x=1=2&+=%2B&&";
	static const char want[] =
		"S0:name\nD:J\xc3\xb6rg X\nE7\n"
		"S1:empty\nE0\n"
		"S2:flag\nE0\n"
		"S3:a&b\nD:c=d\nE3\n"
		"S4:x\nD:1=2\nE3\n"
		"S5: \nD:+\nE1\n";

	check_splits(&defaults, URLENC, body, sizeof(body) - 1, 0, want, 1);

	/* an empty body has no fields; so has "&" */
	check_splits(&defaults, URLENC, "", 0, 0, "", 0);
	check_splits(&defaults, URLENC, CS("&&&"), 0, "", 0);
	/* the last pair needs no '&' */
	check_splits(&defaults, URLENC, CS("a"), 0, "S0:a\nE0\n", 0);
	check_splits(&defaults, URLENC, CS("a="), 0, "S0:a\nE0\n", 0);
	/* raw bytes >= 0x80 pass, case of hex digits does not matter */
	check_splits(&defaults, URLENC, CS("k=%e2%82%AC\xff"), 0,
		     "S0:k\nD:\xe2\x82\xac\xff\nE4\n", 0);
}

static void
test_urlencoded_bad(void)
{
	static const struct {
		const char *body;
		int rc;
	} bad[] = {
		{ "a=%zz", LOOM_EINVAL },
		{ "a=%4g", LOOM_EINVAL },
		{ "a=%4", LOOM_EINVAL },	/* ends inside the escape */
		{ "a=%", LOOM_EINVAL },
		{ "a%=1", LOOM_EINVAL },
		{ "a=%00", LOOM_EINVAL },	/* encoded NUL */
		{ "%00=1", LOOM_EINVAL },
		{ "=x", LOOM_EINVAL },		/* a value without a name */
		{ "a=1&=", LOOM_EINVAL },
		{ "a=%&b=1", LOOM_EINVAL },
	};
	size_t n;

	for (n = 0; n < sizeof(bad) / sizeof(bad[0]); n++)
		check_splits(&defaults, URLENC, bad[n].body, strlen(bad[n].body),
			     bad[n].rc, NULL, 0);

	/* a raw NUL */
	check_splits(&defaults, URLENC, CS("a=b\0c"), LOOM_EINVAL, NULL, 0);
	check_splits(&defaults, URLENC, CS("a\0=c"), LOOM_EINVAL, NULL, 0);
}

/* ---- multipart ---- */

static const char mp_body[] =
	"This is the preamble, ignored. --" BND " is not a delimiter here\r\n"
	"--" BND "\r\n"
	"Content-Disposition: form-data; name=\"user\"\r\n"
	"\r\n"
	"J\xc3\xb6rg\r\n"
	"--" BND "  \t\r\n"		/* transport padding */
	"content-disposition: FORM-DATA ; NAME=\"up\"; filename=\"a \\\"q\\\".txt\"\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"X-Other: ignored\r\n"
	"\r\n"
	"line1\r\n--XyZzy-4\r\n--" BND "x\r\n"  /* would be an error if whole */
	"\r\n"
	"--" BND "\r\n"
	"Content-Disposition: form-data; name=tok; filename=\"\"\r\n"
	"\r\n"
	"\r\n"
	"--" BND "\r\n"
	"Content-Disposition: form-data; name=\"crlf\"; filename*=UTF-8''x\r\n"
	"\r\n"
	"\r\r\n\r\n-\r\n--\r\n--X\r\n--XyZzy-4\r\r\n--" BND "-\n--\r\n"
	"--" BND "--\r\n"
	"epilogue, ignored\r\n--" BND "\r\nnot a part\r\n";

static void
test_multipart(void)
{
	/* "\r\n--BND" followed by 'x' in part 1 is a delimiter with junk after it */
	check_splits(&defaults, MP, mp_body, sizeof(mp_body) - 1, LOOM_EINVAL, NULL, 0);
}

/* the multipart body the split tests use: every feature, no error */
static const char mp_good[] =
	"preamble --" BND " not at a line start\r\n"
	"--" BND "\r\n"
	"Content-Disposition: form-data; name=\"user\"\r\n"
	"\r\n"
	"J\xc3\xb6rg\r\n"
	"--" BND "  \t\r\n"
	"content-disposition: FORM-DATA ; NAME=\"up\"; filename=\"a \\\"q\\\".txt\"\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"X-Other: ignored\r\n"
	"\r\n"
	"line1\r\n--XyZzy-4\r\n--XyZzy-\r\n-\r\n"
	"\r\n"
	"--" BND "\r\n"
	"Content-Disposition: form-data; name=tok; filename=\"\"\r\n"
	"\r\n"
	"\r\n"
	"--" BND "\r\n"
	"Content-Disposition: form-data; name=\"crlf\"; filename*=UTF-8''x\r\n"
	"\r\n"
	"\r\r\n\r\n-\r\n--\r\n--X\r\n--XyZzy-4\r\r\n--XyZzy-4-\n--" BND
	"\r\n--" BND "--\r\n"
	"epilogue, ignored\r\n--" BND "\r\nnot a part\r\n";

static const char mp_good_want[] =
	"S0:user\nD:J\xc3\xb6rg\nE5\n"
	"S1:up|f=a \"q\".txt|t=text/plain; charset=utf-8\n"
	"D:line1\r\n--XyZzy-4\r\n--XyZzy-\r\n-\r\n\nE31\n"
	"S2:tok|f=\nE0\n"
	"S3:crlf\nD:\r\r\n\r\n-\r\n--\r\n--X\r\n--XyZzy-4\r\r\n--XyZzy-4-\n--" BND
	"\nE50\n";

static void
test_multipart_good(void)
{
	check_splits(&defaults, MP, mp_good, sizeof(mp_good) - 1, 0, mp_good_want, 0);

	/* no preamble; the close right after the first boundary: no fields */
	check_splits(&defaults, MP, CS("--" BND "--"), 0, "", 1);
	check_splits(&defaults, MP, CS("--" BND "--\r\n"), 0, "", 0);
	/* a CRLF preamble */
	check_splits(&defaults, MP,
		     CS("\r\n--" BND "\r\nContent-Disposition: form-data; name=a\r\n\r\n"
		     "v\r\n--" BND "--"), 0, "S0:a\nD:v\nE1\n", 1);
	/* an empty part value; a part after a part */
	check_splits(&defaults, MP,
		     CS("--" BND "\r\nContent-Disposition: form-data; name=a\r\n\r\n"
		     "\r\n--" BND "\r\nContent-Disposition: form-data; name=b\r\n\r\n"
		     "x\r\n--" BND "--"), 0, "S0:a\nE0\nS1:b\nD:x\nE1\n", 0);
}

static void
test_multipart_bad(void)
{
#define CD "Content-Disposition: form-data; name=\"a\"\r\n"
#define D0 "--" BND "\r\n"
#define END "\r\n--" BND "--\r\n"
	static const struct {
		const char *body;
		int rc;
	} bad[] = {
		{ "", LOOM_EINVAL },				/* no delimiter */
		{ "just a preamble\r\n", LOOM_EINVAL },
		{ D0, LOOM_EINVAL },				/* ends in headers */
		{ D0 CD, LOOM_EINVAL },
		{ D0 CD "\r\n", LOOM_EINVAL },			/* ends in data */
		{ D0 CD "\r\nabc\r\n--" BND, LOOM_EINVAL },	/* no close */
		{ D0 CD "\r\nabc\r\n--" BND "-", LOOM_EINVAL },
		{ D0 CD "\r\nabc\r\n--" BND "-x", LOOM_EINVAL },
		{ D0 CD "\r\nabc\r\n--" BND "x" END, LOOM_EINVAL },
		{ D0 CD "\r\nabc\r\n--" BND " x" END, LOOM_EINVAL },
		{ D0 CD "\r\nabc\r\n--" BND "\rx" END, LOOM_EINVAL },
		{ D0 CD "\r\nabc\r\n--" BND "\n" END, LOOM_EINVAL },
		{ "--" BND "x\r\n" CD "\r\n" END, LOOM_EINVAL },
		{ D0 "\r\nabc" END, LOOM_EINVAL },		/* no headers */
		{ D0 "Content-Type: text/plain\r\n\r\nabc" END, LOOM_EINVAL },
		{ D0 "Content-Disposition: form-data\r\n\r\nabc" END, LOOM_EINVAL },
		{ D0 "Content-Disposition: form-data; name=\"\"\r\n\r\nabc" END,
		  LOOM_EINVAL },
		{ D0 "Content-Disposition: form-data; name=\r\n\r\nabc" END, LOOM_EINVAL },
		{ D0 "Content-Disposition: attachment; name=a\r\n\r\nabc" END,
		  LOOM_EINVAL },
		{ D0 "Content-Disposition: form-data; name=a; name=b\r\n\r\n" END,
		  LOOM_EINVAL },
		{ D0 "Content-Disposition: form-data; name=\"a\r\n\r\n" END, LOOM_EINVAL },
		{ D0 "Content-Disposition: form-data; name=a b\r\n\r\n" END, LOOM_EINVAL },
		{ D0 "Content-Disposition: form-data name=a\r\n\r\n" END, LOOM_EINVAL },
		{ D0 CD CD "\r\n" END, LOOM_EINVAL },		/* twice */
		{ D0 CD "Content-Type: a\r\nContent-Type: b\r\n\r\n" END, LOOM_EINVAL },
		{ D0 CD "No-Colon\r\n\r\n" END, LOOM_EINVAL },
		{ D0 CD "Space : x\r\n\r\n" END, LOOM_EINVAL },
		{ D0 CD ": x\r\n\r\n" END, LOOM_EINVAL },
		{ D0 CD " folded\r\n\r\n" END, LOOM_EINVAL },	/* obs-fold */
		{ D0 CD "X: a\nY: b\r\n\r\n" END, LOOM_EINVAL },	/* bare LF */
		{ D0 CD "X: a\rY: b\r\n\r\n" END, LOOM_EINVAL },	/* bare CR */
		{ D0 CD "X: a\rb\r\n\r\nv" END, LOOM_EINVAL },
		{ D0 "Content-Disposition: form-data; name=a\n\n" END, LOOM_EINVAL },
		{ D0 CD "X: a\x01\r\n\r\n" END, LOOM_EINVAL },	/* control */
		{ D0 CD "X: a\x7f\r\n\r\n" END, LOOM_EINVAL },
		{ D0 "Content-Disposition: form-data; name=\"a\\\x01\"\r\n\r\n" END,
		  LOOM_EINVAL },
	};
	size_t n;

	for (n = 0; n < sizeof(bad) / sizeof(bad[0]); n++) {
		size_t before = (size_t)lt_fail;

		check_splits(&defaults, MP, bad[n].body, strlen(bad[n].body),
			     bad[n].rc, NULL, 0);
		if ((size_t)lt_fail != before)
			fprintf(stderr, "  (bad multipart case %u)\n", (unsigned int)n);
	}

	/* a NUL in a header line */
	check_splits(&defaults, MP, CS(D0 CD "X: \0\r\n\r\n" END), LOOM_EINVAL, NULL, 0);

	/* but these are fine: headers in any case, OWS, other headers, a trailing ';' */
	check_splits(&defaults, MP, CS(D0 "CONTENT-DISPOSITION:form-data;name=a;\r\n"
		     "x-y:\r\n\r\nv" END), 0, "S0:a\nD:v\nE1\n", 0);
	/* an empty Content-Type value is kept as "" */
	check_splits(&defaults, MP, CS(D0 CD "Content-Type:   \r\n\r\nv" END), 0,
		     "S0:a|t=\nD:v\nE1\n", 0);
}

/* ---- content types ---- */

static void
test_content_types(void)
{
	static const char *good_mp[] = {
		"multipart/form-data; boundary=" BND,
		"Multipart/Form-Data;BOUNDARY=" BND,
		"multipart/form-data; charset=utf-8; boundary=\"" BND "\"",
		"multipart/form-data ; boundary=\"XyZ\\zy-42\" ; x=y",
		" multipart/form-data;\tboundary=" BND " ",
		"multipart/form-data; boundary=" BND ";",
	};
	static const char *bad[] = {
		"", "text/plain", "multipart/form-data", "multipart/form-data;",
		"multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"",
		"multipart/form-data; boundary=\"abc", "multipart/form-data; boundary=a b",
		"multipart/form-data; boundary=a; boundary=a",
		"multipart/form-data; boundary=\"a \"",	/* ends in a space */
		"multipart/form-data; boundary=\"a\tb\"",
		"multipart/form-data; boundary=\"a[b\"",
		"multipart/form-data boundary=a", "multipart/mixed; boundary=a",
		"multipart/form-data; =a", "multipart/form-data; boundary",
		"application/x-www-form-urlencoded; =", "application/x-www-form-urlencodedx",
		"application/x-www-form-urlencoded\r\n", "application/", "/",
		"application/x-www-form-urlencoded; charset=\"utf-8",
	};
	struct loom_form_info info;
	struct loom_form *f;
	char ct[200];
	size_t n;

	for (n = 0; n < sizeof(good_mp) / sizeof(good_mp[0]); n++) {
		check_splits(&defaults, good_mp[n], mp_good, sizeof(mp_good) - 1, 0,
			     mp_good_want, 0);
	}
	for (n = 0; n < sizeof(bad) / sizeof(bad[0]); n++) {
		memset(&info, 0, sizeof(info));
		info.content_type = bad[n];
		f = loom_form_create(&info);
		LT_CHECK(!f);
		if (f)
			fprintf(stderr, "  accepted: '%s'\n", bad[n]);
		loom_form_destroy(f);
	}

	/* the type, and content_type_len: the value need not be NUL-terminated */
	memset(&info, 0, sizeof(info));
	info.content_type = URLENC "; charset=UTF-8";
	f = loom_form_create(&info);
	LT_CHECK(f && loom_form_type(f) == LOOM_FORM_URLENCODED);
	loom_form_destroy(f);
	info.content_type = MP "--junk";
	info.content_type_len = strlen(MP);
	f = loom_form_create(&info);
	LT_CHECK(f && loom_form_type(f) == LOOM_FORM_MULTIPART);
	loom_form_destroy(f);
	LT_CHECK(!loom_form_create(NULL));
	memset(&info, 0, sizeof(info));
	LT_CHECK(!loom_form_create(&info));

	/* boundary: 70 characters at most, every bchar allowed (quoted) */
	memcpy(ct, "multipart/form-data; boundary=", 30);
	memset(ct + 30, 'b', 70);
	ct[100] = '\0';
	memset(&info, 0, sizeof(info));
	info.content_type = ct;
	f = loom_form_create(&info);
	LT_CHECK(f != NULL);
	loom_form_destroy(f);
	ct[100] = 'b';
	ct[101] = '\0';
	LT_CHECK(!loom_form_create(&info));
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=\"09azAZ'()+_,-./:=? x\"");
	f = loom_form_create(&info);
	LT_CHECK(f != NULL);
	loom_form_destroy(f);
	{
		/* and it is used: a boundary with a space and ':' */
		static const char b[] = "--09azAZ'()+_,-./:=? x\r\n"
			"Content-Disposition: form-data; name=a\r\n\r\nv\r\n"
			"--09azAZ'()+_,-./:=? x--";
		check_splits(&defaults, ct, b, sizeof(b) - 1, 0, "S0:a\nD:v\nE1\n", 0);
	}
}

/* ---- limits ---- */

/* a body of \p n copies of \p c */
static char *
rep(char *out, const char *pre, char c, size_t n, const char *post)
{
	size_t pl = strlen(pre);

	memcpy(out, pre, pl);
	memset(out + pl, c, n);
	strcpy(out + pl + n, post);

	return out;
}

static void
test_limits(void)
{
	static char body[20000], want[20000];
	struct loom_form_info lim;
	size_t n;
	int k;

	/* urlencoded name: 128 by default, decoded length counts */
	rep(body, "", 'n', 128, "=v");
	check_splits(&defaults, URLENC, body, strlen(body), 0, NULL, 0);
	rep(body, "", 'n', 129, "=v");
	check_splits(&defaults, URLENC, body, strlen(body), LOOM_ELIMIT, NULL, 0);
	rep(body, "", 'n', 127, "%41=v");
	check_splits(&defaults, URLENC, body, strlen(body), 0, NULL, 0);
	rep(body, "", 'n', 128, "%41=v");
	check_splits(&defaults, URLENC, body, strlen(body), LOOM_ELIMIT, NULL, 0);
	rep(body, "", 'n', 129, "");	/* a name without '=' at the end */
	check_splits(&defaults, URLENC, body, strlen(body), LOOM_ELIMIT, NULL, 0);

	/* urlencoded value: 4096 by default */
	rep(body, "a=", 'v', 4096, "&b=1");
	check_splits(&defaults, URLENC, body, strlen(body), 0, NULL, 0);
	rep(body, "a=", 'v', 4097, "&b=1");
	check_splits(&defaults, URLENC, body, strlen(body), LOOM_ELIMIT, NULL, 0);
	rep(body, "a=", '+', 4096, "");
	check_splits(&defaults, URLENC, body, strlen(body), 0, NULL, 0);

	/* set limits */
	memset(&lim, 0, sizeof(lim));
	lim.max_name_len = 3;
	lim.max_value_len = 5;
	lim.max_fields = 2;
	check_splits(&lim, URLENC, CS("abc=12345&xyz"), 0,
		     "S0:abc\nD:12345\nE5\nS1:xyz\nE0\n", 1);
	check_splits(&lim, URLENC, CS("abcd=1"), LOOM_ELIMIT, NULL, 0);
	check_splits(&lim, URLENC, CS("a=123456"), LOOM_ELIMIT, NULL, 0);
	check_splits(&lim, URLENC, CS("a&&b&"), 0, "S0:a\nE0\nS1:b\nE0\n", 1);
	check_splits(&lim, URLENC, CS("a&b&c"), LOOM_ELIMIT, NULL, 0);

	/* fields: 64 by default, both kinds */
	body[0] = '\0';
	for (k = 0; k < 64; k++)
		strcat(body, "a=1&");
	check_splits(&defaults, URLENC, body, strlen(body), 0, NULL, 0);
	strcat(body, "b");
	check_splits(&defaults, URLENC, body, strlen(body), LOOM_ELIMIT, NULL, 0);
	body[0] = '\0';
	for (k = 0; k < 64; k++)
		strcat(body, D0 CD "\r\nx\r\n");
	strcat(body, "--" BND "--");
	check_splits(&defaults, MP, body, strlen(body), 0, NULL, 0);
	rep(body + strlen(body) - 12, "", 'x', 0, D0 CD "\r\nx\r\n--" BND "--");
	check_splits(&defaults, MP, body, strlen(body), LOOM_ELIMIT, NULL, 0);

	/* max_total: the whole body is allowed, a byte more is not, however split */
	memset(&lim, 0, sizeof(lim));
	lim.max_total = 11;
	check_splits(&lim, URLENC, CS("a=1&b=2&c=3"), 0, NULL, 1);
	check_splits(&lim, URLENC, CS("a=1&b=2&c=3&"), LOOM_ELIMIT, NULL, 1);
	/* ... and an error inside the limit is that error */
	check_splits(&lim, URLENC, CS("a=%zz&b=2&c=3&"), LOOM_EINVAL, NULL, 0);
	lim.max_total = sizeof(mp_good) - 1;
	check_splits(&lim, MP, mp_good, sizeof(mp_good) - 1, 0, mp_good_want, 0);
	lim.max_total--;
	check_splits(&lim, MP, mp_good, sizeof(mp_good) - 1, LOOM_ELIMIT, NULL, 0);

	/* multipart name and filename */
	memset(&lim, 0, sizeof(lim));
	lim.max_name_len = 4;
	lim.max_filename_len = 6;
	check_splits(&lim, MP, CS(D0 "Content-Disposition: form-data; name=\"\\a\\b\\c\\d\"; "
		     "filename=abcdef\r\n\r\n" END), 0,
		     "S0:abcd|f=abcdef\nE0\n", 0);
	check_splits(&lim, MP, CS(D0 "Content-Disposition: form-data; name=abcde\r\n\r\n"
		     END), LOOM_ELIMIT, NULL, 0);
	check_splits(&lim, MP, CS(D0 "Content-Disposition: form-data; name=a; "
		     "filename=\"abcdefg\"\r\n\r\n" END), LOOM_ELIMIT, NULL, 0);

	/* a part's header block: max_value_len bytes, CRLFs included */
	memset(&lim, 0, sizeof(lim));
	lim.max_value_len = 100;
	n = strlen(CD);		/* 42 */
	rep(body, D0 CD "X: ", 'h', 100 - n - 2 - 5, "\r\n\r\nv" END);
	check_splits(&lim, MP, body, strlen(body), 0, "S0:a\nD:v\nE1\n", 0);
	rep(body, D0 CD "X: ", 'h', 100 - n - 2 - 5 + 1, "\r\n\r\nv" END);
	check_splits(&lim, MP, body, strlen(body), LOOM_ELIMIT, NULL, 0);
	/* ... a single long line */
	rep(body, D0 CD "X: ", 'h', 5000, "\r\n\r\nv" END);
	check_splits(&defaults, MP, body, strlen(body), LOOM_ELIMIT, NULL, 0);
	/* ... and the transport padding after a delimiter */
	rep(body, "--" BND, ' ', 100, "\r\n" CD "\r\nv" END);
	check_splits(&lim, MP, body, strlen(body), 0, NULL, 0);
	rep(body, "--" BND, ' ', 101, "\r\n" CD "\r\nv" END);
	check_splits(&lim, MP, body, strlen(body), LOOM_ELIMIT, NULL, 0);

	/* the part content type: 255 bytes */
	rep(body, D0 CD "Content-Type: ", 't', LOOM_FORM_MAX_PART_CTYPE, "\r\n\r\nv" END);
	rep(want, "S0:a|t=", 't', LOOM_FORM_MAX_PART_CTYPE, "\nD:v\nE1\n");
	check_splits(&defaults, MP, body, strlen(body), 0, want, 0);
	rep(body, D0 CD "Content-Type: ", 't', LOOM_FORM_MAX_PART_CTYPE + 1,
	    "\r\n\r\nv" END);
	check_splits(&defaults, MP, body, strlen(body), LOOM_ELIMIT, NULL, 0);

	/* multipart values are not bounded unless kept */
	rep(body, D0 CD "\r\n", 'v', 10000, END);
	check_splits(&lim, MP, body, strlen(body), 0, NULL, 0);
}

/* ---- the store ---- */

static void
test_store(void)
{
	struct loom_form_info info;
	struct loom_form *f;
	static char body[8192];
	const char *v;
	char buf[16];
	size_t vl;

	memset(&info, 0, sizeof(info));
	info.content_type = URLENC;
	/* "user=bob": 8 + 4 + 1 + 3 + 1 = 17; "a=" 8 + 1 + 1 + 0 + 1 = 11;
	 * "user=" 8 + 4 + 1 + 1 = 14 */
	info.store_len = 17 + 11 + 14;
	f = loom_form_create(&info);
	LT_CHECK_EQ(loom_form_feed(f, "user=b", 6), 0);
	LT_CHECK(!loom_form_value(f, "user", 0, NULL));	/* not complete yet */
	LT_CHECK_EQ(loom_form_feed(f, "ob&a&user=", 10), 0);
	LT_CHECK_EQ(loom_form_finish(f), 0);
	LT_CHECK_EQ(loom_form_get(f, "user", buf, sizeof(buf)), 3);
	LT_CHECK(!strcmp(buf, "bob"));
	LT_CHECK_EQ(loom_form_get(f, "user", buf, 4), 3);
	LT_CHECK_EQ(loom_form_get(f, "user", buf, 3), LOOM_ELIMIT);
	LT_CHECK(buf[0] == '\0');
	LT_CHECK_EQ(loom_form_get(f, "a", buf, sizeof(buf)), 0);
	LT_CHECK_EQ(loom_form_get(f, "us", buf, sizeof(buf)), LOOM_ENOTFOUND);
	LT_CHECK_EQ(loom_form_get(f, "User", buf, sizeof(buf)), LOOM_ENOTFOUND);
	v = loom_form_value(f, "user", 1, &vl);
	LT_CHECK(v && vl == 0 && !*v);
	LT_CHECK(!loom_form_value(f, "user", 2, &vl));
	loom_form_destroy(f);

	/* a byte less: the last field does not fit */
	info.store_len--;
	f = loom_form_create(&info);
	LT_CHECK_EQ(loom_form_feed(f, "user=bob&a&user=", 16), LOOM_ELIMIT);
	LT_CHECK_EQ(loom_form_finish(f), LOOM_ELIMIT);
	/* what was kept before stays readable */
	LT_CHECK_EQ(loom_form_get(f, "a", buf, sizeof(buf)), 0);
	loom_form_destroy(f);

	/* a value that fills the store to its last byte, and one a byte longer */
	info.store_len = 8 + 1 + 1 + 3 + 1;
	f = loom_form_create(&info);
	LT_CHECK_EQ(loom_form_feed(f, "a=xyz", 5), 0);
	LT_CHECK_EQ(loom_form_finish(f), 0);
	LT_CHECK_EQ(loom_form_get(f, "a", buf, sizeof(buf)), 3);
	loom_form_destroy(f);
	info.store_len--;
	f = loom_form_create(&info);
	LT_CHECK_EQ(loom_form_feed(f, "a=xyz", 5), 0);
	LT_CHECK_EQ(loom_form_finish(f), LOOM_ELIMIT);
	loom_form_destroy(f);

	/* without a store nothing is kept */
	memset(&info, 0, sizeof(info));
	info.content_type = URLENC;
	f = loom_form_create(&info);
	LT_CHECK_EQ(loom_form_feed(f, "user=bob", 8), 0);
	LT_CHECK_EQ(loom_form_finish(f), 0);
	LT_CHECK_EQ(loom_form_get(f, "user", buf, sizeof(buf)), LOOM_ENOTFOUND);
	loom_form_destroy(f);

	/* multipart: text parts are kept, file parts not; a kept value is bounded
	 * by max_value_len */
	memset(&info, 0, sizeof(info));
	info.content_type = MP;
	info.store_len = 256;
	info.max_value_len = 100;
	f = loom_form_create(&info);
	snprintf(body, sizeof(body), "%s", D0 "Content-Disposition: form-data; "
		 "name=\"user\"\r\n\r\nJ\xc3\xb6rg\r\n" D0 "Content-Disposition: form-data; "
		 "name=\"up\"; filename=\"x.bin\"\r\n\r\nfiledata\r\n--" BND "--");
	LT_CHECK_EQ(loom_form_feed(f, body, strlen(body)), 0);
	LT_CHECK_EQ(loom_form_finish(f), 0);
	LT_CHECK_EQ(loom_form_get(f, "user", buf, sizeof(buf)), 5);
	LT_CHECK(!strcmp(buf, "J\xc3\xb6rg"));
	LT_CHECK_EQ(loom_form_get(f, "up", buf, sizeof(buf)), LOOM_ENOTFOUND);
	loom_form_destroy(f);

	rep(body, D0 CD "\r\n", 'v', 100, END);
	check_splits(&info, MP, body, strlen(body), 0, NULL, 0);
	rep(body, D0 CD "\r\n", 'v', 101, END);
	check_splits(&info, MP, body, strlen(body), LOOM_ELIMIT, NULL, 0);
	/* a file part may be longer */
	rep(body, D0 "Content-Disposition: form-data; name=a; filename=b\r\n\r\n", 'v',
	    1000, END);
	check_splits(&info, MP, body, strlen(body), 0, NULL, 0);

	/* a value split across feeds is kept whole, with splits inside the
	 * delimiter too */
	memset(&info, 0, sizeof(info));
	info.content_type = MP;
	info.store_len = 64;
	f = loom_form_create(&info);
	snprintf(body, sizeof(body), "%s", D0 CD "\r\nab\r\n--XyZ\r\n--" BND "--");
	{
		size_t o, bl = strlen(body);

		for (o = 0; o < bl; o++)
			LT_CHECK_EQ(loom_form_feed(f, body + o, 1), 0);
	}
	LT_CHECK_EQ(loom_form_finish(f), 0);
	v = loom_form_value(f, "a", 0, &vl);
	LT_CHECK(v && vl == 9 && !memcmp(v, "ab\r\n--XyZ", 10));
	loom_form_destroy(f);
}

/* ---- aborts and misuse ---- */

static void
test_abort(void)
{
	struct loom_form_info info;
	struct loom_form *f;
	struct rec *r = &r_whole;

	memset(&info, 0, sizeof(info));
	info.content_type = URLENC;
	info.cb = rec_cb;
	info.user = r;

	/* abort at the second START: feed returns the value, then sticks */
	rec_init(r);
	r->abort_start = 1;
	r->abort_rc = 42;
	f = loom_form_create(&info);
	LT_CHECK_EQ(loom_form_feed(f, CS("a=1&b=2&c=3")), 42);
	LT_CHECK(!strcmp(r->log, "S0:a\nD:1\nE1\nS1:b\n"));
	LT_CHECK_EQ(loom_form_feed(f, "&d=4", 4), 42);
	LT_CHECK_EQ(loom_form_finish(f), 42);
	LT_CHECK(!strcmp(r->log, "S0:a\nD:1\nE1\nS1:b\n"));
	loom_form_destroy(f);

	/* abort at DATA, with an error value; at finish */
	rec_init(r);
	r->abort_data = 0;
	r->abort_rc = LOOM_ECLOSED;
	f = loom_form_create(&info);
	LT_CHECK_EQ(loom_form_feed(f, "a=1", 3), 0);
	LT_CHECK_EQ(loom_form_finish(f), LOOM_ECLOSED);
	LT_CHECK_EQ(loom_form_finish(f), LOOM_ECLOSED);
	loom_form_destroy(f);

	/* multipart: abort inside a file part */
	info.content_type = MP;
	rec_init(r);
	r->abort_data = 1;
	r->abort_rc = -77;
	f = loom_form_create(&info);
	LT_CHECK_EQ(loom_form_feed(f, mp_good, 100), 0);
	LT_CHECK_EQ(loom_form_feed(f, mp_good + 100, sizeof(mp_good) - 101), -77);
	LT_CHECK_EQ(loom_form_feed(f, "x", 1), -77);
	LT_CHECK(strstr(r->log, "S1:up") && !strstr(r->log, "S2"));
	loom_form_destroy(f);

	/* feeding from inside the callback is refused */
	rec_init(r);
	f = loom_form_create(&info);
	r->feed_back = f;
	r->feed_back_rc = 1;
	LT_CHECK_EQ(loom_form_feed(f, mp_good, sizeof(mp_good) - 1), 0);
	LT_CHECK_EQ(r->feed_back_rc, LOOM_EBUSY);
	LT_CHECK_EQ(loom_form_finish(f), 0);
	/* finished: no more body */
	LT_CHECK_EQ(loom_form_feed(f, "x", 1), LOOM_EINVAL);
	LT_CHECK_EQ(loom_form_finish(f), 0);
	LT_CHECK_EQ(loom_form_feed(f, NULL, 0), LOOM_EINVAL);
	loom_form_destroy(f);

	/* misuse */
	f = loom_form_create(&info);
	LT_CHECK_EQ(loom_form_feed(f, NULL, 1), LOOM_EINVAL);
	LT_CHECK_EQ(loom_form_feed(f, NULL, 0), 0);
	LT_CHECK_EQ(loom_form_feed(NULL, "x", 1), LOOM_EINVAL);
	LT_CHECK_EQ(loom_form_finish(NULL), LOOM_EINVAL);
	loom_form_destroy(f);
	loom_form_destroy(NULL);
	LT_CHECK(!loom_form_value(NULL, "a", 0, NULL));
}

/* ---- a 5 MB file through a counting allocator ---- */

static size_t live_bytes, peak_bytes, alloc_calls;

static void *
counting_realloc(void *ptr, size_t size, const char *reason)
{
	size_t *h = ptr ? (size_t *)ptr - 2 : NULL, old = h ? h[0] : 0;

	(void)reason;
	if (!size) {
		live_bytes -= old;
		free(h);
		return NULL;
	}
	alloc_calls++;
	h = realloc(h, size + 2 * sizeof(size_t));
	if (!h)
		return NULL;
	live_bytes += size - old;
	if (live_bytes > peak_bytes)
		peak_bytes = live_bytes;
	h[0] = size;

	return h + 2;
}

static int fail_allocs;

static void *
failing_realloc(void *ptr, size_t size, const char *reason)
{
	(void)reason;
	if (!size) {
		free(ptr);
		return NULL;
	}

	return fail_allocs ? NULL : realloc(ptr, size);
}

struct big {
	uint64_t hash;
	uint64_t got;
	size_t max_piece;
	unsigned int starts, ends;
};

static uint64_t
fnv(uint64_t h, const uint8_t *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}

	return h;
}

static int
big_cb(void *user, enum loom_form_event ev, const struct loom_form_field *fld,
       const uint8_t *data, size_t len)
{
	struct big *b = user;

	(void)fld;
	if (ev == LOOM_FORM_FIELD_START)
		b->starts++;
	if (ev == LOOM_FORM_FIELD_END)
		b->ends++;
	if (ev != LOOM_FORM_FIELD_DATA)
		return 0;
	b->hash = fnv(b->hash, data, len);
	b->got += len;
	if (len > b->max_piece)
		b->max_piece = len;

	return 0;
}

static uint32_t rng = 12345;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;

	return rng;
}

#define BIG_LEN (5u * 1024 * 1024)
#define BIG_BND "----LoomFormBoundary7MA4YWxkTrZu0gW"

/* a byte that is not \p c and not CR */
static uint8_t
breaker(uint8_t c)
{
	uint8_t b = (uint8_t)(c ^ (1 + rnd() % 255));

	return b == '\r' ? (c == 'x' ? 'y' : 'x') : b;
}

static const char big_delim[] = "\r\n--" BIG_BND;
static size_t big_pending;	/* the last chunk ended in this much of the delimiter */

/*
 * Fill \p p with file data: random bytes with many near-delimiters in them, and
 * often a chunk that ends inside one (the next chunk breaks it with its first byte),
 * so the parser has to hold bytes back across feeds.
 */
static void
big_fill(uint8_t *p, size_t n)
{
	const size_t dl = sizeof(big_delim) - 1;
	size_t i = 0, k;

	if (big_pending) {
		p[i++] = breaker((uint8_t)big_delim[big_pending]);
		big_pending = 0;
	}
	while (i < n) {
		if (n - i == dl && (rnd() & 1)) {
			/* end the chunk inside a delimiter */
			k = 1 + rnd() % (dl - 1);
			memset(p + i, 'z', dl - k);
			memcpy(p + n - k, big_delim, k);
			big_pending = k;
			return;
		}
		if (!(rnd() % 512) && n - i > dl + 1) {
			/* a prefix of the delimiter, then a byte that breaks it */
			k = 1 + rnd() % (dl - 1);
			memcpy(p + i, big_delim, k);
			p[i + k] = breaker((uint8_t)big_delim[k]);
			i += k + 1;
			continue;
		}
		p[i] = (uint8_t)rnd();
		if (p[i] == '\r' && (rnd() & 1))
			p[i] = '\n';
		i++;
	}
}

static void
test_big_file(void)
{
	static const char head[] =
		"--" BIG_BND "\r\n"
		"Content-Disposition: form-data; name=\"title\"\r\n\r\nholiday\r\n"
		"--" BIG_BND "\r\n"
		"Content-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
		"Content-Type: application/octet-stream\r\n\r\n";
	static const char tail[] = "\r\n--" BIG_BND "--\r\n";
	static uint8_t chunk[65536 + 64];
	struct loom_form_info info;
	struct loom_form *f;
	struct big b;
	size_t done = 0, o, n, block, calls_after_create, lag_max = 0;
	uint64_t want_hash = 0xcbf29ce484222325ull, fed = 0, want_len;
	int rc = 0;

	memset(&b, 0, sizeof(b));
	b.hash = want_hash;
	want_len = BIG_LEN + 7;	/* "holiday" */
	want_hash = fnv(want_hash, (const uint8_t *)"holiday", 7);

	loom_set_allocator(counting_realloc);
	live_bytes = peak_bytes = alloc_calls = 0;

	memset(&info, 0, sizeof(info));
	info.content_type = "multipart/form-data; boundary=\"" BIG_BND "\"";
	info.cb = big_cb;
	info.user = &b;
	info.store_len = 512;
	f = loom_form_create(&info);
	LT_CHECK(f != NULL);
	if (!f) {
		loom_set_allocator(NULL);
		return;
	}
	block = live_bytes;
	calls_after_create = alloc_calls;

	/* the head in 1..7 byte pieces */
	for (o = 0; o < sizeof(head) - 1 && !rc; o += n) {
		n = 1 + rnd() % 7;
		if (n > sizeof(head) - 1 - o)
			n = sizeof(head) - 1 - o;
		rc = loom_form_feed(f, head + o, n);
	}
	LT_CHECK_EQ(rc, 0);
	fed = 0;

	/* 5 MB of data in random pieces, 1 byte to 64 KiB */
	while (done < BIG_LEN && !rc) {
		n = (rnd() & 3) ? 1 + rnd() % 65536 : 1 + rnd() % 80;
		if (n > BIG_LEN - done)
			n = BIG_LEN - done;
		big_fill(chunk, n);
		want_hash = fnv(want_hash, chunk, n);
		rc = loom_form_feed(f, chunk, n);
		done += n;
		fed += n;
		/* streamed: at most a delimiter's length is held back */
		if (fed + 7 - b.got > lag_max)
			lag_max = (size_t)(fed + 7 - b.got);
	}
	LT_CHECK_EQ(rc, 0);

	/* the close delimiter in 1..3 byte pieces */
	for (o = 0; o < sizeof(tail) - 1 && !rc; o += n) {
		n = 1 + rnd() % 3;
		if (n > sizeof(tail) - 1 - o)
			n = sizeof(tail) - 1 - o;
		rc = loom_form_feed(f, tail + o, n);
	}
	LT_CHECK_EQ(rc, 0);
	LT_CHECK_EQ(loom_form_finish(f), 0);

	LT_CHECK_EQ(b.got, want_len);
	LT_CHECK(b.hash == want_hash);
	LT_CHECK_EQ(b.starts, 2);
	LT_CHECK_EQ(b.ends, 2);
	LT_CHECK(b.max_piece <= 65536);
	LT_CHECK(lag_max > 0 && lag_max < sizeof(big_delim) - 1);
	{
		char t[16];

		LT_CHECK_EQ(loom_form_get(f, "title", t, sizeof(t)), 7);
		LT_CHECK_EQ(loom_form_get(f, "file", t, sizeof(t)), LOOM_ENOTFOUND);
	}

	/* one allocation at create, none while parsing 5 MB */
	LT_CHECK_EQ(calls_after_create, 1);
	LT_CHECK_EQ(alloc_calls, 1);
	LT_CHECK_EQ(peak_bytes, block);
	LT_CHECK(block < 6000);
	loom_form_destroy(f);
	LT_CHECK_EQ(live_bytes, 0);
	printf("5 MB file part: block %zu bytes (store 512), %zu allocation, peak %zu, "
	       "largest piece %zu, most held back %zu\n", block, alloc_calls, peak_bytes,
	       b.max_piece, lag_max);

	/* what the defaults cost */
	memset(&info, 0, sizeof(info));
	info.content_type = URLENC;
	live_bytes = 0;
	f = loom_form_create(&info);
	printf("default block: urlencoded %zu bytes, ", live_bytes);
	loom_form_destroy(f);
	info.content_type = MP;
	f = loom_form_create(&info);
	printf("multipart %zu bytes\n", live_bytes);
	loom_form_destroy(f);
	loom_set_allocator(NULL);

	/* an allocation failure is NULL */
	loom_set_allocator(failing_realloc);
	fail_allocs = 1;
	info.content_type = MP;
	LT_CHECK(!loom_form_create(&info));
	fail_allocs = 0;
	f = loom_form_create(&info);
	LT_CHECK(f != NULL);
	loom_form_destroy(f);
	loom_set_allocator(NULL);

	/* limits whose sum overflows */
	info.max_value_len = (size_t)-1;
	LT_CHECK(!loom_form_create(&info));
}

int
main(void)
{
	test_urlencoded();
	test_urlencoded_bad();
	test_multipart();
	test_multipart_good();
	test_multipart_bad();
	test_content_types();
	test_limits();
	test_store();
	test_abort();
	test_big_file();

	return lt_result("api-test-form");
}
