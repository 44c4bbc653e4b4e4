/*
 * json.c: the streaming JSON parser of include/loom/json.h. One byte at a time
 * through a small state machine, so input may be split anywhere; the path, the
 * nesting stack and the value buffer are the caller's, so nothing is allocated.
 */
#include "core/private-core.h"

#include <limits.h>

enum {
	ST_VALUE,		/* a value must come */
	ST_VALUE_OR_AEND,	/* just after '[' */
	ST_KEY_OR_OEND,		/* just after '{' */
	ST_KEY,			/* after ',' in an object */
	ST_STRING,
	ST_COLON,
	ST_AFTER,		/* after a member: ',' or the container's end */
	ST_NUMBER,
	ST_LITERAL,
	ST_DONE			/* the document's value is complete */
};

enum { SS_NORMAL, SS_ESC, SS_U, SS_SUR_BS, SS_SUR_U };
enum { N_MINUS, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP };

#define F_KEY		1	/* the string being read is a key */
#define F_FLOAT		2	/* the number has a fraction or exponent */

static const char * const literals[] = { "true", "false", "null" };
static const enum loom_json_reason lit_reason[] = {
	LOOM_JSON_TRUE, LOOM_JSON_FALSE, LOOM_JSON_NULL
};

int
loom_json_init(struct loom_json *j, const struct loom_json_info *info)
{
	if (!j || !info || !info->cb || !info->stack || !info->stack_size ||
	    !info->path || info->path_size < 2 || !info->buf || info->buf_size < 8 ||
	    (info->count_paths && !info->paths))
		return LOOM_EINVAL;

	memset(j, 0, sizeof(*j));
	j->i = *info;
	j->user = info->user;
	j->line = 1;
	j->st = ST_VALUE;
	j->i.path[0] = '\0';
	j->i.buf[0] = '\0';

	return 0;
}

const char *
loom_json_path(const struct loom_json *j)
{
	return j->i.path;
}

const char *
loom_json_path_last(const struct loom_json *j, size_t *len)
{
	const char *p = j->i.path, *e = p + j->path_len, *s = e;

	if (s - p >= 2 && s[-1] == ']' && s[-2] == '[')
		s -= 2;
	else
		while (s > p && s[-1] != '.' && s[-1] != ']')
			s--;
	if (len)
		*len = (size_t)(e - s);

	return s;
}

int
loom_json_path_match(const char *pat, const char *path)
{
	while (*pat) {
		if (*pat == '*') {
			/* one whole element: at least one byte, up to '.' or '[' */
			if (!*path || *path == '.' || *path == '[')
				return 0;
			while (*path && *path != '.' && *path != '[')
				path++;
			pat++;
			continue;
		}
		if (*pat != *path)
			return 0;
		pat++;
		path++;
	}

	return !*path;
}

static void
update_match(struct loom_json *j)
{
	unsigned int n;

	j->match = 0;
	for (n = 0; n < j->i.count_paths; n++)
		if (j->i.paths[n] && loom_json_path_match(j->i.paths[n], j->i.path)) {
			j->match = n + 1;
			return;
		}
}

static int
fail(struct loom_json *j, int err)
{
	if (!j->error)
		j->error = err;

	return j->error;
}

static int
emit(struct loom_json *j, enum loom_json_reason r, const char *val, size_t len)
{
	if (j->i.cb(j, r, val, len))
		return fail(j, LOOM_JSON_E_CALLBACK);

	return 0;
}

static void
set_path_len(struct loom_json *j, unsigned int len)
{
	j->path_len = len;
	j->i.path[len] = '\0';
}

static int
path_append(struct loom_json *j, const char *s, size_t n)
{
	if (j->path_len + n >= j->i.path_size)
		return fail(j, LOOM_JSON_E_PATH);
	memcpy(j->i.path + j->path_len, s, n);
	set_path_len(j, j->path_len + (unsigned int)n);

	return 0;
}

/* one decoded byte of a string: to the path for a key, else to the buffer */
static int
put_byte(struct loom_json *j, unsigned char c)
{
	if (j->flags & F_KEY) {
		if (!c)
			return fail(j, LOOM_JSON_E_KEY);
		return path_append(j, (const char *)&c, 1);
	}
	if (j->blen + 1 >= j->i.buf_size) {
		j->i.buf[j->blen] = '\0';
		if (emit(j, LOOM_JSON_STR_CHUNK, j->i.buf, j->blen))
			return j->error;
		j->blen = 0;
	}
	j->i.buf[j->blen++] = (char)c;

	return 0;
}

