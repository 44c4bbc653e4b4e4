/*
 * dns-resolver.c: asynchronous lookups on the service thread. A lookup asks the
 * hosts file, then the cache, then runs one transaction per address family: a
 * query from a fresh UDP socket (random id, kernel-chosen port, connected to the
 * server so only it can answer), retried across the servers, over TCP when the
 * answer comes truncated. The sockets are conns of a private role on the pt and
 * every wait is a sul, so nothing here ever blocks.
 */
#include "core/private-core.h"
#include "roles/private-roles.h"
#include "event-libs/private-event-libs.h"
#include "net/dns/private-dns.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "plat/private-sockets.h"

/* index of a family in the per-lookup arrays: IPv6 first, RFC 8305 order */
#define FAM6 0
#define FAM4 1

enum txn_state {
	TXN_IDLE,
	TXN_UDP_WAIT,		/* query sent, waiting for the answer */
	TXN_TCP_CONNECT,
	TXN_TCP_SEND,
	TXN_TCP_READ,
	TXN_DONE
};

struct loom_dns_txn {
	struct loom_dns_lookup *lk;
	struct loom_conn *conn;		/* the socket of the current try */
	struct loom_sul sul;		/* the current try's timeout */
	struct loom_dns_q q;
	uint8_t out[2 + LOOM_DNS_MAX_QUERY]; /* TCP length prefix + the query */
	size_t out_len, out_sent;
	uint8_t *tcp_in;		/* TCP answer being read */
	size_t tcp_have, tcp_need;
	uint8_t tcp_len[2];
	unsigned int server;		/* index of the server tried now */
	unsigned int tries;		/* servers tried so far, over all rounds */
	unsigned int conn_gen;		/* bumped whenever conn goes away */
	uint32_t ttl;			/* least TTL over the CNAME chain */
	uint8_t state;			/* enum txn_state */
	uint8_t tcp;
	uint8_t cname_hops;
	uint8_t saw_fail;		/* a server answered SERVFAIL/REFUSED */
	uint8_t sock_fail;		/* a socket could not be made */
	uint8_t fam;			/* FAM6 / FAM4 */
	/* the result */
	uint8_t status;			/* enum loom_dns_status */
	uint8_t count;
	uint8_t addrs[LOOM_DNS_MAX_ADDRS][16];
	char canonical[LOOM_DNS_MAX_TEXT + 1];
};

struct loom_dns_lookup {
	struct loom_dll2 list;		/* on the pt's lookups */
	struct loom_context *ctx;
	loom_dns_cb cb;
	void *user;
	struct loom_sul sul_done;	/* gives the result from the loop */
	struct loom_dns_txn *txn[2];
	unsigned int flags;
	int tsi;
	uint8_t qname[LOOM_DNS_MAX_NAME];
	uint16_t qname_len;
	uint8_t want[2];		/* families asked for */
	uint8_t have[2];		/* family result known (cache/hosts/txn) */
	uint8_t status[2];
	uint8_t count[2];
	uint8_t addrs[2][LOOM_DNS_MAX_ADDRS][16];
	uint32_t ttl;
	char name[LOOM_DNS_MAX_TEXT + 2];
	char canonical[LOOM_DNS_MAX_TEXT + 1];
	enum loom_dns_status final;	/* set for results known before any txn */
};

static const char *const status_names[] = {
	"ok", "NXDOMAIN", "no address", "server failure", "timeout", "bad name",
	"no nameserver", "out of memory", "cancelled"
};

const char *
loom_dns_status_name(enum loom_dns_status status)
{
	if ((unsigned int)status >= (sizeof(status_names) / sizeof(status_names[0])))
		return "?";

	return status_names[status];
}

int
loom__dns_enabled(const struct loom_context *ctx)
{
	return ctx->dns && !ctx->dns->off && ctx->dns->count_servers;
}

/* ---- finishing ---- */

static void
txn_drop_conn(struct loom_dns_txn *t)
{
	struct loom_conn *c = t->conn;

	loom_sul_cancel(&t->sul);
	if (!c)
		return;
	t->conn = NULL;
	t->conn_gen++;
	c->role_data = NULL;
	loom__close_now(c, LOOM_CLOSE_NORMAL, "dns query done");
}

