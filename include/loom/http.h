/*
 * http.h: HTTP/1.1 (and later h2) as user code sees it: the known header tokens,
 * reading request headers and arguments, and the vhost's HTTP limits.
 */
#ifndef LOOM_HTTP_H
#define LOOM_HTTP_H

struct loom_conn;

/** \defgroup http HTTP
 * @{ */

/**
 * enum loom_hdr_token - the headers Loom indexes by token. Any other header is kept
 * as a custom header (loom_hdr_custom_copy(), loom_hdr_custom_foreach()).
 */
enum loom_hdr_token {
	LOOM_HDR_HOST,
	LOOM_HDR_CONNECTION,
	LOOM_HDR_CONTENT_LENGTH,
	LOOM_HDR_TRANSFER_ENCODING,
	LOOM_HDR_CONTENT_TYPE,
	LOOM_HDR_ACCEPT,
	LOOM_HDR_ACCEPT_ENCODING,
	LOOM_HDR_ACCEPT_LANGUAGE,
	LOOM_HDR_USER_AGENT,
	LOOM_HDR_REFERER,
	LOOM_HDR_COOKIE,
	LOOM_HDR_SET_COOKIE,
	LOOM_HDR_AUTHORIZATION,
	LOOM_HDR_EXPECT,
	LOOM_HDR_UPGRADE,
	LOOM_HDR_ORIGIN,
	LOOM_HDR_RANGE,
	LOOM_HDR_IF_MODIFIED_SINCE,
	LOOM_HDR_IF_NONE_MATCH,
	LOOM_HDR_IF_RANGE,
	LOOM_HDR_ETAG,
	LOOM_HDR_LAST_MODIFIED,
	LOOM_HDR_LOCATION,
	LOOM_HDR_CACHE_CONTROL,
	LOOM_HDR_DATE,
	LOOM_HDR_SERVER,
	LOOM_HDR_ACCEPT_RANGES,
	LOOM_HDR_CONTENT_RANGE,
	LOOM_HDR_CONTENT_ENCODING,
	LOOM_HDR_KEEP_ALIVE,
	LOOM_HDR_TE,
	LOOM_HDR_TRAILER,
	LOOM_HDR_PROXY_AUTHORIZATION,
	LOOM_HDR_WWW_AUTHENTICATE,
	LOOM_HDR_ALLOW,
	LOOM_HDR_VARY,
	LOOM_HDR_CONTENT_DISPOSITION,
	LOOM_HDR_X_FORWARDED_FOR,
	LOOM_HDR_SEC_WEBSOCKET_KEY,
	LOOM_HDR_SEC_WEBSOCKET_VERSION,
	LOOM_HDR_SEC_WEBSOCKET_PROTOCOL,
	LOOM_HDR_SEC_WEBSOCKET_EXTENSIONS,
	LOOM_HDR_SEC_WEBSOCKET_ACCEPT,
	LOOM_HDR_HTTP2_SETTINGS,

	LOOM_HDR_COUNT		/**< number of tokens, not a token */
};

/** request methods (LOOM_HTTP_METHOD_OTHER: see the method text) */
enum loom_http_method {
	LOOM_HTTP_METHOD_NONE,
	LOOM_HTTP_METHOD_GET,
	LOOM_HTTP_METHOD_HEAD,
	LOOM_HTTP_METHOD_POST,
	LOOM_HTTP_METHOD_PUT,
	LOOM_HTTP_METHOD_DELETE,
	LOOM_HTTP_METHOD_OPTIONS,
	LOOM_HTTP_METHOD_PATCH,
	LOOM_HTTP_METHOD_CONNECT,
	LOOM_HTTP_METHOD_TRACE,
	LOOM_HTTP_METHOD_OTHER
};

/** loom_hdr_token_name() - the lower-case header name of a token, or NULL */
const char *
loom_hdr_token_name(enum loom_hdr_token t);

/**
 * loom_hdr_token_lookup() - the token of a header name (any case), or -1 when the
 * name is not one of the known ones
 */
int
loom_hdr_token_lookup(const char *name, size_t len);

/** loom_http_method_name() - "GET" ... for a method, NULL for NONE / OTHER */
const char *
loom_http_method_name(enum loom_http_method m);

/**
 * loom_http_status_reason() - the reason phrase for a status code ("Not Found"), or
 * "Unknown" for codes without one
 */
const char *
loom_http_status_reason(unsigned int status);

/**
 * loom_urldecode() - %-decode \p in (\p len bytes) into \p out (NUL-terminated).
 * \param in: the encoded text
 * \param len: its length
 * \param out: where the decoded text goes
 * \param out_len: the size of \p out
 * \param plus_is_space: decode '+' as ' ' (query strings and urlencoded forms)
 * Returns the decoded length, or -1 on a bad escape, an encoded NUL, or when \p out
 * (\p out_len bytes) is too small.
 */
int
loom_urldecode(const char *in, size_t len, char *out, size_t out_len, int plus_is_space);

