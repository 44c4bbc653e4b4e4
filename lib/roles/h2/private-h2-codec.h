/*
 * private-h2-codec.h: the HTTP/2 codec layer, the parts that do no I/O and no
 * allocation: HPACK (RFC 7541) decoder and encoder with Huffman both ways
 * (hpack.c, huffman.c), and the frame reader and writers of RFC 9113 (frame.c).
 * The h2 role (connection state, streams, flow control) is built on this API.
 */
#ifndef LOOM_PRIVATE_H2_CODEC_H
#define LOOM_PRIVATE_H2_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* ======================================================================== */
/* HPACK                                                                    */
/* ======================================================================== */

/* flags given to / by the header field callbacks */
#define LOOM_HPACK_F_NEVER_INDEXED	1u /* "literal never indexed" (7541 6.2.3):
					    * decoder: the peer sent it so; encoder:
					    * send it so (intermediaries keep it so) */
#define LOOM_HPACK_F_NO_INDEX		2u /* encoder: do not add to the dynamic table
					    * (7541 6.2.2); decoder: the peer sent a
					    * literal without indexing */
#define LOOM_HPACK_F_INDEX		4u /* encoder: add to the dynamic table whenever
					    * it fits, overriding the heuristics below
					    * (not an explicit NO_INDEX/NEVER_INDEXED) */

/* loom__hpack_decode() results: all but LOOM_HPACK_E_TOO_BIG are
 * COMPRESSION_ERROR-class: the connection must end with GOAWAY(COMPRESSION_ERROR) */
#define LOOM_HPACK_E_TRUNCATED		-1 /* block ends inside a representation */
#define LOOM_HPACK_E_INTEGER		-2 /* integer > 2^32-1 or > 5 continuation bytes */
#define LOOM_HPACK_E_INDEX		-3 /* index 0, or past the end of both tables */
#define LOOM_HPACK_E_HUFFMAN		-4 /* EOS inside, padding > 7 bits or not all 1s */
#define LOOM_HPACK_E_SIZE_UPDATE	-5 /* size update not at block start, above our
					    * limit, or missing after we lowered it */
#define LOOM_HPACK_E_STRING		-6 /* string longer than the decoder's limits
					    * (scratch too small for it) */
#define LOOM_HPACK_E_TOO_BIG		-7 /* the header list went over
					    * max_header_list_size: the block was still
					    * decoded whole (table state is consistent),
					    * fields stopped being emitted at the limit.
					    * Not a connection error: the role answers
					    * 431 / RST_STREAM. */

/* is this result a COMPRESSION_ERROR (connection error)? */
#define LOOM_HPACK_IS_CONN_ERROR(r)	((r) < 0 && (r) != LOOM_HPACK_E_TOO_BIG)

/* RFC 7541 4.1: each entry costs name + value + 32 octets of table size */
#define LOOM_HPACK_ENTRY_OVERHEAD	32
#define LOOM_HPACK_DEFAULT_TABLE_SIZE	4096
#define LOOM_HPACK_STATIC_COUNT		61

/*
 * A dynamic table in caller-provided storage.  Entries are kept contiguous, newest
 * first, each as [u32 name len][u32 value len][name][value]; what an entry occupies
 * (n + v + 8) is never more than what it costs (n + v + 32), so storage of the
 * table's maximum size always holds it.  Members are private to hpack.c.
 */
struct loom_hpack_table {
	uint8_t		*buf;		/* caller's storage */
	size_t		cap;		/* bytes in buf: the largest max_size possible */
	size_t		used;		/* bytes of buf holding entries */
	size_t		size;		/* RFC 7541 size: sum of n + v + 32 */
	size_t		max_size;	/* current maximum size (<= cap) */
	uint32_t	count;		/* entries */
};

