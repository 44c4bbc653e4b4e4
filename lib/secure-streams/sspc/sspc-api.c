/*
 * sspc-api.c: the loom_ss_* stream API of an SSPC-only build (LOOM_WITH_SS off,
 * LOOM_WITH_SSPC on): every stream is served by the proxy (sspc.c), so the
 * library holds no policy, protocol, TLS or DNS code of its own.
 */
#include "core/private-core.h"
#include "secure-streams/sspc/private-sspc.h"

struct loom_ss_handle {
	struct loom_sspc *s;
};

int
loom_ss_create(struct loom_context *ctx, int tsi, const struct loom_ss_info *info,
	       void *opaque, struct loom_ss_handle **handle)
{
	struct loom_ss_handle *h = loom_zalloc(sizeof(*h), "ss handle");
	int r;

	*handle = NULL;
	if (!h)
		return LOOM_ENOMEM;
	*handle = h;	/* the state callback of CREATING may use it already */
	r = loom__sspc_create(ctx, tsi, info, opaque, h, 1, &h->s);
	if (r) {
		loom_free(h);
		*handle = NULL;
	}

	return r;
}

void
loom_ss_destroy(struct loom_ss_handle **handle)
{
	if (!handle || !*handle)
		return;
	loom__sspc_destroy((*handle)->s);	/* frees the handle when it ends */
	*handle = NULL;
}

int
loom_ss_request_tx(struct loom_ss_handle *h)
{
	return loom__sspc_request_tx(h->s, 0, 0);
}

int
loom_ss_request_tx_len(struct loom_ss_handle *h, unsigned long len)
{
	return loom__sspc_request_tx(h->s, 1, len);
}

int
loom_ss_client_connect(struct loom_ss_handle *h)
{
	return loom__sspc_client_connect(h->s);
}

int
loom_ss_set_metadata(struct loom_ss_handle *h, const char *name, const void *value,
		     size_t len)
{
	return loom__sspc_set_metadata(h->s, name, value, len);
}

int
loom_ss_get_metadata(struct loom_ss_handle *h, const char *name, const void **value,
		     size_t *len)
{
	return loom__sspc_get_metadata(h->s, name, value, len);
}

void *
loom_ss_to_user_object(struct loom_ss_handle *h)
{
	return loom__sspc_user(h->s);
}

struct loom_context *
loom_ss_get_context(struct loom_ss_handle *h)
{
	return loom__sspc_context(h->s);
}
