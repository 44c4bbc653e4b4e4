/*
 * private-dns.h: the DNS room. The message codec (dns-msg.c) is I/O-free: it builds
 * queries and checks and reads answers from byte buffers, so the fuzzer drives it
 * directly. The resolver (dns-resolver.c) runs queries as conns on the pt, the cache
 * (dns-cache.c) keeps answers by TTL, and connect.c resolves through them.
 */
#ifndef LOOM_PRIVATE_DNS_H
#define LOOM_PRIVATE_DNS_H

#include <stdint.h>
#include <stddef.h>

#define LOOM_DNS_T_A		1
#define LOOM_DNS_T_CNAME	5
#define LOOM_DNS_T_SOA		6
#define LOOM_DNS_T_AAAA		28
#define LOOM_DNS_C_IN		1

#define LOOM_DNS_RCODE_NOERROR	0
#define LOOM_DNS_RCODE_FORMERR	1
#define LOOM_DNS_RCODE_SERVFAIL	2
#define LOOM_DNS_RCODE_NXDOMAIN	3
#define LOOM_DNS_RCODE_NOTIMP	4
#define LOOM_DNS_RCODE_REFUSED	5

#define LOOM_DNS_HDR_LEN	12
#define LOOM_DNS_MAX_NAME	255	/* wire form, with the root label */
#define LOOM_DNS_MAX_TEXT	254	/* dotted text, without a trailing dot */
#define LOOM_DNS_MAX_QUERY	(LOOM_DNS_HDR_LEN + LOOM_DNS_MAX_NAME + 4)
#define LOOM_DNS_MAX_CNAME_HOPS	8	/* CNAMEs followed per lookup, in all */
#define LOOM_DNS_MAX_PTR_HOPS	64	/* compression pointers followed per name */
#define LOOM_DNS_MAX_ADDRS	16	/* addresses kept per answer (one family) */

/* the question we asked: what an answer must match */
struct loom_dns_q {
	uint8_t qname[LOOM_DNS_MAX_NAME];	/* wire form, uncompressed */
	uint16_t qname_len;
	uint16_t qtype;
	uint16_t id;
};

/* what a matching answer says */
struct loom_dns_answer {
	uint8_t target[LOOM_DNS_MAX_NAME];	/* the name at the end of the CNAMEs */
	uint16_t target_len;
	uint8_t rcode;
	uint8_t tc;				/* truncated: ask again over TCP */
	uint8_t cname_hops;			/* CNAMEs followed in this answer */
	uint8_t count;				/* addresses of qtype for target */
	uint8_t addrs[LOOM_DNS_MAX_ADDRS][16];
	uint32_t ttl;				/* least TTL of the chain and the set */
	uint32_t neg_ttl;			/* negative answer: SOA-derived TTL, or 0 */
};

/* loom__dns_parse_answer() results */
#define LOOM_DNS_PARSE_OK	0
#define LOOM_DNS_PARSE_MISMATCH	(-1)	/* not the answer to this question: ignore */
#define LOOM_DNS_PARSE_BAD	(-2)	/* malformed */

/* "example.com" -> wire form; returns its length or < 0 for an invalid name */
int
loom__dns_name_from_text(uint8_t *wire, size_t max, const char *text);
/* wire form -> "example.com"; returns the text length or < 0 if not printable */
int
loom__dns_name_to_text(const uint8_t *wire, size_t wlen, char *text, size_t max);
/* wire-form names equal, ASCII case folded */
int
loom__dns_name_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* read a possibly compressed name at *off of msg; returns 0 or LOOM_DNS_PARSE_BAD */
int
loom__dns_read_name(const uint8_t *msg, size_t len, size_t *off, uint8_t *out,
		    uint16_t *out_len);
/* build the query for \p q into buf (RD set); returns its length or < 0 */
int
loom__dns_build_query(uint8_t *buf, size_t max, const struct loom_dns_q *q);
/* read the question of a message (for tools and the fuzzer) */
int
loom__dns_parse_question(const uint8_t *msg, size_t len, struct loom_dns_q *q);
/*
 * Check that msg answers q (id, QR, opcode, one question equal to ours in name,
 * type and class) and read it into \p a. Never reads outside msg.
 */
int
loom__dns_parse_answer(const uint8_t *msg, size_t len, const struct loom_dns_q *q,
		       struct loom_dns_answer *a);


/* ---- the resolver (needs private-core.h first) ---- */
#if defined(LOOM_PRIVATE_CORE_H)

#define LOOM_DNS_MAX_SERVERS	4
#define LOOM_DNS_DEF_TIMEOUT_MS	2000
#define LOOM_DNS_DEF_ATTEMPTS	2
#define LOOM_DNS_DEF_CACHE	32
#define LOOM_DNS_MAX_TTL	86400	/* cache at most a day */
#define LOOM_DNS_MAX_NEG_TTL	300	/* negative answers at most 5 minutes */

struct loom_dns_cache_entry {
	struct loom_dll2 list;			/* pt cache LRU, newest first */
	int64_t expires;			/* monotonic µs */
	uint8_t qname[LOOM_DNS_MAX_NAME];	/* asked name, wire form */
	uint16_t qname_len;
	uint16_t qtype;
	uint8_t status;				/* enum loom_dns_status */
	uint8_t count;
	uint8_t addrs[LOOM_DNS_MAX_ADDRS][16];
	char canonical[LOOM_DNS_MAX_TEXT + 1];
};

struct loom_dns_pt {
	struct loom_dll2_owner lookups;		/* lookups running on this pt */
	struct loom_dll2_owner cache;		/* struct loom_dns_cache_entry, LRU */
};

/* the context's resolver: config read once at creation, state per pt */
struct loom_dns {
	struct loom_sockaddr servers[LOOM_DNS_MAX_SERVERS];
	unsigned int count_servers;
	unsigned int timeout_ms;
	unsigned int attempts;
	unsigned int cache_max;
	uint8_t off;				/* DNS off: hosts file only */
	/* proxy settings from the environment (proxy_from_env), else NULL */
	char *env_http_proxy, *env_https_proxy, *env_all_proxy, *env_no_proxy;
	struct loom_dns_pt pt[LOOM_MAX_SERVICE_THREADS];
};

/* nonzero when names can be looked up by DNS (not only in the hosts file) */
int
loom__dns_enabled(const struct loom_context *ctx);

/* dns-conf.c */
int
loom__dns_parse_server(struct loom_sockaddr *sa, const char *text);
int
loom__dns_load_resolv_conf(struct loom_dns *dns, const char *path);

/* dns-cache.c */
struct loom_dns_cache_entry *
loom__dns_cache_find(struct loom_dns *dns, int tsi, const uint8_t *qname,
		     uint16_t qname_len, uint16_t qtype);
void
loom__dns_cache_put(struct loom_dns *dns, int tsi, const uint8_t *qname,
		    uint16_t qname_len, uint16_t qtype, unsigned int status,
		    const struct loom_dns_answer *a, uint32_t ttl, const char *canonical);
void
loom__dns_cache_destroy(struct loom_dns *dns, int tsi);

#endif

#endif
