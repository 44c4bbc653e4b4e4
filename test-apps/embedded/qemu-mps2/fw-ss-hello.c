/*
 * fw-ss-hello.c: the SS hello-world as firmware: a Cortex-M SSPC client on QEMU's
 * mps2-an386 whose only link is UART0, carrying the transport mux to loom-ssproxy
 * on the host (the proxy holds the policy and fetches the page). The stream type
 * "hello" is opened as minimal-ss-hello-world opens it; the payload is counted
 * and hashed (FNV-1a, 32 bits), counting afresh at each message start (after a
 * link loss the stream retries and the page comes again from its start),
 * and checked against what the command line says
 * (QEMU's -semihosting-config ...,arg=LEN,arg=HASH). One result line goes out by
 * semihosting, and the exit code says it: 0 all matched, 1 wrong length or hash,
 * 2 the stream failed, 3 no result within the firmware's own time limit.
 */
#include <loom.h>
#include <loom/baremetal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"

#define FW_LIMIT_US	(60 * 1000000ll)

struct hello {
	struct loom_ss_handle *ss;	/* SS keeps the handle here (offset 0) */
};

static size_t got;
static uint32_t fnv = 2166136261u;
static int final_state, done;
static unsigned int disconnects, starts;
static char ctype[64];

static void
fw_log(int level, const char *line)
{
	(void)level;
	fw_puts(line);
	fw_puts("\n");
}

static int
hello_rx(void *userobj, const uint8_t *buf, size_t len, int flags)
{
	size_t n;

	(void)userobj;
	if (flags & LOOM_SS_FLAG_SOM) {	/* the response (again) from its start */
		got = 0;
		fnv = 2166136261u;
		starts++;
	}
	for (n = 0; n < len; n++)
		fnv = (fnv ^ buf[n]) * 16777619u;
	got += len;

	return LOOM_SSR_OK;
}

static int
hello_state(void *userobj, void *h_src, int state, unsigned int ack)
{
	struct hello *h = userobj;
	const void *ct;
	size_t ctlen;
	char line[80];

	(void)h_src;
	snprintf(line, sizeof(line), "state %s (%u)\n", loom_ss_state_name(state), ack);
	fw_puts(line);
	switch (state) {
	case LOOM_SSS_DISCONNECTED:
		disconnects++;
		break;
	case LOOM_SSS_QOS_ACK_REMOTE:
		if (!loom_ss_get_metadata(h->ss, "ctype", &ct, &ctlen)) {
			if (ctlen >= sizeof(ctype))
				ctlen = sizeof(ctype) - 1;
			memcpy(ctype, ct, ctlen);
			ctype[ctlen] = '\0';
		}
		/* fallthrough */
	case LOOM_SSS_QOS_NACK_REMOTE:
	case LOOM_SSS_ALL_RETRIES_FAILED:
		final_state = state;
		done = 1;
		break;
	}

	return LOOM_SSR_OK;
}

int
main(void)
{
	struct loom_context_info info;
	struct loom_ss_info ssi;
	struct loom_ss_handle *h = NULL;
	struct loom_context *ctx;
	unsigned long want_len = 0, want_hash = 0;
	const char *cl = fw_cmdline(), *p;
	char *end;
	char line[200];
	int64_t t0;
	int rc;

	/* "fw-ss-hello LEN HASH": skip the program's name */
	p = strchr(cl, ' ');
	if (p) {
		want_len = strtoul(p, &end, 10);
		want_hash = strtoul(end, NULL, 16);
	}
	fw_board_init();
	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_WARN | LOOM_LL_NOTICE, fw_log);
	snprintf(line, sizeof(line), "firmware: SSPC over UART0 (stream %d), want %lu "
		 "bytes, fnv1a32 %08lx\n", fw_uart_stream(), want_len, want_hash);
	fw_puts(line);

	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	if (!ctx) {
		fw_puts("firmware: no context\n");
		return 2;
	}
	memset(&ssi, 0, sizeof(ssi));
	ssi.streamtype = "hello";
	ssi.user_alloc = sizeof(struct hello);
	ssi.rx = hello_rx;
	ssi.state = hello_state;
	if (loom_ss_create(ctx, 0, &ssi, NULL, &h)) {
		fw_puts("firmware: loom_ss_create failed\n");
		return 2;
	}
	t0 = fw_now_us();
	while (!done && fw_now_us() - t0 < FW_LIMIT_US)
		loom_service(ctx, 0);

	if (!done)
		rc = 3;
	else if (final_state != LOOM_SSS_QOS_ACK_REMOTE)
		rc = 2;
	else
		rc = got == want_len && fnv == (uint32_t)want_hash ? 0 : 1;
	snprintf(line, sizeof(line), "result: %s, %lu bytes, fnv1a32 %08lx, ctype '%s', "
		 "%u starts, %u disconnects, %lu ms: %s\n",
		 done ? loom_ss_state_name(final_state) : "no result",
		 (unsigned long)got, (unsigned long)fnv, ctype, starts, disconnects,
		 (unsigned long)((fw_now_us() - t0) / 1000),
		 rc == 0 ? "ok" : rc == 1 ? "MISMATCH" : rc == 2 ? "FAILED" : "TIMEOUT");
	fw_puts(line);
	loom_ss_destroy(&h);
	loom_context_destroy(ctx);

	return rc;
}
