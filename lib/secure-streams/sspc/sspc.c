/*
 * sspc.c: the SSPC client engine. Each stream is one connection to the proxy
 * (READMEs/README.ss-serialization.md): HELLO with the stream type, the user's
 * metadata and tx requests out; the proxy's states, metadata and payload in.
 *
 * The user's callbacks see what an in-process stream gives them: CREATING first
 * and DESTROYING last (both from here), the real stream's states in between (from
 * the proxy), rx pieces as they arrive, and tx callbacks only while the proxy has
 * given credit for the bytes. If the link to the proxy goes (or the proxy is not
 * there yet), the user sees DISCONNECTED and the stream reconnects with backoff,
 * forever, until it is destroyed; the proxy then makes a new real stream.
 *
 * A stream's bytes go over one of two transports: its own socket to the proxy,
 * or a channel of the transport mux over a tty (LOOM_SSPROXY=mux:/dev/ttyX), one
 * mux link per context shared by every stream. The engine sees the same four
 * events from either: connected, rx, writeable, closed.
 */
#include "core/private-core.h"
#include "secure-streams/serialization/private-ss-ser.h"
#include "secure-streams/sspc/private-sspc.h"
#include "secure-streams/transport-mux/private-ss-mux-link.h"

#include <stdlib.h>
#include <string.h>

#define SSPC_RX_CREDIT	65536		/* payload bytes we take before crediting */
#define SSPC_TX_MAX	4096		/* bytes per tx callback */
#define SSPC_WRITE_MAX	4096
#define SSPC_MD_MAX	4096		/* a metadata value from the proxy */
/*
 * metadata names from the proxy kept per stream: it sends only its policy's
 * items of the stream type, at most 32 (ss-proxy.c); without a cap a proxy
 * sending ever new names would grow the client's memory without bound
 */
#define SSPC_MD_ITEMS	32

static const unsigned int backoff_ms[] = { 100, 250, 500, 1000, 2000, 5000 };

struct sspc_md {
	struct sspc_md *next;
	size_t len;
	uint8_t from_proxy;		/* else set by the user */
	char *name;
	uint8_t value[1];		/* len bytes, then name */
};

struct loom_sspc {
	struct loom_dll2 list;		/* on the context's SSPC streams */
	struct loom_ss_info info;
	struct loom_context *ctx;
	struct loom_conn *conn;		/* socket transport: the link, or NULL */
	struct loom_mux_ch *ch;		/* mux transport: our channel, or NULL */
	struct loom_sul sul;		/* the next link attempt */
	struct loom_sser_dec dec;
	struct loom_buflist *out;	/* frames for the proxy */
	struct sspc_md *md;
	void *user;
	void *user_handle;		/* the API's handle, freed with us if ours */
	char streamtype[LOOM_SSER_NAME_MAX + 1];
	char md_name[LOOM_SSER_NAME_MAX + 1];
	uint8_t md_buf[SSPC_MD_MAX];
	size_t md_len, md_want;
	size_t pl_left;			/* of the payload frame coming in */
	int pl_flags;
	uint32_t tx_credit;
	unsigned long tx_len;
	int tsi;
	int state;			/* the last state the user saw */
	unsigned int tries;		/* link attempts since it was last up */
	unsigned int in_cb;
	uint8_t created;		/* CREATED ok on this link */
	uint8_t tx_requested;
	uint8_t tx_has_len;
	uint8_t destroying;
	uint8_t dead;			/* the proxy refused the stream for good */
	uint8_t destroy_pending;	/* the user asked in a callback */
	uint8_t free_handle;		/* user_handle is ours to free */
	uint8_t kill_pending;		/* the user asked to disconnect */
};

/* the stream's socket to the proxy; without sockets (LOOM_PLAT=baremetal) the mux
 * is the only transport, and the socket paths compile away */
#if defined(LOOM_PLAT_SOCKETS)
#define SCONN(s)	((s)->conn)
#else
#define SCONN(s)	((struct loom_conn *)NULL)
#endif

