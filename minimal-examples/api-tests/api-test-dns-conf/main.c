/*
 * api-test-dns-conf: where the resolver's nameservers come from
 * (lib/net/dns/dns-conf.c): the "ip", "ip:port", "ip6", "[ip6]:port" forms and
 * each malformed one; and a resolv.conf read with comments, options, a scope id,
 * an overlong line, more servers than kept, bad entries and no final newline.
 */
#include "core/private-core.h"
#include "net/dns/private-dns.h"
#include "loom-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the family, address text and port of a parsed server */
static int
server_is(const struct loom_sockaddr *sa, int family, const char *addr, int port)
{
	char txt[64];

	if (family == AF_INET) {
		struct sockaddr_in s4;

		memcpy(&s4, sa->u.raw, sizeof(s4));
		return s4.sin_family == AF_INET && ntohs(s4.sin_port) == port &&
		       inet_ntop(AF_INET, &s4.sin_addr, txt, sizeof(txt)) &&
		       !strcmp(txt, addr);
	} else {
		struct sockaddr_in6 s6;

		memcpy(&s6, sa->u.raw, sizeof(s6));
		return s6.sin6_family == AF_INET6 && ntohs(s6.sin6_port) == port &&
		       inet_ntop(AF_INET6, &s6.sin6_addr, txt, sizeof(txt)) &&
		       !strcmp(txt, addr);
	}
}

static const char *const bad_servers[] = {
	"[::1",			/* no ']' */
	"[::1]x",		/* not ':' after ']' */
	"[::1]:",		/* no port */
	"[::1]:0",
	"1.2.3.4:65536",
	"1.2.3.4:53x",
	"1.2.3.4:-5",
	"not-an-address",
	"1.2.3.999",
	"[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]:53",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:53",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

int
main(void)
{
	struct loom_sockaddr sa;
	struct loom_dns *dns;
	char path[] = "/tmp/loom-dns-conf.XXXXXX", longline[400];
	size_t i;
	FILE *f;
	int fd;

	LT_CHECK_EQ(loom__dns_parse_server(&sa, "192.0.2.1"), 0);
	LT_CHECK(server_is(&sa, AF_INET, "192.0.2.1", 53));
	LT_CHECK_EQ(loom__dns_parse_server(&sa, "192.0.2.1:5353"), 0);
	LT_CHECK(server_is(&sa, AF_INET, "192.0.2.1", 5353));
	LT_CHECK_EQ(loom__dns_parse_server(&sa, "2001:db8::1"), 0);
	LT_CHECK(server_is(&sa, AF_INET6, "2001:db8::1", 53));
	LT_CHECK_EQ(loom__dns_parse_server(&sa, "[::1]:65535"), 0);
	LT_CHECK(server_is(&sa, AF_INET6, "::1", 65535));
	LT_CHECK_EQ(loom__dns_parse_server(&sa, "[::1]"), 0);
	LT_CHECK(server_is(&sa, AF_INET6, "::1", 53));
	for (i = 0; i < sizeof(bad_servers) / sizeof(bad_servers[0]); i++) {
		int r = loom__dns_parse_server(&sa, bad_servers[i]);

		LT_CHECK_EQ(r, LOOM_EINVAL);
		if (r != LOOM_EINVAL)
			fprintf(stderr, "  taken: %s\n", bad_servers[i]);
	}

	dns = calloc(1, sizeof(*dns));
	LT_CHECK(dns != NULL);
	if (!dns)
		return lt_result("api-test-dns-conf");
	LT_CHECK_EQ(loom__dns_load_resolv_conf(dns, "/nonexistent/resolv.conf"),
		    LOOM_ENOTFOUND);

	fd = mkstemp(path);
	LT_CHECK(fd >= 0);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	LT_CHECK(f != NULL);
	if (!f) {
		free(dns);
		return lt_result("api-test-dns-conf");
	}
	/* a nameserver line longer than the reader's line buffer is skipped whole */
	memset(longline, ' ', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "nameserver", 10);
	memcpy(longline + sizeof(longline) - 9, "10.9.9.9", 8);
	fprintf(f, "# a comment\n"
		   "; another\n"
		   "\n"
		   "search example.com\n"
		   "domain example.com\n"
		   "nameserver\n"			/* no address */
		   "nameserver bogus\n"		/* not an address */
		   "%s\n"
		   "nameserver 192.0.2.1\n"
		   "nameserver\t192.0.2.2:5353\r\n"
		   "options ndots:1 timeout:3 attempts:4 rotate\n"
		   "options timeout:9 attempts:9\n"	/* the first one counts */
		   "nameserver fe80::1%%eth0\n"		/* scope id dropped */
		   "nameserver [::1]:5300\n"
		   "nameserver 192.0.2.5\n"		/* a fifth: not kept */
		   "options timeout:0", longline);	/* no final newline */
	fclose(f);
	LT_CHECK_EQ(loom__dns_load_resolv_conf(dns, path), 0);
	unlink(path);
	LT_CHECK_EQ(dns->count_servers, 4);
	LT_CHECK(server_is(&dns->servers[0], AF_INET, "192.0.2.1", 53));
	LT_CHECK(server_is(&dns->servers[1], AF_INET, "192.0.2.2", 5353));
	LT_CHECK(server_is(&dns->servers[2], AF_INET6, "fe80::1", 53));
	LT_CHECK(server_is(&dns->servers[3], AF_INET6, "::1", 5300));
	LT_CHECK_EQ(dns->timeout_ms, 3000);
	LT_CHECK_EQ(dns->attempts, 4);
	free(dns);

	return lt_result("api-test-dns-conf");
}
