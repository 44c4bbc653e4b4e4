/*
 * policy.c: the Secure Streams policy (the libwebsockets schema, same key names)
 * from JSON to the read-only structs of include/loom/ss.h, through the streaming
 * JSON parser. Everything a policy holds lives in one arena freed with its last
 * reference; names (retry, trust store, certs, auth) are resolved at the end.
 */
#include "core/private-core.h"
#include "secure-streams/private-ss.h"

#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>

#define PP_MAX_STRING		(128 * 1024)	/* longest string value (certs) */
#define PP_MAX_BACKOFF		32		/* entries of a backoff table */
#define PP_MAX_STACK		16		/* certs in a trust store */
#define PP_MAX_METADATA		32		/* metadata items of a stream type */

/* ---- the arena ---- */

struct achunk {
	struct achunk *next;
	size_t size, used;
	/* data follows, 16-aligned */
};

#define ACHUNK_HDR	((sizeof(struct achunk) + 15) & ~(size_t)15)
#define ACHUNK_SIZE	4096

static void *
pa_alloc(struct achunk **head, size_t n)
{
	struct achunk *c = *head;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->size - c->used < n) {
		size_t sz = n > ACHUNK_SIZE - ACHUNK_HDR ? n : ACHUNK_SIZE - ACHUNK_HDR;

		c = loom_malloc(ACHUNK_HDR + sz, "ss policy arena");
		if (!c)
			return NULL;
		c->next = *head;
		c->size = sz;
		c->used = 0;
		*head = c;
	}
	p = (uint8_t *)c + ACHUNK_HDR + c->used;
	c->used += n;
	memset(p, 0, n);

	return p;
}

static void
pa_free(struct achunk *c)
{
	while (c) {
		struct achunk *n = c->next;

		loom_free(c);
		c = n;
	}
}

/* ---- what the parser looks for ---- */

enum kind { K_OBJ, K_ARR, K_STR, K_INT, K_BOOL };

enum pid {
	P_S, P_RETRY_ROOT, P_CERTS_ROOT, P_TS_ROOT, P_AUTH_ROOT,
	P_RELEASE, P_PRODUCT, P_SCHEMA,
	P_RETRY_ITEM, P_RETRY, P_BACKOFF_ARR, P_BACKOFF, P_CONCEAL, P_JITTER,
	P_SVPING, P_SVHUP,
	P_CERTS_ITEM, P_CERT,
	P_TS_ITEM, P_TS_NAME, P_TS_STACK_ARR, P_TS_STACK,
	P_AUTH_ITEM, P_AUTH_NAME, P_AUTH_TYPE, P_AUTH_BLOB,
	P_S_ITEM, P_ST, P_META_ARR, P_META_ITEM, P_META, P_PLUGINS,
	P_ST_STR, P_ST_INT, P_ST_BOOL, P_ST_REF, P_ST_PROTOCOL
};

enum ref { R_RETRY, R_TRUST, R_SCERT, R_SKEY, R_AUTH };

struct pkey {
	const char *pat;
	unsigned char id, kind;
	unsigned int arg;	/* struct offset, flag bit, or enum ref */
};

#define STO(m) offsetof(struct loom_ss_stream_type, m)

