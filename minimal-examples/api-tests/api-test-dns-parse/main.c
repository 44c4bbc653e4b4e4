/*
 * api-test-dns-parse: the I/O-free DNS codec. Names to and from the wire, the
 * query it builds, and answers: matching the question (id, QR, name without case,
 * type), CNAME chains, NXDOMAIN with its SOA TTL, truncation, and the malformed
 * ones it must refuse (compression loops, forward pointers, lengths past the end).
 */
#include <loom.h>
#include "loom-test.h"
#include "net/dns/private-dns.h"

#include <string.h>

static size_t
put_name(uint8_t *p, const char *text)
{
	return (size_t)loom__dns_name_from_text(p, LOOM_DNS_MAX_NAME, text);
}

static size_t
put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* header + question for name/type with id, QR set */
static size_t
msg_start(uint8_t *m, unsigned int id, unsigned int flags, unsigned int an,
	  unsigned int ns, const char *name, unsigned int type)
{
	size_t n = 0;

	memset(m, 0, 12);
	put16(m, id);
	put16(m + 2, flags);
	put16(m + 4, 1);
	put16(m + 6, an);
	put16(m + 8, ns);
	n = 12 + put_name(m + 12, name);
	n += put16(m + n, type);
	n += put16(m + n, 1);

	return n;
}

static size_t
rr(uint8_t *p, const uint8_t *owner, size_t ol, unsigned int type, unsigned int ttl,
   const uint8_t *rd, size_t rdl)
{
	size_t n = 0;

	memcpy(p, owner, ol);
	n = ol;
	n += put16(p + n, type);
	n += put16(p + n, 1);
	n += put16(p + n, ttl >> 16);
	n += put16(p + n, ttl & 0xffff);
	n += put16(p + n, (unsigned int)rdl);
	memcpy(p + n, rd, rdl);

	return n + rdl;
}

static const uint8_t ptr_q[2] = { 0xc0, 12 };