static int
put_codepoint(struct loom_json *j, unsigned int cp)
{
	unsigned char u[4];
	int n, k;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	for (k = 0; k < n; k++)
		if (put_byte(j, u[k]))
			return j->error;

	return 0;
}

/* a value ended: what comes next depends on whether we are in a container */
static void
value_done(struct loom_json *j)
{
	j->st = j->depth ? ST_AFTER : ST_DONE;
}

static int
push(struct loom_json *j, int is_array)
{
	struct loom_json_frame *f;

	if (j->depth >= j->i.stack_size)
		return fail(j, LOOM_JSON_E_DEPTH);
	if (emit(j, is_array ? LOOM_JSON_ARR_START : LOOM_JSON_OBJ_START, NULL, 0))
		return j->error;
	f = &j->i.stack[j->depth++];
	f->path_len = j->path_len;
	f->index = 0;
	f->is_array = (unsigned char)is_array;
	if (is_array) {
		if (path_append(j, "[]", 2))
			return j->error;
		update_match(j);
		j->st = ST_VALUE_OR_AEND;
	} else
		j->st = ST_KEY_OR_OEND;

	return 0;
}

static int
pop(struct loom_json *j, int is_array)
{
	struct loom_json_frame *f = &j->i.stack[j->depth - 1];

	if (f->is_array != is_array)
		return fail(j, LOOM_JSON_E_SYNTAX);
	set_path_len(j, f->path_len);
	j->depth--;
	update_match(j);
	if (emit(j, is_array ? LOOM_JSON_ARR_END : LOOM_JSON_OBJ_END, NULL, 0))
		return j->error;
	value_done(j);

	return 0;
}

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
start_value(struct loom_json *j, unsigned char c)
{
	switch (c) {
	case '{':
		return push(j, 0);
	case '[':
		return push(j, 1);
	case '"':
		j->st = ST_STRING;
		j->sub = SS_NORMAL;
		j->flags = 0;
		j->blen = 0;
		j->u8_need = 0;
		return 0;
	case 't':
	case 'f':
	case 'n':
		j->st = ST_LITERAL;
		j->sub = (unsigned char)(c == 't' ? 0 : c == 'f' ? 1 : 2);
		j->lit_pos = 1;
		return 0;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		j->st = ST_NUMBER;
		j->flags = 0;
		j->sub = c == '-' ? N_MINUS : c == '0' ? N_ZERO : N_INT;
		j->i.buf[0] = (char)c;
		j->blen = 1;
		return 0;
	}

	return fail(j, LOOM_JSON_E_SYNTAX);
}

static int
start_key(struct loom_json *j)
{
	struct loom_json_frame *f = &j->i.stack[j->depth - 1];

	set_path_len(j, f->path_len);
	if (f->path_len && path_append(j, ".", 1))
		return j->error;
	j->st = ST_STRING;
	j->sub = SS_NORMAL;
	j->flags = F_KEY;
	j->u8_need = 0;

	return 0;
}

static int
number_end(struct loom_json *j)
{
	if (j->sub != N_ZERO && j->sub != N_INT && j->sub != N_FRAC && j->sub != N_EXP)
		return fail(j, LOOM_JSON_E_NUMBER);
	j->i.buf[j->blen] = '\0';
	if (emit(j, (j->flags & F_FLOAT) ? LOOM_JSON_FLOAT : LOOM_JSON_INT,
		 j->i.buf, j->blen))
		return j->error;
	value_done(j);

	return 0;
}

/* one byte of a number; returns 1 when \p c is not part of it */
static int
number_byte(struct loom_json *j, unsigned char c)
{
	int digit = c >= '0' && c <= '9';

	switch (j->sub) {
	case N_MINUS:
		if (!digit)
			return fail(j, LOOM_JSON_E_NUMBER);
		j->sub = c == '0' ? N_ZERO : N_INT;
		break;
	case N_ZERO:
	case N_INT:
		if (digit) {
			if (j->sub == N_ZERO)
				return fail(j, LOOM_JSON_E_NUMBER);
			break;
		}
		if (c == '.') {
			j->sub = N_DOT;
			break;
		}
		if (c == 'e' || c == 'E') {
			j->sub = N_E;
			break;
		}
		return 1;
	case N_DOT:
		if (!digit)
			return fail(j, LOOM_JSON_E_NUMBER);
		j->sub = N_FRAC;
		break;
	case N_FRAC:
		if (digit)
			break;
		if (c == 'e' || c == 'E') {
			j->sub = N_E;
			break;
		}
		return 1;
	case N_E:
		if (c == '+' || c == '-') {
			j->sub = N_ESIGN;
			break;
		}
		/* fallthrough */
	case N_ESIGN:
		if (!digit)
			return fail(j, LOOM_JSON_E_NUMBER);
		j->sub = N_EXP;
		break;
	case N_EXP:
		if (!digit)
			return 1;
		break;
	}
	if (j->sub >= N_DOT)
		j->flags |= F_FLOAT;
	if (j->blen + 1 >= j->i.buf_size)
		return fail(j, LOOM_JSON_E_NUM_LONG);
	j->i.buf[j->blen++] = (char)c;

	return 0;
}