static const struct pkey pkeys[] = {
	{ "s", P_S, K_ARR, 0 },
	{ "retry", P_RETRY_ROOT, K_ARR, 0 },
	{ "certs", P_CERTS_ROOT, K_ARR, 0 },
	{ "trust_stores", P_TS_ROOT, K_ARR, 0 },
	{ "auth", P_AUTH_ROOT, K_ARR, 0 },
	{ "release", P_RELEASE, K_STR, 0 },
	{ "product", P_PRODUCT, K_STR, 0 },
	{ "schema-version", P_SCHEMA, K_INT, 0 },
	{ "retry[]", P_RETRY_ITEM, K_OBJ, 0 },
	{ "retry[].*", P_RETRY, K_OBJ, 0 },
	{ "retry[].*.backoff", P_BACKOFF_ARR, K_ARR, 0 },
	{ "retry[].*.backoff[]", P_BACKOFF, K_INT, 0 },
	{ "retry[].*.conceal", P_CONCEAL, K_INT, 0 },
	{ "retry[].*.jitterpc", P_JITTER, K_INT, 0 },
	{ "retry[].*.svalidping", P_SVPING, K_INT, 0 },
	{ "retry[].*.svalidhup", P_SVHUP, K_INT, 0 },
	{ "certs[]", P_CERTS_ITEM, K_OBJ, 0 },
	{ "certs[].*", P_CERT, K_STR, 0 },
	{ "trust_stores[]", P_TS_ITEM, K_OBJ, 0 },
	{ "trust_stores[].name", P_TS_NAME, K_STR, 0 },
	{ "trust_stores[].stack", P_TS_STACK_ARR, K_ARR, 0 },
	{ "trust_stores[].stack[]", P_TS_STACK, K_STR, 0 },
	{ "auth[]", P_AUTH_ITEM, K_OBJ, 0 },
	{ "auth[].name", P_AUTH_NAME, K_STR, 0 },
	{ "auth[].type", P_AUTH_TYPE, K_STR, 0 },
	{ "auth[].blob", P_AUTH_BLOB, K_INT, 0 },
	{ "s[]", P_S_ITEM, K_OBJ, 0 },
	{ "s[].*", P_ST, K_OBJ, 0 },
	{ "s[].*.metadata", P_META_ARR, K_ARR, 0 },
	{ "s[].*.metadata[]", P_META_ITEM, K_OBJ, 0 },
	{ "s[].*.metadata[].*", P_META, K_STR, 0 },
	{ "s[].*.plugins", P_PLUGINS, K_ARR, 0 },
	{ "s[].*.protocol", P_ST_PROTOCOL, K_STR, 0 },
	{ "s[].*.retry", P_ST_REF, K_STR, R_RETRY },
	{ "s[].*.tls_trust_store", P_ST_REF, K_STR, R_TRUST },
	{ "s[].*.server_cert", P_ST_REF, K_STR, R_SCERT },
	{ "s[].*.server_key", P_ST_REF, K_STR, R_SKEY },
	{ "s[].*.use_auth", P_ST_REF, K_STR, R_AUTH },
	{ "s[].*.endpoint", P_ST_STR, K_STR, STO(endpoint) },
	{ "s[].*.http_method", P_ST_STR, K_STR, STO(http_method) },
	{ "s[].*.http_url", P_ST_STR, K_STR, STO(http_url) },
	{ "s[].*.http_auth_header", P_ST_STR, K_STR, STO(http_auth_header) },
	{ "s[].*.http_auth_preamble", P_ST_STR, K_STR, STO(http_auth_preamble) },
	{ "s[].*.http_mime_content_type", P_ST_STR, K_STR,
	  STO(http_mime_content_type) },
	{ "s[].*.http_multipart_name", P_ST_STR, K_STR, STO(http_multipart_name) },
	{ "s[].*.http_dsn_header", P_ST_STR, K_STR, STO(http_dsn_header) },
	{ "s[].*.http_fwv_header", P_ST_STR, K_STR, STO(http_fwv_header) },
	{ "s[].*.http_devtype_header", P_ST_STR, K_STR, STO(http_devtype_header) },
	{ "s[].*.ws_subprotocol", P_ST_STR, K_STR, STO(ws_subprotocol) },
	{ "s[].*.mqtt_topic", P_ST_STR, K_STR, STO(mqtt_topic) },
	{ "s[].*.mqtt_subscribe", P_ST_STR, K_STR, STO(mqtt_subscribe) },
	{ "s[].*.mqtt_client_id", P_ST_STR, K_STR, STO(mqtt_client_id) },
	{ "s[].*.rideshare", P_ST_STR, K_STR, STO(rideshare) },
	{ "s[].*.aws_region", P_ST_STR, K_STR, STO(aws_region) },
	{ "s[].*.aws_service", P_ST_STR, K_STR, STO(aws_service) },
	{ "s[].*.port", P_ST_INT, K_INT, STO(port) },
	{ "s[].*.http_expect", P_ST_INT, K_INT, STO(http_expect) },
	{ "s[].*.mqtt_qos", P_ST_INT, K_INT, STO(mqtt_qos) },
	{ "s[].*.mqtt_keep_alive", P_ST_INT, K_INT, STO(mqtt_keep_alive) },
	{ "s[].*.client_cert", P_ST_INT, K_INT, STO(client_cert) },
	{ "s[].*.timeout_ms", P_ST_INT, K_INT, STO(timeout_ms) },
	{ "s[].*.tls", P_ST_BOOL, K_BOOL, LOOM_SSTF_TLS },
	{ "s[].*.nailed_up", P_ST_BOOL, K_BOOL, LOOM_SSTF_NAILED_UP },
	{ "s[].*.long_poll", P_ST_BOOL, K_BOOL, LOOM_SSTF_LONG_POLL },
	{ "s[].*.server", P_ST_BOOL, K_BOOL, LOOM_SSTF_SERVER },
	{ "s[].*.opportunistic", P_ST_BOOL, K_BOOL, LOOM_SSTF_OPPORTUNISTIC },
	{ "s[].*.allow_redirects", P_ST_BOOL, K_BOOL, LOOM_SSTF_ALLOW_REDIRECTS },
	{ "s[].*.ws_binary", P_ST_BOOL, K_BOOL, LOOM_SSTF_WS_BINARY },
	{ "s[].*.http_no_content_length", P_ST_BOOL, K_BOOL,
	  LOOM_SSTF_HTTP_NO_CONTENT_LENGTH },
	{ "s[].*.http_www_form_urlencoded", P_ST_BOOL, K_BOOL,
	  LOOM_SSTF_HTTP_FORM_URLENCODED },
	{ "s[].*.http_fail_redirect", P_ST_BOOL, K_BOOL, LOOM_SSTF_HTTP_FAIL_REDIRECT },
	{ "s[].*.local_sink", P_ST_BOOL, K_BOOL, LOOM_SSTF_LOCAL_SINK },
	{ "s[].*.ws_prioritize_reads", P_ST_BOOL, K_BOOL,
	  LOOM_SSTF_WS_PRIORITIZE_READS },
	{ "s[].*.h2q_oflow_txcr", P_ST_BOOL, K_BOOL, LOOM_SSTF_H2Q_OFLOW_TXCR },
	{ "s[].*.nghttp2_quirk_end_stream", P_ST_BOOL, K_BOOL, LOOM_SSTF_NGHTTP2_QUIRK },
	{ "s[].*.mqtt_retain", P_ST_BOOL, K_BOOL, LOOM_SSTF_MQTT_RETAIN },
	{ "s[].*.mqtt_clean_start", P_ST_BOOL, K_BOOL, LOOM_SSTF_MQTT_CLEAN_START },
	{ "s[].*.tls_insecure", P_ST_BOOL, K_BOOL, LOOM_SSTF_TLS_INSECURE },
};