/* HPACK decoder: one per h2 connection (peer's encoder -> our decoder) */
struct loom_hpack_dec {
	struct loom_hpack_table	t;
	size_t		max_list;	/* max_header_list_size, 0 = no limit */
	size_t		settings_limit;	/* our SETTINGS_HEADER_TABLE_SIZE now (<= cap) */
	uint8_t		need_update;	/* we lowered the limit: the next block must
					 * start with a size update <= it */
};

/*
 * Emits one decoded field.  name/value point into the input, the scratch area or
 * the dynamic table, valid only during the call; they are not NUL-terminated.
 * flags: LOOM_HPACK_F_NEVER_INDEXED / LOOM_HPACK_F_NO_INDEX as the peer sent them.
 * Return 0 to go on; nonzero aborts loom__hpack_decode() with that value (the
 * table is then left mid-block: the connection must end).
 */
typedef int (*loom_hpack_emit_cb)(void *opaque, const char *name, size_t nlen,
				  const char *value, size_t vlen, unsigned int flags);

/*
 * Sets up a decoder.  table_storage (table_storage_len bytes, owned by the caller
 * and kept alive while the decoder is used) is the dynamic table; its length is the
 * SETTINGS_HEADER_TABLE_SIZE we advertise (4096 = the default, no SETTINGS needed).
 * max_header_list_size: the RFC 9113 6.5.2 limit (sum of n + v + 32 of the list),
 * 0 = none.  table_storage_len 0 is allowed (no dynamic table; table_storage may be
 * NULL).
 */
void
loom__hpack_dec_init(struct loom_hpack_dec *d, uint8_t *table_storage,
		     size_t table_storage_len, size_t max_header_list_size);

/*
 * We changed our SETTINGS_HEADER_TABLE_SIZE (call it when the peer ACKs the
 * SETTINGS carrying it).  Clamped to the storage length.  When lowered below the
 * table's current maximum, the peer's next block must start with a size update not
 * above it (else LOOM_HPACK_E_SIZE_UPDATE).
 */
void
loom__hpack_dec_set_limit(struct loom_hpack_dec *d, size_t limit);

/*
 * Decodes one complete header block (HEADERS/PUSH_PROMISE + CONTINUATION fragments
 * concatenated by the caller, bounded by it) and calls cb for each field in order.
 * scratch (scratch_len bytes) receives Huffman-decoded strings and names copied out
 * of the dynamic table for the duration of one field; a field whose strings do not
 * fit in it fails with LOOM_HPACK_E_STRING, so scratch_len is also the limit on one
 * field's name + value.  Returns 0, a negative LOOM_HPACK_E_*, or the callback's
 * nonzero return.  After any result but 0 and LOOM_HPACK_E_TOO_BIG the decoder's
 * table no longer matches the peer's: end the connection (COMPRESSION_ERROR).
 * Validates no HTTP semantics (pseudo-headers, uppercase names): the role does.
 */
int
loom__hpack_decode(struct loom_hpack_dec *d, const uint8_t *in, size_t len,
		   uint8_t *scratch, size_t scratch_len,
		   loom_hpack_emit_cb cb, void *opaque);

/* HPACK encoder: one per h2 connection (our encoder -> peer's decoder) */
struct loom_hpack_enc {
	struct loom_hpack_table	t;
	uint32_t	peer_max;	/* peer's SETTINGS_HEADER_TABLE_SIZE */
	uint32_t	upd_min;	/* smallest max since the last block start */
	uint8_t		upd_pending;	/* a size update is owed at the block start */
	uint8_t		no_huffman;	/* 1: never Huffman-code (tests, debugging) */
};

/*
 * Sets up an encoder whose dynamic table lives in table_storage (len bytes; 4096
 * matches the protocol's default).  The table size used is min(len, the peer's
 * SETTINGS_HEADER_TABLE_SIZE, which is 4096 until told otherwise); when that is not
 * 4096, a size update is emitted at the first block start.
 */
void
loom__hpack_enc_init(struct loom_hpack_enc *e, uint8_t *table_storage, size_t len);

