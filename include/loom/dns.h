/*
 * dns.h: asynchronous name lookups on the service thread (hosts file, cache, then
 * DNS over UDP with TCP fallback), and the retry/backoff helper that apps, client
 * connections and Secure Streams share.
 */
#ifndef LOOM_DNS_H
#define LOOM_DNS_H

struct loom_context;
struct loom_sul;

/** \defgroup dns Name lookups and retry backoff
 * @{ */

/** the most addresses a lookup result carries, per address family */
#define LOOM_DNS_MAX_ADDRS_PER_FAMILY 16

/** loom_dns_lookup() flags: which address families to ask for (0 = both) */
#define LOOM_DNS_IPV4		(1u << 0)	/**< A records */
#define LOOM_DNS_IPV6		(1u << 1)	/**< AAAA records */
#define LOOM_DNS_NO_CACHE	(1u << 2)	/**< neither read nor fill the cache */
#define LOOM_DNS_NO_HOSTS	(1u << 3)	/**< skip the hosts file */

/** result status of a lookup (struct loom_dns_result.status) */
enum loom_dns_status {
	LOOM_DNS_OK = 0,	/**< one or more addresses */
	LOOM_DNS_NXDOMAIN,	/**< the name does not exist */
	LOOM_DNS_NODATA,	/**< the name exists but has no address of the families */
	LOOM_DNS_SERVFAIL,	/**< every server failed or refused */
	LOOM_DNS_TIMEOUT,	/**< no server answered in time */
	LOOM_DNS_BAD_NAME,	/**< the name is not a valid host name */
	LOOM_DNS_NO_SERVER,	/**< no nameserver is configured */
	LOOM_DNS_NOMEM,		/**< out of memory or sockets */
	LOOM_DNS_CANCELLED	/**< the context is being destroyed */
};

/** one resolved address */
struct loom_dns_addr {
	uint8_t family;		/**< 4 or 6 */
	uint8_t addr[16];	/**< network order; the first 4 bytes for IPv4 */
};

/**
 * struct loom_dns_result - what a lookup found; valid only during the callback.
 * Addresses are interleaved IPv6, IPv4, IPv6 ... (RFC 8305 order), each family in
 * the order the server or hosts file gave them.
 */
struct loom_dns_result {
	const char *name;		/**< the name asked for */
	const char *canonical;		/**< the name after CNAMEs (== name if none) */
	const struct loom_dns_addr *addrs; /**< count addresses */
	unsigned int count;		/**< 0 unless status is LOOM_DNS_OK */
	uint32_t ttl;			/**< seconds the answer stays valid */
	enum loom_dns_status status;	/**< LOOM_DNS_OK or why not */
	/** short English reason, e.g. "NXDOMAIN for example.invalid" */
	const char *reason;
};

/**
 * loom_dns_cb - a lookup finished; called once, on the lookup's service thread, never
 * from inside loom_dns_lookup(). The lookup handle is freed after it returns.
 */
typedef void (*loom_dns_cb)(struct loom_context *ctx, void *user,
			    const struct loom_dns_result *result);

struct loom_dns_lookup;

/**
 * loom_dns_lookup() - resolve \p name without blocking
 * \param ctx: the context
 * \param tsi: the service thread that runs the lookup and the callback
 * \param name: host name or numeric address (which is returned as it is)
 * \param flags: LOOM_DNS_IPV4 / LOOM_DNS_IPV6 (0 = both), LOOM_DNS_NO_CACHE ...
 * \param cb: called once with the result
 * \param user: passed to \p cb
 *
 * The hosts file (read at context creation) is looked at first, then the cache,
 * then the nameservers (struct loom_context_info.nameservers, else those of
 * /etc/resolv.conf): A and AAAA queries in parallel, each from a fresh UDP socket
 * with a random id, retried across servers, over TCP when the answer is truncated.
 * Returns the handle (for loom_dns_lookup_cancel()) or NULL when the lookup could not
 * start (bad arguments, no memory); \p cb is then never called.
 * Call it on the service thread \p tsi only.
 */
struct loom_dns_lookup *
loom_dns_lookup(struct loom_context *ctx, int tsi, const char *name,
		unsigned int flags, loom_dns_cb cb, void *user);

/**
 * loom_dns_lookup_cancel() - stop a lookup whose callback has not come yet; the
 * callback will not come. Do not call it after the callback.
 */
void
loom_dns_lookup_cancel(struct loom_dns_lookup *lookup);

/** loom_dns_status_name() - "NXDOMAIN", "timeout" ... for a status */
const char *
loom_dns_status_name(enum loom_dns_status status);

/**
 * loom_dns_cache_flush() - forget every cached answer of every service thread.
 * Call it while no other service thread runs (or with one thread).
 */
void
loom_dns_cache_flush(struct loom_context *ctx);

/**
 * struct loom_retry_bo - a retry and backoff policy (in the spirit of the lws
 * policy "retry" tables): the delay before try N is retry_ms_table[N], or the last
 * entry once N is past the table, plus up to jitter_percent of it at random.
 * The first conceal_count retries are "concealed" (the app does not need to hear
 * of them); past that, loom_retry_sul_schedule() refuses and the caller gives up.
 */
struct loom_retry_bo {
	const uint32_t *retry_ms_table;	/**< delays in ms */
	uint16_t retry_ms_table_count;	/**< entries in retry_ms_table */
	/** retries allowed; LOOM_RETRY_CONCEAL_ALWAYS = retry forever */
	uint16_t conceal_count;
	uint8_t jitter_percent;		/**< 0..100: random extra, percent of the delay */
};

/** conceal_count value: retry for ever */
#define LOOM_RETRY_CONCEAL_ALWAYS 0xffff

/**
 * loom_retry_get_delay_ms() - the delay before the next try
 * \param ctx: the context (its random source is used for the jitter)
 * \param retry: the policy
 * \param ctry: the caller's try counter (start at 0); incremented
 * \param conceal: if not NULL, set to 1 while the retry is within conceal_count
 *
 * Returns the delay in ms (0 when the table is empty).
 */
unsigned int
loom_retry_get_delay_ms(struct loom_context *ctx, const struct loom_retry_bo *retry,
			uint16_t *ctry, int *conceal);

/**
 * loom_retry_sul_schedule() - schedule \p sul for the next retry
 *
 * Returns 0 when \p cb is scheduled after the policy's next delay, or 1 when the
 * retries are used up (past conceal_count): nothing is scheduled, give up. \p ctry
 * is the caller's counter, reset it to 0 after a success.
 */
int
loom_retry_sul_schedule(struct loom_context *ctx, int tsi, struct loom_sul *sul,
			const struct loom_retry_bo *retry, loom_sul_cb cb, uint16_t *ctry);
/** @} */

#endif