#define COUNT_PKEYS (sizeof(pkeys) / sizeof(pkeys[0]))

/* a name to look up once the whole policy is read */
struct pref {
	struct pref *next;
	enum ref kind;
	const void **target;
	const char *name, *st_name;
	unsigned int line, col;
};

struct pp {
	struct loom_json j;
	struct loom_json_frame stack[16];
	char path[192];
	char buf[256];
	const char *pats[COUNT_PKEYS];

	struct achunk *arena;
	struct loom_ss_policy *pol;
	char *acc;			/* a string value being gathered */
	size_t acc_len, acc_cap;

	struct loom_ss_retry *retry;
	struct loom_ss_trust_store *ts;
	struct loom_ss_stream_type *st;
	struct loom_ss_auth *auth;
	const void **tail_retry, **tail_cert, **tail_ts, **tail_st, **tail_auth, **tail_meta;
	struct pref *refs;
	char err[256];
};

static int
pp_fail(struct pp *p, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static int
pp_fail(struct pp *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->err[0]) {
		int n = snprintf(p->err, sizeof(p->err), "line %u col %u: ",
				 p->j.line, p->j.col);

		va_start(ap, fmt);
		if (n > 0 && (size_t)n < sizeof(p->err))
			vsnprintf(p->err + n, sizeof(p->err) - (size_t)n, fmt, ap);
		va_end(ap);
	}

	return -1;
}

static char *
pa_strdup(struct pp *p, const char *s, size_t len)
{
	char *d = pa_alloc(&p->arena, len + 1);

	if (d)
		memcpy(d, s, len);

	return d;
}

static void *
pp_alloc(struct pp *p, size_t n)
{
	void *v = pa_alloc(&p->arena, n);

	if (!v)
		pp_fail(p, "out of memory");

	return v;
}

