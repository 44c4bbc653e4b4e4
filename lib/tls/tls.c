/*
 * tls.c: what every TLS backend shares: per-vhost and per-context state, the
 * non-blocking handshake driven by the loop (want-read / want-write become poll
 * interest), reads of input the library already decrypted, SNI and ALPN choices,
 * plaintext on the TLS port, and the handshake timeout.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "tls/private-tls.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include "plat/private-sockets.h"

#define LOOM_TLS_PLAINTEXT_MAX 2048	/* bytes of a plaintext request we look at */

void
loom__tls_set_why(struct loom_tls_conn *t, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(t->why, sizeof(t->why), "tls: ");

	va_start(ap, fmt);
	vsnprintf(t->why + n, sizeof(t->why) - (size_t)n, fmt, ap);
	va_end(ap);
}

uint8_t *
loom__tls_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long sz;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (sz = ftell(f)) >= 0 && sz < 16 * 1024 * 1024 &&
	    !fseek(f, 0, SEEK_SET)) {
		buf = loom_malloc((size_t)sz + 1, "tls file");
		if (buf && fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
			loom_free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[sz] = '\0';
			*len = (size_t)sz;
		}
	}
	fclose(f);

	return buf;
}

/* ---- per context ---- */

struct loom_tls_context *
loom__tls_context_get(struct loom_context *ctx)
{
	struct loom_tls_context *tctx = ctx->tls;

	if (tctx)
		return tctx;
	loom__tls_lib_init();
	tctx = loom_zalloc(sizeof(*tctx), "tls context");
	if (!tctx)
		return NULL;
	tctx->ctx = ctx;
	if (loom_tls_be->init_context && loom_tls_be->init_context(tctx)) {
		loom_free(tctx);
		return NULL;
	}
	ctx->tls = tctx;
	loom_log_info("tls: %s backend ready", loom_tls_be->name);

	return tctx;
}

static void
loom_tls_client_ctx_free(struct loom_tls_client_ctx *cc)
{
	if (cc->be)
		loom_tls_be->client_ctx_destroy(cc);
	loom_free((void *)cc->info.ca_path);
	loom_free((void *)cc->info.cert_path);
	loom_free((void *)cc->info.key_path);
	loom_free((void *)cc->info.alpn);
	loom_free((void *)cc->info.ciphers);
	loom_free((void *)cc->info.ciphersuites);
	loom_free((void *)cc->info.groups);
	loom_free((void *)cc->info.ca_mem);
	loom_free((void *)cc->info.cert_mem);
	if (cc->info.key_mem)	/* a private key: not left in freed memory */
		memset((void *)cc->info.key_mem, 0, cc->info.key_mem_len);
	loom_free((void *)cc->info.key_mem);
	loom_free(cc->session_host);
	loom_free(cc);
}

void
loom__tls_context_destroy(struct loom_context *ctx)
{
	struct loom_tls_context *tctx = ctx->tls;

	if (!tctx)
		return;
	while (tctx->client_ctxs) {
		struct loom_tls_client_ctx *cc = tctx->client_ctxs;

		tctx->client_ctxs = cc->next;
		loom_tls_client_ctx_free(cc);
	}
	if (loom_tls_be->destroy_context)
		loom_tls_be->destroy_context(tctx);
	loom_free(tctx);
	ctx->tls = NULL;
}

/* ---- per vhost (server) ---- */

static int
loom_tls_dup(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = loom__strdup(src, "tls string");

	return *dst ? 0 : -1;
}

