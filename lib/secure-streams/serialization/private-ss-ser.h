/*
 * private-ss-ser.h: the Secure Streams serialization codec (SSPC <-> proxy).
 *
 * One SS is carried over one byte stream (a socket to the proxy, or one channel of
 * the transport mux over a UART) as frames:
 *
 *	type (1 byte) | body length (2 bytes, big-endian) | body
 *
 * The wire format, its version and every frame's body are documented in
 * READMEs/README.ss-serialization.md. This codec does no I/O and no allocation:
 * the decoder is fed bytes in any chunking and emits events; payload and metadata
 * values are passed through in pieces as they arrive, so no frame is buffered
 * whole; fixed-size bodies are checked for their exact length.
 */
#if !defined(LOOM_PRIVATE_SS_SER_H)
#define LOOM_PRIVATE_SS_SER_H

#include <stddef.h>
#include <stdint.h>

#define LOOM_SSER_VERSION	1	/* the wire format this code speaks */
#define LOOM_SSER_HDR		3	/* type + 16-bit length */
#define LOOM_SSER_MAX_BODY	65535
#define LOOM_SSER_NAME_MAX	64	/* stream type and metadata names */

/* frame types; the comment says who sends it: c = SSPC client, p = proxy */
enum loom_sser_type {
	LOOM_SSER_HELLO		= 0x01,	/* c: u8 version, u32 rx credit, streamtype */
	LOOM_SSER_CREATED	= 0x02,	/* p: u8 result (LOOM_SSER_R_*), u32 tx credit */
	LOOM_SSER_METADATA	= 0x03,	/* c,p: u8 name length, name, value */
	LOOM_SSER_PAYLOAD	= 0x04,	/* c,p: u8 flags (LOOM_SS_FLAG_*), bytes */
	LOOM_SSER_REQ_TX	= 0x05,	/* c: empty, or u32 message length */
	LOOM_SSER_CREDIT	= 0x06,	/* c,p: u32 more bytes the sender may send */
	LOOM_SSER_STATE		= 0x07,	/* p: u32 state (LOOM_SSS_*), u32 ack */
	LOOM_SSER_CONNECT	= 0x08,	/* c: empty: loom_ss_client_connect() */
	LOOM_SSER_DESTROY	= 0x09,	/* c: empty: the client's stream is going */
};

/* CREATED results */
enum {
	LOOM_SSER_R_OK = 0,
	LOOM_SSER_R_NO_STREAMTYPE = 1,	/* the policy has no such stream type */
	LOOM_SSER_R_DENIED = 2,		/* this client may not open it */
	LOOM_SSER_R_VERSION = 3,	/* the proxy does not speak that version */
	LOOM_SSER_R_FAILED = 4,		/* out of memory or another local failure */
};

/* decoder errors (negative returns of loom__sser_feed) */
enum {
	LOOM_SSER_E_TYPE = -1,		/* unknown frame type */
	LOOM_SSER_E_LENGTH = -2,	/* body length wrong for the type */
	LOOM_SSER_E_NAME = -3,		/* bad or too long name */
	LOOM_SSER_E_VALUE = -4,		/* a field's value out of range */
	LOOM_SSER_E_DIRECTION = -5,	/* a frame the other side never sends */
	LOOM_SSER_E_CB = -6,		/* the event callback said stop */
};

/* what the decoder tells its user */
enum loom_sser_event {
	LOOM_SSEV_HELLO,	/* u32a = version, u32b = rx credit, str = streamtype */
	LOOM_SSEV_CREATED,	/* u32a = result, u32b = tx credit */
	LOOM_SSEV_MD_START,	/* str = name, u32a = value length */
	LOOM_SSEV_MD_DATA,	/* buf, len: a piece of the value */
	LOOM_SSEV_PAYLOAD_START,/* u32a = flags, u32b = bytes in this frame */
	LOOM_SSEV_PAYLOAD_DATA,	/* buf, len: a piece of it */
	LOOM_SSEV_REQ_TX,	/* u32a = 1 if a length is given, u32b = it */
	LOOM_SSEV_CREDIT,	/* u32a = bytes added */
	LOOM_SSEV_STATE,	/* u32a = state, u32b = ack */
	LOOM_SSEV_CONNECT,
	LOOM_SSEV_DESTROY,
};

struct loom_sser_ev {
	enum loom_sser_event ev;
	uint32_t u32a, u32b;
	const char *str;		/* NUL-terminated, valid during the call */
	const uint8_t *buf;
	size_t len;
};

/* return 0 to go on, nonzero to stop the decoder with LOOM_SSER_E_CB */
typedef int (*loom_sser_cb)(void *opaque, const struct loom_sser_ev *e);

/* which side decodes: a proxy accepts only client frames, and the other way */
enum loom_sser_role {
	LOOM_SSER_ROLE_PROXY,		/* decodes what a client sends */
	LOOM_SSER_ROLE_CLIENT,		/* decodes what the proxy sends */
};

struct loom_sser_dec {
	uint32_t body_len, got;		/* of the current frame */
	uint32_t md_value_len;
	uint8_t hdr[LOOM_SSER_HDR];
	uint8_t fixed[LOOM_SSER_NAME_MAX + 8];	/* small fields, names */
	uint8_t hdr_got;
	uint8_t type;
	uint8_t phase;			/* internal */
	uint8_t role;			/* enum loom_sser_role */
	uint8_t name_len;
	int8_t error;			/* sticky: after an error, nothing more */
};

void
loom__sser_dec_init(struct loom_sser_dec *d, enum loom_sser_role role);

/*
 * Feed \p len bytes. Returns 0 when all were taken (events emitted on the way),
 * or a negative LOOM_SSER_E_*: the stream is broken and must be dropped (the
 * decoder then refuses everything).
 */
int
loom__sser_feed(struct loom_sser_dec *d, const uint8_t *in, size_t len,
		loom_sser_cb cb, void *opaque);

/*
 * Encoders: each writes one whole frame into \p out and returns its length, or 0
 * when \p max is too small or a field is out of range. A payload or metadata
 * frame is written as its header and fixed part only, with the bytes to follow
 * by the caller (loom__sser_put_payload_hdr() / _metadata_hdr()), so the bytes
 * are never copied twice.
 */
size_t
loom__sser_put_hello(uint8_t *out, size_t max, uint32_t rx_credit,
		     const char *streamtype);
size_t
loom__sser_put_created(uint8_t *out, size_t max, unsigned int result,
		       uint32_t tx_credit);
size_t
loom__sser_put_metadata_hdr(uint8_t *out, size_t max, const char *name,
			    size_t value_len);
size_t
loom__sser_put_payload_hdr(uint8_t *out, size_t max, unsigned int flags,
			   size_t len);
size_t
loom__sser_put_req_tx(uint8_t *out, size_t max, int has_len, uint32_t len);
size_t
loom__sser_put_credit(uint8_t *out, size_t max, uint32_t add);
size_t
loom__sser_put_state(uint8_t *out, size_t max, uint32_t state, uint32_t ack);
size_t
loom__sser_put_empty(uint8_t *out, size_t max, enum loom_sser_type type);

/* the largest payload one frame carries (the body less its flags byte) */
#define LOOM_SSER_MAX_PAYLOAD	(LOOM_SSER_MAX_BODY - 1)

#endif