static int
acc_add(struct pp *p, const char *s, size_t len)
{
	if (p->acc_len + len + 1 > p->acc_cap) {
		size_t cap = (p->acc_len + len + 1) * 2;
		char *n;

		if (p->acc_len + len > PP_MAX_STRING)
			return pp_fail(p, "\"%s\": string longer than %u bytes",
				       loom_json_path(&p->j), PP_MAX_STRING);
		n = loom_realloc(p->acc, cap, "ss policy string");
		if (!n)
			return pp_fail(p, "out of memory");
		p->acc = n;
		p->acc_cap = cap;
	}
	memcpy(p->acc + p->acc_len, s, len);
	p->acc_len += len;
	p->acc[p->acc_len] = '\0';

	return 0;
}

/* base64 check: the decoded length, or -1 for anything not strict base64 */
static int
b64_der_len(const char *s, size_t len)
{
	size_t n, pad = 0;

	if (!len || len % 4)
		return -1;
	for (n = 0; n < len; n++) {
		char c = s[n];

		if (c == '=') {
			if (n < len - 2)
				return -1;
			pad++;
			continue;
		}
		if (pad)
			return -1;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -1;
	}

	return (int)(len / 4 * 3 - pad);
}

static const char *
kind_name(enum kind k)
{
	static const char * const n[] = {
		"an object", "an array", "a string", "an integer", "true or false"
	};

	return n[k];
}

static int
event_kind(enum loom_json_reason r)
{
	switch (r) {
	case LOOM_JSON_OBJ_START:
		return K_OBJ;
	case LOOM_JSON_ARR_START:
		return K_ARR;
	case LOOM_JSON_STR_CHUNK:
	case LOOM_JSON_STR:
		return K_STR;
	case LOOM_JSON_INT:
		return K_INT;
	case LOOM_JSON_TRUE:
	case LOOM_JSON_FALSE:
		return K_BOOL;
	case LOOM_JSON_FLOAT:
		return 100;
	case LOOM_JSON_NULL:
		return 101;
	default:
		return -1;
	}
}

static int
int_value(struct pp *p, const char *val, size_t len, long long min, long long max,
	  int *out)
{
	long long v;

	if (loom_json_to_int(val, len, &v) || v < min || v > max)
		return pp_fail(p, "\"%s\": %.*s is out of range %lld..%lld",
			       loom_json_path(&p->j), (int)len, val, min, max);
	*out = (int)v;

	return 0;
}

static const char *
last_name(struct pp *p, size_t *len)
{
	return loom_json_path_last(&p->j, len);
}

static int
add_ref(struct pp *p, enum ref kind, const void **target, const char *name)
{
	struct pref *r = pp_alloc(p, sizeof(*r));

	if (!r)
		return -1;
	r->kind = kind;
	r->target = target;
	r->name = name;
	r->st_name = p->st ? p->st->name : "";
	r->line = p->j.line;
	r->col = p->j.col;
	r->next = p->refs;
	p->refs = r;

	return 0;
}

static enum loom_ss_protocol
protocol_by_name(const char *s)
{
	static const char * const n[] = { "h1", "h2", "ws", "mqtt", "raw" };
	unsigned int i;

	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (!strcmp(s, n[i]))
			return (enum loom_ss_protocol)(LOOM_SS_PROTO_H1 + i);

	return LOOM_SS_PROTO_NONE;
}

const char *
loom_ss_protocol_name(enum loom_ss_protocol pr)
{
	static const char * const n[] = { "none", "h1", "h2", "ws", "mqtt", "raw" };

	if ((unsigned int)pr < sizeof(n) / sizeof(n[0]))
		return n[pr];

	return "?";
}

/* a stream type's object ended: what it must have */
static int
st_done(struct pp *p)
{
	struct loom_ss_stream_type *st = p->st;

	if (!(st->flags & LOOM_SSTF_LOCAL_SINK)) {
		if (st->protocol == LOOM_SS_PROTO_NONE)
			return pp_fail(p, "stream type \"%s\": missing \"protocol\"",
				       st->name);
		if (!(st->flags & LOOM_SSTF_SERVER) && !st->endpoint)
			return pp_fail(p, "stream type \"%s\": missing \"endpoint\"",
				       st->name);
	}
	/* a client's default port; a server's 0 means "pick a free one" */
	if (!st->port && !(st->flags & LOOM_SSTF_SERVER)) {
		if (st->protocol == LOOM_SS_PROTO_MQTT)
			st->port = (st->flags & LOOM_SSTF_TLS) ? 8883 : 1883;
		else
			st->port = (st->flags & LOOM_SSTF_TLS) ? 443 : 80;
	}
	p->st = NULL;

	return 0;
}

