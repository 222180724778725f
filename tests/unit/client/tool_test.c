/* SPDX-License-Identifier: BSD-3-Clause */
/* tool_test.c -- tool: command-line parsing, sizes, get/put ranges, exit codes, messages */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tool.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Parses a NULL-less argv array; err gets the message. */
static int parse(int argc, char *const argv[], struct daxmr_tool_args *a, char *err)
{
	return daxmr_tool_args_parse(argc, argv, a, err, 256);
}

/* Sizes: digits, suffixes K M G T (any case, optional B / iB). */
static void size_parse__suffixes(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(daxmr_tool_size_parse("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(daxmr_tool_size_parse("12345", &v), 0);
	assert_int_equal(v, 12345);
	assert_int_equal(daxmr_tool_size_parse("4K", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(daxmr_tool_size_parse("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(daxmr_tool_size_parse("1M", &v), 0);
	assert_int_equal(v, 1u << 20);
	assert_int_equal(daxmr_tool_size_parse("1MiB", &v), 0);
	assert_int_equal(v, 1u << 20);
	assert_int_equal(daxmr_tool_size_parse("2G", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(daxmr_tool_size_parse("3GB", &v), 0);
	assert_int_equal(v, 3ull << 30);
	assert_int_equal(daxmr_tool_size_parse("1T", &v), 0);
	assert_int_equal(v, 1ull << 40);
	assert_int_equal(daxmr_tool_size_parse("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
}

/* Anything else is refused; *v is untouched. */
static void size_parse__rejects(void **state)
{
	const char *bad[] = { "", "-1", "+1", " 1", "1 ", "0x10", "1KK", "1Ki", "1X", "K", "1.5M",
			      "1Mb2" };
	uint64_t v = 77;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(daxmr_tool_size_parse(bad[i], &v), -EINVAL);
		assert_int_equal(v, 77);
	}
	assert_int_equal(daxmr_tool_size_parse(NULL, &v), -EINVAL);
}

/* Overflow: in the digits and through the suffix. */
static void size_parse__overflow(void **state)
{
	uint64_t v = 77;

	(void)state;
	assert_int_equal(daxmr_tool_size_parse("18446744073709551616", &v), -ERANGE);
	assert_int_equal(daxmr_tool_size_parse("99999999999999999999999", &v), -ERANGE);
	assert_int_equal(daxmr_tool_size_parse("16777216T", &v), -ERANGE);
	assert_int_equal(daxmr_tool_size_parse("17179869184G", &v), -ERANGE);
	assert_int_equal(v, 77);
}

/* ls with global options before and after the command. */
static void args_parse__ls(void **state)
{
	char *argv[] = { "daxmr", "-s", "10.0.2.15:7000", "ls", "-v" };
	struct daxmr_tool_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &a, err), 0);
	assert_int_equal(a.cmd, DAXMR_TOOL_LS);
	assert_string_equal(a.server, "10.0.2.15:7000");
	assert_int_equal(a.verbose, 1);
	assert_null(a.name);
}

/* get with every option, in both spellings. */
static void args_parse__get(void **state)
{
	char *argv[] = { "daxmr", "get", "db", "--offset", "4K", "--length=1M", "-o", "/tmp/x" };
	char *argv2[] = { "daxmr", "--server=h", "get", "--output=-", "db" };
	struct daxmr_tool_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &a, err), 0);
	assert_int_equal(a.cmd, DAXMR_TOOL_GET);
	assert_string_equal(a.name, "db");
	assert_int_equal(a.offset, 4096);
	assert_true(a.has_length);
	assert_int_equal(a.length, 1u << 20);
	assert_string_equal(a.output, "/tmp/x");
	assert_null(a.server);

	assert_int_equal(parse(ARGC(argv2), argv2, &a, err), 0);
	assert_string_equal(a.server, "h");
	assert_string_equal(a.output, "-");
	assert_false(a.has_length);
	assert_int_equal(a.offset, 0);
}

/* put and watch options. */
static void args_parse__put_watch(void **state)
{
	char *put[] = { "daxmr", "put", "t", "--offset", "12345", "-i", "/tmp/in" };
	char *watch[] = { "daxmr", "-t", "2000", "watch", "t", "--ro", "--ignore-revoke" };
	struct daxmr_tool_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(ARGC(put), put, &a, err), 0);
	assert_int_equal(a.cmd, DAXMR_TOOL_PUT);
	assert_int_equal(a.offset, 12345);
	assert_string_equal(a.input, "/tmp/in");
	assert_int_equal(parse(ARGC(watch), watch, &a, err), 0);
	assert_int_equal(a.cmd, DAXMR_TOOL_WATCH);
	assert_true(a.ro);
	assert_true(a.ignore_revoke);
	assert_int_equal(a.timeout_ms, 2000);
}

/* -k / --secret-file (also --secret-file=FILE), before or after the command; no file is an error. */
static void args_parse__secret_file(void **state)
{
	char *short_opt[] = { "daxmr", "-k", "/etc/s", "ls" };
	char *long_opt[] = { "daxmr", "ls", "--secret-file=/etc/t" };
	char *missing[] = { "daxmr", "ls", "-k" };
	char *none[] = { "daxmr", "ls" };
	struct daxmr_tool_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(ARGC(short_opt), short_opt, &a, err), 0);
	assert_string_equal(a.secret_file, "/etc/s");
	assert_int_equal(a.cmd, DAXMR_TOOL_LS);
	assert_int_equal(parse(ARGC(long_opt), long_opt, &a, err), 0);
	assert_string_equal(a.secret_file, "/etc/t");
	assert_int_equal(parse(ARGC(missing), missing, &a, err), -EINVAL);
	assert_non_null(strstr(err, "-k needs a file name"));
	assert_int_equal(parse(ARGC(none), none, &a, err), 0);
	assert_null(a.secret_file);
}

/* Connect failures: access denied is exit 5, the rest exit 3; ENOENT names no export. */
static void connect_errors(void **state)
{
	(void)state;
	assert_int_equal(daxmr_tool_connect_exit_code(-EACCES), DAXMR_TOOL_EXIT_ACCESS);
	assert_int_equal(daxmr_tool_connect_exit_code(-ECONNREFUSED), DAXMR_TOOL_EXIT_CONNECT);
	assert_int_equal(daxmr_tool_connect_exit_code(-ENOENT), DAXMR_TOOL_EXIT_CONNECT);
	assert_string_equal(daxmr_tool_connect_strerror(-ENOENT), strerror(ENOENT));
	assert_null(strstr(daxmr_tool_connect_strerror(-ENOENT), "export"));
	assert_string_equal(daxmr_tool_connect_strerror(-EACCES), daxmr_tool_strerror(-EACCES));
	/* the host name's errors: not "being revoked", not "no route to host" */
	assert_non_null(strstr(daxmr_tool_connect_strerror(-ENXIO), "no such host"));
	assert_non_null(strstr(daxmr_tool_connect_strerror(-EAGAIN), "resolved"));
	assert_int_equal(daxmr_tool_connect_exit_code(-ENXIO), DAXMR_TOOL_EXIT_CONNECT);
	assert_int_equal(daxmr_tool_connect_exit_code(-EAGAIN), DAXMR_TOOL_EXIT_CONNECT);
}

/* --help anywhere wins, and remembers the command it was asked for. */
static void args_parse__help(void **state)
{
	char *argv[] = { "daxmr", "--help" };
	char *argv2[] = { "daxmr", "put", "--help" };
	struct daxmr_tool_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &a, err), 0);
	assert_true(a.help);
	assert_int_equal(a.cmd, DAXMR_TOOL_NONE);
	assert_int_equal(parse(ARGC(argv2), argv2, &a, err), 0);
	assert_true(a.help);
	assert_int_equal(a.cmd, DAXMR_TOOL_PUT);
}

/* Usage errors say what is wrong. */
static void args_parse__errors(void **state)
{
	char *none[] = { "daxmr" };
	char *unknown_cmd[] = { "daxmr", "rm", "x" };
	char *no_name[] = { "daxmr", "get" };
	char *bad_size[] = { "daxmr", "get", "x", "--offset", "12Q" };
	char *missing[] = { "daxmr", "get", "x", "--offset" };
	char *wrong_cmd_opt[] = { "daxmr", "put", "x", "--length", "1" };
	char *extra[] = { "daxmr", "get", "x", "y" };
	char *ls_opt[] = { "daxmr", "ls", "--offset", "1" };
	char *unknown_opt[] = { "daxmr", "--frob", "ls" };
	char *bad_timeout[] = { "daxmr", "-t", "0", "ls" };
	struct daxmr_tool_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(ARGC(none), none, &a, err), -EINVAL);
	assert_non_null(strstr(err, "no command"));
	assert_int_equal(parse(ARGC(unknown_cmd), unknown_cmd, &a, err), -EINVAL);
	assert_non_null(strstr(err, "rm"));
	assert_int_equal(parse(ARGC(no_name), no_name, &a, err), -EINVAL);
	assert_non_null(strstr(err, "NAME"));
	assert_int_equal(parse(ARGC(bad_size), bad_size, &a, err), -EINVAL);
	assert_non_null(strstr(err, "12Q"));
	assert_int_equal(parse(ARGC(missing), missing, &a, err), -EINVAL);
	assert_non_null(strstr(err, "--offset"));
	assert_int_equal(parse(ARGC(wrong_cmd_opt), wrong_cmd_opt, &a, err), -EINVAL);
	assert_non_null(strstr(err, "--length"));
	assert_int_equal(parse(ARGC(extra), extra, &a, err), -EINVAL);
	assert_non_null(strstr(err, "'y'"));
	assert_int_equal(parse(ARGC(ls_opt), ls_opt, &a, err), -EINVAL);
	assert_int_equal(parse(ARGC(unknown_opt), unknown_opt, &a, err), -EINVAL);
	assert_non_null(strstr(err, "--frob"));
	assert_int_equal(parse(ARGC(bad_timeout), bad_timeout, &a, err), -EINVAL);
}

