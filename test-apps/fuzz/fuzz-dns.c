/*
 * fuzz-dns.c: the DNS answer parser. The input is taken as an answer to the
 * question it carries itself (so the answer sections are reached), and also to a
 * fixed A and AAAA question; the codec must never read outside the input.
 */
#include "net/dns/private-dns.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loom_dns_answer a;
	struct loom_dns_q q;
	char text[LOOM_DNS_MAX_TEXT + 2];
	int r;

	if (!loom__dns_parse_question(data, size, &q)) {
		r = loom__dns_parse_answer(data, size, &q, &a);
		if (r == LOOM_DNS_PARSE_OK && a.count > LOOM_DNS_MAX_ADDRS)
			abort();
		if (r == LOOM_DNS_PARSE_OK)
			loom__dns_name_to_text(a.target, a.target_len, text, sizeof(text));
		q.qtype = q.qtype == LOOM_DNS_T_A ? LOOM_DNS_T_AAAA : LOOM_DNS_T_A;
		loom__dns_parse_answer(data, size, &q, &a);
	}
	memset(&q, 0, sizeof(q));
	q.qname_len = (uint16_t)loom__dns_name_from_text(q.qname, sizeof(q.qname),
							 "www.example.com");
	q.qtype = LOOM_DNS_T_A;
	q.id = size >= 2 ? (uint16_t)((data[0] << 8) | data[1]) : 0;
	loom__dns_parse_answer(data, size, &q, &a);

	return 0;
}