/*
 * The peer's SETTINGS_HEADER_TABLE_SIZE arrived (peer_max).  The table's maximum
 * becomes min(peer_max, storage length); if that changes it, entries are evicted
 * now and a size update (two when it went down then up) is owed at the next
 * loom__hpack_enc_block_start().
 */
void
loom__hpack_enc_peer_table_size(struct loom_hpack_enc *e, uint32_t peer_max);

/*
 * Call first for each header block: writes the owed size updates (0, 1 or 2 of
 * them, at most 12 bytes).  Returns bytes written, or -1 when out is too small
 * (nothing written, still owed).
 */
int
loom__hpack_enc_block_start(struct loom_hpack_enc *e, uint8_t *out, size_t outmax);

/*
 * Appends one header field to out (name must already be lowercase for h2).  Uses an
 * index into the static or dynamic table when the pair is there, an indexed name
 * otherwise, and adds the field to the dynamic table when it is worth it: not when
 * flags has LOOM_HPACK_F_NO_INDEX or LOOM_HPACK_F_NEVER_INDEXED, nor for fields that
 * change on each message (:path, content-length, etag, last-modified ...), nor
 * for an entry above half the table.  authorization, proxy-authorization and
 * set-cookie, and cookie values under 20 bytes (guessable, RFC 7541 7.1.3), are
 * always sent never-indexed.  Each string
 * is Huffman-coded when that is not longer (as RFC 7541 appendix C does).  Returns bytes written, or -1 when outmax is
 * too small (nothing written, table unchanged).
 */
int
loom__hpack_enc_field(struct loom_hpack_enc *e, uint8_t *out, size_t outmax,
		      const char *name, size_t nlen, const char *value, size_t vlen,
		      unsigned int flags);

/* the most bytes loom__hpack_enc_field() can need for this field */
#define LOOM_HPACK_ENC_MAX(nlen, vlen)	(18 + (nlen) + (vlen))

/* ---- HPACK integers (7541 5.1), exposed for tests ---- */

/* writes v with an n-bit prefix (first byte's high bits from 'first'); bytes
 * written or 0 when outmax is too small */
size_t
loom__hpack_int_encode(uint8_t *out, size_t outmax, uint8_t first, unsigned int n,
		       uint32_t v);

/* reads an integer with an n-bit prefix from in[*pos..len); 0 (and *v, *pos
 * advanced) or LOOM_HPACK_E_TRUNCATED / LOOM_HPACK_E_INTEGER */
int
loom__hpack_int_decode(const uint8_t *in, size_t len, size_t *pos, unsigned int n,
		       uint32_t *v);

/* ---- Huffman (7541 5.2, appendix B) ---- */

#define LOOM_HUFF_E_CODE	-1	/* EOS inside, padding > 7 bits or not all 1s */
#define LOOM_HUFF_E_SPACE	-2	/* outmax too small */

/* decodes len bytes; returns the decoded length, or LOOM_HUFF_E_CODE /
 * LOOM_HUFF_E_SPACE (the decoded length is at most len * 8 / 5) */
int
loom__huff_decode(const uint8_t *in, size_t len, uint8_t *out, size_t outmax);

/* bytes the Huffman encoding of in[0..len) takes */
size_t
loom__huff_encoded_len(const uint8_t *in, size_t len);

/* encodes; returns the encoded length or -1 when outmax is too small */
int
loom__huff_encode(const uint8_t *in, size_t len, uint8_t *out, size_t outmax);

/* ======================================================================== */
/* Frames (RFC 9113 sections 4 and 6)                                       */
/* ======================================================================== */

#define LOOM_H2_PREFACE			"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define LOOM_H2_PREFACE_LEN		24
#define LOOM_H2_FRAME_HDR_LEN		9
#define LOOM_H2_DEFAULT_MAX_FRAME	16384u		/* and the lowest allowed */
#define LOOM_H2_MAX_MAX_FRAME		16777215u	/* 2^24 - 1 */
#define LOOM_H2_DEFAULT_WINDOW		65535u
#define LOOM_H2_MAX_WINDOW		2147483647u	/* 2^31 - 1 */

