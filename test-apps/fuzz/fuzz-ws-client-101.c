/*
 * fuzz-ws-client-101.c: what a WebSocket client (the ws role, MQTT over ws) makes
 * of the server's answer to its upgrade: the HTTP/1.1 head parsed whole and in
 * pieces, then loom__ws_client_check_101() (status, Upgrade, Connection,
 * Sec-WebSocket-Accept, the subprotocol, permessage-deflate parameters). The first
 * input byte picks what the client offered and the head limits, the second seeds
 * how the rest is cut. An accepted answer must be one the RFCs allow; agreed
 * deflate parameters must work: the bytes after the head go through a client
 * deflater and a server inflater made from them and must come back the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "roles/http/private-http-parser.h"
#include "roles/ws/private-ws.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXH	64
#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* RFC 6455 section 1.3's example key; seeds answer with its Accept */
static const char key[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char rfc_accept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

static uint8_t buf_a[8192], buf_b[8192], back[4096];
static struct loom_http_hdr hdrs_a[MAXH], hdrs_b[MAXH];
static uint32_t rng;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;

	return rng;
}

static size_t
piece(size_t left)
{
	size_t n = (rnd() & 1) ? 1 + rnd() % 8 : 1 + rnd() % 300;

	return n < left ? n : left;
}

static int
sink(void *user, const uint8_t *out, size_t olen, int last)
{
	uint8_t **cur = user;

	(void)last;
	CHECK(olen <= (size_t)(back + sizeof(back) - *cur));
	if (olen) {
		memcpy(*cur, out, olen);
		*cur += olen;
	}

	return 0;
}

/* one message through the agreed deflate parameters and back, twice (the second
 * with the context kept, unless no_context_takeover was agreed) */
static void
round_trip(const struct loom_ws_pmd_params *pp, const uint8_t *m, size_t len)
{
	struct loom_ws_pmd *cli, *srv;
	uint8_t *out, *cur;
	size_t olen;
	int i;

	if (len > sizeof(back))
		len = sizeof(back);
	cli = loom__ws_pmd_create(pp, 0);
	srv = loom__ws_pmd_create(pp, 1);
	CHECK(cli && srv);
	for (i = 0; i < 2; i++) {
		CHECK(!loom__ws_pmd_deflate(cli, m, len, 1, &out, &olen, LOOM_WS_MAX_HDR));
		cur = back;
		CHECK(!loom__ws_pmd_inflate(srv, out, olen, 1, sizeof(back), sink, &cur));
		CHECK((size_t)(cur - back) == len && !memcmp(back, m, len));
	}
	loom__ws_pmd_destroy(cli);
	loom__ws_pmd_destroy(srv);
}

/* an accepted answer: what RFC 6455 4.1 and RFC 7692 5 let a client accept */
static void
accepted(const struct loom_http_parser *p, const char *accept, const char *offered,
	 int pmd, int need, const struct loom_ws_101 *a)
{
	const struct loom_http_hdr *h;

	CHECK(p->status == 101);
	CHECK(loom__http_hdr(p, LOOM_HDR_UPGRADE, 0));
	CHECK(loom__http_hdr(p, LOOM_HDR_CONNECTION, 0));
	h = loom__http_hdr(p, LOOM_HDR_SEC_WEBSOCKET_ACCEPT, 0);
	CHECK(h && h->value.len == 28 &&
	      !memcmp(loom__http_frag_ptr(p, h->value), accept, 28));
	CHECK(!loom__http_hdr(p, LOOM_HDR_SEC_WEBSOCKET_ACCEPT, 1));
	CHECK(!need || a->protocol);
	if (a->protocol) {
		char name[LOOM_WS_PROTOCOL_NAME_MAX];

		CHECK(offered && a->protocol_len && a->protocol_len < sizeof(name));
		CHECK(!memchr(a->protocol, ',', a->protocol_len));
		memcpy(name, a->protocol, a->protocol_len);
		name[a->protocol_len] = '\0';
		CHECK(loom__ws_list_has(offered, strlen(offered), name));
	} else
		CHECK(!loom__http_hdr(p, LOOM_HDR_SEC_WEBSOCKET_PROTOCOL, 0));
	if (!a->has_pmd) {
		CHECK(!loom__http_hdr(p, LOOM_HDR_SEC_WEBSOCKET_EXTENSIONS, 0));
		return;
	}
	CHECK(pmd);
	CHECK(a->pmd.client_max_wbits >= 9 && a->pmd.client_max_wbits <= 15);
	CHECK(a->pmd.server_max_wbits >= 8 && a->pmd.server_max_wbits <= 15);
}

static int
parse(struct loom_http_parser *p, uint8_t *buf, struct loom_http_hdr *hdrs,
      const struct loom_http_parser_limits *lim, const uint8_t *m, size_t len,
      int split, size_t *consumed)
{
	size_t off = 0, n, used;
	int r = LOOM_HP_MORE;

	loom__http_parser_init(p, LOOM_HTTP_PARSE_RESPONSE, buf, sizeof(buf_a), hdrs, lim);
	while (off < len) {
		n = split ? piece(len - off) : len - off;
		r = loom__http_parse(p, m + off, n, &used);
		CHECK(used <= n);
		off += used;
		if (r != LOOM_HP_MORE)
			break;
		CHECK(used == n);
	}
	*consumed = off;

	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const offers[] = { NULL, "chat", "chat, superchat", "mqtt" };
	static const uint32_t heads[] = { 0, 128, 512, 2048 };
	struct loom_http_parser_limits lim;
	struct loom_http_parser a, b;
	struct loom_ws_101 ra, rb;
	const char *offered, *wa, *wb;
	char accept[29];
	size_t ca, cb;
	int pmd, need, r;

	if (size < 2)
		return 0;
	loom__ws_accept_for_key(key, sizeof(key) - 1, accept);
	CHECK(!strcmp(accept, rfc_accept));
	offered = offers[data[0] & 3];
	pmd = !!(data[0] & 4);
	need = !!(data[0] & 8);
	memset(&lim, 0, sizeof(lim));
	lim.max_head_bytes = heads[(data[0] >> 4) & 3];
	lim.max_headers = (data[0] & 0x40) ? 8 : 0;
	rng = 0x9e3779b9u ^ ((uint32_t)data[1] * 0x01000193u) ^ (uint32_t)size;
	data += 2;
	size -= 2;

	r = parse(&a, buf_a, hdrs_a, &lim, data, size, 0, &ca);
	CHECK(parse(&b, buf_b, hdrs_b, &lim, data, size, 1, &cb) == r);
	if (r != LOOM_HP_DONE)
		return 0;
	CHECK(ca == cb);

	wa = loom__ws_client_check_101(&a, accept, offered, pmd, need, &ra);
	wb = loom__ws_client_check_101(&b, accept, offered, pmd, need, &rb);
	CHECK(wa == wb);
	if (wa)
		return 0;
	CHECK(ra.has_pmd == rb.has_pmd && !memcmp(&ra.pmd, &rb.pmd, sizeof(ra.pmd)));
	CHECK(!ra.protocol == !rb.protocol && ra.protocol_len == rb.protocol_len);
	CHECK(!ra.protocol || !memcmp(ra.protocol, rb.protocol, ra.protocol_len));
	accepted(&a, accept, offered, pmd, need, &ra);
	if (ra.has_pmd && loom__ws_pmd_available())
		round_trip(&ra.pmd, data + ca, size - ca);

	return 0;
}
