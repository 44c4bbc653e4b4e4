/*
 * form.h: POST form bodies, application/x-www-form-urlencoded and
 * multipart/form-data, parsed incrementally in bounded memory. File parts are
 * streamed to a callback as they arrive; small text fields can also be kept for
 * lookup by name after the body is complete.
 */
#ifndef LOOM_FORM_H
#define LOOM_FORM_H

/** \defgroup form Form bodies
 *
 * A struct loom_form parses one request body. Create it when the request head
 * arrives, giving it the request's Content-Type value; feed it each piece of the
 * body as it arrives (pieces may be split at any byte); finish it when the body is
 * complete; destroy it. It does no I/O and allocates one block, at create, sized
 * by the limits in struct loom_form_info: nothing more however large the body is.
 *
 * Every field is reported to the callback as FIELD_START, zero or more FIELD_DATA
 * and FIELD_END, in body order. See READMEs/README.http-forms.md.
 * @{ */

struct loom_form;

/** what the body is, from its Content-Type */
enum loom_form_type {
	LOOM_FORM_URLENCODED,	/**< application/x-www-form-urlencoded */
	LOOM_FORM_MULTIPART	/**< multipart/form-data (RFC 7578) */
};

/** the callback's events, in this order for each field */
enum loom_form_event {
	/** a field begins; its name (and for a multipart part its filename and
	 * content type) is in the struct loom_form_field; no data */
	LOOM_FORM_FIELD_START,
	/** a piece of the field's value (never empty). urlencoded: the whole
	 * value, '+' and %XX decoded, in one piece. multipart: the part's raw
	 * bytes in pieces as the body arrives, cut wherever the input was cut
	 * (a file is never held whole) */
	LOOM_FORM_FIELD_DATA,
	/** the field is complete; value_len is its length; no data */
	LOOM_FORM_FIELD_END
};

/**
 * struct loom_form_field - the field being parsed, as the callback sees it. The
 * strings are the parser's, NUL-terminated and valid until FIELD_END returns.
 */
struct loom_form_field {
	const char *name;		/**< decoded field name, never empty */
	size_t name_len;		/**< its length */
	/** multipart: the filename parameter (quoted-string escapes removed; may
	 * be "" for an empty file input), NULL when the part is not a file. It
	 * comes from the client: never use it as a path as it is */
	const char *filename;
	size_t filename_len;		/**< its length, 0 when NULL */
	/** multipart: the part's Content-Type value, NULL when the part has none
	 * (RFC 7578: text/plain then) */
	const char *content_type;
	size_t content_type_len;	/**< its length, 0 when NULL */
	unsigned int index;		/**< 0 for the body's first field, then 1 ... */
	uint64_t value_len;		/**< bytes of value given so far (the total at END) */
};

/**
 * loom_form_cb - gets the form's events
 *
 * \param user: loom_form_info.user
 * \param ev: what happened
 * \param field: the current field
 * \param data: FIELD_DATA: the bytes (not NUL-terminated), else NULL
 * \param len: FIELD_DATA: how many, else 0
 *
 * Return 0 to go on. Any other value stops the parse: loom_form_feed() (or
 * loom_form_finish()) returns that value, and keeps returning it. Do not call
 * loom_form_feed() / loom_form_finish() / loom_form_destroy() on this form from
 * inside the callback.
 */
typedef int (*loom_form_cb)(void *user, enum loom_form_event ev,
			    const struct loom_form_field *field,
			    const uint8_t *data, size_t len);

/** the part Content-Type values a multipart form keeps, at most (LOOM_ELIMIT past) */
#define LOOM_FORM_MAX_PART_CTYPE	255
/** the longest multipart boundary (RFC 2046 section 5.1.1) */
#define LOOM_FORM_MAX_BOUNDARY		70

/**
 * struct loom_form_info - what loom_form_create() needs. Zero it first: 0 in a
 * limit means its default. Going past a limit is LOOM_ELIMIT.
 */
