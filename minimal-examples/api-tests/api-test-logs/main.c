/*
 * api-test-logs: the log mask (a level outside it is neither formatted nor emitted,
 * also for the library's own lines), custom sinks, conn tags, truncation, strerror.
 */
#include <loom.h>
#include <stdlib.h>
#include <string.h>

#include "loom-test.h"

#define CAP_LINES 256
#define CAP_LEN 4096

static struct {
	int level;
	size_t len;
	char line[CAP_LEN];
} cap[CAP_LINES];
static int cap_count, cap_dropped, formatted;

static void
cap_emit(int level, const char *line)
{
	size_t n = strlen(line);

	if (cap_count == CAP_LINES || n >= CAP_LEN) {
		cap_dropped++;
		return;
	}
	cap[cap_count].level = level;
	cap[cap_count].len = n;
	memcpy(cap[cap_count].line, line, n + 1);
	cap_count++;
}

static void
cap_reset(void)
{
	cap_count = cap_dropped = 0;
}

/* a format argument with a side effect: counts how often it was evaluated */
static int
counted_arg(void)
{
	return ++formatted;
}

static int
cap_find(const char *needle)
{
	int i;

	for (i = 0; i < cap_count; i++)
		if (strstr(cap[i].line, needle))
			return i;

	return -1;
}

static const int levels[LOOM_LL_COUNT] = {
	LOOM_LL_ERR, LOOM_LL_WARN, LOOM_LL_NOTICE, LOOM_LL_INFO, LOOM_LL_DEBUG,
	LOOM_LL_USER
};

/* with only one level in the mask, only that macro formats and emits */
static void
test_mask(void)
{
	int l, i, ok_levels = 1;

	for (l = 0; l < LOOM_LL_COUNT; l++) {
		cap_reset();
		formatted = 0;
		loom_set_log_level(levels[l], cap_emit);
		LT_CHECK_EQ(loom_log_mask(), levels[l]);
		loom_log_err("err %d", counted_arg());
		loom_log_warn("warn %d", counted_arg());
		loom_log_notice("notice %d", counted_arg());
		loom_log_info("info %d", counted_arg());
		loom_log_debug("debug %d", counted_arg());
		loom_log_user("user %d", counted_arg());
		LT_CHECK_EQ(formatted, 1);
		LT_CHECK_EQ(cap_count, 1);
		if (cap_count == 1) {
			static const char *const names[] = {
				"err 1", "warn 1", "notice 1", "info 1", "debug 1", "user 1"
			};

			LT_CHECK_EQ(cap[0].level, levels[l]);
			LT_CHECK(!strcmp(cap[0].line, names[l]));
		}
		/* the conn-tagged macros too (conn NULL is allowed: "[c|-]") */
		cap_reset();
		formatted = 0;
		loom_clog_err(NULL, "e %d", counted_arg());
		loom_clog_warn(NULL, "w %d", counted_arg());
		loom_clog_notice(NULL, "n %d", counted_arg());
		loom_clog_info(NULL, "i %d", counted_arg());
		loom_clog_debug(NULL, "d %d", counted_arg());
		LT_CHECK_EQ(formatted, levels[l] == LOOM_LL_USER ? 0 : 1);
		LT_CHECK_EQ(cap_count, formatted);
		for (i = 0; i < cap_count; i++)
			if (cap[i].level != levels[l] || strncmp(cap[i].line, "[c|", 3))
				ok_levels = 0;
	}
	LT_CHECK(ok_levels);

	/* empty mask: nothing at all */
	cap_reset();
	formatted = 0;
	loom_set_log_level(0, cap_emit);
	loom_log_err("%d", counted_arg());
	loom_log_user("%d", counted_arg());
	LT_CHECK_EQ(formatted + cap_count, 0);

	/* all levels: everything, each with its own level */
	cap_reset();
	loom_set_log_level(0x3f, cap_emit);
	loom_log_err("a");
	loom_log_debug("b");
	loom_log_user("c");
	LT_CHECK_EQ(cap_count, 3);
	LT_CHECK(cap_count == 3 && cap[0].level == LOOM_LL_ERR &&
		 cap[1].level == LOOM_LL_DEBUG && cap[2].level == LOOM_LL_USER);
}

/* ---- a real connection: its lines carry its tag ---- */

static struct loom_conn *srv_conn, *cli_conn;
static int cli_connected, srv_adopted, closed;

