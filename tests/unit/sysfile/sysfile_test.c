/* SPDX-License-Identifier: BSD-3-Clause */
/* sysfile_test.c -- daxmr_sysfile_read on real files: contents, truncation, a missing file */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sysfile.h"

/* A file of known contents: the whole text comes back, NUL-terminated. */
static void sysfile_read__contents(void **state)
{
	char path[] = "/tmp/daxmr-sysfile-XXXXXX", buf[32];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "45\n", 3), 3);
	close(fd);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(daxmr_sysfile_read(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "45\n");
	unlink(path);
}

/* A longer file: at most size - 1 bytes, still NUL-terminated. */
static void sysfile_read__truncates(void **state)
{
	char path[] = "/tmp/daxmr-sysfile-XXXXXX", buf[4];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "123456", 6), 6);
	close(fd);
	assert_int_equal(daxmr_sysfile_read(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "123");
	unlink(path);
}

/* Errors come back as -errno; a zero-sized buffer is refused. */
static void sysfile_read__errors(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(daxmr_sysfile_read("/nonexistent/daxmr", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(daxmr_sysfile_read("/tmp", buf, sizeof(buf)), -EISDIR);
	assert_int_equal(daxmr_sysfile_read("/proc/self/status", buf, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sysfile_read__contents),
		cmocka_unit_test(sysfile_read__truncates),
		cmocka_unit_test(sysfile_read__errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
