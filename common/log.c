/* SPDX-License-Identifier: BSD-3-Clause */
/* log.c -- leveled logging to stderr, one write(2) per line so concurrent writers don't interleave
 */
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum daxmr_log_level log_level = DAXMR_LOG_NOTICE;
static const char *log_ident = "daxmr";
static enum daxmr_log_sink log_sink = DAXMR_LOG_SINK_PLAIN;
static bool log_detected;

static const char *const log_level_names[] = {
	[DAXMR_LOG_ERROR] = "error", [DAXMR_LOG_WARN] = "warning", [DAXMR_LOG_NOTICE] = "notice",
	[DAXMR_LOG_INFO] = "info",   [DAXMR_LOG_DEBUG] = "debug",
};

/* syslog(3) priorities: LOG_ERR 3, LOG_WARNING 4, LOG_NOTICE 5, LOG_INFO 6, LOG_DEBUG 7 */
static const int log_priorities[] = {
	[DAXMR_LOG_ERROR] = 3, [DAXMR_LOG_WARN] = 4,  [DAXMR_LOG_NOTICE] = 5,
	[DAXMR_LOG_INFO] = 6,  [DAXMR_LOG_DEBUG] = 7,
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

/* The syslog priority of a level. */
int daxmr_log_priority(enum daxmr_log_level level)
{
	return log_priorities[level > DAXMR_LOG_DEBUG ? DAXMR_LOG_DEBUG : level];
}

/* Whether $JOURNAL_STREAM ("DEV:INODE", decimal) names stderr: systemd sets it for the service
 * whose stderr it connected to the journal; a child that got another stderr must not trust it. */
static bool log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int n = 0;

	if (!js || sscanf(js, "%llu:%llu%n", &dev, &ino, &n) != 2 || js[n] != '\0')
		return false;
	if (fstat(STDERR_FILENO, &st))
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* Picks the form of the lines from what stderr is. */
enum daxmr_log_sink daxmr_log_detect(void)
{
	int saved_errno = errno; /* isatty sets ENOTTY: the caller's errno must survive */

	if (log_stderr_is_journal())
		log_sink = DAXMR_LOG_SINK_JOURNAL;
	else if (isatty(STDERR_FILENO))
		log_sink = DAXMR_LOG_SINK_TERMINAL;
	else
		log_sink = DAXMR_LOG_SINK_PLAIN;
	log_detected = true;
	errno = saved_errno;
	return log_sink;
}

/* The line's prefix in the sink's form; its length, or -1. */
static int log_prefix(char *line, size_t size, enum daxmr_log_level level)
{
	const char *name = log_level_names[level];
	struct timespec ts;
	struct tm tm;
	char when[32];

	switch (log_sink) {
	case DAXMR_LOG_SINK_JOURNAL:
		return snprintf(line, size, "<%d>%s: ", log_priorities[level], name);
	case DAXMR_LOG_SINK_TERMINAL:
		clock_gettime(CLOCK_REALTIME, &ts);
		if (!localtime_r(&ts.tv_sec, &tm) ||
		    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
			break;
		return snprintf(line, size, "%s.%03ld %s: %s: ", when, ts.tv_nsec / 1000000,
				log_ident, name);
	case DAXMR_LOG_SINK_PLAIN:
		break;
	}
	return snprintf(line, size, "%s: %s: ", log_ident, name);
}

/* Formats one line into a stack buffer and writes it with a single write(2). */
void daxmr_log_v(enum daxmr_log_level level, const char *fmt, va_list ap)
{
	int saved_errno = errno; /* callers may log and then read errno: leave it as it was */
	char line[1024];
	int n, m;

	if (level > log_level)
		return;
	if (level > DAXMR_LOG_DEBUG)
		level = DAXMR_LOG_DEBUG;
	if (!log_detected)
		(void)daxmr_log_detect();
	n = log_prefix(line, sizeof(line), level);
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
