/*
 * private-net.h: what lib/net (listen, accept/adopt, client connect, hosts file)
 * offers the core and the roles.
 */
#ifndef LOOM_PRIVATE_NET_H
#define LOOM_PRIVATE_NET_H

int
loom__listen_create(struct loom_vhost *vh, const struct loom_vhost_info *info);
void
loom__unlink_unix_path(const char *path);

/*
 * Adopt \p fd into a conn of \p role on \p pt, adding LCF_* \p lcf. Returns < 0 if
 * it failed and the fd is still the caller's; 0 if Loom owns the fd, with *pconn the
 * conn, or NULL when the adopt callback refused it (it is already closed).
 */
int
loom__adopt_fd(struct loom_pt *pt, struct loom_vhost *vh,
	       const struct loom_role_ops *role, const struct loom_protocol *p,
	       int fd, uint32_t lcf, void *opaque, struct loom_conn **pconn);

/* ---- client connect through a proxy (proxy.c) ---- */
#define LOOM_PROXY_HTTP		1	/* HTTP CONNECT tunnel */
#define LOOM_PROXY_SOCKS5	2	/* SOCKS5, the proxy resolves the name */

struct loom_proxy {
	char host[256];
	char user[128];
	char pass[128];
	int port;
	uint8_t type;
};

/* the handshake on a connected socket, before the role or TLS sees it */
struct loom_proxy_hs {
	uint8_t buf[1100];		/* what we send, then what we read */
	size_t len;			/* bytes in buf to send, or read so far */
	size_t sent;			/* sending: bytes of buf gone */
	size_t want;			/* reading: bytes the current reply needs */
	const struct loom_proxy *p;
	char target[256];
	int port;
	uint8_t state;
	uint8_t after_send;		/* the state once buf is sent */
	uint8_t want_write;		/* wait for POLLOUT (else POLLIN) */
};

#if defined(LOOM_WITH_CLIENT_PROXY)
/* parse "http://[user:pass@]host:port" / "socks5://..." into \p p; 0 or < 0 */
int
loom__proxy_parse(struct loom_proxy *p, const char *url);
/*
 * The proxy for a connection to \p host: the info's own, or the environment's when
 * the context reads it and no_proxy does not exclude \p host. 1 and *p filled (an
 * allocation, loom_free() it) when there is one, 0 when none, < 0 if it is invalid.
 */
int
loom__proxy_select(struct loom_context *ctx, const struct loom_client_connect_info *i,
		   struct loom_proxy **p);
/* begin the handshake to reach target:port through p */
int
loom__proxy_hs_start(struct loom_proxy_hs *hs, const struct loom_proxy *p,
		     const char *target, int port);
/* move the handshake on with non-blocking I/O on fd: 1 tunnel up, 0 wait, < 0 failed
 * with the reason in \p why */
int
loom__proxy_hs_step(struct loom_proxy_hs *hs, int fd, char *why, size_t why_len);
#else
/* no proxies in this build (LOOM_WITH_CLIENT_PROXY=OFF): a connect that names one
 * is refused; the environment's are not read, so no connect ever has one */
static inline int
loom__proxy_select(struct loom_context *ctx, const struct loom_client_connect_info *i,
		   struct loom_proxy **p)
{
	(void)ctx;
	*p = NULL;
	if (i->proxy && *i->proxy) {
		loom_log_err("client_connect: proxies are not in this build "
			     "(LOOM_WITH_CLIENT_PROXY=OFF)");
		return LOOM_EUNSUPP;
	}
	return 0;
}
static inline int
loom__proxy_hs_start(struct loom_proxy_hs *hs, const struct loom_proxy *p,
		     const char *target, int port)
{
	(void)hs;
	(void)p;
	(void)target;
	(void)port;
	return LOOM_EUNSUPP;
}
static inline int
loom__proxy_hs_step(struct loom_proxy_hs *hs, int fd, char *why, size_t why_len)
{
	static const char m[] = "proxies are not in this build";
	size_t n = sizeof(m) < why_len ? sizeof(m) : why_len;

	(void)hs;
	(void)fd;
	if (n) {
		memcpy(why, m, n);
		why[n - 1] = '\0';
	}
	return LOOM_EUNSUPP;
}
#endif

#endif