static void
txn_free(struct loom_dns_txn *t)
{
	if (!t)
		return;
	txn_drop_conn(t);
	loom_free(t->tcp_in);
	loom_free(t);
}

static void
lookup_free(struct loom_dns_lookup *lk)
{
	loom_dll2_remove(&lk->list);
	loom_sul_cancel(&lk->sul_done);
	txn_free(lk->txn[0]);
	txn_free(lk->txn[1]);
	loom_free(lk);
}

/* merge the families: any address wins; else the most telling failure */
static enum loom_dns_status
lookup_status(const struct loom_dns_lookup *lk)
{
	enum loom_dns_status s = LOOM_DNS_NODATA;
	int f;

	for (f = 0; f < 2; f++)
		if (lk->want[f] && lk->status[f] == LOOM_DNS_OK && lk->count[f])
			return LOOM_DNS_OK;
	for (f = 0; f < 2; f++)
		if (lk->want[f] && lk->status[f] == LOOM_DNS_NXDOMAIN)
			return LOOM_DNS_NXDOMAIN;
	for (f = 0; f < 2; f++)
		if (lk->want[f] && lk->status[f] != LOOM_DNS_OK &&
		    lk->status[f] != LOOM_DNS_NODATA)
			s = (enum loom_dns_status)lk->status[f];

	return s;
}

static void
lookup_done_cb(struct loom_sul *sul)
{
	struct loom_dns_lookup *lk = loom_container_of(sul, struct loom_dns_lookup,
						       sul_done);
	struct loom_dns_addr out[2 * LOOM_DNS_MAX_ADDRS];
	struct loom_dns_result r;
	char reason[LOOM_DNS_MAX_TEXT + 40];
	unsigned int i, n = 0;

	memset(&r, 0, sizeof(r));
	r.status = lk->final != LOOM_DNS_OK ? lk->final : lookup_status(lk);
	if (r.status == LOOM_DNS_OK)
		/* interleave: v6, v4, v6, v4 ... */
		for (i = 0; i < LOOM_DNS_MAX_ADDRS; i++) {
			if (lk->want[FAM6] && lk->status[FAM6] == LOOM_DNS_OK &&
			    i < lk->count[FAM6]) {
				out[n].family = 6;
				memcpy(out[n++].addr, lk->addrs[FAM6][i], 16);
			}
			if (lk->want[FAM4] && lk->status[FAM4] == LOOM_DNS_OK &&
			    i < lk->count[FAM4]) {
				out[n].family = 4;
				memset(out[n].addr, 0, 16);
				memcpy(out[n++].addr, lk->addrs[FAM4][i], 4);
			}
		}
	r.name = lk->name;
	r.canonical = lk->canonical[0] ? lk->canonical : lk->name;
	r.addrs = out;
	r.count = n;
	r.ttl = r.status == LOOM_DNS_OK ? lk->ttl : 0;
	if (r.status == LOOM_DNS_OK)
		snprintf(reason, sizeof(reason), "ok");
	else
		snprintf(reason, sizeof(reason), "%s for %s",
			 loom_dns_status_name(r.status), lk->name);
	r.reason = reason;
	loom_log_debug("dns: %s: %s, %u address(es)", lk->name, reason, n);
	/* the handle is gone for the app once its callback runs */
	loom_dll2_remove(&lk->list);
	lk->cb(lk->ctx, lk->user, &r);
	lookup_free(lk);
}

static void
lookup_maybe_done(struct loom_dns_lookup *lk)
{
	int f;

	for (f = 0; f < 2; f++)
		if (lk->want[f] && !lk->have[f])
			return;
	loom_sul_schedule(lk->ctx, lk->tsi, &lk->sul_done, lookup_done_cb, 0);
}

static void
txn_finish(struct loom_dns_txn *t, enum loom_dns_status st)
{
	struct loom_dns_lookup *lk = t->lk;
	int f = t->fam;

	txn_drop_conn(t);
	t->state = TXN_DONE;
	t->status = (uint8_t)st;
	lk->have[f] = 1;
	lk->status[f] = (uint8_t)st;
	if (st == LOOM_DNS_OK) {
		lk->count[f] = t->count;
		memcpy(lk->addrs[f], t->addrs, sizeof(t->addrs));
		if (!lk->ttl || t->ttl < lk->ttl)
			lk->ttl = t->ttl;
		if (t->canonical[0] && !lk->canonical[0])
			memcpy(lk->canonical, t->canonical, sizeof(lk->canonical));
	}
	lookup_maybe_done(lk);
}

