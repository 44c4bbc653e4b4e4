/*
 * minimal-ss-mqtt-publish: publish COUNT messages (default 5) through an MQTT
 * Secure Stream to "loom/ss/TOPIC" (the policy puts the metadata item "topic" in
 * the topic name) with QoS 1, and read them back through the stream's own
 * subscription. Exits 0 once the broker has acknowledged every one
 * (QOS_ACK_REMOTE) and every one came back. CC0 / public domain: copy it freely.
 *
 *   minimal-ss-mqtt-publish [POLICY.json] [TOPIC] [COUNT]
 */
#include <loom.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pub {
	struct loom_ss_handle *ss;	/* SS stores the handle here */
	int sent, acked, received, count;
};

static struct loom_context *context;
static int result = 1;

static void
check_done(struct pub *p)
{
	if (p->acked == p->count && p->received == p->count) {
		fprintf(stderr, "%d published, acknowledged and received\n", p->count);
		result = 0;
		loom_stop(context);
	}
}

static int
pub_tx(void *userobj, uint8_t *buf, size_t *len, int *flags)
{
	struct pub *p = userobj;

	if (p->sent == p->count)
		return LOOM_SSR_TX_DONT_SEND;
	*len = (size_t)snprintf((char *)buf, *len, "hello %d", p->sent++);
	*flags = LOOM_SS_FLAG_SOM | LOOM_SS_FLAG_EOM;

	return LOOM_SSR_OK;
}

static int
pub_rx(void *userobj, const uint8_t *buf, size_t len, int flags)
{
	struct pub *p = userobj;
	char want[32];

	snprintf(want, sizeof(want), "hello %d", p->received);
	if (len != strlen(want) || memcmp(buf, want, len)) {
		fprintf(stderr, "unexpected: %.*s\n", (int)len, (const char *)buf);
		loom_stop(context);
		return LOOM_SSR_OK;
	}
	p->received++;
	check_done(p);

	return LOOM_SSR_OK;
}

static int
pub_state(void *userobj, void *h_src, int state, unsigned int ack)
{
	struct pub *p = userobj;

	fprintf(stderr, "state %s (%u)\n", loom_ss_state_name(state), ack);
	switch (state) {
	case LOOM_SSS_CONNECTED:
		loom_ss_request_tx(p->ss);
		break;
	case LOOM_SSS_QOS_ACK_REMOTE:
		p->acked++;
		if (p->sent < p->count)
			loom_ss_request_tx(p->ss);
		check_done(p);
		break;
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
	const char *topic = argc > 2 ? argv[2] : "test";
	struct loom_context_info info;
	struct loom_ss_info ssi;
	struct loom_ss_handle *h;

	memset(&info, 0, sizeof(info));
	info.ss_policy_file = argc > 1 ? argv[1] : "mqtt-publish-policy.json";
	/* LOOM_SSPROXY=unix:@loom-ssproxy (say): the streams go through loom-ssproxy,
	 * which owns the policy, instead of being made in this process */
	info.ss_proxy = getenv("LOOM_SSPROXY");
	context = loom_create_context(&info);
	if (!context)
		return 1;

	memset(&ssi, 0, sizeof(ssi));
	ssi.streamtype = "pub";
	ssi.user_alloc = sizeof(struct pub);
	ssi.tx = pub_tx;
	ssi.rx = pub_rx;
	ssi.state = pub_state;
	if (!loom_ss_create(context, 0, &ssi, NULL, &h)) {
		((struct pub *)loom_ss_to_user_object(h))->count =
					argc > 3 ? atoi(argv[3]) : 5;
		loom_ss_set_metadata(h, "topic", topic, strlen(topic));
		while (!loom_is_stopping(context) && loom_service(context, -1) >= 0)
			;
	}
	loom_context_destroy(context);

	return result;
}