static int
hexval(unsigned char c)
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
string_end(struct loom_json *j)
{
	if (j->flags & F_KEY) {
		update_match(j);
		j->st = ST_COLON;
		return 0;
	}
	j->i.buf[j->blen] = '\0';
	if (emit(j, LOOM_JSON_STR, j->i.buf, j->blen))
		return j->error;
	value_done(j);

	return 0;
}

static int
escape_u_done(struct loom_json *j)
{
	unsigned int cp = j->ucp;

	j->sub = SS_NORMAL;
	if (j->hi_sur) {
		if (cp < 0xdc00 || cp > 0xdfff)
			return fail(j, LOOM_JSON_E_SURROGATE);
		cp = 0x10000 + ((j->hi_sur - 0xd800) << 10) + (cp - 0xdc00);
		j->hi_sur = 0;
		return put_codepoint(j, cp);
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		j->hi_sur = cp;
		j->sub = SS_SUR_BS;
		return 0;
	}
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(j, LOOM_JSON_E_SURROGATE);

	return put_codepoint(j, cp);
}

/* UTF-8 validation of raw string bytes: RFC 3629 table 3-7 */
static int
utf8_byte(struct loom_json *j, unsigned char c)
{
	if (j->u8_need) {
		if (c < j->u8_lo || c > j->u8_hi)
			return fail(j, LOOM_JSON_E_UTF8);
		j->u8_need--;
		j->u8_lo = 0x80;
		j->u8_hi = 0xbf;
		return 0;
	}
	if (c < 0x80)
		return 0;
	j->u8_lo = 0x80;
	j->u8_hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		j->u8_need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		j->u8_need = 2;
		if (c == 0xe0)
			j->u8_lo = 0xa0;
		if (c == 0xed)
			j->u8_hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		j->u8_need = 3;
		if (c == 0xf0)
			j->u8_lo = 0x90;
		if (c == 0xf4)
			j->u8_hi = 0x8f;
	} else
		return fail(j, LOOM_JSON_E_UTF8);

	return 0;
}

static int
string_byte(struct loom_json *j, unsigned char c)
{
	int h;

	switch (j->sub) {
	case SS_NORMAL:
		if (j->u8_need || c >= 0x80) {
			if (utf8_byte(j, c))
				return j->error;
			return put_byte(j, c);
		}
		if (c == '"')
			return string_end(j);
		if (c == '\\') {
			j->sub = SS_ESC;
			return 0;
		}
		if (c < 0x20)
			return fail(j, LOOM_JSON_E_CTRL);
		return put_byte(j, c);
	case SS_ESC:
		j->sub = SS_NORMAL;
		switch (c) {
		case '"': case '\\': case '/':
			return put_byte(j, c);
		case 'b':
			return put_byte(j, '\b');
		case 'f':
			return put_byte(j, '\f');
		case 'n':
			return put_byte(j, '\n');
		case 'r':
			return put_byte(j, '\r');
		case 't':
			return put_byte(j, '\t');
		case 'u':
			j->sub = SS_U;
			j->ucp = 0;
			j->lit_pos = 0;
			return 0;
		}
		return fail(j, LOOM_JSON_E_ESCAPE);
	case SS_U:
		h = hexval(c);
		if (h < 0)
			return fail(j, LOOM_JSON_E_ESCAPE);
		j->ucp = (j->ucp << 4) | (unsigned int)h;
		if (++j->lit_pos == 4)
			return escape_u_done(j);
		return 0;
	case SS_SUR_BS:
		if (c != '\\')
			return fail(j, LOOM_JSON_E_SURROGATE);
		j->sub = SS_SUR_U;
		return 0;
	case SS_SUR_U:
		if (c != 'u')
			return fail(j, LOOM_JSON_E_SURROGATE);
		j->sub = SS_U;
		j->ucp = 0;
		j->lit_pos = 0;
		return 0;
	}

	return fail(j, LOOM_JSON_E_SYNTAX);
}