/* ---- one try against one server ---- */

static const struct loom_role_ops loom_role_ops_dns;

static int
txn_start_try(struct loom_dns_txn *t);

static void
txn_timeout_cb(struct loom_sul *sul);

/* this server failed (or did not answer): the next one, or give up */
static void
txn_next_server(struct loom_dns_txn *t)
{
	struct loom_dns *dns = t->lk->ctx->dns;

	for (;;) {
		txn_drop_conn(t);
		t->tcp = 0;
		if (++t->tries >= dns->count_servers * dns->attempts) {
			txn_finish(t, t->saw_fail ? LOOM_DNS_SERVFAIL :
				      (t->sock_fail ? LOOM_DNS_NOMEM : LOOM_DNS_TIMEOUT));
			return;
		}
		t->server = (t->server + 1) % dns->count_servers;
		if (!txn_start_try(t))
			return;
		t->sock_fail = 1;
	}
}

/* a socket for this try; 0 when the query is on its way */
static int
txn_start_try(struct loom_dns_txn *t)
{
	struct loom_dns_lookup *lk = t->lk;
	struct loom_dns *dns = lk->ctx->dns;
	struct loom_pt *pt = &lk->ctx->pt[lk->tsi];
	const struct loom_sockaddr *sa = &dns->servers[t->server];
	struct loom_conn *c;
	int fd, n;

	txn_drop_conn(t);
	loom_free(t->tcp_in);
	t->tcp_in = NULL;
	t->tcp_have = t->tcp_need = 0;
	/* a fresh random id per query; the kernel picks a fresh random port */
	if (loom__plat_random(&t->q.id, sizeof(t->q.id)))
		return -1;
	n = loom__dns_build_query(t->out + 2, sizeof(t->out) - 2, &t->q);
	if (n < 0)
		return -1;
	t->out[0] = (uint8_t)(n >> 8);
	t->out[1] = (uint8_t)n;
	t->out_len = (size_t)n + 2;
	t->out_sent = 0;

	fd = loom__plat_socket(loom__plat_sockaddr_family(sa),
			       t->tcp ? SOCK_STREAM : SOCK_DGRAM);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa->u.raw, (socklen_t)sa->len) &&
	    errno != EINPROGRESS) {
		loom__plat_close(fd);
		return -1;
	}
	c = loom__conn_create(pt, NULL, &loom_role_ops_dns, NULL, NULL);
	if (!c) {
		loom__plat_close(fd);
		return -1;
	}
	c->flags |= LCF_IS_SOCKET | (t->tcp ? 0 : LCF_UDP);
	c->role_data = t;
	if (loom__conn_insert_fd(c, fd, t->tcp ? LOOM_EV_WRITE : LOOM_EV_READ)) {
		loom__plat_close(fd);
		loom__conn_free(c);
		return -1;
	}
	t->conn = c;
	if (!t->tcp) {
		if (loom__plat_send(fd, t->out + 2, t->out_len - 2) != (int)t->out_len - 2)
			return -1;	/* the caller moves on; the conn goes with it */
		t->state = TXN_UDP_WAIT;
	} else
		t->state = TXN_TCP_CONNECT;
	loom_sul_schedule(lk->ctx, lk->tsi, &t->sul, txn_timeout_cb,
			  (loom_usec_t)dns->timeout_ms * LOOM_US_PER_MS);

	return 0;
}

static void
txn_timeout_cb(struct loom_sul *sul)
{
	struct loom_dns_txn *t = loom_container_of(sul, struct loom_dns_txn, sul);

	loom_log_debug("dns: %s: server %u did not answer in time", t->lk->name,
		       t->server);
	txn_next_server(t);
}

/* start (or restart after a CNAME) the transaction; 0, else it finished already */
static void
txn_begin(struct loom_dns_txn *t)
{
	struct loom_dns *dns = t->lk->ctx->dns;

	t->tries = 0;
	t->tcp = 0;
	if (!txn_start_try(t))
		return;
	(void)dns;
	t->sock_fail = 1;
	txn_next_server(t);
}

