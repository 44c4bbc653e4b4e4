/*
 * private-sspc.h: the SSPC client engine (sspc.c): a Secure Stream whose real
 * connection is made by a proxy process (loom-ssproxy); this side speaks the
 * serialization wire format to it over a Unix or TCP socket per stream, or over
 * one channel per stream of the transport mux on a tty (a UART).
 *
 * In an SSPC-only build (LOOM_WITH_SS off) sspc-api.c gives the loom_ss_* API
 * on top of it; in a full build ss.c hands every loom_ss_* call to it when the
 * context was created with info.ss_proxy (loom__sspc_context_is_proxied()).
 * loom__sspc_context_init() / _destroy() are in lib/core/private-core.h.
 */
#if !defined(LOOM_PRIVATE_SSPC_H)
#define LOOM_PRIVATE_SSPC_H

struct loom_sspc;

/* the default proxy address; the environment's LOOM_SSPROXY overrides it, and
 * the context's info.ss_proxy overrides both:
 * "unix:@name", "unix:/path", "host:port", "mux:/dev/ttyX" or "mux:fd:N" (a
 * descriptor already open). Without sockets (LOOM_PLAT=baremetal) only the mux
 * exists, by default over the first stream the app added (loom_bm_stream_add) */
#if defined(LOOM_PLAT_SOCKETS)
#define LOOM_SSPC_DEF_PROXY	"unix:@loom-ssproxy"
#else
#define LOOM_SSPC_DEF_PROXY	"mux:fd:1"
#endif

/*
 * Make an SSPC stream. \p user_handle is what the user's object gets at
 * info->handle_offset (the API's handle); with \p free_handle it is loom_free()d
 * when the stream ends. Returns 0 with *out set, or an error.
 */
int
loom__sspc_create(struct loom_context *ctx, int tsi, const struct loom_ss_info *info,
		  void *opaque, void *user_handle, int free_handle,
		  struct loom_sspc **out);
void
loom__sspc_destroy(struct loom_sspc *s);
int
loom__sspc_request_tx(struct loom_sspc *s, int has_len, unsigned long len);
int
loom__sspc_client_connect(struct loom_sspc *s);
int
loom__sspc_set_metadata(struct loom_sspc *s, const char *name, const void *value,
			size_t len);
int
loom__sspc_get_metadata(struct loom_sspc *s, const char *name, const void **value,
			size_t *len);
void *
loom__sspc_user(struct loom_sspc *s);
/* the context was made with info.ss_proxy: its streams go through the proxy */
int
loom__sspc_context_is_proxied(struct loom_context *ctx);
struct loom_context *
loom__sspc_context(struct loom_sspc *s);

#endif