/* frame types */
enum {
	LOOM_H2_F_DATA			= 0x0,
	LOOM_H2_F_HEADERS		= 0x1,
	LOOM_H2_F_PRIORITY		= 0x2,
	LOOM_H2_F_RST_STREAM		= 0x3,
	LOOM_H2_F_SETTINGS		= 0x4,
	LOOM_H2_F_PUSH_PROMISE		= 0x5,
	LOOM_H2_F_PING			= 0x6,
	LOOM_H2_F_GOAWAY		= 0x7,
	LOOM_H2_F_WINDOW_UPDATE		= 0x8,
	LOOM_H2_F_CONTINUATION		= 0x9,
	LOOM_H2_F_COUNT			/* types above are unknown: ignore them */
};

/* frame flags */
#define LOOM_H2_FL_END_STREAM		0x01	/* DATA, HEADERS */
#define LOOM_H2_FL_ACK			0x01	/* SETTINGS, PING */
#define LOOM_H2_FL_END_HEADERS		0x04	/* HEADERS, PUSH_PROMISE, CONTINUATION */
#define LOOM_H2_FL_PADDED		0x08	/* DATA, HEADERS, PUSH_PROMISE */
#define LOOM_H2_FL_PRIORITY		0x20	/* HEADERS */

/* error codes (RFC 9113 7) */
enum {
	LOOM_H2_ERR_NO_ERROR		= 0x0,
	LOOM_H2_ERR_PROTOCOL_ERROR	= 0x1,
	LOOM_H2_ERR_INTERNAL_ERROR	= 0x2,
	LOOM_H2_ERR_FLOW_CONTROL_ERROR	= 0x3,
	LOOM_H2_ERR_SETTINGS_TIMEOUT	= 0x4,
	LOOM_H2_ERR_STREAM_CLOSED	= 0x5,
	LOOM_H2_ERR_FRAME_SIZE_ERROR	= 0x6,
	LOOM_H2_ERR_REFUSED_STREAM	= 0x7,
	LOOM_H2_ERR_CANCEL		= 0x8,
	LOOM_H2_ERR_COMPRESSION_ERROR	= 0x9,
	LOOM_H2_ERR_CONNECT_ERROR	= 0xa,
	LOOM_H2_ERR_ENHANCE_YOUR_CALM	= 0xb,
	LOOM_H2_ERR_INADEQUATE_SECURITY	= 0xc,
	LOOM_H2_ERR_HTTP_1_1_REQUIRED	= 0xd
};

/* SETTINGS identifiers (RFC 9113 6.5.2, RFC 8441, RFC 9218) */
enum {
	LOOM_H2_SET_HEADER_TABLE_SIZE		= 0x1,
	LOOM_H2_SET_ENABLE_PUSH			= 0x2,
	LOOM_H2_SET_MAX_CONCURRENT_STREAMS	= 0x3,
	LOOM_H2_SET_INITIAL_WINDOW_SIZE		= 0x4,
	LOOM_H2_SET_MAX_FRAME_SIZE		= 0x5,
	LOOM_H2_SET_MAX_HEADER_LIST_SIZE	= 0x6,
	LOOM_H2_SET_ENABLE_CONNECT_PROTOCOL	= 0x8,
	LOOM_H2_SET_NO_RFC7540_PRIORITIES	= 0x9
};

/* name of an error code / frame type for logs ("UNKNOWN" when not known) */
const char *
loom__h2_err_name(uint32_t code);
const char *
loom__h2_frame_name(uint8_t type);

