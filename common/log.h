/* SPDX-License-Identifier: BSD-3-Clause */
/* log.h -- leveled logging to stderr, shared by daxmrd, libdaxmr and the tools */
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

/* Current threshold; lets callers skip building expensive messages. */
enum daxmr_log_level daxmr_log_get_level(void);

/* Prints one line "<ident>: <level>: <message>" if level is enabled; errno is preserved. */
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
