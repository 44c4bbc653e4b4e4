/*
 * url.c: loom_parse_url(), the URL splitting client examples and connections use.
 * Strict: the scheme must be letters, the host must be non-empty, the port a
 * number in range, and nothing that is not a URL character is let through.
 */
#include "core/private-core.h"

#include <stdlib.h>

static int
scheme_default_port(const char *s, int *tls)
{
	*tls = !strcmp(s, "https") || !strcmp(s, "wss") || !strcmp(s, "mqtts");
	if (!strcmp(s, "http") || !strcmp(s, "ws"))
		return 80;
	if (*tls && strcmp(s, "mqtts"))
		return 443;
	if (!strcmp(s, "mqtt"))
		return 1883;
	if (!strcmp(s, "mqtts"))
		return 8883;

	return -1;
}

int
loom_parse_url(const char *url, struct loom_url *u)
{
	size_t ul = url ? strlen(url) : 0, n, o = 0;
	const char *p, *colon, *end, *host_end;
	char *b;
	long port;

	if (!u || !ul || ul + 4 > sizeof(u->buf))
		return LOOM_EINVAL;
	memset(u, 0, sizeof(*u));
	b = u->buf;
	for (n = 0; n < ul; n++)
		if ((unsigned char)url[n] <= ' ' || (unsigned char)url[n] >= 127)
			return LOOM_EINVAL;

	/* scheme */
	p = strstr(url, "://");
	if (!p || p == url)
		return LOOM_EINVAL;
	for (n = 0; url + n < p; n++) {
		char c = url[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return LOOM_EINVAL;
		b[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	b[o++] = '\0';
	u->scheme = b;
	u->port = scheme_default_port(u->scheme, &u->tls);
	p += 3;

	/* authority: host[:port], up to '/', '?' or '#' */
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p)))
		return LOOM_EINVAL;	/* credentials in URLs are refused */
	if (*p == '[') {
		host_end = memchr(p, ']', (size_t)(end - p));
		if (!host_end || host_end == p + 1)
			return LOOM_EINVAL;
		u->host = b + o;
		memcpy(b + o, p + 1, (size_t)(host_end - p - 1));
		o += (size_t)(host_end - p - 1);
		colon = host_end + 1 < end ? host_end + 1 : NULL;
		if (colon && *colon != ':')
			return LOOM_EINVAL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		host_end = colon ? colon : end;
		if (host_end == p)
			return LOOM_EINVAL;
		u->host = b + o;
		memcpy(b + o, p, (size_t)(host_end - p));
		o += (size_t)(host_end - p);
	}
	b[o++] = '\0';
	if (colon) {
		char *e;

		if (colon + 1 >= end)
			return LOOM_EINVAL;
		port = strtol(colon + 1, &e, 10);
		if (e != end || port <= 0 || port > 65535)
			return LOOM_EINVAL;
		u->port = (int)port;
	}
	if (u->port < 0)
		return LOOM_EINVAL;	/* an unknown scheme needs an explicit port */

	/* path and query; the fragment is not sent */
	u->path = b + o;
	if (*end != '/')
		b[o++] = '/';
	n = strcspn(end, "#");
	memcpy(b + o, end, n);
	o += n;
	b[o] = '\0';

	return 0;
}
