/*
 * dns-msg.c: the DNS message codec, I/O-free (DESIGN.md principle 7): queries are
 * built into a caller's buffer, answers are checked against the question asked and
 * read in place. Every length and compression pointer is bounds-checked; pointers
 * must point strictly backwards of the previous jump, so loops cannot happen.
 */
#include "net/dns/private-dns.h"

#include <string.h>

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
	       p[3];
}

static uint8_t
fold(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* letters, digits, '-' and '_' (service labels): what a host name may hold */
static int
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int
loom__dns_name_from_text(uint8_t *wire, size_t max, const char *text)
{
	size_t o = 0, tl = strlen(text);

	if (!tl || tl > LOOM_DNS_MAX_TEXT + 1 || (tl == LOOM_DNS_MAX_TEXT + 1 &&
						   text[tl - 1] != '.'))
		return -1;
	if (text[tl - 1] == '.')
		tl--;				/* "example.com." is absolute already */
	while (tl) {
		size_t l = 0;

		while (l < tl && text[l] != '.') {
			if (!host_char(text[l]))
				return -1;
			l++;
		}
		if (!l || l > 63 || o + 1 + l + 1 > max || o + 1 + l + 1 > LOOM_DNS_MAX_NAME)
			return -1;
		wire[o++] = (uint8_t)l;
		memcpy(wire + o, text, l);
		o += l;
		text += l;
		tl -= l;
		if (tl) {			/* the dot */
			text++;
			if (!--tl)
				return -1;	/* "a..": an empty label */
		}
	}
	if (!o || o + 1 > max)
		return -1;
	wire[o++] = 0;

	return (int)o;
}

int
loom__dns_name_to_text(const uint8_t *wire, size_t wlen, char *text, size_t max)
{
	size_t i = 0, o = 0;

	if (!max)
		return -1;
	while (i < wlen && wire[i]) {
		size_t l = wire[i++], k;

		if (l > 63 || i + l > wlen)
			return -1;
		if (o && o + 1 < max)
			text[o++] = '.';
		for (k = 0; k < l; k++) {
			char c = (char)wire[i + k];

			if (!host_char(c) || o + 1 >= max)
				return -1;
			text[o++] = c;
		}
		i += l;
	}
	if (!o)
		return -1;			/* the root: not a host */
	text[o] = '\0';

	return (int)o;
}

int
loom__dns_name_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return 0;
	/* label length bytes are < 64, so folding them changes nothing */
	for (i = 0; i < alen; i++)
		if (fold(a[i]) != fold(b[i]))
			return 0;

	return 1;
}

int
loom__dns_read_name(const uint8_t *msg, size_t len, size_t *off, uint8_t *out,
		    uint16_t *out_len)
{
	size_t pos = *off, floor = *off, o = 0;
	int jumped = 0, hops = 0;

	for (;;) {
		uint8_t c;

		if (pos >= len)
			return LOOM_DNS_PARSE_BAD;
		c = msg[pos];
		if (!c) {
			if (o + 1 > LOOM_DNS_MAX_NAME)
				return LOOM_DNS_PARSE_BAD;
			out[o++] = 0;
			if (!jumped)
				*off = pos + 1;
			*out_len = (uint16_t)o;
			return 0;
		}
		if ((c & 0xc0) == 0xc0) {
			size_t ptr;

			if (pos + 1 >= len || ++hops > LOOM_DNS_MAX_PTR_HOPS)
				return LOOM_DNS_PARSE_BAD;
			ptr = ((size_t)(c & 0x3f) << 8) | msg[pos + 1];
			/* strictly before where this run of labels began: no loops */
			if (ptr < LOOM_DNS_HDR_LEN || ptr >= floor)
				return LOOM_DNS_PARSE_BAD;
			if (!jumped)
				*off = pos + 2;
			jumped = 1;
			pos = floor = ptr;
			continue;
		}
		if (c & 0xc0)
			return LOOM_DNS_PARSE_BAD;	/* 0x40 / 0x80: obsolete label types */
		if (pos + 1 + c > len || o + 1 + c + 1 > LOOM_DNS_MAX_NAME)
			return LOOM_DNS_PARSE_BAD;
		memcpy(out + o, msg + pos, (size_t)c + 1);
		o += (size_t)c + 1;
		pos += (size_t)c + 1;
	}
}

