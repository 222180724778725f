/* SPDX-License-Identifier: BSD-3-Clause */
/* log.h -- leveled logging to stderr, shared by daxmrd, libdaxmr and the tools */

/*
 * Three forms of a line, chosen by what stderr is (daxmr_log_detect):
 *   a terminal:  "2026-12-02 13:45:01.123 daxmrd: notice: listening on ..." (local time)
 *   the journal: "<5>notice: listening on ..." (sd-daemon(3) priority prefix; journald adds
 *                the time and the identifier itself). stderr is the journal when
 *                $JOURNAL_STREAM is "DEV:INODE" of stderr's fstat (systemd.exec(5)).
 *   otherwise:   "daxmrd: notice: listening on ..."
 */
#ifndef DAXMR_LOG_H
#define DAXMR_LOG_H

#include <stdarg.h>

enum daxmr_log_level {
	DAXMR_LOG_ERROR = 0,
	DAXMR_LOG_WARN = 1,
	DAXMR_LOG_NOTICE = 2,
	DAXMR_LOG_INFO = 3,
	DAXMR_LOG_DEBUG = 4,
};

/* Sets the most verbose level that is printed (default DAXMR_LOG_NOTICE). */
void daxmr_log_set_level(enum daxmr_log_level level);

/* Names this process in every line, e.g. "daxmrd" (borrowed: must outlive all logging). */
void daxmr_log_set_ident(const char *ident);

/* What stderr is; the form of the lines follows (see the top of this file). */
enum daxmr_log_sink {
	DAXMR_LOG_SINK_PLAIN = 0,
	DAXMR_LOG_SINK_TERMINAL, /* timestamps */
	DAXMR_LOG_SINK_JOURNAL,	 /* <N> priority prefixes */
};

/*
 * Looks at stderr ($JOURNAL_STREAM against its fstat, then isatty) and picks the form of the
 * lines; done once on the first line anyway; call it again after replacing stderr.
 */
enum daxmr_log_sink daxmr_log_detect(void);

/* The syslog priority of a level (3 error .. 7 debug), as the <N> prefix says it. */
int daxmr_log_priority(enum daxmr_log_level level);

/* Current threshold; lets callers skip building expensive messages. */
enum daxmr_log_level daxmr_log_get_level(void);

/* Prints one line "<ident>: <level>: <message>" (in the sink's form) if level is enabled;
 * errno is preserved. */
void daxmr_log(enum daxmr_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void daxmr_log_v(enum daxmr_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define DAXMR_LOG_ERR(fmt, ...) daxmr_log(DAXMR_LOG_ERROR, fmt, ##__VA_ARGS__)
#define DAXMR_LOG_WRN(fmt, ...) daxmr_log(DAXMR_LOG_WARN, fmt, ##__VA_ARGS__)
#define DAXMR_LOG_NTC(fmt, ...) daxmr_log(DAXMR_LOG_NOTICE, fmt, ##__VA_ARGS__)
#define DAXMR_LOG_INF(fmt, ...) daxmr_log(DAXMR_LOG_INFO, fmt, ##__VA_ARGS__)
#define DAXMR_LOG_DBG(fmt, ...) daxmr_log(DAXMR_LOG_DEBUG, fmt, ##__VA_ARGS__)

/*
 * Logs a failed external call once, where it failed: names the call, its subject and the cause.
 * err is a negative errno. Example: DAXMR_LOG_CALL_ERR("ibv_reg_mr", -ret, "export %s", name).
 */
#define DAXMR_LOG_CALL_ERR(call, err, fmt, ...) \
	daxmr_log(DAXMR_LOG_ERROR, "%s: " fmt ": %s", call, ##__VA_ARGS__, daxmr_log_strerror(err))

/* strerror() of a negative (or positive) errno, thread-safe, never NULL. */
const char *daxmr_log_strerror(int err);

#endif /* DAXMR_LOG_H */
