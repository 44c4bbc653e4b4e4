/*
 * ss.c: the Secure Streams API: streams by type name, their states, metadata and
 * ${} substitution, tx on request, and the retries of the policy's backoff table.
 * A stream outlives its connections; the bindings in protocols/ tell it when a
 * connection comes, finishes a transaction or goes.
 */
#include "core/private-core.h"
#include "secure-streams/private-ss.h"
#if defined(LOOM_WITH_SS_VIA_PROXY)
#include "secure-streams/sspc/private-sspc.h"
/* a stream of a context made with info.ss_proxy: each API call goes to sspc.c */
#define SSPC_OF(h)	((h)->sspc)
#endif

#include <stdio.h>

static struct loom_ss_ctx *
ssc(struct loom_context *ctx)
{
	return ctx->ss;
}

static const struct ss_proto_ops *
ops_for(enum loom_ss_protocol p)
{
	switch (p) {
#if defined(SS_WITH_H1)
	case LOOM_SS_PROTO_H1:
		return &loom__ss_ops_h1;
#if defined(LOOM_WITH_H2)
	case LOOM_SS_PROTO_H2:
		return &loom__ss_ops_h2;
#endif
#endif
#if defined(SS_WITH_WS)
	case LOOM_SS_PROTO_WS:
		return &loom__ss_ops_ws;
#endif
#if defined(SS_WITH_MQTT)
	case LOOM_SS_PROTO_MQTT:
		return &loom__ss_ops_mqtt;
#endif
	case LOOM_SS_PROTO_RAW:
		return &loom__ss_ops_raw;
	default:
		return NULL;
	}
}

/* ---- destroy, now or once the user callbacks on the stack return ---- */

static void
ss_free(struct loom_ss_handle *h)
{
	struct ss_meta *m = h->meta;

	while (m) {
		struct ss_meta *n = m->next;

		loom_free(m->value);
		loom_free(m->name);
		loom_free(m);
		m = n;
	}
	loom_ss_policy_unref(h->pol);
	loom_free(h->msg);
	loom_free(h->user);
	loom_free(h);
}

static void
ss_detach_conn(struct loom_ss_handle *h)
{
	struct loom_conn *c = h->conn;

	h->conn = NULL;
	if (c) {
		loom_set_opaque_user_data(c, NULL);
		loom_close(c, LOOM_CLOSE_NORMAL);
	}
}

static void
ss_destroy_now(struct loom_ss_handle *h)
{
	loom_sul_cancel(&h->sul_connect);
	loom_sul_cancel(&h->sul_timeout);
	ss_detach_conn(h);
	if (h->info.state && h->state != LOOM_SSS_DESTROYING) {
		h->state = LOOM_SSS_DESTROYING;
		h->in_cb++;
		h->info.state(h->user, NULL, LOOM_SSS_DESTROYING, 0);
		h->in_cb--;
		ss_detach_conn(h);
	}
#if defined(SS_WITH_H1)
	if ((h->st->flags & LOOM_SSTF_SERVER) && !h->server)
		loom__ss_server_parent_gone(h);
#endif
	loom_dll2_remove(&h->list);
	loom_log_info("%s: destroyed", h->tag);
	ss_free(h);
}

static void
ss_destroy_cb(struct loom_sul *sul)
{
	ss_destroy_now(loom_container_of(sul, struct loom_ss_handle, sul_connect));
}

/* destroy once no user callback of this stream is on the stack */
static void
ss_destroy_later(struct loom_ss_handle *h)
{
	if (h->destroy_pending)
		return;
	h->destroy_pending = 1;
	loom_sul_cancel(&h->sul_timeout);
	ss_detach_conn(h);
	loom_sul_schedule(h->ctx, h->tsi, &h->sul_connect, ss_destroy_cb, 0);
}

void
loom_ss_destroy(struct loom_ss_handle **handle)
{
	struct loom_ss_handle *h;

	if (!handle || !*handle)
		return;
	h = *handle;
	*handle = NULL;
#if defined(LOOM_WITH_SS_VIA_PROXY)
	if (SSPC_OF(h)) {	/* it frees h when the stream ends */
		loom__sspc_destroy(SSPC_OF(h));
		return;
	}
#endif
	if (h->in_cb || h->state == LOOM_SSS_DESTROYING)
		ss_destroy_later(h);
	else if (!h->destroy_pending)
		ss_destroy_now(h);
}

/* ---- user callbacks ---- */

