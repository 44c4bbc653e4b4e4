/*
 * client-hello.c: the server name (SNI) of a TLS ClientHello, read from bytes
 * peeked off the socket before the TLS library sees them, so a backend can pick
 * the SNI vhost (and its ALPN list) before the handshake starts. No I/O, no
 * allocation; any split or malformed input is answered, never trusted.
 */
#include "core/private-core.h"
#include "tls/private-tls.h"

/* big-endian length at p of n (1..3) bytes */
static size_t
loom_ch_len(const uint8_t *p, int n)
{
	size_t v = 0;

	while (n--)
		v = (v << 8) | *p++;

	return v;
}

int
loom__tls_client_hello_sni(const uint8_t *b, size_t n, char *name, size_t max)
{
	size_t rec, end, i, ext_end;

	if (n < 9)
		return LOOM_TLS_CH_MORE;
	if (b[0] != 0x16 || b[5] != 0x01)
		return LOOM_TLS_CH_NONE;	/* not a ClientHello record */
	rec = loom_ch_len(b + 3, 2);
	end = 9 + loom_ch_len(b + 6, 3);	/* the end of the ClientHello */
	if (end > 5 + rec)
		return LOOM_TLS_CH_NONE;	/* split over records: not handled */
	if (n < 5 + rec)
		return LOOM_TLS_CH_MORE;
	/* version and random, then session id, cipher suites, compression */
	i = 9 + 2 + 32;
	if (i + 1 > end)
		return LOOM_TLS_CH_NONE;
	i += 1 + b[i];
	if (i + 2 > end)
		return LOOM_TLS_CH_NONE;
	i += 2 + loom_ch_len(b + i, 2);
	if (i + 1 > end)
		return LOOM_TLS_CH_NONE;
	i += 1 + b[i];
	if (i + 2 > end)
		return LOOM_TLS_CH_NONE;	/* no extensions (or malformed) */
	ext_end = i + 2 + loom_ch_len(b + i, 2);
	i += 2;
	if (ext_end > end)
		return LOOM_TLS_CH_NONE;
	while (i + 4 <= ext_end) {
		size_t type = loom_ch_len(b + i, 2), e = i + 4;
		size_t le = e + loom_ch_len(b + i + 2, 2);

		if (le > ext_end)
			return LOOM_TLS_CH_NONE;
		i = le;
		if (type != 0)
			continue;
		/* server_name: a list of (type, length, name); host_name is type 0 */
		if (e + 2 > le || e + 2 + loom_ch_len(b + e, 2) != le)
			return LOOM_TLS_CH_NONE;
		for (e += 2; e + 3 <= le; ) {
			size_t nl = loom_ch_len(b + e + 1, 2);

			if (e + 3 + nl > le)
				return LOOM_TLS_CH_NONE;
			if (!b[e]) {
				if (!nl || nl >= max || memchr(b + e + 3, '\0', nl))
					return LOOM_TLS_CH_NONE;
				memcpy(name, b + e + 3, nl);
				name[nl] = '\0';
				return LOOM_TLS_CH_NAME;
			}
			e += 3 + nl;
		}
		return LOOM_TLS_CH_NONE;
	}

	return LOOM_TLS_CH_NONE;
}