static uint32_t
cap_ttl(uint32_t ttl, uint32_t cap)
{
	return ttl > cap ? cap : ttl;
}

/* a checked answer from the server we asked */
static void
txn_answer(struct loom_dns_txn *t, const struct loom_dns_answer *a)
{
	struct loom_dns_lookup *lk = t->lk;
	struct loom_dns *dns = lk->ctx->dns;
	char text[LOOM_DNS_MAX_TEXT + 1];
	int cache = !(lk->flags & LOOM_DNS_NO_CACHE);

	if (a->tc && !t->tcp) {
		loom_log_info("dns: %s: answer truncated, asking again over TCP",
			      lk->name);
		txn_drop_conn(t);
		t->tcp = 1;
		if (txn_start_try(t))
			txn_next_server(t);
		return;
	}
	switch (a->rcode) {
	case LOOM_DNS_RCODE_NOERROR:
		break;
	case LOOM_DNS_RCODE_NXDOMAIN:
		if (cache && a->neg_ttl)
			loom__dns_cache_put(dns, lk->tsi, lk->qname, lk->qname_len,
					    t->q.qtype, LOOM_DNS_NXDOMAIN, NULL,
					    cap_ttl(a->neg_ttl, LOOM_DNS_MAX_NEG_TTL), NULL);
		txn_finish(t, LOOM_DNS_NXDOMAIN);
		return;
	default:
		/* SERVFAIL, REFUSED, NOTIMP, FORMERR: another server may do better */
		t->saw_fail = 1;
		txn_next_server(t);
		return;
	}
	if (a->ttl < t->ttl)
		t->ttl = a->ttl;
	if (!a->count && a->cname_hops) {
		/* the server stopped at a CNAME: ask for its target ourselves */
		t->cname_hops = (uint8_t)(t->cname_hops + a->cname_hops);
		if (t->cname_hops > LOOM_DNS_MAX_CNAME_HOPS) {
			txn_finish(t, LOOM_DNS_SERVFAIL);
			return;
		}
		memcpy(t->q.qname, a->target, a->target_len);
		t->q.qname_len = a->target_len;
		txn_begin(t);
		return;
	}
	if (!a->count) {
		if (cache && a->neg_ttl)
			loom__dns_cache_put(dns, lk->tsi, lk->qname, lk->qname_len,
					    t->q.qtype, LOOM_DNS_NODATA, NULL,
					    cap_ttl(a->neg_ttl, LOOM_DNS_MAX_NEG_TTL), NULL);
		txn_finish(t, LOOM_DNS_NODATA);
		return;
	}
	t->count = a->count;
	memcpy(t->addrs, a->addrs, sizeof(t->addrs));
	if ((t->cname_hops || a->cname_hops) &&
	    loom__dns_name_to_text(a->target, a->target_len, text, sizeof(text)) > 0)
		memcpy(t->canonical, text, sizeof(text));
	if (cache) {
		struct loom_dns_answer c = *a;

		c.count = t->count;
		loom__dns_cache_put(dns, lk->tsi, lk->qname, lk->qname_len, t->q.qtype,
				    LOOM_DNS_OK, &c, cap_ttl(t->ttl, LOOM_DNS_MAX_TTL),
				    t->canonical[0] ? t->canonical : NULL);
	}
	txn_finish(t, LOOM_DNS_OK);
}

static int
txn_message(struct loom_dns_txn *t, const uint8_t *msg, size_t len)
{
	struct loom_dns_answer a;
	int r = loom__dns_parse_answer(msg, len, &t->q, &a);

	if (r == LOOM_DNS_PARSE_MISMATCH) {
		loom_log_info("dns: %s: ignored an answer that does not match the "
			      "question", t->lk->name);
		return -1;
	}
	if (r) {
		loom_log_info("dns: %s: ignored a malformed answer", t->lk->name);
		return -1;
	}
	txn_answer(t, &a);

	return 0;
}

