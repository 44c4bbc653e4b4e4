/*
 * proxy.c: client connections through an HTTP CONNECT or SOCKS5 proxy. The
 * handshake runs on the connected socket before the role (or TLS) sees the conn;
 * it never reads past the proxy's reply, so the tunnel's first bytes stay in the
 * socket for whoever comes next.
 */
#include "core/private-core.h"
#include "net/private-net.h"
#include "net/dns/private-dns.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include "plat/private-sockets.h"

enum {
	HS_SEND = 1,
	HS_HTTP_HEAD,
	HS_S5_METHOD,
	HS_S5_AUTH,
	HS_S5_REPLY
};

#define LOOM_PROXY_DEF_PORT 1080

int
loom__proxy_parse(struct loom_proxy *p, const char *url)
{
	const char *at, *hp, *end, *colon;
	size_t hl;
	long port = LOOM_PROXY_DEF_PORT;

	memset(p, 0, sizeof(*p));
	p->type = LOOM_PROXY_HTTP;
	if (!strncmp(url, "http://", 7))
		url += 7;
	else if (!strncmp(url, "socks5://", 9) || !strncmp(url, "socks5h://", 10)) {
		p->type = LOOM_PROXY_SOCKS5;
		url = strchr(url, '/') + 2;
	} else if (strstr(url, "://"))
		return LOOM_EUNSUPP;		/* https:// proxies, socks4 ... */
	end = url + strcspn(url, "/");		/* a trailing path is ignored */
	at = memchr(url, '@', (size_t)(end - url));
	if (at) {
		const char *c = memchr(url, ':', (size_t)(at - url));
		size_t ul = (size_t)((c ? c : at) - url);

		if (ul >= sizeof(p->user) || (c && (size_t)(at - c - 1) >= sizeof(p->pass)))
			return LOOM_EINVAL;
		memcpy(p->user, url, ul);
		if (c)
			memcpy(p->pass, c + 1, (size_t)(at - c - 1));
		url = at + 1;
	}
	hp = url;
	if (*hp == '[') {
		const char *rb = memchr(hp, ']', (size_t)(end - hp));

		if (!rb)
			return LOOM_EINVAL;
		hl = (size_t)(rb - hp - 1);
		hp++;
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(hp, ':', (size_t)(end - hp));
		hl = (size_t)((colon ? colon : end) - hp);
	}
	if (!hl || hl >= sizeof(p->host))
		return LOOM_EINVAL;
	memcpy(p->host, hp, hl);
	if (colon) {
		char *e;

		port = strtol(colon + 1, &e, 10);
		if (e != end || port <= 0 || port > 65535)
			return LOOM_EINVAL;
	}
	p->port = (int)port;

	return 0;
}

/* no_proxy: "*", or a list of names each matching itself and its subdomains */
static int
no_proxy_match(const char *list, const char *host)
{
	size_t hl = strlen(host);

	while (*list) {
		size_t l;
		const char *e;

		list += strspn(list, ", \t");
		l = strcspn(list, ", \t");
		if (!l)
			break;
		e = list;
		if (l == 1 && *e == '*')
			return 1;
		if (*e == '.') {
			e++;
			l--;
		}
		if (l && l <= hl && !strncasecmp(host + hl - l, e, l) &&
		    (l == hl || host[hl - l - 1] == '.'))
			return 1;
		list += (e - list) + l;
	}

	return 0;
}

int
loom__proxy_select(struct loom_context *ctx, const struct loom_client_connect_info *i,
		   struct loom_proxy **pp)
{
	const char *url = i->proxy;
	struct loom_proxy *p;
	int r;

	*pp = NULL;
	if (!url && ctx->dns) {
		struct loom_dns *d = ctx->dns;

		if (d->env_no_proxy && no_proxy_match(d->env_no_proxy, i->address))
			return 0;
		url = i->tls ? d->env_https_proxy : d->env_http_proxy;
		if (!url)
			url = d->env_all_proxy;
	}
	if (!url || !*url)
		return 0;
	p = loom_malloc(sizeof(*p), "proxy");
	if (!p)
		return LOOM_ENOMEM;
	r = loom__proxy_parse(p, url);
	if (r) {
		loom_log_err("client_connect: cannot use proxy '%s'", url);
		loom_free(p);
		return r;
	}
	*pp = p;

