/*
 * fuzz-tls-client-hello.c: the ClientHello server-name reader the mbedTLS backend
 * runs on peeked bytes (lib/tls/client-hello.c). Every prefix of the input is
 * tried too, as a peek may return any part of the record; a name it returns must
 * be a NUL-terminated string that fits and occurs in the input.
 */
#include "core/private-core.h"
#include "tls/private-tls.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
occurs(const uint8_t *data, size_t size, const char *s, size_t l)
{
	size_t i;

	for (i = 0; i + l <= size; i++)
		if (!memcmp(data + i, s, l))
			return 1;

	return 0;
}

static void
check(const uint8_t *data, size_t size, size_t max)
{
	char name[256];
	int r = loom__tls_client_hello_sni(data, size, name, max);

	if (r == LOOM_TLS_CH_NAME) {
		size_t l = strlen(name);

		if (!l || l >= max)
			abort();
		/* it was copied from the input */
		if (!occurs(data, size, name, l))
			abort();
	} else if (r != LOOM_TLS_CH_NONE && r != LOOM_TLS_CH_MORE)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;

	check(data, size, 256);
	check(data, size, 8);
	for (n = 0; n < size && n < 600; n += 7)
		check(data, n, 256);

	return 0;
}