/* what the "sspc" vhost holds for the context: its streams, the proxy address
 * the context was created with (info.ss_proxy) and the mux link, if one is used */
struct sspc_vh {
	struct loom_dll2_owner streams;
	char *proxy;			/* or NULL: $LOOM_SSPROXY or the default */
	struct loom_mux_link *link;
};

static int
linked(const struct loom_sspc *s)
{
	return SCONN(s) || s->ch;
}

static void
tp_want_write(struct loom_sspc *s)
{
	if (SCONN(s))
		loom_callback_on_writable(SCONN(s));
	else if (s->ch)
		loom__mux_ch_want_write(s->ch);
}

static void
sspc_closed(struct loom_sspc *s, int state);

static struct loom_vhost *
sspc_vhost(struct loom_context *ctx);

static void
sspc_link(struct loom_sul *sul);

static int
user_state(struct loom_sspc *s, int state, unsigned int ack)
{
	int r;

	s->state = state;
	if (!s->info.state)
		return 0;
	s->in_cb++;
	r = s->info.state(s->user, NULL, state, ack);
	s->in_cb--;

	return r;
}

/* what a callback's result asks for */
static int
user_result(struct loom_sspc *s, int r)
{
	if (r == LOOM_SSR_DESTROY_ME)
		s->destroy_pending = 1;
	else if (r == LOOM_SSR_DISCONNECT_ME && SCONN(s))
		loom_set_timeout(SCONN(s), LOOM_TO_KILLED, LOOM_TO_KILL_ASYNC);
	else if (r == LOOM_SSR_DISCONNECT_ME && s->ch)
		s->kill_pending = 1;	/* once out of the callback */

	return r;
}

static int
queue(struct loom_sspc *s, const uint8_t *hdr, size_t hl, const void *body, size_t bl)
{
	uint8_t tmp[LOOM_SSER_HDR + 1 + LOOM_SSER_NAME_MAX + SSPC_MD_MAX];

	if (!linked(s))
		return 0;	/* the link is down: all is sent again on the next */
	if (!hl || hl + bl > sizeof(tmp))
		return -1;
	memcpy(tmp, hdr, hl);
	if (bl)
		memcpy(tmp + hl, body, bl);
	if (loom_buflist_append_segment(&s->out, tmp, hl + bl) < 0)
		return -1;
	tp_want_write(s);

	return 0;
}

static int
queue_md(struct loom_sspc *s, const struct sspc_md *m)
{
	uint8_t f[LOOM_SSER_HDR + 1 + LOOM_SSER_NAME_MAX];
	size_t n = loom__sser_put_metadata_hdr(f, sizeof(f), m->name, m->len);

	return queue(s, f, n, m->value, m->len);
}

static int
queue_req_tx(struct loom_sspc *s)
{
	uint8_t f[LOOM_SSER_HDR + 4];
	size_t n = loom__sser_put_req_tx(f, sizeof(f), s->tx_has_len, (uint32_t)s->tx_len);

	return queue(s, f, n, NULL, 0);
}

static void
schedule_link(struct loom_sspc *s)
{
	unsigned int i = s->tries < sizeof(backoff_ms) / sizeof(backoff_ms[0]) ?
			 s->tries : (unsigned int)(sizeof(backoff_ms) /
						   sizeof(backoff_ms[0])) - 1;

	if (s->destroying || s->dead)
		return;
	loom_sul_schedule(s->ctx, s->tsi, &s->sul, sspc_link,
			  (loom_usec_t)backoff_ms[i] * 1000);
}

/* ---- frames from the proxy ---- */

static struct sspc_md *
md_find(struct loom_sspc *s, const char *name, int from_proxy)
{
	struct sspc_md *m;

	for (m = s->md; m; m = m->next)
		if (m->from_proxy == from_proxy && !strcmp(m->name, name))
			return m;

	return NULL;
}

