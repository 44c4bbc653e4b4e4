/*
 * minimal-ss-hello-world: GET a page through a Secure Stream; the policy file
 * says where from (loom-test-server on localhost:7681 by default). Prints the
 * body to stdout, the content type to stderr, and exits 0 on a 2xx response.
 * CC0 / public domain: copy it freely.
 *
 *   minimal-ss-hello-world [POLICY.json]
 */
#include <loom.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hello {
	struct loom_ss_handle *ss;	/* SS stores the handle here (offset 0) */
	size_t got;
};

static struct loom_context *context;
static int result = 1;

static int
hello_rx(void *userobj, const uint8_t *buf, size_t len, int flags)
{
	struct hello *h = userobj;

	h->got += len;
	return fwrite(buf, 1, len, stdout) == len ? LOOM_SSR_OK : LOOM_SSR_DESTROY_ME;
}

static int
hello_state(void *userobj, void *h_src, int state, unsigned int ack)
{
	struct hello *h = userobj;
	const void *ct;
	size_t ctlen;

	fprintf(stderr, "state %s (%u)\n", loom_ss_state_name(state), ack);
	switch (state) {
	case LOOM_SSS_QOS_ACK_REMOTE:
		if (!loom_ss_get_metadata(h->ss, "ctype", &ct, &ctlen))
			fprintf(stderr, "ctype: %.*s\n", (int)ctlen, (const char *)ct);
		result = !h->got;
		/* fallthrough */
	case LOOM_SSS_QOS_NACK_REMOTE:
	case LOOM_SSS_ALL_RETRIES_FAILED:
		loom_stop(context);
		break;
	}

	return LOOM_SSR_OK;
}

int
main(int argc, char **argv)
{
	struct loom_context_info info;
	struct loom_ss_info ssi;
	struct loom_ss_handle *h;

	memset(&info, 0, sizeof(info));
	info.ss_policy_file = argc > 1 ? argv[1] : "hello-world-policy.json";
	/* LOOM_SSPROXY=unix:@loom-ssproxy (say): the streams go through loom-ssproxy,
	 * which owns the policy, instead of being made in this process */
	info.ss_proxy = getenv("LOOM_SSPROXY");
	context = loom_create_context(&info);
	if (!context)
		return 1;

	memset(&ssi, 0, sizeof(ssi));
	ssi.streamtype = "hello";
	ssi.user_alloc = sizeof(struct hello);
	ssi.rx = hello_rx;
	ssi.state = hello_state;
	if (!loom_ss_create(context, 0, &ssi, NULL, &h))
		while (!loom_is_stopping(context) && loom_service(context, -1) >= 0)
			;

	loom_context_destroy(context);

	return result;
}