/**
 * loom_http_normalize_path() - decode and normalize a request path into \p out:
 * %-escapes decoded, "//" collapsed, "." removed, ".." applied. Returns the length,
 * or -1 if the path is not absolute, would climb above "/", has a bad escape, an
 * encoded NUL or '/', or does not fit.
 */
int
loom_http_normalize_path(const char *in, size_t len, char *out, size_t out_len);
/* ---- serving HTTP: vhost settings, mounts, responses ---- */

/** what a mount does with the requests under its mountpoint */
enum loom_http_mount_kind {
	LOOM_MOUNT_FILES,	/**< serve files from the directory \p origin */
	LOOM_MOUNT_CALLBACK,	/**< hand the request to the protocol \p origin */
	LOOM_MOUNT_REDIR_301,	/**< redirect to \p origin + the rest of the path */
	LOOM_MOUNT_REDIR_302,
	LOOM_MOUNT_REDIR_307,
	LOOM_MOUNT_REDIR_308
};

/** mount options (struct loom_http_mount.options) */
#define LOOM_MOUNT_OPT_FOLLOW_SYMLINKS	(1u << 0) /**< serve symlinks leading outside
						   *   the directory (default: refuse) */
#define LOOM_MOUNT_OPT_NO_INDEX		(1u << 1) /**< no index file for directories */

/** one extra response header for a mount */
struct loom_http_header_kv {
	const char *name;	/**< header name */
	const char *value;	/**< header value */
};

/**
 * struct loom_http_mount - a path prefix of a vhost and what serves it. Mounts form a
 * list (\p next); the longest matching mountpoint wins.
 */
struct loom_http_mount {
	const struct loom_http_mount *next;	/**< next mount, or NULL */
	const char *mountpoint;		/**< "/" or "/static" (no trailing '/') */
	const char *origin;		/**< directory, protocol name or redirect URL */
	const char *index;		/**< index file for a directory; NULL = index.html */
	enum loom_http_mount_kind kind;	/**< what serves the mount */
	unsigned int options;		/**< LOOM_MOUNT_OPT_* */
	unsigned int cache_max_age;	/**< files: Cache-Control max-age seconds; 0 = none */
	const struct loom_http_header_kv *headers; /**< extra headers, ending in NULL name */
	const struct loom_http_header_kv *mime_extra; /**< ".ext" -> type, NULL-terminated */
};

/**
 * struct loom_http_vhost_info - HTTP settings of a vhost (struct loom_vhost_info.http);
 * zero it first: 0 in any member means its default
 */
struct loom_http_vhost_info {
	unsigned int max_head_bytes;	/**< request line + headers: 431 past it (8192) */
	unsigned int max_headers;	/**< header lines: 431 past it (64) */
	unsigned int max_uri_len;	/**< request target: 414 past it (4096) */
	uint64_t max_body;		/**< request body bytes: 413 past it (1 MiB) */
	unsigned int head_timeout_secs;	/**< a request head must arrive within (10) */
	unsigned int keepalive_timeout_secs; /**< idle time between requests (5) */
	unsigned int body_timeout_secs;	/**< idle time inside a request body (10) */
	unsigned int max_requests;	/**< requests per connection, 0 = no limit */
	const struct loom_http_mount *mounts; /**< mounts, or NULL */
	const char *server_name;	/**< Server header; NULL = "loom" */
	/**
	 * open-file cache of the file mounts: files served lately are kept open, with
	 * their size, ETag and type, so the next request for one needs no open, stat
	 * or close; small ones are kept in memory and need no file syscall at all.
	 * Entries per service thread (32); LOOM_HTTP_FILE_CACHE_OFF: no cache.
	 */
	unsigned int file_cache_entries;
	/**
	 * how long a cached file is trusted (1000 ms): after that the next request
	 * opens its path again and keeps the entry only if the file is the same one,
	 * unchanged; so a file replaced or edited is served as it now is at the
	 * latest this long after. LOOM_HTTP_FILE_CACHE_OFF: no cache.
	 */
	unsigned int file_cache_valid_ms;
	/** files up to this size are cached in memory (4096, at most 16384);
	 *  LOOM_HTTP_FILE_CACHE_OFF: none */
	unsigned int file_cache_inline_max;
	/**
	 * largest response head Loom builds, in bytes: the status line, the headers
	 * and the blank line after them (over h2, the same text before HPACK). A
	 * header that would pass it makes loom_http_add_header() return LOOM_ELIMIT.
	 * Each request in progress holds a buffer of this size. 0 = 2048; from 128
	 * to 262144 (values outside are taken as the nearest).
	 */
	unsigned int max_response_head_bytes;
};

/** a file_cache_* member of struct loom_http_vhost_info set to this turns it off */
#define LOOM_HTTP_FILE_CACHE_OFF 0xffffffffu

/** content length for loom_http_respond() when it is not known: chunked on HTTP/1.1 */
#define LOOM_HTTP_LEN_UNKNOWN ((int64_t)-1)