int
loom__dns_build_query(uint8_t *buf, size_t max, const struct loom_dns_q *q)
{
	size_t n = LOOM_DNS_HDR_LEN + q->qname_len + 4;

	if (n > max || !q->qname_len || q->qname_len > LOOM_DNS_MAX_NAME)
		return -1;
	memset(buf, 0, LOOM_DNS_HDR_LEN);
	buf[0] = (uint8_t)(q->id >> 8);
	buf[1] = (uint8_t)q->id;
	buf[2] = 0x01;				/* RD: recursion desired */
	buf[5] = 1;				/* QDCOUNT */
	memcpy(buf + LOOM_DNS_HDR_LEN, q->qname, q->qname_len);
	buf[LOOM_DNS_HDR_LEN + q->qname_len] = (uint8_t)(q->qtype >> 8);
	buf[LOOM_DNS_HDR_LEN + q->qname_len + 1] = (uint8_t)q->qtype;
	buf[LOOM_DNS_HDR_LEN + q->qname_len + 2] = 0;
	buf[LOOM_DNS_HDR_LEN + q->qname_len + 3] = LOOM_DNS_C_IN;

	return (int)n;
}

int
loom__dns_parse_question(const uint8_t *msg, size_t len, struct loom_dns_q *q)
{
	size_t off = LOOM_DNS_HDR_LEN;

	if (len < LOOM_DNS_HDR_LEN || rd16(msg + 4) != 1)
		return LOOM_DNS_PARSE_BAD;
	if (loom__dns_read_name(msg, len, &off, q->qname, &q->qname_len) ||
	    off + 4 > len)
		return LOOM_DNS_PARSE_BAD;
	q->id = rd16(msg);
	q->qtype = rd16(msg + off);

	return rd16(msg + off + 2) == LOOM_DNS_C_IN ? 0 : LOOM_DNS_PARSE_BAD;
}

/* one resource record's fixed part, found by walking the sections */
struct dns_rr {
	uint8_t owner[LOOM_DNS_MAX_NAME];
	uint16_t owner_len;
	uint16_t type, klass, rdlen;
	uint32_t ttl;
	size_t rdata;				/* offset of rdata in the message */
};

static int
read_rr(const uint8_t *msg, size_t len, size_t *off, struct dns_rr *rr)
{
	if (loom__dns_read_name(msg, len, off, rr->owner, &rr->owner_len) ||
	    *off + 10 > len)
		return LOOM_DNS_PARSE_BAD;
	rr->type = rd16(msg + *off);
	rr->klass = rd16(msg + *off + 2);
	rr->ttl = rd32(msg + *off + 4);
	if (rr->ttl & 0x80000000u)
		rr->ttl = 0;			/* RFC 2181 8: a "negative" TTL is 0 */
	rr->rdlen = rd16(msg + *off + 8);
	rr->rdata = *off + 10;
	if (rr->rdata + rr->rdlen > len)
		return LOOM_DNS_PARSE_BAD;
	*off = rr->rdata + rr->rdlen;

	return 0;
}

/* a name inside rdata: it may point back out of it, but must end inside it */
static int
read_rdata_name(const uint8_t *msg, size_t len, const struct dns_rr *rr, size_t *off,
		uint8_t *out, uint16_t *out_len)
{
	size_t end = rr->rdata + rr->rdlen;

	if (loom__dns_read_name(msg, end, off, out, out_len))
		return LOOM_DNS_PARSE_BAD;
	(void)len;

	return 0;
}

static void
ttl_min(uint32_t *t, uint32_t v)
{
	if (v < *t)
		*t = v;
}

/*
 * Walk the answer section and follow the CNAME chain from the question name; then
 * collect the addresses of the question's type owned by the end of the chain.
 */
static int
read_answers(const uint8_t *msg, size_t len, size_t an_off, unsigned int ancount,
	     const struct loom_dns_q *q, struct loom_dns_answer *a)
{
	struct dns_rr rr;
	unsigned int n;
	size_t off;
	int followed;

	memcpy(a->target, q->qname, q->qname_len);
	a->target_len = q->qname_len;
	do {
		followed = 0;
		off = an_off;
		for (n = 0; n < ancount; n++) {
			uint8_t t[LOOM_DNS_MAX_NAME];
			uint16_t tl;
			size_t ro;

			if (read_rr(msg, len, &off, &rr))
				return LOOM_DNS_PARSE_BAD;
			if (rr.type != LOOM_DNS_T_CNAME || rr.klass != LOOM_DNS_C_IN ||
			    !loom__dns_name_eq(rr.owner, rr.owner_len, a->target,
					       a->target_len))
				continue;
			ro = rr.rdata;
			if (read_rdata_name(msg, len, &rr, &ro, t, &tl) ||
			    ro != rr.rdata + rr.rdlen)
				return LOOM_DNS_PARSE_BAD;
			if (++a->cname_hops > LOOM_DNS_MAX_CNAME_HOPS)
				return LOOM_DNS_PARSE_BAD;	/* a loop or too long */
			memcpy(a->target, t, tl);
			a->target_len = tl;
			ttl_min(&a->ttl, rr.ttl);
			followed = 1;
			break;
		}
	} while (followed);

	off = an_off;
	for (n = 0; n < ancount; n++) {
		size_t alen;

		if (read_rr(msg, len, &off, &rr))
			return LOOM_DNS_PARSE_BAD;
		if (rr.type != q->qtype || rr.klass != LOOM_DNS_C_IN ||
		    !loom__dns_name_eq(rr.owner, rr.owner_len, a->target, a->target_len))
			continue;
		alen = q->qtype == LOOM_DNS_T_A ? 4 : 16;
		if (rr.rdlen != alen)
			return LOOM_DNS_PARSE_BAD;
		if (a->count >= LOOM_DNS_MAX_ADDRS)
			continue;
		memset(a->addrs[a->count], 0, 16);
		memcpy(a->addrs[a->count], msg + rr.rdata, alen);
		a->count++;
		ttl_min(&a->ttl, rr.ttl);
	}

	return 0;
}