static int
ss_result(struct loom_ss_handle *h, int r)
{
	if (r == LOOM_SSR_DESTROY_ME) {
		ss_destroy_later(h);
		return -1;
	}
	if (r == LOOM_SSR_DISCONNECT_ME && h->conn) {
		loom_close(h->conn, LOOM_CLOSE_NORMAL);
		return -1;
	}

	return 0;
}

int
loom__ss_state(struct loom_ss_handle *h, int state, unsigned int ack)
{
	int r = 0;

	if (h->destroy_pending)
		return -1;
	loom_log_info("%s: %s (%u)", h->tag, loom_ss_state_name(state), ack);
	h->state = state;
	if (h->info.state) {
		h->in_cb++;
		r = h->info.state(h->user, NULL, state, ack);
		h->in_cb--;
	}

	return ss_result(h, r);
}

int
loom__ss_rx(struct loom_ss_handle *h, const uint8_t *buf, size_t len, int flags)
{
	int r = 0;

	if (h->destroy_pending)
		return -1;
	if (h->info.rx) {
		h->in_cb++;
		r = h->info.rx(h->user, buf, len, flags);
		h->in_cb--;
	}

	return ss_result(h, r);
}

int
loom__ss_tx(struct loom_ss_handle *h, size_t max, int *flags, int *rc)
{
	size_t len = max;
	int r;

	*flags = 0;
	*rc = LOOM_SSR_TX_DONT_SEND;
	if (h->destroy_pending || !h->info.tx)
		return 0;
	if (max > LOOM_SS_TX_BUF)
		len = max = LOOM_SS_TX_BUF;
	h->tx_requested = 0;
	h->in_cb++;
	r = h->info.tx(h->user, h->txbuf + LOOM_PRE, &len, flags);
	h->in_cb--;
	*rc = r;
	if (r == LOOM_SSR_TX_DONT_SEND)
		return 0;
	if (ss_result(h, r))
		return -1;
	if (len > max) {
		loom_log_err("%s: tx callback wrote %zu, more than the %zu offered",
			     h->tag, len, max);
		return -1;
	}

	return (int)len;
}

/* ---- connecting and retrying ---- */

static void
ss_timeout_cb(struct loom_sul *sul)
{
	struct loom_ss_handle *h = loom_container_of(sul, struct loom_ss_handle,
						     sul_timeout);

	h->timed_out = 1;
	if (loom__ss_state(h, LOOM_SSS_TIMEOUT, 0))
		return;
	if (h->conn)
		loom_close(h->conn, LOOM_CLOSE_NORMAL);
}

static void
ss_connect_cb(struct loom_sul *sul)
{
	struct loom_ss_handle *h = loom_container_of(sul, struct loom_ss_handle,
						     sul_connect);

	if (h->conn || h->destroy_pending || !h->ops)
		return;
	h->connected = 0;
	h->timed_out = 0;
	h->txn_done = 0;
	h->tx_som_sent = 0;
	h->rx_started = 0;
	h->http_status = 0;
	if (loom__ss_state(h, LOOM_SSS_CONNECTING, 0))
		return;
	if (h->st->timeout_ms && !(h->st->flags & LOOM_SSTF_LONG_POLL))
		loom_sul_schedule(h->ctx, h->tsi, &h->sul_timeout, ss_timeout_cb,
				  (loom_usec_t)h->st->timeout_ms * 1000);
	if (h->ops->connect(h)) {
		h->conn = NULL;
		loom__ss_conn_gone(h, 1);
	}
}

static void
ss_connect_soon(struct loom_ss_handle *h)
{
	if (!h->conn && !h->destroy_pending && h->ops)
		loom_sul_schedule(h->ctx, h->tsi, &h->sul_connect, ss_connect_cb, 0);
}

int
loom_ss_client_connect(struct loom_ss_handle *h)
{
#if defined(LOOM_WITH_SS_VIA_PROXY)
	if (h && SSPC_OF(h))
		return loom__sspc_client_connect(SSPC_OF(h));
#endif
	if (!h || h->server || !h->ops)
		return LOOM_EINVAL;
	h->retry_ctr = 0;
	ss_connect_soon(h);

	return 0;
}

void
loom__ss_connected(struct loom_ss_handle *h)
{
	h->connected = 1;
	/* h1: timeout_ms bounds the whole transaction, and only a finished one
	 * counts as a success; the others have no transaction: it bounds getting
	 * connected, and being connected is the success */
	if (h->st->protocol != LOOM_SS_PROTO_H1 || h->server) {
		loom_sul_cancel(&h->sul_timeout);
		h->retry_ctr = 0;
	}
	if (loom__ss_state(h, LOOM_SSS_CONNECTED, 0))
		return;
	if (h->tx_requested && h->conn && h->server)
		loom_callback_on_writable(h->conn);
	else if (h->tx_requested && h->conn && h->ops && h->ops->request_tx)
		h->ops->request_tx(h);
}

