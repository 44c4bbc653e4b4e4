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
/** @} */

#endif