/* same address and port as the server we asked */
static int
from_server(const struct loom_sockaddr *from, const struct loom_sockaddr *srv)
{
	const struct sockaddr *f = (const struct sockaddr *)from->u.raw;
	const struct sockaddr *s = (const struct sockaddr *)srv->u.raw;

	if (f->sa_family != s->sa_family)
		return 0;
	if (f->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)from->u.raw;
		const struct sockaddr_in *b = (const struct sockaddr_in *)srv->u.raw;

		return a->sin_port == b->sin_port &&
		       !memcmp(&a->sin_addr, &b->sin_addr, sizeof(a->sin_addr));
	}
	if (f->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from->u.raw;
		const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)srv->u.raw;

		return a->sin6_port == b->sin6_port &&
		       !memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr));
	}

	return 0;
}

/* ---- the private role of the query sockets ---- */

static int
dns_udp_rx(struct loom_pt *pt, struct loom_dns_txn *t)
{
	struct loom_dns *dns = t->lk->ctx->dns;
	unsigned int gen = t->conn_gen;
	struct loom_sockaddr from;
	int n, trunc, budget = 8;

	/* a few datagrams per wakeup: spoofed noise must not starve the real one */
	while (budget-- && t->conn && gen == t->conn_gen) {
		n = loom__plat_recvfrom(t->conn->fd, pt->serv_buf, pt->serv_buf_size,
					&from, &trunc);
		if (n < 0) {
			if (loom__plat_errno_is_again(errno))
				break;
			/* ICMP unreachable on the connected socket: nobody there */
			loom_log_debug("dns: %s: server %u: errno %d", t->lk->name,
				       t->server, errno);
			txn_next_server(t);
			break;
		}
		if (!from_server(&from, &dns->servers[t->server])) {
			loom_log_info("dns: %s: ignored a datagram from another address",
				      t->lk->name);
			continue;
		}
		if (trunc) {
			/* bigger than our buffer: the whole answer comes over TCP */
			struct loom_dns_answer a;

			if (loom__dns_parse_answer(pt->serv_buf, (size_t)n, &t->q, &a) ==
			    LOOM_DNS_PARSE_MISMATCH)
				continue;
			memset(&a, 0, sizeof(a));
			a.tc = 1;
			txn_answer(t, &a);
			break;
		}
		txn_message(t, pt->serv_buf, (size_t)n);
	}

	return gen == t->conn_gen ? LOOM_HP_OK : LOOM_HP_CLOSED;
}

static int
dns_tcp_io(struct loom_dns_txn *t, int writable)
{
	struct loom_conn *c = t->conn;
	unsigned int gen = t->conn_gen;
	int n;

	if (t->state == TXN_TCP_CONNECT) {
		if (loom__plat_sock_error(c->fd)) {
			txn_next_server(t);
			return LOOM_HP_CLOSED;
		}
		if (!writable)
			return LOOM_HP_OK;
		t->state = TXN_TCP_SEND;
	}
	if (t->state == TXN_TCP_SEND) {
		n = loom__plat_send(c->fd, t->out + t->out_sent, t->out_len - t->out_sent);
		if (n < 0 && !loom__plat_errno_is_again(errno)) {
			txn_next_server(t);
			return LOOM_HP_CLOSED;
		}
		if (n > 0)
			t->out_sent += (size_t)n;
		if (t->out_sent < t->out_len)
			return LOOM_HP_OK;
		t->state = TXN_TCP_READ;
		loom__io(c, LOOM_EV_STOP | LOOM_EV_WRITE);
		loom__io(c, LOOM_EV_START | LOOM_EV_READ);
		return LOOM_HP_OK;
	}
	if (t->state != TXN_TCP_READ)
		return LOOM_HP_OK;
	if (!t->tcp_in) {
		/* the two-byte length first */
		n = loom__plat_recv(c->fd, t->tcp_len + t->tcp_have, 2 - t->tcp_have);
		if (n <= 0)
			goto rx_fail;
		t->tcp_have += (size_t)n;
		if (t->tcp_have < 2)
			return LOOM_HP_OK;
		t->tcp_need = ((size_t)t->tcp_len[0] << 8) | t->tcp_len[1];
		if (t->tcp_need < LOOM_DNS_HDR_LEN) {
			txn_next_server(t);
			return LOOM_HP_CLOSED;
		}
		t->tcp_in = loom_malloc(t->tcp_need, "dns tcp answer");
		if (!t->tcp_in) {
			txn_next_server(t);
			return LOOM_HP_CLOSED;
		}
		t->tcp_have = 0;
	}
	n = loom__plat_recv(c->fd, t->tcp_in + t->tcp_have, t->tcp_need - t->tcp_have);
	if (n <= 0)
		goto rx_fail;
	t->tcp_have += (size_t)n;
	if (t->tcp_have < t->tcp_need)
		return LOOM_HP_OK;
	if (txn_message(t, t->tcp_in, t->tcp_need))
		txn_next_server(t);	/* one question, one answer on TCP */

	return gen == t->conn_gen ? LOOM_HP_OK : LOOM_HP_CLOSED;

rx_fail:
	if (n < 0 && loom__plat_errno_is_again(errno))
		return LOOM_HP_OK;
	txn_next_server(t);

	return LOOM_HP_CLOSED;
}