void
loom__ss_txn_done(struct loom_ss_handle *h)
{
	unsigned int s = h->http_status;
	int ok;

	h->txn_done = 1;
	h->retry_ctr = 0;
	loom_sul_cancel(&h->sul_timeout);
	if (h->st->http_expect)
		ok = (int)s == h->st->http_expect;
	else
		ok = !s || (s >= 200 && s < 300);
	if (!ok && (s == 401 || s == 403))
		loom__ss_state(h, LOOM_SSS_AUTH_FAILED, s);
	else
		loom__ss_state(h, ok ? LOOM_SSS_QOS_ACK_REMOTE : LOOM_SSS_QOS_NACK_REMOTE,
			       s);
}

void
loom__ss_conn_gone(struct loom_ss_handle *h, int failed)
{
	int was_connected = h->connected;

	h->conn = NULL;
	h->connected = 0;
	if (h->destroy_pending)
		return;
	if (!h->txn_done || !(h->st->flags & LOOM_SSTF_NAILED_UP))
		loom_sul_cancel(&h->sul_timeout);
	if (loom__ss_state(h, failed || !was_connected ? LOOM_SSS_UNREACHABLE :
			   LOOM_SSS_DISCONNECTED, 0))
		return;
	if (h->server)
		return;
	/* a finished transaction needs no retry, unless the stream is nailed up */
	if (h->txn_done && !(h->st->flags & LOOM_SSTF_NAILED_UP)) {
		if (h->tx_requested)
			ss_connect_soon(h);
		return;
	}
	if (h->txn_done) {
		/* nailed up and it was a good connection: come back at once */
		h->retry_ctr = 0;
		ss_connect_soon(h);
		return;
	}
	if (!h->st->retry ||
	    loom_retry_sul_schedule(h->ctx, h->tsi, &h->sul_connect, &h->rbo,
				    ss_connect_cb, &h->retry_ctr)) {
		loom__ss_state(h, LOOM_SSS_ALL_RETRIES_FAILED, h->retry_ctr);
		return;
	}
	loom__ss_state(h, LOOM_SSS_POLL, h->retry_ctr);
}

/* ---- metadata ---- */

/* the metadata item maps to a header when its policy value ends in ':' */
size_t
loom__ss_meta_header(const struct ss_meta *m, char *name, size_t len)
{
	size_t n;

	if (!m->pol || !m->pol->value)
		return 0;
	n = strlen(m->pol->value);
	if (n < 2 || m->pol->value[n - 1] != ':' || n > len)
		return 0;
	memcpy(name, m->pol->value, n - 1);
	name[n - 1] = '\0';

	return n - 1;
}

struct ss_meta *
loom__ss_meta(struct loom_ss_handle *h, const char *name, size_t nlen)
{
	struct ss_meta *m;

	for (m = h->meta; m; m = m->next) {
		const char *n = m->pol ? m->pol->name : m->name;

		if (strlen(n) == nlen && !memcmp(n, name, nlen))
			return m;
	}

	return NULL;
}

int
loom_ss_set_metadata(struct loom_ss_handle *h, const char *name, const void *value,
		     size_t len)
{
	struct ss_meta *m;
	uint8_t *v;

	if (!h || !name || (!value && len))
		return LOOM_EINVAL;
#if defined(LOOM_WITH_SS_VIA_PROXY)
	if (SSPC_OF(h))
		return loom__sspc_set_metadata(SSPC_OF(h), name, value, len);
#endif
	m = loom__ss_meta(h, name, strlen(name));
	if (!m) {
		m = loom_zalloc(sizeof(*m), "ss metadata");
		if (!m)
			return LOOM_ENOMEM;
		m->name = loom__strdup(name, "ss metadata name");
		if (!m->name) {
			loom_free(m);
			return LOOM_ENOMEM;
		}
		m->next = h->meta;
		h->meta = m;
	}
	v = loom_realloc(m->value, len + 1, "ss metadata value");
	if (!v)
		return LOOM_ENOMEM;
	if (len)
		memcpy(v, value, len);
	v[len] = '\0';
	m->value = v;
	m->len = len;
	m->set = 1;

	return 0;
}