/* a complete value (string gathered whole) at a matched path */
static int
pp_value(struct pp *p, const struct pkey *k, enum loom_json_reason r,
	 const char *val, size_t len)
{
	const char *name;
	size_t nlen;
	char *s = NULL;
	int iv = 0;	/* set by int_value(); gcc -O3 cannot see that */

	if (k->kind == K_STR) {
		s = pa_strdup(p, p->acc ? p->acc : "", p->acc_len);
		if (!s)
			return pp_fail(p, "out of memory");
	}

	switch (k->id) {
	case P_RELEASE:
		p->pol->release = s;
		return 0;
	case P_PRODUCT:
		p->pol->product = s;
		return 0;
	case P_SCHEMA:
		return int_value(p, val, len, 0, 1000, &p->pol->schema_version);
	case P_BACKOFF:
		if (p->retry->count_backoff == PP_MAX_BACKOFF)
			return pp_fail(p, "retry \"%s\": more than %d backoff entries",
				       p->retry->name, PP_MAX_BACKOFF);
		if (int_value(p, val, len, 0, 86400000, &iv))
			return -1;
		((uint32_t *)p->retry->backoff_ms)[p->retry->count_backoff++] =
							(uint32_t)iv;
		return 0;
	case P_CONCEAL:
		if (int_value(p, val, len, 0, 65535, &iv))
			return -1;
		p->retry->conceal = (unsigned int)iv;
		return 0;
	case P_JITTER:
		if (int_value(p, val, len, 0, 100, &iv))
			return -1;
		p->retry->jitter_pc = (unsigned int)iv;
		return 0;
	case P_SVPING:
	case P_SVHUP:
		if (int_value(p, val, len, 0, 86400 * 365, &iv))
			return -1;
		if (k->id == P_SVPING)
			p->retry->secs_valid_ping = (unsigned int)iv;
		else
			p->retry->secs_valid_hup = (unsigned int)iv;
		return 0;
	case P_CERT: {
		struct loom_ss_cert *c = pp_alloc(p, sizeof(*c));
		int dl = b64_der_len(s, p->acc_len);

		if (!c)
			return -1;
		name = last_name(p, &nlen);
		if (dl <= 0)
			return pp_fail(p, "cert \"%.*s\" is not base64", (int)nlen, name);
		c->name = pa_strdup(p, name, nlen);
		c->b64 = s;
		c->der_len = (unsigned int)dl;
		if (!c->name)
			return pp_fail(p, "out of memory");
		*p->tail_cert = c;
		p->tail_cert = (const void **)&c->next;
		return 0;
	}
	case P_TS_NAME:
		p->ts->name = s;
		return 0;
	case P_TS_STACK:
		if (p->ts->count_certs == PP_MAX_STACK)
			return pp_fail(p, "trust store: more than %d certs", PP_MAX_STACK);
		return add_ref(p, R_SCERT + 100,
			       (const void **)&p->ts->certs[p->ts->count_certs++], s);
	case P_AUTH_NAME:
		p->auth->name = s;
		return 0;
	case P_AUTH_TYPE:
		p->auth->type = s;
		return 0;
	case P_AUTH_BLOB:
		return int_value(p, val, len, 0, 255, &p->auth->blob);
	case P_META: {
		struct loom_ss_metadata_policy *m;

		if (p->st->count_metadata == PP_MAX_METADATA)
			return pp_fail(p, "stream type \"%s\": more than %d metadata",
				       p->st->name, PP_MAX_METADATA);
		m = pp_alloc(p, sizeof(*m));
		if (!m)
			return -1;
		name = last_name(p, &nlen);
		m->name = pa_strdup(p, name, nlen);
		if (!m->name)
			return pp_fail(p, "out of memory");
		m->value = s;
		m->index = p->st->count_metadata++;
		*p->tail_meta = m;
		p->tail_meta = (const void **)&m->next;
		return 0;
	}
	case P_ST_PROTOCOL:
		p->st->protocol = protocol_by_name(s);
		if (p->st->protocol == LOOM_SS_PROTO_NONE)
			return pp_fail(p, "stream type \"%s\": unknown protocol \"%s\"",
				       p->st->name, s);
		return 0;
	case P_ST_REF:
		switch (k->arg) {
		case R_RETRY:
			return add_ref(p, R_RETRY, (const void **)&p->st->retry, s);
		case R_TRUST:
			return add_ref(p, R_TRUST, (const void **)&p->st->trust_store, s);
		case R_SCERT:
			return add_ref(p, R_SCERT, (const void **)&p->st->server_cert, s);
		case R_SKEY:
			return add_ref(p, R_SKEY, (const void **)&p->st->server_key, s);
		default:
			return add_ref(p, R_AUTH, (const void **)&p->st->use_auth, s);
		}
	case P_ST_STR:
		*(const char **)((uint8_t *)p->st + k->arg) = s;
		return 0;
	case P_ST_INT:
		if (int_value(p, val, len, k->arg == STO(http_expect) ? 0 : 0,
			      k->arg == STO(timeout_ms) ? 86400000 :
			      k->arg == STO(mqtt_qos) ? 2 :
			      k->arg == STO(port) ? 65535 : 0x7fffffff, &iv))
			return -1;
		if (k->arg == STO(timeout_ms))
			p->st->timeout_ms = (unsigned int)iv;
		else
			*(int *)((uint8_t *)p->st + k->arg) = iv;
		return 0;
	case P_ST_BOOL:
		if (r == LOOM_JSON_TRUE)
			p->st->flags |= k->arg;
		else
			p->st->flags &= ~k->arg;
		return 0;
	}

	return 0;
}

