/*
 * loom-test.h: the few helpers every api-test shares: a check macro that counts
 * failures with file and line, and the closing "N passed, N failed" line.
 */
#ifndef LOOM_TEST_H
#define LOOM_TEST_H

#include <stdio.h>

static int lt_pass, lt_fail;

#define LT_CHECK(cond) do { \
	if (cond) \
		lt_pass++; \
	else { \
		lt_fail++; \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define LT_CHECK_EQ(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a == _b) \
		lt_pass++; \
	else { \
		lt_fail++; \
		fprintf(stderr, "%s:%d: check failed: %s == %s (%lld != %lld)\n", \
			__FILE__, __LINE__, #a, #b, _a, _b); \
	} \
} while (0)

/* print the closing line and give main()'s exit code */
static inline int
lt_result(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, lt_pass, lt_fail);

	return lt_fail || !lt_pass;
}

/* "dir/name" (a certificate the test was given the directory of), in one of
 * eight buffers used in turn, so a call can hold several at once */
static inline const char *
lt_cert(const char *dir, const char *name)
{
	static char bufs[8][600];
	static int n;
	char *b = bufs[n++ & 7];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);

	return b;
}

#endif