/*
 * SETTINGS value check with no connection state (RFC 9113 6.5.2): returns 0, or
 * LOOM_H2_ERR_PROTOCOL_ERROR (ENABLE_PUSH > 1, MAX_FRAME_SIZE out of range,
 * ENABLE_CONNECT_PROTOCOL > 1, NO_RFC7540_PRIORITIES > 1) or
 * LOOM_H2_ERR_FLOW_CONTROL_ERROR (INITIAL_WINDOW_SIZE > 2^31-1).  Unknown ids: 0.
 */
uint32_t
loom__h2_settings_check(uint16_t id, uint32_t val);

/*
 * A frame as the reader reports it.  The first four members are the 9-byte header
 * (sid with the reserved bit cleared).  The rest is filled in before the HDR event:
 */
struct loom_h2_frame_hdr {
	uint32_t	len;		/* payload length on the wire (flow control
					 * counts this, padding included) */
	uint8_t		type, flags;
	uint32_t	sid;

	uint32_t	data_len;	/* payload bytes the PAYLOAD events will carry:
					 * len minus pad length byte, padding, the
					 * HEADERS priority fields and PUSH_PROMISE's
					 * promised id */
	uint32_t	err;		/* nonzero: a STREAM error of this code on sid
					 * (e.g. PRIORITY of length != 5, a stream
					 * depending on itself, WINDOW_UPDATE of 0 on a
					 * stream).  The role sends RST_STREAM (or makes
					 * it a connection error when the stream state
					 * says so).  The payload is still delivered:
					 * HEADERS' (HPACK state must be kept), and the
					 * fixed ones (WINDOW_UPDATE's 4 bytes,
					 * PRIORITY's 5), so the error is seen at HDR,
					 * PAYLOAD and END alike; only a PRIORITY of the
					 * wrong length has none (data_len 0). */
	uint8_t		pad_len;	/* PADDED: the pad length */
	uint8_t		has_prio;	/* HEADERS with PRIORITY, or PRIORITY */
	uint8_t		prio_excl;	/* exclusive bit */
	uint8_t		prio_weight;	/* weight - 1, as on the wire */
	uint32_t	prio_dep;	/* stream dependency */
	uint32_t	promised_sid;	/* PUSH_PROMISE */
};

/* reader events */
enum {
	LOOM_H2R_HDR = 1,	/* h complete (p NULL, len 0) */
	LOOM_H2R_PAYLOAD,	/* p/len: a piece of the (stripped) payload */
	LOOM_H2R_END		/* the frame ended (after its padding) */
};

/*
 * Frame reader callback.  For DATA, HEADERS, PUSH_PROMISE, CONTINUATION and unknown
 * types, PAYLOAD events come in pieces as input arrives (no piece is empty).  The
 * small fixed types are gathered and delivered whole, with HDR, PAYLOAD and END
 * one after the other: PING (8), PRIORITY (5), RST_STREAM (4), WINDOW_UPDATE (4).
 * SETTINGS: each PAYLOAD event holds whole 6-byte entries (a multiple of 6), each
 * entry already passed loom__h2_settings_check(); ACK or empty SETTINGS: no
 * PAYLOAD.  GOAWAY: the first PAYLOAD event is exactly the 8 fixed bytes (last
 * stream id, error code), later ones the debug data.
 * Return 0 to go on; nonzero stops loom__h2_reader_feed(), which returns it; the
 * event counts as consumed and feeding the rest later resumes after it.
 */
typedef int (*loom_h2_frame_cb)(void *opaque, int event,
				const struct loom_h2_frame_hdr *h,
				const uint8_t *p, size_t len);

/* frame reader state; members are private to frame.c */
struct loom_h2_reader {
	struct loom_h2_frame_hdr h;
	uint32_t	max_frame;	/* our SETTINGS_MAX_FRAME_SIZE */
	uint32_t	remaining;	/* payload bytes of this frame still to read */
	uint32_t	data_left;	/* of them, data bytes (before the padding) */
	uint32_t	cont_sid;	/* nonzero: a header block is open on this
					 * stream: only CONTINUATION on it may follow */
	uint32_t	error;		/* the connection error code once failed */
	uint8_t		state;
	uint8_t		have;		/* bytes gathered in buf */
	uint8_t		need;		/* bytes to gather in buf */
	uint8_t		buf[16];	/* frame header / fixed fields / small payload */
};

