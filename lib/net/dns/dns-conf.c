/*
 * dns-conf.c: where the resolver's nameservers come from: the context info, or a
 * resolv.conf read once at context creation with plain fd reads (never on the
 * service thread afterwards).
 */
#include "core/private-core.h"
#include "net/dns/private-dns.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353"; returns 0 or LOOM_EINVAL */
int
loom__dns_parse_server(struct loom_sockaddr *sa, const char *text)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	long port = 53;
	size_t hl;

	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (!end || (end[1] && end[1] != ':'))
			return LOOM_EINVAL;
		hl = (size_t)(end - text - 1);
		if (hl >= sizeof(host))
			return LOOM_EINVAL;
		memcpy(host, text + 1, hl);
		host[hl] = '\0';
		colon = end[1] ? end + 1 : NULL;
	} else if (colon && strchr(text, ':') == colon) {
		hl = (size_t)(colon - text);	/* one colon: IPv4 with a port */
		if (hl >= sizeof(host))
			return LOOM_EINVAL;
		memcpy(host, text, hl);
		host[hl] = '\0';
	} else {
		if (strlen(text) >= sizeof(host))
			return LOOM_EINVAL;
		strcpy(host, text);		/* no port; bare IPv6 has many colons */
		colon = NULL;
	}
	if (colon) {
		char *e;

		port = strtol(colon + 1, &e, 10);
		if (*e || port <= 0 || port > 65535)
			return LOOM_EINVAL;
	}

	return loom__plat_sockaddr_parse(sa, host, (int)port) ? LOOM_EINVAL : 0;
}

static void
conf_line(struct loom_dns *dns, char *line)
{
	char *save = NULL, *tok = strtok_r(line, " \t\r", &save), *arg;

	if (!tok || tok[0] == '#' || tok[0] == ';')
		return;
	if (!strcmp(tok, "nameserver")) {
		arg = strtok_r(NULL, " \t\r", &save);
		if (!arg || dns->count_servers >= LOOM_DNS_MAX_SERVERS)
			return;
		if (strchr(arg, '%'))
			*strchr(arg, '%') = '\0';	/* link-local scope: not kept */
		/* "ip:port" / "[ip6]:port" too: a Loom extension, for tests */
		if (!loom__dns_parse_server(&dns->servers[dns->count_servers], arg))
			dns->count_servers++;
		return;
	}
	if (strcmp(tok, "options"))
		return;				/* search/domain lists are not used */
	while ((arg = strtok_r(NULL, " \t\r", &save))) {
		if (!strncmp(arg, "timeout:", 8) && !dns->timeout_ms && atoi(arg + 8) > 0)
			dns->timeout_ms = (unsigned int)atoi(arg + 8) * 1000;
		if (!strncmp(arg, "attempts:", 9) && !dns->attempts && atoi(arg + 9) > 0)
			dns->attempts = (unsigned int)atoi(arg + 9);
	}
}

int
loom__dns_load_resolv_conf(struct loom_dns *dns, const char *path)
{
	char line[256], chunk[512];
	size_t used = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), n, skipping = 0;

	if (fd < 0)
		return LOOM_ENOTFOUND;
	while ((n = (int)read(fd, chunk, sizeof(chunk))) > 0) {
		int i;

		for (i = 0; i < n; i++) {
			if (chunk[i] != '\n') {
				if (used < sizeof(line) - 1)
					line[used++] = chunk[i];
				else
					skipping = 1;
				continue;
			}
			line[used] = '\0';
			if (!skipping)
				conf_line(dns, line);
			used = 0;
			skipping = 0;
		}
	}
	if (used && !skipping) {
		line[used] = '\0';
		conf_line(dns, line);
	}
	close(fd);

	return 0;
}