static int
md_store(struct loom_sspc *s, const char *name, const void *value, size_t len,
	 int from_proxy)
{
	struct sspc_md *m, **pm;
	size_t nl = strlen(name) + 1;
	unsigned int items = 0;

	if (from_proxy && !md_find(s, name, 1)) {
		for (m = s->md; m; m = m->next)
			items += m->from_proxy;
		if (items >= SSPC_MD_ITEMS) {
			loom_log_err("sspc: more than %d metadata names from the proxy",
				     SSPC_MD_ITEMS);
			return LOOM_EINVAL;
		}
	}
	m = loom_malloc(sizeof(*m) + len + nl, "sspc metadata");
	if (!m)
		return LOOM_ENOMEM;
	m->len = len;
	m->from_proxy = (uint8_t)from_proxy;
	if (len)
		memcpy(m->value, value, len);
	m->name = (char *)m->value + len;
	memcpy(m->name, name, nl);
	/* replace an older value of the same name */
	for (pm = &s->md; *pm; pm = &(*pm)->next)
		if ((*pm)->from_proxy == from_proxy && !strcmp((*pm)->name, name)) {
			struct sspc_md *old = *pm;

			m->next = old->next;
			*pm = m;
			loom_free(old);
			return 0;
		}
	m->next = s->md;
	s->md = m;

	return 0;
}

static int
on_frame(void *opaque, const struct loom_sser_ev *e)
{
	struct loom_sspc *s = opaque;
	uint8_t f[LOOM_SSER_HDR + 4];
	int r = 0, fl;
	size_t n;

	if (!s->created && e->ev != LOOM_SSEV_CREATED)
		return 1;	/* CREATED comes first */

	switch (e->ev) {
	case LOOM_SSEV_CREATED:
		if (s->created)
			return 1;
		if (e->u32a != LOOM_SSER_R_OK) {
			loom_log_err("sspc: the proxy refused stream type '%s' (%u)",
				     s->streamtype, (unsigned int)e->u32a);
			s->dead = 1;
			user_result(s, user_state(s, LOOM_SSS_ALL_RETRIES_FAILED,
						  (unsigned int)e->u32a));
			return 0;
		}
		s->created = 1;
		s->tries = 0;
		s->tx_credit = e->u32b;
		if (s->tx_requested)
			tp_want_write(s);
		return 0;

	case LOOM_SSEV_STATE:
		/* CREATING and DESTROYING are the user's own, told here */
		if (e->u32a == LOOM_SSS_CREATING || e->u32a == LOOM_SSS_DESTROYING)
			return 0;
		/* the link's own CONNECTING was told already: the real stream's first
		 * one is the same attempt, so the user sees what in-process gives */
		if (e->u32a == LOOM_SSS_CONNECTING && s->state == LOOM_SSS_CONNECTING)
			return 0;
		user_result(s, user_state(s, (int)e->u32a, e->u32b));
		return 0;

	case LOOM_SSEV_MD_START:
		if (e->u32a > SSPC_MD_MAX)
			return 1;
		memcpy(s->md_name, e->str, strlen(e->str) + 1);
		s->md_len = 0;
		s->md_want = e->u32a;
		if (s->md_want)
			return 0;
		/* an empty value is complete now */
		/* fallthrough */
	case LOOM_SSEV_MD_DATA:
		if (e->ev == LOOM_SSEV_MD_DATA) {
			memcpy(s->md_buf + s->md_len, e->buf, e->len);
			s->md_len += e->len;
		}
		if (s->md_len == s->md_want &&
		    md_store(s, s->md_name, s->md_buf, s->md_len, 1))
			return 1;
		return 0;

	case LOOM_SSEV_PAYLOAD_START:
		s->pl_left = e->u32b;
		s->pl_flags = (int)e->u32a;
		if (e->u32b)
			return 0;
		/* an empty piece: told with its flags */
		/* fallthrough */
	case LOOM_SSEV_PAYLOAD_DATA:
		n = e->ev == LOOM_SSEV_PAYLOAD_DATA ? e->len : 0;
		s->pl_left -= n;
		fl = s->pl_flags;
		if (s->pl_left)
			fl &= ~LOOM_SS_FLAG_EOM;
		s->pl_flags &= ~LOOM_SS_FLAG_SOM;
		if (s->info.rx) {
			s->in_cb++;
			r = s->info.rx(s->user, n ? e->buf : (const uint8_t *)"", n, fl);
			s->in_cb--;
			user_result(s, r);
		}
		if (n) {	/* taken: the proxy may send as much again */
			size_t k = loom__sser_put_credit(f, sizeof(f), (uint32_t)n);

			queue(s, f, k, NULL, 0);
		}
		return 0;

	case LOOM_SSEV_CREDIT:
		if ((uint64_t)s->tx_credit + e->u32a > 0x7fffffffu)
			return 1;
		s->tx_credit += e->u32a;
		if (s->tx_requested)
			tp_want_write(s);
		return 0;

	default:
		return 1;	/* the proxy's decoder never gives these */
	}
}

