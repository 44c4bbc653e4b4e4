/*
 * private-ss-mux.h: the transport mux framing codec: many Secure Streams carried
 * over one byte pipe (a UART, a pty) as channels. No I/O, no allocation.
 *
 * A frame on the pipe (READMEs/README.ss-serialization.md, "Transport mux"):
 *
 *	0x7e | channel | type | length (2, BE) | hcrc | body | crc16 (2, BE)
 *
 * hcrc is a CRC-8 of the five bytes before it, so a corrupt header is seen before
 * its (perhaps bogus) length is waited for; crc16 (CRC-16/CCITT-FALSE) covers the
 * whole frame from the marker to the body's end. The pipe drops and corrupts
 * bytes: the decoder holds the frame it is collecting in its own fixed buffer, and
 * on garbage, a bad header or a bad CRC it counts the error and looks again for a
 * marker from the byte after the rejected one, so a real frame that garbage hid
 * is still found. It never gives up on the pipe and never needs more input than a
 * frame to get going again.
 */
#if !defined(LOOM_PRIVATE_SS_MUX_H)
#define LOOM_PRIVATE_SS_MUX_H

#include <stddef.h>
#include <stdint.h>

#define LOOM_MUX_MARKER		0x7e
#define LOOM_MUX_VERSION	2	/* 2: DATA carries its byte offset; NAK */
#define LOOM_MUX_HDR		6	/* marker, ch, type, len(2), hcrc */
#define LOOM_MUX_TRAILER	2	/* crc16 */
#define LOOM_MUX_OVERHEAD	(LOOM_MUX_HDR + LOOM_MUX_TRAILER)
/* the largest body this code can hold; a link may agree a smaller one */
#define LOOM_MUX_MAX_BODY	2048
#define LOOM_MUX_MIN_BODY	16	/* the smallest max_body a decoder accepts */
#define LOOM_MUX_LINK_CH	0	/* HELLO, PING, PONG travel on channel 0 */
#define LOOM_MUX_MAX_CH		255

enum loom_mux_type {
	LOOM_MUX_HELLO		= 0x01,	/* ch 0: u8 version, u16 max body, u32 session */
	LOOM_MUX_PING		= 0x02,	/* ch 0: u32 sequence */
	LOOM_MUX_PONG		= 0x03,	/* ch 0: u32 the PING's sequence */
	LOOM_MUX_OPEN		= 0x04,	/* ch n: u32 rx credit the opener grants */
	LOOM_MUX_OPEN_ACK	= 0x05,	/* ch n: u8 result, u32 rx credit */
	LOOM_MUX_CLOSE		= 0x06,	/* ch n: u8 reason (R_OK: "closed", an ack) */
	LOOM_MUX_DATA		= 0x07,	/* ch n: u32 offset, 1.. bytes of the channel */
	LOOM_MUX_CREDIT		= 0x08,	/* ch n: u32 DATA bytes taken in all (not 0) */
	LOOM_MUX_NAK		= 0x09,	/* ch n: u32 bytes taken in all; a gap after */
};

/* OPEN_ACK results and CLOSE reasons */
enum {
	LOOM_MUX_R_OK		= 0,
	LOOM_MUX_R_BUSY		= 1,	/* no room for another channel / in use */
	LOOM_MUX_R_FAILED	= 2,	/* local failure */
	LOOM_MUX_R_GONE		= 3,	/* CLOSE: the stream ended */
	LOOM_MUX_R_PROTOCOL	= 4,	/* CLOSE: the peer broke the channel's rules */
};

/* what the decoder hands its user: one whole, CRC-checked, well-formed frame */
struct loom_mux_ev {
	uint8_t type;			/* enum loom_mux_type */
	uint8_t ch;
	uint32_t u32a, u32b;		/* see below */
	const uint8_t *buf;		/* DATA: the bytes (valid during the call) */
	size_t len;
};
/*
 * HELLO: u32a = version, u32b = max body; buf/len = the 4-byte session id
 *        (len 4), also in .session
 * PING/PONG: u32a = sequence
 * OPEN: u32a = credit; OPEN_ACK: u32a = result, u32b = credit
 * CLOSE: u32a = reason; CREDIT, NAK: u32a = DATA bytes the sender has taken in
 *       all (the offset of the next byte it wants; mod 2^32)
 * DATA: u32a = the offset of its first byte in the channel's byte stream (mod
 *       2^32), so the receiver takes each byte once, in order, whatever the line
 *       lost or the sender sent again; buf/len = the bytes
 */

