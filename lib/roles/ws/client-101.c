/*
 * client-101.c: the checks a WebSocket client makes on the server's answer to its
 * upgrade request (RFC 6455 section 4.1, RFC 7692 section 5), on the parsed head
 * alone: no conn, no I/O, no allocation, so a fuzzer can drive it. The ws client
 * role and MQTT over WebSocket both use it.
 */
#include <string.h>

#include "roles/http/private-http-parser.h"
#include "roles/ws/private-ws.h"

static const char *
hdr(const struct loom_http_parser *p, enum loom_hdr_token t, unsigned int n,
    size_t *len)
{
	const struct loom_http_hdr *hd = loom__http_hdr(p, t, n);

	if (!hd)
		return NULL;
	*len = hd->value.len;

	return loom__http_frag_ptr(p, hd->value);
}

/* the one subprotocol the server chose must be one the client offered */
static const char *
check_protocol(const struct loom_http_parser *p, const char *offered,
	       struct loom_ws_101 *out)
{
	char name[LOOM_WS_PROTOCOL_NAME_MAX];
	const char *v;
	size_t vl;

	v = hdr(p, LOOM_HDR_SEC_WEBSOCKET_PROTOCOL, 0, &vl);
	if (!v)
		return NULL;
	if (hdr(p, LOOM_HDR_SEC_WEBSOCKET_PROTOCOL, 1, &vl))
		return "more than one Sec-WebSocket-Protocol";
	if (!offered || !vl || vl >= sizeof(name))
		return "the server chose a subprotocol not offered";
	memcpy(name, v, vl);
	name[vl] = '\0';
	if (!loom__ws_list_has(offered, strlen(offered), name))
		return "the server chose a subprotocol not offered";
	out->protocol = v;
	out->protocol_len = vl;

	return NULL;
}

const char *
loom__ws_client_check_101(const struct loom_http_parser *p, const char *accept,
			  const char *offered_protocols, int offered_pmd,
			  int need_protocol, struct loom_ws_101 *out)
{
	const char *v, *why;
	size_t vl;
	int cwb;

	memset(out, 0, sizeof(*out));
	if (p->status != 101)
		return "the server refused the upgrade";
	v = hdr(p, LOOM_HDR_UPGRADE, 0, &vl);
	if (!v || !loom__ws_list_has(v, vl, "websocket"))
		return "no Upgrade: websocket";
	v = hdr(p, LOOM_HDR_CONNECTION, 0, &vl);
	if (!v || !loom__ws_list_has(v, vl, "upgrade"))
		return "no Connection: upgrade";
	v = hdr(p, LOOM_HDR_SEC_WEBSOCKET_ACCEPT, 0, &vl);
	if (!v || vl != 28 || memcmp(v, accept, 28) ||
	    hdr(p, LOOM_HDR_SEC_WEBSOCKET_ACCEPT, 1, &vl))
		return "wrong Sec-WebSocket-Accept";
	why = check_protocol(p, offered_protocols, out);
	if (why)
		return why;
	if (need_protocol && !out->protocol)
		return "subprotocol not agreed";
	v = hdr(p, LOOM_HDR_SEC_WEBSOCKET_EXTENSIONS, 0, &vl);
	if (!v)
		return NULL;
	/* we offer permessage-deflate only, once: the answer is that or nothing */
	if (!offered_pmd || hdr(p, LOOM_HDR_SEC_WEBSOCKET_EXTENSIONS, 1, &vl) ||
	    loom__ws_pmd_parse(v, vl, 1, &out->pmd, &cwb))
		return "extension not offered or not usable";
	/*
	 * zlib cannot deflate with an 8-bit window (it uses 9), so a server that
	 * limits our window to 8 bits cannot be honoured: RFC 7692 section 5 says
	 * fail the connection then. Its own 8-bit window we inflate with 15.
	 */
	if (out->pmd.client_max_wbits < 9)
		return "the server asks for an 8-bit window we cannot make";
	out->has_pmd = 1;

	return NULL;
}