int
loom__tls_vhost_init(struct loom_vhost *vh, const struct loom_vhost_info *info)
{
	const struct loom_tls_vhost_info *ti = info->tls;
	struct loom_tls_context *tctx;
	struct loom_tls_vhost *tv;

	if (info->options & LOOM_VHOST_OPT_UDP) {
		_loom_vhlog(LOOM_LL_ERR, vh, "tls: not on a UDP listener (no DTLS)");
		return -1;
	}
	if (!(ti->cert_path || ti->cert_mem) || !(ti->key_path || ti->key_mem)) {
		_loom_vhlog(LOOM_LL_ERR, vh, "tls: a server vhost needs a certificate "
			    "and a key (cert_path/cert_mem, key_path/key_mem)");
		return -1;
	}
	tctx = loom__tls_context_get(vh->ctx);
	if (!tctx)
		return -1;
	tv = loom_zalloc(sizeof(*tv), "tls vhost");
	if (!tv)
		return -1;
	tv->vh = vh;
	tv->tctx = tctx;
	tv->options = ti->options;
	tv->port = info->port;
	tv->hs_timeout_ms = ti->handshake_timeout_ms ? ti->handshake_timeout_ms :
			    vh->ctx->timeout_secs * 1000;
	if (loom_tls_dup(&tv->sni_names, ti->sni_names) ||
	    loom_tls_dup(&tv->alpn, ti->alpn) ||
	    loom_tls_be->server_ctx_create(tv, ti)) {
		loom_free(tv->sni_names);
		loom_free(tv->alpn);
		loom_free(tv);
		return -1;
	}
	vh->tls = tv;
	_loom_vhlog(LOOM_LL_INFO, vh, "tls: server context ready (%s)",
		    loom_tls_be->name);

	return 0;
}

void
loom__tls_vhost_destroy(struct loom_vhost *vh)
{
	struct loom_tls_vhost *tv = vh->tls;

	if (!tv)
		return;
	loom_tls_be->server_ctx_destroy(tv);
	loom_free(tv->sni_names);
	loom_free(tv->alpn);
	loom_free(tv);
	vh->tls = NULL;
}

/* ---- SNI and ALPN ---- */

/* "www.example.com" matches itself and "*.example.com" (one label), any case */
static int
loom_tls_name_match(const char *pattern, size_t plen, const char *name)
{
	const char *dot;

	if (plen == strlen(name) && !strncasecmp(pattern, name, plen))
		return 1;
	if (plen > 2 && pattern[0] == '*' && pattern[1] == '.' &&
	    (dot = strchr(name, '.')) && dot != name && strlen(dot) == plen - 1 &&
	    !strncasecmp(dot, pattern + 1, plen - 1))
		return 1;

	return 0;
}

static int
loom_tls_list_match(const char *list, const char *name)
{
	while (list && *list) {
		const char *end = strchr(list, ',');
		size_t len = end ? (size_t)(end - list) : strlen(list);

		while (len && *list == ' ') {
			list++;
			len--;
		}
		if (len && loom_tls_name_match(list, len, name))
			return 1;
		list = end ? end + 1 : NULL;
	}

	return 0;
}

struct loom_tls_vhost *
loom__tls_sni_select(struct loom_tls_conn *t, const char *name)
{
	struct loom_tls_vhost *cur = t->tv;
	struct loom_conn *conn = t->conn;
	const struct loom_protocol *p;
	struct loom_vhost *vh;

	if (loom_tls_name_match(cur->vh->name, strlen(cur->vh->name), name) ||
	    loom_tls_list_match(cur->sni_names, name))
		return NULL;
	for (vh = cur->vh->ctx->vhosts; vh; vh = vh->next) {
		struct loom_tls_vhost *tv = vh->tls;

		if (!tv || tv == cur || !(tv->port == cur->vh->listen_port ||
					  (cur->port && tv->port == cur->port)))
			continue;
		if (!loom_tls_name_match(vh->name, strlen(vh->name), name) &&
		    !loom_tls_list_match(tv->sni_names, name))
			continue;
		p = vh->accept_protocol ? vh->accept_protocol : &vh->protocols[0];
		if (!(conn->flags & LCF_USER_ALLOCED) && p->per_session_data_size &&
		    (!conn->protocol ||
		     p->per_session_data_size > conn->protocol->per_session_data_size)) {
			/* the conn's own block is too small for this protocol's pss */
			void *us = loom_zalloc(p->per_session_data_size, "sni pss");

			if (!us)
				return NULL;
			loom_free(t->owned_user_space);
			t->owned_user_space = us;
			conn->user_space = us;
		} else if (conn->user_space && !(conn->flags & LCF_USER_ALLOCED))
			memset(conn->user_space, 0, p->per_session_data_size);
		conn->vhost = vh;
		conn->protocol = p;
		t->tv = tv;
		loom_clog_info(conn, "tls: SNI '%s' selects vhost %s", name, vh->name);
		return tv;
	}
	loom_clog_debug(conn, "tls: SNI '%s' matches no other vhost", name);

	return NULL;
}

