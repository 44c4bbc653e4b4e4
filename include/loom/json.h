/*
 * json.h: a streaming JSON parser (RFC 8259) that takes its input in any chunking,
 * keeps the current path ("s[].name.endpoint") and hands each value to a callback
 * together with which of the user's path patterns it matched. No allocation: the
 * nesting stack, the path and the value buffer are the caller's.
 */
#ifndef LOOM_JSON_H
#define LOOM_JSON_H

/** \defgroup json Streaming JSON parser
 * Paths join object keys with '.' and add "[]" for the members of an array, so
 * in `{"s":[{"a":{"port":443}}]}` the 443 is at "s[].a.port". A pattern may use
 * '*' for one whole path element (anything up to the next '.' or '['), so
 * "s[].*.port" matches it too.
 * @{ */

/** what a callback is told about */
enum loom_json_reason {
	LOOM_JSON_OBJ_START,	/**< '{': the path is the object's own */
	LOOM_JSON_OBJ_END,	/**< '}' */
	LOOM_JSON_ARR_START,	/**< '[': the path is the array's own (no "[]") */
	LOOM_JSON_ARR_END,	/**< ']' */
	LOOM_JSON_STR_CHUNK,	/**< a piece of a string value longer than the buffer */
	LOOM_JSON_STR,		/**< a string value, or its last piece */
	LOOM_JSON_INT,		/**< an integer: its text (see loom_json_to_int()) */
	LOOM_JSON_FLOAT,	/**< a number with a fraction or exponent: its text */
	LOOM_JSON_TRUE,		/**< true */
	LOOM_JSON_FALSE,	/**< false */
	LOOM_JSON_NULL,		/**< null */
	LOOM_JSON_COMPLETE	/**< the document ended (from loom_json_finish()) */
};

/** errors, returned negative; loom_json_error_string() names them */
enum loom_json_error {
	LOOM_JSON_E_SYNTAX = -1,	/**< a byte the grammar does not allow here */
	LOOM_JSON_E_DEPTH = -2,		/**< nesting deeper than the stack */
	LOOM_JSON_E_PATH = -3,		/**< the path does not fit the path buffer */
	LOOM_JSON_E_NUMBER = -4,	/**< a malformed number (leading zero, "1.", "-") */
	LOOM_JSON_E_NUM_LONG = -5,	/**< a number longer than the value buffer */
	LOOM_JSON_E_UTF8 = -6,		/**< invalid UTF-8 in a string */
	LOOM_JSON_E_ESCAPE = -7,	/**< an unknown escape or bad \\u hex */
	LOOM_JSON_E_SURROGATE = -8,	/**< a lone or misordered UTF-16 surrogate */
	LOOM_JSON_E_CTRL = -9,		/**< an unescaped control character in a string */
	LOOM_JSON_E_TRAILING = -10,	/**< something after the document's value */
	LOOM_JSON_E_TRUNCATED = -11,	/**< the input ended inside the document */
	LOOM_JSON_E_CALLBACK = -12,	/**< the callback asked to stop */
	LOOM_JSON_E_KEY = -13		/**< a key holding a NUL (\\u0000) */
};

struct loom_json;

/**
 * loom_json_cb - receives each event. \p j->match is the 1-based index of the first
 * pattern that matches the current path, or 0. For values, \p val / \p len hold
 * the decoded bytes (strings: UTF-8, NUL-terminated in the buffer; numbers: their
 * text). Return 0 to go on, anything else to stop with LOOM_JSON_E_CALLBACK.
 */
typedef int (*loom_json_cb)(struct loom_json *j, enum loom_json_reason reason,
			    const char *val, size_t len);

/** one nesting level; the caller provides an array of them */
struct loom_json_frame {
	unsigned int path_len;	/**< the container's path length */
	unsigned int index;	/**< members seen so far */
	unsigned char is_array;	/**< '[' rather than '{' */
};

/** what loom_json_init() needs; the storage stays the caller's */
struct loom_json_info {
	const char * const *paths;	/**< patterns to match, may be NULL */
	unsigned int count_paths;	/**< how many in \p paths */
	loom_json_cb cb;		/**< the event callback (required) */
	void *user;			/**< for the callback: \p j->user */
	struct loom_json_frame *stack;	/**< the nesting stack */
	unsigned int stack_size;	/**< its entries: the deepest nesting allowed */
	char *path;			/**< the path buffer */
	unsigned int path_size;		/**< its size incl. the NUL (>= 2) */
	char *buf;			/**< the value buffer */
	unsigned int buf_size;		/**< its size incl. the NUL (>= 8) */
};

/** the parser; members are readable in callbacks, set only by the parser */
struct loom_json {
	struct loom_json_info i;	/**< copy of the init info */
	void *user;			/**< i.user */
	unsigned int depth;		/**< containers open */
	unsigned int path_len;		/**< strlen(path) */
	unsigned int match;		/**< 1-based matching pattern, 0 for none */
	unsigned int line;		/**< 1-based line of the byte being looked at */
	unsigned int col;		/**< 1-based column (bytes) of that byte */
	int error;			/**< sticky: first error, or 0 */
	/** @cond private: the parser's own state */
	unsigned char st, sub, flags, lit_pos;
	unsigned char u8_need, u8_lo, u8_hi;
	unsigned int blen;
	unsigned int ucp, hi_sur;
	/** @endcond */
};

/**
 * loom_json_init() - prepare \p j to parse one document. Returns 0, or LOOM_EINVAL
 * when a buffer is missing or too small.
 */
int
loom_json_init(struct loom_json *j, const struct loom_json_info *info);

/**
 * loom_json_parse() - feed the next \p len bytes (any split). Returns 0, or a
 * negative LOOM_JSON_E_* (sticky); \p j->line / \p j->col locate the error.
 */
int
loom_json_parse(struct loom_json *j, const void *in, size_t len);

/**
 * loom_json_finish() - the input has ended: completes a pending top-level number,
 * sends LOOM_JSON_COMPLETE and returns 0, or returns LOOM_JSON_E_TRUNCATED (or an
 * earlier error) when no complete document was seen.
 */
int
loom_json_finish(struct loom_json *j);

/** loom_json_path() - the current path, NUL-terminated */
const char *
loom_json_path(const struct loom_json *j);

/**
 * loom_json_path_last() - the last element of the current path (a key, or "[]"),
 * e.g. the stream type's name at "s[].*"; \p len gets its length.
 */
const char *
loom_json_path_last(const struct loom_json *j, size_t *len);

/** loom_json_path_match() - does \p path match \p pattern ('*' = one element)? */
int
loom_json_path_match(const char *pattern, const char *path);

/**
 * loom_json_to_int() - the value of an integer's text; LOOM_EINVAL when it is not
 * an integer or does not fit a long long.
 */
int
loom_json_to_int(const char *val, size_t len, long long *out);

/** loom_json_error_string() - a short text for a LOOM_JSON_E_* value */
const char *
loom_json_error_string(int err);
/** @} */

#endif