struct loom_form_info {
	/** the request's Content-Type value, e.g. "multipart/form-data;
	 * boundary=xyz"; only read by loom_form_create() */
	const char *content_type;
	/** its length; 0: \p content_type is NUL-terminated */
	size_t content_type_len;
	loom_form_cb cb;		/**< gets the events; may be NULL (store only) */
	void *user;			/**< passed to \p cb */
	/** longest field name, decoded (128) */
	size_t max_name_len;
	/** longest multipart filename, decoded (255) */
	size_t max_filename_len;
	/** urlencoded: the longest value, decoded. multipart: the most bytes of
	 * one part's header block (all its lines, CRLFs included), and of a kept
	 * text value when \p store_len is set (4096) */
	size_t max_value_len;
	/** the most fields (urlencoded pairs, multipart parts) in one body (64) */
	unsigned int max_fields;
	/** the most body bytes fed in all, preamble and epilogue included;
	 * 0 = no limit (the HTTP layer bounds bodies too) */
	uint64_t max_total;
	/** bytes for keeping the names and values of the non-file fields, for
	 * loom_form_get() / loom_form_value(); each kept field costs its name
	 * and value lengths + 10 bytes. 0 = keep nothing. When set, a field
	 * that does not fit is LOOM_ELIMIT */
	size_t store_len;
};

/**
 * loom_form_create() - a parser for one body
 *
 * \param info: the content type, callback and limits (read only during the call)
 *
 * Accepts "application/x-www-form-urlencoded" and "multipart/form-data" (any
 * case, with parameters); multipart needs a valid boundary parameter (1 to 70
 * characters of RFC 2046 bchars, token or quoted-string). Returns NULL for any
 * other or malformed content type, for limits whose sum overflows, or when the
 * allocation fails.
 */
struct loom_form *
loom_form_create(const struct loom_form_info *info);

/**
 * loom_form_feed() - parse the next \p len bytes of the body
 *
 * Calls the callback for what they complete. Returns 0, or an error, after which
 * the form is stuck and returns the same error again:
 * - LOOM_EINVAL: malformed. urlencoded: a bad %-escape, an encoded or raw NUL, a
 *   pair with a value but an empty name. multipart: a part header line without
 *   CRLF or ':' or with a control character, obs-fold, a missing or duplicated
 *   Content-Disposition, one that is not form-data or has no (or an empty) name,
 *   a boundary followed by anything but "--", padding and CRLF.
 * - LOOM_ELIMIT: a limit of struct loom_form_info was passed.
 * - the callback's nonzero return.
 * - LOOM_EBUSY when called from inside the callback.
 */
int
loom_form_feed(struct loom_form *f, const void *data, size_t len);

/**
 * loom_form_finish() - the body is complete
 *
 * urlencoded: completes the last field. multipart: the close delimiter
 * "--boundary--" must have been seen (what follows it, the epilogue, is ignored).
 * Returns 0, LOOM_EINVAL when the body ended inside a field, a %-escape or before
 * the close delimiter, or the error that stopped the parse before.
 */
int
loom_form_finish(struct loom_form *f);

/** loom_form_type() - what kind of body \p f parses */
enum loom_form_type
loom_form_type(const struct loom_form *f);

/**
 * loom_form_value() - a kept field (info.store_len): the value of the \p n-th
 * (0-based) field called \p name (names compare exactly), NUL-terminated; \p len
 * gets its length if not NULL. NULL when there is no such field. Valid until
 * loom_form_destroy(); after loom_form_finish() returned 0 every non-file field
 * is there.
 */
const char *
loom_form_value(const struct loom_form *f, const char *name, unsigned int n,
		size_t *len);

/**
 * loom_form_get() - copy the value of the first kept field called \p name,
 * NUL-terminated, into \p buf (\p len bytes). Returns its length, LOOM_ENOTFOUND,
 * or LOOM_ELIMIT when it does not fit (\p buf then holds "").
 */
int
loom_form_get(const struct loom_form *f, const char *name, char *buf, size_t len);

/** loom_form_destroy() - free the parser; NULL is allowed */
void
loom_form_destroy(struct loom_form *f);
/** @} */

#endif