static int
dns_handle_pollin(struct loom_pt *pt, struct loom_conn *conn)
{
	struct loom_dns_txn *t = conn->role_data;

	if (!t)
		return LOOM_HP_OK;
	if (!t->tcp)
		return dns_udp_rx(pt, t);

	return dns_tcp_io(t, 0);
}

static int
dns_handle_pollout(struct loom_pt *pt, struct loom_conn *conn)
{
	struct loom_dns_txn *t = conn->role_data;

	if (!t || !t->tcp) {
		loom__io(conn, LOOM_EV_STOP | LOOM_EV_WRITE);
		return LOOM_HP_OK;
	}

	return dns_tcp_io(t, 1);
}

/* the conn goes (context destroy closes every fd): the txn forgets it */
static void
dns_destroy_role(struct loom_conn *conn)
{
	struct loom_dns_txn *t = conn->role_data;

	if (!t)
		return;
	conn->role_data = NULL;
	t->conn = NULL;
	t->conn_gen++;
	loom_sul_cancel(&t->sul);
}

static const struct loom_role_ops loom_role_ops_dns = {
	.name = "dns",
	.handle_pollin = dns_handle_pollin,
	.handle_pollout = dns_handle_pollout,
	.destroy_role = dns_destroy_role,
};

/* ---- the lookup ---- */

static int
fam_qtype(int f)
{
	return f == FAM6 ? LOOM_DNS_T_AAAA : LOOM_DNS_T_A;
}

/* numeric, hosts file or localhost: known without asking; 1 if so */
static int
lookup_local(struct loom_dns_lookup *lk)
{
	struct loom_context *ctx = lk->ctx;
	uint8_t fams[2 * LOOM_DNS_MAX_ADDRS], addrs[2 * LOOM_DNS_MAX_ADDRS][16];
	uint8_t a[16];
	int n, k, fam, found = 0;
	size_t nl = strlen(lk->name);

	fam = loom__plat_ip_parse(lk->name, a);
	if (fam) {
		fams[0] = (uint8_t)fam;
		memcpy(addrs[0], a, 16);
		n = 1;
	} else if (!(lk->flags & LOOM_DNS_NO_HOSTS) &&
		   (n = loom__hosts_lookup(ctx, lk->name, 2 * LOOM_DNS_MAX_ADDRS, fams,
					   addrs)) > 0) {
		;
	} else if (!strcmp(lk->name, "localhost") ||
		   (nl > 10 && !strcmp(lk->name + nl - 10, ".localhost"))) {
		/* RFC 6761 6.3: never asked of a server */
		static const uint8_t lo6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
						 0, 0, 0, 1 };
		static const uint8_t lo4[16] = { 127, 0, 0, 1 };

		fams[0] = 6;
		memcpy(addrs[0], lo6, 16);
		fams[1] = 4;
		memcpy(addrs[1], lo4, 16);
		n = 2;
	} else
		return 0;

	for (k = 0; k < n; k++) {
		int f = fams[k] == 6 ? FAM6 : FAM4;

		if (!lk->want[f] || lk->count[f] >= LOOM_DNS_MAX_ADDRS)
			continue;
		memcpy(lk->addrs[f][lk->count[f]++], addrs[k], 16);
		found++;
	}
	for (k = 0; k < 2; k++) {
		lk->have[k] = 1;
		lk->status[k] = lk->count[k] ? LOOM_DNS_OK : LOOM_DNS_NODATA;
	}
	lk->ttl = 0;
	if (!found)
		lk->final = LOOM_DNS_NODATA;

	return 1;
}

