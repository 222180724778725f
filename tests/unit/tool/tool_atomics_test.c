/* SPDX-License-Identifier: BSD-3-Clause */
/* tool_atomics_test.c -- tool: cas/faa arguments, 64-bit operands, server and secret file
 * checks before connecting, the unavailable exit code, --version, the command words */
#include <errno.h>
#include <fcntl.h>
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

#include "tool.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Parses argv; err gets the message. */
static int parse(int argc, char *const argv[], struct daxmr_tool_args *a, char *err)
{
	return daxmr_tool_args_parse(argc, argv, a, err, 256);
}

/* cas with all its operands: parsed, hex and decimal. */
static void args_parse__cas(void **state)
{
	char *argv[] = { "daxmr", "cas", "ctr", "--offset", "16", "--compare", "0x10",
			 "--swap=18446744073709551615" };
	struct daxmr_tool_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &a, err), 0);
	assert_int_equal(a.cmd, DAXMR_TOOL_CAS);
	assert_string_equal(a.name, "ctr");
	assert_int_equal(a.offset, 16);
	assert_int_equal(a.compare, 16);
	assert_true(a.swap == UINT64_MAX);
	assert_true(a.has_compare && a.has_swap && a.has_offset);
}

/* faa: a negative addend is two's complement. */
static void args_parse__faa_negative(void **state)
{
	char *argv[] = { "daxmr", "faa", "ctr", "--offset", "0", "--add", "-1" };
	struct daxmr_tool_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &a, err), 0);
	assert_int_equal(a.cmd, DAXMR_TOOL_FAA);
	assert_true(a.add == UINT64_MAX);
}

/* What cas and faa refuse, each with a message naming the cause. */
static void args_parse__atomic_errors(void **state)
{
	static const struct {
		char *argv[8];
		int argc;
		const char *want; /* in the message */
	} cases[] = {
		{ { "daxmr", "cas", "x", "--compare", "1", "--swap", "2" }, 7, "needs --offset" },
		{ { "daxmr", "cas", "x", "--offset", "4", "--compare", "1", "--swap" }, 8, "needs a value" },
		{ { "daxmr", "cas", "x", "--offset", "12", "--compare", "1" }, 7, "8-byte aligned" },
		{ { "daxmr", "cas", "x", "--offset", "8", "--compare", "1" }, 7, "--swap" },
		{ { "daxmr", "faa", "x", "--offset", "8" }, 5, "needs --add" },
		{ { "daxmr", "faa", "x", "--offset", "8", "--add", "1x" }, 7, "not a number" },
		{ { "daxmr", "faa", "x", "--offset", "8", "--add", "0x10000000000000000" }, 7, "64 bits" },
		{ { "daxmr", "cas", "x", "--offset", "8", "--add", "1" }, 7, "unknown option" },
		{ { "daxmr", "faa", "x", "--offset", "8", "--swap", "1" }, 7, "unknown option" },
		{ { "daxmr", "cas", "x", "--offset", "8", "--compare", "-1" }, 7, "not a number" },
		{ { "daxmr", "faa", "--offset", "8", "--add", "1" }, 6, "needs an export NAME" },
	};
	struct daxmr_tool_args a;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].argc, cases[i].argv, &a, err), -EINVAL);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: '%s' does not say '%s'", i, err, cases[i].want);
	}
}

