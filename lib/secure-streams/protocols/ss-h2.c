/*
 * ss-h2.c: Secure Streams over HTTP/2 client streams. The same transaction as
 * ss-h1.c (method, url, header metadata, body from tx, response to rx), asked for
 * as h2: ALPN "h2" over TLS (HTTP/1.1 if the server will not), prior knowledge on
 * plain TCP. Streams of the same endpoint, port and TLS settings share one h2
 * connection, each its own h2 stream.
 */
#include "core/private-core.h"
#include "secure-streams/private-ss.h"

#if defined(LOOM_WITH_H2)

static int
ss_h2_connect(struct loom_ss_handle *h)
{
	return loom__ss_http_connect(h, 1);
}

const struct ss_proto_ops loom__ss_ops_h2 = {
	"h2", &loom__ss_http_protocol, ss_h2_connect, loom__ss_http_request_tx
};

#else
typedef int loom__ss_h2_off;	/* ISO C wants something in a translation unit */
#endif
