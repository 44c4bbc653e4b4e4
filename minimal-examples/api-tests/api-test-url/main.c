/*
 * api-test-url: loom_parse_url(), what it splits and what it refuses: every
 * scheme's default port, IPv6 literals, explicit ports at their edges, path, query
 * and fragment, and each malformed form (control or non-ASCII bytes, no or bad
 * scheme, credentials, bad brackets, empty host, bad or out-of-range port, an
 * unknown scheme without a port, a URL longer than the buffer).
 */
#include <loom.h>
#include "loom-test.h"

#include <string.h>

struct ok_case {
	const char *url, *scheme, *host, *path;
	int port, tls;
};

static const struct ok_case oks[] = {
	{ "http://example.com", "http", "example.com", "/", 80, 0 },
	{ "HTTPS://Example.com/", "https", "Example.com", "/", 443, 1 },
	{ "ws://h/chat?x=1", "ws", "h", "/chat?x=1", 80, 0 },
	{ "wss://h:8443/a/b", "wss", "h", "/a/b", 8443, 1 },
	{ "mqtt://broker", "mqtt", "broker", "/", 1883, 0 },
	{ "mqtts://broker", "mqtts", "broker", "/", 8883, 1 },
	{ "http://[::1]:7681/x", "http", "::1", "/x", 7681, 0 },
	{ "https://[fe80::1]/", "https", "fe80::1", "/", 443, 1 },
	{ "http://h?q", "http", "h", "/?q", 80, 0 },
	{ "http://h/p#frag", "http", "h", "/p", 80, 0 },
	{ "http://h#frag", "http", "h", "/", 80, 0 },
	{ "raw://10.0.0.1:1", "raw", "10.0.0.1", "/", 1, 0 },
	{ "foo://h:65535", "foo", "h", "/", 65535, 0 },
};

static const char *const bads[] = {
	"",			/* empty */
	"http://h/a b",		/* a space */
	"http://h/\x01",	/* a control byte */
	"http://h/\xc3\xa9",	/* not ASCII */
	"h/path",		/* no scheme */
	"://h",			/* empty scheme */
	"ht1p://h",		/* not letters */
	"ht-p://h",
	"http://u:p@h/",	/* credentials */
	"http://u@h",
	"http://[::1/x",	/* no ']' */
	"http://[]/",		/* empty IPv6 literal */
	"http://[::1]x/",	/* junk after ']' */
	"http://",		/* no host */
	"http:///path",
	"http://:80/",
	"http://h:/",		/* ':' and no port */
	"http://h:x/",		/* not a number */
	"http://h:80x/",
	"http://h:0/",		/* out of range */
	"http://h:65536/",
	"http://h:-1/",
	"foo://h/",		/* unknown scheme, no port */
};

int
main(void)
{
	struct loom_url u;
	char big[sizeof(u.buf) + 16];
	size_t i;

	for (i = 0; i < sizeof(oks) / sizeof(oks[0]); i++) {
		const struct ok_case *c = &oks[i];
		int r = loom_parse_url(c->url, &u);

		LT_CHECK_EQ(r, 0);
		if (r) {
			fprintf(stderr, "  refused: %s\n", c->url);
			continue;
		}
		LT_CHECK(!strcmp(u.scheme, c->scheme));
		LT_CHECK(!strcmp(u.host, c->host));
		LT_CHECK(!strcmp(u.path, c->path));
		LT_CHECK_EQ(u.port, c->port);
		LT_CHECK_EQ(u.tls, c->tls);
	}
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		int r = loom_parse_url(bads[i], &u);

		LT_CHECK_EQ(r, LOOM_EINVAL);
		if (r != LOOM_EINVAL)
			fprintf(stderr, "  taken: %s\n", bads[i]);
	}
	LT_CHECK_EQ(loom_parse_url(NULL, &u), LOOM_EINVAL);
	LT_CHECK_EQ(loom_parse_url("http://h/", NULL), LOOM_EINVAL);

	/* the length limit: buf holds the URL plus the NULs and an added '/' */
	memcpy(big, "http://h/", 9);
	memset(big + 9, 'a', sizeof(big) - 10);
	big[sizeof(u.buf) - 4] = '\0';		/* the longest taken */
	LT_CHECK_EQ(loom_parse_url(big, &u), 0);
	LT_CHECK_EQ(strlen(u.path), sizeof(u.buf) - 4 - 8);
	big[sizeof(u.buf) - 4] = 'a';
	big[sizeof(u.buf) - 3] = '\0';		/* one more: refused */
	LT_CHECK_EQ(loom_parse_url(big, &u), LOOM_EINVAL);

	return lt_result("api-test-url");
}
