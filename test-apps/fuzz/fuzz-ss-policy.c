/*
 * fuzz-ss-policy.c: the Secure Streams policy parser (lib/secure-streams/policy).
 * Any input either fails cleanly or gives a policy whose every reference is
 * resolved and every stream type is complete; with the first input byte's low
 * bits, an allocation fails part way and must leave nothing allocated.
 *
 * Input: [alloc fail selector] policy JSON...
 */
#include <loom.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if defined(LOOM_WITH_SS)

#define check(x) do { if (!(x)) abort(); } while (0)

static long live, calls, fail_at = -1;

static void *
fz_realloc(void *ptr, size_t size, const char *reason)
{
	(void)reason;
	if (!size) {
		if (ptr)
			live--;
		free(ptr);
		return NULL;
	}
	if (calls++ == fail_at)
		return NULL;
	if (!ptr)
		live++;

	return realloc(ptr, size);
}

static void
quiet(int level, const char *line)
{
	(void)level;
	(void)line;
}

static void
walk(const struct loom_ss_policy *pol)
{
	const struct loom_ss_stream_type *st;
	const struct loom_ss_trust_store *ts;
	const struct loom_ss_metadata_policy *m;
	const struct loom_ss_retry *r;
	unsigned int n = 0, i;

	for (r = pol->retries; r; r = r->next)
		check(r->name && r->count_backoff <= 32 && r->jitter_pc <= 100);
	for (ts = pol->trust_stores; ts; ts = ts->next) {
		check(ts->name && ts->pem && strlen(ts->pem) == ts->pem_len);
		for (i = 0; i < ts->count_certs; i++)
			check(ts->certs[i] && ts->certs[i]->b64 && ts->certs[i]->der_len);
	}
	for (st = pol->stream_types; st; st = st->next) {
		n++;
		check(st->name);
		check(st->port >= 0 && st->port <= 65535);
		if (!(st->flags & LOOM_SSTF_LOCAL_SINK)) {
			check(st->protocol != LOOM_SS_PROTO_NONE);
			if (!(st->flags & LOOM_SSTF_SERVER))
				check(st->endpoint);
		}
		i = 0;
		for (m = st->metadata; m; m = m->next)
			check(m->name && m->value && m->index == i++);
		check(i == st->count_metadata);
		check(loom_ss_policy_stream_type(pol, st->name));
		check(!st->server_cert || st->server_cert_pem);
	}
	check(n == pol->count_stream_types);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loom_ss_policy *pol;
	int rc;

	if (!size)
		return 0;
	loom_set_allocator(fz_realloc);
	loom_set_log_level(LOOM_LL_ERR, quiet);
	calls = 0;
	live = 0;
	fail_at = data[0] < 0x40 ? data[0] : -1;
	rc = loom_ss_policy_parse(data + 1, size - 1, &pol);
	fail_at = -1;
	if (!rc) {
		check(pol && pol->refcount == 1);
		walk(pol);
		loom_ss_policy_unref(pol);
	} else
		check(!pol && (rc == LOOM_EINVAL || rc == LOOM_ENOMEM));
	check(live == 0);
	loom_set_allocator(NULL);

	return 0;
}

#else
/* a build without Secure Streams has no policy parser to feed */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)data;
	(void)size;

	return 0;
}
#endif