/* a container opened or closed at a matched path */
static int
pp_container(struct pp *p, const struct pkey *k, int start)
{
	size_t nlen;
	const char *name;

	switch (k->id) {
	case P_RETRY:
		if (!start) {
			p->retry = NULL;
			return 0;
		}
		p->retry = pp_alloc(p, sizeof(*p->retry));
		if (!p->retry)
			return -1;
		name = last_name(p, &nlen);
		p->retry->name = pa_strdup(p, name, nlen);
		p->retry->backoff_ms = pp_alloc(p, PP_MAX_BACKOFF * sizeof(uint32_t));
		if (!p->retry->name || !p->retry->backoff_ms)
			return pp_fail(p, "out of memory");
		*p->tail_retry = p->retry;
		p->tail_retry = (const void **)&p->retry->next;
		return 0;
	case P_TS_ITEM:
		if (!start) {
			if (!p->ts->name)
				return pp_fail(p, "trust store without \"name\"");
			p->ts = NULL;
			return 0;
		}
		p->ts = pp_alloc(p, sizeof(*p->ts));
		if (!p->ts)
			return -1;
		p->ts->certs = pp_alloc(p, PP_MAX_STACK * sizeof(void *));
		if (!p->ts->certs)
			return -1;
		*p->tail_ts = p->ts;
		p->tail_ts = (const void **)&p->ts->next;
		return 0;
	case P_AUTH_ITEM:
		if (!start) {
			if (!p->auth->name)
				return pp_fail(p, "auth entry without \"name\"");
			p->auth = NULL;
			return 0;
		}
		p->auth = pp_alloc(p, sizeof(*p->auth));
		if (!p->auth)
			return -1;
		*p->tail_auth = p->auth;
		p->tail_auth = (const void **)&p->auth->next;
		return 0;
	case P_ST:
		if (!start)
			return st_done(p);
		p->st = pp_alloc(p, sizeof(*p->st));
		if (!p->st)
			return -1;
		name = last_name(p, &nlen);
		p->st->name = pa_strdup(p, name, nlen);
		if (!p->st->name)
			return pp_fail(p, "out of memory");
		p->st->mqtt_qos = 0;
		p->tail_meta = (const void **)&p->st->metadata;
		*p->tail_st = p->st;
		p->tail_st = (const void **)&p->st->next;
		p->pol->count_stream_types++;
		return 0;
	}

	return 0;
}

