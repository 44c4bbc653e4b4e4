/*
 * private-lwip.h: lwIP's socket API for the lwIP platform (LOOM_PLAT=lwip) and for
 * lib/net's files, which reach it through plat/private-sockets.h: the BSD names
 * they call map to lwIP's own (lwip_bind ...), so one set of sources serves both.
 */
#ifndef LOOM_PRIVATE_LWIP_H
#define LOOM_PRIVATE_LWIP_H

#include <lwip/opt.h>
#include <lwip/sockets.h>
#include <lwip/sys.h>
#include <lwip/inet.h>

#if !LWIP_SOCKET
#error "LOOM_PLAT=lwip needs lwIP's socket API (LWIP_SOCKET 1)"
#endif
#if !LWIP_SOCKET_POLL
#error "LOOM_PLAT=lwip needs lwip_poll() (LWIP_SOCKET_POLL 1)"
#endif

/* lwIP has no Unix-domain sockets: a family no socket of it ever has */
#if !defined(AF_UNIX)
#define AF_UNIX 0x7ffe
#endif

/* lwIP's own headers (a device's port) have no SOMAXCONN; lwip_listen() caps a
 * backlog at 255 */
#if !defined(SOMAXCONN)
#define SOMAXCONN 255
#endif

/* the BSD calls lib/net makes, on lwIP's sockets */
#undef socket
#undef bind
#undef listen
#undef connect
#undef setsockopt
#undef getsockopt
#undef getsockname
#undef getpeername
#undef recv
#define socket(d, t, p)			lwip_socket(d, t, p)
#define bind(s, a, l)			lwip_bind(s, a, l)
#define listen(s, b)			lwip_listen(s, b)
#define connect(s, a, l)		lwip_connect(s, a, l)
#define setsockopt(s, lv, o, v, l)	lwip_setsockopt(s, lv, o, v, l)
#define getsockopt(s, lv, o, v, l)	lwip_getsockopt(s, lv, o, v, l)
#define getsockname(s, a, l)		lwip_getsockname(s, a, l)
#define getpeername(s, a, l)		lwip_getpeername(s, a, l)
#define recv(s, b, n, f)		lwip_recv(s, b, n, f)

#endif
