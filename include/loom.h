/*
 * loom.h: the one header users include. It pulls in the public API by topic from
 * include/loom/; everything not declared here is private to the library.
 */
#ifndef LOOM_H
#define LOOM_H

/**
 * \mainpage Loom
 *
 * Loom is a portable C99 networking library: raw sockets, HTTP/1.1, HTTP/2, WebSocket
 * and MQTT, client and server, on its own event loop or inside another one.
 *
 * Start with loom_create_context(), add a listener with loom_create_vhost() or a
 * client with loom_client_connect(), and call loom_service() or loom_run().
 */

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#include "loom/loom-config.h"

#ifdef __cplusplus
extern "C" {
#endif

#include "loom/errors.h"
#include "loom/alloc.h"
#include "loom/fault.h"
#include "loom/log.h"
#include "loom/dll2.h"
#include "loom/buflist.h"
#include "loom/protocols.h"
#include "loom/context.h"
#include "loom/evlib.h"
#include "loom/sul.h"
#include "loom/conn.h"
#include "loom/client.h"
#include "loom/dns.h"
#include "loom/adopt.h"
#include "loom/tls.h"
#include "loom/http.h"
#include "loom/url.h"
#include "loom/json.h"
#include "loom/form.h"
#include "loom/ws.h"
#include "loom/h2.h"
#include "loom/mqtt.h"
#include "loom/ss.h"
#include "loom/ss-proxy.h"

#ifdef __cplusplus
}
#endif

#endif /* LOOM_H */