int
main(void)
{
	struct loom_dns_answer a;
	struct loom_dns_q q;
	uint8_t m[1024], w[LOOM_DNS_MAX_NAME];
	char text[300];
	size_t n;
	int r;

	/* names */
	LT_CHECK_EQ(loom__dns_name_from_text(w, sizeof(w), "www.Example.com"), 17);
	LT_CHECK_EQ(loom__dns_name_from_text(w, sizeof(w), "www.example.com."), 17);
	LT_CHECK(loom__dns_name_from_text(w, sizeof(w), "a..b") < 0);
	LT_CHECK(loom__dns_name_from_text(w, sizeof(w), ".") < 0);
	LT_CHECK(loom__dns_name_from_text(w, sizeof(w), "") < 0);
	LT_CHECK(loom__dns_name_from_text(w, sizeof(w), "a b") < 0);
	memset(text, 'a', 64);
	text[64] = '\0';
	LT_CHECK(loom__dns_name_from_text(w, sizeof(w), text) < 0);	/* label > 63 */
	text[63] = '\0';
	LT_CHECK(loom__dns_name_from_text(w, sizeof(w), text) == 65);
	{
		char longname[300];
		int k;

		for (k = 0; k < 128; k++)
			memcpy(longname + 2 * k, "a.", 2);
		longname[255] = '\0';	/* 128 labels: too long on the wire */
		LT_CHECK(loom__dns_name_from_text(w, sizeof(w), longname) < 0);
	}
	n = (size_t)loom__dns_name_from_text(w, sizeof(w), "mail.example.org");
	LT_CHECK(loom__dns_name_to_text(w, n, text, sizeof(text)) == 16 &&
		 !strcmp(text, "mail.example.org"));

	/* the query */
	memset(&q, 0, sizeof(q));
	q.qname_len = (uint16_t)loom__dns_name_from_text(q.qname, sizeof(q.qname),
							 "www.example.com");
	q.qtype = LOOM_DNS_T_A;
	q.id = 0xbeef;
	r = loom__dns_build_query(m, sizeof(m), &q);
	LT_CHECK_EQ(r, 12 + 17 + 4);
	LT_CHECK(m[0] == 0xbe && m[1] == 0xef && m[2] == 0x01 && m[5] == 1);

	/* an A answer, question in another case */
	n = msg_start(m, 0xbeef, 0x8180, 2, 0, "WWW.example.COM", 1);
	n += rr(m + n, ptr_q, 2, 1, 300, (const uint8_t *)"\x5d\xb8\xd8\x22", 4);
	n += rr(m + n, ptr_q, 2, 1, 60, (const uint8_t *)"\x5d\xb8\xd8\x23", 4);
	LT_CHECK_EQ(loom__dns_parse_answer(m, n, &q, &a), LOOM_DNS_PARSE_OK);
	LT_CHECK_EQ(a.count, 2);
	LT_CHECK_EQ(a.ttl, 60);
	LT_CHECK(a.addrs[1][3] == 0x23);
	/* every shorter prefix is refused, never read past */
	{
		size_t k;
		int bad = 0;

		for (k = 0; k < n; k++)
			if (loom__dns_parse_answer(m, k, &q, &a) == LOOM_DNS_PARSE_OK)
				bad++;
		LT_CHECK_EQ(bad, 0);
	}
	/* not ours: id, QR, type, name */
	m[1] ^= 1;
	LT_CHECK_EQ(loom__dns_parse_answer(m, n, &q, &a), LOOM_DNS_PARSE_MISMATCH);
	m[1] ^= 1;
	m[2] &= 0x7f;
	LT_CHECK_EQ(loom__dns_parse_answer(m, n, &q, &a), LOOM_DNS_PARSE_MISMATCH);
	m[2] |= 0x80;
	q.qtype = LOOM_DNS_T_AAAA;
	LT_CHECK_EQ(loom__dns_parse_answer(m, n, &q, &a), LOOM_DNS_PARSE_MISMATCH);
	q.qtype = LOOM_DNS_T_A;
	m[14] = 'x';
	LT_CHECK_EQ(loom__dns_parse_answer(m, n, &q, &a), LOOM_DNS_PARSE_MISMATCH);
	m[14] = 'w';

	/* a CNAME chain: www -> a.cdn.net -> b.cdn.net (compressed), then A */
	{
		size_t off_a, rdl;
		uint8_t rd[64], own[4];

		n = msg_start(m, 0xbeef, 0x8180, 3, 0, "www.example.com", 1);
		rdl = put_name(rd, "a.cdn.net");
		off_a = n + 12;
		n += rr(m + n, ptr_q, 2, 5, 300, rd, rdl);
		rd[0] = 1;
		rd[1] = 'b';
		rd[2] = (uint8_t)(0xc0 | (off_a + 2) >> 8);
		rd[3] = (uint8_t)(off_a + 2);	/* "cdn.net" of a.cdn.net */
		own[0] = (uint8_t)(0xc0 | off_a >> 8);
		own[1] = (uint8_t)off_a;
		{
			size_t off_b = n + 12;

			n += rr(m + n, own, 2, 5, 200, rd, 4);
			own[0] = (uint8_t)(0xc0 | off_b >> 8);
			own[1] = (uint8_t)off_b;
		}
		n += rr(m + n, own, 2, 1, 100, (const uint8_t *)"\x0a\x00\x00\x07", 4);
		LT_CHECK_EQ(loom__dns_parse_answer(m, n, &q, &a), LOOM_DNS_PARSE_OK);
		LT_CHECK_EQ(a.count, 1);
		LT_CHECK_EQ(a.cname_hops, 2);
		LT_CHECK_EQ(a.ttl, 100);
		LT_CHECK(loom__dns_name_to_text(a.target, a.target_len, text,
						sizeof(text)) > 0 &&
			 !strcmp(text, "b.cdn.net"));
	}

	/* NXDOMAIN with a SOA: negative TTL = min(SOA TTL, MINIMUM) */
	{
		uint8_t rd[128];
		size_t rdl = put_name(rd, "ns.example.com");

		rdl += put_name(rd + rdl, "host.example.com");
		memset(rd + rdl, 0, 20);
		rd[rdl + 19] = 60;
		rdl += 20;
		n = msg_start(m, 0xbeef, 0x8183, 0, 1, "www.example.com", 1);
		n += rr(m + n, (const uint8_t *)"\xc0\x10", 2, 6, 900, rd, rdl);
		LT_CHECK_EQ(loom__dns_parse_answer(m, n, &q, &a), LOOM_DNS_PARSE_OK);
		LT_CHECK_EQ(a.rcode, LOOM_DNS_RCODE_NXDOMAIN);
		LT_CHECK_EQ(a.neg_ttl, 60);
	}

	/* truncated: TC, nothing else believed */
	n = msg_start(m, 0xbeef, 0x8380, 30, 0, "www.example.com", 1);
	LT_CHECK_EQ(loom__dns_parse_answer(m, n, &q, &a), LOOM_DNS_PARSE_OK);
	LT_CHECK_EQ(a.tc, 1);

	/* malformed: a pointer to itself, a forward pointer, rdlength past the end */
	n = msg_start(m, 0xbeef, 0x8180, 1, 0, "www.example.com", 1);
	m[n] = (uint8_t)(0xc0 | n >> 8);
	m[n + 1] = (uint8_t)n;
	memcpy(m + n + 2, "\x00\x01\x00\x01\x00\x00\x00\x05\x00\x04\x01\x02\x03\x04", 14);
	LT_CHECK_EQ(loom__dns_parse_answer(m, n + 16, &q, &a), LOOM_DNS_PARSE_BAD);
	m[n + 1] = (uint8_t)(n + 4);
	LT_CHECK_EQ(loom__dns_parse_answer(m, n + 16, &q, &a), LOOM_DNS_PARSE_BAD);
	m[n] = 0xc0;
	m[n + 1] = 12;
	m[n + 11] = 40;
	LT_CHECK_EQ(loom__dns_parse_answer(m, n + 16, &q, &a), LOOM_DNS_PARSE_BAD);
	/* a label that runs to a pointer back into itself: a -> [a] loop */
	{
		uint8_t lm[64];
		size_t ln = msg_start(lm, 0xbeef, 0x8180, 1, 0, "www.example.com", 1);

		lm[ln] = 1;
		lm[ln + 1] = 'a';
		lm[ln + 2] = (uint8_t)(0xc0 | ln >> 8);
		lm[ln + 3] = (uint8_t)ln;
		memcpy(lm + ln + 4, "\x00\x01\x00\x01\x00\x00\x00\x05\x00\x04\x01\x02\x03\x04",
		       14);
		LT_CHECK_EQ(loom__dns_parse_answer(lm, ln + 18, &q, &a),
			    LOOM_DNS_PARSE_BAD);
	}
	/* a CNAME loop: a -> b -> a */
	{
		uint8_t rd[32], own[32];
		size_t rdl, ol;

		n = msg_start(m, 0xbeef, 0x8180, 2, 0, "www.example.com", 1);
		rdl = put_name(rd, "b.loop");
		n += rr(m + n, ptr_q, 2, 5, 5, rd, rdl);
		ol = put_name(own, "b.loop");
		rdl = put_name(rd, "www.example.com");
		n += rr(m + n, own, ol, 5, 5, rd, rdl);
		LT_CHECK_EQ(loom__dns_parse_answer(m, n, &q, &a), LOOM_DNS_PARSE_BAD);
	}

	return lt_result("api-test-dns-parse");
}