static int
pp_cb(struct loom_json *j, enum loom_json_reason r, const char *val, size_t len)
{
	struct pp *p = j->user;
	const struct pkey *k;
	int ek;

	if (p->err[0])
		return 1;
	if (!j->depth && r != LOOM_JSON_OBJ_START && r != LOOM_JSON_OBJ_END &&
	    r != LOOM_JSON_COMPLETE) {
		pp_fail(p, "a policy is a JSON object");
		return 1;
	}
	if (!j->match)
		return 0;
	k = &pkeys[j->match - 1];
	if (r == LOOM_JSON_OBJ_END || r == LOOM_JSON_ARR_END)
		return pp_container(p, k, 0) ? 1 : 0;

	ek = event_kind(r);
	if (ek < 0)
		return 0;
	if (ek != k->kind) {
		pp_fail(p, "\"%s\" must be %s", loom_json_path(j), kind_name(k->kind));
		return 1;
	}
	switch (r) {
	case LOOM_JSON_OBJ_START:
	case LOOM_JSON_ARR_START:
		return pp_container(p, k, 1) ? 1 : 0;
	case LOOM_JSON_STR_CHUNK:
		return acc_add(p, val, len) ? 1 : 0;
	case LOOM_JSON_STR:
		if (acc_add(p, val, len))
			return 1;
		break;
	default:
		break;
	}
	if (pp_value(p, k, r, val, len))
		return 1;
	p->acc_len = 0;

	return 0;
}

/* ---- after the parse: names to pointers ---- */

static const void *
find_named(const void *list, size_t name_off, size_t next_off, const char *name)
{
	const uint8_t *e = list;

	while (e) {
		if (!strcmp(*(const char * const *)(e + name_off), name))
			return e;
		e = *(const uint8_t * const *)(e + next_off);
	}

	return NULL;
}

#define FIND(list, type, name) find_named(list, offsetof(type, name), \
					  offsetof(type, next), nm)

static char *
make_pem(struct pp *p, const struct loom_ss_cert *const *certs, unsigned int n,
	 const char *label)
{
	size_t total = 1, i, k;
	char *pem, *o;

	for (i = 0; i < n; i++)
		total += strlen(certs[i]->b64) + strlen(certs[i]->b64) / 64 + 2 +
			 2 * (strlen(label) + 20);
	pem = o = pp_alloc(p, total);
	if (!pem)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *b = certs[i]->b64;
		size_t bl = strlen(b);

		o += sprintf(o, "-----BEGIN %s-----\n", label);
		for (k = 0; k < bl; k += 64) {
			size_t c = bl - k < 64 ? bl - k : 64;

			memcpy(o, b + k, c);
			o += c;
			*o++ = '\n';
		}
		o += sprintf(o, "-----END %s-----\n", label);
	}
	*o = '\0';

	return pem;
}

static int
resolve(struct pp *p)
{
	static const char * const what[] = {
		"retry", "tls_trust_store", "server_cert", "server_key", "use_auth"
	};
	struct loom_ss_policy *pol = p->pol;
	const struct loom_ss_trust_store *tsc;
	const struct loom_ss_stream_type *stc;
	struct pref *r;

	for (r = p->refs; r; r = r->next) {
		const char *nm = r->name;
		const void *t = NULL;

		switch ((int)r->kind) {
		case R_RETRY:
			t = FIND(pol->retries, struct loom_ss_retry, name);
			break;
		case R_TRUST:
			t = FIND(pol->trust_stores, struct loom_ss_trust_store, name);
			break;
		case R_SCERT:
		case R_SKEY:
		case R_SCERT + 100:
			t = FIND(pol->certs, struct loom_ss_cert, name);
			break;
		case R_AUTH:
			t = FIND(pol->auths, struct loom_ss_auth, name);
			break;
		}
		if (!t) {
			snprintf(p->err, sizeof(p->err), "line %u col %u: %s%s%s"
				 "unknown %s \"%s\"", r->line, r->col,
				 r->st_name[0] ? "stream type \"" : "", r->st_name,
				 r->st_name[0] ? "\": " : "",
				 (int)r->kind == R_SCERT + 100 ? "cert" : what[r->kind], nm);
			return -1;
		}
		*r->target = t;
	}

	for (tsc = pol->trust_stores; tsc; tsc = tsc->next) {
		struct loom_ss_trust_store *ts = (struct loom_ss_trust_store *)tsc;

		ts->pem = make_pem(p, ts->certs, ts->count_certs, "CERTIFICATE");
		if (!ts->pem)
			return -1;
		ts->pem_len = (unsigned int)strlen(ts->pem);
	}
	for (stc = pol->stream_types; stc; stc = stc->next) {
		struct loom_ss_stream_type *st = (struct loom_ss_stream_type *)stc;

		if (st->server_cert)
			st->server_cert_pem = make_pem(p, &st->server_cert, 1,
						       "CERTIFICATE");
		if (st->server_key)
			st->server_key_pem = make_pem(p, &st->server_key, 1,
						      "PRIVATE KEY");
		if ((st->server_cert && !st->server_cert_pem) ||
		    (st->server_key && !st->server_key_pem))
			return -1;
	}

	return 0;
}

