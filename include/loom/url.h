/*
 * url.h: splitting a URL into what a client connection needs.
 */
#ifndef LOOM_URL_H
#define LOOM_URL_H

/** \defgroup url URLs
 * @{ */

/** the parts of a URL; the strings point into \p buf */
struct loom_url {
	const char *scheme;	/**< "http", "https", "ws", "wss" ... (lower case) */
	const char *host;	/**< host name or address, without [] for IPv6 */
	const char *path;	/**< path and query, "/" when the URL has none */
	int port;		/**< the port given, or the scheme's default (80/443) */
	int tls;		/**< the scheme implies TLS (https, wss) */
	char buf[1024];		/**< storage for the strings */
};

/**
 * loom_parse_url() - split "scheme://host[:port][/path][?query]" into \p u.
 * A user:password@ part is refused; a '#' fragment is dropped. Returns 0, or
 * LOOM_EINVAL for a URL that is malformed or longer than \p u->buf.
 */
int
loom_parse_url(const char *url, struct loom_url *u);
/** @} */

#endif