static void
lookup_from_cache(struct loom_dns_lookup *lk, int f)
{
	struct loom_dns_cache_entry *e;

	e = loom__dns_cache_find(lk->ctx->dns, lk->tsi, lk->qname, lk->qname_len,
				 (uint16_t)fam_qtype(f));
	if (!e)
		return;
	lk->have[f] = 1;
	lk->status[f] = e->status;
	lk->count[f] = e->count;
	memcpy(lk->addrs[f], e->addrs, sizeof(e->addrs));
	if (e->canonical[0] && !lk->canonical[0])
		memcpy(lk->canonical, e->canonical, sizeof(lk->canonical));
	{
		int64_t left = (e->expires - loom__plat_now_us()) / LOOM_US_PER_SEC;
		uint32_t ttl = left > 0 ? (uint32_t)left : 0;

		if (e->status == LOOM_DNS_OK && (!lk->ttl || ttl < lk->ttl))
			lk->ttl = ttl;
	}
}

static int
lookup_start_txn(struct loom_dns_lookup *lk, int f)
{
	struct loom_dns_txn *t = loom_zalloc(sizeof(*t), "dns txn");

	if (!t)
		return LOOM_ENOMEM;
	t->lk = lk;
	t->fam = (uint8_t)f;
	t->ttl = 0xffffffffu;
	memcpy(t->q.qname, lk->qname, lk->qname_len);
	t->q.qname_len = lk->qname_len;
	t->q.qtype = (uint16_t)fam_qtype(f);
	t->server = 0;	/* resolv.conf order: the first server is preferred */
	lk->txn[f] = t;

	return 0;
}

struct loom_dns_lookup *
loom_dns_lookup(struct loom_context *ctx, int tsi, const char *name,
		unsigned int flags, loom_dns_cb cb, void *user)
{
	struct loom_dns_lookup *lk;
	struct loom_dns *dns;
	size_t nl;
	int f, r;

	if (!ctx || !ctx->dns || !name || !cb || tsi < 0 ||
	    (unsigned int)tsi >= ctx->count_threads)
		return NULL;
	dns = ctx->dns;
	nl = strlen(name);
	lk = loom_zalloc(sizeof(*lk), "dns lookup");
	if (!lk)
		return NULL;
	lk->ctx = ctx;
	lk->tsi = tsi;
	lk->cb = cb;
	lk->user = user;
	lk->flags = flags;
	if (!(flags & (LOOM_DNS_IPV4 | LOOM_DNS_IPV6)))
		flags |= LOOM_DNS_IPV4 | LOOM_DNS_IPV6;
	lk->want[FAM6] = !!(flags & LOOM_DNS_IPV6);
	lk->want[FAM4] = !!(flags & LOOM_DNS_IPV4);
	loom_dll2_add_tail(&lk->list, &dns->pt[tsi].lookups);
	if (nl >= sizeof(lk->name)) {
		snprintf(lk->name, sizeof(lk->name), "%.*s...", 40, name);
		lk->final = LOOM_DNS_BAD_NAME;
		goto done;
	}
	memcpy(lk->name, name, nl + 1);
	if (lookup_local(lk))
		goto done;
	r = loom__dns_name_from_text(lk->qname, sizeof(lk->qname), name);
	if (r < 0) {
		lk->final = LOOM_DNS_BAD_NAME;
		goto done;
	}
	lk->qname_len = (uint16_t)r;
	if (!loom__dns_enabled(ctx)) {
		lk->final = LOOM_DNS_NO_SERVER;
		goto done;
	}
	for (f = 0; f < 2; f++) {
		if (!lk->want[f])
			continue;
		if (!(lk->flags & LOOM_DNS_NO_CACHE))
			lookup_from_cache(lk, f);
		if (!lk->have[f] && lookup_start_txn(lk, f)) {
			lookup_free(lk);
			return NULL;
		}
	}
	/* both set up before either starts: one may finish at once */
	for (f = 0; f < 2; f++)
		if (lk->txn[f])
			txn_begin(lk->txn[f]);
	if (!lk->txn[0] && !lk->txn[1])
		goto done;

	return lk;

done:
	loom_sul_schedule(ctx, tsi, &lk->sul_done, lookup_done_cb, 0);

	return lk;
}