int
loom_ss_policy_parse(const void *json, size_t len, struct loom_ss_policy **out)
{
	struct loom_json_info ji;
	struct pp *p;
	unsigned int n;
	int rc;

	*out = NULL;
	p = loom_zalloc(sizeof(*p), "ss policy parser");
	if (!p)
		return LOOM_ENOMEM;
	for (n = 0; n < COUNT_PKEYS; n++)
		p->pats[n] = pkeys[n].pat;
	p->pol = pa_alloc(&p->arena, sizeof(*p->pol));
	if (!p->pol) {
		loom_free(p);
		return LOOM_ENOMEM;
	}
	p->tail_retry = (const void **)&p->pol->retries;
	p->tail_cert = (const void **)&p->pol->certs;
	p->tail_ts = (const void **)&p->pol->trust_stores;
	p->tail_st = (const void **)&p->pol->stream_types;
	p->tail_auth = (const void **)&p->pol->auths;

	memset(&ji, 0, sizeof(ji));
	ji.paths = p->pats;
	ji.count_paths = COUNT_PKEYS;
	ji.cb = pp_cb;
	ji.user = p;
	ji.stack = p->stack;
	ji.stack_size = sizeof(p->stack) / sizeof(p->stack[0]);
	ji.path = p->path;
	ji.path_size = sizeof(p->path);
	ji.buf = p->buf;
	ji.buf_size = sizeof(p->buf);
	loom_json_init(&p->j, &ji);

	rc = loom_json_parse(&p->j, json, len);
	if (!rc)
		rc = loom_json_finish(&p->j);
	if (rc && !p->err[0])
		snprintf(p->err, sizeof(p->err), "line %u col %u: %s", p->j.line,
			 p->j.col, loom_json_error_string(rc));
	if (!rc && resolve(p))
		rc = -1;

	loom_free(p->acc);
	if (rc) {
		loom_log_err("ss policy: %s", p->err);
		rc = strstr(p->err, "out of memory") ? LOOM_ENOMEM : LOOM_EINVAL;
		pa_free(p->arena);
	} else {
		p->pol->refcount = 1;
		p->pol->arena = p->arena;
		*out = p->pol;
	}
	loom_free(p);

	return rc;
}

int
loom_ss_policy_parse_file(const char *path, struct loom_ss_policy **out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f) {
		loom_log_err("ss policy: cannot open %s", path);
		return LOOM_ENOTFOUND;
	}
	/* policies are small; read it whole (at most 1 MiB) */
	for (;;) {
		char *n = loom_realloc(buf, len + 4096, "ss policy file");
		size_t got;

		if (!n) {
			loom_free(buf);
			fclose(f);
			return LOOM_ENOMEM;
		}
		buf = n;
		got = fread(buf + len, 1, 4096, f);
		len += got;
		if (got < 4096 || len > 1024 * 1024)
			break;
	}
	fclose(f);
	if (len > 1024 * 1024) {
		loom_log_err("ss policy: %s is larger than 1 MiB", path);
		loom_free(buf);
		return LOOM_ELIMIT;
	}
	rc = loom_ss_policy_parse(buf, len, out);
	if (rc)
		loom_log_err("ss policy: in %s", path);
	loom_free(buf);

	return rc;
}

void
loom_ss_policy_unref(struct loom_ss_policy *pol)
{
	if (!pol || --pol->refcount)
		return;
	pa_free(pol->arena);
}

const struct loom_ss_stream_type *
loom_ss_policy_stream_type(const struct loom_ss_policy *pol, const char *nm)
{
	return pol && nm ? FIND(pol->stream_types, struct loom_ss_stream_type, name) :
			   NULL;
}

const struct loom_ss_retry *
loom_ss_policy_retry(const struct loom_ss_policy *pol, const char *nm)
{
	return pol && nm ? FIND(pol->retries, struct loom_ss_retry, name) : NULL;
}

const struct loom_ss_trust_store *
loom_ss_policy_trust_store(const struct loom_ss_policy *pol, const char *nm)
{
	return pol && nm ? FIND(pol->trust_stores, struct loom_ss_trust_store, name) :
			   NULL;
}