int
loom_ss_get_metadata(struct loom_ss_handle *h, const char *name, const void **value,
		     size_t *len)
{
	struct ss_meta *m;

	if (!h || !name)
		return LOOM_EINVAL;
#if defined(LOOM_WITH_SS_VIA_PROXY)
	if (SSPC_OF(h))
		return loom__sspc_get_metadata(SSPC_OF(h), name, value, len);
#endif
	m = loom__ss_meta(h, name, strlen(name));
	if (!m || !m->set)
		return LOOM_ENOTFOUND;
	*value = m->value;
	*len = m->len;

	return 0;
}

int
loom__ss_subst(struct loom_ss_handle *h, const char *in, char *out, size_t len)
{
	size_t o = 0;

	if (!in)
		in = "";
	while (*in) {
		const char *e;
		struct ss_meta *m;
		size_t n = 1;
		const char *src = in;

		if (in[0] == '$' && in[1] == '{' && (e = strchr(in + 2, '}'))) {
			m = loom__ss_meta(h, in + 2, (size_t)(e - in - 2));
			src = m && m->set ? (const char *)m->value : "";
			n = m && m->set ? m->len : 0;
			in = e + 1;
		} else
			in++;
		if (o + n >= len)
			return -1;
		memcpy(out + o, src, n);
		o += n;
	}
	out[o] = '\0';

	return (int)o;
}

void
loom__ss_tls_info(struct loom_ss_handle *h, struct loom_tls_client_info *tls)
{
	memset(tls, 0, sizeof(*tls));
	if (h->st->trust_store) {
		tls->ca_mem = (const uint8_t *)h->st->trust_store->pem;
		tls->ca_mem_len = h->st->trust_store->pem_len;
	}
	if (h->st->flags & LOOM_SSTF_TLS_INSECURE)
		tls->options |= LOOM_TLS_CLI_OPT_INSECURE_NO_VERIFY;
}

struct loom_ss_handle *
loom__ss_from_conn(struct loom_conn *conn)
{
	return conn ? loom_get_opaque_user_data(conn) : NULL;
}

/* ---- create ---- */

static struct loom_ss_handle *
ss_alloc(struct loom_context *ctx, int tsi, const struct loom_ss_info *info,
	 struct loom_ss_policy *pol, const struct loom_ss_stream_type *st)
{
	const struct loom_ss_metadata_policy *mp;
	struct loom_ss_handle *h;
	static unsigned int serial;

	h = loom_zalloc(sizeof(*h), "ss handle");
	if (!h)
		return NULL;
	h->user = loom_zalloc(info->user_alloc ? info->user_alloc : 1, "ss user object");
	if (!h->user) {
		loom_free(h);
		return NULL;
	}
	h->ctx = ctx;
	h->tsi = tsi;
	h->info = *info;
	h->st = st;
	h->pol = pol;
	pol->refcount++;
	h->ops = (st->flags & LOOM_SSTF_SERVER) ? NULL : ops_for(st->protocol);
	snprintf(h->tag, sizeof(h->tag), "[ss|%u|%s]", ++serial, st->name);
	/* the policy's metadata items, in its order */
	for (mp = st->metadata; mp; mp = mp->next) {
		struct ss_meta *m = loom_zalloc(sizeof(*m), "ss metadata"), **pp = &h->meta;

		if (!m) {
			ss_free(h);
			return NULL;
		}
		m->pol = mp;
		while (*pp)
			pp = &(*pp)->next;
		*pp = m;
	}
	if (st->retry) {
		h->rbo.retry_ms_table = st->retry->backoff_ms;
		h->rbo.retry_ms_table_count = (uint16_t)st->retry->count_backoff;
		h->rbo.conceal_count = (st->flags & LOOM_SSTF_NAILED_UP) ?
				LOOM_RETRY_CONCEAL_ALWAYS : (uint16_t)st->retry->conceal;
		h->rbo.jitter_percent = (uint8_t)st->retry->jitter_pc;
	}
	if (info->user_alloc >= info->handle_offset + sizeof(void *))
		memcpy((uint8_t *)h->user + info->handle_offset, &h, sizeof(h));
	loom_dll2_add_tail(&h->list, &ssc(ctx)->streams);

	return h;
}

