/*
 * dns-cache.c: answers kept per service thread, keyed by (name, type), until their
 * TTL runs out; at most cache_max entries, the least recently used goes first.
 * Negative answers (NXDOMAIN, no data) are kept only when the server gave a SOA.
 */
#include "core/private-core.h"
#include "net/dns/private-dns.h"

static void
entry_free(struct loom_dns_pt *dp, struct loom_dns_cache_entry *e)
{
	loom_dll2_remove(&e->list);
	loom_free(e);
	(void)dp;
}

struct loom_dns_cache_entry *
loom__dns_cache_find(struct loom_dns *dns, int tsi, const uint8_t *qname,
		     uint16_t qname_len, uint16_t qtype)
{
	struct loom_dns_pt *dp = &dns->pt[tsi];
	int64_t now = loom__plat_now_us();
	struct loom_dll2 *d = dp->cache.head, *next;

	for (; d; d = next) {
		struct loom_dns_cache_entry *e = loom_container_of(d,
					struct loom_dns_cache_entry, list);

		next = d->next;
		if (e->expires <= now) {
			entry_free(dp, e);
			continue;
		}
		if (e->qtype == qtype &&
		    loom__dns_name_eq(e->qname, e->qname_len, qname, qname_len)) {
			/* most recently used goes to the head */
			loom_dll2_remove(&e->list);
			loom_dll2_add_head(&e->list, &dp->cache);
			return e;
		}
	}

	return NULL;
}

void
loom__dns_cache_put(struct loom_dns *dns, int tsi, const uint8_t *qname,
		    uint16_t qname_len, uint16_t qtype, unsigned int status,
		    const struct loom_dns_answer *a, uint32_t ttl, const char *canonical)
{
	struct loom_dns_pt *dp = &dns->pt[tsi];
	struct loom_dns_cache_entry *e;

	if (!ttl || !dns->cache_max)
		return;
	e = loom__dns_cache_find(dns, tsi, qname, qname_len, qtype);
	if (e)
		entry_free(dp, e);
	while (dp->cache.count >= dns->cache_max && dp->cache.tail)
		entry_free(dp, loom_container_of(dp->cache.tail,
				struct loom_dns_cache_entry, list));
	e = loom_zalloc(sizeof(*e), "dns cache entry");
	if (!e)
		return;				/* only a cache: carry on without */
	e->expires = loom__plat_now_us() + (int64_t)ttl * LOOM_US_PER_SEC;
	memcpy(e->qname, qname, qname_len);
	e->qname_len = qname_len;
	e->qtype = qtype;
	e->status = (uint8_t)status;
	if (a && status == LOOM_DNS_OK) {
		e->count = a->count;
		memcpy(e->addrs, a->addrs, sizeof(e->addrs));
	}
	if (canonical) {
		strncpy(e->canonical, canonical, sizeof(e->canonical) - 1);
		e->canonical[sizeof(e->canonical) - 1] = '\0';
	}
	loom_dll2_add_head(&e->list, &dp->cache);
}

void
loom__dns_cache_destroy(struct loom_dns *dns, int tsi)
{
	struct loom_dns_pt *dp = &dns->pt[tsi];

	while (dp->cache.head)
		entry_free(dp, loom_container_of(dp->cache.head,
				struct loom_dns_cache_entry, list));
}

void
loom_dns_cache_flush(struct loom_context *ctx)
{
	unsigned int n;

	if (!ctx || !ctx->dns)
		return;
	for (n = 0; n < ctx->count_threads; n++)
		loom__dns_cache_destroy(ctx->dns, (int)n);
}