int
loom__tls_alpn_pick(const char *ours, const uint8_t *theirs, size_t theirs_len,
		    const uint8_t **out, uint8_t *outlen)
{
	while (ours && *ours) {
		const char *end = strchr(ours, ',');
		size_t len = end ? (size_t)(end - ours) : strlen(ours), n = 0;

		while (n < theirs_len) {
			size_t l = theirs[n];

			if (n + 1 + l > theirs_len)
				break;
			if (l == len && !memcmp(theirs + n + 1, ours, len)) {
				*out = theirs + n + 1;
				*outlen = (uint8_t)l;
				return 0;
			}
			n += 1 + l;
		}
		ours = end ? end + 1 : NULL;
	}

	return -1;
}

int
loom__tls_alpn_wire(const char *list, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (list && *list) {
		const char *end = strchr(list, ',');
		size_t len = end ? (size_t)(end - list) : strlen(list);

		if (!len || len > 255 || n + 1 + len > max)
			return -1;
		out[n++] = (uint8_t)len;
		memcpy(out + n, list, len);
		n += len;
		list = end ? end + 1 : NULL;
	}

	return (int)n;
}

/* ---- per connection ---- */

static void
loom_tls_hs_timeout(struct loom_sul *sul)
{
	struct loom_tls_conn *t = loom_container_of(sul, struct loom_tls_conn, sul_hs);

	loom__close_now(t->conn, LOOM_CLOSE_ABNORMAL, "tls: handshake timed out");
}

static void
loom_tls_start_timer(struct loom_tls_conn *t)
{
	struct loom_conn *conn = t->conn;

	loom_sul_schedule(conn->pt->ctx, conn->pt->tsi, &t->sul_hs, loom_tls_hs_timeout,
			  (loom_usec_t)t->hs_timeout_ms * LOOM_US_PER_MS);
}

