/*
 * retry.c: the retry and backoff helper. A policy is a table of delays, a jitter
 * percentage and a count of retries that stay "concealed" from the app; client
 * connections, apps and Secure Streams schedule their next try on the sul with it.
 */
#include "core/private-core.h"

unsigned int
loom_retry_get_delay_ms(struct loom_context *ctx, const struct loom_retry_bo *retry,
			uint16_t *ctry, int *conceal)
{
	uint64_t ms;
	uint16_t n;

	(void)ctx;
	if (conceal)
		*conceal = 0;
	if (!retry || !ctry)
		return 0;
	n = *ctry;
	if (conceal)
		*conceal = retry->conceal_count == LOOM_RETRY_CONCEAL_ALWAYS ||
			   n < retry->conceal_count;
	if (*ctry < 0xfffe)
		(*ctry)++;
	if (!retry->retry_ms_table || !retry->retry_ms_table_count)
		return 0;
	ms = retry->retry_ms_table[n < retry->retry_ms_table_count ? n :
				   retry->retry_ms_table_count - 1];
	if (retry->jitter_percent && ms) {
		uint32_t r = 0;
		unsigned int pc = retry->jitter_percent > 100 ? 100 :
							       retry->jitter_percent;

		/* a random extra of 0 .. pc% of the delay, so peers do not sync up */
		if (!loom__plat_random(&r, sizeof(r)))
			ms += (ms * pc * (r % 1001)) / (100 * 1000);
	}

	return ms > 0xffffffffu ? 0xffffffffu : (unsigned int)ms;
}

int
loom_retry_sul_schedule(struct loom_context *ctx, int tsi, struct loom_sul *sul,
			const struct loom_retry_bo *retry, loom_sul_cb cb, uint16_t *ctry)
{
	unsigned int ms;
	int conceal;

	if (!ctx || !sul || !retry || !cb || !ctry)
		return 1;
	ms = loom_retry_get_delay_ms(ctx, retry, ctry, &conceal);
	if (!conceal)
		return 1;
	loom_sul_schedule(ctx, tsi, sul, cb, (loom_usec_t)ms * LOOM_US_PER_MS);

	return 0;
}