/* the user's tx, within the credit, as one PAYLOAD frame */
static int
do_tx(struct loom_sspc *s)
{
	uint8_t buf[LOOM_SSER_HDR + 1 + SSPC_TX_MAX];
	size_t len = s->tx_credit < SSPC_TX_MAX ? s->tx_credit : SSPC_TX_MAX, n;
	int flags = 0, r;

	if (!s->info.tx || !len)
		return 0;
	s->tx_requested = 0;
	s->in_cb++;
	r = s->info.tx(s->user, buf + LOOM_SSER_HDR + 1, &len, &flags);
	s->in_cb--;
	if (r == LOOM_SSR_TX_DONT_SEND)
		return 0;
	if (user_result(s, r) < 0)
		return 0;
	if (len > SSPC_TX_MAX || len > s->tx_credit) {
		loom_log_err("sspc: tx callback wrote %zu, more than offered", len);
		return -1;
	}
	n = loom__sser_put_payload_hdr(buf, sizeof(buf), (unsigned int)flags, len);
	if (!n)
		return -1;
	s->tx_credit -= (uint32_t)len;
	if (!(flags & LOOM_SS_FLAG_EOM))
		s->tx_requested = 1;	/* the rest of the message follows */

	return queue(s, buf, n + len, NULL, 0);
}