static int
loom_tls_client_info_eq(const struct loom_tls_client_info *a,
			const struct loom_tls_client_info *b)
{
#define SEQ(x) (a->x == b->x || (a->x && b->x && !strcmp(a->x, b->x)))
/* PEM in memory by content: the caller's buffer may be freed and its address
 * reused for other PEM (a Secure Streams policy replaced) */
#define MEQ(x) ((a->x == b->x && (!a->x || a->x##_len == b->x##_len)) || \
		(a->x && b->x && a->x##_len == b->x##_len && !memcmp(a->x, b->x, a->x##_len)))
	return a->options == b->options && SEQ(ca_path) && MEQ(ca_mem) &&
	       SEQ(cert_path) && SEQ(key_path) && MEQ(cert_mem) && MEQ(key_mem) &&
	       SEQ(alpn) && SEQ(ciphers) && SEQ(ciphersuites) && SEQ(groups) &&
	       a->min_version == b->min_version;
#undef MEQ
#undef SEQ
}

/* an owned copy of \p len bytes of PEM at \p src (NULL stays NULL) */
static int
loom_tls_dup_mem(const uint8_t **dst, const uint8_t *src, size_t len)
{
	uint8_t *p;

	*dst = NULL;
	if (!src)
		return 0;
	p = loom_malloc(len ? len : 1, "tls pem");
	if (!p)
		return -1;
	if (len)
		memcpy(p, src, len);
	*dst = p;

	return 0;
}

/* the shared client context for \p ti: found, or made and kept until destroy */
static struct loom_tls_client_ctx *
loom_tls_client_ctx_get(struct loom_tls_context *tctx,
			const struct loom_tls_client_info *ti)
{
	struct loom_tls_client_ctx *cc;

	for (cc = tctx->client_ctxs; cc; cc = cc->next)
		if (loom_tls_client_info_eq(&cc->info, ti))
			return cc;
	cc = loom_zalloc(sizeof(*cc), "tls client ctx");
	if (!cc)
		return NULL;
	cc->tctx = tctx;
	cc->info = *ti;
	cc->info.server_name = NULL;
	cc->info.handshake_timeout_ms = 0;
	/* owned copies only: a failed dup must not leave the caller's strings behind
	 * for loom_tls_client_ctx_free() */
	cc->info.ca_path = cc->info.cert_path = cc->info.key_path = NULL;
	cc->info.alpn = cc->info.ciphers = cc->info.ciphersuites = NULL;
	cc->info.groups = NULL;
	cc->info.ca_mem = cc->info.cert_mem = cc->info.key_mem = NULL;
	if (loom_tls_dup_mem(&cc->info.ca_mem, ti->ca_mem, ti->ca_mem_len) ||
	    loom_tls_dup_mem(&cc->info.cert_mem, ti->cert_mem, ti->cert_mem_len) ||
	    loom_tls_dup_mem(&cc->info.key_mem, ti->key_mem, ti->key_mem_len) ||
	    loom_tls_dup((char **)&cc->info.ca_path, ti->ca_path) ||
	    loom_tls_dup((char **)&cc->info.cert_path, ti->cert_path) ||
	    loom_tls_dup((char **)&cc->info.key_path, ti->key_path) ||
	    loom_tls_dup((char **)&cc->info.alpn, ti->alpn) ||
	    loom_tls_dup((char **)&cc->info.ciphers, ti->ciphers) ||
	    loom_tls_dup((char **)&cc->info.ciphersuites, ti->ciphersuites) ||
	    loom_tls_dup((char **)&cc->info.groups, ti->groups) ||
	    loom_tls_be->client_ctx_create(cc)) {
		cc->be = NULL;
		loom_tls_client_ctx_free(cc);
		return NULL;
	}
	cc->next = tctx->client_ctxs;
	tctx->client_ctxs = cc;

	return cc;
}

struct loom_tls_client_ctx *
loom__tls_client_ctx_for(struct loom_context *ctx, const struct loom_tls_client_info *ti,
			 int create)
{
	struct loom_tls_context *tctx = create ? loom__tls_context_get(ctx) : ctx->tls;
	struct loom_tls_client_ctx *cc;

	if (!tctx)
		return NULL;
	if (create)
		return loom_tls_client_ctx_get(tctx, ti);
	for (cc = tctx->client_ctxs; cc; cc = cc->next)
		if (loom_tls_client_info_eq(&cc->info, ti))
			return cc;

	return NULL;
}

const struct loom_tls_client_info *
loom__tls_client_ctx_info(const struct loom_tls_client_ctx *cc)
{
	return &cc->info;
}

int
loom__tls_client_attach(struct loom_conn *conn, const struct loom_client_connect_info *i)
{
	const struct loom_tls_client_info *ti = i->tls;
	struct loom_tls_context *tctx = loom__tls_context_get(conn->pt->ctx);
	struct loom_tls_client_ctx *cc;
	struct loom_tls_conn *t;
	const char *host;
	uint8_t ip[16];

	if (!tctx)
		return LOOM_ENOMEM;
	if (i->flags & LOOM_CONNECT_UDP)
		return LOOM_EUNSUPP;
	cc = loom_tls_client_ctx_get(tctx, ti);
	if (!cc)
		return LOOM_EINVAL;
	t = loom_zalloc(sizeof(*t), "tls conn");
	if (!t)
		return LOOM_ENOMEM;
	t->conn = conn;
	t->cc = cc;
	t->port = i->port;
	t->state = LOOM_TLS_ST_HANDSHAKE;
	t->hs_timeout_ms = ti->handshake_timeout_ms ? ti->handshake_timeout_ms :
			   conn->pt->ctx->timeout_secs * 1000;
	/* a Unix socket has no host name to check unless one is given */
	host = ti->server_name ? ti->server_name : i->host ? i->host :
	       strncmp(i->address, "unix:", 5) ? i->address : NULL;
	if (host) {
		t->host = loom__strdup(host, "tls host");
		if (!t->host) {
			loom_free(t);
			return LOOM_ENOMEM;
		}
		if (loom__plat_ip_parse(host, ip))
			t->flags |= LOOM_TLSF_HOST_IS_IP;
	}
	conn->tls = t;

	return 0;
}

int
loom__tls_connected(struct loom_conn *conn)
{
	struct loom_tls_conn *t = conn->tls;

	if (loom_tls_be->ssl_new(t))
		return -1;
	loom_tls_start_timer(t);
	/* the socket is writable now: the first POLLOUT sends the ClientHello */
	loom__io(conn, LOOM_EV_START | LOOM_EV_WRITE);

	return 1;
}

int
loom__tls_adopted(struct loom_conn *conn)
{
	struct loom_tls_vhost *tv = conn->vhost->tls;
	struct loom_tls_conn *t = loom_zalloc(sizeof(*t), "tls conn");

	if (!t)
		return -1;
	t->conn = conn;
	t->tv = tv;
	t->flags = LOOM_TLSF_SERVER;
	t->state = LOOM_TLS_ST_PEEK;
	t->hs_timeout_ms = tv->hs_timeout_ms;
	conn->tls = t;
	if (loom_tls_be->ssl_new(t))
		return -1;	/* the caller closes: loom__tls_conn_destroy frees t */
	loom_tls_start_timer(t);

	return 1;
}

/* the handshake is done: the role and then the user hear of the conn */
static int
loom_tls_established(struct loom_tls_conn *t)
{
	struct loom_conn *conn = t->conn;
	const uint8_t *alpn;
	size_t alen;

	loom_sul_cancel(&t->sul_hs);
	t->state = LOOM_TLS_ST_ESTABLISHED;
	alen = loom_tls_be->alpn(t, &alpn);
	if (alen && alen < sizeof(t->alpn)) {
		memcpy(t->alpn, alpn, alen);
		t->alpn[alen] = '\0';
	}
	loom_clog_info(conn, "tls: handshake done%s%s", t->alpn[0] ? ", alpn " : "",
		       t->alpn);
	if (!conn->buflist_out)
		loom__io(conn, LOOM_EV_STOP | LOOM_EV_WRITE);
	if (!(conn->flags & LCF_RX_PAUSED))
		loom__io(conn, LOOM_EV_START | LOOM_EV_READ);
	/* input may have come with the last flight: read it without the socket */
	loom_dll2_add_tail(&t->list_rx, &conn->pt->tls_rx_pending);
	if (t->alpn[0] && conn->role->alpn_negotiated &&
	    conn->role->alpn_negotiated(conn, t->alpn) < 0) {
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "tls: alpn refused by role");
		return LOOM_HP_CLOSED;
	}
	if (t->flags & LOOM_TLSF_SERVER)
		return loom__server_established(conn);

	return loom__client_established(conn);
}

