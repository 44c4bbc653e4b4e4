/*
 * board.h: what the mps2 board support (board.c) gives the SSPC firmware:
 * ARM semihosting (console, command line, exit code), the CMSDK UART0 as a Loom
 * bare-metal byte stream, and the CMSDK timer0 as Loom's clock.
 */
#ifndef FW_BOARD_H
#define FW_BOARD_H

#include <stddef.h>
#include <stdint.h>

#define FW_EXIT_FAULT	99

/* semihosting */
void
fw_puts(const char *s);
/* the command line QEMU passes (-semihosting-config ...,arg=...), or "" */
const char *
fw_cmdline(void);
void
fw_exit(int code) __attribute__((noreturn));

/* the board: UART0 and timer0 set up, Loom's platform hooks set */
void
fw_board_init(void);
/* UART0 as a Loom stream: the descriptor loom_bm_stream_add() gave */
int
fw_uart_stream(void);
int64_t
fw_now_us(void);

#endif
