/*
 * api-test-ss-serialization: the SS serialization codec. Every frame type encodes
 * and decodes back to its fields, as a whole and split at every byte; payload and
 * metadata values come through in pieces without being buffered; each malformed
 * frame (unknown type, wrong direction, wrong length, bad name, name past the
 * limit, bad flags or state, zero credit) is refused with its error, and the
 * decoder refuses everything after an error; encoders refuse what they cannot
 * write. An SSPC-only build (no proxy, so no decoding of client frames): those
 * frames refused in either role.
 */
#include "core/private-core.h"
#include "secure-streams/serialization/private-ss-ser.h"
#include "loom-test.h"

#include <stdio.h>
#include <string.h>

/* the events, printed to a string; data pieces joined */
static char got[8192];
static size_t got_len, data_total;

static int
rec(void *opaque, const struct loom_sser_ev *e)
{
	int n = 0;

	(void)opaque;
	switch (e->ev) {
	case LOOM_SSEV_MD_DATA:
	case LOOM_SSEV_PAYLOAD_DATA:
		data_total += e->len;
		n = (int)(sizeof(got) - 1 - got_len);	/* as much as fits */
		if ((size_t)n > e->len)
			n = (int)e->len;
		memcpy(got + got_len, e->buf, (size_t)n);
		got_len += (size_t)n;
		got[got_len] = '\0';
		return 0;
	default:
		n = snprintf(got + got_len, sizeof(got) - got_len, "|%d %u %u %s:",
			     (int)e->ev, (unsigned int)e->u32a, (unsigned int)e->u32b,
			     e->str ? e->str : "-");
		break;
	}
	if (n > 0)
		got_len += (size_t)n;

	return 0;
}

/* decode whole and split at every byte: both must give \p want (and \p err) */
static void
expect(enum loom_sser_role role, const uint8_t *in, size_t len, int err,
       const char *want)
{
	struct loom_sser_dec d;
	char whole[8192];
	size_t n;
	int r;

	got_len = 0;
	got[0] = '\0';
	loom__sser_dec_init(&d, role);
	r = loom__sser_feed(&d, in, len, rec, NULL);
	LT_CHECK_EQ(r, err);
	if (want && strcmp(got, want))
		fprintf(stderr, "got  '%s'\nwant '%s'\n", got, want);
	if (want)
		LT_CHECK(!strcmp(got, want));
	memcpy(whole, got, got_len + 1);

	got_len = 0;
	got[0] = '\0';
	loom__sser_dec_init(&d, role);
	r = 0;
	for (n = 0; n < len && !r; n++)
		r = loom__sser_feed(&d, in + n, 1, rec, NULL);
	LT_CHECK_EQ(r, err);
	LT_CHECK(!strcmp(got, whole));
	if (err)	/* sticky */
		LT_CHECK_EQ(loom__sser_feed(&d, in, 1, rec, NULL), err);
}