#if defined(LOOM_WITH_SS_VIA_PROXY)
/* the context serves its streams through a proxy: h only carries the engine's */
static int
ss_create_sspc(struct loom_context *ctx, int tsi, const struct loom_ss_info *info,
	       void *opaque, struct loom_ss_handle **handle)
{
	struct loom_ss_handle *h = loom_zalloc(sizeof(*h), "ss handle");
	int r;

	if (!h)
		return LOOM_ENOMEM;
	h->ctx = ctx;
	h->tsi = tsi;
	*handle = h;	/* the state callback of CREATING may use it already */
	r = loom__sspc_create(ctx, tsi, info, opaque, h, 1, &h->sspc);
	if (r) {
		loom_free(h);
		*handle = NULL;
	}

	return r;
}
#endif

int
loom_ss_create(struct loom_context *ctx, int tsi, const struct loom_ss_info *info,
	       void *opaque, struct loom_ss_handle **handle)
{
	const struct loom_ss_stream_type *st;
	struct loom_ss_handle *h;

	if (handle)
		*handle = NULL;
	if (!ctx || !info || !info->streamtype || !handle || tsi < 0 ||
	    (unsigned int)tsi >= ctx->count_threads)
		return LOOM_EINVAL;
#if defined(LOOM_WITH_SS_VIA_PROXY)
	if (loom__sspc_context_is_proxied(ctx))
		return ss_create_sspc(ctx, tsi, info, opaque, handle);
#endif
	if (!ssc(ctx)) {
		loom_log_err("ss: the context has no policy");
		return LOOM_EINVAL;
	}
	st = loom_ss_policy_stream_type(ssc(ctx)->pol, info->streamtype);
	if (!st) {
		loom_log_err("ss: no stream type \"%s\" in the policy", info->streamtype);
		return LOOM_ENOTFOUND;
	}
	if (!(st->flags & (LOOM_SSTF_SERVER | LOOM_SSTF_LOCAL_SINK)) &&
	    !ops_for(st->protocol)) {
		loom_log_err("ss: \"%s\": protocol %s is not in this build",
			     info->streamtype, loom_ss_protocol_name(st->protocol));
		return LOOM_EUNSUPP;
	}
	h = ss_alloc(ctx, tsi, info, ssc(ctx)->pol, st);
	if (!h)
		return LOOM_ENOMEM;
	if (info->opaque_user_data_offset != info->handle_offset &&
	    info->user_alloc >= info->opaque_user_data_offset + sizeof(void *))
		memcpy((uint8_t *)h->user + info->opaque_user_data_offset, &opaque,
		       sizeof(opaque));
	if (st->flags & LOOM_SSTF_SERVER) {
#if defined(SS_WITH_H1)
		int rc = loom__ss_server_listen(h);
#else
		int rc = LOOM_EUNSUPP;	/* server types need the h1 role */
#endif

		if (rc) {
			ss_destroy_now(h);
			return rc;
		}
	}
	*handle = h;
	if (loom__ss_state(h, LOOM_SSS_CREATING, 0)) {
		*handle = NULL;
		return LOOM_ECLOSED;
	}
	/* connect on the next loop pass, so the caller can set metadata first */
	ss_connect_soon(h);

	return 0;
}

struct loom_ss_handle *
loom__ss_create_server(struct loom_ss_handle *parent, struct loom_conn *conn)
{
	struct loom_ss_handle *h = ss_alloc(parent->ctx, loom_get_tsi(conn),
					    &parent->info, parent->pol, parent->st);

	if (!h)
		return NULL;
	h->server = 1;
	h->conn = conn;
	loom_set_opaque_user_data(conn, h);
	if (loom__ss_state(h, LOOM_SSS_CREATING, 0))
		return NULL;

	return h;
}

void
loom__ss_destroy_server_child(struct loom_ss_handle *h)
{
	if (h->in_cb)
		ss_destroy_later(h);
	else
		ss_destroy_now(h);
}

/* ---- tx ---- */

int
loom_ss_request_tx(struct loom_ss_handle *h)
{
	if (!h || h->destroy_pending)
		return LOOM_EINVAL;
#if defined(LOOM_WITH_SS_VIA_PROXY)
	if (SSPC_OF(h))
		return loom__sspc_request_tx(SSPC_OF(h), 0, 0);
#endif
	h->tx_requested = 1;
	if (h->conn && h->server)
		return loom_callback_on_writable(h->conn) ? LOOM_ECLOSED : 0;
	if (h->conn)
		return h->ops && h->ops->request_tx ? h->ops->request_tx(h) : 0;
	if (!h->server && !loom_sul_is_scheduled(&h->sul_connect)) {
		h->retry_ctr = 0;
		ss_connect_soon(h);
	}

	return 0;
}