static int
loom_tls_handshake_step(struct loom_tls_conn *t)
{
	struct loom_conn *conn = t->conn;
	int r = loom_tls_be->handshake(t);

	switch (r) {
	case 0:
		return loom_tls_established(t);
	case LOOM_TLS_R_WANT_READ:
		loom__io(conn, LOOM_EV_STOP | LOOM_EV_WRITE);
		loom__io(conn, LOOM_EV_START | LOOM_EV_READ);
		return LOOM_HP_OK;
	case LOOM_TLS_R_WANT_WRITE:
		loom__io(conn, LOOM_EV_START | LOOM_EV_WRITE);
		return LOOM_HP_OK;
	default:
		break;
	}
	t->state = LOOM_TLS_ST_DEAD;
	if (!t->why[0])
		loom__tls_set_why(t, "handshake failed");
	loom_clog_info(conn, "%s", t->why);
	loom__close_now(conn, LOOM_CLOSE_ABNORMAL, t->why);

	return LOOM_HP_CLOSED;
}

/* copy a header-safe token (host or path) of at most \p max - 1 bytes */
static int
loom_tls_token(const char *s, size_t len, char *out, size_t max, int path)
{
	size_t n;

	if (!len || len >= max)
		return -1;
	for (n = 0; n < len; n++) {
		unsigned char c = (unsigned char)s[n];

		if (c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' ||
		    (!path && !(isalnum(c) || c == '.' || c == '-' || c == ':' ||
				c == '[' || c == ']')))
			return -1;
		out[n] = (char)c;
	}
	out[len] = '\0';

	return 0;
}

