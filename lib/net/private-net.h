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

#endif
