/* SPDX-License-Identifier: BSD-3-Clause */
/* log_test.c -- log's sinks: plain lines, timestamps on a terminal, <N> prefixes for journald */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

static int saved_stderr = -1;

/* Keeps the real stderr, so that each test may replace it and put it back. */
static int log_setup(void **state)
{
	(void)state;
	saved_stderr = dup(STDERR_FILENO);
	daxmr_log_set_ident("logtest");
	daxmr_log_set_level(DAXMR_LOG_DEBUG);
	return saved_stderr < 0 ? -1 : 0;
}

/* Puts the real stderr back and forgets $JOURNAL_STREAM. */
static int log_teardown(void **state)
{
	(void)state;
	unsetenv("JOURNAL_STREAM");
	if (dup2(saved_stderr, STDERR_FILENO) < 0)
		return -1;
	(void)daxmr_log_detect();
	return 0;
}

/* An unlinked temporary file as stderr; returns a second fd on it to read back from. */
static int stderr_to_file(void)
{
	char path[] = "/tmp/daxmr-log-test.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	return fd;
}

/* Everything written to the file so far, as a string. */
static void read_back(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
}

/* Sets $JOURNAL_STREAM to fd's "DEV:INODE" (plus suffix, to make it wrong on purpose). */
static void journal_stream_of(int fd, const char *suffix)
{
	struct stat st;
	char v[64];

	assert_int_equal(fstat(fd, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu%s", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino, suffix);
	assert_int_equal(setenv("JOURNAL_STREAM", v, 1), 0);
}

/* A file, no $JOURNAL_STREAM: "ident: level: message". */
static void log_detect__plain_file(void **state)
{
	char buf[512];
	int fd;

	(void)state;
	unsetenv("JOURNAL_STREAM");
	fd = stderr_to_file();
	assert_int_equal(daxmr_log_detect(), DAXMR_LOG_SINK_PLAIN);
	DAXMR_LOG_NTC("export %s: client %s", "e1", "10.0.2.15:4242");
	read_back(fd, buf, sizeof(buf));
	assert_string_equal(buf, "logtest: notice: export e1: client 10.0.2.15:4242\n");
	close(fd);
}

/* $JOURNAL_STREAM names stderr: "<N>level: message", N the syslog priority of the level. */
static void log_detect__journal_priorities(void **state)
{
	char buf[512];
	int fd;

	(void)state;
	fd = stderr_to_file();
	journal_stream_of(fd, "");
	assert_int_equal(daxmr_log_detect(), DAXMR_LOG_SINK_JOURNAL);
	DAXMR_LOG_ERR("e");
	DAXMR_LOG_WRN("w");
	DAXMR_LOG_NTC("n");
	DAXMR_LOG_INF("i");
	DAXMR_LOG_DBG("d");
	read_back(fd, buf, sizeof(buf));
	assert_string_equal(buf, "<3>error: e\n<4>warning: w\n<5>notice: n\n<6>info: i\n"
				 "<7>debug: d\n");
	assert_int_equal(daxmr_log_priority(DAXMR_LOG_ERROR), 3);
	assert_int_equal(daxmr_log_priority(DAXMR_LOG_DEBUG), 7);
	assert_int_equal(daxmr_log_priority((enum daxmr_log_level)42), 7);
	close(fd);
}

/* $JOURNAL_STREAM of another file (a child whose stderr was redirected), or malformed: plain. */
static void log_detect__journal_stream_not_stderr(void **state)
{
	static const char *const bad[] = { "", "12", "12:", ":34", "12:34x", "a:b", "-1:-1" };
	char buf[512];
	size_t i;
	int fd, other;

	(void)state;
	other = stderr_to_file(); /* a first file: its dev:ino goes into the variable */
	journal_stream_of(other, "");
	fd = stderr_to_file(); /* stderr is now a second file */
	assert_int_equal(daxmr_log_detect(), DAXMR_LOG_SINK_PLAIN);
	journal_stream_of(fd, "x");
	assert_int_equal(daxmr_log_detect(), DAXMR_LOG_SINK_PLAIN);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(setenv("JOURNAL_STREAM", bad[i], 1), 0);
		assert_int_equal(daxmr_log_detect(), DAXMR_LOG_SINK_PLAIN);
	}
	DAXMR_LOG_WRN("w");
	read_back(fd, buf, sizeof(buf));
	assert_string_equal(buf, "logtest: warning: w\n");
	close(fd);
	close(other);
}

/* A terminal: each line starts with the local date and time to the millisecond. */
static void log_detect__terminal_timestamps(void **state)
{
	regex_t re;
	char buf[512];
	int master, slave;
	ssize_t n;

	(void)state;
	unsetenv("JOURNAL_STREAM");
	assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	assert_int_equal(dup2(slave, STDERR_FILENO), STDERR_FILENO);
	assert_int_equal(daxmr_log_detect(), DAXMR_LOG_SINK_TERMINAL);
	errno = EXDEV;
	DAXMR_LOG_NTC("export %s revoked", "e1");
	assert_int_equal(errno, EXDEV); /* detecting and logging keep errno */
	n = read(master, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(
		regcomp(&re,
			"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} "
			"logtest: notice: export e1 revoked\r?\n$",
			REG_EXTENDED | REG_NOSUB),
		0);
	if (regexec(&re, buf, 0, NULL, 0) != 0)
		fail_msg("terminal line without the expected timestamp: '%s'", buf);
	regfree(&re);
	close(slave);
	close(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log_detect__plain_file),
		cmocka_unit_test(log_detect__journal_priorities),
		cmocka_unit_test(log_detect__journal_stream_not_stderr),
		cmocka_unit_test(log_detect__terminal_timestamps),
	};

	return cmocka_run_group_tests(tests, log_setup, log_teardown);
}
