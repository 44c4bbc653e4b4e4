/*
 * board.c: board support for QEMU's mps2-an385/an386: ARM semihosting calls,
 * the CMSDK APB UART0 (polled) as a Loom bare-metal stream, the CMSDK APB timer0
 * (25 MHz, counting down) as the microsecond clock, and the heap for newlib.
 */
#include <loom.h>
#include <loom/baremetal.h>

#include <errno.h>
#include <string.h>

#include "board.h"

#define REG(a)		(*(volatile uint32_t *)(a))

/* CMSDK APB UART0 */
#define UART0		0x40004000u
#define UART_DATA	REG(UART0 + 0x00)
#define UART_STATE	REG(UART0 + 0x04)	/* 0: TX full, 1: RX full */
#define UART_CTRL	REG(UART0 + 0x08)	/* 0: TX enable, 1: RX enable */
#define UART_BAUDDIV	REG(UART0 + 0x10)

/* CMSDK APB timer0, clocked by the 25 MHz peripheral clock */
#define TIMER0		0x40000000u
#define TIMER_CTRL	REG(TIMER0 + 0x00)
#define TIMER_VALUE	REG(TIMER0 + 0x04)
#define TIMER_RELOAD	REG(TIMER0 + 0x08)
#define TIMER_MHZ	25u

/* ---- semihosting: BKPT 0xAB with the operation in r0, its argument in r1 ---- */

#define SYS_WRITE0		0x04
#define SYS_GET_CMDLINE		0x15
#define SYS_EXIT		0x18
#define SYS_EXIT_EXTENDED	0x20
#define ADP_STOPPED_APP_EXIT	0x20026u

static uint32_t
semihost(uint32_t op, const void *arg)
{
	register uint32_t r0 __asm__("r0") = op;
	register const void *r1 __asm__("r1") = arg;

	__asm__ volatile ("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");

	return r0;
}

void
fw_puts(const char *s)
{
	semihost(SYS_WRITE0, s);
}

const char *
fw_cmdline(void)
{
	static char buf[256];
	struct { char *buf; uint32_t len; } blk = { buf, sizeof(buf) - 1 };

	if (semihost(SYS_GET_CMDLINE, &blk))
		buf[0] = '\0';
	else
		buf[blk.len < sizeof(buf) ? blk.len : sizeof(buf) - 1] = '\0';

	return buf;
}

void
fw_exit(int code)
{
	uint32_t blk[2] = { ADP_STOPPED_APP_EXIT, (uint32_t)code };

	semihost(SYS_EXIT_EXTENDED, blk);
	/* a host without the extended call: success or not, at least */
	semihost(SYS_EXIT, (const void *)(uintptr_t)(code ? 0x20023u :
							    ADP_STOPPED_APP_EXIT));
	for (;;)
		;
}

/* ---- the clock: timer0 counts down from 2^32 - 1; its wraps are counted here,
 * which needs a call at least every 171 s (the service loop calls far more) ---- */

static uint64_t ticks;
static uint32_t last;

int64_t
fw_now_us(void)
{
	uint32_t v = TIMER_VALUE;

	ticks += (uint32_t)(last - v);	/* counting down, mod 2^32 */
	last = v;

	return (int64_t)(ticks / TIMER_MHZ);
}

static int64_t
hook_now_us(void *opaque)
{
	(void)opaque;
	return fw_now_us();
}

/* no RNG on this board: the session id of the mux link only needs to differ
 * from the last boot's, and the clock's low bits do that under QEMU */
static int
hook_random(void *opaque, void *buf, size_t len)
{
	static uint32_t x;
	uint8_t *p = buf;

	(void)opaque;
	x ^= TIMER_VALUE;
	while (len--) {
		x = x * 1664525u + 1013904223u;
		*p++ = (uint8_t)(x >> 24);
	}

	return 0;
}

/* ---- UART0 as a Loom stream: polled, one byte register each way ---- */

static int
uart_read(void *priv, uint8_t *buf, size_t len)
{
	size_t n = 0;

	(void)priv;
	while (n < len && (UART_STATE & 2u))
		buf[n++] = (uint8_t)UART_DATA;

	return (int)n;
}

static int
uart_write(void *priv, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	(void)priv;
	while (n < len && !(UART_STATE & 1u))
		UART_DATA = buf[n++];

	return (int)n;
}

static unsigned int
uart_ready(void *priv)
{
	uint32_t st = UART_STATE;

	(void)priv;
	return ((st & 2u) ? LOOM_BM_READABLE : 0u) | ((st & 1u) ? 0u : LOOM_BM_WRITABLE);
}

static const struct loom_bm_stream_ops uart_ops = {
	uart_read, uart_write, uart_ready, NULL
};

static int uart_fd = -1;

int
fw_uart_stream(void)
{
	return uart_fd;
}

void
fw_board_init(void)
{
	static const struct loom_plat_hooks hooks = {
		hook_now_us, hook_random, NULL, NULL
	};

	TIMER_CTRL = 0;
	TIMER_RELOAD = 0xffffffffu;
	TIMER_VALUE = 0xffffffffu;
	TIMER_CTRL = 1;			/* enable, no interrupt */
	last = TIMER_VALUE;

	UART_BAUDDIV = 16;		/* the smallest legal divider */
	UART_CTRL = 3;			/* TX and RX on, no interrupts */

	loom_plat_set_hooks(&hooks);
	uart_fd = loom_bm_stream_add(&uart_ops, NULL);
}

/* ---- newlib's heap: from the end of .bss up to the stack's reserve ---- */

extern char __heap_start, __heap_end;

void *
_sbrk(ptrdiff_t incr);

void *
_sbrk(ptrdiff_t incr)
{
	static char *brk = &__heap_start;
	char *p = brk;

	if (incr > &__heap_end - brk || incr < &__heap_start - brk) {
		errno = ENOMEM;
		return (void *)-1;
	}
	brk += incr;

	return p;
}