static int
cb_logtest(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	   void *in, size_t len)
{
	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		srv_conn = conn;
		srv_adopted = 1;
		loom_clog_notice(conn, "server side %d", 1);
		break;
	case LOOM_CB_RAW_CONNECTED:
		cli_conn = conn;
		cli_connected = 1;
		loom_clog_notice(conn, "client side %d", 2);
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		closed++;
		break;
	case LOOM_CB_RAW_CLOSE:
		closed++;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "logtest", cb_logtest, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

/* lines reach the sink without a trailing newline; over-long ones are cut safely */
static void
test_format(void)
{
	char *big = malloc(2001);
	size_t i;
	int k;

	loom_set_log_level(0x3f, cap_emit);
	cap_reset();
	loom_log_user("one\n");
	loom_log_user("two\r\n");
	loom_log_user("three\n\n");
	loom_log_user("%s", "");
	LT_CHECK_EQ(cap_count, 4);
	LT_CHECK(!strcmp(cap[0].line, "one"));
	LT_CHECK(!strcmp(cap[1].line, "two"));
	LT_CHECK(!strcmp(cap[2].line, "three"));
	LT_CHECK(!strcmp(cap[3].line, ""));

	if (!big) {
		LT_CHECK(0);
		return;
	}
	for (i = 0; i < 2000; i++)
		big[i] = (char)('a' + i % 26);
	big[2000] = '\0';

	cap_reset();
	loom_log_user("<%s>", big);
	loom_clog_notice(NULL, "<%s>", big);
	LT_CHECK_EQ(cap_count, 2);
	LT_CHECK_EQ(cap_dropped, 0);
	for (k = 0; k < cap_count; k++) {
		const char *p = cap[k].line;

		/* cut somewhere, but a useful length of it kept, and what is kept is right */
		LT_CHECK(cap[k].len < 2002);
		LT_CHECK(cap[k].len >= 200);
		if (!k)
			LT_CHECK(!strncmp(p, "<", 1));
		else {
			LT_CHECK(!strncmp(p, "[c|-] <", 7));
			p += 6;
		}
		LT_CHECK(!strncmp(p + 1, big, strlen(p + 1)));
	}

	/* a vhost name far longer than any tag buffer, in the vhost-tagged lines */
	{
		struct loom_context_info info;
		struct loom_vhost_info vi;
		struct loom_context *ctx;

		memset(&info, 0, sizeof(info));
		memset(&vi, 0, sizeof(vi));
		vi.name = big;
		vi.options = LOOM_VHOST_OPT_RAW;
		vi.iface = "127.0.0.1";
		vi.protocols = protocols;
		cap_reset();
		ctx = loom_create_context(&info);
		LT_CHECK(ctx != NULL);
		if (ctx) {
			LT_CHECK(loom_create_vhost(ctx, &vi) != NULL);
			k = cap_find("[vh|abcdefghijklmnopqrstuvwxyzabc");
			LT_CHECK(k >= 0);	/* the "listening on" notice */
			for (k = 0; k < cap_count; k++)
				LT_CHECK(cap[k].len < 2000);
			loom_context_destroy(ctx);
		}
	}
	free(big);
}

static void
test_conn_tags(void)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_client_connect_info ci;
	struct loom_context *ctx;
	struct loom_vhost *vh;
	loom_usec_t end;
	char tag_srv[128], tag_cli[128];
	int i, k, bad;

	/* the library's own lines honour the mask: with only ERR and USER on, nothing
	 * of another level reaches the sink while a context, a listener and a
	 * connection come and go (they do log NOTICE/INFO/DEBUG lines otherwise) */
	cap_reset();
	loom_set_log_level(LOOM_LL_ERR | LOOM_LL_USER, cap_emit);
	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return;
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.options = LOOM_VHOST_OPT_RAW;
	vinfo.iface = "127.0.0.1";
	vinfo.port = 0;
	vinfo.protocols = protocols;
	vh = loom_create_vhost(ctx, &vinfo);
	LT_CHECK(vh != NULL);
	if (!vh) {
		loom_context_destroy(ctx);
		return;
	}
	bad = 0;
	for (i = 0; i < cap_count; i++)
		if (!(cap[i].level & (LOOM_LL_ERR | LOOM_LL_USER))) {
			fprintf(stderr, "level %d line emitted with mask 0x%x: '%s'\n",
				cap[i].level, LOOM_LL_ERR | LOOM_LL_USER, cap[i].line);
			bad++;
		}
	LT_CHECK_EQ(bad, 0);

	/* now everything, to see the conn lines and their tags */
	cap_reset();
	loom_set_log_level(0x3f, cap_emit);
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.address = "127.0.0.1";
	ci.port = loom_vhost_port(vh);
	ci.flags = LOOM_CONNECT_RAW;
	LT_CHECK(loom_client_connect(&ci) != NULL);
	end = loom_now_usecs() + 3000000;
	while ((!srv_adopted || !cli_connected) && loom_now_usecs() < end)
		loom_service(ctx, 50);
	LT_CHECK(srv_adopted && cli_connected);
	if (srv_adopted && cli_connected) {
		loom_conn_tag(srv_conn, tag_srv, sizeof(tag_srv));
		loom_conn_tag(cli_conn, tag_cli, sizeof(tag_cli));
		LT_CHECK(!strncmp(tag_srv, "[c|", 3));
		LT_CHECK(strstr(tag_srv, "logtest") != NULL);
		LT_CHECK(strstr(tag_srv, "raw-skt") != NULL);
		LT_CHECK(strcmp(tag_srv, tag_cli));	/* two conns, two tags */

		k = cap_find("server side 1");
		LT_CHECK(k >= 0);
		if (k >= 0) {
			LT_CHECK_EQ(cap[k].level, LOOM_LL_NOTICE);
			LT_CHECK(!strncmp(cap[k].line, tag_srv, strlen(tag_srv)));
			LT_CHECK(!strcmp(cap[k].line + strlen(tag_srv), " server side 1"));
		}
		k = cap_find("client side 2");
		LT_CHECK(k >= 0);
		if (k >= 0)
			LT_CHECK(!strncmp(cap[k].line, tag_cli, strlen(tag_cli)));
		/* the library's own lines about the client carry its tag too */
		k = 0;
		for (i = 0; i < cap_count; i++)
			if (!strncmp(cap[i].line, tag_cli, strlen(tag_cli)) &&
			    !strstr(cap[i].line, "client side"))
				k++;
		LT_CHECK(k >= 1);

		loom_close(cli_conn, LOOM_CLOSE_NORMAL);
		end = loom_now_usecs() + 3000000;
		while (closed < 2 && loom_now_usecs() < end)
			loom_service(ctx, 50);
		LT_CHECK_EQ(closed, 2);
	}
	loom_context_destroy(ctx);

	/* nothing the library emitted ended in a newline */
	bad = 0;
	for (i = 0; i < cap_count; i++)
		if (cap[i].len && (cap[i].line[cap[i].len - 1] == '\n' ||
				   cap[i].line[cap[i].len - 1] == '\r'))
			bad++;
	LT_CHECK_EQ(bad, 0);
	LT_CHECK(cap_count > 3);
}