int
main(void)
{
	uint8_t b[70000], *p;
	size_t n;

#if !defined(LOOM_WITH_SS)
	{
		/* an SSPC-only build has no proxy in it: the frames only clients
		 * send are refused in either role, and the rest of this test (the
		 * proxy's decoding) is for the builds that have one */
		static const uint8_t hello[] = { 0x01, 0, 6, 1, 0, 0, 0, 1, 'a' },
				     req_tx[] = { 0x05, 0, 0 },
				     connect[] = { 0x08, 0, 0 },
				     destroy[] = { 0x09, 0, 0 },
				     credit[] = { 0x06, 0, 4, 0, 0, 1, 0 };

		expect(LOOM_SSER_ROLE_PROXY, hello, sizeof(hello), LOOM_SSER_E_DIRECTION, "");
		expect(LOOM_SSER_ROLE_CLIENT, hello, sizeof(hello), LOOM_SSER_E_DIRECTION, "");
		expect(LOOM_SSER_ROLE_PROXY, req_tx, sizeof(req_tx), LOOM_SSER_E_DIRECTION, "");
		expect(LOOM_SSER_ROLE_PROXY, connect, sizeof(connect), LOOM_SSER_E_DIRECTION,
		       "");
		expect(LOOM_SSER_ROLE_CLIENT, destroy, sizeof(destroy),
		       LOOM_SSER_E_DIRECTION, "");
		expect(LOOM_SSER_ROLE_CLIENT, credit, sizeof(credit), 0, "|7 256 0 -:");
		return lt_result("api-test-ss-serialization");
	}
#endif
	/* a client's session, as the proxy decodes it */
	p = b;
	p += loom__sser_put_hello(p, 100, 65536, "hello_world");
	n = loom__sser_put_metadata_hdr(p, 100, "path", 11);
	LT_CHECK_EQ(n, 3 + 1 + 4);
	memcpy(p + n, "/index.html", 11);
	p += n + 11;
	p += loom__sser_put_req_tx(p, 100, 1, 1234);
	n = loom__sser_put_payload_hdr(p, 100, LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM, 7);
	memcpy(p + n, "{\"a\":1}", 7);
	p += n + 7;
	p += loom__sser_put_credit(p, 100, 4096);
	p += loom__sser_put_empty(p, 100, LOOM_SSER_CONNECT);
	p += loom__sser_put_req_tx(p, 100, 0, 0);
	p += loom__sser_put_empty(p, 100, LOOM_SSER_DESTROY);
	expect(LOOM_SSER_ROLE_PROXY, b, (size_t)(p - b), 0,
	       "|0 1 65536 hello_world:|2 11 0 path:/index.html|6 1 1234 -:"
	       "|4 3 7 -:{\"a\":1}|7 4096 0 -:|9 0 0 -:|6 0 0 -:|10 0 0 -:");

	/* the proxy's side, as a client decodes it */
	p = b;
	p += loom__sser_put_created(p, 100, LOOM_SSER_R_OK, 32768);
	p += loom__sser_put_state(p, 100, LOOM_SSS_CREATING, 0);
	p += loom__sser_put_state(p, 100, LOOM_SSS_CONNECTED, 0);
	p += loom__sser_put_state(p, 100, LOOM_SSS_QOS_ACK_REMOTE, 200);
	n = loom__sser_put_metadata_hdr(p, 100, "ctype", 0);	/* empty value */
	p += n;
	n = loom__sser_put_payload_hdr(p, 100, LOOM_SS_FLAG_EOM, 0);	/* empty */
	p += n;
	expect(LOOM_SSER_ROLE_CLIENT, b, (size_t)(p - b), 0,
	       "|1 0 32768 -:|8 1 0 -:|8 5 0 -:|8 10 200 -:|2 0 0 ctype:|4 2 0 -:");

	/* the biggest payload frame, passed through in pieces */
	n = loom__sser_put_payload_hdr(b, sizeof(b), LOOM_SS_FLAG_SOM,
				       LOOM_SSER_MAX_PAYLOAD);
	LT_CHECK_EQ(n, 4);
	memset(b + n, 'x', LOOM_SSER_MAX_PAYLOAD);
	data_total = 0;
	expect(LOOM_SSER_ROLE_CLIENT, b, n + LOOM_SSER_MAX_PAYLOAD, 0, NULL);
	LT_CHECK_EQ(data_total, 2 * (size_t)LOOM_SSER_MAX_PAYLOAD);	/* two decodes */
	LT_CHECK_EQ(loom__sser_put_payload_hdr(b, sizeof(b), 0,
					       LOOM_SSER_MAX_PAYLOAD + 1), 0);

	/* names at and past the limit */
	{
		char name[LOOM_SSER_NAME_MAX + 2];

		memset(name, 'n', sizeof(name));
		name[LOOM_SSER_NAME_MAX] = '\0';
		n = loom__sser_put_hello(b, sizeof(b), 1, name);
		LT_CHECK_EQ(n, 3 + 5 + LOOM_SSER_NAME_MAX);
		expect(LOOM_SSER_ROLE_PROXY, b, n, 0, NULL);
		n = loom__sser_put_metadata_hdr(b, sizeof(b), name, 0);
		LT_CHECK_EQ(n, 3 + 1 + LOOM_SSER_NAME_MAX);
		expect(LOOM_SSER_ROLE_PROXY, b, n, 0, NULL);
		name[LOOM_SSER_NAME_MAX] = 'n';
		name[LOOM_SSER_NAME_MAX + 1] = '\0';
		LT_CHECK_EQ(loom__sser_put_hello(b, sizeof(b), 1, name), 0);
		LT_CHECK_EQ(loom__sser_put_metadata_hdr(b, sizeof(b), name, 0), 0);
		LT_CHECK_EQ(loom__sser_put_hello(b, sizeof(b), 1, ""), 0);
		LT_CHECK_EQ(loom__sser_put_hello(b, sizeof(b), 1, "a b"), 0);
	}

	/* malformed frames */
#define F(...) (const uint8_t []){ __VA_ARGS__ }, sizeof((const uint8_t []){ __VA_ARGS__ })
	expect(LOOM_SSER_ROLE_PROXY, F(0x00, 0, 0), LOOM_SSER_E_TYPE, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x0a, 0, 0), LOOM_SSER_E_TYPE, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0xff, 0, 1, 0), LOOM_SSER_E_TYPE, "");
	/* frames only the other side sends */
	expect(LOOM_SSER_ROLE_PROXY, F(0x02, 0, 5, 0, 0, 0, 0, 1), LOOM_SSER_E_DIRECTION, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x07, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0),
	       LOOM_SSER_E_DIRECTION, "");
	expect(LOOM_SSER_ROLE_CLIENT, F(0x01, 0, 6, 1, 0, 0, 0, 1, 'a'),
	       LOOM_SSER_E_DIRECTION, "");
	expect(LOOM_SSER_ROLE_CLIENT, F(0x08, 0, 0), LOOM_SSER_E_DIRECTION, "");
	/* lengths */
	expect(LOOM_SSER_ROLE_PROXY, F(0x01, 0, 5, 1, 0, 0, 0, 1), LOOM_SSER_E_LENGTH, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x01, 0, 70), LOOM_SSER_E_LENGTH, "");
	expect(LOOM_SSER_ROLE_CLIENT, F(0x02, 0, 4, 0, 0, 0, 1), LOOM_SSER_E_LENGTH, "");
	expect(LOOM_SSER_ROLE_CLIENT, F(0x07, 0, 9), LOOM_SSER_E_LENGTH, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x05, 0, 3), LOOM_SSER_E_LENGTH, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x06, 0, 0), LOOM_SSER_E_LENGTH, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x08, 0, 1, 0), LOOM_SSER_E_LENGTH, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x04, 0, 0), LOOM_SSER_E_LENGTH, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x03, 0, 1, 1), LOOM_SSER_E_LENGTH, "");
	/* names */
	expect(LOOM_SSER_ROLE_PROXY, F(0x01, 0, 7, 1, 0, 0, 0, 1, 'a', ' '),
	       LOOM_SSER_E_NAME, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x01, 0, 6, 1, 0, 0, 0, 1, 0), LOOM_SSER_E_NAME, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x03, 0, 3, 0, 'a', 'b'), LOOM_SSER_E_NAME, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x03, 0, 3, 5, 'a', 'b'), LOOM_SSER_E_NAME, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x03, 0, 70, 65), LOOM_SSER_E_NAME, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x03, 0, 3, 2, 'a', 0x7f), LOOM_SSER_E_NAME, "");
	/* values */
	expect(LOOM_SSER_ROLE_PROXY, F(0x01, 0, 6, 0, 0, 0, 0, 1, 'a'), LOOM_SSER_E_VALUE, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x04, 0, 2, 4, 'x'), LOOM_SSER_E_VALUE, "");
	expect(LOOM_SSER_ROLE_PROXY, F(0x06, 0, 4, 0, 0, 0, 0), LOOM_SSER_E_VALUE, "");
	expect(LOOM_SSER_ROLE_CLIENT, F(0x07, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0),
	       LOOM_SSER_E_VALUE, "");
	expect(LOOM_SSER_ROLE_CLIENT, F(0x07, 0, 8, 0, 0, 0, 17, 0, 0, 0, 0),
	       LOOM_SSER_E_VALUE, "");
	expect(LOOM_SSER_ROLE_CLIENT, F(0x02, 0, 5, 5, 0, 0, 0, 0), LOOM_SSER_E_VALUE, "");
	/* a good frame, then garbage: the good one is told, then the error */
	expect(LOOM_SSER_ROLE_PROXY, F(0x08, 0, 0, 0x42, 0, 0), LOOM_SSER_E_TYPE,
	       "|9 0 0 -:");

	/* encoders refuse short buffers and bad fields */
	LT_CHECK_EQ(loom__sser_put_hello(b, 10, 1, "abc"), 0);
	LT_CHECK_EQ(loom__sser_put_created(b, 7, 0, 1), 0);
	LT_CHECK_EQ(loom__sser_put_created(b, 100, 9, 1), 0);
	LT_CHECK_EQ(loom__sser_put_state(b, 100, 0, 0), 0);
	LT_CHECK_EQ(loom__sser_put_state(b, 10, 1, 0), 0);
	LT_CHECK_EQ(loom__sser_put_credit(b, 100, 0), 0);
	LT_CHECK_EQ(loom__sser_put_payload_hdr(b, 100, 4, 1), 0);
	LT_CHECK_EQ(loom__sser_put_empty(b, 100, LOOM_SSER_STATE), 0);
	LT_CHECK_EQ(loom__sser_put_empty(b, 2, LOOM_SSER_CONNECT), 0);

	return lt_result("api-test-ss-serialization");
}
