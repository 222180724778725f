/* SPDX-License-Identifier: BSD-3-Clause */
/* log.c -- leveled logging to stderr, one write(2) per line so concurrent writers don't interleave
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum daxmr_log_level log_level = DAXMR_LOG_NOTICE;
static const char *log_ident = "daxmr";

static const char *const log_level_names[] = {
	[DAXMR_LOG_ERROR] = "error", [DAXMR_LOG_WARN] = "warning", [DAXMR_LOG_NOTICE] = "notice",
	[DAXMR_LOG_INFO] = "info",   [DAXMR_LOG_DEBUG] = "debug",
};

/* Sets the most verbose level that is printed. */
void daxmr_log_set_level(enum daxmr_log_level level)
{
	if (level > DAXMR_LOG_DEBUG)
		level = DAXMR_LOG_DEBUG;
	log_level = level;
}

/* Names this process in every line. */
void daxmr_log_set_ident(const char *ident)
{
	log_ident = ident ? ident : "daxmr";
}

/* Current threshold. */
enum daxmr_log_level daxmr_log_get_level(void)
{
	return log_level;
}

/* Formats one line into a stack buffer and writes it with a single write(2). */
void daxmr_log_v(enum daxmr_log_level level, const char *fmt, va_list ap)
{
	int saved_errno = errno; /* callers may log and then read errno: leave it as it was */
	char line[1024];
	int n, m;

	if (level > log_level)
		return;
	n = snprintf(line, sizeof(line), "%s: %s: ", log_ident,
		     log_level_names[level > DAXMR_LOG_DEBUG ? DAXMR_LOG_DEBUG : level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		goto out;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		goto out;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2; /* truncated: still end the line */
	line[n++] = '\n';
	/* best effort: a log line that cannot be written has nowhere else to go */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		goto out;
out:
	errno = saved_errno;
}

/* Prints one line if level is enabled. */
void daxmr_log(enum daxmr_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	daxmr_log_v(level, fmt, ap);
	va_end(ap);
}

/* strerror() of a negative or positive errno; strerrordesc_np is thread-safe and static. */
const char *daxmr_log_strerror(int err)
{
	const char *s;

	if (err < 0)
		err = -err;
	s = strerrordesc_np(err);
	return s ? s : "unknown error";
}