void
loom_dns_lookup_cancel(struct loom_dns_lookup *lk)
{
	if (lk)
		lookup_free(lk);
}

/* ---- the context's resolver ---- */

static char *
env_dup(const char *a, const char *b)
{
	const char *v = getenv(a);

	if ((!v || !*v) && b)
		v = getenv(b);

	return v && *v ? loom__strdup(v, "proxy env") : NULL;
}

int
loom__dns_init(struct loom_context *ctx, const struct loom_context_info *info)
{
	struct loom_dns *dns = loom_zalloc(sizeof(*dns), "dns");
	unsigned int n;

	if (!dns)
		return LOOM_ENOMEM;
	ctx->dns = dns;
	dns->timeout_ms = info->dns_timeout_ms;
	dns->attempts = info->dns_attempts;
	dns->cache_max = info->dns_cache_entries ? info->dns_cache_entries :
						   LOOM_DNS_DEF_CACHE;
	if (info->nameservers) {
		for (n = 0; info->nameservers[n]; n++) {
			if (dns->count_servers >= LOOM_DNS_MAX_SERVERS) {
				loom_log_warn("dns: only %d nameservers are used",
					      LOOM_DNS_MAX_SERVERS);
				break;
			}
			if (loom__dns_parse_server(&dns->servers[dns->count_servers],
						   info->nameservers[n])) {
				loom_log_err("dns: bad nameserver '%s'",
					     info->nameservers[n]);
				return LOOM_EINVAL;
			}
			dns->count_servers++;
		}
		dns->off = !dns->count_servers;
	} else {
		const char *path = info->resolv_conf;

		/* an override for tests and tools, refused to setuid programs */
		if (!path && getuid() == geteuid() && getgid() == getegid())
			path = getenv("LOOM_RESOLV_CONF");
		if (!path)
			path = "/etc/resolv.conf";
		if (loom__dns_load_resolv_conf(dns, path))
			loom_log_notice("dns: cannot read %s: names come from the hosts "
					"file only", path);
	}
	if (!dns->timeout_ms)
		dns->timeout_ms = LOOM_DNS_DEF_TIMEOUT_MS;
	if (!dns->attempts)
		dns->attempts = LOOM_DNS_DEF_ATTEMPTS;
	if (info->proxy_from_env) {
		dns->env_http_proxy = env_dup("http_proxy", NULL);
		dns->env_https_proxy = env_dup("https_proxy", "HTTPS_PROXY");
		dns->env_all_proxy = env_dup("all_proxy", "ALL_PROXY");
		dns->env_no_proxy = env_dup("no_proxy", "NO_PROXY");
	}
	loom_log_info("dns: %u nameserver(s), timeout %u ms x %u", dns->count_servers,
		      dns->timeout_ms, dns->attempts);

	return 0;
}

void
loom__dns_destroy(struct loom_context *ctx)
{
	struct loom_dns *dns = ctx->dns;
	unsigned int n;

	if (!dns)
		return;
	for (n = 0; n < ctx->count_threads; n++) {
		/* lookups the app still has: their callback comes once, cancelled */
		while (dns->pt[n].lookups.head) {
			struct loom_dns_lookup *lk = loom_container_of(
				dns->pt[n].lookups.head, struct loom_dns_lookup, list);

			lk->final = LOOM_DNS_CANCELLED;
			txn_free(lk->txn[0]);
			txn_free(lk->txn[1]);
			lk->txn[0] = lk->txn[1] = NULL;
			lookup_done_cb(&lk->sul_done);
		}
		loom__dns_cache_destroy(dns, (int)n);
	}
	loom_free(dns->env_http_proxy);
	loom_free(dns->env_https_proxy);
	loom_free(dns->env_all_proxy);
	loom_free(dns->env_no_proxy);
	loom_free(dns);
	ctx->dns = NULL;
}