/**
 * loom_http_respond() - start the response to the current request: the status and,
 * when \p content_type is not NULL, Content-Type, and Content-Length (or chunked
 * coding when \p content_length is LOOM_HTTP_LEN_UNKNOWN). Nothing is sent yet: add
 * headers with loom_http_add_header(), then send the body with loom_http_write_body().
 * Call it from LOOM_CB_HTTP, LOOM_CB_HTTP_BODY_COMPLETION or LOOM_CB_HTTP_WRITEABLE.
 * Returns 0 or a negative LOOM_E* error.
 */
int
loom_http_respond(struct loom_conn *conn, unsigned int status, const char *content_type,
		  int64_t content_length);

/** loom_http_add_header() - add a response header after loom_http_respond() */
int
loom_http_add_header(struct loom_conn *conn, const char *name, const char *value);

/**
 * loom_http_write_body() - send \p len bytes of body (the headers go with the first
 * call, in the same write). \p buf needs LOOM_PRE bytes of headroom. \p final ends
 * the response: the connection then takes the next request, or closes. Write once
 * per LOOM_CB_HTTP_WRITEABLE; the first write may also be made where
 * loom_http_respond() is allowed. With a known length, more bytes than declared are
 * refused (LOOM_EINVAL) and a final write short of it closes the connection.
 * Returns \p len or a negative error.
 */
int
loom_http_write_body(struct loom_conn *conn, unsigned char *buf, size_t len, int final);

/**
 * loom_http_respond_simple() - a whole response in one call: status, content type
 * and body (may be NULL / 0). For HEAD requests the body is left out.
 */
int
loom_http_respond_simple(struct loom_conn *conn, unsigned int status,
			 const char *content_type, const void *body, size_t len);

/**
 * loom_http_redirect() - answer with a redirect (301, 302, 303, 307 or 308) to
 * \p location
 */
int
loom_http_redirect(struct loom_conn *conn, unsigned int status, const char *location);

/** loom_http_method() - the method of the current request */
enum loom_http_method
loom_http_method(const struct loom_conn *conn);

/** loom_http_path() - the current request's path, decoded and normalized */
const char *
loom_http_path(const struct loom_conn *conn);

/**
 * loom_hdr_total_length() - the length of header \p t of the current request or
 * response (several lines of it are joined with ", "; Cookie with "; "), or -1 if
 * it is absent
 */
int
loom_hdr_total_length(const struct loom_conn *conn, enum loom_hdr_token t);

/**
 * loom_hdr_copy() - copy header \p t, NUL-terminated, into \p buf. Returns its
 * length, -1 if absent, LOOM_ELIMIT if \p buf (\p len bytes) is too small.
 */
int
loom_hdr_copy(const struct loom_conn *conn, char *buf, size_t len, enum loom_hdr_token t);

/**
 * loom_hdr_custom_copy() - copy a header Loom has no token for, looked up by name
 * (any case), like loom_hdr_copy()
 */
int
loom_hdr_custom_copy(const struct loom_conn *conn, char *buf, size_t len,
		     const char *name);

/** loom_hdr_custom_cb - gets each header Loom has no token for; nonzero stops */
typedef int (*loom_hdr_custom_cb)(void *user, const char *name, size_t name_len,
				  const char *value, size_t value_len);

/** loom_hdr_custom_foreach() - walk the custom headers in the order they came */
int
loom_hdr_custom_foreach(const struct loom_conn *conn, loom_hdr_custom_cb cb, void *user);

/**
 * loom_http_get_arg() - the URL-decoded value of query argument \p name of the
 * current request into \p buf. Returns its length, -1 if absent, LOOM_ELIMIT if it
 * does not fit. "?a&b=1": "a" has the empty value.
 */
int
loom_http_get_arg(const struct loom_conn *conn, const char *name, char *buf,
		  size_t len);

/** loom_http_status() - client: the response status code */
unsigned int
loom_http_status(const struct loom_conn *conn);

/**
 * loom_http_client_add_header() - add a request header; only inside
 * LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER. Returns 0, LOOM_EINVAL for a bad name or
 * value, LOOM_ELIMIT when the request head is full. On a request that followed a
 * redirect to another scheme, host or port than the caller's (see
 * LOOM_CONNECT_FOLLOW_REDIRECTS), Authorization and Cookie are not added (0 is
 * returned): the caller's credentials stay with the origin it asked.
 */
int
loom_http_client_add_header(struct loom_conn *conn, const char *name, const char *value);

/**
 * loom_http_client_body() - inside LOOM_CB_CLIENT_APPEND_HANDSHAKE_HEADER: the request
 * has a body of \p len bytes (LOOM_HTTP_LEN_UNKNOWN: chunked). Loom then calls
 * LOOM_CB_CLIENT_HTTP_WRITEABLE; send it with loom_http_write_body().
 */
int
loom_http_client_body(struct loom_conn *conn, int64_t len);

/** loom_http_mime_type() - the MIME type Loom serves for \p path ("text/html") */
const char *
loom_http_mime_type(const char *path, const struct loom_http_header_kv *extra);
/** @} */

#endif
