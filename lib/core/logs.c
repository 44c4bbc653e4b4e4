/*
 * logs.c: levelled logging. The mask is checked in the macros before anything is
 * formatted; lines go to a replaceable sink, stderr with a timestamp by default.
 */
#include "core/private-core.h"

#include <stdio.h>
#include <time.h>

#if defined(LOOM_PLAT_UNIX)
#define LOOM_LOG_DEFAULT_SINK loom_log_emit_stderr
#else
/* embedded platforms: no stdio unless the app asks (loom_set_log_level()) */
static void
loom_log_emit_none(int level, const char *line)
{
	(void)level;
	(void)line;
}
#define LOOM_LOG_DEFAULT_SINK loom_log_emit_none
#endif

static int loom_log_level_mask = LOOM_LL_DEFAULT;
static loom_log_emit_fn loom_log_emit = LOOM_LOG_DEFAULT_SINK;

static const char loom_log_letters[LOOM_LL_COUNT] = { 'E', 'W', 'N', 'I', 'D', 'U' };

void
loom_set_log_level(int mask, loom_log_emit_fn emit)
{
	loom_log_level_mask = mask;
	loom_log_emit = emit ? emit : LOOM_LOG_DEFAULT_SINK;
}

int
loom_log_mask(void)
{
	return loom_log_level_mask;
}

static char
loom_log_letter(int level)
{
	int n;

	for (n = 0; n < LOOM_LL_COUNT; n++)
		if (level & (1 << n))
			return loom_log_letters[n];

	return '?';
}

void
loom_log_emit_stderr(int level, const char *line)
{
#if defined(LOOM_PLAT_UNIX)
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "[%lu.%04lu] %c: %s\n", (unsigned long)ts.tv_sec,
		(unsigned long)(ts.tv_nsec / 100000), loom_log_letter(level), line);
#else
	fprintf(stderr, "%c: %s\n", loom_log_letter(level), line);
#endif
}

static void
loom_log_prefixed(int level, const char *prefix, const char *fmt, va_list ap)
{
	char line[512];
	size_t n = 0;

	if (prefix) {
		n = strlen(prefix);
		if (n > sizeof(line) / 2)
			n = sizeof(line) / 2;
		memcpy(line, prefix, n);
		line[n++] = ' ';
	}
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	/* no trailing newline: the sink adds its own */
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	loom_log_emit(level, line);
}

void
_loom_vlog(int level, const char *fmt, va_list ap)
{
	if (!(loom_log_level_mask & level))
		return;
	loom_log_prefixed(level, NULL, fmt, ap);
}

void
_loom_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (!(loom_log_level_mask & level))
		return;
	va_start(ap, fmt);
	loom_log_prefixed(level, NULL, fmt, ap);
	va_end(ap);
}

const char *
loom_conn_tag(const struct loom_conn *conn, char *buf, size_t len)
{
	if (!conn) {
		snprintf(buf, len, "[c|-]");
		return buf;
	}
	snprintf(buf, len, "[c|%u.%u|%s|%s]", conn->pt ? conn->pt->tsi : 0u,
		 conn->serial, conn->role ? loom_conn_role_name(conn) : "-",
		 conn->protocol && conn->protocol->name ? conn->protocol->name : "-");

	return buf;
}

void
_loom_clog(int level, const struct loom_conn *conn, const char *fmt, ...)
{
	char tag[96];
	va_list ap;

	if (!(loom_log_level_mask & level))
		return;
	va_start(ap, fmt);
	loom_log_prefixed(level, loom_conn_tag(conn, tag, sizeof(tag)), fmt, ap);
	va_end(ap);
}

void
(_loom_vhlog)(int level, const struct loom_vhost *vh, const char *fmt, ...)
{
	char tag[96];
	va_list ap;

	if (!(loom_log_level_mask & level))
		return;
	snprintf(tag, sizeof(tag), "[vh|%s|%d]", vh && vh->name ? vh->name : "-",
		 vh ? vh->listen_port : -1);
	va_start(ap, fmt);
	loom_log_prefixed(level, tag, fmt, ap);
	va_end(ap);
}
