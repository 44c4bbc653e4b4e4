/*
 * minimal-ssproxy-pty: many Secure Streams at once over one serial line. Built
 * SSPC-only, with LOOM_SSPROXY=mux:/dev/ttyX (a UART to the proxy, or a pty in
 * the test), every stream is one channel of the transport mux; loom-ssproxy
 * --mux on the other end of the line makes the real connections.
 * CC0 / public domain: copy it freely.
 *
 *   LOOM_SSPROXY=mux:/dev/ttyX minimal-ssproxy-pty STREAMTYPE COUNT OUTDIR
 *
 * Opens COUNT streams of STREAMTYPE together; each body goes to OUTDIR/stream-N.
 * A stream that sees DISCONNECTED (the line was cut) starts its body again; it
 * reconnects by itself. Prints one line per stream and exits 0 when all are done.
 */
#include <loom.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STREAMS	64
#define MAX_BODY	(4 * 1024 * 1024)

struct fetch {
	struct loom_ss_handle *ss;	/* SS stores the handle here (offset 0) */
	const int *idx;			/* the opaque pointer: our stream's index */
};

static int idxs[MAX_STREAMS];

static struct {
	unsigned char *body;
	size_t len;
	int disconnects, connects, done, failed;
	struct loom_ss_handle *ss;
} st[MAX_STREAMS];

static struct loom_context *context;
static int count, finished;
static const char *outdir;

static int
f_rx(void *userobj, const uint8_t *buf, size_t len, int flags)
{
	struct fetch *f = userobj;

	(void)flags;
	if (st[*f->idx].len + len > MAX_BODY)
		return LOOM_SSR_DESTROY_ME;
	memcpy(st[*f->idx].body + st[*f->idx].len, buf, len);
	st[*f->idx].len += len;

	return LOOM_SSR_OK;
}

static int
f_state(void *userobj, void *h_src, int state, unsigned int ack)
{
	struct fetch *f = userobj;
	char path[512];
	FILE *fp;
	int i = *f->idx;

	(void)h_src;
	fprintf(stderr, "stream %d: state %s (%u)\n", i, loom_ss_state_name(state), ack);
	switch (state) {
	case LOOM_SSS_DISCONNECTED:
		st[i].disconnects++;
		st[i].len = 0;		/* the body starts again on the next link */
		break;
	case LOOM_SSS_CONNECTED:
		st[i].connects++;
		break;
	case LOOM_SSS_QOS_ACK_REMOTE:
		if (st[i].done)
			break;
		snprintf(path, sizeof(path), "%s/stream-%d", outdir, i);
		fp = fopen(path, "wb");
		if (!fp || fwrite(st[i].body, 1, st[i].len, fp) != st[i].len)
			st[i].failed = 1;
		if (fp)
			fclose(fp);
		st[i].done = 1;
		if (++finished == count)
			loom_stop(context);
		return LOOM_SSR_DESTROY_ME;
	case LOOM_SSS_QOS_NACK_REMOTE:
	case LOOM_SSS_ALL_RETRIES_FAILED:
		st[i].failed = 1;
		st[i].done = 1;
		if (++finished == count)
			loom_stop(context);
		return LOOM_SSR_DESTROY_ME;
	}

	return LOOM_SSR_OK;
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_ss_info ssi;
	int i, bad = 0;

	if (argc != 4 || atoi(argv[2]) < 1 || atoi(argv[2]) > MAX_STREAMS) {
		fprintf(stderr, "usage: %s STREAMTYPE COUNT OUTDIR\n", argv[0]);
		return 2;
	}
	count = atoi(argv[2]);
	outdir = argv[3];
	memset(&info, 0, sizeof(info));
	context = loom_create_context(&info);
	if (!context)
		return 1;

	memset(&ssi, 0, sizeof(ssi));
	ssi.streamtype = argv[1];
	ssi.user_alloc = sizeof(struct fetch);
	ssi.opaque_user_data_offset = offsetof(struct fetch, idx);
	ssi.rx = f_rx;
	ssi.state = f_state;
	for (i = 0; i < count; i++) {
		idxs[i] = i;
		st[i].body = malloc(MAX_BODY);
		if (!st[i].body ||
		    loom_ss_create(context, 0, &ssi, &idxs[i], &st[i].ss)) {
			fprintf(stderr, "stream %d: create failed\n", i);
			return 1;
		}
	}
	while (!loom_is_stopping(context) && loom_service(context, -1) >= 0)
		;

	for (i = 0; i < count; i++) {
		printf("stream %d: %s %zu bytes, %d connects, %d disconnects\n", i,
		       st[i].failed ? "FAILED" : "ok", st[i].len, st[i].connects,
		       st[i].disconnects);
		bad |= st[i].failed;
		free(st[i].body);
	}
	loom_context_destroy(context);

	return bad;
}