/*
 * The first byte is not a TLS handshake record: someone speaks plaintext to the TLS
 * port. Close, or when the vhost asks, answer an HTTP request with a redirect to
 * the same host and path over https.
 */
static int
loom_tls_plaintext(struct loom_tls_conn *t)
{
	struct loom_conn *conn = t->conn;
	char req[LOOM_TLS_PLAINTEXT_MAX + 1], host[256], path[1024], resp[1400];
	const char *sp1, *sp2, *h, *he;
	int n, rl;

	if (!(t->tv->options & LOOM_TLS_SRV_OPT_REDIRECT_PLAINTEXT)) {
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "tls: plaintext on the TLS port");
		return LOOM_HP_CLOSED;
	}
	n = loom__plat_recv(conn->fd, req, sizeof(req) - 1);
	if (n <= 0) {
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "tls: plaintext on the TLS port");
		return LOOM_HP_CLOSED;
	}
	req[n] = '\0';
	rl = snprintf(resp, sizeof(resp), "HTTP/1.1 400 Bad Request\r\n"
		      "Content-Length: 0\r\nConnection: close\r\n\r\n");
	sp1 = strchr(req, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	for (h = req; h && (h = strchr(h, '\n')); h++)
		if (!strncasecmp(h + 1, "host:", 5))
			break;
	if (sp1 && sp2 && h && !strncmp(sp2 + 1, "HTTP/1.", 7)) {
		h += 6;
		while (*h == ' ' || *h == '\t')
			h++;
		for (he = h; *he && *he != '\r' && *he != '\n' && *he != ' '; he++)
			;
		if (!loom_tls_token(h, (size_t)(he - h), host, sizeof(host), 0) &&
		    !loom_tls_token(sp1 + 1, (size_t)(sp2 - sp1 - 1), path, sizeof(path),
				    1) && path[0] == '/')
			rl = snprintf(resp, sizeof(resp), "HTTP/1.1 301 Moved Permanently\r\n"
				      "Location: https://%s%s\r\nContent-Length: 0\r\n"
				      "Connection: close\r\n\r\n", host, path);
	}
	if (rl > 0 && (size_t)rl < sizeof(resp))
		(void)loom__plat_send(conn->fd, resp, (size_t)rl);
	loom__close_now(conn, LOOM_CLOSE_NORMAL, "tls: plaintext request redirected");

	return LOOM_HP_CLOSED;
}