int
loom_ss_request_tx_len(struct loom_ss_handle *h, unsigned long len)
{
	if (!h)
		return LOOM_EINVAL;
#if defined(LOOM_WITH_SS_VIA_PROXY)
	if (SSPC_OF(h))
		return loom__sspc_request_tx(SSPC_OF(h), 1, len);
#endif
	h->tx_len = len;

	return loom_ss_request_tx(h);
}

void *
loom_ss_to_user_object(struct loom_ss_handle *h)
{
#if defined(LOOM_WITH_SS_VIA_PROXY)
	if (h && SSPC_OF(h))
		return loom__sspc_user(SSPC_OF(h));
#endif
	return h ? h->user : NULL;
}

struct loom_context *
loom_ss_get_context(struct loom_ss_handle *h)
{
	return h ? h->ctx : NULL;
}

const struct loom_ss_stream_type *
loom_ss_stream_type_of(struct loom_ss_handle *h)
{
	return h ? h->st : NULL;
}

/* ---- the context's SS state ---- */

static const struct loom_protocol *
ss_protocols(void)
{
	static struct loom_protocol p[8];
	unsigned int n = 0;

	if (!p[0].name) {
#if defined(SS_WITH_H1)
		p[n++] = *loom__ss_ops_h1.protocol;
#endif
#if defined(SS_WITH_WS)
		p[n++] = *loom__ss_ops_ws.protocol;
#endif
#if defined(SS_WITH_MQTT)
		p[n++] = *loom__ss_ops_mqtt.protocol;
#endif
		p[n++] = *loom__ss_ops_raw.protocol;
	}

	return p;
}

int
loom__ss_context_init(struct loom_context *ctx, const struct loom_context_info *info)
{
	struct loom_vhost_info vi;
	struct loom_ss_ctx *s;
	int rc;

	if (!info->ss_policy_file && !info->ss_policy)
		return 0;
#if defined(LOOM_WITH_SS_VIA_PROXY)
	if (info->ss_proxy)
		return 0;	/* the proxy owns the policy (sspc.c) */
#endif
	s = loom_zalloc(sizeof(*s), "ss context");
	if (!s)
		return LOOM_ENOMEM;
	ctx->ss = s;
	if (info->ss_policy)
		rc = loom_ss_policy_parse(info->ss_policy, info->ss_policy_len ?
					  info->ss_policy_len : strlen(info->ss_policy),
					  &s->pol);
	else
		rc = loom_ss_policy_parse_file(info->ss_policy_file, &s->pol);
	if (rc)
		return rc;
	memset(&vi, 0, sizeof(vi));
	vi.name = "ss-client";
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = ss_protocols();
	s->vh_client = loom_create_vhost(ctx, &vi);
	if (!s->vh_client)
		return LOOM_ENOMEM;
	loom_log_info("ss: policy %s / %s with %u stream types",
		      s->pol->product ? s->pol->product : "-",
		      s->pol->release ? s->pol->release : "-", s->pol->count_stream_types);

	return 0;
}

void
loom__ss_context_destroy(struct loom_context *ctx)
{
	struct loom_ss_ctx *s = ssc(ctx);

	if (!s)
		return;
	while (s->streams.head) {
		struct loom_ss_handle *h = loom_container_of(s->streams.head,
							     struct loom_ss_handle, list);

		ss_destroy_now(h);
	}
}

/* after the vhosts are gone: the servers' protocols and the policy go too */
void
loom__ss_context_free(struct loom_context *ctx)
{
	struct loom_ss_ctx *s = ssc(ctx);

	if (!s)
		return;
#if defined(SS_WITH_H1)
	loom__ss_servers_free(s);
#endif
	loom_ss_policy_unref(s->pol);
	loom_free(s);
	ctx->ss = NULL;
}

int
loom_ss_set_policy(struct loom_context *ctx, const void *json, size_t len)
{
	struct loom_ss_policy *pol;
	int rc;

	if (!ctx || !ssc(ctx) || !json)
		return LOOM_EINVAL;
	rc = loom_ss_policy_parse(json, len, &pol);
	if (rc)
		return rc;
	loom_ss_policy_unref(ssc(ctx)->pol);
	ssc(ctx)->pol = pol;
	loom_log_notice("ss: policy replaced: %u stream types", pol->count_stream_types);

	return 0;
}

const struct loom_ss_policy *
loom_ss_context_policy(struct loom_context *ctx)
{
	return ctx && ssc(ctx) ? ssc(ctx)->pol : NULL;
}
