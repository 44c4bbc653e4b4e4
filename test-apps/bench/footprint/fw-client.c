/*
 * fw-client.c: the smallest firmware that uses Loom as a device would: one
 * context, a vhost that does not listen, and one client connection driven from
 * the main loop. Built by run.sh for Cortex-M4F and riscv32 (-Os, gc-sections)
 * to measure the code Loom puts in a firmware. FW_WS: a WebSocket client (with
 * FW_TLS over TLS); FW_SSPC: one Secure Stream served by a proxy (the SSPC-only
 * library; on LOOM_PLAT=baremetal over the transport mux on a UART, the board's
 * clock and UART being stand-ins here); else an HTTP/1.1 GET. Never run: lwIP
 * and the C library's system calls are left unresolved in the measurement link.
 */
#include <loom.h>
#if defined(LOOM_PLAT_BAREMETAL)
#include <loom/baremetal.h>
#endif

#include <string.h>

static int done;

#if defined(FW_SSPC)
struct fw_ss {
	struct loom_ss_handle *h;
};

static int
ss_rx(void *userobj, const uint8_t *buf, size_t len, int flags)
{
	(void)userobj;
	(void)buf;
	(void)len;
	(void)flags;
	done = 1;
	return LOOM_SSR_OK;
}

static int
ss_tx(void *userobj, uint8_t *buf, size_t *len, int *flags)
{
	(void)userobj;
	(void)buf;
	(void)flags;
	*len = 0;
	return LOOM_SSR_TX_DONT_SEND;
}

static int
ss_state(void *userobj, void *h_src, int state, unsigned int ack)
{
	(void)userobj;
	(void)h_src;
	(void)ack;
	if (state == LOOM_SSS_ALL_RETRIES_FAILED)
		done = 2;
	return LOOM_SSR_OK;
}
#endif

#if !defined(FW_SSPC)
static int
cb(struct loom_conn *conn, enum loom_callback_reason reason, void *user, void *in,
   size_t len)
{
#if defined(FW_WS)
	static uint8_t buf[LOOM_PRE + 16];
#endif

	(void)conn;
	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
#if defined(FW_WS)
	case LOOM_CB_CLIENT_ESTABLISHED:
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_CLIENT_WRITEABLE:
		memcpy(buf + LOOM_PRE, "hello", 5);
		return loom_write(conn, buf + LOOM_PRE, 5, LOOM_WRITE_TEXT) < 0;
	case LOOM_CB_CLIENT_RECEIVE:
		done = 1;
		return -1;
#else
	case LOOM_CB_RECEIVE_CLIENT_HTTP:
		break;
	case LOOM_CB_COMPLETED_CLIENT_HTTP:
		done = 1;
		break;
#endif
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		done = 2;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "fw", cb, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};
#endif

#if defined(FW_SSPC)
#if defined(LOOM_PLAT_BAREMETAL)
/* the board: a free-running counter and a UART's data and status registers */
#define FW_REG(a)	(*(volatile uint32_t *)(a))

static int64_t
fw_now_us(void *opaque)
{
	(void)opaque;
	return (int64_t)FW_REG(0x40000004u);
}

static int
fw_uart_read(void *priv, uint8_t *buf, size_t len)
{
	size_t n = 0;

	(void)priv;
	while (n < len && (FW_REG(0x40004004u) & 2u))
		buf[n++] = (uint8_t)FW_REG(0x40004000u);
	return (int)n;
}

static int
fw_uart_write(void *priv, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	(void)priv;
	while (n < len && !(FW_REG(0x40004004u) & 1u))
		FW_REG(0x40004000u) = buf[n++];
	return (int)n;
}

static unsigned int
fw_uart_ready(void *priv)
{
	uint32_t st = FW_REG(0x40004004u);

	(void)priv;
	return ((st & 2u) ? LOOM_BM_READABLE : 0u) | ((st & 1u) ? 0u : LOOM_BM_WRITABLE);
}

static const struct loom_bm_stream_ops fw_uart = {
	fw_uart_read, fw_uart_write, fw_uart_ready, NULL
};
static const struct loom_plat_hooks fw_hooks = { fw_now_us, NULL, NULL, NULL };
#endif

int
main(void)
{
	struct loom_context_info info;
	struct loom_ss_info ssi;
	struct loom_context *ctx;
	struct loom_ss_handle *h = NULL;

#if defined(LOOM_PLAT_BAREMETAL)
	/* the UART is the first stream: the SSPC default proxy "mux:fd:1" */
	if (loom_plat_set_hooks(&fw_hooks) || loom_bm_stream_add(&fw_uart, NULL) != 1)
		return 1;
#endif
	memset(&info, 0, sizeof(info));
	info.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	ctx = loom_create_context(&info);
	if (!ctx)
		return 1;
	memset(&ssi, 0, sizeof(ssi));
	ssi.streamtype = "fw";
	ssi.user_alloc = sizeof(struct fw_ss);
	ssi.rx = ss_rx;
	ssi.tx = ss_tx;
	ssi.state = ss_state;
	if (loom_ss_create(ctx, 0, &ssi, NULL, &h))
		return 1;
	while (!done)
		loom_service(ctx, 100);
	loom_ss_destroy(&h);
	loom_context_destroy(ctx);

	return done != 1;
}
#else
int
main(void)
{
	struct loom_client_connect_info ci;
	struct loom_context_info info;
	struct loom_vhost_info vi;
	struct loom_context *ctx;
	struct loom_vhost *vh;

	memset(&info, 0, sizeof(info));
	info.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	ctx = loom_create_context(&info);
	if (!ctx)
		return 1;
	memset(&vi, 0, sizeof(vi));
	vi.protocols = protocols;
	vi.options = LOOM_VHOST_OPT_NO_LISTEN;
	vh = loom_create_vhost(ctx, &vi);
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.vhost = vh;
	ci.address = "192.0.2.1";
	ci.port = 80;
	ci.path = "/";
#if defined(FW_WS)
	ci.flags = LOOM_CONNECT_WS;
#if defined(FW_TLS)
	{
		static const struct loom_tls_client_info tci;	/* verify on */

		ci.port = 443;
		ci.tls = &tci;
	}
#endif
#else
	ci.method = "GET";
#endif
	if (!vh || !loom_client_connect(&ci))
		return 1;
	while (!done)
		loom_service(ctx, 100);
	loom_context_destroy(ctx);

	return done != 1;
}
#endif