/* server, before the handshake: a TLS ClientHello starts with 0x16 */
static int
loom_tls_peek(struct loom_tls_conn *t)
{
	struct loom_conn *conn = t->conn;
	uint8_t b;
	ssize_t n = recv(conn->fd, &b, 1, MSG_PEEK);

	if (n < 0) {
		if (loom__plat_errno_is_again(errno))
			return LOOM_HP_OK;
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "tls: read failed before the "
				"handshake");
		return LOOM_HP_CLOSED;
	}
	if (!n) {
		loom__close_now(conn, LOOM_CLOSE_ABNORMAL, "tls: closed before the "
				"handshake");
		return LOOM_HP_CLOSED;
	}
	if (b != 0x16)
		return loom_tls_plaintext(t);
	t->state = LOOM_TLS_ST_HANDSHAKE;

	return loom_tls_handshake_step(t);
}

int
loom__tls_service(struct loom_pt *pt, struct loom_conn *conn, unsigned int *revents)
{
	struct loom_tls_conn *t = conn->tls;

	switch (t->state) {
	case LOOM_TLS_ST_PEEK:
		if (!(*revents & (LOOM_EV_READ | LOOM_REV_HUPERR)))
			return LOOM_HP_OK;
		return loom_tls_peek(t);
	case LOOM_TLS_ST_HANDSHAKE:
		return loom_tls_handshake_step(t);
	case LOOM_TLS_ST_DEAD:
		return LOOM_TLS_SVC_CONTINUE;	/* the role's next read fails and closes */
	default:
		break;
	}
	/* a read that needed the socket writable, a write that needed input */
	if ((t->flags & LOOM_TLSF_READ_WANTS_WRITE) && (*revents & LOOM_EV_WRITE)) {
		t->flags &= (uint8_t)~LOOM_TLSF_READ_WANTS_WRITE;
		*revents |= LOOM_EV_READ;
	}
	if (t->flags & LOOM_TLSF_WRITE_WANTS_READ) {
		if (*revents & (LOOM_EV_READ | LOOM_REV_HUPERR)) {
			t->flags &= (uint8_t)~LOOM_TLSF_WRITE_WANTS_READ;
			*revents |= LOOM_EV_WRITE;
		} else if (*revents & LOOM_EV_WRITE) {
			/* writable is no news: the write waits for input */
			loom__io(conn, LOOM_EV_STOP | LOOM_EV_WRITE);
			*revents &= ~(unsigned int)LOOM_EV_WRITE;
		}
	}

	return LOOM_TLS_SVC_CONTINUE;
}

int
loom__tls_read(struct loom_conn *conn, uint8_t *buf, size_t len)
{
	struct loom_tls_conn *t = conn->tls;
	int n;

	if (t->state != LOOM_TLS_ST_ESTABLISHED) {
		errno = t->state == LOOM_TLS_ST_DEAD ? EPROTO : EAGAIN;
		return -1;
	}
	n = loom_tls_be->read(t, buf, len);
	if (n > 0) {
		/* more decrypted input inside the library: no POLLIN will say so */
		if (loom_dll2_is_detached(&t->list_rx) && loom_tls_be->pending(t))
			loom_dll2_add_tail(&t->list_rx, &conn->pt->tls_rx_pending);
		return n;
	}
	if (!n)
		return 0;
	switch (n) {
	case LOOM_TLS_R_WANT_READ:
		errno = EAGAIN;
		return -1;
	case LOOM_TLS_R_WANT_WRITE:
		t->flags |= LOOM_TLSF_READ_WANTS_WRITE;
		loom__io(conn, LOOM_EV_START | LOOM_EV_WRITE);
		errno = EAGAIN;
		return -1;
	default:
		break;
	}
	t->state = LOOM_TLS_ST_DEAD;
	loom_clog_info(conn, "%s", t->why[0] ? t->why : "tls: read failed");
	errno = EPROTO;

	return -1;
}