/* return 0 to go on, nonzero to stop loom__mux_feed() with LOOM_MUX_E_CB */
typedef int (*loom_mux_cb)(void *opaque, const struct loom_mux_ev *e);

#define LOOM_MUX_E_CB	(-1)

struct loom_mux_dec {
	/* counters: what the pipe did to us */
	uint32_t frames;		/* good frames delivered */
	uint32_t skipped;		/* bytes dropped looking for a marker */
	uint32_t err_hdr;		/* headers with a bad CRC-8 or impossible fields */
	uint32_t err_crc;		/* frames with a bad CRC-16 */
	uint32_t err_frame;		/* CRC-good frames with a bad body (peer bug) */
	uint32_t err_stall;		/* partial frames given up by loom__mux_dec_idle() */
	uint16_t max_body;		/* limit: longer frames are refused */
	uint16_t got;			/* bytes of f[] held */
	uint8_t f[LOOM_MUX_OVERHEAD + LOOM_MUX_MAX_BODY];
};

/* \p max_body is clamped to LOOM_MUX_MIN_BODY..LOOM_MUX_MAX_BODY */
void
loom__mux_dec_init(struct loom_mux_dec *d, unsigned int max_body);

/*
 * Feed \p len bytes in any chunking. Good frames are emitted as they complete;
 * damage is counted and skipped. Returns 0, or LOOM_MUX_E_CB when the callback
 * asked to stop (the rest of \p in and what was held are dropped).
 */
int
loom__mux_feed(struct loom_mux_dec *d, const uint8_t *in, size_t len,
	       loom_mux_cb cb, void *opaque);

/*
 * The pipe has been quiet for a while with part of a frame held: a header that
 * survived corruption may be waiting for a body that will never come, holding
 * real frames behind it. Give that frame up (counted in err_stall) and look for
 * frames in what is held. Returns as loom__mux_feed().
 */
int
loom__mux_dec_idle(struct loom_mux_dec *d, loom_mux_cb cb, void *opaque);

/*
 * Encoders: write one whole frame into \p out, returning its length, or 0 when
 * \p max is too small or a field is out of range for the type (a link frame on a
 * stream channel, zero credit, an empty or too long DATA).
 */
size_t
loom__mux_put(uint8_t *out, size_t max, unsigned int ch, enum loom_mux_type type,
	      const uint8_t *body, size_t len);
size_t
loom__mux_put_hello(uint8_t *out, size_t max, unsigned int max_body,
		    uint32_t session);
size_t
loom__mux_put_u32(uint8_t *out, size_t max, unsigned int ch,
		  enum loom_mux_type type, uint32_t v);	/* PING, PONG, OPEN, CREDIT */
size_t
loom__mux_put_open_ack(uint8_t *out, size_t max, unsigned int ch,
		       unsigned int result, uint32_t credit);
size_t
loom__mux_put_close(uint8_t *out, size_t max, unsigned int ch, unsigned int reason);
/* DATA: \p len (1 .. LOOM_MUX_MAX_DATA) bytes at stream offset \p off */
size_t
loom__mux_put_data(uint8_t *out, size_t max, unsigned int ch, uint32_t off,
		   const uint8_t *data, size_t len);
#define LOOM_MUX_DATA_HDR	4	/* the offset before the bytes */
#define LOOM_MUX_MAX_DATA	(LOOM_MUX_MAX_BODY - LOOM_MUX_DATA_HDR)

uint16_t
loom__mux_crc16(uint16_t crc, const uint8_t *p, size_t len);
uint8_t
loom__mux_crc8(const uint8_t *p, size_t len);

#endif