static int
on_writeable(struct loom_sspc *s)
{
	uint8_t buf[LOOM_PRE + SSPC_WRITE_MAX];
	size_t n, max = SSPC_WRITE_MAX;

	if (s->ch) {
		max = loom__mux_ch_write_max(s->ch);
		if (max > SSPC_WRITE_MAX)
			max = SSPC_WRITE_MAX;
		if (!max) {
			loom__mux_ch_want_write(s->ch);
			return 0;
		}
	}
	n = loom_buflist_linear_use(&s->out, buf + LOOM_PRE, max);
	if (n) {
		if (SCONN(s) && loom_write(SCONN(s), buf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		if (s->ch && loom__mux_ch_write(s->ch, buf + LOOM_PRE, n))
			return -1;
		if (s->out || (s->tx_requested && s->created) || s->destroying)
			tp_want_write(s);
		return 0;
	}
	if (s->destroying)
		return -1;	/* DESTROY is out: close */
	if (s->tx_requested && s->created && s->tx_credit && do_tx(s) < 0)
		return -1;

	return 0;
}

static void
free_sspc(struct loom_sspc *s)
{
	struct sspc_md *m;

	while ((m = s->md)) {
		s->md = m->next;
		loom_free(m);
	}
	loom_sul_cancel(&s->sul);
	loom_dll2_remove(&s->list);
	loom_buflist_destroy_all_segments(&s->out);
	if (s->free_handle)
		loom_free(s->user_handle);
	loom_free(s->user);
	loom_free(s);
}

/* a user callback asked for the stream to go: after it returned */
static void
check_destroy_pending(struct loom_sspc *s)
{
	if (s->kill_pending && !s->in_cb && s->ch && !s->destroying) {
		s->kill_pending = 0;
		loom__mux_ch_close(s->ch);
		s->ch = NULL;
		sspc_closed(s, LOOM_SSS_DISCONNECTED);
		return;
	}
	if (s->destroy_pending && !s->in_cb && !s->destroying)
		loom__sspc_destroy(s);
}

/* ---- the four transport events ---- */

static int
sspc_connected(struct loom_sspc *s)
{
	uint8_t f[LOOM_SSER_HDR + 5 + LOOM_SSER_NAME_MAX];
	struct sspc_md *m;
	size_t n;

	loom__sser_dec_init(&s->dec, LOOM_SSER_ROLE_CLIENT);
	s->created = 0;
	n = loom__sser_put_hello(f, sizeof(f), SSPC_RX_CREDIT, s->streamtype);
	if (queue(s, f, n, NULL, 0))
		return -1;
	for (m = s->md; m; m = m->next)
		if (!m->from_proxy && queue_md(s, m))
			return -1;
	if (s->tx_requested && queue_req_tx(s))
		return -1;

	return 0;
}

static int
sspc_rx(struct loom_sspc *s, const void *in, size_t len)
{
	int r;

	if (s->destroying)
		return 0;
	r = loom__sser_feed(&s->dec, in, len, on_frame, s);
	if (r) {
		loom_log_err("sspc: bad frame from the proxy (%d)", r);
		return -1;
	}

	return 0;
}

/* the transport is gone; \p state: what the user is told */
static void
sspc_closed(struct loom_sspc *s, int state)
{
	s->conn = NULL;
	s->ch = NULL;
	loom_buflist_destroy_all_segments(&s->out);
	if (s->destroying) {
		free_sspc(s);	/* its DESTROY went out (or the link died) */
		return;
	}
	s->created = 0;
	s->tries++;
	if (!s->dead)
		user_result(s, user_state(s, state, 0));
	schedule_link(s);
	check_destroy_pending(s);
}

/* ---- the mux transport: a channel of the context's mux link ---- */

static void
mux_fail(struct loom_sspc *s)
{
	loom__mux_ch_close(s->ch);
	s->ch = NULL;
	sspc_closed(s, LOOM_SSS_DISCONNECTED);
}

static void
mux_opened(struct loom_mux_ch *ch, void *opaque)
{
	struct loom_sspc *s = opaque;

	(void)ch;
	user_state(s, LOOM_SSS_CONNECTING, 0);
	if (sspc_connected(s))
		mux_fail(s);
}

static void
mux_rx(struct loom_mux_ch *ch, void *opaque, const uint8_t *buf, size_t len)
{
	struct loom_sspc *s = opaque;

	(void)ch;
	if (sspc_rx(s, buf, len)) {
		mux_fail(s);
		return;
	}
	check_destroy_pending(s);
}

static void
mux_writeable(struct loom_mux_ch *ch, void *opaque)
{
	struct loom_sspc *s = opaque;

	(void)ch;
	if (on_writeable(s)) {
		if (s->destroying) {
			loom__mux_ch_close(s->ch);
			s->ch = NULL;
			free_sspc(s);
			return;
		}
		mux_fail(s);
		return;
	}
	check_destroy_pending(s);
}

static void
mux_closed(struct loom_mux_ch *ch, void *opaque, int link_down)
{
	struct loom_sspc *s = opaque;

	(void)ch;
	(void)link_down;
	s->ch = NULL;
	sspc_closed(s, LOOM_SSS_DISCONNECTED);
}

static const struct loom_mux_ch_ops sspc_mux_ops = {
	mux_opened, mux_rx, mux_writeable, mux_closed
};

static int
sspc_callback(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	      void *in, size_t len)
{
	struct loom_sspc *s = user;
	struct sspc_vh *svh;
#if defined(LOOM_PLAT_SOCKETS)
	int r;
#else
	(void)s;
	(void)len;
#endif

	(void)conn;
	switch (reason) {
	case LOOM_CB_PROTOCOL_DESTROY:
		svh = in ? loom_vhost_user(in) : NULL;
		if (svh) {
			loom__mux_link_destroy(svh->link);
			loom_free(svh->proxy);
			loom_free(svh);
		}
		break;
#if defined(LOOM_PLAT_SOCKETS)

	case LOOM_CB_RAW_CONNECTED:
		return s ? sspc_connected(s) : -1;

	case LOOM_CB_RAW_RX:
		if (!s || sspc_rx(s, in, len))
			return -1;
		check_destroy_pending(s);
		break;

	case LOOM_CB_RAW_WRITEABLE:
		if (!s)
			return -1;
		r = on_writeable(s);
		check_destroy_pending(s);
		return r;

	case LOOM_CB_CLIENT_CONNECTION_ERROR:
	case LOOM_CB_RAW_CLOSE:
		if (!s)
			break;
		/* the proxy is not there: UNREACHABLE */
		sspc_closed(s, reason == LOOM_CB_RAW_CLOSE ? LOOM_SSS_DISCONNECTED :
							    LOOM_SSS_UNREACHABLE);
		break;
#endif

	default:
		break;
	}

	return 0;
}

static const struct loom_protocol sspc_protocols[] = {
	{ "sspc", sspc_callback, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static struct loom_vhost *
sspc_vhost(struct loom_context *ctx)
{
	struct loom_vhost_info vi;
	struct loom_vhost *vh = loom_get_vhost_by_name(ctx, "sspc");

	if (vh)
		return vh;
	memset(&vi, 0, sizeof(vi));
	vi.name = "sspc";
	vi.options = LOOM_VHOST_OPT_RAW | LOOM_VHOST_OPT_NO_LISTEN;
	vi.protocols = sspc_protocols;
	vi.user = loom_zalloc(sizeof(struct sspc_vh), "sspc vh");
	if (!vi.user)
		return NULL;
	vh = loom_create_vhost(ctx, &vi);
	if (!vh)
		loom_free(vi.user);

	return vh;
}

/* "mux:/dev/ttyX": a channel of the context's mux link (made on first use) */
static void
sspc_link_mux(struct loom_sspc *s, const char *path)
{
	struct loom_vhost *vh = sspc_vhost(s->ctx);
	struct sspc_vh *svh = vh ? loom_vhost_user(vh) : NULL;
	struct loom_mux_link_info mi;

	if (!svh)
		goto retry;
	if (!svh->link) {
		memset(&mi, 0, sizeof(mi));
		mi.path = path;
		svh->link = loom__mux_link_create(s->ctx, &mi);
		if (!svh->link)
			goto retry;
	}
	s->ch = loom__mux_ch_open(svh->link, &sspc_mux_ops, s);
	if (s->ch)
		return;	/* mux_opened() goes on */
retry:
	/* the link is down (or not made yet): try again */
	s->tries++;
	schedule_link(s);
}

/* "unix:@name", "unix:/path" or "host:port" (the environment's LOOM_SSPROXY) */
static void
sspc_link(struct loom_sul *sul)
{
	struct loom_sspc *s = loom_container_of(sul, struct loom_sspc, sul);
	struct loom_vhost *vh = sspc_vhost(s->ctx);
	struct sspc_vh *svh = vh ? loom_vhost_user(vh) : NULL;
	const char *a = svh && svh->proxy ? svh->proxy : getenv("LOOM_SSPROXY");
#if defined(LOOM_PLAT_SOCKETS)
	struct loom_client_connect_info ci;
	char host[128];
	const char *colon;
	int port = 0;
#endif

	if (linked(s) || s->destroying || s->dead)
		return;
	if (!a || !*a)
		a = LOOM_SSPC_DEF_PROXY;
	if (!strncmp(a, "mux:", 4)) {
		sspc_link_mux(s, a + 4);
		return;
	}
#if !defined(LOOM_PLAT_SOCKETS)
	/* no sockets (LOOM_PLAT=baremetal): the mux over the app's byte stream */
	loom_log_err("sspc: proxy address '%s': only mux: here", a);
	s->dead = 1;
	user_state(s, LOOM_SSS_ALL_RETRIES_FAILED, 0);
#else
	memset(&ci, 0, sizeof(ci));
	if (strncmp(a, "unix:", 5)) {
		colon = strrchr(a, ':');
		if (!colon || (size_t)(colon - a) >= sizeof(host)) {
			loom_log_err("sspc: proxy address '%s': want host:port or unix:PATH",
				     a);
			s->dead = 1;
			user_state(s, LOOM_SSS_ALL_RETRIES_FAILED, 0);
			return;
		}
		memcpy(host, a, (size_t)(colon - a));
		host[colon - a] = '\0';
		port = atoi(colon + 1);
		a = host;
	}
	ci.context = s->ctx;
	ci.vhost = sspc_vhost(s->ctx);
	ci.address = a;
	ci.port = port;
	ci.flags = LOOM_CONNECT_RAW;
	ci.protocol = "sspc";
	ci.userdata = s;
	ci.tsi = s->tsi;
	ci.pconn = &s->conn;
	ci.timeout_ms = 5000;
	user_state(s, LOOM_SSS_CONNECTING, 0);
	if (!ci.vhost || !loom_client_connect(&ci)) {
		s->conn = NULL;
		s->tries++;
		schedule_link(s);
	}
#endif
}

int
loom__sspc_create(struct loom_context *ctx, int tsi, const struct loom_ss_info *info,
		  void *opaque, void *user_handle, int free_handle, struct loom_sspc **out)
{
	struct loom_vhost *vh;
	struct loom_sspc *s;
	size_t ua = info->user_alloc;

	*out = NULL;
	if (!info->streamtype || strlen(info->streamtype) > LOOM_SSER_NAME_MAX ||
	    ua < info->handle_offset + sizeof(void *) ||
	    (info->opaque_user_data_offset != info->handle_offset &&
	     ua < info->opaque_user_data_offset + sizeof(void *)))
		return LOOM_EINVAL;
	vh = sspc_vhost(ctx);
	if (!vh)
		return LOOM_ENOMEM;
	s = loom_zalloc(sizeof(*s), "sspc");
	if (!s)
		return LOOM_ENOMEM;
	s->user = loom_zalloc(ua, "sspc user");
	if (!s->user) {
		loom_free(s);
		return LOOM_ENOMEM;
	}
	loom_dll2_add_tail(&s->list, &((struct sspc_vh *)loom_vhost_user(vh))->streams);
	s->info = *info;
	s->user_handle = user_handle;
	s->free_handle = (uint8_t)free_handle;
	s->ctx = ctx;
	s->tsi = tsi;
	memcpy(s->streamtype, info->streamtype, strlen(info->streamtype) + 1);
	memcpy((uint8_t *)s->user + info->handle_offset, &user_handle, sizeof(void *));
	if (info->opaque_user_data_offset != info->handle_offset)
		memcpy((uint8_t *)s->user + info->opaque_user_data_offset, &opaque,
		       sizeof(void *));
	*out = s;
	user_state(s, LOOM_SSS_CREATING, 0);
	/* the link starts from the loop, so metadata can be set first */
	loom_sul_schedule(ctx, tsi, &s->sul, sspc_link, 1);

	return 0;
}

int
loom__sspc_context_init(struct loom_context *ctx, const char *proxy)
{
	struct loom_vhost *vh = sspc_vhost(ctx);
	struct sspc_vh *svh = vh ? loom_vhost_user(vh) : NULL;
	size_t n = strlen(proxy) + 1;

	if (!svh)
		return LOOM_ENOMEM;
	loom_free(svh->proxy);
	svh->proxy = loom_malloc(n, "sspc proxy");
	if (!svh->proxy)
		return LOOM_ENOMEM;
	memcpy(svh->proxy, proxy, n);
	loom_log_info("sspc: Secure Streams through the proxy at %s", proxy);

	return 0;
}

int
loom__sspc_context_is_proxied(struct loom_context *ctx)
{
	struct loom_vhost *vh = loom_get_vhost_by_name(ctx, "sspc");

	return vh && loom_vhost_user(vh) &&
	       ((struct sspc_vh *)loom_vhost_user(vh))->proxy;
}

/* the context goes: every stream still open ends now, DESTROYING told first */
void
loom__sspc_context_destroy(struct loom_context *ctx)
{
	struct loom_vhost *vh = loom_get_vhost_by_name(ctx, "sspc");
	struct sspc_vh *svh = vh ? loom_vhost_user(vh) : NULL;
	struct loom_sspc *s;

	while (svh && svh->streams.head) {
		s = loom_container_of(svh->streams.head, struct loom_sspc, list);
		s->destroying = 1;
		loom_sul_cancel(&s->sul);
		if (SCONN(s)) {	/* its close comes later: no stream to tell then */
			struct loom_conn *c = SCONN(s);

			c->user_space = NULL;
			s->conn = NULL;
			loom_close(c, LOOM_CLOSE_NORMAL);
		}
		if (s->ch) {
			loom__mux_ch_close(s->ch);
			s->ch = NULL;
		}
		if (s->state != LOOM_SSS_DESTROYING)
			user_state(s, LOOM_SSS_DESTROYING, 0);
		free_sspc(s);
	}
}

void
loom__sspc_destroy(struct loom_sspc *s)
{
	uint8_t f[LOOM_SSER_HDR];
	size_t n;

	if (!s || s->destroying)
		return;
	if (s->in_cb) {		/* from inside its own callback: after it */
		s->destroy_pending = 1;
		return;
	}
	s->destroying = 1;
	loom_sul_cancel(&s->sul);
	user_state(s, LOOM_SSS_DESTROYING, 0);
	if (s->ch && !s->created) {
		loom__mux_ch_close(s->ch);
		s->ch = NULL;
	}
	if (!linked(s)) {
		free_sspc(s);
		return;
	}
	/* tell the proxy, then close; RAW_CLOSE frees it */
	n = loom__sser_put_empty(f, sizeof(f), LOOM_SSER_DESTROY);
	if (s->created)
		queue(s, f, n, NULL, 0);
	tp_want_write(s);
	if (SCONN(s))
		loom_set_timeout(SCONN(s), LOOM_TO_CLOSE_FLUSH, 5);
}

int
loom__sspc_request_tx(struct loom_sspc *s, int has_len, unsigned long len)
{
	if (s->destroying)
		return LOOM_ECLOSED;
	s->tx_requested = 1;
	s->tx_has_len = (uint8_t)has_len;
	s->tx_len = len;
	if (s->created)
		queue_req_tx(s);
	else if (!linked(s) && !loom_sul_is_scheduled(&s->sul) && !s->dead)
		schedule_link(s);

	return 0;
}

int
loom__sspc_client_connect(struct loom_sspc *s)
{
	uint8_t f[LOOM_SSER_HDR];

	if (s->destroying)
		return LOOM_ECLOSED;
	if (!linked(s)) {
		s->dead = 0;
		s->tries = 0;
		loom_sul_schedule(s->ctx, s->tsi, &s->sul, sspc_link, 1);
		return 0;
	}
	if (s->created)
		return queue(s, f, loom__sser_put_empty(f, sizeof(f), LOOM_SSER_CONNECT),
			     NULL, 0);

	return 0;
}

int
loom__sspc_set_metadata(struct loom_sspc *s, const char *name, const void *value,
			size_t len)
{
	struct sspc_md *m;
	size_t nl = strlen(name);

	if (!nl || nl > LOOM_SSER_NAME_MAX || len > SSPC_MD_MAX)
		return LOOM_EINVAL;
	if (md_store(s, name, value, len, 0))
		return LOOM_ENOMEM;
	m = md_find(s, name, 0);
	if (s->created && m)
		queue_md(s, m);

	return 0;
}

int
loom__sspc_get_metadata(struct loom_sspc *s, const char *name, const void **value,
			size_t *len)
{
	struct sspc_md *m = md_find(s, name, 1);

	if (!m)
		m = md_find(s, name, 0);
	if (!m)
		return LOOM_ENOTFOUND;
	*value = m->value;
	*len = m->len;

	return 0;
}

void *
loom__sspc_user(struct loom_sspc *s)
{
	return s->user;
}

struct loom_context *
loom__sspc_context(struct loom_sspc *s)
{
	return s->ctx;
}