int
loom__tls_write(struct loom_conn *conn, const uint8_t *buf, size_t len)
{
	struct loom_tls_conn *t = conn->tls;
	int n;

	if (t->state != LOOM_TLS_ST_ESTABLISHED) {
		/* before the handshake ends, output waits in the buflist */
		errno = t->state == LOOM_TLS_ST_DEAD ? EPIPE : EAGAIN;
		return -1;
	}
	n = loom_tls_be->write(t, buf, len);
	if (n > 0)
		return n;
	switch (n) {
	case LOOM_TLS_R_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case LOOM_TLS_R_WANT_READ:
		t->flags |= LOOM_TLSF_WRITE_WANTS_READ;
		loom__io(conn, LOOM_EV_START | LOOM_EV_READ);
		errno = EAGAIN;
		return -1;
	default:
		break;
	}
	t->state = LOOM_TLS_ST_DEAD;
	loom_clog_info(conn, "%s", t->why[0] ? t->why : "tls: write failed");
	errno = EPIPE;

	return -1;
}

void
loom__tls_conn_destroy(struct loom_conn *conn)
{
	struct loom_tls_conn *t = conn->tls;

	conn->tls = NULL;
	loom_sul_cancel(&t->sul_hs);
	loom_dll2_remove(&t->list_rx);
	if (t->be) {
		/* one try at close_notify: never wait for the peer's */
		if (t->state == LOOM_TLS_ST_ESTABLISHED && conn->fd >= 0)
			loom_tls_be->shutdown(t);
		loom_tls_be->ssl_free(t);
	}
	if (t->owned_user_space) {
		if (conn->user_space == t->owned_user_space)
			conn->user_space = NULL;
		loom_free(t->owned_user_space);
	}
	loom_free(t->host);
	loom_free(t);
}

void
loom__tls_conn_moved(struct loom_conn *conn)
{
	struct loom_tls_conn *t = conn->tls;

	/* the backends reach the socket by its fd, which does not change */
	t->conn = conn;
}

/* ---- input held inside the TLS library ---- */

static int
loom_tls_rx_blocked(const struct loom_conn *conn)
{
	return !!(conn->flags & (LCF_RX_PAUSED | LCF_CLOSING | LCF_PEER_EOF |
				 LCF_CLOSED_CB_DONE));
}

int
loom__tls_rx_pending_ready(const struct loom_pt *pt)
{
	const struct loom_dll2 *d;

	for (d = pt->tls_rx_pending.head; d; d = d->next) {
		const struct loom_tls_conn *t = loom_container_of(d, struct loom_tls_conn,
								  list_rx);

		if (!loom_tls_rx_blocked(t->conn))
			return 1;
	}

	return 0;
}

void
loom__tls_service_rx_pending(struct loom_pt *pt)
{
	struct loom_dll2_owner work;

	/*
	 * Move them to a local list first: a read may close any conn (and so take it
	 * off whatever list it is on) or put this one back on the pt's list.
	 */
	memset(&work, 0, sizeof(work));
	while (pt->tls_rx_pending.head) {
		struct loom_dll2 *d = pt->tls_rx_pending.head;

		loom_dll2_remove(d);
		loom_dll2_add_tail(d, &work);
	}
	while (work.head) {
		struct loom_tls_conn *t = loom_container_of(work.head, struct loom_tls_conn,
							    list_rx);
		struct loom_conn *conn = t->conn;

		loom_dll2_remove(&t->list_rx);
		if (conn->flags & LCF_RX_PAUSED) {
			/* read once it is resumed */
			loom_dll2_add_tail(&t->list_rx, &pt->tls_rx_pending);
			continue;
		}
		if (loom_tls_rx_blocked(conn) || t->state != LOOM_TLS_ST_ESTABLISHED)
			continue;
		loom__service_conn(pt, conn, LOOM_EV_READ);
	}
}

/* ---- accessors ---- */

int
loom_conn_is_tls(const struct loom_conn *conn)
{
	return conn && conn->tls;
}

const char *
loom__tls_alpn(const struct loom_conn *conn)
{
	const struct loom_tls_conn *t = conn ? conn->tls : NULL;

	return t && t->state == LOOM_TLS_ST_ESTABLISHED && t->alpn[0] ? t->alpn : NULL;
}

const char *
loom_tls_alpn(const struct loom_conn *conn)
{
	return loom__tls_alpn(conn);
}