static void
test_strerror(void)
{
	static const int errs[] = {
		LOOM_OK, LOOM_EINVAL, LOOM_ENOMEM, LOOM_EBUSY, LOOM_ESOCKET,
		LOOM_ECLOSED, LOOM_ENOTFOUND, LOOM_ELIMIT, LOOM_EUNSUPP
	};
	const char *s[sizeof(errs) / sizeof(errs[0])];
	const char *unknown = loom_strerror(-1000);
	size_t i, j;

	LT_CHECK(unknown && *unknown);
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		s[i] = loom_strerror(errs[i]);
		LT_CHECK(s[i] && *s[i]);
		if (!s[i])
			return;
		/* a real text, not the fallback */
		if (errs[i])
			LT_CHECK(strcmp(s[i], unknown));
		for (j = 0; j < i; j++)
			LT_CHECK(strcmp(s[i], s[j]));
	}
	LT_CHECK(strstr(loom_strerror(LOOM_ENOMEM), "memory") != NULL);
	LT_CHECK(loom_strerror(-9) && !strcmp(loom_strerror(-9), unknown));
}

int
main(void)
{
	test_mask();
	test_format();
	test_conn_tags();
	test_strerror();
	loom_set_log_level(LOOM_LL_DEFAULT, NULL);
	LT_CHECK_EQ(loom_log_mask(), LOOM_LL_DEFAULT);

	return lt_result("api-test-logs");
}
