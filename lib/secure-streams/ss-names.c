/*
 * ss-names.c: the names of the Secure Streams states, shared by the in-process
 * SS (ss.c) and the SSPC-only library (sspc/), for logs and users.
 */
#include "core/private-core.h"

static const char * const state_names[] = {
	"?", "CREATING", "DISCONNECTED", "UNREACHABLE", "AUTH_FAILED", "CONNECTED",
	"CONNECTING", "DESTROYING", "POLL", "ALL_RETRIES_FAILED", "QOS_ACK_REMOTE",
	"QOS_NACK_REMOTE", "QOS_ACK_LOCAL", "QOS_NACK_LOCAL", "TIMEOUT", "SERVER_TXN",
	"SERVER_UPGRADE"
};

const char *
loom_ss_state_name(int state)
{
	if (state > 0 && state < (int)(sizeof(state_names) / sizeof(state_names[0])))
		return state_names[state];

	return "?";
}
