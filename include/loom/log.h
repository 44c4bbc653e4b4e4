/*
 * log.h: levelled logging with a runtime mask and a replaceable emit function.
 * Lines about a connection or vhost carry its tag, e.g. "[c|12|raw-skt|echo]".
 */
#ifndef LOOM_LOG_H
#define LOOM_LOG_H

/** \defgroup log Logging
 * @{ */
#define LOOM_LL_ERR	(1 << 0)	/**< errors: something failed */
#define LOOM_LL_WARN	(1 << 1)	/**< warnings: something is wrong but handled */
#define LOOM_LL_NOTICE	(1 << 2)	/**< notable events (listening, config) */
#define LOOM_LL_INFO	(1 << 3)	/**< per-connection life events */
#define LOOM_LL_DEBUG	(1 << 4)	/**< details for debugging */
#define LOOM_LL_USER	(1 << 5)	/**< the application's own lines */
#define LOOM_LL_COUNT	6		/**< how many levels there are */

/** the mask in force until loom_set_log_level() is called */
#define LOOM_LL_DEFAULT (LOOM_LL_ERR | LOOM_LL_WARN | LOOM_LL_NOTICE | LOOM_LL_USER)

/**
 * loom_log_emit_fn - receives one finished log line
 * \param level: one LOOM_LL_ bit
 * \param line: the line, NUL-terminated, without a trailing newline
 */
typedef void (*loom_log_emit_fn)(int level, const char *line);

/**
 * loom_set_log_level() - choose which levels are logged and where they go
 * \param mask: OR of LOOM_LL_ bits
 * \param emit: line sink, or NULL for the default (stderr with a timestamp; on
 *        LOOM_PLAT=lwip and baremetal builds the default drops lines: no stdio)
 */
void
loom_set_log_level(int mask, loom_log_emit_fn emit);

/** loom_log_mask() - the current level mask */
int
loom_log_mask(void);

/** loom_log_emit_stderr() - the default sink: time, level letter and line on stderr */
void
loom_log_emit_stderr(int level, const char *line);

/** _loom_log() - format and emit a line at \p level (use the loom_log_* macros) */
void
_loom_log(int level, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/** _loom_vlog() - va_list form of _loom_log() */
void
_loom_vlog(int level, const char *fmt, va_list ap);

struct loom_conn;
struct loom_vhost;

/** _loom_clog() - like _loom_log() with the connection's tag first */
void
_loom_clog(int level, const struct loom_conn *conn, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/** _loom_vhlog() - like _loom_log() with the vhost's tag first */
void
_loom_vhlog(int level, const struct loom_vhost *vh, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/** loom_conn_tag() - the connection's log tag written into \p buf; returns \p buf */
const char *
loom_conn_tag(const struct loom_conn *conn, char *buf, size_t len);

#if !defined(LOOM_LOG_BUILD_MASK)
/** the levels compiled in (CMake LOOM_LOG_BUILD_MASK, loom-config.h): a level
 * outside it costs no code and no format string, whatever the run-time mask;
 * a device build may set 0 (or LOOM_LL_ERR) to leave the strings out */
#define LOOM_LOG_BUILD_MASK 0x3f
#endif

/** log at \p lvl only if the mask has it: nothing is formatted otherwise */
#define _loom_log_if(lvl, ...) \
	do { if ((LOOM_LOG_BUILD_MASK & (lvl)) && (loom_log_mask() & (lvl))) \
		_loom_log(lvl, __VA_ARGS__); } while (0)
/** _loom_log_if() with connection \p c's tag */
#define _loom_clog_if(lvl, c, ...) \
	do { if ((LOOM_LOG_BUILD_MASK & (lvl)) && (loom_log_mask() & (lvl))) \
		_loom_clog(lvl, c, __VA_ARGS__); } while (0)
/** a vhost's line: compiled out as the others are (logs.c checks the mask) */
#define _loom_vhlog(lvl, vh, ...) \
	do { if (LOOM_LOG_BUILD_MASK & (lvl)) \
		(_loom_vhlog)(lvl, vh, __VA_ARGS__); } while (0)

/** log an error, printf style */
#define loom_log_err(...)	_loom_log_if(LOOM_LL_ERR, __VA_ARGS__)
/** log a warning, printf style */
#define loom_log_warn(...)	_loom_log_if(LOOM_LL_WARN, __VA_ARGS__)
/** log a notice, printf style */
#define loom_log_notice(...)	_loom_log_if(LOOM_LL_NOTICE, __VA_ARGS__)
/** log an info line, printf style */
#define loom_log_info(...)	_loom_log_if(LOOM_LL_INFO, __VA_ARGS__)
/** log a debug line, printf style */
#define loom_log_debug(...)	_loom_log_if(LOOM_LL_DEBUG, __VA_ARGS__)
/** log an application line, printf style */
#define loom_log_user(...)	_loom_log_if(LOOM_LL_USER, __VA_ARGS__)

/** log an error about connection \p c, printf style */
#define loom_clog_err(c, ...)	 _loom_clog_if(LOOM_LL_ERR, c, __VA_ARGS__)
/** log a warning about connection \p c, printf style */
#define loom_clog_warn(c, ...)	 _loom_clog_if(LOOM_LL_WARN, c, __VA_ARGS__)
/** log a notice about connection \p c, printf style */
#define loom_clog_notice(c, ...) _loom_clog_if(LOOM_LL_NOTICE, c, __VA_ARGS__)
/** log an info line about connection \p c, printf style */
#define loom_clog_info(c, ...)	 _loom_clog_if(LOOM_LL_INFO, c, __VA_ARGS__)
/** log a debug line about connection \p c, printf style */
#define loom_clog_debug(c, ...)	 _loom_clog_if(LOOM_LL_DEBUG, c, __VA_ARGS__)
/** @} */

#endif