	return 1;
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t
base64(const uint8_t *in, size_t len, char *out)
{
	size_t o = 0, i;

	for (i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? b64[v & 63] : '=';
	}
	out[o] = '\0';

	return o;
}

static void
hs_send(struct loom_proxy_hs *hs, size_t len, int after)
{
	hs->len = len;
	hs->sent = 0;
	hs->state = HS_SEND;
	hs->after_send = (uint8_t)after;
}

/* the SOCKS5 CONNECT request: a numeric target as itself, a name for the proxy */
static int
s5_request(struct loom_proxy_hs *hs)
{
	uint8_t a[16], *b = hs->buf;
	size_t n = 0, tl = strlen(hs->target);
	int fam = loom__plat_ip_parse(hs->target, a);

	b[n++] = 5;
	b[n++] = 1;				/* CONNECT */
	b[n++] = 0;
	if (fam == 4) {
		b[n++] = 1;
		memcpy(b + n, a, 4);
		n += 4;
	} else if (fam == 6) {
		b[n++] = 4;
		memcpy(b + n, a, 16);
		n += 16;
	} else {
		if (tl > 255)
			return -1;
		b[n++] = 3;
		b[n++] = (uint8_t)tl;
		memcpy(b + n, hs->target, tl);
		n += tl;
	}
	b[n++] = (uint8_t)(hs->port >> 8);
	b[n++] = (uint8_t)hs->port;
	hs_send(hs, n, HS_S5_REPLY);
	hs->want = 5;

	return 0;
}

int
loom__proxy_hs_start(struct loom_proxy_hs *hs, const struct loom_proxy *p,
		     const char *target, int port)
{
	size_t tl = strlen(target);
	int n;

	memset(hs, 0, sizeof(*hs));
	if (tl >= sizeof(hs->target))
		return LOOM_EINVAL;
	memcpy(hs->target, target, tl + 1);
	hs->port = port;
	hs->p = p;
	hs->want_write = 1;
	if (p->type == LOOM_PROXY_SOCKS5) {
		hs->buf[0] = 5;
		hs->buf[1] = p->user[0] ? 2 : 1;
		hs->buf[2] = 0;			/* no authentication */
		hs->buf[3] = 2;			/* username/password, RFC 1929 */
		hs_send(hs, p->user[0] ? 4 : 3, HS_S5_METHOD);
		hs->want = 2;
		return 0;
	}
	{
		char hostport[300], auth[400] = "";
		int v6 = strchr(target, ':') != NULL;

		snprintf(hostport, sizeof(hostport), "%s%s%s:%d", v6 ? "[" : "", target,
			 v6 ? "]" : "", port);
		if (p->user[0]) {
			char up[260], enc[360];

			n = snprintf(up, sizeof(up), "%s:%s", p->user, p->pass);
			if (n < 0 || (size_t)n >= sizeof(up))
				return LOOM_EINVAL;
			base64((const uint8_t *)up, (size_t)n, enc);
			snprintf(auth, sizeof(auth), "Proxy-Authorization: Basic %s\r\n", enc);
		}
		n = snprintf((char *)hs->buf, sizeof(hs->buf),
			     "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", hostport, hostport,
			     auth);
		if (n < 0 || (size_t)n >= sizeof(hs->buf))
			return LOOM_EINVAL;
		hs_send(hs, (size_t)n, HS_HTTP_HEAD);
	}

	return 0;
}

/* read until hs->want bytes are in: 1 when they are, 0 wait, < 0 failed */
static int
read_exact(struct loom_proxy_hs *hs, int fd, char *why, size_t why_len)
{
	int n;

	if (hs->want > sizeof(hs->buf))
		return -1;
	while (hs->len < hs->want) {
		n = loom__plat_recv(fd, hs->buf + hs->len, hs->want - hs->len);
		if (!n) {
			snprintf(why, why_len, "proxy: closed by the proxy");
			return -1;
		}
		if (n < 0) {
			if (loom__plat_errno_is_again(errno))
				return 0;
			snprintf(why, why_len, "proxy: read failed: %s", strerror(errno));
			return -1;
		}
		hs->len += (size_t)n;
	}

	return 1;
}

static const char *
s5_error(unsigned int rep)
{
	static const char *const t[] = { "succeeded", "general failure",
		"not allowed by ruleset", "network unreachable", "host unreachable",
		"connection refused", "TTL expired", "command not supported",
		"address type not supported" };

	return rep < sizeof(t) / sizeof(t[0]) ? t[rep] : "unknown error";
}

/*
 * The HTTP reply head, to its blank line and not a byte further: peek, then take
 * only what belongs to the head.
 */
static int
http_head(struct loom_proxy_hs *hs, int fd, char *why, size_t why_len)
{
	for (;;) {
		size_t room = sizeof(hs->buf) - 1 - hs->len, k, take;
		ssize_t n;
		int status;

		if (!room) {
			snprintf(why, why_len, "proxy: reply head too long");
			return -1;
		}
		n = recv(fd, hs->buf + hs->len, room, MSG_PEEK);
		if (!n) {
			snprintf(why, why_len, "proxy: closed by the proxy");
			return -1;
		}
		if (n < 0) {
			if (loom__plat_errno_is_again(errno))
				return 0;
			snprintf(why, why_len, "proxy: read failed: %s", strerror(errno));
			return -1;
		}
		take = (size_t)n;
		k = hs->len > 3 ? hs->len - 3 : 0;
		for (; k + 4 <= hs->len + (size_t)n; k++)
			if (!memcmp(hs->buf + k, "\r\n\r\n", 4)) {
				take = k + 4 - hs->len;
				break;
			}
		if (loom__plat_recv(fd, hs->buf + hs->len, take) != (int)take) {
			snprintf(why, why_len, "proxy: read failed");
			return -1;
		}
		hs->len += take;
		if (hs->len < 4 || memcmp(hs->buf + hs->len - 4, "\r\n\r\n", 4))
			continue;
		hs->buf[hs->len] = '\0';
		if (strncmp((char *)hs->buf, "HTTP/1.", 7) || hs->len < 12 ||
		    !isdigit(hs->buf[9])) {
			snprintf(why, why_len, "proxy: not an HTTP reply");
			return -1;
		}
		status = atoi((char *)hs->buf + 9);
		if (status / 100 != 2) {
			size_t l = strcspn((char *)hs->buf, "\r\n");

			snprintf(why, why_len, "proxy: %.*s", (int)(l > 80 ? 80 : l),
				 (char *)hs->buf);
			return -1;
		}
		return 1;
	}
}

int
loom__proxy_hs_step(struct loom_proxy_hs *hs, int fd, char *why, size_t why_len)
{
	const struct loom_proxy *p = hs->p;
	int n, r;

	for (;;) {
		switch (hs->state) {
		case HS_SEND:
			n = loom__plat_send(fd, hs->buf + hs->sent, hs->len - hs->sent);
			if (n < 0) {
				if (loom__plat_errno_is_again(errno)) {
					hs->want_write = 1;
					return 0;
				}
				snprintf(why, why_len, "proxy: write failed: %s",
					 strerror(errno));
				return -1;
			}
			hs->sent += (size_t)n;
			if (hs->sent < hs->len)
				continue;
			hs->state = hs->after_send;
			hs->len = 0;
			hs->want_write = 0;
			continue;
		case HS_HTTP_HEAD:
			return http_head(hs, fd, why, why_len);
		case HS_S5_METHOD:
			r = read_exact(hs, fd, why, why_len);
			if (r <= 0)
				return r;
			if (hs->buf[0] != 5 || (hs->buf[1] != 0 &&
						!(hs->buf[1] == 2 && p->user[0]))) {
				snprintf(why, why_len, "proxy: socks5: no acceptable "
					 "authentication method");
				return -1;
			}
			if (hs->buf[1] == 2) {
				size_t ul = strlen(p->user), pl = strlen(p->pass);

				hs->buf[0] = 1;
				hs->buf[1] = (uint8_t)ul;
				memcpy(hs->buf + 2, p->user, ul);
				hs->buf[2 + ul] = (uint8_t)pl;
				memcpy(hs->buf + 3 + ul, p->pass, pl);
				hs_send(hs, 3 + ul + pl, HS_S5_AUTH);
				hs->want = 2;
				continue;
			}
			if (s5_request(hs)) {
				snprintf(why, why_len, "proxy: socks5: name too long");
				return -1;
			}
			continue;
		case HS_S5_AUTH:
			r = read_exact(hs, fd, why, why_len);
			if (r <= 0)
				return r;
			if (hs->buf[1]) {
				snprintf(why, why_len, "proxy: socks5: authentication "
					 "refused");
				return -1;
			}
			if (s5_request(hs)) {
				snprintf(why, why_len, "proxy: socks5: name too long");
				return -1;
			}
			continue;
		case HS_S5_REPLY:
			r = read_exact(hs, fd, why, why_len);
			if (r <= 0)
				return r;
			if (hs->buf[0] != 5 || hs->buf[1]) {
				snprintf(why, why_len, "proxy: socks5: %s",
					 hs->buf[0] != 5 ? "bad reply" : s5_error(hs->buf[1]));
				return -1;
			}
			if (hs->want == 5) {
				/* the bound address: its length depends on its type */
				switch (hs->buf[3]) {
				case 1: hs->want = 10; break;
				case 3: hs->want = 7 + (size_t)hs->buf[4]; break;
				case 4: hs->want = 22; break;
				default:
					snprintf(why, why_len, "proxy: socks5: bad reply");
					return -1;
				}
				continue;
			}
			return 1;
		default:
			snprintf(why, why_len, "proxy: bad state");
			return -1;
		}
	}
}
