/*
 * minimal-dns-lookup: resolve a host name on Loom's event loop, without blocking,
 * and print one address per line. Written to CC0 / public domain.
 *
 *   minimal-dns-lookup NAME [-s SERVER[:PORT]]... [-4 | -6] [-d LOGMASK]
 *
 * The hosts file is looked at first, then the nameservers given with -s, else those
 * of /etc/resolv.conf. Exits 0 only when the name has an address.
 */
#include <loom.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int result = 1, done;

static void
lookup_cb(struct loom_context *ctx, void *user, const struct loom_dns_result *r)
{
	unsigned int n;

	done = 1;
	if (r->status != LOOM_DNS_OK) {
		fprintf(stderr, "%s\n", r->reason);
		return;
	}
	if (strcmp(r->canonical, r->name))
		fprintf(stderr, "%s is an alias of %s\n", r->name, r->canonical);
	for (n = 0; n < r->count; n++) {
		const uint8_t *a = r->addrs[n].addr;

		if (r->addrs[n].family == 4)
			printf("%u.%u.%u.%u\n", a[0], a[1], a[2], a[3]);
		else {
			int k;

			/* full form, no :: shortening, to stay small */
			for (k = 0; k < 16; k += 2)
				printf("%x%s", (a[k] << 8) | a[k + 1], k < 14 ? ":" : "\n");
		}
	}
	result = 0;
}

int
main(int argc, char **argv)
{
	const char *servers[5] = { NULL };
	struct loom_context_info info;
	struct loom_context *ctx;
	unsigned int flags = 0, ns = 0;
	const char *name = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc && ns < 4)
			servers[ns++] = argv[++i];
		else if (!strcmp(argv[i], "-4"))
			flags |= LOOM_DNS_IPV4;
		else if (!strcmp(argv[i], "-6"))
			flags |= LOOM_DNS_IPV6;
		else if (!strcmp(argv[i], "-d") && i + 1 < argc)
			loom_set_log_level(atoi(argv[++i]), NULL);
		else if (argv[i][0] != '-' && !name)
			name = argv[i];
		else {
			name = NULL;
			break;
		}
	}
	if (!name) {
		fprintf(stderr, "usage: %s NAME [-s SERVER[:PORT]]... [-4|-6] [-d MASK]\n",
			argv[0]);
		return 2;
	}

	memset(&info, 0, sizeof(info));
	if (ns)
		info.nameservers = servers;
	ctx = loom_create_context(&info);
	if (!ctx)
		return 1;
	if (!loom_dns_lookup(ctx, 0, name, flags, lookup_cb, NULL)) {
		fprintf(stderr, "cannot start the lookup\n");
		loom_context_destroy(ctx);
		return 1;
	}
	/* the resolver's own timeouts bound this loop */
	while (!done && !loom_service(ctx, -1))
		;
	loom_context_destroy(ctx);

	return result;
}