/* max_frame_size: our SETTINGS_MAX_FRAME_SIZE (16384 until we send another) */
void
loom__h2_reader_init(struct loom_h2_reader *r, uint32_t max_frame_size);

/* our SETTINGS_MAX_FRAME_SIZE changed (call when the peer ACKed it) */
void
loom__h2_reader_set_max_frame(struct loom_h2_reader *r, uint32_t max_frame_size);

/* the reader's value that means "a connection error": see r->error for the code */
#define LOOM_H2R_CONN_ERROR		(-1)

/*
 * Feeds bytes after the connection preface (any split).  Validates, with no stream
 * state: length > max_frame_size (FRAME_SIZE_ERROR); the fixed lengths of PRIORITY
 * (stream error), RST_STREAM, PING, WINDOW_UPDATE, SETTINGS (a multiple of 6, 0 with
 * ACK) and GOAWAY (>= 8) (FRAME_SIZE_ERROR); stream id 0 where one is needed
 * (DATA, HEADERS, PRIORITY, RST_STREAM, PUSH_PROMISE, CONTINUATION) and nonzero where
 * none is allowed (SETTINGS, PING, GOAWAY) (PROTOCOL_ERROR); pad length >= what is
 * left of the payload (PROTOCOL_ERROR) or a payload too short for its fixed fields
 * (FRAME_SIZE_ERROR); SETTINGS values (loom__h2_settings_check()); WINDOW_UPDATE of 0
 * on stream 0 (PROTOCOL_ERROR); the header block sequence: after HEADERS or
 * PUSH_PROMISE without END_HEADERS, only CONTINUATION on the same stream may come,
 * and CONTINUATION comes only then (PROTOCOL_ERROR).  Unknown frame types pass
 * through (outside a header block) for the role to ignore.
 *
 * Returns 0 when all of in was consumed (*used = len); LOOM_H2R_CONN_ERROR on a
 * connection error (code in r->error; the reader stays failed); or a callback's
 * nonzero return (*used = bytes consumed, through the event that stopped).
 */
int
loom__h2_reader_feed(struct loom_h2_reader *r, const uint8_t *in, size_t len,
		     size_t *used, loom_h2_frame_cb cb, void *opaque);

/* ---- frame writers: big-endian, complete frames unless said otherwise ---- */

/* the 9-byte header only (DATA / HEADERS / CONTINUATION whose payload the caller
 * places after it); returns 9 */
size_t
loom__h2_put_hdr(uint8_t *out, uint32_t len, uint8_t type, uint8_t flags,
		 uint32_t sid);

/* SETTINGS with n entries (9 + 6n bytes); 0 when max is too small */
size_t
loom__h2_put_settings(uint8_t *out, size_t max, const uint16_t *ids,
		      const uint32_t *vals, int n);

/* SETTINGS with ACK (9 bytes) */
size_t
loom__h2_put_settings_ack(uint8_t *out);

/* PING (17 bytes), ack: 0 or 1 */
size_t
loom__h2_put_ping(uint8_t *out, int ack, const uint8_t opaque[8]);

/* GOAWAY (17 + dlen bytes); 0 when max is too small */
size_t
loom__h2_put_goaway(uint8_t *out, size_t max, uint32_t last_sid, uint32_t code,
		    const uint8_t *debug, size_t dlen);

/* RST_STREAM (13 bytes) */
size_t
loom__h2_put_rst(uint8_t *out, uint32_t sid, uint32_t code);

/* WINDOW_UPDATE (13 bytes); incr 1 .. 2^31-1 */
size_t
loom__h2_put_window_update(uint8_t *out, uint32_t sid, uint32_t incr);

#endif
