/*
 * private-sockets.h: the BSD socket declarations lib/net uses, from the platform:
 * the OS's headers on unix, lwIP's (with the BSD names mapped to lwip_*) on lwip.
 * Include it after every system header of the file.
 */
#ifndef LOOM_PRIVATE_SOCKETS_H
#define LOOM_PRIVATE_SOCKETS_H

#include "loom/loom-config.h"

#if defined(LOOM_PLAT_LWIP)
#include "plat/lwip/private-lwip.h"
#else
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#endif

#endif