/* 64-bit operands: bounds, bases, signs. */
static void u64_parse__bounds(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(daxmr_tool_u64_parse("0", false, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(daxmr_tool_u64_parse("0xdeadBEEF", false, &v), 0);
	assert_true(v == 0xdeadbeefull);
	assert_int_equal(daxmr_tool_u64_parse("18446744073709551615", false, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(daxmr_tool_u64_parse("18446744073709551616", false, &v), -ERANGE);
	assert_int_equal(daxmr_tool_u64_parse("-9223372036854775808", true, &v), 0);
	assert_true(v == 0x8000000000000000ull);
	assert_int_equal(daxmr_tool_u64_parse("-9223372036854775809", true, &v), -ERANGE);
	v = 7;
	assert_int_equal(daxmr_tool_u64_parse("-1", false, &v), -EINVAL);
	assert_int_equal(daxmr_tool_u64_parse("", false, &v), -EINVAL);
	assert_int_equal(daxmr_tool_u64_parse("0x", false, &v), -EINVAL);
	assert_int_equal(daxmr_tool_u64_parse("-", true, &v), -EINVAL);
	assert_int_equal(daxmr_tool_u64_parse("12a", false, &v), -EINVAL);
	assert_int_equal(daxmr_tool_u64_parse(" 1", false, &v), -EINVAL);
	assert_int_equal(v, 7);
}

/* The server address: port 1..65535, refused before any connection with the address named. */
static void server_check__port_range(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(daxmr_tool_server_check("10.0.2.15", err, sizeof(err)), 0);
	assert_int_equal(daxmr_tool_server_check("10.0.2.15:1", err, sizeof(err)), 0);
	assert_int_equal(daxmr_tool_server_check("host:65535", err, sizeof(err)), 0);
	assert_int_equal(daxmr_tool_server_check("[fe80::1]:7471", err, sizeof(err)), 0);
	assert_int_equal(daxmr_tool_server_check("host:99999", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'host:99999'"));
	assert_non_null(strstr(err, "1..65535"));
	assert_int_equal(daxmr_tool_server_check("host:0", err, sizeof(err)), -EINVAL);
	assert_int_equal(daxmr_tool_server_check("host:", err, sizeof(err)), -EINVAL);
	assert_int_equal(daxmr_tool_server_check("host:-1", err, sizeof(err)), -EINVAL);
	assert_int_equal(daxmr_tool_server_check(":7471", err, sizeof(err)), -EINVAL);
}

/* Writes a secret file of len bytes with mode; returns its path (static buffer). */
static const char *secret_file(size_t len, mode_t mode)
{
	static char path[64];
	char buf[5000];
	int fd;

	snprintf(path, sizeof(path), "/tmp/daxmr-tool-secret.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	memset(buf, 'k', sizeof(buf));
	assert_true(write(fd, buf, len) == (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* A bad secret file is reported as the file's problem: missing, mode, size; a good one passes. */
static void secret_check__causes(void **state)
{
	char err[256];
	const char *p;

	(void)state;
	assert_int_equal(daxmr_tool_secret_check("/nonexistent/secret", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/secret"));
	assert_non_null(strstr(err, "secret file"));

	p = secret_file(32, 0644);
	assert_int_equal(daxmr_tool_secret_check(p, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "mode 0644"));
	unlink(p);

	p = secret_file(8, 0600);
	assert_int_equal(daxmr_tool_secret_check(p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too few"));
	unlink(p);

	p = secret_file(32, 0600);
	assert_int_equal(daxmr_tool_secret_check(p, err, sizeof(err)), 0);
	unlink(p);
}

/* UNAVAILABLE has an exit code of its own, distinct from "being revoked". */
static void exit_code__unavailable(void **state)
{
	(void)state;
	assert_int_equal(daxmr_tool_exit_code(DAXMR_TOOL_ERR_UNAVAILABLE),
			 DAXMR_TOOL_EXIT_UNAVAILABLE);
	assert_int_equal(DAXMR_TOOL_EXIT_UNAVAILABLE, 7);
	assert_int_equal(daxmr_tool_exit_code(-EAGAIN), DAXMR_TOOL_EXIT_REVOKED);
	assert_int_not_equal(DAXMR_TOOL_ERR_UNAVAILABLE, -EAGAIN);
	assert_non_null(strstr(daxmr_tool_strerror(DAXMR_TOOL_ERR_UNAVAILABLE), "unavailable"));
}

/* The server and secret: options first, then the environment; each checked before connecting. */
static void conn_pick__env_and_checks(void **state)
{
	const char *server = NULL, *secret = NULL;
	char err[256];

	(void)state;
	unsetenv("DAXMR_SECRET_FILE");
	unsetenv("DAXMR_SERVER");
	assert_int_equal(daxmr_tool_conn_pick(NULL, NULL, "--server", &server, &secret, err,
					      sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "pass --server ADDR"));
	setenv("DAXMR_SERVER", "10.0.2.15:7000", 1);
	setenv("DAXMR_SECRET_FILE", "", 1);
	assert_int_equal(daxmr_tool_conn_pick(NULL, NULL, "-s", &server, &secret, err, sizeof(err)),
			 0);
	assert_string_equal(server, "10.0.2.15:7000");
	assert_null(secret);
	assert_int_equal(daxmr_tool_conn_pick("h:70000", NULL, "-s", &server, &secret, err,
					      sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "'h:70000'"));
	setenv("DAXMR_SECRET_FILE", "/nonexistent/secret", 1);
	assert_int_equal(daxmr_tool_conn_pick("h", NULL, "-s", &server, &secret, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "bad secret file: /nonexistent/secret"));
	unsetenv("DAXMR_SECRET_FILE");
	unsetenv("DAXMR_SERVER");
}

/* --version needs no command and no server. */
static void args_parse__version(void **state)
{
	char *argv[] = { "daxmr", "--version" };
	struct daxmr_tool_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &a, err), 0);
	assert_true(a.version);
	assert_int_equal(a.cmd, DAXMR_TOOL_NONE);
}

/* The command words the messages use. */
static void cmd_name__words(void **state)
{
	(void)state;
	assert_string_equal(daxmr_tool_cmd_name(DAXMR_TOOL_FAA), "faa");
	assert_string_equal(daxmr_tool_cmd_name(DAXMR_TOOL_CAS), "cas");
	assert_string_equal(daxmr_tool_cmd_name(DAXMR_TOOL_NONE), "daxmr");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(args_parse__cas),
		cmocka_unit_test(args_parse__faa_negative),
		cmocka_unit_test(args_parse__atomic_errors),
		cmocka_unit_test(u64_parse__bounds),
		cmocka_unit_test(server_check__port_range),
		cmocka_unit_test(secret_check__causes),
		cmocka_unit_test(exit_code__unavailable),
		cmocka_unit_test(conn_pick__env_and_checks),
		cmocka_unit_test(args_parse__version),
		cmocka_unit_test(cmd_name__words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
