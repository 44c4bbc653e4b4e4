/*
 * hosts.c: the hosts file, read once when the context is created so name lookups
 * on the service thread never touch the disk. Until the async resolver lands, it is
 * the only source of names for client connections.
 */
#include "core/private-core.h"

#include <ctype.h>
#include <fcntl.h>
#include <unistd.h>

#define LOOM_HOSTS_MAX_ENTRIES 256
#define LOOM_HOSTS_MAX_NAME 253

static int
loom_hosts_add(struct loom_context *ctx, const char *name, int fam, const uint8_t *addr)
{
	struct loom_hosts_entry *e;

	if (ctx->count_hosts >= LOOM_HOSTS_MAX_ENTRIES)
		return 0;
	if (!(ctx->count_hosts & 15)) {
		e = loom_realloc(ctx->hosts, (ctx->count_hosts + 16) * sizeof(*e), "hosts");
		if (!e)
			return LOOM_ENOMEM;
		ctx->hosts = e;
	}
	e = &ctx->hosts[ctx->count_hosts];
	e->name = loom__strdup(name, "hosts name");
	if (!e->name)
		return LOOM_ENOMEM;
	memset(e->addr, 0, sizeof(e->addr));
	e->family = (uint8_t)fam;
	memcpy(e->addr, addr, fam == 4 ? 4 : 16);
	ctx->count_hosts++;

	return 0;
}

/* one line: address, then names, '#' starts a comment */
static int
loom_hosts_line(struct loom_context *ctx, char *line)
{
	char *tok, *save = NULL, *hash = strchr(line, '#');
	uint8_t addr[16];
	int fam;

	if (hash)
		*hash = '\0';
	tok = strtok_r(line, " \t\r\n", &save);
	if (!tok)
		return 0;
	fam = loom__plat_ip_parse(tok, addr);
	if (!fam)
		return 0;
	while ((tok = strtok_r(NULL, " \t\r\n", &save))) {
		if (strlen(tok) > LOOM_HOSTS_MAX_NAME)
			continue;
		if (loom_hosts_add(ctx, tok, fam, addr))
			return LOOM_ENOMEM;
	}

	return 0;
}

/*
 * read with the OS's fd calls (stdio would allocate behind the hook's back); not the
 * platform's: on lwIP those are socket calls, and a file is not an lwIP socket
 */
int
loom__hosts_load(struct loom_context *ctx, const char *path)
{
	char line[512], chunk[1024];
	size_t used = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), n, r = 0, skipping = 0;

	if (fd < 0)
		return LOOM_ENOTFOUND;	/* no hosts file: numeric addresses only */
	while (!r && (n = (int)read(fd, chunk, sizeof(chunk))) > 0) {
		int i;

		for (i = 0; i < n && !r; i++) {
			if (chunk[i] != '\n') {
				if (used < sizeof(line) - 1)
					line[used++] = chunk[i];
				else
					skipping = 1;	/* an over-long line is ignored */
				continue;
			}
			line[used] = '\0';
			if (!skipping)
				r = loom_hosts_line(ctx, line);
			used = 0;
			skipping = 0;
		}
	}
	if (!r && used && !skipping) {
		line[used] = '\0';
		r = loom_hosts_line(ctx, line);
	}
	close(fd);

	return r;
}

void
loom__hosts_free(struct loom_context *ctx)
{
	unsigned int n;

	for (n = 0; n < ctx->count_hosts; n++)
		loom_free(ctx->hosts[n].name);
	loom_free(ctx->hosts);
	ctx->hosts = NULL;
	ctx->count_hosts = 0;
}

static int
loom_name_eq(const char *a, const char *b)
{
	while (*a && *b && tolower((unsigned char)*a) == tolower((unsigned char)*b)) {
		a++;
		b++;
	}

	return *a == *b;
}

/*
 * Find up to \p max addresses for \p name, IPv6 ones first as the hosts file lists
 * them. Writes families (4/6) to fams[] and addresses to addrs[]; returns the count.
 */
int
loom__hosts_lookup(const struct loom_context *ctx, const char *name, int max,
		   uint8_t *fams, uint8_t (*addrs)[16])
{
	unsigned int n;
	int found = 0;

	for (n = 0; n < ctx->count_hosts && found < max; n++)
		if (loom_name_eq(ctx->hosts[n].name, name)) {
			fams[found] = ctx->hosts[n].family;
			memcpy(addrs[found], ctx->hosts[n].addr, 16);
			found++;
		}

	return found;
}
