/*
 * startup.c: our own reset code for the Cortex-M firmware on QEMU's mps2 boards:
 * the vector table, copying .data and zeroing .bss (mps2.ld), turning the FPU on
 * (the firmware is built for the hard-float ABI), then main(); any fault ends
 * the run through semihosting with a code the test reports.
 */
#include <stdint.h>

#include "board.h"

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end;
extern uint32_t __stack_top;

int
main(void);

void
fw_reset(void);

static void
fw_fault(void)
{
	fw_puts("firmware: fault (hard fault, bus or usage fault)\n");
	fw_exit(FW_EXIT_FAULT);
}

static void
fw_spurious(void)
{
	fw_puts("firmware: unexpected interrupt\n");
	fw_exit(FW_EXIT_FAULT);
}

typedef void (*fw_vector)(void);

/* initial SP, reset, then the 14 system exceptions; no device interrupts used */
__attribute__((section(".vectors"), used))
static const fw_vector fw_vectors[16] = {
	(fw_vector)(uintptr_t)&__stack_top,
	fw_reset,
	fw_spurious,	/* NMI */
	fw_fault,	/* HardFault */
	fw_fault,	/* MemManage */
	fw_fault,	/* BusFault */
	fw_fault,	/* UsageFault */
	0, 0, 0, 0,
	fw_spurious,	/* SVCall */
	fw_spurious,	/* DebugMonitor */
	0,
	fw_spurious,	/* PendSV */
	fw_spurious,	/* SysTick */
};

void
fw_reset(void)
{
	uint32_t *s = &__data_load, *d = &__data_start;

	while (d < &__data_end)
		*d++ = *s++;
	for (d = &__bss_start; d < &__bss_end; d++)
		*d = 0;
	/* CPACR: full access to CP10 and CP11 (the FPU) before any FP code runs */
	*(volatile uint32_t *)0xe000ed88 |= 0xfu << 20;
	__asm__ volatile ("dsb\n\tisb" ::: "memory");
	fw_exit(main());
}
