/*
 * topic.c: MQTT topic helpers that need no connection: filter validity, matching a
 * topic name against a filter, and reason codes as text.
 */
#include "roles/mqtt/private-mqtt.h"

#include <string.h>

int
loom_mqtt_topic_filter_valid(const char *filter)
{
	size_t len, i;

	if (!filter)
		return 0;
	len = strlen(filter);
	if (!len || len > 65535 || !loom__mqtt_utf8_valid((const uint8_t *)filter, len))
		return 0;
	for (i = 0; i < len; i++) {
		/* a wildcard is a whole level; '#' only the last one */
		if (filter[i] == '+' &&
		    ((i && filter[i - 1] != '/') || (i + 1 < len && filter[i + 1] != '/')))
			return 0;
		if (filter[i] == '#' &&
		    ((i && filter[i - 1] != '/') || i + 1 != len))
			return 0;
	}

	return 1;
}

int
loom_mqtt_topic_match(const char *filter, const char *topic, size_t topic_len)
{
	const char *f = filter, *t = topic, *tend = topic + topic_len;

	if (!loom_mqtt_topic_filter_valid(filter) || !topic)
		return 0;
	/* $SYS and friends are not matched by a leading wildcard */
	if (topic_len && *topic == '$' && (*f == '+' || *f == '#'))
		return 0;
	for (;;) {
		if (*f == '#')
			return 1;	/* the rest, and the parent level itself */
		if (*f == '+') {
			while (t < tend && *t != '/')
				t++;
			f++;
		} else {
			while (*f && *f != '/' && t < tend && *t != '/') {
				if (*f != *t)
					return 0;
				f++;
				t++;
			}
			if ((*f && *f != '/') || (t < tend && *t != '/'))
				return 0;	/* one level is longer */
		}
		/* both at a '/' or at their ends */
		if (!*f && t == tend)
			return 1;
		if (!*f)
			return 0;
		if (t == tend)
			/* "a/#" matches "a" */
			return f[0] == '/' && f[1] == '#' && !f[2];
		f++;
		t++;
	}
}

struct mqtt_reason {
	uint8_t code;
	const char *text;
};

static const struct mqtt_reason reasons[] = {
	{ 0x00, "success" },
	{ 0x01, "granted QoS 1" },
	{ 0x02, "granted QoS 2" },
	{ 0x04, "disconnect with will message" },
	{ 0x10, "no matching subscribers" },
	{ 0x11, "no subscription existed" },
	{ 0x18, "continue authentication" },
	{ 0x19, "re-authenticate" },
	{ 0x80, "unspecified error" },
	{ 0x81, "malformed packet" },
	{ 0x82, "protocol error" },
	{ 0x83, "implementation specific error" },
	{ 0x84, "unsupported protocol version" },
	{ 0x85, "client identifier not valid" },
	{ 0x86, "bad user name or password" },
	{ 0x87, "not authorized" },
	{ 0x88, "server unavailable" },
	{ 0x89, "server busy" },
	{ 0x8a, "banned" },
	{ 0x8b, "server shutting down" },
	{ 0x8c, "bad authentication method" },
	{ 0x8d, "keep alive timeout" },
	{ 0x8e, "session taken over" },
	{ 0x8f, "topic filter invalid" },
	{ 0x90, "topic name invalid" },
	{ 0x91, "packet identifier in use" },
	{ 0x92, "packet identifier not found" },
	{ 0x93, "receive maximum exceeded" },
	{ 0x94, "topic alias invalid" },
	{ 0x95, "packet too large" },
	{ 0x96, "message rate too high" },
	{ 0x97, "quota exceeded" },
	{ 0x98, "administrative action" },
	{ 0x99, "payload format invalid" },
	{ 0x9a, "retain not supported" },
	{ 0x9b, "QoS not supported" },
	{ 0x9c, "use another server" },
	{ 0x9d, "server moved" },
	{ 0x9e, "shared subscriptions not supported" },
	{ 0x9f, "connection rate exceeded" },
	{ 0xa0, "maximum connect time" },
	{ 0xa1, "subscription identifiers not supported" },
	{ 0xa2, "wildcard subscriptions not supported" },
};

const char *
loom_mqtt_reason_text(uint8_t reason)
{
	size_t n;

	for (n = 0; n < sizeof(reasons) / sizeof(reasons[0]); n++)
		if (reasons[n].code == reason)
			return reasons[n].text;

	return "unknown reason code";
}