/* "--" ends options: a name may start with '-'. */
static void args_parse__double_dash(void **state)
{
	char *argv[] = { "daxmr", "get", "--", "-odd" };
	struct daxmr_tool_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &a, err), 0);
	assert_string_equal(a.name, "-odd");
}

/* get: the rest of the export by default, bounds checked either way. */
static void get_range__bounds(void **state)
{
	uint64_t len = 77;

	(void)state;
	assert_int_equal(daxmr_tool_get_range(4096, 0, false, 0, &len), 0);
	assert_int_equal(len, 4096);
	assert_int_equal(daxmr_tool_get_range(4096, 4000, false, 0, &len), 0);
	assert_int_equal(len, 96);
	assert_int_equal(daxmr_tool_get_range(4096, 4096, false, 0, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(daxmr_tool_get_range(4096, 96, true, 4000, &len), 0);
	assert_int_equal(len, 4000);
	len = 77;
	assert_int_equal(daxmr_tool_get_range(4096, 4097, false, 0, &len), -ERANGE);
	assert_int_equal(daxmr_tool_get_range(4096, 97, true, 4000, &len), -ERANGE);
	assert_int_equal(daxmr_tool_get_range(4096, 1, true, UINT64_MAX, &len), -ERANGE);
	assert_int_equal(len, 77);
}

/* put: refuses anything past the end, including through wrap-around. */
static void put_range__bounds(void **state)
{
	(void)state;
	assert_int_equal(daxmr_tool_put_range(4096, 0, 4096), 0);
	assert_int_equal(daxmr_tool_put_range(4096, 4096, 0), 0);
	assert_int_equal(daxmr_tool_put_range(4096, 1, 4096), -ERANGE);
	assert_int_equal(daxmr_tool_put_range(4096, 4097, 0), -ERANGE);
	assert_int_equal(daxmr_tool_put_range(4096, UINT64_MAX, 2), -ERANGE);
}

/* Exit codes as --help documents them. */
static void exit_code__documented(void **state)
{
	(void)state;
	assert_int_equal(daxmr_tool_exit_code(0), 0);
	assert_int_equal(daxmr_tool_exit_code(-ENOENT), 4);
	assert_int_equal(daxmr_tool_exit_code(-EACCES), 5);
	assert_int_equal(daxmr_tool_exit_code(-ESTALE), 6);
	assert_int_equal(daxmr_tool_exit_code(-EAGAIN), 6);
	assert_int_equal(daxmr_tool_exit_code(-EIO), 1);
	assert_int_equal(daxmr_tool_exit_code(-ERANGE), 1);
	assert_int_equal(daxmr_tool_exit_code(-ENOTCONN), 1);
	/* on the data path a remote access error is a withdrawn key: a failed operation */
	assert_int_equal(daxmr_tool_transfer_exit_code(-EACCES), 1);
	assert_int_equal(daxmr_tool_transfer_exit_code(-ESTALE), 6);
	assert_int_equal(daxmr_tool_transfer_exit_code(-ENOTCONN), 1);
	assert_non_null(strstr(daxmr_tool_transfer_strerror(-EACCES), "withdrew the key"));
	assert_string_equal(daxmr_tool_transfer_strerror(-ENOENT), "no such export");
}

/* Messages speak daxmr, and fall back to strerror. */
static void strerror__words(void **state)
{
	(void)state;
	assert_string_equal(daxmr_tool_strerror(-ENOENT), "no such export");
	assert_string_equal(daxmr_tool_strerror(-EACCES), "access denied");
	assert_non_null(strstr(daxmr_tool_strerror(-ESTALE), "revoked"));
	assert_non_null(strstr(daxmr_tool_strerror(-EAGAIN), "revoked"));
	assert_string_equal(daxmr_tool_strerror(-EIO), "Input/output error");
}

/* daxmr_tool_vmsg through a variadic front, as the tools call it. */
__attribute__((format(printf, 3, 4))) static void msg(FILE *f, const char *prog, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	daxmr_tool_vmsg(f, prog, fmt, ap);
	va_end(ap);
}

/* A message line: the program, the message, one newline. */
static void vmsg__line(void **state)
{
	FILE *f = tmpfile();
	char line[128] = "";

	(void)state;
	assert_non_null(f);
	msg(f, "daxmr-bench", "--size: %s is not in 1 .. %s", "0", "1G");
	rewind(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "daxmr-bench: --size: 0 is not in 1 .. 1G\n");
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vmsg__line),
		cmocka_unit_test(size_parse__suffixes),	 cmocka_unit_test(size_parse__rejects),
		cmocka_unit_test(size_parse__overflow),	 cmocka_unit_test(args_parse__ls),
		cmocka_unit_test(args_parse__get),	 cmocka_unit_test(args_parse__put_watch),
		cmocka_unit_test(args_parse__secret_file),
		cmocka_unit_test(connect_errors),
		cmocka_unit_test(args_parse__help),	 cmocka_unit_test(args_parse__errors),
		cmocka_unit_test(args_parse__double_dash), cmocka_unit_test(get_range__bounds),
		cmocka_unit_test(put_range__bounds),	 cmocka_unit_test(exit_code__documented),
		cmocka_unit_test(strerror__words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
