/* SPDX-License-Identifier: BSD-3-Clause */
/* check_test.c -- unit tests of check: each export rule on real host files, without RDMA */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

static char dir[64];
static char why[512];

static int setup(void **state)
{
	(void)state;
	/* the build tree's file system: a real one with FIEMAP (ext4 or XFS), not DAX */
	strcpy(dir, "check_test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Makes dir/name: len bytes written from 0, then truncated up to size (a hole after len). */
static const char *make(const char *name, size_t len, off_t size)
{
	static char path[PATH_MAX];
	char buf[4096];
	size_t done = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	memset(buf, 0x5a, sizeof(buf));
	while (done < len) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);

		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		done += n;
	}
	assert_int_equal(ftruncate(fd, size), 0);
	assert_int_equal(fsync(fd), 0); /* no delayed allocation left for FIEMAP to see */
	close(fd);
	return path;
}

/* Checks one export; the rule, with why filled. */
static enum daxmr_check_rule check(const char *path, bool ro, bool allow_non_dax)
{
	struct daxmr_export_cfg cfg = {
		.name = "x", .path = path, .ro = ro, .allow_non_dax = allow_non_dax
	};

	why[0] = '\0';
	return daxmr_check_export(&cfg, why, sizeof(why));
}

static void assert_said(const char *what)
{
	if (!strstr(why, what))
		fail_msg("\"%s\" not said; it said \"%s\"", what, why);
}

static void check__non_dax_fails_naming_the_rule(void **state)
{
	const char *p = make("plain", 8192, 8192);

	(void)state;
	assert_int_equal(check(p, false, false), DAXMR_CHECK_DAX);
	assert_said("not DAX");
	assert_string_equal(daxmr_check_rule_str(DAXMR_CHECK_DAX), "dax");
	assert_int_equal(check(p, true, false), DAXMR_CHECK_DAX);
}

static void check__allow_non_dax_passes(void **state)
{
	const char *p = make("plain", 8192, 8192);

	(void)state;
	assert_int_equal(check(p, false, true), DAXMR_CHECK_OK);
	assert_said("page-cache, 8192 bytes, ");
	assert_int_equal(check(p, true, true), DAXMR_CHECK_OK);
}

static void check__hole_names_the_offset(void **state)
{
	const char *p = make("holey", 4096, 3 * 4096);

	(void)state;
	assert_int_equal(check(p, false, true), DAXMR_CHECK_EXTENTS);
	assert_said("hole at offset 4096");
	assert_string_equal(daxmr_check_rule_str(DAXMR_CHECK_EXTENTS), "extents");
}

static void check__empty_missing_directory(void **state)
{
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(check(make("empty", 0, 0), false, true), DAXMR_CHECK_SIZE);
	assert_said("empty file");
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(check(path, false, true), DAXMR_CHECK_OPEN);
	assert_said("open O_RDWR: No such file or directory");
	assert_int_equal(check(dir, true, true), DAXMR_CHECK_TYPE);
	assert_said("neither a regular file nor a device-DAX device");
	assert_int_equal(check(dir, false, true), DAXMR_CHECK_OPEN); /* EISDIR */
	assert_said("Is a directory");
}

static void check__another_opener_fails_the_lease(void **state)
{
	const char *p = make("busy", 8192, 8192);
	int fd = open(p, O_RDONLY);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(check(p, false, true), DAXMR_CHECK_LEASE);
	assert_said("F_SETLEASE F_WRLCK: another process has the file open");
	/* a reader does not keep a read lease from being taken */
	assert_int_equal(check(p, true, true), DAXMR_CHECK_OK);
	close(fd);
	assert_int_equal(check(p, false, true), DAXMR_CHECK_OK);
}

static void check_exports__one_line_each(void **state)
{
	struct daxmr_export_cfg cfgs[3] = {
		{ .name = "good", .allow_non_dax = true },
		{ .name = "nondax" },
		{ .name = "holey", .allow_non_dax = true },
	};
	char good[PATH_MAX], nondax[PATH_MAX], *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	snprintf(good, sizeof(good), "%s", make("good", 4096, 4096));
	snprintf(nondax, sizeof(nondax), "%s", make("nondax", 4096, 4096));
	cfgs[0].path = good;
	cfgs[1].path = nondax;
	cfgs[2].path = make("holey", 0, 4096);
	f = open_memstream(&out, &len);
	assert_non_null(f);
	assert_int_equal(daxmr_check_exports(cfgs, 3, f), 2);
	fclose(f);
	if (!strstr(out, "good ") || !strstr(out, "/good: ok: page-cache, 4096 bytes") ||
	    !strstr(out, "/nondax: FAIL dax: not DAX") ||
	    !strstr(out, "/holey: FAIL extents: hole at offset 0"))
		fail_msg("unexpected --check output:\n%s", out);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(check__non_dax_fails_naming_the_rule),  T(check__allow_non_dax_passes),
		T(check__hole_names_the_offset),	  T(check__empty_missing_directory),
		T(check__another_opener_fails_the_lease), T(check_exports__one_line_each),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
