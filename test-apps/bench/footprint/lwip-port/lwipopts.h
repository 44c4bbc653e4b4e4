/*
 * lwipopts.h: a generic RTOS lwIP configuration for cross-building Loom's lwIP
 * platform (LOOM_PLAT=lwip) for a device with Debian's lwIP 2.1 headers, as
 * test-apps/bench/footprint/run.sh does. lwIP's own socket types and constants
 * (no OS headers); sockets, poll and IPv4+IPv6. A real port brings its own.
 */
#ifndef LOOM_FP_LWIPOPTS_H
#define LOOM_FP_LWIPOPTS_H

#define NO_SYS				0
#define LWIP_SOCKET			1
#define LWIP_NETCONN			1
#define LWIP_SOCKET_POLL		1
#define LWIP_COMPAT_SOCKETS		0
#define LWIP_POSIX_SOCKETS_IO_NAMES	0
#define LWIP_SOCKET_OFFSET		0
#define MEMP_NUM_NETCONN		16
#define LWIP_IPV4			1
#define LWIP_IPV6			1
#define LWIP_TCP			1
#define LWIP_UDP			1
#define LWIP_TCP_KEEPALIVE		1
#define SO_REUSE			1
#define LWIP_TCPIP_CORE_LOCKING		1
#define LWIP_NETIF_LOOPBACK		1
#define MEM_ALIGNMENT			4

#endif