static int
literal_byte(struct loom_json *j, unsigned char c)
{
	const char *lit = literals[j->sub];

	if ((unsigned char)lit[j->lit_pos] != c)
		return fail(j, LOOM_JSON_E_SYNTAX);
	if (lit[++j->lit_pos])
		return 0;
	if (emit(j, lit_reason[j->sub], lit, j->lit_pos))
		return j->error;
	value_done(j);

	return 0;
}

/* one byte in the current state; returns 1 when it must be looked at again */
static int
step(struct loom_json *j, unsigned char c)
{
	struct loom_json_frame *f;

	switch (j->st) {
	case ST_STRING:
		return string_byte(j, c);
	case ST_NUMBER:
		if (number_byte(j, c) != 1)
			return j->error;
		if (number_end(j))
			return j->error;
		return 1;
	case ST_LITERAL:
		return literal_byte(j, c);
	}
	if (is_ws(c))
		return 0;

	switch (j->st) {
	case ST_VALUE_OR_AEND:
		if (c == ']')
			return pop(j, 1);
		/* fallthrough */
	case ST_VALUE:
		return start_value(j, c);
	case ST_KEY_OR_OEND:
		if (c == '}')
			return pop(j, 0);
		/* fallthrough */
	case ST_KEY:
		if (c != '"')
			return fail(j, LOOM_JSON_E_SYNTAX);
		return start_key(j);
	case ST_COLON:
		if (c != ':')
			return fail(j, LOOM_JSON_E_SYNTAX);
		j->st = ST_VALUE;
		return 0;
	case ST_AFTER:
		f = &j->i.stack[j->depth - 1];
		if (c == ',') {
			f->index++;
			if (f->is_array) {
				j->st = ST_VALUE;
				return 0;
			}
			j->st = ST_KEY;
			return 0;
		}
		if (c == ']' || c == '}')
			return pop(j, c == ']');
		return fail(j, LOOM_JSON_E_SYNTAX);
	case ST_DONE:
		return fail(j, LOOM_JSON_E_TRAILING);
	}

	return fail(j, LOOM_JSON_E_SYNTAX);
}

int
loom_json_parse(struct loom_json *j, const void *in, size_t len)
{
	const unsigned char *p = in, *e = p + len;
	int r;

	if (j->error)
		return j->error;

	while (p < e) {
		j->col++;
		do
			r = step(j, *p);
		while (r == 1);
		if (r)
			return r;
		if (*p == '\n') {
			j->line++;
			j->col = 0;
		}
		p++;
	}

	return 0;
}

int
loom_json_finish(struct loom_json *j)
{
	if (j->error)
		return j->error;
	if (j->st == ST_NUMBER && !j->depth && number_end(j))
		return j->error;
	if (j->st != ST_DONE)
		return fail(j, LOOM_JSON_E_TRUNCATED);

	return emit(j, LOOM_JSON_COMPLETE, NULL, 0);
}

int
loom_json_to_int(const char *val, size_t len, long long *out)
{
	unsigned long long v = 0, lim;
	size_t n = 0;
	int neg = 0;

	if (!val || !len)
		return LOOM_EINVAL;
	if (val[0] == '-') {
		neg = 1;
		n = 1;
	}
	if (n == len)
		return LOOM_EINVAL;
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
	for (; n < len; n++) {
		if (val[n] < '0' || val[n] > '9')
			return LOOM_EINVAL;
		if (v > (lim - (unsigned long long)(val[n] - '0')) / 10)
			return LOOM_EINVAL;
		v = v * 10 + (unsigned long long)(val[n] - '0');
	}
	if (neg)
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
	else
		*out = (long long)v;

	return 0;
}

const char *
loom_json_error_string(int err)
{
	static const char * const s[] = {
		"syntax error", "nesting too deep", "path too long",
		"malformed number", "number too long", "invalid UTF-8",
		"bad escape", "bad UTF-16 surrogate", "control character in string",
		"trailing data after the document", "document truncated",
		"stopped by callback", "bad key"
	};

	if (err <= -1 && err >= -(int)(sizeof(s) / sizeof(s[0])))
		return s[-err - 1];

	return "unknown JSON error";
}