/* a negative answer's TTL: min(SOA TTL, SOA MINIMUM) from the authority section */
static int
read_negative_ttl(const uint8_t *msg, size_t len, size_t off, unsigned int nscount,
		  struct loom_dns_answer *a)
{
	struct dns_rr rr;
	unsigned int n;

	for (n = 0; n < nscount; n++) {
		uint8_t t[LOOM_DNS_MAX_NAME];
		uint16_t tl;
		size_t ro;

		if (read_rr(msg, len, &off, &rr))
			return LOOM_DNS_PARSE_BAD;
		if (rr.type != LOOM_DNS_T_SOA || rr.klass != LOOM_DNS_C_IN)
			continue;
		ro = rr.rdata;
		if (read_rdata_name(msg, len, &rr, &ro, t, &tl) ||	/* MNAME */
		    read_rdata_name(msg, len, &rr, &ro, t, &tl) ||	/* RNAME */
		    ro + 20 != rr.rdata + rr.rdlen)
			return LOOM_DNS_PARSE_BAD;
		a->neg_ttl = rd32(msg + ro + 16);
		if (a->neg_ttl & 0x80000000u)
			a->neg_ttl = 0;
		ttl_min(&a->neg_ttl, rr.ttl);
		break;
	}

	return 0;
}

int
loom__dns_parse_answer(const uint8_t *msg, size_t len, const struct loom_dns_q *q,
		       struct loom_dns_answer *a)
{
	uint8_t qn[LOOM_DNS_MAX_NAME];
	unsigned int ancount, nscount, n;
	uint16_t qnl;
	size_t off = LOOM_DNS_HDR_LEN, an_off;
	struct dns_rr rr;

	memset(a, 0, sizeof(*a));
	a->ttl = 0xffffffffu;
	if (len < LOOM_DNS_HDR_LEN)
		return LOOM_DNS_PARSE_BAD;
	/* an answer (QR), standard query, to our id, with our one question */
	if (rd16(msg) != q->id || !(msg[2] & 0x80) || (msg[2] & 0x78) ||
	    rd16(msg + 4) != 1)
		return LOOM_DNS_PARSE_MISMATCH;
	if (loom__dns_read_name(msg, len, &off, qn, &qnl) || off + 4 > len)
		return LOOM_DNS_PARSE_BAD;
	if (!loom__dns_name_eq(qn, qnl, q->qname, q->qname_len) ||
	    rd16(msg + off) != q->qtype || rd16(msg + off + 2) != LOOM_DNS_C_IN)
		return LOOM_DNS_PARSE_MISMATCH;
	off += 4;
	a->rcode = msg[3] & 0x0f;
	a->tc = !!(msg[2] & 0x02);
	if (a->tc)
		return LOOM_DNS_PARSE_OK;	/* partial: ask again over TCP */
	ancount = rd16(msg + 6);
	nscount = rd16(msg + 8);
	an_off = off;
	/* the sections must be whole before anything in them is believed */
	for (n = 0; n < ancount + nscount; n++)
		if (read_rr(msg, len, &off, &rr))
			return LOOM_DNS_PARSE_BAD;
	if (a->rcode == LOOM_DNS_RCODE_NOERROR &&
	    read_answers(msg, len, an_off, ancount, q, a))
		return LOOM_DNS_PARSE_BAD;
	if (a->rcode == LOOM_DNS_RCODE_NOERROR && a->count) {
		if (a->ttl == 0xffffffffu)
			a->ttl = 0;
		return LOOM_DNS_PARSE_OK;
	}
	/* no address: NXDOMAIN, NODATA or a chain the server did not finish */
	if (a->ttl == 0xffffffffu)
		a->ttl = 0;
	off = an_off;
	for (n = 0; n < ancount; n++)
		if (read_rr(msg, len, &off, &rr))
			return LOOM_DNS_PARSE_BAD;

	return read_negative_ttl(msg, len, off, nscount, a) ? LOOM_DNS_PARSE_BAD :
							      LOOM_DNS_PARSE_OK;
}
